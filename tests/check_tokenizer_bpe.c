/* Check suite for the tokenizer's encoder parts: Unicode 16.0 classes, the
 * scanner against PCRE2, BPE against the reference algorithm, the piece
 * cache, long inputs. */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <utf8proc.h>
#include "core/buf.h"
#include "tokenizer/pretok.h"
#include "tokenizer/tok_extra.h"
#include "tokenizer/tok_int.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode_tables.h"

#include "tests/tok_test.h"

/* ---- Unicode 16.0 classes ---- */

typedef struct cp_range {
	uint32_t first, last;
	int newer; /* age ">15.0": not in utf8proc's Unicode 15.0 either */
} cp_range;

static cp_range ranges[128];
static size_t nranges;

static void ranges_load(void)
{
	FILE *f;
	char line[256];

	if (nranges)
		return;
	f = fopen(data_path("tests/data/tokenizer/pcre2-10.42-ucp-vs-hf.tsv"), "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned a, b, count;
		char age[16];
		if (sscanf(line, "U+%x\tU+%x\t%u\t%15s", &a, &b, &count, age) != 4)
			continue;
		ck_assert_uint_eq(b - a + 1, count);
		ranges[nranges].first = a;
		ranges[nranges].last = b;
		ranges[nranges].newer = age[0] == '>';
		nranges++;
	}
	fclose(f);
	ck_assert_uint_eq(nranges, 44);
}

static const cp_range *range_of(uint32_t cp)
{
	for (size_t i = 0; i < nranges; i++)
		if (cp >= ranges[i].first && cp <= ranges[i].last)
			return &ranges[i];
	return NULL;
}

START_TEST(test_unicode_tsv_classified)
{
	size_t total = 0;

	ranges_load();
	/* Every code point where PCRE2 10.42 differs gets the Unicode 16.0
	 * class: U+180E is not White_Space, the rest are new letters/digits. */
	for (size_t i = 0; i < nranges; i++) {
		for (uint32_t cp = ranges[i].first; cp <= ranges[i].last; cp++, total++) {
			int c = tok_uc_class(cp);
			if (cp == 0x180E)
				ck_assert_int_eq(c, TOK_UC_OTHER);
			else
				ck_assert_msg(c == TOK_UC_L || c == TOK_UC_N, "U+%04X class %d", cp, c);
		}
	}
	ck_assert_uint_eq(total, 9393);
	ck_assert_int_eq(tok_uc_class(0x1E4F0), TOK_UC_N); /* Nag Mundari digit zero (15.0) */
	ck_assert_int_eq(tok_uc_class(0x1CCF0), TOK_UC_N); /* outlined digit zero (16.0) */
	ck_assert_int_eq(tok_uc_class(0x13460), TOK_UC_L); /* Egyptian hieroglyph (16.0) */
	ck_assert_int_eq(tok_uc_class(0x323B0), TOK_UC_OTHER); /* CJK Ext. J is Unicode 17 */
}
END_TEST

START_TEST(test_unicode_vs_utf8proc)
{
	static const uint32_t ws[] = { 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680,
				       0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
				       0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F,
				       0x205F, 0x3000 };
	size_t nws = 0, differ = 0;

	ranges_load();
	/* utf8proc has Unicode 15.0: it must agree everywhere except on what
	 * 15.1 and 16.0 added (the ">15.0" rows of the .tsv). */
	for (uint32_t cp = 0; cp < 0x110000; cp++) {
		utf8proc_category_t cat;
		int want, got = tok_uc_class(cp);
		const cp_range *r;

		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		if (got == TOK_UC_WS) {
			nws++;
			continue;
		}
		cat = utf8proc_category((utf8proc_int32_t)cp);
		want = cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO ? TOK_UC_L :
		       cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO ? TOK_UC_N :
		       TOK_UC_OTHER;
		if (want == got)
			continue;
		r = range_of(cp);
		ck_assert_msg(r && r->newer, "U+%04X: class %d, utf8proc says %d", cp, got, want);
		differ++;
	}
	ck_assert_uint_eq(nws, 25);
	for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++)
		ck_assert_int_eq(tok_uc_class(ws[i]), TOK_UC_WS);
	ck_assert_int_ne(tok_uc_class(0x200B), TOK_UC_WS);
	ck_assert_int_ne(tok_uc_class(0xFEFF), TOK_UC_WS);
	ck_assert_uint_gt(differ, 4000);
	ck_assert_int_eq(tok_uc_class(0x110000), TOK_UC_OTHER);
}
END_TEST

