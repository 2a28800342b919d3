/* The statistics and the rule tables. Each rule set is a table of rows
 * (key, reason, statistic, comparison, default); a statistic is a function
 * of the per-thread context that caches what several rules share. Semantics
 * follow datatrove's filters (see docs/internals/filters.md). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "core/utf8.h"
#include "core/script.h"
#include "filters/filter_int.h"
#include "filters/rules_int.h"

int flt_ctx_init(flt_ctx *c, const flt_engine *e)
{
	memset(c, 0, sizeof(*c));
	c->e = e;
	flt_scan_init(&c->scan);
	flt_hset_init(&c->hs);
	cur_buf_init(&c->out[0], CUR_BUF_UNLIMITED);
	cur_buf_init(&c->out[1], CUR_BUF_UNLIMITED);
	cur_buf_init(&c->tmp, CUR_BUF_UNLIMITED);
	cur_buf_init(&c->low, CUR_BUF_UNLIMITED);
	tok_ids_init(&c->ids);
	return CUR_OK;
}

void flt_ctx_release(flt_ctx *c)
{
	flt_scan_release(&c->scan);
	flt_hset_release(&c->hs);
	cur_buf_release(&c->out[0]);
	cur_buf_release(&c->out[1]);
	cur_buf_release(&c->tmp);
	cur_buf_release(&c->low);
	tok_ids_release(&c->ids);
	free(c->pre);
	free(c->cpre);
	free(c->fold);
	free(c->keep);
	memset(c, 0, sizeof(*c));
}

void flt_ctx_set_text(flt_ctx *c, const char *text, size_t len)
{
	c->text = text ? text : "";
	c->len = len;
	c->scanned = 0;
	c->have = 0;
}

int flt_ctx_scan(flt_ctx *c)
{
	if (c->scanned)
		return CUR_OK;
	int rc = flt_scan_text(&c->scan, c->text, c->len);
	if (rc < 0) {
		c->err = rc;
		return rc;
	}
	c->scanned = 1;
	return CUR_OK;
}

cur_buf *flt_ctx_rewrite_begin(flt_ctx *c)
{
	/* the current text may live in one buffer: write into the other */
	cur_buf *b = &c->out[c->nout];
	cur_buf_reset(b);
	return b;
}

void flt_ctx_rewrite_end(flt_ctx *c, cur_buf *b)
{
	if (cur_buf_reserve(b, 0) < 0) {
		c->err = CUR_ENOMEM;
		return;
	}
	c->nout ^= 1;
	flt_ctx_set_text(c, b->data, b->len);
}

/* ---- gopher-quality ---------------------------------------------------- */

static size_t n_splitlines(const flt_ctx *c)
{
	/* str.splitlines(): no line for "", none after a final newline */
	if (c->len == 0)
		return 0;
	return c->scan.nlines - (c->text[c->len - 1] == '\n');
}

static size_t count_line_flag(const flt_ctx *c, size_t n, uint32_t flag)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += (c->scan.lines[i].flags & flag) != 0;
	return k;
}

static int mostly_cjk(const flt_scan *s)
{
	return 2 * s->cjk_words > s->nwords - s->symbol_words;
}

static double st_words(flt_ctx *c, int arg)
{
	(void)arg;
	SCAN_OR_NAN(c);
	return (double)(c->scan.nwords - c->scan.symbol_words);
}

static double st_mean_word_length(flt_ctx *c, int arg)
{
	(void)arg;
	SCAN_OR_NAN(c);
	if (mostly_cjk(&c->scan))
		return NAN;
	return ratio((double)c->scan.word_chars, (double)(c->scan.nwords - c->scan.symbol_words));
}

static double st_hash_ratio(flt_ctx *c, int arg)
{
	(void)arg;
	SCAN_OR_NAN(c);
	return ratio((double)c->scan.hashes, (double)c->scan.nwords);
}

static double st_ellipsis_ratio(flt_ctx *c, int arg)
{
	(void)arg;
	SCAN_OR_NAN(c);
	return ratio((double)c->scan.ellipses, (double)c->scan.nwords);
}

static double st_line_flag_ratio(flt_ctx *c, int flag)
{
	SCAN_OR_NAN(c);
	size_t n = n_splitlines(c);
	return ratio((double)count_line_flag(c, n, (uint32_t)flag), (double)n);
}

