// SPDX-License-Identifier: GPL-2.0
/*
 * ABI pins: the size and offset of every field shared with the kernel, and
 * the number, direction and size of every ioctl. If one of these fails, the
 * ABI changed: that must be a deliberate, documented decision (docs/abi.md),
 * never a side effect.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include <linux/plumb.h>

#include "uapi_defines.h"

#define PIN_SIZE(type, size) ck_assert_uint_eq(sizeof(type), (size))
#define PIN_OFF(type, field, off) \
	ck_assert_uint_eq(offsetof(type, field), (off))

/* nr, direction and size of an ioctl */
#define PIN_IOCTL(cmd, nr, dir, size) do {				\
	ck_assert_uint_eq(_IOC_TYPE(cmd), PLUMBIO);			\
	ck_assert_uint_eq(_IOC_NR(cmd), (nr));				\
	ck_assert_uint_eq(_IOC_DIR(cmd), (dir));			\
	ck_assert_uint_eq(_IOC_SIZE(cmd), (size));			\
} while (0)

START_TEST(test_version)
{
	ck_assert_int_eq(PLUMB_API_VERSION, 1);
	ck_assert_uint_eq(PLUMBIO, 0xB9);
}
END_TEST

START_TEST(test_system_ioctls)
{
	PIN_IOCTL(PLUMB_GET_API_VERSION, 0x00, _IOC_NONE, 0);
	PIN_IOCTL(PLUMB_CHECK_CAPABILITY, 0x01, _IOC_NONE, 0);
	PIN_IOCTL(PLUMB_GET_SUPPORTED_CPUID, 0x02, _IOC_READ | _IOC_WRITE, 8);
	PIN_IOCTL(PLUMB_CREATE_VM, 0x03, _IOC_NONE, 0);
	PIN_IOCTL(PLUMB_GET_VCPU_MMAP_SIZE, 0x04, _IOC_NONE, 0);
}
END_TEST

START_TEST(test_vm_ioctls)
{
	PIN_IOCTL(PLUMB_SET_MEMORY_REGION, 0x40, _IOC_WRITE, 64);
	PIN_IOCTL(PLUMB_CREATE_VCPU, 0x41, _IOC_NONE, 0);
	PIN_IOCTL(PLUMB_SET_POSTED_RANGE, 0x42, _IOC_WRITE, 40);
	PIN_IOCTL(PLUMB_SET_MSR_EXITS, 0x43, _IOC_WRITE, 32);
	PIN_IOCTL(PLUMB_SIGNAL_MSI, 0x44, _IOC_WRITE, 32);
	PIN_IOCTL(PLUMB_GET_DIRTY_LOG, 0x45, _IOC_WRITE, 32);
}
END_TEST

START_TEST(test_vcpu_ioctls)
{
	PIN_IOCTL(PLUMB_RUN, 0x80, _IOC_NONE, 0);
	PIN_IOCTL(PLUMB_GET_REGS, 0x81, _IOC_READ, 192);
	PIN_IOCTL(PLUMB_SET_REGS, 0x82, _IOC_WRITE, 192);
	PIN_IOCTL(PLUMB_GET_SREGS, 0x83, _IOC_READ, 352);
	PIN_IOCTL(PLUMB_SET_SREGS, 0x84, _IOC_WRITE, 352);
	PIN_IOCTL(PLUMB_GET_MSRS, 0x85, _IOC_READ | _IOC_WRITE, 8);
	PIN_IOCTL(PLUMB_SET_MSRS, 0x86, _IOC_WRITE, 8);
	PIN_IOCTL(PLUMB_SET_CPUID, 0x87, _IOC_WRITE, 8);
	PIN_IOCTL(PLUMB_GET_MP_STATE, 0x88, _IOC_READ, 32);
	PIN_IOCTL(PLUMB_SET_MP_STATE, 0x89, _IOC_WRITE, 32);
	PIN_IOCTL(PLUMB_GET_XSAVE, 0x8a, _IOC_READ, 4096);
	PIN_IOCTL(PLUMB_SET_XSAVE, 0x8b, _IOC_WRITE, 4096);
	PIN_IOCTL(PLUMB_GET_XCRS, 0x8c, _IOC_READ, 392);
	PIN_IOCTL(PLUMB_SET_XCRS, 0x8d, _IOC_WRITE, 392);
	PIN_IOCTL(PLUMB_GET_VCPU_EVENTS, 0x8e, _IOC_READ, 64);
	PIN_IOCTL(PLUMB_SET_VCPU_EVENTS, 0x8f, _IOC_WRITE, 64);
	PIN_IOCTL(PLUMB_GET_DEBUGREGS, 0x90, _IOC_READ, 128);
	PIN_IOCTL(PLUMB_SET_DEBUGREGS, 0x91, _IOC_WRITE, 128);
}
END_TEST

