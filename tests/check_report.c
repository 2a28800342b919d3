/* The report page (report/): formats, escaping, JSON pointers, and that
 * every figure the page shows points at a value of the report. The browser
 * test (tests/cli/report.sh) renders real pages in Chromium. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "report/report.h"
#include "report/report_int.h"

static char *page_of(json_t *report)
{
	cur_buf out;
	cur_err err;
	rpt_opts o = { "file:///docs/", "run.json" };

	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(rpt_html(report, &o, &out, &err), CUR_OK);
	return cur_buf_detach(&out, NULL);
}

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	ck_assert_msg(j != NULL, "bad test JSON: %s", e.text);
	return j;
}

START_TEST(formats_are_what_the_browser_test_expects)
{
	char b[64];

	rpt_format(1234567, RPT_INT, b, sizeof(b));
	ck_assert_str_eq(b, "1,234,567");
	rpt_format(999, RPT_INT, b, sizeof(b));
	ck_assert_str_eq(b, "999");
	rpt_format(-1000, RPT_INT, b, sizeof(b));
	ck_assert_str_eq(b, "-1,000");
	rpt_format(4529836, RPT_BYTES, b, sizeof(b));
	ck_assert_str_eq(b, "4.53 MB");
	rpt_format(512, RPT_BYTES, b, sizeof(b));
	ck_assert_str_eq(b, "512 B");
	rpt_format(0.4993, RPT_PCT, b, sizeof(b));
	ck_assert_str_eq(b, "49.93%");
	rpt_format(0.46314, RPT_SECS, b, sizeof(b));
	ck_assert_str_eq(b, "0.463 s");
}
END_TEST

START_TEST(pointers_escape_slash_and_tilde)
{
	rpt_ptr p;

	rpt_ptr_key(&p, "/sink/categories", "a/b~c");
	ck_assert_str_eq(p.s, "/sink/categories/a~1b~0c");
	rpt_ptr_index(&p, "/stages", 12);
	ck_assert_str_eq(p.s, "/stages/12");
	rpt_ptr_key(&p, p.s, "docs_in");
	ck_assert_str_eq(p.s, "/stages/12/docs_in");
}
END_TEST

START_TEST(names_from_the_input_are_escaped)
{
	json_t *r = load("{\"documents_in\": 1, \"stages\": [{\"name\": \"f\", \"docs_in\": 1,"
			 " \"docs_out\": 0, \"dropped\": {\"<script>x</script>\": 1}}],"
			 " \"inputs\": [{\"path\": \"a\\\"b.jsonl\", \"category\": \"<em>x\"}]}");
	char *page = page_of(r);

	ck_assert_ptr_null(strstr(page, "<script"));
	ck_assert_ptr_null(strstr(page, "<em>x"));
	ck_assert_ptr_nonnull(strstr(page, "&lt;em&gt;x"));
	ck_assert_ptr_nonnull(strstr(page, "&lt;script&gt;x&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(page, "a&quot;b.jsonl"));
	free(page);
	json_decref(r);
}
END_TEST

START_TEST(sections_appear_only_with_their_keys)
{
	json_t *bare = load("{\"documents_in\": 3, \"documents_out\": 3}");
	json_t *full = load("{\"documents_in\": 3, \"documents_out\": 2, \"stages\": ["
		"{\"name\": \"model\", \"docs_in\": 3, \"docs_out\": 2, \"dropped\": {\"model:ppl\": 1},"
		" \"histograms\": {\"perplexity\": {\"unit\": \"perplexity\", \"edges\": [0, 10, 20],"
		"  \"counts\": [1, 2, 0], \"total\": 3, \"sum\": 31, \"marks\": [{\"at\": 15, \"label\": \"cut\"}]}},"
		" \"shares\": {\"language\": {\"en\": 2, \"de\": 1}}}],"
		" \"sink\": {\"categories\": {\"math\": {\"target\": 0.25, \"ratio\": 0.3}}},"
		" \"slurm\": {\"tasks\": 3, \"cpus_per_task\": 2, \"steps\": [{\"name\": \"1-pass1\","
		"  \"tasks\": 3, \"seconds\": 0.6, \"task_seconds\": 1.7}]}}");
	char *a = page_of(bare), *b = page_of(full);

	ck_assert_ptr_null(strstr(a, "id=\"mix\""));
	ck_assert_ptr_null(strstr(a, "id=\"lengths\""));
	ck_assert_ptr_nonnull(strstr(b, "id=\"mix\""));
	ck_assert_ptr_nonnull(strstr(b, "<h4>Perplexity</h4>"));
	ck_assert_ptr_nonnull(strstr(b, "class=\"mark\""));
	ck_assert_ptr_nonnull(strstr(b, "<h4>Language</h4>"));
	ck_assert_ptr_nonnull(strstr(b, "id=\"reason-model.ppl\""));
	ck_assert_ptr_nonnull(strstr(b, "href=\"#reason-model.ppl\""));
	ck_assert_ptr_null(strstr(a, "Steps of the batch run"));
	ck_assert_ptr_nonnull(strstr(b, "Steps of the batch run"));
	ck_assert_ptr_nonnull(strstr(b, "data-json=\"/slurm/steps/0/task_seconds\""));
	free(a);
	free(b);
	json_decref(bare);
	json_decref(full);
}
END_TEST

START_TEST(the_page_loads_nothing)
{
	json_t *r = load("{\"documents_in\": 1}");
	char *page = page_of(r);

	ck_assert_ptr_nonnull(strstr(page, "Content-Security-Policy\" content=\"default-src 'none'"));
	ck_assert_ptr_null(strstr(page, "<script"));
	ck_assert_ptr_null(strstr(page, "<link"));
	ck_assert_ptr_null(strstr(page, "src="));
	ck_assert_ptr_null(strstr(page, "url("));
	free(page);
	json_decref(r);
}
END_TEST

START_TEST(not_a_run_report_is_refused)
{
	json_t *r = load("[1, 2]");
	cur_buf out;
	cur_err err;

	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(rpt_html(r, NULL, &out, &err), CUR_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a curate run report"));
	cur_buf_release(&out);
	json_decref(r);
}
END_TEST

/* Resolve an RFC 6901 pointer the page wrote. */
static json_t *resolve(json_t *doc, const char *ptr)
{
	char part[256];

	while (doc && *ptr == '/') {
		size_t n = 0;

		for (ptr++; *ptr && *ptr != '/' && n + 1 < sizeof(part); ptr++) {
			if (*ptr == '~' && (ptr[1] == '0' || ptr[1] == '1'))
				part[n++] = *++ptr == '0' ? '~' : '/';
			else
				part[n++] = *ptr;
		}
		part[n] = '\0';
		doc = json_is_array(doc) ? json_array_get(doc, strtoul(part, NULL, 10)) :
		      json_object_get(doc, part);
	}
	return doc;
}

