/* The BPE trainer object, its output files and its pipeline sink (the
 * counting is train_count.c, the merges train_merge.c). */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "core/buf.h"
#include "tokenizer/tok_extra.h"
#include "tokenizer/tok_int.h"
#include "tokenizer/train_int.h"

/* What the limit leaves to the rest of the process (the program, reader
 * buffers, documents in flight and their pieces, the base vocabulary):
 * measured, about 10 MiB and 10 more for each worker; at most half the
 * limit. */
#define RESERVE_BASE ((uint64_t)8 << 20)
#define RESERVE_PER_JOB ((uint64_t)12 << 20)
#define MIN_MEM_LIMIT ((uint64_t)1 << 20)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void tok_train_opts_init(tok_train_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->min_frequency = 2;
	o->mem_limit = (uint64_t)1 << 30;
}

void train_byte_ranks(uint32_t rank_of[256], uint8_t byte_at[256])
{
	uint32_t r = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (unsigned b = 0; b < 256; b++) {
			if (tok_byte_printable(b) != (pass == 0))
				continue;
			byte_at[r] = (uint8_t)b;
			rank_of[b] = r++;
		}
	}
}

/* ---- the token set ---- */

static size_t token_hash(const uint8_t *p, size_t n)
{
	return (size_t)XXH3_64bits(p, n);
}

uint32_t token_set_find(const token_set *ts, const uint8_t *p, size_t n)
{
	size_t i = token_hash(p, n) & (ts->nslot - 1);

	for (; ts->slot[i]; i = (i + 1) & (ts->nslot - 1)) {
		uint32_t r = ts->slot[i] - 1;
		if (ts->off[r + 1] - ts->off[r] == n && memcmp(ts->blob + ts->off[r], p, n) == 0)
			return r;
	}
	return TOK_NONE;
}

static size_t token_home(const void *ctx, size_t r)
{
	const token_set *ts = ctx;
	return token_hash(ts->blob + ts->off[r], ts->off[r + 1] - ts->off[r]);
}

static int token_slots_build(token_set *ts, train_mem *m, size_t nslot)
{
	return train_index_build(m, &ts->slot, &ts->nslot, nslot, ts->n, token_home, ts);
}

int token_set_add(token_set *ts, train_mem *m, const uint8_t *p, size_t n)
{
	size_t i;

	if (ts->n >= UINT32_MAX - 2)
		return CUR_ELIMIT;
	CUR_FORWARD(train_grow(m, (void **)&ts->blob, &ts->capblob, ts->nblob + n, 1));
	CUR_FORWARD(train_grow(m, (void **)&ts->off, &ts->capoff, ts->n + 2, sizeof(uint64_t)));
	if (!ts->slot || (ts->n + 1) * 2 > ts->nslot)
		CUR_FORWARD(token_slots_build(ts, m, ts->slot ? ts->nslot * 2 : 1024));
	memcpy(ts->blob + ts->nblob, p, n);
	ts->off[ts->n] = ts->nblob;
	ts->nblob += n;
	ts->off[ts->n + 1] = ts->nblob;
	i = token_hash(p, n) & (ts->nslot - 1);
	while (ts->slot[i])
		i = (i + 1) & (ts->nslot - 1);
	ts->slot[i] = (uint32_t)(++ts->n);
	return CUR_OK;
}

void token_set_release(token_set *ts, train_mem *m)
{
	if (ts->blob)
		train_drop(m, ts->blob, ts->capblob, 1);
	if (ts->off)
		train_drop(m, ts->off, ts->capoff, sizeof(uint64_t));
	if (ts->slot)
		train_drop(m, ts->slot, ts->nslot, sizeof(uint32_t));
	memset(ts, 0, sizeof(*ts));
}

/* ---- the trainer ---- */

/* One tiktoken line: base64 of the bytes, a space, the rank. */
static int tiktoken_line(cur_buf *out, const uint8_t *p, size_t n, size_t rank)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char enc[TOK_MAX_TOKEN_BYTES / 3 * 4 + 4];
	size_t o = 0;

	if (n > TOK_MAX_TOKEN_BYTES)
		return CUR_ELIMIT;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		enc[o++] = digits[v >> 18];
		enc[o++] = digits[(v >> 12) & 63];
		enc[o++] = i + 1 < n ? digits[(v >> 6) & 63] : '=';
		enc[o++] = i + 2 < n ? digits[v & 63] : '=';
	}
	CUR_FORWARD(cur_buf_append(out, enc, o));
	return cur_buf_printf(out, " %zu\n", rank);
}

