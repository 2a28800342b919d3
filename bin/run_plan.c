#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "bin/cli.h"
#include "core/options.h"
#include "core/reader.h"
#include "core/yaml.h"

/* What a pipeline file may hold, said once: `curate help pipeline` prints it,
 * `curate run` checks files against it, and `curate run --dry-run` prints the
 * plan a file makes. */

/* What each top-level value must be. */
enum key_kind { K_INPUTS, K_STAGES, K_SINK, K_STRING, K_BOOL, K_JOBS, K_SEED, K_WARC_TYPES };

typedef struct pipeline_key {
	const char *name, *value, *help;
	enum key_kind kind;
} pipeline_key;

static const pipeline_key pipeline_keys[] = {
	{ "inputs", "PATHS | {CATEGORY: PATHS}",
	  "files or globs to read, in order; under a category each document gets metadata.category",
	  K_INPUTS },
	{ "stages", "[- STAGE: {OPTION: VALUE}]", "the stages, in order (below)", K_STAGES },
	{ "sink", "{NAME: {OPTION: VALUE}}", "where kept documents go (below); default: JSON Lines to output",
	  K_SINK },
	{ "output", "FILE", "JSON Lines output without a sink, or the sink's when it names none "
	  "(.zst/.gz compress; default stdout)", K_STRING },
	{ "report", "FILE.json", "the run report (docs/report.md)", K_STRING },
	{ "report_html", "FILE.html", "the run report as a page with charts (curate report)", K_STRING },
	{ "report_tokens", "true|false", "length histograms in tokens too; tokenizes every document (false)",
	  K_BOOL },
	{ "rejects", "FILE", "every dropped document with its reason (metadata.curate.dropped_by)",
	  K_STRING },
	{ "jobs", "N", "worker threads, 1 to 1024 (1); output is the same for any N", K_JOBS },
	{ "seed", "N", "random seed, 0 or more (0)", K_SEED },
	{ "strict", "true|false", "stop at the first bad record, exit status 1 (false)", K_BOOL },
	{ "text_field", "NAME", "the JSON Lines field holding the text (text)", K_STRING },
	{ "tokenizer", "FILE", "tiktoken or tokenizer.json for every stage and sink (Llama 3)", K_STRING },
	{ "warc_types", "[response, conversion, resource, metadata]",
	  "WARC records that become documents (response and conversion)", K_WARC_TYPES },
	{ "all_status", "true|false", "WARC responses of any HTTP status, not only 200 (false)", K_BOOL },
	{ "work", "DIR", "where dedup keeps its files and a pass its documents for the next "
	  "(default: a temporary directory, removed after the run)", K_STRING },
	{ NULL, NULL, NULL, 0 }
};

/* ---- checking a pipeline file before anything runs ----
 * Every mistake is named at FILE:LINE:COLUMN with what would be right; the
 * first one stops the check. */

typedef struct checker {
	const char *cmd;     /* the command, for messages */
	const cur_yaml *y;
	FILE *errs;
	json_t *categories;  /* the inputs' categories (an array), or NULL */
	json_t *set_by_stages; /* categories a stage so far gives (an array) */
	int may_categorize;  /* a stage so far may give categories it cannot name */
} checker;

/* Report a mistake where parent's member key (of_key: the key itself) or
 * element index was written. Returns 2, the exit status of a usage error. */
