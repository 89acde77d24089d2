/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Intel VT-x backend internals: architectural constants (SDM Vol. 3D
 * Appendix A-C, our own names, so the backend does not depend on KVM's
 * private headers), the per-VM and per-vCPU state, and the few functions
 * the backend's files share.
 */
#ifndef PLUMB_VMX_H
#define PLUMB_VMX_H

#include <linux/bits.h>
#include <linux/list.h>
#include <linux/types.h>

#define VMX_CPUID_1_ECX_VMX			BIT(5)

/* IA32_VMX_BASIC (SDM Vol. 3D A.1) */
#define VMXB_REVISION(b)			((u32)(b) & 0x7fffffff)
#define VMXB_VMCS_SIZE(b)			(((b) >> 32) & 0x1fff)
#define VMXB_INSOUTS_INFO				BIT_ULL(54)
#define VMXB_TRUE_CTLS			BIT_ULL(55)

/* Pin-based controls (SDM Vol. 3C 25.6.1) */
#define PIN_BASED_EXT_INTR_EXITING		BIT(0)
#define PIN_BASED_NMI_EXITING			BIT(3)
#define PIN_BASED_VIRTUAL_NMIS			BIT(5)
#define PIN_BASED_VMX_PREEMPTION_TIMER		BIT(6)

/* Primary processor-based controls (25.6.2) */
#define CPU_BASED_INTR_WINDOW_EXITING		BIT(2)
#define CPU_BASED_USE_TSC_OFFSETTING		BIT(3)
#define CPU_BASED_HLT_EXITING			BIT(7)
#define CPU_BASED_INVLPG_EXITING		BIT(9)
#define CPU_BASED_MWAIT_EXITING			BIT(10)
#define CPU_BASED_RDPMC_EXITING			BIT(11)
#define CPU_BASED_RDTSC_EXITING			BIT(12)
#define CPU_BASED_CR3_LOAD_EXITING		BIT(15)
#define CPU_BASED_CR3_STORE_EXITING		BIT(16)
#define CPU_BASED_CR8_LOAD_EXITING		BIT(19)
#define CPU_BASED_CR8_STORE_EXITING		BIT(20)
#define CPU_BASED_TPR_SHADOW			BIT(21)
#define CPU_BASED_NMI_WINDOW_EXITING		BIT(22)
#define CPU_BASED_MOV_DR_EXITING		BIT(23)
#define CPU_BASED_UNCOND_IO_EXITING		BIT(24)
#define CPU_BASED_USE_IO_BITMAPS		BIT(25)
#define CPU_BASED_MONITOR_TRAP_FLAG		BIT(27)
#define CPU_BASED_USE_MSR_BITMAPS		BIT(28)
#define CPU_BASED_MONITOR_EXITING		BIT(29)
#define CPU_BASED_PAUSE_EXITING			BIT(30)
#define CPU_BASED_ACTIVATE_SECONDARY_CONTROLS	BIT(31)

/* Secondary processor-based controls (25.6.2) */
#define SECONDARY_EXEC_ENABLE_EPT		BIT(1)
#define SECONDARY_EXEC_DESC_EXITING		BIT(2)
#define SECONDARY_EXEC_ENABLE_RDTSCP		BIT(3)
#define SECONDARY_EXEC_ENABLE_VPID		BIT(5)
#define SECONDARY_EXEC_WBINVD_EXITING		BIT(6)
#define SECONDARY_EXEC_UNRESTRICTED_GUEST	BIT(7)
#define SECONDARY_EXEC_ENABLE_INVPCID		BIT(12)

/* VM-exit controls (25.7.1) */
#define VM_EXIT_SAVE_DEBUG_CONTROLS		BIT(2)
#define VM_EXIT_HOST_ADDR_SPACE_SIZE		BIT(9)
#define VM_EXIT_ACK_INTR_ON_EXIT		BIT(15)
#define VM_EXIT_SAVE_IA32_PAT			BIT(18)
#define VM_EXIT_LOAD_IA32_PAT			BIT(19)
#define VM_EXIT_SAVE_IA32_EFER			BIT(20)
#define VM_EXIT_LOAD_IA32_EFER			BIT(21)

