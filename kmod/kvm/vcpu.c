// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM personality's vCPU fd: struct kvm_run and KVM_RUN, and the
 * register, MSR, CPUID, MP-state and LAPIC ioctls.
 *
 * KVM_RUN runs plumb's run loop unchanged. The vCPU's exit ring stays in
 * the kernel (only kvm_run, the PIO page and the coalesced ring are
 * mapped), the kernel is its consumer, and each record becomes one KVM
 * exit, in order: one per KVM_RUN, as KVM hands them out. Posted writes
 * go into the coalesced ring instead while it has room. The answer to an
 * IN or an MMIO read comes back with the next KVM_RUN and goes into the
 * record, where the run loop's completion (plumb_ring_commit()'s) takes
 * it, exactly as from plumb's own launcher.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/bitmap.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/types.h>
#include <asm/tsc.h>

#include "../backend.h"
#include "../compat.h"
#include "../cpuid.h"
#include "../fpu.h"
#include "../ioctl.h"
#include "../lapic.h"
#include "../vcpu.h"
#include "kvm.h"

/* plumb's register structs begin with KVM's, field for field. */
static_assert(offsetof(struct plumb_regs, flags) == sizeof(struct kvm_regs));
static_assert(offsetof(struct plumb_regs, rip) == offsetof(struct kvm_regs, rip));
static_assert(offsetof(struct plumb_sregs, flags) ==
	      offsetof(struct kvm_sregs, interrupt_bitmap));
static_assert(offsetof(struct plumb_sregs, apic_base) ==
	      offsetof(struct kvm_sregs, apic_base));
static_assert(sizeof(struct plumb_cpuid_entry) == sizeof(struct kvm_cpuid_entry2));
static_assert(sizeof(struct plumb_msr_entry) == sizeof(struct kvm_msr_entry));
static_assert(sizeof(struct kvm_lapic_state) == PAPIC_REG_END);

/* The state KVM shows in kvm_run after every KVM_RUN. */
static void run_state(struct plumb_vcpu *vcpu, struct kvm_run *run)
{
	run->if_flag = !!(plumb_ops->get_rflags(vcpu) & X86_EFLAGS_IF);
	run->flags = 0;
	run->cr8 = plumb_lapic_get_cr8(vcpu);
	run->apic_base = plumb_lapic_get_base(vcpu);
	run->ready_for_interrupt_injection =
		plumb_lapic_extint_ready(vcpu) &&
		plumb_ops->interrupt_allowed(vcpu);
}

static u32 kvm_suberror(u32 plumb)
{
	switch (plumb) {
	case PLUMB_INTERNAL_EMULATION:
		return KVM_INTERNAL_ERROR_EMULATION;
	default:
		return KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
	}
}

/* Entries in the coalesced ring page (KVM_COALESCED_MMIO_MAX). */
#define RING_MAX	((PAGE_SIZE - sizeof(struct kvm_coalesced_mmio_ring)) / \
			 sizeof(struct kvm_coalesced_mmio))

/*
 * A posted write's record into the coalesced ring (true), or false when
 * the ring is full or the record does not fit: then RUN hands it to
 * userspace as an ordinary exit, after the guest went on. Userspace owns
 * 'first' and may scribble it: the ring then reads as full.
 */
static bool kvm_coalesce(struct plumb_vm *vm, const struct plumb_exit *e)
{
	struct plumb_kvm_vm *kvm = vm->kvm;
	struct kvm_coalesced_mmio *c;
	bool pio = e->reason == PLUMB_EXIT_IO;
	u32 first, last, len;
	bool done = false;

	if (pio && e->io.count != 1)
		return false;
	len = pio ? e->io.size : e->mmio.size;
	if (len > sizeof(c->data))
		return false;
	spin_lock(&kvm->ring_lock);
	first = READ_ONCE(kvm->ring->first);
	last = kvm->ring_last;
	if (first >= RING_MAX || (last + 1) % RING_MAX == first)
		goto out;
	c = &kvm->ring->coalesced_mmio[last];
	c->phys_addr = pio ? e->io.port : e->mmio.phys_addr;
	c->len = len;
	c->pio = pio;
	if (pio)
		memcpy(c->data, e->io.data, len);
	else
		memcpy(c->data, &e->mmio.data, len);
	kvm->ring_last = (last + 1) % RING_MAX;
	/* The entry is complete before userspace sees 'last' move. */
	smp_store_release(&kvm->ring->last, kvm->ring_last);
	done = true;
out:
	spin_unlock(&kvm->ring_lock);
	return done;
}