/* The XSAVE, XCRS and events structs are KVM's byte for byte (142, 144). */
START_TEST(test_xsave_layout)
{
	ck_assert_uint_eq(offsetof(struct plumb_xcrs, nr_xcrs), 0);
	ck_assert_uint_eq(offsetof(struct plumb_xcrs, flags), 4);
	ck_assert_uint_eq(offsetof(struct plumb_xcrs, xcrs), 8);
	ck_assert_uint_eq(offsetof(struct plumb_xcrs, xcrs[1].value), 32);
	ck_assert_uint_eq(offsetof(struct plumb_xcrs, padding), 264);
	ck_assert_uint_eq(PLUMB_MAX_XCRS, 16);
	ck_assert_uint_eq(sizeof(struct plumb_xsave), 4096);
	ck_assert_uint_eq(offsetof(struct plumb_vcpu_events, interrupt), 8);
	ck_assert_uint_eq(offsetof(struct plumb_vcpu_events, nmi), 12);
	ck_assert_uint_eq(offsetof(struct plumb_vcpu_events, sipi_vector), 16);
	ck_assert_uint_eq(offsetof(struct plumb_vcpu_events, flags), 20);
	ck_assert_uint_eq(offsetof(struct plumb_vcpu_events, reserved), 24);
}
END_TEST

START_TEST(test_ioctl_blocks)
{
	/* Numbers stay inside their object's block (header comment). */
	const unsigned long sys[] = { PLUMB_GET_API_VERSION,
		PLUMB_CHECK_CAPABILITY, PLUMB_GET_SUPPORTED_CPUID,
		PLUMB_CREATE_VM, PLUMB_GET_VCPU_MMAP_SIZE };
	const unsigned long vm[] = { PLUMB_SET_MEMORY_REGION,
		PLUMB_CREATE_VCPU, PLUMB_SET_POSTED_RANGE, PLUMB_SET_MSR_EXITS,
		PLUMB_SIGNAL_MSI, PLUMB_GET_DIRTY_LOG };
	const unsigned long vcpu[] = { PLUMB_RUN, PLUMB_GET_REGS,
		PLUMB_SET_REGS, PLUMB_GET_SREGS, PLUMB_SET_SREGS,
		PLUMB_GET_MSRS, PLUMB_SET_MSRS, PLUMB_SET_CPUID,
		PLUMB_GET_MP_STATE, PLUMB_SET_MP_STATE, PLUMB_GET_XSAVE,
		PLUMB_SET_XSAVE, PLUMB_GET_XCRS, PLUMB_SET_XCRS,
		PLUMB_GET_VCPU_EVENTS, PLUMB_SET_VCPU_EVENTS,
		PLUMB_GET_DEBUGREGS, PLUMB_SET_DEBUGREGS };
	size_t i;

	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		ck_assert_uint_lt(_IOC_NR(sys[i]), 0x40);
	for (i = 0; i < sizeof(vm) / sizeof(vm[0]); i++) {
		ck_assert_uint_ge(_IOC_NR(vm[i]), 0x40);
		ck_assert_uint_lt(_IOC_NR(vm[i]), 0x80);
	}
	for (i = 0; i < sizeof(vcpu) / sizeof(vcpu[0]); i++) {
		ck_assert_uint_ge(_IOC_NR(vcpu[i]), 0x80);
		ck_assert_uint_lt(_IOC_NR(vcpu[i]), 0xc0);
	}
}
END_TEST

