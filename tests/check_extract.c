/* Unit tests for extract/: what becomes text and how it is laid out, what
 * is dropped as boilerplate, math as LaTeX, real pages in legacy charsets
 * read through the WARC reader, pathological pages in bounded memory (and
 * within the case's timeout), and the stage (HTML detection, metadata, drops, report). */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "core/doc.h"
#include "core/reader.h"
#include "core/stage.h"
#include "core/utf8.h"
#include "extract/extract.h"
#include "extract/stage.h"

#define DATA CUR_SRCDIR "/tests/data/"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static ext_extractor *x;

static void setup(void)
{
	ext_init();
	x = ext_extractor_new(NULL);
	ck_assert_ptr_nonnull(x);
}

static void teardown(void)
{
	ext_extractor_free(x);
}

/* The main text of html, borrowed from the extractor. */
static const char *main_text(const char *html)
{
	ext_result r;

	ck_assert_int_eq(ext_extract(x, html, strlen(html), &r), CUR_OK);
	ck_assert_uint_eq(cur_utf8_valid_prefix(r.text, r.text_len), r.text_len);
	return r.text;
}

/* A page whose article is body (several paragraphs of prose), so that the
 * layout of what the test puts around it can be checked exactly. */
#define PROSE1 "The committee met on Tuesday to review the proposal, which had been " \
	"debated for months, and agreed to publish its findings in the spring."
#define PROSE2 "Members noted that the costs, although higher than expected, were " \
	"justified by the benefits the new system would bring to every district."

static char *page(const char *head, const char *body)
{
	char *s = NULL;

	ck_assert_int_ge(asprintf(&s, "<!DOCTYPE html><html><head>%s</head><body>%s</body></html>",
				  head, body), 0);
	return s;
}

static void expect_main(const char *body, const char *want)
{
	char *html = page("", body);
	const char *got = main_text(html);

	ck_assert_msg(strcmp(got, want) == 0, "for\n%s\ngot\n[%s]\nwant\n[%s]", body, got, want);
	free(html);
}

START_TEST(html_is_recognized_by_its_start)
{
	ck_assert(ext_looks_like_html("<!DOCTYPE html><html>", 21));
	ck_assert(ext_looks_like_html("\xEF\xBB\xBF  \n<!doctype HTML>", 23));
	ck_assert(ext_looks_like_html("<!-- saved from url -->\n<html lang=en>", 38));
	ck_assert(ext_looks_like_html("<?xml version=\"1.0\"?>\n<html>", 28));
	ck_assert(!ext_looks_like_html("<htmlx>", 7));
	ck_assert(!ext_looks_like_html("Plain text about <html> tags", 28));
	ck_assert(!ext_looks_like_html("<!-- unterminated", 17));
	ck_assert(!ext_looks_like_html("", 0));
}
END_TEST

START_TEST(blocks_become_lines_and_paragraphs)
{
	expect_main("<h1>Budget review</h1><p>" PROSE1 "</p><p>" PROSE2 "</p>",
		    "Budget review\n\n" PROSE1 "\n\n" PROSE2);
	/* Lists: an item per line; a table: cells by tabs, rows on lines. */
	expect_main("<p>" PROSE1 "</p><ul><li>first point</li><li>second <b>point</b></li></ul>"
		    "<table><tr><th>Year</th><th>Cost</th></tr><tr><td>2019</td><td>4.5</td></tr>"
		    "</table><p>" PROSE2 "</p>",
		    PROSE1 "\n\nfirst point\nsecond point\n\nYear\tCost\n2019\t4.5\n\n" PROSE2);
	/* Line breaks, entities, white space and no-break spaces. */
	expect_main("<p>" PROSE1 "</p><p>one&nbsp;&amp;&#160;two<br>three &lt;4&gt;\n\t  five"
		    "</p><p>" PROSE2 "</p>",
		    PROSE1 "\n\none & two\nthree <4> five\n\n" PROSE2);
	/* Inline elements join without spaces; blocks never run together. */
	expect_main("<p>" PROSE1 "</p><div>re<i>mark</i>able<div>inner</div>tail</div><p>" PROSE2
		    "</p>", PROSE1 "\n\nremarkable\ninner\ntail\n\n" PROSE2);
}
END_TEST

