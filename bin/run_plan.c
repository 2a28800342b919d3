#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "bin/cli.h"

/* What a pipeline file may hold, said once: `curate help pipeline` prints it,
 * `curate run` checks files against it, and `curate run --dry-run` prints the
 * plan a file makes. */

typedef struct pipeline_key {
	const char *name, *value, *help;
} pipeline_key;

static const pipeline_key pipeline_keys[] = {
	{ "inputs", "PATHS | {CATEGORY: PATHS}",
	  "files or globs to read, in order; under a category each document gets metadata.category" },
	{ "stages", "[- STAGE: {OPTION: VALUE}]", "the stages, in order (below)" },
	{ "sink", "{NAME: {OPTION: VALUE}}", "where kept documents go (below); default: JSON Lines to output" },
	{ "output", "FILE", "JSON Lines output without a sink (.zst/.gz compress; default stdout)" },
	{ "report", "FILE.json", "the run report (docs/report.md)" },
	{ "report_html", "FILE.html", "the run report as a page with charts (curate report)" },
	{ "report_tokens", "true|false", "length histograms in tokens too; tokenizes every document (false)" },
	{ "rejects", "FILE", "every dropped document with its reason (metadata.curate.dropped_by)" },
	{ "jobs", "N", "worker threads (1); output is the same for any N" },
	{ "seed", "N", "random seed (0)" },
	{ "strict", "true|false", "stop at the first bad record, exit status 1 (false)" },
	{ "text_field", "NAME", "the JSON Lines field holding the text (text)" },
	{ "tokenizer", "FILE", "tiktoken or tokenizer.json for every stage and sink (Llama 3)" },
	{ "warc_types", "[response, conversion, resource, metadata]",
	  "WARC records that become documents (response and conversion)" },
	{ "all_status", "true|false", "WARC responses of any HTTP status, not only 200 (false)" },
	{ "work", "DIR", "where dedup keeps its files and a pass its documents for the next "
	  "(default: a temporary directory, removed after the run)" },
	{ NULL, NULL, NULL }
};

int cli_pipeline_check_keys(const char *cmd, json_t *pipe, const char *path)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(pipe, key, v) {
		for (i = 0; pipeline_keys[i].name; i++)
			if (strcmp(pipeline_keys[i].name, key) == 0)
				break;
		if (pipeline_keys[i].name)
			continue;
		fprintf(stderr, "curate %s: %s: unknown key '%s' (valid:", cmd, path, key);
		for (i = 0; pipeline_keys[i].name; i++)
			fprintf(stderr, " %s", pipeline_keys[i].name);
		fprintf(stderr, "; curate help pipeline says more)\n");
		return 2;
	}
	return 0;
}

int cli_stage_entry(json_t *entry, const char **name, json_t **cfg)
{
	*name = json_string_value(json_object_get(entry, "name"));
	*cfg = NULL;
	if (*name) {
		*cfg = json_deep_copy(entry);
		json_object_del(*cfg, "name");
	} else if (json_is_object(entry) && json_object_size(entry) == 1) {
		void *it = json_object_iter(entry);
		json_t *v = json_object_iter_value(it);

		*name = json_object_iter_key(it);
		*cfg = json_is_object(v) ? json_incref(v) : json_object();
	}
	return *name && *cfg ? 0 : -1;
}

/* Options as a pipeline file spells them: `max_epochs: E`. */
static void print_yaml_options(FILE *f, const cur_opt_spec *specs)
{
	const cur_opt_spec *s;

	for (s = specs; s && s->name; s++) {
		char left[64];
		size_t i;
		const char *def = s->def ? s->def : s->kind == CUR_OPT_FLAG ? "false" : NULL;

		snprintf(left, sizeof(left), "%s: %s", s->name,
			 s->kind == CUR_OPT_FLAG ? "true" : s->kind == CUR_OPT_LIST ? "[...]" :
			 s->arg ? s->arg : "VALUE");
		for (i = 0; left[i] != ':'; i++)
			if (left[i] == '-')
				left[i] = '_';
		fprintf(f, "      %-28s %s", left, s->help);
		if (def)
			fprintf(f, " (default: %s)", def);
		fputc('\n', f);
	}
}

void cli_help_pipeline(FILE *f)
{
	size_t i;

	fprintf(f, "usage: curate run [--dry-run] [options] PIPELINE.yaml\n\n"
		   "A pipeline file is YAML with these keys (command-line options win over them):\n");
	for (i = 0; pipeline_keys[i].name; i++) {
		char left[64];

		snprintf(left, sizeof(left), "%s: %s", pipeline_keys[i].name, pipeline_keys[i].value);
		fprintf(f, "  %-40s %s\n", left, pipeline_keys[i].help);
	}
	fprintf(f, "\nStages: `- NAME: {OPTION: VALUE}` (the options of `curate NAME`, with _ for -),\n"
		   "in order; `categories: [NAME...]` limits any stage to those categories.\n");
	for (i = 0; i < cli_stage_count; i++) {
		fprintf(f, "\n  %s: %s\n", cli_stage_table[i].name, cli_stage_table[i].summary);
		print_yaml_options(f, cli_stage_table[i].options);
		if (strcmp(cli_stage_table[i].name, "filter") == 0)
			fprintf(f, "      (each rule of each set, with its default: curate help filter)\n");
	}
	fprintf(f, "\nSinks: `sink: {NAME: {OPTION: VALUE}}`; without one, kept documents go to\n"
		   "`output` as JSON Lines.\n");
	for (i = 0; cli_sink_table[i].name; i++) {
		fprintf(f, "\n  %s: %s\n", cli_sink_table[i].name, cli_sink_table[i].summary);
		if (cli_sink_table[i].output_help)
			fprintf(f, "      %-28s %s\n", "output: PATH", cli_sink_table[i].output_help);
		print_yaml_options(f, cli_sink_table[i].options);
	}
	fprintf(f, "\nExample: data/pipeline.yaml (the demo's); `curate run --dry-run FILE` prints\n"
		   "the plan a file makes without running it.\n");
}

