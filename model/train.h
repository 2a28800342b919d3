/* Training and evaluating the reference model on token shards:
 * `curate model train` and `curate model eval` (docs/model.md). */
#ifndef MODEL_TRAIN_H
#define MODEL_TRAIN_H

#include <stdint.h>
#include <jansson.h>
#include "core/error.h"
#include "core/options.h"

/* The options of `curate model train` and `curate model eval` (config keys
 * as core/options.h says). */
extern const cur_opt_spec model_train_options[];
extern const cur_opt_spec model_eval_options[];

/* model_train_run: train a model as cfg says (shards, config, steps, ...)
 * into the checkpoint directory out: config.json and model.safetensors (HF
 * Llama, float32), training_state.safetensors (weights, AdamW moments and
 * the step, for --resume), train_log.csv and loss_curve.svg. Progress on
 * stderr unless quiet. CUR_EINVAL for bad options (a usage error). */
int model_train_run(json_t *cfg, const char *out, int threads, uint64_t seed, int quiet,
		    cur_err *err);

/* model_eval_run: the mean loss and perplexity of the checkpoint at ckpt
 * over a split of the shards in cfg. OUT: *result, a new object {"split",
 * "tokens", "windows", "loss", "perplexity"}. */
int model_eval_run(const char *ckpt, json_t *cfg, int threads, json_t **result, cur_err *err);

/* model_export_run: rewrite the checkpoint at ckpt into out with its
 * weights stored as dtype ("f32", "f16" or "bf16"). */
int model_export_run(const char *ckpt, const char *out, const char *dtype, cur_err *err);

#endif
