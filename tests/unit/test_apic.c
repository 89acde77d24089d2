// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC register model (kmod/apic.c), built here in userspace.
 * Expected values are the Intel SDM Vol. 3A's (chapter 11), section named
 * next to each check.
 */
#include <string.h>
#include <check.h>

#include "apic.h"

static struct plumb_apic a;
static struct plumb_apic_effects fx;

static void setup(void)
{
	memset(&fx, 0, sizeof(fx));
	plumb_apic_reset(&a, 3, true);
}

static void wr(u32 off, u32 v, u64 now)
{
	plumb_apic_mmio_write(&a, off, v, now, &fx);
}

static u32 rd(u32 off, u64 now)
{
	return plumb_apic_mmio_read(&a, off, now);
}

static void enable(void)
{
	wr(PAPIC_REG_SVR, 0x1ff, 0);
}

static void to_x2apic(void)
{
	ck_assert_int_eq(plumb_apic_set_base(&a, PAPIC_DEFAULT_BASE |
					     PAPIC_BASE_EN | PAPIC_BASE_EXTD, &fx), 0);
}

START_TEST(test_reset_state)
{
	/* 11.4.7.1: after power-up or RESET */
	ck_assert_uint_eq(a.base, PAPIC_DEFAULT_BASE | PAPIC_BASE_EN | PAPIC_BASE_BSP);
	ck_assert_uint_eq(rd(PAPIC_REG_ID, 0), 3u << 24);
	ck_assert_uint_eq(rd(PAPIC_REG_VERSION, 0) & 0xff, 0x14);
	ck_assert_uint_eq((rd(PAPIC_REG_VERSION, 0) >> 16) & 0xff, PAPIC_NR_LVT - 1);
	ck_assert_uint_eq(rd(PAPIC_REG_DFR, 0), 0xffffffff);
	ck_assert_uint_eq(rd(PAPIC_REG_SVR, 0), 0xff);
	ck_assert_uint_eq(rd(PAPIC_REG_LVT_TIMER, 0), PAPIC_LVT_MASKED);
	ck_assert_uint_eq(rd(PAPIC_REG_LVT_LINT0, 0), PAPIC_LVT_MASKED);
	ck_assert_uint_eq(rd(PAPIC_REG_LVT_ERROR, 0), PAPIC_LVT_MASKED);
	ck_assert_uint_eq(rd(PAPIC_REG_TPR, 0), 0);
	ck_assert(!plumb_apic_sw_enabled(&a));
	ck_assert(!plumb_apic_x2apic(&a));
	/* software-disabled: fixed interrupts are not taken */
	ck_assert(!plumb_apic_accept(&a, 0x40, false));
}
END_TEST

START_TEST(test_unaligned_and_reserved)
{
	enable();
	ck_assert_uint_eq(rd(PAPIC_REG_SVR + 4, 0), 0);
	ck_assert_uint_eq(rd(0x3f0, 0), 0);	/* self IPI: x2APIC only */
	ck_assert_uint_eq(rd(0x400, 0), 0);
	ck_assert_uint_eq(rd(PAPIC_REG_EOI, 0), 0);
	wr(PAPIC_REG_VERSION, 0, 0);		/* read-only */
	ck_assert_uint_eq(rd(PAPIC_REG_VERSION, 0) & 0xff, 0x14);
}
END_TEST