START_TEST(test_cpuid_layout)
{
	PIN_SIZE(struct plumb_cpuid_entry, 40);
	PIN_OFF(struct plumb_cpuid_entry, function, 0);
	PIN_OFF(struct plumb_cpuid_entry, index, 4);
	PIN_OFF(struct plumb_cpuid_entry, flags, 8);
	PIN_OFF(struct plumb_cpuid_entry, eax, 12);
	PIN_OFF(struct plumb_cpuid_entry, ebx, 16);
	PIN_OFF(struct plumb_cpuid_entry, ecx, 20);
	PIN_OFF(struct plumb_cpuid_entry, edx, 24);
	PIN_OFF(struct plumb_cpuid_entry, reserved, 28);
	PIN_SIZE(struct plumb_cpuid, 8);
	PIN_OFF(struct plumb_cpuid, nent, 0);
	PIN_OFF(struct plumb_cpuid, flags, 4);
	PIN_OFF(struct plumb_cpuid, entries, 8);
	ck_assert_uint_eq(PLUMB_CPUID_FLAG_SIGNIFICANT_INDEX, 1);
}
END_TEST

START_TEST(test_memory_layout)
{
	PIN_SIZE(struct plumb_memory_region, 64);
	PIN_OFF(struct plumb_memory_region, slot, 0);
	PIN_OFF(struct plumb_memory_region, flags, 4);
	PIN_OFF(struct plumb_memory_region, guest_phys_addr, 8);
	PIN_OFF(struct plumb_memory_region, memory_size, 16);
	PIN_OFF(struct plumb_memory_region, userspace_addr, 24);
	PIN_OFF(struct plumb_memory_region, reserved, 32);
	ck_assert_uint_eq(PLUMB_MEM_READONLY, 1);
	ck_assert_uint_eq(PLUMB_MEM_LOG_DIRTY, 2);

	PIN_SIZE(struct plumb_dirty_log, 32);
	PIN_OFF(struct plumb_dirty_log, slot, 0);
	PIN_OFF(struct plumb_dirty_log, flags, 4);
	PIN_OFF(struct plumb_dirty_log, bitmap, 8);
	PIN_OFF(struct plumb_dirty_log, reserved, 16);

	PIN_SIZE(struct plumb_posted_range, 40);
	PIN_OFF(struct plumb_posted_range, addr, 0);
	PIN_OFF(struct plumb_posted_range, len, 8);
	PIN_OFF(struct plumb_posted_range, flags, 16);
	PIN_OFF(struct plumb_posted_range, padding, 20);
	PIN_OFF(struct plumb_posted_range, reserved, 24);
	ck_assert_uint_eq(PLUMB_POSTED_PIO, 1);
	ck_assert_uint_eq(PLUMB_POSTED_DELETE, 2);
}
END_TEST

START_TEST(test_regs_layout)
{
	PIN_SIZE(struct plumb_regs, 192);
	PIN_OFF(struct plumb_regs, rax, 0);
	PIN_OFF(struct plumb_regs, rbx, 8);
	PIN_OFF(struct plumb_regs, rcx, 16);
	PIN_OFF(struct plumb_regs, rdx, 24);
	PIN_OFF(struct plumb_regs, rsi, 32);
	PIN_OFF(struct plumb_regs, rdi, 40);
	PIN_OFF(struct plumb_regs, rsp, 48);
	PIN_OFF(struct plumb_regs, rbp, 56);
	PIN_OFF(struct plumb_regs, r8, 64);
	PIN_OFF(struct plumb_regs, r15, 120);
	PIN_OFF(struct plumb_regs, rip, 128);
	PIN_OFF(struct plumb_regs, rflags, 136);
	PIN_OFF(struct plumb_regs, flags, 144);
	PIN_OFF(struct plumb_regs, reserved, 152);
}
END_TEST

