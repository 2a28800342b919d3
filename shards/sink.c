/* `curate shard`: the pipeline sink that tokenizes and spills (pass 1), then
 * plans and writes the shards and the manifest (pass 2, in finish). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/doc.h"
#include "core/file.h"
#include "mix/mix.h"
#include "shards/shard.h"
#include "shards/shard_int.h"
#include "shards/writer_int.h"
#include "tokenizer/tokenizer.h"

const cur_opt_spec shard_options[] = {
	{ "source", CUR_OPT_LIST, "CATEGORY=PATH", "read PATH as documents of CATEGORY (repeatable)", "the inputs, category from metadata" },
	{ "category-field", CUR_OPT_STR, "FIELD", "take each document's category from FIELD", "category" },
	{ "mix", CUR_OPT_STR, "CAT=W,...", "target ratio of tokens", MIX_DEFAULT },
	{ "tokens", CUR_OPT_INT, "N", "total token budget", "until a category runs out" },
	{ "on-exhausted", CUR_OPT_STR, "stop|repeat", "when a category runs out", "stop" },
	{ "max-epochs", CUR_OPT_INT, "E", "with repeat: passes over a category at most", "4" },
	{ "valid-fraction", CUR_OPT_NUM, "F", "fraction of documents for the validation split", "0" },
	{ "no-shuffle", CUR_OPT_FLAG, NULL, "keep the mixed input order", NULL },
	{ "shuffle-buffer", CUR_OPT_INT, "N", "documents held by the shuffle buffer", "1048576" },
	{ "pack", CUR_OPT_INT, "L", "write samples of exactly L tokens", "documents as they are" },
	{ "no-split", CUR_OPT_FLAG, NULL, "with --pack: best-fit whole documents, pad the rest", NULL },
	{ "pack-bins", CUR_OPT_INT, "N", "with --no-split: open bins for best fit", "256" },
	{ "pad-id", CUR_OPT_INT, "ID", "padding token for --no-split", "128004" },
	{ "shard-tokens", CUR_OPT_INT, "N", "tokens per shard at most", "100000000" },
	{ "format", CUR_OPT_STR, "megatron|llmc", "shard format", "megatron" },
	{ "resume", CUR_OPT_FLAG, NULL, "continue an interrupted run in the same directory", NULL },
	{ "force", CUR_OPT_FLAG, NULL, "replace the shards of an earlier run in the directory", NULL },
	{ "dry-run", CUR_OPT_FLAG, NULL, "tokenize and plan only: report the mix and the shards, write none", NULL },
	{ NULL, 0, NULL, NULL, NULL }
};

/* PLAIN: one category. SOURCE: by input file. FIELD: by a metadata field.
 * AUTO (a pipeline file's sink): metadata.category when set, else general. */
enum { MODE_PLAIN, MODE_SOURCE, MODE_FIELD, MODE_AUTO };

typedef struct source_map {
	const char *path;
	int cat;
	dev_t dev;
	ino_t ino;
	int have_stat;
} source_map;

typedef struct shard_job {
	json_t *cfg;      /* the sink's own copy of its options */
	int auto_mode;    /* built for a pipeline file (cur_stage_env) */
	int mix_given;
	const char *outdir;
	char *workdir;
	char *const *inputs;
	size_t ninputs;
	int format, mode, resume, force;
	int dry_run;      /* lengths only; no shards, no manifest */
	uint64_t planned_shards[SHARD_NSPLITS];
	int pass1_done, finished;
	uint64_t seed;
	int jobs;                 /* -j: pass 2 writes on a second thread when > 1 */
	const char *tok_path;
	shard_plan_cfg plan;
	mix_target mix;
	int live[MIX_MAX_CATEGORIES];
	const char *field;
	source_map *src;
	size_t nsrc;
	const char *last_origin;
	int last_cat;
	tok_tokenizer *tok;
	shard_spill spills[MIX_MAX_CATEGORIES];
	uint64_t skipped_category;
	const shard_part *part;  /* one part of a distributed run, or NULL */
	char *fingerprint;
	cur_buf warnings;
	cur_buf summary;
} shard_job;

/* A reused ids buffer larger than this many ids (4 MiB) is let go after
 * its document. */
#define SCRATCH_KEEP ((size_t)1 << 20)

static const char attach_key = 0;

static void ids_free(void *p)
{
	tok_ids *v = p;
	if (v) {
		tok_ids_release(v);
		free(v);
	}
}

/* ---- options ---- */
static int get_int(json_t *cfg, const char *key, int64_t def, int64_t lo, int64_t hi,
		   int64_t *out, cur_err *err)
{
	CUR_FORWARD(cur_cfg_int(cfg, key, def, out, err));
	if (*out < lo || *out > hi)
		return cur_err_set(err, CUR_EINVAL, "--%s must be between %lld and %lld", key,
				   (long long)lo, (long long)hi);
	return CUR_OK;
}

static int parse_source(const char *s, char *cat, size_t catsz, const char **path, cur_err *err)
{
	const char *eq = strchr(s, '=');
	if (!eq || eq == s || !eq[1])
		return cur_err_set(err, CUR_EINVAL, "bad --source '%s': expected CATEGORY=PATH", s);
	size_t n = (size_t)(eq - s);
	if (n >= catsz)
		return cur_err_set(err, CUR_EINVAL, "category name in --source '%s' too long", s);
	memcpy(cat, s, n);
	cat[n] = '\0';
	*path = eq + 1;
	return CUR_OK;
}

int shard_inputs(json_t *cfg, char *const *pos, size_t npos, char ***paths, size_t *n,
		 cur_err *err)
{
	json_t *src = json_object_get(cfg, "source");
	size_t ns = json_is_array(src) ? json_array_size(src) : 0;
	*paths = NULL;
	*n = 0;
	if (ns && npos)
		return cur_err_set(err, CUR_EINVAL, "give inputs either as --source CATEGORY=PATH or as files, not both");
	char **p = cur_calloc_array(ns + npos + 1, sizeof *p);
	if (!p)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	for (size_t i = 0; i < npos; i++)
		p[i] = pos[i];
	for (size_t i = 0; i < ns; i++) {
		const char *s = json_string_value(json_array_get(src, i));
		char cat[MIX_NAME_MAX];
		const char *path;
		int rc = s ? parse_source(s, cat, sizeof cat, &path, err)
			   : cur_err_set(err, CUR_EINVAL, "--source must be a list of strings");
		if (rc < 0) {
			free(p);
			return rc;
		}
		p[i] = (char *)path;
	}
	*paths = p;
	*n = ns + npos;
	return CUR_OK;
}

