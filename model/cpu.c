/* The CPU backend: a small thread pool and ops.h's kernels cut into tasks of
 * a fixed size. Which thread runs a task does not matter (each task writes
 * its own rows, or its own partial sum that is added in task order), so the
 * results do not depend on the thread count. */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "core/buf.h"
#include "model/kernels.h"
#include "model/ops.h"
#ifdef HAVE_OPENBLAS
#include <cblas.h>
#endif

enum {
	ROWS = 64,        /* token rows per task */
	ELEMS = 16384,    /* elements per elementwise task */
	SUM_ELEMS = 65536,/* elements per partial sum of squares */
	HEAD_ROWS = 256,  /* rows per chunk of the output head (a multiple of MK_STATS_ROWS) */
	HEAD_TILE = 1024, /* vocabulary entries per head task */
	HEAD_ROW_TASK = 32 /* rows of a chunk per loss or din task */
};

/* ---- the pool ---- */

typedef void (*task_fn)(void *ctx, size_t task, int tid);

typedef struct pool {
	pthread_t *th;
	int n;                 /* workers besides the caller */
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned gen, busy;     /* busy: workers still on the current kernel */
	int stop;
	task_fn fn;
	void *ctx;
	size_t ntasks, next;
} pool;

typedef struct worker_arg {
	pool *p;
	int tid;
} worker_arg;

static void run_tasks(pool *p, int tid)
{
	size_t t;
	while ((t = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED)) < p->ntasks)
		p->fn(p->ctx, t, tid);
}

/* A forward pass of a small model is dozens of kernels of tens of
 * microseconds, about what it takes a thread to wake from a condition
 * variable: so a thread that waits first watches the counter it waits on
 * for SPIN_NS (the next kernel is usually there by then), and only then
 * sleeps. */
enum { SPIN_NS = 200000 };

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Watches *v until (*v == val) == want (1), or SPIN_NS pass (0). */
static int spin_until(const unsigned *v, unsigned val, int want)
{
	long long end = 0;
	for (unsigned i = 0;; i++) {
		if ((__atomic_load_n(v, __ATOMIC_ACQUIRE) == val) == want)
			return 1;
		if (i % 64 == 0) { /* the clock now and then */
			long long t = now_ns();
			if (!end)
				end = t + SPIN_NS;
			else if (t > end)
				return 0;
		}
	}
}

static void *worker(void *arg)
{
	worker_arg *w = arg;
	pool *p = w->p;
	unsigned seen = 0;

	for (;;) {
		spin_until(&p->gen, seen, 0);
		pthread_mutex_lock(&p->mu);
		while (p->gen == seen && !p->stop)
			pthread_cond_wait(&p->go, &p->mu);
		seen = p->gen;
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		pthread_mutex_unlock(&p->mu);
		run_tasks(p, w->tid);
		pthread_mutex_lock(&p->mu);
		if (__atomic_sub_fetch(&p->busy, 1, __ATOMIC_RELEASE) == 0)
			pthread_cond_signal(&p->done);
		pthread_mutex_unlock(&p->mu);
	}
}

