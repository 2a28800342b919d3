/* Shared inside shards/ only: the state of the shard sink, which sink.c
 * (the sink: pass 1 and pass 2), setup.c (options, categories and mix) and
 * workdir.c (directories and resume) share. */
#ifndef SHARD_SINK_INT_H
#define SHARD_SINK_INT_H

#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "core/buf.h"
#include "core/error.h"
#include "mix/mix.h"
#include "shards/shard_int.h"
#include "tokenizer/tokenizer.h"

/* How a document's category is found. PLAIN: one category. SOURCE: by
 * input file. FIELD: by a metadata field. AUTO (a pipeline file's sink):
 * metadata.category when set, else general. */
enum { MODE_PLAIN, MODE_SOURCE, MODE_FIELD, MODE_AUTO };

typedef struct source_map {
	const char *path;
	int cat;
	dev_t dev;
	ino_t ino;
	int have_stat;
} source_map;

typedef struct shard_job {
	json_t *cfg;      /* the sink's own copy of its options */
	int auto_mode;    /* built for a pipeline file (cur_stage_env) */
	int mix_given;
	const char *outdir;
	char *workdir;
	char *const *inputs;
	size_t ninputs;
	int format, mode, resume, force;
	int dry_run;      /* lengths only; no shards, no manifest */
	uint64_t planned_shards[SHARD_NSPLITS];
	int pass1_done, finished;
	int resumable;      /* every input has a print (shard_make_fingerprint) */
	int dry_temp;       /* a dry run's work directory in the registry of temporaries */
	uint64_t seed;
	int jobs;                 /* -j: pass 2 writes on a second thread when > 1 */
	const char *tok_path;
	shard_plan_cfg plan;
	mix_target mix;
	int live[MIX_MAX_CATEGORIES];
	const char *field;
	source_map *src;
	size_t nsrc;
	const char *last_origin;
	int last_cat;
	tok_tokenizer *tok;
	shard_spill spills[MIX_MAX_CATEGORIES];
	uint64_t skipped_category;
	const shard_part *part;  /* one part of a distributed run, or NULL */
	char *fingerprint;
	cur_buf warnings;
	cur_buf summary;
} shard_job;

/* setup.c: the options into j (setup_options), the categories and the mix
 * target (setup_mix), the separator and padding ids (setup_specials); a
 * warning line for the report (shard_warn). */
int shard_setup_options(shard_job *j, cur_err *err);
int shard_setup_mix(shard_job *j, cur_err *err);
int shard_setup_specials(shard_job *j, cur_err *err);
void shard_warn(shard_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* workdir.c: the run's fingerprint (its options, inputs, seed, tokenizer
 * and curate version: what --resume must find unchanged); the output and
 * work directories made ready (cleaned, or resumed; for one part of a
 * distributed run, the slice's spill or every slice's); pass 1's state
 * saved once its spill is complete; the work directory removed; shard
 * files a distributed run's manifest does not list removed. */
int shard_make_fingerprint(shard_job *j, cur_err *err);
int shard_setup_dirs(shard_job *j, cur_err *err);
int shard_save_state(shard_job *j, cur_err *err);
void shard_clean_workdir(shard_job *j);
void shard_remove_unlisted(shard_job *j, json_t *m);

#endif