START_TEST(every_figure_points_at_a_number_of_the_report)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	json_t *r;
	char *page, *p;
	int n = 0;

	snprintf(path, sizeof(path), "%s/tests/data/report/run.json", top ? top : ".");
	r = json_load_file(path, 0, NULL);
	ck_assert_ptr_nonnull(r);
	page = page_of(r);
	for (p = strstr(page, "data-json=\""); p; p = strstr(p + 1, "data-json=\"")) {
		char ptr[512];
		size_t len = strcspn(p + 11, "\"");
		json_t *v;

		ck_assert_uint_lt(len, sizeof(ptr));
		memcpy(ptr, p + 11, len);
		ptr[len] = '\0';
		v = resolve(r, ptr);
		ck_assert_msg(json_is_number(v), "data-json=\"%s\" is not a number of the report", ptr);
		n++;
	}
	ck_assert_int_gt(n, 100);
	free(page);
	json_decref(r);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *t = tcase_create("page");

	tcase_add_test(t, formats_are_what_the_browser_test_expects);
	tcase_add_test(t, pointers_escape_slash_and_tilde);
	tcase_add_test(t, names_from_the_input_are_escaped);
	tcase_add_test(t, sections_appear_only_with_their_keys);
	tcase_add_test(t, the_page_loads_nothing);
	tcase_add_test(t, not_a_run_report_is_refused);
	tcase_add_test(t, every_figure_points_at_a_number_of_the_report);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(report_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
