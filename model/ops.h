/* The compute backend behind the model: every kernel the forward pass, the
 * backward pass and the optimizer need, as one table of functions over
 * buffers the backend allocates. The model and the training loop only call
 * through this table, so another backend (a GPU) is one more table: its
 * buffers live on the device and upload/download cross over.
 *
 * Shapes are row-major. N is the number of token rows (B sequences of T
 * tokens, row n = b * T + t). A backward kernel accumulates (+=) into the
 * gradients of weights and writes (=) the gradients of activations, except
 * where it says otherwise.
 *
 * Determinism: the CPU backend cuts every kernel into tasks of a fixed size
 * whatever the thread count and reduces partial sums in a fixed order, so
 * results are the same for any number of threads. */
#ifndef MODEL_OPS_H
#define MODEL_OPS_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"

typedef struct model_exec model_exec;

/* What an exec must be able to hold: set once, before any kernel runs, so
 * that no kernel allocates. */
typedef struct model_exec_size {
	int dim, vocab, max_T, max_heads, head_dim;
	size_t max_rows;   /* N */
	size_t max_elems;  /* the longest vector sumsq sees */
	int max_in, max_out; /* the largest weight matrix of a matmul: (max_out, max_in) */
	int training;      /* the head keeps a chunk of logits for its backward */
} model_exec_size;

/* One AdamW update (PyTorch's torch.optim.AdamW semantics). */
typedef struct model_adamw_args {
	float lr, beta1, beta2, eps, weight_decay;
	float grad_scale;  /* gradients are multiplied by this first (clipping) */
	long step;         /* 1 for the first update */
} model_adamw_args;

typedef struct model_ops {
	const char *name;
	void (*exec_free)(model_exec *x);
	/* Buffers the kernels use: zeroed, aligned; NULL when out of memory. */
	float *(*alloc)(model_exec *x, size_t n);
	void (*release)(model_exec *x, float *p);
	/* Copy bytes into a buffer and out of one. */
	void (*upload)(model_exec *x, void *dst, const void *src, size_t bytes);
	void (*download)(model_exec *x, void *dst, const void *src, size_t bytes);
	void (*zero)(model_exec *x, float *p, size_t n);

	/* out (N,d) = E[ids[n]] */
	void (*embed)(model_exec *x, float *out, const float *E, const uint32_t *ids, size_t N, int d);
	/* dE[ids[n]] += dout[n]; ids < V */
	void (*embed_backward)(model_exec *x, float *dE, const float *dout, const uint32_t *ids,
			       size_t N, int d, int V);
	/* out (N,d) = w * in / sqrt(mean(in^2) + eps); rstd (N,) saved */
	void (*rmsnorm)(model_exec *x, float *out, float *rstd, const float *in, const float *w,
			size_t N, int d, float eps);
	/* din (N,d) += ..., dw (d,) += ... */
	void (*rmsnorm_backward)(model_exec *x, float *din, float *dw, const float *dout,
				 const float *in, const float *w, const float *rstd, size_t N, int d);
	/* out (N,o) = in (N,i) @ W (o,i)^T, as torch.nn.Linear without bias */
	void (*matmul)(model_exec *x, float *out, const float *in, const float *W, size_t N, int i,
		       int o);
	/* din (N,i) += dout (N,o) @ W (o,i); dW (o,i) += dout^T @ in */
	void (*matmul_backward)(model_exec *x, float *din, float *dW, const float *dout,
				const float *in, const float *W, size_t N, int i, int o);
	/* Rotate-half RoPE in place on q (N, heads*hd); row n has position
	 * n mod T; cos/sin (T, hd/2). inverse: the transposed rotation, for the
	 * backward pass. */
	void (*rope)(model_exec *x, float *q, size_t N, int T, int heads, int hd, const float *cos,
		     const float *sin, int inverse);
	/* Causal attention with grouped query heads: q (N, nh*hd), k and v
	 * (N, nkv*hd); query head h reads kv head h / (nh/nkv) (repeat_kv).
	 * Row n attends to rows start[n]..n of its sequence (start: the first
	 * row of n's document, or of its sequence without document masking).
	 * out (N, nh*hd); att (B, nh, T, T) keeps the probabilities for the
	 * backward pass, or NULL. */
	void (*attention)(model_exec *x, float *out, float *att, const float *q, const float *k,
			  const float *v, const int32_t *start, int B, int T, int nh, int nkv, int hd);
	/* dq, dk, dv (=) from dout and the saved att. */
	void (*attention_backward)(model_exec *x, float *dq, float *dk, float *dv, const float *dout,
				   const float *att, const float *q, const float *k, const float *v,
				   const int32_t *start, int B, int T, int nh, int nkv, int hd);
	/* h (n,) = silu(g) * u */
	void (*swiglu)(model_exec *x, float *h, const float *g, const float *u, size_t n);
	/* dg, du (=) */
	void (*swiglu_backward)(model_exec *x, float *dg, float *du, const float *dh, const float *g,
				const float *u, size_t n);
	/* y (n,) += a */
	void (*add)(model_exec *x, float *y, const float *a, size_t n);
	/* The output head and cross-entropy, fused so that the (N, V) logits
	 * never exist at once: loss (N,) = logsumexp(l) - l[target], l =
	 * in (N,d) @ W (V,d)^T. With dW non-NULL (training) also din (N,d) (=)
	 * and dW (V,d) (+=) of grad_scale * sum(loss). */
	void (*head)(model_exec *x, float *loss, float *din, float *dW, const float *in,
		     const float *W, const uint32_t *targets, float grad_scale, size_t N, int d, int V);
	/* sum of squares of g (n,), in double */
	double (*sumsq)(model_exec *x, const float *g, size_t n);
	/* one AdamW step on p (n,) with moments m, v; decay: apply weight decay */
	void (*adamw)(model_exec *x, float *p, float *m, float *v, const float *g, size_t n,
		      int decay, const model_adamw_args *a);
} model_ops;

/* model_cpu_ops: the CPU backend. Its alloc and release need no exec. */
const model_ops *model_cpu_ops(void);
/* Who computes the matrix products. AUTO takes curate's own kernels on
 * AVX-512 CPUs (faster than OpenBLAS's there, for the model's shapes), and
 * elsewhere OpenBLAS unless its kernels are older than the CPU (Debian's
 * OpenBLAS 0.3.21 runs its SSE3 "Prescott" kernels on CPUs it does not
 * know) and curate's use AVX2 there. */
enum { MODEL_MATMUL_AUTO, MODEL_MATMUL_OPENBLAS, MODEL_MATMUL_PLAIN };

/* model_matmul_parse: "auto", "openblas" or "plain"; -1 if unknown. */
int model_matmul_parse(const char *s);
/* model_matmul_resolve: OPENBLAS or PLAIN for a request (OPENBLAS without
 * OpenBLAS in the build gives PLAIN). */
int model_matmul_resolve(int want);
/* model_matmul_name: what a resolved choice runs, e.g. "OpenBLAS
 * (SkylakeX kernels)" or "curate's AVX-512 kernels" (static). */
const char *model_matmul_name(int resolved);

/* model_cpu_exec_new: a CPU exec with threads threads (the caller's thread
 * counts as one), matrix products as matmul says. OUT: *x, freed with
 * model_cpu_ops()->exec_free. */
int model_cpu_exec_new(int threads, int matmul, const model_exec_size *size, model_exec **x,
		       cur_err *err);

#endif
