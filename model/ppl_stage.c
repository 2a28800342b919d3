/* The ppl stage. A document is scored as <|begin_of_text|> followed by its
 * Llama 3 ids, each id predicted from those before it (model.h's
 * model_score: windows of max_position_embeddings without overlap); its
 * perplexity is exp(mean negative log-likelihood). Workers share the model
 * (read-only) and keep a scorer and an id buffer each. */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/datadir.h"
#include "core/file.h"
#include "core/hist.h"
#include "model/model.h"
#include "model/ppl_stage.h"
#include "tokenizer/tokenizer.h"

const cur_opt_spec model_ppl_options[] = {
	{ "model", CUR_OPT_STR, "DIR", "checkpoint directory (config.json + model.safetensors)", "the reference model (data/models/reference)" },
	{ "fit", CUR_OPT_STR, "FILE", "write the 30th and 60th percentiles of these documents' perplexity (the bucket cut-offs) to FILE", NULL },
	{ "buckets", CUR_OPT_STR, "FILE", "bucket cut-offs from a --fit FILE", "the model's ppl_buckets.json" },
	{ "keep", CUR_OPT_STR, "LIST", "keep only these buckets, e.g. head,middle (others dropped as ppl:BUCKET)", "all" },
	{ "max-ppl", CUR_OPT_NUM, "X", "drop documents above perplexity X (ppl:max_ppl)", "none" },
	{ "max-tokens", CUR_OPT_INT, "N", "score only the first N tokens of a document", "all" },
	{ "window", CUR_OPT_INT, "N", "tokens per window of a long document", "max_position_embeddings, at most 2048" },
	{ NULL, 0, NULL, NULL, NULL }
};

static const char BOS_TEXT[] = "<|begin_of_text|>";

enum { HEAD, MIDDLE, TAIL, NBUCKETS };
static const char *const bucket_names[NBUCKETS] = { "head", "middle", "tail" };
static const char *const drop_reasons[NBUCKETS] = { "ppl:head", "ppl:middle", "ppl:tail" };
/* What each reason means, for the report page (docs/report.md). */
static const char *const reason_about[][2] = {
	{ "ppl:head", "perplexity at most the head cut-off (30th percentile), a bucket --keep left out" },
	{ "ppl:middle", "perplexity between the head and middle cut-offs (30th to 60th percentile), a bucket --keep left out" },
	{ "ppl:tail", "perplexity above the middle cut-off (60th percentile), a bucket --keep left out" },
	{ "ppl:max_ppl", "perplexity above --max-ppl" },
};
static const char REASON_DOCS[] = "model.md#curate-ppl---model-dir-options-file";

/* The report's histogram (core/hist.h): log-spaced bins, ten per decade,
 * lower edges 10^(k/10) for k = 0..50 (1 to 100,000; the last bin has no
 * upper end). */
enum { HIST_PER_DECADE = 10, HIST_BINS = 51 };

typedef struct ppl_stage {
	cur_stage base;
	model *m;
	tok_tokenizer *tok;
	char model_dir[1024];
	char *fit_path;
	double cut[2];         /* head and middle upper bounds, when known */
	int have_cut;
	char cut_source[1024];
	int keep[NBUCKETS];
	double max_ppl;
	long long max_tokens;
	int window;
	/* figures, updated by every worker */
	long long scored, tokens, empty, buckets[NBUCKETS];
	double edges[HIST_BINS];
	cur_hist hist;         /* guarded by mu */
	pthread_mutex_t mu;    /* guards hist and the --fit sample */
	float *sample;
	size_t nsample, capsample;
	int failed_alloc;
} ppl_stage;

typedef struct ppl_tls {
	tok_ids ids;
	model_scorer *scorer;
} ppl_tls;

int model_default_dir(char *path, size_t n, cur_err *err)
{
	if (cur_data_path("models/reference", "model.safetensors", path, n, err) != CUR_OK)
		return cur_err_set(err, CUR_EIO, "%s: train the reference model with "
				   "scripts/reference_model.sh (scripts/demo.sh does) or name a "
				   "checkpoint with --model DIR", err->msg);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	return CUR_OK;
}

/* ---- cut-offs ---- */

static int read_cutoffs(ppl_stage *s, const char *path, int required, cur_err *err)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j) {
		if (!required && access(path, F_OK) != 0)
			return CUR_OK;
		return cur_err_set(err, CUR_EINVAL, "cannot read the bucket cut-offs '%s': %s", path, je.text);
	}
	json_t *h = json_object_get(j, "head"), *m = json_object_get(j, "middle");
	int ok = json_is_number(h) && json_is_number(m) && json_number_value(h) <= json_number_value(m);
	if (ok) {
		s->cut[0] = json_number_value(h);
		s->cut[1] = json_number_value(m);
		s->have_cut = 1;
		snprintf(s->cut_source, sizeof s->cut_source, "%s", path);
	}
	json_decref(j);
	if (!ok)
		return cur_err_set(err, CUR_EINVAL, "'%s': wants numbers \"head\" <= \"middle\" (curate ppl --fit writes them)",
				   path);
	return CUR_OK;
}

