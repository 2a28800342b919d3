/* The forward and backward passes, and scoring. Every buffer is allocated
 * in model_acts_new; a step allocates nothing. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "model/model_int.h"
#include "tokenizer/tokenizer.h"

/* ---- activations ---- */

typedef struct acts_plan {
	size_t d, qd, kvd, f, att, n;
} acts_plan;

static float *take(const model *m, model_exec *x, size_t n, int *fail)
{
	float *p = n ? m->ops->alloc(x, n) : NULL;
	if (n && !p)
		*fail = 1;
	return p;
}

int model_acts_new(const model *m, model_exec *x, int B, int T, int training, model_acts *a,
		   cur_err *err)
{
	const model_config *c = &m->c;
	size_t N = (size_t)B * T, L = (size_t)c->n_layers, keep = training ? L : 1;
	size_t d = N * c->dim, qd = N * c->n_heads * c->head_dim, kvd = N * c->n_kv_heads * c->head_dim;
	size_t f = N * c->hidden_dim, att = training ? (size_t)B * c->n_heads * T * T : 0;
	int fail = 0;

	memset(a, 0, sizeof *a);
	a->B = B, a->T = T, a->N = N, a->training = training;
	/* With one layer's worth (scoring), every layer writes the same buffers:
	 * a stride of zero. */
	a->lstride_d = training ? d : 0;
	a->lstride_q = training ? qd : 0;
	a->lstride_kv = training ? kvd : 0;
	a->lstride_f = training ? f : 0;
	a->lstride_att = att;
	a->lstride_n = training ? N : 0;
	a->ids = (uint32_t *)take(m, x, N, &fail);
	a->targets = (uint32_t *)take(m, x, N, &fail);
	a->start = (int32_t *)take(m, x, N, &fail);
	a->res = take(m, x, (training ? L + 1 : 1) * d, &fail);
	a->mid = take(m, x, keep * d, &fail);
	a->rstd1 = take(m, x, keep * N, &fail);
	a->xn1 = take(m, x, keep * d, &fail);
	a->q = take(m, x, keep * qd, &fail);
	a->k = take(m, x, keep * kvd, &fail);
	a->v = take(m, x, keep * kvd, &fail);
	a->att = take(m, x, keep * att, &fail);
	a->ao = take(m, x, keep * qd, &fail);
	a->rstd2 = take(m, x, keep * N, &fail);
	a->xn2 = take(m, x, keep * d, &fail);
	a->g = take(m, x, keep * f, &fail);
	a->u = take(m, x, keep * f, &fail);
	a->h = take(m, x, keep * f, &fail);
	a->rstdf = take(m, x, N, &fail);
	a->xf = take(m, x, d, &fail);
	a->loss = take(m, x, N, &fail);
	a->host_loss = cur_calloc_array(N, sizeof(float));
	a->host_ids = cur_calloc_array(3 * N, sizeof(uint32_t));
	if (!a->host_loss || !a->host_ids)
		fail = 1;
	if (training) {
		a->dres = take(m, x, d, &fail);
		a->dxn = take(m, x, d, &fail);
		a->dq = take(m, x, qd, &fail);
		a->dk = take(m, x, kvd, &fail);
		a->dv = take(m, x, kvd, &fail);
		a->dao = take(m, x, qd, &fail);
		a->dh = take(m, x, f, &fail);
		a->dg = take(m, x, f, &fail);
		a->du = take(m, x, f, &fail);
		a->dxf = take(m, x, d, &fail);
	}
	if (fail) {
		model_acts_release(m, x, a);
		return cur_err_set(err, CUR_ENOMEM, "out of memory for the activations of %d x %d tokens", B, T);
	}
	return CUR_OK;
}

void model_acts_release(const model *m, model_exec *x, model_acts *a)
{
	float *all[] = { (float *)a->ids, (float *)a->targets, (float *)a->start, a->res, a->mid,
			 a->rstd1, a->xn1, a->q, a->k, a->v, a->att, a->ao, a->rstd2, a->xn2, a->g,
			 a->u, a->h, a->rstdf, a->xf, a->loss, a->dres, a->dxn, a->dq, a->dk, a->dv,
			 a->dao, a->dh, a->dg, a->du, a->dxf };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (all[i])
			m->ops->release(x, all[i]);
	free(a->host_loss);
	free(a->host_ids);
	memset(a, 0, sizeof *a);
}

