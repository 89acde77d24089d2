// SPDX-License-Identifier: GPL-2.0
/*
 * Vendor-neutral emulation of the guest instructions that reach userspace:
 * the MOV behind an MMIO exit, and string port I/O (INS/OUTS, with REP).
 *
 * Without decode assists the hardware gives us no instruction bytes, so we
 * fetch them through the guest's own page tables (guest_translate()).
 * Anything the decoder does not know becomes an internal-error record with
 * the bytes, never a guess.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>

#include "backend.h"
#include "decode.h"
#include "emulate.h"
#include "lapic.h"
#include "mmu.h"
#include "vcpu.h"
#include "vm.h"

static int cpu_mode(const struct plumb_sregs *s)
{
	if (!(s->cr0 & X86_CR0_PE))
		return 16;
	if ((s->efer & EFER_LMA) && s->cs.l)
		return 64;
	return s->cs.db ? 32 : 16;
}

/*
 * Linear -> guest-physical through the guest's page tables (SDM Vol. 3A
 * 4.3-4.5): none, 32-bit (with 4 MiB pages), PAE, 4- and 5-level.
 */
static int guest_translate(struct plumb_vm *vm, const struct plumb_sregs *s,
			   u64 la, u64 *gpa)
{
	int levels, shift, level;
	u64 table, e = 0;

	if (!(s->cr0 & X86_CR0_PG)) {
		*gpa = (s->efer & EFER_LMA) ? la : (u32)la;
		return 0;
	}
	if (!(s->cr4 & X86_CR4_PAE)) {		/* 32-bit paging */
		u32 e32;

		table = s->cr3 & 0xfffff000;
		if (plumb_read_guest(vm, table + ((la >> 22) & 0x3ff) * 4, &e32, 4) ||
		    !(e32 & _PAGE_PRESENT))
			return -EFAULT;
		if ((e32 & _PAGE_PSE) && (s->cr4 & X86_CR4_PSE)) {
			*gpa = (e32 & 0xffc00000) | (la & 0x3fffff);
			return 0;
		}
		table = e32 & 0xfffff000;
		if (plumb_read_guest(vm, table + ((la >> 12) & 0x3ff) * 4, &e32, 4) ||
		    !(e32 & _PAGE_PRESENT))
			return -EFAULT;
		*gpa = (e32 & 0xfffff000) | (la & 0xfff);
		return 0;
	}
	if (s->efer & EFER_LMA) {
		levels = (s->cr4 & X86_CR4_LA57) ? 5 : 4;
		table = s->cr3 & GENMASK_ULL(51, 12);
	} else {				/* PAE: 4 PDPTEs at CR3[31:5] */
		levels = 3;
		table = s->cr3 & 0xffffffe0;
		la = (u32)la;
	}
	for (level = levels; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		if (level == 3 && levels == 3)
			e = (la >> 30) & 3;
		else
			e = (la >> shift) & 0x1ff;
		if (plumb_read_guest(vm, table + e * 8, &e, 8) ||
		    !(e & _PAGE_PRESENT))
			return -EFAULT;
		if (level == 1 || (level <= 3 && level != levels &&
				   (e & _PAGE_PSE))) {
			u64 mask = GENMASK_ULL(shift - 1, 0);

			*gpa = (e & GENMASK_ULL(51, 12) & ~mask) | (la & mask);
			return 0;
		}
		table = e & GENMASK_ULL(51, 12);
	}
	return -EFAULT;
}

/* Copy @len bytes at linear @la (may cross pages) from or to @buf. */
static int access_linear(struct plumb_vm *vm, const struct plumb_sregs *s,
			 u64 la, void *buf, size_t len, bool write)
{
	while (len) {
		size_t n = min_t(size_t, len, PAGE_SIZE - (la & ~PAGE_MASK));
		u64 gpa;
		int ret;

		ret = guest_translate(vm, s, la, &gpa);
		if (!ret)
			ret = write ? plumb_write_guest(vm, gpa, buf, n) :
				      plumb_read_guest(vm, gpa, buf, n);
		if (ret)
			return ret;
		la += n;
		buf += n;
		len -= n;
	}
	return 0;
}

static int read_linear(struct plumb_vm *vm, const struct plumb_sregs *s,
		       u64 la, void *buf, size_t len)
{
	return access_linear(vm, s, la, buf, len, false);
}

static int write_linear(struct plumb_vm *vm, const struct plumb_sregs *s,
			u64 la, const void *buf, size_t len)
{
	return access_linear(vm, s, la, (void *)buf, len, true);
}

static int emulation_failed(struct plumb_vcpu *vcpu, u64 gpa, u64 rip,
			    const u8 *bytes, unsigned int n)
{
	u64 data[5] = { gpa, rip };

	if (bytes)
		memcpy(&data[2], bytes, min(n, 24U));
	return plumb_exit_internal(vcpu, PLUMB_INTERNAL_EMULATION, 5, data);
}

