#include "config.h"

#include <check.h>
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "core/buf.h"
#include "core/charset.h"
#include "core/doc.h"
#include "core/file.h"
#include "core/interrupt.h"
#include "core/hist.h"
#include "core/json_text.h"
#include "core/options.h"
#include "core/pipeline.h"
#include "core/reader.h"
#include "core/utf8.h"
#include "core/writer.h"
#include "core/yaml.h"

#include "tests/core_test.h"

/* ---- UTF-8 ---- */

START_TEST(utf8_valid_prefix_stops_at_first_error)
{
	ck_assert_uint_eq(cur_utf8_valid_prefix("abc", 3), 3);
	ck_assert_uint_eq(cur_utf8_valid_prefix("a\xC3\xA9z", 4), 4);
	ck_assert_uint_eq(cur_utf8_valid_prefix("ab\xC0\xAF", 4), 2);          /* overlong */
	ck_assert_uint_eq(cur_utf8_valid_prefix("x\xED\xA0\x80", 4), 1);       /* surrogate */
	ck_assert_uint_eq(cur_utf8_valid_prefix("\xF4\x90\x80\x80", 4), 0);    /* > U+10FFFF */
	ck_assert_uint_eq(cur_utf8_valid_prefix("12345678\xE2\x82", 10), 8);  /* cut short */
}
END_TEST

START_TEST(utf8_repair_replaces_maximal_subparts)
{
	cur_buf b;
	size_t n = 0;

	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	/* Unicode's example: F1 80 80 is one maximal subpart, E1 80 another, C2 one. */
	ck_assert_int_eq(cur_utf8_repair("a\xF1\x80\x80\xE1\x80\xC2z", 8, &b, &n), CUR_OK);
	ck_assert_str_eq(b.data, "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz");
	ck_assert_uint_eq(n, 3);
	cur_buf_release(&b);
}
END_TEST

/* ---- buffers ---- */

