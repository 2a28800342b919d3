#include "config.h"

#include <stdio.h>
#include "bin/cli.h"

/* `curate STAGE [options] [FILE...]`: one stage between a reader and the
 * JSONL writer. */
int cli_run_stage(const cli_stage_row *row, int argc, char **argv)
{
	json_t *cfg = json_object();
	cli_common c;
	cur_stage_env env;
	cur_stage *st;
	cur_err err;
	int rc;

	rc = cli_parse(row->name, row->options, argc, argv, &c, cfg);
	if (rc == 0)
		rc = cli_check_files(row->name, &c);
	if (rc) {
		json_decref(cfg);
		return rc < 0 ? 0 : rc;
	}
	cur_err_clear(&err);
	cli_stage_env(&c, &env);
	st = row->create(cfg, &env, &err);
	if (!st) {
		fprintf(stderr, "curate %s: %s\n", row->name, err.msg);
		json_decref(cfg);
		return err.code == CUR_EINVAL ? 2 : 3;
	}
	c.config = cfg;
	rc = cli_run_pipeline(row->name, &c, &st, 1, NULL);
	json_decref(cfg);
	st->ops->destroy(st);
	return rc;
}
