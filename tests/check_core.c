#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/doc.h"
#include "core/options.h"
#include "core/pipeline.h"
#include "core/reader.h"
#include "core/utf8.h"
#include "core/writer.h"

static char fixture[4096];

static const char *data(const char *name)
{
	const char *top = getenv("top_srcdir");

	snprintf(fixture, sizeof(fixture), "%s/tests/data/core/%s", top ? top : ".", name);
	return fixture;
}

/* ---- UTF-8 ---- */

START_TEST(utf8_valid_prefix_stops_at_first_error)
{
	ck_assert_uint_eq(cur_utf8_valid_prefix("abc", 3), 3);
	ck_assert_uint_eq(cur_utf8_valid_prefix("a\xC3\xA9z", 4), 4);
	ck_assert_uint_eq(cur_utf8_valid_prefix("ab\xC0\xAF", 4), 2);          /* overlong */
	ck_assert_uint_eq(cur_utf8_valid_prefix("x\xED\xA0\x80", 4), 1);       /* surrogate */
	ck_assert_uint_eq(cur_utf8_valid_prefix("\xF4\x90\x80\x80", 4), 0);    /* > U+10FFFF */
	ck_assert_uint_eq(cur_utf8_valid_prefix("12345678\xE2\x82", 10), 8);  /* cut short */
}
END_TEST

START_TEST(utf8_repair_replaces_maximal_subparts)
{
	cur_buf b;
	size_t n = 0;

	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	/* Unicode's example: F1 80 80 is one maximal subpart, E1 80 another, C2 one. */
	ck_assert_int_eq(cur_utf8_repair("a\xF1\x80\x80\xE1\x80\xC2z", 8, &b, &n), CUR_OK);
	ck_assert_str_eq(b.data, "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz");
	ck_assert_uint_eq(n, 3);
	cur_buf_release(&b);
}
END_TEST

/* ---- buffers ---- */

START_TEST(buf_respects_its_cap)
{
	cur_buf b;

	cur_buf_init(&b, 8);
	ck_assert_int_eq(cur_buf_append(&b, "12345678", 8), CUR_OK);
	ck_assert_int_eq(cur_buf_append(&b, "9", 1), CUR_ELIMIT);
	ck_assert_uint_eq(b.len, 8);
	cur_buf_release(&b);
	ck_assert_ptr_null(cur_malloc_array(SIZE_MAX / 2, 4));
}
END_TEST

/* ---- documents ---- */

START_TEST(doc_keeps_unknown_fields_and_nul)
{
	const char *line = "{\"id\":\"x\",\"text\":\"a\\u0000b\",\"zz\":{\"k\":[1,2]},\"source\":\"s\"}";
	cur_doc d;
	cur_err err;
	cur_buf out;

	cur_doc_init(&d);
	cur_err_clear(&err);
	d.text = strdup(line);
	d.text_len = strlen(line);
	d.raw_json = 1;
	d.origin = "mem";
	d.record = 1;
	ck_assert_int_eq(cur_doc_parse_raw(&d, "text", &err), CUR_OK);
	ck_assert_uint_eq(d.text_len, 3);
	ck_assert_int_eq(d.text[1], '\0');
	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(cur_doc_to_json(&d, &out), CUR_OK);
	ck_assert_str_eq(out.data, "{\"id\":\"x\",\"text\":\"a\\u0000b\",\"zz\":{\"k\":[1,2]},\"source\":\"s\"}\n");
	/* A rewritten text goes back in place of the old one, same key order. */
	ck_assert_int_eq(cur_doc_set_text(&d, "new", 3), CUR_OK);
	cur_buf_reset(&out);
	ck_assert_int_eq(cur_doc_to_json(&d, &out), CUR_OK);
	ck_assert_str_eq(out.data, "{\"id\":\"x\",\"text\":\"new\",\"zz\":{\"k\":[1,2]},\"source\":\"s\"}\n");
	cur_buf_release(&out);
	cur_doc_release(&d);
}
END_TEST

