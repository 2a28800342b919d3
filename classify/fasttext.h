/* The C interface to Debian's libfasttext (classify/fasttext.cc, the
 * project's only C++). Inside classify/ only.
 *
 * A cls_ft is a loaded model: read-only once loaded, shared by every thread.
 * Each thread that predicts has its own cls_ft_scratch. Every function
 * catches fastText's C++ exceptions and returns a CUR_E* code with the
 * message in err; nothing here aborts or exits.
 *
 * Model files are trusted input, as they are to fastText itself: a file that
 * is not a fastText model is refused by its magic number and version, but the
 * sizes inside a damaged model are not checked beyond what libfasttext does. */
#ifndef CLS_FASTTEXT_H
#define CLS_FASTTEXT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "core/error.h"

typedef struct cls_ft cls_ft;
typedef struct cls_ft_scratch cls_ft_scratch;

/* What featurizing a line needs to know about a model's dictionary. */
typedef struct cls_ft_info {
	int dim, minn, maxn, word_ngrams;
	int32_t bucket;   /* hash buckets for character and word n-grams */
	int32_t nwords;   /* vocabulary words: rows 0..nwords-1 */
	int32_t nlabels;
	int64_t npruned;  /* -1: n-gram buckets map to row nwords + bucket;
			   * 0: every bucket was pruned away; > 0: only the
			   * buckets cls_ft_each_pruned lists have a row */
	int supervised;
	int quantized;
} cls_ft_info;

/* cls_ft_load: load a .bin or .ftz model. OUT: *out, freed with
 * cls_ft_free. CUR_EIO when the file cannot be read, CUR_EDATA when it is not
 * a supervised fastText model. */
int cls_ft_load(const char *path, cls_ft **out, cur_err *err);
void cls_ft_free(cls_ft *m);

void cls_ft_get_info(const cls_ft *m, cls_ft_info *out);

/* cls_ft_each_entry: call fn for each dictionary entry (words, then
 * labels, by id) with its bytes; stops at and returns fn's first nonzero
 * return. */
int cls_ft_each_entry(const cls_ft *m,
		      int (*fn)(void *arg, int32_t id, const char *s, size_t len, int is_label),
		      void *arg);

/* cls_ft_word_rows: the input rows of vocabulary word id (0 <= id <
 * nwords): the word itself and its character n-grams, in fastText's order.
 * The array belongs to the model. */
const int32_t *cls_ft_word_rows(const cls_ft *m, int32_t id, size_t *n);

/* cls_ft_each_pruned: call fn(arg, bucket, row) for each n-gram bucket a
 * pruned model kept (none when npruned <= 0). */
int cls_ft_each_pruned(const cls_ft *m, int (*fn)(void *arg, int32_t bucket, int32_t row),
		       void *arg);

/* cls_ft_label: label i (0 <= i < nlabels) as the model names it, prefix
 * included ("__label__en"). Owned by the model. */
const char *cls_ft_label(const cls_ft *m, int32_t i);

cls_ft_scratch *cls_ft_scratch_new(void);
void cls_ft_scratch_free(cls_ft_scratch *s);

/* cls_ft_predict: fastText's prediction for a line whose input rows are
 * rows[0..n): the k most probable labels (k <= 0: all), most probable
 * first, written to label[] and prob[] (room for cap). OUT: *nout. The
 * probabilities are exp() of fastText's log-probabilities, as
 * `fasttext predict-prob` prints them. No rows: no labels. */
int cls_ft_predict(const cls_ft *m, cls_ft_scratch *s, const int32_t *rows, size_t n, int k,
		   int32_t *label, float *prob, size_t cap, size_t *nout, cur_err *err);

/* cls_ft_line_rows: the reference reading of a line, by libfasttext's own
 * Dictionary::getLine over line[0..len) (as `fasttext predict` reads one
 * line of its input: put a '\n' at the end). For tests and fuzzing, which
 * check curate's featurizer against it. OUT: *rows (malloc'd), *n. */
int cls_ft_line_rows(const cls_ft *m, const char *line, size_t len, int32_t **rows, size_t *n,
		     cur_err *err);

/* Training options: fastText's own names and meanings (`fasttext
 * supervised`); a field left at -1 (or 0 for the strings) keeps fastText's
 * supervised default. */
typedef struct cls_ft_train_opts {
	const char *input;   /* fastText format: "__label__X text" per line */
	const char *output;  /* the model file to write */
	double lr;
	int epoch, dim, word_ngrams, min_count, minn, maxn, bucket, thread, seed;
	const char *loss;    /* softmax (default), hs, ova, ns */
	int verbose;         /* 0 quiet, 1 summary, 2 progress */
	/* Quantize (an .ftz): cutoff > 0 keeps that many input rows (by norm),
	 * retraining on input for qepoch epochs. */
	int quantize;
	long cutoff;
	int dsub, qnorm, retrain;
} cls_ft_train_opts;

void cls_ft_train_opts_init(cls_ft_train_opts *o);

/* cls_ft_train: train a supervised model by libfasttext's own trainer and
 * save it to o->output (the caller renames it into place). Deterministic
 * with thread = 1. */
int cls_ft_train(const cls_ft_train_opts *o, cur_err *err);

#ifdef __cplusplus
}
#endif

#endif
