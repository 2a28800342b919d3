/* Shared inside extract/ only: the page as a flat tree, built from the
 * parser's events (parse.c), scored for main content (score.c) and written
 * out as text (render.c). docs/internals/extract.md tells the whole story.
 *
 * The tree is two arrays. items holds the page in document order: an OPEN
 * and a CLOSE item per element and a TEXT item per run of text, so a subtree
 * is a range of items and skipping an element is a jump to its CLOSE. nodes
 * holds one entry per element with the figures the scoring needs, summed
 * bottom-up when the element closes. Text is stored once, in text, with
 * white space already collapsed (except inside pre). */
#ifndef EXT_INT_H
#define EXT_INT_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"

/* Element kinds the extractor treats apart; every other name is T_OTHER
 * (an inline element whose text simply flows). */
enum ext_tag {
	T_OTHER, T_A, T_ADDRESS, T_ANNOTATION, T_ANNOTATION_XML, T_ARTICLE, T_ASIDE,
	T_AUDIO, T_BLOCKQUOTE, T_BODY, T_BR, T_BUTTON, T_CANVAS, T_CAPTION, T_CENTER,
	T_CODE, T_DD, T_DETAILS, T_DIALOG, T_DIV, T_DL, T_DT, T_EMBED, T_FIELDSET,
	T_FIGCAPTION, T_FIGURE, T_FOOTER, T_FORM, T_FRAMESET, T_H1, T_H2, T_H3, T_H4, T_H5,
	T_H6, T_HEAD, T_HEADER, T_HR, T_HTML, T_IFRAME, T_IMG, T_INPUT, T_LABEL, T_LEGEND,
	T_LI, T_MAIN, T_MAP, T_MATH, T_MENU, T_META, T_NAV, T_NOSCRIPT, T_OBJECT, T_OL,
	T_OPTION, T_P, T_PICTURE, T_PRE, T_SCRIPT, T_SECTION, T_SELECT, T_SEMANTICS,
	T_SOURCE, T_STYLE, T_SUMMARY, T_SVG, T_TABLE, T_TBODY, T_TD, T_TEMPLATE,
	T_TEXTAREA, T_TFOOT, T_TH, T_THEAD, T_TITLE, T_TR, T_UL, T_VIDEO, T_XMP,
	T_COUNT
};

/* What a kind of element is (ext_tag_flags). */
enum {
	TF_BLOCK = 1,      /* starts and ends a line */
	TF_PARA = 2,       /* a paragraph: a blank line around it */
	TF_SKIP = 4,       /* never text: script, style, form controls, media */
	TF_CHROME = 8,     /* page furniture: nav, aside, header, footer */
	TF_HEADING = 16,
	TF_LIST_ITEM = 32, /* li, dt, dd: one line each */
	TF_CELL = 64,      /* td, th */
	TF_VOID = 128      /* has no content and no end tag (br, img, hr) */
};

enum ext_tag ext_tag_lookup(const char *name);
unsigned ext_tag_flags(enum ext_tag t);

/* Node flags. */
enum {
	NF_DROP = 1,        /* removed with its subtree */
	NF_HIDDEN = 2,      /* hidden by markup (hidden, aria-hidden, display:none) */
	NF_NEGATIVE = 4,    /* class/id says boilerplate (comment, share, ...) */
	NF_POSITIVE = 8,    /* class/id says content (article, entry, ...) */
	NF_BODY_HINT = 16,  /* itemprop=articleBody or a well-known body class */
	NF_LINK = 32,       /* an <a href> */
	NF_LAYOUT = 64,     /* a table whose cells hold blocks: not data */
	NF_MATH_DISPLAY = 128, /* math shown as a block */
	NF_TEX = 256,       /* annotation (or script) holding TeX */
	NF_TEX_IMG = 512,   /* img whose alt is LaTeX */
	NF_KEEP = 1024,     /* chosen for output (score.c) */
	NF_GOOD = 2048,     /* a text block that reads as content */
	NF_BAD = 4096,      /* a text block that reads as boilerplate */
	NF_CAPTION_HINT = 8192, /* class/id says caption, credit */
	NF_HAS_BODY = 16384,   /* holds an article, main or body-hinted element */
	NF_DROP_TEXT = 32768,  /* its own text is left out, not its children */
	NF_ELLIPSIS = 65536,   /* its own text ends in "..." (a teaser) */
	NF_HAS_MATH = 131072   /* holds a math element */
};