static int parse_keep(ppl_stage *s, const char *list, cur_err *err)
{
	char *copy = strdup(list), *save = NULL;
	int rc = CUR_OK, any = 0;
	if (!copy)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	for (char *t = strtok_r(copy, ",", &save); t && rc == CUR_OK; t = strtok_r(NULL, ",", &save)) {
		int b = 0;
		while (b < NBUCKETS && strcmp(bucket_names[b], t) != 0)
			b++;
		if (b == NBUCKETS)
			rc = cur_err_set(err, CUR_EINVAL, "--keep: unknown bucket '%s' (head, middle, tail)", t);
		else
			s->keep[b] = any = 1;
	}
	free(copy);
	if (rc == CUR_OK && !any)
		rc = cur_err_set(err, CUR_EINVAL, "--keep wants a list of buckets, e.g. head,middle");
	return rc;
}

/* ---- the stage ---- */

static void *ppl_thread_new(cur_stage *self)
{
	ppl_stage *s = self->priv;
	ppl_tls *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	cur_err err;
	tok_ids_init(&t->ids);
	if (model_scorer_new(s->m, s->window, &t->scorer, &err) < 0) {
		tok_ids_release(&t->ids);
		free(t);
		return NULL;
	}
	return t;
}

static void ppl_thread_free(cur_stage *self, void *tls)
{
	ppl_tls *t = tls;
	(void)self;
	if (!t)
		return;
	model_scorer_free(t->scorer);
	tok_ids_release(&t->ids);
	free(t);
}

/* Count ppl in the histogram and, with --fit, keep it for the percentiles.
 * The histogram gets ppl to 1/16: sums of such values are exact in a
 * double, so the report's sum is the same whatever order workers, or the
 * tasks of a distributed run, add documents in. */
static void record(ppl_stage *s, double ppl)
{
	pthread_mutex_lock(&s->mu);
	cur_hist_add(&s->hist, nearbyint(ppl * 16) / 16);
	if (!s->fit_path) {
		pthread_mutex_unlock(&s->mu);
		return;
	}
	if (s->nsample == s->capsample) {
		size_t cap = s->capsample ? 2 * s->capsample : 4096;
		float *p = cur_realloc_array(s->sample, cap, sizeof *p);
		if (!p) {
			s->failed_alloc = 1;
			pthread_mutex_unlock(&s->mu);
			return;
		}
		s->sample = p;
		s->capsample = cap;
	}
	s->sample[s->nsample++] = (float)ppl;
	pthread_mutex_unlock(&s->mu);
}

static int bucket_of(const ppl_stage *s, double ppl)
{
	return ppl <= s->cut[0] ? HEAD : ppl <= s->cut[1] ? MIDDLE : TAIL;
}

static int ppl_process(cur_stage *self, void *tls, cur_doc *doc, cur_err *err)
{
	ppl_stage *s = self->priv;
	ppl_tls *t = tls;
	double nll, ppl;
	size_t n;

	if (!t)
		return cur_err_set(err, CUR_ENOMEM, "out of memory for the ppl stage's buffers");
	/* <|begin_of_text|> (the special token, encoded as such), then the
	 * document's ids with special-token strings as plain text */
	t->ids.len = 0;
	if (tok_encode(s->tok, BOS_TEXT, sizeof BOS_TEXT - 1, 1, &t->ids) < 0 ||
	    tok_encode(s->tok, doc->text, doc->text_len, 0, &t->ids) < 0)
		return cur_err_set(err, CUR_ENOMEM, "out of memory for the document's token ids");
	n = t->ids.len - 1;
	if (s->max_tokens && n > (size_t)s->max_tokens)
		n = (size_t)s->max_tokens;
	if (n == 0) {
		__atomic_fetch_add(&s->empty, 1, __ATOMIC_RELAXED);
		return CUR_KEEP;
	}
	size_t predicted;
	if (model_score(t->scorer, t->ids.ids, n + 1, &nll, &predicted, err) < 0)
		return err->code;
	ppl = exp(nll / (double)predicted);
	json_t *meta = cur_doc_metadata(doc);
	if (!meta || json_object_set_new(meta, "ppl", json_real(ppl)))
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	__atomic_fetch_add(&s->scored, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->tokens, (long long)predicted, __ATOMIC_RELAXED);
	record(s, ppl);
	if (s->have_cut) {
		int b = bucket_of(s, ppl);
		__atomic_fetch_add(&s->buckets[b], 1, __ATOMIC_RELAXED);
		if (json_object_set_new(meta, "ppl_bucket", json_string(bucket_names[b])))
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		if (!s->keep[b]) {
			cur_doc_drop(doc, drop_reasons[b], ppl);
			return CUR_DROP;
		}
	}
	if (s->max_ppl > 0 && ppl > s->max_ppl) {
		cur_doc_drop(doc, "ppl:max_ppl", ppl);
		return CUR_DROP;
	}
	return CUR_KEEP;
}