/* VM-entry controls (25.8.1) */
#define VM_ENTRY_LOAD_DEBUG_CONTROLS		BIT(2)
#define VM_ENTRY_IA32E_MODE			BIT(9)
#define VM_ENTRY_LOAD_IA32_PAT			BIT(14)
#define VM_ENTRY_LOAD_IA32_EFER			BIT(15)

/* IA32_VMX_EPT_VPID_CAP (A.10) */
#define VMX_EPT_PAGE_WALK_4_BIT			BIT_ULL(6)
#define VMX_EPTP_WB_BIT				BIT_ULL(14)
#define VMX_EPT_INVEPT_BIT			BIT_ULL(20)
#define VMX_EPT_EXTENT_CONTEXT_BIT		BIT_ULL(25)
#define VMX_EPT_EXTENT_GLOBAL_BIT		BIT_ULL(26)
#define VMX_VPID_INVVPID_BIT			BIT_ULL(32)
#define VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT	BIT_ULL(41)
#define VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT	BIT_ULL(42)

/* INVEPT / INVVPID types (SDM Vol. 3C 30.3) */
#define VMX_INVEPT_SINGLE			1
#define VMX_INVEPT_GLOBAL			2
#define VMX_INVVPID_SINGLE			1
#define VMX_INVVPID_ALL				2

/* EPTP (25.6.11): write-back, 4-level walk */
#define VMX_EPTP_MT_WB				6ULL
#define VMX_EPTP_PWL_4				(3ULL << 3)

