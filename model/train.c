/* The training loop: windows sampled from the shards, AdamW steps,
 * evaluation on the validation split, checkpoints that resume bit-exactly,
 * a CSV log and a loss-curve SVG. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/file.h"
#include "core/interrupt.h"
#include "model/model_int.h"
#include "model/safetensors.h"
#include "model/train.h"
#include "shards/reader.h"

const cur_opt_spec model_train_options[] = {
	{ "shards", CUR_OPT_STR, "DIR", "token shards from curate shard (train_* to train, valid_* to evaluate)", "required" },
	{ "config", CUR_OPT_STR, "NAME|FILE", "tiny, small, or a config.json", "tiny" },
	{ "steps", CUR_OPT_INT, "N", "updates in all", "1000" },
	{ "batch", CUR_OPT_INT, "B", "windows per update", "8" },
	{ "seq", CUR_OPT_INT, "T", "tokens per window", "the config's max_position_embeddings" },
	{ "lr", CUR_OPT_NUM, "X", "peak learning rate", "0.003" },
	{ "final-lr-fraction", CUR_OPT_NUM, "F", "cosine decay to F x lr at the last update", "0.1" },
	{ "warmup", CUR_OPT_INT, "N", "linear warm-up updates", "steps / 20" },
	{ "weight-decay", CUR_OPT_NUM, "X", "AdamW weight decay of 2-D weights", "0.1" },
	{ "clip", CUR_OPT_NUM, "X", "clip the gradient's global norm to X (0: off)", "1.0" },
	{ "doc-mask", CUR_OPT_FLAG, NULL, "mask attention at document boundaries inside a window", "on" },
	{ "no-doc-mask", CUR_OPT_FLAG, NULL, "let attention cross document boundaries inside a window", NULL },
	{ "unigram-init", CUR_OPT_FLAG, NULL, "start an untied head at the train split's token frequencies", NULL },
	{ "eval-every", CUR_OPT_INT, "N", "validation loss every N updates (0: at the end only)", "100" },
	{ "eval-tokens", CUR_OPT_INT, "N", "validation tokens per evaluation (0: all)", "65536" },
	{ "save-every", CUR_OPT_INT, "N", "checkpoint every N updates, and at the end", "500" },
	{ "stop-at", CUR_OPT_INT, "N", "save and stop after update N (resume later with --resume)", "the last" },
	{ "resume", CUR_OPT_FLAG, NULL, "continue the run in -o DIR from its training state", NULL },
	{ "matmul", CUR_OPT_STR, "WHO", "auto, openblas or plain: who computes matrix products", "auto" },
	{ NULL, 0, NULL, NULL, NULL }
};

const cur_opt_spec model_eval_options[] = {
	{ "shards", CUR_OPT_STR, "DIR", "token shards from curate shard", "required" },
	{ "eval-split", CUR_OPT_STR, "NAME", "the split to evaluate: valid or train", "valid" },
	{ "batch", CUR_OPT_INT, "B", "windows per forward pass", "8" },
	{ "seq", CUR_OPT_INT, "T", "tokens per window", "max_position_embeddings" },
	{ "tokens", CUR_OPT_INT, "N", "evaluate the first N tokens", "all" },
	{ "no-doc-mask", CUR_OPT_FLAG, NULL, "let attention cross document boundaries", NULL },
	{ "matmul", CUR_OPT_STR, "WHO", "auto, openblas or plain: who computes matrix products", "auto" },
	{ NULL, 0, NULL, NULL, NULL }
};

/* ---- the trainer ---- */

int model_trainer_new(model *m, const model_hparams *h, int B, int T, int threads, int matmul,
		      model_trainer **out, cur_err *err)
{
	model_trainer *t = calloc(1, sizeof *t);
	model_exec_size size = model_exec_size_for(m, B, T, 1);
	int rc;

	*out = NULL;
	if (!t)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	t->m = m;
	t->h = *h;
	t->B = B;
	t->T = T;
	if ((rc = model_cpu_exec_new(threads, matmul, &size, &t->x, err)) < 0) {
		free(t);
		return rc;
	}
	if ((rc = model_acts_new(m, t->x, B, T, 1, &t->a, err)) < 0) {
		m->ops->exec_free(t->x);
		free(t);
		return rc;
	}
	t->grads = m->ops->alloc(t->x, m->nw);
	t->m1 = m->ops->alloc(t->x, m->nw);
	t->m2 = m->ops->alloc(t->x, m->nw);
	if (!t->grads || !t->m1 || !t->m2) {
		model_trainer_free(t);
		return cur_err_set(err, CUR_ENOMEM, "out of memory for the optimizer state");
	}
	*out = t;
	return CUR_OK;
}

void model_trainer_free(model_trainer *t)
{
	if (!t)
		return;
	const model_ops *op = t->m->ops;
	if (t->grads)
		op->release(t->x, t->grads);
	if (t->m1)
		op->release(t->x, t->m1);
	if (t->m2)
		op->release(t->x, t->m2);
	model_acts_release(t->m, t->x, &t->a);
	op->exec_free(t->x);
	free(t);
}