model_exec_size model_exec_size_for(const model *m, int B, int T, int training)
{
	model_exec_size s = { .dim = m->c.dim, .vocab = m->c.vocab_size, .max_T = T,
			      .max_heads = m->c.n_heads, .head_dim = m->c.head_dim, .max_rows = (size_t)B * T,
			      .max_elems = m->nw, .training = training };
	int qh = m->c.n_heads * m->c.head_dim, wide = qh > m->c.hidden_dim ? qh : m->c.hidden_dim;

	s.max_in = wide > m->c.dim ? wide : m->c.dim;
	s.max_out = s.max_in;
	return s;
}

/* A row starts a document at <|begin_of_text|> or right after
 * <|end_of_text|> (Megatron shards end each document with it; llm.c shards
 * begin each with <|begin_of_text|>). */
void model_set_batch(const model *m, model_exec *x, model_acts *a, const uint32_t *ids, int B, int T,
		     int doc_mask)
{
	size_t N = (size_t)B * T;
	uint32_t *hid = a->host_ids, *htg = hid + N;
	int32_t *hst = (int32_t *)(htg + N);

	a->B = B;
	a->T = T;
	a->N = N;
	for (int b = 0; b < B; b++) {
		const uint32_t *row = ids + (size_t)b * (T + 1);
		int32_t first = b * T;
		for (int t = 0; t < T; t++) {
			size_t n = (size_t)b * T + t;
			if (doc_mask && t > 0 && (row[t] == TOK_BEGIN_OF_TEXT || row[t - 1] == TOK_END_OF_TEXT))
				first = (int32_t)n;
			hid[n] = row[t];
			htg[n] = row[t + 1];
			hst[n] = first;
		}
	}
	m->ops->upload(x, a->ids, hid, N * sizeof *hid);
	m->ops->upload(x, a->targets, htg, N * sizeof *htg);
	m->ops->upload(x, a->start, hst, N * sizeof *hst);
}

/* ---- forward ---- */

#define W(off) (m->w + (off))
#define LAYER(ptr, stride) ((ptr) + (size_t)l * a->stride)

