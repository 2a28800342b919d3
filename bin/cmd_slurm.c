#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "bin/cli.h"
#include "bin/commands.h"
#include "bin/pipeline_file.h"
#include "bin/slurm_task.h"
#include "core/file.h"
#include "core/writer.h"
#include "dedup/dedup.h"
#include "dist/graph.h"
#include "dist/slurm.h"
#include "dist/workdir.h"

/* `curate slurm`: a pipeline file as Slurm array jobs (docs/distributed.md).
 *
 *   curate slurm PIPELINE.yaml --tasks N -o WORKDIR [--submit [--wait]]
 *   curate slurm --resume WORKDIR [--wait]     submit what is not done
 *   curate slurm --status WORKDIR              tasks done, running, failed
 *   curate slurm --wait WORKDIR                until the submitted jobs end
 *   curate slurm --run STEP --rank R WORKDIR   one task (the job scripts' line)
 *
 * Planning writes WORKDIR/plan.json and a job script per step; submitting
 * runs sbatch for each step with the tasks not yet done, chained with
 * --dependency=afterok. */

static const cur_opt_spec slurm_options[] = {
	{ "tasks", CUR_OPT_INT, "N", "tasks per step over the inputs", "1" },
	{ "partition", CUR_OPT_STR, "P", "sbatch --partition", "the site's" },
	{ "cpus-per-task", CUR_OPT_INT, "C", "sbatch --cpus-per-task, and each task's -j", "the file's jobs" },
	{ "mem", CUR_OPT_STR, "M", "sbatch --mem: memory per task (e.g. 8G)", "the site's" },
	{ "time", CUR_OPT_STR, "T", "sbatch --time: per task (e.g. 4:00:00)", "the site's" },
	{ "account", CUR_OPT_STR, "A", "sbatch --account", "the site's" },
	{ "sbatch-arg", CUR_OPT_LIST, "ARG", "one more sbatch option, as given (repeatable)", NULL },
	{ "curate", CUR_OPT_STR, "CMD", "how the nodes run curate", "this binary's absolute path" },
	{ "submit", CUR_OPT_FLAG, NULL, "submit the steps with sbatch", NULL },
	{ "wait", CUR_OPT_FLAG, NULL, "wait until the submitted jobs end; exit 1 unless all tasks are done", NULL },
	{ "resume", CUR_OPT_FLAG, NULL, "submit the tasks of WORKDIR's plan that are not done", NULL },
	{ "status", CUR_OPT_FLAG, NULL, "list WORKDIR's tasks: done, running, pending, failed", NULL },
	{ "print-commands", CUR_OPT_FLAG, NULL, "print every task's command line, step by step", NULL },
	{ "run", CUR_OPT_STR, "STEP", "run task --rank R --world N of STEP (what the job scripts do)", NULL },
	{ NULL, 0, NULL, NULL, NULL }
};

typedef struct slurm_cmd {
	json_t *cfg;               /* the options above */
	cli_common c;
	char workdir[PATH_MAX];
	dist_slurm_opts so;
} slurm_cmd;

static const char *opt_str(const slurm_cmd *s, const char *key)
{
	return json_string_value(json_object_get(s->cfg, key));
}

static int opt_flag(const slurm_cmd *s, const char *key)
{
	return json_is_true(json_object_get(s->cfg, key));
}

static const char *step_str(json_t *step, const char *key)
{
	const char *v = json_string_value(json_object_get(step, key));

	return v ? v : "";
}

static int step_tasks(json_t *step)
{
	return (int)json_integer_value(json_object_get(step, "tasks"));
}

/* ---- planning ---- */

/* Which stages need every document before they decide (a barrier), and
 * for a dedup its LSH bands: 0 when it does no MinHash (nothing to bucket;
 * its resolve is the cluster step alone). The stages were checked before. */
