/* The `pii` stage (see docs/pii.md): the constructor and options that
 * bin/stages.c lists. */
#ifndef PII_STAGE_H
#define PII_STAGE_H

#include <jansson.h>
#include "core/error.h"
#include "core/options.h"
#include "core/stage.h"

extern const cur_opt_spec pii_stage_options[];

/* pii_stage_new: a pii stage for config (borrowed JSON object of the
 * options above). NULL on error, err says why (CUR_EINVAL: bad option). */
cur_stage *pii_stage_new(json_t *config, const cur_stage_env *env, cur_err *err);

#endif
