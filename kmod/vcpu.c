// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU objects: the vCPU fd, its exit ring, the run loop and the register
 * ioctls.
 *
 * The exit ring (include/uapi/linux/plumb.h) is shared with userspace,
 * which may scribble on it at any time. The kernel keeps its own producer
 * index and its own record of what it waits for (vcpu->pending), reads the
 * consumer index once per RUN and only ever takes the reply data of the one
 * record it is waiting for, copied out of the shared page before use.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/msr-index.h>
#include <asm/trapnr.h>

#include "backend.h"
#include "compat.h"
#include "cpuid.h"
#include "dr.h"
#include "fpu.h"
#include "ioctl.h"
#include "lapic.h"
#include "msr.h"
#include "sregs.h"
#include "vcpu.h"
#include "vm.h"

#define RING_AREA_SIZE	(PLUMB_RING_HEADER_SIZE + \
			 PLUMB_RING_ENTRIES * sizeof(struct plumb_exit))
#define RING_PAGES	(RING_AREA_SIZE >> PAGE_SHIFT)
static_assert(PAGE_ALIGNED(RING_AREA_SIZE));

atomic_t plumb_nr_vcpus = ATOMIC_INIT(0);

static size_t ring_area_size(void)
{
	return RING_AREA_SIZE;
}

/*
 * The ring area: zeroed pages charged to the memcg, mapped with
 * VM_USERMAP so that remap_vmalloc_range() takes them. vmalloc_user()
 * has no gfp argument and the vmalloc call that has both is not exported,
 * hence pages of our own, vmap()ed.
 */
static void *ring_alloc(void)
{
	struct page *pages[RING_PAGES];
	unsigned int i;
	void *area;

	for (i = 0; i < RING_PAGES; i++) {
		pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!pages[i])
			goto err_free;
	}
	area = vmap(pages, RING_PAGES, VM_MAP | VM_USERMAP, PAGE_KERNEL);
	if (area)
		return area;
err_free:
	while (i--)
		__free_page(pages[i]);
	return NULL;
}

static void ring_free(void *area)
{
	struct page *pages[RING_PAGES];
	unsigned int i;

	if (!area)
		return;
	for (i = 0; i < RING_PAGES; i++)
		pages[i] = vmalloc_to_page(area + i * PAGE_SIZE);
	vunmap(area);
	for (i = 0; i < RING_PAGES; i++)
		__free_page(pages[i]);
}

/* Free records in the ring, as far as the kernel is concerned. */
u32 plumb_ring_free(struct plumb_vcpu *vcpu)
{
	u32 cons = READ_ONCE(vcpu->ring.hdr->consumer);
	u32 used = vcpu->ring.prod - cons;

	/* A scribbled consumer reads as "full": RUN then reports it. */
	if (used > PLUMB_RING_ENTRIES)
		return 0;
	return PLUMB_RING_ENTRIES - used;
}

/* The next record to fill; the caller checked there is room. */
struct plumb_exit *plumb_ring_next(struct plumb_vcpu *vcpu, u32 reason)
{
	struct plumb_vcpu_ring *r = &vcpu->ring;
	struct plumb_exit *e = &r->entries[r->prod % PLUMB_RING_ENTRIES];

	memset(e, 0, sizeof(*e));
	e->reason = reason;
	e->seq = vcpu->ring.prod;
	return e;
}

/*
 * Publish @e. A record that needs a reply names the function that finishes
 * its instruction once userspace gave it (@complete, run by the next RUN);
 * its state is in vcpu->pending, filled by the caller.
 */
void plumb_ring_commit(struct plumb_vcpu *vcpu, struct plumb_exit *e,
		       plumb_complete_fn complete)
{
	if (complete) {
		e->flags |= PLUMB_EXIT_F_REPLY;
		vcpu->pending.complete = complete;
		vcpu->pending.reason = e->reason;
		vcpu->pending.slot = vcpu->ring.prod % PLUMB_RING_ENTRIES;
	}
	vcpu->stats.records++;
	if (e->reason == PLUMB_EXIT_FAIL_ENTRY)
		__set_bit(PLUMB_MGMT_EV_ENTRY_FAILED, &vcpu->stats.events);
	else if (e->reason == PLUMB_EXIT_INTERNAL_ERROR)
		__set_bit(PLUMB_MGMT_EV_INTERNAL_ERROR, &vcpu->stats.events);
	vcpu->ring.prod++;
	/* The record is complete before userspace can see the index move. */
	smp_store_release(&vcpu->ring.hdr->producer, vcpu->ring.prod);
}

/*
 * Commit a write record: posted (the guest goes on, return 1) when the
 * address is in a posted range and a record stays free, else 0.
 */
