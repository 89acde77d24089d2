// SPDX-License-Identifier: GPL-2.0
/*
 * VM objects: the VM fd, its memory slots and posted ranges, and what
 * VMs can do (PLUMB_CHECK_CAPABILITY).
 *
 * A VM belongs to the process (mm) that created it; every ioctl from
 * another mm gets -EIO, as with KVM. The VM lives while its fd or any vCPU
 * fd is open. Guest pages are pinned when the guest first touches them and
 * unpinned when their slot goes away, after every vCPU has stopped using
 * the old mappings: the host never frees a page the guest can still reach.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/tsc.h>

#include "backend.h"
#include "compat.h"
#include "cpuid.h"
#include "fpu.h"
#include "hw.h"
#include "ioctl.h"
#include "lapic.h"
#include "mmu.h"
#include "vcpu.h"
#include "vm.h"

/*
 * VMs per user (real uid), over all processes: with RLIMIT_MEMLOCK per
 * process, this is what bounds how much one user can pin. -EMFILE past it.
 */
static unsigned int max_vms_per_user = 64;
module_param(max_vms_per_user, uint, 0644);
MODULE_PARM_DESC(max_vms_per_user,
		 "VMs one user (real uid) may hold at once; 0: no limit (default 64)");

struct plumb_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int nr_vms;
};

static DEFINE_HASHTABLE(plumb_users, 6);
static DEFINE_SPINLOCK(plumb_users_lock);

static struct plumb_user *plumb_user_find(kuid_t uid)
{
	struct plumb_user *u;

