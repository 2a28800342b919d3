/* The dedup stage: global (core/stage.h). It observes in the first pass
 * (per-document facts into the work directory), resolves between the
 * passes, and applies the decisions in the next. `curate dedup` runs the
 * same object, with dd_fast_apply in place of the pipeline's second pass. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "core/doc.h"
#include "core/file.h"
#include "dedup/dedup.h"
#include "dedup/work.h"
#include "dedup/work_int.h"

enum { OBSERVE, APPLY };

typedef struct dd_stage {
	cur_stage base;
	dd_config cfg;
	dd_mh mh;
	char *dir;
	int rank, world;
	char *const *inputs;   /* the run's, for each document's order key */
	size_t ninputs;
	int mode;
	/* observing */
	dd_signer *signer;
	const char *last_origin;
	uint64_t last_index;
	/* applying */
	dd_decider *dec;
	dd_decision pend;      /* the next decision, read ahead by dd_apply_peek */
	int have_pend;
	uint64_t dropped[4], lines_removed, bytes_removed, lines_dropped, annotated;
	json_t *figures;       /* sign and resolve figures, for the apply report */
} dd_stage;

/* ---- per-document facts, computed in prepare() on the workers ---------- */

/* What prepare() computes per document while observing. */
typedef struct facts {
	dd_meta meta;
	/* minhash: band keys and nperm minimum hashes, in the same block as
	 * the struct (one allocation a document, not a zeroed 8 KB array) */
	uint64_t *keys;
	uint32_t *sig;
	uint64_t *sh;                   /* sorted unique shingles (verify exact) */
	size_t nsh;
	uint64_t *lines;                /* hashes of non-empty lines (lines) */
	size_t nlines;
} facts;

static void facts_free(void *p)
{
	facts *f = p;
	if (!f)
		return;
	free(f->sh);
	free(f->lines);
	free(f);
}

typedef struct tls {
	dd_u64vec tok, sh, lines;
	cur_buf norm;
} tls;

void *dd_scratch_new(cur_stage *self)
{
	tls *t = calloc(1, sizeof *t);
	(void)self;
	if (t)
		cur_buf_init(&t->norm, CUR_BUF_UNLIMITED);
	return t;
}

void dd_scratch_free(cur_stage *self, void *p)
{
	tls *t = p;
	(void)self;
	if (!t)
		return;
	dd_u64vec_release(&t->tok);
	dd_u64vec_release(&t->sh);
	dd_u64vec_release(&t->lines);
	cur_buf_release(&t->norm);
	free(t);
}

static uint64_t *dup64(const uint64_t *v, size_t n)
{
	uint64_t *p = malloc((n ? n : 1) * sizeof *p);
	if (p && n)
		memcpy(p, v, n * sizeof *p);
	return p;
}

struct sign_arg {
	const dd_mh *mh;
	uint32_t *sig;
};

static void sign_emit(void *arg, const uint64_t *sh, size_t n)
{
	struct sign_arg *a = arg;
	dd_mh_update(a->mh, sh, n, a->sig);
}

/* The document's hashes for url and exact, and its date and flags. */
static int meta_of(const dd_config *c, tls *t, const cur_doc *doc, dd_meta *m)
{
	const char *url, *date;
	m->length = doc->text_len > UINT32_MAX ? UINT32_MAX : (uint32_t)doc->text_len;
	m->date = -1;
	if (doc->raw)
		m->flags |= DD_META_RAW | (doc->raw_respelled ? 0 : DD_META_SAME);
	if (doc->obj && !json_object_get(doc->obj, "metadata"))
		m->flags |= DD_META_NO_META;
	if ((date = cur_doc_meta_str(doc, "date")) && (m->date = dd_parse_date(date)) >= 0)
		m->flags |= DD_META_DATE;
	if (c->url && (url = cur_doc_meta_str(doc, "url"))) {
		t->norm.len = 0;
		if (dd_norm_url(url, &t->norm) == CUR_OK) {
			XXH128_hash_t h = XXH3_128bits(t->norm.data, t->norm.len);
			XXH128_canonicalFromHash((XXH128_canonical_t *)m->url, h);
			m->flags |= DD_META_URL;
		}
	}
	if (c->exact) {
		t->norm.len = 0;
		CUR_FORWARD(dd_norm_text(doc->text, doc->text_len, c->lowercase, &t->norm));
		XXH128_hash_t h = XXH3_128bits(t->norm.data ? t->norm.data : "", t->norm.len);
		XXH128_canonicalFromHash((XXH128_canonical_t *)m->exact, h);
	}
	return CUR_OK;
}

