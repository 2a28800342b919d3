/* Shared inside dedup/ only: the work directory's record layouts (sign.c
 * writes them, the resolve step's files read them) and the resolve step's
 * state, split by phase over work.c, bucket.c, cluster.c, lines.c and
 * decide.c. */
#ifndef DD_WORK_INT_H
#define DD_WORK_INT_H

#include <pthread.h>
#include <stdio.h>
#include "core/file.h"
#include <jansson.h>
#include "core/stage.h"
#include "dedup/work.h"

#define DD_VERSION 1
#define DD_MAGIC_META "CURDDMT1"
#define DD_MAGIC_SIG "CURDDSG1"
#define DD_MAGIC_IDS "CURDDID1"
#define DD_MAGIC_SH "CURDDSH1"
#define DD_MAGIC_SHX "CURDDSX1"
#define DD_MAGIC_LINES "CURDDLN1"
#define DD_MAGIC_BAND "CURDDBD1"
#define DD_MAGIC_PAIRS "CURDDPR1"
#define DD_MAGIC_DECIDE "CURDDDC1"
#define DD_MAGIC_FREQ "CURDDLF1"

#define DD_META_HDR 128  /* see dd_meta_header_encode */
#define DD_META_REC 56   /* order u64, length u32, flags u32, date i64, exact[16], url[16] */
#define DD_SIG_HDR 16    /* magic, nperm u32, zero */
#define DD_ENTRY 12       /* band entry: key u64, local number u32 */
/* decision: order u64, kind u8, value f32, cluster size u32, cluster u64,
 * bucket u64, text length u32, id length u32; then the id */
#define DD_DECIDE_REC 41
/* The work files are read and written record by record, each FILE by one
 * thread at a time (the pipeline's serial turn or one resolve thread), so
 * the lock stdio takes on every call buys nothing. */
#define dd_fread fread_unlocked
#define dd_fwrite fwrite_unlocked

#define DD_STRIP 0x80    /* in the kind byte: --lines removes a line of it */
#define DD_RAW_OK 0x40   /* in the kind byte: DD_META_RAW */
#define DD_NO_META 0x20  /* in the kind byte: DD_META_NO_META */
#define DD_SAME 0x10     /* in the kind byte: DD_META_SAME */

/* dd_work_path: "DIR/NAME-A-B.bin" (b < 0: "DIR/NAME-A.bin"; a < 0 too:
 * "DIR/NAME.bin"); malloc'd, NULL when out of memory. */
char *dd_work_path(const char *dir, const char *name, int a, int b);

void dd_meta_encode(const dd_meta *m, unsigned char *rec);
void dd_meta_decode(const unsigned char *rec, dd_meta *m);
void dd_meta_header_encode(const dd_config *c, int rank, int world, uint64_t ndocs,
			   unsigned char *h);
int dd_meta_header_decode(const unsigned char *h, dd_config *c, int *rank, int *world,
			  uint64_t *ndocs);

/* qsort comparator for (u64, u64) pairs. */
int dd_cmp_u64pair(const void *x, const void *y);
/* dd_run_jobs: fn on each of the n (at most 8) jobs of size bytes at jobs:
 * job 0 on the calling thread, the others on threads of their own (or here,
 * when a thread cannot start); returns when all are done. */
void dd_run_jobs(void *(*fn)(void *), void *jobs, size_t size, int n);


/* ---- the resolve step (work.c and the phase files) --------------------- */
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
	unsigned char *kind; /* per global: enum dd_kind; non-zero also means
			      * excluded from bucketing */
	int excluded;        /* dd_work_exclude has run */
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

/* Bytes held now and at most (the report's resolve figures). */
void dd_work_mem_add(dd_work *w, size_t n);
/* dd_read_at: n bytes at off (pread until done); CUR_EIO when short. */
int dd_read_at(int fd, void *p, size_t n, uint64_t off);
/* dd_open_read: path for reading, checked to start with magic; NULL after
 * setting err. */
FILE *dd_open_read(const char *path, const char *magic, cur_err *err);
/* dd_open_fds: every rank's NAME-R.bin, opened read-only, into *fds
 * (dd_close_fds frees them). */
int dd_open_fds(dd_work *w, int **fds, const char *name, cur_err *err);
void dd_close_fds(int *fds, int world);
/* dd_load_sig: the signature of document g (fds: the files to read, NULL
 * for w's: a thread that reads many signatures opens files of its own). */
int dd_load_sig(const dd_work *w, const int *fds, uint32_t g, uint32_t *sig);
/* dd_load_shingles: the sorted shingle set of g (--verify exact). */
int dd_load_shingles(const dd_work *w, uint32_t g, dd_u64vec *v);
/* dd_create_tmp: a file of this step, as an atomic output starting with
 * magic (the stream belongs to a); dd_commit_tmp puts it in place. */
FILE *dd_create_tmp(cur_atomic *a, const char *path, const char *magic, cur_err *err);
int dd_commit_tmp(const dd_work *w, cur_atomic *a, cur_err *err);
/* dd_alloc_results: kind[] and of[], once. */
int dd_alloc_results(dd_work *w, cur_err *err);
/* dd_recorded_est: the estimate of g against partner when bucketing
 * recorded it (bucket.c); 0 when it did not. */
int dd_recorded_est(const dd_work *w, uint32_t g, uint32_t partner, float *est);
/* The steps: bucket every band on w->threads threads (bucket.c); group by
 * URL (url) or exact hash (cluster.c); cluster the pairs (cluster.c);
 * count lines (lines.c); write every rank's decisions (decide.c). */
int dd_bucket_all(dd_work *w, cur_err *err);
int dd_hash_dedup(dd_work *w, int url, cur_err *err);
int dd_cluster(dd_work *w, cur_err *err);
int dd_count_lines(dd_work *w, cur_err *err);
int dd_decide_all(dd_work *w, cur_err *err);

/* The lines files (lines.c; sign.c writes them): a document's line hashes
 * as a count and that many hashes, in the rank's local order.
 * dd_lines_open: rank's file, open for reading (NULL and err on failure);
 * dd_lines_next: the next document's hashes into *hashes (emptied first). */
FILE *dd_lines_open(const dd_work *w, int rank, cur_err *err);
int dd_lines_next(FILE *f, dd_u64vec *hashes, cur_err *err);

/* ---- the dedup stage's apply side (stage.c), for fastapply.c ----------- */
/* Per-thread scratch of the stage (its thread_new and thread_free). */
void *dd_scratch_new(cur_stage *self);
void dd_scratch_free(cur_stage *self, void *p);
/* The decisions, one per signed document in order: dd_apply_peek reads the
 * next one ahead (CUR_EOF past the last); dd_apply_pass consumes it for a
 * document written unchanged, which is allowed when dd_apply_trivial says
 * there is nothing to do; process() consumes it otherwise. */
int dd_apply_peek(cur_stage *st, const dd_decision **out, cur_err *err);
void dd_apply_pass(cur_stage *st);
int dd_apply_trivial(const cur_stage *st, const dd_decision *d);
/* dd_apply_consume: take the pending decision for a document the caller
 * writes itself; counts it as process() would. Returns the drop reason or
 * NULL to keep. */
const char *dd_apply_consume(cur_stage *st);
/* dd_decision_json: what the decision adds under metadata.dedup (cluster,
 * cluster_size, duplicate_of); a new reference. dd_drop_reason: "dedup:..."
 * or NULL to keep. */
json_t *dd_decision_json(const dd_decision *d);
const char *dd_drop_reason(const dd_decision *d);
int dd_apply_lines(const cur_stage *st);

#endif
