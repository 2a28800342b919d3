/* Shared inside classify/ only: the featurizer that turns text into a
 * fastText model's input rows (features.c), and the model it belongs to. */
#ifndef CLS_INT_H
#define CLS_INT_H

#include <stddef.h>
#include <stdint.h>
#include "classify/fasttext.h"
#include "core/buf.h"
#include "core/error.h"

/* fastText's dictionary, as lookup tables built once per model and read by
 * every thread: vocabulary words by fastText's hash, and the n-gram buckets
 * a pruned model kept. */
typedef struct cls_features cls_features;

/* A thread's cache of the rows of tokens it has seen, bounded (it is
 * cleared when full). */
typedef struct cls_feat_cache cls_feat_cache;

int cls_features_new(const cls_ft *ft, cls_features **out, cur_err *err);
void cls_features_free(cls_features *f);

cls_feat_cache *cls_feat_cache_new(void);
void cls_feat_cache_free(cls_feat_cache *c);

/* cls_featurize: the input rows fastText's Dictionary::getLine gives for
 * the line text[0..len) with every '\n' read as a space and a '\n' after it
 * (how `fasttext predict` and the Python module read one document), in the
 * same order. OUT: rows (reset, then int32_t values appended). */
int cls_featurize(const cls_features *f, cls_feat_cache *c, const char *text, size_t len,
		  cur_buf *rows);

/* cls_numeric_equations: how many equations between numbers text[0..len)
 * holds, counting up to enough: a number (digits, with '.' or ',' between
 * digit groups), an operator (+ - * / ^, × ÷ · −, \times \cdot \div, or x
 * between blanks), a number, '=' and a number (after an optional sign or
 * '$'), blanks allowed between them: "48/2 = 24", "$3 \times 4 = 12$". */
size_t cls_numeric_equations(const char *text, size_t len, size_t enough);

/* cls_ft_hash: fastText's 32-bit FNV-1a over bytes read as signed chars. */
uint32_t cls_ft_hash(const char *s, size_t n);

#endif
