/* SPDX-License-Identifier: GPL-2.0 */
/*
 * msr.c: the MSRs both vendors handle alike, and the guest-state MSRs
 * whose storage a backend names through struct plumb_msr_state.
 */
#ifndef PLUMB_MSR_H
#define PLUMB_MSR_H

#include <linux/types.h>

struct plumb_vcpu;

/* Where a backend keeps the MSRs that are part of the guest state. */
struct plumb_msr_state {
	u64 *star, *lstar, *cstar, *sfmask, *kernel_gs_base;
	u64 *fs_base, *gs_base;
	u64 *sysenter_cs, *sysenter_esp, *sysenter_eip;
	u64 *pat;
};

/* As the get_msr/set_msr ops: 0, -EINVAL (#GP) or -ENOENT. */
int plumb_msr_get(struct plumb_vcpu *vcpu, u32 index, u64 *data);
int plumb_msr_set(struct plumb_vcpu *vcpu, u32 index, u64 data);
int plumb_msr_set_apic_base_host(struct plumb_vcpu *vcpu, u64 data);
int plumb_msr_host(struct plumb_vcpu *vcpu, u32 index, u64 *data, bool set);

int plumb_msr_get_state(struct plumb_vcpu *vcpu,
			const struct plumb_msr_state *m, u32 index, u64 *data);
int plumb_msr_set_state(struct plumb_vcpu *vcpu,
			const struct plumb_msr_state *m, u32 index, u64 data);
bool plumb_pat_valid(u64 pat);
bool plumb_is_canonical(u64 v);

#endif /* PLUMB_MSR_H */