	lockdep_assert_held(&plumb_users_lock);
	hash_for_each_possible(plumb_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/* Count one more VM for @uid, or -EMFILE at max_vms_per_user. */
static int plumb_user_get(kuid_t uid)
{
	unsigned int max = READ_ONCE(max_vms_per_user);
	struct plumb_user *u, *new;
	int ret = 0;

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	spin_lock(&plumb_users_lock);
	u = plumb_user_find(uid);
	if (!u) {
		u = new;
		new = NULL;
		u->uid = uid;
		hash_add(plumb_users, &u->node, __kuid_val(uid));
	}
	if (max && u->nr_vms >= max)
		ret = -EMFILE;	/* a new entry has 0 < max: never here */
	else
		u->nr_vms++;
	spin_unlock(&plumb_users_lock);
	kfree(new);
	return ret;
}

static void plumb_user_put(kuid_t uid)
{
	struct plumb_user *u, *gone = NULL;

	spin_lock(&plumb_users_lock);
	u = plumb_user_find(uid);
	if (!WARN_ON_ONCE(!u) && !--u->nr_vms) {
		hash_del(&u->node);
		gone = u;
	}
	spin_unlock(&plumb_users_lock);
	kfree(gone);
}

atomic_t plumb_nr_vms = ATOMIC_INIT(0);

/*
 * Unpin and free a slot, and take its pins off the owner's locked_vm. The
 * last VM reference may go after the owner's mm has exited (exit_mm()
 * runs before exit_files()): then nobody reads that count any more, and,
 * as VFIO, we leave it.
 */
static void slot_free(struct plumb_vm *vm, struct plumb_memslot *s)
{
	unsigned long i, n = 0;
	struct page *page;

	if (!s)
		return;
	xa_for_each(&s->pages, i, page) {
		unpin_user_page(page);
		n++;
	}
	xa_destroy(&s->pages);
	kvfree(s->dirty_bitmap);
	kfree(s);
	if (!n)
		return;
	atomic_long_sub(n, &plumb_nr_pinned);
	atomic_long_sub(n, &vm->nr_pinned);
	if (mmget_not_zero(vm->mm)) {
		account_locked_vm(vm->mm, n, false);
		mmput(vm->mm);
	}
}

/*
 * Make every vCPU drop translations of removed mappings before we unpin:
 * bump the generation each vCPU compares before entry, then interrupt the
 * CPUs running a vCPU in guest mode and wait for them (the IPI is taken only
 * after the guest exited, since entry keeps interrupts pending with GIF/IF).
 */
static void plumb_ack_flush(void *unused)
{
}

void plumb_vm_flush_tlbs(struct plumb_vm *vm)
{
	cpumask_var_t cpus;
	unsigned int i;
	int cpu;

	atomic_inc(&vm->tlb_gen);
	smp_mb__after_atomic();
	if (!zalloc_cpumask_var(&cpus, GFP_KERNEL)) {
		/* No mask: interrupt every CPU instead. */
		on_each_cpu(plumb_ack_flush, NULL, 1);
		return;
	}
	mutex_lock(&vm->lock);
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct plumb_vcpu *v = vm->vcpus[i];

		cpu = READ_ONCE(v->cpu);
		if (READ_ONCE(v->mode) == PLUMB_IN_GUEST && cpu >= 0)
			cpumask_set_cpu(cpu, cpus);
	}
	mutex_unlock(&vm->lock);
	preempt_disable();
	cpumask_clear_cpu(smp_processor_id(), cpus);
	smp_call_function_many(cpus, plumb_ack_flush, NULL, 1);
	preempt_enable();
	free_cpumask_var(cpus);
}

static bool ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * Flags and reserved room are checked (vm_ioctls). Any change to a slot,
 * its flags included, replaces it: a slot that starts logging starts with
 * no page mapped and no bit set.
 */
int plumb_vm_set_memory_region(struct plumb_vm *vm,
			       const struct plumb_memory_region *r)
{
	struct plumb_memslots *old, *new;
	struct plumb_memslot *s = NULL, *gone = NULL;
	unsigned int i, at = UINT_MAX;
	u64 npages;
	int ret;

	if (r->slot >= PLUMB_MAX_MEMSLOTS)
		return -EINVAL;
	if (!PAGE_ALIGNED(r->guest_phys_addr) ||
	    !PAGE_ALIGNED(r->memory_size) || !PAGE_ALIGNED(r->userspace_addr))
		return -EINVAL;
	npages = r->memory_size >> PAGE_SHIFT;
	if (r->memory_size) {
		/* 52-bit guest physical space, no wrap; a real user range. */
		if (r->guest_phys_addr + r->memory_size < r->guest_phys_addr ||
		    r->guest_phys_addr + r->memory_size > (1ULL << 52))
			return -EINVAL;
		if (r->userspace_addr + r->memory_size < r->userspace_addr ||
		    !access_ok((void __user *)(unsigned long)r->userspace_addr,
			       r->memory_size))
			return -EFAULT;
		/*
		 * 8 TiB per slot. Nothing is allocated per page of the size:
		 * the slot's xarray grows with what the guest touches.
		 */
		if (npages > (1ULL << 31))
			return -EINVAL;
	}

	mutex_lock(&vm->slots_lock);
	old = plumb_vm_slots(vm);
	for (i = 0; i < old->nr; i++) {
		struct plumb_memslot *o = old->slot[i];

		if (o->id == r->slot) {
			at = i;
			continue;
		}
		if (r->memory_size &&
		    ranges_overlap(o->base_gfn, o->npages,
				   r->guest_phys_addr >> PAGE_SHIFT, npages)) {
			ret = -EEXIST;
			goto out;
		}
	}
	if (!r->memory_size && at == UINT_MAX) {
		ret = -EINVAL;	/* zero-sized region on an empty slot */
		goto out;
	}

	if (r->memory_size) {
		ret = -ENOMEM;
		s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
		if (!s)
			goto out;
		/* Nodes charged to the memcg, allocated as pages get pinned. */
		xa_init_flags(&s->pages, XA_FLAGS_ACCOUNT);
		s->id = r->slot;
		s->flags = r->flags;
		s->base_gfn = r->guest_phys_addr >> PAGE_SHIFT;
		s->npages = npages;
		s->uaddr = r->userspace_addr;
		if (r->flags & PLUMB_MEM_LOG_DIRTY) {
			/* The bitmap, then PLUMB_GET_DIRTY_LOG's copy. */
			s->dirty_bitmap =
				kvcalloc(2 * plumb_dirty_log_longs(npages),
					 sizeof(long),
					 GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
			if (!s->dirty_bitmap)
				goto out_free;
		}
	}

	ret = -ENOMEM;
	new = kmemdup(old, sizeof(*old), GFP_KERNEL_ACCOUNT);
	if (!new)
		goto out_free;
	if (at != UINT_MAX) {
		gone = old->slot[at];
		new->slot[at] = new->slot[--new->nr];
	}
	if (s)
		new->slot[new->nr++] = s;
	rcu_assign_pointer(vm->slots, new);
	synchronize_srcu(&vm->srcu);	/* no fault uses the old array now */
	kfree(old);

	if (gone) {
		plumb_mmu_zap(vm, gone->base_gfn, gone->npages);
		plumb_vm_flush_tlbs(vm);
		slot_free(vm, gone);
	}
	ret = 0;
	goto out;

out_free:
	slot_free(vm, s);
out:
	mutex_unlock(&vm->slots_lock);
	return ret;
}

int plumb_vm_set_posted_range(struct plumb_vm *vm,
			      const struct plumb_posted_range *p)
{
	unsigned int i;
	int ret = 0;

	if (!p->len || p->addr + p->len < p->addr ||
	    ((p->flags & PLUMB_POSTED_PIO) && p->addr + p->len > 0x10000))
		return -EINVAL;

	/* Ranges only change while no vCPU runs: readers are lock-free. */
	mutex_lock(&vm->lock);
	for (i = 0; i < vm->nr_posted; i++)
		if (vm->posted[i].addr == p->addr &&
		    vm->posted[i].len == p->len &&
		    !((vm->posted[i].flags ^ p->flags) & PLUMB_POSTED_PIO))
			break;
	if (p->flags & PLUMB_POSTED_DELETE) {
		if (i == vm->nr_posted) {
			ret = -ENOENT;
		} else {
			vm->posted[i] = vm->posted[vm->nr_posted - 1];
			WRITE_ONCE(vm->nr_posted, vm->nr_posted - 1);
		}
	} else if (i < vm->nr_posted) {
		ret = -EEXIST;
	} else if (vm->nr_posted == PLUMB_MAX_POSTED_RANGES) {
		ret = -ENOSPC;
	} else {
		vm->posted[vm->nr_posted] = *p;
		smp_wmb();
		WRITE_ONCE(vm->nr_posted, vm->nr_posted + 1);
	}
	mutex_unlock(&vm->lock);
	return ret;
}

/*
 * PLUMB_GET_DIRTY_LOG: copy slot @id's dirty bitmap to @ubitmap and
 * clear it. The pages that were dirty are write-protected and every
 * vCPU's TLB flushed before we return, so each page's next write, by any
 * vCPU, is logged again. -ENOENT: no slot @id; -EINVAL: it does not log;
 * -EFAULT: @ubitmap cannot take the bitmap, and then no bit is lost.
 * Under slots_lock: the slot stays, and calls take turns at its copy.
 */
int plumb_vm_get_dirty_log(struct plumb_vm *vm, u32 id,
			   void __user *ubitmap)
{
	struct plumb_memslots *slots;
	struct plumb_memslot *s = NULL;
	unsigned long *copy, n, bit;
	unsigned int i;
	int ret = 0;

	mutex_lock(&vm->slots_lock);
	slots = plumb_vm_slots(vm);
	for (i = 0; i < slots->nr && !s; i++)
		if (slots->slot[i]->id == id)
			s = slots->slot[i];
	if (!s) {
		ret = -ENOENT;
		goto out;
	}
	if (!s->dirty_bitmap) {
		ret = -EINVAL;
		goto out;
	}
	n = plumb_dirty_log_longs(s->npages);
	copy = s->dirty_bitmap + n;
	if (plumb_mmu_take_dirty(vm, s, copy))
		plumb_vm_flush_tlbs(vm);
	if (copy_to_user(ubitmap, copy, n * sizeof(long))) {
		/* Back into the log: the pages are no less dirty. */
		for_each_set_bit(bit, copy, s->npages)
			set_bit(bit, s->dirty_bitmap);
		ret = -EFAULT;
	}
out:
	mutex_unlock(&vm->slots_lock);
	return ret;
}

static long vm_set_memory_region(void *obj, void *arg, unsigned long raw)
{
	return plumb_vm_set_memory_region(obj, arg);
}

static long vm_set_posted_range(void *obj, void *arg, unsigned long raw)
{
	return plumb_vm_set_posted_range(obj, arg);
}

static long vm_get_dirty_log(void *obj, void *arg, unsigned long raw)
{
	const struct plumb_dirty_log *d = arg;

	return plumb_vm_get_dirty_log(obj, d->slot,
				      u64_to_user_ptr(d->bitmap));
}

/* The PLUMB_SET_MSR_EXITS flags the backends can finish. */
#define VM_MSR_EXITS	PLUMB_MSR_EXIT_UNKNOWN

/*
 * PLUMB_CHECK_CAPABILITY: what VMs made here can do, and their limits. One
 * answer per entry of PLUMB_CAPS() (the uapi header); the switch is made
 * from that list, so a capability without its CAP_ line does not build.
 */
#define CAP_BACKEND		plumb_ops->id
#define CAP_MAX_VCPUS		PLUMB_MAX_VCPUS
#define CAP_NR_MEMSLOTS		PLUMB_MAX_MEMSLOTS
#define CAP_RING_ENTRIES	PLUMB_RING_ENTRIES
/* PLUMB_MEM_READONLY slots: guest writes exit as MMIO (mmu.c). */
#define CAP_READONLY_MEM	1
#define CAP_POSTED_RANGES	PLUMB_MAX_POSTED_RANGES
#define CAP_MAX_CPUID_ENTRIES	PLUMB_MAX_CPUID_ENTRIES
#define CAP_MAX_MSR_ENTRIES	PLUMB_MAX_MSR_ENTRIES
/* Both backends run guests (the module loads only then). */
#define CAP_VM_RUNS		1
#define CAP_MSR_EXITS		VM_MSR_EXITS
/* For userspace's CPUID leaves: the guest need not calibrate. */
#define CAP_TSC_KHZ		tsc_khz
/* PLUMB_MEM_LOG_DIRTY slots and PLUMB_GET_DIRTY_LOG (mmu.c). */
#define CAP_DIRTY_LOG		1
/* The guest's XSAVE area (fpu.c): at most sizeof(struct plumb_xsave). */
#define CAP_XSAVE		plumb_fpu_xsave_size()

long plumb_capability(unsigned long cap)
{
#define CAP_ANSWER(name, str)	case PLUMB_CAP_##name: return CAP_##name;
	switch (cap) {
	PLUMB_CAPS(CAP_ANSWER)
	default:
		/* Unknown capabilities are absent, never an error (as KVM). */
		return 0;
	}
#undef CAP_ANSWER
}

static long vm_create_vcpu(void *obj, void *arg, unsigned long raw)
{
	return plumb_create_vcpu(obj, raw);
}

static long vm_set_msr_exits(void *obj, void *arg, unsigned long raw)
{
	const struct plumb_msr_exits *m = arg;
	struct plumb_vm *vm = obj;

	WRITE_ONCE(vm->msr_exits, m->flags);
	return 0;
}

static long vm_signal_msi(void *obj, void *arg, unsigned long raw)
{
	return plumb_lapic_signal_msi(obj, arg);
}

/* The VM ioctls (ioctl.h); each handler takes the locks it needs. */
static const struct plumb_ioctl vm_ioctls[] = {
	PLUMB_IOCTL(PLUMB_SET_MEMORY_REGION, vm_set_memory_region,
		    PLUMB_IOC_FLAGS(struct plumb_memory_region, flags,
				    PLUMB_MEM_READONLY | PLUMB_MEM_LOG_DIRTY),
		    PLUMB_IOC_ZERO_FROM(struct plumb_memory_region, reserved)),
	PLUMB_IOCTL(PLUMB_CREATE_VCPU, vm_create_vcpu),
	PLUMB_IOCTL(PLUMB_SET_POSTED_RANGE, vm_set_posted_range,
		    PLUMB_IOC_FLAGS(struct plumb_posted_range, flags,
				    PLUMB_POSTED_PIO | PLUMB_POSTED_DELETE),
		    PLUMB_IOC_ZERO_FROM(struct plumb_posted_range, padding)),
	/* Only what the backend can finish (PLUMB_CAP_MSR_EXITS). */
	PLUMB_IOCTL(PLUMB_SET_MSR_EXITS, vm_set_msr_exits,
		    PLUMB_IOC_FLAGS(struct plumb_msr_exits, flags,
				    VM_MSR_EXITS),
		    PLUMB_IOC_ZERO_FROM(struct plumb_msr_exits, padding)),
	PLUMB_IOCTL(PLUMB_SIGNAL_MSI, vm_signal_msi,
		    PLUMB_IOC_ZERO_FROM(struct plumb_msi, flags)),
	PLUMB_IOCTL(PLUMB_GET_DIRTY_LOG, vm_get_dirty_log,
		    PLUMB_IOC_FLAGS(struct plumb_dirty_log, flags, 0),
		    PLUMB_IOC_ZERO_FROM(struct plumb_dirty_log, reserved)),
};

static long plumb_vm_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct plumb_vm *vm = filp->private_data;

	if (!plumb_vm_owner_ok(vm))
		return -EIO;
	return plumb_ioctl(vm_ioctls, ARRAY_SIZE(vm_ioctls), vm, NULL, cmd,
			   arg);
}

/*
 * Free a VM: its vCPUs, memory and counts. Runs when the VM fd's file
 * goes (no fd and no ioctl is left), or when creation fails.
 */
void plumb_vm_destroy(struct plumb_vm *vm)
{
	struct plumb_memslots *slots;
	unsigned int i;

	/* Unlisted first: the management plane reads the vCPUs. */
	plumb_mgmt_vm_del(vm);
	for (i = 0; i < vm->nr_vcpus; i++)
		plumb_vcpu_destroy(vm->vcpus[i]);
	plumb_ops->vm_destroy(vm);
	plumb_mmu_destroy(&vm->mmu);
	slots = rcu_dereference_protected(vm->slots, 1);
	for (i = 0; i < slots->nr; i++)
		slot_free(vm, slots->slot[i]);
	kfree(slots);
	cleanup_srcu_struct(&vm->srcu);
	mmdrop(vm->mm);
	plumb_user_put(vm->uid);
	kfree(vm);
	plumb_hw_put();
	atomic_dec(&plumb_nr_vms);
}

static int plumb_vm_release(struct inode *inode, struct file *filp)
{
	plumb_vm_destroy(filp->private_data);
	return 0;
}

static const struct file_operations plumb_vm_fops = {
	.owner		= THIS_MODULE,	/* the module stays while a VM fd does */
	.release	= plumb_vm_release,
	.unlocked_ioctl	= plumb_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= plumb_no_llseek,
};

/*
 * A VM of either ABI, not yet reachable: plumb_vm_getfd() makes its fd,
 * or plumb_vm_destroy() frees it.
 */
struct plumb_vm *plumb_vm_create(unsigned long type)
{
	struct plumb_memslots *slots;
	struct plumb_vm *vm;
	int ret;

