// SPDX-License-Identifier: GPL-2.0
/*
 * Which speculative-execution mitigations plumb applies around the world
 * switch, and which host bugs stay open: see spec.h. The rules follow what
 * KVM does in arch/x86/kvm/{vmx,svm}/vmenter.S, vmx.c and svm.c, keyed on
 * the same host bits; docs/security.md has them as a table.
 */
#include "spec.h"

#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

static bool has(u64 facts, u64 mask)
{
	return (facts & mask) == mask;
}

static bool any(u64 facts, u64 mask)
{
	return facts & mask;
}

/* The actions: each is exactly the condition of its ALTERNATIVE or test. */
static u32 spec_actions(u64 f)
{
	bool vmx = has(f, PSF(VMX));
	u32 a = 0;

	/*
	 * FILL_RETURN_BUFFER with RSB_VMEXIT, else RSB_VMEXIT_LITE: the
	 * second alternative wins when both are set, which Linux never does.
	 */
	if (has(f, PSF(RSB_VMEXIT_LITE)))
		a |= PSA(RSB_ONE);
	else if (has(f, PSF(RSB_VMEXIT)))
		a |= PSA(RSB_FILL);
	if (any(f, PSF(CLEAR_CPU_BUF) | PSF(CLEAR_CPU_BUF_VM)))
		a |= PSA(VERW);
	/*
	 * KVM flushes on every entry for l1tf=full, after some exits for the
	 * default l1tf=flush; plumb always does, and only with the MSR (no
	 * software fill of the cache).
	 */
	if (vmx && has(f, PSF(BUG_L1TF) | PSF(L1TF_FLUSH) | PSF(FLUSH_L1D)) &&
	    !has(f, PSF(SKIP_L1DFL)))
		a |= PSA(L1D_FLUSH);
	if (has(f, PSF(USE_IBPB)))
		a |= PSA(IBPB_VM);
	/*
	 * The guest never writes SPEC_CTRL (hidden, decision 98), so the
	 * value is the host's on exit; legacy IBRS still needs the write
	 * after leaving the less privileged guest (KVM: KERNEL_IBRS).
	 */
	if (has(f, PSF(MSR_SPEC_CTRL) | PSF(KERNEL_IBRS)))
		a |= PSA(HOST_SPEC_CTRL);
	if (!vmx && any(f, PSF(UNRET) | PSF(SRSO_ALIAS)))
		a |= PSA(UNTRAIN_RET);
	if (!vmx && any(f, PSF(ENTRY_IBPB) | PSF(IBPB_ON_VMEXIT)))
		a |= PSA(IBPB_EXIT);
	if (vmx && has(f, PSF(CLEAR_BHB_VMEXIT)))
		a |= PSA(CLEAR_BHB);
	if (has(f, PSF(IBPB_EXIT_TO_USER)))
		a |= PSA(IBPB_USER);
	return a;
}

/* Whether one bug the host has is covered by the actions (and the host). */
static bool spec_covered(unsigned int bug, u64 f, u32 a)
{
	bool vmx = has(f, PSF(VMX));
	bool rsb = a & (PSA(RSB_FILL) | PSA(RSB_ONE));

	switch (bug) {
	case PSF_BUG_SPECTRE_V2:
		/*
		 * Guest to host: the host's own mode (retpoline, IBRS, eIBRS)
		 * plus an RSB the guest did not fill, which Linux asks for
		 * (RSB_VMEXIT) in every mode but eIBRS. Between VMs: IBPB.
		 */
		return (a & PSA(RSB_FILL) ||
			(has(f, PSF(EIBRS_ON)) &&
			 (!has(f, PSF(BUG_EIBRS_PBRSB)) || rsb))) &&
		       (a & PSA(IBPB_VM));
	case PSF_BUG_EIBRS_PBRSB:
		return rsb;
	case PSF_BUG_RETBLEED:
		if (vmx)
			return any(f, PSF(KERNEL_IBRS) | PSF(CALL_DEPTH) |
				      PSF(EIBRS_ON));
		return a & (PSA(UNTRAIN_RET) | PSA(IBPB_EXIT)) ||
		       has(f, PSF(SRSO_SAFE_RET));
	case PSF_BUG_SRSO:
		/* SRSO_BP_SPEC_REDUCE (Zen 5) needs BP_CFG set by the VMM: open. */
		return vmx || a & (PSA(UNTRAIN_RET) | PSA(IBPB_EXIT)) ||
		       has(f, PSF(SRSO_SAFE_RET));
	case PSF_BUG_L1TF:
		return !vmx || a & PSA(L1D_FLUSH) || has(f, PSF(SKIP_L1DFL));
	case PSF_BUG_MDS:
	case PSF_BUG_RFDS:
	case PSF_BUG_TSA:
		return a & PSA(VERW);
	case PSF_BUG_TAA:
		return a & PSA(VERW) || !has(f, PSF(RTM));
	case PSF_BUG_MMIO:
		/* Needs a guest reading device MMIO: plumb assigns no device. */
		return true;
	case PSF_BUG_BHI:
		return a & PSA(CLEAR_BHB) || has(f, PSF(BHI_DIS_S)) || !vmx;
	case PSF_BUG_VMSCAPE:
		return a & PSA(IBPB_USER);
	case PSF_BUG_ITLB_MULTIHIT:
		/* EPT/NPT map 4 KiB pages only (mmu.c): no huge-page flip. */
		return true;
	default:
		return false;
	}
}