static double st_alpha_ratio(flt_ctx *c, int arg)
{
	(void)arg;
	SCAN_OR_NAN(c);
	return ratio((double)c->scan.alpha_words, (double)c->scan.nwords);
}

static double st_stop_words(flt_ctx *c, int arg)
{
	(void)arg;
	SCAN_OR_NAN(c);
	return mostly_cjk(&c->scan) ? NAN : (double)c->scan.stop_words;
}

static const flt_rule gopher_quality[] = {
	{"min_words", "gopher-quality:words", st_words, 0, FLT_MIN, 50, "words, not counting symbol-only tokens"},
	{"max_words", "gopher-quality:words", st_words, 0, FLT_MAX, 100000, "words, not counting symbol-only tokens"},
	{"min_mean_word_length", "gopher-quality:mean_word_length", st_mean_word_length, 0, FLT_MIN, 3, "mean word length in characters"},
	{"max_mean_word_length", "gopher-quality:mean_word_length", st_mean_word_length, 0, FLT_MAX, 10, "mean word length in characters"},
	{"max_hash_ratio", "gopher-quality:hash_ratio", st_hash_ratio, 0, FLT_MAX, 0.1, "'#' per word"},
	{"max_ellipsis_ratio", "gopher-quality:ellipsis_ratio", st_ellipsis_ratio, 0, FLT_MAX, 0.1, "'...' and U+2026 per word"},
	{"max_bullet_lines", "gopher-quality:bullet_lines", st_line_flag_ratio, FLT_L_BULLET, FLT_MAX, 0.9, "fraction of lines starting with a bullet or '-'"},
	{"max_ellipsis_lines", "gopher-quality:ellipsis_lines", st_line_flag_ratio, FLT_L_ELLIPSIS, FLT_MAX, 0.3, "fraction of lines ending in an ellipsis"},
	{"min_alpha_words", "gopher-quality:alpha_words", st_alpha_ratio, 0, FLT_MIN, 0.8, "fraction of words with a letter"},
	{"min_stop_words", "gopher-quality:stop_words", st_stop_words, 0, FLT_MIN, 2, "occurrences of the, be, to, of, and, that, have, with"},
};

/* ---- gopher-repetition ------------------------------------------------- */

/* Count repeats among the elements [starts[i], ends[i]) as find_duplicates(). */
typedef struct dup_count {
	size_t n, dups, dup_chars;
} dup_count;

static int dup_add(flt_ctx *c, dup_count *d, const char *p, size_t n)
{
	flt_hslot *s = flt_hset_add(&c->hs, XXH3_64bits(p, n), 0);
	d->n++;
	if (s->count > 1) {
		d->dups++;
		d->dup_chars += cur_utf8_count(p, n);
	}
	return CUR_OK;
}

/* Paragraphs: re.split(r"\n{2,}", text.strip()). */
static int group_para(flt_ctx *c)
{
	const char *t = c->text;
	size_t a = flt_lstrip_off(t, c->len), b = a < c->len ? flt_rstrip_len(t, c->len) : a;
	dup_count d = {0, 0, 0};
	if (flt_hset_clear(&c->hs, c->scan.nlines + 1) < 0)
		return c->err = CUR_ENOMEM;
	size_t ps = a, i = a;
	while (i < b) {
		const char *nl = memchr(t + i, '\n', b - i);
		if (!nl)
			break;
		size_t j = (size_t)(nl - t), k = j;
		while (k < b && t[k] == '\n')
			k++;
		if (k - j >= 2) {
			dup_add(c, &d, t + ps, j - ps);
			ps = k;
		}
		i = k;
	}
	dup_add(c, &d, t + ps, b - ps);
	c->v[V_PARA_FRAC] = ratio((double)d.dups, (double)d.n);
	c->v[V_PARA_CHAR] = ratio((double)d.dup_chars, (double)c->scan.chars);
	return CUR_OK;
}

