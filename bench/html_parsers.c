/* The HTML parsers Debian 12 ships, side by side, for bench/html_parsers.sh:
 * gumbo (HTML5 tree construction), libxml2's HTML parser building its DOM,
 * and libxml2's HTML parser through SAX with callbacks that do nothing, on
 * the whole page in memory (libxml2-sax) or as a push parser fed 64 KB at a
 * time (libxml2-push). Times each on the pages given, PASSES times, and prints one JSON line per
 * parser with its best wall time, CPU time and peak resident memory.
 *
 *   html_parsers gumbo|libxml2-dom|libxml2-sax|libxml2-push PASSES FILE...
 */
#include <gumbo.h>
#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define OPTIONS (HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
		 HTML_PARSE_NONET | HTML_PARSE_NOIMPLIED | HTML_PARSE_NODEFDTD | HTML_PARSE_IGNORE_ENC)

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	rewind(f);
	b = malloc(*n + 1);
	if (b && fread(b, 1, *n, f) != *n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static double clock_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	(void)ctx, (void)name, (void)atts;
}

static void end(void *ctx, const xmlChar *name)
{
	(void)ctx, (void)name;
}

static void text(void *ctx, const xmlChar *s, int len)
{
	(void)ctx, (void)s, (void)len;
}

static void parse(const char *how, const char *b, size_t n)
{
	if (!strcmp(how, "gumbo")) {
		GumboOptions o = kGumboDefaultOptions;
		GumboOutput *g;

		o.max_errors = 0;
		g = gumbo_parse_with_options(&o, b, n);
		gumbo_destroy_output(&o, g);
	} else if (!strcmp(how, "libxml2-dom")) {
		htmlDocPtr d = htmlReadMemory(b, (int)n, NULL, "UTF-8", OPTIONS | HTML_PARSE_COMPACT);

		xmlFreeDoc(d);
	} else {
		htmlSAXHandler sax;
		int push = !strcmp(how, "libxml2-push");
		htmlParserCtxtPtr c;

		memset(&sax, 0, sizeof(sax));
		sax.startElement = start;
		sax.endElement = end;
		sax.characters = text;
		sax.ignorableWhitespace = text;
		sax.cdataBlock = text;
		c = push ? htmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL, XML_CHAR_ENCODING_UTF8)
			 : htmlCreateMemoryParserCtxt(b, (int)n);
		if (!c)
			return;
		memcpy(c->sax, &sax, sizeof(sax));
		if (!push)
			xmlSwitchEncoding(c, XML_CHAR_ENCODING_UTF8);
		htmlCtxtUseOptions(c, OPTIONS);
		if (push) {
			for (size_t at = 0; at < n; at += 65536)
				htmlParseChunk(c, b + at, (int)(n - at < 65536 ? n - at : 65536), 0);
			htmlParseChunk(c, NULL, 0, 1);
		} else {
			htmlParseDocument(c);
		}
		if (c->myDoc)
			xmlFreeDoc(c->myDoc);
		htmlFreeParserCtxt(c);
	}
}

int main(int argc, char **argv)
{
	int passes;
	double best = 1e30, best_cpu = 0;
	size_t total = 0;
	struct rusage ru;

	if (argc < 4) {
		fprintf(stderr, "usage: html_parsers gumbo|libxml2-dom|libxml2-sax|libxml2-push PASSES "
				"FILE...\n");
		return 2;
	}
	passes = (int)strtol(argv[2], NULL, 10);
	for (int p = 0; p < (passes > 0 ? passes : 1); p++) {
		double t = 0, c = 0;

		total = 0;
		for (int i = 3; i < argc; i++) {
			size_t n;
			char *b = slurp(argv[i], &n);
			double t0, c0;

			if (!b)
				return 3;
			t0 = clock_s(CLOCK_MONOTONIC);
			c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
			parse(argv[1], b, n);
			t += clock_s(CLOCK_MONOTONIC) - t0;
			c += clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
			total += n;
			free(b);
		}
		if (t < best) {
			best = t;
			best_cpu = c;
		}
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"parser\": \"%s\", \"bytes\": %zu, \"seconds\": %.4f, \"cpu_seconds\": %.4f, "
	       "\"peak_mib\": %ld}\n", argv[1], total, best, best_cpu, ru.ru_maxrss / 1024);
	return 0;
}