double model_lr_at(const model_hparams *h, long step)
{
	if (step <= h->warmup)
		return h->lr * (double)step / (double)(h->warmup > 0 ? h->warmup : 1);
	if (step >= h->steps)
		return h->lr * h->final_lr_fraction;
	double p = (double)(step - h->warmup) / (double)(h->steps - h->warmup);
	double f = h->final_lr_fraction + (1 - h->final_lr_fraction) * 0.5 * (1 + cos(M_PI * p));
	return h->lr * f;
}

void model_trainer_step(model_trainer *t, const uint32_t *rows, double *loss, double *gnorm)
{
	model *m = t->m;
	const model_ops *op = m->ops;
	const model_hparams *h = &t->h;

	op->zero(t->x, t->grads, m->nw);
	model_set_batch(m, t->x, &t->a, rows, t->B, t->T, h->doc_mask);
	*loss = model_forward(m, t->x, &t->a, t->grads) / (double)t->a.N;
	model_backward(m, t->x, &t->a, t->grads);
	double norm = sqrt(op->sumsq(t->x, t->grads, m->nw));
	*gnorm = norm;
	/* torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6)
	 * when that is below 1 */
	float scale = 1.0f;
	if (h->clip > 0) {
		double c = h->clip / (norm + 1e-6);
		scale = c < 1.0 ? (float)c : 1.0f;
	}
	t->step++;
	model_adamw_args a = { .lr = (float)model_lr_at(h, t->step), .beta1 = (float)h->beta1,
			       .beta2 = (float)h->beta2, .eps = (float)h->eps,
			       .weight_decay = (float)h->weight_decay, .grad_scale = scale, .step = t->step };
	for (size_t i = 0; i < m->nparams; i++) {
		const model_param *p = &m->params[i];
		op->adamw(t->x, m->w + p->off, t->m1 + p->off, t->m2 + p->off, t->grads + p->off, p->count,
			  p->decay, &a);
	}
}

double model_trainer_loss(model_trainer *t, const uint32_t *rows, int b)
{
	model_set_batch(t->m, t->x, &t->a, rows, b, t->T, t->h.doc_mask);
	return model_forward(t->m, t->x, &t->a, NULL);
}

/* ---- options ---- */

typedef struct train_opts {
	const char *shards, *config;
	long steps, warmup, eval_every, eval_tokens, save_every, stop_at;
	long batch, seq;
	int doc_mask, matmul, unigram_init;
	double lr, final_lr, weight_decay, clip;
} train_opts;

/* Options that may change when a run resumes: they do not change what the
 * run computes (steps only extends it; the cosine schedule follows it). */
static const char *const resumable[] = { "shards", "steps", "eval_every", "eval_tokens",
					 "save_every", "stop_at", "resume", "matmul", NULL };
/* ... of which these belong to one invocation and are not stored. */
static const char *const per_run[] = { "eval_every", "eval_tokens", "save_every", "stop_at",
				       "resume", "matmul", NULL };

static int is_resumable(const char *key)
{
	for (int i = 0; resumable[i]; i++)
		if (strcmp(resumable[i], key) == 0)
			return 1;
	return 0;
}

static int read_opts(json_t *cfg, train_opts *o, cur_err *err)
{
	int64_t v;
	int flag;

	memset(o, 0, sizeof *o);
	CUR_FORWARD(cur_cfg_check_keys(cfg, model_train_options, "model train", err));
	CUR_FORWARD(cur_cfg_str(cfg, "shards", NULL, &o->shards, err));
	CUR_FORWARD(cur_cfg_str(cfg, "config", "tiny", &o->config, err));
#define INT(key, def, lo, field)                                                            \
	do {                                                                                \
		CUR_FORWARD(cur_cfg_int(cfg, key, def, &v, err));                           \
		if (v < (lo) || v > (1LL << 40))                                            \
			return cur_err_set(err, CUR_EINVAL, "--%s must be at least %d", key, lo); \
		o->field = (long)v;                                                         \
	} while (0)
	INT("steps", 1000, 1, steps);
	INT("batch", 8, 1, batch);
	INT("seq", 0, 0, seq);
	INT("warmup", o->steps / 20, 0, warmup);
	INT("eval_every", 100, 0, eval_every);
	INT("eval_tokens", 65536, 0, eval_tokens);
	INT("save_every", 500, 0, save_every);
	INT("stop_at", 0, 0, stop_at);
#undef INT
	CUR_FORWARD(cur_cfg_num(cfg, "lr", 3e-3, &o->lr, err));
	CUR_FORWARD(cur_cfg_num(cfg, "final_lr_fraction", 0.1, &o->final_lr, err));
	CUR_FORWARD(cur_cfg_num(cfg, "weight_decay", 0.1, &o->weight_decay, err));
	CUR_FORWARD(cur_cfg_num(cfg, "clip", 1.0, &o->clip, err));
	int on;
	CUR_FORWARD(cur_cfg_bool(cfg, "doc_mask", 0, &on, err));
	CUR_FORWARD(cur_cfg_bool(cfg, "no_doc_mask", 0, &flag, err));
	if (on && flag)
		return cur_err_set(err, CUR_EINVAL, "--doc-mask and --no-doc-mask contradict each other");
	o->doc_mask = !flag;
	CUR_FORWARD(cur_cfg_bool(cfg, "unigram_init", 0, &o->unigram_init, err));
	const char *mm;
	CUR_FORWARD(cur_cfg_str(cfg, "matmul", "auto", &mm, err));
	if ((o->matmul = model_matmul_parse(mm)) < 0)
		return cur_err_set(err, CUR_EINVAL, "--matmul must be auto, openblas or plain, not '%s'", mm);
	if (!o->shards)
		return cur_err_set(err, CUR_EINVAL, "--shards DIR is required");
	if (!(o->lr > 0) || !(o->final_lr >= 0) || o->final_lr > 1 || !(o->weight_decay >= 0) ||
	    !(o->clip >= 0))
		return cur_err_set(err, CUR_EINVAL, "--lr must be positive; --final-lr-fraction in [0, 1]; "
				   "--weight-decay and --clip not negative");
	if (o->warmup >= o->steps && o->steps > 1)
		return cur_err_set(err, CUR_EINVAL, "--warmup (%ld) must be below --steps (%ld)", o->warmup,
				   o->steps);
	return CUR_OK;
}

