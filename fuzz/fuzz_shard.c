/* libFuzzer target for the shard readers (shards/reader.h): the input is a
 * 4-byte little-endian length L, then L bytes of .idx and the rest as .bin
 * (L = 0xffffffff: no .idx, an llm.c .bin). Headers must be checked before
 * anything is trusted, so no input may read out of bounds. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/buf.h"
#include "shards/reader.h"

static void put(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (n && fwrite(p, 1, n, f) != n)
		abort();
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char base[64], idx[80], bin[80];
	if (size < 4)
		return 0;
	uint32_t l = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
		     (uint32_t)data[3] << 24;
	data += 4;
	size -= 4;
	snprintf(base, sizeof base, "/tmp/fuzz_shard_%d", (int)getpid());
	snprintf(idx, sizeof idx, "%s.idx", base);
	snprintf(bin, sizeof bin, "%s.bin", base);
	unlink(idx);
	if (l != UINT32_MAX) {
		if (l > size)
			l = (uint32_t)size;
		put(idx, data, l);
		data += l;
		size -= l;
	}
	put(bin, data, size);
	shard_reader *r;
	cur_err e;
	if (shard_reader_open(base, &r, &e) == CUR_OK) {
		uint32_t ids[64];
		for (uint64_t k = 0; k < shard_reader_sequences(r) && k < 64; k++) {
			uint64_t st, len;
			if (shard_reader_seq_span(r, k, &st, &len, &e) == CUR_OK)
				shard_reader_read(r, st, ids, len < 64 ? (size_t)len : 64, &e);
		}
		shard_reader_close(r);
		cur_buf out;
		cur_buf_init(&out, 1 << 20);
		shard_dump_docs(base, &out, &e);
		cur_buf_release(&out);
	}
	unlink(idx);
	unlink(bin);
	return 0;
}