/* The MinHash signature and band keys (and, to verify exactly, the sorted
 * shingle set). */
static int minhash_of(const dd_config *c, const dd_mh *mh, tls *t, const cur_doc *doc,
		      facts *f)
{
	if (!c->verify_exact) {
		/* Stream: a huge document never holds all its shingles. */
		struct sign_arg sa = { mh, f->sig };
		for (int i = 0; i < mh->nperm; i++)
			f->sig[i] = UINT32_MAX;
		CUR_FORWARD(dd_shingle_stream(doc->text, doc->text_len, c->ngram, c->seed, &t->tok,
					      &t->sh, sign_emit, &sa));
		dd_mh_band_keys(mh, f->sig, f->keys);
		return CUR_OK;
	}
	t->sh.n = 0;
	CUR_FORWARD(dd_shingles(doc->text, doc->text_len, c->ngram, c->seed, &t->tok, &t->sh));
	dd_mh_sign(mh, t->sh.v, t->sh.n, f->sig);
	dd_mh_band_keys(mh, f->sig, f->keys);
	f->nsh = dd_u64_sort_unique(t->sh.v, t->sh.n);
	return (f->sh = dup64(t->sh.v, f->nsh)) ? CUR_OK : CUR_ENOMEM;
}

/* The hashes of the non-empty lines. */
static int lines_of(const dd_config *c, tls *t, const cur_doc *doc, facts *f)
{
	size_t k = 0;
	CUR_FORWARD(dd_doc_lines(doc->text, doc->text_len, c->lowercase, c->seed, &t->lines));
	for (size_t i = 0; i < t->lines.n; i++)
		if (t->lines.v[i])
			t->lines.v[k++] = t->lines.v[i];
	f->nlines = k;
	return (f->lines = dup64(t->lines.v, k)) ? CUR_OK : CUR_ENOMEM;
}

static int facts_compute(const dd_config *c, const dd_mh *mh, tls *t, const cur_doc *doc,
			 facts **out)
{
	size_t nb = c->minhash ? (size_t)mh->bands : 0, np = c->minhash ? (size_t)mh->nperm : 0;
	facts *f = malloc(sizeof *f + nb * sizeof *f->keys + np * sizeof *f->sig);
	int rc;
	*out = NULL;
	if (!f)
		return CUR_ENOMEM;
	memset(f, 0, sizeof *f);
	f->keys = (uint64_t *)(void *)(f + 1);
	f->sig = np ? (uint32_t *)(void *)(f->keys + nb) : NULL;
	rc = meta_of(c, t, doc, &f->meta);
	if (rc == CUR_OK && c->minhash)
		rc = minhash_of(c, mh, t, doc, f);
	if (rc == CUR_OK && c->lines)
		rc = lines_of(c, t, doc, f);
	if (rc != CUR_OK) {
		facts_free(f);
		return rc;
	}
	*out = f;
	return CUR_OK;
}

/* ---- observing --------------------------------------------------------- */

/* The position of doc's input file among the run's inputs. */
static uint64_t input_index(dd_stage *s, const cur_doc *doc)
{
	if (doc->origin && doc->origin == s->last_origin)
		return s->last_index;
	/* The reader's origin is the input's own string: that tells a path
	 * given twice apart. A copy of the name (a stage that rebuilt the
	 * document) is found by its text. */
	for (int by_text = 0; by_text < 2; by_text++)
		for (size_t i = 0; doc->origin && i < s->ninputs; i++) {
			if (by_text ? strcmp(s->inputs[i], doc->origin) != 0 : s->inputs[i] != doc->origin)
				continue;
			s->last_origin = doc->origin;
			s->last_index = i;
			return i;
		}
	return 0;
}

/* The rank's files are created with the first document (or at the end of
 * an empty pass), so that a process that only applies creates none. */
