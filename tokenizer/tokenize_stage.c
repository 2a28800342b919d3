/* The tokenize stage and the ids sink.
 *
 * Both load their own tokenizer (read-only, shared by every worker) and keep
 * a tok_ids buffer per thread, so encoding allocates nothing per document
 * once the buffers have grown. */
#include <config.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/buf.h"
#include "tokenizer/tok_extra.h"
#include "core/writer.h"
#include "tokenizer/tokenize_stage.h"
#include "tokenizer/tokenizer.h"

const cur_opt_spec tok_stage_options[] = {
	{ "emit", CUR_OPT_STR, "WHAT", "count (metadata.tokens) or ids (one line per document)", "count" },
	{ "allow-special", CUR_OPT_FLAG, NULL, "encode special-token strings as their ids", NULL },
	{ "pretokenizer", CUR_OPT_STR, "NAME", "scanner (Unicode 16.0) or pcre2", "scanner" },
	{ NULL, 0, NULL, NULL, NULL }
};

typedef struct tok_conf {
	tok_tokenizer *tok;
	int allow_special;
	int emit_ids;
} tok_conf;

static int conf_load(tok_conf *c, json_t *cfg, const cur_stage_env *env, cur_err *err)
{
	const char *emit, *pre;

	memset(c, 0, sizeof(*c));
	CUR_FORWARD(cur_cfg_check_keys(cfg, tok_stage_options, "tokenize", err));
	CUR_FORWARD(cur_cfg_str(cfg, "emit", "count", &emit, err));
	CUR_FORWARD(cur_cfg_bool(cfg, "allow_special", 0, &c->allow_special, err));
	CUR_FORWARD(cur_cfg_str(cfg, "pretokenizer", NULL, &pre, err));
	if (strcmp(emit, "ids") == 0)
		c->emit_ids = 1;
	else if (strcmp(emit, "count") != 0)
		return cur_err_set(err, CUR_EINVAL, "--emit must be 'count' or 'ids', not '%s'", emit);
	if (pre && strcmp(pre, "scanner") != 0 && strcmp(pre, "pcre2") != 0)
		return cur_err_set(err, CUR_EINVAL,
				   "--pretokenizer must be 'scanner' or 'pcre2', not '%s'", pre);
	CUR_FORWARD(tok_load(env ? env->tokenizer_path : NULL, &c->tok, err));
	/* Without the option the vocabulary decides: the scanner for the
	 * Llama 3 pattern, PCRE2 for a pattern of its own. */
	return pre ? tok_set_pretokenizer(c->tok, pre, err) : CUR_OK;
}

static void *ids_new(void)
{
	tok_ids *v = malloc(sizeof(*v));

	if (v)
		tok_ids_init(v);
	return v;
}

static void ids_free(void *p)
{
	if (!p)
		return;
	tok_ids_release(p);
	free(p);
}

/* ---- the stage ---- */

typedef struct tok_stage {
	cur_stage base;
	tok_conf conf;
	long long tokens_total;
} tok_stage;

static void *stage_thread_new(cur_stage *self)
{
	(void)self;
	return ids_new();
}

static void stage_thread_free(cur_stage *self, void *tls)
{
	(void)self;
	ids_free(tls);
}

/* Runs on every worker at once: the totals are atomic. */
static int stage_process(cur_stage *self, void *tls, cur_doc *doc, cur_err *err)
{
	tok_stage *s = self->priv;
	tok_ids *v = tls;
	json_t *meta;

	if (!v)
		return CUR_ENOMEM;
	v->len = 0;
	(void)err;
	CUR_FORWARD(tok_encode(s->conf.tok, doc->text, doc->text_len, s->conf.allow_special, v));
	meta = cur_doc_metadata(doc);
	if (!meta || json_object_set_new(meta, "tokens", json_integer((json_int_t)v->len)))
		return CUR_ENOMEM;
	__atomic_fetch_add(&s->tokens_total, (long long)v->len, __ATOMIC_RELAXED);
	return CUR_KEEP;
}

