/* The tokenizer object: hash tables, encode, decode.
 *
 * Encoding is: split out special tokens (when allowed), pre-tokenize with the
 * scanner (pretok.c), look every piece up whole, and run BPE (bpe.c) only on
 * the pieces that are not a token themselves. */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "tokenizer/pretok.h"
#include "tokenizer/tok_extra.h"
#include "tokenizer/tok_int.h"

void tok_ids_init(tok_ids *v)
{
	v->ids = NULL;
	v->len = v->cap = 0;
}

void tok_ids_release(tok_ids *v)
{
	free(v->ids);
	tok_ids_init(v);
}

int tok_ids_reserve(tok_ids *v, size_t n)
{
	size_t cap;
	uint32_t *p;

	if (n <= v->cap - v->len)
		return CUR_OK;
	if (n > SIZE_MAX / 4 - v->len)
		return CUR_ENOMEM;
	cap = v->cap ? v->cap : 256;
	while (cap < v->len + n)
		cap *= 2;
	p = cur_realloc_array(v->ids, cap, sizeof(*p));
	if (!p)
		return CUR_ENOMEM;
	v->ids = p;
	v->cap = cap;
	return CUR_OK;
}

int tok_ids_push(tok_ids *v, uint32_t id)
{
	if (v->len == v->cap)
		CUR_FORWARD(tok_ids_reserve(v, 1));
	v->ids[v->len++] = id;
	return CUR_OK;
}

static inline uint64_t hash_bytes(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}

static inline uint32_t slot_tag(uint64_t h, size_t n)
{
	return ((uint32_t)(h >> 32) & ~0xFFu) | (uint32_t)(n < 255 ? n : 255);
}

static inline uint16_t short_tag(uint64_t h)
{
	return (uint16_t)((h >> 48) | 1);
}

uint64_t tok_hash(const void *p, size_t n)
{
	return hash_bytes(p, n);
}

uint32_t tok_table_find(const tok_tokenizer *t, const tok_table *tab, const void *p, size_t n)
{
	return tok_table_find_h(t, tab, p, n, hash_bytes(p, n));
}

uint32_t tok_table_find_h(const tok_tokenizer *t, const tok_table *tab, const void *p, size_t n,
			  uint64_t h)
{
	uint64_t key;
	uint32_t tag;
	uint16_t tag16 = short_tag(h);
	size_t i = (size_t)h & tab->mask;

	while (tab->tags[i] != tag16) {
		if (tab->tags[i] == 0)
			return TOK_NONE;
		i = (i + 1) & tab->mask;
	}
	key = tok_short_key(p, n);
	tag = slot_tag(h, n);
	for (; tab->tags[i]; i = (i + 1) & tab->mask) {
		const tok_slot *sl = &tab->slots[i];
		if (tab->tags[i] != tag16 || sl->tag != tag || sl->key != key)
			continue;
		if (n <= 8)
			return sl->id;
		uint32_t o = t->off[sl->id];
		if (t->off[sl->id + 1] - o == n && memcmp(t->blob + o + 8, (const char *)p + 8, n - 8) == 0)
			return sl->id;
	}
	return TOK_NONE;
}

/* Insert ids [first, last) into tab; on a duplicate byte string returns
 * CUR_EDATA with the ids in dup. */
