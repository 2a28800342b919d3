#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "extract/ext_int.h"

/* What class and id names say about an element. Both are cut into words at
 * anything that is not a letter or digit and where lower case turns to upper
 * ("articleBody" is "article body"), and each word is looked up. The lists
 * are the vocabulary web templates use for page furniture and for the
 * article itself, as Readability, jusText and trafilatura read them; a
 * furniture word marks the element NF_NEGATIVE, a content word adds to its
 * weight, and a content word next to a body word ("post-content",
 * "article__body", "story-body") marks the article body itself. */

enum { W_NEG = 1, W_POS = 2, W_KIND = 4, W_BODY = 8, W_CAPTION = 16 };

static const struct word_row {
	const char *word;
	unsigned what;
} words[] = {
	{"ad", W_NEG}, {"ads", W_NEG}, {"adsense", W_NEG}, {"advert", W_NEG},
	{"advertisement", W_NEG}, {"advertising", W_NEG}, {"agegate", W_NEG},
	{"article", W_POS | W_KIND}, {"articlebody", W_POS | W_KIND | W_BODY},
	{"author", W_NEG}, {"banner", W_NEG}, {"bio", W_NEG}, {"blog", W_POS},
	{"body", W_BODY}, {"breadcrumb", W_NEG}, {"breadcrumbs", W_NEG}, {"byline", W_NEG},
	{"caption", W_CAPTION}, {"combx", W_NEG}, {"comment", W_NEG}, {"commentlist", W_NEG},
	{"comments", W_NEG}, {"community", W_NEG}, {"consent", W_NEG}, {"content", W_POS | W_BODY},
	{"cookie", W_NEG}, {"cookies", W_NEG}, {"copy", W_BODY}, {"credit", W_CAPTION},
	{"credits", W_CAPTION}, {"dateline", W_NEG}, {"disqus", W_NEG}, {"dropdown", W_NEG},
	{"editsection", W_NEG},
	{"entry", W_POS | W_KIND}, {"follow", W_NEG}, {"footer", W_NEG},
	{"gdpr", W_NEG}, {"hentry", W_POS | W_KIND}, {"login", W_NEG}, {"main", W_POS},
	{"masthead", W_NEG}, {"menu", W_NEG}, {"meta", W_NEG}, {"modal", W_NEG},
	{"nav", W_NEG}, {"navbar", W_NEG}, {"navigation", W_NEG}, {"newsletter", W_NEG},
	{"outbrain", W_NEG}, {"pager", W_NEG}, {"pagination", W_NEG}, {"popular", W_NEG},
	{"popup", W_NEG}, {"post", W_POS | W_KIND}, {"promo", W_NEG}, {"promotion", W_NEG},
	{"prose", W_POS}, {"rail", W_NEG}, {"recirc", W_NEG}, {"recommend", W_NEG},
	{"recommended", W_NEG}, {"related", W_NEG}, {"remark", W_NEG}, {"replies", W_NEG},
	{"reply", W_NEG}, {"rss", W_NEG}, {"search", W_NEG}, {"share", W_NEG},
	{"sharebar", W_NEG}, {"sharing", W_NEG}, {"shoutbox", W_NEG}, {"sidebar", W_NEG},
	{"signup", W_NEG}, {"skip", W_NEG}, {"social", W_NEG}, {"sponsor", W_NEG},
	{"sponsored", W_NEG}, {"story", W_POS | W_KIND}, {"subscribe", W_NEG},
	{"subscription", W_NEG}, {"taboola", W_NEG}, {"tags", W_NEG}, {"text", W_BODY},
	{"timestamp", W_NEG}, {"toolbar", W_NEG}, {"trending", W_NEG}, 
	{"widget", W_NEG}, {"widgets", W_NEG},
};

#define WORD_MAX 13       /* the longest word above */
#define FNV_BASIS 2166136261u
#define FNV_PRIME 16777619u

static uint32_t word_hash(uint32_t h, unsigned char lower)
{
	return (h ^ lower) * FNV_PRIME;
}

/* The words by hash, in a table with five times as many slots as words,
 * so that a word that is not there (most of them) is told at the first
 * probe. */
