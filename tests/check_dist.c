/* Unit tests for dist/: the job graph, report merging, parts, markers and
 * the job scripts. The runs on a real Slurm are in tests/cli/slurm.sh. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/writer.h"
#include "dist/graph.h"
#include "dist/parts.h"
#include "dist/report.h"
#include "dist/slurm.h"
#include "dist/workdir.h"

static char tmpdir[256];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/check_dist.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *step_field(json_t *steps, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(steps, i), key));
}

static json_int_t step_int(json_t *steps, size_t i, const char *key)
{
	return json_integer_value(json_object_get(json_array_get(steps, i), key));
}

/* The demo's shape: dedup first, then per-document stages, shard sink. */
START_TEST(t_graph_dedup_first_shard)
{
	int kind[] = { DIST_DEDUP, DIST_LOCAL, DIST_LOCAL, DIST_LOCAL };
	int bands[] = { 14, 0, 0, 0 };
	dist_graph_in g = { 4, kind, bands, DIST_SINK_SHARD, 3 };
	json_t *s = dist_graph_build(&g);
	const char *names[] = { "1-pass1", "2-dedup-bucket", "3-dedup-cluster", "4-pass2",
				"5-shard-write", "6-finish" };
	const json_int_t tasks[] = { 3, 3, 1, 3, 3, 1 };
	size_t i;

	ck_assert_uint_eq(json_array_size(s), 6);
	for (i = 0; i < 6; i++) {
		ck_assert_str_eq(step_field(s, i, "name"), names[i]);
		ck_assert_int_eq(step_int(s, i, "tasks"), tasks[i]);
	}
	ck_assert_str_eq(step_field(s, 0, "input"), "inputs");
	ck_assert_str_eq(step_field(s, 0, "output"), "work");
	ck_assert_int_eq(step_int(s, 0, "pass"), 1);
	ck_assert_int_eq(step_int(s, 1, "stage"), 1);
	ck_assert_int_eq(step_int(s, 1, "bands"), 14);
	ck_assert_int_eq(step_int(s, 2, "stage"), 1);
	ck_assert_int_eq(step_int(s, 3, "pass"), 2);
	ck_assert_str_eq(step_field(s, 3, "input"), "pass");
	ck_assert_str_eq(step_field(s, 3, "output"), "spill");
	json_decref(s);
}
END_TEST

/* Two dedups in the middle: three passes; more tasks than bands share them
 * out. */
START_TEST(t_graph_two_dedups_jsonl)
{
	int kind[] = { DIST_LOCAL, DIST_DEDUP, DIST_LOCAL, DIST_DEDUP };
	int bands[] = { 0, 2, 0, 20 };
	dist_graph_in g = { 4, kind, bands, DIST_SINK_JSONL, 4 };
	json_t *s = dist_graph_build(&g);

	ck_assert_uint_eq(json_array_size(s), 8);
	ck_assert_str_eq(step_field(s, 0, "name"), "1-pass1");
	ck_assert_int_eq(step_int(s, 1, "tasks"), 2);
	ck_assert_int_eq(step_int(s, 1, "stage"), 2);
	ck_assert_str_eq(step_field(s, 3, "name"), "4-pass2");
	ck_assert_str_eq(step_field(s, 3, "output"), "work");
	ck_assert_int_eq(step_int(s, 4, "tasks"), 4);
	ck_assert_int_eq(step_int(s, 4, "stage"), 4);
	ck_assert_str_eq(step_field(s, 6, "name"), "7-pass3");
	ck_assert_str_eq(step_field(s, 6, "output"), "parts");
	ck_assert_str_eq(step_field(s, 7, "kind"), "finish");
	json_decref(s);
}
END_TEST

/* A dedup without MinHash (URL, exact, lines) has nothing to bucket: its
 * resolve is the cluster step alone. */
