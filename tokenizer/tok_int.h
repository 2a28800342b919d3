/* Shared inside tokenizer/ only: the loaded vocabulary and its hash tables. */
#ifndef TOK_INT_H
#define TOK_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "core/error.h"
#include "tokenizer/tok_extra.h"
#include "tokenizer/tokenizer.h"

#define TOK_NONE UINT32_MAX

/* The longest token the tiktoken loader reads (1,024 base64 characters);
 * the trainer never makes a longer one. */
#define TOK_MAX_TOKEN_BYTES 768

/* Open addressing, linear probing: byte string -> id. A slot holds the first
 * bytes inline, so that a token of up to 8 bytes is found without touching
 * the blob; longer ones are checked against the blob. */
typedef struct tok_slot {
	uint64_t key;  /* tok_short_key of the bytes (all of them up to 8) */
	uint32_t tag;  /* high hash bits | min(length, 255) */
	uint32_t id;
} tok_slot;

/* tags[i] (16 hash bits, 0 = empty) mirrors slots[i] in a small array that
 * stays in cache: most misses are settled without touching the slots. */
typedef struct tok_table {
	uint16_t *tags;
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
	int special_one_first;      /* the one such byte, or -1 */
	uint8_t special_second[256]; /* bytes that follow it (specials of 2+ bytes) */
	int special_has_1;           /* some special token is one byte long */
	size_t special_lens[32];     /* the distinct lengths, longest first */
	size_t nspecial_lens;        /* 0: too many, try every length */
	/* pair_in_token[a<<8|b]: some token holds bytes a, b side by side. A
	 * boundary between a and b that no token spans is final for BPE. */
	uint8_t *pair_in_token;
	uint32_t *pair_rank; /* [a<<8|b]: rank of the 2 bytes, TOK_NONE if none */
	size_t cut_window;   /* segments longer than this look for cut points
			      * (bpe.c), to bound the memory of long pieces */
	size_t run_min;      /* runs of one byte this long merge run-length
			      * encoded (bpe.c) */
	int whole_lookup;    /* look a piece up whole before BPE (tiktoken, HF's
			      * ignore_merges); 0 for a tokenizer.json without it */
	int pretok;
	void *pcre2;         /* compiled pattern for --pretokenizer pcre2 */
	char *pattern;       /* the vocabulary's own pattern (FOO-pattern.txt),
			      * NULL for Llama 3's: it always runs on PCRE2 */
	/* tok_checksum hashes the file on first use (SHA-256 of 2 MB would be
	 * two thirds of the load time): the file's bytes wait here till then. */
	pthread_mutex_t sum_lock;
	char *file;
	size_t file_len;
	int sum_done;
	char checksum[65];
};

/* tok_keep_file: keep a copy of the loaded file for tok_checksum. */
int tok_keep_file(tok_tokenizer *t, const void *data, size_t len);

/* tok_short_key: the bytes of p[0..n) packed in 64 bits, one to one for
 * n <= 8 (given n), from overlapping loads; longer strings give their
 * first 8 bytes. */
static inline uint64_t tok_short_key(const uint8_t *p, size_t n)
{
	uint32_t lo, hi;

	if (n >= 8) {
		uint64_t k;
		__builtin_memcpy(&k, p, 8);
		return k;
	}
	if (n >= 4) {
		__builtin_memcpy(&lo, p, 4);
		__builtin_memcpy(&hi, p + n - 4, 4);
		return (uint64_t)hi << 32 | lo;
	}
	if (n == 0)
		return 0;
	return (uint64_t)p[0] | (uint64_t)p[n >> 1] << 8 | (uint64_t)p[n - 1] << 16;
}

uint32_t tok_table_find(const tok_tokenizer *t, const tok_table *tab, const void *p, size_t n);

/* tok_table_find_h: the same with the hash XXH3-64(p, n) already known. */
uint32_t tok_table_find_h(const tok_tokenizer *t, const tok_table *tab, const void *p, size_t n,
			  uint64_t h);
uint64_t tok_hash(const void *p, size_t n);

/* Pieces that needed BPE within one tok_encode call, by hash: a repeated
 * rare word copies its ids from its first occurrence in the output. The
 * earlier piece's bytes are still in the caller's text. */
#define TOK_CACHE_SIZE 256
/* Also the rank of the concatenation of two tokens, by their ranks (a token
 * is one byte string, so the pair of ranks decides it): merges of the same
 * characters repeat throughout a text, and this skips hashing the bytes. */
#define TOK_PAIR_CACHE 1024
typedef struct tok_piece_cache {
	struct {
		const uint8_t *p;  /* NULL: empty */
		uint64_t h;
		size_t pos;        /* its ids: out->ids[pos .. pos+count) */
		uint32_t n, count;
	} e[TOK_CACHE_SIZE];
	struct {
		uint32_t a, b;     /* a == TOK_NONE: empty */
		uint32_t rank;
	} pair[TOK_PAIR_CACHE];
} tok_piece_cache;

/* tok_piece_cache_clear: make every entry empty. */
void tok_piece_cache_clear(tok_piece_cache *c);

/* Encode one pre-tokenized piece (ordinary text) with byte-level BPE;
 * cache may be NULL. */
int tok_bpe_piece(const tok_tokenizer *t, const uint8_t *s, size_t n, tok_ids *out,
		  tok_piece_cache *cache);


/* tok_index_build: index a tokenizer whose nranks, nspecial, blob and off
 * are set. A duplicate byte string gives CUR_EDATA with the two ids in
 * OUT: dup[0], dup[1] (the caller names them); a missing single byte gives
 * CUR_EDATA with dup[0] = TOK_NONE and dup[1] = the byte. */
int tok_index_build(tok_tokenizer *t, uint32_t dup[2]);

/* What goes beside FOO.tiktoken: FOO-special-tokens.tsv ("ID\tTOKEN"
 * lines) and FOO-pattern.txt (the pre-tokenizer pattern, one line). */
#define TOK_SPECIALS_SUFFIX "special-tokens.tsv"
#define TOK_PATTERN_SUFFIX "pattern.txt"

/* tok_sibling_path: "FOO-suffix" for a path "FOO.tiktoken" (malloc'd), or
 * NULL when path does not end in .tiktoken (or out of memory). */
char *tok_sibling_path(const char *path, const char *suffix);

/* tok_byte_printable: whether GPT-2's byte-level alphabet shows byte b as
 * itself (the others become U+0100 on); these come first in its order. */
static inline int tok_byte_printable(unsigned b)
{
	return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
}

/* tok_llama3_special_name: the name of Llama 3's k-th special token
 * (k < 256: "<|begin_of_text|>" for 0, ...). */
void tok_llama3_special_name(unsigned k, char *out, size_t cap);

/* tok_pattern_length: the length of a pattern file's text less one final
 * line break. */
size_t tok_pattern_length(const char *data, size_t len);

int tok_load_tiktoken(const char *path, tok_tokenizer **out, cur_err *err);
int tok_load_hf_json(const char *path, tok_tokenizer **out, cur_err *err);

/* tok_sha256_hex: hex digest of data into out[65]. */
void tok_sha256_hex(const void *data, size_t n, char out[65]);

#endif
