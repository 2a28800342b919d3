/* The bytes of one input, as libarchive's read callbacks (reader_int.h).
 *
 * gzip is inflated here with zlib rather than by libarchive's gzip filter,
 * because that filter checks neither a member's CRC nor its length: a
 * flipped byte passed as altered text, and a truncated file failed while
 * libarchive was still detecting the format, losing every record before
 * the cut. zlib checks both trailers; members follow one another (as gzip
 * and bgzip write them), NUL padding after the last one is allowed (tape
 * blocks), anything else after it is corrupt input. Every other filter
 * (zstd, xz, bzip2) and every container format stays libarchive's.
 *
 * A data error ends the bytes as a clean end would, and is kept for the
 * reader to report (cur_source_error); a failed read of the file is an
 * error to libarchive, with the errno (cur_source_errno). */
#include "config.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "core/interrupt.h"
#include "core/reader_int.h"

#define SRC_BLOCK (256 * 1024)
#define PIPE_POLL_MS 200

struct cur_source {
	int fd;
	int own_fd;              /* not stdin: close it */
	int regular;             /* a regular file (else a pipe, a terminal) */
	cur_prefetch *pf;        /* read-ahead, or NULL: read() into buf */
	char *buf;               /* direct reads land here */
	const unsigned char *in; /* raw bytes not yet passed on */
	size_t in_len;
	int raw_eof;
	uint64_t raw_bytes;
	int gzip;                /* -1 not known yet (a pipe), 0 no, 1 yes */
	z_stream z;
	int z_live;              /* inflateInit2 done */
	int in_member;           /* between a member's header and its trailer */
	unsigned long member;    /* members started */
	int padding;             /* NUL bytes seen after a member */
	char *out;
	int failed;              /* the bytes ended early: error says why */
	char error[160];
	int os_errno;
};

const char *cur_source_error(const cur_source *s)
{
	return s && s->failed ? s->error : NULL;
}

int cur_source_errno(const cur_source *s)
{
	return s ? s->os_errno : 0;
}

uint64_t cur_source_bytes(const cur_source *s)
{
	return s ? s->raw_bytes : 0;
}

static int os_fail(struct archive *a, cur_source *s, int e)
{
	s->os_errno = e;
	archive_set_error(a, e, "%s", strerror(e));
	return ARCHIVE_FATAL;
}

/* read(2), but a pipe that has nothing to say is waited on in short
 * polls, so that a signal stops the run even while its input is silent
 * (core/interrupt.h): then -1 with errno EINTR. */
static ssize_t read_some(cur_source *s, char *buf, size_t cap)
{
	for (;;) {
		ssize_t n;

		if (cur_interrupted()) {
			errno = EINTR;
			return -1;
		}
		if (!s->regular) {
			struct pollfd pfd = { s->fd, POLLIN, 0 };

			/* (A signal ends a poll with EINTR: look at the flag again.) */
			if (poll(&pfd, 1, PIPE_POLL_MS) <= 0)
				continue;
		}
		n = read(s->fd, buf, cap);
		if (n >= 0 || errno != EINTR)
			return n;
	}
}

/* The next raw block into s->in; 0 at the end, -1 with errno set. */
static int raw_fill(cur_source *s)
{
	const void *blk;
	ssize_t n;

	if (s->in_len || s->raw_eof)
		return 0;
	if (s->pf) {
		n = cur_prefetch_next(s->pf, &blk);
	} else {
		n = read_some(s, s->buf, SRC_BLOCK);
		blk = s->buf;
	}
	if (n < 0)
		return -1;
	if (n == 0)
		s->raw_eof = 1;
	s->in = blk;
	s->in_len = (size_t)n;
	s->raw_bytes += (uint64_t)n;
	return 0;
}

/* A pipe says what it holds only by its first bytes: read until there are
 * two (gzip's magic) or the input ends. */
static int sniff_pipe(cur_source *s)
{
	size_t have = 0;

	while (have < 2) {
		ssize_t n = read_some(s, s->buf + have, SRC_BLOCK - have);

		if (n < 0)
			return -1;
		if (n == 0) {
			s->raw_eof = have == 0;
			break;
		}
		have += (size_t)n;
	}
	s->in = (const unsigned char *)s->buf;
	s->in_len = have;
	s->raw_bytes += have;
	s->gzip = have >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b;
	return 0;
}

