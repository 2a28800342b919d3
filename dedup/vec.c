/* The growable u64 vector of dd_int.h. */
#include "config.h"

#include <stdlib.h>
#include "core/buf.h"
#include "dedup/dd_int.h"

int dd_u64vec_grow(dd_u64vec *a, uint64_t x)
{
	size_t cap = a->cap ? a->cap * 2 : 256;
	uint64_t *v = cur_realloc_array(a->v, cap, sizeof *v);
	if (!v)
		return CUR_ENOMEM;
	a->v = v;
	a->cap = cap;
	a->v[a->n++] = x;
	return CUR_OK;
}

void dd_u64vec_release(dd_u64vec *a)
{
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return (a > b) - (a < b);
}

size_t dd_u64_sort_unique(uint64_t *v, size_t n)
{
	size_t k = 0;
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cmp_u64);
	for (size_t i = 1; i < n; i++)
		if (v[i] != v[k])
			v[++k] = v[i];
	return k + 1;
}

void dd_u64vec_free(void *p)
{
	dd_u64vec *v = p;
	if (v) {
		free(v->v);
		free(v);
	}
}
