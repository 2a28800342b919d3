/* The `classify` stage (docs/classify.md): language ID, the four mix
 * categories, quality, and any fastText model; the constructor and options
 * that bin/stages.c lists. */
#ifndef CLS_STAGE_H
#define CLS_STAGE_H

#include <jansson.h>
#include "core/error.h"
#include "core/options.h"
#include "core/stage.h"

extern const cur_opt_spec cls_stage_options[];

/* cls_stage_new: a classify stage for config (borrowed JSON object of the
 * options above). NULL on error, err says why (CUR_EINVAL: bad option;
 * CUR_EIO or CUR_EDATA: a model that cannot be loaded). */
cur_stage *cls_stage_new(json_t *config, const cur_stage_env *env, cur_err *err);

/* cls_stage_categories: the categories a classify stage with config (NULL:
 * the defaults) gives, for checking a pipeline file without loading the
 * models: with the shipped content model, general, math and code (and
 * multilingual with language ID), appended to names. Returns 1 when it may
 * give others it cannot name (a --category-model of the user's), else 0. */
int cls_stage_categories(json_t *config, json_t *names);

#endif
