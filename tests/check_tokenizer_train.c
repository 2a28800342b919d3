/* Check suite for the BPE trainer (tokenizer/train*.c): hand-checked
 * merges, round trips, batches and the sketch agreeing, bad inputs, a
 * vocabulary's own pattern, extending a vocabulary. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "core/buf.h"
#include "tokenizer/tok_extra.h"
#include "tokenizer/tok_int.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/train_int.h"

#include "tests/tok_test.h"

/* ---- the BPE trainer ---- */

/* The pieces of this text are "low" once, " low" 4 times, " lower" twice,
 * " newest" 6 times, " widest" 3 times (the corpus of Sennrich et al.,
 * with spaces where they had end-of-word marks). */
static const char tiny_corpus[] = "low low low low low lower lower newest newest newest "
				  "newest newest newest widest widest widest";

/* Its merges, worked out by hand. Pair counts, and the tie rule (higher
 * count; then the lower left rank; then the lower right rank; bytes rank
 * in GPT-2 order, so letters in alphabetical order and ' ' after them, and
 * merged tokens in the order they were made):
 *   es 9 = st 9: e < s            est 9
 *   lo 7 = ow 7: l < o            low 7 (lo+w)
 *   ew 6 = ne 6 = w+est 6 = ' '+n 6 = ' '+low 6: e is the lowest left
 *   n+ew 6 = ew+est 6 = ' '+n 6 = ' '+low 6: n < ew < ' '
 *   ' '+low 6 = ' '+new 6 = new+est 6: ' ' first, then low < new
 *   ' '+new 6 = new+est 6: ' ' < new
 *   ' new'+est 6 (the only 6 left)
 *   d+est 3 = i+d 3 = w+i 3 = ' '+w 3: d < i < w < ' '
 *   i+dest 3, w+idest 3, ' '+widest 3, then er 2 = ' low'+e 2: e first
 *   ' low'+er 2; then no pair is left (min frequency 2 is never hit). */
static const char *const tiny_merges[] = {
	"es", "est", "lo", "low", "ew", "new", " low", " new", " newest",
	"dest", "idest", "widest", " widest", "er", " lower",
};

static tok_trainer *train_text(const char *text, size_t len, size_t ranks, uint64_t mem_limit)
{
	tok_train_opts o;
	tok_trainer *t;
	cur_err err;

	tok_train_opts_init(&o);
	o.ranks = ranks;
	if (mem_limit)
		o.mem_limit = mem_limit;
	ck_assert_msg(tok_trainer_new(&o, &t, &err) == 0, "%s", err.msg);
	ck_assert_msg(tok_trainer_count(t, text, len, &err) == 0, "%s", err.msg);
	return t;
}

START_TEST(test_train_hand_checked)
{
	size_t n = sizeof(tiny_merges) / sizeof(tiny_merges[0]), len;
	tok_trainer *t = train_text(tiny_corpus, strlen(tiny_corpus), 1000, 0);
	cur_err err;
	json_t *r = json_object();

	ck_assert_int_eq(tok_trainer_learn(t, &err), 0);
	ck_assert_uint_eq(tok_trainer_ranks(t), 256 + n);
	/* Bytes first, in GPT-2's order: '!' is rank 0, ' ' rank 220. */
	ck_assert_int_eq(*tok_trainer_token(t, 0, &len), '!');
	ck_assert_int_eq(*tok_trainer_token(t, 220, &len), ' ');
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = tok_trainer_token(t, 256 + i, &len);
		ck_assert_msg(len == strlen(tiny_merges[i]) && memcmp(p, tiny_merges[i], len) == 0,
			      "merge %zu is '%.*s', expected '%s'", i + 1, (int)len, p, tiny_merges[i]);
	}
	tok_trainer_report(t, r);
	ck_assert_str_eq(json_string_value(json_object_get(r, "counts")), "exact");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "pieces")), 16);
	json_decref(r);
	tok_trainer_free(t);

	/* A smaller vocabulary stops after its first merges. */
	t = train_text(tiny_corpus, strlen(tiny_corpus), 256 + 4, 0);
	ck_assert_int_eq(tok_trainer_learn(t, &err), 0);
	ck_assert_uint_eq(tok_trainer_ranks(t), 260);
	ck_assert_int_eq(memcmp(tok_trainer_token(t, 259, &len), "low", 3), 0);
	tok_trainer_free(t);
}
END_TEST

