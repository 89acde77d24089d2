// SPDX-License-Identifier: GPL-2.0
/*
 * PLUMB_SET_SREGS' checks, the same for both backends. Before, each
 * backend checked a few bits and let the rest reach VM entry: VMX refuses
 * a bad state itself (an entry-failure record), but SVM's VMRUN checks
 * little, and a fuzzer that set EFER.LMA with CR0.PG=0 and similar states
 * on QEMU's nested SVM left a host CPU taking no interrupts (issue 15).
 */
#include "sregs.h"

#define CR0_PE	(1ULL << 0)
#define CR0_MP	(1ULL << 1)
#define CR0_EM	(1ULL << 2)
#define CR0_TS	(1ULL << 3)
#define CR0_ET	(1ULL << 4)
#define CR0_NE	(1ULL << 5)
#define CR0_WP	(1ULL << 16)
#define CR0_AM	(1ULL << 18)
#define CR0_NW	(1ULL << 29)
#define CR0_CD	(1ULL << 30)
#define CR0_PG	(1ULL << 31)
#define CR0_DEFINED	(CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | \
			 CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG)

#define CR4_PAE	(1ULL << 5)
#define CR4_PCIDE	(1ULL << 17)

#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

bool plumb_sregs_valid(const struct plumb_sregs *s,
		       const struct plumb_sregs_limits *l)
{
	bool paging = s->cr0 & CR0_PG;

	/* CR0: no undefined bit; NW needs CD; paging needs protection. */
	if ((s->cr0 & ~CR0_DEFINED) ||
	    ((s->cr0 & CR0_NW) && !(s->cr0 & CR0_CD)) ||
	    (paging && !(s->cr0 & CR0_PE)))
		return false;
	/* CR4: only what the CPU offers; CR8: the TPR's four bits. */
	if ((s->cr4 & ~l->cr4_allowed) || s->cr8 > 15)
		return false;
	if (s->efer & ~l->efer_allowed)
		return false;
	if ((s->efer & EFER_LME) && paging) {
		/*
		 * IA-32e mode: PAE paging, LMA set, a CR3 within the physical
		 * address width, and no code segment with both L and D.
		 */
		if (!(s->cr4 & CR4_PAE) || !(s->efer & EFER_LMA))
			return false;
		if (l->maxphyaddr < 64 && (s->cr3 >> l->maxphyaddr))
			return false;
		if (s->cs.l && s->cs.db)
			return false;
	} else {
		/* LMA is the CPU's, set only by paging with LME; no 64-bit CS. */
		if ((s->efer & EFER_LMA) || s->cs.l)
			return false;
		/* Outside IA-32e mode CR3 is 32 bits, and PCIDs do not exist. */
		if ((s->cr3 >> 32) || (s->cr4 & CR4_PCIDE))
			return false;
	}
	/*
	 * TR: a present busy TSS, a system descriptor: 64-bit (type 11) in
	 * IA-32e mode, 16- or 32-bit (3 or 11) otherwise (SDM Vol. 3C
	 * 26.3.1.2). VM entry checks this on VMX; SVM's VMRUN does not, and
	 * the first event the guest then takes needs the TSS (QEMU's nested
	 * SVM aborted the whole emulator on such a state: "invalid tss").
	 */
	if (s->tr.unusable || !s->tr.present || s->tr.s)
		return false;
	if (((s->efer & EFER_LMA) && s->tr.type != 11) ||
	    (s->tr.type != 3 && s->tr.type != 11))
		return false;
	/* Descriptor-table padding is reserved (the ABI's rule). */
	if (s->gdt.padding[0] | s->gdt.padding[1] | s->gdt.padding[2] |
	    s->idt.padding[0] | s->idt.padding[1] | s->idt.padding[2])
		return false;
	return true;
}
