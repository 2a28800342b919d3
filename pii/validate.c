/* Validators: the plain-C checks behind every PII pattern. A pattern only
 * proposes a candidate; these decide, so that dates, versions, hashes and
 * other number-shaped text are not redacted. */
#include "config.h"

#include <string.h>
#include "pii/pii.h"

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static int is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The value of n decimal digits at s; -1 when n > 9 (no rule compares
 * such long groups, and the value would not fit). */
static int num(const char *s, size_t n)
{
	int v = 0;
	if (n > 9)
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int pii_luhn_ok(const char *d, size_t n)
{
	int sum = 0;
	for (size_t i = 0; i < n; i++) {
		int x = d[n - 1 - i] - '0';
		if (x < 0 || x > 9)
			return 0;
		if (i & 1) {
			x *= 2;
			if (x > 9)
				x -= 9;
		}
		sum += x;
	}
	return n > 0 && sum % 10 == 0;
}

/* Issuer table: a prefix range of the first `plen` digits and the lengths
 * that issuer uses (ISO/IEC 7812 as published by the networks). */
struct issuer { int plen, lo, hi, minlen, maxlen; };
static const struct issuer issuers[] = {
	{1, 4, 4, 13, 19},            /* Visa (13, 16, 19) */
	{2, 51, 55, 16, 16},          /* Mastercard */
	{4, 2221, 2720, 16, 16},      /* Mastercard 2-series */
	{2, 34, 34, 15, 15},          /* American Express */
	{2, 37, 37, 15, 15},
	{4, 6011, 6011, 16, 19},      /* Discover */
	{3, 644, 649, 16, 19},
	{2, 65, 65, 16, 19},
	{2, 62, 62, 16, 19},          /* UnionPay (and Discover 622126-622925) */
	{3, 300, 305, 14, 19},        /* Diners Club */
	{4, 3095, 3095, 14, 19},
	{2, 36, 36, 14, 19},
	{2, 38, 39, 14, 19},
	{2, 35, 35, 16, 19},          /* JCB (3528-3589, test ranges all of 35) */
	{4, 2131, 2131, 15, 15},
	{4, 1800, 1800, 15, 15},
	{4, 2200, 2204, 16, 19},      /* Mir */
	{4, 5018, 5018, 12, 19},      /* Maestro: 12 to 19 digits */
	{4, 5020, 5020, 12, 19},
	{4, 5038, 5038, 12, 19},
	{4, 5893, 5893, 12, 19},
	{2, 56, 58, 12, 19},
	{4, 6304, 6304, 12, 19},
	{4, 6390, 6390, 12, 19},
	{4, 6759, 6759, 12, 19},
	{4, 6761, 6763, 12, 19},
	{4, 604, 604, 12, 19},        /* "0604": Maestro test range */
	{2, 60, 60, 16, 16},          /* RuPay */
	{2, 81, 82, 16, 16},
	{4, 9792, 9792, 16, 16},      /* Troy */
};

int pii_card_ok(const char *d, size_t n)
{
	if (n < 12 || n > 19)
		return 0;
	for (size_t i = 0; i < sizeof issuers / sizeof issuers[0]; i++) {
		const struct issuer *is = &issuers[i];
		int p = num(d, (size_t)is->plen);
		if (p >= is->lo && p <= is->hi && (int)n >= is->minlen && (int)n <= is->maxlen)
			return pii_luhn_ok(d, n);
	}
	return 0;
}

/* IBAN lengths per country (SWIFT IBAN registry). */
static const char iban_table[] =
	"AD24AE23AL28AT20AZ28BA20BE16BG22BH22BI27BR29BY28CH21CR22CY28CZ24DE22"
	"DJ27DK18DO28EE20EG29ES24FI18FK18FO18FR27GB22GE22GI23GL18GR27GT28HR21"
	"HU28IE22IL23IQ23IS26IT27JO30KW30KZ20LB28LC32LI21LT20LU20LV21LY25MC27"
	"MD24ME22MK19MN20MR27MT31MU30NI28NL18NO15OM23PK24PL28PS29PT25QA29RO24"
	"RS22RU33SA24SC31SD18SE24SI19SK24SM27SO23ST25SV28TL23TN24TR26UA29VA22"
	"VG24XK20YE30";

int pii_iban_length(const char *cc)
{
	int a = lower(cc[0]) - 32, b = lower(cc[1]) - 32;
	for (const char *p = iban_table; *p; p += 4)
		if (p[0] == a && p[1] == b)
			return num(p + 2, 2);
	return 0;
}

int pii_iban_ok(const char *s, size_t n)
{
	if (n < 15 || n > 34 || (int)n != pii_iban_length(s))
		return 0;
	if (!is_digit(s[2]) || !is_digit(s[3]))
		return 0;
	/* mod-97 over the rearranged string, letters as 10..35, digit by digit
	 * so that no big integers are needed. */
	unsigned rem = 0;
	for (size_t k = 0; k < n; k++) {
		int c = lower(s[(k + 4) % n]);
		if (is_digit(c))
			rem = (rem * 10 + (unsigned)(c - '0')) % 97;
		else if (c >= 'a' && c <= 'z')
			rem = (rem * 100 + (unsigned)(c - 'a' + 10)) % 97;
		else
			return 0;
	}
	return rem == 1;
}

int pii_ipv4_parse(const char *s, size_t n, uint8_t a[4])
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		size_t st = i;
		while (i < n && is_digit(s[i]) && i - st < 4)
			i++;
		size_t len = i - st;
		if (len == 0 || len > 3 || (len > 1 && s[st] == '0'))
			return 0;
		int v = num(s + st, len);
		if (v > 255)
			return 0;
		a[part] = (uint8_t)v;
		if (part < 3) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
	}
	return i == n;
}

