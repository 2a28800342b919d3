/* The one-pass streaming dedup stage, for pipeline files.
 *
 * A pipeline stage answers for each document at once, so this stage keeps
 * the first document and drops later ones: by URL (the first, not the
 * newest), by exact normalized text, and by MinHash against earlier kept
 * documents (in-memory LSH index; signatures of kept documents are kept in
 * an unlinked temporary file and read back only for candidates). It has no
 * --lines (that needs a second pass) and writes no cluster_size on
 * survivors. `curate dedup` is the two-pass command that does all of it. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include "dedup/dedup.h"

const cur_opt_spec dd_stage_options[] = {
	{ "url", CUR_OPT_FLAG, NULL, "drop later documents with an already seen normalized URL", NULL },
	{ "exact", CUR_OPT_FLAG, NULL, "drop documents whose normalized text was seen before", NULL },
	{ "minhash", CUR_OPT_FLAG, NULL, "drop near duplicates of earlier kept documents", NULL },
	{ "lowercase", CUR_OPT_FLAG, NULL, "exact: fold case before hashing", NULL },
	{ "ngram", CUR_OPT_INT, "N", "words per shingle", "5" },
	{ "bands", CUR_OPT_INT, "B", "LSH bands", "14" },
	{ "rows", CUR_OPT_INT, "R", "minimum hashes per band", "8" },
	{ "threshold", CUR_OPT_NUM, "J", "Jaccard estimate at or above which a document is a duplicate", "0.8" },
	{ NULL, 0, NULL, NULL, NULL },
};

/* Open-addressing set of 64-bit values (0 is stored as 1). */
typedef struct set64 {
	uint64_t *v;
	size_t cap, n;
} set64;

static int set_grow(set64 *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1 << 12;
	uint64_t *v = cur_calloc_array(cap, sizeof *v);
	if (!v)
		return CUR_ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->v[i])
			continue;
		size_t j = (size_t)(s->v[i] * 0x9E3779B97F4A7C15ULL >> 20) & (cap - 1);
		while (v[j])
			j = (j + 1) & (cap - 1);
		v[j] = s->v[i];
	}
	free(s->v);
	s->v = v;
	s->cap = cap;
	return CUR_OK;
}

/* Insert x; OUT: *seen = 1 when it was already there. */
static int set_add(set64 *s, uint64_t x, int *seen)
{
	if (!x)
		x = 1;
	if (4 * (s->n + 1) > 3 * s->cap)
		CUR_FORWARD(set_grow(s));
	size_t j = (size_t)(x * 0x9E3779B97F4A7C15ULL >> 20) & (s->cap - 1);
	while (s->v[j] && s->v[j] != x)
		j = (j + 1) & (s->cap - 1);
	*seen = s->v[j] == x;
	if (!*seen) {
		s->v[j] = x;
		s->n++;
	}
	return CUR_OK;
}

/* LSH index of one band: entries (key >> 32) << 32 | (kept number + 1),
 * 8 bytes each; the slot comes from the stored 32-bit fingerprint, so a
 * table can grow without the full keys. A fingerprint collision only adds a
 * candidate, which the signature check then rejects. Several kept
 * documents may share a key: probing walks past them. */
typedef struct band_ix {
	uint64_t *v;
	size_t cap, n;
} band_ix;

static size_t slot_of(uint64_t key, size_t cap)
{
	return (size_t)(key ^ key >> 29) & (cap - 1);
}

static int ix_insert(band_ix *b, uint64_t key, uint32_t kept)
{
	if (4 * (b->n + 1) > 3 * b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1 << 12;
		uint64_t *v = cur_calloc_array(cap, sizeof *v);
		if (!v)
			return CUR_ENOMEM;
		for (size_t i = 0; i < b->cap; i++) {
			if (!b->v[i])
				continue;
			size_t j = slot_of(b->v[i] >> 32, cap);
			while (v[j])
				j = (j + 1) & (cap - 1);
			v[j] = b->v[i];
		}
		free(b->v);
		b->v = v;
		b->cap = cap;
	}
	uint64_t fp = key >> 32;
	size_t j = slot_of(fp, b->cap);
	while (b->v[j])
		j = (j + 1) & (b->cap - 1);
	b->v[j] = fp << 32 | ((uint64_t)kept + 1);
	b->n++;
	return CUR_OK;
}

