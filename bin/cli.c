#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <xxhash.h>
#include <zstd.h>
#include "bin/cli.h"
#include "core/interrupt.h"
#include "core/writer.h"
#include "report/report.h"
#include "tokenizer/tokenize_stage.h"

/* Common options (DESIGN.md) are parsed here once for every command; a
 * command's own options come from its cur_opt_spec table and land in a JSON
 * config object, the same shape a pipeline file gives. */

enum {
	OPT_REPORT = 256, OPT_REJECTS, OPT_STRICT, OPT_RANK, OPT_WORLD, OPT_SEED,
	OPT_TOKENIZER, OPT_TEXT_FIELD, OPT_SPLIT, OPT_MAX_DOC, OPT_HELP, OPT_REPORT_TOKENS,
	OPT_REPORT_HTML,
	OPT_WARC_TYPES, OPT_ALL_STATUS,
	OPT_SPEC = 1000
};

static const struct option common_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "rank", required_argument, NULL, OPT_RANK },
	{ "world", required_argument, NULL, OPT_WORLD },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "tokenizer", required_argument, NULL, OPT_TOKENIZER },
	{ "text-field", required_argument, NULL, OPT_TEXT_FIELD },
	{ "split", required_argument, NULL, OPT_SPLIT },
	{ "max-doc-bytes", required_argument, NULL, OPT_MAX_DOC },
	{ "report-tokens", no_argument, NULL, OPT_REPORT_TOKENS },
	{ "report-html", required_argument, NULL, OPT_REPORT_HTML },
	{ "warc-types", required_argument, NULL, OPT_WARC_TYPES },
	{ "all-status", no_argument, NULL, OPT_ALL_STATUS },
	{ "help", no_argument, NULL, OPT_HELP },
};
#define NCOMMON (sizeof(common_opts) / sizeof(common_opts[0]))

static const char common_help[] =
	"  -o, --output FILE      write here (.zst/.gz compress; default stdout)\n"
	"  -j, --jobs N           worker threads (default 1)\n"
	"      --report FILE      write the run report as JSON (curate report draws it)\n"
	"      --report-html FILE the run report as an HTML page with charts\n"
	"      --report-tokens    the report's length histograms in tokens too\n"
	"      --rejects FILE     write dropped documents (JSONL) with the reason\n"
	"      --strict           stop at the first bad record, exit status 1\n"
	"      --rank R --world N process the R-th of N slices of the inputs\n"
	"      --seed N           random seed (default 0)\n"
	"      --tokenizer FILE   tiktoken or tokenizer.json (default Llama 3)\n"
	"      --text-field NAME  JSONL field holding the text (default text)\n"
	"      --split paragraphs plain text: a document per blank-line block\n"
	"      --max-doc-bytes N  skip longer records (default 64M; K, M, G suffixes)\n"
	"      --warc-types LIST  WARC records that become documents (default\n"
	"                         response,conversion; also resource, metadata)\n"
	"      --all-status       WARC responses of any HTTP status (default 200 only)\n"
	"  -q, --quiet            no messages but errors; -v, --verbose more\n"
	"      --help             this help\n";

static int parse_ll(const char *s, long long lo, long long hi, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *out >= lo && *out <= hi;
}

static void spec_key(const char *name, char *key, size_t cap)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < cap; i++)
		key[i] = name[i] == '-' ? '_' : name[i];
	key[i] = '\0';
}

static int usage_error(const char *cmd, const char *fmt, const char *what)
{
	fprintf(stderr, "curate %s: ", cmd);
	fprintf(stderr, fmt, what);
	fprintf(stderr, "\nTry 'curate %s --help'.\n", cmd);
	return 2;
}