START_TEST(pre_and_code_stay_verbatim)
{
	expect_main("<p>" PROSE1 "</p><pre>\nint main(void)\n{\n    return 0;  /* a &lt; b */\n}\n"
		    "</pre><p>" PROSE2 " Call <code>f(x,  y)</code> first.</p>",
		    PROSE1 "\n\nint main(void)\n{\n    return 0;  /* a < b */\n}\n\n" PROSE2
		    " Call f(x, y) first.");
}
END_TEST

START_TEST(never_text_scripts_styles_forms_media)
{
	expect_main("<p>" PROSE1 "<script>var a = '<p>no</p>';</script></p><style>p{}</style>"
		    "<noscript>Enable JavaScript</noscript><template><p>tpl</p></template>"
		    "<select><option>opt</option></select><textarea>txt</textarea>"
		    "<button>Click</button><svg><text>svg</text></svg><iframe>frame</iframe>"
		    "<p>" PROSE2 "</p>", PROSE1 "\n\n" PROSE2);
}
END_TEST

START_TEST(boilerplate_is_dropped)
{
	/* Page furniture by element, by hiding, and by class or id. */
	expect_main("<nav><a href=/>Home</a> <a href=/a>About us and our long history</a></nav>"
		    "<header><a href=/>Site</a> Breaking news</header>"
		    "<article><p>" PROSE1 "</p>"
		    "<div class=\"share-buttons\">Share this article on social media</div>"
		    "<p hidden>Hidden text that nobody sees on the page at all.</p>"
		    "<p style=\"display: none\">Also hidden from every reader of the page.</p>"
		    "<p aria-hidden=\"true\">Icon font glyph text, a visual duplicate.</p>"
		    "<p>" PROSE2 "</p></article>"
		    "<aside><p>" PROSE2 " Sidebar copy.</p></aside>"
		    "<div id=\"comments\"><p>I disagree with this, strongly, and at length, as "
		    "comments often do, with many words and much punctuation.</p></div>"
		    "<div class=\"cookie-banner\">We use cookies to improve your experience.</div>"
		    "<footer>Copyright 2024 The Paper. All rights reserved.</footer>",
		    PROSE1 "\n\n" PROSE2);
}
END_TEST

START_TEST(forms_go_unless_they_hold_the_page)
{
	/* A comment form after the article: controls are never text, its
	 * labels are short lines at the article's edge. */
	expect_main("<article><p>" PROSE1 "</p><p>" PROSE2 "</p></article><form action=/c>"
		    "<h3>Leave a reply</h3><label>Name</label><input name=n><label>Email</label>"
		    "<input name=e><textarea>Your comment</textarea><button>Post comment</button>"
		    "</form>", PROSE1 "\n\n" PROSE2);
	/* ASP.NET pages wrap everything in one form: the form is the page. */
	expect_main("<form id=\"aspnetForm\" action=\"default.aspx\"><div class=\"main\"><p>"
		    PROSE1 "</p><p>" PROSE2 "</p></div></form>", PROSE1 "\n\n" PROSE2);
}
END_TEST

START_TEST(main_content_wins_over_teasers_and_link_lists)
{
	/* Related stories: headline links with excerpts cut by "...". */
	expect_main("<div class=\"main\"><h1>Budget review</h1><p>" PROSE1 "</p><p>" PROSE2 "</p>"
		    "<p>Officials said the plan would be reviewed again next year, after the "
		    "first results from the pilot districts are known.</p></div>"
		    "<ul class=\"more\"><li><a href=/1>Storm closes roads</a> Heavy rain closed "
		    "several roads across the north of the county on Monday, and officials...</li>"
		    "<li><a href=/2>School wins prize</a> A local school has won a national prize "
		    "for its work on reading, the organisers announced on...</li></ul>"
		    "<div><a href=/a>Politics</a> | <a href=/b>Sport</a> | <a href=/c>Culture</a> | "
		    "<a href=/d>Weather</a></div>",
		    "Budget review\n\n" PROSE1 "\n\n" PROSE2 "\n\nOfficials said the plan would be "
		    "reviewed again next year, after the first results from the pilot districts are "
		    "known.");
}
END_TEST

START_TEST(short_blocks_stay_between_prose_and_go_at_the_edges)
{
	/* jusText's context rule: a short line inside the article stays, a
	 * byline or "Advertisement" at its edge goes. */
	expect_main("<div><p>By Jane Doe</p><p>" PROSE1 "</p><p>Short, but inside.</p><p>" PROSE2
		    "</p><p>Advertisement</p></div>",
		    PROSE1 "\n\nShort, but inside.\n\n" PROSE2);
}
END_TEST

