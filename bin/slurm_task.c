#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "bin/pipeline_file.h"
#include "bin/slurm_task.h"
#include "core/file.h"
#include "dedup/dedup.h"
#include "dist/parts.h"
#include "dist/report.h"
#include "dist/workdir.h"
#include "report/report.h"
#include "shards/shard.h"

/* A task runs in the directory the run was planned from (the pipeline's
 * paths are relative to it), reads the plan, does its step's work on its
 * slice, and leaves its report as the done marker, last. */

int slurm_plan_load(slurm_plan *p, const char *workdir, cur_err *err)
{
	char *path = dist_path("%s/plan.json", workdir);
	json_t *inputs, *v;
	size_t i;

	memset(p, 0, sizeof(*p));
	if (!path)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	p->plan = dist_json_load(path, err);
	free(path);
	if (!p->plan)
		return err->code;
	p->config = json_object_get(p->plan, "config");
	inputs = json_object_get(p->plan, "inputs");
	p->tasks = (int)json_integer_value(json_object_get(p->plan, "tasks"));
	if (!json_is_object(p->config) || !json_is_array(inputs) || p->tasks < 1 ||
	    !json_is_array(json_object_get(p->plan, "steps")))
		return cur_err_set(err, CUR_EDATA, "%s/plan.json: not a plan of curate slurm", workdir);
	p->ninputs = json_array_size(inputs);
	p->inputs = cur_calloc_array(p->ninputs + 1, sizeof(*p->inputs));
	p->category = cur_calloc_array(p->ninputs + 1, sizeof(*p->category));
	if (!p->inputs || !p->category)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	json_array_foreach(inputs, i, v) {
		p->inputs[i] = (char *)json_string_value(json_object_get(v, "path"));
		p->category[i] = json_string_value(json_object_get(v, "category"));
		if (!p->inputs[i])
			return cur_err_set(err, CUR_EDATA, "%s/plan.json: input %zu has no path",
					   workdir, i);
	}
	cli_common_init(&p->c);
	p->c.quiet = 0;
	if (cli_pipeline_common(p->config, &p->c) < 0)
		return cur_err_set(err, CUR_EDATA, "%s/plan.json: bad warc_types", workdir);
	p->run_jobs = p->c.jobs;
	p->c.jobs = (int)json_integer_value(json_object_get(p->plan, "cpus_per_task"));
	if (p->c.jobs < 1)
		p->c.jobs = 1;
	return CUR_OK;
}

void slurm_plan_release(slurm_plan *p)
{
	free(p->inputs);
	free(p->category);
	json_decref(p->plan);
	memset(p, 0, sizeof(*p));
}

json_t *slurm_plan_step(const slurm_plan *p, const char *name)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(p->plan, "steps"), i, s)
		if (strcmp(json_string_value(json_object_get(s, "name")), name) == 0)
			return s;
	return NULL;
}

typedef struct task {
	const char *workdir;
	slurm_plan p;
	json_t *step;
	const char *name, *kind;
	int rank;
	char *work;                 /* WORKDIR/work: the pipeline's work directory */
} task;

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* The common options of a task: the pipeline's, its slice of the inputs,
 * on the task's CPUs, with the run's work directory (where the passes hand
 * documents on and dedup keeps its files, docs/dedup.md). */
static void task_common(task *t, cli_common *c)
{
	*c = t->p.c;
	c->inputs = t->p.inputs;
	c->ninputs = (int)t->p.ninputs;
	c->input_category = json_is_object(json_object_get(t->p.config, "inputs")) ?
		t->p.category : NULL;
	c->rank = t->rank;
	c->world = t->p.tasks;
	c->work = t->work;
}

/* What stages and sinks are built with: as `curate run` builds them. */
static void task_env(const cli_common *c, cur_stage_env *env)
{
	cli_stage_env(c, env);
	env->pipeline_file = 1;
}

/* The path of part R of kind ("parts", "rejects") for step, after
 * removing what a killed attempt left of it. */