static int set_spec(const char *cmd, const cur_opt_spec *s, const char *arg, json_t *cfg)
{
	char key[128];
	long long v;
	double d;
	char *end;

	spec_key(s->name, key, sizeof(key));
	switch (s->kind) {
	case CUR_OPT_FLAG:
		json_object_set_new(cfg, key, json_true());
		return 0;
	case CUR_OPT_INT:
		if (!parse_ll(arg, INT64_MIN, INT64_MAX, &v))
			return usage_error(cmd, "option '--%s' wants an integer", s->name);
		json_object_set_new(cfg, key, json_integer(v));
		return 0;
	case CUR_OPT_NUM:
		errno = 0;
		d = strtod(arg, &end);
		/* nan and inf pass every range check by failing it (nan < 0 is
		 * false): no option takes them. */
		if (errno || end == arg || *end || !isfinite(d))
			return usage_error(cmd, "option '--%s' wants a number", s->name);
		json_object_set_new(cfg, key, json_real(d));
		return 0;
	case CUR_OPT_STR:
		json_object_set_new(cfg, key, json_string(arg));
		return 0;
	case CUR_OPT_LIST: {
		json_t *a = json_object_get(cfg, key);

		if (!json_is_array(a)) {
			a = json_array();
			json_object_set_new(cfg, key, a);
		}
		json_array_append_new(a, json_string(arg));
		return 0;
	}
	}
	return 2;
}

void cli_print_options(FILE *f, const cur_opt_spec *specs)
{
	const cur_opt_spec *s;

	for (s = specs; s && s->name; s++) {
		char left[64];
		const char *def = s->def ? s->def : s->kind == CUR_OPT_FLAG ? "off" : NULL;

		snprintf(left, sizeof(left), "--%s%s%s", s->name, s->arg ? " " : "",
			 s->arg ? s->arg : "");
		fprintf(f, "      %-24s %s", left, s->help);
		if (def)
			fprintf(f, " (default: %s)", def);
		fputc('\n', f);
	}
}

static void print_help(const char *cmd, const cur_opt_spec *specs)
{
	printf("usage: curate %s [options] [FILE...]\n\nCommon options:\n%s", cmd, common_help);
	if (specs && specs->name) {
		printf("\nOptions of %s%s:\n", cmd, cli_stage_find(cmd) ?
		       " (in a pipeline file, the same names with _ for -)" : "");
		cli_print_options(stdout, specs);
	}
}

static int set_common(const char *cmd, int c, const char *arg, cli_common *o)
{
	long long v;

	switch (c) {
	case 'o': o->output = arg; break;
	case 'j':
		if (!parse_ll(arg, 1, 1024, &v))
			return usage_error(cmd, "-j wants a thread count 1..1024, not '%s'", arg);
		o->jobs = (int)v;
		break;
	case 'q': o->quiet = 1; break;
	case 'v': o->verbose = 1; break;
	case OPT_REPORT: o->report = arg; break;
	case OPT_REJECTS: o->rejects = arg; break;
	case OPT_STRICT: o->strict = 1; break;
	case OPT_REPORT_TOKENS: o->report_tokens = 1; break;
	case OPT_REPORT_HTML: o->report_html = arg; break;
	case OPT_RANK:
		if (!parse_ll(arg, 0, 1 << 30, &v))
			return usage_error(cmd, "--rank wants a number >= 0, not '%s'", arg);
		o->rank = (int)v;
		break;
	case OPT_WORLD:
		if (!parse_ll(arg, 1, 1 << 30, &v))
			return usage_error(cmd, "--world wants a number >= 1, not '%s'", arg);
		o->world = (int)v;
		break;
	case OPT_SEED:
		if (!parse_ll(arg, 0, INT64_MAX, &v))
			return usage_error(cmd, "--seed wants a number >= 0, not '%s'", arg);
		o->seed = (uint64_t)v;
		break;
	case OPT_TOKENIZER: o->tokenizer = arg; break;
	case OPT_TEXT_FIELD: o->text_field = arg; break;
	case OPT_SPLIT:
		if (strcmp(arg, "paragraphs") != 0 && strcmp(arg, "file") != 0)
			return usage_error(cmd, "--split wants 'paragraphs' or 'file', not '%s'", arg);
		o->split_paragraphs = strcmp(arg, "paragraphs") == 0;
		break;
	case OPT_MAX_DOC: {
		uint64_t n;

		if (cur_parse_size(arg, &n) != CUR_OK || n < 1 || n > (uint64_t)1 << 40)
			return usage_error(cmd, "--max-doc-bytes wants a size (bytes, or with K, M, G), "
					 "not '%s'", arg);
		o->max_doc_bytes = (long long)n;
		break;
	}
	case OPT_WARC_TYPES:
		if (cur_warc_types_parse(arg, &o->warc_types) != CUR_OK)
			return usage_error(cmd, "--warc-types wants a list of response, conversion, "
					 "resource, metadata, not '%s'", arg);
		break;
	case OPT_ALL_STATUS: o->warc_all_status = 1; break;
	default:
		return 2;
	}
	return 0;
}

