/* libFuzzer: arbitrary bytes as an input file, through format detection,
 * decompression, the JSONL, text, archive and WARC readers. Every record is
 * either a document with valid UTF-8 or a reported error. Then the raw
 * records again, three ways that must agree: copied (cur_reader_next),
 * borrowed (cur_reader_next_line), and copied with read-ahead.
 *
 * Then the same bytes as a gzip member, whole (the same records as the
 * plain file), with a byte of its trailer flipped (the same records, then
 * a reported error: CRC and length are checked), and cut where the input
 * says (for JSON Lines: a prefix of the records, then a reported error).
 * And a WARC input again with its first Content-Length made absurd. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "core/buf.h"
#include "core/reader.h"
#include "core/utf8.h"

/* FNV-1a over every raw record (text and line number) and the final status. */
static uint64_t raw_digest(const char *path, int how)
{
	cur_reader *r;
	cur_reader_opts o;
	cur_err err;
	uint64_t h = 1469598103934665603ULL;
	int rc = CUR_OK;

	cur_reader_opts_init(&o);
	o.max_doc_bytes = 1 << 20;
	o.prefetch = how == 2;
	if (cur_reader_open(&r, path, &o, &err) != CUR_OK)
		return 0;
	for (int n = 0; n < 10000; n++) {
		const char *p = NULL;
		size_t len = 0;
		uint64_t rec = 0;
		cur_doc d;

		cur_doc_init(&d);
		if (how == 1) {
			rc = cur_reader_next_line(r, &p, &len, &rec, &err);
			if (rc == CUR_EINVAL) { /* not JSON Lines: compare as the others do */
				cur_doc_release(&d);
				cur_reader_close(r);
				return raw_digest(path, 0);
			}
		} else {
			rc = cur_reader_next(r, &d, &err);
			if (rc == CUR_OK) {
				p = d.text;
				len = d.text_len;
				rec = d.record;
			}
		}
		for (size_t i = 0; rc == CUR_OK && i < len; i++)
			h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
		h = (h ^ (rc == CUR_OK ? rec : 0) ^ (uint64_t)(rc + 100) << 40) * 1099511628211ULL;
		cur_doc_release(&d);
		if (rc == CUR_EOF || rc == CUR_EIO || rc == CUR_ENOMEM)
			break;
	}
	cur_reader_close(r);
	return h;
}

/* What a reader gives for a file: a hash per document and the errors. */
typedef struct seq {
	uint64_t h[256];
	int n, errors, opened;
	int archive;
} seq;

static void read_seq(const char *path, seq *s)
{
	cur_reader *r;
	cur_reader_opts o;
	cur_err err;

	memset(s, 0, sizeof(*s));
	cur_reader_opts_init(&o);
	o.max_doc_bytes = 1 << 20;
	if (cur_reader_open(&r, path, &o, &err) != CUR_OK) {
		s->errors++;
		return;
	}
	s->opened = 1;
	for (int k = 0; k < 10000; k++) {
		cur_doc d;
		int rc;

		cur_doc_init(&d);
		rc = cur_reader_next(r, &d, &err);
		if (rc == CUR_OK && s->n < 256) {
			uint64_t h = 1469598103934665603ULL ^ d.record;

			for (size_t i = 0; i < d.text_len; i++)
				h = (h ^ (unsigned char)d.text[i]) * 1099511628211ULL;
			s->h[s->n++] = h;
		}
		s->errors += rc == CUR_EDATA || rc == CUR_EIO;
		cur_doc_release(&d);
		if (rc == CUR_EOF || rc == CUR_EIO || rc == CUR_ENOMEM)
			break;
	}
	s->archive = strcmp(cur_reader_format(r), "archive") == 0;
	cur_reader_close(r);
}

static int same_records(const seq *a, const seq *b, int prefix)
{
	if (prefix ? b->n > a->n : b->n != a->n)
		return 0;
	return memcmp(a->h, b->h, (size_t)b->n * sizeof(a->h[0])) == 0;
}

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(p, 1, n, f) == n;

	if (f)
		fclose(f);
	return ok;
}

