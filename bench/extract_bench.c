/* The extractor alone, for bench/extract.sh: reads HTML pages into memory
 * (decoded to UTF-8 as the WARC reader does), extracts them all PASSES
 * times on one thread and prints the fastest pass (wall and CPU seconds)
 * as a JSON line; with -o,
 * writes {"<page id>": {"articleBody": TEXT}} as the article-extraction
 * benchmark's scripts read it.
 *
 *   bench/extract_bench [-p PASSES] [-o OUT.json] [--all-text] FILE.html...
 *   bench/extract_bench [-p PASSES] --libxml2-only|--libxml2-feed FILE.html...
 *
 * --libxml2-only times libxml2's HTML parser alone, reading the page from
 * memory, with SAX callbacks that do nothing. --libxml2-feed times it as
 * the extractor runs it (extract/feed.c: the content of scripts and styles
 * left out), with callbacks that do nothing else: the ceiling that curate's
 * extractor, built on it, can reach.
 */
#include "config.h"

#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/buf.h"
#include "core/charset.h"
#include "core/error.h"
#include "extract/extract.h"
#include "extract/feed.h"

typedef struct page {
	char *id;
	cur_buf html;
} page;

static double clock_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int load(const char *path, page *pg)
{
	FILE *f = fopen(path, "rb");
	cur_buf raw;
	char chunk[65536];
	size_t got, errors;
	cur_charset cs;
	const char *base = strrchr(path, '/');

	if (!f)
		return -1;
	cur_buf_init(&raw, CUR_BUF_UNLIMITED);
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		cur_buf_append(&raw, chunk, got);
	fclose(f);
	base = base ? base + 1 : path;
	pg->id = strndup(base, strcspn(base, "."));
	cur_buf_init(&pg->html, CUR_BUF_UNLIMITED);
	cur_charset_sniff(raw.data ? raw.data : "", raw.len, NULL, 1, &cs);
	if (cur_charset_to_utf8(&cs, raw.data ? raw.data + cs.bom : "", raw.len - cs.bom,
				&pg->html, &errors))
		cur_buf_append(&pg->html, raw.data ? raw.data : "", raw.len);
	cur_buf_release(&raw);
	return 0;
}

static void sax_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	(void)ctx;
	(void)name;
	(void)atts;
}

/* What the extractor's parser does besides its own work: let the feed
 * skip the content of every script and style. */
static void sax_start_feed(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	htmlParserCtxtPtr ctxt = ctx;

	(void)atts;
	if (!strcmp((const char *)name, "script") || !strcmp((const char *)name, "style"))
		ext_feed_skip_raw_text(ctxt->_private, ctxt, (const char *)name);
}

static void sax_end(void *ctx, const xmlChar *name)
{
	(void)ctx;
	(void)name;
}

static void sax_text(void *ctx, const xmlChar *s, int len)
{
	(void)ctx;
	(void)s;
	(void)len;
}

/* libxml2's parser with the options the extractor uses, and no work;
 * with_feed: reading as the extractor reads (extract/feed.h). */
static void libxml2_only(const char *html, size_t n, int with_feed)
{
	htmlSAXHandler sax;
	ext_feed feed = {html, n, 0, 0};
	htmlParserCtxtPtr ctxt = with_feed ? ext_feed_context(&feed)
					   : htmlCreateMemoryParserCtxt(n ? html : " ", n ? (int)n : 1);

	if (!ctxt)
		return;
	memset(&sax, 0, sizeof(sax));
	sax.startElement = with_feed ? sax_start_feed : sax_start;
	sax.endElement = sax_end;
	sax.characters = sax_text;
	sax.ignorableWhitespace = sax_text;
	sax.cdataBlock = sax_text;
	memcpy(ctxt->sax, &sax, sizeof(sax));
	ctxt->userData = with_feed ? ctxt : NULL;
	ctxt->_private = &feed;
	ext_feed_parse(ctxt);
}

int main(int argc, char **argv)
{
	int parse_only = 0;
	int passes = 3, first = 1;
	const char *outpath = NULL;
	ext_options o;
	page *pages;
	size_t npages = 0, bytes = 0, out_bytes = 0;
	double best = 1e30, best_cpu = 0;
	json_t *all = json_object();

	ext_options_init(&o);
	while (first < argc && argv[first][0] == '-') {
		if (!strcmp(argv[first], "-p") && first + 1 < argc) {
			passes = (int)strtol(argv[first + 1], NULL, 10);
			first += 2;
		} else if (!strcmp(argv[first], "-o") && first + 1 < argc) {
			outpath = argv[first + 1];
			first += 2;
		} else if (!strcmp(argv[first], "--all-text")) {
			o.all_text = 1;
			first++;
		} else if (!strcmp(argv[first], "--libxml2-only")) {
			parse_only = 1;
			first++;
		} else if (!strcmp(argv[first], "--libxml2-feed")) {
			parse_only = 2;
			first++;
		} else {
			fprintf(stderr, "usage: extract_bench [-p PASSES] [-o OUT.json] [--all-text | "
				"--libxml2-only | --libxml2-feed] FILE.html...\n");
			return 2;
		}
	}
	pages = calloc((size_t)(argc - first) + 1, sizeof(*pages));
	for (int i = first; i < argc; i++) {
		if (load(argv[i], &pages[npages])) {
			fprintf(stderr, "extract_bench: cannot read '%s'\n", argv[i]);
			return 3;
		}
		bytes += pages[npages++].html.len;
	}
	ext_extractor *x = ext_extractor_new(&o);
	if (!x || !pages || !all)
		return 3;
	for (int pass = 0; pass < (passes > 0 ? passes : 1); pass++) {
		double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), dt;

		out_bytes = 0;
		for (size_t k = 0; k < npages && parse_only; k++)
			libxml2_only(pages[k].html.data ? pages[k].html.data : "", pages[k].html.len,
				     parse_only == 2);
		for (size_t k = 0; k < npages && !parse_only; k++) {
			ext_result r;

			if (ext_extract(x, pages[k].html.data ? pages[k].html.data : "",
					pages[k].html.len, &r))
				return 3;
			out_bytes += r.text_len;
			if (pass == 0 && outpath)
				json_object_set_new(all, pages[k].id,
						    json_pack("{s:s%}", "articleBody", r.text,
							      r.text_len));
		}
		dt = clock_s(CLOCK_MONOTONIC) - t0;
		if (dt < best) {
			best = dt;
			best_cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		}
	}
	printf("{\"engine\": \"%s\", ", parse_only == 2 ? "libxml2-sax-feed"
					  : parse_only ? "libxml2-sax-only" : "curate");
	printf("\"pages\": %zu, \"bytes\": %zu, \"text_bytes\": %zu, "
	       "\"seconds\": %.4f, \"cpu_seconds\": %.4f}\n", npages, bytes, out_bytes, best,
	       best_cpu);
	if (outpath && json_dump_file(all, outpath, JSON_INDENT(1) | JSON_SORT_KEYS)) {
		fprintf(stderr, "extract_bench: cannot write '%s'\n", outpath);
		return 3;
	}
	json_decref(all);
	ext_extractor_free(x);
	for (size_t k = 0; k < npages; k++) {
		free(pages[k].id);
		cur_buf_release(&pages[k].html);
	}
	free(pages);
	return 0;
}
