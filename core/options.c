#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/options.h"

int cur_cfg_int(json_t *cfg, const char *key, int64_t def, int64_t *out, cur_err *err)
{
	json_t *v = cfg ? json_object_get(cfg, key) : NULL;

	*out = def;
	if (!v)
		return CUR_OK;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return CUR_OK;
	}
	if (json_is_real(v) && json_real_value(v) == (double)(int64_t)json_real_value(v)) {
		*out = (int64_t)json_real_value(v);
		return CUR_OK;
	}
	return cur_err_set(err, CUR_EINVAL, "option '%s' wants an integer", key);
}

int cur_cfg_num(json_t *cfg, const char *key, double def, double *out, cur_err *err)
{
	json_t *v = cfg ? json_object_get(cfg, key) : NULL;

	*out = def;
	if (!v)
		return CUR_OK;
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return CUR_OK;
	}
	return cur_err_set(err, CUR_EINVAL, "option '%s' wants a number", key);
}

int cur_cfg_bool(json_t *cfg, const char *key, int def, int *out, cur_err *err)
{
	json_t *v = cfg ? json_object_get(cfg, key) : NULL;

	*out = def;
	if (!v)
		return CUR_OK;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return CUR_OK;
	}
	if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
		*out = (int)json_integer_value(v);
		return CUR_OK;
	}
	return cur_err_set(err, CUR_EINVAL, "option '%s' wants true or false", key);
}

int cur_cfg_str(json_t *cfg, const char *key, const char *def, const char **out, cur_err *err)
{
	json_t *v = cfg ? json_object_get(cfg, key) : NULL;

	*out = def;
	if (!v)
		return CUR_OK;
	if (json_is_string(v)) {
		*out = json_string_value(v);
		return CUR_OK;
	}
	return cur_err_set(err, CUR_EINVAL, "option '%s' wants a string", key);
}

static int each_in_string(const char *s, int (*fn)(void *, const char *, size_t, cur_err *),
			  void *arg, cur_err *err)
{
	while (*s) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);

		if (n)
			CUR_FORWARD(fn(arg, s, n, err));
		s += n + (comma != NULL);
	}
	return CUR_OK;
}

int cur_cfg_each(json_t *cfg, const char *key,
		 int (*fn)(void *arg, const char *item, size_t n, cur_err *err), void *arg,
		 cur_err *err)
{
	json_t *v = cfg ? json_object_get(cfg, key) : NULL, *x;
	size_t i;

	if (!v)
		return CUR_OK;
	if (json_is_string(v))
		return each_in_string(json_string_value(v), fn, arg, err);
	if (!json_is_array(v))
		return cur_err_set(err, CUR_EINVAL, "option '%s' wants a list of names", key);
	json_array_foreach(v, i, x) {
		if (!json_is_string(x))
			return cur_err_set(err, CUR_EINVAL, "option '%s' wants a list of names", key);
		CUR_FORWARD(each_in_string(json_string_value(x), fn, arg, err));
	}
	return CUR_OK;
}

/* Config keys use '_' where option names use '-'. */
static int key_matches(const char *key, const char *name)
{
	for (; *key && *name; key++, name++)
		if (*key != *name && !(*key == '_' && *name == '-'))
			return 0;
	return *key == *name;
}

const cur_opt_spec *cur_opt_find(const cur_opt_spec *specs, const char *key)
{
	const cur_opt_spec *s;

	for (s = specs; s && s->name; s++)
		if (key_matches(key, s->name))
			return s;
	return NULL;
}

int cur_cfg_check_keys(json_t *cfg, const cur_opt_spec *specs, const char *stage, cur_err *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(cfg, key, v) {
		const cur_opt_spec *s;
		cur_buf names;
		int rc;

		(void)v;
		if (cur_opt_find(specs, key))
			continue;
		cur_buf_init(&names, 4096);
		for (s = specs; s && s->name; s++)
			cur_buf_printf(&names, "%s%s", s == specs ? "" : ", ", s->name);
		rc = cur_err_set(err, CUR_EINVAL, "%s: unknown option '%s' (valid: %s)", stage, key,
				 names.data ? names.data : "none");
		cur_buf_release(&names);
		return rc;
	}
	return CUR_OK;
}

int cur_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	if (!s || !*s || *s == '-')
		return CUR_EINVAL;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	case 't': case 'T': v <<= 40; end++; break;
	default: break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || end == s)
		return CUR_EINVAL;
	*out = v;
	return CUR_OK;
}
