// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC's register model: see apic.h. Section numbers are the
 * Intel SDM Vol. 3A's (chapter 11, "Advanced Programmable Interrupt
 * Controller (APIC)").
 */
#include "apic.h"

#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#define REG(a, off)	((a)->regs[(off) >> 4])

/* Writable bits of each LVT (11.5.1, Figure 11-8). */
#define LVT_TIMER_BITS	(PAPIC_VECTOR_MASK | PAPIC_LVT_MASKED | PAPIC_TIMER_MODE_MASK)
#define LVT_LINT_BITS	(0x7ffu | (1u << 13) | PAPIC_LVT_LEVEL | PAPIC_LVT_MASKED)
#define LVT_OTHER_BITS	(0x7ffu | PAPIC_LVT_MASKED)
#define LVT_ERROR_BITS	(PAPIC_VECTOR_MASK | PAPIC_LVT_MASKED)
#define ICR_LO_BITS	0x000ccfffu	/* delivery status (bit 12) reads 0 */

static const u32 lvt_regs[PAPIC_NR_LVT] = {
	PAPIC_REG_LVT_TIMER, PAPIC_REG_LVT_THERMAL, PAPIC_REG_LVT_PERF,
	PAPIC_REG_LVT_LINT0, PAPIC_REG_LVT_LINT1, PAPIC_REG_LVT_ERROR,
};

bool plumb_apic_hw_enabled(const struct plumb_apic *a)
{
	return a->base & PAPIC_BASE_EN;
}

bool plumb_apic_x2apic(const struct plumb_apic *a)
{
	return (a->base & (PAPIC_BASE_EN | PAPIC_BASE_EXTD)) ==
	       (PAPIC_BASE_EN | PAPIC_BASE_EXTD);
}

bool plumb_apic_sw_enabled(const struct plumb_apic *a)
{
	return REG(a, PAPIC_REG_SVR) & PAPIC_SVR_ENABLE;
}

/* 256-bit vectors (IRR, ISR, TMR) as 8 registers of 32 bits. */
static bool vec_test(const struct plumb_apic *a, u32 reg, u8 v)
{
	return REG(a, reg + (v / 32) * 16) & (1u << (v % 32));
}

static void vec_set(struct plumb_apic *a, u32 reg, u8 v, bool on)
{
	u32 *r = &REG(a, reg + (v / 32) * 16);

	if (on)
		*r |= 1u << (v % 32);
	else
		*r &= ~(1u << (v % 32));
}

static int vec_highest(const struct plumb_apic *a, u32 reg)
{
	int i, b;

	for (i = 7; i >= 0; i--) {
		u32 r = REG(a, reg + i * 16);

		if (!r)
			continue;
		for (b = 31; b >= 0; b--)
			if (r & (1u << b))
				return i * 32 + b;
	}
	return -1;
}

/* Divide configuration: bits 0, 1, 3; 0b1011 means 1 (11.5.4, Fig. 11-10). */
static u32 timer_divide(const struct plumb_apic *a)
{
	u32 dcr = REG(a, PAPIC_REG_TIMER_DCR);
	u32 v = (dcr & 3) | ((dcr & 8) >> 1);

	return 1u << ((v + 1) & 7);
}

u32 plumb_apic_timer_mode(const struct plumb_apic *a)
{
	return REG(a, PAPIC_REG_LVT_TIMER) & PAPIC_TIMER_MODE_MASK;
}

static void timer_stop(struct plumb_apic *a)
{
	a->timer_armed = false;
	a->timer_start = 0;
	a->timer_period = 0;
}

static void mask_all_lvts(struct plumb_apic *a)
{
	int i;

	for (i = 0; i < PAPIC_NR_LVT; i++)
		REG(a, lvt_regs[i]) |= PAPIC_LVT_MASKED;
}

