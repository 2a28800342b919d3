/* Bucket, cluster and resolve: everything between sign and apply.
 *
 * Documents get a global number: their rank in order-key order over all
 * ranks, so that "first" means the same for any --world. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
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

struct dd_work {
	char *dir;
	dd_config cfg;
	int world;
	uint64_t *count;     /* documents per rank */
	uint32_t **g_of;     /* per rank: local -> global */
	uint16_t *r_of;      /* global -> rank */
	uint32_t *l_of;      /* global -> local */
	size_t n;
	int *sigfd, *shfd, *shxfd;
	int threads;         /* run_all: bands bucketed on this many threads */
	int scratch;         /* the directory dies with this process: no fsync */
	/* results */
	unsigned char *kind; /* per global: enum dd_kind */
	uint32_t *of;        /* per global: survivor (for kind != KEEP) */
	uint32_t *root;      /* per global: cluster (smallest member), minhash */
	uint32_t *csize;     /* per global: size of its cluster, minhash */
	/* run_all, per global g: the last confirmed pair (p, g) and its
	 * estimate, packed as (p + 1) << 32 | float bits (0: none), so that
	 * the victim-survivor estimates need no second signature read when
	 * the survivor is that partner (the common case). */
	uint64_t *pair_est;
	uint64_t counts[4], clusters, pairs;
	size_t mem, peak;
	size_t line_peak;    /* bytes of the largest bucket's line counts */
	dd_uf live;          /* run_all: pairs joined so far, to skip known ones */
	pthread_mutex_t live_mx; /* held by unions of live (finds take none) */
	uint64_t *freq;      /* --lines: (bucket, hash) of lines to remove, sorted */
	size_t nfreq, capfreq;
	uint64_t skipped;    /* candidate pairs already joined by an earlier band */
};

static void mem_add(dd_work *w, size_t n)
{
	w->mem += n;
	if (w->mem > w->peak)
		w->peak = w->mem;
}

static int read_all(int fd, void *p, size_t n, uint64_t off)
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

static FILE *open_read(const char *path, const char *magic, cur_err *err)
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
	FILE *f = path ? open_read(path, DD_MAGIC_META, err) : NULL;
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
	mem_add(w, w->n * (sizeof *k + sizeof *w->r_of + sizeof *w->l_of + 4));
	for (int r = 0; r < w->world; r++) {
		unsigned char rec[DD_META_REC];
		char *path = dd_work_path(w->dir, "meta", r, -1);
		FILE *f = path ? open_read(path, DD_MAGIC_META, err) : NULL;
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

static int open_fds(dd_work *w, int **fds, const char *name, cur_err *err)
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
	if (w->cfg.minhash && (rc = open_fds(w, &w->sigfd, "sig", err)) != CUR_OK)
		goto fail;
	for (int r = 0; w->cfg.minhash && r < w->world; r++) {
		/* Check the signature files' layout before trusting offsets. */
		unsigned char h[DD_SIG_HDR];
		if (read_all(w->sigfd[r], h, sizeof h, 0) != CUR_OK ||
		    memcmp(h, DD_MAGIC_SIG, 8) != 0 ||
		    dd_get32(h + 8) != (uint32_t)(w->cfg.bands * w->cfg.rows)) {
			rc = cur_err_set(err, CUR_EDATA, "signature file of rank %d in '%s' is not "
					 "what its meta file says", r, dir);
			goto fail;
		}
	}
	if (w->cfg.minhash && w->cfg.verify_exact &&
	    ((rc = open_fds(w, &w->shfd, "sh", err)) != CUR_OK ||
	     (rc = open_fds(w, &w->shxfd, "shx", err)) != CUR_OK))
		goto fail;
	*out = w;
	return CUR_OK;
fail:
	dd_work_free(w);
	return rc;
}

static void close_fds(int *fds, int world)
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
	close_fds(w->sigfd, w->world);
	close_fds(w->shfd, w->world);
	close_fds(w->shxfd, w->world);
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
static int load_sig(const dd_work *w, const int *fds, uint32_t g, uint32_t *sig)
{
	int nperm = w->cfg.bands * w->cfg.rows;
	unsigned char buf[4 * DD_MAX_PERM];
	uint64_t off = DD_SIG_HDR + (uint64_t)w->l_of[g] * 4 * (uint64_t)nperm;
	/* pread, not mmap: a mapping would count the whole signature file in
	 * the process's resident memory (48 MB on bench/dedup.sh's input). */
	CUR_FORWARD(read_all((fds ? fds : w->sigfd)[w->r_of[g]], buf, 4 * (size_t)nperm, off));
	for (int i = 0; i < nperm; i++)
		sig[i] = dd_get32(buf + 4 * i);
	return CUR_OK;
}

static int load_shingles(const dd_work *w, uint32_t g, dd_u64vec *v)
{
	unsigned char b[8];
	uint64_t off;
	uint32_t n;
	int r = w->r_of[g];
	CUR_FORWARD(read_all(w->shxfd[r], b, 8, 8 + 8 * (uint64_t)w->l_of[g]));
	off = dd_get64(b) + 8;
	CUR_FORWARD(read_all(w->shfd[r], b, 4, off));
	n = dd_get32(b);
	v->n = 0;
	for (uint32_t i = 0; i < n; i++) {
		CUR_FORWARD(read_all(w->shfd[r], b, 8, off + 4 + 8 * (uint64_t)i));
		CUR_FORWARD(dd_u64vec_push(v, dd_get64(b)));
	}
	return CUR_OK;
}

