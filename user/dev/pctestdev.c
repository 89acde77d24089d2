// SPDX-License-Identifier: GPL-2.0
/*
 * pc-testdev (QEMU hw/misc/pc-testdev.c), for guest test suites such as
 * kvm-unit-tests; only with --pc-testdev (or -device pc-testdev). Ports
 * 0xe0-0xe3: a 4-byte scratch register with read-back at any width;
 * 0xe4: the "flush page" port (a 4-byte write, nothing to flush here: the
 * guest's pages are ordinary memory); 0xe8-0xeb: a scratch register written
 * and read byte by byte; 0x2000-0x2017: one port per IRQ line whose byte
 * sets that interrupt line's level (irq_set: the PICs and the IOAPIC);
 * 0xff000000: 64 KiB of RAM-like memory, a memory slot of its own.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "vm.h"

#define TESTDEV_SCRATCH	0xe0
#define TESTDEV_FLUSH	0xe4
#define TESTDEV_BYTES	0xe8
#define TESTDEV_IRQ	0x2000
#define TESTDEV_NIRQ	24
#define TESTDEV_MEM	0xff000000ULL
#define TESTDEV_MEMSZ	(64 * KiB)

struct testdev {
	pthread_mutex_t lock;		/* the state below; io_dispatch takes it */
	uint8_t scratch[4];
	uint8_t bytes[4];
	uint8_t irq[TESTDEV_NIRQ];
	void *mem;
};

static void rw(uint8_t *reg, struct io_req *r)
{
	unsigned int i;

	for (i = 0; i < r->size && r->addr + i < 4; i++) {
		if (r->write)
			reg[r->addr + i] = (uint8_t)(r->data >> (8 * i));
		else
			r->data |= (uint64_t)reg[r->addr + i] << (8 * i);
	}
}

static void scratch_io(void *opaque, struct io_req *r)
{
	struct testdev *td = opaque;

	rw(td->scratch, r);
}

static void bytes_io(void *opaque, struct io_req *r)
{
	struct testdev *td = opaque;

	rw(td->bytes, r);
}

static void flush_io(void *opaque, struct io_req *r)
{
	(void)opaque;
	if (!r->write)
		r->data = 0;
}

static void irq_io(void *opaque, struct io_req *r)
{
	struct testdev *td = opaque;

	if (!r->write)
		r->data = td->irq[r->addr];
	else if (r->size == 1) {	/* the device takes bytes only */
		td->irq[r->addr] = (uint8_t)r->data;
		irq_set(r->vm, (unsigned int)r->addr, r->data & 1);
	}
}

static int testdev_init(struct vm *vm, void *priv)
{
	struct testdev *td = priv;
	int ret;

	pthread_mutex_init(&td->lock, NULL);
	if (!vm->cfg->pc_testdev)
		return 0;
	ret = io_register(vm, BUS_PIO, TESTDEV_SCRATCH, 4, scratch_io, td,
			  &td->lock, "pc-testdev", 0);
	if (!ret)
		ret = io_register(vm, BUS_PIO, TESTDEV_FLUSH, 4, flush_io, td,
				  &td->lock, "pc-testdev", 0);
	if (!ret)
		ret = io_register(vm, BUS_PIO, TESTDEV_BYTES, 4, bytes_io, td,
				  &td->lock, "pc-testdev", 0);
	if (!ret)
		ret = io_register(vm, BUS_PIO, TESTDEV_IRQ, TESTDEV_NIRQ, irq_io,
				  td, &td->lock, "pc-testdev", 0);
	if (ret)
		return ret;
	td->mem = mmap(NULL, TESTDEV_MEMSZ, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (td->mem == MAP_FAILED) {
		td->mem = NULL;
		return -ENOMEM;
	}
	return vm_add_ram(vm, TESTDEV_MEM, td->mem, TESTDEV_MEMSZ);
}

static void testdev_fini(struct vm *vm, void *priv)
{
	struct testdev *td = priv;

	(void)vm;
	if (td->mem)
		munmap(td->mem, TESTDEV_MEMSZ);
	td->mem = NULL;
}

static struct device_type testdev_type = {
	.name = "pc-testdev",
	.level = DEVICE_DEV,
	.priv_size = sizeof(struct testdev),
	.init = testdev_init,
	.fini = testdev_fini,
};
DEVICE_REGISTER(testdev_type);