static int mistake(const checker *k, const json_t *parent, const char *key, size_t index,
		   int of_key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void say_at(const checker *k, const json_t *parent, const char *key, size_t index,
		   int of_key, const char *what, const char *fmt, va_list ap)
{
	unsigned line = 0, col = 0;

	cur_yaml_where(k->y, parent, key, index, of_key, &line, &col);
	fprintf(k->errs, "curate %s: %s:%u:%u: %s", k->cmd, cur_yaml_name(k->y), line, col, what);
	vfprintf(k->errs, fmt, ap);
	fputc('\n', k->errs);
}

static int mistake(const checker *k, const json_t *parent, const char *key, size_t index,
		   int of_key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say_at(k, parent, key, index, of_key, "", fmt, ap);
	va_end(ap);
	return 2;
}

static void warning(const checker *k, const json_t *parent, const char *key, size_t index,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void warning(const checker *k, const json_t *parent, const char *key, size_t index,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say_at(k, parent, key, index, 0, "warning: ", fmt, ap);
	va_end(ap);
}

/* "a, b, c" of a spec table's names, with _ for - (as a file spells them). */
static void spec_names(FILE *f, const cur_opt_spec *specs, const char *also)
{
	const cur_opt_spec *s;

	for (s = specs; s && s->name; s++) {
		const char *c;

		fputs(s == specs ? "" : ", ", f);
		for (c = s->name; *c; c++)
			fputc(*c == '-' ? '_' : *c, f);
	}
	if (also)
		fprintf(f, "%s%s", specs && specs->name ? ", " : "", also);
}

/* A list of names as one line, for a message. */
static char *names_line(void (*write)(FILE *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	write(f, arg);
	fclose(f);
	return buf;
}

static void write_keys(FILE *f, const void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; pipeline_keys[i].name; i++)
		fprintf(f, "%s%s", i ? ", " : "", pipeline_keys[i].name);
}

static void write_stages(FILE *f, const void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < cli_stage_count; i++)
		fprintf(f, "%s%s", i ? ", " : "", cli_stage_table[i].name);
}

static void write_sinks(FILE *f, const void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; cli_sink_table[i].name; i++)
		fprintf(f, "%s, ", cli_sink_table[i].name);
	fprintf(f, "jsonl");
}

static void write_stage_options(FILE *f, const void *arg)
{
	spec_names(f, arg, "categories");
}

static void write_sink_options(FILE *f, const void *arg)
{
	spec_names(f, arg, "output");
}

static void write_list(FILE *f, const void *arg)
{
	const json_t *a = arg;
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		fprintf(f, "%s%s", i ? ", " : "", json_string_value(v));
}

/* A mistake whose message ends with a list of valid names. */
static int mistake_names(const checker *k, const json_t *parent, const char *key, size_t index,
			 const char *what, void (*write)(FILE *, const void *), const void *arg)
{
	char *names = names_line(write, arg);
	int rc = mistake(k, parent, key, index, 1, "%s (valid: %s)", what, names ? names : "?");

	free(names);
	return rc;
}

/* PATHS: a path or glob, or a list of them. */
static int check_paths(const checker *k, json_t *parent, const char *key, json_t *v)
{
	size_t i;
	json_t *x;

	if (json_is_string(v))
		return 0;
	if (!json_is_array(v))
		return mistake(k, parent, key, 0, 0, "'%s' wants a path or a list of paths", key);
	if (json_array_size(v) == 0)
		return mistake(k, parent, key, 0, 0, "'%s' lists no file", key);
	json_array_foreach(v, i, x)
		if (!json_is_string(x))
			return mistake(k, v, NULL, i, 0, "a path must be a string");
	return 0;
}

static int check_inputs(checker *k, json_t *pipe, json_t *v)
{
	const char *cat;
	json_t *paths;

	if (!json_is_object(v))
		return check_paths(k, pipe, "inputs", v);
	if (json_object_size(v) == 0)
		return mistake(k, pipe, "inputs", 0, 0, "'inputs' lists no file");
	k->categories = json_array();
	json_object_foreach(v, cat, paths) {
		int rc = check_paths(k, v, cat, paths);

		if (rc)
			return rc;
		json_array_append_new(k->categories, json_string(cat));
	}
	return 0;
}

/* Option values of the kinds whose type is plain (flags and numbers); the
 * stage checks strings, lists and ranges itself. */
static int check_option_value(const checker *k, json_t *cfg, const char *key,
			      const cur_opt_spec *s)
{
	json_t *v = json_object_get(cfg, key);

	switch (s->kind) {
	case CUR_OPT_FLAG:
		if (!json_is_boolean(v))
			return mistake(k, cfg, key, 0, 0, "'%s' wants true or false", key);
		break;
	case CUR_OPT_INT:
		if (!json_is_integer(v))
			return mistake(k, cfg, key, 0, 0, "'%s' wants a whole number", key);
		break;
	case CUR_OPT_NUM:
		if (!json_is_number(v))
			return mistake(k, cfg, key, 0, 0, "'%s' wants a number", key);
		break;
	default:
		break;
	}
	return 0;
}

