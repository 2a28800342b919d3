/* Learning merges: the incremental pair index of the BPE trainer.
 *
 * Every distinct piece is a word: its count and its tokens (bytes, or the
 * base vocabulary's encoding when extending). The index holds, for every
 * pair of adjacent tokens, its count (the sum of the counts of the words
 * that hold it, once per occurrence) and the list of words where it
 * appeared; a max-heap orders the pairs by count, then by the left token's
 * rank, then the right one's. Each step takes the top pair (a, b), makes
 * the token ab, and rewrites only the words on the pair's list: every
 * occurrence, left to right, takes (x a), (a b), (b y) off the counts and
 * adds (x ab), (ab y), appending the word to the lists of the new pairs.
 * Nothing is recounted. Heap entries are not updated in place: a popped
 * entry whose count is no longer the pair's is pushed again with the right
 * one (when lower) or dropped (a raise pushes its own entry), so the pair
 * that comes out is always the true maximum (the scheme of Hugging Face
 * tokenizers' trainer and of Sennrich et al.'s reference code, written
 * anew). */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/buf.h"
#include "tokenizer/tok_int.h"
#include "tokenizer/train_int.h"

typedef struct pair_rec {
	uint64_t key;       /* left rank << 32 | right rank */
	int64_t count;
	uint32_t *occ;      /* words the pair appeared in (may repeat, may be stale) */
	uint32_t nocc, capocc;
	uint32_t raised;    /* the merge that last raised the count */
	uint32_t banned;    /* merging would pass TOK_MAX_TOKEN_BYTES */
} pair_rec;

typedef struct heap_entry {
	uint64_t count, key;
} heap_entry;

/* The words, in one array of 32-bit cells: at a word's index its count
 * (two cells), its length and its stamp (the last merge that looked at
 * it), then its tokens. One place to load per word: the merge loop visits
 * words in no particular order, and each visit was two cache misses when
 * the tokens lived apart. */
enum { W_COUNT = 0, W_LEN = 2, W_STAMP = 3, W_TOKENS = 4 };

typedef struct learn_state {
	tok_trainer *t;
	train_mem *m;
	uint32_t *ws;
	size_t nws, capws;
	pair_rec *p;
	size_t np, capp;
	uint32_t *slot;      /* pair index plus one, 0 empty */
	size_t nslot;
	/* Pairs of two byte tokens (ranks below 256), by a << 8 | b, plus
	 * one: the most looked up, straight from an array. */
	uint32_t byte_pair[65536];
	heap_entry *heap;
	size_t nheap, capheap;
	uint32_t *raised;    /* pairs whose count rose in this merge */
	size_t nraised, capraised;
	uint32_t merge;      /* number of the merge under way (word stamps) */
	uint32_t merging;    /* its pair, whose list the merge walks */
	/* The pairs a merge of (a, b) into m changes around an occurrence,
	 * by the neighbour's token: (x a) and (x m) for x on the left, (b y)
	 * and (m y) on the right. Neighbours repeat: this spares most lookups. */
	struct neighbour {
		uint32_t tok, old_pair, new_pair;
	} left[256], right[256];
} learn_state;

static inline uint64_t word_count(const uint32_t *w)
{
	uint64_t c;
	memcpy(&c, w + W_COUNT, sizeof(c));
	return c;
}

static inline uint64_t pair_key(uint32_t a, uint32_t b)
{
	return (uint64_t)a << 32 | b;
}

static inline size_t pair_hash(uint64_t key)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20);
}

static size_t pair_home(const void *ctx, size_t k)
{
	const learn_state *st = ctx;
	return pair_hash(st->p[k].key);
}

static int pairs_rehash(learn_state *st, size_t nslot)
{
	return train_index_build(st->m, &st->slot, &st->nslot, nslot, st->np, pair_home, st);
}

/* The index of pair key, added with count 0 when new. */
static int pair_get(learn_state *st, uint64_t key, uint32_t *out)
{
	size_t i = pair_hash(key) & (st->nslot - 1);
	uint32_t *byte = NULL;

	if ((key >> 32) < 256 && (uint32_t)key < 256) {
		byte = &st->byte_pair[(key >> 32) << 8 | (key & 0xFF)];
		if (*byte) {
			*out = *byte - 1;
			return CUR_OK;
		}
	}
	for (; st->slot[i]; i = (i + 1) & (st->nslot - 1)) {
		if (st->p[st->slot[i] - 1].key == key) {
			*out = st->slot[i] - 1;
			return CUR_OK;
		}
	}
	if (byte)
		*byte = (uint32_t)st->np + 1;
	if (st->np >= UINT32_MAX - 1)
		return CUR_ELIMIT;
	CUR_FORWARD(train_grow(st->m, (void **)&st->p, &st->capp, st->np + 1, sizeof(pair_rec)));
	memset(&st->p[st->np], 0, sizeof(pair_rec));
	st->p[st->np].key = key;
	*out = (uint32_t)st->np++;
	if (st->np * 2 > st->nslot)
		return pairs_rehash(st, st->nslot * 2);
	st->slot[i] = (uint32_t)st->np;
	return CUR_OK;
}