static int signer_ready(dd_stage *s, cur_err *err)
{
	dd_config c = s->cfg;
	if (s->signer)
		return CUR_OK;
	CUR_FORWARD(cur_mkdir_p(s->dir, err));
	return dd_signer_open(&s->signer, s->dir, s->rank, s->world, &c, err);
}

static int observe(dd_stage *s, cur_doc *doc, cur_err *err)
{
	facts *f = cur_doc_attached(doc, &s->base);
	if (!f)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	CUR_FORWARD(signer_ready(s, err));
	f->meta.order = input_index(s, doc) << 40 | (doc->record & (((uint64_t)1 << 40) - 1));
	CUR_FORWARD(dd_signer_add(s->signer, &f->meta, cur_doc_id(doc), f->sig, f->keys, f->sh,
				  f->nsh, f->lines, f->nlines, err));
	return CUR_KEEP;
}

static int stage_end_observe(cur_stage *self, json_t *report, cur_err *err)
{
	dd_stage *s = self->priv;
	(void)report;
	CUR_FORWARD(signer_ready(s, err));
	CUR_FORWARD(dd_signer_close(s->signer, err));
	json_object_set_new(s->figures, "sign_band_key_bytes_held",
			    json_integer((json_int_t)dd_signer_mem(s->signer)));
	return CUR_OK;
}

/* The bins of cluster sizes (docs/dedup.md): 2, 3, 4, 5, then 1-2-5 steps. */
static const double cluster_edges[] = { 2, 3, 4, 5, 10, 20, 50, 100, 200, 500, 1000, 10000 };

/* The sizes of the MinHash clusters as a histogram of the report page
 * (docs/report.md), when clusters were made. */
static void put_cluster_sizes(const dd_work *w, json_t *report)
{
	cur_hist h;
	if (!dd_work_config(w)->minhash ||
	    cur_hist_init(&h, cluster_edges, sizeof cluster_edges / sizeof cluster_edges[0]) < 0)
		return;
	dd_work_cluster_sizes(w, &h);
	if (h.n)
		json_object_set_new(report, "histograms", json_pack("{s:o}", "cluster_size",
								   cur_hist_json(&h, "documents")));
	cur_hist_release(&h);
}

static void put_figures(const dd_work *w, json_t *report)
{
	uint64_t counts[4], clusters, pairs;
	size_t peak, n = dd_work_docs(w);
	dd_work_figures(w, counts, &clusters, &pairs, &peak);
	put_cluster_sizes(w, report);
	json_object_set_new(report, "documents", json_integer((json_int_t)n));
	json_object_set_new(report, "clusters", json_integer((json_int_t)clusters));
	json_object_set_new(report, "candidate_pairs", json_integer((json_int_t)pairs));
	json_object_set_new(report, "pairs_already_joined",
			    json_integer((json_int_t)dd_work_skipped(w)));
	json_object_set_new(report, "resolve_peak_bytes", json_integer((json_int_t)peak));
	json_object_set_new(report, "resolve_bytes_per_doc",
			    json_real(n ? (double)peak / (double)n : 0.0));
	if (dd_work_config(w)->lines)
		json_object_set_new(report, "line_count_bytes",
				    json_integer((json_int_t)dd_work_line_bytes(w)));
}

/* The whole resolve in this process (a batch scheduler runs the phases). */
static int stage_resolve(cur_stage *self, json_t *report, cur_err *err)
{
	dd_stage *s = self->priv;
	dd_work *w;
	int rc;
	(void)report;
	CUR_FORWARD(dd_work_open(&w, s->dir, err));
	dd_work_set_threads(w, s->cfg.threads);
	dd_work_set_scratch(w, s->cfg.scratch);
	rc = dd_work_run_all(w, err);
	put_figures(w, s->figures);
	/* One figure for the state a run holds per document: the larger of
	 * what signing and resolving held. */
	{
		double docs = (double)dd_work_docs(w);
		double held = (double)json_integer_value(json_object_get(s->figures,
									 "sign_band_key_bytes_held"));
		double peak = (double)json_integer_value(json_object_get(s->figures,
									 "resolve_peak_bytes"));
		json_object_set_new(s->figures, "state_bytes_per_doc",
				    json_real(docs > 0 ? (held > peak ? held : peak) / docs : 0.0));
	}
	dd_work_free(w);
	return rc;
}