/* Text of many kinds: every golden case. */
static void golden_text(cur_buf *b)
{
	const golden *gold = golden_load();

	cur_buf_init(b, CUR_BUF_UNLIMITED);
	for (size_t i = 0; i < gold->n; i++) {
		json_t *text = json_object_get(gold->cases[i], "text");
		ck_assert_int_eq(cur_buf_append(b, json_string_value(text), json_string_length(text)), 0);
	}
}

static char *temp_dir(void)
{
	char *d = strdup("/tmp/check_tokenizer.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static void remove_vocab(const char *dir, const char *name)
{
	char p[4200];
	const char *suffix[] = { ".tiktoken", "-special-tokens.tsv", "-pattern.txt" };

	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s%s", dir, name, suffix[i]);
		unlink(p);
	}
}

/* Every golden text and random bytes encode and decode to themselves. */
static void check_roundtrip(const tok_tokenizer *t)
{
	tok_ids v;
	cur_buf out, text;

	tok_ids_init(&v);
	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	golden_text(&text);
	for (size_t i = 0; i < 200; i++) {
		size_t n = rnd_below(300);
		char raw[300];
		for (size_t k = 0; k < n; k++)
			raw[k] = (char)rnd();
		ck_assert_int_eq(cur_buf_append(&text, raw, n), 0);
	}
	ck_assert_int_eq(tok_encode(t, text.data, text.len, 0, &v), 0);
	ck_assert_int_eq(tok_decode(t, v.ids, v.len, &out), 0);
	ck_assert_uint_eq(out.len, text.len);
	ck_assert_int_eq(memcmp(out.data, text.data, text.len), 0);
	cur_buf_release(&out);
	cur_buf_release(&text);
	tok_ids_release(&v);
}

START_TEST(test_train_roundtrip)
{
	cur_buf text;
	tok_trainer *t;
	tok_tokenizer *tok;
	cur_err err;
	char *dir = temp_dir(), path[4200];
	size_t len;

	golden_text(&text);
	t = train_text(text.data, text.len, 1500, 0);
	ck_assert_int_eq(tok_trainer_learn(t, &err), 0);
	ck_assert_uint_eq(tok_trainer_ranks(t), 1500);
	snprintf(path, sizeof(path), "%s/golden.tiktoken", dir);
	ck_assert_msg(tok_trainer_write(t, path, &err) == 0, "%s", err.msg);
	ck_assert_msg(tok_load(path, &tok, &err) == 0, "%s", err.msg);
	/* The ranks as learned; no special tokens were asked for. */
	ck_assert_uint_eq(tok_vocab_size(tok), 1500);
	for (uint32_t r = 0; r < 1500; r++) {
		size_t l2;
		const uint8_t *a = tok_trainer_token(t, r, &len);
		const char *b = tok_token_bytes(tok, r, &l2);
		ck_assert(len == l2 && memcmp(a, b, len) == 0);
	}
	check_roundtrip(tok);
	tok_free(tok);
	tok_trainer_free(t);
	cur_buf_release(&text);
	remove_vocab(dir, "golden");
	rmdir(dir);
	free(dir);
}
END_TEST

/* Documents cut into pieces in any order (as workers do), then added in
 * input order, give what counting them one after the other gives, with
 * exact counts and with the sketch. */
static tok_trainer *train_documents(const cur_buf *text, uint64_t mem_limit, int reverse_cuts)
{
	tok_train_opts o;
	tok_trainer *t;
	tok_piece_batch *batch[1024];
	size_t nb = 0, start[1024], end[1024], pos = 0;
	cur_err err;

	tok_train_opts_init(&o);
	o.ranks = 1200;
	o.mem_limit = mem_limit;
	ck_assert_int_eq(tok_trainer_new(&o, &t, &err), 0);
	/* A document is 64 lines. */
	while (pos < text->len) {
		ck_assert_uint_lt(nb, 1024);
		start[nb] = pos;
		for (int k = 0; k < 64 && pos < text->len; k++) {
			const char *nl = memchr(text->data + pos, '\n', text->len - pos);
			pos = nl ? (size_t)(nl - text->data) + 1 : text->len;
		}
		end[nb++] = pos;
	}
	if (!reverse_cuts) {
		for (size_t i = 0; i < nb; i++)
			ck_assert_int_eq(tok_trainer_count(t, text->data + start[i], end[i] - start[i],
							   &err), 0);
		return t;
	}
	for (size_t i = nb; i-- > 0;)
		ck_assert_int_eq(tok_trainer_cut(t, text->data + start[i], end[i] - start[i],
						 &batch[i], &err), 0);
	for (size_t i = 0; i < nb; i++) {
		ck_assert_int_eq(tok_trainer_add(t, text->data + start[i], batch[i], &err), 0);
		tok_piece_batch_free(batch[i]);
	}
	return t;
}

START_TEST(test_train_batches_agree)
{
	cur_buf text;
	cur_err err;

	golden_text(&text);
	for (int sketch = 0; sketch < 2; sketch++) {
		tok_trainer *a = train_documents(&text, sketch ? 2 << 20 : 1 << 30, 0);
		tok_trainer *b = train_documents(&text, sketch ? 2 << 20 : 1 << 30, 1);
		ck_assert_uint_eq(a->pieces.prunes, b->pieces.prunes);
		ck_assert(sketch ? a->pieces.prunes > 0 : a->pieces.prunes == 0);
		ck_assert_int_eq(tok_trainer_learn(a, &err), 0);
		ck_assert_int_eq(tok_trainer_learn(b, &err), 0);
		ck_assert_uint_eq(tok_trainer_ranks(a), tok_trainer_ranks(b));
		for (size_t r = 0; r < tok_trainer_ranks(a); r++) {
			size_t la, lb;
			const uint8_t *pa = tok_trainer_token(a, r, &la), *pb = tok_trainer_token(b, r, &lb);
			ck_assert(la == lb && memcmp(pa, pb, la) == 0);
		}
		tok_trainer_free(a);
		tok_trainer_free(b);
	}
	cur_buf_release(&text);
}
END_TEST

/* Past the memory limit the counts become a Misra-Gries sketch: every kept
 * count is low by at most the reported undercount, and every piece more
 * frequent than that is kept. */
START_TEST(test_train_sketch)
{
	cur_buf text;
	tok_trainer *exact, *small;
	json_t *r = json_object();
	uint64_t bound;
	cur_err err;

	/* Many distinct pieces: random words of 8 letters, and some of 2
	 * letters repeated often. */
	cur_buf_init(&text, CUR_BUF_UNLIMITED);
	for (int i = 0; i < 60000; i++) {
		char w[16] = " ";
		size_t n = i % 3 ? 3 : 9;
		for (size_t k = 1; k < n; k++)
			w[k] = (char)('a' + rnd_below(n == 3 ? 6 : 26));
		ck_assert_int_eq(cur_buf_append(&text, w, n), 0);
	}
	exact = train_text(text.data, text.len, 300, 0);
	small = train_text(text.data, text.len, 300, 2 << 20);
	tok_trainer_report(small, r);
	ck_assert_str_eq(json_string_value(json_object_get(r, "counts")), "approximate");
	bound = (uint64_t)json_integer_value(json_object_get(r, "count_undercount_max"));
	ck_assert_uint_gt(bound, 0);
	ck_assert_uint_le(small->pieces.n, exact->pieces.n / 2);
	/* The bound holds: 2N/K. */
	ck_assert_uint_le(bound, 2 * small->pieces.total / (small->pieces.n ? small->pieces.n : 1) + 1);
	for (size_t k = 0; k < exact->pieces.n; k++) {
		const train_word *e = &exact->pieces.w[k];
		uint64_t got = 0;
		for (size_t j = 0; j < small->pieces.n; j++) {
			const train_word *s = &small->pieces.w[j];
			if (s->len == e->len && memcmp(small->pieces.bytes + s->off,
						       exact->pieces.bytes + e->off, e->len) == 0)
				got = s->count;
		}
		ck_assert_uint_le(got, e->count);
		if (e->count > bound)
			ck_assert_uint_ge(got + bound, e->count);
		/* A piece of zero count is gone: it was below the bound. */
		if (!got)
			ck_assert_uint_le(e->count, bound);
	}
	ck_assert_uint_le(small->mem.peak, (2u << 20) / 2);
	json_decref(r);
	tok_trainer_free(exact);
	tok_trainer_free(small);

	/* A piece larger than the whole budget is left out, and said. */
	cur_buf_reset(&text);
	for (int i = 0; i < 200000; i++)
		ck_assert_int_eq(cur_buf_putc(&text, 'a'), 0);
	ck_assert_int_eq(cur_buf_append(&text, " ab ab ab", 9), 0);
	small = train_text(text.data, text.len, 300, 2 << 20);
	r = json_object();
	tok_trainer_report(small, r);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "pieces_too_large")), 1);
	ck_assert_int_eq(tok_trainer_learn(small, &err), 0);
	ck_assert_uint_eq(tok_trainer_ranks(small), 258); /* "ab", " ab" */
	json_decref(r);
	tok_trainer_free(small);
	cur_buf_release(&text);
}
END_TEST

