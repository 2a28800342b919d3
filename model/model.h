/* The reference transformer: a Llama-architecture model (Hugging Face
 * LlamaForCausalLM conventions) that trains on curate's token shards and
 * scores documents by perplexity. See docs/model.md.
 *
 * A model is read-only once loaded: any number of threads may score with it
 * at once, each with its own model_scorer. */
#ifndef MODEL_MODEL_H
#define MODEL_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "core/error.h"

/* The hyperparameters of config.json (HF Llama keys in the comments). */
typedef struct model_config {
	int vocab_size;     /* vocab_size */
	int dim;            /* hidden_size */
	int hidden_dim;     /* intermediate_size */
	int n_layers;       /* num_hidden_layers */
	int n_heads;        /* num_attention_heads */
	int n_kv_heads;     /* num_key_value_heads (divides n_heads) */
	int head_dim;       /* head_dim, default hidden_size / num_attention_heads */
	int max_seq;        /* max_position_embeddings */
	double norm_eps;    /* rms_norm_eps (applied in float32) */
	double rope_theta;  /* rope_theta */
	int tied;           /* tie_word_embeddings */
	/* rope_scaling {"rope_type": "llama3", ...} (Llama 3.1 and later) */
	int rope_llama3;
	double rope_factor, rope_low_freq, rope_high_freq;
	int rope_original_max;
} model_config;

/* model_config_preset: "tiny" or "small" (docs/model.md lists them). */
int model_config_preset(const char *name, model_config *c, cur_err *err);
/* model_config_from_json: a config.json object. Unsupported architectures
 * (another hidden_act, attention or MLP biases, other RoPE scalings) are
 * CUR_EINVAL with the key named. */
int model_config_from_json(json_t *j, model_config *c, cur_err *err);
/* model_config_load: read a config.json file (or a preset name). */
int model_config_load(const char *path_or_preset, model_config *c, cur_err *err);
/* model_config_to_json: the HF config.json object (caller decrefs);
 * torch_dtype names the weights' storage type. */
json_t *model_config_to_json(const model_config *c, int dtype);

typedef struct model model;

/* model_load: read CKPT_DIR/config.json and CKPT_DIR/model.safetensors (F32,
 * F16 or BF16; HF tensor names). Every tensor's presence, shape and dtype is
 * checked. OUT: *out, freed with model_free. */
int model_load(const char *dir, model **out, cur_err *err);
void model_free(model *m);
const model_config *model_get_config(const model *m);
size_t model_param_count(const model *m);

/* A scorer: one thread's buffers for windows of window tokens (0: the
 * model's max_position_embeddings, at most MODEL_WINDOW_DEFAULT_MAX).
 * Scoring allocates nothing. */
typedef struct model_scorer model_scorer;
enum { MODEL_WINDOW_DEFAULT_MAX = 2048 };
int model_scorer_new(const model *m, int window, model_scorer **out, cur_err *err);
void model_scorer_free(model_scorer *s);

/* model_score: the summed negative log-likelihood (nats) of ids[1..n), each
 * predicted from the ids before it, in windows of the scorer's length
 * without overlap (the first id of a window after the first is predicted
 * from nothing before it). OUT: *nll, *predicted (n - 1). Ids must be below
 * the vocabulary size (CUR_EINVAL otherwise). */
int model_score(model_scorer *s, const uint32_t *ids, size_t n, double *nll, size_t *predicted,
		cur_err *err);

#endif
