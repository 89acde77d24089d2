// SPDX-License-Identifier: GPL-2.0
/*
 * XSETBV's rules for XCR0 (kmod/xcr0.c), built here in userspace, against
 * the Intel SDM (Vol. 1 13.3 "Enabling the XSAVE feature set", Vol. 2C
 * XSETBV "#GP(0)") and the AMD APM (Vol. 3 XSETBV). The MPX and AMX
 * combinations are here because no emulated host offers those components:
 * this is where they are tested.
 */
#include <stdlib.h>
#include <check.h>

#include "xcr0.h"

#define X87	XCR0_X87
#define SSE	XCR0_SSE
#define YMM	XCR0_YMM
#define BNDR	XCR0_BNDREGS
#define BNDC	XCR0_BNDCSR
#define KMASK	XCR0_OPMASK
#define ZHI	XCR0_ZMM_HI256
#define HI16	XCR0_HI16_ZMM
#define TCFG	XCR0_XTILECFG
#define TDATA	XCR0_XTILEDATA

/* A Sapphire Rapids-like CPU: every component above, plus PKRU. */
#define ALL	(X87 | SSE | YMM | BNDR | BNDC | KMASK | ZHI | HI16 | \
		 XCR0_PKRU | TCFG | TDATA)
/* Skylake-X as Bochs' corei7_skylake_x shows it (host XCR0 0xe7). */
#define SKX	(X87 | SSE | YMM | KMASK | ZHI | HI16)
/* Haswell: no AVX-512, no MPX. */
#define HSW	(X87 | SSE | YMM)

static const struct {
	const char *what;
	u64 v, supported;
	bool valid;
} cases[] = {
	{ "x87 alone", X87, HSW, true },
	{ "x87+SSE", X87 | SSE, HSW, true },
	{ "x87+SSE+AVX", X87 | SSE | YMM, HSW, true },
	{ "0: x87 cleared", 0, HSW, false },
	{ "SSE without x87", SSE, HSW, false },
	{ "AVX without SSE", X87 | YMM, HSW, false },
	{ "a component the CPU lacks (AVX-512 on Haswell)", 0xe7, HSW, false },
	{ "bit 63, reserved", X87 | (1ULL << 63), ALL | (1ULL << 63), false },
	{ "bit 8 (PT, supervisor state) not offered", X87 | (1ULL << 8), ALL, false },
	/* F1's values: accepted before, then loaded by the host (#GP). */
	{ "F1: 0x27 opmask without ZMM_Hi256/Hi16_ZMM", 0x27, SKX, false },
	{ "F1: 0xe3 AVX-512 without AVX", 0xe3, SKX, false },
	{ "F1: 0x23 opmask without AVX", 0x23, SKX, false },
	{ "AVX-512 complete", 0xe7, SKX, true },
	{ "ZMM_Hi256 alone", X87 | SSE | YMM | ZHI, SKX, false },
	{ "Hi16_ZMM alone", X87 | SSE | YMM | HI16, SKX, false },
	{ "opmask+ZMM_Hi256", X87 | SSE | YMM | KMASK | ZHI, SKX, false },
	{ "opmask+Hi16_ZMM", X87 | SSE | YMM | KMASK | HI16, SKX, false },
	{ "ZMM_Hi256+Hi16_ZMM", X87 | SSE | YMM | ZHI | HI16, SKX, false },
	/* MPX: BNDREGS and BNDCSR together (SDM 13.3). */
	{ "MPX: 0x0b BNDREGS alone", 0x0b, ALL, false },
	{ "MPX: BNDCSR alone", X87 | SSE | BNDC, ALL, false },
	{ "MPX: both", X87 | SSE | BNDR | BNDC, ALL, true },
	{ "MPX: both, with AVX", 0x1f, ALL, true },
	{ "MPX on a CPU without it", X87 | BNDR | BNDC, SKX, false },
	/* AMX: XTILECFG and XTILEDATA together. */
	{ "AMX: XTILECFG alone", X87 | SSE | TCFG, ALL, false },
	{ "AMX: XTILEDATA alone", X87 | SSE | TDATA, ALL, false },
	{ "AMX: both", X87 | SSE | TCFG | TDATA, ALL, true },
	{ "AMX: both, with AVX-512", X87 | SSE | YMM | KMASK | ZHI | HI16 |
	  TCFG | TDATA, ALL, true },
	{ "AMX on a CPU without it", X87 | SSE | TCFG | TDATA, SKX, false },
	{ "PKRU where offered", X87 | XCR0_PKRU, ALL, true },
	{ "everything", ALL, ALL, true },
};

START_TEST(test_case)
{
	ck_assert_msg(plumb_xcr0_valid(cases[_i].v, cases[_i].supported) ==
		      cases[_i].valid, "%s: XCR0 %#llx (CPU offers %#llx) should be %s",
		      cases[_i].what, (unsigned long long)cases[_i].v,
		      (unsigned long long)cases[_i].supported,
		      cases[_i].valid ? "valid" : "#GP");
}
END_TEST

/*
 * Every combination of the AVX-512 group on top of x87/SSE/AVX, and
 * without AVX: only "none" and "all three with AVX" are valid.
 */
START_TEST(test_avx512_group)
{
	unsigned int i;

	for (i = 0; i < 8; i++) {
		u64 group = (u64)i << 5;

		ck_assert_msg(plumb_xcr0_valid(X87 | SSE | YMM | group, ALL) ==
			      (i == 0 || i == 7), "AVX-512 bits %u with AVX", i);
		ck_assert_msg(plumb_xcr0_valid(X87 | SSE | group, ALL) == (i == 0),
			      "AVX-512 bits %u without AVX", i);
	}
}
END_TEST

/* No value outside what the CPU offers is ever valid, whatever else. */
START_TEST(test_subset)
{
	u64 v;

	for (v = 0; v < (1ULL << 19); v++) {
		if (v & ~SKX)
			ck_assert_msg(!plumb_xcr0_valid(v, SKX), "%#llx", (unsigned long long)v);
		if (!(v & X87))
			ck_assert_msg(!plumb_xcr0_valid(v, ALL), "%#llx", (unsigned long long)v);
	}
}
END_TEST

static Suite *xcr0_suite(void)
{
	Suite *s = suite_create("xcr0");
	TCase *tc = tcase_create("rules");

	tcase_add_loop_test(tc, test_case, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_avx512_group);
	tcase_add_test(tc, test_subset);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xcr0_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