/* warn: one line for the report (and the command, which prints them). */
static void warn(shard_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(shard_job *j, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	cur_buf_printf(&j->warnings, "%s\n", line);
}

/* Keep only the categories of the default mix that some --source gives. */
static int shrink_default_mix(shard_job *j, const int *has, json_t *src, cur_err *err)
{
	mix_target m = j->mix;
	size_t k = 0;
	int keep[MIX_MAX_CATEGORIES];
	for (size_t c = 0; c < m.n; c++)
		if (has[c]) {
			memcpy(j->mix.names[k], m.names[c], MIX_NAME_MAX);
			j->mix.weights[k] = m.weights[c];
			keep[k++] = 1;
		}
	j->mix.n = k;
	CUR_FORWARD(mix_target_normalize(&j->mix, keep, err));
	for (size_t i = 0; i < j->nsrc; i++) {
		char cat[MIX_NAME_MAX];
		CUR_FORWARD(parse_source(json_string_value(json_array_get(src, i)), cat, sizeof cat,
					 &j->src[i].path, err));
		j->src[i].cat = mix_target_find(&j->mix, cat);
	}
	return CUR_OK;
}

/* --source: map each file to its category (by path, and by device and
 * inode in case the reader names it differently); every source category
 * must be in the mix, and every --mix category must have a source. */
static int setup_sources(shard_job *j, json_t *src, size_t ns, cur_err *err)
{
	j->src = cur_calloc_array(ns, sizeof *j->src);
	if (!j->src)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	j->nsrc = ns;
	int has[MIX_MAX_CATEGORIES] = { 0 };
	for (size_t i = 0; i < ns; i++) {
		char cat[MIX_NAME_MAX];
		CUR_FORWARD(parse_source(json_string_value(json_array_get(src, i)), cat, sizeof cat,
					 &j->src[i].path, err));
		int c = mix_target_find(&j->mix, cat);
		if (c < 0)
			return cur_err_set(err, CUR_EINVAL, "category '%s' of --source is not in the mix%s", cat,
					   j->mix_given ? "" : " (give --mix)");
		j->src[i].cat = c;
		has[c] = 1;
		struct stat st;
		if (stat(j->src[i].path, &st) == 0) {
			j->src[i].dev = st.st_dev;
			j->src[i].ino = st.st_ino;
			j->src[i].have_stat = 1;
		}
	}
	if (!j->mix_given)
		return shrink_default_mix(j, has, src, err);
	for (size_t c = 0; c < j->mix.n; c++)
		if (!has[c])
			return cur_err_set(err, CUR_EINVAL, "unknown category '%s' in --mix: no --source gives it",
					   j->mix.names[c]);
	return CUR_OK;
}

/* The categories and their target: from --source, --category-field or none. */
static int setup_mix(shard_job *j, cur_err *err)
{
	const char *mixs = NULL;
	CUR_FORWARD(cur_cfg_str(j->cfg, "mix", NULL, &mixs, err));
	CUR_FORWARD(cur_cfg_str(j->cfg, "category_field", NULL, &j->field, err));
	json_t *src = json_object_get(j->cfg, "source");
	size_t ns = json_is_array(src) ? json_array_size(src) : 0;
	if (ns && j->field)
		return cur_err_set(err, CUR_EINVAL, "--source and --category-field exclude each other");
	if (ns && j->auto_mode)
		return cur_err_set(err, CUR_EINVAL,
				   "a pipeline file gives categories in 'inputs: {CATEGORY: [...]}', not 'source'");
	j->mode = ns ? MODE_SOURCE : j->field ? MODE_FIELD : j->auto_mode ? MODE_AUTO : MODE_PLAIN;
	if (j->mode == MODE_AUTO && !j->field)
		j->field = "category";
	if (j->mode == MODE_PLAIN) {
		if (mixs)
			return cur_err_set(err, CUR_EINVAL,
					   "--mix needs categories: give --source CATEGORY=PATH or --category-field");
		return mix_target_parse("general=100", &j->mix, err);
	}
	j->mix_given = mixs != NULL;
	CUR_FORWARD(mix_target_parse(mixs ? mixs : MIX_DEFAULT, &j->mix, err));
	if (mixs && fabs(j->mix.sum - 100.0) > 1e-9)
		warn(j, "--mix sums to %g, not 100: normalized", j->mix.sum);
	if (j->field && strncmp(j->field, "metadata.", 9) == 0)
		j->field += 9;
	return j->mode == MODE_SOURCE ? setup_sources(j, src, ns, err) : CUR_OK;
}

static int setup_options(shard_job *j, cur_err *err)
{
	int64_t v;
	const char *s;
	shard_plan_cfg *p = &j->plan;
	CUR_FORWARD(cur_cfg_str(j->cfg, "format", "megatron", &s, err));
	if (strcmp(s, "megatron") == 0)
		j->format = SHARD_FORMAT_MEGATRON;
	else if (strcmp(s, "llmc") == 0)
		j->format = SHARD_FORMAT_LLMC;
	else
		return cur_err_set(err, CUR_EINVAL, "unknown --format '%s' (megatron or llmc)", s);
	CUR_FORWARD(get_int(j->cfg, "tokens", 0, 0, INT64_MAX, &v, err));
	p->budget = (uint64_t)v;
	CUR_FORWARD(cur_cfg_str(j->cfg, "on_exhausted", "stop", &s, err));
	if (strcmp(s, "stop") != 0 && strcmp(s, "repeat") != 0)
		return cur_err_set(err, CUR_EINVAL, "--on-exhausted must be stop or repeat, not '%s'", s);
	p->repeat = strcmp(s, "repeat") == 0;
	CUR_FORWARD(get_int(j->cfg, "max_epochs", 4, 1, 1000000, &v, err));
	p->max_epochs = (int)v;
	CUR_FORWARD(cur_cfg_num(j->cfg, "valid_fraction", 0.0, &p->valid_fraction, err));
	if (!(p->valid_fraction >= 0 && p->valid_fraction < 1))
		return cur_err_set(err, CUR_EINVAL, "--valid-fraction must be in [0, 1)");
	int flag;
	CUR_FORWARD(cur_cfg_bool(j->cfg, "no_shuffle", 0, &flag, err));
	p->shuffle = !flag;
	CUR_FORWARD(get_int(j->cfg, "shuffle_buffer", 1 << 20, 1, 1LL << 32, &v, err));
	p->shuffle_buffer = (size_t)v;
	CUR_FORWARD(get_int(j->cfg, "pack", 0, 0, INT32_MAX, &v, err));
	p->pack = (uint32_t)v;
	CUR_FORWARD(cur_cfg_bool(j->cfg, "no_split", 0, &p->no_split, err));
	if (p->no_split && !p->pack)
		return cur_err_set(err, CUR_EINVAL, "--no-split needs --pack L");
	if (p->pack && j->format == SHARD_FORMAT_LLMC)
		return cur_err_set(err, CUR_EINVAL, "--pack is for --format megatron (llm.c packs at load time)");
	CUR_FORWARD(get_int(j->cfg, "pack_bins", 256, 1, 1 << 20, &v, err));
	p->pack_bins = (size_t)v;
	CUR_FORWARD(get_int(j->cfg, "pad_id", TOK_BEGIN_OF_TEXT + 4, 1, INT32_MAX, &v, err));
	p->pad_id = (uint32_t)v;
	CUR_FORWARD(get_int(j->cfg, "shard_tokens", 100000000, 1, INT64_MAX, &v, err));
	p->shard_tokens = (uint64_t)v;
	if (j->format == SHARD_FORMAT_LLMC && p->shard_tokens > INT32_MAX)
		return cur_err_set(err, CUR_EINVAL, "--shard-tokens is at most %d for llm.c (an int32 count)",
				   INT32_MAX);
	CUR_FORWARD(cur_cfg_bool(j->cfg, "resume", 0, &j->resume, err));
	CUR_FORWARD(cur_cfg_bool(j->cfg, "force", 0, &j->force, err));
	CUR_FORWARD(cur_cfg_bool(j->cfg, "dry_run", 0, &j->dry_run, err));
	if (j->dry_run && j->resume)
		return cur_err_set(err, CUR_EINVAL, "--dry-run writes nothing to resume: drop --resume");
	p->seed = j->seed;
	p->sep_before = j->format == SHARD_FORMAT_LLMC;
	p->sep_id = p->sep_before ? TOK_BEGIN_OF_TEXT : TOK_END_OF_TEXT;
	return CUR_OK;
}

/* The id of the first of names that the tokenizer encodes as one special
 * token, or -1. */
static int64_t special_id(const tok_tokenizer *t, const char *const *names)
{
	int64_t id = -1;
	tok_ids v;
	tok_ids_init(&v);
	for (; *names && id < 0; names++) {
		v.len = 0;
		if (tok_encode(t, *names, strlen(*names), 1, &v) == CUR_OK && v.len == 1)
			id = v.ids[0];
	}
	tok_ids_release(&v);
	return id;
}

/* Separator and padding ids for this vocabulary (Llama 3's, or a
 * tokenizer.json's own <|endoftext|>). */
static int setup_specials(shard_job *j, cur_err *err)
{
	static const char *const eot[] = { "<|end_of_text|>", "<|endoftext|>", NULL };
	static const char *const bot[] = { "<|begin_of_text|>", "<|endoftext|>", NULL };
	shard_plan_cfg *p = &j->plan;
	int64_t id = special_id(j->tok, p->sep_before ? bot : eot);
	if (id < 0)
		return cur_err_set(err, CUR_EINVAL, "the tokenizer has no %s token to separate documents",
				   p->sep_before ? "<|begin_of_text|>" : "<|end_of_text|>");
	p->sep_id = (uint32_t)id;
	size_t vocab = tok_vocab_size(j->tok);
	if (!json_object_get(j->cfg, "pad_id") && p->pad_id >= vocab)
		p->pad_id = p->sep_id;
	if (p->pad_id >= vocab)
		return cur_err_set(err, CUR_EINVAL, "--pad-id %u is not below the vocabulary size %zu",
				   p->pad_id, vocab);
	return CUR_OK;
}

/* ---- the work directory and resume state ---- */
static int is_shard_file(const char *n)
{
	return (strncmp(n, "train_", 6) == 0 || strncmp(n, "valid_", 6) == 0) &&
	       (cur_str_ends_with(n, ".bin") || cur_str_ends_with(n, ".idx"));
}

static int is_temp_file(const char *n)
{
	return cur_atomic_is_temp(n, "train_") || cur_atomic_is_temp(n, "valid_") ||
	       cur_atomic_is_temp(n, "manifest.json");
}

/* Remove what an earlier run left: temporary files always, complete shards
 * too when all (--force), and the work directory's spill. */
static void clean_outdir(shard_job *j, int all)
{
	DIR *d = opendir(j->outdir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (is_temp_file(e->d_name) || (all && is_shard_file(e->d_name))) {
				char *p = shard_path(j->outdir, e->d_name);
				if (p)
					unlink(p);
				free(p);
			}
		closedir(d);
	}
	if (all) {
		char *m = shard_path(j->outdir, "manifest.json");
		if (m)
			unlink(m);
		free(m);
	}
}

static void clean_workdir(shard_job *j)
{
	DIR *d = opendir(j->workdir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			char *p = shard_path(j->workdir, e->d_name);
			if (p)
				unlink(p);
			free(p);
		}
	closedir(d);
	rmdir(j->workdir);
}

static int make_fingerprint(shard_job *j, cur_err *err)
{
	json_t *o = json_deep_copy(j->cfg);
	json_t *in = json_array();
	if (!o || !in) {
		json_decref(o);
		json_decref(in);
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	json_object_del(o, "resume");
	json_object_del(o, "force");
	for (size_t i = 0; i < j->ninputs; i++)
		json_array_append_new(in, json_string(j->inputs[i]));
	json_object_set_new(o, "inputs", in);
	json_object_set_new(o, "seed", json_integer((json_int_t)j->seed));
	json_object_set_new(o, "tokenizer_sha256", json_string(tok_checksum(j->tok)));
	json_object_set_new(o, "curate_version", json_string(VERSION));
	j->fingerprint = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return j->fingerprint ? CUR_OK : cur_err_set(err, CUR_ENOMEM, "out of memory");
}

/* With --resume: a finished pass 1 of the same run is reused. */
static void load_state(shard_job *j)
{
	char *p = shard_path(j->workdir, "state.json");
	json_t *st = p ? json_load_file(p, 0, NULL) : NULL;
	free(p);
	const char *fp = json_string_value(json_object_get(st, "fingerprint"));
	json_t *cats = json_object_get(st, "categories");
	if (fp && strcmp(fp, j->fingerprint) == 0 && json_array_size(cats) == j->mix.n) {
		for (size_t c = 0; c < j->mix.n; c++) {
			json_t *e = json_array_get(cats, c);
			j->spills[c].docs = (uint64_t)json_integer_value(json_object_get(e, "documents"));
			j->spills[c].tokens = (uint64_t)json_integer_value(json_object_get(e, "tokens"));
			j->spills[c].empty = (uint64_t)json_integer_value(json_object_get(e, "empty"));
		}
		j->skipped_category = (uint64_t)json_integer_value(json_object_get(st, "skipped_category"));
		j->pass1_done = 1;
	}
	json_decref(st);
}

static int save_state(shard_job *j, cur_err *err)
{
	json_t *cats = json_array();
	for (size_t c = 0; c < j->mix.n; c++)
		json_array_append_new(cats, json_pack("{s:s, s:I, s:I, s:I}", "name", j->mix.names[c],
						      "documents", (json_int_t)j->spills[c].docs, "tokens",
						      (json_int_t)j->spills[c].tokens, "empty",
						      (json_int_t)j->spills[c].empty));
	json_t *st = json_pack("{s:s, s:o, s:I}", "fingerprint", j->fingerprint, "categories", cats,
			       "skipped_category", (json_int_t)j->skipped_category);
	char *s = st ? json_dumps(st, JSON_INDENT(1)) : NULL;
	json_decref(st);
	char *p = shard_path(j->workdir, "state.json");
	int rc = s && p ? cur_atomic_write_file(p, s, strlen(s), err)
			: cur_err_set(err, CUR_ENOMEM, "out of memory");
	free(s);
	free(p);
	return rc;
}

/* A dry run keeps its lengths in a work directory of its own, under -o DIR
 * when given (an interrupted real run's spill there is left alone), else
 * in a new temporary directory; it touches nothing else. */
static int setup_dry_dirs(shard_job *j, cur_err *err)
{
	if (j->outdir) {
		CUR_FORWARD(cur_mkdir_p(j->outdir, err));
		j->workdir = shard_path(j->outdir, ".curate-dryrun");
		if (!j->workdir)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		clean_workdir(j);
		CUR_FORWARD(cur_mkdir_p(j->workdir, err));
	} else {
		const char *tmp = getenv("TMPDIR");
		j->workdir = shard_path(tmp && *tmp ? tmp : "/tmp", "curate-dryrun.XXXXXX");
		if (!j->workdir)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		if (!mkdtemp(j->workdir))
			return cur_err_set(err, CUR_EIO, "cannot create a directory '%s': %s", j->workdir,
					   strerror(errno));
	}
	for (size_t c = 0; c < j->mix.n; c++)
		CUR_FORWARD(shard_spill_create(&j->spills[c], j->workdir, c, 0, err));
	return CUR_OK;
}

/* The pass 1 of every slice of a distributed run, as one: the figures of
 * their states added up. */
static int load_slices(shard_job *j, cur_err *err)
{
	for (size_t i = 0; i < j->part->nspill; i++) {
		char *p = shard_path(j->part->spill_dirs[i], "state.json");
		json_t *st = p ? json_load_file(p, 0, NULL) : NULL;
		json_t *cats = json_object_get(st, "categories");
		int ok = json_array_size(cats) == j->mix.n;
		for (size_t c = 0; ok && c < j->mix.n; c++) {
			json_t *e = json_array_get(cats, c);
			j->spills[c].docs += (uint64_t)json_integer_value(json_object_get(e, "documents"));
			j->spills[c].tokens += (uint64_t)json_integer_value(json_object_get(e, "tokens"));
			j->spills[c].empty += (uint64_t)json_integer_value(json_object_get(e, "empty"));
		}
		j->skipped_category += (uint64_t)json_integer_value(json_object_get(st, "skipped_category"));
		json_decref(st);
		if (!ok) {
			int rc = cur_err_set(err, CUR_EDATA, "'%s' holds no finished spill of this run",
					     p ? p : j->part->spill_dirs[i]);
			free(p);
			return rc;
		}
		free(p);
	}
	j->pass1_done = 1;
	return CUR_OK;
}

/* A slice's spill starts afresh in its own directory (a task run again
 * writes it again); the shards and the manifest go to the run's directory,
 * whose manifest, which says the shards are complete, goes first. */
static int setup_part_dirs(shard_job *j, cur_err *err)
{
	if (j->part->what == SHARD_PART_SPILL) {
		j->workdir = strdup(j->part->spill_dir);
		if (!j->workdir)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		clean_workdir(j);
		CUR_FORWARD(cur_mkdir_p(j->workdir, err));
		for (size_t c = 0; c < j->mix.n; c++)
			CUR_FORWARD(shard_spill_create(&j->spills[c], j->workdir, c, 1, err));
		return CUR_OK;
	}
	CUR_FORWARD(load_slices(j, err));
	CUR_FORWARD(cur_mkdir_p(j->outdir, err));
	if (j->part->what == SHARD_PART_WRITE) {
		char *m = shard_path(j->outdir, "manifest.json");
		if (!m)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		unlink(m);
		free(m);
	}
	return CUR_OK;
}

static int setup_dirs(shard_job *j, cur_err *err)
{
	if (j->part)
		return setup_part_dirs(j, err);
	if (j->dry_run)
		return setup_dry_dirs(j, err);
	CUR_FORWARD(cur_mkdir_p(j->outdir, err));
	j->workdir = shard_path(j->outdir, ".curate-work");
	if (!j->workdir)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	char *m = shard_path(j->outdir, "manifest.json");
	struct stat st;
	int has_manifest = m && stat(m, &st) == 0;
	free(m);
	if (has_manifest && !j->resume && !j->force)
		return cur_err_set(err, CUR_EINVAL,
				   "'%s' already holds shards (manifest.json): use --resume or --force",
				   j->outdir);
	if (j->resume)
		load_state(j);
	/* Shards are written only after the state is saved: without a state
	 * that matches, shards on disk come from another run and must go. */
	clean_outdir(j, j->force || (j->resume && !j->pass1_done));
	if (!j->pass1_done) {
		clean_workdir(j);
		CUR_FORWARD(cur_mkdir_p(j->workdir, err));
		for (size_t c = 0; c < j->mix.n; c++)
			CUR_FORWARD(shard_spill_create(&j->spills[c], j->workdir, c, 1, err));
	}
	return CUR_OK;
}

/* ---- pass 1 ---- */
static void *sink_thread_new(cur_sink *self)
{
	(void)self;
	tok_ids *v = malloc(sizeof *v);
	if (v)
		tok_ids_init(v);
	return v;
}

static void sink_thread_free(cur_sink *self, void *tls)
{
	(void)self;
	ids_free(tls);
}

/* The ids are encoded into the worker's own buffer, which stays warm, and
 * kept in one block of their exact size: a tok_ids and the ids after it
 * (freed with free()). */
static int sink_prepare(cur_sink *self, void *tls, cur_doc *doc, cur_err *err)
{
	shard_job *j = self->priv;
	tok_ids local, *scratch = tls ? tls : &local;
	if (j->pass1_done)
		return CUR_OK;
	tok_ids_init(&local);
	scratch->len = 0;
	int rc = tok_encode(j->tok, doc->text, doc->text_len, 0, scratch);
	size_t n = scratch->len;
	tok_ids *v = NULL;
	if (rc == CUR_OK && n <= (SIZE_MAX - sizeof *v) / sizeof(uint32_t))
		v = malloc(sizeof *v + n * sizeof(uint32_t));
	if (v) {
		v->ids = (uint32_t *)(void *)(v + 1);
		v->len = v->cap = n;
		if (n)
			memcpy(v->ids, scratch->ids, n * sizeof(uint32_t));
	}
	if (scratch == &local || scratch->cap > SCRATCH_KEEP)
		tok_ids_release(scratch);
	if (rc < 0)
		return cur_err_set(err, rc, "cannot tokenize document '%s'", cur_doc_id(doc));
	return v ? cur_doc_attach(doc, &attach_key, v, free) : CUR_ENOMEM;
}

static int category_of(shard_job *j, cur_doc *doc)
{
	if (j->mode == MODE_PLAIN)
		return 0;
	if (j->mode == MODE_FIELD || j->mode == MODE_AUTO) {
		const char *v = cur_doc_meta_str(doc, j->field);
		if (!v && j->mode == MODE_AUTO)
			v = "general";
		return v ? mix_target_find(&j->mix, v) : -1;
	}
	if (doc->origin && doc->origin == j->last_origin)
		return j->last_cat;
	int cat = -1;
	for (size_t i = 0; i < j->nsrc && cat < 0; i++)
		if (doc->origin && strcmp(doc->origin, j->src[i].path) == 0)
			cat = j->src[i].cat;
	struct stat st;
	if (cat < 0 && doc->origin && stat(doc->origin, &st) == 0)
		for (size_t i = 0; i < j->nsrc && cat < 0; i++)
			if (j->src[i].have_stat && j->src[i].dev == st.st_dev && j->src[i].ino == st.st_ino)
				cat = j->src[i].cat;
	j->last_origin = doc->origin;
	j->last_cat = cat;
	return cat;
}

static int sink_write(cur_sink *self, cur_doc *doc, cur_err *err)
{
	shard_job *j = self->priv;
	if (j->pass1_done)
		return CUR_OK;
	int c = category_of(j, doc);
	if (c < 0) {
		j->skipped_category++;
		return CUR_OK;
	}
	shard_spill *sp = &j->spills[c];
	tok_ids *v = cur_doc_attached(doc, &attach_key);
	if (v) {
		if (v->len == 0) {
			sp->empty++;
			return CUR_OK;
		}
		return shard_spill_append(sp, v->ids, v->len, err);
	}
	/* No prepare() ran (-j 1, or a caller without workers): encode here,
	 * straight after the ids already waiting in the spill. */
	v = shard_spill_ids(sp);
	size_t before = v->len;
	int rc = tok_encode(j->tok, doc->text, doc->text_len, 0, v);
	if (rc < 0) {
		v->len = before;
		return cur_err_set(err, rc, "cannot tokenize document '%s'", cur_doc_id(doc));
	}
	if (v->len == before) {
		sp->empty++;
		return CUR_OK;
	}
	return shard_spill_commit(sp, v->len - before, err);
}

/* ---- pass 2 ---- */
static const char *dtype_name(int code)
{
	return code == SHARD_DTYPE_UINT16 ? "uint16" : "int32";
}

static json_t *categories_json(shard_job *j, const shard_plan_stats *st)
{
	json_t *o = json_object();
	uint64_t total = 0;
	for (size_t c = 0; c < j->mix.n; c++)
		total += st->tokens[c];
	for (size_t c = 0; c < j->mix.n; c++) {
		const shard_spill *s = &j->spills[c];
		double epochs = s->tokens ? (double)st->consumed[c] / (double)s->tokens : 0.0;
		json_object_set_new(o, j->mix.names[c],
			json_pack("{s:f, s:f, s:I, s:I, s:f, s:I, s:I, s:I}",
				  "target", j->mix.weights[c],
				  "ratio", total ? (double)st->tokens[c] / (double)total : 0.0,
				  "tokens", (json_int_t)st->tokens[c],
				  "documents", (json_int_t)st->documents[c],
				  "epochs", round(epochs * 10000) / 10000,
				  "available_tokens", (json_int_t)s->tokens,
				  "available_documents", (json_int_t)s->docs,
				  "empty_documents", (json_int_t)s->empty));
	}
	return o;
}

static json_t *splits_json(const shard_plan_stats *st)
{
	json_t *o = json_object();
	for (int s = 0; s < SHARD_NSPLITS; s++) {
		if (s == SHARD_VALID && st->split_docs[s] == 0)
			continue;
		json_object_set_new(o, shard_split_name(s),
			json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
				  "shards", (json_int_t)st->split_shards[s],
				  "documents", (json_int_t)st->split_docs[s],
				  "tokens", (json_int_t)st->split_tokens[s],
				  "sequences", (json_int_t)st->split_seqs[s],
				  "padding_tokens", (json_int_t)st->split_padding[s],
				  "documents_split_at_pack_length", (json_int_t)st->split_chunks[s]));
	}
	return o;
}

static json_t *manifest_json(shard_job *j, const shard_plan_stats *st, shard_writer *w)
{
	json_t *cfg = json_deep_copy(j->cfg);
	json_object_del(cfg, "resume");
	json_object_del(cfg, "force");
	json_t *mix = json_object();
	for (size_t c = 0; c < j->mix.n; c++)
		json_object_set_new(mix, j->mix.names[c], json_real(j->mix.weights[c]));
	json_t *shards = json_array();
	for (int s = 0; s < SHARD_NSPLITS; s++)
		if (w)
			json_array_extend(shards, w->entries[s]);
	uint64_t tokens = 0, docs = 0, pad = 0;
	for (int s = 0; s < SHARD_NSPLITS; s++) {
		tokens += st->split_tokens[s];
		docs += st->split_docs[s];
		pad += st->split_padding[s];
	}
	const char *tp = j->tok_path ? j->tok_path : "default";
	char stop[MIX_NAME_MAX + 16];
	if (st->stop_reason && strcmp(st->stop_reason, "exhausted") == 0 && st->stop_cat >= 0)
		snprintf(stop, sizeof stop, "exhausted:%s", j->mix.names[st->stop_cat]);
	else
		snprintf(stop, sizeof stop, "%s", st->stop_reason ? st->stop_reason : "end");
	int fmt = j->format;
	int code = w ? w->dtype_code : SHARD_DTYPE_INT32;
	return json_pack("{s:s, s:s, s:s, s:i, s:{s:s, s:s, s:I}, s:{s:i, s:s}, s:I, s:o, s:o, "
			 "s:o, s:I, s:I, s:I, s:s, s:o, s:o}",
		"curate_version", VERSION,
		"format", fmt == SHARD_FORMAT_LLMC ? "llmc" : "megatron",
		"dtype", fmt == SHARD_FORMAT_LLMC ? "uint32" : dtype_name(code),
		"dtype_code", fmt == SHARD_FORMAT_LLMC ? 0 : code,
		"tokenizer", "file", tp, "sha256", tok_checksum(j->tok),
		"vocab_size", (json_int_t)tok_vocab_size(j->tok),
		"separator", "token", (int)j->plan.sep_id, "position", j->plan.sep_before ? "before" : "after",
		"seed", (json_int_t)j->seed,
		"config", cfg ? cfg : json_object(),
		"mix", mix,
		"categories", categories_json(j, st),
		"tokens", (json_int_t)tokens,
		"documents", (json_int_t)docs,
		"padding_tokens", (json_int_t)pad,
		"stopped_by", stop,
		"splits", splits_json(st),
		"shards", shards);
}

static int run_pass2(shard_job *j, shard_plan_stats *st, shard_writer *w, cur_err *err)
{
	size_t n = j->mix.n;
	int any = 0;
	for (size_t c = 0; c < n; c++) {
		j->live[c] = j->spills[c].docs > 0;
		any |= j->live[c];
		if (!j->live[c] && j->mix.weights[c] > 0 && !(j->mode == MODE_AUTO && !j->mix_given))
			warn(j, "category '%s' has no documents: left out of the mix", j->mix.names[c]);
	}
	memset(st, 0, sizeof *st);
	st->stop_reason = "end";
	if (!any)
		return CUR_OK;
	CUR_FORWARD(mix_target_normalize(&j->mix, j->live, err));
	/* The plan reads the lengths only; the writer reads the ids. */
	if (!j->dry_run)
		for (size_t c = 0; c < n; c++)
			CUR_FORWARD(j->part ? shard_spill_open_chain(&j->spills[c], j->part->spill_dirs,
								     j->part->nspill, c, err)
					    : shard_spill_open_read(&j->spills[c], j->workdir, c, err));
	j->plan.mix = &j->mix;
	shard_dry dry;
	memset(&dry, 0, sizeof dry);
	shard_emit e;
	shard_dry_emit(&dry, &e);
	int rc = shard_plan_run(&j->plan, j->spills, n, &e, st, err);
	for (int s = 0; s < SHARD_NSPLITS; s++)
		j->planned_shards[s] = dry.tokens[s].n;
	if (rc < 0 || j->dry_run || (j->part && j->part->what == SHARD_PART_MANIFEST))
		goto out;
	w->plan = &dry;
	for (int s = 0; s < SHARD_NSPLITS; s++)
		if (shard_perm_make(&w->perm[s], dry.tokens[s].n, j->seed, s, j->plan.shuffle) < 0) {
			rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
			goto out;
		}
	if ((rc = shard_writer_init(w, err)) < 0)
		goto out;
	shard_writer_emit(w, &e);
	/* Only the real run reads the spill: the dry one would ask for all of
	 * it at once. */
	j->plan.readahead = 1;
	rc = shard_plan_run(&j->plan, j->spills, n, &e, st, err);
	j->plan.readahead = 0;
out:
	w->plan = NULL;
	shard_dry_release(&dry);
	return rc;
}

static json_t *warnings_json(shard_job *j)
{
	json_t *a = json_array();
	const char *p = j->warnings.data ? j->warnings.data : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		json_array_append_new(a, json_stringn(p, n));
		p += n + (nl ? 1 : 0);
	}
	return a;
}

