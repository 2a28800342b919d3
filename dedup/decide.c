/* decide-R.bin: one decision per document of rank R, in its local order,
 * written at the end of the cluster phase (dd_decide_all) and read by the
 * apply pass (dd_decider). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "dedup/work.h"
#include <unistd.h>
#include "core/buf.h"
#include "core/file.h"
#include "dedup/work_int.h"

/* ---- decisions --------------------------------------------------------- */
/* The ids of every survivor some victim points at, by global number. */
typedef struct idtab {
	uint32_t *g;
	char **id;
	size_t n;
} idtab;

/* Where g is or would go in t->g (sorted ascending). */
static size_t id_slot(const idtab *t, uint32_t g)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->g[mid] < g)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int load_ids(dd_work *w, idtab *t, cur_err *err)
{
	unsigned char *need = calloc(w->n ? w->n : 1, 1);
	size_t k = 0;
	int rc = CUR_OK;
	if (!need)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	for (size_t g = 0; g < w->n; g++)
		if (w->kind[g] != DD_KIND_KEEP && !need[w->of[g]]) {
			need[w->of[g]] = 1;
			t->n++;
		}
	t->g = cur_malloc_array(t->n + 1, sizeof *t->g);
	t->id = cur_calloc_array(t->n + 1, sizeof *t->id);
	if (!t->g || !t->id) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t g = 0; g < w->n; g++)
		if (need[g])
			t->g[k++] = (uint32_t)g;
	for (int r = 0; r < w->world && rc == CUR_OK; r++) {
		char *path = dd_work_path(w->dir, "ids", r, -1);
		FILE *f = path ? dd_open_read(path, DD_MAGIC_IDS, err) : NULL;
		free(path);
		if (!f) {
			rc = CUR_EIO;
			break;
		}
		for (uint64_t i = 0; i < w->count[r] && rc == CUR_OK; i++) {
			unsigned char b[4];
			uint32_t g = w->g_of[r][i], len;
			if (dd_fread(b, 1, 4, f) != 4) {
				rc = cur_err_set(err, CUR_EDATA, "ids file of rank %d is short", r);
				break;
			}
			len = dd_get32(b);
			if (!need[g]) {
				/* Read past it: an fseek per id costs a system call. */
				char skip[256];
				while (len > 0 && rc == CUR_OK) {
					uint32_t k = len < sizeof skip ? len : (uint32_t)sizeof skip;
					if (dd_fread(skip, 1, k, f) != k)
						rc = cur_err_set(err, CUR_EDATA, "ids file of rank %d is short", r);
					len -= k;
				}
				continue;
			}
			size_t lo = id_slot(t, g);
			char *s = malloc((size_t)len + 1);
			if (!s || dd_fread(s, 1, len, f) != len) {
				free(s);
				rc = cur_err_set(err, CUR_EDATA, "ids file of rank %d is short", r);
				break;
			}
			s[len] = '\0';
			t->id[lo] = s;
		}
		fclose(f);
	}
out:
	free(need);
	return rc;
}

static const char *id_of(const idtab *t, uint32_t g)
{
	size_t lo = id_slot(t, g);

	return lo < t->n && t->g[lo] == g && t->id[lo] ? t->id[lo] : "";
}

static void idtab_release(idtab *t)
{
	for (size_t i = 0; t->id && i < t->n; i++)
		free(t->id[i]);
	free(t->id);
	free(t->g);
}

