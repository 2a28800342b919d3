#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/doc.h"
#include "core/json_text.h"
#include "core/stage.h"
#include "core/utf8.h"

void cur_doc_init(cur_doc *d)
{
	memset(d, 0, sizeof(*d));
	d->drop_value = NAN;
}

static void doc_free_attached(cur_doc *d)
{
	cur_attach *a = d->attached, *next;

	for (; a; a = next) {
		next = a->next;
		if (a->free_fn)
			a->free_fn(a->ptr);
		free(a);
	}
	d->attached = NULL;
}

void cur_doc_release(cur_doc *d)
{
	free(d->text);
	free(d->raw);
	free(d->light);
	json_decref(d->obj);
	doc_free_attached(d);
	cur_doc_init(d);
}

static const char *obj_str(const json_t *obj, const char *key)
{
	const char *s = obj ? json_string_value(json_object_get(obj, key)) : NULL;

	return s ? s : "";
}

const char *cur_doc_id(const cur_doc *d)
{
	if (d->light)
		return d->light;
	return obj_str(d->obj, "id");
}

const char *cur_doc_source(const cur_doc *d)
{
	return obj_str(d->obj, "source");
}

json_t *cur_doc_metadata(cur_doc *d)
{
	json_t *m;

	if (!d->obj)
		d->obj = json_object();
	d->dirty = 1;
	m = json_object_get(d->obj, "metadata");
	if (!json_is_object(m)) {
		m = json_object();
		json_object_set_new(d->obj, "metadata", m);
	}
	return m;
}

const char *cur_doc_meta_str(const cur_doc *d, const char *key)
{
	if (d->light)
		return d->light_key && strcmp(key, d->light_key) == 0 ? d->light_meta : NULL;
	json_t *m = d->obj ? json_object_get(d->obj, "metadata") : NULL;
	const char *s = m ? json_string_value(json_object_get(m, key)) : NULL;

	if (!s && d->obj)
		s = json_string_value(json_object_get(d->obj, key));
	return s;
}

void cur_doc_take_text(cur_doc *d, char *s, size_t n)
{
	free(d->text);
	d->text = s;
	d->text_len = n;
	d->dirty = 1;
	d->raw_json = 0;
	d->text_edits++;
}

int cur_doc_set_text(cur_doc *d, const char *s, size_t n)
{
	char *copy = cur_strndup(s, n);

	if (!copy)
		return CUR_ENOMEM;
	cur_doc_take_text(d, copy, n);
	return CUR_OK;
}

int cur_doc_drop(cur_doc *d, const char *reason, double value)
{
	d->drop_reason = reason;
	d->drop_value = value;
	return CUR_DROP;
}

int cur_doc_attach(cur_doc *d, const void *key, void *ptr, void (*free_fn)(void *))
{
	cur_attach *a;

	for (a = d->attached; a; a = a->next) {
		if (a->key == key) {
			if (a->free_fn)
				a->free_fn(a->ptr);
			a->ptr = ptr;
			a->free_fn = free_fn;
			return CUR_OK;
		}
	}
	a = malloc(sizeof(*a));
	if (!a) {
		if (free_fn)
			free_fn(ptr);
		return CUR_ENOMEM;
	}
	a->key = key;
	a->ptr = ptr;
	a->free_fn = free_fn;
	a->next = d->attached;
	d->attached = a;
	return CUR_OK;
}

void *cur_doc_attached(const cur_doc *d, const void *key)
{
	const cur_attach *a;

	for (a = d->attached; a; a = a->next)
		if (a->key == key)
			return a->ptr;
	return NULL;
}

const char *cur_basename(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

/* A document read from a file without an id is named by its place. */
static int doc_default_id(cur_buf *b, const char *origin, uint64_t record)
{
	/* The file's base name keeps ids the same wherever the data lives. */
	const char *base = cur_basename(origin);

	if (!base || strcmp(base, "-") == 0)
		base = "stdin";
	return cur_buf_printf(b, "%s:%llu", base, (unsigned long long)record);
}

/* Integer ids (common in exported datasets) become strings so that every
 * stage can name a document the same way. */
static int doc_normalize_id(cur_doc *d, const char *origin, uint64_t record)
{
	json_t *id = json_object_get(d->obj, "id");
	char tmp[64];

	if (json_is_string(id))
		return CUR_OK;
	d->dirty = 1;
	if (json_is_integer(id)) {
		snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(id));
		return json_object_set_new(d->obj, "id", json_string(tmp)) ? CUR_ENOMEM : CUR_OK;
	}
	{
		cur_buf b;
		int rc;

		cur_buf_init(&b, CUR_BUF_UNLIMITED);
		rc = doc_default_id(&b, origin, record);
		if (rc == CUR_OK && json_object_set_new(d->obj, "id", json_string(b.data)))
			rc = CUR_ENOMEM;
		cur_buf_release(&b);
		return rc;
	}
}

