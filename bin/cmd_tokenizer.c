#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bin/cli.h"
#include "bin/commands.h"
#include "tokenizer/train.h"
#include "tokenizer/vocab_stats.h"

/* `curate tokenizer train|extend|stats`: learn a byte-level BPE vocabulary,
 * extend one, or measure how vocabularies compress a corpus. The engines
 * are tokenizer/train.h and tokenizer/vocab_stats.h; see docs/tokenizer.md. */

static const cur_opt_spec stats_options[] = {
	{ "by", CUR_OPT_STR, "KEYS", "metadata keys to group by, comma-separated",
	  "lang,category,source" },
	{ "compare", CUR_OPT_LIST, "FILE", "another vocabulary, side by side (repeatable)", NULL },
	{ NULL, 0, NULL, NULL, NULL }
};

/* train and extend: the trainer's sink over the inputs. */
static int run_trainer(const char *cmd, const cur_opt_spec *specs, int extend, int argc,
		       char **argv)
{
	json_t *cfg = json_object();
	cli_common c;
	cur_stage_env env;
	cur_sink *sink;
	cur_err err;
	int rc = cli_parse(cmd, specs, argc, argv, &c, cfg);

	if (rc) {
		json_decref(cfg);
		return rc < 0 ? 0 : rc;
	}
	if (extend && !json_object_get(cfg, "base")) {
		if (c.ninputs < 1) {
			fprintf(stderr, "curate %s: which vocabulary? 'curate %s BASE.tiktoken "
				"--add K -o OUT.tiktoken CORPUS...'\n", cmd, cmd);
			json_decref(cfg);
			return 2;
		}
		json_object_set_new(cfg, "base", json_string(c.inputs[0]));
		c.inputs++;
		c.ninputs--;
	}
	cur_err_clear(&err);
	cli_stage_env(&c, &env);
	sink = tok_train_sink_new(cfg, &env, c.output, &err);
	json_decref(cfg);
	if (!sink) {
		fprintf(stderr, "curate %s: %s\n", cmd, err.msg);
		return cli_exit_status(err.code);
	}
	/* The pipeline prints the sink's error or its summary. */
	rc = cli_run_pipeline(cmd, &c, NULL, 0, sink);
	sink->ops->destroy(sink);
	return rc;
}

static int cmd_tok_train(int argc, char **argv)
{
	return run_trainer("tokenizer train", tok_train_options, 0, argc, argv);
}

static int cmd_tok_extend(int argc, char **argv)
{
	return run_trainer("tokenizer extend", tok_extend_options, 1, argc, argv);
}

/* ---- stats ---- */

typedef struct row {
	const char *name;
	json_t *g;
} row;

