// SPDX-License-Identifier: GPL-2.0
/*
 * include/plumb/names.h names every exit reason and internal-error
 * sub-reason the uapi header defines. The defines are read from the header
 * itself (UAPI_HEADER, given by the Makefile), so a new PLUMB_EXIT_* or
 * PLUMB_INTERNAL_* value without a name fails here, not in a log that
 * prints "?".
 */
#include <check.h>
#include <plumb/names.h>

#include "uapi_defines.h"

static void check_exit(unsigned long v, const char *define)
{
	ck_assert_msg(plumb_exit_name(v) != NULL,
		      "%s (%lu) has no name in include/plumb/names.h", define, v);
}

static void check_internal(unsigned long v, const char *define)
{
	ck_assert_msg(plumb_internal_name(v) != NULL,
		      "%s (%lu) has no name in include/plumb/names.h", define, v);
}

START_TEST(test_exit_reasons_named)
{
	/* PLUMB_EXIT_F_*: plumb_exit.flags bits, not reasons. */
	int n = for_each_define("PLUMB_EXIT_", "F_", check_exit);

	ck_assert_int_ge(n, 10);
	ck_assert_str_eq(plumb_exit_name(PLUMB_EXIT_IO), "io");
	ck_assert_ptr_null(plumb_exit_name(1000));
}
END_TEST

START_TEST(test_internal_errors_named)
{
	int n = for_each_define("PLUMB_INTERNAL_", NULL, check_internal);

	ck_assert_int_ge(n, 3);
	ck_assert_ptr_null(plumb_internal_name(0));
	ck_assert_ptr_null(plumb_internal_name(1000));
}
END_TEST

static Suite *names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("uapi");

	tcase_add_test(tc, test_exit_reasons_named);
	tcase_add_test(tc, test_internal_errors_named);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(names_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
