#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/writer.h"
#include "report/report_int.h"

/* The page, section by section (docs/report.md shows each). Sections whose
 * keys the report lacks are left out, so reports of single commands, of
 * older runs and of stages added later all draw. */

static const char style[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
	"color:#1d2433;max-width:960px;margin:0 auto;padding:16px 24px 48px;background:#fff}"
	"h1{font-size:24px;margin:8px 0 4px}h2{font-size:19px;margin:32px 0 8px;"
	"border-bottom:1px solid #d5dae3;padding-bottom:4px}h3{font-size:15px;margin:20px 0 6px}"
	"p.sub{color:#5a6478;margin:0 0 12px}nav{font-size:13px;margin:8px 0 16px}"
	"nav a{margin-right:12px}a{color:#2a5db0;text-decoration:none}a:hover{text-decoration:underline}"
	".tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:8px;margin:12px 0}"
	".tile{border:1px solid #d5dae3;border-radius:6px;padding:8px 10px}"
	".tile b{display:block;font-size:19px;font-weight:600}.tile span.k{color:#5a6478;font-size:12px}"
	"table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:13px}"
	"th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #e6e9ef;vertical-align:top}"
	"th{font-weight:600;color:#3b4558;background:#f6f7f9}td.n,th.n{text-align:right;"
	"font-variant-numeric:tabular-nums;white-space:nowrap}"
	"td.bar svg{display:block}code,pre{font:12px/1.4 ui-monospace,'DejaVu Sans Mono',monospace}"
	"pre{background:#f6f7f9;border:1px solid #e6e9ef;padding:8px;overflow:auto;max-height:360px}"
	"figure{margin:8px 0 16px}figcaption{font-size:12px;color:#5a6478}"
	"svg.chart{max-width:100%;height:auto;font-size:12px}svg text{fill:#1d2433}"
	"svg text.axis,svg text.legend{fill:#5a6478;font-size:11px}svg line.axis{stroke:#8a93a6}"
	"rect.bar,rect.s1,rect.inline{fill:#2f5fa8}rect.s0{fill:#a9bedf}rect.drop{fill:#f0c8b4}"
	"line.mark{stroke:#c0392b;stroke-width:2}text.marklabel{fill:#c0392b;font-size:11px}"
	"dt{font-weight:600;margin-top:8px}dd{margin:2px 0 0 16px}p.empty{color:#5a6478}"
	".grid2{display:grid;grid-template-columns:1fr 1fr;gap:0 24px}"
	"@media print{body{max-width:none;padding:0}h2{break-after:avoid}"
	"figure,table,.tiles{break-inside:avoid}nav{display:none}a{color:inherit}}";

static void head(rpt_page *pg, json_t *r)
{
	const char *cmd = json_string_value(json_object_get(r, "command"));

	/* The policy makes the page's promise checkable: it can load nothing. */
	rpt_put(pg, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		    "style-src 'unsafe-inline'\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<title>curate ");
	rpt_text(pg, cmd ? cmd : "run");
	rpt_put(pg, " report</title>\n<style>");
	rpt_put(pg, style);
	rpt_put(pg, "</style></head>\n<body>\n");
}

/* A summary tile for a top-level figure; none when the report lacks it. */
static void tile(rpt_page *pg, json_t *r, const char *key, const char *label, enum rpt_fmt fmt,
		 const char *unit)
{
	rpt_ptr p;

	if (!json_is_number(json_object_get(r, key)))
		return;
	rpt_ptr_key(&p, "", key);
	rpt_put(pg, "<div class=\"tile\"><b>");
	rpt_figure(pg, p.s, rpt_num(r, key), fmt);
	rpt_put(pg, unit);
	rpt_put(pg, "</b><span class=\"k\">");
	rpt_text(pg, label);
	rpt_put(pg, "</span></div>\n");
}

static void title_and_summary(rpt_page *pg, json_t *r)
{
	json_t *run = json_object_get(r, "run");
	const char *cmd = json_string_value(json_object_get(r, "command"));

	rpt_put(pg, "<header><h1>curate ");
	rpt_text(pg, cmd ? cmd : "run");
	rpt_put(pg, " report</h1>\n<p class=\"sub\">");
	if (run) {
		rpt_put(pg, "<code>");
		rpt_argv_line(pg, json_object_get(run, "argv"));
		rpt_put(pg, "</code> &middot; started ");
		rpt_text(pg, json_string_value(json_object_get(run, "started")));
		rpt_put(pg, " on ");
		rpt_text(pg, json_string_value(json_object_get(run, "host")));
		rpt_put(pg, " &middot; ");
	}
	if (pg->o->source) {
		rpt_put(pg, "from <code>");
		rpt_text(pg, pg->o->source);
		rpt_put(pg, "</code>");
	}
	rpt_put(pg, "</p></header>\n<div class=\"tiles\">\n");
	tile(pg, r, "documents_in", "documents read", RPT_INT, "");
	tile(pg, r, "documents_out", "documents kept", RPT_INT, "");
	tile(pg, r, "bytes_in", "text read", RPT_BYTES, "");
	tile(pg, r, "bytes_out", "text kept", RPT_BYTES, "");
	tile(pg, r, "seconds", "wall time", RPT_SECS, "");
	tile(pg, r, "bytes_per_second", "throughput (text read)", RPT_BYTES, "/s");
	tile(pg, r, "peak_rss_bytes", "peak memory (resident)", RPT_BYTES, "");
	tile(pg, r, "bad_records", "bad records", RPT_INT, "");
	rpt_put(pg, "</div>\n");
}

static void nav(rpt_page *pg, json_t *r)
{
	rpt_put(pg, "<nav><a href=\"#funnel\">Funnel</a>");
	if (json_object_get(json_object_get(r, "sink"), "categories"))
		rpt_put(pg, "<a href=\"#mix\">Mix</a>");
	if (json_object_get(r, "lengths"))
		rpt_put(pg, "<a href=\"#lengths\">Lengths</a>");
	rpt_put(pg, "<a href=\"#stages\">Stage figures</a><a href=\"#time\">Time and memory</a>"
		    "<a href=\"#run\">Run</a><a href=\"#reasons\">Drop reasons</a></nav>\n");
}

/* ---- the funnel ---- */

static void cell_bar(rpt_page *pg, double share)
{
	rpt_printf(pg, "<td class=\"bar\"><svg width=\"160\" height=\"10\" aria-hidden=\"true\">"
		   "<rect class=\"inline\" width=\"%.1f\" height=\"10\"/></svg></td>",
		   160 * (share > 1 ? 1 : share < 0 ? 0 : share));
}

static void stage_table(rpt_page *pg, json_t *r)
{
	json_t *stages = json_object_get(r, "stages"), *st;
	size_t i;

	rpt_put(pg, "<table><tr><th>stage</th><th class=\"n\">documents in</th>"
		    "<th class=\"n\">out</th><th class=\"n\">kept</th><th class=\"n\">text in</th>"
		    "<th class=\"n\">out</th><th class=\"n\">thread-seconds</th></tr>\n");
	json_array_foreach(stages, i, st) {
		rpt_ptr base, in, out, bin, bout, secs;

		rpt_ptr_index(&base, "/stages", i);
		rpt_ptr_key(&in, base.s, "docs_in");
		rpt_ptr_key(&out, base.s, "docs_out");
		rpt_ptr_key(&bin, base.s, "bytes_in");
		rpt_ptr_key(&bout, base.s, "bytes_out");
		rpt_ptr_key(&secs, base.s, "seconds");
		rpt_put(pg, "<tr><td>");
		rpt_stage_heading(pg, st, i);
		rpt_put(pg, "</td>");
		rpt_cell(pg, in.s, rpt_num(st, "docs_in"), RPT_INT);
		rpt_cell(pg, out.s, rpt_num(st, "docs_out"), RPT_INT);
		rpt_cell_share(pg, out.s, rpt_num(st, "docs_out"), in.s, rpt_num(st, "docs_in"));
		rpt_cell(pg, bin.s, rpt_num(st, "bytes_in"), RPT_BYTES);
		rpt_cell(pg, bout.s, rpt_num(st, "bytes_out"), RPT_BYTES);
		if (json_is_number(json_object_get(st, "seconds")))
			rpt_cell(pg, secs.s, rpt_num(st, "seconds"), RPT_SECS);
		else
			rpt_put(pg, "<td></td>");
		rpt_put(pg, "</tr>\n");
	}
	rpt_put(pg, "</table>\n");
}

static void reason_rows(rpt_page *pg, json_t *dropped, const char *base, const char *whole_ptr,
			double whole)
{
	size_t n, i;
	rpt_keyed *k = rpt_sorted_counts(dropped, &n);

	if (!k) {
		pg->rc = CUR_ENOMEM;
		return;
	}
	for (i = 0; i < n; i++) {
		char anchor[160];
		rpt_ptr p;

		rpt_ptr_key(&p, base, k[i].key);
		rpt_reason_anchor(k[i].key, anchor, sizeof(anchor));
		rpt_printf(pg, "<tr><td><a href=\"#%s\"><code>", anchor);
		rpt_text(pg, k[i].key);
		rpt_put(pg, "</code></a></td>");
		rpt_cell(pg, p.s, k[i].n, RPT_INT);
		rpt_cell_share(pg, p.s, k[i].n, whole_ptr, whole);
		cell_bar(pg, whole > 0 ? k[i].n / whole : 0);
		rpt_put(pg, "</tr>\n");
	}
	free(k);
}

static void drop_reasons(rpt_page *pg, json_t *r)
{
	json_t *stages = json_object_get(r, "stages"), *st;
	size_t i;
	int any = 0;

	json_array_foreach(stages, i, st) {
		json_t *dropped = json_object_get(st, "dropped");
		rpt_ptr base, in;

		if (!json_object_size(dropped))
			continue;
		if (!any++)
			rpt_put(pg, "<h3>Why documents were dropped</h3>\n<table><tr><th>reason</th>"
				    "<th class=\"n\">documents</th><th class=\"n\">of the stage's input"
				    "</th><th></th></tr>\n");
		rpt_ptr_index(&base, "/stages", i);
		rpt_ptr_key(&in, base.s, "docs_in");
		rpt_ptr_key(&base, base.s, "dropped");
		rpt_put(pg, "<tr><th colspan=\"4\">");
		rpt_stage_heading(pg, st, i);
		rpt_put(pg, "</th></tr>\n");
		reason_rows(pg, dropped, base.s, in.s, rpt_num(st, "docs_in"));
	}
	if (any)
		rpt_put(pg, "</table>\n");
	else
		rpt_put(pg, "<p class=\"empty\">No stage dropped a document.</p>\n");
	if (json_object_size(json_object_get(r, "errors"))) {
		rpt_put(pg, "<h3>Records that could not be read</h3>\n<table><tr><th>reason</th>"
			    "<th class=\"n\">records</th><th class=\"n\">of the bad records</th>"
			    "<th></th></tr>\n");
		reason_rows(pg, json_object_get(r, "errors"), "/errors", "/bad_records",
			    rpt_num(r, "bad_records"));
		rpt_put(pg, "</table>\n");
	}
}

static void funnel(rpt_page *pg, json_t *r)
{
	rpt_put(pg, "<section id=\"funnel\"><h2>Funnel</h2>\n");
	if (json_array_size(json_object_get(r, "stages"))) {
		rpt_chart_funnel(pg, r);
		stage_table(pg, r);
	} else {
		rpt_put(pg, "<p class=\"empty\">No stage ran: every document read went to the "
			    "output.</p>\n");
	}
	drop_reasons(pg, r);
	rpt_put(pg, "</section>\n");
}

/* ---- the mix ---- */

static void mix_chart(rpt_page *pg, json_t *cats)
{
	size_t n = json_object_size(cats), i = 0;
	rpt_bar *bars = calloc(n + 1, sizeof(*bars));
	rpt_ptr *ptrs = calloc(2 * n + 1, sizeof(*ptrs));
	const char *name;
	json_t *c;

	if (!bars || !ptrs) {
		pg->rc = CUR_ENOMEM;
		goto out;
	}
	json_object_foreach(cats, name, c) {
		rpt_ptr_key(&ptrs[2 * i], "/sink/categories", name);
		rpt_ptr_key(&ptrs[2 * i + 1], ptrs[2 * i].s, "target");
		rpt_ptr_key(&ptrs[2 * i], ptrs[2 * i].s, "ratio");
		bars[i] = (rpt_bar){ name, rpt_num(c, "ratio"), ptrs[2 * i].s, RPT_PCT,
				     rpt_num(c, "target"), ptrs[2 * i + 1].s, NULL };
		i++;
	}
	rpt_chart_bars(pg, bars, n, 0, "Share of the tokens written, per category (bars), "
		       "against the mix's target (red ticks).");
out:
	free(bars);
	free(ptrs);
}

static void mix_table(rpt_page *pg, json_t *cats)
{
	static const struct { const char *key, *head; enum rpt_fmt fmt; } cols[] = {
		{ "target", "target", RPT_PCT }, { "ratio", "realized", RPT_PCT },
		{ "tokens", "tokens", RPT_INT }, { "documents", "documents", RPT_INT },
		{ "epochs", "epochs", RPT_NUM }, { "available_tokens", "tokens available", RPT_INT },
		{ "available_documents", "documents available", RPT_INT },
	};
	const char *name;
	json_t *c;
	size_t k;

	rpt_put(pg, "<table><tr><th>category</th>");
	for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
		rpt_printf(pg, "<th class=\"n\">%s</th>", cols[k].head);
	rpt_put(pg, "</tr>\n");
	json_object_foreach(cats, name, c) {
		rpt_put(pg, "<tr><td>");
		rpt_text(pg, name);
		rpt_put(pg, "</td>");
		for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
			rpt_ptr p;

			rpt_ptr_key(&p, "/sink/categories", name);
			rpt_ptr_key(&p, p.s, cols[k].key);
			if (json_object_get(c, cols[k].key))
				rpt_cell(pg, p.s, rpt_num(c, cols[k].key), cols[k].fmt);
			else
				rpt_put(pg, "<td></td>");
		}
		rpt_put(pg, "</tr>\n");
	}
	rpt_put(pg, "</table>\n");
}

