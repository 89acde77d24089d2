/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMCB: APM Vol. 2, Appendix B ("Layout of VMCB"). Our own definition;
 * offsets are pinned with static_assert below.
 */
#ifndef PLUMB_SVM_VMCB_H
#define PLUMB_SVM_VMCB_H

#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>

struct vmcb_control {
	u32 intercept_cr;		/* 0x000: reads 15:0, writes 31:16 */
	u32 intercept_dr;		/* 0x004 */
	u32 intercept_exceptions;	/* 0x008 */
	u32 intercept_misc1;		/* 0x00c */
	u32 intercept_misc2;		/* 0x010 */
	u32 intercept_misc3;		/* 0x014 */
	u8  reserved_018[0x03c - 0x018];
	u16 pause_filter_thresh;	/* 0x03c */
	u16 pause_filter_count;		/* 0x03e */
	u64 iopm_base_pa;		/* 0x040 */
	u64 msrpm_base_pa;		/* 0x048 */
	u64 tsc_offset;			/* 0x050 */
	u32 asid;			/* 0x058 */
	u8  tlb_control;		/* 0x05c */
	u8  reserved_05d[3];
	u32 int_ctl;			/* 0x060 */
	u32 int_vector;			/* 0x064 */
	u32 int_state;			/* 0x068 */
	u8  reserved_06c[4];
	u64 exit_code;			/* 0x070 */
	u64 exit_info_1;		/* 0x078 */
	u64 exit_info_2;		/* 0x080 */
	u32 exit_int_info;		/* 0x088 */
	u32 exit_int_info_err;		/* 0x08c */
	u64 nested_ctl;			/* 0x090 */
	u64 avic_vapic_bar;		/* 0x098 */
	u64 ghcb_gpa;			/* 0x0a0 */
	u32 event_inj;			/* 0x0a8 */
	u32 event_inj_err;		/* 0x0ac */
	u64 nested_cr3;			/* 0x0b0 */
	u64 virt_ext;			/* 0x0b8 */
	u32 clean;			/* 0x0c0 */
	u32 reserved_0c4;
	u64 next_rip;			/* 0x0c8 */
	u8  insn_len;			/* 0x0d0 */
	u8  insn_bytes[15];		/* 0x0d1 */
	u8  reserved_0e0[0x400 - 0x0e0];
};

struct vmcb_seg {
	u16 selector;
	u16 attrib;	/* type:4 s:1 dpl:2 p:1 avl:1 l:1 db:1 g:1 */
	u32 limit;
	u64 base;
};

struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs;	/* 0x400 */
	struct vmcb_seg gdtr, ldtr, idtr, tr;	/* 0x460 */
	u8  reserved_4a0[0x4cb - 0x4a0];
	u8  cpl;				/* 0x4cb */
	u32 reserved_4cc;
	u64 efer;				/* 0x4d0 */
	u8  reserved_4d8[0x548 - 0x4d8];
	u64 cr4;				/* 0x548 */
	u64 cr3;
	u64 cr0;
	u64 dr7;
	u64 dr6;
	u64 rflags;
	u64 rip;				/* 0x578 */
	u8  reserved_580[0x5d8 - 0x580];
	u64 rsp;				/* 0x5d8 */
	u64 s_cet, ssp, isst_addr;
	u64 rax;				/* 0x5f8 */
	u64 star, lstar, cstar, sfmask;		/* 0x600 */
	u64 kernel_gs_base;			/* 0x620 */
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 cr2;				/* 0x640 */
	u8  reserved_648[0x668 - 0x648];
	u64 g_pat;				/* 0x668 */
	u64 dbgctl;
	u64 br_from, br_to, last_excp_from, last_excp_to;
};

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
};

static_assert(offsetof(struct vmcb_control, iopm_base_pa) == 0x040);
static_assert(offsetof(struct vmcb_control, asid) == 0x058);
static_assert(offsetof(struct vmcb_control, int_ctl) == 0x060);
static_assert(offsetof(struct vmcb_control, exit_code) == 0x070);
static_assert(offsetof(struct vmcb_control, nested_ctl) == 0x090);
static_assert(offsetof(struct vmcb_control, event_inj) == 0x0a8);
static_assert(offsetof(struct vmcb_control, nested_cr3) == 0x0b0);
static_assert(offsetof(struct vmcb_control, next_rip) == 0x0c8);
static_assert(offsetof(struct vmcb_control, insn_bytes) == 0x0d1);
static_assert(sizeof(struct vmcb_control) == 0x400);
static_assert(offsetof(struct vmcb, save.cs) == 0x410);
static_assert(offsetof(struct vmcb, save.tr) == 0x490);
static_assert(offsetof(struct vmcb, save.cpl) == 0x4cb);
static_assert(offsetof(struct vmcb, save.efer) == 0x4d0);
static_assert(offsetof(struct vmcb, save.cr4) == 0x548);
static_assert(offsetof(struct vmcb, save.rip) == 0x578);
static_assert(offsetof(struct vmcb, save.rsp) == 0x5d8);
static_assert(offsetof(struct vmcb, save.rax) == 0x5f8);
static_assert(offsetof(struct vmcb, save.star) == 0x600);
static_assert(offsetof(struct vmcb, save.cr2) == 0x640);
static_assert(offsetof(struct vmcb, save.g_pat) == 0x668);

/* intercept_cr: reads of CRn are bit n, writes bit 16 + n */
#define INTERCEPT_CR4_WRITE	BIT(16 + 4)

/* intercept_dr: reads of DRn are bit n, writes bit 16 + n; all of DR0-7 */
#define INTERCEPT_DR_ALL	0x00ff00ffU

