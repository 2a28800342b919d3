/* Text to fastText input rows, as Dictionary::getLine computes them.
 *
 * libfasttext reads a line through an istream one character at a time,
 * builds a std::string per character n-gram and looks each bucket up in a
 * std::unordered_map when the model is pruned (lid.176.ftz is): half of its
 * time goes to that map. This file computes the same rows in the same order
 * with fastText's own hash, a flat table of the pruned buckets, incremental
 * n-gram hashes and a per-thread cache of the rows of each token seen, so
 * that fastText's model does the rest. tests/check_classify.c and
 * fuzz/fuzz_classify.c check it against getLine itself.
 *
 * The rules it follows (fastText 0.9.2, src/dictionary.cc):
 * - tokens are runs of bytes other than ' ', '\n', '\r', '\t', '\v', '\f' and
 *   '\0'; the line ends with the token "</s>" (EOS), and a "</s>" inside
 *   the text ends it too;
 * - a vocabulary word contributes its stored rows (itself and its n-grams);
 *   another token contributes the buckets of the character n-grams of
 *   "<token>" (minn..maxn characters, UTF-8 aware, never "<" or ">" alone),
 *   except EOS; a token starting with "__label__" contributes nothing;
 * - after the tokens, word n-grams (wordNgrams > 1) from the tokens' hashes;
 * - a bucket b becomes row nwords + b, or in a pruned model its kept row
 *   (or nothing). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "classify/cls_int.h"

#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u
#define LABEL_PREFIX "__label__"
#define EOS "</s>"

/* The per-thread cache: it is cleared when it holds this many tokens or
 * this many rows, which bounds it to about 8 MB. */
#define CACHE_SLOTS (1u << 16)
#define CACHE_MAX_TOKENS (CACHE_SLOTS / 2)
#define CACHE_MAX_ROWS (1u << 20)
#define CACHE_MAX_KEY_BYTES (1u << 20)
/* Longer tokens (unsegmented CJK lines, base64) are rarely seen twice. */
#define CACHE_MAX_TOKEN 128

typedef struct vocab_slot {
	uint32_t hash;
	int32_t id;        /* -1: empty */
	uint32_t off, len; /* the word's bytes in words */
} vocab_slot;

struct cls_features {
	const cls_ft *ft;
	cls_ft_info info;
	vocab_slot *vocab;
	uint32_t vocab_mask;
	char *words;
	size_t words_len, words_cap;
	/* Pruned models: a bit per bucket says whether it was kept (most were
	 * not, and the bitmap answers from the cache), then bucket -> row by
	 * open addressing. */
	uint64_t *kept;
	struct pruned_slot {
		int32_t bucket;  /* -1: empty */
		int32_t row;
	} *pruned;
	uint32_t pruned_mask;
};

enum { TOKEN_EMPTY = 0, TOKEN_WORD, TOKEN_LABEL };

typedef struct cache_slot {
	uint32_t hash;
	uint32_t kind;
	uint32_t key_off, key_len;
	uint32_t rows_off, nrows;
} cache_slot;

struct cls_feat_cache {
	cache_slot *slots;
	uint32_t ntokens;
	cur_buf keys;
	cur_buf rows;       /* int32_t */
	cur_buf hashes;     /* int32_t, the tokens' hashes for word n-grams */
};

uint32_t cls_ft_hash(const char *s, size_t n)
{
	uint32_t h = FNV_OFFSET;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint32_t)(int32_t)(int8_t)s[i]) * FNV_PRIME;
	return h;
}

static inline uint32_t hash_step(uint32_t h, char c)
{
	return (h ^ (uint32_t)(int32_t)(int8_t)c) * FNV_PRIME;
}

static uint32_t table_size(size_t n)
{
	uint32_t size = 16;

	while (size < 2 * n + 1)
		size *= 2;
	return size;
}

/* ---- building the tables ---- */