/* VMCS field encodings (Appendix B) */
enum vmcs_field {
	VIRTUAL_PROCESSOR_ID		= 0x00000000,
	GUEST_ES_SELECTOR		= 0x00000800,	/* + 2 * segment */
	HOST_ES_SELECTOR		= 0x00000c00,
	HOST_CS_SELECTOR		= 0x00000c02,
	HOST_SS_SELECTOR		= 0x00000c04,
	HOST_DS_SELECTOR		= 0x00000c06,
	HOST_FS_SELECTOR		= 0x00000c08,
	HOST_GS_SELECTOR		= 0x00000c0a,
	HOST_TR_SELECTOR		= 0x00000c0c,
	IO_BITMAP_A			= 0x00002000,
	IO_BITMAP_B			= 0x00002002,
	MSR_BITMAP			= 0x00002004,
	VM_EXIT_MSR_STORE_ADDR		= 0x00002006,
	VM_EXIT_MSR_LOAD_ADDR		= 0x00002008,
	VM_ENTRY_MSR_LOAD_ADDR		= 0x0000200a,
	TSC_OFFSET			= 0x00002010,
	EPT_POINTER			= 0x0000201a,
	GUEST_PHYSICAL_ADDRESS		= 0x00002400,
	VMCS_LINK_POINTER		= 0x00002800,
	GUEST_IA32_DEBUGCTL		= 0x00002802,
	GUEST_IA32_PAT			= 0x00002804,
	GUEST_IA32_EFER			= 0x00002806,
	GUEST_PDPTR0			= 0x0000280a,	/* + 2 * n */
	HOST_IA32_PAT			= 0x00002c00,
	HOST_IA32_EFER			= 0x00002c02,
	PIN_BASED_VM_EXEC_CONTROL	= 0x00004000,
	CPU_BASED_VM_EXEC_CONTROL	= 0x00004002,
	EXCEPTION_BITMAP		= 0x00004004,
	PAGE_FAULT_ERROR_CODE_MASK	= 0x00004006,
	PAGE_FAULT_ERROR_CODE_MATCH	= 0x00004008,
	CR3_TARGET_COUNT		= 0x0000400a,
	VM_EXIT_CONTROLS		= 0x0000400c,
	VM_EXIT_MSR_STORE_COUNT		= 0x0000400e,
	VM_EXIT_MSR_LOAD_COUNT		= 0x00004010,
	VM_ENTRY_CONTROLS		= 0x00004012,
	VM_ENTRY_MSR_LOAD_COUNT		= 0x00004014,
	VM_ENTRY_INTR_INFO_FIELD	= 0x00004016,
	VM_ENTRY_EXCEPTION_ERROR_CODE	= 0x00004018,
	VM_ENTRY_INSTRUCTION_LEN	= 0x0000401a,
	SECONDARY_VM_EXEC_CONTROL	= 0x0000401e,
	VM_INSTRUCTION_ERROR		= 0x00004400,
	VM_EXIT_REASON			= 0x00004402,
	VM_EXIT_INTR_INFO		= 0x00004404,
	VM_EXIT_INTR_ERROR_CODE		= 0x00004406,
	IDT_VECTORING_INFO_FIELD	= 0x00004408,
	IDT_VECTORING_ERROR_CODE	= 0x0000440a,
	VM_EXIT_INSTRUCTION_LEN		= 0x0000440c,
	VMX_INSTRUCTION_INFO		= 0x0000440e,
	GUEST_ES_LIMIT			= 0x00004800,	/* + 2 * segment */
	GUEST_GDTR_LIMIT		= 0x00004810,
	GUEST_IDTR_LIMIT		= 0x00004812,
	GUEST_ES_AR_BYTES		= 0x00004814,	/* + 2 * segment */
	GUEST_INTERRUPTIBILITY_INFO	= 0x00004824,
	GUEST_ACTIVITY_STATE		= 0x00004826,
	GUEST_SYSENTER_CS		= 0x0000482a,
	VMX_PREEMPTION_TIMER_VALUE	= 0x0000482e,
	HOST_IA32_SYSENTER_CS		= 0x00004c00,
	CR0_GUEST_HOST_MASK		= 0x00006000,
	CR4_GUEST_HOST_MASK		= 0x00006002,
	CR0_READ_SHADOW			= 0x00006004,
	CR4_READ_SHADOW			= 0x00006006,
	EXIT_QUALIFICATION		= 0x00006400,
	GUEST_CR0			= 0x00006800,
	GUEST_CR3			= 0x00006802,
	GUEST_CR4			= 0x00006804,
	GUEST_ES_BASE			= 0x00006806,	/* + 2 * segment */
	GUEST_GDTR_BASE			= 0x00006816,
	GUEST_IDTR_BASE			= 0x00006818,
	GUEST_DR7			= 0x0000681a,
	GUEST_RSP			= 0x0000681c,
	GUEST_RIP			= 0x0000681e,
	GUEST_RFLAGS			= 0x00006820,
	GUEST_PENDING_DBG_EXCEPTIONS	= 0x00006822,
	GUEST_SYSENTER_ESP		= 0x00006824,
	GUEST_SYSENTER_EIP		= 0x00006826,
	HOST_CR0			= 0x00006c00,
	HOST_CR3			= 0x00006c02,
	HOST_CR4			= 0x00006c04,
	HOST_FS_BASE			= 0x00006c06,
	HOST_GS_BASE			= 0x00006c08,
	HOST_TR_BASE			= 0x00006c0a,
	HOST_GDTR_BASE			= 0x00006c0c,
	HOST_IDTR_BASE			= 0x00006c0e,
	HOST_IA32_SYSENTER_ESP		= 0x00006c10,
	HOST_IA32_SYSENTER_EIP		= 0x00006c12,
	HOST_RSP			= 0x00006c14,
	HOST_RIP			= 0x00006c16,
};

/*
 * The longest a guest runs without an exit when the preemption timer is
 * there: a backstop behind external-interrupt exiting (Bochs holds host
 * interrupts while a guest runs with EFLAGS.IF clear, measured), so that
 * RUN sees signals and the host its pending interrupts within this time.
 */
#define VMX_SLICE_MS	4