START_TEST(test_priority)
{
	enable();
	ck_assert(plumb_apic_accept(&a, 0x51, false));
	ck_assert(plumb_apic_accept(&a, 0x32, false));
	ck_assert_int_eq(plumb_apic_pending(&a), 0x51);	/* highest first */
	/* 11.8.3.1: TPR class 5 blocks class 5 and below */
	wr(PAPIC_REG_TPR, 0x50, 0);
	ck_assert_int_eq(plumb_apic_pending(&a), -1);
	ck_assert_uint_eq(rd(PAPIC_REG_PPR, 0), 0x50);
	wr(PAPIC_REG_TPR, 0x40, 0);
	ck_assert_int_eq(plumb_apic_pending(&a), 0x51);
	wr(PAPIC_REG_TPR, 0, 0);
	plumb_apic_ack(&a, 0x51);
	ck_assert(rd(PAPIC_REG_ISR + 0x20, 0) & (1u << (0x51 - 64)));
	ck_assert(!(rd(PAPIC_REG_IRR + 0x20, 0) & (1u << (0x51 - 64))));
	/* PPR = in-service class; 0x32 (class 3) waits */
	ck_assert_uint_eq(rd(PAPIC_REG_PPR, 0), 0x50);
	/* same class in TPR and ISR: PPR is the whole TPR (11.8.3.1) */
	wr(PAPIC_REG_TPR, 0x55, 0);
	ck_assert_uint_eq(rd(PAPIC_REG_PPR, 0), 0x55);
	wr(PAPIC_REG_TPR, 0, 0);
	ck_assert_int_eq(plumb_apic_pending(&a), -1);
	/* a higher class nests */
	ck_assert(plumb_apic_accept(&a, 0x61, false));
	ck_assert_int_eq(plumb_apic_pending(&a), 0x61);
	plumb_apic_ack(&a, 0x61);
	/* EOI ends the highest in service first */
	wr(PAPIC_REG_EOI, 0, 0);
	ck_assert_uint_eq(rd(PAPIC_REG_PPR, 0), 0x50);
	ck_assert(fx.flags & PAPIC_FX_EVAL);
	ck_assert(!(fx.flags & PAPIC_FX_EOI_LEVEL));
	wr(PAPIC_REG_EOI, 0, 0);
	ck_assert_uint_eq(rd(PAPIC_REG_PPR, 0), 0);
	ck_assert_int_eq(plumb_apic_pending(&a), 0x32);
	/* vectors 0-15 are illegal */
	ck_assert(!plumb_apic_accept(&a, 15, false));
}
END_TEST

START_TEST(test_level_eoi)
{
	enable();
	ck_assert(plumb_apic_accept(&a, 0x90, true));
	ck_assert(rd(PAPIC_REG_TMR + 0x40, 0) & (1u << 16));
	plumb_apic_ack(&a, 0x90);
	memset(&fx, 0, sizeof(fx));
	wr(PAPIC_REG_EOI, 0, 0);
	ck_assert(fx.flags & PAPIC_FX_EOI_LEVEL);
	ck_assert_uint_eq(fx.eoi_vector, 0x90);
	/* EOI with nothing in service: nothing */
	memset(&fx, 0, sizeof(fx));
	wr(PAPIC_REG_EOI, 0, 0);
	ck_assert_uint_eq(fx.flags, 0);
}
END_TEST

START_TEST(test_svr_disable_masks_lvts)
{
	enable();
	wr(PAPIC_REG_LVT_LINT0, 0x700, 0);	/* ExtINT, unmasked */
	ck_assert_uint_eq(rd(PAPIC_REG_LVT_LINT0, 0), 0x700);
	wr(PAPIC_REG_SVR, 0xff, 0);		/* 11.4.7.2 */
	ck_assert(rd(PAPIC_REG_LVT_LINT0, 0) & PAPIC_LVT_MASKED);
	wr(PAPIC_REG_LVT_LINT0, 0x700, 0);	/* cannot unmask while disabled */
	ck_assert(rd(PAPIC_REG_LVT_LINT0, 0) & PAPIC_LVT_MASKED);
}
END_TEST

START_TEST(test_lvt_bits)
{
	enable();
	wr(PAPIC_REG_LVT_TIMER, 0xffffffff, 0);
	ck_assert_uint_eq(rd(PAPIC_REG_LVT_TIMER, 0), 0x700ff);
	wr(PAPIC_REG_LVT_ERROR, 0xffffffff, 0);
	ck_assert_uint_eq(rd(PAPIC_REG_LVT_ERROR, 0), 0x100ff);
	wr(PAPIC_REG_LVT_LINT1, 0xffffffff, 0);
	ck_assert_uint_eq(rd(PAPIC_REG_LVT_LINT1, 0), 0x1a7ff);
	wr(PAPIC_REG_LVT_PERF, 0xffffffff, 0);
	ck_assert_uint_eq(rd(PAPIC_REG_LVT_PERF, 0), 0x107ff);
	wr(PAPIC_REG_TIMER_DCR, 0xffffffff, 0);
	ck_assert_uint_eq(rd(PAPIC_REG_TIMER_DCR, 0), 0xb);
	wr(PAPIC_REG_DFR, 0x0, 0);
	ck_assert_uint_eq(rd(PAPIC_REG_DFR, 0), 0x0fffffff);
	wr(PAPIC_REG_ICR_LO, 0xffffffff, 0);
	ck_assert_uint_eq(rd(PAPIC_REG_ICR_LO, 0), 0x000ccfff & ~0x1000u);
}
END_TEST

