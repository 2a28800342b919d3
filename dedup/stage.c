/* The two stages of a two-pass dedup run: sign (pass 1: per-document facts
 * into the work directory) and apply (pass 2: act on the decisions). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "core/doc.h"
#include "dedup/dedup.h"
#include "dedup/work.h"

/* ---- per-document facts, computed in prepare() on the workers ---------- */
typedef dd_facts facts;

void dd_facts_free(void *p)
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

/* Every line of text as (hash, non-empty) for --lines; split on '\n'. */
int dd_doc_lines(const char *s, size_t n, int lowercase, uint64_t seed, dd_u64vec *out)
{
	size_t i = 0;
	out->n = 0;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) : n;
		int empty;
		uint64_t h = dd_line_hash(s + i, end - i, lowercase, seed, &empty);
		CUR_FORWARD(dd_u64vec_push(out, empty ? 0 : (h ? h : 1)));
		i = end + 1;
	}
	return CUR_OK;
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

int dd_facts_compute(const dd_config *c, const dd_mh *mh, void *scratch, cur_doc *doc,
		     void **out)
{
	tls *t = scratch;
	size_t nb = c->minhash ? (size_t)mh->bands : 0, np = c->minhash ? (size_t)mh->nperm : 0;
	facts *f = malloc(sizeof *f + nb * sizeof *f->keys + np * sizeof *f->sig);
	const char *url, *date;
	int rc = CUR_ENOMEM;
	*out = NULL;
	if (!f)
		return CUR_ENOMEM;
	memset(f, 0, sizeof *f);
	f->keys = (uint64_t *)(void *)(f + 1);
	f->sig = np ? (uint32_t *)(void *)(f->keys + nb) : NULL;
	f->meta.length = doc->text_len > UINT32_MAX ? UINT32_MAX : (uint32_t)doc->text_len;
	f->meta.date = -1;
	if (doc->raw)
		f->meta.flags |= DD_META_RAW;
	if (doc->obj && !json_object_get(doc->obj, "metadata"))
		f->meta.flags |= DD_META_NO_META;
	if ((date = cur_doc_meta_str(doc, "date")) && (f->meta.date = dd_parse_date(date)) >= 0)
		f->meta.flags |= DD_META_DATE;
	if (c->url && (url = cur_doc_meta_str(doc, "url"))) {
		t->norm.len = 0;
		if (dd_norm_url(url, &t->norm) == CUR_OK) {
			XXH128_hash_t h = XXH3_128bits(t->norm.data, t->norm.len);
			XXH128_canonicalFromHash((XXH128_canonical_t *)f->meta.url, h);
			f->meta.flags |= DD_META_URL;
		}
	}
	if (c->exact) {
		t->norm.len = 0;
		if (dd_norm_text(doc->text, doc->text_len, c->lowercase, &t->norm) != CUR_OK)
			goto fail;
		XXH128_hash_t h = XXH3_128bits(t->norm.data ? t->norm.data : "", t->norm.len);
		XXH128_canonicalFromHash((XXH128_canonical_t *)f->meta.exact, h);
	}
	if (c->minhash && !c->verify_exact) {
		/* Stream: a huge document never holds all its shingles. */
		for (int i = 0; i < mh->nperm; i++)
			f->sig[i] = UINT32_MAX;
		struct sign_arg sa = { mh, f->sig };
		if (dd_shingle_stream(doc->text, doc->text_len, c->ngram, c->seed, &t->tok, &t->sh,
				      sign_emit, &sa) != CUR_OK)
			goto fail;
		dd_mh_band_keys(mh, f->sig, f->keys);
	} else if (c->minhash) {
		t->sh.n = 0;
		if (dd_shingles(doc->text, doc->text_len, c->ngram, c->seed, &t->tok, &t->sh) != CUR_OK)
			goto fail;
		dd_mh_sign(mh, t->sh.v, t->sh.n, f->sig);
		dd_mh_band_keys(mh, f->sig, f->keys);
		{
			f->nsh = dd_u64_sort_unique(t->sh.v, t->sh.n);
			if (!(f->sh = dup64(t->sh.v, f->nsh)))
				goto fail;
		}
	}
	if (c->lines) {
		if (dd_doc_lines(doc->text, doc->text_len, c->lowercase, c->seed, &t->lines) != CUR_OK)
			goto fail;
		/* Only non-empty lines count. */
		size_t k = 0;
		for (size_t i = 0; i < t->lines.n; i++)
			if (t->lines.v[i])
				t->lines.v[k++] = t->lines.v[i];
		f->nlines = k;
		if (!(f->lines = dup64(t->lines.v, k)))
			goto fail;
	}
	*out = f;
	return CUR_OK;
fail:
	dd_facts_free(f);
	return rc;
}