START_TEST(captions_and_credits_are_dropped)
{
	expect_main("<article><p>" PROSE1 "</p><figure><img src=a.jpg alt=\"A photo of the "
		    "committee\"><figcaption>The committee in session. Photo: AP</figcaption>"
		    "</figure><p>" PROSE2 "</p></article>", PROSE1 "\n\n" PROSE2);
}
END_TEST

START_TEST(alt_text_is_an_option_emoji_are_text)
{
	ext_options o;
	ext_extractor *alt;
	ext_result r;
	char *html = page("", "<article><p>" PROSE1 " <img class=emoji alt=\"\xF0\x9F\x98\x80\" "
			  "src=e.png></p><img src=a.jpg alt=\"The committee room\"><p>" PROSE2
			  "</p></article>");

	ck_assert_str_eq(main_text(html), PROSE1 " \xF0\x9F\x98\x80\n\n" PROSE2);
	ext_options_init(&o);
	o.alt_text = 1;
	alt = ext_extractor_new(&o);
	ck_assert_int_eq(ext_extract(alt, html, strlen(html), &r), CUR_OK);
	ck_assert_str_eq(r.text, PROSE1 " \xF0\x9F\x98\x80\n\nThe committee room\n\n" PROSE2);
	ext_extractor_free(alt);
	free(html);
}
END_TEST

START_TEST(math_becomes_latex)
{
	/* MathML with a TeX annotation, inline and display. */
	expect_main("<p>" PROSE1 " Let <math><semantics><mi>x</mi><annotation encoding="
		    "\"application/x-tex\">x^2</annotation></semantics></math> be given.</p>"
		    "<math display=\"block\"><semantics><mrow><mi>a</mi></mrow><annotation "
		    "encoding=\"application/x-tex\">\\frac{a}{b}</annotation></semantics></math>"
		    "<p>" PROSE2 "</p>",
		    PROSE1 " Let $x^2$ be given.\n\n$$\\frac{a}{b}$$\n\n" PROSE2);
	/* KaTeX: the MathML is the formula, the aria-hidden HTML a drawing. */
	expect_main("<p>" PROSE1 " Area <span class=\"katex\"><span class=\"katex-mathml\"><math>"
		    "<semantics><mi>r</mi><annotation encoding=\"application/x-tex\">\\pi r^2"
		    "</annotation></semantics></math></span><span class=\"katex-html\" aria-hidden="
		    "\"true\">πr2</span></span> exactly.</p><p>" PROSE2 "</p>",
		    PROSE1 " Area $\\pi r^2$ exactly.\n\n" PROSE2);
	/* MediaWiki: hidden MathML, a picture of the formula for display. */
	expect_main("<p>" PROSE1 " Given <span class=\"mwe-math-element\"><span style=\"display: "
		    "none;\"><math alttext=\"{\\displaystyle N}\"><semantics><mi>N</mi><annotation "
		    "encoding=\"application/x-tex\">{\\displaystyle N}</annotation></semantics>"
		    "</math></span><img class=\"mwe-math-fallback-image-inline\" aria-hidden=\"true\" "
		    "alt=\"N\"></span> points.</p><p>" PROSE2 "</p>",
		    PROSE1 " Given $N$ points.\n\n" PROSE2);
	/* WordPress LaTeX pictures, MathJax scripts, alttext alone. */
	expect_main("<p>" PROSE1 " So <img class=\"latex\" src=\"l.png\" alt=\"e^{i\\pi}+1=0\"> and "
		    "<script type=\"math/tex\">a+b</script> and <math alttext=\"c_1\"><mi>c</mi>"
		    "</math> hold.</p><p>" PROSE2 "</p>",
		    PROSE1 " So $e^{i\\pi}+1=0$ and $a+b$ and $c_1$ hold.\n\n" PROSE2);
	/* MathML with no TeX at all: its token text. */
	expect_main("<p>" PROSE1 " Then <math><mi>y</mi> <mo>=</mo> <mn>2</mn></math> holds.</p><p>"
		    PROSE2 "</p>", PROSE1 " Then y=2 holds.\n\n" PROSE2);
}
END_TEST