int plumb_ring_commit_write(struct plumb_vcpu *vcpu, struct plumb_exit *e,
			    bool pio, u64 addr, u32 len)
{
	if (plumb_posted(vcpu->vm, pio, addr, len) &&
	    plumb_ring_free(vcpu) > 1) {
		e->flags |= PLUMB_EXIT_F_POSTED;
		vcpu->stats.posted++;
		if (READ_ONCE(vcpu->ring.hdr->consumer) == vcpu->ring.prod)
			vcpu->ring.posted_since = jiffies;
		plumb_ring_commit(vcpu, e, NULL);
		return 1;
	}
	plumb_ring_commit(vcpu, e, NULL);
	return 0;
}

int plumb_exit_internal(struct plumb_vcpu *vcpu, u32 suberror, u32 ndata,
			const u64 *data)
{
	struct plumb_exit *e = plumb_ring_next(vcpu, PLUMB_EXIT_INTERNAL_ERROR);

	e->internal.suberror = suberror;
	e->internal.ndata = min_t(u32, ndata, ARRAY_SIZE(e->internal.data));
	memcpy(e->internal.data, data, e->internal.ndata * sizeof(u64));
	plumb_ring_commit(vcpu, e, NULL);
	return 0;
}

/* Triple fault: the vCPU is dead; every later RUN reports it again. */
int plumb_exit_shutdown(struct plumb_vcpu *vcpu)
{
	if (!vcpu->dead)
		__set_bit(PLUMB_MGMT_EV_SHUTDOWN, &vcpu->stats.events);
	vcpu->dead = true;
	plumb_ring_commit(vcpu, plumb_ring_next(vcpu, PLUMB_EXIT_SHUTDOWN),
			  NULL);
	return 0;
}

/*
 * The port IN came back: 32-bit results zero-extend RAX, 8- and 16-bit
 * ones merge. The size is ours, not the record's: it may be scribbled.
 */
static int complete_io_in(struct plumb_vcpu *vcpu,
			  const struct plumb_exit *reply)
{
	u8 size = vcpu->pending.io_size;
	u64 *rax = &vcpu->regs[PLUMB_RAX];
	u64 val = 0;

	memcpy(&val, reply->io.data, min_t(u8, size, 4));
	if (size == 4)
		*rax = val;
	else if (size == 2)
		*rax = (*rax & ~0xffffULL) | val;
	else
		*rax = (*rax & ~0xffULL) | val;
	return 0;
}

/*
 * A single IN or OUT of @size bytes (the backend has moved RIP past it):
 * an OUT to a posted port keeps the guest running; an IN waits for the
 * reply, which complete_io_in() puts in RAX.
 */
int plumb_exit_io(struct plumb_vcpu *vcpu, u16 port, u8 size, bool in)
{
	struct plumb_exit *e = plumb_ring_next(vcpu, PLUMB_EXIT_IO);

	e->io.port = port;
	e->io.size = size;
	e->io.count = 1;
	e->io.direction = in ? PLUMB_IO_IN : PLUMB_IO_OUT;
	if (in) {
		vcpu->pending.io_size = size;
		plumb_ring_commit(vcpu, e, complete_io_in);
		return 0;
	}
	memcpy(e->io.data, &vcpu->regs[PLUMB_RAX], size);
	return plumb_ring_commit_write(vcpu, e, true, port, size);
}

/* PLUMB_SET_SREGS: only a state the vCPU's CPU could be in (sregs.c). */
static bool sregs_valid(struct plumb_vcpu *vcpu, const struct plumb_sregs *s)
{
	struct plumb_sregs_limits l = {
		.cr4_allowed = plumb_cr4_allowed(vcpu),
		.efer_allowed = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX |
				EFER_FFXSR,
		.maxphyaddr = plumb_guest_maxphyaddr(vcpu),
	};

	return plumb_sregs_valid(s, &l);
}

/*
 * The guest ended a level-triggered interrupt in its APIC (lapic.c raised
 * PLUMB_REQ_EOI): a record for the userspace IOAPIC, which clears Remote
 * IRR. No reply. false if there is nothing to report, or no room yet.
 */
static bool report_eoi(struct plumb_vcpu *vcpu)
{
	struct plumb_exit *e;
	int v;

	if (!plumb_ring_free(vcpu))
		return false;
	v = plumb_lapic_take_eoi(vcpu);
	if (v < 0)
		return false;
	e = plumb_ring_next(vcpu, PLUMB_EXIT_EOI);
	e->eoi.vector = v;
	plumb_ring_commit(vcpu, e, NULL);
	return true;
}

