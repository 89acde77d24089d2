/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMX architectural constants used by kmod/vmx/ (SDM Vol. 3D Appendix A).
 * Our own names, so the backend does not depend on KVM's private headers.
 */
#ifndef PLUMB_VMX_H
#define PLUMB_VMX_H

#include <linux/bits.h>

#define VMX_CPUID_1_ECX_VMX			BIT(5)

/* IA32_VMX_PROCBASED_CTLS */
#define CPU_BASED_ACTIVATE_SECONDARY_CONTROLS	BIT(31)
/* IA32_VMX_PROCBASED_CTLS2 */
#define SECONDARY_EXEC_ENABLE_EPT		BIT(1)
#define SECONDARY_EXEC_ENABLE_VPID		BIT(5)
#define SECONDARY_EXEC_UNRESTRICTED_GUEST	BIT(7)
/* IA32_VMX_PINBASED_CTLS */
#define PIN_BASED_VMX_PREEMPTION_TIMER		BIT(6)
/* IA32_VMX_EPT_VPID_CAP */
#define VMX_EPT_PAGE_WALK_4_BIT			BIT_ULL(6)
#define VMX_EPTP_WB_BIT				BIT_ULL(14)

#endif /* PLUMB_VMX_H */
