/* The sink interface: a const table of callbacks per sink kind, like the
 * stages' (core/stage.h). A sink consumes the documents that every stage
 * kept, in input order.
 *
 * prepare() (optional) runs concurrently on workers, before the ordered turn:
 * the place for per-document work such as tokenizing; write() and finish()
 * run one document at a time, in input order. Each returns CUR_OK or a
 * negative CUR_E* code after cur_err_set(err, ...) says why. */
#ifndef CUR_SINK_H
#define CUR_SINK_H

#include <jansson.h>
#include "core/doc.h"
#include "core/error.h"
#include "core/stage.h"

typedef struct cur_sink cur_sink;

typedef struct cur_sink_ops {
	/* Optional per-thread scratch state for prepare(). */
	void *(*thread_new)(cur_sink *self);
	void (*thread_free)(cur_sink *self, void *tls);
	int (*prepare)(cur_sink *self, void *tls, cur_doc *doc, cur_err *err);
	int (*write)(cur_sink *self, cur_doc *doc, cur_err *err);
	/* Complete the output (rename into place); add figures to report (may
	 * be NULL). */
	int (*finish)(cur_sink *self, json_t *report, cur_err *err);
	/* Free; an unfinished output is removed, never left under its name.
	 * NULL is fine. */
	void (*destroy)(cur_sink *self);
	/* Optional: lines for the user after a finished run (where the output
	 * went, what it holds), or "". */
	const char *(*summary)(const cur_sink *self);
} cur_sink_ops;

struct cur_sink {
	const cur_sink_ops *ops;
	/* 1 when prepare() and write() read only a document's text, origin,
	 * record, cur_doc_id (for messages) and cur_doc_meta_str(doc,
	 * meta_key) (meta_key may be NULL). A pipeline with no stages then
	 * takes JSON Lines records apart without building their JSON tree
	 * (cur_doc_parse_light): for a tokenizing sink the tree was most of
	 * what reading costs (docs/internals/shards.md). */
	int text_only;
	const char *meta_key;
	void *priv;        /* the sink's own state */
};

/* A sink constructor, as a pipeline file names it (`sink: {NAME: config}`):
 * config is its options (borrowed), output the run's output path (may be
 * NULL). On error returns NULL after filling err (CUR_EINVAL for a bad
 * option). */
typedef cur_sink *(*cur_sink_new_fn)(json_t *config, const cur_stage_env *env,
				     const char *output, cur_err *err);

/* cur_jsonl_sink_new: JSON Lines to path ("-" or NULL: stdout); zstd when the
 * name ends in .zst (threads > 1 uses zstd workers), gzip for .gz. Written to
 * a temporary name, fsync'd and renamed on finish. */
cur_sink *cur_jsonl_sink_new(const char *path, int threads, cur_err *err);

#endif
