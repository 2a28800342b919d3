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
