#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bin/cli.h"
#include "bin/commands.h"
#include "core/file.h"
#include "core/reader.h"
#include "filters/filter.h"

/* `curate filter`: the filter stage plus two modes of its own:
 *   --explain                  every rule, value, threshold, pass/fail per document
 *   --fit-token-distribution   count Llama 3 tokens of the inputs into -o FILE */

/* The stage's options plus the command's own two (caller frees). */
static cur_opt_spec *build_specs(void)
{
	size_t n = 0;
	while (flt_stage_options[n].name)
		n++;
	cur_opt_spec *filter_specs = cur_calloc_array(n + 3, sizeof(*filter_specs));
	if (!filter_specs)
		return NULL;
	for (n = 0; flt_stage_options[n].name; n++)
		filter_specs[n] = flt_stage_options[n];
	filter_specs[n++] = (cur_opt_spec){"explain", CUR_OPT_FLAG, NULL,
		"print every rule's value, threshold and result for each document", NULL};
	filter_specs[n++] = (cur_opt_spec){"fit-token-distribution", CUR_OPT_FLAG, NULL,
		"count Llama 3 tokens of the inputs and write the distribution to -o FILE", NULL};
	filter_specs[n] = (cur_opt_spec){NULL, 0, NULL, NULL, NULL};
	return filter_specs;
}

/* After the options: every rule with its default (--set changes one). */
static void print_rules(void)
{
	cur_buf b;
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	if (flt_rules_describe(&b) == CUR_OK)
		printf("\nRules (--set SET.KEY=VALUE changes one; in a pipeline file "
		       "set: [\"SET.KEY=VALUE\"]), with their defaults:\n%s", b.data);
	cur_buf_release(&b);
}

typedef int (*doc_fn)(void *arg, cur_doc *doc);

/* Read every document of the inputs (stdin without any) and call fn. */
static int each_doc(const cli_common *c, doc_fn fn, void *arg)
{
	char *dash[] = {"-"};
	char **in = c->ninputs ? c->inputs : dash;
	int n = c->ninputs ? c->ninputs : 1, rc = 0;
	cur_reader_opts o;
	cur_reader_opts_init(&o);
	o.text_field = c->text_field;
	o.max_doc_bytes = (size_t)c->max_doc_bytes;
	for (int i = 0; i < n && rc == 0; i++) {
		cur_reader *r;
		cur_err err;
		cur_err_clear(&err);
		if (cur_reader_open(&r, in[i], &o, &err) < 0) {
			fprintf(stderr, "curate filter: %s\n", err.msg);
			return 3;
		}
		for (;;) {
			cur_doc d;
			cur_doc_init(&d);
			int k = cur_reader_read(r, &d, &err);
			if (k == CUR_EOF) {
				cur_doc_release(&d);
				break;
			}
			if (k == CUR_EDATA) {
				fprintf(stderr, "curate filter: %s\n", err.msg);
				cur_doc_release(&d);
				if (c->strict) {
					rc = 1;
					break;
				}
				continue;
			}
			if (k < 0) {
				fprintf(stderr, "curate filter: %s\n", err.msg);
				cur_doc_release(&d);
				rc = 3;
				break;
			}
			rc = fn(arg, &d);
			cur_doc_release(&d);
			if (rc)
				break;
		}
		cur_reader_close(r);
	}
	return rc;
}

static int fit_one(void *arg, cur_doc *doc)
{
	return flt_fit_add(arg, doc->text, doc->text_len) < 0 ? 3 : 0;
}

static int run_fit(const cli_common *c)
{
	flt_fit *f;
	cur_err err;
	cur_err_clear(&err);
	if (flt_fit_new(c->tokenizer, &f, &err) < 0) {
		fprintf(stderr, "curate filter: %s\n", err.msg);
		return 3;
	}
	int rc = each_doc(c, fit_one, f);
	if (rc == 0 && flt_fit_write(f, c->output, &err) < 0) {
		fprintf(stderr, "curate filter: %s\n", err.msg);
		rc = 3;
	}
	flt_fit_free(f);
	return rc;
}

typedef struct explain_arg {
	flt_worker *w;
	cur_buf out;
	FILE *fp;
} explain_arg;

static int explain_one(void *arg, cur_doc *doc)
{
	explain_arg *a = arg;
	cur_buf_reset(&a->out);
	cur_buf_printf(&a->out, "document %s\n", cur_doc_id(doc));
	if (flt_explain(a->w, doc->text, doc->text_len, cur_doc_meta_str(doc, "url"), &a->out) < 0)
		return 3;
	cur_buf_putc(&a->out, '\n');
	fwrite(a->out.data, 1, a->out.len, a->fp);
	return ferror(a->fp) ? 3 : 0;
}

static int run_explain(const cli_common *c, json_t *cfg)
{
	cur_stage_env env;
	flt_engine *e;
	cur_err err;
	cur_atomic out;
	explain_arg a;
	int rc;
	cur_err_clear(&err);
	cli_stage_env(c, &env);
	if (flt_engine_new(cfg, &env, &e, &err) < 0) {
		fprintf(stderr, "curate filter: %s\n", err.msg);
		return err.code == CUR_EINVAL ? 2 : 3;
	}
	a.w = flt_worker_new(e);
	a.fp = cur_atomic_fopen(&out, c->output, &err);
	cur_buf_init(&a.out, CUR_BUF_UNLIMITED);
	if (!a.w || !a.fp) {
		fprintf(stderr, "curate filter: %s\n", a.fp ? "out of memory" : err.msg);
		rc = 3;
	} else {
		rc = each_doc(c, explain_one, &a);
	}
	if (a.fp && rc == 0 && cur_atomic_commit(&out, 0, &err) != CUR_OK) {
		fprintf(stderr, "curate filter: %s\n", err.msg);
		rc = 3;
	}
	if (a.fp)
		cur_atomic_rollback(&out);
	cur_buf_release(&a.out);
	flt_worker_free(a.w);
	flt_engine_free(e);
	return rc;
}

int cmd_filter(int argc, char **argv)
{
	cur_opt_spec *filter_specs = build_specs();
	json_t *cfg = json_object();
	cli_common c;
	int rc, explain, fit;
	if (!filter_specs || !cfg) {
		fprintf(stderr, "curate filter: out of memory\n");
		free(filter_specs);
		json_decref(cfg);
		return 3;
	}
	rc = cli_parse("filter", filter_specs, argc, argv, &c, cfg);
	free(filter_specs);
	if (rc < 0)
		print_rules();
	if (rc == 0)
		rc = cli_check_files("filter", &c);
	if (rc) {
		json_decref(cfg);
		return rc < 0 ? 0 : rc;
	}
	explain = json_is_true(json_object_get(cfg, "explain"));
	fit = json_is_true(json_object_get(cfg, "fit_token_distribution"));
	json_object_del(cfg, "explain");
	json_object_del(cfg, "fit_token_distribution");
	if (fit)
		rc = run_fit(&c);
	else if (explain)
		rc = run_explain(&c, cfg);
	else {
		cur_stage_env env;
		cur_err err;
		cur_stage *st;
		cur_err_clear(&err);
		cli_stage_env(&c, &env);
		st = flt_stage_new(cfg, &env, &err);
		if (!st) {
			fprintf(stderr, "curate filter: %s\n", err.msg);
			rc = err.code == CUR_EINVAL ? 2 : 3;
		} else {
			c.config = cfg;
			rc = cli_run_pipeline("filter", &c, &st, 1, NULL);
			st->ops->destroy(st);
		}
	}
	json_decref(cfg);
	return rc;
}