START_TEST(test_icr_ipi)
{
	enable();
	wr(PAPIC_REG_ICR_HI, 0x05000000, 0);
	wr(PAPIC_REG_ICR_LO, 0x000040f3, 0);	/* fixed, phys, assert, 0xf3 */
	ck_assert(fx.flags & PAPIC_FX_IPI);
	ck_assert_uint_eq(fx.ipi.dest, 5);
	ck_assert_uint_eq(fx.ipi.vector, 0xf3);
	ck_assert_uint_eq(fx.ipi.mode, PAPIC_DM_FIXED);
	ck_assert(!fx.ipi.logical);
	ck_assert_uint_eq(fx.ipi.shorthand, PAPIC_SH_NONE);
	/* kvm-unit-tests' INIT and SIPI to all but self */
	memset(&fx, 0, sizeof(fx));
	wr(PAPIC_REG_ICR_LO, 0x000c4500, 0);
	ck_assert(fx.flags & PAPIC_FX_IPI);
	ck_assert_uint_eq(fx.ipi.mode, PAPIC_DM_INIT);
	ck_assert_uint_eq(fx.ipi.shorthand, PAPIC_SH_OTHERS);
	memset(&fx, 0, sizeof(fx));
	wr(PAPIC_REG_ICR_LO, 0x000c0600, 0);
	ck_assert_uint_eq(fx.ipi.mode, PAPIC_DM_STARTUP);
	ck_assert_uint_eq(fx.ipi.vector, 0);
	/* INIT level de-assert sends nothing (11.6.1) */
	memset(&fx, 0, sizeof(fx));
	wr(PAPIC_REG_ICR_LO, 0x00008500, 0);
	ck_assert(!(fx.flags & PAPIC_FX_IPI));
	/* delivery status always reads idle */
	ck_assert(!(rd(PAPIC_REG_ICR_LO, 0) & (1u << 12)));
}
END_TEST

START_TEST(test_match_xapic)
{
	struct plumb_apic b;
	struct plumb_apic_ipi ipi = { 0 };

	enable();
	plumb_apic_reset(&b, 1, false);
	ipi.dest = 3;
	ck_assert(plumb_apic_match(&a, &b, &ipi));	/* physical ID 3 */
	ck_assert(!plumb_apic_match(&b, &b, &ipi));
	ipi.dest = 0xff;				/* broadcast */
	ck_assert(plumb_apic_match(&b, &a, &ipi));
	/* flat logical: LDR bit per CPU */
	ipi.logical = true;
	wr(PAPIC_REG_LDR, 0x04000000, 0);
	ipi.dest = 0x06;
	ck_assert(plumb_apic_match(&a, NULL, &ipi));
	ipi.dest = 0x01;
	ck_assert(!plumb_apic_match(&a, NULL, &ipi));
	/* cluster: cluster 2, member bit 1 */
	wr(PAPIC_REG_DFR, 0x0fffffff, 0);
	wr(PAPIC_REG_LDR, 0x21000000, 0);
	ipi.dest = 0x23;
	ck_assert(plumb_apic_match(&a, NULL, &ipi));
	ipi.dest = 0x13;
	ck_assert(!plumb_apic_match(&a, NULL, &ipi));
	/* shorthands */
	ipi.shorthand = PAPIC_SH_SELF;
	ck_assert(plumb_apic_match(&a, &a, &ipi));
	ck_assert(!plumb_apic_match(&a, &b, &ipi));
	ipi.shorthand = PAPIC_SH_OTHERS;
	ck_assert(!plumb_apic_match(&a, &a, &ipi));
	ck_assert(plumb_apic_match(&a, &b, &ipi));
	ipi.shorthand = PAPIC_SH_ALL;
	ck_assert(plumb_apic_match(&a, &a, &ipi));
	/* a hardware-disabled APIC takes nothing */
	ck_assert_int_eq(plumb_apic_set_base(&a, PAPIC_DEFAULT_BASE, &fx), 0);
	ck_assert(!plumb_apic_match(&a, &b, &ipi));
}
END_TEST

