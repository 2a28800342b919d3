/* The `extract` stage: an HTML document's text becomes the main text of the
 * page (docs/extract.md); other documents pass unchanged.
 *
 * Pure per document (serial = 0): each worker has its own extractor, and
 * the report counters are atomics, so the figures do not depend on -j. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/hist.h"
#include "core/options.h"
#include "core/stage.h"
#include "extract/extract.h"
#include "extract/stage.h"

const cur_opt_spec ext_stage_options[] = {
	{"html", CUR_OPT_STR, "WHEN", "auto (by metadata.content_type, else by the text's start), "
	 "always, never", "auto"},
	{"keep-html", CUR_OPT_FLAG, NULL, "keep the original in metadata.html", NULL},
	{"all-text", CUR_OPT_FLAG, NULL, "every visible block: no boilerplate removal", NULL},
	{"alt-text", CUR_OPT_FLAG, NULL, "write the alt text of pictures, each on a line", NULL},
	{"max-depth", CUR_OPT_INT, "N", "elements nested deeper end the page", "256"},
	{NULL, 0, NULL, NULL, NULL}
};

enum html_when { HTML_AUTO, HTML_ALWAYS, HTML_NEVER };

/* The report's "yield" histogram: the share of a page's HTML bytes that
 * its text keeps, in percent. */
static const double yield_edges[] = {0, 1, 2, 5, 10, 15, 20, 30, 40, 50, 75, 100};
#define NYIELD (sizeof(yield_edges) / sizeof(yield_edges[0]))

typedef struct ext_stage {
	ext_options o;
	enum html_when when;
	int keep_html;
	atomic_ullong docs, html, extracted, empty, too_deep, truncated;
	atomic_ullong html_bytes, text_bytes;
	/* Per-bin counts and the sum in hundredths of a percent: integers, so
	 * that the figures do not depend on the order threads add them. */
	atomic_ullong yield_bins[NYIELD], yield_sum;
} ext_stage;

static void count(atomic_ullong *c, unsigned long long v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static void count_yield(ext_stage *es, size_t text, size_t html)
{
	double pct = html ? 100.0 * (double)text / (double)html : 0;
	size_t bin = 0;

	while (bin + 1 < NYIELD && pct >= yield_edges[bin + 1])
		bin++;
	count(&es->yield_bins[bin], 1);
	count(&es->yield_sum, (unsigned long long)(pct * 100 + 0.5));
}

static void *ext_thread_new(cur_stage *self)
{
	ext_stage *es = self->priv;

	return ext_extractor_new(&es->o);
}

static void ext_thread_free(cur_stage *self, void *tls)
{
	(void)self;
	ext_extractor_free(tls);
}

/* Is this document a page to extract? */
static int is_html(const ext_stage *es, const cur_doc *doc)
{
	const char *ct;

	if (es->when != HTML_AUTO)
		return es->when == HTML_ALWAYS;
	/* Extracted once already (in an earlier pipe): it is text now. */
	if (cur_doc_meta_str(doc, "extracted_from"))
		return 0;
	ct = cur_doc_meta_str(doc, "content_type");
	if (ct && *ct)
		return strcasestr(ct, "html") != NULL;
	return ext_looks_like_html(doc->text, doc->text_len);
}

static int set_meta_str(json_t *meta, const char *key, const char *s, size_t n)
{
	json_t *v = json_stringn(s, n);

	if (!v || json_object_set_new(meta, key, v))
		return CUR_ENOMEM;
	return CUR_OK;
}

static int annotate(const ext_stage *es, cur_doc *doc, const ext_result *r)
{
	json_t *meta = cur_doc_metadata(doc);
	const char *ct = cur_doc_meta_str(doc, "content_type");

	if (!meta)
		return CUR_ENOMEM;
	if (es->keep_html)
		CUR_FORWARD(set_meta_str(meta, "html", doc->text, doc->text_len));
	if (r->title[0])
		CUR_FORWARD(set_meta_str(meta, "title", r->title, strlen(r->title)));
	if (r->lang[0])
		CUR_FORWARD(set_meta_str(meta, "html_lang", r->lang, strlen(r->lang)));
	ct = ct && *ct ? ct : "text/html";
	return set_meta_str(meta, "extracted_from", ct, strlen(ct));
}

static int ext_process(cur_stage *self, void *tls, cur_doc *doc, cur_err *err)
{
	ext_stage *es = self->priv;
	ext_extractor *x = tls;
	ext_result r;
	size_t html_len = doc->text_len;
	int rc;

	if (!x)
		return cur_err_set(err, CUR_ENOMEM, "out of memory for the HTML parser");
	count(&es->docs, 1);
	if (!is_html(es, doc))
		return CUR_KEEP;
	count(&es->html, 1);
	count(&es->html_bytes, html_len);
	rc = ext_extract(x, doc->text, doc->text_len, &r);
	if (rc)
		return cur_err_set(err, rc, "out of memory extracting a page of %zu bytes", html_len);
	if (r.text_len == 0) {
		if (r.truncated) {
			count(&es->too_deep, 1);
			return cur_doc_drop(doc, "extract:too_deep", (double)html_len);
		}
		count(&es->empty, 1);
		return cur_doc_drop(doc, "extract:empty", (double)html_len);
	}
	if (annotate(es, doc, &r) || cur_doc_set_text(doc, r.text, r.text_len))
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	count(&es->extracted, 1);
	count(&es->text_bytes, r.text_len);
	count_yield(es, r.text_len, html_len);
	if (r.truncated)
		count(&es->truncated, 1);
	return CUR_KEEP;
}

/* Outcomes as a "shares" chart and the yield histogram, for the report
 * page (docs/report.md). */
static int charts(ext_stage *es, json_t *report)
{
	cur_hist h;
	json_t *shares, *hists;

	if (cur_hist_init(&h, yield_edges, NYIELD))
		return CUR_ENOMEM;
	for (size_t i = 0; i < NYIELD; i++) {
		h.counts[i] = atomic_load(&es->yield_bins[i]);
		h.n += h.counts[i];
	}
	h.sum = (double)atomic_load(&es->yield_sum) / 100.0;
	shares = json_pack("{s:{s:I, s:I, s:I, s:I}}", "extraction",
			   "extracted", (json_int_t)atomic_load(&es->extracted),
			   "empty", (json_int_t)atomic_load(&es->empty),
			   "too_deep", (json_int_t)atomic_load(&es->too_deep),
			   "not_html", (json_int_t)(atomic_load(&es->docs) - atomic_load(&es->html)));
	hists = json_pack("{s:o*}", "yield", cur_hist_json(&h, "percent of HTML bytes"));
	cur_hist_release(&h);
	if (!shares || !hists || json_object_set_new(report, "shares", shares) ||
	    json_object_set_new(report, "histograms", hists))
		return CUR_ENOMEM;
	return CUR_OK;
}

static int ext_finish(cur_stage *self, json_t *report, cur_err *err)
{
	ext_stage *es = self->priv;
	unsigned long long in = atomic_load(&es->html_bytes), out = atomic_load(&es->text_bytes);
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}",
			      "documents", (json_int_t)atomic_load(&es->docs),
			      "html", (json_int_t)atomic_load(&es->html),
			      "not_html", (json_int_t)(atomic_load(&es->docs) - atomic_load(&es->html)),
			      "extracted", (json_int_t)atomic_load(&es->extracted),
			      "empty", (json_int_t)atomic_load(&es->empty),
			      "too_deep", (json_int_t)atomic_load(&es->too_deep),
			      "truncated", (json_int_t)atomic_load(&es->truncated),
			      "html_bytes", (json_int_t)in, "text_bytes", (json_int_t)out,
			      "yield", in ? (double)out / (double)in : 0.0);

	if (!o || json_object_set_new(report, "extract", o) || charts(es, report))
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return CUR_OK;
}

