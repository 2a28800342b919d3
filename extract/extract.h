/* HTML to the main text of the page (docs/extract.md).
 *
 * An extractor holds a parser and its buffers; it is not shared between
 * threads (make one per thread). The first ext_extractor_new must come
 * from one thread before others start (it initializes libxml2). */
#ifndef EXT_EXTRACT_H
#define EXT_EXTRACT_H

#include <stddef.h>

typedef struct ext_extractor ext_extractor;

typedef struct ext_options {
	int all_text;      /* every visible block, no boilerplate removal */
	int alt_text;      /* the alt text of pictures, each on a line */
	size_t max_depth;  /* elements nested deeper stop the parse (256) */
} ext_options;

void ext_options_init(ext_options *o);

typedef struct ext_result {
	/* Borrowed from the extractor, valid until its next call. */
	const char *text;   /* UTF-8, NUL-terminated, text_len bytes */
	size_t text_len;
	const char *title;  /* <title>, white space collapsed ("" if none) */
	const char *lang;   /* <html lang> ("" if none) */
	int truncated;      /* nesting passed max_depth: the rest was not read */
} ext_result;

/* ext_init: set up libxml2; call once from one thread before extractors
 * are made on others (ext_extractor_new calls it too). */
void ext_init(void);

/* ext_extractor_new: NULL when out of memory. o may be NULL (defaults). */
ext_extractor *ext_extractor_new(const ext_options *o);
void ext_extractor_free(ext_extractor *x);

/* ext_extract: the main text of html (n bytes of UTF-8) into *out.
 * Returns CUR_OK, or CUR_ENOMEM. */
int ext_extract(ext_extractor *x, const char *html, size_t n, ext_result *out);

/* ext_looks_like_html: 1 when text starts as an HTML page does (after a
 * byte order mark, blanks and comments: a doctype or an <html> tag). */
int ext_looks_like_html(const char *text, size_t n);

#endif
