/* Shard file writers: Megatron-LM indexed dataset (.bin + .idx) and the
 * llm.c .bin layout, written as atomic outputs (core/file.h; the .idx is
 * renamed last and marks the shard complete), hashed with XXH3-128
 * while written. A shard already complete under its final name (from an
 * interrupted run, with --resume) is hashed, not rewritten. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include "core/buf.h"
#include "core/file.h"
#include "shards/shard_int.h"
#include "shards/writer_int.h"

#define CHUNK_IDS (1u << 16)
#define SHARD_SYNC_STEP (8u << 20)

static void le32(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	b[2] = (unsigned char)(v >> 16);
	b[3] = (unsigned char)(v >> 24);
}

static void le64(unsigned char *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

uint64_t shard_idx_bytes(uint64_t nseq, uint64_t ndoc)
{
	return SHARD_IDX_HEADER + 12 * nseq + 8 * ndoc;
}

/* ---- dry run: count shards, tokens and sequences per shard ---- */
static int u64v_push(shard_u64v *v, uint64_t x)
{
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 16;
		uint64_t *p = cur_realloc_array(v->v, nc, sizeof *p);
		if (!p)
			return CUR_ENOMEM;
		v->v = p;
		v->cap = nc;
	}
	v->v[v->n++] = x;
	return CUR_OK;
}

static int dry_begin(void *ctx, int split, uint64_t k, cur_err *err)
{
	shard_dry *d = ctx;
	(void)k;
	d->split = split;
	if (u64v_push(&d->tokens[split], 0) < 0 || u64v_push(&d->seqs[split], 0) < 0)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return CUR_OK;
}

static int dry_seq(void *ctx, const shard_piece *p, size_t np, uint64_t ntok, uint32_t ndocs,
		   cur_err *err)
{
	shard_dry *d = ctx;
	(void)p, (void)np, (void)ndocs, (void)err;
	shard_u64v *t = &d->tokens[d->split], *s = &d->seqs[d->split];
	t->v[t->n - 1] += ntok;
	s->v[s->n - 1]++;
	return CUR_OK;
}

static int dry_end(void *ctx, cur_err *err)
{
	(void)ctx, (void)err;
	return CUR_OK;
}

void shard_dry_emit(shard_dry *d, shard_emit *e)
{
	e->begin = dry_begin;
	e->seq = dry_seq;
	e->end = dry_end;
	e->ctx = d;
}

void shard_dry_release(shard_dry *d)
{
	for (int s = 0; s < SHARD_NSPLITS; s++) {
		free(d->tokens[s].v);
		free(d->seqs[s].v);
	}
	memset(d, 0, sizeof *d);
}

/* ---- the real writer ---- */
static int file_exists_size(const char *path, uint64_t size)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size;
}

/* Hash and write n bytes of the .bin (the writer thread's work when there
 * is one, else the caller's). */
static int bin_write(shard_writer *w, const unsigned char *p, size_t n, cur_err *err)
{
	XXH3_128bits_update(w->hash, p, n);
	int rc = shard_write_all(w->fd, p, n, w->bin_final, err);
	w->written_bytes += n;
#ifdef SYNC_FILE_RANGE_WRITE
	/* Start the disk writes as we go (without waiting), so that the fsync
	 * at the end of the shard has little left to do. */
	if (rc == CUR_OK && w->written_bytes - w->synced_bytes >= SHARD_SYNC_STEP) {
		sync_file_range(w->fd, (off_t)w->synced_bytes, (off_t)(w->written_bytes - w->synced_bytes),
				SYNC_FILE_RANGE_WRITE);
		w->synced_bytes = w->written_bytes;
	}
#endif
	return rc;
}

/* Do the spill reads recorded for buffer slot s. */
static int fill_reads(shard_writer *w, size_t s, cur_err *err)
{
	for (size_t i = 0; i < w->nreads[s]; i++) {
		const shard_read *r = &w->reads[s][i];
		CUR_FORWARD(shard_spill_read(&w->spills[r->cat], r->off,
					     (uint32_t *)(void *)(w->bufs[s] + r->at), r->n, err));
	}
	return CUR_OK;
}

/* Called with mx held, by the thread that claimed slot s's reads: do them
 * without the lock. A failure stops the writes that follow. */
