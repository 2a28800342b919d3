#include "config.h"

#include <libxml/parserInternals.h>
#include <string.h>
#include <strings.h>
#include "extract/feed.h"

/* On the web, about half of a page's bytes are the content of script and
 * style elements, and libxml2's HTML parser reads that content character by
 * character (htmlParseScript) only to find where it ends. The extractor
 * ignores it, so it lets the parser skip it: libxml2 reads the page through
 * feed, and when it reports the start of a script or style element whose
 * content the extractor ignores, the next piece fed begins at the element's
 * end tag. libxml2 still makes every decision: it found the start tag, and
 * the end tag fed next is the one it would have stopped at.
 *
 * Reading through a callback, libxml2 holds a few KB of the page at a time.
 * Its HTML parser in Debian 12 (2.9.14) reads a few constructs past the end
 * of what it holds without asking for more, when a piece ends inside them:
 * an entity or character reference (htmlParseName stops at the end of the
 * buffer: "&am" + "p;" is not "&"), and "/>" (a '/' at the end is not an
 * empty-element tag). Pieces therefore never end inside "&name" or "&#123",
 * right after a '/', or inside a UTF-8 character; and a piece ends right
 * after a script or style start tag where it can, so that the content of
 * the element is still unread when libxml2 reports its start. */

#define NAME_RUN_MAX 40 /* longer than any entity name libxml2 knows */
/* libxml2 asks for more when it holds less than INPUT_CHUNK (250) bytes
 * ahead of where it reads: the piece after a script or style start tag is
 * just over that, so that libxml2 has what it needs and has read little of
 * the element's content when it reports the start tag. */
#define LOOK_AHEAD 256

static int ascii_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Characters of an entity or character reference after its '&', as
 * libxml2's htmlParseName and htmlParseCharRef read them. */
static int reference_char(unsigned char c)
{
	return ascii_alnum(c) || c == '#' || c == '_' || c == '-' || c == ':' || c == '.';
}

/* Just past the '>' after the first "<script" or "<style" (ASCII case
 * ignored, followed by a blank, '/' or '>') in html[from, limit), or 0.
 * Whether it really is a start tag is for libxml2 to say: this only
 * places the end of a piece, which is harmless anywhere after a '>'. */
static size_t after_raw_text_start(const char *html, size_t from, size_t limit)
{
	const char *at = html + from, *end = html + limit;

	while ((at = memchr(at, '<', (size_t)(end - at))) != NULL) {
		size_t len = 0, left = (size_t)(end - at);

		if (left > 6 && (at[1] | 0x20) == 's') {
			if (left > 7 && strncasecmp(at + 2, "cript", 5) == 0)
				len = 7;
			else if (strncasecmp(at + 2, "tyle", 4) == 0)
				len = 6;
		}
		if (len && memchr(" \t\n\r\f/>", at[len], 7)) {
			const char *gt = memchr(at + len, '>', (size_t)(end - at) - len);

			return gt ? (size_t)(gt - html) + 1 : 0;
		}
		at++;
	}
	return 0;
}

/* Where the piece of at most len bytes that starts at from ends; *cut:
 * whether it ends after a script or style start tag. */
static size_t piece_end(const char *html, size_t n, size_t from, size_t len, int *cut)
{
	size_t limit = n - from > len ? from + len : n;
	size_t k = after_raw_text_start(html, from, limit), run;

	*cut = k != 0;
	if (k || limit == n)
		return k ? k : n;
	k = limit;
	for (int back = 0; back < 3 && k > from + 1 && ((unsigned char)html[k] & 0xC0) == 0x80;
	     back++)
		k--;
	for (run = 0; run < NAME_RUN_MAX && k - run > from + 1 &&
		      reference_char((unsigned char)html[k - run - 1]);
	     run++)
		;
	if (k - run > from + 1 && html[k - run - 1] == '&')
		k -= run + 1;
	if (k > from + 1 && html[k - 1] == '/')
		k--;
	return k;
}

static int feed(void *ctx, char *buf, int len)
{
	ext_feed *f = ctx;
	size_t k;

	if (len <= 0 || f->next >= f->n)
		return 0;
	k = piece_end(f->html, f->n, f->next, f->cut && len > LOOK_AHEAD ? LOOK_AHEAD : (size_t)len,
		      &f->cut);
	memcpy(buf, f->html + f->next, k - f->next);
	len = (int)(k - f->next);
	f->next = k;
	return len;
}

htmlParserCtxtPtr ext_feed_context(ext_feed *f)
{
	htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
	xmlParserInputBufferPtr buf;
	xmlParserInputPtr in;

	if (!ctxt)
		return NULL;
	buf = xmlParserInputBufferCreateIO(feed, NULL, f, XML_CHAR_ENCODING_NONE);
	in = buf ? xmlNewIOInputStream(ctxt, buf, XML_CHAR_ENCODING_NONE) : NULL;
	if (!in) {
		xmlFreeParserInputBuffer(buf);
		htmlFreeParserCtxt(ctxt);
		return NULL;
	}
	if (inputPush(ctxt, in) < 0) {
		xmlFreeInputStream(in);
		htmlFreeParserCtxt(ctxt);
		return NULL;
	}
	return ctxt;
}

void ext_feed_parse(htmlParserCtxtPtr ctxt)
{
	xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
	htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
			   HTML_PARSE_NONET | HTML_PARSE_NOIMPLIED | HTML_PARSE_NODEFDTD |
			   HTML_PARSE_IGNORE_ENC);
	htmlParseDocument(ctxt);
	if (ctxt->myDoc)
		xmlFreeDoc(ctxt->myDoc);
	htmlFreeParserCtxt(ctxt);
}

/* The first "</" + name (ASCII case ignored) in s, or n: where libxml2
 * ends a script or style element in recovery mode (htmlParseScript). */
static size_t raw_text_end(const char *s, size_t n, const char *name)
{
	const char *at = s, *end = s + n;
	size_t len = strlen(name);

	while ((at = memchr(at, '<', (size_t)(end - at))) != NULL) {
		if ((size_t)(end - at) >= len + 2 && at[1] == '/' && strncasecmp(at + 2, name, len) == 0)
			return (size_t)(at - s);
		at++;
	}
	return n;
}

/* The parser stands on the start tag's '>' and holds the bytes up to
 * f->next, which are the page's own (checked): the content begins after
 * the '>'. Content that begins with '<' is left alone, because there
 * libxml2 reads a tag before it reads raw text. The content libxml2 has
 * already taken in cannot end the element early (it holds no end tag, and
 * the end tag fed next starts with the only '<' that could begin one), so
 * libxml2 ends the element at the same end tag, and reads the same page
 * after it. */
void ext_feed_skip_raw_text(ext_feed *f, htmlParserCtxtPtr ctxt, const char *name)
{
	xmlParserInputPtr in = ctxt->input;
	size_t ahead, gt, end;

	if (!ctxt->recovery || !in || !in->cur || !in->end || in->cur >= in->end || in->cur[0] != '>')
		return;
	ahead = (size_t)(in->end - in->cur);
	if (ahead > f->next)
		return;
	gt = f->next - ahead;
	if (memcmp(f->html + gt, in->cur, ahead) != 0 || gt + 1 >= f->n || f->html[gt + 1] == '<')
		return;
	end = gt + 1 + raw_text_end(f->html + gt + 1, f->n - gt - 1, name);
	if (end > f->next)
		f->next = end;
}
