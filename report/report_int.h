/* Shared inside report/: the page being written and the chart primitives. */
#ifndef RPT_REPORT_INT_H
#define RPT_REPORT_INT_H

#include <jansson.h>
#include "core/buf.h"
#include "report/report.h"

/* The page: output, options, and the first error (every append after one
 * failed does nothing, so callers need not check each). */
typedef struct rpt_page {
	cur_buf *out;
	const rpt_opts *o;
	int rc;
	int nchart;          /* charts drawn, for unique SVG ids */
} rpt_page;

/* ---- page.c: writing ---- */
void rpt_put(rpt_page *pg, const char *s);
void rpt_printf(rpt_page *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* rpt_text: s escaped for HTML text and attribute values. */
void rpt_text(rpt_page *pg, const char *s);

/* How a figure is shown; the browser test reads data-fmt to parse it back. */
enum rpt_fmt {
	RPT_INT,    /* 1,234,567 */
	RPT_BYTES,  /* 4.53 MB (10^6) */
	RPT_PCT,    /* a ratio as 49.93% */
	RPT_SECS,   /* 0.463 s */
	RPT_NUM     /* 4 significant digits */
};
/* rpt_format: v as fmt shows it, into buf. */
void rpt_format(double v, enum rpt_fmt fmt, char *buf, size_t cap);
/* rpt_figure: a figure of the report, as <span data-json=POINTER
 * data-fmt=F>text</span>; ptr is the JSON pointer (RFC 6901) of the value
 * it shows, so the test can compare one with the other. */
void rpt_figure(rpt_page *pg, const char *ptr, double v, enum rpt_fmt fmt);

/* JSON pointers: base + "/" + key, with ~ and / escaped. */
typedef struct rpt_ptr { char s[512]; } rpt_ptr;
void rpt_ptr_key(rpt_ptr *out, const char *base, const char *key);
void rpt_ptr_index(rpt_ptr *out, const char *base, size_t i);

/* Numbers of the report, 0 when absent; strings, "" when absent. */
double rpt_num(json_t *obj, const char *key);
const char *rpt_str(json_t *obj, const char *key);

/* rpt_fmt_name: the data-fmt name of fmt ("int", "pct", ...). */
const char *rpt_fmt_name(enum rpt_fmt fmt);
/* rpt_cell: a table cell with a figure; rpt_cell_share: a cell with part /
 * whole as a percentage, both figures of the report (data-json is the part,
 * data-of the whole). */
void rpt_cell(rpt_page *pg, const char *ptr, double v, enum rpt_fmt fmt);
void rpt_cell_share(rpt_page *pg, const char *part_ptr, double part, const char *whole_ptr,
		    double whole);
/* rpt_argv_line: an argv array as one line of text. */
void rpt_argv_line(rpt_page *pg, json_t *argv);
/* rpt_stage_heading: "2 filter (on general)". */
void rpt_stage_heading(rpt_page *pg, json_t *stage, size_t i);

/* Keys of a counts object, largest count first (ties by name); NULL when out
 * of memory. The keys are borrowed from obj; free() the array. */
typedef struct rpt_keyed { const char *key; double n; } rpt_keyed;
rpt_keyed *rpt_sorted_counts(json_t *obj, size_t *n);

/* rpt_title: a snake_case key as a title ("spans_by_type" -> "Spans by type"). */
void rpt_title(rpt_page *pg, const char *key);
/* rpt_reason_anchor: the page anchor of a drop reason's explanation. */
void rpt_reason_anchor(const char *reason, char *buf, size_t cap);

/* ---- charts.c: inline SVG ---- */

/* One bar of a horizontal bar chart. */
typedef struct rpt_bar {
	const char *label;
	double value;
	const char *ptr;     /* JSON pointer of value */
	enum rpt_fmt fmt;
	double mark;         /* a target drawn as a tick (NAN: none) */
	const char *mark_ptr;
	const char *href;    /* the label links here (may be NULL) */
} rpt_bar;

/* rpt_chart_bars: horizontal bars in the order given, scaled to max, or to
 * the largest value or mark when that is larger. */
void rpt_chart_bars(rpt_page *pg, const rpt_bar *bars, size_t n, double max, const char *caption);

/* A histogram of the report (docs/report.md) and where it is. */
typedef struct rpt_series {
	json_t *hist;
	const char *ptr;
	const char *name;    /* legend: "before", "after" */
} rpt_series;

/* rpt_chart_hist: one or two histograms over the same bins, side by side
 * in each bin, with their marks as vertical lines. */
void rpt_chart_hist(rpt_page *pg, const rpt_series *s, size_t n, const char *caption);

/* rpt_chart_funnel: documents left after each stage, as bars of one scale. */
void rpt_chart_funnel(rpt_page *pg, json_t *report);

/* ---- details.c: stage figures, time, the run, drop reasons ---- */
void rpt_details(rpt_page *pg, json_t *report);

#endif
