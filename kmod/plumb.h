/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Common, vendor-neutral module internals. The VMX and SVM backends fill one
 * struct plumb_backend_ops each; common code calls through it and never sees
 * a VMCS or a VMCB.
 */
#ifndef PLUMB_H
#define PLUMB_H

#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/srcu.h>
#include <linux/plumb.h>

#include <linux/hrtimer.h>
#include <linux/spinlock.h>
#include <linux/rcuwait.h>
#include <linux/xarray.h>

#include "compat.h"
#include "decode.h"
#include "apic.h"

/* Limits advertised through PLUMB_CHECK_CAPABILITY. */
#define PLUMB_MAX_VCPUS		64
#define PLUMB_MAX_MEMSLOTS	32
#define PLUMB_MAX_POSTED_RANGES	16
#define PLUMB_RING_ENTRIES	1024
/* Jiffies a posted record may wait for the vCPU's next exit to userspace. */
#define PLUMB_POSTED_MAX_AGE	max(2, HZ / 200)
#define PLUMB_MAX_CPUID_ENTRIES	256
#define PLUMB_MAX_MSR_ENTRIES	256

/* A feature the backend found, for the load-time log line. */
struct plumb_feature {
	const char *name;
	bool present;
	bool required;
};

#define PLUMB_MAX_FEATURES	16

struct plumb_features {
	unsigned int nr;
	struct plumb_feature f[PLUMB_MAX_FEATURES];
};

struct plumb_vm;
struct plumb_vcpu;

/* A guest memory slot. Pages are pinned on first guest access. */
struct plumb_memslot {
	u32 id;
	u32 flags;		/* PLUMB_MEM_* */
	u64 base_gfn;
	u64 npages;
	unsigned long uaddr;
	struct xarray pages;	/* page index -> pinned page, filled on fault */
};

/* The VM's slots, replaced as a whole under vm->slots_lock, read under SRCU. */
struct plumb_memslots {
	unsigned int nr;
	struct plumb_memslot *slot[PLUMB_MAX_MEMSLOTS];
};

/* The nested page table (NPT or EPT): common walker, backend's PTE format. */
struct plumb_mmu {
	struct mutex lock;
	u64 *root;
	phys_addr_t root_pa;
	unsigned long nr_tables;
	int levels;
};

struct plumb_vm {
	struct mm_struct *mm;		/* owner: other processes get -EIO */
	kuid_t uid;			/* creator, for max_vms_per_user */
	refcount_t refs;		/* VM fd + one per vCPU */
	struct mutex lock;		/* vCPU creation, posted ranges */
	struct mutex slots_lock;	/* memslot updates */
	struct plumb_memslots __rcu *slots;
	struct srcu_struct srcu;
	struct plumb_mmu mmu;
	atomic_t tlb_gen;		/* bumped when mappings are removed */
	struct plumb_vcpu *vcpus[PLUMB_MAX_VCPUS];
	unsigned int nr_vcpus;
	struct plumb_posted_range posted[PLUMB_MAX_POSTED_RANGES];
	unsigned int nr_posted;
	u32 msr_exits;			/* PLUMB_MSR_EXIT_* */
	u64 pvclock_tsc0;		/* host TSC at creation: pvclock's 0 */
	u64 spec_id;			/* spec_host.c: never reused, 0 = unset */
	void *backend;			/* the backend's per-VM state */
};

enum plumb_vcpu_mode {
	PLUMB_OUTSIDE_GUEST,
	PLUMB_IN_GUEST,
};

/* Where a string IN's data goes once userspace answered it. */
struct plumb_pending_string {
	u64 la;				/* linear address of the lowest byte */
	u32 len;
	u8 size;
	bool down;			/* EFLAGS.DF was set */
};

/*
 * Finishes the instruction behind a record once userspace replied: @reply
 * is the kernel's copy of it (vcpu_run). 0, or -errno for RUN.
 */
typedef int (*plumb_complete_fn)(struct plumb_vcpu *vcpu,
				 const struct plumb_exit *reply);

/*
 * What the vCPU waits for from userspace (the kernel's own copy): the
 * record, and the completion its producer gave plumb_ring_commit() (KVM's
 * complete_userspace_io), with the little state that completion needs.
 */