static size_t gzip_of(const uint8_t *data, size_t size, cur_buf *out)
{
	z_stream z;
	uLong bound;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	bound = deflateBound(&z, (uLong)size) + 32;
	if (cur_buf_reserve(out, bound)) {
		deflateEnd(&z);
		return 0;
	}
	z.next_in = (unsigned char *)(uintptr_t)data;
	z.avail_in = (uInt)size;
	z.next_out = (unsigned char *)out->data;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		return 0;
	}
	out->len = bound - z.avail_out;
	deflateEnd(&z);
	return out->len;
}

static void gzip_checks(const char *plain, const uint8_t *data, size_t size)
{
	char path[] = "/tmp/curate-fuzz-gz-XXXXXX";
	int fd = mkstemp(path);
	cur_buf gz;
	seq p, whole, bad;
	size_t n;

	if (fd < 0)
		return;
	close(fd);
	cur_buf_init(&gz, CUR_BUF_UNLIMITED);
	/* A gzip of gzip is inflated twice, once by libarchive: skip it. */
	if ((size >= 2 && data[0] == 0x1f && data[1] == 0x8b) || !(n = gzip_of(data, size, &gz)) ||
	    !write_file(path, gz.data, n))
		goto out;
	read_seq(plain, &p);
	read_seq(path, &whole);
	/* (A zip is found by its end on a plain file, as it streams in gzip:
	 * a broken central directory fails the one and not the other.) */
	if (!p.archive && !(size >= 2 && data[0] == 'P' && data[1] == 'K') &&
	    (!same_records(&p, &whole, 0) || p.errors != whole.errors))
		abort();
	gz.data[n - 1 - size % 8] ^= 0x20; /* CRC (n-8..n-5) or length (n-4..n-1) */
	if (!write_file(path, gz.data, n))
		goto out;
	read_seq(path, &bad);
	if (!same_records(&whole, &bad, 1) || bad.errors == 0)
		abort();
	gz.data[n - 1 - size % 8] ^= 0x20;
	if (size && data[0] == '{') {
		size_t cut = 10 + (size * 7919) % (n - 10);

		if (!write_file(path, gz.data, cut))
			goto out;
		read_seq(path, &bad);
		if (!same_records(&whole, &bad, 1) || bad.errors == 0)
			abort();
	}
out:
	cur_buf_release(&gz);
	unlink(path);
}

/* A WARC input whose first Content-Length says 99999999999: read it
 * through, as the checks above do for every input. */
static void huge_length(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/curate-fuzz-warc-XXXXXX";
	const char *p = (const char *)data;
	const char *at = size > 5 && memcmp(p, "WARC/", 5) == 0 ?
		memmem(p, size, "Content-Length:", 15) : NULL;
	cur_buf b;
	seq s;
	int fd;

	if (!at)
		return;
	at += 15;
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	cur_buf_append(&b, p, (size_t)(at - p));
	cur_buf_append(&b, " 99999999999", 12);
	while (at < p + size && (*at == ' ' || (*at >= '0' && *at <= '9')))
		at++;
	cur_buf_append(&b, at, size - (size_t)(at - p));
	fd = mkstemp(path);
	if (fd >= 0) {
		close(fd);
		if (write_file(path, b.data, b.len))
			read_seq(path, &s);
		unlink(path);
	}
	cur_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/curate-fuzz-XXXXXX";
	int fd = mkstemp(path);
	cur_reader *r;
	cur_reader_opts o;
	cur_err err;
	int n = 0;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	cur_reader_opts_init(&o);
	o.max_doc_bytes = 1 << 20;
	if (cur_reader_open(&r, path, &o, &err) == CUR_OK) {
		for (; n < 10000; n++) {
			cur_doc d;
			int rc;

			cur_doc_init(&d);
			rc = cur_reader_read(r, &d, &err);
			if (rc == CUR_OK && cur_utf8_valid_prefix(d.text, d.text_len) != d.text_len)
				abort();
			cur_doc_release(&d);
			if (rc == CUR_EOF || rc == CUR_EIO || rc == CUR_ENOMEM)
				break;
		}
		cur_reader_close(r);
	}
	uint64_t copied = raw_digest(path, 0);
	if (raw_digest(path, 1) != copied || raw_digest(path, 2) != copied)
		abort();
	gzip_checks(path, data, size);
	huge_length(data, size);
	unlink(path);
	return 0;
}