/* ---- the plan ---- */

static void print_size(FILE *f, double bytes)
{
	if (bytes >= 1e9)
		fprintf(f, "%8.2f GB", bytes / 1e9);
	else if (bytes >= 1e6)
		fprintf(f, "%8.2f MB", bytes / 1e6);
	else
		fprintf(f, "%8.1f kB", bytes / 1e3);
}

/* Every option with the value the run will use: set in the file, or the
 * default. */
static void print_resolved(FILE *f, const cur_opt_spec *specs, json_t *cfg)
{
	const cur_opt_spec *s;

	for (s = specs; s && s->name; s++) {
		char key[64];
		json_t *v;
		size_t i;

		snprintf(key, sizeof(key), "%s", s->name);
		for (i = 0; key[i]; i++)
			if (key[i] == '-')
				key[i] = '_';
		v = json_object_get(cfg, key);
		if (v) {
			char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

			fprintf(f, "      %-22s %s\n", key, text ? text : "?");
			free(text);
		} else {
			fprintf(f, "      %-22s %s (default)\n", key,
				s->def ? s->def : s->kind == CUR_OPT_FLAG ? "false" : "none");
		}
	}
}

static int print_inputs(FILE *f, const cli_common *c)
{
	double total = 0;
	int i, missing = 0;

	for (i = 0; i < c->ninputs; i++) {
		struct stat st;

		if (stat(c->inputs[i], &st) == 0)
			total += (double)st.st_size;
	}
	fprintf(f, "inputs: %d files, ", c->ninputs);
	print_size(f, total);
	fputc('\n', f);
	for (i = 0; i < c->ninputs; i++) {
		struct stat st;

		fprintf(f, "  %-14s", c->input_category && c->input_category[i] ?
			c->input_category[i] : "-");
		if (stat(c->inputs[i], &st) == 0) {
			print_size(f, (double)st.st_size);
		} else {
			fprintf(f, "   not found");
			missing++;
		}
		fprintf(f, "  %s\n", c->inputs[i]);
	}
	return missing;
}

static void print_stages(FILE *f, json_t *stages)
{
	json_t *entry;
	size_t i;

	fprintf(f, "stages:%s\n", json_array_size(stages) ? "" : " none");
	json_array_foreach(stages, i, entry) {
		const char *name;
		json_t *cfg, *cats;
		const cli_stage_row *row;

		if (cli_stage_entry(entry, &name, &cfg) < 0)
			continue;
		row = cli_stage_find(name);
		fprintf(f, "  %zu %s", i + 1, name);
		cats = json_object_get(cfg, "categories");
		if (cats) {
			char *text = json_dumps(cats, JSON_COMPACT);

			fprintf(f, " (on categories %s)", text ? text : "?");
			free(text);
		}
		fputc('\n', f);
		if (row)
			print_resolved(f, row->options, cfg);
		json_decref(cfg);
	}
}

static void print_sink(FILE *f, const cli_common *c, json_t *spec)
{
	const char *name;
	json_t *cfg;
	size_t i;

	if (!json_is_object(spec) || !json_object_size(spec)) {
		fprintf(f, "sink: JSON Lines to %s\n", c->output ? c->output : "standard output");
		return;
	}
	json_object_foreach(spec, name, cfg) {
		fprintf(f, "sink: %s\n", name);
		if (json_object_get(cfg, "output") || c->output)
			fprintf(f, "      %-22s %s\n", "output", json_string_value(
				json_object_get(cfg, "output")) ? json_string_value(
				json_object_get(cfg, "output")) : c->output);
		for (i = 0; cli_sink_table[i].name; i++)
			if (strcmp(cli_sink_table[i].name, name) == 0)
				print_resolved(f, cli_sink_table[i].options, cfg);
	}
}

int cli_print_plan(FILE *f, const cli_common *c, json_t *pipe)
{
	int missing = print_inputs(f, c);

	print_stages(f, json_object_get(pipe, "stages"));
	print_sink(f, c, json_object_get(pipe, "sink"));
	fprintf(f, "report:  %s\npage:    %s\nrejects: %s\n", c->report ? c->report : "none",
		c->report_html ? c->report_html : "none", c->rejects ? c->rejects : "none");
	fprintf(f, "jobs %d, seed %llu, length histograms in %s\n", c->jobs,
		(unsigned long long)c->seed, c->report_tokens ? "characters and tokens" :
		"characters");
	return missing;
}