/* Userspace answers ring slot @slot with its next KVM_RUN. */
static void want_reply(struct plumb_kvm_vcpu *k, u32 slot, u32 reason, u32 len)
{
	k->reply = true;
	k->reply_slot = slot;
	k->reply_reason = reason;
	k->reply_len = len;
}

/*
 * Ring record @e (in slot @slot) as a KVM exit in kvm_run: true, or
 * false when it went into the coalesced ring. The records are the
 * kernel's own: the ring is not mapped for a KVM vCPU.
 */
static bool kvm_exit_from(struct plumb_vcpu *vcpu, const struct plumb_exit *e,
			  u32 slot)
{
	struct plumb_kvm_vcpu *k = vcpu->kvm;
	struct kvm_run *run = k->run;
	u32 len;

	if ((e->flags & PLUMB_EXIT_F_POSTED) && kvm_coalesce(vcpu->vm, e))
		return false;
	memset(run->padding, 0, sizeof(run->padding));
	switch (e->reason) {
	case PLUMB_EXIT_IO:
		len = min_t(u32, e->io.count * e->io.size, sizeof(e->io.data));
		run->exit_reason = KVM_EXIT_IO;
		run->io.direction = e->io.direction == PLUMB_IO_IN ?
				    KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
		run->io.size = e->io.size;
		run->io.port = e->io.port;
		run->io.count = e->io.count;
		run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
		if (e->io.direction == PLUMB_IO_OUT)
			memcpy(k->pio, e->io.data, len);
		else
			want_reply(k, slot, PLUMB_EXIT_IO, len);
		break;
	case PLUMB_EXIT_MMIO:
		run->exit_reason = KVM_EXIT_MMIO;
		run->mmio.phys_addr = e->mmio.phys_addr;
		run->mmio.len = e->mmio.size;
		run->mmio.is_write = e->mmio.is_write;
		if (e->mmio.is_write)
			memcpy(run->mmio.data, &e->mmio.data, sizeof(run->mmio.data));
		else
			want_reply(k, slot, PLUMB_EXIT_MMIO, sizeof(e->mmio.data));
		break;
	case PLUMB_EXIT_SHUTDOWN:
		/* KVM's triple fault ends no vCPU: userspace resets it. */
		run->exit_reason = KVM_EXIT_SHUTDOWN;
		vcpu->dead = false;
		break;
	case PLUMB_EXIT_HLT:
		run->exit_reason = KVM_EXIT_HLT;
		break;
	case PLUMB_EXIT_FAIL_ENTRY:
		run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason =
			e->fail_entry.hardware_reason;
		run->fail_entry.cpu = e->fail_entry.cpu;
		break;
	case PLUMB_EXIT_INTERNAL_ERROR:
		run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
		run->internal.suberror = kvm_suberror(e->internal.suberror);
		run->internal.ndata = min_t(u32, e->internal.ndata,
					    ARRAY_SIZE(e->internal.data));
		memcpy(run->internal.data, e->internal.data,
		       run->internal.ndata * sizeof(u64));
		break;
	case PLUMB_EXIT_EOI:
		run->exit_reason = KVM_EXIT_IOAPIC_EOI;
		run->eoi.vector = e->eoi.vector;
		break;
	default:
		/* No other record is made for a KVM VM (no MSR exits, no
		 * hypercall records); should one come, it is an error.
		 */
		run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
		run->internal.suberror = KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
		run->internal.ndata = 1;
		run->internal.data[0] = e->reason;
		break;
	}
	return true;
}

/*
 * KVM_RUN: finish the last exit with userspace's data, hand out records
 * left from the last run, run the guest, and repeat until one record
 * makes an exit or the run ends: -EINTR with KVM_EXIT_INTR for a
 * signal, or for immediate_exit with exit_reason untouched.
 */
