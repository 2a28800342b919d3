/* libFuzzer target: the filter's one-pass scanner and every rule set (the
 * text parser of filters/) on arbitrary bytes, repaired to UTF-8 first as
 * the readers do. Build with ./configure --enable-fuzz CC=clang. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/utf8.h"
#include "filters/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static flt_engine *e;
	static flt_worker *w;
	if (!e) {
		json_t *cfg = json_pack("{s:s, s:[s]}", "rules",
					"length,gopher-quality,gopher-repetition,c4,fineweb,safety,llama3",
					"set", "llama3.max_kl=off");
		cur_err err;
		if (flt_engine_new(cfg, NULL, &e, &err) < 0)
			__builtin_trap();
		json_decref(cfg);
		w = flt_worker_new(e);
	}
	cur_buf b;
	size_t repairs;
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	if (cur_utf8_repair((const char *)data, size, &b, &repairs) == CUR_OK) {
		flt_verdict v;
		json_t *scores = json_object();
		flt_judge(w, b.data ? b.data : "", b.len, "http://a.b/c", scores, &v);
		flt_judge(w, b.data ? b.data : "", b.len, NULL, NULL, &v);
		json_decref(scores);
	}
	cur_buf_release(&b);
	return 0;
}
