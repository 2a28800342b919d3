#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include "bin/cli.h"
#include "bin/commands.h"
#include "shards/shard.h"

static void print_lines(const char *s)
{
	if (s && *s)
		fprintf(stderr, "%s", s);
}

/* `curate shard -o DIR [--source CAT=PATH]... [FILE...]`: tokenize, mix and
 * write token shards (shards/shard.h, docs/shards.md). */
int cmd_shard(int argc, char **argv)
{
	json_t *cfg = json_object();
	cli_common c;
	char **paths = NULL;
	size_t n = 0;
	cur_sink *sink = NULL;
	cur_err err;
	int rc = cli_parse("shard", shard_options, argc, argv, &c, cfg);

	cur_err_clear(&err);
	if (rc) {
		rc = rc < 0 ? 0 : rc;
		goto out;
	}
	if (shard_inputs(cfg, c.inputs, (size_t)c.ninputs, &paths, &n, &err) < 0) {
		fprintf(stderr, "curate shard: %s\n", err.msg);
		rc = 2;
		goto out;
	}
	cli_common run = c;
	run.config = cfg;
	if (n > 0) {
		run.inputs = paths;
		run.ninputs = (int)n;
	}
	/* Before the sink prepares its directory. */
	if ((rc = cli_check_files("shard", &run)) != 0)
		goto out;
	cur_stage_env env;
	cli_stage_env(&c, &env);
	env.inputs = paths;
	env.ninputs = n;
	sink = shard_sink_new(cfg, &env, c.output, &err);
	if (!sink) {
		fprintf(stderr, "curate shard: %s\n", err.msg);
		rc = cli_exit_status(err.code);
		goto out;
	}
	/* The pipeline prints the sink's own error message and summary. */
	rc = cli_run_pipeline("shard", &run, NULL, 0, sink);
	if (!c.quiet)
		print_lines(shard_sink_warnings(sink));
out:
	if (sink)
		sink->ops->destroy(sink);
	free(paths);
	json_decref(cfg);
	return rc;
}