void cli_common_init(cli_common *c)
{
	memset(c, 0, sizeof(*c));
	c->jobs = 1;
	c->world = 1;
	c->text_field = "text";
	c->max_doc_bytes = (long long)64 << 20;
}

int cli_parse(const char *cmd, const cur_opt_spec *specs, int argc, char **argv,
	      cli_common *c, json_t *cfg)
{
	size_t nspec = 0, i;
	struct option *longs;
	int ch, rc = 0;

	cli_common_init(c);
	while (specs && specs[nspec].name)
		nspec++;
	longs = calloc(NCOMMON + nspec + 1, sizeof(*longs));
	if (!longs)
		return 3;
	memcpy(longs, common_opts, sizeof(common_opts));
	for (i = 0; i < nspec; i++) {
		longs[NCOMMON + i].name = specs[i].name;
		longs[NCOMMON + i].has_arg = specs[i].kind == CUR_OPT_FLAG ? no_argument :
			required_argument;
		longs[NCOMMON + i].val = OPT_SPEC + (int)i;
	}
	optind = 1;
	opterr = 0;
	while (rc == 0 && (ch = getopt_long(argc, argv, "o:j:qvh", longs, NULL)) != -1) {
		if (ch == 'h' || ch == OPT_HELP) {
			print_help(cmd, specs);
			rc = -1;
		} else if (ch >= OPT_SPEC) {
			rc = set_spec(cmd, &specs[ch - OPT_SPEC], optarg, cfg);
		} else if (ch == '?' || ch == ':') {
			rc = usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
		} else {
			rc = set_common(cmd, ch, optarg, c);
		}
	}
	free(longs);
	if (rc)
		return rc;
	if (c->rank >= c->world)
		return usage_error(cmd, "--rank must be below --world (%s)", "0 <= R < N");
	c->inputs = argv + optind;
	c->ninputs = argc - optind;
	c->argc = argc;
	c->argv = argv;
	return 0;
}

/* ---- the files a command names ---- */

/* A named file and what identifies it: two names are the same file when
 * they resolve to the same path, or when both exist with the same device
 * and inode (a hard link). */
typedef struct named_file {
	const char *what;   /* "-o", "--rejects", "input" */
	const char *path;
	char *canon;        /* resolved path, or NULL */
	int exists;
	struct stat st;
} named_file;

static void name_file(named_file *f, const char *what, const char *path)
{
	char *dir, *slash;

	memset(f, 0, sizeof(*f));
	f->what = what;
	f->path = path;
	f->exists = stat(path, &f->st) == 0;
	f->canon = realpath(path, NULL);
	if (f->canon || !(dir = strdup(path)))
		return;
	/* Not there yet: its directory's resolved path and its name. */
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	char *rdir = realpath(slash ? dir : ".", NULL);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	size_t len = rdir ? strlen(rdir) + strlen(base) + 2 : 0;

	if (rdir && (f->canon = malloc(len)))
		snprintf(f->canon, len, "%s/%s", strcmp(rdir, "/") ? rdir : "", base);
	free(rdir);
	free(dir);
}

static int same_file(const named_file *a, const named_file *b)
{
	if (a->exists && b->exists)
		return a->st.st_dev == b->st.st_dev && a->st.st_ino == b->st.st_ino;
	return a->canon && b->canon ? strcmp(a->canon, b->canon) == 0 : strcmp(a->path, b->path) == 0;
}

