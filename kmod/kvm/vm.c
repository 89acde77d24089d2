// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM personality's VM fd. A VM of KVM's ABI is a plumb_vm whose
 * ABI-specific state (struct plumb_kvm_vm) holds what KVM's VM ioctls
 * need beyond plumb's: the split irqchip's switch, the GSI routing table
 * that KVM_IRQ_LINE reads, and the coalesced-MMIO zones and ring. The
 * zones are plumb's posted ranges: the guest's writes there do not exit,
 * and RUN moves their records into the ring (vcpu.c).
 *
 * Only the split irqchip exists (KVM_CAP_SPLIT_IRQCHIP; QEMU's
 * kernel-irqchip=split): the local APICs are plumb's, the PIC, IOAPIC
 * and PIT are userspace's. KVM_CREATE_IRQCHIP is not offered, so a vCPU
 * can only be made once ENABLE_CAP(SPLIT_IRQCHIP) was done.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../compat.h"
#include "../ioctl.h"
#include "../lapic.h"
#include "../vcpu.h"
#include "kvm.h"

static struct plumb_kvm_vm *to_kvm(void *obj)
{
	return ((struct plumb_vm *)obj)->kvm;
}

/*
 * KVM_SET_USER_MEMORY_REGION: plumb's slot, with KVM's flag bits
 * (KVM_MEM_LOG_DIRTY_PAGES is bit 0, KVM_MEM_READONLY bit 1): the other
 * way round from plumb's PLUMB_MEM_LOG_DIRTY and PLUMB_MEM_READONLY.
 * Dirty logging is plumb's (KVM_GET_DIRTY_LOG below), so QEMU's VGA and
 * its migration work.
 */
static long kvm_set_user_memory_region(void *obj, void *arg,
				       unsigned long raw)
{
	const struct kvm_userspace_memory_region *k = arg;
	struct plumb_memory_region r = {
		.slot = k->slot,
		.flags = (k->flags & KVM_MEM_READONLY ? PLUMB_MEM_READONLY : 0) |
			 (k->flags & KVM_MEM_LOG_DIRTY_PAGES ?
			  PLUMB_MEM_LOG_DIRTY : 0),
		.guest_phys_addr = k->guest_phys_addr,
		.memory_size = k->memory_size,
		.userspace_addr = k->userspace_addr,
	};

	/* Address space 0 only (bits 31:16; 1 would be SMM's). */
	if (k->slot >> 16)
		return -EINVAL;
	return plumb_vm_set_memory_region(obj, &r);
}

/*
 * KVM_GET_DIRTY_LOG: plumb's PLUMB_GET_DIRTY_LOG, with KVM's errors: a
 * slot that does not log is -ENOENT, as an unknown one, and address
 * spaces other than 0 are -EINVAL. padding1 is not checked, as KVM does
 * not. No KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: the call always clears and
 * write-protects, as KVM's without it.
 */
static long kvm_get_dirty_log(void *obj, void *arg, unsigned long raw)
{
	const struct kvm_dirty_log *d = arg;
	int ret;

	if (d->slot >> 16)
		return -EINVAL;
	ret = plumb_vm_get_dirty_log(obj, d->slot,
				     u64_to_user_ptr(d->padding2));
	return ret == -EINVAL ? -ENOENT : ret;
}

/* KVM_SET_TSS_ADDR: the three pages VMX's real-mode emulation wanted. */
static long kvm_set_tss_addr(void *obj, void *arg, unsigned long raw)
{
	struct plumb_kvm_vm *kvm = to_kvm(obj);

	/* KVM refuses an area that would cross 4 GiB. */
	if (raw > 0xffffffffUL - 3 * PAGE_SIZE)
		return -EINVAL;
	mutex_lock(&kvm->lock);
	kvm->tss_addr = raw;
	mutex_unlock(&kvm->lock);
	return 0;
}