static int stage_kind(json_t *entry, int *bands)
{
	json_t *cfg = NULL;
	const char *name = NULL;
	int kind = cli_stage_entry(entry, &name, &cfg) == 0 && strcmp(name, "dedup") == 0 ?
		DIST_DEDUP : DIST_LOCAL;
	dd_config dc;

	*bands = 0;
	if (kind == DIST_DEDUP && dd_config_from_json(cfg, 0, &dc, NULL) == CUR_OK && dc.minhash)
		*bands = dc.bands;
	json_decref(cfg);
	return kind;
}

/* Build every stage once, so that a bad option is found now and not on a
 * node an hour later. */
static int check_stages(const cur_yaml *y, const cli_common *c, const char *workdir)
{
	char *work = dist_path("%s/work", workdir);
	cli_common cw = *c;
	cur_stage_env env;
	json_t *entry;
	size_t i;

	cw.work = work;
	cli_stage_env(&cw, &env);
	env.pipeline_file = 1;
	json_array_foreach(json_object_get(cur_yaml_root(y), "stages"), i, entry) {
		cur_err err;
		cur_stage *st;

		cur_err_clear(&err);
		env.stage_index = (int)i + 1;
		st = cli_stage_from_entry(entry, &env, &err);
		if (!st) {
			cli_pipeline_stage_error("slurm", y, i, err.msg, stderr);
			free(work);
			return err.code == CUR_EINVAL ? 2 : 3;
		}
		st->ops->destroy(st);
	}
	free(work);
	return 0;
}

static int sink_kind(json_t *pipe, const char *file, int *kind)
{
	json_t *sink = json_object_get(pipe, "sink");

	*kind = DIST_SINK_JSONL;
	if (!sink || json_is_null(sink) || json_object_get(sink, "jsonl"))
		return 0;
	if (json_object_get(sink, "shard") && json_object_size(sink) == 1) {
		*kind = DIST_SINK_SHARD;
		return 0;
	}
	fprintf(stderr, "curate slurm: %s: this sink cannot run distributed (jsonl and shard can)\n",
		file);
	return 2;
}

/* What the shard sink refuses in one process, refused before submitting:
 * a directory holding another run's shards without force (unless this
 * work directory's run wrote them); a dry run has no place on a cluster. */
static int check_shard_sink(json_t *pipe, const cli_common *c, const char *file,
			    const char *workdir)
{
	json_t *cfg = json_object_get(json_object_get(pipe, "sink"), "shard");
	const char *out = json_string_value(json_object_get(cfg, "output"));
	char *manifest, *plan;
	int rc = 0;

	if (json_is_true(json_object_get(cfg, "dry_run"))) {
		fprintf(stderr, "curate slurm: %s: the shard sink's dry_run plans in one process: "
			"use curate run\n", file);
		return 2;
	}
	if (!out)
		out = c->output;
	manifest = dist_path("%s/manifest.json", out ? out : ".");
	plan = dist_path("%s/plan.json", workdir);
	if (manifest && plan && access(manifest, F_OK) == 0 && access(plan, F_OK) != 0 &&
	    !json_is_true(json_object_get(cfg, "force"))) {
		fprintf(stderr, "curate slurm: '%s' already holds shards (manifest.json): set the "
			"shard sink's force: true to replace them\n", out);
		rc = 2;
	}
	free(manifest);
	free(plan);
	return rc;
}

/* The plan: the pipeline (as JSON, with its inputs expanded: a glob that
 * matches more files later does not change a run), the tasks and the
 * steps. */
