/* Byte-level BPE on one pre-tokenized piece.
 *
 * The reference (tiktoken) merges, again and again, the adjacent pair whose
 * concatenation has the lowest rank, leftmost on ties. Short pieces do
 * exactly that on arrays on the stack (quadratic, but n is small and there
 * is no allocation). Long pieces are first cut where no token can span the
 * boundary (pair_in_token), then each long segment runs the same merges
 * with a linked list and an indexed binary heap keyed by (rank, position):
 * the heap pops the same pair the linear scan would pick, in O(log n). */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include "tokenizer/tok_int.h"

#define SMALL 64

static inline uint32_t rank_of(const tok_tokenizer *t, const uint8_t *p, size_t n)
{
	if (n > t->max_len)
		return TOK_NONE;
	return tok_table_find(t, &t->ranks, p, n);
}

/* Pure BPE (no whole-piece lookup) on s[0..n), 2 <= n <= SMALL. */
static int bpe_small(const tok_tokenizer *t, const uint8_t *s, size_t n, tok_ids *out)
{
	uint32_t start[SMALL + 1], prank[SMALL], trank[SMALL];
	size_t m = n, i, best;

	for (i = 0; i < n; i++) {
		start[i] = (uint32_t)i;
		trank[i] = t->byte_rank[s[i]];
	}
	start[n] = (uint32_t)n;
	for (i = 0; i + 1 < n; i++)
		prank[i] = rank_of(t, s + i, 2);
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
		memmove(start + best + 1, start + best + 2, (m - best - 1) * sizeof(*start));
		memmove(trank + best + 1, trank + best + 2, (m - best - 2) * sizeof(*trank));
		memmove(prank + best + 1, prank + best + 2, (m - best - 2) * sizeof(*prank));
		m--;
		prank[best] = best + 1 < m ?
			rank_of(t, s + start[best], start[best + 2] - start[best]) : TOK_NONE;
		if (best > 0)
			prank[best - 1] = rank_of(t, s + start[best - 1],
						  start[best + 1] - start[best - 1]);
	}
	CUR_FORWARD(tok_ids_reserve(out, m));
	for (i = 0; i < m; i++)
		out->ids[out->len++] = trank[i];
	return CUR_OK;
}

/* The heap state for one long segment: arrays indexed by the start byte of a
 * token; only starts of live tokens are meaningful. */
typedef struct bpe_heap {
	uint32_t *next;  /* start of the following token (n at the end) */
	uint32_t *prev;  /* start of the previous token (TOK_NONE first) */
	uint32_t *trank; /* rank of the token */
	uint32_t *prank; /* rank of token + next token, TOK_NONE if none */
	uint32_t *heap;  /* token starts, a min-heap on (prank, start) */
	uint32_t *hpos;  /* position in heap, TOK_NONE when absent */
	size_t size;
} bpe_heap;

static inline int heap_less(const bpe_heap *h, uint32_t a, uint32_t b)
{
	return h->prank[a] < h->prank[b] || (h->prank[a] == h->prank[b] && a < b);
}

static inline void heap_set(bpe_heap *h, size_t i, uint32_t node)
{
	h->heap[i] = node;
	h->hpos[node] = (uint32_t)i;
}

static void sift_up(bpe_heap *h, size_t i)
{
	uint32_t node = h->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!heap_less(h, node, h->heap[parent]))
			break;
		heap_set(h, i, h->heap[parent]);
		i = parent;
	}
	heap_set(h, i, node);
}

static void sift_down(bpe_heap *h, size_t i)
{
	uint32_t node = h->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->size)
			break;
		if (c + 1 < h->size && heap_less(h, h->heap[c + 1], h->heap[c]))
			c++;
		if (!heap_less(h, h->heap[c], node))
			break;
		heap_set(h, i, h->heap[c]);
		i = c;
	}
	heap_set(h, i, node);
}

static void heap_remove(bpe_heap *h, uint32_t node)
{
	size_t i = h->hpos[node];

	if (i == TOK_NONE)
		return;
	h->hpos[node] = TOK_NONE;
	h->size--;
	if (i == h->size)
		return;
	uint32_t moved = h->heap[h->size];
	heap_set(h, i, moved);
	sift_down(h, i);
	if (h->hpos[moved] == i)
		sift_up(h, i);
}