struct plumb_pending {
	plumb_complete_fn complete;	/* NULL: no reply awaited */
	u32 reason;			/* PLUMB_EXIT_* of that record */
	u32 slot;			/* its ring slot */
	union {
		struct plumb_insn mmio;	/* the MMIO read, decoded */
		struct plumb_pending_string string_in;
		u8 io_size;		/* the port IN's width */
	};
};

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

/* vcpu->requests bits */
#define PLUMB_REQ_EVENT		0	/* interrupt state changed: re-evaluate */
#define PLUMB_REQ_EOI		1	/* lapic.eoi_level: records to write */

struct plumb_vcpu {
	struct plumb_vm *vm;
	u32 id;
	struct mutex mutex;		/* one vCPU ioctl at a time */
	int mode;			/* enum plumb_vcpu_mode */
	int cpu;			/* where it runs, -1 when not loaded */
	int tlb_gen;			/* vm->tlb_gen last flushed for */

	/* the exit ring, shared with userspace */
	void *ring_area;
	struct plumb_ring_header *hdr;
	struct plumb_exit *ring;
	u32 prod;			/* the kernel's producer index */
	struct plumb_pending pending;
	bool dead;			/* shut down (triple fault) */

	struct plumb_cpuid_entry *cpuid;
	u32 nr_cpuid;

	/*
	 * All 16 guest GPRs, RAX and RSP included, in x86 encoding order
	 * (PLUMB_RAX..), on both backends: the backend moves RSP (and SVM's
	 * RAX) between here and its VMCS/VMCB around each entry. Common code
	 * reads and writes them here; RIP and RFLAGS are the backend's.
	 */
	u64 regs[16];
	void *fpu;			/* guest XSAVE area (fpu.c) */
	u64 xcr0;			/* guest XCR0 */
	u32 pkru;			/* guest PKRU (0 at reset) */
	u32 host_pkru;			/* the thread's, around an entry */

	/* MSRs that are plain storage on both vendors (msr.c) */
	u64 tsc_aux;
	u64 tsc_adjust;			/* IA32_TSC_ADJUST (SDM Vol. 3B 18.17.3) */
	u64 misc_enable;
	u64 pvclock_system_time, pvclock_wall;	/* the guest's MSR values */
	u32 pvclock_version;
	u64 mtrr_def_type;
	u64 mtrr_var[16];		/* base/mask pairs 0x200..0x20f */
	u64 mtrr_fixed[11];
	void *backend;
	u64 nr_exits;
	u64 nr_runs;

	struct plumb_lapic lapic;
	unsigned long requests;		/* PLUMB_REQ_* */
	struct rcuwait wait;		/* RUN sleeps here (HLT, WAIT_SIPI) */
	bool halted;			/* HLT with IF=1: wait for an interrupt */
	unsigned long posted_since;	/* jiffies of the oldest posted record */
	u32 mp_state;			/* PLUMB_MP_* */
	u64 nr_halts;
};

/* Indices into plumb_vcpu.regs, in x86 encoding order. */
enum {
	PLUMB_RAX, PLUMB_RCX, PLUMB_RDX, PLUMB_RBX,
	PLUMB_RSP, PLUMB_RBP, PLUMB_RSI, PLUMB_RDI,
	PLUMB_R8, PLUMB_R9, PLUMB_R10, PLUMB_R11,
	PLUMB_R12, PLUMB_R13, PLUMB_R14, PLUMB_R15,
};

/*
 * The backend ops table (STYLE.md habit 1). Required ops are checked by
 * plumb_backend_valid() before the module registers anything; optional ones
 * are marked so and may be NULL.
 */
struct plumb_backend_ops {
	const char *name;		/* "VMX" or "SVM" */
	u32 id;				/* PLUMB_BACKEND_* */

	/*
	 * Required. Is this backend usable on this machine? Fills @feat and
	 * returns 0, or returns -ENODEV after logging one line that names
	 * what is missing. Must not touch the CPU's virtualization state.
	 */
	int (*probe)(struct plumb_features *feat);

	/* Required. Enter/leave VMX root or set/clear EFER.SVME, per CPU. */
	int (*hardware_enable)(void);
	void (*hardware_disable)(void);