static void ext_destroy(cur_stage *self)
{
	if (!self)
		return;
	free(self->priv);
	free(self);
}

static const cur_stage_ops ext_ops = {
	.thread_new = ext_thread_new,
	.thread_free = ext_thread_free,
	.process = ext_process,
	.finish = ext_finish,
	.destroy = ext_destroy,
};

static int configure(ext_stage *es, json_t *cfg, cur_err *err)
{
	const char *when;
	int64_t depth;

	CUR_FORWARD(cur_cfg_check_keys(cfg, ext_stage_options, "extract", err));
	CUR_FORWARD(cur_cfg_str(cfg, "html", "auto", &when, err));
	CUR_FORWARD(cur_cfg_bool(cfg, "keep_html", 0, &es->keep_html, err));
	CUR_FORWARD(cur_cfg_bool(cfg, "all_text", 0, &es->o.all_text, err));
	CUR_FORWARD(cur_cfg_bool(cfg, "alt_text", 0, &es->o.alt_text, err));
	CUR_FORWARD(cur_cfg_int(cfg, "max_depth", 256, &depth, err));
	if (!strcmp(when, "auto"))
		es->when = HTML_AUTO;
	else if (!strcmp(when, "always"))
		es->when = HTML_ALWAYS;
	else if (!strcmp(when, "never"))
		es->when = HTML_NEVER;
	else
		return cur_err_set(err, CUR_EINVAL, "extract: --html must be auto, always or never, "
				   "not '%s'", when);
	if (depth < 16 || depth > 65535)
		return cur_err_set(err, CUR_EINVAL, "extract: --max-depth must be 16..65535");
	es->o.max_depth = (size_t)depth;
	return CUR_OK;
}

cur_stage *ext_stage_new(json_t *config, const cur_stage_env *env, cur_err *err)
{
	cur_stage *st = calloc(1, sizeof *st);
	ext_stage *es = calloc(1, sizeof *es);
	json_t *empty = NULL;
	int rc;

	(void)env;
	if (!st || !es) {
		free(st);
		free(es);
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	st->ops = &ext_ops;
	st->name = "extract";
	st->priv = es;
	ext_options_init(&es->o);
	if (!config)
		config = empty = json_object();
	rc = configure(es, config, err);
	json_decref(empty);
	if (rc < 0) {
		ext_destroy(st);
		return NULL;
	}
	/* Before any worker thread makes its extractor. */
	ext_init();
	return st;
}
