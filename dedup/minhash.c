/* MinHash signatures, LSH band keys, Jaccard, union-find. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "core/rng.h"
#include "dedup/dd_int.h"

int dd_mh_init(dd_mh *m, int bands, int rows, int ngram, uint64_t seed, cur_err *err)
{
	cur_rng s = {seed};
	if (bands < 1 || rows < 1 || bands * rows > DD_MAX_PERM)
		return cur_err_set(err, CUR_EINVAL, "bands x rows must be between 1 and %d",
				   DD_MAX_PERM);
	if (ngram < 1 || ngram > 64)
		return cur_err_set(err, CUR_EINVAL, "ngram must be between 1 and 64");
	memset(m, 0, sizeof *m);
	m->bands = bands;
	m->rows = rows;
	m->nperm = bands * rows;
	m->ngram = ngram;
	m->seed = seed;
	for (int i = 0; i < m->nperm; i++) {
		m->a[i] = (uint32_t)cur_rng_next(&s) | 1u;
		m->b[i] = (uint32_t)cur_rng_next(&s);
	}
	return CUR_OK;
}

/* The hot loop: nperm multiply-add-min per shingle. Written as plain loops
 * that GCC vectorizes (-O3 for this function only); on x86-64 an AVX2 clone
 * is picked at run time (vpmulld, vpminud: eight permutations per
 * instruction). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default"), optimize("O3")))
#endif
static void sign_block(const uint32_t *restrict a, const uint32_t *restrict b, int nperm,
		       const uint64_t *restrict sh, size_t nsh, uint32_t *restrict sig)
{
	for (size_t j = 0; j < nsh; j++) {
		uint32_t x = (uint32_t)sh[j];
		for (int i = 0; i < nperm; i++) {
			uint32_t v = a[i] * x + b[i];
			sig[i] = v < sig[i] ? v : sig[i];
		}
	}
}

void dd_mh_update(const dd_mh *m, const uint64_t *sh, size_t nsh, uint32_t *sig)
{
	sign_block(m->a, m->b, m->nperm, sh, nsh, sig);
}

void dd_mh_sign(const dd_mh *m, const uint64_t *sh, size_t nsh, uint32_t *sig)
{
	for (int i = 0; i < m->nperm; i++)
		sig[i] = UINT32_MAX;
	sign_block(m->a, m->b, m->nperm, sh, nsh, sig);
}

void dd_mh_band_keys(const dd_mh *m, const uint32_t *sig, uint64_t *keys)
{
	unsigned char buf[4 * DD_MAX_PERM];
	for (int bnd = 0; bnd < m->bands; bnd++) {
		const uint32_t *row = sig + (size_t)bnd * (size_t)m->rows;
		for (int r = 0; r < m->rows; r++)
			dd_put32(buf + 4 * r, row[r]);
		keys[bnd] = XXH3_64bits_withSeed(buf, 4 * (size_t)m->rows, m->seed + (uint64_t)bnd);
	}
}

double dd_mh_estimate(const uint32_t *x, const uint32_t *y, int nperm)
{
	int eq = 0;
	for (int i = 0; i < nperm; i++)
		eq += x[i] == y[i];
	return nperm ? (double)eq / nperm : 0.0;
}

double dd_jaccard_sorted(const uint64_t *x, size_t nx, const uint64_t *y, size_t ny)
{
	size_t i = 0, j = 0, inter = 0;
	if (nx + ny == 0)
		return 1.0;
	while (i < nx && j < ny) {
		if (x[i] == y[j]) {
			inter++;
			i++;
			j++;
		} else if (x[i] < y[j]) {
			i++;
		} else {
			j++;
		}
	}
	return (double)inter / (double)(nx + ny - inter);
}

int dd_uf_init(dd_uf *u, size_t n)
{
	u->n = n;
	u->parent = cur_malloc_array(n ? n : 1, sizeof *u->parent);
	if (!u->parent)
		return CUR_ENOMEM;
	for (size_t i = 0; i < n; i++)
		u->parent[i] = (uint32_t)i;
	return CUR_OK;
}

void dd_uf_release(dd_uf *u)
{
	free(u->parent);
	u->parent = NULL;
	u->n = 0;
}

uint32_t dd_uf_find(dd_uf *u, uint32_t x)
{
	uint32_t r = x;
	while (u->parent[r] != r)
		r = u->parent[r];
	while (u->parent[x] != r) { /* path compression */
		uint32_t next = u->parent[x];
		u->parent[x] = r;
		x = next;
	}
	return r;
}

uint32_t dd_uf_find_shared(dd_uf *u, uint32_t x)
{
	uint32_t r = x, p;
	while ((p = __atomic_load_n(&u->parent[r], __ATOMIC_ACQUIRE)) != r)
		r = p;
	/* Only non-roots are rewritten here, and only unions rewrite roots. */
	while ((p = __atomic_load_n(&u->parent[x], __ATOMIC_RELAXED)) != r && p != x) {
		__atomic_store_n(&u->parent[x], r, __ATOMIC_RELAXED);
		x = p;
	}
	return r;
}

void dd_uf_union_shared(dd_uf *u, uint32_t x, uint32_t y)
{
	uint32_t rx = dd_uf_find_shared(u, x), ry = dd_uf_find_shared(u, y);
	if (rx == ry)
		return;
	if (rx < ry)
		__atomic_store_n(&u->parent[ry], rx, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&u->parent[rx], ry, __ATOMIC_RELEASE);
}

void dd_uf_union(dd_uf *u, uint32_t x, uint32_t y)
{
	uint32_t rx = dd_uf_find(u, x), ry = dd_uf_find(u, y);
	if (rx == ry)
		return;
	if (rx < ry)
		u->parent[ry] = rx;
	else
		u->parent[rx] = ry;
}