static json_t *make_plan(slurm_cmd *s, const char *file, json_t *pipe, const cli_inputs *in,
			 int tagged, int sink, int tasks)
{
	size_t n = json_array_size(json_object_get(pipe, "stages")), i;
	int *kind = cur_calloc_array(n + 1, sizeof(*kind));
	int *bands = cur_calloc_array(n + 1, sizeof(*bands));
	json_t *inputs = json_array(), *plan = NULL, *argv = json_pack("[s]", "curate");
	char cwd[PATH_MAX], abs[PATH_MAX];
	dist_graph_in g;

	if (!kind || !bands || !getcwd(cwd, sizeof(cwd)) || !realpath(file, abs))
		goto out;
	for (i = 0; i < n; i++)
		kind[i] = stage_kind(json_array_get(json_object_get(pipe, "stages"), i), &bands[i]);
	for (i = 0; i < in->n; i++)
		json_array_append_new(inputs, json_pack("{s:s, s:s?}", "path", in->paths[i],
							"category", tagged ? in->category[i] : NULL));
	g.nstages = n;
	g.kind = kind;
	g.bands = bands;
	g.sink = sink;
	g.tasks = tasks;
	for (i = 0; i < (size_t)s->c.argc; i++)
		json_array_append_new(argv, json_string(s->c.argv[i]));
	plan = json_pack("{s:s, s:s, s:s, s:o, s:i, s:i, s:O, s:O, s:o}", "format", "curate-slurm-1",
			 "pipeline", abs, "cwd", cwd, "argv", argv, "tasks", tasks, "cpus_per_task",
			 s->so.cpus_per_task, "config", pipe, "inputs", inputs, "steps",
			 dist_graph_build(&g));
	argv = NULL;
out:
	json_decref(inputs);
	json_decref(argv);
	free(kind);
	free(bands);
	return plan;
}

/* The parts of a plan that make two plans the same run. */
static int same_run(json_t *a, json_t *b)
{
	static const char *const keys[] = { "cwd", "tasks", "config", "inputs", "steps", NULL };
	size_t i;

	for (i = 0; keys[i]; i++)
		if (!json_equal(json_object_get(a, keys[i]), json_object_get(b, keys[i])))
			return 0;
	return 1;
}

static int write_scripts(slurm_cmd *s, json_t *plan, cur_err *err)
{
	json_t *step;
	size_t i;
	int rc = CUR_OK;

	json_array_foreach(json_object_get(plan, "steps"), i, step) {
		cur_buf b;
		char *path = dist_path("%s/jobs/%s.sbatch", s->workdir, step_str(step, "name"));
		cur_out *o = NULL;

		cur_buf_init(&b, CUR_BUF_UNLIMITED);
		rc = path ? dist_slurm_script(&b, s->workdir, step_str(plan, "cwd"),
					      step_str(step, "name"), step_tasks(step), &s->so)
			  : CUR_ENOMEM;
		if (rc == CUR_OK && (rc = cur_out_open(&o, path, 1, err)) == CUR_OK &&
		    (rc = cur_out_write(o, b.data, b.len)) == CUR_OK)
			rc = cur_out_finish(o, err);
		if (rc == CUR_OK)
			chmod(path, 0755);
		cur_out_free(o);
		cur_buf_release(&b);
		free(path);
		if (rc < 0)
			return err->code < 0 ? err->code : cur_err_set(err, rc, "cannot write the job scripts");
	}
	return rc;
}

static int make_dirs(const char *workdir, cur_err *err)
{
	static const char *const dirs[] = { "jobs", "logs", "tasks", NULL };
	size_t i;

	for (i = 0; dirs[i]; i++) {
		char *p = dist_path("%s/%s", workdir, dirs[i]);
		int rc = p ? cur_mkdir_p(p, err) : cur_err_set(err, CUR_ENOMEM, "out of memory");

		free(p);
		CUR_FORWARD(rc);
	}
	return CUR_OK;
}

/* Plan the run of file into s->workdir, or find the same plan there from
 * an earlier call (then its tasks' markers stand). OUT: *plan. */
