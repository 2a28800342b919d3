/* The resolve step's view of a work directory: every rank's meta header
 * checked, the global numbering of documents (their order keys sorted), the
 * signatures by global number; the files it writes; and the steps in order
 * (exclude -> bucket -> cluster -> decide), run by the phases or by one
 * process (dd_work_run_all). Documents are numbered globally so that
 * "first" means the same for any --world. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/file.h"
#include "dedup/work.h"
#include "dedup/work_int.h"

void dd_work_mem_add(dd_work *w, size_t n)
{
	w->mem += n;
	if (w->mem > w->peak)
		w->peak = w->mem;
}

int dd_read_at(int fd, void *p, size_t n, uint64_t off)
{
	unsigned char *c = p;
	while (n > 0) {
		ssize_t k = pread(fd, c, n, (off_t)off);
		if (k <= 0)
			return CUR_EIO;
		c += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return CUR_OK;
}

FILE *dd_open_read(const char *path, const char *magic, cur_err *err)
{
	char m[8];
	FILE *f = fopen(path, "rb");
	if (!f) {
		cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 18);
	if (dd_fread(m, 1, 8, f) != 8 || memcmp(m, magic, 8) != 0) {
		cur_err_set(err, CUR_EDATA, "'%s' is not a curate dedup file", path);
		fclose(f);
		return NULL;
	}
	return f;
}

typedef struct okey {
	uint64_t order;
	uint32_t rank, local;
} okey;

static int cmp_okey(const void *x, const void *y)
{
	const okey *a = x, *b = y;
	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return (a->local > b->local) - (a->local < b->local);
}

static int read_header(const char *dir, int rank, dd_config *c, int *world, uint64_t *n,
		       cur_err *err)
{
	unsigned char h[DD_META_HDR];
	int r, rc = CUR_OK;
	char *path = dd_work_path(dir, "meta", rank, -1);
	FILE *f = path ? dd_open_read(path, DD_MAGIC_META, err) : NULL;
	if (!f) {
		rc = path ? err->code : CUR_ENOMEM;
		goto out;
	}
	memcpy(h, DD_MAGIC_META, 8);
	if (dd_fread(h + 8, 1, sizeof h - 8, f) != sizeof h - 8 ||
	    dd_meta_header_decode(h, c, &r, world, n) != CUR_OK || r != rank)
		rc = cur_err_set(err, CUR_EDATA, "bad header in '%s'", path);
	fclose(f);
out:
	free(path);
	return rc;
}

/* Read every rank's order keys and number documents globally. */
static int build_numbering(dd_work *w, cur_err *err)
{
	okey *k = NULL;
	size_t at = 0;
	int rc = CUR_OK;
	for (int r = 0; r < w->world; r++)
		w->n += w->count[r];
	if (w->n >= UINT32_MAX)
		return cur_err_set(err, CUR_ELIMIT, "more than 4294967294 documents");
	k = cur_malloc_array(w->n ? w->n : 1, sizeof *k);
	w->r_of = cur_malloc_array(w->n ? w->n : 1, sizeof *w->r_of);
	w->l_of = cur_malloc_array(w->n ? w->n : 1, sizeof *w->l_of);
	if (!k || !w->r_of || !w->l_of) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	dd_work_mem_add(w, w->n * (sizeof *k + sizeof *w->r_of + sizeof *w->l_of + 4));
	for (int r = 0; r < w->world; r++) {
		unsigned char rec[DD_META_REC];
		char *path = dd_work_path(w->dir, "meta", r, -1);
		FILE *f = path ? dd_open_read(path, DD_MAGIC_META, err) : NULL;
		free(path);
		if (!f) {
			rc = CUR_EIO;
			goto out;
		}
		fseek(f, DD_META_HDR, SEEK_SET);
		for (uint64_t i = 0; i < w->count[r]; i++) {
			if (dd_fread(rec, 1, sizeof rec, f) != sizeof rec) {
				fclose(f);
				rc = cur_err_set(err, CUR_EDATA, "meta file of rank %d is short", r);
				goto out;
			}
			k[at].order = dd_get64(rec);
			k[at].rank = (uint32_t)r;
			k[at].local = (uint32_t)i;
			at++;
		}
		fclose(f);
	}
	/* One rank's keys come in order already: skip the sort then. */
	size_t sorted = 1;
	while (sorted < w->n && cmp_okey(&k[sorted - 1], &k[sorted]) <= 0)
		sorted++;
	if (sorted < w->n)
		qsort(k, w->n, sizeof *k, cmp_okey);
	for (size_t g = 0; g < w->n; g++) {
		w->r_of[g] = (uint16_t)k[g].rank;
		w->l_of[g] = k[g].local;
		w->g_of[k[g].rank][k[g].local] = (uint32_t)g;
	}
out:
	free(k);
	w->mem -= w->n * sizeof *k;
	return rc;
}

