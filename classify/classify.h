/* fastText classifiers (docs/classify.md): any supervised fastText model
 * (.bin or .ftz) loaded once and shared read-only by every thread; each
 * thread predicts with its own cls_scratch.
 *
 * A document is given to fastText as fastText's own tools give it one line:
 * every '\n' of the text is read as a space, and the line ends there. The
 * probabilities are fastText's own, equal to what `fasttext predict-prob`
 * prints for that line. */
#ifndef CLS_CLASSIFY_H
#define CLS_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"

typedef struct cls_model cls_model;
typedef struct cls_scratch cls_scratch;

typedef struct cls_pred {
	int32_t label;  /* index for cls_model_label */
	float prob;
} cls_pred;

/* cls_model_load: load a fastText model. OUT: *out, freed with
 * cls_model_free. CUR_EIO (cannot read), CUR_EDATA (not a supervised
 * fastText model), CUR_ENOMEM. */
int cls_model_load(const char *path, cls_model **out, cur_err *err);
void cls_model_free(cls_model *m);

/* cls_model_nlabels, cls_model_label: the model's labels, without the
 * "__label__" prefix; the strings belong to the model. */
size_t cls_model_nlabels(const cls_model *m);
const char *cls_model_label(const cls_model *m, int32_t i);
/* cls_model_find_label: the index of label (without prefix), or -1. */
int32_t cls_model_find_label(const cls_model *m, const char *label);

cls_scratch *cls_scratch_new(const cls_model *m);
void cls_scratch_free(cls_scratch *s);

/* cls_predict: the k most probable labels of text[0..len) (k <= 0: every
 * label), most probable first, into out (room for cap). OUT: *n (0 when
 * fastText has no input rows for the text, which no model with "</s>" in
 * its vocabulary gives). */
int cls_predict(const cls_model *m, cls_scratch *s, const char *text, size_t len, int k,
		cls_pred *out, size_t cap, size_t *n, cur_err *err);

/* cls_default_model: the path of a model shipped with curate ("lid.176.ftz",
 * "category.ftz", "quality.ftz"): installed under $(pkgdatadir)/models, or
 * in the source tree's data/models. OUT: path (room for n). CUR_EIO when
 * neither has it. */
int cls_default_model(const char *name, char *path, size_t n, cur_err *err);

#endif
