#include "config.h"

#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/error.h"
#include "extract/ext_int.h"
#include "extract/feed.h"

/* libxml2's HTML parser, driven through SAX: it tokenizes, decodes entities
 * and mends broken nesting (auto-closing, implied ends) and calls us once
 * per start tag, end tag and run of text; we build the flat tree of
 * ext_int.h as the events come, without libxml2's DOM. docs/extract.md
 * says why libxml2 and not gumbo. */

#define SKIP_MARK UINT32_MAX       /* a stack entry for an element we ignore */
#define TAG_CACHE 128               /* element names seen, by address */
#define TITLE_MAX 1024

struct ext_parser {
	htmlSAXHandler sax;
	htmlParserCtxtPtr ctxt;     /* during a parse */
	ext_tree *t;
	struct level {
		uint32_t node;       /* SKIP_MARK inside ignored elements */
		uint32_t owner;      /* the block that owns text at this level */
	} *stack;
	size_t depth, cap, max_depth;
	int skip;                   /* open ignored elements */
	int pre, link, title, tex;  /* open pre, a href, title, TeX holders */
	int annotation;             /* open non-TeX annotations (not text) */
	int last_space;             /* the text written last ends in a space */
	int stopped;                /* at the depth limit: ignore the rest */
	int failed;                 /* out of memory */
	ext_feed feed;              /* the page, as libxml2 reads it */
	ext_hint_table hints;
	/* libxml2 interns element names for one parse: the same name comes at
	 * the same address, so its tag is remembered by address. */
	struct {
		const xmlChar *name;
		uint16_t tag;
	} tags[TAG_CACHE];
};

/* ---- the tree ---- */

void ext_tree_init(ext_tree *t)
{
	memset(t, 0, sizeof(*t));
	cur_buf_init(&t->text, EXT_MAX_TEXT_RUN);
	cur_buf_init(&t->title, TITLE_MAX);
}

void ext_tree_reset(ext_tree *t)
{
	t->nnodes = 0;
	t->nitems = 0;
	cur_buf_reset(&t->text);
	cur_buf_reset(&t->title);
	t->lang[0] = '\0';
	t->truncated = 0;
}