/* The first n ranks of base as a vocabulary of their own, whose encoder
 * can only give those ranks. */
static int base_truncate(const tok_tokenizer *base, size_t n, tok_tokenizer **out, cur_err *err)
{
	cur_buf b;
	int rc = CUR_OK;

	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	for (size_t r = 0; r < n && rc == CUR_OK; r++) {
		size_t len;
		const char *p = tok_token_bytes(base, (uint32_t)r, &len);
		rc = tiktoken_line(&b, (const uint8_t *)p, len, r);
	}
	if (rc == CUR_OK)
		rc = tok_load_buffer("the base vocabulary's first ranks", b.data, b.len, out, err);
	else
		cur_err_set(err, rc, "out of memory");
	cur_buf_release(&b);
	return rc;
}

static int check_specials(char *const *specials, size_t n, cur_err *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = specials[i];
		if (!*s || strpbrk(s, "\t\r\n"))
			return cur_err_set(err, CUR_EINVAL, "special token %zu is empty or holds a "
					   "tab or line break", i + 1);
		for (size_t k = 0; k < i; k++)
			if (strcmp(specials[k], s) == 0)
				return cur_err_set(err, CUR_EINVAL, "special token '%s' is given twice", s);
	}
	return CUR_OK;
}

/* The pattern: NULL and Llama 3's run on the scanner, others on PCRE2. */
static int trainer_pattern(tok_trainer *t, const char *pattern, cur_err *err)
{
	cur_err perr;

	if (!pattern || tok_is_llama3_pattern(pattern, strlen(pattern)))
		return CUR_OK;
	t->pattern = strdup(pattern);
	if (!t->pattern)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	t->re = tok_pcre2_compile(pattern, &perr);
	if (!t->re)
		return cur_err_set(err, perr.code, "invalid pattern: %s", perr.msg);
	return CUR_OK;
}

/* The starting tokens: the 256 bytes, or the base's first ranks. */
static int trainer_tokens(tok_trainer *t)
{
	uint32_t rank_of[256];
	uint8_t byte_at[256];

	if (!t->base) {
		train_byte_ranks(rank_of, byte_at);
		for (unsigned r = 0; r < 256; r++)
			CUR_FORWARD(token_set_add(&t->tokens, &t->mem, &byte_at[r], 1));
		return CUR_OK;
	}
	for (size_t r = 0; r < t->o.base_ranks; r++) {
		size_t len;
		const char *p = tok_token_bytes(t->base, (uint32_t)r, &len);
		CUR_FORWARD(token_set_add(&t->tokens, &t->mem, (const uint8_t *)p, len));
	}
	return CUR_OK;
}

static int trainer_check(const tok_train_opts *o, cur_err *err)
{
	size_t base_n = o->base ? o->base->nranks : 0;

	if (o->base && (o->base_ranks == 0 || o->base_ranks > base_n))
		return cur_err_set(err, CUR_EINVAL, "the base vocabulary has %zu ranks: cannot "
				   "keep %zu", base_n, o->base_ranks);
	if (!o->base && o->ranks < 256)
		return cur_err_set(err, CUR_EINVAL, "%zu ordinary tokens is fewer than the 256 "
				   "bytes", o->ranks);
	if (o->base && o->ranks < o->base_ranks)
		return cur_err_set(err, CUR_EINVAL, "%zu tokens is fewer than the %zu kept",
				   o->ranks, o->base_ranks);
	if (o->ranks + o->nspecials >= TOK_NONE / 2)
		return cur_err_set(err, CUR_EINVAL, "a vocabulary of %zu tokens is too large",
				   o->ranks + o->nspecials);
	if (o->min_frequency < 1)
		return cur_err_set(err, CUR_EINVAL, "the minimum pair frequency must be at least 1");
	if (o->mem_limit < MIN_MEM_LIMIT)
		return cur_err_set(err, CUR_EINVAL, "a memory limit of %llu bytes is too small "
				   "(at least 1M)", (unsigned long long)o->mem_limit);
	return check_specials(o->specials, o->nspecials, err);
}