static void fill_claimed(shard_writer *w, size_t s)
{
	cur_err e;
	cur_err_clear(&e);
	int failed = w->werr.code < 0;
	pthread_mutex_unlock(&w->mx);
	int rc = failed ? CUR_OK : fill_reads(w, s, &e);
	pthread_mutex_lock(&w->mx);
	if (rc < 0 && w->werr.code >= 0)
		w->werr = e;
	w->rstate[s] = SHARD_READS_DONE;
	pthread_cond_broadcast(&w->cv);
}

/* Called with mx held by the planning thread instead of waiting for the
 * writer thread: do the reads of the newest queued buffer nobody has
 * started (the writer thread starts from the oldest), else wait. */
static void help_or_wait(shard_writer *w)
{
	for (size_t k = w->queued; k-- > 0;) {
		size_t s = (w->head + k) % SHARD_NBUF;
		if (w->rstate[s] == SHARD_READS_PENDING) {
			w->rstate[s] = SHARD_READS_BUSY;
			fill_claimed(w, s);
			return;
		}
	}
	pthread_cond_wait(&w->cv, &w->mx);
}

/* With -j 2 or more, a second thread hashes and writes full buffers while
 * the plan goes on into the next one: pass 2 runs after the pipeline, on
 * one thread otherwise. The spill reads are shared (see shard_writer).
 * Buffers are written in order, and every read lands where the serial
 * writer would have put it, so the bytes and the hash are the same. */
static void *bin_thread(void *arg)
{
	shard_writer *w = arg;
	pthread_mutex_lock(&w->mx);
	for (;;) {
		while (w->queued == 0 && !w->stop)
			pthread_cond_wait(&w->cv, &w->mx);
		if (w->queued == 0)
			break;
		if (w->rstate[w->head] == SHARD_READS_PENDING) {
			w->rstate[w->head] = SHARD_READS_BUSY;
			fill_claimed(w, w->head);
		}
		while (w->rstate[w->head] == SHARD_READS_BUSY)
			pthread_cond_wait(&w->cv, &w->mx);
		unsigned char *p = w->bufs[w->head];
		size_t n = w->lens_q[w->head];
		int failed = w->werr.code < 0;
		pthread_mutex_unlock(&w->mx);
		cur_err e;
		cur_err_clear(&e);
		int rc = failed ? CUR_OK : bin_write(w, p, n, &e);
		pthread_mutex_lock(&w->mx);
		if (rc < 0)
			w->werr = e;
		w->head = (w->head + 1) % SHARD_NBUF;
		w->queued--;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mx);
	return NULL;
}

/* bin_drain: wait until the writer thread has written every queued buffer;
 * its error, if any. */
static int bin_drain(shard_writer *w, cur_err *err)
{
	if (!w->async)
		return CUR_OK;
	pthread_mutex_lock(&w->mx);
	while (w->queued > 0)
		help_or_wait(w);
	int rc = w->werr.code < 0 ? w->werr.code : CUR_OK;
	if (rc < 0 && err)
		*err = w->werr;
	cur_err_clear(&w->werr);
	pthread_mutex_unlock(&w->mx);
	return rc;
}

static int out_flush(shard_writer *w, cur_err *err)
{
	if (w->outn == 0)
		return CUR_OK;
	if (!w->async) {
		int rc = bin_write(w, w->out, w->outn, err);
		w->outn = 0;
		return rc;
	}
	pthread_mutex_lock(&w->mx);
	size_t slot = (w->head + w->queued) % SHARD_NBUF;
	w->lens_q[slot] = w->outn;
	w->rstate[slot] = w->nreads[slot] ? SHARD_READS_PENDING : SHARD_READS_DONE;
	w->queued++;
	pthread_cond_broadcast(&w->cv);
	while (w->queued >= SHARD_NBUF && w->werr.code >= 0)
		help_or_wait(w);
	if (w->werr.code < 0) {
		*err = w->werr;
		pthread_mutex_unlock(&w->mx);
		return err->code;
	}
	w->fill = (slot + 1) % SHARD_NBUF;
	w->nreads[w->fill] = 0;
	w->out = w->bufs[w->fill];
	pthread_mutex_unlock(&w->mx);
	w->outn = 0;
	return CUR_OK;
}

/* out_put: n <= SHARD_OUTBUF bytes. */
static int out_put(shard_writer *w, const void *p, size_t n, cur_err *err)
{
	if (w->outn + n > SHARD_OUTBUF)
		CUR_FORWARD(out_flush(w, err));
	memcpy(w->out + w->outn, p, n);
	w->outn += n;
	return CUR_OK;
}

