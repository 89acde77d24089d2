// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for the local APIC's xAPIC page at 0xfee00000, in userspace,
 * until the in-kernel LAPIC of issue 6 replaces it (this file then goes).
 * It delivers no interrupt and runs no timer. It keeps a register page per
 * vCPU so that what a guest writes reads back, answers the ID (the vCPU
 * number), version and reset values, keeps ICR's busy bit clear, and turns
 * an INIT-SIPI sent to other vCPUs into their start in real mode at the
 * SIPI vector: enough for kvm-unit-tests' start-up (enable, SPIV, bringing
 * up the APs) and for a guest that probes the APIC.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

#define LAPIC_BASE	0xfee00000ULL
#define LAPIC_SIZE	4096
#define R_ID		0x20
#define R_VERSION	0x30
#define R_EOI		0xb0
#define R_DFR		0xe0
#define R_SPIV		0xf0
#define R_ICR_LO	0x300
#define R_ICR_HI	0x310
#define R_LVT_FIRST	0x320
#define R_LVT_LAST	0x370
#define R_TMCCT		0x390

static uint32_t (*regs)[LAPIC_SIZE / 4];

static uint32_t *reg(unsigned int cpu, uint64_t off)
{
	return &regs[cpu][(off & 0xff0) / 4];
}

static void send_ipi(struct vm *vm, unsigned int self, uint32_t lo, uint32_t hi)
{
	unsigned int mode = (lo >> 8) & 7, shorthand = (lo >> 18) & 3, i;

	if (mode != 6)		/* only SIPI changes anything here */
		return;
	for (i = 0; i < vm->ncpus; i++) {
		bool hit;

		switch (shorthand) {
		case 0:
			hit = i == (hi >> 24);
			break;
		case 1:
			hit = i == self;
			break;
		case 2:
			hit = true;
			break;
		default:
			hit = i != self;
			break;
		}
		if (hit && i != self)
			vm_sipi(vm, i, (uint8_t)lo);
	}
}

static void lapic_io(void *opaque, struct io_req *r)
{
	unsigned int cpu = r->cpu;
	uint64_t off = r->addr & 0xfff;

	(void)opaque;
	if (cpu >= r->vm->ncpus)
		return;
	if (!r->write) {
		if (off == R_ID)
			r->data = (uint64_t)cpu << 24;
		else if (off == R_TMCCT)
			r->data = 0;		/* no timer runs */
		else
			r->data = *reg(cpu, off);
		r->data >>= 8 * (off & 3);
		return;
	}
	switch (off & 0xff0) {
	case R_ID:
	case R_VERSION:
	case R_TMCCT:
		return;				/* read-only here */
	case R_EOI:
		return;
	case R_ICR_LO:
		*reg(cpu, off) = (uint32_t)r->data & ~(1U << 12);  /* never busy */
		send_ipi(r->vm, cpu, (uint32_t)r->data, *reg(cpu, R_ICR_HI));
		return;
	default:
		*reg(cpu, off) = (uint32_t)r->data;
		return;
	}
}

static int lapic_stub_init(struct vm *vm)
{
	unsigned int i, off;

	free(regs);
	regs = calloc(vm->ncpus, sizeof(*regs));
	if (!regs)
		return -ENOMEM;
	for (i = 0; i < vm->ncpus; i++) {
		*reg(i, R_VERSION) = 0x00050014;	/* 6 LVTs, xAPIC */
		*reg(i, R_DFR) = 0xffffffff;
		*reg(i, R_SPIV) = 0xff;
		for (off = R_LVT_FIRST; off <= R_LVT_LAST; off += 0x10)
			*reg(i, off) = 1U << 16;	/* masked */
	}
	return io_register(vm, BUS_MMIO, LAPIC_BASE, LAPIC_SIZE, lapic_io, NULL,
			   "lapic-stub", 0);
}

static void lapic_stub_fini(struct vm *vm)
{
	(void)vm;
	free(regs);
	regs = NULL;
}

static struct device_type lapic_stub_type = {
	.name = "lapic-stub",
	.init = lapic_stub_init,
	.fini = lapic_stub_fini,
};
DEVICE_REGISTER(lapic_stub_type)
