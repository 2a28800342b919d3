/* The `extract` stage (see docs/extract.md): the constructor and options
 * that bin/stages.c lists. */
#ifndef EXT_STAGE_H
#define EXT_STAGE_H

#include <jansson.h>
#include "core/error.h"
#include "core/options.h"
#include "core/stage.h"

extern const cur_opt_spec ext_stage_options[];

/* ext_stage_new: an extract stage for config (borrowed JSON object of the
 * options above). NULL on error, err says why (CUR_EINVAL: bad option). */
cur_stage *ext_stage_new(json_t *config, const cur_stage_env *env, cur_err *err);

#endif