typedef struct stream_st {
	dd_config cfg;
	dd_mh mh;
	set64 url, exact;
	band_ix *bands;
	FILE *sigs;        /* signatures of kept documents, by kept number */
	FILE *ids;         /* their ids, NUL-terminated */
	uint64_t *id_off;  /* offset of each kept document's id */
	size_t kept, cap_off;
	uint64_t dropped[4], candidates;
} stream_st;

static int read_sig(stream_st *s, uint32_t k, uint32_t *sig)
{
	size_t n = (size_t)s->mh.nperm;
	if (fseeko(s->sigs, (off_t)k * (off_t)n * 4, SEEK_SET) != 0 ||
	    fread(sig, 4, n, s->sigs) != n)
		return CUR_EIO;
	return CUR_OK;
}

static int read_id(stream_st *s, uint32_t k, char *buf, size_t cap)
{
	size_t n;
	if (fseeko(s->ids, (off_t)s->id_off[k], SEEK_SET) != 0)
		return CUR_EIO;
	n = fread(buf, 1, cap - 1, s->ids);
	buf[n] = '\0';
	return CUR_OK;
}

static int stream_prepare(cur_stage *self, void *tls, cur_doc *doc, cur_err *err)
{
	stream_st *s = self->priv;
	void *f;
	(void)err;
	CUR_FORWARD(dd_facts_compute(&s->cfg, &s->mh, tls, doc, &f));
	return cur_doc_attach(doc, self, f, dd_facts_free);
}

/* Find an earlier kept document whose signature passes the threshold. */
static int find_similar(stream_st *s, const dd_facts *f, int64_t *match, double *j)
{
	uint32_t sig[DD_MAX_PERM];
	*match = -1;
	for (int b = 0; b < s->cfg.bands; b++) {
		band_ix *ix = &s->bands[b];
		uint64_t fp = f->keys[b] >> 32;
		if (!ix->cap)
			continue;
		for (size_t k = slot_of(fp, ix->cap); ix->v[k]; k = (k + 1) & (ix->cap - 1)) {
			if (ix->v[k] >> 32 != fp)
				continue;
			uint32_t cand = (uint32_t)(ix->v[k] & 0xffffffffu) - 1;
			s->candidates++;
			CUR_FORWARD(read_sig(s, cand, sig));
			double e = dd_mh_estimate(f->sig, sig, s->mh.nperm);
			if (e >= s->cfg.threshold && (*match < 0 || cand < *match)) {
				*match = cand;
				*j = e;
			}
		}
		if (*match >= 0)
			return CUR_OK;
	}
	return CUR_OK;
}

static int keep_doc(stream_st *s, const dd_facts *f, const char *id)
{
	if (s->kept >= UINT32_MAX - 1)
		return CUR_ELIMIT;
	if (s->kept == s->cap_off) {
		size_t cap = s->cap_off ? 2 * s->cap_off : 1024;
		uint64_t *p = cur_realloc_array(s->id_off, cap, sizeof *p);
		if (!p)
			return CUR_ENOMEM;
		s->id_off = p;
		s->cap_off = cap;
	}
	if (fseeko(s->ids, 0, SEEK_END) != 0)
		return CUR_EIO;
	s->id_off[s->kept] = (uint64_t)ftello(s->ids);
	if (fwrite(id, 1, strlen(id) + 1, s->ids) != strlen(id) + 1)
		return CUR_EIO;
	if (fseeko(s->sigs, 0, SEEK_END) != 0 ||
	    fwrite(f->sig, 4, (size_t)s->mh.nperm, s->sigs) != (size_t)s->mh.nperm)
		return CUR_EIO;
	for (int b = 0; b < s->cfg.bands; b++)
		CUR_FORWARD(ix_insert(&s->bands[b], f->keys[b], (uint32_t)s->kept));
	s->kept++;
	return CUR_OK;
}

static int mark_dup(cur_doc *doc, const char *of)
{
	json_t *meta = cur_doc_metadata(doc), *o = json_object();
	if (!meta || !o || json_object_set_new(o, "duplicate_of", json_string(of)) != 0) {
		json_decref(o);
		return CUR_ENOMEM;
	}
	return json_object_set_new(meta, "dedup", o) == 0 ? CUR_OK : CUR_ENOMEM;
}

