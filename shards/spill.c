/* Per-category spill files: the ids of every document (uint32 LE, no
 * separators) and their lengths (uint32 LE), written in input order by
 * pass 1 and read back by the plan and the writers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include "core/buf.h"
#include "shards/shard_int.h"
#include "tokenizer/tok_extra.h"

char *shard_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static int spill_paths(shard_spill *s, const char *workdir, size_t idx, cur_err *err)
{
	char name[64];
	snprintf(name, sizeof name, "cat%zu.tok", idx);
	s->tok_path = shard_path(workdir, name);
	snprintf(name, sizeof name, "cat%zu.len", idx);
	s->len_path = shard_path(workdir, name);
	if (!s->tok_path || !s->len_path)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return CUR_OK;
}

/* The pending ids: a buffer of this many (1 MiB), written once three
 * quarters full, so that most documents fit in the rest without growing
 * it. */
#define SPILL_FLUSH_IDS ((size_t)1 << 18)

int shard_spill_create(shard_spill *s, const char *workdir, size_t idx, int with_ids, cur_err *err)
{
	memset(s, 0, sizeof *s);
	s->tok_wfd = -1;
	tok_ids_init(&s->pending);
	CUR_FORWARD(spill_paths(s, workdir, idx, err));
	if (with_ids)
		s->tok_wfd = open(s->tok_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (with_ids && s->tok_wfd < 0)
		return cur_err_set(err, CUR_EIO, "cannot create '%s': %s", s->tok_path, strerror(errno));
	if (with_ids && tok_ids_reserve(&s->pending, SPILL_FLUSH_IDS) < 0)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	s->len_out = fopen(s->len_path, "wb");
	if (!s->len_out)
		return cur_err_set(err, CUR_EIO, "cannot create '%s': %s", s->len_path, strerror(errno));
	return CUR_OK;
}

static void put_le32(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	b[2] = (unsigned char)(v >> 16);
	b[3] = (unsigned char)(v >> 24);
}

static int flush_pending(shard_spill *s, cur_err *err)
{
	tok_ids *v = &s->pending;
#if !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
	for (size_t i = 0; i < v->len; i++) {
		unsigned char b[4];
		put_le32(b, v->ids[i]);
		memcpy(&v->ids[i], b, 4);
	}
#endif
	int rc = shard_write_all(s->tok_wfd, v->ids, v->len * 4, s->tok_path, err);
	v->len = 0;
	/* A long document grew the buffer: back to its size, so that memory
	 * stays 1 MiB per category. */
	if (v->cap > SPILL_FLUSH_IDS) {
		tok_ids_release(v);
		if (tok_ids_reserve(v, SPILL_FLUSH_IDS) < 0 && rc == CUR_OK)
			rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	return rc;
}

tok_ids *shard_spill_ids(shard_spill *s)
{
	return &s->pending;
}

/* One document of n ids: its length to the lengths file. */
static int record_length(shard_spill *s, size_t n, cur_err *err)
{
	if (n > INT32_MAX)
		return cur_err_set(err, CUR_ELIMIT, "a document of %zu tokens exceeds the format's limit of %d",
				   n, INT32_MAX);
	unsigned char b[4];
	put_le32(b, (uint32_t)n);
	if (fwrite(b, 1, 4, s->len_out) != 4)
		return cur_err_set(err, CUR_EIO, "cannot write '%s': %s", s->len_path, strerror(errno));
	s->docs++;
	s->tokens += n;
	return CUR_OK;
}

static int flush_if_full(shard_spill *s, cur_err *err)
{
	return s->pending.len >= SPILL_FLUSH_IDS / 4 * 3 ? flush_pending(s, err) : CUR_OK;
}

int shard_spill_commit(shard_spill *s, size_t n, cur_err *err)
{
	int rc = record_length(s, n, err);
	if (rc < 0 || s->tok_wfd < 0) {
		/* Refused, or a dry run's ids: not kept (nor a long
		 * document's buffer). */
		s->pending.len -= n;
		if (s->pending.cap > SPILL_FLUSH_IDS)
			tok_ids_release(&s->pending);
		return rc;
	}
	return flush_if_full(s, err);
}

int shard_spill_append(shard_spill *s, const uint32_t *ids, size_t n, cur_err *err)
{
	tok_ids *v = &s->pending;
	if (s->tok_wfd < 0) /* a dry run: the length only */
		return record_length(s, n, err);
	if (n > v->cap - v->len && tok_ids_reserve(v, n) < 0)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	memcpy(v->ids + v->len, ids, n * sizeof *ids);
	v->len += n;
	return shard_spill_commit(s, n, err);
}

static int close_len(shard_spill *s, cur_err *err)
{
	int bad = 0;
	if (s->len_out) {
		bad = fflush(s->len_out) != 0 || ferror(s->len_out);
		bad |= fclose(s->len_out) != 0;
		s->len_out = NULL;
	}
	if (bad)
		return cur_err_set(err, CUR_EIO, "cannot write '%s': %s", s->len_path, strerror(errno));
	return CUR_OK;
}

int shard_spill_close_write(shard_spill *s, cur_err *err)
{
	int rc = CUR_OK;
	if (s->tok_wfd >= 0) {
		if (s->pending.len)
			rc = flush_pending(s, err);
		if (close(s->tok_wfd) != 0 && rc == CUR_OK)
			rc = cur_err_set(err, CUR_EIO, "cannot write '%s': %s", s->tok_path, strerror(errno));
		s->tok_wfd = -1;
	}
	tok_ids_release(&s->pending);
	int rc2 = close_len(s, rc < 0 ? NULL : err);
	return rc < 0 ? rc : rc2;
}

static int open_seg(shard_spill_seg *g, uint64_t base, cur_err *err)
{
	struct stat st;

	g->base = base;
	g->fd = open(g->tok_path, O_RDONLY | O_CLOEXEC);
	if (g->fd < 0 || fstat(g->fd, &st) != 0)
		return cur_err_set(err, CUR_EIO, "cannot open '%s': %s", g->tok_path, strerror(errno));
	g->tokens = (uint64_t)st.st_size / 4;
	return CUR_OK;
}

/* n segments, their fds closed until opened. */
static int alloc_segs(shard_spill *s, size_t n, cur_err *err)
{
	s->segs = cur_calloc_array(n, sizeof(*s->segs));
	if (!s->segs)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	s->nsegs = n;
	for (size_t i = 0; i < n; i++)
		s->segs[i].fd = -1;
	return CUR_OK;
}

int shard_spill_open_read(shard_spill *s, const char *workdir, size_t idx, cur_err *err)
{
	if (!s->tok_path)
		CUR_FORWARD(spill_paths(s, workdir, idx, err));
	CUR_FORWARD(alloc_segs(s, 1, err));
	s->segs[0].tok_path = strdup(s->tok_path);
	s->segs[0].len_path = strdup(s->len_path);
	if (!s->segs[0].tok_path || !s->segs[0].len_path)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return open_seg(&s->segs[0], 0, err);
}

int shard_spill_open_chain(shard_spill *s, char *const *dirs, size_t n, size_t idx, cur_err *err)
{
	uint64_t base = 0;

	CUR_FORWARD(alloc_segs(s, n, err));
	for (size_t i = 0; i < n; i++) {
		shard_spill one;

		memset(&one, 0, sizeof one);
		CUR_FORWARD(spill_paths(&one, dirs[i], idx, err));
		s->segs[i].tok_path = one.tok_path;
		s->segs[i].len_path = one.len_path;
		CUR_FORWARD(open_seg(&s->segs[i], base, err));
		base += s->segs[i].tokens;
	}
	return CUR_OK;
}

/* The segment that holds token off (the last one whose base is at or
 * below it). */
static const shard_spill_seg *seg_of(const shard_spill *s, uint64_t off)
{
	size_t lo = 0, hi = s->nsegs;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->segs[mid].base <= off)
			lo = mid;
		else
			hi = mid;
	}
	return &s->segs[lo];
}

