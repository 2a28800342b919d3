#include "config.h"

#include <string.h>
#include "core/error.h"
#include "extract/ext_int.h"

/* The kept subtrees as plain text: blocks on lines of their own, a blank
 * line around paragraphs, headings, lists and tables, table cells separated
 * by a tab and rows on lines, pre verbatim, math as LaTeX between $ signs
 * ($$ for display math). No markup of any kind is added. */

enum { SEP_NONE, SEP_SPACE, SEP_TAB, SEP_LINE, SEP_BLANK };

typedef struct render {
	const ext_tree *t;
	cur_buf *out;
	int sep;          /* separator owed before the next text */
	int pre;          /* inside pre: text as it is */
	int math;         /* inside math without TeX: token text only */
	int after_br;     /* nothing written since the last br */
	int link;         /* inside a link */
	int alt_text;     /* write the alt text of pictures */
	size_t row_start; /* out->len when the current table row began */
	int rc;
} render;

static void want(render *r, int sep)
{
	if (sep > r->sep)
		r->sep = sep;
}

static void put(render *r, const char *s, size_t n)
{
	static const char *const seps[] = {"", " ", "\t", "\n", "\n\n"};

	if (!n || r->rc)
		return;
	if (r->out->len && r->sep) {
		const char *sep = seps[r->sep];

		if (cur_buf_append(r->out, sep, strlen(sep)))
			r->rc = CUR_ENOMEM;
	}
	r->sep = SEP_NONE;
	r->after_br = 0;
	if (cur_buf_append(r->out, s, n))
		r->rc = CUR_ENOMEM;
}

/* A run of collapsed text: its edge spaces become owed separators. */
static void put_flow(render *r, const char *s, size_t n)
{
	int leading = n && s[0] == ' ';

	s += leading;
	n -= (size_t)leading;
	int trailing = n && s[n - 1] == ' ';

	n -= (size_t)trailing;
	/* MathML tokens are written next to each other: their blanks are
	 * the source's layout. */
	if (r->math) {
		put(r, s, n);
		return;
	}
	if (leading)
		want(r, SEP_SPACE);
	put(r, s, n);
	if (trailing)
		want(r, SEP_SPACE);
}

static void put_pre(render *r, const char *s, size_t n, int first)
{
	if (first && n && s[0] == '\n') {
		s++;
		n--;
	}
	put(r, s, n);
}

