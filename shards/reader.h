/* Reading token shards back: one shard (a Megatron .idx/.bin pair or an llm.c
 * .bin), batches across a whole output directory for a trainer, and
 * decoding for inspection (tok-dump --shard).
 *
 * Files are memory-mapped read-only; a reader may be used by many threads
 * at once. Headers are checked before they are trusted: a bad shard gives
 * CUR_EDATA with "NAME: offset N: what" in err. */
#ifndef SHARD_READER_H
#define SHARD_READER_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/error.h"
#include "tokenizer/tokenizer.h"

typedef struct shard_reader shard_reader;

/* shard_reader_open: open the shard at prefix ("DIR/train_00000"; a trailing
 * ".bin" or ".idx" is accepted). A Megatron shard has sequences as its .idx
 * says; an llm.c shard has one per <|begin_of_text|>. */
int shard_reader_open(const char *prefix, shard_reader **out, cur_err *err);
void shard_reader_close(shard_reader *r);

uint64_t shard_reader_tokens(const shard_reader *r);
uint64_t shard_reader_sequences(const shard_reader *r);
/* shard_reader_format: "megatron" or "llmc". */
const char *shard_reader_format(const shard_reader *r);

/* shard_reader_seq_span: OUT: the first token and the length of sequence k. */
int shard_reader_seq_span(const shard_reader *r, uint64_t k, uint64_t *start, uint64_t *len,
			  cur_err *err);
/* shard_reader_read: ids[0..n) from token position pos of the shard. */
int shard_reader_read(const shard_reader *r, uint64_t pos, uint32_t *ids, size_t n, cur_err *err);

/* A stream of training batches over the shards of one split of an output
 * directory (in manifest order), wrapping around at the end.
 * Each batch is B rows of T+1 consecutive ids (inputs are ids[0..T), targets
 * ids[1..T]); rank r of world w takes every w-th batch-sized window. */
typedef struct shard_loader shard_loader;

int shard_loader_open(const char *dir, const char *split, size_t B, size_t T, int rank,
		      int world, shard_loader **out, cur_err *err);
/* shard_loader_next: fill batch[B * (T + 1)]. */
int shard_loader_next(shard_loader *l, uint32_t *batch, cur_err *err);
/* shard_loader_read: ids[0..n) from position pos of the split's tokens (its
 * shards' ids one after the other, in manifest order); pos + n must not
 * pass shard_loader_tokens. Any thread may read at once. */
int shard_loader_read(const shard_loader *l, uint64_t pos, uint32_t *ids, size_t n, cur_err *err);
/* shard_loader_epoch: full passes over the split completed so far. */
uint64_t shard_loader_epoch(const shard_loader *l);
uint64_t shard_loader_tokens(const shard_loader *l);
void shard_loader_reset(shard_loader *l);
void shard_loader_close(shard_loader *l);

/* shard_dump_seq: decode sequence k of the shard at prefix into out, a
 * header line then each document under a "--- document N (T tokens) ---"
 * line (a sequence that starts mid-document says so); runs of a repeated
 * special token (padding) are shown as one "[ID x N]". */
int shard_dump_seq(const char *prefix, uint64_t k, const tok_tokenizer *t, cur_buf *out,
		   cur_err *err);

/* shard_dump_docs: one line per document of the shard at prefix:
 * "SEQ DOC TOKENS" (tab-separated, with a header line). */
int shard_dump_docs(const char *prefix, cur_buf *out, cur_err *err);

#endif
