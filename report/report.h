/* The run report as a page people look at: one self-contained HTML file
 * (inline CSS and SVG, no script, no font, nothing fetched) drawn from the
 * JSON a run writes with --report. docs/report.md shows each chart, what it
 * means and how its figures are computed.
 *
 * The page only draws: every figure comes from the report as it is, so a
 * chart needs its distribution in the JSON (docs/report.md's histogram and
 * shares conventions), and a section appears only when its keys do. */
#ifndef RPT_REPORT_H
#define RPT_REPORT_H

#include <jansson.h>
#include "core/buf.h"
#include "core/error.h"

typedef struct rpt_opts {
	/* Prefix of links into the documentation ("file:///.../docs/"), or
	 * NULL for none: drop reasons link to their explanation there. */
	const char *docs_url;
	const char *source;  /* the report's file name, shown on the page (may be NULL) */
} rpt_opts;

/* rpt_html: append the page for report (borrowed) to out. CUR_EINVAL when
 * report is not a run report (err says why), CUR_ENOMEM. */
int rpt_html(json_t *report, const rpt_opts *o, cur_buf *out, cur_err *err);

/* rpt_html_write: the page, written to path atomically (core/writer.h). */
int rpt_html_write(json_t *report, const rpt_opts *o, const char *path, cur_err *err);

/* rpt_docs_url: the documentation folder as a file:// URL ending in '/' (the
 * source tree's, else the installed copy) in url (cap bytes), or NULL when
 * neither is there. */
const char *rpt_docs_url(char *url, size_t cap);

#endif