/* Up to 15 bytes at CS:RIP, fewer if the code ends at a page: how many. */
static unsigned int fetch_insn(struct plumb_vm *vm, const struct plumb_sregs *s,
			       int mode, u64 rip, u8 *bytes)
{
	u64 la = (mode == 64 ? 0 : s->cs.base) + rip;
	unsigned int n = PLUMB_INSN_MAX_LEN;

	if (!read_linear(vm, s, la, bytes, n))
		return n;
	n = PAGE_SIZE - (la & ~PAGE_MASK);
	if (n >= PLUMB_INSN_MAX_LEN || read_linear(vm, s, la, bytes, n))
		return 0;
	return n;
}

/*
 * The MOV to CRn at CS:RIP, for a backend whose exit does not name its
 * source register: 0 with the CR number, the value (32 bits outside
 * 64-bit mode) and the length, or -EFAULT (code not readable) / -EINVAL.
 */
int plumb_decode_cr_write(struct plumb_vcpu *vcpu, u8 *cr, u64 *val,
			  u8 *len)
{
	u8 bytes[PLUMB_INSN_MAX_LEN] = {};
	struct plumb_sregs s;
	unsigned int n;
	int mode, ret;
	u8 gpr;

	plumb_ops->get_sregs(vcpu, &s);
	mode = cpu_mode(&s);
	n = fetch_insn(vcpu->vm, &s, mode, plumb_ops->get_rip(vcpu), bytes);
	if (!n)
		return -EFAULT;
	ret = plumb_decode_mov_to_cr(bytes, n, mode, cr, &gpr, len);
	if (ret)
		return -EINVAL;
	*val = mode == 64 ? vcpu->regs[gpr] : (u32)vcpu->regs[gpr];
	return 0;
}

/*
 * The MOV to or from DRn at CS:RIP, for a backend whose exit does not name
 * the register: 0 with the direction, DR and GPR numbers and the length,
 * and *long64 for 64-bit code (64-bit operands), or -EFAULT / -EINVAL.
 */
int plumb_decode_dr_access(struct plumb_vcpu *vcpu, bool *write, u8 *dr,
			   u8 *gpr, u8 *len, bool *long64)
{
	u8 bytes[PLUMB_INSN_MAX_LEN] = {};
	struct plumb_sregs s;
	unsigned int n;
	int mode;

	plumb_ops->get_sregs(vcpu, &s);
	mode = cpu_mode(&s);
	n = fetch_insn(vcpu->vm, &s, mode, plumb_ops->get_rip(vcpu), bytes);
	if (!n)
		return -EFAULT;
	if (plumb_decode_mov_dr(bytes, n, mode, write, dr, gpr, len))
		return -EINVAL;
	*long64 = mode == 64;
	return 0;
}

/* The MMIO read came back: put it in the destination register. */
static int complete_mmio(struct plumb_vcpu *vcpu, const struct plumb_exit *reply)
{
	const struct plumb_insn *insn = &vcpu->pending.mmio;
	u64 mask = insn->size == 8 ? ~0ULL : (1ULL << (insn->size * 8)) - 1;

	vcpu->regs[insn->reg] = plumb_insn_apply_read(insn,
						      vcpu->regs[insn->reg],
						      reply->mmio.data & mask);
	return 0;
}

/*
 * The guest's access to @gpa, which no memory slot backs: the in-kernel
 * APIC's page, or an MMIO record. @hw_bytes are the instruction's bytes if
 * the hardware gave them (SVM decode assists), else they are fetched.
 */
int plumb_emulate_mmio(struct plumb_vcpu *vcpu, u64 gpa, const u8 *hw_bytes,
		       unsigned int hw_len)
{
	struct plumb_vm *vm = vcpu->vm;
	u8 bytes[PLUMB_INSN_MAX_LEN] = {};
	u64 *regs = vcpu->regs, rip, mask;
	struct plumb_insn insn;
	struct plumb_sregs s;
	struct plumb_exit *e;
	unsigned int n;
	int mode, ret;

	plumb_ops->get_sregs(vcpu, &s);
	rip = plumb_ops->get_rip(vcpu);
	mode = cpu_mode(&s);

	if (hw_len) {
		n = min_t(unsigned int, hw_len, sizeof(bytes));
		memcpy(bytes, hw_bytes, n);
	} else {
		n = fetch_insn(vm, &s, mode, rip, bytes);
		if (!n)
			return emulation_failed(vcpu, gpa, rip, bytes, 0);
	}
	ret = plumb_decode(bytes, n, mode, &insn);
	if (ret)
		return emulation_failed(vcpu, gpa, rip, bytes, n);

	rip += insn.len;
	plumb_ops->set_rip(vcpu, mode == 64 ? rip : (u32)rip);

	if (plumb_lapic_owns(vcpu, gpa)) {	/* the in-kernel APIC */
		mask = insn.size == 8 ? ~0ULL : (1ULL << (insn.size * 8)) - 1;
		if (insn.is_write) {
			plumb_lapic_mmio(vcpu, gpa, insn.size, true,
					 plumb_insn_write_value(&insn, regs));
		} else {
			u64 v = plumb_lapic_mmio(vcpu, gpa, insn.size, false, 0);

			regs[insn.reg] = plumb_insn_apply_read(&insn,
						regs[insn.reg], v & mask);
		}
		return 1;
	}

	e = plumb_ring_next(vcpu, PLUMB_EXIT_MMIO);
	e->mmio.phys_addr = gpa;
	e->mmio.size = insn.size;
	e->mmio.is_write = insn.is_write;
	if (insn.is_write) {
		e->mmio.data = plumb_insn_write_value(&insn, regs);
		return plumb_ring_commit_write(vcpu, e, false, gpa, insn.size);
	}
	vcpu->pending.mmio = insn;
	plumb_ring_commit(vcpu, e, complete_mmio);
	return 0;
}

