/* UTF-8 validation and repair. */
#ifndef CUR_UTF8_H
#define CUR_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"

/* cur_utf8_valid_prefix: length of the longest valid UTF-8 prefix of s
 * (== n when all of s is valid). Surrogates and overlongs are invalid. */
size_t cur_utf8_valid_prefix(const char *s, size_t n);

/* cur_utf8_repair: append s to out with every maximal invalid subsequence
 * replaced by U+FFFD (the WHATWG / Unicode "substitution of maximal subparts"
 * rule). OUT: *repairs counts the replacements. */
int cur_utf8_repair(const char *s, size_t n, cur_buf *out, size_t *repairs);

/* cur_utf8_decode: decode one code point at s (n > 0 bytes). Returns its
 * length, or 0 for an invalid sequence (then *cp = 0xFFFD). */
size_t cur_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* cur_utf8_count: the code points of valid UTF-8 s (its non-continuation
 * bytes). */
size_t cur_utf8_count(const char *s, size_t n);

/* cur_utf8_encode: write cp as UTF-8 into out (4 bytes room); returns length. */
size_t cur_utf8_encode(uint32_t cp, char *out);

#endif