static int put_ids(shard_writer *w, const uint32_t *ids, size_t n, cur_err *err)
{
	unsigned char b[4 * 256];
	size_t isz = w->itemsize;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (isz == 4) /* the ids are already the bytes of the file */
		return out_put(w, ids, n * 4, err);
#endif
	for (size_t i = 0; i < n;) {
		size_t m = n - i < 256 ? n - i : 256;
		for (size_t j = 0; j < m; j++) {
			uint32_t id = ids[i + j];
			if (isz == 2) {
				b[2 * j] = (unsigned char)id;
				b[2 * j + 1] = (unsigned char)(id >> 8);
			} else {
				le32(b + 4 * j, id);
			}
		}
		CUR_FORWARD(out_put(w, b, m * isz, err));
		i += m;
	}
	return CUR_OK;
}

static void names_free(shard_writer *w)
{
	free(w->bin_final);
	free(w->idx_final);
	w->bin_final = w->idx_final = NULL;
}

static int set_names(shard_writer *w, cur_err *err)
{
	char n[80];
	names_free(w);
	snprintf(n, sizeof n, "%s.bin", w->name);
	w->bin_final = shard_path(w->outdir, n);
	if (w->format == SHARD_FORMAT_MEGATRON) {
		snprintf(n, sizeof n, "%s.idx", w->name);
		w->idx_final = shard_path(w->outdir, n);
		if (!w->idx_final)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	if (!w->bin_final)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return CUR_OK;
}

static int wr_begin(void *ctx, int split, uint64_t k, cur_err *err)
{
	shard_writer *w = ctx;
	const shard_dry *d = w->plan;
	if (k >= d->tokens[split].n)
		return cur_err_set(err, CUR_EINVAL, "internal error: the plan changed between passes");
	w->split = split;
	w->k = k;
	w->exp_tokens = d->tokens[split].v[k];
	w->exp_seqs = d->seqs[split].v[k];
	shard_file_name(w->name, sizeof w->name, split, w->perm[split] ? w->perm[split][k] : k);
	CUR_FORWARD(set_names(w, err));
	w->ntok = w->nseq = w->ndocs = w->padding = 0;
	memset(w->cat_tokens, 0, sizeof w->cat_tokens);
	w->lens.n = 0;
	w->outn = 0;
	w->written_bytes = w->synced_bytes = 0;
	w->other = w->world > 1 && (int)(k % (uint64_t)w->world) != w->rank;
	if (w->other) {
		w->skip = 1;
		return CUR_OK;
	}
	uint64_t bin_bytes = w->exp_tokens * w->itemsize +
			     (w->format == SHARD_FORMAT_LLMC ? SHARD_LLMC_HEADER : 0);
	w->skip = w->resume && file_exists_size(w->bin_final, bin_bytes) &&
		  (w->format == SHARD_FORMAT_LLMC ||
		   file_exists_size(w->idx_final, shard_idx_bytes(w->exp_seqs, w->exp_seqs + 1)));
	if (w->skip) {
		w->resumed++;
		return CUR_OK;
	}
	CUR_FORWARD(cur_atomic_open(&w->bin, w->bin_final, err));
	w->fd = w->bin.fd;
	XXH3_128bits_reset(w->hash);
	if (w->format == SHARD_FORMAT_LLMC) {
		unsigned char h[SHARD_LLMC_HEADER];
		memset(h, 0, sizeof h);
		le32(h, SHARD_LLMC_MAGIC);
		le32(h + 4, SHARD_LLMC_VERSION);
		le32(h + 8, (uint32_t)w->exp_tokens);
		CUR_FORWARD(out_put(w, h, sizeof h, err));
	}
	return CUR_OK;
}

/* Record a spill read of n ids into the buffer being filled, at outn. */
static int read_later(shard_writer *w, uint32_t cat, uint64_t off, uint32_t n, cur_err *err)
{
	size_t s = w->fill;
	if (!w->reads[s]) {
		w->reads[s] = cur_malloc_array(SHARD_NREADS, sizeof(shard_read));
		if (!w->reads[s])
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	shard_read *r = &w->reads[s][w->nreads[s]++];
	r->off = off;
	r->at = w->outn;
	r->n = n;
	r->cat = cat;
	return CUR_OK;
}

static int wr_piece(shard_writer *w, const shard_piece *pc, cur_err *err)
{
	uint32_t *ids = w->ids;
	if (pc->token) {
		for (uint32_t left = pc->n; left > 0;) {
			uint32_t m = left < CHUNK_IDS ? left : CHUNK_IDS;
			for (uint32_t i = 0; i < m; i++)
				ids[i] = pc->token;
			CUR_FORWARD(put_ids(w, ids, m, err));
			left -= m;
		}
		return CUR_OK;
	}
	uint64_t off = pc->off;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (w->itemsize == 4) {
		/* The spill's bytes are the file's: read them straight into the
		 * output buffer (outn stays a multiple of 4, so it is aligned);
		 * with a writer thread, later (see shard_writer). */
		for (uint32_t left = pc->n; left > 0;) {
			if (SHARD_OUTBUF - w->outn < 4 ||
			    (w->async && w->nreads[w->fill] == SHARD_NREADS))
				CUR_FORWARD(out_flush(w, err));
			size_t room = (SHARD_OUTBUF - w->outn) / 4;
			uint32_t m = left < room ? left : (uint32_t)room;
			if (w->async)
				CUR_FORWARD(read_later(w, pc->cat, off, m, err));
			else
				CUR_FORWARD(shard_spill_read(&w->spills[pc->cat], off,
							     (uint32_t *)(void *)(w->out + w->outn), m,
							     err));
			w->outn += (size_t)m * 4;
			off += m;
			left -= m;
		}
		return CUR_OK;
	}
#endif
	for (uint32_t left = pc->n; left > 0;) {
		uint32_t m = left < CHUNK_IDS ? left : CHUNK_IDS;
		CUR_FORWARD(shard_spill_read(&w->spills[pc->cat], off, ids, m, err));
		CUR_FORWARD(put_ids(w, ids, m, err));
		off += m;
		left -= m;
	}
	return CUR_OK;
}

static int wr_seq(void *ctx, const shard_piece *p, size_t np, uint64_t ntok, uint32_t ndocs,
		  cur_err *err)
{
	shard_writer *w = ctx;
	for (size_t i = 0; i < np; i++) {
		if (p[i].cat == SHARD_CAT_PAD)
			w->padding += p[i].n;
		else
			w->cat_tokens[p[i].cat] += p[i].n;
		if (!w->skip)
			CUR_FORWARD(wr_piece(w, &p[i], err));
	}
	if (ntok > INT32_MAX)
		return cur_err_set(err, CUR_ELIMIT, "a sequence of %llu tokens exceeds int32",
				   (unsigned long long)ntok);
	if (!w->skip && w->format == SHARD_FORMAT_MEGATRON && u64v_push(&w->lens, ntok) < 0)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	w->ntok += ntok;
	w->nseq++;
	w->ndocs += ndocs;
	return CUR_OK;
}

/* The .idx: header, int32 lengths, int64 byte pointers, int64 doc indices,
 * streamed through a small buffer (hashed as written) so that memory does
 * not grow with the number of sequences. */
typedef struct idx_out {
	int fd;
	const char *path;
	XXH3_state_t *hash;
	unsigned char buf[1 << 16];
	size_t n;
	uint64_t bytes;
} idx_out;

static int idx_flush(idx_out *o, cur_err *err)
{
	XXH3_128bits_update(o->hash, o->buf, o->n);
	o->bytes += o->n;
	int rc = shard_write_all(o->fd, o->buf, o->n, o->path, err);
	o->n = 0;
	return rc;
}

static int idx_put(idx_out *o, const void *p, size_t n, cur_err *err)
{
	if (o->n + n > sizeof o->buf)
		CUR_FORWARD(idx_flush(o, err));
	memcpy(o->buf + o->n, p, n);
	o->n += n;
	return CUR_OK;
}

static int idx_body(shard_writer *w, idx_out *o, cur_err *err)
{
	uint64_t S = w->lens.n;
	unsigned char h[SHARD_IDX_HEADER], b[8];
	memcpy(h, SHARD_IDX_MAGIC, 9);
	le64(h + 9, 1);
	h[17] = (unsigned char)w->dtype_code;
	le64(h + 18, S);
	le64(h + 26, S + 1);
	CUR_FORWARD(idx_put(o, h, sizeof h, err));
	for (uint64_t i = 0; i < S; i++) {
		le32(b, (uint32_t)w->lens.v[i]);
		CUR_FORWARD(idx_put(o, b, 4, err));
	}
	uint64_t ptr = 0;
	for (uint64_t i = 0; i < S; i++) {
		le64(b, ptr);
		CUR_FORWARD(idx_put(o, b, 8, err));
		ptr += w->lens.v[i] * w->itemsize;
	}
	for (uint64_t i = 0; i <= S; i++) {
		le64(b, i);
		CUR_FORWARD(idx_put(o, b, 8, err));
	}
	return idx_flush(o, err);
}

static int write_idx(shard_writer *w, char hex[33], uint64_t *bytes, cur_err *err)
{
	idx_out *o = malloc(sizeof *o);
	if (!o)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	o->n = 0;
	o->bytes = 0;
	o->path = w->idx_final;
	o->hash = w->hash; /* the .bin's digest is already taken */
	XXH3_128bits_reset(o->hash);
	int rc = cur_atomic_open(&w->idx, w->idx_final, err);
	if (rc == CUR_OK) {
		o->fd = w->idx.fd;
		rc = idx_body(w, o, err);
	}
	if (rc == CUR_OK) {
		XXH128_canonical_t c;
		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(o->hash));
		shard_xxh3_hex(&c, hex);
		*bytes = o->bytes;
	}
	free(o);
	return rc;
}

static int commit(shard_writer *w, char bhex[33], uint64_t *bbytes, char ihex[33],
		  uint64_t *ibytes, cur_err *err)
{
	if (w->skip) {
		CUR_FORWARD(shard_file_xxh3(w->bin_final, bhex, bbytes, err));
		if (w->format == SHARD_FORMAT_MEGATRON)
			CUR_FORWARD(shard_file_xxh3(w->idx_final, ihex, ibytes, err));
		return CUR_OK;
	}
	CUR_FORWARD(out_flush(w, err));
	CUR_FORWARD(bin_drain(w, err));
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(w->hash));
	shard_xxh3_hex(&c, bhex);
	*bbytes = w->ntok * w->itemsize + (w->format == SHARD_FORMAT_LLMC ? SHARD_LLMC_HEADER : 0);
	int rc = CUR_OK;
	if (w->format == SHARD_FORMAT_MEGATRON)
		rc = write_idx(w, ihex, ibytes, err);
	/* .bin first: a final .idx promises a complete .bin beside it. */
	if (rc == CUR_OK)
		rc = cur_atomic_commit(&w->bin, 0, err);
	w->fd = -1;
	if (rc == CUR_OK && w->format == SHARD_FORMAT_MEGATRON)
		rc = cur_atomic_commit(&w->idx, 0, err);
	cur_atomic_rollback(&w->bin);
	cur_atomic_rollback(&w->idx);
	if (rc == CUR_OK)
		w->written++;
	return rc;
}

