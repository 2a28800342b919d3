/* Deduplication: URL, exact, line-level and MinHash-LSH near duplicates,
 * with one meaning in `curate dedup`, in pipeline files and in the phased
 * commands (docs/dedup.md).
 *
 * The dedup stage is global (core/stage.h): in a first pass it signs every
 * document (hashes, MinHash signatures, LSH band keys, line hashes) into a
 * work directory; it then resolves (URL and exact groups, band buckets,
 * clusters, line counts, one decision per document); in the next pass it
 * drops or rewrites each document as decided. The phased commands run the
 * same steps as separate processes on one work directory. */
#ifndef DD_DEDUP_H
#define DD_DEDUP_H

#include <stdint.h>
#include <jansson.h>
#include "core/error.h"
#include "core/options.h"
#include "core/reader.h"
#include "core/stage.h"

enum dd_keep { DD_KEEP_FIRST = 0, DD_KEEP_LONGEST, DD_KEEP_NEWEST };

/* What a run does: filled from options by dd_config_from_json. */
typedef struct dd_config {
	int url, exact, minhash, lines;  /* modes, applied in that order */
	int lowercase;                   /* exact and lines: fold case */
	int bands, rows, ngram;
	double threshold;
	int verify_exact;                /* exact shingle Jaccard, not the estimate */
	int keep;                        /* enum dd_keep */
	uint64_t bucket_docs;            /* --lines bucket size */
	int max_line_repeats;
	int64_t min_chars;
	uint64_t mem_limit;              /* bytes of band keys held before a spill */
	uint64_t seed;
	int threads;                     /* -j: sorts and resolve on this many
					  * threads (not stored: no effect on files) */
	int scratch;                     /* the work directory dies with this process:
					  * no fsync of its files, which only a
					  * later process would need */
} dd_config;

void dd_config_init(dd_config *c);

/* The options of the dedup stage in a pipeline file, which `curate dedup`
 * takes too (with its own --work and --band). */
extern const cur_opt_spec dd_stage_options[];

/* dd_config_from_json: fill c from a config object of dd_stage_options keys
 * (unknown keys are ignored here: the caller checks them). CUR_EINVAL with
 * a message for a bad value. */
int dd_config_from_json(json_t *cfg, uint64_t seed, dd_config *c, cur_err *err);

/* dd_stage_new: the stage of a pipeline file (bin/stages.c); its files go
 * to env->work_dir/dedup-N (N: env->stage_index). */
cur_stage *dd_stage_new(json_t *config, const cur_stage_env *env, cur_err *err);

/* dd_stage_open: the same stage over the work directory dir (created when
 * the stage first writes to it), for `curate dedup`: env gives the inputs, the slice (rank,
 * world) and -j. cfg NULL: the stage only applies decisions that another
 * process resolved, and reads its options from dir (begin_apply). */
cur_stage *dd_stage_open(const dd_config *cfg, const char *dir, const cur_stage_env *env,
			 cur_err *err);

/* dd_stage_figures: the object whose figures the stage's report entry
 * takes (a borrowed reference): sign and resolve figures, and whatever the
 * caller adds. */
json_t *dd_stage_figures(cur_stage *st);

/* Applying the decisions without the pipeline, for `curate dedup`: records
 * that stay unchanged are copied byte for byte (no JSON parse), the others
 * are parsed and written as the pipeline writes them, so the output is the
 * same as a pipeline's. Slices the inputs as the pipeline does; a record
 * the sign pass could not parse is skipped here too. */
typedef struct dd_fast_opts {
	cur_stage *stage;     /* a dedup stage after begin_apply */
	int rank, world;
	char *const *inputs;
	size_t ninputs;
	cur_reader_opts reader;
	const char *output;   /* "-" or NULL: stdout */
	const char *rejects;  /* or NULL */
	int threads;          /* -j: zstd workers for a .zst output; above 1 the
			       * input is also read on a thread of its own */
} dd_fast_opts;

/* dd_fast_apply: report receives the pipeline's report shape (core/report.h:
 * documents and bytes in and out, bad_records, utf8_repairs, errors, and
 * stages[0] with the dedup figures). */
int dd_fast_apply(const dd_fast_opts *o, json_t *report, cur_err *err);

/* The phases between sign and apply, for a batch scheduler: bucket one
 * band (band < 0: all), or cluster and decide; each adds its figures to
 * report. With --url or --exact each phase repeats their grouping, which
 * bucketing needs and which costs a read of the meta files. */
int dd_phase_bucket(const char *dir, int band, json_t *report, cur_err *err);
int dd_phase_cluster(const char *dir, json_t *report, cur_err *err);

#endif