static void mix(rpt_page *pg, json_t *r)
{
	json_t *sink = json_object_get(r, "sink");
	json_t *cats = json_object_get(sink, "categories");
	const char *stop = json_string_value(json_object_get(sink, "stopped_by"));

	if (!json_is_object(cats) || !json_object_size(cats))
		return;
	rpt_put(pg, "<section id=\"mix\"><h2>Mix</h2>\n<p>");
	rpt_figure(pg, "/sink/tokens", rpt_num(sink, "tokens"), RPT_INT);
	rpt_put(pg, " tokens in ");
	rpt_figure(pg, "/sink/documents", rpt_num(sink, "documents"), RPT_INT);
	rpt_put(pg, " documents");
	if (stop) {
		rpt_put(pg, "; the mix stopped at <code>");
		rpt_text(pg, stop);
		rpt_put(pg, "</code>");
	}
	rpt_put(pg, ". Epochs are how many times a category's documents were used: above 1 a "
		    "category was repeated to reach its target, below 1 it was subsampled.</p>\n");
	mix_chart(pg, cats);
	mix_table(pg, cats);
	rpt_put(pg, "</section>\n");
}

/* ---- lengths ---- */

static void mean_line(rpt_page *pg, json_t *h, const char *ptr, const char *when)
{
	rpt_ptr sum, total;
	char text[32];
	double n = rpt_num(h, "total");

	rpt_ptr_key(&sum, ptr, "sum");
	rpt_ptr_key(&total, ptr, "total");
	rpt_text(pg, when);
	rpt_put(pg, ": ");
	rpt_figure(pg, total.s, n, RPT_INT);
	rpt_put(pg, " documents, mean ");
	rpt_format(n > 0 ? rpt_num(h, "sum") / n : 0, RPT_NUM, text, sizeof(text));
	rpt_put(pg, "<span class=\"fig\" data-json=\"");
	rpt_text(pg, sum.s);
	rpt_put(pg, "\" data-of=\"");
	rpt_text(pg, total.s);
	rpt_printf(pg, "\" data-fmt=\"num\">%s</span>", text);
}

