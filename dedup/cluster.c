/* Cluster: URL and exact groups by sorting their hashes, near-duplicate
 * clusters by union-find over every band's pairs, and one survivor per
 * group (--keep). */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/buf.h"
#include "dedup/work.h"
#include "dedup/work_int.h"

/* Iterate every rank's meta records: fn(w, g, meta, arg). */
static int each_meta(dd_work *w, int (*fn)(dd_work *, uint32_t, const dd_meta *, void *),
		     void *arg, cur_err *err)
{
	for (int r = 0; r < w->world; r++) {
		unsigned char rec[DD_META_REC];
		char *path = dd_work_path(w->dir, "meta", r, -1);
		FILE *f = path ? dd_open_read(path, DD_MAGIC_META, err) : NULL;
		free(path);
		if (!f)
			return CUR_EIO;
		fseek(f, DD_META_HDR, SEEK_SET);
		for (uint64_t i = 0; i < w->count[r]; i++) {
			dd_meta m;
			if (dd_fread(rec, 1, sizeof rec, f) != sizeof rec) {
				fclose(f);
				return cur_err_set(err, CUR_EDATA, "meta file of rank %d is short", r);
			}
			dd_meta_decode(rec, &m);
			int rc = fn(w, w->g_of[r][i], &m, arg);
			if (rc != CUR_OK) {
				fclose(f);
				return cur_err_set(err, rc, "out of memory");
			}
		}
		fclose(f);
	}
	return CUR_OK;
}

/* url and exact: sort (hash, preference, global) and keep each group's head. */
typedef struct hkey {
	unsigned char h[16];
	int64_t pref;   /* smaller wins: minus the date for url */
	uint32_t g;
} hkey;

typedef struct hcollect {
	hkey *v;
	size_t n;
	int url;
} hcollect;

static int collect_h(dd_work *w, uint32_t g, const dd_meta *m, void *arg)
{
	hcollect *c = arg;
	if (w->kind[g] != DD_KIND_KEEP)
		return CUR_OK;
	if (c->url && !(m->flags & DD_META_URL))
		return CUR_OK;
	hkey *k = &c->v[c->n++];
	memcpy(k->h, c->url ? m->url : m->exact, 16);
	k->pref = c->url ? (m->flags & DD_META_DATE ? -m->date : 1) : 0;
	k->g = g;
	return CUR_OK;
}

static int cmp_hkey(const void *x, const void *y)
{
	const hkey *a = x, *b = y;
	int c = memcmp(a->h, b->h, 16);
	if (c)
		return c;
	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	return (a->g > b->g) - (a->g < b->g);
}

/* exact: 20 bytes a document while sorting (hash, global number). */
typedef struct __attribute__((packed)) ekey {
	unsigned char h[16];
	uint32_t g;
} ekey;

static int cmp_ekey(const void *x, const void *y)
{
	const ekey *a = x, *b = y;
	int c = memcmp(a->h, b->h, 16);
	if (c)
		return c;
	return (a->g > b->g) - (a->g < b->g);
}

static int collect_e(dd_work *w, uint32_t g, const dd_meta *m, void *arg)
{
	hcollect *c = arg;
	ekey *e = (ekey *)(void *)c->v;
	if (w->kind[g] != DD_KIND_KEEP)
		return CUR_OK;
	memcpy(e[c->n].h, m->exact, 16);
	e[c->n].g = g;
	c->n++;
	return CUR_OK;
}

int dd_hash_dedup(dd_work *w, int url, cur_err *err)
{
	hcollect c = { .url = url };
	size_t size = url ? sizeof(hkey) : sizeof(ekey);
	unsigned char *v;
	int rc;
	c.v = cur_malloc_array(w->n ? w->n : 1, size);
	if (!c.v)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	dd_work_mem_add(w, w->n * size);
	rc = each_meta(w, url ? collect_h : collect_e, &c, err);
	v = (unsigned char *)c.v;
	if (rc == CUR_OK) {
		/* Both records start with the 16-byte hash; g sits at the end. */
		qsort(v, c.n, size, url ? cmp_hkey : cmp_ekey);
		for (size_t i = 1; i < c.n; i++) {
			size_t head = i - 1;
			uint32_t hg, g;
			while (i < c.n && memcmp(v + i * size, v + head * size, 16) == 0) {
				memcpy(&g, v + i * size + (url ? offsetof(hkey, g) : offsetof(ekey, g)), 4);
				memcpy(&hg, v + head * size + (url ? offsetof(hkey, g) : offsetof(ekey, g)), 4);
				w->kind[g] = (unsigned char)(url ? DD_KIND_URL : DD_KIND_EXACT);
				w->of[g] = hg;
				w->counts[url ? DD_KIND_URL : DD_KIND_EXACT]++;
				i++;
			}
		}
	}
	free(c.v);
	w->mem -= w->n * size;
	return rc;
}

