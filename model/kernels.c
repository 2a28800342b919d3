#include "config.h"

#include <math.h>
#include <string.h>
#include "model/kernels.h"
#ifdef HAVE_OPENBLAS
#include <cblas.h>
#endif

/* Each hot loop is compiled three times, for AVX-512, AVX2 and baseline
 * x86-64, and the loader picks one by the CPU's features (GCC's
 * target_clones; "arch=" clones would test the CPU model and miss newer
 * ones). The choice is per machine, so results are the same run after run
 * on one machine, not across machines. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VEC __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VEC
#endif

/* exp for the vectorizer: x = k ln2 + r with |r| <= ln2/2 (Cody-Waite),
 * exp(r) by its degree-6 Taylor polynomial (relative error below 2e-7),
 * 2^k built in the exponent bits. Arguments are clamped to [-87.3, 88.3], so
 * the result is a normal float. The steps are macros so that the scalar
 * form (for omp simd loops) and the vector form (for loops whose lanes are
 * rows) compute the same thing. */
#define EXP_LO -87.3f
#define EXP_HI 88.3f
#define EXP_ROUND(x) (((x) * 1.44269504f + 12582912.0f) - 12582912.0f) /* k, to nearest */
#define EXP_REM(x, k) ((x) - (k) * 0.693145752f - (k) * 1.42860677e-6f)
#define EXP_POLY(r)                                                                          \
	(1.0f + (r) * (1.0f + (r) * (0.5f + (r) * (0.166666672f + (r) * (0.0416666679f +      \
		(r) * (0.00833333377f + (r) * 0.00138888892f))))))

static inline float vexp(float x)
{
	x = x < EXP_LO ? EXP_LO : x;
	x = x > EXP_HI ? EXP_HI : x;
	float k = EXP_ROUND(x), r = EXP_REM(x, k);
	union { int32_t i; float f; } s = { .i = ((int32_t)k + 127) << 23 };
	return EXP_POLY(r) * s.f;
}

/* 16 rows as the lanes of one vector (a register with AVX-512, two with
 * AVX2): the softmax of a transposed tile keeps its running maxima and sums
 * in these, where the omp simd form would keep them in memory. */
/* The helpers on them are always inlined: no call passes a vector, so the
 * ABI GCC warns about (-Wpsabi) never applies. */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float lanes __attribute__((vector_size(64)));
typedef float lanes_u __attribute__((vector_size(64), aligned(4)));
typedef int32_t lanes_i __attribute__((vector_size(64)));
#define LANES 16
#define INLINE static inline __attribute__((always_inline))

/* a where pick is set, else b */
INLINE lanes lanes_select(lanes_i pick, lanes a, lanes b)
{
	return (lanes)((pick & (lanes_i)a) | (~pick & (lanes_i)b));
}

/* vexp's steps on 16 lanes; NaN stays NaN */
INLINE lanes lanes_exp(lanes x)
{
	const lanes lo = (lanes){ 0 } + EXP_LO, hi = (lanes){ 0 } + EXP_HI;
	x = lanes_select(x < lo, lo, x);
	x = lanes_select(x > hi, hi, x);
	lanes k = EXP_ROUND(x), r = EXP_REM(x, k);
	lanes_i e = (__builtin_convertvector(k, lanes_i) + 127) << 23;
	return EXP_POLY(r) * (lanes)e;
}

/* ---- matrix products ----
 * The plain C product follows GotoBLAS: op(B) is packed in panels of NR
 * columns (KC x NC at a time) and a micro-kernel keeps an MR x NR tile of C
 * in vector registers while it runs down k, so that each value loaded
 * feeds several multiply-adds. op(A) is read where it lies (a broadcast per
 * row and k, from MR rows at once): packing it would cost as much as the
 * multiplications for the output head's shapes. The tile suits the vector
 * registers: 8 x 32 for AVX-512 (16 of its 32), 6 x 16 for AVX2 (12 of 16),
 * 4 x 8 for SSE2. The k loop is unrolled so that its counting takes fewer
 * of the dispatch slots the multiply-adds need. */

