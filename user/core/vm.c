// SPDX-License-Identifier: GPL-2.0
/*
 * The VM: /dev/plumb, memory slots, posted ranges, vCPUs and their boot
 * state, and the end of a run (vm_stop). The vCPU threads are in core/vcpu.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "vm.h"

static char stop_msg[640];

void vm_stop(struct vm *vm, int status, const char *fmt, ...)
{
	int expected = 0;
	uint64_t one = 1;
	va_list ap;

	if (!__atomic_compare_exchange_n(&vm->stopping, &expected, 1, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return;		/* the first reason wins */
	vm->status = status;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(stop_msg, sizeof(stop_msg), fmt, ap);
		va_end(ap);
	}
	/* An eventfd write of 1 cannot fail short of a closed fd. */
	if (vm->wake_fd >= 0)
		(void)!write(vm->wake_fd, &one, sizeof(one));
	pthread_cond_broadcast(&vm->cond);
}

void vm_output(struct vm *vm, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len && !__atomic_load_n(&vm->out_gone, __ATOMIC_RELAXED)) {
		ssize_t n = write(vm->out_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE)
			__atomic_store_n(&vm->out_gone, true, __ATOMIC_RELAXED);
		if (n <= 0)
			break;		/* a closed terminal loses output */
		p += n;
		len -= (size_t)n;
	}
}

const char *vm_stop_message(void)
{
	return stop_msg;
}

int vm_init(struct vm *vm, const struct vm_config *cfg)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->sys_fd = vm->fd = vm->wake_fd = -1;
	vm->epoll_fd = vm->event_quit_fd = -1;
	vm->out_fd = STDOUT_FILENO;
	/*
	 * Output to a pipe whose reader has gone must not kill the launcher
	 * (leaving the terminal raw and the VM's files unflushed): the write
	 * fails with EPIPE instead, and vm_output stops writing.
	 */
	signal(SIGPIPE, SIG_IGN);
	vm->ncpus = cfg->cpus ? cfg->cpus : 1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vm->pio_logged = calloc(1, 65536 / 8);
	if (!vm->pio_logged)
		return -ENOMEM;
	vm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return vm->wake_fd < 0 ? -errno : 0;
}

static int set_slot(struct vm *vm, uint64_t gpa, void *host, uint64_t size)
{
	struct plumb_memory_region r = {
		.slot = vm->nslots, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)host,
	};

	if (vm->fd < 0)		/* unit tests: no kernel */
		return 0;
	if (ioctl(vm->fd, PLUMB_SET_MEMORY_REGION, &r)) {
		int err = errno;

		plumb_err("memory slot %u at %#" PRIx64 " (%" PRIu64 " MiB): %s",
			  vm->nslots, gpa, size / MiB, strerror(err));
		return -err;
	}
	vm->nslots++;
	return 0;
}

int vm_add_ram(struct vm *vm, uint64_t gpa, void *host, uint64_t size)
{
	return set_slot(vm, gpa, host, size);
}

/* Refuse a size the host cannot give before the kernel is even asked. */
static int check_mem(uint64_t mem)
{
	struct sysinfo si;

	if (mem < 2 * MiB || (mem & 0xfffff))
		return plumb_err("--mem %" PRIu64 "K: give at least 2M, in whole MiB",
				 mem / KiB), -EINVAL;
	if (!sysinfo(&si)) {
		uint64_t total = (uint64_t)si.totalram * si.mem_unit;

		if (mem > total)
			return plumb_err("--mem %" PRIu64 "M is more than this host's %" PRIu64
					 "M of RAM: ask for less", mem / MiB,
					 total / MiB), -ENOMEM;
	}
	return 0;
}

int vm_open(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	int ret, max;

	ret = check_mem(cfg->mem);
	if (ret)
		return ret;
	vm->sys_fd = plumb_open_device(cfg->device);
	if (vm->sys_fd < 0)
		return -ENODEV;
	if (ioctl(vm->sys_fd, PLUMB_GET_API_VERSION, 0) != PLUMB_API_VERSION)
		return plumb_err("%s: not a plumb device of API version %d",
				 cfg->device, PLUMB_API_VERSION), -EINVAL;
	max = ioctl(vm->sys_fd, PLUMB_CHECK_CAPABILITY, PLUMB_CAP_MAX_VCPUS);
	if (max > 0 && vm->ncpus > (unsigned int)max)
		return plumb_err("--cpus %u: the module allows at most %d",
				 vm->ncpus, max), -EINVAL;
	vm->fd = ioctl(vm->sys_fd, PLUMB_CREATE_VM, 0);
	if (vm->fd < 0) {
		ret = -errno;
		if (ret == -EBUSY)
			plumb_err("cannot create a VM: another hypervisor owns VT-x/AMD-V "
				  "(KVM? unload kvm_amd/kvm_intel, or boot with "
				  "kvm.enable_virt_at_load=0 on Linux 6.12+); dmesg names it");
		else if (ret == -EMFILE)
			plumb_err("cannot create a VM: this user holds as many VMs as "
				  "the module allows (/sys/module/plumb/parameters/"
				  "max_vms_per_user)");
		else if (ret == -EOPNOTSUPP)
			plumb_err("cannot create a VM: this module's backend does not "
				  "run guests yet (plumb info)");
		else
			plumb_err("cannot create a VM: %s (dmesg may say more)",
				  strerror(-ret));
		return ret;
	}
	ret = gmem_alloc(&vm->mem, cfg->mem);
	if (ret)
		return plumb_err("--mem %" PRIu64 "M: cannot map that much: %s",
				 cfg->mem / MiB, strerror(-ret)), ret;
	ret = set_slot(vm, 0, vm->mem.low, vm->mem.low_size);
	if (!ret && vm->mem.high_size)
		ret = set_slot(vm, HIGHMEM_BASE, vm->mem.high, vm->mem.high_size);
	return ret;
}

