/* Unit tests for filters/: every statistic on small texts whose values are
 * computed by hand here, the rule tables, configuration errors, word lists
 * and URL blocklists. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filters/filter.h"

#define DATA CUR_SRCDIR "/tests/data/filters/"
#define EPS 1e-9

static flt_engine *engine(const char *json)
{
	json_error_t je;
	json_t *cfg = json_loads(json, 0, &je);
	ck_assert_msg(cfg != NULL, "bad test config: %s", je.text);
	flt_engine *e;
	cur_err err;
	cur_err_clear(&err);
	int rc = flt_engine_new(cfg, NULL, &e, &err);
	ck_assert_msg(rc == CUR_OK, "engine: %s", err.msg);
	json_decref(cfg);
	return e;
}

/* The value of one statistic ("ruleset:stat") for text, NAN when null. */
static double stat_url(const char *cfg, const char *text, const char *url, const char *key)
{
	flt_engine *e = engine(cfg);
	flt_worker *w = flt_worker_new(e);
	json_t *scores = json_object();
	flt_verdict v;
	ck_assert_int_eq(flt_judge(w, text, strlen(text), url, scores, &v), CUR_OK);
	json_t *x = json_object_get(scores, key);
	ck_assert_msg(x != NULL, "no score '%s'", key);
	double d = json_is_null(x) ? NAN : json_number_value(x);
	json_decref(scores);
	flt_worker_free(w);
	flt_engine_free(e);
	return d;
}

static double stat(const char *cfg, const char *text, const char *key)
{
	return stat_url(cfg, text, NULL, key);
}

#define GQ "{\"rules\": \"gopher-quality\"}"
#define GR "{\"rules\": \"gopher-repetition\"}"
#define FW "{\"rules\": \"fineweb\"}"
#define LEN "{\"rules\": \"length\"}"

#define ck_near(a, b) ck_assert_msg(fabs((a) - (b)) < EPS, "%s = %.12g, expected %.12g", #a, (double)(a), (double)(b))

START_TEST(test_words_basic)
{
	/* tokens: Hello , world ! It's 3.5 km ... -> 8, of which 3 symbols */
	const char *t = "Hello, world! It's 3.5 km...";
	ck_near(stat(GQ, t, "gopher-quality:words"), 5);
	ck_near(stat(GQ, t, "gopher-quality:mean_word_length"), (5 + 5 + 4 + 3 + 2) / 5.0);
	ck_near(stat(GQ, t, "gopher-quality:ellipsis_ratio"), 1 / 8.0);
	ck_near(stat(GQ, t, "gopher-quality:hash_ratio"), 0);
	/* alphabetic: Hello world It's km (3.5 has no letter) */
	ck_near(stat(GQ, t, "gopher-quality:alpha_words"), 4 / 8.0);
}
END_TEST

/* Joiners: ' and - inside words, . , : between digits; runs of one symbol. */
START_TEST(test_word_joining)
{
	/* well-known don't 3.5 1,000 10:30 a -- b x . y : 11 tokens, 2 symbols */
	const char *t = "well-known don't 3.5 1,000 10:30 a--b x. y";
	ck_near(stat(GQ, t, "gopher-quality:words"), 9);
	ck_near(stat(GQ, t, "gopher-quality:mean_word_length"), 32 / 9.0);
	ck_near(stat(GQ, t, "gopher-quality:alpha_words"), 6 / 11.0);
	/* a trailing joiner is a symbol: "end" "-" ; "x'" is "x" "'" */
	ck_near(stat(GQ, "end- x'", "gopher-quality:words"), 2);
	ck_near(stat(GQ, "end- x'", "gopher-quality:alpha_words"), 2 / 4.0);
	/* accented and capitalised words stay whole */
	ck_near(stat(GQ, "Caf\u00e9 \u00c9COLE na\u00efve", "gopher-quality:words"), 3);
	ck_near(stat(GQ, "Caf\u00e9 \u00c9COLE na\u00efve", "gopher-quality:mean_word_length"), 14 / 3.0);
}
END_TEST

