// SPDX-License-Identifier: GPL-2.0
/*
 * The i8042 keyboard controller (0x60 data, 0x64 status/command), as much
 * as Linux's reset path and its A20/keyboard/AUX probes need, and port
 * 0x92 (fast A20 and reset). No keyboard is attached: the self-tests pass,
 * the keyboard answers ACKs, nothing is ever typed. A reset request (0xfe
 * on 0x64, output-port bit 0 cleared, or 0x92 bit 0) ends the VM cleanly
 * with status 0, as QEMU's -no-reboot does.
 */
#include <string.h>

#include "vm.h"

#define KBD_DATA	0x60
#define KBD_CMD		0x64
#define PORT_A		0x92

#define ST_OBF		0x01
#define ST_SYS		0x04
#define ST_CMD		0x08	/* last write was to the command port */
#define ST_AUXDATA	0x20

struct i8042 {
	pthread_mutex_t lock;		/* the state below; io_dispatch takes it */
	uint8_t ccb;		/* controller command byte */
	uint8_t outport;	/* bit 1: A20 */
	uint8_t pending;	/* command waiting for its data byte */
	uint8_t last_cmd;
	uint8_t q[8];
	unsigned int qh, qn;
	bool aux_data;
};

static void push(struct i8042 *kbc, uint8_t v)
{
	if (kbc->qn < sizeof(kbc->q))
		kbc->q[(kbc->qh + kbc->qn++) % sizeof(kbc->q)] = v;
}

static void reset_vm(struct vm *vm)
{
	vm_stop(vm, PLUMB_EXIT_OK, "the guest asked for a reset: VM ended");
}

static void command(struct i8042 *kbc, struct vm *vm, uint8_t c)
{
	kbc->last_cmd = c;
	switch (c) {
	case 0x20:
		push(kbc, kbc->ccb);
		break;
	case 0x60:	/* write CCB */
	case 0xd1:	/* write output port */
	case 0xd2:	/* write keyboard output buffer */
	case 0xd3:	/* write AUX output buffer */
	case 0xd4:	/* write to AUX device */
		kbc->pending = c;
		break;
	case 0xa7:
		kbc->ccb |= 0x20;	/* AUX clock disabled */
		break;
	case 0xa8:
		kbc->ccb &= ~0x20;
		break;
	case 0xa9:	/* AUX interface test */
	case 0xab:	/* keyboard interface test */
		push(kbc, 0x00);
		break;
	case 0xaa:	/* self-test */
		push(kbc, 0x55);
		break;
	case 0xad:
		kbc->ccb |= 0x10;
		break;
	case 0xae:
		kbc->ccb &= ~0x10;
		break;
	case 0xc0:	/* input port */
		push(kbc, 0x80);
		break;
	case 0xd0:
		push(kbc, kbc->outport);
		break;
	case 0xdd:
		kbc->outport &= ~0x02;
		break;
	case 0xdf:
		kbc->outport |= 0x02;
		break;
	default:
		/* 0xf0-0xff pulse output lines low; bit 0 is the reset line. */
		if (c >= 0xf0 && !(c & 0x01))
			reset_vm(vm);
		break;
	}
}

static void data_write(struct i8042 *kbc, struct vm *vm, uint8_t v)
{
	uint8_t p = kbc->pending;

	kbc->pending = 0;
	switch (p) {
	case 0x60:
		kbc->ccb = v;
		return;
	case 0xd1:
		kbc->outport = v;
		if (!(v & 0x01))
			reset_vm(vm);
		return;
	case 0xd2:
		push(kbc, v);
		return;
	case 0xd3:
		push(kbc, v);
		kbc->aux_data = true;
		return;
	case 0xd4:
		/* No mouse: the AUX device does not answer. */
		return;
	default:
		break;
	}
	/* A byte for the keyboard: ACK, and the BAT result after a reset. */
	push(kbc, 0xfa);
	if (v == 0xff)
		push(kbc, 0xaa);
	else if (v == 0xf2) {	/* identify: MF2 keyboard */
		push(kbc, 0xab);
		push(kbc, 0x83);
	}
}

/* Port 0x60: data. */
static void kbd_data_io(void *opaque, struct io_req *r)
{
	struct i8042 *kbc = opaque;

	if (r->write) {
		data_write(kbc, r->vm, (uint8_t)r->data);
		return;
	}
	r->data = kbc->qn ? kbc->q[kbc->qh] : 0;
	if (kbc->qn) {
		kbc->qh = (kbc->qh + 1) % sizeof(kbc->q);
		kbc->qn--;
	}
	if (!kbc->qn)
		kbc->aux_data = false;
}

/* Port 0x64: command and status. */
static void kbd_cmd_io(void *opaque, struct io_req *r)
{
	struct i8042 *kbc = opaque;

	if (r->write) {
		command(kbc, r->vm, (uint8_t)r->data);
		return;
	}
	r->data = ST_SYS | ST_CMD | (kbc->qn ? ST_OBF : 0) |
		  (kbc->aux_data ? ST_AUXDATA : 0);
}

static void port_a_io(void *opaque, struct io_req *r)
{
	struct i8042 *kbc = opaque;

	if (!r->write) {
		r->data = kbc->outport & 0x02;
		return;
	}
	kbc->outport = (kbc->outport & ~0x02) | (r->data & 0x02);
	if (r->data & 0x01)
		reset_vm(r->vm);
}

static int i8042_init(struct vm *vm, void *priv)
{
	struct i8042 *kbc = priv;
	int ret;

	pthread_mutex_init(&kbc->lock, NULL);
	kbc->ccb = 0x45;		/* kbd IRQ, system flag, translation */
	kbc->outport = 0x03;	/* A20 on, not in reset */
	ret = io_register(vm, BUS_PIO, KBD_DATA, 1, kbd_data_io, kbc, &kbc->lock,
			  "i8042", 0);
	if (!ret)
		ret = io_register(vm, BUS_PIO, KBD_CMD, 1, kbd_cmd_io, kbc,
				  &kbc->lock, "i8042", 0);
	if (!ret)
		ret = io_register(vm, BUS_PIO, PORT_A, 1, port_a_io, kbc,
				  &kbc->lock, "port-92", 0);
	return ret;
}

static struct device_type i8042_type = {
	.name = "i8042",
	.level = DEVICE_DEV,
	.priv_size = sizeof(struct i8042),
	.init = i8042_init,
};
DEVICE_REGISTER(i8042_type);
