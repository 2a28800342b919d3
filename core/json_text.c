#include "config.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "core/error.h"
#include "core/json_text.h"
#include "core/utf8.h"

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Bytes that end a plain run inside a string: '"', '\\', and controls. */
static inline uint64_t swar_special(uint64_t v)
{
	uint64_t q = v ^ (ONES * '"'), b = v ^ (ONES * '\\');

	return ((q - ONES) & ~q) | ((b - ONES) & ~b) | ((v - ONES * 0x20) & ~v);
}

#ifdef __SSE2__
/* Bit k set when byte k of v is a quote, a backslash or a control. */
static inline int special_mask(__m128i v)
{
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	const __m128i ctl = _mm_set1_epi8(0x1F);
	/* Unsigned: max(v, 0x1F) == 0x1F exactly for bytes <= 0x1F. */
	__m128i bad = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
						  _mm_cmpeq_epi8(v, bslash)),
				   _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));

	return _mm_movemask_epi8(bad);
}
#endif

/* Offset of the first byte at or after i that may end a plain run inside a
 * string (a quote, a backslash or a control), roughly: it may stop early,
 * never late. UTF-8 was checked over the whole line before. SSE2 (every
 * x86-64) takes 16 bytes a step and stops exactly at the byte (code is
 * dense with \n and \" escapes: scanning up to it a byte at a time cost
 * more than the vector steps). skip_plain_hi also ORs into *hi the top bits
 * of the bytes it passed (and maybe a few after them): nonzero when there
 * may be non-ASCII. */
static inline size_t skip_plain_hi(const char *p, size_t n, size_t i, unsigned *hi)
{
#ifdef __SSE2__
	while (i + 16 <= n) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		int mask = special_mask(v);

		*hi |= (unsigned)_mm_movemask_epi8(v);
		if (mask)
			return i + (size_t)__builtin_ctz((unsigned)mask);
		i += 16;
	}
#endif
	while (i + 8 <= n) {
		uint64_t v;

		memcpy(&v, p + i, 8);
		*hi |= (v & HIGHS) != 0;
		if (swar_special(v) & HIGHS)
			return i;
		i += 8;
	}
	return i;
}

static inline size_t skip_plain(const char *p, size_t n, size_t i)
{
	unsigned ignored = 0; /* inlined: the compiler drops the ORs */

	return skip_plain_hi(p, n, i, &ignored);
}

static size_t skip_ws(const char *p, size_t n, size_t i)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i;
}

/* Offset just past the string at p[i] == '"', or -1. */
static long skip_string(const char *p, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (p[i] == '"')
			return (long)i + 1;
		if (p[i] == '\\')
			i++;
	}
	return -1;
}

