/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The KVM ABI personality: /dev/plumb-kvm (and, with kvm_personality=on,
 * /dev/kvm) speaks KVM's ioctls, from <linux/kvm.h>, on top of the common
 * VM and vCPU objects. What it implements, and what answers 0, is in
 * docs/abi.md ("The KVM personality").
 *
 * dev.c: the system fd (version, supported CPUID, MSR list, CREATE_VM)
 * and the two device nodes; vm.c: the VM fd (capabilities, memory slots,
 * the split irqchip's GSI routes and lines, MSIs, coalesced zones); vcpu.c:
 * the vCPU fd (kvm_run and RUN's translation of plumb's exit records into
 * exits and the coalesced ring, register and LAPIC state). Calls go
 * dev.c -> vm.c -> vcpu.c only.
 */
#ifndef PLUMB_KVM_H
#define PLUMB_KVM_H

#include <linux/kvm.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/version.h>
#include <linux/plumb.h>

#include "../vm.h"

/*
 * kvm_run.immediate_exit, which 6.10's uapi header hides from kernel code
 * as immediate_exit__unsafe (KVM reads it once per KVM_RUN; so do we).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define plumb_kvm_immediate_exit(run)	READ_ONCE((run)->immediate_exit__unsafe)
#else
#define plumb_kvm_immediate_exit(run)	READ_ONCE((run)->immediate_exit)
#endif

/* KVM's ABI version: QEMU and kvmtool want exactly this. */
#define PLUMB_KVM_API_VERSION	12
/* GSI routes (KVM_CAP_IRQ_ROUTING): GSIs are below this. */
#define PLUMB_KVM_MAX_ROUTES	1024
/* The vCPU mmap: kvm_run, the PIO data page, the coalesced ring. */
#define PLUMB_KVM_RUN_PAGES	3

struct plumb_kvm_route {
	u32 gsi;
	struct plumb_msi msi;
};

/* The GSI routing table, replaced whole (KVM_SET_GSI_ROUTING) under RCU. */
struct plumb_kvm_routes {
	struct rcu_head rcu;
	u32 nr;
	struct plumb_kvm_route e[];
};

/* A VM of KVM's ABI: what plumb_vm lacks (vm->kvm). */
struct plumb_kvm_vm {
	struct mutex lock;		/* the fields below but the ring */
	bool split_irqchip;		/* ENABLE_CAP(SPLIT_IRQCHIP) done */
	u32 ioapic_pins;		/* ... its args[0] */
	u64 tss_addr;			/* SET_TSS_ADDR: kept, not used */
	struct plumb_kvm_routes __rcu *routes;
	/* Coalesced zones, each also a posted range of the VM. */
	struct kvm_coalesced_mmio_zone zones[PLUMB_MAX_POSTED_RANGES];
	unsigned int nr_zones;
	/* The coalesced ring: page 2 of every vCPU's mmap. */
	spinlock_t ring_lock;
	struct page *ring_page;
	struct kvm_coalesced_mmio_ring *ring;
	u32 ring_last;			/* the kernel's producer index */
};

/* A vCPU of KVM's ABI (vcpu->kvm). */
struct plumb_kvm_vcpu {
	struct page *run_page;		/* struct kvm_run, mmap page 0 */
	struct page *pio_page;		/* I/O data, mmap page 1 */
	struct kvm_run *run;
	void *pio;
	u32 cons;			/* next ring record to translate */
	/* The IN or MMIO read given to userspace: where its data goes. */
	bool reply;
	u32 reply_slot;
	u32 reply_reason;
	u32 reply_len;
};

/* vm.c */
extern const struct file_operations plumb_kvm_vm_fops;
long plumb_kvm_create_vm(unsigned long type);
long plumb_kvm_check_extension(unsigned long cap);

/* vcpu.c */
long plumb_kvm_create_vcpu(struct plumb_vm *vm, unsigned long id);
void plumb_kvm_vcpu_free(struct plumb_vcpu *vcpu);

/* dev.c */
int plumb_kvm_dev_init(void);
void plumb_kvm_dev_exit(void);
ssize_t plumb_kvm_nodes_show(char *buf);

#endif /* PLUMB_KVM_H */
