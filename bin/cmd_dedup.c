#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "bin/cli.h"
#include "bin/commands.h"
#include "core/file.h"
#include "core/interrupt.h"
#include "dedup/dedup.h"

/* `curate dedup`: two passes over the inputs (sign, then apply) with the
 * resolve step between them, or one phase of the same run for a batch
 * scheduler (minhash-sign, minhash-bucket, minhash-cluster, minhash-apply).
 * See docs/dedup.md. */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Work files that pass 2 no longer reads (it needs the decisions, the line
 * frequencies and the meta headers). With -j they are removed on a thread
 * of their own while pass 2 runs, not after it: dropping their pages is
 * work that pass 2 need not wait for. */
static const char *const resolved_only[] = { "sig-", "band-", "pairs-", "ids-", "sh-", "shx-",
					     "lines-", NULL };

static void *sweep_main(void *arg)
{
	DIR *d = opendir(arg);
	struct dirent *e;
	if (!d)
		return NULL;
	while ((e = readdir(d)) != NULL)
		for (int i = 0; resolved_only[i]; i++)
			if (strncmp(e->d_name, resolved_only[i], strlen(resolved_only[i])) == 0) {
				unlinkat(dirfd(d), e->d_name, 0);
				break;
			}
	closedir(d);
	return NULL;
}

/* The dedup stage over dir for the common options' inputs and slice. */
static cur_stage *open_stage(const char *cmd, const cli_common *c, const dd_config *dc,
			     const char *dir, int scratch)
{
	cur_stage_env env;
	cur_err err;
	cur_stage *st;
	cli_stage_env(c, &env);
	env.work_scratch = scratch;
	cur_err_clear(&err);
	st = dd_stage_open(dc, dir, &env, &err);
	if (!st)
		fprintf(stderr, "curate %s: %s\n", cmd, err.msg);
	return st;
}

/* Pass 1: the stage observes every document (the pipeline's first pass:
 * there is no stage after it, so nothing is written). */
static int run_sign(const char *cmd, const cli_common *c, cur_stage *st, json_t *report)
{
	cur_pipeline_opts o;
	cur_err err;
	int rc;

	cur_err_clear(&err);
	cur_pipeline_opts_init(&o);
	o.cmd = cmd;
	o.jobs = c->jobs;
	/* Smaller batches than the pipeline's 256: a batch waits at the serial
	 * turn for the one before it, and the corpus has runs of 2 MB
	 * documents; with 64 a slow batch holds the other worker back less. */
	o.batch_docs = 64;
	o.strict = c->strict;
	o.quiet = c->quiet;
	o.rank = c->rank;
	o.world = c->world;
	o.pass = 1;
	cli_reader_opts(c, &o.reader);
	rc = cur_pipeline_run(&o, c->inputs, (size_t)c->ninputs, &st, 1, NULL, report, &err);
	if (rc < 0)
		fprintf(stderr, "curate %s: %s\n", cmd, err.msg[0] ? err.msg : cur_strerror(rc));
	if (rc == 1)
		fprintf(stderr, "curate %s: stopped at the first bad record (--strict)\n", cmd);
	return cli_exit_status(rc);
}

/* The run report's "in" side from the sign pass, which read every record
 * (dd_fast_apply counts only what it parses). */
static void take_inputs(json_t *report, json_t *signed_report)
{
	static const char *const keys[] = { "documents_in", "bytes_in", "bad_records",
					    "utf8_repairs", "errors", NULL };
	for (int i = 0; signed_report && keys[i]; i++)
		json_object_set(report, keys[i], json_object_get(signed_report, keys[i]));
}

/* Pass 2: dd_fast_apply, then the report file and the summary line. */
static int run_apply(const char *cmd, const cli_common *c, cur_stage *st, json_t *signed_report)
{
	dd_fast_opts o;
	json_t *report = json_object();
	cur_err err;
	int rc;

	memset(&o, 0, sizeof o);
	o.stage = st;
	o.rank = c->rank;
	o.world = c->world;
	o.inputs = c->inputs;
	o.ninputs = (size_t)c->ninputs;
	cur_reader_opts_init(&o.reader);
	cli_reader_opts(c, &o.reader);
	o.output = c->output;
	o.rejects = c->rejects;
	o.threads = c->jobs;
	cur_err_clear(&err);
	json_object_set_new(report, "command", json_string(cmd));
	rc = dd_fast_apply(&o, report, &err);
	take_inputs(report, signed_report);
	if (rc == CUR_OK && c->report)
		rc = cli_write_report(c->report, report, &err);
	if (rc != CUR_OK) {
		fprintf(stderr, "curate %s: %s\n", cmd, err.msg[0] ? err.msg : cur_strerror(rc));
	} else if (!c->quiet) {
		json_t *stage = json_array_get(json_object_get(report, "stages"), 0);
		const char *k;
		json_t *v;
		fprintf(stderr, "curate %s: %lld documents in, %lld out; %.2f MB in, %.2f MB out; "
			"%lld bad records\n", cmd,
			(long long)json_integer_value(json_object_get(report, "documents_in")),
			(long long)json_integer_value(json_object_get(report, "documents_out")),
			(double)json_integer_value(json_object_get(report, "bytes_in")) / 1e6,
			(double)json_integer_value(json_object_get(report, "bytes_out")) / 1e6,
			(long long)json_integer_value(json_object_get(report, "bad_records")));
		json_object_foreach(json_object_get(stage, "dropped"), k, v)
			fprintf(stderr, "  %-16s %lld\n", k, (long long)json_integer_value(v));
	}
	json_decref(report);
	return cli_exit_status(rc);
}

