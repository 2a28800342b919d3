/* The `classify` stage: the shipped language, category and quality models
 * and any fastText model given by --model, on every document.
 *
 * Pure per document (serial = 0): the models are read-only and shared,
 * each worker has a scratch per model, and the report counters are atomics,
 * so outputs and figures do not depend on -j. */
#include "config.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "classify/classify.h"
#include "classify/cls_int.h"
#include "classify/stage.h"
#include "core/hist.h"
#include "core/options.h"
#include "core/stage.h"

const cur_opt_spec cls_stage_options[] = {
	{"bundled", CUR_OPT_LIST, "LIST", "shipped models to run: any of lang,category,quality, or none",
	 "lang,category,quality"},
	{"lang-model", CUR_OPT_STR, "FILE", "the language ID model", "lid.176.ftz"},
	{"category-model", CUR_OPT_STR, "FILE", "the content model (general|math|code)", "category.ftz"},
	{"quality-model", CUR_OPT_STR, "FILE", "the quality model", "quality.ftz"},
	{"quality-label", CUR_OPT_STR, "LABEL", "metadata.quality is this label's probability", "hq"},
	{"model", CUR_OPT_LIST, "NAME=FILE", "any fastText model: metadata.NAME = {label: probability}",
	 "none"},
	{"k", CUR_OPT_INT, "K", "labels per --model, most probable first (0: all)", "1"},
	{"keep-lang", CUR_OPT_LIST, "LIST", "keep only these languages (drop: classify:lang)", "all"},
	{"min-lang-score", CUR_OPT_NUM, "X", "drop below this language probability (classify:lang_score)",
	 "0"},
	{"min-quality", CUR_OPT_NUM, "X", "drop below this quality (classify:quality)", "0"},
	{"override", CUR_OPT_FLAG, NULL, "replace a metadata.category the input set", NULL},
	{NULL, 0, NULL, NULL, NULL}
};

/* The four categories of the Llama 3 mix, then one slot for any other
 * category an input set. */
static const char *const categories[] = {"general", "math", "code", "multilingual", "other"};
enum { CAT_GENERAL, CAT_MATH, CAT_CODE, CAT_MULTILINGUAL, CAT_OTHER, NCAT };

#define QUALITY_BINS 10
#define MAX_EXTRA 16

typedef struct counter {
	atomic_ullong docs, bytes;
} counter;

typedef struct extra_model {
	char *name, *file;
	cls_model *model;
} extra_model;

typedef struct cls_stage {
	cls_model *lang, *category, *quality;
	char *model_file[3];
	int32_t quality_label;
	int *category_of;          /* the category model's label -> CAT_* */
	int category_has_math;     /* it has the label math */
	extra_model extra[MAX_EXTRA];
	size_t nextra;
	int k, override;
	unsigned char *keep_lang;   /* per language label: 1 = keep; NULL: keep all */
	double min_lang_score, min_quality;
	int32_t english;            /* the language model's "en" label, or -1 */
	/* report */
	counter *lang_count;        /* per language label, then one for none */
	counter cat_count[NCAT];
	atomic_ullong quality_docs, quality_micro_sum, quality_hist[QUALITY_BINS];
} cls_stage;

typedef struct cls_tls {
	cls_scratch *lang, *category, *quality;
	cls_scratch *extra[MAX_EXTRA];
	cls_pred *pred;      /* room for the largest model's labels */
	size_t cap;
} cls_tls;

/* ---- per thread ---- */

static size_t labels_of(const cls_model *m)
{
	return m ? cls_model_nlabels(m) : 0;
}

static void cls_thread_free(cur_stage *self, void *tls)
{
	cls_tls *t = tls;

	(void)self;
	if (!t)
		return;
	cls_scratch_free(t->lang);
	cls_scratch_free(t->category);
	cls_scratch_free(t->quality);
	for (size_t i = 0; i < MAX_EXTRA; i++)
		cls_scratch_free(t->extra[i]);
	free(t->pred);
	free(t);
}

static int scratch_for(const cls_model *m, cls_scratch **out, size_t *cap)
{
	if (!m)
		return 0;
	if (labels_of(m) > *cap)
		*cap = labels_of(m);
	*out = cls_scratch_new(m);
	return *out ? 0 : -1;
}