static int plan_run(slurm_cmd *s, const char *file, json_t **plan)
{
	json_t *pipe = NULL, *old = NULL;
	cur_yaml *y = NULL;
	cli_inputs in;
	cli_common c = s->c;
	int tagged = 0, sink, tasks, rc;
	json_t *ntasks = json_object_get(s->cfg, "tasks");
	char *path = NULL;
	cur_err err;

	*plan = NULL;
	memset(&in, 0, sizeof(in));
	cur_err_clear(&err);
	if ((rc = cli_pipeline_open("slurm", file, &y)) != 0)
		goto out;
	pipe = json_incref(cur_yaml_root(y));
	if ((rc = cli_inputs_expand("slurm", y, 0, &in, &tagged)) != 0)
		goto out;
	if (in.n == 0) {
		fprintf(stderr, "curate slurm: %s: 'inputs' must name files: a path, a list of "
			"paths, or a mapping of categories to paths\n", file);
		rc = 2;
		goto out;
	}
	if (cli_pipeline_common(pipe, &c) < 0) {
		fprintf(stderr, "curate slurm: %s: 'warc_types' must list response, conversion, "
			"resource or metadata\n", file);
		rc = 2;
		goto out;
	}
	if ((rc = sink_kind(pipe, file, &sink)) || (rc = check_stages(y, &c, s->workdir)))
		goto out;
	if (sink == DIST_SINK_SHARD && (rc = check_shard_sink(pipe, &c, file, s->workdir)))
		goto out;
	if (sink == DIST_SINK_JSONL && !c.output) {
		fprintf(stderr, "curate slurm: %s: give 'output:' (a distributed run writes no stdout)\n",
			file);
		rc = 2;
		goto out;
	}
	tasks = ntasks ? (int)json_integer_value(ntasks) : 1;
	if (tasks < 1 || tasks > 65535) {
		fprintf(stderr, "curate slurm: --tasks wants 1..65535\n");
		rc = 2;
		goto out;
	}
	/* A task's slice is a set of input files (so that each step's output
	 * keeps the inputs' order); more tasks than files would idle. */
	if ((size_t)tasks > in.n) {
		fprintf(stderr, "curate slurm: %d tasks for %zu input file%s: using %zu (a task takes "
			"whole files; split large inputs to use more)\n", tasks, in.n,
			in.n == 1 ? "" : "s", in.n);
		tasks = (int)in.n;
	}
	if (s->so.cpus_per_task < 1)
		s->so.cpus_per_task = c.jobs;
	*plan = make_plan(s, file, pipe, &in, tagged, sink, tasks);
	if (!*plan) {
		fprintf(stderr, "curate slurm: cannot plan '%s': %s\n", file, strerror(errno));
		rc = 3;
		goto out;
	}
	path = dist_path("%s/plan.json", s->workdir);
	if (path && access(path, F_OK) == 0) {
		old = dist_json_load(path, &err);
		if (!old || !same_run(old, *plan)) {
			fprintf(stderr, "curate slurm: '%s' holds another run (%s): give another -o, "
				"or remove it\n", s->workdir, old ? "its plan.json differs" : err.msg);
			rc = 2;
			goto out;
		}
	}
	if (make_dirs(s->workdir, &err) < 0 || dist_json_save(path, *plan, &err) < 0 ||
	    write_scripts(s, *plan, &err) < 0) {
		fprintf(stderr, "curate slurm: %s\n", err.msg);
		rc = 3;
	}
out:
	if (rc) {
		json_decref(*plan);
		*plan = NULL;
	}
	json_decref(old);
	free(path);
	cli_inputs_free(&in);
	json_decref(pipe);
	cur_yaml_free(y);
	return rc;
}

/* ---- commands, submission, status ---- */

static void print_commands(slurm_cmd *s, json_t *plan)
{
	json_t *step;
	size_t i;

	printf("# curate slurm: %zu steps; the tasks of a step may run at once, each step after "
	       "the one before it\n", json_array_size(json_object_get(plan, "steps")));
	json_array_foreach(json_object_get(plan, "steps"), i, step) {
		int r;

		printf("# step %s: %d task%s\n", step_str(step, "name"), step_tasks(step),
		       step_tasks(step) == 1 ? "" : "s");
		for (r = 0; r < step_tasks(step); r++) {
			cur_buf b;
			char rank[16];

			snprintf(rank, sizeof(rank), "%d", r);
			cur_buf_init(&b, CUR_BUF_UNLIMITED);
			if (dist_task_command(&b, s->so.curate, s->workdir, step_str(step, "name"),
					      rank, step_tasks(step)) == CUR_OK)
				printf("%s\n", b.data);
			cur_buf_release(&b);
		}
	}
}