START_TEST(test_timer_oneshot)
{
	enable();
	wr(PAPIC_REG_TIMER_DCR, 0x3, 0);		/* divide by 16 */
	wr(PAPIC_REG_LVT_TIMER, 0xec, 0);	/* one-shot, vector 0xec */
	memset(&fx, 0, sizeof(fx));
	wr(PAPIC_REG_TIMER_ICR, 1000, 100);
	ck_assert(fx.flags & PAPIC_FX_TIMER);
	ck_assert_uint_eq(plumb_apic_timer_next(&a), 100 + 16000);
	ck_assert_uint_eq(rd(PAPIC_REG_TIMER_CCR, 100), 1000);
	ck_assert_uint_eq(rd(PAPIC_REG_TIMER_CCR, 100 + 8000), 500);
	ck_assert_uint_eq(rd(PAPIC_REG_TIMER_CCR, 100 + 16000), 0);
	memset(&fx, 0, sizeof(fx));
	plumb_apic_timer_fire(&a, 100 + 16000, &fx);
	ck_assert(fx.flags & PAPIC_FX_EVAL);
	ck_assert_int_eq(plumb_apic_pending(&a), 0xec);
	ck_assert_uint_eq(plumb_apic_timer_next(&a), 0);	/* done */
	ck_assert_uint_eq(rd(PAPIC_REG_TIMER_CCR, 50000), 0);
	/* writing 0 stops a running timer */
	wr(PAPIC_REG_TIMER_ICR, 10, 0);
	wr(PAPIC_REG_TIMER_ICR, 0, 1);
	ck_assert_uint_eq(plumb_apic_timer_next(&a), 0);
}
END_TEST

START_TEST(test_timer_periodic_masked)
{
	enable();
	wr(PAPIC_REG_TIMER_DCR, 0xb, 0);		/* divide by 1 */
	wr(PAPIC_REG_LVT_TIMER, PAPIC_TIMER_PERIODIC | PAPIC_LVT_MASKED | 0x30, 0);
	wr(PAPIC_REG_TIMER_ICR, 300000, 0);
	ck_assert_uint_eq(rd(PAPIC_REG_TIMER_CCR, 300250), 299750);
	memset(&fx, 0, sizeof(fx));
	plumb_apic_timer_fire(&a, 300000, &fx);
	ck_assert(fx.flags & PAPIC_FX_TIMER);		/* re-arm */
	ck_assert_int_eq(plumb_apic_pending(&a), -1);	/* masked */
	ck_assert_uint_eq(plumb_apic_timer_next(&a), 600000);
	/* far behind: restart from now, not 1000 catch-up expiries */
	plumb_apic_timer_fire(&a, 300000000, &fx);
	ck_assert_uint_eq(plumb_apic_timer_next(&a), 300300000);
	/* no faster than PAPIC_MIN_PERIOD_NS, whatever the count */
	wr(PAPIC_REG_TIMER_ICR, 1, 1000);
	ck_assert_uint_eq(plumb_apic_timer_next(&a), 1000 + PAPIC_MIN_PERIOD_NS);
	/* one-shot and back: the count goes on (only TSC deadline resets) */
	wr(PAPIC_REG_TIMER_ICR, 300000, 2000);
	wr(PAPIC_REG_LVT_TIMER, PAPIC_TIMER_ONESHOT | PAPIC_LVT_MASKED | 0x30, 0);
	ck_assert_uint_eq(rd(PAPIC_REG_TIMER_ICR, 0), 300000);
	ck_assert_uint_eq(plumb_apic_timer_next(&a), 302000);
	wr(PAPIC_REG_LVT_TIMER, PAPIC_TIMER_PERIODIC | PAPIC_LVT_MASKED | 0x30, 0);
	ck_assert_uint_eq(rd(PAPIC_REG_TIMER_CCR, 3000), 299000);
	/* into TSC-deadline mode: disarmed, the count cleared */
	wr(PAPIC_REG_LVT_TIMER, PAPIC_TIMER_TSC_DEADLINE | 0x30, 0);
	ck_assert_uint_eq(plumb_apic_timer_next(&a), 0);
	ck_assert_uint_eq(rd(PAPIC_REG_TIMER_ICR, 0), 0);
	wr(PAPIC_REG_TIMER_ICR, 5, 0);		/* ignored in deadline mode */
	ck_assert_uint_eq(rd(PAPIC_REG_TIMER_ICR, 0), 0);
	memset(&fx, 0, sizeof(fx));
	plumb_apic_lvt_fire(&a, PAPIC_REG_LVT_TIMER, &fx);
	ck_assert_int_eq(plumb_apic_pending(&a), 0x30);
}
END_TEST

