/* The Llama model over ops.h: parameter layout, checkpoint I/O, forward and
 * backward passes, and scoring. The conventions are Hugging Face's
 * LlamaForCausalLM (modeling_llama.py): RMSNorm in float32 with the weight
 * applied after normalizing, rotate-half RoPE on the q and k projections,
 * query head h reading kv head h / (n_heads / n_kv_heads), SwiGLU MLP
 * down(silu(gate(x)) * up(x)). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/file.h"
#include "model/model_int.h"
#include "model/safetensors.h"
#include "tokenizer/tokenizer.h"

/* ---- layout ---- */

static size_t add_param(model *m, size_t *at, const char *name, int ndim, uint64_t d0, uint64_t d1)
{
	model_param *p = &m->params[m->nparams++];
	snprintf(p->name, sizeof p->name, "%s", name);
	p->ndim = ndim;
	p->shape[0] = d0;
	p->shape[1] = ndim == 2 ? d1 : 1;
	p->count = (size_t)(d0 * p->shape[1]);
	p->off = *at;
	p->decay = ndim == 2;
	*at += p->count;
	return p->off;
}

static void layout(model *m)
{
	const model_config *c = &m->c;
	size_t at = 0, qd = (size_t)c->n_heads * c->head_dim, kvd = (size_t)c->n_kv_heads * c->head_dim;
	char name[64];

	m->embed = add_param(m, &at, "model.embed_tokens.weight", 2, c->vocab_size, c->dim);
	for (int l = 0; l < c->n_layers; l++) {
		model_layer_off *o = &m->layer[l];
#define P(field, suffix, nd, d0, d1)                                                  \
		snprintf(name, sizeof name, "model.layers.%d.%s", l, suffix);         \
		o->field = add_param(m, &at, name, nd, d0, d1)
		P(in_norm, "input_layernorm.weight", 1, c->dim, 0);
		P(q, "self_attn.q_proj.weight", 2, qd, c->dim);
		P(k, "self_attn.k_proj.weight", 2, kvd, c->dim);
		P(v, "self_attn.v_proj.weight", 2, kvd, c->dim);
		P(o, "self_attn.o_proj.weight", 2, c->dim, qd);
		P(post_norm, "post_attention_layernorm.weight", 1, c->dim, 0);
		P(gate, "mlp.gate_proj.weight", 2, c->hidden_dim, c->dim);
		P(up, "mlp.up_proj.weight", 2, c->hidden_dim, c->dim);
		P(down, "mlp.down_proj.weight", 2, c->dim, c->hidden_dim);
#undef P
	}
	m->norm = add_param(m, &at, "model.norm.weight", 1, c->dim, 0);
	m->head = c->tied ? m->embed : add_param(m, &at, "lm_head.weight", 2, c->vocab_size, c->dim);
	m->nw = at;
}

/* HF's default RoPE frequencies (1 / theta^(2i/hd), computed in float32),
 * with Llama 3.1's rope_scaling when the config has it. */
static void rope_tables(model *m)
{
	const model_config *c = &m->c;
	int half = c->head_dim / 2;

	for (int i = 0; i < half; i++) {
		float e = (float)(2 * i) / (float)c->head_dim;
		float inv = (float)(1.0 / (float)pow(c->rope_theta, e));
		if (c->rope_llama3) {
			double wl = 2 * M_PI / inv, old = c->rope_original_max;
			double lo_wl = old / c->rope_low_freq, hi_wl = old / c->rope_high_freq;
			double f = wl > lo_wl ? inv / c->rope_factor : inv;
			if (!(wl < hi_wl) && !(wl > lo_wl)) {
				double s = (old / wl - c->rope_low_freq) / (c->rope_high_freq - c->rope_low_freq);
				f = (1 - s) * f / c->rope_factor + s * f;
			}
			inv = (float)f;
		}
		for (int p = 0; p < c->max_seq; p++) {
			float a = (float)p * inv;
			m->rope_cos[(size_t)p * half + i] = (float)cos((double)a);
			m->rope_sin[(size_t)p * half + i] = (float)sin((double)a);
		}
	}
}