START_TEST(t_graph_dedup_without_minhash)
{
	int kind[] = { DIST_DEDUP };
	int bands[] = { 0 };
	dist_graph_in g = { 1, kind, bands, DIST_SINK_JSONL, 3 };
	json_t *s = dist_graph_build(&g);
	const char *names[] = { "1-pass1", "2-dedup-cluster", "3-pass2", "4-finish" };
	size_t i;

	ck_assert_uint_eq(json_array_size(s), 4);
	for (i = 0; i < 4; i++)
		ck_assert_str_eq(step_field(s, i, "name"), names[i]);
	ck_assert_int_eq(step_int(s, 1, "stage"), 1);
	ck_assert_int_eq(step_int(s, 1, "tasks"), 1);
	json_decref(s);
}
END_TEST

START_TEST(t_graph_no_stages)
{
	dist_graph_in g = { 0, NULL, NULL, DIST_SINK_JSONL, 2 };
	json_t *s = dist_graph_build(&g);

	ck_assert_uint_eq(json_array_size(s), 2);
	ck_assert_str_eq(step_field(s, 0, "name"), "1-pass1");
	ck_assert_str_eq(step_field(s, 0, "input"), "inputs");
	ck_assert_str_eq(step_field(s, 0, "output"), "parts");
	ck_assert_str_eq(step_field(s, 1, "name"), "2-finish");
	json_decref(s);
}
END_TEST

START_TEST(t_report_add)
{
	json_t *a = json_pack("{s:i, s:f, s:s, s:{s:i}, s:[{s:s, s:i, s:f}], s:f}", "documents_in", 3,
			      "seconds", 1.5, "command", "run", "dropped", "x", 1, "stages", "name",
			      "filter", "docs_in", 3, "state_bytes_per_doc", 10.0, "peak_rss", 5.0);
	json_t *b = json_pack("{s:i, s:f, s:s, s:{s:i, s:i}, s:[{s:s, s:i, s:f}], s:f, s:b}",
			      "documents_in", 4, "seconds", 2.0, "command", "other", "dropped", "x", 2,
			      "y", 7, "stages", "name", "filter", "docs_in", 4, "state_bytes_per_doc",
			      20.0, "peak_rss", 2.0, "new", 1);
	json_t *st;

	dist_report_add(a, b);
	ck_assert_int_eq(json_integer_value(json_object_get(a, "documents_in")), 7);
	ck_assert(json_real_value(json_object_get(a, "seconds")) == 3.5);
	ck_assert_str_eq(json_string_value(json_object_get(a, "command")), "run");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(a, "dropped"), "x")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(a, "dropped"), "y")), 7);
	st = json_array_get(json_object_get(a, "stages"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(st, "docs_in")), 7);
	/* Memory is per task: the larger, not the sum. */
	ck_assert(json_real_value(json_object_get(st, "state_bytes_per_doc")) == 20.0);
	ck_assert(json_real_value(json_object_get(a, "peak_rss")) == 5.0);
	ck_assert(json_is_true(json_object_get(a, "new")));
	json_decref(a);
	json_decref(b);
}
END_TEST

START_TEST(t_shell_quote)
{
	cur_buf b;

	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(dist_shell_quote(&b, "/a/b-c_d.e=f"), CUR_OK);
	ck_assert_int_eq(dist_shell_quote(&b, " it's $x"), CUR_OK);
	ck_assert_int_eq(dist_shell_quote(&b, ""), CUR_OK);
	ck_assert_str_eq(b.data, "/a/b-c_d.e=f' it'\\''s $x'''");
	cur_buf_release(&b);
}
END_TEST