START_TEST(test_sregs_layout)
{
	PIN_SIZE(struct plumb_segment, 24);
	PIN_OFF(struct plumb_segment, base, 0);
	PIN_OFF(struct plumb_segment, limit, 8);
	PIN_OFF(struct plumb_segment, selector, 12);
	PIN_OFF(struct plumb_segment, type, 14);
	PIN_OFF(struct plumb_segment, present, 15);
	PIN_OFF(struct plumb_segment, dpl, 16);
	PIN_OFF(struct plumb_segment, db, 17);
	PIN_OFF(struct plumb_segment, s, 18);
	PIN_OFF(struct plumb_segment, l, 19);
	PIN_OFF(struct plumb_segment, g, 20);
	PIN_OFF(struct plumb_segment, avl, 21);
	PIN_OFF(struct plumb_segment, unusable, 22);
	PIN_OFF(struct plumb_segment, padding, 23);

	PIN_SIZE(struct plumb_dtable, 16);
	PIN_OFF(struct plumb_dtable, base, 0);
	PIN_OFF(struct plumb_dtable, limit, 8);
	PIN_OFF(struct plumb_dtable, padding, 10);

	PIN_SIZE(struct plumb_sregs, 352);
	PIN_OFF(struct plumb_sregs, cs, 0);
	PIN_OFF(struct plumb_sregs, ds, 24);
	PIN_OFF(struct plumb_sregs, es, 48);
	PIN_OFF(struct plumb_sregs, fs, 72);
	PIN_OFF(struct plumb_sregs, gs, 96);
	PIN_OFF(struct plumb_sregs, ss, 120);
	PIN_OFF(struct plumb_sregs, tr, 144);
	PIN_OFF(struct plumb_sregs, ldt, 168);
	PIN_OFF(struct plumb_sregs, gdt, 192);
	PIN_OFF(struct plumb_sregs, idt, 208);
	PIN_OFF(struct plumb_sregs, cr0, 224);
	PIN_OFF(struct plumb_sregs, cr2, 232);
	PIN_OFF(struct plumb_sregs, cr3, 240);
	PIN_OFF(struct plumb_sregs, cr4, 248);
	PIN_OFF(struct plumb_sregs, cr8, 256);
	PIN_OFF(struct plumb_sregs, efer, 264);
	PIN_OFF(struct plumb_sregs, apic_base, 272);
	PIN_OFF(struct plumb_sregs, flags, 280);
	PIN_OFF(struct plumb_sregs, reserved, 288);
}
END_TEST

START_TEST(test_msrs_layout)
{
	PIN_SIZE(struct plumb_msr_entry, 16);
	PIN_OFF(struct plumb_msr_entry, index, 0);
	PIN_OFF(struct plumb_msr_entry, reserved, 4);
	PIN_OFF(struct plumb_msr_entry, data, 8);
	PIN_SIZE(struct plumb_msrs, 8);
	PIN_OFF(struct plumb_msrs, nmsrs, 0);
	PIN_OFF(struct plumb_msrs, flags, 4);
	PIN_OFF(struct plumb_msrs, entries, 8);
}
END_TEST

START_TEST(test_ring_header_layout)
{
	ck_assert_uint_eq(PLUMB_RING_MAGIC, 0x474e5250);
	ck_assert_uint_eq(PLUMB_RING_REVISION, 1);
	ck_assert_uint_eq(PLUMB_RING_HEADER_SIZE, 4096);
	PIN_SIZE(struct plumb_ring_header, 192);
	PIN_OFF(struct plumb_ring_header, magic, 0);
	PIN_OFF(struct plumb_ring_header, revision, 4);
	PIN_OFF(struct plumb_ring_header, header_size, 6);
	PIN_OFF(struct plumb_ring_header, entry_size, 8);
	PIN_OFF(struct plumb_ring_header, entry_count, 12);
	PIN_OFF(struct plumb_ring_header, ring_offset, 16);
	PIN_OFF(struct plumb_ring_header, flags, 20);
	/* producer and consumer live on cache lines of their own */
	PIN_OFF(struct plumb_ring_header, producer, 64);
	PIN_OFF(struct plumb_ring_header, kernel_flags, 68);
	PIN_OFF(struct plumb_ring_header, consumer, 128);
	PIN_OFF(struct plumb_ring_header, immediate_exit, 132);
	ck_assert_uint_le(sizeof(struct plumb_ring_header),
			  PLUMB_RING_HEADER_SIZE);
}
END_TEST