/* KVM_ENABLE_CAP on the VM: only KVM_CAP_SPLIT_IRQCHIP, before vCPUs. */
static long kvm_vm_enable_cap(void *obj, void *arg, unsigned long raw)
{
	const struct kvm_enable_cap *cap = arg;
	struct plumb_vm *vm = obj;
	struct plumb_kvm_vm *kvm = vm->kvm;
	long ret = 0;

	if (cap->cap != KVM_CAP_SPLIT_IRQCHIP)
		return -EINVAL;
	/* KVM reserves at most 48 routes for the userspace IOAPIC's pins. */
	if (cap->args[0] > 48 || cap->args[1] ||
	    cap->args[2] || cap->args[3])
		return -EINVAL;
	/*
	 * kvm->lock before vm->lock, as the zone ioctls nest them through
	 * plumb_vm_set_posted_range(): the other order deadlocked a VM
	 * (F-kvmfuzz-1). vm->lock keeps vCPU creation out meanwhile.
	 */
	mutex_lock(&kvm->lock);
	mutex_lock(&vm->lock);
	if (kvm->split_irqchip)
		ret = -EEXIST;
	else if (vm->nr_vcpus)
		ret = -EINVAL;
	else {
		kvm->split_irqchip = true;
		kvm->ioapic_pins = cap->args[0];
	}
	mutex_unlock(&vm->lock);
	mutex_unlock(&kvm->lock);
	return ret;
}

static void kvm_routes_free(struct plumb_kvm_routes *r)
{
	kvfree(r);
}

/*
 * KVM decodes an MSI address's bits 19:2 only and ignores 31:20 (x86's
 * kvm_set_msi_irq()), and QEMU relies on it: its APIC MSI region
 * (kvm_apic_mem_write()) signals a device's MSI with the offset in
 * 0xfee00000's page as the address, 0 for APIC 0. plumb's own ABI wants
 * the whole 0xfeexxxxx address, so the personality puts the prefix back.
 */
static u32 kvm_msi_address(u32 address_lo)
{
	return 0xfee00000 | (address_lo & 0x000fffff);
}

/*
 * KVM_SET_GSI_ROUTING: the whole table, MSI entries only (IRQCHIP ones
 * need the in-kernel PIC/IOAPIC). Readers (KVM_IRQ_LINE) see the old
 * table or the new one.
 */
static long kvm_set_gsi_routing(void *obj, void *arg, unsigned long raw)
{
	struct kvm_irq_routing __user *u = (void __user *)raw;
	const struct kvm_irq_routing *hdr = arg;
	struct plumb_kvm_vm *kvm = to_kvm(obj);
	struct kvm_irq_routing_entry *e;
	struct plumb_kvm_routes *new, *old;
	u32 i;
	long ret = -EINVAL;

	if (hdr->nr > PLUMB_KVM_MAX_ROUTES)
		return -EINVAL;
	e = vmemdup_user(u->entries, array_size(hdr->nr, sizeof(*e)));
	if (IS_ERR(e))
		return PTR_ERR(e);
	new = kvzalloc(struct_size(new, e, hdr->nr), GFP_KERNEL_ACCOUNT);
	if (!new) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < hdr->nr; i++) {
		struct plumb_kvm_route *r = &new->e[i];

		if (e[i].gsi >= PLUMB_KVM_MAX_ROUTES ||
		    e[i].type != KVM_IRQ_ROUTING_MSI || e[i].flags ||
		    e[i].pad || e[i].u.msi.pad)
			goto out_free;
		r->gsi = e[i].gsi;
		r->msi.address_lo = kvm_msi_address(e[i].u.msi.address_lo);
		r->msi.address_hi = e[i].u.msi.address_hi;
		r->msi.data = e[i].u.msi.data;
	}
	new->nr = hdr->nr;
	mutex_lock(&kvm->lock);
	old = rcu_replace_pointer(kvm->routes, new, lockdep_is_held(&kvm->lock));
	mutex_unlock(&kvm->lock);
	synchronize_rcu();
	kvm_routes_free(old);
	ret = 0;
	goto out;