static int vcpu_run(struct plumb_vcpu *vcpu)
{
	struct plumb_ring_header *hdr = vcpu->ring.hdr;
	u64 t;
	int ret;

	/* Everything produced so far must have been consumed, in order. */
	if (READ_ONCE(hdr->consumer) != vcpu->ring.prod)
		return -EBUSY;

	if (vcpu->pending.complete) {
		plumb_complete_fn complete = vcpu->pending.complete;
		struct plumb_exit reply;

		memcpy(&reply, &vcpu->ring.entries[vcpu->pending.slot],
		       sizeof(reply));
		/* Only what we wait for counts, not what the record claims. */
		reply.reason = vcpu->pending.reason;
		vcpu->pending.complete = NULL;
		ret = complete(vcpu, &reply);
		if (ret)
			return ret;
	}
	if (vcpu->dead) {
		struct plumb_exit *e = plumb_ring_next(vcpu, PLUMB_EXIT_SHUTDOWN);

		plumb_ring_commit(vcpu, e, NULL);
		return 0;
	}

	for (;;) {
		if (READ_ONCE(hdr->immediate_exit) || signal_pending(current))
			return -EINTR;
		/* Paused (waits here) or killed by the management plane. */
		if (unlikely(plumb_vm_ctl(vcpu->vm))) {
			ret = plumb_mgmt_vcpu_wait(vcpu);
			if (ret)
				return ret;
			continue;
		}
		ret = plumb_lapic_init_sipi(vcpu);
		if (ret == -EAGAIN)
			continue;	/* the management plane woke it */
		if (ret)
			return ret;
		if (vcpu->halted) {
			/*
			 * Posted writes reach userspace before the vCPU
			 * sleeps: a guest that notified a device and halted
			 * waits for that very device.
			 */
			if (READ_ONCE(hdr->consumer) != vcpu->ring.prod)
				return 0;
			/* HLT with IF=1: no CPU used until an interrupt. */
			t = ktime_get_ns();
			ret = rcuwait_wait_event(&vcpu->wait,
						 plumb_lapic_wakes(vcpu) ||
						 plumb_vm_ctl(vcpu->vm),
						 TASK_INTERRUPTIBLE);
			vcpu->stats.halt_ns += ktime_get_ns() - t;
			if (ret)
				return -EINTR;
			if (!plumb_lapic_wakes(vcpu))
				continue;	/* paused or killed */
			vcpu->halted = false;
			vcpu->halted_masked = false;
			continue;	/* an INIT comes first */
		}
		cond_resched();
		plumb_lapic_inject(vcpu);
		/*
		 * A userspace PIC waits to offer an interrupt (KVM's
		 * request_interrupt_window): tell it when the guest can take
		 * one, else exit as soon as it can.
		 */
		if (vcpu->irq_window_wanted && plumb_lapic_extint_ready(vcpu)) {
			if (plumb_ops->interrupt_allowed(vcpu))
				return PLUMB_RUN_IRQ_WINDOW;
			plumb_ops->enable_irq_window(vcpu);
		}
		ret = plumb_ops->vcpu_run(vcpu);
		if (ret <= 0)
			return ret;
		if (test_bit(PLUMB_REQ_EOI, &vcpu->requests) &&
		    report_eoi(vcpu))
			return 0;
		/*
		 * Posted writes wait in the ring for a few milliseconds at
		 * most: after that the next exit of any kind (a host
		 * interrupt at the latest) hands them to userspace. A guest
		 * that notified a device and then computed for seconds
		 * without exiting to userspace held that device back.
		 */
		if (READ_ONCE(hdr->consumer) != vcpu->ring.prod &&
		    time_after_eq(jiffies, vcpu->ring.posted_since +
					   PLUMB_POSTED_MAX_AGE))
			return 0;
	}
}

/*
 * Run the guest until a record needs userspace (0), userspace asked for
 * the interrupt window and it is open (PLUMB_RUN_IRQ_WINDOW), or -errno
 * (-EINTR: a signal or immediate_exit; -ECANCELED: the VM was killed).
 * Lifecycle events the run raised go out here, where sleeping is fine.
 */
int plumb_vcpu_run(struct plumb_vcpu *vcpu)
{
	int ret;

	vcpu->stats.runs++;
	ret = vcpu_run(vcpu);
	if (ret >= 0)
		vcpu->stats.exits_user++;
	if (unlikely(vcpu->stats.events))
		plumb_mgmt_vcpu_events(vcpu);
	return ret;
}

/* PLUMB_GET_REGS: the register file, and the backend's RIP and RFLAGS. */
void plumb_vcpu_get_regs(struct plumb_vcpu *vcpu, struct plumb_regs *r)
{
	const u64 *a = vcpu->regs;

	r->rax = a[0]; r->rcx = a[1]; r->rdx = a[2]; r->rbx = a[3];
	r->rsp = a[4]; r->rbp = a[5]; r->rsi = a[6]; r->rdi = a[7];
	r->r8 = a[8]; r->r9 = a[9]; r->r10 = a[10]; r->r11 = a[11];
	r->r12 = a[12]; r->r13 = a[13]; r->r14 = a[14]; r->r15 = a[15];
	r->rip = plumb_ops->get_rip(vcpu);
	r->rflags = plumb_ops->get_rflags(vcpu);
}