/* Lines: re.split(r"\n+", text). */
static int group_lines(flt_ctx *c)
{
	const char *t = c->text;
	size_t n = c->len, ls = 0, i = 0;
	dup_count d = {0, 0, 0};
	if (flt_hset_clear(&c->hs, c->scan.nlines + 1) < 0)
		return c->err = CUR_ENOMEM;
	while (i < n) {
		const char *nl = memchr(t + i, '\n', n - i);
		if (!nl)
			break;
		size_t j = (size_t)(nl - t), k = j;
		while (k < n && t[k] == '\n')
			k++;
		dup_add(c, &d, t + ls, j - ls);
		ls = i = k;
	}
	dup_add(c, &d, t + ls, n - ls);
	c->v[V_LINE_FRAC] = ratio((double)d.dups, (double)d.n);
	c->v[V_LINE_CHAR] = ratio((double)d.dup_chars, (double)c->scan.chars);
	return CUR_OK;
}

static double st_rep(flt_ctx *c, int which)
{
	SCAN_OR_NAN(c);
	unsigned g = (which == V_PARA_FRAC || which == V_PARA_CHAR) ? G_PARA : G_LINES;
	if (!(c->have & g)) {
		if ((g == G_PARA ? group_para(c) : group_lines(c)) < 0)
			return NAN;
		c->have |= g;
	}
	return c->v[which];
}


/* Prefix sums of word hashes (polynomial) and of word lengths, so that any
 * n-gram's hash and " ".join length is O(1). */
int flt_group_pre(flt_ctx *c)
{
	if (c->have & G_PRE)
		return CUR_OK;
	size_t w = c->scan.nwords;
	if (w + 1 > c->cappre) {
		size_t cap = w + 1 < 1024 ? 1024 : 2 * (w + 1);
		uint64_t *p = cur_realloc_array(c->pre, cap, sizeof(*p));
		if (p)
			c->pre = p;
		uint64_t *q = cur_realloc_array(c->cpre, cap, sizeof(*q));
		if (q)
			c->cpre = q;
		if (!p || !q)
			return c->err = CUR_ENOMEM;
		c->cappre = cap;
	}
	flt_scan_hash_words(&c->scan);
	c->pre[0] = c->cpre[0] = 0;
	for (size_t i = 0; i < w; i++) {
		c->pre[i + 1] = c->pre[i] * HASH_BASE + c->scan.words[i].hash;
		c->cpre[i + 1] = c->cpre[i] + c->scan.words[i].chars;
	}
	c->have |= G_PRE;
	return CUR_OK;
}


/* find_top_duplicate: characters of the most frequent n-gram (" ".join)
 * times its count; ties go to the n-gram seen first (Counter.most_common). */
static double st_top_ngram(flt_ctx *c, int n)
{
	SCAN_OR_NAN(c);
	size_t w = c->scan.nwords;
	if (w < (size_t)n)
		return NAN;
	if (flt_group_pre(c) < 0)
		return NAN;
	if ((c->have & G_TOP_UNIQUE) && n > c->top_unique_n) {
		/* every shorter n-gram is unique, so every longer one is: the
		 * top one is the first, counted once */
		double chars = (double)(c->cpre[n] - c->cpre[0]) + n - 1;
		return ratio(chars, (double)c->scan.chars);
	}
	if (!c->exact && c->cur_on && (c->have & G_TOPB)) {
		/* a longer n-gram occurs at most as often as its prefix: if even the
		 * longest n-gram at that count passes, the rule passes */
		uint64_t longest = 0;
		for (size_t i = 0; i + n <= w; i++)
			if (c->cpre[i + n] - c->cpre[i] > longest)
				longest = c->cpre[i + n] - c->cpre[i];
		double bound = ratio(((double)longest + n - 1) * c->top_count_bound, (double)c->scan.chars);
		if (bound <= c->cur_thr)
			return bound;
	}
	if (flt_hset_clear(&c->hs, w) < 0)
		return NAN;
	uint64_t pw = flt_pow_base(n);
	uint32_t best = 0, first = 0;
	/* counts only grow, so the winner is known when its last count lands */
	for (size_t i = 0; i + n <= w; i++) {
		const flt_hslot *s = flt_hset_add(&c->hs, flt_ngram_hash(c, i, (size_t)n, pw), (uint32_t)i);
		if (s->count > best || (s->count == best && s->first < first)) {
			best = s->count;
			first = s->first;
		}
	}
	if (best == 1 && !(c->have & G_TOP_UNIQUE)) {
		c->have |= G_TOP_UNIQUE;
		c->top_unique_n = n;
	}
	if (!(c->have & G_TOPB) || best < c->top_count_bound) {
		c->have |= G_TOPB;
		c->top_count_bound = best;
	}
	double chars = (double)(c->cpre[first + n] - c->cpre[first]) + n - 1;
	return ratio(chars * best, (double)c->scan.chars);
}