static void make_summary(shard_job *j, json_t *m, const shard_writer *w)
{
	cur_buf *b = &j->summary;
	if (j->dry_run)
		cur_buf_printf(b, "curate shard --dry-run: would write %llu shards (%llu train, %llu valid), "
			       "nothing written: ",
			       (unsigned long long)(j->planned_shards[SHARD_TRAIN] +
						    j->planned_shards[SHARD_VALID]),
			       (unsigned long long)j->planned_shards[SHARD_TRAIN],
			       (unsigned long long)j->planned_shards[SHARD_VALID]);
	else if (j->part)
		cur_buf_printf(b, "curate shard: %zu shards in %s (written by %zu tasks): ",
			       json_array_size(json_object_get(m, "shards")), j->outdir,
			       j->part->nentries);
	else
		cur_buf_printf(b, "curate shard: %zu shards in %s (%llu written, %llu resumed): ",
			       json_array_size(json_object_get(m, "shards")), j->outdir,
			       (unsigned long long)w->written, (unsigned long long)w->resumed);
	cur_buf_printf(b, "%lld tokens, %lld documents, %lld padding tokens; stopped by %s\n",
		       (long long)json_integer_value(json_object_get(m, "tokens")),
		       (long long)json_integer_value(json_object_get(m, "documents")),
		       (long long)json_integer_value(json_object_get(m, "padding_tokens")),
		       json_string_value(json_object_get(m, "stopped_by")));
	cur_buf_printf(b, "  %-14s %14s %8s %8s %12s %8s\n", "category", "tokens", "ratio", "target",
		       "documents", "epochs");
	const char *name;
	json_t *c;
	json_object_foreach(json_object_get(m, "categories"), name, c)
		cur_buf_printf(b, "  %-14s %14lld %7.3f%% %7.3f%% %12lld %8.3f\n", name,
			       (long long)json_integer_value(json_object_get(c, "tokens")),
			       100 * json_number_value(json_object_get(c, "ratio")),
			       100 * json_number_value(json_object_get(c, "target")),
			       (long long)json_integer_value(json_object_get(c, "documents")),
			       json_number_value(json_object_get(c, "epochs")));
	if (j->skipped_category)
		cur_buf_printf(b, "  %llu documents skipped: their category is not in the mix\n",
			       (unsigned long long)j->skipped_category);
	if (!j->dry_run)
		cur_buf_printf(b, "  manifest: %s/manifest.json\n", j->outdir);
}