/* ---- the scanner against PCRE2 ---- */

typedef struct pieces {
	size_t off[4096];
	size_t n;
	const uint8_t *base;
} pieces;

static int collect(void *ctx, const uint8_t *p, size_t n)
{
	pieces *ps = ctx;
	(void)n;
	if (ps->n < 4096)
		ps->off[ps->n++] = (size_t)(p - ps->base);
	return 0;
}

/* A random code point where Unicode 14 and 16 agree (not in the .tsv). */
static uint32_t random_cp(void)
{
	static const uint32_t pool[] = {
		' ', ' ', ' ', '\t', '\n', '\r', '\n', 0x0B, 0x0C, 0x85, 0xA0, 0x1680, 0x2000,
		0x2003, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0x200B, 0xFEFF, 0x200D,
		'\'', '\'', '\'', 's', 'S', 't', 'T', 'r', 'R', 'e', 'E', 'v', 'V', 'm', 'M',
		'l', 'L', 'd', 'D', 0x17F, 0x212A, 'a', 'z', 'Q', '0', '5', '9', '.', ',', '!',
		'-', '(', '<', '|', '>', '_', '#', '"', 0x300, 0x301, 0x308, 0x64B, 0x93F, 0xE31,
		0x1F600, 0x1F44D, 0x1F3FD, 0xFE0F, 0x2764, 0x1F1FA, 0x1F1F8, 0x660, 0x669, 0x966,
		0xFF10, 0xB2, 0xBD, 0x2160, 0x216B, 0x3007, 0x4E00, 0x65E5, 0x3042, 0x30AB, 0xAC00,
		0x410, 0x44F, 0x3B1, 0x5D0, 0x627, 0x645, 0x905, 0xE01, 0x10A0, 0x1200, 0x13A0,
		0x2070, 0x2080, 0x24B6, 0x1D400, 0x1D7CE, 0x10400, 0x20000, 0xE000, 0xFFFD, 0x1C89
	};
	for (;;) {
		uint32_t cp, r = rnd_below(10);
		if (r < 7)
			cp = pool[rnd_below(sizeof(pool) / sizeof(pool[0]))];
		else if (r < 8)
			cp = rnd_below(0x3000);
		else
			cp = rnd_below(0x110000);
		if ((cp >= 0xD800 && cp <= 0xDFFF) || range_of(cp))
			continue;
		return cp;
	}
}

START_TEST(test_pcre2_oracle)
{
	cur_err err;
	tok_pcre2 *re = tok_pcre2_new(&err);
	cur_buf b;
	pieces *want = malloc(sizeof(*want));
	size_t strings = 0, npieces = 0;

	ck_assert_ptr_nonnull(re);
	ranges_load();
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = 1 + rnd_below(iter < 10000 ? 12 : 60), pos = 0, k = 0;
		cur_buf_reset(&b);
		for (size_t i = 0; i < n; i++)
			put_utf8(&b, random_cp());
		want->n = 0;
		want->base = (const uint8_t *)b.data;
		ck_assert_int_eq(tok_pcre2_split(re, want->base, b.len, collect, want), 0);
		while (pos < b.len) {
			ck_assert_msg(k < want->n && want->off[k] == pos,
				      "string %d: scanner piece at byte %zu, PCRE2 differs", iter, pos);
			pos = tok_pretok_next(want->base, b.len, pos);
			k++;
		}
		ck_assert_uint_eq(k, want->n);
		strings++;
		npieces += k;
	}
	fprintf(stderr, "scanner = PCRE2 on %zu random strings (%zu pieces)\n", strings, npieces);
	free(want);
	cur_buf_release(&b);
	tok_pcre2_free(re);
}
END_TEST

/* ---- BPE against the reference algorithm ---- */