/* The options of a stage or sink: each one it has, of the right kind.
 * extra: a key of the entry that is not an option ("name"), or NULL. */
static int check_options(const checker *k, json_t *cfg, const cur_opt_spec *specs,
			 const char *extra, const char *owner, int sink)
{
	const char *key;
	json_t *v;

	json_object_foreach(cfg, key, v) {
		const cur_opt_spec *s = cur_opt_find(specs, key);
		char what[160];
		int rc;

		if (!s && ((extra && strcmp(key, extra) == 0) ||
			   strcmp(key, sink ? "output" : "categories") == 0))
			continue;
		if (!s) {
			snprintf(what, sizeof(what), "%s '%s' has no option '%s'", sink ? "sink" : "stage",
				 owner, key);
			return mistake_names(k, cfg, key, 0, what, sink ? write_sink_options :
					     write_stage_options, specs);
		}
		if ((rc = check_option_value(k, cfg, key, s)) != 0)
			return rc;
	}
	return 0;
}

static int has_name(const json_t *names, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach(names, i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return 1;
	return 0;
}

/* A category nothing before the stage gives: the valid ones are the
 * inputs' and those of the stages before. */
static int unknown_category(const checker *k, const json_t *cats, size_t i, const char *name)
{
	json_t *valid = json_array();
	char what[160];
	int rc;

	if (k->categories)
		json_array_extend(valid, k->categories);
	json_array_extend(valid, k->set_by_stages);
	if (json_array_size(k->set_by_stages))
		snprintf(what, sizeof(what), "no input or stage before gives category '%s'", name);
	else
		snprintf(what, sizeof(what), "no input has category '%s'", name);
	rc = mistake_names(k, cats, NULL, i, what, write_list, valid);
	json_decref(valid);
	return rc;
}

/* categories: [NAME...]: each one the inputs declare or a stage before
 * gives (a classifier's own categories: silently), or one a stage before
 * may give (a warning, as it may never come). */
static int check_categories(const checker *k, json_t *cfg, const char *stage)
{
	json_t *cats = json_object_get(cfg, "categories"), *v;
	size_t i;

	if (!cats)
		return 0;
	if (!json_is_array(cats) || json_array_size(cats) == 0)
		return mistake(k, cfg, "categories", 0, 0, "'categories' wants a list of names");
	json_array_foreach(cats, i, v) {
		const char *name = json_string_value(v);

		if (!name)
			return mistake(k, cats, NULL, i, 0, "a category must be a name");
		if (has_name(k->categories, name) || has_name(k->set_by_stages, name))
			continue;
		if (k->may_categorize) {
			warning(k, cats, NULL, i, "no input has category '%s': stage '%s' runs only on "
				"documents a stage before gives it", name, stage);
			continue;
		}
		if (!k->categories && !json_array_size(k->set_by_stages))
			return mistake(k, cats, NULL, i, 0, "category '%s': the inputs have no "
				       "categories (inputs: {CATEGORY: [PATHS]} gives them)", name);
		return unknown_category(k, cats, i, name);
	}
	return 0;
}

static int check_stage(checker *k, json_t *stages, size_t i, json_t *entry)
{
	const cli_stage_row *row;
	const char *name;
	json_t *cfg, *container = entry;
	const char *where = "name";
	int rc;

	if (!json_is_object(entry) || (!json_object_get(entry, "name") && json_object_size(entry) != 1))
		return mistake(k, stages, NULL, i, 0, "a stage is written '- NAME: {OPTION: VALUE}'");
	if ((name = json_string_value(json_object_get(entry, "name")))) {
		cfg = entry;
	} else {
		void *it = json_object_iter(entry);

		name = json_object_iter_key(it);
		cfg = json_object_iter_value(it);
		if (!json_is_object(cfg) && !json_is_null(cfg))
			return mistake(k, entry, name, 0, 0, "the options of stage '%s' must be a "
				       "mapping {OPTION: VALUE}", name);
		where = name;
	}
	if (!(row = cli_stage_find(name))) {
		char what[160];

		snprintf(what, sizeof(what), "unknown stage '%s'", name);
		return mistake_names(k, container, where, 0, what, write_stages, NULL);
	}
	if (json_is_object(cfg)) {
		if ((rc = check_options(k, cfg, row->options, cfg == entry ? "name" : NULL, name, 0)) ||
		    (rc = check_categories(k, cfg, name)))
			return rc;
	}
	if (row->sets_categories && row->sets_categories(json_is_object(cfg) ? cfg : NULL,
							 k->set_by_stages))
		k->may_categorize = 1;
	return 0;
}

static int check_sink(const checker *k, json_t *pipe, json_t *v)
{
	const char *name;
	json_t *cfg;
	size_t i;

	if (json_is_null(v))
		return 0;
	if (!json_is_object(v) || json_object_size(v) != 1)
		return mistake(k, pipe, "sink", 0, 0, "'sink' is written 'sink: {NAME: {OPTION: VALUE}}'");
	json_object_foreach(v, name, cfg) {
		for (i = 0; cli_sink_table[i].name; i++)
			if (strcmp(cli_sink_table[i].name, name) == 0)
				break;
		if (!cli_sink_table[i].name && strcmp(name, "jsonl") != 0) {
			char what[160];

			snprintf(what, sizeof(what), "unknown sink '%s'", name);
			return mistake_names(k, v, name, 0, what, write_sinks, NULL);
		}
		if (!json_is_object(cfg) && !json_is_null(cfg))
			return mistake(k, v, name, 0, 0, "the options of sink '%s' must be a mapping "
				       "{OPTION: VALUE}", name);
		if (json_is_object(cfg) && cli_sink_table[i].name)
			return check_options(k, cfg, cli_sink_table[i].options, NULL, name, 1);
		if (json_is_object(cfg) && json_object_size(cfg))
			return mistake(k, v, name, 0, 0, "sink 'jsonl' has no options: 'output' names "
				       "its file");
	}
	return 0;
}

/* One top-level key's value, by its kind. */
static int check_value(checker *k, json_t *pipe, const pipeline_key *pk, json_t *v)
{
	const char *key = pk->name;
	unsigned mask;
	size_t i;
	json_t *x;
	int rc;

	switch (pk->kind) {
	case K_STRING:
		if (!json_is_string(v))
			return mistake(k, pipe, key, 0, 0, "'%s' wants a %s", key, pk->value);
		return 0;
	case K_BOOL:
		if (!json_is_boolean(v))
			return mistake(k, pipe, key, 0, 0, "'%s' wants true or false", key);
		return 0;
	case K_JOBS:
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1024)
			return mistake(k, pipe, key, 0, 0, "'jobs' wants a whole number from 1 to 1024");
		return 0;
	case K_SEED:
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return mistake(k, pipe, key, 0, 0, "'seed' wants a whole number, 0 or more");
		return 0;
	case K_WARC_TYPES:
		if (json_is_string(v) && !cur_warc_types_parse(json_string_value(v), &mask))
			return 0;
		json_array_foreach(v, i, x)
			if (!json_is_string(x) || cur_warc_types_parse(json_string_value(x), &mask))
				return mistake(k, v, NULL, i, 0, "a WARC record type is one of "
					       "response, conversion, resource, metadata");
		if (json_is_array(v) && json_array_size(v))
			return 0;
		return mistake(k, pipe, key, 0, 0, "'warc_types' wants a list of response, "
			       "conversion, resource, metadata");
	case K_INPUTS:
		return check_inputs(k, pipe, v);
	case K_SINK:
		return check_sink(k, pipe, v);
	case K_STAGES:
		if (!json_is_array(v))
			return mistake(k, pipe, key, 0, 0, "'stages' wants a list: '- NAME: {OPTIONS}'");
		json_array_foreach(v, i, x)
			if ((rc = check_stage(k, v, i, x)) != 0)
				return rc;
		return 0;
	}
	return 0;
}

