#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/report_int.h"

void rpt_put(rpt_page *pg, const char *s)
{
	if (pg->rc == CUR_OK)
		pg->rc = cur_buf_append(pg->out, s, strlen(s));
}

void rpt_printf(rpt_page *pg, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	if (pg->rc != CUR_OK)
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		pg->rc = CUR_EINVAL;
	} else if ((size_t)n < sizeof(small)) {
		pg->rc = cur_buf_append(pg->out, small, (size_t)n);
	} else {
		/* Long lines are rare (a path, a config): format again, in place. */
		pg->rc = cur_buf_reserve(pg->out, (size_t)n);
		if (pg->rc == CUR_OK) {
			va_start(ap, fmt);
			vsnprintf(pg->out->data + pg->out->len, (size_t)n + 1, fmt, ap);
			va_end(ap);
			pg->out->len += (size_t)n;
		}
	}
}

void rpt_text(rpt_page *pg, const char *s)
{
	const char *run = s;

	for (; s && *s; s++) {
		const char *esc = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;" :
				  *s == '"' ? "&quot;" : *s == '\'' ? "&#39;" : NULL;

		if (!esc)
			continue;
		if (pg->rc == CUR_OK)
			pg->rc = cur_buf_append(pg->out, run, (size_t)(s - run));
		rpt_put(pg, esc);
		run = s + 1;
	}
	if (run && pg->rc == CUR_OK)
		pg->rc = cur_buf_append(pg->out, run, strlen(run));
}

/* 1234567 -> "1,234,567" */
static void group_thousands(double v, char *buf, size_t cap)
{
	char digits[32];
	int n, lead, i, o = 0;
	int neg = v < 0;

	snprintf(digits, sizeof(digits), "%.0f", fabs(v));
	n = (int)strlen(digits);
	lead = n % 3 ? n % 3 : 3;
	if (neg && (size_t)o + 1 < cap)
		buf[o++] = '-';
	for (i = 0; i < n && (size_t)o + 2 < cap; i++) {
		if (i && (i - lead) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

void rpt_format(double v, enum rpt_fmt fmt, char *buf, size_t cap)
{
	switch (fmt) {
	case RPT_INT:
		group_thousands(v, buf, cap);
		return;
	case RPT_BYTES:
		if (fabs(v) >= 1e9)
			snprintf(buf, cap, "%.2f GB", v / 1e9);
		else if (fabs(v) >= 1e6)
			snprintf(buf, cap, "%.2f MB", v / 1e6);
		else if (fabs(v) >= 1e3)
			snprintf(buf, cap, "%.1f kB", v / 1e3);
		else
			snprintf(buf, cap, "%.0f B", v);
		return;
	case RPT_PCT:
		snprintf(buf, cap, "%.2f%%", v * 100);
		return;
	case RPT_SECS:
		snprintf(buf, cap, "%.3g s", v);
		return;
	case RPT_NUM:
		snprintf(buf, cap, "%.4g", v);
		return;
	}
}

const char *rpt_fmt_name(enum rpt_fmt fmt)
{
	static const char *const names[] = { "int", "bytes", "pct", "secs", "num" };

	return names[fmt];
}

void rpt_figure(rpt_page *pg, const char *ptr, double v, enum rpt_fmt fmt)
{
	char text[64];

	rpt_format(v, fmt, text, sizeof(text));
	rpt_put(pg, "<span class=\"fig\" data-json=\"");
	rpt_text(pg, ptr);
	rpt_printf(pg, "\" data-fmt=\"%s\">%s</span>", rpt_fmt_name(fmt), text);
}

void rpt_ptr_key(rpt_ptr *out, const char *base, const char *key)
{
	size_t o = strlen(base);

	if (out->s != base)
		snprintf(out->s, sizeof(out->s), "%s", base);
	if (o + 1 < sizeof(out->s))
		out->s[o++] = '/';
	for (; *key && o + 3 < sizeof(out->s); key++) {
		if (*key == '~' || *key == '/') {
			out->s[o++] = '~';
			out->s[o++] = *key == '~' ? '0' : '1';
		} else {
			out->s[o++] = *key;
		}
	}
	out->s[o] = '\0';
}

void rpt_ptr_index(rpt_ptr *out, const char *base, size_t i)
{
	char key[32];

	snprintf(key, sizeof(key), "%zu", i);
	rpt_ptr_key(out, base, key);
}

double rpt_num(json_t *obj, const char *key)
{
	return json_number_value(json_object_get(obj, key));
}

const char *rpt_str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

void rpt_title(rpt_page *pg, const char *key)
{
	char t[128];
	size_t i;

	snprintf(t, sizeof(t), "%s", key);
	for (i = 0; t[i]; i++)
		if (t[i] == '_')
			t[i] = ' ';
	if (t[0] >= 'a' && t[0] <= 'z')
		t[0] = (char)(t[0] - 'a' + 'A');
	rpt_text(pg, t);
}

void rpt_reason_anchor(const char *reason, char *buf, size_t cap)
{
	size_t o = 0;

	o = (size_t)snprintf(buf, cap, "reason-");
	for (; *reason && o + 1 < cap; reason++) {
		char c = *reason;

		buf[o++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_' ? c : '.';
	}
	buf[o] = '\0';
}

void rpt_cell(rpt_page *pg, const char *ptr, double v, enum rpt_fmt fmt)
{
	rpt_put(pg, "<td class=\"n\">");
	rpt_figure(pg, ptr, v, fmt);
	rpt_put(pg, "</td>");
}

void rpt_cell_share(rpt_page *pg, const char *part_ptr, double part, const char *whole_ptr,
		    double whole)
{
	char text[32];

	rpt_format(whole > 0 ? part / whole : 0, RPT_PCT, text, sizeof(text));
	rpt_put(pg, "<td class=\"n\"><span class=\"fig\" data-json=\"");
	rpt_text(pg, part_ptr);
	rpt_put(pg, "\" data-of=\"");
	rpt_text(pg, whole_ptr);
	rpt_printf(pg, "\" data-fmt=\"pct\">%s</span></td>", text);
}

void rpt_argv_line(rpt_page *pg, json_t *argv)
{
	json_t *a;
	size_t i;

	json_array_foreach(argv, i, a) {
		if (i)
			rpt_put(pg, " ");
		rpt_text(pg, json_string_value(a));
	}
}

void rpt_stage_heading(rpt_page *pg, json_t *st, size_t i)
{
	json_t *cats = json_object_get(st, "categories"), *c;
	size_t k;

	rpt_printf(pg, "%zu ", i + 1);
	rpt_text(pg, json_string_value(json_object_get(st, "name")));
	if (json_is_array(cats)) {
		rpt_put(pg, " <small>(on ");
		json_array_foreach(cats, k, c) {
			rpt_put(pg, k ? ", " : "");
			rpt_text(pg, json_string_value(c));
		}
		rpt_put(pg, ")</small>");
	}
}

static int by_count(const void *a, const void *b)
{
	const rpt_keyed *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

rpt_keyed *rpt_sorted_counts(json_t *obj, size_t *n)
{
	rpt_keyed *k = calloc(json_object_size(obj) + 1, sizeof(*k));
	const char *key;
	json_t *v;

	*n = 0;
	if (!k)
		return NULL;
	json_object_foreach(obj, key, v) {
		k[*n].key = key;
		k[(*n)++].n = json_number_value(v);
	}
	qsort(k, *n, sizeof(*k), by_count);
	return k;
}
