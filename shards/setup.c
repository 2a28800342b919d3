/* The shard sink's options, its categories and mix, and the tokenizer's
 * separator and padding ids: everything the constructor checks. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/buf.h"
#include "core/file.h"
#include "mix/mix.h"
#include "shards/shard.h"
#include "shards/sink_int.h"
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
void shard_warn(shard_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void shard_warn(shard_job *j, const char *fmt, ...)
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
int shard_setup_mix(shard_job *j, cur_err *err)
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
		shard_warn(j, "--mix sums to %g, not 100: normalized", j->mix.sum);
	if (j->field && strncmp(j->field, "metadata.", 9) == 0)
		j->field += 9;
	return j->mode == MODE_SOURCE ? setup_sources(j, src, ns, err) : CUR_OK;
}

int shard_setup_options(shard_job *j, cur_err *err)
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
	/* 0 would read as "documents as they are" under a name that says
	 * packing: that is leaving --pack out. */
	CUR_FORWARD(get_int(j->cfg, "pack", 0, json_object_get(j->cfg, "pack") ? 1 : 0, INT32_MAX, &v,
			    err));
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
int shard_setup_specials(shard_job *j, cur_err *err)
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