START_TEST(test_exit_layout)
{
	PIN_SIZE(struct plumb_exit, 64);
	PIN_OFF(struct plumb_exit, reason, 0);
	PIN_OFF(struct plumb_exit, flags, 4);
	PIN_OFF(struct plumb_exit, seq, 8);
	PIN_OFF(struct plumb_exit, io, 16);
	PIN_OFF(struct plumb_exit, raw, 16);

	PIN_SIZE(struct plumb_exit_io, 48);
	PIN_OFF(struct plumb_exit_io, port, 0);
	PIN_OFF(struct plumb_exit_io, size, 2);
	PIN_OFF(struct plumb_exit_io, direction, 3);
	PIN_OFF(struct plumb_exit_io, count, 4);
	PIN_OFF(struct plumb_exit_io, data, 8);

	PIN_SIZE(struct plumb_exit_mmio, 48);
	PIN_OFF(struct plumb_exit_mmio, phys_addr, 0);
	PIN_OFF(struct plumb_exit_mmio, size, 8);
	PIN_OFF(struct plumb_exit_mmio, is_write, 9);
	PIN_OFF(struct plumb_exit_mmio, data, 16);

	PIN_SIZE(struct plumb_exit_fail_entry, 48);
	PIN_OFF(struct plumb_exit_fail_entry, hardware_reason, 0);
	PIN_OFF(struct plumb_exit_fail_entry, cpu, 8);

	PIN_SIZE(struct plumb_exit_internal, 48);
	PIN_OFF(struct plumb_exit_internal, suberror, 0);
	PIN_OFF(struct plumb_exit_internal, ndata, 4);
	PIN_OFF(struct plumb_exit_internal, data, 8);

	PIN_SIZE(struct plumb_exit_msr, 48);
	PIN_OFF(struct plumb_exit_msr, index, 0);
	PIN_OFF(struct plumb_exit_msr, is_write, 4);
	PIN_OFF(struct plumb_exit_msr, error, 5);
	PIN_OFF(struct plumb_exit_msr, data, 8);
	PIN_SIZE(struct plumb_msi, 32);
	PIN_OFF(struct plumb_msi, address_lo, 0);
	PIN_OFF(struct plumb_msi, address_hi, 4);
	PIN_OFF(struct plumb_msi, data, 8);
	PIN_SIZE(struct plumb_exit_eoi, 48);
	PIN_SIZE(struct plumb_mp_state, 32);
	PIN_OFF(struct plumb_mp_state, state, 0);
	PIN_OFF(struct plumb_mp_state, reserved, 8);
	PIN_SIZE(struct plumb_msr_exits, 32);
	PIN_OFF(struct plumb_msr_exits, flags, 0);
	PIN_OFF(struct plumb_msr_exits, reserved, 8);
	PIN_SIZE(struct plumb_exit_hypercall, 48);
	PIN_OFF(struct plumb_exit_hypercall, nr, 0);
	PIN_OFF(struct plumb_exit_hypercall, args, 8);
	PIN_OFF(struct plumb_exit_hypercall, ret, 40);

	/* reasons are ABI too */
	ck_assert_uint_eq(PLUMB_EXIT_IO, 1);
	ck_assert_uint_eq(PLUMB_EXIT_MMIO, 2);
	ck_assert_uint_eq(PLUMB_EXIT_HLT, 3);
	ck_assert_uint_eq(PLUMB_EXIT_SHUTDOWN, 4);
	ck_assert_uint_eq(PLUMB_EXIT_HYPERCALL, 5);
	ck_assert_uint_eq(PLUMB_EXIT_FAIL_ENTRY, 6);
	ck_assert_uint_eq(PLUMB_EXIT_INTERNAL_ERROR, 7);
	ck_assert_uint_eq(PLUMB_EXIT_F_REPLY, 1);
	ck_assert_uint_eq(PLUMB_EXIT_F_POSTED, 2);
}
END_TEST

