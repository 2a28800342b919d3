#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "extract/ext_int.h"

/* The elements the extractor knows, sorted by name for bsearch; the parser
 * gives names in lower case. */
static const struct tag_row {
	const char *name;
	enum ext_tag tag;
} tag_rows[] = {
	{"a", T_A}, {"address", T_ADDRESS}, {"annotation", T_ANNOTATION},
	{"annotation-xml", T_ANNOTATION_XML}, {"applet", T_OBJECT}, {"article", T_ARTICLE},
	{"aside", T_ASIDE}, {"audio", T_AUDIO}, {"blockquote", T_BLOCKQUOTE}, {"body", T_BODY},
	{"br", T_BR}, {"button", T_BUTTON}, {"canvas", T_CANVAS}, {"caption", T_CAPTION},
	{"center", T_CENTER}, {"code", T_CODE}, {"dd", T_DD}, {"details", T_DETAILS},
	{"dialog", T_DIALOG}, {"dir", T_UL}, {"div", T_DIV}, {"dl", T_DL}, {"dt", T_DT},
	{"embed", T_EMBED}, {"fieldset", T_FIELDSET}, {"figcaption", T_FIGCAPTION},
	{"figure", T_FIGURE}, {"footer", T_FOOTER}, {"form", T_FORM}, {"frameset", T_FRAMESET},
	{"h1", T_H1}, {"h2", T_H2}, {"h3", T_H3}, {"h4", T_H4}, {"h5", T_H5}, {"h6", T_H6},
	{"head", T_HEAD}, {"header", T_HEADER}, {"hgroup", T_DIV}, {"hr", T_HR}, {"html", T_HTML},
	{"iframe", T_IFRAME}, {"img", T_IMG}, {"input", T_INPUT}, {"label", T_LABEL},
	{"legend", T_LEGEND}, {"li", T_LI}, {"listing", T_PRE}, {"main", T_MAIN}, {"map", T_MAP},
	{"math", T_MATH}, {"menu", T_MENU}, {"meta", T_META}, {"nav", T_NAV},
	{"noscript", T_NOSCRIPT}, {"object", T_OBJECT}, {"ol", T_OL}, {"option", T_OPTION},
	{"p", T_P}, {"picture", T_PICTURE}, {"plaintext", T_PRE}, {"pre", T_PRE},
	{"script", T_SCRIPT}, {"section", T_SECTION}, {"select", T_SELECT},
	{"semantics", T_SEMANTICS}, {"source", T_SOURCE}, {"style", T_STYLE},
	{"summary", T_SUMMARY}, {"svg", T_SVG}, {"table", T_TABLE}, {"tbody", T_TBODY},
	{"td", T_TD}, {"template", T_TEMPLATE}, {"textarea", T_TEXTAREA}, {"tfoot", T_TFOOT},
	{"th", T_TH}, {"thead", T_THEAD}, {"title", T_TITLE}, {"tr", T_TR}, {"ul", T_UL},
	{"video", T_VIDEO}, {"xmp", T_XMP},
};

static int row_cmp(const void *key, const void *row)
{
	return strcmp(key, ((const struct tag_row *)row)->name);
}

enum ext_tag ext_tag_lookup(const char *name)
{
	const struct tag_row *r = bsearch(name, tag_rows, sizeof(tag_rows) / sizeof(tag_rows[0]),
					  sizeof(tag_rows[0]), row_cmp);

	return r ? r->tag : T_OTHER;
}

#define B TF_BLOCK
#define P (TF_BLOCK | TF_PARA)
#define S TF_SKIP
#define C (TF_BLOCK | TF_CHROME)

static const unsigned char tag_flags[T_COUNT] = {
	[T_ADDRESS] = P, [T_ARTICLE] = B, [T_ASIDE] = C, [T_AUDIO] = S, [T_BLOCKQUOTE] = P,
	[T_BODY] = B, [T_BR] = TF_VOID, [T_BUTTON] = S, [T_CANVAS] = S, [T_CAPTION] = B,
	[T_CENTER] = B, [T_DD] = B | TF_LIST_ITEM, [T_DETAILS] = B, [T_DIALOG] = S, [T_DIV] = B,
	[T_DL] = P, [T_DT] = B | TF_LIST_ITEM, [T_EMBED] = S | TF_VOID, [T_FIELDSET] = B,
	[T_FIGCAPTION] = B, [T_FIGURE] = P, [T_FOOTER] = C, [T_FORM] = B, [T_FRAMESET] = S,
	[T_H1] = P | TF_HEADING, [T_H2] = P | TF_HEADING, [T_H3] = P | TF_HEADING,
	[T_H4] = P | TF_HEADING, [T_H5] = P | TF_HEADING, [T_H6] = P | TF_HEADING,
	[T_HEAD] = B, [T_HEADER] = C, [T_HR] = P | TF_VOID, [T_HTML] = B, [T_IFRAME] = S,
	[T_IMG] = TF_VOID, [T_INPUT] = S | TF_VOID, [T_LEGEND] = B, [T_LI] = B | TF_LIST_ITEM,
	[T_MAIN] = B, [T_MAP] = S, [T_MENU] = P, [T_META] = S | TF_VOID, [T_NAV] = C,
	[T_NOSCRIPT] = S, [T_OBJECT] = S, [T_OL] = P, [T_OPTION] = S, [T_P] = P,
	[T_PRE] = P, [T_SCRIPT] = S, [T_SECTION] = B, [T_SELECT] = S, [T_SOURCE] = S | TF_VOID,
	[T_STYLE] = S, [T_SUMMARY] = B, [T_SVG] = S, [T_TABLE] = P, [T_TBODY] = B,
	[T_TD] = B | TF_CELL, [T_TEMPLATE] = S, [T_TEXTAREA] = S, [T_TFOOT] = B,
	[T_TH] = B | TF_CELL, [T_THEAD] = B, [T_TITLE] = S, [T_TR] = B, [T_UL] = P,
	[T_VIDEO] = S, [T_XMP] = P,
};

unsigned ext_tag_flags(enum ext_tag t)
{
	return (unsigned)t < T_COUNT ? tag_flags[t] : 0;
}