static void length_chart(rpt_page *pg, json_t *pair, const char *ptr, const char *unit)
{
	rpt_ptr before, after;
	rpt_series s[2];
	char caption[160];

	rpt_ptr_key(&before, ptr, "before");
	rpt_ptr_key(&after, ptr, "after");
	s[0] = (rpt_series){ json_object_get(pair, "before"), before.s, "before" };
	s[1] = (rpt_series){ json_object_get(pair, "after"), after.s, "after" };
	snprintf(caption, sizeof(caption), "Documents by length in %s, as read (light) and as "
		 "they left the last stage (dark).", unit);
	rpt_printf(pg, "<h4>%s</h4>\n<p class=\"sub\">", unit);
	mean_line(pg, s[0].hist, before.s, "before");
	rpt_put(pg, "; ");
	mean_line(pg, s[1].hist, after.s, "after");
	rpt_put(pg, "</p>\n");
	rpt_chart_hist(pg, s, 2, caption);
}

static void lengths(rpt_page *pg, json_t *r)
{
	json_t *lengths = json_object_get(r, "lengths"), *cat;
	const char *name;

	if (!json_is_object(lengths))
		return;
	rpt_put(pg, "<section id=\"lengths\"><h2>Document lengths</h2>\n<p>Bins are fixed: 0, "
		    "then 1, 2, 5, 10, 20, 50, ... (each bin runs up to the next edge). A document "
		    "counts under the category it ended with.</p>\n");
	json_object_foreach(lengths, name, cat) {
		rpt_ptr p, u;

		rpt_ptr_key(&p, "/lengths", name);
		rpt_put(pg, "<h3>");
		rpt_text(pg, strcmp(name, "all") == 0 ? "All documents" : name);
		rpt_put(pg, "</h3>\n");
		rpt_ptr_key(&u, p.s, "characters");
		length_chart(pg, json_object_get(cat, "characters"), u.s, "characters");
		if (json_object_get(cat, "tokens")) {
			rpt_ptr_key(&u, p.s, "tokens");
			length_chart(pg, json_object_get(cat, "tokens"), u.s, "tokens");
		}
	}
	rpt_put(pg, "</section>\n");
}