typedef struct keepst {
	dd_uf *uf;
	uint32_t *best;
	int64_t *val;
	int keep;
} keepst;

/* Order-independent: the best value wins, ties go to the smaller number. */
static int pick_best(dd_work *w, uint32_t g, const dd_meta *m, void *arg)
{
	keepst *k = arg;
	uint32_t root = dd_uf_find(k->uf, g);
	int64_t v = k->keep == DD_KEEP_LONGEST ? (int64_t)m->length
					       : (m->flags & DD_META_DATE ? m->date : -1);
	(void)w;
	if (k->best[root] == UINT32_MAX || v > k->val[root] ||
	    (v == k->val[root] && g < k->best[root])) {
		k->best[root] = g;
		k->val[root] = v;
	}
	return CUR_OK;
}

static int union_pairs(dd_work *w, dd_uf *uf, cur_err *err)
{
	int rc = CUR_OK;
	for (int b = 0; b < w->cfg.bands && rc == CUR_OK; b++) {
		unsigned char p[8];
		char *path = dd_work_path(w->dir, "pairs", b, -1);
		FILE *f = path ? fopen(path, "rb") : NULL;
		if (!f) {
			rc = cur_err_set(err, CUR_EIO, "cannot open '%s': %s (run minhash-bucket --band %d)",
					 path ? path : "pairs", strerror(errno), b);
			free(path);
			break;
		}
		setvbuf(f, NULL, _IOFBF, 1 << 18);
		if (dd_fread(p, 1, 8, f) != 8 || memcmp(p, DD_MAGIC_PAIRS, 8) != 0)
			rc = cur_err_set(err, CUR_EDATA, "'%s' is not a pairs file", path);
		while (rc == CUR_OK && dd_fread(p, 1, 8, f) == 8) {
			uint32_t a = dd_get32(p), c = dd_get32(p + 4);
			if (a >= w->n || c >= w->n)
				rc = cur_err_set(err, CUR_EDATA, "bad pair in '%s'", path);
			else
				dd_uf_union(uf, a, c);
		}
		fclose(f);
		free(path);
	}
	return rc;
}

/* Union-find over all pairs; one survivor per cluster. Leaves the root
 * and cluster size of every document in w->root, w->csize. */
int dd_cluster(dd_work *w, cur_err *err)
{
	dd_uf uf;
	keepst k = { .uf = &uf, .keep = w->cfg.keep };
	int rc;
	if (dd_uf_init(&uf, w->n) != CUR_OK)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	dd_work_mem_add(w, w->n * 4);
	if ((rc = union_pairs(w, &uf, err)) != CUR_OK)
		goto out;
	w->csize = cur_calloc_array(w->n ? w->n : 1, sizeof *w->csize);
	k.best = cur_malloc_array(w->n ? w->n : 1, sizeof *k.best);
	if (!w->csize || !k.best) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	dd_work_mem_add(w, w->n * 8);
	for (size_t g = 0; g < w->n; g++) {
		uint32_t r = dd_uf_find(&uf, (uint32_t)g);
		w->csize[r]++;
		k.best[g] = r; /* keep first: the root is the smallest number */
	}
	if (w->cfg.keep != DD_KEEP_FIRST) {
		k.val = cur_malloc_array(w->n ? w->n : 1, sizeof *k.val);
		if (!k.val) {
			rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
			goto out;
		}
		dd_work_mem_add(w, w->n * 8);
		for (size_t g = 0; g < w->n; g++)
			k.best[g] = UINT32_MAX;
		if ((rc = each_meta(w, pick_best, &k, err)) != CUR_OK)
			goto out;
	}
	for (size_t g = 0; g < w->n; g++) {
		uint32_t r = dd_uf_find(&uf, (uint32_t)g);
		if (w->csize[r] < 2)
			continue;
		if ((uint32_t)g == r)
			w->clusters++;
		if (k.best[r] != g && w->kind[g] == DD_KIND_KEEP) {
			w->kind[g] = DD_KIND_MINHASH;
			w->of[g] = k.best[r];
			w->counts[DD_KIND_MINHASH]++;
		}
	}
	/* Sizes by member rather than by root; the roots stay in uf.parent. */
	for (size_t g = 0; g < w->n; g++)
		k.best[g] = w->csize[dd_uf_find(&uf, (uint32_t)g)];
	for (size_t g = 0; g < w->n; g++)
		w->csize[g] = k.best[g];
	w->root = uf.parent;
	uf.parent = NULL;
out:
	free(k.best);
	free(k.val);
	dd_uf_release(&uf);
	return rc;
}

