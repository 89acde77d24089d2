// SPDX-License-Identifier: GPL-2.0
/*
 * Ports every PC guest touches and that need no behaviour yet: the POST
 * code port 0x80 (and the 0xed delay port), and the two 8259A PICs
 * (0x20-0x21, 0xa0-0xa1, ELCR 0x4d0-0x4d1) as far as their mask: the
 * ICW1-ICW4 initialisation is followed so that the IMR reads back what the
 * guest wrote, IRR/ISR read as 0. The in-kernel interrupt work (issue 6)
 * replaces the PIC part with a real one.
 */
#include <string.h>

#include "vm.h"

static struct {
	uint8_t imr, icw_step, elcr;
	bool icw4;
} pic[2];

static void post_io(void *opaque, struct io_req *r)
{
	(void)opaque;
	if (!r->write)
		r->data = 0xff;
}

static void pic_io(void *opaque, struct io_req *r)
{
	unsigned int n = opaque == &pic[1];
	uint8_t v = (uint8_t)r->data;

	if (!r->write) {
		r->data = r->addr ? pic[n].imr : 0;	/* IRR/ISR: nothing */
		return;
	}
	if (r->addr == 0) {
		if (v & 0x10) {		/* ICW1 */
			pic[n].icw_step = 2;
			pic[n].icw4 = v & 0x01;
			pic[n].imr = 0;
		}
		return;			/* OCW2/OCW3: no state to keep */
	}
	switch (pic[n].icw_step) {
	case 2:
		pic[n].icw_step = 3;
		break;
	case 3:
		pic[n].icw_step = pic[n].icw4 ? 4 : 0;
		break;
	case 4:
		pic[n].icw_step = 0;
		break;
	default:
		pic[n].imr = v;	/* OCW1 */
		break;
	}
}

static void elcr_io(void *opaque, struct io_req *r)
{
	(void)opaque;
	if (r->write)
		pic[r->addr].elcr = (uint8_t)r->data;
	else
		r->data = pic[r->addr].elcr;
}

static int legacy_init(struct vm *vm)
{
	int ret;

	memset(pic, 0, sizeof(pic));
	ret = io_register(vm, BUS_PIO, 0x80, 1, post_io, NULL, "post-port",
			  IO_POSTED);
	if (!ret)
		ret = io_register(vm, BUS_PIO, 0xed, 1, post_io, NULL,
				  "delay-port", IO_POSTED);
	if (!ret)
		ret = io_register(vm, BUS_PIO, 0x20, 2, pic_io, &pic[0], "pic-master", 0);
	if (!ret)
		ret = io_register(vm, BUS_PIO, 0xa0, 2, pic_io, &pic[1], "pic-slave", 0);
	if (!ret)
		ret = io_register(vm, BUS_PIO, 0x4d0, 2, elcr_io, NULL, "pic-elcr", 0);
	return ret;
}

static struct device_type legacy_type = {
	.name = "legacy-ports",
	.init = legacy_init,
};
DEVICE_REGISTER(legacy_type)