void ext_hint_table_init(ext_hint_table *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		uint32_t h = FNV_BASIS;

		for (const char *c = words[i].word; *c; c++)
			h = word_hash(h, (unsigned char)*c);
		while (t->slot[h % EXT_HINT_SLOTS])
			h++;
		t->slot[h % EXT_HINT_SLOTS] = (uint8_t)(i + 1);
	}
}

/* What the word of len letters at s (any case) says; h is its hash. */
static unsigned word_what(const ext_hint_table *t, uint32_t h, const char *s, size_t len)
{
	for (unsigned at; (at = t->slot[h % EXT_HINT_SLOTS]) != 0; h++) {
		const char *w = words[at - 1].word;

		if (strncasecmp(w, s, len) == 0 && w[len] == '\0')
			return words[at - 1].what;
	}
	return 0;
}

/* Class names that hide an element outright (as whole class names: the
 * responsive "hidden-xs" shows it on other screens). */
static int hiding_class(const char *s, size_t n)
{
	static const struct {
		const char *name;
		size_t len;
	} hiding[] = {{"hidden", 6}, {"hide", 4}, {"sr-only", 7}, {"visually-hidden", 15},
		      {"visuallyhidden", 14}, {"screen-reader-text", 18}, {"invisible", 9}};

	for (size_t i = 0; i < sizeof(hiding) / sizeof(hiding[0]); i++)
		if (hiding[i].len == n && strncasecmp(hiding[i].name, s, n) == 0)
			return 1;
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int hides(const char *cls)
{
	while (*cls) {
		const char *start;

		while (is_blank(*cls))
			cls++;
		start = cls;
		while (*cls && !is_blank(*cls))
			cls++;
		if (hiding_class(start, (size_t)(cls - start)))
			return 1;
	}
	return 0;
}

/* ASCII only, without the locale and without branches: class names are
 * ASCII in practice, and this runs for every character of every class. */
static int is_lower(unsigned char c)
{
	return (unsigned)(c - 'a') < 26;
}

static int is_upper(unsigned char c)
{
	return (unsigned)(c - 'A') < 26;
}

static int is_alnum(unsigned char c)
{
	return is_lower(c | 0x20) | ((unsigned)(c - '0') < 10);
}

/* The words of one attribute value, ORed; a kind word followed by a body
 * word is the article body. */
static unsigned scan(const ext_hint_table *t, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned all = 0, prev = 0;

	for (;;) {
		const unsigned char *word;
		uint32_t h = FNV_BASIS;
		unsigned what;

		while (*u && !is_alnum(*u))
			u++;
		if (!*u)
			break;
		word = u;
		h = word_hash(h, *u | 0x20);
		for (u++; is_alnum(*u) && !(is_upper(*u) && is_lower(u[-1])); u++)
			h = word_hash(h, *u | (is_upper(*u) << 5));
		if (u - word < 2 || u - word > WORD_MAX)
			continue;
		what = word_what(t, h, (const char *)word, (size_t)(u - word));
		if ((what & W_BODY) && (prev & W_KIND))
			all |= W_BODY | W_POS | W_KIND;
		all |= what & ~W_BODY;
		if ((what & (W_BODY | W_KIND)) == (W_BODY | W_KIND))
			all |= W_BODY;
		prev = what ? what : prev;
	}
	return all;
}

int ext_hint(const ext_hint_table *t, const char *cls, const char *id, uint32_t *flags)
{
	unsigned what = 0;
	int weight = 0;

	if (cls) {
		what |= scan(t, cls);
		if (hides(cls))
			*flags |= NF_HIDDEN;
	}
	if (id)
		what |= scan(t, id);
	if (what & W_NEG) {
		*flags |= NF_NEGATIVE;
		weight -= 25;
	}
	if (what & W_POS) {
		*flags |= NF_POSITIVE;
		weight += 25;
	}
	if (what & W_BODY)
		*flags |= NF_BODY_HINT;
	if (what & W_CAPTION)
		*flags |= NF_CAPTION_HINT;
	return weight;
}
