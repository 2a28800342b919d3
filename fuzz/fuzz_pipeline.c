/* libFuzzer: arbitrary bytes as a pipeline file, through the YAML loader
 * (JSON with where each value was written; a key twice, aliases, a second
 * document) and the checks `curate run` makes before anything runs
 * (bin/run_plan.c). Whatever the bytes: the loader refuses them at a line
 * and column of the file, or every member of the tree it made has a place,
 * and the check says yes or names one mistake. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bin/cli.h"
#include "core/yaml.h"

static void all_placed(const cur_yaml *y, json_t *v, int depth)
{
	unsigned line, col;
	const char *key;
	json_t *x;
	size_t i;

	if (depth > 70)
		abort(); /* the loader stops at 64 */
	if (json_is_object(v)) {
		json_object_foreach(v, key, x) {
			if (cur_yaml_where(y, v, key, 0, 1, &line, &col) || !line || !col)
				abort();
			all_placed(y, x, depth + 1);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (cur_yaml_where(y, v, NULL, i, 0, &line, &col) || !line || !col)
				abort();
			all_placed(y, x, depth + 1);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *quiet;
	cur_yaml *y;
	cur_err err;
	int rc;

	if (!quiet && !(quiet = fopen("/dev/null", "w")))
		return 0;
	rc = cur_yaml_load("fuzz.yaml", (const char *)data, size, &y, &err);
	if (rc != CUR_OK) {
		if (rc != CUR_ENOMEM && strncmp(err.msg, "fuzz.yaml:", 10) != 0)
			abort();
		return 0;
	}
	all_placed(y, cur_yaml_root(y), 0);
	rc = cli_pipeline_check("run", y, quiet);
	if (rc != 0 && rc != 2)
		abort();
	cur_yaml_free(y);
	return 0;
}