/* Positions whose 5-gram occurred earlier, and for n = 5..10 the characters
 * covered by the windows [i, i+n) from them: find_all_duplicate(n) counts
 * only such windows, without overlap, so cover[n] bounds it. */
static int group_cover(flt_ctx *c)
{
	size_t w = c->scan.nwords;
	size_t end[11] = {0};
	memset(c->dup_cover, 0, sizeof(c->dup_cover));
	if (flt_group_pre(c) < 0 || flt_hset_clear(&c->hs, w) < 0)
		return c->err = CUR_ENOMEM;
	uint64_t pw = flt_pow_base(5);
	for (size_t i = 0; i + 5 <= w; i++) {
		if (flt_hset_add(&c->hs, flt_ngram_hash(c, i, 5, pw), (uint32_t)i)->count < 2)
			continue;
		for (int n = 5; n <= 10; n++) {
			size_t to = i + (size_t)n < w ? i + (size_t)n : w;
			size_t from = i > end[n] ? i : end[n];
			if (to > from)
				c->dup_cover[n] += (double)(c->cpre[to] - c->cpre[from]);
			if (to > end[n])
				end[n] = to;
		}
	}
	c->have |= G_COVER;
	return CUR_OK;
}

/* find_all_duplicate: characters ("".join) of n-grams seen before, skipping
 * past each repeat. */
static double st_dup_ngram(flt_ctx *c, int n)
{
	SCAN_OR_NAN(c);
	size_t w = c->scan.nwords;
	if (w < (size_t)n)
		return NAN;
	if (!c->exact && c->cur_on && n >= 5 && n <= 10) {
		if (!(c->have & G_COVER) && group_cover(c) < 0)
			return NAN;
		double bound = ratio(c->dup_cover[n], (double)c->scan.chars);
		if (bound <= c->cur_thr)
			return bound;
	}
	/* no repeated shorter n-gram means no repeated longer one */
	if ((c->have & G_NO_REPEAT) && n > c->no_repeat_n)
		return 0;
	if (flt_group_pre(c) < 0 || flt_hset_clear(&c->hs, w) < 0)
		return NAN;
	uint64_t pw = flt_pow_base(n), rep = 0;
	size_t i = 0;
	while (i + n <= w) {
		const flt_hslot *s = flt_hset_add(&c->hs, flt_ngram_hash(c, i, (size_t)n, pw), (uint32_t)i);
		if (s->count > 1) {
			rep += c->cpre[i + n] - c->cpre[i];
			i += (size_t)n;
		} else {
			i++;
		}
	}
	if (rep == 0 && !(c->have & G_NO_REPEAT)) {
		c->have |= G_NO_REPEAT;
		c->no_repeat_n = n;
	}
	return ratio((double)rep, (double)c->scan.chars);
}

