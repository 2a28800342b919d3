/* Single-threaded CPU kernels (model/ only): the CPU backend (cpu.c) cuts
 * each operation into tasks and runs these on its threads. Row-major
 * shapes in the comments. The loops are written for the compiler's
 * vectorizer (omp simd), built for AVX-512, AVX2 and plain x86-64 (chosen
 * at run time). */
#ifndef MODEL_KERNELS_H
#define MODEL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* The plain GEMM's packing buffer, in floats, per thread. */
#define MK_PACK_FLOATS (256 * (1024 + 32))

/* mk_plain_isa: the vector extension the plain GEMM uses on this CPU:
 * "AVX-512", "AVX2" or "SSE2". */
const char *mk_plain_isa(void);

/* C (M,N) = op(A) (M,K) @ op(B) (K,N) + beta * C, op = transpose when ta/tb.
 * blas 0 (or no OpenBLAS): the plain C kernel, using pack. */
void mk_gemm(int blas, int ta, int tb, int M, int N, int K, const float *A, int lda,
	     const float *B, int ldb, float beta, float *C, int ldc, float *pack);

/* The plain GEMM with op(B) packed once and shared, for a B that several
 * products use (a weight matrix across row blocks, a block of activations
 * across vocabulary tiles). mk_packed_floats: the packed size of op(B)
 * (K,N). mk_pack_b: packs columns [j0, j0+n) of op(B) into Bp (j0 a
 * multiple of 128, so that tasks can pack column ranges at once).
 * mk_gemm_packed: C (M,N) = op(A) (M,K) @ B + beta * C, beta 0 or 1; the
 * same results as mk_gemm's plain kernel. */
size_t mk_packed_floats(int K, int N);
void mk_pack_b(float *Bp, const float *B, int ldb, int tb, int K, int j0, int n);
void mk_gemm_packed(int ta, int M, int N, int K, const float *A, int lda, const float *Bp,
		    float beta, float *C, int ldc);

/* out (rows,d) = w * in * rstd; rstd (rows,) */
void mk_rmsnorm(float *out, float *rstd, const float *in, const float *w, size_t rows, int d,
		float eps);
/* din (rows,d) += ...; dw (d,) += the rows' part of the weight gradient */
void mk_rmsnorm_backward(float *din, float *dw, const float *dout, const float *in,
			 const float *w, const float *rstd, size_t rows, int d);
/* q (rows, heads*hd) rotated in place; positions pos0, pos0+1, ... wrap
 * at T; cos/sin (T, hd/2) */
void mk_rope(float *q, size_t rows, size_t row0, int T, int heads, int hd, const float *cos,
	     const float *sin, int inverse);
/* One (sequence, head) of causal attention: rows t in [0,T) of q (stride
 * qs), keys/values k, v (stride kvs) at the right head already; start[t]
 * is the first row t attends to; p (T,T) keeps the probabilities when keep
 * is 1 (else unused); out (stride qs); scratch of mk_attention_scratch(T,
 * hd) floats. */
size_t mk_attention_scratch(int T, int hd);
void mk_attention_head(float *out, float *p, int keep, const float *q, const float *k,
		       const float *v, const int32_t *start, int T, int hd, size_t qs, size_t kvs,
		       float *scratch);
/* The backward of one query head: dq (=), dk and dv (+=); dp scratch (T,). */
void mk_attention_head_backward(float *dq, float *dk, float *dv, const float *dout,
				const float *p, const float *q, const float *k, const float *v,
				const int32_t *start, int T, int hd, size_t qs, size_t kvs, float *dp);
void mk_swiglu(float *h, const float *g, const float *u, size_t n);
void mk_swiglu_backward(float *dg, float *du, const float *dh, const float *g, const float *u,
			size_t n);
void mk_add(float *y, const float *a, size_t n);
double mk_sumsq(const float *g, size_t n);
/* AdamW on n elements (ops.h's model_adamw_args, unpacked) */
void mk_adamw(float *p, float *m, float *v, const float *g, size_t n, float scale, float decay,
	      float beta1, float beta2, float step_size, float bc2_sqrt, float eps);
/* Column statistics of a transposed tile of logits lT (n, rows) with
 * stride ld (each column r is one row of logits): max[r] and sum[r] of
 * exp(l - max[r]). ld is a multiple of MK_STATS_ROWS: the columns are read
 * up to rows rounded up to it. */
#define MK_STATS_ROWS 32
void mk_softmax_stats_t(const float *lT, size_t ld, size_t n, size_t rows, float *max, float *sum);
/* lT (n, rows), stride ld: l = scale * exp(l - lse[r]), the softmax */
void mk_softmax_grad_t(float *lT, size_t ld, size_t n, size_t rows, const float *lse, float scale);

#endif