/* output: beside a sink that names its own would be left unused. */
static int check_outputs(const checker *k, json_t *pipe)
{
	json_t *sink = json_object_get(pipe, "sink");
	void *it = json_is_object(sink) ? json_object_iter(sink) : NULL;
	json_t *cfg = it ? json_object_iter_value(it) : NULL;
	unsigned line, col;

	if (!json_object_get(pipe, "output") || !json_object_get(cfg, "output"))
		return 0;
	cur_yaml_where(k->y, cfg, "output", 0, 1, &line, &col);
	return mistake(k, pipe, "output", 0, 1, "'output' given twice: here and as the sink's "
		       "own (line %u); keep one", line);
}

static const pipeline_key *key_find(const char *name)
{
	size_t i;

	for (i = 0; pipeline_keys[i].name; i++)
		if (strcmp(pipeline_keys[i].name, name) == 0)
			return &pipeline_keys[i];
	return NULL;
}

int cli_pipeline_check(const char *cmd, const cur_yaml *y, FILE *errs)
{
	checker k = { cmd, y, errs, NULL, json_array(), 0 };
	json_t *pipe = cur_yaml_root(y), *v;
	const char *key;
	int rc = 0;

	if (!json_is_object(pipe)) {
		rc = mistake(&k, NULL, NULL, 0, 0, "a pipeline file is a mapping of keys "
			     "(curate help pipeline)");
		goto out;
	}
	json_object_foreach(pipe, key, v) {
		if (!key_find(key)) {
			char what[160];

			snprintf(what, sizeof(what), "unknown key '%s'", key);
			rc = mistake_names(&k, pipe, key, 0, what, write_keys, NULL);
			goto out;
		}
	}
	/* The inputs first: the stages' categories are checked against them. */
	if ((v = json_object_get(pipe, "inputs")) && (rc = check_value(&k, pipe, key_find("inputs"), v)))
		goto out;
	json_object_foreach(pipe, key, v)
		if (strcmp(key, "inputs") != 0 && (rc = check_value(&k, pipe, key_find(key), v)) != 0)
			goto out;
	rc = check_outputs(&k, pipe);
out:
	json_decref(k.categories);
	json_decref(k.set_by_stages);
	return rc;
}

