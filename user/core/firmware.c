// SPDX-License-Identifier: GPL-2.0
/*
 * What firmware would leave in a vCPU before the guest's first
 * instruction: the MTRRs (decision 63), and the registers a loader's
 * boot_state asks for.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm.h"

/*
 * What firmware leaves in the MTRRs (docs/decisions.md, 63): fixed ranges and
 * the default type write-back, enabled; variable range 0 makes the 3-4 GiB
 * MMIO hole uncacheable. Without it Linux 6.1 finds "MTRRs disabled by
 * BIOS" and leaves PAT off. Failure is not fatal: the guest sees them off.
 */
void firmware_set_mtrrs(struct vcpu *v, const struct plumb_cpuid *sup)
{
	struct {
		struct plumb_msrs hdr;
		struct plumb_msr_entry e[14];
	} m = { .hdr.nmsrs = 14 };
	uint64_t wb8 = 0x0606060606060606ULL, phys_mask;
	unsigned int i, maxphy = 36;
	static const uint32_t fixed[11] = {
		0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d,
		0x26e, 0x26f,
	};

	for (i = 0; i < sup->nent; i++)
		if (sup->entries[i].function == 0x80000008)
			maxphy = sup->entries[i].eax & 0xff;
	if (maxphy < 36 || maxphy > 52)
		maxphy = 36;
	phys_mask = (1ULL << maxphy) - 1;
	for (i = 0; i < 11; i++) {
		m.e[i].index = fixed[i];
		m.e[i].data = wb8;
	}
	m.e[11].index = 0x200;			/* PHYSBASE0: 3 GiB, UC */
	m.e[11].data = LOWMEM_LIMIT;
	m.e[12].index = 0x201;			/* PHYSMASK0: 1 GiB, valid */
	m.e[12].data = (~(GiB - 1) & phys_mask) | (1ULL << 11);
	m.e[13].index = 0x2ff;			/* enabled, fixed enabled, WB */
	m.e[13].data = (1ULL << 11) | (1ULL << 10) | 6;
	if (ioctl(v->fd, PLUMB_SET_MSRS, &m) != 14)
		vm_log(v->vm, "vCPU %u: could not set the MTRRs", v->id);
}

static void flat_seg(struct plumb_segment *s, uint16_t sel, uint8_t type,
		     int db, int l)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = db;
	s->l = l;
	s->g = 1;
}

int firmware_set_boot_regs(struct vcpu *v, const struct boot_state *b)
{
	struct plumb_sregs s;
	struct plumb_regs r;

	if (ioctl(v->fd, PLUMB_GET_SREGS, &s) || ioctl(v->fd, PLUMB_GET_REGS, &r))
		return -errno;
	switch (b->mode) {
	case CPU_REAL:
		s.cs.selector = b->real_cs;
		s.cs.base = (uint64_t)b->real_cs << 4;
		s.ds.selector = s.es.selector = s.ss.selector = b->real_cs;
		s.ds.base = s.es.base = s.ss.base = (uint64_t)b->real_cs << 4;
		break;
	case CPU_PROT32:
		flat_seg(&s.cs, b->cs, 0xb, 1, 0);
		flat_seg(&s.ds, b->ds, 0x3, 1, 0);
		s.es = s.fs = s.gs = s.ss = s.ds;
		s.cr0 = 0x11;			/* PE | ET */
		break;
	case CPU_LONG64:
		flat_seg(&s.cs, b->cs, 0xb, 0, 1);
		flat_seg(&s.ds, b->ds, 0x3, 1, 0);
		s.es = s.fs = s.gs = s.ss = s.ds;
		s.cr3 = b->cr3;
		s.cr4 = 0x20;			/* PAE */
		s.cr0 = 0x80000011;		/* PG | PE | ET */
		s.efer = 0x500;			/* LME | LMA */
		break;
	default:
		return -EINVAL;
	}
	if (b->gdt_limit) {
		s.gdt.base = b->gdt_base;
		s.gdt.limit = b->gdt_limit;
	}
	if (ioctl(v->fd, PLUMB_SET_SREGS, &s))
		return -errno;
	r.rip = b->rip;
	r.rsp = b->rsp;
	r.rax = b->rax;
	r.rbx = b->rbx;
	r.rsi = b->rsi;
	r.rflags = 2;
	return ioctl(v->fd, PLUMB_SET_REGS, &r) ? -errno : 0;
}