static void pool_run(pool *p, size_t ntasks, task_fn fn, void *ctx)
{
	if (ntasks == 0)
		return;
	if (p->n == 0 || ntasks == 1) {
		for (size_t t = 0; t < ntasks; t++)
			fn(ctx, t, 0);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->ctx = ctx;
	p->ntasks = ntasks;
	p->next = 0;
	p->busy = p->n;
	__atomic_store_n(&p->gen, p->gen + 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	run_tasks(p, 0);
	if (spin_until(&p->busy, 0, 1))
		return;
	pthread_mutex_lock(&p->mu);
	while (p->busy)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

static worker_arg *pool_start(pool *p, int workers)
{
	worker_arg *args = cur_calloc_array((size_t)workers + 1, sizeof *args);

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	p->th = cur_calloc_array((size_t)workers + 1, sizeof *p->th);
	if (!args || !p->th) {
		free(args);
		free(p->th);
		p->th = NULL;
		return NULL;
	}
	for (int i = 0; i < workers; i++) {
		args[i].p = p;
		args[i].tid = i + 1;
		if (pthread_create(&p->th[i], NULL, worker, &args[i]) != 0)
			break;
		p->n++;
	}
	return args;
}

static void pool_stop(pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->n; i++)
		pthread_join(p->th[i], NULL);
	free(p->th);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
}

/* ---- the exec ---- */

struct model_exec {
	model_exec_size size;
	int threads, blas;
	pool pool;
	worker_arg *args;
	float *pack;        /* threads x MK_PACK_FLOATS */
	float *att;         /* threads x att_stride: attention's scratch, then start rows */
	size_t att_stride, att_rel;
	float *tile;        /* threads x HEAD_ROWS x HEAD_TILE: a tile of logits */
	float *hmax, *hsum; /* ntiles x HEAD_ROWS: each tile's row maxima and sums */
	float *htgt, *hlse; /* HEAD_ROWS: target logits, log-sum-exps */
	float *dxpart;      /* ntiles x HEAD_ROWS x dim (training) */
	float *normpart;    /* row blocks x dim */
	float *bpack;       /* a weight matrix or the head's rows, packed (plain kernel) */
	size_t nbpack;
	double *sumpart;
	size_t nsumpart;
};

static size_t ceil_div(size_t a, size_t b)
{
	return (a + b - 1) / b;
}

static float *fbuf(size_t n)
{
	if (n > SIZE_MAX / sizeof(float) - 64)
		return NULL;
	size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
	float *p = aligned_alloc(64, bytes ? bytes : 64);
	if (p)
		memset(p, 0, bytes);
	return p;
}

static float *cpu_alloc(model_exec *x, size_t n)
{
	(void)x;
	return fbuf(n);
}

static void cpu_release(model_exec *x, float *p)
{
	(void)x;
	free(p);
}

static void cpu_copy(model_exec *x, void *dst, const void *src, size_t bytes)
{
	(void)x;
	memcpy(dst, src, bytes);
}


static void cpu_exec_free(model_exec *x)
{
	if (!x)
		return;
	if (x->args)
		pool_stop(&x->pool);
	free(x->args);
	free(x->pack);
	free(x->att);
	free(x->tile);
	free(x->hmax);
	free(x->hsum);
	free(x->hlse);
	free(x->htgt);
	free(x->dxpart);
	free(x->normpart);
	free(x->bpack);
	free(x->sumpart);
	free(x);
}

/* ---- kernels as tasks ---- */

typedef struct job {
	model_exec *x;
	float *out, *out2, *out3;
	const float *a, *b, *c, *d, *e;
	const uint32_t *ids;
	const int32_t *start;
	size_t n;
	int i, o, T, nh, nkv, hd, V;
	float f;
	int flag;
	const model_adamw_args *adam;
} job;

static size_t span(size_t task, size_t block, size_t n, size_t *len)
{
	size_t b = task * block;
	*len = n - b < block ? n - b : block;
	return b;
}

static void t_embed(void *ctx, size_t task, int tid)
{
	job *j = ctx;
	size_t len, r0 = span(task, ROWS, j->n, &len);
	(void)tid;
	for (size_t r = r0; r < r0 + len; r++)
		memcpy(j->out + r * j->i, j->a + (size_t)j->ids[r] * j->i, (size_t)j->i * sizeof(float));
}

static void cpu_embed(model_exec *x, float *out, const float *E, const uint32_t *ids, size_t N, int d)
{
	job j = { .x = x, .out = out, .a = E, .ids = ids, .n = N, .i = d };
	pool_run(&x->pool, ceil_div(N, ROWS), t_embed, &j);
}

/* Each task owns a range of vocabulary ids and adds its rows in input
 * order: no two tasks touch one row. */
enum { EMBED_RANGES = 64 };

static void t_embed_backward(void *ctx, size_t task, int tid)
{
	job *j = ctx;
	size_t per = ceil_div((size_t)j->V, EMBED_RANGES), lo = task * per, hi = lo + per;
	(void)tid;
	for (size_t r = 0; r < j->n; r++) {
		if (j->ids[r] < lo || j->ids[r] >= hi)
			continue;
		float *dst = j->out + (size_t)j->ids[r] * j->i;
		mk_add(dst, j->a + r * j->i, (size_t)j->i);
	}
}

static void cpu_embed_backward(model_exec *x, float *dE, const float *dout, const uint32_t *ids,
			       size_t N, int d, int V)
{
	job j = { .x = x, .out = dE, .a = dout, .ids = ids, .n = N, .i = d, .V = V };
	pool_run(&x->pool, EMBED_RANGES, t_embed_backward, &j);
}

static void t_rmsnorm(void *ctx, size_t task, int tid)
{
	job *j = ctx;
	size_t len, r0 = span(task, ROWS, j->n, &len);
	(void)tid;
	mk_rmsnorm(j->out + r0 * j->i, j->out2 + r0, j->a + r0 * j->i, j->b, len, j->i, j->f);
}

static void cpu_rmsnorm(model_exec *x, float *out, float *rstd, const float *in, const float *w,
			size_t N, int d, float eps)
{
	job j = { .x = x, .out = out, .out2 = rstd, .a = in, .b = w, .n = N, .i = d, .f = eps };
	pool_run(&x->pool, ceil_div(N, ROWS), t_rmsnorm, &j);
}

static void t_rmsnorm_backward(void *ctx, size_t task, int tid)
{
	job *j = ctx;
	size_t len, r0 = span(task, ROWS, j->n, &len);
	float *dw = j->x->normpart + task * j->i;
	(void)tid;
	memset(dw, 0, (size_t)j->i * sizeof *dw);
	mk_rmsnorm_backward(j->out + r0 * j->i, dw, j->a + r0 * j->i, j->b + r0 * j->i, j->c,
			    j->d + r0, len, j->i);
}

static void cpu_rmsnorm_backward(model_exec *x, float *din, float *dw, const float *dout,
				 const float *in, const float *w, const float *rstd, size_t N, int d)
{
	job j = { .x = x, .out = din, .a = dout, .b = in, .c = w, .d = rstd, .n = N, .i = d };
	size_t blocks = ceil_div(N, ROWS);
	pool_run(&x->pool, blocks, t_rmsnorm_backward, &j);
	for (size_t b = 0; b < blocks; b++)
		mk_add(dw, x->normpart + b * d, (size_t)d);
}

static void t_matmul(void *ctx, size_t task, int tid)
{
	job *j = ctx;
	size_t len, r0 = span(task, ROWS, j->n, &len);
	float *pack = j->x->pack + (size_t)tid * MK_PACK_FLOATS;
	mk_gemm(j->x->blas, 0, 1, (int)len, j->o, j->i, j->a + r0 * j->i, j->i, j->b, j->i, 0.0f,
		j->out + r0 * j->o, j->o, pack);
}

/* With the plain kernel, W is packed once for all row blocks: tasks pack
 * ranges of PACK_COLS of its rows, then row blocks multiply. */
enum { PACK_COLS = 128 };

static void t_pack_weight(void *ctx, size_t task, int tid)
{
	job *j = ctx;
	size_t len, c0 = span(task, PACK_COLS, (size_t)j->o, &len);
	(void)tid;
	mk_pack_b(j->x->bpack, j->b, j->i, 1, j->i, (int)c0, (int)len);
}

static void t_matmul_packed(void *ctx, size_t task, int tid)
{
	job *j = ctx;
	size_t len, r0 = span(task, ROWS, j->n, &len);
	(void)tid;
	mk_gemm_packed(0, (int)len, j->o, j->i, j->a + r0 * j->i, j->i, j->x->bpack, 0.0f,
		       j->out + r0 * j->o, j->o);
}

static void cpu_matmul(model_exec *x, float *out, const float *in, const float *W, size_t N, int i, int o)
{
	job j = { .x = x, .out = out, .a = in, .b = W, .n = N, .i = i, .o = o };
	if (x->blas || mk_packed_floats(i, o) > x->nbpack) {
		pool_run(&x->pool, ceil_div(N, ROWS), t_matmul, &j);
		return;
	}
	pool_run(&x->pool, ceil_div((size_t)o, PACK_COLS), t_pack_weight, &j);
	pool_run(&x->pool, ceil_div(N, ROWS), t_matmul_packed, &j);
}

/* Tasks [0, row blocks) compute din rows, the rest dW rows. */
static void t_matmul_backward(void *ctx, size_t task, int tid)
{
	job *j = ctx;
	float *pack = j->x->pack + (size_t)tid * MK_PACK_FLOATS;
	size_t rb = ceil_div(j->n, ROWS), len;
	if (task < rb) {
		size_t r0 = span(task, ROWS, j->n, &len);
		mk_gemm(j->x->blas, 0, 0, (int)len, j->i, j->o, j->a + r0 * j->o, j->o, j->c, j->i, 1.0f,
			j->out + r0 * j->i, j->i, pack);
		return;
	}
	size_t o0 = span(task - rb, ROWS, (size_t)j->o, &len);
	mk_gemm(j->x->blas, 1, 0, (int)len, j->i, (int)j->n, j->a + o0, j->o, j->b, j->i, 1.0f,
		j->out2 + o0 * j->i, j->i, pack);
}

static void cpu_matmul_backward(model_exec *x, float *din, float *dW, const float *dout,
				const float *in, const float *W, size_t N, int i, int o)
{
	job j = { .x = x, .out = din, .out2 = dW, .a = dout, .b = in, .c = W, .n = N, .i = i, .o = o };
	pool_run(&x->pool, ceil_div(N, ROWS) + ceil_div((size_t)o, ROWS), t_matmul_backward, &j);
}

static void t_rope(void *ctx, size_t task, int tid)
{
	job *j = ctx;
	size_t len, r0 = span(task, ROWS, j->n, &len);
	(void)tid;
	mk_rope(j->out + r0 * (size_t)j->nh * j->hd, len, r0, j->T, j->nh, j->hd, j->a, j->b, j->flag);
}

static void cpu_rope(model_exec *x, float *q, size_t N, int T, int heads, int hd, const float *cos,
		     const float *sin, int inverse)
{
	job j = { .x = x, .out = q, .a = cos, .b = sin, .n = N, .T = T, .nh = heads, .hd = hd,
		  .flag = inverse };
	pool_run(&x->pool, ceil_div(N, ROWS), t_rope, &j);
}

/* start[] holds absolute rows; a (sequence, head) task wants them relative
 * to its sequence: the kernels take start - b*T through this window. */
static void seq_start(const int32_t *start, int b, int T, int32_t *rel)
{
	for (int t = 0; t < T; t++)
		rel[t] = start[(size_t)b * T + t] - b * T;
}

/* The thread's attention scratch (mk_attention_scratch's, or dp for the
 * backward pass) and its rows of relative starts. */
static float *att_scratch(model_exec *x, int tid, int32_t **rel)
{
	float *base = x->att + (size_t)tid * x->att_stride;
	*rel = (int32_t *)(base + x->att_rel);
	return base;
}

static void t_attention(void *ctx, size_t task, int tid)
{
	job *j = ctx;
	int b = (int)(task / (size_t)j->nh), h = (int)(task % (size_t)j->nh), g = h / (j->nh / j->nkv);
	size_t qs = (size_t)j->nh * j->hd, kvs = (size_t)j->nkv * j->hd, row = (size_t)b * j->T;
	int32_t *rel;
	float *scratch = att_scratch(j->x, tid, &rel);
	float *p = j->out2 ? j->out2 + ((size_t)b * j->nh + h) * j->T * j->T : NULL;
	seq_start(j->start, b, j->T, rel);
	mk_attention_head(j->out + row * qs + (size_t)h * j->hd, p, j->out2 != NULL,
			  j->a + row * qs + (size_t)h * j->hd, j->b + row * kvs + (size_t)g * j->hd,
			  j->c + row * kvs + (size_t)g * j->hd, rel, j->T, j->hd, qs, kvs, scratch);
}

static void cpu_attention(model_exec *x, float *out, float *att, const float *q, const float *k,
			  const float *v, const int32_t *start, int B, int T, int nh, int nkv, int hd)
{
	job j = { .x = x, .out = out, .out2 = att, .a = q, .b = k, .c = v, .start = start, .T = T,
		  .nh = nh, .nkv = nkv, .hd = hd };
	pool_run(&x->pool, (size_t)B * nh, t_attention, &j);
}

/* One task per (sequence, kv head): it owns that kv head's dk and dv rows
 * and the dq of the query heads that share it. */
static void t_attention_backward(void *ctx, size_t task, int tid)
{
	job *j = ctx;
	int b = (int)(task / (size_t)j->nkv), g = (int)(task % (size_t)j->nkv), rep = j->nh / j->nkv;
	size_t qs = (size_t)j->nh * j->hd, kvs = (size_t)j->nkv * j->hd, row = (size_t)b * j->T;
	int32_t *rel;
	float *dp = att_scratch(j->x, tid, &rel);
	float *dk = j->out2 + row * kvs + (size_t)g * j->hd, *dv = j->out3 + row * kvs + (size_t)g * j->hd;
	seq_start(j->start, b, j->T, rel);
	for (int t = 0; t < j->T; t++) {
		memset(dk + (size_t)t * kvs, 0, (size_t)j->hd * sizeof(float));
		memset(dv + (size_t)t * kvs, 0, (size_t)j->hd * sizeof(float));
	}
	for (int h = g * rep; h < (g + 1) * rep; h++)
		mk_attention_head_backward(j->out + row * qs + (size_t)h * j->hd, dk, dv,
					   j->a + row * qs + (size_t)h * j->hd,
					   j->b + ((size_t)b * j->nh + h) * j->T * j->T,
					   j->c + row * qs + (size_t)h * j->hd,
					   j->d + row * kvs + (size_t)g * j->hd,
					   j->e + row * kvs + (size_t)g * j->hd, rel, j->T, j->hd, qs, kvs, dp);
}

static void cpu_attention_backward(model_exec *x, float *dq, float *dk, float *dv, const float *dout,
				   const float *att, const float *q, const float *k, const float *v,
				   const int32_t *start, int B, int T, int nh, int nkv, int hd)
{
	job j = { .x = x, .out = dq, .out2 = dk, .out3 = dv, .a = dout, .b = att, .c = q, .d = k,
		  .e = v, .start = start, .T = T, .nh = nh, .nkv = nkv, .hd = hd };
	pool_run(&x->pool, (size_t)B * nkv, t_attention_backward, &j);
}

static void t_elementwise(void *ctx, size_t task, int tid)
{
	job *j = ctx;
	size_t len, e0 = span(task, ELEMS, j->n, &len);
	(void)tid;
	switch (j->flag) {
	case 0:
		mk_swiglu(j->out + e0, j->a + e0, j->b + e0, len);
		break;
	case 1:
		mk_swiglu_backward(j->out + e0, j->out2 + e0, j->a + e0, j->b + e0, j->c + e0, len);
		break;
	case 2:
		mk_add(j->out + e0, j->a + e0, len);
		break;
	case 3:
		memset(j->out + e0, 0, len * sizeof(float));
		break;
	}
}

/* in tasks, like the rest: the gradient is most of the memory a step writes */
static void cpu_zero(model_exec *x, float *p, size_t n)
{
	job j = { .x = x, .out = p, .n = n, .flag = 3 };
	pool_run(&x->pool, ceil_div(n, ELEMS), t_elementwise, &j);
}

static void cpu_swiglu(model_exec *x, float *h, const float *g, const float *u, size_t n)
{
	job j = { .x = x, .out = h, .a = g, .b = u, .n = n, .flag = 0 };
	pool_run(&x->pool, ceil_div(n, ELEMS), t_elementwise, &j);
}

static void cpu_swiglu_backward(model_exec *x, float *dg, float *du, const float *dh, const float *g,
				const float *u, size_t n)
{
	job j = { .x = x, .out = dg, .out2 = du, .a = dh, .b = g, .c = u, .n = n, .flag = 1 };
	pool_run(&x->pool, ceil_div(n, ELEMS), t_elementwise, &j);
}

static void cpu_add(model_exec *x, float *y, const float *a, size_t n)
{
	job j = { .x = x, .out = y, .a = a, .n = n, .flag = 2 };
	pool_run(&x->pool, ceil_div(n, ELEMS), t_elementwise, &j);
}

static void t_sumsq(void *ctx, size_t task, int tid)
{
	job *j = ctx;
	size_t len, e0 = span(task, SUM_ELEMS, j->n, &len);
	(void)tid;
	j->x->sumpart[task] = mk_sumsq(j->a + e0, len);
}

static double cpu_sumsq(model_exec *x, const float *g, size_t n)
{
	job j = { .x = x, .a = g, .n = n };
	size_t tasks = ceil_div(n, SUM_ELEMS);
	double s = 0.0;
	if (tasks > x->nsumpart) /* beyond the size the exec was made for */
		return NAN;
	pool_run(&x->pool, tasks, t_sumsq, &j);
	for (size_t t = 0; t < tasks; t++)
		s += x->sumpart[t];
	return s;
}

static void t_adamw(void *ctx, size_t task, int tid)
{
	job *j = ctx;
	const model_adamw_args *a = j->adam;
	size_t len, e0 = span(task, ELEMS, j->n, &len);
	double bc1 = 1.0 - pow(a->beta1, (double)a->step), bc2 = 1.0 - pow(a->beta2, (double)a->step);
	(void)tid;
	mk_adamw(j->out + e0, j->out2 + e0, j->out3 + e0, j->a + e0, len, a->grad_scale,
		 j->flag ? 1.0f - a->lr * a->weight_decay : 1.0f, a->beta1, a->beta2,
		 (float)(a->lr / bc1), (float)sqrt(bc2), a->eps);
}

static void cpu_adamw(model_exec *x, float *p, float *m, float *v, const float *g, size_t n, int decay,
		      const model_adamw_args *a)
{
	job j = { .x = x, .out = p, .out2 = m, .out3 = v, .a = g, .n = n, .flag = decay, .adam = a };
	pool_run(&x->pool, ceil_div(n, ELEMS), t_adamw, &j);
}

/* ---- the output head ----
 * Rows go in chunks of HEAD_ROWS; within a chunk, one task per tile of
 * HEAD_TILE vocabulary entries computes the tile's logits in the thread's
 * scratch (it stays in the core's cache) and their row maxima and sums of
 * exponentials. The tiles' figures are combined in tile order into each
 * row's log-sum-exp. For training a second round of tile tasks computes the
 * tile's logits again (cheaper than keeping (N, V) of them in memory),
 * turns them into the softmax gradient, adds the tile's rows of dW and a
 * partial din that is summed in tile order.
 *
 * A tile is stored transposed, lT (nv, rows): then every product reads the
 * weights where they lie and packs only the chunk's activations, which are
 * four times smaller than a tile of weights (and the softmax runs down the
 * rows as vector lanes). */

typedef struct head_job {
	model_exec *x;
	const float *in, *W;
	float *dW, *din, *loss;
	const uint32_t *targets;
	size_t r0, rows;
	int d, V;
	float scale;
} head_job;

/* lT (nv, rows) = W[v0..v0+nv) (nv, d) @ in (rows, d)^T, stride HEAD_ROWS,
 * in the thread's scratch */
static float *tile_logits(head_job *h, size_t tile, int tid, size_t *v0, size_t *nv)
{
	model_exec *x = h->x;
	float *l = x->tile + (size_t)tid * HEAD_ROWS * HEAD_TILE;
	*v0 = tile * HEAD_TILE;
	*nv = (size_t)h->V - *v0 < HEAD_TILE ? (size_t)h->V - *v0 : HEAD_TILE;
	if (!x->blas) {
		mk_gemm_packed(0, (int)*nv, (int)h->rows, h->d, h->W + *v0 * h->d, h->d, x->bpack, 0.0f, l,
			       HEAD_ROWS);
		return l;
	}
	mk_gemm(x->blas, 0, 1, (int)*nv, (int)h->rows, h->d, h->W + *v0 * h->d, h->d,
		h->in + h->r0 * h->d, h->d, 0.0f, l, HEAD_ROWS, x->pack + (size_t)tid * MK_PACK_FLOATS);
	return l;
}

static void t_head_forward(void *ctx, size_t tile, int tid)
{
	head_job *h = ctx;
	model_exec *x = h->x;
	size_t v0, nv;
	float *l = tile_logits(h, tile, tid, &v0, &nv);

	for (size_t r = 0; r < h->rows; r++) {
		uint32_t t = h->targets[h->r0 + r];
		if (t >= v0 && t < v0 + nv)
			x->htgt[r] = l[(t - v0) * HEAD_ROWS + r];
	}
	mk_softmax_stats_t(l, HEAD_ROWS, nv, h->rows, x->hmax + tile * HEAD_ROWS, x->hsum + tile * HEAD_ROWS);
}

static void t_head_backward(void *ctx, size_t tile, int tid)
{
	head_job *h = ctx;
	model_exec *x = h->x;
	size_t v0, nv;
	float *g = tile_logits(h, tile, tid, &v0, &nv), *pack = x->pack + (size_t)tid * MK_PACK_FLOATS;
	const float *in = h->in + h->r0 * h->d;

	/* gT = scale * (softmax - one-hot of the target) */
	mk_softmax_grad_t(g, HEAD_ROWS, nv, h->rows, x->hlse, h->scale);
	for (size_t r = 0; r < h->rows; r++) {
		uint32_t t = h->targets[h->r0 + r];
		if (t >= v0 && t < v0 + nv)
			g[(t - v0) * HEAD_ROWS + r] -= h->scale;
	}
	/* dW tile (nv, d) += gT (nv, rows) @ in (rows, d) */
	mk_gemm(x->blas, 0, 0, (int)nv, h->d, (int)h->rows, g, HEAD_ROWS, in, h->d, 1.0f,
		h->dW + v0 * h->d, h->d, pack);
	/* din part (rows, d) = gT^T (rows, nv) @ W tile (nv, d) */
	mk_gemm(x->blas, 1, 0, (int)h->rows, h->d, (int)nv, g, HEAD_ROWS, h->W + v0 * h->d, h->d, 0.0f,
		x->dxpart + tile * HEAD_ROWS * h->d, h->d, pack);
}

/* din of HEAD_ROW_TASK rows of a chunk: the tiles' parts added in tile order. */
static void t_head_din(void *ctx, size_t task, int tid)
{
	head_job *h = ctx;
	size_t len, r0 = span(task, HEAD_ROW_TASK, h->rows, &len), ntiles = ceil_div((size_t)h->V, HEAD_TILE);
	(void)tid;
	for (size_t r = r0; r < r0 + len; r++) {
		float *dx = h->din + (h->r0 + r) * h->d;
		memset(dx, 0, (size_t)h->d * sizeof *dx);
		for (size_t t = 0; t < ntiles; t++)
			mk_add(dx, h->x->dxpart + (t * HEAD_ROWS + r) * h->d, (size_t)h->d);
	}
}

/* The losses of HEAD_ROW_TASK rows of a chunk: each row's log-sum-exp from its
 * tiles' maxima and sums, combined in tile order in double. */
static void t_head_loss(void *ctx, size_t task, int tid)
{
	head_job *h = ctx;
	model_exec *x = h->x;
	size_t len, r0 = span(task, HEAD_ROW_TASK, h->rows, &len), ntiles = ceil_div((size_t)h->V, HEAD_TILE);
	(void)tid;
	for (size_t r = r0; r < r0 + len; r++) {
		float m = -INFINITY;
		double s = 0.0;
		for (size_t t = 0; t < ntiles; t++)
			m = fmaxf(m, x->hmax[t * HEAD_ROWS + r]);
		for (size_t t = 0; t < ntiles; t++)
			s += (double)x->hsum[t * HEAD_ROWS + r] * exp((double)x->hmax[t * HEAD_ROWS + r] - m);
		double lse = m + log(s);
		h->loss[h->r0 + r] = (float)(lse - x->htgt[r]);
		x->hlse[r] = (float)lse;
	}
}

static void cpu_head(model_exec *x, float *loss, float *din, float *dW, const float *in,
		     const float *W, const uint32_t *targets, float grad_scale, size_t N, int d, int V)
{
	size_t ntiles = ceil_div((size_t)V, HEAD_TILE);

	for (size_t r0 = 0; r0 < N; r0 += HEAD_ROWS) {
		head_job h = { .x = x, .in = in, .W = W, .dW = dW, .din = din, .loss = loss, .targets = targets,
			       .r0 = r0, .rows = N - r0 < HEAD_ROWS ? N - r0 : HEAD_ROWS, .d = d, .V = V,
			       .scale = grad_scale };
		if (!x->blas) { /* the chunk's rows, packed once for every tile */
			job p = { .x = x, .b = in + r0 * d, .i = d, .o = (int)h.rows };
			pool_run(&x->pool, ceil_div(h.rows, PACK_COLS), t_pack_weight, &p);
		}
		pool_run(&x->pool, ntiles, t_head_forward, &h);
		pool_run(&x->pool, ceil_div(h.rows, HEAD_ROW_TASK), t_head_loss, &h);
		if (!dW)
			continue;
		pool_run(&x->pool, ntiles, t_head_backward, &h);
		pool_run(&x->pool, ceil_div(h.rows, HEAD_ROW_TASK), t_head_din, &h);
	}
}

static const model_ops cpu_ops = {
	.name = "cpu",
	.exec_free = cpu_exec_free,
	.alloc = cpu_alloc,
	.release = cpu_release,
	.upload = cpu_copy,
	.download = cpu_copy,
	.zero = cpu_zero,
	.embed = cpu_embed,
	.embed_backward = cpu_embed_backward,
	.rmsnorm = cpu_rmsnorm,
	.rmsnorm_backward = cpu_rmsnorm_backward,
	.matmul = cpu_matmul,
	.matmul_backward = cpu_matmul_backward,
	.rope = cpu_rope,
	.attention = cpu_attention,
	.attention_backward = cpu_attention_backward,
	.swiglu = cpu_swiglu,
	.swiglu_backward = cpu_swiglu_backward,
	.add = cpu_add,
	.head = cpu_head,
	.sumsq = cpu_sumsq,
	.adamw = cpu_adamw,
};

int model_matmul_parse(const char *s)
{
	return !strcmp(s, "auto") ? MODEL_MATMUL_AUTO : !strcmp(s, "openblas") ? MODEL_MATMUL_OPENBLAS
	       : !strcmp(s, "plain") ? MODEL_MATMUL_PLAIN : -1;
}

#ifdef HAVE_OPENBLAS
/* OpenBLAS's x86 kernels that use AVX2 or AVX-512 (openblas_get_corename). */
static int openblas_is_wide(void)
{
	static const char *const wide[] = { "haswell", "zen", "skylakex", "cooperlake", "sapphirerapids" };
	const char *core = openblas_get_corename();
	for (size_t i = 0; core && i < sizeof wide / sizeof wide[0]; i++)
		if (strcasecmp(core, wide[i]) == 0)
			return 1;
	return 0;
}
#endif

int model_matmul_resolve(int want)
{
#ifdef HAVE_OPENBLAS
	if (want == MODEL_MATMUL_OPENBLAS)
		return MODEL_MATMUL_OPENBLAS;
	/* curate's AVX-512 kernel, with each weight matrix packed once per
	 * product, is faster than OpenBLAS's for the model's shapes */
	if (want == MODEL_MATMUL_AUTO && strcmp(mk_plain_isa(), "AVX-512") != 0 &&
	    (openblas_is_wide() || strcmp(mk_plain_isa(), "SSE2") == 0))
		return MODEL_MATMUL_OPENBLAS;
#else
	(void)want;
#endif
	return MODEL_MATMUL_PLAIN;
}

const char *model_matmul_name(int resolved)
{
	static char name[96];
#ifdef HAVE_OPENBLAS
	if (resolved == MODEL_MATMUL_OPENBLAS) {
		snprintf(name, sizeof name, "OpenBLAS (%s kernels)", openblas_get_corename());
		return name;
	}
#else
	(void)resolved;
#endif
	snprintf(name, sizeof name, "curate's %s kernels", mk_plain_isa());
	return name;
}

const model_ops *model_cpu_ops(void)
{
	return &cpu_ops;
}

int model_cpu_exec_new(int threads, int matmul, const model_exec_size *size, model_exec **out,
		       cur_err *err)
{
	model_exec *x = calloc(1, sizeof *x);
	size_t ntiles = ceil_div((size_t)size->vocab, HEAD_TILE), T = (size_t)size->max_T;

	*out = NULL;
	if (!x)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	if (threads < 1)
		threads = 1;
	x->size = *size;
	x->threads = threads;
	x->blas = model_matmul_resolve(matmul) == MODEL_MATMUL_OPENBLAS;
#ifdef HAVE_OPENBLAS
	/* Our threads split the work; each BLAS call runs on its caller. */
	if (x->blas)
		openblas_set_num_threads(1);
#endif
	x->nsumpart = ceil_div(size->max_elems ? size->max_elems : 1, SUM_ELEMS);
	x->pack = fbuf((size_t)threads * MK_PACK_FLOATS);
	/* at least T floats, for the backward pass's dp */
	x->att_rel = mk_attention_scratch((int)T, size->head_dim > 1 ? size->head_dim : 1);
	x->att_stride = x->att_rel + (T ? T : 1);
	x->att = fbuf((size_t)threads * x->att_stride);
	x->tile = fbuf((size_t)threads * HEAD_ROWS * HEAD_TILE);
	x->hmax = fbuf(ntiles * HEAD_ROWS);
	x->hsum = fbuf(ntiles * HEAD_ROWS);
	x->hlse = fbuf(HEAD_ROWS);
	x->htgt = fbuf(HEAD_ROWS);
	x->dxpart = size->training ? fbuf(ntiles * HEAD_ROWS * size->dim) : fbuf(1);
	x->normpart = fbuf(ceil_div(size->max_rows, ROWS) * (size_t)size->dim);
	x->nbpack = mk_packed_floats(size->dim, HEAD_ROWS);
	if (mk_packed_floats(size->max_in, size->max_out) > x->nbpack)
		x->nbpack = mk_packed_floats(size->max_in, size->max_out);
	x->bpack = fbuf(x->nbpack);
	x->sumpart = cur_calloc_array(x->nsumpart, sizeof *x->sumpart);
	x->args = pool_start(&x->pool, threads - 1);
	if (!x->pack || !x->att || !x->tile || !x->hmax || !x->hsum || !x->hlse ||
	    !x->htgt || !x->dxpart || !x->normpart || !x->bpack || !x->sumpart || !x->args) {
		cpu_exec_free(x);
		return cur_err_set(err, CUR_ENOMEM, "out of memory for the model's buffers");
	}
	*out = x;
	return CUR_OK;
}
