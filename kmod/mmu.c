// SPDX-License-Identifier: GPL-2.0
/*
 * The nested page table: guest-physical -> host-physical, 4 or 5 levels of
 * 512 entries (the backend says which: NPT follows the host's paging mode,
 * so a host with 5-level paging walks 5 levels), 4 KiB leaves. The walk is common; the entry format is the
 * backend's (NPT entries are ordinary x86-64 PTEs, EPT entries are not).
 *
 * Filled on demand from the memory slots on nested page faults. A page is
 * pinned (FOLL_LONGTERM) when first mapped and stays pinned until its slot
 * is deleted or the VM dies: we pin rather than follow MMU notifiers, so the
 * guest can never reach a page the host has freed or reused, even if the
 * launcher unmaps its memory under a running guest.
 *
 * Dirty-page logging (PLUMB_MEM_LOG_DIRTY; docs/decisions.md 141) is
 * write protection: in a logging slot a leaf is writable only while its
 * page's bit is set in the slot's bitmap. A write fault (a first write,
 * or one to a present read-only leaf) sets the bit and maps the page
 * writable, both under mmu->lock; plumb_mmu_take_dirty() takes the bits
 * and write-protects those leaves under the same lock, and its caller
 * then flushes every vCPU's TLB, so that the next write to each page
 * faults and sets its bit again. The kernel's own writes (access_guest())
 * set the bit after the write. Neither the EPT's A/D bits nor the NPT's
 * dirty bit is used: both backends, one mechanism.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/slab.h>

#include "backend.h"
#include "mmu.h"
#include "vcpu.h"
#include "vm.h"

#define PT_ENTRIES	512

atomic_long_t plumb_nr_pinned = ATOMIC_LONG_INIT(0);

/* Both formats keep the address in bits 51:12. */
static phys_addr_t entry_phys(u64 e)
{
	return e & GENMASK_ULL(51, 12);
}

static u64 *entry_table(u64 e)
{
	return phys_to_virt(entry_phys(e));
}

int plumb_mmu_init(struct plumb_mmu *mmu)
{
	mutex_init(&mmu->lock);
	mmu->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!mmu->root)
		return -ENOMEM;
	mmu->root_pa = virt_to_phys(mmu->root);
	mmu->nr_tables = 1;
	mmu->levels = plumb_ops->npt_levels();
	return 0;
}

static void free_table(u64 *table, int level)
{
	int i;

	if (level > 1)
		for (i = 0; i < PT_ENTRIES; i++)
			if (table[i])
				free_table(entry_table(table[i]), level - 1);
	free_page((unsigned long)table);
}

void plumb_mmu_destroy(struct plumb_mmu *mmu)
{
	if (mmu->root)
		free_table(mmu->root, mmu->levels);
	mmu->root = NULL;
}

static unsigned int pt_index(u64 gfn, int level)
{
	return (gfn >> (9 * (level - 1))) & (PT_ENTRIES - 1);
}

/* The leaf entry for @gfn, allocating tables on the way; NULL: no memory. */
static u64 *walk_alloc(struct plumb_mmu *mmu, u64 gfn)
{
	u64 *table = mmu->root;
	int level;

	lockdep_assert_held(&mmu->lock);
	for (level = mmu->levels; level > 1; level--) {
		u64 *e = &table[pt_index(gfn, level)];

		if (!*e) {
			u64 *next = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

			if (!next)
				return NULL;
			mmu->nr_tables++;
			WRITE_ONCE(*e, plumb_ops->npt_table(virt_to_phys(next)));
		}
		table = entry_table(*e);
	}
	return &table[pt_index(gfn, 1)];
}

/* The leaf entry for @gfn if its tables exist (the leaf may be 0), or NULL. */
static u64 *walk_find(struct plumb_mmu *mmu, u64 gfn)
{
	u64 *table = mmu->root;
	int level;

	lockdep_assert_held(&mmu->lock);
	for (level = mmu->levels; level > 1; level--) {
		u64 e = table[pt_index(gfn, level)];

		if (!e)
			return NULL;
		table = entry_table(e);
	}
	return &table[pt_index(gfn, 1)];
}

/*
 * May the guest write @page behind the host's back for the VM's lifetime?
 * Anonymous memory (a MAP_PRIVATE file mapping's written page is an
 * anonymous copy), shmem and memfd (swap-backed) and hugetlbfs: yes. The
 * page cache of any other file: no. Its filesystem tracks dirty pages
 * through the page tables and writes them back, and a page written
 * through the nested page table (or dirtied with set_page_dirty_lock())
 * under a long-term pin can lose that data or trip the filesystem's
 * checks in writeback (ext4). 6.5+ refuses such pins itself in GUP; 6.1
 * does not. We check the page we got, whatever the VMA became meanwhile.
 */
