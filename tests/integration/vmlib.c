// SPDX-License-Identifier: GPL-2.0
/* vmlib: see vmlib.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <plumb/names.h>

#include "testlib.h"
#include "vmlib.h"

int t_failures;

static void die(const char *what)
{
	printf("FAIL: %s: %s\n", what, strerror(errno));
	exit(1);
}

void vm_create(struct vm *vm, size_t mem_size)
{
	struct plumb_memory_region r = { 0 };

	vm->sys_fd = open("/dev/plumb", O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0)
		die("open /dev/plumb");
	vm->fd = ioctl(vm->sys_fd, PLUMB_CREATE_VM, 0);
	if (vm->fd < 0)
		die("PLUMB_CREATE_VM");
	vm->mem_size = mem_size;
	vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->mem == MAP_FAILED)
		die("mmap guest memory");
	r.slot = 0;
	r.guest_phys_addr = 0;
	r.memory_size = mem_size;
	r.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->fd, PLUMB_SET_MEMORY_REGION, &r))
		die("PLUMB_SET_MEMORY_REGION");
}

void vm_destroy(struct vm *vm)
{
	close(vm->fd);
	close(vm->sys_fd);
	munmap(vm->mem, vm->mem_size);
}

void vm_load(struct vm *vm, const char *path, uint64_t gpa)
{
	int fd = open(path, O_RDONLY);
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		die(path);
	if ((uint64_t)st.st_size > vm->mem_size - gpa) {
		printf("FAIL: %s does not fit\n", path);
		exit(1);
	}
	if (read(fd, vm->mem + gpa, st.st_size) != st.st_size)
		die(path);
	close(fd);
}

void vcpu_create(struct vm *vm, struct vcpu *v, unsigned int id)
{
	long size;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->fd = ioctl(vm->fd, PLUMB_CREATE_VCPU, id);
	if (v->fd < 0)
		die("PLUMB_CREATE_VCPU");
	size = ioctl(vm->sys_fd, PLUMB_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		die("PLUMB_GET_VCPU_MMAP_SIZE");
	v->map_size = size;
	v->hdr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->hdr == MAP_FAILED)
		die("mmap vCPU ring");
	if (v->hdr->magic != PLUMB_RING_MAGIC ||
	    v->hdr->revision != PLUMB_RING_REVISION ||
	    v->hdr->entry_size != sizeof(struct plumb_exit) ||
	    v->hdr->ring_offset + (size_t)v->hdr->entry_count *
	    v->hdr->entry_size != (size_t)size) {
		printf("FAIL: ring header does not match the ABI\n");
		exit(1);
	}
	v->ring = (void *)((uint8_t *)v->hdr + v->hdr->ring_offset);
}

void vcpu_set_supported_cpuid(struct vcpu *v)
{
	struct plumb_cpuid *c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));

	if (!c)
		die("calloc");
	c->nent = 256;
	if (ioctl(v->vm->sys_fd, PLUMB_GET_SUPPORTED_CPUID, c))
		die("PLUMB_GET_SUPPORTED_CPUID");
	if (ioctl(v->fd, PLUMB_SET_CPUID, c))
		die("PLUMB_SET_CPUID");
	free(c);
}

void vcpu_destroy(struct vcpu *v)
{
	munmap(v->hdr, v->map_size);
	close(v->fd);
}

void flat_seg(struct plumb_segment *s, uint16_t sel, uint8_t type,
		int db, int l)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = db;
	s->l = l;
	s->g = 1;
}

void vcpu_set_mode(struct vcpu *v, enum guest_mode mode, uint64_t rip)
{
	struct plumb_sregs s;
	struct plumb_regs r;

	if (ioctl(v->fd, PLUMB_GET_SREGS, &s) || ioctl(v->fd, PLUMB_GET_REGS, &r))
		die("PLUMB_GET_SREGS/REGS");
	memset(&s.reserved, 0, sizeof(s.reserved));
	s.flags = 0;
	switch (mode) {
	case MODE_REAL:
		s.cs.selector = 0;
		s.cs.base = 0;
		break;
	case MODE_PROT32:
		flat_seg(&s.cs, 0x08, 0xb, 1, 0);
		flat_seg(&s.ds, 0x10, 0x3, 1, 0);
		s.es = s.fs = s.gs = s.ss = s.ds;
		s.cr0 = 0x11;	/* PE | ET */
		break;
	case MODE_LONG64: {
		uint64_t *pml4 = (uint64_t *)(v->vm->mem + GUEST_PT);
		uint64_t *pdpt = pml4 + 512, *pd = pdpt + 512;
		int i;

		/* Identity map the first 4 GiB with 2 MiB pages. */
		memset(pml4, 0, 6 * 4096);
		pml4[0] = (GUEST_PT + 0x1000) | 3;
		for (i = 0; i < 4; i++)
			pdpt[i] = (GUEST_PT + 0x2000 + i * 0x1000) | 3;
		for (i = 0; i < 4 * 512; i++)
			pd[i] = ((uint64_t)i << 21) | 0x83;	/* P RW PS */
		flat_seg(&s.cs, 0x08, 0xb, 0, 1);
		flat_seg(&s.ds, 0x10, 0x3, 1, 0);
		s.es = s.fs = s.gs = s.ss = s.ds;
		s.cr3 = GUEST_PT;
		s.cr4 = 0x20;			/* PAE */
		s.cr0 = 0x80000011;		/* PG | PE | ET */
		s.efer = 0x500;			/* LME | LMA */
		break;
	}
	default:
		printf("FAIL: unknown guest mode %d\n", mode);
		exit(1);
	}
	if (ioctl(v->fd, PLUMB_SET_SREGS, &s))
		die("PLUMB_SET_SREGS");
	r.rip = rip;
	r.rsp = GUEST_STACK;
	r.rflags = 2;
	if (ioctl(v->fd, PLUMB_SET_REGS, &r))
		die("PLUMB_SET_REGS");
}

