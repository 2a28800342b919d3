/* libFuzzer target: the charset sniffing and decoding of a raw payload, then
 * the extractor on the result (main text and all text), as the WARC reader
 * and the extract stage chain them. Checks that every output is valid
 * UTF-8 of the length it claims and that the extractor gives the same text
 * twice (no state leaks from one page to the next). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "core/charset.h"
#include "core/utf8.h"
#include "extract/extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_utf8(const char *s, size_t n)
{
	if (cur_utf8_valid_prefix(s, n) != n || s[n] != '\0')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ext_extractor *main_text, *all_text;
	cur_charset cs;
	cur_buf text;
	size_t errors;
	ext_result r;
	char *first;
	size_t first_len;

	if (!main_text) {
		ext_options o;

		ext_options_init(&o);
		o.max_depth = 64;
		main_text = ext_extractor_new(&o);
		o.all_text = 1;
		o.alt_text = 1;
		all_text = ext_extractor_new(&o);
		if (!main_text || !all_text)
			abort();
	}
	cur_buf_init(&text, CUR_BUF_UNLIMITED);
	cur_charset_sniff((const char *)data, size, size && data[0] & 1 ? "text/html" : NULL, 1,
			  &cs);
	if (cs.bom > size)
		abort();
	if (cur_charset_to_utf8(&cs, (const char *)data + cs.bom, size - cs.bom, &text, &errors) ||
	    !text.data)
		goto out;
	if (cur_utf8_valid_prefix(text.data, text.len) != text.len)
		abort();
	if (ext_extract(main_text, text.data, text.len, &r))
		abort();
	check_utf8(r.text, r.text_len);
	check_utf8(r.title, strlen(r.title));
	first_len = r.text_len;
	first = malloc(first_len + 1);
	if (!first)
		abort();
	memcpy(first, r.text, first_len);
	if (ext_extract(main_text, text.data, text.len, &r) || first_len != r.text_len ||
	    memcmp(first, r.text, first_len))
		abort();
	free(first);
	if (ext_extract(all_text, text.data, text.len, &r))
		abort();
	check_utf8(r.text, r.text_len);
out:
	cur_buf_release(&text);
	return 0;
}
