// SPDX-License-Identifier: GPL-2.0
/*
 * Device types and their per-VM instances: DEVICE_REGISTER puts each type
 * at its level (vm.h), devices_init brings them up level by level with
 * the state the type asked for, devices_fini takes them down in reverse.
 */
#include <errno.h>
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

int devices_init(struct vm *vm)
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

void devices_flush(struct vm *vm)
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

void devices_fini(struct vm *vm)
{
	fini_from(vm, device_types);
}
