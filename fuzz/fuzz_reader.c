/* libFuzzer: arbitrary bytes as an input file, through format detection,
 * decompression, the JSONL, text, archive and WARC readers. Every record is
 * either a document with valid UTF-8 or a reported error. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "core/reader.h"
#include "core/utf8.h"

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
	unlink(path);
	return 0;
}
