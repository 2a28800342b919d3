#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include "core/buf.h"
#include "core/file.h"
#include "core/sink.h"
#include "core/writer.h"

/* The JSON Lines writer: documents are serialized into a buffer that is
 * flushed through zstd, gzip (zlib) or straight to the file in large
 * writes. Regular files are atomic outputs (core/file.h).
 *
 * Compressed bytes are the same for the same documents, whatever the
 * thread count and the day: zstd always runs in its multi-threaded mode
 * (whose frame layout does not depend on the number of workers, where the
 * single-threaded mode's differs), and gzip members carry no time and no
 * name. */

enum out_mode { OUT_PLAIN, OUT_ZSTD, OUT_GZIP };

struct cur_out {
	char *path;       /* final name, NULL for stdout */
	cur_atomic file;  /* the temporary file of a regular file */
	int fd;
	enum out_mode mode;
	ZSTD_CCtx *zc;
	char *zbuf;           /* compressed bytes on their way out (zstd, gzip) */
	size_t zcap;
	z_stream gz;
	int gz_live;
	cur_buf pending;
	int failed;
	int in_place;     /* not a regular file: no temporary, no rename */
	char errmsg[256];
};

#define FLUSH_AT (1 << 20)

static int write_all(cur_out *o, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(o->fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->failed = 1;
			if (o->path)
				snprintf(o->errmsg, sizeof(o->errmsg), "cannot write '%s': %s", o->path,
					 strerror(errno));
			else
				snprintf(o->errmsg, sizeof(o->errmsg),
					 "cannot write to standard output: %s", strerror(errno));
			return CUR_EIO;
		}
		c += w;
		n -= (size_t)w;
	}
	return CUR_OK;
}

static int zstd_push(cur_out *o, const void *p, size_t n, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { p, n, 0 };

	for (;;) {
		ZSTD_outBuffer out = { o->zbuf, o->zcap, 0 };
		size_t left = ZSTD_compressStream2(o->zc, &out, &in, end);

		if (ZSTD_isError(left)) {
			o->failed = 1;
			snprintf(o->errmsg, sizeof(o->errmsg), "cannot write '%s': zstd: %s",
				 o->path ? o->path : "stdout", ZSTD_getErrorName(left));
			return CUR_EIO;
		}
		CUR_FORWARD(write_all(o, o->zbuf, out.pos));
		if (end == ZSTD_e_continue ? in.pos == in.size : left == 0)
			return CUR_OK;
	}
}

static int gzip_push(cur_out *o, const void *p, size_t n, int final)
{
	o->gz.next_in = (unsigned char *)(uintptr_t)p;
	o->gz.avail_in = (uInt)n;
	for (;;) {
		int rc;

		o->gz.next_out = (unsigned char *)o->zbuf;
		o->gz.avail_out = (uInt)o->zcap;
		rc = deflate(&o->gz, final ? Z_FINISH : Z_NO_FLUSH);
		if (rc == Z_STREAM_ERROR) {
			o->failed = 1;
			snprintf(o->errmsg, sizeof(o->errmsg), "cannot write '%s': gzip: %s",
				 o->path ? o->path : "stdout", o->gz.msg ? o->gz.msg : "deflate failed");
			return CUR_EIO;
		}
		CUR_FORWARD(write_all(o, o->zbuf, o->zcap - o->gz.avail_out));
		if (final ? rc == Z_STREAM_END : o->gz.avail_in == 0 && o->gz.avail_out != 0)
			return CUR_OK;
	}
}

static int out_flush(cur_out *o, int final)
{
	int rc = CUR_OK;

	if (o->failed)
		return CUR_EIO;
	switch (o->mode) {
	case OUT_PLAIN:
		rc = write_all(o, o->pending.data, o->pending.len);
		break;
	case OUT_ZSTD:
		rc = zstd_push(o, o->pending.data, o->pending.len,
			       final ? ZSTD_e_end : ZSTD_e_continue);
		break;
	case OUT_GZIP: {
		/* In pieces: zlib counts its input in 32 bits. */
		size_t at = 0, n;

		do {
			n = o->pending.len - at < (1u << 30) ? o->pending.len - at : (1u << 30);
			rc = gzip_push(o, n ? o->pending.data + at : "", n,
				       final && at + n == o->pending.len);
			at += n;
		} while (rc == CUR_OK && at < o->pending.len);
		break;
	}
	}
	cur_buf_reset(&o->pending);
	return rc;
}

/* One gzip member whose header holds no time and no name (zlib's own
 * header: mtime 0), at zlib's default level. */
static int open_gzip(cur_out *o)
{
	o->zcap = 1 << 17;
	o->zbuf = malloc(o->zcap);
	if (!o->zbuf || deflateInit2(&o->gz, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
				     Z_DEFAULT_STRATEGY) != Z_OK)
		return CUR_ENOMEM;
	o->gz_live = 1;
	return CUR_OK;
}