static int hexval(int c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int pii_ipv6_parse(const char *s, size_t n, uint8_t a[16])
{
	uint16_t g[8];
	int ng = 0, gap = -1;
	size_t i = 0;
	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	} else if (n && s[0] == ':') {
		return 0;
	}
	while (i < n) {
		size_t st = i;
		unsigned v = 0;
		while (i < n && hexval(s[i]) >= 0 && i - st < 5)
			v = v * 16 + (unsigned)hexval(s[i++]);
		if (i < n && s[i] == '.') {
			/* An embedded IPv4 tail takes the last two groups. */
			uint8_t v4[4];
			if (ng > 6 || !pii_ipv4_parse(s + st, n - st, v4))
				return 0;
			g[ng++] = (uint16_t)(v4[0] << 8 | v4[1]);
			g[ng++] = (uint16_t)(v4[2] << 8 | v4[3]);
			i = n;
			break;
		}
		if (i == st || i - st > 4 || ng == 8)
			return 0;
		g[ng++] = (uint16_t)v;
		if (i == n)
			break;
		if (s[i] != ':')
			return 0;
		i++;
		if (i < n && s[i] == ':') {
			if (gap >= 0)
				return 0;
			gap = ng;
			i++;
		} else if (i == n) {
			return 0; /* a trailing single ':' */
		}
	}
	if ((gap < 0 && ng != 8) || (gap >= 0 && ng > 7))
		return 0;
	memset(a, 0, 16);
	int tail = gap < 0 ? 0 : ng - gap;
	int head = ng - tail;
	for (int k = 0; k < head; k++) {
		a[2 * k] = (uint8_t)(g[k] >> 8);
		a[2 * k + 1] = (uint8_t)g[k];
	}
	for (int k = 0; k < tail; k++) {
		int pos = 8 - tail + k;
		a[2 * pos] = (uint8_t)(g[head + k] >> 8);
		a[2 * pos + 1] = (uint8_t)g[head + k];
	}
	return 1;
}