START_TEST(doc_missing_id_is_file_and_line)
{
	cur_doc d;
	cur_err err;
	json_t *o = json_pack("{s:s}", "text", "hi");

	cur_doc_init(&d);
	ck_assert_int_eq(cur_doc_from_json(&d, o, "text", "f.jsonl", 12, &err), CUR_OK);
	ck_assert_str_eq(cur_doc_id(&d), "f.jsonl:12");
	cur_doc_release(&d);
	cur_doc_init(&d);
	ck_assert_int_eq(cur_doc_from_json(&d, json_pack("{s:s}", "text", "x"), "text", "/a/b/g.jsonl", 3, &err), CUR_OK);
	ck_assert_str_eq(cur_doc_id(&d), "g.jsonl:3");
	cur_doc_release(&d);
}
END_TEST

START_TEST(doc_attachments_are_freed)
{
	cur_doc d;
	int key;

	cur_doc_init(&d);
	d.obj = json_object();
	ck_assert_int_eq(cur_doc_attach(&d, &key, malloc(16), free), CUR_OK);
	ck_assert_ptr_nonnull(cur_doc_attached(&d, &key));
	ck_assert_int_eq(cur_doc_attach(&d, &key, malloc(8), free), CUR_OK);
	cur_doc_release(&d); /* leak-checked under ASan */
}
END_TEST

/* ---- readers ---- */

typedef struct read_result {
	int docs, bad, fatal;
	char ids[4096];
	char reasons[1024];
} read_result;

static void read_all(const char *path, size_t max, read_result *r)
{
	cur_reader *rd;
	cur_reader_opts o;
	cur_err err;
	int rc;

	memset(r, 0, sizeof(*r));
	cur_reader_opts_init(&o);
	if (max)
		o.max_doc_bytes = max;
	ck_assert_int_eq(cur_reader_open(&rd, path, &o, &err), CUR_OK);
	for (;;) {
		cur_doc d;

		cur_doc_init(&d);
		rc = cur_reader_next(rd, &d, &err);
		if (rc == CUR_OK && d.raw_json)
			rc = cur_doc_parse_raw(&d, "text", &err);
		if (rc == CUR_OK) {
			r->docs++;
			if (strlen(r->ids) + strlen(cur_doc_id(&d)) + 2 < sizeof(r->ids)) {
				strncat(r->ids, cur_doc_id(&d), sizeof(r->ids) - strlen(r->ids) - 1);
				strncat(r->ids, " ", sizeof(r->ids) - strlen(r->ids) - 1);
			}
		} else if (rc == CUR_EDATA || rc == CUR_EIO) {
			r->bad++;
			strncat(r->reasons, err.reason, sizeof(r->reasons) - strlen(r->reasons) - 2);
			strncat(r->reasons, " ", sizeof(r->reasons) - strlen(r->reasons) - 1);
			if (rc == CUR_EIO)
				r->fatal++;
		}
		cur_doc_release(&d);
		if (rc == CUR_EOF || rc == CUR_EIO)
			break;
	}
	cur_reader_close(rd);
}

START_TEST(reader_jsonl_skips_bad_lines_keeps_good_ones)
{
	read_result r;

	read_all(data("bad.jsonl"), 1000, &r);
	ck_assert_str_eq(r.ids, "1 4 5 9 ");
	ck_assert_str_eq(r.reasons,
			 "invalid_json missing_text line_too_long not_an_object text_not_string ");
}
END_TEST

START_TEST(reader_truncated_gzip_and_zstd_keep_the_prefix)
{
	read_result r;

	read_all(data("truncated.jsonl.gz"), 0, &r);
	ck_assert_int_gt(r.docs, 500);
	ck_assert_int_eq(r.fatal, 1);
	ck_assert_str_eq(r.reasons, "truncated_stream ");
	read_all(data("truncated.jsonl.zst"), 0, &r);
	ck_assert_int_gt(r.docs, 500);
	ck_assert_int_eq(r.fatal, 1);
	read_all(data("many.jsonl.zst"), 0, &r);
	ck_assert_int_eq(r.docs, 2000);
	ck_assert_int_eq(r.bad, 0);
}
END_TEST