#define KC 256
#define NC 1024

/* A's element (r, k) is a[r][k * sk]: a holds the MR row starts (sk = 1
 * when A is row-major, lda when it is op(A) = A^T). The tile is stored
 * into C (store) or added to it. */
typedef void micro_fn(int kc, const float *const *a, size_t sk, const float *Bp, float *C,
		      int ldc, int m, int n, int store);

/* The accumulators stay in registers while k runs; b loads need no
 * alignment. */
#define MICRO(name, target, W, MR_, NR_)                                                      \
	typedef float name##_v __attribute__((vector_size(W * 4)));                            \
	typedef float name##_u __attribute__((vector_size(W * 4), aligned(4)));               \
	target static void name(int kc, const float *const *a, size_t sk, const float *Bp,    \
				float *C, int ldc, int m, int n, int store)                    \
	{                                                                                      \
		name##_v acc[MR_][NR_ / W] = { { { 0 } } };                                    \
		const float *row[MR_];                                                         \
		_Pragma("GCC unroll 8") for (int r = 0; r < MR_; r++)                          \
			row[r] = a[r];                                                         \
		_Pragma("GCC unroll 8") for (size_t k = 0; k < (size_t)kc; k++, Bp += NR_) {   \
			const name##_u *b = (const name##_u *)Bp;                              \
			_Pragma("GCC unroll 8") for (int r = 0; r < MR_; r++)                  \
				_Pragma("GCC unroll 4") for (int c = 0; c < NR_ / W; c++)      \
					acc[r][c] += row[r][k * sk] * b[c];                    \
		}                                                                              \
		_Pragma("GCC unroll 8") for (int r = 0; r < MR_; r++) {                        \
			float *out = C + (size_t)r * ldc;                                      \
			if (r >= m)                                                            \
				break;                                                         \
			if (n == NR_) {                                                        \
				name##_u *o = (name##_u *)out;                                 \
				_Pragma("GCC unroll 4") for (int c = 0; c < NR_ / W; c++)      \
					o[c] = store ? acc[r][c] : o[c] + acc[r][c];           \
				continue;                                                      \
			}                                                                      \
			for (int c = 0; c < NR_ / W; c++)                                      \
				for (int j = 0; j < W && c * W + j < n; j++)                   \
					out[c * W + j] = (store ? 0.0f : out[c * W + j]) +     \
							 acc[r][c][j];                         \
		}                                                                              \
	}

#if defined(__x86_64__) && defined(__GNUC__)
MICRO(micro_avx512, __attribute__((target("avx512f"))), 16, 8, 32)
MICRO(micro_avx2, __attribute__((target("avx2,fma"))), 8, 6, 16)
#endif
MICRO(micro_sse, , 4, 4, 8)

typedef struct gemm_kernel {
	micro_fn *micro;
	int mr, nr;
	const char *isa;
} gemm_kernel;

static gemm_kernel pick_kernel(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		return (gemm_kernel){ micro_avx512, 8, 32, "AVX-512" };
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return (gemm_kernel){ micro_avx2, 6, 16, "AVX2" };
#endif
	return (gemm_kernel){ micro_sse, 4, 8, "SSE2" };
}

const char *mk_plain_isa(void)
{
	return pick_kernel().isa;
}

/* Bp: for each panel of nr columns, kc rows of nr values (zero past n).
 * Each element is copied once per KC x NC block, in straight lines. */
static void pack_b(float *restrict Bp, int nr, const float *restrict B, int ldb, int tb, int k0,
		   int kc, int j0, int n)
{
	for (int jp = 0; jp < n; jp += nr, Bp += (size_t)kc * nr) {
		int w = n - jp < nr ? n - jp : nr;
		if (w < nr)
			memset(Bp, 0, (size_t)kc * nr * sizeof *Bp);
		if (!tb) {
			const float *src = B + (size_t)k0 * ldb + j0 + jp;
			for (int k = 0; k < kc; k++)
				for (int j = 0; j < w; j++)
					Bp[(size_t)k * nr + j] = src[(size_t)k * ldb + j];
			continue;
		}
		for (int j = 0; j < w; j++) {
			const float *src = B + (size_t)(j0 + jp + j) * ldb + k0;
			for (int k = 0; k < kc; k++)
				Bp[(size_t)k * nr + j] = src[k];
		}
	}
}

