#include "config.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "bin/pipeline_file.h"

/* A pipeline file is read with libyaml and turned into JSON so that each
 * stage receives the same config object its command-line options build:
 *
 *   inputs: [data/sample/web.jsonl.zst, data/sample/crawl.warc.gz]
 *   # or, to set metadata.category per input (the shard mixer reads it):
 *   # inputs: {general: [web.jsonl.zst], math: [gsm8k.jsonl.zst]}
 *   output: out/curated.jsonl.zst      # or a sink, below
 *   jobs: 2
 *   seed: 1
 *   report: out/report.json
 *   rejects: out/rejects.jsonl.zst
 *   warc_types: [response, conversion]   # WARC records read (the default)
 *   all_status: false                    # WARC responses of any status
 *   stages:
 *     - dedup: {exact: true}
 *     - filter: {rules: gopher-quality}
 *   sink:
 *     shard: {output: out/shards}
 *
 * Paths are relative to the current directory; inputs may be globs. */

static json_t *yaml_scalar(const yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	char *end;

	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		long long v;
		double d;

		if (!strcmp(s, "true") || !strcmp(s, "yes"))
			return json_true();
		if (!strcmp(s, "false") || !strcmp(s, "no"))
			return json_false();
		if (!strcmp(s, "null") || !strcmp(s, "~") || len == 0)
			return json_null();
		errno = 0;
		v = strtoll(s, &end, 10);
		if (!errno && end != s && *end == '\0')
			return json_integer(v);
		d = strtod(s, &end);
		if (!errno && end != s && *end == '\0')
			return json_real(d);
	}
	return json_stringn(s, len);
}

static json_t *yaml_to_json(yaml_document_t *doc, yaml_node_t *n, int depth)
{
	json_t *out;

	if (!n || depth > 64)
		return NULL;
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return yaml_scalar(n);
	case YAML_SEQUENCE_NODE: {
		yaml_node_item_t *it;

		out = json_array();
		for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
			json_array_append_new(out, yaml_to_json(doc, yaml_document_get_node(doc, *it),
								depth + 1));
		return out;
	}
	case YAML_MAPPING_NODE: {
		yaml_node_pair_t *p;

		out = json_object();
		for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);

			if (!k || k->type != YAML_SCALAR_NODE)
				continue;
			json_object_set_new(out, (const char *)k->data.scalar.value,
					    yaml_to_json(doc, yaml_document_get_node(doc, p->value),
							 depth + 1));
		}
		return out;
	}
	default:
		return NULL;
	}
}