START_TEST(test_x2apic_msrs)
{
	u64 v;

	enable();
	/* not in x2APIC mode: every x2APIC MSR is #GP */
	ck_assert_int_eq(plumb_apic_msr_read(&a, 0x802, &v, 0), -EINVAL);
	to_x2apic();
	ck_assert(fx.flags & PAPIC_FX_MODE);
	ck_assert_int_eq(plumb_apic_msr_read(&a, 0x802, &v, 0), 0);
	ck_assert_uint_eq(v, 3);			/* full 32-bit ID */
	ck_assert_int_eq(plumb_apic_msr_read(&a, 0x80d, &v, 0), 0);
	ck_assert_uint_eq(v, (0u << 16) | (1u << 3));	/* 11.12.10.2 */
	/* MMIO is not the APIC any more */
	ck_assert_uint_eq(rd(PAPIC_REG_SVR, 0), 0);
	/* read-only, reserved and write-only registers */
	ck_assert_int_eq(plumb_apic_msr_write(&a, 0x802, 1, 0, &fx), -EINVAL);
	ck_assert_int_eq(plumb_apic_msr_write(&a, 0x80d, 1, 0, &fx), -EINVAL);
	ck_assert_int_eq(plumb_apic_msr_read(&a, 0x80e, &v, 0), -EINVAL);
	ck_assert_int_eq(plumb_apic_msr_read(&a, 0x831, &v, 0), -EINVAL);
	ck_assert_int_eq(plumb_apic_msr_read(&a, 0x80b, &v, 0), -EINVAL);
	ck_assert_int_eq(plumb_apic_msr_read(&a, 0x83f, &v, 0), -EINVAL);
	ck_assert_int_eq(plumb_apic_msr_write(&a, 0x80b, 1, 0, &fx), -EINVAL);
	ck_assert_int_eq(plumb_apic_msr_write(&a, 0x808, 0x100, 0, &fx), -EINVAL);
	ck_assert_int_eq(plumb_apic_msr_write(&a, 0x80f, 1ULL << 32, 0, &fx), -EINVAL);
	/* 64-bit ICR */
	memset(&fx, 0, sizeof(fx));
	ck_assert_int_eq(plumb_apic_msr_write(&a, 0x830, (7ULL << 32) | 0x4031, 0, &fx), 0);
	ck_assert(fx.flags & PAPIC_FX_IPI);
	ck_assert_uint_eq(fx.ipi.dest, 7);
	ck_assert_uint_eq(fx.ipi.vector, 0x31);
	ck_assert_int_eq(plumb_apic_msr_read(&a, 0x830, &v, 0), 0);
	ck_assert_uint_eq(v, (7ULL << 32) | 0x4031);
	/* self IPI */
	ck_assert_int_eq(plumb_apic_msr_write(&a, 0x83f, 0x45, 0, &fx), 0);
	ck_assert_int_eq(plumb_apic_pending(&a), 0x45);
	/* x2APIC destinations */
	struct plumb_apic_ipi ipi = { .dest = 3 };
	ck_assert(plumb_apic_match(&a, NULL, &ipi));
	ipi.logical = true;
	ipi.dest = 0x00000008;
	ck_assert(plumb_apic_match(&a, NULL, &ipi));
	ipi.dest = 0x00010008;
	ck_assert(!plumb_apic_match(&a, NULL, &ipi));
}
END_TEST