START_TEST(title_and_language)
{
	ext_result r;
	const char *html = "<html lang=\"pt-BR\"><head><title>\n  Um  t\xC3\xADtulo &amp; mais\n"
		"</title></head><body><p>" PROSE1 "</p><svg><title>not this</title></svg></body></html>";

	ck_assert_int_eq(ext_extract(x, html, strlen(html), &r), CUR_OK);
	ck_assert_str_eq(r.title, "Um t\xC3\xADtulo & mais");
	ck_assert_str_eq(r.lang, "pt-BR");
	ck_assert_str_eq(r.text, PROSE1);
	ck_assert_int_eq(r.truncated, 0);
}
END_TEST

/* Every document of path (any format the readers know), extracted. */
typedef struct fixture_doc {
	char url[256], charset[32], title[256];
	char *text;
} fixture_doc;

static size_t extract_file(const char *path, fixture_doc *out, size_t cap)
{
	cur_reader *rd;
	cur_err err;
	size_t n = 0;

	ck_assert_int_eq(cur_reader_open(&rd, path, NULL, &err), CUR_OK);
	for (;;) {
		cur_doc d;
		ext_result r;
		const char *v;
		int rc;

		cur_doc_init(&d);
		rc = cur_reader_read(rd, &d, &err);
		if (rc == CUR_OK && n < cap) {
			ck_assert_int_eq(ext_extract(x, d.text, d.text_len, &r), CUR_OK);
			snprintf(out[n].url, sizeof(out[n].url), "%s",
				 (v = cur_doc_meta_str(&d, "url")) ? v : "");
			snprintf(out[n].charset, sizeof(out[n].charset), "%s",
				 (v = cur_doc_meta_str(&d, "charset")) ? v : "");
			snprintf(out[n].title, sizeof(out[n].title), "%s", r.title);
			out[n].text = strdup(r.text);
			n++;
		}
		cur_doc_release(&d);
		if (rc == CUR_EOF || rc == CUR_EIO)
			break;
	}
	cur_reader_close(rd);
	return n;
}

static const fixture_doc *find_url(const fixture_doc *d, size_t n, const char *url)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(d[i].url, url) == 0)
			return &d[i];
	ck_abort_msg("no document for %s", url);
	return NULL;
}

static void free_docs(fixture_doc *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(d[i].text);
}

START_TEST(real_pages_in_legacy_charsets)
{
	fixture_doc d[32];
	size_t n;
	const fixture_doc *p;

	/* The UDHR in Japanese, served as Shift_JIS: declared by HTTP, then
	 * by <meta> alone; both read the same. */
	n = extract_file(DATA "extract/udhr-jpn-shift_jis.warc.gz", d, 32);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(d[0].charset, "shift_jis");
	ck_assert_str_eq(d[1].charset, "shift_jis");
	ck_assert_str_eq(d[0].url, "http://udhr.example/jpn/http-charset");
	ck_assert_ptr_nonnull(strstr(d[0].text, "人類社会のすべての構成員の固有の尊厳"));
	ck_assert_ptr_nonnull(strstr(d[0].text, "すべての人間は、生まれながらにして自由であり"));
	ck_assert_str_eq(d[0].text, d[1].text);
	free_docs(d, n);
	/* Common Crawl pages (2020): windows-1251, gb2312, and iso-8859-1
	 * declared by a <meta> past the first kilobyte (read as windows-1252). */
	n = extract_file(DATA "core/cc-2021-resiliparse.warc.gz", d, 32);
	p = find_url(d, n, "http://01spb.ru/company/");
	ck_assert_str_eq(p->charset, "windows-1251");
	ck_assert_str_eq(p->title, "О компании - Стратегия пожарной безопасности");
	ck_assert_ptr_nonnull(strstr(p->text, "ООО «СПБ» - узкоспециализированное предприятие"));
	p = find_url(d, n, "http://0760.jxtdw.com/area/sanxiang/");
	ck_assert_str_eq(p->charset, "gbk");
	ck_assert_str_eq(p->title, "三乡招聘|三乡人才市场|中山英才网(0760.jxtdw.com)");
	p = find_url(d, n, "http://06.live-radsport.ch/tippspiel/stats_140_petzi.html");
	ck_assert_str_eq(p->charset, "windows-1252");
	ck_assert_ptr_nonnull(strstr(p->text, "Kategorie-Übersicht"));
	ck_assert_ptr_nonnull(strstr(p->text, "1. Plätze: 0"));
	free_docs(d, n);
}
END_TEST

