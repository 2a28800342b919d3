/* The Llama 3 pre-tokenizer scanner (see pretok.h) and its PCRE2 twin.
 *
 * The scanner follows the regex alternatives in order, as a backtracking
 * engine would try them; each comment names the alternative it implements. */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "tokenizer/pretok.h"
#include "tokenizer/unicode_tables.h"

size_t tok_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t c = s[0];
	uint32_t v;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07;
	} else {
		goto bad;
	}
	if (len > n)
		goto bad;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			goto bad;
		v = (v << 6) | (s[i] & 0x3F);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((len == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) ||
	    (len == 4 && (v < 0x10000 || v > 0x10FFFF)))
		goto bad;
	*cp = v;
	return len;
bad:
	*cp = UINT32_MAX;
	return 1;
}

/* One character at s[i]: its length, and its class in *cls. */
static inline size_t char_at(const uint8_t *s, size_t len, size_t i, int *cls)
{
	uint32_t cp;
	size_t n;

	if (s[i] < 0x80) {
		*cls = tok_uc_stage2[s[i]]; /* block 0 is stored first */
		return 1;
	}
	n = tok_utf8_decode(s + i, len - i, &cp);
	*cls = tok_uc_class(cp);
	return n;
}

/* \p{L}+ from i (at least one letter is known to start there). */
static size_t scan_letters(const uint8_t *s, size_t len, size_t i)
{
	int cls;

	while (i < len) {
		if (s[i] < 0x80) {
			if (tok_uc_stage2[s[i]] != TOK_UC_L)
				break;
			i++;
			continue;
		}
		size_t n = char_at(s, len, i, &cls);
		if (cls != TOK_UC_L)
			break;
		i += n;
	}
	return i;
}

/* [^\s\p{L}\p{N}]+[\r\n]* from i (one such character is known at i). */
static size_t scan_other(const uint8_t *s, size_t len, size_t i)
{
	int cls;

	while (i < len) {
		size_t n = char_at(s, len, i, &cls);
		if (cls != TOK_UC_OTHER)
			break;
		i += n;
	}
	while (i < len && (s[i] == '\r' || s[i] == '\n'))
		i++;
	return i;
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d): the end, or 0 when it does not match.
 * Case-insensitive in the Unicode sense: U+017F (long s) folds to 's'. */
static size_t contraction(const uint8_t *s, size_t len, size_t i)
{
	if (i + 1 >= len)
		return 0;
	switch (s[i + 1] | 0x20) {
	case 's': case 't': case 'm': case 'd':
		return i + 2;
	case 'r':
		return i + 2 < len && (s[i + 2] | 0x20) == 'e' ? i + 3 : 0;
	case 'v':
		return i + 2 < len && (s[i + 2] | 0x20) == 'e' ? i + 3 : 0;
	case 'l':
		return i + 2 < len && (s[i + 2] | 0x20) == 'l' ? i + 3 : 0;
	default:
		break;
	}
	if (s[i + 1] == 0xC5 && i + 2 < len && s[i + 2] == 0xBF)
		return i + 3;
	return 0;
}

/* The whitespace alternatives, from a whitespace character at i:
 * \s*[\r\n]+ | \s+(?!\S) | \s+ */
static size_t scan_space(const uint8_t *s, size_t len, size_t i)
{
	size_t j = i, last_start = i, nchars = 0, crlf_end = 0;
	int cls;

	while (j < len) {
		size_t n = char_at(s, len, j, &cls);
		if (cls != TOK_UC_WS)
			break;
		if (s[j] == '\r' || s[j] == '\n')
			crlf_end = j + 1;
		last_start = j;
		nchars++;
		j += n;
	}
	/* \s*[\r\n]+: \s* backs off to the last line break of the run. */
	if (crlf_end)
		return crlf_end;
	/* \s+(?!\S): at the end of text the whole run; before a non-space
	 * the run less its last character, when that leaves one. */
	if (j == len)
		return j;
	if (nchars >= 2)
		return last_start;
	return j; /* \s+ */
}

