/* libFuzzer: any bytes as text for the Llama 3 tokenizer, both modes:
 * decode(encode(x)) == x, and the scanner's pieces tile the input. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "tokenizer/pretok.h"
#include "tokenizer/tokenizer.h"

static tok_tokenizer *tok;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cur_err err;
	tok_ids ids;
	cur_buf out;
	size_t pos = 0;

	if (!tok && tok_load(NULL, &tok, &err) != CUR_OK)
		abort();
	while (pos < size) {
		size_t end = tok_pretok_next(data, size, pos);
		if (end <= pos || end > size)
			abort();
		pos = end;
	}
	tok_ids_init(&ids);
	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	for (int allow = 0; allow < 2; allow++) {
		ids.len = 0;
		cur_buf_reset(&out);
		if (tok_encode(tok, (const char *)data, size, allow, &ids) != CUR_OK ||
		    tok_decode(tok, ids.ids, ids.len, &out) != CUR_OK || out.len != size ||
		    (size && memcmp(out.data, data, size) != 0))
			abort();
	}
	tok_ids_release(&ids);
	cur_buf_release(&out);
	return 0;
}
