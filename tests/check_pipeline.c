/* The pipeline (core/pipeline.h): output independent of -j, the report's
 * times and lengths, run-ahead behind a slow batch, --rank/--world slices,
 * a text-only sink. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/doc.h"
#include "core/json_text.h"
#include "core/pipeline.h"
#include "core/reader.h"

#include "tests/core_test.h"

/* ---- pipeline: output independent of -j ---- */

typedef struct mem_sink {
	cur_buf out;
} mem_sink;

static int mem_write(cur_sink *self, cur_doc *doc, cur_err *err)
{
	(void)err;
	return cur_doc_to_json(doc, &((mem_sink *)self->priv)->out);
}

static int mem_finish(cur_sink *self, json_t *report, cur_err *err)
{
	(void)self; (void)report; (void)err;
	return CUR_OK;
}

/* A parallel stage that drops every third document and rewrites text. */
static int odd_process(cur_stage *self, void *tls, cur_doc *doc, cur_err *err)
{
	(void)err;
	(void)self; (void)tls;
	if (doc->record % 3 == 0)
		return cur_doc_drop(doc, "odd:every_third", (double)doc->record);
	return cur_doc_set_text(doc, doc->text, doc->text_len / 2);
}

/* A sink of one write function (and mem_finish): the table, at run time. */
static cur_sink_ops sink_ops_of(int (*write)(cur_sink *, cur_doc *, cur_err *))
{
	cur_sink_ops ops = { .write = write, .finish = mem_finish };

	return ops;
}

static const cur_stage_ops odd_ops = { .process = odd_process };

/* A serial stage that numbers documents in the order it sees them. */
static int count_process(cur_stage *self, void *tls, cur_doc *doc, cur_err *err)
{
	(void)err;
	long *n = self->priv;

	(void)tls;
	json_object_set_new(cur_doc_metadata(doc), "n", json_integer((*n)++));
	return CUR_KEEP;
}

static const cur_stage_ops count_ops = { .process = count_process };

/* Run many.jsonl.zst through the odd stage and (unless odd_only) the
 * counting one, at jobs, as slice rank of world; the JSON Lines out. */