/* --lines: does a document lose a line? Then apply must parse it. */
static int open_lines(dd_work *w, int rank, FILE **out, cur_err *err)
{
	char *path;

	if (!(*out = dd_lines_open(w, rank, err)))
		return err->code ? err->code : CUR_EIO;
	if (w->freq)
		return CUR_OK;
	path = dd_work_path(w->dir, "linefreq", -1, -1);
	FILE *f = path ? dd_open_read(path, DD_MAGIC_FREQ, err) : NULL;
	free(path);
	if (!f)
		return CUR_EIO;
	unsigned char b[16];
	while (dd_fread(b, 1, 16, f) == 16) {
		if (w->nfreq == w->capfreq) {
			size_t cap = w->capfreq ? 2 * w->capfreq : 1024;
			uint64_t *p = cur_realloc_array(w->freq, 2 * cap, sizeof *p);
			if (!p) {
				fclose(f);
				return cur_err_set(err, CUR_ENOMEM, "out of memory");
			}
			w->freq = p;
			w->capfreq = cap;
		}
		w->freq[2 * w->nfreq] = dd_get64(b);
		w->freq[2 * w->nfreq + 1] = dd_get64(b + 8);
		w->nfreq++;
	}
	fclose(f);
	if (!w->freq && !(w->freq = malloc(16)))
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	qsort(w->freq, w->nfreq, 16, dd_cmp_u64pair);
	return CUR_OK;
}

static int doc_strips(dd_work *w, FILE *lf, uint64_t bucket, dd_u64vec *hashes, int *strip,
		      cur_err *err)
{
	*strip = 0;
	CUR_FORWARD(dd_lines_next(lf, hashes, err));
	for (size_t i = 0; i < hashes->n && !*strip && w->nfreq; i++) {
		uint64_t key[2] = { bucket, hashes->v[i] };

		*strip = bsearch(key, w->freq, w->nfreq, 16, dd_cmp_u64pair) != NULL;
	}
	return CUR_OK;
}

static int write_decisions(dd_work *w, int rank, const idtab *ids, const uint32_t *bucket,
			   const float *est, cur_err *err)
{
	char *path = dd_work_path(w->dir, "decide", rank, -1);
	char *mpath = dd_work_path(w->dir, "meta", rank, -1);
	cur_atomic out = CUR_ATOMIC_INIT;
	FILE *f = path ? dd_create_tmp(&out, path, DD_MAGIC_DECIDE, err) : NULL;
	FILE *mf = mpath && f ? dd_open_read(mpath, DD_MAGIC_META, err) : NULL;
	FILE *lf = NULL;
	dd_u64vec hashes = { 0 };
	unsigned char hdr[8];
	int rc = CUR_OK;
	if (!f || !mf) {
		rc = path && mpath ? CUR_EIO : CUR_ENOMEM;
		goto out;
	}
	fseek(mf, DD_META_HDR, SEEK_SET);
	if (w->cfg.lines && (rc = open_lines(w, rank, &lf, err)) != CUR_OK)
		goto out;
	dd_put64(hdr, w->count[rank]);
	dd_fwrite(hdr, 1, 8, f);
	for (uint64_t i = 0; i < w->count[rank] && rc == CUR_OK; i++) {
		uint32_t g = w->g_of[rank][i];
		unsigned char rec[DD_DECIDE_REC], mrec[DD_META_REC];
		dd_meta m;
		const char *id = "";
		float v = 0;
		uint32_t vb;
		if (dd_fread(mrec, 1, sizeof mrec, mf) != sizeof mrec) {
			rc = cur_err_set(err, CUR_EDATA, "'%s' is short", mpath);
			break;
		}
		dd_meta_decode(mrec, &m);
		if (w->kind[g] != DD_KIND_KEEP)
			id = id_of(ids, w->of[g]);
		if (w->kind[g] == DD_KIND_MINHASH && est) {
			v = est[g];
		} else if (w->kind[g] == DD_KIND_MINHASH && dd_recorded_est(w, g, w->of[g], &v)) {
			/* bucketing computed it */
		} else if (w->kind[g] == DD_KIND_MINHASH) {
			uint32_t a[DD_MAX_PERM], b[DD_MAX_PERM];
			if (dd_load_sig(w, NULL, g, a) != CUR_OK || dd_load_sig(w, NULL, w->of[g], b) != CUR_OK) {
				rc = cur_err_set(err, CUR_EIO, "cannot read signatures in '%s'", w->dir);
				break;
			}
			v = (float)dd_mh_estimate(a, b, w->cfg.bands * w->cfg.rows);
		}
		memcpy(&vb, &v, 4);
		int strip = 0;
		if (lf && (rc = doc_strips(w, lf, bucket ? bucket[g] : 0, &hashes, &strip, err)) != CUR_OK)
			break;
		dd_put64(rec, m.order);
		rec[8] = (unsigned char)(w->kind[g] | (strip && w->kind[g] == DD_KIND_KEEP ? DD_STRIP : 0) |
					 (m.flags & DD_META_RAW ? DD_RAW_OK : 0) |
					 (m.flags & DD_META_NO_META ? DD_NO_META : 0) |
					 (m.flags & DD_META_SAME ? DD_SAME : 0));
		dd_put32(rec + 9, vb);
		dd_put32(rec + 13, w->csize && w->csize[g] > 1 ? w->csize[g] : 0);
		dd_put64(rec + 17, w->root ? w->root[g] : g);
		dd_put64(rec + 25, bucket ? bucket[g] : 0);
		dd_put32(rec + 33, m.length);
		dd_put32(rec + 37, (uint32_t)strlen(id));
		if (dd_fwrite(rec, 1, sizeof rec, f) != sizeof rec ||
		    dd_fwrite(id, 1, strlen(id), f) != strlen(id))
			rc = cur_err_set(err, CUR_EIO, "cannot write '%s'", path);
	}
	if (rc == CUR_OK)
		rc = dd_commit_tmp(w, &out, err);
out:
	cur_atomic_rollback(&out);
	if (mf)
		fclose(mf);
	if (lf)
		fclose(lf);
	dd_u64vec_release(&hashes);
	free(path);
	free(mpath);
	return rc;
}