int dd_phase_bucket(const char *dir, int band, json_t *report, cur_err *err)
{
	dd_work *w;
	int rc;
	CUR_FORWARD(dd_work_open(&w, dir, err));
	rc = dd_work_exclude(w, err);
	for (int b = 0; b < dd_work_config(w)->bands && rc == CUR_OK; b++)
		if (band < 0 || band == b)
			rc = dd_work_bucket(w, b, err);
	if (rc == CUR_OK && band >= dd_work_config(w)->bands)
		rc = cur_err_set(err, CUR_EINVAL, "--band %d: '%s' has bands 0..%d", band, dir,
				 dd_work_config(w)->bands - 1);
	put_figures(w, report);
	dd_work_free(w);
	return rc;
}

int dd_phase_cluster(const char *dir, json_t *report, cur_err *err)
{
	dd_work *w;
	CUR_FORWARD(dd_work_open(&w, dir, err));
	int rc = dd_work_cluster(w, err);
	put_figures(w, report);
	dd_work_free(w);
	return rc;
}

/* ---- applying ---------------------------------------------------------- */

static int stage_begin_apply(cur_stage *self, cur_err *err)
{
	dd_stage *s = self->priv;
	int threads = s->cfg.threads;
	CUR_FORWARD(dd_decider_open(&s->dec, s->dir, s->rank, err));
	s->cfg = *dd_decider_config(s->dec);
	s->cfg.threads = threads;
	s->mode = APPLY;
	return CUR_OK;
}

json_t *dd_decision_json(const dd_decision *d)
{
	json_t *o = json_object();
	if (d->cluster_size > 1) {
		json_object_set_new(o, "cluster", json_integer((json_int_t)d->cluster));
		json_object_set_new(o, "cluster_size", json_integer((json_int_t)d->cluster_size));
	}
	if (d->kind != DD_KIND_KEEP)
		json_object_set_new(o, "duplicate_of", json_string(d->dup_of));
	return o;
}

static int annotate(cur_doc *doc, const dd_decision *d)
{
	json_t *meta, *o;
	if (d->cluster_size < 2 && d->kind == DD_KIND_KEEP)
		return CUR_OK; /* leave the record as it came */
	meta = cur_doc_metadata(doc);
	o = dd_decision_json(d);
	if (!meta || !o) {
		json_decref(o);
		return CUR_ENOMEM;
	}
	return json_object_set_new(meta, "dedup", o) == 0 ? CUR_OK : CUR_ENOMEM;
}

/* Remove the bucket's frequent lines; count what went. */
static int strip_lines(dd_stage *s, cur_doc *doc, uint64_t bucket, const dd_u64vec *h)
{
	cur_buf out;
	size_t i = 0, line = 0, removed = 0;
	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	while (i < doc->text_len) {
		const char *nl = memchr(doc->text + i, '\n', doc->text_len - i);
		size_t end = nl ? (size_t)(nl - doc->text) + 1 : doc->text_len;
		uint64_t hh = line < h->n ? h->v[line] : 0;
		if (hh && dd_decider_line_frequent(s->dec, bucket, hh)) {
			removed++;
			s->bytes_removed += end - i;
		} else if (cur_buf_append(&out, doc->text + i, end - i) != CUR_OK) {
			cur_buf_release(&out);
			return CUR_ENOMEM;
		}
		i = end;
		line++;
	}
	if (removed) {
		size_t n;
		char *t = cur_buf_detach(&out, &n);
		if (!t) {
			t = calloc(1, 1);
			n = 0;
			if (!t)
				return CUR_ENOMEM;
		}
		cur_doc_take_text(doc, t, n);
		s->lines_removed += removed;
	}
	cur_buf_release(&out);
	return CUR_OK;
}

static size_t visible_chars(const char *t, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if ((c & 0xC0) != 0x80 && c != ' ' && !(c >= '\t' && c <= '\r'))
			k++;
	}
	return k;
}

static const char *const reason[4] = { "", "dedup:url", "dedup:exact", "dedup:minhash" };

const char *dd_drop_reason(const dd_decision *d)
{
	return d->kind == DD_KIND_KEEP ? NULL : reason[d->kind];
}

