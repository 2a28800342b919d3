/* Counting pieces for the trainer, in bounded memory.
 *
 * Workers cut their documents into pieces and count them locally
 * (tok_trainer_cut); the ordered turn adds each document's distinct pieces
 * to one table (tok_trainer_add). The table may grow until the learning
 * state it implies (train_projected_bytes) would pass the budget; then it is
 * pruned as a Misra-Gries summary: with c the median count, every count
 * loses c and the pieces left at zero or below go. Each prune frees at least
 * half the table and takes c off counts that are at least c for half the
 * pieces, so the sum of the c (the undercount, reported) is at most 2N/K
 * for N pieces counted and K held: every kept count is low by at most that,
 * and every piece more frequent than it is kept. Pruning depends on the
 * order of the adds, which is the input order whatever the threads. */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "tokenizer/tok_int.h"
#include "tokenizer/train_int.h"

/* Learning holds, per word, its train_word (32 bytes); per token of the
 * words, the token (4 bytes) and about two occurrence-list entries (8);
 * and the pair index, which grows with the merges: a quarter of the budget
 * is left for it (see docs/internals/tokenizer.md). Counting holds the
 * words (arrays grow by half), their bytes and the index (up to 4 slots a
 * word). */
size_t train_projected_bytes(size_t n, size_t nbytes)
{
	size_t learn = (n * 32 + nbytes * 12) / 3 * 4;
	size_t count = n * (48 + 16) + nbytes / 2 * 3;

	return learn > count ? learn : count;
}

static size_t piece_home(const void *ctx, size_t k)
{
	const piece_table *pt = ctx;
	return (size_t)pt->w[k].hash;
}

static int slots_build(piece_table *pt, train_mem *m, size_t nslot)
{
	return train_index_build(m, &pt->slot, &pt->nslot, nslot, pt->n, piece_home, pt);
}

int piece_table_init(piece_table *pt, train_mem *m, size_t budget)
{
	memset(pt, 0, sizeof(*pt));
	pt->budget = budget;
	return slots_build(pt, m, 1024);
}

void piece_table_release(piece_table *pt, train_mem *m)
{
	if (pt->slot)
		train_drop(m, pt->slot, pt->nslot, sizeof(uint32_t));
	if (pt->w)
		train_drop(m, pt->w, pt->cap, sizeof(train_word));
	if (pt->bytes)
		train_drop(m, pt->bytes, pt->capbytes, 1);
	memset(pt, 0, sizeof(*pt));
}

/* The smallest count c such that at least half the pieces count c or
 * less: a histogram of the small counts (nearly always enough: most
 * pieces are rare), else a binary search over the counts. */