long cur_json_skip_value(const char *p, size_t n)
{
	size_t i = 0;
	int depth = 0;

	do {
		i = skip_ws(p, n, i);
		if (i >= n)
			return -1;
		switch (p[i]) {
		case '"': {
			long e = skip_string(p, n, i);

			if (e < 0)
				return -1;
			i = (size_t)e;
			break;
		}
		case '{': case '[':
			depth++;
			i++;
			break;
		case '}': case ']':
			if (--depth < 0)
				return -1;
			i++;
			break;
		default:
			/* numbers, literals, ',' and ':' inside containers */
			i++;
			while (depth == 0 && i < n && p[i] != ',' && p[i] != '}' && p[i] != ']' &&
			       p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
				i++;
			break;
		}
	} while (depth > 0);
	return (long)i;
}

long cur_json_find_member(const char *p, size_t n, const char *key)
{
	size_t klen = strlen(key);
	size_t i = skip_ws(p, n, 0);

	if (i >= n || p[i] != '{')
		return -1;
	i = skip_ws(p, n, i + 1);
	while (i < n && p[i] == '"') {
		long kend = skip_string(p, n, i), vend;
		size_t v;

		if (kend < 0)
			return -1;
		v = skip_ws(p, n, (size_t)kend);
		if (v >= n || p[v] != ':')
			return -1;
		v = skip_ws(p, n, v + 1);
		if ((size_t)kend - i - 2 == klen && memcmp(p + i + 1, key, klen) == 0)
			return (long)v;
		vend = cur_json_skip_value(p + v, n - v);
		if (vend < 0)
			return -1;
		i = skip_ws(p, n, v + (size_t)vend);
		if (i < n && p[i] == ',')
			i = skip_ws(p, n, i + 1);
	}
	return -1;
}

static int hex4(const char *p, unsigned *v)
{
	int k;

	*v = 0;
	for (k = 0; k < 4; k++) {
		char c = p[k];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (unsigned)((c | 0x20) - 'a' + 10);
		else
			return 0;
		*v = *v * 16 + d;
	}
	return 1;
}

/* One \u escape (and its low surrogate) at p[0] == 'u'; returns bytes used
 * after the backslash, 0 when malformed. */
static size_t decode_u(const char *p, size_t n, cur_buf *out, size_t *repairs)
{
	unsigned hi, lo;
	uint32_t cp;
	char utf8[4];
	size_t used = 5;

	if (n < 5 || !hex4(p + 1, &hi))
		return 0;
	cp = hi;
	if (hi >= 0xD800 && hi <= 0xDBFF) {
		if (n >= 11 && p[5] == '\\' && p[6] == 'u' && hex4(p + 7, &lo) && lo >= 0xDC00 &&
		    lo <= 0xDFFF) {
			cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
			used = 11;
		} else {
			cp = 0xFFFD;
			(*repairs)++;
		}
	} else if (hi >= 0xDC00 && hi <= 0xDFFF) {
		cp = 0xFFFD;
		(*repairs)++;
	}
	if (cur_buf_append(out, utf8, cur_utf8_encode(cp, utf8)))
		return 0;
	return used;
}

/* A \u escape at p[i] == '\\' as the strict scans take it: a BMP code
 * point, or a high and a low surrogate together. Returns the bytes used (6
 * or 12) and the code point, or 0 when malformed or a lone surrogate (the
 * full parse repairs those). */
static inline size_t strict_u_escape(const char *p, size_t n, size_t i, uint32_t *cp)
{
	unsigned h, lo;

	if (i + 6 > n || !hex4(p + i + 2, &h))
		return 0;
	if (h >= 0xD800 && h <= 0xDBFF) {
		if (i + 12 > n || p[i + 6] != '\\' || p[i + 7] != 'u' ||
		    !hex4(p + i + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
			return 0;
		*cp = 0x10000 + ((h - 0xD800) << 10) + (lo - 0xDC00);
		return 12;
	}
	if (h >= 0xDC00 && h <= 0xDFFF)
		return 0;
	*cp = h;
	return 6;
}

/* The byte a one-letter escape stands for (\n: '\n'), or 0 when c is not
 * one. */
static inline int simple_escape(char c)
{
	switch (c) {
	case '"': return '"';
	case '\\': return '\\';
	case '/': return '/';
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	default: return 0;
	}
}

int cur_json_decode_string(const char *p, size_t n, cur_buf *out, size_t *used,
			   size_t *repairs, int *respelled, const char **why)
{
	size_t i = 1, run = 1;

	*repairs = 0;
	*respelled = 0;
	for (;;) {
		unsigned char c;

		/* Copy plain runs in one go. */
		i = skip_plain(p, n, i);
		while (i < n && p[i] != '"' && p[i] != '\\' && (unsigned char)p[i] >= 0x20)
			i++;
		if (i > run && cur_buf_append(out, p + run, i - run))
			goto nomem;
		if (i >= n) {
			*why = "unterminated string";
			return CUR_EDATA;
		}
		c = (unsigned char)p[i];
		if (c == '"') {
			*used = i + 1;
			if (!out->data && cur_buf_reserve(out, 0))
				goto nomem;
			return CUR_OK;
		}
		if (c < 0x20) {
			*why = "control character in string";
			return CUR_EDATA;
		}
		if (i + 1 >= n) {
			*why = "unterminated string";
			return CUR_EDATA;
		}
		if (p[i + 1] == 'u') {
			size_t k = decode_u(p + i + 1, n - i - 1, out, repairs);

			if (!k) {
				*why = "invalid \\u escape";
				return CUR_EDATA;
			}
			i += 1 + k;
			*respelled = 1;
		} else {
			int e = simple_escape(p[i + 1]);

			*respelled |= p[i + 1] == '/';

			if (!e) {
				*why = "invalid escape";
				return CUR_EDATA;
			}
			if (cur_buf_putc(out, e))
				goto nomem;
			i += 2;
		}
		run = i;
	}
nomem:
	*why = "out of memory";
	return CUR_ENOMEM;
}

/* Bytes that JSON strings must escape. */
static const unsigned char needs_escape[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

int cur_json_encode_string(const char *s, size_t n, cur_buf *out)
{
	size_t i = 0, run = 0;

	/* Worst case every byte becomes \u00XX: reserve once, then write. */
	CUR_FORWARD(cur_buf_reserve(out, n + 2));
	out->data[out->len++] = '"';
	while (i < n) {
		unsigned char c;

		i = skip_plain(s, n, i);
		while (i < n && !needs_escape[(unsigned char)s[i]])
			i++;
		if (i > run)
			CUR_FORWARD(cur_buf_append(out, s + run, i - run));
		if (i >= n)
			break;
		c = (unsigned char)s[i];
		switch (c) {
		case '"': CUR_FORWARD(cur_buf_append(out, "\\\"", 2)); break;
		case '\\': CUR_FORWARD(cur_buf_append(out, "\\\\", 2)); break;
		case '\n': CUR_FORWARD(cur_buf_append(out, "\\n", 2)); break;
		case '\r': CUR_FORWARD(cur_buf_append(out, "\\r", 2)); break;
		case '\t': CUR_FORWARD(cur_buf_append(out, "\\t", 2)); break;
		case '\b': CUR_FORWARD(cur_buf_append(out, "\\b", 2)); break;
		case '\f': CUR_FORWARD(cur_buf_append(out, "\\f", 2)); break;
		default: CUR_FORWARD(cur_buf_printf(out, "\\u%04x", c)); break;
		}
		run = ++i;
	}
	return cur_buf_putc(out, '"');
}

/* ---- validate and minify a whole record (the ingest fast path) ---- */

#define MAX_GAPS 128
#define MAX_KEYS 256

typedef struct minify {
	const char *p;
	size_t n, i;
	int depth;
	/* The light scan (cur_json_scan_light): whitespace stays, and what
	 * jansson might refuse or read differently sends the record to it. */
	int light;
	/* Whitespace to remove, recorded while checking and removed only once
	 * the whole record passed, so a failed check leaves the line intact. */
	size_t gap_at[MAX_GAPS], gap_len[MAX_GAPS];
	size_t ngaps;
	/* Something a parse and cur_doc_to_json would spell otherwise: an
	 * escape the writers do not use, a number that is not a short
	 * integer (see cur_json_respelled). */
	int respelled;
	/* The keys of the objects open now, innermost last: a key twice in
	 * one object sends the record to jansson, which refuses it. */
	size_t key_at[MAX_KEYS], key_len[MAX_KEYS];
	size_t nkeys;
} minify;

/* Note the key just read (p[kstart] == '"', klen bytes, no escape) in the
 * object whose keys start at base; -1 when the object has it already or
 * there are too many to follow. */
static int mf_key(minify *m, size_t base, size_t kstart, size_t klen)
{
	size_t k;

	for (k = base; k < m->nkeys; k++)
		if (m->key_len[k] == klen && memcmp(m->p + m->key_at[k], m->p + kstart + 1, klen) == 0)
			return -1;
	if (m->nkeys == MAX_KEYS)
		return -1;
	m->key_at[m->nkeys] = kstart + 1;
	m->key_len[m->nkeys++] = klen;
	return 0;
}

static int mf_flush_ws(minify *m)
{
	size_t start = m->i;

	while (m->i < m->n && (m->p[m->i] == ' ' || m->p[m->i] == '\t' || m->p[m->i] == '\r' ||
			       m->p[m->i] == '\n'))
		m->i++;
	if (m->i == start || m->light)
		return 0;
	if (m->ngaps == MAX_GAPS)
		return -1; /* pretty-printed: leave it to the full parser */
	m->gap_at[m->ngaps] = start;
	m->gap_len[m->ngaps++] = m->i - start;
	return 0;
}

/* A string at p[i] == '"'; *decoded gets its decoded length. Lone
 * surrogates are refused so that the slow path repairs them. */
static int mf_string(minify *m, size_t *decoded)
{
	const char *p = m->p;
	size_t i = m->i + 1, n = m->n, saved = 0;
	unsigned hi = 0;

	for (;;) {
		i = skip_plain_hi(p, n, i, &hi);
		while (i < n && p[i] != '"' && p[i] != '\\' && (unsigned char)p[i] >= 0x20)
			hi |= (unsigned char)p[i++] & 0x80;
		if (i >= n || (unsigned char)p[i] < 0x20)
			return -1;
		if (p[i] == '"')
			break;
		if (i + 1 >= n)
			return -1;
		if (p[i + 1] == 'u') {
			uint32_t cp;
			size_t used = strict_u_escape(p, n, i, &cp);

			if (!used)
				return -1;
			saved += used - (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
			i += used;
			m->respelled = 1;
		} else if (simple_escape(p[i + 1])) {
			m->respelled |= p[i + 1] == '/';
			saved += 1;
			i += 2;
		} else {
			return -1;
		}
	}
	/* The light scan checks UTF-8 itself, in strings only: a byte over
	 * 0x7F anywhere else is invalid JSON, and most strings are ASCII. */
	if (m->light && hi && cur_utf8_valid_prefix(p + m->i + 1, i - m->i - 1) != i - m->i - 1)
		return -1;
	if (decoded)
		*decoded = i - m->i - 1 - saved;
	m->i = i + 1;
	return 0;
}

static int mf_number_syntax(minify *m);

static int mf_digits(minify *m)
{
	size_t start = m->i;

	while (m->i < m->n && m->p[m->i] >= '0' && m->p[m->i] <= '9')
		m->i++;
	return m->i > start ? 0 : -1;
}

static int mf_number(minify *m)
{
	size_t start = m->i, len;

	if (mf_number_syntax(m))
		return -1;
	/* jansson writes back integers as they were, reals its own way, and
	 * -0 as 0. */
	len = m->i - start;
	if (len > 18 || memchr(m->p + start, '.', len) || memchr(m->p + start, 'e', len) ||
	    memchr(m->p + start, 'E', len) || (len == 2 && m->p[start] == '-' && m->p[start + 1] == '0'))
		m->respelled = 1;
	/* jansson refuses integers beyond int64 and reals beyond double: up to
	 * 18 characters without an exponent fit either. */
	if (m->light && (m->i - start > 18 || memchr(m->p + start, 'e', m->i - start) ||
			 memchr(m->p + start, 'E', m->i - start)))
		return -1;
	return 0;
}

static int mf_number_syntax(minify *m)
{
	if (m->p[m->i] == '-')
		m->i++;
	if (m->i < m->n && m->p[m->i] == '0')
		m->i++;
	else if (mf_digits(m))
		return -1;
	if (m->i < m->n && m->p[m->i] == '.') {
		m->i++;
		if (mf_digits(m))
			return -1;
	}
	if (m->i < m->n && (m->p[m->i] == 'e' || m->p[m->i] == 'E')) {
		m->i++;
		if (m->i < m->n && (m->p[m->i] == '+' || m->p[m->i] == '-'))
			m->i++;
		if (mf_digits(m))
			return -1;
	}
	return 0;
}

static int mf_literal(minify *m, const char *word)
{
	size_t k = strlen(word);

	if (m->n - m->i < k || memcmp(m->p + m->i, word, k) != 0)
		return -1;
	m->i += k;
	return 0;
}

typedef struct mf_want {
	const char *text_field;
	size_t text_len;
	int has_text, has_id;
} mf_want;

static int mf_value(minify *m, mf_want *w);

/* An object or array at p[i]; w is non-NULL at the top level only. */
static int mf_container(minify *m, mf_want *w)
{
	char close = m->p[m->i] == '{' ? '}' : ']';
	int is_obj = close == '}';
	size_t keys = m->nkeys;

	if (++m->depth > 256)
		return -1;
	m->i++;
	if (mf_flush_ws(m))
		return -1;
	if (m->i < m->n && m->p[m->i] == close) {
		m->i++;
		m->depth--;
		return 0;
	}
	for (;;) {
		mf_want *member = NULL;

		if (is_obj) {
			size_t kstart = m->i, klen;

			if (m->i >= m->n || m->p[m->i] != '"' || mf_string(m, NULL))
				return -1;
			klen = m->i - kstart - 2;
			if (memchr(m->p + kstart + 1, '\\', klen) || mf_key(m, keys, kstart, klen))
				return -1;
			if (w && klen == 2 && memcmp(m->p + kstart + 1, "id", 2) == 0)
				w->has_id = -1; /* the value must be a string */
			if (w && klen == strlen(w->text_field) &&
			    memcmp(m->p + kstart + 1, w->text_field, klen) == 0)
				member = w;
			if (mf_flush_ws(m) || m->i >= m->n || m->p[m->i] != ':')
				return -1;
			m->i++;
			if (mf_flush_ws(m))
				return -1;
			if (w && w->has_id == -1) {
				w->has_id = m->i < m->n && m->p[m->i] == '"';
			}
		}
		if (member) {
			if (m->i >= m->n || m->p[m->i] != '"' || mf_string(m, &member->text_len))
				return -1;
			member->has_text = 1;
		} else if (mf_value(m, NULL)) {
			return -1;
		}
		if (mf_flush_ws(m) || m->i >= m->n)
			return -1;
		if (m->p[m->i] == close) {
			m->i++;
			m->depth--;
			m->nkeys = keys;
			return 0;
		}
		if (m->p[m->i] != ',')
			return -1;
		m->i++;
		if (mf_flush_ws(m))
			return -1;
	}
}

static int mf_value(minify *m, mf_want *w)
{
	if (m->i >= m->n)
		return -1;
	switch (m->p[m->i]) {
	case '"': return mf_string(m, NULL);
	case '{': case '[': return mf_container(m, w);
	case 't': return mf_literal(m, "true");
	case 'f': return mf_literal(m, "false");
	case 'n': return mf_literal(m, "null");
	default: return mf_number(m);
	}
}

static void mf_init(minify *m, const char *p, size_t n, int light)
{
	m->p = p;
	m->n = n;
	m->i = 0;
	m->depth = 0;
	m->light = light;
	m->ngaps = 0;
	m->nkeys = 0;
	m->respelled = 0;
}

/* A checker for the record p[0..n), on the heap (its tables are large). */
static minify *mf_new(const char *p, size_t n)
{
	minify *m = malloc(sizeof(*m));

	if (m)
		mf_init(m, p, n, 0);
	return m;
}

/* Is the whole of m's text one JSON object, white space around it allowed? */
static int mf_record(minify *m, mf_want *w)
{
	return !mf_flush_ws(m) && m->i < m->n && m->p[m->i] == '{' && !mf_container(m, w) &&
	       !mf_flush_ws(m) && m->i == m->n;
}

int cur_json_respelled(const char *p, size_t n)
{
	minify *m = mf_new(p, n);
	int respelled = 1;

	if (!m)
		return 1;
	if (mf_record(m, NULL))
		respelled = m->respelled;
	free(m);
	return respelled;
}

size_t cur_json_minify_inplace(char *p, size_t n, const char *text_field, size_t *text_len)
{
	minify *m = mf_new(p, n);
	mf_want w = { text_field, 0, 0, 0 };
	size_t out = 0, from = 0, k;
	int ok;

	if (!m)
		return 0;
	ok = mf_record(m, &w) && w.has_text && w.has_id == 1;
	if (ok) {
		for (k = 0; k < m->ngaps; k++) {
			memmove(p + out, p + from, m->gap_at[k] - from);
			out += m->gap_at[k] - from;
			from = m->gap_at[k] + m->gap_len[k];
		}
		memmove(p + out, p + from, n - from);
		out += n - from;
		*text_len = w.text_len;
	}
	free(m);
	return ok ? out : 0;
}

/* ---- the light scan: the text, the id and one string, read-only ---- */

/* Is the key just read (p[kstart] == '"', unescaped) name? */
static int key_is(const minify *m, size_t kstart, size_t klen, const char *name)
{
	return name && strlen(name) == klen && memcmp(m->p + kstart + 1, name, klen) == 0;
}

/* The object at p[i] == '{': the top level (top = 1: text, id, metadata and
 * key) or the metadata object (key only). A key twice in one object is
 * left to jansson, which refuses the record. */
static int light_object(minify *m, cur_json_light *l, const char *text_field,
			const char *key, char *text, int top)
{
	size_t keys = m->nkeys;

	if (++m->depth > 256)
		return -1;
	m->i++;
	mf_flush_ws(m);
	if (m->i < m->n && m->p[m->i] == '}') {
		m->i++;
		m->depth--;
		return 0;
	}
	for (;;) {
		size_t kstart = m->i, klen, v;

		if (m->i >= m->n || m->p[m->i] != '"' || mf_string(m, NULL))
			return -1;
		klen = m->i - kstart - 2;
		if (memchr(m->p + kstart + 1, '\\', klen) || mf_key(m, keys, kstart, klen))
			return -1;
		mf_flush_ws(m);
		if (m->i >= m->n || m->p[m->i] != ':')
			return -1;
		m->i++;
		mf_flush_ws(m);
		if (m->i >= m->n)
			return -1;
		v = m->i;
		if (top && key_is(m, kstart, klen, text_field)) {
			size_t used;

			if (m->p[v] != '"' ||
			    cur_json_decode_light(m->p + v, m->n - v, text, &l->text_len, &used))
				return -1;
			l->text_at = v;
			m->i = v + used;
		} else if (top && key_is(m, kstart, klen, "id")) {
			if (mf_value(m, NULL))
				return -1;
			l->id_at = (long)v;
			l->id_len = m->i - v;
		} else if (top && key_is(m, kstart, klen, "metadata")) {
			if (m->p[v] == '{' && key) {
				if (light_object(m, l, NULL, key, NULL, 0))
					return -1;
			} else if (mf_value(m, NULL)) {
				return -1;
			}
		} else if (key_is(m, kstart, klen, key)) {
			if (mf_value(m, NULL))
				return -1;
			if (m->p[v] == '"' && top) {
				l->top_at = (long)v;
				l->top_len = m->i - v;
			} else if (m->p[v] == '"') {
				l->meta_at = (long)v;
				l->meta_len = m->i - v;
			}
		} else if (mf_value(m, NULL)) {
			return -1;
		}
		mf_flush_ws(m);
		if (m->i >= m->n)
			return -1;
		if (m->p[m->i] == '}') {
			m->i++;
			m->depth--;
			m->nkeys = keys;
			return 0;
		}
		if (m->p[m->i] != ',')
			return -1;
		m->i++;
		mf_flush_ws(m);
	}
}

int cur_json_scan_light(const char *p, size_t n, const char *text_field, const char *key,
			cur_json_light *l, char *text)
{
	minify m;
	int ok;

	memset(l, 0, sizeof(*l));
	l->id_at = l->meta_at = l->top_at = -1;
	/* These names are read from the tree in ways the scan does not follow
	 * (the text moves to "text", the id is normalized). */
	if (strcmp(text_field, "id") == 0 || strcmp(text_field, "metadata") == 0 ||
	    (key && (strcmp(key, "text") == 0 || strcmp(key, text_field) == 0 ||
		     strcmp(key, "id") == 0 || strcmp(key, "metadata") == 0)))
		return -1;
	mf_init(&m, p, n, 1);
	mf_flush_ws(&m);
	ok = m.i < n && p[m.i] == '{' && !light_object(&m, l, text_field, key, text, 1);
	if (ok)
		mf_flush_ws(&m);
	if (!ok || m.i != n || !l->text_at)
		return -1;
	if (l->meta_at < 0) {
		l->meta_at = l->top_at;
		l->meta_len = l->top_len;
	}
	return 0;
}

int cur_json_decode_light(const char *p, size_t n, char *out, size_t *len, size_t *used)
{
	size_t i = 1, o = 0;
	unsigned hi = 0;

	for (;;) {
#ifdef __SSE2__
		/* Copy while scanning: code is dense with escapes, and a call
		 * to copy each short run between them cost more than this. The
		 * store may run 15 bytes past the run: out has room for n. */
		while (i + 16 <= n) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			int mask = special_mask(v);

			hi |= (unsigned)_mm_movemask_epi8(v);
			_mm_storeu_si128((__m128i *)(void *)(out + o), v);
			if (mask) {
				unsigned k = (unsigned)__builtin_ctz((unsigned)mask);

				i += k;
				o += k;
				break;
			}
			i += 16;
			o += 16;
		}
#endif
		while (i < n && p[i] != '"' && p[i] != '\\' && (unsigned char)p[i] >= 0x20) {
			hi |= (unsigned char)p[i] & 0x80;
			out[o++] = p[i++];
		}
		if (i >= n || (unsigned char)p[i] < 0x20)
			return -1;
		if (p[i] == '"')
			break;
		if (i + 1 >= n)
			return -1;
		if (p[i + 1] == 'u') {
			uint32_t cp;
			size_t used = strict_u_escape(p, n, i, &cp);

			if (!used)
				return -1;
			o += cur_utf8_encode(cp, out + o);
			i += used;
		} else {
			int e = simple_escape(p[i + 1]);

			if (!e)
				return -1;
			out[o++] = (char)e;
			i += 2;
		}
	}
	/* Escapes decode to whole, valid sequences, so checking the output
	 * checks the raw bytes between them. */
	if (hi && cur_utf8_valid_prefix(out, o) != o)
		return -1;
	*len = o;
	*used = i + 1;
	return 0;
}
