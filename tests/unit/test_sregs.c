// SPDX-License-Identifier: GPL-2.0
/*
 * PLUMB_SET_SREGS' state checks (kmod/sregs.c), built here in userspace:
 * states of the SDM (Vol. 3A 2.5, 4.1, 9.8.5) and the APM (Vol. 2 3.1,
 * 15.5.1 "VMRUN consistency checks") that no CPU can be in, next to the
 * states plumb's own guests and loaders use, which must stay accepted.
 */
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "sregs.h"

static const struct plumb_sregs_limits lim = {
	.cr4_allowed = 0x3ff | (1 << 17) | (1 << 18),	/* VME..OSXMMEXCPT, PCIDE, OSXSAVE */
	.efer_allowed = 0x1 | 0x100 | 0x400 | 0x800,	/* SCE LME LMA NX */
	.maxphyaddr = 40,
};

enum { REAL, PROT32, LONG64 };

static struct plumb_sregs state(int mode)
{
	struct plumb_sregs s;

	memset(&s, 0, sizeof(s));
	s.cr0 = 0x60000010;		/* the reset value: CD NW ET */
	s.cs.present = s.cs.s = 1;
	s.cs.type = 0xb;
	s.tr.present = 1;
	s.tr.type = 0xb;
	if (mode == PROT32) {
		s.cr0 = 0x11;
		s.cs.db = 1;
	} else if (mode == LONG64) {
		s.cr0 = 0x80000011;
		s.cr3 = 0x5000;
		s.cr4 = 0x20;
		s.efer = 0x500;
		s.cs.l = 1;
	}
	return s;
}

START_TEST(test_accepted)
{
	struct plumb_sregs s;

	s = state(REAL);
	ck_assert(plumb_sregs_valid(&s, &lim));
	s = state(PROT32);
	ck_assert(plumb_sregs_valid(&s, &lim));
	s.tr.type = 3;			/* a busy 16-bit TSS, outside IA-32e mode */
	ck_assert(plumb_sregs_valid(&s, &lim));
	s.tr.type = 0xb;
	s.cr0 |= 0x80000000;		/* 32-bit paging */
	s.cr3 = 0xfffff000;
	ck_assert(plumb_sregs_valid(&s, &lim));
	s.cr4 = 0x20;			/* PAE paging, LME clear */
	ck_assert(plumb_sregs_valid(&s, &lim));
	s.efer = 0x100;			/* LME set, paging off: not yet active */
	s.cr0 &= ~0x80000000ULL;
	ck_assert(plumb_sregs_valid(&s, &lim));
	s = state(LONG64);
	ck_assert(plumb_sregs_valid(&s, &lim));
	s.cs.l = 0;			/* compatibility mode */
	s.cs.db = 1;
	ck_assert(plumb_sregs_valid(&s, &lim));
	s = state(LONG64);
	s.cr4 |= 1 << 17;		/* PCIDE in IA-32e mode */
	s.cr3 = (1ULL << 40) - 0x1000;	/* the top page under MAXPHYADDR */
	ck_assert(plumb_sregs_valid(&s, &lim));
	s.cr8 = 15;
	ck_assert(plumb_sregs_valid(&s, &lim));
}
END_TEST

/* Each: a valid state with one thing broken. */
static const struct {
	const char *what;
	int mode;
	u64 cr0_set, cr0_clear, cr4_set, cr4_clear, efer_set, efer_clear, cr3;
	int cs_l, cs_db, cr8, pad, tr;
} bad[] = {
	{ "CR0 bit 32", PROT32, .cr0_set = 1ULL << 32 },
	{ "CR0 bit 6 (reserved)", PROT32, .cr0_set = 1 << 6 },
	{ "CR0.NW without CD", PROT32, .cr0_set = 1 << 29 },
	{ "CR0.PG without PE", REAL, .cr0_set = 0x80000000, .cr0_clear = 0x60000000 },
	{ "CR4.VMXE", PROT32, .cr4_set = 1 << 13 },
	{ "CR4.SMXE", PROT32, .cr4_set = 1 << 14 },
	{ "CR4.PKE not offered", PROT32, .cr4_set = 1 << 22 },
	{ "CR4 bit 32", PROT32, .cr4_set = 1ULL << 32 },
	{ "CR4.PCIDE outside IA-32e mode", PROT32, .cr4_set = 1 << 17 },
	{ "EFER bit 1", PROT32, .efer_set = 2 },
	{ "EFER.SVME", PROT32, .efer_set = 1 << 12 },
	{ "EFER.LMA without paging", PROT32, .efer_set = 0x500 },
	{ "EFER.LMA without LME", PROT32, .cr0_set = 0x80000000, .cr4_set = 0x20, .efer_set = 0x400 },
	{ "LME+PG without LMA", LONG64, .efer_clear = 0x400 },
	{ "LME+PG without PAE", LONG64, .cr4_clear = 0x20 },
	{ "LMA with paging off", LONG64, .cr0_clear = 0x80000000 },
	{ "CS.L and CS.D in IA-32e mode", LONG64, .cs_db = 1 },
	{ "CS.L outside IA-32e mode", PROT32, .cs_l = 1, .cs_db = 0 },
	{ "CR3 beyond MAXPHYADDR", LONG64, .cr3 = 1ULL << 40 },
	{ "CR3 bit 63", LONG64, .cr3 = 1ULL << 63 },
	{ "CR3 above 4 GiB in 32-bit mode", PROT32, .cr3 = 1ULL << 32 },
	{ "CR8 16", LONG64, .cr8 = 16 },
	{ "GDT padding", LONG64, .pad = 1 },
	{ "TR not present", PROT32, .tr = 1 },
	{ "TR a code segment (S=1)", PROT32, .tr = 2 },
	{ "TR an available TSS (type 9)", PROT32, .tr = 3 },
	{ "TR a 16-bit TSS in IA-32e mode", LONG64, .tr = 4 },
	{ "TR unusable", LONG64, .tr = 5 },
};

START_TEST(test_refused)
{
	struct plumb_sregs s = state(bad[_i].mode);

	s.cr0 = (s.cr0 | bad[_i].cr0_set) & ~bad[_i].cr0_clear;
	s.cr4 = (s.cr4 | bad[_i].cr4_set) & ~bad[_i].cr4_clear;
	s.efer = (s.efer | bad[_i].efer_set) & ~bad[_i].efer_clear;
	if (bad[_i].cr3)
		s.cr3 = bad[_i].cr3;
	if (bad[_i].cs_l)
		s.cs.l = 1;
	if (bad[_i].cs_db)
		s.cs.db = 1;
	s.cr8 = bad[_i].cr8;
	s.gdt.padding[1] = bad[_i].pad;
	switch (bad[_i].tr) {
	case 1: s.tr.present = 0; break;
	case 2: s.tr.s = 1; break;
	case 3: s.tr.type = 9; break;
	case 4: s.tr.type = 3; break;
	case 5: s.tr.unusable = 1; break;
	default: break;
	}
	ck_assert_msg(!plumb_sregs_valid(&s, &lim), "%s was accepted", bad[_i].what);
}
END_TEST

static Suite *sregs_suite(void)
{
	Suite *s = suite_create("sregs");
	TCase *tc = tcase_create("states");

	tcase_add_test(tc, test_accepted);
	tcase_add_loop_test(tc, test_refused, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sregs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