static void writer_setup(shard_job *j, shard_writer *w)
{
	memset(w, 0, sizeof *w);
	w->fd = -1;
	w->outdir = j->outdir;
	w->format = j->format;
	/* Megatron's preprocess_data.py: uint16 below 65,500 ids, else int32. */
	w->dtype_code = tok_vocab_size(j->tok) < 65500 ? SHARD_DTYPE_UINT16 : SHARD_DTYPE_INT32;
	w->itemsize = j->format == SHARD_FORMAT_LLMC || w->dtype_code == SHARD_DTYPE_INT32 ? 4 : 2;
	w->resume = j->resume;
	if (j->part && j->part->what == SHARD_PART_WRITE) {
		w->world = j->part->world;
		w->rank = j->part->rank;
	}
	w->async = j->jobs > 1;
	w->spills = j->spills;
	w->ncat = j->mix.n;
	w->cat_names = (const char (*)[MIX_NAME_MAX])j->mix.names;
}

static int write_manifest(shard_job *j, json_t *m, cur_err *err)
{
	char *s = m ? json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	char *mp = shard_path(j->outdir, "manifest.json");
	int rc = s && mp ? cur_atomic_write_file(mp, s, strlen(s), err)
			 : cur_err_set(err, CUR_ENOMEM, "out of memory");
	free(mp);
	free(s);
	return rc;
}

