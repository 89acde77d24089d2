/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which control-register, EFER and segment states userspace may give a
 * vCPU through PLUMB_SET_SREGS: pure code, built into plumb.ko and into
 * the unit tests (tests/unit/test_sregs.c).
 */
#ifndef PLUMB_SREGS_H
#define PLUMB_SREGS_H

#include "pure.h"
#include <linux/plumb.h>

/* What the vCPU's CPU offers (from its CPUID table and the backend). */
struct plumb_sregs_limits {
	u64 cr4_allowed;	/* CR4 bits the guest's CPUID offers */
	u64 efer_allowed;	/* EFER bits the backend keeps */
	unsigned int maxphyaddr;	/* CPUID.80000008H:EAX[7:0] */
};

/*
 * Could a CPU be in state @s? The architectural rules of Intel SDM Vol. 3A
 * 2.5 and 4.1 and AMD APM Vol. 2 3.1, and VMRUN's consistency checks (APM
 * Vol. 2 15.5.1), as KVM's kvm_is_valid_sregs() applies them: a state no
 * CPU can be in is refused before any entry sees it.
 */
bool plumb_sregs_valid(const struct plumb_sregs *s,
		       const struct plumb_sregs_limits *l);

#endif /* PLUMB_SREGS_H */
