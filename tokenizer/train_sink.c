/* The trainer as a pipeline sink: options in, a vocabulary out.
 *
 * Workers cut each document into counted pieces (prepare); the ordered
 * turn adds them to the trainer (write), so the counts, and the sketch's
 * pruning when memory runs short, follow the input order for any -j. The
 * merges run in finish, which then writes the files. */
#include <config.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "tokenizer/tok_extra.h"
#include "tokenizer/train_int.h"

#define TRAIN_OPTIONS \
	{ "vocab-size", CUR_OPT_INT, "N", "ranks plus special tokens (Llama 3: 128256)", NULL }, \
	{ "pattern", CUR_OPT_STR, "FILE", "the pre-tokenizer regex, one line", "Llama 3's" }
#define EXTEND_OPTIONS \
	{ "base", CUR_OPT_STR, "FILE", "the vocabulary to extend (else the first FILE)", NULL }, \
	{ "add", CUR_OPT_INT, "K", "new tokens to learn and append", NULL }, \
	{ "base-ranks", CUR_OPT_INT, "N", "keep only the base's first N ranks", "all" }
#define COMMON_OPTIONS \
	{ "min-frequency", CUR_OPT_INT, "F", "stop when no pair occurs F times", "2" }, \
	{ "mem-limit", CUR_OPT_STR, "SIZE", "memory for counts and merges; past it counts are " \
	  "sketched", "1G" }, \
	{ "special-tokens", CUR_OPT_STR, "FILE", "special tokens, one a line", \
	  "Llama 3's 256, or the base's" }

const cur_opt_spec tok_train_options[] = {
	TRAIN_OPTIONS,
	COMMON_OPTIONS,
	{ NULL, 0, NULL, NULL, NULL }
};

const cur_opt_spec tok_extend_options[] = {
	EXTEND_OPTIONS,
	COMMON_OPTIONS,
	{ NULL, 0, NULL, NULL, NULL }
};

const cur_opt_spec tok_train_sink_options[] = {
	TRAIN_OPTIONS,
	EXTEND_OPTIONS,
	COMMON_OPTIONS,
	{ NULL, 0, NULL, NULL, NULL }
};

typedef struct train_sink {
	cur_sink base;
	tok_trainer *t;
	tok_tokenizer *base_tok;
	char **specials;
	size_t nspecials;
	train_outputs out;
	const char *path;
	char *path_own;      /* the sink's own output option, when given */
	char summary[512];
} train_sink;

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static int list_add(char ***v, size_t *n, const char *s, size_t len)
{
	char **w = cur_realloc_array(*v, *n + 1, sizeof(char *));

	if (!w)
		return CUR_ENOMEM;
	*v = w;
	if (!(w[*n] = cur_strndup(s, len)))
		return CUR_ENOMEM;
	(*n)++;
	return CUR_OK;
}

static int read_file(const char *path, cur_buf *b, cur_err *err)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;
	int rc = CUR_OK;

	if (!f)
		return cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path, strerror(errno));
	while (rc == CUR_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = cur_buf_append(b, chunk, n);
	if (rc == CUR_OK && ferror(f))
		rc = cur_err_set(err, CUR_EIO, "cannot read '%s'", path);
	else if (rc < 0)
		cur_err_set(err, rc, "'%s' is too large", path);
	fclose(f);
	return rc;
}

/* One special token a line (blank lines skipped). */
static int specials_from_file(train_sink *s, const char *path, cur_err *err)
{
	cur_buf b;
	size_t pos = 0;
	int rc;

	cur_buf_init(&b, (size_t)16 << 20);
	rc = read_file(path, &b, err);
	while (rc == CUR_OK && pos < b.len) {
		const char *ls = b.data + pos, *nl = memchr(ls, '\n', b.len - pos);
		size_t ll = nl ? (size_t)(nl - ls) : b.len - pos;
		pos += ll + (nl != NULL);
		if (ll && ls[ll - 1] == '\r')
			ll--;
		if (ll && (rc = list_add(&s->specials, &s->nspecials, ls, ll)) < 0)
			cur_err_set(err, rc, "out of memory");
	}
	cur_buf_release(&b);
	return rc;
}