/* IPv4 special-purpose ranges (IANA registry, RFC 6890 and updates). */
struct net4 { uint32_t net; int bits; };
static const struct net4 special4[] = {
	{0x00000000, 8},  {0x0A000000, 8},  {0x64400000, 10}, {0x7F000000, 8},
	{0xA9FE0000, 16}, {0xAC100000, 12}, {0xC0000000, 24}, {0xC0000200, 24},
	{0xC0586300, 24}, {0xC0A80000, 16}, {0xC6120000, 15}, {0xC6336400, 24},
	{0xCB007100, 24}, {0xE0000000, 4},  {0xF0000000, 4},
};

int pii_ipv4_public(const uint8_t a[4])
{
	uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	for (size_t i = 0; i < sizeof special4 / sizeof special4[0]; i++) {
		uint32_t mask = 0xFFFFFFFFu << (32 - special4[i].bits);
		if ((v & mask) == special4[i].net)
			return 0;
	}
	return 1;
}

int pii_ipv6_public(const uint8_t a[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
	if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12))
		return pii_ipv4_public(a + 12);
	if (a[0] == 0x00 || a[0] == 0xff || (a[0] & 0xfe) == 0xfc)
		return 0; /* ::/8, multicast, unique local */
	if (a[0] == 0xfe && (a[1] & 0x80))
		return 0; /* link-local and site-local fe80::/9 */
	if (a[0] == 0x01 && a[1] == 0 && !a[2] && !a[3] && !a[4] && !a[5] && !a[6] && !a[7])
		return 0; /* discard 100::/64 */
	if (a[0] == 0x20 && a[1] == 0x01 && (a[2] < 0x02 || (a[2] == 0x0d && a[3] == 0xb8)))
		return 0; /* 2001::/23 protocol assignments, 2001:db8::/32 docs */
	return 1;
}

int pii_ssn_ok(const char *d)
{
	int area = num(d, 3), group = num(d + 3, 2), serial = num(d + 5, 4);
	if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0)
		return 0;
	/* Numbers published in advertising or as examples. */
	if (!memcmp(d, "078051120", 9) || !memcmp(d, "219099999", 9) ||
	    !memcmp(d, "123456789", 9))
		return 0;
	return 1;
}

/* ---- phone numbers ------------------------------------------------------ */

struct phone {
	char d[24];      /* national digits, trunk "(0)" removed */
	int nd;
	int glen[12];    /* digit groups as written (a parenthesised one too) */
	int ng;
	int intl;        /* leading '+' or 00 / 011 */
	int paren_first; /* the first group was in parentheses */
	int seps, dots;  /* number of separators, of which '.' */
	int bad;
};

static void phone_add_group(struct phone *p, const char *s, size_t len)
{
	if (p->ng == 12 || p->nd + (int)len > 20) {
		p->bad = 1;
		return;
	}
	memcpy(p->d + p->nd, s, len);
	p->nd += (int)len;
	p->glen[p->ng++] = (int)len;
}

static void phone_parse(const char *s, size_t n, struct phone *p)
{
	size_t i = 0;
	memset(p, 0, sizeof *p);
	if (i < n && s[i] == '+') {
		p->intl = 1;
		i++;
	}
	while (i < n && !p->bad) {
		int c = (unsigned char)s[i];
		if (is_digit(c)) {
			size_t st = i;
			while (i < n && is_digit(s[i]))
				i++;
			phone_add_group(p, s + st, i - st);
		} else if (c == '(') {
			size_t st = ++i;
			while (i < n && is_digit(s[i]))
				i++;
			if (i >= n || s[i] != ')' || i == st) {
				p->bad = 1;
				break;
			}
			/* "+41 (0)96": the trunk 0 is not dialled from abroad. */
			if (!(i - st == 1 && s[st] == '0' && p->ng > 0)) {
				if (p->ng == 0)
					p->paren_first = 1;
				phone_add_group(p, s + st, i - st);
			}
			i++;
			p->seps++;
		} else if (c == ' ' || c == '-' || c == '.') {
			p->seps++;
			p->dots += c == '.';
			i++;
		} else {
			break; /* extension: "x123", "ext. 12", "#12" */
		}
	}
}

