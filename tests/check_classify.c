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
#include <unistd.h>
#include "classify/classify.h"
#include "classify/cls_int.h"
#include "classify/fasttext.h"
#include "classify/stage.h"
#include "classify/train.h"
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

START_TEST(t_rows_category)
{
	check_rows_equal(MODELS "category.ftz");
}
END_TEST

START_TEST(t_rows_quality)
{
	/* Word bigrams over a pruned dictionary. */
	check_rows_equal(MODELS "quality.ftz");
}
END_TEST

/* A model trained here, not quantized: n-gram buckets map straight to rows
 * (no pruning), with word trigrams and character n-grams. */
START_TEST(t_rows_trained)
{
	char dir[] = "/tmp/curate-classify.XXXXXX", path[64];
	json_t *cfg, *report = json_object();
	cls_run run;
	cur_err err;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.bin", dir);
	cfg = json_pack("{s:[s,s,s], s:i, s:i, s:i, s:i, s:i, s:i}", "source",
			"code=" DATA "train-code.jsonl", "math=" DATA "train-math.jsonl",
			"general=" DATA "train-general.jsonl", "epoch", 2, "dim", 4, "wordNgrams", 3,
			"minn", 1, "maxn", 3, "bucket", 5000);
	memset(&run, 0, sizeof(run));
	cur_reader_opts_init(&run.reader);
	run.seed = 7;
	ck_assert_int_eq(cls_train(cfg, &run, path, report, &err), CUR_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(report, "examples")), 180);
	check_rows_equal(path);
	unlink(path);
	rmdir(dir);
	json_decref(cfg);
	json_decref(report);
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

/* Two threads predicting the fixture with one shared model and a scratch
 * each give the same labels and probabilities as one thread. */
typedef struct thr {
	const cls_model *m;
	size_t from;
	int32_t label[400];
	float prob[400];
} thr;

static void *thr_run(void *arg)
{
	thr *t = arg;
	cls_scratch *s = cls_scratch_new(t->m);
	cls_pred p;
	size_t n;
	cur_err err;

	for (size_t k = 0; k < fixture.n; k++) {
		size_t i = (k + t->from) % fixture.n;

		if (cls_predict(t->m, s, fixture.text[i], fixture.len[i], 1, &p, 1, &n, &err) || n != 1)
			abort();
		t->label[i] = p.label;
		t->prob[i] = p.prob;
	}
	cls_scratch_free(s);
	return NULL;
}

START_TEST(t_threads_share_model)
{
	cls_model *m;
	cur_err err;
	thr a = {0}, b = {0}, c = {0};
	pthread_t ta, tb;

	ck_assert_uint_le(fixture.n, 400);
	ck_assert_int_eq(cls_model_load(MODELS "lid.176.ftz", &m, &err), CUR_OK);
	a.m = b.m = c.m = m;
	b.from = fixture.n / 2;
	thr_run(&c);
	pthread_create(&ta, NULL, thr_run, &a);
	pthread_create(&tb, NULL, thr_run, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	for (size_t i = 0; i < fixture.n; i++) {
		ck_assert_int_eq(a.label[i], c.label[i]);
		ck_assert_int_eq(b.label[i], c.label[i]);
		ck_assert(a.prob[i] == c.prob[i] && b.prob[i] == c.prob[i]);
	}
	cls_model_free(m);
}
END_TEST

/* ---- the stage ---- */

static cur_stage *stage(const char *cfg_json, cur_err *err)
{
	json_t *cfg = json_loads(cfg_json, 0, NULL);
	cur_stage_env env = {.seed = 1, .jobs = 1};
	cur_stage *st;

	ck_assert_ptr_nonnull(cfg);
	st = cls_stage_new(cfg, &env, err);
	json_decref(cfg);
	return st;
}

static int run_doc(cur_stage *st, cur_doc *d, const char *text, const char *category)
{
	void *tls = st->ops->thread_new(st);
	cur_err err;
	int rc;

	ck_assert_int_eq(cur_doc_new_text(d, "doc-1", text, strlen(text), "test"), CUR_OK);
	if (category)
		json_object_set_new(cur_doc_metadata(d), "category", json_string(category));
	rc = st->ops->process(st, tls, d, &err);
	st->ops->thread_free(st, tls);
	return rc;
}

static const char *meta(cur_doc *d, const char *key)
{
	return json_string_value(json_object_get(cur_doc_metadata(d), key));
}

START_TEST(t_stage_categories)
{
	const struct {
		const char *text, *category, *lang;
	} cases[] = {
		{ "The committee met on Tuesday to discuss the new library, which will open next "
		  "spring after two years of building work.", "general", "en" },
		{ "Le comité s'est réuni mardi pour discuter de la nouvelle bibliothèque, qui ouvrira "
		  "au printemps prochain après deux ans de travaux.", "multilingual", "fr" },
		{ "#include <stdio.h>\nint main(void)\n{\n\tprintf(\"%d\\n\", 42);\n\treturn 0;\n}\n",
		  "code", NULL },
		{ "Let $f(x) = x^2 + 3x$. Compute $f'(2)$ and solve $f(x) = 0$ for $x$.", "math", NULL },
		/* Worked sums are math whatever the content model says (here
		 * general 0.58, math 0.25). */
		{ "The committee met on Tuesday to discuss the new library, which will open next "
		  "spring after two years of building work: 3 + 9 = 12 rooms, and 40 * 2 = 80 desks.",
		  "math", "en" },
	};
	cur_err err;
	cur_stage *st = stage("{}", &err);
	cur_doc d;

	ck_assert_msg(st != NULL, "%s", err.msg);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(run_doc(st, &d, cases[i].text, NULL), CUR_KEEP);
		ck_assert_str_eq(meta(&d, "category"), cases[i].category);
		if (cases[i].lang)
			ck_assert_str_eq(meta(&d, "lang"), cases[i].lang);
		ck_assert(json_is_real(json_object_get(cur_doc_metadata(&d), "lang_score")));
		ck_assert(json_is_real(json_object_get(cur_doc_metadata(&d), "quality")));
		cur_doc_release(&d);
	}
	/* The input's category stays, unless --override. */
	ck_assert_int_eq(run_doc(st, &d, cases[2].text, "general"), CUR_KEEP);
	ck_assert_str_eq(meta(&d, "category"), "general");
	cur_doc_release(&d);
	st->ops->destroy(st);
	st = stage("{\"override\": true, \"bundled\": \"category\"}", &err);
	ck_assert_int_eq(run_doc(st, &d, cases[2].text, "general"), CUR_KEEP);
	ck_assert_str_eq(meta(&d, "category"), "code");
	/* Without language ID, nothing becomes multilingual. */
	cur_doc_release(&d);
	ck_assert_int_eq(run_doc(st, &d, cases[1].text, NULL), CUR_KEEP);
	ck_assert_str_eq(meta(&d, "category"), "general");
	ck_assert_ptr_null(json_object_get(cur_doc_metadata(&d), "lang"));
	cur_doc_release(&d);
	st->ops->destroy(st);
}
END_TEST

