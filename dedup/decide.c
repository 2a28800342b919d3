/* Reading decide-R.bin (and linefreq.bin) for the apply phase. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "dedup/work.h"
#include "dedup/work_int.h"

struct dd_decider {
	FILE *f;
	char *path;
	uint64_t ndocs, at;
	dd_config cfg;
	char *id;
	size_t idcap;
	uint64_t *freq; /* (bucket, hash) pairs, sorted */
	size_t nfreq;
};

static int load_freq(dd_decider *d, const char *dir, cur_err *err)
{
	char *path = dd_work_path(dir, "linefreq", -1, -1);
	FILE *f = path ? fopen(path, "rb") : NULL;
	struct stat st;
	char m[8];
	int rc = CUR_OK;
	if (!f) {
		rc = cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path ? path : "linefreq",
				 strerror(errno));
		goto out;
	}
	fstat(fileno(f), &st);
	if (dd_fread(m, 1, 8, f) != 8 || memcmp(m, DD_MAGIC_FREQ, 8) != 0 || (st.st_size - 8) % 16) {
		rc = cur_err_set(err, CUR_EDATA, "'%s' is not a line-count file", path);
		goto out;
	}
	d->nfreq = (size_t)(st.st_size - 8) / 16;
	d->freq = cur_malloc_array(2 * d->nfreq + 2, sizeof *d->freq);
	if (!d->freq) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < d->nfreq; i++) {
		unsigned char b[16];
		if (dd_fread(b, 1, 16, f) != 16) {
			rc = cur_err_set(err, CUR_EDATA, "'%s' is short", path);
			goto out;
		}
		d->freq[2 * i] = dd_get64(b);
		d->freq[2 * i + 1] = dd_get64(b + 8);
	}
	/* lc_flush writes buckets in order but hashes in table order. */
	qsort(d->freq, d->nfreq, 16, dd_cmp_u64pair);
out:
	if (f)
		fclose(f);
	free(path);
	return rc;
}

int dd_cmp_u64pair(const void *x, const void *y)
{
	const uint64_t *a = x, *b = y;
	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return (a[1] > b[1]) - (a[1] < b[1]);
}

int dd_decider_open(dd_decider **out, const char *dir, int rank, cur_err *err)
{
	dd_decider *d = calloc(1, sizeof *d);
	unsigned char h[DD_META_HDR];
	int r, world, rc = CUR_OK;
	uint64_t n;
	char *mpath = dd_work_path(dir, "meta", rank, -1);
	FILE *mf = NULL;
	*out = NULL;
	if (!d || !mpath) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto fail;
	}
	if (!(mf = fopen(mpath, "rb")) || dd_fread(h, 1, sizeof h, mf) != sizeof h ||
	    dd_meta_header_decode(h, &d->cfg, &r, &world, &n) != CUR_OK) {
		rc = cur_err_set(err, CUR_EDATA, "cannot read '%s' (run minhash-sign first)", mpath);
		goto fail;
	}
	if (!(d->path = dd_work_path(dir, "decide", rank, -1))) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto fail;
	}
	d->f = fopen(d->path, "rb");
	if (!d->f) {
		rc = cur_err_set(err, CUR_EIO, "cannot open '%s': %s (run minhash-cluster first)",
				 d->path, strerror(errno));
		goto fail;
	}
	setvbuf(d->f, NULL, _IOFBF, 1 << 18);
	{
		unsigned char b[16];
		if (dd_fread(b, 1, 16, d->f) != 16 || memcmp(b, DD_MAGIC_DECIDE, 8) != 0) {
			rc = cur_err_set(err, CUR_EDATA, "'%s' is not a decision file", d->path);
			goto fail;
		}
		d->ndocs = dd_get64(b + 8);
	}
	if (d->ndocs != n) {
		rc = cur_err_set(err, CUR_EDATA, "'%s' does not match '%s'", d->path, mpath);
		goto fail;
	}
	if (d->cfg.lines && (rc = load_freq(d, dir, err)) != CUR_OK)
		goto fail;
	fclose(mf);
	free(mpath);
	*out = d;
	return CUR_OK;
fail:
	if (mf)
		fclose(mf);
	free(mpath);
	dd_decider_free(d);
	return rc;
}

int dd_decider_next(dd_decider *d, dd_decision *o, cur_err *err)
{
	unsigned char rec[DD_DECIDE_REC];
	uint32_t vb, len;
	if (d->at >= d->ndocs)
		return CUR_EOF;
	if (dd_fread(rec, 1, sizeof rec, d->f) != sizeof rec)
		return cur_err_set(err, CUR_EDATA, "'%s' is short", d->path);
	o->order = dd_get64(rec);
	o->kind = rec[8] & ~(DD_STRIP | DD_RAW_OK | DD_NO_META);
	o->strip = (rec[8] & DD_STRIP) != 0;
	o->raw_ok = (rec[8] & DD_RAW_OK) != 0;
	o->no_meta = (rec[8] & DD_NO_META) != 0;
	vb = dd_get32(rec + 9);
	memcpy(&o->value, &vb, 4);
	o->cluster_size = dd_get32(rec + 13);
	o->cluster = dd_get64(rec + 17);
	o->bucket = dd_get64(rec + 25);
	o->length = dd_get32(rec + 33);
	len = dd_get32(rec + 37);
	if (o->kind > DD_KIND_MINHASH || len > (1u << 24))
		return cur_err_set(err, CUR_EDATA, "bad record in '%s'", d->path);
	if (len + 1 > d->idcap) {
		char *p = realloc(d->id, len + 1);
		if (!p)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		d->id = p;
		d->idcap = len + 1;
	}
	if (dd_fread(d->id, 1, len, d->f) != len)
		return cur_err_set(err, CUR_EDATA, "'%s' is short", d->path);
	d->id[len] = '\0';
	o->dup_of = d->id;
	d->at++;
	return CUR_OK;
}

int dd_decider_line_frequent(const dd_decider *d, uint64_t b, uint64_t h)
{
	uint64_t key[2] = { b, h ? h : 1 };
	return d->nfreq && bsearch(key, d->freq, d->nfreq, 16, dd_cmp_u64pair) != NULL;
}

uint64_t dd_decider_left(const dd_decider *d)
{
	return d->ndocs - d->at;
}

const dd_config *dd_decider_config(const dd_decider *d)
{
	return &d->cfg;
}

void dd_decider_free(dd_decider *d)
{
	if (!d)
		return;
	if (d->f)
		fclose(d->f);
	free(d->path);
	free(d->id);
	free(d->freq);
	free(d);
}
