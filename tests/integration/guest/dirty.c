// SPDX-License-Identifier: GPL-2.0
/*
 * t_guest: dirty-page logging (PLUMB_MEM_LOG_DIRTY, PLUMB_GET_DIRTY_LOG;
 * docs/abi.md, decision 141). The guest (tests/guests/dirty.S) writes and
 * reads the pages of a logging slot one command at a time; between its
 * rounds the log must name exactly the pages written. A page written in
 * one round and again in the next is caught the second time only if GET
 * write-protected it and flushed the translation the vCPU had cached
 * writable.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "guest.h"

#define DATA_GPA	0x400000ULL	/* slot 1: logs, 1 MiB */
#define DATA_PAGES	256
#define SMALL_GPA	0x600000ULL	/* slot 2: logs, 3 pages */
#define SMALL_PAGES	3

#define PORT_IN32	0x1236
#define PORT_ECHO32	0x1237
#define PORT_VAL32	0x1238

/* The guest's writes so far: the value its next write stores, minus 1. */
static uint32_t nr_writes;

static void guest_write(struct vcpu *v, unsigned int page)
{
	expect_in(v, PORT_IN32, 4, (uint32_t)(DATA_GPA + page * 4096ULL) | 1);
	nr_writes++;
}

static void guest_read(struct vcpu *v, unsigned int page, uint32_t want)
{
	uint32_t got;

	expect_in(v, PORT_IN32, 4, (uint32_t)(DATA_GPA + page * 4096ULL) | 2);
	got = expect_out32(v, PORT_ECHO32);
	T_CHECK(got == want, "the guest read page %u: %#x (want %#x)", page,
		got, want);
}

/* The end of a round: once the guest reports it, its writes are done. */
static void guest_round_end(struct vcpu *v)
{
	expect_in(v, PORT_IN32, 4, 0);
	expect_out(v, PORT_VAL32, 4, 0);
}

static int get_log(struct vm *vm, uint32_t slot, uint64_t *bitmap)
{
	struct plumb_dirty_log d = { .slot = slot, .bitmap = (uintptr_t)bitmap };

	return ioctl(vm->fd, PLUMB_GET_DIRTY_LOG, &d);
}

/* GET_DIRTY_LOG on slot 1: exactly @pages (@n of them), else a FAIL line. */
static void expect_log(struct vm *vm, const unsigned int *pages, size_t n,
		       const char *what)
{
	uint64_t got[DATA_PAGES / 64], want[DATA_PAGES / 64] = { 0 };
	char list[256] = "";
	size_t len = 0;
	int ret;

	for (size_t i = 0; i < n; i++)
		want[pages[i] / 64] |= 1ULL << (pages[i] % 64);
	memset(got, 0xa5, sizeof(got));
	ret = get_log(vm, 1, got);
	for (unsigned int p = 0; p < DATA_PAGES && ret == 0; p++)
		if ((got[p / 64] >> (p % 64) & 1) && len < sizeof(list) - 8)
			len += snprintf(list + len, sizeof(list) - len, " %u", p);
	T_CHECK(ret == 0 && !memcmp(got, want, sizeof(got)),
		"%s: GET_DIRTY_LOG -> %d, pages {%s }", what, ret, list);
}

/* The memory behind slot 1 holds @val at the start of @page. */
static void expect_mem(const uint8_t *data, unsigned int page, uint32_t val)
{
	uint32_t got;

	memcpy(&got, data + page * 4096UL, 4);
	T_CHECK(got == val, "page %u holds the guest's write %u (got %u)",
		page, val, got);
}

static void set_slot(struct vm *vm, uint32_t slot, uint64_t gpa, void *mem,
		     uint64_t size, uint32_t flags)
{
	struct plumb_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)mem,
	};

	T_CHECK(ioctl(vm->fd, PLUMB_SET_MEMORY_REGION, &r) == 0,
		"slot %u at %#llx, %llu KiB, flags %#x", slot,
		(unsigned long long)gpa, (unsigned long long)size >> 10, flags);
}

