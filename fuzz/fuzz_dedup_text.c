/* libFuzzer: dedup's text normalization on any (repaired) UTF-8: words and
 * shingles (whole and streamed must agree), exact-dedup text, lines, URLs,
 * dates. Outputs must be valid UTF-8 and normalizing twice changes nothing
 * more (the exact hash must not depend on how often a text was cleaned). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/utf8.h"
#include "dedup/dd_int.h"
#include "dedup/dedup.h"

static void emit_count(void *arg, const uint64_t *sh, size_t n)
{
	(void)sh;
	*(size_t *)arg += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cur_buf in, a, b;
	dd_u64vec tok = { 0 }, sh = { 0 }, sh2 = { 0 };
	size_t repairs = 0, streamed = 0;
	int ngram = size ? 1 + data[0] % 6 : 5, empty;

	cur_buf_init(&in, CUR_BUF_UNLIMITED);
	cur_buf_init(&a, CUR_BUF_UNLIMITED);
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	if (cur_utf8_repair((const char *)data, size, &in, &repairs) != CUR_OK)
		abort();
	cur_buf_putc(&in, 0);
	in.len--;
	const char *s = in.data ? in.data : "";

	if (dd_shingles(s, in.len, ngram, 7, &tok, &sh) != CUR_OK || sh.n == 0)
		abort();
	if (dd_shingle_stream(s, in.len, ngram, 7, &tok, &sh2, emit_count, &streamed) != CUR_OK ||
	    streamed != sh.n)
		abort();
	for (int lower = 0; lower < 2; lower++) {
		a.len = b.len = 0;
		if (dd_norm_text(s, in.len, lower, &a) != CUR_OK)
			abort();
		if (cur_utf8_valid_prefix(a.data ? a.data : "", a.len) != a.len)
			abort();
		if (!lower) {
			if (dd_norm_text(a.data ? a.data : "", a.len, 0, &b) != CUR_OK ||
			    a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0))
				abort();
		}
	}
	dd_line_hash(s, in.len, 1, 3, &empty);
	if (dd_doc_lines(s, in.len, 0, 3, &tok) != CUR_OK)
		abort();
	a.len = 0;
	if (dd_norm_url(s, &a) == CUR_OK && cur_utf8_valid_prefix(a.data, a.len) != a.len)
		abort();
	(void)dd_parse_date(s);
	dd_u64vec_release(&tok);
	dd_u64vec_release(&sh);
	dd_u64vec_release(&sh2);
	cur_buf_release(&in);
	cur_buf_release(&a);
	cur_buf_release(&b);
	return 0;
}
