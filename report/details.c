#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/report_int.h"

/* The page's later sections: what each stage adds of its own (shares and
 * histograms, docs/report.md), time and memory, what ran, and the drop
 * reasons explained. */

/* ---- stage figures ---- */

enum { TOP_SHARES = 24 };

/* Shares, largest first; beyond TOP_SHARES keys the rest are one bar. */
static void shares_chart(rpt_page *pg, json_t *obj, const char *ptr, const char *name)
{
	size_t n, i, shown;
	rpt_keyed *k = rpt_sorted_counts(obj, &n);
	rpt_bar *bars = calloc(TOP_SHARES + 2, sizeof(*bars));
	rpt_ptr *ptrs = calloc(TOP_SHARES + 2, sizeof(*ptrs));
	char caption[256], total_text[32], rest_label[64];
	double total = 0, rest = 0;

	if (!k || !bars || !ptrs) {
		pg->rc = CUR_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		total += k[i].n;
	shown = n > TOP_SHARES + 1 ? TOP_SHARES : n;
	for (i = 0; i < shown; i++) {
		rpt_ptr_key(&ptrs[i], ptr, k[i].key);
		bars[i] = (rpt_bar){ k[i].key, k[i].n, ptrs[i].s, RPT_INT, NAN, NULL, NULL };
	}
	for (i = shown; i < n; i++)
		rest += k[i].n;
	if (shown < n) {
		snprintf(rest_label, sizeof(rest_label), "%zu others", n - shown);
		bars[shown++] = (rpt_bar){ rest_label, rest, "", RPT_INT, NAN, NULL, NULL };
	}
	rpt_format(total, RPT_INT, total_text, sizeof(total_text));
	snprintf(caption, sizeof(caption), "%s: counts per key, largest first (%s in all).",
		 name, total_text);
	rpt_put(pg, "<h4>");
	rpt_title(pg, name);
	rpt_put(pg, "</h4>\n");
	rpt_chart_bars(pg, bars, shown, 0, caption);
out:
	free(k);
	free(bars);
	free(ptrs);
}

static void histogram_chart(rpt_page *pg, json_t *h, const char *ptr, const char *name)
{
	rpt_series s = { h, ptr, name };
	char caption[256];
	const char *unit = json_string_value(json_object_get(h, "unit"));

	snprintf(caption, sizeof(caption), "%s: values by bin%s%s%s.", name,
		 unit ? " (" : "", unit ? unit : "", unit ? ")" : "");
	rpt_put(pg, "<h4>");
	rpt_title(pg, name);
	rpt_put(pg, "</h4>\n");
	rpt_chart_hist(pg, &s, 1, caption);
}

static int has_charts(json_t *st)
{
	return json_object_size(json_object_get(st, "shares")) ||
	       json_object_size(json_object_get(st, "histograms"));
}

static void stage_figures(rpt_page *pg, json_t *r)
{
	json_t *stages = json_object_get(r, "stages"), *st, *v;
	const char *name;
	size_t i;
	int any = 0;

	rpt_put(pg, "<section id=\"stages\"><h2>Stage figures</h2>\n");
	json_array_foreach(stages, i, st) {
		rpt_ptr base, p;

		if (!has_charts(st))
			continue;
		any = 1;
		rpt_ptr_index(&base, "/stages", i);
		rpt_put(pg, "<h3>");
		rpt_stage_heading(pg, st, i);
		rpt_put(pg, "</h3>\n");
		json_object_foreach(json_object_get(st, "shares"), name, v) {
			rpt_ptr_key(&p, base.s, "shares");
			rpt_ptr_key(&p, p.s, name);
			shares_chart(pg, v, p.s, name);
		}
		json_object_foreach(json_object_get(st, "histograms"), name, v) {
			rpt_ptr_key(&p, base.s, "histograms");
			rpt_ptr_key(&p, p.s, name);
			histogram_chart(pg, v, p.s, name);
		}
	}
	if (!any)
		rpt_put(pg, "<p class=\"empty\">No stage of this run reported a distribution "
			    "(language, perplexity, PII types, ... appear here when their stages run).</p>\n");
	rpt_put(pg, "</section>\n");
}

/* ---- time and memory ---- */

static void time_chart(rpt_page *pg, json_t *r)
{
	static const char *const phases[] = { "read", "parse", "lengths", "sink_prepare",
					      "sink_write", "sink_finish", "waiting" };
	json_t *stages = json_object_get(r, "stages"), *st;
	json_t *ts = json_object_get(r, "thread_seconds");
	size_t n = json_array_size(stages) + 7, i, k = 0;
	rpt_bar *bars = calloc(n, sizeof(*bars));
	rpt_ptr *ptrs = calloc(n, sizeof(*ptrs));
	char (*labels)[96] = calloc(n, sizeof(*labels));

	if (!bars || !ptrs || !labels) {
		pg->rc = CUR_ENOMEM;
		goto out;
	}
	json_array_foreach(stages, i, st) {
		if (!json_is_number(json_object_get(st, "seconds")))
			continue;
		rpt_ptr_index(&ptrs[k], "/stages", i);
		rpt_ptr_key(&ptrs[k], ptrs[k].s, "seconds");
		snprintf(labels[k], sizeof(labels[k]), "stage %zu %s", i + 1,
			 rpt_str(st, "name"));
		bars[k] = (rpt_bar){ labels[k], rpt_num(st, "seconds"), ptrs[k].s, RPT_SECS, NAN,
				     NULL, NULL };
		k++;
	}
	for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		if (!json_object_get(ts, phases[i]))
			continue;
		rpt_ptr_key(&ptrs[k], "/thread_seconds", phases[i]);
		snprintf(labels[k], sizeof(labels[k]), "%s", phases[i]);
		bars[k] = (rpt_bar){ labels[k], rpt_num(ts, phases[i]), ptrs[k].s, RPT_SECS, NAN,
				     NULL, NULL };
		k++;
	}
	if (k)
		rpt_chart_bars(pg, bars, k, 0, "Thread-seconds per stage and per pipeline phase, "
			       "summed over the workers (docs/architecture.md says what each phase "
			       "covers).");
out:
	free(bars);
	free(ptrs);
	free(labels);
}