const char *exit_name(uint32_t reason)
{
	const char *name = plumb_exit_name(reason);

	return name ? name : "?";
}

struct plumb_exit *vcpu_next(struct vcpu *v)
{
	while (v->cons == __atomic_load_n(&v->hdr->producer, __ATOMIC_ACQUIRE)) {
		if (ioctl(v->fd, PLUMB_RUN, 0))
			die("PLUMB_RUN");
		v->runs++;
	}
	return &v->ring[v->cons % v->hdr->entry_count];
}

void vcpu_consume(struct vcpu *v)
{
	v->cons++;
	__atomic_store_n(&v->hdr->consumer, v->cons, __ATOMIC_RELEASE);
}

static void describe(const struct plumb_exit *e)
{
	printf("  got %s", exit_name(e->reason));
	if (e->reason == PLUMB_EXIT_IO)
		printf(" port %#x size %u dir %u", e->io.port, e->io.size,
		       e->io.direction);
	if (e->reason == PLUMB_EXIT_INTERNAL_ERROR)
		printf(" suberror %u (%s) data %#llx %#llx %#llx",
		       e->internal.suberror,
		       plumb_internal_name(e->internal.suberror) ?: "?",
		       (unsigned long long)e->internal.data[0],
		       (unsigned long long)e->internal.data[1],
		       (unsigned long long)e->internal.data[2]);
	if (e->reason == PLUMB_EXIT_FAIL_ENTRY)
		printf(" reason %#llx", (unsigned long long)e->fail_entry.hardware_reason);
	printf("\n");
}

static struct plumb_exit *expect_io(struct vcpu *v, uint16_t port, uint8_t size,
				    uint8_t dir)
{
	struct plumb_exit *e = vcpu_next(v);

	if (e->reason != PLUMB_EXIT_IO || e->io.port != port ||
	    e->io.size != size || e->io.direction != dir || e->io.count != 1) {
		printf("FAIL: want io port %#x size %u dir %u\n", port, size, dir);
		describe(e);
		exit(1);
	}
	return e;
}

void expect_out(struct vcpu *v, uint16_t port, uint8_t size, uint32_t val)
{
	struct plumb_exit *e = expect_io(v, port, size, PLUMB_IO_OUT);
	uint32_t got = 0;

	memcpy(&got, e->io.data, size);
	if (got != val) {
		printf("FAIL: out to %#x: want %#x, got %#x\n", port, val, got);
		exit(1);
	}
	vcpu_consume(v);
}

uint32_t expect_out32(struct vcpu *v, uint16_t port)
{
	struct plumb_exit *e = expect_io(v, port, 4, PLUMB_IO_OUT);
	uint32_t got;

	memcpy(&got, e->io.data, 4);
	vcpu_consume(v);
	return got;
}

void expect_in(struct vcpu *v, uint16_t port, uint8_t size, uint32_t reply)
{
	struct plumb_exit *e = expect_io(v, port, size, PLUMB_IO_IN);

	if (!(e->flags & PLUMB_EXIT_F_REPLY)) {
		printf("FAIL: an IN record without the reply flag\n");
		exit(1);
	}
	memcpy(e->io.data, &reply, size);
	vcpu_consume(v);
}

void expect_reason(struct vcpu *v, uint32_t reason)
{
	struct plumb_exit *e = vcpu_next(v);

	if (e->reason != reason) {
		printf("FAIL: want %s\n", exit_name(reason));
		describe(e);
		exit(1);
	}
	vcpu_consume(v);
}

/* SDM Vol. 3C 31.4 (VM-instruction errors) and Appendix C (entry failures). */
const char *fail_entry_name(const char *backend, uint64_t reason)
{
	static const char *const insn_errors[] = {
		[0] = "VMfailInvalid (no current VMCS)",
		[7] = "invalid control fields",
		[8] = "invalid host-state fields",
		[4] = "VMLAUNCH with a non-clear VMCS",
		[5] = "VMRESUME with a non-launched VMCS",
		[26] = "events blocked by MOV SS",
	};

	if (strcmp(backend, "vmx"))
		return reason == ~0ULL ? "VMEXIT_INVALID" : "?";
	if (reason & PLUMB_FAIL_VMX_INSN_ERROR) {
		uint32_t n = (uint32_t)reason;

		return n < sizeof(insn_errors) / sizeof(insn_errors[0]) &&
		       insn_errors[n] ? insn_errors[n] : "VM-instruction error";
	}
	switch ((uint32_t)reason) {
	case 0x80000021:
		return "invalid guest state";
	case 0x80000022:
		return "MSR loading";
	case 0x80000029:
		return "machine check during entry";
	default:
		return "?";
	}
}