static void *cls_thread_new(cur_stage *self)
{
	cls_stage *cs = self->priv;
	cls_tls *t = calloc(1, sizeof(*t));
	int bad = 0;

	if (!t)
		return NULL;
	t->cap = 1;
	bad |= scratch_for(cs->lang, &t->lang, &t->cap);
	bad |= scratch_for(cs->category, &t->category, &t->cap);
	bad |= scratch_for(cs->quality, &t->quality, &t->cap);
	for (size_t i = 0; i < cs->nextra; i++)
		bad |= scratch_for(cs->extra[i].model, &t->extra[i], &t->cap);
	t->pred = calloc(t->cap, sizeof(*t->pred));
	if (bad || !t->pred) {
		cls_thread_free(self, t);
		return NULL;
	}
	return t;
}

/* ---- per document ---- */

static void count(counter *c, size_t bytes)
{
	atomic_fetch_add_explicit(&c->docs, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->bytes, bytes, memory_order_relaxed);
}

static void bump(atomic_ullong *v)
{
	atomic_fetch_add_explicit(v, 1, memory_order_relaxed);
}

static int set_meta(cur_doc *doc, const char *key, json_t *v, cur_err *err)
{
	json_t *meta = cur_doc_metadata(doc);

	if (!v || !meta || json_object_set_new(meta, key, v))
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return CUR_OK;
}

/* The top label of m for the document (-1 and prob 0 when fastText has
 * nothing to read, as with a model without "</s>"). */
static int top1(const cls_model *m, cls_scratch *s, cls_tls *t, const cur_doc *doc,
		int32_t *label, float *prob, cur_err *err)
{
	size_t n;

	CUR_FORWARD(cls_predict(m, s, doc->text, doc->text_len, 1, t->pred, t->cap, &n, err));
	*label = n ? t->pred[0].label : -1;
	*prob = n ? t->pred[0].prob : 0;
	return CUR_OK;
}

static int classify_lang(cls_stage *cs, cls_tls *t, cur_doc *doc, int32_t *lang, cur_err *err)
{
	float p;

	CUR_FORWARD(top1(cs->lang, t->lang, t, doc, lang, &p, err));
	count(&cs->lang_count[*lang >= 0 ? (size_t)*lang : labels_of(cs->lang)], doc->text_len);
	CUR_FORWARD(set_meta(doc, "lang", json_string(*lang >= 0 ? cls_model_label(cs->lang, *lang)
						      : "und"), err));
	CUR_FORWARD(set_meta(doc, "lang_score", json_real(p), err));
	if (cs->keep_lang && (*lang < 0 || !cs->keep_lang[*lang]))
		return cur_doc_drop(doc, "classify:lang", p);
	if (p < cs->min_lang_score)
		return cur_doc_drop(doc, "classify:lang_score", p);
	return CUR_KEEP;
}

static int classify_quality(cls_stage *cs, cls_tls *t, cur_doc *doc, cur_err *err)
{
	size_t n;
	double q = 0;

	CUR_FORWARD(cls_predict(cs->quality, t->quality, doc->text, doc->text_len, 0, t->pred,
				t->cap, &n, err));
	for (size_t i = 0; i < n; i++)
		if (t->pred[i].label == cs->quality_label)
			q = t->pred[i].prob;
	CUR_FORWARD(set_meta(doc, "quality", json_real(q), err));
	bump(&cs->quality_docs);
	atomic_fetch_add_explicit(&cs->quality_micro_sum, (unsigned long long)llround(q * 1e6),
				  memory_order_relaxed);
	bump(&cs->quality_hist[q >= 1 ? QUALITY_BINS - 1 : (int)(q * QUALITY_BINS)]);
	if (q < cs->min_quality)
		return cur_doc_drop(doc, "classify:quality", q);
	return CUR_KEEP;
}

static int category_index(const char *name)
{
	for (int c = 0; c < CAT_OTHER; c++)
		if (strcmp(categories[c], name) == 0)
			return c;
	return CAT_OTHER;
}

/* Documents that work sums in numbers are math whatever the content model
 * says (docs/classify.md): two equations between numbers ("48/2 = 24"). */
