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
#include "filters/filter_int.h"

/* Cached groups (ctx->have) and cached values (ctx->v). */
enum { G_SCAN = 1, G_PARA = 2, G_LINES = 4, G_PRE = 8, G_FWDUP = 16, G_DIRTY = 32,
       G_SCRIPT = 64, G_FOLD = 128, G_NO_REPEAT = 256, G_TOP_UNIQUE = 512, G_TOPB = 1024,
       G_COVER = 2048 };
enum { V_PARA_FRAC, V_PARA_CHAR, V_LINE_FRAC, V_LINE_CHAR, V_FW_DUP, V_DIRTY,
       V_SCRIPT, V_C4_SENT, V_C4_LOREM, V_C4_CURLY, V_C4_REMOVED, V_L3_REMOVED,
       V_L3_EMPTY };

#define SCAN_OR_NAN(c) do { if (flt_ctx_scan(c) < 0) return NAN; } while (0)

static double ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

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

static double st_v(flt_ctx *c, int i)
{
	return c->v[i];
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

#define HASH_BASE 0x9E3779B97F4A7C15ull

/* Prefix sums of word hashes (polynomial) and of word lengths, so that any
 * n-gram's hash and " ".join length is O(1). */
static int group_pre(flt_ctx *c)
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

static uint64_t pow_base(int n)
{
	uint64_t p = 1;
	for (int i = 0; i < n; i++)
		p *= HASH_BASE;
	return p;
}

static inline uint64_t ngram_hash(const flt_ctx *c, size_t i, size_t n, uint64_t pw)
{
	return c->pre[i + n] - c->pre[i] * pw;
}

/* find_top_duplicate: characters of the most frequent n-gram (" ".join)
 * times its count; ties go to the n-gram seen first (Counter.most_common). */
static double st_top_ngram(flt_ctx *c, int n)
{
	SCAN_OR_NAN(c);
	size_t w = c->scan.nwords;
	if (w < (size_t)n)
		return NAN;
	if (group_pre(c) < 0)
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
	uint64_t pw = pow_base(n);
	uint32_t best = 0, first = 0;
	/* counts only grow, so the winner is known when its last count lands */
	for (size_t i = 0; i + n <= w; i++) {
		const flt_hslot *s = flt_hset_add(&c->hs, ngram_hash(c, i, (size_t)n, pw), (uint32_t)i);
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

/* find_all_duplicate: characters ("".join) of n-grams seen before, skipping
 * past each repeat. */
/* Positions whose 5-gram occurred earlier, and for n = 5..10 the characters
 * covered by the windows [i, i+n) from them: find_all_duplicate(n) counts
 * only such windows, without overlap, so cover[n] bounds it. */
static int group_cover(flt_ctx *c)
{
	size_t w = c->scan.nwords;
	size_t end[11] = {0};
	memset(c->dup_cover, 0, sizeof(c->dup_cover));
	if (group_pre(c) < 0 || flt_hset_clear(&c->hs, w) < 0)
		return c->err = CUR_ENOMEM;
	uint64_t pw = pow_base(5);
	for (size_t i = 0; i + 5 <= w; i++) {
		if (flt_hset_add(&c->hs, ngram_hash(c, i, 5, pw), (uint32_t)i)->count < 2)
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
	if (group_pre(c) < 0 || flt_hset_clear(&c->hs, w) < 0)
		return NAN;
	uint64_t pw = pow_base(n), rep = 0;
	size_t i = 0;
	while (i + n <= w) {
		const flt_hslot *s = flt_hset_add(&c->hs, ngram_hash(c, i, (size_t)n, pw), (uint32_t)i);
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

/* Duplicated n-gram coverage per line: the fraction of a line's word
 * characters covered by n-grams that occurred earlier in the document. A
 * line above the threshold repeats earlier content (logs, error messages,
 * boilerplate) and is removed, while its first occurrence stays. */
static int l3_rewrite(flt_ctx *c);

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

/* ---- length ---------------------------------------------------------------- */

static double st_chars(flt_ctx *c, int arg)
{
	(void)arg;
	SCAN_OR_NAN(c);
	return (double)c->scan.chars;
}

typedef struct script_range {
	uint32_t lo, hi;
	unsigned char id;
} script_range;

const char *const flt_script_names[] = {
	"latin", "greek", "cyrillic", "armenian", "hebrew", "arabic", "devanagari",
	"bengali", "gurmukhi", "gujarati", "oriya", "tamil", "telugu", "kannada",
	"malayalam", "sinhala", "thai", "lao", "tibetan", "myanmar", "georgian",
	"hangul", "ethiopic", "khmer", "han", "hiragana", "katakana", "other", NULL};

static const script_range scripts[] = {
	{0x0000, 0x02AF, 0}, {0x0370, 0x03FF, 1}, {0x0400, 0x052F, 2}, {0x0530, 0x058F, 3},
	{0x0590, 0x05FF, 4}, {0x0600, 0x06FF, 5}, {0x0750, 0x077F, 5}, {0x08A0, 0x08FF, 5},
	{0x0900, 0x097F, 6}, {0x0980, 0x09FF, 7}, {0x0A00, 0x0A7F, 8}, {0x0A80, 0x0AFF, 9},
	{0x0B00, 0x0B7F, 10}, {0x0B80, 0x0BFF, 11}, {0x0C00, 0x0C7F, 12}, {0x0C80, 0x0CFF, 13},
	{0x0D00, 0x0D7F, 14}, {0x0D80, 0x0DFF, 15}, {0x0E00, 0x0E7F, 16}, {0x0E80, 0x0EFF, 17},
	{0x0F00, 0x0FFF, 18}, {0x1000, 0x109F, 19}, {0x10A0, 0x10FF, 20}, {0x1100, 0x11FF, 21},
	{0x1200, 0x139F, 22}, {0x1780, 0x17FF, 23}, {0x1C80, 0x1C8F, 2}, {0x1E00, 0x1EFF, 0},
	{0x1F00, 0x1FFF, 1}, {0x2C60, 0x2C7F, 0}, {0x2DE0, 0x2DFF, 2}, {0x2E80, 0x2FDF, 24},
	{0x3040, 0x309F, 25}, {0x30A0, 0x30FF, 26}, {0x3130, 0x318F, 21}, {0x31F0, 0x31FF, 26},
	{0x3400, 0x4DBF, 24}, {0x4E00, 0x9FFF, 24}, {0xA640, 0xA69F, 2}, {0xA720, 0xA7FF, 0},
	{0xAC00, 0xD7AF, 21}, {0xF900, 0xFAFF, 24}, {0xFB1D, 0xFB4F, 4}, {0xFB50, 0xFDFF, 5},
	{0xFE70, 0xFEFF, 5}, {0xFF21, 0xFF5A, 0}, {0xFF66, 0xFF9F, 26}, {0x20000, 0x3134F, 24},
};

static int script_of(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(scripts) / sizeof(scripts[0]);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cp < scripts[mid].lo)
			hi = mid;
		else if (cp > scripts[mid].hi)
			lo = mid + 1;
		else
			return scripts[mid].id;
	}
	return 27;
}

int flt_script_id(const char *name)
{
	for (int i = 0; flt_script_names[i]; i++)
		if (!strcasecmp(name, flt_script_names[i]))
			return i;
	return -1;
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
				ok += c->e->scripts[0];
			}
			continue;
		}
		utf8proc_ssize_t k = utf8proc_iterate(u + i, (utf8proc_ssize_t)(c->len - i), &cp);
		i += k > 0 ? (size_t)k : 1;
		int cat = utf8proc_category(cp);
		if (cat < UTF8PROC_CATEGORY_LU || cat > UTF8PROC_CATEGORY_LO)
			continue;
		letters++;
		ok += c->e->scripts[script_of((uint32_t)cp)];
	}
	return ratio((double)ok, (double)letters);
}

static const flt_rule length[] = {
	{"min_chars", "length:chars", st_chars, 0, FLT_MIN, 1, "characters (code points)"},
	{"max_chars", "length:chars", st_chars, 0, FLT_MAX, INFINITY, "characters (code points)"},
	{"min_words", "length:words", st_words, 0, FLT_MIN, 0, "words, not counting symbol-only tokens"},
	{"min_script_fraction", "length:script_fraction", st_script, 0, FLT_MIN, 0.5, "fraction of letters in the --scripts list"},
};

static const flt_rule safety[] = {
	{"min_dirty_words", NULL, NULL, 0, FLT_PARAM, 3, "fewer dirty-word matches never drop by fraction"},
	{"blocked_url", "safety:blocked_url", st_blocked, 0, FLT_FLAG, 1, "the URL's host, domain or a substring is on a --blocklist"},
	{"max_dirty_words", "safety:dirty_words", st_dirty_count, 0, FLT_MAX, INFINITY, "dirty-word matches (default: no limit)"},
	{"max_dirty_fraction", "safety:dirty_fraction", st_dirty_frac, 0, FLT_MAX, 0.005, "dirty-word matches per word (when at least min_dirty_words)"},
};

enum { L3_MAX_COVERAGE = 3, L3_MIN_DIRTY = 6 };

static const flt_rule llama3[] = {
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

static int l3_rewrite(flt_ctx *c)
{
	if (flt_ctx_scan(c) < 0)
		return c->err;
	int n = (int)c->thr[L3_NGRAM];
	size_t w = c->scan.nwords, removed = 0, nl = c->scan.nlines;
	if (n < 1)
		n = 1;
	if (group_pre(c) < 0 || flt_hset_clear(&c->hs, w) < 0)
		return c->err = CUR_ENOMEM;
	uint64_t pw = pow_base(n);
	cur_buf *out = flt_ctx_rewrite_begin(c);
	size_t kept = 0;
	for (size_t li = 0; li < nl; li++) {
		const flt_line *l = &c->scan.lines[li];
		size_t a = l->first_word, b = a + l->nwords;
		size_t covered_to = a, covered = 0;
		/* a word is covered when an n-gram holding it was seen before */
		for (size_t i = a; i + (size_t)n <= b; i++) {
			uint64_t h = ngram_hash(c, i, (size_t)n, pw);
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

#define ROWS(t) t, sizeof(t) / sizeof(t[0])

const flt_ruleset flt_rulesets[] = {
	{"length", ROWS(length), NULL, 1},
	{"gopher-quality", ROWS(gopher_quality), NULL, 1},
	{"gopher-repetition", ROWS(gopher_repetition), NULL, 1},
	{"c4", ROWS(c4), c4_rewrite, 1},
	{"fineweb", ROWS(fineweb), NULL, 1},
	{"llama3", ROWS(llama3), l3_rewrite, 0},
	{"safety", ROWS(safety), NULL, 1},
};
const size_t flt_nrulesets = sizeof(flt_rulesets) / sizeof(flt_rulesets[0]);