START_TEST(test_empty)
{
	ck_near(stat(GQ, "", "gopher-quality:words"), 0);
	ck_assert(isnan(stat(GQ, "", "gopher-quality:mean_word_length")));
	ck_assert(isnan(stat(GQ, "", "gopher-quality:hash_ratio")));
	ck_assert(isnan(stat(GQ, "", "gopher-quality:bullet_lines")));
	ck_near(stat(FW, "", "fineweb:empty"), 1);
	ck_near(stat(LEN, "", "length:chars"), 0);
	ck_assert(isnan(stat(GR, "", "gopher-repetition:dup_line_frac")) ||
		  stat(GR, "", "gopher-repetition:dup_line_frac") == 0);
}
END_TEST

START_TEST(test_whitespace_only)
{
	const char *t = "  \n\t \n";
	ck_near(stat(GQ, t, "gopher-quality:words"), 0);
	ck_near(stat(FW, t, "fineweb:empty"), 1);
	/* splitlines: "  ", "\t " */
	ck_near(stat(GQ, t, "gopher-quality:bullet_lines"), 0);
	ck_near(stat(LEN, t, "length:chars"), 6);
}
END_TEST

START_TEST(test_punctuation_only)
{
	/* tokens "!!!", "???", "..." are all symbols */
	const char *t = "!!! ??? ...";
	ck_near(stat(GQ, t, "gopher-quality:words"), 0);
	ck_assert(isnan(stat(GQ, t, "gopher-quality:mean_word_length")));
	ck_near(stat(GQ, t, "gopher-quality:alpha_words"), 0);
	ck_near(stat(GQ, t, "gopher-quality:ellipsis_ratio"), 1 / 3.0);
}
END_TEST

START_TEST(test_one_word)
{
	ck_near(stat(GQ, "hello", "gopher-quality:words"), 1);
	ck_near(stat(GQ, "hello", "gopher-quality:mean_word_length"), 5);
	ck_assert(isnan(stat(GR, "hello", "gopher-repetition:top_2_gram")));
	ck_assert(isnan(stat(GR, "hello", "gopher-repetition:dup_5_grams")));
}
END_TEST

START_TEST(test_hashes_and_stop_words)
{
	ck_near(stat(GQ, "#a #b #c", "gopher-quality:hash_ratio"), 3 / 6.0);
	/* case-sensitive like datatrove: "The" is not a stop word */
	ck_near(stat(GQ, "The cat and the dog of the house", "gopher-quality:stop_words"), 4);
	ck_near(stat(GQ, "two\u2026 three\u2026", "gopher-quality:ellipsis_ratio"), 2 / 4.0);
}
END_TEST

START_TEST(test_cjk)
{
	/* 7 Han characters are 7 words, the ideographic full stop a symbol */
	const char *t = "\u6211\u7231\u5317\u4eac\u5929\u5b89\u95e8\u3002";
	ck_near(stat(GQ, t, "gopher-quality:words"), 7);
	/* word-length and English stop-word rules do not apply to CJK */
	ck_assert(isnan(stat(GQ, t, "gopher-quality:mean_word_length")));
	ck_assert(isnan(stat(GQ, t, "gopher-quality:stop_words")));
	ck_near(stat(GQ, t, "gopher-quality:alpha_words"), 7 / 8.0);
	ck_near(stat(LEN, t, "length:chars"), 8);
	/* the ideographic full stop is terminal punctuation */
	ck_near(stat(FW, t, "fineweb:line_punct_ratio"), 1);
}
END_TEST

START_TEST(test_rtl)
{
	/* Hebrew: 4 words of 4, 4, 2, 5 letters, and "," "?" */
	const char *t = "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd, \u05de\u05d4 "
			"\u05e9\u05dc\u05d5\u05de\u05da?";
	ck_near(stat(GQ, t, "gopher-quality:words"), 4);
	ck_near(stat(GQ, t, "gopher-quality:mean_word_length"), 15 / 4.0);
	ck_near(stat(GQ, t, "gopher-quality:alpha_words"), 4 / 6.0);
	/* Arabic with a combining mark stays one word; its question mark ends a sentence */
	ck_near(stat(GQ, "\u0645\u064e\u0631\u062d\u0628\u0627 \u061f", "gopher-quality:words"), 1);
}
END_TEST