int cur_doc_from_json(cur_doc *d, json_t *obj, const char *text_field,
		      const char *origin, uint64_t record, cur_err *err)
{
	json_t *text;

	if (!json_is_object(obj)) {
		json_decref(obj);
		err->reason = "not_an_object";
		return cur_err_set(err, CUR_EDATA, "%s:%llu: record is not a JSON object",
				   origin, (unsigned long long)record);
	}
	text = json_object_get(obj, text_field);
	if (!json_is_string(text)) {
		json_decref(obj);
		err->reason = text ? "text_not_string" : "missing_text";
		return cur_err_set(err, CUR_EDATA, "%s:%llu: %s field '%s'", origin,
				   (unsigned long long)record,
				   text ? "non-string" : "missing", text_field);
	}
	d->obj = obj;
	d->origin = origin;
	d->record = record;
	{
		char *copy = cur_strndup(json_string_value(text), json_string_length(text));

		if (!copy)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		free(d->text);
		d->text = copy;
		d->text_len = json_string_length(text);
	}
	d->raw_json = 0;
	/* The text lives in d->text; obj keeps a null in its place so the field
	 * order survives, and the output always names it "text". */
	if (strcmp(text_field, "text") != 0)
		json_object_del(obj, text_field);
	if (json_object_set_new(obj, "text", json_null()))
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return doc_normalize_id(d, origin, record) ?
		cur_err_set(err, CUR_ENOMEM, "out of memory") : CUR_OK;
}

/* Append the string p[0..n) (p[0] == '"') that cur_json_scan_light
 * accepted. */
static int light_string(cur_buf *b, const char *p, size_t n)
{
	size_t len, used;

	CUR_FORWARD(cur_buf_reserve(b, n));
	if (cur_json_decode_light(p, n, b->data + b->len, &len, &used))
		return CUR_EDATA;
	b->len += len;
	b->data[b->len] = '\0';
	return CUR_OK;
}

/* The id as cur_doc_from_json leaves it: a string as it is, an integer
 * printed, anything else "<file>:<record>". */
static int light_id(const cur_doc *d, const char *p, const cur_json_light *l, cur_buf *b)
{
	const char *v = l->id_at >= 0 ? p + l->id_at : NULL;
	char num[24];

	if (v && *v == '"')
		return light_string(b, v, l->id_len);
	/* The scan passed numbers of at most 18 characters, no exponent. */
	if (v && (*v == '-' || (*v >= '0' && *v <= '9')) && !memchr(v, '.', l->id_len)) {
		memcpy(num, v, l->id_len);
		num[l->id_len] = '\0';
		return cur_buf_printf(b, "%lld", strtoll(num, NULL, 10));
	}
	return doc_default_id(b, d->origin, d->record);
}

int cur_doc_parse_light(cur_doc *d, const char *text_field, const char *key)
{
	cur_json_light l;
	cur_buf b;
	char *p = d->text, *text;
	size_t n = d->text_len, meta = 0;
	int rc;

	if (d->raw_json != 1)
		return 0;
	/* The text is decoded while the line is checked, into a buffer of its
	 * own, so a record refused halfway stays intact for the full parse. */
	text = malloc(n + 1);
	if (!text)
		return 0;
	if (cur_json_scan_light(p, n, text_field, key, &l, text)) {
		free(text);
		return 0;
	}
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	rc = light_id(d, p, &l, &b);
	if (rc == CUR_OK)
		rc = cur_buf_putc(&b, '\0');
	if (rc == CUR_OK && l.meta_at >= 0) {
		meta = b.len;
		rc = light_string(&b, p + l.meta_at, l.meta_len);
	}
	if (rc != CUR_OK) {
		cur_buf_release(&b);
		free(text);
		return 0;
	}
	text[l.text_len] = '\0';
	free(d->text);
	d->text = text;
	d->text_len = l.text_len;
	d->raw_json = 0;
	d->light = cur_buf_detach(&b, NULL);
	d->light_key = key;
	d->light_meta = meta ? d->light + meta : NULL;
	return 1;
}