int cli_check_inputs(const char *cmd, char *const *inputs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct stat st;
		int fd, e = 0;

		if (strcmp(inputs[i], "-") == 0)
			continue;
		/* A pipe is never opened here: opening and closing its read
		 * end would lose what the writer has sent, and wait for one. */
		if (stat(inputs[i], &st) != 0)
			e = errno;
		else if (S_ISDIR(st.st_mode))
			e = EISDIR;
		else if (!S_ISREG(st.st_mode))
			e = access(inputs[i], R_OK) == 0 ? 0 : errno;
		else if ((fd = open(inputs[i], O_RDONLY | O_CLOEXEC)) < 0)
			e = errno;
		else
			close(fd);
		if (e) {
			fprintf(stderr, "curate %s: cannot open '%s': %s\n", cmd, inputs[i], strerror(e));
			return 3;
		}
	}
	return 0;
}

int cli_check_files(const char *cmd, const cli_common *c)
{
	const char *what[] = { "-o", "--rejects", "--report", "--report-html" };
	const char *path[] = { c->output, c->rejects, c->report, c->report_html };
	named_file out[4], in;
	size_t nout = 0, i, k;
	int rc = cli_check_inputs(cmd, c->inputs, c->ninputs);

	for (i = 0; i < 4 && rc == 0; i++) {
		if (!path[i] || strcmp(path[i], "-") == 0)
			continue;
		name_file(&out[nout], what[i], path[i]);
		/* A device or pipe (-o /dev/null) may take several outputs. */
		if (out[nout].exists && !S_ISREG(out[nout].st.st_mode) &&
		    !S_ISDIR(out[nout].st.st_mode)) {
			free(out[nout].canon);
			continue;
		}
		for (k = 0; k < nout && rc == 0; k++)
			if (same_file(&out[k], &out[nout])) {
				fprintf(stderr, "curate %s: %s and %s name the same file '%s'\n", cmd,
					out[k].what, out[nout].what, path[i]);
				rc = 2;
			}
		nout++;
	}
	for (i = 0; rc == 0 && c->inputs && i < (size_t)c->ninputs; i++) {
		if (strcmp(c->inputs[i], "-") == 0)
			continue;
		name_file(&in, "input", c->inputs[i]);
		for (k = 0; k < nout && rc == 0; k++)
			if (same_file(&out[k], &in)) {
				fprintf(stderr, "curate %s: %s '%s' is also an input: it would be "
					"overwritten\n", cmd, out[k].what, out[k].path);
				rc = 2;
			}
		free(in.canon);
	}
	for (k = 0; k < nout; k++)
		free(out[k].canon);
	return rc;
}

void cli_reader_opts(const cli_common *c, cur_reader_opts *ro)
{
	ro->text_field = c->text_field;
	ro->split_paragraphs = c->split_paragraphs;
	ro->max_doc_bytes = (size_t)c->max_doc_bytes;
	if (c->warc_types)
		ro->warc_types = c->warc_types;
	ro->warc_all_status = c->warc_all_status;
}

void cli_stage_env(const cli_common *c, cur_stage_env *env)
{
	memset(env, 0, sizeof(*env));
	env->seed = c->seed;
	env->jobs = c->jobs;
	env->strict = c->strict;
	env->quiet = c->quiet;
	env->tokenizer_path = c->tokenizer;
	env->inputs = c->inputs;
	env->ninputs = c->ninputs > 0 ? (size_t)c->ninputs : 0;
	env->rank = c->rank;
	env->world = c->world;
	env->work_dir = c->work;
	env->work_scratch = c->work_scratch;
}

int cli_write_report(const char *path, json_t *report, cur_err *err)
{
	cur_out *o;
	char *s = json_dumps(report, JSON_INDENT(2));
	int rc;

	if (!s)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	rc = cur_out_open(&o, path, 1, err);
	if (rc == CUR_OK) {
		rc = cur_out_write(o, s, strlen(s));
		if (rc == CUR_OK)
			rc = cur_out_write(o, "\n", 1);
		if (rc == CUR_OK)
			rc = cur_out_finish(o, err);
		else
			cur_err_set(err, rc, "%s", cur_out_error(o)[0] ? cur_out_error(o) : "out of memory");
		cur_out_free(o);
	}
	free(s);
	return rc;
}