static json_t *file_entry(const char *hex, uint64_t bytes)
{
	return json_pack("{s:I, s:s}", "bytes", (json_int_t)bytes, "xxh3_128", hex);
}

static int wr_end(void *ctx, cur_err *err)
{
	shard_writer *w = ctx;
	if (w->ntok != w->exp_tokens || w->nseq != w->exp_seqs)
		return cur_err_set(err, CUR_EINVAL, "internal error: shard %s differs from its plan", w->name);
	if (w->other)
		return CUR_OK;
	char bhex[33], ihex[33];
	uint64_t bbytes = 0, ibytes = 0;
	CUR_FORWARD(commit(w, bhex, &bbytes, ihex, &ibytes, err));
	json_t *files = json_object();
	char fn[80];
	snprintf(fn, sizeof fn, "%s.bin", w->name);
	json_object_set_new(files, fn, file_entry(bhex, bbytes));
	if (w->format == SHARD_FORMAT_MEGATRON) {
		snprintf(fn, sizeof fn, "%s.idx", w->name);
		json_object_set_new(files, fn, file_entry(ihex, ibytes));
	}
	json_t *cats = json_object();
	for (size_t c = 0; c < w->ncat; c++)
		if (w->cat_tokens[c])
			json_object_set_new(cats, w->cat_names[c], json_integer((json_int_t)w->cat_tokens[c]));
	json_t *e = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:o}", "name", w->name, "split",
			      shard_split_name(w->split), "tokens", (json_int_t)w->ntok, "sequences",
			      (json_int_t)w->nseq, "documents", (json_int_t)w->ndocs, "padding_tokens",
			      (json_int_t)w->padding, "categories", cats, "files", files);
	if (!e)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	uint64_t slot = w->perm[w->split] ? w->perm[w->split][w->k] : w->k;
	json_array_set_new(w->entries[w->split], (size_t)slot, e);
	return CUR_OK;
}