/* The job ids of the last submission, as "12,13,14" (borrowed into buf). */
static const char *submitted_ids(json_t *sub, char *buf, size_t cap)
{
	const char *step;
	json_t *v;
	size_t n = 0;

	buf[0] = '\0';
	json_object_foreach(json_object_get(sub, "jobs"), step, v) {
		const char *id = json_string_value(json_object_get(v, "job"));

		if (id && n + strlen(id) + 2 < cap)
			n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "," : "", id);
	}
	return buf;
}

static json_t *load_submitted(const char *workdir)
{
	char *path = dist_path("%s/submitted.json", workdir);
	json_t *o = path ? json_load_file(path, 0, NULL) : NULL;

	free(path);
	return o;
}

/* Submit every step with the tasks not done, each after the last step
 * submitted before it. Refuses while jobs of an earlier submission are
 * still queued or running. */
static int submit(slurm_cmd *s, json_t *plan)
{
	json_t *old = load_submitted(s->workdir), *active = NULL, *jobs = json_object(), *step;
	char ids[8192], prev[64] = "";
	const char *step_name;
	size_t i, nsub = 0;
	struct timespec start;
	cur_err err;
	int rc = 0;

	cur_err_clear(&err);
	clock_gettime(CLOCK_REALTIME, &start);
	if (old && dist_slurm_active(submitted_ids(old, ids, sizeof(ids)), &active, &err) < 0) {
		fprintf(stderr, "curate slurm: %s\n", err.msg);
		rc = 3;
		goto out;
	}
	if (json_object_size(active)) {
		fprintf(stderr, "curate slurm: jobs %s of '%s' are still queued or running: wait for "
			"them (curate slurm --wait) or scancel them first\n", ids, s->workdir);
		rc = 2;
		goto out;
	}
	json_array_foreach(json_object_get(plan, "steps"), i, step) {
		int *todo = cur_calloc_array((size_t)step_tasks(step) + 1, sizeof(*todo));
		char job[64], *script, *array;
		size_t n = 0;
		cur_buf b;
		int r;

		step_name = step_str(step, "name");
		for (r = 0; todo && r < step_tasks(step); r++) {
			if (dist_task_state(s->workdir, step_name, r) == DIST_TASK_DONE)
				continue;
			dist_task_clear(s->workdir, step_name, r);
			todo[n++] = r;
		}
		cur_buf_init(&b, CUR_BUF_UNLIMITED);
		if (!todo || dist_array_spec(&b, todo, n) < 0) {
			free(todo);
			fprintf(stderr, "curate slurm: out of memory\n");
			rc = 3;
			break;
		}
		free(todo);
		array = cur_buf_detach(&b, NULL);
		if (!n) {
			free(array);
			continue;
		}
		script = dist_path("%s/jobs/%s.sbatch", s->workdir, step_name);
		rc = script ? dist_slurm_submit(script, array, prev, job, sizeof(job), &err)
			    : cur_err_set(&err, CUR_ENOMEM, "out of memory");
		free(script);
		if (rc < 0) {
			fprintf(stderr, "curate slurm: %s\n", err.msg);
			free(array);
			rc = 3;
			break;
		}
		json_object_set_new(jobs, step_name, json_pack("{s:s, s:s}", "job", job, "array", array));
		if (!s->c.quiet)
			fprintf(stderr, "curate slurm: %s: job %s, tasks %s%s%s\n", step_name, job,
				array, *prev ? ", after job " : "", prev);
		free(array);
		snprintf(prev, sizeof(prev), "%s", job);
		nsub++;
	}
	if (json_object_size(jobs)) {
		char *path = dist_path("%s/submitted.json", s->workdir);
		json_t *sub = json_pack("{s:f, s:O}", "time", (double)start.tv_sec +
					(double)start.tv_nsec / 1e9, "jobs", jobs);

		if (!path || dist_json_save(path, sub, &err) < 0) {
			fprintf(stderr, "curate slurm: %s\n", err.msg);
			rc = 3;
		}
		json_decref(sub);
		free(path);
	}
	if (rc == 0 && nsub == 0)
		fprintf(stderr, "curate slurm: every task of '%s' is done: nothing to submit\n",
			s->workdir);
out:
	json_decref(jobs);
	json_decref(old);
	json_decref(active);
	return rc;
}