void plumb_vcpu_set_regs(struct plumb_vcpu *vcpu, const struct plumb_regs *r)
{
	u64 *a = vcpu->regs;

	a[0] = r->rax; a[1] = r->rcx; a[2] = r->rdx; a[3] = r->rbx;
	a[4] = r->rsp; a[5] = r->rbp; a[6] = r->rsi; a[7] = r->rdi;
	a[8] = r->r8; a[9] = r->r9; a[10] = r->r10; a[11] = r->r11;
	a[12] = r->r12; a[13] = r->r13; a[14] = r->r14; a[15] = r->r15;
	plumb_ops->set_rip(vcpu, r->rip);
	/* Bit 1 always set; reserved bits clear (SDM Vol. 1 3.4.3). */
	plumb_ops->set_rflags(vcpu, (r->rflags & 0x3f7fd7) | X86_EFLAGS_FIXED);
}

static long vcpu_ioctl_run(void *obj, void *arg, unsigned long raw)
{
	return plumb_vcpu_run(obj);
}

static long vcpu_get_regs(void *obj, void *arg, unsigned long raw)
{
	plumb_vcpu_get_regs(obj, arg);
	return 0;
}

static long vcpu_set_regs(void *obj, void *arg, unsigned long raw)
{
	plumb_vcpu_set_regs(obj, arg);
	return 0;
}

static long vcpu_get_sregs(void *obj, void *arg, unsigned long raw)
{
	plumb_ops->get_sregs(obj, arg);
	return 0;
}

/* PLUMB_SET_SREGS: only a state the vCPU's CPU could be in. */
int plumb_vcpu_set_sregs(struct plumb_vcpu *vcpu, const struct plumb_sregs *s)
{
	if (!sregs_valid(vcpu, s))
		return -EINVAL;
	return plumb_ops->set_sregs(vcpu, s);
}

static long vcpu_set_sregs(void *obj, void *arg, unsigned long raw)
{
	return plumb_vcpu_set_sregs(obj, arg);
}

/*
 * GET_MSRS and SET_MSRS (either ABI): @nmsrs entries at @u. Returns how
 * many were done, as KVM's: the first the vCPU refuses ends the list.
 */
long plumb_vcpu_msrs(struct plumb_vcpu *vcpu, u32 nmsrs,
		     struct plumb_msr_entry __user *u, bool set)
{
	struct plumb_msr_entry *e;
	u32 i;
	long ret;

	if (nmsrs > PLUMB_MAX_MSR_ENTRIES)
		return -EINVAL;
	e = memdup_user(u, nmsrs * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < nmsrs; i++) {
		if (e[i].reserved) {
			ret = -EINVAL;
			goto out;
		}
		/* Storage only userspace sees (the MCE banks) first. */
		if (!plumb_msr_host(vcpu, e[i].index, &e[i].data, set))
			continue;
		if (set && e[i].index == MSR_IA32_APICBASE) {
			/* userspace's reset or restore: any valid value */
			if (plumb_msr_set_apic_base_host(vcpu, e[i].data))
				break;
		} else if (set ? plumb_ops->set_msr(vcpu, e[i].index, e[i].data) :
				 plumb_ops->get_msr(vcpu, e[i].index, &e[i].data)) {
			break;
		}
	}
	ret = i;
	if (!set && copy_to_user(u, e, i * sizeof(*e)))
		ret = -EFAULT;
out:
	kfree(e);
	return ret;
}

/* @arg: the checked copy of the header; the entries follow it at @raw. */
static long vcpu_get_msrs(void *obj, void *arg, unsigned long raw)
{
	struct plumb_msrs __user *u = (void __user *)raw;

	return plumb_vcpu_msrs(obj, ((struct plumb_msrs *)arg)->nmsrs,
			       u->entries, false);
}

static long vcpu_set_msrs(void *obj, void *arg, unsigned long raw)
{
	struct plumb_msrs __user *u = (void __user *)raw;

	return plumb_vcpu_msrs(obj, ((struct plumb_msrs *)arg)->nmsrs,
			       u->entries, true);
}

/*
 * @nent CPUID entries from userspace (either ABI), in a copy charged to
 * the memcg (the table lives with the vCPU), or an ERR_PTR.
 */
struct plumb_cpuid_entry *plumb_cpuid_copy(const void __user *u, u32 nent)
{
	struct plumb_cpuid_entry *e;

	if (nent > PLUMB_MAX_CPUID_ENTRIES)
		return ERR_PTR(-EINVAL);
	e = kmalloc_array(nent, sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(e, u, nent * sizeof(*e))) {
		kfree(e);
		return ERR_PTR(-EFAULT);
	}
	return e;
}

/*
 * The guest's CPUID table: @e (from plumb_cpuid_copy()), which the vCPU
 * keeps, or frees if an entry has unknown flags or reserved bytes.
 */