int dd_apply_peek(cur_stage *st, const dd_decision **out, cur_err *err)
{
	dd_stage *s = st->priv;
	if (!s->have_pend) {
		CUR_FORWARD(dd_decider_next(s->dec, &s->pend, err));
		s->have_pend = 1;
	}
	*out = &s->pend;
	return CUR_OK;
}

void dd_apply_pass(cur_stage *st)
{
	dd_stage *s = st->priv;
	s->have_pend = 0;
}

const char *dd_apply_consume(cur_stage *st)
{
	dd_stage *s = st->priv;
	const dd_decision *d = &s->pend;
	s->have_pend = 0;
	if (d->cluster_size > 1)
		s->annotated++;
	if (d->kind == DD_KIND_KEEP)
		return NULL;
	s->dropped[d->kind]++;
	return reason[d->kind];
}

int dd_apply_lines(const cur_stage *st)
{
	const dd_stage *s = st->priv;
	return s->cfg.lines;
}

int dd_apply_trivial(const cur_stage *st, const dd_decision *d)
{
	const dd_stage *s = st->priv;
	return d->kind == DD_KIND_KEEP && d->cluster_size < 2 && !(s->cfg.lines && d->strip);
}

static int apply(dd_stage *s, cur_doc *doc, cur_err *err)
{
	const dd_decision *dp;
	dd_decision d;
	int rc = dd_apply_peek(&s->base, &dp, err);
	if (rc == CUR_EOF)
		return cur_err_set(err, CUR_EDATA, "more documents than signed: the inputs changed");
	if (rc != CUR_OK)
		return rc;
	d = *dp;
	s->have_pend = 0;
	CUR_FORWARD(annotate(doc, &d));
	if (d.cluster_size > 1)
		s->annotated++;
	if (d.kind != DD_KIND_KEEP) {
		s->dropped[d.kind]++;
		return cur_doc_drop(doc, reason[d.kind], d.kind == DD_KIND_MINHASH ? d.value : NAN);
	}
	if (s->cfg.lines) {
		const dd_u64vec *h = cur_doc_attached(doc, &s->base);
		size_t before = s->lines_removed;
		if (h)
			CUR_FORWARD(strip_lines(s, doc, d.bucket, h));
		/* Only a document that lost lines can be left too short. */
		if (s->lines_removed > before &&
		    (int64_t)visible_chars(doc->text, doc->text_len) < s->cfg.min_chars) {
			s->lines_dropped++;
			return cur_doc_drop(doc, "dedup:lines", (double)doc->text_len);
		}
	}
	return CUR_KEEP;
}

/* ---- the stage's callbacks --------------------------------------------- */

