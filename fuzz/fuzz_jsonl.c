/* libFuzzer: one JSON Lines record through every path of the JSONL parser
 * (the minifying check, the light parse of text-only readers, the full
 * parse), and the written result back through the parser: what we write
 * must read back, and what the light parse accepts the full parse must
 * read the same way (text, id, the one metadata string). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/doc.h"
#include "core/json_text.h"
#include "core/reader.h"

static cur_doc doc_from(const uint8_t *data, size_t size)
{
	cur_doc d;

	cur_doc_init(&d);
	d.text = malloc(size + 1);
	memcpy(d.text, data, size);
	d.text[size] = '\0';
	d.text_len = size;
	d.raw_json = 1;
	d.origin = "fuzz";
	d.record = 1;
	return d;
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The light parse against the full one, on the same line. */
static void light_against_full(const uint8_t *data, size_t size)
{
	cur_doc light = doc_from(data, size), full = doc_from(data, size);
	cur_err err;

	if (cur_doc_parse_light(&light, "text", "category") == 1) {
		if (cur_doc_parse_raw(&full, "text", &err) != CUR_OK || full.utf8_repairs ||
		    light.text_len != full.text_len ||
		    memcmp(light.text, full.text, full.text_len) != 0 ||
		    strcmp(cur_doc_id(&light), cur_doc_id(&full)) != 0 ||
		    !same_str(cur_doc_meta_str(&light, "category"), cur_doc_meta_str(&full, "category")))
			abort();
	}
	cur_doc_release(&light);
	cur_doc_release(&full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cur_doc d = doc_from(data, size);
	cur_err err;
	cur_buf out;

	if (!memchr(data, '\n', size))
		light_against_full(data, size);
	if (!memchr(data, '\n', size) && cur_doc_pass_raw(&d, "text")) {
		cur_doc_release(&d);
		d = doc_from(data, size);
	}
	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	if (cur_doc_parse_raw(&d, "text", &err) == CUR_OK && cur_doc_to_json(&d, &out) == CUR_OK) {
		cur_doc back = doc_from((const uint8_t *)out.data, out.len - 1);

		if (cur_doc_parse_raw(&back, "text", &err) != CUR_OK ||
		    back.text_len != d.text_len || memcmp(back.text, d.text, d.text_len) != 0)
			abort();
		cur_doc_release(&back);
	}
	cur_buf_release(&out);
	cur_doc_release(&d);
	return 0;
}