	if (type)
		return ERR_PTR(-EINVAL);

	ret = plumb_user_get(current_uid());
	if (ret)
		return ERR_PTR(ret);
	ret = plumb_hw_get();
	if (ret)
		goto err_user;

	ret = -ENOMEM;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		goto err_hw;
	vm->uid = current_uid();
	INIT_LIST_HEAD(&vm->mgmt.node);
	slots = kzalloc(sizeof(*slots), GFP_KERNEL_ACCOUNT);
	if (!slots)
		goto err_vm;
	RCU_INIT_POINTER(vm->slots, slots);
	mutex_init(&vm->lock);
	mutex_init(&vm->slots_lock);
	vm->pvclock_tsc0 = rdtsc();
	ret = init_srcu_struct(&vm->srcu);
	if (ret)
		goto err_slots;
	ret = plumb_mmu_init(&vm->mmu);
	if (ret)
		goto err_srcu;
	ret = plumb_ops->vm_init(vm);
	if (ret)
		goto err_mmu;

	mmgrab(current->mm);
	vm->mm = current->mm;
	atomic_inc(&plumb_nr_vms);
	return vm;

err_mmu:
	plumb_mmu_destroy(&vm->mmu);
err_srcu:
	cleanup_srcu_struct(&vm->srcu);
err_slots:
	kfree(slots);
err_vm:
	kfree(vm);
err_hw:
	plumb_hw_put();
err_user:
	plumb_user_put(current_uid());
	return ERR_PTR(ret);
}

/*
 * The VM's fd, with the file operations of its ABI, whose release must
 * end in plumb_vm_destroy(). On failure the VM is destroyed.
 */
int plumb_vm_getfd(struct plumb_vm *vm, const struct file_operations *fops,
		   const char *name)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		goto err;
	file = anon_inode_getfile(name, fops, vm, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		goto err;
	}
	vm->file = file;
	plumb_mgmt_vm_add(vm);
	/* Last: the fd makes the VM reachable; release frees everything. */
	fd_install(fd, file);
	return fd;
err:
	plumb_vm_destroy(vm);
	return fd;
}

/* PLUMB_CREATE_VM: a VM of plumb's own ABI. */
long plumb_create_vm(unsigned long type)
{
	struct plumb_vm *vm = plumb_vm_create(type);

	if (IS_ERR(vm))
		return PTR_ERR(vm);
	vm->hypercall_exits = true;
	return plumb_vm_getfd(vm, &plumb_vm_fops, "plumb-vm");
}
