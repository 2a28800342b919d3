/* The stage interface: a const table of callbacks per stage kind.
 *
 * A stage sees every document once, in process(), and answers CUR_KEEP or
 * CUR_DROP (after cur_doc_drop() names the reason), or a negative CUR_E*
 * code for a fatal error, after cur_err_set(err, ...) says why (the
 * pipeline adds the file, record and stage name to the message; a stage
 * that sets no message is reported by its code alone). It may rewrite the
 * text and add metadata. prepare() and finish() report errors the same way.
 *
 * Threads: when serial is 0, process() runs concurrently on many workers, so
 * it may only touch the document, its own per-thread state (tls) and
 * read-only fields of the stage. When serial is 1, the pipeline calls
 * process() for one document at a time in input order, so the stage may keep
 * global state (dedup, mixing) and stays deterministic for any -j. A serial
 * stage may still do its expensive per-document work in prepare(), which runs
 * concurrently before the serial turn. */
#ifndef CUR_STAGE_H
#define CUR_STAGE_H

#include <jansson.h>
#include "core/doc.h"
#include "core/error.h"

enum { CUR_KEEP = 0, CUR_DROP = 1 };

typedef struct cur_stage cur_stage;

typedef struct cur_stage_ops {
	/* Optional per-thread scratch state; NULL when not needed. */
	void *(*thread_new)(cur_stage *self);
	void (*thread_free)(cur_stage *self, void *tls);
	/* Optional, concurrent: per-document work before the serial turn. */
	int (*prepare)(cur_stage *self, void *tls, cur_doc *doc, cur_err *err);
	int (*process)(cur_stage *self, void *tls, cur_doc *doc, cur_err *err);
	/* Optional: end of input; add the stage's own figures to report (an
	 * object). */
	int (*finish)(cur_stage *self, json_t *report, cur_err *err);
	void (*destroy)(cur_stage *self);
	/* Set only by a global stage, one that must see every document before
	 * it can answer for any (dedup); it must be serial. The pipeline then
	 * runs in passes (core/pipeline.h): in the first, prepare() and
	 * process() only observe (process() answers CUR_KEEP) and
	 * end_observe() closes what this process observed, in place of
	 * finish(); resolve() decides from what every process observed (a
	 * batch scheduler runs that step as tasks of its own instead);
	 * begin_apply() loads the decisions, after which prepare(), process()
	 * and finish() act on the same documents, in the same order. report
	 * (may be NULL) receives figures, as finish()'s does. */
	int (*end_observe)(cur_stage *self, json_t *report, cur_err *err);
	int (*resolve)(cur_stage *self, json_t *report, cur_err *err);
	int (*begin_apply)(cur_stage *self, cur_err *err);
} cur_stage_ops;

/* cur_stage_is_global: does st observe in one pass and act in the next? */
#define cur_stage_is_global(st) ((st)->ops->begin_apply != NULL)

struct cur_stage {
	const cur_stage_ops *ops;
	const char *name;  /* the table name, e.g. "dedup" */
	int serial;
	void *priv;        /* the stage's own state */
	/* At most this many documents a batch (0: the pipeline's choice): a
	 * stage that spends long on each document (ppl) asks for small batches,
	 * so that the workers share a small input and the last batch is short. */
	size_t batch_docs;
};

/* Options a stage or sink constructor receives, besides its own config
 * object. */
typedef struct cur_stage_env {
	uint64_t seed;
	int jobs;
	int strict;
	int quiet;
	const char *tokenizer_path; /* --tokenizer, or NULL for the default */
	/* The run's inputs in order (borrowed): a document's place in the run
	 * is (index of cur_doc.origin among them, cur_doc.record). */
	char *const *inputs;
	size_t ninputs;
	int rank, world;            /* this process's slice of them */
	int pipeline_file;          /* built for `curate run FILE.yaml` */
	/* Where a stage that keeps files (dedup) puts them: work_dir/NAME-N,
	 * N = stage_index (1-based place in the pipeline); NULL: none given.
	 * work_scratch: the directory dies with this process, so nothing in it
	 * needs an fsync. */
	const char *work_dir;
	int stage_index;
	int work_scratch;
} cur_stage_env;

/* A stage constructor: config is a JSON object of the stage's options (from
 * the command line or the pipeline file; borrowed). On error returns NULL
 * after filling err (CUR_EINVAL for a bad option: a usage error). */
typedef cur_stage *(*cur_stage_new_fn)(json_t *config, const cur_stage_env *env,
				      cur_err *err);

#endif
