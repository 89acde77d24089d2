// SPDX-License-Identifier: GPL-2.0
/*
 * The speculation policy (kmod/spec.c), built here in userspace: host
 * profiles as the host kernel would describe them (X86_BUG_* and the
 * X86_FEATURE_* bits its default mitigations force on), the actions plumb
 * takes there, the bugs it leaves open, and whether it loads.
 */
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "spec.h"

struct profile {
	const char *what;
	u64 facts;
	u32 actions;
	u64 open;
};

#define F(x)	PSF(x)
#define A(x)	PSA(x)

static const struct profile profiles[] = {
	/* The emulated hosts of tests/harness (booted with mitigations=off). */
	{ "qemu-svm: QEMU TCG max, mitigations=off",
	  F(MITIGATIONS_OFF) | F(BUG_SPECTRE_V2), 0, F(BUG_SPECTRE_V2) },
	{ "bochs-vmx: Bochs Haswell, mitigations=off",
	  F(VMX) | F(MITIGATIONS_OFF) | F(BUG_SPECTRE_V2) | F(BUG_L1TF) |
	  F(BUG_MDS) | F(BUG_MMIO) | F(BUG_ITLB_MULTIHIT) | F(BUG_VMSCAPE),
	  0, F(BUG_SPECTRE_V2) | F(BUG_L1TF) | F(BUG_MDS) | F(BUG_VMSCAPE) },
	/* Intel, default mitigations. */
	{ "Skylake: IBRS, VERW, L1D flush",
	  F(VMX) | F(BUG_SPECTRE_V2) | F(BUG_L1TF) | F(BUG_MDS) |
	  F(BUG_TAA) | F(BUG_MMIO) | F(BUG_RETBLEED) | F(BUG_ITLB_MULTIHIT) |
	  F(BUG_VMSCAPE) | F(RSB_VMEXIT) | F(USE_IBPB) | F(MSR_SPEC_CTRL) |
	  F(KERNEL_IBRS) | F(CLEAR_CPU_BUF) | F(RTM) | F(L1TF_FLUSH) |
	  F(FLUSH_L1D) | F(IBPB_EXIT_TO_USER),
	  A(RSB_FILL) | A(VERW) | A(L1D_FLUSH) | A(IBPB_VM) |
	  A(HOST_SPEC_CTRL) | A(IBPB_USER), 0 },
	{ "Skylake without the L1D flush microcode",
	  F(VMX) | F(BUG_SPECTRE_V2) | F(BUG_L1TF) | F(RSB_VMEXIT) |
	  F(USE_IBPB) | F(L1TF_FLUSH),
	  A(RSB_FILL) | A(IBPB_VM), F(BUG_L1TF) },
	{ "Skylake with l1tf=off",
	  F(VMX) | F(BUG_L1TF) | F(FLUSH_L1D), 0, F(BUG_L1TF) },
	{ "L1TF part that says SKIP_VMENTRY_L1DFLUSH (nested)",
	  F(VMX) | F(BUG_L1TF) | F(FLUSH_L1D) | F(L1TF_FLUSH) | F(SKIP_L1DFL),
	  0, 0 },
	{ "Cascade Lake with mds=off, tsx=off",
	  F(VMX) | F(BUG_MDS) | F(BUG_TAA), 0, F(BUG_MDS) },
	{ "Alder Lake: eIBRS with PBRSB, BHI_DIS_S",
	  F(VMX) | F(BUG_SPECTRE_V2) | F(BUG_EIBRS_PBRSB) | F(BUG_BHI) |
	  F(BUG_VMSCAPE) | F(EIBRS_ON) | F(RSB_VMEXIT_LITE) | F(USE_IBPB) |
	  F(MSR_SPEC_CTRL) | F(BHI_DIS_S) | F(IBPB_EXIT_TO_USER),
	  A(RSB_ONE) | A(IBPB_VM) | A(IBPB_USER), 0 },
	{ "eIBRS with PBRSB but no RSB_VMEXIT_LITE",
	  F(VMX) | F(BUG_SPECTRE_V2) | F(BUG_EIBRS_PBRSB) | F(EIBRS_ON) |
	  F(USE_IBPB), A(IBPB_VM),
	  F(BUG_SPECTRE_V2) | F(BUG_EIBRS_PBRSB) },
	{ "BHI with the software loop at VM exit",
	  F(VMX) | F(BUG_BHI) | F(CLEAR_BHB_VMEXIT), A(CLEAR_BHB), 0 },
	{ "Spectre v2 without IBPB: VMs can train each other",
	  F(VMX) | F(BUG_SPECTRE_V2) | F(RSB_VMEXIT), A(RSB_FILL),
	  F(BUG_SPECTRE_V2) },
	/* AMD, default mitigations. */
	{ "Zen 2: retpoline, untrained returns, SRSO safe RET",
	  F(BUG_SPECTRE_V2) | F(BUG_RETBLEED) | F(BUG_SRSO) | F(BUG_VMSCAPE) |
	  F(RSB_VMEXIT) | F(USE_IBPB) | F(MSR_SPEC_CTRL) | F(UNRET) |
	  F(SRSO_SAFE_RET) | F(IBPB_EXIT_TO_USER),
	  A(RSB_FILL) | A(IBPB_VM) | A(UNTRAIN_RET) | A(IBPB_USER), 0 },
	{ "Zen 3 with spec_rstack_overflow=ibpb-vmexit",
	  F(BUG_SPECTRE_V2) | F(BUG_SRSO) | F(RSB_VMEXIT) | F(USE_IBPB) |
	  F(IBPB_ON_VMEXIT),
	  A(RSB_FILL) | A(IBPB_VM) | A(IBPB_EXIT), 0 },
	{ "Zen 4: AutoIBRS, SRSO alias untraining, TSA VERW",
	  F(BUG_SPECTRE_V2) | F(BUG_SRSO) | F(BUG_TSA) | F(EIBRS_ON) |
	  F(USE_IBPB) | F(UNRET) | F(SRSO_ALIAS) | F(CLEAR_CPU_BUF_VM),
	  A(VERW) | A(IBPB_VM) | A(UNTRAIN_RET), 0 },
	{ "Zen 5 with SRSO_BP_SPEC_REDUCE: the VMM must set BP_CFG",
	  F(BUG_SRSO) | F(EIBRS_ON) | F(USE_IBPB), A(IBPB_VM), F(BUG_SRSO) },
	{ "Zen 3 with tsa=off",
	  F(BUG_TSA), 0, F(BUG_TSA) },
	/* Things that need no action at the switch. */
	{ "MMIO stale data and iTLB multihit only",
	  F(VMX) | F(BUG_MMIO) | F(BUG_ITLB_MULTIHIT), 0, 0 },
	{ "an SVM host is not exposed to L1TF or BHI",
	  F(BUG_L1TF) | F(BUG_BHI) | F(FLUSH_L1D) | F(L1TF_FLUSH), 0, 0 },
	{ "the VMX switch does not untrain returns",
	  F(VMX) | F(UNRET) | F(SRSO_ALIAS) | F(ENTRY_IBPB), 0, 0 },
	{ "SPEC_CTRL without legacy IBRS is not rewritten",
	  F(VMX) | F(MSR_SPEC_CTRL), 0, 0 },
};

