/* Pipeline files (YAML): read into JSON, their inputs expanded, their stage
 * entries built from the stage table. `curate run` and `curate slurm` both
 * read pipelines through here, so a file means the same to both. */
#ifndef CUR_PIPELINE_FILE_H
#define CUR_PIPELINE_FILE_H

#include <glob.h>
#include <stddef.h>
#include <jansson.h>
#include "bin/cli.h"

/* cli_pipeline_open: the pipeline file at path, read and checked
 * (cli_pipeline_check); cur_yaml_root(*y) is the file as JSON. Returns 0,
 * or the exit status after a message: 2 for a mistake in the file, 3 when
 * it cannot be read. OUT: *y, freed with cur_yaml_free (also on error). */
int cli_pipeline_open(const char *cmd, const char *path, cur_yaml **y);

/* The expanded inputs: paths in order, and each one's category (NULL when
 * the file gives a plain list). Paths are borrowed from the globs. */
typedef struct cli_inputs {
	char **paths;
	const char **category;
	size_t n, cap;
	glob_t *globs;
	size_t nglobs;
} cli_inputs;

/* cli_inputs_expand: the inputs of the checked file y: a path, a list of
 * paths, or a mapping {category: paths}; globs expand in the order given,
 * sorted within each. A glob that matches nothing or a path that cannot be
 * read is exit status 3 after a message at FILE:LINE:COLUMN; a dry run
 * keeps them as given. OUT: *tagged is 1 for a mapping. Returns 0 or the
 * exit status; free l with cli_inputs_free either way. */
int cli_inputs_expand(const char *cmd, const cur_yaml *y, int dry_run, cli_inputs *l, int *tagged);
void cli_inputs_free(cli_inputs *l);

/* cli_pipeline_common: the common options the file sets (output, report,
 * rejects, report_html, text_field, tokenizer, jobs, seed, strict,
 * report_tokens, warc_types, all_status) where the command line left them
 * at their defaults, and the file itself as the run's config. Strings and
 * the config are borrowed from pipe. -1 when warc_types names no known
 * record type. */
int cli_pipeline_common(json_t *pipe, cli_common *c);

/* cli_stage_from_entry: the stage an entry describes (cli_stage_entry);
 * "categories": [...] limits it to documents of those categories. NULL with
 * err filled. */
cur_stage *cli_stage_from_entry(json_t *entry, const cur_stage_env *env, cur_err *err);

#endif
