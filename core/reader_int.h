/* Shared inside core/ only: the look-ahead byte stream that every reader
 * format parses (libarchive decompresses; we peek before we consume). */
#ifndef CUR_READER_INT_H
#define CUR_READER_INT_H

#include <archive.h>
#include "core/buf.h"
#include "core/doc.h"
#include "core/error.h"
#include "core/reader.h"

/* Bytes a reader asks libarchive for at a time, and by which the stream's
 * window grows. */
#define READ_CHUNK (256 * 1024)

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
	char errmsg[256];   /* libarchive's message when failed */
	uint64_t consumed;  /* bytes consumed so far (for offsets) */
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

/* cur_archive_open_prefetch: archive_read_open on path with read-ahead
 * (core/prefetch.c): the file is read by a thread of its own. */
int cur_archive_open_prefetch(struct archive *a, const char *path);

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
