/* Shared inside model/ only: the parameter layout, the activations of a
 * batch, and the forward and backward passes over ops.h's backend. */
#ifndef MODEL_MODEL_INT_H
#define MODEL_MODEL_INT_H

#include <stddef.h>
#include <stdint.h>
#include "model/model.h"
#include "model/ops.h"

/* One tensor of the flat parameter vector, by its HF name. */
typedef struct model_param {
	char name[64];
	int ndim;
	uint64_t shape[2];
	size_t off, count;
	int decay;           /* 2-D weights take weight decay; norms do not */
} model_param;

/* Offsets of one block's tensors in the flat vector. */
typedef struct model_layer_off {
	size_t in_norm, q, k, v, o, post_norm, gate, up, down;
} model_layer_off;

struct model {
	model_config c;
	const model_ops *ops;  /* the backend that allocated w */
	float *w;              /* every parameter, in params order */
	size_t nw;
	model_param *params;   /* the tensors (lm_head only when untied) */
	size_t nparams;
	model_layer_off *layer;
	size_t embed, norm, head; /* head == embed when tied */
	float *rope_cos, *rope_sin; /* (max_seq, head_dim/2) */
};

/* model_new: the layout for c with weights allocated (zero) by ops. */
int model_new(const model_config *c, const model_ops *ops, model **out, cur_err *err);
/* model_init_weights: Llama's initialization (normal, std MODEL_INIT_STD;
 * norms 1), from seed. */
#define MODEL_INIT_STD 0.02
void model_init_weights(model *m, uint64_t seed);
/* model_save: config.json and model.safetensors into dir (created), the
 * weights stored as dtype. */
int model_save(const model *m, const char *dir, int dtype, cur_err *err);
/* model_read_weights: the tensors of a safetensors file into m->w; every
 * tensor must be there with its shape. */
int model_read_weights(model *m, const char *path, cur_err *err);

/* The activations of B sequences of T tokens: all of them for training
 * (each layer's inputs are kept for the backward pass), one layer's worth
 * for scoring. */
typedef struct model_acts {
	int B, T, training;
	size_t N;
	uint32_t *ids, *targets;
	int32_t *start;
	float *res, *mid;          /* residual stream before each layer, after attention */
	float *rstd1, *xn1, *q, *k, *v, *att, *ao;
	float *rstd2, *xn2, *g, *u, *h;
	float *rstdf, *xf, *loss;
	/* backward scratch */
	float *dres, *dxn, *dq, *dk, *dv, *dao, *dh, *dg, *du, *dxf;
	size_t lstride_d, lstride_q, lstride_kv, lstride_f, lstride_att, lstride_n;
	/* host copies: the batch staged before upload, the losses after */
	uint32_t *host_ids;        /* ids, targets, start: 3 N */
	float *host_loss;
} model_acts;

int model_acts_new(const model *m, model_exec *x, int B, int T, int training, model_acts *a,
		   cur_err *err);
void model_acts_release(const model *m, model_exec *x, model_acts *a);

/* model_exec_size_for: what an exec needs for B x T windows of m. */
model_exec_size model_exec_size_for(const model *m, int B, int T, int training);

/* model_set_batch: copy ids (B rows of T+1: inputs ids[0..T), targets
 * ids[1..T]) into a, with each row's attention starting at its document
 * (doc_mask) or at its sequence. For scoring, B = 1 and T may be shorter
 * than the buffers: T is the window's length. */
void model_set_batch(const model *m, model_exec *x, model_acts *a, const uint32_t *ids, int B, int T,
		     int doc_mask);

/* model_forward: the forward pass over a's batch; per-row losses in
 * a->host_loss. With grads (training), also the head's backward, whose din
 * model_backward continues from, scaled so that the gradient is that of the
 * mean loss. Returns the summed loss. */
double model_forward(const model *m, model_exec *x, model_acts *a, float *grads);
/* model_backward: the rest of the gradient after model_forward (grads +=). */
void model_backward(const model *m, model_exec *x, model_acts *a, float *grads);

/* ---- training ---- */

/* The optimizer and schedule: AdamW (decoupled weight decay on 2-D
 * weights), gradient clipping by global norm, linear warm-up then cosine
 * decay to final_lr_fraction of lr at the last step. */
typedef struct model_hparams {
	double lr, final_lr_fraction, weight_decay, clip, beta1, beta2, eps;
	long warmup, steps;
	int doc_mask;
} model_hparams;

typedef struct model_trainer {
	model *m;
	model_exec *x;
	model_acts a;
	float *grads, *m1, *m2;  /* gradient and AdamW moments, like m->w */
	model_hparams h;
	long step;               /* updates done */
	int B, T;
} model_trainer;

int model_trainer_new(model *m, const model_hparams *h, int B, int T, int threads, int blas,
		      model_trainer **out, cur_err *err);
void model_trainer_free(model_trainer *t);
/* model_lr_at: the learning rate of update number step (1 for the first). */
double model_lr_at(const model_hparams *h, long step);
/* model_trainer_step: one update on rows (B x (T+1) ids). OUT: the mean
 * loss before the update and the gradient norm before clipping. */
void model_trainer_step(model_trainer *t, const uint32_t *rows, double *loss, double *gnorm);
/* model_trainer_loss: the summed loss of b <= B rows, without an update. */
double model_trainer_loss(model_trainer *t, const uint32_t *rows, int b);

/* model_join: "DIR/NAME", malloc'd; NULL when out of memory. */
char *model_join(const char *dir, const char *name);

#endif
