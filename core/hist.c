#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/error.h"
#include "core/hist.h"

const double cur_length_edges[] = {
	0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4,
	1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7
};
const size_t cur_length_nbins = sizeof(cur_length_edges) / sizeof(cur_length_edges[0]);

int cur_hist_init(cur_hist *h, const double *edges, size_t nbins)
{
	memset(h, 0, sizeof(*h));
	h->edges = edges;
	h->nbins = nbins;
	h->counts = cur_calloc_array(nbins ? nbins : 1, sizeof(uint64_t));
	return h->counts ? CUR_OK : CUR_ENOMEM;
}

void cur_hist_release(cur_hist *h)
{
	free(h->counts);
	h->counts = NULL;
}

void cur_hist_add(cur_hist *h, double v)
{
	size_t lo = 0, hi = h->nbins;

	/* The last bin whose lower edge is <= v. */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (v < h->edges[mid])
			hi = mid;
		else
			lo = mid;
	}
	h->counts[lo]++;
	h->n++;
	h->sum += v;
}

void cur_hist_merge(cur_hist *dst, const cur_hist *src)
{
	size_t i;

	for (i = 0; i < dst->nbins && i < src->nbins; i++)
		dst->counts[i] += src->counts[i];
	dst->n += src->n;
	dst->sum += src->sum;
}

json_t *cur_hist_json(const cur_hist *h, const char *unit)
{
	json_t *edges = json_array(), *counts = json_array();
	size_t i;

	for (i = 0; i < h->nbins; i++) {
		double e = h->edges[i];

		/* Whole edges print as integers, as a reader expects of lengths. */
		json_array_append_new(edges, e == (double)(json_int_t)e ?
				      json_integer((json_int_t)e) : json_real(e));
		json_array_append_new(counts, json_integer((json_int_t)h->counts[i]));
	}
	return json_pack("{s:s, s:o, s:o, s:I, s:f}", "unit", unit, "edges", edges, "counts",
			 counts, "total", (json_int_t)h->n, "sum", h->sum);
}