void plumb_spec_decide(u64 facts, struct plumb_spec_policy *p)
{
	unsigned int bug;

	p->actions = spec_actions(facts);
	p->open = 0;
	for (bug = PSF_BUG_SPECTRE_V2; bug <= PSF_BUG_ITLB_MULTIHIT; bug++)
		if ((facts & ((u64)1 << bug)) &&
		    !spec_covered(bug, facts, p->actions))
			p->open |= (u64)1 << bug;
}

bool plumb_spec_refuse(u64 facts, const struct plumb_spec_policy *p,
		       enum plumb_spec_accept accept)
{
	if (!p->open)
		return false;
	switch (accept) {
	case PLUMB_SPEC_ALLOW:
		return false;
	case PLUMB_SPEC_REFUSE:
		return true;
	default:
		return !has(facts, PSF(MITIGATIONS_OFF));
	}
}

int plumb_spec_parse_accept(const char *s, enum plumb_spec_accept *accept)
{
	if (!strcmp(s, "auto"))
		*accept = PLUMB_SPEC_AUTO;
	else if (!strcmp(s, "allow"))
		*accept = PLUMB_SPEC_ALLOW;
	else if (!strcmp(s, "refuse"))
		*accept = PLUMB_SPEC_REFUSE;
	else
		return -EINVAL;
	return 0;
}

/* The names of /sys/devices/system/cpu/vulnerabilities/, where there is one. */
static const char *const bug_names[PSF_NR] = {
	[PSF_BUG_SPECTRE_V2] = "spectre_v2",
	[PSF_BUG_EIBRS_PBRSB] = "pbrsb",
	[PSF_BUG_RETBLEED] = "retbleed",
	[PSF_BUG_SRSO] = "spec_rstack_overflow",
	[PSF_BUG_L1TF] = "l1tf",
	[PSF_BUG_MDS] = "mds",
	[PSF_BUG_TAA] = "tsx_async_abort",
	[PSF_BUG_MMIO] = "mmio_stale_data",
	[PSF_BUG_RFDS] = "reg_file_data_sampling",
	[PSF_BUG_TSA] = "tsa",
	[PSF_BUG_BHI] = "bhi",
	[PSF_BUG_VMSCAPE] = "vmscape",
	[PSF_BUG_ITLB_MULTIHIT] = "itlb_multihit",
};

static const char *const action_names[PSA_NR] = {
	[PSA_RSB_FILL] = "rsb-fill",
	[PSA_RSB_ONE] = "rsb-pbrsb",
	[PSA_VERW] = "verw",
	[PSA_L1D_FLUSH] = "l1d-flush",
	[PSA_IBPB_VM] = "ibpb-vm-switch",
	[PSA_HOST_SPEC_CTRL] = "host-spec-ctrl",
	[PSA_UNTRAIN_RET] = "untrain-ret",
	[PSA_IBPB_EXIT] = "ibpb-exit",
	[PSA_CLEAR_BHB] = "clear-bhb",
	[PSA_IBPB_USER] = "ibpb-to-user",
};

const char *plumb_spec_bug_name(unsigned int fact)
{
	return fact < PSF_NR ? bug_names[fact] : NULL;
}

const char *plumb_spec_action_name(unsigned int action)
{
	return action < PSA_NR ? action_names[action] : NULL;
}

/* Adds " name" (no space first), truncating; buf stays terminated. */
static void append(char *buf, size_t len, size_t *pos, const char *name)
{
	if (*pos && *pos + 1 < len)
		buf[(*pos)++] = ' ';
	while (*name && *pos + 1 < len)
		buf[(*pos)++] = *name++;
	buf[*pos] = '\0';
}

void plumb_spec_format_actions(u32 actions, char *buf, size_t len)
{
	size_t pos = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < PSA_NR; i++)
		if (actions & (1u << i))
			append(buf, len, &pos, action_names[i]);
	if (!pos)
		append(buf, len, &pos, "none");
}

void plumb_spec_format_bugs(u64 bugs, char *buf, size_t len)
{
	size_t pos = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < PSF_NR; i++)
		if ((bugs & ((u64)1 << i)) && bug_names[i])
			append(buf, len, &pos, bug_names[i]);
	if (!pos)
		append(buf, len, &pos, "none");
}