/* Power-up / INIT state (11.4.7.1), keeping IA32_APIC_BASE's BSP bit. */
static void regs_reset(struct plumb_apic *a)
{
	memset(a->regs, 0, sizeof(a->regs));
	REG(a, PAPIC_REG_ID) = a->vcpu_id << 24;
	/* Version 0x14 (integrated APIC), highest LVT index in 23:16. */
	REG(a, PAPIC_REG_VERSION) = 0x14 | ((PAPIC_NR_LVT - 1) << 16);
	REG(a, PAPIC_REG_DFR) = 0xffffffff;
	REG(a, PAPIC_REG_SVR) = 0xff;
	mask_all_lvts(a);
	timer_stop(a);
}

void plumb_apic_reset(struct plumb_apic *a, u32 vcpu_id, bool bsp)
{
	a->vcpu_id = vcpu_id;
	a->base = PAPIC_DEFAULT_BASE | PAPIC_BASE_EN | (bsp ? PAPIC_BASE_BSP : 0);
	regs_reset(a);
}

/* 11.12.10.2: the x2APIC logical ID is derived from the x2APIC ID. */
static u32 x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

/* Table 11-5: valid IA32_APIC_BASE transitions. */
int plumb_apic_set_base(struct plumb_apic *a, u64 value,
			struct plumb_apic_effects *fx)
{
	const u64 addr_bits = 0x000ffffffffff000ULL;
	bool was_on = plumb_apic_hw_enabled(a), was_x2 = plumb_apic_x2apic(a);
	bool on = value & PAPIC_BASE_EN, x2 = on && (value & PAPIC_BASE_EXTD);

	if (value & ~(addr_bits | PAPIC_BASE_BSP | PAPIC_BASE_EXTD | PAPIC_BASE_EN))
		return -EINVAL;
	if ((value & PAPIC_BASE_EXTD) && !on)
		return -EINVAL;			/* EXTD without EN */
	if (was_x2 && on && !x2)
		return -EINVAL;			/* x2APIC -> xAPIC */
	if (!was_on && x2)
		return -EINVAL;			/* disabled -> x2APIC */

	/* The BSP flag is the hardware's, not the guest's. */
	a->base = (value & ~PAPIC_BASE_BSP) | (a->base & PAPIC_BASE_BSP);
	if (was_on && !on) {
		regs_reset(a);
		fx->flags |= PAPIC_FX_MODE | PAPIC_FX_TIMER | PAPIC_FX_EVAL;
	} else if (!was_on && on) {
		regs_reset(a);
		fx->flags |= PAPIC_FX_MODE | PAPIC_FX_EVAL;
	} else if (!was_x2 && x2) {
		REG(a, PAPIC_REG_ID) = a->vcpu_id;
		REG(a, PAPIC_REG_LDR) = x2apic_ldr(a->vcpu_id);
		fx->flags |= PAPIC_FX_MODE;
	}
	return 0;
}

u8 plumb_apic_ppr(const struct plumb_apic *a)
{
	u32 tpr = REG(a, PAPIC_REG_TPR) & 0xff;
	int isrv = vec_highest(a, PAPIC_REG_ISR);

	/* 11.8.3.1: the higher of TPR and the in-service class. */
	if (isrv < 0 || (tpr & 0xf0) >= ((u32)isrv & 0xf0))
		return tpr;
	return isrv & 0xf0;
}

bool plumb_apic_accept(struct plumb_apic *a, u8 vector, bool level)
{
	/* A disabled APIC takes no fixed interrupts; 0-15 are illegal. */
	if (!plumb_apic_hw_enabled(a) || !plumb_apic_sw_enabled(a) ||
	    vector < 16)
		return false;
	vec_set(a, PAPIC_REG_IRR, vector, true);
	vec_set(a, PAPIC_REG_TMR, vector, level);
	return true;
}

int plumb_apic_pending(struct plumb_apic *a)
{
	int v;

	if (!plumb_apic_hw_enabled(a) || !plumb_apic_sw_enabled(a))
		return -1;
	v = vec_highest(a, PAPIC_REG_IRR);
	/* 11.8.3: only a class above the processor priority is delivered. */
	if (v < 0 || ((u32)v & 0xf0) <= (plumb_apic_ppr(a) & 0xf0u))
		return -1;
	return v;
}

void plumb_apic_ack(struct plumb_apic *a, u8 vector)
{
	vec_set(a, PAPIC_REG_IRR, vector, false);
	vec_set(a, PAPIC_REG_ISR, vector, true);
}