int plumb_vcpu_set_cpuid(struct plumb_vcpu *vcpu, struct plumb_cpuid_entry *e,
			 u32 nent)
{
	u32 i;

	for (i = 0; i < nent; i++) {
		if ((e[i].flags & ~PLUMB_CPUID_FLAG_SIGNIFICANT_INDEX) ||
		    memchr_inv(e[i].reserved, 0, sizeof(e[i].reserved))) {
			kfree(e);
			return -EINVAL;
		}
	}
	kfree(vcpu->cpuid);
	vcpu->cpuid = e;
	vcpu->nr_cpuid = nent;
	return 0;
}

static long vcpu_set_cpuid(void *obj, void *arg, unsigned long raw)
{
	struct plumb_cpuid __user *u = (void __user *)raw;
	u32 nent = ((struct plumb_cpuid *)arg)->nent;
	struct plumb_cpuid_entry *e = plumb_cpuid_copy(u->entries, nent);

	if (IS_ERR(e))
		return PTR_ERR(e);
	return plumb_vcpu_set_cpuid(obj, e, nent);
}

static long vcpu_get_mp_state(void *obj, void *arg, unsigned long raw)
{
	struct plumb_mp_state *m = arg;
	struct plumb_vcpu *vcpu = obj;

	m->state = vcpu->mp_state;
	return 0;
}

static long vcpu_set_mp_state(void *obj, void *arg, unsigned long raw)
{
	const struct plumb_mp_state *m = arg;
	struct plumb_vcpu *vcpu = obj;

	if (m->state > PLUMB_MP_WAIT_SIPI)
		return -EINVAL;
	vcpu->mp_state = m->state;
	return 0;
}

/*
 * PLUMB_GET/SET_VCPU_EVENTS, and KVM's (the same struct): the backend's
 * event in flight, shadow and NMI masking, the local APIC's pending NMI
 * and start-up vector. An interrupted INT n, INT3 or INTO is never shown:
 * RIP is on the instruction and the guest runs it again (decision 143).
 */
#define EVENTS_VALID	(PLUMB_VCPUEVENT_VALID_NMI_PENDING |		\
			 PLUMB_VCPUEVENT_VALID_SIPI_VECTOR |		\
			 PLUMB_VCPUEVENT_VALID_SHADOW)

void plumb_vcpu_get_events(struct plumb_vcpu *vcpu, struct plumb_vcpu_events *e)
{
	struct plumb_events ev = {};
	unsigned long flags;
	u8 vector;

	plumb_ops->get_events(vcpu, &ev);
	memset(e, 0, sizeof(*e));
	vector = ev.inject & 0xff;
	switch (ev.inject & (PLUMB_EV_VALID | PLUMB_EV_TYPE_MASK)) {
	case PLUMB_EV_VALID | PLUMB_EV_TYPE_EXCEPT:
		e->exception.injected = 1;
		e->exception.nr = vector;
		e->exception.has_error_code = !!(ev.inject & PLUMB_EV_ERR);
		e->exception.error_code = ev.error_code;
		break;
	case PLUMB_EV_VALID | PLUMB_EV_TYPE_INTR:
		e->interrupt.injected = 1;
		e->interrupt.nr = vector;
		break;
	case PLUMB_EV_VALID | PLUMB_EV_TYPE_NMI:
		e->nmi.injected = 1;
		break;
	}
	e->interrupt.shadow = ev.shadow;
	e->nmi.masked = ev.nmi_masked;
	e->nmi.pending = READ_ONCE(vcpu->lapic.nmi_pending);
	raw_spin_lock_irqsave(&vcpu->lapic.lock, flags);
	e->sipi_vector = vcpu->lapic.sipi_vector;
	raw_spin_unlock_irqrestore(&vcpu->lapic.lock, flags);
	e->flags = EVENTS_VALID;
}

/* The exceptions that push an error code in protected mode (SDM 6.13). */
static bool exception_has_error_code(u8 vector)
{
	return vector == X86_TRAP_DF || vector == X86_TRAP_AC ||
	       (vector >= X86_TRAP_TS && vector <= X86_TRAP_PF);
}

/*
 * Everything checked before anything changes. The error code follows the
 * vector and the mode, as the CPU's does: pushed for the vectors that
 * have one, in protected mode (0 if userspace gave none; an error code
 * for another vector is -EINVAL), at most 16 bits wide (VMX refuses more
 * at entry).
 */