static int add_entry(void *arg, int32_t id, const char *s, size_t len, int is_label)
{
	cls_features *f = arg;
	uint32_t h = cls_ft_hash(s, len), i;

	(void)is_label;
	if (f->words_len + len > UINT32_MAX)
		return CUR_ELIMIT;
	if (f->words_len + len > f->words_cap) {
		size_t cap = (f->words_len + len) * 2;
		char *w = realloc(f->words, cap);

		if (!w)
			return CUR_ENOMEM;
		f->words = w;
		f->words_cap = cap;
	}
	memcpy(f->words + f->words_len, s, len);
	for (i = h & f->vocab_mask; f->vocab[i].id >= 0; i = (i + 1) & f->vocab_mask)
		;
	f->vocab[i] = (vocab_slot){ h, id, (uint32_t)f->words_len, (uint32_t)len };
	f->words_len += len;
	return 0;
}

static int add_pruned(void *arg, int32_t bucket, int32_t row)
{
	cls_features *f = arg;
	uint32_t i;

	if (bucket < 0 || bucket >= f->info.bucket)
		return CUR_EDATA;
	f->kept[bucket / 64] |= 1ULL << (bucket % 64);
	for (i = (uint32_t)bucket & f->pruned_mask; f->pruned[i].bucket >= 0;
	     i = (i + 1) & f->pruned_mask)
		;
	f->pruned[i].bucket = bucket;
	f->pruned[i].row = row;
	return 0;
}

int cls_features_new(const cls_ft *ft, cls_features **out, cur_err *err)
{
	cls_features *f = calloc(1, sizeof(*f));
	uint32_t n;
	int rc;

	*out = NULL;
	if (!f)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	f->ft = ft;
	cls_ft_get_info(ft, &f->info);
	n = table_size((size_t)f->info.nwords + (size_t)f->info.nlabels);
	f->vocab_mask = n - 1;
	f->vocab = cur_malloc_array(n, sizeof(*f->vocab));
	if (!f->vocab)
		goto nomem;
	for (uint32_t i = 0; i < n; i++)
		f->vocab[i].id = -1;
	rc = cls_ft_each_entry(ft, add_entry, f);
	if (rc) {
		cls_features_free(f);
		return cur_err_set(err, rc, "cannot index the model's vocabulary: %s",
				   cur_strerror(rc));
	}
	if (f->info.npruned > 0) {
		n = table_size((size_t)f->info.npruned);
		f->pruned_mask = n - 1;
		f->pruned = cur_malloc_array(n, sizeof(*f->pruned));
		f->kept = cur_calloc_array((size_t)f->info.bucket / 64 + 1, sizeof(uint64_t));
		if (!f->pruned || !f->kept)
			goto nomem;
		memset(f->pruned, 0xff, (size_t)n * sizeof(*f->pruned));
		if (cls_ft_each_pruned(ft, add_pruned, f)) {
			cls_features_free(f);
			return cur_err_set(err, CUR_EDATA, "the model's pruned buckets are out of range");
		}
	}
	*out = f;
	return CUR_OK;
nomem:
	cls_features_free(f);
	return cur_err_set(err, CUR_ENOMEM, "out of memory");
}

void cls_features_free(cls_features *f)
{
	if (!f)
		return;
	free(f->vocab);
	free(f->words);
	free(f->kept);
	free(f->pruned);
	free(f);
}