	/* Required. VM lifetime. */
	int (*vm_init)(struct plumb_vm *vm);
	void (*vm_destroy)(struct plumb_vm *vm);

	/* Required. vCPU lifetime, in the architectural reset state. */
	int (*vcpu_create)(struct plumb_vcpu *vcpu);
	void (*vcpu_free)(struct plumb_vcpu *vcpu);

	/*
	 * Required. Enter the guest once and handle the exit. Returns 1 to
	 * go on, 0 when a ring record needs userspace, or -errno.
	 */
	int (*vcpu_run)(struct plumb_vcpu *vcpu);

	/*
	 * Required. RIP and RFLAGS, which the backend keeps (the GPRs are
	 * vcpu->regs). set_rflags takes a value whose reserved bits are
	 * already right (bit 1 set, the others clear).
	 */
	u64 (*get_rip)(struct plumb_vcpu *vcpu);
	void (*set_rip)(struct plumb_vcpu *vcpu, u64 rip);
	u64 (*get_rflags)(struct plumb_vcpu *vcpu);
	void (*set_rflags)(struct plumb_vcpu *vcpu, u64 rflags);
	/*
	 * Required. Step over the instruction that exited, which the caller
	 * knows to be @len bytes long (its architectural length), and end an
	 * STI or MOV SS shadow over it. A backend that measured the
	 * instruction itself (VMX: the exit's instruction length; SVM:
	 * NRIP-save) uses its own measure, which counts redundant prefixes.
	 */
	void (*skip_instruction)(struct plumb_vcpu *vcpu, unsigned int len);
	/* Required. Exception @vector (with @err if @has_err), next entry. */
	void (*inject_exception)(struct plumb_vcpu *vcpu, u8 vector,
				 bool has_err, u32 err);
	/* Required. Register state. */
	void (*get_sregs)(struct plumb_vcpu *vcpu, struct plumb_sregs *sregs);
	int (*set_sregs)(struct plumb_vcpu *vcpu,
			 const struct plumb_sregs *sregs);
	/*
	 * Required. An MSR, for the guest's RDMSR/WRMSR and for the MSR
	 * ioctls alike: 0, -EINVAL for a #GP (a value the MSR refuses, or
	 * an MSR the guest's CPUID does not offer), or -ENOENT for an MSR
	 * the kernel does not know (x86.c: userspace's, if it asked).
	 */
	int (*get_msr)(struct plumb_vcpu *vcpu, u32 index, u64 *data);
	int (*set_msr)(struct plumb_vcpu *vcpu, u32 index, u64 data);

	/*
	 * Required. Nested page table entries: a table pointer, and a leaf
	 * for a 4 KiB page. Zero always means "not present".
	 */
	u64 (*npt_table)(phys_addr_t pa);
	u64 (*npt_leaf)(phys_addr_t pa, bool writable);
	/* Required. Levels of the nested page table: 4 or 5. */
	int (*npt_levels)(void);

	/*
	 * Required. Interrupt injection: can the guest take an external
	 * interrupt now (IF, no interrupt shadow, nothing being injected)?
	 * If not, exit as soon as it can. Inject @vector at the next entry.
	 */
	bool (*interrupt_allowed)(struct plumb_vcpu *vcpu);
	void (*enable_irq_window)(struct plumb_vcpu *vcpu);
	void (*inject_interrupt)(struct plumb_vcpu *vcpu, u8 vector);
	/* Required. NMIs: blocked from an injected NMI to the guest's IRET. */
	bool (*nmi_allowed)(struct plumb_vcpu *vcpu);
	void (*inject_nmi)(struct plumb_vcpu *vcpu);
	/* Optional: exit as soon as an NMI can be injected. */
	void (*enable_nmi_window)(struct plumb_vcpu *vcpu);
	/* Required. INIT: the architectural INIT state (SDM Vol. 3A 9.1.1). */
	void (*vcpu_reset)(struct plumb_vcpu *vcpu);
	/* Required. Guest TSC minus host TSC. */
	u64 (*tsc_offset)(struct plumb_vcpu *vcpu);
};

extern const struct plumb_backend_ops plumb_vmx_ops;
extern const struct plumb_backend_ops plumb_svm_ops;

/* The backend chosen at load; constant afterwards. */
extern const struct plumb_backend_ops *plumb_ops;

