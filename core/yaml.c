#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "core/buf.h"
#include "core/yaml.h"

#define MAX_DEPTH 64
#define MAX_VALUES 100000
#define MAX_FILE ((size_t)16 << 20)

/* Where one member (or element) of the tree was written. */
typedef struct mark {
	const json_t *parent;
	char *key;            /* NULL for an array element */
	size_t index;
	unsigned kline, kcol; /* the key's position (the value's for an element) */
	unsigned vline, vcol;
} mark;

struct cur_yaml {
	const char *name;
	json_t *root;
	mark *marks;
	size_t n, cap;
	size_t values;
	unsigned line, col;   /* the root's */
};

typedef struct build {
	cur_yaml *y;
	yaml_document_t *doc;
	cur_err *err;
} build;

static int fail_at(build *b, yaml_mark_t at, const char *what, const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), what, arg);
	return cur_err_set(b->err, CUR_EDATA, "%s:%zu:%zu: %s", b->y->name, at.line + 1,
			   at.column + 1, msg);
}

static int note(build *b, const json_t *parent, const char *key, size_t index, yaml_mark_t k,
		yaml_mark_t v)
{
	cur_yaml *y = b->y;
	mark *m;

	if (y->n == y->cap) {
		size_t cap = y->cap ? y->cap * 2 : 64;
		mark *p = realloc(y->marks, cap * sizeof(*p));

		if (!p)
			return cur_err_set(b->err, CUR_ENOMEM, "out of memory");
		y->marks = p;
		y->cap = cap;
	}
	m = &y->marks[y->n];
	m->key = key ? strdup(key) : NULL;
	if (key && !m->key)
		return cur_err_set(b->err, CUR_ENOMEM, "out of memory");
	y->n++;
	m->parent = parent;
	m->index = index;
	m->kline = (unsigned)k.line + 1;
	m->kcol = (unsigned)k.column + 1;
	m->vline = (unsigned)v.line + 1;
	m->vcol = (unsigned)v.column + 1;
	return CUR_OK;
}

/* Plain words as JSON literals and numbers; the rest as strings (NULL when
 * the text is not JSON's: invalid UTF-8). */
static json_t *scalar(const yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	char *end;

	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		long long v;
		double d;

		if (!strcmp(s, "true") || !strcmp(s, "yes"))
			return json_true();
		if (!strcmp(s, "false") || !strcmp(s, "no"))
			return json_false();
		if (!strcmp(s, "null") || !strcmp(s, "~") || len == 0)
			return json_null();
		errno = 0;
		v = strtoll(s, &end, 10);
		if (!errno && end != s && *end == '\0')
			return json_integer(v);
		errno = 0;
		d = strtod(s, &end);
		if (!errno && end != s && *end == '\0' && isfinite(d))
			return json_real(d);
	}
	return json_stringn(s, len);
}

static json_t *convert(build *b, yaml_node_t *n, int depth);