static const flt_rule gopher_repetition[] = {
	{"max_dup_para_frac", "gopher-repetition:dup_para_frac", st_rep, V_PARA_FRAC, FLT_MAX, 0.3, "fraction of paragraphs that repeat an earlier one"},
	{"max_dup_para_char_frac", "gopher-repetition:dup_para_char_frac", st_rep, V_PARA_CHAR, FLT_MAX, 0.2, "characters in repeated paragraphs"},
	{"max_dup_line_frac", "gopher-repetition:dup_line_frac", st_rep, V_LINE_FRAC, FLT_MAX, 0.3, "fraction of lines that repeat an earlier one"},
	{"max_dup_line_char_frac", "gopher-repetition:dup_line_char_frac", st_rep, V_LINE_CHAR, FLT_MAX, 0.2, "characters in repeated lines"},
	{"max_top_2_gram", "gopher-repetition:top_2_gram", st_top_ngram, 2, FLT_MAX, 0.20, "characters of the most frequent 2-gram"},
	{"max_top_3_gram", "gopher-repetition:top_3_gram", st_top_ngram, 3, FLT_MAX, 0.18, "characters of the most frequent 3-gram"},
	{"max_top_4_gram", "gopher-repetition:top_4_gram", st_top_ngram, 4, FLT_MAX, 0.16, "characters of the most frequent 4-gram"},
	{"max_dup_5_grams", "gopher-repetition:dup_5_grams", st_dup_ngram, 5, FLT_MAX, 0.15, "characters in repeated 5-grams"},
	{"max_dup_6_grams", "gopher-repetition:dup_6_grams", st_dup_ngram, 6, FLT_MAX, 0.14, "characters in repeated 6-grams"},
	{"max_dup_7_grams", "gopher-repetition:dup_7_grams", st_dup_ngram, 7, FLT_MAX, 0.13, "characters in repeated 7-grams"},
	{"max_dup_8_grams", "gopher-repetition:dup_8_grams", st_dup_ngram, 8, FLT_MAX, 0.12, "characters in repeated 8-grams"},
	{"max_dup_9_grams", "gopher-repetition:dup_9_grams", st_dup_ngram, 9, FLT_MAX, 0.11, "characters in repeated 9-grams"},
	{"max_dup_10_grams", "gopher-repetition:dup_10_grams", st_dup_ngram, 10, FLT_MAX, 0.10, "characters in repeated 10-grams"},
};

/* ---- c4 ---------------------------------------------------------------- */

/* Indexes of the c4 table's PARAM rows below (keep in step). */
enum { C4_TERMINAL, C4_MIN_LINE_WORDS, C4_MAX_WORD_LEN, C4_CITATIONS, C4_JAVASCRIPT,
       C4_POLICY };

/* ASCII lower case of a byte (other bytes unchanged). */
static inline unsigned char low_byte(unsigned char b)
{
	return (b >= 'A' && b <= 'Z') ? (unsigned char)(b + 32) : b;
}

static int ci_eq(const unsigned char *p, const char *q, size_t n)
{
	for (size_t j = 0; j < n; j++)
		if (low_byte(p[j]) != (unsigned char)q[j])
			return 0;
	return 1;
}

/* Whether needle (lower-case ASCII, starting and ending with a letter, at
 * least 2 bytes) occurs in p[0..n) when A-Z are lower-cased. Sixteen
 * positions at a time: the first and last letters must match (x | 0x20
 * equals a lower-case letter only for that letter in either case), then
 * the candidates are checked; no lower-cased copy of the line is made. */
static int has_sub(const char *p, size_t n, const char *needle)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t m = strlen(needle), i = 0;
	if (n < m)
		return 0;
#ifdef __SSE2__
	const __m128i f = _mm_set1_epi8(needle[0]), l = _mm_set1_epi8(needle[m - 1]);
	const __m128i b20 = _mm_set1_epi8(0x20);
	for (; i + m - 1 + 16 <= n; i += 16) {
		__m128i a = _mm_or_si128(_mm_loadu_si128((const __m128i *)(u + i)), b20);
		__m128i z = _mm_or_si128(_mm_loadu_si128((const __m128i *)(u + i + m - 1)), b20);
		unsigned mask = (unsigned)_mm_movemask_epi8(
			_mm_and_si128(_mm_cmpeq_epi8(a, f), _mm_cmpeq_epi8(z, l)));
		while (mask) {
			unsigned k = (unsigned)__builtin_ctz(mask);
			if (ci_eq(u + i + k + 1, needle + 1, m - 2))
				return 1;
			mask &= mask - 1;
		}
	}
#endif
	for (; i + m <= n; i++)
		if (ci_eq(u + i, needle, m))
			return 1;
	return 0;
}

/* Remove "[1]", "[]", "[edit]", "[citation needed]" (C4's citation regex). */
static void strip_citations(cur_buf *b, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (p[i] == '[') {
			size_t j = i + 1;
			while (j < n && p[j] >= '0' && p[j] <= '9')
				j++;
			size_t k = 0;
			if (j < n && p[j] == ']')
				k = j + 1 - i;
			else if (n - i >= 6 && !memcmp(p + i, "[edit]", 6))
				k = 6;
			else if (n - i >= 17 && !memcmp(p + i, "[citation needed]", 17))
				k = 17;
			if (k) {
				i += k;
				continue;
			}
		}
		cur_buf_putc(b, p[i]);
		i++;
	}
}