/* ---- bucket: k-way merge of sorted runs ------------------------------- */
typedef struct run {
	FILE *f;
	uint64_t left;   /* entries not yet read */
	uint64_t key;
	uint32_t g;
	int rank;
} run;

static int run_next(run *r, const dd_work *w)
{
	unsigned char e[DD_ENTRY];
	if (r->left == 0)
		return 0;
	if (dd_fread(e, 1, DD_ENTRY, r->f) != DD_ENTRY)
		return -1;
	r->left--;
	r->key = dd_get64(e);
	uint32_t local = dd_get32(e + 8);
	if (local >= w->count[r->rank])
		return -1;
	r->g = w->g_of[r->rank][local];
	return 1;
}

static int run_less(const run *a, const run *b)
{
	return a->key < b->key || (a->key == b->key && a->g < b->g);
}

static void heap_down(run **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && run_less(h[l], h[m]))
			m = l;
		if (l + 1 < n && run_less(h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		run *t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* Band keys from lo to hi (both included): resolve's threads split each
 * band into such ranges, so that they work on the same band at once. */
typedef struct key_range {
	uint64_t lo, hi;
} key_range;

static const key_range every_key = { 0, UINT64_MAX };

/* The index of the first of the count entries at base whose key is at
 * least key (count when none is): a binary search over the sorted run. */
static int first_at_least(int fd, uint64_t base, uint64_t count, uint64_t key, uint64_t *at)
{
	uint64_t lo = 0, hi = count;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		unsigned char b[8];
		CUR_FORWARD(read_all(fd, b, 8, base + mid * DD_ENTRY));
		if (dd_get64(b) < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return CUR_OK;
}

/* Narrow a run of count entries at base to the keys of range. */
static int run_limit(run *r, int fd, uint64_t base, uint64_t count, key_range range)
{
	uint64_t start = 0, end = count;
	if (range.lo > 0)
		CUR_FORWARD(first_at_least(fd, base, count, range.lo, &start));
	if (range.hi < UINT64_MAX)
		CUR_FORWARD(first_at_least(fd, base, count, range.hi + 1, &end));
	r->left = end > start ? end - start : 0;
	return fseek(r->f, (long)(base + start * DD_ENTRY), SEEK_SET) == 0 ? CUR_OK : CUR_EIO;
}

/* Open every run of band in every rank's band file, limited to range. */
static int open_runs(dd_work *w, int band, key_range range, run **out, size_t *nout,
		     cur_err *err)
{
	run *runs = NULL;
	size_t n = 0, cap = 0;
	int rc = CUR_OK;
	for (int r = 0; r < w->world && rc == CUR_OK; r++) {
		char *path = dd_work_path(w->dir, "band", band, r);
		FILE *f = path ? open_read(path, DD_MAGIC_BAND, err) : NULL;
		struct stat st;
		uint64_t off = 8;
		if (!f) {
			rc = path ? CUR_EIO : CUR_ENOMEM;
			free(path);
			break;
		}
		fstat(fileno(f), &st);
		while (off < (uint64_t)st.st_size) {
			unsigned char b[8];
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				run *nr = cur_realloc_array(runs, cap, sizeof *runs);
				if (!nr) {
					rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
					break;
				}
				runs = nr;
			}
			if (pread(fileno(f), b, 8, (off_t)off) != 8) {
				rc = cur_err_set(err, CUR_EDATA, "'%s' is truncated", path);
				break;
			}
			uint64_t count = dd_get64(b);
			runs[n].rank = r;
			runs[n].f = fopen(path, "rb");
			if (!runs[n].f) {
				rc = cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path, strerror(errno));
				break;
			}
			setvbuf(runs[n].f, NULL, _IOFBF, 1 << 16);
			n++;
			if (run_limit(&runs[n - 1], fileno(f), off + 8, count, range) != CUR_OK) {
				rc = cur_err_set(err, CUR_EDATA, "'%s' is truncated", path);
				break;
			}
			off += 8 + count * DD_ENTRY;
		}
		fclose(f);
		free(path);
	}
	*out = runs;
	*nout = n;
	return rc;
}

/* Where bucket_merge puts the pairs it confirms: a file, or (mem) memory,
 * packed as a << 32 | b, for resolve's threads to write out in order. */
typedef struct pairw {
	FILE *f;
	cur_atomic file;
	dd_u64vec *mem;
	const int *sigfd;      /* signature files of this thread (NULL: w's) */
	uint64_t n;
} pairw;

/* One confirmed pair (a, b) into pw. */
static int pair_put(pairw *pw, uint32_t a, uint32_t b)
{
	unsigned char p[8];
	pw->n++;
	if (pw->mem)
		return dd_u64vec_push(pw->mem, (uint64_t)a << 32 | b);
	dd_put32(p, a);
	dd_put32(p + 4, b);
	return dd_fwrite(p, 1, 8, pw->f) == 8 ? CUR_OK : CUR_EIO;
}

static uint64_t pack_est(uint32_t partner, float est)
{
	uint32_t bits;
	memcpy(&bits, &est, 4);
	return (uint64_t)(partner + 1) << 32 | bits;
}

/* The estimate of g against partner when bucketing recorded it. */
static int recorded_est(const dd_work *w, uint32_t g, uint32_t partner, float *est)
{
	uint64_t v = w->pair_est ? __atomic_load_n(&w->pair_est[g], __ATOMIC_RELAXED) : 0;
	uint32_t bits = (uint32_t)v;
	if (v == 0 || (uint32_t)(v >> 32) != partner + 1)
		return 0;
	memcpy(est, &bits, 4);
	return 1;
}

static int verify(dd_work *w, const int *fds, uint32_t a, const uint32_t *siga,
		  const dd_u64vec *sha, uint32_t b, uint32_t *sigb, dd_u64vec *shb, int *ok)
{
	if (w->cfg.verify_exact) {
		CUR_FORWARD(load_shingles(w, b, shb));
		*ok = dd_jaccard_sorted(sha->v, sha->n, shb->v, shb->n) >= w->cfg.threshold;
	} else {
		CUR_FORWARD(load_sig(w, fds, b, sigb));
		double est = dd_mh_estimate(siga, sigb, w->cfg.bands * w->cfg.rows);
		*ok = est >= w->cfg.threshold;
		/* Any thread's pair for b will do: the estimate of a given pair
		 * is the same whoever computes it. */
		if (*ok && w->pair_est)
			__atomic_store_n(&w->pair_est[b], pack_est(a, (float)est), __ATOMIC_RELAXED);
	}
	return CUR_OK;
}

/* Walk the merged band: pair the first live member of each key group with
 * every other live member whose similarity passes the threshold. */
static int bucket_merge(dd_work *w, run *runs, size_t nruns, const unsigned char *excl,
			dd_uf *live, uint64_t *skipped, pairw *pw, cur_err *err)
{
	run **h = cur_malloc_array(nruns ? nruns : 1, sizeof *h);
	uint32_t siga[DD_MAX_PERM], sigb[DD_MAX_PERM];
	dd_u64vec sha = { 0 }, shb = { 0 };
	size_t nh = 0;
	uint64_t key = 0;
	int have_first = 0, first_loaded = 0, rc = CUR_OK;
	uint32_t first = 0;
	if (!h)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	for (size_t i = 0; i < nruns; i++) {
		int k = run_next(&runs[i], w);
		if (k < 0) {
			rc = cur_err_set(err, CUR_EDATA, "bad band file of rank %d", runs[i].rank);
			goto out;
		}
		if (k > 0)
			h[nh++] = &runs[i];
	}
	for (size_t i = nh; i-- > 0;)
		heap_down(h, nh, i);
	while (nh > 0) {
		run *top = h[0];
		uint64_t k = top->key;
		uint32_t g = top->g;
		if (!have_first || k != key) {
			key = k;
			have_first = 0;
		}
		if (!(excl && excl[g])) {
			if (!have_first) {
				/* Most keys have one document: read the first one's
				 * signature only when a second one shows up. */
				first = g;
				have_first = 1;
				first_loaded = 0;
			} else if (live && live->parent &&
				   dd_uf_find_shared(live, first) == dd_uf_find_shared(live, g)) {
				/* Joined through an earlier band: the pair changes no
				 * cluster, so a one-process run need not check it. */
				(*skipped)++;
			} else {
				int ok = 0;
				if (!first_loaded) {
					rc = w->cfg.verify_exact ? load_shingles(w, first, &sha)
								 : load_sig(w, pw->sigfd, first, siga);
					first_loaded = 1;
				}
				if (rc == CUR_OK)
					rc = verify(w, pw->sigfd, first, siga, &sha, g, sigb, &shb,
						    &ok);
				if (rc == CUR_OK && ok && live && live->parent) {
					pthread_mutex_lock(&w->live_mx);
					dd_uf_union_shared(live, first, g);
					pthread_mutex_unlock(&w->live_mx);
				}
				if (rc == CUR_OK && ok)
					rc = pair_put(pw, first, g);
			}
			if (rc != CUR_OK) {
				rc = cur_err_set(err, rc, "cannot read signatures in '%s'", w->dir);
				goto out;
			}
		}
		int more = run_next(top, w);
		if (more < 0) {
			rc = cur_err_set(err, CUR_EDATA, "bad band file of rank %d", top->rank);
			goto out;
		}
		if (!more)
			h[0] = h[--nh];
		heap_down(h, nh, 0);
	}
out:
	dd_u64vec_release(&sha);
	dd_u64vec_release(&shb);
	free(h);
	return rc;
}

/* A work file of this step, as an atomic output (core/file.h) that starts
 * with magic; the stream belongs to a. */
static FILE *create_tmp(cur_atomic *a, const char *path, const char *magic, cur_err *err)
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
static int commit_tmp(const dd_work *w, cur_atomic *a, cur_err *err)
{
	return cur_atomic_commit(a, w->scratch ? CUR_ATOMIC_NO_SYNC : 0, err);
}

static int check_band(const dd_work *w, int band, cur_err *err)
{
	if (!w->cfg.minhash)
		return cur_err_set(err, CUR_EINVAL, "'%s' was signed without --minhash", w->dir);
	if (band < 0 || band >= w->cfg.bands)
		return cur_err_set(err, CUR_EINVAL, "band %d is out of range 0..%d", band,
				   w->cfg.bands - 1);
	return CUR_OK;
}

/* The keys of range in one band, merged, into pw. live (may be NULL) holds
 * the pairs joined so far, by earlier bands and by the other threads. */
static int bucket_range(dd_work *w, int band, key_range range, const unsigned char *excluded,
			dd_uf *live, uint64_t *skipped, pairw *pw, cur_err *err)
{
	run *runs = NULL;
	size_t nruns = 0;
	int rc = open_runs(w, band, range, &runs, &nruns, err);
	if (rc == CUR_OK)
		rc = bucket_merge(w, runs, nruns, excluded, live, skipped, pw, err);
	for (size_t i = 0; i < nruns; i++)
		if (runs[i].f)
			fclose(runs[i].f);
	free(runs);
	return rc;
}

/* Write pairs-BAND.bin: the pairs of n memory parts (mem), or those that
 * bucketing the whole band gives (mem NULL). */
static int write_pairs(dd_work *w, int band, dd_u64vec *mem, int n, const unsigned char *excluded,
		       dd_uf *live, uint64_t *skipped, uint64_t *npairs, cur_err *err)
{
	pairw pw = { .file = CUR_ATOMIC_INIT };
	int rc = CUR_OK;
	char *path = dd_work_path(w->dir, "pairs", band, -1);
	if (!path)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	pw.f = create_tmp(&pw.file, path, DD_MAGIC_PAIRS, err);
	free(path);
	if (!pw.f)
		return err->code;
	if (!mem)
		rc = bucket_range(w, band, every_key, excluded, live, skipped, &pw, err);
	for (int t = 0; mem && t < n && rc == CUR_OK; t++)
		for (size_t i = 0; i < mem[t].n && rc == CUR_OK; i++)
			if (pair_put(&pw, (uint32_t)(mem[t].v[i] >> 32), (uint32_t)mem[t].v[i]) != CUR_OK)
				rc = cur_err_set(err, CUR_EIO, "cannot write '%s'", pw.file.path);
	if (rc == CUR_OK)
		rc = commit_tmp(w, &pw.file, err);
	cur_atomic_rollback(&pw.file);
	*npairs += pw.n;
	return rc;
}

/* One band into pairs-BAND.bin. */
static int bucket_band(dd_work *w, int band, const unsigned char *excluded, dd_uf *live,
		       uint64_t *skipped, uint64_t *npairs, cur_err *err)
{
	CUR_FORWARD(check_band(w, band, err));
	return write_pairs(w, band, NULL, 0, excluded, live, skipped, npairs, err);
}

int dd_work_bucket(dd_work *w, int band, const unsigned char *excluded, cur_err *err)
{
	return bucket_band(w, band, excluded, w->live.parent ? &w->live : NULL, &w->skipped,
			   &w->pairs, err);
}

/* run_all's bands on T threads, one band at a time: thread t takes the
 * t-th of T equal ranges of band keys (keys are hashes, so the ranges hold
 * about the same number of documents), and after each band thread 0 writes
 * its pairs file. All threads share one union-find of the pairs confirmed
 * so far: a pair already joined, through any band, changes no cluster, so
 * it is not verified again. Taking the bands one at a time matters: the
 * first band confirms almost every pair, and when the threads took whole
 * bands side by side, the second band re-verified them all at once.
 * Which thread gets to a pair first depends on timing, so with T > 1 the
 * split of pairs between candidate_pairs and pairs_already_joined may vary
 * from run to run; the clusters, and so the output, do not. */
/* Threads wait here until bucket_all knows how many of them started. */
typedef struct start_gate {
	pthread_mutex_t mx;
	pthread_cond_t cv;
	int open;
} start_gate;

typedef struct band_job {
	start_gate *gate;          /* set before the thread starts */
	dd_work *w;                /* the rest once the gate opens */
	int t, nt;
	dd_u64vec *mem;            /* [band * nt + t]: pairs of this thread's range */
	pthread_barrier_t *barrier;
	int *failed;
	int *sigfd;                /* the signature files, opened for this thread */
	uint64_t skipped, pairs;
	int rc;
	cur_err err;
} band_job;

static key_range nth_range(int t, int nt)
{
	uint64_t q = UINT64_MAX / (uint64_t)nt;
	key_range r = { (uint64_t)t * q, t == nt - 1 ? UINT64_MAX : (uint64_t)(t + 1) * q - 1 };
	return r;
}

static void *band_thread(void *arg)
{
	band_job *j = arg;
	pthread_mutex_lock(&j->gate->mx);
	while (!j->gate->open)
		pthread_cond_wait(&j->gate->cv, &j->gate->mx);
	pthread_mutex_unlock(&j->gate->mx);
	dd_work *w = j->w;
	cur_err_clear(&j->err);
	j->rc = CUR_OK;
	for (int b = 0; b < w->cfg.bands; b++) {
		pairw pw = { .mem = &j->mem[b * j->nt + j->t], .sigfd = j->sigfd };
		if (j->rc == CUR_OK && !__atomic_load_n(j->failed, __ATOMIC_RELAXED))
			j->rc = bucket_range(w, b, nth_range(j->t, j->nt), w->kind, &w->live,
					     &j->skipped, &pw, &j->err);
		if (j->rc != CUR_OK)
			__atomic_store_n(j->failed, 1, __ATOMIC_RELAXED);
		/* Every thread reaches every barrier, failed or not. */
		pthread_barrier_wait(j->barrier);
		if (j->t == 0 && j->rc == CUR_OK && !__atomic_load_n(j->failed, __ATOMIC_RELAXED))
			j->rc = write_pairs(w, b, &j->mem[b * j->nt], j->nt, NULL, NULL, NULL,
					    &j->pairs, &j->err);
		if (j->t == 0)
			for (int t = 0; t < j->nt; t++)
				dd_u64vec_release(&j->mem[b * j->nt + t]);
	}
	return NULL;
}

static int bucket_all(dd_work *w, cur_err *err)
{
	int t = w->threads < 1 ? 1 : w->threads, started = 0, rc = CUR_OK, failed = 0;
	band_job *jobs;
	pthread_t *tid;
	dd_u64vec *mem;
	pthread_barrier_t barrier;
	if (t > 64)
		t = 64;
	jobs = calloc((size_t)t, sizeof *jobs);
	tid = calloc((size_t)t, sizeof *tid);
	mem = cur_calloc_array((size_t)w->cfg.bands * (size_t)t, sizeof *mem);
	if (!w->pair_est && !w->cfg.verify_exact)
		w->pair_est = cur_calloc_array(w->n ? w->n : 1, sizeof *w->pair_est);
	if (!jobs || !tid || !mem || dd_uf_init(&w->live, w->n) != CUR_OK ||
	    (!w->pair_est && !w->cfg.verify_exact)) {
		free(jobs);
		free(tid);
		free(mem);
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	mem_add(w, w->n * (4 + (w->pair_est ? sizeof *w->pair_est : 0)));
	/* Start the threads, then tell them how many started (the barrier
	 * must count exactly those). */
	start_gate gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	for (int i = 0; i < t; i++)
		jobs[i].gate = &gate;
	for (int i = 1; i < t; i++, started++)
		if ((w->cfg.minhash && !w->cfg.verify_exact &&
		     open_fds(w, &jobs[i].sigfd, "sig", err) != CUR_OK) ||
		    pthread_create(&tid[i], NULL, band_thread, &jobs[i]) != 0)
			break;
	cur_err_clear(err);
	pthread_barrier_init(&barrier, NULL, (unsigned)(started + 1));
	pthread_mutex_lock(&gate.mx);
	for (int i = 0; i <= started; i++) {
		jobs[i].w = w;
		jobs[i].t = i;
		jobs[i].nt = started + 1;
		jobs[i].mem = mem;
		jobs[i].barrier = &barrier;
		jobs[i].failed = &failed;
	}
	gate.open = 1;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.mx);
	band_thread(&jobs[0]);
	for (int i = 1; i <= started; i++)
		pthread_join(tid[i], NULL);
	for (int i = 0; i <= started; i++) {
		if (rc == CUR_OK && jobs[i].rc != CUR_OK) {
			*err = jobs[i].err;
			rc = jobs[i].rc;
		}
		w->skipped += jobs[i].skipped;
		w->pairs += jobs[i].pairs;
	}
	for (int i = 1; i < t; i++)
		if (jobs[i].sigfd) {
			close_fds(jobs[i].sigfd, w->world);
			jobs[i].sigfd = NULL;
		}
	pthread_barrier_destroy(&barrier);
	pthread_mutex_destroy(&gate.mx);
	pthread_cond_destroy(&gate.cv);
	for (size_t i = 0; i < (size_t)w->cfg.bands * (size_t)t; i++)
		dd_u64vec_release(&mem[i]);
	dd_uf_release(&w->live);
	w->mem -= w->n * 4;
	free(mem);
	free(jobs);
	free(tid);
	return rc;
}

void dd_work_set_threads(dd_work *w, int threads)
{
	w->threads = threads;
}

void dd_work_set_scratch(dd_work *w, int scratch)
{
	w->scratch = scratch;
}

/* ---- cluster and decide ------------------------------------------------ */
static int alloc_results(dd_work *w, cur_err *err)
{
	if (w->kind)
		return CUR_OK;
	w->kind = calloc(w->n ? w->n : 1, 1);
	w->of = cur_calloc_array(w->n ? w->n : 1, sizeof *w->of);
	if (!w->kind || !w->of)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	mem_add(w, w->n * 5);
	return CUR_OK;
}

/* Iterate every rank's meta records: fn(w, g, meta, arg). */
static int each_meta(dd_work *w, int (*fn)(dd_work *, uint32_t, const dd_meta *, void *),
		     void *arg, cur_err *err)
{
	for (int r = 0; r < w->world; r++) {
		unsigned char rec[DD_META_REC];
		char *path = dd_work_path(w->dir, "meta", r, -1);
		FILE *f = path ? open_read(path, DD_MAGIC_META, err) : NULL;
		free(path);
		if (!f)
			return CUR_EIO;
		fseek(f, DD_META_HDR, SEEK_SET);
		for (uint64_t i = 0; i < w->count[r]; i++) {
			dd_meta m;
			if (dd_fread(rec, 1, sizeof rec, f) != sizeof rec) {
				fclose(f);
				return cur_err_set(err, CUR_EDATA, "meta file of rank %d is short", r);
			}
			dd_meta_decode(rec, &m);
			int rc = fn(w, w->g_of[r][i], &m, arg);
			if (rc != CUR_OK) {
				fclose(f);
				return cur_err_set(err, rc, "out of memory");
			}
		}
		fclose(f);
	}
	return CUR_OK;
}

/* url and exact: sort (hash, preference, global) and keep each group's head. */
typedef struct hkey {
	unsigned char h[16];
	int64_t pref;   /* smaller wins: minus the date for url */
	uint32_t g;
} hkey;

typedef struct hcollect {
	hkey *v;
	size_t n;
	int url;
} hcollect;

static int collect_h(dd_work *w, uint32_t g, const dd_meta *m, void *arg)
{
	hcollect *c = arg;
	if (w->kind[g] != DD_KIND_KEEP)
		return CUR_OK;
	if (c->url && !(m->flags & DD_META_URL))
		return CUR_OK;
	hkey *k = &c->v[c->n++];
	memcpy(k->h, c->url ? m->url : m->exact, 16);
	k->pref = c->url ? (m->flags & DD_META_DATE ? -m->date : 1) : 0;
	k->g = g;
	return CUR_OK;
}

static int cmp_hkey(const void *x, const void *y)
{
	const hkey *a = x, *b = y;
	int c = memcmp(a->h, b->h, 16);
	if (c)
		return c;
	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	return (a->g > b->g) - (a->g < b->g);
}

/* exact: 20 bytes a document while sorting (hash, global number). */
typedef struct __attribute__((packed)) ekey {
	unsigned char h[16];
	uint32_t g;
} ekey;

static int cmp_ekey(const void *x, const void *y)
{
	const ekey *a = x, *b = y;
	int c = memcmp(a->h, b->h, 16);
	if (c)
		return c;
	return (a->g > b->g) - (a->g < b->g);
}

static int collect_e(dd_work *w, uint32_t g, const dd_meta *m, void *arg)
{
	hcollect *c = arg;
	ekey *e = (ekey *)(void *)c->v;
	if (w->kind[g] != DD_KIND_KEEP)
		return CUR_OK;
	memcpy(e[c->n].h, m->exact, 16);
	e[c->n].g = g;
	c->n++;
	return CUR_OK;
}

static int hash_dedup(dd_work *w, int url, cur_err *err)
{
	hcollect c = { .url = url };
	size_t size = url ? sizeof(hkey) : sizeof(ekey);
	unsigned char *v;
	int rc;
	c.v = cur_malloc_array(w->n ? w->n : 1, size);
	if (!c.v)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	mem_add(w, w->n * size);
	rc = each_meta(w, url ? collect_h : collect_e, &c, err);
	v = (unsigned char *)c.v;
	if (rc == CUR_OK) {
		/* Both records start with the 16-byte hash; g sits at the end. */
		qsort(v, c.n, size, url ? cmp_hkey : cmp_ekey);
		for (size_t i = 1; i < c.n; i++) {
			size_t head = i - 1;
			uint32_t hg, g;
			while (i < c.n && memcmp(v + i * size, v + head * size, 16) == 0) {
				memcpy(&g, v + i * size + (url ? offsetof(hkey, g) : offsetof(ekey, g)), 4);
				memcpy(&hg, v + head * size + (url ? offsetof(hkey, g) : offsetof(ekey, g)), 4);
				w->kind[g] = (unsigned char)(url ? DD_KIND_URL : DD_KIND_EXACT);
				w->of[g] = hg;
				w->counts[url ? DD_KIND_URL : DD_KIND_EXACT]++;
				i++;
			}
		}
	}
	free(c.v);
	w->mem -= w->n * size;
	return rc;
}

typedef struct keepst {
	dd_uf *uf;
	uint32_t *best;
	int64_t *val;
	int keep;
} keepst;

/* Order-independent: the best value wins, ties go to the smaller number. */
static int pick_best(dd_work *w, uint32_t g, const dd_meta *m, void *arg)
{
	keepst *k = arg;
	uint32_t root = dd_uf_find(k->uf, g);
	int64_t v = k->keep == DD_KEEP_LONGEST ? (int64_t)m->length
					       : (m->flags & DD_META_DATE ? m->date : -1);
	(void)w;
	if (k->best[root] == UINT32_MAX || v > k->val[root] ||
	    (v == k->val[root] && g < k->best[root])) {
		k->best[root] = g;
		k->val[root] = v;
	}
	return CUR_OK;
}

static int union_pairs(dd_work *w, dd_uf *uf, cur_err *err)
{
	int rc = CUR_OK;
	for (int b = 0; b < w->cfg.bands && rc == CUR_OK; b++) {
		unsigned char p[8];
		char *path = dd_work_path(w->dir, "pairs", b, -1);
		FILE *f = path ? fopen(path, "rb") : NULL;
		if (!f) {
			rc = cur_err_set(err, CUR_EIO, "cannot open '%s': %s (run minhash-bucket --band %d)",
					 path ? path : "pairs", strerror(errno), b);
			free(path);
			break;
		}
		setvbuf(f, NULL, _IOFBF, 1 << 18);
		if (dd_fread(p, 1, 8, f) != 8 || memcmp(p, DD_MAGIC_PAIRS, 8) != 0)
			rc = cur_err_set(err, CUR_EDATA, "'%s' is not a pairs file", path);
		while (rc == CUR_OK && dd_fread(p, 1, 8, f) == 8) {
			uint32_t a = dd_get32(p), c = dd_get32(p + 4);
			if (a >= w->n || c >= w->n)
				rc = cur_err_set(err, CUR_EDATA, "bad pair in '%s'", path);
			else
				dd_uf_union(uf, a, c);
		}
		fclose(f);
		free(path);
	}
	return rc;
}

/* Union-find over all pairs; one survivor per cluster. Leaves the root
 * and cluster size of every document in w->root, w->csize. */
static int cluster(dd_work *w, cur_err *err)
{
	dd_uf uf;
	keepst k = { .uf = &uf, .keep = w->cfg.keep };
	int rc;
	if (dd_uf_init(&uf, w->n) != CUR_OK)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	mem_add(w, w->n * 4);
	if ((rc = union_pairs(w, &uf, err)) != CUR_OK)
		goto out;
	w->csize = cur_calloc_array(w->n ? w->n : 1, sizeof *w->csize);
	k.best = cur_malloc_array(w->n ? w->n : 1, sizeof *k.best);
	if (!w->csize || !k.best) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	mem_add(w, w->n * 8);
	for (size_t g = 0; g < w->n; g++) {
		uint32_t r = dd_uf_find(&uf, (uint32_t)g);
		w->csize[r]++;
		k.best[g] = r; /* keep first: the root is the smallest number */
	}
	if (w->cfg.keep != DD_KEEP_FIRST) {
		k.val = cur_malloc_array(w->n ? w->n : 1, sizeof *k.val);
		if (!k.val) {
			rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
			goto out;
		}
		mem_add(w, w->n * 8);
		for (size_t g = 0; g < w->n; g++)
			k.best[g] = UINT32_MAX;
		if ((rc = each_meta(w, pick_best, &k, err)) != CUR_OK)
			goto out;
	}
	for (size_t g = 0; g < w->n; g++) {
		uint32_t r = dd_uf_find(&uf, (uint32_t)g);
		if (w->csize[r] < 2)
			continue;
		if ((uint32_t)g == r)
			w->clusters++;
		if (k.best[r] != g && w->kind[g] == DD_KIND_KEEP) {
			w->kind[g] = DD_KIND_MINHASH;
			w->of[g] = k.best[r];
			w->counts[DD_KIND_MINHASH]++;
		}
	}
	/* Sizes by member rather than by root; the roots stay in uf.parent. */
	for (size_t g = 0; g < w->n; g++)
		k.best[g] = w->csize[dd_uf_find(&uf, (uint32_t)g)];
	for (size_t g = 0; g < w->n; g++)
		w->csize[g] = k.best[g];
	w->root = uf.parent;
	uf.parent = NULL;
out:
	free(k.best);
	free(k.val);
	dd_uf_release(&uf);
	return rc;
}

/* ---- lines: count per bucket of kept documents ------------------------- */
typedef struct lcount {
	uint64_t *key;
	uint32_t *cnt;
	size_t cap, n;
} lcount;

static int lc_add(lcount *t, uint64_t h)
{
	if (h == 0)
		h = 1; /* 0 marks an empty slot */
	if (2 * (t->n + 1) > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 1 << 16;
		uint64_t *k = cur_calloc_array(cap, sizeof *k);
		uint32_t *c = cur_calloc_array(cap, sizeof *c);
		if (!k || !c) {
			free(k);
			free(c);
			return CUR_ENOMEM;
		}
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->key[i])
				continue;
			size_t j = t->key[i] & (cap - 1);
			while (k[j])
				j = (j + 1) & (cap - 1);
			k[j] = t->key[i];
			c[j] = t->cnt[i];
		}
		free(t->key);
		free(t->cnt);
		t->key = k;
		t->cnt = c;
		t->cap = cap;
	}
	size_t j = h & (t->cap - 1);
	while (t->key[j] && t->key[j] != h)
		j = (j + 1) & (t->cap - 1);
	if (!t->key[j]) {
		t->key[j] = h;
		t->n++;
	}
	if (t->cnt[j] < UINT32_MAX)
		t->cnt[j]++;
	return CUR_OK;
}