int plumb_vcpu_set_events(struct plumb_vcpu *vcpu,
			  const struct plumb_vcpu_events *e)
{
	struct plumb_events ev;
	struct plumb_sregs s;
	unsigned long flags;
	u64 rflags;
	bool err;

	if (e->exception.injected > 1 || e->exception.pending ||
	    e->exception.has_error_code > 1 || e->interrupt.injected > 1 ||
	    e->interrupt.soft || e->nmi.injected > 1 || e->nmi.pending > 1 ||
	    e->nmi.masked > 1 || e->nmi.pad ||
	    e->exception.injected + e->interrupt.injected + e->nmi.injected > 1)
		return -EINVAL;
	if ((e->flags & PLUMB_VCPUEVENT_VALID_SHADOW) &&
	    (e->interrupt.shadow & ~(PLUMB_SHADOW_STI | PLUMB_SHADOW_MOV_SS)))
		return -EINVAL;
	if ((e->flags & PLUMB_VCPUEVENT_VALID_SIPI_VECTOR) &&
	    e->sipi_vector > 0xff)
		return -EINVAL;

	plumb_ops->get_events(vcpu, &ev);
	ev.inject = 0;
	ev.error_code = 0;
	if (e->exception.injected) {
		if (e->exception.nr > 31 || e->exception.nr == X86_TRAP_NMI ||
		    (e->exception.has_error_code &&
		     (!exception_has_error_code(e->exception.nr) ||
		      e->exception.error_code > 0xffff)))
			return -EINVAL;
		plumb_ops->get_sregs(vcpu, &s);
		err = exception_has_error_code(e->exception.nr) &&
		      (s.cr0 & X86_CR0_PE);
		ev.inject = PLUMB_EV_VALID | PLUMB_EV_TYPE_EXCEPT |
			    e->exception.nr | (err ? PLUMB_EV_ERR : 0);
		ev.error_code = err && e->exception.has_error_code ?
				e->exception.error_code : 0;
	} else if (e->interrupt.injected) {
		ev.inject = PLUMB_EV_VALID | PLUMB_EV_TYPE_INTR |
			    e->interrupt.nr;
	} else if (e->nmi.injected) {
		ev.inject = PLUMB_EV_VALID | PLUMB_EV_TYPE_NMI | X86_TRAP_NMI;
	}
	if (e->flags & PLUMB_VCPUEVENT_VALID_SHADOW)
		ev.shadow = e->interrupt.shadow;
	ev.nmi_masked = e->nmi.masked;
	/*
	 * States no CPU is in, which VM entry refuses (SDM Vol. 3C 26.3.1.4,
	 * 26.3.1.5): an STI shadow with IF=0 (MOV SS's, which SVM reports
	 * with it, has no such rule), and an interrupt or NMI delivered
	 * inside a shadow or, for an interrupt, with IF=0.
	 */
	rflags = plumb_ops->get_rflags(vcpu);
	if ((ev.shadow == PLUMB_SHADOW_STI && !(rflags & X86_EFLAGS_IF)) ||
	    ((e->interrupt.injected || e->nmi.injected) && ev.shadow) ||
	    (e->interrupt.injected && !(rflags & X86_EFLAGS_IF)))
		return -EINVAL;
	plumb_ops->set_events(vcpu, &ev);

	if (e->flags & PLUMB_VCPUEVENT_VALID_NMI_PENDING)
		WRITE_ONCE(vcpu->lapic.nmi_pending, e->nmi.pending);
	if (e->flags & PLUMB_VCPUEVENT_VALID_SIPI_VECTOR) {
		raw_spin_lock_irqsave(&vcpu->lapic.lock, flags);
		vcpu->lapic.sipi_vector = e->sipi_vector;
		raw_spin_unlock_irqrestore(&vcpu->lapic.lock, flags);
	}
	return 0;
}

long plumb_ioc_get_events(void *obj, void *arg, unsigned long raw)
{
	plumb_vcpu_get_events(obj, arg);
	return 0;
}

long plumb_ioc_set_events(void *obj, void *arg, unsigned long raw)
{
	return plumb_vcpu_set_events(obj, arg);
}

/* PLUMB_GET/SET_DEBUGREGS and KVM's: the registers MOV DR reads. */
long plumb_ioc_get_debugregs(void *obj, void *arg, unsigned long raw)
{
	struct plumb_debugregs *r = arg;
	struct plumb_dr d;

	plumb_ops->get_dr(obj, &d);
	memcpy(r->db, d.db, sizeof(r->db));
	r->dr6 = *d.dr6;
	r->dr7 = *d.dr7;
	return 0;
}

/* As MOV DR writes them (kmod/dr.h), but for bits 63:32: -EINVAL. */
long plumb_ioc_set_debugregs(void *obj, void *arg, unsigned long raw)
{
	const struct plumb_debugregs *r = arg;
	struct plumb_dr d;

	if ((r->dr6 | r->dr7) >> 32)
		return -EINVAL;
	plumb_ops->get_dr(obj, &d);
	memcpy(d.db, r->db, sizeof(r->db));
	*d.dr6 = (r->dr6 & PLUMB_DR6_VOLATILE) | DR6_RESERVED;
	*d.dr7 = (r->dr7 & PLUMB_DR7_VOLATILE) | PLUMB_DR7_FIXED;
	return 0;
}