/* LaTeX between dollars; text that brings its own delimiters keeps them. */
static void put_tex(render *r, const char *s, size_t n, int display)
{
	while (n && (s[0] == ' ' || s[0] == '\n' || s[0] == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t'))
		n--;
	/* MediaWiki wraps every formula in {\displaystyle ...}. */
	if (n > 16 && memcmp(s, "{\\displaystyle ", 15) == 0 && s[n - 1] == '}') {
		s += 15;
		n -= 16;
		while (n && s[n - 1] == ' ')
			n--;
	}
	if (!n)
		return;
	if (s[0] == '$' || (n > 1 && s[0] == '\\' && (s[1] == '(' || s[1] == '['))) {
		put(r, s, n);
		return;
	}
	if (display)
		want(r, SEP_LINE);
	put(r, display ? "$$" : "$", display ? 2 : 1);
	r->sep = SEP_NONE;
	put(r, s, n);
	r->sep = SEP_NONE;
	put(r, display ? "$$" : "$", display ? 2 : 1);
	if (display)
		want(r, SEP_LINE);
}

/* The TeX annotation inside a math element, if it has one. */
static const ext_item *tex_annotation(const ext_tree *t, const ext_node *math)
{
	for (uint32_t i = math->open + 1; i < math->close; i++) {
		const ext_item *it = &t->items[i];

		if (it->kind == IT_TEXT && (t->nodes[it->node].flags & NF_TEX))
			return it;
	}
	return NULL;
}

/* The table a cell or row belongs to, or NULL. */
static const ext_node *table_of(const ext_tree *t, const ext_node *n)
{
	for (int k = 0; k < 4 && n->parent != (uint32_t)(n - t->nodes); k++) {
		n = &t->nodes[n->parent];
		if (n->tag == T_TABLE)
			return n;
	}
	return NULL;
}

static int in_data_table(const ext_tree *t, const ext_node *n)
{
	const ext_node *tab = table_of(t, n);

	return tab && !(tab->flags & NF_LAYOUT);
}

/* An element opens: what it owes before it. Returns the item to go on
 * from (its CLOSE when its content was written here). */
static uint32_t open_element(render *r, uint32_t i)
{
	const ext_tree *t = r->t;
	const ext_node *n = &t->nodes[t->items[i].node];
	unsigned tf = ext_tag_flags((enum ext_tag)n->tag);
	const char *alt = t->text.data + n->alt_off;

	switch (n->tag) {
	case T_BR:
		want(r, r->after_br && r->sep >= SEP_LINE ? SEP_BLANK : SEP_LINE);
		r->after_br = 1;
		return i;
	case T_IMG:
		if (n->flags & NF_TEX_IMG)
			put_tex(r, alt, n->alt_len, 0);
		else if (n->alt_len && n->alt_len <= 8 && t->nodes[n->owner].own_chars) {
			/* An emoji or symbol drawn as an image inside a sentence. */
			put_flow(r, alt, n->alt_len);
		} else if (n->alt_len && r->alt_text && !r->link) {
			want(r, SEP_LINE);
			put_flow(r, alt, n->alt_len);
			want(r, SEP_LINE);
		}
		return i;
	case T_MATH: {
		const ext_item *tex = tex_annotation(t, n);

		if (tex || n->alt_len) {
			put_tex(r, tex ? t->text.data + tex->off : alt, tex ? tex->len : n->alt_len,
				(n->flags & NF_MATH_DISPLAY) != 0);
			return n->close;
		}
		r->math++;
		return i;
	}
	case T_SCRIPT:
		/* A MathJax TeX script: its text is the TeX. */
		if (n->close > i + 1 && t->items[i + 1].kind == IT_TEXT)
			put_tex(r, t->text.data + t->items[i + 1].off, t->items[i + 1].len,
				(n->flags & NF_MATH_DISPLAY) != 0);
		return n->close;
	case T_PRE:
	case T_XMP:
		r->pre++;
		break;
	case T_A:
		r->link++;
		return i;
	case T_TR:
		if (in_data_table(t, n)) {
			want(r, SEP_LINE);
			r->row_start = r->out->len;
			return i;
		}
		break;
	case T_TD:
	case T_TH:
		if (in_data_table(t, n)) {
			if (r->out->len > r->row_start)
				want(r, SEP_TAB);
			return i;
		}
		break;
	default:
		break;
	}
	if (tf & TF_PARA)
		want(r, SEP_BLANK);
	else if (tf & TF_BLOCK)
		want(r, SEP_LINE);
	return i;
}

static void close_element(render *r, const ext_node *n)
{
	const ext_tree *t = r->t;
	unsigned tf = ext_tag_flags((enum ext_tag)n->tag);

	switch (n->tag) {
	case T_MATH:
		r->math--;
		return;
	case T_A:
		r->link--;
		return;
	case T_PRE:
	case T_XMP:
		r->pre--;
		/* Trailing blank lines of the block are layout, not content. */
		while (r->out->len && (r->out->data[r->out->len - 1] == '\n' ||
				       r->out->data[r->out->len - 1] == ' '))
			r->out->len--;
		break;
	case T_TD:
	case T_TH:
		if (in_data_table(t, n))
			return;
		break;
	default:
		break;
	}
	if (tf & TF_PARA)
		want(r, SEP_BLANK);
	else if (tf & TF_BLOCK)
		want(r, SEP_LINE);
}

int ext_render(const ext_tree *t, int alt_text, cur_buf *out)
{
	render r = {.t = t, .out = out, .alt_text = alt_text};
	int keep = 0;
	uint32_t last_open = UINT32_MAX;

	if (!t->nitems)
		return CUR_OK;
	for (uint32_t i = 0; i < t->nitems && !r.rc; i++) {
		const ext_item *it = &t->items[i];
		const ext_node *n = &t->nodes[it->node];

		switch (it->kind) {
		case IT_OPEN:
			if (n->flags & NF_DROP) {
				i = n->close;
				continue;
			}
			if (n->flags & NF_KEEP)
				keep++;
			last_open = i;
			if (keep && !(t->nodes[n->owner].flags & NF_DROP_TEXT && n->owner != it->node)) {
				uint32_t next = open_element(&r, i);

				if (next != i) {
					if (n->flags & NF_KEEP)
						keep--;
					i = next;
				}
			}
			break;
		case IT_CLOSE:
			if (keep)
				close_element(&r, n);
			if (n->flags & NF_KEEP)
				keep--;
			break;
		case IT_TEXT:
			if (!keep || (t->nodes[it->owner].flags & NF_DROP_TEXT))
				break;
			if (r.pre)
				put_pre(&r, t->text.data + it->off, it->len, last_open + 1 == i);
			else
				put_flow(&r, t->text.data + it->off, it->len);
			break;
		}
	}
	if (!r.rc && out->data)
		out->data[out->len] = '\0';
	return r.rc;
}