static u64 addr_mask(unsigned int addr_size)
{
	return addr_size == 8 ? ~0ULL : (1ULL << (addr_size * 8)) - 1;
}

/* INS data came back: store it at ES:RDI as the guest would have. */
static int complete_string_in(struct plumb_vcpu *vcpu,
			      const struct plumb_exit *reply)
{
	struct plumb_pending_string *p = &vcpu->pending.string_in;
	u8 buf[sizeof(reply->io.data)];
	struct plumb_sregs s;
	u32 i, count = p->len / p->size;

	for (i = 0; i < count; i++)
		memcpy(buf + (p->down ? count - 1 - i : i) * p->size,
		       reply->io.data + i * p->size, p->size);
	plumb_ops->get_sregs(vcpu, &s);
	return write_linear(vcpu->vm, &s, p->la, buf, p->len) ? -EFAULT : 0;
}

/*
 * INS/OUTS (SDM Vol. 2B): one record of up to 32 bytes per exit. With REP,
 * RCX counts down and RIP stays on the instruction until RCX reaches 0, so
 * a long REP OUTSB is a series of records (posted, if the port is).
 */
int plumb_emulate_string_io(struct plumb_vcpu *vcpu, u16 port, u8 size,
			    bool in, bool rep, u8 addr_size, int seg,
			    u64 next_rip)
{
	u64 *rcx = &vcpu->regs[PLUMB_RCX];
	u64 *index = &vcpu->regs[in ? PLUMB_RDI : PLUMB_RSI];
	u64 amask = addr_mask(addr_size), count, idx, la;
	const struct plumb_segment *sg;
	struct plumb_sregs s;
	struct plumb_exit *e;
	bool down;

	down = plumb_ops->get_rflags(vcpu) & X86_EFLAGS_DF;
	count = rep ? (*rcx & amask) : 1;
	if (!count) {			/* REP with RCX = 0: a no-op */
		plumb_ops->set_rip(vcpu, next_rip);
		return 1;
	}
	plumb_ops->get_sregs(vcpu, &s);
	count = min_t(u64, count, sizeof(e->io.data) / size);
	/* Going down, the chunk starts count - 1 elements below the index. */
	idx = *index & amask;
	if (down)
		idx = (idx - (count - 1) * size) & amask;

	e = plumb_ring_next(vcpu, PLUMB_EXIT_IO);
	e->io.port = port;
	e->io.size = size;
	e->io.count = count;
	e->io.direction = in ? PLUMB_IO_IN : PLUMB_IO_OUT;

	if (!in) {
		sg = seg == 0 ? &s.es : seg == 1 ? &s.cs : seg == 2 ? &s.ss :
		     seg == 4 ? &s.fs : seg == 5 ? &s.gs : &s.ds;
		la = (cpu_mode(&s) == 64 && seg < 4 ? 0 : sg->base) + idx;
		if (read_linear(vcpu->vm, &s, la, e->io.data, count * size))
			return emulation_failed(vcpu, la,
						plumb_ops->get_rip(vcpu),
						NULL, 0);
		if (down) {		/* the guest wrote them highest first */
			u8 tmp[sizeof(e->io.data)];
			u64 i;

			memcpy(tmp, e->io.data, count * size);
			for (i = 0; i < count; i++)
				memcpy(e->io.data + i * size,
				       tmp + (count - 1 - i) * size, size);
		}
	}

	/* Advance the guest as if the chunk were done. */
	*index = (*index & ~amask) |
		 ((*index + (down ? -count : count) * size) & amask);
	if (rep)
		*rcx = (*rcx & ~amask) | ((*rcx - count) & amask);
	if (!rep || !(*rcx & amask))
		plumb_ops->set_rip(vcpu, next_rip);

	if (in) {
		struct plumb_pending_string *p = &vcpu->pending.string_in;

		p->la = (cpu_mode(&s) == 64 ? 0 : s.es.base) + idx;
		p->len = count * size;
		p->down = down;
		p->size = size;
		plumb_ring_commit(vcpu, e, complete_string_in);
		return 0;
	}
	return plumb_ring_commit_write(vcpu, e, true, port, size);
}