START_TEST(reader_warc_wrong_content_length_loses_one_record)
{
	read_result r;

	read_all(data("wrong_length.warc"), 0, &r);
	ck_assert_str_eq(r.ids, "urn:uuid:11111111 urn:uuid:33333333 urn:uuid:55555555 ");
	ck_assert_str_eq(r.reasons, "bad_content_length bad_content_length ");
}
END_TEST

START_TEST(reader_real_crawl_files)
{
	read_result r;

	read_all(data("CC-MAIN-20140820021334-00006.warc.wet"), 0, &r);
	ck_assert_int_eq(r.docs, 3);
	read_all(data("dolma-science-0.warc.gz"), 0, &r);
	ck_assert_int_eq(r.docs, 2);
	read_all(data("cc-2021-resiliparse.warc.gz"), 0, &r);
	ck_assert_int_eq(r.docs, 16);
	ck_assert_int_eq(r.bad, 0);
	read_all(data("truncated-gzip-resiliparse-clipped.warc.gz"), 0, &r);
	ck_assert_int_eq(r.docs, 0);
	ck_assert_str_eq(r.reasons, "truncated_stream ");
}
END_TEST

START_TEST(reader_tar_members_and_damage)
{
	read_result r;

	read_all(data("good.tar"), 0, &r);
	ck_assert_str_eq(r.ids, "docs/one.txt docs/two.txt docs/three.txt ");
	ck_assert_str_eq(r.reasons, "binary_member ");
	read_all(data("corrupt.tar"), 0, &r);
	ck_assert_str_eq(r.ids, "docs/one.txt docs/three.txt ");
	ck_assert_ptr_nonnull(strstr(r.reasons, "corrupt_archive"));
}
END_TEST

/* ---- writer ---- */

