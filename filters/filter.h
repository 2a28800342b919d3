/* Quality and safety filters: Gopher quality and repetition, C4, FineWeb,
 * the Llama 3 heuristics, word and URL blocklists, length and script.
 *
 * flt_stage_new builds the `filter` stage from a config object:
 *   rules: "gopher-quality,c4" or ["gopher-quality", "c4"] (rule sets, in order)
 *   set: ["gopher-quality.min_words=30", ...] or {"gopher-quality.min_words": 30}
 *   annotate: true (keep every document, write scores under metadata.curate.filter)
 *   blocklist, dirty_words: lists of files; token_distribution: a file;
 *   scripts: "latin,cyrillic" (the length rule set's allowed scripts).
 * A dropped document carries reason "ruleset:statistic" and the measured value.
 *
 * The engine below is the same filter without a pipeline (tests, --explain):
 * an engine is read-only once built and may be shared by threads, each with
 * its own flt_worker. */
#ifndef FLT_FILTER_H
#define FLT_FILTER_H

#include <stddef.h>
#include <jansson.h>
#include "core/buf.h"
#include "core/error.h"
#include "core/options.h"
#include "core/stage.h"

extern const cur_opt_spec flt_stage_options[];

cur_stage *flt_stage_new(json_t *config, const cur_stage_env *env, cur_err *err);

typedef struct flt_engine flt_engine;
typedef struct flt_ctx flt_worker;

/* flt_engine_new: build from config (borrowed) as flt_stage_new does.
 * CUR_EINVAL (a usage error: unknown rule set, rule or option; the message
 * lists the valid names), CUR_EIO (a list file), CUR_ENOMEM. */
/* flt_rules_describe: every rule set and rule with its --set key, the reason
 * it drops with and its default, as text for `curate help filter`. */
int flt_rules_describe(cur_buf *out);

int flt_engine_new(json_t *config, const cur_stage_env *env, flt_engine **out, cur_err *err);
void flt_engine_free(flt_engine *e);

flt_worker *flt_worker_new(const flt_engine *e);
void flt_worker_free(flt_worker *w);

typedef struct flt_verdict {
	int drop;             /* CUR_KEEP or CUR_DROP */
	const char *reason;   /* the first failed rule, "ruleset:statistic" (static) */
	double value;
	const char *text;     /* the text after line removal (owned by the worker) */
	size_t len;
	int changed;          /* text differs from the input */
} flt_verdict;

/* flt_judge: run the rule sets over text. url (may be NULL) feeds the URL
 * blocklist. With scores non-NULL every rule runs and each value is stored
 * in it under its reason (NAN as null), plus "failed": [reasons]. */
int flt_judge(flt_worker *w, const char *text, size_t len, const char *url, json_t *scores,
	      flt_verdict *v);

/* flt_explain: every rule with its value, threshold and pass/fail, as text. */
int flt_explain(flt_worker *w, const char *text, size_t len, const char *url, cur_buf *out);

/* flt_fit_add/flt_fit_write: count Llama 3 tokens of texts and write the
 * token distribution file that the llama3 KL rule reads. */
typedef struct flt_fit flt_fit;
int flt_fit_new(const char *tokenizer_path, flt_fit **out, cur_err *err);
int flt_fit_add(flt_fit *f, const char *text, size_t len);
int flt_fit_write(flt_fit *f, const char *path, cur_err *err);
void flt_fit_free(flt_fit *f);

#endif