/* tiktoken's byte_pair_merge, quadratic, as the reference. */
static void reference_bpe(const tok_tokenizer *t, const uint8_t *s, size_t n, tok_ids *out)
{
	size_t *start = malloc((n + 1) * sizeof(size_t)), m = n;
	uint32_t id;

	if (n <= t->max_len && (id = tok_table_find(t, &t->ranks, s, n)) != TOK_NONE) {
		tok_ids_push(out, id);
		free(start);
		return;
	}
	for (size_t i = 0; i <= n; i++)
		start[i] = i;
	for (;;) {
		uint32_t min = TOK_NONE;
		size_t best = 0;
		for (size_t i = 0; i + 1 < m; i++) {
			size_t len = start[i + 2] - start[i];
			uint32_t r = len <= t->max_len ? tok_table_find(t, &t->ranks, s + start[i], len)
							: TOK_NONE;
			if (r < min) {
				min = r;
				best = i;
			}
		}
		if (min == TOK_NONE)
			break;
		memmove(start + best + 1, start + best + 2, (m - best - 1) * sizeof(size_t));
		m--;
	}
	for (size_t i = 0; i < m; i++)
		tok_ids_push(out, tok_table_find(t, &t->ranks, s + start[i], start[i + 1] - start[i]));
	free(start);
}

START_TEST(test_bpe_safe_cuts)
{
	/* Long segments are merged between safe cuts (bpe.c): with a tiny
	 * window nearly every segment is cut, and the ids must not change. */
	static const char *const alphabets[] = {
		"abcdefghijklmnopqrstuvwxyz", "qxzjkvw",
		"\xe4\xb8\x80\xe4\xba\x8c\xe6\x97\xa5\xe6\x9c\xac\xe3\x81\x82\xe3\x82\xa2",
		"\xd0\xb0\xd0\xb1\xd0\xb2\xd0\xb3\xd1\x8f", "ab\xc3\xa9\xc3\xb8z"
	};
	tok_tokenizer *t;
	cur_err err;
	tok_ids got, want;
	cur_buf b;

	setup();
	ck_assert_int_eq(tok_load(data_path("data/tokenizers/llama3.tiktoken"), &t, &err), 0);
	t->cut_window = 40;
	tok_ids_init(&got);
	tok_ids_init(&want);
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	for (int iter = 0; iter < 400; iter++) {
		const char *al = alphabets[iter % 5];
		size_t n = 50 + rnd_below(iter % 20 == 0 ? 5000 : 600), alen = strlen(al);
		cur_buf_reset(&b);
		while (b.len < n) {
			size_t i = rnd_below((uint32_t)alen);
			uint32_t cp;
			while (i > 0 && ((uint8_t)al[i] & 0xC0) == 0x80)
				i--;
			cur_buf_append(&b, al + i, tok_utf8_decode((const uint8_t *)al + i, alen - i, &cp));
		}
		got.len = want.len = 0;
		ck_assert_int_eq(tok_encode(t, b.data, b.len, 0, &got), 0);
		ck_assert_int_eq(tok_encode(llama3, b.data, b.len, 0, &want), 0);
		ck_assert_uint_eq(got.len, want.len);
		ck_assert(memcmp(got.ids, want.ids, got.len * sizeof(uint32_t)) == 0);
	}
	tok_ids_release(&got);
	tok_ids_release(&want);
	cur_buf_release(&b);
	tok_free(t);
}
END_TEST

