#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>
#include "core/charset.h"
#include "core/error.h"
#include "core/utf8.h"

/* The encodings of the WHATWG Encoding Standard that glibc's iconv decodes,
 * under the standard's names. ascii is 1 when ASCII bytes mean ASCII (all
 * but UTF-16 and the stateful ISO-2022-JP). */
enum { E_UTF8, E_1252, E_UTF16LE, E_UTF16BE, E_GBK, E_GB18030, E_BIG5, E_EUCJP,
       E_ISO2022JP, E_SJIS, E_EUCKR, E_KOI8R, E_KOI8U, E_866, E_MAC, E_874,
       E_1250, E_1251, E_1253, E_1254, E_1255, E_1256, E_1257, E_1258,
       E_8859_2, E_8859_3, E_8859_4, E_8859_5, E_8859_6, E_8859_7, E_8859_8,
       E_8859_10, E_8859_13, E_8859_14, E_8859_15, E_8859_16, E_COUNT };

static const struct {
	const char *name, *iconv;
	int ascii;
} encodings[E_COUNT] = {
	[E_UTF8] = {"utf-8", NULL, 1},
	[E_1252] = {"windows-1252", "CP1252", 1},
	[E_UTF16LE] = {"utf-16le", "UTF-16LE", 0},
	[E_UTF16BE] = {"utf-16be", "UTF-16BE", 0},
	[E_GBK] = {"gbk", "GB18030", 1},
	[E_GB18030] = {"gb18030", "GB18030", 1},
	[E_BIG5] = {"big5", "BIG5-HKSCS", 1},
	[E_EUCJP] = {"euc-jp", "EUC-JP", 1},
	[E_ISO2022JP] = {"iso-2022-jp", "ISO-2022-JP", 0},
	[E_SJIS] = {"shift_jis", "CP932", 1},
	[E_EUCKR] = {"euc-kr", "CP949", 1},
	[E_KOI8R] = {"koi8-r", "KOI8-R", 1},
	[E_KOI8U] = {"koi8-u", "KOI8-U", 1},
	[E_866] = {"ibm866", "CP866", 1},
	[E_MAC] = {"macintosh", "MACINTOSH", 1},
	[E_874] = {"windows-874", "CP874", 1},
	[E_1250] = {"windows-1250", "CP1250", 1},
	[E_1251] = {"windows-1251", "CP1251", 1},
	[E_1253] = {"windows-1253", "CP1253", 1},
	[E_1254] = {"windows-1254", "CP1254", 1},
	[E_1255] = {"windows-1255", "CP1255", 1},
	[E_1256] = {"windows-1256", "CP1256", 1},
	[E_1257] = {"windows-1257", "CP1257", 1},
	[E_1258] = {"windows-1258", "CP1258", 1},
	[E_8859_2] = {"iso-8859-2", "ISO-8859-2", 1},
	[E_8859_3] = {"iso-8859-3", "ISO-8859-3", 1},
	[E_8859_4] = {"iso-8859-4", "ISO-8859-4", 1},
	[E_8859_5] = {"iso-8859-5", "ISO-8859-5", 1},
	[E_8859_6] = {"iso-8859-6", "ISO-8859-6", 1},
	[E_8859_7] = {"iso-8859-7", "ISO-8859-7", 1},
	[E_8859_8] = {"iso-8859-8", "ISO-8859-8", 1},
	[E_8859_10] = {"iso-8859-10", "ISO-8859-10", 1},
	[E_8859_13] = {"iso-8859-13", "ISO-8859-13", 1},
	[E_8859_14] = {"iso-8859-14", "ISO-8859-14", 1},
	[E_8859_15] = {"iso-8859-15", "ISO-8859-15", 1},
	[E_8859_16] = {"iso-8859-16", "ISO-8859-16", 1},
};