static int stage_prepare(cur_stage *self, void *tp, cur_doc *doc, cur_err *err)
{
	dd_stage *s = self->priv;
	tls *t = tp;
	if (s->mode == OBSERVE) {
		facts *f;
		if (facts_compute(&s->cfg, &s->mh, t, doc, &f) != CUR_OK)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		return cur_doc_attach(doc, self, f, facts_free);
	}
	if (!s->cfg.lines)
		return CUR_OK;
	if (dd_doc_lines(doc->text, doc->text_len, s->cfg.lowercase, s->cfg.seed, &t->lines) != CUR_OK)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	dd_u64vec *v = calloc(1, sizeof *v);
	if (!v || !(v->v = dup64(t->lines.v, t->lines.n))) {
		free(v);
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	v->n = v->cap = t->lines.n;
	return cur_doc_attach(doc, self, v, dd_u64vec_free);
}

static int stage_process(cur_stage *self, void *tp, cur_doc *doc, cur_err *err)
{
	dd_stage *s = self->priv;
	(void)tp;
	return s->mode == OBSERVE ? observe(s, doc, err) : apply(s, doc, err);
}

static int stage_finish(cur_stage *self, json_t *report, cur_err *err)
{
	dd_stage *s = self->priv;
	if (!s->dec)
		return cur_err_set(err, CUR_EINVAL, "internal error: dedup finished before it applied");
	if (dd_decider_left(s->dec) != 0 || s->have_pend)
		return cur_err_set(err, CUR_EDATA, "fewer documents than signed: the inputs changed");
	json_object_set_new(report, "url_duplicates", json_integer((json_int_t)s->dropped[1]));
	json_object_set_new(report, "exact_duplicates", json_integer((json_int_t)s->dropped[2]));
	json_object_set_new(report, "minhash_duplicates", json_integer((json_int_t)s->dropped[3]));
	json_object_set_new(report, "clustered_documents_out", json_integer((json_int_t)s->annotated));
	if (s->cfg.lines) {
		json_object_set_new(report, "lines_removed", json_integer((json_int_t)s->lines_removed));
		json_object_set_new(report, "line_bytes_removed", json_integer((json_int_t)s->bytes_removed));
		json_object_set_new(report, "emptied_by_lines", json_integer((json_int_t)s->lines_dropped));
	}
	json_object_update(report, s->figures);
	/* Every document this stage saw, by what became of it: a "shares"
	 * chart of the report page. */
	json_object_set_new(report, "shares", json_pack("{s:{s:I, s:I, s:I, s:I, s:I}}",
		"documents_by_outcome", "kept", json_integer_value(json_object_get(report, "docs_out")),
		"url_duplicate", (json_int_t)s->dropped[1], "exact_duplicate", (json_int_t)s->dropped[2],
		"near_duplicate", (json_int_t)s->dropped[3], "emptied_by_lines",
		(json_int_t)s->lines_dropped));
	return CUR_OK;
}

static void stage_destroy(cur_stage *self)
{
	dd_stage *s;
	if (!self)
		return;
	s = self->priv;
	dd_signer_free(s->signer);
	dd_decider_free(s->dec);
	json_decref(s->figures);
	free(s->dir);
	free(s);
}

static const cur_stage_ops dd_stage_ops = {
	.thread_new = dd_scratch_new,
	.thread_free = dd_scratch_free,
	.prepare = stage_prepare,
	.process = stage_process,
	.finish = stage_finish,
	.destroy = stage_destroy,
	.end_observe = stage_end_observe,
	.resolve = stage_resolve,
	.begin_apply = stage_begin_apply,
};

cur_stage *dd_stage_open(const dd_config *cfg, const char *dir, const cur_stage_env *env,
			 cur_err *err)
{
	dd_stage *s = calloc(1, sizeof *s);
	if (!s || !(s->dir = strdup(dir)) || !(s->figures = json_object())) {
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto fail;
	}
	s->base.ops = &dd_stage_ops;
	s->base.name = "dedup";
	s->base.serial = 1;
	s->base.priv = s;
	if (cfg)
		s->cfg = *cfg;
	else
		dd_config_init(&s->cfg);
	s->cfg.threads = env && env->jobs > 0 ? env->jobs : 1;
	s->cfg.scratch = env && env->work_scratch;
	s->rank = env ? env->rank : 0;
	s->world = env && env->world > 0 ? env->world : 1;
	s->inputs = env ? env->inputs : NULL;
	s->ninputs = env ? env->ninputs : 0;
	if (dd_mh_init(&s->mh, s->cfg.bands, s->cfg.rows, s->cfg.ngram, s->cfg.seed, err) != CUR_OK)
		goto fail;
	return &s->base;
fail:
	if (s)
		stage_destroy(&s->base);
	return NULL;
}

json_t *dd_stage_figures(cur_stage *st)
{
	return ((dd_stage *)st->priv)->figures;
}

cur_stage *dd_stage_new(json_t *config, const cur_stage_env *env, cur_err *err)
{
	dd_config c;
	char dir[4096];
	if (cur_cfg_check_keys(config, dd_stage_options, "dedup", err) != CUR_OK)
		return NULL;
	if (dd_config_from_json(config, env ? env->seed : 0, &c, err) != CUR_OK)
		return NULL;
	if (!(c.url || c.exact || c.minhash || c.lines)) {
		cur_err_set(err, CUR_EINVAL, "choose one or more of url, exact, minhash, lines");
		return NULL;
	}
	if (!env || !env->work_dir) {
		cur_err_set(err, CUR_EINVAL, "the dedup stage needs a work directory");
		return NULL;
	}
	snprintf(dir, sizeof dir, "%s/dedup-%d", env->work_dir, env->stage_index);
	return dd_stage_open(&c, dir, env, err);
}