/* ---- data ---- */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int check_ids(const uint32_t *ids, size_t n, int V, uint64_t pos, const char *split,
		     cur_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] >= (uint32_t)V)
			return cur_err_set(err, CUR_EINVAL, "%s split: token id %u at position %llu is not below "
					   "the model's vocabulary size %d", split, ids[i],
					   (unsigned long long)(pos + i), V);
	return CUR_OK;
}

/* The windows of update step: window b starts at a position drawn from
 * (seed, step, b) alone, so that a resumed run reads what a straight run
 * would have read. */
static int sample_windows(const shard_loader *l, uint64_t seed, long step, int B, int T, int V,
			  uint32_t *rows, cur_err *err)
{
	uint64_t span = shard_loader_tokens(l) - (uint64_t)T;
	for (int b = 0; b < B; b++) {
		uint64_t pos = mix64(seed * 0x9e3779b97f4a7c15ULL + mix64((uint64_t)step * B + b + 1)) % span;
		uint32_t *row = rows + (size_t)b * (T + 1);
		CUR_FORWARD(shard_loader_read(l, pos, row, (size_t)T + 1, err));
		CUR_FORWARD(check_ids(row, (size_t)T + 1, V, pos, "train", err));
	}
	return CUR_OK;
}

/* The mean loss over consecutive windows of T (each predicting T tokens)
 * from the start of the split, up to max_tokens (0: all). */
static int eval_split(const shard_loader *l, model *m, model_exec *x, model_acts *a, int B, int T,
		      int doc_mask, uint64_t max_tokens, uint32_t *rows, double *loss,
		      uint64_t *tokens, uint64_t *windows, cur_err *err)
{
	uint64_t total = shard_loader_tokens(l), pos = 0;
	double sum = 0;

	*tokens = *windows = 0;
	while (pos + (uint64_t)T + 1 <= total && (!max_tokens || *tokens < max_tokens)) {
		int b = 0;
		for (; b < B && pos + (uint64_t)T + 1 <= total && (!max_tokens || *tokens < max_tokens); b++) {
			uint32_t *row = rows + (size_t)b * (T + 1);
			CUR_FORWARD(shard_loader_read(l, pos, row, (size_t)T + 1, err));
			CUR_FORWARD(check_ids(row, (size_t)T + 1, m->c.vocab_size, pos, "evaluation", err));
			pos += (uint64_t)T;
			*tokens += (uint64_t)T;
		}
		model_set_batch(m, x, a, rows, b, T, doc_mask);
		sum += model_forward(m, x, a, NULL);
		*windows += (uint64_t)b;
	}
	*loss = *tokens ? sum / (double)*tokens : NAN;
	return CUR_OK;
}

/* ---- the log, the curve ---- */

typedef struct log_row {
	long step;
	double lr, loss, gnorm, tps, valid;
} log_row;

typedef struct train_log {
	log_row *rows;
	size_t n, cap;
} train_log;

static int log_add(train_log *g, const log_row *r)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 256;
		log_row *p = cur_realloc_array(g->rows, cap, sizeof *p);
		if (!p)
			return CUR_ENOMEM;
		g->rows = p;
		g->cap = cap;
	}
	g->rows[g->n++] = *r;
	return CUR_OK;
}