static char *run_pipeline_stages(int jobs, int rank, int world, json_t *report, int odd_only)
{
	char *inputs[] = { (char *)data("many.jsonl.zst") };
	cur_pipeline_opts o;
	mem_sink ms;
	cur_sink_ops ops = sink_ops_of(mem_write);
	cur_sink sink = { .ops = &ops, .priv = &ms };
	long counter = 0;
	cur_stage odd = { .ops = &odd_ops, .name = "odd" };
	cur_stage count = { .ops = &count_ops, .name = "count", .serial = 1, .priv = &counter };
	cur_stage *stages[] = { &odd, &count };
	size_t nstages = odd_only ? 1 : 2;
	cur_err err;

	inputs[0] = strdup(inputs[0]);
	cur_pipeline_opts_init(&o);
	o.jobs = jobs;
	o.rank = rank;
	o.world = world;
	o.batch_docs = 7; /* many batches, so workers interleave */
	cur_buf_init(&ms.out, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(cur_pipeline_run(&o, inputs, 1, stages, nstages, &sink, report, &err),
			 CUR_OK);
	free(inputs[0]);
	return cur_buf_detach(&ms.out, NULL);
}

static char *run_pipeline(int jobs, int rank, int world, json_t *report)
{
	return run_pipeline_stages(jobs, rank, world, report, 0);
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

/* A stage and a sink that take a known time: 1 ms every 100 documents. */
static int slow_process(cur_stage *self, void *tls, cur_doc *doc, cur_err *err)
{
	(void)err;
	(void)self; (void)tls;
	if (doc->record % 100 == 0)
		usleep(1000);
	return CUR_KEEP;
}

static const cur_stage_ops slow_ops = { .process = slow_process };

static int slow_write(cur_sink *self, cur_doc *doc, cur_err *err)
{
	(void)err;
	(void)self;
	if (doc->record % 100 == 0)
		usleep(1000);
	return CUR_OK;
}

static double thread_seconds(json_t *report, const char *phase)
{
	json_t *v = json_object_get(json_object_get(report, "thread_seconds"), phase);

	ck_assert_msg(json_is_real(v), "no thread_seconds.%s", phase);
	ck_assert(json_real_value(v) >= 0);
	return json_real_value(v);
}

/* Run many.jsonl.zst through one stage of ops and a sink writing with
 * write, at jobs (batch_docs 0: the default); the report. */
static json_t *run_one_stage(const cur_stage_ops *ops,
			     int (*write)(cur_sink *, cur_doc *, cur_err *), int jobs,
			     size_t batch_docs)
{
	char *inputs[] = { strdup(data("many.jsonl.zst")) };
	cur_pipeline_opts o;
	cur_sink_ops sops = sink_ops_of(write);
	cur_sink sink = { .ops = &sops };
	cur_stage stage = { .ops = ops, .name = "slow" };
	cur_stage *stages[] = { &stage };
	json_t *r = json_object();
	cur_err err;

	cur_pipeline_opts_init(&o);
	o.jobs = jobs;
	if (batch_docs)
		o.batch_docs = batch_docs;
	ck_assert_int_eq(cur_pipeline_run(&o, inputs, 1, stages, 1, &sink, r, &err), CUR_OK);
	free(inputs[0]);
	return r;
}

/* The report's times land in the phase that spent them: 20 sleeps of 1 ms
 * in the stage and 20 in the sink, at any -j. */
START_TEST(pipeline_report_says_where_the_time_went)
{
	for (int jobs = 1; jobs <= 2; jobs++) {
		json_t *r = run_one_stage(&slow_ops, slow_write, jobs, 0);
		double wall = json_real_value(json_object_get(r, "seconds"));
		double stage = json_real_value(json_object_get(
			json_array_get(json_object_get(r, "stages"), 0), "seconds"));
		double write = thread_seconds(r, "sink_write");
		double busy = thread_seconds(r, "read") + thread_seconds(r, "parse") +
			thread_seconds(r, "sink_prepare") + stage + write;

		/* Each sleep takes at least its 1 ms, however loaded the machine;
		 * and no thread is busy longer than the run. */
		ck_assert_msg(stage >= 0.02 && write >= 0.02, "-j %d: stage %.4f, write %.4f", jobs,
			      stage, write);
		ck_assert_msg(busy <= jobs * wall + 0.01, "-j %d: %.4f busy in %.4f", jobs, busy, wall);
		ck_assert(thread_seconds(r, "sink_finish") <= wall);
		json_decref(r);
	}
}
END_TEST

/* Run-ahead, by the order of events rather than by the clock: the first
 * batch (records 1..50) is held until the other worker has finished ahead
 * documents of the batches after it. */
static struct {
	pthread_mutex_t mx;
	pthread_cond_t cv;
	int ahead;        /* documents after the first batch, finished */
	int target;       /* the first batch waits for this many */
	int reached;      /* ahead when the first batch stopped waiting */
	int more;         /* ahead after a further wait for more */
} ra = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0 };

static void deadline_in(struct timespec *t, long ms)
{
	clock_gettime(CLOCK_REALTIME, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static int hold_first_process(cur_stage *self, void *tls, cur_doc *doc, cur_err *err)
{
	struct timespec t;

	(void)self; (void)tls; (void)err;
	pthread_mutex_lock(&ra.mx);
	if (doc->record == 1) {
		/* At most 10 s: a pipeline that cannot run ahead fails, not hangs. */
		deadline_in(&t, 10000);
		while (ra.ahead < ra.target && pthread_cond_timedwait(&ra.cv, &ra.mx, &t) == 0)
			;
		ra.reached = ra.ahead;
		/* Would the other worker go on past the pool? Give it the chance. */
		deadline_in(&t, 200);
		while (ra.ahead == ra.reached && pthread_cond_timedwait(&ra.cv, &ra.mx, &t) == 0)
			;
		ra.more = ra.ahead;
	} else if (doc->record > 50) {
		ra.ahead++;
		pthread_cond_broadcast(&ra.cv);
	}
	pthread_mutex_unlock(&ra.mx);
	return CUR_KEEP;
}

static const cur_stage_ops hold_first_ops = { .process = hold_first_process };

static int write_nothing(cur_sink *self, cur_doc *doc, cur_err *err)
{
	(void)err;
	(void)self; (void)doc;
	return CUR_OK;
}

/* While the first batch is held, the other worker goes on through the
 * batches after it, as many as the pool holds (eight batches a worker, so
 * 15 at -j 2 beside the held one) and no more; then it waits, and the
 * report counts the wait. */
START_TEST(pipeline_workers_run_ahead_of_a_slow_batch)
{
	json_t *r;

	ra.ahead = 0;
	ra.target = 15 * 50;
	r = run_one_stage(&hold_first_ops, write_nothing, 2, 50);
	ck_assert_int_eq(ra.reached, 15 * 50);
	ck_assert_int_eq(ra.more, 15 * 50);
	ck_assert(thread_seconds(r, "waiting") > 0);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "documents_out")), 2000);
	json_decref(r);
}
END_TEST