static int table_build(tok_tokenizer *t, tok_table *tab, uint32_t first, uint32_t last,
		       uint32_t dup[2])
{
	size_t cap = 16;

	while (cap < 2 * (size_t)(last - first))
		cap *= 2;
	tab->slots = cur_malloc_array(cap, sizeof(tok_slot));
	tab->tags = cur_calloc_array(cap, sizeof(uint16_t));
	if (!tab->slots || !tab->tags)
		return CUR_ENOMEM;
	memset(tab->slots, 0xFF, cap * sizeof(tok_slot));
	tab->mask = cap - 1;
	for (uint32_t id = first; id < last; id++) {
		const char *p = t->blob + t->off[id];
		size_t n = t->off[id + 1] - t->off[id];
		uint32_t old = tok_table_find(t, tab, p, n);
		if (old != TOK_NONE) {
			dup[0] = old;
			dup[1] = id;
			return CUR_EDATA;
		}
		uint64_t h = hash_bytes(p, n);
		size_t i = (size_t)h & tab->mask;
		while (tab->tags[i] != 0)
			i = (i + 1) & tab->mask;
		tab->tags[i] = short_tag(h);
		tab->slots[i].tag = slot_tag(h, n);
		tab->slots[i].key = tok_short_key((const uint8_t *)p, n);
		tab->slots[i].id = id;
	}
	return CUR_OK;
}

/* Keep the distinct special-token lengths, longest first; too many of them
 * (nspecial_lens = SIZE_MAX) means trying every length. */
static void add_special_len(tok_tokenizer *t, size_t n)
{
	size_t i, cap = sizeof(t->special_lens) / sizeof(t->special_lens[0]);

	if (t->nspecial_lens == SIZE_MAX)
		return;
	for (i = 0; i < t->nspecial_lens; i++)
		if (t->special_lens[i] == n)
			return;
	if (t->nspecial_lens == cap) {
		t->nspecial_lens = SIZE_MAX;
		return;
	}
	for (i = t->nspecial_lens; i > 0 && t->special_lens[i - 1] < n; i--)
		t->special_lens[i] = t->special_lens[i - 1];
	t->special_lens[i] = n;
	t->nspecial_lens++;
}

int tok_index_build(tok_tokenizer *t, uint32_t dup[2])
{
	uint32_t total = t->nranks + t->nspecial;

	CUR_FORWARD(table_build(t, &t->ranks, 0, t->nranks, dup));
	CUR_FORWARD(table_build(t, &t->specials, t->nranks, total, dup));
	t->cut_window = 16384;
	t->run_min = 4096;
	t->pair_in_token = calloc(65536, 1);
	if (!t->pair_in_token)
		return CUR_ENOMEM;
	t->max_len = 0;
	for (uint32_t id = 0; id < t->nranks; id++) {
		const uint8_t *p = (const uint8_t *)t->blob + t->off[id];
		size_t n = t->off[id + 1] - t->off[id];
		if (n > t->max_len)
			t->max_len = n;
		for (size_t i = 1; i < n; i++)
			t->pair_in_token[(size_t)p[i - 1] << 8 | p[i]] = 1;
	}
	for (int b = 0; b < 256; b++) {
		uint8_t c = (uint8_t)b;
		t->byte_rank[b] = tok_table_find(t, &t->ranks, &c, 1);
		if (t->byte_rank[b] == TOK_NONE) {
			dup[0] = TOK_NONE;
			dup[1] = (uint32_t)b;
			return CUR_EDATA;
		}
	}
	t->pair_rank = cur_malloc_array(65536, sizeof(uint32_t));
	if (!t->pair_rank)
		return CUR_ENOMEM;
	for (size_t ab = 0; ab < 65536; ab++) {
		uint8_t two[2] = { (uint8_t)(ab >> 8), (uint8_t)ab };
		t->pair_rank[ab] = tok_table_find(t, &t->ranks, two, 2);
	}
	t->special_min = SIZE_MAX;
	t->special_max = 0;
	memset(t->special_first, 0, sizeof(t->special_first));
	memset(t->special_second, 0, sizeof(t->special_second));
	t->special_one_first = -1;
	t->special_has_1 = 0;
	t->nspecial_lens = 0;
	for (uint32_t id = t->nranks; id < total; id++) {
		size_t n = t->off[id + 1] - t->off[id];
		if (n == 0)
			continue;
		uint8_t first = (uint8_t)t->blob[t->off[id]];
		t->special_first[first] = 1;
		if (t->special_one_first == -1)
			t->special_one_first = first;
		else if (t->special_one_first != first)
			t->special_one_first = -2;
		if (n < t->special_min)
			t->special_min = n;
		if (n > t->special_max)
			t->special_max = n;
		if (n == 1)
			t->special_has_1 = 1;
		else
			t->special_second[(uint8_t)t->blob[t->off[id] + 1]] = 1;
		add_special_len(t, n);
	}
	if (t->special_one_first == -2)
		t->special_one_first = -1;
	return CUR_OK;
}