START_TEST(test_profile)
{
	const struct profile *t = &profiles[_i];
	struct plumb_spec_policy p;

	plumb_spec_decide(t->facts, &p);
	ck_assert_msg(p.actions == t->actions, "%s: actions %#x, want %#x",
		      t->what, p.actions, t->actions);
	ck_assert_msg(p.open == t->open, "%s: open %#llx, want %#llx",
		      t->what, (unsigned long long)p.open,
		      (unsigned long long)t->open);
}
END_TEST

START_TEST(test_refuse)
{
	const struct profile *t = &profiles[_i];
	struct plumb_spec_policy p;
	bool off = t->facts & PSF(MITIGATIONS_OFF);

	plumb_spec_decide(t->facts, &p);
	/* allow: always loads. refuse: whenever a bug is open. */
	ck_assert(!plumb_spec_refuse(t->facts, &p, PLUMB_SPEC_ALLOW));
	ck_assert(plumb_spec_refuse(t->facts, &p, PLUMB_SPEC_REFUSE) ==
		  !!t->open);
	/* auto: mitigations=off on the host is the administrator's consent. */
	ck_assert(plumb_spec_refuse(t->facts, &p, PLUMB_SPEC_AUTO) ==
		  (t->open && !off));
}
END_TEST

START_TEST(test_auto_honours_mitigations_off)
{
	u64 facts = PSF(VMX) | PSF(BUG_MDS);
	struct plumb_spec_policy p;

	plumb_spec_decide(facts, &p);
	ck_assert(plumb_spec_refuse(facts, &p, PLUMB_SPEC_AUTO));
	facts |= PSF(MITIGATIONS_OFF);
	plumb_spec_decide(facts, &p);
	ck_assert(!plumb_spec_refuse(facts, &p, PLUMB_SPEC_AUTO));
	ck_assert(plumb_spec_refuse(facts, &p, PLUMB_SPEC_REFUSE));
}
END_TEST