/* With -j: the Jaccard estimate of every MinHash victim against its
 * survivor (two signature reads each) on T threads, by ranges of global
 * numbers, before the serial writing of the decisions. */
typedef struct est_job {
	dd_work *w;
	float *est;
	size_t lo, hi;
	int rc;
} est_job;

static void *est_thread(void *arg)
{
	est_job *j = arg;
	uint32_t a[DD_MAX_PERM], b[DD_MAX_PERM];
	for (size_t g = j->lo; g < j->hi && j->rc == CUR_OK; g++) {
		if (j->w->kind[g] != DD_KIND_MINHASH ||
		    dd_recorded_est(j->w, (uint32_t)g, j->w->of[g], &j->est[g]))
			continue;
		if (dd_load_sig(j->w, NULL, (uint32_t)g, a) != CUR_OK ||
		    dd_load_sig(j->w, NULL, j->w->of[g], b) != CUR_OK)
			j->rc = CUR_EIO;
		else
			j->est[g] = (float)dd_mh_estimate(a, b, j->w->cfg.bands * j->w->cfg.rows);
	}
	return NULL;
}

static int estimate_victims(dd_work *w, float **out, cur_err *err)
{
	int t = w->threads > 8 ? 8 : w->threads, rc = CUR_OK;
	est_job jobs[8];
	float *est = cur_calloc_array(w->n ? w->n : 1, sizeof *est);
	*out = NULL;
	if (!est)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	dd_work_mem_add(w, w->n * sizeof *est);
	for (int i = 0; i < t; i++)
		jobs[i] = (est_job){ .w = w, .est = est, .lo = w->n * (size_t)i / (size_t)t,
				     .hi = w->n * (size_t)(i + 1) / (size_t)t };
	dd_run_jobs(est_thread, jobs, sizeof *jobs, t);
	for (int i = 0; i < t; i++)
		if (jobs[i].rc != CUR_OK)
			rc = cur_err_set(err, CUR_EIO, "cannot read signatures in '%s'", w->dir);
	if (rc != CUR_OK) {
		free(est);
		w->mem -= w->n * sizeof *est;
		return rc;
	}
	*out = est;
	return CUR_OK;
}