#define MATH_EQUATIONS 2

/* The content model says general, math or code, except that worked
 * arithmetic is math; language ID turns non-English general text into
 * multilingual (math and code stay). */
static int classify_category(cls_stage *cs, cls_tls *t, cur_doc *doc, int32_t lang,
			     cur_err *err)
{
	json_t *meta = cur_doc_metadata(doc);
	const char *given = meta ? json_string_value(json_object_get(meta, "category")) : NULL;
	int32_t label;
	float p;
	int c;

	if (given && !cs->override) {
		count(&cs->cat_count[category_index(given)], doc->text_len);
		return CUR_KEEP;
	}
	CUR_FORWARD(top1(cs->category, t->category, t, doc, &label, &p, err));
	c = label >= 0 ? cs->category_of[label] : CAT_GENERAL;
	if (c != CAT_MATH && cs->category_has_math &&
	    cls_numeric_equations(doc->text, doc->text_len, MATH_EQUATIONS) >= MATH_EQUATIONS)
		c = CAT_MATH;
	if (c == CAT_GENERAL && cs->lang && lang != cs->english)
		c = CAT_MULTILINGUAL;
	count(&cs->cat_count[c], doc->text_len);
	if (c == CAT_OTHER)
		return set_meta(doc, "category", json_string(cls_model_label(cs->category, label)),
				err);
	return set_meta(doc, "category", json_string(categories[c]), err);
}

static int classify_extra(const extra_model *x, cls_scratch *s, cls_tls *t, int k, cur_doc *doc,
			  cur_err *err)
{
	json_t *o = json_object();
	size_t n;
	int rc;

	if (!o)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	rc = cls_predict(x->model, s, doc->text, doc->text_len, k, t->pred, t->cap, &n, err);
	for (size_t i = 0; rc == CUR_OK && i < n; i++)
		if (json_object_set_new(o, cls_model_label(x->model, t->pred[i].label),
					json_real(t->pred[i].prob)))
			rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	return set_meta(doc, x->name, o, err);
}

static int cls_process(cur_stage *self, void *tls, cur_doc *doc, cur_err *err)
{
	cls_stage *cs = self->priv;
	cls_tls *t = tls;
	int32_t lang = -1;
	int rc;

	if (!t)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	if (cs->lang && (rc = classify_lang(cs, t, doc, &lang, err)) != CUR_KEEP)
		return rc;
	if (cs->quality && (rc = classify_quality(cs, t, doc, err)) != CUR_KEEP)
		return rc;
	if (cs->category)
		CUR_FORWARD(classify_category(cs, t, doc, lang, err));
	for (size_t i = 0; i < cs->nextra; i++)
		CUR_FORWARD(classify_extra(&cs->extra[i], t->extra[i], t, cs->k, doc, err));
	return CUR_KEEP;
}

/* ---- report ---- */

/* Bins of metadata.quality: tenths of the probability. */
static const double quality_edges[QUALITY_BINS] = {0, .1, .2, .3, .4, .5, .6, .7, .8, .9};

static int by_docs_desc(const void *a, const void *b, void *arg)
{
	const counter *c = arg;
	unsigned long long x = atomic_load(&c[*(const size_t *)a].docs);
	unsigned long long y = atomic_load(&c[*(const size_t *)b].docs);

	if (x != y)
		return x < y ? 1 : -1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Two shares objects (docs and bytes) over n counters, most documents
 * first, leaving out keys without documents. */
static int add_shares(json_t *shares, const char *name, const char *bytes_name, counter *c,
		      size_t n, const char *(*key)(const cls_stage *, size_t), const cls_stage *cs)
{
	size_t *order = cur_calloc_array(n ? n : 1, sizeof(size_t));
	json_t *docs = json_object(), *bytes = json_object();

	if (!order || !docs || !bytes)
		goto nomem;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(size_t), by_docs_desc, c);
	for (size_t i = 0; i < n && atomic_load(&c[order[i]].docs); i++) {
		const char *k = key(cs, order[i]);

		if (json_object_set_new(docs, k, json_integer((json_int_t)atomic_load(&c[order[i]].docs))) ||
		    json_object_set_new(bytes, k, json_integer((json_int_t)atomic_load(&c[order[i]].bytes))))
			goto nomem;
	}
	free(order);
	if (json_object_set_new(shares, name, docs) || json_object_set_new(shares, bytes_name, bytes))
		return CUR_ENOMEM;
	return CUR_OK;
nomem:
	free(order);
	json_decref(docs);
	json_decref(bytes);
	return CUR_ENOMEM;
}