START_TEST(test_long_line)
{
	size_t n = 200000;
	char *t = malloc(n + 64);
	memset(t, 'a', n);
	memcpy(t + n, " is a word.\nThis line has enough words to stay.", 48);
	ck_near(stat(GQ, t, "gopher-quality:words"), 11);
	ck_assert(stat(GQ, t, "gopher-quality:mean_word_length") > 10);
	/* C4 drops the line with a word over 1000 characters */
	ck_near(stat("{\"rules\": \"c4\"}", t, "c4:lines_removed"), 1);
	free(t);

	/* over 8 MiB: dropped unread */
	n = (size_t)8 << 20;
	t = malloc(n + 2);
	memset(t, 'a', n + 1);
	t[n + 1] = 0;
	flt_engine *e = engine(GQ);
	flt_worker *w = flt_worker_new(e);
	flt_verdict v;
	ck_assert_int_eq(flt_judge(w, t, n + 1, NULL, NULL, &v), CUR_OK);
	ck_assert_int_eq(v.drop, CUR_DROP);
	ck_assert_str_eq(v.reason, "filter:text_too_large");
	flt_worker_free(w);
	flt_engine_free(e);
	free(t);
}
END_TEST

START_TEST(test_line_flags)
{
	const char *t = "\u2022 one\n - two\nthree...\nfour\u2026  \n";
	/* splitlines gives 4 lines: 2 bullets, 2 end in an ellipsis */
	ck_near(stat(GQ, t, "gopher-quality:bullet_lines"), 2 / 4.0);
	ck_near(stat(GQ, t, "gopher-quality:ellipsis_lines"), 2 / 4.0);
}
END_TEST

START_TEST(test_repetition_lines)
{
	/* re.split(r"\n+"): "a b", "a b", "c d"; len(text) = 11 */
	const char *t = "a b\na b\nc d";
	ck_near(stat(GR, t, "gopher-repetition:dup_line_frac"), 1 / 3.0);
	ck_near(stat(GR, t, "gopher-repetition:dup_line_char_frac"), 3 / 11.0);
	ck_near(stat(GR, t, "gopher-repetition:dup_para_frac"), 0);
	/* top 2-gram "a b" (3 chars) twice; 3-grams all unique: the first, "a b a" */
	ck_near(stat(GR, t, "gopher-repetition:top_2_gram"), 6 / 11.0);
	ck_near(stat(GR, t, "gopher-repetition:top_3_gram"), 5 / 11.0);
	ck_near(stat(GR, t, "gopher-repetition:top_4_gram"), 7 / 11.0);
	ck_near(stat(GR, t, "gopher-repetition:dup_5_grams"), 0);
}
END_TEST

START_TEST(test_repetition_paragraphs)
{
	/* "p1", "p1", "p2"; len(text) = 10 */
	const char *t = "p1\n\np1\n\np2";
	ck_near(stat(GR, t, "gopher-repetition:dup_para_frac"), 1 / 3.0);
	ck_near(stat(GR, t, "gopher-repetition:dup_para_char_frac"), 2 / 10.0);
	/* "\n \n" is no paragraph break */
	ck_near(stat(GR, "p1\n \np1", "gopher-repetition:dup_para_frac"), 0);
	/* leading and trailing blank lines are stripped first */
	ck_near(stat(GR, "\n\np1\n\np1\n\n", "gopher-repetition:dup_para_frac"), 1 / 2.0);
}
END_TEST

START_TEST(test_repetition_ngrams)
{
	/* 10 words, 19 chars: the 5-gram at 5 repeats the one at 0 ("".join: 5 chars) */
	const char *t = "x y z w v x y z w v";
	ck_near(stat(GR, t, "gopher-repetition:dup_5_grams"), 5 / 19.0);
	/* 6-grams: none repeats */
	ck_near(stat(GR, t, "gopher-repetition:dup_6_grams"), 0);
	/* "a a a a a a a": 5-gram at 0 new, 1 new? no: "aaaaa" at 1 repeats, skip 5 */
	ck_near(stat(GR, "a a a a a a a", "gopher-repetition:dup_5_grams"), 5 / 13.0);
	/* top 2-gram "x y" appears twice: 3 chars * 2 */
	ck_near(stat(GR, t, "gopher-repetition:top_2_gram"), 6 / 19.0);
}
END_TEST