/* Sentences as a sentence splitter would count them: runs of terminal
 * punctuation followed by a space or the end (closing quotes allowed). */
static size_t count_sentences(const char *p, size_t n)
{
	size_t k = 0, i = 0;
	while (i < n) {
		unsigned char b = (unsigned char)p[i];
		uint32_t cp = b;
		if (b < 0x80) {
			i++;
			if (b != '.' && b != '!' && b != '?')
				continue;
		} else {
			utf8proc_int32_t u;
			utf8proc_ssize_t r = utf8proc_iterate((const utf8proc_uint8_t *)p + i,
							      (utf8proc_ssize_t)(n - i), &u);
			i += r > 0 ? (size_t)r : 1;
			cp = r > 0 ? (uint32_t)u : 0;
			if (!flt_is_terminal(cp))
				continue;
		}
		while (i < n && (flt_is_terminal((unsigned char)p[i]) || p[i] == '"' ||
				 p[i] == '\'' || p[i] == ')'))
			i++;
		if (i >= n || p[i] == ' ' || p[i] == '\t' || cp >= 0x3000)
			k++;
	}
	return k ? k : (n > 0);
}

static int line_ends_c4(const char *p, size_t n)
{
	if (n == 0)
		return 0;
	char last = p[n - 1];
	if (last != '.' && last != '?' && last != '!' && last != '"' && last != '\'')
		return 0;
	return !(n >= 3 && !memcmp(p + n - 3, "...", 3));
}

static const char *const c4_policy[] = {"terms of use", "privacy policy", "cookie policy",
					  "uses cookies", "use of cookies", "use cookies"};

/* Room for 2 * n entries in c->keep; with no memory, no derived scan. */
static int keep_grow(flt_ctx *c, size_t n)
{
	uint32_t *k = cur_realloc_array(c->keep, 2 * n, sizeof(*k));
	if (!k)
		return CUR_ENOMEM;
	c->keep = k;
	c->capkeep = 2 * n;
	return CUR_OK;
}

static int c4_rewrite(flt_ctx *c)
{
	if (flt_ctx_scan(c) < 0)
		return c->err;
	const double *t = c->thr;
	size_t n = n_splitlines(c), sentences = 0, removed = 0, nkept = 0;
	cur_buf *out = flt_ctx_rewrite_begin(c);
	c->v[V_C4_LOREM] = c->v[V_C4_CURLY] = 0;
	/* while every kept line is a non-empty piece of the text, the new
	 * text's scan is derived from this one (see flt_scan_keep_lines) */
	int derive = 2 * n <= c->capkeep || keep_grow(c, n) == CUR_OK;
	for (size_t i = 0; i < n; i++) {
		const flt_line *l = &c->scan.lines[i];
		const char *p = c->text + l->off;
		size_t a = flt_lstrip_off(p, l->len), b = flt_rstrip_len(p, l->len);
		if (b < a)
			b = a;
		const char *s = p + a;
		size_t len = b - a;
		if (c->e->on[c->set][C4_MAX_WORD_LEN] && t[C4_MAX_WORD_LEN] >= 0 &&
		    l->max_ws_chars > t[C4_MAX_WORD_LEN])
			goto drop;
		if (t[C4_CITATIONS] != 0 && memchr(s, '[', len)) {
			cur_buf_reset(&c->tmp);
			strip_citations(&c->tmp, s, len);
			s = c->tmp.data ? c->tmp.data : "";
			len = c->tmp.len;
		}
		if (t[C4_TERMINAL] != 0 && !line_ends_c4(s, len))
			goto drop;
		if (l->ws_tokens < t[C4_MIN_LINE_WORDS])
			goto drop;
		if (has_sub(s, len, "lorem ipsum")) {
			c->v[V_C4_LOREM] = 1;
			break;
		}
		if (t[C4_JAVASCRIPT] != 0 && has_sub(s, len, "javascript"))
			goto drop;
		if (memchr(s, '{', len)) {
			c->v[V_C4_CURLY] = 1;
			break;
		}
		if (t[C4_POLICY] != 0) {
			size_t k;
			for (k = 0; k < sizeof(c4_policy) / sizeof(c4_policy[0]); k++)
				if (has_sub(s, len, c4_policy[k]))
					break;
			if (k < sizeof(c4_policy) / sizeof(c4_policy[0]))
				goto drop;
		}
		sentences += count_sentences(s, len);
		if (derive && (s != p + a || len == 0))
			derive = 0;
		if (derive) {
			c->keep[2 * nkept] = (uint32_t)i;
			c->keep[2 * nkept + 1] = (uint32_t)a;
			nkept++;
		}
		if (out->len)
			cur_buf_putc(out, '\n');
		cur_buf_append(out, s, len);
		continue;
drop:
		removed++;
	}
	c->v[V_C4_SENT] = (double)sentences;
	c->v[V_C4_REMOVED] = (double)removed;
	/* "\n".join(kept).strip(): lines are stripped already. An unchanged text
	 * keeps its scan for the rule sets after this one. */
	if (out->len != c->len || memcmp(out->data ? out->data : "", c->text, c->len) != 0) {
		flt_ctx_rewrite_end(c, out);
		if (!c->err && derive && nkept > 0) {
			flt_scan_keep_lines(&c->scan, c->text, c->len, c->keep, nkept);
			c->scanned = 1;
		}
	}
	return c->err;
}