size_t mk_packed_floats(int K, int N)
{
	int nr = pick_kernel().nr;
	return (size_t)K * (size_t)((N + nr - 1) / nr * nr);
}

void mk_pack_b(float *Bp, const float *B, int ldb, int tb, int K, int j0, int n)
{
	pack_b(Bp + (size_t)j0 * K, pick_kernel().nr, B, ldb, tb, 0, K, j0, n);
}

/* One (j0, k0) block of C (M, nc) += op(A) (M, kc) @ the packed panels of
 * op(B), which start at Bp, pstride floats apart. */
static void gemm_block(gemm_kernel kern, int M, int nc, int kc, const float *A, size_t sr, size_t sk,
		       const float *Bp, size_t pstride, float *C, int ldc, int store)
{
	for (int i0 = 0; i0 < M; i0 += kern.mr) {
		int m = M - i0 < kern.mr ? M - i0 : kern.mr;
		const float *rows[8];
		/* rows past M repeat the last one; their sums are dropped */
		for (int r = 0; r < kern.mr; r++)
			rows[r] = A + (size_t)(i0 + (r < m ? r : m - 1)) * sr;
		for (int jp = 0; jp < nc; jp += kern.nr)
			kern.micro(kc, rows, sk, Bp + (size_t)(jp / kern.nr) * pstride, C + (size_t)i0 * ldc + jp,
				   ldc, m, nc - jp < kern.nr ? nc - jp : kern.nr, store);
	}
}

/* The loops of gemm_plain over a B packed whole: each element of C sees the
 * same multiply-adds in the same order, so the results are the same. */
void mk_gemm_packed(int ta, int M, int N, int K, const float *A, int lda, const float *Bp,
		    float beta, float *C, int ldc)
{
	gemm_kernel kern = pick_kernel();
	size_t sr = ta ? 1 : (size_t)lda, sk = ta ? (size_t)lda : 1;

	if (K == 0 && beta == 0.0f)
		for (int i = 0; i < M; i++)
			memset(C + (size_t)i * ldc, 0, (size_t)N * sizeof *C);
	for (int j0 = 0; j0 < N; j0 += NC) {
		int nc = N - j0 < NC ? N - j0 : NC;
		for (int k0 = 0; k0 < K; k0 += KC)
			gemm_block(kern, M, nc, K - k0 < KC ? K - k0 : KC, A + (size_t)k0 * sk, sr, sk,
				   Bp + (size_t)j0 * K + (size_t)k0 * kern.nr, (size_t)K * kern.nr, C + j0, ldc,
				   k0 == 0 && beta == 0.0f);
	}
}

static void gemm_plain(int ta, int tb, int M, int N, int K, const float *A, int lda,
		       const float *B, int ldb, float beta, float *C, int ldc, float *pack)
{
	gemm_kernel kern = pick_kernel(); /* the CPU's: the same on every call */
	size_t sr = ta ? 1 : (size_t)lda, sk = ta ? (size_t)lda : 1;

	for (int i = 0; i < M && beta != 0.0f && beta != 1.0f; i++)
		for (int j = 0; j < N; j++)
			C[(size_t)i * ldc + j] *= beta;
	if (K == 0 && beta == 0.0f)
		for (int i = 0; i < M; i++)
			memset(C + (size_t)i * ldc, 0, (size_t)N * sizeof *C);
	for (int j0 = 0; j0 < N; j0 += NC) {
		int nc = N - j0 < NC ? N - j0 : NC;
		for (int k0 = 0; k0 < K; k0 += KC) {
			int kc = K - k0 < KC ? K - k0 : KC;
			pack_b(pack, kern.nr, B, ldb, tb, k0, kc, j0, nc);
			gemm_block(kern, M, nc, kc, A + (size_t)k0 * sk, sr, sk, pack, (size_t)kc * kern.nr,
				   C + j0, ldc, k0 == 0 && beta == 0.0f);
		}
	}
}

