#include "config.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bin/pipeline_file.h"

/* A pipeline file is YAML (core/yaml.h) turned into JSON, so that each
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

int cli_pipeline_open(const char *cmd, const char *path, cur_yaml **y)
{
	cur_err err;

	cur_err_clear(&err);
	if (cur_yaml_load_file(path, y, &err) != CUR_OK) {
		fprintf(stderr, "curate %s: %s\n", cmd, err.msg);
		return err.code == CUR_EIO ? 3 : 2;
	}
	return cli_pipeline_check(cmd, *y, stderr);
}

/* Inputs: a path, a list of paths, or a mapping {category: paths} whose
 * documents get metadata.category. Globs are expanded in the order given,
 * sorted within a glob, so that runs are reproducible. A glob that matches
 * no file is an error (exit 3) at its place in the file, as a path that
 * cannot be read is; a dry run lists them as given instead. */
typedef struct expansion {
	const char *cmd;
	const cur_yaml *y;
	int dry_run;
	cli_inputs *l;
} expansion;

static int not_found(const expansion *x, int rc, const char *pattern, const json_t *parent,
		     const char *key, size_t index)
{
	unsigned line = 0, col = 0;
	int e = errno;

	cur_yaml_where(x->y, parent, key, index, 0, &line, &col);
	if (rc == GLOB_NOMATCH)
		fprintf(stderr, "curate %s: %s:%u:%u: '%s' matches no file\n", x->cmd,
			cur_yaml_name(x->y), line, col, pattern);
	else
		fprintf(stderr, "curate %s: %s:%u:%u: cannot open '%s': %s\n", x->cmd,
			cur_yaml_name(x->y), line, col, pattern, strerror(e));
	return 3;
}

static int add_glob(const expansion *x, const char *pattern, const char *category,
		    const json_t *parent, const char *key, size_t index)
{
	cli_inputs *l = x->l;
	int plain = !strpbrk(pattern, "*?[");
	glob_t *g;
	size_t i;
	int rc;

	g = realloc(l->globs, (l->nglobs + 1) * sizeof(*g));
	if (!g)
		return 3;
	l->globs = g;
	g = &l->globs[l->nglobs++];
	memset(g, 0, sizeof(*g));
	rc = glob(pattern, x->dry_run || plain ? GLOB_NOCHECK : 0, NULL, g);
	if (rc == GLOB_NOMATCH || (!rc && !x->dry_run && plain && strcmp(pattern, "-") != 0 &&
				   access(pattern, R_OK) != 0))
		return not_found(x, rc, pattern, parent, key, index);
	if (rc)
		return 3;
	for (i = 0; i < g->gl_pathc; i++) {
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 16;
			char **p = realloc(l->paths, cap * sizeof(*p));
			const char **c = p ? realloc(l->category, cap * sizeof(*c)) : NULL;

			if (p)
				l->paths = p;
			if (!p || !c)
				return 3;
			l->category = c;
			l->cap = cap;
		}
		l->paths[l->n] = g->gl_pathv[i];
		l->category[l->n++] = category;
	}
	return 0;
}

/* The paths under parent's key: a path, or a list of them (their kinds
 * checked by cli_pipeline_check). */
static int add_paths(const expansion *x, json_t *parent, const char *key, const char *category)
{
	json_t *spec = json_object_get(parent, key), *v;
	size_t i;
	int rc;

	if (json_is_string(spec))
		return add_glob(x, json_string_value(spec), category, parent, key, 0);
	json_array_foreach(spec, i, v)
		if ((rc = add_glob(x, json_string_value(v), category, spec, NULL, i)) != 0)
			return rc;
	return 0;
}

int cli_inputs_expand(const char *cmd, const cur_yaml *y, int dry_run, cli_inputs *l, int *tagged)
{
	json_t *pipe = cur_yaml_root(y), *spec = json_object_get(pipe, "inputs"), *v;
	expansion x = { cmd, y, dry_run, l };
	const char *cat;
	int rc;

	memset(l, 0, sizeof(*l));
	*tagged = json_is_object(spec);
	if (!spec)
		return 0;
	if (!*tagged)
		return add_paths(&x, pipe, "inputs", NULL);
	json_object_foreach(spec, cat, v)
		if ((rc = add_paths(&x, spec, cat, cat)) != 0)
			return rc;
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

/* warc_types: a list of record types or one comma-separated string
 * (checked: cli_pipeline_check). */
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
