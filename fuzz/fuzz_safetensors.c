/* libFuzzer target for the safetensors reader (model/safetensors.h): any
 * input is parsed as a whole file; every tensor the header accepts must lie
 * inside the input, so reading each one as floats may not go out of bounds.
 * Inputs that start with '{' are also tried as a config.json. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include "model/model.h"
#include "model/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	model_st *st;
	cur_err err;

	if (size && data[0] == '{') {
		json_t *j = json_loadb((const char *)data, size, 0, NULL);
		model_config c;
		if (j)
			model_config_from_json(j, &c, &err);
		json_decref(j);
	}
	if (model_st_parse(data, size, "fuzz", &st, &err) < 0)
		return 0;
	for (size_t i = 0; i < model_st_count(st); i++) {
		const model_st_tensor *t = model_st_at(st, i);
		if (t->count > (1u << 20))
			continue;
		float *out = malloc(t->count ? t->count * sizeof *out : 1);
		if (out && t->dtype != MODEL_DTYPE_OTHER)
			model_st_read(st, t, out, &err);
		free(out);
	}
	model_st_free(st);
	return 0;
}
