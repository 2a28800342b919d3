/* core's readers (core/reader.h): JSON Lines, the light parse, WARC
 * records and their payloads, charsets, archives, damaged streams. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "core/buf.h"
#include "core/charset.h"
#include "core/doc.h"
#include "core/json_text.h"
#include "core/reader.h"
#include "core/utf8.h"
#include "tests/core_test.h"

/* ---- readers ---- */

typedef struct read_result {
	int docs, bad, fatal;
	char ids[4096];
	char reasons[1024];
} read_result;

static void read_with(const char *path, const cur_reader_opts *o, read_result *r)
{
	cur_reader *rd;
	cur_err err;
	int rc;

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(cur_reader_open(&rd, path, o, &err), CUR_OK);
	for (;;) {
		cur_doc d;

		cur_doc_init(&d);
		rc = cur_reader_read(rd, &d, &err);
		if (rc == CUR_OK) {
			r->docs++;
			if (strlen(r->ids) + strlen(cur_doc_id(&d)) + 2 < sizeof(r->ids)) {
				strncat(r->ids, cur_doc_id(&d), sizeof(r->ids) - strlen(r->ids) - 1);
				strncat(r->ids, " ", sizeof(r->ids) - strlen(r->ids) - 1);
			}
		} else if (rc == CUR_EDATA || rc == CUR_EIO) {
			r->bad++;
			strncat(r->reasons, err.reason, sizeof(r->reasons) - strlen(r->reasons) - 2);
			strncat(r->reasons, " ", sizeof(r->reasons) - strlen(r->reasons) - 1);
			if (rc == CUR_EIO)
				r->fatal++;
		}
		cur_doc_release(&d);
		if (rc == CUR_EOF || rc == CUR_EIO)
			break;
	}
	cur_reader_close(rd);
}

static void read_all(const char *path, size_t max, read_result *r)
{
	cur_reader_opts o;

	cur_reader_opts_init(&o);
	if (max)
		o.max_doc_bytes = max;
	read_with(path, &o, r);
}

/* ---- the light parse (a text-only sink, no stages) ---- */

static void raw_doc(cur_doc *d, const char *line)
{
	cur_doc_init(d);
	d->text = strdup(line);
	d->text_len = strlen(line);
	d->raw_json = 1;
	d->origin = "dir/mem.jsonl";
	d->record = 3;
}

/* The light parse refuses line and leaves it whole: the full parse then
 * fails it for reason. */
static void light_refuses(const char *line, const char *reason)
{
	cur_doc d;
	cur_err err;

	raw_doc(&d, line);
	ck_assert_int_eq(cur_doc_parse_light(&d, "text", NULL), 0);
	cur_err_clear(&err);
	ck_assert_int_eq(cur_doc_parse_raw(&d, "text", &err), CUR_EDATA);
	ck_assert_str_eq(err.reason, reason);
	cur_doc_release(&d);
}

/* Parse line both ways: the light parse either agrees with the full one
 * (text, id, the key's string) or leaves the line untouched for it.
 * Returns whether the light parse took it; *light is released. */
static int light_agrees(const char *line, const char *key)
{
	cur_doc light, full;
	cur_err err;
	int took, frc;

	raw_doc(&light, line);
	raw_doc(&full, line);
	cur_err_clear(&err);
	took = cur_doc_parse_light(&light, "text", key);
	frc = cur_doc_parse_raw(&full, "text", &err);
	if (!took) {
		ck_assert_int_eq(light.raw_json, 1);
		ck_assert_uint_eq(light.text_len, strlen(line));
		ck_assert_str_eq(light.text, line);
	} else {
		const char *a, *b;

		ck_assert_msg(frc == CUR_OK, "light took what the full parse refuses: %s", line);
		ck_assert_int_eq(light.raw_json, 0);
		ck_assert_ptr_null(light.obj);
		ck_assert_uint_eq(light.text_len, full.text_len);
		ck_assert_msg(memcmp(light.text, full.text, full.text_len) == 0, "text of %s", line);
		ck_assert_int_eq(light.text[light.text_len], '\0');
		ck_assert_uint_eq(light.utf8_repairs, full.utf8_repairs);
		ck_assert_str_eq(cur_doc_id(&light), cur_doc_id(&full));
		if (key) {
			a = cur_doc_meta_str(&light, key);
			b = cur_doc_meta_str(&full, key);
			ck_assert_msg((!a && !b) || (a && b && strcmp(a, b) == 0),
				      "%s of %s: '%s' vs '%s'", key, line, a ? a : "(null)",
				      b ? b : "(null)");
		}
	}
	cur_doc_release(&light);
	cur_doc_release(&full);
	return took;
}

