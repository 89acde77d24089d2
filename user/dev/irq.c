// SPDX-License-Identifier: GPL-2.0
/*
 * The PC's interrupt controllers outside the CPU: a cascaded pair of 8259A
 * PICs (0x20/0x21 master, 0xa0/0xa1 slave on its IRQ 2, ELCR at
 * 0x4d0/0x4d1) and an 82093AA-style IOAPIC (version 0x11, 24 pins) at
 * 0xfec00000. Both are fed by the same lines (irq_set) and deliver into the
 * in-kernel local APICs with PLUMB_SIGNAL_MSI:
 *
 * - the IOAPIC turns a redirection entry into the MSI message the entry
 *   describes (SDM Vol. 3A 11.11); a level-triggered pin sets Remote IRR
 *   and waits for the guest's EOI of its vector, which the kernel reports
 *   as a PLUMB_EXIT_EOI record (irq_eoi);
 * - the master PIC's INT output goes to LINT0 as an ExtINT message. The
 *   kernel takes it only when a vCPU's LINT0 is in ExtINT mode (or its
 *   APIC is off); the PIC then performs the INTA cycle at once (IRR ->
 *   ISR) and the kernel injects that vector when the guest allows it. A
 *   refused ExtINT stays pending in IRR and is offered again on the PIC's
 *   next change.
 *
 * Lines carry the asserted state, whatever the polarity the guest
 * programs (docs/decisions.md, 59).
 *
 * One lock, ic->lock, covers both controllers: io_dispatch takes it for
 * their registers, irq_set/irq_pulse/irq_eoi take it themselves. It is
 * a leaf: devices call in holding their own lock; nothing here calls out
 * but PLUMB_SIGNAL_MSI.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm.h"

#define IOAPIC_BASE	0xfec00000ULL
#define IOAPIC_PINS	24
#define IOAPIC_VERSION	0x11

#define RTE_MASKED	(1ULL << 16)
#define RTE_LEVEL	(1ULL << 15)
#define RTE_REMOTE_IRR	(1ULL << 14)
#define RTE_DELIVS	(1ULL << 12)
#define RTE_LOGICAL	(1ULL << 11)
#define RTE_RO_BITS	(RTE_REMOTE_IRR | RTE_DELIVS)

#define DM_EXTINT	7

struct pic {
	uint8_t irr, imr, isr;
	uint8_t lines;			/* input levels, for edge detection */
	uint8_t elcr, elcr_mask;
	uint8_t base;			/* ICW2 */
	uint8_t priority_add;		/* the lowest-priority IRQ is this - 1 */
	uint8_t init_state;		/* 0 ready, 1-3 awaiting ICW2-4 */
	bool icw4, single, auto_eoi, rotate_aeoi, sfnm, special_mask;
	bool poll, read_isr;
};

struct irqchip {
	pthread_mutex_t lock;		/* the state below; io_dispatch takes it */
	struct pic pic[2];		/* master, slave */
	uint32_t ioapic_id;
	uint8_t sel;
	uint64_t rte[IOAPIC_PINS];
	uint32_t lines;			/* IOAPIC pin levels */
	unsigned int bad_logged;
};

static int kernel_msi(struct vm *vm, const struct plumb_msi *msi)
{
	int ret = ioctl(vm->fd, PLUMB_SIGNAL_MSI, msi);

	return ret < 0 ? -errno : ret;
}

int (*irq_signal_msi)(struct vm *vm, const struct plumb_msi *msi) = kernel_msi;

int irq_msi(struct vm *vm, uint64_t address, uint32_t data)
{
	struct plumb_msi msi = {
		.address_lo = (uint32_t)address,
		.address_hi = (uint32_t)(address >> 32),
		.data = data,
	};

	return irq_signal_msi(vm, &msi);
}

/* ---- 8259A ---- */

/* Priority rank of the best IRQ in mask (0 highest), 8 for none. */
static unsigned int pic_priority(const struct pic *p, uint8_t mask)
{
	unsigned int prio = 0;

	if (!mask)
		return 8;
	while (!(mask & (1U << ((prio + p->priority_add) & 7))))
		prio++;
	return prio;
}

/* The IRQ this chip would present now, or -1. */
static int pic_pending(const struct pic *p, bool master)
{
	unsigned int prio = pic_priority(p, p->irr & ~p->imr), cur;
	uint8_t in_service = p->isr;

	if (prio == 8)
		return -1;
	if (p->special_mask)
		in_service &= ~p->imr;
	/* Special fully nested: the slave's own requests may nest. */
	if (master && p->sfnm)
		in_service &= ~(1U << 2);
	cur = pic_priority(p, in_service);
	return prio < cur ? (int)((prio + p->priority_add) & 7) : -1;
}

