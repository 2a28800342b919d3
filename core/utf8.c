#include "config.h"

#include <string.h>
#include "core/utf8.h"
#include "core/error.h"

/* Decoding follows Unicode's well-formed byte sequences table (3.9, D92):
 * the second byte's range depends on the lead byte, which excludes overlongs
 * and surrogates without a second check. */
size_t cur_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len, i;
	uint32_t v;

	*cp = 0xFFFD;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xC2)
		return 0;
	if (c < 0xE0) {
		len = 2;
		v = c & 0x1F;
	} else if (c < 0xF0) {
		len = 3;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c < 0xF5) {
		len = 4;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < 2 || s[1] < lo || s[1] > hi)
		return 0;
	v = (v << 6) | (s[1] & 0x3F);
	for (i = 2; i < len; i++) {
		if (i >= n || (s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	*cp = v;
	return len;
}

/* Length of the maximal subpart of an ill-formed sequence starting at s:
 * the lead byte plus the continuation bytes that were still acceptable. */
static size_t utf8_invalid_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t want, i;

	if (c < 0xC2 || c > 0xF4)
		return 1;
	want = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if (c == 0xE0) lo = 0xA0;
	if (c == 0xED) hi = 0x9F;
	if (c == 0xF0) lo = 0x90;
	if (c == 0xF4) hi = 0x8F;
	if (n < 2 || s[1] < lo || s[1] > hi)
		return 1;
	for (i = 2; i < want && i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			break;
	return i;
}

size_t cur_utf8_valid_prefix(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned char c;

		/* ASCII fast path, sixteen bytes at a time. */
		while (i + 16 <= n) {
			uint64_t a, b;

			memcpy(&a, s + i, 8);
			memcpy(&b, s + i + 8, 8);
			if ((a | b) & 0x8080808080808080ULL)
				break;
			i += 16;
		}
		if (i >= n)
			break;
		c = s[i];
		if (c < 0x80) {
			i++;
		} else if (c >= 0xC2 && c <= 0xDF) {
			/* Two bytes: the common case for Latin, Greek, Cyrillic, Arabic. */
			if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80)
				return i;
			i += 2;
		} else if (c >= 0xE0 && c <= 0xEF && i + 2 < n && (s[i + 2] & 0xC0) == 0x80 &&
			   s[i + 1] >= (c == 0xE0 ? 0xA0 : 0x80) &&
			   s[i + 1] <= (c == 0xED ? 0x9F : 0xBF)) {
			/* Three bytes: CJK, Indic, most of the BMP. */
			i += 3;
		} else {
			uint32_t cp;
			size_t k = cur_utf8_decode(s + i, n - i, &cp);

			if (!k)
				return i;
			i += k;
		}
	}
	return n;
}

int cur_utf8_repair(const char *str, size_t n, cur_buf *out, size_t *repairs)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, count = 0;

	while (i < n) {
		size_t ok = cur_utf8_valid_prefix(str + i, n - i);

		CUR_FORWARD(cur_buf_append(out, str + i, ok));
		i += ok;
		if (i >= n)
			break;
		CUR_FORWARD(cur_buf_append(out, "\xEF\xBF\xBD", 3));
		i += utf8_invalid_len(s + i, n - i);
		count++;
	}
	if (!out->data)
		CUR_FORWARD(cur_buf_reserve(out, 0));
	if (repairs)
		*repairs = count;
	return CUR_OK;
}

size_t cur_utf8_encode(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *)out;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t cur_utf8_count(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL;
	size_t c = n, i = 0;

	/* Eight bytes at a time: bit 7 of (w & ~(w << 1)) is set in each
	 * continuation byte (10xxxxxx); the multiply adds up the eight flags.
	 * Every run measures every document, so this is worth the trick. */
	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		c -= (size_t)(((((w & ~(w << 1)) >> 7) & ones) * ones) >> 56);
	}
	for (; i < n; i++)
		c -= ((unsigned char)s[i] & 0xC0) == 0x80;
	return c;
}