void plumb_feature_add(struct plumb_features *feat, const char *name,
		       bool present, bool required);

/* vm.c */
long plumb_capability(unsigned long cap);
/* Live objects, shown in /sys/class/misc/plumb/ (dev.c): leaks show. */
extern atomic_t plumb_nr_vms;
extern atomic_t plumb_nr_vcpus;
extern atomic_long_t plumb_nr_pinned;
long plumb_create_vm(unsigned long type);
void plumb_vm_put(struct plumb_vm *vm);
bool plumb_vm_owner_ok(struct plumb_vm *vm);
struct plumb_memslot *plumb_find_slot(struct plumb_vm *vm, u64 gfn);
void plumb_vm_flush_tlbs(struct plumb_vm *vm);

/*
 * A fault-class exception (SDM Vol. 3A 6.5, Table 6-1): not the traps #DB,
 * #BP and #OF, nor the aborts #DF and #MC. Its handler sees RF set in the
 * pushed RFLAGS (6.8.3), which an injected one only has if we set it.
 */
static inline bool plumb_exception_is_fault(u8 vector)
{
	return vector < 32 && !((BIT(1) | BIT(3) | BIT(4) | BIT(8) | BIT(18)) &
				BIT(vector));
}

/* vcpu.c */
int plumb_create_vcpu(struct plumb_vm *vm, unsigned long id);
void plumb_vcpu_destroy(struct plumb_vcpu *vcpu);
struct plumb_exit *plumb_ring_next(struct plumb_vcpu *vcpu, u32 reason);
void plumb_ring_commit(struct plumb_vcpu *vcpu, struct plumb_exit *e,
		       plumb_complete_fn complete);
int plumb_ring_commit_write(struct plumb_vcpu *vcpu, struct plumb_exit *e,
			    bool pio, u64 addr, u32 len);
int plumb_exit_internal(struct plumb_vcpu *vcpu, u32 suberror, u32 ndata,
			const u64 *data);
u32 plumb_ring_free(struct plumb_vcpu *vcpu);
int plumb_exit_shutdown(struct plumb_vcpu *vcpu);
int plumb_exit_io(struct plumb_vcpu *vcpu, u16 port, u8 size, bool in);
bool plumb_posted(struct plumb_vm *vm, bool pio, u64 addr, u32 len);

/* Where a backend keeps the MSRs that are part of the guest state. */
struct plumb_msr_state {
	u64 *star, *lstar, *cstar, *sfmask, *kernel_gs_base;
	u64 *fs_base, *gs_base;
	u64 *sysenter_cs, *sysenter_esp, *sysenter_eip;
	u64 *pat;
};

/*
 * x86.c: the intercepted instructions both vendors' exit tables point at.
 * Like vcpu_run's ops: 1 go on, 0 a record for userspace.
 */
int plumb_inject_gp(struct plumb_vcpu *vcpu);
int plumb_inject_ud(struct plumb_vcpu *vcpu);
int plumb_emulate_cpuid(struct plumb_vcpu *vcpu);
int plumb_emulate_hlt(struct plumb_vcpu *vcpu);
int plumb_emulate_invd(struct plumb_vcpu *vcpu);
int plumb_emulate_wbinvd(struct plumb_vcpu *vcpu);
int plumb_emulate_hypercall(struct plumb_vcpu *vcpu);
int plumb_emulate_xsetbv(struct plumb_vcpu *vcpu);
int plumb_emulate_rdmsr(struct plumb_vcpu *vcpu);
int plumb_emulate_wrmsr(struct plumb_vcpu *vcpu);
int plumb_emulate_rdpmc(struct plumb_vcpu *vcpu);

/* msr.c: as the get_msr/set_msr ops, 0, -EINVAL (#GP) or -ENOENT. */
int plumb_msr_get(struct plumb_vcpu *vcpu, u32 index, u64 *data);
int plumb_msr_set(struct plumb_vcpu *vcpu, u32 index, u64 data);

/* lapic.c */
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
/* pvclock.c: KVM's paravirtual clock MSRs */
bool plumb_pvclock_available(void);
int plumb_pvclock_msr_get(struct plumb_vcpu *vcpu, u32 msr, u64 *data);
int plumb_pvclock_msr_set(struct plumb_vcpu *vcpu, u32 msr, u64 data);