/* The labels web pages use for them (the WHATWG table, most common ones). */
static const struct {
	const char *label;
	int enc;
} labels[] = {
	{"utf-8", E_UTF8}, {"utf8", E_UTF8}, {"unicode-1-1-utf-8", E_UTF8},
	{"x-unicode20utf8", E_UTF8},
	{"windows-1252", E_1252}, {"iso-8859-1", E_1252}, {"iso8859-1", E_1252},
	{"iso_8859-1", E_1252}, {"iso88591", E_1252}, {"latin1", E_1252}, {"l1", E_1252},
	{"cp1252", E_1252}, {"x-cp1252", E_1252}, {"cp819", E_1252}, {"ibm819", E_1252},
	{"us-ascii", E_1252}, {"ascii", E_1252}, {"ansi_x3.4-1968", E_1252},
	{"iso-ir-100", E_1252}, {"csisolatin1", E_1252}, {"iso_8859-1:1987", E_1252},
	/* A <meta> that says UTF-16 was read as ASCII, so it is not UTF-16. */
	{"utf-16", E_UTF16LE}, {"utf-16le", E_UTF16LE}, {"unicode", E_UTF16LE},
	{"ucs-2", E_UTF16LE}, {"utf-16be", E_UTF16BE},
	{"gbk", E_GBK}, {"gb2312", E_GBK}, {"gb_2312", E_GBK}, {"gb_2312-80", E_GBK},
	{"chinese", E_GBK}, {"csgb2312", E_GBK}, {"x-gbk", E_GBK}, {"iso-ir-58", E_GBK},
	{"csiso58gb231280", E_GBK}, {"gb18030", E_GB18030},
	{"big5", E_BIG5}, {"big5-hkscs", E_BIG5}, {"cn-big5", E_BIG5}, {"csbig5", E_BIG5},
	{"x-x-big5", E_BIG5},
	{"euc-jp", E_EUCJP}, {"x-euc-jp", E_EUCJP}, {"cseucpkdfmtjapanese", E_EUCJP},
	{"iso-2022-jp", E_ISO2022JP}, {"csiso2022jp", E_ISO2022JP},
	{"shift_jis", E_SJIS}, {"shift-jis", E_SJIS}, {"sjis", E_SJIS}, {"x-sjis", E_SJIS},
	{"ms_kanji", E_SJIS}, {"ms932", E_SJIS}, {"windows-31j", E_SJIS},
	{"csshiftjis", E_SJIS},
	{"euc-kr", E_EUCKR}, {"cseuckr", E_EUCKR}, {"ks_c_5601-1987", E_EUCKR},
	{"ks_c_5601-1989", E_EUCKR}, {"ksc5601", E_EUCKR}, {"ksc_5601", E_EUCKR},
	{"korean", E_EUCKR}, {"windows-949", E_EUCKR}, {"iso-ir-149", E_EUCKR},
	{"csksc56011987", E_EUCKR},
	{"koi8-r", E_KOI8R}, {"koi8r", E_KOI8R}, {"koi8", E_KOI8R}, {"koi", E_KOI8R},
	{"cskoi8r", E_KOI8R}, {"koi8-u", E_KOI8U}, {"koi8-ru", E_KOI8U},
	{"ibm866", E_866}, {"cp866", E_866}, {"866", E_866}, {"csibm866", E_866},
	{"macintosh", E_MAC}, {"mac", E_MAC}, {"x-mac-roman", E_MAC}, {"csmacintosh", E_MAC},
	{"windows-874", E_874}, {"tis-620", E_874}, {"iso-8859-11", E_874}, {"dos-874", E_874},
	{"windows-1250", E_1250}, {"cp1250", E_1250}, {"x-cp1250", E_1250},
	{"windows-1251", E_1251}, {"cp1251", E_1251}, {"x-cp1251", E_1251},
	{"windows-1253", E_1253}, {"cp1253", E_1253}, {"x-cp1253", E_1253},
	{"windows-1254", E_1254}, {"cp1254", E_1254}, {"x-cp1254", E_1254},
	{"iso-8859-9", E_1254}, {"iso8859-9", E_1254}, {"latin5", E_1254},
	{"windows-1255", E_1255}, {"cp1255", E_1255}, {"x-cp1255", E_1255},
	{"windows-1256", E_1256}, {"cp1256", E_1256}, {"x-cp1256", E_1256},
	{"windows-1257", E_1257}, {"cp1257", E_1257}, {"x-cp1257", E_1257},
	{"windows-1258", E_1258}, {"cp1258", E_1258}, {"x-cp1258", E_1258},
	{"iso-8859-2", E_8859_2}, {"iso8859-2", E_8859_2}, {"latin2", E_8859_2},
	{"iso-8859-3", E_8859_3}, {"iso8859-3", E_8859_3}, {"latin3", E_8859_3},
	{"iso-8859-4", E_8859_4}, {"iso8859-4", E_8859_4}, {"latin4", E_8859_4},
	{"iso-8859-5", E_8859_5}, {"iso8859-5", E_8859_5}, {"cyrillic", E_8859_5},
	{"iso-8859-6", E_8859_6}, {"iso8859-6", E_8859_6}, {"arabic", E_8859_6},
	{"iso-8859-7", E_8859_7}, {"iso8859-7", E_8859_7}, {"greek", E_8859_7},
	{"iso-8859-8", E_8859_8}, {"iso8859-8", E_8859_8}, {"hebrew", E_8859_8},
	{"iso-8859-8-i", E_8859_8},
	{"iso-8859-10", E_8859_10}, {"latin6", E_8859_10},
	{"iso-8859-13", E_8859_13}, {"iso-8859-14", E_8859_14},
	{"iso-8859-15", E_8859_15}, {"iso8859-15", E_8859_15}, {"latin9", E_8859_15},
	{"iso-8859-16", E_8859_16},
};

