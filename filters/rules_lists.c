/* The rule sets that read word lists and models: dirty words (safety,
 * llama3), blocked URLs (safety), Llama 3's repeated-line removal and the
 * KL divergence of a document's tokens from the corpus (llama3). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "filters/rules_int.h"

/* ---- dirty words (safety, llama3) --------------------------------------- */

static int group_fold(flt_ctx *c)
{
	size_t w = c->scan.nwords;
	if (w > c->capfold) {
		size_t cap = w < 1024 ? 1024 : 2 * w;
		uint64_t *f = cur_realloc_array(c->fold, cap, sizeof(*f));
		if (!f)
			return c->err = CUR_ENOMEM;
		c->fold = f;
		c->capfold = cap;
	}
	flt_scan_hash_words(&c->scan);
	for (size_t i = 0; i < w; i++) {
		const flt_word *wd = &c->scan.words[i];
		if (!(wd->flags & FLT_W_FOLD)) {
			c->fold[i] = wd->hash;
			continue;
		}
		/* ASCII with capitals (the common case): lower-case on the stack */
		const unsigned char *p = (const unsigned char *)c->text + wd->off;
		char low[64];
		size_t k = 0;
		while (k < wd->len && k < sizeof(low) && p[k] < 0x80) {
			low[k] = (char)((p[k] >= 'A' && p[k] <= 'Z') ? p[k] + 32 : p[k]);
			k++;
		}
		c->fold[i] = k == wd->len ? XXH3_64bits(low, k)
					  : flt_fold_hash(c->text + wd->off, wd->len, &c->tmp);
	}
	c->have |= G_FOLD;
	return CUR_OK;
}

/* Matches of the word list: at each word, the longest listed phrase that
 * starts there counts once, and matching goes on after it. */
static double st_dirty_count(flt_ctx *c, int arg)
{
	(void)arg;
	SCAN_OR_NAN(c);
	if (c->have & G_DIRTY)
		return c->v[V_DIRTY];
	const flt_wordlist *wl = &c->e->dirty;
	size_t w = c->scan.nwords, count = 0;
	if (wl->n && !(c->have & G_FOLD) && group_fold(c) < 0)
		return NAN;
	for (size_t i = 0; wl->n && i < w; i++) {
		if (!flt_wordlist_has_first(wl, c->fold[i]))
			continue;
		uint64_t h = 0;
		size_t best = 0;
		for (size_t k = 0; k < wl->max_words && i + k < w; k++) {
			h = flt_phrase_step(h, c->fold[i + k]);
			if (flt_wordlist_has(wl, h))
				best = k + 1;
		}
		if (best) {
			count++;
			i += best - 1;
		}
	}
	c->v[V_DIRTY] = (double)count;
	c->have |= G_DIRTY;
	return (double)count;
}

/* Matches per word; with arg >= 0, 0 unless the count reaches the
 * threshold at thr[arg] (count and fraction must both be high). */
static double st_dirty_frac(flt_ctx *c, int arg)
{
	double n = st_dirty_count(c, 0);
	if (arg >= 0 && n < c->thr[arg])
		return 0;
	return ratio(n, (double)(c->scan.nwords - c->scan.symbol_words));
}

/* ---- llama3 -------------------------------------------------------------- */

enum { L3_NGRAM, L3_MIN_LINE_WORDS, L3_MIN_TOKENS };

static double kl_divergence(flt_ctx *c, int arg);

/* ---- safety -------------------------------------------------------------- */

static int host_of(const char *url, const char **h, size_t *n)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	const char *at = NULL, *q = p;
	while (*q && *q != '/' && *q != '?' && *q != '#') {
		if (*q == '@')
			at = q;
		q++;
	}
	if (at)
		p = at + 1;
	const char *e = p;
	while (e < q && *e != ':')
		e++;
	while (e > p && e[-1] == '.')
		e--;
	*h = p;
	*n = (size_t)(e - p);
	return *n > 0;
}

static int url_sub_has(const flt_engine *e, uint64_t key)
{
	if (!e->url_subs)
		return 0;
	size_t j = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & e->url_mask;
	while (e->url_subs[j]) {
		if (e->url_subs[j] == key)
			return 1;
		j = (j + 1) & e->url_mask;
	}
	return 0;
}

/* 1 when the URL's host, a parent domain of it, or a listed substring of
 * the lower-cased URL is blocked. Every test is a hash lookup. */