static bool slot_page_writable_ok(struct page *page)
{
	struct folio *folio = page_folio(page);

	return folio_test_anon(folio) || folio_test_swapbacked(folio) ||
	       folio_test_hugetlb(folio);
}

/*
 * Pin the page behind @gfn of @slot (once), with write access if allowed.
 * The slot's xarray holds only what is pinned, so its metadata grows with
 * the pages the guest touched, not with the size userspace claimed.
 *
 * Every pin is charged to the owner's locked_vm first, as VFIO does, so
 * RLIMIT_MEMLOCK bounds it (CAP_IPC_LOCK bypasses the limit): -ENOMEM
 * past the limit. The callers run in the VM owner's context (RUN and the
 * vCPU ioctls), whose limit is the one to apply.
 */
static struct page *slot_page(struct plumb_vm *vm, struct plumb_memslot *slot,
			      u64 gfn)
{
	unsigned long i = gfn - slot->base_gfn;
	unsigned int flags = FOLL_LONGTERM;
	struct page *page, *old;
	long n;
	int ret;

	page = xa_load(&slot->pages, i);
	if (page)
		return page;
	if (!(slot->flags & PLUMB_MEM_READONLY))
		flags |= FOLL_WRITE;
	ret = account_locked_vm(vm->mm, 1, true);
	if (ret)
		return ERR_PTR(ret);
	/* The _fast variant takes FOLL_LONGTERM on 6.1 as well. */
	n = pin_user_pages_fast(slot->uaddr + (i << PAGE_SHIFT), 1, flags,
				&page);
	if (n != 1) {
		ret = n < 0 ? n : -EFAULT;
		goto err_uncharge;
	}
	if ((flags & FOLL_WRITE) && !slot_page_writable_ok(page)) {
		ret = -EFAULT;
		goto err_unpin;
	}
	old = xa_cmpxchg(&slot->pages, i, NULL, page, GFP_KERNEL);
	if (old) {		/* another vCPU won the race, or no memory */
		unpin_user_page(page);
		account_locked_vm(vm->mm, 1, false);
		return xa_is_err(old) ? ERR_PTR(xa_err(old)) : old;
	}
	atomic_long_inc(&plumb_nr_pinned);
	atomic_long_inc(&vm->nr_pinned);
	return page;

err_unpin:
	unpin_user_page(page);
err_uncharge:
	account_locked_vm(vm->mm, 1, false);
	return ERR_PTR(ret);
}

/*
 * A fault in a logging slot, under mmu->lock: a write sets the page's
 * bit. Writable is the bit: a page read first is mapped read-only until
 * it is written, and one already logged dirty stays writable.
 */
static bool log_fault(struct plumb_memslot *slot, u64 gfn, bool write)
{
	unsigned long i = gfn - slot->base_gfn;

	if (write)
		set_bit(i, slot->dirty_bitmap);
	return test_bit(i, slot->dirty_bitmap);
}

int plumb_mmu_fault(struct plumb_vcpu *vcpu, u64 gpa, bool write)
{
	struct plumb_vm *vm = vcpu->vm;
	struct plumb_memslot *slot;
	u64 gfn = gpa >> PAGE_SHIFT;
	struct page *page;
	bool writable;
	u64 *leaf;
	int idx, ret;

	idx = srcu_read_lock(&vm->srcu);
	slot = plumb_find_slot(vm, gfn);
	writable = slot && !(slot->flags & PLUMB_MEM_READONLY);
	/* A read-only slot's writes are MMIO; a logging slot's are logged. */
	if (!slot || (write && !writable)) {
		ret = 0;	/* MMIO */
		goto out;
	}
	page = slot_page(vm, slot, gfn);
	if (IS_ERR(page)) {
		ret = PTR_ERR(page);
		goto out;
	}
	mutex_lock(&vm->mmu.lock);
	leaf = walk_alloc(&vm->mmu, gfn);
	if (leaf) {
		if (writable && slot->dirty_bitmap)
			writable = log_fault(slot, gfn, write);
		WRITE_ONCE(*leaf, plumb_ops->npt_leaf(page_to_phys(page),
						      writable));
		ret = 1;
	} else {
		ret = -ENOMEM;
	}
	mutex_unlock(&vm->mmu.lock);
out:
	srcu_read_unlock(&vm->srcu, idx);
	return ret;
}