START_TEST(light_parse_matches_the_full_parse)
{
	static const char *taken[] = {
		"{\"id\":\"a\",\"text\":\"hello\"}",
		/* escapes, a surrogate pair, U+0000, multi-byte UTF-8 */
		"{\"id\":\"a\",\"text\":\"l1\\nl2 \\\"q\\\" \\\\ \\/ \\t\\b\\f\\r \\u00e9\\u20ac \\ud83d\\ude00 \\u0000 \xc3\xa9\"}",
		"{\"text\":\"0123456789abcdef0123456789abcdef\\\"0123456789abcdef0123456789\\n\"}",
		/* text not first, nested metadata, the category inside it */
		"{\"id\":7,\"metadata\":{\"x\":[1,{\"y\":null}],\"category\":\"code\"},\"text\":\"t\"}",
		/* metadata's own wins over the top level one; deeper ones do not count */
		"{\"category\":\"top\",\"metadata\":{\"a\":{\"category\":\"deep\"},\"category\":\"mid\"},\"text\":\"t\"}",
		"{\"category\":\"top\",\"metadata\":{\"a\":{\"category\":\"deep\"}},\"text\":\"t\"}",
		"{\"category\":\"top\",\"metadata\":{\"category\":5},\"text\":\"t\"}",
		"{\"metadata\":[\"category\"],\"category\":\"c\\u00e9\\n\",\"text\":\"t\"}",
		"{\"metadata\":{\"category\":\"\"},\"text\":\"\"}",
		/* ids: missing, real, negative, escaped */
		"{\"text\":\"no id\"}",
		"{\"id\":1.5,\"text\":\"x\"}",
		"{\"id\":-42,\"text\":\"x\"}",
		"{\"id\":null,\"text\":\"x\"}",
		"{\"id\":\"a\\u00e9\\\"b\",\"text\":\"x\"}",
		/* whitespace anywhere JSON allows it */
		" { \"text\" :\t\"a\" , \"id\" : \"b\" , \"n\" : [ 1 , -2.5 , true , false , null ] } ",
		"{\"text\":\"x\",\"big\":123456789012345678}",
		"{\"t\xc3\xa9\":\"\xe2\x82\xac\",\"text\":\"\xf0\x9f\x98\x80 0123456789abcdef\xc3\xa9\"}",
	};
	static const char *refused[] = {
		"{\"id\":\"1\",\"text\":\"lone \\ud800\"}",      /* repaired by the full parse */
		"{\"id\":\"1\",\"text\":\"bad \xff utf8\"}",      /* repaired by the full parse */
		/* invalid UTF-8 anywhere: the full parse repairs the whole line */
		"{\"text\":\"0123456789abcdef0123456789\xc3\"}",      /* cut short */
		"{\"text\":\"overlong \xc0\xaf\"}",
		"{\"text\":\"surrogate \xed\xa0\x80\"}",
		"{\"text\":\"x\",\"k\xff\":1}",                        /* in a key */
		"{\"text\":\"x\",\"metadata\":{\"category\":\"\xe2\x82\"}}",
		"{\"id\":\"\xf4\x90\x80\x80\",\"text\":\"x\"}",
		"{\"text\":\"x\",\"n\":\xc3\xa9}",                    /* outside strings */
		"{\"text\":\"a\",\"text\":\"b\"}",                /* repeated text */
		/* a key twice in any object: the full parse refuses the record */
		"{\"x\":1,\"x\":{\"x\":2,\"x\":3},\"text\":\"t\"}",
		"{\"text\":\"t\",\"m\":[{\"a\":1,\"b\":{\"a\":2},\"a\":3}]}",
		"{\"text\":\"a\",\"id\":\"1\",\"id\":\"2\"}",     /* repeated id */
		"{\"metadata\":{\"category\":\"a\",\"category\":\"b\"},\"text\":\"x\"}",
		"{\"metadata\":{},\"metadata\":{\"category\":\"b\"},\"text\":\"x\"}",
		"{\"category\":\"a\",\"category\":\"b\",\"text\":\"x\"}",
		"{\"t\\u0065xt\":\"escaped key\"}",
		"{\"text\":\"a\",\"x\":tru}",                     /* invalid elsewhere */
		"{\"text\":\"a\",\"x\":[1,2}",
		"{\"text\":\"a\",\"x\":\"lone \\udc00\"}",
		"{\"text\":\"a\"} trailing",
		"{\"text\":\"a\",}",
		"{\"text\":\"a\",\"n\":123456789012345678901}",   /* jansson: too big */
		"{\"text\":\"a\",\"n\":1e400}",                  /* jansson: overflow */
		"{\"text\":\"a\",\"n\":01}",
		"{\"id\":\"1\"}",                                  /* missing text */
		"{\"text\":42}",                                   /* not a string */
		"{\"text\":null,\"text\":\"b\"}",
		"{\"text\":\"tab\there\"}",                        /* raw control */
		"{\"text\":\"unterminated}",
		"[1,2]",
	};
	size_t i;

	for (i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
		ck_assert_msg(light_agrees(taken[i], "category"), "refused: %s", taken[i]);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ck_assert_msg(!light_agrees(refused[i], "category"), "taken: %s", refused[i]);
	/* Long texts with escapes at every distance from each other and from
	 * the line's start (the decode copies 16 bytes a step). */
	{
		static const char *const pieces[] = { "a", "\\n", "\\\"", "\\u00e9", "\xc3\xa9",
						      "\\ud83d\\ude00", "0123456789abcdef", "\\\\", "\\t", " " };
		uint64_t x = 42;
		cur_buf line;
		int k, m;

		cur_buf_init(&line, CUR_BUF_UNLIMITED);
		for (k = 0; k < 200; k++) {
			cur_buf_reset(&line);
			cur_buf_printf(&line, "{\"id\":\"%.*s\",\"text\":\"", k % 23, "iiiiiiiiiiiiiiiiiiiiiiii");
			for (m = 0; m < k * 3; m++) {
				x = x * 6364136223846793005ULL + 1442695040888963407ULL;
				cur_buf_printf(&line, "%s", pieces[(x >> 33) % 10]);
			}
			cur_buf_printf(&line, "\"}");
			ck_assert_msg(light_agrees(line.data, NULL), "refused: %s", line.data);
		}
		cur_buf_release(&line);
	}
	/* Without a key, and with keys the scan does not follow. */
	ck_assert(light_agrees("{\"category\":\"a\",\"kind\":\"b\",\"text\":\"x\"}", NULL));
	ck_assert(!light_agrees("{\"category\":\"a\",\"category\":\"b\",\"text\":\"x\"}", NULL));
	ck_assert(!light_agrees("{\"id\":\"a\",\"text\":\"x\"}", "id"));
	ck_assert(!light_agrees("{\"metadata\":{\"text\":\"m\"},\"text\":\"x\"}", "text"));
}
END_TEST

START_TEST(light_parse_fields_and_refusals)
{
	cur_doc d;

	raw_doc(&d, "{\"metadata\":{\"category\":\"c\\u00e9\"},\"id\":12,\"text\":\"a\\u0000b\\n\"}");
	ck_assert_int_eq(cur_doc_parse_light(&d, "text", "category"), 1);
	ck_assert_uint_eq(d.text_len, 4);
	ck_assert(memcmp(d.text, "a\0b\n", 5) == 0);
	ck_assert_str_eq(cur_doc_id(&d), "12");
	ck_assert_str_eq(cur_doc_meta_str(&d, "category"), "c\xc3\xa9");
	ck_assert_ptr_null(cur_doc_meta_str(&d, "url")); /* not asked for */
	ck_assert_str_eq(cur_doc_source(&d), "");
	cur_doc_release(&d);

	raw_doc(&d, "{\"text\":\"x\"}");
	ck_assert_int_eq(cur_doc_parse_light(&d, "text", NULL), 1);
	ck_assert_str_eq(cur_doc_id(&d), "mem.jsonl:3");
	cur_doc_release(&d);

	/* Another text field: read from it, the rest as before. */
	raw_doc(&d, "{\"text\":\"not this\",\"content\":\"this\"}");
	ck_assert_int_eq(cur_doc_parse_light(&d, "content", NULL), 1);
	ck_assert_str_eq(d.text, "this");
	cur_doc_release(&d);

	/* A refused record keeps its error: the full parse reports it. */
	light_refuses("{\"text\":\"a\",\"x\":tru}", "invalid_json");
	light_refuses("{\"id\":\"1\"}", "missing_text");
	light_refuses("{\"text\":[\"x\"]}", "text_not_string");
}
END_TEST

START_TEST(reader_jsonl_skips_bad_lines_keeps_good_ones)
{
	read_result r;

	read_all(data("bad.jsonl"), 1000, &r);
	ck_assert_str_eq(r.ids, "1 4 5 9 ");
	ck_assert_str_eq(r.reasons,
			 "invalid_json missing_text line_too_long not_an_object text_not_string ");
}
END_TEST

/* The borrowed lines are the lines cur_reader_next copies: same records,
 * same numbers, \r and blank lines dropped; other formats say EINVAL. */
START_TEST(reader_next_line_borrows_what_next_copies)
{
	char dir[] = "/tmp/curate-line-XXXXXX", path[64], text[64];
	const char *line;
	size_t n;
	uint64_t rec;
	cur_reader *rd;
	cur_reader_opts o;
	cur_err err;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.jsonl", dir);
	f = fopen(path, "w");
	fputs("{\"id\":\"1\"}\r\n\n  \n{broken\n{\"id\":\"3\"}", f);
	fclose(f);
	cur_reader_opts_init(&o);
	ck_assert_int_eq(cur_reader_open(&rd, path, &o, &err), CUR_OK);
	ck_assert_int_eq(cur_reader_next_line(rd, &line, &n, &rec, &err), CUR_OK);
	ck_assert_uint_eq(rec, 1);
	ck_assert_int_eq((int)n, 10);
	ck_assert_int_eq(memcmp(line, "{\"id\":\"1\"}", n), 0);
	ck_assert_int_eq(cur_reader_next_line(rd, &line, &n, &rec, &err), CUR_OK);
	ck_assert_uint_eq(rec, 4);
	ck_assert_int_eq(memcmp(line, "{broken", n), 0);
	ck_assert_int_eq(cur_reader_next_line(rd, &line, &n, &rec, &err), CUR_OK);
	ck_assert_uint_eq(rec, 5);
	ck_assert_int_eq((int)n, 10);
	ck_assert_int_eq(cur_reader_next_line(rd, &line, &n, &rec, &err), CUR_EOF);
	cur_reader_close(rd);

	snprintf(text, sizeof(text), "%s/b.txt", dir);
	f = fopen(text, "w");
	fputs("plain text\n", f);
	fclose(f);
	ck_assert_int_eq(cur_reader_open(&rd, text, &o, &err), CUR_OK);
	ck_assert_int_eq(cur_reader_next_line(rd, &line, &n, &rec, &err), CUR_EINVAL);
	cur_reader_close(rd);
	unlink(path);
	unlink(text);
	rmdir(dir);
}
END_TEST

/* A digest (FNV-1a) of every document a reader gives, to compare two. */
static void digest_reader(const char *path, int prefetch, uint64_t *docs, uint64_t *sum,
			  int *last_rc)
{
	cur_reader *rd;
	cur_reader_opts o;
	cur_err err;
	int rc;

	cur_reader_opts_init(&o);
	o.prefetch = prefetch;
	*docs = 0;
	*sum = 1469598103934665603ULL;
	ck_assert_int_eq(cur_reader_open(&rd, path, &o, &err), CUR_OK);
	do {
		cur_doc d;

		cur_doc_init(&d);
		rc = cur_reader_next(rd, &d, &err);
		if (rc == CUR_OK) {
			(*docs)++;
			for (size_t i = 0; i < d.text_len; i++)
				*sum = (*sum ^ (unsigned char)d.text[i]) * 1099511628211ULL;
			*sum = (*sum ^ d.record) * 1099511628211ULL;
		}
		cur_doc_release(&d);
	} while (rc == CUR_OK || rc == CUR_EDATA);
	*last_rc = rc;
	cur_reader_close(rd);
}

/* Read-ahead changes nothing: plain (lines across its 1 MiB blocks),
 * compressed, truncated, archive (read without it), damaged input. */
START_TEST(reader_prefetch_reads_the_same)
{
	char dir[] = "/tmp/curate-pf-XXXXXX", path[64];
	/* zip-tail.jsonl (found by fuzz_reader) starts like JSON but ends like
	 * a zip: libarchive calls it a zip only when it can seek to the end. */
	const char *files[] = { "many.jsonl.zst", "truncated.jsonl.gz", "good.tar", "corrupt.tar",
				"bad.jsonl", "good.jsonl.xz", "wrong_length.warc", "zip-tail.jsonl",
				"zip-broken-tail.jsonl" };
	uint64_t d0, s0, d1, s1;
	int r0, r1;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big.jsonl", dir);
	f = fopen(path, "w");
	for (int i = 0; i < 30000; i++)
		fprintf(f, "{\"id\":\"%d\",\"text\":\"%0*d\"}\n", i, 1 + (i * 7919) % 400, i);
	fclose(f);
	digest_reader(path, 0, &d0, &s0, &r0);
	digest_reader(path, 1, &d1, &s1, &r1);
	ck_assert_uint_eq(d0, 30000);
	ck_assert_uint_eq(d1, d0);
	ck_assert_uint_eq(s1, s0);
	ck_assert_int_eq(r1, r0);
	unlink(path);
	rmdir(dir);
	for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
		digest_reader(data(files[k]), 0, &d0, &s0, &r0);
		digest_reader(data(files[k]), 1, &d1, &s1, &r1);
		ck_assert_msg(d0 == d1 && s0 == s1 && r0 == r1, "%s differs with read-ahead", files[k]);
	}
}
END_TEST