START_TEST(test_fineweb)
{
	const char *t = "Line one ends here.\nshort\nshort\n\n"
			"A much longer line that does not end with punctuation";
	/* 4 non-blank lines, 1 ends in punctuation, 3 are <= 30 chars */
	ck_near(stat(FW, t, "fineweb:line_punct_ratio"), 1 / 4.0);
	ck_near(stat(FW, t, "fineweb:short_line_ratio"), 3 / 4.0);
	ck_near(stat(FW, t, "fineweb:char_dup_ratio"), 5.0 / (double)(strlen(t) - 4));
	/* 4 newlines over 17 words (the "." counts as a word) */
	ck_near(stat(FW, t, "fineweb:list_ratio"), 4 / 17.0);
	ck_near(stat(FW, t, "fineweb:empty"), 0);
}
END_TEST

START_TEST(test_c4)
{
	const char *t = "This is a good sentence.\n"
			"Too short.\n"
			"No terminal punctuation here\n"
			"Enable javascript to view this page.\n"
			"  Read our privacy policy now.\n"
			"Another fine sentence here. And one more!\n"
			"A citation follows this sentence.[12]\n";
	ck_near(stat("{\"rules\": \"c4\"}", t, "c4:lines_removed"), 4);
	ck_near(stat("{\"rules\": \"c4\"}", t, "c4:sentences"), 4);
	ck_near(stat("{\"rules\": \"c4\"}", t, "c4:lorem_ipsum"), 0);
	ck_near(stat("{\"rules\": \"c4\"}", "Lorem ipsum dolor sit amet.", "c4:lorem_ipsum"), 1);
	ck_near(stat("{\"rules\": \"c4\"}", "The value x = {1} is set.", "c4:curly_bracket"), 1);
	/* FineWeb's setting: keep lines without terminal punctuation */
	ck_near(stat("{\"rules\": \"c4\", \"set\": [\"c4.terminal_punct=0\"]}", t, "c4:lines_removed"), 3);

	/* the rewritten text */
	flt_engine *e = engine("{\"rules\": \"c4\", \"set\": {\"c4.min_sentences\": 1}}");
	flt_worker *w = flt_worker_new(e);
	flt_verdict v;
	ck_assert_int_eq(flt_judge(w, t, strlen(t), NULL, NULL, &v), CUR_OK);
	ck_assert_int_eq(v.drop, CUR_KEEP);
	ck_assert(v.changed);
	const char *want = "This is a good sentence.\nAnother fine sentence here. And one more!\n"
			   "A citation follows this sentence.";
	ck_assert_uint_eq(v.len, strlen(want));
	ck_assert(memcmp(v.text, want, v.len) == 0);
	flt_worker_free(w);
	flt_engine_free(e);
}
END_TEST

START_TEST(test_dirty_words)
{
	const char *cfg = "{\"rules\": \"safety\", \"dirty_words\": [\"" DATA "dirty.txt\"]}";
	const char *t = "This BadWord is here, and two  words, and badword again; badwords no.";
	ck_near(stat(cfg, t, "safety:dirty_words"), 3);
	/* 12 non-symbol words */
	ck_near(stat(cfg, t, "safety:dirty_fraction"), 3 / 12.0);
	ck_near(stat(cfg, "two-words badwordy", "safety:dirty_words"), 0);
}
END_TEST

START_TEST(test_wordlist_skips)
{
	/* entries without a letter, and one or two CJK characters, never match */
	const char *cfg = "{\"rules\": \"safety\", \"dirty_words\": \"" DATA "dirty-skip.txt\"}";
	ck_near(stat(cfg, "Call 13. Now.", "safety:dirty_words"), 0);
	ck_near(stat(cfg, "\u652f\u914d\u4eba", "safety:dirty_words"), 0);
	ck_near(stat(cfg, "\u30b9\u30ab\u30c8\u30ed\u3067\u3059", "safety:dirty_words"), 1);
}
END_TEST

START_TEST(test_shipped_dirty_words)
{
	/* the shipped LDNOOBW list: English and a multi-word entry */
	const char *cfg = "{\"rules\": \"safety\"}";
	ck_near(stat(cfg, "He watched 2 girls 1 cup yesterday.", "safety:dirty_words"), 1);
	ck_near(stat(cfg, "A perfectly clean sentence about gardens.", "safety:dirty_words"), 0);
}
END_TEST

