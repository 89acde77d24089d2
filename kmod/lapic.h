/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lapic.c: the in-kernel local APIC, the glue around the model of apic.c:
 * its timer, MSRs and MMIO page, interrupt delivery and injection.
 */
#ifndef PLUMB_LAPIC_H
#define PLUMB_LAPIC_H

#include <linux/types.h>
#include <linux/hrtimer.h>
#include <linux/spinlock.h>
#include <linux/plumb.h>

#include "apic.h"

struct plumb_vm;
struct plumb_vcpu;

/* The in-kernel local APIC (lapic.c around the model of apic.c). */
struct plumb_lapic {
	raw_spinlock_t lock;
	struct plumb_apic m;
	struct hrtimer timer;
	u64 tsc_deadline;		/* IA32_TSC_DEADLINE as written */
	u64 deadline_ns;		/* ... in CLOCK_MONOTONIC, 0: none */
	bool nmi_pending, init_pending, sipi_pending;
	int extint_vector;		/* from the PIC through LINT0, or -1 */
	unsigned long eoi_level[256 / BITS_PER_LONG];	/* level EOIs to report */
	u8 sipi_vector;
};

void plumb_lapic_init(struct plumb_vcpu *vcpu);
void plumb_lapic_destroy(struct plumb_vcpu *vcpu);
u64 plumb_lapic_get_base(struct plumb_vcpu *vcpu);
int plumb_lapic_set_base(struct plumb_vcpu *vcpu, u64 value);
bool plumb_lapic_owns(struct plumb_vcpu *vcpu, u64 gpa);
u64 plumb_lapic_mmio(struct plumb_vcpu *vcpu, u64 gpa, unsigned int size,
		     bool write, u64 value);
int plumb_lapic_msr_get(struct plumb_vcpu *vcpu, u32 msr, u64 *data);
int plumb_lapic_msr_set(struct plumb_vcpu *vcpu, u32 msr, u64 data);
int plumb_lapic_deliver(struct plumb_vm *vm, struct plumb_vcpu *src,
			 const struct plumb_apic_ipi *ipi);
bool plumb_lapic_has_interrupt(struct plumb_vcpu *vcpu);
bool plumb_lapic_wakes(struct plumb_vcpu *vcpu);
int plumb_lapic_take(struct plumb_vcpu *vcpu);
void plumb_lapic_inject(struct plumb_vcpu *vcpu);
void plumb_vcpu_kick(struct plumb_vcpu *vcpu);
int plumb_lapic_init_sipi(struct plumb_vcpu *vcpu);
u8 plumb_lapic_get_cr8(struct plumb_vcpu *vcpu);
void plumb_lapic_set_cr8(struct plumb_vcpu *vcpu, u8 cr8);
int plumb_lapic_signal_msi(struct plumb_vm *vm, const struct plumb_msi *msi);
int plumb_lapic_take_eoi(struct plumb_vcpu *vcpu);
int plumb_lapic_queue_extint(struct plumb_vcpu *vcpu, u8 vector);
void plumb_lapic_queue_nmi(struct plumb_vcpu *vcpu);
bool plumb_lapic_extint_ready(struct plumb_vcpu *vcpu);
void plumb_lapic_get_state(struct plumb_vcpu *vcpu, u32 *img);
void plumb_lapic_set_state(struct plumb_vcpu *vcpu, const u32 *img);

#endif /* PLUMB_LAPIC_H */