START_TEST(utf8_count_counts_code_points_at_any_alignment)
{
	/* 1-, 2-, 3- and 4-byte sequences, so that every word boundary of the
	 * eight-byte loop falls inside some sequence. */
	static const char unit[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
	char text[256];
	size_t i, k, n = 0;

	for (k = 0; k < 20; k++) {
		memcpy(text + n, unit, sizeof(unit) - 1);
		n += sizeof(unit) - 1;
	}
	for (i = 0; i < n; i++) {
		size_t want = 0, j;

		for (j = i; j < n; j++)
			want += ((unsigned char)text[j] & 0xC0) != 0x80;
		ck_assert_uint_eq(cur_utf8_count(text + i, n - i), want);
	}
	ck_assert_uint_eq(cur_utf8_count(unit, sizeof(unit) - 1), 5);
}
END_TEST

START_TEST(buf_respects_its_cap)
{
	cur_buf b;

	cur_buf_init(&b, 8);
	ck_assert_int_eq(cur_buf_append(&b, "12345678", 8), CUR_OK);
	ck_assert_int_eq(cur_buf_append(&b, "9", 1), CUR_ELIMIT);
	ck_assert_uint_eq(b.len, 8);
	cur_buf_release(&b);
	ck_assert_ptr_null(cur_malloc_array(SIZE_MAX / 2, 4));
}
END_TEST

/* ---- documents ---- */

START_TEST(doc_keeps_unknown_fields_and_nul)
{
	const char *line = "{\"id\":\"x\",\"text\":\"a\\u0000b\",\"zz\":{\"k\":[1,2]},\"source\":\"s\"}";
	cur_doc d;
	cur_err err;
	cur_buf out;

	cur_doc_init(&d);
	cur_err_clear(&err);
	d.text = strdup(line);
	d.text_len = strlen(line);
	d.raw_json = 1;
	d.origin = "mem";
	d.record = 1;
	ck_assert_int_eq(cur_doc_parse_raw(&d, "text", &err), CUR_OK);
	ck_assert_uint_eq(d.text_len, 3);
	ck_assert_int_eq(d.text[1], '\0');
	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(cur_doc_to_json(&d, &out), CUR_OK);
	ck_assert_str_eq(out.data, "{\"id\":\"x\",\"text\":\"a\\u0000b\",\"zz\":{\"k\":[1,2]},\"source\":\"s\"}\n");
	/* A rewritten text goes back in place of the old one, same key order. */
	ck_assert_int_eq(cur_doc_set_text(&d, "new", 3), CUR_OK);
	cur_buf_reset(&out);
	ck_assert_int_eq(cur_doc_to_json(&d, &out), CUR_OK);
	ck_assert_str_eq(out.data, "{\"id\":\"x\",\"text\":\"new\",\"zz\":{\"k\":[1,2]},\"source\":\"s\"}\n");
	cur_buf_release(&out);
	cur_doc_release(&d);
}
END_TEST

START_TEST(doc_missing_id_is_file_and_line)
{
	cur_doc d;
	cur_err err;
	json_t *o = json_pack("{s:s}", "text", "hi");

	cur_doc_init(&d);
	ck_assert_int_eq(cur_doc_from_json(&d, o, "text", "f.jsonl", 12, &err), CUR_OK);
	ck_assert_str_eq(cur_doc_id(&d), "f.jsonl:12");
	cur_doc_release(&d);
	cur_doc_init(&d);
	ck_assert_int_eq(cur_doc_from_json(&d, json_pack("{s:s}", "text", "x"), "text", "/a/b/g.jsonl", 3, &err), CUR_OK);
	ck_assert_str_eq(cur_doc_id(&d), "g.jsonl:3");
	cur_doc_release(&d);
}
END_TEST

START_TEST(doc_attachments_are_freed)
{
	cur_doc d;
	int key;

	cur_doc_init(&d);
	d.obj = json_object();
	ck_assert_int_eq(cur_doc_attach(&d, &key, malloc(16), free), CUR_OK);
	ck_assert_ptr_nonnull(cur_doc_attached(&d, &key));
	ck_assert_int_eq(cur_doc_attach(&d, &key, malloc(8), free), CUR_OK);
	cur_doc_release(&d); /* leak-checked under ASan */
}
END_TEST

/* ---- the JSON fast path ---- */

static size_t minify(const char *in, char *out, size_t *text_len)
{
	size_t n = strlen(in), len;

	memcpy(out, in, n + 1);
	len = cur_json_minify_inplace(out, n, "text", text_len);
	if (len)
		out[len] = '\0';
	return len;
}

START_TEST(json_minify_keeps_values_drops_whitespace)
{
	char buf[256];
	size_t tl = 0;

	ck_assert_uint_gt(minify("{ \"id\" : \"x\", \"text\": \"a\\n\\u00e9\\ud83d\\ude00 b\" ,"
				 " \"m\": [1, -2.5e3, true, null, {\"k\": \"v v\"}] }", buf, &tl), 0);
	ck_assert_str_eq(buf, "{\"id\":\"x\",\"text\":\"a\\n\\u00e9\\ud83d\\ude00 b\","
			 "\"m\":[1,-2.5e3,true,null,{\"k\":\"v v\"}]}");
	ck_assert_uint_eq(tl, 1 + 1 + 2 + 4 + 2); /* a, \n, é, 😀, " b" */
	ck_assert_uint_gt(minify("{\"text\":\"\xc3\xa9\xe6\x97\xa5\",\"id\":\"1\"}", buf, &tl), 0);
	ck_assert_uint_eq(tl, 5);
}
END_TEST

START_TEST(json_respelled_names_what_a_write_changes)
{
	/* 0: a parse and cur_doc_to_json write these values as they are spelled */
	static const char *same[] = {
		"{\"id\":\"1\",\"text\":\"a\\n\\\"b\\\\ \xc3\xa9\"}",
		"{ \"id\" : 12 ,\t\"text\": \"x/y\", \"m\": {\"a\": [true, null, -3]} }",
	};
	/* 1: an escape, a number or a repeated key a write spells otherwise */
	static const char *respelled[] = {
		"{\"text\":\"\\u00e9\"}", "{\"text\":\"a\\/b\"}", "{\"text\":\"x\",\"n\":1.50}",
		"{\"text\":\"x\",\"n\":1e3}", "{\"text\":\"x\",\"n\":-0}",
		"{\"text\":\"x\",\"a\":1,\"a\":2}", "[1]", "{\"text\":\"x\"} {}",
	};
	size_t i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		ck_assert_msg(cur_json_respelled(same[i], strlen(same[i])) == 0, "%s", same[i]);
	for (i = 0; i < sizeof(respelled) / sizeof(respelled[0]); i++)
		ck_assert_msg(cur_json_respelled(respelled[i], strlen(respelled[i])) == 1, "%s",
			      respelled[i]);
}
END_TEST

START_TEST(json_minify_refuses_what_needs_the_full_parser)
{
	char buf[256];
	size_t tl;
	static const char *refused[] = {
		"{\"text\":\"no id\"}",                       /* id is generated by the full path */
		"{\"id\":7,\"text\":\"x\"}",                   /* integer id */
		"{\"id\":\"1\",\"text\":\"lone \\ud800\"}",   /* lone surrogate */
		"{\"id\":\"1\",\"text\":\"tab\there\"}",        /* raw control character */
		"{\"id\":\"1\",\"text\":\"x\",\"n\":01}",        /* leading zero */
		"{\"id\":\"1\",\"text\":\"x\",}",               /* trailing comma */
		"{\"id\":\"1\",\"text\":\"x\"} extra",          /* trailing bytes */
		"{\"id\":\"1\",\"text\":42}",                   /* text not a string */
		"{\"id\":\"1\",\"text\":\"unterminated}",
		"[1,2]",
	};
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		ck_assert_msg(minify(refused[i], buf, &tl) == 0, "accepted: %s", refused[i]);
		ck_assert_str_eq(buf, refused[i]); /* untouched */
	}
	{
		/* Invalid UTF-8 is the full path's to repair. */
		cur_doc d;

		cur_doc_init(&d);
		d.text = strdup("{\"id\":\"1\",\"text\":\"bad \xff utf8\"}");
		d.text_len = strlen(d.text);
		d.raw_json = 1;
		ck_assert_int_eq(cur_doc_pass_raw(&d, "text"), 0);
		ck_assert_int_eq(d.raw_json, 1);
		cur_doc_release(&d);
	}
}
END_TEST