START_TEST(test_train_bad_inputs)
{
	tok_train_opts o;
	tok_trainer *t;
	cur_err err;
	char *dir = temp_dir(), path[4200];

	tok_train_opts_init(&o);
	o.ranks = 255;
	ck_assert_int_eq(tok_trainer_new(&o, &t, &err), CUR_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "fewer than the 256 bytes"));
	o.ranks = 300;
	o.pattern = "([a-z]+";
	ck_assert_int_eq(tok_trainer_new(&o, &t, &err), CUR_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "invalid pattern"));
	o.pattern = NULL;
	char *twice[] = { "<|a|>", "<|a|>" };
	o.specials = twice;
	o.nspecials = 2;
	ck_assert_int_eq(tok_trainer_new(&o, &t, &err), CUR_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "given twice"));
	o.specials = NULL;
	o.nspecials = 0;
	o.mem_limit = 1000;
	ck_assert_int_eq(tok_trainer_new(&o, &t, &err), CUR_EINVAL);
	o.mem_limit = 1 << 30;
	/* Empty text: nothing to learn from. */
	ck_assert_int_eq(tok_trainer_new(&o, &t, &err), 0);
	ck_assert_int_eq(tok_trainer_count(t, "", 0, &err), 0);
	ck_assert_int_eq(tok_trainer_learn(t, &err), CUR_EDATA);
	ck_assert_ptr_nonnull(strstr(err.msg, "empty"));
	tok_trainer_free(t);
	/* Unwritable, and not a .tiktoken name. */
	t = train_text(tiny_corpus, strlen(tiny_corpus), 300, 0);
	ck_assert_int_eq(tok_trainer_learn(t, &err), 0);
	snprintf(path, sizeof(path), "%s/no/such/dir/x.tiktoken", dir);
	ck_assert_int_eq(tok_trainer_write(t, path, &err), CUR_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "no/such/dir"));
	snprintf(path, sizeof(path), "%s/x.txt", dir);
	ck_assert_int_eq(tok_trainer_write(t, path, &err), CUR_EINVAL);
	ck_assert_int_eq(access(path, F_OK), -1);
	tok_trainer_free(t);
	rmdir(dir);
	free(dir);
}
END_TEST