void mk_gemm(int blas, int ta, int tb, int M, int N, int K, const float *A, int lda,
	     const float *B, int ldb, float beta, float *C, int ldc, float *pack)
{
	if (M <= 0 || N <= 0)
		return;
#ifdef HAVE_OPENBLAS
	if (blas) {
		cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
			    M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
		return;
	}
#else
	(void)blas;
#endif
	gemm_plain(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc, pack);
}

/* ---- normalization, rotation, activations ---- */

VEC void mk_rmsnorm(float *out, float *rstd, const float *in, const float *w, size_t rows, int d,
		    float eps)
{
	for (size_t r = 0; r < rows; r++) {
		const float *x = in + r * d;
		float *y = out + r * d, ss = 0.0f;
#pragma omp simd reduction(+ : ss)
		for (int c = 0; c < d; c++)
			ss += x[c] * x[c];
		float s = 1.0f / sqrtf(ss / (float)d + eps);
		rstd[r] = s;
#pragma omp simd
		for (int c = 0; c < d; c++)
			y[c] = w[c] * (x[c] * s);
	}
}

/* y = w * x * s, s = (mean(x^2) + eps)^-1/2:
 * dx = s * w * dy - x * s^3 / d * sum(w * dy * x), dw += dy * x * s */
VEC void mk_rmsnorm_backward(float *din, float *dw, const float *dout, const float *in,
			     const float *w, const float *rstd, size_t rows, int d)
{
	for (size_t r = 0; r < rows; r++) {
		const float *x = in + r * d, *dy = dout + r * d;
		float *dx = din + r * d, s = rstd[r], dot = 0.0f;
#pragma omp simd reduction(+ : dot)
		for (int c = 0; c < d; c++)
			dot += w[c] * dy[c] * x[c];
		float k = dot * s * s * s / (float)d;
#pragma omp simd
		for (int c = 0; c < d; c++) {
			dx[c] += s * w[c] * dy[c] - k * x[c];
			dw[c] += dy[c] * x[c] * s;
		}
	}
}

void mk_rope(float *q, size_t rows, size_t row0, int T, int heads, int hd, const float *cos,
	     const float *sin, int inverse)
{
	int half = hd / 2;
	float sg = inverse ? -1.0f : 1.0f;

	for (size_t r = 0; r < rows; r++) {
		size_t pos = (row0 + r) % (size_t)T;
		const float *c = cos + pos * half, *s = sin + pos * half;
		for (int h = 0; h < heads; h++) {
			float *x = q + r * (size_t)heads * hd + (size_t)h * hd;
			for (int i = 0; i < half; i++) {
				float a = x[i], b = x[i + half], si = sg * s[i];
				x[i] = a * c[i] - b * si;
				x[i + half] = b * c[i] + a * si;
			}
		}
	}
}

/* ---- attention ---- */

/* Rows of the transposed keys: room for a block of LANES scores that
 * starts at any row below T. */
static size_t keys_ld(int T)
{
	return ((size_t)T + 2 * LANES - 1) / LANES * LANES;
}

size_t mk_attention_scratch(int T, int hd)
{
	return ((size_t)hd + 1) * keys_ld(T);
}

/* row[s] = scale * q . k[s] for s in [s0, t] (and up to LANES - 1 values
 * past t, unused) from kT (hd, ld): multiply-adds down 16 keys at a time,
 * with no sums across lanes; even and odd c in two sums to halve the chain
 * of dependent adds. */
INLINE void attention_scores(float *row, const float *kt, size_t ld, const float *q, int hd,
			     int s0, int t, float scale)
{
	for (int s = s0; s <= t; s += LANES) {
		lanes even = { 0 }, odd = { 0 };
		for (int c = 0; c < hd; c += 2) {
			even += q[c] * *(const lanes_u *)(kt + (size_t)c * ld + s);
			odd += q[c + 1] * *(const lanes_u *)(kt + (size_t)(c + 1) * ld + s);
		}
		*(lanes_u *)(row + s) = (even + odd) * scale;
	}
}

