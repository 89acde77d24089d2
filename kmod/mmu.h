/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmu.c: the nested page table (NPT or EPT) and guest memory access.
 */
#ifndef PLUMB_MMU_H
#define PLUMB_MMU_H

#include <linux/types.h>
#include <linux/mutex.h>

/* The nested page table (NPT or EPT): common walker, backend's PTE format. */
struct plumb_mmu {
	struct mutex lock;
	u64 *root;
	phys_addr_t root_pa;
	unsigned long nr_tables;
	int levels;
};

struct plumb_memslot;
struct plumb_vm;
struct plumb_vcpu;

/* Pinned guest pages, shown in /sys/class/misc/plumb/ (dev.c). */
extern atomic_long_t plumb_nr_pinned;

int plumb_mmu_init(struct plumb_mmu *mmu);
void plumb_mmu_destroy(struct plumb_mmu *mmu);
/* Resolve a nested fault: 1 mapped, 0 MMIO (no RAM/RO write), -errno. */
int plumb_mmu_fault(struct plumb_vcpu *vcpu, u64 gpa, bool write);
void plumb_mmu_zap(struct plumb_vm *vm, u64 gfn, u64 npages);
/* Take a logging slot's dirty bits, write-protect; true: flush the TLBs. */
bool plumb_mmu_take_dirty(struct plumb_vm *vm, struct plumb_memslot *slot,
			  unsigned long *buf);
int plumb_read_guest(struct plumb_vm *vm, u64 gpa, void *buf, size_t len);
int plumb_write_guest(struct plumb_vm *vm, u64 gpa, const void *buf,
		      size_t len);

#endif /* PLUMB_MMU_H */