static uint64_t median_count(const piece_table *pt)
{
	size_t hist[257] = { 0 }, half = (pt->n + 1) / 2, below = 0;
	uint64_t lo = 1, hi = 1;

	for (size_t k = 0; k < pt->n; k++) {
		uint64_t c = pt->w[k].count;
		hist[c < 256 ? c : 256]++;
		if (c > hi)
			hi = c;
	}
	for (uint64_t c = 0; c < 256; c++) {
		below += hist[c];
		if (below >= half)
			return c;
	}
	lo = 256;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		size_t n = 0;
		for (size_t k = 0; k < pt->n; k++)
			n += pt->w[k].count <= mid;
		if (n >= half)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Misra-Gries: take the median count off every piece, drop those left at
 * zero, pack what stays. */
static int table_prune(piece_table *pt, train_mem *m)
{
	uint64_t c = median_count(pt);
	size_t o = 0, ob = 0;

	for (size_t k = 0; k < pt->n; k++) {
		train_word w = pt->w[k];
		if (w.count <= c)
			continue;
		memmove(pt->bytes + ob, pt->bytes + w.off, w.len);
		w.off = ob;
		w.count -= c;
		pt->w[o++] = w;
		ob += w.len;
	}
	pt->n = o;
	pt->nbytes = ob;
	pt->undercount += c;
	pt->prunes++;
	return slots_build(pt, m, pt->nslot);
}

/* Count piece p[0..n) (hash h) c more times. */
static int table_add(piece_table *pt, train_mem *m, uint64_t h, const uint8_t *p, size_t n,
		     uint64_t c)
{
	size_t mask = pt->nslot - 1, i = (size_t)h & mask;
	train_word *w;

	for (; pt->slot[i]; i = (i + 1) & mask) {
		w = &pt->w[pt->slot[i] - 1];
		if (w->hash == h && w->len == n && memcmp(pt->bytes + w->off, p, n) == 0) {
			w->count += c;
			return CUR_OK;
		}
	}
	if (pt->n >= UINT32_MAX - 1)
		return CUR_ELIMIT;
	if (train_projected_bytes(pt->n + 1, pt->nbytes + n) > pt->budget && pt->n > 0) {
		CUR_FORWARD(table_prune(pt, m));
		/* The piece starts again from its own count. */
		return table_add(pt, m, h, p, n, c);
	}
	if (n > UINT32_MAX || train_projected_bytes(1, n) > pt->budget) {
		/* One piece larger than the whole budget (a 10 MB run of one
		 * character under a small limit): left out, and reported. */
		pt->skipped++;
		return CUR_OK;
	}
	CUR_FORWARD(train_grow(m, (void **)&pt->w, &pt->cap, pt->n + 1, sizeof(train_word)));
	CUR_FORWARD(train_grow(m, (void **)&pt->bytes, &pt->capbytes, pt->nbytes + n, 1));
	memcpy(pt->bytes + pt->nbytes, p, n);
	w = &pt->w[pt->n];
	w->hash = h;
	w->count = c;
	w->off = pt->nbytes;
	w->len = (uint32_t)n;
	w->stamp = 0;
	pt->nbytes += n;
	pt->n++;
	if (pt->n * 2 > pt->nslot)
		return slots_build(pt, m, pt->nslot * 2);
	pt->slot[i] = (uint32_t)pt->n;
	return CUR_OK;
}

/* ---- one document's pieces ---- */

typedef struct batch_entry {
	uint64_t hash, count;
	size_t off, len;
} batch_entry;

/* A line or a sentence has a few distinct pieces: they fit in the batch
 * itself, one allocation a document. */
#define BATCH_INLINE 16

struct tok_piece_batch {
	batch_entry *e;      /* distinct pieces in the order first seen */
	size_t n, cap;
	uint32_t *slot;      /* index into e plus one */
	size_t nslot;
	const uint8_t *text;
	uint64_t total;
	batch_entry inline_e[BATCH_INLINE];
	uint32_t inline_slot[2 * BATCH_INLINE];
};

void tok_piece_batch_free(tok_piece_batch *b)
{
	if (!b)
		return;
	if (b->e != b->inline_e)
		free(b->e);
	if (b->slot != b->inline_slot)
		train_drop(NULL, b->slot, b->nslot, sizeof(uint32_t));
	free(b);
}

static size_t batch_home(const void *ctx, size_t k)
{
	const tok_piece_batch *b = ctx;
	return (size_t)b->e[k].hash;
}

static int batch_rehash(tok_piece_batch *b, size_t nslot)
{
	if (b->slot == b->inline_slot)
		b->slot = NULL; /* nothing to free */
	return train_index_build(NULL, &b->slot, &b->nslot, nslot, b->n, batch_home, b);
}

static int batch_piece(void *ctx, const uint8_t *p, size_t n)
{
	tok_piece_batch *b = ctx;
	uint64_t h = tok_hash(p, n);
	size_t mask = b->nslot - 1, i = (size_t)h & mask;

	b->total++;
	for (; b->slot[i]; i = (i + 1) & mask) {
		batch_entry *e = &b->e[b->slot[i] - 1];
		if (e->hash == h && e->len == n && memcmp(b->text + e->off, p, n) == 0) {
			e->count++;
			return CUR_OK;
		}
	}
	if (b->n == b->cap) {
		size_t cap = 2 * b->cap;
		batch_entry *e = cap >= UINT32_MAX ? NULL : b->e == b->inline_e ?
			cur_malloc_array(cap, sizeof(*e)) : cur_realloc_array(b->e, cap, sizeof(*e));
		if (!e)
			return CUR_ENOMEM;
		if (b->e == b->inline_e)
			memcpy(e, b->inline_e, sizeof(b->inline_e));
		b->e = e;
		b->cap = cap;
	}
	b->e[b->n].hash = h;
	b->e[b->n].count = 1;
	b->e[b->n].off = (size_t)(p - b->text);
	b->e[b->n].len = n;
	b->n++;
	if (b->n * 2 > b->nslot)
		return batch_rehash(b, b->nslot * 2);
	b->slot[i] = (uint32_t)b->n;
	return CUR_OK;
}

int tok_trainer_cut(const tok_trainer *t, const char *text, size_t len,
		    tok_piece_batch **out, cur_err *err)
{
	tok_piece_batch *b = malloc(sizeof(*b));
	const uint8_t *s = (const uint8_t *)text;
	int rc;

	*out = NULL;
	if (!b)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	b->e = b->inline_e;
	b->n = 0;
	b->cap = BATCH_INLINE;
	b->slot = b->inline_slot;
	b->nslot = 2 * BATCH_INLINE;
	memset(b->inline_slot, 0, sizeof(b->inline_slot));
	b->text = s;
	b->total = 0;
	if (t->re) {
		rc = tok_pcre2_split(t->re, s, len, batch_piece, b);
	} else {
		size_t pos = 0, end;
		for (rc = CUR_OK; pos < len && rc == CUR_OK; pos = end) {
			end = tok_pretok_next(s, len, pos);
			rc = batch_piece(b, s + pos, end - pos);
		}
	}
	if (rc < 0) {
		tok_piece_batch_free(b);
		return cur_err_set(err, rc, rc == CUR_EDATA ? "the pattern failed on the text "
				   "(a PCRE2 match error)" : "out of memory");
	}
	*out = b;
	return CUR_OK;
}

int tok_trainer_add(tok_trainer *t, const char *text, const tok_piece_batch *b, cur_err *err)
{
	const uint8_t *s = (const uint8_t *)text;
	piece_table *pt = &t->pieces;

	for (size_t k = 0; k < b->n; k++) {
		const batch_entry *e = &b->e[k];
		int rc;
		/* The table is large and its slots are far apart: ask for the
		 * next ones early. */
		if (k + 4 < b->n)
			__builtin_prefetch(&pt->slot[(size_t)e[4].hash & (pt->nslot - 1)]);
		rc = table_add(pt, &t->mem, e->hash, s + e->off, e->len, e->count);
		if (rc == CUR_ELIMIT)
			return cur_err_set(err, rc, "more than 4 billion distinct pieces");
		if (rc < 0)
			return cur_err_set(err, rc, "out of memory");
	}
	t->pieces.total += b->total;
	return CUR_OK;
}

int tok_trainer_count(tok_trainer *t, const char *text, size_t len, cur_err *err)
{
	tok_piece_batch *b;
	int rc;

	CUR_FORWARD(tok_trainer_cut(t, text, len, &b, err));
	rc = tok_trainer_add(t, text, b, err);
	tok_piece_batch_free(b);
	return rc;
}
