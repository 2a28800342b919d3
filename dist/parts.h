/* Parts: what each task of a distributed run writes of the run's output or
 * rejects, one JSON Lines file per task. Task R's slice of the inputs is a
 * block of consecutive files (cur_slice_has), so the parts concatenated in
 * task order are what one process writes. */
#ifndef DIST_PARTS_H
#define DIST_PARTS_H

#include <stddef.h>
#include "core/error.h"

/* dist_part_path: "DIR/part-00042.jsonl.zst" (malloc'd; NULL when out of
 * memory). */
char *dist_part_path(const char *dir, size_t part);

/* dist_parts_concat: decompress the parts files[0..n) in order into one
 * file at out (compressed by its name, as every output; threads > 1 uses
 * zstd workers): the bytes a single process would have written. */
int dist_parts_concat(char *const *files, size_t n, const char *out, int threads, cur_err *err);

#endif