static uint32_t pair_find(const learn_state *st, uint64_t key)
{
	size_t i = pair_hash(key) & (st->nslot - 1);

	for (; st->slot[i]; i = (i + 1) & (st->nslot - 1))
		if (st->p[st->slot[i] - 1].key == key)
			return st->slot[i] - 1;
	return TOK_NONE;
}

static void pair_free_occ(learn_state *st, pair_rec *p)
{
	if (p->occ)
		train_drop(st->m, p->occ, p->capocc, sizeof(uint32_t));
	p->occ = NULL;
	p->nocc = p->capocc = 0;
}

/* Add delta to the count of pair k, which word w holds (delta > 0) or
 * held. */
static int pair_add(learn_state *st, uint32_t k, int64_t delta, uint32_t w)
{
	pair_rec *p = &st->p[k];

	p->count += delta;
	if (delta < 0) {
		/* A pair no word holds any more needs no list (but the merge
		 * under way still walks its own). */
		if (p->count == 0 && k != st->merging)
			pair_free_occ(st, p);
		return CUR_OK;
	}
	if (p->nocc == 0 || p->occ[p->nocc - 1] != w) {
		size_t cap = p->capocc;
		CUR_FORWARD(train_grow(st->m, (void **)&p->occ, &cap, (size_t)p->nocc + 1,
				       sizeof(uint32_t)));
		if (cap > UINT32_MAX)
			return CUR_ELIMIT;
		p->capocc = (uint32_t)cap;
		p->occ[p->nocc++] = w;
	}
	if (st->merge && p->raised != st->merge) {
		p->raised = st->merge;
		CUR_FORWARD(train_grow(st->m, (void **)&st->raised, &st->capraised, st->nraised + 1,
				       sizeof(uint32_t)));
		st->raised[st->nraised++] = k;
	}
	return CUR_OK;
}

/* ---- the heap: most frequent first, then the lowest (left, right) ---- */

static inline int heap_before(const heap_entry *x, const heap_entry *y)
{
	return x->count > y->count || (x->count == y->count && x->key < y->key);
}

static void heap_down(heap_entry *h, size_t n, size_t i)
{
	heap_entry e = h[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && heap_before(&h[c + 1], &h[c]))
			c++;
		if (!heap_before(&h[c], &e))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = e;
}