int shard_writer_init(shard_writer *w, cur_err *err)
{
	w->fd = -1;
	w->bin = (cur_atomic)CUR_ATOMIC_INIT;
	w->idx = (cur_atomic)CUR_ATOMIC_INIT;
	w->hash = XXH3_createState();
	if (w->async) {
		for (int i = 0; i < SHARD_NBUF; i++)
			if (!(w->bufs[i] = malloc(SHARD_OUTBUF)))
				return cur_err_set(err, CUR_ENOMEM, "out of memory");
		cur_err_clear(&w->werr);
		pthread_mutex_init(&w->mx, NULL);
		pthread_cond_init(&w->cv, NULL);
		if (pthread_create(&w->th, NULL, bin_thread, w) != 0) {
			/* Write on this thread, from one buffer. */
			pthread_mutex_destroy(&w->mx);
			pthread_cond_destroy(&w->cv);
			for (int i = 1; i < SHARD_NBUF; i++) {
				free(w->bufs[i]);
				w->bufs[i] = NULL;
			}
			w->out = w->bufs[0];
			w->bufs[0] = NULL;
			w->async = 0;
		} else {
			w->started = 1;
		}
	}
	if (!w->out)
		w->out = w->async ? w->bufs[0] : malloc(SHARD_OUTBUF);
	w->ids = cur_malloc_array(CHUNK_IDS, sizeof *w->ids);
	for (int s = 0; s < SHARD_NSPLITS; s++) {
		w->entries[s] = json_array();
		for (size_t i = 0; i < w->plan->tokens[s].n; i++)
			json_array_append_new(w->entries[s], json_null());
	}
	if (!w->hash || !w->out || !w->ids || !w->entries[0] || !w->entries[1])
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return CUR_OK;
}

