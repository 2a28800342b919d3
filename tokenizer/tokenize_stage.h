/* `curate tokenize`: the tokenize stage (adds metadata.tokens) and the ids
 * sink (one line of space-separated ids per document, in input order). */
#ifndef TOK_TOKENIZE_STAGE_H
#define TOK_TOKENIZE_STAGE_H

#include <jansson.h>
#include "core/options.h"
#include "core/pipeline.h"
#include "core/sink.h"
#include "core/stage.h"

extern const cur_opt_spec tok_stage_options[];

/* tok_stage_new: options emit ("count"; "ids" needs the ids sink, see
 * tok_ids_sink_new), allow_special, pretokenizer. */
cur_stage *tok_stage_new(json_t *config, const cur_stage_env *env, cur_err *err);

/* tok_ids_sink_new: write each document's ids to output ("-"/NULL: stdout),
 * through a temporary file renamed on finish. Takes the same options. */
cur_sink *tok_ids_sink_new(json_t *config, const cur_stage_env *env, const char *output,
			   cur_err *err);

/* tok_counter_new: a token counter for the run report's length histograms
 * (the tokenizer at path, NULL for Llama 3). *out gets the counter, which
 * holds the tokenizer until tok_counter_free. */
int tok_counter_new(const char *path, cur_token_counter *out, cur_err *err);
void tok_counter_free(cur_token_counter *tc);
/* tok_counter_checksum: the counter's vocabulary sha256 (tok_checksum). */
const char *tok_counter_checksum(const cur_token_counter *tc);

#endif
