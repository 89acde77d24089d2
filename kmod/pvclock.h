/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvclock.c: KVM's paravirtual clock MSRs.
 */
#ifndef PLUMB_PVCLOCK_H
#define PLUMB_PVCLOCK_H

#include <linux/types.h>

struct plumb_vcpu;

bool plumb_pvclock_available(void);
int plumb_pvclock_msr_get(struct plumb_vcpu *vcpu, u32 msr, u64 *data);
int plumb_pvclock_msr_set(struct plumb_vcpu *vcpu, u32 msr, u64 data);

#endif /* PLUMB_PVCLOCK_H */
