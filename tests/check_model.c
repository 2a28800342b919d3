/* Unit tests for model/: safetensors and config.json, every kernel's
 * gradient against finite differences (plain C and OpenBLAS products), the
 * whole model's gradient, determinism across thread counts, checkpoints. */
#include "config.h"

#include <check.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/buf.h"
#include "model/model.h"
#include "model/model_int.h"
#include "model/ops.h"
#include "model/safetensors.h"

/* ---- helpers ---- */

static uint64_t rng_state = 42;

static float frand(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (float)((double)(rng_state >> 40) / (double)(1ULL << 24) * 2.0 - 1.0);
}

static float *randv(size_t n, float scale)
{
	float *p = malloc(n * sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = frand() * scale;
	return p;
}

static char *tmpdir_new(void)
{
	char tmpl[] = "/tmp/check_model.XXXXXX";
	char *d = mkdtemp(tmpl);
	ck_assert_ptr_nonnull(d);
	return strdup(d);
}

static void rm_rf(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int have_blas(void)
{
	return model_matmul_resolve(MODEL_MATMUL_OPENBLAS) == MODEL_MATMUL_OPENBLAS;
}

/* A small config: vocabulary above one head tile so that tiles combine. */
static model_config small_config(int tied)
{
	model_config c = { .vocab_size = 5000, .dim = 16, .hidden_dim = 24, .n_layers = 2,
			   .n_heads = 4, .n_kv_heads = 2, .head_dim = 4, .max_seq = 16,
			   .norm_eps = 1e-5, .rope_theta = 500000.0, .tied = tied };
	return c;
}

static model_exec *exec_for(int threads, int blas, int dim, int vocab, int T, size_t rows,
			    size_t elems)
{
	model_exec_size s = { .dim = dim, .vocab = vocab, .max_T = T, .max_heads = 8, .head_dim = 16,
			      .max_rows = rows, .max_elems = elems, .max_in = 128, .max_out = 128,
			      .training = 1 };
	model_exec *x;
	cur_err e;
	ck_assert_int_eq(model_cpu_exec_new(threads, blas ? MODEL_MATMUL_OPENBLAS : MODEL_MATMUL_PLAIN, &s, &x, &e),
			 CUR_OK);
	return x;
}

/* ---- finite differences ----
 * The checked function is L = sum(r * out) for a fixed random r; its
 * gradient is the backward pass with dout = r. Central differences of a
 * float32 computation are good to a few 1e-3 (rounding of the loss against
 * the curvature), so the test compares the two vectors as a whole (the
 * relative size of their difference, under 1e-2) and each entry loosely
 * (under 1e-1 of its size or of 5% of the vector's largest entry); a wrong
 * derivative is off by far more. */

typedef double (*loss_fn)(void *ctx);

static void fd_check(const char *what, float *x, size_t n, const float *analytic, loss_fn f,
		     void *ctx, float h)
{
	double num2 = 0, diff2 = 0, worst = 0, big = 0;
	size_t step = n > 40 ? n / 40 : 1;
	for (size_t i = 0; i < n; i += step)
		big = fmax(big, fabs(analytic[i]));
	for (size_t i = 0; i < n; i += step) {
		float v = x[i];
		x[i] = v + h;
		double lp = f(ctx);
		x[i] = v - h;
		double lm = f(ctx);
		x[i] = v;
		double num = (lp - lm) / (2.0 * (double)h), a = analytic[i];
		num2 += num * num + a * a;
		diff2 += (num - a) * (num - a);
		double rel = fabs(num - a) / fmax(0.05 * big + 1e-3, fabs(num) + fabs(a));
		if (rel > worst)
			worst = rel;
	}
	double rel = sqrt(diff2 / fmax(num2, 1e-30));
	if (rel > 1e-2 || worst > 1e-1)
		ck_abort_msg("%s: gradient differs from finite differences (relative %.2e, worst entry %.2e)",
			     what, rel, worst);
}

/* Along random directions: perturb every entry of a tensor by +-h at once
 * and compare the change of the loss with the gradient's projection. The
 * signal adds up over the entries, so this holds for tensors whose entries
 * each move the loss too little for central differences in float32 (the
 * output head's rows, the embeddings). */
static void fd_dir_check(const char *what, float *x, size_t n, const float *analytic, loss_fn f,
			 void *ctx)
{
	const float h = 1e-3f;
	float *x0 = malloc(n * sizeof *x0);
	signed char *u = malloc(n);
	memcpy(x0, x, n * sizeof *x0);
	for (int dir = 0; dir < 3; dir++) {
		double proj = 0, mass = 0;
		for (size_t i = 0; i < n; i++) {
			u[i] = frand() < 0 ? -1 : 1;
			proj += analytic[i] * u[i];
			mass += fabs(analytic[i]);
		}
		for (size_t i = 0; i < n; i++)
			x[i] = x0[i] + h * u[i];
		double lp = f(ctx);
		for (size_t i = 0; i < n; i++)
			x[i] = x0[i] - h * u[i];
		double lm = f(ctx);
		memcpy(x, x0, n * sizeof *x0);
		double num = (lp - lm) / (2.0 * h);
		if (fabs(num - proj) > 2e-2 * fabs(proj) + 1e-3 * mass)
			ck_abort_msg("%s: projected gradient %.6g, finite differences %.6g", what, proj, num);
	}
	free(x0);
	free(u);
}

static double dot(const float *a, const float *b, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

/* ---- safetensors ---- */

START_TEST(test_f16_bf16)
{
	float vals[] = { 0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 1e-5f, 5.96e-8f, 3.14159265f, 1e-3f };
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		float h = model_f16_to_f32(model_f32_to_f16(vals[i]));
		ck_assert_msg(fabsf(h - vals[i]) <= fabsf(vals[i]) * 1e-3f + 6e-8f, "f16 %g -> %g", vals[i], h);
		float b = model_bf16_to_f32(model_f32_to_bf16(vals[i]));
		ck_assert_msg(fabsf(b - vals[i]) <= fabsf(vals[i]) * 8e-3f, "bf16 %g -> %g", vals[i], b);
	}
	ck_assert_uint_eq(model_f32_to_f16(1.0f), 0x3c00);
	ck_assert_uint_eq(model_f32_to_f16(65520.0f), 0x7c00);      /* rounds to infinity */
	ck_assert_uint_eq(model_f32_to_f16(1.0f + 0x1p-11f), 0x3c00); /* tie to even */
	ck_assert_uint_eq(model_f32_to_f16(0x1p-24f), 0x0001);      /* smallest subnormal */
	ck_assert_uint_eq(model_f32_to_bf16(1.0f + 0x1p-8f), 0x3f80); /* tie to even */
	ck_assert_uint_eq(model_f32_to_bf16(1.0f + 0x1p-7f), 0x3f81);
	ck_assert(isnan(model_f16_to_f32(model_f32_to_f16(NAN))));
	ck_assert(isnan(model_bf16_to_f32(model_f32_to_bf16(NAN))));
	/* every f16 survives f16 -> f32 -> f16 */
	for (uint32_t u = 0; u < 0x10000; u++) {
		if ((u & 0x7c00) == 0x7c00 && (u & 0x3ff))
			continue;
		ck_assert_uint_eq(model_f32_to_f16(model_f16_to_f32((uint16_t)u)), u);
	}
}
END_TEST

START_TEST(test_safetensors_roundtrip)
{
	char *dir = tmpdir_new(), path[600];
	float a[6] = { 1, -2, 3.5f, 0.25f, -1e-3f, 7 }, b[4] = { 0.1f, 0.2f, 0.3f, 0.4f };
	model_st_entry e[3] = {
		{ .name = "a", .dtype = MODEL_F32, .ndim = 2, .shape = { 2, 3 }, .data = a },
		{ .name = "b.half", .dtype = MODEL_F16, .ndim = 1, .shape = { 4 }, .data = b },
		{ .name = "b.brain", .dtype = MODEL_BF16, .ndim = 1, .shape = { 4 }, .data = b },
	};
	json_t *meta = json_pack("{s:s}", "format", "pt");
	model_st *st;
	cur_err err;
	float out[6];

	snprintf(path, sizeof path, "%s/x.safetensors", dir);
	ck_assert_int_eq(model_st_write(path, e, 3, meta, &err), CUR_OK);
	json_decref(meta);
	ck_assert_int_eq(model_st_open(path, &st, &err), CUR_OK);
	ck_assert_uint_eq(model_st_count(st), 3);
	ck_assert_str_eq(model_st_meta(st, "format"), "pt");
	const model_st_tensor *t = model_st_find(st, "a");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->ndim, 2);
	ck_assert_uint_eq(t->shape[1], 3);
	ck_assert_int_eq(model_st_read(st, t, out, &err), CUR_OK);
	ck_assert_mem_eq(out, a, sizeof a);
	ck_assert_int_eq(model_st_read(st, model_st_find(st, "b.half"), out, &err), CUR_OK);
	ck_assert(fabsf(out[2] - 0.3f) < 1e-3f);
	ck_assert_int_eq(model_st_read(st, model_st_find(st, "b.brain"), out, &err), CUR_OK);
	ck_assert(fabsf(out[3] - 0.4f) < 4e-3f);
	model_st_free(st);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* A header built by hand, with data bytes of zeros. */
static int parse_text(const char *header, size_t data_len, cur_err *err)
{
	size_t hl = strlen(header), len = 8 + hl + data_len;
	unsigned char *buf = calloc(1, len);
	model_st *st = NULL;
	for (int i = 0; i < 8; i++)
		buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
	memcpy(buf + 8, header, hl);
	int rc = model_st_parse(buf, len, "t.safetensors", &st, err);
	model_st_free(st);
	free(buf);
	return rc;
}

START_TEST(test_safetensors_bad)
{
	static const struct {
		const char *header;
		size_t data;
		const char *msg;
	} bad[] = {
		{ "[1]", 0, "not a JSON object" },
		{ "{\"a\": 1}", 0, "needs dtype" },
		{ "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}", 4, "do not match" },
		{ "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 4, "outside the file" },
		{ "{\"a\": {\"dtype\": \"Q4\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 8, "unknown dtype" },
		{ "{\"a\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]}}", 8, "non-negative" },
		{ "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
		  "\"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 8, "overlaps" },
		{ "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8, "hole" },
		{ "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 8, "after the last" },
		{ "{\"a\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 16], \"data_offsets\": [0, 4]}}", 8, "overflows" },
		{ "{\"__metadata__\": {\"k\": 1}}", 0, "must be strings" },
		{ "{\"a\": {}, \"a\": {}}", 0, "not valid JSON" },
		{ "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]", 4, "not valid JSON" },
	};
	cur_err err;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(parse_text(bad[i].header, bad[i].data, &err), CUR_EDATA);
		ck_assert_msg(strstr(err.msg, bad[i].msg), "case %zu: '%s' lacks '%s'", i, err.msg, bad[i].msg);
	}
	/* a header length past the end of the file */
	unsigned char buf[16] = { 200, 0, 0, 0, 0, 0, 0, 0, '{', '}' };
	model_st *st;
	ck_assert_int_eq(model_st_parse(buf, sizeof buf, "x", &st, &err), CUR_EDATA);
	ck_assert_int_eq(model_st_parse(buf, 5, "x", &st, &err), CUR_EDATA);
	ck_assert_int_eq(parse_text("{}", 0, &err), CUR_OK);
	ck_assert_int_eq(parse_text("{\"a\": {\"dtype\": \"I64\", \"shape\": [], \"data_offsets\": [0, 8]}}", 8, &err),
			 CUR_OK);
}
END_TEST

/* ---- config ---- */

START_TEST(test_config)
{
	model_config c;
	cur_err err;
	ck_assert_int_eq(model_config_preset("tiny", &c, &err), CUR_OK);
	ck_assert_int_eq(c.vocab_size, 128256);
	ck_assert_int_eq(c.tied, 1);
	ck_assert_int_eq(model_config_preset("huge", &c, &err), CUR_EINVAL);

	json_t *j = model_config_to_json(&(model_config){ .vocab_size = 300, .dim = 8, .hidden_dim = 12,
		.n_layers = 1, .n_heads = 2, .n_kv_heads = 1, .head_dim = 4, .max_seq = 8, .norm_eps = 1e-6,
		.rope_theta = 10000, .tied = 0 }, MODEL_BF16);
	ck_assert_str_eq(json_string_value(json_object_get(j, "torch_dtype")), "bfloat16");
	ck_assert_int_eq(model_config_from_json(j, &c, &err), CUR_OK);
	ck_assert_int_eq(c.n_kv_heads, 1);
	ck_assert_int_eq(c.tied, 0);
	ck_assert(c.norm_eps == 1e-6);

	json_object_set_new(j, "rope_scaling", json_pack("{s:s, s:f, s:f, s:f, s:i}", "rope_type", "llama3",
		"factor", 32.0, "low_freq_factor", 1.0, "high_freq_factor", 4.0,
		"original_max_position_embeddings", 8192));
	ck_assert_int_eq(model_config_from_json(j, &c, &err), CUR_OK);
	ck_assert_int_eq(c.rope_llama3, 1);
	json_object_set_new(j, "rope_scaling", json_pack("{s:s}", "rope_type", "yarn"));
	ck_assert_int_eq(model_config_from_json(j, &c, &err), CUR_EINVAL);
	json_object_set_new(j, "rope_scaling", json_null());
	json_object_set_new(j, "hidden_act", json_string("gelu"));
	ck_assert_int_eq(model_config_from_json(j, &c, &err), CUR_EINVAL);
	ck_assert(strstr(err.msg, "hidden_act"));
	json_object_set_new(j, "hidden_act", json_string("silu"));
	json_object_set_new(j, "num_key_value_heads", json_integer(3));
	ck_assert_int_eq(model_config_from_json(j, &c, &err), CUR_EINVAL);
	json_object_del(j, "num_key_value_heads");
	json_object_del(j, "hidden_size");
	ck_assert_int_eq(model_config_from_json(j, &c, &err), CUR_EINVAL);
	ck_assert(strstr(err.msg, "hidden_size"));
	json_decref(j);
}
END_TEST

/* ---- kernels against finite differences ---- */

typedef struct opctx {
	const model_ops *op;
	model_exec *x;
	float *in, *w, *w2, *out, *r, *tmp;
	const uint32_t *ids;
	const int32_t *start;
	size_t N;
	int d, o, T, B, nh, nkv, hd;
	float *q, *k, *v, *cosv, *sinv;
} opctx;

static double loss_rmsnorm(void *p)
{
	opctx *c = p;
	c->op->rmsnorm(c->x, c->out, c->tmp, c->in, c->w, c->N, c->d, 1e-5f);
	return dot(c->out, c->r, c->N * c->d);
}

static double loss_matmul(void *p)
{
	opctx *c = p;
	c->op->matmul(c->x, c->out, c->in, c->w, c->N, c->d, c->o);
	return dot(c->out, c->r, c->N * c->o);
}

static double loss_swiglu(void *p)
{
	opctx *c = p;
	c->op->swiglu(c->x, c->out, c->in, c->w, c->N);
	return dot(c->out, c->r, c->N);
}

static double loss_attention(void *p)
{
	opctx *c = p;
	c->op->attention(c->x, c->out, NULL, c->q, c->k, c->v, c->start, c->B, c->T, c->nh, c->nkv, c->hd);
	return dot(c->out, c->r, c->N * c->nh * c->hd);
}

static double loss_head(void *p)
{
	opctx *c = p;
	c->op->head(c->x, c->out, NULL, NULL, c->in, c->w, c->ids, 1.0f, c->N, c->d, c->o);
	double s = 0;
	for (size_t n = 0; n < c->N; n++)
		s += c->out[n] * c->r[n];
	return s;
}

static void check_ops(int threads, int blas)
{
	rng_state = 42;
	const model_ops *op = model_cpu_ops();
	size_t N = 70;
	int d = 24, o = 67, T = 35, B = 2, nh = 4, nkv = 2, hd = 6, V = 4500;
	model_exec *x = exec_for(threads, blas, d, V, T, N, 1 << 16);
	opctx c = { .op = op, .x = x, .N = N, .d = d, .o = o };
	char what[64];

	/* rmsnorm */
	c.in = randv(N * d, 1.0f), c.w = randv(d, 1.0f), c.r = randv(N * d, 1.0f);
	c.out = calloc(N * d, 4), c.tmp = calloc(N, 4);
	float *din = calloc(N * d, 4), *dw = calloc(d, 4);
	loss_rmsnorm(&c);
	op->rmsnorm_backward(x, din, dw, c.r, c.in, c.w, c.tmp, N, d);
	snprintf(what, sizeof what, "rmsnorm din (j%d blas%d)", threads, blas);
	fd_check(what, c.in, N * d, din, loss_rmsnorm, &c, 1e-2f);
	fd_check("rmsnorm dw", c.w, d, dw, loss_rmsnorm, &c, 1e-2f);
	free(c.in), free(c.w), free(c.r), free(c.out), free(c.tmp), free(din), free(dw);

	/* matmul */
	c.in = randv(N * d, 1.0f), c.w = randv((size_t)o * d, 0.5f), c.r = randv(N * o, 1.0f);
	c.out = calloc(N * o, 4);
	din = calloc(N * d, 4), dw = calloc((size_t)o * d, 4);
	op->matmul_backward(x, din, dw, c.r, c.in, c.w, N, d, o);
	snprintf(what, sizeof what, "matmul din (j%d blas%d)", threads, blas);
	fd_check(what, c.in, N * d, din, loss_matmul, &c, 1e-2f);
	fd_check("matmul dW", c.w, (size_t)o * d, dw, loss_matmul, &c, 1e-2f);
	free(c.in), free(c.w), free(c.r), free(c.out), free(din), free(dw);

	/* swiglu */
	c.N = N * 3;
	c.in = randv(c.N, 3.0f), c.w = randv(c.N, 1.0f), c.r = randv(c.N, 1.0f), c.out = calloc(c.N, 4);
	float *dg = calloc(c.N, 4), *du = calloc(c.N, 4);
	op->swiglu_backward(x, dg, du, c.r, c.in, c.w, c.N);
	fd_check("swiglu dg", c.in, c.N, dg, loss_swiglu, &c, 1e-2f);
	fd_check("swiglu du", c.w, c.N, du, loss_swiglu, &c, 1e-2f);
	free(c.in), free(c.w), free(c.r), free(c.out), free(dg), free(du);
	c.N = N;

	/* rope: the inverse is the transpose, <rope(a), b> = <a, rope^-1(b)> */
	{
		model_config mc = small_config(1);
		mc.head_dim = hd, mc.max_seq = T;
		model *m;
		cur_err e;
		ck_assert_int_eq(model_new(&mc, op, &m, &e), CUR_OK);
		float *a = randv(N * nh * hd, 1.0f), *b = randv(N * nh * hd, 1.0f);
		double before = dot(a, a, N * nh * hd);
		op->rope(x, a, N, T, nh, hd, m->rope_cos, m->rope_sin, 0);
		double lhs = dot(a, b, N * nh * hd), norm = dot(a, a, N * nh * hd);
		op->rope(x, a, N, T, nh, hd, m->rope_cos, m->rope_sin, 1);
		op->rope(x, b, N, T, nh, hd, m->rope_cos, m->rope_sin, 1);
		ck_assert(fabs(norm - before) < 1e-3 * before);
		float *a0 = a; /* a is back to its start: check <a, rope^-1 b> */
		ck_assert(fabs(lhs - dot(a0, b, N * nh * hd)) < 1e-3 * fabs(lhs) + 1e-3);
		free(a), free(b);
		model_free(m);
	}

	/* attention, with two documents in the second sequence */
	{
		size_t qn = N * nh * hd, kn = N * nkv * hd;
		int32_t *start = malloc(N * sizeof *start);
		for (size_t n = 0; n < N; n++)
			start[n] = n < (size_t)T ? 0 : (n < (size_t)T + 10 ? T : T + 10);
		c.B = B, c.T = T, c.nh = nh, c.nkv = nkv, c.hd = hd, c.start = start;
		c.q = randv(qn, 1.0f), c.k = randv(kn, 1.0f), c.v = randv(kn, 1.0f), c.r = randv(qn, 1.0f);
		c.out = calloc(qn, 4);
		float *att = calloc((size_t)B * nh * T * T, 4), *dq = calloc(qn, 4), *dk = calloc(kn, 4),
		      *dv = calloc(kn, 4);
		op->attention(x, c.out, att, c.q, c.k, c.v, start, B, T, nh, nkv, hd);
		op->attention_backward(x, dq, dk, dv, c.r, att, c.q, c.k, c.v, start, B, T, nh, nkv, hd);
		fd_check("attention dq", c.q, qn, dq, loss_attention, &c, 1e-2f);
		fd_check("attention dk", c.k, kn, dk, loss_attention, &c, 1e-2f);
		fd_check("attention dv", c.v, kn, dv, loss_attention, &c, 1e-2f);
		/* the document mask: row T+12 ignores keys before T+10 */
		float before = c.out[(size_t)(T + 12) * nh * hd];
		c.k[(size_t)(T + 5) * nkv * hd] += 5.0f;
		c.v[(size_t)(T + 5) * nkv * hd] += 5.0f;
		loss_attention(&c);
		ck_assert(c.out[(size_t)(T + 12) * nh * hd] == before);
		free(c.q), free(c.k), free(c.v), free(c.r), free(c.out), free(att), free(dq), free(dk),
			free(dv), free(start);
	}

	/* the fused head and cross-entropy */
	{
		uint32_t *ids = malloc(N * sizeof *ids);
		for (size_t n = 0; n < N; n++)
			ids[n] = (uint32_t)((n * 977) % (size_t)V);
		c.ids = ids, c.o = V;
		c.in = randv(N * d, 1.0f), c.w = randv((size_t)V * d, 0.5f), c.r = randv(N, 1.0f);
		c.out = calloc(N, 4);
		din = calloc(N * d, 4), dw = calloc((size_t)V * d, 4);
		/* the head's gradient is of scale * sum(loss): check with r = 1 */
		for (size_t n = 0; n < N; n++)
			c.r[n] = 1.0f;
		op->head(x, c.out, din, dw, c.in, c.w, ids, 1.0f, N, d, V);
		/* against a direct log-softmax */
		for (size_t n = 0; n < N; n += 13) {
			double mx = -1e30, s = 0, lt = 0;
			for (int v = 0; v < V; v++) {
				double l = dot(c.in + n * d, c.w + (size_t)v * d, d);
				mx = l > mx ? l : mx;
			}
			for (int v = 0; v < V; v++) {
				double l = dot(c.in + n * d, c.w + (size_t)v * d, d);
				s += exp(l - mx);
				if ((uint32_t)v == ids[n])
					lt = l;
			}
			ck_assert_msg(fabs(c.out[n] - (mx + log(s) - lt)) < 1e-4 * (mx + log(s) - lt),
				      "head loss row %zu: %g vs %g", n, c.out[n], mx + log(s) - lt);
		}
		fd_check("head din", c.in, N * d, din, loss_head, &c, 1e-2f);
		/* dW entries move the loss little: a larger step keeps float rounding
		 * of the loss below the change (the loss is linear-ish in one entry) */
		fd_check("head dW", c.w, (size_t)V * d, dw, loss_head, &c, 1e-1f);
		free(c.in), free(c.w), free(c.r), free(c.out), free(din), free(dw), free(ids);
	}
	op->exec_free(x);
}

START_TEST(test_ops_gradients)
{
	check_ops(1, 0);
	check_ops(2, 0);
	if (have_blas())
		check_ops(2, 1);
}
END_TEST

/* ---- the whole model ---- */

typedef struct modelctx {
	model *m;
	model_exec *x;
	model_acts a;
	const uint32_t *rows;
	int B, T, doc_mask;
} modelctx;

static double model_loss(void *p)
{
	modelctx *c = p;
	model_set_batch(c->m, c->x, &c->a, c->rows, c->B, c->T, c->doc_mask);
	return model_forward(c->m, c->x, &c->a, NULL);
}

static uint32_t *batch_rows(int B, int T, int V)
{
	uint32_t *rows = malloc((size_t)B * (T + 1) * sizeof *rows);
	for (size_t i = 0; i < (size_t)B * (T + 1); i++)
		rows[i] = (uint32_t)((i * 2654435761u) % (uint32_t)V);
	return rows;
}

static void check_model_grad(int tied, int blas, int doc_mask)
{
	rng_state = (uint64_t)(tied * 2 + blas) + 1;
	model_config mc = small_config(tied);
	int B = 2, T = 12;
	modelctx c = { .B = B, .T = T, .doc_mask = doc_mask };
	cur_err e;
	ck_assert_int_eq(model_new(&mc, model_cpu_ops(), &c.m, &e), CUR_OK);
	model_init_weights(c.m, 7);
	/* norms away from 1 so that their gradients are checked in general */
	for (size_t i = 0; i < c.m->nparams; i++)
		if (c.m->params[i].ndim == 1)
			for (size_t k = 0; k < c.m->params[i].count; k++)
				c.m->w[c.m->params[i].off + k] = 1.0f + 0.3f * frand();
	/* larger weights than the initialization, so that every path matters */
	for (size_t i = 0; i < c.m->nw; i++)
		c.m->w[i] *= 3.0f;
	model_exec_size s = model_exec_size_for(c.m, B, T, 1);
	ck_assert_int_eq(model_cpu_exec_new(2, blas ? MODEL_MATMUL_OPENBLAS : MODEL_MATMUL_PLAIN, &s, &c.x, &e),
			 CUR_OK);
	ck_assert_int_eq(model_acts_new(c.m, c.x, B, T, 1, &c.a, &e), CUR_OK);
	uint32_t *rows = batch_rows(B, T, mc.vocab_size);
	c.rows = rows;
	float *grads = calloc(c.m->nw, sizeof *grads);
	model_set_batch(c.m, c.x, &c.a, rows, B, T, doc_mask);
	model_forward(c.m, c.x, &c.a, grads);
	model_backward(c.m, c.x, &c.a, grads);
	/* the gradient is of the mean loss; model_loss returns the sum */
	for (size_t i = 0; i < c.m->nw; i++)
		grads[i] *= (float)(B * T);
	for (size_t i = 0; i < c.m->nparams; i++) {
		const model_param *p = &c.m->params[i];
		char what[128];
		snprintf(what, sizeof what, "model %s (tied %d, blas %d)", p->name, tied, blas);
		fd_dir_check(what, c.m->w + p->off, p->count, grads + p->off, model_loss, &c);
	}
	free(grads);
	free(rows);
	model_acts_release(c.m, c.x, &c.a);
	c.m->ops->exec_free(c.x);
	model_free(c.m);
}

START_TEST(test_model_gradient)
{
	check_model_grad(1, 0, 0);
	check_model_grad(0, have_blas(), 1);
}
END_TEST

/* ---- determinism, allocation, checkpoints ---- */

/* Two updates from the same start on the same batches. */
static float *train_two(int threads, int matmul, size_t *nw)
{
	model_config mc = small_config(1);
	model_hparams h = { .lr = 1e-2, .final_lr_fraction = 0.1, .weight_decay = 0.1, .clip = 1.0,
			    .beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .warmup = 1, .steps = 10,
			    .doc_mask = 1 };
	int B = 3, T = 16;
	model *m;
	model_trainer *t;
	cur_err e;
	double loss, gnorm;
	ck_assert_int_eq(model_new(&mc, model_cpu_ops(), &m, &e), CUR_OK);
	model_init_weights(m, 5);
	ck_assert_int_eq(model_trainer_new(m, &h, B, T, threads, matmul, &t, &e), CUR_OK);
	uint32_t *rows = batch_rows(B, T, mc.vocab_size);
	model_trainer_step(t, rows, &loss, &gnorm);
	rows[3] = 17;
	model_trainer_step(t, rows, &loss, &gnorm);
	float *w = malloc(m->nw * sizeof *w);
	memcpy(w, m->w, m->nw * sizeof *w);
	*nw = m->nw;
	free(rows);
	model_trainer_free(t);
	model_free(m);
	return w;
}

START_TEST(test_threads_same_bits)
{
	int kinds[] = { MODEL_MATMUL_PLAIN, MODEL_MATMUL_OPENBLAS };
	for (size_t k = 0; k < 2; k++) {
		size_t n1, n3;
		float *a = train_two(1, kinds[k], &n1), *b = train_two(3, kinds[k], &n3);
		ck_assert_uint_eq(n1, n3);
		ck_assert_msg(memcmp(a, b, n1 * sizeof *a) == 0, "%s: 1 and 3 threads train different weights",
			      model_matmul_name(model_matmul_resolve(kinds[k])));
		free(a);
		free(b);
	}
}
END_TEST

/* A step allocates nothing: the heap is the same size after each of them
 * (mallinfo2 counts what malloc holds in use). */
START_TEST(test_no_allocation_in_a_step)
{
	model_config mc = small_config(0);
	model_hparams h = { .lr = 1e-3, .final_lr_fraction = 1, .clip = 1.0, .beta1 = 0.9, .beta2 = 0.95,
			    .eps = 1e-8, .steps = 10 };
	model *m;
	model_trainer *t;
	model_scorer *sc;
	cur_err e;
	double loss, gnorm, nll;
	size_t pred;
	ck_assert_int_eq(model_new(&mc, model_cpu_ops(), &m, &e), CUR_OK);
	model_init_weights(m, 3);
	ck_assert_int_eq(model_trainer_new(m, &h, 2, 16, 2, MODEL_MATMUL_AUTO, &t, &e), CUR_OK);
	ck_assert_int_eq(model_scorer_new(m, 0, &sc, &e), CUR_OK);
	uint32_t *rows = batch_rows(2, 16, mc.vocab_size);
	model_trainer_step(t, rows, &loss, &gnorm);
	ck_assert_int_eq(model_score(sc, rows, 30, &nll, &pred, &e), CUR_OK);
	struct mallinfo2 before = mallinfo2();
	for (int i = 0; i < 3; i++) {
		model_trainer_step(t, rows, &loss, &gnorm);
		ck_assert_int_eq(model_score(sc, rows, 30, &nll, &pred, &e), CUR_OK);
	}
	struct mallinfo2 after = mallinfo2();
	ck_assert_uint_eq(after.uordblks, before.uordblks);
	ck_assert_uint_eq(after.hblkhd, before.hblkhd);
	free(rows);
	model_scorer_free(sc);
	model_trainer_free(t);
	model_free(m);
}
END_TEST

/* model_score in windows: a sequence longer than max_seq is scored window
 * by window, each window from nothing before it. */
START_TEST(test_score_windows)
{
	model_config mc = small_config(1);
	model *m;
	model_scorer *sc;
	cur_err e;
	double whole, parts = 0, nll;
	size_t pred, total = 0;
	ck_assert_int_eq(model_new(&mc, model_cpu_ops(), &m, &e), CUR_OK);
	model_init_weights(m, 9);
	ck_assert_int_eq(model_scorer_new(m, 0, &sc, &e), CUR_OK);
	uint32_t *ids = batch_rows(1, 40, mc.vocab_size);
	ck_assert_int_eq(model_score(sc, ids, 41, &whole, &pred, &e), CUR_OK);
	ck_assert_uint_eq(pred, 40);
	/* windows of max_seq (16): ids[0..17), ids[16..33), ids[32..41) */
	for (size_t at = 0; at < 40; at += 16) {
		size_t n = 41 - at < 17 ? 41 - at : 17;
		ck_assert_int_eq(model_score(sc, ids + at, n, &nll, &pred, &e), CUR_OK);
		parts += nll;
		total += pred;
	}
	ck_assert_uint_eq(total, 40);
	ck_assert(fabs(whole - parts) <= 1e-6 * whole);
	ids[3] = (uint32_t)mc.vocab_size;
	ck_assert_int_eq(model_score(sc, ids, 41, &whole, &pred, &e), CUR_EINVAL);
	free(ids);
	model_scorer_free(sc);
	model_free(m);
}
END_TEST

START_TEST(test_checkpoint_roundtrip)
{
	char *dir = tmpdir_new();
	model_config mc = small_config(0);
	model *m, *back;
	cur_err e;
	ck_assert_int_eq(model_new(&mc, model_cpu_ops(), &m, &e), CUR_OK);
	model_init_weights(m, 4);
	ck_assert_int_eq(model_save(m, dir, MODEL_F32, &e), CUR_OK);
	ck_assert_int_eq(model_load(dir, &back, &e), CUR_OK);
	ck_assert_uint_eq(model_param_count(back), model_param_count(m));
	ck_assert_mem_eq(back->w, m->w, m->nw * sizeof *m->w);
	ck_assert_int_eq(back->c.tied, 0);
	model_free(back);
	/* a checkpoint whose config.json disagrees with its tensors */
	char path[700];
	snprintf(path, sizeof path, "%s/config.json", dir);
	json_t *j = model_config_to_json(&mc, MODEL_F32);
	json_object_set_new(j, "intermediate_size", json_integer(25));
	ck_assert_int_eq(json_dump_file(j, path, 0), 0);
	json_decref(j);
	ck_assert_int_eq(model_load(dir, &back, &e), CUR_EDATA);
	ck_assert_msg(strstr(e.msg, "mlp.gate_proj.weight") && strstr(e.msg, "shape"), "%s", e.msg);
	model_free(m);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* ---- against PyTorch (tests/llama_torch.py) ---- */

static int have_torch(void)
{
	return system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

/* A model with the real vocabulary size (so that <|begin_of_text|> and
 * <|end_of_text|> exist and the document mask is exercised) and an untied
 * head, in a checkpoint directory; rows with document boundaries. */
/* Heads of 8 (tied) and 16 (untied): attention's kernel takes a head's
 * columns one by one and 16 at a time. */
static model *torch_model(const char *dir, int tied, uint32_t **rows, int B, int T)
{
	model_config mc = { .vocab_size = 128256, .dim = 32, .hidden_dim = 48, .n_layers = 2,
			    .n_heads = tied ? 4 : 2, .n_kv_heads = tied ? 2 : 1, .head_dim = tied ? 8 : 16,
			    .max_seq = 32, .norm_eps = 1e-5, .rope_theta = 500000.0, .tied = tied };
	model *m;
	cur_err e;
	rng_state = 99;
	ck_assert_int_eq(model_new(&mc, model_cpu_ops(), &m, &e), CUR_OK);
	model_init_weights(m, 11);
	for (size_t i = 0; i < m->nparams; i++)
		if (m->params[i].ndim == 1)
			for (size_t k = 0; k < m->params[i].count; k++)
				m->w[m->params[i].off + k] = 1.0f + 0.2f * frand();
	for (size_t i = 0; i < m->nw; i++)
		m->w[i] *= 4.0f; /* larger than the initialization: sharper attention */
	ck_assert_int_eq(model_save(m, dir, MODEL_F32, &e), CUR_OK);
	*rows = batch_rows(B, T, 1000);
	(*rows)[0] = 128000;                 /* <|begin_of_text|> doc ... */
	(*rows)[9] = 128001;                 /* ... <|end_of_text|> next doc */
	(*rows)[(T + 1) + 4] = 128000;       /* a document starting mid-row */
	return m;
}

static void write_rows(const char *path, const uint32_t *rows, int B, int T, int doc_mask)
{
	json_t *all = json_array();
	for (int b = 0; b < B; b++) {
		json_t *r = json_array();
		for (int t = 0; t <= T; t++)
			json_array_append_new(r, json_integer(rows[(size_t)b * (T + 1) + t]));
		json_array_append_new(all, r);
	}
	json_t *j = json_pack("{s:o, s:b}", "rows", all, "doc_mask", doc_mask);
	ck_assert_int_eq(json_dump_file(j, path, 0), 0);
	json_decref(j);
}

static json_t *run_torch(const char *args)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/llama_torch.py' %s", CUR_SRCDIR, args);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	json_error_t je;
	json_t *j = json_loadf(p, 0, &je);
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_msg(j != NULL, "llama_torch.py: %s", je.text);
	return j;
}

START_TEST(test_torch_losses)
{
	if (!have_torch()) {
		fprintf(stderr, "# SKIP per-token losses against PyTorch: no torch for /usr/bin/python3\n");
		return;
	}
	for (int tied = 0; tied < 2; tied++) {
		for (int doc_mask = 0; doc_mask < 2; doc_mask++) {
			int B = 3, T = 24;
			char *dir = tmpdir_new(), rp[600], args[1400];
			uint32_t *rows;
			model *m = torch_model(dir, tied, &rows, B, T);
			model_exec_size s = model_exec_size_for(m, B, T, 0);
			model_exec *x;
			model_acts a;
			cur_err e;
			ck_assert_int_eq(model_cpu_exec_new(2, MODEL_MATMUL_AUTO, &s, &x, &e), CUR_OK);
			ck_assert_int_eq(model_acts_new(m, x, B, T, 0, &a, &e), CUR_OK);
			model_set_batch(m, x, &a, rows, B, T, doc_mask);
			model_forward(m, x, &a, NULL);
			snprintf(rp, sizeof rp, "%s/rows.json", dir);
			write_rows(rp, rows, B, T, doc_mask);
			snprintf(args, sizeof args, "losses '%s' '%s'", dir, rp);
			json_t *j = run_torch(args), *ls = json_object_get(j, "losses");
			double worst = 0;
			for (int b = 0; b < B; b++)
				for (int t = 0; t < T; t++) {
					double want = json_number_value(json_array_get(json_array_get(ls, (size_t)b), (size_t)t));
					double got = a.host_loss[(size_t)b * T + t];
					worst = fmax(worst, fabs(got - want) / fabs(want));
				}
			ck_assert_msg(worst <= 1e-4, "tied %d doc_mask %d: per-token loss differs from PyTorch by %.2e",
				      tied, doc_mask, worst);
			fprintf(stderr, "# per-token losses vs PyTorch (tied %d, doc mask %d): largest relative difference %.2e\n",
				tied, doc_mask, worst);
			json_decref(j);
			model_acts_release(m, x, &a);
			m->ops->exec_free(x);
			model_free(m);
			free(rows);
			rm_rf(dir);
			free(dir);
		}
	}
}
END_TEST

static int by_value(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* The gradient of one batch against PyTorch in float64 (both float32
 * implementations are about 1e-6 of the largest entry away from it), then
 * one AdamW step (constant lr, clipping active, weight decay) from the same
 * weights on the same batch, in C and in PyTorch's float32. */
START_TEST(test_torch_adamw)
{
	if (!have_torch()) {
		fprintf(stderr, "# SKIP AdamW step against PyTorch: no torch for /usr/bin/python3\n");
		return;
	}
	int B = 2, T = 24;
	char *dir = tmpdir_new(), rp[600], hp[600], outp[600], gp[600], args[2000];
	uint32_t *rows;
	model *m = torch_model(dir, 0, &rows, B, T);
	model_hparams h = { .lr = 1e-3, .final_lr_fraction = 1.0, .weight_decay = 0.1, .clip = 20,
			    .beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .warmup = 0, .steps = 100,
			    .doc_mask = 1 };
	model_trainer *t;
	cur_err e;
	double loss, gnorm;
	ck_assert_int_eq(model_trainer_new(m, &h, B, T, 2, MODEL_MATMUL_AUTO, &t, &e), CUR_OK);
	model_trainer_step(t, rows, &loss, &gnorm);
	ck_assert_msg(gnorm > h.clip, "the test wants clipping active (norm %g)", gnorm);

	snprintf(rp, sizeof rp, "%s/rows.json", dir);
	snprintf(hp, sizeof hp, "%s/hyper.json", dir);
	snprintf(outp, sizeof outp, "%s/torch.safetensors", dir);
	snprintf(gp, sizeof gp, "%s/grads64.safetensors", dir);
	write_rows(rp, rows, B, T, 1);
	json_t *hj = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "lr", h.lr, "weight_decay", h.weight_decay,
			       "clip", h.clip, "beta1", h.beta1, "beta2", h.beta2, "eps", h.eps);
	ck_assert_int_eq(json_dump_file(hj, hp, 0), 0);
	json_decref(hj);
	snprintf(args, sizeof args, "step '%s' '%s' '%s' '%s'", dir, rp, hp, outp);
	json_t *j = run_torch(args);
	double tl = json_number_value(json_object_get(j, "loss")), tn = json_number_value(json_object_get(j, "grad_norm"));
	ck_assert_msg(fabs(tl - loss) <= 1e-5 * tl, "loss %g vs PyTorch %g", loss, tl);
	ck_assert_msg(fabs(tn - gnorm) <= 1e-4 * tn, "gradient norm %g vs PyTorch %g", gnorm, tn);
	json_decref(j);
	snprintf(args, sizeof args, "grads64 '%s' '%s' '%s'", dir, rp, gp);
	json_decref(run_torch(args));

	model_st *st, *g64;
	ck_assert_int_eq(model_st_open(outp, &st, &e), CUR_OK);
	ck_assert_int_eq(model_st_open(gp, &g64, &e), CUR_OK);
	float *tw = malloc(m->nw * sizeof *tw), *diff = malloc(m->nw * sizeof *diff);
	double worst = 0, gworst = 0;
	for (size_t i = 0; i < m->nparams; i++) {
		const model_param *p = &m->params[i];
		ck_assert_int_eq(model_st_read(g64, model_st_find(g64, p->name), tw, &e), CUR_OK);
		double big = 0, err = 0;
		for (size_t k = 0; k < p->count; k++) {
			big = fmax(big, fabs(tw[k]));
			err = fmax(err, fabs(tw[k] - t->grads[p->off + k]));
		}
		ck_assert_msg(err <= 1e-5 * big, "%s: gradient %.2e (of its largest entry) from float64", p->name,
			      err / big);
		gworst = fmax(gworst, err / big);
		ck_assert_int_eq(model_st_read(st, model_st_find(st, p->name), tw, &e), CUR_OK);
		for (size_t k = 0; k < p->count; k++) {
			diff[p->off + k] = fabsf(tw[k] - m->w[p->off + k]);
			worst = fmax(worst, diff[p->off + k]);
		}
	}
	qsort(diff, m->nw, sizeof *diff, by_value);
	double p999 = diff[(size_t)(0.999 * (double)(m->nw - 1))];
	fprintf(stderr, "# gradient vs float64: within %.1e of each tensor's largest entry; weights after one "
		"AdamW step vs PyTorch: largest difference %.1e, 99.9%% within %.1e (lr 1e-3)\n", gworst, worst, p999);
	/* Adam divides by the gradient's size: where an entry is near zero, its
	 * last bits decide the update, so a few weights may differ by a few
	 * percent of lr; nearly all agree to rounding. */
	ck_assert_msg(worst <= 5e-2 * h.lr, "weights after one AdamW step differ from PyTorch by %.2e", worst);
	ck_assert_msg(p999 <= 1e-4 * h.lr, "99.9%% of weights within %.2e of PyTorch's", p999);
	free(tw);
	free(diff);
	model_st_free(st);
	model_st_free(g64);
	model_trainer_free(t);
	model_free(m);
	free(rows);
	rm_rf(dir);
	free(dir);
}
END_TEST

Suite *model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("model");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_f16_bf16);
	tcase_add_test(tc, test_safetensors_roundtrip);
	tcase_add_test(tc, test_safetensors_bad);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_ops_gradients);
	tcase_add_test(tc, test_model_gradient);
	tcase_add_test(tc, test_threads_same_bits);
	tcase_add_test(tc, test_no_allocation_in_a_step);
	tcase_add_test(tc, test_score_windows);
	tcase_add_test(tc, test_checkpoint_roundtrip);
	tcase_add_test(tc, test_torch_losses);
	tcase_add_test(tc, test_torch_adamw);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(model_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