START_TEST(test_base_transitions)
{
	const u64 xapic = PAPIC_DEFAULT_BASE | PAPIC_BASE_EN;

	/* Table 11-5 */
	ck_assert_int_eq(plumb_apic_set_base(&a, PAPIC_DEFAULT_BASE | PAPIC_BASE_EXTD, &fx), -EINVAL);
	to_x2apic();
	ck_assert(plumb_apic_x2apic(&a));
	ck_assert(a.base & PAPIC_BASE_BSP);		/* kept */
	ck_assert_int_eq(plumb_apic_set_base(&a, xapic, &fx), -EINVAL);
	ck_assert_int_eq(plumb_apic_set_base(&a, PAPIC_DEFAULT_BASE, &fx), 0);
	ck_assert(!plumb_apic_hw_enabled(&a));
	ck_assert_int_eq(plumb_apic_set_base(&a, PAPIC_DEFAULT_BASE | PAPIC_BASE_EN |
					     PAPIC_BASE_EXTD, &fx), -EINVAL);
	ck_assert_int_eq(plumb_apic_set_base(&a, xapic, &fx), 0);
	ck_assert_uint_eq(rd(PAPIC_REG_ID, 0), 3u << 24);	/* reset state */
	ck_assert_uint_eq(rd(PAPIC_REG_SVR, 0), 0xff);
	/* reserved bits */
	ck_assert_int_eq(plumb_apic_set_base(&a, xapic | 0x80, &fx), -EINVAL);
	ck_assert_int_eq(plumb_apic_set_base(&a, xapic | (1ULL << 60), &fx), -EINVAL);
}
END_TEST

/* The register image (snapshots, KVM_GET/SET_LAPIC): a round trip. */
START_TEST(test_state_roundtrip)
{
	u32 img[PAPIC_REG_END / 16];
	struct plumb_apic b;

	enable();
	wr(PAPIC_REG_TPR, 0x20, 0);
	wr(PAPIC_REG_TIMER_DCR, 0xb, 0);		/* divide by 1 */
	wr(PAPIC_REG_LVT_TIMER, PAPIC_TIMER_PERIODIC | 0x30, 0);
	wr(PAPIC_REG_TIMER_ICR, 1000000, 0);
	wr(PAPIC_REG_LVT_LINT0, PAPIC_DM_EXTINT << 8, 0);
	ck_assert(plumb_apic_accept(&a, 0x50, true));
	plumb_apic_get_state(&a, img, 400000);
	/* 11.5.4: the current count as a read at that time gives it */
	ck_assert_uint_eq(img[PAPIC_REG_TIMER_CCR >> 4], 600000);
	ck_assert_uint_eq(img[PAPIC_REG_ID >> 4], 3u << 24);
	ck_assert_uint_eq(img[PAPIC_REG_PPR >> 4], 0x20);

	memset(&fx, 0, sizeof(fx));
	plumb_apic_reset(&b, 3, true);
	plumb_apic_set_state(&b, img, 5000000, &fx);
	ck_assert(fx.flags & PAPIC_FX_TIMER);
	ck_assert_uint_eq(plumb_apic_mmio_read(&b, PAPIC_REG_TPR, 0), 0x20);
	ck_assert_uint_eq(plumb_apic_mmio_read(&b, PAPIC_REG_SVR, 0), 0x1ff);
	ck_assert_uint_eq(plumb_apic_mmio_read(&b, PAPIC_REG_LVT_TIMER, 0),
			  PAPIC_TIMER_PERIODIC | 0x30);
	ck_assert_uint_eq(plumb_apic_mmio_read(&b, PAPIC_REG_LVT_LINT0, 0),
			  PAPIC_DM_EXTINT << 8);
	ck_assert(plumb_apic_accepts_extint(&b));
	ck_assert_int_eq(plumb_apic_pending(&b), 0x50);
	/* the timer starts again from its initial count at the load */
	ck_assert_uint_eq(plumb_apic_mmio_read(&b, PAPIC_REG_TIMER_CCR, 5000000),
			  1000000);
	ck_assert_uint_eq(plumb_apic_timer_next(&b), 6000000);
}
END_TEST

