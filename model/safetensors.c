#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/file.h"
#include "model/safetensors.h"

/* A header larger than this is refused before it is read (Hugging Face's
 * own reader caps it at 100 MB too). */
#define HEADER_MAX (100u << 20)

struct model_st {
	const unsigned char *data; /* the tensor bytes (after the header) */
	uint64_t data_len;
	json_t *header;
	json_t *meta;              /* borrowed from header, or NULL */
	model_st_tensor *t;
	size_t n;
	void *map;                 /* model_st_open's mapping */
	size_t map_len;
};

static const struct {
	const char *name;
	int dtype;
	unsigned size;
} dtypes[] = {
	{ "F32", MODEL_F32, 4 }, { "F16", MODEL_F16, 2 }, { "BF16", MODEL_BF16, 2 },
	{ "F64", MODEL_DTYPE_OTHER, 8 }, { "I64", MODEL_DTYPE_OTHER, 8 }, { "U64", MODEL_DTYPE_OTHER, 8 },
	{ "I32", MODEL_DTYPE_OTHER, 4 }, { "U32", MODEL_DTYPE_OTHER, 4 }, { "I16", MODEL_DTYPE_OTHER, 2 },
	{ "U16", MODEL_DTYPE_OTHER, 2 }, { "I8", MODEL_DTYPE_OTHER, 1 }, { "U8", MODEL_DTYPE_OTHER, 1 },
	{ "BOOL", MODEL_DTYPE_OTHER, 1 }, { "F8_E4M3", MODEL_DTYPE_OTHER, 1 },
	{ "F8_E5M2", MODEL_DTYPE_OTHER, 1 },
};

const char *model_dtype_name(int dtype)
{
	return dtype == MODEL_F16 ? "F16" : dtype == MODEL_BF16 ? "BF16" : "F32";
}

int model_dtype_parse(const char *s)
{
	if (!strcasecmp(s, "f32") || !strcasecmp(s, "float32"))
		return MODEL_F32;
	if (!strcasecmp(s, "f16") || !strcasecmp(s, "float16"))
		return MODEL_F16;
	if (!strcasecmp(s, "bf16") || !strcasecmp(s, "bfloat16"))
		return MODEL_BF16;
	return -1;
}

/* ---- 16-bit floats ---- */

static uint32_t f2u(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

static float u2f(uint32_t u)
{
	float f;
	memcpy(&f, &u, 4);
	return f;
}

float model_bf16_to_f32(uint16_t h)
{
	return u2f((uint32_t)h << 16);
}

uint16_t model_f32_to_bf16(float f)
{
	uint32_t u = f2u(f);
	if ((u & 0x7fffffffu) > 0x7f800000u)
		return (uint16_t)((u >> 16) | 0x40); /* a quiet NaN */
	u += 0x7fffu + ((u >> 16) & 1);
	return (uint16_t)(u >> 16);
}

float model_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
	if (exp == 0x1f)
		return u2f(sign | 0x7f800000u | man << 13);
	if (exp == 0) {
		/* zero or subnormal: man * 2^-24 is exact in float */
		float v = (float)man * 0x1p-24f;
		return sign ? -v : v;
	}
	return u2f(sign | (exp + 112) << 23 | man << 13);
}

uint16_t model_f32_to_f16(float f)
{
	uint32_t u = f2u(f), sign = (u >> 16) & 0x8000, a = u & 0x7fffffffu;
	if (a > 0x7f800000u)
		return (uint16_t)(sign | 0x7e00);
	if (a >= 0x477ff000u) /* rounds to 65520 or more: infinity */
		return (uint16_t)(sign | 0x7c00);
	if (a < 0x38800000u) {
		/* below the smallest normal: a multiple of 2^-24, rounded to even
		 * by the float addition itself */
		float v = u2f(a) + 0.5f;
		return (uint16_t)(sign | (f2u(v) - f2u(0.5f)));
	}
	uint32_t r = a + 0xfffu + ((a >> 13) & 1) - 0x38000000u; /* rebias 127 -> 15 */
	return (uint16_t)(sign | r >> 13);
}

/* ---- reading ---- */

static int bad(cur_err *err, const char *file, const char *tensor, const char *what)
{
	if (tensor)
		return cur_err_set(err, CUR_EDATA, "%s: tensor '%s': %s", file, tensor, what);
	return cur_err_set(err, CUR_EDATA, "%s: %s", file, what);
}

