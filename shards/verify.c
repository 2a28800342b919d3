/* `curate verify DIR`: recompute everything the manifest claims. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "core/buf.h"
#include "shards/reader_int.h"
#include "shards/shard.h"
#include "shards/shard_int.h"

typedef struct vstate {
	cur_buf *out;
	int failed;
	int megatron;       /* the manifest's format */
	int unread;         /* shards that could not be read: totals would not add up */
	uint64_t vocab;
	uint32_t sep;
	uint64_t seps, tokens;
	json_t *cat_tokens; /* summed from the shard entries */
} vstate;

static void fail(vstate *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(vstate *v, const char *fmt, ...)
{
	char line[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	cur_buf_printf(v->out, "FAIL %s\n", line);
	v->failed = 1;
}

static void check_files(vstate *v, const char *dir, json_t *files)
{
	const char *fname;
	json_t *f;
	json_object_foreach(files, fname, f) {
		const char *want = json_string_value(json_object_get(f, "xxh3_128"));
		uint64_t want_bytes = (uint64_t)json_integer_value(json_object_get(f, "bytes"));
		char *p = shard_path(dir, fname);
		char hex[33];
		uint64_t bytes = 0;
		cur_err e;
		cur_err_clear(&e);
		if (!p || shard_file_xxh3(p, hex, &bytes, &e) < 0)
			fail(v, "%s: %s", fname, p ? e.msg : "out of memory");
		else if (bytes != want_bytes)
			fail(v, "%s: offset %llu: size %llu, the manifest says %llu", fname,
			     (unsigned long long)(bytes < want_bytes ? bytes : want_bytes),
			     (unsigned long long)bytes, (unsigned long long)want_bytes);
		else if (!want || strcmp(hex, want) != 0)
			fail(v, "%s: checksum mismatch: xxh3-128 %s, the manifest says %s", fname, hex,
			     want ? want : "(none)");
		free(p);
	}
}

static void check_ids(vstate *v, const shard_reader *r)
{
	for (uint64_t i = 0; i < r->ntok; i++) {
		uint32_t id = shard_reader_id(r, i);
		if (id >= v->vocab) {
			uint64_t off = (r->format == SHARD_FORMAT_LLMC ? SHARD_LLMC_HEADER : 0) + i * r->itemsize;
			fail(v, "%s: offset %llu: token id %u is not below the vocabulary size %llu",
			     r->bin_name, (unsigned long long)off, id, (unsigned long long)v->vocab);
			return;
		}
		v->seps += id == v->sep;
	}
}

static int idx_exists(const char *prefix)
{
	char path[4096];
	snprintf(path, sizeof path, "%s.idx", prefix);
	return access(path, F_OK) == 0;
}

static void check_shard(vstate *v, const char *dir, json_t *e)
{
	const char *name = json_string_value(json_object_get(e, "name"));
	if (!name) {
		fail(v, "manifest.json: a shard without a name");
		return;
	}
	check_files(v, dir, json_object_get(e, "files"));
	char *p = shard_path(dir, name);
	shard_reader *r = NULL;
	cur_err err;
	cur_err_clear(&err);
	/* The reader takes a .bin without its .idx for llm.c's format: when the
	 * manifest says Megatron, a missing .idx is the fault check_files named,
	 * not a bad llm.c header. */
	if (p && v->megatron && !idx_exists(p)) {
		v->unread++;
		free(p);
		return;
	}
	if (!p || shard_reader_open(p, &r, &err) < 0) {
		v->unread++;
		fail(v, "%s", p ? err.msg : "out of memory");
		free(p);
		return;
	}
	free(p);
	uint64_t tok = (uint64_t)json_integer_value(json_object_get(e, "tokens"));
	uint64_t seq = (uint64_t)json_integer_value(json_object_get(e, "sequences"));
	if (r->ntok != tok)
		fail(v, "%s: offset 0: %llu tokens, the manifest says %llu", r->bin_name,
		     (unsigned long long)r->ntok, (unsigned long long)tok);
	if (r->format == SHARD_FORMAT_MEGATRON && r->nseq != seq)
		fail(v, "%s: offset 18: %llu sequences, the manifest says %llu", r->idx_name,
		     (unsigned long long)r->nseq, (unsigned long long)seq);
	check_ids(v, r);
	v->tokens += r->ntok;
	const char *cat;
	json_t *n;
	json_object_foreach(json_object_get(e, "categories"), cat, n) {
		json_int_t have = json_integer_value(json_object_get(v->cat_tokens, cat));
		json_object_set_new(v->cat_tokens, cat, json_integer(have + json_integer_value(n)));
	}
	shard_reader_close(r);
}

/* Is name one of the files some shard entry lists? */
static int listed(json_t *shards, const char *name)
{
	json_t *e;
	size_t i;
	json_array_foreach(shards, i, e)
		if (json_object_get(json_object_get(e, "files"), name))
			return 1;
	return 0;
}

/* A shard file the manifest does not list is another run's (what a crash
 * or a run into the same directory leaves): a loader globbing train_* would
 * take it for this one's. */
static void check_unlisted(vstate *v, const char *dir, json_t *shards)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fail(v, "%s: %s", dir, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		if (shard_is_file_name(names[i]->d_name) && !listed(shards, names[i]->d_name))
			fail(v, "%s: a shard file the manifest does not list (from another run?)",
			     names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

static void summary(vstate *v, json_t *m, size_t nshards)
{
	json_t *cats = json_object_get(m, "categories");
	uint64_t total = 0;
	const char *cat;
	json_t *c;
	json_object_foreach(cats, cat, c)
		total += (uint64_t)json_integer_value(json_object_get(c, "tokens"));
	cur_buf_printf(v->out, "%-16s %14s %8s %8s %14s\n", "category", "tokens", "ratio", "target",
		       "documents");
	json_object_foreach(cats, cat, c) {
		json_int_t t = json_integer_value(json_object_get(c, "tokens"));
		json_int_t summed = json_integer_value(json_object_get(v->cat_tokens, cat));
		if (summed != t && !v->unread)
			fail(v, "manifest.json: category '%s' has %lld tokens, its shards %lld", cat,
			     (long long)t, (long long)summed);
		cur_buf_printf(v->out, "%-16s %14lld %7.3f%% %7.3f%% %14lld\n", cat, (long long)t,
			       total ? 100.0 * (double)t / (double)total : 0.0,
			       100.0 * json_number_value(json_object_get(c, "target")),
			       (long long)json_integer_value(json_object_get(c, "documents")));
	}
	uint64_t want_docs = (uint64_t)json_integer_value(json_object_get(m, "documents"));
	if (v->unread)
		fail(v, "manifest.json: %d of %zu shards could not be read: totals not checked",
		     v->unread, nshards);
	else if (v->seps != want_docs)
		fail(v, "manifest.json: %llu documents, the shards hold %llu separators",
		     (unsigned long long)want_docs, (unsigned long long)v->seps);
	uint64_t want_tok = (uint64_t)json_integer_value(json_object_get(m, "tokens")) +
			    (uint64_t)json_integer_value(json_object_get(m, "padding_tokens"));
	if (v->tokens != want_tok && !v->unread)
		fail(v, "manifest.json: %llu tokens with padding, the shards hold %llu",
		     (unsigned long long)want_tok, (unsigned long long)v->tokens);
	cur_buf_printf(v->out, "%s: %zu shards, %llu tokens: %s\n", "verify", nshards,
		       (unsigned long long)v->tokens, v->failed ? "FAILED" : "ok");
}

int shard_verify(const char *dir, cur_buf *out, cur_err *err)
{
	char *mp = shard_path(dir, "manifest.json");
	if (!mp)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	json_error_t je;
	json_t *m = json_load_file(mp, 0, &je);
	if (!m) {
		int rc = cur_err_set(err, CUR_EIO, "cannot read '%s': %s", mp, je.text);
		free(mp);
		return rc;
	}
	free(mp);
	vstate v = { out, 0, 0, 0, 0, 0, 0, 0, json_object() };
	v.vocab = (uint64_t)json_integer_value(json_object_get(json_object_get(m, "tokenizer"), "vocab_size"));
	v.sep = (uint32_t)json_integer_value(json_object_get(json_object_get(m, "separator"), "token"));
	json_t *shards = json_object_get(m, "shards");
	if (v.vocab == 0 || !json_is_array(shards))
		fail(&v, "manifest.json: no tokenizer vocab_size or shard list");
	v.megatron = !json_is_string(json_object_get(m, "format")) ||
		     strcmp(json_string_value(json_object_get(m, "format")), "llmc") != 0;
	for (size_t i = 0; i < json_array_size(shards); i++)
		check_shard(&v, dir, json_array_get(shards, i));
	check_unlisted(&v, dir, shards);
	summary(&v, m, json_array_size(shards));
	json_decref(v.cat_tokens);
	json_decref(m);
	return v.failed ? 1 : CUR_OK;
}
