// SPDX-License-Identifier: GPL-2.0
/*
 * The 8254 PIT (0x40-0x42 counters, 0x43 control) counting at 1.193182 MHz
 * on the host's monotonic clock, and system control port B (0x61), which
 * carries channel 2's gate (bit 0, write) and output (bit 5, read) so that
 * a guest can calibrate its TSC against it as Linux does. Modes 0-5,
 * LSB/MSB/both access, counter latch and read-back commands. Channel 0
 * drives IRQ 0 from a timer on the event thread: an edge per period in
 * modes 2 and 3, one at terminal count in the others. Periods shorter
 * than PIT_MIN_PERIOD_NS are stretched to it (docs/decisions.md, 59), so a
 * guest cannot make the launcher spin on interrupts.
 */
#include <string.h>
#include <time.h>

#include "vm.h"

#define PIT_PORT	0x40
#define PORT_B		0x61
#define PIT_HZ		1193182ULL
#define PIT_MIN_PERIOD_NS	100000ULL	/* 10 kHz at most */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t (*plumb_clock_ns)(void) = mono_ns;

struct pit_channel {
	uint8_t mode, rw;		/* rw: 1 LSB, 2 MSB, 3 LSB then MSB */
	uint32_t count;			/* reload value, 1..65536 */
	uint64_t start;			/* tick when counting began */
	bool gate, armed;		/* armed: a count was loaded */
	uint64_t frozen;		/* elapsed ticks while the gate is low */
	bool write_msb, read_msb;	/* next byte of a 16-bit transfer */
	uint8_t write_lsb;
	bool latched, status_latched;
	uint16_t latch;
	uint8_t status;
	bool null_count;
};

struct pit {
	pthread_mutex_t lock;		/* the state below; io_dispatch takes it */
	struct pit_channel ch[3];
	uint8_t port_b;			/* bits 0-1 as written */
	struct vm *vm;
	struct vtimer irq0;		/* channel 0's output edges */
};

static uint64_t ticks(void)
{
	uint64_t ns = plumb_clock_ns();

	/* ns * 1193182 / 1e9 without overflowing for centuries. */
	return (ns / 1000000000ULL) * PIT_HZ +
	       (ns % 1000000000ULL) * PIT_HZ / 1000000000ULL;
}

static uint64_t elapsed(const struct pit_channel *c)
{
	if (!c->armed)
		return 0;
	if (!c->gate && c->mode != 2 && c->mode != 3)
		return c->frozen;
	return ticks() - c->start;
}

static uint16_t counter(const struct pit_channel *c)
{
	uint64_t e = elapsed(c), n = c->count;

	if (!c->armed)
		return 0;
	switch (c->mode) {
	case 2:
		return (uint16_t)(n - e % n);
	case 3:		/* counts down by two, twice per period */
		return (uint16_t)((n - (2 * e) % n) & ~1ULL);
	default:	/* 0, 1, 4, 5: one pass, then wraps through 0xffff */
		return (uint16_t)(n - e);
	}
}

static bool output(const struct pit_channel *c)
{
	uint64_t e = elapsed(c), n = c->count;

	if (!c->armed)
		return c->mode != 0;
	switch (c->mode) {
	case 0:		/* interrupt on terminal count */
	case 1:		/* hardware one-shot */
		return e >= n;
	case 2:		/* rate generator: low for one tick per period */
		return e % n != n - 1;
	case 3:		/* square wave */
		return e % n < (n + 1) / 2;
	default:	/* 4, 5: strobe: low for one tick at terminal count */
		return e != n;
	}
}

static void load(struct pit_channel *c, uint32_t v)
{
	c->count = v ? v : 65536;
	c->start = ticks();
	c->frozen = 0;
	c->armed = true;
	c->null_count = false;
}

static void set_gate(struct pit_channel *c, bool g)
{
	if (g == c->gate)
		return;
	if (!g) {
		c->frozen = c->armed ? ticks() - c->start : 0;
	} else if (c->mode == 1 || c->mode == 5 || c->mode == 2 ||
		   c->mode == 3) {
		c->start = ticks();	/* rising edge retriggers */
	} else {
		c->start = ticks() - c->frozen;	/* resume where it stopped */
	}
	c->gate = g;
}

/* Channel 0's timer follows its mode and count (pit->lock held). */
static void irq0_rearm(struct pit *pit)
{
	struct pit_channel *c = &pit->ch[0];
	uint64_t ns;

	if (!pit->vm || pit->irq0.fd < 0)
		return;
	if (!c->armed) {
		vtimer_arm(&pit->irq0, 0, 0);
		return;
	}
	ns = (uint64_t)c->count * 1000000000ULL / PIT_HZ;
	if (ns < PIT_MIN_PERIOD_NS)
		ns = PIT_MIN_PERIOD_NS;
	if (pit->vm->cfg->verbose > 1)
		vm_log(pit->vm, "pit: channel 0 mode %u count %u: IRQ 0 in %llu ns",
		       c->mode, c->count, (unsigned long long)ns);
	vtimer_arm(&pit->irq0, ns, c->mode == 2 || c->mode == 3 ? ns : 0);
}

