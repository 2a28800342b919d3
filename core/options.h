/* Declarative option specs: a stage lists its options once; the CLI builds
 * getopt_long from them and the pipeline file uses the same names.
 *
 * An option --foo-bar becomes the config key "foo_bar" in the stage's JSON
 * config object: FLAG -> true, INT -> integer, NUM -> real, STR -> string,
 * LIST -> array of strings (the option may repeat). */
#ifndef CUR_OPTIONS_H
#define CUR_OPTIONS_H

#include <stdint.h>
#include <jansson.h>
#include "core/error.h"

enum cur_opt_kind { CUR_OPT_FLAG, CUR_OPT_INT, CUR_OPT_NUM, CUR_OPT_STR, CUR_OPT_LIST };

typedef struct cur_opt_spec {
	const char *name;     /* long option name without "--" */
	enum cur_opt_kind kind;
	const char *arg;      /* argument name for help, e.g. "N" (NULL for FLAG) */
	const char *help;     /* one line */
	const char *def;      /* the default as help shows it (NULL: off for a FLAG,
			       * none otherwise) */
} cur_opt_spec;

/* Typed getters over a config object; a missing key gives def. A present key
 * of the wrong type is CUR_EINVAL with a message naming it. */
int cur_cfg_int(json_t *cfg, const char *key, int64_t def, int64_t *out, cur_err *err);
int cur_cfg_num(json_t *cfg, const char *key, double def, double *out, cur_err *err);
int cur_cfg_bool(json_t *cfg, const char *key, int def, int *out, cur_err *err);
/* The string is borrowed from cfg. */
int cur_cfg_str(json_t *cfg, const char *key, const char *def, const char **out, cur_err *err);
/* cur_opt_find: the spec of the config key key (with _ for -), or NULL. */
const cur_opt_spec *cur_opt_find(const cur_opt_spec *specs, const char *key);
/* cur_cfg_each: call fn for each item of a LIST option: a string or an
 * array of strings, each a comma-separated list (empty items skipped); the
 * item is not NUL-terminated. Stops at fn's first error. */
int cur_cfg_each(json_t *cfg, const char *key,
		 int (*fn)(void *arg, const char *item, size_t n, cur_err *err), void *arg,
		 cur_err *err);
/* cur_cfg_check_keys: CUR_EINVAL naming the first key of cfg not in specs
 * (and listing the valid ones). */
int cur_cfg_check_keys(json_t *cfg, const cur_opt_spec *specs, const char *stage, cur_err *err);
/* cur_parse_size: "512M", "2G", "64KB", "1000" -> bytes (K, M, G, T are
 * powers of 1024; a trailing B is allowed). CUR_EINVAL when bad. */
int cur_parse_size(const char *s, uint64_t *out);

#endif
