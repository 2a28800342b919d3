/* Histograms with fixed, documented bins: the shape every chart of the run
 * report reads (docs/report.md).
 *
 * Bin i counts the values v with edges[i] <= v < edges[i+1]; the last bin
 * has no upper end. In JSON: {"unit", "edges": [...], "counts": [...],
 * "total", "sum"}, edges and counts of the same length: total is the
 * number of values counted (documents, clusters), sum their sum. */
#ifndef CUR_HIST_H
#define CUR_HIST_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

typedef struct cur_hist {
	const double *edges;  /* nbins ascending lower edges, static storage */
	size_t nbins;
	uint64_t *counts;     /* nbins, owned */
	uint64_t n;           /* values added */
	double sum;
} cur_hist;

/* The bins of document lengths, in characters or tokens: 0, then 1-2-5
 * steps from 1 to 10^7 (0, 1, 2, 5, 10, 20, 50, ..., 5000000, 10000000). */
extern const double cur_length_edges[];
extern const size_t cur_length_nbins;

/* cur_hist_init: empty bins over edges (borrowed; ascending). CUR_ENOMEM. */
int cur_hist_init(cur_hist *h, const double *edges, size_t nbins);
void cur_hist_release(cur_hist *h);

/* cur_hist_add: count v in its bin (values below edges[0] go to bin 0). */
void cur_hist_add(cur_hist *h, double v);

/* cur_hist_merge: add src's counts to dst (the same edges). */
void cur_hist_merge(cur_hist *dst, const cur_hist *src);

/* cur_hist_json: the histogram as the report stores it (a new reference). */
json_t *cur_hist_json(const cur_hist *h, const char *unit);

#endif