static int read_seg(const shard_spill_seg *g, uint64_t off, char *p, size_t want, cur_err *err)
{
	off_t at = (off_t)((off - g->base) * 4);

	while (want > 0) {
		ssize_t r = pread(g->fd, p, want, at);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return cur_err_set(err, CUR_EIO, "cannot read '%s' at %lld: %s", g->tok_path,
					   (long long)at, r < 0 ? strerror(errno) : "unexpected end of file");
		p += r;
		at += r;
		want -= (size_t)r;
	}
	return CUR_OK;
}

int shard_spill_read(const shard_spill *s, uint64_t off, uint32_t *ids, size_t n, cur_err *err)
{
	char *p = (char *)ids;
	size_t left = n;

	/* A run of ids may go on from one segment into the next. */
	while (left > 0) {
		const shard_spill_seg *g = seg_of(s, off);
		uint64_t in_seg = g->base + g->tokens > off ? g->base + g->tokens - off : 0;
		size_t k = in_seg < left ? (size_t)in_seg : left;

		if (k == 0)
			return cur_err_set(err, CUR_EIO, "cannot read '%s': id %llu is past its end",
					   g->tok_path, (unsigned long long)off);
		CUR_FORWARD(read_seg(g, off, p, k * 4, err));
		p += k * 4;
		off += k;
		left -= k;
	}
#if !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
	for (size_t i = 0; i < n; i++) {
		const unsigned char *b = (const unsigned char *)&ids[i];
		ids[i] = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
			 (uint32_t)b[3] << 24;
	}
#endif
	return CUR_OK;
}