/* ---- writer ---- */

START_TEST(writer_is_atomic)
{
	char dir[] = "/tmp/curate-check-XXXXXX";
	char path[256];
	cur_out *o;
	cur_err err;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.jsonl.zst", dir);
	ck_assert_int_eq(cur_out_open(&o, path, 1, &err), CUR_OK);
	ck_assert_int_eq(cur_out_write(o, "x\n", 2), CUR_OK);
	ck_assert_int_ne(access(path, F_OK), 0);       /* not there until finished */
	cur_out_free(o);                                /* abandoned: nothing left */
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_int_eq(cur_out_open(&o, path, 2, &err), CUR_OK);
	ck_assert_int_eq(cur_out_write(o, "x\n", 2), CUR_OK);
	ck_assert_int_eq(cur_out_finish(o, &err), CUR_OK);
	cur_out_free(o);
	ck_assert_int_eq(access(path, F_OK), 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* Entries of dir other than . and .. */
static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* core/file.h: the target appears whole at commit or never; a rollback, a
 * failed commit and a committed file leave no temporary behind. */
START_TEST(atomic_file_commit_and_rollback)
{
	char dir[] = "/tmp/curate-check-XXXXXX";
	char path[256], name[300], buf[16] = { 0 };
	cur_atomic a;
	cur_err err;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/report.json", dir);
	ck_assert_int_eq(cur_atomic_open(&a, path, &err), CUR_OK);
	ck_assert_int_eq(write(a.fd, "old", 3), 3);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(dir_entries(dir), 1);
	ck_assert(cur_atomic_is_temp(strrchr(a.tmp, '/') + 1, "report"));
	ck_assert(!cur_atomic_is_temp("report.json", "report"));
	ck_assert_int_eq(cur_atomic_commit(&a, 0, &err), CUR_OK);
	cur_atomic_rollback(&a); /* after a commit: nothing */
	ck_assert_int_eq(dir_entries(dir), 1);
	/* A stream, abandoned: the old file stays as it was. */
	ck_assert_int_eq(cur_atomic_open(&a, path, &err), CUR_OK);
	f = cur_atomic_stream(&a);
	ck_assert_ptr_nonnull(f);
	fputs("new", f);
	cur_atomic_rollback(&a);
	cur_atomic_rollback(&a);
	ck_assert_int_eq(dir_entries(dir), 1);
	f = fopen(path, "r");
	ck_assert_int_eq(fread(buf, 1, sizeof(buf) - 1, f), 3);
	fclose(f);
	ck_assert_str_eq(buf, "old");
	/* A commit that cannot rename (the target is a non-empty directory). */
	snprintf(name, sizeof(name), "%s/sub", dir);
	ck_assert_int_eq(mkdir(name, 0755), 0);
	snprintf(name, sizeof(name), "%s/sub/x", dir);
	ck_assert_int_eq(cur_atomic_write_file(name, "x", 1, &err), CUR_OK);
	snprintf(name, sizeof(name), "%s/sub", dir);
	ck_assert_int_eq(cur_atomic_write_file(name, "y", 1, &err), CUR_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "sub'"));
	ck_assert_int_eq(dir_entries(dir), 2);
	ck_assert_int_eq(cur_remove_tree(dir), 0);
	ck_assert_int_eq(access(dir, F_OK), -1);
}
END_TEST

/* ---- options ---- */

START_TEST(options_unknown_key_lists_valid_ones)
{
	static const cur_opt_spec specs[] = {
		{ "min-words", CUR_OPT_INT, "N", "minimum", NULL }, { NULL, 0, NULL, NULL, NULL }
	};
	json_t *cfg = json_pack("{s:i}", "min_words", 3);
	cur_err err;
	int64_t v;

	ck_assert_int_eq(cur_cfg_check_keys(cfg, specs, "x", &err), CUR_OK);
	ck_assert_int_eq(cur_cfg_int(cfg, "min_words", 0, &v, &err), CUR_OK);
	ck_assert_int_eq(v, 3);
	json_object_set_new(cfg, "max_words", json_integer(1));
	ck_assert_int_eq(cur_cfg_check_keys(cfg, specs, "x", &err), CUR_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "valid: min-words"));
	json_decref(cfg);
}
END_TEST