/* Rows of an earlier run's log up to step (a resumed run continues it). */
static int log_load(train_log *g, const char *dir, long step)
{
	char *path = model_join(dir, "train_log.csv"), line[512];
	FILE *f = path ? fopen(path, "r") : NULL;
	free(path);
	if (!f)
		return CUR_OK;
	while (fgets(line, sizeof line, f)) {
		log_row r;
		char *p = line, *end;
		double v[6];
		int k = 0;
		for (; k < 6; k++) {
			v[k] = strtod(p, &end);
			if (end == p && k == 5)
				v[k] = NAN; /* an empty valid_loss */
			else if (end == p)
				break;
			p = *end == ',' ? end + 1 : end;
		}
		if (k < 6 || v[0] > (double)step)
			continue;
		r = (log_row){ (long)v[0], v[1], v[2], v[3], v[4], v[5] };
		if (log_add(g, &r) < 0) {
			fclose(f);
			return CUR_ENOMEM;
		}
	}
	fclose(f);
	return CUR_OK;
}

static int write_text(const char *dir, const char *name, const cur_buf *b, cur_err *err)
{
	char *path = model_join(dir, name);
	int rc = path ? cur_atomic_write_file(path, b->data, b->len, err)
		      : cur_err_set(err, CUR_ENOMEM, "out of memory");
	free(path);
	return rc;
}

static int write_csv(const train_log *g, const char *dir, cur_err *err)
{
	cur_buf b;
	int rc = CUR_OK;
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	cur_buf_printf(&b, "step,lr,loss,grad_norm,tokens_per_second,valid_loss\n");
	for (size_t i = 0; i < g->n; i++) {
		const log_row *r = &g->rows[i];
		cur_buf_printf(&b, "%ld,%.6g,%.6f,%.6g,%.1f,", r->step, r->lr, r->loss, r->gnorm, r->tps);
		if (!isnan(r->valid))
			cur_buf_printf(&b, "%.6f", r->valid);
		if (cur_buf_putc(&b, '\n') < 0)
			rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	if (rc == CUR_OK)
		rc = write_text(dir, "train_log.csv", &b, err);
	cur_buf_release(&b);
	return rc;
}

/* The loss curve: training loss (a line) and validation loss (dots) by
 * update, on a plain SVG chart. */
static int write_svg(const train_log *g, const char *dir, cur_err *err)
{
	const double W = 720, H = 400, L = 60, R = 20, T = 30, B = 45;
	double lo = INFINITY, hi = -INFINITY, maxs = 1;
	cur_buf b;
	int rc;

	for (size_t i = 0; i < g->n; i++) {
		const log_row *r = &g->rows[i];
		lo = fmin(lo, fmin(r->loss, isnan(r->valid) ? r->loss : r->valid));
		hi = fmax(hi, fmax(r->loss, isnan(r->valid) ? r->loss : r->valid));
		maxs = fmax(maxs, (double)r->step);
	}
	if (!(hi > lo)) {
		lo = isfinite(lo) ? lo - 1 : 0;
		hi = lo + 2;
	}
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	cur_buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		       "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
		       "fill=\"white\"/>\n<text x=\"%.0f\" y=\"18\">loss by update (train: line, valid: dots)</text>\n",
		       W, H, L);
#define SX(s) (L + (W - L - R) * (double)(s) / maxs)
#define SY(v) (H - B - (H - T - B) * ((v) - lo) / (hi - lo))
	for (int k = 0; k <= 4; k++) {
		double v = lo + (hi - lo) * k / 4, s = maxs * k / 4;
		cur_buf_printf(&b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
			       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n",
			       L, W - R, SY(v), SY(v), L - 6, SY(v) + 4, v);
		cur_buf_printf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", SX(s),
			       H - B + 18, s);
	}
	cur_buf_printf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">update</text>\n",
		       (L + W - R) / 2, H - 8);
	cur_buf_printf(&b, "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.2\" points=\"");
	for (size_t i = 0; i < g->n; i++)
		cur_buf_printf(&b, "%.1f,%.1f ", SX(g->rows[i].step), SY(g->rows[i].loss));
	cur_buf_printf(&b, "\"/>\n");
	for (size_t i = 0; i < g->n; i++)
		if (!isnan(g->rows[i].valid))
			cur_buf_printf(&b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#ff7f0e\"/>\n",
				       SX(g->rows[i].step), SY(g->rows[i].valid));
#undef SX
#undef SY
	rc = cur_buf_printf(&b, "</svg>\n");
	rc = rc < 0 ? cur_err_set(err, CUR_ENOMEM, "out of memory") : write_text(dir, "loss_curve.svg", &b, err);
	cur_buf_release(&b);
	return rc;
}

/* ---- checkpoints ---- */

static const char STATE_FILE[] = "training_state.safetensors";

/* The training state holds the float32 weights and both AdamW moments
 * (model.safetensors may be read by others; the state is what a resume
 * trusts), the update count and the run's options. */
