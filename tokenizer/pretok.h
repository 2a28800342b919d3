/* The Llama 3 pre-tokenizer: splits text into the pieces that the pattern
 *
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *    ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *
 * matches, with Unicode 16.0 classes. A hand-written scanner, so that it
 * needs no regex engine at run time and accepts any bytes: an invalid UTF-8
 * byte counts as one character of no class (as U+FFFD would). */
#ifndef TOK_PRETOK_H
#define TOK_PRETOK_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"

/* tok_pretok_next: the end (exclusive) of the piece that starts at pos,
 * pos < len. Always > pos. */
size_t tok_pretok_next(const uint8_t *s, size_t len, size_t pos);

/* tok_utf8_decode: decode one character at s[0..n), n >= 1; returns its
 * length and sets OUT: *cp (UINT32_MAX for an invalid byte, length 1). */
size_t tok_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* The same split with PCRE2 (UTF, UCP, JIT) and the pattern text: the test
 * oracle, --pretokenizer pcre2, and vocabularies trained with a pattern of
 * their own. PCRE2 10.42 has Unicode 14 tables, so it differs from the
 * scanner on code points that Unicode 15-16 added. */
typedef struct tok_pcre2 tok_pcre2;
/* tok_pcre2_new: the Llama 3 pattern. tok_pcre2_compile: any pattern
 * (NUL-terminated); a bad one is CUR_EINVAL with PCRE2's message and the
 * offset in err. */
tok_pcre2 *tok_pcre2_new(cur_err *err);
tok_pcre2 *tok_pcre2_compile(const char *pattern, cur_err *err);
void tok_pcre2_free(tok_pcre2 *p);
/* tok_pcre2_split: call fn for each piece of s[0..len): every match, and
 * every stretch of text between matches (as Hugging Face's Split
 * pre-tokenizer with "isolated" does), so that no byte is lost; empty
 * matches are skipped. PCRE2 reads valid UTF-8 only: a byte that starts no
 * character is a piece of its own, and the text around it is split apart.
 * The Llama 3 pattern matches every character, so on valid UTF-8 its
 * pieces are the matches. Allocates its match data per call. */
int tok_pcre2_split(const tok_pcre2 *p, const uint8_t *s, size_t len,
		    int (*fn)(void *ctx, const uint8_t *piece, size_t n), void *ctx);

/* tok_is_llama3_pattern: whether pattern[0..n) is the Llama 3 pattern, which
 * the scanner implements. */
int tok_is_llama3_pattern(const char *pattern, size_t n);

#define TOK_LLAMA3_PATTERN \
	"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|" \
	" ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

#endif