static long kvm_vcpu_run(void *obj, void *arg, unsigned long raw)
{
	struct plumb_vcpu *vcpu = obj;
	struct plumb_kvm_vcpu *k = vcpu->kvm;
	struct kvm_run *run = k->run;
	u8 immediate;
	long ret;

	if (k->reply) {
		struct plumb_exit *e = &vcpu->ring.entries[k->reply_slot];

		if (k->reply_reason == PLUMB_EXIT_IO)
			memcpy(e->io.data, k->pio, k->reply_len);
		else
			memcpy(&e->mmio.data, run->mmio.data, sizeof(e->mmio.data));
		k->reply = false;
	}
	immediate = plumb_kvm_immediate_exit(run);
	WRITE_ONCE(vcpu->ring.hdr->immediate_exit, immediate);
	vcpu->irq_window_wanted = READ_ONCE(run->request_interrupt_window);
	for (;;) {
		while (k->cons != vcpu->ring.prod) {
			u32 slot = k->cons++ % PLUMB_RING_ENTRIES;

			if (kvm_exit_from(vcpu, &vcpu->ring.entries[slot], slot)) {
				ret = 0;
				goto out;
			}
		}
		WRITE_ONCE(vcpu->ring.hdr->consumer, k->cons);
		ret = plumb_vcpu_run(vcpu);
		if (ret == PLUMB_RUN_IRQ_WINDOW) {
			memset(run->padding, 0, sizeof(run->padding));
			run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
			ret = 0;
			break;
		}
		/* immediate_exit leaves exit_reason alone, as KVM's. */
		if (ret == -EINTR && !immediate)
			run->exit_reason = KVM_EXIT_INTR;
		if (ret < 0)
			break;
	}
out:
	vcpu->irq_window_wanted = false;
	run_state(vcpu, run);
	return ret;
}

static long kvm_get_regs(void *obj, void *arg, unsigned long raw)
{
	struct plumb_regs r = {};

	plumb_vcpu_get_regs(obj, &r);
	memcpy(arg, &r, sizeof(struct kvm_regs));
	return 0;
}

static long kvm_set_regs(void *obj, void *arg, unsigned long raw)
{
	struct plumb_regs r = {};

	memcpy(&r, arg, sizeof(struct kvm_regs));
	plumb_vcpu_set_regs(obj, &r);
	return 0;
}

/*
 * interrupt_bitmap: the interrupt in flight, as KVM shows it there (its
 * pre-VCPU_EVENTS form; QEMU still writes it back through SET_SREGS).
 */
static long kvm_get_sregs(void *obj, void *arg, unsigned long raw)
{
	struct kvm_sregs *k = arg;
	struct plumb_vcpu_events e;
	struct plumb_sregs s = {};

	plumb_ops->get_sregs(obj, &s);
	memcpy(k, &s, offsetof(struct kvm_sregs, interrupt_bitmap));
	plumb_vcpu_get_events(obj, &e);
	if (e.interrupt.injected)
		__set_bit(e.interrupt.nr, (unsigned long *)k->interrupt_bitmap);
	return 0;
}

/* ... and one bit there is that interrupt to deliver; more is -EINVAL. */
static long kvm_set_sregs(void *obj, void *arg, unsigned long raw)
{
	const unsigned long *bits = (const unsigned long *)
				    ((const struct kvm_sregs *)arg)->interrupt_bitmap;
	const struct kvm_sregs *k = arg;
	struct plumb_vcpu_events e;
	struct plumb_sregs s = {};
	unsigned int vector;
	int ret;

	/* Checked before anything changes: see plumb_vcpu_set_events(). */
	vector = find_first_bit(bits, 256);
	if (bitmap_weight(bits, 256) > 1 ||
	    (vector < 256 && !(plumb_ops->get_rflags(obj) & X86_EFLAGS_IF)))
		return -EINVAL;
	memcpy(&s, k, offsetof(struct kvm_sregs, interrupt_bitmap));
	/* KVM leaves segment padding alone; so must we, and zero it. */
	s.cs.padding = s.ds.padding = s.es.padding = s.fs.padding = 0;
	s.gs.padding = s.ss.padding = s.tr.padding = s.ldt.padding = 0;
	memset(s.gdt.padding, 0, sizeof(s.gdt.padding));
	memset(s.idt.padding, 0, sizeof(s.idt.padding));
	ret = plumb_vcpu_set_sregs(obj, &s);
	if (ret || vector >= 256)
		return ret;
	plumb_vcpu_get_events(obj, &e);
	e.exception.injected = 0;
	e.nmi.injected = 0;
	e.interrupt.injected = 1;
	e.interrupt.nr = vector;
	e.flags = 0;
	return plumb_vcpu_set_events(obj, &e);
}

