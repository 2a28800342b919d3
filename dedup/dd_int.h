/* Shared inside dedup/ only: text normalization, shingles, MinHash, LSH
 * bands, union-find, and the work-directory file formats of the phased
 * MinHash (sign -> bucket -> cluster -> apply).
 *
 * Every hash that reaches a file is defined here byte for byte (see
 * docs/internals/dedup.md), so that signatures agree across runs and
 * machines for the same seed. */
#ifndef DD_INT_H
#define DD_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "core/buf.h"
#include "core/error.h"

/* ---- growable u64 vector (vec.c) ------------------------------------ */
typedef struct dd_u64vec {
	uint64_t *v;
	size_t n, cap;
} dd_u64vec;

/* dd_u64vec_grow: the slow path of dd_u64vec_push (make room, append). */
int dd_u64vec_grow(dd_u64vec *a, uint64_t x);
static inline int dd_u64vec_push(dd_u64vec *a, uint64_t x)
{
	if (a->n < a->cap) {
		a->v[a->n++] = x;
		return 0;
	}
	return dd_u64vec_grow(a, x);
}
void dd_u64vec_release(dd_u64vec *a);
/* dd_u64vec_free: release and free a malloc'd vector (a free_fn for
 * cur_doc_attach). */
void dd_u64vec_free(void *p);
/* dd_u64_sort_unique: sort v[0..n) and drop repeats; returns the new n. */
size_t dd_u64_sort_unique(uint64_t *v, size_t n);

/* ---- text ------------------------------------------------------------ */
/* dd_shingles: word n-gram shingle hashes of s (see docs/internals): words
 * are maximal runs of Unicode letters, numbers and '_' (Python's \w),
 * lower-cased; token hash XXH3-64(token, seed); shingle hash fmix64 of the
 * polynomial sum of n consecutive token hashes. A text with fewer than n
 * words gives one shingle of all its words; a text with no word gives one
 * shingle, XXH3-64 of its raw bytes. Appends to out (not deduplicated);
 * tok is scratch owned by the caller. */
int dd_shingles(const char *s, size_t n, int ngram, uint64_t seed, dd_u64vec *tok,
		dd_u64vec *out);

/* dd_shingle_stream: the same shingles, handed to emit a segment at a
 * time (about 1 MiB of text each), so memory stays flat for any length.
 * tok and sh are scratch owned by the caller. */
typedef void (*dd_emit_fn)(void *arg, const uint64_t *sh, size_t n);
int dd_shingle_stream(const char *s, size_t n, int ngram, uint64_t seed, dd_u64vec *tok,
		      dd_u64vec *sh, dd_emit_fn emit, void *arg);

/* dd_norm_text: append to out the normalized text for exact dedup: NFC,
 * runs of white space collapsed to one space, ends trimmed, optionally
 * lower-cased (Unicode case folding). */
int dd_norm_text(const char *s, size_t n, int lowercase, cur_buf *out);

/* dd_line_hash: XXH3-64 of a line with white space collapsed and trimmed
 * (lower-cased if asked). OUT: *empty is 1 when nothing but white space. */
uint64_t dd_line_hash(const char *s, size_t n, int lowercase, uint64_t seed, int *empty);

/* dd_doc_lines: every line of s (split on '\n') as its dd_line_hash, 0 for
 * an empty line (and 1 for a line that hashes to 0), into out (reset). */
int dd_doc_lines(const char *s, size_t n, int lowercase, uint64_t seed, dd_u64vec *out);

/* dd_norm_url: append the normalized URL: scheme dropped (http and https
 * fold), host lower-cased with a leading "www." dropped, fragment dropped,
 * path and query kept. Returns CUR_EINVAL for an empty URL. */
int dd_norm_url(const char *url, cur_buf *out);

/* dd_parse_date: a sortable integer from the first 14 digits of an ISO
 * 8601 date ("2024-05-01T10:00:00Z" -> 20240501100000), padded with zeros;
 * -1 when s has no digit. */
int64_t dd_parse_date(const char *s);

/* ---- MinHash --------------------------------------------------------- */
#define DD_MAX_PERM 1024

typedef struct dd_mh {
	int bands, rows, nperm, ngram;
	uint64_t seed;
	/* permutation i: v = (a[i] * x + b[i]) mod 2^32, a[i] odd, x the low 32
	 * bits of the shingle hash; from splitmix64(seed). */
	uint32_t a[DD_MAX_PERM], b[DD_MAX_PERM];
} dd_mh;

int dd_mh_init(dd_mh *m, int bands, int rows, int ngram, uint64_t seed, cur_err *err);
/* dd_mh_sign: sig[nperm] = minimum of each permutation over the shingles. */
void dd_mh_sign(const dd_mh *m, const uint64_t *sh, size_t nsh, uint32_t *sig);
/* dd_mh_update: fold more shingles into sig (start from all UINT32_MAX). */
void dd_mh_update(const dd_mh *m, const uint64_t *sh, size_t nsh, uint32_t *sig);
/* dd_mh_band_keys: keys[bands], key b = XXH3-64 of the band's rows as
 * little-endian u32, seeded with seed + b. */
void dd_mh_band_keys(const dd_mh *m, const uint32_t *sig, uint64_t *keys);
/* dd_mh_estimate: fraction of equal positions of two signatures. */
double dd_mh_estimate(const uint32_t *x, const uint32_t *y, int nperm);
/* dd_jaccard_sorted: exact Jaccard of two sorted, unique hash sets. */
double dd_jaccard_sorted(const uint64_t *x, size_t nx, const uint64_t *y, size_t ny);

/* ---- union-find ------------------------------------------------------ */
typedef struct dd_uf {
	uint32_t *parent;
	size_t n;
} dd_uf;

int dd_uf_init(dd_uf *u, size_t n);
void dd_uf_release(dd_uf *u);
uint32_t dd_uf_find(dd_uf *u, uint32_t x);
/* dd_uf_union: join the sets of x and y; the smaller root stays root, so a
 * set's root is always its smallest member whatever the order of unions. */
void dd_uf_union(dd_uf *u, uint32_t x, uint32_t y);
/* The same for one union-find shared by threads: dd_uf_find_shared takes no
 * lock (atomic loads; path compression by atomic stores, which only ever
 * point a node at one of its ancestors) and may return a root that another
 * thread has since joined to a smaller one, so equal roots always mean
 * joined, unequal ones only "not joined a moment ago". dd_uf_union_shared
 * needs the caller's lock against other unions, not against finds. */
uint32_t dd_uf_find_shared(dd_uf *u, uint32_t x);
void dd_uf_union_shared(dd_uf *u, uint32_t x, uint32_t y);

/* ---- little-endian helpers for files --------------------------------- */
/* On a little-endian host these are plain (unaligned) copies: the byte
 * loops were not merged by the compiler and cost pass 1's serial turn a
 * store per byte of every signature. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define DD_HOST_LE 1
#else
#define DD_HOST_LE 0
#endif
static inline void dd_put64(unsigned char *p, uint64_t v)
{
	if (DD_HOST_LE) {
		memcpy(p, &v, 8);
		return;
	}
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint64_t dd_get64(const unsigned char *p)
{
	uint64_t v = 0;
	if (DD_HOST_LE) {
		memcpy(&v, p, 8);
		return v;
	}
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}
static inline void dd_put32(unsigned char *p, uint32_t v)
{
	if (DD_HOST_LE) {
		memcpy(p, &v, 4);
		return;
	}
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint32_t dd_get32(const unsigned char *p)
{
	uint32_t v;
	if (DD_HOST_LE) {
		memcpy(&v, p, 4);
		return v;
	}
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