typedef struct ext_node {
	uint32_t parent;      /* index; the root (0) is its own parent */
	uint32_t owner;       /* the block that owns its text (itself if a block) */
	uint32_t open, close; /* its OPEN and CLOSE items */
	uint16_t tag;         /* enum ext_tag */
	uint16_t depth;
	uint32_t flags;
	uint32_t alt_off, alt_len; /* img alt, or math alttext, in text */
	/* Text directly owned (not inside a block descendant), in characters. */
	uint32_t own_chars, own_link_chars, own_punct;
	/* The same over the whole subtree, dropped subtrees left out. */
	uint32_t chars, link_chars, punct;
	uint32_t good_chars;  /* chars of good text blocks in the subtree */
	uint32_t blocks;      /* text blocks in the subtree */
	float score;          /* content score (score.c) */
	float strength;       /* the best final score in the subtree */
	float child_best, child_second; /* the two strongest children */
	uint32_t child_best_id;
	int16_t hint;         /* class/id weight */
} ext_node;

enum { IT_OPEN, IT_CLOSE, IT_TEXT };

typedef struct ext_item {
	uint32_t node;   /* the element opened/closed, or holding the text */
	uint32_t owner;  /* text: the block whose text it is */
	uint32_t off;    /* text: offset in tree.text */
	uint32_t len : 30, kind : 2;
} ext_item;

#define EXT_MAX_TEXT_RUN ((1u << 30) - 1)

typedef struct ext_tree {
	ext_node *nodes;
	size_t nnodes, cap_nodes;
	ext_item *items;
	size_t nitems, cap_items;
	cur_buf text;
	cur_buf title;        /* <title>, collapsed */
	char lang[36];        /* <html lang> */
	int truncated;        /* parsing stopped at the depth limit */
	int relaxed;          /* score.c: no prose found, lower thresholds */
} ext_tree;

void ext_tree_init(ext_tree *t);
void ext_tree_reset(ext_tree *t);
void ext_tree_release(ext_tree *t);

/* parse.c: the tree of html (UTF-8, n bytes). CUR_OK, or CUR_ENOMEM. */
typedef struct ext_parser ext_parser;
void ext_parser_init(void);
ext_parser *ext_parser_new(void);
void ext_parser_free(ext_parser *p);
int ext_parse(ext_parser *p, const char *html, size_t n, size_t max_depth, ext_tree *t);

/* hints.c: the words that class and id names are read for, by hash (one
 * table per parser, filled once), and the class/id weight of an element
 * (negative: boilerplate) with its NF_* hint flags. */
#define EXT_HINT_SLOTS 512
typedef struct ext_hint_table {
	uint8_t slot[EXT_HINT_SLOTS]; /* 1 + the word's index, 0: empty */
} ext_hint_table;
void ext_hint_table_init(ext_hint_table *t);
int ext_hint(const ext_hint_table *t, const char *cls, const char *id, uint32_t *flags);

/* score.c: mark the nodes to write (NF_KEEP on the roots of kept subtrees,
 * NF_DROP inside them). all: keep every visible block. */
void ext_select(ext_tree *t, int all);

/* render.c: the text of the kept subtrees into out; alt_text: with the
 * alt text of pictures on lines of their own. */
int ext_render(const ext_tree *t, int alt_text, cur_buf *out);

#endif
