#include "config.h"

#include <stdio.h>
#include <string.h>
#include "bin/cli.h"
#include "bin/commands.h"
#include "report/report.h"

/* `curate report RUN.json [-o report.html]`: the run report as a page
 * (report/report.h, docs/report.md). Without -o the page goes beside the
 * JSON, with .html for .json. */

static const cur_opt_spec report_options[] = {
	{ "docs-url", CUR_OPT_STR, "URL", "prefix of the links into the docs (default: this "
	  "curate's docs/ folder as a file:// URL)", NULL },
	{ NULL, 0, NULL, NULL, NULL }
};

/* RUN.json -> RUN.html (or RUN.json.html for another name). */
static void default_output(const char *in, char *out, size_t cap)
{
	size_t n = strlen(in);

	if (n > 5 && strcmp(in + n - 5, ".json") == 0)
		snprintf(out, cap, "%.*s.html", (int)(n - 5), in);
	else
		snprintf(out, cap, "%s.html", in);
}

int cmd_report(int argc, char **argv)
{
	json_t *cfg = json_object(), *report = NULL;
	char out[4096], docs[4096];
	json_error_t jerr;
	rpt_opts o;
	cli_common c;
	cur_err err;
	int rc = cli_parse("report", report_options, argc, argv, &c, cfg);

	if (rc)
		goto done;
	if (c.ninputs != 1) {
		fprintf(stderr, "curate report: give one run report (curate report RUN.json "
			"[-o report.html])\n");
		rc = 2;
		goto done;
	}
	report = json_load_file(c.inputs[0], 0, &jerr);
	if (!report) {
		fprintf(stderr, "curate report: %s:%d: %s\n", c.inputs[0], jerr.line, jerr.text);
		rc = 3;
		goto done;
	}
	if (c.output)
		snprintf(out, sizeof(out), "%s", c.output);
	else
		default_output(c.inputs[0], out, sizeof(out));
	o.source = c.inputs[0];
	o.docs_url = json_string_value(json_object_get(cfg, "docs_url"));
	if (!o.docs_url)
		o.docs_url = rpt_docs_url(docs, sizeof(docs));
	cur_err_clear(&err);
	rc = rpt_html_write(report, &o, out, &err);
	if (rc < 0)
		fprintf(stderr, "curate report: %s: %s\n", c.inputs[0], err.msg);
	else if (!c.quiet && strcmp(out, "-") != 0)
		fprintf(stderr, "curate report: the page is %s\n", out);
	rc = cli_exit_status(rc);
done:
	json_decref(report);
	json_decref(cfg);
	return rc < 0 ? 0 : rc;
}
