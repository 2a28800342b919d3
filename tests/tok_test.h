/* Shared by the tokenizer's Check suites (check_tokenizer.c,
 * check_tokenizer_bpe.c, check_tokenizer_train.c): the data paths, the
 * golden cases and the Llama 3 vocabulary loaded once per process, a
 * deterministic generator, UTF-8 output. */
#ifndef TESTS_TOK_TEST_H
#define TESTS_TOK_TEST_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include "core/buf.h"
#include "tokenizer/tokenizer.h"

static tok_tokenizer *llama3;

static inline const char *srcdir(void)
{
	const char *s = getenv("top_srcdir");
	return s && *s ? s : CUR_SRCDIR;
}

static inline char *data_path(const char *rel)
{
	static char buf[8][4096];
	static int next;
	char *p = buf[next++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", srcdir(), rel);
	return p;
}

/* A small deterministic generator (xorshift64*). */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static inline uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}
static inline uint32_t rnd_below(uint32_t n) { return (uint32_t)(rnd() % n); }

/* The golden cases (tests/data/tokenizer/llama3-golden.jsonl: text and
 * Llama 3 ids), read once per process. */
typedef struct golden {
	json_t **cases;
	size_t n;
} golden;

static inline const golden *golden_load(void)
{
	static golden gold;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;

	if (gold.n)
		return &gold;
	f = fopen(data_path("tests/data/tokenizer/llama3-golden.jsonl"), "r");
	ck_assert_ptr_nonnull(f);
	gold.cases = calloc(1024, sizeof(json_t *));
	while (getline(&line, &cap, f) > 0) {
		json_error_t je;
		json_t *o = json_loads(line, JSON_ALLOW_NUL, &je);
		ck_assert_msg(o != NULL, "golden line %zu: %s", gold.n + 1, je.text);
		ck_assert_uint_lt(gold.n, 1024);
		gold.cases[gold.n++] = o;
	}
	free(line);
	fclose(f);
	return &gold;
}

static inline void setup(void)
{
	cur_err err;
	char path[4096];

	if (llama3)
		return;
	snprintf(path, sizeof(path), "%s", data_path("data/tokenizers/llama3.tiktoken"));
	ck_assert_msg(tok_load(path, &llama3, &err) == CUR_OK, "%s", err.msg);
}

static inline void put_utf8(cur_buf *b, uint32_t cp)
{
	char s[4];
	size_t n;

	if (cp < 0x80) {
		s[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		s[0] = (char)(0xC0 | cp >> 6);
		s[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		s[0] = (char)(0xE0 | cp >> 12);
		s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		s[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		s[0] = (char)(0xF0 | cp >> 18);
		s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		s[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	ck_assert_int_eq(cur_buf_append(b, s, n), 0);
}

#endif
