/* Text normalization for dedup: words and shingles, exact-dedup text,
 * lines, URLs, dates. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>
#include <xxhash.h>
#include "core/utf8.h"
#include "dedup/dd_int.h"

/* ASCII word bytes ([0-9A-Za-z_]) lower-cased; 0 for a separator. */
static const unsigned char ascii_word[128] = {
	['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
	['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
	['_'] = '_',
	['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f',
	['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j', ['K'] = 'k', ['L'] = 'l',
	['M'] = 'm', ['N'] = 'n', ['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r',
	['S'] = 's', ['T'] = 't', ['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x',
	['Y'] = 'y', ['Z'] = 'z',
	['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f',
	['g'] = 'g', ['h'] = 'h', ['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'l',
	['m'] = 'm', ['n'] = 'n', ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r',
	['s'] = 's', ['t'] = 't', ['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x',
	['y'] = 'y', ['z'] = 'z',
};

/* Python's \w outside ASCII: letters and numbers (not marks). */
static int cp_is_word(uint32_t cp)
{
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return 1;
	default:
		return 0;
	}
}

static inline uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

#define DD_POLY 0x9E3779B97F4A7C15ULL

static uint64_t shingle_of(const uint64_t *t, int n)
{
	uint64_t h = 0;
	for (int i = 0; i < n; i++)
		h = h * DD_POLY + t[i];
	return fmix64(h + (uint64_t)n);
}

/* Token bytes gather here; a token longer than the buffer is hashed by the
 * streaming XXH3 (rare: long runs of letters). */
typedef struct tok_acc {
	unsigned char buf[256];
	size_t len;
	int streaming;
	XXH3_state_t *st;
} tok_acc;

static int acc_add(tok_acc *a, const void *p, size_t n, uint64_t seed)
{
	if (!a->streaming && a->len + n <= sizeof a->buf) {
		memcpy(a->buf + a->len, p, n);
		a->len += n;
		return CUR_OK;
	}
	if (!a->streaming) {
		if (!a->st && !(a->st = XXH3_createState()))
			return CUR_ENOMEM;
		XXH3_64bits_reset_withSeed(a->st, seed);
		XXH3_64bits_update(a->st, a->buf, a->len);
		a->streaming = 1;
	}
	XXH3_64bits_update(a->st, p, n);
	return CUR_OK;
}

static uint64_t acc_take(tok_acc *a, uint64_t seed)
{
	uint64_t h = a->streaming ? XXH3_64bits_digest(a->st)
				  : XXH3_64bits_withSeed(a->buf, a->len, seed);
	a->len = 0;
	a->streaming = 0;
	return h;
}

static int tokenize(const char *s, size_t n, uint64_t seed, dd_u64vec *tok)
{
	const unsigned char *p = (const unsigned char *)s;
	tok_acc acc = { .len = 0 };
	int in = 0, rc = CUR_OK;
	size_t i = 0;
	tok->n = 0;
	while (i < n && rc == CUR_OK) {
		unsigned char c = p[i];
		if (c < 0x80) {
			if (!ascii_word[c]) {
				if (in)
					rc = dd_u64vec_push(tok, acc_take(&acc, seed));
				in = 0;
				i++;
				continue;
			}
			/* A run of ASCII word bytes, lower-cased in chunks. */
			unsigned char chunk[64];
			size_t k = 0;
			while (i < n && p[i] < 0x80 && ascii_word[p[i]]) {
				chunk[k++] = ascii_word[p[i++]];
				if (k == sizeof chunk) {
					rc = acc_add(&acc, chunk, k, seed);
					k = 0;
				}
			}
			if (k && rc == CUR_OK)
				rc = acc_add(&acc, chunk, k, seed);
			in = 1;
			continue;
		}
		uint32_t cp;
		size_t len = cur_utf8_decode(p + i, n - i, &cp);
		if (len == 0)
			len = 1;
		if (cp_is_word(cp)) {
			char enc[4];
			uint32_t lc = (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
			size_t el = cur_utf8_encode(lc, enc);
			rc = acc_add(&acc, enc, el, seed);
			in = 1;
		} else if (in) {
			rc = dd_u64vec_push(tok, acc_take(&acc, seed));
			in = 0;
		}
		i += len;
	}
	if (rc == CUR_OK && in)
		rc = dd_u64vec_push(tok, acc_take(&acc, seed));
	if (acc.st)
		XXH3_freeState(acc.st);
	return rc;
}

/* Segments of about this many bytes are tokenized at a time, so that a
 * huge document never holds all its tokens and shingles at once. */
#define DD_SEGMENT (1u << 20)

/* The end of the segment starting at i: past DD_SEGMENT bytes, at an ASCII
 * separator, so that no word is cut (or n when none is found). */
static size_t segment_end(const unsigned char *p, size_t i, size_t n)
{
	size_t e = n - i > DD_SEGMENT ? i + DD_SEGMENT : n;
	while (e < n && (p[e] >= 0x80 || ascii_word[p[e]]))
		e++;
	return e;
}

int dd_shingle_stream(const char *s, size_t n, int ngram, uint64_t seed, dd_u64vec *tok,
		      dd_u64vec *sh, dd_emit_fn emit, void *arg)
{
	const unsigned char *p = (const unsigned char *)s;
	dd_u64vec seg = { 0 };
	size_t total = 0, i = 0;
	int rc = CUR_OK;
	tok->n = 0;
	while (i < n && rc == CUR_OK) {
		size_t e = segment_end(p, i, n);
		rc = tokenize(s + i, e - i, seed, &seg);
		for (size_t k = 0; k < seg.n && rc == CUR_OK; k++)
			rc = dd_u64vec_push(tok, seg.v[k]);
		total += seg.n;
		/* Emit every full window; keep the last ngram - 1 tokens. */
		if (rc == CUR_OK && tok->n >= (size_t)ngram) {
			sh->n = 0;
			for (size_t k = 0; k + (size_t)ngram <= tok->n && rc == CUR_OK; k++)
				rc = dd_u64vec_push(sh, shingle_of(tok->v + k, ngram));
			if (rc == CUR_OK)
				emit(arg, sh->v, sh->n);
			size_t keep = (size_t)ngram - 1;
			memmove(tok->v, tok->v + tok->n - keep, keep * sizeof *tok->v);
			tok->n = keep;
		}
		i = e;
	}
	dd_u64vec_release(&seg);
	if (rc != CUR_OK)
		return rc;
	if (total == 0 || total < (size_t)ngram) {
		uint64_t h = total == 0 ? XXH3_64bits_withSeed(s, n, seed)
					: shingle_of(tok->v, (int)tok->n);
		emit(arg, &h, 1);
	}
	return CUR_OK;
}

static void emit_append(void *arg, const uint64_t *v, size_t n)
{
	dd_u64vec *out = ((dd_u64vec **)arg)[0];
	int *rc = ((int **)arg)[1];
	for (size_t i = 0; i < n && *rc == CUR_OK; i++)
		*rc = dd_u64vec_push(out, v[i]);
}

int dd_shingles(const char *s, size_t n, int ngram, uint64_t seed, dd_u64vec *tok,
		dd_u64vec *out)
{
	dd_u64vec sh = { 0 };
	int rc2 = CUR_OK;
	void *arg[2] = { out, &rc2 };
	int rc = dd_shingle_stream(s, n, ngram, seed, tok, &sh, emit_append, arg);
	dd_u64vec_release(&sh);
	return rc != CUR_OK ? rc : rc2;
}

/* Unicode white space as utf8proc classifies it (Zs, and the controls
 * \t \n \v \f \r plus U+0085). */
static int cp_is_space(uint32_t cp)
{
	if (cp < 0x80)
		return cp == ' ' || (cp >= '\t' && cp <= '\r');
	if (cp == 0x85 || cp == 0x2028 || cp == 0x2029)
		return 1;
	return utf8proc_category((utf8proc_int32_t)cp) == UTF8PROC_CATEGORY_ZS;
}

/* Collapse white space of s into out, lower-casing when asked. */
static int collapse(const char *s, size_t n, int lowercase, cur_buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	int pending = 0;
	size_t start = out->len;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = p[i] < 0x80 ? (cp = p[i], 1) : cur_utf8_decode(p + i, n - i, &cp);
		if (len == 0)
			len = 1;
		if (cp_is_space(cp)) {
			pending = out->len > start;
		} else {
			char enc[4];
			if (pending)
				CUR_FORWARD(cur_buf_putc(out, ' '));
			pending = 0;
			if (lowercase && cp >= 0x80)
				cp = (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
			else if (lowercase && cp >= 'A' && cp <= 'Z')
				cp += 32;
			if (cp < 0x80)
				CUR_FORWARD(cur_buf_putc(out, (int)cp));
			else
				CUR_FORWARD(cur_buf_append(out, enc, cur_utf8_encode(cp, enc)));
		}
		i += len;
	}
	return CUR_OK;
}

static int all_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* The ASCII case of collapse(), straight into reserved room. */
static int collapse_ascii(const char *s, size_t n, int lowercase, cur_buf *out)
{
	CUR_FORWARD(cur_buf_reserve(out, n + 1));
	char *d = out->data + out->len, *start = d;
	int pending = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || (c >= '\t' && c <= '\r')) {
			pending = d > start;
			continue;
		}
		if (pending)
			*d++ = ' ';
		pending = 0;
		*d++ = (char)(lowercase && c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out->len = (size_t)(d - out->data);
	out->data[out->len] = '\0';
	return CUR_OK;
}

/* A conservative NFC quick check: no code point that decomposes
 * canonically, combines with a neighbour, has a non-zero combining class,
 * or is Hangul (composed by rule). Below U+0300 nothing can change. Text
 * that passes is already NFC, so utf8proc need not rebuild it. */
static int nfc_stable(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len;
		if (p[i] < 0xCC) { /* lead bytes below 0xCC encode U+0000..U+02FF */
			i++;
			continue;
		}
		len = cur_utf8_decode(p + i, n - i, &cp);
		if (len == 0)
			return 0;
		const utf8proc_property_t *pr = utf8proc_get_property((utf8proc_int32_t)cp);
		if (pr->combining_class != 0 || pr->comb_index != UINT16_MAX ||
		    (pr->decomp_seqindex != UINT16_MAX && pr->decomp_type == 0) ||
		    (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0xAC00 && cp <= 0xD7A3))
			return 0;
		i += len;
	}
	return 1;
}

int dd_norm_text(const char *s, size_t n, int lowercase, cur_buf *out)
{
	utf8proc_uint8_t *nfc = NULL;
	int rc;
	if (all_ascii(s, n))
		return collapse_ascii(s, n, lowercase, out);
	if (nfc_stable(s, n))
		return collapse(s, n, lowercase, out);
	utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &nfc,
					  UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (m < 0) /* cannot happen for valid UTF-8; keep the text as it is */
		return collapse(s, n, lowercase, out);
	rc = collapse((const char *)nfc, (size_t)m, lowercase, out);
	free(nfc);
	return rc;
}

uint64_t dd_line_hash(const char *s, size_t n, int lowercase, uint64_t seed, int *empty)
{
	char stackbuf[512];
	cur_buf b;
	uint64_t h;
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	/* Most lines are short and plain: collapse them without allocating. */
	if (n < sizeof stackbuf && all_ascii(s, n)) {
		size_t k = 0;
		int pending = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c == ' ' || (c >= '\t' && c <= '\r')) {
				pending = k > 0;
				continue;
			}
			if (pending)
				stackbuf[k++] = ' ';
			pending = 0;
			stackbuf[k++] = (char)(lowercase && c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		*empty = k == 0;
		return XXH3_64bits_withSeed(stackbuf, k, seed);
	}
	if (collapse(s, n, lowercase, &b) != CUR_OK) {
		/* Out of memory: hash the raw line, never fail a line. */
		cur_buf_release(&b);
		*empty = 0;
		return XXH3_64bits_withSeed(s, n, seed);
	}
	*empty = b.len == 0;
	h = XXH3_64bits_withSeed(b.data ? b.data : "", b.len, seed);
	cur_buf_release(&b);
	return h;
}

int dd_norm_url(const char *url, cur_buf *out)
{
	const char *p = url, *host, *end;
	while (*p == ' ' || *p == '\t')
		p++;
	const char *colon = strstr(p, "://");
	if (colon && colon - p <= 10)
		p = colon + 3;
	if (!*p)
		return CUR_EINVAL;
	host = p;
	end = host + strcspn(host, "/?#");
	if (end - host > 4 && strncasecmp(host, "www.", 4) == 0)
		host += 4;
	for (const char *q = host; q < end; q++) {
		char c = *q;
		CUR_FORWARD(cur_buf_putc(out, c >= 'A' && c <= 'Z' ? c + 32 : c));
	}
	size_t rest = strcspn(end, "#");
	while (rest > 0 && (end[rest - 1] == ' ' || end[rest - 1] == '\n' || end[rest - 1] == '\r'))
		rest--;
	CUR_FORWARD(cur_buf_append(out, end, rest));
	return out->len ? CUR_OK : CUR_EINVAL;
}

int64_t dd_parse_date(const char *s)
{
	int64_t v = 0;
	int digits = 0;
	if (!s)
		return -1;
	for (; *s && digits < 14; s++) {
		if (*s >= '0' && *s <= '9') {
			v = v * 10 + (*s - '0');
			digits++;
		}
	}
	if (digits == 0)
		return -1;
	for (; digits < 14; digits++)
		v *= 10;
	return v;
}

int dd_doc_lines(const char *s, size_t n, int lowercase, uint64_t seed, dd_u64vec *out)
{
	size_t i = 0;
	out->n = 0;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) : n;
		int empty;
		uint64_t h = dd_line_hash(s + i, end - i, lowercase, seed, &empty);
		CUR_FORWARD(dd_u64vec_push(out, empty ? 0 : (h ? h : 1)));
		i = end + 1;
	}
	return CUR_OK;
}