START_TEST(test_capability_numbers)
{
	ck_assert_uint_eq(PLUMB_CAP_BACKEND, 0);
	ck_assert_uint_eq(PLUMB_CAP_MAX_VCPUS, 1);
	ck_assert_uint_eq(PLUMB_CAP_NR_MEMSLOTS, 2);
	ck_assert_uint_eq(PLUMB_CAP_RING_ENTRIES, 3);
	ck_assert_uint_eq(PLUMB_CAP_READONLY_MEM, 4);
	ck_assert_uint_eq(PLUMB_CAP_POSTED_RANGES, 5);
	ck_assert_uint_eq(PLUMB_CAP_MAX_CPUID_ENTRIES, 6);
	ck_assert_uint_eq(PLUMB_CAP_MAX_MSR_ENTRIES, 7);
	ck_assert_uint_eq(PLUMB_CAP_VM_RUNS, 8);
	ck_assert_uint_eq(PLUMB_CAP_MSR_EXITS, 9);
	ck_assert_uint_eq(PLUMB_CAP_TSC_KHZ, 10);
	ck_assert_uint_eq(PLUMB_CAP_DIRTY_LOG, 11);
	ck_assert_uint_eq(PLUMB_EXIT_MSR, 8);
	ck_assert_uint_eq(PLUMB_EXIT_EOI, 9);
	ck_assert_uint_eq(PLUMB_MSR_EXIT_UNKNOWN, 1);
	ck_assert_uint_eq(PLUMB_BACKEND_VMX, 1);
	ck_assert_uint_eq(PLUMB_BACKEND_SVM, 2);
}
END_TEST

/* PLUMB_CAPS as a table: the kernel answers it, plumb info prints it. */
static const struct {
	unsigned long nr;
	const char *sym, *name;
} caps[] = {
#define CAP(name, str) { PLUMB_CAP_##name, "PLUMB_CAP_" #name, str },
	PLUMB_CAPS(CAP)
#undef CAP
};
#define NR_CAPS (sizeof(caps) / sizeof(caps[0]))

/* A PLUMB_CAP_* define of the header: it must be in PLUMB_CAPS. */
static void check_cap(unsigned long nr, const char *sym)
{
	size_t i;

	for (i = 0; i < NR_CAPS; i++)
		if (!strcmp(caps[i].sym, sym))
			break;
	ck_assert_msg(i < NR_CAPS, "%s is not in PLUMB_CAPS", sym);
	ck_assert_uint_eq(caps[i].nr, nr);
}

/*
 * Every PLUMB_CAP_* the header defines is in PLUMB_CAPS, so that the
 * kernel must answer it (vm.c does not build without) and t_sysioctl
 * checks the answer; no number or name is there twice.
 */
START_TEST(test_capability_list)
{
	size_t i, j;

	ck_assert_uint_eq(for_each_define("PLUMB_CAP_", NULL, check_cap), NR_CAPS);
	for (i = 0; i < NR_CAPS; i++) {
		ck_assert_uint_gt(strlen(caps[i].name), 0);
		for (j = i + 1; j < NR_CAPS; j++) {
			ck_assert_uint_ne(caps[i].nr, caps[j].nr);
			ck_assert_str_ne(caps[i].name, caps[j].name);
		}
	}
}
END_TEST

static Suite *abi_suite(void)
{
	Suite *s = suite_create("abi");
	TCase *tc = tcase_create("layout");

	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_system_ioctls);
	tcase_add_test(tc, test_vm_ioctls);
	tcase_add_test(tc, test_vcpu_ioctls);
	tcase_add_test(tc, test_xsave_layout);
	tcase_add_test(tc, test_ioctl_blocks);
	tcase_add_test(tc, test_cpuid_layout);
	tcase_add_test(tc, test_memory_layout);
	tcase_add_test(tc, test_regs_layout);
	tcase_add_test(tc, test_sregs_layout);
	tcase_add_test(tc, test_msrs_layout);
	tcase_add_test(tc, test_ring_header_layout);
	tcase_add_test(tc, test_exit_layout);
	tcase_add_test(tc, test_capability_numbers);
	tcase_add_test(tc, test_capability_list);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(abi_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
