/* Deduplication: exact, URL, line-level and MinHash-LSH near duplicates.
 *
 * A run has two passes over the inputs. Pass 1 runs the sign stage, which
 * writes per-document facts (hashes, MinHash signatures, LSH band keys, line
 * hashes) to a work directory; between the passes the resolve step decides
 * each document's fate from those files alone; pass 2 runs the apply stage,
 * which drops or rewrites documents as decided. The phased commands
 * (minhash-sign/-bucket/-cluster/-apply) are the same steps run as separate
 * processes, so their result equals a single-process run.
 *
 * The stage `dedup` for pipeline files (dd_stage_new) is a one-pass,
 * streaming variant: see docs/dedup.md for how it differs. */
#ifndef DD_DEDUP_H
#define DD_DEDUP_H

#include <jansson.h>
#include "core/doc.h"
#include "core/options.h"
#include "core/reader.h"
#include "core/stage.h"
#include "dedup/work.h"

/* Options of `curate dedup` (all modes and the phased subcommands). */
extern const cur_opt_spec dd_cmd_options[];

/* dd_config_from_json: fill c from a config object of dd_cmd_options keys
 * (unknown keys are ignored here: the caller checks them). CUR_EINVAL with
 * a message for a bad value. */
int dd_config_from_json(json_t *cfg, uint64_t seed, dd_config *c, cur_err *err);

/* Pass 1: the sign stage writes rank's files into dir (must exist).
 * inputs are the command's input names, in order: a document's position is
 * (index of its input, record number), the same for any --world. */
cur_stage *dd_sign_stage_new(const dd_config *cfg, const char *dir, int rank, int world,
			     char *const *inputs, size_t ninputs, cur_err *err);
/* Pass 2: the apply stage reads dir's decisions for rank; extra (may be
 * NULL; a reference is taken) is merged into the stage's report. */
cur_stage *dd_apply_stage_new(const char *dir, int rank, json_t *extra, cur_err *err);

/* The apply stage's decisions, one per signed document in order:
 * dd_apply_peek reads the next one ahead (CUR_EOF past the last);
 * dd_apply_pass consumes it for a document written unchanged, which is
 * allowed when dd_apply_trivial says there is nothing to do. process()
 * consumes it otherwise. */
int dd_apply_peek(cur_stage *st, const dd_decision **out, cur_err *err);
void dd_apply_pass(cur_stage *st);
int dd_apply_trivial(const cur_stage *st, const dd_decision *d);
/* dd_apply_consume: take the pending decision for a document the caller
 * writes itself; counts it as process() would. Returns the drop reason or
 * NULL to keep; OUT: *meta (unless meta is NULL) is the metadata to merge
 * ({"dedup": {...}}, a new reference) or NULL when there is none. Not for
 * --lines runs. */
const char *dd_apply_consume(cur_stage *st, json_t **meta);
int dd_apply_lines(const cur_stage *st);

/* Pass 2 without the pipeline: records that stay unchanged are copied byte
 * for byte (no JSON parse), the others are parsed and go through the apply
 * stage. Slices the inputs as the pipeline does (by file, or by record for
 * one input), so it sees what the sign pass saw; a record the sign pass
 * could not parse is skipped here too. */
typedef struct dd_fast_opts {
	const char *dir;
	int rank, world;
	char *const *inputs;
	size_t ninputs;
	cur_reader_opts reader;
	const char *output;   /* "-" or NULL: stdout */
	const char *rejects;  /* or NULL */
	int threads;          /* -j: zstd workers for a .zst output; above 1 the
			       * input is also read on a thread of its own */
} dd_fast_opts;

/* dd_fast_apply: report receives the pipeline's report shape (documents_in,
 * documents_out, bytes_in, bytes_out, bad_records, stages[0] with the
 * dedup figures; extra merged into it). */
int dd_fast_apply(const dd_fast_opts *o, json_t *extra, json_t *report, cur_err *err);

/* Between the passes. Each adds its figures to report (an object). */
int dd_resolve_all(const char *dir, json_t *report, cur_err *err);
/* The same on threads (-j): bands are bucketed in parallel; same result.
 * scratch: the directory dies with this process (no fsync). */
int dd_resolve_all_threads(const char *dir, int threads, int scratch, json_t *report,
			   cur_err *err);
int dd_phase_bucket(const char *dir, int band, json_t *report, cur_err *err);
int dd_phase_cluster(const char *dir, json_t *report, cur_err *err);

/* The one-pass streaming stage for pipeline files. */
cur_stage *dd_stage_new(json_t *config, const cur_stage_env *env, cur_err *err);
extern const cur_opt_spec dd_stage_options[];

/* Helpers shared by the stages: what prepare() computes per document. */
typedef struct dd_facts {
	dd_meta meta;
	/* minhash: band keys and nperm minimum hashes, in the same block as
	 * the struct (one allocation a document, not a zeroed 8 KB array) */
	uint64_t *keys;
	uint32_t *sig;
	uint64_t *sh;                   /* sorted unique shingles (verify exact) */
	size_t nsh;
	uint64_t *lines;                /* hashes of non-empty lines (lines) */
	size_t nlines;
} dd_facts;
void dd_facts_free(void *p);
/* Per-thread scratch for dd_facts_compute (a stage's thread_new/free). */
void *dd_scratch_new(cur_stage *self);
void dd_scratch_free(cur_stage *self, void *p);
int dd_facts_compute(const dd_config *c, const dd_mh *mh, void *scratch, cur_doc *doc,
		     void **out);
int dd_doc_lines(const char *s, size_t n, int lowercase, uint64_t seed, dd_u64vec *out);
void dd_u64vec_free(void *p);

#endif