START_TEST(options_sizes_take_suffixes)
{
	uint64_t v;

	ck_assert_int_eq(cur_parse_size("512M", &v), CUR_OK);
	ck_assert_uint_eq(v, 512u << 20);
	ck_assert_int_ne(cur_parse_size("12X", &v), CUR_OK);
}
END_TEST

START_TEST(hist_bins_are_half_open_and_the_last_has_no_end)
{
	cur_hist h;
	json_t *j;

	ck_assert_int_eq(cur_hist_init(&h, cur_length_edges, cur_length_nbins), CUR_OK);
	cur_hist_add(&h, 0);    /* [0, 1) */
	cur_hist_add(&h, 1);    /* [1, 2) */
	cur_hist_add(&h, 4);    /* [2, 5) */
	cur_hist_add(&h, 5);    /* [5, 10) */
	cur_hist_add(&h, 1e9);  /* [1e7, ...) */
	ck_assert_uint_eq(h.counts[0], 1);
	ck_assert_uint_eq(h.counts[1], 1);
	ck_assert_uint_eq(h.counts[2], 1);
	ck_assert_uint_eq(h.counts[3], 1);
	ck_assert_uint_eq(h.counts[cur_length_nbins - 1], 1);
	j = cur_hist_json(&h, "characters");
	ck_assert_int_eq(json_array_size(json_object_get(j, "edges")), cur_length_nbins);
	ck_assert_int_eq(json_array_size(json_object_get(j, "counts")), cur_length_nbins);
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(j, "edges"), 21)), 5000000);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 5);
	json_decref(j);
	cur_hist_release(&h);
}
END_TEST

