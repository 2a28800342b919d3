/* Atomic output files: written under a temporary name in the same directory,
 * compressed by name (.zst with zstd, .gz with gzip), fsync'd and renamed
 * into place by cur_out_finish. Freed unfinished, the temporary is removed,
 * so a failed run never leaves a partial file under the final name. */
#ifndef CUR_WRITER_H
#define CUR_WRITER_H

#include <stddef.h>
#include "core/buf.h"
#include "core/error.h"

typedef struct cur_out cur_out;

/* cur_out_open: path "-" or NULL writes to stdout (uncompressed). threads > 1
 * lets zstd compress on that many workers. */
int cur_out_open(cur_out **out, const char *path, int threads, cur_err *err);
int cur_out_write(cur_out *o, const void *p, size_t n);
/* cur_out_buffer: the pending buffer, to serialize into directly; call
 * cur_out_maybe_flush after appending. */
cur_buf *cur_out_buffer(cur_out *o);
int cur_out_maybe_flush(cur_out *o);
int cur_out_finish(cur_out *o, cur_err *err);
/* cur_out_error: why a write failed ("cannot write 'PATH': errno's
 * text"), or "" when it did not fail on the file (out of memory). */
const char *cur_out_error(const cur_out *o);
void cur_out_free(cur_out *o);

#endif
