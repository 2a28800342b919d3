/* Unicode 16.0 character classes for the Llama 3 pre-tokenizer pattern.
 * The tables are generated (tokenizer/gen_unicode_tables.js); internal to
 * tokenizer/. */
#ifndef TOK_UNICODE_TABLES_H
#define TOK_UNICODE_TABLES_H

#include <stdint.h>

enum {
	TOK_UC_OTHER = 0,
	TOK_UC_L = 1,  /* \p{L}: Lu Ll Lt Lm Lo */
	TOK_UC_N = 2,  /* \p{N}: Nd Nl No */
	TOK_UC_WS = 3  /* White_Space (what \s means in the pattern) */
};

#define TOK_UC_BLOCK_SHIFT 7

extern const uint16_t tok_uc_stage1[0x110000 >> TOK_UC_BLOCK_SHIFT];
extern const uint8_t tok_uc_stage2[];

/* tok_uc_class: the class of a code point (TOK_UC_OTHER past U+10FFFF). */
static inline int tok_uc_class(uint32_t cp)
{
	if (cp >= 0x110000)
		return TOK_UC_OTHER;
	return tok_uc_stage2[((uint32_t)tok_uc_stage1[cp >> TOK_UC_BLOCK_SHIFT]
			      << TOK_UC_BLOCK_SHIFT) | (cp & ((1u << TOK_UC_BLOCK_SHIFT) - 1))];
}

#endif