START_TEST(t_script)
{
	char *args[] = { "--qos=high", "--comment=a b" };
	dist_slurm_opts o = { "gpu", NULL, "8G", NULL, 4, args, 2, "/opt/curate" };
	cur_buf b;

	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(dist_slurm_script(&b, "/w", "/home/u", "4-stages", 3, &o), CUR_OK);
	ck_assert_ptr_nonnull(strstr(b.data, "#SBATCH --array=0-2\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "#SBATCH --output=/w/logs/4-stages-%a.log\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "#SBATCH --open-mode=append\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "#SBATCH --chdir=/home/u\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "#SBATCH --cpus-per-task=4\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "#SBATCH --partition=gpu\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "#SBATCH --mem=8G\n"));
	ck_assert_ptr_null(strstr(b.data, "--time"));
	ck_assert_ptr_nonnull(strstr(b.data, "#SBATCH --qos=high\n#SBATCH '--comment=a b'\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "\nexec /opt/curate slurm --run 4-stages --rank "
					     "\"$SLURM_ARRAY_TASK_ID\" --world 3 /w\n"));
	cur_buf_release(&b);
}
END_TEST

START_TEST(t_array_spec)
{
	int a[] = { 0, 1, 2, 3, 5, 7, 8, 9, 11 };
	int one[] = { 4 };
	cur_buf b;

	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(dist_array_spec(&b, a, 9), CUR_OK);
	ck_assert_str_eq(b.data, "0-3,5,7-9,11");
	cur_buf_reset(&b);
	ck_assert_int_eq(dist_array_spec(&b, one, 1), CUR_OK);
	ck_assert_str_eq(b.data, "4");
	cur_buf_reset(&b);
	ck_assert_int_eq(dist_array_spec(&b, one, 0), CUR_OK);
	ck_assert_str_eq(b.data, "");
	cur_buf_release(&b);
}
END_TEST

START_TEST(t_markers)
{
	json_t *info = json_pack("{s:i}", "x", 1), *back;
	cur_err err;

	ck_assert_int_eq(dist_task_state(tmpdir, "1-stages", 2), DIST_TASK_NEW);
	ck_assert_int_eq(dist_task_mark(tmpdir, "1-stages", 2, DIST_TASK_STARTED, info, &err), CUR_OK);
	ck_assert_int_eq(dist_task_state(tmpdir, "1-stages", 2), DIST_TASK_STARTED);
	ck_assert_int_eq(dist_task_mark(tmpdir, "1-stages", 2, DIST_TASK_FAILED, info, &err), CUR_OK);
	ck_assert_int_eq(dist_task_state(tmpdir, "1-stages", 2), DIST_TASK_FAILED);
	dist_task_clear(tmpdir, "1-stages", 2);
	ck_assert_int_eq(dist_task_state(tmpdir, "1-stages", 2), DIST_TASK_NEW);
	ck_assert_int_eq(dist_task_mark(tmpdir, "1-stages", 2, DIST_TASK_FAILED, info, &err), CUR_OK);
	ck_assert_int_eq(dist_task_mark(tmpdir, "1-stages", 2, DIST_TASK_DONE, info, &err), CUR_OK);
	ck_assert_int_eq(dist_task_state(tmpdir, "1-stages", 2), DIST_TASK_DONE);
	dist_task_clear(tmpdir, "1-stages", 2);
	ck_assert_int_eq(dist_task_state(tmpdir, "1-stages", 2), DIST_TASK_DONE);
	back = dist_task_load(tmpdir, "1-stages", 2, DIST_TASK_DONE);
	ck_assert(json_equal(back, info));
	ck_assert_int_eq(dist_task_state(tmpdir, "1-stages", 0), DIST_TASK_NEW);
	json_decref(back);
	json_decref(info);
}
END_TEST

static void touch(const char *name)
{
	char *p = dist_path("%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	fclose(f);
	free(p);
}

static int present(const char *name)
{
	char *p = dist_path("%s/%s", tmpdir, name);
	int yes = access(p, F_OK) == 0;

	free(p);
	return yes;
}

/* A restarted task sweeps its own dead temporaries, not its neighbours'. */
START_TEST(t_remove_temporaries)
{
	char *mine = dist_part_path(tmpdir, 3);

	touch(".part-00003.jsonl.zst.tmp.abc123");
	touch(".part-00004.jsonl.zst.tmp.def456");
	touch("part-00003.jsonl.zst");
	dist_remove_temporaries(mine);
	ck_assert(!present(".part-00003.jsonl.zst.tmp.abc123"));
	ck_assert(present(".part-00004.jsonl.zst.tmp.def456"));
	ck_assert(present("part-00003.jsonl.zst"));
	free(mine);
}
END_TEST

static void write_zst(const char *path, const char *text)
{
	cur_out *o;
	cur_err err;

	ck_assert_int_eq(cur_out_open(&o, path, 1, &err), CUR_OK);
	ck_assert_int_eq(cur_out_write(o, text, strlen(text)), CUR_OK);
	ck_assert_int_eq(cur_out_finish(o, &err), CUR_OK);
	cur_out_free(o);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 16);

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_lt(fread(buf, 1, (1 << 16) - 1, f), (1 << 16) - 1);
	fclose(f);
	return buf;
}

/* Parts concatenated in order, the empty one too, are one file. */
START_TEST(t_concat)
{
	char *parts[3], *out = dist_path("%s/all.jsonl", tmpdir), *text;
	cur_err err;
	size_t i;

	for (i = 0; i < 3; i++)
		parts[i] = dist_part_path(tmpdir, i);
	write_zst(parts[0], "{\"text\":\"a\"}\n");
	write_zst(parts[1], "");
	write_zst(parts[2], "{\"text\":\"b\"}\n{\"text\":\"c\"}\n");
	ck_assert_int_eq(dist_parts_concat(parts, 3, out, 1, &err), CUR_OK);
	text = slurp(out);
	ck_assert_str_eq(text, "{\"text\":\"a\"}\n{\"text\":\"b\"}\n{\"text\":\"c\"}\n");
	for (i = 0; i < 3; i++)
		free(parts[i]);
	free(text);
	free(out);
}
END_TEST

/* A truncated or missing part is an error, never a shorter output. */
START_TEST(t_concat_truncated)
{
	char *part = dist_part_path(tmpdir, 0), *out = dist_path("%s/o.jsonl", tmpdir);
	char *missing = dist_part_path(tmpdir, 1);
	char big[4000];
	struct stat st;
	cur_err err;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_zst(part, big);
	ck_assert_int_eq(stat(part, &st), 0);
	ck_assert_int_eq(truncate(part, st.st_size - 4), 0);
	ck_assert_int_eq(dist_parts_concat(&part, 1, out, 1, &err), CUR_EDATA);
	ck_assert_int_ne(access(out, F_OK), 0);
	ck_assert_int_eq(dist_parts_concat(&missing, 1, out, 1, &err), CUR_EIO);
	ck_assert_int_ne(access(out, F_OK), 0);
	free(part);
	free(missing);
	free(out);
}
END_TEST

static json_t *hist(int a, int b)
{
	return json_pack("{s:s, s:[i,i], s:[i,i], s:i, s:i}", "unit", "characters", "edges", 0, 10,
			 "counts", a, b, "total", a + b, "sum", 7 * (a + b));
}

static void done_marker(const char *step, int rank, double start, double end, json_t *report)
{
	json_t *d = json_pack("{s:f, s:f, s:o}", "start", start, "end", end, "report", report);
	cur_err err;

	ck_assert_int_eq(dist_task_mark(tmpdir, step, rank, DIST_TASK_DONE, d, &err), CUR_OK);
	json_decref(d);
}

/* Two steps of stages over two tasks each: what was read comes from the
 * first step, what was written from the last, the stages of both in
 * order, lengths before from the first and after from the last (empty for
 * a category none of whose documents reached it). */
START_TEST(t_report_merge)
{
	json_t *steps = json_pack("[{s:s, s:s, s:i, s:s}, {s:s, s:s, s:i, s:s}, {s:s, s:s, s:i}]",
				  "name", "1-pass1", "kind", "pass", "tasks", 2, "input", "inputs",
				  "name", "2-pass2", "kind", "pass", "tasks", 2, "input", "pass",
				  "name", "3-finish", "kind", "finish", "tasks", 1);
	json_t *r, *st, *len;
	cur_err err;
	int k;

	for (k = 0; k < 2; k++) {
		done_marker("1-pass1", k, 100 + k, 110 + k,
			    json_pack("{s:[{s:s}], s:i, s:i, s:i, s:i, s:i, s:{s:i}, s:[{s:s, s:i, s:i, s:{s:i}}], "
				      "s:{s:f}, s:{s:{s:{s:o, s:o}}, s:{s:{s:o, s:o}}}, s:f, s:i, s:f, s:i}",
				      "inputs", "path", "a", "documents_in", 10, "documents_out", 8,
				      "bytes_in", 100, "bytes_out", 80, "bad_records", k, "errors",
				      "invalid_json", k, "stages", "name", "filter", "docs_in", 10, "docs_out",
				      8, "dropped", "x", 2, "thread_seconds", "read", 1.0, "lengths", "all",
				      "characters", "before", hist(5, 5), "after", hist(4, 4), "math",
				      "characters", "before", hist(1, 0), "after", hist(1, 0), "seconds", 10.0,
				      "jobs", 2, "thread_utilisation", 0.5, "peak_rss_bytes", 1000 * (k + 1)));
		done_marker("2-pass2", k, 120, 130,
			    json_pack("{s:i, s:i, s:i, s:i, s:[{s:s, s:i, s:i}], s:{s:{s:{s:o, s:o}}}, s:{s:f}}",
				      "documents_in", 8, "documents_out", 6, "bytes_in", 80, "bytes_out", 60,
				      "stages", "name", "pii", "docs_in", 8, "docs_out", 6, "lengths", "all",
				      "characters", "before", hist(4, 4), "after", hist(3, 3),
				      "thread_seconds", "read", 0.5));
	}
	r = dist_report_merge(tmpdir, steps, "3-finish", NULL, json_pack("{s:i}", "seed", 1), 2, 2,
			      140.0, &err);
	ck_assert_msg(r != NULL, "%s", err.msg);
	ck_assert_str_eq(json_string_value(json_object_get(r, "command")), "slurm");
	ck_assert_uint_eq(json_array_size(json_object_get(r, "inputs")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "documents_in")), 20);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "documents_out")), 12);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "bytes_in")), 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "bytes_out")), 120);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "bad_records")), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(r, "stages")), 2);
	st = json_array_get(json_object_get(r, "stages"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(st, "name")), "filter");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(st, "dropped"), "x")), 4);
	st = json_array_get(json_object_get(r, "stages"), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(st, "docs_out")), 12);
	len = json_object_get(json_object_get(json_object_get(r, "lengths"), "all"), "characters");
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(json_object_get(len, "before"),
									   "counts"), 0)), 10);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(len, "after"), "total")), 12);
	len = json_object_get(json_object_get(json_object_get(r, "lengths"), "math"), "characters");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(len, "before"), "total")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(len, "after"), "total")), 0);
	ck_assert(json_real_value(json_object_get(r, "seconds")) == 40.0);
	ck_assert(json_real_value(json_object_get(json_object_get(r, "thread_seconds"), "read")) == 3.0);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "peak_rss_bytes")), 2000);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "run"), "seed")), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(r, "slurm"), "steps")), 2);
	json_decref(r);
	/* A task without its report: no report. */
	dist_task_clear(tmpdir, "2-pass2", 1);
	{
		char *p = dist_path("%s/tasks/2-pass2-1.done", tmpdir);
		ck_assert_int_eq(unlink(p), 0);
		free(p);
	}
	r = dist_report_merge(tmpdir, steps, "3-finish", NULL, NULL, 2, 2, 140.0, &err);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(err.msg, "2-pass2 task 1"));
	json_decref(steps);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dist");
	TCase *tc = tcase_create("dist");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_graph_dedup_first_shard);
	tcase_add_test(tc, t_graph_two_dedups_jsonl);
	tcase_add_test(tc, t_graph_dedup_without_minhash);
	tcase_add_test(tc, t_graph_no_stages);
	tcase_add_test(tc, t_report_add);
	tcase_add_test(tc, t_report_merge);
	tcase_add_test(tc, t_shell_quote);
	tcase_add_test(tc, t_script);
	tcase_add_test(tc, t_array_spec);
	tcase_add_test(tc, t_markers);
	tcase_add_test(tc, t_remove_temporaries);
	tcase_add_test(tc, t_concat);
	tcase_add_test(tc, t_concat_truncated);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
