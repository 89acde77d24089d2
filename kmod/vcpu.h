/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcpu.c: vCPU objects, the exit ring shared with userspace and the run
 * loop; and the exit records the backends and common code produce.
 */
#ifndef PLUMB_VCPU_H
#define PLUMB_VCPU_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/rcuwait.h>
#include <linux/plumb.h>
#include <linux/plumb_genl.h>

#include "decode.h"
#include "lapic.h"

#define PLUMB_RING_ENTRIES	1024
/* Jiffies a posted record may wait for the vCPU's next exit to userspace. */
#define PLUMB_POSTED_MAX_AGE	max(2, HZ / 200)
#define PLUMB_MAX_MSR_ENTRIES	256
/*
 * Machine-check banks kept as storage for userspace's MSR ioctls only:
 * IA32_MCG_CAP says there are none (no machine check is ever raised) and
 * the guest's access is #GP, but a management stack that saves and
 * restores them (QEMU's 10) finds them there (msr.c plumb_msr_host()).
 */
#define PLUMB_MCE_BANKS		32

struct file;
struct file_operations;
struct inode;
struct plumb_vm;
struct plumb_kvm_vcpu;

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

/* The exit ring, shared with userspace (vcpu.c). */
struct plumb_vcpu_ring {
	void *area;			/* the header, then the entries */
	struct plumb_ring_header *hdr;
	struct plumb_exit *entries;
	u32 prod;			/* the kernel's producer index */
	unsigned long posted_since;	/* jiffies of the oldest posted record */
};

/* Guest FPU state, switched around each entry (fpu.c). */
struct plumb_vcpu_fpu {
	void *xsave;			/* guest XSAVE area */
	u64 xcr0;			/* guest XCR0 */
	u32 pkru;			/* guest PKRU (0 at reset) */
	u32 host_pkru;			/* the thread's, around an entry */
};

/*
 * MSR values kept as plain storage for both vendors: msr.c's, pvclock.c's,
 * and IA32_TSC_ADJUST, which the backends fold into the TSC offset.
 */
struct plumb_vcpu_msrs {
	u64 tsc_aux;
	u64 tsc_adjust;			/* IA32_TSC_ADJUST (SDM Vol. 3B 18.17.3) */
	u64 misc_enable;
	u64 pvclock_system_time, pvclock_wall;	/* the guest's MSR values */
	u32 pvclock_version;
	u64 mtrr_def_type;
	u64 mtrr_var[16];		/* base/mask pairs 0x200..0x20f */
	u64 mtrr_fixed[11];
	u64 mcg_ctl;			/* IA32_MCG_CTL */
	u64 mce_banks[PLUMB_MCE_BANKS * 4];	/* IA32_MCi_CTL..MISC */
};

/*
 * Counters the management plane reports (genl.c, PLUMB_STAT_*): written
 * by the vCPU's own thread only, in its own struct, so that keeping them
 * costs the exit path no shared cache line; readers take them as they are.
 */
struct plumb_vcpu_stats {
	u64 runs;			/* vcpu_run() */
	u64 exits;			/* the backends' vcpu_run ops */
	u64 exits_user;			/* RUN returns to userspace */
	u64 records;			/* ring records written */
	u64 posted;			/* ... of them posted writes */
	u64 irqs;			/* interrupts injected */
	u64 nmis;			/* NMIs injected */
	u64 halts;			/* plumb_emulate_hlt() */
	u64 halt_ns;			/* asleep in HLT */
	u64 guest_tsc;			/* TSC cycles from entry to exit */
	u64 exit_reason[PLUMB_XR_NR];	/* PLUMB_XR_*, set by the backends */
	unsigned long events;		/* PLUMB_MGMT_EV_* not sent yet */
};