/* The run report's "sink" object: the manifest's figures and the run's own. */
static void fill_report(shard_job *j, json_t *report, json_t *m, const shard_writer *w, double secs)
{
	static const char *const keys[] = { "tokens", "documents", "padding_tokens", "categories",
					    "splits", "stopped_by", "tokenizer", "seed", NULL };
	for (int i = 0; keys[i]; i++)
		json_object_set(report, keys[i], json_object_get(m, keys[i]));
	json_object_set_new(report, "shards_written", json_integer((json_int_t)w->written));
	json_object_set_new(report, "shards_resumed", json_integer((json_int_t)w->resumed));
	json_object_set_new(report, "skipped",
			    json_pack("{s:I}", "unknown_category", (json_int_t)j->skipped_category));
	json_object_set_new(report, "output", j->dry_run ? json_null() : json_string(j->outdir));
	if (j->dry_run) {
		json_object_set_new(report, "dry_run", json_true());
		json_object_set(report, "planned_shards", json_object_get(m, "planned_shards"));
	}
	json_object_set_new(report, "warnings", warnings_json(j));
	json_object_set_new(report, "write_seconds", json_real(secs));
}

/* A write task's share of the manifest: its shards' entries, by name
 * number, null for the others'. */
static int save_entries(shard_job *j, shard_writer *w, cur_err *err)
{
	json_t *o = json_pack("{s:O, s:O}", "train", w->entries[SHARD_TRAIN], "valid",
			      w->entries[SHARD_VALID]);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc = s ? cur_atomic_write_file(j->part->entries, s, strlen(s), err)
		   : cur_err_set(err, CUR_ENOMEM, "out of memory");
	free(s);
	json_decref(o);
	return rc;
}

