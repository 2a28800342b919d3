/* How well vocabularies compress a corpus: documents, bytes, characters and
 * tokens, per value of some metadata keys (language, category, source) and
 * in total, for one or more tokenizers side by side
 * (`curate tokenizer stats`). */
#ifndef TOK_VOCAB_STATS_H
#define TOK_VOCAB_STATS_H

#include <stddef.h>
#include <jansson.h>
#include "core/error.h"
#include "core/sink.h"
#include "tokenizer/tokenizer.h"

/* tok_stats_sink_new: a sink that encodes every document (ordinary text:
 * special-token strings are text) with each of toks[0..ntoks) (borrowed;
 * names label them) and adds up per value of each key: metadata[key], or
 * the top-level field of that name, or "(none)". */
cur_sink *tok_stats_sink_new(const tok_tokenizer *const *toks, const char *const *names,
			     size_t ntoks, const char *const *keys, size_t nkeys, cur_err *err);

/* tok_stats_result: after the run, {"tokenizers": [names], "total": G,
 * "by": {KEY: {VALUE: G}}} where G is {"documents", "bytes", "characters",
 * "tokens": [...], "bytes_per_token": [...], "characters_per_token": [...]}
 * (one entry per tokenizer). Borrowed from the sink. */
json_t *tok_stats_result(const cur_sink *sink);

#endif
