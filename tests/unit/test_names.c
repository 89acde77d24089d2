// SPDX-License-Identifier: GPL-2.0
/*
 * include/plumb/names.h names every exit reason and internal-error
 * sub-reason the uapi header defines, and every management-plane exit
 * reason, event, state and ABI. The defines are read from the headers
 * themselves (UAPI_HEADER, UAPI_GENL_HEADER, given by the Makefile), so a
 * new PLUMB_EXIT_*, PLUMB_INTERNAL_* or PLUMB_EVENT_* value without a name
 * fails here, not in a log that prints "?". PLUMB_XR_* is an enum: its
 * table is checked against PLUMB_XR_NR.
 */
#include <check.h>
#include <string.h>
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

static void check_event(unsigned long v, const char *define)
{
	ck_assert_msg(plumb_event_name(v) != NULL,
		      "%s (%lu) has no name in include/plumb/names.h", define, v);
}

static void check_vm_state(unsigned long v, const char *define)
{
	ck_assert_msg(plumb_vm_state_name(v) != NULL,
		      "%s (%lu) has no name in include/plumb/names.h", define, v);
}

static void check_vcpu_state(unsigned long v, const char *define)
{
	ck_assert_msg(plumb_vcpu_state_name(v) != NULL,
		      "%s (%lu) has no name in include/plumb/names.h", define, v);
}

static void check_abi(unsigned long v, const char *define)
{
	ck_assert_msg(plumb_abi_name(v) != NULL,
		      "%s (%lu) has no name in include/plumb/names.h", define, v);
}

/*
 * Every reason below PLUMB_XR_NR has a name of its own (the static
 * assertion in names.h only sees the table's size, not a hole in it), and
 * they are the names plumb(1) and docs/abi.md list.
 */
START_TEST(test_exit_reasons_genl_named)
{
	static const char *const want[] = {
		"other", "io", "npf", "cpuid", "hlt", "msr", "hypercall",
		"xsetbv", "exception", "extint", "nmi", "window", "cr", "pause",
		"shutdown", "invalid", "invd", "rdpmc",
	};
	unsigned int i, j;

	ck_assert_uint_eq(sizeof(want) / sizeof(want[0]), PLUMB_XR_NR);
	for (i = 0; i < PLUMB_XR_NR; i++) {
		ck_assert_msg(plumb_xr_name(i) != NULL, "PLUMB_XR %u has no name", i);
		ck_assert_str_eq(plumb_xr_name(i), want[i]);
		for (j = 0; j < i; j++)
			ck_assert_msg(strcmp(plumb_xr_name(i), plumb_xr_name(j)),
				      "PLUMB_XR %u and %u share a name", i, j);
	}
	ck_assert_ptr_null(plumb_xr_name(PLUMB_XR_NR));
	ck_assert_ptr_null(plumb_xr_name(1000));
}
END_TEST

START_TEST(test_genl_values_named)
{
	const char *path = UAPI_GENL_HEADER;

	ck_assert_int_eq(for_each_define_in(path, "PLUMB_EVENT_", NULL, check_event), 9);
	ck_assert_int_ge(for_each_define_in(path, "PLUMB_VM_STATE_", NULL,
					    check_vm_state), 4);
	ck_assert_int_ge(for_each_define_in(path, "PLUMB_VCPU_STATE_", NULL,
					    check_vcpu_state), 4);
	ck_assert_int_ge(for_each_define_in(path, "PLUMB_ABI_", NULL, check_abi), 2);
	ck_assert_str_eq(plumb_event_name(PLUMB_EVENT_VM_CREATED), "vm-created");
	ck_assert_str_eq(plumb_event_name(PLUMB_EVENT_KILLED), "killed");
	ck_assert_ptr_null(plumb_event_name(0));
	ck_assert_ptr_null(plumb_event_name(1000));
	ck_assert_str_eq(plumb_abi_name(PLUMB_ABI_KVM), "kvm");
	ck_assert_str_eq(plumb_vcpu_state_name(PLUMB_VCPU_STATE_WAIT_SIPI), "wait-sipi");
	ck_assert_ptr_null(plumb_vm_state_name(1000));
}
END_TEST

static Suite *names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("uapi");

	tcase_add_test(tc, test_exit_reasons_named);
	tcase_add_test(tc, test_internal_errors_named);
	tcase_add_test(tc, test_exit_reasons_genl_named);
	tcase_add_test(tc, test_genl_values_named);
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
