#include "config.h"

#include <stdio.h>
#include <string.h>
#include "bin/cli.h"
#include "bin/commands.h"
#include "classify/train.h"
#include "core/writer.h"

/* `curate classify`: the classify stage, and two commands of its own:
 *   curate classify train -o MODEL [--label-field F | --source L=FILE]... FILE...
 *   curate classify test MODEL [--label-field F | --source L=FILE]... FILE... */

static void warn_line(void *arg, const char *msg)
{
	fprintf(stderr, "curate %s: %s\n", (const char *)arg, msg);
}

static void run_from(const cli_common *c, cls_run *run, const char *cmd)
{
	memset(run, 0, sizeof(*run));
	run->files = c->inputs;
	run->nfiles = (size_t)c->ninputs;
	cur_reader_opts_init(&run->reader);
	cli_reader_opts(c, &run->reader);
	run->seed = c->seed;
	run->verbose = c->quiet ? 0 : c->verbose ? 2 : 1;
	run->strict = c->strict;
	run->warn = warn_line;
	run->warn_arg = (void *)cmd;
}

static int finish(const char *cmd, const cli_common *c, json_t *report, int rc, cur_err *err)
{
	if (rc == CUR_OK && c->report)
		rc = cli_write_report(c->report, report, err);
	if (rc < 0)
		fprintf(stderr, "curate %s: %s\n", cmd, err->msg);
	return cli_exit_status(rc);
}

static int cmd_train(int argc, char **argv)
{
	json_t *cfg = json_object(), *report = json_object();
	cli_common c;
	cls_run run;
	cur_err err;
	int rc = cli_parse("classify train", cls_train_options, argc, argv, &c, cfg);

	if (rc) {
		json_decref(cfg);
		json_decref(report);
		return rc < 0 ? 0 : rc;
	}
	cur_err_clear(&err);
	run_from(&c, &run, "classify train");
	rc = cls_train(cfg, &run, c.output, report, &err);
	if (rc == CUR_OK && !c.quiet)
		fprintf(stderr, "curate classify train: %lld examples, model in '%s'\n",
			(long long)json_integer_value(json_object_get(report, "examples")), c.output);
	rc = finish("classify train", &c, report, rc, &err);
	json_decref(cfg);
	json_decref(report);
	return rc;
}

static int cmd_test(int argc, char **argv)
{
	json_t *cfg = json_object(), *report = json_object();
	const char *model = NULL;
	cli_common c;
	cls_run run;
	cur_buf table;
	cur_out *out = NULL;
	cur_err err;
	int rc = cli_parse("classify test", cls_test_options, argc, argv, &c, cfg);

	if (rc) {
		json_decref(cfg);
		json_decref(report);
		return rc < 0 ? 0 : rc;
	}
	cur_err_clear(&err);
	cur_buf_init(&table, CUR_BUF_UNLIMITED);
	run_from(&c, &run, "classify test");
	/* The model comes first, unless a field is scored instead. */
	if (!json_object_get(cfg, "predicted_field") && run.nfiles) {
		model = run.files[0];
		run.files++;
		run.nfiles--;
	}
	rc = cls_test(cfg, model, &run, &table, report, &err);
	if (rc == CUR_OK)
		rc = cur_out_open(&out, c.output, 1, &err);
	if (rc == CUR_OK && cur_out_write(out, table.data, table.len) < 0)
		rc = cur_err_set(&err, CUR_EIO, "cannot write the results");
	if (rc == CUR_OK)
		rc = cur_out_finish(out, &err);
	cur_out_free(out);
	rc = finish("classify test", &c, report, rc, &err);
	cur_buf_release(&table);
	json_decref(cfg);
	json_decref(report);
	return rc;
}

int cmd_classify(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "train") == 0)
		return cmd_train(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "test") == 0)
		return cmd_test(argc - 1, argv + 1);
	return cli_run_stage(cli_stage_find("classify"), argc, argv);
}
