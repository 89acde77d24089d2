/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The backend boundary. The VMX and SVM backends fill one struct
 * plumb_backend_ops each; common code calls through it and never sees a
 * VMCS or a VMCB. A backend calls back into the common code through the
 * narrow headers (vcpu.h, x86.h, emulate.h, msr.h, mmu.h, lapic.h, ...).
 */
#ifndef PLUMB_BACKEND_H
#define PLUMB_BACKEND_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/plumb.h>

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

/*
 * An event in flight, in the encoding SVM's EVENTINJ and VMX's
 * interruption information share (vector in bits 7:0, type in 10:8, the
 * error-code bit 11, valid bit 31), with the interrupt shadow
 * (PLUMB_SHADOW_*) and whether NMIs wait for an IRET.
 */
#define PLUMB_EV_VALID		BIT(31)
#define PLUMB_EV_ERR		BIT(11)
#define PLUMB_EV_TYPE_MASK	(7U << 8)
#define PLUMB_EV_TYPE_INTR	(0U << 8)
#define PLUMB_EV_TYPE_NMI	(2U << 8)
#define PLUMB_EV_TYPE_EXCEPT	(3U << 8)

struct plumb_events {
	u32 inject;		/* what the next entry delivers; 0: nothing */
	u32 error_code;
	u8 shadow;
	bool nmi_masked;
};

struct plumb_dr;

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
	/*
	 * Required. The events of PLUMB_GET/SET_VCPU_EVENTS the backend
	 * holds; vcpu.c checks a SET's values first.
	 */
	void (*get_events)(struct plumb_vcpu *vcpu, struct plumb_events *ev);
	void (*set_events)(struct plumb_vcpu *vcpu,
			   const struct plumb_events *ev);
	/*
	 * Required. Where the guest's DR0-3, DR6 and DR7 are kept
	 * (kmod/dr.h), for a caller that may write them before the next
	 * entry.
	 */
	void (*get_dr)(struct plumb_vcpu *vcpu, struct plumb_dr *d);
};

extern const struct plumb_backend_ops plumb_vmx_ops;
extern const struct plumb_backend_ops plumb_svm_ops;

/* backend.c: the backend main.c chose at load; constant afterwards. */
extern const struct plumb_backend_ops *plumb_ops;

/* backend.c: a feature for the load-time log line, from the backend's probe. */
void plumb_feature_add(struct plumb_features *feat, const char *name,
		       bool present, bool required);

#endif /* PLUMB_BACKEND_H */
