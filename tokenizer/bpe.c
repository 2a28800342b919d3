/* Byte-level BPE on one pre-tokenized piece.
 *
 * The reference (tiktoken) merges, again and again, the adjacent pair whose
 * concatenation has the lowest rank, leftmost on ties. Short pieces do
 * exactly that on arrays on the stack (quadratic, but n is small and there
 * is no allocation). Long pieces are first cut where no token can span the
 * boundary (pair_in_token), then each long segment runs the same merges
 * with a linked list and a binary heap of (rank, position) keys: the heap
 * pops the same pair the linear scan would pick, in O(log n). Segments of
 * up to LARGE_ON_STACK bytes keep their arrays on the stack. */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include "tokenizer/tok_int.h"

#ifndef SMALL
#define SMALL 24
#endif
#define LARGE_ON_STACK 512

static inline uint32_t rank_of(const tok_tokenizer *t, const uint8_t *p, size_t n)
{
	if (n == 2)
		return t->pair_rank[(size_t)p[0] << 8 | p[1]];
	if (n > t->max_len)
		return TOK_NONE;
	return tok_table_find(t, &t->ranks, p, n);
}

void tok_piece_cache_clear(tok_piece_cache *c)
{
	memset(c->e, 0, sizeof(c->e));
	memset(c->pair, 0xFF, sizeof(c->pair));
}

/* The rank of s[0..n), the bytes of tokens a and b side by side. */
static inline uint32_t merged_rank(const tok_tokenizer *t, tok_piece_cache *c, uint32_t a,
				   uint32_t b, const uint8_t *s, size_t n)
{
	size_t i;
	uint32_t r;

	if (!c)
		return rank_of(t, s, n);
	i = (size_t)((a * 0x9E3779B1u) ^ (b * 0x85EBCA77u)) >> 22;
	if (c->pair[i].a == a && c->pair[i].b == b)
		return c->pair[i].rank;
	r = rank_of(t, s, n);
	c->pair[i].a = a;
	c->pair[i].b = b;
	c->pair[i].rank = r;
	return r;
}

/* Pure BPE (no whole-piece lookup) on s[0..n), 2 <= n <= SMALL. */
static int bpe_small(const tok_tokenizer *t, const uint8_t *s, size_t n, tok_ids *out,
		     tok_piece_cache *c)
{
	uint32_t start[SMALL + 1], prank[SMALL], trank[SMALL];
	size_t m = n, i, best;

	for (i = 0; i < n; i++) {
		start[i] = (uint32_t)i;
		trank[i] = t->byte_rank[s[i]];
	}
	start[n] = (uint32_t)n;
	for (i = 0; i + 1 < n; i++)
		prank[i] = t->pair_rank[(size_t)s[i] << 8 | s[i + 1]];
	prank[n - 1] = TOK_NONE;
	while (m > 1) {
		uint32_t min = TOK_NONE;
		best = 0;
		for (i = 0; i + 1 < m; i++) {
			if (prank[i] < min) {
				min = prank[i];
				best = i;
			}
		}
		if (min == TOK_NONE)
			break;
		trank[best] = min;
		/* Drop token best+1: shift the tails left by one. */
		for (i = best + 1; i + 1 < m; i++) {
			start[i] = start[i + 1];
			trank[i] = trank[i + 1];
			prank[i] = prank[i + 1];
		}
		start[m - 1] = start[m];
		m--;
		prank[best] = best + 1 < m ?
			merged_rank(t, c, trank[best], trank[best + 1], s + start[best],
				    start[best + 2] - start[best]) : TOK_NONE;
		if (best > 0)
			prank[best - 1] = merged_rank(t, c, trank[best - 1], trank[best],
						      s + start[best - 1],
						      start[best + 1] - start[best - 1]);
	}
	CUR_FORWARD(tok_ids_reserve(out, m));
	for (i = 0; i < m; i++)
		out->ids[out->len++] = trank[i];
	return CUR_OK;
}

/* The state for one long segment: arrays indexed by the start byte of a
 * token; only starts of live tokens are meaningful. The heap holds keys
 * rank << 32 | start, so that sifting reads the heap alone; entries that a
 * merge made stale are skipped when they come up (lazy deletion). */
typedef struct bpe_heap {
	uint32_t *next;  /* start of the following token (n at the end) */
	uint32_t *prev;  /* start of the previous token (TOK_NONE first) */
	uint32_t *trank; /* rank of the token, TOK_NONE once merged away */
	uint32_t *prank; /* rank of token + next token, TOK_NONE if none */
	uint64_t *heap;
	size_t size, cap;
} bpe_heap;

static void sift_down(uint64_t *heap, size_t size, size_t i)
{
	uint64_t key = heap[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= size)
			break;
		if (c + 1 < size && heap[c + 1] < heap[c])
			c++;
		if (heap[c] >= key)
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = key;
}

