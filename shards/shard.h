/* The shard writer: tokenize, mix, shuffle, pack and write Megatron-LM (or
 * llm.c) token shards with a manifest, and verify them.
 *
 * shard_sink_new builds a pipeline sink (core/sink.h): prepare() tokenizes on
 * the workers, write() spills the ids of each document to its category's
 * spill file in input order, finish() plans and writes the shards and the
 * manifest. Output is byte-identical for any -j. See docs/shards.md. */
#ifndef SHARD_SHARD_H
#define SHARD_SHARD_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "core/buf.h"
#include "core/error.h"
#include "core/options.h"
#include "core/sink.h"
#include "core/stage.h"

/* The options of `curate shard` (config keys as core/options.h says). */
extern const cur_opt_spec shard_options[];

/* shard_inputs: the files the pipeline should read: the positional inputs,
 * or the PATHs of --source CATEGORY=PATH entries in cfg. OUT: *paths (a
 * malloc'd array of pointers borrowed from cfg and pos; free the array).
 * CUR_EINVAL for a bad --source or for mixing both kinds of inputs. */
int shard_inputs(json_t *cfg, char *const *pos, size_t npos, char ***paths, size_t *n,
		 cur_err *err);

/* shard_sink_new: the shard writer, for `curate shard` and for a pipeline
 * file's `sink: {shard: {...}}` (bin/stages.c's sink table). config
 * (borrowed; the sink keeps a copy) holds the options above plus, in a
 * pipeline file, an optional "output" directory (else output is used). The
 * documents' categories: by --source (env->inputs are then its paths), by
 * --category-field, or else, in a pipeline file (env->pipeline_file),
 * metadata.category with general for documents without one, and for
 * `curate shard`, the one category general. NULL on error (CUR_EINVAL: a
 * usage error). On finish it adds {"tokens", "documents", "categories",
 * "splits", "shards", "padding_tokens", "skipped", "manifest"} to the
 * report. */
cur_sink *shard_sink_new(json_t *config, const cur_stage_env *env, const char *output,
			 cur_err *err);

/* A distributed run (docs/distributed.md) splits the shard writer in three
 * parts: each task's pass 1 over its slice, into a spill directory of its
 * own; pass 2 by shard, task rank of world writing the shards k (in plan
 * order) with k % world == rank; and the manifest. The plan reads every
 * slice's spill as one, in slice order, so the shards are those one process
 * writes. */
enum { SHARD_PART_SPILL = 1, SHARD_PART_WRITE, SHARD_PART_MANIFEST };

typedef struct shard_part {
	int what;                  /* SHARD_PART_* */
	const char *spill_dir;     /* SPILL: this slice's */
	char *const *spill_dirs;   /* WRITE, MANIFEST: every slice's, in order */
	size_t nspill;
	int rank, world;           /* WRITE: this task's shards */
	const char *entries;       /* WRITE: where its shards' manifest entries go */
	char *const *entry_files;  /* MANIFEST: every write task's */
	size_t nentries;
} shard_part;

/* shard_sink_part: the sink of a pipeline file's shard config and output
 * (as shard_sink_create) doing one part of a distributed run. SPILL is a sink
 * for the slice's documents; WRITE and MANIFEST take no documents: call
 * their finish(). WRITE adds "shards_written" to the report, MANIFEST what
 * the whole sink adds (shard_sink_new). part is borrowed until destroy. */
cur_sink *shard_sink_part(json_t *config, const cur_stage_env *env, const char *output,
			  const shard_part *part, cur_err *err);

/* shard_sink_warnings: warnings the constructor found (for example a --mix
 * that did not sum to 100), one per line, or "" (borrowed). */
const char *shard_sink_warnings(const cur_sink *sink);

/* shard_sink_summary: after a finished run, lines for the user: where the
 * shards are and the realized mix (borrowed; "" before finish). */
const char *shard_sink_summary(const cur_sink *sink);

/* shard_verify: recompute every checksum of the shards listed in
 * dir/manifest.json and check each .idx/.bin pair (header, sizes, pointers,
 * document indices, every id below the vocabulary size). Appends one line
 * per problem ("NAME: offset N: ...") and a summary with the tokens per
 * category to out. Returns CUR_OK when all is well, 1 when a check failed,
 * a negative code when the manifest cannot be read (err says why). */
int shard_verify(const char *dir, cur_buf *out, cur_err *err);

#endif