int dd_decide_all(dd_work *w, cur_err *err)
{
	idtab ids = { 0 };
	uint32_t *bucket = NULL;
	float *est = NULL;
	int rc = CUR_OK;
	if (w->threads > 1 && w->cfg.minhash && w->counts[DD_KIND_MINHASH] > 0)
		rc = estimate_victims(w, &est, err);
	if (rc == CUR_OK)
		rc = load_ids(w, &ids, err);
	if (rc == CUR_OK && w->cfg.lines) {
		uint64_t kept = 0;
		bucket = cur_malloc_array(w->n ? w->n : 1, sizeof *bucket);
		if (!bucket)
			rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		for (size_t g = 0; bucket && g < w->n; g++) {
			bucket[g] = (uint32_t)(kept / w->cfg.bucket_docs);
			kept += w->kind[g] == DD_KIND_KEEP;
		}
	}
	for (int r = 0; r < w->world && rc == CUR_OK; r++)
		rc = write_decisions(w, r, &ids, bucket, est, err);
	free(bucket);
	if (est) {
		free(est);
		w->mem -= w->n * sizeof *est;
	}
	idtab_release(&ids);
	return rc;
}


/* ---- reading --------------------------------------------------------- */
struct dd_decider {
	FILE *f;
	char *path;
	uint64_t ndocs, at;
	dd_config cfg;
	char *id;
	size_t idcap;
	uint64_t *freq; /* (bucket, hash) pairs, sorted */
	size_t nfreq;
};

static int load_freq(dd_decider *d, const char *dir, cur_err *err)
{
	char *path = dd_work_path(dir, "linefreq", -1, -1);
	FILE *f = path ? fopen(path, "rb") : NULL;
	struct stat st;
	char m[8];
	int rc = CUR_OK;
	if (!f) {
		rc = cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path ? path : "linefreq",
				 strerror(errno));
		goto out;
	}
	fstat(fileno(f), &st);
	if (dd_fread(m, 1, 8, f) != 8 || memcmp(m, DD_MAGIC_FREQ, 8) != 0 || (st.st_size - 8) % 16) {
		rc = cur_err_set(err, CUR_EDATA, "'%s' is not a line-count file", path);
		goto out;
	}
	d->nfreq = (size_t)(st.st_size - 8) / 16;
	d->freq = cur_malloc_array(2 * d->nfreq + 2, sizeof *d->freq);
	if (!d->freq) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < d->nfreq; i++) {
		unsigned char b[16];
		if (dd_fread(b, 1, 16, f) != 16) {
			rc = cur_err_set(err, CUR_EDATA, "'%s' is short", path);
			goto out;
		}
		d->freq[2 * i] = dd_get64(b);
		d->freq[2 * i + 1] = dd_get64(b + 8);
	}
	/* lc_flush writes buckets in order but hashes in table order. */
	qsort(d->freq, d->nfreq, 16, dd_cmp_u64pair);
out:
	if (f)
		fclose(f);
	free(path);
	return rc;
}

int dd_cmp_u64pair(const void *x, const void *y)
{
	const uint64_t *a = x, *b = y;
	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return (a[1] > b[1]) - (a[1] < b[1]);
}

