#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bin/cli.h"
#include "bin/commands.h"
#include "bin/pipeline_file.h"
#include "core/file.h"
#include "core/interrupt.h"
#include "core/yaml.h"

/* `curate run pipeline.yaml`: the same stages as the commands, chained in one
 * process (the file's format: bin/pipeline_file.c). */

static const cur_opt_spec run_options[] = {
	{ "dry-run", CUR_OPT_FLAG, NULL, "print the plan (inputs, stages and sink with every option, "
	  "outputs) and exit", NULL },
	{ "work", CUR_OPT_STR, "DIR", "where dedup keeps its files and a pass its documents for "
	  "the next (overrides the file's work)", "a temporary directory, removed after" },
	{ "pass", CUR_OPT_INT, "N", "run pass N alone, one task of a batch scheduler, with "
	  "--rank/--world and --work (docs/dedup.md)", "every pass" },
	{ NULL, 0, NULL, NULL, NULL }
};

/* The run's work directory: --work, the file's work:, or a temporary one
 * (tmpl receives its name; removed by the caller). */
static int make_work_dir(cli_common *c, json_t *cfg, json_t *pipe, char *tmpl, size_t cap)
{
	const char *t = getenv("TMPDIR");

	c->work = json_string_value(json_object_get(cfg, "work"));
	if (!c->work)
		c->work = json_string_value(json_object_get(pipe, "work"));
	if (c->work)
		return 0;
	if (c->pass) {
		fprintf(stderr, "curate run: --pass needs the work directory the other passes use "
			"(--work DIR or work: in the file)\n");
		return 2;
	}
	snprintf(tmpl, cap, "%s/curate-run.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpl)) {
		fprintf(stderr, "curate run: cannot create '%s': %s\n", tmpl, strerror(errno));
		tmpl[0] = '\0';
		return 3;
	}
	c->work = tmpl;
	c->work_scratch = 1;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	json_t *cfg = json_object(), *pipe = NULL, *stages_cfg, *entry;
	cli_common c;
	cur_stage_env env;
	cur_stage **stages = NULL;
	size_t n = 0, i;
	cli_inputs inputs;
	cur_yaml *y = NULL;
	int tagged = 0, temp = -1;
	cur_err err;
	char tmpl[4096] = "";
	int rc = cli_parse("run", run_options, argc, argv, &c, cfg);
	int dry_run = json_is_true(json_object_get(cfg, "dry_run"));

	memset(&inputs, 0, sizeof(inputs));
	if (rc < 0)
		printf("\nThe pipeline file (keys, stages and their options, sinks): "
		       "curate help pipeline\n");
	if (rc)
		goto out;
	if (c.ninputs != 1) {
		fprintf(stderr, "curate run: give one pipeline file\n");
		rc = 2;
		goto out;
	}
	c.pass = (int)json_integer_value(json_object_get(cfg, "pass"));
	cur_err_clear(&err);
	if ((rc = cli_pipeline_open("run", c.inputs[0], &y)) != 0)
		goto out;
	pipe = json_incref(cur_yaml_root(y));
	if ((rc = cli_inputs_expand("run", y, dry_run, &inputs, &tagged)) != 0)
		goto out;
	c.inputs = inputs.paths;
	c.ninputs = (int)inputs.n;
	c.input_category = tagged ? inputs.category : NULL;
	if (cli_pipeline_common(pipe, &c) < 0) {
		fprintf(stderr, "curate run: %s: 'warc_types' must list response, conversion, "
			"resource or metadata\n", argv[argc - 1]);
		rc = 2;
		goto out;
	}
	if (dry_run)
		c.work = "(a temporary directory)";
	else if ((rc = make_work_dir(&c, cfg, pipe, tmpl, sizeof(tmpl))) != 0)
		goto out;
	if (tmpl[0])
		temp = cur_temp_add(tmpl); /* a second signal removes it */
	cli_stage_env(&c, &env);
	env.pipeline_file = 1;
	stages_cfg = json_object_get(pipe, "stages");
	stages = calloc(json_array_size(stages_cfg) + 1, sizeof(*stages));
	json_array_foreach(stages_cfg, i, entry) {
		env.stage_index = (int)i + 1;
		stages[n] = cli_stage_from_entry(entry, &env, &err);
		if (!stages[n]) {
			cli_pipeline_stage_error("run", y, i, err.msg, stderr);
			rc = err.code == CUR_EINVAL ? 2 : 3;
			goto out;
		}
		n++;
	}
	if (dry_run) {
		/* The stages were built (their options checked); the sink is not:
		 * making it would prepare its output directory. */
		rc = cli_print_plan(stdout, &c, pipe) ? 1 : 0;
		if (rc)
			fprintf(stderr, "curate run: %s: some inputs were not found\n",
				argv[argc - 1]);
		goto out;
	}
	if ((rc = cli_check_files("run", &c)) != 0)
		goto out;
	{
		cur_sink *sink = NULL;

		rc = cli_make_sink(json_object_get(pipe, "sink"), &c, &env, &sink, &err);
		if (rc) {
			unsigned line, col;

			cur_yaml_where(y, pipe, "sink", 0, 0, &line, &col);
			fprintf(stderr, "curate run: %s:%u:%u: sink: %s\n", cur_yaml_name(y), line, col,
				err.msg);
			rc = cli_exit_status(rc);
			goto out;
		}
		rc = cli_run_pipeline("run", &c, stages, n, sink);
		if (sink)
			sink->ops->destroy(sink);
	}
out:
	for (i = 0; i < n; i++)
		stages[i]->ops->destroy(stages[i]);
	free(stages);
	cli_inputs_free(&inputs);
	json_decref(pipe);
	cur_yaml_free(y);
	json_decref(cfg);
	if (tmpl[0])
		cur_remove_tree(tmpl);
	cur_temp_remove(temp);
	return rc < 0 ? 0 : rc;
}