/* Basic exit reasons (Appendix C) */
#define EXIT_REASON_EXCEPTION_NMI	0
#define EXIT_REASON_EXTERNAL_INTERRUPT	1
#define EXIT_REASON_TRIPLE_FAULT	2
#define EXIT_REASON_INIT_SIGNAL		3
#define EXIT_REASON_SIPI_SIGNAL		4
#define EXIT_REASON_INTERRUPT_WINDOW	7
#define EXIT_REASON_NMI_WINDOW		8
#define EXIT_REASON_TASK_SWITCH		9
#define EXIT_REASON_CPUID		10
#define EXIT_REASON_GETSEC		11
#define EXIT_REASON_HLT			12
#define EXIT_REASON_INVD		13
#define EXIT_REASON_INVLPG		14
#define EXIT_REASON_RDPMC		15
#define EXIT_REASON_RDTSC		16
#define EXIT_REASON_VMCALL		18
#define EXIT_REASON_VMCLEAR		19
#define EXIT_REASON_VMLAUNCH		20
#define EXIT_REASON_VMPTRLD		21
#define EXIT_REASON_VMPTRST		22
#define EXIT_REASON_VMREAD		23
#define EXIT_REASON_VMRESUME		24
#define EXIT_REASON_VMWRITE		25
#define EXIT_REASON_VMOFF		26
#define EXIT_REASON_VMON		27
#define EXIT_REASON_CR_ACCESS		28
#define EXIT_REASON_DR_ACCESS		29
#define EXIT_REASON_IO_INSTRUCTION	30
#define EXIT_REASON_MSR_READ		31
#define EXIT_REASON_MSR_WRITE		32
#define EXIT_REASON_INVALID_STATE	33
#define EXIT_REASON_MSR_LOAD_FAIL	34
#define EXIT_REASON_MWAIT_INSTRUCTION	36
#define EXIT_REASON_MONITOR_TRAP_FLAG	37
#define EXIT_REASON_MONITOR_INSTRUCTION	39
#define EXIT_REASON_PAUSE_INSTRUCTION	40
#define EXIT_REASON_MCE_DURING_VMENTRY	41
#define EXIT_REASON_EPT_VIOLATION	48
#define EXIT_REASON_EPT_MISCONFIG	49
#define EXIT_REASON_INVEPT		50
#define EXIT_REASON_RDTSCP		51
#define EXIT_REASON_PREEMPTION_TIMER	52
#define EXIT_REASON_INVVPID		53
#define EXIT_REASON_WBINVD		54
#define EXIT_REASON_XSETBV		55
#define EXIT_REASON_INVPCID		58
#define EXIT_REASON_VMFUNC		59
#define EXIT_REASON_MAX			65
#define EXIT_REASON_FAILED_VMENTRY	BIT(31)

/* Interruption information (25.8.3, 27.2.2) */
#define INTR_INFO_VECTOR_MASK		0xffU
#define INTR_INFO_TYPE_SHIFT		8
#define INTR_INFO_TYPE_MASK		(7U << 8)
#define INTR_TYPE_EXT_INTR		(0U << 8)
#define INTR_TYPE_NMI			(2U << 8)
#define INTR_TYPE_HARD_EXCEPTION	(3U << 8)
#define INTR_TYPE_SOFT_INTR		(4U << 8)
#define INTR_TYPE_PRIV_SW_EXCEPTION	(5U << 8)
#define INTR_TYPE_SOFT_EXCEPTION	(6U << 8)
#define INTR_INFO_DELIVER_CODE		BIT(11)
#define INTR_INFO_UNBLOCK_NMI		BIT(12)
#define INTR_INFO_VALID			BIT(31)

/* Guest interruptibility (25.4.2) */
#define GUEST_INTR_STATE_STI		BIT(0)
#define GUEST_INTR_STATE_MOV_SS		BIT(1)
#define GUEST_INTR_STATE_NMI		BIT(3)

/* Segment access rights (25.4.1): the descriptor bits 47:40, 55:52 */
#define VMX_AR_L			BIT(13)	/* 64-bit code segment */
#define VMX_AR_UNUSABLE			BIT(16)

/* Guest segments in VMCS order: the field encodings step by 2. */
enum { VMX_ES, VMX_CS, VMX_SS, VMX_DS, VMX_FS, VMX_GS, VMX_LDTR, VMX_TR,
       VMX_NR_SEGS };

struct plumb_vcpu;
struct plumb_exit;

/* What the CPU offers, and the controls we run with (probe time). */
struct vmx_conf {
	u64 basic;
	u64 ept_vpid_cap;
	u32 revision;
	u32 pin, cpu, cpu2, exit, entry;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	bool vpid;
	bool preemption_timer;
	bool nmi_window;		/* virtual NMIs and NMI-window exiting */
	u32 preemption_slice;		/* timer value for VMX_SLICE_MS */
	bool feature_control_locked;
	int invept_type;		/* single-context if offered, else global */
	int invvpid_type;		/* likewise; 0: no INVVPID (no VPID) */
	u64 host_star, host_lstar, host_sfmask;
};
extern struct vmx_conf vmx_conf;