/* The manifest's entries from every write task's share; each shard must
 * have one. */
static int gather_entries(shard_job *j, shard_writer *w, cur_err *err)
{
	for (int sp = 0; sp < SHARD_NSPLITS; sp++) {
		w->entries[sp] = json_array();
		for (uint64_t k = 0; k < j->planned_shards[sp]; k++)
			json_array_append_new(w->entries[sp], json_null());
	}
	for (size_t i = 0; i < j->part->nentries; i++) {
		json_t *o = json_load_file(j->part->entry_files[i], 0, NULL);
		for (int sp = 0; sp < SHARD_NSPLITS; sp++) {
			json_t *a = json_object_get(o, shard_split_name(sp)), *e;
			size_t k;
			json_array_foreach(a, k, e)
				if (!json_is_null(e) && k < json_array_size(w->entries[sp]))
					json_array_set(w->entries[sp], k, e);
		}
		json_decref(o);
	}
	for (int sp = 0; sp < SHARD_NSPLITS; sp++) {
		json_t *e;
		size_t k;
		json_array_foreach(w->entries[sp], k, e)
			if (json_is_null(e)) {
				char name[64];
				shard_file_name(name, sizeof name, sp, k);
				return cur_err_set(err, CUR_EDATA, "no write task wrote shard %s", name);
			}
	}
	return CUR_OK;
}

