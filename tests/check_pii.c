#include "config.h"
#include <check.h>
#include <stdlib.h>
#include "pii/pii.h"
START_TEST(t_dummy) { ck_assert(pii_luhn_ok("4111111111111111", 16)); }
END_TEST
int main(void)
{
	Suite *s = suite_create("pii");
	TCase *tc = tcase_create("all");
	tcase_add_test(tc, t_dummy);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int f = srunner_ntests_failed(sr);
	srunner_free(sr);
	return f ? 1 : 0;
}
