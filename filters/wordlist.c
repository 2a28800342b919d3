/* Word lists (dirty words), URL blocklists and shipped data files. */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "core/buf.h"
#include "core/datadir.h"
#include "filters/filter_int.h"

int flt_data_path(const char *name, char *path, size_t n, cur_err *err)
{
	return cur_data_path("filters", name, path, n, err);
}

/* Read a whole file; gzip, zstd, xz and bzip2 are undone by libarchive. */
int flt_read_file(const char *path, cur_buf *out, cur_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int ret = CUR_OK;
	if (!a)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		ret = cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path,
				  archive_error_string(a) ? archive_error_string(a) : strerror(errno));
		goto out;
	}
	char buf[65536];
	for (;;) {
		la_ssize_t r = archive_read_data(a, buf, sizeof(buf));
		if (r == 0)
			break;
		if (r < 0) {
			ret = cur_err_set(err, CUR_EIO, "cannot read '%s': %s", path,
					  archive_error_string(a));
			goto out;
		}
		if (cur_buf_append(out, buf, (size_t)r) < 0) {
			ret = cur_err_set(err, CUR_ENOMEM, "'%s' is too large", path);
			goto out;
		}
	}
	if (cur_buf_reserve(out, 0) < 0)
		ret = cur_err_set(err, CUR_ENOMEM, "out of memory");
out:
	archive_read_free(a);
	return ret;
}

uint64_t flt_phrase_step(uint64_t h, uint64_t word)
{
	return XXH3_64bits_withSeed(&word, sizeof(word), h);
}

void flt_wordlist_init(flt_wordlist *w)
{
	memset(w, 0, sizeof(*w));
}

void flt_wordlist_release(flt_wordlist *w)
{
	free(w->keys);
	free(w->firsts);
	memset(w, 0, sizeof(*w));
}

static int set_insert(uint64_t **keys, size_t *mask, size_t *n, uint64_t key)
{
	if (key == 0)
		key = 1;
	if (!*keys || 2 * (*n + 1) > *mask + 1) {
		size_t cap = *keys ? 2 * (*mask + 1) : 256;
		uint64_t *k = cur_calloc_array(cap, sizeof(*k));
		if (!k)
			return CUR_ENOMEM;
		for (size_t i = 0; *keys && i <= *mask; i++) {
			if (!(*keys)[i])
				continue;
			size_t j = (size_t)(((*keys)[i] * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
			while (k[j])
				j = (j + 1) & (cap - 1);
			k[j] = (*keys)[i];
		}
		free(*keys);
		*keys = k;
		*mask = cap - 1;
	}
	size_t j = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & *mask;
	while ((*keys)[j] && (*keys)[j] != key)
		j = (j + 1) & *mask;
	if (!(*keys)[j]) {
		(*keys)[j] = key;
		(*n)++;
	}
	return CUR_OK;
}

static int set_has(const uint64_t *keys, size_t mask, uint64_t key)
{
	if (!keys)
		return 0;
	if (key == 0)
		key = 1;
	size_t j = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & mask;
	while (keys[j]) {
		if (keys[j] == key)
			return 1;
		j = (j + 1) & mask;
	}
	return 0;
}

int flt_wordlist_has(const flt_wordlist *w, uint64_t key)
{
	return set_has(w->keys, w->mask, key);
}

static inline unsigned first_bit(uint64_t key)
{
	return (unsigned)(key >> 48);
}

int flt_wordlist_has_first(const flt_wordlist *w, uint64_t key)
{
	/* a 64 Kbit filter that stays in the L1 cache answers most words */
	unsigned b = first_bit(key);
	if (!(w->bits[b >> 6] & (1ull << (b & 63))))
		return 0;
	return set_has(w->firsts, w->fmask, key);
}

int flt_wordlist_add(flt_wordlist *w, const char *s, size_t n)
{
	return flt_wordlist_add_except(w, s, n, NULL);
}

int flt_wordlist_add_except(flt_wordlist *w, const char *s, size_t n, const flt_wordlist *except)
{
	flt_scan sc;
	cur_buf tmp;
	int ret;
	flt_scan_init(&sc);
	cur_buf_init(&tmp, CUR_BUF_UNLIMITED);
	ret = flt_scan_text(&sc, s, n);
	/* an entry without a letter ("13.", "69") matches numbers, not words; one
	 * of one or two characters of a script without spaces (Japanese "なめ",
	 * "支配") matches inside ordinary words, since each such character is a
	 * word of its own */
	if (ret < 0 || sc.nwords == 0 || sc.alpha_words == 0 ||
	    (sc.cjk_words == sc.nwords && sc.nwords <= 2))
		goto out;
	uint64_t h = 0;
	for (size_t i = 0; i < sc.nwords; i++)
		h = flt_phrase_step(h, flt_fold_hash(s + sc.words[i].off, sc.words[i].len, &tmp));
	if (except && flt_wordlist_has(except, h))
		goto out;
	h = 0;
	for (size_t i = 0; i < sc.nwords; i++) {
		uint64_t fh = flt_fold_hash(s + sc.words[i].off, sc.words[i].len, &tmp);
		if (i == 0) {
			w->bits[first_bit(fh) >> 6] |= 1ull << (first_bit(fh) & 63);
			ret = set_insert(&w->firsts, &w->fmask, &w->nf, fh);
			if (ret < 0)
				goto out;
		}
		h = flt_phrase_step(h, fh);
	}
	ret = set_insert(&w->keys, &w->mask, &w->n, h);
	if (sc.nwords > w->max_words)
		w->max_words = (unsigned)sc.nwords;
out:
	cur_buf_release(&tmp);
	flt_scan_release(&sc);
	return ret;
}

int flt_wordlist_load(flt_wordlist *w, const char *path, const flt_wordlist *except,
		      cur_err *err)
{
	cur_buf b;
	cur_buf_init(&b, (size_t)1 << 30);
	int ret = flt_read_file(path, &b, err);
	char *p = b.data, *end = b.data + b.len;
	while (ret == CUR_OK && p && p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl ? nl : end;
		size_t a = flt_lstrip_off(p, (size_t)(e - p));
		size_t z = flt_rstrip_len(p, (size_t)(e - p));
		if (z > a && p[a] != '#') {
			ret = flt_wordlist_add_except(w, p + a, z - a, except);
			if (ret < 0)
				cur_err_set(err, ret, "'%s': out of memory", path);
		}
		p = e + 1;
	}
	cur_buf_release(&b);
	return ret;
}