/* A run under a batch scheduler (curate slurm): its steps, each an array of
 * tasks, with the wall time from the first task's start to the last's end
 * and the seconds its tasks took together. */
static void steps_table(rpt_page *pg, json_t *r)
{
	json_t *slurm = json_object_get(r, "slurm"), *st;
	size_t i;

	if (!json_array_size(json_object_get(slurm, "steps")))
		return;
	rpt_put(pg, "<h3>Steps of the batch run</h3>\n<p class=\"sub\">");
	rpt_figure(pg, "/slurm/tasks", rpt_num(slurm, "tasks"), RPT_INT);
	rpt_put(pg, " tasks of ");
	rpt_figure(pg, "/slurm/cpus_per_task", rpt_num(slurm, "cpus_per_task"), RPT_INT);
	rpt_put(pg, " CPUs each (docs/distributed.md).</p>\n<table><tr><th>step</th>"
		    "<th class=\"n\">tasks</th><th class=\"n\">wall time</th>"
		    "<th class=\"n\">task-seconds</th></tr>\n");
	json_array_foreach(json_object_get(slurm, "steps"), i, st) {
		rpt_ptr base, p;

		rpt_ptr_index(&base, "/slurm/steps", i);
		rpt_put(pg, "<tr><td>");
		rpt_text(pg, rpt_str(st, "name"));
		rpt_put(pg, "</td>");
		rpt_ptr_key(&p, base.s, "tasks");
		rpt_cell(pg, p.s, rpt_num(st, "tasks"), RPT_INT);
		rpt_ptr_key(&p, base.s, "seconds");
		rpt_cell(pg, p.s, rpt_num(st, "seconds"), RPT_SECS);
		rpt_ptr_key(&p, base.s, "task_seconds");
		rpt_cell(pg, p.s, rpt_num(st, "task_seconds"), RPT_SECS);
		rpt_put(pg, "</tr>\n");
	}
	rpt_put(pg, "</table>\n");
}

