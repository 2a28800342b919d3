/* Detection: one byte scan proposes candidates, an anchored PCRE2 pattern
 * (compiled once, JIT) confirms the shape, a validator in validate.c decides.
 *
 * Why a scan first: most text holds no PII, and a pattern that may start at
 * any letter (an e-mail's local part, an IBAN's country code) costs a regex
 * attempt per byte. Every detector here has a cheap trigger byte instead:
 * '@' for e-mail, the first digit of a number for cards, SSNs, IPv4, phones
 * and IBANs (the two letters before it are checked by hand), ':' for IPv6,
 * '=' or ':' for password assignments, and the last byte of a token
 * prefix ('-' of "glpat-", '_' of "ghp_", 'J' of "eyJ", 'I' of "AKIA")
 * for secrets. */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "pii/pii.h"

enum pat {
	P_EMAIL, P_CARD, P_SSN, P_IPV4, P_PHONE, P_IBAN, P_PRIVKEY,
	P_AWS, P_GITHUB, P_GITHUB_PAT, P_GITLAB, P_SLACK, P_JWT, P_PASSWORD, P_NPAT
};

/* Every pattern is compiled PCRE2_ANCHORED: the scan already knows where a
 * candidate starts. The lookbehinds still see the bytes before the start
 * offset. */
static const struct { const char *re; uint32_t flags; } patterns[P_NPAT] = {
	[P_EMAIL] = {"[\\p{L}\\p{M}\\p{N}._%+\\-]{1,64}@"
		     "(?:[\\p{L}\\p{M}\\p{N}](?:[\\p{L}\\p{M}\\p{N}\\-]{0,61}[\\p{L}\\p{M}\\p{N}])?\\.){1,8}"
		     "\\p{L}[\\p{L}\\p{M}]{1,23}(?![\\p{L}\\p{M}\\p{N}_\\-@])",
		     PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK},
	[P_CARD] = {"(?<![\\w.,\\-])\\d(?:[ \\-]?\\d){11,18}(?![\\w]|[.,\\-]\\d)", 0},
	[P_SSN] = {"(?<![\\w.,\\-])\\d{3}([ \\-]?)\\d{2}\\1\\d{4}(?![\\w]|[.,\\-]\\d)", 0},
	[P_IPV4] = {"(?<![\\w.\\-])(?:\\d{1,3}\\.){3}\\d{1,3}(?![\\w\\-]|\\.\\w)", 0},
	[P_PHONE] = {"(?<![\\w+.\\-/]|\\d[,:])(?:\\+[ ]?)?(?:\\(\\d{1,5}\\)[ ]?)?\\d++"
		     "(?:(?:[ .\\-]|[ ]?\\(\\d{1,4}\\)[ ]?|[ ]-[ ])\\d++)*"
		     "(?:[ ]?(?:x|ext\\.?|#)[ ]?\\d{1,6}+)?(?![\\w:=]|[.,\\-]\\d)", 0},
	[P_IBAN] = {"(?<![A-Za-z0-9])[A-Za-z]{2}\\d{2}(?:[ ]?[A-Za-z0-9]){11,30}", 0},
	[P_PRIVKEY] = {"-----BEGIN [A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----[\\s\\S]{1,60000}?"
		       "-----END [A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----", 0},
	[P_AWS] = {"(?<![A-Za-z0-9_])A[KS]IA[0-9A-Z]{16}(?![A-Za-z0-9])", 0},
	[P_GITHUB] = {"(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36}(?![A-Za-z0-9_])", 0},
	[P_GITHUB_PAT] = {"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{82}(?![A-Za-z0-9_])", 0},
	[P_GITLAB] = {"(?<![A-Za-z0-9_])glpat-[A-Za-z0-9_\\-]{20}(?![A-Za-z0-9_\\-])", 0},
	[P_SLACK] = {"(?<![A-Za-z0-9_])xox[abposr]-[A-Za-z0-9\\-]{10,72}(?![A-Za-z0-9\\-])", 0},
	[P_JWT] = {"(?<![A-Za-z0-9_\\-])eyJ[A-Za-z0-9_\\-]{8,}\\.[A-Za-z0-9_\\-]{8,}\\.[A-Za-z0-9_\\-]{8,}"
		   "(?![A-Za-z0-9_\\-])", 0},
	[P_PASSWORD] = {"(?:[A-Za-z0-9_]*_|[a-z][A-Za-z0-9]*(?=[A-Z]))?"
			"(?i:pass(?:word|wd)?|pwd|secret|api_?key|access_?key|auth_?token|token)"
			"(?:_[A-Za-z0-9_]*+)?[\"']?[ \\t]*(?::=|=>|=|:)[ \\t]*"
			"([\"'])([^\"'\\s\\\\]{6,256})\\1", 0},
};