/* Emit (bucket, hash) of every line counted more than max times. */
static int lc_flush(lcount *t, uint64_t bucket, int max, FILE *out, size_t *peak)
{
	size_t bytes = t->cap * 12;
	if (bytes > *peak)
		*peak = bytes;
	for (size_t i = 0; i < t->cap; i++) {
		if (t->key[i] && t->cnt[i] > (uint32_t)max) {
			unsigned char b[16];
			dd_put64(b, bucket);
			dd_put64(b + 8, t->key[i]);
			if (dd_fwrite(b, 1, 16, out) != 16)
				return CUR_EIO;
		}
		t->key[i] = 0;
		t->cnt[i] = 0;
	}
	t->n = 0;
	return CUR_OK;
}

static int count_lines(dd_work *w, cur_err *err)
{
	lcount t = { 0 };
	char *path = NULL, *fpath = NULL;
	FILE *f = NULL, *out = NULL;
	cur_atomic outf = CUR_ATOMIC_INIT;
	uint64_t kept = 0, bucket = 0;
	size_t peak = 0;
	int rc = CUR_OK;
	if (w->world != 1)
		return cur_err_set(err, CUR_EINVAL, "--lines runs in a single process only");
	if (!(path = dd_work_path(w->dir, "lines", 0, -1)) ||
	    !(fpath = dd_work_path(w->dir, "linefreq", -1, -1))) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	if (!(f = open_read(path, DD_MAGIC_LINES, err)) ||
	    !(out = create_tmp(&outf, fpath, DD_MAGIC_FREQ, err))) {
		rc = CUR_EIO;
		goto out;
	}
	/* With one rank, local order is global order. */
	for (uint64_t i = 0; i < w->count[0] && rc == CUR_OK; i++) {
		unsigned char b[8];
		uint32_t g = w->g_of[0][i], nl;
		int live = w->kind[g] == DD_KIND_KEEP;
		if (dd_fread(b, 1, 4, f) != 4) {
			rc = cur_err_set(err, CUR_EDATA, "'%s' is short", path);
			break;
		}
		nl = dd_get32(b);
		if (live && kept > 0 && kept % w->cfg.bucket_docs == 0) {
			rc = lc_flush(&t, bucket++, w->cfg.max_line_repeats, out, &peak);
		}
		for (uint32_t j = 0; j < nl && rc == CUR_OK; j++) {
			if (dd_fread(b, 1, 8, f) != 8)
				rc = cur_err_set(err, CUR_EDATA, "'%s' is short", path);
			else if (live && lc_add(&t, dd_get64(b)) != CUR_OK)
				rc = cur_err_set(err, CUR_ENOMEM, "out of memory counting lines");
		}
		kept += live;
	}
	if (rc == CUR_OK)
		rc = lc_flush(&t, bucket, w->cfg.max_line_repeats, out, &peak);
	if (rc == CUR_EIO)
		cur_err_set(err, rc, "cannot write '%s'", fpath);
	w->line_peak = peak;
	if (rc == CUR_OK)
		rc = commit_tmp(w, &outf, err);
out:
	if (f)
		fclose(f);
	cur_atomic_rollback(&outf);
	free(t.key);
	free(t.cnt);
	free(path);
	free(fpath);
	return rc;
}