out_free:
	kvm_routes_free(new);
out:
	kvfree(e);
	return ret;
}

/*
 * Raise GSI @gsi: every MSI route of it is sent. KVM's answer: how many
 * vCPUs took the messages, 0 if none did, -1 if the GSI has no route.
 * Level 0 does nothing (MSIs are edges) and answers -1, as KVM's.
 */
static int kvm_irq_line(struct plumb_vm *vm, u32 gsi, u32 level)
{
	struct plumb_kvm_routes *routes;
	struct plumb_msi msi[4];
	int n = 0, i, ret = -1, taken;

	if (!level)
		return -1;
	/* Copied out of the RCU section: delivery takes spinlocks only,
	 * but keep the read side short and the messages stable.
	 */
	rcu_read_lock();
	routes = rcu_dereference(vm->kvm->routes);
	for (i = 0; routes && i < routes->nr && n < ARRAY_SIZE(msi); i++)
		if (routes->e[i].gsi == gsi)
			msi[n++] = routes->e[i].msi;
	rcu_read_unlock();
	for (i = 0; i < n; i++) {
		taken = plumb_lapic_signal_msi(vm, &msi[i]);
		if (taken >= 0)
			ret = max(ret, 0) + taken;
	}
	return ret;
}

static long kvm_vm_irq_line(void *obj, void *arg, unsigned long raw)
{
	const struct kvm_irq_level *l = arg;

	if (l->irq >= PLUMB_KVM_MAX_ROUTES)
		return -EINVAL;
	kvm_irq_line(obj, l->irq, l->level);
	return 0;
}

static long kvm_vm_irq_line_status(void *obj, void *arg, unsigned long raw)
{
	struct kvm_irq_level *l = arg;

	if (l->irq >= PLUMB_KVM_MAX_ROUTES)
		return -EINVAL;
	l->status = kvm_irq_line(obj, l->irq, l->level);
	return 0;
}

/* KVM_SIGNAL_MSI: plumb's, without KVM_MSI_VALID_DEVID. */
static long kvm_vm_signal_msi(void *obj, void *arg, unsigned long raw)
{
	const struct kvm_msi *k = arg;
	struct plumb_msi msi = {
		.address_lo = kvm_msi_address(k->address_lo),
		.address_hi = k->address_hi,
		.data = k->data,
	};

	return plumb_lapic_signal_msi(obj, &msi);
}

/* The posted range of a zone: MMIO or (KVM_CAP_COALESCED_PIO) ports. */
static void zone_range(const struct kvm_coalesced_mmio_zone *z,
		       struct plumb_posted_range *p, bool delete)
{
	memset(p, 0, sizeof(*p));
	p->addr = z->addr;
	p->len = z->size;
	p->flags = (z->pio ? PLUMB_POSTED_PIO : 0) |
		   (delete ? PLUMB_POSTED_DELETE : 0);
}

static long kvm_register_coalesced(void *obj, void *arg, unsigned long raw)
{
	const struct kvm_coalesced_mmio_zone *z = arg;
	struct plumb_kvm_vm *kvm = to_kvm(obj);
	struct plumb_posted_range p;
	long ret;

	if (z->pio > 1)
		return -EINVAL;
	zone_range(z, &p, false);
	mutex_lock(&kvm->lock);
	if (kvm->nr_zones == ARRAY_SIZE(kvm->zones)) {
		ret = -ENOSPC;
		goto out;
	}
	ret = plumb_vm_set_posted_range(obj, &p);
	if (!ret)
		kvm->zones[kvm->nr_zones++] = *z;
out:
	mutex_unlock(&kvm->lock);
	return ret;
}

