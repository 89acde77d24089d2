// SPDX-License-Identifier: GPL-2.0
/*
 * t_guest: VM and vCPU objects: hostile ioctl input, another process, closing
 * in every order, unmapped guest memory, CREATE_VM alone.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/wait.h>

#include "guest.h"

/* Hostile input on every VM and vCPU ioctl: errors, never an oops. */
static int t_badinput(void)
{
	struct plumb_memory_region r = { 0 };
	struct plumb_regs regs = { 0 };
	struct plumb_sregs sregs = { 0 };
	struct vm vm;
	struct vcpu v;
	void *p;

	setup(&vm, &v, "hello", 32);
	r.slot = 1;
	r.guest_phys_addr = 0x10000000;
	r.memory_size = 0x1000;
	r.userspace_addr = (uintptr_t)vm.mem;
	r.flags = 1U << 2;
	T_ERRNO(ioctl(vm.fd, PLUMB_SET_MEMORY_REGION, &r), EINVAL, "flag bit 2");
	r.flags = 0x100;
	T_ERRNO(ioctl(vm.fd, PLUMB_SET_MEMORY_REGION, &r), EINVAL, "unknown flag");
	r.flags = 0;
	r.reserved[3] = 1;
	T_ERRNO(ioctl(vm.fd, PLUMB_SET_MEMORY_REGION, &r), EINVAL, "reserved field");
	r.reserved[3] = 0;
	r.guest_phys_addr = 0x10000800;
	T_ERRNO(ioctl(vm.fd, PLUMB_SET_MEMORY_REGION, &r), EINVAL, "unaligned gpa");
	r.guest_phys_addr = 0x10000000;
	r.memory_size = 0x1800;
	T_ERRNO(ioctl(vm.fd, PLUMB_SET_MEMORY_REGION, &r), EINVAL, "unaligned size");
	r.memory_size = 0;
	T_ERRNO(ioctl(vm.fd, PLUMB_SET_MEMORY_REGION, &r), EINVAL, "zero size, empty slot");
	r.memory_size = 0x1000;
	r.slot = 4096;
	T_ERRNO(ioctl(vm.fd, PLUMB_SET_MEMORY_REGION, &r), EINVAL, "slot 4096");
	r.slot = 1;
	r.guest_phys_addr = 0x2000;
	T_ERRNO(ioctl(vm.fd, PLUMB_SET_MEMORY_REGION, &r), EEXIST, "overlaps slot 0");
	r.guest_phys_addr = 0xfffffffffffff000ULL;
	r.memory_size = 0x2000;
	T_ERRNO(ioctl(vm.fd, PLUMB_SET_MEMORY_REGION, &r), EINVAL, "wrapping gpa");
	r.guest_phys_addr = 0x10000000;
	r.memory_size = 0x1000;
	r.userspace_addr = 0xffff800000000000ULL;
	T_ERRNO(ioctl(vm.fd, PLUMB_SET_MEMORY_REGION, &r), EFAULT, "kernel address");
	T_ERRNO(ioctl(vm.fd, PLUMB_SET_MEMORY_REGION, (void *)8), EFAULT, "bad pointer");

	T_ERRNO(ioctl(vm.fd, PLUMB_CREATE_VCPU, 0), EEXIST, "vCPU 0 twice");
	T_ERRNO(ioctl(vm.fd, PLUMB_CREATE_VCPU, 64), EINVAL, "vCPU id 64");
	T_ERRNO(ioctl(vm.fd, PLUMB_CREATE_VCPU, -1L), EINVAL, "vCPU id -1");
	T_ERRNO(ioctl(vm.fd, PLUMB_RUN, 0), ENOTTY, "RUN on a VM fd");
	T_ERRNO(ioctl(v.fd, PLUMB_CREATE_VCPU, 1), ENOTTY, "CREATE_VCPU on a vCPU fd");
	T_ERRNO(ioctl(v.fd, PLUMB_RUN, 1), EINVAL, "RUN(1)");
	regs.flags = 1;
	T_ERRNO(ioctl(v.fd, PLUMB_SET_REGS, &regs), EINVAL, "SET_REGS flags");
	regs.flags = 0;
	regs.reserved[4] = 1;
	T_ERRNO(ioctl(v.fd, PLUMB_SET_REGS, &regs), EINVAL, "SET_REGS reserved");
	ioctl(v.fd, PLUMB_GET_SREGS, &sregs);
	sregs.reserved[0] = 1;
	T_ERRNO(ioctl(v.fd, PLUMB_SET_SREGS, &sregs), EINVAL, "SET_SREGS reserved");
	sregs.reserved[0] = 0;
	sregs.cr0 = 1ULL << 40;
	T_ERRNO(ioctl(v.fd, PLUMB_SET_SREGS, &sregs), EINVAL, "CR0 bit 40");
	T_ERRNO(ioctl(v.fd, PLUMB_GET_REGS, (void *)8), EFAULT, "GET_REGS bad pointer");

	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, v.fd, 0);
	T_CHECK(p == MAP_FAILED && errno == EINVAL, "mmap of one page: EINVAL");
	p = mmap(NULL, v.map_size, PROT_READ, MAP_SHARED, v.fd, 4096);
	T_CHECK(p == MAP_FAILED && errno == EINVAL, "mmap at offset 4096: EINVAL");
	p = mmap(NULL, v.map_size, PROT_READ, MAP_PRIVATE, v.fd, 0);
	T_CHECK(p == MAP_FAILED && errno == EINVAL, "private mmap: EINVAL");

	/* Scribbled ring: the kernel trusts only its own indices. */
	v.hdr->consumer = 12345;
	T_ERRNO(ioctl(v.fd, PLUMB_RUN, 0), EBUSY, "RUN with a scribbled consumer");
	v.hdr->consumer = 0;
	v.hdr->producer = 999;
	v.hdr->magic = 0;
	v.cons = 0;
	{
		struct plumb_exit *e;

		T_CHECK(ioctl(v.fd, PLUMB_RUN, 0) == 0, "RUN ignores a scribbled producer");
		e = &v.ring[0];
		T_CHECK(v.hdr->producer == 1 && e->reason == PLUMB_EXIT_IO &&
			e->io.port == 0x3f8, "the kernel rewrote producer=1 and record 0");
	}
	v.hdr->immediate_exit = 1;
	v.hdr->consumer = 1;
	T_ERRNO(ioctl(v.fd, PLUMB_RUN, 0), EINTR, "immediate_exit");
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

