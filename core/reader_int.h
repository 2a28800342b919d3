/* Shared inside core/ only: the look-ahead byte stream that every reader
 * format parses (libarchive decompresses; we peek before we consume). */
#ifndef CUR_READER_INT_H
#define CUR_READER_INT_H

#include <archive.h>
#include <stdint.h>
#include <sys/types.h>
#include "core/buf.h"
#include "core/doc.h"
#include "core/error.h"
#include "core/reader.h"

/* Bytes a reader asks libarchive for at a time, and by which the stream's
 * window grows. */
#define READ_CHUNK (256 * 1024)

typedef struct cur_source cur_source;

/* The look-ahead stream (stream.c). */
typedef struct cur_stream {
	struct archive *a;
	char *buf;          /* look-ahead window: bytes [pos, len) are unread;
			     * own, or libarchive's current block (borrowed) */
	size_t pos, len;
	char *own;          /* our buffer, cap bytes */
	size_t cap;
	int eof;            /* the source has no more bytes */
	int failed;         /* the source broke (truncated or corrupt) */
	int os_errno;       /* ... because the file could not be read */
	char errmsg[256];   /* why, when failed */
	uint64_t consumed;  /* bytes consumed so far (for offsets) */
	const cur_source *src; /* where libarchive's bytes come from */
	const char *blk;    /* rest of libarchive's current block */
	size_t blk_len;
} cur_stream;

/* cur_stream_fill: make at least want unread bytes available if the source
 * has them. Returns the number available (may be less at EOF/failure). */
size_t cur_stream_fill(cur_stream *s, size_t want);
/* cur_stream_find: offset (from pos) of byte c within the unread bytes,
 * reading more as needed up to limit bytes; -1 when not found (then *seen
 * tells how many bytes were searched). */
long cur_stream_find(cur_stream *s, int c, size_t limit, size_t *seen);
static inline const char *cur_stream_peek(const cur_stream *s) { return s->buf + s->pos; }
static inline size_t cur_stream_avail(const cur_stream *s) { return s->len - s->pos; }
void cur_stream_consume(cur_stream *s, size_t n);
/* cur_stream_broke: the error for a failed stream at record: CUR_EIO when
 * the file could not be read, else CUR_EDATA ("truncated or corrupt
 * input"); either way the input ends there. */
int cur_stream_broke(cur_stream *s, const char *origin, uint64_t record, cur_err *err);

/* The bytes of one input as libarchive reads them (core/source.c): the
 * file or stdin, read ahead on a thread of its own when asked, and gzip
 * members inflated by zlib, which checks each member's CRC and length
 * (libarchive's gzip filter checks neither). A corrupt or truncated member
 * ends the bytes there, after everything inflated before it, and
 * cur_source_error says why: libarchive sees a clean, shorter input, so
 * that no format reader throws away what it had read ahead. */
/* cur_source_open: archive_read_open on path ("-": stdin), up to the
 * format's detection. OUT: *src, closed by a (its file and buffers, also
 * when the open fails) and freed by the caller after archive_read_free
 * (cur_source_free); NULL when the file could not be opened: then
 * *os_errno is the errno. Returns archive_read_open's status. */
int cur_source_open(struct archive *a, const char *path, int prefetch, cur_source **src,
		    int *os_errno);
void cur_source_free(cur_source *src);
/* cur_source_error: why the input's bytes ended early, or NULL. */
const char *cur_source_error(const cur_source *src);
/* cur_source_errno: the errno of a failed read of the file, or 0. */
int cur_source_errno(const cur_source *src);
/* cur_source_drain: for an archive that ended before its bytes did (a tar
 * reader stops at its end-of-archive blocks): inflate the rest of a gzip
 * input, unseen, so that its members' checks are made. */
void cur_source_drain(cur_source *src);
/* cur_source_bytes: bytes read from the file so far (compressed). */
uint64_t cur_source_bytes(const cur_source *src);

/* Read-ahead (core/prefetch.c): a thread reads fd (borrowed) a block at a
 * time; cur_prefetch_next lends the next block until the next call, and
 * returns its length, 0 at the end, or -1 with errno set. */
typedef struct cur_prefetch cur_prefetch;
cur_prefetch *cur_prefetch_start(int fd);
ssize_t cur_prefetch_next(cur_prefetch *p, const void **out);
void cur_prefetch_stop(cur_prefetch *p);

/* WARC/WET records (core/warc.c). */
typedef struct cur_warc_state {
	uint64_t record;        /* records seen */
	uint64_t skipped;       /* records of other types or non-text payloads */
	unsigned types;         /* CUR_WARC_* record types that become documents */
	int all_status;         /* responses of any HTTP status, not only 200 */
} cur_warc_state;

int cur_warc_next(cur_stream *s, cur_warc_state *w, const char *origin,
		  size_t max_doc_bytes, cur_doc *doc, cur_err *err);

#endif