START_TEST(real_math_page_from_wikipedia)
{
	fixture_doc d[1];
	size_t n = extract_file(DATA "extract/wikipedia-tsne.html.gz", d, 1);

	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(d[0].text, "T-distributed Stochastic Neighbor Embedding (t-SNE) "
				     "is a machine learning algorithm"));
	ck_assert_ptr_nonnull(strstr(d[0].text, "Given a set of $N$ high-dimensional objects "
				     "$\\mathbf {x} _{1},\\dots ,\\mathbf {x} _{N}$, t-SNE"));
	ck_assert_ptr_null(strstr(d[0].text, "[edit]"));
	ck_assert_ptr_null(strstr(d[0].text, "displaystyle"));
	ck_assert_ptr_null(strstr(d[0].text, "Jump to navigation"));
	free_docs(d, n);
}
END_TEST

/* ---- pathological pages: bounded memory ---- */
/* What they cost in time is measured in bench/extract.sh; here a parse
 * that went quadratic would run past the case's timeout. */

static char *repeat(const char *head, const char *unit, size_t times, const char *tail)
{
	size_t hu = strlen(head), uu = strlen(unit), tu = strlen(tail);
	char *s = malloc(hu + uu * times + tu + 1), *p = s;

	ck_assert_ptr_nonnull(s);
	memcpy(p, head, hu);
	p += hu;
	for (size_t i = 0; i < times; i++, p += uu)
		memcpy(p, unit, uu);
	memcpy(p, tail, tu + 1);
	return s;
}

START_TEST(deep_nesting_stops_at_the_limit)
{
	/* 100,000 nested divs, then as many stray end tags: libxml2 would match
	 * each against its whole stack (quadratic) if it were let. */
	char *open = repeat("<html><body><p>" PROSE1 "</p>", "<div>", 100000, "<p>deep</p>");
	char *html = repeat(open, "</span>", 100000, "</body></html>");
	ext_result r;

	ck_assert_int_eq(ext_extract(x, html, strlen(html), &r), CUR_OK);
	ck_assert_int_eq(r.truncated, 1);
	ck_assert_str_eq(r.text, PROSE1);
	free(open);
	free(html);
}
END_TEST