void tok_free(tok_tokenizer *t)
{
	if (!t)
		return;
	free(t->blob);
	free(t->off);
	free(t->ranks.slots);
	free(t->ranks.tags);
	free(t->specials.slots);
	free(t->specials.tags);
	free(t->pair_in_token);
	free(t->pair_rank);
	tok_pcre2_free(t->pcre2);
	free(t->pattern);
	free(t->file);
	pthread_mutex_destroy(&t->sum_lock);
	free(t);
}

/* Encode ordinary text (no special tokens) with the scanner. */
static int encode_ordinary(const tok_tokenizer *t, const uint8_t *s, size_t n, tok_ids *out)
{
	size_t pos = 0;
	tok_piece_cache cache;

	/* About one token per 4 bytes: grow once rather than per token. */
	CUR_FORWARD(tok_ids_reserve(out, n / 3 + 8));
	/* Short texts rarely repeat a rare word: skip clearing the cache. */
	if (n >= 256)
		tok_piece_cache_clear(&cache);
	while (pos < n) {
		size_t end = tok_pretok_next(s, n, pos);
		CUR_FORWARD(tok_bpe_piece(t, s + pos, end - pos, out, n >= 256 ? &cache : NULL));
		pos = end;
	}
	return CUR_OK;
}

struct pcre2_ctx {
	const tok_tokenizer *t;
	tok_ids *out;
};

static int pcre2_piece(void *ctx, const uint8_t *piece, size_t n)
{
	struct pcre2_ctx *c = ctx;
	return tok_bpe_piece(c->t, piece, n, c->out, NULL);
}

static int encode_segment(const tok_tokenizer *t, const uint8_t *s, size_t n, tok_ids *out)
{
	struct pcre2_ctx c = { t, out };

	if (n == 0)
		return CUR_OK;
	if (t->pretok == TOK_PRETOK_PCRE2)
		return tok_pcre2_split(t->pcre2, s, n, pcre2_piece, &c);
	return encode_ordinary(t, s, n, out);
}

/* The longest special token that starts at s[i], or TOK_NONE. */
static uint32_t special_at(const tok_tokenizer *t, const uint8_t *s, size_t n, size_t i,
			   size_t *len)
{
	size_t max = t->special_max < n - i ? t->special_max : n - i;

	/* Most '<' in text are not followed by '|': one table lookup. */
	if (!t->special_has_1 && (i + 1 >= n || !t->special_second[s[i + 1]]))
		return TOK_NONE;
	if (t->nspecial_lens != SIZE_MAX) {
		for (size_t k = 0; k < t->nspecial_lens; k++) {
			size_t l = t->special_lens[k];
			uint32_t id;
			if (l > max)
				continue;
			id = tok_table_find(t, &t->specials, s + i, l);
			if (id != TOK_NONE) {
				*len = l;
				return id;
			}
		}
		return TOK_NONE;
	}
	for (size_t l = max; l >= t->special_min && l > 0; l--) {
		uint32_t id = tok_table_find(t, &t->specials, s + i, l);
		if (id != TOK_NONE) {
			*len = l;
			return id;
		}
	}
	return TOK_NONE;
}