START_TEST(test_parse_accept)
{
	enum plumb_spec_accept a = PLUMB_SPEC_ALLOW;

	ck_assert_int_eq(plumb_spec_parse_accept("auto", &a), 0);
	ck_assert_int_eq(a, PLUMB_SPEC_AUTO);
	ck_assert_int_eq(plumb_spec_parse_accept("allow", &a), 0);
	ck_assert_int_eq(a, PLUMB_SPEC_ALLOW);
	ck_assert_int_eq(plumb_spec_parse_accept("refuse", &a), 0);
	ck_assert_int_eq(a, PLUMB_SPEC_REFUSE);
	ck_assert_int_eq(plumb_spec_parse_accept("", &a), -EINVAL);
	ck_assert_int_eq(plumb_spec_parse_accept("yes", &a), -EINVAL);
	ck_assert_int_eq(plumb_spec_parse_accept("allow ", &a), -EINVAL);
	ck_assert_int_eq(a, PLUMB_SPEC_REFUSE);
}
END_TEST

START_TEST(test_format)
{
	char buf[160];

	plumb_spec_format_actions(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "none");
	plumb_spec_format_actions(PSA(RSB_FILL) | PSA(VERW) | PSA(IBPB_USER),
				  buf, sizeof(buf));
	ck_assert_str_eq(buf, "rsb-fill verw ibpb-to-user");
	plumb_spec_format_bugs(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "none");
	/* Facts that are not bugs have no name and are not listed. */
	plumb_spec_format_bugs(PSF(BUG_SPECTRE_V2) | PSF(BUG_L1TF) |
			       PSF(BUG_MDS) | PSF(VMX) | PSF(RSB_VMEXIT),
			       buf, sizeof(buf));
	ck_assert_str_eq(buf, "spectre_v2 l1tf mds");
	/* Truncated, still terminated. */
	plumb_spec_format_bugs(PSF(BUG_SPECTRE_V2) | PSF(BUG_L1TF), buf, 8);
	ck_assert_str_eq(buf, "spectre");
}
END_TEST

/* Every bug and action has a name, for the log line and the docs table. */
START_TEST(test_names)
{
	unsigned int i;

	for (i = PSF_BUG_SPECTRE_V2; i <= PSF_BUG_ITLB_MULTIHIT; i++)
		ck_assert_ptr_nonnull(plumb_spec_bug_name(i));
	ck_assert_ptr_null(plumb_spec_bug_name(PSF_VMX));
	ck_assert_ptr_null(plumb_spec_bug_name(PSF_NR));
	for (i = 0; i < PSA_NR; i++)
		ck_assert_ptr_nonnull(plumb_spec_action_name(i));
	ck_assert_ptr_null(plumb_spec_action_name(PSA_NR));
	ck_assert_int_le(PSF_NR, 64);
}
END_TEST

static Suite *spec_suite(void)
{
	Suite *s = suite_create("spec");
	TCase *tc = tcase_create("policy");
	int n = (int)(sizeof(profiles) / sizeof(profiles[0]));

	tcase_add_loop_test(tc, test_profile, 0, n);
	tcase_add_loop_test(tc, test_refuse, 0, n);
	tcase_add_test(tc, test_auto_honours_mitigations_off);
	tcase_add_test(tc, test_parse_accept);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(spec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
