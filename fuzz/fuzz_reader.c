/* libFuzzer: arbitrary bytes as an input file, through format detection,
 * decompression, the JSONL, text, archive and WARC readers. Every record is
 * either a document with valid UTF-8 or a reported error. Then the raw
 * records again, three ways that must agree: copied (cur_reader_next),
 * borrowed (cur_reader_next_line), and copied with read-ahead. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
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
	unlink(path);
	return 0;
}