/* o (hd) = the sum over s in [s0, t] of p[s] v[s], 16 columns at a time in
 * registers, four keys in four sums (the adds of one sum wait on each
 * other); the columns past a multiple of 16 one by one. */
INLINE void attention_values(float *o, const float *p, const float *v, size_t kvs, int s0, int t,
			     int hd)
{
	int c = 0;
	for (; c + LANES <= hd; c += LANES) {
		lanes acc[4] = { { 0 } };
		int s = s0;
		for (; s + 3 <= t; s += 4)
#pragma GCC unroll 4
			for (int i = 0; i < 4; i++)
				acc[i] += p[s + i] * *(const lanes_u *)(v + (size_t)(s + i) * kvs + c);
		for (; s <= t; s++)
			acc[0] += p[s] * *(const lanes_u *)(v + (size_t)s * kvs + c);
		*(lanes_u *)(o + c) = (acc[0] + acc[1]) + (acc[2] + acc[3]);
	}
	for (; c < hd; c++) {
		float acc = 0.0f;
		for (int s = s0; s <= t; s++)
			acc += p[s] * v[(size_t)s * kvs + c];
		o[c] = acc;
	}
}

VEC void mk_attention_head(float *out, float *p, int keep, const float *q, const float *k,
			   const float *v, const int32_t *start, int T, int hd, size_t qs, size_t kvs,
			   float *scratch)
{
	size_t ld = keys_ld(T);
	float scale = 1.0f / sqrtf((float)hd), *kt = scratch, *row = scratch + (size_t)hd * ld;

	for (int s = 0; s < T; s++)
		for (int c = 0; c < hd; c++)
			kt[(size_t)c * ld + s] = k[(size_t)s * kvs + c];
	for (int t = 0; t < T; t++) {
		float *pt = keep ? p + (size_t)t * T : row, m = -INFINITY, sum = 0.0f;
		int s0 = start[t];
		attention_scores(row, kt, ld, q + (size_t)t * qs, hd, s0, t, scale);
#pragma omp simd reduction(max : m)
		for (int s = s0; s <= t; s++)
			m = row[s] > m ? row[s] : m;
#pragma omp simd reduction(+ : sum)
		for (int s = s0; s <= t; s++) {
			row[s] = vexp(row[s] - m);
			sum += row[s];
		}
		float inv = 1.0f / sum;
#pragma omp simd
		for (int s = s0; s <= t; s++)
			pt[s] = row[s] * inv;
		attention_values(out + (size_t)t * qs, pt, v, kvs, s0, t, hd);
	}
}

VEC void mk_attention_head_backward(float *dq, float *dk, float *dv, const float *dout,
				    const float *p, const float *q, const float *k, const float *v,
				    const int32_t *start, int T, int hd, size_t qs, size_t kvs,
				    float *dp)
{
	float scale = 1.0f / sqrtf((float)hd);

	for (int t = 0; t < T; t++) {
		const float *pt = p + (size_t)t * T, *dot_ = dout + (size_t)t * qs, *qt = q + (size_t)t * qs;
		float *dqt = dq + (size_t)t * qs, dsum = 0.0f;
		int s0 = start[t];
		for (int s = s0; s <= t; s++) {
			const float *vs = v + (size_t)s * kvs;
			float d = 0.0f;
#pragma omp simd reduction(+ : d)
			for (int c = 0; c < hd; c++)
				d += dot_[c] * vs[c];
			dp[s] = d;
			dsum += pt[s] * d;
		}
		for (int c = 0; c < hd; c++)
			dqt[c] = 0.0f;
		for (int s = s0; s <= t; s++) {
			const float *ks = k + (size_t)s * kvs;
			float *dks = dk + (size_t)s * kvs, *dvs = dv + (size_t)s * kvs;
			float ds = pt[s] * (dp[s] - dsum) * scale, ps = pt[s];
#pragma omp simd
			for (int c = 0; c < hd; c++) {
				dqt[c] += ds * ks[c];
				dks[c] += ds * qt[c];
				dvs[c] += ps * dot_[c];
			}
		}
	}
}