/* Posted ranges for the ranges devices flagged (after vm_init_devices). */
static int set_posted(struct vm *vm)
{
	int b;
	unsigned int i;

	for (b = 0; b < 2; b++) {
		for (i = 0; i < vm->bus[b].n; i++) {
			const struct io_range *r = &vm->bus[b].r[i];
			struct plumb_posted_range p = {
				.addr = r->base, .len = r->len,
				.flags = b == BUS_PIO ? PLUMB_POSTED_PIO : 0,
			};

			if (!(r->flags & IO_POSTED))
				continue;
			/* Not fatal: without it the writes simply exit. */
			if (ioctl(vm->fd, PLUMB_SET_POSTED_RANGE, &p))
				vm_log(vm, "posted range for %s: %s", r->name,
				       strerror(errno));
		}
	}
	return 0;
}

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
 * The TSC frequency as CPUID tells it (docs/decisions.md): Intel's leaf
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
static int set_cpuid(struct vm *vm, struct vcpu *v, const struct plumb_cpuid *sup)
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
			 * canonical form only (docs/decisions.md). */
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

/*
 * What firmware leaves in the MTRRs (docs/decisions.md): fixed ranges and
 * the default type write-back, enabled; variable range 0 makes the 3-4 GiB
 * MMIO hole uncacheable. Without it Linux 6.1 finds "MTRRs disabled by
 * BIOS" and leaves PAT off. Failure is not fatal: the guest sees them off.
 */
static void set_mtrrs(struct vcpu *v, const struct plumb_cpuid *sup)
{
	struct {
		struct plumb_msrs hdr;
		struct plumb_msr_entry e[14];
	} m = { .hdr.nmsrs = 14 };
	uint64_t wb8 = 0x0606060606060606ULL, phys_mask;
	unsigned int i, maxphy = 36;
	static const uint32_t fixed[11] = {
		0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d,
		0x26e, 0x26f,
	};

	for (i = 0; i < sup->nent; i++)
		if (sup->entries[i].function == 0x80000008)
			maxphy = sup->entries[i].eax & 0xff;
	if (maxphy < 36 || maxphy > 52)
		maxphy = 36;
	phys_mask = (1ULL << maxphy) - 1;
	for (i = 0; i < 11; i++) {
		m.e[i].index = fixed[i];
		m.e[i].data = wb8;
	}
	m.e[11].index = 0x200;			/* PHYSBASE0: 3 GiB, UC */
	m.e[11].data = LOWMEM_LIMIT;
	m.e[12].index = 0x201;			/* PHYSMASK0: 1 GiB, valid */
	m.e[12].data = (~(GiB - 1) & phys_mask) | (1ULL << 11);
	m.e[13].index = 0x2ff;			/* enabled, fixed enabled, WB */
	m.e[13].data = (1ULL << 11) | (1ULL << 10) | 6;
	if (ioctl(v->fd, PLUMB_SET_MSRS, &m) != 14)
		vm_log(v->vm, "vCPU %u: could not set the MTRRs", v->id);
}

static void flat_seg(struct plumb_segment *s, uint16_t sel, uint8_t type,
		     int db, int l)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = db;
	s->l = l;
	s->g = 1;
}

