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

static int word_cmp(const void *key, const void *row)
{
	const char *k = key, *w = ((const struct word_row *)row)->word;

	return *k != *w ? (unsigned char)*k - (unsigned char)*w : strcmp(k, w);
}

static unsigned word_what(const char *w)
{
	const struct word_row *r = bsearch(w, words, sizeof(words) / sizeof(words[0]),
					   sizeof(words[0]), word_cmp);

	return r ? r->what : 0;
}

/* Class names that hide an element outright (as whole class names: the
 * responsive "hidden-xs" shows it on other screens). */
static int hiding_class(const char *s, size_t n)
{
	static const char *const hiding[] = {"hidden", "hide", "sr-only", "visually-hidden",
					     "visuallyhidden", "screen-reader-text", "invisible"};

	if (n < 4 || n > 18)
		return 0;
	for (size_t i = 0; i < sizeof(hiding) / sizeof(hiding[0]); i++)
		if (strlen(hiding[i]) == n && strncasecmp(hiding[i], s, n) == 0)
			return 1;
	return 0;
}

static int hides(const char *cls)
{
	while (*cls) {
		size_t n;

		cls += strspn(cls, " \t\n\r\f");
		n = strcspn(cls, " \t\n\r\f");
		if (hiding_class(cls, n))
			return 1;
		cls += n;
	}
	return 0;
}

/* ASCII only, without the locale: class names are ASCII in practice, and
 * this runs for every element that has one. */
static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

/* The words of one attribute value, ORed; a kind word followed by a body
 * word is the article body. */
static unsigned scan(const char *s)
{
	unsigned all = 0, prev = 0;
	size_t i = 0;

	while (s[i]) {
		char w[24];
		size_t k = 0;

		while (s[i] && !is_alnum(s[i]))
			i++;
		while (is_alnum(s[i])) {
			if (k && is_upper(s[i]) && s[i - 1] >= 'a' && s[i - 1] <= 'z')
				break;
			if (k < sizeof(w) - 1)
				w[k++] = (char)(is_upper(s[i]) ? s[i] + 32 : s[i]);
			i++;
		}
		if (k < 2)
			continue;
		w[k] = '\0';
		unsigned what = word_what(w);
		if ((what & W_BODY) && (prev & W_KIND))
			all |= W_BODY | W_POS | W_KIND;
		all |= what & ~W_BODY;
		if ((what & (W_BODY | W_KIND)) == (W_BODY | W_KIND))
			all |= W_BODY;
		prev = what ? what : prev;
	}
	return all;
}

int ext_hint(const char *cls, const char *id, uint32_t *flags)
{
	unsigned what = 0;
	int weight = 0;

	if (cls) {
		what |= scan(cls);
		if (hides(cls))
			*flags |= NF_HIDDEN;
	}
	if (id)
		what |= scan(id);
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