/* Shard files of an earlier run that this manifest does not list. */
static void remove_unlisted(shard_job *j, json_t *m)
{
	json_t *files = json_object();
	json_t *e;
	size_t i;
	json_array_foreach(json_object_get(m, "shards"), i, e)
		json_object_update(files, json_object_get(e, "files"));
	DIR *d = opendir(j->outdir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (is_shard_file(de->d_name) && !json_object_get(files, de->d_name)) {
			char *p = shard_path(j->outdir, de->d_name);
			if (p)
				unlink(p);
			free(p);
		}
	if (d)
		closedir(d);
	json_decref(files);
}

/* A slice's pass 1 ends with its spill saved for the write tasks. */
static int finish_spill(shard_job *j, json_t *report, cur_err *err)
{
	for (size_t c = 0; c < j->mix.n; c++)
		CUR_FORWARD(shard_spill_close_write(&j->spills[c], err));
	CUR_FORWARD(save_state(j, err));
	j->pass1_done = 1;
	j->finished = 1;
	if (report) {
		json_t *cats = json_object();
		for (size_t c = 0; c < j->mix.n; c++)
			json_object_set_new(cats, j->mix.names[c],
					    json_pack("{s:I, s:I, s:I}", "documents",
						      (json_int_t)j->spills[c].docs, "tokens",
						      (json_int_t)j->spills[c].tokens, "empty_documents",
						      (json_int_t)j->spills[c].empty));
		json_object_set_new(report, "spilled", cats);
	}
	return CUR_OK;
}

static int sink_finish(cur_sink *self, json_t *report, cur_err *err)
{
	shard_job *j = self->priv;
	int what = j->part ? j->part->what : 0;
	if (what == SHARD_PART_SPILL)
		return finish_spill(j, report, err);
	if (!j->pass1_done) {
		for (size_t c = 0; c < j->mix.n; c++)
			CUR_FORWARD(shard_spill_close_write(&j->spills[c], err));
		if (!j->dry_run)
			CUR_FORWARD(save_state(j, err));
		j->pass1_done = 1;
	}
	shard_plan_stats st;
	shard_writer w;
	writer_setup(j, &w);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = run_pass2(j, &st, &w, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
	json_t *m = NULL;
	if (rc < 0)
		goto out;
	if (what == SHARD_PART_WRITE) {
		/* The manifest is the last task's: it needs every share. */
		if ((rc = save_entries(j, &w, err)) == CUR_OK && report) {
			json_object_set_new(report, "shards_written", json_integer((json_int_t)w.written));
			json_object_set_new(report, "write_seconds", json_real(secs));
		}
		j->finished = 1;
		goto out;
	}
	if (what == SHARD_PART_MANIFEST && (rc = gather_entries(j, &w, err)) < 0)
		goto out;
	m = manifest_json(j, &st, w.entries[SHARD_TRAIN] ? &w : NULL);
	if (j->dry_run)
		json_object_set_new(m, "planned_shards",
				    json_pack("{s:I, s:I}", "train",
					      (json_int_t)j->planned_shards[SHARD_TRAIN], "valid",
					      (json_int_t)j->planned_shards[SHARD_VALID]));
	else if ((rc = write_manifest(j, m, err)) < 0)
		goto out;
	if (what == SHARD_PART_MANIFEST)
		remove_unlisted(j, m);
	if (report)
		fill_report(j, report, m, &w, secs);
	make_summary(j, m, &w);
	j->finished = 1;
	for (size_t c = 0; c < j->mix.n; c++)
		shard_spill_release(&j->spills[c]);
	/* The slices' spills are the run's to remove, not this task's. */
	if (!what)
		clean_workdir(j);
out:
	json_decref(m);
	shard_writer_release(&w);
	return rc;
}

static void sink_destroy(cur_sink *self)
{
	if (!self)
		return;
	shard_job *j = self->priv;
	if (j) {
		for (size_t c = 0; c < MIX_MAX_CATEGORIES; c++)
			shard_spill_release(&j->spills[c]);
		/* The spill stays after a failure so that --resume can use it
		 * when pass 1 was complete; an incomplete one is useless. */
		if (!j->finished && (!j->pass1_done || j->dry_run) && j->workdir)
			clean_workdir(j);
		tok_free(j->tok);
		json_decref(j->cfg);
		free(j->src);
		free(j->workdir);
		free(j->fingerprint);
		cur_buf_release(&j->warnings);
		cur_buf_release(&j->summary);
		free(j);
	}
	free(self);
}

const char *shard_sink_summary(const cur_sink *sink)
{
	const shard_job *j = sink->priv;
	return j->summary.data ? j->summary.data : "";
}

const char *shard_sink_warnings(const cur_sink *sink)
{
	const shard_job *j = sink->priv;
	return j->warnings.data ? j->warnings.data : "";
}

/* With one worker, prepare() would run just before write() on the same
 * thread: encoding in write() saves an allocation per document. */
static const cur_sink_ops shard_ops = {
	.thread_new = sink_thread_new,
	.thread_free = sink_thread_free,
	.prepare = sink_prepare,
	.write = sink_write,
	.finish = sink_finish,
	.destroy = sink_destroy,
	.summary = shard_sink_summary,
};

static const cur_sink_ops shard_ops_one_worker = {
	.write = sink_write,
	.finish = sink_finish,
	.destroy = sink_destroy,
	.summary = shard_sink_summary,
};

/* The sink's own copy of its options (a mapping), or NULL. */
static json_t *copy_config(json_t *config, cur_err *err)
{
	json_t *cfg = config ? json_deep_copy(config) : json_object();
	if (!cfg) {
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	if (!json_is_object(cfg)) {
		json_decref(cfg);
		cur_err_set(err, CUR_EINVAL, "the shard sink's options must be a mapping");
		return NULL;
	}
	return cfg;
}

static cur_sink *sink_new(json_t *config, const cur_stage_env *env, const char *output,
			  const shard_part *part, cur_err *err)
{
	cur_sink *sk = calloc(1, sizeof *sk);
	shard_job *j = calloc(1, sizeof *j);
	json_t *dir = NULL;
	if (!sk || !j) {
		free(sk);
		free(j);
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	sk->priv = j;
	sk->ops = env && env->jobs <= 1 ? &shard_ops_one_worker : &shard_ops;
	for (size_t c = 0; c < MIX_MAX_CATEGORIES; c++)
		j->spills[c].tok_wfd = -1;
	cur_buf_init(&j->warnings, 1 << 16);
	cur_buf_init(&j->summary, 1 << 20);
	if (!(j->cfg = copy_config(config, err)))
		goto fail;
	/* `shard: {output: DIR}` in a pipeline file names the directory; else
	 * the run's output. It is not an option of the run: the fingerprint
	 * leaves it out. */
	if ((dir = json_incref(json_object_get(j->cfg, "output")))) {
		output = json_string_value(dir);
		json_object_del(j->cfg, "output");
	}
	j->part = part;
	j->auto_mode = env && env->pipeline_file;
	j->outdir = output;
	j->inputs = env ? env->inputs : NULL;
	j->ninputs = env ? env->ninputs : 0;
	j->seed = env ? env->seed : 0;
	j->jobs = env ? env->jobs : 1;
	j->tok_path = env ? env->tokenizer_path : NULL;
	j->last_cat = -1;
	if (output && (!*output || strcmp(output, "-") == 0))
		j->outdir = output = NULL;
	if (cur_cfg_check_keys(j->cfg, shard_options, "shard", err) < 0 || setup_options(j, err) < 0)
		goto fail;
	if (!output && !j->dry_run) {
		cur_err_set(err, CUR_EINVAL, "shard writes a directory: give -o DIR");
		goto fail;
	}
	if (setup_mix(j, err) < 0)
		goto fail;
	if (tok_load(j->tok_path, &j->tok, err) < 0 || setup_specials(j, err) < 0)
		goto fail;
	if (make_fingerprint(j, err) < 0 || setup_dirs(j, err) < 0)
		goto fail;
	/* The manifest records the options as given; cfg keeps outdir alive. */
	if (dir)
		json_object_set_new(j->cfg, "output", dir);
	/* category_of and sink_write read no more than this. */
	sk->text_only = 1;
	sk->meta_key = j->mode == MODE_FIELD || j->mode == MODE_AUTO ? j->field : NULL;
	return sk;
fail:
	json_decref(dir);
	sink_destroy(sk);
	return NULL;
}

cur_sink *shard_sink_new(json_t *config, const cur_stage_env *env, const char *output,
			 cur_err *err)
{
	return sink_new(config, env, output, NULL, err);
}

cur_sink *shard_sink_part(json_t *config, const cur_stage_env *env, const char *output,
			  const shard_part *part, cur_err *err)
{
	return sink_new(config, env, output, part, err);
}