static void pic_input(struct pic *p, unsigned int irq, bool level)
{
	uint8_t m = 1U << irq;

	if (p->elcr & m) {		/* level-sensitive: IRR follows */
		if (level)
			p->irr |= m;
		else
			p->irr &= ~m;
	} else if (level && !(p->lines & m)) {
		p->irr |= m;		/* rising edge */
	}
	p->lines = level ? p->lines | m : p->lines & ~m;
}

/* The INTA cycle for irq on one chip. */
static void pic_ack(struct pic *p, unsigned int irq)
{
	uint8_t m = 1U << irq;

	if (p->auto_eoi) {
		if (p->rotate_aeoi)
			p->priority_add = (irq + 1) & 7;
	} else {
		p->isr |= m;
	}
	if (!(p->elcr & m))
		p->irr &= ~m;
}

/* Both chips' INTA: the vector the CPU receives. */
static uint8_t pic_inta(struct irqchip *ic)
{
	struct pic *m = &ic->pic[0], *s = &ic->pic[1];
	int irq = pic_pending(m, true), irq2;

	if (irq < 0)
		return m->base + 7;		/* spurious IRQ 7 */
	pic_ack(m, irq);
	if (irq != 2)
		return m->base + irq;
	irq2 = pic_pending(s, false);
	if (irq2 < 0)
		return s->base + 7;		/* spurious IRQ 15 */
	pic_ack(s, irq2);
	return s->base + irq2;
}

/* Cascade the slave into master IRQ 2 and offer the master's INT to LINT0. */
static void pic_update(struct vm *vm)
{
	struct irqchip *ic = vm->irq;
	struct plumb_msi msi = {
		.address_lo = 0xfee00000,
		.data = DM_EXTINT << 8,
	};
	struct pic *m = &ic->pic[0], *s = &ic->pic[1];
	int irq;

	pic_input(m, 2, pic_pending(s, false) >= 0);
	irq = pic_pending(m, true);
	if (irq >= 0) {
		int irq2 = irq == 2 ? pic_pending(s, false) : -1;

		msi.data |= irq == 2 ? (uint8_t)(s->base + (irq2 < 0 ? 7 : irq2)) :
				       (uint8_t)(m->base + irq);
		/* > 0: a vCPU took it, so the INTA happens now. */
		if (irq_signal_msi(vm, &msi) > 0) {
			pic_inta(ic);
			pic_input(m, 2, pic_pending(s, false) >= 0);
		}
	}
}

static uint8_t pic_poll(struct pic *p, bool master)
{
	int irq = pic_pending(p, master);

	if (irq < 0)
		return 0;
	pic_ack(p, irq);
	return 0x80 | irq;
}

static void pic_eoi(struct pic *p, uint8_t v)
{
	unsigned int cmd = v >> 5, prio, irq;

	switch (cmd) {
	case 0:				/* clear rotate in AEOI */
	case 4:				/* set rotate in AEOI */
		p->rotate_aeoi = cmd == 4;
		break;
	case 1:				/* non-specific EOI */
	case 5:				/* rotate on non-specific EOI */
		prio = pic_priority(p, p->isr);
		if (prio == 8)
			break;
		irq = (prio + p->priority_add) & 7;
		p->isr &= ~(1U << irq);
		if (cmd == 5)
			p->priority_add = (irq + 1) & 7;
		break;
	case 3:				/* specific EOI */
		p->isr &= ~(1U << (v & 7));
		break;
	case 6:				/* set priority */
		p->priority_add = (v + 1) & 7;
		break;
	case 7:				/* rotate on specific EOI */
		p->isr &= ~(1U << (v & 7));
		p->priority_add = ((v & 7) + 1) & 7;
		break;
	default:			/* 2: no operation */
		break;
	}
}

static void pic_write(struct pic *p, unsigned int port, uint8_t v)
{
	if (port == 0 && (v & 0x10)) {		/* ICW1 */
		uint8_t elcr = p->elcr, mask = p->elcr_mask;

		memset(p, 0, sizeof(*p));
		p->elcr = elcr;
		p->elcr_mask = mask;
		p->icw4 = v & 0x01;
		p->single = v & 0x02;
		p->init_state = 1;
	} else if (port == 0 && (v & 0x08)) {	/* OCW3 */
		if (v & 0x04)
			p->poll = true;
		if (v & 0x02)
			p->read_isr = v & 0x01;
		if (v & 0x40)
			p->special_mask = (v >> 5) & 1;
	} else if (port == 0) {			/* OCW2 */
		pic_eoi(p, v);
	} else {
		switch (p->init_state) {
		case 0:				/* OCW1 */
			p->imr = v;
			break;
		case 1:				/* ICW2 */
			p->base = v & 0xf8;
			p->init_state = p->single ? (p->icw4 ? 3 : 0) : 2;
			break;
		case 2:				/* ICW3: cascade wiring is fixed */
			p->init_state = p->icw4 ? 3 : 0;
			break;
		default:			/* ICW4 */
			p->auto_eoi = v & 0x02;
			p->sfnm = v & 0x10;
			p->init_state = 0;
			break;
		}
	}
}