START_TEST(unclosed_tags_and_garbage)
{
	char *unclosed = repeat("<html><body><p>" PROSE1 "</p>", "<p><b><i><span><font>text ",
				100000, "");
	char raw[1 << 16];
	cur_buf garbage;
	size_t rep;
	unsigned s = 12345;
	ext_result r;

	ck_assert_int_eq(ext_extract(x, unclosed, strlen(unclosed), &r), CUR_OK);
	ck_assert_uint_eq(cur_utf8_valid_prefix(r.text, r.text_len), r.text_len);
	free(unclosed);
	/* Random bytes labelled text/html, repaired to UTF-8 as the reader does. */
	for (size_t i = 0; i < sizeof(raw); i++) {
		s = s * 1103515245u + 12345u;
		raw[i] = (char)(s >> 16);
	}
	cur_buf_init(&garbage, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(cur_utf8_repair(raw, sizeof(raw), &garbage, &rep), CUR_OK);
	ck_assert_int_eq(ext_extract(x, garbage.data, garbage.len, &r), CUR_OK);
	ck_assert_uint_eq(cur_utf8_valid_prefix(r.text, r.text_len), r.text_len);
	cur_buf_release(&garbage);
}
END_TEST

START_TEST(a_50_mb_page_in_bounded_memory)
{
	/* 50 MB of paragraphs (10 MB under the sanitizers, which are slow and
	 * take memory of their own). Memory stays a small multiple of the
	 * page: the parser keeps no DOM, the tree holds offsets. */
	size_t mb = SANITIZED ? 10 : 50;
	size_t times = mb * 1000000 / (sizeof("<p>" PROSE1 "</p>\n") - 1);
	char *html = repeat("<html><body><article>", "<p>" PROSE1 "</p>\n", times,
			    "</article></body></html>");
	struct rusage before, after;
	ext_result r;

	getrusage(RUSAGE_SELF, &before);
	ck_assert_int_eq(ext_extract(x, html, strlen(html), &r), CUR_OK);
	getrusage(RUSAGE_SELF, &after);
	ck_assert_uint_eq(r.text_len, times * (sizeof(PROSE1) - 1 + 2) - 2);
	/* ru_maxrss is in KiB; the page itself is counted in before. ASan's
	 * allocator keeps freed memory in quarantine: a looser bound there. */
	ck_assert_msg((size_t)(after.ru_maxrss - before.ru_maxrss) < mb * 1024 * (SANITIZED ? 20 : 6),
		      "grew by %ld KiB for a %zu MB page", after.ru_maxrss - before.ru_maxrss, mb);
	free(html);
}
END_TEST

/* ---- the stage ---- */

static cur_stage *stage(const char *json)
{
	json_error_t je;
	json_t *cfg = json_loads(json, 0, &je);
	cur_err err;
	cur_stage *st;

	ck_assert_ptr_nonnull(cfg);
	st = ext_stage_new(cfg, NULL, &err);
	json_decref(cfg);
	ck_assert_msg(st != NULL, "%s", err.msg);
	return st;
}

static int run(cur_stage *st, void *tls, cur_doc *d, const char *json)
{
	json_error_t je;
	cur_err err;

	cur_doc_init(d);
	ck_assert_int_eq(cur_doc_from_json(d, json_loads(json, 0, &je), "text", "t.jsonl", 1, &err),
			 CUR_OK);
	return st->ops->process(st, tls, d, &err);
}

#define HTML_DOC "<html><head><title>T</title></head><body><p>" PROSE1 "</p></body></html>"

START_TEST(stage_extracts_what_is_html)
{
	cur_stage *st = stage("{}");
	void *tls = st->ops->thread_new(st);
	json_t *report = json_object(), *e;
	cur_doc d;

	/* By content type. */
	ck_assert_int_eq(run(st, tls, &d, "{\"id\":\"1\",\"text\":\"" HTML_DOC "\",\"metadata\":"
			     "{\"content_type\":\"text/html; charset=utf-8\"}}"), CUR_KEEP);
	ck_assert_str_eq(d.text, PROSE1);
	ck_assert_str_eq(cur_doc_meta_str(&d, "title"), "T");
	ck_assert_str_eq(cur_doc_meta_str(&d, "extracted_from"), "text/html; charset=utf-8");
	ck_assert_ptr_null(cur_doc_meta_str(&d, "html"));
	cur_doc_release(&d);
	/* A content type that is not HTML wins over the text's look. */
	ck_assert_int_eq(run(st, tls, &d, "{\"id\":\"2\",\"text\":\"" HTML_DOC "\",\"metadata\":"
			     "{\"content_type\":\"text/plain\"}}"), CUR_KEEP);
	ck_assert_str_eq(d.text, HTML_DOC);
	cur_doc_release(&d);
	/* No content type: by the start of the text. */
	ck_assert_int_eq(run(st, tls, &d, "{\"id\":\"3\",\"text\":\"  " HTML_DOC "\"}"), CUR_KEEP);
	ck_assert_str_eq(d.text, PROSE1);
	cur_doc_release(&d);
	ck_assert_int_eq(run(st, tls, &d, "{\"id\":\"4\",\"text\":\"Plain <b>text</b>.\"}"),
			 CUR_KEEP);
	ck_assert_str_eq(d.text, "Plain <b>text</b>.");
	cur_doc_release(&d);
	/* Extracted once (an earlier pipe): never again. */
	ck_assert_int_eq(run(st, tls, &d, "{\"id\":\"5\",\"text\":\"<html><p>&amp;</p></html>\","
			     "\"metadata\":{\"content_type\":\"text/html\",\"extracted_from\":"
			     "\"text/html\"}}"), CUR_KEEP);
	ck_assert_str_eq(d.text, "<html><p>&amp;</p></html>");
	cur_doc_release(&d);
	/* Nothing left: dropped with its reason. */
	ck_assert_int_eq(run(st, tls, &d, "{\"id\":\"6\",\"text\":\"<html><body><nav>Home</nav>"
			     "</body></html>\"}"), CUR_DROP);
	ck_assert_str_eq(d.drop_reason, "extract:empty");
	cur_doc_release(&d);
	ck_assert_int_eq(st->ops->finish(st, report, NULL), CUR_OK);
	e = json_object_get(report, "extract");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "documents")), 6);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "html")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "not_html")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "extracted")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "empty")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "text_bytes")),
			 2 * (sizeof(PROSE1) - 1));
	ck_assert(json_integer_value(json_object_get(e, "html_bytes")) > 0);
	ck_assert(json_is_real(json_object_get(e, "yield")));
	/* The report page's charts: outcomes and the yield per page. */
	e = json_object_get(json_object_get(report, "shares"), "extraction");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "extracted")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "not_html")), 3);
	e = json_object_get(json_object_get(report, "histograms"), "yield");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "total")), 2);
	ck_assert_uint_eq(json_array_size(json_object_get(e, "edges")),
			  json_array_size(json_object_get(e, "counts")));
	json_decref(report);
	st->ops->thread_free(st, tls);
	st->ops->destroy(st);
}
END_TEST