static void print_reasons(json_t *obj)
{
	const char *k;
	json_t *v;
	int first = 1;

	json_object_foreach(obj, k, v) {
		fprintf(stderr, "%s%s %lld", first ? "  " : ", ", k, (long long)json_integer_value(v));
		first = 0;
	}
}

void cli_print_summary(const char *cmd, json_t *r)
{
	long long in = json_integer_value(json_object_get(r, "documents_in"));
	long long out = json_integer_value(json_object_get(r, "documents_out"));
	json_t *stages = json_object_get(r, "stages"), *st;
	size_t i;

	fprintf(stderr, "curate %s: %lld documents in, %lld out; %.2f MB in, %.2f MB out; "
		"%lld bad records; %.2f s\n", cmd, in, out,
		(double)json_integer_value(json_object_get(r, "bytes_in")) / 1e6,
		(double)json_integer_value(json_object_get(r, "bytes_out")) / 1e6,
		(long long)json_integer_value(json_object_get(r, "bad_records")),
		json_real_value(json_object_get(r, "seconds")));
	json_array_foreach(stages, i, st) {
		fprintf(stderr, "  %-14s %10lld in %10lld out", json_string_value(json_object_get(st, "name")),
			(long long)json_integer_value(json_object_get(st, "docs_in")),
			(long long)json_integer_value(json_object_get(st, "docs_out")));
		print_reasons(json_object_get(st, "dropped"));
		fputc('\n', stderr);
	}
	if (json_object_size(json_object_get(r, "errors"))) {
		fprintf(stderr, "  %-14s", "bad records:");
		print_reasons(json_object_get(r, "errors"));
		fputc('\n', stderr);
	}
}

