/* The vocabulary's hash tables (tok_int.h): byte string -> id for the
 * ordinary and the special tokens, built once at load and read by encode
 * (tokenizer.c) and BPE (bpe.c). */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "tokenizer/tok_int.h"

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