static const char *const sources[] = {"bom", "http", "meta", "default", "fallback"};
enum { S_BOM, S_HTTP, S_META, S_DEFAULT, S_FALLBACK };

static void set(cur_charset *cs, int enc, int source, size_t bom)
{
	cs->name = encodings[enc].name;
	cs->iconv = encodings[enc].iconv;
	cs->source = sources[source];
	cs->bom = bom;
}

static int label_enc(const char *s, size_t n)
{
	char buf[32];
	size_t i;

	while (n && (*s == ' ' || *s == '\t' || *s == '"' || *s == '\''))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '"' || s[n - 1] == '\''))
		n--;
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcasecmp(labels[i].label, buf) == 0)
			return labels[i].enc;
	return -1;
}

/* The value after "charset=" in s (n bytes), up to a delimiter; 0 if none. */
static size_t charset_param(const char *s, size_t n, const char **val)
{
	size_t i;

	for (i = 0; i + 8 <= n; i++) {
		size_t j = i + 7, k;

		if (strncasecmp(s + i, "charset", 7) != 0)
			continue;
		while (j < n && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (j >= n || s[j] != '=')
			continue;
		j++;
		while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '"' || s[j] == '\''))
			j++;
		for (k = j; k < n && s[k] != ';' && s[k] != '"' && s[k] != '\'' && s[k] != ' ' &&
		     s[k] != '>' && s[k] != '/' && s[k] != ','; k++)
			;
		if (k > j) {
			*val = s + j;
			return k - j;
		}
	}
	return 0;
}

#define META_SCAN 4096

/* The charset a <meta> element declares in the first META_SCAN bytes, as
 * the WHATWG prescan finds it: either <meta charset=X> or the charset in
 * the content of <meta http-equiv=content-type>. This is a search for one
 * declaration in a byte stream, not a tokenizer: comments are skipped, and
 * anything else is left to the HTML parser. */
