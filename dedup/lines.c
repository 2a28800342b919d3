/* --lines: how often each line occurs within a bucket of kept documents
 * (in global order), and linefreq.bin, the lines seen too often. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/file.h"
#include "dedup/work.h"
#include "dedup/work_int.h"

/* ---- lines: count per bucket of kept documents ------------------------- */
typedef struct lcount {
	uint64_t *key;
	uint32_t *cnt;
	size_t cap, n;
} lcount;

static int lc_add(lcount *t, uint64_t h)
{
	if (h == 0)
		h = 1; /* 0 marks an empty slot */
	if (2 * (t->n + 1) > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 1 << 16;
		uint64_t *k = cur_calloc_array(cap, sizeof *k);
		uint32_t *c = cur_calloc_array(cap, sizeof *c);
		if (!k || !c) {
			free(k);
			free(c);
			return CUR_ENOMEM;
		}
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->key[i])
				continue;
			size_t j = t->key[i] & (cap - 1);
			while (k[j])
				j = (j + 1) & (cap - 1);
			k[j] = t->key[i];
			c[j] = t->cnt[i];
		}
		free(t->key);
		free(t->cnt);
		t->key = k;
		t->cnt = c;
		t->cap = cap;
	}
	size_t j = h & (t->cap - 1);
	while (t->key[j] && t->key[j] != h)
		j = (j + 1) & (t->cap - 1);
	if (!t->key[j]) {
		t->key[j] = h;
		t->n++;
	}
	if (t->cnt[j] < UINT32_MAX)
		t->cnt[j]++;
	return CUR_OK;
}

/* Emit (bucket, hash) of every line counted more than max times. */
static int lc_flush(lcount *t, uint64_t bucket, int max, FILE *out, size_t *peak)
{
	size_t bytes = t->cap * 12;
	if (bytes > *peak)
		*peak = bytes;
	for (size_t i = 0; i < t->cap; i++) {
		if (t->key[i] && t->cnt[i] > (uint32_t)max) {
			unsigned char b[16];
			dd_put64(b, bucket);
			dd_put64(b + 8, t->key[i]);
			if (dd_fwrite(b, 1, 16, out) != 16)
				return CUR_EIO;
		}
		t->key[i] = 0;
		t->cnt[i] = 0;
	}
	t->n = 0;
	return CUR_OK;
}

/* Every rank's lines file, open for reading in step: documents come in
 * global order, and within a rank that is its local order, so each file is
 * read straight through. */
static int open_line_files(dd_work *w, FILE ***out, cur_err *err)
{
	FILE **f = calloc((size_t)w->world, sizeof *f);
	*out = f;
	if (!f)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	for (int r = 0; r < w->world; r++)
		if (!(f[r] = dd_lines_open(w, r, err)))
			return err->code ? err->code : CUR_ENOMEM;
	return CUR_OK;
}

static void close_line_files(FILE **f, int world)
{
	for (int r = 0; f && r < world; r++)
		if (f[r])
			fclose(f[r]);
	free(f);
}

FILE *dd_lines_open(const dd_work *w, int rank, cur_err *err)
{
	char *path = dd_work_path(w->dir, "lines", rank, -1);
	FILE *f;

	if (!path) {
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	f = dd_open_read(path, DD_MAGIC_LINES, err);
	free(path);
	return f;
}

int dd_lines_next(FILE *f, dd_u64vec *hashes, cur_err *err)
{
	unsigned char b[8];
	uint32_t nl;

	hashes->n = 0;
	if (dd_fread(b, 1, 4, f) != 4)
		return cur_err_set(err, CUR_EDATA, "a lines file is short");
	nl = dd_get32(b);
	for (uint32_t j = 0; j < nl; j++) {
		if (dd_fread(b, 1, 8, f) != 8)
			return cur_err_set(err, CUR_EDATA, "a lines file is short");
		if (dd_u64vec_push(hashes, dd_get64(b)) != CUR_OK)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	return CUR_OK;
}

/* One document's line hashes into t (live: it is kept so far) or past. */
static int count_doc_lines(FILE *f, int live, lcount *t, dd_u64vec *hashes, cur_err *err)
{
	CUR_FORWARD(dd_lines_next(f, hashes, err));
	for (size_t j = 0; live && j < hashes->n; j++)
		if (lc_add(t, hashes->v[j]) != CUR_OK)
			return cur_err_set(err, CUR_ENOMEM, "out of memory counting lines");
	return CUR_OK;
}

int dd_count_lines(dd_work *w, cur_err *err)
{
	lcount t = { 0 };
	dd_u64vec hashes = { 0 };
	char *fpath = NULL;
	FILE **f = NULL, *out = NULL;
	cur_atomic outf = CUR_ATOMIC_INIT;
	uint64_t kept = 0, bucket = 0;
	size_t peak = 0;
	int rc = CUR_OK;
	if (!(fpath = dd_work_path(w->dir, "linefreq", -1, -1))) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = open_line_files(w, &f, err)) != CUR_OK)
		goto out;
	if (!(out = dd_create_tmp(&outf, fpath, DD_MAGIC_FREQ, err))) {
		rc = CUR_EIO;
		goto out;
	}
	for (size_t g = 0; g < w->n && rc == CUR_OK; g++) {
		int live = w->kind[g] == DD_KIND_KEEP;
		if (live && kept > 0 && kept % w->cfg.bucket_docs == 0 &&
		    lc_flush(&t, bucket++, w->cfg.max_line_repeats, out, &peak) != CUR_OK)
			rc = cur_err_set(err, CUR_EIO, "cannot write '%s'", fpath);
		if (rc == CUR_OK)
			rc = count_doc_lines(f[w->r_of[g]], live, &t, &hashes, err);
		kept += live;
	}
	if (rc == CUR_OK && lc_flush(&t, bucket, w->cfg.max_line_repeats, out, &peak) != CUR_OK)
		rc = cur_err_set(err, CUR_EIO, "cannot write '%s'", fpath);
	w->line_peak = peak;
	if (rc == CUR_OK)
		rc = dd_commit_tmp(w, &outf, err);
out:
	close_line_files(f, w->world);
	cur_atomic_rollback(&outf);
	free(t.key);
	free(t.cnt);
	dd_u64vec_release(&hashes);
	free(fpath);
	return rc;
}