START_TEST(test_bpe_runs)
{
	/* Runs of one byte merge run-length encoded (bpe.c): force that path
	 * on every run and compare with the heap on runs of every length. */
	static const char bytes[] = " a\n\t=-._~zQ\x80\xff";
	tok_tokenizer *rle, *heap;
	cur_err err;
	tok_ids got, want;
	char *buf = malloc(30000);
	size_t runs = 0;

	ck_assert_int_eq(tok_load(data_path("data/tokenizers/llama3.tiktoken"), &rle, &err), 0);
	ck_assert_int_eq(tok_load(data_path("data/tokenizers/llama3.tiktoken"), &heap, &err), 0);
	rle->run_min = 2;
	heap->run_min = SIZE_MAX;
	heap->cut_window = SIZE_MAX;
	tok_ids_init(&got);
	tok_ids_init(&want);
	for (size_t b = 0; b < sizeof(bytes) - 1; b++) {
		for (size_t n = 2; n < 1200; n += n < 300 ? 1 : 1 + rnd_below(40)) {
			memset(buf, bytes[b], n);
			got.len = want.len = 0;
			ck_assert_int_eq(tok_encode(rle, buf, n, 0, &got), 0);
			ck_assert_int_eq(tok_encode(heap, buf, n, 0, &want), 0);
			ck_assert_msg(got.len == want.len &&
				      memcmp(got.ids, want.ids, got.len * sizeof(uint32_t)) == 0,
				      "run of %zu x 0x%02x differs", n, (uint8_t)bytes[b]);
			runs++;
		}
		memset(buf, bytes[b], 30000);
		got.len = want.len = 0;
		tok_encode(rle, buf, 30000, 0, &got);
		tok_encode(heap, buf, 30000, 0, &want);
		ck_assert(got.len == want.len &&
			  memcmp(got.ids, want.ids, got.len * sizeof(uint32_t)) == 0);
	}
	/* A few runs side by side ("'" then a's, spaces then a tab, "aaabbb"). */
	for (int iter = 0; iter < 3000; iter++) {
		static const char mix[] = " a'\nb=\t-";
		size_t n = 0;
		for (uint32_t k = 1 + rnd_below(5); k > 0 && n < 20000; k--) {
			size_t len = 1 + rnd_below(k == 1 ? 3000 : 300);
			memset(buf + n, mix[rnd_below(sizeof(mix) - 1)], len);
			n += len;
		}
		got.len = want.len = 0;
		ck_assert_int_eq(tok_encode(rle, buf, n, 0, &got), 0);
		ck_assert_int_eq(tok_encode(heap, buf, n, 0, &want), 0);
		ck_assert_msg(got.len == want.len &&
			      memcmp(got.ids, want.ids, got.len * sizeof(uint32_t)) == 0,
			      "mixed runs %d differ", iter);
	}
	ck_assert_uint_gt(runs, 4000);
	tok_ids_release(&got);
	tok_ids_release(&want);
	tok_free(rle);
	tok_free(heap);
	free(buf);
}
END_TEST

START_TEST(test_bpe_long_pieces)
{
	static const char *const alphabets[] = { "ab", "aeiou", "abcdefghijklmnopqrstuvwxyz",
						 "\xe4\xb8\x80\xe4\xba\x8c\xe6\x97\xa5\xe6\x9c\xac",
						 "  ", "\xd0\xb0\xd0\xb1", "ab\xc3\xa9" };
	tok_ids got, want;
	cur_buf b;
	size_t pieces = 0;

	setup();
	tok_ids_init(&got);
	tok_ids_init(&want);
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	for (int iter = 0; iter < 300; iter++) {
		const char *al = alphabets[iter % 7];
		size_t n = 20 + rnd_below(iter % 10 == 0 ? 3000 : 400), pos = 0;
		cur_buf_reset(&b);
		/* One pre-token: a run of letters (or of spaces), with multibyte
		 * letters kept whole. */
		while (b.len < n) {
			size_t alen = strlen(al), i = rnd_below((uint32_t)alen);
			while (i > 0 && ((uint8_t)al[i] & 0xC0) == 0x80)
				i--;
			uint32_t cp;
			size_t cl = tok_utf8_decode((const uint8_t *)al + i, alen - i, &cp);
			cur_buf_append(&b, al + i, cl);
		}
		got.len = want.len = 0;
		ck_assert_int_eq(tok_encode(llama3, b.data, b.len, 0, &got), 0);
		while (pos < b.len) {
			size_t end = tok_pretok_next((const uint8_t *)b.data, b.len, pos);
			reference_bpe(llama3, (const uint8_t *)b.data + pos, end - pos, &want);
			pos = end;
			pieces++;
		}
		ck_assert_uint_eq(got.len, want.len);
		ck_assert(memcmp(got.ids, want.ids, got.len * sizeof(uint32_t)) == 0);
	}
	ck_assert_uint_ge(pieces, 300);
	tok_ids_release(&got);
	tok_ids_release(&want);
	cur_buf_release(&b);
}
END_TEST