int tok_trainer_new(const tok_train_opts *o, tok_trainer **out, cur_err *err)
{
	tok_trainer *t;
	uint64_t budget, reserve;
	int rc;

	*out = NULL;
	CUR_FORWARD(trainer_check(o, err));
	t = calloc(1, sizeof(*t));
	if (!t)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	t->o = *o;
	t->o.pattern = NULL;
	t->o.specials = NULL;
	rc = trainer_pattern(t, o->pattern, err);
	if (rc == CUR_OK && o->nspecials) {
		t->specials = calloc(o->nspecials, sizeof(char *));
		rc = t->specials ? CUR_OK : CUR_ENOMEM;
		for (size_t i = 0; rc == CUR_OK && i < o->nspecials; i++)
			if (!(t->specials[i] = strdup(o->specials[i])))
				rc = CUR_ENOMEM;
		if (rc < 0)
			cur_err_set(err, rc, "out of memory");
	}
	t->base = o->base;
	if (rc == CUR_OK && o->base && o->base_ranks < o->base->nranks) {
		tok_tokenizer *cut;
		rc = base_truncate(o->base, o->base_ranks, &cut, err);
		t->base = t->own_base = rc == CUR_OK ? cut : NULL;
	}
	reserve = RESERVE_BASE + RESERVE_PER_JOB * (uint64_t)(o->jobs > 1 ? o->jobs : 1);
	budget = o->mem_limit - (reserve < o->mem_limit / 2 ? reserve : o->mem_limit / 2);
	if (rc == CUR_OK && (rc = piece_table_init(&t->pieces, &t->mem, (size_t)budget)) < 0)
		cur_err_set(err, rc, "out of memory");
	if (rc == CUR_OK && (rc = trainer_tokens(t)) < 0)
		cur_err_set(err, rc, "out of memory");
	if (rc < 0) {
		tok_trainer_free(t);
		return rc;
	}
	t->start_s = now_s();
	*out = t;
	return CUR_OK;
}

void tok_trainer_free(tok_trainer *t)
{
	if (!t)
		return;
	piece_table_release(&t->pieces, &t->mem);
	token_set_release(&t->tokens, &t->mem);
	tok_pcre2_free(t->re);
	free(t->pattern);
	for (size_t i = 0; t->specials && i < t->o.nspecials; i++)
		free(t->specials[i]);
	free(t->specials);
	tok_free(t->own_base);
	free(t);
}

int tok_trainer_learn(tok_trainer *t, cur_err *err)
{
	double start = now_s();
	int rc;

	if (t->learned)
		return cur_err_set(err, CUR_EINVAL, "the trainer has learned already");
	t->count_s = start - t->start_s;
	if (t->pieces.n == 0)
		return cur_err_set(err, CUR_EDATA, "no text to learn from: the input is empty");
	t->learned = 1;
	rc = train_learn(t, err);
	t->learn_s = now_s() - start;
	return rc;
}

size_t tok_trainer_ranks(const tok_trainer *t)
{
	return t->tokens.n;
}

const uint8_t *tok_trainer_token(const tok_trainer *t, size_t rank, size_t *len)
{
	if (rank >= t->tokens.n)
		return NULL;
	*len = t->tokens.off[rank + 1] - t->tokens.off[rank];
	return t->tokens.blob + t->tokens.off[rank];
}

/* ---- output ---- */

void train_outputs_free(train_outputs *to)
{
	for (int i = 0; i < NOUT; i++)
		cur_atomic_rollback(&to->f[i]);
}

/* Create the three files under temporary names. */
int train_outputs_open(train_outputs *to, const char *path, cur_err *err)
{
	char *names[NOUT] = { NULL };
	int rc = CUR_OK;
	size_t n = path ? strlen(path) : 0;

	for (int i = 0; i < NOUT; i++)
		to->f[i] = (cur_atomic)CUR_ATOMIC_INIT;
	if (n <= strlen(".tiktoken") || strcmp(path + n - strlen(".tiktoken"), ".tiktoken") != 0)
		return cur_err_set(err, CUR_EINVAL, "the output must be a FILE.tiktoken (the "
				   "special tokens and the pattern go beside it), not '%s'",
				   path ? path : "stdout");
	names[OUT_VOCAB] = strdup(path);
	names[OUT_SPECIALS] = tok_sibling_path(path, TOK_SPECIALS_SUFFIX);
	names[OUT_PATTERN] = tok_sibling_path(path, TOK_PATTERN_SUFFIX);
	for (int i = 0; i < NOUT && rc == CUR_OK; i++)
		rc = names[i] ? cur_atomic_open(&to->f[i], names[i], err) :
		     cur_err_set(err, CUR_ENOMEM, "out of memory");
	for (int i = 0; i < NOUT; i++)
		free(names[i]);
	if (rc < 0)
		train_outputs_free(to);
	return rc;
}