/* ---- sign stage -------------------------------------------------------- */
typedef struct sign_st {
	dd_config cfg;
	dd_mh mh;
	dd_signer *signer;
	char *const *inputs;
	size_t ninputs;
	const char *last_origin;
	uint64_t last_index;
	uint64_t docs, bytes;
} sign_st;

static int sign_prepare(cur_stage *self, void *tp, cur_doc *doc, cur_err *err)
{
	sign_st *s = self->priv;
	void *f;
	if (dd_facts_compute(&s->cfg, &s->mh, tp, doc, &f) != CUR_OK)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return cur_doc_attach(doc, self, f, dd_facts_free);
}

/* The position of doc's input file among the command's inputs. */
static uint64_t input_index(sign_st *s, const cur_doc *doc)
{
	if (doc->origin && doc->origin == s->last_origin)
		return s->last_index;
	for (size_t i = 0; doc->origin && i < s->ninputs; i++) {
		if (strcmp(s->inputs[i], doc->origin) == 0) {
			s->last_origin = doc->origin;
			s->last_index = i;
			return i;
		}
	}
	return 0;
}

static int sign_process(cur_stage *self, void *tp, cur_doc *doc, cur_err *err)
{
	sign_st *s = self->priv;
	facts *f = cur_doc_attached(doc, self);
	(void)tp;
	if (!f)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	f->meta.order = input_index(s, doc) << 40 | (doc->record & (((uint64_t)1 << 40) - 1));
	int rc = dd_signer_add(s->signer, &f->meta, cur_doc_id(doc), f->sig, f->keys, f->sh,
			       f->nsh, f->lines, f->nlines, err);
	if (rc != CUR_OK)
		return rc;
	s->docs++;
	s->bytes += doc->text_len;
	return CUR_KEEP;
}

static int sign_finish(cur_stage *self, json_t *report, cur_err *err)
{
	sign_st *s = self->priv;
	int rc = dd_signer_close(s->signer, err);
	json_object_set_new(report, "signed", json_integer((json_int_t)s->docs));
	json_object_set_new(report, "band_key_bytes_held",
			    json_integer((json_int_t)dd_signer_mem(s->signer)));
	return rc;
}

static void sign_destroy(cur_stage *self)
{
	sign_st *s = self->priv;
	if (s) {
		dd_signer_free(s->signer);
		free(s);
	}
	free(self);
}

static const cur_stage_ops sign_ops = {
	.thread_new = dd_scratch_new,
	.thread_free = dd_scratch_free,
	.prepare = sign_prepare,
	.process = sign_process,
	.finish = sign_finish,
	.destroy = sign_destroy,
};

