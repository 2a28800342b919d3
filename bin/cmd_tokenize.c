#include "config.h"

#include <stdio.h>
#include <string.h>
#include "bin/cli.h"
#include "bin/commands.h"
#include "tokenizer/tokenize_stage.h"

/* `curate tokenize [--emit count|ids] [FILE...]`: the tokenize stage, or,
 * with --emit ids, no stage and the ids sink (its own output format). */
int cmd_tokenize(int argc, char **argv)
{
	json_t *cfg = json_object(), *emit;
	cli_common c;
	cur_stage_env env;
	cur_stage *st = NULL;
	cur_sink *sink = NULL;
	cur_err err;
	int rc;

	rc = cli_parse("tokenize", tok_stage_options, argc, argv, &c, cfg);
	if (rc == 0)
		rc = cli_check_files("tokenize", &c);
	if (rc) {
		json_decref(cfg);
		return rc < 0 ? 0 : rc;
	}
	cur_err_clear(&err);
	cli_stage_env(&c, &env);
	emit = json_object_get(cfg, "emit");
	if (json_is_string(emit) && strcmp(json_string_value(emit), "ids") == 0)
		sink = tok_ids_sink_new(cfg, &env, c.output, &err);
	else
		st = tok_stage_new(cfg, &env, &err);
	if (!st && !sink) {
		fprintf(stderr, "curate tokenize: %s\n", err.msg);
		json_decref(cfg);
		return err.code == CUR_EINVAL ? 2 : 3;
	}
	c.config = cfg;
	rc = cli_run_pipeline("tokenize", &c, st ? &st : NULL, st ? 1 : 0, sink);
	json_decref(cfg);
	if (st)
		st->ops->destroy(st);
	if (sink)
		sink->ops->destroy(sink);
	return rc;
}