/* Output lines of a run, sorted (slices interleave differently). */
static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *sorted_lines(char *text)
{
	size_t n = 0, cap = 64, len = strlen(text), at = 0;
	char **v = malloc(cap * sizeof(*v)), *out = malloc(len + 1), *save = NULL, *l;

	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof(*v));
		v[n++] = l;
	}
	qsort(v, n, sizeof(*v), cmp_line);
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(v[i]);

		memcpy(out + at, v[i], k);
		out[at + k] = '\n';
		at += k + 1;
	}
	out[at] = '\0';
	free(v);
	return out;
}

/* The slices of --rank/--world together are the whole run's output: every
 * document once, written as the whole run writes it. (The counting stage
 * numbers documents per process, so these runs leave it out.) */
START_TEST(pipeline_rank_world_slices_cover_everything_once)
{
	json_t *r = json_object();
	char *all = run_pipeline_stages(2, 0, 1, r, 1);
	cur_buf parts;
	size_t total = 0;
	int k;

	cur_buf_init(&parts, CUR_BUF_UNLIMITED);
	for (k = 0; k < 3; k++) {
		json_t *rk = json_object();
		char *part = run_pipeline_stages(2, k, 3, rk, 1);

		total += (size_t)json_integer_value(json_object_get(rk, "documents_in"));
		cur_buf_append(&parts, part, strlen(part));
		free(part);
		json_decref(rk);
	}
	ck_assert_uint_eq(total, 2000);
	{
		char *a = sorted_lines(all), *b = sorted_lines(parts.data);

		ck_assert_str_eq(a, b);
		free(a);
		free(b);
	}
	cur_buf_release(&parts);
	free(all);
	json_decref(r);
}
END_TEST

/* ---- pipeline: a text-only sink sees what a full one sees ---- */

typedef struct text_sink {
	cur_buf out;
	int light;  /* documents that came without a JSON tree */
} text_sink;

static int text_write(cur_sink *self, cur_doc *doc, cur_err *err)
{
	(void)err;
	text_sink *t = self->priv;
	const char *cat = cur_doc_meta_str(doc, "category");

	t->light += doc->obj == NULL;
	CUR_FORWARD(cur_buf_printf(&t->out, "%s:%llu id=%s cat=%s text=", doc->origin,
				   (unsigned long long)doc->record, cur_doc_id(doc),
				   cat ? cat : "(none)"));
	CUR_FORWARD(cur_json_encode_string(doc->text, doc->text_len, &t->out));
	return cur_buf_putc(&t->out, '\n');
}

/* Run no stages over name with a sink that is text_only or not; the
 * documents it saw and the report's counts, as one string. */
static char *run_text_sink(const char *name, int jobs, int text_only, int *light)
{
	char *inputs[] = { strdup(data(name)) };
	cur_pipeline_opts o;
	text_sink t;
	cur_sink_ops ops = sink_ops_of(text_write);
	cur_sink sink = { .ops = &ops, .text_only = text_only, .meta_key = "category",
			  .priv = &t };
	json_t *report = json_object();
	static const char *const keys[] = { "documents_in", "documents_out", "bytes_in",
					    "bytes_out", "bad_records", "utf8_repairs", "errors" };
	cur_err err;
	size_t k;

	cur_pipeline_opts_init(&o);
	o.jobs = jobs;
	o.quiet = 1;
	o.batch_docs = 4;
	cur_buf_init(&t.out, CUR_BUF_UNLIMITED);
	t.light = 0;
	ck_assert_int_eq(cur_pipeline_run(&o, inputs, 1, NULL, 0, &sink, report, &err), CUR_OK);
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char *v = json_dumps(json_object_get(report, keys[k]), JSON_ENCODE_ANY | JSON_SORT_KEYS);

		cur_buf_printf(&t.out, "%s=%s\n", keys[k], v);
		free(v);
	}
	json_decref(report);
	free(inputs[0]);
	*light = t.light;
	return cur_buf_detach(&t.out, NULL);
}

