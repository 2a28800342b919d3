#include "config.h"

#include <string.h>
#include <unistd.h>
#include "model/model.h"
#include "model/safetensors.h"

/* Llama 3's vocabulary and special tokens (DESIGN.md). */
enum { LLAMA3_VOCAB = 128256, BOS_ID = 128000, EOS_ID = 128001 };

/* Both presets tie the output head to the embedding: with a 128,256-token
 * vocabulary the embedding is most of the parameters (8.2M of tiny's 8.3M),
 * and an untied head would double it. */
static const struct preset {
	const char *name;
	model_config c;
} presets[] = {
	{ "tiny", { .vocab_size = LLAMA3_VOCAB, .dim = 64, .hidden_dim = 192, .n_layers = 2,
		    .n_heads = 4, .n_kv_heads = 2, .head_dim = 16, .max_seq = 256,
		    .norm_eps = 1e-5, .rope_theta = 500000.0, .tied = 1 } },
	{ "small", { .vocab_size = LLAMA3_VOCAB, .dim = 256, .hidden_dim = 768, .n_layers = 4,
		     .n_heads = 8, .n_kv_heads = 4, .head_dim = 32, .max_seq = 512,
		     .norm_eps = 1e-5, .rope_theta = 500000.0, .tied = 1 } },
};

static int check(const model_config *c, cur_err *err)
{
	if (c->vocab_size < 2 || c->dim < 1 || c->hidden_dim < 1 || c->n_layers < 1 ||
	    c->n_heads < 1 || c->n_kv_heads < 1 || c->head_dim < 2 || c->max_seq < 2)
		return cur_err_set(err, CUR_EINVAL, "config: sizes must be positive");
	if (c->n_heads % c->n_kv_heads)
		return cur_err_set(err, CUR_EINVAL,
				   "config: num_attention_heads (%d) is not a multiple of num_key_value_heads (%d)",
				   c->n_heads, c->n_kv_heads);
	if (c->head_dim % 2)
		return cur_err_set(err, CUR_EINVAL, "config: head_dim (%d) must be even for RoPE", c->head_dim);
	if (c->vocab_size > (1 << 24) || c->dim > 65536 || c->hidden_dim > 262144 ||
	    c->n_layers > 1024 || c->n_heads > 1024 || c->head_dim > 1024 || c->max_seq > (1 << 20))
		return cur_err_set(err, CUR_EINVAL, "config: sizes beyond what curate supports");
	if (!(c->norm_eps > 0) || !(c->rope_theta > 0))
		return cur_err_set(err, CUR_EINVAL, "config: rms_norm_eps and rope_theta must be positive");
	return CUR_OK;
}

int model_config_preset(const char *name, model_config *c, cur_err *err)
{
	for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
		if (strcmp(presets[i].name, name) == 0) {
			*c = presets[i].c;
			return CUR_OK;
		}
	}
	return cur_err_set(err, CUR_EINVAL, "unknown config '%s' (tiny, small or a config.json)", name);
}

static int get_int(json_t *j, const char *key, int required, int def, int *out, cur_err *err)
{
	json_t *v = json_object_get(j, key);
	if (!v || json_is_null(v)) {
		if (required)
			return cur_err_set(err, CUR_EINVAL, "config: '%s' is missing", key);
		*out = def;
		return CUR_OK;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > (1 << 30))
		return cur_err_set(err, CUR_EINVAL, "config: '%s' must be a non-negative integer", key);
	*out = (int)json_integer_value(v);
	return CUR_OK;
}

static int get_num(json_t *j, const char *key, double def, double *out, cur_err *err)
{
	json_t *v = json_object_get(j, key);
	if (!v || json_is_null(v)) {
		*out = def;
		return CUR_OK;
	}
	if (!json_is_number(v))
		return cur_err_set(err, CUR_EINVAL, "config: '%s' must be a number", key);
	*out = json_number_value(v);
	return CUR_OK;
}

/* Keys that change the architecture: anything but Llama's own values is
 * refused rather than silently computed wrong. */
static int check_supported(json_t *j, cur_err *err)
{
	const char *act = json_string_value(json_object_get(j, "hidden_act"));
	const char *mt = json_string_value(json_object_get(j, "model_type"));

	if (act && strcmp(act, "silu") != 0)
		return cur_err_set(err, CUR_EINVAL, "config: hidden_act '%s' is not supported (silu only)", act);
	if (mt && strcmp(mt, "llama") != 0)
		return cur_err_set(err, CUR_EINVAL, "config: model_type '%s' is not supported (llama only)", mt);
	if (json_is_true(json_object_get(j, "attention_bias")) || json_is_true(json_object_get(j, "mlp_bias")))
		return cur_err_set(err, CUR_EINVAL, "config: attention_bias and mlp_bias are not supported");
	return CUR_OK;
}

