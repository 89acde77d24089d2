// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC of each vCPU: the register model (apic.c) under
 * a lock, its timer on an hrtimer, IPIs between the VM's vCPUs, and the
 * interrupt the backend injects before entering the guest.
 *
 * Locking: lapic->lock (irq-safe: the hrtimer fires in hard interrupt
 * context) protects the model. Delivering to another vCPU takes only that
 * vCPU's lock, never two at once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/rcuwait.h>
#include <trace/events/ipi.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include "apic.h"
#include "backend.h"
#include "lapic.h"
#include "vcpu.h"
#include "vm.h"

static u64 lapic_now(void)
{
	return ktime_get_ns();
}

/*
 * Make @vcpu look at its interrupts: wake it, or pull it out of the guest.
 * Any context, the timer's hard interrupt included: the wakeup is an
 * rcuwait (one waiter, the vCPU's RUN), which takes no sleeping lock even
 * on PREEMPT_RT, where a waitqueue's spinlock would sleep.
 */
void plumb_vcpu_kick(struct plumb_vcpu *vcpu)
{
	int cpu;

	set_bit(PLUMB_REQ_EVENT, &vcpu->requests);
	/* Pairs with the smp_store_mb() of vcpu->mode before entry. */
	smp_mb__after_atomic();
	rcuwait_wake_up(&vcpu->wait);
	cpu = READ_ONCE(vcpu->cpu);
	if (READ_ONCE(vcpu->mode) == PLUMB_IN_GUEST && cpu >= 0 &&
	    cpu != raw_smp_processor_id())
		smp_send_reschedule(cpu);	/* any interrupt exits the guest */
}

static void lapic_arm(struct plumb_lapic *l)
{
	u64 next;

	lockdep_assert_held(&l->lock);
	if (plumb_apic_timer_mode(&l->m) == PAPIC_TIMER_TSC_DEADLINE)
		next = l->deadline_ns;
	else
		next = plumb_apic_timer_next(&l->m);
	if (next)
		hrtimer_start(&l->timer, ns_to_ktime(next), HRTIMER_MODE_ABS_HARD);
	else
		hrtimer_try_to_cancel(&l->timer);
}

/* Act on what a register access asked for; called with the lock held. */
static void lapic_effects(struct plumb_vcpu *vcpu,
			  const struct plumb_apic_effects *fx)
{
	struct plumb_lapic *l = &vcpu->lapic;

	if (fx->flags & PAPIC_FX_TIMER)
		lapic_arm(l);
	/* The userspace IOAPIC hears of it from the run loop (vcpu.c). */
	if (fx->flags & PAPIC_FX_EOI_LEVEL) {
		set_bit(fx->eoi_vector, l->eoi_level);
		set_bit(PLUMB_REQ_EOI, &vcpu->requests);
	}
}

static enum hrtimer_restart lapic_timer_fn(struct hrtimer *t)
{
	struct plumb_lapic *l = container_of(t, struct plumb_lapic, timer);
	struct plumb_vcpu *vcpu = container_of(l, struct plumb_vcpu, lapic);
	struct plumb_apic_effects fx = {};
	unsigned long flags;
	bool again = false;

	raw_spin_lock_irqsave(&l->lock, flags);
	/*
	 * lapic_arm() on another CPU may have restarted the timer while this
	 * callback waited for the lock: hrtimer_start() enqueues a timer whose
	 * callback is running. Its new expiry, from the model as it is now,
	 * replaces this one; and the expiry of an enqueued timer must not be
	 * touched (it is the key of the base's rbtree; cf. the WARN in
	 * hrtimer_forward()).
	 */
	if (hrtimer_is_queued(t)) {
		raw_spin_unlock_irqrestore(&l->lock, flags);
		return HRTIMER_NORESTART;
	}
	if (plumb_apic_timer_mode(&l->m) == PAPIC_TIMER_TSC_DEADLINE) {
		if (l->deadline_ns) {
			l->deadline_ns = 0;
			l->tsc_deadline = 0;
			plumb_apic_lvt_fire(&l->m, PAPIC_REG_LVT_TIMER, &fx);
		}
	} else {
		plumb_apic_timer_fire(&l->m, lapic_now(), &fx);
		if (fx.flags & PAPIC_FX_TIMER) {
			hrtimer_set_expires(t, ns_to_ktime(plumb_apic_timer_next(&l->m)));
			again = true;
		}
	}
	raw_spin_unlock_irqrestore(&l->lock, flags);
	if (fx.flags & PAPIC_FX_EVAL)
		plumb_vcpu_kick(vcpu);
	return again ? HRTIMER_RESTART : HRTIMER_NORESTART;
}

