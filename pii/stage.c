/* The `pii` stage: detect, then redact (tag or fake), annotate or drop.
 *
 * The stage is pure per document (serial = 0): the detector is read-only,
 * each worker has its own scratch, and the report counters are atomics, so
 * the figures do not depend on -j. PII itself never leaves the document:
 * the report holds counts per type only. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "core/options.h"
#include "core/stage.h"
#include "pii/pii.h"
#include "pii/stage.h"

const cur_opt_spec pii_stage_options[] = {
	{"redact", CUR_OPT_STR, "MODE", "tag or fake (consistent, same shape)", "tag"},
	{"tag-format", CUR_OPT_STR, "FMT", "{TYPE}/{SHORT} template, e.g. '<{SHORT}>'",
	 "'|||{TYPE}|||' (dolma)"},
	{"drop-above", CUR_OPT_INT, "N", "drop documents with more than N spans", "no limit"},
	{"annotate", CUR_OPT_FLAG, NULL, "keep the text; metadata.pii = [{type, start, end}]", NULL},
	{"ip", CUR_OPT_STR, "WHICH", "public or all (private, reserved too)", "public"},
	{"types", CUR_OPT_LIST, "LIST", "any of email,ip,phone,card,iban,ssn,secret", "all"},
	{NULL, 0, NULL, NULL, NULL}
};

typedef struct pii_stage {
	pii_detector *det;
	pii_redactor red;
	char *tag_format;
	int annotate;
	int64_t drop_above;      /* -1: never */
	atomic_ullong spans[PII_NTYPES];
	atomic_ullong docs_with_pii;
	atomic_ullong docs_redacted;
} pii_stage;

typedef struct pii_tls {
	pii_scratch *scratch;
	pii_spans spans;
	cur_buf out;
} pii_tls;

static void *pii_thread_new(cur_stage *self)
{
	pii_stage *ps = self->priv;
	pii_tls *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->scratch = pii_scratch_new(ps->det);
	if (!t->scratch) {
		free(t);
		return NULL;
	}
	cur_buf_init(&t->out, CUR_BUF_UNLIMITED);
	return t;
}

static void pii_thread_free(cur_stage *self, void *tls)
{
	(void)self;
	pii_tls *t = tls;
	if (!t)
		return;
	pii_scratch_free(t->scratch);
	pii_spans_release(&t->spans);
	cur_buf_release(&t->out);
	free(t);
}

static int annotate(cur_doc *doc, const pii_spans *sp)
{
	json_t *arr = json_array();
	if (!arr)
		return CUR_ENOMEM;
	for (size_t k = 0; k < sp->n; k++) {
		json_t *o = json_pack("{s:s, s:I, s:I}", "type", pii_type_name(sp->v[k].type),
				      "start", (json_int_t)sp->v[k].start, "end",
				      (json_int_t)sp->v[k].end);
		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return CUR_ENOMEM;
		}
	}
	json_t *meta = cur_doc_metadata(doc);
	if (!meta || json_object_set_new(meta, "pii", arr)) {
		if (!meta)
			json_decref(arr);
		return CUR_ENOMEM;
	}
	return CUR_OK;
}

static int pii_process(cur_stage *self, void *tls, cur_doc *doc, cur_err *err)
{
	pii_stage *ps = self->priv;
	pii_tls *t = tls;
	(void)err;
	if (!t)
		return CUR_ENOMEM;
	t->spans.n = 0;
	CUR_FORWARD(pii_detect(ps->det, t->scratch, doc->text, doc->text_len, &t->spans));
	const pii_spans *sp = &t->spans;
	for (size_t k = 0; k < sp->n; k++)
		atomic_fetch_add_explicit(&ps->spans[sp->v[k].type], 1, memory_order_relaxed);
	if (sp->n == 0)
		return CUR_KEEP;
	atomic_fetch_add_explicit(&ps->docs_with_pii, 1, memory_order_relaxed);
	if (ps->drop_above >= 0 && (int64_t)sp->n > ps->drop_above)
		return cur_doc_drop(doc, "pii:too_many_spans", (double)sp->n);
	if (ps->annotate)
		return annotate(doc, sp);
	cur_buf_reset(&t->out);
	CUR_FORWARD(pii_redact(&ps->red, doc->text, doc->text_len, sp, &t->out));
	/* Hand the buffer over instead of copying it. */
	size_t len;
	char *s = cur_buf_detach(&t->out, &len);
	if (!s)
		return CUR_ENOMEM;
	cur_doc_take_text(doc, s, len);
	atomic_fetch_add_explicit(&ps->docs_redacted, 1, memory_order_relaxed);
	return CUR_KEEP;
}