void shard_writer_emit(shard_writer *w, shard_emit *e)
{
	e->begin = wr_begin;
	e->seq = wr_seq;
	e->end = wr_end;
	e->ctx = w;
}

void shard_writer_release(shard_writer *w)
{
	if (w->started) {
		bin_drain(w, NULL);
		pthread_mutex_lock(&w->mx);
		w->stop = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mx);
		pthread_join(w->th, NULL);
		pthread_mutex_destroy(&w->mx);
		pthread_cond_destroy(&w->cv);
		w->started = 0;
	}
	if (w->async) {
		for (int i = 0; i < SHARD_NBUF; i++) {
			free(w->bufs[i]);
			free(w->reads[i]);
		}
		w->out = NULL;
	}
	/* An unfinished shard never stays, not even under its temporary name. */
	cur_atomic_rollback(&w->bin);
	cur_atomic_rollback(&w->idx);
	w->fd = -1;
	names_free(w);
	XXH3_freeState(w->hash);
	free(w->out);
	free(w->ids);
	free(w->lens.v);
	for (int s = 0; s < SHARD_NSPLITS; s++) {
		json_decref(w->entries[s]);
		free(w->perm[s]);
	}
	w->hash = NULL;
	w->out = NULL;
	w->ids = NULL;
}

int shard_perm_make(uint64_t **out, uint64_t n, uint64_t seed, int split, int shuffle)
{
	*out = NULL;
	if (!shuffle || n == 0)
		return CUR_OK;
	uint64_t *p = cur_malloc_array((size_t)n, sizeof *p);
	if (!p)
		return CUR_ENOMEM;
	for (uint64_t i = 0; i < n; i++)
		p[i] = i;
	cur_rng r = { cur_mix64(seed ^ (0x4f52444552ULL + (uint64_t)split)) };
	for (uint64_t i = n; i > 1; i--) {
		uint64_t j = cur_rng_below(&r, i);
		uint64_t t = p[i - 1];
		p[i - 1] = p[j];
		p[j] = t;
	}
	*out = p;
	return CUR_OK;
}