/* Equations between numbers, in any notation; numbers without an
 * operator, an operator without '=', or a variable are not one. */
START_TEST(t_numeric_equations)
{
	const struct {
		const char *text;
		size_t count;
	} cases[] = {
		{ "Natalia sold 48/2 = <<48/2=24>>24 clips.", 1 },
		{ "she earned 0.2 x 50 = $<<0.2*50=10>>10.", 1 },
		{ "$3 \\times 4 = 12$ and $2 \\cdot 1{,}5$, $7 - 9 = -2$", 2 },
		{ "1,000 + 2,500.5 = 3,500.5; 6 \xc3\x97 7 = 42; 8 \xe2\x88\x92 1 = 7", 3 },
		{ "In 1990-1995 there were 12 = twelve", 0 },
		{ "x = 1 + 2; y = a + 3 = 4;", 0 },
		{ "12 + 3 =", 0 },
		{ "box 3 x 4 = 12", 1 },
		{ "ax4 = 12", 0 },
		{ "", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(cls_numeric_equations(cases[i].text, strlen(cases[i].text), 10) ==
			      cases[i].count, "case %zu", i);
	/* Counting stops at enough; the length bounds the scan. */
	ck_assert_uint_eq(cls_numeric_equations("1+1=2 2+2=4 3+3=6", 17, 2), 2);
	ck_assert_uint_eq(cls_numeric_equations("1+1=2", 4, 10), 0);
}
END_TEST

START_TEST(t_stage_drops_and_models)
{
	cur_err err;
	cur_stage *st = stage("{\"bundled\": \"lang\", \"keep_lang\": [\"fr\", \"de\"], "
			      "\"model\": \"lid2=" MODELS "lid.176.ftz\", \"k\": 3}", &err);
	cur_doc d;
	json_t *lid2, *report = json_object();

	ck_assert_msg(st != NULL, "%s", err.msg);
	ck_assert_int_eq(run_doc(st, &d, "This is an English sentence about the weather.", NULL),
			 CUR_DROP);
	ck_assert_str_eq(d.drop_reason, "classify:lang");
	cur_doc_release(&d);
	/* fasttext predict-prob gives "de 0.932364 fr 0.0597513 nds 0.00234121". */
	ck_assert_int_eq(run_doc(st, &d, "Das Wetter ist gut, the weather is good, il fait beau.",
				 NULL), CUR_KEEP);
	lid2 = json_object_get(cur_doc_metadata(&d), "lid2");
	ck_assert_uint_eq(json_object_size(lid2), 3);
	ck_assert(fabs(json_real_value(json_object_get(lid2, "nds")) - 0.00234121) < 1e-7);
	ck_assert(json_real_value(json_object_get(lid2, "de")) > 0.5);
	ck_assert(json_real_value(json_object_get(lid2, "de")) ==
		  json_real_value(json_object_get(cur_doc_metadata(&d), "lang_score")));
	cur_doc_release(&d);
	ck_assert_int_eq(st->ops->finish(st, report, &err), CUR_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json_object_get(report,
		"shares"), "language"), "en")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(report, "models"), "lid2")),
			 "lid.176.ftz");
	json_decref(report);
	st->ops->destroy(st);

	st = stage("{\"bundled\": \"quality\", \"min_quality\": 0.99}", &err);
	ck_assert_int_eq(run_doc(st, &d, "BUY NOW!!! cheap pills $$$ click here http://x.example", NULL),
			 CUR_DROP);
	ck_assert_str_eq(d.drop_reason, "classify:quality");
	cur_doc_release(&d);
	st->ops->destroy(st);
}
END_TEST