static int t_dirty(void)
{
	static const unsigned int round1[] = { 0, 5, 63, 64, 200 };
	static const unsigned int round2[] = { 5, 6, 128, 255 };
	static const unsigned int round4[] = { 42 };
	static const unsigned int again[] = { 3 };
	struct {
		struct plumb_msrs hdr;
		struct plumb_msr_entry e[1];
	} m = { .hdr.nmsrs = 1 };
	struct plumb_dirty_log d = { 0 };
	uint64_t small[4], bitmap[DATA_PAGES / 64];
	uint8_t *data, *smem;
	uint32_t w;
	struct vm vm;
	struct vcpu v;

	setup(&vm, &v, "dirty", 32);
	T_CHECK(ioctl(vm.sys_fd, PLUMB_CHECK_CAPABILITY, PLUMB_CAP_DIRTY_LOG) == 1,
		"PLUMB_CAP_DIRTY_LOG answers 1");
	data = mmap(NULL, DATA_PAGES * 4096UL, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	smem = mmap(NULL, SMALL_PAGES * 4096UL, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (data == MAP_FAILED || smem == MAP_FAILED) {
		printf("FAIL: mmap: %s\n", strerror(errno));
		return 1;
	}
	/* Values the guest's reads can recognise; the launcher's own writes. */
	for (unsigned int p = 0; p < DATA_PAGES; p++)
		memcpy(data + p * 4096UL, &(uint32_t){ 0xd0000000 | p }, 4);
	set_slot(&vm, 1, DATA_GPA, data, DATA_PAGES * 4096UL, PLUMB_MEM_LOG_DIRTY);
	expect_log(&vm, NULL, 0, "a new logging slot");

	/* Round 1: page 64 is read first (mapped read-only), then written. */
	guest_write(&v, 0);
	guest_read(&v, 1, 0xd0000001);
	guest_write(&v, 5);
	guest_read(&v, 100, 0xd0000064);
	guest_write(&v, 63);
	guest_read(&v, 64, 0xd0000040);
	guest_write(&v, 64);
	guest_write(&v, 200);
	guest_read(&v, 255, 0xd00000ff);
	guest_round_end(&v);
	expect_log(&vm, round1, 5, "round 1 wrote 0 5 63 64 200, read 1 100 255");
	expect_mem(data, 0, 1);
	expect_mem(data, 5, 2);
	expect_mem(data, 64, 4);
	expect_mem(data, 200, 5);
	expect_log(&vm, NULL, 0, "a second GET at once: the log was cleared");

	/*
	 * Round 2: page 5 again, through the translation the vCPU cached
	 * writable in round 1 unless GET took it away (re-protection and
	 * the TLB flush); the others are new.
	 */
	w = nr_writes;
	guest_write(&v, 5);
	guest_write(&v, 6);
	guest_write(&v, 128);
	guest_write(&v, 255);
	guest_round_end(&v);
	expect_log(&vm, round2, 4, "round 2 wrote 5 6 128 255");
	expect_mem(data, 5, w + 1);
	expect_mem(data, 255, w + 4);

	/* Round 3 only reads, written pages and new ones: nothing logged. */
	guest_read(&v, 0, 1);
	guest_read(&v, 5, w + 1);
	guest_read(&v, 64, 4);
	guest_read(&v, 128, w + 3);
	guest_read(&v, 7, 0xd0000007);
	guest_read(&v, 201, 0xd00000c9);
	guest_round_end(&v);
	expect_log(&vm, NULL, 0, "round 3 only read");

	/* Round 4, and a GET that cannot copy out: -EFAULT loses nothing. */
	guest_write(&v, 42);
	guest_round_end(&v);
	d.slot = 1;
	d.bitmap = 8;
	T_ERRNO(ioctl(vm.fd, PLUMB_GET_DIRTY_LOG, &d), EFAULT, "GET_DIRTY_LOG to address 8");
	expect_log(&vm, round4, 1, "round 4 wrote 42, after the -EFAULT");

	/* The kernel's own writes log too: the wall clock, in slot 2. */
	set_slot(&vm, 2, SMALL_GPA, smem, SMALL_PAGES * 4096UL, PLUMB_MEM_LOG_DIRTY);
	m.e[0].index = 0x4b564d00;	/* MSR_KVM_WALL_CLOCK_NEW */
	m.e[0].data = SMALL_GPA + 4096 + 16;
	T_CHECK(ioctl(v.fd, PLUMB_SET_MSRS, &m) == 1,
		"MSR_KVM_WALL_CLOCK_NEW in slot 2's page 1: the kernel writes it");
	memset(small, 0xa5, sizeof(small));
	T_CHECK(get_log(&vm, 2, small) == 0 && small[0] == 2 &&
		small[1] == 0xa5a5a5a5a5a5a5a5ULL,
		"slot 2 (3 pages): page 1 dirty, one 64-bit word written (%#llx %#llx)",
		(unsigned long long)small[0], (unsigned long long)small[1]);
	T_CHECK(get_log(&vm, 2, small) == 0 && small[0] == 0,
		"slot 2 clean again (%#llx)", (unsigned long long)small[0]);

	/* The errors. */
	T_ERRNO(get_log(&vm, 0, bitmap), EINVAL, "GET_DIRTY_LOG on slot 0, which does not log");
	T_ERRNO(get_log(&vm, 7, bitmap), ENOENT, "GET_DIRTY_LOG on slot 7, none");
	T_ERRNO(get_log(&vm, 4096, bitmap), ENOENT, "GET_DIRTY_LOG on slot 4096");
	d.bitmap = (uintptr_t)bitmap;
	d.flags = 1;
	T_ERRNO(ioctl(vm.fd, PLUMB_GET_DIRTY_LOG, &d), EINVAL, "GET_DIRTY_LOG with flags 1");
	d.flags = 0;
	d.reserved[1] = 1;
	T_ERRNO(ioctl(vm.fd, PLUMB_GET_DIRTY_LOG, &d), EINVAL, "GET_DIRTY_LOG with reserved[1] set");
	T_ERRNO(ioctl(vm.fd, PLUMB_GET_DIRTY_LOG, (void *)8), EFAULT, "GET_DIRTY_LOG, argument at 8");
	T_ERRNO(ioctl(v.fd, PLUMB_GET_DIRTY_LOG, &d), ENOTTY, "GET_DIRTY_LOG on a vCPU fd");

	/*
	 * Logging off (the slot is replaced), then on again: a new slot with
	 * an empty log, whatever the guest wrote before.
	 */
	guest_write(&v, 9);
	guest_round_end(&v);
	set_slot(&vm, 1, DATA_GPA, data, DATA_PAGES * 4096UL, 0);
	T_ERRNO(get_log(&vm, 1, bitmap), EINVAL, "GET_DIRTY_LOG once slot 1 stopped logging");
	guest_write(&v, 10);
	guest_round_end(&v);
	set_slot(&vm, 1, DATA_GPA, data, DATA_PAGES * 4096UL, PLUMB_MEM_LOG_DIRTY);
	expect_log(&vm, NULL, 0, "logging again: an empty log");
	guest_write(&v, 3);
	guest_round_end(&v);
	expect_log(&vm, again, 1, "then the guest wrote 3");

	/* Read-only and logging: accepted, and nothing to log. */
	set_slot(&vm, 2, SMALL_GPA, smem, SMALL_PAGES * 4096UL,
		 PLUMB_MEM_READONLY | PLUMB_MEM_LOG_DIRTY);
	T_CHECK(get_log(&vm, 2, small) == 0 && small[0] == 0,
		"a read-only logging slot: an empty log");

	vcpu_destroy(&v);
	vm_destroy(&vm);
	munmap(data, DATA_PAGES * 4096UL);
	munmap(smem, SMALL_PAGES * 4096UL);
	return t_done();
}

const struct guest_test guest_dirty_tests[] = {
	{ "dirty", .run = t_dirty },
	{ NULL }
};