static int heap_push(bpe_heap *h, uint32_t rank, uint32_t pos)
{
	uint64_t key = (uint64_t)rank << 32 | pos;
	size_t i;

	if (h->size == h->cap)
		return CUR_ELIMIT; /* cannot happen: see bpe_large */
	i = h->size++;
	while (i > 0 && h->heap[(i - 1) / 2] > key) {
		h->heap[i] = h->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->heap[i] = key;
	return CUR_OK;
}

static uint64_t heap_pop(bpe_heap *h)
{
	uint64_t top = h->heap[0];

	h->heap[0] = h->heap[--h->size];
	if (h->size)
		sift_down(h->heap, h->size, 0);
	return top;
}

static int bpe_large(const tok_tokenizer *t, const uint8_t *s, size_t n, tok_ids *out,
		     tok_piece_cache *c)
{
	bpe_heap h;
	uint32_t *mem, i, j, k, p, r;
	size_t count = 0;
	int ret = CUR_OK;

	/* Segments of a few hundred bytes (CJK sentences) use the stack. */
	uint32_t stack_mem[4 * LARGE_ON_STACK];
	uint64_t stack_heap[3 * LARGE_ON_STACK];
	int on_stack = n <= LARGE_ON_STACK;

	if (n >= TOK_NONE / 4)
		return CUR_ELIMIT;
	/* Each merge pushes at most two entries: 3n bounds the heap. */
	h.cap = 3 * n;
	mem = on_stack ? stack_mem : cur_malloc_array(n, 4 * sizeof(uint32_t));
	h.heap = on_stack ? stack_heap : cur_malloc_array(h.cap, sizeof(uint64_t));
	if (!mem || !h.heap) {
		if (!on_stack) {
			free(mem);
			free(h.heap);
		}
		return CUR_ENOMEM;
	}
	h.next = mem;
	h.prev = mem + n;
	h.trank = mem + 2 * n;
	h.prank = mem + 3 * n;
	h.size = 0;
	for (i = 0; i < n; i++) {
		h.next[i] = i + 1;
		h.prev[i] = i ? i - 1 : TOK_NONE;
		h.trank[i] = t->byte_rank[s[i]];
		h.prank[i] = i + 1 < n ? t->pair_rank[(size_t)s[i] << 8 | s[i + 1]] : TOK_NONE;
		if (h.prank[i] != TOK_NONE)
			h.heap[h.size++] = (uint64_t)h.prank[i] << 32 | i;
	}
	for (size_t q = h.size / 2; q-- > 0;)
		sift_down(h.heap, h.size, q);
	while (h.size > 0 && ret == CUR_OK) {
		uint64_t key = h.heap[0];
		i = (uint32_t)key;
		r = (uint32_t)(key >> 32);
		/* Stale: the token is gone or its pair changed since the push. */
		if (h.trank[i] == TOK_NONE || h.prank[i] != r) {
			heap_pop(&h);
			continue;
		}
		j = h.next[i];
		k = h.next[j];
		h.trank[i] = r;
		h.trank[j] = TOK_NONE;
		h.prank[j] = TOK_NONE;
		h.next[i] = k;
		if (k < n)
			h.prev[k] = i;
		h.prank[i] = k < n ? merged_rank(t, c, r, h.trank[k], s + i, h.next[k] - i) :
			     TOK_NONE;
		/* The top was this pair: replace it in place (one sift, not two). */
		if (h.prank[i] != TOK_NONE) {
			h.heap[0] = (uint64_t)h.prank[i] << 32 | i;
			sift_down(h.heap, h.size, 0);
		} else {
			heap_pop(&h);
		}
		p = h.prev[i];
		if (p != TOK_NONE && ret == CUR_OK) {
			h.prank[p] = merged_rank(t, c, h.trank[p], r, s + p, k - p);
			if (h.prank[p] != TOK_NONE)
				ret = heap_push(&h, h.prank[p], p);
		}
	}
	for (i = 0; i < n; i = h.next[i])
		count++;
	if (ret == CUR_OK)
		ret = tok_ids_reserve(out, count);
	if (ret == CUR_OK)
		for (i = 0; i < n; i = h.next[i])
			out->ids[out->len++] = h.trank[i];
	if (!on_stack) {
		free(mem);
		free(h.heap);
	}
	return ret;
}

/* Is c (0 < c < n) a final boundary for BPE of s[0..n)? A merge across c
 * would join the token that ends at c and the token that starts at c at
 * that moment, x and y, into a token xy. Every token of every moment is in
 * the vocabulary, so if no token ending at c followed by a token starting
 * at c makes a token, no merge ever crosses c and both sides can be merged
 * alone (exact, like the pair_in_token cut, but it needs lookups). */
static int safe_cut(const tok_tokenizer *t, const uint8_t *s, size_t n, size_t c,
		    size_t *budget)
{
	uint8_t ylen[256];
	size_t ny = 0, i, j, k, maxl = t->max_len;

	/* Runs and ordinary text fail here at once: a token of two bytes. */
	if (t->pair_rank[(size_t)s[c - 1] << 8 | s[c]] != TOK_NONE || maxl > sizeof(ylen) ||
	    *budget == 0)
		return 0;
	(*budget)--;
	for (j = 1; j < maxl && c + j <= n; j++)
		if (j == 1 || rank_of(t, s + c, j) != TOK_NONE)
			ylen[ny++] = (uint8_t)j;
	for (i = 1; i < maxl && i <= c; i++) {
		if (i > 1 && rank_of(t, s + c - i, i) == TOK_NONE)
			continue;
		for (k = 0; k < ny && i + ylen[k] <= maxl; k++)
			if (rank_of(t, s + c - i, i + ylen[k]) != TOK_NONE)
				return 0;
	}
	return 1;
}

/* Pure BPE on one segment that no token spans the edges of. */
static int bpe_segment(const tok_tokenizer *t, const uint8_t *s, size_t n, tok_ids *out,
		       tok_piece_cache *c)
{
	size_t start = 0, w = t->cut_window;

	if (n == 1)
		return tok_ids_push(out, t->byte_rank[s[0]]);
	if (n <= SMALL)
		return bpe_small(t, s, n, out, c);
	/* A long segment (a 100 MB word) is merged a window at a time,
	 * between safe cuts, so its working memory stays bounded. A run of
	 * one character has no safe cut: it is merged whole. */
	while (n - start > w) {
		/* Full checks allowed in one window: a text that passes the
		 * two-byte test everywhere but never the whole one (a repeated
		 * pair of CJK characters that is a token) gives up quickly. */
		size_t pos, cut = 0, budget = 4096;
		for (pos = start + w / 2; pos < n && !cut && budget; pos++)
			if (safe_cut(t, s + start, n - start, pos - start, &budget))
				cut = pos;
		if (!cut)
			break;
		CUR_FORWARD(cut - start <= SMALL ? bpe_small(t, s + start, cut - start, out, c) :
			    bpe_large(t, s + start, cut - start, out, c));
		start = cut;
	}
	if (n - start == 1)
		return tok_ids_push(out, t->byte_rank[s[start]]);
	if (n - start <= SMALL)
		return bpe_small(t, s + start, n - start, out, c);
	return bpe_large(t, s + start, n - start, out, c);
}

/* BPE of a piece that is not a token itself. */
static int bpe_piece(const tok_tokenizer *t, const uint8_t *s, size_t n, tok_ids *out,
		     tok_piece_cache *c)
{
	size_t start = 0;

	if (n <= SMALL)
		return bpe_small(t, s, n, out, c);
	/* A boundary that no token spans is final: BPE each side alone. */
	for (size_t i = 1; i < n; i++) {
		if (t->pair_in_token[(size_t)s[i - 1] << 8 | s[i]])
			continue;
		CUR_FORWARD(bpe_segment(t, s + start, i - start, out, c));
		start = i;
	}
	return bpe_segment(t, s + start, n - start, out, c);
}

int tok_bpe_piece(const tok_tokenizer *t, const uint8_t *s, size_t n, tok_ids *out,
		  tok_piece_cache *cache)
{
	uint64_t h;
	size_t first = out->len, slot;

	if (n == 1)
		return tok_ids_push(out, t->byte_rank[s[0]]);
	if ((n > t->max_len || !t->whole_lookup) && !cache)
		return bpe_piece(t, s, n, out, cache);
	h = tok_hash(s, n);
	/* Whole-piece lookup first: some tokens cannot be built by merging. */
	if (n <= t->max_len && t->whole_lookup) {
		uint32_t id = tok_table_find_h(t, &t->ranks, s, n, h);
		if (id != TOK_NONE)
			return tok_ids_push(out, id);
	}
	if (!cache)
		return bpe_piece(t, s, n, out, cache);
	slot = (size_t)(h >> 56) % TOK_CACHE_SIZE;
	if (cache->e[slot].p && cache->e[slot].h == h && cache->e[slot].n == n &&
	    memcmp(cache->e[slot].p, s, n) == 0) {
		size_t pos = cache->e[slot].pos, count = cache->e[slot].count;
		CUR_FORWARD(tok_ids_reserve(out, count));
		memcpy(out->ids + out->len, out->ids + pos, count * sizeof(uint32_t));
		out->len += count;
		return CUR_OK;
	}
	CUR_FORWARD(bpe_piece(t, s, n, out, cache));
	cache->e[slot].p = s;
	cache->e[slot].h = h;
	cache->e[slot].n = (uint32_t)n;
	cache->e[slot].pos = first;
	cache->e[slot].count = (uint32_t)(out->len - first);
	return CUR_OK;
}