/* ---- elementwise ---- */

VEC void mk_swiglu(float *h, const float *g, const float *u, size_t n)
{
#pragma omp simd
	for (size_t i = 0; i < n; i++)
		h[i] = g[i] / (1.0f + vexp(-g[i])) * u[i];
}

/* h = g * sig(g) * u: dg = dh * u * sig * (1 + g * (1 - sig)), du = dh * g * sig */
VEC void mk_swiglu_backward(float *dg, float *du, const float *dh, const float *g, const float *u,
			    size_t n)
{
#pragma omp simd
	for (size_t i = 0; i < n; i++) {
		float sg = 1.0f / (1.0f + vexp(-g[i]));
		dg[i] = dh[i] * u[i] * sg * (1.0f + g[i] * (1.0f - sg));
		du[i] = dh[i] * g[i] * sg;
	}
}

VEC void mk_add(float *y, const float *a, size_t n)
{
#pragma omp simd
	for (size_t i = 0; i < n; i++)
		y[i] += a[i];
}

VEC double mk_sumsq(const float *g, size_t n)
{
	double s = 0.0;
#pragma omp simd reduction(+ : s)
	for (size_t i = 0; i < n; i++)
		s += (double)g[i] * g[i];
	return s;
}

/* PyTorch's single-tensor AdamW, step for step: decay, moments, then
 * p -= step_size * m / (sqrt(v) / bc2_sqrt + eps). */
VEC void mk_adamw(float *p, float *m, float *v, const float *g, size_t n, float scale, float decay,
		  float beta1, float beta2, float step_size, float bc2_sqrt, float eps)
{
#pragma omp simd
	for (size_t i = 0; i < n; i++) {
		float gi = g[i] * scale;
		float pi = p[i] * decay;
		m[i] = m[i] * beta1 + gi * (1.0f - beta1);
		v[i] = v[i] * beta2 + (1.0f - beta2) * gi * gi;
		p[i] = pi - step_size * (m[i] / (sqrtf(v[i]) / bc2_sqrt + eps));
	}
}

/* ---- the output head's softmax ---- */

/* Down the columns, with the rows as vector lanes: in blocks of
 * MK_STATS_ROWS columns, whose maxima and sums stay in registers while v
 * runs (lanes past rows compute unused values). Two passes, the maxima
 * first, so that each logit costs one exponential. */
VEC void mk_softmax_stats_t(const float *lT, size_t ld, size_t n, size_t rows, float *max, float *sum)
{
	enum { NV = MK_STATS_ROWS / LANES };
	for (size_t r0 = 0; r0 < rows; r0 += MK_STATS_ROWS) {
		lanes mx[NV], sm[NV];
		for (int i = 0; i < NV; i++) {
			mx[i] = (lanes){ 0 } - INFINITY;
			sm[i] = (lanes){ 0 };
		}
		for (size_t v = 0; v < n; v++) {
			const lanes_u *x = (const lanes_u *)(lT + v * ld + r0);
#pragma GCC unroll 4
			for (int i = 0; i < NV; i++)
				mx[i] = lanes_select(x[i] > mx[i], x[i], mx[i]);
		}
		for (size_t v = 0; v < n; v++) {
			const lanes_u *x = (const lanes_u *)(lT + v * ld + r0);
#pragma GCC unroll 4
			for (int i = 0; i < NV; i++)
				sm[i] += lanes_exp(x[i] - mx[i]);
		}
		for (size_t r = 0; r < MK_STATS_ROWS && r0 + r < rows; r++) {
			max[r0 + r] = mx[r / LANES][r % LANES];
			sum[r0 + r] = sm[r / LANES][r % LANES];
		}
	}
}

VEC void mk_softmax_grad_t(float *lT, size_t ld, size_t n, size_t rows, const float *lse, float scale)
{
	for (size_t v = 0; v < n; v++) {
		float *x = lT + v * ld;
#pragma omp simd
		for (size_t r = 0; r < rows; r++)
			x[r] = scale * vexp(x[r] - lse[r]);
	}
}
