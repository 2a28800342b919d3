/* The sign phase's writer: one rank's files in the work directory. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/file.h"
#include "dedup/work.h"
#include "dedup/work_int.h"

enum { F_META, F_SIG, F_IDS, F_SH, F_SHX, F_LINES, F_NFIXED };

struct dd_signer {
	char *dir;
	int rank, world;
	dd_config cfg;
	int nperm;
	cur_atomic file[F_NFIXED];
	FILE *f[F_NFIXED];  /* file[k]'s stream, or NULL when not wanted */
	cur_atomic *bandf;  /* one per band */
	FILE **band;        /* bandf[b]'s stream */
	unsigned char **buf; /* per band: pending entries, 12 bytes each */
	size_t nbuf, capbuf; /* entries per band (all bands alike) */
	unsigned char *tmp;  /* radix sort scratch */
	size_t tmpcap;
	unsigned char *rec;  /* one signature, encoded */
	uint64_t ndocs;
	uint64_t sh_off;
	size_t peak;
	int closed;
};

static const char *const fixed_name[F_NFIXED] = { "meta", "sig", "ids", "sh", "shx", "lines" };
static const char *const fixed_magic[F_NFIXED] = { DD_MAGIC_META, DD_MAGIC_SIG, DD_MAGIC_IDS,
						   DD_MAGIC_SH, DD_MAGIC_SHX, DD_MAGIC_LINES };

void dd_run_jobs(void *(*fn)(void *), void *jobs, size_t size, int n)
{
	char *job = jobs;
	pthread_t tid[8];
	int started = 0;

	for (int i = 1; i < n && i < 8; i++, started++)
		if (pthread_create(&tid[i], NULL, fn, job + (size_t)i * size) != 0)
			break;
	fn(job);
	for (int i = started + 1; i < n; i++)
		fn(job + (size_t)i * size); /* its thread did not start */
	for (int i = 1; i <= started; i++)
		pthread_join(tid[i], NULL);
}

char *dd_work_path(const char *dir, const char *name, int a, int b)
{
	cur_buf p;
	cur_buf_init(&p, 4096);
	if (b >= 0)
		cur_buf_printf(&p, "%s/%s-%d-%d.bin", dir, name, a, b);
	else if (a >= 0)
		cur_buf_printf(&p, "%s/%s-%d.bin", dir, name, a);
	else
		cur_buf_printf(&p, "%s/%s.bin", dir, name);
	return cur_buf_detach(&p, NULL);
}

/* Open path (malloc'd; freed here) as an atomic output that starts with
 * magic. */
