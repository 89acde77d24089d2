// SPDX-License-Identifier: GPL-2.0
/*
 * The device bus: port and MMIO ranges registered by devices with one
 * handler signature, and the dispatch of the accesses the exit ring carries.
 * Nothing here knows a device by name.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vm.h"

int io_register(struct vm *vm, int busno, uint64_t base, uint64_t len,
		io_handler_t *fn, void *opaque, pthread_mutex_t *lock,
		const char *name, unsigned int flags)
{
	struct bus *bus = &vm->bus[busno];
	unsigned int i;

	if (!len || base + len < base)
		return -EINVAL;
	for (i = 0; i < bus->n; i++) {
		const struct io_range *r = &bus->r[i];

		if (base < r->base + r->len && r->base < base + len) {
			plumb_err("%s at %#" PRIx64 " overlaps %s", name, base,
				  r->name);
			return -EEXIST;
		}
	}
	if (bus->n == BUS_MAX)
		return -ENOSPC;
	bus->r[bus->n++] = (struct io_range){ base, len, fn, opaque, lock,
					      name, flags };
	return 0;
}

static const struct io_range *io_find(const struct bus *bus, uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < bus->n; i++)
		if (addr - bus->r[i].base < bus->r[i].len)
			return &bus->r[i];
	return NULL;
}

/*
 * Unhandled: reads are all ones, writes dropped; counted, logged once.
 * Any vCPU thread, no lock: the counters are atomic.
 */
static void unhandled(struct vm *vm, int busno, uint64_t addr, uint8_t size,
		      bool write, uint64_t *data)
{
	bool first = true;

	__atomic_fetch_add(&vm->unhandled, 1, __ATOMIC_RELAXED);
	if (busno == BUS_PIO && vm->pio_logged && addr < 65536) {
		uint8_t bit = (uint8_t)(1U << (addr % 8));

		first = !(__atomic_fetch_or(&vm->pio_logged[addr / 8], bit,
					    __ATOMIC_RELAXED) & bit);
	} else if (busno == BUS_MMIO) {
		first = __atomic_fetch_add(&vm->unhandled_mmio_logged, 1,
					   __ATOMIC_RELAXED) < 16;
	}
	if (first)
		vm_log(vm, "unhandled %s %s %#" PRIx64 " size %u%s",
		       busno == BUS_PIO ? "port" : "MMIO",
		       write ? "write to" : "read of", addr, size,
		       busno == BUS_PIO ? " (further accesses not logged)" : "");
	if (!write)
		*data = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

void io_dispatch(struct vm *vm, int busno, unsigned int cpu, uint64_t addr,
		 uint8_t size, bool write, uint64_t *data)
{
	const struct io_range *r;
	struct io_req req;

	r = io_find(&vm->bus[busno], addr);
	if (!r) {
		unhandled(vm, busno, addr, size, write, data);
		return;
	}
	req = (struct io_req){ .vm = vm, .cpu = cpu, .addr = addr - r->base,
			       .data = write ? *data : 0, .size = size,
			       .write = write };
	if (r->lock)
		pthread_mutex_lock(r->lock);
	r->fn(r->opaque, &req);
	if (r->lock)
		pthread_mutex_unlock(r->lock);
	if (!write) {
		uint64_t mask = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;

		*data = req.data & mask;
	}
}
