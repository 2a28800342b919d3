/* The one pass over a document: words, lines and the counts that several
 * rule sets share. The text is valid UTF-8 (the document guarantees it). */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "core/buf.h"
#include "core/utf8.h"
#include "filters/filter_int.h"

enum { C_SPACE, C_WORD, C_LETTER, C_CJK, C_MARK, C_JOIN, C_SYM, C_NL };

/* ASCII bytes that continue a word: 1 digit or '_', 2|1 lower-case letter,
 * 4|2|1 upper-case letter. */
static const unsigned char ascii_word[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1, ['_'] = 1,
	['A'] = 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	['a'] = 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

/* The end of the run of ASCII word bytes (ascii_word != 0) that starts at
 * i, with the OR of their ascii_word values in *alpha. Sixteen bytes at a
 * time: a word's end is found without a mispredicted branch per byte. */
static inline size_t ascii_run(const unsigned char *u, size_t i, size_t len, unsigned *alpha)
{
	size_t j = i;
	unsigned al = 0;
#ifdef __SSE2__
	while (j + 16 <= len) {
		__m128i v = _mm_loadu_si128((const __m128i *)(u + j));
		__m128i lo = _mm_or_si128(v, _mm_set1_epi8(0x20));
		/* signed compares: bytes >= 0x80 are negative, so never match */
		__m128i letter = _mm_and_si128(_mm_cmpgt_epi8(lo, _mm_set1_epi8('a' - 1)),
					       _mm_cmplt_epi8(lo, _mm_set1_epi8('z' + 1)));
		__m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
					      _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
		__m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
					      _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
		__m128i word = _mm_or_si128(_mm_or_si128(letter, digit),
					    _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
		unsigned m = (unsigned)_mm_movemask_epi8(word);
		unsigned n = (unsigned)__builtin_ctz(~m | 0x10000u);
		unsigned in = (1u << n) - 1;
		al |= in ? 1 : 0;
		if ((unsigned)_mm_movemask_epi8(letter) & in)
			al |= 2;
		if ((unsigned)_mm_movemask_epi8(upper) & in)
			al |= 4;
		j += n;
		if (n < 16) {
			*alpha = al;
			return j;
		}
	}
#endif
	unsigned a;
	while (j < len && (a = ascii_word[u[j]]) != 0) {
		al |= a;
		j++;
	}
	*alpha = al;
	return j;
}

/* Decode one code point of valid UTF-8; returns its length. */
static inline size_t decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xE0 && n >= 2) {
		*cp = ((c & 0x1Fu) << 6) | (p[1] & 0x3Fu);
		return 2;
	}
	if (c < 0xF0 && n >= 3) {
		*cp = ((c & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
		return 3;
	}
	if (n >= 4) {
		*cp = ((c & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) |
		      (p[3] & 0x3Fu);
		return 4;
	}
	*cp = 0xFFFD;
	return 1;
}

/* Scripts written without spaces between words: each character is a word. */
static int no_space_script(uint32_t cp)
{
	return (cp >= 0x0E00 && cp <= 0x0EFF) ||   /* Thai, Lao */
	       (cp >= 0x1000 && cp <= 0x109F) ||   /* Myanmar */
	       (cp >= 0x1780 && cp <= 0x17FF) ||   /* Khmer */
	       (cp >= 0x2E80 && cp <= 0x2FDF) ||   /* CJK radicals */
	       (cp >= 0x3040 && cp <= 0x30FF) ||   /* kana */
	       (cp >= 0x31F0 && cp <= 0x31FF) ||
	       (cp >= 0x3400 && cp <= 0x4DBF) ||
	       (cp >= 0x4E00 && cp <= 0x9FFF) ||
	       (cp >= 0xF900 && cp <= 0xFAFF) ||
	       (cp >= 0x20000 && cp <= 0x3134F);
}

/* Classes of ASCII characters (the common case, without branches). */
static const unsigned char ascii_class[128] = {
	C_SPACE, C_SPACE, C_SPACE, C_SPACE, C_SPACE, C_SPACE, C_SPACE, C_SPACE,
	C_SPACE, C_SPACE, C_NL, C_SPACE, C_SPACE, C_SPACE, C_SPACE, C_SPACE,
	C_SPACE, C_SPACE, C_SPACE, C_SPACE, C_SPACE, C_SPACE, C_SPACE, C_SPACE,
	C_SPACE, C_SPACE, C_SPACE, C_SPACE, C_SPACE, C_SPACE, C_SPACE, C_SPACE,
	[' '] = C_SPACE, ['!'] = C_SYM, C_SYM, C_SYM, C_SYM, C_SYM, C_SYM, ['\''] = C_JOIN,
	['('] = C_SYM, C_SYM, C_SYM, C_SYM, C_SYM, ['-'] = C_JOIN, ['.'] = C_SYM, C_SYM,
	['0'] = C_WORD, C_WORD, C_WORD, C_WORD, C_WORD, C_WORD, C_WORD, C_WORD, C_WORD, C_WORD,
	[':'] = C_SYM, C_SYM, C_SYM, C_SYM, C_SYM, C_SYM, C_SYM,
	['A'] = C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER,
	C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER,
	C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER,
	['['] = C_SYM, C_SYM, C_SYM, C_SYM, ['_'] = C_WORD, ['`'] = C_SYM,
	['a'] = C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER,
	C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER,
	C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER, C_LETTER,
	['{'] = C_SYM, C_SYM, C_SYM, C_SYM, [0x7F] = C_SPACE,
};

static int classify(uint32_t cp)
{
	if (cp < 0x80)
		return ascii_class[cp];
	if (cp == 0x2019 || cp == 0x2010)
		return C_JOIN;
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
		return no_space_script(cp) ? C_CJK : C_LETTER;
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
		return C_MARK;
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
	case UTF8PROC_CATEGORY_PC:
		return C_WORD;
	case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
	case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF:
		return C_SPACE;
	default:
		return C_SYM;
	}
}

static int is_space_cp(uint32_t cp)
{
	return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F) ||
	       cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* classify() and is_space_cp() of every code point of the Basic
 * Multilingual Plane, computed once per process (a constant table after
 * that): a lookup instead of a utf8proc property search per character. */
#define BMP_SPACE 0x10
static unsigned char bmp_class[0x10000];
static pthread_once_t bmp_once = PTHREAD_ONCE_INIT;

static void bmp_build(void)
{
	for (uint32_t cp = 0; cp < 0x10000; cp++)
		bmp_class[cp] = (unsigned char)(classify(cp) | (is_space_cp(cp) ? BMP_SPACE : 0));
}

static inline unsigned class_of(uint32_t cp)
{
	if (cp < 0x10000)
		return bmp_class[cp];
	return (unsigned)classify(cp) | (is_space_cp(cp) ? BMP_SPACE : 0);
}

int flt_is_terminal(uint32_t cp)
{
	switch (cp) {
	case '.': case '!': case '?':
	case 0x0589: case 0x061F: case 0x06D4: case 0x0700: case 0x0701: case 0x0702:
	case 0x0964: case 0x0965: case 0x104A: case 0x104B: case 0x1362: case 0x1367:
	case 0x1368: case 0x166E: case 0x17D4: case 0x17D5: case 0x1803: case 0x1809:
	case 0x203C: case 0x203D: case 0x2047: case 0x2048: case 0x2049: case 0x2026:
	case 0x3002: case 0xFE12: case 0xFE52: case 0xFE56: case 0xFE57: case 0xFF01:
	case 0xFF0E: case 0xFF1F: case 0xFF61: case 0x061B:
		return 1;
	default:
		return 0;
	}
}

uint32_t flt_last_cp(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if ((unsigned char)s[n - 1] < 0x80)
		return (unsigned char)s[n - 1];
	size_t i = n - 1;
	while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
		i--;
	uint32_t cp;
	decode((const unsigned char *)s + i, n - i, &cp);
	return cp;
}


/* Python's str.rstrip(): length without trailing whitespace. */
size_t flt_rstrip_len(const char *s, size_t n)
{
	/* the common case: the last byte is printable ASCII */
	if (n > 0 && (unsigned char)s[n - 1] > ' ' && (unsigned char)s[n - 1] < 0x80)
		return n;
	while (n > 0) {
		size_t i = n - 1;
		while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
			i--;
		uint32_t cp;
		decode((const unsigned char *)s + i, n - i, &cp);
		if (!is_space_cp(cp))
			break;
		n = i;
	}
	return n;
}

/* Python's str.lstrip(): offset of the first non-whitespace byte. */
size_t flt_lstrip_off(const char *s, size_t n)
{
	if (n > 0 && (unsigned char)s[0] > ' ' && (unsigned char)s[0] < 0x80)
		return 0;
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = decode((const unsigned char *)s + i, n - i, &cp);
		if (!is_space_cp(cp))
			break;
		i += k;
	}
	return i;
}

void flt_scan_init(flt_scan *s)
{
	memset(s, 0, sizeof(*s));
}

void flt_scan_release(flt_scan *s)
{
	free(s->words);
	free(s->lines);
	memset(s, 0, sizeof(*s));
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return CUR_OK;
	size_t n = *cap ? *cap : 256;
	while (n < need)
		n *= 2;
	void *q = cur_realloc_array(*p, n, size);
	if (!q)
		return CUR_ENOMEM;
	*p = q;
	*cap = n;
	return CUR_OK;
}

/* The token being built. */
typedef struct tok_state {
	int kind;          /* 0 none, C_WORD (letters etc.), C_CJK, C_SYM */
	size_t start, chars;
	uint32_t sym_cp;   /* the repeated character of a symbol run */
	uint32_t flags;
	size_t join_at;    /* byte offset of a pending ' or -, or SIZE_MAX */
	int join_digit;    /* the pending joiner sits in a number: 3.5, 1,000 */
	int last_digit;    /* the word's last character is an ASCII digit */
} tok_state;

/* Little-endian-independent packing of 2, 3 or 4 bytes for is_stop(). */
#define PK2(a, b) ((uint32_t)(unsigned char)(a) | (uint32_t)(unsigned char)(b) << 8)
#define PK3(a, b, c) (PK2(a, b) | (uint32_t)(unsigned char)(c) << 16)
#define PK4(a, b, c, d) (PK3(a, b, c) | (uint32_t)(unsigned char)(d) << 24)

/* One of the eight stop words: the bytes packed into an integer and compared
 * (no memcmp call per word). */
static inline int is_stop(const char *p, size_t n)
{
	if (n < 2 || n > 4)
		return 0;
	const unsigned char *u = (const unsigned char *)p;
	uint32_t v = PK2(u[0], u[1]);
	switch (n) {
	case 2:
		return v == PK2('b', 'e') || v == PK2('t', 'o') || v == PK2('o', 'f');
	case 3:
		v |= (uint32_t)u[2] << 16;
		return v == PK3('t', 'h', 'e') || v == PK3('a', 'n', 'd');
	default:
		v |= (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
		return v == PK4('t', 'h', 'a', 't') || v == PK4('h', 'a', 'v', 'e') ||
		       v == PK4('w', 'i', 't', 'h');
	}
}

static inline __attribute__((always_inline)) int emit(flt_scan *s, tok_state *t, size_t end, uint32_t line)
{
	if (!t->kind)
		return CUR_OK;
	if (s->nwords >= s->capw)
		CUR_FORWARD(grow((void **)&s->words, &s->capw, s->nwords + 1, sizeof(flt_word)));
	flt_word *w = &s->words[s->nwords++];
	w->off = (uint32_t)t->start;
	w->len = (uint32_t)(end - t->start);
	w->chars = (uint32_t)t->chars;
	w->line = line;
	w->flags = t->flags;
	if (t->kind == C_SYM)
		w->flags |= FLT_W_SYMBOL;
	else if (is_stop(s->text + w->off, w->len))
		w->flags |= FLT_W_STOP;
	if (w->flags & FLT_W_SYMBOL)
		s->symbol_words++;
	else
		s->word_chars += w->chars;
	s->alpha_words += (w->flags & FLT_W_ALPHA) != 0;
	s->cjk_words += (w->flags & FLT_W_CJK) != 0;
	s->stop_words += (w->flags & FLT_W_STOP) != 0;
	t->kind = 0;
	return CUR_OK;
}

/* A pending joiner that no word character followed becomes a symbol run. */
static int settle_join(flt_scan *s, tok_state *t, uint32_t line)
{
	if (t->join_at == SIZE_MAX)
		return CUR_OK;
	size_t at = t->join_at;
	t->join_at = SIZE_MAX;
	t->chars--; /* the joiner was counted as one of the word's chars */
	CUR_FORWARD(emit(s, t, at, line));
	uint32_t cp;
	decode((const unsigned char *)s->text + at, s->len - at, &cp);
	t->kind = C_SYM;
	t->start = at;
	t->chars = 1;
	t->sym_cp = cp;
	t->flags = 0;
	return CUR_OK;
}

static void start(tok_state *t, int kind, size_t at, uint32_t cp, uint32_t flags)
{
	t->kind = kind;
	t->start = at;
	t->chars = 1;
	t->sym_cp = cp;
	t->flags = flags;
	t->last_digit = cp >= '0' && cp <= '9';
}

static int end_line(flt_scan *s, size_t line_start, size_t end, size_t first_word,
		    uint32_t ws_tokens, uint32_t max_ws, size_t chars)
{
	CUR_FORWARD(grow((void **)&s->lines, &s->capl, s->nlines + 1, sizeof(flt_line)));
	flt_line *l = &s->lines[s->nlines];
	size_t len = end - line_start;
	const char *p = s->text + line_start;
	if (len > 0 && p[len - 1] == '\r') {
		len--;
		chars--;
	}
	l->off = (uint32_t)line_start;
	l->len = (uint32_t)len;
	l->chars = (uint32_t)chars;
	l->first_word = (uint32_t)first_word;
	l->nwords = (uint32_t)(s->nwords - first_word);
	l->ws_tokens = ws_tokens;
	l->max_ws_chars = max_ws;
	l->flags = 0;
	size_t a = flt_lstrip_off(p, len), b = flt_rstrip_len(p, len);
	if (a >= len) {
		l->flags |= FLT_L_BLANK;
	} else {
		if (p[a] == '-' || (len - a >= 3 && !memcmp(p + a, "\xE2\x80\xA2", 3)))
			l->flags |= FLT_L_BULLET;
		if ((b >= 3 && !memcmp(p + b - 3, "...", 3)) ||
		    (b >= 3 && !memcmp(p + b - 3, "\xE2\x80\xA6", 3)))
			l->flags |= FLT_L_ELLIPSIS;
	}
	if (flt_is_terminal(flt_last_cp(p, len)))
		l->flags |= FLT_L_TERM_RAW;
	s->nlines++;
	return CUR_OK;
}

int flt_scan_text(flt_scan *s, const char *text, size_t len)
{
	s->text = text;
	s->len = len;
	s->chars = s->newlines = s->hashes = s->ellipses = 0;
	s->symbol_words = s->alpha_words = s->cjk_words = s->stop_words = 0;
	s->word_chars = 0;
	s->nwords = s->nlines = 0;
	s->words_hashed = s->lines_hashed = 0;
	if (len > UINT32_MAX)
		return CUR_ELIMIT;
	pthread_once(&bmp_once, bmp_build);
	tok_state t = {0, 0, 0, 0, 0, SIZE_MAX, 0, 0};
	const unsigned char *u = (const unsigned char *)text;
	size_t line_start = 0, line_word = 0, dots = 0, ws_chars = 0;
	uint32_t ws_tokens = 0, max_ws = 0;
	int in_ws_token = 0;
	uint32_t line = 0;
	size_t i = 0, line_chars0 = 0;
	while (i < len) {
		/* fast paths for ASCII words and single spaces, the bulk of most
		 * texts; everything else takes the general path below */
		unsigned a = ascii_word[u[i]];
		if (a && t.join_at == SIZE_MAX && (t.kind == C_WORD || a & 2)) {
			if (t.kind != C_WORD) {
				/* a letter starts a word (a digit after a symbol takes
				 * the general path: it may join a number) */
				CUR_FORWARD(emit(s, &t, i, line));
				start(&t, C_WORD, i, u[i], 0);
				t.chars = 0;
				if (!in_ws_token) {
					ws_tokens++;
					ws_chars = 0;
					in_ws_token = 1;
				}
			}
			unsigned alpha;
			size_t j = ascii_run(u, i, len, &alpha);
			size_t n = j - i;
			t.chars += n;
			s->chars += n;
			ws_chars += n;
			dots = 0;
			if (alpha & 2)
				t.flags |= FLT_W_ALPHA;
			if (alpha & 4)
				t.flags |= FLT_W_FOLD;
			t.last_digit = u[j - 1] >= '0' && u[j - 1] <= '9';
			i = j;
			continue;
		}
		if (u[i] == ' ' && t.join_at == SIZE_MAX) {
			CUR_FORWARD(emit(s, &t, i, line));
			if (in_ws_token && ws_chars > max_ws)
				max_ws = (uint32_t)ws_chars;
			in_ws_token = 0;
			dots = 0;
			s->chars++;
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = u[i] < 0x80 ? (cp = u[i], 1) : decode(u + i, len - i, &cp);
		unsigned cl = cp < 0x80 ? ascii_class[cp] : class_of(cp);
		int c = (int)(cl & 0x0F);
		s->chars++;
		if (cp >= 0x80 && t.kind == C_WORD && t.join_at == SIZE_MAX &&
		    (c == C_LETTER || c == C_WORD || c == C_MARK)) {
			/* a non-ASCII letter, mark or digit continuing a word (inside
			 * a word the str.split() token is open): the general path's
			 * effects, without its tests */
			ws_chars++;
			dots = 0;
			t.chars++;
			t.last_digit = 0;
			t.flags |= FLT_W_FOLD | (c == C_LETTER ? FLT_W_ALPHA : 0);
			i += k;
			continue;
		}
		/* str.split() tokens for C4 */
		if (c == C_SPACE || c == C_NL || (cl & BMP_SPACE)) {
			if (in_ws_token && ws_chars > max_ws)
				max_ws = (uint32_t)ws_chars;
			in_ws_token = 0;
		} else {
			if (!in_ws_token) {
				ws_tokens++;
				ws_chars = 0;
			}
			in_ws_token = 1;
			ws_chars++;
		}
		/* "..." counted as str.count does: non-overlapping */
		if (cp == '.') {
			if (++dots == 3) {
				s->ellipses++;
				dots = 0;
			}
		} else {
			dots = 0;
			if (cp == '#')
				s->hashes++;
			else if (cp == 0x2026)
				s->ellipses++;
		}
		if (t.join_at != SIZE_MAX &&
		    ((c != C_LETTER && c != C_WORD && c != C_MARK) ||
		     (t.join_digit && !(cp >= '0' && cp <= '9'))))
			CUR_FORWARD(settle_join(s, &t, line));
		switch (c) {
		case C_LETTER:
		case C_WORD:
		case C_MARK:
			if (t.kind == C_WORD || (c == C_MARK && t.kind == C_CJK)) {
				t.join_at = SIZE_MAX;
				t.chars += 1;
				t.last_digit = cp >= '0' && cp <= '9';
				if (t.kind == C_WORD && c == C_LETTER)
					t.flags |= FLT_W_ALPHA;
				if (cp >= 0x80 || (cp >= 'A' && cp <= 'Z'))
					t.flags |= FLT_W_FOLD;
			} else {
				CUR_FORWARD(emit(s, &t, i, line));
				start(&t, C_WORD, i, cp, (c == C_LETTER ? FLT_W_ALPHA : 0) |
				      ((cp >= 0x80 || (cp >= 'A' && cp <= 'Z')) ? FLT_W_FOLD : 0));
			}
			break;
		case C_CJK:
			CUR_FORWARD(emit(s, &t, i, line));
			start(&t, C_CJK, i, cp, FLT_W_ALPHA | FLT_W_CJK);
			break;
		case C_JOIN:
			if (t.kind == C_WORD && t.join_at == SIZE_MAX) {
				t.join_at = i;
				t.join_digit = 0;
				t.chars++;
				break;
			}
			/* fall through */
		case C_SYM:
			if (t.kind == C_WORD && t.last_digit && t.join_at == SIZE_MAX &&
			    (cp == '.' || cp == ',' || cp == ':' || cp == '/')) {
				t.join_at = i;
				t.join_digit = 1;
				t.chars++;
				break;
			}
			if (t.kind == C_SYM && t.sym_cp == cp) {
				t.chars++;
			} else {
				CUR_FORWARD(emit(s, &t, i, line));
				start(&t, C_SYM, i, cp, 0);
			}
			break;
		case C_NL:
			CUR_FORWARD(emit(s, &t, i, line));
			if (in_ws_token && ws_chars > max_ws)
				max_ws = (uint32_t)ws_chars;
			CUR_FORWARD(end_line(s, line_start, i, line_word, ws_tokens, max_ws,
					     s->chars - 1 - line_chars0));
			line_chars0 = s->chars;
			s->newlines++;
			line++;
			line_start = i + 1;
			line_word = s->nwords;
			ws_tokens = max_ws = 0;
			in_ws_token = 0;
			break;
		default: /* C_SPACE */
			CUR_FORWARD(emit(s, &t, i, line));
			break;
		}
		i += k;
	}
	CUR_FORWARD(settle_join(s, &t, line));
	CUR_FORWARD(emit(s, &t, len, line));
	if (in_ws_token && ws_chars > max_ws)
		max_ws = (uint32_t)ws_chars;
	return end_line(s, line_start, len, line_word, ws_tokens, max_ws, s->chars - line_chars0);
}

/* '#' and ellipses as the scan counts them: non-overlapping "..." within a
 * run of dots, and U+2026. */
static void count_marks(flt_scan *s)
{
	const unsigned char *u = (const unsigned char *)s->text;
	size_t dots = 0, hashes = 0, ell = 0;
	for (size_t i = 0; i < s->len; i++) {
		if (u[i] == '.') {
			if (++dots == 3) {
				ell++;
				dots = 0;
			}
			continue;
		}
		dots = 0;
		if (u[i] == '#')
			hashes++;
		else if (u[i] == 0xE2 && i + 2 < s->len && u[i + 1] == 0x80 && u[i + 2] == 0xA6)
			ell++;
	}
	s->hashes = hashes;
	s->ellipses = ell;
}

void flt_scan_keep_lines(flt_scan *s, const char *text, size_t len, const uint32_t *keep,
			 size_t nkept)
{
	size_t nw = 0, pos = 0, chars = 0;
	s->symbol_words = s->alpha_words = s->cjk_words = s->stop_words = s->word_chars = 0;
	/* in place: the k-th kept line and its words move down, never up */
	for (size_t k = 0; k < nkept; k++) {
		flt_line l = s->lines[keep[2 * k]];
		uint32_t from = l.off + keep[2 * k + 1];
		uint32_t first = (uint32_t)nw;
		for (uint32_t i = l.first_word; i < l.first_word + l.nwords; i++) {
			flt_word w = s->words[i];
			w.off = w.off - from + (uint32_t)pos;
			w.line = (uint32_t)k;
			if (w.flags & FLT_W_SYMBOL)
				s->symbol_words++;
			else
				s->word_chars += w.chars;
			s->alpha_words += (w.flags & FLT_W_ALPHA) != 0;
			s->cjk_words += (w.flags & FLT_W_CJK) != 0;
			s->stop_words += (w.flags & FLT_W_STOP) != 0;
			s->words[nw++] = w;
		}
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - text) - pos : len - pos;
		flt_line *d = &s->lines[k];
		*d = l;
		d->off = (uint32_t)pos;
		d->len = (uint32_t)n;
		d->chars = (uint32_t)cur_utf8_count(text + pos, n);
		d->first_word = first;
		/* blank, bullet and ellipsis look past the whitespace: unchanged */
		d->flags &= ~(uint32_t)FLT_L_TERM_RAW;
		if (flt_is_terminal(flt_last_cp(text + pos, n)))
			d->flags |= FLT_L_TERM_RAW;
		chars += d->chars;
		pos += n + 1;
	}
	s->text = text;
	s->len = len;
	s->nwords = nw;
	s->nlines = nkept;
	s->newlines = nkept - 1;
	s->chars = chars + nkept - 1;
	s->lines_hashed = 0;
	count_marks(s);
}

/* XXH3_64bits(p, n), with the path for n <= 16 (most words) inlined: the
 * same value without the library's dispatch call per word. */
static inline uint64_t flt_short_hash(const char *p, size_t n)
{
	if (n <= 16)
		return XXH3_len_0to16_64b((const xxh_u8 *)p, n, XXH3_kSecret, 0);
	return XXH3_64bits(p, n);
}

void flt_scan_hash_words(flt_scan *s)
{
	if (s->words_hashed)
		return;
	for (size_t i = 0; i < s->nwords; i++) {
		flt_word *w = &s->words[i];
		w->hash = flt_short_hash(s->text + w->off, w->len);
	}
	s->words_hashed = 1;
}

void flt_scan_hash_lines(flt_scan *s)
{
	if (s->lines_hashed)
		return;
	for (size_t i = 0; i < s->nlines; i++) {
		flt_line *l = &s->lines[i];
		l->hash = XXH3_64bits(s->text + l->off, l->len);
	}
	s->lines_hashed = 1;
}

uint64_t flt_fold_hash(const char *p, size_t n, cur_buf *tmp)
{
	cur_buf_reset(tmp);
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x80) {
			cur_buf_putc(tmp, (c >= 'A' && c <= 'Z') ? c + 32 : c);
			i++;
			continue;
		}
		uint32_t cp;
		i += decode((const unsigned char *)p + i, n - i, &cp);
		char enc[4];
		utf8proc_ssize_t k = utf8proc_encode_char(utf8proc_tolower((utf8proc_int32_t)cp),
							  (utf8proc_uint8_t *)enc);
		cur_buf_append(tmp, enc, (size_t)k);
	}
	return XXH3_64bits(tmp->data ? tmp->data : "", tmp->len);
}

/* The hash set. */
void flt_hset_init(flt_hset *h)
{
	memset(h, 0, sizeof(*h));
}

void flt_hset_release(flt_hset *h)
{
	free(h->slots);
	memset(h, 0, sizeof(*h));
}

int flt_hset_clear(flt_hset *h, size_t n)
{
	size_t want = 64;
	while (want < 2 * n)
		want *= 2;
	if (!h->slots || want > h->cap) {
		flt_hslot *p = cur_malloc_array(want, sizeof(*p));
		if (!p)
			return CUR_ENOMEM;
		free(h->slots);
		h->slots = p;
		h->cap = want;
	}
	/* use (and zero) only as much of the table as this document needs */
	h->mask = want - 1;
	memset(h->slots, 0, want * sizeof(*h->slots));
	return CUR_OK;
}

flt_hslot *flt_hset_find(const flt_hset *h, uint64_t key)
{
	key |= !key;
	size_t i = flt_hset_slot(key, h->mask);
	for (;;) {
		flt_hslot *s = &h->slots[i];
		if (!s->key)
			return NULL;
		if (s->key == key)
			return s;
		i = (i + 1) & h->mask;
	}
}
