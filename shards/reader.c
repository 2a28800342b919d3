/* Shard readers (see reader.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "core/buf.h"
#include "shards/reader.h"
#include "shards/reader_int.h"
#include "shards/shard_int.h"
#include "shards/writer_int.h"

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int map_file(const char *path, shard_map *m, cur_err *err)
{
	m->p = NULL;
	m->size = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path, strerror(errno));
	struct stat st;
	int rc = CUR_OK;
	if (fstat(fd, &st) != 0) {
		rc = cur_err_set(err, CUR_EIO, "cannot stat '%s': %s", path, strerror(errno));
	} else if (st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			rc = cur_err_set(err, CUR_EIO, "cannot map '%s': %s", path, strerror(errno));
		else {
			m->p = p;
			m->size = (uint64_t)st.st_size;
		}
	}
	close(fd);
	return rc;
}

static void unmap(shard_map *m)
{
	if (m->p)
		munmap((void *)m->p, (size_t)m->size);
	m->p = NULL;
}

/* The file-name part of a path, for messages. */
static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

#define BAD(off, ...) bad(err, r->idx_name, (off), __VA_ARGS__)
static int bad(cur_err *err, const char *name, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad(cur_err *err, const char *name, uint64_t off, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return cur_err_set(err, CUR_EDATA, "%s: offset %llu: %s", name, (unsigned long long)off, what);
}

/* Check every field of the .idx against itself and the .bin. */
static int check_idx(shard_reader *r, cur_err *err)
{
	const unsigned char *p = r->idx.p;
	uint64_t size = r->idx.size;
	if (size < SHARD_IDX_HEADER)
		return BAD(size, "file too short for the header (%llu bytes)", (unsigned long long)size);
	if (memcmp(p, SHARD_IDX_MAGIC, 9) != 0)
		return BAD(0, "bad magic (not a Megatron MMIDIDX index)");
	if (rd64(p + 9) != 1)
		return BAD(9, "unsupported version %llu", (unsigned long long)rd64(p + 9));
	r->dtype_code = p[17];
	if (r->dtype_code == SHARD_DTYPE_INT32)
		r->itemsize = 4;
	else if (r->dtype_code == SHARD_DTYPE_UINT16)
		r->itemsize = 2;
	else
		return BAD(17, "unsupported dtype code %d", r->dtype_code);
	uint64_t S = rd64(p + 18), D = rd64(p + 26);
	if (S > size / 12 || D > size / 8 || shard_idx_bytes(S, D) != size)
		return BAD(18, "size %llu does not match %llu sequences and %llu document indices",
			   (unsigned long long)size, (unsigned long long)S, (unsigned long long)D);
	r->nseq = S;
	r->ndoc = D;
	r->lens = p + SHARD_IDX_HEADER;
	r->ptrs = r->lens + 4 * S;
	r->docs = r->ptrs + 8 * S;
	uint64_t at = 0;
	for (uint64_t i = 0; i < S; i++) {
		uint32_t len = rd32(r->lens + 4 * i);
		if (len > INT32_MAX)
			return BAD(SHARD_IDX_HEADER + 4 * i, "negative length of sequence %llu",
				   (unsigned long long)i);
		if (rd64(r->ptrs + 8 * i) != at)
			return BAD((uint64_t)(r->ptrs - p) + 8 * i, "pointer of sequence %llu is %llu, expected %llu",
				   (unsigned long long)i, (unsigned long long)rd64(r->ptrs + 8 * i),
				   (unsigned long long)at);
		at += (uint64_t)len * r->itemsize;
	}
	if (at != r->bin.size)
		return bad(err, r->bin_name, r->bin.size, "size %llu, the index promises %llu",
			   (unsigned long long)r->bin.size, (unsigned long long)at);
	uint64_t doff = (uint64_t)(r->docs - p);
	if (D == 0 || rd64(r->docs) != 0)
		return BAD(doff, "document indices must start with 0");
	for (uint64_t i = 1; i < D; i++)
		if (rd64(r->docs + 8 * i) < rd64(r->docs + 8 * (i - 1)) || rd64(r->docs + 8 * i) > S)
			return BAD(doff + 8 * i, "document index %llu out of order",
				   (unsigned long long)rd64(r->docs + 8 * i));
	if (rd64(r->docs + 8 * (D - 1)) != S)
		return BAD(doff + 8 * (D - 1), "last document index is %llu, expected %llu",
			   (unsigned long long)rd64(r->docs + 8 * (D - 1)), (unsigned long long)S);
	r->ntok = at / r->itemsize;
	return CUR_OK;
}

/* llm.c: check the header and find the sequences (one per <|begin_of_text|>). */
static int check_llmc(shard_reader *r, cur_err *err)
{
	const unsigned char *p = r->bin.p;
	const char *n = r->bin_name;
	if (r->bin.size < SHARD_LLMC_HEADER)
		return bad(err, n, r->bin.size, "file too short for the llm.c header");
	if (rd32(p) != SHARD_LLMC_MAGIC)
		return bad(err, n, 0, "bad magic %u (not an llm.c token file)", rd32(p));
	if (rd32(p + 4) != SHARD_LLMC_VERSION)
		return bad(err, n, 4, "unsupported llm.c version %u (7 is uint32 ids)", rd32(p + 4));
	uint64_t ntok = rd32(p + 8);
	if (SHARD_LLMC_HEADER + 4 * ntok != r->bin.size)
		return bad(err, n, 8, "header says %llu tokens, the file holds %llu bytes of them",
			   (unsigned long long)ntok, (unsigned long long)(r->bin.size - SHARD_LLMC_HEADER));
	r->itemsize = 4;
	r->ntok = ntok;
	r->tok = p + SHARD_LLMC_HEADER;
	shard_u64v *v = &r->starts;
	for (uint64_t i = 0; i < ntok; i++) {
		if (rd32(r->tok + 4 * i) != TOK_BEGIN_OF_TEXT && i > 0)
			continue;
		if (v->n == v->cap) {
			size_t nc = v->cap ? v->cap * 2 : 64;
			uint64_t *q = cur_realloc_array(v->v, nc, sizeof *q);
			if (!q)
				return cur_err_set(err, CUR_ENOMEM, "out of memory");
			v->v = q;
			v->cap = nc;
		}
		v->v[v->n++] = i;
	}
	r->nseq = v->n;
	return CUR_OK;
}

static char *with_ext(const char *prefix, size_t plen, const char *ext)
{
	size_t n = plen + strlen(ext) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%.*s%s", (int)plen, prefix, ext);
	return s;
}

int shard_reader_open(const char *prefix, shard_reader **out, cur_err *err)
{
	*out = NULL;
	shard_reader *r = calloc(1, sizeof *r);
	if (!r)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	size_t plen = strlen(prefix);
	if (plen > 4 && (strcmp(prefix + plen - 4, ".bin") == 0 || strcmp(prefix + plen - 4, ".idx") == 0))
		plen -= 4;
	char *binp = with_ext(prefix, plen, ".bin"), *idxp = with_ext(prefix, plen, ".idx");
	int rc = CUR_OK;
	if (!binp || !idxp) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(r->bin_name, sizeof r->bin_name, "%s", base(binp));
	snprintf(r->idx_name, sizeof r->idx_name, "%s", base(idxp));
	if ((rc = map_file(binp, &r->bin, err)) < 0)
		goto out;
	if (access(idxp, F_OK) == 0) {
		r->format = SHARD_FORMAT_MEGATRON;
		if ((rc = map_file(idxp, &r->idx, err)) < 0)
			goto out;
		r->tok = r->bin.p;
		rc = check_idx(r, err);
	} else {
		r->format = SHARD_FORMAT_LLMC;
		rc = check_llmc(r, err);
	}
out:
	free(binp);
	free(idxp);
	if (rc < 0)
		shard_reader_close(r);
	else
		*out = r;
	return rc;
}

void shard_reader_close(shard_reader *r)
{
	if (!r)
		return;
	unmap(&r->bin);
	unmap(&r->idx);
	free(r->starts.v);
	free(r);
}

uint64_t shard_reader_tokens(const shard_reader *r)
{
	return r->ntok;
}

uint64_t shard_reader_sequences(const shard_reader *r)
{
	return r->nseq;
}

const char *shard_reader_format(const shard_reader *r)
{
	return r->format == SHARD_FORMAT_LLMC ? "llmc" : "megatron";
}

int shard_reader_seq_span(const shard_reader *r, uint64_t k, uint64_t *start, uint64_t *len,
			  cur_err *err)
{
	if (k >= r->nseq)
		return cur_err_set(err, CUR_EINVAL, "%s has %llu sequences, no sequence %llu", r->bin_name,
				   (unsigned long long)r->nseq, (unsigned long long)k);
	if (r->format == SHARD_FORMAT_LLMC) {
		*start = r->starts.v[k];
		*len = (k + 1 < r->nseq ? r->starts.v[k + 1] : r->ntok) - *start;
	} else {
		*start = rd64(r->ptrs + 8 * k) / r->itemsize;
		*len = rd32(r->lens + 4 * k);
	}
	return CUR_OK;
}

int shard_reader_read(const shard_reader *r, uint64_t pos, uint32_t *ids, size_t n, cur_err *err)
{
	if (pos > r->ntok || n > r->ntok - pos)
		return cur_err_set(err, CUR_EINVAL, "read past the end of %s", r->bin_name);
	const unsigned char *p = r->tok + pos * r->itemsize;
	if (r->itemsize == 2)
		for (size_t i = 0; i < n; i++)
			ids[i] = (uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
	else
		for (size_t i = 0; i < n; i++)
			ids[i] = rd32(p + 4 * i);
	return CUR_OK;
}

uint32_t shard_reader_id(const shard_reader *r, uint64_t pos)
{
	const unsigned char *p = r->tok + pos * r->itemsize;
	return r->itemsize == 2 ? (uint32_t)p[0] | (uint32_t)p[1] << 8 : rd32(p);
}

/* ---- inspection ---- */
static int read_seq(const shard_reader *r, uint64_t k, uint32_t **ids, uint64_t *n, cur_err *err)
{
	uint64_t start;
	CUR_FORWARD(shard_reader_seq_span(r, k, &start, n, err));
	*ids = cur_malloc_array(*n ? (size_t)*n : 1, sizeof **ids);
	if (!*ids)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return shard_reader_read(r, start, *ids, (size_t)*n, err);
}

/* Document i of a sequence ends after a separator (Megatron) or before the
 * next one (llm.c): split a sequence into [begin, end) documents. */
static uint64_t doc_end(const shard_reader *r, const uint32_t *ids, uint64_t n, uint64_t b)
{
	uint64_t e = b;
	if (r->format == SHARD_FORMAT_LLMC) {
		e = b + 1;
		while (e < n && ids[e] != TOK_BEGIN_OF_TEXT)
			e++;
		return e;
	}
	while (e < n && ids[e] != TOK_END_OF_TEXT)
		e++;
	return e < n ? e + 1 : n;
}

static int decode_run(const tok_tokenizer *t, const uint32_t *ids, uint64_t n, cur_buf *out,
		      cur_err *err)
{
	for (uint64_t i = 0; i < n;) {
		uint64_t j = i + 1;
		if (ids[i] >= TOK_BEGIN_OF_TEXT)
			while (j < n && ids[j] == ids[i])
				j++;
		if (j - i > 1) {
			cur_buf_printf(out, "[%u x %llu]", ids[i], (unsigned long long)(j - i));
		} else if (tok_decode(t, ids + i, 1, out) < 0) {
			return cur_err_set(err, CUR_EDATA, "token id %u at position %llu is not in the vocabulary",
					   ids[i], (unsigned long long)i);
		}
		i = j;
	}
	return CUR_OK;
}

int shard_dump_seq(const char *prefix, uint64_t k, const tok_tokenizer *t, cur_buf *out,
		   cur_err *err)
{
	shard_reader *r;
	CUR_FORWARD(shard_reader_open(prefix, &r, err));
	uint32_t *ids = NULL;
	uint64_t n = 0;
	int rc = read_seq(r, k, &ids, &n, err);
	if (rc < 0)
		goto out;
	cur_buf_printf(out, "# %s sequence %llu: %llu tokens\n", r->bin_name, (unsigned long long)k,
		       (unsigned long long)n);
	uint64_t doc = 0;
	for (uint64_t b = 0; b < n; doc++) {
		uint64_t e = doc_end(r, ids, n, b);
		int cont = b == 0 && r->format == SHARD_FORMAT_LLMC && ids[0] != TOK_BEGIN_OF_TEXT;
		cur_buf_printf(out, "--- document %llu (%llu tokens)%s ---\n", (unsigned long long)doc,
			       (unsigned long long)(e - b), cont ? " continued" : "");
		if ((rc = decode_run(t, ids + b, e - b, out, err)) < 0)
			goto out;
		cur_buf_putc(out, '\n');
		b = e;
	}
out:
	free(ids);
	shard_reader_close(r);
	return rc;
}

int shard_dump_docs(const char *prefix, cur_buf *out, cur_err *err)
{
	shard_reader *r;
	CUR_FORWARD(shard_reader_open(prefix, &r, err));
	int rc = CUR_OK;
	cur_buf_printf(out, "seq\tdoc\ttokens\n");
	for (uint64_t k = 0; k < r->nseq && rc == CUR_OK; k++) {
		uint32_t *ids = NULL;
		uint64_t n = 0;
		rc = read_seq(r, k, &ids, &n, err);
		for (uint64_t b = 0, d = 0; rc == CUR_OK && b < n; d++) {
			uint64_t e = doc_end(r, ids, n, b);
			rc = cur_buf_printf(out, "%llu\t%llu\t%llu\n", (unsigned long long)k,
					    (unsigned long long)d, (unsigned long long)(e - b));
			b = e;
		}
		free(ids);
	}
	shard_reader_close(r);
	return rc < 0 ? rc : CUR_OK;
}

/* ---- the training loader ---- */
struct shard_loader {
	shard_reader **shards;
	uint64_t *first;   /* global position of each shard's first id */
	size_t n;
	uint64_t total;
	size_t B, T;
	int rank, world;
	uint64_t pos, epoch;
};

int shard_loader_read(const shard_loader *l, uint64_t pos, uint32_t *ids, size_t n, cur_err *err)
{
	if (pos > l->total || n > l->total - pos)
		return cur_err_set(err, CUR_EINVAL, "read of %zu ids at %llu beyond the split's %llu", n,
				   (unsigned long long)pos, (unsigned long long)l->total);
	size_t s = 0;
	while (s + 1 < l->n && l->first[s + 1] <= pos)
		s++;
	while (n > 0) {
		uint64_t in = pos - l->first[s];
		uint64_t avail = shard_reader_tokens(l->shards[s]) - in;
		size_t m = n < avail ? n : (size_t)avail;
		CUR_FORWARD(shard_reader_read(l->shards[s], in, ids, m, err));
		ids += m;
		n -= m;
		pos += m;
		s++;
	}
	return CUR_OK;
}

int shard_loader_open(const char *dir, const char *split, size_t B, size_t T, int rank,
		      int world, shard_loader **out, cur_err *err)
{
	*out = NULL;
	if (B == 0 || T == 0 || world < 1 || rank < 0 || rank >= world)
		return cur_err_set(err, CUR_EINVAL, "bad batch shape or rank");
	char *mp = shard_path(dir, "manifest.json");
	json_error_t je;
	json_t *m = mp ? json_load_file(mp, 0, &je) : NULL;
	if (!m) {
		int rc = cur_err_set(err, CUR_EIO, "cannot read '%s': %s", mp ? mp : dir, mp ? je.text : "");
		free(mp);
		return rc;
	}
	free(mp);
	shard_loader *l = calloc(1, sizeof *l);
	json_t *list = json_object_get(m, "shards");
	size_t cnt = json_array_size(list);
	int rc = CUR_OK;
	if (!l || !(l->shards = cur_calloc_array(cnt + 1, sizeof *l->shards)) ||
	    !(l->first = cur_calloc_array(cnt + 1, sizeof *l->first))) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	l->B = B, l->T = T, l->rank = rank, l->world = world;
	for (size_t i = 0; i < cnt; i++) {
		json_t *e = json_array_get(list, i);
		const char *sp = json_string_value(json_object_get(e, "split"));
		const char *name = json_string_value(json_object_get(e, "name"));
		if (!sp || !name || strcmp(sp, split) != 0)
			continue;
		char *p = shard_path(dir, name);
		rc = p ? shard_reader_open(p, &l->shards[l->n], err) : cur_err_set(err, CUR_ENOMEM, "out of memory");
		free(p);
		if (rc < 0)
			goto out;
		l->first[l->n] = l->total;
		l->total += shard_reader_tokens(l->shards[l->n++]);
	}
	if (l->total < B * T + 1)
		rc = cur_err_set(err, CUR_EINVAL, "split '%s' of '%s' has %llu tokens, fewer than one batch",
				 split, dir, (unsigned long long)l->total);
out:
	json_decref(m);
	if (rc < 0)
		shard_loader_close(l);
	else
		*out = l;
	return rc;
}

int shard_loader_next(shard_loader *l, uint32_t *batch, cur_err *err)
{
	uint64_t step = (uint64_t)l->B * l->T;
	uint64_t at = l->pos + (uint64_t)l->rank * step;
	if (at + step + 1 > l->total) {
		l->pos = 0;
		l->epoch++;
		at = (uint64_t)l->rank * step;
		if (at + step + 1 > l->total)
			at = 0;
	}
	for (size_t b = 0; b < l->B; b++)
		CUR_FORWARD(shard_loader_read(l, at + b * l->T, batch + b * (l->T + 1), l->T + 1, err));
	l->pos += step * (uint64_t)l->world;
	return CUR_OK;
}

uint64_t shard_loader_epoch(const shard_loader *l)
{
	return l->epoch;
}

uint64_t shard_loader_tokens(const shard_loader *l)
{
	return l->total;
}

void shard_loader_reset(shard_loader *l)
{
	l->pos = 0;
	l->epoch = 0;
}

void shard_loader_close(shard_loader *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		shard_reader_close(l->shards[i]);
	free(l->shards);
	free(l->first);
	free(l);
}