static int u64_of(json_t *v, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int parse_tensor(const char *file, const char *key, json_t *info, uint64_t data_len,
			model_st_tensor *t, cur_err *err)
{
	json_t *dt = json_object_get(info, "dtype"), *shape = json_object_get(info, "shape");
	json_t *offs = json_object_get(info, "data_offsets");
	unsigned size = 0;

	if (!json_is_object(info) || !json_is_string(dt) || !json_is_array(shape) ||
	    !json_is_array(offs) || json_array_size(offs) != 2)
		return bad(err, file, key, "needs dtype, shape and data_offsets [begin, end]");
	t->name = key;
	t->dtype_name = json_string_value(dt);
	for (size_t i = 0; i < sizeof(dtypes) / sizeof(dtypes[0]); i++)
		if (strcmp(dtypes[i].name, t->dtype_name) == 0)
			t->dtype = dtypes[i].dtype, size = dtypes[i].size;
	if (!size)
		return bad(err, file, key, "unknown dtype");
	if (json_array_size(shape) > MODEL_ST_MAX_DIMS)
		return bad(err, file, key, "more than 8 dimensions");
	t->ndim = (int)json_array_size(shape);
	t->count = 1;
	for (int i = 0; i < t->ndim; i++) {
		if (u64_of(json_array_get(shape, (size_t)i), &t->shape[i]) < 0)
			return bad(err, file, key, "shape must hold non-negative integers");
		if (__builtin_mul_overflow(t->count, t->shape[i], &t->count))
			return bad(err, file, key, "shape overflows");
	}
	uint64_t bytes;
	if (u64_of(json_array_get(offs, 0), &t->begin) < 0 ||
	    u64_of(json_array_get(offs, 1), &t->end) < 0 || t->begin > t->end || t->end > data_len)
		return bad(err, file, key, "data_offsets outside the file");
	if (__builtin_mul_overflow(t->count, (uint64_t)size, &bytes) || bytes != t->end - t->begin)
		return bad(err, file, key, "data_offsets do not match the shape and dtype");
	return CUR_OK;
}

static int by_begin(const void *a, const void *b)
{
	const model_st_tensor *x = a, *y = b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

/* The tensors must tile the data: sorted by offset, each starts where the
 * previous ended and the last ends at the end of the file. */
static int check_tiling(const model_st *st, const char *file, cur_err *err)
{
	model_st_tensor *s = cur_malloc_array(st->n ? st->n : 1, sizeof *s);
	uint64_t at = 0;
	int rc = CUR_OK;

	if (!s)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	memcpy(s, st->t, st->n * sizeof *s);
	qsort(s, st->n, sizeof *s, by_begin);
	for (size_t i = 0; i < st->n && rc == CUR_OK; i++) {
		if (s[i].begin != at)
			rc = bad(err, file, s[i].name, s[i].begin < at ? "overlaps another tensor"
							       : "leaves a hole before it");
		at = s[i].end;
	}
	if (rc == CUR_OK && at != st->data_len)
		rc = bad(err, file, NULL, "bytes after the last tensor");
	free(s);
	return rc;
}

static int parse_header(model_st *st, const char *file, cur_err *err)
{
	const char *key;
	json_t *v;
	size_t i = 0;

	st->t = cur_calloc_array(json_object_size(st->header), sizeof *st->t);
	if (!st->t)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	json_object_foreach(st->header, key, v) {
		if (strcmp(key, "__metadata__") == 0) {
			const char *mk;
			json_t *mv;
			if (!json_is_object(v))
				return bad(err, file, NULL, "__metadata__ is not an object");
			json_object_foreach(v, mk, mv)
				if (!json_is_string(mv))
					return bad(err, file, NULL, "__metadata__ values must be strings");
			st->meta = v;
			continue;
		}
		CUR_FORWARD(parse_tensor(file, key, v, st->data_len, &st->t[i], err));
		i++;
	}
	st->n = i;
	return check_tiling(st, file, err);
}

int model_st_parse(const void *buf, size_t len, const char *name, model_st **out, cur_err *err)
{
	const unsigned char *p = buf;
	uint64_t hlen = 0;
	json_error_t je;
	int rc;

	*out = NULL;
	if (!name)
		name = "safetensors";
	if (len < 8)
		return bad(err, name, NULL, "shorter than the 8-byte header length");
	for (int i = 7; i >= 0; i--)
		hlen = hlen << 8 | p[i];
	if (hlen > HEADER_MAX || hlen > len - 8)
		return bad(err, name, NULL, "header length beyond the end of the file");
	if (hlen < 2 || p[8] != '{')
		return bad(err, name, NULL, "header is not a JSON object");
	model_st *st = calloc(1, sizeof *st);
	if (!st)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	st->data = p + 8 + hlen;
	st->data_len = len - 8 - hlen;
	st->header = json_loadb((const char *)p + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &je);
	if (!st->header || !json_is_object(st->header))
		rc = cur_err_set(err, CUR_EDATA, "%s: header is not valid JSON: %s", name,
				 st->header ? "not an object" : je.text);
	else
		rc = parse_header(st, name, err);
	if (rc < 0)
		model_st_free(st);
	else
		*out = st;
	return rc;
}

int model_st_open(const char *path, model_st **out, cur_err *err)
{
	struct stat sb;
	void *map = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	*out = NULL;
	if (fd < 0)
		return cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return cur_err_set(err, CUR_EIO, "cannot read '%s': not a regular file", path);
	}
	if (sb.st_size > 0) {
		map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			rc = cur_err_set(err, CUR_EIO, "cannot map '%s': %s", path, strerror(errno));
			close(fd);
			return rc;
		}
	}
	close(fd);
	rc = model_st_parse(map ? map : "", (size_t)sb.st_size, path, out, err);
	if (rc < 0) {
		if (map)
			munmap(map, (size_t)sb.st_size);
		return rc;
	}
	(*out)->map = map;
	(*out)->map_len = (size_t)sb.st_size;
	return CUR_OK;
}

