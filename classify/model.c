/* A fastText model for curate: libfasttext's model, the featurizer's
 * tables, and the labels without their prefix. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "classify/classify.h"
#include "classify/cls_int.h"
#include "core/datadir.h"

#define LABEL_PREFIX "__label__"

struct cls_model {
	cls_ft *ft;
	cls_features *features;
	size_t nlabels;
	char **labels;
};

struct cls_scratch {
	cls_ft_scratch *ft;
	cls_feat_cache *cache;
	cur_buf rows;
	int32_t *label;
	float *prob;
};

static int copy_labels(cls_model *m, cur_err *err)
{
	m->labels = cur_calloc_array(m->nlabels ? m->nlabels : 1, sizeof(char *));
	if (!m->labels)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->nlabels; i++) {
		const char *l = cls_ft_label(m->ft, (int32_t)i);

		if (strncmp(l, LABEL_PREFIX, sizeof(LABEL_PREFIX) - 1) == 0)
			l += sizeof(LABEL_PREFIX) - 1;
		m->labels[i] = strdup(l);
		if (!m->labels[i])
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	return CUR_OK;
}

int cls_model_load(const char *path, cls_model **out, cur_err *err)
{
	cls_model *m = calloc(1, sizeof(*m));
	cls_ft_info info;
	int rc;

	*out = NULL;
	if (!m)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	rc = cls_ft_load(path, &m->ft, err);
	if (rc == CUR_OK)
		rc = cls_features_new(m->ft, &m->features, err);
	if (rc == CUR_OK) {
		cls_ft_get_info(m->ft, &info);
		m->nlabels = (size_t)info.nlabels;
		rc = copy_labels(m, err);
	}
	if (rc < 0) {
		cls_model_free(m);
		return rc;
	}
	*out = m;
	return CUR_OK;
}

void cls_model_free(cls_model *m)
{
	if (!m)
		return;
	if (m->labels)
		for (size_t i = 0; i < m->nlabels; i++)
			free(m->labels[i]);
	free(m->labels);
	cls_features_free(m->features);
	cls_ft_free(m->ft);
	free(m);
}

size_t cls_model_nlabels(const cls_model *m)
{
	return m->nlabels;
}

const char *cls_model_label(const cls_model *m, int32_t i)
{
	return i >= 0 && (size_t)i < m->nlabels ? m->labels[i] : "";
}

int32_t cls_model_find_label(const cls_model *m, const char *label)
{
	for (size_t i = 0; i < m->nlabels; i++)
		if (strcmp(m->labels[i], label) == 0)
			return (int32_t)i;
	return -1;
}

cls_scratch *cls_scratch_new(const cls_model *m)
{
	cls_scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ft = cls_ft_scratch_new();
	s->cache = cls_feat_cache_new();
	s->label = cur_calloc_array(m->nlabels ? m->nlabels : 1, sizeof(*s->label));
	s->prob = cur_calloc_array(m->nlabels ? m->nlabels : 1, sizeof(*s->prob));
	cur_buf_init(&s->rows, CUR_BUF_UNLIMITED);
	if (!s->ft || !s->cache || !s->label || !s->prob) {
		cls_scratch_free(s);
		return NULL;
	}
	return s;
}

void cls_scratch_free(cls_scratch *s)
{
	if (!s)
		return;
	cls_ft_scratch_free(s->ft);
	cls_feat_cache_free(s->cache);
	cur_buf_release(&s->rows);
	free(s->label);
	free(s->prob);
	free(s);
}

int cls_predict(const cls_model *m, cls_scratch *s, const char *text, size_t len, int k,
		cls_pred *out, size_t cap, size_t *n, cur_err *err)
{
	size_t got;

	*n = 0;
	CUR_FORWARD(cls_featurize(m->features, s->cache, text, len, &s->rows));
	if (k <= 0 || (size_t)k > m->nlabels)
		k = (int)m->nlabels;
	CUR_FORWARD(cls_ft_predict(m->ft, s->ft, (const int32_t *)s->rows.data,
				   s->rows.len / sizeof(int32_t), k, s->label, s->prob, m->nlabels,
				   &got, err));
	for (size_t i = 0; i < got && i < cap; i++) {
		out[i].label = s->label[i];
		out[i].prob = s->prob[i];
		(*n)++;
	}
	return CUR_OK;
}

int cls_default_model(const char *name, char *path, size_t n, cur_err *err)
{
	return cur_data_path("models", name, path, n, err);
}
