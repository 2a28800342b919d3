/* The corpus token distribution behind the llama3 KL rule: fitting it
 * (curate filter --fit-token-distribution) and loading it.
 *
 * File format, text: '#' comment lines, then "ID<TAB>COUNT" per token id
 * that occurred. Loading smooths with add-one counts over the vocabulary so
 * that an unseen token has a finite log probability. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/file.h"
#include "filters/filter.h"
#include "filters/filter_int.h"

#define SMOOTH 1.0

int flt_tokdist_load(flt_tokdist *d, const char *path, size_t vocab, cur_err *err)
{
	cur_buf b;
	int ret;
	double *cnt = NULL;
	memset(d, 0, sizeof(*d));
	cur_buf_init(&b, (size_t)1 << 30);
	if ((ret = flt_read_file(path, &b, err)) < 0)
		goto out;
	cnt = cur_calloc_array(vocab ? vocab : 1, sizeof(double));
	if (!cnt) {
		ret = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	double total = 0;
	size_t lineno = 0;
	for (char *p = b.data; p && p < b.data + b.len;) {
		char *nl = memchr(p, '\n', (size_t)(b.data + b.len - p));
		lineno++;
		if (nl)
			*nl = 0;
		if (*p && *p != '#') {
			char *end;
			unsigned long long id = strtoull(p, &end, 10);
			double c = (end != p && *end == '\t') ? strtod(end + 1, &end) : -1;
			if (c < 0 || *end) {
				ret = cur_err_set(err, CUR_EDATA, "%s:%zu: expected ID<TAB>COUNT", path,
						  lineno);
				goto out;
			}
			if (id >= vocab) {
				ret = cur_err_set(err, CUR_EDATA, "%s:%zu: token id %llu beyond the "
						  "vocabulary (%zu)", path, lineno, id, vocab);
				goto out;
			}
			cnt[id] += c;
			total += c;
		}
		p = nl ? nl + 1 : b.data + b.len;
	}
	if (total <= 0) {
		ret = cur_err_set(err, CUR_EDATA, "%s: no token counts", path);
		goto out;
	}
	double denom = log(total + SMOOTH * (double)vocab);
	for (size_t i = 0; i < vocab; i++)
		cnt[i] = log(cnt[i] + SMOOTH) - denom;
	d->logq = cnt;
	cnt = NULL;
	d->vocab = vocab;
	d->total = total;
	d->log_unseen = log(SMOOTH) - denom;
out:
	free(cnt);
	cur_buf_release(&b);
	return ret;
}

void flt_tokdist_release(flt_tokdist *d)
{
	free(d->logq);
	memset(d, 0, sizeof(*d));
}

struct flt_fit {
	tok_tokenizer *tok;
	uint64_t *count;
	size_t vocab;
	uint64_t tokens, docs;
	tok_ids ids;
};

int flt_fit_new(const char *tokenizer_path, flt_fit **out, cur_err *err)
{
	flt_fit *f = calloc(1, sizeof(*f));
	*out = NULL;
	if (!f)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	int rc = tok_load(tokenizer_path, &f->tok, err);
	if (rc < 0) {
		free(f);
		return rc;
	}
	f->vocab = tok_vocab_size(f->tok);
	f->count = cur_calloc_array(f->vocab, sizeof(uint64_t));
	tok_ids_init(&f->ids);
	if (!f->count) {
		flt_fit_free(f);
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	*out = f;
	return CUR_OK;
}

int flt_fit_add(flt_fit *f, const char *text, size_t len)
{
	f->ids.len = 0;
	CUR_FORWARD(tok_encode(f->tok, text, len, 0, &f->ids));
	for (size_t i = 0; i < f->ids.len; i++)
		if (f->ids.ids[i] < f->vocab)
			f->count[f->ids.ids[i]]++;
	f->tokens += f->ids.len;
	f->docs++;
	return CUR_OK;
}

int flt_fit_write(flt_fit *f, const char *path, cur_err *err)
{
	cur_atomic out;
	FILE *fp = cur_atomic_fopen(&out, path, err);
	if (!fp)
		return err->code;
	fprintf(fp, "# curate token distribution v1 (curate filter --fit-token-distribution)\n");
	fprintf(fp, "# tokenizer sha256 %s\n", tok_checksum(f->tok));
	fprintf(fp, "# documents %llu tokens %llu vocabulary %zu\n", (unsigned long long)f->docs,
		(unsigned long long)f->tokens, f->vocab);
	for (size_t i = 0; i < f->vocab; i++)
		if (f->count[i])
			fprintf(fp, "%zu\t%llu\n", i, (unsigned long long)f->count[i]);
	return cur_atomic_commit(&out, 0, err);
}

void flt_fit_free(flt_fit *f)
{
	if (!f)
		return;
	tok_free(f->tok);
	tok_ids_release(&f->ids);
	free(f->count);
	free(f);
}