static int stage_finish(cur_stage *self, json_t *report, cur_err *err)
{
	tok_stage *s = self->priv;

	(void)err;
	json_object_set_new(report, "tokens",
			    json_integer(__atomic_load_n(&s->tokens_total, __ATOMIC_RELAXED)));
	json_object_set_new(report, "vocab_checksum", json_string(tok_checksum(s->conf.tok)));
	return CUR_OK;
}

static void stage_destroy(cur_stage *self)
{
	tok_stage *s;

	if (!self)
		return;
	s = self->priv;
	tok_free(s->conf.tok);
	free(s);
}

static const cur_stage_ops tok_stage_ops = {
	.thread_new = stage_thread_new,
	.thread_free = stage_thread_free,
	.process = stage_process,
	.finish = stage_finish,
	.destroy = stage_destroy,
};

cur_stage *tok_stage_new(json_t *config, const cur_stage_env *env, cur_err *err)
{
	tok_stage *s = calloc(1, sizeof(*s));

	if (!s) {
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	if (conf_load(&s->conf, config, env, err) < 0) {
		tok_free(s->conf.tok);
		free(s);
		return NULL;
	}
	if (s->conf.emit_ids) {
		cur_err_set(err, CUR_EINVAL, "--emit ids writes its own output: use "
			    "'curate tokenize --emit ids', or 'sink: {ids: {}}' in a pipeline file");
		tok_free(s->conf.tok);
		free(s);
		return NULL;
	}
	s->base.ops = &tok_stage_ops;
	s->base.name = "tokenize";
	s->base.serial = 0;
	s->base.priv = s;
	return &s->base;
}

/* ---- the ids sink ---- */

/* One line of ids per document, in input order, through core/writer.h's
 * atomic output (compressed by the name: .zst, .gz). Encoding and
 * formatting run on the workers (prepare); the ordered turn only copies. */
typedef struct ids_sink {
	cur_sink base;
	tok_conf conf;
	const void *key;   /* the attachment key: the sink's own address */
	cur_out *out;
	long long docs, tokens;
} ids_sink;

typedef struct ids_line {
	cur_buf text;
	size_t tokens;
} ids_line;

static void ids_line_free(void *p)
{
	ids_line *l = p;

	cur_buf_release(&l->text);
	free(l);
}

/* Append ids as decimal numbers separated by single spaces, and '\n'. */
static int format_ids(const tok_ids *v, cur_buf *line)
{
	/* At most 11 bytes an id: format by hand, snprintf per id is slow. */
	if (v->len > SIZE_MAX / 11 - 1)
		return CUR_ENOMEM;
	CUR_FORWARD(cur_buf_reserve(line, v->len * 11 + 1));
	for (size_t i = 0; i < v->len; i++) {
		char num[12], *q = num + sizeof(num);
		uint32_t x = v->ids[i];
		do {
			*--q = (char)('0' + x % 10);
			x /= 10;
		} while (x);
		if (i)
			*--q = ' ';
		memcpy(line->data + line->len, q, (size_t)(num + sizeof(num) - q));
		line->len += (size_t)(num + sizeof(num) - q);
	}
	return cur_buf_putc(line, '\n');
}

static int sink_prepare(cur_sink *self, void *tls, cur_doc *doc, cur_err *err)
{
	ids_sink *s = self->priv;
	ids_line *l = calloc(1, sizeof(*l));
	tok_ids v;
	int rc;

	(void)tls;
	(void)err;
	if (!l)
		return CUR_ENOMEM;
	tok_ids_init(&v);
	cur_buf_init(&l->text, (size_t)1 << 34);
	rc = tok_encode(s->conf.tok, doc->text, doc->text_len, s->conf.allow_special, &v);
	if (rc >= 0)
		rc = format_ids(&v, &l->text);
	l->tokens = v.len;
	tok_ids_release(&v);
	if (rc < 0) {
		ids_line_free(l);
		return rc;
	}
	return cur_doc_attach(doc, s->key, l, ids_line_free);
}

static int sink_write(cur_sink *self, cur_doc *doc, cur_err *err)
{
	ids_sink *s = self->priv;
	ids_line *l = cur_doc_attached(doc, s->key);
	int rc;

	if (!l)
		return cur_err_set(err, CUR_EINVAL, "internal error: document '%s' was not encoded",
				   cur_doc_id(doc));
	s->docs++;
	s->tokens += (long long)l->tokens;
	rc = cur_out_write(s->out, l->text.data, l->text.len);
	if (rc < 0)
		cur_err_set(err, rc, "%s", cur_out_error(s->out));
	return rc;
}

static int sink_finish(cur_sink *self, json_t *report, cur_err *err)
{
	ids_sink *s = self->priv;

	CUR_FORWARD(cur_out_finish(s->out, err));
	json_object_set_new(report, "format", json_string("ids"));
	json_object_set_new(report, "documents", json_integer(s->docs));
	json_object_set_new(report, "tokens", json_integer(s->tokens));
	json_object_set_new(report, "vocab_checksum", json_string(tok_checksum(s->conf.tok)));
	return CUR_OK;
}

static void sink_destroy(cur_sink *self)
{
	ids_sink *s;

	if (!self)
		return;
	s = self->priv;
	cur_out_free(s->out); /* unfinished: never left under the final name */
	tok_free(s->conf.tok);
	free(s);
}

static const cur_sink_ops ids_sink_ops = {
	.prepare = sink_prepare,
	.write = sink_write,
	.finish = sink_finish,
	.destroy = sink_destroy,
};

cur_sink *tok_ids_sink_new(json_t *config, const cur_stage_env *env, const char *output,
			   cur_err *err)
{
	ids_sink *s = calloc(1, sizeof(*s));
	json_t *cfg = config ? json_deep_copy(config) : json_object();

	if (!s || !cfg) {
		free(s);
		json_decref(cfg);
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	/* The sink always emits ids, whatever "emit" says. */
	json_object_del(cfg, "emit");
	s->key = s;
	if (conf_load(&s->conf, cfg, env, err) < 0)
		goto fail;
	if (cur_out_open(&s->out, output, env ? env->jobs : 1, err) < 0)
		goto fail;
	json_decref(cfg);
	s->base.ops = &ids_sink_ops;
	s->base.priv = s;
	return &s->base;
fail:
	json_decref(cfg);
	s->base.priv = s;
	sink_destroy(&s->base);
	return NULL;
}

/* ---- the report's token counter ---- */

static void *counter_thread_new(void *ctx)
{
	(void)ctx;
	return ids_new();
}

static void counter_thread_free(void *ctx, void *tls)
{
	(void)ctx;
	ids_free(tls);
}

static int counter_count(void *ctx, void *tls, const char *text, size_t len, uint64_t *out)
{
	tok_ids *v = tls;

	if (!v)
		return CUR_ENOMEM;
	v->len = 0;
	CUR_FORWARD(tok_encode(ctx, text, len, 0, v));
	*out = v->len;
	return CUR_OK;
}

int tok_counter_new(const char *path, cur_token_counter *out, cur_err *err)
{
	tok_tokenizer *t;

	memset(out, 0, sizeof(*out));
	CUR_FORWARD(tok_load(path, &t, err));
	out->ctx = t;
	out->thread_new = counter_thread_new;
	out->thread_free = counter_thread_free;
	out->count = counter_count;
	return CUR_OK;
}

void tok_counter_free(cur_token_counter *tc)
{
	tok_free(tc->ctx);
	tc->ctx = NULL;
}

const char *tok_counter_checksum(const cur_token_counter *tc)
{
	return tok_checksum(tc->ctx);
}
