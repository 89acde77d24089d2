// SPDX-License-Identifier: GPL-2.0
/*
 * A 16550A UART on COM1 (0x3f8-0x3ff), the guest's console: every register
 * (RBR/THR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR, the divisor latch under
 * DLAB), 16-byte FIFOs, modem-control loopback, and the interrupt line the
 * chip would drive (IIR pending and MCR.OUT2), kept in `irq_level` for the
 * PICs and the IOAPIC (ISA IRQ 4).
 *
 * Transmission is instantaneous: THR writes reach the terminal at once, so
 * LSR always shows THRE|TEMT. With one vCPU, THR writes are a posted range:
 * a burst of output costs one return to userspace, not one per byte. With
 * several, each vCPU's ring is consumed by its own thread, so bytes posted
 * on two vCPUs could come out of order (a Linux guest's tty writes the
 * first bytes on the writer's CPU and the rest from the IRQ handler's):
 * there every THR write exits (docs/decisions.md, 74).
 *
 * Output goes to the console a line at a time (or a full buffer); the
 * rest of a line follows UART_OUT_DELAY_NS later from the event thread,
 * and all of it at the end of the run (devices_flush). So no vCPU
 * thread flushes before each RUN, and a prompt still shows at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm.h"

#define UART_BASE	0x3f8
#define UART_FIFO	16
#define UART_INQ	4096	/* keyboard bytes waiting for FIFO room */
#define UART_OUT_DELAY_NS 1000000ULL	/* a part line waits at most this */

#define IER_RDI		0x01
#define IER_THRI	0x02
#define IER_RLSI	0x04
#define IER_MSI		0x08
#define IIR_NONE	0x01
#define IIR_MSI		0x00
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_RLSI	0x06
#define IIR_FIFO	0xc0
#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_CLEAR_TX	0x04
#define LCR_DLAB	0x80
#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

struct uart {
	pthread_mutex_t lock;		/* the state below; io_dispatch takes it */
	struct vm *vm;
	uint8_t ier, fcr, lcr, mcr, lsr_err, msr, scr, dll, dlm;
	bool thr_ipending;		/* THRE interrupt not yet acknowledged */
	uint8_t rx[UART_FIFO];
	unsigned int rx_head, rx_n;
	uint8_t inq[UART_INQ];		/* from the keyboard */
	unsigned int inq_head, inq_n;
	uint8_t out[512];
	size_t out_n;
	struct vtimer out_timer;	/* flushes a part line */
	bool out_timer_armed;
	bool irq_level;			/* the IRQ 4 line */
};

static unsigned int fifo_size(const struct uart *u)
{
	return (u->fcr & FCR_ENABLE) ? UART_FIFO : 1;
}

static void flush_out(struct uart *u)
{
	vm_output(u->vm, u->out, u->out_n);
	u->out_n = 0;
}

static void rx_push(struct uart *u, uint8_t c)
{
	if (u->rx_n >= fifo_size(u)) {
		u->lsr_err |= LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_n++) % UART_FIFO] = c;
}

/* Keyboard bytes move into the FIFO as it has room (no loss on paste). */
static void refill(struct uart *u)
{
	if (u->mcr & MCR_LOOP)
		return;
	while (u->inq_n && u->rx_n < fifo_size(u)) {
		rx_push(u, u->inq[u->inq_head]);
		u->inq_head = (u->inq_head + 1) % UART_INQ;
		u->inq_n--;
	}
}

static uint8_t iir(const struct uart *u)
{
	uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((u->ier & IER_RLSI) && u->lsr_err)
		return fifo | IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx_n)
		return fifo | IIR_RDI;
	if ((u->ier & IER_THRI) && u->thr_ipending)
		return fifo | IIR_THRI;
	if ((u->ier & IER_MSI) && (u->msr & 0x0f))
		return fifo | IIR_MSI;
	return fifo | IIR_NONE;
}

/* The chip's interrupt output gated by OUT2, as a PC wires it. */
static void update_irq(struct uart *u)
{
	bool level = !(iir(u) & IIR_NONE) && (u->mcr & MCR_OUT2);

	if (level != u->irq_level)
		irq_set(u->vm, 4, level);
	u->irq_level = level;
}

static uint8_t modem_status(struct uart *u)
{
	uint8_t lines;

	if (u->mcr & MCR_LOOP)
		lines = ((u->mcr & MCR_RTS) ? MSR_CTS : 0) |
			((u->mcr & MCR_DTR) ? MSR_DSR : 0) |
			((u->mcr & MCR_OUT1) ? MSR_RI : 0) |
			((u->mcr & MCR_OUT2) ? MSR_DCD : 0);
	else
		lines = MSR_DCD | MSR_DSR | MSR_CTS;	/* a terminal is there */
	return lines;
}

/* Delta bits for a change of the modem lines (MSR[3:0]). */
static void set_lines(struct uart *u)
{
	uint8_t now = modem_status(u), old = u->msr & 0xf0, d = 0;

	if ((now ^ old) & MSR_CTS)
		d |= 0x01;
	if ((now ^ old) & MSR_DSR)
		d |= 0x02;
	if ((old & MSR_RI) && !(now & MSR_RI))
		d |= 0x04;		/* TERI: trailing edge only */
	if ((now ^ old) & MSR_DCD)
		d |= 0x08;
	u->msr = now | (u->msr & 0x0f) | d;
}