double model_forward(const model *m, model_exec *x, model_acts *a, float *grads)
{
	const model_ops *op = m->ops;
	const model_config *c = &m->c;
	size_t N = a->N, d = (size_t)c->dim, qh = (size_t)c->n_heads * c->head_dim;
	size_t kvh = (size_t)c->n_kv_heads * c->head_dim;
	float eps = (float)c->norm_eps;
	double sum = 0.0;

	op->embed(x, a->res, W(m->embed), a->ids, N, c->dim);
	for (int l = 0; l < c->n_layers; l++) {
		const model_layer_off *o = &m->layer[l];
		float *res = LAYER(a->res, lstride_d), *next = a->training ? res + a->lstride_d : res;
		float *mid = LAYER(a->mid, lstride_d), *xn1 = LAYER(a->xn1, lstride_d);
		float *xn2 = LAYER(a->xn2, lstride_d), *q = LAYER(a->q, lstride_q), *k = LAYER(a->k, lstride_kv);
		float *v = LAYER(a->v, lstride_kv), *ao = LAYER(a->ao, lstride_q);
		float *g = LAYER(a->g, lstride_f), *u = LAYER(a->u, lstride_f), *h = LAYER(a->h, lstride_f);
		float *att = a->att ? LAYER(a->att, lstride_att) : NULL;

		op->rmsnorm(x, xn1, LAYER(a->rstd1, lstride_n), res, W(o->in_norm), N, c->dim, eps);
		op->matmul(x, q, xn1, W(o->q), N, c->dim, (int)qh);
		op->matmul(x, k, xn1, W(o->k), N, c->dim, (int)kvh);
		op->matmul(x, v, xn1, W(o->v), N, c->dim, (int)kvh);
		op->rope(x, q, N, a->T, c->n_heads, c->head_dim, m->rope_cos, m->rope_sin, 0);
		op->rope(x, k, N, a->T, c->n_kv_heads, c->head_dim, m->rope_cos, m->rope_sin, 0);
		op->attention(x, ao, att, q, k, v, a->start, a->B, a->T, c->n_heads, c->n_kv_heads,
			      c->head_dim);
		/* mid = o_proj(ao) + res; next = down(h) + mid (a + b == b + a) */
		op->matmul(x, mid, ao, W(o->o), N, (int)qh, c->dim);
		op->add(x, mid, res, N * d);
		op->rmsnorm(x, xn2, LAYER(a->rstd2, lstride_n), mid, W(o->post_norm), N, c->dim, eps);
		op->matmul(x, g, xn2, W(o->gate), N, c->dim, c->hidden_dim);
		op->matmul(x, u, xn2, W(o->up), N, c->dim, c->hidden_dim);
		op->swiglu(x, h, g, u, N * c->hidden_dim);
		op->matmul(x, next, h, W(o->down), N, c->hidden_dim, c->dim);
		op->add(x, next, mid, N * d);
	}
	float *last = a->res + (size_t)c->n_layers * a->lstride_d;
	op->rmsnorm(x, a->xf, a->rstdf, last, W(m->norm), N, c->dim, eps);
	op->head(x, a->loss, grads ? a->dxf : NULL, grads ? grads + m->head : NULL, a->xf, W(m->head),
		 a->targets, 1.0f / (float)N, N, c->dim, c->vocab_size);
	op->download(x, a->host_loss, a->loss, N * sizeof(float));
	for (size_t n = 0; n < N; n++)
		sum += a->host_loss[n];
	return sum;
}

/* ---- backward ---- */

void model_backward(const model *m, model_exec *x, model_acts *a, float *grads)
{
	const model_ops *op = m->ops;
	const model_config *c = &m->c;
	size_t N = a->N, d = (size_t)c->dim, qh = (size_t)c->n_heads * c->head_dim;
	size_t kvh = (size_t)c->n_kv_heads * c->head_dim;
	float *G = grads;

	op->zero(x, a->dres, N * d);
	op->rmsnorm_backward(x, a->dres, G + m->norm, a->dxf, a->res + (size_t)c->n_layers * a->lstride_d,
			     W(m->norm), a->rstdf, N, c->dim);
	for (int l = c->n_layers - 1; l >= 0; l--) {
		const model_layer_off *o = &m->layer[l];
		float *res = LAYER(a->res, lstride_d), *mid = LAYER(a->mid, lstride_d);
		float *xn1 = LAYER(a->xn1, lstride_d), *xn2 = LAYER(a->xn2, lstride_d);
		float *q = LAYER(a->q, lstride_q), *k = LAYER(a->k, lstride_kv), *v = LAYER(a->v, lstride_kv);
		float *ao = LAYER(a->ao, lstride_q), *g = LAYER(a->g, lstride_f), *u = LAYER(a->u, lstride_f);
		float *h = LAYER(a->h, lstride_f), *att = LAYER(a->att, lstride_att);

		/* MLP: next = mid + down(silu(gate(xn2)) * up(xn2)) */
		op->zero(x, a->dh, N * c->hidden_dim);
		op->matmul_backward(x, a->dh, G + o->down, a->dres, h, W(o->down), N, c->hidden_dim, c->dim);
		op->swiglu_backward(x, a->dg, a->du, a->dh, g, u, N * c->hidden_dim);
		op->zero(x, a->dxn, N * d);
		op->matmul_backward(x, a->dxn, G + o->gate, a->dg, xn2, W(o->gate), N, c->dim, c->hidden_dim);
		op->matmul_backward(x, a->dxn, G + o->up, a->du, xn2, W(o->up), N, c->dim, c->hidden_dim);
		op->rmsnorm_backward(x, a->dres, G + o->post_norm, a->dxn, mid, W(o->post_norm),
				     LAYER(a->rstd2, lstride_n), N, c->dim);
		/* attention: mid = res + o_proj(attention(rope(q), rope(k), v)) */
		op->zero(x, a->dao, N * qh);
		op->matmul_backward(x, a->dao, G + o->o, a->dres, ao, W(o->o), N, (int)qh, c->dim);
		op->attention_backward(x, a->dq, a->dk, a->dv, a->dao, att, q, k, v, a->start, a->B, a->T,
				       c->n_heads, c->n_kv_heads, c->head_dim);
		op->rope(x, a->dq, N, a->T, c->n_heads, c->head_dim, m->rope_cos, m->rope_sin, 1);
		op->rope(x, a->dk, N, a->T, c->n_kv_heads, c->head_dim, m->rope_cos, m->rope_sin, 1);
		op->zero(x, a->dxn, N * d);
		op->matmul_backward(x, a->dxn, G + o->q, a->dq, xn1, W(o->q), N, c->dim, (int)qh);
		op->matmul_backward(x, a->dxn, G + o->k, a->dk, xn1, W(o->k), N, c->dim, (int)kvh);
		op->matmul_backward(x, a->dxn, G + o->v, a->dv, xn1, W(o->v), N, c->dim, (int)kvh);
		op->rmsnorm_backward(x, a->dres, G + o->in_norm, a->dxn, res, W(o->in_norm),
				     LAYER(a->rstd1, lstride_n), N, c->dim);
	}
	op->embed_backward(x, G + m->embed, a->dres, a->ids, N, c->dim, c->vocab_size);
}