static void eoi(struct plumb_apic *a, struct plumb_apic_effects *fx)
{
	int v = vec_highest(a, PAPIC_REG_ISR);

	if (v < 0)
		return;
	vec_set(a, PAPIC_REG_ISR, v, false);
	if (vec_test(a, PAPIC_REG_TMR, v)) {
		fx->flags |= PAPIC_FX_EOI_LEVEL;
		fx->eoi_vector = v;
	}
	fx->flags |= PAPIC_FX_EVAL;
}

static u32 timer_current(const struct plumb_apic *a, u64 now)
{
	u64 elapsed;

	if (!a->timer_armed || !a->timer_period || now < a->timer_start)
		return a->timer_armed ? REG(a, PAPIC_REG_TIMER_ICR) : 0;
	elapsed = now - a->timer_start;
	if (plumb_apic_timer_mode(a) == PAPIC_TIMER_PERIODIC)
		elapsed %= a->timer_period;
	if (elapsed >= a->timer_period)
		return 0;
	return (a->timer_period - elapsed) / timer_divide(a);
}

/*
 * The count times the divider, in ns; a periodic timer no faster than
 * PAPIC_MIN_PERIOD_NS (as KVM's min_timer_period_us), or a guest could
 * keep a host CPU in its timer interrupt.
 */
static void timer_set_period(struct plumb_apic *a)
{
	a->timer_period = (u64)REG(a, PAPIC_REG_TIMER_ICR) * timer_divide(a);
	if (plumb_apic_timer_mode(a) == PAPIC_TIMER_PERIODIC &&
	    a->timer_period < PAPIC_MIN_PERIOD_NS)
		a->timer_period = PAPIC_MIN_PERIOD_NS;
}

static void timer_load(struct plumb_apic *a, u64 now)
{
	u32 count = REG(a, PAPIC_REG_TIMER_ICR);

	if (!count || plumb_apic_timer_mode(a) == PAPIC_TIMER_TSC_DEADLINE) {
		timer_stop(a);
		return;
	}
	a->timer_start = now;
	timer_set_period(a);
	a->timer_armed = true;
}

u64 plumb_apic_timer_next(const struct plumb_apic *a)
{
	if (!a->timer_armed)
		return 0;
	return a->timer_start + a->timer_period;
}

bool plumb_apic_accepts_extint(const struct plumb_apic *a)
{
	u32 lvt0 = REG(a, PAPIC_REG_LVT_LINT0);

	if (!plumb_apic_hw_enabled(a))
		return true;	/* 11.4.3: LINT0 is the processor's INTR pin */
	return !(lvt0 & PAPIC_LVT_MASKED) &&
	       ((lvt0 >> 8) & 7) == PAPIC_DM_EXTINT;
}

void plumb_apic_lvt_fire(struct plumb_apic *a, u32 lvt_offset,
			 struct plumb_apic_effects *fx)
{
	u32 lvt = REG(a, lvt_offset);

	if (lvt & PAPIC_LVT_MASKED)
		return;
	/* The timer's and the error LVT have no delivery mode: fixed. */
	if (lvt_offset != PAPIC_REG_LVT_TIMER && lvt_offset != PAPIC_REG_LVT_ERROR &&
	    ((lvt >> 8) & 7) != PAPIC_DM_FIXED)
		return;		/* NMI/ExtINT/SMI through LVTs: not modelled */
	if (plumb_apic_accept(a, lvt & PAPIC_VECTOR_MASK,
			      (lvt_offset == PAPIC_REG_LVT_LINT0 ||
			       lvt_offset == PAPIC_REG_LVT_LINT1) &&
			      (lvt & PAPIC_LVT_LEVEL)))
		fx->flags |= PAPIC_FX_EVAL;
}

