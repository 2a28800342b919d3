#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bin/cli.h"
#include "bin/commands.h"
#include "core/file.h"
#include "core/utf8.h"

/* `curate stats`: a sink that measures instead of writing. Scripts come from
 * a short table of Unicode blocks: enough to see what a corpus is made of,
 * not a full Script property. */

static const struct script_range {
	uint32_t lo, hi;
	const char *name;
} script_ranges[] = {
	{ 0x0041, 0x024F, "Latin" }, { 0x0370, 0x03FF, "Greek" }, { 0x0400, 0x052F, "Cyrillic" },
	{ 0x0530, 0x058F, "Armenian" }, { 0x0590, 0x05FF, "Hebrew" }, { 0x0600, 0x06FF, "Arabic" },
	{ 0x0750, 0x077F, "Arabic" }, { 0x0900, 0x097F, "Devanagari" }, { 0x0980, 0x09FF, "Bengali" },
	{ 0x0A00, 0x0AFF, "Gurmukhi/Gujarati" }, { 0x0B80, 0x0BFF, "Tamil" },
	{ 0x0C00, 0x0DFF, "South Indian (other)" }, { 0x0E00, 0x0E7F, "Thai" },
	{ 0x10A0, 0x10FF, "Georgian" }, { 0x1100, 0x11FF, "Hangul" }, { 0x1200, 0x139F, "Ethiopic" },
	{ 0x1E00, 0x1EFF, "Latin" }, { 0x1F00, 0x1FFF, "Greek" }, { 0x3040, 0x309F, "Hiragana" },
	{ 0x30A0, 0x30FF, "Katakana" }, { 0x3400, 0x4DBF, "Han" }, { 0x4E00, 0x9FFF, "Han" },
	{ 0xAC00, 0xD7AF, "Hangul" }, { 0xF900, 0xFAFF, "Han" }, { 0x20000, 0x3134F, "Han" },
};
#define NSCRIPTS (sizeof(script_ranges) / sizeof(script_ranges[0]))
#define NHIST 40

typedef struct stats {
	uint64_t docs, bytes, chars, lines, empty;
	uint64_t ascii_other;   /* digits, punctuation, spaces */
	uint64_t other;         /* letters of scripts not in the table */
	uint64_t script[NSCRIPTS];
	uint64_t hist[NHIST];   /* documents by floor(log2(chars)) */
	uint64_t min_chars, max_chars;
	const char *output;
} stats;

static int script_of(uint32_t cp)
{
	size_t lo = 0, hi = NSCRIPTS;

	if (cp < 0x80)
		return ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') ? 0 : -1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cp < script_ranges[mid].lo)
			hi = mid;
		else if (cp > script_ranges[mid].hi)
			lo = mid + 1;
		else
			return (int)mid;
	}
	return -2;
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
	uint64_t per_script[NSCRIPTS] = { 0 };
	size_t i, j;
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
	/* Several ranges share a name: add them up under the first. */
	for (i = 0; i < NSCRIPTS; i++) {
		for (j = 0; j < i && strcmp(script_ranges[j].name, script_ranges[i].name); j++)
			;
		per_script[j] += s->script[i];
	}
	for (i = 0; i < NSCRIPTS; i++)
		if (per_script[i])
			fprintf(f, "%-26s %12llu  %5.1f%%\n", script_ranges[i].name,
				(unsigned long long)per_script[i],
				100.0 * (double)per_script[i] / (double)(s->chars ? s->chars : 1));
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
	memset(&s, 0, sizeof(s));
	memset(&sink, 0, sizeof(sink));
	s.output = c.output;
	sink.ops = &stats_ops;
	sink.priv = &s;
	return cli_run_pipeline("stats", &c, NULL, 0, &sink);
}
