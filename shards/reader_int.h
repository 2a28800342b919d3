/* Shared inside shards/ only: the reader's state, for verify. */
#ifndef SHARD_READER_INT_H
#define SHARD_READER_INT_H

#include <stdint.h>
#include "shards/reader.h"
#include "shards/writer_int.h"

typedef struct shard_map {
	const unsigned char *p;
	uint64_t size;
} shard_map;

struct shard_reader {
	int format;
	shard_map bin, idx;
	char bin_name[256], idx_name[256];
	int dtype_code;
	size_t itemsize;
	uint64_t nseq, ndoc, ntok;
	const unsigned char *lens, *ptrs, *docs; /* into idx */
	const unsigned char *tok;                /* the first id in bin */
	shard_u64v starts;                       /* llm.c: sequence starts */
};

/* shard_reader_id: the id at token position pos (pos < ntok). */
uint32_t shard_reader_id(const shard_reader *r, uint64_t pos);

#endif
