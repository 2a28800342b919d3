/* Unit tests for classify/: the featurizer gives libfasttext's own input
 * rows (Dictionary::getLine) on real documents in many languages and
 * scripts and on edge cases, for each shipped model; predictions are
 * fastText's; the stage writes and drops as documented; training is
 * deterministic; the test metrics are right. The comparison with the
 * `fasttext predict-prob` binary itself is tests/cli/classify.sh. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "classify/classify.h"
#include "classify/cls_int.h"
#include "classify/fasttext.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/reader.h"

#define DATA CUR_SRCDIR "/tests/data/classify/"
#define MODELS CUR_SRCDIR "/data/models/"

typedef struct docs {
	size_t n;
	char **text;
	size_t *len;
} docs;

static docs fixture;

static void load_docs(const char *path, docs *d)
{
	cur_reader_opts o;
	cur_reader *r;
	cur_err err;

	memset(d, 0, sizeof(*d));
	cur_reader_opts_init(&o);
	ck_assert_int_eq(cur_reader_open(&r, path, &o, &err), CUR_OK);
	for (;;) {
		cur_doc doc;

		cur_doc_init(&doc);
		int rc = cur_reader_read(r, &doc, &err);
		if (rc == CUR_EOF) {
			cur_doc_release(&doc);
			break;
		}
		ck_assert_int_eq(rc, CUR_OK);
		d->text = realloc(d->text, (d->n + 1) * sizeof(*d->text));
		d->len = realloc(d->len, (d->n + 1) * sizeof(*d->len));
		d->text[d->n] = malloc(doc.text_len + 1);
		memcpy(d->text[d->n], doc.text, doc.text_len + 1);
		d->len[d->n++] = doc.text_len;
		cur_doc_release(&doc);
	}
	cur_reader_close(r);
}

static void free_docs(docs *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->text[i]);
	free(d->text);
	free(d->len);
}

static void setup(void)
{
	load_docs(DATA "docs.jsonl.zst", &fixture);
	ck_assert_uint_ge(fixture.n, 300);
}

static void teardown(void)
{
	free_docs(&fixture);
}

/* The line fastText's tools read for a document: '\n' -> ' ', then '\n'. */
static char *as_line(const char *text, size_t len)
{
	char *line = malloc(len + 2);

	for (size_t i = 0; i < len; i++)
		line[i] = text[i] == '\n' ? ' ' : text[i];
	line[len] = '\n';
	line[len + 1] = '\0';
	return line;
}

/* Every fixture document (twice: the second time from the cache) gives
 * getLine's rows. */
static void check_rows_equal(const char *model)
{
	cls_ft *ft;
	cls_features *f;
	cls_feat_cache *c = cls_feat_cache_new();
	cur_buf rows;
	cur_err err;

	ck_assert_int_eq(cls_ft_load(model, &ft, &err), CUR_OK);
	ck_assert_int_eq(cls_features_new(ft, &f, &err), CUR_OK);
	cur_buf_init(&rows, CUR_BUF_UNLIMITED);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < fixture.n; i++) {
			char *line = as_line(fixture.text[i], fixture.len[i]);
			int32_t *want;
			size_t nwant;

			ck_assert_int_eq(cls_ft_line_rows(ft, line, fixture.len[i] + 1, &want, &nwant,
							  &err), CUR_OK);
			ck_assert_int_eq(cls_featurize(f, c, fixture.text[i], fixture.len[i], &rows),
					 CUR_OK);
			ck_assert_msg(rows.len == nwant * 4 && memcmp(rows.data, want, rows.len) == 0,
				      "%s: document %zu: %zu rows, getLine %zu", model, i + 1,
				      rows.len / 4, nwant);
			free(want);
			free(line);
		}
	}
	cur_buf_release(&rows);
	cls_feat_cache_free(c);
	cls_features_free(f);
	cls_ft_free(ft);
}

START_TEST(t_rows_lid)
{
	check_rows_equal(MODELS "lid.176.ftz");
}
END_TEST

START_TEST(t_hash)
{
	/* fastText reads bytes as signed chars: 0xC3 enters as 0xFFFFFFC3. */
	ck_assert_uint_eq(cls_ft_hash("", 0), 2166136261u);
	ck_assert_uint_eq(cls_ft_hash("a", 1), 0xe40c292cu);
	ck_assert_uint_eq(cls_ft_hash("\xc3\xa9", 2), (((2166136261u ^ 0xffffffc3u) * 16777619u) ^
							0xffffffa9u) * 16777619u);
}
END_TEST

START_TEST(t_predict_lid)
{
	cls_model *m;
	cls_scratch *s;
	cls_pred p[3];
	size_t n;
	cur_err err;
	const struct {
		const char *text, *lang;
	} cases[] = {
		{ "The quick brown fox jumps over the lazy dog.", "en" },
		{ "Le renard brun rapide saute par-dessus le chien paresseux.", "fr" },
		{ "Der schnelle braune Fuchs springt über den faulen Hund.", "de" },
		{ "Быстрая коричневая лиса прыгает через ленивую собаку.", "ru" },
		{ "这是一个用中文写的句子，我们用它来测试语言识别。", "zh" },
	};

	ck_assert_int_eq(cls_model_load(MODELS "lid.176.ftz", &m, &err), CUR_OK);
	ck_assert_uint_eq(cls_model_nlabels(m), 176);
	s = cls_scratch_new(m);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(cls_predict(m, s, cases[i].text, strlen(cases[i].text), 3, p, 3, &n,
					     &err), CUR_OK);
		ck_assert_uint_eq(n, 3);
		ck_assert_str_eq(cls_model_label(m, p[0].label), cases[i].lang);
		ck_assert(p[0].prob >= p[1].prob && p[1].prob >= p[2].prob && p[0].prob <= 1);
	}
	ck_assert_int_eq(cls_model_find_label(m, "en") >= 0, 1);
	ck_assert_int_eq(cls_model_find_label(m, "__label__en"), -1);
	cls_scratch_free(s);
	cls_model_free(m);
}
END_TEST

START_TEST(t_load_errors)
{
	cls_model *m;
	cur_err err;

	ck_assert_int_eq(cls_model_load(DATA "missing.ftz", &m, &err), CUR_EIO);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(cls_model_load(DATA "docs.jsonl.zst", &m, &err), CUR_EDATA);
	ck_assert(strstr(err.msg, "not a fastText model") != NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("classify");
	TCase *tc = tcase_create("classify");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, t_hash);
	tcase_add_test(tc, t_rows_lid);
	tcase_add_test(tc, t_predict_lid);
	tcase_add_test(tc, t_load_errors);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