void plumb_lapic_init(struct plumb_vcpu *vcpu)
{
	struct plumb_lapic *l = &vcpu->lapic;

	raw_spin_lock_init(&l->lock);
	hrtimer_init(&l->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	l->timer.function = lapic_timer_fn;
	plumb_apic_reset(&l->m, vcpu->id, vcpu->id == 0);
	l->extint_vector = -1;
	/*
	 * The BSP's LINT0 starts in virtual-wire mode (ExtINT, unmasked), as
	 * firmware leaves it and as KVM does, so that the 8259 reaches a
	 * guest that never programs its APIC.
	 */
	if (!vcpu->id)
		l->m.regs[PAPIC_REG_LVT_LINT0 >> 4] = PAPIC_DM_EXTINT << 8;
}

void plumb_lapic_destroy(struct plumb_vcpu *vcpu)
{
	hrtimer_cancel(&vcpu->lapic.timer);
}

u64 plumb_lapic_get_base(struct plumb_vcpu *vcpu)
{
	return READ_ONCE(vcpu->lapic.m.base);
}

int plumb_lapic_set_base(struct plumb_vcpu *vcpu, u64 value)
{
	struct plumb_lapic *l = &vcpu->lapic;
	struct plumb_apic_effects fx = {};
	unsigned long flags;
	int ret;

	raw_spin_lock_irqsave(&l->lock, flags);
	ret = plumb_apic_set_base(&l->m, value, &fx);
	lapic_effects(vcpu, &fx);
	raw_spin_unlock_irqrestore(&l->lock, flags);
	return ret;
}

/* Is @gpa in this vCPU's xAPIC page (the APIC is on, not in x2APIC mode)? */
bool plumb_lapic_owns(struct plumb_vcpu *vcpu, u64 gpa)
{
	u64 base = READ_ONCE(vcpu->lapic.m.base);

	return (base & PAPIC_BASE_EN) && !(base & PAPIC_BASE_EXTD) &&
	       (gpa & PAGE_MASK) == (base & 0x000ffffffffff000ULL);
}

/*
 * Deliver an IPI or message to every matching vCPU of @vm; returns how many
 * took it. An ExtINT (the PIC's INTR) goes to the first vCPU whose LINT0
 * accepts it and has none pending, whatever the destination.
 */
int plumb_lapic_deliver(struct plumb_vm *vm, struct plumb_vcpu *src,
			const struct plumb_apic_ipi *ipi)
{
	/* vm->vcpus[] only grows, and entries live as long as the VM. */
	unsigned int i, n = smp_load_acquire(&vm->nr_vcpus);
	int taken = 0;

	for (i = 0; i < n; i++) {
		struct plumb_vcpu *t = vm->vcpus[i];
		struct plumb_lapic *l = &t->lapic;
		unsigned long flags;
		bool kick = false;

		raw_spin_lock_irqsave(&l->lock, flags);
		if (ipi->mode == PAPIC_DM_EXTINT) {
			if (plumb_apic_accepts_extint(&l->m) &&
			    l->extint_vector < 0) {
				l->extint_vector = ipi->vector;
				kick = true;
			}
		} else if (plumb_apic_match(&l->m, src ? &src->lapic.m : NULL, ipi)) {
			switch (ipi->mode) {
			case PAPIC_DM_FIXED:
			case PAPIC_DM_LOWEST:
				kick = plumb_apic_accept(&l->m, ipi->vector,
							 ipi->trigger_level);
				break;
			case PAPIC_DM_NMI:
				l->nmi_pending = true;
				kick = true;
				break;
			case PAPIC_DM_INIT:
				l->init_pending = true;
				kick = true;
				break;
			case PAPIC_DM_STARTUP:
				l->sipi_vector = ipi->vector;
				l->sipi_pending = true;
				kick = true;
				break;
			default:
				break;	/* SMI: not modelled */
			}
		}
		raw_spin_unlock_irqrestore(&l->lock, flags);
		if (!kick)
			continue;
		taken++;
		plumb_vcpu_kick(t);
		/* Lowest priority, ExtINT: the first that takes it. */
		if (ipi->mode == PAPIC_DM_LOWEST || ipi->mode == PAPIC_DM_EXTINT)
			break;
	}
	return taken;
}

static void lapic_after_access(struct plumb_vcpu *vcpu,
			       struct plumb_apic_effects *fx)
{
	if (fx->flags & PAPIC_FX_IPI)
		plumb_lapic_deliver(vcpu->vm, vcpu, &fx->ipi);
	if (fx->flags & PAPIC_FX_EVAL)
		set_bit(PLUMB_REQ_EVENT, &vcpu->requests);
}

/* An MMIO access by the guest to its APIC page (aligned dwords only). */
u64 plumb_lapic_mmio(struct plumb_vcpu *vcpu, u64 gpa, unsigned int size,
		     bool write, u64 value)
{
	struct plumb_lapic *l = &vcpu->lapic;
	struct plumb_apic_effects fx = {};
	u32 off = gpa & ~PAGE_MASK;
	unsigned long flags;
	u64 ret = 0;

	/* 11.4.1: registers are 32-bit; other sizes are undefined: ignored. */
	if (size != 4 || (off & 3))
		return 0;
	raw_spin_lock_irqsave(&l->lock, flags);
	if (write) {
		plumb_apic_mmio_write(&l->m, off & ~0xfu, value, lapic_now(), &fx);
		lapic_effects(vcpu, &fx);
	} else if (!(off & 0xf)) {
		ret = plumb_apic_mmio_read(&l->m, off, lapic_now());
	}
	raw_spin_unlock_irqrestore(&l->lock, flags);
	lapic_after_access(vcpu, &fx);
	return ret;
}

static u64 guest_tsc(struct plumb_vcpu *vcpu)
{
	return rdtsc() + plumb_ops->tsc_offset(vcpu);
}

/* x2APIC MSRs and IA32_TSC_DEADLINE: 0, -EINVAL (#GP) or -ENOENT. */
int plumb_lapic_msr_get(struct plumb_vcpu *vcpu, u32 msr, u64 *data)
{
	struct plumb_lapic *l = &vcpu->lapic;
	unsigned long flags;
	int ret;

	if (msr == MSR_IA32_TSC_DEADLINE) {
		*data = READ_ONCE(l->tsc_deadline);
		return 0;
	}
	if (msr < PAPIC_X2APIC_MSR_BASE || msr > PAPIC_X2APIC_MSR_END)
		return -ENOENT;
	raw_spin_lock_irqsave(&l->lock, flags);
	ret = plumb_apic_msr_read(&l->m, msr, data, lapic_now());
	raw_spin_unlock_irqrestore(&l->lock, flags);
	return ret ? -EINVAL : 0;
}

int plumb_lapic_msr_set(struct plumb_vcpu *vcpu, u32 msr, u64 data)
{
	struct plumb_lapic *l = &vcpu->lapic;
	struct plumb_apic_effects fx = {};
	unsigned long flags;
	int ret = 0;

	if (msr == MSR_IA32_TSC_DEADLINE) {
		raw_spin_lock_irqsave(&l->lock, flags);
		if (plumb_apic_timer_mode(&l->m) == PAPIC_TIMER_TSC_DEADLINE) {
			u64 now_tsc = guest_tsc(vcpu), now = lapic_now();

			l->tsc_deadline = data;
			if (!data) {
				l->deadline_ns = 0;
			} else if (data <= now_tsc || !tsc_khz) {
				/*
				 * Already due: the interrupt is pending when
				 * the WRMSR retires, as on the CPU and KVM
				 * (kvm-unit-tests' "tsc deadline timer"), not
				 * when an hrtimer set for now gets round to it.
				 */
				l->deadline_ns = 0;
				l->tsc_deadline = 0;
				plumb_apic_lvt_fire(&l->m, PAPIC_REG_LVT_TIMER, &fx);
			} else {
				l->deadline_ns = now + mul_u64_u32_div(data - now_tsc,
								       1000000, tsc_khz);
			}
			lapic_arm(l);
		}
		raw_spin_unlock_irqrestore(&l->lock, flags);
		lapic_after_access(vcpu, &fx);
		return 0;
	}
	if (msr < PAPIC_X2APIC_MSR_BASE || msr > PAPIC_X2APIC_MSR_END)
		return -ENOENT;
	raw_spin_lock_irqsave(&l->lock, flags);
	ret = plumb_apic_msr_write(&l->m, msr, data, lapic_now(), &fx);
	lapic_effects(vcpu, &fx);
	raw_spin_unlock_irqrestore(&l->lock, flags);
	lapic_after_access(vcpu, &fx);
	return ret ? -EINVAL : 0;
}

/*
 * The vector to inject now, or -1: an ExtINT first (the PIC already did
 * its INTA; it bypasses the APIC's priorities), else the APIC's best,
 * acknowledged (IRR -> ISR).
 */
int plumb_lapic_take(struct plumb_vcpu *vcpu)
{
	struct plumb_lapic *l = &vcpu->lapic;
	unsigned long flags;
	int v;

	raw_spin_lock_irqsave(&l->lock, flags);
	v = l->extint_vector;
	l->extint_vector = -1;
	if (v < 0) {
		v = plumb_apic_pending(&l->m);
		if (v >= 0)
			plumb_apic_ack(&l->m, v);
	}
	raw_spin_unlock_irqrestore(&l->lock, flags);
	return v;
}

bool plumb_lapic_wakes(struct plumb_vcpu *vcpu)
{
	/*
	 * INIT too: it resets a halted CPU (SDM Vol. 3A 9.1, 11.6.1). An
	 * interrupt only when the HLT had IF=1: a masked HLT waits for an
	 * NMI or INIT, as the CPU does.
	 */
	return READ_ONCE(vcpu->lapic.nmi_pending) ||
	       READ_ONCE(vcpu->lapic.init_pending) ||
	       (!vcpu->halted_masked && plumb_lapic_has_interrupt(vcpu));
}

bool plumb_lapic_has_interrupt(struct plumb_vcpu *vcpu)
{
	struct plumb_lapic *l = &vcpu->lapic;
	unsigned long flags;
	bool yes;

	raw_spin_lock_irqsave(&l->lock, flags);
	yes = l->extint_vector >= 0 || plumb_apic_pending(&l->m) >= 0;
	raw_spin_unlock_irqrestore(&l->lock, flags);
	return yes;
}

/*
 * Before each entry: inject the highest deliverable interrupt if the guest
 * can take one now, else ask the backend for an exit when it can.
 */
void plumb_lapic_inject(struct plumb_vcpu *vcpu)
{
	struct plumb_lapic *l = &vcpu->lapic;
	int v;

	clear_bit(PLUMB_REQ_EVENT, &vcpu->requests);
	/* An NMI goes first; until the guest's IRET the next one waits. */
	if (READ_ONCE(l->nmi_pending)) {
		if (plumb_ops->nmi_allowed(vcpu)) {
			WRITE_ONCE(l->nmi_pending, false);
			plumb_ops->inject_nmi(vcpu);
			vcpu->stats.nmis++;
			return;
		}
		if (plumb_ops->enable_nmi_window)
			plumb_ops->enable_nmi_window(vcpu);
	}
	if (!plumb_lapic_has_interrupt(vcpu))
		return;
	if (!plumb_ops->interrupt_allowed(vcpu)) {
		plumb_ops->enable_irq_window(vcpu);
		return;
	}
	v = plumb_lapic_take(vcpu);
	if (v >= 0) {
		plumb_ops->inject_interrupt(vcpu, v);
		vcpu->stats.irqs++;
	}
}

/* Take a pending INIT (true) or SIPI (its vector in *vector). */
static bool take_init(struct plumb_lapic *l)
{
	unsigned long flags;
	bool yes;

	raw_spin_lock_irqsave(&l->lock, flags);
	yes = l->init_pending;
	l->init_pending = false;
	raw_spin_unlock_irqrestore(&l->lock, flags);
	return yes;
}

static bool take_sipi(struct plumb_lapic *l, u8 *vector)
{
	unsigned long flags;
	bool yes;

	raw_spin_lock_irqsave(&l->lock, flags);
	yes = l->sipi_pending;
	l->sipi_pending = false;
	*vector = l->sipi_vector;
	raw_spin_unlock_irqrestore(&l->lock, flags);
	return yes;
}

static bool init_or_sipi(struct plumb_lapic *l)
{
	return READ_ONCE(l->init_pending) || READ_ONCE(l->sipi_pending);
}

/*
 * INIT puts the vCPU in its INIT state, waiting for a start-up IPI; a
 * SIPI then starts it in real mode at vector * 4096 (SDM Vol. 3A 9.4.4.1,
 * 11.6.1). A SIPI to a vCPU that is not waiting is ignored. Returns
 * -EINTR if a signal came while it waits, -EAGAIN if the management plane
 * paused or killed the VM meanwhile (the run loop then sees to it).
 */
int plumb_lapic_init_sipi(struct plumb_vcpu *vcpu)
{
	struct plumb_lapic *l = &vcpu->lapic;
	/*
	 * get_sregs() fills what the backend keeps and never the padding,
	 * which set_sregs() refuses when nonzero: start from zeros.
	 */
	struct plumb_sregs s = {};
	u8 vector;

	if (take_init(l)) {
		plumb_ops->vcpu_reset(vcpu);
		vcpu->halted = false;
		vcpu->mp_state = PLUMB_MP_WAIT_SIPI;
	}
	if (vcpu->mp_state != PLUMB_MP_WAIT_SIPI) {
		u8 ignored;

		take_sipi(l, &ignored);
		return 0;
	}
	for (;;) {
		if (rcuwait_wait_event(&vcpu->wait, init_or_sipi(l) ||
				       plumb_vm_ctl(vcpu->vm),
				       TASK_INTERRUPTIBLE))
			return -EINTR;
		/* Paused or killed: the run loop sees to it, then back here. */
		if (!init_or_sipi(l))
			return -EAGAIN;
		if (take_init(l)) {
			plumb_ops->vcpu_reset(vcpu);
			continue;
		}
		if (take_sipi(l, &vector))
			break;
	}
	plumb_ops->get_sregs(vcpu, &s);
	s.cs.selector = vector << 8;
	s.cs.base = (u64)vector << 12;
	plumb_ops->set_sregs(vcpu, &s);
	plumb_ops->set_rip(vcpu, 0);
	vcpu->mp_state = PLUMB_MP_RUNNABLE;
	return 0;
}

/*
 * SDM Vol. 3A 11.11.1-2: an MSI's address and data, as an IPI request.
 * Returns how many vCPUs took it (0: none matched, or all refused it).
 * Flags and reserved room are checked (vm.c vm_ioctls).
 */
int plumb_lapic_signal_msi(struct plumb_vm *vm, const struct plumb_msi *msi)
{
	struct plumb_apic_ipi ipi = {};

	if ((msi->address_lo & 0xfff00000) != 0xfee00000 ||
	    (msi->address_hi & 0xff))
		goto refuse;
	ipi.dest = ((msi->address_lo >> 12) & 0xff) | (msi->address_hi & ~0xffu);
	ipi.logical = msi->address_lo & (1u << 2);
	ipi.vector = msi->data & 0xff;
	ipi.mode = (msi->data >> 8) & 7;
	ipi.level = true;
	ipi.trigger_level = msi->data & (1u << 15);
	if (ipi.mode == 3 || ipi.mode == PAPIC_DM_STARTUP)	/* reserved */
		goto refuse;
	return plumb_lapic_deliver(vm, NULL, &ipi);
refuse:
	pr_info_ratelimited("MSI refused: address %#x:%08x data %#x\n",
			    msi->address_hi, msi->address_lo, msi->data);
	return -EINVAL;
}

/*
 * The lowest level-triggered vector EOIed and not yet reported, or -1; the
 * PLUMB_REQ_EOI request stays up while more wait.
 */
int plumb_lapic_take_eoi(struct plumb_vcpu *vcpu)
{
	unsigned long *eoi = vcpu->lapic.eoi_level;
	unsigned int v;

	clear_bit(PLUMB_REQ_EOI, &vcpu->requests);
	v = find_first_bit(eoi, 256);
	if (v >= 256)
		return -1;
	clear_bit(v, eoi);
	if (find_next_bit(eoi, 256, v + 1) < 256)
		set_bit(PLUMB_REQ_EOI, &vcpu->requests);
	return v;
}

/* CR8 is TPR[7:4] (SDM Vol. 3A 11.8.6): the backends' V_TPR/CR8 mirror it. */
u8 plumb_lapic_get_cr8(struct plumb_vcpu *vcpu)
{
	return READ_ONCE(vcpu->lapic.m.regs[PAPIC_REG_TPR >> 4]) >> 4;
}

void plumb_lapic_set_cr8(struct plumb_vcpu *vcpu, u8 cr8)
{
	struct plumb_lapic *l = &vcpu->lapic;
	unsigned long flags;

	raw_spin_lock_irqsave(&l->lock, flags);
	l->m.regs[PAPIC_REG_TPR >> 4] = (cr8 & 0xf) << 4;
	raw_spin_unlock_irqrestore(&l->lock, flags);
	set_bit(PLUMB_REQ_EVENT, &vcpu->requests);
}

/*
 * An ExtINT from a userspace PIC for this vCPU alone (KVM_INTERRUPT with
 * the PIC outside the kernel): -EEXIST while one is still pending.
 */
int plumb_lapic_queue_extint(struct plumb_vcpu *vcpu, u8 vector)
{
	struct plumb_lapic *l = &vcpu->lapic;
	unsigned long flags;
	int ret = 0;

	raw_spin_lock_irqsave(&l->lock, flags);
	if (l->extint_vector >= 0)
		ret = -EEXIST;
	else
		l->extint_vector = vector;
	raw_spin_unlock_irqrestore(&l->lock, flags);
	if (!ret)
		plumb_vcpu_kick(vcpu);
	return ret;
}

void plumb_lapic_queue_nmi(struct plumb_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->lapic.nmi_pending, true);
	plumb_vcpu_kick(vcpu);
}

