/* libFuzzer: any bytes as a corpus for the BPE trainer, with the Llama 3
 * pattern and with a pattern on PCRE2 (matches and the text between them):
 * learning ends, no more ranks than asked for are made, and every learned
 * token is two earlier tokens joined. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tokenizer/train.h"

/* A rank past the bytes must be the bytes of two lower ranks, side by side. */
static int joins_two(const tok_trainer *t, size_t r)
{
	size_t len, la, lb;
	const uint8_t *p = tok_trainer_token(t, r, &len);

	for (size_t a = 0; a < r; a++) {
		const uint8_t *pa = tok_trainer_token(t, a, &la);
		if (la >= len || memcmp(pa, p, la) != 0)
			continue;
		for (size_t b = 0; b < r; b++) {
			const uint8_t *pb = tok_trainer_token(t, b, &lb);
			if (la + lb == len && memcmp(pb, p + la, lb) == 0)
				return 1;
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const patterns[] = { NULL, "[a-z]+|\\d" };

	for (int i = 0; i < 2; i++) {
		tok_train_opts o;
		tok_trainer *t;
		cur_err err;
		int rc;

		tok_train_opts_init(&o);
		o.ranks = 256 + 24;
		o.min_frequency = 1;
		o.pattern = patterns[i];
		if (tok_trainer_new(&o, &t, &err) != CUR_OK ||
		    tok_trainer_count(t, (const char *)data, size, &err) != CUR_OK)
			abort();
		rc = tok_trainer_learn(t, &err);
		if (rc != CUR_OK && !(rc == CUR_EDATA && size == 0))
			abort();
		if (tok_trainer_ranks(t) > o.ranks)
			abort();
		for (size_t r = 256; r < tok_trainer_ranks(t); r++)
			if (!joins_two(t, r))
				abort();
		tok_trainer_free(t);
	}
	return 0;
}