/* Compressed outputs are the same bytes for the same documents, whatever
 * the thread count, and gzip's header holds no time. */
START_TEST(writer_compressed_bytes_do_not_depend_on_threads)
{
	char dir[] = "/tmp/curate-check-XXXXXX", a[256], b[256];
	static const char *ext[] = { "zst", "gz" };
	cur_buf text;
	uint64_t x = 7;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	cur_buf_init(&text, CUR_BUF_UNLIMITED);
	/* Text that does not compress away: several of zstd's jobs. */
	while (text.len < (6 << 20)) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		cur_buf_printf(&text, "%llx ", (unsigned long long)(x >> 20));
		if ((x >> 60) == 0)
			cur_buf_putc(&text, '\n');
	}
	for (size_t e = 0; e < 2; e++) {
		for (int threads = 1; threads <= 3; threads += 2) {
			cur_out *o;
			cur_err err;

			snprintf(threads == 1 ? a : b, 256, "%s/j%d.%s", dir, threads, ext[e]);
			ck_assert_int_eq(cur_out_open(&o, threads == 1 ? a : b, threads, &err), CUR_OK);
			for (size_t at = 0; at < text.len; at += 100000)
				ck_assert_int_eq(cur_out_write(o, text.data + at, text.len - at < 100000 ?
							       text.len - at : 100000), CUR_OK);
			ck_assert_int_eq(cur_out_finish(o, &err), CUR_OK);
			cur_out_free(o);
		}
		{
			FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
			int ca, cb;
			long at = 0;

			ck_assert_ptr_nonnull(fa);
			ck_assert_ptr_nonnull(fb);
			do {
				ca = getc(fa);
				cb = getc(fb);
				ck_assert_msg(ca == cb, "%s and %s differ at byte %ld", a, b, at);
				if (e == 1 && at >= 4 && at < 8)
					ck_assert_int_eq(ca, 0); /* gzip's MTIME */
				at++;
			} while (ca != EOF);
			fclose(fa);
			fclose(fb);
		}
		unlink(a);
		unlink(b);
	}
	cur_buf_release(&text);
	rmdir(dir);
}
END_TEST

/* The registry of temporaries: what is registered is swept, files and
 * directories with what they hold; what is forgotten is not. */
START_TEST(interrupt_sweeps_registered_temporaries)
{
	char dir[] = "/tmp/curate-check-XXXXXX", sub[256], file[256], kept[256];
	cur_atomic a;
	cur_err err;
	int s1, s2;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/work", dir);
	snprintf(file, sizeof(file), "%s/work/inner/f", dir);
	ck_assert_int_eq(cur_mkdir_p(sub, &err), CUR_OK);
	snprintf(kept, sizeof(kept), "%s/work/inner", dir);
	ck_assert_int_eq(cur_mkdir_p(kept, &err), CUR_OK);
	write_bytes(file, "x", 1);
	s1 = cur_temp_add(sub);
	ck_assert_int_ge(s1, 0);
	snprintf(kept, sizeof(kept), "%s/kept", dir);
	write_bytes(kept, "x", 1);
	s2 = cur_temp_add(kept);
	cur_temp_remove(s2);
	snprintf(file, sizeof(file), "%s/out.jsonl", dir);
	ck_assert_int_eq(cur_atomic_open(&a, file, &err), CUR_OK);
	ck_assert_int_eq(dir_entries(dir), 3);
	cur_temp_sweep();
	ck_assert_int_eq(dir_entries(dir), 1); /* kept */
	cur_atomic_rollback(&a);               /* its temporary already gone */
	ck_assert_int_eq(cur_interrupted(), 0);
	unlink(kept);
	rmdir(dir);
}
END_TEST

/* Pipeline files: JSON with where each value was written, and every way a
 * file could be read two ways refused at its line and column. */
