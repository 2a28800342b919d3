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
#include "core/interrupt.h"
#include "mix/mix.h"
#include "shards/shard.h"
#include "shards/sink_int.h"
#include "shards/writer_int.h"
#include "tokenizer/tokenizer.h"


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
			shard_warn(j, "category '%s' has no documents: left out of the mix", j->mix.names[c]);
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

/* A slice's pass 1 ends with its spill saved for the write tasks. */
static int finish_spill(shard_job *j, json_t *report, cur_err *err)
{
	for (size_t c = 0; c < j->mix.n; c++)
		CUR_FORWARD(shard_spill_close_write(&j->spills[c], err));
	CUR_FORWARD(shard_save_state(j, err));
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
			CUR_FORWARD(shard_save_state(j, err));
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
		shard_remove_unlisted(j, m);
	if (report)
		fill_report(j, report, m, &w, secs);
	make_summary(j, m, &w);
	j->finished = 1;
	for (size_t c = 0; c < j->mix.n; c++)
		shard_spill_release(&j->spills[c]);
	/* The slices' spills are the run's to remove, not this task's. */
	if (!what)
		shard_clean_workdir(j);
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
			shard_clean_workdir(j);
		cur_temp_remove(j->dry_temp);
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
	j->dry_temp = -1;
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
	if (cur_cfg_check_keys(j->cfg, shard_options, "shard", err) < 0 || shard_setup_options(j, err) < 0)
		goto fail;
	if (!output && !j->dry_run) {
		cur_err_set(err, CUR_EINVAL, "shard writes a directory: give -o DIR");
		goto fail;
	}
	if (shard_setup_mix(j, err) < 0)
		goto fail;
	if (tok_load(j->tok_path, &j->tok, err) < 0 || shard_setup_specials(j, err) < 0)
		goto fail;
	if (shard_make_fingerprint(j, err) < 0 || shard_setup_dirs(j, err) < 0)
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
