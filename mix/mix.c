/* Mix targets and the token-ratio sampler (see mix.h). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "mix/mix.h"

static int parse_one(const char *item, size_t len, mix_target *t, cur_err *err)
{
	const char *eq = memchr(item, '=', len);
	if (!eq || eq == item)
		return cur_err_set(err, CUR_EINVAL, "bad --mix entry '%.*s': expected NAME=WEIGHT",
				   (int)len, item);
	size_t nlen = (size_t)(eq - item);
	if (nlen >= MIX_NAME_MAX)
		return cur_err_set(err, CUR_EINVAL, "category name '%.*s' too long", (int)nlen, item);
	if (t->n >= MIX_MAX_CATEGORIES)
		return cur_err_set(err, CUR_EINVAL, "more than %d categories", MIX_MAX_CATEGORIES);
	char num[64];
	size_t vlen = len - nlen - 1;
	if (vlen == 0 || vlen >= sizeof num)
		return cur_err_set(err, CUR_EINVAL, "bad weight in --mix entry '%.*s'", (int)len, item);
	memcpy(num, eq + 1, vlen);
	num[vlen] = '\0';
	char *end;
	errno = 0;
	double w = strtod(num, &end);
	if (errno || *end || !(w > 0) || !isfinite(w))
		return cur_err_set(err, CUR_EINVAL, "bad weight '%s' for category '%.*s' (must be > 0)",
				   num, (int)nlen, item);
	char name[MIX_NAME_MAX];
	memcpy(name, item, nlen);
	name[nlen] = '\0';
	if (mix_target_find(t, name) >= 0)
		return cur_err_set(err, CUR_EINVAL, "category '%s' given twice in --mix", name);
	memcpy(t->names[t->n], name, nlen + 1);
	t->weights[t->n++] = w;
	return CUR_OK;
}

int mix_target_parse(const char *spec, mix_target *t, cur_err *err)
{
	memset(t, 0, sizeof *t);
	const char *p = spec;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len > 0)
			CUR_FORWARD(parse_one(p, len, t, err));
		p += len + (comma ? 1 : 0);
	}
	if (t->n == 0)
		return cur_err_set(err, CUR_EINVAL, "empty --mix");
	double sum = 0;
	for (size_t i = 0; i < t->n; i++)
		sum += t->weights[i];
	t->sum = sum;
	for (size_t i = 0; i < t->n; i++)
		t->weights[i] /= sum;
	return CUR_OK;
}

int mix_target_find(const mix_target *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->names[i], name) == 0)
			return (int)i;
	return -1;
}

int mix_target_normalize(mix_target *t, const int *keep, cur_err *err)
{
	double sum = 0;
	for (size_t i = 0; i < t->n; i++)
		if (keep[i])
			sum += t->weights[i];
	if (!(sum > 0))
		return cur_err_set(err, CUR_EINVAL, "no category of the mix has any documents");
	for (size_t i = 0; i < t->n; i++)
		t->weights[i] = keep[i] ? t->weights[i] / sum : 0.0;
	return CUR_OK;
}

void mix_sampler_init(mix_sampler *s, const mix_target *t)
{
	memset(s, 0, sizeof *s);
	s->n = t->n;
	for (size_t i = 0; i < t->n; i++) {
		s->weights[i] = t->weights[i];
		s->active[i] = t->weights[i] > 0;
	}
}

int mix_sampler_pick(const mix_sampler *s)
{
	int best = -1;
	double best_v = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (!s->active[i])
			continue;
		/* Normalized progress: equal values mean the realized ratio is
		 * exactly the target; the laggard goes next. */
		double v = (double)s->tokens[i] / s->weights[i];
		if (best < 0 || v < best_v) {
			best = (int)i;
			best_v = v;
		}
	}
	return best;
}

void mix_sampler_add(mix_sampler *s, int c, uint64_t ntokens)
{
	s->tokens[c] += ntokens;
	s->documents[c]++;
	s->total += ntokens;
}

void mix_sampler_retire(mix_sampler *s, int c)
{
	s->active[c] = 0;
}
