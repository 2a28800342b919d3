/* libFuzzer: any bytes as a tokenizer file (tiktoken or tokenizer.json).
 * Loading either fails cleanly or gives a tokenizer that round-trips text. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "tokenizer/tok_extra.h"
#include "tokenizer/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char text[] = "Hello, world! 'tis 123456 <|begin_of_text|>\n\n  x";
	tok_tokenizer *t;
	cur_err err;
	tok_ids ids;
	cur_buf out;

	if (tok_load_buffer("fuzz", data, size, &t, &err) != CUR_OK)
		return 0;
	tok_ids_init(&ids);
	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	for (int allow = 0; allow < 2; allow++) {
		ids.len = 0;
		cur_buf_reset(&out);
		if (tok_encode(t, text, sizeof(text) - 1, allow, &ids) != CUR_OK ||
		    tok_decode(t, ids.ids, ids.len, &out) != CUR_OK || out.len != sizeof(text) - 1 ||
		    memcmp(out.data, text, out.len) != 0)
			abort();
	}
	tok_ids_release(&ids);
	cur_buf_release(&out);
	tok_free(t);
	return 0;
}
