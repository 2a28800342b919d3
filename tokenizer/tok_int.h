/* Shared inside tokenizer/ only: the loaded vocabulary and its hash tables. */
#ifndef TOK_INT_H
#define TOK_INT_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"
#include "tokenizer/tokenizer.h"

#define TOK_NONE UINT32_MAX

/* Open addressing, linear probing: byte string -> id. The key bytes live in
 * the tokenizer's blob, so a slot holds only the id and 32 bits of its hash. */
typedef struct tok_slot {
	uint32_t tag;
	uint32_t id;
} tok_slot;

typedef struct tok_table {
	tok_slot *slots;
	size_t mask;
} tok_table;

enum { TOK_PRETOK_SCANNER = 0, TOK_PRETOK_PCRE2 = 1 };

struct tok_tokenizer {
	uint32_t nranks;     /* ordinary tokens: ids 0..nranks-1 */
	uint32_t nspecial;   /* special tokens: ids nranks..nranks+nspecial-1 */
	char *blob;          /* the bytes of every token, back to back */
	uint32_t *off;       /* token id's bytes are blob[off[id]..off[id+1]) */
	uint32_t byte_rank[256];
	size_t max_len;      /* longest ordinary token */
	tok_table ranks;     /* ordinary tokens */
	tok_table specials;  /* special tokens */
	size_t special_min, special_max;
	uint8_t special_first[256]; /* bytes a special token may start with */
	/* pair_in_token[a<<8|b]: some token holds bytes a, b side by side. A
	 * boundary between a and b that no token spans is final for BPE. */
	uint8_t *pair_in_token;
	int pretok;
	void *pcre2;         /* compiled pattern for --pretokenizer pcre2 */
	char checksum[65];
};

uint32_t tok_table_find(const tok_tokenizer *t, const tok_table *tab, const void *p, size_t n);

/* Encode one pre-tokenized piece (ordinary text) with byte-level BPE. */
int tok_bpe_piece(const tok_tokenizer *t, const uint8_t *s, size_t n, tok_ids *out);

/* tok_ids_push: append one id, growing the buffer. */
int tok_ids_push(tok_ids *v, uint32_t id);
int tok_ids_reserve(tok_ids *v, size_t n);

/* tok_index_build: index a tokenizer whose nranks, nspecial, blob and off
 * are set. A duplicate byte string gives CUR_EDATA with the two ids in
 * OUT: dup[0], dup[1] (the caller names them); a missing single byte gives
 * CUR_EDATA with dup[0] = TOK_NONE and dup[1] = the byte. */
int tok_index_build(tok_tokenizer *t, uint32_t dup[2]);

int tok_load_tiktoken(const char *path, tok_tokenizer **out, cur_err *err);
int tok_load_hf_json(const char *path, tok_tokenizer **out, cur_err *err);

/* tok_sha256_hex: hex digest of data into out[65]. */
void tok_sha256_hex(const void *data, size_t n, char out[65]);

#endif
