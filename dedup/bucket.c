/* Bucket: each band's sorted runs of keys, merged over every rank; the
 * documents that share a key are candidate pairs, verified against the
 * threshold and written to pairs-BAND.bin. With -j the bands are split
 * into key ranges bucketed on threads (bucket_all). */
#include "config.h"

#include <errno.h>
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
		CUR_FORWARD(dd_read_at(fd, b, 8, base + mid * DD_ENTRY));
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
		FILE *f = path ? dd_open_read(path, DD_MAGIC_BAND, err) : NULL;
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
int dd_recorded_est(const dd_work *w, uint32_t g, uint32_t partner, float *est)
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
		CUR_FORWARD(dd_load_shingles(w, b, shb));
		*ok = dd_jaccard_sorted(sha->v, sha->n, shb->v, shb->n) >= w->cfg.threshold;
	} else {
		CUR_FORWARD(dd_load_sig(w, fds, b, sigb));
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
					rc = w->cfg.verify_exact ? dd_load_shingles(w, first, &sha)
								 : dd_load_sig(w, pw->sigfd, first, siga);
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
	pw.f = dd_create_tmp(&pw.file, path, DD_MAGIC_PAIRS, err);
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
		rc = dd_commit_tmp(w, &pw.file, err);
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

int dd_work_bucket(dd_work *w, int band, cur_err *err)
{
	return bucket_band(w, band, w->kind, w->live.parent ? &w->live : NULL, &w->skipped,
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

int dd_bucket_all(dd_work *w, cur_err *err)
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
	dd_work_mem_add(w, w->n * (4 + (w->pair_est ? sizeof *w->pair_est : 0)));
	/* Start the threads, then tell them how many started (the barrier
	 * must count exactly those). */
	start_gate gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	for (int i = 0; i < t; i++)
		jobs[i].gate = &gate;
	for (int i = 1; i < t; i++, started++)
		if ((w->cfg.minhash && !w->cfg.verify_exact &&
		     dd_open_fds(w, &jobs[i].sigfd, "sig", err) != CUR_OK) ||
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
			dd_close_fds(jobs[i].sigfd, w->world);
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