static uint8_t pic_read(struct pic *p, unsigned int port, bool master)
{
	if (p->poll) {
		p->poll = false;
		return pic_poll(p, master);
	}
	if (port == 0)
		return p->read_isr ? p->isr : p->irr;
	return p->imr;
}

static void pic_io(void *opaque, struct io_req *r)
{
	struct irqchip *ic = r->vm->irq;
	struct pic *p = opaque;
	bool master = p == &ic->pic[0];

	if (r->write)
		pic_write(p, (unsigned int)r->addr, (uint8_t)r->data);
	else
		r->data = pic_read(p, (unsigned int)r->addr, master);
	pic_update(r->vm);
}

static void elcr_io(void *opaque, struct io_req *r)
{
	struct irqchip *ic = opaque;
	unsigned int i;

	for (i = 0; i < r->size && r->addr + i < 2; i++) {
		struct pic *p = &ic->pic[r->addr + i];

		if (r->write)
			p->elcr = (uint8_t)(r->data >> (8 * i)) & p->elcr_mask;
		else
			r->data |= (uint64_t)p->elcr << (8 * i);
	}
	pic_update(r->vm);
}

/* ---- IOAPIC ---- */

static void ioapic_deliver(struct vm *vm, unsigned int pin)
{
	struct irqchip *ic = vm->irq;
	uint64_t e = ic->rte[pin];
	uint32_t dm = (e >> 8) & 7;
	struct plumb_msi msi = {
		.address_lo = 0xfee00000 | (uint32_t)((e >> 56) << 12) |
			      ((e & RTE_LOGICAL) ? 1U << 2 : 0),
		.data = (uint32_t)(e & 0x7ff) | ((e & RTE_LEVEL) ? 1U << 15 : 0) |
			1U << 14,
	};
	int ret;

	if (dm == DM_EXTINT || dm == 3 || dm == 6) {
		/* ExtINT through the IOAPIC (virtual wire B), or reserved. */
		if (!ic->bad_logged++)
			vm_log(vm, "ioapic: pin %u: delivery mode %u not supported",
			       pin, dm);
		return;
	}
	if (e & RTE_LEVEL)
		ic->rte[pin] |= RTE_REMOTE_IRR;
	ret = irq_signal_msi(vm, &msi);
	if (ret < 0 && !ic->bad_logged++)
		vm_log(vm, "ioapic: pin %u: PLUMB_SIGNAL_MSI: %s", pin,
		       strerror(-ret));
}

/* Deliver a level-triggered pin if it is asserted and may be. */
static void ioapic_service(struct vm *vm, unsigned int pin)
{
	struct irqchip *ic = vm->irq;
	uint64_t e = ic->rte[pin];

	if ((ic->lines & (1U << pin)) && !(e & RTE_MASKED) &&
	    (e & RTE_LEVEL) && !(e & RTE_REMOTE_IRR))
		ioapic_deliver(vm, pin);
}

static void ioapic_input(struct vm *vm, unsigned int pin, bool level)
{
	struct irqchip *ic = vm->irq;
	uint32_t m = 1U << pin;
	bool rising = level && !(ic->lines & m);

	ic->lines = level ? ic->lines | m : ic->lines & ~m;
	if (ic->rte[pin] & RTE_LEVEL)
		ioapic_service(vm, pin);
	else if (rising && !(ic->rte[pin] & RTE_MASKED))
		ioapic_deliver(vm, pin);
}

static uint32_t ioapic_read_reg(struct irqchip *ic, unsigned int idx)
{
	unsigned int pin = (idx - 0x10) / 2;

	switch (idx) {
	case 0:
		return ic->ioapic_id << 24;
	case 1:
		return ((IOAPIC_PINS - 1) << 16) | IOAPIC_VERSION;
	case 2:
		return ic->ioapic_id << 24;	/* arbitration ID */
	default:
		if (idx < 0x10 || pin >= IOAPIC_PINS)
			return 0xffffffff;
		return (uint32_t)(ic->rte[pin] >> (idx & 1 ? 32 : 0));
	}
}