struct pii_detector {
	pii_opts o;
	pcre2_code *re[P_NPAT];
};

struct pii_scratch {
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *js;
};

static const char *const type_names[PII_NTYPES] = {
	"EMAIL_ADDRESS", "IP_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE",
	"US_SSN", "SECRET"
};
static const char *const type_short[PII_NTYPES] = {
	"EMAIL", "IP", "PHONE", "CARD", "IBAN", "SSN", "SECRET"
};
/* When spans overlap, the higher rank wins (then the longer span). */
static const int type_rank[PII_NTYPES] = {
	[PII_SECRET] = 7, [PII_EMAIL] = 6, [PII_IBAN] = 5, [PII_CARD] = 4,
	[PII_SSN] = 3, [PII_IP] = 2, [PII_PHONE] = 1
};

const char *pii_type_name(enum pii_type t) { return type_names[t]; }
const char *pii_type_short(enum pii_type t) { return type_short[t]; }

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }
static int is_alnum(int c) { return is_digit(c) || is_alpha(c); }
static int is_word(int c) { return is_alnum(c) || c == '_'; }
static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

int pii_types_parse(const char *list, unsigned *mask, cur_err *err)
{
	static const char *const alias[PII_NTYPES] = {
		"email", "ip", "phone", "card", "iban", "ssn", "secret"
	};
	*mask = 0;
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int found = -1;
		for (int t = 0; t < PII_NTYPES && found < 0; t++) {
			const char *names[3] = {alias[t], type_short[t], type_names[t]};
			for (int k = 0; k < 3; k++)
				if (strlen(names[k]) == len && !strncasecmp(p, names[k], len))
					found = t;
		}
		if (found < 0)
			return cur_err_set(err, CUR_EINVAL,
					   "unknown PII type '%.*s' (valid: email, ip, phone, "
					   "card, iban, ssn, secret)", (int)len, p);
		*mask |= 1u << found;
		p += len + (e != NULL);
	}
	if (!*mask)
		return cur_err_set(err, CUR_EINVAL, "empty PII type list");
	return CUR_OK;
}

