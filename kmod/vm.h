/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vm.c: VM objects, their memory slots and posted ranges, and what VMs can
 * do (PLUMB_CHECK_CAPABILITY).
 */
#ifndef PLUMB_VM_H
#define PLUMB_VM_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/srcu.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>
#include <linux/plumb.h>

#include "mmu.h"

/* Limits advertised through PLUMB_CHECK_CAPABILITY. */
#define PLUMB_MAX_VCPUS		64
#define PLUMB_MAX_MEMSLOTS	32
#define PLUMB_MAX_POSTED_RANGES	16

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
bool plumb_posted(struct plumb_vm *vm, bool pio, u64 addr, u32 len);

#endif /* PLUMB_VM_H */
