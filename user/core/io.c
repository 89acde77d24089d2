// SPDX-License-Identifier: GPL-2.0
/*
 * The device bus: port and MMIO ranges registered by devices with one
 * handler signature, and the dispatch of the accesses the exit ring carries.
 * Nothing here knows a device by name.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

static struct device_type *device_types;

static unsigned int ntypes;

void device_type_register(struct device_type *t)
{
	struct device_type **p = &device_types;

	if (ntypes == DEVICE_TYPES_MAX) {
		fprintf(stderr, "plumb: more than %u device types\n", ntypes);
		abort();
	}
	t->index = ntypes++;

	/* By level, then link order: devices come up in a reproducible order. */
	while (*p && (*p)->level <= t->level)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
}

int vm_init_devices(struct vm *vm)
{
	struct device_type *t;
	int ret;

	for (t = device_types; t; t = t->next) {
		if (t->priv_size &&
		    !(vm->dev_priv[t->index] = calloc(1, t->priv_size)))
			return -ENOMEM;
		ret = t->init(vm, vm->dev_priv[t->index]);
		if (ret) {
			plumb_err("device %s: %s", t->name, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

void vm_flush_devices(struct vm *vm)
{
	struct device_type *t;

	for (t = device_types; t; t = t->next)
		if (t->flush && (vm->dev_priv[t->index] || !t->priv_size))
			t->flush(vm, vm->dev_priv[t->index]);
}

/* Later levels use earlier ones: they go first. */
static void fini_from(struct vm *vm, struct device_type *t)
{
	if (!t)
		return;
	fini_from(vm, t->next);
	/* A type whose state was never allocated never ran its init. */
	if (t->fini && (vm->dev_priv[t->index] || !t->priv_size))
		t->fini(vm, vm->dev_priv[t->index]);
	free(vm->dev_priv[t->index]);
	vm->dev_priv[t->index] = NULL;
}

void vm_fini_devices(struct vm *vm)
{
	fini_from(vm, device_types);
}

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

void vm_log(const struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (!vm->cfg || !vm->cfg->verbose)
		return;
	fputs("plumb: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	/* The terminal may be raw: end the line ourselves. */
	fputs("\r\n", stderr);
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

int vm_cmdline_add(struct vm *vm, const char *fmt, ...)
{
	size_t used = strlen(vm->cmdline_extra);
	va_list ap;
	int n;

	if (used && used + 1 < sizeof(vm->cmdline_extra))
		vm->cmdline_extra[used++] = ' ';
	va_start(ap, fmt);
	n = vsnprintf(vm->cmdline_extra + used, sizeof(vm->cmdline_extra) - used,
		      fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(vm->cmdline_extra) - used) {
		vm->cmdline_extra[used ? used - 1 : 0] = 0;
		return -ENOSPC;
	}
	return 0;
}