void pii_spans_release(pii_spans *s)
{
	if (!s)
		return;
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

pii_detector *pii_detector_new(const pii_opts *o, cur_err *err)
{
	pii_detector *d = calloc(1, sizeof *d);
	if (!d) {
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	d->o = *o;
	for (int i = 0; i < P_NPAT; i++) {
		int ec;
		PCRE2_SIZE off;
		uint32_t fl = patterns[i].flags | PCRE2_ANCHORED;
		d->re[i] = pcre2_compile((PCRE2_SPTR)patterns[i].re, PCRE2_ZERO_TERMINATED, fl,
					 &ec, &off, NULL);
		if (!d->re[i]) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(ec, msg, sizeof msg);
			cur_err_set(err, CUR_EINVAL, "pii pattern %d at %zu: %s", i, (size_t)off,
				    (char *)msg);
			pii_detector_free(d);
			return NULL;
		}
		/* Without JIT (a platform that lacks it) the interpreter still works. */
		(void)pcre2_jit_compile(d->re[i], PCRE2_JIT_COMPLETE);
	}
	return d;
}

void pii_detector_free(pii_detector *d)
{
	if (!d)
		return;
	for (int i = 0; i < P_NPAT; i++)
		pcre2_code_free(d->re[i]);
	free(d);
}

pii_scratch *pii_scratch_new(const pii_detector *d)
{
	(void)d;
	pii_scratch *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->md = pcre2_match_data_create(8, NULL);
	s->mc = pcre2_match_context_create(NULL);
	s->js = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
	if (!s->md || !s->mc || !s->js) {
		pii_scratch_free(s);
		return NULL;
	}
	pcre2_jit_stack_assign(s->mc, NULL, s->js);
	return s;
}

void pii_scratch_free(pii_scratch *s)
{
	if (!s)
		return;
	pcre2_match_data_free(s->md);
	pcre2_match_context_free(s->mc);
	pcre2_jit_stack_free(s->js);
	free(s);
}

/* One detection call: the text, the detector, the output. */
struct scan {
	const pii_detector *d;
	pii_scratch *s;
	const unsigned char *t;
	size_t n;
	pii_spans *out;
	int rc;
};

/* match: run pattern p at off; on success the match is [*b, *e) and the
 * capture groups are in the scratch ovector. */
static int match(struct scan *sc, enum pat p, size_t off, size_t *b, size_t *e)
{
	int rc = pcre2_match(sc->d->re[p], sc->t, sc->n, off, PCRE2_NO_UTF_CHECK, sc->s->md,
			     sc->s->mc);
	if (rc <= 0)
		return 0;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->s->md);
	*b = ov[0];
	*e = ov[1];
	return 1;
}

static size_t group_start(struct scan *sc, int g, size_t *end)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->s->md);
	*end = ov[2 * g + 1];
	return ov[2 * g];
}

static void emit(struct scan *sc, enum pii_type t, size_t b, size_t e)
{
	pii_spans *o = sc->out;
	if (!(sc->d->o.types & (1u << t)) || e <= b)
		return;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		pii_span *v = realloc(o->v, cap * sizeof *v);
		if (!v) {
			sc->rc = CUR_ENOMEM;
			return;
		}
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n++] = (pii_span){b, e, t};
}

/* near_word: one of words (lower case) starts a word within `before` bytes
 * before b or `after` bytes after e. */
static int near_word(const struct scan *sc, size_t b, size_t e, const char *const *words,
		     size_t before, size_t after)
{
	size_t lo = b > before ? b - before : 0;
	size_t hi = e + after < sc->n ? e + after : sc->n;
	for (size_t i = lo; i < hi; i++) {
		if (i >= b && i < e) {
			i = e - 1;
			continue;
		}
		if (i > 0 && is_alpha(sc->t[i - 1]))
			continue;
		for (int k = 0; words[k]; k++) {
			size_t m = strlen(words[k]), j = 0;
			while (j < m && i + j < hi && lower(sc->t[i + j]) == words[k][j])
				j++;
			/* A whole word, and not the head of a compound such as
			 * "Message-ID". */
			if (j == m && (i + m >= sc->n ||
				       (!is_alpha(sc->t[i + m]) && sc->t[i + m] != '-')))
				return 1;
		}
	}
	return 0;
}

static const char *const phone_words_before[] = {
	"phone", "phones", "telephone", "tel", "mobile", "mob", "cell", "cellphone", "fax",
	"call", "calling", "desk", "contact", "sms", "whatsapp", "dial", "text me", "reach me",
	"reach us", "ring", "answering", "messages", "message", "telefon", "téléphone",
	"teléfono", "telefone", "handy", "tlf", "ph", NULL
};
static const char *const phone_words_after[] = {
	"office", "fax", "mobile", "cell", "phone", NULL
};
static const char *const ip_words[] = {
	"ip", "ipv4", "address", "addr", "host", "server", "dns", "gateway", "ping", "from",
	"client", "peer", NULL
};
static const char *const card_words[] = {
	"card", "visa", "mastercard", "amex", "maestro", "cc", "credit", "debit", "payment",
	NULL
};
static const char *const ssn_words[] = {"ssn", "social security", "social sec", NULL};
static const char *const version_words[] = {
	"version", "ver", "release", "firmware", "build", "update", NULL
};