void plumb_apic_timer_fire(struct plumb_apic *a, u64 now,
			   struct plumb_apic_effects *fx)
{
	if (!a->timer_armed)
		return;
	plumb_apic_lvt_fire(a, PAPIC_REG_LVT_TIMER, fx);
	if (plumb_apic_timer_mode(a) == PAPIC_TIMER_PERIODIC) {
		a->timer_start += a->timer_period;
		/* Far behind (the host was away): restart from now, no storm. */
		if (a->timer_start + a->timer_period < now)
			a->timer_start = now;
		fx->flags |= PAPIC_FX_TIMER;
	} else {
		a->timer_armed = false;
	}
}

static void send_ipi(struct plumb_apic *a, u32 dest,
		     struct plumb_apic_effects *fx)
{
	u32 lo = REG(a, PAPIC_REG_ICR_LO);
	struct plumb_apic_ipi *ipi = &fx->ipi;

	ipi->dest = dest;
	ipi->vector = lo & PAPIC_VECTOR_MASK;
	ipi->mode = (lo >> 8) & 7;
	ipi->logical = lo & (1u << 11);
	ipi->level = lo & (1u << 14);
	ipi->trigger_level = lo & (1u << 15);
	ipi->shorthand = (lo >> 18) & 3;
	/* 11.6.1: an INIT level de-assert only resets arbitration IDs. */
	if (ipi->mode == PAPIC_DM_INIT && !ipi->level && ipi->trigger_level)
		return;
	fx->flags |= PAPIC_FX_IPI;
}

static void write_lvt(struct plumb_apic *a, u32 off, u32 value, u32 bits,
		      u64 now, struct plumb_apic_effects *fx)
{
	u32 *r = &REG(a, off);
	u32 keep = *r & PAPIC_LVT_REMOTE_IRR & ~bits;

	value &= bits;
	if (!plumb_apic_sw_enabled(a))
		value |= PAPIC_LVT_MASKED;	/* 11.4.7.2 */
	if (off == PAPIC_REG_LVT_TIMER &&
	    ((value & PAPIC_TIMER_MODE_MASK) == PAPIC_TIMER_TSC_DEADLINE) !=
	    ((*r & PAPIC_TIMER_MODE_MASK) == PAPIC_TIMER_TSC_DEADLINE)) {
		/*
		 * Into or out of TSC-deadline mode the timer starts disarmed,
		 * the count cleared (11.5.4.1); between one-shot and periodic
		 * the count goes on from where it is (as KVM's).
		 */
		*r = value | keep;
		REG(a, PAPIC_REG_TIMER_ICR) = 0;
		timer_stop(a);
		fx->flags |= PAPIC_FX_TIMER;
		return;
	}
	*r = value | keep;
	if (off == PAPIC_REG_LVT_TIMER && a->timer_armed) {
		timer_set_period(a);	/* a periodic one has a floor */
		fx->flags |= PAPIC_FX_TIMER;
	}
	(void)now;
}

/* Register writes common to xAPIC MMIO and x2APIC MSRs. */
static void reg_write(struct plumb_apic *a, u32 off, u32 value, u64 now,
		      struct plumb_apic_effects *fx)
{
	switch (off) {
	case PAPIC_REG_TPR:
		REG(a, off) = value & 0xff;
		fx->flags |= PAPIC_FX_EVAL;
		break;
	case PAPIC_REG_EOI:
		eoi(a, fx);
		break;
	case PAPIC_REG_SVR:
		REG(a, off) = value & 0x3ff;	/* vector, enable, focus */
		if (!(value & PAPIC_SVR_ENABLE))
			mask_all_lvts(a);
		fx->flags |= PAPIC_FX_EVAL;
		break;
	case PAPIC_REG_ESR:
		REG(a, off) = 0;	/* no error is ever latched */
		break;
	case PAPIC_REG_LVT_TIMER:
		write_lvt(a, off, value, LVT_TIMER_BITS, now, fx);
		break;
	case PAPIC_REG_LVT_THERMAL:
	case PAPIC_REG_LVT_PERF:
		write_lvt(a, off, value, LVT_OTHER_BITS, now, fx);
		break;
	case PAPIC_REG_LVT_LINT0:
	case PAPIC_REG_LVT_LINT1:
		write_lvt(a, off, value, LVT_LINT_BITS, now, fx);
		break;
	case PAPIC_REG_LVT_ERROR:
		write_lvt(a, off, value, LVT_ERROR_BITS, now, fx);
		break;
	case PAPIC_REG_TIMER_ICR:
		if (plumb_apic_timer_mode(a) == PAPIC_TIMER_TSC_DEADLINE)
			break;		/* ignored in TSC-deadline mode */
		REG(a, off) = value;
		timer_load(a, now);
		fx->flags |= PAPIC_FX_TIMER;
		break;
	case PAPIC_REG_TIMER_DCR:
		REG(a, off) = value & 0xb;
		if (a->timer_armed)
			timer_set_period(a);
		fx->flags |= PAPIC_FX_TIMER;
		break;
	default:
		break;
	}
}