static long kvm_get_fpu(void *obj, void *arg, unsigned long raw)
{
	struct kvm_fpu *f = arg;
	struct fxregs_state fx;

	plumb_fpu_get_fxsave(obj, &fx);
	memcpy(f->fpr, fx.st_space, sizeof(f->fpr));
	f->fcw = fx.cwd;
	f->fsw = fx.swd;
	f->ftwx = fx.twd;
	f->last_opcode = fx.fop;
	f->last_ip = fx.rip;
	f->last_dp = fx.rdp;
	memcpy(f->xmm, fx.xmm_space, sizeof(f->xmm));
	f->mxcsr = fx.mxcsr;
	return 0;
}

static long kvm_set_fpu(void *obj, void *arg, unsigned long raw)
{
	const struct kvm_fpu *f = arg;
	struct fxregs_state fx = {};

	if (f->pad1 || f->pad2)
		return -EINVAL;
	memcpy(fx.st_space, f->fpr, sizeof(f->fpr));
	fx.cwd = f->fcw;
	fx.swd = f->fsw;
	fx.twd = f->ftwx;
	fx.fop = f->last_opcode;
	fx.rip = f->last_ip;
	fx.rdp = f->last_dp;
	memcpy(fx.xmm_space, f->xmm, sizeof(f->xmm));
	fx.mxcsr = f->mxcsr;
	return plumb_fpu_set_fxsave(obj, &fx);
}

/*
 * KVM_GET/SET_XSAVE, XCRS, VCPU_EVENTS and DEBUGREGS are plumb's own
 * ioctls (vcpu.h's plumb_ioc_*): their structs are KVM's byte for byte.
 */
static_assert(sizeof(struct kvm_xsave) == sizeof(struct plumb_xsave));
static_assert(sizeof(struct kvm_xcrs) == sizeof(struct plumb_xcrs));
static_assert(offsetof(struct kvm_xcrs, xcrs[1].value) ==
	      offsetof(struct plumb_xcrs, xcrs[1].value));
static_assert(offsetof(struct kvm_xcrs, padding) ==
	      offsetof(struct plumb_xcrs, padding));

/* The SMM, triple-fault and payload parts are reserved (their caps are 0). */
static_assert(sizeof(struct kvm_vcpu_events) == sizeof(struct plumb_vcpu_events));
static_assert(offsetof(struct kvm_vcpu_events, flags) ==
	      offsetof(struct plumb_vcpu_events, flags));
static_assert(offsetof(struct kvm_vcpu_events, smi) ==
	      offsetof(struct plumb_vcpu_events, reserved));
static_assert(KVM_VCPUEVENT_VALID_NMI_PENDING == PLUMB_VCPUEVENT_VALID_NMI_PENDING &&
	      KVM_VCPUEVENT_VALID_SIPI_VECTOR == PLUMB_VCPUEVENT_VALID_SIPI_VECTOR &&
	      KVM_VCPUEVENT_VALID_SHADOW == PLUMB_VCPUEVENT_VALID_SHADOW &&
	      KVM_X86_SHADOW_INT_MOV_SS == PLUMB_SHADOW_MOV_SS &&
	      KVM_X86_SHADOW_INT_STI == PLUMB_SHADOW_STI);

static_assert(sizeof(struct kvm_debugregs) == sizeof(struct plumb_debugregs));
static_assert(offsetof(struct kvm_debugregs, flags) ==
	      offsetof(struct plumb_debugregs, flags));

static long kvm_get_msrs(void *obj, void *arg, unsigned long raw)
{
	struct kvm_msrs __user *u = (void __user *)raw;

	return plumb_vcpu_msrs(obj, ((struct kvm_msrs *)arg)->nmsrs,
			       (void __user *)u->entries, false);
}