/* card_check: digits only after removing one kind of separator used in
 * groups of 4 (4-4-4-4, 4-6-5, 4-6-4, ...), then issuer, length and Luhn. */
static int card_check(struct scan *sc, size_t b, size_t e)
{
	char dg[20];
	size_t nd = 0, glen = 0, ng = 0;
	int sep = 0, ok = 1;
	for (size_t i = b; i < e && ok; i++) {
		int c = sc->t[i];
		if (is_digit(c)) {
			dg[nd++] = (char)c;
			glen++;
			continue;
		}
		if ((sep && c != sep) || (ng == 0 && glen != 4) || (glen != 4 && glen != 6))
			ok = 0;
		sep = c;
		ng++;
		glen = 0;
	}
	if (!ok || !pii_card_ok(dg, nd))
		return 0;
	if (nd == 12 && !sep && !near_word(sc, b, e, card_words, 40, 0))
		return 0; /* bare 12-digit numbers are mostly ids */
	return 1;
}

static int try_card(struct scan *sc, size_t p, size_t *end)
{
	size_t b, e;
	if (!match(sc, P_CARD, p, &b, &e) || !card_check(sc, b, e))
		return 0;
	emit(sc, PII_CARD, b, e);
	*end = e;
	return 1;
}

static int try_ssn(struct scan *sc, size_t p, size_t *end)
{
	size_t b, e, se;
	char dg[9];
	if (!match(sc, P_SSN, p, &b, &e))
		return 0;
	int dashed = group_start(sc, 1, &se) != se && sc->t[se - 1] == '-';
	for (size_t i = b, k = 0; i < e; i++)
		if (is_digit(sc->t[i]))
			dg[k++] = (char)sc->t[i];
	if (!pii_ssn_ok(dg) || (!dashed && !near_word(sc, b, e, ssn_words, 40, 0)))
		return 0;
	emit(sc, PII_SSN, b, e);
	*end = e;
	return 1;
}

/* try_ipv4: a dotted quad claims its bytes even when it is not reported
 * (a private address), so that the phone detector does not take it. */
static int try_ipv4(struct scan *sc, size_t p, size_t *end)
{
	size_t b, e;
	uint8_t a[4];
	if (!match(sc, P_IPV4, p, &b, &e) ||
	    !pii_ipv4_parse((const char *)sc->t + b, e - b, a))
		return 0;
	*end = e;
	if (near_word(sc, b, e, version_words, 16, 0))
		return 1;
	/* Section and revision numbers ("6.2.4.1", "1.17.2.7") look like
	 * addresses whose octets are all small; ask for an IP word then. */
	if (a[0] < 32 && a[1] < 32 && a[2] < 32 && a[3] < 32 &&
	    !near_word(sc, b, e, ip_words, 24, 0))
		return 1;
	if (sc->d->o.ip_all || pii_ipv4_public(a))
		emit(sc, PII_IP, b, e);
	return 1;
}

/* arithmetic: "65000 - 33000 = 32000", "<<3600-1200=2400>>". */
static int arithmetic(const struct scan *sc, size_t b, size_t e)
{
	while (e < sc->n && sc->t[e] == ' ')
		e++;
	while (b > 0 && sc->t[b - 1] == ' ')
		b--;
	/* '*' counts only next to another number ("* 12"), not a box border;
	 * '/' not at all: "01 56 77 01 20 / 06 81 57 85 47" lists phones. */
	size_t e2 = e + 1;
	while (e2 < sc->n && sc->t[e2] == ' ')
		e2++;
	if (e < sc->n && (sc->t[e] == '=' ||
			  (sc->t[e] == '*' && e2 < sc->n && is_digit(sc->t[e2]))))
		return 1;
	if (b == 0)
		return 0;
	int c = sc->t[b - 1];
	size_t b2 = b - 1;
	while (b2 > 0 && sc->t[b2 - 1] == ' ')
		b2--;
	return c == '=' || (b2 > 0 && sc->t[b2 - 1] == '<' && c == '<') ||
	       (c == '*' && b2 > 0 && is_digit(sc->t[b2 - 1]));
}