/* A task's state for people: from its markers, and from Slurm for the
 * tasks of the last submission that have not finished. */
static const char *task_state(slurm_cmd *s, json_t *sub, json_t *active, const char *step, int r)
{
	const char *job = json_string_value(json_object_get(json_object_get(json_object_get(sub, "jobs"),
									step), "job"));
	const char *q = NULL;
	char key[96];

	if (job) {
		snprintf(key, sizeof(key), "%s_%d", job, r);
		q = json_string_value(json_object_get(active, key));
	}
	switch (dist_task_state(s->workdir, step, r)) {
	case DIST_TASK_DONE:
		return "done";
	case DIST_TASK_FAILED:
		return q ? "running" : "failed";
	case DIST_TASK_STARTED:
		/* Started, not finished, not in the queue: killed. */
		return q ? "running" : "killed";
	}
	if (q)
		return strcmp(q, "RUNNING") == 0 ? "running" : "pending";
	/* Submitted, ended, never started: cancelled (its dependency failed)
	 * or failed before curate ran (the log says). */
	return job ? "never started" : "not submitted";
}

/* Under a failed task's line: the error its failed marker holds, so that
 * --status says why without opening the log. */
static void print_failure(const char *workdir, const char *step, int rank)
{
	json_t *info = dist_task_load(workdir, step, rank, DIST_TASK_FAILED);
	const char *msg = json_string_value(json_object_get(info, "error"));

	if (msg && *msg)
		printf("%-22s %5s  %-13s error: %s\n", "", "", "", msg);
	json_decref(info);
}

/* Print every task (or only those not done) and count them. Returns the
 * number of tasks not done. */
static int show_status(slurm_cmd *s, json_t *plan, int all)
{
	json_t *sub = load_submitted(s->workdir), *active = NULL, *step;
	char ids[8192];
	size_t i;
	int done = 0, total = 0;
	cur_err err;

	cur_err_clear(&err);
	if (sub && dist_slurm_active(submitted_ids(sub, ids, sizeof(ids)), &active, &err) < 0)
		fprintf(stderr, "curate slurm: %s (states from the work directory only)\n", err.msg);
	if (all)
		printf("%-22s %5s  %-13s %s\n", "step", "task", "state", "log");
	json_array_foreach(json_object_get(plan, "steps"), i, step) {
		const char *name = step_str(step, "name");
		int r;

		for (r = 0; r < step_tasks(step); r++) {
			const char *st = task_state(s, sub, active, name, r);

			total++;
			done += strcmp(st, "done") == 0;
			if (all || strcmp(st, "done") != 0)
				printf("%-22s %5d  %-13s %s/logs/%s-%d.log\n", name, r, st, s->workdir,
				       name, r);
			if (strcmp(st, "failed") == 0)
				print_failure(s->workdir, name, r);
		}
	}
	printf("curate slurm: %d of %d tasks done in %s\n", done, total, s->workdir);
	json_decref(sub);
	json_decref(active);
	return total - done;
}

/* Poll squeue until no job of the last submission is queued or running
 * (sbatch --wait is slow to notice the end), then say how it went. */