static long kvm_set_msrs(void *obj, void *arg, unsigned long raw)
{
	struct kvm_msrs __user *u = (void __user *)raw;

	return plumb_vcpu_msrs(obj, ((struct kvm_msrs *)arg)->nmsrs,
			       (void __user *)u->entries, true);
}

/*
 * KVM_SET_CPUID2. KVM ignores its obsolete STATEFUL_FUNC/READ_NEXT flags
 * (QEMU still sets them on leaf 2): so do we; others are refused.
 */
static long kvm_set_cpuid2(void *obj, void *arg, unsigned long raw)
{
	struct kvm_cpuid2 __user *u = (void __user *)raw;
	u32 nent = ((struct kvm_cpuid2 *)arg)->nent, i;
	struct plumb_cpuid_entry *e;

	if (nent > PLUMB_MAX_CPUID_ENTRIES)
		return -E2BIG;
	e = plumb_cpuid_copy(u->entries, nent);
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < nent; i++)
		e[i].flags &= ~(KVM_CPUID_FLAG_STATEFUL_FUNC |
				KVM_CPUID_FLAG_STATE_READ_NEXT);
	return plumb_vcpu_set_cpuid(obj, e, nent);
}

/* KVM's MP states on plumb's: an AP before start-up waits for a SIPI. */
static long kvm_get_mp_state(void *obj, void *arg, unsigned long raw)
{
	struct kvm_mp_state *m = arg;
	struct plumb_vcpu *vcpu = obj;

	if (vcpu->mp_state == PLUMB_MP_WAIT_SIPI)
		m->mp_state = KVM_MP_STATE_UNINITIALIZED;
	else if (vcpu->halted)
		m->mp_state = KVM_MP_STATE_HALTED;
	else
		m->mp_state = KVM_MP_STATE_RUNNABLE;
	return 0;
}

static long kvm_set_mp_state(void *obj, void *arg, unsigned long raw)
{
	const struct kvm_mp_state *m = arg;
	struct plumb_vcpu *vcpu = obj;

	switch (m->mp_state) {
	case KVM_MP_STATE_RUNNABLE:
	case KVM_MP_STATE_HALTED:
		vcpu->mp_state = PLUMB_MP_RUNNABLE;
		vcpu->halted = m->mp_state == KVM_MP_STATE_HALTED;
		vcpu->halted_masked = vcpu->halted &&
			!(plumb_ops->get_rflags(vcpu) & X86_EFLAGS_IF);
		return 0;
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
		vcpu->mp_state = PLUMB_MP_WAIT_SIPI;
		vcpu->halted = false;
		return 0;
	default:
		return -EINVAL;
	}
}

/* The 1 KiB xAPIC page: each register's 32 bits at its offset. */
static long kvm_get_lapic(void *obj, void *arg, unsigned long raw)
{
	struct kvm_lapic_state __user *u = (void __user *)raw;
	struct kvm_lapic_state *k;
	u32 img[PAPIC_REG_END / 16];
	unsigned int i;
	long ret = 0;

	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	plumb_lapic_get_state(obj, img);
	for (i = 0; i < ARRAY_SIZE(img); i++)
		memcpy(&k->regs[i * 16], &img[i], sizeof(img[i]));
	if (copy_to_user(u, k, sizeof(*k)))
		ret = -EFAULT;
	kfree(k);
	return ret;
}

static long kvm_set_lapic(void *obj, void *arg, unsigned long raw)
{
	struct kvm_lapic_state *k;
	u32 img[PAPIC_REG_END / 16];
	unsigned int i;

	k = memdup_user((void __user *)raw, sizeof(*k));
	if (IS_ERR(k))
		return PTR_ERR(k);
	for (i = 0; i < ARRAY_SIZE(img); i++)
		memcpy(&img[i], &k->regs[i * 16], sizeof(img[i]));
	kfree(k);
	plumb_lapic_set_state(obj, img);
	return 0;
}