static int phone_date_like(const struct phone *p)
{
	if (p->ng == 2 && p->glen[0] == 4 && p->glen[1] == 4) {
		int y0 = num(p->d, 4), y1 = num(p->d + 4, 4);
		return y0 >= 1000 && y0 <= 2100 && y1 >= 1000 && y1 <= 2100; /* years */
	}
	if (p->ng < 3)
		return 0;
	int g0 = num(p->d, (size_t)p->glen[0]);
	const char *d1 = p->d + p->glen[0];
	int g1 = num(d1, (size_t)p->glen[1]);
	int g2 = num(d1 + p->glen[1], (size_t)p->glen[2]);
	if (p->glen[0] == 4 && g0 >= 1900 && g0 <= 2099 && p->glen[1] <= 2 && g1 >= 1 &&
	    g1 <= 12)
		return 1;
	if (p->glen[0] <= 2 && p->glen[1] <= 2 && p->glen[2] == 4 && g2 >= 1900 && g2 <= 2099)
		return 1;
	return 0;
}

/* Country codes of one or two digits; others have three (ITU-T E.164). */
static int cc_len(const char *d)
{
	static const char two[] =
		"20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 "
		"57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 ";
	if (d[0] == '1' || d[0] == '7')
		return 1;
	char key[4] = {d[0], d[1], ' ', 0};
	return strstr(two, key) ? 2 : 3;
}

/* National significant number lengths of the plans we know. */
static int plan_ok(int cc, int nsn, const char *d)
{
	switch (cc) {
	case 1: return nsn == 10 && d[0] >= '2';                 /* NANP */
	case 44: return nsn == 9 || nsn == 10;                   /* UK */
	case 49: return nsn >= 6 && nsn <= 13;                   /* DE */
	case 33: return nsn == 9 && d[0] != '0';                 /* FR */
	case 91: return nsn == 10;                               /* IN */
	case 86: return nsn >= 8 && nsn <= 11;                   /* CN */
	case 81: return nsn == 9 || nsn == 10;                   /* JP */
	case 55: return nsn == 10 || nsn == 11;                  /* BR */
	default: return nsn >= 4 && nsn <= 13;
	}
}

static int phone_intl(const struct phone *p)
{
	const char *d = p->d;
	int nd = p->nd;
	if (!p->intl) { /* 00 or 011 international prefix */
		int skip = !memcmp(d, "011", 3) ? 3 : 2;
		d += skip;
		nd -= skip;
	}
	if (nd < 8 || nd > 15 || d[0] == '0')
		return 0;
	int l = cc_len(d);
	return plan_ok(num(d, (size_t)l), nd - l, d + l) ? 2 : 0;
}

static int nanp_ok(const struct phone *p)
{
	const char *d = p->d;
	int nd = p->nd, g = 0;
	if (nd == 11 && d[0] == '1' && p->glen[0] == 1) {
		d++;
		nd--;
		g = 1;
	}
	if (nd != 10 || p->ng - g != 3)
		return 0;
	if (p->glen[g] != 3 || p->glen[g + 1] != 3 || p->glen[g + 2] != 4)
		return 0;
	if (d[0] < '2' || d[3] < '2' || (d[1] == '1' && d[2] == '1'))
		return 0;
	return 1;
}