void shard_spill_readahead(const shard_spill *s, uint64_t from, uint64_t to)
{
#ifdef POSIX_FADV_WILLNEED
	while (s->nsegs && from < to) {
		const shard_spill_seg *g = seg_of(s, from);
		uint64_t end = g->base + g->tokens < to ? g->base + g->tokens : to;

		if (end <= from)
			break;
		if (g->fd >= 0)
			(void)posix_fadvise(g->fd, (off_t)((from - g->base) * 4),
					    (off_t)((end - from) * 4), POSIX_FADV_WILLNEED);
		from = end;
	}
#else
	(void)s;
	(void)from;
	(void)to;
#endif
}

void shard_spill_release(shard_spill *s)
{
	if (s->tok_wfd >= 0)
		close(s->tok_wfd);
	if (s->len_out)
		fclose(s->len_out);
	for (size_t i = 0; i < s->nsegs; i++) {
		if (s->segs[i].fd >= 0)
			close(s->segs[i].fd);
		free(s->segs[i].tok_path);
		free(s->segs[i].len_path);
	}
	free(s->segs);
	tok_ids_release(&s->pending);
	free(s->tok_path);
	free(s->len_path);
	memset(s, 0, sizeof *s);
	s->tok_wfd = -1;
}

/* ---- small file helpers shared by the writers and verify ---- */
const char *shard_split_name(int split)
{
	return split == SHARD_VALID ? "valid" : "train";
}

void shard_file_name(char *buf, size_t size, int split, uint64_t k)
{
	snprintf(buf, size, "%s_%05llu", shard_split_name(split), (unsigned long long)k);
}

int shard_is_file_name(const char *n)
{
	size_t digits = 0;
	if (strncmp(n, "train_", 6) != 0 && strncmp(n, "valid_", 6) != 0)
		return 0;
	for (n += 6; *n >= '0' && *n <= '9'; n++)
		digits++;
	return digits >= 5 && (strcmp(n, ".bin") == 0 || strcmp(n, ".idx") == 0);
}

void shard_xxh3_hex(const void *canonical16, char hex[33])
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *c = canonical16;
	for (int i = 0; i < 16; i++) {
		hex[2 * i] = digits[c[i] >> 4];
		hex[2 * i + 1] = digits[c[i] & 15];
	}
	hex[32] = '\0';
}

int shard_file_xxh3(const char *path, char hex[33], uint64_t *bytes, cur_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path, strerror(errno));
	XXH3_state_t *st = XXH3_createState();
	char *buf = malloc(1 << 20);
	int rc = CUR_OK;
	if (!st || !buf) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	XXH3_128bits_reset(st);
	uint64_t total = 0;
	for (;;) {
		ssize_t r = read(fd, buf, 1 << 20);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = cur_err_set(err, CUR_EIO, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		XXH3_128bits_update(st, buf, (size_t)r);
		total += (uint64_t)r;
	}
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
	shard_xxh3_hex(&c, hex);
	*bytes = total;
out:
	free(buf);
	XXH3_freeState(st);
	close(fd);
	return rc;
}

int shard_write_all(int fd, const void *p, size_t n, const char *path, cur_err *err)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return cur_err_set(err, CUR_EIO, "cannot write '%s': %s", path,
					   w < 0 ? strerror(errno) : "short write");
		c += w;
		n -= (size_t)w;
	}
	return CUR_OK;
}
