/* libFuzzer target: the report page from any JSON (curate report reads
 * whatever file it is given). Checks that the page is valid UTF-8 and that
 * nothing from the input becomes markup: no <script, whatever the names. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "core/utf8.h"
#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *r = json_loadb((const char *)data, size, 0, NULL);
	rpt_opts o = { "file:///docs/", "fuzz.json" };
	cur_buf out;
	cur_err err;

	if (!r)
		return 0;
	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	if (rpt_html(r, &o, &out, &err) == CUR_OK) {
		if (cur_utf8_valid_prefix(out.data, out.len) != out.len)
			abort();
		if (memmem(out.data, out.len, "<script", 7))
			abort();
	}
	cur_buf_release(&out);
	json_decref(r);
	return 0;
}