static int pii_finish(cur_stage *self, json_t *report, cur_err *err)
{
	pii_stage *ps = self->priv;
	json_t *by = json_object(), *all = NULL;
	unsigned long long total = 0;
	(void)err;
	if (!by)
		return CUR_ENOMEM;
	for (int k = 0; k < PII_NTYPES; k++) {
		unsigned long long v = atomic_load(&ps->spans[k]);
		total += v;
		if (json_object_set_new(by, pii_type_name((enum pii_type)k),
					json_integer((json_int_t)v)))
			goto nomem;
	}
	/* Spans per type are a "shares" chart of the report page (docs/report.md). */
	if (json_object_set_new(report, "shares", json_pack("{s:o}", "spans_by_type", by)))
		return CUR_ENOMEM;
	by = NULL;
	all = json_pack("{s:I, s:I, s:I}", "spans_total", (json_int_t)total,
			"docs_with_pii", (json_int_t)atomic_load(&ps->docs_with_pii),
			"docs_redacted", (json_int_t)atomic_load(&ps->docs_redacted));
	if (!all || json_object_set_new(report, "pii", all))
		return CUR_ENOMEM;
	if (json_object_get(json_object_get(report, "dropped"), "pii:too_many_spans") &&
	    json_object_set_new(report, "reasons",
				json_pack("{s:{s:s, s:s}}", "pii:too_many_spans", "about",
					  "more PII spans than --drop-above allows", "docs",
					  "pii.md#options")))
		return CUR_ENOMEM;
	return CUR_OK;
nomem:
	json_decref(by);
	return CUR_ENOMEM;
}

static void pii_destroy(cur_stage *self)
{
	if (!self)
		return;
	pii_stage *ps = self->priv;
	if (ps) {
		pii_detector_free(ps->det);
		free(ps->tag_format);
		free(ps);
	}
	free(self);
}

static const cur_stage_ops pii_ops = {
	.thread_new = pii_thread_new,
	.thread_free = pii_thread_free,
	.process = pii_process,
	.finish = pii_finish,
	.destroy = pii_destroy,
};

/* types_from_cfg: the --types list (array of strings, each may itself be a
 * comma list) or a single string. */
static int types_from_cfg(json_t *cfg, unsigned *mask, cur_err *err)
{
	json_t *v = json_object_get(cfg, "types");
	*mask = PII_TYPES_ALL;
	if (!v)
		return CUR_OK;
	if (json_is_string(v))
		return pii_types_parse(json_string_value(v), mask, err);
	if (!json_is_array(v))
		return cur_err_set(err, CUR_EINVAL, "pii: 'types' must be a list of names");
	size_t i;
	json_t *x;
	unsigned m = 0, one;
	json_array_foreach(v, i, x) {
		if (!json_is_string(x))
			return cur_err_set(err, CUR_EINVAL, "pii: 'types' must be a list of names");
		CUR_FORWARD(pii_types_parse(json_string_value(x), &one, err));
		m |= one;
	}
	*mask = m ? m : PII_TYPES_ALL;
	return CUR_OK;
}

static int configure(pii_stage *ps, json_t *cfg, const cur_stage_env *env, cur_err *err)
{
	const char *redact, *fmt, *ip;
	int64_t drop;
	pii_opts o = {0};
	CUR_FORWARD(cur_cfg_check_keys(cfg, pii_stage_options, "pii", err));
	CUR_FORWARD(cur_cfg_str(cfg, "redact", "tag", &redact, err));
	CUR_FORWARD(cur_cfg_str(cfg, "tag_format", "|||{TYPE}|||", &fmt, err));
	CUR_FORWARD(cur_cfg_str(cfg, "ip", "public", &ip, err));
	CUR_FORWARD(cur_cfg_int(cfg, "drop_above", -1, &drop, err));
	CUR_FORWARD(cur_cfg_bool(cfg, "annotate", 0, &ps->annotate, err));
	CUR_FORWARD(types_from_cfg(cfg, &o.types, err));
	if (!strcmp(redact, "tag"))
		ps->red.mode = PII_REDACT_TAG;
	else if (!strcmp(redact, "fake"))
		ps->red.mode = PII_REDACT_FAKE;
	else
		return cur_err_set(err, CUR_EINVAL, "pii: --redact must be 'tag' or 'fake', "
				   "not '%s'", redact);
	if (!strcmp(ip, "all"))
		o.ip_all = 1;
	else if (strcmp(ip, "public"))
		return cur_err_set(err, CUR_EINVAL, "pii: --ip must be 'public' or 'all', not "
				   "'%s'", ip);
	if (drop < -1)
		return cur_err_set(err, CUR_EINVAL, "pii: --drop-above must be >= 0");
	if (!strcmp(fmt, "dolma"))
		fmt = "|||{TYPE}|||";
	else if (!strcmp(fmt, "angle"))
		fmt = "<{SHORT}>";
	CUR_FORWARD(pii_tag_format_check(fmt, err));
	ps->tag_format = strdup(fmt);
	if (!ps->tag_format)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	ps->red.tag_format = ps->tag_format;
	ps->red.seed = env ? env->seed : 0;
	ps->drop_above = drop;
	ps->det = pii_detector_new(&o, err);
	return ps->det ? CUR_OK : (err && err->code ? err->code : CUR_EINVAL);
}

cur_stage *pii_stage_new(json_t *config, const cur_stage_env *env, cur_err *err)
{
	cur_stage *st = calloc(1, sizeof *st);
	pii_stage *ps = calloc(1, sizeof *ps);
	json_t *empty = NULL;
	if (!st || !ps) {
		free(st);
		free(ps);
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	st->ops = &pii_ops;
	st->name = "pii";
	st->priv = ps;
	if (!config)
		config = empty = json_object();
	int rc = configure(ps, config, env, err);
	json_decref(empty);
	if (rc < 0) {
		pii_destroy(st);
		return NULL;
	}
	return st;
}