START_TEST(test_blocklist)
{
	const char *cfg = "{\"rules\": \"safety\", \"blocklist\": \"" DATA "blocklist.txt.gz\"}";
	const char *t = "text";
	ck_near(stat_url(cfg, t, "https://www.Example.com/x", "safety:blocked_url"), 1);
	ck_near(stat_url(cfg, t, "http://example.com:8080/", "safety:blocked_url"), 1);
	ck_near(stat_url(cfg, t, "https://notexample.com/", "safety:blocked_url"), 0);
	ck_near(stat_url(cfg, t, "http://foo.org/casino/win", "safety:blocked_url"), 1);
	ck_near(stat_url(cfg, t, "http://foo.org/", "safety:blocked_url"), 0);
	ck_near(stat_url(cfg, t, NULL, "safety:blocked_url"), 0);
}
END_TEST

START_TEST(test_scripts)
{
	const char *cfg = "{\"rules\": \"length\", \"scripts\": \"cyrillic\"}";
	ck_near(stat(cfg, "hello world", "length:script_fraction"), 0);
	ck_near(stat(cfg, "\u043f\u0440\u0438\u0432\u0435\u0442 ok", "length:script_fraction"), 6 / 8.0);
	ck_assert(isnan(stat(LEN, "hello", "length:script_fraction")));
}
END_TEST

START_TEST(test_llama3_lines)
{
	const char *cfg = "{\"rules\": \"llama3\", \"set\": [\"llama3.max_kl=off\"], "
			  "\"dirty_words\": \"" DATA "dirty.txt\"}";
	const char *t = "ERROR connection refused to host alpha at port 80\n"
			"ERROR connection refused to host beta at port 80\n"
			"ERROR connection refused to host gamma at port 80\n"
			"A normal sentence follows the log.";
	ck_near(stat(cfg, t, "llama3:lines_removed"), 2);
	flt_engine *e = engine(cfg);
	flt_worker *w = flt_worker_new(e);
	flt_verdict v;
	ck_assert_int_eq(flt_judge(w, t, strlen(t), NULL, NULL, &v), CUR_OK);
	const char *want = "ERROR connection refused to host alpha at port 80\n"
			   "A normal sentence follows the log.";
	ck_assert_uint_eq(v.len, strlen(want));
	ck_assert(memcmp(v.text, want, v.len) == 0);
	flt_worker_free(w);
	flt_engine_free(e);
}
END_TEST

/* The KL rule with the shipped distribution and the default vocabulary:
 * English prose is close to the corpus, Armenian far from it. */
START_TEST(test_llama3_kl)
{
	const char *cfg = "{\"rules\": \"llama3\"}";
	const char *en = "The committee met on Tuesday to discuss the budget for the coming year. "
			 "Members agreed that the library needs new books, longer opening hours and "
			 "a better heating system before the winter. The chairman thanked everyone "
			 "for their work and promised to publish the minutes within a week, so that "
			 "all residents could read them.";
	const char *hy = "\u0540\u0561\u0575\u0561\u057d\u057f\u0561\u0576\u056b "
			 "\u0540\u0561\u0576\u0580\u0561\u057a\u0565\u057f\u0578\u0582"
			 "\u0569\u0575\u0578\u0582\u0576\u0568 \u0563\u057f\u0576\u057e"
			 "\u0578\u0582\u0574 \u0567 \u0540\u0561\u0575\u056f\u0561\u056f"
			 "\u0561\u0576 \u056c\u0565\u057c\u0576\u0561\u0577\u056d\u0561"
			 "\u0580\u0570\u056b \u0570\u0575\u0578\u0582\u057d\u056b\u057d"
			 "\u0561\u0580\u0587\u0565\u056c\u0575\u0561\u0576 \u0574\u0561"
			 "\u057d\u0578\u0582\u0574\u0589 \u0544\u0561\u0575\u0580\u0561"
			 "\u0584\u0561\u0572\u0561\u0584\u0568 \u0535\u0580\u0587\u0561"
			 "\u0576\u0576 \u0567\u0589";
	double a = stat(cfg, en, "llama3:kl_divergence");
	double b = stat(cfg, hy, "llama3:kl_divergence");
	ck_assert_msg(a > 0 && a < 8.7, "English KL %g", a);
	ck_assert_msg(b > 8.7, "Armenian KL %g", b);
	/* under min_tokens (50): no score */
	ck_assert(isnan(stat(cfg, "Too short to judge.", "llama3:kl_divergence")));
}
END_TEST