/* ---- the page ---- */

int rpt_html(json_t *report, const rpt_opts *o, cur_buf *out, cur_err *err)
{
	rpt_opts none = { NULL, NULL };
	rpt_page pg = { out, o ? o : &none, CUR_OK, 0 };

	if (!json_is_object(report) || !json_object_get(report, "documents_in"))
		return cur_err_set(err, CUR_EINVAL, "not a curate run report (no 'documents_in')");
	head(&pg, report);
	title_and_summary(&pg, report);
	nav(&pg, report);
	funnel(&pg, report);
	mix(&pg, report);
	lengths(&pg, report);
	rpt_details(&pg, report);
	rpt_put(&pg, "<footer><p class=\"sub\">Written by curate from the run report; "
		     "docs/report.md says how each figure is computed.</p></footer>\n"
		     "</body></html>\n");
	if (pg.rc < 0)
		return cur_err_set(err, pg.rc, "cannot build the page: %s", cur_strerror(pg.rc));
	return CUR_OK;
}

int rpt_html_write(json_t *report, const rpt_opts *o, const char *path, cur_err *err)
{
	cur_buf page;
	cur_out *f = NULL;
	int rc;

	cur_buf_init(&page, CUR_BUF_UNLIMITED);
	rc = rpt_html(report, o, &page, err);
	if (rc == CUR_OK)
		rc = cur_out_open(&f, path, 1, err);
	if (rc == CUR_OK) {
		rc = cur_out_write(f, page.data, page.len);
		if (rc < 0)
			cur_err_set(err, rc, "%s", cur_out_error(f)[0] ? cur_out_error(f) : "out of memory");
		else
			rc = cur_out_finish(f, err);
	}
	cur_out_free(f);
	cur_buf_release(&page);
	return rc;
}

/* A directory as a file:// URL with a trailing slash; bytes outside the
 * URL-safe set are percent-encoded. */
static void file_url(const char *dir, char *buf, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = (size_t)snprintf(buf, cap, "file://");

	for (; *dir && o + 4 < cap; dir++) {
		unsigned char c = (unsigned char)*dir;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("/-._~", c)) {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	if (o + 1 < cap)
		buf[o++] = '/';
	buf[o] = '\0';
}

const char *rpt_docs_url(char *url, size_t cap)
{
	static const char *const dirs[] = { CUR_SRCDIR "/docs", CUR_DOCDIR };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char probe[4096];
		struct stat st;

		snprintf(probe, sizeof(probe), "%s/report.md", dirs[i]);
		if (stat(probe, &st) == 0) {
			file_url(dirs[i], url, cap);
			return url;
		}
	}
	return NULL;
}