/* Copy in to path. */
static int spool(FILE *in, const char *path)
{
	char buf[1 << 16];
	size_t n;
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (cur_interrupted() || fwrite(buf, 1, n, f) != n) {
			fclose(f);
			return -1;
		}
	if (ferror(in) || fclose(f) != 0)
		return -1;
	return 0;
}

/* Is path something that cannot be read twice (stdin, a pipe, <(...), a
 * device)? */
static int read_once(const char *path)
{
	struct stat st;
	return strcmp(path, "-") == 0 || (stat(path, &st) == 0 && !S_ISREG(st.st_mode));
}

/* The inputs as the passes read them: copies of those that can be read
 * only once. */
typedef struct spooled {
	char **names;   /* the inputs, for c->inputs */
	char **copies;  /* owned: the copies' paths, NULL where none */
	int n;
} spooled;

/* Two passes read every input twice: what can be read once only is copied
 * to dir first (as input-N-NAME, keeping the name's extension for the
 * reader), and c's inputs then name the copies. Returns 0 or -1 after a
 * message. */
static int spool_inputs(const char *dir, cli_common *c, spooled *sp)
{
	static char *std_in[] = { "-" };
	int n = c->ninputs ? c->ninputs : 1;
	char **in = c->ninputs ? c->inputs : std_in;
	sp->n = n;
	sp->names = calloc((size_t)n, sizeof(*sp->names));
	sp->copies = calloc((size_t)n, sizeof(*sp->copies));
	if (!sp->names || !sp->copies) {
		fprintf(stderr, "curate dedup: out of memory\n");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *base = strrchr(in[i], '/');
		int std = strcmp(in[i], "-") == 0;
		char path[4096];
		FILE *f;
		sp->names[i] = in[i];
		if (!read_once(in[i]))
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s/input-%d-%s", dir, i,
				     std ? "stdin.jsonl" : base ? base + 1 : in[i]) >= sizeof path) {
			fprintf(stderr, "curate dedup: '%s': the work directory's path is too long\n", dir);
			return -1;
		}
		f = std ? stdin : fopen(in[i], "rb");
		if (!f || spool(f, path) != 0 || !(sp->copies[i] = strdup(path))) {
			if (cur_interrupted())
				return -1;
			fprintf(stderr, "curate dedup: cannot copy '%s' to '%s': %s\n", in[i], dir,
				strerror(errno));
			if (f && !std)
				fclose(f);
			return -1;
		}
		if (!std)
			fclose(f);
		sp->names[i] = sp->copies[i];
	}
	c->inputs = sp->names;
	c->ninputs = n;
	return 0;
}

/* The phases read each input in two processes: a file, then, not a pipe.
 * Returns 0 or 2 after a message. */
static int files_only(const char *cmd, const cli_common *c)
{
	for (int i = 0; i < c->ninputs; i++)
		if (read_once(c->inputs[i])) {
			fprintf(stderr, "curate %s: '%s' can be read only once (stdin or a pipe): the "
				"phases read each input twice; give a file\n", cmd, c->inputs[i]);
			return 2;
		}
	return 0;
}

static void spooled_free(spooled *sp)
{
	for (int i = 0; sp->copies && i < sp->n; i++)
		free(sp->copies[i]);
	free(sp->copies);
	free(sp->names);
}

/* The stage's options, and the two that name a phased run's files. */
static cur_opt_spec *build_specs(void)
{
	size_t n = 0;
	while (dd_stage_options[n].name)
		n++;
	cur_opt_spec *specs = cur_calloc_array(n + 3, sizeof(*specs));
	if (!specs)
		return NULL;
	for (n = 0; dd_stage_options[n].name; n++)
		specs[n] = dd_stage_options[n];
	specs[n++] = (cur_opt_spec){ "work", CUR_OPT_STR, "DIR", "work directory",
				     "a temporary one, removed after" };
	specs[n++] = (cur_opt_spec){ "band", CUR_OPT_INT, "B", "minhash-bucket: the band to process",
				     "all" };
	specs[n] = (cur_opt_spec){ NULL, 0, NULL, NULL, NULL };
	return specs;
}