/* KVM removes every zone inside the one given. */
static long kvm_unregister_coalesced(void *obj, void *arg, unsigned long raw)
{
	const struct kvm_coalesced_mmio_zone *z = arg;
	struct plumb_kvm_vm *kvm = to_kvm(obj);
	struct plumb_posted_range p;
	unsigned int i = 0;

	if (z->pio > 1)
		return -EINVAL;
	mutex_lock(&kvm->lock);
	while (i < kvm->nr_zones) {
		struct kvm_coalesced_mmio_zone *o = &kvm->zones[i];

		if (o->pio != z->pio || o->addr < z->addr ||
		    o->addr + o->size > z->addr + z->size) {
			i++;
			continue;
		}
		zone_range(o, &p, true);
		WARN_ON_ONCE(plumb_vm_set_posted_range(obj, &p));
		*o = kvm->zones[--kvm->nr_zones];
	}
	mutex_unlock(&kvm->lock);
	return 0;
}

/*
 * KVM_CHECK_EXTENSION: a capability is claimed only when everything it
 * promises works; all others answer 0. docs/abi.md has the table.
 */
long plumb_kvm_check_extension(unsigned long cap)
{
	switch (cap) {
	case KVM_CAP_IRQCHIP:		/* only the split one (ENABLE_CAP) */
	case KVM_CAP_SPLIT_IRQCHIP:
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_CHECK_EXTENSION_VM:	/* this very ioctl, on a VM fd */
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_SIGNAL_MSI:
	case KVM_CAP_IRQ_INJECT_STATUS:
	case KVM_CAP_USER_NMI:
	case KVM_CAP_TSC_DEADLINE_TIMER:
	case KVM_CAP_COALESCED_PIO:
	case KVM_CAP_XSAVE:		/* 4 KiB; KVM_CAP_XSAVE2 is 0 */
	case KVM_CAP_XCRS:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_DEBUGREGS:
		return 1;
	case KVM_CAP_GET_TSC_KHZ:
		return tsc_khz ? 1 : 0;
	case KVM_CAP_COALESCED_MMIO:
		return 2;		/* the ring's page in the vCPU mmap */
	case KVM_CAP_IRQ_ROUTING:
		return PLUMB_KVM_MAX_ROUTES;
	case KVM_CAP_NR_VCPUS:
	case KVM_CAP_MAX_VCPUS:
	case KVM_CAP_MAX_VCPU_ID:	/* vCPU ids are APIC IDs below this */
		return PLUMB_MAX_VCPUS;
	case KVM_CAP_NR_MEMSLOTS:
		return PLUMB_MAX_MEMSLOTS;
	default:
		return 0;
	}
}

static long kvm_vm_check_extension(void *obj, void *arg, unsigned long raw)
{
	return plumb_kvm_check_extension(raw);
}

static long kvm_vm_create_vcpu(void *obj, void *arg, unsigned long raw)
{
	struct plumb_vm *vm = obj;
	bool split;

	mutex_lock(&vm->kvm->lock);
	split = vm->kvm->split_irqchip;
	mutex_unlock(&vm->kvm->lock);
	/* No userspace-LAPIC mode: the split irqchip first. */
	if (!split)
		return -EINVAL;
	return plumb_kvm_create_vcpu(vm, raw);
}