/* intercept_misc1 (APM Vol. 2 B, VMCB offset 0x00c) */
#define INTERCEPT_INTR		BIT(0)
#define INTERCEPT_NMI		BIT(1)
#define INTERCEPT_SMI		BIT(2)
#define INTERCEPT_INIT		BIT(3)
#define INTERCEPT_VINTR		BIT(4)
#define INTERCEPT_RDPMC		BIT(15)
#define INTERCEPT_CPUID		BIT(18)
#define INTERCEPT_INVD		BIT(22)
#define INTERCEPT_HLT		BIT(24)
#define INTERCEPT_INVLPGA	BIT(26)
#define INTERCEPT_IOIO_PROT	BIT(27)
#define INTERCEPT_MSR_PROT	BIT(28)
#define INTERCEPT_IRET		BIT(20)
#define INTERCEPT_SHUTDOWN	BIT(31)
/* intercept_misc2 (offset 0x010) */
#define INTERCEPT_VMRUN		BIT(0)
#define INTERCEPT_VMMCALL	BIT(1)
#define INTERCEPT_VMLOAD	BIT(2)
#define INTERCEPT_VMSAVE	BIT(3)
#define INTERCEPT_STGI		BIT(4)
#define INTERCEPT_CLGI		BIT(5)
#define INTERCEPT_SKINIT	BIT(6)
#define INTERCEPT_MONITOR	BIT(10)
#define INTERCEPT_WBINVD	BIT(9)
#define INTERCEPT_MWAIT		BIT(11)
#define INTERCEPT_XSETBV	BIT(13)

/* int_ctl */
#define V_IRQ			BIT(8)
#define V_INTR_PRIO_SHIFT	16
#define V_IGN_TPR		BIT(20)
#define V_INTR_MASKING		BIT(24)
#define SVM_INTERRUPT_SHADOW	BIT(0)		/* int_state */

/* nested_ctl */
#define SVM_NESTED_CTL_NP_ENABLE	BIT_ULL(0)

/* tlb_control */
#define TLB_CONTROL_DO_NOTHING	0
#define TLB_CONTROL_FLUSH_ALL	1
#define TLB_CONTROL_FLUSH_ASID	3

/* event_inj */
#define SVM_EVTINJ_VALID	BIT(31)
#define SVM_EVTINJ_VALID_ERR	BIT(11)
#define SVM_EVTINJ_TYPE_INTR	(0 << 8)
#define SVM_EVTINJ_TYPE_NMI	(2 << 8)
#define SVM_EVTINJ_TYPE_EXEPT	(3 << 8)
#define SVM_EVTINJ_TYPE_SOFT	(4 << 8)	/* INT n */
#define SVM_EVTINJ_TYPE_MASK	(7 << 8)
#define SVM_EVTINJ_VEC_MASK	0xff

/* Exit codes (APM Vol. 2 Appendix C) */
#define SVM_EXIT_READ_CR0	0x000
#define SVM_EXIT_WRITE_CR0	0x010
#define SVM_EXIT_WRITE_CR4	0x014
#define SVM_EXIT_READ_DR0	0x020
#define SVM_EXIT_WRITE_DR0	0x030
#define SVM_EXIT_EXCP_BASE	0x040
#define SVM_EXIT_DB		(SVM_EXIT_EXCP_BASE + 1)
#define SVM_EXIT_AC		(SVM_EXIT_EXCP_BASE + 17)
#define SVM_EXIT_INTR		0x060
#define SVM_EXIT_VINTR		0x064
#define SVM_EXIT_NMI		0x061
#define SVM_EXIT_SMI		0x062
#define SVM_EXIT_INIT		0x063
#define SVM_EXIT_RDPMC		0x06f
#define SVM_EXIT_IRET		0x074
#define SVM_EXIT_CPUID		0x072
#define SVM_EXIT_INVD		0x076
#define SVM_EXIT_PAUSE		0x077
#define SVM_EXIT_HLT		0x078
#define SVM_EXIT_INVLPGA	0x07a
#define SVM_EXIT_IOIO		0x07b
#define SVM_EXIT_MSR		0x07c
#define SVM_EXIT_SHUTDOWN	0x07f
#define SVM_EXIT_VMRUN		0x080
#define SVM_EXIT_VMMCALL	0x081
#define SVM_EXIT_VMLOAD		0x082
#define SVM_EXIT_VMSAVE		0x083
#define SVM_EXIT_STGI		0x084
#define SVM_EXIT_CLGI		0x085
#define SVM_EXIT_SKINIT		0x086
#define SVM_EXIT_MONITOR	0x08a
#define SVM_EXIT_WBINVD		0x089
#define SVM_EXIT_MWAIT		0x08b
#define SVM_EXIT_XSETBV		0x08d
#define SVM_EXIT_NPF		0x400
#define SVM_EXIT_MAX		0x401
#define SVM_EXIT_INVALID	((u64)-1)

/* IOIO exit_info_1 (APM Vol. 2 15.10.2) */
#define SVM_IOIO_TYPE_IN	BIT(0)
#define SVM_IOIO_STR		BIT(2)
#define SVM_IOIO_REP		BIT(3)
#define SVM_IOIO_SIZE_SHIFT	4
#define SVM_IOIO_SIZE_MASK	(7 << SVM_IOIO_SIZE_SHIFT)
#define SVM_IOIO_PORT_SHIFT	16

/* NPF exit_info_1: the #PF error code bits */
#define SVM_NPF_PRESENT		BIT_ULL(0)
#define SVM_NPF_WRITE		BIT_ULL(1)
#define SVM_NPF_FETCH		BIT_ULL(4)

#endif /* PLUMB_SVM_VMCB_H */
