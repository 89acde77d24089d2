// SPDX-License-Identifier: GPL-2.0
/*
 * exitbench: the same guest (tests/guests/bench.S) on plumb and on KVM,
 * timed from the host: a port read answered by userspace, a CPUID exit
 * handled in the kernel, and a burst of serial bytes (plumb: posted and
 * not; KVM: one exit per byte). Prints "RESULT driver metric ns-per-op".
 * Usage: exitbench plumb|kvm [scale]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "../tests/integration/vmlib.h"

#define GUEST		"guests/bench-64.bin"
#define MEM_SIZE	(4UL << 20)

enum { LOOP_IN, LOOP_CPUID, LOOP_OUT };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "exitbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void result(const char *drv, const char *metric, double secs,
		   unsigned long n, unsigned long returns)
{
	printf("RESULT %s %s %.0f ns/op (%lu ops, %.3f s, %lu returns to userspace)\n",
	       drv, metric, secs * 1e9 / n, n, secs, returns);
}

/* ---- plumb ------------------------------------------------------------ */

static double plumb_loop(int loop, unsigned long n, int posted,
			 unsigned long *returns)
{
	struct plumb_posted_range p = { .addr = 0x3f8, .len = 1,
					.flags = PLUMB_POSTED_PIO };
	struct plumb_regs r;
	struct vm vm;
	struct vcpu v;
	double t;

	vm_create(&vm, MEM_SIZE);
	vm_load(&vm, GUEST, GUEST_LOAD);
	vcpu_create(&vm, &v, 0);
	vcpu_set_mode(&v, MODE_LONG64, GUEST_LOAD);
	if (posted && ioctl(vm.fd, PLUMB_SET_POSTED_RANGE, &p))
		die("PLUMB_SET_POSTED_RANGE");
	ioctl(v.fd, PLUMB_GET_REGS, &r);
	r.rbx = loop;
	r.rcx = n;
	ioctl(v.fd, PLUMB_SET_REGS, &r);
	t = now();
	for (;;) {
		struct plumb_exit *e = vcpu_next(&v);

		if (e->reason == PLUMB_EXIT_HLT)
			break;
		if (e->reason != PLUMB_EXIT_IO) {
			fprintf(stderr, "exitbench: plumb: unexpected exit %s\n",
				exit_name(e->reason));
			exit(1);
		}
		if (e->io.direction == PLUMB_IO_IN)
			e->io.data[0] = 0x42;
		vcpu_consume(&v);
	}
	t = now() - t;
	*returns = v.runs;
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t;
}

/* ---- KVM, the same guest, the same mode --------------------------------- */

struct kvm {
	int sys, vm, vcpu;
	struct kvm_run *run;
	uint8_t *mem;
};

static void kvm_setup(struct kvm *k)
{
	struct kvm_userspace_memory_region m = { 0 };
	struct kvm_sregs s;
	struct kvm_segment cs = {
		.base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 0xb,
		.present = 1, .s = 1, .l = 1, .g = 1,
	}, ds = {
		.base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 0x3,
		.present = 1, .s = 1, .db = 1, .g = 1,
	};
	uint64_t *pml4, *pdpt, *pd;
	long size;
	int fd, i;
	struct stat st;

	k->sys = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->sys < 0)
		die("/dev/kvm");
	k->vm = ioctl(k->sys, KVM_CREATE_VM, 0);
	if (k->vm < 0)
		die("KVM_CREATE_VM");
	k->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (k->mem == MAP_FAILED)
		die("mmap");
	m.memory_size = MEM_SIZE;
	m.userspace_addr = (uintptr_t)k->mem;
	if (ioctl(k->vm, KVM_SET_USER_MEMORY_REGION, &m))
		die("KVM_SET_USER_MEMORY_REGION");
	fd = open(GUEST, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) ||
	    read(fd, k->mem + GUEST_LOAD, st.st_size) != st.st_size)
		die(GUEST);
	close(fd);
	k->vcpu = ioctl(k->vm, KVM_CREATE_VCPU, 0);
	if (k->vcpu < 0)
		die("KVM_CREATE_VCPU");
	size = ioctl(k->sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	k->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu, 0);
	if (k->run == MAP_FAILED)
		die("mmap kvm_run");

	/* KVM checks CR4 against the guest's CPUID: give it the host's. */
	{
		struct {
			struct kvm_cpuid2 c;
			struct kvm_cpuid_entry2 e[256];
		} cpuid = { .c.nent = 256 };

		if (ioctl(k->sys, KVM_GET_SUPPORTED_CPUID, &cpuid) ||
		    ioctl(k->vcpu, KVM_SET_CPUID2, &cpuid))
			die("KVM_GET_SUPPORTED_CPUID/KVM_SET_CPUID2");
	}

	/* vmlib's long mode: identity map of 4 GiB with 2 MiB pages. */
	pml4 = (uint64_t *)(k->mem + GUEST_PT);
	pdpt = pml4 + 512;
	pd = pdpt + 512;
	pml4[0] = (GUEST_PT + 0x1000) | 3;
	for (i = 0; i < 4; i++)
		pdpt[i] = (GUEST_PT + 0x2000 + i * 0x1000) | 3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
	if (ioctl(k->vcpu, KVM_GET_SREGS, &s))
		die("KVM_GET_SREGS");
	s.cs = cs;
	s.ds = s.es = s.fs = s.gs = s.ss = ds;
	s.cr3 = GUEST_PT;
	s.cr4 = 0x20;
	s.cr0 = 0x80000011;
	s.efer = 0x500;
	if (ioctl(k->vcpu, KVM_SET_SREGS, &s))
		die("KVM_SET_SREGS");
}