/* No TPR patching (KVM_EXIT_TPR_ACCESS is never made): only 0. */
static long kvm_set_vapic_addr(void *obj, void *arg, unsigned long raw)
{
	const struct kvm_vapic_addr *v = arg;

	return v->vapic_addr ? -EINVAL : 0;
}

/* The userspace PIC's interrupt, through LINT0 as ExtINT. */
static long kvm_interrupt(void *obj, void *arg, unsigned long raw)
{
	const struct kvm_interrupt *irq = arg;

	if (irq->irq >= 256)
		return -EINVAL;
	return plumb_lapic_queue_extint(obj, irq->irq);
}

static long kvm_nmi(void *obj, void *arg, unsigned long raw)
{
	plumb_lapic_queue_nmi(obj);
	return 0;
}

static long kvm_get_tsc_khz(void *obj, void *arg, unsigned long raw)
{
	return tsc_khz ? tsc_khz : -EIO;
}

static const struct plumb_ioctl kvm_vcpu_ioctls[] = {
	PLUMB_IOCTL(KVM_RUN, kvm_vcpu_run,
		    .how = PLUMB_IOC_LOCK | PLUMB_IOC_ARG0),
	PLUMB_IOCTL(KVM_GET_REGS, kvm_get_regs, .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(KVM_SET_REGS, kvm_set_regs, .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(KVM_GET_SREGS, kvm_get_sregs, .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(KVM_SET_SREGS, kvm_set_sregs, .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(KVM_GET_FPU, kvm_get_fpu, .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(KVM_SET_FPU, kvm_set_fpu, .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(KVM_GET_VCPU_EVENTS, plumb_ioc_get_events,
		    .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(KVM_SET_VCPU_EVENTS, plumb_ioc_set_events,
		    .how = PLUMB_IOC_LOCK,
		    PLUMB_IOC_FLAGS(struct kvm_vcpu_events, flags,
				    KVM_VCPUEVENT_VALID_NMI_PENDING |
				    KVM_VCPUEVENT_VALID_SIPI_VECTOR |
				    KVM_VCPUEVENT_VALID_SHADOW),
		    PLUMB_IOC_ZERO_FROM(struct kvm_vcpu_events, smi)),
	PLUMB_IOCTL(KVM_GET_DEBUGREGS, plumb_ioc_get_debugregs,
		    .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(KVM_SET_DEBUGREGS, plumb_ioc_set_debugregs,
		    .how = PLUMB_IOC_LOCK,
		    PLUMB_IOC_ZERO_FROM(struct kvm_debugregs, flags)),
	PLUMB_IOCTL_BIG(KVM_GET_XSAVE, plumb_ioc_get_xsave, PLUMB_IOC_LOCK),
	PLUMB_IOCTL_BIG(KVM_SET_XSAVE, plumb_ioc_set_xsave, PLUMB_IOC_LOCK),
	PLUMB_IOCTL(KVM_GET_XCRS, plumb_ioc_get_xcrs, .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(KVM_SET_XCRS, plumb_ioc_set_xcrs, .how = PLUMB_IOC_LOCK,
		    PLUMB_IOC_FLAGS(struct kvm_xcrs, flags, 0),
		    PLUMB_IOC_ZERO_FROM(struct kvm_xcrs, padding)),
	PLUMB_IOCTL(KVM_GET_MSRS, kvm_get_msrs,
		    .how = PLUMB_IOC_LOCK | PLUMB_IOC_ENTRIES,
		    PLUMB_IOC_ZERO_FROM(struct kvm_msrs, pad)),
	PLUMB_IOCTL(KVM_SET_MSRS, kvm_set_msrs,
		    .how = PLUMB_IOC_LOCK | PLUMB_IOC_ENTRIES,
		    PLUMB_IOC_ZERO_FROM(struct kvm_msrs, pad)),
	PLUMB_IOCTL(KVM_SET_CPUID2, kvm_set_cpuid2,
		    .how = PLUMB_IOC_LOCK | PLUMB_IOC_ENTRIES,
		    PLUMB_IOC_ZERO_FROM(struct kvm_cpuid2, padding)),
	PLUMB_IOCTL(KVM_GET_MP_STATE, kvm_get_mp_state, .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(KVM_SET_MP_STATE, kvm_set_mp_state, .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL_BIG(KVM_GET_LAPIC, kvm_get_lapic, PLUMB_IOC_LOCK),
	PLUMB_IOCTL_BIG(KVM_SET_LAPIC, kvm_set_lapic, PLUMB_IOC_LOCK),
	PLUMB_IOCTL(KVM_SET_VAPIC_ADDR, kvm_set_vapic_addr,
		    .how = PLUMB_IOC_LOCK),
	/* Not under the mutex: RUN may hold it while the guest halts. */
	PLUMB_IOCTL(KVM_INTERRUPT, kvm_interrupt),
	PLUMB_IOCTL(KVM_NMI, kvm_nmi),
	PLUMB_IOCTL(KVM_GET_TSC_KHZ, kvm_get_tsc_khz, .how = PLUMB_IOC_ARG0),
};

static long kvm_vcpu_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct plumb_vcpu *vcpu = filp->private_data;

	if (!plumb_vm_owner_ok(vcpu->vm))
		return -EIO;
	return plumb_ioctl(kvm_vcpu_ioctls, ARRAY_SIZE(kvm_vcpu_ioctls), vcpu,
			   &vcpu->mutex, cmd, arg);
}

/*
 * Pages 0-2 as KVM lays them out (kvm_run, the PIO data, the VM's
 * coalesced ring), any part of them, shared: a private copy would hide
 * userspace's writes from the kernel.
 */
static int kvm_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct plumb_vcpu *vcpu = filp->private_data;
	struct page *pages[PLUMB_KVM_RUN_PAGES] = {
		vcpu->kvm->run_page, vcpu->kvm->pio_page,
		vcpu->vm->kvm->ring_page,
	};
	unsigned long i, n = vma_pages(vma);
	int ret;

	if (!plumb_vm_owner_ok(vcpu->vm))
		return -EIO;
	if (!(vma->vm_flags & VM_SHARED) ||
	    vma->vm_pgoff >= PLUMB_KVM_RUN_PAGES ||
	    n > PLUMB_KVM_RUN_PAGES - vma->vm_pgoff)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		ret = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE,
				     pages[vma->vm_pgoff + i]);
		if (ret)
			return ret;
	}
	return 0;
}

static const struct file_operations kvm_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= plumb_vcpu_release,
	.unlocked_ioctl	= kvm_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= kvm_vcpu_mmap,
	.llseek		= plumb_no_llseek,
};

/* With the VM (kvm/vm.c): no fd or mapping of the vCPU is left. */
void plumb_kvm_vcpu_free(struct plumb_vcpu *vcpu)
{
	struct plumb_kvm_vcpu *k = vcpu->kvm;

	if (!k)
		return;
	if (k->run_page)
		__free_page(k->run_page);
	if (k->pio_page)
		__free_page(k->pio_page);
	kfree(k);
	vcpu->kvm = NULL;
}

/*
 * KVM_CREATE_VCPU: @id is the APIC ID. The BSP (0) starts runnable, the
 * others wait for INIT and SIPI, as KVM's with an in-kernel LAPIC.
 */
long plumb_kvm_create_vcpu(struct plumb_vm *vm, unsigned long id)
{
	struct plumb_kvm_vcpu *k;
	struct plumb_vcpu *vcpu;
	int fd;

	vcpu = plumb_vcpu_create(vm, id);
	if (IS_ERR(vcpu))
		return PTR_ERR(vcpu);
	fd = -ENOMEM;
	k = kzalloc(sizeof(*k), GFP_KERNEL_ACCOUNT);
	if (!k)
		goto err;
	vcpu->kvm = k;
	k->run_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	k->pio_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!k->run_page || !k->pio_page)
		goto err;
	k->run = page_address(k->run_page);
	k->pio = page_address(k->pio_page);
	vcpu->mp_state = id ? PLUMB_MP_WAIT_SIPI : PLUMB_MP_RUNNABLE;

	fd = plumb_vcpu_getfd(vcpu, &kvm_vcpu_fops, "kvm-vcpu");
	if (fd >= 0)
		return fd;
err:
	plumb_kvm_vcpu_free(vcpu);
	plumb_vcpu_destroy(vcpu);
	return fd;
}