static void irq0_tick(struct vm *vm, void *opaque)
{
	(void)opaque;
	if (vm->cfg->verbose > 1)
		vm_log(vm, "pit: IRQ 0");
	irq_pulse(vm, 0);	/* no PIT state: the controllers' lock only */
}

static void control(struct pit *pit, uint8_t v)
{
	unsigned int sel = v >> 6, i;

	if (sel == 3) {		/* read-back: bit 5 = !count, bit 4 = !status */
		for (i = 0; i < 3; i++) {
			struct pit_channel *c = &pit->ch[i];

			if (!(v & (2U << i)))
				continue;
			if (!(v & 0x20) && !c->latched) {
				c->latch = counter(c);
				c->latched = true;
			}
			if (!(v & 0x10) && !c->status_latched) {
				c->status = (uint8_t)((output(c) ? 0x80 : 0) |
					    (c->null_count ? 0x40 : 0) |
					    (c->rw << 4) | (c->mode << 1));
				c->status_latched = true;
			}
		}
		return;
	}
	if (!((v >> 4) & 3)) {	/* counter latch */
		if (!pit->ch[sel].latched) {
			pit->ch[sel].latch = counter(&pit->ch[sel]);
			pit->ch[sel].latched = true;
		}
		return;
	}
	pit->ch[sel].rw = (v >> 4) & 3;
	pit->ch[sel].mode = (v >> 1) & 7;
	if (pit->ch[sel].mode > 5)
		pit->ch[sel].mode -= 4;	/* 6, 7 alias 2, 3 */
	pit->ch[sel].write_msb = pit->ch[sel].read_msb = false;
	pit->ch[sel].armed = false;
	pit->ch[sel].null_count = true;
	pit->ch[sel].latched = pit->ch[sel].status_latched = false;
}

static uint8_t read_counter(struct pit_channel *c)
{
	uint16_t v;
	uint8_t b;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	v = c->latched ? c->latch : counter(c);
	switch (c->rw) {
	case 1:
		b = (uint8_t)v;
		c->latched = false;
		break;
	case 2:
		b = (uint8_t)(v >> 8);
		c->latched = false;
		break;
	default:
		b = c->read_msb ? (uint8_t)(v >> 8) : (uint8_t)v;
		if (c->read_msb)
			c->latched = false;
		c->read_msb = !c->read_msb;
		break;
	}
	return b;
}

static void write_counter(struct pit_channel *c, uint8_t b)
{
	switch (c->rw) {
	case 1:
		load(c, b);
		break;
	case 2:
		load(c, (uint32_t)b << 8);
		break;
	default:
		if (!c->write_msb) {
			c->write_lsb = b;
			c->write_msb = true;
			c->null_count = true;
		} else {
			load(c, c->write_lsb | ((uint32_t)b << 8));
			c->write_msb = false;
		}
		break;
	}
}

static void pit_io(void *opaque, struct io_req *r)
{
	struct pit *pit = opaque;

	if (r->addr == 3) {
		if (r->write)
			control(pit, (uint8_t)r->data);
		else
			r->data = 0xff;		/* the control word is write-only */
	} else if (r->write) {
		write_counter(&pit->ch[r->addr], (uint8_t)r->data);
	} else {
		r->data = read_counter(&pit->ch[r->addr]);
	}
	/* A new mode disarms channel 0; a new count starts it. */
	if (r->write && (r->addr == 0 || (r->addr == 3 && !((r->data >> 6) & 3) &&
					  ((r->data >> 4) & 3))))
		irq0_rearm(pit);
}

static void port_b_io(void *opaque, struct io_req *r)
{
	struct pit *pit = opaque;

	if (r->write) {
		pit->port_b = r->data & 0x03;
		set_gate(&pit->ch[2], r->data & 0x01);
		return;
	}
	/* Bit 4 toggles with the DRAM refresh (every 15.085 us). */
	r->data = pit->port_b |
		  ((plumb_clock_ns() / 15085) & 1 ? 0x10 : 0) |
		  (output(&pit->ch[2]) ? 0x20 : 0);
}

static int pit_init(struct vm *vm, void *priv)
{
	struct pit *pit = priv;
	int ret;

	pthread_mutex_init(&pit->lock, NULL);
	pit->ch[0].gate = pit->ch[1].gate = true;	/* wired high on a PC */
	pit->vm = vm;
	ret = vtimer_init(vm, &pit->irq0, irq0_tick, pit);
	if (ret)
		return ret;
	ret = io_register(vm, BUS_PIO, PIT_PORT, 4, pit_io, pit, &pit->lock,
			  "pit", 0);
	return ret ? ret : io_register(vm, BUS_PIO, PORT_B, 1, port_b_io, pit,
				       &pit->lock, "port-61", 0);
}

static void pit_fini(struct vm *vm, void *priv)
{
	struct pit *pit = priv;

	if (pit->vm == vm)
		vtimer_fini(vm, &pit->irq0);
}

static struct device_type pit_type = {
	.name = "pit",
	.level = DEVICE_DEV,
	.priv_size = sizeof(struct pit),
	.init = pit_init,
	.fini = pit_fini,
};
DEVICE_REGISTER(pit_type);