START_TEST(test_verdict_and_overrides)
{
	const char *t = "the cats sitting quietly on the warm carpet with hats";
	flt_engine *e = engine(GQ);
	flt_worker *w = flt_worker_new(e);
	flt_verdict v;
	ck_assert_int_eq(flt_judge(w, t, strlen(t), NULL, NULL, &v), CUR_OK);
	ck_assert_int_eq(v.drop, CUR_DROP);
	ck_assert_str_eq(v.reason, "gopher-quality:words");
	ck_near(v.value, 10);
	flt_worker_free(w);
	flt_engine_free(e);

	e = engine("{\"rules\": \"gopher-quality\", \"set\": [\"gopher-quality.min_words=5\"]}");
	w = flt_worker_new(e);
	ck_assert_int_eq(flt_judge(w, t, strlen(t), NULL, NULL, &v), CUR_OK);
	ck_assert_int_eq(v.drop, CUR_KEEP);
	flt_worker_free(w);
	flt_engine_free(e);

	e = engine("{\"rules\": \"gopher-quality\", \"set\": {\"gopher-quality.min_words\": \"off\"}}");
	w = flt_worker_new(e);
	ck_assert_int_eq(flt_judge(w, t, strlen(t), NULL, NULL, &v), CUR_OK);
	ck_assert_int_eq(v.drop, CUR_KEEP);
	flt_worker_free(w);
	flt_engine_free(e);
}
END_TEST

START_TEST(test_annotate_and_explain)
{
	flt_engine *e = engine(GQ);
	flt_worker *w = flt_worker_new(e);
	json_t *scores = json_object();
	flt_verdict v;
	ck_assert_int_eq(flt_judge(w, "tiny", 4, NULL, scores, &v), CUR_OK);
	json_t *failed = json_object_get(scores, "failed");
	ck_assert(json_is_array(failed));
	ck_assert_str_eq(json_string_value(json_array_get(failed, 0)), "gopher-quality:words");
	json_decref(scores);

	cur_buf b;
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(flt_explain(w, "tiny", 4, NULL, &b), CUR_OK);
	ck_assert(strstr(b.data, "verdict: drop (gopher-quality:words = 1)") != NULL);
	ck_assert(strstr(b.data, "min_words") != NULL);
	ck_assert(strstr(b.data, "FAIL") != NULL);
	ck_assert(strstr(b.data, "min_stop_words") != NULL);
	cur_buf_release(&b);
	flt_worker_free(w);
	flt_engine_free(e);
}
END_TEST

static void config_error(const char *json, const char *want)
{
	json_t *cfg = json_loads(json, 0, NULL);
	flt_engine *e;
	cur_err err;
	cur_err_clear(&err);
	ck_assert_int_eq(flt_engine_new(cfg, NULL, &e, &err), CUR_EINVAL);
	ck_assert_ptr_null(e);
	ck_assert_msg(strstr(err.msg, want) != NULL, "'%s' lacks '%s'", err.msg, want);
	json_decref(cfg);
}

START_TEST(test_config_errors)
{
	config_error("{\"rules\": \"gopher-quality,bogus\"}",
		     "unknown rule set 'bogus' (valid: length, gopher-quality");
	config_error("{\"set\": [\"gopher-quality.nope=1\"]}", "valid for gopher-quality: min_words");
	config_error("{\"set\": [\"gopher-quality.min_words\"]}", "RULESET.KEY=VALUE");
	config_error("{\"set\": [\"c4.min_sentences=many\"]}", "bad value 'many'");
	config_error("{\"colour\": 1}", "unknown option 'colour'");
	config_error("{\"scripts\": \"klingon\"}", "unknown script 'klingon'");
}
END_TEST

START_TEST(test_missing_list_file)
{
	json_t *cfg = json_pack("{s:s, s:s}", "rules", "safety", "dirty_words", "/nonexistent/x");
	flt_engine *e;
	cur_err err;
	cur_err_clear(&err);
	ck_assert_int_eq(flt_engine_new(cfg, NULL, &e, &err), CUR_EIO);
	ck_assert(strstr(err.msg, "/nonexistent/x") != NULL);
	json_decref(cfg);
}
END_TEST