size_t tok_pretok_next(const uint8_t *s, size_t len, size_t pos)
{
	uint8_t c = s[pos];
	size_t n, j, k;
	int cls, cls1;

	if (c == '\'' && (j = contraction(s, len, pos)) != 0)
		return j;
	n = char_at(s, len, pos, &cls);
	/* [^\r\n\p{L}\p{N}]?\p{L}+ */
	if (cls == TOK_UC_L)
		return scan_letters(s, len, pos + n);
	if (cls != TOK_UC_N && c != '\r' && c != '\n' && pos + n < len) {
		k = char_at(s, len, pos + n, &cls1);
		if (cls1 == TOK_UC_L)
			return scan_letters(s, len, pos + n + k);
	}
	/* \p{N}{1,3} */
	if (cls == TOK_UC_N) {
		j = pos + n;
		for (int count = 1; count < 3 && j < len; count++) {
			k = char_at(s, len, j, &cls1);
			if (cls1 != TOK_UC_N)
				break;
			j += k;
		}
		return j;
	}
	/*  ?[^\s\p{L}\p{N}]+[\r\n]* */
	if (cls == TOK_UC_OTHER)
		return scan_other(s, len, pos);
	if (c == ' ' && pos + 1 < len) {
		char_at(s, len, pos + 1, &cls1);
		if (cls1 == TOK_UC_OTHER)
			return scan_other(s, len, pos + 1);
	}
	return scan_space(s, len, pos);
}

struct tok_pcre2 {
	pcre2_code *re;
};

tok_pcre2 *tok_pcre2_compile(const char *pattern, cur_err *err)
{
	tok_pcre2 *p = calloc(1, sizeof(*p));
	int ec;
	PCRE2_SIZE eo;

	if (!p) {
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	p->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			      PCRE2_UTF | PCRE2_UCP, &ec, &eo, NULL);
	if (!p->re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		cur_err_set(err, CUR_EINVAL, "cannot compile the pattern at offset %zu: %s",
			    (size_t)eo, (char *)msg);
		free(p);
		return NULL;
	}
	pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	return p;
}

tok_pcre2 *tok_pcre2_new(cur_err *err)
{
	return tok_pcre2_compile(TOK_LLAMA3_PATTERN, err);
}

void tok_pcre2_free(tok_pcre2 *p)
{
	if (!p)
		return;
	pcre2_code_free(p->re);
	free(p);
}

/* The pieces of s[0..len), valid UTF-8. */
static int split_valid(const tok_pcre2 *p, pcre2_match_data *md, const uint8_t *s, size_t len,
		       int (*fn)(void *ctx, const uint8_t *piece, size_t n), void *ctx)
{
	size_t pos = 0, done = 0;
	int rc, ret = CUR_OK;

	while (pos < len && ret == CUR_OK) {
		rc = pcre2_match(p->re, s, len, pos, PCRE2_NO_UTF_CHECK, md, NULL);
		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0)
			return CUR_EDATA;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		if (ov[1] <= ov[0]) {
			/* An empty match: step over one character. */
			uint32_t cp;
			pos = ov[0] + tok_utf8_decode(s + ov[0], len - ov[0], &cp);
			continue;
		}
		if (ov[0] > done)
			ret = fn(ctx, s + done, ov[0] - done);
		if (ret == CUR_OK)
			ret = fn(ctx, s + ov[0], ov[1] - ov[0]);
		pos = done = ov[1];
	}
	if (ret == CUR_OK && done < len)
		ret = fn(ctx, s + done, len - done);
	return ret;
}

int tok_pcre2_split(const tok_pcre2 *p, const uint8_t *s, size_t len,
		    int (*fn)(void *ctx, const uint8_t *piece, size_t n), void *ctx)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(p->re, NULL);
	size_t pos = 0;
	int ret = CUR_OK;

	if (!md)
		return CUR_ENOMEM;
	/* PCRE2 takes valid UTF-8 only: runs of it are split, and a byte that
	 * starts no character is a piece of its own. */
	while (pos < len && ret == CUR_OK) {
		size_t end = pos;
		uint32_t cp;
		while (end < len) {
			size_t n = tok_utf8_decode(s + end, len - end, &cp);
			if (cp == UINT32_MAX)
				break;
			end += n;
		}
		if (end > pos)
			ret = split_valid(p, md, s + pos, end - pos, fn, ctx);
		if (ret == CUR_OK && end < len)
			ret = fn(ctx, s + end, 1);
		pos = end + 1;
	}
	pcre2_match_data_free(md);
	return ret;
}

int tok_is_llama3_pattern(const char *pattern, size_t n)
{
	return n == strlen(TOK_LLAMA3_PATTERN) && memcmp(pattern, TOK_LLAMA3_PATTERN, n) == 0;
}