START_TEST(yaml_marks_and_refusals)
{
	static const struct { const char *text, *error; } bad[] = {
		{ "a: 1\nb: 2\na: 3\n", "f.yaml:3:1: a key twice in one mapping (the first is on line 1)" },
		{ "a:\n  b: [1, 2\n", "f.yaml:" },
		{ "? [x]\n: 1\n", "f.yaml:1:3: a key must be a word" },
		{ "a: 1\n---\nb: 2\n", "f.yaml:3:1: a second YAML document" },
		{ "a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
		  "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
		  "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
		  "values (aliases repeated?)" },
	};
	const char *text = "jobs: 2\nname: x\nlist:\n  - a\n  - {k: yes, n: nan, q: '3'}\nnum: 2.5\n";
	cur_yaml *y;
	cur_err err;
	json_t *root, *list;
	unsigned line, col;
	size_t i;

	ck_assert_int_eq(cur_yaml_load("f.yaml", text, strlen(text), &y, &err), CUR_OK);
	root = cur_yaml_root(y);
	ck_assert_int_eq(json_integer_value(json_object_get(root, "jobs")), 2);
	ck_assert(json_real_value(json_object_get(root, "num")) == 2.5);
	list = json_object_get(root, "list");
	ck_assert(json_is_true(json_object_get(json_array_get(list, 1), "k")));
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "n")), "nan");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "q")), "3");
	ck_assert_int_eq(cur_yaml_where(y, root, "name", 0, 1, &line, &col), 0);
	ck_assert_uint_eq(line, 2);
	ck_assert_uint_eq(col, 1);
	ck_assert_int_eq(cur_yaml_where(y, root, "name", 0, 0, &line, &col), 0);
	ck_assert_uint_eq(col, 7);
	ck_assert_int_eq(cur_yaml_where(y, list, NULL, 1, 0, &line, &col), 0);
	ck_assert_uint_eq(line, 5);
	ck_assert_uint_eq(col, 5);
	ck_assert_int_eq(cur_yaml_where(y, json_array_get(list, 1), "q", 0, 0, &line, &col), 0);
	ck_assert_uint_eq(col, 25);
	ck_assert_int_eq(cur_yaml_where(y, root, "nope", 0, 0, &line, &col), -1);
	cur_yaml_free(y);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(cur_yaml_load("f.yaml", bad[i].text, strlen(bad[i].text), &y, &err),
				 CUR_EDATA);
		ck_assert_msg(strstr(err.msg, bad[i].error), "%s: %s", bad[i].text, err.msg);
		ck_assert_ptr_null(y);
	}
	ck_assert_int_eq(cur_yaml_load("f.yaml", "", 0, &y, &err), CUR_OK);
	ck_assert(json_is_null(cur_yaml_root(y)));
	cur_yaml_free(y);
}
END_TEST

static Suite *core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *t = tcase_create("core");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, utf8_valid_prefix_stops_at_first_error);
	tcase_add_test(t, utf8_repair_replaces_maximal_subparts);
	tcase_add_test(t, utf8_count_counts_code_points_at_any_alignment);
	tcase_add_test(t, buf_respects_its_cap);
	tcase_add_test(t, doc_keeps_unknown_fields_and_nul);
	tcase_add_test(t, doc_missing_id_is_file_and_line);
	tcase_add_test(t, doc_attachments_are_freed);
	tcase_add_test(t, json_minify_keeps_values_drops_whitespace);
	tcase_add_test(t, json_minify_refuses_what_needs_the_full_parser);
	tcase_add_test(t, json_respelled_names_what_a_write_changes);
	tcase_add_test(t, writer_compressed_bytes_do_not_depend_on_threads);
	tcase_add_test(t, interrupt_sweeps_registered_temporaries);
	tcase_add_test(t, yaml_marks_and_refusals);
	tcase_add_test(t, writer_is_atomic);
	tcase_add_test(t, atomic_file_commit_and_rollback);
	tcase_add_test(t, options_unknown_key_lists_valid_ones);
	tcase_add_test(t, options_sizes_take_suffixes);
	tcase_add_test(t, hist_bins_are_half_open_and_the_last_has_no_end);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(core_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