cur_stage *dd_sign_stage_new(const dd_config *cfg, const char *dir, int rank, int world,
			     char *const *inputs, size_t ninputs, cur_err *err)
{
	cur_stage *st = calloc(1, sizeof *st);
	sign_st *s = calloc(1, sizeof *s);
	if (!st || !s) {
		free(st);
		free(s);
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	s->inputs = inputs;
	s->ninputs = ninputs;
	st->ops = &sign_ops;
	st->name = "dedup";
	st->serial = 1;
	st->priv = s;
	if (dd_mh_init(&s->mh, cfg->bands, cfg->rows, cfg->ngram, cfg->seed, err) != CUR_OK ||
	    dd_signer_open(&s->signer, dir, rank, world, cfg, err) != CUR_OK) {
		sign_destroy(st);
		return NULL;
	}
	return st;
}

/* ---- apply stage ------------------------------------------------------- */
typedef struct apply_st {
	dd_decider *dec;
	dd_config cfg;
	dd_decision pend;  /* the next decision, read ahead by dd_apply_peek */
	int have_pend;
	uint64_t dropped[4], lines_removed, bytes_removed, lines_dropped, annotated;
	json_t *extra;  /* figures from earlier steps, merged into the report */
} apply_st;

static int apply_prepare(cur_stage *self, void *tp, cur_doc *doc, cur_err *err)
{
	apply_st *a = self->priv;
	tls *t = tp;
	(void)err;
	if (!a->cfg.lines)
		return CUR_OK;
	if (dd_doc_lines(doc->text, doc->text_len, a->cfg.lowercase, a->cfg.seed, &t->lines) != CUR_OK)
		return CUR_ENOMEM;
	dd_u64vec *v = calloc(1, sizeof *v);
	if (!v || !(v->v = dup64(t->lines.v, t->lines.n))) {
		free(v);
		return CUR_ENOMEM;
	}
	v->n = v->cap = t->lines.n;
	return cur_doc_attach(doc, self, v, dd_u64vec_free);
}

void dd_u64vec_free(void *p)
{
	dd_u64vec *v = p;
	if (v) {
		free(v->v);
		free(v);
	}
}

static int annotate(cur_doc *doc, const dd_decision *d)
{
	json_t *meta, *o;
	if (d->cluster_size < 2 && d->kind == DD_KIND_KEEP)
		return CUR_OK; /* leave the record as it came */
	meta = cur_doc_metadata(doc);
	o = json_object();
	if (!meta || !o) {
		json_decref(o);
		return CUR_ENOMEM;
	}
	if (d->cluster_size > 1) {
		json_object_set_new(o, "cluster", json_integer((json_int_t)d->cluster));
		json_object_set_new(o, "cluster_size", json_integer((json_int_t)d->cluster_size));
	}
	if (d->kind != DD_KIND_KEEP)
		json_object_set_new(o, "duplicate_of", json_string(d->dup_of));
	if (json_object_size(o) == 0) {
		json_decref(o);
		return CUR_OK;
	}
	return json_object_set_new(meta, "dedup", o) == 0 ? CUR_OK : CUR_ENOMEM;
}

/* Remove the bucket's frequent lines; count what went. */
static int strip_lines(apply_st *a, cur_doc *doc, uint64_t bucket, const dd_u64vec *h)
{
	cur_buf out;
	size_t i = 0, line = 0, removed = 0;
	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	while (i < doc->text_len) {
		const char *nl = memchr(doc->text + i, '\n', doc->text_len - i);
		size_t end = nl ? (size_t)(nl - doc->text) + 1 : doc->text_len;
		uint64_t hh = line < h->n ? h->v[line] : 0;
		if (hh && dd_decider_line_frequent(a->dec, bucket, hh)) {
			removed++;
			a->bytes_removed += end - i;
		} else if (cur_buf_append(&out, doc->text + i, end - i) != CUR_OK) {
			cur_buf_release(&out);
			return CUR_ENOMEM;
		}
		i = end;
		line++;
	}
	if (removed) {
		size_t n;
		char *s = cur_buf_detach(&out, &n);
		if (!s) {
			s = calloc(1, 1);
			n = 0;
			if (!s)
				return CUR_ENOMEM;
		}
		cur_doc_take_text(doc, s, n);
		a->lines_removed += removed;
	}
	cur_buf_release(&out);
	return CUR_OK;
}

static size_t visible_chars(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c & 0xC0) != 0x80 && c != ' ' && !(c >= '\t' && c <= '\r'))
			k++;
	}
	return k;
}

static const char *const reason[4] = { "", "dedup:url", "dedup:exact", "dedup:minhash" };

int dd_apply_peek(cur_stage *st, const dd_decision **out, cur_err *err)
{
	apply_st *a = st->priv;
	if (!a->have_pend) {
		CUR_FORWARD(dd_decider_next(a->dec, &a->pend, err));
		a->have_pend = 1;
	}
	*out = &a->pend;
	return CUR_OK;
}

void dd_apply_pass(cur_stage *st)
{
	apply_st *a = st->priv;
	a->have_pend = 0;
}

const char *dd_apply_consume(cur_stage *st, json_t **meta)
{
	apply_st *a = st->priv;
	const dd_decision *d = &a->pend;
	json_t *o = NULL;
	a->have_pend = 0;
	if (meta)
		*meta = NULL;
	if (meta && (d->cluster_size > 1 || d->kind != DD_KIND_KEEP)) {
		o = json_object();
		if (d->cluster_size > 1) {
			json_object_set_new(o, "cluster", json_integer((json_int_t)d->cluster));
			json_object_set_new(o, "cluster_size", json_integer((json_int_t)d->cluster_size));
		}
		if (d->kind != DD_KIND_KEEP)
			json_object_set_new(o, "duplicate_of", json_string(d->dup_of));
		*meta = json_object();
		json_object_set_new(*meta, "dedup", o);
	}
	if (d->cluster_size > 1)
		a->annotated++;
	if (d->kind == DD_KIND_KEEP)
		return NULL;
	a->dropped[d->kind]++;
	return reason[d->kind];
}

