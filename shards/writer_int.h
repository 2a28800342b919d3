/* Shared inside shards/ only: file layouts and the writers of writer.c. */
#ifndef SHARD_WRITER_INT_H
#define SHARD_WRITER_INT_H

#include <pthread.h>
#include <stdint.h>
#include <jansson.h>
#include <xxhash.h>
#include "core/file.h"
#include "shards/shard_int.h"

/* Megatron-LM MMapIndexedDataset .idx header: 9-byte magic, u64 version 1,
 * u8 dtype code, u64 sequence count, u64 document-index count. */
#define SHARD_IDX_MAGIC "MMIDIDX\x00\x00"
#define SHARD_IDX_HEADER 34
/* Megatron dtype codes (megatron/core/datasets/indexed_dataset.py). */
enum { SHARD_DTYPE_INT32 = 4, SHARD_DTYPE_UINT16 = 8 };
/* llm.c: 256 int32 header (magic, version, token count), then uint32 ids. */
#define SHARD_LLMC_MAGIC 20240801
#define SHARD_LLMC_VERSION 7
#define SHARD_LLMC_HEADER 1024

enum { SHARD_FORMAT_MEGATRON = 0, SHARD_FORMAT_LLMC = 1 };

#define SHARD_OUTBUF (1u << 20)
/* Output buffers with a writer thread: one filling, the rest queued. */
#define SHARD_NBUF 4
/* Spill reads recorded for one buffer at most (then it is queued early). */
#define SHARD_NREADS 8192

/* A spill read into an output buffer, done later by either thread. */
typedef struct shard_read {
	uint64_t off;    /* in ids */
	size_t at;       /* in the buffer */
	uint32_t n;
	uint32_t cat;
} shard_read;

enum { SHARD_READS_PENDING, SHARD_READS_BUSY, SHARD_READS_DONE };

uint64_t shard_idx_bytes(uint64_t nseq, uint64_t ndoc);

typedef struct shard_u64v {
	uint64_t *v;
	size_t n, cap;
} shard_u64v;

/* The dry run's result: tokens and sequences of every shard, per split. */
typedef struct shard_dry {
	int split;
	shard_u64v tokens[SHARD_NSPLITS], seqs[SHARD_NSPLITS];
} shard_dry;

void shard_dry_emit(shard_dry *d, shard_emit *e);
void shard_dry_release(shard_dry *d);

typedef struct shard_writer {
	/* set by the caller before shard_writer_init */
	const char *outdir;
	int format;
	int dtype_code;
	size_t itemsize;
	int resume;
	int world, rank; /* world > 1: write only the shards k (plan order) with
			  * k % world == rank; the others get no entry */
	int async;      /* hash and write the .bin on a second thread (-j > 1) */
	shard_spill *spills;
	size_t ncat;
	const char (*cat_names)[MIX_NAME_MAX];
	const shard_dry *plan;
	uint64_t *perm[SHARD_NSPLITS];  /* stream position -> name number, or NULL; owned */
	/* results */
	json_t *entries[SHARD_NSPLITS]; /* manifest entries by name number; owned */
	uint64_t written, resumed;
	/* the shard being written */
	int split;
	uint64_t k, exp_tokens, exp_seqs;
	char name[64];
	char *bin_final, *idx_final;
	cur_atomic bin, idx;             /* the files being written */
	int fd, skip;                    /* fd: bin's */
	int other;                       /* the shard is another task's (world > 1) */
	XXH3_state_t *hash;
	unsigned char *out;
	size_t outn;
	/* the writer thread (async): a ring of buffers, queued[head..) */
	unsigned char *bufs[SHARD_NBUF];
	size_t lens_q[SHARD_NBUF];
	size_t head, queued;
	int stop, started;
	cur_err werr;
	pthread_t th;
	pthread_mutex_t mx;
	pthread_cond_t cv;
	/* async: each buffer's spill reads are recorded while it fills and done
	 * by the writer thread when the buffer reaches it, or by this thread
	 * while it would otherwise wait for a free buffer: the reads are most
	 * of pass 2, and so both threads share them. */
	size_t fill;                       /* the slot of out */
	shard_read *reads[SHARD_NBUF];
	size_t nreads[SHARD_NBUF];
	int rstate[SHARD_NBUF];            /* SHARD_READS_* */
	uint32_t *ids;
	shard_u64v lens;
	uint64_t ntok, nseq, ndocs, padding;
	uint64_t written_bytes, synced_bytes; /* of the .bin, for sync_file_range */
	uint64_t cat_tokens[MIX_MAX_CATEGORIES];
} shard_writer;

int shard_writer_init(shard_writer *w, cur_err *err);
void shard_writer_emit(shard_writer *w, shard_emit *e);
/* shard_writer_release: frees; removes the temporary files of a shard left
 * unfinished by an error. */
void shard_writer_release(shard_writer *w);

/* shard_perm_make: a seeded permutation of [0, n) (NULL when !shuffle). */
int shard_perm_make(uint64_t **out, uint64_t n, uint64_t seed, int split, int shuffle);

#endif