/* Another process (after fork) gets -EIO on every VM and vCPU ioctl. */
static int t_foreign(void)
{
	struct plumb_regs r;
	struct vm vm;
	struct vcpu v;
	pid_t pid;
	int status;

	setup(&vm, &v, "hello", 32);
	pid = fork();
	if (pid == 0) {
		int bad = 0;
		struct plumb_memory_region m = { .slot = 3 };

		bad += !(ioctl(v.fd, PLUMB_RUN, 0) == -1 && errno == EIO);
		bad += !(ioctl(v.fd, PLUMB_GET_REGS, &r) == -1 && errno == EIO);
		bad += !(ioctl(vm.fd, PLUMB_CREATE_VCPU, 1) == -1 && errno == EIO);
		bad += !(ioctl(vm.fd, PLUMB_SET_MEMORY_REGION, &m) == -1 && errno == EIO);
		bad += mmap(NULL, v.map_size, PROT_READ, MAP_SHARED, v.fd, 0) != MAP_FAILED;
		_exit(bad);
	}
	waitpid(pid, &status, 0);
	T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		"the child got EIO on RUN, GET_REGS, CREATE_VCPU, SET_MEMORY_REGION, mmap (%d wrong)",
		WEXITSTATUS(status));
	expect_out(&v, 0x3f8, 1, 'h');
	t_note("the owner still runs its vCPU");
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

static long sysfs_num(const char *name)
{
	char path[128], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/misc/plumb/%s", name);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	return atol(buf);
}

static long mem_available_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/*
 * Free pages parked on the per-CPU lists (/proc/zoneinfo "count:"): not
 * in MemFree, and on 6.12 they grow by megabytes while VMs come and go
 * (measured), so they count as available here.
 */