/* The special tokens: from the file, else the base's, else Llama 3's. */
static int specials_default(train_sink *s, const char *path, cur_err *err)
{
	const tok_tokenizer *b = s->base_tok;
	int rc = CUR_OK;

	if (path)
		return specials_from_file(s, path, err);
	for (uint32_t k = 0; rc == CUR_OK && k < (b ? b->nspecial : 256); k++) {
		char name[64];
		const char *p = name;
		size_t len;
		if (b) {
			p = tok_token_bytes(b, b->nranks + k, &len);
		} else {
			tok_llama3_special_name(k, name, sizeof(name));
			len = strlen(name);
		}
		rc = list_add(&s->specials, &s->nspecials, p, len);
	}
	return rc < 0 ? cur_err_set(err, rc, "out of memory") : CUR_OK;
}

static int pattern_from_file(const char *path, char **out, cur_err *err)
{
	cur_buf b;
	size_t len;
	int rc;

	*out = NULL;
	cur_buf_init(&b, (size_t)1 << 20);
	rc = read_file(path, &b, err);
	len = rc == CUR_OK ? tok_pattern_length(b.data, b.len) : 0;
	if (rc == CUR_OK && (len == 0 || memchr(b.data, '\0', len) || memchr(b.data, '\n', len)))
		rc = cur_err_set(err, CUR_EINVAL, "invalid pattern in '%s': expected one line", path);
	if (rc == CUR_OK && !(*out = cur_strndup(b.data, len)))
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
	cur_buf_release(&b);
	return rc;
}

/* The extend options: the base, what to keep of it, how much to add. */
static int extend_opts(train_sink *s, json_t *cfg, tok_train_opts *o, cur_err *err)
{
	const char *base;
	int64_t add, keep;

	CUR_FORWARD(cur_cfg_check_keys(cfg, tok_extend_options, "tokenizer extend", err));
	CUR_FORWARD(cur_cfg_str(cfg, "base", NULL, &base, err));
	CUR_FORWARD(cur_cfg_int(cfg, "add", -1, &add, err));
	CUR_FORWARD(cur_cfg_int(cfg, "base_ranks", 0, &keep, err));
	if (add < 1)
		return cur_err_set(err, CUR_EINVAL, "--add K (the tokens to learn, K >= 1) is needed");
	if (keep < 0)
		return cur_err_set(err, CUR_EINVAL, "--base-ranks wants a number >= 1");
	CUR_FORWARD(tok_load(base, &s->base_tok, err));
	o->base = s->base_tok;
	o->base_ranks = keep ? (size_t)keep : s->base_tok->nranks;
	o->ranks = o->base_ranks + (size_t)add;
	o->pattern = s->base_tok->pattern;
	return CUR_OK;
}

static int train_opts(json_t *cfg, tok_train_opts *o, char **pattern, cur_err *err)
{
	const char *file;
	int64_t vocab;

	CUR_FORWARD(cur_cfg_check_keys(cfg, tok_train_options, "tokenizer train", err));
	CUR_FORWARD(cur_cfg_int(cfg, "vocab_size", -1, &vocab, err));
	CUR_FORWARD(cur_cfg_str(cfg, "pattern", NULL, &file, err));
	if (vocab < 0)
		return cur_err_set(err, CUR_EINVAL, "--vocab-size N is needed");
	if (file)
		CUR_FORWARD(pattern_from_file(file, pattern, err));
	o->pattern = *pattern;
	o->ranks = (size_t)vocab;
	return CUR_OK;
}

/* Options both commands share; vocab_size counts the special tokens. */
static int common_opts(train_sink *s, json_t *cfg, tok_train_opts *o, int extend, cur_err *err)
{
	const char *mem, *specials;
	int64_t minf;

	CUR_FORWARD(cur_cfg_int(cfg, "min_frequency", 2, &minf, err));
	CUR_FORWARD(cur_cfg_str(cfg, "mem_limit", "1G", &mem, err));
	CUR_FORWARD(cur_cfg_str(cfg, "special_tokens", NULL, &specials, err));
	if (minf < 1)
		return cur_err_set(err, CUR_EINVAL, "--min-frequency wants a number >= 1");
	o->min_frequency = (uint64_t)minf;
	if (cur_parse_size(mem, &o->mem_limit) != CUR_OK)
		return cur_err_set(err, CUR_EINVAL, "--mem-limit wants a size such as 512M, not '%s'",
				   mem);
	CUR_FORWARD(specials_default(s, specials, err));
	o->specials = s->specials;
	o->nspecials = s->nspecials;
	if (!extend) {
		if (o->ranks < 256 + o->nspecials)
			return cur_err_set(err, CUR_EINVAL, "--vocab-size %zu is smaller than the 256 "
					   "byte tokens plus %zu special tokens", o->ranks,
					   o->nspecials);
		o->ranks -= o->nspecials;
	}
	return CUR_OK;
}