/* After prank[node] changed: put node where it belongs. */
static void heap_update(bpe_heap *h, uint32_t node)
{
	if (h->prank[node] == TOK_NONE) {
		heap_remove(h, node);
		return;
	}
	if (h->hpos[node] == TOK_NONE) {
		heap_set(h, h->size++, node);
		sift_up(h, h->size - 1);
		return;
	}
	sift_up(h, h->hpos[node]);
	sift_down(h, h->hpos[node]);
}

static int bpe_large(const tok_tokenizer *t, const uint8_t *s, size_t n, tok_ids *out)
{
	bpe_heap h;
	uint32_t *mem, i, j, k, p;
	size_t count = 0;

	if (n >= TOK_NONE)
		return CUR_ELIMIT;
	mem = cur_malloc_array(n, 6 * sizeof(uint32_t));
	if (!mem)
		return CUR_ENOMEM;
	h.next = mem;
	h.prev = mem + n;
	h.trank = mem + 2 * n;
	h.prank = mem + 3 * n;
	h.heap = mem + 4 * n;
	h.hpos = mem + 5 * n;
	h.size = 0;
	for (i = 0; i < n; i++) {
		h.next[i] = i + 1;
		h.prev[i] = i ? i - 1 : TOK_NONE;
		h.trank[i] = t->byte_rank[s[i]];
		h.prank[i] = i + 1 < n ? rank_of(t, s + i, 2) : TOK_NONE;
		h.hpos[i] = TOK_NONE;
		if (h.prank[i] != TOK_NONE)
			heap_set(&h, h.size++, i);
	}
	for (size_t q = h.size / 2; q-- > 0;)
		sift_down(&h, q);
	while (h.size > 0) {
		i = h.heap[0];
		j = h.next[i];
		k = h.next[j];
		h.trank[i] = h.prank[i];
		heap_remove(&h, j);
		h.next[i] = k;
		if (k < n)
			h.prev[k] = i;
		h.prank[i] = k < n ? rank_of(t, s + i, h.next[k] - i) : TOK_NONE;
		heap_update(&h, i);
		p = h.prev[i];
		if (p != TOK_NONE) {
			h.prank[p] = rank_of(t, s + p, k - p);
			heap_update(&h, p);
		}
	}
	for (i = 0; i < n; i = h.next[i])
		count++;
	int ret = tok_ids_reserve(out, count);
	if (ret == CUR_OK)
		for (i = 0; i < n; i = h.next[i])
			out->ids[out->len++] = h.trank[i];
	free(mem);
	return ret;
}

/* Pure BPE on one segment that no token spans the edges of. */
static int bpe_segment(const tok_tokenizer *t, const uint8_t *s, size_t n, tok_ids *out)
{
	if (n == 1)
		return tok_ids_push(out, t->byte_rank[s[0]]);
	if (n <= SMALL)
		return bpe_small(t, s, n, out);
	return bpe_large(t, s, n, out);
}

int tok_bpe_piece(const tok_tokenizer *t, const uint8_t *s, size_t n, tok_ids *out)
{
	size_t start = 0;

	if (n == 1)
		return tok_ids_push(out, t->byte_rank[s[0]]);
	/* Whole-piece lookup first: some tokens cannot be built by merging. */
	if (n <= t->max_len) {
		uint32_t id = tok_table_find(t, &t->ranks, s, n);
		if (id != TOK_NONE)
			return tok_ids_push(out, id);
	}
	if (n <= SMALL)
		return bpe_small(t, s, n, out);
	/* A boundary that no token spans is final: BPE each side alone. */
	for (size_t i = 1; i < n; i++) {
		if (t->pair_in_token[(size_t)s[i - 1] << 8 | s[i]])
			continue;
		CUR_FORWARD(bpe_segment(t, s + start, i - start, out));
		start = i;
	}
	return bpe_segment(t, s + start, n - start, out);
}
