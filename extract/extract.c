#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/error.h"
#include "extract/ext_int.h"
#include "extract/extract.h"

struct ext_extractor {
	ext_options o;
	ext_parser *parser;
	ext_tree tree;
	cur_buf out;
};

void ext_options_init(ext_options *o)
{
	o->all_text = 0;
	o->alt_text = 0;
	o->max_depth = 256;
}

void ext_init(void)
{
	ext_parser_init();
}

ext_extractor *ext_extractor_new(const ext_options *o)
{
	ext_extractor *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	if (o)
		x->o = *o;
	else
		ext_options_init(&x->o);
	if (!x->o.max_depth)
		x->o.max_depth = 256;
	x->parser = ext_parser_new();
	if (!x->parser) {
		free(x);
		return NULL;
	}
	ext_tree_init(&x->tree);
	cur_buf_init(&x->out, CUR_BUF_UNLIMITED);
	return x;
}

void ext_extractor_free(ext_extractor *x)
{
	if (!x)
		return;
	ext_parser_free(x->parser);
	ext_tree_release(&x->tree);
	cur_buf_release(&x->out);
	free(x);
}

int ext_extract(ext_extractor *x, const char *html, size_t n, ext_result *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	cur_buf_reset(&x->out);
	rc = ext_parse(x->parser, html, n, x->o.max_depth, &x->tree);
	if (rc)
		return rc;
	ext_select(&x->tree, x->o.all_text);
	rc = ext_render(&x->tree, x->o.alt_text, &x->out);
	if (rc)
		return rc;
	out->text = x->out.data ? x->out.data : "";
	out->text_len = x->out.len;
	out->title = x->tree.title.data ? x->tree.title.data : "";
	/* A title cut mid-way may end in a space. */
	if (x->tree.title.len && x->tree.title.data[x->tree.title.len - 1] == ' ')
		x->tree.title.data[--x->tree.title.len] = '\0';
	out->lang = x->tree.lang;
	out->truncated = x->tree.truncated;
	return CUR_OK;
}

static size_t skip_blank(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f'))
		i++;
	return i;
}

int ext_looks_like_html(const char *s, size_t n)
{
	size_t i = 0;

	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	for (;;) {
		i = skip_blank(s, n, i);
		if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
			const char *end = memmem(s + i + 4, n - i - 4, "-->", 3);

			if (!end)
				return 0;
			i = (size_t)(end - s) + 3;
			continue;
		}
		if (n - i >= 5 && memcmp(s + i, "<?xml", 5) == 0) {
			const char *end = memmem(s + i, n - i, "?>", 2);

			if (!end)
				return 0;
			i = (size_t)(end - s) + 2;
			continue;
		}
		break;
	}
	if (n - i >= 14 && strncasecmp(s + i, "<!doctype html", 14) == 0)
		return 1;
	return n - i >= 6 && strncasecmp(s + i, "<html", 5) == 0 &&
	       (s[i + 5] == '>' || s[i + 5] == ' ' || s[i + 5] == '\t' || s[i + 5] == '\n' ||
		s[i + 5] == '\r');
}