static double kvm_loop(int loop, unsigned long n, unsigned long *returns)
{
	struct kvm_regs r = { 0 };
	struct kvm k;
	double t;

	kvm_setup(&k);
	r.rip = GUEST_LOAD;
	r.rsp = GUEST_STACK;
	r.rflags = 2;
	r.rbx = loop;
	r.rcx = n;
	if (ioctl(k.vcpu, KVM_SET_REGS, &r))
		die("KVM_SET_REGS");
	*returns = 0;
	t = now();
	for (;;) {
		if (ioctl(k.vcpu, KVM_RUN, 0))
			die("KVM_RUN");
		++*returns;
		if (k.run->exit_reason == KVM_EXIT_HLT)
			break;
		if (k.run->exit_reason != KVM_EXIT_IO) {
			fprintf(stderr, "exitbench: kvm: unexpected exit %u\n",
				k.run->exit_reason);
			exit(1);
		}
		if (k.run->io.direction == KVM_EXIT_IO_IN)
			*((uint8_t *)k.run + k.run->io.data_offset) = 0x42;
	}
	t = now() - t;
	close(k.vcpu);
	close(k.vm);
	close(k.sys);
	munmap(k.mem, MEM_SIZE);
	return t;
}

int main(int argc, char **argv)
{
	const char *drv = argc > 1 ? argv[1] : "";
	unsigned long scale = argc > 2 ? strtoul(argv[2], NULL, 0) : 1;
	unsigned long n_in = 20000 / scale, n_cpuid = 200000 / scale;
	unsigned long n_out = 100000 / scale, ret;
	double t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(drv, "plumb")) {
		t = plumb_loop(LOOP_IN, n_in, 0, &ret);
		result(drv, "pio_in_roundtrip", t, n_in, ret);
		t = plumb_loop(LOOP_CPUID, n_cpuid, 0, &ret);
		result(drv, "cpuid_in_kernel", t, n_cpuid, ret);
		t = plumb_loop(LOOP_OUT, n_out, 1, &ret);
		result(drv, "serial_byte", t, n_out, ret);
		t = plumb_loop(LOOP_OUT, n_out, 0, &ret);
		result(drv, "serial_byte_unposted", t, n_out, ret);
	} else if (!strcmp(drv, "kvm")) {
		t = kvm_loop(LOOP_IN, n_in, &ret);
		result(drv, "pio_in_roundtrip", t, n_in, ret);
		t = kvm_loop(LOOP_CPUID, n_cpuid, &ret);
		result(drv, "cpuid_in_kernel", t, n_cpuid, ret);
		t = kvm_loop(LOOP_OUT, n_out, &ret);
		result(drv, "serial_byte", t, n_out, ret);
	} else {
		fprintf(stderr, "usage: exitbench plumb|kvm [scale]\n");
		return 2;
	}
	return 0;
}