int pii_phone_class(const char *s, size_t n)
{
	struct phone p;
	phone_parse(s, n, &p);
	if (p.bad || p.nd < 7 || p.nd > 15)
		return 0;
	if (p.glen[p.ng - 1] == 1)
		return 0; /* ISBN check digit, version tail */
	int ones = 0, bin = 1;
	for (int k = 0; k < p.ng; k++)
		ones += p.glen[k] == 1;
	for (int k = 0; k < p.nd; k++)
		bin &= p.d[k] <= '1';
	if (bin || ones > 1)
		return 0; /* binary digits, lists of small numbers */
	if (p.dots && p.ng == 2)
		return 0; /* a decimal number */
	if (p.dots) {
		if (p.ng == 4 && p.glen[0] <= 3 && p.glen[1] <= 3 && p.glen[2] <= 3 &&
		    p.glen[3] <= 3)
			return 0; /* dotted quad */
		for (int k = 1; k < p.ng; k++)
			if (p.glen[k] == 1)
				return 0; /* version number */
	}
	if (p.intl || (p.d[0] == '0' && p.d[1] == '0' && p.seps) ||
	    (!memcmp(p.d, "011", 3) && p.seps && p.glen[0] == 3))
		return phone_intl(&p);
	if (phone_date_like(&p))
		return 0;
	/* National numbers do not start with a lone digit ("0 160133733"),
	 * except the NANP trunk 1 ("1-800-873-2730"). */
	if (p.glen[0] == 1 && !(p.d[0] == '1' && nanp_ok(&p)))
		return 0;
	if (p.seps == 0)
		return p.nd >= 9 && p.nd <= 12 ? 1 : 0;
	if (nanp_ok(&p))
		return 2;
	/* Trunk prefix 0: UK, DE, FR, IN, CN, JP, AU landlines and mobiles. */
	if (p.d[0] == '0' && p.d[1] != '0' && p.nd >= 10 && p.nd <= 12)
		return 2;
	/* BR: (11) 3456-7890, (11) 91234-5678. */
	if (p.paren_first && p.glen[0] == 2 && p.d[0] != '0' && p.ng == 3 &&
	    (p.glen[1] == 4 || (p.glen[1] == 5 && p.d[2] == '9')) && p.glen[2] == 4)
		return 2;
	/* IN mobile 98765 43210, CN mobile 139 1234 5678. */
	if (p.nd == 10 && p.ng == 2 && p.glen[0] == 5 && p.d[0] >= '6' && p.seps == 1 &&
	    memchr(s, ' ', n) && !memchr(s, '-', n))
		return 2;
	if (p.nd == 11 && p.ng == 3 && p.glen[0] == 3 && p.glen[1] == 4 && p.d[0] == '1' &&
	    p.d[1] >= '3')
		return 2;
	/* Anything else needs a keyword nearby; a lone leading digit ("4
	 * 2228329") is a column of numbers, not a phone. */
	return p.nd <= 12 ? 1 : 0;
}

/* ---- e-mail --------------------------------------------------------------- */

static int ieq(const char *a, size_t n, const char *lit)
{
	size_t m = strlen(lit);
	if (m != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lit[i])
			return 0;
	return 1;
}

/* Asset and source file extensions that show up after '@' in names such as
 * "icon@2x.png" or "lib@1.0.js", but are not used as TLDs in addresses. */
static const char *const asset_ext[] = {
	"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", "avif",
	"heic", "css", "js", "mjs", "cjs", "ts", "tsx", "jsx", "map", "json", "xml", "html",
	"htm", "php", "txt", "md", "woff", "woff2", "ttf", "otf", "eot", "mp3", "mp4",
	"m4a", "webm", "wav", "ogg", "pdf", "gz", "tgz", "py", "rb", "java", "yml", "yaml",
	"service", "socket", "timer", "target", "mount", "automount", "slice", "scope",
	"device", "swap",
	NULL
};

int pii_email_ok(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	if (!at || at == s)
		return 0;
	size_t ll = (size_t)(at - s), dl = n - ll - 1;
	const char *dom = at + 1;
	if (s[0] == '.' || s[ll - 1] == '.' || memmem(s, ll, "..", 2) || ll > 64)
		return 0;
	if (dl < 4 || memmem(dom, dl, "..", 2))
		return 0;
	const char *dot = dom + dl;
	while (dot > dom && dot[-1] != '.')
		dot--;
	for (int k = 0; asset_ext[k]; k++)
		if (ieq(dot, (size_t)(dom + dl - dot), asset_ext[k]))
			return 0;
	/* "@2x." and "@1.5x." retina asset suffixes. */
	size_t k = 0;
	while (k < dl && (is_digit(dom[k]) || dom[k] == '.'))
		k++;
	if (k > 0 && k < dl && lower(dom[k]) == 'x' && (k + 1 == dl || !is_alnum(dom[k + 1])))
		return 0;
	return 1;
}