static long pcp_kb(void)
{
	char line[256];
	long n = 0, c;
	FILE *f = fopen("/proc/zoneinfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &c) == 1)
			n += c;
	if (f)
		fclose(f);
	return n * (sysconf(_SC_PAGESIZE) / 1024);
}

static int counters_zero(void)
{
	return sysfs_num("nr_vms") == 0 && sysfs_num("nr_vcpus") == 0 &&
	       sysfs_num("pinned_pages") == 0;
}

/* One VM with two vCPUs, run a little, closed in the given order. */
static void vm_cycle(int order)
{
	struct vm vm;
	struct vcpu v, w;

	setup(&vm, &v, "hello", 32);
	vcpu_create(&vm, &w, 5);
	expect_out(&v, 0x3f8, 1, 'h');
	if (order == 0) {		/* vCPUs first */
		vcpu_destroy(&v);
		vcpu_destroy(&w);
		vm_destroy(&vm);
	} else if (order == 1) {	/* VM first */
		vm_destroy(&vm);
		expect_out(&v, 0x3f8, 1, 'e');	/* still runs */
		vcpu_destroy(&w);
		vcpu_destroy(&v);
	} else {			/* /dev/plumb, vCPU, VM */
		close(vm.sys_fd);
		vcpu_destroy(&v);
		close(vm.fd);
		munmap(vm.mem, vm.mem_size);
		vcpu_destroy(&w);
	}
}

/*
 * Closing in every order frees everything: the module's own counters go
 * back to zero and MemAvailable comes back (the runner then rmmods).
 */
static int t_close_order(void)
{
	const int rounds = 150;
	long before, after;
	struct vm vm;
	struct vcpu v, w;

	T_CHECK(counters_zero(), "no VM, vCPU or pinned page at the start");
	setup(&vm, &v, "hello", 32);
	vcpu_create(&vm, &w, 5);
	expect_out(&v, 0x3f8, 1, 'h');
	T_CHECK(sysfs_num("nr_vms") == 1 && sysfs_num("nr_vcpus") == 2 &&
		sysfs_num("pinned_pages") > 0,
		"with one VM: nr_vms 1, nr_vcpus 2, pinned_pages %ld",
		sysfs_num("pinned_pages"));
	vcpu_destroy(&v);
	vcpu_destroy(&w);
	vm_destroy(&vm);

	for (int order = 0; order < 3; order++) {
		vm_cycle(order);
		T_CHECK(counters_zero(), "close order %d: counters back to 0", order);
	}

	/* Warm the allocators' caches, then count what many VMs leave. */
	for (int i = 0; i < 30; i++)
		vm_cycle(i % 3);
	sync();
	sleep(2);
	before = mem_available_kb() + pcp_kb();
	for (int i = 0; i < rounds; i++)
		vm_cycle(i % 3);
	sync();
	sleep(2);	/* RCU-deferred frees (files, SRCU) */
	after = mem_available_kb() + pcp_kb();
	T_CHECK(counters_zero(), "%d more VMs: counters back to 0", rounds);
	printf("MemAvailable + per-CPU free lists: %ld kB before, %ld kB after %d VMs (%+ld kB)\n",
	       before, after, rounds, after - before);
	T_CHECK(before - after < rounds * 2 * 4,
		"memory back within two pages per VM (%d kB) after %d VMs (lost %ld kB)",
		rounds * 2 * 4, rounds, before - after);
	return t_done();
}

/* The launcher unmaps guest memory under the guest: a clean error. */
static int t_unmap(void)
{
	struct plumb_regs r;
	struct vm vm;
	struct vcpu v;

	setup(&vm, &v, "memsum", 64);
	ioctl(v.fd, PLUMB_GET_REGS, &r);
	r.rsi = 0x200000;
	r.rcx = 0x100000;
	ioctl(v.fd, PLUMB_SET_REGS, &r);
	/* Code and page tables are touched already? No: nothing ran yet. */
	munmap(vm.mem + 0x200000, 0x100000);
	T_ERRNO(ioctl(v.fd, PLUMB_RUN, 0), EFAULT,
		"RUN after the guest's data pages were unmapped");
	vm.mem_size = 0x200000;		/* what is left to unmap */
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

/* CREATE_VM once: prints "created" or the errno name; exit 0 either way. */
static int t_createvm(void)
{
	int sys = open("/dev/plumb", O_RDWR | O_CLOEXEC), vm;

	if (sys < 0) {
		printf("FAIL: open /dev/plumb: %s\n", strerror(errno));
		return 1;
	}
	vm = ioctl(sys, PLUMB_CREATE_VM, 0);
	if (vm >= 0)
		printf("created\n");
	else
		printf("%s\n", errno == EBUSY ? "EBUSY" : strerror(errno));
	if (vm >= 0)
		close(vm);
	close(sys);
	return 0;
}

const struct guest_test guest_vm_tests[] = {
	{ "badinput", .run = t_badinput },
	{ "foreign", .run = t_foreign },
	{ "close_order", .run = t_close_order },
	{ "unmap", .run = t_unmap },
	{ "createvm", .run = t_createvm },
	{ NULL }
};
