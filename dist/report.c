#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dist/report.h"
#include "dist/workdir.h"

int dist_report_is_memory(const char *key)
{
	static const char *const parts[] = { "per_doc", "state_bytes", "bytes_held", "peak",
					     "line_count_bytes", "rss", NULL };
	size_t i;

	for (i = 0; parts[i]; i++)
		if (strstr(key, parts[i]))
			return 1;
	return 0;
}

/* Keys that hold a stage's settings rather than counts: every task has the
 * same value, and the merged report keeps the first task's. */
static int is_setting(const char *key)
{
	return strcmp(key, "cutoffs") == 0;
}

static json_t *number_sum(json_t *a, json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer(json_integer_value(a) + json_integer_value(b));
	return json_real(json_number_value(a) + json_number_value(b));
}

static json_t *number_max(json_t *a, json_t *b)
{
	return json_incref(json_number_value(a) >= json_number_value(b) ? a : b);
}

static int numbers(json_t *v)
{
	json_t *x;
	size_t i;

	json_array_foreach(v, i, x)
		if (!json_is_number(x))
			return 0;
	return json_is_array(v);
}

static int named_list(json_t *v)
{
	return json_is_array(v) && json_array_size(v) &&
	       json_is_string(json_object_get(json_array_get(v, 0), "name"));
}