static int wait_jobs(slurm_cmd *s, json_t *plan)
{
	json_t *sub = load_submitted(s->workdir);
	char ids[8192];
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	int rc = 0, last_done = -1;
	cur_err err;

	cur_err_clear(&err);
	submitted_ids(sub, ids, sizeof(ids));
	for (;;) {
		json_t *active = NULL, *step;
		size_t i;
		int done = 0;

		if (dist_slurm_active(ids, &active, &err) < 0) {
			fprintf(stderr, "curate slurm: %s\n", err.msg);
			rc = 3;
			break;
		}
		json_array_foreach(json_object_get(plan, "steps"), i, step) {
			int r;

			for (r = 0; r < step_tasks(step); r++)
				done += dist_task_state(s->workdir, step_str(step, "name"), r) ==
					DIST_TASK_DONE;
		}
		if (done != last_done && !s->c.quiet)
			fprintf(stderr, "curate slurm: %d tasks done, %zu queued or running\n", done,
				json_object_size(active));
		last_done = done;
		if (!json_object_size(active)) {
			json_decref(active);
			break;
		}
		json_decref(active);
		nanosleep(&pause, NULL);
		/* Poll fast while jobs start and end within seconds, then less. */
		if (pause.tv_nsec < 900 * 1000 * 1000)
			pause.tv_nsec += 100 * 1000 * 1000;
	}
	json_decref(sub);
	if (rc == 0 && show_status(s, plan, 0) > 0) {
		fprintf(stderr, "curate slurm: not every task is done: see the logs above, then "
			"curate slurm --resume %s\n", s->workdir);
		rc = 1;
	}
	return rc;
}

/* The binary the job scripts run: this one, by its absolute path. */
static void default_curate(char *buf, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", buf, cap - 1);

	if (n <= 0)
		snprintf(buf, cap, "curate");
	else
		buf[n] = '\0';
}

static int load_existing(slurm_cmd *s, json_t **plan)
{
	char *path = dist_path("%s/plan.json", s->workdir);
	cur_err err;

	cur_err_clear(&err);
	*plan = path ? dist_json_load(path, &err) : NULL;
	free(path);
	if (!*plan) {
		fprintf(stderr, "curate slurm: '%s' is not a work directory of curate slurm: %s\n",
			s->workdir, err.msg);
		return 2;
	}
	if (s->so.cpus_per_task < 1)
		s->so.cpus_per_task = (int)json_integer_value(json_object_get(*plan, "cpus_per_task"));
	return 0;
}

/* The common options a pipeline file sets (report, rejects, seed, -j, ...)
 * are the file's in a distributed run, where every task reads them from the
 * plan: given on this command line they would be lost, so they are refused
 * (-j is --cpus-per-task here). NULL when none was given. */
static const char *file_option_given(const cli_common *c)
{
	cli_common d;

	cli_common_init(&d);
	if (c->report || c->report_html || c->rejects)
		return "--report, --report-html and --rejects";
	if (c->jobs != d.jobs)
		return "-j (give --cpus-per-task)";
	if (c->seed || c->strict || c->tokenizer || c->report_tokens)
		return "--seed, --strict, --tokenizer and --report-tokens";
	if (strcmp(c->text_field, d.text_field) != 0 || c->split_paragraphs ||
	    c->max_doc_bytes != d.max_doc_bytes || c->warc_types || c->warc_all_status)
		return "the reader's options";
	return NULL;
}