static const char *language_key(const cls_stage *cs, size_t i)
{
	return i < labels_of(cs->lang) ? cls_model_label(cs->lang, (int32_t)i) : "und";
}

static const char *category_key(const cls_stage *cs, size_t i)
{
	(void)cs;
	return categories[i];
}

static json_t *quality_histogram(cls_stage *cs)
{
	cur_hist h;
	json_t *j;

	if (cur_hist_init(&h, quality_edges, QUALITY_BINS) < 0)
		return NULL;
	for (int b = 0; b < QUALITY_BINS; b++)
		h.counts[b] = atomic_load(&cs->quality_hist[b]);
	h.n = atomic_load(&cs->quality_docs);
	h.sum = (double)atomic_load(&cs->quality_micro_sum) / 1e6;
	j = cur_hist_json(&h, "probability");
	cur_hist_release(&h);
	if (j && cs->min_quality > 0)
		json_object_set_new(j, "marks", json_pack("[{s:f, s:s}]", "at", cs->min_quality,
							  "label", "--min-quality"));
	return j;
}

static json_t *models_json(const cls_stage *cs)
{
	static const char *const keys[] = {"lang", "category", "quality"};
	json_t *o = json_object();

	for (int m = 0; m < 3; m++)
		if (cs->model_file[m])
			json_object_set_new(o, keys[m], json_string(cur_basename(cs->model_file[m])));
	for (size_t i = 0; i < cs->nextra; i++)
		json_object_set_new(o, cs->extra[i].name, json_string(cur_basename(cs->extra[i].file)));
	return o;
}

/* The report's conventions (docs/report.md): shares per language (all the
 * documents the stage saw) and per category (those it passed on), in
 * documents and in bytes; the quality histogram; the models. */
static int cls_finish(cur_stage *self, json_t *report, cur_err *err)
{
	cls_stage *cs = self->priv;
	json_t *shares = json_object(), *hist = json_object();

	if (!shares || !hist)
		goto nomem;
	if (cs->lang && add_shares(shares, "language", "language_bytes", cs->lang_count,
				   labels_of(cs->lang) + 1, language_key, cs) < 0)
		goto nomem;
	if (cs->category && add_shares(shares, "category", "category_bytes", cs->cat_count, NCAT,
				       category_key, cs) < 0)
		goto nomem;
	if (cs->quality && json_object_set_new(hist, "quality", quality_histogram(cs)))
		goto nomem;
	if (json_object_set_new(report, "shares", shares) ||
	    json_object_set_new(report, "histograms", hist) ||
	    json_object_set_new(report, "models", models_json(cs)))
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return CUR_OK;
nomem:
	json_decref(shares);
	json_decref(hist);
	return cur_err_set(err, CUR_ENOMEM, "out of memory");
}

static void cls_destroy(cur_stage *self)
{
	cls_stage *cs;

	if (!self)
		return;
	cs = self->priv;
	if (cs) {
		cls_model_free(cs->lang);
		cls_model_free(cs->category);
		cls_model_free(cs->quality);
		for (int i = 0; i < 3; i++)
			free(cs->model_file[i]);
		for (size_t i = 0; i < cs->nextra; i++) {
			free(cs->extra[i].name);
			free(cs->extra[i].file);
			cls_model_free(cs->extra[i].model);
		}
		free(cs->category_of);
		free(cs->keep_lang);
		free(cs->lang_count);
		free(cs);
	}
	free(self);
}

static const cur_stage_ops cls_ops = {
	.thread_new = cls_thread_new,
	.thread_free = cls_thread_free,
	.process = cls_process,
	.finish = cls_finish,
	.destroy = cls_destroy,
};

/* ---- configuration ---- */

enum { USE_LANG = 1, USE_CATEGORY = 2, USE_QUALITY = 4 };

