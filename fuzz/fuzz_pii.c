/* libFuzzer target: detection and both redaction modes on arbitrary input
 * (repaired to valid UTF-8 first, as the reader does). Checks that spans are
 * sorted, in bounds, on character boundaries, and that the redacted text is
 * valid UTF-8. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "core/utf8.h"
#include "pii/pii.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pii_detector *det;
	static pii_scratch *scr;
	cur_buf text, out;
	pii_spans sp = {0};
	size_t rep;
	if (!det) {
		pii_opts o = {PII_TYPES_ALL, 1};
		cur_err err;
		det = pii_detector_new(&o, &err);
		scr = pii_scratch_new(det);
		if (!det || !scr)
			abort();
	}
	cur_buf_init(&text, CUR_BUF_UNLIMITED);
	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	if (cur_utf8_repair((const char *)data, size, &text, &rep) || !text.data)
		goto out;
	if (pii_detect(det, scr, text.data, text.len, &sp))
		abort();
	for (size_t k = 0; k < sp.n; k++) {
		if (sp.v[k].end > text.len || sp.v[k].start >= sp.v[k].end ||
		    (k && sp.v[k].start < sp.v[k - 1].end))
			abort();
		if ((text.data[sp.v[k].start] & 0xC0) == 0x80 ||
		    (sp.v[k].end < text.len && (text.data[sp.v[k].end] & 0xC0) == 0x80))
			abort();
	}
	for (int mode = 0; mode < 2; mode++) {
		pii_redactor r = {mode ? PII_REDACT_FAKE : PII_REDACT_TAG, "<{SHORT}>", 1};
		cur_buf_reset(&out);
		if (pii_redact(&r, text.data, text.len, &sp, &out))
			abort();
		if (out.len && cur_utf8_valid_prefix(out.data, out.len) != out.len)
			abort();
	}
out:
	pii_spans_release(&sp);
	cur_buf_release(&text);
	cur_buf_release(&out);
	return 0;
}
