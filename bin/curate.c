#include "config.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "bin/cli.h"
#include "bin/commands.h"
#include "core/interrupt.h"

/* The command table, sorted by name (git's git.c). Stages without a row of
 * their own run through the generic stage command (bin/cmd_stage.c). */
struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "classify", cmd_classify, "fastText language ID, categories, quality; train and test models" },
	{ "dedup", cmd_dedup, "remove URL, exact, near (MinHash) and line duplicates; phased for clusters" },
	{ "filter", cmd_filter, "quality and safety filters; --explain, --annotate, --fit-token-distribution" },
	{ "ingest", cmd_ingest, "read JSONL, text, archives, WARC/WET; write normalized JSONL" },
	{ "model", cmd_model, "train, evaluate and export the reference transformer (docs/model.md)" },
	{ "report", cmd_report, "draw a run report (--report FILE.json) as an HTML page" },
	{ "run", cmd_run, "run a pipeline file (YAML): readers, stages, sink" },
	{ "shard", cmd_shard, "tokenize, mix and write Megatron/llm.c token shards" },
	{ "slurm", cmd_slurm, "run a pipeline file as Slurm array jobs (or print the tasks for any launcher)" },
	{ "stats", cmd_stats, "documents, bytes, characters, scripts, length histogram" },
	{ "tokenize", cmd_tokenize, "count Llama 3 tokens (metadata.tokens), or --emit ids" },
	{ "tokenizer", cmd_tokenizer, "train, extend or measure a BPE vocabulary (train|extend|stats)" },
	{ "verify", cmd_verify, "check the shards of a directory against its manifest" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: curate COMMAND [options] [FILE...]\n"
		   "       curate help COMMAND | pipeline | --help | --version\n\nCommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	for (i = 0; i < cli_stage_count; i++) {
		size_t k;

		/* A stage with a command of its own (tokenize) is listed once. */
		for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
			if (strcmp(commands[k].name, cli_stage_table[i].name) == 0)
				break;
		if (k == sizeof(commands) / sizeof(commands[0]))
			fprintf(f, "  %-10s %s\n", cli_stage_table[i].name,
				cli_stage_table[i].summary);
	}
	fprintf(f, "\nEach command reads FILE... (or stdin), writes JSONL to stdout or -o FILE,\n"
		   "and takes the common options listed by 'curate help COMMAND'.\n");
}

static int dispatch(const char *name, int argc, char **argv)
{
	const cli_stage_row *row;
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return commands[i].fn(argc, argv);
	row = cli_stage_find(name);
	if (row)
		return cli_run_stage(row, argc, argv);
	fprintf(stderr, "curate: unknown command '%s'\nTry 'curate --help'.\n", name);
	return 2;
}

/* The first signal asks the run to stop (core/interrupt.h); a second
 * one removes the temporaries and ends the process at once. A signal the
 * process was started ignoring (nohup, a shell's background job) stays
 * ignored, as in every Unix tool. */
static void on_signal(int sig)
{
	if (cur_interrupted()) {
		cur_temp_sweep();
		_exit(128 + sig);
	}
	cur_interrupt(sig);
}

static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;

		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
}

int main(int argc, char **argv)
{
	/* Documents come and go by the million, many larger than glibc's mmap
	 * threshold: keep freed memory in the heap instead of unmapping and
	 * faulting it in again for the next one. Memory stays bounded by the
	 * batches in flight. */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	catch_signals();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("curate %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		char *help_argv[] = { argc > 2 ? argv[2] : "help", "--help", NULL };

		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[2], "pipeline") == 0) {
			cli_help_pipeline(stdout);
			return 0;
		}
		return dispatch(argv[2], 2, help_argv);
	}
	return dispatch(argv[1], argc - 1, argv + 1);
}