static int add_bundled(void *arg, const char *s, size_t n, cur_err *err)
{
	static const char *const names[] = {"lang", "category", "quality", "none"};
	unsigned *use = arg;

	for (unsigned i = 0; i < 4; i++) {
		if (strlen(names[i]) == n && strncmp(names[i], s, n) == 0) {
			*use |= i < 3 ? 1u << i : 0;
			return CUR_OK;
		}
	}
	return cur_err_set(err, CUR_EINVAL, "classify: unknown model '%.*s' in --bundled "
			   "(lang, category, quality, none)", (int)n, s);
}

/* A shipped model (file NULL) or the user's file. OUT: *path (malloc'd). */
static int load_model(const char *file, const char *shipped, cls_model **m, char **path,
		      cur_err *err)
{
	char buf[4096];

	if (!file) {
		CUR_FORWARD(cls_default_model(shipped, buf, sizeof(buf), err));
		file = buf;
	}
	*path = strdup(file);
	if (!*path)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return cls_model_load(file, m, err);
}

static int add_extra(void *arg, const char *s, size_t n, cur_err *err)
{
	cls_stage *cs = arg;
	const char *eq = memchr(s, '=', n);
	extra_model *x;
	int rc;

	if (!eq || eq == s || eq == s + n - 1)
		return cur_err_set(err, CUR_EINVAL, "classify: --model wants NAME=FILE, not '%.*s'",
				   (int)n, s);
	if (cs->nextra == MAX_EXTRA)
		return cur_err_set(err, CUR_EINVAL, "classify: at most %d --model", MAX_EXTRA);
	x = &cs->extra[cs->nextra];
	x->name = cur_strndup(s, (size_t)(eq - s));
	x->file = cur_strndup(eq + 1, (size_t)(s + n - eq - 1));
	/* Counted now, so that destroy frees what is already here. */
	cs->nextra++;
	if (!x->name || !x->file)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	rc = cls_model_load(x->file, &x->model, err);
	return rc;
}

static int add_keep_lang(void *arg, const char *s, size_t n, cur_err *err)
{
	cls_stage *cs = arg;
	char name[64];
	int32_t l;

	snprintf(name, sizeof(name), "%.*s", (int)n, s);
	l = cls_model_find_label(cs->lang, name);
	if (l < 0)
		return cur_err_set(err, CUR_EINVAL, "classify: --keep-lang: the language model has no "
				   "label '%s'", name);
	cs->keep_lang[l] = 1;
	return CUR_OK;
}

static int setup_lang(cls_stage *cs, json_t *cfg, cur_err *err)
{
	size_t n = labels_of(cs->lang);

	cs->english = cls_model_find_label(cs->lang, "en");
	cs->lang_count = calloc(n + 1, sizeof(counter));
	if (!cs->lang_count)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	if (json_object_get(cfg, "keep_lang")) {
		cs->keep_lang = calloc(n ? n : 1, 1);
		if (!cs->keep_lang)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		CUR_FORWARD(cur_cfg_each(cfg, "keep_lang", add_keep_lang, cs, err));
	}
	return CUR_OK;
}

static int setup_quality(cls_stage *cs, json_t *cfg, cur_err *err)
{
	const char *label;

	CUR_FORWARD(cur_cfg_str(cfg, "quality_label", "hq", &label, err));
	cs->quality_label = cls_model_find_label(cs->quality, label);
	if (cs->quality_label < 0)
		return cur_err_set(err, CUR_EINVAL, "classify: the quality model '%s' has no label '%s' "
				   "(--quality-label)", cs->model_file[2], label);
	return CUR_OK;
}

static int setup_category(cls_stage *cs, cur_err *err)
{
	size_t n = labels_of(cs->category);

	cs->category_of = calloc(n ? n : 1, sizeof(int));
	if (!cs->category_of)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		cs->category_of[i] = category_index(cls_model_label(cs->category, (int32_t)i));
		cs->category_has_math |= cs->category_of[i] == CAT_MATH;
	}
	return CUR_OK;
}

