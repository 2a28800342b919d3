/* Vocabulary statistics: a sink that encodes and counts (vocab_stats.h).
 * Encoding runs on the workers (prepare); the ordered turn adds the
 * document's figures to its groups, so the result is the same for any -j. */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "tokenizer/tok_extra.h"
#include "tokenizer/vocab_stats.h"

#define MAX_TOKS 16

typedef struct group {
	uint64_t docs, bytes, chars;
	uint64_t tokens[MAX_TOKS];
} group;

typedef struct doc_figures {
	uint64_t chars;
	uint64_t tokens[MAX_TOKS];
} doc_figures;

typedef struct stats_sink {
	cur_sink base;
	const tok_tokenizer *const *toks;
	const char *const *names;
	size_t ntoks;
	const char *const *keys;
	size_t nkeys;
	json_t *index;   /* key -> {value -> group number} */
	group *g;        /* groups; 0 is the total */
	size_t ng, capg;
	json_t *result;
} stats_sink;

static void *thread_new(cur_sink *self)
{
	tok_ids *v = malloc(sizeof(*v));

	(void)self;
	if (v)
		tok_ids_init(v);
	return v;
}

static void thread_free(cur_sink *self, void *tls)
{
	(void)self;
	if (tls)
		tok_ids_release(tls);
	free(tls);
}

static int stats_prepare(cur_sink *self, void *tls, cur_doc *doc, cur_err *err)
{
	stats_sink *s = self->priv;
	tok_ids *v = tls;
	doc_figures *f = calloc(1, sizeof(*f));

	if (!v || !f) {
		free(f);
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	/* Valid UTF-8: a character is a byte that does not continue one. */
	for (size_t i = 0; i < doc->text_len; i++)
		f->chars += ((uint8_t)doc->text[i] & 0xC0) != 0x80;
	for (size_t k = 0; k < s->ntoks; k++) {
		int rc;
		v->len = 0;
		rc = tok_encode(s->toks[k], doc->text, doc->text_len, 0, v);
		if (rc < 0) {
			free(f);
			return cur_err_set(err, rc, "cannot encode with '%s'", s->names[k]);
		}
		f->tokens[k] = v->len;
	}
	if (cur_doc_attach(doc, s, f, free) < 0)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return CUR_OK;
}

/* The group number of value under key, made when new. */
static int group_of(stats_sink *s, const char *key, const char *value, size_t *out)
{
	json_t *by = json_object_get(s->index, key), *n;
	group *g;

	if (!by) {
		by = json_object();
		if (!by || json_object_set_new(s->index, key, by) < 0)
			return CUR_ENOMEM;
	}
	n = json_object_get(by, value);
	if (n) {
		*out = (size_t)json_integer_value(n);
		return CUR_OK;
	}
	if (s->ng == s->capg) {
		size_t cap = s->capg ? 2 * s->capg : 64;
		g = cur_realloc_array(s->g, cap, sizeof(*g));
		if (!g)
			return CUR_ENOMEM;
		s->g = g;
		s->capg = cap;
	}
	memset(&s->g[s->ng], 0, sizeof(group));
	if (json_object_set_new(by, value, json_integer((json_int_t)s->ng)) < 0)
		return CUR_ENOMEM;
	*out = s->ng++;
	return CUR_OK;
}

static void group_add(stats_sink *s, group *g, const cur_doc *doc, const doc_figures *f)
{
	g->docs++;
	g->bytes += doc->text_len;
	g->chars += f->chars;
	for (size_t k = 0; k < s->ntoks; k++)
		g->tokens[k] += f->tokens[k];
}

static int stats_write(cur_sink *self, cur_doc *doc, cur_err *err)
{
	stats_sink *s = self->priv;
	const doc_figures *f = cur_doc_attached(doc, s);

	if (!f)
		return cur_err_set(err, CUR_EINVAL, "a document was not prepared");
	group_add(s, &s->g[0], doc, f);
	for (size_t i = 0; i < s->nkeys; i++) {
		const char *v = cur_doc_meta_str(doc, s->keys[i]);
		size_t k;
		if (group_of(s, s->keys[i], v ? v : "(none)", &k) < 0)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		group_add(s, &s->g[k], doc, f);
	}
	return CUR_OK;
}

static json_t *per_token(const stats_sink *s, const group *g, int what)
{
	json_t *a = json_array();

	for (size_t k = 0; a && k < s->ntoks; k++) {
		double t = (double)g->tokens[k];
		json_t *x = what == 0 ? json_integer((json_int_t)g->tokens[k]) :
			    json_real(t > 0 ? (double)(what == 1 ? g->bytes : g->chars) / t : 0);
		json_array_append_new(a, x);
	}
	return a;
}

static json_t *group_json(const stats_sink *s, const group *g)
{
	return json_pack("{sI sI sI so so so}", "documents", (json_int_t)g->docs,
			 "bytes", (json_int_t)g->bytes, "characters", (json_int_t)g->chars,
			 "tokens", per_token(s, g, 0), "bytes_per_token", per_token(s, g, 1),
			 "characters_per_token", per_token(s, g, 2));
}

static int stats_finish(cur_sink *self, json_t *report, cur_err *err)
{
	stats_sink *s = self->priv;
	json_t *names = json_array(), *by = json_object(), *r;
	const char *key, *value;
	json_t *values, *n;

	for (size_t k = 0; names && k < s->ntoks; k++)
		json_array_append_new(names, json_string(s->names[k]));
	json_object_foreach(s->index, key, values) {
		json_t *out = json_object();
		json_object_foreach(values, value, n)
			json_object_set_new(out, value, group_json(s, &s->g[json_integer_value(n)]));
		json_object_set_new(by, key, out);
	}
	r = json_pack("{so so so}", "tokenizers", names, "total", group_json(s, &s->g[0]), "by", by);
	if (!r)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	json_decref(s->result);
	s->result = r;
	if (report)
		json_object_set(report, "stats", r);
	return CUR_OK;
}

static void stats_destroy(cur_sink *self)
{
	stats_sink *s;

	if (!self)
		return;
	s = self->priv;
	json_decref(s->index);
	json_decref(s->result);
	free(s->g);
	free(s);
}

static const cur_sink_ops stats_sink_ops = {
	.thread_new = thread_new,
	.thread_free = thread_free,
	.prepare = stats_prepare,
	.write = stats_write,
	.finish = stats_finish,
	.destroy = stats_destroy,
};

cur_sink *tok_stats_sink_new(const tok_tokenizer *const *toks, const char *const *names,
			     size_t ntoks, const char *const *keys, size_t nkeys, cur_err *err)
{
	stats_sink *s;
	size_t total;

	if (ntoks == 0 || ntoks > MAX_TOKS) {
		cur_err_set(err, CUR_EINVAL, "between 1 and %d tokenizers, not %zu", MAX_TOKS, ntoks);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s)
		s->base.priv = s;
	if (!s || !(s->index = json_object()) || group_of(s, "", "", &total) < 0) {
		if (s)
			stats_destroy(&s->base);
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	/* Group 0 is the total; its index entry is never looked up. */
	json_object_del(s->index, "");
	s->toks = toks;
	s->names = names;
	s->ntoks = ntoks;
	s->keys = keys;
	s->nkeys = nkeys;
	s->base.ops = &stats_sink_ops;
	return &s->base;
}

json_t *tok_stats_result(const cur_sink *sink)
{
	const stats_sink *s = sink->priv;
	return s->result;
}