struct vmx_vm {
	void *msr_bitmap;		/* one page, all set: every MSR exits */
	u64 eptp;
};

struct vmx_seg {
	u64 base;
	u32 limit;
	u32 ar;
	u16 selector;
};

/*
 * The guest state, cached: read from the VMCS after every exit, written
 * back before the next entry when dirty. Everything outside the run path
 * (register ioctls, the emulator, the exit handlers) works on this copy, so
 * the VMCS is only ever touched with preemption off on the CPU it is
 * loaded on.
 */
struct vmx_guest {
	u64 rip, rflags;		/* RSP: vcpu->regs[PLUMB_RSP] */
	u64 cr0, cr2, cr3, cr4, cr8;	/* as the guest sees them */
	u64 efer, pat, debugctl;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 star, lstar, cstar, sfmask, kernel_gs_base;
	u64 gdt_base, idt_base;
	u32 gdt_limit, idt_limit;
	u32 interruptibility;
	struct vmx_seg seg[VMX_NR_SEGS];
	u64 pdptr[4];
	u64 dr[4], dr6, dr7;		/* the guest's (kmod/dr.h) */
	u64 tsc_offset;
};

/* The last exit, as read with interrupts off. */
struct vmx_exit_info {
	u32 reason;
	u32 intr_info, intr_err;
	u32 idt_info, idt_err;
	u32 insn_len, insn_info;
	u64 qual;
	u64 gpa;
};

struct vmx_vcpu {
	struct plumb_vcpu *vcpu;
	void *vmcs;			/* one page */
	u16 vpid;			/* 0: VPID off for this vCPU */
	int loaded_cpu;			/* where the VMCS is active, or -1 */
	struct list_head loaded_link;	/* on that CPU's list */
	bool launched;			/* VMRESUME, not VMLAUNCH */
	bool setup_done;		/* constant VMCS fields written */
	bool dirty;			/* guest state to write back */
	bool need_flush;		/* INVEPT/INVVPID before the next entry */
	bool relaunch;			/* VMCLEAR before the next entry */
	u32 entry_ctls, cpu_ctls;	/* per-vCPU copies of the controls */
	u32 inject_info, inject_err, inject_len;	/* event for the entry */
	u64 host_cr3, host_cr4, host_fs_base;		/* last written */
	struct vmx_guest g;
	struct vmx_exit_info exit;
};

static inline struct vmx_vcpu *to_vmx(struct plumb_vcpu *vcpu)
{
	return vcpu->backend;
}

/* vmenter.S: 0 after a VM exit, 1 if VMLAUNCH/VMRESUME failed. */
int plumb_vmx_enter(u64 *regs, u32 flags, u64 host_spec_ctrl);
void plumb_vmx_exit(void);

/* vmcs.c */
void vmx_vmcs_load(struct vmx_vcpu *vmx, int cpu);
void vmx_vmcs_clear(struct vmx_vcpu *vmx);
void vmx_vmcs_clear_local(struct vmx_vcpu *vmx);
void vmx_vmcs_setup(struct vmx_vcpu *vmx);
void vmx_write_guest(struct vmx_vcpu *vmx);
void vmx_read_guest(struct vmx_vcpu *vmx);
void vmx_write_host_per_entry(struct vmx_vcpu *vmx);
void vmx_flush(struct vmx_vcpu *vmx);
int vmx_cpu_enable(void);
void vmx_cpu_disable(void);
u64 vmx_hw_cr0(u64 cr0);
u64 vmx_hw_cr4(u64 cr4);
u32 vmx_insn_error(void);

/* exit.c */
int vmx_handle_exit(struct plumb_vcpu *vcpu, int entry_ret, u32 insn_error);
void vmx_inject_exception(struct plumb_vcpu *vcpu, u8 vector, bool has_err,
			  u32 err);
void vmx_skip_instruction(struct plumb_vcpu *vcpu, unsigned int len);
int vmx_load_pdptrs(struct plumb_vcpu *vcpu);

#endif /* PLUMB_VMX_H */