static int heap_push(learn_state *st, uint64_t count, uint64_t key)
{
	heap_entry e = { count, key };
	size_t i;

	CUR_FORWARD(train_grow(st->m, (void **)&st->heap, &st->capheap, st->nheap + 1,
			       sizeof(heap_entry)));
	i = st->nheap++;
	while (i > 0 && heap_before(&e, &st->heap[(i - 1) / 2])) {
		st->heap[i] = st->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	st->heap[i] = e;
	return CUR_OK;
}

static void heap_pop(learn_state *st)
{
	st->heap[0] = st->heap[--st->nheap];
	if (st->nheap)
		heap_down(st->heap, st->nheap, 0);
}

/* ---- setting up ---- */

/* The words and their first tokens: bytes by their rank, or the base's
 * encoding; a piece of one token has no pair and is left out. The pieces
 * go. */
static int words_init(learn_state *st, cur_err *err)
{
	tok_trainer *t = st->t;
	piece_table *pt = &t->pieces;
	uint32_t rank_of[256];
	uint8_t byte_at[256];
	tok_ids ids;
	int rc = CUR_OK;

	train_byte_ranks(rank_of, byte_at);
	tok_ids_init(&ids);
	for (size_t k = 0; k < pt->n && rc == CUR_OK; k++) {
		const train_word *pw = &pt->w[k];
		const uint8_t *s = pt->bytes + pw->off;
		size_t n = pw->len;
		uint32_t *w;
		if (t->base) {
			ids.len = 0;
			rc = tok_bpe_piece(t->base, s, n, &ids, NULL);
			n = ids.len;
		}
		if (rc < 0 || n < 2)
			continue;
		if (st->nws + W_TOKENS + n > UINT32_MAX) {
			rc = CUR_ELIMIT;
			break;
		}
		rc = train_grow(st->m, (void **)&st->ws, &st->capws, st->nws + W_TOKENS + n,
				sizeof(uint32_t));
		if (rc < 0)
			break;
		w = st->ws + st->nws;
		memcpy(w + W_COUNT, &pw->count, sizeof(pw->count));
		w[W_LEN] = (uint32_t)n;
		w[W_STAMP] = 0;
		for (size_t i = 0; i < n; i++)
			w[W_TOKENS + i] = t->base ? ids.ids[i] : rank_of[s[i]];
		st->nws += W_TOKENS + n;
		t->words++;
		t->symbols += n;
	}
	tok_ids_release(&ids);
	t->counted = *pt;
	t->counted.w = NULL;
	t->counted.slot = NULL;
	t->counted.bytes = NULL;
	piece_table_release(pt, st->m);
	if (rc < 0)
		return cur_err_set(err, rc, rc == CUR_ELIMIT ? "more than 16 GiB of words" :
				   "out of memory");
	return CUR_OK;
}

static int pairs_init(learn_state *st)
{
	CUR_FORWARD(pairs_rehash(st, 1 << 16));
	for (size_t o = 0; o < st->nws; o += W_TOKENS + st->ws[o + W_LEN]) {
		const uint32_t *w = st->ws + o, *s = w + W_TOKENS;
		for (size_t i = 0; i + 1 < w[W_LEN]; i++) {
			uint32_t k;
			CUR_FORWARD(pair_get(st, pair_key(s[i], s[i + 1]), &k));
			CUR_FORWARD(pair_add(st, k, (int64_t)word_count(w), (uint32_t)o));
		}
	}
	CUR_FORWARD(train_grow(st->m, (void **)&st->heap, &st->capheap, st->np + 1,
			       sizeof(heap_entry)));
	for (size_t k = 0; k < st->np; k++)
		if (st->p[k].count > 0)
			st->heap[st->nheap++] = (heap_entry){ (uint64_t)st->p[k].count, st->p[k].key };
	for (size_t i = st->nheap / 2; i-- > 0;)
		heap_down(st->heap, st->nheap, i);
	return CUR_OK;
}

/* ---- one merge ---- */

/* The pairs (x a) and (x m) for a left neighbour x, or (b y) and (m y) for
 * a right one, through the merge's small cache. */
static int neighbour_pairs(learn_state *st, struct neighbour *cache, int left, uint32_t x,
			   uint32_t ab, uint32_t m, struct neighbour **out)
{
	struct neighbour *e = &cache[(x * 0x9E3779B1u) >> 24];

	if (e->tok != x) {
		e->tok = x;
		CUR_FORWARD(pair_get(st, left ? pair_key(x, ab) : pair_key(ab, x), &e->old_pair));
		CUR_FORWARD(pair_get(st, left ? pair_key(x, m) : pair_key(m, x), &e->new_pair));
	}
	*out = e;
	return CUR_OK;
}

/* Replace every (a, b) in the word at o, left to right, by m. The count of
 * (a, b) itself is settled once the merge is done. */
static int word_merge(learn_state *st, uint32_t o, uint32_t a, uint32_t b, uint32_t m)
{
	uint32_t *w = st->ws + o, *s = w + W_TOKENS;
	int64_t c = (int64_t)word_count(w);
	size_t out = 0, r = 0, n = w[W_LEN];
	struct neighbour *e;

	while (r < n) {
		if (r + 1 < n && s[r] == a && s[r + 1] == b) {
			if (out > 0) {
				CUR_FORWARD(neighbour_pairs(st, st->left, 1, s[out - 1], a, m, &e));
				CUR_FORWARD(pair_add(st, e->old_pair, -c, o));
				CUR_FORWARD(pair_add(st, e->new_pair, c, o));
			}
			if (r + 2 < n) {
				CUR_FORWARD(neighbour_pairs(st, st->right, 0, s[r + 2], b, m, &e));
				CUR_FORWARD(pair_add(st, e->old_pair, -c, o));
				CUR_FORWARD(pair_add(st, e->new_pair, c, o));
			}
			s[out++] = m;
			r += 2;
		} else {
			s[out++] = s[r++];
		}
	}
	w[W_LEN] = (uint32_t)out;
	return CUR_OK;
}

/* The top pair that may still merge, or TOK_NONE when none is left. */
static int next_pair(learn_state *st, uint32_t *out)
{
	while (st->nheap) {
		heap_entry top = st->heap[0];
		uint32_t k = pair_find(st, top.key);
		pair_rec *p = &st->p[k];
		heap_pop(st);
		if (p->banned || p->count <= 0)
			continue;
		if ((uint64_t)p->count != top.count) {
			/* Lowered since the push: back in with the true count.
			 * Raised: the raise pushed an entry of its own. */
			if ((uint64_t)p->count < top.count)
				CUR_FORWARD(heap_push(st, (uint64_t)p->count, top.key));
			continue;
		}
		*out = k;
		return CUR_OK;
	}
	*out = TOK_NONE;
	return CUR_OK;
}

/* Merge pair k everywhere as token m. The words on its list are visited in
 * list order, with the next ones' cells asked for ahead of time. */
static int apply_merge(learn_state *st, uint32_t k, uint32_t m)
{
	uint32_t a = (uint32_t)(st->p[k].key >> 32), b = (uint32_t)st->p[k].key;
	const uint32_t *occ = st->p[k].occ;
	uint32_t nocc = st->p[k].nocc;

	st->merge++;
	st->merging = k;
	st->nraised = 0;
	memset(st->left, 0xFF, sizeof(st->left));
	memset(st->right, 0xFF, sizeof(st->right));
	/* The pair's own list neither grows nor goes while it merges: new
	 * pairs hold m, and its count is settled below. */
	for (uint32_t i = 0; i < nocc; i++) {
		uint32_t *w = st->ws + occ[i];
		if (i + 16 < nocc) {
			__builtin_prefetch(st->ws + occ[i + 16]);
			__builtin_prefetch(st->ws + occ[i + 16] + 16);
		}
		if (w[W_STAMP] == st->merge)
			continue;
		w[W_STAMP] = st->merge;
		CUR_FORWARD(word_merge(st, occ[i], a, b, m));
	}
	st->merging = TOK_NONE;
	st->p[k].count = 0;
	pair_free_occ(st, &st->p[k]);
	for (size_t i = 0; i < st->nraised; i++) {
		pair_rec *p = &st->p[st->raised[i]];
		if (p->count > 0 && !p->banned)
			CUR_FORWARD(heap_push(st, (uint64_t)p->count, p->key));
	}
	return CUR_OK;
}

static void learn_release(learn_state *st)
{
	for (size_t k = 0; k < st->np; k++)
		pair_free_occ(st, &st->p[k]);
	if (st->p)
		train_drop(st->m, st->p, st->capp, sizeof(pair_rec));
	if (st->slot)
		train_drop(st->m, st->slot, st->nslot, sizeof(uint32_t));
	if (st->heap)
		train_drop(st->m, st->heap, st->capheap, sizeof(heap_entry));
	if (st->raised)
		train_drop(st->m, st->raised, st->capraised, sizeof(uint32_t));
	if (st->ws)
		train_drop(st->m, st->ws, st->capws, sizeof(uint32_t));
}

/* The token for pair k: its bytes' rank, added when new (OUT: *m). A pair
 * that would make too long a token is banned instead (*m = TOK_NONE). */
static int pair_token(learn_state *st, uint32_t k, uint32_t *m)
{
	token_set *ts = &st->t->tokens;
	uint32_t a = (uint32_t)(st->p[k].key >> 32), b = (uint32_t)st->p[k].key;
	size_t la = ts->off[a + 1] - ts->off[a], lb = ts->off[b + 1] - ts->off[b];
	uint8_t buf[TOK_MAX_TOKEN_BYTES];

	*m = TOK_NONE;
	if (la + lb > TOK_MAX_TOKEN_BYTES) {
		st->p[k].banned = 1;
		return CUR_OK;
	}
	memcpy(buf, ts->blob + ts->off[a], la);
	memcpy(buf + la, ts->blob + ts->off[b], lb);
	*m = token_set_find(ts, buf, la + lb);
	if (*m != TOK_NONE) {
		st->t->merges_existing++;
		return CUR_OK;
	}
	*m = (uint32_t)ts->n;
	return token_set_add(ts, st->m, buf, la + lb);
}

/* Merge until the vocabulary is full or no pair may merge. */
static int merge_all(learn_state *st)
{
	tok_trainer *t = st->t;

	t->stopped = "the vocabulary is full";
	while (t->tokens.n < t->o.ranks) {
		uint32_t k, m;
		CUR_FORWARD(next_pair(st, &k));
		if (k == TOK_NONE) {
			t->stopped = "no pair of tokens is left to merge";
			break;
		}
		if ((uint64_t)st->p[k].count < t->o.min_frequency) {
			t->stopped = "no pair is as frequent as --min-frequency";
			break;
		}
		t->last_count = (uint64_t)st->p[k].count;
		CUR_FORWARD(pair_token(st, k, &m));
		if (m == TOK_NONE)
			continue;
		CUR_FORWARD(apply_merge(st, k, m));
		t->merges++;
	}
	return CUR_OK;
}

int train_learn(tok_trainer *t, cur_err *err)
{
	/* On the heap: the byte-pair array is 256 KB. */
	learn_state *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	st->t = t;
	st->m = &t->mem;
	st->merging = TOK_NONE;
	rc = words_init(st, err);
	if (rc == CUR_OK) {
		rc = pairs_init(st);
		if (rc == CUR_OK)
			rc = merge_all(st);
		if (rc < 0)
			cur_err_set(err, rc, rc == CUR_ENOMEM ? "out of memory" : "too many distinct pairs");
	}
	learn_release(st);
	free(st);
	return rc;
}
