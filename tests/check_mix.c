/* Unit tests for mix/: target parsing and the token-ratio sampler. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "mix/mix.h"

START_TEST(test_parse_default)
{
	mix_target t;
	cur_err e;
	ck_assert_int_eq(mix_target_parse(MIX_DEFAULT, &t, &e), CUR_OK);
	ck_assert_uint_eq(t.n, 4);
	ck_assert_str_eq(t.names[0], "general");
	ck_assert_str_eq(t.names[3], "multilingual");
	ck_assert(fabs(t.weights[0] - 0.50) < 1e-12);
	ck_assert(fabs(t.weights[2] - 0.17) < 1e-12);
	ck_assert(fabs(t.sum - 100) < 1e-12);
	ck_assert_int_eq(mix_target_find(&t, "code"), 2);
	ck_assert_int_eq(mix_target_find(&t, "web"), -1);
}
END_TEST

START_TEST(test_parse_normalizes)
{
	mix_target t;
	cur_err e;
	ck_assert_int_eq(mix_target_parse("a=1,b=3", &t, &e), CUR_OK);
	ck_assert(fabs(t.sum - 4) < 1e-12);
	ck_assert(fabs(t.weights[1] - 0.75) < 1e-12);
}
END_TEST

START_TEST(test_parse_errors)
{
	mix_target t;
	cur_err e;
	const char *bad[] = { "", "a", "a=", "=3", "a=0", "a=-1", "a=x", "a=1,a=2", "a=1e999", NULL };
	for (int i = 0; bad[i]; i++) {
		cur_err_clear(&e);
		ck_assert_msg(mix_target_parse(bad[i], &t, &e) == CUR_EINVAL, "accepted '%s'", bad[i]);
		ck_assert(e.msg[0] != '\0');
	}
}
END_TEST

START_TEST(test_normalize_keep)
{
	mix_target t;
	cur_err e;
	ck_assert_int_eq(mix_target_parse("a=50,b=25,c=25", &t, &e), CUR_OK);
	int keep[3] = { 1, 0, 1 };
	ck_assert_int_eq(mix_target_normalize(&t, keep, &e), CUR_OK);
	ck_assert(fabs(t.weights[0] - 2.0 / 3) < 1e-12);
	ck_assert(t.weights[1] == 0);
	int none[3] = { 0, 0, 0 };
	ck_assert_int_eq(mix_target_normalize(&t, none, &e), CUR_EINVAL);
}
END_TEST

/* Realized ratios stay within 0.5 percentage points of the target at every
 * point after 1M tokens, with documents of very different lengths. */
START_TEST(test_sampler_ratio)
{
	mix_target t;
	cur_err e;
	ck_assert_int_eq(mix_target_parse(MIX_DEFAULT, &t, &e), CUR_OK);
	mix_sampler s;
	mix_sampler_init(&s, &t);
	uint64_t x = 12345;
	const uint64_t mean[4] = { 900, 300, 2500, 600 };
	double worst = 0;
	while (s.total < 20000000) {
		int c = mix_sampler_pick(&s);
		ck_assert_int_ge(c, 0);
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t len = 1 + (x >> 33) % (2 * mean[c]);
		mix_sampler_add(&s, c, len);
		if (s.total < 1000000)
			continue;
		for (int i = 0; i < 4; i++) {
			double d = fabs((double)s.tokens[i] / (double)s.total - t.weights[i]);
			if (d > worst)
				worst = d;
		}
	}
	ck_assert_msg(worst < 0.005, "worst deviation %.4f pp", worst * 100);
	ck_assert_uint_gt(s.documents[1], s.documents[2]);
}
END_TEST

START_TEST(test_sampler_retire_and_ties)
{
	mix_target t;
	cur_err e;
	ck_assert_int_eq(mix_target_parse("a=1,b=1", &t, &e), CUR_OK);
	mix_sampler s;
	mix_sampler_init(&s, &t);
	ck_assert_int_eq(mix_sampler_pick(&s), 0); /* ties: lower index */
	mix_sampler_add(&s, 0, 10);
	ck_assert_int_eq(mix_sampler_pick(&s), 1);
	mix_sampler_retire(&s, 1);
	ck_assert_int_eq(mix_sampler_pick(&s), 0);
	mix_sampler_retire(&s, 0);
	ck_assert_int_eq(mix_sampler_pick(&s), -1);
}
END_TEST

static Suite *mix_suite(void)
{
	Suite *s = suite_create("mix");
	TCase *tc = tcase_create("mix");
	tcase_add_test(tc, test_parse_default);
	tcase_add_test(tc, test_parse_normalizes);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_normalize_keep);
	tcase_add_test(tc, test_sampler_ratio);
	tcase_add_test(tc, test_sampler_retire_and_ties);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mix_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