static int meta_charset(const char *p, size_t n)
{
	size_t i, lim = n < META_SCAN ? n : META_SCAN;

	for (i = 0; i + 5 < lim; i++) {
		const char *end, *val;
		size_t vn;
		int e;

		if (p[i] != '<')
			continue;
		if (i + 4 <= lim && memcmp(p + i, "<!--", 4) == 0) {
			const char *c = memmem(p + i + 4, lim - i - 4, "-->", 3);

			if (!c)
				return -1;
			i = (size_t)(c - p) + 2;
			continue;
		}
		if (strncasecmp(p + i + 1, "meta", 4) != 0 ||
		    !(p[i + 5] == ' ' || p[i + 5] == '\t' || p[i + 5] == '\n' || p[i + 5] == '\r' ||
		      p[i + 5] == '/'))
			continue;
		end = memchr(p + i, '>', lim - i);
		if (!end)
			return -1;
		vn = charset_param(p + i, (size_t)(end - (p + i)), &val);
		if (vn && (e = label_enc(val, vn)) >= 0)
			return e == E_UTF16LE || e == E_UTF16BE ? E_UTF8 : e;
		i = (size_t)(end - p);
	}
	return -1;
}

static int has_high_byte(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return 1;
	return 0;
}

void cur_charset_sniff(const char *p, size_t n, const char *content_type, int html,
		       cur_charset *cs)
{
	const unsigned char *u = (const unsigned char *)p;
	const char *val;
	size_t vn;
	int e = -1, source = S_HTTP;

	if (n >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
		set(cs, E_UTF8, S_BOM, 3);
		return;
	}
	if (n >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
		set(cs, E_UTF16LE, S_BOM, 2);
		return;
	}
	if (n >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
		set(cs, E_UTF16BE, S_BOM, 2);
		return;
	}
	if (content_type && (vn = charset_param(content_type, strlen(content_type), &val)))
		e = label_enc(val, vn);
	if (e < 0 && html) {
		e = meta_charset(p, n);
		source = S_META;
	}
	if (e >= 0 && e != E_UTF8 && encodings[e].ascii && has_high_byte(p, n) &&
	    cur_utf8_valid_prefix(p, n) == n)
		e = -1;   /* mislabelled UTF-8: see charset.h */
	if (e >= 0) {
		set(cs, e, source, 0);
		return;
	}
	if (cur_utf8_valid_prefix(p, n) == n)
		set(cs, E_UTF8, S_DEFAULT, 0);
	else
		set(cs, E_1252, S_FALLBACK, 0);
}

static int append_replacement(cur_buf *out, size_t *errors)
{
	(*errors)++;
	return cur_buf_append(out, "\xEF\xBF\xBD", 3);
}

int cur_charset_to_utf8(const cur_charset *cs, const char *p, size_t n, cur_buf *out,
			size_t *errors)
{
	iconv_t cd;
	char *in = (char *)p;
	size_t left = n;
	int rc = CUR_OK;

	*errors = 0;
	if (!cs->iconv)
		return cur_utf8_repair(p, n, out, errors);
	cd = iconv_open("UTF-8", cs->iconv);
	if (cd == (iconv_t)-1)
		return CUR_EINVAL;
	while (left > 0 && rc == CUR_OK) {
		size_t room, before;
		char *o;

		/* Any of these encodings takes at most 4 UTF-8 bytes per input byte. */
		room = left < 4096 ? 4 * left + 16 : 16384;
		if (cur_buf_reserve(out, room)) {
			rc = CUR_ENOMEM;
			break;
		}
		o = out->data + out->len;
		before = room;
		if (iconv(cd, &in, &left, &o, &room) != (size_t)-1) {
			out->len += before - room;
			continue;
		}
		out->len += before - room;
		if (errno == E2BIG)
			continue;
		/* EILSEQ: one bad byte; EINVAL: a sequence cut off at the end. */
		if (append_replacement(out, errors))
			rc = CUR_ENOMEM;
		if (errno == EINVAL)
			break;
		in++;
		left--;
	}
	if (rc == CUR_OK && out->data)
		out->data[out->len] = '\0';
	iconv_close(cd);
	return rc;
}
