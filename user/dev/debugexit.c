// SPDX-License-Identifier: GPL-2.0
/*
 * The ways a test guest ends a VM: QEMU's isa-debug-exit on port 0xf4
 * (4 bytes; the launcher exits with (value << 1) | 1, as QEMU does) and
 * the Bochs/QEMU shutdown port 0x8900 (the string "Shutdown" powers off,
 * exit status 0).
 */
#include <string.h>

#include "vm.h"

#define DEBUG_EXIT_PORT	0xf4
#define SHUTDOWN_PORT	0x8900

struct shutdown_port {
	pthread_mutex_t lock;		/* the state below; io_dispatch takes it */
	char seen[8];
	unsigned int n;
};

static void debug_exit_io(void *opaque, struct io_req *r)
{
	uint32_t v;

	(void)opaque;
	if (!r->write) {
		r->data = 0;
		return;
	}
	v = (uint32_t)(r->data << (8 * r->addr));
	vm_stop(r->vm, (int)(((v << 1) | 1) & 0xff),
		"guest wrote %#x to the debug-exit port: exit status %u", v,
		((v << 1) | 1) & 0xff);
}

static void shutdown_io(void *opaque, struct io_req *r)
{
	struct shutdown_port *shutdown_port = opaque;
	static const char word[] = "Shutdown";

	if (!r->write) {
		r->data = 0;
		return;
	}
	if ((char)r->data != word[shutdown_port->n]) {
		shutdown_port->n = (char)r->data == word[0];
		return;
	}
	if (++shutdown_port->n == sizeof(word) - 1) {
		shutdown_port->n = 0;
		vm_stop(r->vm, PLUMB_EXIT_OK, "the guest powered off");
	}
}

static int debug_exit_init(struct vm *vm, void *priv)
{
	struct shutdown_port *shutdown_port = priv;
	int ret;

	pthread_mutex_init(&shutdown_port->lock, NULL);
	ret = io_register(vm, BUS_PIO, DEBUG_EXIT_PORT, 4, debug_exit_io, NULL,
			  NULL, "debug-exit", 0);
	return ret ? ret : io_register(vm, BUS_PIO, SHUTDOWN_PORT, 1,
				       shutdown_io, shutdown_port,
				       &shutdown_port->lock, "shutdown-port", 0);
}

static struct device_type debug_exit_type = {
	.name = "debug-exit",
	.level = DEVICE_DEV,
	.priv_size = sizeof(struct shutdown_port),
	.init = debug_exit_init,
};
DEVICE_REGISTER(debug_exit_type);