static int save_state(const model_trainer *t, json_t *opts, const char *dir, cur_err *err)
{
	json_t *keep = json_deep_copy(opts);
	for (int i = 0; keep && per_run[i]; i++)
		json_object_del(keep, per_run[i]);
	char step[32], *path = model_join(dir, STATE_FILE), *text = keep ? json_dumps(keep, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(keep);
	snprintf(step, sizeof step, "%ld", t->step);
	json_t *meta = json_pack("{s:s, s:s, s:s, s:s}", "format", "curate-training-state", "version", "1",
				 "step", step, "options", text ? text : "{}");
	model_st_entry e[3] = {
		{ .name = "weights", .dtype = MODEL_F32, .ndim = 1, .shape = { t->m->nw }, .data = t->m->w },
		{ .name = "adam.m", .dtype = MODEL_F32, .ndim = 1, .shape = { t->m->nw }, .data = t->m1 },
		{ .name = "adam.v", .dtype = MODEL_F32, .ndim = 1, .shape = { t->m->nw }, .data = t->m2 },
	};
	int rc = path && meta && text ? model_st_write(path, e, 3, meta, err)
				      : cur_err_set(err, CUR_ENOMEM, "out of memory");
	json_decref(meta);
	free(text);
	free(path);
	return rc;
}

static int save_all(const model_trainer *t, json_t *opts, const train_log *g, const char *dir,
		    cur_err *err)
{
	CUR_FORWARD(model_save(t->m, dir, MODEL_F32, err));
	CUR_FORWARD(write_csv(g, dir, err));
	CUR_FORWARD(write_svg(g, dir, err));
	return save_state(t, opts, dir, err);
}

/* The stored options of a run in dir, and its weights and moments. */
static int open_state(const char *dir, model_st **st, json_t **opts, long *step, cur_err *err)
{
	char *path = model_join(dir, STATE_FILE);
	json_error_t je;
	int rc = path ? model_st_open(path, st, err) : cur_err_set(err, CUR_ENOMEM, "out of memory");
	free(path);
	if (rc < 0)
		return rc;
	const char *fmt = model_st_meta(*st, "format"), *s = model_st_meta(*st, "step");
	const char *o = model_st_meta(*st, "options");
	char *end = NULL;
	*step = s ? strtol(s, &end, 10) : -1;
	*opts = o ? json_loads(o, 0, &je) : NULL;
	if (!fmt || strcmp(fmt, "curate-training-state") != 0 || !end || *end || *step < 0 || !*opts) {
		json_decref(*opts);
		model_st_free(*st);
		return cur_err_set(err, CUR_EDATA, "%s/%s: not a curate training state", dir, STATE_FILE);
	}
	return CUR_OK;
}

static int read_state_tensor(const model_st *st, const char *name, float *out, size_t n,
			     cur_err *err)
{
	const model_st_tensor *t = model_st_find(st, name);
	if (!t || t->count != n || t->dtype != MODEL_F32)
		return cur_err_set(err, CUR_EDATA, "training state: '%s' is missing or not %zu float32 values",
				   name, n);
	return model_st_read(st, t, out, err);
}

/* Merge the options given now into a resumed run's: only those in
 * resumable[] may differ. */
static int merge_resume(json_t *stored, json_t *given, cur_err *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(given, k, v) {
		json_t *old = json_object_get(stored, k);
		if (is_resumable(k))
			json_object_set(stored, k, v);
		else if (!old || !json_equal(old, v))
			return cur_err_set(err, CUR_EINVAL, "--%s differs from the run being resumed; "
					   "only --steps, --shards, --eval-*, --save-every, --stop-at may change", k);
	}
	return CUR_OK;
}

/* ---- the unigram start ---- */

/* Added to every token's count: of 0.01, 0.1, 0.5 and 1, 0.1 gives the
 * reference prose's validation split the lowest unigram loss (a smaller
 * one costs more on the tokens the train split lacks). */
#define UNIGRAM_SMOOTHING 0.1
#define COUNT_CHUNK 65536

static int count_tokens(const shard_loader *l, int V, double *count, cur_err *err)
{
	uint64_t n = shard_loader_tokens(l);
	uint32_t *ids = malloc(COUNT_CHUNK * sizeof *ids);
	int rc = ids ? CUR_OK : cur_err_set(err, CUR_ENOMEM, "out of memory");

	for (uint64_t pos = 0; rc == CUR_OK && pos < n; pos += COUNT_CHUNK) {
		size_t k = n - pos < COUNT_CHUNK ? (size_t)(n - pos) : COUNT_CHUNK;
		if ((rc = shard_loader_read(l, pos, ids, k, err)) < 0)
			break;
		if ((rc = check_ids(ids, k, V, pos, "train", err)) < 0)
			break;
		for (size_t i = 0; i < k; i++)
			count[ids[i]]++;
	}
	free(ids);
	return rc;
}

/* With a 128,256-token vocabulary a small model spends its first few
 * hundred updates learning which tokens are common, and ends a short run
 * little better than a unigram model. Starting the head at the unigram
 * distribution leaves every update to context. Within plain Llama weights:
 * channel 0 of every input embedding is a constant b as large as the other
 * channels' random values together (std MODEL_INIT_STD each), so after the final
 * RMSNorm channel 0 is about sqrt(dim / 2) at every position, whatever the
 * token; the head's channel 0 is the token's smoothed log-frequency over
 * sqrt(dim / 2), and each logit starts at that log-frequency plus the
 * random part (softmax ignores the constant log of the total). Only an
 * untied head can do this: tied, the constant input channel would be the
 * head's channel too. */
static int init_unigram(model *m, const shard_loader *train, cur_err *err)
{
	const int V = m->c.vocab_size, d = m->c.dim;

	if (m->c.tied)
		return cur_err_set(err, CUR_EINVAL, "--unigram-init needs an untied head "
				   "(\"tie_word_embeddings\": false in the config)");
	double *count = calloc((size_t)V, sizeof *count);
	if (!count)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	int rc = count_tokens(train, V, count, err);
	const float b = (float)(MODEL_INIT_STD * sqrt(d - 1.0)), scale = 1.0f / sqrtf(d / 2.0f);
	for (int v = 0; rc == CUR_OK && v < V; v++) {
		m->w[m->embed + (size_t)v * d] = b;
		m->w[m->head + (size_t)v * d] =
			scale * (float)log((count[v] + UNIGRAM_SMOOTHING) / UNIGRAM_SMOOTHING);
	}
	free(count);
	return rc;
}

/* ---- the run ---- */

typedef struct run {
	train_opts o;
	json_t *opts;          /* the effective options (stored in the state) */
	uint64_t seed;
	const char *out;
	int quiet, threads;
	int line_open;         /* the progress line awaits its newline */
	shard_loader *train, *valid;
	model *m;
	model_trainer *t;
	train_log log;
	uint32_t *rows;
	model_st *resume;
} run;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int open_data(run *r, cur_err *err)
{
	cur_err quiet;
	CUR_FORWARD(shard_loader_open(r->o.shards, "train", 1, (size_t)r->o.seq, 0, 1, &r->train, err));
	/* no validation split is not an error: training goes on without it */
	if (shard_loader_open(r->o.shards, "valid", 1, (size_t)r->o.seq, 0, 1, &r->valid, &quiet) < 0) {
		r->valid = NULL;
		if (!r->quiet)
			fprintf(stderr, "curate model train: no validation split (%s); evaluation is off\n",
				quiet.msg);
	}
	return CUR_OK;
}

static int make_model(run *r, json_t *given, cur_err *err)
{
	model_config c;
	long step = 0;

	if (json_is_true(json_object_get(given, "resume"))) {
		json_t *stored = NULL;
		CUR_FORWARD(open_state(r->out, &r->resume, &stored, &step, err));
		r->opts = stored;
		CUR_FORWARD(merge_resume(stored, given, err));
		char *cfg = model_join(r->out, "config.json");
		int rc = cfg ? model_config_load(cfg, &c, err) : cur_err_set(err, CUR_ENOMEM, "out of memory");
		free(cfg);
		CUR_FORWARD(rc);
		json_t *seed = json_object_get(stored, "seed");
		r->seed = (uint64_t)json_integer_value(seed);
		json_object_del(stored, "seed");
		CUR_FORWARD(read_opts(stored, &r->o, err));
		json_object_set_new(stored, "seed", json_integer((json_int_t)r->seed));
	} else {
		r->opts = json_deep_copy(given);
		CUR_FORWARD(read_opts(r->opts, &r->o, err));
		CUR_FORWARD(model_config_load(r->o.config, &c, err));
		/* stored as run, so that a resume with other --steps keeps them */
		json_object_set_new(r->opts, "warmup", json_integer(r->o.warmup));
		json_object_set_new(r->opts, "seed", json_integer((json_int_t)r->seed));
	}
	if (r->o.seq == 0)
		r->o.seq = c.max_seq;
	if (r->o.seq > c.max_seq || r->o.seq < 2)
		return cur_err_set(err, CUR_EINVAL, "--seq %ld is not in 2..%d (max_position_embeddings)",
				   r->o.seq, c.max_seq);
	CUR_FORWARD(model_new(&c, model_cpu_ops(), &r->m, err));
	if (!r->resume)
		model_init_weights(r->m, r->seed);
	model_hparams h = { .lr = r->o.lr, .final_lr_fraction = r->o.final_lr,
			    .weight_decay = r->o.weight_decay, .clip = r->o.clip, .beta1 = 0.9,
			    .beta2 = 0.95, .eps = 1e-8, .warmup = r->o.warmup, .steps = r->o.steps,
			    .doc_mask = r->o.doc_mask };
	CUR_FORWARD(model_trainer_new(r->m, &h, (int)r->o.batch, (int)r->o.seq, r->threads, r->o.matmul,
				      &r->t, err));
	if (r->resume) {
		CUR_FORWARD(read_state_tensor(r->resume, "weights", r->m->w, r->m->nw, err));
		CUR_FORWARD(read_state_tensor(r->resume, "adam.m", r->t->m1, r->m->nw, err));
		CUR_FORWARD(read_state_tensor(r->resume, "adam.v", r->t->m2, r->m->nw, err));
		r->t->step = step;
		if (log_load(&r->log, r->out, step) < 0)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	return CUR_OK;
}

static void progress(run *r, const log_row *row, double elapsed, long done, long todo)
{
	if (r->quiet)
		return;
	int tty = isatty(2);
	long last = r->o.stop_at && r->o.stop_at < r->o.steps ? r->o.stop_at : r->o.steps;
	if (!tty && row->step % 10 && row->step != last && isnan(row->valid))
		return;
	double eta = done ? elapsed / (double)done * (double)(todo - done) : 0;
	fprintf(stderr, "%sstep %ld/%ld  loss %.4f  lr %.2e  %.0f tok/s  ETA %ldm%02lds", tty ? "\r" : "",
		row->step, r->o.steps, row->loss, row->lr, row->tps, (long)eta / 60, (long)eta % 60);
	if (!isnan(row->valid))
		fprintf(stderr, "  valid %.4f (ppl %.1f)", row->valid, exp(row->valid));
	r->line_open = tty && isnan(row->valid);
	fputs(r->line_open ? "   " : "\n", stderr);
}

static int evaluate(run *r, double *loss, cur_err *err)
{
	uint64_t tokens, windows;
	*loss = NAN;
	if (!r->valid)
		return CUR_OK;
	return eval_split(r->valid, r->m, r->t->x, &r->t->a, (int)r->o.batch, (int)r->o.seq, r->o.doc_mask,
			  (uint64_t)r->o.eval_tokens, r->rows, loss, &tokens, &windows, err);
}

/* A first SIGINT or SIGTERM (core/interrupt.h) ends the run after the
 * update in progress, as --stop-at does: the checkpoint is saved, so that
 * --resume continues where it stopped. */
static int stop_interrupted(run *r, long step, cur_err *err)
{
	if (r->line_open)
		fputc('\n', stderr);
	CUR_FORWARD(save_all(r->t, r->opts, &r->log, r->out, err));
	return cur_err_set(err, CUR_EINTR, "stopped after update %ld by a signal; the checkpoint in '%s' "
			   "is saved and --resume continues", step, r->out);
}

static int train_loop(run *r, cur_err *err)
{
	long first = r->t->step + 1, last = r->o.steps;
	double start = now();

	if (r->o.stop_at && r->o.stop_at < last)
		last = r->o.stop_at;
	if (shard_loader_tokens(r->train) < (uint64_t)r->o.seq + 1)
		return cur_err_set(err, CUR_EINVAL, "the train split has fewer than %ld tokens", r->o.seq + 1);
	for (long step = first; step <= last; step++) {
		double t0 = now(), loss, gnorm;
		CUR_FORWARD(sample_windows(r->train, r->seed, step, (int)r->o.batch, (int)r->o.seq,
					   r->m->c.vocab_size, r->rows, err));
		model_trainer_step(r->t, r->rows, &loss, &gnorm);
		log_row row = { .step = step, .lr = model_lr_at(&r->t->h, step), .loss = loss, .gnorm = gnorm,
				.tps = (double)(r->o.batch * r->o.seq) / (now() - t0), .valid = NAN };
		if (!isfinite(loss))
			return cur_err_set(err, CUR_EDATA, "the loss is %g at step %ld: lower --lr", loss, step);
		if ((r->o.eval_every && step % r->o.eval_every == 0) || step == r->o.steps)
			CUR_FORWARD(evaluate(r, &row.valid, err));
		if (log_add(&r->log, &row) < 0)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		progress(r, &row, now() - start, step - first + 1, last - first + 1);
		if (r->o.save_every && step % r->o.save_every == 0 && step != last)
			CUR_FORWARD(save_all(r->t, r->opts, &r->log, r->out, err));
		if (cur_interrupted() && step != last)
			return stop_interrupted(r, step, err);
	}
	if (r->line_open)
		fputc('\n', stderr);
	return save_all(r->t, r->opts, &r->log, r->out, err);
}

int model_train_run(json_t *cfg, const char *out, int threads, uint64_t seed, int quiet,
		    cur_err *err)
{
	run r = { .out = out, .quiet = quiet, .threads = threads, .seed = seed };
	int rc;

	if (!out)
		return cur_err_set(err, CUR_EINVAL, "give the checkpoint directory with -o DIR");
	CUR_FORWARD(cur_mkdir_p(out, err));
	if ((rc = make_model(&r, cfg, err)) < 0 || (rc = open_data(&r, err)) < 0)
		goto out;
	if (!r.resume && r.o.unigram_init && (rc = init_unigram(r.m, r.train, err)) < 0)
		goto out;
	r.rows = cur_malloc_array((size_t)r.o.batch * (r.o.seq + 1), sizeof *r.rows);
	if (!r.rows) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	if (!quiet)
		fprintf(stderr, "curate model train: %zu parameters, %ld x %ld tokens per update, %d thread%s, %s\n",
			model_param_count(r.m), r.o.batch, r.o.seq, threads, threads > 1 ? "s" : "",
			model_matmul_name(model_matmul_resolve(r.o.matmul)));
	rc = train_loop(&r, err);
out:
	free(r.rows);
	free(r.log.rows);
	model_trainer_free(r.t);
	model_free(r.m);
	model_st_free(r.resume);
	shard_loader_close(r.train);
	shard_loader_close(r.valid);
	json_decref(r.opts);
	return rc;
}

/* ---- evaluation, export ---- */

int model_eval_run(const char *ckpt, json_t *cfg, int threads, json_t **result, cur_err *err)
{
	const char *shards, *split, *mm;
	int64_t B, T, max_tokens;
	int no_mask, matmul, rc;
	model *m = NULL;
	model_exec *x = NULL;
	model_acts a = { 0 };
	shard_loader *l = NULL;
	uint32_t *rows = NULL;

	*result = NULL;
	CUR_FORWARD(cur_cfg_check_keys(cfg, model_eval_options, "model eval", err));
	CUR_FORWARD(cur_cfg_str(cfg, "shards", NULL, &shards, err));
	CUR_FORWARD(cur_cfg_str(cfg, "eval_split", "valid", &split, err));
	CUR_FORWARD(cur_cfg_int(cfg, "batch", 8, &B, err));
	CUR_FORWARD(cur_cfg_int(cfg, "seq", 0, &T, err));
	CUR_FORWARD(cur_cfg_int(cfg, "tokens", 0, &max_tokens, err));
	CUR_FORWARD(cur_cfg_bool(cfg, "no_doc_mask", 0, &no_mask, err));
	CUR_FORWARD(cur_cfg_str(cfg, "matmul", "auto", &mm, err));
	if ((matmul = model_matmul_parse(mm)) < 0)
		return cur_err_set(err, CUR_EINVAL, "--matmul must be auto, openblas or plain, not '%s'", mm);
	if (!shards)
		return cur_err_set(err, CUR_EINVAL, "--shards DIR is required");
	if (B < 1 || B > 4096 || T < 0 || max_tokens < 0)
		return cur_err_set(err, CUR_EINVAL, "--batch, --seq and --tokens must be positive");
	CUR_FORWARD(model_load(ckpt, &m, err));
	if (T == 0)
		T = m->c.max_seq;
	if (T < 2 || T > m->c.max_seq) {
		rc = cur_err_set(err, CUR_EINVAL, "--seq %lld is not in 2..%d", (long long)T, m->c.max_seq);
		goto out;
	}
	model_exec_size size = model_exec_size_for(m, (int)B, (int)T, 0);
	uint64_t tokens, windows;
	double loss;
	rows = cur_malloc_array((size_t)B * (T + 1), sizeof *rows);
	if (!rows) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = shard_loader_open(shards, split, 1, (size_t)T, 0, 1, &l, err)) < 0 ||
	    (rc = model_cpu_exec_new(threads, matmul, &size, &x, err)) < 0 ||
	    (rc = model_acts_new(m, x, (int)B, (int)T, 0, &a, err)) < 0)
		goto out;
	double secs = now();
	rc = eval_split(l, m, x, &a, (int)B, (int)T, !no_mask, (uint64_t)max_tokens, rows, &loss, &tokens,
			&windows, err);
	secs = now() - secs;
	if (rc < 0)
		goto out;
	*result = json_pack("{s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:s}", "split", split,
			    "tokens", (json_int_t)tokens, "windows", (json_int_t)windows, "seq", (json_int_t)T,
			    "loss", loss, "perplexity", exp(loss), "seconds", secs,
			    "tokens_per_second", secs > 0 ? (double)tokens / secs : 0.0, "matmul",
			    model_matmul_name(model_matmul_resolve(matmul)));
	rc = *result ? CUR_OK : cur_err_set(err, CUR_ENOMEM, "out of memory");
out:
	if (x) {
		model_acts_release(m, x, &a);
		m->ops->exec_free(x);
	}
	free(rows);
	shard_loader_close(l);
	model_free(m);
	return rc;
}

int model_export_run(const char *ckpt, const char *out, const char *dtype, cur_err *err)
{
	int dt = model_dtype_parse(dtype);
	model *m;
	if (dt < 0)
		return cur_err_set(err, CUR_EINVAL, "--dtype must be f32, f16 or bf16, not '%s'", dtype);
	CUR_FORWARD(model_load(ckpt, &m, err));
	int rc = model_save(m, out, dt, err);
	model_free(m);
	return rc;
}