json_t *cur_json_string_repaired(const char *s)
{
	size_t n = strlen(s), repairs;
	cur_buf b;
	json_t *v;

	if (cur_utf8_valid_prefix(s, n) == n)
		return json_stringn(s, n);
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	v = cur_utf8_repair(s, n, &b, &repairs) ? NULL : json_stringn(b.data, b.len);
	cur_buf_release(&b);
	return v;
}

int cur_doc_new_text(cur_doc *d, const char *id, const char *text, size_t n,
		     const char *source)
{
	cur_buf b;
	size_t repairs = 0;
	int rc;

	cur_doc_init(d);
	d->obj = json_object();
	if (!d->obj)
		return CUR_ENOMEM;
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	rc = cur_utf8_repair(text, n, &b, &repairs);
	if (rc)
		goto out;
	if (json_object_set_new(d->obj, "id", cur_json_string_repaired(id ? id : "")) ||
	    json_object_set_new(d->obj, "text", json_null()) ||
	    (source && json_object_set_new(d->obj, "source", cur_json_string_repaired(source)))) {
		rc = CUR_ENOMEM;
		goto out;
	}
	d->utf8_repairs = repairs;
	{
		size_t len;
		char *s = cur_buf_detach(&b, &len);

		cur_doc_take_text(d, s, len);
	}
out:
	cur_buf_release(&b);
	return rc;
}

json_t *cur_drop_json(const cur_doc *d)
{
	json_t *c = json_object();

	json_object_set_new(c, "dropped_by", json_string(d->drop_reason));
	if (!isnan(d->drop_value))
		json_object_set_new(c, "value", json_real(d->drop_value));
	return c;
}

int cur_doc_note_drop(cur_doc *d)
{
	json_t *m = cur_doc_metadata(d), *c, *v;

	if (!m)
		return CUR_ENOMEM;
	c = json_object_get(m, "curate");
	if (!json_is_object(c)) {
		c = json_object();
		json_object_set_new(m, "curate", c);
	}
	v = cur_drop_json(d);
	json_object_update(c, v);
	json_decref(v);
	return CUR_OK;
}

static int dump_to_buf(const char *p, size_t n, void *data)
{
	return cur_buf_append(data, p, n) ? -1 : 0;
}

int cur_doc_to_json(cur_doc *d, cur_buf *out)
{
	const char *key;
	json_t *v;
	int first = 1, wrote_text = 0;

	if (d->raw_json == 2) {
		CUR_FORWARD(cur_buf_append(out, d->text, d->text_len));
		return cur_buf_putc(out, '\n');
	}
	if (d->raw && !d->dirty) {
		/* Unchanged since it was read: the record itself, minified. */
		size_t text_len, len = cur_json_minify_inplace(d->raw, d->raw_len, "text", &text_len);

		if (len) {
			d->raw_len = len;
			CUR_FORWARD(cur_buf_append(out, d->raw, len));
			return cur_buf_putc(out, '\n');
		}
	}
	CUR_FORWARD(cur_buf_putc(out, '{'));
	json_object_foreach(d->obj, key, v) {
		if (!first)
			CUR_FORWARD(cur_buf_putc(out, ','));
		first = 0;
		CUR_FORWARD(cur_json_encode_string(key, strlen(key), out));
		CUR_FORWARD(cur_buf_putc(out, ':'));
		if (strcmp(key, "text") == 0) {
			CUR_FORWARD(cur_json_encode_string(d->text ? d->text : "", d->text_len, out));
			wrote_text = 1;
		} else if (json_dump_callback(v, dump_to_buf, out, JSON_COMPACT | JSON_ENCODE_ANY)) {
			return CUR_ENOMEM;
		}
	}
	if (!wrote_text) {
		CUR_FORWARD(cur_buf_append(out, first ? "\"text\":" : ",\"text\":", first ? 7 : 8));
		CUR_FORWARD(cur_json_encode_string(d->text ? d->text : "", d->text_len, out));
	}
	return cur_buf_append(out, "}\n", 2);
}
