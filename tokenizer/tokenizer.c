/* The tokenizer object: encode, decode (its hash tables: table.c).
 *
 * Encoding is: split out special tokens (when allowed), pre-tokenize with the
 * scanner (pretok.c), look every piece up whole, and run BPE (bpe.c) only on
 * the pieces that are not a token themselves. */
#include <config.h>
#include <stdlib.h>
#include <string.h>
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
