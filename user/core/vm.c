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

/* Posted ranges for the ranges devices flagged (after devices_init). */
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
		ret = cpuid_set(vm, v, sup);
		if (ret)
			plumb_err("vCPU %u: PLUMB_SET_CPUID: %s", i, strerror(-ret));
		else
			firmware_set_mtrrs(v, sup);
		if (!ret && i == 0) {
			ret = firmware_set_boot_regs(v, boot);
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
	devices_fini(vm);
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
