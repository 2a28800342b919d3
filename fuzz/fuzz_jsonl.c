/* libFuzzer: one JSON Lines record through every path of the JSONL parser
 * (the minifying check, the light parse of text-only readers, the full
 * parse), and the written result back through the parser: what we write
 * must read back, and what the light parse or the minifier accepts the full
 * parse must read the same way (text, id, the one metadata string). A
 * record the full parse reads is tried again with its first member twice:
 * every path must refuse that one (duplicate_key), and no error message
 * may quote the record. */
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

/* The record with its first top-level member written twice, or 0 when it
 * has none that the scan can find. */
static size_t first_member_twice(const uint8_t *data, size_t size, cur_buf *out)
{
	const char *p = (const char *)data;
	size_t i = 0;
	long key_end, val_end;

	while (i < size && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
		i++;
	if (i >= size || p[i] != '{')
		return 0;
	i++;
	while (i < size && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
		i++;
	if (i >= size || p[i] != '"' || (key_end = cur_json_skip_value(p + i, size - i)) < 0)
		return 0;
	key_end += (long)i;
	while ((size_t)key_end < size && p[key_end] != ':')
		key_end++;
	if ((size_t)key_end >= size)
		return 0;
	key_end++;
	while ((size_t)key_end < size && (p[key_end] == ' ' || p[key_end] == '\t'))
		key_end++;
	if ((val_end = cur_json_skip_value(p + key_end, size - (size_t)key_end)) < 0)
		return 0;
	val_end += key_end;
	cur_buf_append(out, p, (size_t)val_end);
	cur_buf_putc(out, ',');
	cur_buf_append(out, p + i, (size_t)val_end - i);
	cur_buf_append(out, p + val_end, size - (size_t)val_end);
	return out->len;
}

static void duplicate_refused(const uint8_t *data, size_t size)
{
	cur_buf twice;
	cur_err err;

	cur_buf_init(&twice, CUR_BUF_UNLIMITED);
	if (first_member_twice(data, size, &twice)) {
		cur_doc d = doc_from((const uint8_t *)twice.data, twice.len);
		cur_doc light = doc_from((const uint8_t *)twice.data, twice.len);

		if (cur_doc_parse_light(&light, "text", "category") == 1 || cur_doc_pass_raw(&d, "text"))
			abort();
		cur_doc_release(&d);
		d = doc_from((const uint8_t *)twice.data, twice.len);
		if (cur_doc_parse_raw(&d, "text", &err) != CUR_EDATA ||
		    strcmp(err.reason, "duplicate_key") != 0)
			abort();
		cur_doc_release(&d);
		cur_doc_release(&light);
	}
	cur_buf_release(&twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cur_doc d = doc_from(data, size);
	cur_err err;
	cur_buf out;
	int passed = 0, rc;

	if (!memchr(data, '\n', size))
		light_against_full(data, size);
	if (!memchr(data, '\n', size) && cur_doc_pass_raw(&d, "text")) {
		cur_doc_release(&d);
		d = doc_from(data, size);
		passed = 1;
	}
	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	rc = cur_doc_parse_raw(&d, "text", &err);
	if (passed && rc != CUR_OK)
		abort(); /* the minifier took what the full parse refuses */
	if (rc == CUR_EDATA && strstr(err.msg, " near '"))
		abort(); /* a message quoting the record */
	if (rc == CUR_OK && !memchr(data, '\n', size))
		duplicate_refused(data, size);
	if (rc == CUR_OK && cur_doc_to_json(&d, &out) == CUR_OK) {
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