int dd_open_fds(dd_work *w, int **fds, const char *name, cur_err *err)
{
	*fds = malloc((size_t)w->world * sizeof **fds);
	if (!*fds)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	for (int r = 0; r < w->world; r++)
		(*fds)[r] = -1;
	for (int r = 0; r < w->world; r++) {
		char *p = dd_work_path(w->dir, name, r, -1);
		(*fds)[r] = p ? open(p, O_RDONLY) : -1;
		if ((*fds)[r] < 0) {
			cur_err_set(err, CUR_EIO, "cannot open '%s': %s", p ? p : name, strerror(errno));
			free(p);
			return CUR_EIO;
		}
		free(p);
	}
	return CUR_OK;
}

int dd_work_open(dd_work **out, const char *dir, cur_err *err)
{
	dd_work *w = calloc(1, sizeof *w);
	dd_config c0;
	uint64_t n;
	int rc;
	*out = NULL;
	if (!w || !(w->dir = cur_strndup(dir, strlen(dir)))) {
		free(w);
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&w->live_mx, NULL);
	if ((rc = read_header(dir, 0, &w->cfg, &w->world, &n, err)) != CUR_OK)
		goto fail;
	if (w->world > 65535) {
		rc = cur_err_set(err, CUR_ELIMIT, "world %d is more than 65535", w->world);
		goto fail;
	}
	w->count = calloc((size_t)w->world, sizeof *w->count);
	w->g_of = calloc((size_t)w->world, sizeof *w->g_of);
	if (!w->count || !w->g_of) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto fail;
	}
	for (int r = 0; r < w->world; r++) {
		int world;
		if (r > 0 && (rc = read_header(dir, r, &c0, &world, &n, err)) != CUR_OK)
			goto fail;
		if (r > 0 && (world != w->world || c0.bands != w->cfg.bands ||
			      c0.rows != w->cfg.rows || c0.seed != w->cfg.seed ||
			      c0.ngram != w->cfg.ngram || c0.minhash != w->cfg.minhash)) {
			rc = cur_err_set(err, CUR_EINVAL, "rank %d of '%s' was signed with other options",
					 r, dir);
			goto fail;
		}
		w->count[r] = n;
		if (!(w->g_of[r] = cur_malloc_array(n ? n : 1, sizeof **w->g_of))) {
			rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
			goto fail;
		}
	}
	if ((rc = build_numbering(w, err)) != CUR_OK)
		goto fail;
	if (w->cfg.minhash && (rc = dd_open_fds(w, &w->sigfd, "sig", err)) != CUR_OK)
		goto fail;
	for (int r = 0; w->cfg.minhash && r < w->world; r++) {
		/* Check the signature files' layout before trusting offsets. */
		unsigned char h[DD_SIG_HDR];
		if (dd_read_at(w->sigfd[r], h, sizeof h, 0) != CUR_OK ||
		    memcmp(h, DD_MAGIC_SIG, 8) != 0 ||
		    dd_get32(h + 8) != (uint32_t)(w->cfg.bands * w->cfg.rows)) {
			rc = cur_err_set(err, CUR_EDATA, "signature file of rank %d in '%s' is not "
					 "what its meta file says", r, dir);
			goto fail;
		}
	}
	if (w->cfg.minhash && w->cfg.verify_exact &&
	    ((rc = dd_open_fds(w, &w->shfd, "sh", err)) != CUR_OK ||
	     (rc = dd_open_fds(w, &w->shxfd, "shx", err)) != CUR_OK))
		goto fail;
	*out = w;
	return CUR_OK;
fail:
	dd_work_free(w);
	return rc;
}

void dd_close_fds(int *fds, int world)
{
	for (int r = 0; fds && r < world; r++)
		if (fds[r] >= 0)
			close(fds[r]);
	free(fds);
}

void dd_work_free(dd_work *w)
{
	if (!w)
		return;
	for (int r = 0; w->g_of && r < w->world; r++)
		free(w->g_of[r]);
	free(w->g_of);
	free(w->count);
	free(w->r_of);
	free(w->l_of);
	dd_close_fds(w->sigfd, w->world);
	dd_close_fds(w->shfd, w->world);
	dd_close_fds(w->shxfd, w->world);
	free(w->kind);
	free(w->of);
	free(w->root);
	free(w->csize);
	free(w->pair_est);
	dd_uf_release(&w->live);
	pthread_mutex_destroy(&w->live_mx);
	free(w->freq);
	free(w->dir);
	free(w);
}

size_t dd_work_docs(const dd_work *w)
{
	return w->n;
}

const dd_config *dd_work_config(const dd_work *w)
{
	return &w->cfg;
}

size_t dd_work_line_bytes(const dd_work *w)
{
	return w->line_peak;
}

uint64_t dd_work_skipped(const dd_work *w)
{
	return w->skipped;
}