static int try_phone(struct scan *sc, size_t p, size_t *end)
{
	size_t b, e;
	if (!match(sc, P_PHONE, p, &b, &e))
		return 0;
	int cls = pii_phone_class((const char *)sc->t + b, e - b);
	/* The pattern may have run on into the next number ("+1 415 555 2671
	 * 8.8.8.8"): retry the shorter candidates that end at a space. */
	for (int tries = 0; cls == 0 && tries < 6; tries++) {
		size_t x = e;
		while (x > b && sc->t[x - 1] != ' ')
			x--;
		if (x <= b + 1 || !is_digit(sc->t[x - 2]))
			break;
		e = x - 1;
		cls = pii_phone_class((const char *)sc->t + b, e - b);
	}
	/* A bare run of digits needs its keyword right before it ("Fax:
	 * 9498777106"); a formatted number may have it further away. */
	size_t k = b;
	while (k < e && is_digit(sc->t[k]))
		k++;
	size_t win = k == e ? 16 : 48;
	if (cls == 1 && (near_word(sc, b, e, phone_words_before, win, 0) ||
			 near_word(sc, b, e, phone_words_after, 0, 12)))
		cls = 2;
	if (cls < 2 || arithmetic(sc, b, e))
		return 0;
	emit(sc, PII_PHONE, b, e);
	*end = e;
	return 1;
}

/* try_iban: p is the first check digit; the regex may run past the end of
 * the IBAN (into the next word), so count the country's length by hand. */
static int try_iban(struct scan *sc, size_t p, size_t *end)
{
	size_t b, e;
	char buf[40];
	if (!match(sc, P_IBAN, p - 2, &b, &e))
		return 0;
	int want = pii_iban_length((const char *)sc->t + b);
	int k = 0;
	size_t i = b;
	for (; i < e && k < want; i++) {
		if (sc->t[i] != ' ')
			buf[k++] = (char)sc->t[i];
		else if (i + 1 < e && sc->t[i + 1] == ' ')
			break;
	}
	if (k != want || (i < sc->n && is_word(sc->t[i])) || !pii_iban_ok(buf, (size_t)k))
		return 0;
	emit(sc, PII_IBAN, b, i);
	*end = i;
	return 1;
}

/* number_may_match: most numbers in text are short and stand alone ("x =
 * 5;", "in 2019,"); every numeric detector needs either 9 or more digits in
 * a row or a separator followed by more digits, so skip the rest before any
 * pattern runs. */
static int number_may_match(const unsigned char *t, size_t n, size_t p)
{
	size_t e = p;
	while (e < n && is_digit(t[e]))
		e++;
	if (e - p >= 9)
		return 1;
	if (e + 1 >= n)
		return 0;
	int c = t[e], c2 = t[e + 1];
	if (c == ')' || c == '(')
		return 1; /* "(415) 555", "1(888) 777" */
	return (c == ' ' || c == '-' || c == '.') &&
	       (is_digit(c2) || c2 == '(' || c2 == ' ' || c2 == '-');
}

/* scan_number: p is the first digit of a run. */
static size_t scan_number(struct scan *sc, size_t p)
{
	const unsigned char *t = sc->t;
	size_t end = p;
	if (p >= 2 && is_alpha(t[p - 1]) && is_alpha(t[p - 2]) &&
	    (p == 2 || !is_alnum(t[p - 3]))) {
		if (try_iban(sc, p, &end))
			return end;
	}
	if ((p > 0 && is_word(t[p - 1])) || !number_may_match(t, sc->n, p))
		goto skip;
	size_t ps = p;
	if (p > 0 && (t[p - 1] == '+' || t[p - 1] == '('))
		ps = p - 1;
	if (p >= 2 && t[p - 1] == ' ' && t[p - 2] == '+')
		ps = p - 2;
	if (ps == p && (try_card(sc, p, &end) || try_ssn(sc, p, &end) || try_ipv4(sc, p, &end)))
		return end;
	if (try_phone(sc, ps, &end) || (ps != p && try_phone(sc, p, &end)))
		return end;
skip:
	while (p < sc->n && is_digit(t[p]))
		p++;
	return p;
}