/* Does msg name the option key ('key', or --key as the command line
 * spells it)? */
static int names_option(const char *msg, const char *key)
{
	char quoted[256], dashed[256];
	size_t i;

	snprintf(quoted, sizeof(quoted), "'%s'", key);
	snprintf(dashed, sizeof(dashed), "--%s", key);
	for (i = 2; dashed[i]; i++)
		if (dashed[i] == '_')
			dashed[i] = '-';
	if (strstr(msg, quoted))
		return 1;
	for (const char *p = strstr(msg, dashed); p; p = strstr(p + 1, dashed)) {
		char after = p[strlen(dashed)];

		if (!(after == '-' || after == '_' || (after >= 'a' && after <= 'z')))
			return 1;
	}
	return 0;
}

/* Where a stage's constructor found fault: at the option its message
 * names, else at the stage. */
void cli_pipeline_stage_error(const char *cmd, const cur_yaml *y, size_t index, const char *msg,
			      FILE *errs)
{
	json_t *stages = json_object_get(cur_yaml_root(y), "stages");
	json_t *entry = json_array_get(stages, index), *cfg = entry, *v;
	const json_t *parent = stages;
	const char *key = NULL, *k;
	size_t at = index;
	unsigned line = 0, col = 0;

	if (!json_object_get(entry, "name") && json_object_size(entry) == 1)
		cfg = json_object_iter_value(json_object_iter(entry));
	json_object_foreach(cfg, k, v) {
		if (names_option(msg, k)) {
			parent = cfg;
			key = k;
			at = 0;
			break;
		}
	}
	cur_yaml_where(y, parent, key, at, 0, &line, &col);
	fprintf(errs, "curate %s: %s:%u:%u: stage %zu: %s\n", cmd, cur_yaml_name(y), line, col,
		index + 1, msg);
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