/* A backend's exit, counted under the common vocabulary. */
static inline void plumb_stat_exit(struct plumb_vcpu_stats *s,
				   unsigned int reason)
{
	if (reason >= PLUMB_XR_NR)
		reason = PLUMB_XR_OTHER;
	s->exit_reason[reason]++;
}

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

	struct plumb_vcpu_ring ring;
	struct plumb_pending pending;	/* the reply awaited from userspace */
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
	struct plumb_vcpu_fpu fpu;
	struct plumb_vcpu_msrs msrs;
	void *backend;

	struct plumb_lapic lapic;
	unsigned long requests;		/* PLUMB_REQ_* */
	struct rcuwait wait;		/* RUN sleeps here (HLT, WAIT_SIPI) */
	bool halted;			/* in HLT: wait for an interrupt */
	bool halted_masked;		/* ... with IF=0: for an NMI or INIT */
	bool irq_window_wanted;		/* userspace PIC: PLUMB_RUN_IRQ_WINDOW */
	u32 mp_state;			/* PLUMB_MP_* */
	struct plumb_kvm_vcpu *kvm;	/* kvm/: KVM's ABI, else NULL */

	struct plumb_vcpu_stats stats;
};

/* Indices into plumb_vcpu.regs, in x86 encoding order. */
enum {
	PLUMB_RAX, PLUMB_RCX, PLUMB_RDX, PLUMB_RBX,
	PLUMB_RSP, PLUMB_RBP, PLUMB_RSI, PLUMB_RDI,
	PLUMB_R8, PLUMB_R9, PLUMB_R10, PLUMB_R11,
	PLUMB_R12, PLUMB_R13, PLUMB_R14, PLUMB_R15,
};

/* Live vCPUs, shown in /sys/class/misc/plumb/ (dev.c): leaks show. */
extern atomic_t plumb_nr_vcpus;

/* plumb_vcpu_run(): the interrupt window userspace asked for is open. */
#define PLUMB_RUN_IRQ_WINDOW	1

int plumb_create_vcpu(struct plumb_vm *vm, unsigned long id);
struct plumb_vcpu *plumb_vcpu_create(struct plumb_vm *vm, unsigned long id);
int plumb_vcpu_getfd(struct plumb_vcpu *vcpu,
		     const struct file_operations *fops, const char *name);
int plumb_vcpu_release(struct inode *inode, struct file *filp);
void plumb_vcpu_destroy(struct plumb_vcpu *vcpu);
int plumb_vcpu_run(struct plumb_vcpu *vcpu);
void plumb_vcpu_get_regs(struct plumb_vcpu *vcpu, struct plumb_regs *r);
void plumb_vcpu_get_events(struct plumb_vcpu *vcpu,
			   struct plumb_vcpu_events *e);
int plumb_vcpu_set_events(struct plumb_vcpu *vcpu,
			  const struct plumb_vcpu_events *e);
/*
 * The state ioctls whose struct is KVM's byte for byte: the handlers of
 * both ABIs' tables (ioctl.h), vcpu.c's and kvm/vcpu.c's.
 */
long plumb_ioc_get_events(void *obj, void *arg, unsigned long raw);
long plumb_ioc_set_events(void *obj, void *arg, unsigned long raw);
long plumb_ioc_get_debugregs(void *obj, void *arg, unsigned long raw);
long plumb_ioc_set_debugregs(void *obj, void *arg, unsigned long raw);
long plumb_ioc_get_xsave(void *obj, void *arg, unsigned long raw);
long plumb_ioc_set_xsave(void *obj, void *arg, unsigned long raw);
long plumb_ioc_get_xcrs(void *obj, void *arg, unsigned long raw);
long plumb_ioc_set_xcrs(void *obj, void *arg, unsigned long raw);
void plumb_vcpu_set_regs(struct plumb_vcpu *vcpu, const struct plumb_regs *r);
int plumb_vcpu_set_sregs(struct plumb_vcpu *vcpu, const struct plumb_sregs *s);
long plumb_vcpu_msrs(struct plumb_vcpu *vcpu, u32 nmsrs,
		     struct plumb_msr_entry __user *u, bool set);
struct plumb_cpuid_entry *plumb_cpuid_copy(const void __user *u, u32 nent);
int plumb_vcpu_set_cpuid(struct plumb_vcpu *vcpu, struct plumb_cpuid_entry *e,
			 u32 nent);
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

#endif /* PLUMB_VCPU_H */
