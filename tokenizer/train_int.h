/* Shared by the trainer's files only: train.c (the trainer, its output and
 * sink), train_count.c (pieces and their counts), train_merge.c (learning). */
#ifndef TOK_TRAIN_INT_H
#define TOK_TRAIN_INT_H

#include <stddef.h>
#include <stdint.h>
#include "core/file.h"
#include "tokenizer/pretok.h"
#include "tokenizer/tok_int.h"
#include "tokenizer/train.h"

/* Bytes the trainer holds, counted as it allocates: the counting keeps the
 * projected learning state under the budget with them, and the report says
 * how close it came. */
typedef struct train_mem {
	size_t now, peak;
} train_mem;

/* train_grow: make room for `need` elements of `size` bytes in *p (capacity
 * *cap, growing by half), counted in m (train_mem.c). CUR_ENOMEM on failure
 * (*p is kept). */
int train_grow(train_mem *m, void **p, size_t *cap, size_t need, size_t size);
/* train_drop: free an array of cap elements of size bytes counted in m. */
void train_drop(train_mem *m, void *p, size_t cap, size_t size);

/* train_index_build: replace *slot (of *nslot slots, freed with
 * train_drop) by a fresh open-addressing index of nslot slots (a power of
 * two) over items 0..n-1: item k goes to the first free slot from
 * home(ctx, k) & (nslot - 1) on, stored as k + 1 (0 is empty). Counted in m
 * unless m is NULL. */
int train_index_build(train_mem *m, uint32_t **slot, size_t *nslot, size_t nslot_new, size_t n,
		      size_t (*home)(const void *ctx, size_t k), const void *ctx);

/* A distinct piece while counting, then a word while learning: the same
 * array serves both, so that the switch needs no second copy. */
typedef struct train_word {
	uint64_t hash;   /* XXH3 of the bytes (counting) */
	uint64_t count;
	uint64_t off;    /* counting: into the piece bytes; learning: into the symbols */
	uint32_t len;    /* bytes, then tokens */
	uint32_t stamp;  /* learning: the last merge that looked at the word */
} train_word;

/* The counted pieces. */
typedef struct piece_table {
	train_word *w;
	size_t n, cap;
	uint32_t *slot;        /* open addressing: index into w plus one, 0 empty */
	size_t nslot;          /* a power of two, at least twice n */
	uint8_t *bytes;        /* the pieces back to back */
	size_t nbytes, capbytes;
	uint64_t total;        /* pieces counted (N) */
	uint64_t undercount;   /* sum of the counts pruning took off every piece */
	uint64_t prunes;
	uint64_t skipped;      /* pieces larger than the whole budget, left out */
	size_t budget;         /* bytes the learning state may take */
} piece_table;

/* The learned tokens: bytes by rank, and a bytes -> rank index. */
typedef struct token_set {
	uint8_t *blob;
	size_t nblob, capblob;
	uint64_t *off;         /* rank r is blob[off[r] .. off[r+1]) */
	size_t n, capoff;      /* ranks; capoff counts off's elements */
	uint32_t *slot;        /* rank plus one, 0 empty */
	size_t nslot;
} token_set;

struct tok_trainer {
	tok_train_opts o;      /* pattern and specials point at the copies below */
	char *pattern;         /* the pattern's text, NULL for Llama 3 */
	tok_pcre2 *re;         /* a pattern of its own runs on PCRE2 */
	char **specials;
	const tok_tokenizer *base;   /* the kept ranks' encoder (extend) */
	tok_tokenizer *own_base;     /* base cut to base_ranks, when it is */
	train_mem mem;
	piece_table pieces;
	token_set tokens;
	int learned;
	/* for the report */
	uint64_t merges, merges_existing; /* pair merges; those into a known token */
	uint64_t words, symbols;          /* when learning began */
	piece_table counted;              /* the counting's figures (no arrays) */
	uint64_t last_count;              /* count of the last merge */
	const char *stopped;              /* why learning stopped */
	double start_s, count_s, learn_s;
};

/* The projected bytes of learning for n words of nbytes bytes: what the
 * counting keeps under pieces.budget. */
size_t train_projected_bytes(size_t n, size_t nbytes);

/* piece_table_init / release: an empty table for the given budget. */
int piece_table_init(piece_table *pt, train_mem *m, size_t budget);
void piece_table_release(piece_table *pt, train_mem *m);

/* token_set: add the bytes as the next rank; find a rank (TOK_NONE). */
int token_set_add(token_set *ts, train_mem *m, const uint8_t *p, size_t n);
uint32_t token_set_find(const token_set *ts, const uint8_t *p, size_t n);
void token_set_release(token_set *ts, train_mem *m);

/* The three output files, open under temporary names (train.c, through
 * core/file.h): train_outputs_open fails at once for an unwritable path or
 * a name that does not end in .tiktoken; train_outputs_finish writes the
 * learned vocabulary and renames all three; train_outputs_free removes
 * unfinished ones. */
enum { OUT_VOCAB, OUT_SPECIALS, OUT_PATTERN, NOUT };
typedef struct train_outputs {
	cur_atomic f[NOUT];
} train_outputs;
int train_outputs_open(train_outputs *to, const char *path, cur_err *err);
int train_outputs_finish(const tok_trainer *t, train_outputs *to, cur_err *err);
void train_outputs_free(train_outputs *to);

/* train_learn: the merge loop (train_merge.c). */
int train_learn(tok_trainer *t, cur_err *err);

/* The rank of every byte when training from bytes: GPT-2's byte-level order
 * (printable bytes first), which Llama 3, tiktoken and HF tokenizers share. */
void train_byte_ranks(uint32_t rank_of[256], uint8_t byte_at[256]);

#endif