START_TEST(t_stage_bad_options)
{
	const char *bad[] = {
		"{\"bundled\": \"colour\"}", "{\"model\": \"noequals\"}", "{\"k\": -2}",
		"{\"keep_lang\": \"xx\"}", "{\"bundled\": \"none\"}", "{\"shade\": 1}",
		"{\"bundled\": \"category\", \"keep_lang\": \"en\"}",
		"{\"bundled\": \"quality\", \"quality_label\": \"great\"}",
	};
	cur_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_ptr_null(stage(bad[i], &err));
		ck_assert_msg(err.code == CUR_EINVAL, "%s: %d %s", bad[i], err.code, err.msg);
	}
	ck_assert_ptr_null(stage("{\"lang_model\": \"" DATA "nothing.ftz\"}", &err));
	ck_assert_int_eq(err.code, CUR_EIO);
}
END_TEST

/* classify test's figures on a known confusion: 3 math (2 right, 1 as
 * code), 2 code (both right), 1 general (as math). */
START_TEST(t_test_metrics)
{
	char path[] = "/tmp/curate-classify-test.XXXXXX";
	int fd = mkstemp(path);
	const char *rows[][2] = {
		{ "math", "math" }, { "math", "math" }, { "math", "code" },
		{ "code", "code" }, { "code", "code" }, { "general", "math" },
	};
	json_t *cfg = json_pack("{s:s, s:s}", "label_field", "gold", "predicted_field", "got"),
	       *report = json_object();
	char *files[] = { path };
	cur_buf table;
	cls_run run;
	cur_err err;
	FILE *f = fdopen(fd, "w");

	for (size_t i = 0; i < 6; i++)
		fprintf(f, "{\"text\":\"x\",\"metadata\":{\"gold\":\"%s\",\"got\":\"%s\"}}\n", rows[i][0],
			rows[i][1]);
	fprintf(f, "{\"text\":\"no label\"}\n");
	fclose(f);
	memset(&run, 0, sizeof(run));
	cur_reader_opts_init(&run.reader);
	run.files = files;
	run.nfiles = 1;
	cur_buf_init(&table, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(cls_test(cfg, NULL, &run, &table, report, &err), CUR_OK);
	/* code P 2/3 R 1 F1 0.8; general P 0 R 0 F1 0; math P 2/3 R 2/3 F1 2/3. */
	json_t *l = json_object_get(report, "labels");
	ck_assert(fabs(json_real_value(json_object_get(json_object_get(l, "code"), "f1")) - 0.8) < 1e-9);
	ck_assert(fabs(json_real_value(json_object_get(json_object_get(l, "math"), "precision")) -
		       2.0 / 3) < 1e-9);
	ck_assert(fabs(json_real_value(json_object_get(report, "macro_f1")) - (0.8 + 2.0 / 3) / 3) < 1e-9);
	ck_assert(fabs(json_real_value(json_object_get(report, "accuracy")) - 4.0 / 6) < 1e-9);
	ck_assert_int_eq(json_integer_value(json_object_get(report, "unlabelled")), 1);
	ck_assert(strstr(table.data, "macro-F1 0.4889") != NULL);
	cur_buf_release(&table);
	json_decref(cfg);
	json_decref(report);
	unlink(path);
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
	tcase_add_test(tc, t_rows_category);
	tcase_add_test(tc, t_rows_quality);
	tcase_add_test(tc, t_rows_trained);
	tcase_add_test(tc, t_predict_lid);
	tcase_add_test(tc, t_load_errors);
	tcase_add_test(tc, t_threads_share_model);
	tcase_add_test(tc, t_stage_categories);
	tcase_add_test(tc, t_numeric_equations);
	tcase_add_test(tc, t_stage_drops_and_models);
	tcase_add_test(tc, t_stage_bad_options);
	tcase_add_test(tc, t_test_metrics);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