static bool xapic_readable(u32 off)
{
	switch (off) {
	case PAPIC_REG_ID: case PAPIC_REG_VERSION: case PAPIC_REG_TPR:
	case PAPIC_REG_APR: case PAPIC_REG_PPR: case PAPIC_REG_RRD:
	case PAPIC_REG_LDR: case PAPIC_REG_DFR: case PAPIC_REG_SVR:
	case PAPIC_REG_ESR: case PAPIC_REG_ICR_LO: case PAPIC_REG_ICR_HI:
	case PAPIC_REG_LVT_TIMER: case PAPIC_REG_LVT_THERMAL:
	case PAPIC_REG_LVT_PERF: case PAPIC_REG_LVT_LINT0:
	case PAPIC_REG_LVT_LINT1: case PAPIC_REG_LVT_ERROR:
	case PAPIC_REG_TIMER_ICR: case PAPIC_REG_TIMER_CCR:
	case PAPIC_REG_TIMER_DCR:
		return true;
	default:
		return off >= PAPIC_REG_ISR && off < PAPIC_REG_ESR;
	}
}

static u32 reg_read(struct plumb_apic *a, u32 off, u64 now)
{
	switch (off) {
	case PAPIC_REG_PPR:
		return plumb_apic_ppr(a);
	case PAPIC_REG_TIMER_CCR:
		return timer_current(a, now);
	case PAPIC_REG_APR:
	case PAPIC_REG_RRD:
		return 0;
	default:
		return REG(a, off);
	}
}

u32 plumb_apic_mmio_read(struct plumb_apic *a, u32 offset, u64 now)
{
	if (!plumb_apic_hw_enabled(a) || plumb_apic_x2apic(a) ||
	    (offset & 0xf) || offset >= PAPIC_REG_END || !xapic_readable(offset))
		return 0;
	return reg_read(a, offset, now);
}

void plumb_apic_mmio_write(struct plumb_apic *a, u32 offset, u32 value,
			   u64 now, struct plumb_apic_effects *fx)
{
	if (!plumb_apic_hw_enabled(a) || plumb_apic_x2apic(a) ||
	    (offset & 0xf) || offset >= PAPIC_REG_END)
		return;
	switch (offset) {
	case PAPIC_REG_ID:
		REG(a, offset) = value & 0xff000000;
		break;
	case PAPIC_REG_LDR:
		REG(a, offset) = value & 0xff000000;
		break;
	case PAPIC_REG_DFR:
		REG(a, offset) = (value & 0xf0000000) | 0x0fffffff;
		break;
	case PAPIC_REG_ICR_HI:
		REG(a, offset) = value & 0xff000000;
		break;
	case PAPIC_REG_ICR_LO:
		REG(a, offset) = value & ICR_LO_BITS & ~(1u << 12);
		send_ipi(a, REG(a, PAPIC_REG_ICR_HI) >> 24, fx);
		break;
	default:
		reg_write(a, offset, value, now, fx);
		break;
	}
}

