/* Redaction: copy the text, replacing each span with a tag or a fake.
 *
 * A fake keeps the span's shape (separators, case, length of digit groups)
 * and is drawn from a generator seeded by a hash of the span's bytes and the
 * run's seed, so the same address maps to the same fake everywhere in a run,
 * in any thread, with no shared table. Replacements are ASCII; the bytes
 * outside the spans are copied as they are, so valid UTF-8 stays valid. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <xxhash.h>
#include "core/utf8.h"
#include "pii/pii.h"

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static int rnd(uint64_t *s, int n) { return (int)(rng_next(s) % (uint64_t)n); }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_lower(int c) { return c >= 'a' && c <= 'z'; }

/* fake_char: a random character of c's class; others are kept. */
static int fake_char(uint64_t *s, int c, int hex)
{
	if (is_digit(c))
		return '0' + rnd(s, 10);
	if (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
		return (is_upper(c) ? 'A' : 'a') + rnd(s, 6);
	if (is_lower(c))
		return 'a' + rnd(s, 26);
	if (is_upper(c))
		return 'A' + rnd(s, 26);
	return c;
}

/* fake_shape: replace letters and digits from `from` on, keep the rest; a
 * non-ASCII character becomes one lower-case letter. */
static int fake_shape(cur_buf *o, uint64_t *s, const unsigned char *p, size_t n, size_t keep,
		      int hex)
{
	for (size_t i = 0; i < n; i++) {
		int c = p[i];
		if (i < keep) {
			CUR_FORWARD(cur_buf_putc(o, c));
		} else if (c >= 0x80) {
			while (i + 1 < n && (p[i + 1] & 0xC0) == 0x80)
				i++;
			CUR_FORWARD(cur_buf_putc(o, 'a' + rnd(s, 26)));
		} else {
			CUR_FORWARD(cur_buf_putc(o, fake_char(s, c, hex)));
		}
	}
	return CUR_OK;
}

static int fake_email(cur_buf *o, uint64_t *s, const unsigned char *p, size_t n)
{
	/* The top-level domain is kept: it says little and keeps the text
	 * natural. */
	size_t tld = n;
	while (tld > 0 && p[tld - 1] != '.')
		tld--;
	CUR_FORWARD(fake_shape(o, s, p, tld, 0, 0));
	return cur_buf_append(o, p + tld, n - tld);
}

static int fake_ipv4(cur_buf *o, uint64_t *s)
{
	uint8_t a[4];
	do {
		for (int k = 0; k < 4; k++)
			a[k] = (uint8_t)(k == 0 ? 1 + rnd(s, 223) : rnd(s, 256));
	} while (!pii_ipv4_public(a));
	return cur_buf_printf(o, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* fake_digits: replace digits (after the first `keep` of them), keep
 * separators; OUT: the positions of the digits written, for a check digit. */
static int fake_digits(cur_buf *o, uint64_t *s, const unsigned char *p, size_t n, int keep,
		       size_t *pos, int *npos)
{
	int nd = 0;
	for (size_t i = 0; i < n; i++) {
		int c = p[i];
		if (is_digit(c)) {
			if (nd >= keep)
				c = '0' + rnd(s, 10);
			if (pos && nd < 20)
				pos[nd] = o->len;
			nd++;
		}
		CUR_FORWARD(cur_buf_putc(o, c));
	}
	if (npos)
		*npos = nd < 20 ? nd : 20;
	return CUR_OK;
}

/* fake_phone: digits after the country code are drawn anew, but a group
 * keeps a leading trunk 0 and never starts with 0 or 1 otherwise, so the
 * fake stays a plausible number of the same plan. */
static int fake_phone(cur_buf *o, uint64_t *s, const unsigned char *p, size_t n, int keep)
{
	int nd = 0;
	for (size_t i = 0; i < n; i++) {
		int c = p[i];
		if (is_digit(c)) {
			int first = i == 0 || !is_digit(p[i - 1]);
			if (nd >= keep && !(first && c == '0'))
				c = first ? '2' + rnd(s, 8) : '0' + rnd(s, 10);
			nd++;
		}
		CUR_FORWARD(cur_buf_putc(o, c));
	}
	return CUR_OK;
}

static int fake_card(cur_buf *o, uint64_t *s, const unsigned char *p, size_t n)
{
	size_t pos[20];
	int nd;
	CUR_FORWARD(fake_digits(o, s, p, n, 1, pos, &nd));
	/* Fix the last digit so that the fake passes Luhn like the original. */
	char d[20];
	for (int k = 0; k < nd; k++)
		d[k] = o->data[pos[k]];
	for (int c = 0; c < 10; c++) {
		d[nd - 1] = (char)('0' + c);
		if (pii_luhn_ok(d, (size_t)nd))
			break;
	}
	o->data[pos[nd - 1]] = d[nd - 1];
	return CUR_OK;
}

static int fake_ssn(cur_buf *o, uint64_t *s, const unsigned char *p, size_t n)
{
	size_t pos[20];
	int nd;
	size_t at = o->len;
	for (int tries = 0; tries < 100; tries++) {
		o->len = at;
		CUR_FORWARD(fake_digits(o, s, p, n, 0, pos, &nd));
		char d[9];
		for (int k = 0; k < 9 && k < nd; k++)
			d[k] = o->data[pos[k]];
		if (nd != 9 || pii_ssn_ok(d))
			break;
	}
	o->data[o->len] = 0;
	return CUR_OK;
}

static int fake_iban(cur_buf *o, uint64_t *s, const unsigned char *p, size_t n)
{
	size_t at = o->len;
	CUR_FORWARD(fake_shape(o, s, p, n, 2, 0));
	/* Recompute the check digits (positions 2 and 3 of the compact form). */
	char c[40];
	size_t pos[40], k = 0;
	for (size_t i = at; i < o->len && k < 34; i++)
		if (o->data[i] != ' ') {
			pos[k] = i;
			c[k++] = o->data[i];
		}
	if (k < 5)
		return CUR_OK;
	c[2] = c[3] = '0';
	unsigned rem = 0;
	for (size_t j = 0; j < k; j++) {
		int ch = c[(j + 4) % k] | 32;
		if (is_digit(ch))
			rem = (rem * 10 + (unsigned)(ch - '0')) % 97;
		else
			rem = (rem * 100 + (unsigned)(ch - 'a' + 10)) % 97;
	}
	unsigned check = 98 - rem;
	o->data[pos[2]] = (char)('0' + check / 10);
	o->data[pos[3]] = (char)('0' + check % 10);
	return CUR_OK;
}

static int fake_secret(cur_buf *o, uint64_t *s, const unsigned char *p, size_t n)
{
	if (n > 10 && !memcmp(p, "-----BEGIN", 10)) {
		/* Keep the BEGIN and END lines, fake the key body. */
		const unsigned char *nl = memchr(p, '\n', n);
		const unsigned char *end = p + n;
		while (end > p && !(end[-1] == '\n'))
			end--;
		if (!nl || end <= nl)
			return fake_shape(o, s, p, n, 0, 0);
		size_t head = (size_t)(nl - p) + 1, tail = (size_t)(p + n - end);
		CUR_FORWARD(cur_buf_append(o, p, head));
		CUR_FORWARD(fake_shape(o, s, nl + 1, n - head - tail, 0, 0));
		return cur_buf_append(o, end, tail);
	}
	/* Keep a token's type prefix ("ghp_", "glpat-", "xoxb-", "AKIA", "eyJ"). */
	size_t keep = 0;
	while (keep < n && keep < 12 && p[keep] != '_' && p[keep] != '-')
		keep++;
	keep = keep < n && keep < 12 ? keep + 1 : 0;
	if (n >= 4 && (!memcmp(p, "AKIA", 4) || !memcmp(p, "ASIA", 4)))
		keep = 4;
	if (n >= 3 && !memcmp(p, "eyJ", 3))
		keep = 3;
	return fake_shape(o, s, p, n, keep, 0);
}

static int put_fake(const pii_redactor *r, const unsigned char *p, size_t n,
		    enum pii_type t, cur_buf *o)
{
	uint64_t s = XXH3_64bits_withSeed(p, n, r->seed ^ (0x9E37ull * (uint64_t)(t + 1)));
	switch (t) {
	case PII_EMAIL: return fake_email(o, &s, p, n);
	case PII_IP:
		if (memchr(p, ':', n))
			return fake_shape(o, &s, p, n, 0, 1);
		return fake_ipv4(o, &s);
	case PII_PHONE: {
		/* Keep "+CC" so the number stays in its plan. */
		int keep = 0;
		if (p[0] == '+') {
			for (size_t i = 1; i < n && is_digit(p[i]); i++)
				keep++;
			keep = keep > 3 ? 1 : keep;
		}
		return fake_phone(o, &s, p, n, keep);
	}
	case PII_CARD: return fake_card(o, &s, p, n);
	case PII_SSN: return fake_ssn(o, &s, p, n);
	case PII_IBAN: return fake_iban(o, &s, p, n);
	case PII_SECRET: return fake_secret(o, &s, p, n);
	default: return fake_shape(o, &s, p, n, 0, 0);
	}
}

static int put_tag(const char *fmt, enum pii_type t, cur_buf *o)
{
	for (const char *f = fmt; *f;) {
		if (!strncmp(f, "{TYPE}", 6)) {
			CUR_FORWARD(cur_buf_append(o, pii_type_name(t), strlen(pii_type_name(t))));
			f += 6;
		} else if (!strncmp(f, "{SHORT}", 7)) {
			CUR_FORWARD(cur_buf_append(o, pii_type_short(t), strlen(pii_type_short(t))));
			f += 7;
		} else {
			CUR_FORWARD(cur_buf_putc(o, *f++));
		}
	}
	return CUR_OK;
}

int pii_tag_format_check(const char *fmt, cur_err *err)
{
	size_t n = strlen(fmt);
	if (n > 256 || cur_utf8_valid_prefix(fmt, n) != n)
		return cur_err_set(err, CUR_EINVAL,
				   "--tag-format must be valid UTF-8 of at most 256 bytes");
	return CUR_OK;
}

int pii_redact(const pii_redactor *r, const char *text, size_t n, const pii_spans *sp,
	       cur_buf *out)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t at = 0;
	const char *fmt = r->tag_format ? r->tag_format : "|||{TYPE}|||";
	for (size_t k = 0; k < sp->n; k++) {
		const pii_span *x = &sp->v[k];
		if (x->start < at || x->end > n)
			return CUR_EINVAL;
		CUR_FORWARD(cur_buf_append(out, t + at, x->start - at));
		if (r->mode == PII_REDACT_FAKE)
			CUR_FORWARD(put_fake(r, t + x->start, x->end - x->start, x->type, out));
		else
			CUR_FORWARD(put_tag(fmt, x->type, out));
		at = x->end;
	}
	return cur_buf_append(out, t + at, n - at);
}
