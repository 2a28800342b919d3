/* Character sets of web payloads: which encoding a page is in, and its
 * decoding to UTF-8 (glibc's iconv).
 *
 * The order is the WHATWG encoding-sniffing one, shortened: a byte order
 * mark, then the HTTP Content-Type charset, then (for HTML) a <meta charset>
 * or http-equiv declaration in the first 4 KB; with none, valid UTF-8 is
 * UTF-8 and anything else is windows-1252. Labels map to encodings as the
 * WHATWG table does (iso-8859-1 and us-ascii are windows-1252, gb2312 is
 * gbk, decoded as its superset gb18030). One exception to the standard: a
 * page declared in a legacy ASCII-based charset whose bytes are valid UTF-8
 * with some non-ASCII in them is read as UTF-8, because such pages are
 * mislabelled far more often than legacy text happens to be valid UTF-8. */
#ifndef CUR_CHARSET_H
#define CUR_CHARSET_H

#include <stddef.h>
#include "core/buf.h"

typedef struct cur_charset {
	const char *name;    /* WHATWG name, e.g. "utf-8", "shift_jis" (static) */
	const char *iconv;   /* the glibc iconv name; NULL for UTF-8 */
	const char *source;  /* how it was found: "bom", "http", "meta",
			      * "default" (valid UTF-8) or "fallback" */
	size_t bom;          /* bytes of byte order mark to skip */
} cur_charset;

/* cur_charset_sniff: the encoding of payload p (n bytes) served with the
 * HTTP Content-Type content_type (may be NULL or ""); html: look for a
 * <meta> declaration. OUT: *cs. */
void cur_charset_sniff(const char *p, size_t n, const char *content_type, int html,
		       cur_charset *cs);

/* cur_charset_to_utf8: append p (n bytes, after the BOM) decoded from cs to
 * out. Bytes that do not decode become U+FFFD; OUT: *errors counts them.
 * Returns CUR_OK, CUR_ENOMEM, or CUR_EINVAL when iconv lacks the encoding
 * (nothing is appended then). */
int cur_charset_to_utf8(const cur_charset *cs, const char *p, size_t n, cur_buf *out,
			size_t *errors);

#endif