static void ioapic_write_reg(struct vm *vm, unsigned int idx, uint32_t v)
{
	struct irqchip *ic = vm->irq;
	unsigned int pin = (idx - 0x10) / 2;
	uint64_t e;

	if (idx == 0) {
		ic->ioapic_id = (v >> 24) & 0xf;
		return;
	}
	if (idx < 0x10 || pin >= IOAPIC_PINS)
		return;
	e = ic->rte[pin];
	if (idx & 1)
		e = (e & 0xffffffffULL) | ((uint64_t)v << 32);
	else
		e = (e & ~0xffffffffULL) | (e & RTE_RO_BITS) |
		    (v & ~(uint32_t)RTE_RO_BITS);
	/* An edge-triggered pin has no Remote IRR. */
	if (!(e & RTE_LEVEL))
		e &= ~RTE_REMOTE_IRR;
	ic->rte[pin] = e;
	ioapic_service(vm, pin);
}

static void ioapic_io(void *opaque, struct io_req *r)
{
	struct irqchip *ic = opaque;

	/* IOREGSEL at 0x00, IOWIN at 0x10; 32-bit registers. */
	switch (r->addr) {
	case 0x00:
		if (r->write)
			ic->sel = (uint8_t)r->data;
		else
			r->data = ic->sel;
		break;
	case 0x10:
		if (r->write)
			ioapic_write_reg(r->vm, ic->sel, (uint32_t)r->data);
		else
			r->data = ioapic_read_reg(ic, ic->sel);
		break;
	default:
		if (!r->write)
			r->data = 0;
		break;
	}
}

void irq_eoi(struct vm *vm, uint8_t vector)
{
	struct irqchip *ic = vm->irq;
	unsigned int pin;

	if (!ic)
		return;
	pthread_mutex_lock(&ic->lock);
	for (pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t e = ic->rte[pin];

		if ((e & 0xff) != vector || !(e & RTE_LEVEL) ||
		    !(e & RTE_REMOTE_IRR))
			continue;
		ic->rte[pin] &= ~RTE_REMOTE_IRR;
		ioapic_service(vm, pin);
	}
	pthread_mutex_unlock(&ic->lock);
}

/* ---- lines ---- */

/* ic->lock held. */
static void set_line(struct vm *vm, unsigned int line, bool level)
{
	struct irqchip *ic = vm->irq;

	if (line < 16) {
		pic_input(&ic->pic[line >> 3], line & 7, level);
		pic_update(vm);
	}
	/* The MADT's interrupt source override: ISA IRQ 0 is GSI 2. */
	ioapic_input(vm, line == 0 ? 2 : line, level);
}

void irq_set(struct vm *vm, unsigned int line, bool level)
{
	struct irqchip *ic = vm->irq;

	if (line >= IRQ_LINES || !ic)	/* !ic: after irq's fini */
		return;
	pthread_mutex_lock(&ic->lock);
	set_line(vm, line, level);
	pthread_mutex_unlock(&ic->lock);
}

void irq_pulse(struct vm *vm, unsigned int line)
{
	struct irqchip *ic = vm->irq;

	if (line >= IRQ_LINES || !ic)
		return;
	pthread_mutex_lock(&ic->lock);
	set_line(vm, line, true);
	set_line(vm, line, false);
	pthread_mutex_unlock(&ic->lock);
}

static int irq_init(struct vm *vm, void *priv)
{
	struct irqchip *ic = priv;
	unsigned int i;
	int ret;

	pthread_mutex_init(&ic->lock, NULL);
	vm->irq = ic;
	ic->ioapic_id = 0;		/* as the MADT says */
	for (i = 0; i < IOAPIC_PINS; i++)
		ic->rte[i] = RTE_MASKED;
	ic->pic[0].elcr_mask = 0xf8;	/* IRQ 0-2 are edge only */
	ic->pic[1].elcr_mask = 0xde;	/* and IRQ 8 and 13 */
	ret = io_register(vm, BUS_PIO, 0x20, 2, pic_io, &ic->pic[0], &ic->lock,
			  "pic-master", 0);
	if (!ret)
		ret = io_register(vm, BUS_PIO, 0xa0, 2, pic_io, &ic->pic[1],
				  &ic->lock, "pic-slave", 0);
	if (!ret)
		ret = io_register(vm, BUS_PIO, 0x4d0, 2, elcr_io, ic, &ic->lock,
				  "elcr", 0);
	if (!ret)
		ret = io_register(vm, BUS_MMIO, IOAPIC_BASE, 0x20, ioapic_io, ic,
				  &ic->lock, "ioapic", 0);
	return ret;
}

static void irq_fini(struct vm *vm, void *priv)
{
	(void)priv;
	vm->irq = NULL;
}

static struct device_type irq_type = {
	.name = "irq",
	.level = DEVICE_CORE,
	.priv_size = sizeof(struct irqchip),
	.init = irq_init,
	.fini = irq_fini,
};
DEVICE_REGISTER(irq_type);
