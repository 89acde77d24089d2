/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlib: the host side of a test guest, in the style of KVM selftests:
 * make a VM with RAM at guest-physical 0, load a flat guest, put the vCPU
 * in a mode, run it and take its exits from the ring one by one.
 */
#ifndef PLUMB_VMLIB_H
#define PLUMB_VMLIB_H

#include <stddef.h>
#include <stdint.h>
#include <linux/plumb.h>

#define GUEST_LOAD	0x1000ULL	/* where flat guests are loaded */
#define GUEST_PT	0x100000ULL	/* identity page tables for 64-bit */
#define GUEST_STACK	0x0ff000ULL

enum guest_mode { MODE_REAL = 16, MODE_PROT32 = 32, MODE_LONG64 = 64 };

struct vm {
	int sys_fd;
	int fd;
	uint8_t *mem;
	size_t mem_size;
};

struct vcpu {
	struct vm *vm;
	int fd;
	struct plumb_ring_header *hdr;
	struct plumb_exit *ring;
	size_t map_size;
	uint32_t cons;		/* our consumer index */
	uint64_t runs;		/* RUN calls that returned 0 */
};

/* All of these exit(1) with a message on failure: tests stay short. */
void vm_create(struct vm *vm, size_t mem_size);
void vm_destroy(struct vm *vm);
void vm_load(struct vm *vm, const char *path, uint64_t gpa);
void vcpu_create(struct vm *vm, struct vcpu *v, unsigned int id);
void vcpu_destroy(struct vcpu *v);
/* The guest's CPUID table = what the module supports (as the launcher). */
void vcpu_set_supported_cpuid(struct vcpu *v);
void vcpu_set_mode(struct vcpu *v, enum guest_mode mode, uint64_t rip);
/* A flat 4 GiB code or data segment (type, D/B, L as given). */
void flat_seg(struct plumb_segment *s, uint16_t sel, uint8_t type, int db,
	      int l);

/* The next exit record, running the vCPU when the ring is drained. */
struct plumb_exit *vcpu_next(struct vcpu *v);
/* Reply to the record vcpu_next returned (for IN / hypercall). */
void vcpu_consume(struct vcpu *v);

/* Convenience: expect exactly this exit, or fail the test. */
void expect_out(struct vcpu *v, uint16_t port, uint8_t size, uint32_t val);
void expect_in(struct vcpu *v, uint16_t port, uint8_t size, uint32_t reply);
void expect_reason(struct vcpu *v, uint32_t reason);
uint32_t expect_out32(struct vcpu *v, uint16_t port);
const char *exit_name(uint32_t reason);
/* The entry-failure record's hardware_reason, named (backend "vmx"/"svm"). */
const char *fail_entry_name(const char *backend, uint64_t reason);

#endif /* PLUMB_VMLIB_H */