cls_feat_cache *cls_feat_cache_new(void)
{
	cls_feat_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->slots = cur_calloc_array(CACHE_SLOTS, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	cur_buf_init(&c->keys, CUR_BUF_UNLIMITED);
	cur_buf_init(&c->rows, CUR_BUF_UNLIMITED);
	cur_buf_init(&c->hashes, CUR_BUF_UNLIMITED);
	return c;
}

void cls_feat_cache_free(cls_feat_cache *c)
{
	if (!c)
		return;
	free(c->slots);
	cur_buf_release(&c->keys);
	cur_buf_release(&c->rows);
	cur_buf_release(&c->hashes);
	free(c);
}

/* ---- one token ---- */

static int32_t vocab_find(const cls_features *f, const char *s, size_t len, uint32_t h)
{
	for (uint32_t i = h & f->vocab_mask; f->vocab[i].id >= 0; i = (i + 1) & f->vocab_mask) {
		const vocab_slot *v = &f->vocab[i];

		if (v->hash == h && v->len == len && memcmp(f->words + v->off, s, len) == 0)
			return v->id;
	}
	return -1;
}

static inline int push_row(cur_buf *rows, int32_t row)
{
	return cur_buf_append(rows, &row, sizeof(row));
}

/* Dictionary::pushHash: bucket -> row, or nothing when pruned away. */
static int push_bucket(const cls_features *f, cur_buf *rows, int32_t bucket)
{
	if (f->info.npruned == 0 || bucket < 0)
		return CUR_OK;
	if (f->info.npruned > 0) {
		uint32_t i;

		if (!(f->kept[bucket / 64] >> (bucket % 64) & 1))
			return CUR_OK;
		for (i = (uint32_t)bucket & f->pruned_mask; f->pruned[i].bucket != bucket;
		     i = (i + 1) & f->pruned_mask)
			;
		bucket = f->pruned[i].row;
	}
	return push_row(rows, f->info.nwords + bucket);
}

/* Dictionary::computeSubwords over "<" token ">", hashing each n-gram as it
 * grows by one character instead of building it. */
static int push_char_ngrams(const cls_features *f, const char *tok, size_t n, cur_buf *rows)
{
	size_t len = n + 2;
	const int minn = f->info.minn, maxn = f->info.maxn;
	const uint32_t bucket = (uint32_t)f->info.bucket;

#define AT(k) ((k) == 0 ? '<' : (k) == len - 1 ? '>' : tok[(k) - 1])
#define CONTINUATION(c) (((unsigned char)(c) & 0xC0) == 0x80)
	for (size_t i = 0; i < len; i++) {
		uint32_t h = FNV_OFFSET;
		size_t j = i;

		if (CONTINUATION(AT(i)))
			continue;
		for (int k = 1; j < len && k <= maxn; k++) {
			h = hash_step(h, AT(j));
			j++;
			while (j < len && CONTINUATION(AT(j))) {
				h = hash_step(h, AT(j));
				j++;
			}
			if (k >= minn && !(k == 1 && (i == 0 || j == len)))
				CUR_FORWARD(push_bucket(f, rows, (int32_t)(h % bucket)));
		}
	}
#undef AT
#undef CONTINUATION
	return CUR_OK;
}

/* The rows one token contributes (Dictionary::addSubwords) and its kind. */
static int token_rows(const cls_features *f, const char *tok, size_t n, uint32_t h,
		      cur_buf *rows, uint32_t *kind)
{
	int32_t id = vocab_find(f, tok, n, h);

	if (id >= f->info.nwords) {
		*kind = TOKEN_LABEL;
		return CUR_OK;
	}
	*kind = TOKEN_WORD;
	if (id >= 0) {
		size_t nrows;
		const int32_t *r = cls_ft_word_rows(f->ft, id, &nrows);

		if (f->info.maxn <= 0)
			return push_row(rows, id);
		return cur_buf_append(rows, r, nrows * sizeof(*r));
	}
	if (n >= sizeof(LABEL_PREFIX) - 1 && memcmp(tok, LABEL_PREFIX, sizeof(LABEL_PREFIX) - 1) == 0) {
		*kind = TOKEN_LABEL;
		return CUR_OK;
	}
	if (n == sizeof(EOS) - 1 && memcmp(tok, EOS, n) == 0)
		return CUR_OK;
	return push_char_ngrams(f, tok, n, rows);
}

static void cache_clear(cls_feat_cache *c)
{
	memset(c->slots, 0, CACHE_SLOTS * sizeof(*c->slots));
	c->ntokens = 0;
	cur_buf_reset(&c->keys);
	cur_buf_reset(&c->rows);
}

/* Append the rows of one token to out, through the cache. */
static int add_token(const cls_features *f, cls_feat_cache *c, const char *tok, size_t n,
		     cur_buf *out, uint32_t *kind)
{
	uint32_t h = cls_ft_hash(tok, n), i;
	cache_slot *s;
	size_t before;

	if (n > CACHE_MAX_TOKEN) {
		CUR_FORWARD(token_rows(f, tok, n, h, out, kind));
		goto word_hash;
	}
	for (i = h & (CACHE_SLOTS - 1); c->slots[i].kind != TOKEN_EMPTY; i = (i + 1) & (CACHE_SLOTS - 1)) {
		s = &c->slots[i];
		if (s->hash == h && s->key_len == n && memcmp(c->keys.data + s->key_off, tok, n) == 0) {
			*kind = s->kind;
			CUR_FORWARD(cur_buf_append(out, c->rows.data + (size_t)s->rows_off * 4,
						   (size_t)s->nrows * 4));
			goto word_hash;
		}
	}
	if (c->ntokens >= CACHE_MAX_TOKENS || c->rows.len / 4 >= CACHE_MAX_ROWS ||
	    c->keys.len >= CACHE_MAX_KEY_BYTES) {
		cache_clear(c);
		for (i = h & (CACHE_SLOTS - 1); c->slots[i].kind != TOKEN_EMPTY;
		     i = (i + 1) & (CACHE_SLOTS - 1))
			;
	}
	before = c->rows.len;
	CUR_FORWARD(token_rows(f, tok, n, h, &c->rows, kind));
	s = &c->slots[i];
	*s = (cache_slot){ h, *kind, (uint32_t)c->keys.len, (uint32_t)n, (uint32_t)(before / 4),
			   (uint32_t)((c->rows.len - before) / 4) };
	CUR_FORWARD(cur_buf_append(&c->keys, tok, n));
	c->ntokens++;
	CUR_FORWARD(cur_buf_append(out, c->rows.data + before, c->rows.len - before));
word_hash:
	if (*kind == TOKEN_WORD && f->info.word_ngrams > 1) {
		int32_t hh = (int32_t)h;

		return cur_buf_append(&c->hashes, &hh, sizeof(hh));
	}
	return CUR_OK;
}

/* Dictionary::addWordNgrams: the hashes as int32_t, widened with their sign
 * as fastText's uint64_t arithmetic does. */
static int push_word_ngrams(const cls_features *f, const cls_feat_cache *c, cur_buf *rows)
{
	const int32_t *hs = (const int32_t *)c->hashes.data;
	size_t nh = c->hashes.len / sizeof(int32_t);
	const uint64_t bucket = (uint64_t)f->info.bucket;
	const size_t n = (size_t)f->info.word_ngrams;

	for (size_t i = 0; i < nh; i++) {
		uint64_t h = (uint64_t)(int64_t)hs[i];

		for (size_t j = i + 1; j < nh && j < i + n; j++) {
			h = h * 116049371u + (uint64_t)(int64_t)hs[j];
			CUR_FORWARD(push_bucket(f, rows, (int32_t)(h % bucket)));
		}
	}
	return CUR_OK;
}

static inline int is_delim(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == '\0';
}

int cls_featurize(const cls_features *f, cls_feat_cache *c, const char *text, size_t len,
		  cur_buf *rows)
{
	size_t i = 0;
	uint32_t kind;

	cur_buf_reset(rows);
	cur_buf_reset(&c->hashes);
	for (;;) {
		size_t start;

		while (i < len && is_delim((unsigned char)text[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_delim((unsigned char)text[i]))
			i++;
		CUR_FORWARD(add_token(f, c, text + start, i - start, rows, &kind));
		if (i - start == sizeof(EOS) - 1 && memcmp(text + start, EOS, i - start) == 0)
			goto ngrams;
	}
	CUR_FORWARD(add_token(f, c, EOS, sizeof(EOS) - 1, rows, &kind));
ngrams:
	if (f->info.word_ngrams > 1)
		return push_word_ngrams(f, c, rows);
	return CUR_OK;
}