static const struct plumb_ioctl kvm_vm_ioctls[] = {
	PLUMB_IOCTL(KVM_CHECK_EXTENSION, kvm_vm_check_extension),
	PLUMB_IOCTL(KVM_CREATE_VCPU, kvm_vm_create_vcpu),
	PLUMB_IOCTL(KVM_SET_USER_MEMORY_REGION, kvm_set_user_memory_region,
		    PLUMB_IOC_FLAGS(struct kvm_userspace_memory_region, flags,
				    KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES)),
	PLUMB_IOCTL(KVM_GET_DIRTY_LOG, kvm_get_dirty_log),
	PLUMB_IOCTL(KVM_SET_TSS_ADDR, kvm_set_tss_addr),
	PLUMB_IOCTL(KVM_ENABLE_CAP, kvm_vm_enable_cap,
		    PLUMB_IOC_FLAGS(struct kvm_enable_cap, flags, 0),
		    PLUMB_IOC_ZERO_FROM(struct kvm_enable_cap, pad)),
	PLUMB_IOCTL(KVM_SET_GSI_ROUTING, kvm_set_gsi_routing,
		    .how = PLUMB_IOC_ENTRIES,
		    PLUMB_IOC_FLAGS(struct kvm_irq_routing, flags, 0)),
	PLUMB_IOCTL(KVM_IRQ_LINE, kvm_vm_irq_line),
	PLUMB_IOCTL(KVM_IRQ_LINE_STATUS, kvm_vm_irq_line_status),
	/*
	 * devid means something only with KVM_MSI_VALID_DEVID, which is
	 * refused: like KVM, ignore it (QEMU 7.2 leaves it uninitialised).
	 */
	PLUMB_IOCTL(KVM_SIGNAL_MSI, kvm_vm_signal_msi,
		    PLUMB_IOC_FLAGS(struct kvm_msi, flags, 0),
		    PLUMB_IOC_ZERO_FROM(struct kvm_msi, pad)),
	PLUMB_IOCTL(KVM_REGISTER_COALESCED_MMIO, kvm_register_coalesced),
	PLUMB_IOCTL(KVM_UNREGISTER_COALESCED_MMIO, kvm_unregister_coalesced),
};

static long kvm_vm_ioctl(struct file *filp, unsigned int cmd,
			 unsigned long arg)
{
	struct plumb_vm *vm = filp->private_data;

	if (!plumb_vm_owner_ok(vm))
		return -EIO;
	return plumb_ioctl(kvm_vm_ioctls, ARRAY_SIZE(kvm_vm_ioctls), vm, NULL,
			   cmd, arg);
}

static void kvm_vm_free(struct plumb_kvm_vm *kvm)
{
	if (!kvm)
		return;
	kvm_routes_free(rcu_dereference_protected(kvm->routes, 1));
	if (kvm->ring_page)
		__free_page(kvm->ring_page);
	kfree(kvm);
}

/* Last reference: no vCPU fd, ioctl or mapping is left. */
static int kvm_vm_release(struct inode *inode, struct file *filp)
{
	struct plumb_vm *vm = filp->private_data;
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		plumb_kvm_vcpu_free(vm->vcpus[i]);
	kvm_vm_free(vm->kvm);
	vm->kvm = NULL;
	plumb_vm_destroy(vm);
	return 0;
}

const struct file_operations plumb_kvm_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= kvm_vm_release,
	.unlocked_ioctl	= kvm_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= plumb_no_llseek,
};

/* KVM_CREATE_VM: type 0 (KVM_X86_DEFAULT_VM) only. */
long plumb_kvm_create_vm(unsigned long type)
{
	struct plumb_kvm_vm *kvm;
	struct plumb_vm *vm;
	int fd;

	if (type)
		return -EINVAL;
	kvm = kzalloc(sizeof(*kvm), GFP_KERNEL_ACCOUNT);
	if (!kvm)
		return -ENOMEM;
	mutex_init(&kvm->lock);
	spin_lock_init(&kvm->ring_lock);
	kvm->ring_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!kvm->ring_page) {
		kfree(kvm);
		return -ENOMEM;
	}
	kvm->ring = page_address(kvm->ring_page);

	vm = plumb_vm_create(0);
	if (IS_ERR(vm)) {
		kvm_vm_free(kvm);
		return PTR_ERR(vm);
	}
	vm->kvm = kvm;
	/* KVM keeps every HLT in the kernel and has no hypercall exits. */
	vm->halt_in_kernel = true;
	vm->hypercall_exits = false;
	fd = plumb_vm_getfd(vm, &plumb_kvm_vm_fops, "kvm-vm");
	/* On failure the VM is destroyed, not its KVM state: ours. */
	if (fd < 0)
		kvm_vm_free(kvm);
	return fd;
}
