/* Shared inside extract/ only: how libxml2's HTML parser reads the page
 * (feed.c). The parser reads it through a callback, a piece at a time, as
 * it reads a file, so that the content of a script or style element the
 * extractor ignores can be left out of what it reads. */
#ifndef EXT_FEED_H
#define EXT_FEED_H

#include <libxml/HTMLparser.h>
#include <stddef.h>

/* The page (borrowed, UTF-8) and the next byte the parser gets. */
typedef struct ext_feed {
	const char *html;
	size_t n, next;
	int cut;  /* the last piece ended after a script or style start tag */
} ext_feed;

/* ext_feed_context: a parser context that reads f->html from its start,
 * with nothing else set; NULL when out of memory. f must outlive it. */
htmlParserCtxtPtr ext_feed_context(ext_feed *f);

/* ext_feed_parse: parses what ctxt reads, as UTF-8, with the options the
 * extractor reads every page with (recover from any error and say nothing,
 * no network, no implied elements or DTD, the page's own charset ignored:
 * it is UTF-8 already), through the SAX callbacks the caller has set; then
 * frees ctxt and any document it built. Also for contexts not made by
 * ext_feed_context, so that bench/ parses as the extractor does. */
void ext_feed_parse(htmlParserCtxtPtr ctxt);

/* ext_feed_skip_raw_text: called from the startElement callback of a
 * script or style element (name as the parser gives it) whose content the
 * caller ignores: the parser will read its end tag next, as if the content
 * were what it has already read of it. Does nothing where that could change
 * how the parser reads the rest of the page. */
void ext_feed_skip_raw_text(ext_feed *f, htmlParserCtxtPtr ctxt, const char *name);

#endif