void model_st_free(model_st *st)
{
	if (!st)
		return;
	if (st->map)
		munmap(st->map, st->map_len);
	json_decref(st->header);
	free(st->t);
	free(st);
}

size_t model_st_count(const model_st *st)
{
	return st->n;
}

const model_st_tensor *model_st_at(const model_st *st, size_t i)
{
	return i < st->n ? &st->t[i] : NULL;
}

const model_st_tensor *model_st_find(const model_st *st, const char *name)
{
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->t[i].name, name) == 0)
			return &st->t[i];
	return NULL;
}

const char *model_st_meta(const model_st *st, const char *key)
{
	return st->meta ? json_string_value(json_object_get(st->meta, key)) : NULL;
}

int model_st_read(const model_st *st, const model_st_tensor *t, float *out, cur_err *err)
{
	const unsigned char *p = st->data + t->begin;

	switch (t->dtype) {
	case MODEL_F32:
		for (uint64_t i = 0; i < t->count; i++, p += 4)
			out[i] = u2f((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				     (uint32_t)p[3] << 24);
		return CUR_OK;
	case MODEL_F16:
	case MODEL_BF16:
		for (uint64_t i = 0; i < t->count; i++) {
			uint16_t h = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
			out[i] = t->dtype == MODEL_F16 ? model_f16_to_f32(h) : model_bf16_to_f32(h);
		}
		return CUR_OK;
	}
	return cur_err_set(err, CUR_EDATA, "tensor '%s': dtype %s cannot be read as floats",
			   t->name, t->dtype_name);
}

/* ---- writing ---- */

static json_t *header_json(const model_st_entry *e, size_t n, json_t *metadata)
{
	json_t *h = json_object();
	uint64_t at = 0;

	if (!h)
		return NULL;
	if (metadata && json_object_set(h, "__metadata__", metadata))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		json_t *shape = json_array(), *info;
		uint64_t count = 1;
		for (int d = 0; d < e[i].ndim; d++) {
			json_array_append_new(shape, json_integer((json_int_t)e[i].shape[d]));
			count *= e[i].shape[d];
		}
		uint64_t bytes = count * (e[i].dtype == MODEL_F32 ? 4 : 2);
		info = json_pack("{s:s, s:o, s:[I,I]}", "dtype", model_dtype_name(e[i].dtype), "shape",
				 shape, "data_offsets", (json_int_t)at, (json_int_t)(at + bytes));
		if (!info || json_object_set_new(h, e[i].name, info))
			goto fail;
		at += bytes;
	}
	return h;
fail:
	json_decref(h);
	return NULL;
}

static int write_entry(FILE *f, const model_st_entry *e)
{
	uint64_t count = 1;
	unsigned char tmp[8192];

	for (int d = 0; d < e->ndim; d++)
		count *= e->shape[d];
	/* little-endian bytes whatever the host's order */
	for (uint64_t i = 0; i < count;) {
		size_t k = 0;
		for (; i < count && k < sizeof tmp; i++) {
			uint32_t u = e->dtype == MODEL_F32 ? f2u(e->data[i])
				   : e->dtype == MODEL_F16 ? model_f32_to_f16(e->data[i])
							   : model_f32_to_bf16(e->data[i]);
			for (int b = 0; b < (e->dtype == MODEL_F32 ? 4 : 2); b++)
				tmp[k++] = (unsigned char)(u >> (8 * b));
		}
		if (fwrite(tmp, 1, k, f) != k)
			return CUR_EIO;
	}
	return CUR_OK;
}

int model_st_write(const char *path, const model_st_entry *entries, size_t n, json_t *metadata,
		   cur_err *err)
{
	json_t *h = header_json(entries, n, metadata);
	char *text = h ? json_dumps(h, JSON_COMPACT) : NULL;
	cur_atomic a = CUR_ATOMIC_INIT;
	FILE *f;
	int rc;

	json_decref(h);
	if (!text)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	/* Pad the header with spaces so that the data starts 8-byte aligned. */
	size_t hlen = strlen(text), padded = (hlen + 7) & ~(size_t)7;
	unsigned char len8[8];
	for (int i = 0; i < 8; i++)
		len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
	if ((rc = cur_atomic_open(&a, path, err)) < 0)
		goto out;
	if (!(f = cur_atomic_stream(&a))) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	rc = fwrite(len8, 1, 8, f) == 8 && fwrite(text, 1, hlen, f) == hlen &&
	     fwrite("        ", 1, padded - hlen, f) == padded - hlen ? CUR_OK : CUR_EIO;
	for (size_t i = 0; i < n && rc == CUR_OK; i++)
		rc = write_entry(f, &entries[i]);
	if (rc < 0)
		cur_err_set(err, rc, "cannot write '%s': %s", path, strerror(errno));
	else
		rc = cur_atomic_commit(&a, 0, err);
out:
	cur_atomic_rollback(&a);
	free(text);
	return rc;
}