/* An image holds nothing a guest's writes could not have made. */
START_TEST(test_state_sanitised)
{
	u32 img[PAPIC_REG_END / 16];

	memset(img, 0xff, sizeof(img));
	plumb_apic_set_state(&a, img, 0, &fx);
	ck_assert_uint_eq(rd(PAPIC_REG_VERSION, 0), 0x14 | ((PAPIC_NR_LVT - 1) << 16));
	ck_assert_uint_eq(rd(PAPIC_REG_SVR, 0), 0x3ff);
	ck_assert_uint_eq(rd(PAPIC_REG_TPR, 0), 0xff);
	ck_assert_uint_eq(rd(PAPIC_REG_ID, 0), 0xff000000);
	ck_assert_uint_eq(rd(PAPIC_REG_LDR, 0), 0xff000000);
	ck_assert_uint_eq(rd(PAPIC_REG_ESR, 0), 0);
	ck_assert_uint_eq(rd(PAPIC_REG_ICR_LO, 0) & (1u << 12), 0);
	ck_assert_uint_eq(rd(PAPIC_REG_LVT_ERROR, 0), 0xff | PAPIC_LVT_MASKED);
	ck_assert_uint_eq(rd(PAPIC_REG_TIMER_DCR, 0), 0xb);
	/* 11.5.2: vectors 0-15 are illegal, in IRR, ISR and TMR alike */
	ck_assert_uint_eq(rd(PAPIC_REG_IRR, 0), 0xffff0000);
	ck_assert_uint_eq(rd(PAPIC_REG_ISR, 0), 0xffff0000);
	ck_assert_uint_eq(rd(PAPIC_REG_TMR, 0), 0xffff0000);
	/* nothing is sent by loading an ICR */
	ck_assert(!(fx.flags & PAPIC_FX_IPI));

	/* QEMU's reset image: SVR disables the APIC, LINT0 in virtual wire */
	memset(img, 0, sizeof(img));
	img[PAPIC_REG_SVR >> 4] = 0xff;
	img[PAPIC_REG_LVT_LINT0 >> 4] = PAPIC_DM_EXTINT << 8;
	img[PAPIC_REG_LVT_TIMER >> 4] = PAPIC_LVT_MASKED;
	plumb_apic_set_state(&a, img, 0, &fx);
	ck_assert(!plumb_apic_sw_enabled(&a));
	ck_assert_uint_eq(rd(PAPIC_REG_LVT_LINT0, 0), PAPIC_DM_EXTINT << 8);
	ck_assert(plumb_apic_accepts_extint(&a));
	/* ... and a guest write still masks while it is disabled (11.4.7.2) */
	wr(PAPIC_REG_LVT_LINT1, PAPIC_DM_NMI << 8, 0);
	ck_assert_uint_eq(rd(PAPIC_REG_LVT_LINT1, 0), (PAPIC_DM_NMI << 8) | PAPIC_LVT_MASKED);

	/* x2APIC: the ID and LDR are the vCPU's, whatever the image says */
	to_x2apic();
	plumb_apic_set_state(&a, img, 0, &fx);
	{
		u64 v;

		ck_assert_int_eq(plumb_apic_msr_read(&a, 0x802, &v, 0), 0);
		ck_assert_uint_eq(v, 3);
		ck_assert_int_eq(plumb_apic_msr_read(&a, 0x80d, &v, 0), 0);
		ck_assert_uint_eq(v, 1u << 3);
	}
}
END_TEST

static Suite *apic_suite(void)
{
	Suite *s = suite_create("apic");
	TCase *t = tcase_create("model");

	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, test_reset_state);
	tcase_add_test(t, test_unaligned_and_reserved);
	tcase_add_test(t, test_priority);
	tcase_add_test(t, test_level_eoi);
	tcase_add_test(t, test_svr_disable_masks_lvts);
	tcase_add_test(t, test_lvt_bits);
	tcase_add_test(t, test_icr_ipi);
	tcase_add_test(t, test_match_xapic);
	tcase_add_test(t, test_timer_oneshot);
	tcase_add_test(t, test_timer_periodic_masked);
	tcase_add_test(t, test_x2apic_msrs);
	tcase_add_test(t, test_base_transitions);
	tcase_add_test(t, test_state_roundtrip);
	tcase_add_test(t, test_state_sanitised);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(apic_suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