START_TEST(pipeline_text_only_sink_sees_the_same)
{
	static const char *const files[] = { "pipeline_light.jsonl", "bad.jsonl", "many.jsonl.zst" };
	size_t f;

	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		int light_full, light1, light3;
		char *full = run_text_sink(files[f], 1, 0, &light_full);
		char *one = run_text_sink(files[f], 1, 1, &light1);
		char *three = run_text_sink(files[f], 3, 1, &light3);

		ck_assert_str_eq(one, full);
		ck_assert_str_eq(three, full);
		ck_assert_int_eq(light_full, 0);
		ck_assert_int_gt(light1, 0);
		ck_assert_int_eq(light3, light1);
		free(full);
		free(one);
		free(three);
	}
}
END_TEST


/* A token counter for tests: one token per byte. */
static int bytes_count(void *ctx, void *tls, const char *text, size_t len, uint64_t *out)
{
	(void)ctx; (void)tls; (void)text;
	*out = len;
	return CUR_OK;
}

static json_t *lengths_of(int jobs)
{
	static const cur_token_counter bytes = { .count = bytes_count };
	char *inputs[] = { strdup(data("many.jsonl.zst")) };
	cur_pipeline_opts o;
	mem_sink ms;
	cur_sink_ops ops = sink_ops_of(mem_write);
	cur_sink sink = { .ops = &ops, .priv = &ms };
	cur_stage odd = { .ops = &odd_ops, .name = "odd" };
	cur_stage *stages[] = { &odd };
	json_t *report = json_object(), *lengths;
	cur_err err;

	cur_pipeline_opts_init(&o);
	o.jobs = jobs;
	o.batch_docs = 7;
	o.tokens = &bytes;
	cur_buf_init(&ms.out, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(cur_pipeline_run(&o, inputs, 1, stages, 1, &sink, report, &err), CUR_OK);
	cur_buf_release(&ms.out);
	free(inputs[0]);
	lengths = json_incref(json_object_get(report, "lengths"));
	json_decref(report);
	return lengths;
}

static double hist_figure(json_t *lengths, const char *unit, const char *when, const char *key)
{
	return json_number_value(json_object_get(json_object_get(json_object_get(
		json_object_get(lengths, "all"), unit), when), key));
}

START_TEST(pipeline_report_lengths_before_and_after)
{
	json_t *one = lengths_of(1), *three = lengths_of(3);

	ck_assert(json_equal(one, three));
	ck_assert_int_eq(hist_figure(one, "characters", "before", "total"), 2000);
	ck_assert_int_eq(hist_figure(one, "characters", "after", "total"), 1334);
	/* The texts are ASCII: as many tokens (bytes) as characters. */
	ck_assert(hist_figure(one, "tokens", "before", "sum") ==
		  hist_figure(one, "characters", "before", "sum"));
	/* The stage halved every kept text: measured again after it. */
	ck_assert(hist_figure(one, "characters", "after", "sum") <
		  hist_figure(one, "characters", "before", "sum") / 2);
	json_decref(one);
	json_decref(three);
}
END_TEST

static Suite *pipeline_suite(void)
{
	Suite *s = suite_create("pipeline");
	TCase *t = tcase_create("pipeline");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, pipeline_output_is_identical_for_any_jobs);
	tcase_add_test(t, pipeline_report_says_where_the_time_went);
	tcase_add_test(t, pipeline_workers_run_ahead_of_a_slow_batch);
	tcase_add_test(t, pipeline_rank_world_slices_cover_everything_once);
	tcase_add_test(t, pipeline_text_only_sink_sees_the_same);
	tcase_add_test(t, pipeline_report_lengths_before_and_after);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pipeline_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
