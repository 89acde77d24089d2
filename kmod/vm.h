/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vm.c: VM objects, their memory slots and posted ranges, and what VMs can
 * do (PLUMB_CHECK_CAPABILITY).
 */
#ifndef PLUMB_VM_H
#define PLUMB_VM_H

#include <linux/types.h>
#include <linux/bitops.h>
#include <linux/build_bug.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/srcu.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>
#include <linux/plumb.h>

#include "mgmt.h"
#include "mmu.h"

/* Limits advertised through PLUMB_CHECK_CAPABILITY. */
#define PLUMB_MAX_VCPUS		64
#define PLUMB_MAX_MEMSLOTS	32
#define PLUMB_MAX_POSTED_RANGES	16

struct file;
struct file_operations;
struct plumb_vcpu;
struct plumb_kvm_vm;

/* A guest memory slot. Pages are pinned on first guest access. */
struct plumb_memslot {
	u32 id;
	u32 flags;		/* PLUMB_MEM_* */
	u64 base_gfn;
	u64 npages;
	unsigned long uaddr;
	struct xarray pages;	/* page index -> pinned page, filled on fault */
	/*
	 * PLUMB_MEM_LOG_DIRTY only, else NULL: one bit per page written
	 * since the last PLUMB_GET_DIRTY_LOG (mmu.c), then as many bits
	 * for that ioctl's copy (plumb_dirty_log_longs() each).
	 */
	unsigned long *dirty_bitmap;
};

/*
 * The longs of one dirty bitmap of @npages: the uapi's __u64 words, since
 * the module is x86-64 only (little-endian, 64-bit longs).
 */
static inline unsigned long plumb_dirty_log_longs(u64 npages)
{
	BUILD_BUG_ON(BITS_PER_LONG != 64);
	return BITS_TO_LONGS(npages);
}

/* The VM's slots, replaced as a whole under vm->slots_lock, read under SRCU. */
struct plumb_memslots {
	unsigned int nr;
	struct plumb_memslot *slot[PLUMB_MAX_MEMSLOTS];
};

struct plumb_vm {
	struct mm_struct *mm;		/* owner: other processes get -EIO */
	kuid_t uid;			/* creator, for max_vms_per_user */
	/*
	 * The VM fd's file, which frees the VM when its last reference
	 * goes: the fd's own and one per vCPU fd (plumb_vcpu_getfd()).
	 */
	struct file *file;
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

	/* What the ABI that made the VM asks of the common code. */
	bool hypercall_exits;		/* VMCALL: a record, else -KVM_ENOSYS */
	bool halt_in_kernel;		/* HLT with IF=0 sleeps, no record */
	struct plumb_kvm_vm *kvm;	/* kvm/: KVM's ABI, else NULL */

	atomic_long_t nr_pinned;	/* guest pages pinned now */
	struct plumb_vm_mgmt mgmt;	/* genl.c: listed, paused, killed */
};

/* Did the management plane pause or kill the VM? Any context. */
static inline bool plumb_vm_ctl(struct plumb_vm *vm)
{
	return READ_ONCE(vm->mgmt.ctl) != 0;
}

long plumb_capability(unsigned long cap);
/* Live VMs, shown in /sys/class/misc/plumb/ (dev.c): leaks show. */
extern atomic_t plumb_nr_vms;
long plumb_create_vm(unsigned long type);
struct plumb_vm *plumb_vm_create(unsigned long type);
int plumb_vm_getfd(struct plumb_vm *vm, const struct file_operations *fops,
		   const char *name);
void plumb_vm_destroy(struct plumb_vm *vm);
void plumb_vm_flush_tlbs(struct plumb_vm *vm);
int plumb_vm_set_memory_region(struct plumb_vm *vm,
			       const struct plumb_memory_region *r);
int plumb_vm_set_posted_range(struct plumb_vm *vm,
			      const struct plumb_posted_range *p);
int plumb_vm_get_dirty_log(struct plumb_vm *vm, u32 slot,
			   void __user *bitmap);

/* Every ioctl and mmap comes from the VM's owner; others get -EIO. */
static inline bool plumb_vm_owner_ok(struct plumb_vm *vm)
{
	return current->mm == vm->mm;
}

/* Is [addr, addr+len) inside a posted range of this kind? Any context. */
static inline bool plumb_posted(struct plumb_vm *vm, bool pio, u64 addr,
				u32 len)
{
	unsigned int i, n = READ_ONCE(vm->nr_posted);

	for (i = 0; i < n && i < PLUMB_MAX_POSTED_RANGES; i++) {
		const struct plumb_posted_range *p = &vm->posted[i];

		if (!!(p->flags & PLUMB_POSTED_PIO) == pio && addr >= p->addr &&
		    addr + len <= p->addr + p->len)
			return true;
	}
	return false;
}

/*
 * The slots, and the one holding @gfn, for the MMU's fault path and guest
 * memory access as much as for vm.c: inline here, as KVM's
 * __gfn_to_memslot(), so that mmu.c needs no call into vm.c. Caller holds
 * vm->srcu (read) or vm->slots_lock.
 */
static inline struct plumb_memslots *plumb_vm_slots(struct plumb_vm *vm)
{
	return srcu_dereference_check(vm->slots, &vm->srcu,
				      lockdep_is_held(&vm->slots_lock));
}

static inline struct plumb_memslot *plumb_find_slot(struct plumb_vm *vm,
						    u64 gfn)
{
	struct plumb_memslots *slots = plumb_vm_slots(vm);
	unsigned int i;

	for (i = 0; i < slots->nr; i++) {
		struct plumb_memslot *s = slots->slot[i];

		if (gfn >= s->base_gfn && gfn - s->base_gfn < s->npages)
			return s;
	}
	return NULL;
}

#endif /* PLUMB_VM_H */