void ext_tree_release(ext_tree *t)
{
	free(t->nodes);
	free(t->items);
	cur_buf_release(&t->text);
	cur_buf_release(&t->title);
	memset(t, 0, sizeof(*t));
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 256;
	void *p;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	p = cur_realloc_array(*v, c, size);
	if (!p)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

static ext_item *new_item(ext_parser *p, int kind, uint32_t node)
{
	ext_tree *t = p->t;
	ext_item *it;

	if (grow((void **)&t->items, &t->cap_items, t->nitems + 1, sizeof(ext_item))) {
		p->failed = 1;
		return NULL;
	}
	it = &t->items[t->nitems++];
	it->node = node;
	it->owner = node;
	it->off = 0;
	it->len = 0;
	it->kind = (unsigned)kind;
	return it;
}

static uint32_t new_node(ext_parser *p, enum ext_tag tag, uint32_t parent)
{
	ext_tree *t = p->t;
	ext_node *n;

	if (grow((void **)&t->nodes, &t->cap_nodes, t->nnodes + 1, sizeof(ext_node))) {
		p->failed = 1;
		return SKIP_MARK;
	}
	n = &t->nodes[t->nnodes];
	memset(n, 0, sizeof(*n));
	n->tag = (uint16_t)tag;
	n->parent = parent;
	n->depth = (uint16_t)(p->depth < UINT16_MAX ? p->depth : UINT16_MAX);
	n->open = (uint32_t)t->nitems;
	return (uint32_t)t->nnodes++;
}

/* ---- text ---- */

/* The length of a white-space character at s (n > 0 bytes), or 0. Besides
 * ASCII blanks: no-break space and the typographic spaces U+2000-U+200A,
 * U+202F, U+205F, which pages use as ordinary spaces. */
static size_t space_len(const unsigned char *s, size_t n)
{
	if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f')
		return 1;
	if (n >= 2 && s[0] == 0xC2 && s[1] == 0xA0)
		return 2;
	if (n >= 3 && s[0] == 0xE2 && ((s[1] == 0x80 && (s[2] <= 0x8A || s[2] == 0xAF)) ||
				       (s[1] == 0x81 && s[2] == 0x9F)))
		return 3;
	return 0;
}

/* Invisible characters dropped from text: zero-width space, byte order
 * mark, soft hyphen. */
static size_t invisible_len(const unsigned char *s, size_t n)
{
	if (n >= 2 && s[0] == 0xC2 && s[1] == 0xAD)
		return 2;
	if (n >= 3 && ((s[0] == 0xE2 && s[1] == 0x80 && s[2] == 0x8B) ||
		       (s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)))
		return 3;
	return 0;
}

/* Sentence punctuation, Latin and CJK: what tells prose from labels. */
static int is_punct(const unsigned char *s, size_t n)
{
	if (*s == '.' || *s == ',' || *s == ';' || *s == ':' || *s == '!' || *s == '?')
		return 1;
	return n >= 3 && s[0] == 0xE3 && s[1] == 0x80 && (s[2] == 0x81 || s[2] == 0x82);
}

/* Whether a block's text, so far, ends in "..." or U+2026: teasers do. */
static void mark_ellipsis(ext_node *owner, const char *s, size_t n)
{
	while (n && s[n - 1] == ' ')
		n--;
	if ((n >= 3 && memcmp(s + n - 3, "...", 3) == 0) ||
	    (n >= 3 && memcmp(s + n - 3, "\xE2\x80\xA6", 3) == 0))
		owner->flags |= NF_ELLIPSIS;
	else if (n)
		owner->flags &= ~(uint32_t)NF_ELLIPSIS;
}

/* Append text to the tree for the element on top of the stack: white space
 * collapsed outside pre, figures added to the owning block. */
static void add_text(ext_parser *p, const unsigned char *s, size_t n)
{
	ext_tree *t = p->t;
	struct level *top = &p->stack[p->depth - 1];
	ext_node *owner = &t->nodes[top->owner];
	size_t start = t->text.len, i = 0;
	uint32_t chars = 0, punct = 0;

	if (cur_buf_reserve(&t->text, n + 1)) {
		p->failed = 1;
		return;
	}
	while (i < n) {
		size_t k;
		unsigned char c = s[i];

		/* ASCII, most of any page, without the general checks. */
		if (c < 0x80 && c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f') {
			t->text.data[t->text.len++] = (char)c;
			chars++;
			punct += c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?';
			p->last_space = 0;
			i++;
			continue;
		}
		if (c < 0x80 && p->pre) {
			t->text.data[t->text.len++] = (char)c;
			p->last_space = c == '\n';
			i++;
			continue;
		}
		if (!p->pre && (k = space_len(s + i, n - i))) {
			if (!p->last_space)
				t->text.data[t->text.len++] = ' ';
			p->last_space = 1;
			i += k;
			continue;
		}
		if ((k = invisible_len(s + i, n - i))) {
			i += k;
			continue;
		}
		k = 1;
		while (i + k < n && (s[i + k] & 0xC0) == 0x80)
			k++;
		chars++;
		punct += (uint32_t)is_punct(s + i, k);
		memcpy(t->text.data + t->text.len, s + i, k);
		t->text.len += k;
		p->last_space = p->pre ? (s[i] == '\n') : 0;
		i += k;
	}
	t->text.data[t->text.len] = '\0';
	if (t->text.len == start)
		return;
	if (chars)
		mark_ellipsis(owner, t->text.data + start, t->text.len - start);
	owner->own_chars += chars;
	owner->own_punct += punct;
	if (p->link)
		owner->own_link_chars += chars;
	/* One run per stretch of text: extend the last item when it continues. */
	if (t->nitems && t->items[t->nitems - 1].kind == IT_TEXT &&
	    t->items[t->nitems - 1].node == top->node &&
	    t->items[t->nitems - 1].off + t->items[t->nitems - 1].len == start &&
	    t->items[t->nitems - 1].len + (t->text.len - start) <= EXT_MAX_TEXT_RUN) {
		t->items[t->nitems - 1].len += (uint32_t)(t->text.len - start);
		return;
	}
	ext_item *it = new_item(p, IT_TEXT, top->node);
	if (it) {
		it->owner = top->owner;
		it->off = (uint32_t)start;
		it->len = (uint32_t)(t->text.len - start);
	}
}

static void add_title(ext_parser *p, const unsigned char *s, size_t n)
{
	cur_buf *b = &p->t->title;

	for (size_t i = 0; i < n; i++) {
		int space = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r';

		if (space && (b->len == 0 || b->data[b->len - 1] == ' '))
			continue;
		/* A cut title keeps whole characters. */
		if (b->len + 4 >= TITLE_MAX && (s[i] & 0xC0) != 0x80)
			return;
		if (cur_buf_putc(b, space ? ' ' : s[i]))
			return;
	}
}

static void on_text(void *ctx, const xmlChar *s, int len)
{
	ext_parser *p = ctx;

	if (p->failed || p->stopped || len <= 0 || p->depth == 0)
		return;
	if (p->title) {
		add_title(p, s, (size_t)len);
		return;
	}
	if (p->skip || p->annotation)
		return;
	add_text(p, s, (size_t)len);
}

/* Script and style content: only TeX scripts (MathJax) are text. */
static void on_cdata(void *ctx, const xmlChar *s, int len)
{
	ext_parser *p = ctx;

	if (p->failed || p->stopped || len <= 0 || p->depth == 0 || !p->tex || p->skip)
		return;
	add_text(p, s, (size_t)len);
}

/* ---- elements ---- */

/* The attributes the extractor reads, found in one pass. */
typedef struct attrs {
	const char *cls, *id, *style, *aria_hidden, *role, *itemprop, *href, *alt, *src,
		*display, *alttext, *lang, *type, *encoding;
	int hidden;
} attrs;

static void collect(const xmlChar **a, attrs *at)
{
	memset(at, 0, sizeof(*at));
	for (; a && a[0]; a += 2) {
		const char *k = (const char *)a[0], *v = a[1] ? (const char *)a[1] : "";

		switch (k[0]) {
		case 'a':
			if (!strcmp(k, "alt"))
				at->alt = v;
			else if (!strcmp(k, "aria-hidden"))
				at->aria_hidden = v;
			else if (!strcmp(k, "alttext"))
				at->alttext = v;
			break;
		case 'c':
			if (!strcmp(k, "class"))
				at->cls = v;
			break;
		case 'd':
			if (!strcmp(k, "display"))
				at->display = v;
			break;
		case 'e':
			if (!strcmp(k, "encoding"))
				at->encoding = v;
			break;
		case 'h':
			if (!strcmp(k, "href"))
				at->href = v;
			else if (!strcmp(k, "hidden"))
				at->hidden = 1;
			break;
		case 'i':
			if (!strcmp(k, "id"))
				at->id = v;
			else if (!strcmp(k, "itemprop"))
				at->itemprop = v;
			break;
		case 'l':
			if (!strcmp(k, "lang"))
				at->lang = v;
			break;
		case 'r':
			if (!strcmp(k, "role"))
				at->role = v;
			break;
		case 's':
			if (!strcmp(k, "style"))
				at->style = v;
			else if (!strcmp(k, "src"))
				at->src = v;
			break;
		case 't':
			if (!strcmp(k, "type"))
				at->type = v;
			break;
		case 'x':
			if (!strcmp(k, "xml:lang") && !at->lang)
				at->lang = v;
			break;
		default:
			break;
		}
	}
}

/* style="display: none" or "visibility: hidden", spaces and case ignored. */
static int style_hides(const char *style)
{
	char flat[256];
	size_t k = 0;

	for (const char *s = style; *s && k < sizeof(flat) - 1; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n')
			flat[k++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
	flat[k] = '\0';
	return strstr(flat, "display:none") || strstr(flat, "visibility:hidden");
}

/* An image whose alt text is LaTeX (WordPress, MediaWiki, codecogs). */
static int tex_image(const char *cls, const char *src)
{
	if (cls && (strcasestr(cls, "latex") || strcasestr(cls, "math") || strcasestr(cls, "tex")))
		return 1;
	return src && (strstr(src, "latex") || strstr(src, "codecogs") || strstr(src, "mathtex"));
}

static void store_alt(ext_parser *p, ext_node *n, const char *alt)
{
	cur_buf *b = &p->t->text;
	size_t len = strlen(alt);

	if (!len || len > 4096 || cur_buf_append(b, alt, len)) {
		return;
	}
	n->alt_off = (uint32_t)(b->len - len);
	n->alt_len = (uint32_t)len;
}

/* Attributes that change how the element is read. */
static void read_attrs(ext_parser *p, uint32_t id, enum ext_tag tag, const attrs *at)
{
	ext_node *n = &p->t->nodes[id];
	const char *v;

	if (at->cls || at->id)
		n->hint = (int16_t)ext_hint(&p->hints, at->cls, at->id, &n->flags);
	if (at->hidden || (at->aria_hidden && !strcasecmp(at->aria_hidden, "true")) ||
	    (at->style && style_hides(at->style)))
		n->flags |= NF_HIDDEN;
	if ((v = at->role)) {
		if (!strcasecmp(v, "navigation") || !strcasecmp(v, "banner") ||
		    !strcasecmp(v, "contentinfo") || !strcasecmp(v, "complementary") ||
		    !strcasecmp(v, "dialog") || !strcasecmp(v, "alertdialog") ||
		    !strcasecmp(v, "menu") || !strcasecmp(v, "menubar"))
			n->flags |= NF_NEGATIVE;
		else if (!strcasecmp(v, "main") || !strcasecmp(v, "article"))
			n->flags |= NF_POSITIVE;
	}
	if ((v = at->itemprop) && (strcasestr(v, "articlebody") || !strcasecmp(v, "text")))
		n->flags |= NF_BODY_HINT;
	switch (tag) {
	case T_A:
		if (at->href)
			n->flags |= NF_LINK;
		break;
	case T_IMG:
		if (at->alt) {
			if (tex_image(at->cls, at->src))
				n->flags |= NF_TEX_IMG;
			store_alt(p, n, at->alt);
		}
		break;
	case T_MATH:
		if (at->display && !strcasecmp(at->display, "block"))
			n->flags |= NF_MATH_DISPLAY;
		if (at->alttext)
			store_alt(p, n, at->alttext);
		break;
	case T_HTML:
		if (at->lang)
			snprintf(p->t->lang, sizeof(p->t->lang), "%s", at->lang);
		break;
	default:
		break;
	}
}

static enum ext_tag tag_of(ext_parser *p, const xmlChar *name)
{
	size_t slot = ((uintptr_t)name >> 3) % TAG_CACHE;

	if (p->tags[slot].name != name) {
		p->tags[slot].name = name;
		p->tags[slot].tag = (uint16_t)ext_tag_lookup((const char *)name);
	}
	return (enum ext_tag)p->tags[slot].tag;
}

static int push(ext_parser *p, uint32_t node, uint32_t owner)
{
	if (p->depth == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct level *s = cur_realloc_array(p->stack, cap, sizeof(*s));

		if (!s) {
			p->failed = 1;
			return -1;
		}
		p->stack = s;
		p->cap = cap;
	}
	p->stack[p->depth].node = node;
	p->stack[p->depth].owner = owner;
	p->depth++;
	return 0;
}

static int tex_script(const attrs *at, int *display)
{
	const char *type = at->type;

	if (!type || strncasecmp(type, "math/tex", 8) != 0)
		return 0;
	*display = strcasestr(type, "mode=display") != NULL;
	return 1;
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar **a)
{
	ext_parser *p = ctx;
	enum ext_tag tag = tag_of(p, name);
	unsigned tf = ext_tag_flags(tag);
	struct level *top = &p->stack[p->depth - 1];
	int display = 0;
	uint32_t id;
	attrs at;

	if (p->failed || p->stopped)
		return;
	if (p->depth > p->max_depth) {
		/* libxml2 matches each end tag against its whole stack: stopping
		 * here bounds the time a page of stray end tags can take. */
		p->t->truncated = 1;
		p->stopped = 1;
		xmlStopParser(p->ctxt);
		return;
	}
	if (tag == T_TITLE && !p->skip && !p->title && !p->t->title.len) {
		p->title++;
		push(p, SKIP_MARK, top->owner);
		return;
	}
	collect(a, &at);
	if (p->skip || p->title || ((tf & TF_SKIP) && !(tag == T_SCRIPT && tex_script(&at, &display)))) {
		p->skip++;
		push(p, SKIP_MARK, top->owner);
		if (tag == T_SCRIPT || tag == T_STYLE)
			ext_feed_skip_raw_text(&p->feed, p->ctxt, (const char *)name);
		return;
	}
	id = new_node(p, tag, top->node);
	if (id == SKIP_MARK || !new_item(p, IT_OPEN, id))
		return;
	read_attrs(p, id, tag, &at);
	if (tag == T_SCRIPT) {
		p->t->nodes[id].flags |= NF_TEX | (display ? NF_MATH_DISPLAY : 0);
		p->tex++;
	} else if (tag == T_ANNOTATION) {
		if (at.encoding && strcasestr(at.encoding, "tex")) {
			p->t->nodes[id].flags |= NF_TEX;
			p->tex++;
		} else {
			p->annotation++;
		}
	} else if (tag == T_ANNOTATION_XML) {
		p->annotation++;
	}
	if (tag == T_PRE || tag == T_XMP)
		p->pre++;
	if (p->t->nodes[id].flags & NF_LINK)
		p->link++;
	if (tf & TF_BLOCK)
		p->last_space = 1;
	p->t->nodes[id].owner = (tf & TF_BLOCK) || tag == T_MATH ? id : top->owner;
	push(p, id, p->t->nodes[id].owner);
}

static void on_end(void *ctx, const xmlChar *name)
{
	ext_parser *p = ctx;
	struct level *top;
	ext_node *n;

	if (p->failed || (p->stopped && name) || p->depth <= 1)
		return;
	top = &p->stack[--p->depth];
	if (top->node == SKIP_MARK) {
		if (p->title)
			p->title--;
		else if (p->skip)
			p->skip--;
		return;
	}
	n = &p->t->nodes[top->node];
	if (!new_item(p, IT_CLOSE, top->node))
		return;
	n->close = (uint32_t)(p->t->nitems - 1);
	switch (n->tag) {
	case T_SCRIPT:
		p->tex--;
		p->last_space = 0;
		break;
	case T_ANNOTATION:
		if (n->flags & NF_TEX)
			p->tex--;
		else
			p->annotation--;
		break;
	case T_ANNOTATION_XML:
		p->annotation--;
		break;
	case T_PRE:
	case T_XMP:
		p->pre--;
		break;
	case T_MATH:
	case T_IMG:
		/* A formula (or a picture's alt text) is written as one
		 * word: a blank after it is a blank, whatever blanks came
		 * before or inside it. */
		p->last_space = 0;
		break;
	default:
		break;
	}
	if (n->flags & NF_LINK)
		p->link--;
	if (ext_tag_flags((enum ext_tag)n->tag) & TF_BLOCK)
		p->last_space = 1;
}

static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

void ext_parser_init(void)
{
	xmlInitParser();
}

ext_parser *ext_parser_new(void)
{
	ext_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	xmlInitParser();
	ext_hint_table_init(&p->hints);
	p->sax.startElement = on_start;
	p->sax.endElement = on_end;
	p->sax.characters = on_text;
	/* libxml2 reports blank runs between some elements as "ignorable":
	 * between inline elements they are real spaces. */
	p->sax.ignorableWhitespace = on_text;
	p->sax.cdataBlock = on_cdata;
	p->sax.warning = quiet;
	p->sax.error = quiet;
	p->sax.fatalError = quiet;
	return p;
}

void ext_parser_free(ext_parser *p)
{
	if (!p)
		return;
	free(p->stack);
	free(p);
}

int ext_parse(ext_parser *p, const char *html, size_t n, size_t max_depth, ext_tree *t)
{
	htmlParserCtxtPtr ctxt;
	uint32_t root;

	ext_tree_reset(t);
	p->t = t;
	p->depth = 0;
	p->skip = p->pre = p->link = p->title = p->tex = p->annotation = 0;
	p->last_space = 1;
	p->failed = p->stopped = 0;
	memset(p->tags, 0, sizeof(p->tags));
	p->max_depth = max_depth;
	/* Node 0 holds everything, so that every element has a parent. */
	root = new_node(p, T_BODY, 0);
	if (root == SKIP_MARK || !new_item(p, IT_OPEN, root) || push(p, root, root))
		return CUR_ENOMEM;
	p->feed.html = html;
	p->feed.n = n;
	p->feed.next = 0;
	p->feed.cut = 0;
	ctxt = ext_feed_context(&p->feed);
	if (!ctxt)
		return CUR_ENOMEM;
	memcpy(ctxt->sax, &p->sax, sizeof(p->sax));
	ctxt->userData = p;
	p->ctxt = ctxt;
	ext_feed_parse(ctxt);
	p->ctxt = NULL;
	/* Close what the parser left open (a stop at the depth limit). */
	while (!p->failed && p->depth > 1)
		on_end(p, NULL);
	if (p->failed || !new_item(p, IT_CLOSE, root))
		return CUR_ENOMEM;
	t->nodes[root].close = (uint32_t)(t->nitems - 1);
	return CUR_OK;
}
