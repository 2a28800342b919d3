/* The trainer's memory: every array it grows is counted (train_mem), and
 * arrays of a megabyte or more are mapped from the system rather than taken
 * from malloc. Growing those is mremap, without a copy; freeing them gives
 * the memory back at once; and they never stay behind, unused, in the heap
 * of whichever thread happened to grow them (the counting grows its table
 * on the thread whose turn it is). So the process's resident memory follows
 * what the trainer holds, which is what --mem-limit bounds. */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "core/buf.h"
#include "core/error.h"
#include "tokenizer/train_int.h"

#define MAPPED ((size_t)1 << 20)

static void count_bytes(train_mem *m, size_t old, size_t now)
{
	if (!m)
		return;
	m->now = m->now - old + now;
	if (m->now > m->peak)
		m->peak = m->now;
}

/* The merge loop reads words and pairs all over these arrays: huge pages
 * spare most of its TLB misses (where the kernel has them on madvise). */
static void *mapped(void *q, size_t bytes)
{
	if (q == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(q, bytes, MADV_HUGEPAGE);
#endif
	return q;
}

/* Resize a block of old bytes (p may be NULL) to now bytes; NULL on failure
 * (p is then kept). New bytes are zero only when mapped. */
static void *block_resize(void *p, size_t old, size_t now)
{
	void *q;

	if (now < MAPPED && old < MAPPED)
		return realloc(p, now ? now : 1);
	if (old >= MAPPED && now >= MAPPED)
		return mapped(mremap(p, old, now, MREMAP_MAYMOVE), now);
	q = now >= MAPPED ? mapped(mmap(NULL, now, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), now) :
	    malloc(now ? now : 1);
	if (!q)
		return NULL;
	if (p)
		memcpy(q, p, old < now ? old : now);
	if (old >= MAPPED)
		munmap(p, old);
	else
		free(p);
	return q;
}

static void block_free(void *p, size_t bytes)
{
	if (p && bytes >= MAPPED)
		munmap(p, bytes);
	else
		free(p);
}

int train_grow(train_mem *m, void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 4;
	void *q;

	if (need <= *cap)
		return CUR_OK;
	while (c < need) {
		if (c > SIZE_MAX / 2 / size)
			return CUR_ENOMEM;
		c += c / 2;
	}
	q = block_resize(*p, *cap * size, c * size);
	if (!q)
		return CUR_ENOMEM;
	count_bytes(m, *cap * size, c * size);
	*p = q;
	*cap = c;
	return CUR_OK;
}

void train_drop(train_mem *m, void *p, size_t cap, size_t size)
{
	block_free(p, cap * size);
	count_bytes(m, cap * size, 0);
}

int train_index_build(train_mem *m, uint32_t **slot, size_t *nslot, size_t nslot_new, size_t n,
		      size_t (*home)(const void *ctx, size_t k), const void *ctx)
{
	size_t mask = nslot_new - 1, bytes = nslot_new * sizeof(uint32_t);
	uint32_t *s = bytes >= MAPPED ? block_resize(NULL, 0, bytes) :
		      cur_calloc_array(nslot_new, sizeof(uint32_t));

	if (!s || nslot_new > SIZE_MAX / sizeof(uint32_t))
		return CUR_ENOMEM;
	if (*slot)
		train_drop(m, *slot, *nslot, sizeof(uint32_t));
	count_bytes(m, 0, bytes);
	for (size_t k = 0; k < n; k++) {
		size_t i = home(ctx, k) & mask;
		while (s[i])
			i = (i + 1) & mask;
		s[i] = (uint32_t)(k + 1);
	}
	*slot = s;
	*nslot = nslot_new;
	return CUR_OK;
}