static int row_cmp(const void *a, const void *b)
{
	const row *x = a, *y = b;
	json_int_t cx = json_integer_value(json_object_get(x->g, "characters"));
	json_int_t cy = json_integer_value(json_object_get(y->g, "characters"));

	if (cx != cy)
		return cx > cy ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void print_row(const char *name, json_t *g, size_t ntoks)
{
	printf("%-24s %9lld %12lld", name,
	       (long long)json_integer_value(json_object_get(g, "documents")),
	       (long long)json_integer_value(json_object_get(g, "characters")));
	for (size_t k = 0; k < ntoks; k++)
		printf(" %11lld %9.3f %9.3f",
		       (long long)json_integer_value(json_array_get(json_object_get(g, "tokens"), k)),
		       json_real_value(json_array_get(json_object_get(g, "characters_per_token"), k)),
		       json_real_value(json_array_get(json_object_get(g, "bytes_per_token"), k)));
	putchar('\n');
}

/* One table per key, largest groups first, after the total. */
static void print_stats(json_t *r)
{
	json_t *names = json_object_get(r, "tokenizers"), *values;
	size_t ntoks = json_array_size(names);
	const char *key;

	for (size_t k = 0; k < ntoks; k++)
		printf("# %zu: %s\n", k + 1, json_string_value(json_array_get(names, k)));
	printf("%-24s %9s %12s", "", "documents", "characters");
	for (size_t k = 0; k < ntoks; k++)
		printf(" %9s%-2zu %9s %9s", "tokens ", k + 1, "chars/tok", "bytes/tok");
	putchar('\n');
	print_row("total", json_object_get(r, "total"), ntoks);
	json_object_foreach(json_object_get(r, "by"), key, values) {
		size_t n = json_object_size(values), i = 0;
		row *rows = calloc(n ? n : 1, sizeof(*rows));
		const char *v;
		json_t *g;
		if (!rows)
			return;
		json_object_foreach(values, v, g)
			rows[i++] = (row){ v, g };
		qsort(rows, n, sizeof(*rows), row_cmp);
		printf("\nby %s:\n", key);
		for (i = 0; i < n; i++)
			print_row(rows[i].name, rows[i].g, ntoks);
		free(rows);
	}
}

/* Split "a,b,c" in place into keys. */
static size_t split_keys(char *s, const char **keys, size_t cap)
{
	size_t n = 0;

	for (char *tok = strtok(s, ","); tok && n < cap; tok = strtok(NULL, ","))
		keys[n++] = tok;
	return n;
}

static int cmd_vocab_stats(int argc, char **argv)
{
	const char *cmd = "tokenizer stats", *names[17], *keys[16];
	tok_tokenizer *toks[17] = { NULL };
	json_t *cfg = json_object(), *compare, *x;
	char by[256];
	size_t ntoks = 0, nkeys, i;
	cli_common c;
	cur_sink *sink = NULL;
	cur_err err;
	int rc = cli_parse(cmd, stats_options, argc, argv, &c, cfg);

	if (rc) {
		rc = rc < 0 ? 0 : rc;
		goto out;
	}
	x = json_object_get(cfg, "by");
	snprintf(by, sizeof(by), "%s", x ? json_string_value(x) : "lang,category,source");
	nkeys = split_keys(by, keys, 16);
	if (!c.tokenizer && c.ninputs > 0) {
		c.tokenizer = c.inputs[0];
		c.inputs++;
		c.ninputs--;
	}
	names[ntoks++] = c.tokenizer ? c.tokenizer : "llama3 (default)";
	compare = json_object_get(cfg, "compare");
	json_array_foreach(compare, i, x)
		if (ntoks < 16)
			names[ntoks++] = json_string_value(x);
	cur_err_clear(&err);
	rc = 0;
	for (i = 0; i < ntoks && rc == 0; i++)
		if (tok_load(i == 0 ? c.tokenizer : names[i], &toks[i], &err) < 0)
			rc = cli_exit_status(err.code);
	if (rc == 0 && !(sink = tok_stats_sink_new((const tok_tokenizer *const *)toks, names, ntoks,
						   keys, nkeys, &err)))
		rc = cli_exit_status(err.code);
	if (rc) {
		fprintf(stderr, "curate %s: %s\n", cmd, err.msg);
		goto out;
	}
	{
		cli_common run = c;
		run.output = NULL; /* -o is the JSON, not a JSONL output */
		rc = cli_run_pipeline(cmd, &run, NULL, 0, sink);
	}
	if (rc == 0) {
		print_stats(tok_stats_result(sink));
		if (c.output && cli_write_report(c.output, tok_stats_result(sink), &err) < 0) {
			fprintf(stderr, "curate %s: %s\n", cmd, err.msg);
			rc = 3;
		}
	}
out:
	if (sink)
		sink->ops->destroy(sink);
	for (i = 0; i < ntoks; i++)
		tok_free(toks[i]);
	json_decref(cfg);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} subcommands[] = {
	{ "extend", cmd_tok_extend, "keep a vocabulary's ranks and learn K more on a corpus" },
	{ "stats", cmd_vocab_stats, "characters and bytes per token, per language/category/source" },
	{ "train", cmd_tok_train, "learn a byte-level BPE vocabulary (tiktoken format)" },
};

int cmd_tokenizer(int argc, char **argv)
{
	size_t i, n = sizeof(subcommands) / sizeof(subcommands[0]);
	int help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
	FILE *f = help ? stdout : stderr;

	for (i = 0; argc >= 2 && i < n; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].fn(argc - 1, argv + 1);
	if (argc >= 2 && !help)
		fprintf(stderr, "curate tokenizer: unknown subcommand '%s'\n", argv[1]);
	fprintf(f, "usage: curate tokenizer SUBCOMMAND [options] [FILE...]\n\n");
	for (i = 0; i < n; i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name, subcommands[i].help);
	fprintf(f, "\n'curate tokenizer SUBCOMMAND --help' lists its options.\n");
	return help ? 0 : 2;
}
