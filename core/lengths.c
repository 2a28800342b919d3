#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/error.h"
#include "core/hist.h"
#include "core/lengths.h"

/* Categories come from the documents' metadata, which any input may set:
 * beyond this many, documents count under "other" so that memory stays
 * bounded whatever the input says. */
#define MAX_CATEGORIES 64

enum { CHARS_BEFORE, CHARS_AFTER, TOKENS_BEFORE, TOKENS_AFTER, NHIST };

typedef struct category {
	char *name;
	cur_hist h[NHIST];
} category;

struct cur_lengths {
	int with_tokens;
	category *cats;  /* cats[0] is "all" */
	size_t n;
};

static int category_init(category *c, const char *name)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->name = strdup(name);
	if (!c->name)
		return CUR_ENOMEM;
	for (i = 0; i < NHIST; i++)
		if (cur_hist_init(&c->h[i], cur_length_edges, cur_length_nbins) < 0)
			return CUR_ENOMEM;
	return CUR_OK;
}

static void category_release(category *c)
{
	size_t i;

	for (i = 0; i < NHIST; i++)
		cur_hist_release(&c->h[i]);
	free(c->name);
}

cur_lengths *cur_lengths_new(int with_tokens)
{
	cur_lengths *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->with_tokens = with_tokens;
	l->cats = cur_calloc_array(MAX_CATEGORIES + 2, sizeof(category));
	if (!l->cats || category_init(&l->cats[0], "all") < 0) {
		if (l->cats)
			category_release(&l->cats[0]);
		cur_lengths_free(l);
		return NULL;
	}
	l->n = 1;
	return l;
}

void cur_lengths_free(cur_lengths *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; l->cats && i < l->n; i++)
		category_release(&l->cats[i]);
	free(l->cats);
	free(l);
}

static category *find_category(cur_lengths *l, const char *name)
{
	size_t i;

	for (i = 1; i < l->n; i++)
		if (strcmp(l->cats[i].name, name) == 0)
			return &l->cats[i];
	if (l->n > MAX_CATEGORIES) {
		name = "other";
		for (i = 1; i < l->n; i++)
			if (strcmp(l->cats[i].name, name) == 0)
				return &l->cats[i];
	}
	if (category_init(&l->cats[l->n], name) < 0) {
		category_release(&l->cats[l->n]);
		return NULL;
	}
	return &l->cats[l->n++];
}

static void add_to(cur_lengths *l, category *c, int after, uint64_t chars, uint64_t tokens)
{
	cur_hist_add(&c->h[after ? CHARS_AFTER : CHARS_BEFORE], (double)chars);
	if (l->with_tokens)
		cur_hist_add(&c->h[after ? TOKENS_AFTER : TOKENS_BEFORE], (double)tokens);
}

int cur_lengths_add(cur_lengths *l, const char *category_name, int after, uint64_t chars,
		    uint64_t tokens)
{
	add_to(l, &l->cats[0], after, chars, tokens);
	if (category_name) {
		category *c = find_category(l, category_name);

		if (!c)
			return CUR_ENOMEM;
		add_to(l, c, after, chars, tokens);
	}
	return CUR_OK;
}

static json_t *pair_json(const category *c, int before, const char *unit)
{
	return json_pack("{s:o, s:o}", "before", cur_hist_json(&c->h[before], unit), "after",
			 cur_hist_json(&c->h[before + 1], unit));
}

json_t *cur_lengths_json(const cur_lengths *l)
{
	json_t *out = json_object();
	size_t i;

	for (i = 0; i < l->n; i++) {
		const category *c = &l->cats[i];
		json_t *o = json_object();

		json_object_set_new(o, "characters", pair_json(c, CHARS_BEFORE, "characters"));
		if (l->with_tokens)
			json_object_set_new(o, "tokens", pair_json(c, TOKENS_BEFORE, "tokens"));
		json_object_set_new(out, c->name, o);
	}
	return out;
}