static void time_section(rpt_page *pg, json_t *r)
{
	static const struct { const char *key, *label, *unit; enum rpt_fmt fmt; } rows[] = {
		{ "seconds", "wall time", "", RPT_SECS },
		{ "jobs", "worker threads", "", RPT_INT },
		{ "thread_utilisation", "thread utilisation (busy thread-seconds over threads "
		  "&times; wall time)", "", RPT_PCT },
		{ "documents_per_second", "documents per second", "", RPT_INT },
		{ "bytes_per_second", "text read per second", "/s", RPT_BYTES },
		{ "peak_rss_bytes", "peak resident memory", "", RPT_BYTES },
	};
	size_t i;

	rpt_put(pg, "<section id=\"time\"><h2>Time and memory</h2>\n<table>\n");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		rpt_ptr p;

		if (!json_object_get(r, rows[i].key))
			continue;
		rpt_ptr_key(&p, "", rows[i].key);
		rpt_printf(pg, "<tr><th>%s</th><td class=\"n\">", rows[i].label);
		rpt_figure(pg, p.s, rpt_num(r, rows[i].key), rows[i].fmt);
		rpt_printf(pg, "%s</td></tr>\n", rows[i].unit);
	}
	rpt_put(pg, "</table>\n");
	time_chart(pg, r);
	steps_table(pg, r);
	rpt_put(pg, "</section>\n");
}

/* ---- the run ---- */

static void row_text(rpt_page *pg, const char *key, const char *value)
{
	if (!value)
		return;
	rpt_put(pg, "<tr><th>");
	rpt_text(pg, key);
	rpt_put(pg, "</th><td><code>");
	rpt_text(pg, value);
	rpt_put(pg, "</code></td></tr>\n");
}

static void inputs_table(rpt_page *pg, json_t *inputs)
{
	json_t *in;
	size_t i;

	if (!json_array_size(inputs))
		return;
	rpt_put(pg, "<h3>Inputs</h3>\n<table><tr><th>file</th><th>category</th>"
		    "<th class=\"n\">size</th></tr>\n");
	json_array_foreach(inputs, i, in) {
		const char *path = json_is_string(in) ? json_string_value(in) :
				   json_string_value(json_object_get(in, "path"));
		rpt_ptr p;

		rpt_put(pg, "<tr><td><code>");
		rpt_text(pg, path);
		rpt_put(pg, "</code></td><td>");
		rpt_text(pg, json_string_value(json_object_get(in, "category")));
		rpt_put(pg, "</td>");
		rpt_ptr_index(&p, "/inputs", i);
		rpt_ptr_key(&p, p.s, "bytes");
		if (json_object_get(in, "bytes"))
			rpt_cell(pg, p.s, rpt_num(in, "bytes"), RPT_BYTES);
		else
			rpt_put(pg, "<td></td>");
		rpt_put(pg, "</tr>\n");
	}
	rpt_put(pg, "</table>\n");
}

static void tokenizer_rows(rpt_page *pg, json_t *r)
{
	json_t *tok = json_object_get(json_object_get(r, "run"), "tokenizer");

	if (!tok)
		tok = json_object_get(json_object_get(r, "sink"), "tokenizer");
	row_text(pg, "tokenizer", json_string_value(json_object_get(tok, "file")));
	row_text(pg, "tokenizer sha256", json_string_value(json_object_get(tok, "sha256")));
}