void dist_report_add(json_t *a, json_t *b)
{
	const char *key;
	json_t *bv;

	json_object_foreach(b, key, bv) {
		json_t *av = json_object_get(a, key);

		if (!av) {
			json_object_set_new(a, key, json_deep_copy(bv));
		} else if (is_setting(key)) {
			continue;
		} else if (json_is_number(av) && json_is_number(bv)) {
			json_object_set_new(a, key, dist_report_is_memory(key) ? number_max(av, bv)
									     : number_sum(av, bv));
		} else if (json_is_object(av) && json_is_object(bv)) {
			dist_report_add(av, bv);
		} else if (strcmp(key, "counts") == 0 && numbers(av) && numbers(bv) &&
			   json_array_size(av) == json_array_size(bv)) {
			size_t i;

			for (i = 0; i < json_array_size(av); i++)
				json_array_set_new(av, i, number_sum(json_array_get(av, i),
								     json_array_get(bv, i)));
		} else if (named_list(av) && named_list(bv) &&
			   json_array_size(av) == json_array_size(bv)) {
			size_t i;

			for (i = 0; i < json_array_size(av); i++)
				dist_report_add(json_array_get(av, i), json_array_get(bv, i));
		}
	}
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* What the tasks of one step add up to. */
typedef struct step_sum {
	json_t *report;          /* the tasks' reports added (passes) */
	json_t *inputs;          /* the run's inputs, as the tasks list them */
	double start, end, longest, task_seconds, cpu_seconds, peak_rss;
} step_sum;

/* The whole run's sums, over every task of every step. */
typedef struct run_sum {
	json_t *threads;
	double peak_rss;
	double busy, held;       /* thread-seconds at work, and held (jobs x seconds) */
	json_int_t shards_written;
	double start;
} run_sum;

static void add_task(run_sum *run, step_sum *st, json_t *step, json_t *done)
{
	json_t *rep = json_object_get(done, "report");
	double s = json_number_value(json_object_get(done, "start"));
	double e = json_number_value(json_object_get(done, "end"));
	double secs = json_number_value(json_object_get(rep, "seconds"));
	double jobs = json_number_value(json_object_get(rep, "jobs"));
	double rss = json_number_value(json_object_get(rep, "peak_rss_bytes"));

	st->start = st->start == 0 || s < st->start ? s : st->start;
	st->end = e > st->end ? e : st->end;
	st->longest = e - s > st->longest ? e - s : st->longest;
	st->task_seconds += e - s;
	st->cpu_seconds += json_number_value(json_object_get(done, "cpu_seconds"));
	if (json_number_value(json_object_get(done, "peak_rss_bytes")) > st->peak_rss)
		st->peak_rss = json_number_value(json_object_get(done, "peak_rss_bytes"));
	run->start = run->start == 0 || s < run->start ? s : run->start;
	dist_report_add(run->threads, json_object_get(rep, "thread_seconds"));
	run->peak_rss = rss > run->peak_rss ? rss : run->peak_rss;
	if (jobs > 0 && secs > 0) {
		run->busy += json_number_value(json_object_get(rep, "thread_utilisation")) * jobs * secs;
		run->held += jobs * secs;
	}
	if (strcmp(str(step, "kind"), "shard-write") == 0)
		run->shards_written += json_integer_value(json_object_get(rep, "shards_written"));
	/* Every task lists the run's inputs (its slice is its own business). */
	if (!json_array_size(st->inputs))
		json_array_extend(st->inputs, json_object_get(rep, "inputs"));
	if (!st->report)
		st->report = json_deep_copy(rep);
	else
		dist_report_add(st->report, rep);
}

/* An "after" histogram for a category no document of which reached the
 * last step: before's bins, all empty. */
static json_t *empty_like(json_t *h)
{
	json_t *e = json_deep_copy(h), *counts = json_object_get(e, "counts");
	size_t i;

	for (i = 0; i < json_array_size(counts); i++)
		json_array_set_new(counts, i, json_integer(0));
	json_object_set_new(e, "total", json_integer(0));
	json_object_set_new(e, "sum", json_integer(0));
	return e;
}

/* lengths: "before" as the first step of stages read the documents,
 * "after" as the last one handed them to the sink. */
static json_t *merge_lengths(json_t *first, json_t *last)
{
	json_t *out = json_deep_copy(json_object_get(first, "lengths")), *per, *units;
	const char *cat, *unit;

	json_object_foreach(out, cat, per)
		json_object_foreach(per, unit, units) {
			json_t *after = json_object_get(json_object_get(json_object_get(
				json_object_get(last, "lengths"), cat), unit), "after");

			json_object_set_new(units, "after", after ? json_deep_copy(after)
								 : empty_like(json_object_get(units, "before")));
		}
	return out;
}

/* A global stage resolves in steps of its own; its entry (where it
 * applied, in a later pass) takes their figures as one process's resolve
 * gives them: the documents and clusters from the cluster task, the pairs
 * the bucket tasks checked (if any), the larger of the memory they held. resolved
 * holds {"K": {"dedup-bucket": sum, "dedup-cluster": sum}} by stage K. */
static void add_resolve(json_t *stages, json_t *resolved)
{
	const char *k;
	json_t *by;

	json_object_foreach(resolved, k, by) {
		json_t *entry = json_array_get(stages, (size_t)strtol(k, NULL, 10) - 1);
		json_t *cluster = json_object_get(by, "dedup-cluster");
		json_t *bucket = json_object_get(by, "dedup-bucket");
		const char *key;
		json_t *v;

		if (!entry)
			continue;
		/* Without MinHash there is no bucket step: the cluster task's
		 * pair counts (none checked) are the run's. */
		json_object_foreach(cluster, key, v)
			if (!bucket || (strcmp(key, "candidate_pairs") != 0 &&
					strcmp(key, "pairs_already_joined") != 0))
				json_object_set(entry, key, v);
		json_object_foreach(bucket, key, v) {
			json_t *have = json_object_get(entry, key);

			if (strcmp(key, "candidate_pairs") == 0 || strcmp(key, "pairs_already_joined") == 0)
				json_object_set(entry, key, v);
			else if (dist_report_is_memory(key) && json_number_value(v) > json_number_value(have))
				json_object_set(entry, key, v);
		}
	}
}

static void copy_keys(json_t *to, json_t *from, const char *const *keys)
{
	for (; *keys; keys++) {
		json_t *v = json_object_get(from, *keys);

		if (v)
			json_object_set(to, *keys, v);
	}
}

json_t *dist_report_merge(const char *workdir, json_t *steps, const char *upto, json_t *sink,
			  json_t *run, int tasks, int jobs, double now, cur_err *err)
{
	static const char *const in_keys[] = { "documents_in", NULL };
	static const char *const out_keys[] = { "documents_out", NULL };
	static const char *const bytes_in[] = { "bytes_in", NULL };
	static const char *const bytes_out[] = { "bytes_out", NULL };
	static const char *const bad_keys[] = { "bad_records", "utf8_repairs", "errors", NULL };
	json_t *r = json_object(), *stages = json_array(), *times = json_array();
	json_t *first = NULL, *last = NULL, *inputs = NULL, *resolved = json_object(), *step;
	run_sum rs;
	int npasses = 0;
	double secs, din;
	size_t i;

	memset(&rs, 0, sizeof(rs));
	rs.threads = json_object();
	json_array_foreach(steps, i, step) {
		int n = (int)json_integer_value(json_object_get(step, "tasks")), k;
		step_sum st;

		if (strcmp(str(step, "name"), upto) == 0)
			break;
		memset(&st, 0, sizeof(st));
		st.inputs = json_array();
		for (k = 0; k < n; k++) {
			json_t *done = dist_task_load(workdir, str(step, "name"), k, DIST_TASK_DONE);

			if (!json_is_object(json_object_get(done, "report"))) {
				cur_err_set(err, CUR_EIO, "step %s task %d left no report",
					    str(step, "name"), k);
				json_decref(done);
				json_decref(st.inputs);
				json_decref(st.report);
				goto fail;
			}
			add_task(&rs, &st, step, done);
			json_decref(done);
		}
		json_array_append_new(times, json_pack("{s:s, s:i, s:f, s:f, s:f, s:f, s:f, s:I}", "name",
						       str(step, "name"), "tasks", n, "start", st.start,
						       "end", st.end, "seconds", st.longest,
						       "task_seconds", st.task_seconds,
						       "cpu_seconds", st.cpu_seconds,
						       "peak_rss_bytes", (json_int_t)st.peak_rss));
		if (strncmp(str(step, "kind"), "dedup-", 6) == 0 && st.report) {
			char k[32];
			json_t *by;

			snprintf(k, sizeof(k), "%lld",
				 (long long)json_integer_value(json_object_get(step, "stage")));
			if (!(by = json_object_get(resolved, k))) {
				by = json_object();
				json_object_set_new(resolved, k, by);
			}
			json_object_set(by, str(step, "kind"), st.report);
		}
		if (st.report && strcmp(str(step, "kind"), "pass") == 0) {
			npasses++;
			json_array_extend(stages, json_object_get(st.report, "stages"));
			if (!first && strcmp(str(step, "input"), "inputs") == 0) {
				first = json_incref(st.report);
				inputs = json_incref(st.inputs);
			}
			json_decref(last);
			last = json_incref(st.report);
		}
		json_decref(st.report);
		json_decref(st.inputs);
	}
	if (!first) {
		cur_err_set(err, CUR_EINVAL, "the plan has no pass");
		goto fail;
	}
	add_resolve(stages, resolved);
	if (sink && rs.shards_written)
		json_object_set_new(sink, "shards_written", json_integer(rs.shards_written));
	secs = now - rs.start;
	din = json_number_value(json_object_get(first, "documents_in"));
	json_object_set_new(r, "command", json_string("slurm"));
	json_object_set(r, "inputs", inputs);
	copy_keys(r, first, in_keys);
	copy_keys(r, last, out_keys);
	copy_keys(r, first, bytes_in);
	copy_keys(r, last, bytes_out);
	copy_keys(r, first, bad_keys);
	json_object_set(r, "stages", stages);
	json_object_set(r, "thread_seconds", rs.threads);
	json_object_set(r, "sink", sink ? sink : json_object_get(last, "sink"));
	if (json_object_get(first, "lengths"))
		json_object_set_new(r, "lengths", merge_lengths(first, last));
	if (npasses > 1)
		json_object_set_new(r, "passes", json_integer(npasses));
	json_object_set_new(r, "seconds", json_real(secs));
	json_object_set_new(r, "jobs", json_integer(jobs));
	json_object_set_new(r, "thread_utilisation", json_real(rs.held > 0 ? rs.busy / rs.held : 0));
	json_object_set_new(r, "documents_per_second", json_real(secs > 0 ? din / secs : 0));
	json_object_set_new(r, "bytes_per_second",
			    json_real(secs > 0 ? json_number_value(json_object_get(first, "bytes_in")) / secs
					       : 0));
	json_object_set_new(r, "peak_rss_bytes", json_integer((json_int_t)rs.peak_rss));
	if (run)
		json_object_set(r, "run", run);
	json_object_set_new(r, "slurm", json_pack("{s:i, s:i, s:O}", "tasks", tasks, "cpus_per_task",
						  jobs, "steps", times));
	goto out;
fail:
	json_decref(r);
	r = NULL;
out:
	json_decref(first);
	json_decref(last);
	json_decref(inputs);
	json_decref(resolved);
	json_decref(stages);
	json_decref(times);
	json_decref(rs.threads);
	json_decref(sink);
	json_decref(run);
	return r;
}