int plumb_lapic_signal_msi(struct plumb_vm *vm, const struct plumb_msi *msi);
int plumb_lapic_take_eoi(struct plumb_vcpu *vcpu);
int plumb_msr_get_state(struct plumb_vcpu *vcpu,
			const struct plumb_msr_state *m, u32 index, u64 *data);
int plumb_msr_set_state(struct plumb_vcpu *vcpu,
			const struct plumb_msr_state *m, u32 index, u64 data);
bool plumb_pat_valid(u64 pat);
bool plumb_is_canonical(u64 v);

/* mmu.c */
int plumb_mmu_init(struct plumb_mmu *mmu);
void plumb_mmu_destroy(struct plumb_mmu *mmu);
/* Resolve a nested fault: 1 mapped, 0 MMIO (no RAM/RO write), -errno. */
int plumb_mmu_fault(struct plumb_vcpu *vcpu, u64 gpa, bool write);
void plumb_mmu_zap(struct plumb_vm *vm, u64 gfn, u64 npages);
int plumb_read_guest(struct plumb_vm *vm, u64 gpa, void *buf, size_t len);
int plumb_write_guest(struct plumb_vm *vm, u64 gpa, const void *buf,
		      size_t len);

/* emulate.c: like vcpu_run's ops, 1 go on, 0 record for userspace */
int plumb_emulate_mmio(struct plumb_vcpu *vcpu, u64 gpa, const u8 *hw_bytes,
		       unsigned int hw_len);
int plumb_emulate_string_io(struct plumb_vcpu *vcpu, u16 port, u8 size,
			    bool in, bool rep, u8 addr_size, int seg,
			    u64 next_rip);
int plumb_decode_cr_write(struct plumb_vcpu *vcpu, u8 *cr, u64 *val, u8 *len);
int plumb_decode_dr_access(struct plumb_vcpu *vcpu, bool *write, u8 *dr,
			   u8 *gpr, u8 *len, bool *long64);

/* cpuid.c: what the guest's own CPUID table allows */
void plumb_cpuid_lookup(struct plumb_vcpu *vcpu, u32 fn, u32 idx, u32 *eax,
			u32 *ebx, u32 *ecx, u32 *edx);
u64 plumb_cr4_allowed(struct plumb_vcpu *vcpu);
bool plumb_cr4_valid(struct plumb_vcpu *vcpu, u64 old, u64 val, u64 cr3,
		     bool lma);
bool plumb_guest_cpuid_has(struct plumb_vcpu *vcpu, u32 fn, u32 idx, int reg,
			   int bit);
unsigned int plumb_guest_maxphyaddr(struct plumb_vcpu *vcpu);
#define PLUMB_GUEST_X2APIC(v)		plumb_guest_cpuid_has(v, 1, 0, 2, 21)
#define PLUMB_GUEST_TSC_ADJUST(v)	plumb_guest_cpuid_has(v, 7, 0, 1, 1)

/* fpu.c: guest FPU/XSAVE state, shared by the backends */
int plumb_fpu_probe(void);
int plumb_fpu_alloc(struct plumb_vcpu *vcpu);
void plumb_fpu_free(struct plumb_vcpu *vcpu);
int plumb_fpu_load_guest(struct plumb_vcpu *vcpu);
void plumb_fpu_save_guest(struct plumb_vcpu *vcpu);
int plumb_set_xcr(struct plumb_vcpu *vcpu, u32 index, u64 value);

/* spec_host.c: speculative-execution mitigations (spec.h) */
int plumb_spec_init(bool vmx);
u32 plumb_spec_before_entry(struct plumb_vm *vm, u64 *host_spec_ctrl);
void plumb_spec_after_exit(void);

/* hw.c: VMX/SVM on every online CPU while a VM exists */
int plumb_hw_get(void);
void plumb_hw_put(void);
bool plumb_hw_enabled_here(void);

/* dev.c */
int plumb_dev_init(void);
void plumb_dev_exit(void);

/* cpuid.c */
int plumb_cpuid_init(void);
void plumb_cpuid_exit(void);
long plumb_get_supported_cpuid(const struct plumb_cpuid *hdr,
			       struct plumb_cpuid __user *uc);

#endif /* PLUMB_H */