/* Local-part characters, scanned backwards from '@'. */
static size_t email_start(const unsigned char *t, size_t at)
{
	size_t i = at, chars = 0;
	while (i > 0 && chars < 64) {
		unsigned char c = t[i - 1];
		if (c < 0x80) {
			if (!(is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'))
				break;
			i--;
		} else {
			size_t j = i - 1;
			while (j > 0 && (t[j] & 0xC0) == 0x80 && i - j < 4)
				j--;
			utf8proc_int32_t cp;
			if (utf8proc_iterate(t + j, (utf8proc_ssize_t)(i - j), &cp) !=
			    (utf8proc_ssize_t)(i - j))
				break;
			utf8proc_category_t cat = utf8proc_category(cp);
			if (!(cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO))
				break; /* letters, marks and numbers only */
			i = j;
		}
		chars++;
	}
	while (i < at && t[i] == '.')
		i++;
	return i;
}

static size_t scan_email(struct scan *sc, size_t at)
{
	size_t st = email_start(sc->t, at), b, e;
	if (st == at || !match(sc, P_EMAIL, st, &b, &e))
		return at + 1;
	/* "a@cpan.orgE<gt>" (POD): upper case glued to a lower-case TLD. */
	size_t u = e;
	while (u > at && sc->t[u - 1] >= 'A' && sc->t[u - 1] <= 'Z')
		u--;
	if (u < e && u - 2 > at && sc->t[u - 1] >= 'a' && sc->t[u - 1] <= 'z' &&
	    sc->t[u - 2] >= 'a' && sc->t[u - 2] <= 'z')
		e = u;
	if (!pii_email_ok((const char *)sc->t + b, e - b))
		return at + 1;
	emit(sc, PII_EMAIL, b, e);
	return e;
}

static int is_hexc(int c) { return is_digit(c) || ((c | 32) >= 'a' && (c | 32) <= 'f'); }

/* scan_ipv6: c is a ':'; take the whole run of hex digits, colons (and dots
 * for an IPv4 tail) around it and parse it. */
static size_t scan_ipv6(struct scan *sc, size_t c)
{
	const unsigned char *t = sc->t;
	size_t b = c, e = c;
	while (b > 0 && c - b < 40 && (is_hexc(t[b - 1]) || t[b - 1] == ':'))
		b--;
	while (e < sc->n && e - b < 46 && (is_hexc(t[e]) || t[e] == ':' || t[e] == '.'))
		e++;
	while (e > c && t[e - 1] == '.')
		e--; /* sentence punctuation after the address */
	if (e > c + 1 && t[e - 1] == ':' && t[e - 2] != ':')
		e--; /* "address: ..." */
	if ((b > 0 && (is_word(t[b - 1]) || t[b - 1] == '.')) || (e < sc->n && is_word(t[e])))
		return c + 1; /* the digits may still be a phone, a card... */
	int colons = 0, groups = 0;
	for (size_t i = b; i < e; i++) {
		colons += t[i] == ':';
		if (is_hexc(t[i]) && (i == b || t[i - 1] == ':'))
			groups++;
	}
	uint8_t a[16];
	if (colons < 2 || groups < 3 || !pii_ipv6_parse((const char *)t + b, e - b, a))
		return c + 1; /* the digits may still be a phone, a card... */
	if (sc->d->o.ip_all || pii_ipv6_public(a))
		emit(sc, PII_IP, b, e);
	return e;
}

static int placeholder(const unsigned char *v, size_t n)
{
	static const char *const words[] = {
		"password", "passwd", "secret", "changeme", "example", "string", "required",
		"optional", "none", "null", "true", "false", "undefined", "token", "xxxxxx",
		"******", "your_password", "yourpassword", "placeholder", "redacted", NULL
	};
	if (v[0] == '<' || v[0] == '$' || v[0] == '%' || v[0] == '{' || v[0] == '*' ||
	    memmem(v, n, "{{", 2) || memmem(v, n, "${", 2))
		return 1;
	size_t same = 1;
	while (same < n && v[same] == v[0])
		same++;
	if (same == n)
		return 1;
	for (int k = 0; words[k]; k++) {
		size_t m = strlen(words[k]), j = 0;
		if (m != n)
			continue;
		while (j < n && lower(v[j]) == words[k][j])
			j++;
		if (j == n)
			return 1;
	}
	return 0;
}

/* scan_assign: op is '=' or ':'; look for `name = "value"` with a secret
 * keyword in name, and report the value only. */
static size_t scan_assign(struct scan *sc, size_t op)
{
	const unsigned char *t = sc->t;
	size_t v = op + 1;
	while (v < sc->n && (t[v] == ' ' || t[v] == '\t' || t[v] == '>' || t[v] == '='))
		v++;
	if (v >= sc->n || (t[v] != '"' && t[v] != '\''))
		return op + 1;
	size_t k = op;
	while (k > 0 && (t[k - 1] == ' ' || t[k - 1] == '\t' || t[k - 1] == ':'))
		k--;
	if (k > 0 && (t[k - 1] == '"' || t[k - 1] == '\''))
		k--;
	size_t idend = k;
	while (k > 0 && idend - k < 64 && is_word(t[k - 1]))
		k--;
	if (k == idend)
		return op + 1;
	size_t b, e, vb, ve;
	if (!match(sc, P_PASSWORD, k, &b, &e))
		return op + 1;
	vb = group_start(sc, 2, &ve);
	if (!placeholder(t + vb, ve - vb))
		emit(sc, PII_SECRET, vb, ve);
	return e;
}

static int jwt_header_ok(const unsigned char *s, size_t n)
{
	/* base64url-decode up to 96 characters of the header and look for a
	 * JOSE member name. */
	char out[80];
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n && i < 96 && s[i] != '.'; i++) {
		int c = s[i], v;
		if (c >= 'A' && c <= 'Z') v = c - 'A';
		else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
		else if (is_digit(c)) v = c - '0' + 52;
		else if (c == '-') v = 62;
		else if (c == '_') v = 63;
		else return 0;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xFF);
		}
	}
	return memmem(out, o, "\"alg\"", 5) || memmem(out, o, "\"typ\"", 5);
}