/* ---- decisions --------------------------------------------------------- */
/* The ids of every survivor some victim points at, by global number. */
typedef struct idtab {
	uint32_t *g;
	char **id;
	size_t n;
} idtab;

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
		FILE *f = path ? open_read(path, DD_MAGIC_IDS, err) : NULL;
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
			/* binary search the slot of g */
			size_t lo = 0, hi = t->n;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (t->g[mid] < g)
					lo = mid + 1;
				else
					hi = mid;
			}
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
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->g[mid] < g)
			lo = mid + 1;
		else
			hi = mid;
	}
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
	char *path = dd_work_path(w->dir, "lines", rank, -1);
	*out = path ? open_read(path, DD_MAGIC_LINES, err) : NULL;
	free(path);
	if (!*out)
		return CUR_EIO;
	if (w->freq)
		return CUR_OK;
	path = dd_work_path(w->dir, "linefreq", -1, -1);
	FILE *f = path ? open_read(path, DD_MAGIC_FREQ, err) : NULL;
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

static int doc_strips(dd_work *w, FILE *lf, uint64_t bucket, int *strip, cur_err *err)
{
	unsigned char b[8];
	uint32_t n;
	*strip = 0;
	if (dd_fread(b, 1, 4, lf) != 4)
		return cur_err_set(err, CUR_EDATA, "lines file is short");
	n = dd_get32(b);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t key[2];
		if (dd_fread(b, 1, 8, lf) != 8)
			return cur_err_set(err, CUR_EDATA, "lines file is short");
		key[0] = bucket;
		key[1] = dd_get64(b);
		if (!*strip && w->nfreq && bsearch(key, w->freq, w->nfreq, 16, dd_cmp_u64pair))
			*strip = 1;
	}
	return CUR_OK;
}