json_t *cli_run_info(const cli_common *c, const cur_token_counter *tc, time_t started)
{
	json_t *argv = json_array(), *run;
	char when[32], host[256];
	struct tm tm;
	int i;

	json_array_append_new(argv, json_string("curate"));
	for (i = 0; c->argv && i < c->argc; i++)
		json_array_append_new(argv, json_string(c->argv[i]));
	gmtime_r(&started, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	run = json_pack("{s:o, s:s, s:s, s:s, s:I, s:i, s:i, s:i}", "argv", argv, "curate_version",
			PACKAGE_VERSION, "started", when, "host", host, "seed", (json_int_t)c->seed,
			"jobs", c->jobs, "rank", c->rank, "world", c->world);
	json_object_set_new(run, "libraries",
			    json_pack("{s:s, s:s, s:s, s:i}", "jansson", JANSSON_VERSION, "zstd",
				      ZSTD_versionString(), "libarchive", archive_version_string(),
				      "xxhash", (int)XXH_versionNumber()));
	if (c->config)
		json_object_set(run, "config", c->config);
	if (tc)
		json_object_set_new(run, "tokenizer",
				    json_pack("{s:s, s:s}", "file", c->tokenizer ? c->tokenizer : "default",
					      "sha256", tok_counter_checksum(tc)));
	return run;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The last lines of the summary: where everything went. */
static void print_where(const char *cmd, const cli_common *c, json_t *r, int jsonl)
{
	const char *sink_out = json_string_value(json_object_get(json_object_get(r, "sink"), "output"));
	long long dropped = json_integer_value(json_object_get(r, "documents_in")) -
			    json_integer_value(json_object_get(r, "documents_out"));

	fprintf(stderr, "curate %s: where it went:\n", cmd);
	if (jsonl)
		fprintf(stderr, "  output    %s\n", c->output && strcmp(c->output, "-") != 0 ?
			c->output : "standard output");
	else if (sink_out)
		fprintf(stderr, "  output    %s%s\n", sink_out, is_dir(sink_out) ? "/" : "");
	if (c->report)
		fprintf(stderr, "  report    %s\n", c->report);
	if (c->report_html)
		fprintf(stderr, "  page      %s (open it in a browser)\n", c->report_html);
	if (c->rejects)
		fprintf(stderr, "  rejects   %s (%lld dropped documents, with the reason)\n",
			c->rejects, dropped);
	else if (dropped > 0)
		fprintf(stderr, "  rejects   not kept (--rejects FILE, or rejects: in a pipeline "
			"file, keeps them)\n");
}

int cli_exit_status(int rc)
{
	if (rc == CUR_OK)
		return 0;
	if (rc == 1)
		return 1;
	if (rc == CUR_EINVAL)
		return 2;
	if (rc == CUR_EINTR && cur_interrupted())
		return 128 + cur_interrupted();
	return 3;
}

void cli_pipeline_opts(const char *cmd, const cli_common *c, cur_pipeline_opts *o)
{
	cur_pipeline_opts_init(o);
	o->cmd = cmd;
	o->jobs = c->jobs;
	o->strict = c->strict;
	o->quiet = c->quiet;
	o->progress = !c->quiet && isatty(2);
	o->rejects_path = c->rejects;
	o->rank = c->rank;
	o->world = c->world;
	cli_reader_opts(c, &o->reader);
	o->input_category = c->input_category;
	o->work_dir = c->work;
	o->work_scratch = c->work_scratch;
	o->pass = c->pass;
}

int cli_pipeline_report(const char *cmd, const cli_common *c, cur_stage **stages, size_t n,
			cur_sink *sink, json_t *report, cur_err *err)
{
	cur_pipeline_opts o;
	cur_sink *own = NULL;
	cur_token_counter counter;
	time_t started = time(NULL);
	int rc;

	memset(&counter, 0, sizeof(counter));
	cli_pipeline_opts(cmd, c, &o);
	o.passthrough = n == 0 && !sink;
	if (c->report_tokens) {
		CUR_FORWARD(tok_counter_new(c->tokenizer, &counter, err));
		o.tokens = &counter;
	}
	if (!sink) {
		own = sink = cur_jsonl_sink_new(c->output, c->jobs, err);
		if (!sink) {
			rc = err->code < 0 ? err->code : CUR_EIO;
			goto out;
		}
	}
	rc = cur_pipeline_run(&o, c->inputs, (size_t)c->ninputs, stages, n, sink, report, err);
	json_object_set_new(report, "run", cli_run_info(c, o.tokens, started));
out:
	if (own)
		own->ops->destroy(own);
	if (o.tokens)
		tok_counter_free(&counter);
	return rc;
}

int cli_run_pipeline(const char *cmd, const cli_common *c, cur_stage **stages, size_t n,
		     cur_sink *sink)
{
	json_t *report = json_object();
	cur_err err;
	int rc;

	cur_err_clear(&err);
	rc = cli_pipeline_report(cmd, c, stages, n, sink, report, &err);
	if (rc >= 0 && c->report) {
		int wrc = cli_write_report(c->report, report, &err);

		if (wrc < 0)
			rc = wrc;
	}
	if (rc >= 0 && c->report_html) {
		char docs[4096];
		rpt_opts ro = { rpt_docs_url(docs, sizeof(docs)), c->report };
		int wrc = rpt_html_write(report, &ro, c->report_html, &err);

		if (wrc < 0)
			rc = wrc;
	}
	if (rc < 0 && cur_interrupted()) /* whatever failed, the signal is why */
		rc = CUR_EINTR;
	if (rc == CUR_EINTR)
		fprintf(stderr, "curate %s: stopped by signal %d (%s); no output written\n", cmd,
			cur_interrupted(), strsignal(cur_interrupted()));
	else if (rc < 0)
		fprintf(stderr, "curate %s: %s\n", cmd, err.msg[0] ? err.msg : cur_strerror(rc));
	else if (!c->quiet) {
		const char *more = sink && sink->ops->summary ? sink->ops->summary(sink) : "";

		cli_print_summary(cmd, report);
		if (more && *more)
			fputs(more, stderr);
		print_where(cmd, c, report, sink == NULL);
	}
	if (rc == 1)
		fprintf(stderr, "curate %s: stopped at the first bad record (--strict)\n", cmd);
	json_decref(report);
	return cli_exit_status(rc);
}
