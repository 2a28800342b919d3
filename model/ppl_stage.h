/* `curate ppl`: score each document's perplexity under a Llama-architecture
 * model (the bundled reference model by default), record it in
 * metadata.ppl and its bucket (head, middle, tail) in metadata.ppl_bucket,
 * fit the buckets' cut-offs on a reference sample (--fit) and filter by
 * them (--keep) or by a ceiling (--max-ppl). See docs/model.md. */
#ifndef MODEL_PPL_STAGE_H
#define MODEL_PPL_STAGE_H

#include <jansson.h>
#include "core/options.h"
#include "core/stage.h"

extern const cur_opt_spec model_ppl_options[];

/* model_ppl_stage_new: the ppl stage for a config object of the options
 * above (borrowed). NULL on error (CUR_EINVAL: a usage error). */
cur_stage *model_ppl_stage_new(json_t *config, const cur_stage_env *env, cur_err *err);

/* model_default_dir: the bundled reference model's directory (installed,
 * else the source tree's), written into path. */
int model_default_dir(char *path, size_t n, cur_err *err);

#endif
