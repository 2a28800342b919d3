/* Mixing: a target ratio of tokens across categories, and the sampler that
 * decides which category the next document comes from.
 *
 * The sampler is deterministic: it always picks the active category that is
 * furthest below its target share (tokens so far divided by its weight), so
 * at every point each category is within one document of its target. It
 * needs no randomness; the shard writer shuffles documents afterwards. */
#ifndef MIX_MIX_H
#define MIX_MIX_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"

#define MIX_MAX_CATEGORIES 64
#define MIX_NAME_MAX 64

/* The Llama 3 mix, used when --mix is not given. */
#define MIX_DEFAULT "general=50,math=25,code=17,multilingual=8"

typedef struct mix_target {
	size_t n;
	char names[MIX_MAX_CATEGORIES][MIX_NAME_MAX];
	double weights[MIX_MAX_CATEGORIES]; /* normalized: they sum to 1 */
	double sum;                         /* the sum as given, before normalizing */
} mix_target;

/* mix_target_parse: parse "name=W,name=W,..." (W > 0, any scale). The weights
 * are normalized to sum to 1; OUT: t->sum keeps the given sum so the caller
 * can warn when it was not 100. CUR_EINVAL (with err) on bad syntax, a
 * repeated name, a weight <= 0 or too many categories. */
int mix_target_parse(const char *spec, mix_target *t, cur_err *err);

/* mix_target_find: the index of name, or -1. */
int mix_target_find(const mix_target *t, const char *name);

/* mix_target_normalize: rescale the weights of the categories whose keep[i]
 * is nonzero to sum to 1 and set the others to 0. CUR_EINVAL when none is
 * kept. */
int mix_target_normalize(mix_target *t, const int *keep, cur_err *err);

typedef struct mix_sampler {
	size_t n;
	double weights[MIX_MAX_CATEGORIES];
	uint64_t tokens[MIX_MAX_CATEGORIES];   /* drawn so far */
	uint64_t documents[MIX_MAX_CATEGORIES];
	int active[MIX_MAX_CATEGORIES];        /* 0 once a category is retired */
	uint64_t total;
} mix_sampler;

/* mix_sampler_init: start a sampler over the weights of t (a category of
 * weight 0 is never picked). */
void mix_sampler_init(mix_sampler *s, const mix_target *t);

/* mix_sampler_pick: the category to draw the next document from: the active
 * one with the smallest tokens/weight (ties go to the lower index), or -1
 * when none is active. */
int mix_sampler_pick(const mix_sampler *s);

/* mix_sampler_add: record a drawn document of ntokens in category c. */
void mix_sampler_add(mix_sampler *s, int c, uint64_t ntokens);

/* mix_sampler_retire: never pick c again. */
void mix_sampler_retire(mix_sampler *s, int c);

#endif