static int write_decisions(dd_work *w, int rank, const idtab *ids, const uint32_t *bucket,
			   const float *est, cur_err *err)
{
	char *path = dd_work_path(w->dir, "decide", rank, -1);
	char *mpath = dd_work_path(w->dir, "meta", rank, -1);
	cur_atomic out = CUR_ATOMIC_INIT;
	FILE *f = path ? create_tmp(&out, path, DD_MAGIC_DECIDE, err) : NULL;
	FILE *mf = mpath && f ? open_read(mpath, DD_MAGIC_META, err) : NULL;
	FILE *lf = NULL;
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
		} else if (w->kind[g] == DD_KIND_MINHASH && recorded_est(w, g, w->of[g], &v)) {
			/* bucketing computed it */
		} else if (w->kind[g] == DD_KIND_MINHASH) {
			uint32_t a[DD_MAX_PERM], b[DD_MAX_PERM];
			if (load_sig(w, NULL, g, a) != CUR_OK || load_sig(w, NULL, w->of[g], b) != CUR_OK) {
				rc = cur_err_set(err, CUR_EIO, "cannot read signatures in '%s'", w->dir);
				break;
			}
			v = (float)dd_mh_estimate(a, b, w->cfg.bands * w->cfg.rows);
		}
		memcpy(&vb, &v, 4);
		int strip = 0;
		if (lf && (rc = doc_strips(w, lf, bucket ? bucket[g] : 0, &strip, err)) != CUR_OK)
			break;
		dd_put64(rec, m.order);
		rec[8] = (unsigned char)(w->kind[g] | (strip && w->kind[g] == DD_KIND_KEEP ? DD_STRIP : 0) |
					 (m.flags & DD_META_RAW ? DD_RAW_OK : 0) |
					 (m.flags & DD_META_NO_META ? DD_NO_META : 0));
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
		rc = commit_tmp(w, &out, err);
