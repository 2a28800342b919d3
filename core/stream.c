/* The look-ahead byte stream that every reader format parses
 * (reader_int.h): libarchive decompresses, the formats peek before they
 * consume. */
#include "config.h"

#include <archive.h>
#include <stdlib.h>
#include <string.h>
#include "core/reader_int.h"

/* Make the window our own buffer again, keeping its unread bytes (the
 * borrowed libarchive block is about to be replaced). */
static int stream_own(cur_stream *s)
{
	size_t avail = s->len - s->pos;

	if (s->buf == s->own)
		return 0;
	if (s->cap < avail + READ_CHUNK) {
		size_t cap = s->cap ? s->cap : 2 * READ_CHUNK;
		char *p;

		while (cap < avail + READ_CHUNK)
			cap *= 2;
		p = realloc(s->own, cap + 1);
		if (!p)
			return -1;
		s->own = p;
		s->cap = cap;
	}
	memcpy(s->own, s->buf + s->pos, avail);
	s->buf = s->own;
	s->pos = 0;
	s->len = avail;
	return 0;
}

static int stream_next_block(cur_stream *s)
{
	const void *blk;
	size_t blen;
	la_int64_t off;
	int r = archive_read_data_block(s->a, &blk, &blen, &off);

	if (r == ARCHIVE_EOF) {
		/* A corrupt gzip member ends the bytes as the end would. */
		const char *m = cur_source_error(s->src);

		s->eof = 1;
		if (m) {
			s->failed = 1;
			snprintf(s->errmsg, sizeof(s->errmsg), "%s", m);
		}
		return -1;
	}
	if (r < ARCHIVE_WARN) {
		const char *m = cur_source_error(s->src);

		if (!m)
			m = archive_error_string(s->a);
		s->failed = 1;
		s->os_errno = cur_source_errno(s->src);
		snprintf(s->errmsg, sizeof(s->errmsg), "%s", m ? m : "read error");
		return -1;
	}
	s->blk = blk;
	s->blk_len = blen;
	return 0;
}

/* The window is either our own buffer or, when it ran empty, libarchive's
 * current block itself: most lines lie inside one block and are then read
 * without a copy. Bytes left over when a record spans blocks move to our
 * buffer before the next block replaces the borrowed one. */
size_t cur_stream_fill(cur_stream *s, size_t want)
{
	while (s->len - s->pos < want && !s->eof && !s->failed) {
		size_t n;

		if (s->blk_len == 0) {
			if (stream_own(s)) {
				s->failed = 1;
				snprintf(s->errmsg, sizeof(s->errmsg), "out of memory");
				break;
			}
			if (stream_next_block(s))
				break;
		}
		if (s->len == s->pos) {
			s->buf = (char *)s->blk;
			s->pos = 0;
			s->len = s->blk_len;
			s->blk_len = 0;
			continue;
		}
		if (stream_own(s)) {
			s->failed = 1;
			snprintf(s->errmsg, sizeof(s->errmsg), "out of memory");
			break;
		}
		if (s->pos > 0 && (s->cap - s->len < READ_CHUNK || s->pos > s->cap / 2)) {
			memmove(s->own, s->own + s->pos, s->len - s->pos);
			s->len -= s->pos;
			s->pos = 0;
		}
		if (s->cap - s->len < READ_CHUNK) {
			size_t cap = s->cap ? s->cap * 2 : 2 * READ_CHUNK;
			char *p;

			while (cap - s->len < READ_CHUNK)
				cap *= 2;
			p = realloc(s->own, cap + 1);
			if (!p) {
				s->failed = 1;
				snprintf(s->errmsg, sizeof(s->errmsg), "out of memory");
				break;
			}
			s->own = s->buf = p;
			s->cap = cap;
		}
		n = s->cap - s->len < s->blk_len ? s->cap - s->len : s->blk_len;
		memcpy(s->own + s->len, s->blk, n);
		s->blk += n;
		s->blk_len -= n;
		s->len += n;
	}
	return s->len - s->pos;
}

long cur_stream_find(cur_stream *s, int c, size_t limit, size_t *seen)
{
	size_t from = 0;

	for (;;) {
		size_t avail = s->len - s->pos;
		size_t upto = avail < limit ? avail : limit;
		const char *hit = from < upto ? memchr(s->buf + s->pos + from, c, upto - from) : NULL;

		if (hit)
			return (long)(hit - (s->buf + s->pos));
		from = upto;
		*seen = upto;
		if (upto >= limit || s->eof || s->failed)
			return -1;
		cur_stream_fill(s, avail + READ_CHUNK);
		if (s->len - s->pos == avail)
			return -1;
	}
}

void cur_stream_consume(cur_stream *s, size_t n)
{
	s->pos += n;
	s->consumed += n;
}