int cmd_slurm(int argc, char **argv)
{
	slurm_cmd s;
	json_t *plan = NULL;
	const char *dir, *run;
	char curate[PATH_MAX];
	int rc, by_workdir;

	memset(&s, 0, sizeof(s));
	s.cfg = json_object();
	rc = cli_parse("slurm", slurm_options, argc, argv, &s.c, s.cfg);
	if (rc) {
		json_decref(s.cfg);
		return rc < 0 ? 0 : rc;
	}
	if (file_option_given(&s.c)) {
		fprintf(stderr, "curate slurm: %s belong in the pipeline file: every task reads them "
			"from its plan\n", file_option_given(&s.c));
		rc = 2;
		goto out;
	}
	run = opt_str(&s, "run");
	by_workdir = run || opt_flag(&s, "status") || opt_flag(&s, "resume") ||
		     (opt_flag(&s, "wait") && !opt_flag(&s, "submit"));
	/* WORKDIR is -o, or the argument when the command works on one. */
	dir = s.c.output ? s.c.output : by_workdir && s.c.ninputs == 1 ? s.c.inputs[0] : NULL;
	if (!dir || (by_workdir ? s.c.ninputs > (s.c.output ? 0 : 1) : s.c.ninputs != 1)) {
		fprintf(stderr, "curate slurm: give %s\nTry 'curate slurm --help'.\n",
			by_workdir ? "one work directory" : "one pipeline file and -o WORKDIR");
		rc = 2;
		goto out;
	}
	if (!by_workdir && cur_mkdir_p(dir, NULL) < 0) {
		fprintf(stderr, "curate slurm: cannot create '%s': %s\n", dir, strerror(errno));
		rc = 3;
		goto out;
	}
	if (!realpath(dir, s.workdir)) {
		fprintf(stderr, "curate slurm: '%s'%s: %s\n", dir,
			by_workdir ? " is not a work directory of curate slurm" : "", strerror(errno));
		rc = by_workdir ? 2 : 3;
		goto out;
	}
	if (run) {
		rc = slurm_task_run(s.workdir, run, s.c.rank, s.c.world);
		goto out;
	}
	default_curate(curate, sizeof(curate));
	s.so.curate = opt_str(&s, "curate") ? opt_str(&s, "curate") : curate;
	s.so.partition = opt_str(&s, "partition");
	s.so.account = opt_str(&s, "account");
	s.so.mem = opt_str(&s, "mem");
	s.so.time = opt_str(&s, "time");
	s.so.cpus_per_task = (int)json_integer_value(json_object_get(s.cfg, "cpus_per_task"));
	{
		json_t *a = json_object_get(s.cfg, "sbatch_arg");
		size_t i;

		s.so.nsbatch_args = json_array_size(a);
		s.so.sbatch_args = cur_calloc_array(s.so.nsbatch_args + 1, sizeof(char *));
		for (i = 0; s.so.sbatch_args && i < s.so.nsbatch_args; i++)
			((const char **)s.so.sbatch_args)[i] = json_string_value(json_array_get(a, i));
	}
	rc = by_workdir ? load_existing(&s, &plan) : plan_run(&s, s.c.inputs[0], &plan);
	if (rc)
		goto out;
	if (opt_flag(&s, "status")) {
		rc = show_status(&s, plan, 1) > 0;
		goto out;
	}
	if (opt_flag(&s, "print_commands"))
		print_commands(&s, plan);
	if (opt_flag(&s, "resume")) {
		cur_err err;

		/* Job scripts follow this call's Slurm options. */
		cur_err_clear(&err);
		if (write_scripts(&s, plan, &err) < 0) {
			fprintf(stderr, "curate slurm: %s\n", err.msg);
			rc = 3;
			goto out;
		}
	}
	if (opt_flag(&s, "submit") || opt_flag(&s, "resume"))
		rc = submit(&s, plan);
	if (rc == 0 && opt_flag(&s, "wait"))
		rc = wait_jobs(&s, plan);
	if (rc == 0 && !opt_flag(&s, "submit") && !opt_flag(&s, "resume") &&
	    !opt_flag(&s, "wait") && !opt_flag(&s, "print_commands"))
		fprintf(stderr, "curate slurm: job scripts in %s/jobs; submit them with --submit\n",
			s.workdir);
out:
	free((void *)s.so.sbatch_args);
	json_decref(plan);
	json_decref(s.cfg);
	return rc;
}
