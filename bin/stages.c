#include "config.h"

#include <string.h>
#include "bin/cli.h"
#include "classify/stage.h"
#include "dedup/dedup.h"
#include "extract/stage.h"
#include "filters/filter.h"
#include "model/ppl_stage.h"
#include "pii/stage.h"
#include "shards/shard.h"
#include "tokenizer/tokenize_stage.h"
#include "tokenizer/train.h"

/* Every stage, once: `curate NAME` and pipeline files both read this table.
 * Adding a stage is one file in its module and one row here. */
const cli_stage_row cli_stage_table[] = {
	{ "classify", "fastText language ID, mix categories, quality and any fastText model",
	  cls_stage_new, cls_stage_options, cls_stage_categories },
	{ "dedup", "URL (newest), exact, MinHash and line dedup over the whole input (docs/dedup.md)",
	  dd_stage_new, dd_stage_options, NULL },
	{ "extract", "HTML to the main text of the page (boilerplate removed, charsets decoded)",
	  ext_stage_new, ext_stage_options, NULL },
	{ "filter", "quality and safety filters (Gopher, C4, FineWeb, Llama 3, blocklists)", flt_stage_new, flt_stage_options, NULL },
	{ "pii", "detect and redact personal data (e-mail, IP, phone, card, IBAN, SSN, secrets)",
	  pii_stage_new, pii_stage_options, NULL },
	{ "ppl", "perplexity under the reference model (metadata.ppl); fit and filter by buckets",
	  model_ppl_stage_new, model_ppl_options, NULL },
	{ "tokenize", "count Llama 3 tokens (metadata.tokens), or --emit ids", tok_stage_new,
	  tok_stage_options, NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

const size_t cli_stage_count = sizeof(cli_stage_table) / sizeof(cli_stage_table[0]) - 1;

const cli_stage_row *cli_stage_find(const char *name)
{
	size_t i;

	for (i = 0; i < cli_stage_count; i++)
		if (strcmp(cli_stage_table[i].name, name) == 0)
			return &cli_stage_table[i];
	return NULL;
}

/* Sinks a pipeline file may name; the JSONL writer is the default. */
const cli_sink_row cli_sink_table[] = {
	{ "ids", "token ids, one line per document", tok_ids_sink_new, tok_stage_options,
	  "the file of ids (else the pipeline's output)" },
	{ "shard", "Megatron/llm.c token shards and manifest.json (docs/shards.md)", shard_sink_new,
	  shard_options, "the directory of shards (else the pipeline's output)" },
	{ "tokenizer", "learn a BPE vocabulary from the kept text (docs/tokenizer.md)",
	  tok_train_sink_new, tok_train_sink_options, "the vocabulary, FILE.tiktoken (else the pipeline's output)" },
	{ NULL, NULL, NULL, NULL, NULL }
};

int cli_make_sink(json_t *spec, const cli_common *c, const cur_stage_env *env,
		  cur_sink **out, cur_err *err)
{
	const char *name;
	json_t *cfg;
	size_t i;

	*out = NULL;
	if (!spec || json_is_null(spec))
		return CUR_OK;
	if (!json_is_object(spec) || json_object_size(spec) != 1)
		return cur_err_set(err, CUR_EINVAL, "'sink' must be a mapping {NAME: {options}}");
	json_object_foreach(spec, name, cfg) {
		for (i = 0; cli_sink_table[i].name; i++) {
			if (strcmp(cli_sink_table[i].name, name) != 0)
				continue;
			*out = cli_sink_table[i].create(cfg, env, c->output, err);
			return *out ? CUR_OK : (err->code ? err->code : CUR_EINVAL);
		}
		if (strcmp(name, "jsonl") == 0)
			return CUR_OK;
		return cur_err_set(err, CUR_EINVAL, "unknown sink '%s'", name);
	}
	return CUR_OK;
}