int cur_out_open(cur_out **out, const char *path, int threads, cur_err *err)
{
	cur_out *o = calloc(1, sizeof(*o));
	int rc = CUR_OK;

	*out = NULL;
	if (!o)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	o->fd = 1;
	o->file = (cur_atomic)CUR_ATOMIC_INIT;
	cur_buf_init(&o->pending, CUR_BUF_UNLIMITED);
	if (path && strcmp(path, "-") != 0) {
		o->path = strdup(path);
		if (!o->path) {
			free(o);
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		}
		struct stat st;

		/* A device or pipe (-o /dev/null, a FIFO) is written in place: a
		 * rename would replace the device with a regular file. */
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			o->fd = open(path, O_WRONLY);
			if (o->fd < 0) {
				rc = cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path,
						 strerror(errno));
				goto fail;
			}
			o->in_place = 1;
		} else {
			rc = cur_atomic_open(&o->file, path, err);
			if (rc)
				goto fail;
			o->fd = o->file.fd;
		}
		if (cur_str_ends_with(path, ".zst") || cur_str_ends_with(path, ".zstd"))
			o->mode = OUT_ZSTD;
		else if (cur_str_ends_with(path, ".gz"))
			o->mode = OUT_GZIP;
	}
	if (o->mode == OUT_ZSTD) {
		o->zc = ZSTD_createCCtx();
		o->zcap = ZSTD_CStreamOutSize();
		o->zbuf = malloc(o->zcap);
		if (!o->zc || !o->zbuf) {
			rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
			goto fail;
		}
		ZSTD_CCtx_setParameter(o->zc, ZSTD_c_compressionLevel, 3);
		ZSTD_CCtx_setParameter(o->zc, ZSTD_c_checksumFlag, 1);
		/* At least one worker, at -j 1 too: see the top of the file. (A
		 * libzstd without threads refuses it, and then every run is
		 * single-threaded alike.) */
		ZSTD_CCtx_setParameter(o->zc, ZSTD_c_nbWorkers, threads > 1 ? threads : 1);
	} else if (o->mode == OUT_GZIP && open_gzip(o) != CUR_OK) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto fail;
	}
	*out = o;
	return CUR_OK;
fail:
	cur_out_free(o);
	return rc;
}

int cur_out_write(cur_out *o, const void *p, size_t n)
{
	CUR_FORWARD(cur_buf_append(&o->pending, p, n));
	if (o->pending.len >= FLUSH_AT)
		return out_flush(o, 0);
	return CUR_OK;
}

cur_buf *cur_out_buffer(cur_out *o)
{
	return &o->pending;
}

int cur_out_maybe_flush(cur_out *o)
{
	return o->pending.len >= FLUSH_AT ? out_flush(o, 0) : CUR_OK;
}

int cur_out_finish(cur_out *o, cur_err *err)
{
	int rc = out_flush(o, 1);

	if (rc != CUR_OK)
		return cur_err_set(err, CUR_EIO, "%s", o->errmsg[0] ? o->errmsg : "write failed");
	if (o->path && o->in_place) {
		if (close(o->fd) != 0) {
			o->fd = -1;
			return cur_err_set(err, CUR_EIO, "cannot write '%s': %s", o->path,
					   strerror(errno));
		}
	} else if (o->path) {
		rc = cur_atomic_commit(&o->file, 0, err);
	}
	o->fd = -1;
	return rc;
}

const char *cur_out_error(const cur_out *o)
{
	return o->errmsg;
}

void cur_out_free(cur_out *o)
{
	if (!o)
		return;
	if (o->gz_live)
		deflateEnd(&o->gz);
	if (o->in_place && o->fd >= 0)
		close(o->fd);
	cur_atomic_rollback(&o->file);
	ZSTD_freeCCtx(o->zc);
	free(o->zbuf);
	free(o->path);
	cur_buf_release(&o->pending);
	free(o);
}

/* ---- the JSONL sink over cur_out ---- */

/* Serializing is the costly part of writing: do it on the workers, in
 * prepare(), and leave the ordered turn only the copy into the output. */
static void free_line(void *p)
{
	cur_buf *b = p;

	cur_buf_release(b);
	free(b);
}

static int jsonl_prepare(cur_sink *self, void *tls, cur_doc *doc, cur_err *err)
{
	cur_buf *line;
	int rc;

	(void)tls;
	(void)err;
	if (doc->raw_json == 2)
		return CUR_OK; /* already a checked, minified line: write() copies it */
	line = malloc(sizeof(*line));
	if (!line)
		return CUR_ENOMEM;
	cur_buf_init(line, CUR_BUF_UNLIMITED);
	rc = cur_doc_to_json(doc, line);
	if (rc) {
		free_line(line);
		return rc;
	}
	return cur_doc_attach(doc, self, line, free_line);
}

static int jsonl_write(cur_sink *self, cur_doc *doc, cur_err *err)
{
	cur_out *o = self->priv;
	cur_buf *line = cur_doc_attached(doc, self);
	int rc;

	if (line)
		rc = cur_buf_append(cur_out_buffer(o), line->data, line->len);
	else
		rc = cur_doc_to_json(doc, cur_out_buffer(o));
	if (rc == CUR_OK)
		rc = cur_out_maybe_flush(o);
	if (rc < 0 && o->errmsg[0])
		cur_err_set(err, rc, "%s", o->errmsg);
	return rc;
}

static int jsonl_finish(cur_sink *self, json_t *report, cur_err *err)
{
	(void)report;
	return cur_out_finish(self->priv, err);
}

static void jsonl_destroy(cur_sink *self)
{
	if (!self)
		return;
	cur_out_free(self->priv);
	free(self);
}

static const cur_sink_ops jsonl_ops = {
	.prepare = jsonl_prepare,
	.write = jsonl_write,
	.finish = jsonl_finish,
	.destroy = jsonl_destroy,
};

cur_sink *cur_jsonl_sink_new(const char *path, int threads, cur_err *err)
{
	cur_sink *s = calloc(1, sizeof(*s));

	if (!s) {
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	if (cur_out_open((cur_out **)&s->priv, path, threads, err) != CUR_OK) {
		free(s);
		return NULL;
	}
	s->ops = &jsonl_ops;
	return s;
}