/* x2APIC MSRs (11.12.1.2, Table 11-6); anything else is #GP. */
int plumb_apic_msr_read(struct plumb_apic *a, u32 msr, u64 *value, u64 now)
{
	u32 off = (msr - PAPIC_X2APIC_MSR_BASE) << 4;

	if (!plumb_apic_x2apic(a) || msr < PAPIC_X2APIC_MSR_BASE ||
	    msr > PAPIC_X2APIC_MSR_END)
		return -EINVAL;
	switch (off) {
	case PAPIC_REG_ICR_LO:
		*value = ((u64)REG(a, PAPIC_REG_ICR_HI) << 32) |
			 REG(a, PAPIC_REG_ICR_LO);
		return 0;
	case PAPIC_REG_APR: case PAPIC_REG_RRD: case PAPIC_REG_DFR:
	case PAPIC_REG_ICR_HI:
		return -EINVAL;
	default:
		if (!xapic_readable(off))
			return -EINVAL;
		*value = reg_read(a, off, now);
		return 0;
	}
}

int plumb_apic_msr_write(struct plumb_apic *a, u32 msr, u64 value, u64 now,
			 struct plumb_apic_effects *fx)
{
	u32 off = (msr - PAPIC_X2APIC_MSR_BASE) << 4;

	if (!plumb_apic_x2apic(a) || msr < PAPIC_X2APIC_MSR_BASE ||
	    msr > PAPIC_X2APIC_MSR_END)
		return -EINVAL;
	if (off == PAPIC_REG_ICR_LO) {
		REG(a, PAPIC_REG_ICR_HI) = value >> 32;
		REG(a, PAPIC_REG_ICR_LO) = (u32)value & ICR_LO_BITS & ~(1u << 12);
		send_ipi(a, value >> 32, fx);
		return 0;
	}
	if (value >> 32)
		return -EINVAL;
	switch (off) {
	case PAPIC_REG_TPR:
		if (value & ~0xffULL)
			return -EINVAL;
		break;
	case PAPIC_REG_EOI:
	case PAPIC_REG_ESR:
		if (value)
			return -EINVAL;
		break;
	case PAPIC_REG_SELF_IPI:
		if (value & ~0xffULL)
			return -EINVAL;
		if (plumb_apic_accept(a, value, false))
			fx->flags |= PAPIC_FX_EVAL;
		return 0;
	case PAPIC_REG_SVR:
	case PAPIC_REG_LVT_TIMER: case PAPIC_REG_LVT_THERMAL:
	case PAPIC_REG_LVT_PERF: case PAPIC_REG_LVT_LINT0:
	case PAPIC_REG_LVT_LINT1: case PAPIC_REG_LVT_ERROR:
	case PAPIC_REG_TIMER_ICR: case PAPIC_REG_TIMER_DCR:
		break;
	default:
		return -EINVAL;		/* read-only or reserved */
	}
	reg_write(a, off, value, now, fx);
	return 0;
}

/* 11.6.2 destination modes; 11.12.10 for x2APIC. */
bool plumb_apic_match(const struct plumb_apic *a, const struct plumb_apic *src,
		      const struct plumb_apic_ipi *ipi)
{
	u32 ldr = REG(a, PAPIC_REG_LDR);

	if (!plumb_apic_hw_enabled(a))
		return false;
	switch (ipi->shorthand) {
	case PAPIC_SH_SELF:
		return a == src;
	case PAPIC_SH_ALL:
		return true;
	case PAPIC_SH_OTHERS:
		return a != src;
	default:
		break;
	}
	if (plumb_apic_x2apic(a)) {
		if (ipi->dest == 0xffffffff)
			return true;
		if (!ipi->logical)
			return ipi->dest == a->vcpu_id;
		return (ipi->dest >> 16) == (ldr >> 16) &&
		       (ipi->dest & ldr & 0xffff);
	} else {
		u8 dest = ipi->dest & 0xff, lid = ldr >> 24;

		if (dest == 0xff)
			return true;
		if (!ipi->logical)
			return dest == (REG(a, PAPIC_REG_ID) >> 24);
		if ((REG(a, PAPIC_REG_DFR) >> 28) == 0xf)	/* flat */
			return dest & lid;
		/* cluster: 4-bit cluster, 4-bit member mask */
		return (dest >> 4) == (lid >> 4) && (dest & lid & 0xf);
	}
}

/*
 * The register image: one u32 per 16-byte register, as regs[] (and as
 * the 1 KiB page of KVM's kvm_lapic_state, each register at its offset).
 * The ID in its xAPIC form (ID << 24) in either mode; PPR and the timer's
 * current count as a read at @now gives them.
 */