/* Remove the leaves of [gfn, gfn + npages); the caller flushes the TLBs. */
void plumb_mmu_zap(struct plumb_vm *vm, u64 gfn, u64 npages)
{
	struct plumb_mmu *mmu = &vm->mmu;
	u64 end = gfn + npages;

	mutex_lock(&mmu->lock);
	while (gfn < end) {
		u64 *table = mmu->root;
		int level;

		for (level = mmu->levels; level > 1; level--) {
			u64 e = table[pt_index(gfn, level)];

			if (!e)
				break;
			table = entry_table(e);
		}
		if (level > 1) {
			/* Nothing mapped below this entry: skip its span. */
			u64 span = 1ULL << (9 * (level - 1));

			gfn = (gfn & ~(span - 1)) + span;
			continue;
		}
		WRITE_ONCE(table[pt_index(gfn, 1)], 0);
		gfn++;
	}
	mutex_unlock(&mmu->lock);
}

/*
 * PLUMB_GET_DIRTY_LOG's half: move @slot's dirty bits into @buf
 * (plumb_dirty_log_longs() of them), clearing them, and write-protect the
 * leaves of those pages, under mmu->lock against the fault path. Returns
 * whether any bit was set: then the caller must flush every vCPU's TLB
 * (plumb_vm_flush_tlbs()) before it returns to userspace, or a vCPU could
 * go on writing such a page through a translation it cached writable,
 * unlogged. The caller holds vm->slots_lock, which keeps @slot.
 */
bool plumb_mmu_take_dirty(struct plumb_vm *vm, struct plumb_memslot *slot,
			  unsigned long *buf)
{
	unsigned long n = plumb_dirty_log_longs(slot->npages), i, bit, done = 0;
	struct plumb_mmu *mmu = &vm->mmu;
	bool any = false;

	/* Up to 2^31 pages: the CPU is given up now and then (a mutex). */
	mutex_lock(&mmu->lock);
	for (i = 0; i < n; i++) {
		/* Atomic: access_guest() sets bits without mmu->lock. */
		buf[i] = READ_ONCE(slot->dirty_bitmap[i]) ?
			 xchg(&slot->dirty_bitmap[i], 0) : 0;
		any |= buf[i] != 0;
		if (!((i + 1) % 4096))
			cond_resched();
	}
	for_each_set_bit(bit, buf, slot->npages) {
		u64 *leaf = walk_find(mmu, slot->base_gfn + bit);

		if (leaf && *leaf)
			WRITE_ONCE(*leaf, plumb_ops->npt_leaf(entry_phys(*leaf),
							      false));
		if (!(++done % 4096))
			cond_resched();
	}
	mutex_unlock(&mmu->lock);
	return any;
}

/*
 * Copy between a buffer and guest-physical RAM (no MMIO); -EFAULT where no
 * slot backs the address, or on a write to a read-only slot. Writes are
 * logged in a logging slot, as the guest's own.
 */
static int access_guest(struct plumb_vm *vm, u64 gpa, void *buf, size_t len,
			bool write)
{
	int idx, ret = 0;

	idx = srcu_read_lock(&vm->srcu);
	while (len) {
		size_t off = offset_in_page(gpa);
		size_t n = min_t(size_t, len, PAGE_SIZE - off);
		struct plumb_memslot *slot = plumb_find_slot(vm, gpa >> PAGE_SHIFT);
		struct page *page;
		void *va;

		if (!slot || (write && (slot->flags & PLUMB_MEM_READONLY))) {
			ret = -EFAULT;
			break;
		}
		page = slot_page(vm, slot, gpa >> PAGE_SHIFT);
		if (IS_ERR(page)) {
			ret = PTR_ERR(page);
			break;
		}
		va = kmap_local_page(page);
		if (write) {
			memcpy(va + off, buf, n);
			set_page_dirty_lock(page);
		} else {
			memcpy(buf, va + off, n);
		}
		kunmap_local(va);
		/*
		 * Logged after the write: a PLUMB_GET_DIRTY_LOG that takes
		 * the bit finds the data in the page.
		 */
		if (write && slot->dirty_bitmap) {
			smp_mb__before_atomic();
			set_bit((gpa >> PAGE_SHIFT) - slot->base_gfn,
				slot->dirty_bitmap);
		}
		buf += n;
		gpa += n;
		len -= n;
	}
	srcu_read_unlock(&vm->srcu, idx);
	return ret;
}

int plumb_read_guest(struct plumb_vm *vm, u64 gpa, void *buf, size_t len)
{
	return access_guest(vm, gpa, buf, len, false);
}

int plumb_write_guest(struct plumb_vm *vm, u64 gpa, const void *buf,
		      size_t len)
{
	return access_guest(vm, gpa, (void *)buf, len, true);
}