static int configure(cls_stage *cs, json_t *cfg, cur_err *err)
{
	const char *file[3];
	static const char *const shipped[3] = {"lid.176.ftz", "category.ftz", "quality.ftz"};
	cls_model **slot[3] = {&cs->lang, &cs->category, &cs->quality};
	unsigned use = 0;
	int64_t k;

	CUR_FORWARD(cur_cfg_check_keys(cfg, cls_stage_options, "classify", err));
	if (json_object_get(cfg, "bundled"))
		CUR_FORWARD(cur_cfg_each(cfg, "bundled", add_bundled, &use, err));
	else
		use = USE_LANG | USE_CATEGORY | USE_QUALITY;
	CUR_FORWARD(cur_cfg_str(cfg, "lang_model", NULL, &file[0], err));
	CUR_FORWARD(cur_cfg_str(cfg, "category_model", NULL, &file[1], err));
	CUR_FORWARD(cur_cfg_str(cfg, "quality_model", NULL, &file[2], err));
	CUR_FORWARD(cur_cfg_int(cfg, "k", 1, &k, err));
	CUR_FORWARD(cur_cfg_num(cfg, "min_lang_score", 0, &cs->min_lang_score, err));
	CUR_FORWARD(cur_cfg_num(cfg, "min_quality", 0, &cs->min_quality, err));
	CUR_FORWARD(cur_cfg_bool(cfg, "override", 0, &cs->override, err));
	if (k < 0 || k > 1000000)
		return cur_err_set(err, CUR_EINVAL, "classify: --k must be 0 (all) or more");
	cs->k = (int)k;
	for (int m = 0; m < 3; m++) {
		/* Naming a model's file asks for that model. */
		if (file[m])
			use |= 1u << m;
		if (use & (1u << m))
			CUR_FORWARD(load_model(file[m], shipped[m], slot[m], &cs->model_file[m], err));
	}
	if (!cs->lang && (json_object_get(cfg, "keep_lang") || cs->min_lang_score > 0))
		return cur_err_set(err, CUR_EINVAL, "classify: --keep-lang and --min-lang-score need the "
				   "language model");
	if (!cs->quality && cs->min_quality > 0)
		return cur_err_set(err, CUR_EINVAL, "classify: --min-quality needs the quality model");
	if (cs->lang)
		CUR_FORWARD(setup_lang(cs, cfg, err));
	if (cs->quality)
		CUR_FORWARD(setup_quality(cs, cfg, err));
	if (cs->category)
		CUR_FORWARD(setup_category(cs, err));
	CUR_FORWARD(cur_cfg_each(cfg, "model", add_extra, cs, err));
	if (!cs->lang && !cs->category && !cs->quality && !cs->nextra)
		return cur_err_set(err, CUR_EINVAL, "classify: no model to run (--bundled none and no "
				   "--model)");
	return CUR_OK;
}

cur_stage *cls_stage_new(json_t *config, const cur_stage_env *env, cur_err *err)
{
	cur_stage *st = calloc(1, sizeof(*st));
	cls_stage *cs = calloc(1, sizeof(*cs));
	json_t *empty = NULL;
	int rc;

	(void)env;
	if (!st || !cs) {
		free(st);
		free(cs);
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	st->ops = &cls_ops;
	st->name = "classify";
	st->priv = cs;
	if (!config)
		config = empty = json_object();
	rc = configure(cs, config, err);
	json_decref(empty);
	if (rc < 0) {
		cls_destroy(st);
		return NULL;
	}
	return st;
}

int cls_stage_categories(json_t *config, json_t *names)
{
	unsigned use = USE_LANG | USE_CATEGORY | USE_QUALITY;
	cur_err err;

	if (config && json_object_get(config, "bundled")) {
		use = 0;
		if (cur_cfg_each(config, "bundled", add_bundled, &use, &err) < 0)
			return 0;
	}
	if (config && json_object_get(config, "lang_model"))
		use |= USE_LANG;
	if (config && json_object_get(config, "category_model"))
		return 1;
	if (!(use & USE_CATEGORY))
		return 0;
	/* Multilingual comes from language ID. */
	for (int c = 0; c < CAT_OTHER; c++)
		if (c != CAT_MULTILINGUAL || (use & USE_LANG))
			json_array_append_new(names, json_string(categories[c]));
	return 0;
}