static int parse(const char *cmd, int argc, char **argv, cli_common *c, json_t *cfg,
		 dd_config *dc)
{
	cur_err err;
	cur_opt_spec *specs = build_specs();
	int rc = specs ? cli_parse(cmd, specs, argc, argv, c, cfg) : 3;
	free(specs);
	if (rc)
		return rc < 0 ? -1 : rc;
	cur_err_clear(&err);
	if (dd_config_from_json(cfg, c->seed, dc, &err) != CUR_OK) {
		fprintf(stderr, "curate %s: %s\nTry 'curate dedup --help'.\n", cmd, err.msg);
		return 2;
	}
	return 0;
}

static const char *work_dir(const cli_common *c, json_t *cfg)
{
	const char *w = json_string_value(json_object_get(cfg, "work"));
	return w ? w : c->output;
}

static int phase_sign(int argc, char **argv)
{
	json_t *cfg = json_object(), *report = json_object();
	cli_common c;
	dd_config dc;
	cur_err err;
	const char *dir;
	cur_stage *st = NULL;
	int rc = parse("dedup minhash-sign", argc, argv, &c, cfg, &dc);
	if (rc)
		goto out;
	/* The modes given, or MinHash alone. */
	if (!(dc.url || dc.exact || dc.lines))
		dc.minhash = 1;
	if (!(dir = work_dir(&c, cfg)) || strcmp(dir, "-") == 0) {
		fprintf(stderr, "curate dedup minhash-sign: name the work directory with -o DIR\n");
		rc = 2;
		goto out;
	}
	if (c.ninputs == 0) {
		fprintf(stderr, "curate dedup minhash-sign: name the input files (the phases read them twice)\n");
		rc = 2;
		goto out;
	}
	if ((rc = files_only("dedup minhash-sign", &c)) != 0)
		goto out;
	if (cur_mkdir_p(dir, &err) != CUR_OK) {
		fprintf(stderr, "curate dedup minhash-sign: %s\n", err.msg);
		rc = 3;
		goto out;
	}
	if (!(st = open_stage("dedup minhash-sign", &c, &dc, dir, 0))) {
		rc = 3;
		goto out;
	}
	rc = run_sign("dedup minhash-sign", &c, st, report);
	if (rc == 0 && !c.quiet)
		fprintf(stderr, "curate dedup minhash-sign: rank %d of %d: %lld documents signed into '%s'\n",
			c.rank, c.world, (long long)json_integer_value(json_object_get(report, "documents_in")),
			dir);
out:
	if (st)
		st->ops->destroy(st);
	json_decref(cfg);
	json_decref(report);
	return rc < 0 ? 0 : rc;
}

static int phase_resolve(int argc, char **argv, int bucket)
{
	const char *cmd = bucket ? "dedup minhash-bucket" : "dedup minhash-cluster";
	json_t *cfg = json_object(), *report = json_object();
	cli_common c;
	dd_config dc;
	cur_err err;
	const char *dir;
	int rc = parse(cmd, argc, argv, &c, cfg, &dc);
	if (rc)
		goto out;
	if (!(dir = work_dir(&c, cfg))) {
		fprintf(stderr, "curate %s: name the work directory with --work DIR\n", cmd);
		rc = 2;
		goto out;
	}
	cur_err_clear(&err);
	if (bucket) {
		json_t *b = json_object_get(cfg, "band");
		rc = dd_phase_bucket(dir, b ? (int)json_integer_value(b) : -1, report, &err);
	} else {
		rc = dd_phase_cluster(dir, report, &err);
	}
	if (rc != CUR_OK) {
		fprintf(stderr, "curate %s: %s\n", cmd, err.msg);
		rc = cli_exit_status(rc);
		goto out;
	}
	if (!c.quiet)
		fprintf(stderr, "curate %s: %lld documents, %lld candidate pairs%s%lld clusters\n", cmd,
			(long long)json_integer_value(json_object_get(report, "documents")),
			(long long)json_integer_value(json_object_get(report, "candidate_pairs")),
			bucket ? "" : ", ",
			bucket ? 0LL : (long long)json_integer_value(json_object_get(report, "clusters")));
	rc = 0;
out:
	json_decref(cfg);
	json_decref(report);
	return rc < 0 ? 0 : rc;
}

