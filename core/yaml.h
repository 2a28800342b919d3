/* A YAML configuration file as JSON, with where each value was written.
 *
 * Stages take their options as a JSON object, whichever way the options
 * came (core/options.h); a pipeline file is YAML (libyaml) turned into the
 * same JSON, and its mistakes are reported at FILE:LINE:COLUMN. Plain
 * scalars become true/false (true, yes, false, no), null (null, ~, empty),
 * integers and finite reals; everything else, and every quoted scalar, is a
 * string. The loader refuses what JSON cannot say or what would be read two
 * ways: a key twice in one mapping, a key that is not a scalar, nesting
 * deeper than 64 and documents that aliases blow up past 100,000 values. */
#ifndef CUR_YAML_H
#define CUR_YAML_H

#include <stddef.h>
#include <jansson.h>
#include "core/error.h"

typedef struct cur_yaml cur_yaml;

/* cur_yaml_load: parse p[0..n), a file called name (borrowed, for
 * messages). OUT: *out, freed with cur_yaml_free. Errors: CUR_EDATA with
 * "NAME:LINE:COLUMN: what" in err, CUR_ENOMEM. */
int cur_yaml_load(const char *name, const char *p, size_t n, cur_yaml **out, cur_err *err);

/* cur_yaml_load_file: the same for the file at path (CUR_EIO when it
 * cannot be read). */
int cur_yaml_load_file(const char *path, cur_yaml **out, cur_err *err);

/* cur_yaml_root: the document as JSON (borrowed from y). */
json_t *cur_yaml_root(const cur_yaml *y);

/* cur_yaml_name: the file's name as given to the loader. */
const char *cur_yaml_name(const cur_yaml *y);

/* cur_yaml_where: where a value of the tree was written (1-based): the
 * member key of the object parent (its key when of_key, else its value),
 * or the element index of the array parent (key NULL). parent NULL is the
 * root. Returns 0, or -1 when parent or the member is not in the tree. */
int cur_yaml_where(const cur_yaml *y, const json_t *parent, const char *key, size_t index,
		   int of_key, unsigned *line, unsigned *column);

void cur_yaml_free(cur_yaml *y);

#endif