/* The XSAVE image is 4 KiB: fpu.c copies it itself (PLUMB_IOC_BIG). */
long plumb_ioc_get_xsave(void *obj, void *arg, unsigned long raw)
{
	return plumb_fpu_get_xsave(obj, (void __user *)raw);
}

long plumb_ioc_set_xsave(void *obj, void *arg, unsigned long raw)
{
	return plumb_fpu_set_xsave(obj, (const void __user *)raw);
}

long plumb_ioc_get_xcrs(void *obj, void *arg, unsigned long raw)
{
	plumb_fpu_get_xcrs(obj, arg);
	return 0;
}

long plumb_ioc_set_xcrs(void *obj, void *arg, unsigned long raw)
{
	return plumb_fpu_set_xcrs(obj, arg);
}

/*
 * The vCPU ioctls (ioctl.h), each under vcpu->mutex: one at a time, and
 * never beside RUN.
 */
static const struct plumb_ioctl vcpu_ioctls[] = {
	PLUMB_IOCTL(PLUMB_RUN, vcpu_ioctl_run,
		    .how = PLUMB_IOC_LOCK | PLUMB_IOC_ARG0),
	PLUMB_IOCTL(PLUMB_GET_REGS, vcpu_get_regs, .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(PLUMB_SET_REGS, vcpu_set_regs, .how = PLUMB_IOC_LOCK,
		    PLUMB_IOC_ZERO_FROM(struct plumb_regs, flags)),
	PLUMB_IOCTL(PLUMB_GET_SREGS, vcpu_get_sregs, .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(PLUMB_SET_SREGS, vcpu_set_sregs, .how = PLUMB_IOC_LOCK,
		    PLUMB_IOC_ZERO_FROM(struct plumb_sregs, flags)),
	PLUMB_IOCTL(PLUMB_GET_MSRS, vcpu_get_msrs,
		    .how = PLUMB_IOC_LOCK | PLUMB_IOC_ENTRIES,
		    PLUMB_IOC_ZERO_FROM(struct plumb_msrs, flags)),
	PLUMB_IOCTL(PLUMB_SET_MSRS, vcpu_set_msrs,
		    .how = PLUMB_IOC_LOCK | PLUMB_IOC_ENTRIES,
		    PLUMB_IOC_ZERO_FROM(struct plumb_msrs, flags)),
	PLUMB_IOCTL(PLUMB_SET_CPUID, vcpu_set_cpuid,
		    .how = PLUMB_IOC_LOCK | PLUMB_IOC_ENTRIES,
		    PLUMB_IOC_ZERO_FROM(struct plumb_cpuid, flags)),
	PLUMB_IOCTL(PLUMB_GET_MP_STATE, vcpu_get_mp_state,
		    .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(PLUMB_SET_MP_STATE, vcpu_set_mp_state,
		    .how = PLUMB_IOC_LOCK,
		    PLUMB_IOC_ZERO_FROM(struct plumb_mp_state, padding)),
	PLUMB_IOCTL_BIG(PLUMB_GET_XSAVE, plumb_ioc_get_xsave, PLUMB_IOC_LOCK),
	PLUMB_IOCTL_BIG(PLUMB_SET_XSAVE, plumb_ioc_set_xsave, PLUMB_IOC_LOCK),
	PLUMB_IOCTL(PLUMB_GET_XCRS, plumb_ioc_get_xcrs, .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(PLUMB_SET_XCRS, plumb_ioc_set_xcrs, .how = PLUMB_IOC_LOCK,
		    PLUMB_IOC_FLAGS(struct plumb_xcrs, flags, 0),
		    PLUMB_IOC_ZERO_FROM(struct plumb_xcrs, padding)),
	PLUMB_IOCTL(PLUMB_GET_VCPU_EVENTS, plumb_ioc_get_events,
		    .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(PLUMB_SET_VCPU_EVENTS, plumb_ioc_set_events,
		    .how = PLUMB_IOC_LOCK,
		    PLUMB_IOC_FLAGS(struct plumb_vcpu_events, flags,
				    EVENTS_VALID),
		    PLUMB_IOC_ZERO_FROM(struct plumb_vcpu_events, reserved)),
	PLUMB_IOCTL(PLUMB_GET_DEBUGREGS, plumb_ioc_get_debugregs,
		    .how = PLUMB_IOC_LOCK),
	PLUMB_IOCTL(PLUMB_SET_DEBUGREGS, plumb_ioc_set_debugregs,
		    .how = PLUMB_IOC_LOCK,
		    PLUMB_IOC_ZERO_FROM(struct plumb_debugregs, flags)),
};

static long plumb_vcpu_ioctl(struct file *filp, unsigned int cmd,
			     unsigned long arg)
{
	struct plumb_vcpu *vcpu = filp->private_data;

	if (!plumb_vm_owner_ok(vcpu->vm))
		return -EIO;
	return plumb_ioctl(vcpu_ioctls, ARRAY_SIZE(vcpu_ioctls), vcpu,
			   &vcpu->mutex, cmd, arg);
}

/* The whole area, from offset 0, shared: anything else is -EINVAL. */
static int plumb_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct plumb_vcpu *vcpu = filp->private_data;

	if (!plumb_vm_owner_ok(vcpu->vm))
		return -EIO;
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != ring_area_size() ||
	    !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	return remap_vmalloc_range(vma, vcpu->ring.area, 0);
}

/* A vCPU fd of either ABI goes: the vCPU stays with its VM (vm.c). */
int plumb_vcpu_release(struct inode *inode, struct file *filp)
{
	struct plumb_vcpu *vcpu = filp->private_data;

	fput(vcpu->vm->file);
	return 0;
}

static const struct file_operations plumb_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= plumb_vcpu_release,
	.unlocked_ioctl	= plumb_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= plumb_vcpu_mmap,
	.llseek		= plumb_no_llseek,
};

void plumb_vcpu_destroy(struct plumb_vcpu *vcpu)
{
	plumb_lapic_destroy(vcpu);
	plumb_ops->vcpu_free(vcpu);
	kfree(vcpu->cpuid);
	ring_free(vcpu->ring.area);
	kfree(vcpu);
	atomic_dec(&plumb_nr_vcpus);
}

/*
 * A vCPU of either ABI, in its reset state, not yet reachable:
 * plumb_vcpu_getfd() makes its fd, or plumb_vcpu_destroy() frees it.
 */
struct plumb_vcpu *plumb_vcpu_create(struct plumb_vm *vm, unsigned long id)
{
	struct plumb_ring_header *hdr;
	struct plumb_vcpu *vcpu;
	int ret;

	if (id >= PLUMB_MAX_VCPUS)
		return ERR_PTR(-EINVAL);

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return ERR_PTR(-ENOMEM);
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->cpu = -1;
	mutex_init(&vcpu->mutex);
	rcuwait_init(&vcpu->wait);
	plumb_lapic_init(vcpu);

	ret = -ENOMEM;
	vcpu->ring.area = ring_alloc();
	if (!vcpu->ring.area)
		goto err_free;
	hdr = vcpu->ring.area;
	hdr->magic = PLUMB_RING_MAGIC;
	hdr->revision = PLUMB_RING_REVISION;
	hdr->header_size = PLUMB_RING_HEADER_SIZE;
	hdr->entry_size = sizeof(struct plumb_exit);
	hdr->entry_count = PLUMB_RING_ENTRIES;
	hdr->ring_offset = PLUMB_RING_HEADER_SIZE;
	vcpu->ring.hdr = hdr;
	vcpu->ring.entries = vcpu->ring.area + PLUMB_RING_HEADER_SIZE;

	ret = plumb_ops->vcpu_create(vcpu);
	if (ret)
		goto err_ring;
	atomic_inc(&plumb_nr_vcpus);
	return vcpu;

err_ring:
	ring_free(vcpu->ring.area);
err_free:
	plumb_lapic_destroy(vcpu);
	kfree(vcpu);
	return ERR_PTR(ret);
}

/*
 * The vCPU's fd, with the file operations of its ABI (their release is
 * plumb_vcpu_release()), and the vCPU published in its VM, which frees
 * it from then on. -EEXIST if the VM has a vCPU with this id; on failure
 * the caller still owns the vCPU.
 */
int plumb_vcpu_getfd(struct plumb_vcpu *vcpu,
		     const struct file_operations *fops, const char *name)
{
	struct plumb_vm *vm = vcpu->vm;
	unsigned int i;
	int ret;

	mutex_lock(&vm->lock);
	for (i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i]->id == vcpu->id) {
			ret = -EEXIST;
			goto out;
		}
	}
	/* The vCPU fd holds the VM: its file goes after the last vCPU fd. */
	get_file(vm->file);
	ret = anon_inode_getfd(name, fops, vcpu, O_RDWR | O_CLOEXEC);
	if (ret < 0) {
		fput(vm->file);
		goto out;
	}
	/* Published only once the fd exists; freed only with the VM. */
	vm->vcpus[vm->nr_vcpus] = vcpu;
	/* Pairs with the acquire in plumb_lapic_deliver(). */
	smp_store_release(&vm->nr_vcpus, vm->nr_vcpus + 1);
out:
	mutex_unlock(&vm->lock);
	return ret;
}

/* PLUMB_CREATE_VCPU: a vCPU of plumb's own ABI. */
int plumb_create_vcpu(struct plumb_vm *vm, unsigned long id)
{
	struct plumb_vcpu *vcpu = plumb_vcpu_create(vm, id);
	int fd;

	if (IS_ERR(vcpu))
		return PTR_ERR(vcpu);
	fd = plumb_vcpu_getfd(vcpu, &plumb_vcpu_fops, "plumb-vcpu");
	if (fd < 0)
		plumb_vcpu_destroy(vcpu);
	return fd;
}