START_TEST(writer_is_atomic)
{
	char dir[] = "/tmp/curate-check-XXXXXX";
	char path[256];
	cur_out *o;
	cur_err err;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.jsonl.zst", dir);
	ck_assert_int_eq(cur_out_open(&o, path, 1, &err), CUR_OK);
	ck_assert_int_eq(cur_out_write(o, "x\n", 2), CUR_OK);
	ck_assert_int_ne(access(path, F_OK), 0);       /* not there until finished */
	cur_out_free(o);                                /* abandoned: nothing left */
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_int_eq(cur_out_open(&o, path, 2, &err), CUR_OK);
	ck_assert_int_eq(cur_out_write(o, "x\n", 2), CUR_OK);
	ck_assert_int_eq(cur_out_finish(o, &err), CUR_OK);
	cur_out_free(o);
	ck_assert_int_eq(access(path, F_OK), 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* ---- options ---- */

START_TEST(options_unknown_key_lists_valid_ones)
{
	static const cur_opt_spec specs[] = {
		{ "min-words", CUR_OPT_INT, "N", "minimum" }, { NULL, 0, NULL, NULL }
	};
	json_t *cfg = json_pack("{s:i}", "min_words", 3);
	cur_err err;
	int64_t v;

	ck_assert_int_eq(cur_cfg_check_keys(cfg, specs, "x", &err), CUR_OK);
	ck_assert_int_eq(cur_cfg_int(cfg, "min_words", 0, &v, &err), CUR_OK);
	ck_assert_int_eq(v, 3);
	json_object_set_new(cfg, "max_words", json_integer(1));
	ck_assert_int_eq(cur_cfg_check_keys(cfg, specs, "x", &err), CUR_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "valid: min-words"));
	json_decref(cfg);
}
END_TEST

/* ---- pipeline: output independent of -j ---- */

typedef struct mem_sink {
	cur_buf out;
} mem_sink;

static int mem_write(cur_sink *self, cur_doc *doc)
{
	return cur_doc_to_json(doc, &((mem_sink *)self->priv)->out);
}

static int mem_finish(cur_sink *self, json_t *report, cur_err *err)
{
	(void)self; (void)report; (void)err;
	return CUR_OK;
}

/* A parallel stage that drops every third document and rewrites text. */
static int odd_process(cur_stage *self, void *tls, cur_doc *doc)
{
	(void)self; (void)tls;
	if (doc->record % 3 == 0)
		return cur_doc_drop(doc, "odd:every_third", (double)doc->record);
	return cur_doc_set_text(doc, doc->text, doc->text_len / 2);
}

static const cur_stage_ops odd_ops = { .process = odd_process };

/* A serial stage that numbers documents in the order it sees them. */
static int count_process(cur_stage *self, void *tls, cur_doc *doc)
{
	long *n = self->priv;

	(void)tls;
	json_object_set_new(cur_doc_metadata(doc), "n", json_integer((*n)++));
	return CUR_KEEP;
}

static const cur_stage_ops count_ops = { .process = count_process };

static char *run_pipeline(int jobs, int rank, int world, json_t *report)
{
	char *inputs[] = { (char *)data("many.jsonl.zst") };
	cur_pipeline_opts o;
	mem_sink ms;
	cur_sink sink = { .write = mem_write, .finish = mem_finish, .priv = &ms };
	long counter = 0;
	cur_stage odd = { .ops = &odd_ops, .name = "odd" };
	cur_stage count = { .ops = &count_ops, .name = "count", .serial = 1, .priv = &counter };
	cur_stage *stages[] = { &odd, &count };
	cur_err err;

	inputs[0] = strdup(inputs[0]);
	cur_pipeline_opts_init(&o);
	o.jobs = jobs;
	o.rank = rank;
	o.world = world;
	o.batch_docs = 7; /* many batches, so workers interleave */
	cur_buf_init(&ms.out, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(cur_pipeline_run(&o, inputs, 1, stages, 2, &sink, report, &err), CUR_OK);
	free(inputs[0]);
	return cur_buf_detach(&ms.out, NULL);
}

START_TEST(pipeline_output_is_identical_for_any_jobs)
{
	json_t *r1 = json_object(), *r8 = json_object();
	char *one = run_pipeline(1, 0, 1, r1);
	char *eight = run_pipeline(8, 0, 1, r8);
	json_t *st;

	ck_assert_str_eq(one, eight);
	ck_assert_int_eq(json_integer_value(json_object_get(r1, "documents_in")), 2000);
	ck_assert_int_eq(json_integer_value(json_object_get(r1, "documents_out")), 1334);
	st = json_array_get(json_object_get(r8, "stages"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(st, "dropped"),
							    "odd:every_third")), 666);
	free(one);
	free(eight);
	json_decref(r1);
	json_decref(r8);
}
END_TEST

START_TEST(pipeline_rank_world_slices_cover_everything_once)
{
	json_t *r = json_object();
	char *all = run_pipeline(2, 0, 1, r);
	size_t total = 0;
	int k;

	for (k = 0; k < 3; k++) {
		json_t *rk = json_object();
		char *part = run_pipeline(2, k, 3, rk);

		total += (size_t)json_integer_value(json_object_get(rk, "documents_in"));
		free(part);
		json_decref(rk);
	}
	ck_assert_uint_eq(total, 2000);
	free(all);
	json_decref(r);
}
END_TEST

static Suite *core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *t = tcase_create("core");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, utf8_valid_prefix_stops_at_first_error);
	tcase_add_test(t, utf8_repair_replaces_maximal_subparts);
	tcase_add_test(t, buf_respects_its_cap);
	tcase_add_test(t, doc_keeps_unknown_fields_and_nul);
	tcase_add_test(t, doc_missing_id_is_file_and_line);
	tcase_add_test(t, doc_attachments_are_freed);
	tcase_add_test(t, reader_jsonl_skips_bad_lines_keeps_good_ones);
	tcase_add_test(t, reader_truncated_gzip_and_zstd_keep_the_prefix);
	tcase_add_test(t, reader_warc_wrong_content_length_loses_one_record);
	tcase_add_test(t, reader_real_crawl_files);
	tcase_add_test(t, reader_tar_members_and_damage);
	tcase_add_test(t, writer_is_atomic);
	tcase_add_test(t, options_unknown_key_lists_valid_ones);
	tcase_add_test(t, pipeline_output_is_identical_for_any_jobs);
	tcase_add_test(t, pipeline_rank_world_slices_cover_everything_once);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(core_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