static int phase_apply(int argc, char **argv)
{
	json_t *cfg = json_object();
	cli_common c;
	dd_config dc;
	cur_err err;
	cur_stage *st = NULL;
	const char *dir;
	int rc = parse("dedup minhash-apply", argc, argv, &c, cfg, &dc);
	if (rc)
		goto out;
	if (!(dir = json_string_value(json_object_get(cfg, "work")))) {
		fprintf(stderr, "curate dedup minhash-apply: name the work directory with --work DIR\n");
		rc = 2;
		goto out;
	}
	if ((rc = files_only("dedup minhash-apply", &c)) != 0)
		goto out;
	if (!(st = open_stage("dedup minhash-apply", &c, NULL, dir, 0))) {
		rc = 3;
		goto out;
	}
	cur_err_clear(&err);
	if ((rc = st->ops->begin_apply(st, &err)) != CUR_OK) {
		fprintf(stderr, "curate dedup minhash-apply: %s\n", err.msg);
		rc = cli_exit_status(rc);
		goto out;
	}
	rc = run_apply("dedup minhash-apply", &c, st, NULL);
out:
	if (st)
		st->ops->destroy(st);
	json_decref(cfg);
	return rc < 0 ? 0 : rc;
}

/* The whole run in one process: sign -> resolve -> apply. */
static int single(int argc, char **argv)
{
	json_t *cfg = json_object(), *r1 = json_object(), *fig;
	cli_common c;
	dd_config dc;
	cur_err err;
	cur_stage *st = NULL;
	char tmpl[4096];
	spooled sp = { NULL, NULL, 0 };
	const char *dir;
	int own_dir = 0, temp = -1, rc;
	double t0 = now_s(), t1, t2;

	rc = parse("dedup", argc, argv, &c, cfg, &dc);
	if (rc)
		goto out;
	if (!(dc.url || dc.exact || dc.minhash || dc.lines)) {
		fprintf(stderr, "curate dedup: choose one or more of --url, --exact, --minhash, --lines\n"
				"Try 'curate dedup --help'.\n");
		rc = 2;
		goto out;
	}
	if (c.world > 1) {
		fprintf(stderr, "curate dedup: --world needs the phased commands "
				"(curate dedup minhash-sign ...)\n");
		rc = 2;
		goto out;
	}
	dir = json_string_value(json_object_get(cfg, "work"));
	if (!dir) {
		const char *t = getenv("TMPDIR");
		snprintf(tmpl, sizeof tmpl, "%s/curate-dedup.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmpl)) {
			fprintf(stderr, "curate dedup: cannot create '%s': %s\n", tmpl, strerror(errno));
			rc = 3;
			goto out;
		}
		dir = tmpl;
		own_dir = 1;
		temp = cur_temp_add(tmpl); /* a second signal removes it */
	} else if (cur_mkdir_p(dir, &err) != CUR_OK) {
		fprintf(stderr, "curate dedup: %s\n", err.msg);
		rc = 3;
		goto out;
	}
	if (spool_inputs(dir, &c, &sp) != 0) {
		rc = cur_interrupted() ? 128 + cur_interrupted() : 3;
		goto out;
	}
	if (!(st = open_stage("dedup", &c, &dc, dir, own_dir))) {
		rc = 3;
		goto out;
	}
	if ((rc = run_sign("dedup", &c, st, r1)) != 0)
		goto out;
	t1 = now_s();
	cur_err_clear(&err);
	if ((rc = st->ops->resolve(st, NULL, &err)) != CUR_OK ||
	    (rc = st->ops->begin_apply(st, &err)) != CUR_OK) {
		fprintf(stderr, "curate dedup: %s\n", err.msg);
		rc = cli_exit_status(rc);
		goto out;
	}
	t2 = now_s();
	fig = dd_stage_figures(st);
	json_object_set_new(fig, "sign_seconds", json_real(t1 - t0));
	json_object_set_new(fig, "resolve_seconds", json_real(t2 - t1));
	pthread_t sweeper;
	int sweeping = own_dir && c.jobs > 1 &&
		       pthread_create(&sweeper, NULL, sweep_main, (void *)dir) == 0;
	rc = run_apply("dedup", &c, st, r1);
	if (sweeping)
		pthread_join(sweeper, NULL);
out:
	if (st)
		st->ops->destroy(st);
	if (own_dir)
		cur_remove_tree(tmpl);
	cur_temp_remove(temp);
	spooled_free(&sp);
	json_decref(cfg);
	json_decref(r1);
	return rc < 0 ? 0 : rc;
}

int cmd_dedup(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "minhash-sign") == 0)
		return phase_sign(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "minhash-bucket") == 0)
		return phase_resolve(argc - 1, argv + 1, 1);
	if (argc >= 2 && strcmp(argv[1], "minhash-cluster") == 0)
		return phase_resolve(argc - 1, argv + 1, 0);
	if (argc >= 2 && strcmp(argv[1], "minhash-apply") == 0)
		return phase_apply(argc - 1, argv + 1);
	return single(argc, argv);
}