int model_new(const model_config *c, const model_ops *ops, model **out, cur_err *err)
{
	model *m = calloc(1, sizeof *m);
	size_t half = (size_t)c->head_dim / 2;

	*out = NULL;
	if (!m)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	m->c = *c;
	m->ops = ops;
	m->params = cur_calloc_array((size_t)c->n_layers * 9 + 3, sizeof *m->params);
	m->layer = cur_calloc_array((size_t)c->n_layers, sizeof *m->layer);
	m->rope_cos = cur_malloc_array((size_t)c->max_seq * half, sizeof(float));
	m->rope_sin = cur_malloc_array((size_t)c->max_seq * half, sizeof(float));
	if (!m->params || !m->layer || !m->rope_cos || !m->rope_sin) {
		model_free(m);
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	layout(m);
	m->w = ops->alloc(NULL, m->nw);
	if (!m->w) {
		int rc = cur_err_set(err, CUR_ENOMEM, "out of memory for %zu parameters", m->nw);
		model_free(m);
		return rc;
	}
	rope_tables(m);
	*out = m;
	return CUR_OK;
}

void model_free(model *m)
{
	if (!m)
		return;
	if (m->w)
		m->ops->release(NULL, m->w);
	free(m->params);
	free(m->layer);
	free(m->rope_cos);
	free(m->rope_sin);
	free(m);
}

const model_config *model_get_config(const model *m)
{
	return &m->c;
}

size_t model_param_count(const model *m)
{
	return m->nw;
}

/* splitmix64: a small seeded generator, the same on every machine */
static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uniform(uint64_t *s)
{
	return ((double)(splitmix(s) >> 11) + 0.5) * 0x1p-53;
}

void model_init_weights(model *m, uint64_t seed)
{
	uint64_t s = seed;

	for (size_t i = 0; i < m->nparams; i++) {
		const model_param *p = &m->params[i];
		float *w = m->w + p->off;
		for (size_t k = 0; k < p->count; k++) {
			if (p->ndim == 1) {
				w[k] = 1.0f;
				continue;
			}
			/* Box-Muller, one value per pair of draws */
			double u1 = uniform(&s), u2 = uniform(&s);
			w[k] = (float)(MODEL_INIT_STD * sqrt(-2.0 * log(u1)) * cos(2 * M_PI * u2));
		}
	}
}

/* ---- checkpoints ---- */

int model_read_weights(model *m, const char *path, cur_err *err)
{
	model_st *st;
	int rc;

	CUR_FORWARD(model_st_open(path, &st, err));
	for (size_t i = 0; i < m->nparams; i++) {
		const model_param *p = &m->params[i];
		const model_st_tensor *t = model_st_find(st, p->name);
		if (!t) {
			rc = cur_err_set(err, CUR_EDATA, "%s: tensor '%s' is missing", path, p->name);
			goto out;
		}
		if (t->ndim != p->ndim || t->shape[0] != p->shape[0] || (p->ndim == 2 && t->shape[1] != p->shape[1])) {
			rc = cur_err_set(err, CUR_EDATA, "%s: tensor '%s' has shape [%llu%s%llu], config.json wants [%llu, %llu]",
					 path, p->name, (unsigned long long)t->shape[0], t->ndim > 1 ? ", " : " ",
					 (unsigned long long)(t->ndim > 1 ? t->shape[1] : 0),
					 (unsigned long long)p->shape[0], (unsigned long long)p->shape[1]);
			goto out;
		}
		if ((rc = model_st_read(st, t, m->w + p->off, err)) < 0)
			goto out;
	}
	rc = CUR_OK;
out:
	model_st_free(st);
	return rc;
}

char *model_join(const char *dir, const char *name)
{
	cur_buf b;
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	if (cur_buf_printf(&b, "%s/%s", dir, name) < 0) {
		cur_buf_release(&b);
		return NULL;
	}
	return cur_buf_detach(&b, NULL);
}

int model_load(const char *dir, model **out, cur_err *err)
{
	model_config c;
	model *m = NULL;
	char *cfg = model_join(dir, "config.json"), *wts = model_join(dir, "model.safetensors");
	int rc;

	*out = NULL;
	if (!cfg || !wts) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = model_config_load(cfg, &c, err)) < 0)
		goto out;
	if ((rc = model_new(&c, model_cpu_ops(), &m, err)) < 0)
		goto out;
	rc = model_read_weights(m, wts, err);
out:
	free(cfg);
	free(wts);
	if (rc < 0)
		model_free(m);
	else
		*out = m;
	return rc;
}

static int write_config(const model *m, const char *path, int dtype, cur_err *err)
{
	json_t *j = model_config_to_json(&m->c, dtype);
	char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	cur_buf b;
	int rc;

	json_decref(j);
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	if (!text || cur_buf_printf(&b, "%s\n", text) < 0)
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
	else
		rc = cur_atomic_write_file(path, b.data, b.len, err);
	cur_buf_release(&b);
	free(text);
	return rc;
}

int model_save(const model *m, const char *dir, int dtype, cur_err *err)
{
	model_st_entry *e = cur_calloc_array(m->nparams, sizeof *e);
	char *cfg = model_join(dir, "config.json"), *wts = model_join(dir, "model.safetensors");
	json_t *meta = json_pack("{s:s}", "format", "pt");
	int rc;

	if (!e || !cfg || !wts || !meta) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = cur_mkdir_p(dir, err)) < 0)
		goto out;
	for (size_t i = 0; i < m->nparams; i++) {
		e[i].name = m->params[i].name;
		e[i].dtype = dtype;
		e[i].ndim = m->params[i].ndim;
		e[i].shape[0] = m->params[i].shape[0];
		e[i].shape[1] = m->params[i].shape[1];
		e[i].data = m->w + m->params[i].off;
	}
	rc = model_st_write(wts, e, m->nparams, meta, err);
	if (rc == CUR_OK)
		rc = write_config(m, cfg, dtype, err);
out:
	json_decref(meta);
	free(e);
	free(cfg);
	free(wts);
	return rc;
}
