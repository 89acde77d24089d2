/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC's register model (Intel SDM Vol. 3A chapter 11, "Advanced
 * Programmable Interrupt Controller"; AMD APM Vol. 2 chapter 16): xAPIC
 * registers by MMIO offset, x2APIC registers by MSR, the IRR/ISR/TMR
 * vectors and the processor priority, the ICR decoded into an IPI request,
 * destination matching, and the timer's arithmetic.
 *
 * Pure code like decode.c: no locking, no allocation, no clock. Time comes
 * in as nanoseconds from the caller, and everything that must happen
 * outside the model (arm an hrtimer, send an IPI to other vCPUs, tell the
 * IOAPIC about the EOI of a level-triggered vector) comes back as flags of
 * struct plumb_apic_effects. The same apic.c builds into plumb.ko and into
 * the userspace unit tests (tests/unit/test_apic.c).
 *
 * The timer counts at 1 GHz before the divider (one tick per nanosecond),
 * as KVM's does; the TSC-deadline timer is the caller's (it knows the TSC).
 */
#ifndef PLUMB_APIC_H
#define PLUMB_APIC_H

#include "pure.h"

/* xAPIC register offsets in the 4 KiB page at the APIC base. */
#define PAPIC_REG_ID		0x020
#define PAPIC_REG_VERSION	0x030
#define PAPIC_REG_TPR		0x080
#define PAPIC_REG_APR		0x090
#define PAPIC_REG_PPR		0x0a0
#define PAPIC_REG_EOI		0x0b0
#define PAPIC_REG_RRD		0x0c0
#define PAPIC_REG_LDR		0x0d0
#define PAPIC_REG_DFR		0x0e0
#define PAPIC_REG_SVR		0x0f0
#define PAPIC_REG_ISR		0x100	/* 8 registers, 0x100-0x170 */
#define PAPIC_REG_TMR		0x180
#define PAPIC_REG_IRR		0x200
#define PAPIC_REG_ESR		0x280
#define PAPIC_REG_LVT_CMCI	0x2f0
#define PAPIC_REG_ICR_LO		0x300
#define PAPIC_REG_ICR_HI		0x310
#define PAPIC_REG_LVT_TIMER	0x320
#define PAPIC_REG_LVT_THERMAL	0x330
#define PAPIC_REG_LVT_PERF	0x340
#define PAPIC_REG_LVT_LINT0	0x350
#define PAPIC_REG_LVT_LINT1	0x360
#define PAPIC_REG_LVT_ERROR	0x370
#define PAPIC_REG_TIMER_ICR	0x380	/* initial count */
#define PAPIC_REG_TIMER_CCR	0x390	/* current count */
#define PAPIC_REG_TIMER_DCR	0x3e0	/* divide configuration */
#define PAPIC_REG_SELF_IPI	0x3f0	/* x2APIC only */
#define PAPIC_REG_END		0x400

/* x2APIC MSRs: 0x800 + offset / 16. */
#define PAPIC_X2APIC_MSR_BASE	0x800
#define PAPIC_X2APIC_MSR_END	0x8ff
#define PAPIC_MSR_TSC_DEADLINE	0x6e0

/* IA32_APIC_BASE */
#define PAPIC_BASE_BSP		(1ULL << 8)
#define PAPIC_BASE_EXTD		(1ULL << 10)
#define PAPIC_BASE_EN		(1ULL << 11)
#define PAPIC_DEFAULT_BASE	0xfee00000ULL

/* LVT and ICR fields */
#define PAPIC_VECTOR_MASK	0xffu
#define PAPIC_LVT_MASKED		(1u << 16)
#define PAPIC_LVT_LEVEL		(1u << 15)
#define PAPIC_LVT_REMOTE_IRR	(1u << 14)
#define PAPIC_TIMER_ONESHOT	(0u << 17)
#define PAPIC_TIMER_PERIODIC	(1u << 17)
#define PAPIC_TIMER_TSC_DEADLINE	(2u << 17)
#define PAPIC_TIMER_MODE_MASK	(3u << 17)
#define PAPIC_SVR_ENABLE		(1u << 8)

#define PAPIC_DM_FIXED		0
#define PAPIC_DM_LOWEST		1
#define PAPIC_DM_SMI		2
#define PAPIC_DM_NMI		4
#define PAPIC_DM_INIT		5
#define PAPIC_DM_STARTUP		6
#define PAPIC_DM_EXTINT		7

#define PAPIC_SH_NONE		0
#define PAPIC_SH_SELF		1
#define PAPIC_SH_ALL		2
#define PAPIC_SH_OTHERS		3

#define PAPIC_NR_LVT		6	/* CMCI not offered: version says 6 */
#define PAPIC_MIN_PERIOD_NS	200000	/* periodic timer: 5 kHz at most */

