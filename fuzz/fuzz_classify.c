/* libFuzzer target: curate's featurizer against libfasttext's own reading
 * (Dictionary::getLine) on arbitrary bytes, for each shipped model: the
 * input rows must be the same, in the same order, whatever the bytes
 * (delimiters, NUL, "</s>", "__label__", broken UTF-8, long tokens); and
 * the category decision's equation count on the same bytes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "classify/classify.h"
#include "classify/cls_int.h"
#include "classify/fasttext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NMODELS 3
static const char *const names[NMODELS] = {"lid.176.ftz", "category.ftz", "quality.ftz"};

/* Tokens and n-grams are local: long inputs only make each run slower. */
#define MAX_INPUT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cls_ft *ft[NMODELS];
	static cls_features *f[NMODELS];
	static cls_feat_cache *cache[NMODELS];
	static cur_buf rows;
	char *line;
	cur_err err;

	if (size > MAX_INPUT)
		size = MAX_INPUT;
	/* The equation count reads exactly the input's bytes. */
	if (cls_numeric_equations((const char *)data, size, SIZE_MAX) > size)
		abort();
	line = malloc(size + 1);
	if (!line)
		return 0;
	if (!ft[0]) {
		for (int m = 0; m < NMODELS; m++) {
			char path[4096];

			if (cls_default_model(names[m], path, sizeof(path), &err) ||
			    cls_ft_load(path, &ft[m], &err) || cls_features_new(ft[m], &f[m], &err) ||
			    !(cache[m] = cls_feat_cache_new()))
				abort();
		}
		cur_buf_init(&rows, CUR_BUF_UNLIMITED);
	}
	for (size_t i = 0; i < size; i++)
		line[i] = data[i] == '\n' ? ' ' : (char)data[i];
	line[size] = '\n';
	for (int m = 0; m < NMODELS; m++) {
		int32_t *want;
		size_t n;

		if (cls_ft_line_rows(ft[m], line, size + 1, &want, &n, &err) ||
		    cls_featurize(f[m], cache[m], (const char *)data, size, &rows))
			abort();
		if (rows.len != n * sizeof(int32_t) || memcmp(rows.data, want, rows.len) != 0)
			abort();
		free(want);
	}
	free(line);
	return 0;
}
