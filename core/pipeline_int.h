/* Inside core/ only: one pass of the pipeline (pipeline.c), which
 * cur_pipeline_run (passes.c) calls once per pass. */
#ifndef CUR_PIPELINE_INT_H
#define CUR_PIPELINE_INT_H

#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <jansson.h>
#include "core/lengths.h"
#include "core/pipeline.h"
#include "core/report.h"

/* A spilled document's place in the run's inputs, one record per line of
 * the spill: input index u32, record u64, little-endian. */
#define CUR_SPILL_POS 12

typedef struct cur_pass {
	const cur_pipeline_opts *o;
	char *const *inputs;     /* what this pass reads: the run's inputs or a spill */
	size_t ninputs;
	int rank, world;         /* the slice of them to read */
	const char *const *input_category; /* parallel to inputs, or NULL */
	FILE *positions;         /* a spill's positions (NULL: the inputs are the run's) */
	char *const *origins;    /* the run's inputs, which positions index */
	size_t norigins;
	cur_stage *const *stages;
	size_t nstages;
	int observe_last;        /* stages[nstages - 1] is global and observes:
				  * end_observe() in place of finish() */
	cur_sink *sink;
	cur_sink *rejects;       /* shared by the passes; NULL: none */
	cur_lengths *lengths;    /* shared by the passes; NULL: none */
	int lengths_before;      /* this pass adds documents as read */
	int lengths_after;       /* this pass adds them as they leave the last stage */
	int quiet;               /* an earlier pass reported the bad records */
} cur_pass;

/* ---- inside a pass: pipeline.c and workers.c ---- */

enum slot_state { SLOT_OK, SLOT_BAD, SLOT_DROPPED };

#define BATCH_BYTES ((size_t)1 << 20)

typedef struct slot {
	cur_doc doc;
	const char *category;  /* from the input it was read from, or NULL */
	enum slot_state state;
	int dropped_at;       /* stage index when DROPPED */
	const char *reason;   /* report key when BAD */
	char *msg;            /* message when BAD */
	/* Lengths as read and as the last stage left the text (kept
	 * documents), for the report's "lengths". */
	uint64_t chars_in, tokens_in, chars_out, tokens_out;
	unsigned edits_in;    /* doc.text_edits as read */
} slot;

typedef struct batch {
	uint64_t seq;
	slot *slots;
	size_t n;
	size_t *len_at;       /* n * (nstages + 1): text length entering each stage */
	uint64_t bytes_read;  /* input bytes consumed when the batch was read */
} batch;

typedef struct stage_count {
	cur_counts c;
	json_t *dropped;
	double seconds;       /* thread-seconds in the stage, all workers */
} stage_count;

/* Where the threads' time went, in thread-seconds summed over the workers
 * (the report's "thread_seconds"): timed per batch, so the clock costs
 * nothing next to the work. */
typedef struct phase_times {
	double read;          /* records read and split, under the read lock */
	double parse;         /* records parsed */
	double lengths;       /* the report's document lengths measured */
	double sink_prepare;  /* the sink's per-document work on the workers */
	double sink_write;    /* the ordered writes */
	double waiting;       /* idle: for a free batch (the order held up behind a
			       * slow one) or for the read lock */
} phase_times;

typedef struct pipe {
	const cur_pipeline_opts *o;
	const cur_pass *ps;
	char *const *inputs;
	size_t ninputs;
	cur_stage *const *stages;
	size_t nstages;
	cur_sink *sink;
	cur_sink *rejects;

	pthread_mutex_t read_mx;
	size_t input_idx;
	cur_reader *reader;
	uint64_t next_seq;
	uint64_t bytes_done;  /* input bytes of finished files */
	uint64_t bytes_total;

	pthread_mutex_t turn_mx;
	pthread_cond_t turn_cv;
	uint64_t *turn;       /* per stage: the next batch a serial stage takes */
	int stop;
	int fatal;
	cur_err fatal_err;
	int strict_hit;

	/* Batches: a fixed pool. A processed batch waits in done[] (by seq) for
	 * the ordered writer; whichever worker delivers the next one in order
	 * writes it and any that follow, so no worker idles at the sink. */
	batch *pool;
	size_t npool;
	batch **free_batches;
	size_t nfree;
	batch **done;          /* npool entries, indexed by seq % npool */
	uint64_t next_write;
	int draining;

	/* Touched only inside the sink's turn. */
	stage_count *counts;
	phase_times times;    /* .sink_write in the sink's turn; the rest summed at the end */
	cur_counts run;
	uint64_t bad, repairs;
	json_t *errors;
	cur_lengths *lengths; /* NULL for a passthrough run: texts stay encoded */
	struct timespec t0, last_progress;
} pipe_t;

typedef struct worker {
	pipe_t *p;
	void **tls;   /* per stage, then the sink's */
	void *count_tls;  /* the token counter's */
	phase_times times;
	double *stage_seconds;  /* per stage */
} worker;

static inline double cur_elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Seconds from *t to now; *t becomes now, ready for the next phase. */
static inline double cur_seconds_since(struct timespec *t)
{
	struct timespec now;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &now);
	s = cur_elapsed(t, &now);
	*t = now;
	return s;
}

/* pipeline.c: read the next batch under the read lock; parse it and run
 * the stages (waiting for serial turns); write a batch in its turn; free a
 * batch's documents; stop the pass with a fatal error. */
int cur_pass_read_batch(pipe_t *p, batch *b, cur_err *err);
int cur_pass_process_batch(worker *w, batch *b);
int cur_pass_sink_turn(pipe_t *p, batch *b);
void cur_pass_free_batch(batch *b);
void cur_pass_fatal(pipe_t *p, const cur_err *err, int code);

/* workers.c: run the pass on p->o->jobs workers, the batch pool between
 * them and the ordered writer. */
int cur_pass_workers(pipe_t *p);

/* cur_pass_run: one pass; report receives documents_in/out, bytes_in/out,
 * bad_records, utf8_repairs, errors, stages (each finished, or observed),
 * thread_seconds and sink (finished). Returns as cur_pipeline_run. */
int cur_pass_run(const cur_pass *ps, json_t *report, cur_err *err);

#endif