void plumb_apic_get_state(const struct plumb_apic *a, u32 *img, u64 now)
{
	memcpy(img, a->regs, sizeof(a->regs));
	img[PAPIC_REG_ID >> 4] = plumb_apic_x2apic(a) ? a->vcpu_id << 24 :
				 REG(a, PAPIC_REG_ID);
	img[PAPIC_REG_PPR >> 4] = plumb_apic_ppr(a);
	img[PAPIC_REG_TIMER_CCR >> 4] = timer_current(a, now);
}

/*
 * Load an image taken by plumb_apic_get_state() (or made by userspace):
 * each register through the rules of a guest write, so that no image
 * gives a state the guest could not reach, but for one the reset gives:
 * LVTs unmasked while SVR disables the APIC (LINT0 in virtual wire at
 * reset, as lapic.c and KVM set it up, and as QEMU's reset image has
 * it). The vectors and the ICR as they are, sending nothing; the timer
 * restarts from its initial count at @now. The version and the x2APIC ID
 * and LDR stay ours; the mode is IA32_APIC_BASE's (plumb_apic_set_base()).
 */
void plumb_apic_set_state(struct plumb_apic *a, const u32 *img, u64 now,
			  struct plumb_apic_effects *fx)
{
	static const u32 ordered[] = {
		PAPIC_REG_TPR, PAPIC_REG_TIMER_DCR,
		PAPIC_REG_LVT_TIMER, PAPIC_REG_LVT_THERMAL, PAPIC_REG_LVT_PERF,
		PAPIC_REG_LVT_LINT0, PAPIC_REG_LVT_LINT1, PAPIC_REG_LVT_ERROR,
		PAPIC_REG_TIMER_ICR,
	};
	unsigned int i;
	u32 id = a->vcpu_id;

	regs_reset(a);
	if (plumb_apic_x2apic(a)) {
		REG(a, PAPIC_REG_ID) = id;
		REG(a, PAPIC_REG_LDR) = x2apic_ldr(id);
	} else {
		REG(a, PAPIC_REG_ID) = img[PAPIC_REG_ID >> 4] & 0xff000000;
		REG(a, PAPIC_REG_LDR) = img[PAPIC_REG_LDR >> 4] & 0xff000000;
		REG(a, PAPIC_REG_DFR) = (img[PAPIC_REG_DFR >> 4] & 0xf0000000) |
					0x0fffffff;
	}
	/* The LVTs load as the image has them, then SVR as it has it. */
	reg_write(a, PAPIC_REG_SVR, img[PAPIC_REG_SVR >> 4] | PAPIC_SVR_ENABLE,
		  now, fx);
	for (i = 0; i < sizeof(ordered) / sizeof(ordered[0]); i++)
		reg_write(a, ordered[i], img[ordered[i] >> 4], now, fx);
	REG(a, PAPIC_REG_SVR) = img[PAPIC_REG_SVR >> 4] & 0x3ff;
	for (i = 0; i < 8; i++) {
		/* Vectors 0-15 are never accepted (11.5.2): none here either. */
		u32 legal = i ? ~0u : ~0xffffu;

		REG(a, PAPIC_REG_ISR + i * 16) = img[(PAPIC_REG_ISR >> 4) + i] & legal;
		REG(a, PAPIC_REG_TMR + i * 16) = img[(PAPIC_REG_TMR >> 4) + i] & legal;
		REG(a, PAPIC_REG_IRR + i * 16) = img[(PAPIC_REG_IRR >> 4) + i] & legal;
	}
	REG(a, PAPIC_REG_ICR_LO) = img[PAPIC_REG_ICR_LO >> 4] & ICR_LO_BITS &
				   ~(1u << 12);
	REG(a, PAPIC_REG_ICR_HI) = img[PAPIC_REG_ICR_HI >> 4] &
				   (plumb_apic_x2apic(a) ? ~0u : 0xff000000);
	fx->flags |= PAPIC_FX_TIMER | PAPIC_FX_EVAL;
}