START_TEST(reader_truncated_gzip_and_zstd_keep_the_prefix)
{
	read_result r;

	/* A broken stream is a data error that ends the input (CUR_EDATA,
	 * then CUR_EOF), not an I/O error. */
	read_all(data("truncated.jsonl.gz"), 0, &r);
	ck_assert_int_gt(r.docs, 500);
	ck_assert_int_eq(r.fatal, 0);
	ck_assert_str_eq(r.reasons, "truncated_stream ");
	read_all(data("truncated.jsonl.zst"), 0, &r);
	ck_assert_int_gt(r.docs, 500);
	ck_assert_int_eq(r.fatal, 0);
	ck_assert_str_eq(r.reasons, "truncated_stream ");
	read_all(data("many.jsonl.zst"), 0, &r);
	ck_assert_int_eq(r.docs, 2000);
	ck_assert_int_eq(r.bad, 0);
}
END_TEST

/* ---- gzip through zlib: every member's CRC and length, every record
 * before a cut ---- */

/* n records as JSON Lines, gzip-compressed with zlib into out (one member);
 * returns its length. */
static size_t gzip_records(int n, unsigned char *out, size_t cap, cur_buf *plain)
{
	z_stream z;
	int i;

	cur_buf_init(plain, CUR_BUF_UNLIMITED);
	for (i = 0; i < n; i++)
		cur_buf_printf(plain, "{\"id\":\"%d\",\"text\":\"record %d of a gzip member\"}\n", i, i);
	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)plain->data;
	z.avail_in = (uInt)plain->len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