static int sink_prepare(cur_sink *self, void *tls, cur_doc *doc, cur_err *err)
{
	train_sink *s = self->priv;
	tok_piece_batch *b;

	(void)tls;
	CUR_FORWARD(tok_trainer_cut(s->t, doc->text, doc->text_len, &b, err));
	if (cur_doc_attach(doc, s, b, (void (*)(void *))tok_piece_batch_free) < 0)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return CUR_OK;
}

static int sink_write(cur_sink *self, cur_doc *doc, cur_err *err)
{
	train_sink *s = self->priv;
	const tok_piece_batch *b = cur_doc_attached(doc, s);

	if (!b)
		return cur_err_set(err, CUR_EINVAL, "a document was not prepared");
	return tok_trainer_add(s->t, doc->text, b, err);
}

static int sink_finish(cur_sink *self, json_t *report, cur_err *err)
{
	train_sink *s = self->priv;

	CUR_FORWARD(tok_trainer_learn(s->t, err));
	CUR_FORWARD(train_outputs_finish(s->t, &s->out, err));
	if (report) {
		tok_trainer_report(s->t, report);
		json_object_set_new(report, "output", json_string(s->path));
	}
	snprintf(s->summary, sizeof(s->summary),
		 "wrote '%s': %zu ranks and %zu special tokens (%s)\n", s->path,
		 tok_trainer_ranks(s->t), s->nspecials, s->t->stopped);
	return CUR_OK;
}

static const char *sink_summary(const cur_sink *self)
{
	const train_sink *s = self->priv;
	return s->summary;
}

static void sink_destroy(cur_sink *self)
{
	train_sink *s;

	if (!self)
		return;
	s = self->priv;
	train_outputs_free(&s->out);
	tok_trainer_free(s->t);
	tok_free(s->base_tok);
	free_list(s->specials, s->nspecials);
	free(s->path_own);
	free(s);
}

static const cur_sink_ops train_sink_ops = {
	.prepare = sink_prepare,
	.write = sink_write,
	.finish = sink_finish,
	.destroy = sink_destroy,
	.summary = sink_summary,
};

cur_sink *tok_train_sink_new(json_t *config, const cur_stage_env *env, const char *output,
			     cur_err *err)
{
	train_sink *s = calloc(1, sizeof(*s));
	json_t *cfg = config ? json_deep_copy(config) : json_object();
	tok_train_opts o;
	char *pattern = NULL;
	int extend, rc;

	if (!s || !cfg) {
		free(s);
		json_decref(cfg);
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	s->base.priv = s;
	/* `tokenizer: {output: FILE}` in a pipeline file names the vocabulary;
	 * else the run's output. */
	if (json_is_string(json_object_get(cfg, "output"))) {
		s->path_own = strdup(json_string_value(json_object_get(cfg, "output")));
		output = s->path_own;
		json_object_del(cfg, "output");
	}
	s->path = output;
	extend = json_object_get(cfg, "base") != NULL;
	tok_train_opts_init(&o);
	o.jobs = env ? env->jobs : 1;
	rc = extend ? extend_opts(s, cfg, &o, err) : train_opts(cfg, &o, &pattern, err);
	if (rc == CUR_OK)
		rc = common_opts(s, cfg, &o, extend, err);
	if (rc == CUR_OK)
		rc = train_outputs_open(&s->out, output, err);
	if (rc == CUR_OK)
		rc = tok_trainer_new(&o, &s->t, err);
	free(pattern);
	json_decref(cfg);
	if (rc < 0) {
		sink_destroy(&s->base);
		return NULL;
	}
	s->base.ops = &train_sink_ops;
	s->base.text_only = 1;
	return &s->base;
}