/*
 * Would the PIC's next interrupt get in now: LINT0 takes ExtINT and
 * nothing waits in the APIC or the ExtINT slot (KVM's
 * kvm_cpu_accept_dm_intr() and !kvm_cpu_has_interrupt()). The guest's
 * own readiness (IF, shadow) is the backend's interrupt_allowed.
 */
bool plumb_lapic_extint_ready(struct plumb_vcpu *vcpu)
{
	struct plumb_lapic *l = &vcpu->lapic;
	unsigned long flags;
	bool yes;

	raw_spin_lock_irqsave(&l->lock, flags);
	yes = plumb_apic_accepts_extint(&l->m) && l->extint_vector < 0 &&
	      plumb_apic_pending(&l->m) < 0;
	raw_spin_unlock_irqrestore(&l->lock, flags);
	return yes;
}

/* The register image (apic.c), for snapshots and KVM_GET/SET_LAPIC. */
void plumb_lapic_get_state(struct plumb_vcpu *vcpu, u32 *img)
{
	struct plumb_lapic *l = &vcpu->lapic;
	unsigned long flags;

	raw_spin_lock_irqsave(&l->lock, flags);
	plumb_apic_get_state(&l->m, img, lapic_now());
	raw_spin_unlock_irqrestore(&l->lock, flags);
}

void plumb_lapic_set_state(struct plumb_vcpu *vcpu, const u32 *img)
{
	struct plumb_lapic *l = &vcpu->lapic;
	struct plumb_apic_effects fx = {};
	unsigned long flags;

	raw_spin_lock_irqsave(&l->lock, flags);
	plumb_apic_set_state(&l->m, img, lapic_now(), &fx);
	/* A TSC deadline does not survive a mode the image left. */
	if (plumb_apic_timer_mode(&l->m) != PAPIC_TIMER_TSC_DEADLINE) {
		l->tsc_deadline = 0;
		l->deadline_ns = 0;
	}
	lapic_effects(vcpu, &fx);
	raw_spin_unlock_irqrestore(&l->lock, flags);
	lapic_after_access(vcpu, &fx);
}