static int set_boot_regs(struct vcpu *v, const struct boot_state *b)
{
	struct plumb_sregs s;
	struct plumb_regs r;

	if (ioctl(v->fd, PLUMB_GET_SREGS, &s) || ioctl(v->fd, PLUMB_GET_REGS, &r))
		return -errno;
	switch (b->mode) {
	case CPU_REAL:
		s.cs.selector = b->real_cs;
		s.cs.base = (uint64_t)b->real_cs << 4;
		s.ds.selector = s.es.selector = s.ss.selector = b->real_cs;
		s.ds.base = s.es.base = s.ss.base = (uint64_t)b->real_cs << 4;
		break;
	case CPU_PROT32:
		flat_seg(&s.cs, b->cs, 0xb, 1, 0);
		flat_seg(&s.ds, b->ds, 0x3, 1, 0);
		s.es = s.fs = s.gs = s.ss = s.ds;
		s.cr0 = 0x11;			/* PE | ET */
		break;
	case CPU_LONG64:
		flat_seg(&s.cs, b->cs, 0xb, 0, 1);
		flat_seg(&s.ds, b->ds, 0x3, 1, 0);
		s.es = s.fs = s.gs = s.ss = s.ds;
		s.cr3 = b->cr3;
		s.cr4 = 0x20;			/* PAE */
		s.cr0 = 0x80000011;		/* PG | PE | ET */
		s.efer = 0x500;			/* LME | LMA */
		break;
	default:
		return -EINVAL;
	}
	if (b->gdt_limit) {
		s.gdt.base = b->gdt_base;
		s.gdt.limit = b->gdt_limit;
	}
	if (ioctl(v->fd, PLUMB_SET_SREGS, &s))
		return -errno;
	r.rip = b->rip;
	r.rsp = b->rsp;
	r.rax = b->rax;
	r.rbx = b->rbx;
	r.rsi = b->rsi;
	r.rflags = 2;
	return ioctl(v->fd, PLUMB_SET_REGS, &r) ? -errno : 0;
}

int vm_create_vcpus(struct vm *vm, const struct boot_state *boot)
{
	struct plumb_cpuid *sup;
	long size;
	unsigned int i;
	int ret = 0;

	set_posted(vm);
	vm->vcpus = calloc(vm->ncpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	for (i = 0; i < vm->ncpus; i++)
		vm->vcpus[i].fd = -1;
	sup = plumb_get_supported_cpuid(vm->sys_fd);
	if (!sup)
		return -EIO;
	ret = ioctl(vm->sys_fd, PLUMB_CHECK_CAPABILITY, PLUMB_CAP_TSC_KHZ);
	vm->tsc_khz = ret > 0 ? (uint32_t)ret : 0;
	ret = 0;
	size = ioctl(vm->sys_fd, PLUMB_GET_VCPU_MMAP_SIZE, 0);
	for (i = 0; i < vm->ncpus && !ret; i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->vm = vm;
		v->id = i;
		v->fd = ioctl(vm->fd, PLUMB_CREATE_VCPU, i);
		if (v->fd < 0 || size <= 0) {
			ret = -errno;
			plumb_err("cannot create vCPU %u: %s", i, strerror(errno));
			break;
		}
		/* APs wait in the kernel until the BSP's APIC sends INIT-SIPI. */
		if (i) {
			struct plumb_mp_state mp = { .state = PLUMB_MP_WAIT_SIPI };

			if (ioctl(v->fd, PLUMB_SET_MP_STATE, &mp)) {
				ret = -errno;
				plumb_err("vCPU %u: PLUMB_SET_MP_STATE: %s", i,
					  strerror(errno));
				break;
			}
		}
		v->map_size = size;
		v->hdr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			      v->fd, 0);
		if (v->hdr == MAP_FAILED) {
			v->hdr = NULL;
			ret = -errno;
			plumb_err("cannot map vCPU %u's exit ring: %s", i,
				  strerror(errno));
			break;
		}
		if (v->hdr->magic != PLUMB_RING_MAGIC ||
		    v->hdr->revision != PLUMB_RING_REVISION ||
		    v->hdr->entry_size != sizeof(struct plumb_exit) ||
		    !v->hdr->entry_count ||
		    v->hdr->ring_offset + (size_t)v->hdr->entry_count *
		    v->hdr->entry_size > (size_t)size) {
			ret = -EPROTO;
			plumb_err("vCPU %u's exit ring does not match this launcher "
				  "(module and launcher from different versions?)", i);
			break;
		}
		v->ring = (void *)((uint8_t *)v->hdr + v->hdr->ring_offset);
		v->cons = v->hdr->consumer;
		ret = set_cpuid(vm, v, sup);
		if (ret)
			plumb_err("vCPU %u: PLUMB_SET_CPUID: %s", i, strerror(-ret));
		else
			set_mtrrs(v, sup);
		if (!ret && i == 0) {
			ret = set_boot_regs(v, boot);
			if (ret)
				plumb_err("vCPU 0: setting the boot registers: %s",
					  strerror(-ret));
		}
	}
	free(sup);
	return ret;
}

void vm_destroy(struct vm *vm)
{
	unsigned int i;

	event_stop(vm);
	vm_fini_devices(vm);
	for (i = 0; vm->vcpus && i < vm->ncpus; i++) {
		if (vm->vcpus[i].hdr)
			munmap(vm->vcpus[i].hdr, vm->vcpus[i].map_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	vm->fd = vm->sys_fd = -1;
	gmem_free(&vm->mem);
	if (vm->wake_fd >= 0)
		close(vm->wake_fd);
	vm->wake_fd = -1;
	free(vm->pio_logged);
	vm->pio_logged = NULL;
}
