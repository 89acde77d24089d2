/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpuid.c: the supported-CPUID table, and the guest's own table as policy
 * (its CPUID instruction, its reserved CR4 bits, its MAXPHYADDR).
 */
#ifndef PLUMB_CPUID_H
#define PLUMB_CPUID_H

#include <linux/types.h>
#include <linux/plumb.h>

#define PLUMB_MAX_CPUID_ENTRIES	256

struct plumb_vcpu;

int plumb_cpuid_init(void);
void plumb_cpuid_exit(void);
const struct plumb_cpuid_entry *plumb_supported_cpuid(u32 *nr);
long plumb_get_supported_cpuid(const struct plumb_cpuid *hdr,
			       struct plumb_cpuid __user *uc);

/* What the guest's own CPUID table allows. */
void plumb_cpuid_lookup(struct plumb_vcpu *vcpu, u32 fn, u32 idx, u32 *eax,
			u32 *ebx, u32 *ecx, u32 *edx);
u64 plumb_cr4_allowed(struct plumb_vcpu *vcpu);
bool plumb_cr4_valid(struct plumb_vcpu *vcpu, u64 old, u64 val, u64 cr3,
		     bool lma);
bool plumb_guest_cpuid_has(struct plumb_vcpu *vcpu, u32 fn, u32 idx, int reg,
			   int bit);
unsigned int plumb_guest_maxphyaddr(struct plumb_vcpu *vcpu);
#define PLUMB_GUEST_X2APIC(v)		plumb_guest_cpuid_has(v, 1, 0, 2, 21)
#define PLUMB_GUEST_TSC_ADJUST(v)	plumb_guest_cpuid_has(v, 7, 0, 1, 1)

#endif /* PLUMB_CPUID_H */