out:
	cur_atomic_rollback(&out);
	if (mf)
		fclose(mf);
	if (lf)
		fclose(lf);
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
		    recorded_est(j->w, (uint32_t)g, j->w->of[g], &j->est[g]))
			continue;
		if (load_sig(j->w, NULL, (uint32_t)g, a) != CUR_OK ||
		    load_sig(j->w, NULL, j->w->of[g], b) != CUR_OK)
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
	mem_add(w, w->n * sizeof *est);
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

static int decide_all(dd_work *w, cur_err *err)
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

int dd_work_cluster(dd_work *w, const unsigned char *excluded, cur_err *err)
{
	(void)excluded;
	CUR_FORWARD(alloc_results(w, err));
	if (w->cfg.minhash)
		CUR_FORWARD(cluster(w, err));
	if (w->cfg.lines)
		CUR_FORWARD(count_lines(w, err));
	w->counts[DD_KIND_KEEP] = w->n - w->counts[1] - w->counts[2] - w->counts[3];
	return decide_all(w, err);
}

int dd_work_run_all(dd_work *w, cur_err *err)
{
	CUR_FORWARD(alloc_results(w, err));
	if (w->cfg.url)
		CUR_FORWARD(hash_dedup(w, 1, err));
	if (w->cfg.exact)
		CUR_FORWARD(hash_dedup(w, 0, err));
	/* kind[] doubles as the exclusion map: non-zero is removed. */
	if (w->cfg.minhash)
		CUR_FORWARD(bucket_all(w, err));
	return dd_work_cluster(w, NULL, err);
}