/* ---- scoring ---- */

struct model_scorer {
	const model *m;
	model_exec *x;
	model_acts a;
	int T;             /* the window */
};

int model_scorer_new(const model *m, int window, model_scorer **out, cur_err *err)
{
	model_scorer *s = calloc(1, sizeof *s);
	int T = window, rc;

	if (T <= 0)
		T = m->c.max_seq < MODEL_WINDOW_DEFAULT_MAX ? m->c.max_seq : MODEL_WINDOW_DEFAULT_MAX;
	if (T < 2 || T > m->c.max_seq) {
		free(s);
		return cur_err_set(err, CUR_EINVAL, "a window of %d tokens is not in 2..%d (max_position_embeddings)",
				   T, m->c.max_seq);
	}
	model_exec_size size = model_exec_size_for(m, 1, T, 0);

	*out = NULL;
	if (!s)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	s->m = m;
	s->T = T;
	if ((rc = model_cpu_exec_new(1, MODEL_MATMUL_AUTO, &size, &s->x, err)) < 0 ||
	    (rc = model_acts_new(m, s->x, 1, T, 0, &s->a, err)) < 0) {
		model_scorer_free(s);
		return rc;
	}
	*out = s;
	return CUR_OK;
}

void model_scorer_free(model_scorer *s)
{
	if (!s)
		return;
	if (s->x) {
		model_acts_release(s->m, s->x, &s->a);
		s->m->ops->exec_free(s->x);
	}
	free(s);
}

int model_score(model_scorer *s, const uint32_t *ids, size_t n, double *nll, size_t *predicted,
		cur_err *err)
{
	const model *m = s->m;
	size_t T = (size_t)s->T;

	*nll = 0.0;
	*predicted = n > 0 ? n - 1 : 0;
	for (size_t i = 0; i < n; i++)
		if (ids[i] >= (uint32_t)m->c.vocab_size)
			return cur_err_set(err, CUR_EINVAL, "token id %u is not below the vocabulary size %d",
					   ids[i], m->c.vocab_size);
	/* Window w predicts ids[wT+1 .. wT+len] from ids[wT .. wT+len-1]. */
	for (size_t at = 0; at + 1 < n; at += T) {
		size_t len = n - 1 - at < T ? n - 1 - at : T;
		model_set_batch(m, s->x, &s->a, ids + at, 1, (int)len, 0);
		*nll += model_forward(m, s->x, &s->a, NULL);
	}
	return CUR_OK;
}