void dd_work_cluster_sizes(const dd_work *w, cur_hist *h)
{
	/* A cluster is counted once, at its root (its smallest member). */
	for (size_t g = 0; w->root && w->csize && g < w->n; g++)
		if (w->root[g] == g && w->csize[g] >= 2)
			cur_hist_add(h, (double)w->csize[g]);
}

void dd_work_figures(const dd_work *w, uint64_t *counts, uint64_t *clusters, uint64_t *pairs,
		     size_t *peak_bytes)
{
	memcpy(counts, w->counts, sizeof w->counts);
	*clusters = w->clusters;
	*pairs = w->pairs;
	*peak_bytes = w->peak;
}

/* ---- signatures and shingle sets by global number --------------------- */
/* fds: the signature files to read (NULL: w's). A thread reading many
 * signatures at once with another one gets files of its own: two threads
 * on one open file contend for its reference count on every pread. */
int dd_load_sig(const dd_work *w, const int *fds, uint32_t g, uint32_t *sig)
{
	int nperm = w->cfg.bands * w->cfg.rows;
	unsigned char buf[4 * DD_MAX_PERM];
	uint64_t off = DD_SIG_HDR + (uint64_t)w->l_of[g] * 4 * (uint64_t)nperm;
	/* pread, not mmap: a mapping would count the whole signature file in
	 * the process's resident memory (48 MB on bench/dedup.sh's input). */
	CUR_FORWARD(dd_read_at((fds ? fds : w->sigfd)[w->r_of[g]], buf, 4 * (size_t)nperm, off));
	for (int i = 0; i < nperm; i++)
		sig[i] = dd_get32(buf + 4 * i);
	return CUR_OK;
}

int dd_load_shingles(const dd_work *w, uint32_t g, dd_u64vec *v)
{
	unsigned char b[8];
	uint64_t off;
	uint32_t n;
	int r = w->r_of[g];
	CUR_FORWARD(dd_read_at(w->shxfd[r], b, 8, 8 + 8 * (uint64_t)w->l_of[g]));
	off = dd_get64(b) + 8;
	CUR_FORWARD(dd_read_at(w->shfd[r], b, 4, off));
	n = dd_get32(b);
	v->n = 0;
	for (uint32_t i = 0; i < n; i++) {
		CUR_FORWARD(dd_read_at(w->shfd[r], b, 8, off + 4 + 8 * (uint64_t)i));
		CUR_FORWARD(dd_u64vec_push(v, dd_get64(b)));
	}
	return CUR_OK;
}

/* A work file of this step, as an atomic output (core/file.h) that starts
 * with magic; the stream belongs to a. */
FILE *dd_create_tmp(cur_atomic *a, const char *path, const char *magic, cur_err *err)
{
	FILE *f = NULL;
	if (cur_atomic_open(a, path, err) == CUR_OK && !(f = cur_atomic_stream(a))) {
		cur_atomic_rollback(a);
		cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	if (f)
		dd_fwrite(magic, 1, 8, f);
	return f;
}

/* Files of a single-process run die with it: no fsync (see dd_config). */
int dd_commit_tmp(const dd_work *w, cur_atomic *a, cur_err *err)
{
	return cur_atomic_commit(a, w->scratch ? CUR_ATOMIC_NO_SYNC : 0, err);
}

void dd_work_set_threads(dd_work *w, int threads)
{
	w->threads = threads;
}

void dd_work_set_scratch(dd_work *w, int scratch)
{
	w->scratch = scratch;
}

int dd_alloc_results(dd_work *w, cur_err *err)
{
	if (w->kind)
		return CUR_OK;
	w->kind = calloc(w->n ? w->n : 1, 1);
	w->of = cur_calloc_array(w->n ? w->n : 1, sizeof *w->of);
	if (!w->kind || !w->of)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	dd_work_mem_add(w, w->n * 5);
	return CUR_OK;
}

int dd_work_exclude(dd_work *w, cur_err *err)
{
	if (w->excluded)
		return CUR_OK;
	CUR_FORWARD(dd_alloc_results(w, err));
	if (w->cfg.url)
		CUR_FORWARD(dd_hash_dedup(w, 1, err));
	if (w->cfg.exact)
		CUR_FORWARD(dd_hash_dedup(w, 0, err));
	w->excluded = 1;
	return CUR_OK;
}

int dd_work_cluster(dd_work *w, cur_err *err)
{
	CUR_FORWARD(dd_work_exclude(w, err));
	if (w->cfg.minhash)
		CUR_FORWARD(dd_cluster(w, err));
	if (w->cfg.lines)
		CUR_FORWARD(dd_count_lines(w, err));
	w->counts[DD_KIND_KEEP] = w->n - w->counts[1] - w->counts[2] - w->counts[3];
	return dd_decide_all(w, err);
}

int dd_work_run_all(dd_work *w, cur_err *err)
{
	CUR_FORWARD(dd_work_exclude(w, err));
	if (w->cfg.minhash)
		CUR_FORWARD(dd_bucket_all(w, err));
	return dd_work_cluster(w, err);
}

