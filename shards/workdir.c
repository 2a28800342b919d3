/* The shard sink's directories: the output directory (what an earlier run
 * left), the work directory of pass 1's spill, and the state that lets
 * --resume reuse a finished pass 1. */
#include "config.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>
#include "core/buf.h"
#include "core/file.h"
#include "core/interrupt.h"
#include "mix/mix.h"
#include "shards/shard.h"
#include "shards/sink_int.h"
#include "shards/writer_int.h"
#include "tokenizer/tokenizer.h"

static int holds_shard_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;
	while (d && !found && (e = readdir(d)))
		found = shard_is_file_name(e->d_name);
	if (d)
		closedir(d);
	return found;
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
			if (is_temp_file(e->d_name) || (all && shard_is_file_name(e->d_name))) {
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

void shard_clean_workdir(shard_job *j)
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

#define PRINT_BLOCK 65536

/* What an input holds, cheaply: its size, its time of change and a hash of
 * its first and last 64 KiB. A name alone would let --resume reuse the
 * spill of a file since replaced by another under the same name. An input
 * that can be read only once (stdin, a pipe) has no such print: NULL. */
static json_t *input_print(const char *path)
{
	unsigned char buf[PRINT_BLOCK];
	struct stat st;
	XXH3_state_t *h;
	XXH128_canonical_t c;
	char hex[33];
	ssize_t got;
	int fd;
	if (strcmp(path, "-") == 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(h = XXH3_createState())) {
		close(fd);
		return NULL;
	}
	XXH3_128bits_reset(h);
	got = pread(fd, buf, sizeof buf, 0);
	if (got > 0)
		XXH3_128bits_update(h, buf, (size_t)got);
	if (st.st_size > PRINT_BLOCK) {
		got = pread(fd, buf, sizeof buf, st.st_size - PRINT_BLOCK);
		if (got > 0)
			XXH3_128bits_update(h, buf, (size_t)got);
	}
	close(fd);
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h));
	XXH3_freeState(h);
	shard_xxh3_hex(&c, hex);
	return json_pack("{s:s, s:I, s:I, s:I, s:s}", "path", path, "bytes", (json_int_t)st.st_size,
			 "mtime_s", (json_int_t)st.st_mtim.tv_sec, "mtime_ns",
			 (json_int_t)st.st_mtim.tv_nsec, "xxh3_ends", hex);
}

int shard_make_fingerprint(shard_job *j, cur_err *err)
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
	j->resumable = 1;
	for (size_t i = 0; i < j->ninputs; i++) {
		json_t *print = input_print(j->inputs[i]);
		if (!print)
			j->resumable = 0;
		json_array_append_new(in, print ? print : json_string(j->inputs[i]));
	}
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
	if (fp && strcmp(fp, j->fingerprint) != 0)
		shard_warn(j, "--resume: the inputs or options differ from the interrupted run's: "
			   "starting afresh");
	else if (fp && !j->resumable)
		shard_warn(j, "--resume: an input read from a pipe cannot be checked: starting afresh");
	if (fp && j->resumable && strcmp(fp, j->fingerprint) == 0 && json_array_size(cats) == j->mix.n) {
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

int shard_save_state(shard_job *j, cur_err *err)
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
		shard_clean_workdir(j);
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
	j->dry_temp = cur_temp_add(j->workdir); /* a second signal removes it */
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
		shard_clean_workdir(j);
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

int shard_setup_dirs(shard_job *j, cur_err *err)
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
	/* Shard files without a manifest are what a crash leaves: a new run
	 * beside them would leave a directory of two runs' shards. */
	if ((has_manifest || holds_shard_files(j->outdir)) && !j->resume && !j->force)
		return cur_err_set(err, CUR_EINVAL, "'%s' already holds shards (%s): use --resume or "
				   "--force", j->outdir, has_manifest ? "manifest.json" :
				   "shard files without a manifest");
	if (j->resume)
		load_state(j);
	/* Shards are written only after the state is saved: without a state
	 * that matches, shards on disk come from another run and must go. */
	clean_outdir(j, j->force || (j->resume && !j->pass1_done));
	if (!j->pass1_done) {
		shard_clean_workdir(j);
		CUR_FORWARD(cur_mkdir_p(j->workdir, err));
		for (size_t c = 0; c < j->mix.n; c++)
			CUR_FORWARD(shard_spill_create(&j->spills[c], j->workdir, c, 1, err));
	}
	return CUR_OK;
}

/* Remove the shard files of an earlier run that manifest m does not list. */
void shard_remove_unlisted(shard_job *j, json_t *m)
{
	json_t *files = json_object();
	json_t *e;
	size_t i;
	json_array_foreach(json_object_get(m, "shards"), i, e)
		json_object_update(files, json_object_get(e, "files"));
	DIR *d = opendir(j->outdir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (shard_is_file_name(de->d_name) && !json_object_get(files, de->d_name)) {
			char *p = shard_path(j->outdir, de->d_name);
			if (p)
				unlink(p);
			free(p);
		}
	if (d)
		closedir(d);
	json_decref(files);
}
