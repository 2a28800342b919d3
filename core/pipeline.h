/* The pipeline: readers -> stage chain on a pool of workers -> ordered sink.
 *
 * Workers take batches of records in turn, parse them, run the parallel
 * stages, wait for their batch's turn at each serial stage, and queue it for
 * the ordered writer, so output is byte-identical for any number of jobs.
 *
 * A run with a global stage (core/stage.h: dedup) runs in passes: the first
 * runs the stages up to it, which observes every document; the stage then
 * resolves; the next pass starts with it applying its decisions and runs on
 * to the next global stage or the sink. A pass reads what the one before
 * left in the work directory, or the inputs again when no stage ran before
 * the global one (docs/architecture.md). */
#ifndef CUR_PIPELINE_H
#define CUR_PIPELINE_H

#include <jansson.h>
#include "core/reader.h"
#include "core/sink.h"
#include "core/stage.h"

/* Counts a text's tokens for the report's length histograms: count() runs
 * on the workers, each with its own state from thread_new(ctx). */
typedef struct cur_token_counter {
	void *ctx;
	void *(*thread_new)(void *ctx);
	void (*thread_free)(void *ctx, void *tls);
	int (*count)(void *ctx, void *tls, const char *text, size_t len, uint64_t *out);
} cur_token_counter;

typedef struct cur_pipeline_opts {
	const char *cmd;          /* command name for messages: "ingest" */
	int jobs;                 /* worker threads (>= 1) */
	int strict;               /* stop at the first bad record, status 1 */
	int quiet;                /* no per-record messages */
	int progress;             /* progress line on stderr (when a TTY) */
	const char *rejects_path; /* dropped documents as JSONL, or NULL */
	int rank, world;          /* this process's slice of the inputs */
	cur_reader_opts reader;
	size_t batch_docs;        /* documents per batch (256; also cut at 1 MiB) */
	/* Optional, parallel to inputs: each document read from inputs[i] gets
	 * metadata.category = input_category[i] (a pipeline file's
	 * `inputs: {math: [...], code: [...]}`); NULL entries leave it alone. */
	const char *const *input_category;
	int passthrough;          /* no stages, JSONL out: valid JSONL records
				   * are checked and minified, not decoded */
	/* Optional: token lengths besides character lengths in the report's
	 * "lengths" (borrowed; NULL: characters only). */
	const cur_token_counter *tokens;
	/* With global stages: 0 runs every pass; N runs pass N alone, as one
	 * task of a batch scheduler: the pass before it and the global stage's
	 * resolve ran elsewhere, on the same work directory (docs/dedup.md). */
	int pass;
	/* Where a pass leaves the documents for the next (spill-PASS-RANK.jsonl
	 * and .pos): needed when a stage runs before a global one. work_scratch:
	 * the directory dies with this process (no fsync). */
	const char *work_dir;
	int work_scratch;
} cur_pipeline_opts;

void cur_pipeline_opts_init(cur_pipeline_opts *o);

/* cur_pipeline_run: run stages over inputs into sink (which may be NULL
 * when o->pass stops before the last pass). report receives
 * {"inputs": [{path, bytes, category}], "documents_in", "documents_out",
 *  "bytes_in", "bytes_out", "errors": {reason: n}, "stages": [{name, docs_in,
 *  docs_out, dropped: {reason: n}, ...stage figures}], "sink": {...},
 *  "lengths" (unless passthrough), "seconds", "thread_seconds", "jobs",
 *  "thread_utilisation", "documents_per_second", "bytes_per_second",
 *  "peak_rss_bytes", and "passes" when there is more than one}: docs/report.md
 *  says what each holds.
 * Returns CUR_OK, 1 when data errors stopped a --strict run, or a negative
 * code for a fatal error (err says why). The sink is finished only on
 * success, so a failed run leaves no output under its final name. */
int cur_pipeline_run(const cur_pipeline_opts *o, char *const *inputs, size_t ninputs,
		     cur_stage *const *stages, size_t nstages, cur_sink *sink,
		     json_t *report, cur_err *err);

#endif