json_t *cli_pipeline_load(const char *path, char *msg, size_t cap)
{
	FILE *f = fopen(path, "rb");
	yaml_parser_t parser;
	yaml_document_t doc;
	json_t *out = NULL;

	if (!f) {
		snprintf(msg, cap, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(msg, cap, "%s:%zu: %s", path, parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "invalid YAML");
	} else {
		out = yaml_to_json(&doc, yaml_document_get_root_node(&doc), 0);
		if (!json_is_object(out)) {
			snprintf(msg, cap, "%s: the pipeline file must be a mapping", path);
			json_decref(out);
			out = NULL;
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return out;
}

/* Inputs: a path, a list of paths, or a mapping {category: paths} whose
 * documents get metadata.category. Globs are expanded in the order given,
 * sorted within a glob, so that runs are reproducible. */
static int add_glob(cli_inputs *l, const char *pattern, const char *category)
{
	glob_t *g;
	size_t i;

	g = realloc(l->globs, (l->nglobs + 1) * sizeof(*g));
	if (!g)
		return -1;
	l->globs = g;
	g = &l->globs[l->nglobs++];
	memset(g, 0, sizeof(*g));
	if (glob(pattern, GLOB_NOCHECK, NULL, g))
		return -1;
	for (i = 0; i < g->gl_pathc; i++) {
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 16;
			char **p = realloc(l->paths, cap * sizeof(*p));
			const char **c = p ? realloc(l->category, cap * sizeof(*c)) : NULL;

			if (p)
				l->paths = p;
			if (!p || !c)
				return -1;
			l->category = c;
			l->cap = cap;
		}
		l->paths[l->n] = g->gl_pathv[i];
		l->category[l->n++] = category;
	}
	return 0;
}

static int add_paths(cli_inputs *l, json_t *spec, const char *category)
{
	size_t i;
	json_t *v;

	if (json_is_string(spec))
		return add_glob(l, json_string_value(spec), category);
	if (!json_is_array(spec))
		return -1;
	json_array_foreach(spec, i, v)
		if (!json_is_string(v) || add_glob(l, json_string_value(v), category))
			return -1;
	return 0;
}

int cli_inputs_expand(json_t *spec, cli_inputs *l, int *tagged)
{
	const char *cat;
	json_t *v;

	memset(l, 0, sizeof(*l));
	*tagged = json_is_object(spec);
	if (!*tagged)
		return add_paths(l, spec, NULL);
	json_object_foreach(spec, cat, v)
		if (add_paths(l, v, cat))
			return -1;
	return 0;
}

void cli_inputs_free(cli_inputs *l)
{
	size_t i;

	for (i = 0; i < l->nglobs; i++)
		globfree(&l->globs[i]);
	free(l->globs);
	free(l->paths);
	free(l->category);
}

static const char *str_or(json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : def;
}

/* ---- stages limited to some categories ----
 * `- filter: {categories: [general], ...}` runs the filter on documents whose
 * metadata.category is listed and passes the others through untouched
 * (Llama 3 applies its web heuristics to web data, not to code or math). */

typedef struct scoped {
	cur_stage self;
	cur_stage *inner;
	json_t *categories; /* array of strings */
} scoped;

static int in_scope(const scoped *sc, const cur_doc *doc)
{
	const char *cat = cur_doc_meta_str(doc, "category");
	size_t i;
	json_t *v;

	json_array_foreach(sc->categories, i, v)
		if (cat && strcmp(cat, json_string_value(v)) == 0)
			return 1;
	return 0;
}

static void *scoped_thread_new(cur_stage *self)
{
	scoped *sc = self->priv;

	return sc->inner->ops->thread_new ? sc->inner->ops->thread_new(sc->inner) : NULL;
}

static void scoped_thread_free(cur_stage *self, void *tls)
{
	scoped *sc = self->priv;

	if (sc->inner->ops->thread_free)
		sc->inner->ops->thread_free(sc->inner, tls);
}

static int scoped_prepare(cur_stage *self, void *tls, cur_doc *doc, cur_err *err)
{
	scoped *sc = self->priv;

	if (!sc->inner->ops->prepare || !in_scope(sc, doc))
		return CUR_KEEP;
	return sc->inner->ops->prepare(sc->inner, tls, doc, err);
}

static int scoped_process(cur_stage *self, void *tls, cur_doc *doc, cur_err *err)
{
	scoped *sc = self->priv;

	return in_scope(sc, doc) ? sc->inner->ops->process(sc->inner, tls, doc, err) : CUR_KEEP;
}

static int scoped_finish(cur_stage *self, json_t *report, cur_err *err)
{
	scoped *sc = self->priv;

	json_object_set(report, "categories", sc->categories);
	return sc->inner->ops->finish ? sc->inner->ops->finish(sc->inner, report, err) : CUR_OK;
}

static void scoped_destroy(cur_stage *self)
{
	scoped *sc = self->priv;

	sc->inner->ops->destroy(sc->inner);
	json_decref(sc->categories);
	free(sc);
}

static int scoped_end_observe(cur_stage *self, json_t *report, cur_err *err)
{
	scoped *sc = self->priv;

	return sc->inner->ops->end_observe(sc->inner, report, err);
}

static int scoped_resolve(cur_stage *self, json_t *report, cur_err *err)
{
	scoped *sc = self->priv;

	return sc->inner->ops->resolve ? sc->inner->ops->resolve(sc->inner, report, err) : CUR_OK;
}

static int scoped_begin_apply(cur_stage *self, cur_err *err)
{
	scoped *sc = self->priv;

	return sc->inner->ops->begin_apply(sc->inner, err);
}

static const cur_stage_ops scoped_ops = {
	.thread_new = scoped_thread_new,
	.thread_free = scoped_thread_free,
	.prepare = scoped_prepare,
	.process = scoped_process,
	.finish = scoped_finish,
	.destroy = scoped_destroy,
};

/* A global stage limited to some categories is global too: both passes
 * skip the same documents. */
static const cur_stage_ops scoped_global_ops = {
	.thread_new = scoped_thread_new,
	.thread_free = scoped_thread_free,
	.prepare = scoped_prepare,
	.process = scoped_process,
	.finish = scoped_finish,
	.destroy = scoped_destroy,
	.end_observe = scoped_end_observe,
	.resolve = scoped_resolve,
	.begin_apply = scoped_begin_apply,
};

static cur_stage *scope_stage(cur_stage *inner, json_t *categories, cur_err *err)
{
	scoped *sc;
	size_t i;
	json_t *v;

	json_array_foreach(categories, i, v)
		if (!json_is_string(v))
			break;
	if (!json_is_array(categories) || i < json_array_size(categories)) {
		inner->ops->destroy(inner);
		cur_err_set(err, CUR_EINVAL, "'categories' must be a list of names");
		return NULL;
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		inner->ops->destroy(inner);
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	sc->inner = inner;
	sc->categories = json_incref(categories);
	sc->self.ops = cur_stage_is_global(inner) ? &scoped_global_ops : &scoped_ops;
	sc->self.name = inner->name;
	sc->self.serial = inner->serial;
	sc->self.priv = sc;
	return &sc->self;
}

/* A stage entry (cli_stage_entry) may carry "categories": [...] to limit
 * it. */
cur_stage *cli_stage_from_entry(json_t *entry, const cur_stage_env *env, cur_err *err)
{
	const cli_stage_row *row;
	json_t *cfg = NULL, *categories;
	cur_stage *st;
	const char *name;

	if (cli_stage_entry(entry, &name, &cfg) < 0) {
		cur_err_set(err, CUR_EINVAL, "a stage entry needs a name");
		return NULL;
	}
	row = cli_stage_find(name);
	if (!row) {
		json_decref(cfg);
		cur_err_set(err, CUR_EINVAL, "unknown stage '%s'", name);
		return NULL;
	}
	categories = json_incref(json_object_get(cfg, "categories"));
	if (categories) {
		json_t *copy = json_deep_copy(cfg);

		json_decref(cfg);
		cfg = copy;
		json_object_del(cfg, "categories");
	}
	st = row->create(cfg, env, err);
	json_decref(cfg);
	if (st && categories)
		st = scope_stage(st, categories, err);
	json_decref(categories);
	return st;
}

/* warc_types: a list of record types or one comma-separated string. */
static int pipe_warc_types(json_t *v, unsigned *out)
{
	unsigned mask = 0, one;
	size_t i;
	json_t *x;

	if (!v)
		return 0;
	if (json_is_string(v))
		return cur_warc_types_parse(json_string_value(v), out) ? -1 : 0;
	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i, x) {
		if (!json_is_string(x) || cur_warc_types_parse(json_string_value(x), &one))
			return -1;
		mask |= one;
	}
	*out = mask;
	return mask ? 0 : -1;
}

int cli_pipeline_common(json_t *pipe, cli_common *c)
{
	if (!c->output)
		c->output = str_or(pipe, "output", NULL);
	if (!c->report)
		c->report = str_or(pipe, "report", NULL);
	if (!c->rejects)
		c->rejects = str_or(pipe, "rejects", NULL);
	if (!c->report_html)
		c->report_html = str_or(pipe, "report_html", NULL);
	c->text_field = str_or(pipe, "text_field", c->text_field);
	if (!c->tokenizer)
		c->tokenizer = str_or(pipe, "tokenizer", NULL);
	if (!c->warc_types && pipe_warc_types(json_object_get(pipe, "warc_types"), &c->warc_types))
		return -1;
	if (json_is_true(json_object_get(pipe, "all_status")))
		c->warc_all_status = 1;
	if (c->jobs == 1 && json_is_integer(json_object_get(pipe, "jobs")))
		c->jobs = (int)json_integer_value(json_object_get(pipe, "jobs"));
	if (!c->seed && json_is_integer(json_object_get(pipe, "seed")))
		c->seed = (uint64_t)json_integer_value(json_object_get(pipe, "seed"));
	if (json_is_true(json_object_get(pipe, "strict")))
		c->strict = 1;
	if (json_is_true(json_object_get(pipe, "report_tokens")))
		c->report_tokens = 1;
	c->config = pipe;
	return 0;
}