static int put(train_outputs *to, int which, const void *p, size_t n)
{
	FILE *f = cur_atomic_stream(&to->f[which]);

	if (!f)
		return CUR_ENOMEM;
	return fwrite(p, 1, n, f) == n ? CUR_OK : CUR_EIO;
}

static int outputs_fill(const tok_trainer *t, train_outputs *to)
{
	const token_set *ts = &t->tokens;
	const char *pattern = t->pattern ? t->pattern : TOK_LLAMA3_PATTERN;
	cur_buf b;
	int rc = CUR_OK;

	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	for (size_t r = 0; r < ts->n && rc == CUR_OK; r++) {
		rc = tiktoken_line(&b, ts->blob + ts->off[r], ts->off[r + 1] - ts->off[r], r);
		if (rc == CUR_OK && b.len >= (1 << 20)) {
			rc = put(to, OUT_VOCAB, b.data, b.len);
			cur_buf_reset(&b);
		}
	}
	if (rc == CUR_OK)
		rc = put(to, OUT_VOCAB, b.data, b.len);
	cur_buf_reset(&b);
	for (size_t i = 0; i < t->o.nspecials && rc == CUR_OK; i++)
		rc = cur_buf_printf(&b, "%zu\t%s\n", ts->n + i, t->specials[i]);
	if (rc == CUR_OK)
		rc = put(to, OUT_SPECIALS, b.data, b.len);
	if (rc == CUR_OK)
		rc = put(to, OUT_PATTERN, pattern, strlen(pattern));
	if (rc == CUR_OK)
		rc = put(to, OUT_PATTERN, "\n", 1);
	cur_buf_release(&b);
	return rc;
}

/* Write everything, then rename the three files into place. */
int train_outputs_finish(const tok_trainer *t, train_outputs *to, cur_err *err)
{
	int rc;

	if (!t->learned)
		return cur_err_set(err, CUR_EINVAL, "nothing learned yet");
	rc = outputs_fill(t, to);
	if (rc < 0)
		return cur_err_set(err, rc, "cannot write '%s': %s", to->f[OUT_VOCAB].path,
				   cur_strerror(rc));
	for (int i = 0; i < NOUT; i++)
		CUR_FORWARD(cur_atomic_commit(&to->f[i], 0, err));
	return CUR_OK;
}

int tok_trainer_write(const tok_trainer *t, const char *path, cur_err *err)
{
	train_outputs to;
	int rc;

	CUR_FORWARD(train_outputs_open(&to, path, err));
	rc = train_outputs_finish(t, &to, err);
	train_outputs_free(&to);
	return rc;
}

void tok_trainer_report(const tok_trainer *t, json_t *obj)
{
	const piece_table *pt = t->learned ? &t->counted : &t->pieces;

	json_object_set_new(obj, "pieces", json_integer((json_int_t)pt->total));
	json_object_set_new(obj, "distinct_pieces", json_integer((json_int_t)pt->n));
	json_object_set_new(obj, "words", json_integer((json_int_t)t->words));
	json_object_set_new(obj, "counts", json_string(pt->prunes ? "approximate" : "exact"));
	json_object_set_new(obj, "count_undercount_max", json_integer((json_int_t)pt->undercount));
	json_object_set_new(obj, "count_prunes", json_integer((json_int_t)pt->prunes));
	json_object_set_new(obj, "pieces_too_large", json_integer((json_int_t)pt->skipped));
	json_object_set_new(obj, "ranks", json_integer((json_int_t)t->tokens.n));
	json_object_set_new(obj, "special_tokens", json_integer((json_int_t)t->o.nspecials));
	json_object_set_new(obj, "merges", json_integer((json_int_t)t->merges));
	json_object_set_new(obj, "merges_into_known_tokens",
			    json_integer((json_int_t)t->merges_existing));
	json_object_set_new(obj, "last_merge_count", json_integer((json_int_t)t->last_count));
	json_object_set_new(obj, "stopped", json_string(t->stopped ? t->stopped : ""));
	json_object_set_new(obj, "pattern", json_string(t->pattern ? t->pattern : "llama3"));
	json_object_set_new(obj, "mem_limit", json_integer((json_int_t)t->o.mem_limit));
	json_object_set_new(obj, "trainer_peak_bytes", json_integer((json_int_t)t->mem.peak));
	json_object_set_new(obj, "count_seconds", json_real(t->count_s));
	json_object_set_new(obj, "learn_seconds", json_real(t->learn_s));
}