static void run_section(rpt_page *pg, json_t *r)
{
	json_t *run = json_object_get(r, "run"), *libs = json_object_get(run, "libraries"), *v;
	const char *k;
	char text[64];

	rpt_put(pg, "<section id=\"run\"><h2>Run</h2>\n<table>\n");
	if (run) {
		rpt_put(pg, "<tr><th>command</th><td><code>");
		rpt_argv_line(pg, json_object_get(run, "argv"));
		rpt_put(pg, "</code></td></tr>\n");
		row_text(pg, "started (UTC)", json_string_value(json_object_get(run, "started")));
		row_text(pg, "host", json_string_value(json_object_get(run, "host")));
		row_text(pg, "curate", json_string_value(json_object_get(run, "curate_version")));
		json_object_foreach(libs, k, v) {
			if (json_is_string(v))
				row_text(pg, k, json_string_value(v));
			else {
				snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
				row_text(pg, k, text);
			}
		}
		snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(
				 json_object_get(run, "seed")));
		row_text(pg, "seed", text);
		snprintf(text, sizeof(text), "%lld of %lld", (long long)json_integer_value(
				 json_object_get(run, "rank")),
			 (long long)json_integer_value(json_object_get(run, "world")));
		row_text(pg, "slice (rank of world)", text);
	}
	tokenizer_rows(pg, r);
	rpt_put(pg, "</table>\n");
	inputs_table(pg, json_object_get(r, "inputs"));
	if (json_object_get(run, "config")) {
		char *cfg = json_dumps(json_object_get(run, "config"), JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		rpt_put(pg, "<h3>Configuration</h3>\n<pre>");
		rpt_text(pg, cfg ? cfg : "");
		rpt_put(pg, "</pre>\n");
		free(cfg);
	}
	rpt_put(pg, "</section>\n");
}

/* ---- drop reasons explained ---- */

/* A reason's explanation from the stage that dropped (its "reasons"
 * object, docs/report.md), else the table of every reason in docs. */
static void reason_entry(rpt_page *pg, const char *reason, json_t *about)
{
	const char *text = json_string_value(json_object_get(about, "about"));
	const char *doc = json_string_value(json_object_get(about, "docs"));
	char anchor[160];

	rpt_reason_anchor(reason, anchor, sizeof(anchor));
	rpt_printf(pg, "<dt id=\"%s\"><code>", anchor);
	rpt_text(pg, reason);
	rpt_put(pg, "</code></dt><dd>");
	if (text) {
		rpt_text(pg, text);
		rpt_put(pg, ". ");
	}
	if (pg->o->docs_url) {
		rpt_put(pg, "<a href=\"");
		rpt_text(pg, pg->o->docs_url);
		rpt_text(pg, doc ? doc : "report.md#drop-reasons");
		rpt_put(pg, "\">");
		rpt_text(pg, doc ? doc : "report.md#drop-reasons");
		rpt_put(pg, "</a>");
	} else {
		rpt_put(pg, "docs/");
		rpt_text(pg, doc ? doc : "report.md#drop-reasons");
	}
	rpt_put(pg, "</dd>\n");
}

static void reasons(rpt_page *pg, json_t *r)
{
	json_t *stages = json_object_get(r, "stages"), *st, *seen = json_object(), *v;
	const char *reason;
	size_t i;

	rpt_put(pg, "<section id=\"reasons\"><h2>Drop reasons</h2>\n<dl>\n");
	json_array_foreach(stages, i, st) {
		json_object_foreach(json_object_get(st, "dropped"), reason, v) {
			if (json_object_get(seen, reason))
				continue;
			json_object_set_new(seen, reason, json_true());
			reason_entry(pg, reason, json_object_get(json_object_get(st, "reasons"), reason));
		}
	}
	json_object_foreach(json_object_get(r, "errors"), reason, v)
		reason_entry(pg, reason, NULL);
	if (!json_object_size(seen) && !json_object_size(json_object_get(r, "errors")))
		rpt_put(pg, "<dd>None in this run.</dd>\n");
	rpt_put(pg, "</dl>\n</section>\n");
	json_decref(seen);
}

void rpt_details(rpt_page *pg, json_t *r)
{
	stage_figures(pg, r);
	time_section(pg, r);
	run_section(pg, r);
	reasons(pg, r);
}