START_TEST(stage_options)
{
	cur_stage *st = stage("{\"html\": \"always\", \"keep_html\": true}");
	void *tls = st->ops->thread_new(st);
	cur_doc d;
	json_error_t je;
	json_t *bad = json_loads("{\"html\": \"sometimes\"}", 0, &je);
	cur_err err;

	ck_assert_int_eq(run(st, tls, &d, "{\"id\":\"1\",\"text\":\"<p>" PROSE1 "</p>\","
			     "\"metadata\":{\"content_type\":\"text/plain\"}}"), CUR_KEEP);
	ck_assert_str_eq(d.text, PROSE1);
	ck_assert_str_eq(cur_doc_meta_str(&d, "html"), "<p>" PROSE1 "</p>");
	cur_doc_release(&d);
	st->ops->thread_free(st, tls);
	st->ops->destroy(st);
	st = stage("{\"html\": \"never\"}");
	tls = st->ops->thread_new(st);
	ck_assert_int_eq(run(st, tls, &d, "{\"id\":\"1\",\"text\":\"" HTML_DOC "\"}"), CUR_KEEP);
	ck_assert_str_eq(d.text, HTML_DOC);
	cur_doc_release(&d);
	st->ops->thread_free(st, tls);
	st->ops->destroy(st);
	ck_assert_ptr_null(ext_stage_new(bad, NULL, &err));
	ck_assert_int_eq(err.code, CUR_EINVAL);
	json_decref(bad);
}
END_TEST

START_TEST(stage_drops_a_page_too_deep_to_read)
{
	cur_stage *st = stage("{\"max_depth\": 32}");
	void *tls = st->ops->thread_new(st);
	char *body = repeat("<html><body>", "<div>", 100, "<p>" PROSE1 "</p>");
	json_t *obj = json_pack("{s:s, s:s}", "id", "deep", "text", body);
	cur_doc d;
	cur_err err;

	cur_doc_init(&d);
	ck_assert_int_eq(cur_doc_from_json(&d, obj, "text", "t.jsonl", 1, &err), CUR_OK);
	ck_assert_int_eq(st->ops->process(st, tls, &d, &err), CUR_DROP);
	ck_assert_str_eq(d.drop_reason, "extract:too_deep");
	cur_doc_release(&d);
	free(body);
	st->ops->thread_free(st, tls);
	st->ops->destroy(st);
}
END_TEST

static Suite *extract_suite(void)
{
	Suite *s = suite_create("extract");
	TCase *t = tcase_create("extract");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, html_is_recognized_by_its_start);
	tcase_add_test(t, blocks_become_lines_and_paragraphs);
	tcase_add_test(t, pre_and_code_stay_verbatim);
	tcase_add_test(t, never_text_scripts_styles_forms_media);
	tcase_add_test(t, boilerplate_is_dropped);
	tcase_add_test(t, forms_go_unless_they_hold_the_page);
	tcase_add_test(t, main_content_wins_over_teasers_and_link_lists);
	tcase_add_test(t, short_blocks_stay_between_prose_and_go_at_the_edges);
	tcase_add_test(t, captions_and_credits_are_dropped);
	tcase_add_test(t, alt_text_is_an_option_emoji_are_text);
	tcase_add_test(t, math_becomes_latex);
	tcase_add_test(t, title_and_language);
	tcase_add_test(t, real_pages_in_legacy_charsets);
	tcase_add_test(t, real_math_page_from_wikipedia);
	tcase_add_test(t, deep_nesting_stops_at_the_limit);
	tcase_add_test(t, unclosed_tags_and_garbage);
	tcase_add_test(t, a_50_mb_page_in_bounded_memory);
	tcase_add_test(t, stage_extracts_what_is_html);
	tcase_add_test(t, stage_options);
	tcase_add_test(t, stage_drops_a_page_too_deep_to_read);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(extract_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