static char *my_part(task *t, const char *kind, const char *step, cur_err *err)
{
	char *dir = dist_path("%s/%s/%s", t->workdir, kind, step);
	char *path = dir ? dist_part_path(dir, (size_t)t->rank) : NULL;

	if (!path)
		cur_err_set(err, CUR_ENOMEM, "out of memory");
	else if (cur_mkdir_p(dir, err) < 0) {
		free(path);
		path = NULL;
	} else {
		dist_remove_temporaries(path);
	}
	free(dir);
	return path;
}

static void free_stages(cur_stage **stages, size_t n)
{
	size_t i;

	for (i = 0; stages && i < n; i++)
		stages[i]->ops->destroy(stages[i]);
	free(stages);
}

/* Every stage of the pipeline file, built as `curate run` builds them (a
 * pass runs its share of them). */
static cur_stage **build_stages(task *t, const cur_stage_env *env0, size_t *n, cur_err *err)
{
	json_t *entries = json_object_get(t->p.config, "stages");
	cur_stage **stages = cur_calloc_array(json_array_size(entries) + 1, sizeof(*stages));
	cur_stage_env env = *env0;
	size_t i;

	*n = 0;
	if (!stages) {
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	for (i = 0; i < json_array_size(entries); i++) {
		env.stage_index = (int)i + 1;
		if (!(stages[i] = cli_stage_from_entry(json_array_get(entries, i), &env, err))) {
			free_stages(stages, i);
			return NULL;
		}
	}
	*n = i;
	return stages;
}

/* The files of the dedup at stage k (1-based): WORKDIR/work/dedup-k. */
static char *dedup_dir(task *t, json_int_t k)
{
	return dist_path("%s/dedup-%lld", t->work, (long long)k);
}

/* "dedup-bucket": the candidate pairs of bands r, r + B, ... */
static int run_bucket(task *t, json_t *report, cur_err *err)
{
	char *dir = dedup_dir(t, json_integer_value(json_object_get(t->step, "stage")));
	int ntasks = (int)json_integer_value(json_object_get(t->step, "tasks"));
	int bands = (int)json_integer_value(json_object_get(t->step, "bands")), b;
	int rc = CUR_OK;

	if (!dir)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	for (b = t->rank; rc == CUR_OK && b < bands; b += ntasks) {
		json_t *r = json_object();

		if ((rc = dd_phase_bucket(dir, b, r, err)) == CUR_OK)
			dist_report_add(report, r);
		json_decref(r);
	}
	free(dir);
	return rc;
}

/* "dedup-cluster": clusters from every band's pairs, and each rank's
 * decisions. */
static int run_cluster(task *t, json_t *report, cur_err *err)
{
	char *dir = dedup_dir(t, json_integer_value(json_object_get(t->step, "stage")));
	int rc = dir ? dd_phase_cluster(dir, report, err) : cur_err_set(err, CUR_ENOMEM, "out of memory");

	free(dir);
	return rc;
}

/* ---- the shard sink in parts ---- */

/* The tasks of the plan's step of kind (0 when it has none). */
static int step_tasks_of(task *t, const char *kind)
{
	json_t *step;
	size_t i;

	json_array_foreach(json_object_get(t->p.plan, "steps"), i, step)
		if (strcmp(str(step, "kind"), kind) == 0)
			return (int)json_integer_value(json_object_get(step, "tasks"));
	return 0;
}

static json_t *shard_config(task *t)
{
	return json_object_get(json_object_get(t->p.config, "sink"), "shard");
}

/* WORKDIR/shard/KIND-R.SUFFIX for every task r of world (malloc'd). */
static char **shard_files(task *t, const char *kind, const char *suffix, int world, cur_err *err)
{
	char **v = cur_calloc_array((size_t)world + 1, sizeof(*v));
	int r;

	for (r = 0; v && r < world; r++)
		if (!(v[r] = dist_path("%s/shard/%s-%d%s", t->workdir, kind, r, suffix)))
			break;
	if (!v || r < world) {
		for (r = 0; v && r < world; r++)
			free(v[r]);
		free(v);
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	return v;
}

static void free_files(char **v, int n)
{
	int i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* The shard sink doing part of the run: SPILL for this task's slice, or
 * WRITE (task rank of world writes its share of the shards) or MANIFEST,
 * over every slice's spill. */
static cur_sink *shard_part_sink(task *t, int what, int world, shard_part *part, char ***files,
				 char ***entries, cur_err *err)
{
	cur_stage_env env;
	cli_common c;

	task_common(t, &c);
	memset(part, 0, sizeof(*part));
	part->what = what;
	part->rank = t->rank;
	part->world = world;
	if (!(*files = shard_files(t, "spill", "", t->p.tasks, err)))
		return NULL;
	part->spill_dir = (*files)[t->rank < t->p.tasks ? t->rank : 0];
	part->spill_dirs = *files;
	part->nspill = (size_t)t->p.tasks;
	if (what != SHARD_PART_SPILL) {
		int n = step_tasks_of(t, "shard-write");

		if (!(*entries = shard_files(t, "entries", ".json", n, err)))
			return NULL;
		part->entries = (*entries)[t->rank < n ? t->rank : 0];
		part->entry_files = *entries;
		part->nentries = (size_t)n;
	}
	task_env(&c, &env);
	return shard_sink_part(shard_config(t), &env, c.output, part, err);
}

/* "shard-write": this task's share of the shards, read from every slice's
 * spill. */
static int run_shard_write(task *t, json_t *report, cur_err *err)
{
	char **files = NULL, **entries = NULL;
	shard_part part;
	cur_sink *sink;
	int world = (int)json_integer_value(json_object_get(t->step, "tasks"));
	int rc;

	sink = shard_part_sink(t, SHARD_PART_WRITE, world, &part, &files, &entries, err);
	rc = sink ? sink->ops->finish(sink, report, err) : err->code ? err->code : CUR_EIO;
	if (sink)
		sink->ops->destroy(sink);
	free_files(files, t->p.tasks);
	free_files(entries, world);
	return rc;
}

/* "pass": pass K of the pipeline (core/pipeline.h) over this task's slice
 * of the inputs, as `curate run --pass K --rank R --world N` runs it: the
 * stages up to the next global stage, which observes, or, in the last pass,
 * on to the sink: this task's part of the output, or the shard sink's
 * spill. Its dropped documents go to its part of the pass's rejects. */
static int run_pass(task *t, json_t *report, cur_err *err)
{
	const char *output = str(t->step, "output");
	char *out = NULL, *rejects = NULL, **spills = NULL, **shares = NULL;
	cur_stage **stages = NULL;
	cur_sink *sink = NULL;
	shard_part part;
	cur_stage_env env;
	cli_common c;
	size_t n = 0;
	int rc;

	task_common(t, &c);
	c.pass = (int)json_integer_value(json_object_get(t->step, "pass"));
	if (c.rejects && !(rejects = my_part(t, "rejects", t->name, err))) {
		rc = err->code;
		goto out;
	}
	c.rejects = rejects;
	task_env(&c, &env);
	if (!(stages = build_stages(t, &env, &n, err))) {
		rc = err->code ? err->code : CUR_EINVAL;
		goto out;
	}
	if (strcmp(output, "spill") == 0) {
		sink = shard_part_sink(t, SHARD_PART_SPILL, t->p.tasks, &part, &spills, &shares, err);
	} else if (strcmp(output, "parts") == 0) {
		if ((out = my_part(t, "parts", t->name, err)))
			sink = cur_jsonl_sink_new(out, c.jobs, err);
	} else {
		/* Not the last pass: its documents go to the work directory. */
		sink = cur_jsonl_sink_new("/dev/null", 1, err);
	}
	if (!sink) {
		rc = err->code ? err->code : CUR_EIO;
		goto out;
	}
	rc = cli_pipeline_report("slurm", &c, stages, n, sink, report, err);
	if (rc == CUR_OK)
		cli_print_summary("slurm", report);
out:
	free_stages(stages, n);
	if (sink)
		sink->ops->destroy(sink);
	free_files(spills, t->p.tasks);
	free(out);
	free(rejects);
	return rc;
}

/* ---- finish: gather the outputs, merge the reports ---- */

/* The report's "run": the command that planned the run, the pipeline
 * file, the seed, the tasks; started when the first task did. */
static json_t *run_info(task *t, double started)
{
	json_t *argv = json_object_get(t->p.plan, "argv"), *v, *run;
	char **args = cur_calloc_array(json_array_size(argv) + 1, sizeof(*args));
	cli_common c = t->p.c;
	size_t i;

	json_array_foreach(argv, i, v)
		if (args && i > 0)
			args[i - 1] = (char *)json_string_value(v);
	c.argc = args && json_array_size(argv) ? (int)json_array_size(argv) - 1 : 0;
	c.argv = args;
	c.rank = 0;
	c.world = t->p.tasks;
	run = cli_run_info(&c, NULL, (time_t)started);
	free(args);
	return run;
}

/* The last pass (the one that feeds the sink). */
static json_t *last_pass(task *t)
{
	json_t *step, *last = NULL;
	size_t i;

	json_array_foreach(json_object_get(t->p.plan, "steps"), i, step)
		if (strcmp(str(step, "kind"), "pass") == 0)
			last = step;
	return last;
}

/* The parts of kind ("parts", "rejects") of every pass and task, pass after
 * pass, task after task: the order one process writes them in, since a
 * task's slice is a block of consecutive inputs. Only the last pass when
 * last_only. */
static char **pass_parts(task *t, const char *kind, int last_only, size_t *n, cur_err *err)
{
	json_t *steps = json_object_get(t->p.plan, "steps"), *step, *last = last_pass(t);
	char **files = cur_calloc_array((size_t)t->p.tasks * json_array_size(steps) + 1,
					sizeof(*files));
	size_t i;
	int r;

	*n = 0;
	if (!files) {
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	json_array_foreach(steps, i, step) {
		char *dir;

		if (strcmp(str(step, "kind"), "pass") != 0 || (last_only && step != last))
			continue;
		dir = dist_path("%s/%s/%s", t->workdir, kind, str(step, "name"));
		for (r = 0; dir && r < t->p.tasks; r++)
			if ((files[*n] = dist_part_path(dir, (size_t)r)))
				(*n)++;
		free(dir);
	}
	return files;
}

/* The JSON Lines output (the last pass's parts, in task order), or the
 * rejects (every pass's), as one process writes them. */
static int gather(task *t, const char *kind, const char *out, int threads, cur_err *err)
{
	size_t n, i;
	char **files = pass_parts(t, kind, strcmp(kind, "parts") == 0, &n, err);
	int rc;

	if (!files)
		return err->code;
	rc = dist_parts_concat(files, n, out, threads, err);
	for (i = 0; i < n; i++)
		free(files[i]);
	free(files);
	return rc;
}

/* When the run's first task started (from its marker). */
static double first_start(task *t)
{
	json_t *step;
	double first = 0;
	size_t i;

	json_array_foreach(json_object_get(t->p.plan, "steps"), i, step) {
		int n = (int)json_integer_value(json_object_get(step, "tasks")), r;

		for (r = 0; r < n; r++) {
			json_t *d = dist_task_load(t->workdir, str(step, "name"), r, DIST_TASK_DONE);
			double s = json_number_value(json_object_get(d, "start"));

			if (d && (first == 0 || s < first))
				first = s;
			json_decref(d);
		}
	}
	return first;
}

/* The CPU time this task used (user and system), which a loaded machine
 * does not stretch as it does the wall time. */
static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* The most memory this task held (resident), as getrusage says. */
static json_int_t peak_rss(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? (json_int_t)ru.ru_maxrss * 1024 : 0;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "finish": the outputs a single process would have written, and the run
 * report. */
static int run_finish(task *t, json_t *report, cur_err *err)
{
	json_t *merged = NULL, *last = last_pass(t), *sink_report = NULL;
	char *path = NULL;
	int rc = CUR_OK;

	if (strcmp(str(last, "output"), "spill") == 0) {
		char **files = NULL, **entries = NULL;
		shard_part part;
		cur_sink *sink = shard_part_sink(t, SHARD_PART_MANIFEST, 1, &part, &files, &entries,
						 err);

		sink_report = json_object();
		rc = sink ? sink->ops->finish(sink, sink_report, err) : err->code ? err->code : CUR_EIO;
		if (rc == CUR_OK && sink->ops->summary)
			fputs(sink->ops->summary(sink), stderr);
		if (sink)
			sink->ops->destroy(sink);
		free_files(files, t->p.tasks);
		free_files(entries, step_tasks_of(t, "shard-write"));
	} else if (t->p.c.output) {
		rc = gather(t, "parts", t->p.c.output, t->p.run_jobs, err);
	}
	if (rc == CUR_OK && t->p.c.rejects)
		rc = gather(t, "rejects", t->p.c.rejects, 1, err);
	if (rc < 0)
		goto out;
	merged = dist_report_merge(t->workdir, json_object_get(t->p.plan, "steps"), t->name,
				   json_incref(sink_report), run_info(t, first_start(t)),
				   t->p.tasks, t->p.c.jobs, now_seconds(), err);
	if (!merged) {
		rc = err->code;
		goto out;
	}
	path = dist_path("%s/report.json", t->workdir);
	rc = path ? dist_json_save(path, merged, err) : cur_err_set(err, CUR_ENOMEM, "out of memory");
	if (rc == CUR_OK && t->p.c.report)
		rc = dist_json_save(t->p.c.report, merged, err);
	if (rc == CUR_OK && t->p.c.report_html) {
		char docs[4096];
		rpt_opts ro = { rpt_docs_url(docs, sizeof(docs)), t->p.c.report ? t->p.c.report : path };

		rc = rpt_html_write(merged, &ro, t->p.c.report_html, err);
	}
	if (rc == CUR_OK) {
		cli_print_summary("slurm", merged);
		json_object_set_new(report, "report", json_string(path));
	}
out:
	free(path);
	json_decref(merged);
	json_decref(sink_report);
	return rc;
}

static json_t *started_info(task *t, double start)
{
	char host[256] = "";
	const char *job = getenv("SLURM_JOB_ID"), *array = getenv("SLURM_ARRAY_JOB_ID");

	gethostname(host, sizeof(host) - 1);
	return json_pack("{s:s, s:i, s:i, s:s, s:s?, s:s?, s:f}", "step", t->name, "rank", t->rank,
			 "pid", (int)getpid(), "host", host, "slurm_job_id", job,
			 "slurm_array_job_id", array, "start", start);
}

/* For testing restarts on a real scheduler (tests/cli/slurm.sh, and a
 * cluster's own checks): CURATE_SLURM_STALL=STEP/RANK stops that task after
 * its outputs are written and before its done marker, the worst moment to
 * be killed, until it is killed. */
static void maybe_stall(const task *t)
{
	const char *v = getenv("CURATE_SLURM_STALL");
	char want[128];

	snprintf(want, sizeof(want), "%s/%d", t->name, t->rank);
	if (!v || strcmp(v, want) != 0)
		return;
	fprintf(stderr, "curate slurm: %s task %d: stalled (CURATE_SLURM_STALL) until killed\n",
		t->name, t->rank);
	for (;;)
		pause();
}

/* What each kind of step runs (dist/graph.h names them). */
static const struct step_kind {
	const char *kind;
	int (*run)(task *t, json_t *report, cur_err *err);
} step_kinds[] = {
	{ "pass", run_pass },
	{ "dedup-bucket", run_bucket },
	{ "dedup-cluster", run_cluster },
	{ "shard-write", run_shard_write },
	{ "finish", run_finish },
};

static int run_step(task *t, json_t *report, cur_err *err)
{
	size_t i;

	for (i = 0; i < sizeof(step_kinds) / sizeof(step_kinds[0]); i++)
		if (strcmp(step_kinds[i].kind, t->kind) == 0)
			return step_kinds[i].run(t, report, err);
	return cur_err_set(err, CUR_EINVAL, "step %s: unknown kind '%s'", t->name, t->kind);
}

/* After the run, what only the run needed: the work directory (the dedups'
 * files, the documents the passes handed on), the shard sink's spills, the
 * parts the output and rejects were gathered from. A run killed before this
 * point leaves them, and a resubmission needs them. */
static void remove_scratch(task *t)
{
	static const char *const dirs[] = { "work", "shard", "parts", "rejects", NULL };
	size_t i;

	for (i = 0; dirs[i]; i++) {
		char *p = dist_path("%s/%s", t->workdir, dirs[i]);

		if (p)
			cur_remove_tree(p);
		free(p);
	}
}int slurm_task_run(const char *workdir, const char *step, int rank, int world)
{
	task t;
	cur_err err;
	json_t *report = json_object(), *info = NULL;
	double start = now_seconds();
	int rc, status;

	memset(&t, 0, sizeof(t));
	cur_err_clear(&err);
	t.workdir = workdir;
	t.rank = rank;
	rc = slurm_plan_load(&t.p, workdir, &err);
	if (rc == CUR_OK && !(t.step = slurm_plan_step(&t.p, step)))
		rc = cur_err_set(&err, CUR_EINVAL, "%s: no step '%s' in the plan", workdir, step);
	if (rc == CUR_OK && world != json_integer_value(json_object_get(t.step, "tasks")))
		rc = cur_err_set(&err, CUR_EINVAL, "step %s has %lld tasks, not --world %d", step,
				 (long long)json_integer_value(json_object_get(t.step, "tasks")), world);
	if (rc < 0) {
		fprintf(stderr, "curate slurm: %s\n", err.msg);
		status = cli_exit_status(rc);
		goto out;
	}
	t.name = str(t.step, "name");
	t.kind = str(t.step, "kind");
	if (!(t.work = dist_path("%s/work", workdir))) {
		fprintf(stderr, "curate slurm: out of memory\n");
		status = 3;
		goto out;
	}
	if (dist_task_state(workdir, t.name, rank) == DIST_TASK_DONE) {
		fprintf(stderr, "curate slurm: %s task %d: already done\n", t.name, rank);
		status = 0;
		goto out;
	}
	info = started_info(&t, start);
	rc = dist_task_mark(workdir, t.name, rank, DIST_TASK_STARTED, info, &err);
	fprintf(stderr, "curate slurm: %s task %d of %lld on %s: start\n", t.name, rank,
		(long long)json_integer_value(json_object_get(t.step, "tasks")),
		str(info, "host"));
	if (rc == CUR_OK && chdir(str(t.p.plan, "cwd")) != 0)
		rc = cur_err_set(&err, CUR_EIO, "cannot change to '%s': %s", str(t.p.plan, "cwd"),
				 strerror(errno));
	if (rc == CUR_OK)
		rc = run_step(&t, report, &err);
	if (rc == CUR_OK)
		maybe_stall(&t);
	json_object_set_new(info, "end", json_real(now_seconds()));
	json_object_set_new(info, "cpu_seconds", json_real(cpu_seconds()));
	json_object_set_new(info, "peak_rss_bytes", json_integer(peak_rss()));
	if (rc < 0 || rc == 1) {
		/* Under strict, the bad record was named in the log as it was met. */
		const char *why = rc == 1 ? "stopped at the first bad record (strict): the log names it"
					  : err.msg;

		json_object_set_new(info, "exit_status", json_integer(cli_exit_status(rc)));
		json_object_set_new(info, "error", json_string(why));
		fprintf(stderr, "curate slurm: %s task %d: %s\n", t.name, rank, why);
		dist_task_mark(workdir, t.name, rank, DIST_TASK_FAILED, info, NULL);
		status = cli_exit_status(rc);
		goto out;
	}
	json_object_set(info, "report", report);
	rc = dist_task_mark(workdir, t.name, rank, DIST_TASK_DONE, info, &err);
	if (rc == CUR_OK && strcmp(t.kind, "finish") == 0)
		remove_scratch(&t);
	if (rc < 0)
		fprintf(stderr, "curate slurm: %s task %d: %s\n", t.name, rank, err.msg);
	else
		fprintf(stderr, "curate slurm: %s task %d: done in %.2f s\n", t.name, rank,
			now_seconds() - start);
	status = cli_exit_status(rc);
out:
	json_decref(info);
	json_decref(report);
	free(t.work);
	slurm_plan_release(&t.p);
	return status;
}