int dd_decider_open(dd_decider **out, const char *dir, int rank, cur_err *err)
{
	dd_decider *d = calloc(1, sizeof *d);
	unsigned char h[DD_META_HDR];
	int r, world, rc = CUR_OK;
	uint64_t n;
	char *mpath = dd_work_path(dir, "meta", rank, -1);
	FILE *mf = NULL;
	*out = NULL;
	if (!d || !mpath) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto fail;
	}
	if (!(mf = fopen(mpath, "rb")) || dd_fread(h, 1, sizeof h, mf) != sizeof h ||
	    dd_meta_header_decode(h, &d->cfg, &r, &world, &n) != CUR_OK) {
		rc = cur_err_set(err, CUR_EDATA, "cannot read '%s' (run minhash-sign first)", mpath);
		goto fail;
	}
	if (!(d->path = dd_work_path(dir, "decide", rank, -1))) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto fail;
	}
	d->f = fopen(d->path, "rb");
	if (!d->f) {
		rc = cur_err_set(err, CUR_EIO, "cannot open '%s': %s (run minhash-cluster first)",
				 d->path, strerror(errno));
		goto fail;
	}
	setvbuf(d->f, NULL, _IOFBF, 1 << 18);
	{
		unsigned char b[16];
		if (dd_fread(b, 1, 16, d->f) != 16 || memcmp(b, DD_MAGIC_DECIDE, 8) != 0) {
			rc = cur_err_set(err, CUR_EDATA, "'%s' is not a decision file", d->path);
			goto fail;
		}
		d->ndocs = dd_get64(b + 8);
	}
	if (d->ndocs != n) {
		rc = cur_err_set(err, CUR_EDATA, "'%s' does not match '%s'", d->path, mpath);
		goto fail;
	}
	if (d->cfg.lines && (rc = load_freq(d, dir, err)) != CUR_OK)
		goto fail;
	fclose(mf);
	free(mpath);
	*out = d;
	return CUR_OK;
fail:
	if (mf)
		fclose(mf);
	free(mpath);
	dd_decider_free(d);
	return rc;
}

int dd_decider_next(dd_decider *d, dd_decision *o, cur_err *err)
{
	unsigned char rec[DD_DECIDE_REC];
	uint32_t vb, len;
	if (d->at >= d->ndocs)
		return CUR_EOF;
	if (dd_fread(rec, 1, sizeof rec, d->f) != sizeof rec)
		return cur_err_set(err, CUR_EDATA, "'%s' is short", d->path);
	o->order = dd_get64(rec);
	o->kind = rec[8] & ~(DD_STRIP | DD_RAW_OK | DD_NO_META | DD_SAME);
	o->strip = (rec[8] & DD_STRIP) != 0;
	o->raw_ok = (rec[8] & DD_RAW_OK) != 0;
	o->no_meta = (rec[8] & DD_NO_META) != 0;
	o->same = (rec[8] & DD_SAME) != 0;
	vb = dd_get32(rec + 9);
	memcpy(&o->value, &vb, 4);
	o->cluster_size = dd_get32(rec + 13);
	o->cluster = dd_get64(rec + 17);
	o->bucket = dd_get64(rec + 25);
	o->length = dd_get32(rec + 33);
	len = dd_get32(rec + 37);
	if (o->kind > DD_KIND_MINHASH || len > (1u << 24))
		return cur_err_set(err, CUR_EDATA, "bad record in '%s'", d->path);
	if (len + 1 > d->idcap) {
		char *p = realloc(d->id, len + 1);
		if (!p)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		d->id = p;
		d->idcap = len + 1;
	}
	if (dd_fread(d->id, 1, len, d->f) != len)
		return cur_err_set(err, CUR_EDATA, "'%s' is short", d->path);
	d->id[len] = '\0';
	o->dup_of = d->id;
	d->at++;
	return CUR_OK;
}

int dd_decider_line_frequent(const dd_decider *d, uint64_t b, uint64_t h)
{
	uint64_t key[2] = { b, h ? h : 1 };
	return d->nfreq && bsearch(key, d->freq, d->nfreq, 16, dd_cmp_u64pair) != NULL;
}

uint64_t dd_decider_left(const dd_decider *d)
{
	return d->ndocs - d->at;
}

const dd_config *dd_decider_config(const dd_decider *d)
{
	return &d->cfg;
}

void dd_decider_free(dd_decider *d)
{
	if (!d)
		return;
	if (d->f)
		fclose(d->f);
	free(d->path);
	free(d->id);
	free(d->freq);
	free(d);
}