/* A pattern of its own: pieces are what it matches and the text between
 * matches; it is written beside the vocabulary and used again on load. */
START_TEST(test_train_pattern)
{
	tok_train_opts o;
	tok_trainer *t;
	tok_tokenizer *tok;
	tok_ids v;
	cur_err err;
	char *dir = temp_dir(), path[4200];
	const char *text = "ab-ab-ab-ab ab-ab";
	size_t len;

	tok_train_opts_init(&o);
	o.ranks = 260;
	o.pattern = "[a-z]+";  /* "-" and " " fall between matches */
	ck_assert_int_eq(tok_trainer_new(&o, &t, &err), 0);
	ck_assert_int_eq(tok_trainer_count(t, text, strlen(text), &err), 0);
	ck_assert_int_eq(tok_trainer_learn(t, &err), 0);
	/* "ab" 6 times; nothing else pairs up twice. */
	ck_assert_uint_eq(tok_trainer_ranks(t), 257);
	ck_assert_int_eq(memcmp(tok_trainer_token(t, 256, &len), "ab", 2), 0);
	snprintf(path, sizeof(path), "%s/own.tiktoken", dir);
	ck_assert_int_eq(tok_trainer_write(t, path, &err), 0);
	ck_assert_msg(tok_load(path, &tok, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(tok_set_pretokenizer(tok, "scanner", &err), CUR_EINVAL);
	ck_assert_int_eq(tok_set_pretokenizer(tok, "pcre2", &err), 0);
	tok_ids_init(&v);
	ck_assert_int_eq(tok_encode(tok, "ab-ab", 5, 0, &v), 0);
	ck_assert_uint_eq(v.len, 3);
	ck_assert_uint_eq(v.ids[0], 256);
	ck_assert_uint_eq(v.ids[2], 256);
	tok_ids_release(&v);
	tok_free(tok);
	tok_trainer_free(t);
	remove_vocab(dir, "own");
	rmdir(dir);
	free(dir);
}
END_TEST

/* extend: the base's ranks stay; the new tokens join two tokens that the
 * base encoder leaves side by side in the text, so its merges reach them. */
START_TEST(test_train_extend)
{
	tok_tokenizer *base, *ext;
	tok_train_opts o;
	tok_trainer *t;
	tok_ids v;
	cur_buf text;
	cur_err err;
	char *dir = temp_dir(), path[4200];
	size_t used = 0;

	ck_assert_int_eq(tok_load(data_path("tests/data/tokenizer/small.tiktoken"), &base, &err), 0);
	golden_text(&text);
	tok_train_opts_init(&o);
	o.base = base;
	o.base_ranks = 900;
	o.ranks = 900 + 60;
	ck_assert_int_eq(tok_trainer_new(&o, &t, &err), 0);
	ck_assert_int_eq(tok_trainer_count(t, text.data, text.len, &err), 0);
	ck_assert_int_eq(tok_trainer_learn(t, &err), 0);
	ck_assert_uint_eq(tok_trainer_ranks(t), 960);
	snprintf(path, sizeof(path), "%s/ext.tiktoken", dir);
	ck_assert_int_eq(tok_trainer_write(t, path, &err), 0);
	ck_assert_msg(tok_load(path, &ext, &err) == 0, "%s", err.msg);
	for (uint32_t r = 0; r < 960; r++) {
		size_t la, lb;
		const char *a = r < 900 ? tok_token_bytes(base, r, &la) :
			(const char *)tok_trainer_token(t, r, &la);
		const char *b = tok_token_bytes(ext, r, &lb);
		ck_assert(la == lb && memcmp(a, b, la) == 0);
		if (r < 900)
			continue;
		/* A new token is new, and two tokens of lower rank joined. */
		ck_assert_uint_ge(tok_table_find(base, &base->ranks, b, lb), 900);
		int joined = 0;
		for (size_t cut = 1; cut < lb && !joined; cut++) {
			uint32_t x = tok_table_find(ext, &ext->ranks, b, cut);
			uint32_t y = tok_table_find(ext, &ext->ranks, b + cut, lb - cut);
			joined = x < r && y < r;
		}
		ck_assert_msg(joined, "new token %u is not two older tokens joined", r);
	}
	/* The extended encoder uses the new tokens on the text. */
	tok_ids_init(&v);
	ck_assert_int_eq(tok_encode(ext, text.data, text.len, 0, &v), 0);
	for (size_t i = 0; i < v.len; i++)
		used += v.ids[i] >= 900 && v.ids[i] < 960;
	ck_assert_uint_gt(used, 100);
	tok_ids_release(&v);
	check_roundtrip(ext);
	tok_free(ext);
	tok_free(base);
	tok_trainer_free(t);
	cur_buf_release(&text);
	remove_vocab(dir, "ext");
	rmdir(dir);
	free(dir);
}
END_TEST

static Suite *train_suite(void)
{
	Suite *s = suite_create("tokenizer_train");
	TCase *tc = tcase_create("train");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_train_hand_checked);
	tcase_add_test(tc, test_train_roundtrip);
	tcase_add_test(tc, test_train_batches_agree);
	tcase_add_test(tc, test_train_sketch);
	tcase_add_test(tc, test_train_bad_inputs);
	tcase_add_test(tc, test_train_pattern);
	tcase_add_test(tc, test_train_extend);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(train_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
