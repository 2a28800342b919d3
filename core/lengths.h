/* Document lengths before and after the stages, per category: the run
 * report's "lengths" (docs/report.md).
 *
 * Not thread-safe: the pipeline adds from its ordered sink turn. */
#ifndef CUR_LENGTHS_H
#define CUR_LENGTHS_H

#include <stdint.h>
#include <jansson.h>

typedef struct cur_lengths cur_lengths;

/* cur_lengths_new: empty tables; with_tokens adds the token histograms.
 * NULL when out of memory. cur_lengths_free(NULL) does nothing. */
cur_lengths *cur_lengths_new(int with_tokens);
void cur_lengths_free(cur_lengths *l);

/* cur_lengths_add: one document, under "all" and under its category (NULL:
 * none). after is 0 for the document as read, 1 as it left the last stage;
 * tokens is ignored without with_tokens. CUR_ENOMEM. */
int cur_lengths_add(cur_lengths *l, const char *category, int after, uint64_t chars,
		    uint64_t tokens);

/* cur_lengths_json: {"all": {"characters": {"before": H, "after": H},
 * "tokens": {...}}, CATEGORY: {...}} with H as cur_hist_json (a new
 * reference). */
json_t *cur_lengths_json(const cur_lengths *l);

#endif