int tok_encode(const tok_tokenizer *t, const char *text, size_t len, int allow_special,
	       tok_ids *out)
{
	const uint8_t *s = (const uint8_t *)text;
	size_t start = 0, i, slen;

	if (len == 0)
		return CUR_OK;
	if (!allow_special || t->nspecial == 0)
		return encode_segment(t, s, len, out);
	/* HF tokenizers splits out added tokens first, leftmost-longest. */
	for (i = 0; i < len; i++) {
		if (t->special_one_first >= 0) {
			/* All start with one byte ('<' for Llama 3): jump to it. */
			const uint8_t *q = memchr(s + i, t->special_one_first, len - i);
			if (!q)
				break;
			i = (size_t)(q - s);
		} else if (!t->special_first[s[i]]) {
			continue;
		}
		if (len - i < t->special_min)
			break;
		uint32_t id = special_at(t, s, len, i, &slen);
		if (id == TOK_NONE)
			continue;
		CUR_FORWARD(encode_segment(t, s + start, i - start, out));
		CUR_FORWARD(tok_ids_push(out, id));
		start = i + slen;
		i = start - 1;
	}
	return encode_segment(t, s + start, len - start, out);
}

int tok_decode(const tok_tokenizer *t, const uint32_t *ids, size_t n, cur_buf *out)
{
	uint32_t total = t->nranks + t->nspecial;

	for (size_t i = 0; i < n; i++) {
		if (ids[i] >= total)
			return CUR_EINVAL;
		CUR_FORWARD(cur_buf_append(out, t->blob + t->off[ids[i]],
					   t->off[ids[i] + 1] - t->off[ids[i]]));
	}
	return CUR_OK;
}

const char *tok_token_bytes(const tok_tokenizer *t, uint32_t id, size_t *len)
{
	if (id >= t->nranks + t->nspecial)
		return NULL;
	*len = t->off[id + 1] - t->off[id];
	return t->blob + t->off[id];
}

size_t tok_vocab_size(const tok_tokenizer *t)
{
	return (size_t)t->nranks + t->nspecial;
}

int tok_keep_file(tok_tokenizer *t, const void *data, size_t len)
{
	t->file = malloc(len ? len : 1);
	if (!t->file)
		return CUR_ENOMEM;
	memcpy(t->file, data, len);
	t->file_len = len;
	return CUR_OK;
}

const char *tok_checksum(const tok_tokenizer *t)
{
	/* Computed once, under a lock: the only state a loaded tokenizer
	 * changes, so the cast is safe. */
	tok_tokenizer *w = (tok_tokenizer *)t;

	pthread_mutex_lock(&w->sum_lock);
	if (!w->sum_done) {
		tok_sha256_hex(w->file, w->file_len, w->checksum);
		free(w->file);
		w->file = NULL;
		w->sum_done = 1;
	}
	pthread_mutex_unlock(&w->sum_lock);
	return t->checksum;
}

/* tok_set_pretokenizer: "scanner" (default) or "pcre2". Call before the
 * tokenizer is shared between threads. */
int tok_set_pretokenizer(tok_tokenizer *t, const char *name, cur_err *err)
{
	if (strcmp(name, "scanner") != 0 && strcmp(name, "pcre2") != 0)
		return cur_err_set(err, CUR_EINVAL,
				   "unknown pre-tokenizer '%s' (scanner, pcre2)", name);
	if (t->pattern) {
		if (strcmp(name, "scanner") == 0)
			return cur_err_set(err, CUR_EINVAL, "the scanner runs only the Llama 3 "
					   "pattern: this vocabulary has its own, which runs on pcre2");
		return CUR_OK;
	}
	if (strcmp(name, "scanner") == 0) {
		t->pretok = TOK_PRETOK_SCANNER;
		return CUR_OK;
	}
	if (!t->pcre2) {
		t->pcre2 = tok_pcre2_new(err);
		if (!t->pcre2)
			return err ? err->code : CUR_ENOMEM;
	}
	t->pretok = TOK_PRETOK_PCRE2;
	return CUR_OK;
}