static double st_blocked(flt_ctx *c, int arg)
{
	(void)arg;
	const flt_engine *e = c->e;
	if (!c->url || !*c->url || (!e->hosts.n && !e->url_n))
		return 0;
	cur_buf_reset(&c->tmp);
	for (const char *p = c->url; *p; p++)
		cur_buf_putc(&c->tmp, (*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
	if (!c->tmp.data)
		return 0;
	const char *u = c->tmp.data, *h;
	size_t n;
	if (e->hosts.n && host_of(u, &h, &n)) {
		/* the host, then each parent domain: a.b.example.com, b.example.com, ... */
		for (;;) {
			uint64_t k = flt_phrase_step(0, XXH3_64bits(h, n));
			if (flt_wordlist_has(&e->hosts, k))
				return 1;
			const char *dot = memchr(h, '.', n);
			if (!dot)
				break;
			n -= (size_t)(dot + 1 - h);
			h = dot + 1;
		}
	}
	for (size_t li = 0; li < e->nsub_lens; li++) {
		size_t L = e->sub_lens[li];
		for (size_t i = 0; i + L <= c->tmp.len; i++)
			if (url_sub_has(e, XXH3_64bits(u + i, L) | 1))
				return 1;
	}
	return 0;
}

const flt_rule flt_rules_safety[FLT_SAFETY_RULES] = {
	{"min_dirty_words", NULL, NULL, 0, FLT_PARAM, 3, "fewer dirty-word matches never drop by fraction"},
	{"blocked_url", "safety:blocked_url", st_blocked, 0, FLT_FLAG, 1, "the URL's host, domain or a substring is on a --blocklist"},
	{"max_dirty_words", "safety:dirty_words", st_dirty_count, 0, FLT_MAX, INFINITY, "dirty-word matches (default: no limit)"},
	{"max_dirty_fraction", "safety:dirty_fraction", st_dirty_frac, 0, FLT_MAX, 0.005, "dirty-word matches per word (when at least min_dirty_words)"},
};

enum { L3_MAX_COVERAGE = 3, L3_MIN_DIRTY = 6 };

const flt_rule flt_rules_llama3[FLT_LLAMA3_RULES] = {
	{"ngram", NULL, NULL, 0, FLT_PARAM, 3, "n of the n-grams for the line coverage"},
	{"min_line_words", NULL, NULL, 0, FLT_PARAM, 5, "shorter lines are never removed"},
	{"min_tokens", NULL, NULL, 0, FLT_PARAM, 50, "documents with fewer tokens get no KL score"},
	{"max_line_dup_coverage", "llama3:line_dup_coverage", NULL, 0, FLT_PARAM, 0.7, "remove a line when this fraction of it repeats earlier n-grams"},
	{"lines_removed", "llama3:lines_removed", st_v, V_L3_REMOVED, FLT_INFO, 0, "lines removed as repeated content"},
	{"empty", "llama3:empty", st_v, V_L3_EMPTY, FLT_FLAG, 1, "drop documents that line removal emptied"},
	{"min_dirty_words", NULL, NULL, 0, FLT_PARAM, 3, "fewer dirty-word matches never drop"},
	{"dirty_words", "llama3:dirty_words", st_dirty_count, 0, FLT_INFO, 0, "dirty-word matches"},
	{"max_dirty_fraction", "llama3:dirty_fraction", st_dirty_frac, L3_MIN_DIRTY, FLT_MAX, 0.005, "dirty-word matches per word (when at least min_dirty_words)"},
	{"max_kl", "llama3:kl_divergence", kl_divergence, 0, FLT_MAX, 8.7, "KL divergence (nats) of the token distribution from the corpus"},
};

/* Duplicated n-gram coverage per line: the fraction of a line's word
 * characters covered by n-grams that occurred earlier in the document. A
 * line above the threshold repeats earlier content (logs, error messages,
 * boilerplate) and is removed, while its first occurrence stays. */
int flt_llama3_rewrite(flt_ctx *c)
{
	if (flt_ctx_scan(c) < 0)
		return c->err;
	int n = (int)c->thr[L3_NGRAM];
	size_t w = c->scan.nwords, removed = 0, nl = c->scan.nlines;
	if (n < 1)
		n = 1;
	if (flt_group_pre(c) < 0 || flt_hset_clear(&c->hs, w) < 0)
		return c->err = CUR_ENOMEM;
	uint64_t pw = flt_pow_base(n);
	cur_buf *out = flt_ctx_rewrite_begin(c);
	size_t kept = 0;
	for (size_t li = 0; li < nl; li++) {
		const flt_line *l = &c->scan.lines[li];
		size_t a = l->first_word, b = a + l->nwords;
		size_t covered_to = a, covered = 0;
		/* a word is covered when an n-gram holding it was seen before */
		for (size_t i = a; i + (size_t)n <= b; i++) {
			uint64_t h = flt_ngram_hash(c, i, (size_t)n, pw);
			flt_hslot *s = flt_hset_add(&c->hs, h, (uint32_t)i);
			if (s->count < 2)
				continue;
			size_t from = i > covered_to ? i : covered_to;
			covered += c->cpre[i + n] - c->cpre[from];
			covered_to = i + (size_t)n;
		}
		double total = (double)(c->cpre[b] - c->cpre[a]);
		int drop = l->nwords >= c->thr[L3_MIN_LINE_WORDS] && total > 0 &&
			   covered / total > c->thr[L3_MAX_COVERAGE];
		if (drop) {
			removed++;
			continue;
		}
		if (kept++)
			cur_buf_putc(out, '\n');
		cur_buf_append(out, c->text + l->off, l->len);
	}
	c->v[V_L3_REMOVED] = (double)removed;
	c->v[V_L3_EMPTY] = removed > 0 && flt_rstrip_len(out->data ? out->data : "", out->len) == 0;
	if (removed)
		flt_ctx_rewrite_end(c, out);
	return c->err;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* KL(P_doc || Q_corpus) in nats over the document's Llama 3 tokens. */
static double kl_divergence(flt_ctx *c, int arg)
{
	(void)arg;
	const flt_engine *e = c->e;
	if (!e->tok || !e->dist.logq)
		return NAN;
	c->ids.len = 0;
	if (tok_encode(e->tok, c->text, c->len, 0, &c->ids) < 0) {
		c->err = CUR_ENOMEM;
		return NAN;
	}
	size_t n = c->ids.len;
	if (n == 0 || n < c->thr[L3_MIN_TOKENS])
		return NAN;
	qsort(c->ids.ids, n, sizeof(uint32_t), cmp_u32);
	double kl = 0, logn = log((double)n);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && c->ids.ids[j] == c->ids.ids[i])
			j++;
		uint32_t id = c->ids.ids[i];
		double p = (double)(j - i) / (double)n;
		double lq = id < e->dist.vocab ? e->dist.logq[id] : e->dist.log_unseen;
		kl += p * (log((double)(j - i)) - logn - lq);
		i = j;
	}
	return kl;
}