static FILE *open_tmp(cur_atomic *a, char *path, const char *magic, cur_err *err)
{
	FILE *f = NULL;
	if (!path) {
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	if (cur_atomic_open(a, path, err) == CUR_OK && !(f = cur_atomic_stream(a)))
		cur_err_set(err, CUR_ENOMEM, "out of memory");
	free(path);
	if (f)
		dd_fwrite(magic, 1, 8, f);
	return f;
}

static int wanted(const dd_signer *s, int k)
{
	switch (k) {
	case F_SIG: return s->cfg.minhash;
	case F_SH: case F_SHX: return s->cfg.minhash && s->cfg.verify_exact;
	case F_LINES: return s->cfg.lines;
	default: return 1;
	}
}

int dd_signer_open(dd_signer **out, const char *dir, int rank, int world, const dd_config *cfg,
		   cur_err *err)
{
	dd_signer *s = calloc(1, sizeof *s);
	int nb = cfg->minhash ? cfg->bands : 0;
	*out = NULL;
	if (!s || !(s->dir = cur_strndup(dir, strlen(dir))))
		goto nomem;
	s->rank = rank;
	s->world = world;
	s->cfg = *cfg;
	s->nperm = cfg->bands * cfg->rows;
	for (int k = 0; k < F_NFIXED; k++)
		s->file[k] = (cur_atomic)CUR_ATOMIC_INIT;
	s->band = calloc((size_t)nb + 1, sizeof *s->band);
	s->bandf = calloc((size_t)nb + 1, sizeof *s->bandf);
	s->buf = calloc((size_t)nb + 1, sizeof *s->buf);
	if (!s->band || !s->bandf || !s->buf)
		goto nomem;
	for (int b = 0; b < nb; b++)
		s->bandf[b] = (cur_atomic)CUR_ATOMIC_INIT;
	for (int k = 0; k < F_NFIXED; k++) {
		if (!wanted(s, k))
			continue;
		if (!(s->f[k] = open_tmp(&s->file[k], dd_work_path(dir, fixed_name[k], rank, -1),
					 fixed_magic[k], err)))
			goto fail;
	}
	/* Room for the headers, written at close. */
	{
		unsigned char z[DD_META_HDR] = { 0 };
		dd_fwrite(z, 1, DD_META_HDR - 8, s->f[F_META]);
		if (s->f[F_SIG])
			dd_fwrite(z, 1, DD_SIG_HDR - 8, s->f[F_SIG]);
	}
	for (int b = 0; b < nb; b++)
		if (!(s->band[b] = open_tmp(&s->bandf[b], dd_work_path(dir, "band", b, rank),
					    DD_MAGIC_BAND, err)))
			goto fail;
	*out = s;
	return CUR_OK;
nomem:
	cur_err_set(err, CUR_ENOMEM, "out of memory");
fail:
	dd_signer_free(s);
	return err ? err->code : CUR_ENOMEM;
}

/* Stable LSD radix sort of 12-byte entries by their 8-byte little-endian
 * key, one byte a pass: entries arrive in local-number order, so the
 * result is sorted by (key, number) as the band files require. */
static int sort_entries(unsigned char *e, size_t n, unsigned char **tmp, size_t *tmpcap)
{
	if (*tmpcap < n) {
		unsigned char *t = cur_realloc_array(*tmp, n, DD_ENTRY);
		if (!t)
			return CUR_ENOMEM;
		*tmp = t;
		*tmpcap = n;
	}
	unsigned char *src = e, *dst = *tmp;
	/* A byte's counts do not depend on the order: all eight in one pass. */
	size_t counts[8][256] = { { 0 } };
	for (size_t i = 0; i < n; i++)
		for (int byte = 0; byte < 8; byte++)
			counts[byte][e[i * DD_ENTRY + byte]]++;
	for (int byte = 0; byte < 8; byte++) {
		size_t *cnt = counts[byte];
		if (cnt[src[byte]] == n)
			continue; /* every key has this byte: nothing moves */
		size_t pos = 0;
		for (int d = 0; d < 256; d++) {
			size_t c = cnt[d];
			cnt[d] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			memcpy(dst + cnt[src[i * DD_ENTRY + byte]]++ * DD_ENTRY, src + i * DD_ENTRY, DD_ENTRY);
		unsigned char *t = src;
		src = dst;
		dst = t;
	}
	if (src != e)
		memcpy(e, src, n * DD_ENTRY);
	return CUR_OK;
}

/* The band sorts of a spill on cfg.threads threads (-j): thread t sorts
 * bands t, t + T, ... with scratch of its own (thread 0 uses the
 * signer's), and appends each as a run to its band file (one FILE per
 * band, so one thread each). Done at the end of pass 1 and, past
 * --mem-limit, inside the serial turn, so it is time no other worker can
 * use. */
typedef struct sort_job {
	dd_signer *s;
	int first, step;
	unsigned char *tmp;
	size_t tmpcap;
	int rc;
	int failed_band;     /* rc CUR_EIO: the band file that could not be written, */
	int errnum;          /* and why (errno is per thread) */
} sort_job;

static void *sort_thread(void *arg)
{
	sort_job *j = arg;
	dd_signer *s = j->s;
	for (int b = j->first; b < s->cfg.bands && j->rc == CUR_OK; b += j->step) {
		unsigned char hdr[8];
		j->rc = sort_entries(s->buf[b], s->nbuf, &j->tmp, &j->tmpcap);
		dd_put64(hdr, s->nbuf);
		if (j->rc == CUR_OK && (dd_fwrite(hdr, 1, 8, s->band[b]) != 8 ||
					dd_fwrite(s->buf[b], DD_ENTRY, s->nbuf, s->band[b]) != s->nbuf)) {
			j->rc = CUR_EIO;
			j->failed_band = b;
			j->errnum = errno;
		}
	}
	return NULL;
}

static int sort_bands(dd_signer *s, int *failed_band, int *errnum)
{
	int t = s->cfg.threads < 1 ? 1 : s->cfg.threads, rc;
	sort_job jobs[8];
	if (t > 8)
		t = 8;
	if (t > s->cfg.bands)
		t = s->cfg.bands;
	if (s->nbuf < 4096)
		t = 1; /* not worth a thread */
	for (int i = 0; i < t; i++)
		jobs[i] = (sort_job){ .s = s, .first = i, .step = t };
	jobs[0].tmp = s->tmp;
	jobs[0].tmpcap = s->tmpcap;
	dd_run_jobs(sort_thread, jobs, sizeof *jobs, t);
	rc = CUR_OK;
	for (int i = 0; i < t; i++) {
		if (jobs[i].rc != CUR_OK) {
			rc = jobs[i].rc;
			*failed_band = jobs[i].failed_band;
			*errnum = jobs[i].errnum;
		}
		if (i > 0)
			free(jobs[i].tmp);
	}
	s->tmp = jobs[0].tmp;
	s->tmpcap = jobs[0].tmpcap;
	return rc;
}

/* Sort each band's pending entries and append them as one run. */
static int spill(dd_signer *s, cur_err *err)
{
	int band = 0, errnum = 0, rc;
	if (s->nbuf == 0)
		return CUR_OK;
	rc = s->cfg.minhash ? sort_bands(s, &band, &errnum) : CUR_OK;
	if (rc == CUR_ENOMEM)
		return cur_err_set(err, CUR_ENOMEM, "out of memory sorting band keys");
	if (rc != CUR_OK)
		return cur_err_set(err, CUR_EIO, "cannot write '%s': %s", s->bandf[band].path,
				   strerror(errnum));
	s->nbuf = 0;
	return CUR_OK;
}

static int grow_bufs(dd_signer *s, cur_err *err)
{
	size_t cap = s->capbuf ? s->capbuf * 2 : 4096;
	/* Never hold more than mem_limit: past it, spill a sorted run. */
	size_t lim = (size_t)(s->cfg.mem_limit / ((uint64_t)DD_ENTRY * (uint64_t)s->cfg.bands));
	if (lim < 1024)
		lim = 1024;
	if (s->capbuf >= lim)
		return spill(s, err);
	if (cap > lim)
		cap = lim;
	for (int b = 0; b < s->cfg.bands; b++) {
		unsigned char *p = cur_realloc_array(s->buf[b], cap, DD_ENTRY);
		if (!p)
			return cur_err_set(err, CUR_ENOMEM, "out of memory for band keys");
		s->buf[b] = p;
	}
	s->capbuf = cap;
	if (cap * DD_ENTRY * (size_t)s->cfg.bands > s->peak)
		s->peak = cap * DD_ENTRY * (size_t)s->cfg.bands;
	return CUR_OK;
}

static int put_u64s(FILE *f, const uint64_t *v, size_t n)
{
	unsigned char b[8];
	dd_put32(b, (uint32_t)n);
	if (dd_fwrite(b, 1, 4, f) != 4)
		return CUR_EIO;
	for (size_t i = 0; i < n; i++) {
		dd_put64(b, v[i]);
		if (dd_fwrite(b, 1, 8, f) != 8)
			return CUR_EIO;
	}
	return CUR_OK;
}

int dd_signer_add(dd_signer *s, const dd_meta *m, const char *id, const uint32_t *sig,
		  const uint64_t *keys, const uint64_t *sh, size_t nsh, const uint64_t *lines,
		  size_t nlines, cur_err *err)
{
	unsigned char rec[DD_META_REC], b[8];
	size_t idlen = strlen(id);
	if (s->ndocs >= UINT32_MAX - 1)
		return cur_err_set(err, CUR_ELIMIT, "more than 4294967294 documents in one rank");
	dd_meta_encode(m, rec);
	if (dd_fwrite(rec, 1, sizeof rec, s->f[F_META]) != sizeof rec)
		goto ioerr;
	dd_put32(b, (uint32_t)idlen);
	if (dd_fwrite(b, 1, 4, s->f[F_IDS]) != 4 || dd_fwrite(id, 1, idlen, s->f[F_IDS]) != idlen)
		goto ioerr;
	if (s->cfg.minhash) {
		if (!s->rec && !(s->rec = malloc(4 * (size_t)s->nperm)))
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		for (int i = 0; i < s->nperm; i++)
			dd_put32(s->rec + 4 * i, sig[i]);
		if (dd_fwrite(s->rec, 4, (size_t)s->nperm, s->f[F_SIG]) != (size_t)s->nperm)
			goto ioerr;
		if (s->nbuf == s->capbuf)
			CUR_FORWARD(grow_bufs(s, err));
		for (int k = 0; k < s->cfg.bands; k++) {
			unsigned char *e = s->buf[k] + s->nbuf * DD_ENTRY;
			dd_put64(e, keys[k]);
			dd_put32(e + 8, (uint32_t)s->ndocs);
		}
		s->nbuf++;
	}
	if (s->f[F_SH]) {
		dd_put64(b, s->sh_off);
		if (dd_fwrite(b, 1, 8, s->f[F_SHX]) != 8 || put_u64s(s->f[F_SH], sh, nsh) != CUR_OK)
			goto ioerr;
		s->sh_off += 4 + 8 * (uint64_t)nsh;
	}
	if (s->f[F_LINES] && put_u64s(s->f[F_LINES], lines, nlines) != CUR_OK)
		goto ioerr;
	s->ndocs++;
	return CUR_OK;
ioerr:
	return cur_err_set(err, CUR_EIO, "cannot write to '%s': %s", s->dir, strerror(errno));
}

/* Synced only for work directories that outlive the process (the phased
 * commands hand them to the next phase). */
static int finish_file(const dd_signer *s, cur_atomic *a, FILE **fp, cur_err *err)
{
	*fp = NULL;
	return cur_atomic_commit(a, s->cfg.scratch ? CUR_ATOMIC_NO_SYNC : 0, err);
}

int dd_signer_close(dd_signer *s, cur_err *err)
{
	unsigned char hdr[DD_META_HDR];
	CUR_FORWARD(spill(s, err));
	dd_meta_header_encode(&s->cfg, s->rank, s->world, s->ndocs, hdr);
	if (fseek(s->f[F_META], 0, SEEK_SET) != 0 ||
	    dd_fwrite(hdr, 1, sizeof hdr, s->f[F_META]) != sizeof hdr)
		return cur_err_set(err, CUR_EIO, "cannot write '%s'", s->file[F_META].path);
	if (s->f[F_SIG]) {
		unsigned char sh[DD_SIG_HDR] = { 0 };
		memcpy(sh, DD_MAGIC_SIG, 8);
		dd_put32(sh + 8, (uint32_t)s->nperm);
		if (fseek(s->f[F_SIG], 0, SEEK_SET) != 0 || dd_fwrite(sh, 1, sizeof sh, s->f[F_SIG]) != sizeof sh)
			return cur_err_set(err, CUR_EIO, "cannot write '%s'", s->file[F_SIG].path);
	}
	for (int b = 0; b < (s->cfg.minhash ? s->cfg.bands : 0); b++)
		CUR_FORWARD(finish_file(s, &s->bandf[b], &s->band[b], err));
	/* meta last: its presence says the rank is complete. */
	for (int k = F_NFIXED - 1; k >= 0; k--)
		if (s->f[k])
			CUR_FORWARD(finish_file(s, &s->file[k], &s->f[k], err));
	s->closed = 1;
	return CUR_OK;
}

void dd_signer_free(dd_signer *s)
{
	if (!s)
		return;
	for (int k = 0; k < F_NFIXED; k++)
		cur_atomic_rollback(&s->file[k]);
	for (int b = 0; s->bandf && s->cfg.minhash && b < s->cfg.bands; b++)
		cur_atomic_rollback(&s->bandf[b]);
	for (int b = 0; s->buf && s->cfg.minhash && b < s->cfg.bands; b++)
		free(s->buf[b]);
	free(s->band);
	free(s->bandf);
	free(s->buf);
	free(s->tmp);
	free(s->rec);
	free(s->dir);
	free(s);
}

size_t dd_signer_mem(const dd_signer *s)
{
	return s ? s->peak : 0;
}

void dd_meta_encode(const dd_meta *m, unsigned char *rec)
{
	dd_put64(rec, m->order);
	dd_put32(rec + 8, m->length);
	dd_put32(rec + 12, m->flags);
	dd_put64(rec + 16, (uint64_t)m->date);
	memcpy(rec + 24, m->exact, 16);
	memcpy(rec + 40, m->url, 16);
}

void dd_meta_decode(const unsigned char *rec, dd_meta *m)
{
	m->order = dd_get64(rec);
	m->length = dd_get32(rec + 8);
	m->flags = dd_get32(rec + 12);
	m->date = (int64_t)dd_get64(rec + 16);
	memcpy(m->exact, rec + 24, 16);
	memcpy(m->url, rec + 40, 16);
}

void dd_meta_header_encode(const dd_config *c, int rank, int world, uint64_t ndocs,
			   unsigned char *h)
{
	uint64_t th;
	memset(h, 0, DD_META_HDR);
	memcpy(h, DD_MAGIC_META, 8);
	dd_put32(h + 8, DD_VERSION);
	dd_put32(h + 12, (uint32_t)rank);
	dd_put32(h + 16, (uint32_t)world);
	dd_put32(h + 20, (uint32_t)c->bands);
	dd_put32(h + 24, (uint32_t)c->rows);
	dd_put32(h + 28, (uint32_t)c->ngram);
	dd_put64(h + 32, c->seed);
	dd_put64(h + 40, ndocs);
	dd_put32(h + 48, (uint32_t)(c->url | c->exact << 1 | c->minhash << 2 | c->lines << 3 |
				    c->verify_exact << 4 | c->lowercase << 5));
	dd_put32(h + 52, (uint32_t)c->keep);
	memcpy(&th, &c->threshold, 8);
	dd_put64(h + 56, th);
	dd_put64(h + 64, c->bucket_docs);
	dd_put32(h + 72, (uint32_t)c->max_line_repeats);
	dd_put64(h + 80, (uint64_t)c->min_chars);
}

int dd_meta_header_decode(const unsigned char *h, dd_config *c, int *rank, int *world,
			  uint64_t *ndocs)
{
	uint32_t modes;
	uint64_t th;
	if (memcmp(h, DD_MAGIC_META, 8) != 0 || dd_get32(h + 8) != DD_VERSION)
		return CUR_EDATA;
	dd_config_init(c);
	*rank = (int)dd_get32(h + 12);
	*world = (int)dd_get32(h + 16);
	c->bands = (int)dd_get32(h + 20);
	c->rows = (int)dd_get32(h + 24);
	c->ngram = (int)dd_get32(h + 28);
	c->seed = dd_get64(h + 32);
	*ndocs = dd_get64(h + 40);
	modes = dd_get32(h + 48);
	c->url = modes & 1;
	c->exact = modes >> 1 & 1;
	c->minhash = modes >> 2 & 1;
	c->lines = modes >> 3 & 1;
	c->verify_exact = modes >> 4 & 1;
	c->lowercase = modes >> 5 & 1;
	c->keep = (int)dd_get32(h + 52);
	th = dd_get64(h + 56);
	memcpy(&c->threshold, &th, 8);
	c->bucket_docs = dd_get64(h + 64);
	c->max_line_repeats = (int)dd_get32(h + 72);
	c->min_chars = (int64_t)dd_get64(h + 80);
	if (*world < 1 || *rank >= *world || c->bands < 1 || c->rows < 1 ||
	    c->bands * c->rows > DD_MAX_PERM || c->keep > DD_KEEP_NEWEST ||
	    c->ngram < 1 || c->bucket_docs == 0)
		return CUR_EDATA;
	return CUR_OK;
}