/* Every rule of every table has a name, a reason "set:stat" and a help line. */
START_TEST(test_tables)
{
	flt_engine *e = engine("{\"rules\": \"length,gopher-quality,gopher-repetition,c4,fineweb,safety\"}");
	flt_worker *w = flt_worker_new(e);
	json_t *scores = json_object();
	flt_verdict v;
	const char *t = "Some words here.\nAnd more words there.";
	ck_assert_int_eq(flt_judge(w, t, strlen(t), NULL, scores, &v), CUR_OK);
	/* 4 length + 10 quality + 13 repetition + 4 c4 + 5 fineweb + 3 safety reasons
	 * (two-sided rules share one reason), plus "failed" */
	ck_assert_int_ge(json_object_size(scores), 2 + 8 + 13 + 4 + 5 + 3);
	json_decref(scores);
	flt_worker_free(w);
	flt_engine_free(e);
}
END_TEST

/* After c4 removes lines, the scan of the new text is derived from the old
 * one, not redone: every later statistic must equal the one computed on the
 * rewritten text from scratch. */
START_TEST(test_c4_derived_scan)
{
	flt_engine *e1 = engine("{\"rules\": \"c4,fineweb,gopher-quality,gopher-repetition,safety\"}");
	flt_engine *e2 = engine("{\"rules\": \"fineweb,gopher-quality,gopher-repetition,safety\"}");
	flt_worker *w1 = flt_worker_new(e1), *w2 = flt_worker_new(e2);
	FILE *f = fopen(DATA "cc-2019-30-sample.jsonl", "r");
	ck_assert_ptr_nonnull(f);
	char *line = NULL;
	size_t cap = 0, changed = 0;
	while (getline(&line, &cap, f) > 0) {
		json_t *doc = json_loads(line, 0, NULL);
		ck_assert_ptr_nonnull(doc);
		const char *text = json_string_value(json_object_get(doc, "text"));
		json_t *s1 = json_object(), *s2 = json_object();
		flt_verdict v1, v2;
		ck_assert_int_eq(flt_judge(w1, text, strlen(text), NULL, s1, &v1), CUR_OK);
		changed += v1.changed;
		ck_assert_int_eq(flt_judge(w2, v1.text, v1.len, NULL, s2, &v2), CUR_OK);
		const char *key;
		json_t *x;
		json_object_foreach(s2, key, x) {
			if (!strcmp(key, "failed"))
				continue;
			json_t *y = json_object_get(s1, key);
			ck_assert_msg(y && json_equal(x, y), "%s differs after c4", key);
		}
		json_decref(s1);
		json_decref(s2);
		json_decref(doc);
	}
	ck_assert_uint_gt(changed, 10);
	free(line);
	fclose(f);
	flt_worker_free(w1);
	flt_worker_free(w2);
	flt_engine_free(e1);
	flt_engine_free(e2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("filters");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_words_basic);
	tcase_add_test(tc, test_word_joining);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_whitespace_only);
	tcase_add_test(tc, test_punctuation_only);
	tcase_add_test(tc, test_one_word);
	tcase_add_test(tc, test_hashes_and_stop_words);
	tcase_add_test(tc, test_cjk);
	tcase_add_test(tc, test_rtl);
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_line_flags);
	tcase_add_test(tc, test_repetition_lines);
	tcase_add_test(tc, test_repetition_paragraphs);
	tcase_add_test(tc, test_repetition_ngrams);
	tcase_add_test(tc, test_fineweb);
	tcase_add_test(tc, test_c4);
	tcase_add_test(tc, test_c4_derived_scan);
	tcase_add_test(tc, test_dirty_words);
	tcase_add_test(tc, test_wordlist_skips);
	tcase_add_test(tc, test_shipped_dirty_words);
	tcase_add_test(tc, test_blocklist);
	tcase_add_test(tc, test_scripts);
	tcase_add_test(tc, test_llama3_lines);
	tcase_add_test(tc, test_llama3_kl);
	tcase_add_test(tc, test_verdict_and_overrides);
	tcase_add_test(tc, test_annotate_and_explain);
	tcase_add_test(tc, test_config_errors);
	tcase_add_test(tc, test_missing_list_file);
	tcase_add_test(tc, test_tables);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
