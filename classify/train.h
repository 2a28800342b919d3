/* Training and testing fastText classifiers on curate's inputs
 * (`curate classify train` and `curate classify test`, docs/classify.md).
 *
 * A document's label comes from --label-field FIELD (metadata.FIELD, or the
 * top-level field) or, for every document of one file, from --source
 * LABEL=FILE. Training writes the labelled documents in fastText's format
 * (one "__label__LABEL text" line each, the text read as one line, as
 * classify reads it), shuffles them with --seed and hands the file to
 * libfasttext's own trainer. */
#ifndef CLS_TRAIN_H
#define CLS_TRAIN_H

#include <stdint.h>
#include <jansson.h>
#include "core/buf.h"
#include "core/error.h"
#include "core/options.h"
#include "core/reader.h"

extern const cur_opt_spec cls_train_options[];
extern const cur_opt_spec cls_test_options[];

typedef struct cls_run {
	char **files;           /* positional inputs (labels from --label-field) */
	size_t nfiles;
	cur_reader_opts reader;
	uint64_t seed;
	int verbose;            /* 0 quiet, 1 normal, 2 fastText's progress */
	int strict;             /* stop at the first bad record */
	void (*warn)(void *arg, const char *msg); /* bad records; may be NULL */
	void *warn_arg;
} cls_run;

/* cls_train: train a model from cfg's options (cls_train_options) on the
 * run's inputs and write it to output atomically (a temporary name next to
 * it, then rename). OUT: report gets the documents per label and the
 * options. CUR_EINVAL for a bad option, CUR_EDATA for a bad record under
 * strict or no labelled document, CUR_EIO. */
int cls_train(json_t *cfg, const cls_run *run, const char *output, json_t *report,
	      cur_err *err);

/* cls_test: compare each document's label with the model's top label (or,
 * with --predicted-field, with that field: model may then be NULL).
 * OUT: table gets precision, recall and F1 per label, macro-F1 and
 * accuracy as text; report the same as JSON. */
int cls_test(json_t *cfg, const char *model, const cls_run *run, cur_buf *table, json_t *report,
	     cur_err *err);

#endif