static void data_fail(cur_source *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void data_fail(cur_source *s, const char *fmt, ...)
{
	va_list ap;

	if (s->failed)
		return;
	s->failed = 1;
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
}

/* Between members: NUL padding may end the file; a new member starts at
 * anything else. 1 to inflate on, 0 at the end, -1 on a read error. */
static int next_member(cur_source *s)
{
	for (;;) {
		if (raw_fill(s))
			return -1;
		while (s->in_len && *s->in == 0) {
			s->in++;
			s->in_len--;
			s->padding = 1;
		}
		if (s->in_len == 0) {
			if (s->raw_eof)
				return 0;
			continue;
		}
		if (s->padding) {
			data_fail(s, "gzip: data after the NUL padding that follows member %lu",
				  s->member);
			return 0;
		}
		/* (A magic split between two blocks is left to inflate.) */
		if (s->member && s->in_len >= 2 && (s->in[0] != 0x1f || s->in[1] != 0x8b)) {
			data_fail(s, "gzip: data after member %lu is not gzip", s->member);
			return 0;
		}
		inflateReset(&s->z);
		s->in_member = 1;
		s->member++;
		return 1;
	}
}

/* Inflate until some output is ready: its length, 0 at the end (or at a
 * data error, kept in s), or -1 with errno set. */
static ssize_t inflate_some(cur_source *s)
{
	s->z.next_out = (unsigned char *)s->out;
	s->z.avail_out = SRC_BLOCK;
	while (s->z.avail_out == SRC_BLOCK && !s->failed) {
		int rc, more;

		if (!s->in_member) {
			more = next_member(s);
			if (more <= 0)
				return more;
		}
		if (raw_fill(s))
			return -1;
		if (s->in_len == 0) {
			data_fail(s, "gzip member %lu is truncated", s->member);
			break;
		}
		s->z.next_in = (unsigned char *)s->in;
		s->z.avail_in = s->in_len > UINT32_MAX ? UINT32_MAX : (uInt)s->in_len;
		rc = inflate(&s->z, Z_NO_FLUSH);
		s->in_len -= (size_t)((const unsigned char *)s->z.next_in - s->in);
		s->in = s->z.next_in;
		if (rc == Z_STREAM_END) {
			s->in_member = 0;
		} else if (rc == Z_MEM_ERROR) {
			errno = ENOMEM;
			return -1;
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			data_fail(s, "gzip member %lu: %s", s->member,
				  s->z.msg ? s->z.msg : "corrupt data");
		}
	}
	return (ssize_t)(SRC_BLOCK - s->z.avail_out);
}

void cur_source_drain(cur_source *s)
{
	ssize_t n = 0;

	if (!s || s->gzip != 1 || !s->z_live)
		return;
	while (!s->failed && (n = inflate_some(s)) > 0)
		;
	if (!s->failed && n < 0)
		s->os_errno = errno;
}

static la_ssize_t src_read(struct archive *a, void *data, const void **out)
{
	cur_source *s = data;
	ssize_t n;

	if (s->gzip < 0 && sniff_pipe(s))
		return os_fail(a, s, errno);
	if (s->gzip) {
		if (!s->z_live) {
			if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK || !(s->out = malloc(SRC_BLOCK)))
				return os_fail(a, s, ENOMEM);
			s->z_live = 1;
		}
		n = inflate_some(s);
		*out = s->out;
	} else {
		n = raw_fill(s) ? -1 : (ssize_t)s->in_len;
		*out = s->in;
		s->in_len = 0;
	}
	return n < 0 ? os_fail(a, s, errno) : n;
}

/* Only a regular file read in place (no gzip, no read-ahead) can seek: zip
 * and 7-Zip look at the end of the file. */
static la_int64_t src_seek(struct archive *a, void *data, la_int64_t off, int whence)
{
	cur_source *s = data;
	off_t at = lseek(s->fd, (off_t)off, whence);

	if (at < 0)
		return os_fail(a, s, errno);
	s->in_len = 0;
	s->raw_eof = 0;
	return at;
}

/* What the source holds besides itself: its thread, inflater, file and
 * buffers (once). */
static void src_release(cur_source *s)
{
	cur_prefetch_stop(s->pf);
	s->pf = NULL;
	if (s->z_live)
		inflateEnd(&s->z);
	s->z_live = 0;
	if (s->own_fd)
		close(s->fd);
	s->own_fd = 0;
	free(s->buf);
	free(s->out);
	s->buf = s->out = NULL;
}

void cur_source_free(cur_source *s)
{
	if (!s)
		return;
	src_release(s);
	free(s);
}

/* libarchive closes a source when it is freed, and also when its open
 * fails: the source itself stays for the reader to ask why, and goes with
 * cur_source_free. */
static int src_close(struct archive *a, void *data)
{
	(void)a;
	src_release(data);
	return ARCHIVE_OK;
}

/* Is the regular file at fd gzip? Read its first two bytes in place. */
static int file_is_gzip(int fd)
{
	unsigned char magic[2];

	return pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

int cur_source_open(struct archive *a, const char *path, int prefetch, cur_source **src,
		    int *os_errno)
{
	cur_source *s = calloc(1, sizeof(*s));
	struct stat st;
	int e;

	*src = NULL;
	*os_errno = 0;
	if (!s) {
		*os_errno = ENOMEM;
		return ARCHIVE_FATAL;
	}
	s->gzip = -1;
	if (strcmp(path, "-") == 0) {
		s->fd = 0;
	} else {
		s->fd = open(path, O_RDONLY | O_CLOEXEC);
		s->own_fd = s->fd >= 0;
	}
	if (s->fd < 0 || fstat(s->fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		e = s->fd < 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : errno;
		goto fail;
	}
	s->regular = S_ISREG(st.st_mode);
	if (s->regular)
		s->gzip = file_is_gzip(s->fd);
	else
		prefetch = 0;
	if (prefetch && !(s->pf = cur_prefetch_start(s->fd))) {
		e = ENOMEM;
		goto fail;
	}
	if (!s->pf && !(s->buf = malloc(SRC_BLOCK))) {
		e = ENOMEM;
		goto fail;
	}
	if (s->gzip == 0 && !s->pf)
		archive_read_set_seek_callback(a, src_seek);
	*src = s;
	/* From here libarchive closes s (src_close); the caller frees it. */
	return archive_read_open(a, s, NULL, src_read, src_close);
fail:
	*os_errno = e;
	cur_source_free(s);
	archive_set_error(a, e, "%s", strerror(e));
	return ARCHIVE_FATAL;
}
