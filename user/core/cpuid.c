// SPDX-License-Identifier: GPL-2.0
/*
 * The CPUID each vCPU sees: the module's supported table, adjusted for
 * the VM (decision 53): its topology (decision 82), its TSC frequency
 * (decision 62), and what plumb hides.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm.h"

/* Replace leaf fn (sub-leaf 0) in c, or append it (c has the room). */
static void put_leaf(struct plumb_cpuid *c, uint32_t fn, uint32_t a,
		     uint32_t b, uint32_t cx, uint32_t d)
{
	struct plumb_cpuid_entry *e = NULL;
	uint32_t i;

	for (i = 0; i < c->nent && !e; i++)
		if (c->entries[i].function == fn && !c->entries[i].index)
			e = &c->entries[i];
	if (!e) {
		e = &c->entries[c->nent++];
		memset(e, 0, sizeof(*e));
		e->function = fn;
	}
	e->eax = a;
	e->ebx = b;
	e->ecx = cx;
	e->edx = d;
}

/*
 * The TSC frequency as CPUID tells it (docs/decisions.md, 62): Intel's leaf
 * 0x15 with a 1 GHz "crystal", the rate of the in-kernel APIC timer, and
 * the TSC as a ratio of it (Linux multiplies in 32 bits: the numerator
 * stays below 4295); leaf 0x16 in MHz; and the hypervisor timing leaf
 * 0x40000010 (TSC and APIC bus in kHz) that other systems read.
 */
static void tsc_leaves(struct plumb_cpuid *c, uint32_t tsc_khz, bool intel)
{
	uint32_t i, best_n = 0, best_d = 1;
	uint64_t best_err = 0;

	for (i = 0; i < c->nent; i++) {
		struct plumb_cpuid_entry *e = &c->entries[i];

		if (e->function == 0x40000000 && e->eax < 0x40000010)
			e->eax = 0x40000010;
		if (intel && e->function == 0 && e->eax < 0x16)
			e->eax = 0x16;
	}
	put_leaf(c, 0x40000010, tsc_khz, 1000000, 0, 0);
	if (!intel)
		return;
	for (i = 1; i <= 4000; i++) {
		uint64_t n = ((uint64_t)tsc_khz * i + 500000) / 1000000, err;

		if (!n || n >= 4295)
			break;
		err = n * 1000000 > (uint64_t)tsc_khz * i ?
		      n * 1000000 - (uint64_t)tsc_khz * i :
		      (uint64_t)tsc_khz * i - n * 1000000;
		/* Compare errors per unit of the denominator. */
		if (!best_n || err * best_d < best_err * i) {
			best_err = err;
			best_n = (uint32_t)n;
			best_d = i;
		}
	}
	if (best_n)
		put_leaf(c, 0x15, best_d, best_n, 1000000000, 0);
	put_leaf(c, 0x16, tsc_khz / 1000, tsc_khz / 1000, 1000, 0);
}

/*
 * The topology CPUID describes, made to match the VM (as QEMU does) rather
 * than the host CPU model's: one package of @n cores, one thread each,
 * APIC ID = vCPU id. Fields hold ID widths, so counts round up to a power
 * of two (@p). Leaves 1 (count, the caller), 4 and 0x8000001D (who shares
 * each cache: L1 and L2 per core, L3 all), 0xB and 0x1F (an SMT level of
 * one thread, a core level of all), 0x80000008 (AMD's core count and APIC
 * ID width), 0x8000001E (AMD: one thread per compute unit). Leaf 0 comes
 * first, so @intel is known by then.
 */
void cpuid_topology(struct plumb_cpuid_entry *e, uint32_t id, uint32_t n,
		    bool intel)
{
	uint32_t p = 1, bits = 0, level;

	while (p < n) {
		p <<= 1;
		bits++;
	}
	switch (e->function) {
	case 4:
	case 0x8000001d:
		if (!(e->eax & 0x1f))
			break;		/* no cache at this index */
		level = (e->eax >> 5) & 7;
		e->eax &= 0x3fff;
		e->eax |= (level >= 3 ? p - 1 : 0) << 14;
		if (e->function == 4)
			e->eax |= ((p > 64 ? 64 : p) - 1) << 26;
		break;
	case 0xb:
	case 0x1f:
		e->edx = id;
		e->ecx = e->index & 0xff;
		if (e->index == 0) {		/* SMT: one thread */
			e->eax = 0;
			e->ebx = 1;
			e->ecx |= 1 << 8;
		} else if (e->index == 1) {	/* core: the package */
			e->eax = bits;
			e->ebx = n;
			e->ecx |= 2 << 8;
		} else {			/* no more levels */
			e->eax = 0;
			e->ebx = 0;
		}
		break;
	case 0x80000008:
		if (intel)
			break;		/* reserved there */
		e->ecx = (e->ecx & ~0xf0ffu) | (bits << 12) | (n - 1);
		break;
	case 0x8000001e:
		e->eax = id;
		e->ebx = id & 0xff;		/* compute unit; 1 thread each */
		e->ecx = 0;			/* node 0, one node */
		break;
	default:
		break;
	}
}

/* CPUID as the module allows, adjusted to this VM's shape. */
int cpuid_set(struct vm *vm, struct vcpu *v, const struct plumb_cpuid *sup)
{
	size_t sz = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	struct plumb_cpuid *c = malloc(sz + 3 * sizeof(sup->entries[0]));
	uint32_t i;
	int ret = 0;
	bool intel = false;

	if (!c)
		return -ENOMEM;
	memcpy(c, sup, sz);
	for (i = 0; i < c->nent; i++) {
		struct plumb_cpuid_entry *e = &c->entries[i];

		switch (e->function) {
		case 0:
			intel = !memcmp(&e->ebx, "Genu", 4) &&
				!memcmp(&e->edx, "ineI", 4) &&
				!memcmp(&e->ecx, "ntel", 4);
			break;
		case 1:
			/* APIC ID and logical count (x2APIC and TSC-deadline
			 * come from the in-kernel APIC, as the module says). */
			e->ebx = (e->ebx & 0xffff) | (v->id << 24) |
				 ((vm->ncpus & 0xff) << 16);
			if (vm->ncpus > 1)
				e->edx |= 1U << 28;	/* HTT: count valid */
			break;
		case 7:
			/* LA57 hidden: plumb.ko checks MSR bases for 48-bit
			 * canonical form only (docs/decisions.md, 53). */
			if (e->index == 0)
				e->ecx &= ~(1U << 16);
			break;
		default:
			cpuid_topology(e, v->id, vm->ncpus, intel);
			break;
		}
	}
	if (vm->tsc_khz)
		tsc_leaves(c, vm->tsc_khz, intel);
	if (ioctl(v->fd, PLUMB_SET_CPUID, c))
		ret = -errno;
	free(c);
	return ret;
}