static const flt_rule c4[] = {
	{"terminal_punct", NULL, NULL, 0, FLT_PARAM, 1, "1: keep only lines ending in . ? ! \" ' (not ...)"},
	{"min_words_per_line", NULL, NULL, 0, FLT_PARAM, 3, "drop lines with fewer words"},
	{"max_word_length", NULL, NULL, 0, FLT_PARAM, 1000, "drop lines with a longer word (-1: off)"},
	{"citations", NULL, NULL, 0, FLT_PARAM, 1, "1: remove [1], [edit], [citation needed]"},
	{"javascript", NULL, NULL, 0, FLT_PARAM, 1, "1: drop lines mentioning javascript"},
	{"policy", NULL, NULL, 0, FLT_PARAM, 1, "1: drop terms-of-use and cookie lines"},
	{"lines_removed", "c4:lines_removed", st_v, V_C4_REMOVED, FLT_INFO, 0, "lines removed"},
	{"lorem_ipsum", "c4:lorem_ipsum", st_v, V_C4_LOREM, FLT_FLAG, 1, "drop documents with \"lorem ipsum\""},
	{"curly_bracket", "c4:curly_bracket", st_v, V_C4_CURLY, FLT_FLAG, 1, "drop documents with '{'"},
	{"min_sentences", "c4:sentences", st_v, V_C4_SENT, FLT_MIN, 5, "sentences left after line removal"},
};

/* ---- fineweb ----------------------------------------------------------- */

enum { FW_SHORT_LEN };

static size_t fw_lines(flt_ctx *c)
{
	return c->scan.nlines - count_line_flag(c, c->scan.nlines, FLT_L_BLANK);
}

static double st_fw_empty(flt_ctx *c, int arg)
{
	(void)arg;
	SCAN_OR_NAN(c);
	return fw_lines(c) == 0;
}

static double st_fw_punct(flt_ctx *c, int arg)
{
	(void)arg;
	SCAN_OR_NAN(c);
	size_t k = 0;
	for (size_t i = 0; i < c->scan.nlines; i++) {
		uint32_t f = c->scan.lines[i].flags;
		k += !(f & FLT_L_BLANK) && (f & FLT_L_TERM_RAW);
	}
	return ratio((double)k, (double)fw_lines(c));
}

static double st_fw_short(flt_ctx *c, int arg)
{
	(void)arg;
	SCAN_OR_NAN(c);
	size_t k = 0;
	for (size_t i = 0; i < c->scan.nlines; i++) {
		const flt_line *l = &c->scan.lines[i];
		k += !(l->flags & FLT_L_BLANK) && l->chars <= c->thr[FW_SHORT_LEN];
	}
	return ratio((double)k, (double)fw_lines(c));
}

