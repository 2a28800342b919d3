#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bin/cli.h"
#include "bin/commands.h"
#include "core/file.h"
#include "core/script.h"
#include "core/utf8.h"

/* `curate stats`: a sink that measures instead of writing. Scripts are
 * core/script.h's (by Unicode block: enough to see what a corpus is made of,
 * not the full Script property). */

#define NHIST 40

typedef struct stats {
	uint64_t docs, bytes, chars, lines, empty;
	uint64_t ascii_other;   /* digits, punctuation, spaces */
	uint64_t other;         /* letters of scripts not in the table */
	uint64_t script[CUR_NSCRIPTS];
	uint64_t hist[NHIST];   /* documents by floor(log2(chars)) */
	uint64_t min_chars, max_chars;
	const char *output;
} stats;

/* A code point's script id, -1 for ASCII other than letters, -2 for a
 * code point in no script of the table. */
static int script_of(uint32_t cp)
{
	int id;

	if (cp < 0x80)
		return ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') ? CUR_SCRIPT_LATIN : -1;
	id = cur_script_of(cp);
	return id == CUR_SCRIPT_OTHER ? -2 : id;
}

static int stats_write(cur_sink *self, cur_doc *doc, cur_err *err)
{
	stats *s = self->priv;
	const unsigned char *p = (const unsigned char *)doc->text;
	size_t i = 0, n = doc->text_len;
	uint64_t chars = 0;
	int b;

	(void)err;
	s->docs++;
	s->bytes += n;
	while (i < n) {
		uint32_t cp;
		size_t k = cur_utf8_decode(p + i, n - i, &cp);
		int sc;

		i += k ? k : 1;
		chars++;
		if (cp == '\n')
			s->lines++;
		sc = script_of(cp);
		if (sc >= 0)
			s->script[sc]++;
		else if (sc == -1)
			s->ascii_other++;
		else
			s->other++;
	}
	if (n && p[n - 1] != '\n')
		s->lines++;
	if (!n)
		s->empty++;
	s->chars += chars;
	/* Bucket 0 holds empty documents, bucket b holds [2^(b-1), 2^b). */
	for (b = 0; b < NHIST - 1 && (chars >> b); b++)
		;
	s->hist[b]++;
	if (s->docs == 1 || chars < s->min_chars)
		s->min_chars = chars;
	if (chars > s->max_chars)
		s->max_chars = chars;
	return CUR_OK;
}

static void print_table(FILE *f, const stats *s)
{
	size_t i;
	uint64_t peak = 0;

	fprintf(f, "documents   %12llu  (%llu empty)\n", (unsigned long long)s->docs,
		(unsigned long long)s->empty);
	fprintf(f, "bytes       %12llu\ncharacters  %12llu\nlines       %12llu\n",
		(unsigned long long)s->bytes, (unsigned long long)s->chars,
		(unsigned long long)s->lines);
	if (s->docs)
		fprintf(f, "chars/doc   %12.1f  (min %llu, max %llu)\n",
			(double)s->chars / (double)s->docs, (unsigned long long)s->min_chars,
			(unsigned long long)s->max_chars);
	fprintf(f, "\nscript                      characters   share\n");
	for (i = 0; i < CUR_NSCRIPTS; i++) {
		char name[32];

		if (!s->script[i])
			continue;
		/* Capitalized, as the name of a script is written. */
		snprintf(name, sizeof(name), "%s", cur_script_name((int)i));
		name[0] = (char)(name[0] - 'a' + 'A');
		fprintf(f, "%-26s %12llu  %5.1f%%\n", name, (unsigned long long)s->script[i],
			100.0 * (double)s->script[i] / (double)(s->chars ? s->chars : 1));
	}
	if (s->other)
		fprintf(f, "%-26s %12llu  %5.1f%%\n", "other non-ASCII", (unsigned long long)s->other,
			100.0 * (double)s->other / (double)(s->chars ? s->chars : 1));
	fprintf(f, "%-26s %12llu  %5.1f%%\n", "ASCII digits/punct/space",
		(unsigned long long)s->ascii_other,
		100.0 * (double)s->ascii_other / (double)(s->chars ? s->chars : 1));
	fprintf(f, "\nlength (characters)        documents\n");
	for (i = 0; i < NHIST; i++)
		if (s->hist[i] > peak)
			peak = s->hist[i];
	for (i = 0; i < NHIST; i++) {
		char range[48];
		int bar;

		if (!s->hist[i])
			continue;
		if (i == 0)
			snprintf(range, sizeof(range), "0");
		else
			snprintf(range, sizeof(range), "%llu-%llu", 1ULL << (i - 1), (1ULL << i) - 1);
		bar = (int)(40.0 * (double)s->hist[i] / (double)peak + 0.5);
		fprintf(f, "%-22s %12llu  %.*s\n", range, (unsigned long long)s->hist[i], bar,
			"########################################");
	}
}

static int stats_finish(cur_sink *self, json_t *report, cur_err *err)
{
	stats *s = self->priv;
	cur_atomic out;
	FILE *f = cur_atomic_fopen(&out, s->output, err);

	if (!f)
		return err->code;
	print_table(f, s);
	CUR_FORWARD(cur_atomic_commit(&out, 0, err));
	json_object_set_new(report, "characters", json_integer((json_int_t)s->chars));
	json_object_set_new(report, "lines", json_integer((json_int_t)s->lines));
	return CUR_OK;
}

static const cur_sink_ops stats_ops = {
	.write = stats_write,
	.finish = stats_finish,
};

int cmd_stats(int argc, char **argv)
{
	json_t *cfg = json_object();
	cli_common c;
	stats s;
	cur_sink sink;
	int rc = cli_parse("stats", NULL, argc, argv, &c, cfg);

	json_decref(cfg);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = cli_check_files("stats", &c)) != 0)
		return rc;
	memset(&s, 0, sizeof(s));
	memset(&sink, 0, sizeof(sink));
	s.output = c.output;
	sink.ops = &stats_ops;
	sink.priv = &s;
	return cli_run_pipeline("stats", &c, NULL, 0, &sink);
}