static int stream_process(cur_stage *self, void *tls, cur_doc *doc, cur_err *err)
{
	stream_st *s = self->priv;
	dd_facts *f = cur_doc_attached(doc, self);
	int seen;
	(void)tls;
	(void)err;
	if (!f)
		return CUR_ENOMEM;
	if (s->cfg.url && (f->meta.flags & DD_META_URL)) {
		CUR_FORWARD(set_add(&s->url, XXH3_64bits(f->meta.url, 16), &seen));
		if (seen) {
			s->dropped[DD_KIND_URL]++;
			return cur_doc_drop(doc, "dedup:url", NAN);
		}
	}
	if (s->cfg.exact) {
		CUR_FORWARD(set_add(&s->exact, XXH3_64bits(f->meta.exact, 16), &seen));
		if (seen) {
			s->dropped[DD_KIND_EXACT]++;
			return cur_doc_drop(doc, "dedup:exact", NAN);
		}
	}
	if (s->cfg.minhash) {
		int64_t m;
		double j = 0;
		CUR_FORWARD(find_similar(s, f, &m, &j));
		if (m >= 0) {
			char id[4096];
			CUR_FORWARD(read_id(s, (uint32_t)m, id, sizeof id));
			CUR_FORWARD(mark_dup(doc, id));
			s->dropped[DD_KIND_MINHASH]++;
			return cur_doc_drop(doc, "dedup:minhash", j);
		}
		CUR_FORWARD(keep_doc(s, f, cur_doc_id(doc)));
	}
	return CUR_KEEP;
}

static int stream_finish(cur_stage *self, json_t *report, cur_err *err)
{
	stream_st *s = self->priv;
	(void)err;
	size_t bytes = (s->url.cap + s->exact.cap) * 8 + s->cap_off * 8;
	uint64_t docs = s->kept + s->dropped[1] + s->dropped[2] + s->dropped[3];
	for (int b = 0; s->bands && b < s->cfg.bands; b++)
		bytes += s->bands[b].cap * 8;
	json_object_set_new(report, "url_duplicates", json_integer((json_int_t)s->dropped[1]));
	json_object_set_new(report, "exact_duplicates", json_integer((json_int_t)s->dropped[2]));
	json_object_set_new(report, "minhash_duplicates", json_integer((json_int_t)s->dropped[3]));
	json_object_set_new(report, "minhash_candidates", json_integer((json_int_t)s->candidates));
	json_object_set_new(report, "state_bytes", json_integer((json_int_t)bytes));
	json_object_set_new(report, "state_bytes_per_doc", json_real(docs ? (double)bytes / (double)docs : 0));
	return CUR_OK;
}

static void stream_destroy(cur_stage *self)
{
	stream_st *s = self->priv;
	if (s) {
		free(s->url.v);
		free(s->exact.v);
		for (int b = 0; s->bands && b < s->cfg.bands; b++)
			free(s->bands[b].v);
		free(s->bands);
		if (s->sigs)
			fclose(s->sigs);
		if (s->ids)
			fclose(s->ids);
		free(s->id_off);
		free(s);
	}
	free(self);
}

static const cur_stage_ops stream_ops = {
	.thread_new = dd_scratch_new,
	.thread_free = dd_scratch_free,
	.prepare = stream_prepare,
	.process = stream_process,
	.finish = stream_finish,
	.destroy = stream_destroy,
};

cur_stage *dd_stage_new(json_t *config, const cur_stage_env *env, cur_err *err)
{
	cur_stage *st = calloc(1, sizeof *st);
	stream_st *s = calloc(1, sizeof *s);
	if (!st || !s) {
		free(st);
		free(s);
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	st->ops = &stream_ops;
	st->name = "dedup";
	st->serial = 1;
	st->priv = s;
	if (cur_cfg_check_keys(config, dd_stage_options, "dedup", err) != CUR_OK ||
	    dd_config_from_json(config, env ? env->seed : 0, &s->cfg, err) != CUR_OK)
		goto fail;
	if (!(s->cfg.url || s->cfg.exact || s->cfg.minhash)) {
		cur_err_set(err, CUR_EINVAL, "dedup: choose one or more of url, exact, minhash");
		goto fail;
	}
	if (dd_mh_init(&s->mh, s->cfg.bands, s->cfg.rows, s->cfg.ngram, s->cfg.seed, err) != CUR_OK)
		goto fail;
	if (s->cfg.minhash) {
		s->bands = calloc((size_t)s->cfg.bands, sizeof *s->bands);
		s->sigs = tmpfile();
		s->ids = tmpfile();
		if (!s->bands || !s->sigs || !s->ids) {
			cur_err_set(err, CUR_EIO, "cannot create temporary files");
			goto fail;
		}
	}
	return st;
fail:
	stream_destroy(st);
	return NULL;
}