static double st_fw_dup(flt_ctx *c, int arg)
{
	(void)arg;
	SCAN_OR_NAN(c);
	if (flt_hset_clear(&c->hs, c->scan.nlines) < 0) {
		c->err = CUR_ENOMEM;
		return NAN;
	}
	size_t dup = 0;
	flt_scan_hash_lines(&c->scan);
	for (size_t i = 0; i < c->scan.nlines; i++) {
		const flt_line *l = &c->scan.lines[i];
		if (l->flags & FLT_L_BLANK)
			continue;
		if (flt_hset_add(&c->hs, l->hash, 0)->count > 1)
			dup += l->chars;
	}
	return ratio((double)dup, (double)(c->scan.chars - c->scan.newlines));
}

static double st_fw_list(flt_ctx *c, int arg)
{
	(void)arg;
	SCAN_OR_NAN(c);
	return ratio((double)c->scan.newlines, (double)c->scan.nwords);
}

static const flt_rule fineweb[] = {
	{"short_line_length", NULL, NULL, 0, FLT_PARAM, 30, "a line of at most this many characters is short"},
	{"empty", "fineweb:empty", st_fw_empty, 0, FLT_FLAG, 1, "drop documents without a non-blank line"},
	{"min_line_punct", "fineweb:line_punct_ratio", st_fw_punct, 0, FLT_MIN, 0.12, "fraction of lines ending in terminal punctuation"},
	{"max_short_lines", "fineweb:short_line_ratio", st_fw_short, 0, FLT_MAX, 0.67, "fraction of short lines"},
	{"max_dup_line_chars", "fineweb:char_dup_ratio", st_fw_dup, 0, FLT_MAX, 0.01, "characters in repeated lines over non-newline characters"},
	{"max_newlines_per_word", "fineweb:list_ratio", st_fw_list, 0, FLT_MAX, 0.3, "newlines per word"},
};

/* ---- length ---------------------------------------------------------------- */

static double st_chars(flt_ctx *c, int arg)
{
	(void)arg;
	SCAN_OR_NAN(c);
	return (double)c->scan.chars;
}

/* Fraction of letters written in an allowed script (NAN without letters). */
static double st_script(flt_ctx *c, int arg)
{
	(void)arg;
	if (!c->e->have_scripts)
		return NAN;
	size_t letters = 0, ok = 0, i = 0;
	const unsigned char *u = (const unsigned char *)c->text;
	while (i < c->len) {
		utf8proc_int32_t cp;
		if (u[i] < 0x80) {
			cp = u[i++];
			if ((cp | 32) >= 'a' && (cp | 32) <= 'z') {
				letters++;
				ok += c->e->scripts[CUR_SCRIPT_LATIN];
			}
			continue;
		}
		utf8proc_ssize_t k = utf8proc_iterate(u + i, (utf8proc_ssize_t)(c->len - i), &cp);
		i += k > 0 ? (size_t)k : 1;
		int cat = utf8proc_category(cp);
		if (cat < UTF8PROC_CATEGORY_LU || cat > UTF8PROC_CATEGORY_LO)
			continue;
		letters++;
		ok += c->e->scripts[cur_script_of((uint32_t)cp)];
	}
	return ratio((double)ok, (double)letters);
}

static const flt_rule length[] = {
	{"min_chars", "length:chars", st_chars, 0, FLT_MIN, 1, "characters (code points)"},
	{"max_chars", "length:chars", st_chars, 0, FLT_MAX, INFINITY, "characters (code points)"},
	{"min_words", "length:words", st_words, 0, FLT_MIN, 0, "words, not counting symbol-only tokens"},
	{"min_script_fraction", "length:script_fraction", st_script, 0, FLT_MIN, 0.5, "fraction of letters in the --scripts list"},
};

#define ROWS(t) t, sizeof(t) / sizeof(t[0])

const flt_ruleset flt_rulesets[] = {
	{"length", ROWS(length), NULL, 1},
	{"gopher-quality", ROWS(gopher_quality), NULL, 1},
	{"gopher-repetition", ROWS(gopher_repetition), NULL, 1},
	{"c4", ROWS(c4), c4_rewrite, 1},
	{"fineweb", ROWS(fineweb), NULL, 1},
	{"llama3", flt_rules_llama3, FLT_LLAMA3_RULES, flt_llama3_rewrite, 0},
	{"safety", flt_rules_safety, FLT_SAFETY_RULES, NULL, 1},
};
const size_t flt_nrulesets = sizeof(flt_rulesets) / sizeof(flt_rulesets[0]);