/* token_start: i is a trigger byte ('-', '_', 'J' or 'I'); the start of a
 * token prefix that ends there ("-----BEGIN ", "glpat-", "xoxb-", "ghp_",
 * "github_pat_", "eyJ", "AKIA"), or SIZE_MAX. Byte compares only: these
 * triggers are common in code, the prefixes are not. */
static size_t token_start(const unsigned char *t, size_t n, size_t i)
{
	switch (t[i]) {
	case '-':
		if (i + 10 < n && !memcmp(t + i, "-----BEGIN", 10))
			return i;
		if (i >= 5 && !memcmp(t + i - 5, "glpat", 5))
			return i - 5;
		if (i >= 4 && !memcmp(t + i - 4, "xox", 3) && strchr("abposr", t[i - 1]))
			return i - 4;
		return SIZE_MAX;
	case '_':
		if (i >= 3 && t[i - 3] == 'g' && t[i - 2] == 'h' && t[i - 1] &&
		    strchr("pousr", t[i - 1]))
			return i - 3;
		if (i >= 6 && !memcmp(t + i - 6, "github_pat_", 11 < n - (i - 6) ? 11 : n - (i - 6)))
			return i - 6;
		return SIZE_MAX;
	case 'J':
		return i >= 2 && t[i - 2] == 'e' && t[i - 1] == 'y' ? i - 2 : SIZE_MAX;
	case 'I':
		return i >= 2 && i + 1 < n && t[i - 2] == 'A' && (t[i - 1] == 'K' || t[i - 1] == 'S') &&
			t[i + 1] == 'A' ? i - 2 : SIZE_MAX;
	}
	return SIZE_MAX;
}