static int rope_scaling(json_t *j, model_config *c, cur_err *err)
{
	json_t *rs = json_object_get(j, "rope_scaling");
	if (!rs || json_is_null(rs))
		return CUR_OK;
	const char *type = json_string_value(json_object_get(rs, "rope_type"));
	if (!type)
		type = json_string_value(json_object_get(rs, "type"));
	if (!json_is_object(rs) || !type || strcmp(type, "llama3") != 0)
		return cur_err_set(err, CUR_EINVAL, "config: rope_scaling other than 'llama3' is not supported");
	c->rope_llama3 = 1;
	CUR_FORWARD(get_num(rs, "factor", 8.0, &c->rope_factor, err));
	CUR_FORWARD(get_num(rs, "low_freq_factor", 1.0, &c->rope_low_freq, err));
	CUR_FORWARD(get_num(rs, "high_freq_factor", 4.0, &c->rope_high_freq, err));
	CUR_FORWARD(get_int(rs, "original_max_position_embeddings", 0, 8192, &c->rope_original_max, err));
	if (!(c->rope_factor > 0) || !(c->rope_high_freq > c->rope_low_freq) || c->rope_low_freq <= 0 ||
	    c->rope_original_max < 1)
		return cur_err_set(err, CUR_EINVAL, "config: bad llama3 rope_scaling values");
	return CUR_OK;
}

int model_config_from_json(json_t *j, model_config *c, cur_err *err)
{
	double theta;
	json_t *tie;

	memset(c, 0, sizeof *c);
	if (!json_is_object(j))
		return cur_err_set(err, CUR_EINVAL, "config: not a JSON object");
	CUR_FORWARD(check_supported(j, err));
	CUR_FORWARD(get_int(j, "vocab_size", 1, 0, &c->vocab_size, err));
	CUR_FORWARD(get_int(j, "hidden_size", 1, 0, &c->dim, err));
	CUR_FORWARD(get_int(j, "intermediate_size", 1, 0, &c->hidden_dim, err));
	CUR_FORWARD(get_int(j, "num_hidden_layers", 1, 0, &c->n_layers, err));
	CUR_FORWARD(get_int(j, "num_attention_heads", 1, 0, &c->n_heads, err));
	CUR_FORWARD(get_int(j, "num_key_value_heads", 0, c->n_heads, &c->n_kv_heads, err));
	CUR_FORWARD(get_int(j, "head_dim", 0, c->n_heads ? c->dim / c->n_heads : 0, &c->head_dim, err));
	CUR_FORWARD(get_int(j, "max_position_embeddings", 0, 2048, &c->max_seq, err));
	CUR_FORWARD(get_num(j, "rms_norm_eps", 1e-6, &c->norm_eps, err));
	CUR_FORWARD(get_num(j, "rope_theta", 10000.0, &theta, err));
	c->rope_theta = theta;
	tie = json_object_get(j, "tie_word_embeddings");
	if (tie && !json_is_boolean(tie))
		return cur_err_set(err, CUR_EINVAL, "config: 'tie_word_embeddings' must be true or false");
	/* LlamaConfig's default is an untied head */
	c->tied = json_is_true(tie);
	CUR_FORWARD(rope_scaling(j, c, err));
	return check(c, err);
}

int model_config_load(const char *path_or_preset, model_config *c, cur_err *err)
{
	json_error_t je;
	json_t *j;
	int rc;

	if (!strchr(path_or_preset, '/') && !strchr(path_or_preset, '.'))
		return model_config_preset(path_or_preset, c, err);
	j = json_load_file(path_or_preset, 0, &je);
	if (!j)
		return cur_err_set(err, access(path_or_preset, R_OK) != 0 ? CUR_EIO : CUR_EINVAL,
				   "cannot read '%s': %s", path_or_preset, je.text);
	rc = model_config_from_json(j, c, err);
	json_decref(j);
	if (rc < 0 && err) {
		char msg[sizeof err->msg];
		memcpy(msg, err->msg, sizeof msg);
		cur_err_set(err, rc, "%s: %s", path_or_preset, msg);
	}
	return rc;
}

json_t *model_config_to_json(const model_config *c, int dtype)
{
	static const char *torch_dtype[] = { "float32", "float16", "bfloat16" };
	json_t *rs = json_null();

	if (c->rope_llama3)
		rs = json_pack("{s:s, s:f, s:f, s:f, s:i}", "rope_type", "llama3", "factor", c->rope_factor,
			       "low_freq_factor", c->rope_low_freq, "high_freq_factor", c->rope_high_freq,
			       "original_max_position_embeddings", c->rope_original_max);
	return json_pack("{s:[s], s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:o, "
			 "s:b, s:b, s:b, s:i, s:i, s:s, s:f}",
			 "architectures", "LlamaForCausalLM", "model_type", "llama", "hidden_act", "silu",
			 "vocab_size", c->vocab_size, "hidden_size", c->dim,
			 "intermediate_size", c->hidden_dim, "num_hidden_layers", c->n_layers,
			 "num_attention_heads", c->n_heads, "num_key_value_heads", c->n_kv_heads,
			 "head_dim", c->head_dim, "max_position_embeddings", c->max_seq,
			 "rms_norm_eps", c->norm_eps, "rope_theta", c->rope_theta,
			 "rope_scaling", rs, "tie_word_embeddings", c->tied, "attention_bias", 0,
			 "mlp_bias", 0, "bos_token_id", BOS_ID, "eos_token_id", EOS_ID,
			 "torch_dtype", torch_dtype[dtype >= 0 && dtype <= 2 ? dtype : 0],
			 "initializer_range", 0.02);
}
