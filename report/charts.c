#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "report/report_int.h"

/* Charts are drawn at a fixed size in SVG user units; the stylesheet lets
 * them shrink with the page. Colours and fonts come from the page's CSS. */
enum { WIDTH = 900, LABEL_W = 270, VALUE_W = 150, ROW_H = 22 };

static void svg_open(rpt_page *pg, int height, const char *cls, const char *caption)
{
	rpt_printf(pg, "<figure><svg class=\"chart %s\" viewBox=\"0 0 %d %d\" width=\"%d\" "
		   "height=\"%d\" role=\"img\" aria-label=\"", cls, WIDTH, height, WIDTH, height);
	rpt_text(pg, caption);
	rpt_put(pg, "\">\n");
	pg->nchart++;
}

static void svg_close(rpt_page *pg, const char *caption)
{
	rpt_put(pg, "</svg><figcaption>");
	rpt_text(pg, caption);
	rpt_put(pg, "</figcaption></figure>\n");
}

/* A shape that shows a figure: its tooltip is the figure, and data-json
 * says where the figure is in the report. */
static void shape_figure(rpt_page *pg, const char *ptr, enum rpt_fmt fmt, const char *label,
			 double v)
{
	char text[64];

	rpt_format(v, fmt, text, sizeof(text));
	/* A figure the report does not hold as such (a sum of the smallest
	 * shares) has no pointer. */
	if (ptr && *ptr) {
		rpt_put(pg, " data-json=\"");
		rpt_text(pg, ptr);
		rpt_printf(pg, "\" data-fmt=\"%s\"", rpt_fmt_name(fmt));
	}
	rpt_put(pg, "><title>");
	if (label) {
		rpt_text(pg, label);
		rpt_put(pg, ": ");
	}
	rpt_printf(pg, "%s</title>", text);
}

static void svg_label(rpt_page *pg, double y, const char *label, const char *href)
{
	rpt_printf(pg, "<text class=\"label\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
		   LABEL_W - 8, y);
	if (href) {
		rpt_put(pg, "<a href=\"");
		rpt_text(pg, href);
		rpt_put(pg, "\">");
	}
	rpt_text(pg, label);
	rpt_put(pg, href ? "</a></text>\n" : "</text>\n");
}

static void svg_value(rpt_page *pg, double x, double y, const char *ptr, double v,
		      enum rpt_fmt fmt)
{
	char text[64];

	rpt_format(v, fmt, text, sizeof(text));
	rpt_printf(pg, "<text class=\"value\" x=\"%.1f\" y=\"%.1f\"", x, y);
	if (ptr && *ptr) {
		rpt_put(pg, " data-json=\"");
		rpt_text(pg, ptr);
		rpt_printf(pg, "\" data-fmt=\"%s\"", rpt_fmt_name(fmt));
	}
	rpt_printf(pg, ">%s</text>\n", text);
}

void rpt_chart_bars(rpt_page *pg, const rpt_bar *bars, size_t n, double max, const char *caption)
{
	const double span = WIDTH - LABEL_W - VALUE_W;
	size_t i;

	for (i = 0; i < n; i++) {
		if (bars[i].value > max)
			max = bars[i].value;
		if (!isnan(bars[i].mark) && bars[i].mark > max)
			max = bars[i].mark;
	}
	if (max <= 0)
		max = 1;
	svg_open(pg, (int)n * ROW_H + 6, "bars", caption);
	for (i = 0; i < n; i++) {
		const rpt_bar *b = &bars[i];
		double y = 3 + (double)i * ROW_H, w = span * (b->value > 0 ? b->value : 0) / max;

		svg_label(pg, y + 15, b->label, b->href);
		rpt_printf(pg, "<rect class=\"bar\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"16\"",
			   LABEL_W, y + 2, w);
		shape_figure(pg, b->ptr, b->fmt, b->label, b->value);
		rpt_put(pg, "</rect>\n");
		if (!isnan(b->mark)) {
			double x = LABEL_W + span * b->mark / max;

			rpt_printf(pg, "<line class=\"mark\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
				   "y2=\"%.1f\"", x, x, y, y + 20);
			shape_figure(pg, b->mark_ptr, b->fmt, "target", b->mark);
			rpt_put(pg, "</line>\n");
		}
		if (!isnan(b->mark) && span * b->mark / max > w)
			w = span * b->mark / max;
		svg_value(pg, LABEL_W + w + 6, y + 15, b->ptr, b->value, b->fmt);
	}
	svg_close(pg, caption);
}

/* ---- histograms ---- */

/* 1000 -> "1k", 2000000 -> "2M", 12589.3 -> "12.6k": bin edges as axis
 * labels, at most five characters from 10,000 on (log-spaced edges are not
 * round). */