static json_t *sequence(build *b, yaml_node_t *n, int depth)
{
	json_t *out = json_array();
	yaml_node_item_t *it;

	for (it = n->data.sequence.items.start; out && it < n->data.sequence.items.top; it++) {
		yaml_node_t *v = yaml_document_get_node(b->doc, *it);
		json_t *x = convert(b, v, depth + 1);

		if (!x || note(b, out, NULL, json_array_size(out), v->start_mark, v->start_mark) ||
		    json_array_append_new(out, x)) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static json_t *mapping(build *b, yaml_node_t *n, int depth)
{
	json_t *out = json_object();
	yaml_node_pair_t *p;

	for (p = n->data.mapping.pairs.start; out && p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(b->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(b->doc, p->value);
		const char *key;
		unsigned line, col;
		json_t *x;

		if (!k || !v || k->type != YAML_SCALAR_NODE) {
			fail_at(b, k ? k->start_mark : n->start_mark, "a key must be a word%s", "");
			goto fail;
		}
		key = (const char *)k->data.scalar.value;
		if (strlen(key) != k->data.scalar.length) {
			fail_at(b, k->start_mark, "a key with a NUL byte%s", "");
			goto fail;
		}
		if (json_object_get(out, key)) {
			char first[64];

			cur_yaml_where(b->y, out, key, 0, 1, &line, &col);
			snprintf(first, sizeof(first), "%u", line);
			fail_at(b, k->start_mark, "a key twice in one mapping (the first is on line %s)",
				first);
			goto fail;
		}
		x = convert(b, v, depth + 1);
		if (!x || note(b, out, key, 0, k->start_mark, v->start_mark) ||
		    json_object_set_new(out, key, x)) {
			if (x && !b->err->code)
				fail_at(b, k->start_mark, "a key that is not valid UTF-8%s", "");
			goto fail;
		}
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

static json_t *convert(build *b, yaml_node_t *n, int depth)
{
	json_t *x;

	if (!n) {
		cur_err_set(b->err, CUR_EDATA, "%s: a broken YAML document", b->y->name);
		return NULL;
	}
	if (depth > MAX_DEPTH) {
		fail_at(b, n->start_mark, "nested deeper than %s levels", "64");
		return NULL;
	}
	/* Aliases share nodes: a few lines can name millions of values. */
	if (++b->y->values > MAX_VALUES) {
		fail_at(b, n->start_mark, "more than %s values (aliases repeated?)", "100000");
		return NULL;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE:
		x = scalar(n);
		if (!x)
			fail_at(b, n->start_mark, "a value that is not valid UTF-8%s", "");
		return x;
	case YAML_SEQUENCE_NODE:
		return sequence(b, n, depth);
	case YAML_MAPPING_NODE:
		return mapping(b, n, depth);
	default:
		fail_at(b, n->start_mark, "an empty node%s", "");
		return NULL;
	}
}

static int parse_failed(cur_yaml *y, yaml_parser_t *parser, cur_err *err)
{
	if (parser->error == YAML_MEMORY_ERROR)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return cur_err_set(err, CUR_EDATA, "%s:%zu:%zu: %s%s%s", y->name,
			   parser->problem_mark.line + 1, parser->problem_mark.column + 1,
			   parser->problem ? parser->problem : "invalid YAML",
			   parser->context ? " " : "", parser->context ? parser->context : "");
}

int cur_yaml_load(const char *name, const char *p, size_t n, cur_yaml **out, cur_err *err)
{
	cur_yaml *y = calloc(1, sizeof(*y));
	yaml_parser_t parser;
	yaml_document_t doc, next;
	build b = { y, &doc, err };
	int rc = CUR_OK;

	*out = NULL;
	if (!y || !yaml_parser_initialize(&parser)) {
		free(y);
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	cur_err_clear(err);
	y->name = name;
	yaml_parser_set_input_string(&parser, (const unsigned char *)p, n);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = parse_failed(y, &parser, err);
		goto out;
	}
	if (!yaml_document_get_root_node(&doc)) {
		y->root = json_null(); /* an empty file */
		y->line = y->col = 1;
	} else {
		yaml_node_t *root = yaml_document_get_root_node(&doc);

		y->line = (unsigned)root->start_mark.line + 1;
		y->col = (unsigned)root->start_mark.column + 1;
		y->root = convert(&b, root, 0);
		if (!y->root)
			rc = err->code ? err->code : CUR_ENOMEM;
	}
	yaml_document_delete(&doc);
	/* A second document would be silently left out. */
	if (rc == CUR_OK) {
		if (!yaml_parser_load(&parser, &next)) {
			rc = parse_failed(y, &parser, err);
		} else {
			yaml_node_t *extra = yaml_document_get_root_node(&next);

			if (extra)
				rc = cur_err_set(err, CUR_EDATA, "%s:%zu:%zu: a second YAML document "
						 "(one pipeline per file)", name,
						 extra->start_mark.line + 1, extra->start_mark.column + 1);
			yaml_document_delete(&next);
		}
	}
out:
	yaml_parser_delete(&parser);
	if (rc != CUR_OK) {
		cur_yaml_free(y);
		return rc;
	}
	*out = y;
	return CUR_OK;
}

int cur_yaml_load_file(const char *path, cur_yaml **out, cur_err *err)
{
	FILE *f = fopen(path, "rb");
	cur_buf b;
	char chunk[65536];
	size_t got;
	int rc = CUR_OK;

	*out = NULL;
	if (!f)
		return cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path, strerror(errno));
	cur_buf_init(&b, MAX_FILE);
	while (rc == CUR_OK && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = cur_buf_append(&b, chunk, got);
	if (rc == CUR_OK && ferror(f))
		rc = cur_err_set(err, CUR_EIO, "cannot read '%s': %s", path, strerror(errno));
	else if (rc == CUR_ELIMIT)
		rc = cur_err_set(err, CUR_EDATA, "%s: larger than 16 MiB: not a pipeline file", path);
	else if (rc != CUR_OK)
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
	fclose(f);
	if (rc == CUR_OK)
		rc = cur_yaml_load(path, b.data ? b.data : "", b.len, out, err);
	cur_buf_release(&b);
	return rc;
}

json_t *cur_yaml_root(const cur_yaml *y)
{
	return y->root;
}

const char *cur_yaml_name(const cur_yaml *y)
{
	return y->name;
}

int cur_yaml_where(const cur_yaml *y, const json_t *parent, const char *key, size_t index,
		   int of_key, unsigned *line, unsigned *column)
{
	size_t i;

	*line = *column = 0;
	if (!parent) {
		*line = y->line;
		*column = y->col;
		return 0;
	}
	for (i = 0; i < y->n; i++) {
		const mark *m = &y->marks[i];

		if (m->parent != parent || (key ? !m->key || strcmp(m->key, key) != 0 :
					    m->key || m->index != index))
			continue;
		*line = of_key ? m->kline : m->vline;
		*column = of_key ? m->kcol : m->vcol;
		return 0;
	}
	return -1;
}

void cur_yaml_free(cur_yaml *y)
{
	size_t i;

	if (!y)
		return;
	for (i = 0; i < y->n; i++)
		free(y->marks[i].key);
	free(y->marks);
	json_decref(y->root);
	free(y);
}