struct plumb_apic {
	u64 base;		/* IA32_APIC_BASE */
	u32 vcpu_id;		/* the x2APIC ID; the xAPIC ID at reset */
	u32 regs[PAPIC_REG_END / 16];	/* one u32 per 16-byte register */
	/* Timer: oneshot/periodic, in 1 GHz ticks (ns) from the caller. */
	u64 timer_start;	/* when the current count was loaded */
	u64 timer_period;	/* ns per full count (initial * divide) */
	bool timer_armed;
};

/* An IPI the ICR asked for: the caller delivers it to the matching vCPUs. */
struct plumb_apic_ipi {
	u32 dest;		/* xAPIC: 8 bits; x2APIC: 32 */
	u8 vector;
	u8 mode;		/* PAPIC_DM_* */
	u8 shorthand;		/* PAPIC_SH_* */
	bool logical;
	bool level;		/* assert (INIT: deassert if clear) */
	bool trigger_level;
};

/* What a register access asks of the caller, besides its value. */
#define PAPIC_FX_TIMER		(1u << 0)	/* re-arm from plumb_apic_timer_next() */
#define PAPIC_FX_IPI		(1u << 1)	/* deliver .ipi */
#define PAPIC_FX_EOI_LEVEL	(1u << 2)	/* level EOI of .eoi_vector */
#define PAPIC_FX_EVAL		(1u << 3)	/* interrupt state changed */
#define PAPIC_FX_MODE		(1u << 4)	/* xAPIC/x2APIC/disabled changed */

struct plumb_apic_effects {
	u32 flags;
	struct plumb_apic_ipi ipi;
	u8 eoi_vector;
};

void plumb_apic_reset(struct plumb_apic *a, u32 vcpu_id, bool bsp);
bool plumb_apic_hw_enabled(const struct plumb_apic *a);
bool plumb_apic_x2apic(const struct plumb_apic *a);
bool plumb_apic_sw_enabled(const struct plumb_apic *a);

/* IA32_APIC_BASE write: -EINVAL (#GP) for an invalid value or transition. */
int plumb_apic_set_base(struct plumb_apic *a, u64 value,
			struct plumb_apic_effects *fx);

/* xAPIC MMIO at @offset (aligned 4-byte accesses; others read as 0). */
u32 plumb_apic_mmio_read(struct plumb_apic *a, u32 offset, u64 now);
void plumb_apic_mmio_write(struct plumb_apic *a, u32 offset, u32 value,
			   u64 now, struct plumb_apic_effects *fx);

/* x2APIC MSRs 0x800-0x8ff: -EINVAL means #GP. */
int plumb_apic_msr_read(struct plumb_apic *a, u32 msr, u64 *value, u64 now);
int plumb_apic_msr_write(struct plumb_apic *a, u32 msr, u64 value, u64 now,
			 struct plumb_apic_effects *fx);

/* Interrupts */
bool plumb_apic_accept(struct plumb_apic *a, u8 vector, bool level);
int plumb_apic_pending(struct plumb_apic *a);	/* vector, or -1 */
void plumb_apic_ack(struct plumb_apic *a, u8 vector);	/* IRR -> ISR */
u8 plumb_apic_ppr(const struct plumb_apic *a);

/* Does @a take an IPI from @src (NULL: from the IOAPIC/MSI) for @ipi? */
bool plumb_apic_match(const struct plumb_apic *a, const struct plumb_apic *src,
		      const struct plumb_apic_ipi *ipi);

/* Does LINT0 take the PIC's INTR (ExtINT mode, unmasked; or APIC off)? */
bool plumb_apic_accepts_extint(const struct plumb_apic *a);

/* Timer (oneshot/periodic): the next expiry in ns, or 0 for none. */
u64 plumb_apic_timer_next(const struct plumb_apic *a);
/* The timer fired at @now: raise its vector, reload if periodic. */
void plumb_apic_timer_fire(struct plumb_apic *a, u64 now,
			   struct plumb_apic_effects *fx);
u32 plumb_apic_timer_mode(const struct plumb_apic *a);
/* Raise a local vector (LINT0/1, the TSC-deadline timer) unless masked. */
void plumb_apic_lvt_fire(struct plumb_apic *a, u32 lvt_offset,
			 struct plumb_apic_effects *fx);

/* The register image, PAPIC_REG_END / 16 u32s (snapshots, KVM's LAPIC). */
void plumb_apic_get_state(const struct plumb_apic *a, u32 *img, u64 now);
void plumb_apic_set_state(struct plumb_apic *a, const u32 *img, u64 now,
			  struct plumb_apic_effects *fx);

#endif /* PLUMB_APIC_H */