static void short_number(double v, char *buf, size_t cap)
{
	if (v >= 1e6 && fmod(v, 1e6) == 0)
		snprintf(buf, cap, "%.0fM", v / 1e6);
	else if (v >= 1e3 && fmod(v, 1e3) == 0)
		snprintf(buf, cap, "%.0fk", v / 1e3);
	else if (v >= 1e7)
		snprintf(buf, cap, "%.3gM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, cap, "%.3gk", v / 1e3);
	else
		snprintf(buf, cap, "%.4g", v);
}

/* The bins any series has a count in, so that empty tails take no room. */
static int used_bins(const rpt_series *s, size_t n, size_t *lo, size_t *hi)
{
	size_t k, i;
	int any = 0;

	*lo = SIZE_MAX;
	*hi = 0;
	for (k = 0; k < n; k++) {
		json_t *counts = json_object_get(s[k].hist, "counts");

		for (i = 0; i < json_array_size(counts); i++) {
			if (json_integer_value(json_array_get(counts, i)) <= 0)
				continue;
			any = 1;
			if (i < *lo)
				*lo = i;
			if (i > *hi)
				*hi = i;
		}
	}
	return any;
}

static double max_count(const rpt_series *s, size_t n)
{
	double max = 0;
	size_t k, i;

	for (k = 0; k < n; k++) {
		json_t *counts = json_object_get(s[k].hist, "counts");

		for (i = 0; i < json_array_size(counts); i++)
			if (json_number_value(json_array_get(counts, i)) > max)
				max = json_number_value(json_array_get(counts, i));
	}
	return max;
}

static void bin_label(json_t *edges, size_t i, char *buf, size_t cap)
{
	char lo[32], hi[32];

	short_number(json_number_value(json_array_get(edges, i)), lo, sizeof(lo));
	if (i + 1 < json_array_size(edges)) {
		short_number(json_number_value(json_array_get(edges, i + 1)), hi, sizeof(hi));
		snprintf(buf, cap, "%s to under %s", lo, hi);
	} else {
		snprintf(buf, cap, "%s and more", lo);
	}
}

enum { HIST_H = 200, HIST_TOP = 24, HIST_LEFT = 60, HIST_AXIS = 34 };

static void hist_marks(rpt_page *pg, const rpt_series *s, size_t lo, size_t hi, double bin_w)
{
	json_t *edges = json_object_get(s->hist, "edges"), *m;
	size_t i, b;

	json_array_foreach(json_object_get(s->hist, "marks"), i, m) {
		double at = rpt_num(m, "at"), x;
		rpt_ptr p, pa;

		for (b = lo; b < hi && json_number_value(json_array_get(edges, b + 1)) <= at; b++)
			;
		x = HIST_LEFT + (double)(b - lo) * bin_w;
		if (b + 1 < json_array_size(edges)) {
			double e0 = json_number_value(json_array_get(edges, b));
			double e1 = json_number_value(json_array_get(edges, b + 1));

			if (e1 > e0 && at > e0)
				x += bin_w * (at - e0) / (e1 - e0);
		}
		rpt_ptr_key(&p, s->ptr, "marks");
		rpt_ptr_index(&p, p.s, i);
		rpt_ptr_key(&pa, p.s, "at");
		rpt_printf(pg, "<line class=\"mark\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"",
			   x, x, HIST_TOP - 6, HIST_TOP + HIST_H);
		shape_figure(pg, pa.s, RPT_NUM, json_string_value(json_object_get(m, "label")), at);
		rpt_put(pg, "</line>\n");
		/* a label on the right half reads leftwards, so that it stays on the page */
		if (x > WIDTH / 2)
			rpt_printf(pg, "<text class=\"marklabel\" x=\"%.1f\" y=\"%d\" text-anchor=\"end\">",
				   x - 3, HIST_TOP - 8);
		else
			rpt_printf(pg, "<text class=\"marklabel\" x=\"%.1f\" y=\"%d\">", x + 3, HIST_TOP - 8);
		rpt_text(pg, json_string_value(json_object_get(m, "label")));
		rpt_put(pg, "</text>\n");
	}
}

static void hist_legend(rpt_page *pg, const rpt_series *s, size_t n)
{
	size_t k;

	for (k = 0; n > 1 && k < n; k++) {
		double x = WIDTH - 200 + (double)k * 100;

		rpt_printf(pg, "<rect class=\"s%zu\" x=\"%.0f\" y=\"4\" width=\"12\" height=\"12\"/>"
			   "<text class=\"legend\" x=\"%.0f\" y=\"14\">", k, x, x + 16);
		rpt_text(pg, s[k].name);
		rpt_put(pg, "</text>\n");
	}
}

void rpt_chart_hist(rpt_page *pg, const rpt_series *s, size_t n, const char *caption)
{
	json_t *edges = json_object_get(s[0].hist, "edges");
	size_t lo, hi, i, k;
	double max, bin_w;
	char text[64];

	if (!used_bins(s, n, &lo, &hi)) {
		rpt_put(pg, "<p class=\"empty\">No documents.</p>\n");
		return;
	}
	max = max_count(s, n);
	bin_w = (double)(WIDTH - HIST_LEFT - 10) / (double)(hi - lo + 1);
	svg_open(pg, HIST_TOP + HIST_H + HIST_AXIS, "hist", caption);
	hist_legend(pg, s, n);
	rpt_format(max, RPT_INT, text, sizeof(text));
	rpt_printf(pg, "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n"
		   "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n"
		   "<line class=\"axis\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>\n",
		   HIST_LEFT - 6, HIST_TOP + 10, text, HIST_LEFT - 6, HIST_TOP + HIST_H,
		   HIST_LEFT, WIDTH - 10, HIST_TOP + HIST_H, HIST_TOP + HIST_H);
	for (i = lo; i <= hi; i++) {
		double x0 = HIST_LEFT + (double)(i - lo) * bin_w;
		double w = (bin_w - 4) / (double)n;
		char label[80], edge[32], tip[160];

		bin_label(edges, i, label, sizeof(label));
		for (k = 0; k < n; k++) {
			json_t *counts = json_object_get(s[k].hist, "counts");
			double c = json_number_value(json_array_get(counts, i));
			double h = HIST_H * c / max;
			rpt_ptr p;

			rpt_ptr_key(&p, s[k].ptr, "counts");
			rpt_ptr_index(&p, p.s, i);
			/* One series is drawn dark, as the "after" of two is. */
			rpt_printf(pg, "<rect class=\"s%zu\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				   "height=\"%.1f\"", n == 1 ? 1 : k, x0 + 2 + (double)k * w, HIST_TOP + HIST_H - h,
				   w, h);
			snprintf(tip, sizeof(tip), "%s, %s", label, s[k].name);
			shape_figure(pg, p.s, RPT_INT, tip, c);
			rpt_put(pg, "</rect>\n");
		}
		short_number(json_number_value(json_array_get(edges, i)), edge, sizeof(edge));
		rpt_printf(pg, "<text class=\"axis\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s"
			   "</text>\n", x0, HIST_TOP + HIST_H + 16, edge);
	}
	for (k = 0; k < n; k++)
		hist_marks(pg, &s[k], lo, hi, bin_w);
	svg_close(pg, caption);
}

/* ---- the funnel ---- */

void rpt_chart_funnel(rpt_page *pg, json_t *report)
{
	json_t *stages = json_object_get(report, "stages"), *st;
	double in = rpt_num(report, "documents_in");
	const double span = WIDTH - LABEL_W - VALUE_W;
	size_t i, n = json_array_size(stages);
	const char *caption = "Documents left after each stage (dark) and dropped by it (light), "
			      "on the scale of the documents read.";

	if (in <= 0)
		in = 1;
	svg_open(pg, (int)(n + 1) * ROW_H + 6, "funnel", caption);
	svg_label(pg, 18, "read", NULL);
	rpt_printf(pg, "<rect class=\"bar\" x=\"%d\" y=\"5\" width=\"%.1f\" height=\"16\"",
		   LABEL_W, span);
	shape_figure(pg, "/documents_in", RPT_INT, "documents read", rpt_num(report, "documents_in"));
	rpt_put(pg, "</rect>\n");
	svg_value(pg, LABEL_W + span + 6, 18, "/documents_in", rpt_num(report, "documents_in"), RPT_INT);
	json_array_foreach(stages, i, st) {
		double y = 3 + (double)(i + 1) * ROW_H;
		double out = rpt_num(st, "docs_out"), drop = rpt_num(st, "docs_in") - out;
		char label[96];
		rpt_ptr p;

		snprintf(label, sizeof(label), "%zu %s", i + 1, rpt_str(st, "name"));
		svg_label(pg, y + 15, label, NULL);
		rpt_ptr_index(&p, "/stages", i);
		rpt_ptr_key(&p, p.s, "docs_out");
		rpt_printf(pg, "<rect class=\"bar\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"16\"",
			   LABEL_W, y + 2, span * out / in);
		shape_figure(pg, p.s, RPT_INT, "documents kept", out);
		rpt_printf(pg, "</rect>\n<rect class=\"drop\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			   "height=\"16\"><title>dropped: ", LABEL_W + span * out / in, y + 2,
			   span * (drop > 0 ? drop : 0) / in);
		rpt_format(drop, RPT_INT, label, sizeof(label));
		rpt_printf(pg, "%s</title></rect>\n", label);
		svg_value(pg, LABEL_W + span + 6, y + 15, p.s, out, RPT_INT);
	}
	svg_close(pg, caption);
}
