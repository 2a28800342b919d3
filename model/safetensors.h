/* safetensors files (Hugging Face's checkpoint format): read and write.
 *
 * A file is an 8-byte little-endian header length N, N bytes of JSON
 * ({NAME: {"dtype", "shape", "data_offsets": [BEGIN, END]}, ...,
 * "__metadata__": {KEY: "string"}}) and the tensor bytes, offsets relative
 * to the end of the header. The reader checks everything before trusting it:
 * the header length, the JSON, every dtype, shape and offset, that each
 * tensor's bytes match its shape, and that the tensors tile the data without
 * overlaps or holes; a bad file is CUR_EDATA with a message naming the
 * tensor, never a crash. */
#ifndef MODEL_SAFETENSORS_H
#define MODEL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "core/error.h"

/* Element types curate reads and writes as floats; others are parsed (so a
 * file with extra integer tensors loads) but not converted. */
enum { MODEL_F32, MODEL_F16, MODEL_BF16, MODEL_DTYPE_OTHER };

#define MODEL_ST_MAX_DIMS 8

typedef struct model_st_tensor {
	const char *name;      /* borrowed from the parsed header */
	int dtype;             /* MODEL_F32 ... MODEL_DTYPE_OTHER */
	const char *dtype_name;
	int ndim;
	uint64_t shape[MODEL_ST_MAX_DIMS];
	uint64_t count;        /* elements */
	uint64_t begin, end;   /* byte offsets into the data */
} model_st_tensor;

typedef struct model_st model_st;

/* model_st_parse: parse a whole file image (borrowed: buf must outlive the
 * result). The header is capped at 100 MB. */
int model_st_parse(const void *buf, size_t len, const char *name, model_st **out, cur_err *err);
/* model_st_open: map the file at path read-only and parse it. */
int model_st_open(const char *path, model_st **out, cur_err *err);
void model_st_free(model_st *st);

size_t model_st_count(const model_st *st);
const model_st_tensor *model_st_at(const model_st *st, size_t i);
/* model_st_find: the tensor called name, or NULL. */
const model_st_tensor *model_st_find(const model_st *st, const char *name);
/* model_st_meta: the __metadata__ string under key, or NULL (borrowed). */
const char *model_st_meta(const model_st *st, const char *key);

/* model_st_read: convert tensor t (F32, F16 or BF16) to count floats in out.
 * CUR_EDATA when t has another dtype. */
int model_st_read(const model_st *st, const model_st_tensor *t, float *out, cur_err *err);

/* One tensor to write: float data stored as dtype. */
typedef struct model_st_entry {
	const char *name;
	int dtype;
	int ndim;
	uint64_t shape[MODEL_ST_MAX_DIMS];
	const float *data;
} model_st_entry;

/* model_st_write: write entries (in that order) and metadata (an object of
 * strings, may be NULL) to path, atomically: a temporary name, fsync, rename.
 * Floats are rounded to nearest-even for F16 and BF16. */
int model_st_write(const char *path, const model_st_entry *entries, size_t n, json_t *metadata,
		   cur_err *err);

/* Conversions between float and the 16-bit formats (round to nearest even;
 * NaN stays NaN, overflow becomes infinity). */
float model_f16_to_f32(uint16_t h);
uint16_t model_f32_to_f16(float f);
float model_bf16_to_f32(uint16_t h);
uint16_t model_f32_to_bf16(float f);

/* model_dtype_name: "F32", "F16" or "BF16"; model_dtype_parse: the reverse
 * (case-insensitive, also "float32", "float16", "bfloat16"), -1 if unknown. */
const char *model_dtype_name(int dtype);
int model_dtype_parse(const char *s);

#endif