/* A stream that fails while libarchive detects its format: libarchive
 * closes the source then, and the reader still asks it why (found by
 * fuzz_reader; ASan sees a source freed too early). */
START_TEST(reader_open_failure_asks_a_closed_source)
{
	cur_reader *r = NULL;
	cur_err err;

	cur_err_clear(&err);
	ck_assert_int_eq(cur_reader_open(&r, data("zstd-fails-at-open.jsonl.zst"), NULL, &err), CUR_EDATA);
	ck_assert_ptr_null(r);
	ck_assert_str_eq(err.reason, "truncated_stream");
	ck_assert_ptr_nonnull(strstr(err.msg, "truncated or corrupt input (Zstd decompression failed"));
}
END_TEST

START_TEST(reader_gzip_checks_every_member)
{
	static unsigned char gz[1 << 16], two[1 << 17];
	char dir[] = "/tmp/curate-check-XXXXXX", path[256], msg[512];
	cur_buf plain;
	size_t n = gzip_records(400, gz, sizeof(gz), &plain);
	read_result r;
	cur_reader *rd;
	cur_err err;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.jsonl.gz", dir);
	write_bytes(path, gz, n);
	read_all(path, 0, &r);
	ck_assert_int_eq(r.docs, 400);
	ck_assert_int_eq(r.bad, 0);
	/* Two members read as one stream; NUL padding after them is allowed. */
	memcpy(two, gz, n);
	memcpy(two + n, gz, n);
	memset(two + 2 * n, 0, 100);
	write_bytes(path, two, 2 * n + 100);
	read_all(path, 0, &r);
	ck_assert_int_eq(r.docs, 800);
	ck_assert_int_eq(r.bad, 0);
	/* A flipped CRC, a flipped length: all records, then the error. */
	gz[n - 6] ^= 0x40;
	write_bytes(path, gz, n);
	read_all(path, 0, &r);
	ck_assert_int_eq(r.docs, 400);
	ck_assert_str_eq(r.reasons, "truncated_stream ");
	ck_assert_int_eq(r.fatal, 0);
	gz[n - 6] ^= 0x40;
	gz[n - 2] ^= 0x01;
	write_bytes(path, gz, n);
	read_all(path, 0, &r);
	ck_assert_str_eq(r.reasons, "truncated_stream ");
	gz[n - 2] ^= 0x01;
	/* Data after the last member that is not gzip. */
	memcpy(two, gz, n);
	memcpy(two + n, "trailing junk\n", 14);
	write_bytes(path, two, n + 14);
	read_all(path, 0, &r);
	ck_assert_int_eq(r.docs, 400);
	ck_assert_str_eq(r.reasons, "truncated_stream ");
	/* Cut anywhere: every record that was whole before the cut comes
	 * back, then one report of the truncation. */
	for (size_t cut = 10; cut < n; cut += n / 7) {
		z_stream z;
		unsigned char out[1 << 16];
		size_t whole = 0;

		memset(&z, 0, sizeof(z));
		inflateInit2(&z, 16 + MAX_WBITS);
		z.next_in = gz;
		z.avail_in = (uInt)cut;
		z.next_out = out;
		z.avail_out = sizeof(out);
		inflate(&z, Z_SYNC_FLUSH);
		for (size_t i = 0; i < sizeof(out) - z.avail_out; i++)
			whole += out[i] == '\n';
		inflateEnd(&z);
		write_bytes(path, gz, cut);
		ck_assert_int_eq(cur_reader_open(&rd, path, NULL, &err), cut < 20 ? CUR_EDATA : CUR_OK);
		if (cut < 20) {
			ck_assert_str_eq(err.reason, "truncated_stream");
			continue;
		}
		cur_reader_close(rd);
		read_all(path, 0, &r);
		ck_assert_int_eq(r.docs, (int)whole);
		ck_assert_str_eq(r.reasons, "truncated_stream ");
	}
	/* The message names the member and zlib's finding. */
	gz[n - 6] ^= 0x40;
	write_bytes(path, gz, n);
	ck_assert_int_eq(cur_reader_open(&rd, path, NULL, &err), CUR_OK);
	for (;;) {
		cur_doc d;
		int rc;

		cur_doc_init(&d);
		rc = cur_reader_read(rd, &d, &err);
		cur_doc_release(&d);
		if (rc != CUR_OK)
			break;
	}
	snprintf(msg, sizeof(msg), "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(msg, "gzip member 1: incorrect data check"));
	cur_reader_close(rd);
	unlink(path);
	rmdir(dir);
	cur_buf_release(&plain);
}
END_TEST

/* Not text: NUL bytes (a tar of zero blocks to libarchive, read again as
 * bytes) and text files with a NUL byte are reported, not read as
 * documents of garbage. */
START_TEST(reader_refuses_binary_inputs)
{
	char dir[] = "/tmp/curate-check-XXXXXX", path[256];
	static char zeros[20000];
	read_result r;
	cur_reader *rd;
	cur_err err;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/zeros", dir);
	write_bytes(path, zeros, sizeof(zeros));
	read_all(path, 0, &r);
	ck_assert_int_eq(r.docs, 0);
	ck_assert_str_eq(r.reasons, "binary_input ");
	/* A zip's end record inside text: libarchive finds a zip of no
	 * members; the text is read as text. */
	write_bytes(path, "{\"id\":\"1\",\"text\":\"a\"}\nPK\005\006\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 44);
	read_all(path, 0, &r);
	ck_assert_str_eq(r.ids, "1 ");
	/* A zip whose first member cannot be read, in a file that does not
	 * start like one (found by fuzz_reader): its lines are read, as they
	 * are when the file is gzipped and no zip can be found. */
	read_all(data("zip-broken-tail.jsonl"), 0, &r);
	ck_assert_int_eq(r.docs, 0);
	ck_assert_str_eq(r.reasons, "invalid_json invalid_json ");
	write_bytes(path, "text\0more", 9);
	read_all(path, 0, &r);
	ck_assert_int_eq(r.docs, 0);
	ck_assert_str_eq(r.reasons, "binary_input ");
	write_bytes(path, "", 0);
	read_all(path, 0, &r);
	ck_assert_int_eq(r.docs + r.bad, 0);
	unlink(path);
	rmdir(dir);
	/* An input that cannot be opened is an I/O error, with errno's text. */
	ck_assert_int_eq(cur_reader_open(&rd, "/nonexistent/x.jsonl", NULL, &err), CUR_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "No such file or directory"));
}
END_TEST

/* A key twice in one object is a bad record on every path (the fast text
 * scan, jansson, the minifier, the light scan), and no message quotes the
 * record's content. */
START_TEST(reader_duplicate_keys_and_quiet_messages)
{
	static const char *dup[] = {
		"{\"id\":\"x\",\"text\":\"hi\",\"text\":\"john@example.com\"}",
		"{\"text\":\"hi\",\"id\":\"x\",\"id\":\"y\"}",
		"{\"id\":\"x\",\"text\":\"a\",\"metadata\":{\"c\":1,\"c\":2}}",
		"{\"id\":\"x\",\"text\":\"a\",\"m\":[{\"k\":1},{\"k\":2,\"k\":3}]}",
	};
	static const char *leaky[] = {
		"{\"id\":\"x\",\"text\":\"a\" 4111111111111111}",
		"{\"id\":\"x\",\"text\":\"a\",\"n\":[1 4111111111111111]}",
		"{\"id\":\"x\",\"n\":\"4111111111111111\" 5,\"text\":\"a\"}",
		"{\"id\":\"x\",\"text\":\"a\",\"u\":\"\\ud800\\u0041 4111111111111111\" 1}",
	};
	size_t i;

	for (i = 0; i < sizeof(dup) / sizeof(dup[0]); i++) {
		cur_doc d;
		cur_err err;
		size_t tl;
		char line[256];

		raw_doc(&d, dup[i]);
		ck_assert_int_eq(cur_doc_parse_raw(&d, "text", &err), CUR_EDATA);
		ck_assert_str_eq(err.reason, "duplicate_key");
		ck_assert_ptr_null(strstr(err.msg, "john"));
		cur_doc_release(&d);
		snprintf(line, sizeof(line), "%s", dup[i]);
		ck_assert_uint_eq(cur_json_minify_inplace(line, strlen(line), "text", &tl), 0);
		ck_assert_msg(!light_agrees(dup[i], "category"), "light took %s", dup[i]);
	}
	for (i = 0; i < sizeof(leaky) / sizeof(leaky[0]); i++) {
		cur_doc d;
		cur_err err;

		raw_doc(&d, leaky[i]);
		ck_assert_int_eq(cur_doc_parse_raw(&d, "text", &err), CUR_EDATA);
		ck_assert_msg(!strstr(err.msg, "4111"), "quoted: %s", err.msg);
		ck_assert_ptr_nonnull(strstr(err.msg, "(byte "));
		cur_doc_release(&d);
	}
}
END_TEST


START_TEST(reader_warc_wrong_content_length_loses_one_record)
{
	cur_reader_opts o;
	read_result r;

	/* Its last record is a resource: asked for, to see it found again. */
	cur_reader_opts_init(&o);
	o.warc_types = CUR_WARC_DEFAULT | CUR_WARC_RESOURCE;
	read_with(data("wrong_length.warc"), &o, &r);
	ck_assert_str_eq(r.ids, "urn:uuid:11111111 urn:uuid:33333333 urn:uuid:55555555 ");
	ck_assert_str_eq(r.reasons, "bad_content_length bad_content_length ");
}
END_TEST

START_TEST(reader_real_crawl_files)
{
	read_result r;

	read_all(data("CC-MAIN-20140820021334-00006.warc.wet"), 0, &r);
	ck_assert_int_eq(r.docs, 3);
	read_all(data("dolma-science-0.warc.gz"), 0, &r);
	ck_assert_int_eq(r.docs, 2);
	read_all(data("cc-2021-resiliparse.warc.gz"), 0, &r);
	ck_assert_int_eq(r.docs, 16);
	ck_assert_int_eq(r.bad, 0);
	read_all(data("truncated-gzip-resiliparse-clipped.warc.gz"), 0, &r);
	ck_assert_int_eq(r.docs, 0);
	ck_assert_str_eq(r.reasons, "truncated_stream ");
}
END_TEST

START_TEST(reader_warc_takes_responses_and_conversions)
{
	cur_reader_opts o;
	read_result r;

	/* records.warc: warcinfo, a 200, a request, a 404, a 301, four more
	 * 200s, a conversion, a wget log resource, a metadata record, a 200
	 * in gzip and one in brotli (which libarchive cannot read). */
	read_all(data("records.warc"), 0, &r);
	ck_assert_str_eq(r.ids, "urn:uuid:r01 urn:uuid:r05 urn:uuid:r06 urn:uuid:r07 "
			 "urn:uuid:r08 urn:uuid:r09 urn:uuid:r12 ");
	ck_assert_int_eq(r.bad, 0);
	cur_reader_opts_init(&o);
	o.warc_all_status = 1;
	read_with(data("records.warc"), &o, &r);
	ck_assert_str_eq(r.ids, "urn:uuid:r01 urn:uuid:r03 urn:uuid:r04 urn:uuid:r05 "
			 "urn:uuid:r06 urn:uuid:r07 urn:uuid:r08 urn:uuid:r09 urn:uuid:r12 ");
	ck_assert_int_eq(cur_warc_types_parse("resource, metadata", &o.warc_types), CUR_OK);
	o.warc_all_status = 0;
	read_with(data("records.warc"), &o, &r);
	ck_assert_str_eq(r.ids, "urn:uuid:r10 urn:uuid:r11 ");
	ck_assert_int_eq(cur_warc_types_parse("response,bogus", &o.warc_types), CUR_EINVAL);
	ck_assert_int_eq(cur_warc_types_parse("", &o.warc_types), CUR_EINVAL);
}
END_TEST

/* The metadata string key of the document with the given id in path. */
static void warc_doc_field(const char *path, const char *id, const char *key, char *out,
			   size_t cap)
{
	cur_reader *rd;
	cur_err err;
	cur_doc d;

	out[0] = '\0';
	ck_assert_int_eq(cur_reader_open(&rd, path, NULL, &err), CUR_OK);
	for (;;) {
		cur_doc_init(&d);
		int rc = cur_reader_read(rd, &d, &err);

		if (rc == CUR_OK && strcmp(cur_doc_id(&d), id) == 0) {
			const char *v = strcmp(key, "text") ? cur_doc_meta_str(&d, key) : d.text;

			snprintf(out, cap, "%s", v ? v : "(none)");
			cur_doc_release(&d);
			break;
		}
		cur_doc_release(&d);
		if (rc == CUR_EOF || rc == CUR_EIO)
			break;
	}
	cur_reader_close(rd);
}

START_TEST(reader_warc_decodes_payloads_and_strips_uri_brackets)
{
	char v[512];

	warc_doc_field(data("records.warc"), "urn:uuid:r01", "url", v, sizeof(v));
	ck_assert_str_eq(v, "http://a.example/ok");
	/* No declaration, not UTF-8: windows-1252 (curly quotes, euro). */
	warc_doc_field(data("records.warc"), "urn:uuid:r05", "text", v, sizeof(v));
	ck_assert_str_eq(v, "<html><body><p>caf\u00e9 \u201cquoted\u201d \u20ac</p></body></html>");
	warc_doc_field(data("records.warc"), "urn:uuid:r05", "charset", v, sizeof(v));
	ck_assert_str_eq(v, "windows-1252");
	/* Declared iso-8859-1 but valid UTF-8 with non-ASCII: UTF-8. */
	warc_doc_field(data("records.warc"), "urn:uuid:r06", "text", v, sizeof(v));
	ck_assert_str_eq(v, "<html><body><p>na\u00efve</p></body></html>");
	/* A byte order mark says UTF-8 and is not text. */
	warc_doc_field(data("records.warc"), "urn:uuid:r07", "text", v, sizeof(v));
	ck_assert_str_eq(v, "plain text after a BOM");
	/* The HTTP charset, quoted, of a text/plain page. */
	warc_doc_field(data("records.warc"), "urn:uuid:r08", "text", v, sizeof(v));
	ck_assert_str_eq(v, "\u041f\u0440\u0438\u0432\u0435\u0442");
	warc_doc_field(data("records.warc"), "urn:uuid:r08", "charset", v, sizeof(v));
	ck_assert_str_eq(v, "koi8-r");
	/* Content-Encoding: gzip is undone. */
	warc_doc_field(data("records.warc"), "urn:uuid:r12", "text", v, sizeof(v));
	ck_assert_str_eq(v, "<html><body><p>compressed page</p></body></html>");
}
END_TEST

static const char *sniff(const char *p, const char *ct, int html)
{
	static __thread char out[64];
	cur_charset cs;

	cur_charset_sniff(p, strlen(p), ct, html, &cs);
	snprintf(out, sizeof(out), "%s/%s", cs.name, cs.source);
	return out;
}

START_TEST(charset_sniffing_follows_the_whatwg_order)
{
	char big[6000];

	ck_assert_str_eq(sniff("\xEF\xBB\xBF<meta charset=gbk>", "text/html; charset=koi8-r", 1),
			 "utf-8/bom");
	ck_assert_str_eq(sniff("<meta charset=gbk>", "text/html; charset=KOI8-R", 1), "koi8-r/http");
	ck_assert_str_eq(sniff("<meta charset=\"gb2312\">", "text/html", 1), "gbk/meta");
	ck_assert_str_eq(sniff("<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; "
			       "charset=Shift_JIS\">", NULL, 1), "shift_jis/meta");
	ck_assert_str_eq(sniff("<meta charset=gbk>", "text/plain", 0), "utf-8/default");
	ck_assert_str_eq(sniff("<!-- <meta charset=gbk> --><p>x", NULL, 1), "utf-8/default");
	/* A <meta> that says UTF-16 was read as ASCII: it is not UTF-16. */
	ck_assert_str_eq(sniff("<meta charset=utf-16>", NULL, 1), "utf-8/meta");
	ck_assert_str_eq(sniff("<meta charset=no-such-thing>caf\xe9", NULL, 1),
			 "windows-1252/fallback");
	ck_assert_str_eq(sniff("latin1 label, UTF-8 bytes: na\xc3\xafve", "text/plain; charset=latin1",
			       0), "utf-8/default");
	/* Only the first 4 KB are searched. */
	memset(big, ' ', sizeof(big));
	memcpy(big + 5000, "<meta charset=gbk>", 18);
	big[sizeof(big) - 1] = '\0';
	ck_assert_str_eq(sniff(big, NULL, 1), "utf-8/default");
	memcpy(big + 3000, "<meta charset=gbk>", 18);
	ck_assert_str_eq(sniff(big, NULL, 1), "gbk/meta");
}
END_TEST

START_TEST(charset_decoding_replaces_what_does_not_decode)
{
	cur_charset cs;
	cur_buf b;
	size_t errors;

	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	/* Shift_JIS "日本" then a lone lead byte at the end. */
	cur_charset_sniff("", 0, "text/html; charset=sjis", 1, &cs);
	ck_assert_int_eq(cur_charset_to_utf8(&cs, "\x93\xfa\x96\x7b\x93", 5, &b, &errors), CUR_OK);
	ck_assert_str_eq(b.data, "\u65e5\u672c\ufffd");
	ck_assert_uint_eq(errors, 1);
	/* windows-1252 has no 0x81: one replacement, the rest decodes. */
	cur_buf_reset(&b);
	cur_charset_sniff("", 0, "text/html; charset=windows-1252", 1, &cs);
	ck_assert_int_eq(cur_charset_to_utf8(&cs, "a\x81" "b\x80", 4, &b, &errors), CUR_OK);
	ck_assert_str_eq(b.data, "a\ufffdb\u20ac");
	ck_assert_uint_eq(errors, 1);
	cur_buf_release(&b);
}
END_TEST

START_TEST(reader_tar_members_and_damage)
{
	read_result r;

	read_all(data("good.tar"), 0, &r);
	ck_assert_str_eq(r.ids, "docs/one.txt docs/two.txt docs/three.txt ");
	ck_assert_str_eq(r.reasons, "binary_member ");
	read_all(data("corrupt.tar"), 0, &r);
	ck_assert_str_eq(r.ids, "docs/one.txt docs/three.txt ");
	ck_assert_ptr_nonnull(strstr(r.reasons, "corrupt_archive"));
}
END_TEST

static Suite *reader_suite(void)
{
	Suite *s = suite_create("reader");
	TCase *t = tcase_create("reader");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, light_parse_matches_the_full_parse);
	tcase_add_test(t, light_parse_fields_and_refusals);
	tcase_add_test(t, reader_jsonl_skips_bad_lines_keeps_good_ones);
	tcase_add_test(t, reader_next_line_borrows_what_next_copies);
	tcase_add_test(t, reader_prefetch_reads_the_same);
	tcase_add_test(t, reader_truncated_gzip_and_zstd_keep_the_prefix);
	tcase_add_test(t, reader_open_failure_asks_a_closed_source);
	tcase_add_test(t, reader_gzip_checks_every_member);
	tcase_add_test(t, reader_refuses_binary_inputs);
	tcase_add_test(t, reader_duplicate_keys_and_quiet_messages);
	tcase_add_test(t, reader_warc_wrong_content_length_loses_one_record);
	tcase_add_test(t, reader_real_crawl_files);
	tcase_add_test(t, reader_warc_takes_responses_and_conversions);
	tcase_add_test(t, reader_warc_decodes_payloads_and_strips_uri_brackets);
	tcase_add_test(t, charset_sniffing_follows_the_whatwg_order);
	tcase_add_test(t, charset_decoding_replaces_what_does_not_decode);
	tcase_add_test(t, reader_tar_members_and_damage);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(reader_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
