/* Shared inside shards/ only: the token spill, the plan (mixing, splitting,
 * shuffling, packing, cutting) and the shard file writers.
 *
 * A run has two passes. Pass 1 (the pipeline sink) tokenizes every document
 * and appends its ids to a per-category spill file in the work directory,
 * with its length in a second file. Pass 2 plans the output from the
 * lengths alone (which category next, train or valid, where the shuffle
 * puts it, which sample and shard it lands in) and then writes the shards,
 * reading the ids back from the spill. The plan is a pure function of the
 * lengths and the options, so it runs twice: once dry, to count the shards
 * (their names are a seeded permutation), once for real. */
#ifndef SHARD_INT_H
#define SHARD_INT_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include "core/error.h"
#include "core/rng.h"
#include "mix/mix.h"
#include "shards/shard.h"
#include "tokenizer/tokenizer.h"

/* ---- spill: per-category token and length files ---- */
/* Pass 2 reads a category's spill as one or more segments in order: the
 * spill pass 1 wrote, or those of every slice of a distributed run (each
 * task's pass 1 wrote its own), read as if they were one file. */
typedef struct shard_spill_seg {
	char *tok_path, *len_path;
	int fd;                   /* pread */
	uint64_t base;            /* token offset of its first id in the spill */
	uint64_t tokens;
} shard_spill_seg;

typedef struct shard_spill {
	char *tok_path, *len_path;
	int tok_wfd;              /* pass 1 */
	tok_ids pending;          /* pass 1: ids not yet written */
	FILE *len_out;            /* pass 1 */
	shard_spill_seg *segs;    /* pass 2 */
	size_t nsegs;
	uint64_t docs, tokens;    /* what pass 1 stored */
	uint64_t empty;           /* empty documents skipped */
} shard_spill;

/* shard_spill_create: with_ids 0 keeps the lengths only (a dry run): the
 * ids appended or committed are dropped. */
int shard_spill_create(shard_spill *s, const char *workdir, size_t idx, int with_ids, cur_err *err);
int shard_spill_append(shard_spill *s, const uint32_t *ids, size_t n, cur_err *err);
/* Without a copy: a caller appends one document's n > 0 ids to
 * shard_spill_ids(s) (as the encoder's output buffer) and commits them;
 * a commit that fails drops them again. */
tok_ids *shard_spill_ids(shard_spill *s);
int shard_spill_commit(shard_spill *s, size_t n, cur_err *err);
/* shard_spill_close_write: flush and close the pass-1 files. */
int shard_spill_close_write(shard_spill *s, cur_err *err);
int shard_spill_open_read(shard_spill *s, const char *workdir, size_t idx, cur_err *err);
/* shard_spill_open_chain: read category idx's spills of the work
 * directories dirs[0..n) as one, in that order. */
int shard_spill_open_chain(shard_spill *s, char *const *dirs, size_t n, size_t idx, cur_err *err);
/* shard_spill_read: ids[0..n) from token offset off. */
int shard_spill_read(const shard_spill *s, uint64_t off, uint32_t *ids, size_t n, cur_err *err);
/* shard_spill_readahead: start reading ids [from, to) into the page cache
 * without waiting (a hint: errors are ignored). */
void shard_spill_readahead(const shard_spill *s, uint64_t from, uint64_t to);
void shard_spill_release(shard_spill *s);

/* ---- plan ---- */
enum { SHARD_TRAIN = 0, SHARD_VALID = 1, SHARD_NSPLITS = 2 };
#define SHARD_CAT_PAD UINT32_MAX

/* One run of tokens in a sequence: n ids of category cat from spill offset
 * off, or (token != 0) n copies of the special id token, owned by cat
 * (SHARD_CAT_PAD for padding). */
typedef struct shard_piece {
	uint64_t off;
	uint32_t n;
	uint32_t cat;
	uint32_t token;
} shard_piece;

/* The writer side of the plan. */
typedef struct shard_emit {
	int (*begin)(void *ctx, int split, uint64_t k, cur_err *err);
	/* A complete sequence: pieces, ntok ids, ndocs documents starting in it. */
	int (*seq)(void *ctx, const shard_piece *p, size_t np, uint64_t ntok, uint32_t ndocs,
		   cur_err *err);
	int (*end)(void *ctx, cur_err *err);
	void *ctx;
} shard_emit;

typedef struct shard_plan_cfg {
	const mix_target *mix;   /* weights already renormalized to live categories */
	uint64_t budget;         /* 0: no limit */
	int repeat;              /* --on-exhausted repeat */
	int max_epochs;
	double valid_fraction;
	uint64_t seed;
	int shuffle;
	size_t shuffle_buffer;   /* documents */
	uint32_t pack;           /* 0: one sequence per document */
	int no_split;
	size_t pack_bins;
	uint32_t pad_id;
	uint64_t shard_tokens;
	uint32_t sep_id;
	int sep_before;          /* llm.c: separator before the document */
	int readahead;           /* ask the kernel for the spill ahead of the draws */
} shard_plan_cfg;

typedef struct shard_plan_stats {
	uint64_t tokens[MIX_MAX_CATEGORIES];    /* with separators */
	uint64_t documents[MIX_MAX_CATEGORIES];
	uint64_t consumed[MIX_MAX_CATEGORIES];  /* content tokens drawn */
	int epochs_started[MIX_MAX_CATEGORIES];
	uint64_t split_docs[SHARD_NSPLITS], split_tokens[SHARD_NSPLITS];
	uint64_t split_shards[SHARD_NSPLITS], split_padding[SHARD_NSPLITS];
	uint64_t split_seqs[SHARD_NSPLITS];
	uint64_t split_chunks[SHARD_NSPLITS];   /* documents cut at the pack length */
	const char *stop_reason;                /* "budget", "exhausted", "end" */
	int stop_cat;                           /* the exhausted category, or -1 */
} shard_plan_stats;

/* shard_plan_run: draw, split, shuffle, pack and cut the documents whose
 * lengths are in spills (opened for reading), calling emit. */
int shard_plan_run(const shard_plan_cfg *cfg, shard_spill *spills, size_t nspills,
		   const shard_emit *emit, shard_plan_stats *st, cur_err *err);

/* ---- files ---- */
const char *shard_split_name(int split);
/* shard_file_name: "train_00003" into buf. */
void shard_file_name(char *buf, size_t size, int split, uint64_t k);
/* shard_is_file_name: is n a name shard_file_name makes, with .bin or
 * .idx ("train_00003.bin", not a user's "train_data.bin")? */
int shard_is_file_name(const char *n);
/* shard_xxh3_hex: canonical (big-endian) hex of an XXH3-128 into hex[33]. */
void shard_xxh3_hex(const void *canonical16, char hex[33]);
/* shard_file_xxh3: hash a whole file. OUT: hex, *bytes. */
int shard_file_xxh3(const char *path, char hex[33], uint64_t *bytes, cur_err *err);
/* shard_write_all: write n bytes or fail with CUR_EIO naming path. */
int shard_write_all(int fd, const void *p, size_t n, const char *path, cur_err *err);
/* shard_path: dir/name into a malloc'd string (NULL on ENOMEM). */
char *shard_path(const char *dir, const char *name);

#endif