static int by_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* Linear interpolation between the order statistics (numpy's default). */
static double percentile(const float *v, size_t n, double q)
{
	double at = q * (double)(n - 1);
	size_t i = (size_t)at;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (at - (double)i) * (v[i + 1] - v[i]);
}

static int write_fit(ppl_stage *s, cur_err *err)
{
	if (s->failed_alloc)
		return cur_err_set(err, CUR_ENOMEM, "out of memory for the --fit sample");
	if (s->nsample == 0)
		return cur_err_set(err, CUR_EINVAL, "--fit: no document was scored");
	qsort(s->sample, s->nsample, sizeof *s->sample, by_float);
	s->cut[0] = percentile(s->sample, s->nsample, 0.30);
	s->cut[1] = percentile(s->sample, s->nsample, 0.60);
	s->have_cut = 1;
	snprintf(s->cut_source, sizeof s->cut_source, "fit");
	json_t *j = json_pack("{s:f, s:f, s:[i,i], s:I, s:f, s:s, s:s}", "head", s->cut[0], "middle", s->cut[1],
			      "percentiles", 30, 60, "documents", (json_int_t)s->nsample, "median",
			      percentile(s->sample, s->nsample, 0.5), "model", s->model_dir, "tokenizer",
			      tok_checksum(s->tok));
	char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	int rc = text ? cur_atomic_write_file(s->fit_path, text, strlen(text), err)
		      : cur_err_set(err, CUR_ENOMEM, "out of memory");
	free(text);
	json_decref(j);
	return rc;
}

/* The histogram with the cut-offs as marks, as the report page draws it. */
static json_t *histogram(const ppl_stage *s)
{
	json_t *h = cur_hist_json(&s->hist, "perplexity");
	if (h && s->have_cut)
		json_object_set_new(h, "marks", json_pack("[{s:f, s:s}, {s:f, s:s}]", "at", s->cut[0], "label",
							  "head cut-off (30th percentile)", "at", s->cut[1],
							  "label", "middle cut-off (60th percentile)"));
	return h;
}

static int ppl_finish(cur_stage *self, json_t *report, cur_err *err)
{
	ppl_stage *s = self->priv;
	int rc = CUR_OK;

	if (s->fit_path && (rc = write_fit(s, err)) < 0)
		return rc;
	json_object_set_new(report, "model", json_string(s->model_dir));
	json_object_set_new(report, "scored", json_integer(s->scored));
	json_object_set_new(report, "tokens", json_integer(s->tokens));
	json_object_set_new(report, "empty", json_integer(s->empty));
	json_object_set_new(report, "histograms", json_pack("{s:o}", "perplexity", histogram(s)));
	if (s->have_cut) {
		json_object_set_new(report, "cutoffs", json_pack("{s:f, s:f, s:s}", "head", s->cut[0], "middle",
								 s->cut[1], "source", s->cut_source));
		json_object_set_new(report, "shares", json_pack("{s:{s:I, s:I, s:I}}", "ppl_bucket", "head",
								(json_int_t)s->buckets[HEAD], "middle",
								(json_int_t)s->buckets[MIDDLE], "tail",
								(json_int_t)s->buckets[TAIL]));
	} else {
		json_object_set_new(report, "cutoffs", json_null());
	}
	json_t *reasons = json_object(), *dropped = json_object_get(report, "dropped");
	for (size_t i = 0; i < sizeof reason_about / sizeof reason_about[0]; i++)
		if (json_object_get(dropped, reason_about[i][0]))
			json_object_set_new(reasons, reason_about[i][0], json_pack("{s:s, s:s}", "about",
						reason_about[i][1], "docs", REASON_DOCS));
	if (!reasons || json_object_set_new(report, "reasons", reasons))
		return CUR_ENOMEM;
	return rc;
}

static void ppl_destroy(cur_stage *self)
{
	if (!self)
		return;
	ppl_stage *s = self->priv;
	model_free(s->m);
	tok_free(s->tok);
	free(s->fit_path);
	free(s->sample);
	cur_hist_release(&s->hist);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static const cur_stage_ops ppl_ops = {
	.thread_new = ppl_thread_new,
	.thread_free = ppl_thread_free,
	.process = ppl_process,
	.finish = ppl_finish,
	.destroy = ppl_destroy,
};

static int configure(ppl_stage *s, json_t *cfg, const cur_stage_env *env, cur_err *err)
{
	const char *dir, *fit, *buckets, *keep;
	int64_t max_tokens, window;

	CUR_FORWARD(cur_cfg_check_keys(cfg, model_ppl_options, "ppl", err));
	CUR_FORWARD(cur_cfg_str(cfg, "model", NULL, &dir, err));
	CUR_FORWARD(cur_cfg_str(cfg, "fit", NULL, &fit, err));
	CUR_FORWARD(cur_cfg_str(cfg, "buckets", NULL, &buckets, err));
	CUR_FORWARD(cur_cfg_str(cfg, "keep", NULL, &keep, err));
	CUR_FORWARD(cur_cfg_num(cfg, "max_ppl", 0, &s->max_ppl, err));
	CUR_FORWARD(cur_cfg_int(cfg, "max_tokens", 0, &max_tokens, err));
	CUR_FORWARD(cur_cfg_int(cfg, "window", 0, &window, err));
	if (max_tokens < 0 || s->max_ppl < 0)
		return cur_err_set(err, CUR_EINVAL, "--max-tokens and --max-ppl must not be negative");
	s->max_tokens = max_tokens;
	if (dir)
		snprintf(s->model_dir, sizeof s->model_dir, "%s", dir);
	else
		CUR_FORWARD(model_default_dir(s->model_dir, sizeof s->model_dir, err));
	for (int b = 0; b < NBUCKETS; b++)
		s->keep[b] = 1;
	if (keep) {
		memset(s->keep, 0, sizeof s->keep);
		CUR_FORWARD(parse_keep(s, keep, err));
	}
	if (fit && (keep || buckets))
		return cur_err_set(err, CUR_EINVAL, "--fit measures the cut-offs: it does not take --keep or --buckets");
	if (fit && !(s->fit_path = strdup(fit)))
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	if (buckets) {
		CUR_FORWARD(read_cutoffs(s, buckets, 1, err));
	} else if (!fit) {
		char path[1100];
		snprintf(path, sizeof path, "%s/ppl_buckets.json", s->model_dir);
		CUR_FORWARD(read_cutoffs(s, path, 0, err));
	}
	if (keep && !s->have_cut)
		return cur_err_set(err, CUR_EINVAL, "--keep needs cut-offs: --buckets FILE, or a model with ppl_buckets.json");
	CUR_FORWARD(model_load(s->model_dir, &s->m, err));
	CUR_FORWARD(tok_load(env ? env->tokenizer_path : NULL, &s->tok, err));
	tok_ids probe;
	tok_ids_init(&probe);
	int rc = tok_encode(s->tok, BOS_TEXT, sizeof BOS_TEXT - 1, 1, &probe);
	int bos_ok = rc == CUR_OK && probe.len == 1 && probe.ids[0] == TOK_BEGIN_OF_TEXT;
	tok_ids_release(&probe);
	if (!bos_ok)
		return cur_err_set(err, CUR_EINVAL, "the tokenizer has no <|begin_of_text|> (id %d)", TOK_BEGIN_OF_TEXT);
	const model_config *mc = model_get_config(s->m);
	if (window && (window < 2 || window > mc->max_seq))
		return cur_err_set(err, CUR_EINVAL, "--window %lld is not in 2..%d (max_position_embeddings)",
				   (long long)window, mc->max_seq);
	s->window = (int)window;
	if ((size_t)model_get_config(s->m)->vocab_size < tok_vocab_size(s->tok))
		return cur_err_set(err, CUR_EINVAL, "the model's vocab_size %d is smaller than the tokenizer's %zu",
				   model_get_config(s->m)->vocab_size, tok_vocab_size(s->tok));
	return CUR_OK;
}

enum { PPL_BATCH_DOCS = 16 };

cur_stage *model_ppl_stage_new(json_t *config, const cur_stage_env *env, cur_err *err)
{
	ppl_stage *s = calloc(1, sizeof *s);
	if (!s) {
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	for (int k = 0; k < HIST_BINS; k++)
		s->edges[k] = pow(10.0, (double)k / HIST_PER_DECADE);
	if (cur_hist_init(&s->hist, s->edges, HIST_BINS) < 0) {
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		ppl_destroy(&s->base);
		return NULL;
	}
	s->base.ops = &ppl_ops;
	s->base.name = "ppl";
	s->base.priv = s;
	/* a document takes milliseconds to score: batches of PPL_BATCH_DOCS
	 * keep both workers busy on a few hundred documents */
	s->base.batch_docs = PPL_BATCH_DOCS;
	if (configure(s, config, env, err) < 0) {
		ppl_destroy(&s->base);
		return NULL;
	}
	return &s->base;
}