static void transmit(struct uart *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP) {
		rx_push(u, c);
	} else {
		u->out[u->out_n++] = c;
		if (u->out_n == sizeof(u->out) || c == '\n') {
			flush_out(u);
		} else if (!u->out_timer_armed && u->out_timer.fd >= 0) {
			vtimer_arm(&u->out_timer, UART_OUT_DELAY_NS, 0);
			u->out_timer_armed = true;
		}
	}
	u->thr_ipending = true;		/* THR empty again at once */
}

static uint8_t uart_read(struct uart *u, unsigned int reg)
{
	uint8_t v = 0;

	switch (reg) {
	case 0:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		if (u->rx_n) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % UART_FIFO;
			u->rx_n--;
		}
		refill(u);
		return v;
	case 1:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case 2:
		v = iir(u);
		if ((v & 0x0f) == IIR_THRI)
			u->thr_ipending = false;	/* reading IIR acks THRE */
		return v;
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		v = LSR_THRE | LSR_TEMT | u->lsr_err | (u->rx_n ? LSR_DR : 0);
		u->lsr_err = 0;				/* errors clear on read */
		return v;
	case 6:
		set_lines(u);
		v = u->msr;
		u->msr &= 0xf0;				/* deltas clear on read */
		return v;
	case 7:
		return u->scr;
	default:
		return 0xff;
	}
}

static void uart_write(struct uart *u, unsigned int reg, uint8_t v)
{
	switch (reg) {
	case 0:
		if (u->lcr & LCR_DLAB)
			u->dll = v;
		else
			transmit(u, v);
		break;
	case 1:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
		} else {
			/* Enabling THRI with THR empty raises it (8250 rule). */
			if ((v & IER_THRI) && !(u->ier & IER_THRI))
				u->thr_ipending = true;
			u->ier = v & 0x0f;
		}
		break;
	case 2:
		if ((v & FCR_ENABLE) != (u->fcr & FCR_ENABLE) ||
		    (v & FCR_CLEAR_RX)) {
			u->rx_n = 0;
			u->rx_head = 0;
		}
		u->fcr = v & 0xc9;	/* enable, DMA mode, trigger level */
		refill(u);
		break;
	case 3:
		u->lcr = v;
		break;
	case 4:
		u->mcr = v & 0x1f;
		set_lines(u);
		refill(u);
		break;
	case 7:
		u->scr = v;
		break;
	default:
		break;		/* LSR and MSR are read-only */
	}
}

static void uart_access(struct uart *u, unsigned int reg, struct io_req *r)
{
	unsigned int i;

	/* A wider access covers the next registers, byte by byte. */
	for (i = 0; i < r->size && reg + i < 8; i++) {
		if (r->write)
			uart_write(u, reg + i, (uint8_t)(r->data >> (8 * i)));
		else
			r->data |= (uint64_t)uart_read(u, reg + i) << (8 * i);
	}
	update_irq(u);
}

static void uart_thr_io(void *opaque, struct io_req *r)
{
	uart_access(opaque, 0, r);
}

static void uart_io(void *opaque, struct io_req *r)
{
	uart_access(opaque, 1 + (unsigned int)r->addr, r);
}

/* Console input (the console's thread). */
static void uart_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct uart *u = opaque;
	size_t i;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < len && u->inq_n < UART_INQ; i++) {
		u->inq[(u->inq_head + u->inq_n) % UART_INQ] = buf[i];
		u->inq_n++;
	}
	refill(u);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

/* The event thread: the rest of a line, UART_OUT_DELAY_NS on. */
static void out_tick(struct vm *vm, void *opaque)
{
	struct uart *u = opaque;

	(void)vm;
	pthread_mutex_lock(&u->lock);
	u->out_timer_armed = false;
	flush_out(u);
	pthread_mutex_unlock(&u->lock);
}

static int uart_init(struct vm *vm, void *priv)
{
	struct uart *u = priv;
	int ret;

	pthread_mutex_init(&u->lock, NULL);
	u->vm = vm;
	ret = vtimer_init(vm, &u->out_timer, out_tick, u);
	if (ret)
		return ret;
	u->lcr = 0x03;			/* 8N1, as firmware leaves it */
	u->dll = 0x01;			/* 115200 baud */
	u->msr = modem_status(u);
	ret = io_register(vm, BUS_PIO, UART_BASE, 1, uart_thr_io, u, &u->lock,
			  "uart-com1", vm->ncpus == 1 ? IO_POSTED : 0);
	if (!ret)
		ret = io_register(vm, BUS_PIO, UART_BASE + 1, 7, uart_io, u, &u->lock,
				  "uart-com1", 0);
	if (!ret)
		console_set_input(vm, uart_input, u);
	return ret;
}

static void uart_flush(struct vm *vm, void *priv)
{
	struct uart *u = priv;

	pthread_mutex_lock(&u->lock);
	if (u->vm == vm)
		flush_out(u);
	pthread_mutex_unlock(&u->lock);
}

static void uart_fini(struct vm *vm, void *priv)
{
	struct uart *u = priv;

	uart_flush(vm, priv);
	if (u->vm == vm)
		vtimer_fini(vm, &u->out_timer);
}

static struct device_type uart_type = {
	.name = "uart",
	.level = DEVICE_DEV,
	.priv_size = sizeof(struct uart),
	.init = uart_init,
	.flush = uart_flush,
	.fini = uart_fini,
};
DEVICE_REGISTER(uart_type);
