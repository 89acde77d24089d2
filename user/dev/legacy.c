// SPDX-License-Identifier: GPL-2.0
/*
 * Ports every PC guest touches and that need no behaviour: the POST code
 * port 0x80 and the 0xed delay port. (The PICs are in dev/irq.c.)
 */
#include <string.h>

#include "vm.h"

static void post_io(void *opaque, struct io_req *r)
{
	(void)opaque;
	if (!r->write)
		r->data = 0xff;
}

static int legacy_init(struct vm *vm, void *priv)
{
	int ret;

	(void)priv;
	ret = io_register(vm, BUS_PIO, 0x80, 1, post_io, NULL, NULL, "post-port",
			  IO_POSTED);
	if (!ret)
		ret = io_register(vm, BUS_PIO, 0xed, 1, post_io, NULL, NULL,
				  "delay-port", IO_POSTED);
	return ret;
}

static struct device_type legacy_type = {
	.name = "legacy-ports",
	.level = DEVICE_DEV,
	.init = legacy_init,
};
DEVICE_REGISTER(legacy_type);
