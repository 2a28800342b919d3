/* What bin/ shares: the stage table and the generic stage command.
 * Modules never see this: it is the only place that knows every stage. */
#ifndef CUR_CLI_H
#define CUR_CLI_H

#include <stdio.h>
#include <time.h>
#include <jansson.h>
#include "core/options.h"
#include "core/pipeline.h"
#include "core/reader.h"
#include "core/stage.h"
#include "core/yaml.h"

typedef struct cli_stage_row {
	const char *name;            /* command and pipeline-file name */
	const char *summary;         /* one line for --help */
	cur_stage_new_fn create;
	const cur_opt_spec *options; /* terminated by a {NULL} row */
	/* NULL, or for a stage that may set metadata.category (a classifier):
	 * what it sets with the options cfg. It appends to names (a JSON array)
	 * the categories it is sure to give, and returns 1 when it may also
	 * give others it cannot name, 0 when not. A later stage's categories
	 * need not be the inputs' then. */
	int (*sets_categories)(json_t *cfg, json_t *names);
} cli_stage_row;

const cli_stage_row *cli_stage_find(const char *name);
extern const cli_stage_row cli_stage_table[];
extern const size_t cli_stage_count;

/* Options every command shares (DESIGN.md), parsed once. */
typedef struct cli_common {
	const char *output;     /* -o FILE ("-"/NULL: stdout) */
	const char *report;     /* --report FILE.json */
	const char *report_html; /* --report-html FILE.html */
	const char *rejects;    /* --rejects FILE */
	const char *tokenizer;  /* --tokenizer FILE */
	int jobs, strict, quiet, verbose;
	int rank, world;
	uint64_t seed;
	const char *text_field; /* --text-field NAME */
	int split_paragraphs;   /* --split paragraphs */
	long long max_doc_bytes;
	unsigned warc_types;    /* --warc-types (CUR_WARC_* bits; 0: default) */
	int warc_all_status;    /* --all-status */
	char **inputs;          /* positional arguments (borrowed from argv) */
	int ninputs;
	const char *const *input_category; /* parallel to inputs, or NULL */
	int report_tokens;      /* --report-tokens: token lengths in the report */
	int argc;               /* the command line, for the report's "run" */
	char **argv;
	json_t *config;         /* the command's options or pipeline file (borrowed), or NULL */
	const char *work;       /* where global stages keep their files (curate run) */
	int work_scratch;       /* work dies with the process */
	int pass;               /* run only this pass (curate run --pass) */
} cli_common;

/* cli_common_init: every common option at its default. */
void cli_common_init(cli_common *c);

/* cli_parse: parse argv (argv[0] is the command name) into common options
 * and, for options listed in specs, into cfg (a JSON object). Prints a usage
 * error and returns 2 on bad input, 0 on success, -1 after --help. */
int cli_parse(const char *cmd, const cur_opt_spec *specs, int argc, char **argv,
	      cli_common *c, json_t *cfg);

/* cli_check_inputs: 0 when every input (but "-") can be opened for
 * reading; else 3 after "cannot open 'X': errno's text". */
int cli_check_inputs(const char *cmd, char *const *inputs, int n);
/* cli_check_files: before a command writes anything: its inputs can be
 * read (else 3), no two of its outputs (-o, --rejects, --report,
 * --report-html) are the same file and none is an input (else 2, a usage
 * error). Messages name the files. */
int cli_check_files(const char *cmd, const cli_common *c);

/* cli_print_options: one line per option: name, help, default. */
void cli_print_options(FILE *f, const cur_opt_spec *specs);

/* cli_pipeline_opts: the pipeline options the common options set. */
void cli_pipeline_opts(const char *cmd, const cli_common *c, cur_pipeline_opts *o);

/* cli_pipeline_report: run stages over c->inputs into sink (or the JSONL
 * writer at c->output when sink is NULL), counting tokens too with
 * --report-tokens; fill report, with its "run". Returns CUR_OK, 1 under
 * --strict, or a negative code (err says why). Prints nothing. */
int cli_pipeline_report(const char *cmd, const cli_common *c, cur_stage **stages, size_t n,
			cur_sink *sink, json_t *report, cur_err *err);

/* cli_run_info: the report's "run" (docs/report.md): what ran, with what,
 * where; tc is the token counter of --report-tokens, or NULL. */
json_t *cli_run_info(const cli_common *c, const cur_token_counter *tc, time_t started);

/* cli_run_pipeline: run stages over c->inputs into sink (or the JSONL
 * writer at c->output when sink is NULL), write the report, print the summary.
 * Returns the exit status (0, 1 under --strict, 3 for I/O). */
int cli_run_pipeline(const char *cmd, const cli_common *c, cur_stage **stages, size_t n,
		     cur_sink *sink);

/* A sink a pipeline file can name under "sink:" (besides the JSONL writer). */
typedef struct cli_sink_row {
	const char *name;
	const char *summary;
	cur_sink_new_fn create;
	const cur_opt_spec *options;
	const char *output_help;     /* what its `output:` names, or NULL */
} cli_sink_row;
extern const cli_sink_row cli_sink_table[];

/* bin/run_plan.c: what a pipeline file holds. */
/* cli_pipeline_check: 0 when the pipeline file y holds only what a
 * pipeline file may (keys, their kinds of value, stages, sinks, their
 * options, categories the inputs declare); else 2 after one message on
 * errs at FILE:LINE:COLUMN naming the mistake and the valid choices. It
 * reads no other file. */
int cli_pipeline_check(const char *cmd, const cur_yaml *y, FILE *errs);
/* cli_pipeline_stage_error: the message of stage index's constructor at
 * FILE:LINE:COLUMN (of the option it names, else of the stage). */
void cli_pipeline_stage_error(const char *cmd, const cur_yaml *y, size_t index, const char *msg,
			      FILE *errs);
/* cli_stage_entry: a stage entry ({"name": X, ...} or {X: {...}}) as its
 * name (borrowed) and config (a new reference); -1 when it is neither. */
int cli_stage_entry(json_t *entry, const char **name, json_t **cfg);
/* cli_help_pipeline: `curate help pipeline`. */
void cli_help_pipeline(FILE *f);
/* cli_print_plan: the inputs with sizes and categories, the stages and the
 * sink with every option resolved, the outputs. Returns the number of
 * inputs not found. */
int cli_print_plan(FILE *f, const cli_common *c, json_t *pipe);

/* cli_make_sink: the sink described by spec ({NAME: {options}}), or NULL in
 * *out for the default JSONL writer when spec is NULL. */
int cli_make_sink(json_t *spec, const cli_common *c, const cur_stage_env *env,
		  cur_sink **out, cur_err *err);

/* cli_write_report: the run report as indented JSON, atomically (core/file.h;
 * compressed by the name, as every output). */
int cli_write_report(const char *path, json_t *report, cur_err *err);

/* cli_print_summary: the human summary of a run report, on stderr. */
void cli_print_summary(const char *cmd, json_t *r);

/* cli_exit_status: the exit status for a CUR_* code (DESIGN.md). */
int cli_exit_status(int rc);

/* cli_run_stage: a whole `curate STAGE [options] [FILE...]` command. */
int cli_run_stage(const cli_stage_row *row, int argc, char **argv);

/* cli_stage_env: the cur_stage_env for common options. */
void cli_stage_env(const cli_common *c, cur_stage_env *env);
/* cli_reader_opts: the reader options the common options set (text field,
 * paragraph splitting, record size limit), on top of ro's defaults. */
void cli_reader_opts(const cli_common *c, cur_reader_opts *ro);

#endif
