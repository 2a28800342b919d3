#include "config.h"

#include <stdio.h>
#include <string.h>
#include "bin/cli.h"
#include "bin/commands.h"
#include "core/options.h"
#include "model/train.h"

/* `curate model train|eval|export`: the reference transformer's own
 * commands (docs/model.md). Scoring documents is the ppl stage. */

static const cur_opt_spec export_options[] = {
	{ "dtype", CUR_OPT_STR, "TYPE", "f32, f16 or bf16", "f16" },
	{ NULL, 0, NULL, NULL, NULL }
};

static int fail(const char *cmd, const cur_err *err)
{
	fprintf(stderr, "curate %s: %s\n", cmd, err->msg);
	return cli_exit_status(err->code);
}

static int train(int argc, char **argv)
{
	json_t *cfg = json_object();
	cli_common c;
	cur_err err;
	int rc = cli_parse("model train", model_train_options, argc, argv, &c, cfg);

	if (rc == 0 && c.ninputs) {
		fprintf(stderr, "curate model train: unexpected argument '%s'\n", c.inputs[0]);
		rc = 2;
	}
	if (rc) {
		json_decref(cfg);
		return rc < 0 ? 0 : rc;
	}
	cur_err_clear(&err);
	rc = model_train_run(cfg, c.output, c.jobs, c.seed, c.quiet, &err);
	json_decref(cfg);
	return rc < 0 ? fail("model train", &err) : 0;
}

static int eval(int argc, char **argv)
{
	json_t *cfg = json_object(), *result = NULL;
	cli_common c;
	cur_err err;
	int rc = cli_parse("model eval", model_eval_options, argc, argv, &c, cfg);

	if (rc == 0 && c.ninputs != 1) {
		fprintf(stderr, "curate model eval: give one checkpoint directory (curate model eval CKPT --shards DIR)\n");
		rc = 2;
	}
	if (rc) {
		json_decref(cfg);
		return rc < 0 ? 0 : rc;
	}
	cur_err_clear(&err);
	rc = model_eval_run(c.inputs[0], cfg, c.jobs, &result, &err);
	json_decref(cfg);
	if (rc < 0)
		return fail("model eval", &err);
	printf("%s: loss %.4f, perplexity %.2f over %lld tokens (%lld windows of %lld)\n",
	       json_string_value(json_object_get(result, "split")),
	       json_real_value(json_object_get(result, "loss")),
	       json_real_value(json_object_get(result, "perplexity")),
	       (long long)json_integer_value(json_object_get(result, "tokens")),
	       (long long)json_integer_value(json_object_get(result, "windows")),
	       (long long)json_integer_value(json_object_get(result, "seq")));
	if (c.report && json_dump_file(result, c.report, JSON_INDENT(2)) != 0) {
		fprintf(stderr, "curate model eval: cannot write '%s'\n", c.report);
		rc = 3;
	}
	json_decref(result);
	return rc;
}

static int export(int argc, char **argv)
{
	json_t *cfg = json_object();
	const char *dtype;
	cli_common c;
	cur_err err;
	int rc = cli_parse("model export", export_options, argc, argv, &c, cfg);

	if (rc == 0 && (c.ninputs != 1 || !c.output)) {
		fprintf(stderr, "curate model export: give a checkpoint and -o DIR (curate model export CKPT -o DIR --dtype f16)\n");
		rc = 2;
	}
	if (rc) {
		json_decref(cfg);
		return rc < 0 ? 0 : rc;
	}
	cur_err_clear(&err);
	rc = cur_cfg_str(cfg, "dtype", "f16", &dtype, &err);
	if (rc == CUR_OK)
		rc = model_export_run(c.inputs[0], c.output, dtype, &err);
	json_decref(cfg);
	return rc < 0 ? fail("model export", &err) : 0;
}

int cmd_model(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} sub[] = { { "eval", eval }, { "export", export }, { "train", train } };

	if (argc >= 2)
		for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++)
			if (strcmp(argv[1], sub[i].name) == 0)
				return sub[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "usage: curate model train --shards DIR -o CKPT [--config tiny|small|FILE] [options]\n"
			"       curate model eval CKPT --shards DIR [--eval-split valid]\n"
			"       curate model export CKPT -o DIR [--dtype f16|bf16|f32]\n"
			"       curate model COMMAND --help\n");
	return argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) ? 0 : 2;
}