/* scan_token: try the token patterns at the prefix that ends at i. */
static size_t scan_token(struct scan *sc, size_t i)
{
	static const enum pat kinds[] = {
		P_PRIVKEY, P_AWS, P_GITHUB, P_GITHUB_PAT, P_GITLAB, P_SLACK, P_JWT
	};
	size_t st = token_start(sc->t, sc->n, i), b, e;
	if (st == SIZE_MAX)
		return i + 1;
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		if (!match(sc, kinds[k], st, &b, &e))
			continue;
		if (kinds[k] == P_JWT && !jwt_header_ok(sc->t + b, e - b))
			continue;
		emit(sc, PII_SECRET, b, e);
		return e;
	}
	return i + 1;
}

static int span_cmp(const void *a, const void *b)
{
	const pii_span *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return type_rank[y->type] - type_rank[x->type];
}

/* resolve: sort the spans of this call and drop overlaps, keeping the higher
 * rank (then the longer span). */
static void resolve(pii_spans *o, size_t from)
{
	size_t n = o->n - from, k = 0;
	if (n == 0)
		return;
	pii_span *v = o->v + from;
	qsort(v, n, sizeof *v, span_cmp);
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && v[i].start < v[k - 1].end) {
			pii_span *last = &v[k - 1];
			int ri = type_rank[v[i].type], rl = type_rank[last->type];
			if (ri > rl || (ri == rl && v[i].end - v[i].start > last->end - last->start))
				*last = v[i];
			continue;
		}
		v[k++] = v[i];
	}
	o->n = from + k;
}

enum { B_DIGIT = 1, B_AT = 2, B_COLON = 4, B_EQ = 8, B_TOKEN = 16 };

int pii_detect(const pii_detector *d, pii_scratch *s, const char *text, size_t n,
	       pii_spans *out)
{
	struct scan sc = {d, s, (const unsigned char *)text, n, out, CUR_OK};
	size_t from = out->n;
	unsigned char cls[256] = {0};
	unsigned ty = d->o.types;
	if (ty & ((1u << PII_CARD) | (1u << PII_SSN) | (1u << PII_IP) | (1u << PII_PHONE) |
		  (1u << PII_IBAN)))
		for (int c = '0'; c <= '9'; c++)
			cls[c] = B_DIGIT;
	if (ty & (1u << PII_EMAIL))
		cls['@'] = B_AT;
	if (ty & (1u << PII_IP))
		cls[':'] |= B_COLON;
	if (ty & (1u << PII_SECRET)) {
		cls[':'] |= B_EQ;
		cls['='] = B_EQ;
		cls['-'] = cls['_'] = cls['J'] = cls['I'] = B_TOKEN;
	}
	size_t i = 0, next;
	const unsigned char *t = sc.t;
	while (i < n && sc.rc == CUR_OK) {
		while (i < n && !cls[t[i]])
			i++;
		if (i >= n)
			break;
		unsigned c = cls[t[i]];
		if (c & B_DIGIT)
			next = scan_number(&sc, i);
		else if (c & B_AT)
			next = scan_email(&sc, i);
		else {
			next = i + 1;
			if (c & B_COLON) {
				size_t e = scan_ipv6(&sc, i);
				if (e > next)
					next = e;
			}
			if (c & B_EQ) {
				size_t e = scan_assign(&sc, i);
				if (e > next)
					next = e;
			}
			if (c & B_TOKEN)
				next = scan_token(&sc, i);
		}
		i = next > i ? next : i + 1;
	}
	if (sc.rc != CUR_OK)
		return sc.rc;
	resolve(out, from);
	return CUR_OK;
}