int dd_apply_lines(const cur_stage *st)
{
	const apply_st *a = st->priv;
	return a->cfg.lines;
}

int dd_apply_trivial(const cur_stage *st, const dd_decision *d)
{
	const apply_st *a = st->priv;
	return d->kind == DD_KIND_KEEP && d->cluster_size < 2 && !(a->cfg.lines && d->strip);
}

static int apply_process(cur_stage *self, void *tp, cur_doc *doc, cur_err *err)
{
	apply_st *a = self->priv;
	const dd_decision *dp;
	dd_decision d;
	int rc;
	(void)tp;
	rc = dd_apply_peek(self, &dp, err);
	if (rc == CUR_EOF)
		return cur_err_set(err, CUR_EDATA, "more documents than signed: the inputs changed");
	if (rc != CUR_OK)
		return rc;
	d = *dp;
	a->have_pend = 0;
	CUR_FORWARD(annotate(doc, &d));
	if (d.cluster_size > 1)
		a->annotated++;
	if (d.kind != DD_KIND_KEEP) {
		a->dropped[d.kind]++;
		return cur_doc_drop(doc, reason[d.kind], d.kind == DD_KIND_MINHASH ? d.value : NAN);
	}
	if (a->cfg.lines) {
		const dd_u64vec *h = cur_doc_attached(doc, self);
		size_t before = a->lines_removed;
		if (h)
			CUR_FORWARD(strip_lines(a, doc, d.bucket, h));
		/* Only a document that lost lines can be left too short. */
		if (a->lines_removed > before &&
		    (int64_t)visible_chars(doc->text, doc->text_len) < a->cfg.min_chars) {
			a->lines_dropped++;
			return cur_doc_drop(doc, "dedup:lines", (double)doc->text_len);
		}
	}
	return CUR_KEEP;
}

static int apply_finish(cur_stage *self, json_t *report, cur_err *err)
{
	apply_st *a = self->priv;
	if (dd_decider_left(a->dec) != 0 || a->have_pend)
		return cur_err_set(err, CUR_EDATA, "fewer documents than signed: the inputs changed");
	json_object_set_new(report, "url_duplicates", json_integer((json_int_t)a->dropped[1]));
	json_object_set_new(report, "exact_duplicates", json_integer((json_int_t)a->dropped[2]));
	json_object_set_new(report, "minhash_duplicates", json_integer((json_int_t)a->dropped[3]));
	json_object_set_new(report, "clustered_documents_out", json_integer((json_int_t)a->annotated));
	if (a->cfg.lines) {
		json_object_set_new(report, "lines_removed", json_integer((json_int_t)a->lines_removed));
		json_object_set_new(report, "line_bytes_removed", json_integer((json_int_t)a->bytes_removed));
		json_object_set_new(report, "emptied_by_lines", json_integer((json_int_t)a->lines_dropped));
	}
	if (a->extra)
		json_object_update(report, a->extra);
	return CUR_OK;
}

static void apply_destroy(cur_stage *self)
{
	apply_st *a = self->priv;
	if (a) {
		json_decref(a->extra);
		dd_decider_free(a->dec);
		free(a);
	}
	free(self);
}

static const cur_stage_ops apply_ops = {
	.thread_new = dd_scratch_new,
	.thread_free = dd_scratch_free,
	.prepare = apply_prepare,
	.process = apply_process,
	.finish = apply_finish,
	.destroy = apply_destroy,
};

cur_stage *dd_apply_stage_new(const char *dir, int rank, json_t *extra, cur_err *err)
{
	cur_stage *st = calloc(1, sizeof *st);
	apply_st *a = calloc(1, sizeof *a);
	if (!st || !a) {
		free(st);
		free(a);
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	st->ops = &apply_ops;
	st->name = "dedup";
	st->serial = 1;
	st->priv = a;
	a->extra = extra ? json_incref(extra) : NULL;
	if (dd_decider_open(&a->dec, dir, rank, err) != CUR_OK) {
		apply_destroy(st);
		return NULL;
	}
	a->cfg = *dd_decider_config(a->dec);
	return st;
}