START_TEST(test_piece_cache)
{
	/* Rare words repeat: their ids come from the per-call cache, and must
	 * equal encoding each piece on its own (short texts skip the cache). */
	static const char *const words[] = {
		" Xylophonequartzite", " \xce\xa9\xce\xbc\xce\xad\xce\xb3\xce\xb1\xce\xbb",
		" \xe9\xa1\xba\xe9\xa3\x8e\xe8\x80\xb3\xe6\x9c\xb5", "getElementByIdFoo", "\n\n",
		" \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\xd1\x81\xd1\x82\xd0\xb2",
		" the", "123456", " zzqx", "'s"
	};
	tok_ids whole, parts;
	cur_buf b;
	size_t pos = 0;

	setup();
	tok_ids_init(&whole);
	tok_ids_init(&parts);
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	for (int i = 0; i < 3000; i++) {
		const char *w = words[rnd_below(10)];
		cur_buf_append(&b, w, strlen(w));
	}
	ck_assert_int_eq(tok_encode(llama3, b.data, b.len, 0, &whole), 0);
	while (pos < b.len) {
		size_t end = tok_pretok_next((const uint8_t *)b.data, b.len, pos);
		ck_assert_uint_lt(end - pos, 256);
		tok_encode(llama3, b.data + pos, end - pos, 0, &parts);
		pos = end;
	}
	ck_assert_uint_eq(whole.len, parts.len);
	ck_assert(memcmp(whole.ids, parts.ids, whole.len * sizeof(uint32_t)) == 0);
	tok_ids_release(&whole);
	tok_ids_release(&parts);
	cur_buf_release(&b);
}
END_TEST

/* Encode n bytes made by fill() and check the round trip; the tokens. */
static size_t encode_big(size_t n, void (*fill)(char *, size_t))
{
	char *s = malloc(n);
	tok_ids v;
	cur_buf out;
	size_t ntok;

	fill(s, n);
	tok_ids_init(&v);
	ck_assert_int_eq(tok_encode(llama3, s, n, 0, &v), 0);
	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(tok_decode(llama3, v.ids, v.len, &out), 0);
	ck_assert(out.len == n && memcmp(out.data, s, n) == 0);
	ntok = v.len;
	cur_buf_release(&out);
	tok_ids_release(&v);
	free(s);
	return ntok;
}

static void fill_spaces(char *s, size_t n) { memset(s, ' ', n); }
static void fill_a(char *s, size_t n) { memset(s, 'a', n); }
static void fill_letters(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (char)('a' + rnd_below(26));
}
static void fill_nospace(char *s, size_t n)
{
	static const char mix[] = "abcXYZ0123.,;:-_/()[]{}=+*&^%$#@!~'\"<>?";
	for (size_t i = 0; i < n; i++)
		s[i] = mix[rnd_below(sizeof(mix) - 1)];
}

/* Long runs and single pieces of megabytes encode exactly (the run
 * lengths' tokens are Llama 3's: 128 spaces, 8 letters a token); how fast
 * is bench/tokenizer_long.sh's question, and a hang is the suite's
 * timeout's. */
START_TEST(test_long_inputs)
{
	setup();
	ck_assert_uint_eq(encode_big(250000, fill_spaces), 1954);
	ck_assert_uint_eq(encode_big(2000000, fill_spaces), 15625);
	ck_assert_uint_eq(encode_big(250000, fill_a), 31250);
	ck_assert_uint_eq(encode_big(2000000, fill_a), 250000);
	ck_assert_uint_gt(encode_big(2000000, fill_letters), 0);
	ck_assert_uint_gt(encode_big(4000000, fill_nospace), 0);
}
END_TEST

static Suite *bpe_suite(void)
{
	Suite *s = suite_create("tokenizer_bpe");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_unicode_tsv_classified);
	tcase_add_test(tc, test_unicode_vs_utf8proc);
	tcase_add_test(tc, test_pcre2_oracle);
	tcase_add_test(tc, test_bpe_long_pieces);
	tcase_add_test(tc, test_bpe_safe_cuts);
	tcase_add_test(tc, test_bpe_runs);
	tcase_add_test(tc, test_piece_cache);
	tcase_add_test(tc, test_long_inputs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bpe_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
