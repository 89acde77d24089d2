// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM personality (/dev/plumb-kvm, kmod/kvm/) driven as KVM's own
 * selftests drive /dev/kvm: <linux/kvm.h> from the system's headers, no
 * plumb header, raw ioctls and kvm_run. Each subtest checks what KVM
 * userspace (QEMU 7.2 with kernel-irqchip=split above all) relies on;
 * where plumb answers differently from KVM on purpose, the comment says
 * so. The guests are a few instructions each, assembled into this file
 * (GUEST below) and copied into guest memory, mostly real mode.
 * Usage: t_kvm SUBTEST   (without one: the list)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <asm/kvm_para.h>
#include <linux/kvm.h>

#include "testlib.h"

#define DEV		"/dev/plumb-kvm"
#define PAGE		4096UL
#define RUN_PAGES	3		/* kvm_run, PIO data, coalesced ring */
#define MEM_SIZE	0x10000UL	/* slot 0: 64 KiB of RAM at 0 */
#define STACK_TOP	0xf000
#define IOAPIC_PINS	24		/* QEMU's split irqchip */
#define MAX_VCPUS	64

#define XSTR(x)	STR(x)
#define STR(x)	#x

/*
 * A guest: NAME[] to NAME_end[] in this binary, assembled for MODE
 * ("code16", "code32"). Its code may only use relative jumps, and
 * addresses as (label - NAME + where it is loaded).
 */
#define GUEST(name, mode, body)						\
	asm(".pushsection .rodata.guest, \"a\"\n"			\
	    "." mode "\n"						\
	    #name ":\n" body "\n" #name "_end:\n"			\
	    ".code64\n"							\
	    ".popsection\n");						\
	extern const uint8_t name[], name##_end[]

struct tvm {
	int sys;
	int fd;
	uint8_t *mem;
};

struct tvcpu {
	struct tvm *vm;
	int fd;
	unsigned int id;
	struct kvm_run *run;
};

static void die(const char *what)
{
	printf("FAIL: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int open_dev(void)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open " DEV);
	return fd;
}

/* A VM with the split irqchip (as QEMU makes it) and RAM at 0. */
static void vm_new(struct tvm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP, .args = { IOAPIC_PINS },
	};
	struct kvm_userspace_memory_region r = { 0 };

	vm->sys = open_dev();
	vm->fd = ioctl(vm->sys, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		die("KVM_CREATE_VM");
	if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap))
		die("KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP)");
	vm->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->mem == MAP_FAILED)
		die("mmap guest RAM");
	r.memory_size = MEM_SIZE;
	r.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r))
		die("KVM_SET_USER_MEMORY_REGION (RAM)");
}

static void vm_free(struct tvm *vm)
{
	close(vm->fd);
	close(vm->sys);
	munmap(vm->mem, MEM_SIZE);
}

static void load(struct tvm *vm, uint64_t gpa, const uint8_t *start,
		 const uint8_t *end)
{
	memcpy(vm->mem + gpa, start, end - start);
}

/* KVM_GET_SUPPORTED_CPUID with room for 256 (the caller frees it). */
static struct kvm_cpuid2 *supported_cpuid(int sys)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) +
				      256 * sizeof(c->entries[0]));

	if (!c)
		die("calloc");
	c->nent = 256;
	if (ioctl(sys, KVM_GET_SUPPORTED_CPUID, c))
		die("KVM_GET_SUPPORTED_CPUID");
	return c;
}

/* CREATE_VCPU and the mmap of its three pages. */
static void vcpu_new_bare(struct tvm *vm, struct tvcpu *v, unsigned int id)
{
	long size;

	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0)
		die("KVM_CREATE_VCPU");
	size = ioctl(vm->sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size != RUN_PAGES * PAGE) {
		printf("FAIL: KVM_GET_VCPU_MMAP_SIZE %ld\n", size);
		exit(1);
	}
	v->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		die("mmap vCPU");
}

/* ... and the supported CPUID set, as QEMU does. */
static void vcpu_new(struct tvm *vm, struct tvcpu *v, unsigned int id)
{
	struct kvm_cpuid2 *c = supported_cpuid(vm->sys);

	vcpu_new_bare(vm, v, id);
	if (ioctl(v->fd, KVM_SET_CPUID2, c))
		die("KVM_SET_CPUID2");
	free(c);
}

static void vcpu_free(struct tvcpu *v)
{
	munmap(v->run, RUN_PAGES * PAGE);
	close(v->fd);
}

static void get_regs(struct tvcpu *v, struct kvm_regs *r)
{
	if (ioctl(v->fd, KVM_GET_REGS, r))
		die("KVM_GET_REGS");
}

static void get_sregs(struct tvcpu *v, struct kvm_sregs *s)
{
	if (ioctl(v->fd, KVM_GET_SREGS, s))
		die("KVM_GET_SREGS");
}

/*
 * Real mode at CS:IP 0:@rip, as Documentation/virt/kvm/api.rst's example
 * does it: CS base and selector 0, the rest as reset left it.
 */
static void set_real(struct tvcpu *v, uint64_t rip)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = rip, .rsp = STACK_TOP, .rflags = 2 };

	get_sregs(v, &s);
	s.cs.base = 0;
	s.cs.selector = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &s))
		die("KVM_SET_SREGS (real mode)");
	if (ioctl(v->fd, KVM_SET_REGS, &r))
		die("KVM_SET_REGS");
}

static void flat(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->db = 1;
	s->s = 1;
	s->g = 1;
}

/* Flat 32-bit protected mode, paging off, loaded by SET_SREGS alone. */
static void set_flat32(struct tvcpu *v, uint64_t rip)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = rip, .rsp = STACK_TOP, .rflags = 2 };

	get_sregs(v, &s);
	flat(&s.cs, 0x08, 0xb);
	flat(&s.ds, 0x10, 0x3);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.cr0 = 0x11;		/* PE | ET */
	if (ioctl(v->fd, KVM_SET_SREGS, &s))
		die("KVM_SET_SREGS (flat 32-bit)");
	if (ioctl(v->fd, KVM_SET_REGS, &r))
		die("KVM_SET_REGS");
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_UNKNOWN: return "UNKNOWN";
	case KVM_EXIT_IO: return "IO";
	case KVM_EXIT_HLT: return "HLT";
	case KVM_EXIT_MMIO: return "MMIO";
	case KVM_EXIT_IRQ_WINDOW_OPEN: return "IRQ_WINDOW_OPEN";
	case KVM_EXIT_SHUTDOWN: return "SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
	case KVM_EXIT_INTR: return "INTR";
	case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
	case KVM_EXIT_IOAPIC_EOI: return "IOAPIC_EOI";
	default: return "?";
	}
}

static void describe(const struct kvm_run *run)
{
	printf("  exit %u (%s)", run->exit_reason, exit_name(run->exit_reason));
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		printf(" %s port %#x size %u count %u",
		       run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
		       run->io.port, run->io.size, run->io.count);
		break;
	case KVM_EXIT_MMIO:
		printf(" %s %#llx len %u", run->mmio.is_write ? "write" : "read",
		       (unsigned long long)run->mmio.phys_addr, run->mmio.len);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		printf(" suberror %u ndata %u data %#llx %#llx",
		       run->internal.suberror, run->internal.ndata,
		       (unsigned long long)run->internal.data[0],
		       (unsigned long long)run->internal.data[1]);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		printf(" reason %#llx", (unsigned long long)
		       run->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		break;
	}
	printf("\n");
}

/* KVM_RUN once: exit @reason, else a FAIL line and the test ends. */
static void run_raw(struct tvcpu *v, uint32_t reason, const char *what)
{
	int r = ioctl(v->fd, KVM_RUN, 0);
	int err = errno;

	if (r == 0 && v->run->exit_reason == reason)
		return;
	printf("FAIL: %s: KVM_RUN -> %d (%s), want exit %s\n", what, r,
	       r ? strerror(err) : "ok", exit_name(reason));
	if (!r)
		describe(v->run);
	exit(1);
}

/* The same, as a check line of its own. */
static void run_expect(struct tvcpu *v, uint32_t reason, const char *what)
{
	int r = ioctl(v->fd, KVM_RUN, 0);
	int err = errno;
	bool ok = r == 0 && v->run->exit_reason == reason;

	T_CHECK(ok, "%s: KVM_RUN -> %d (%s), exit %s (want %s)", what, r,
		r ? strerror(err) : "ok", r ? "-" : exit_name(v->run->exit_reason),
		exit_name(reason));
	if (ok)
		return;
	if (!r)
		describe(v->run);
	exit(1);
}

static uint8_t *io_data(struct tvcpu *v)
{
	return (uint8_t *)v->run + v->run->io.data_offset;
}

/*
 * The next exit is a single IO of @size bytes at @port in direction @dir,
 * its data in the page after kvm_run (where QEMU looks): else the test
 * ends.
 */
static void expect_io(struct tvcpu *v, uint8_t dir, uint16_t port,
		      uint8_t size, const char *what)
{
	const struct kvm_run *run = v->run;
	bool ok;

	run_raw(v, KVM_EXIT_IO, what);
	ok = run->io.direction == dir && run->io.port == port &&
	     run->io.size == size && run->io.count == 1 &&
	     run->io.data_offset == PAGE;
	T_CHECK(ok, "%s: exit IO %s port %#x size %u count %u data_offset %llu (want %s %#x %u 1 4096)",
		what, run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
		run->io.port, run->io.size, run->io.count,
		(unsigned long long)run->io.data_offset,
		dir == KVM_EXIT_IO_OUT ? "out" : "in", port, size);
	if (!ok)
		exit(1);
}

/* An OUT of @size bytes at @port: its value. */
static uint32_t out_val(struct tvcpu *v, uint16_t port, uint8_t size,
			const char *what)
{
	uint32_t val = 0;

	expect_io(v, KVM_EXIT_IO_OUT, port, size, what);
	memcpy(&val, io_data(v), size);
	return val;
}

static void expect_out(struct tvcpu *v, uint16_t port, uint8_t size,
		       uint32_t want, const char *what)
{
	uint32_t got = out_val(v, port, size, what);

	T_CHECK(got == want, "%s: the OUT's data %#x (want %#x)", what, got,
		want);
}

static void expect_mmio(struct tvcpu *v, uint64_t addr, uint32_t len,
			bool write, const char *what)
{
	const struct kvm_run *run = v->run;
	bool ok;

	run_raw(v, KVM_EXIT_MMIO, what);
	ok = run->mmio.phys_addr == addr && run->mmio.len == len &&
	     run->mmio.is_write == write;
	T_CHECK(ok, "%s: exit MMIO %s %#llx len %u (want %s %#llx len %u)",
		what, run->mmio.is_write ? "write" : "read",
		(unsigned long long)run->mmio.phys_addr, run->mmio.len,
		write ? "write" : "read", (unsigned long long)addr, len);
	if (!ok)
		exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* SIGUSR1 and SIGALRM only interrupt KVM_RUN (no SA_RESTART). */
static void on_signal(int sig)
{
	(void)sig;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
}

/*
 * KVM_RUN on a guest that must stay in the kernel (HLT, waiting for a
 * SIPI) until SIGALRM @ms later: -EINTR, KVM_EXIT_INTR, and no sooner.
 */
static void run_blocks(struct tvcpu *v, unsigned int ms, const char *what)
{
	struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };
	struct itimerval off = { 0 };
	double t = now();
	int r, err;

	v->run->exit_reason = KVM_EXIT_UNKNOWN;
	setitimer(ITIMER_REAL, &it, NULL);
	r = ioctl(v->fd, KVM_RUN, 0);
	err = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	t = now() - t;
	T_CHECK(r == -1 && err == EINTR && v->run->exit_reason == KVM_EXIT_INTR &&
		t >= ms / 1000.0 * 0.9,
		"%s: KVM_RUN stays in the kernel until SIGALRM: -> %d (%s), exit %s, after %.3f s (timer %u ms)",
		what, r, r ? strerror(err) : "ok",
		exit_name(v->run->exit_reason), t, ms);
	if (r == 0)
		describe(v->run);
}

/* KVM_RUN in a thread, to be stopped by a signal or to exit by itself. */
struct bg_run {
	struct tvcpu *v;
	pthread_t th;
	bool retry;		/* run again after EINTR/EAGAIN until stop */
	atomic_bool stop;
	atomic_bool done;
	int ret, err;
	unsigned int retries;
};

static void *bg_run_fn(void *p)
{
	struct bg_run *b = p;
	int r;

	for (;;) {
		r = ioctl(b->v->fd, KVM_RUN, 0);
		b->err = errno;
		if (r == -1 && b->retry && !atomic_load(&b->stop) &&
		    (b->err == EINTR || b->err == EAGAIN)) {
			b->retries++;
			continue;
		}
		break;
	}
	b->ret = r;
	atomic_store(&b->done, true);
	return NULL;
}

static void bg_start(struct bg_run *b, struct tvcpu *v, bool retry)
{
	memset(b, 0, sizeof(*b));
	b->v = v;
	b->retry = retry;
	if (pthread_create(&b->th, NULL, bg_run_fn, b))
		die("pthread_create");
}

/* Wait up to @ms for the thread's RUN to end: true if it did. */
static bool bg_wait(struct bg_run *b, unsigned int ms)
{
	for (unsigned int i = 0; i < ms / 10 && !atomic_load(&b->done); i++)
		sleep_ms(10);
	return atomic_load(&b->done);
}

/* Stop the thread (SIGUSR1 until it is out of RUN) and join it. */
static void bg_stop(struct bg_run *b)
{
	atomic_store(&b->stop, true);
	while (!atomic_load(&b->done)) {
		pthread_kill(b->th, SIGUSR1);
		sleep_ms(10);
	}
	pthread_join(b->th, NULL);
}

/* ------------------------------------------------------------------ */
/* api: the system ioctls and KVM_CHECK_EXTENSION                      */

static const struct cap_want {
	unsigned long cap;
	const char *name;
	long want;
	bool at_least;
} caps[] = {
#define EQ(c, v)	{ KVM_CAP_##c, #c, v, false }
#define GE(c, v)	{ KVM_CAP_##c, #c, v, true }
	/* What QEMU 7.2 with kernel-irqchip=split requires or uses. */
	EQ(IRQCHIP, 1), EQ(SPLIT_IRQCHIP, 1), EQ(USER_MEMORY, 1),
	EQ(DESTROY_MEMORY_REGION_WORKS, 1), EQ(JOIN_MEMORY_REGIONS_WORKS, 1),
	EQ(SET_TSS_ADDR, 1), EQ(EXT_CPUID, 1), EQ(MP_STATE, 1),
	EQ(IMMEDIATE_EXIT, 1), EQ(READONLY_MEM, 1), EQ(SIGNAL_MSI, 1),
	EQ(USER_NMI, 1), EQ(TSC_DEADLINE_TIMER, 1), EQ(COALESCED_PIO, 1),
	GE(IRQ_ROUTING, IOAPIC_PINS + 1),
	EQ(NR_VCPUS, MAX_VCPUS), EQ(MAX_VCPUS, MAX_VCPUS),
	EQ(MAX_VCPU_ID, MAX_VCPUS), EQ(NR_MEMSLOTS, 32),
	EQ(COALESCED_MMIO, 2),	/* the ring's page in the vCPU mmap */
	EQ(XSAVE, 1), EQ(XCRS, 1),	/* plumb's own XSAVE and XCRS ioctls */
	EQ(VCPU_EVENTS, 1), EQ(DEBUGREGS, 1),
	/*
	 * Not implemented, so 0: each would make QEMU or kvmtool use an
	 * ioctl plumb does not have (or, for SYNC_MMU, promise memory that
	 * is not pinned).
	 */
	EQ(XSAVE2, 0),
	EQ(IRQFD, 0), EQ(IOEVENTFD, 0), EQ(PIT2, 0),
	EQ(PIT_STATE2, 0), EQ(X86_USER_SPACE_MSR, 0), EQ(SYNC_MMU, 0),
	EQ(DIRTY_LOG_RING, 0), EQ(DIRTY_LOG_RING_ACQ_REL, 0),
	EQ(MANUAL_DIRTY_LOG_PROTECT2, 0),	/* GET_DIRTY_LOG clears */
	EQ(SREGS2, 0), EQ(NESTED_STATE, 0),
	EQ(EXCEPTION_PAYLOAD, 0), EQ(X86_TRIPLE_FAULT_EVENT, 0),
	EQ(SET_IDENTITY_MAP_ADDR, 0), EQ(ADJUST_CLOCK, 0), EQ(MCE, 0),
	EQ(X2APIC_API, 0), EQ(SET_GUEST_DEBUG, 0),
#undef EQ
#undef GE
};

static void check_caps(int fd, const char *on)
{
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		const struct cap_want *c = &caps[i];
		long got = ioctl(fd, KVM_CHECK_EXTENSION, c->cap);

		T_CHECK(c->at_least ? got >= c->want : got == c->want,
			"%s: KVM_CAP_%s = %ld (want %s%ld)", on, c->name, got,
			c->at_least ? ">= " : "", c->want);
	}
	T_CHECK(ioctl(fd, KVM_CHECK_EXTENSION, 0x7fffffffUL) == 0,
		"%s: an unknown capability answers 0", on);
}

static int t_api(void)
{
	int sys = open_dev(), vm;

	T_CHECK(ioctl(sys, KVM_GET_API_VERSION, 0) == KVM_API_VERSION,
		"KVM_GET_API_VERSION == %d", KVM_API_VERSION);
	T_ERRNO(ioctl(sys, KVM_GET_API_VERSION, 1), EINVAL,
		"KVM_GET_API_VERSION(1)");
	T_CHECK(ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0) == RUN_PAGES * PAGE,
		"KVM_GET_VCPU_MMAP_SIZE == 3 pages (%ld)",
		(long)ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0));
	T_ERRNO(ioctl(sys, KVM_CREATE_VM, 1), EINVAL, "KVM_CREATE_VM(type 1)");
	check_caps(sys, "system fd");
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	check_caps(vm, "VM fd");
	close(vm);
	close(sys);
	return t_done();
}

/* ------------------------------------------------------------------ */
/* cpuid_msrs: GET_SUPPORTED_CPUID and GET_MSR_INDEX_LIST              */

static const struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid2 *c,
						 uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn &&
		    (!(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     c->entries[i].index == idx))
			return &c->entries[i];
	return NULL;
}

static void check_cpuid(int sys)
{
	const struct kvm_cpuid_entry2 *e;
	struct kvm_cpuid2 *c;
	char sig[13] = { 0 };
	uint32_t n, i;

	c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
	if (!c)
		die("calloc");
	/* QEMU's try_get_cpuid: start at 1, double on E2BIG. */
	c->nent = 1;
	T_ERRNO(ioctl(sys, KVM_GET_SUPPORTED_CPUID, c), E2BIG,
		"KVM_GET_SUPPORTED_CPUID with room for 1");
	c->nent = 256;
	T_CHECK(ioctl(sys, KVM_GET_SUPPORTED_CPUID, c) == 0 && c->nent > 1 &&
		c->nent < 256, "KVM_GET_SUPPORTED_CPUID with room for 256: %u entries",
		c->nent);
	n = c->nent;

	e = cpuid_find(c, 0x40000000, 0);
	if (e) {
		memcpy(sig, &e->ebx, 4);
		memcpy(sig + 4, &e->ecx, 4);
		memcpy(sig + 8, &e->edx, 4);
	}
	T_CHECK(e && !memcmp(sig, "KVMKVMKVM\0\0\0", 12),
		"leaf 0x40000000 signature \"%s\" (want KVMKVMKVM\\0\\0\\0)", sig);
	/* KVM's EAX there: the highest hypervisor leaf, KVM_CPUID_FEATURES. */
	T_CHECK(e && e->eax == KVM_CPUID_FEATURES,
		"leaf 0x40000000 EAX %#x (want %#x, the last leaf offered)",
		e ? e->eax : 0, KVM_CPUID_FEATURES);
	e = cpuid_find(c, KVM_CPUID_FEATURES, 0);
	T_CHECK(e && e->eax == ((1u << KVM_FEATURE_CLOCKSOURCE2) |
				(1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT)),
		"leaf 0x40000001 EAX %#x: CLOCKSOURCE2 (bit 3) and STABLE_BIT (bit 24) only",
		e ? e->eax : 0);
	T_CHECK(!cpuid_find(c, 0x40000100, 0) && !cpuid_find(c, 0x40000101, 0),
		"no leaf 0x40000100/0x40000101 (plumb's second base is not KVM's)");
	e = cpuid_find(c, 7, 0);
	T_CHECK(!e || (e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX),
		"leaf 7 (if offered) has KVM_CPUID_FLAG_SIGNIFCANT_INDEX");
	for (i = 0; i < n; i++) {
		const struct kvm_cpuid_entry2 *x = &c->entries[i];

		if (x->function > KVM_CPUID_FEATURES && x->function < 0x50000000)
			break;
	}
	T_CHECK(i == n, "no other hypervisor leaf (found %#x)",
		i < n ? c->entries[i].function : 0);
	free(c);
}

static struct kvm_msrs *msrs_alloc(uint32_t n)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + n * sizeof(m->entries[0]));

	if (!m)
		die("calloc");
	m->nmsrs = n;
	return m;
}

/* Every listed MSR: read, and written back, alone and all at once. */
static void check_msr_roundtrip(struct tvcpu *v, const struct kvm_msr_list *l,
				const char *on)
{
	struct kvm_msrs *all = msrs_alloc(l->nmsrs), *one = msrs_alloc(1);
	uint32_t bad_get = 0, bad_set = 0, i;
	long r;

	for (i = 0; i < l->nmsrs; i++)
		all->entries[i].index = l->indices[i];
	r = ioctl(v->fd, KVM_GET_MSRS, all);
	T_CHECK(r == l->nmsrs, "%s: KVM_GET_MSRS of all %u listed MSRs -> %ld",
		on, l->nmsrs, r);
	r = ioctl(v->fd, KVM_SET_MSRS, all);
	T_CHECK(r == l->nmsrs, "%s: KVM_SET_MSRS of all %u back -> %ld", on,
		l->nmsrs, r);
	for (i = 0; i < l->nmsrs; i++) {
		one->entries[0].index = l->indices[i];
		one->entries[0].data = 0;
		if (ioctl(v->fd, KVM_GET_MSRS, one) != 1) {
			printf("  %s: MSR %#x: KVM_GET_MSRS refused\n", on,
			       l->indices[i]);
			bad_get++;
			continue;
		}
		if (ioctl(v->fd, KVM_SET_MSRS, one) != 1) {
			printf("  %s: MSR %#x: KVM_SET_MSRS of %#llx refused\n",
			       on, l->indices[i],
			       (unsigned long long)one->entries[0].data);
			bad_set++;
		}
	}
	T_CHECK(!bad_get && !bad_set,
		"%s: each listed MSR read and written back alone (%u reads, %u writes refused)",
		on, bad_get, bad_set);
	free(all);
	free(one);
}

static int t_cpuid_msrs(void)
{
	struct kvm_msr_list *l;
	struct kvm_msrs *m;
	struct tvcpu v;
	struct tvm vm;
	uint32_t n;
	long r;

	vm_new(&vm);
	check_cpuid(vm.sys);

	l = calloc(1, sizeof(*l) + 256 * sizeof(l->indices[0]));
	if (!l)
		die("calloc");
	/* QEMU's kvm_get_supported_msrs: nmsrs 0, -E2BIG, the count. */
	l->nmsrs = 0;
	T_ERRNO(ioctl(vm.sys, KVM_GET_MSR_INDEX_LIST, l), E2BIG,
		"KVM_GET_MSR_INDEX_LIST with nmsrs 0");
	n = l->nmsrs;
	T_CHECK(n > 0 && n < 256, "... and it says how many: %u", n);
	l->nmsrs = n;
	r = ioctl(vm.sys, KVM_GET_MSR_INDEX_LIST, l);
	T_CHECK(r == 0 && l->nmsrs == n, "KVM_GET_MSR_INDEX_LIST with room: %ld, %u MSRs",
		r, l->nmsrs);
	printf("  MSRs:");
	for (uint32_t i = 0; i < l->nmsrs; i++)
		printf(" %#x", l->indices[i]);
	printf("\n");

	/* A fresh vCPU, no CPUID set yet; then one set as QEMU sets it. */
	vcpu_new_bare(&vm, &v, 0);
	check_msr_roundtrip(&v, l, "fresh vCPU 0");
	vcpu_free(&v);
	vcpu_new(&vm, &v, 1);
	check_msr_roundtrip(&v, l, "vCPU 1 after KVM_SET_CPUID2");

	/* The first MSR refused ends the list: KVM's count. */
	m = msrs_alloc(3);
	m->entries[0].index = l->indices[0];
	m->entries[1].index = 0x12345678;
	m->entries[2].index = l->indices[0];
	r = ioctl(v.fd, KVM_GET_MSRS, m);
	T_CHECK(r == 1, "KVM_GET_MSRS [listed, unknown 0x12345678, listed] -> %ld (want 1)",
		r);
	free(m);
	free(l);
	vcpu_free(&v);
	vm_free(&vm);
	return t_done();
}

/* Local APIC registers (offsets in KVM_GET/SET_LAPIC's image). */
#define APIC_ID		0x20
#define APIC_LVR	0x30
#define APIC_TPR	0x80
#define APIC_PPR	0xa0
#define APIC_LDR	0xd0
#define APIC_DFR	0xe0
#define APIC_SVR	0xf0
#define APIC_LVTT	0x320
#define APIC_LVT0	0x350
#define APIC_LVT1	0x360
#define APIC_LVTERR	0x370
#define APIC_TMICT	0x380
#define APIC_TDCR	0x3e0

static uint32_t lapic_reg(const struct kvm_lapic_state *s, unsigned int off)
{
	uint32_t v;

	memcpy(&v, s->regs + off, 4);
	return v;
}

static void lapic_set(struct kvm_lapic_state *s, unsigned int off, uint32_t v)
{
	memcpy(s->regs + off, &v, 4);
}

/* Software-enabled, virtual wire: LINT0 ExtINT, LINT1 NMI; TPR @tpr. */
static void lapic_virtual_wire(int vcpu_fd, uint32_t tpr)
{
	struct kvm_lapic_state s;

	if (ioctl(vcpu_fd, KVM_GET_LAPIC, &s))
		die("KVM_GET_LAPIC");
	lapic_set(&s, APIC_SVR, 0x1ff);
	lapic_set(&s, APIC_LVT0, 0x700);
	lapic_set(&s, APIC_LVT1, 0x400);
	lapic_set(&s, APIC_TPR, tpr);
	if (ioctl(vcpu_fd, KVM_SET_LAPIC, &s))
		die("KVM_SET_LAPIC");
}

/* ------------------------------------------------------------------ */
/* vm_rules: the VM fd's argument and ordering rules                   */

static bool mmap_fails(int fd, size_t len, int flags, off_t off, int err)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);

	if (p != MAP_FAILED) {
		munmap(p, len);
		return false;
	}
	return errno == err;
}

static int t_vm_rules(void)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP, .args = { IOAPIC_PINS },
	};
	struct kvm_userspace_memory_region mr = { 0 };
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x30 };
	struct kvm_irq_routing *rt;
	struct kvm_irq_level irq = { 0 };
	struct kvm_enable_cap bad;
	int sys = open_dev(), vm, vcpu, vcpu63, status, ret;
	long nroutes;
	uint8_t *ro;
	void *p;
	pid_t pid;

	vm = ioctl(sys, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	T_ERRNO(ioctl(vm, KVM_CREATE_VCPU, 0), EINVAL,
		"KVM_CREATE_VCPU before the split irqchip (no userspace-LAPIC mode)");
	bad = cap;
	bad.flags = 1;
	T_ERRNO(ioctl(vm, KVM_ENABLE_CAP, &bad), EINVAL,
		"KVM_ENABLE_CAP(SPLIT_IRQCHIP) with flags 1");
	/* KVM ignores pad; plumb refuses reserved bytes that are not 0. */
	bad = cap;
	bad.pad[63] = 1;
	T_ERRNO(ioctl(vm, KVM_ENABLE_CAP, &bad), EINVAL,
		"KVM_ENABLE_CAP(SPLIT_IRQCHIP) with pad[63] 1");
	bad = cap;
	bad.cap = KVM_CAP_X86_DISABLE_EXITS;
	T_ERRNO(ioctl(vm, KVM_ENABLE_CAP, &bad), EINVAL,
		"KVM_ENABLE_CAP(X86_DISABLE_EXITS), not offered");
	T_CHECK(ioctl(vm, KVM_ENABLE_CAP, &cap) == 0,
		"KVM_ENABLE_CAP(SPLIT_IRQCHIP, 24)");
	T_ERRNO(ioctl(vm, KVM_ENABLE_CAP, &cap), EEXIST,
		"KVM_ENABLE_CAP(SPLIT_IRQCHIP) a second time");
	T_CHECK(ioctl(vm, KVM_CREATE_IRQCHIP, 0) == -1,
		"KVM_CREATE_IRQCHIP fails (not offered): errno %d (%s)", errno,
		strerror(errno));

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	T_CHECK(vcpu >= 0, "KVM_CREATE_VCPU(0) after the split irqchip");
	T_ERRNO(ioctl(vm, KVM_CREATE_VCPU, 0), EEXIST, "KVM_CREATE_VCPU(0) again");
	T_ERRNO(ioctl(vm, KVM_CREATE_VCPU, MAX_VCPUS), EINVAL,
		"KVM_CREATE_VCPU(64), at KVM_CAP_MAX_VCPU_ID");
	vcpu63 = ioctl(vm, KVM_CREATE_VCPU, MAX_VCPUS - 1);
	T_CHECK(vcpu63 >= 0, "KVM_CREATE_VCPU(63), a sparse APIC ID");
	T_ERRNO(ioctl(vm, KVM_ENABLE_CAP, &cap), EEXIST,
		"KVM_ENABLE_CAP(SPLIT_IRQCHIP) after vCPUs");
	T_CHECK(ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000UL) == 0,
		"KVM_SET_TSS_ADDR(0xfffbd000)");

	/* Memory slots with KVM's flag bits. */
	ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED)
		die("mmap");
	mr.slot = 1;
	mr.guest_phys_addr = 0x100000;
	mr.memory_size = PAGE;
	mr.userspace_addr = (uintptr_t)ro;
	mr.flags = KVM_MEM_LOG_DIRTY_PAGES;
	T_CHECK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr) == 0,
		"SET_USER_MEMORY_REGION with KVM_MEM_LOG_DIRTY_PAGES");
	mr.flags = 1u << 2;
	T_ERRNO(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr), EINVAL,
		"SET_USER_MEMORY_REGION with flag bit 2");
	mr.flags = KVM_MEM_READONLY;
	T_CHECK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr) == 0,
		"SET_USER_MEMORY_REGION with KVM_MEM_READONLY");
	mr.memory_size = 0;
	T_CHECK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr) == 0,
		"SET_USER_MEMORY_REGION size 0 deletes it");
	mr.slot = 1u << 16 | 2;
	mr.memory_size = PAGE;
	mr.flags = 0;
	T_ERRNO(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr), EINVAL,
		"SET_USER_MEMORY_REGION in address space 1 (slot bits 31:16)");
	munmap(ro, PAGE);

	/* MSIs and GSI routes. */
	msi.flags = 2;
	T_ERRNO(ioctl(vm, KVM_SIGNAL_MSI, &msi), EINVAL,
		"KVM_SIGNAL_MSI with flags 2");
	msi.flags = 0;
	ret = ioctl(vm, KVM_SIGNAL_MSI, &msi);
	T_CHECK(ret == 0,
		"KVM_SIGNAL_MSI to APIC ID 0, software-disabled at reset -> %d (0: not accepted, as KVM)",
		ret);
	lapic_virtual_wire(vcpu, 0);
	ret = ioctl(vm, KVM_SIGNAL_MSI, &msi);
	T_CHECK(ret == 1,
		"KVM_SIGNAL_MSI to APIC ID 0 once its SVR enables it -> %d (1 vCPU took it)",
		ret);
	/*
	 * QEMU's APIC MSI region passes only the offset in 0xfee00000's page
	 * (kvm_apic_mem_write()); KVM ignores address bits 31:20.
	 */
	{
		struct kvm_msi off = msi;

		off.address_lo &= 0xfffff;
		ret = ioctl(vm, KVM_SIGNAL_MSI, &off);
		T_CHECK(ret == 1,
			"KVM_SIGNAL_MSI with address %#x (no 0xfee prefix, as QEMU's APIC region sends) -> %d (1 vCPU took it)",
			off.address_lo, ret);
	}
	nroutes = ioctl(sys, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING);
	rt = calloc(1, sizeof(*rt) + (nroutes + 1) * sizeof(rt->entries[0]));
	if (!rt)
		die("calloc");
	rt->nr = 1;
	rt->entries[0].gsi = 5;
	rt->entries[0].type = KVM_IRQ_ROUTING_MSI;
	rt->entries[0].u.msi.address_lo = 0xfee00000;
	rt->entries[0].u.msi.data = 0x31;
	T_CHECK(ioctl(vm, KVM_SET_GSI_ROUTING, rt) == 0,
		"KVM_SET_GSI_ROUTING with one MSI route (GSI 5)");
	irq.irq = 5;
	irq.level = 1;
	ret = ioctl(vm, KVM_IRQ_LINE_STATUS, &irq);
	T_CHECK(ret == 0 && irq.status == 1,
		"KVM_IRQ_LINE_STATUS GSI 5 level 1 -> %d, status %d (1 vCPU took its MSI)",
		ret, irq.status);
	rt->entries[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	rt->entries[0].u.irqchip.irqchip = 0;
	rt->entries[0].u.irqchip.pin = 5;
	T_ERRNO(ioctl(vm, KVM_SET_GSI_ROUTING, rt), EINVAL,
		"KVM_SET_GSI_ROUTING with an IRQCHIP route (no in-kernel PIC/IOAPIC)");
	rt->nr = nroutes + 1;
	for (long i = 0; i < nroutes + 1; i++) {
		rt->entries[i].gsi = i;
		rt->entries[i].type = KVM_IRQ_ROUTING_MSI;
		rt->entries[i].u.msi.address_lo = 0xfee00000;
		rt->entries[i].u.msi.data = 0x31;
	}
	T_ERRNO(ioctl(vm, KVM_SET_GSI_ROUTING, rt), EINVAL,
		"KVM_SET_GSI_ROUTING with KVM_CAP_IRQ_ROUTING + 1 entries");
	rt->nr = 0;
	T_CHECK(ioctl(vm, KVM_SET_GSI_ROUTING, rt) == 0,
		"KVM_SET_GSI_ROUTING with 0 entries");
	free(rt);

	/*
	 * The vCPU mmap: shared, pages 0-2 only. KVM maps on fault and
	 * takes MAP_PRIVATE (whose copies would hide kvm_run from the
	 * kernel) and offsets past its pages (SIGBUS on access); plumb
	 * refuses both at mmap.
	 */
	T_CHECK(mmap_fails(vcpu, RUN_PAGES * PAGE, MAP_PRIVATE, 0, EINVAL),
		"mmap of the vCPU fd MAP_PRIVATE -> EINVAL");
	T_CHECK(mmap_fails(vcpu, PAGE, MAP_SHARED, RUN_PAGES * PAGE, EINVAL),
		"mmap of the vCPU fd at page 3 -> EINVAL");
	T_CHECK(mmap_fails(vcpu, RUN_PAGES * PAGE + PAGE, MAP_SHARED, 0, EINVAL),
		"mmap of 4 pages -> EINVAL");
	p = mmap(NULL, RUN_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 vcpu, 0);
	T_CHECK(p != MAP_FAILED, "mmap of the vCPU fd, 3 pages shared");
	if (p != MAP_FAILED)
		munmap(p, RUN_PAGES * PAGE);

	/* Another process holding the fds (fork): KVM's -EIO. */
	pid = fork();
	if (pid == 0) {
		int bits = 0;

		if (!(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) == -1 &&
		      errno == EIO))
			bits |= 1;
		if (!(ioctl(vm, KVM_CREATE_VCPU, 1) == -1 && errno == EIO))
			bits |= 2;
		if (!(ioctl(vcpu, KVM_RUN, 0) == -1 && errno == EIO))
			bits |= 4;
		_exit(bits);
	}
	if (pid < 0)
		die("fork");
	waitpid(pid, &status, 0);
	T_CHECK(WIFEXITED(status) && !(WEXITSTATUS(status) & 1),
		"child process: KVM_CHECK_EXTENSION on the parent's VM fd -> EIO");
	T_CHECK(WIFEXITED(status) && !(WEXITSTATUS(status) & 2),
		"child process: KVM_CREATE_VCPU on the parent's VM fd -> EIO");
	T_CHECK(WIFEXITED(status) && !(WEXITSTATUS(status) & 4),
		"child process: KVM_RUN on the parent's vCPU fd -> EIO");
	T_CHECK(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) == 1,
		"the parent's VM fd still works");

	close(vcpu63);
	close(vcpu);
	close(vm);
	close(sys);
	return t_done();
}

/* ------------------------------------------------------------------ */
/* io: port I/O from a real-mode guest at 0:0                          */

GUEST(g_io, "code16",
	"mov $0x5a, %al\n"
	"out %al, $0x10\n"		/* byte */
	"mov $0x1234, %ax\n"
	"mov $0x11, %dx\n"
	"out %ax, %dx\n"		/* word, port in DX */
	"mov $0xdeadbeef, %eax\n"
	"out %eax, $0x12\n"		/* dword */
	"mov $0xcafe, %ax\n"
	"in $0x20, %al\n"		/* host: 0x77 -> AX 0xca77 */
	"out %al, $0x21\n"
	"mov $0x12345678, %eax\n"
	"in $0x22, %ax\n"		/* host: 0xbeef -> EAX 0x1234beef */
	"out %ax, $0x23\n"
	"cld\n"
	"mov $(io_msg - g_io), %si\n"
	"mov $5, %cx\n"
	"mov $0x24, %dx\n"
	"rep outsb\n"
	"cli\n"
	"hlt\n"
	"io_end_hlt:\n"
	"jmp io_end_hlt\n"
	"io_msg: .ascii \"plumb\"\n");
extern const uint8_t io_end_hlt[];

static void answer_in(struct tvcpu *v, uint16_t port, uint8_t size,
		      uint32_t val, const char *what)
{
	expect_io(v, KVM_EXIT_IO_IN, port, size, what);
	memcpy(io_data(v), &val, size);
}

static int t_io(void)
{
	struct kvm_regs r;
	struct kvm_mp_state mp;
	struct tvcpu v;
	struct tvm vm;
	char str[8] = { 0 };

	catch_signals();
	vm_new(&vm);
	load(&vm, 0, g_io, g_io_end);
	vcpu_new(&vm, &v, 0);
	set_real(&v, 0);

	expect_out(&v, 0x10, 1, 0x5a, "OUT byte");
	expect_out(&v, 0x11, 2, 0x1234, "OUT word through DX");
	expect_out(&v, 0x12, 4, 0xdeadbeef, "OUT dword");
	answer_in(&v, 0x20, 1, 0x77, "IN byte");
	expect_out(&v, 0x21, 1, 0x77, "the IN byte echoed");
	get_regs(&v, &r);
	T_CHECK((r.rax & 0xffff) == 0xca77,
		"the IN's answer landed in AL, AH kept: AX %#llx (want 0xca77)",
		(unsigned long long)(r.rax & 0xffff));
	answer_in(&v, 0x22, 2, 0xbeef, "IN word");
	expect_out(&v, 0x23, 2, 0xbeef, "the IN word echoed");
	get_regs(&v, &r);
	T_CHECK((r.rax & 0xffffffff) == 0x1234beef,
		"the IN's answer landed in AX, EAX[31:16] kept: EAX %#llx (want 0x1234beef)",
		(unsigned long long)(r.rax & 0xffffffff));

	/* REP OUTSB: one exit for the whole string, as KVM's. */
	run_raw(&v, KVM_EXIT_IO, "REP OUTSB");
	T_CHECK(v.run->io.direction == KVM_EXIT_IO_OUT && v.run->io.port == 0x24 &&
		v.run->io.size == 1 && v.run->io.count == 5 &&
		v.run->io.data_offset == PAGE,
		"REP OUTSB: one exit IO out port %#x size %u count %u data_offset %llu (want 0x24 1 5 4096)",
		v.run->io.port, v.run->io.size, v.run->io.count,
		(unsigned long long)v.run->io.data_offset);
	if (v.run->io.data_offset == PAGE && v.run->io.count <= 5)
		memcpy(str, io_data(&v), v.run->io.count);
	T_CHECK(!strcmp(str, "plumb"), "REP OUTSB: the bytes \"%s\" (want \"plumb\")",
		str);

	/* Then CLI; HLT: KVM keeps it in the kernel. */
	run_blocks(&v, 200, "CLI; HLT at the end");
	get_regs(&v, &r);
	T_CHECK(r.rip == (uint64_t)(io_end_hlt - g_io),
		"RIP %#llx is after the HLT (%#lx)", (unsigned long long)r.rip,
		(long)(io_end_hlt - g_io));
	T_CHECK(ioctl(v.fd, KVM_GET_MP_STATE, &mp) == 0 &&
		mp.mp_state == KVM_MP_STATE_HALTED,
		"KVM_GET_MP_STATE: %u (want HALTED %u)", mp.mp_state,
		KVM_MP_STATE_HALTED);
	vcpu_free(&v);
	vm_free(&vm);
	return t_done();
}

/* ------------------------------------------------------------------ */
/* mmio: no slot, and a read-only slot                                 */

#define MMIO_BASE	0x20000		/* no slot: ES = 0x2000 */
#define RO_BASE		0x30000		/* KVM_MEM_READONLY: FS = 0x3000 */

GUEST(g_mmio, "code16",
	"mov $0x2000, %ax\n"
	"mov %ax, %es\n"
	"movb $0x5a, %es:0x10\n"
	"movw $0x1234, %es:0x12\n"
	"movl $0xdeadbeef, %es:0x14\n"
	"mov %es:0x20, %eax\n"		/* host: 0x89abcdef */
	"out %eax, $0x30\n"
	"mov $0x1111, %bx\n"
	"mov %es:0x28, %bl\n"		/* host: 0x42 -> BX 0x1142 */
	"mov %bx, %ax\n"
	"out %ax, $0x30\n"
	"mov $0x3000, %ax\n"
	"mov %ax, %fs\n"
	"mov %fs:0x0, %eax\n"		/* RAM: no exit */
	"out %eax, $0x31\n"
	"movl $0x11111111, %fs:0x4\n"	/* read-only: an MMIO write */
	"mov %fs:0x4, %eax\n"		/* the memory, unchanged */
	"out %eax, $0x31\n"
	"cli\n"
	"hlt\n");

static int t_mmio(void)
{
	struct kvm_userspace_memory_region mr = { 0 };
	const struct kvm_run *run;
	struct kvm_regs r;
	struct tvcpu v;
	struct tvm vm;
	uint32_t val, ro_word1;
	uint8_t *ro;

	vm_new(&vm);
	ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED)
		die("mmap");
	for (unsigned int i = 0; i < PAGE; i++)
		ro[i] = (uint8_t)(i * 7 + 3);
	memcpy(&ro_word1, ro + 4, 4);
	mr.slot = 1;
	mr.flags = KVM_MEM_READONLY;
	mr.guest_phys_addr = RO_BASE;
	mr.memory_size = PAGE;
	mr.userspace_addr = (uintptr_t)ro;
	if (ioctl(vm.fd, KVM_SET_USER_MEMORY_REGION, &mr))
		die("KVM_SET_USER_MEMORY_REGION (read-only)");
	load(&vm, 0, g_mmio, g_mmio_end);
	vcpu_new(&vm, &v, 0);
	set_real(&v, 0);
	run = v.run;

	expect_mmio(&v, MMIO_BASE + 0x10, 1, true, "MOVB to no slot");
	T_CHECK(run->mmio.data[0] == 0x5a,
		"MMIO write len 1 at %#x: data %#x (want 0x5a)", MMIO_BASE + 0x10,
		run->mmio.data[0]);
	expect_mmio(&v, MMIO_BASE + 0x12, 2, true, "MOVW to no slot");
	memcpy(&val, run->mmio.data, 4);
	T_CHECK((val & 0xffff) == 0x1234,
		"MMIO write len 2 at %#x: data %#x (want 0x1234)", MMIO_BASE + 0x12,
		val & 0xffff);
	expect_mmio(&v, MMIO_BASE + 0x14, 4, true, "MOVL to no slot");
	memcpy(&val, run->mmio.data, 4);
	T_CHECK(val == 0xdeadbeef,
		"MMIO write len 4 at %#x: data %#x (want 0xdeadbeef)",
		MMIO_BASE + 0x14, val);

	expect_mmio(&v, MMIO_BASE + 0x20, 4, false, "MOV EAX from no slot");
	val = 0x89abcdef;
	memcpy(v.run->mmio.data, &val, 4);
	expect_out(&v, 0x30, 4, 0x89abcdef, "the MMIO read's answer");
	get_regs(&v, &r);
	T_CHECK((r.rax & 0xffffffff) == 0x89abcdef,
		"GET_REGS: EAX %#llx (want 0x89abcdef)",
		(unsigned long long)(r.rax & 0xffffffff));

	expect_mmio(&v, MMIO_BASE + 0x28, 1, false, "MOV BL from no slot");
	v.run->mmio.data[0] = 0x42;
	expect_out(&v, 0x30, 2, 0x1142, "the MMIO byte read's answer in BL, BH kept");
	get_regs(&v, &r);
	T_CHECK((r.rbx & 0xffff) == 0x1142, "GET_REGS: BX %#llx (want 0x1142)",
		(unsigned long long)(r.rbx & 0xffff));

	memcpy(&val, ro, 4);
	expect_out(&v, 0x31, 4, val,
		   "a read of the read-only slot: its memory, no exit");
	expect_mmio(&v, RO_BASE + 4, 4, true, "a write to the read-only slot");
	memcpy(&val, run->mmio.data, 4);
	T_CHECK(val == 0x11111111,
		"the write to the read-only slot exits as MMIO: data %#x", val);
	expect_out(&v, 0x31, 4, ro_word1,
		   "a read after the write: the memory unchanged");
	memcpy(&val, ro + 4, 4);
	T_CHECK(val == ro_word1, "the host's page is unchanged (%#x)", val);

	vcpu_free(&v);
	vm_free(&vm);
	munmap(ro, PAGE);
	return t_done();
}

/* ------------------------------------------------------------------ */
/* halt: HLT with IF=0 stays in the kernel                             */

GUEST(g_halt, "code16",
	"out %al, $0x10\n"
	"cli\n"
	"hlt\n"
	"halt_after:\n"
	"out %al, $0x11\n"
	"cli\n"
	"hlt\n");
extern const uint8_t halt_after[];

static int t_halt(void)
{
	struct kvm_mp_state mp = { 0 };
	struct kvm_regs r;
	struct bg_run b;
	struct tvcpu v;
	struct tvm vm;
	double t;
	int ret;

	catch_signals();
	vm_new(&vm);
	load(&vm, 0, g_halt, g_halt_end);
	vcpu_new(&vm, &v, 0);
	set_real(&v, 0);
	out_val(&v, 0x10, 1, "the guest's first OUT");

	/* From a second thread: still in RUN after 300 ms, then SIGUSR1. */
	v.run->exit_reason = KVM_EXIT_UNKNOWN;
	bg_start(&b, &v, false);
	T_CHECK(!bg_wait(&b, 300),
		"CLI; HLT: KVM_RUN still in the kernel after 300 ms (no KVM_EXIT_HLT)");
	t = now();
	pthread_kill(b.th, SIGUSR1);
	T_CHECK(bg_wait(&b, 5000), "SIGUSR1 to the thread ends KVM_RUN (%.3f s)",
		now() - t);
	bg_stop(&b);
	T_CHECK(b.ret == -1 && b.err == EINTR && v.run->exit_reason == KVM_EXIT_INTR,
		"... with -EINTR, exit KVM_EXIT_INTR: -> %d (%s), exit %s", b.ret,
		b.ret ? strerror(b.err) : "ok", exit_name(v.run->exit_reason));
	T_CHECK(ioctl(v.fd, KVM_GET_MP_STATE, &mp) == 0 &&
		mp.mp_state == KVM_MP_STATE_HALTED,
		"KVM_GET_MP_STATE of the halted vCPU: %u (want HALTED %u)",
		mp.mp_state, KVM_MP_STATE_HALTED);
	get_regs(&v, &r);
	T_CHECK(r.rip == (uint64_t)(halt_after - g_halt),
		"RIP %#llx is after the HLT (%#lx)", (unsigned long long)r.rip,
		(long)(halt_after - g_halt));

	/*
	 * immediate_exit: back at once, the guest not run, and exit_reason
	 * left as it was (KVM's; its selftests rely on it): only a signal
	 * says KVM_EXIT_INTR.
	 */
	v.run->immediate_exit = 1;
	v.run->exit_reason = KVM_EXIT_UNKNOWN;
	t = now();
	ret = ioctl(v.fd, KVM_RUN, 0);
	T_CHECK(ret == -1 && errno == EINTR && v.run->exit_reason == KVM_EXIT_UNKNOWN,
		"immediate_exit = 1: KVM_RUN -> %d (%s), exit %s, in %.3f s",
		ret, ret ? strerror(errno) : "ok", exit_name(v.run->exit_reason),
		now() - t);
	v.run->immediate_exit = 0;

	/* The same from a process timer on this thread. */
	run_blocks(&v, 200, "halted, SIGALRM");
	T_CHECK(ioctl(v.fd, KVM_GET_MP_STATE, &mp) == 0 &&
		mp.mp_state == KVM_MP_STATE_HALTED,
		"still HALTED (%u)", mp.mp_state);
	vcpu_free(&v);
	vm_free(&vm);
	return t_done();
}

/* ------------------------------------------------------------------ */
/* coalesced: MMIO and PIO zones and the ring at page 2                */

GUEST(g_coal, "code16",
	"mov $0x2000, %ax\n"
	"mov %ax, %es\n"
	"movb $0x11, %es:0x0\n"
	"movw $0x2222, %es:0x2\n"
	"movl $0x33333333, %es:0x4\n"
	"movb $0x44, %es:0x8\n"
	"movl $0x55555555, %es:0xc\n"
	"out %al, $0x40\n"
	"mov $0x61, %al\n"
	"out %al, $0x50\n"
	"mov $0x62, %al\n"
	"out %al, $0x51\n"
	"mov $0x6364, %ax\n"
	"out %ax, $0x52\n"
	"out %al, $0x41\n"
	"movb $0x77, %es:0x0\n"		/* zones gone: exits */
	"mov $0x78, %al\n"
	"out %al, $0x50\n"
	"cli\n"
	"hlt\n");

struct coal_want {
	uint64_t addr;
	uint32_t len;
	uint32_t data;
};

static void check_ring(struct tvcpu *v, const struct coal_want *w,
		       unsigned int n, bool pio)
{
	struct kvm_coalesced_mmio_ring *ring =
		(void *)((uint8_t *)v->run + KVM_COALESCED_MMIO_PAGE_OFFSET * PAGE);
	const unsigned int max = (PAGE - sizeof(*ring)) /
				 sizeof(struct kvm_coalesced_mmio);
	uint32_t first = ring->first, last = __atomic_load_n(&ring->last,
							      __ATOMIC_ACQUIRE);
	unsigned int have = (last + max - first) % max, i;
	const char *kind = pio ? "PIO" : "MMIO";

	T_CHECK(have == n, "%s: the ring at kvm_run + 2 pages holds %u writes (first %u, last %u; want %u)",
		kind, have, first, last, n);
	for (i = 0; i < n && i < have; i++) {
		const struct kvm_coalesced_mmio *e =
			&ring->coalesced_mmio[(first + i) % max];
		uint32_t data = 0;

		memcpy(&data, e->data, e->len <= 4 ? e->len : 4);
		T_CHECK(e->phys_addr == w[i].addr && e->len == w[i].len &&
			data == w[i].data && e->pio == pio,
			"%s entry %u: addr %#llx len %u data %#x pio %u (want %#llx %u %#x %u)",
			kind, i, (unsigned long long)e->phys_addr, e->len, data,
			e->pio, (unsigned long long)w[i].addr, w[i].len, w[i].data,
			pio);
	}
	/* Consumed: userspace moves 'first'. */
	__atomic_store_n(&ring->first, last, __ATOMIC_RELEASE);
}

static int t_coalesced(void)
{
	static const struct coal_want mmio[] = {
		{ MMIO_BASE + 0x0, 1, 0x11 }, { MMIO_BASE + 0x2, 2, 0x2222 },
		{ MMIO_BASE + 0x4, 4, 0x33333333 }, { MMIO_BASE + 0x8, 1, 0x44 },
		{ MMIO_BASE + 0xc, 4, 0x55555555 },
	};
	static const struct coal_want pio[] = {
		{ 0x50, 1, 0x61 }, { 0x51, 1, 0x62 }, { 0x52, 2, 0x6364 },
	};
	struct kvm_coalesced_mmio_zone mz = { .addr = MMIO_BASE, .size = PAGE };
	struct kvm_coalesced_mmio_zone pz = { .addr = 0x50, .size = 4, .pio = 1 };
	struct tvcpu v;
	struct tvm vm;
	uint32_t val;

	vm_new(&vm);
	load(&vm, 0, g_coal, g_coal_end);
	vcpu_new(&vm, &v, 0);
	set_real(&v, 0);
	T_CHECK(ioctl(vm.fd, KVM_REGISTER_COALESCED_MMIO, &mz) == 0,
		"KVM_REGISTER_COALESCED_MMIO %#x + 4096", MMIO_BASE);
	T_CHECK(ioctl(vm.fd, KVM_REGISTER_COALESCED_MMIO, &pz) == 0,
		"KVM_REGISTER_COALESCED_MMIO ports 0x50-0x53 (pio = 1)");

	out_val(&v, 0x40, 1, "5 MMIO writes in the zone, then OUT 0x40");
	check_ring(&v, mmio, 5, false);
	out_val(&v, 0x41, 1, "3 OUTs in the PIO zone, then OUT 0x41");
	check_ring(&v, pio, 3, true);

	T_CHECK(ioctl(vm.fd, KVM_UNREGISTER_COALESCED_MMIO, &mz) == 0 &&
		ioctl(vm.fd, KVM_UNREGISTER_COALESCED_MMIO, &pz) == 0,
		"KVM_UNREGISTER_COALESCED_MMIO of both zones");
	expect_mmio(&v, MMIO_BASE, 1, true, "a write where the MMIO zone was");
	T_CHECK(v.run->mmio.data[0] == 0x77,
		"after UNREGISTER the write exits as MMIO: data %#x", v.run->mmio.data[0]);
	val = out_val(&v, 0x50, 1, "an OUT where the PIO zone was");
	T_CHECK(val == 0x78, "after UNREGISTER the OUT exits: data %#x", val);
	check_ring(&v, NULL, 0, false);
	vcpu_free(&v);
	vm_free(&vm);
	return t_done();
}

/* ------------------------------------------------------------------ */
/* irq: the userspace PIC's interrupts, NMIs and MSIs                  */

#define IRQ_AT	0x1000
#define IRQ_ADDR(label)	"(" #label " - g_irq + " XSTR(IRQ_AT) ")"
#define IRQ_VEC(vec, label)						\
	"movw $" IRQ_ADDR(label) ", " #vec " * 4\n"			\
	"movw $0, " #vec " * 4 + 2\n"

GUEST(g_irq, "code16",
	IRQ_VEC(0x30, irq_h30)
	IRQ_VEC(0x31, irq_h31)
	IRQ_VEC(0x32, irq_h32)
	IRQ_VEC(2, irq_nmi)
	IRQ_VEC(0x40, irq_h40)
	"sti\n"
	"nop\n"
	"out %al, $0x50\n"		/* A: IF=1, ready */
	"nop\n"				/* 0x30, then 0x31 come here */
	"out %al, $0x52\n"		/* D */
	"cli\n"
	"out %al, $0x53\n"		/* E: IF=0 */
	"mov $50, %cx\n"
	"1: loop 1b\n"
	"out %al, $0x54\n"		/* F: still IF=0, window wanted */
	"sti\n"
	"irq_wait:\n"
	"cmpb $0, " IRQ_ADDR(irq_flag) "\n"
	"je irq_wait\n"			/* the window opens in this loop */
	"out %al, $0x55\n"		/* H */
	"cli\n"
	"hlt\n"				/* an NMI ends it */
	"sti\n"
	"nop\n"
	"out %al, $0x57\n"		/* J: an MSI next */
	"nop\n"
	"out %al, $0x59\n"		/* L */
	"cli\n"
	"hlt\n"
	"irq_h30: push %ax\n mov $0x30, %al\n out %al, $0x51\n pop %ax\n iret\n"
	"irq_h31: push %ax\n mov $0x31, %al\n out %al, $0x51\n pop %ax\n iret\n"
	"irq_h32: push %ax\n movb $1, " IRQ_ADDR(irq_flag) "\n"
	"  mov $0x32, %al\n out %al, $0x51\n pop %ax\n iret\n"
	"irq_nmi: push %ax\n mov $2, %al\n out %al, $0x56\n pop %ax\n iret\n"
	"irq_h40: push %ax\n mov $0x40, %al\n out %al, $0x58\n pop %ax\n iret\n"
	"irq_flag: .byte 0\n");
extern const uint8_t irq_wait[], irq_h30[];

static void check_ready(struct tvcpu *v, int if_flag, int ready,
			const char *what)
{
	T_CHECK(v->run->if_flag == if_flag &&
		v->run->ready_for_interrupt_injection == ready,
		"%s: if_flag %u, ready_for_interrupt_injection %u (want %d, %d)",
		what, v->run->if_flag, v->run->ready_for_interrupt_injection,
		if_flag, ready);
}

static void interrupt(struct tvcpu *v, uint32_t vec, int err, const char *what)
{
	struct kvm_interrupt irq = { .irq = vec };

	if (err)
		T_ERRNO(ioctl(v->fd, KVM_INTERRUPT, &irq), err, what);
	else
		T_CHECK(ioctl(v->fd, KVM_INTERRUPT, &irq) == 0, "%s: KVM_INTERRUPT(%#x)",
			what, vec);
}

static int t_irq(void)
{
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x40 };
	struct kvm_mp_state mp = { 0 };
	struct kvm_regs r;
	struct bg_run b;
	struct tvcpu v;
	struct tvm vm;
	int ret;

	catch_signals();
	vm_new(&vm);
	load(&vm, IRQ_AT, g_irq, g_irq_end);
	vcpu_new(&vm, &v, 0);
	set_real(&v, IRQ_AT);
	lapic_virtual_wire(v.fd, 0x20);

	out_val(&v, 0x50, 1, "STI; NOP; OUT");
	check_ready(&v, 1, 1, "IF=1, LINT0 ExtINT");
	T_CHECK(v.run->cr8 == 2 && v.run->apic_base == 0xfee00900,
		"kvm_run: cr8 %llu (TPR 0x20 -> 2), apic_base %#llx (want 0xfee00900)",
		(unsigned long long)v.run->cr8,
		(unsigned long long)v.run->apic_base);
	interrupt(&v, 0x100, EINVAL, "KVM_INTERRUPT(0x100)");
	interrupt(&v, 0x30, 0, "the PIC's interrupt");
	interrupt(&v, 0x31, EEXIST, "KVM_INTERRUPT(0x31) while 0x30 is pending");
	expect_out(&v, 0x51, 1, 0x30, "vector 0x30's handler (IVT)");
	check_ready(&v, 0, 0, "inside the handler");
	interrupt(&v, 0x31, 0, "0x30 was taken, the next one");
	expect_out(&v, 0x51, 1, 0x31, "vector 0x31's handler, after the IRET");
	out_val(&v, 0x52, 1, "back in the main code");

	/* The interrupt window (QEMU's request_interrupt_window). */
	out_val(&v, 0x53, 1, "CLI; OUT");
	check_ready(&v, 0, 0, "IF=0");
	v.run->request_interrupt_window = 1;
	out_val(&v, 0x54, 1, "a window wanted, IF=0: the guest goes on to its next OUT");
	check_ready(&v, 0, 0, "IF=0 still");
	run_expect(&v, KVM_EXIT_IRQ_WINDOW_OPEN, "STI with the window wanted");
	get_regs(&v, &r);
	T_CHECK(r.rip >= (uint64_t)(IRQ_AT + irq_wait - g_irq) &&
		r.rip < (uint64_t)(IRQ_AT + irq_h30 - g_irq) && (r.rflags & 0x200),
		"KVM_EXIT_IRQ_WINDOW_OPEN after the STI: RIP %#llx in the wait loop, RFLAGS %#llx",
		(unsigned long long)r.rip, (unsigned long long)r.rflags);
	check_ready(&v, 1, 1, "the window");
	v.run->request_interrupt_window = 0;
	interrupt(&v, 0x32, 0, "into the window");
	expect_out(&v, 0x51, 1, 0x32, "vector 0x32's handler");
	out_val(&v, 0x55, 1, "the wait loop saw the handler's flag");

	/* NMI: it wakes a CLI; HLT. */
	bg_start(&b, &v, false);
	T_CHECK(!bg_wait(&b, 200), "CLI; HLT stays in the kernel");
	bg_stop(&b);
	T_CHECK(b.ret == -1 && b.err == EINTR, "SIGUSR1 ended that KVM_RUN (%d, %s)",
		b.ret, strerror(b.err));
	T_CHECK(ioctl(v.fd, KVM_GET_MP_STATE, &mp) == 0 &&
		mp.mp_state == KVM_MP_STATE_HALTED, "KVM_GET_MP_STATE: %u (HALTED)",
		mp.mp_state);
	T_CHECK(ioctl(v.fd, KVM_NMI, 0) == 0, "KVM_NMI");
	expect_out(&v, 0x56, 1, 2, "the NMI handler (vector 2) after CLI; HLT");
	out_val(&v, 0x57, 1, "after the NMI's IRET, past the HLT");

	/* A fixed MSI to APIC ID 0 (software-enabled, TPR class 2 < 4). */
	ret = ioctl(vm.fd, KVM_SIGNAL_MSI, &msi);
	T_CHECK(ret == 1, "KVM_SIGNAL_MSI fixed vector 0x40 to APIC ID 0 -> %d (1 vCPU)",
		ret);
	expect_out(&v, 0x58, 1, 0x40, "vector 0x40's handler (the MSI)");
	out_val(&v, 0x59, 1, "back after the MSI handler's IRET");
	vcpu_free(&v);
	vm_free(&vm);
	return t_done();
}

/* ------------------------------------------------------------------ */
/* state: REGS, SREGS, FPU, LAPIC, MP_STATE, VAPIC_ADDR                */

/* 80-bit x87 values: 1.5, -2.5, 42.0. */
static const uint8_t f80_a[10] = { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x3f };
static const uint8_t f80_b[10] = { 0, 0, 0, 0, 0, 0, 0, 0xa0, 0x00, 0xc0 };
static const uint8_t f80_c[10] = { 0, 0, 0, 0, 0, 0, 0, 0xa8, 0x04, 0x40 };

#define FPU_AT		0x1000
#define FPU_DATA	0x2000

GUEST(g_fpu, "code16",
	"fninit\n"
	"fldt 0x2000\n"			/* A */
	"fldt 0x2010\n"			/* B: ST0 = B, ST1 = A */
	"movups 0x2020, %xmm0\n"
	"ldmxcsr 0x2030\n"
	"out %al, $0x60\n"		/* host: GET_FPU, SET_FPU */
	"movups %xmm1, 0x2040\n"
	"fstpt 0x2050\n"		/* ST0, as the host set it */
	"stmxcsr 0x2060\n"
	"fnstcw 0x2064\n"
	"out %al, $0x61\n"
	"cli\n"
	"hlt\n");

static void check_regs(struct tvcpu *v)
{
	struct kvm_regs set, got;
	uint64_t *p = (uint64_t *)(void *)&set;

	for (unsigned int i = 0; i < sizeof(set) / 8; i++)
		p[i] = 0x0101010101010101ULL * (i + 1);
	set.rip = 0x1234;
	set.rflags = 0x246;		/* IF ZF PF, bit 1 */
	T_CHECK(ioctl(v->fd, KVM_SET_REGS, &set) == 0, "KVM_SET_REGS");
	get_regs(v, &got);
	T_CHECK(!memcmp(&set, &got, sizeof(set)),
		"KVM_GET_REGS returns what SET_REGS gave (RAX %#llx R15 %#llx RIP %#llx RFLAGS %#llx)",
		(unsigned long long)got.rax, (unsigned long long)got.r15,
		(unsigned long long)got.rip, (unsigned long long)got.rflags);
}

static bool seg_eq(const struct kvm_segment *a, const struct kvm_segment *b)
{
	return a->base == b->base && a->limit == b->limit &&
	       a->selector == b->selector && a->type == b->type &&
	       a->present == b->present && a->dpl == b->dpl && a->db == b->db &&
	       a->s == b->s && a->l == b->l && a->g == b->g;
}

/*
 * KVM_GET/SET_VCPU_EVENTS: plumb's PLUMB_GET/SET_VCPU_EVENTS (t_guest
 * events delivers what they inject). Called with interrupt 0x30 in
 * flight from check_sregs.
 */
static void check_events(struct tvcpu *v)
{
	struct kvm_vcpu_events e, g;

	memset(&e, 0, sizeof(e));
	T_CHECK(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0 &&
		e.interrupt.injected == 1 && e.interrupt.nr == 0x30 &&
		!e.exception.injected && !e.nmi.injected,
		"KVM_GET_VCPU_EVENTS: interrupt 0x30 in flight (%u %#x)",
		e.interrupt.injected, e.interrupt.nr);
	T_CHECK(e.flags == (KVM_VCPUEVENT_VALID_NMI_PENDING |
			    KVM_VCPUEVENT_VALID_SIPI_VECTOR |
			    KVM_VCPUEVENT_VALID_SHADOW),
		"... flags: NMI_PENDING, SIPI_VECTOR, SHADOW (%#x)", e.flags);

	memset(&e, 0, sizeof(e));
	e.exception.injected = 1;
	e.exception.nr = 13;
	e.exception.has_error_code = 1;
	e.exception.error_code = 0x18;
	e.nmi.pending = 1;
	e.nmi.masked = 1;
	e.sipi_vector = 0x9a;
	e.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	T_CHECK(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e) == 0,
		"KVM_SET_VCPU_EVENTS: #GP(0x18), an NMI pending and masked, SIPI 0x9a");
	memset(&g, 0, sizeof(g));
	T_CHECK(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &g) == 0 &&
		g.exception.injected && g.exception.nr == 13 &&
		g.exception.has_error_code && g.exception.error_code == 0x18 &&
		!g.interrupt.injected && g.nmi.pending && g.nmi.masked &&
		g.sipi_vector == 0x9a,
		"... read back (#%u err %u/%#x, irq %u, nmi %u/%u, sipi %#x)",
		g.exception.nr, g.exception.has_error_code, g.exception.error_code,
		g.interrupt.injected, g.nmi.pending, g.nmi.masked, g.sipi_vector);

	g = e;
	g.exception.nr = 2;
	T_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &g), EINVAL, "exception vector 2");
	g.exception.nr = 32;
	T_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &g), EINVAL, "exception vector 32");
	g.exception.nr = 6;		/* #UD has no error code */
	T_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &g), EINVAL, "#UD with an error code");
	g = e;
	g.exception.error_code = 0x10000;
	T_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &g), EINVAL, "error code over 16 bits");
	g = e;
	g.interrupt.injected = 1;
	T_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &g), EINVAL, "an exception and an interrupt");
	g = e;
	g.exception.pending = 1;
	T_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &g), EINVAL, "exception.pending (no payload cap)");
	memset(&g, 0, sizeof(g));
	g.interrupt.injected = 1;
	g.interrupt.soft = 1;
	T_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &g), EINVAL, "a soft interrupt");
	memset(&g, 0, sizeof(g));
	g.flags = KVM_VCPUEVENT_VALID_SHADOW;
	g.interrupt.shadow = 4;
	T_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &g), EINVAL, "shadow bit 2");
	memset(&g, 0, sizeof(g));
	g.flags = KVM_VCPUEVENT_VALID_SMM;
	T_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &g), EINVAL, "VALID_SMM");
	memset(&g, 0, sizeof(g));
	g.smi.smm = 1;
	T_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &g), EINVAL, "smi.smm without the flag");
	memset(&g, 0, sizeof(g));
	g.flags = KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	g.sipi_vector = 0x100;
	T_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &g), EINVAL, "SIPI vector 0x100");
	/* States VM entry refuses (the vCPU has IF=1 here). */
	memset(&g, 0, sizeof(g));
	g.flags = KVM_VCPUEVENT_VALID_SHADOW;
	g.interrupt.injected = 1;
	g.interrupt.nr = 0x30;
	g.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	T_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &g), EINVAL, "an interrupt in an STI shadow");
	g.interrupt.injected = 0;
	g.nmi.injected = 1;
	g.interrupt.shadow = KVM_X86_SHADOW_INT_MOV_SS;
	T_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &g), EINVAL, "an NMI in a MOV SS shadow");

	memset(&g, 0, sizeof(g));
	g.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	T_CHECK(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &g) == 0 &&
		ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0 &&
		!e.exception.injected && !e.nmi.pending && !e.nmi.masked &&
		e.sipi_vector == 0x9a,
		"KVM_SET_VCPU_EVENTS of nothing clears them (the SIPI vector kept: flag clear)");
}

static void check_sregs(struct tvcpu *v)
{
	struct kvm_sregs s, got;
	struct kvm_regs r;
	static const uint64_t zero[4];

	get_sregs(v, &s);
	T_CHECK(!memcmp(s.interrupt_bitmap, zero, sizeof(zero)),
		"KVM_GET_SREGS: interrupt_bitmap 0");
	flat(&s.cs, 0x08, 0xb);
	flat(&s.ds, 0x10, 0x3);
	s.es = s.ss = s.ds;
	s.cr0 = 0x11;
	s.gdt.base = 0x5000;
	s.gdt.limit = 0x17;
	s.idt.base = 0x6000;
	s.idt.limit = 0xff;
	T_CHECK(ioctl(v->fd, KVM_SET_SREGS, &s) == 0,
		"KVM_SET_SREGS: flat 32-bit protected mode");
	get_sregs(v, &got);
	T_CHECK(seg_eq(&s.cs, &got.cs) && seg_eq(&s.ds, &got.ds) &&
		seg_eq(&s.ss, &got.ss) && got.cr0 == s.cr0 &&
		got.gdt.base == 0x5000 && got.gdt.limit == 0x17 &&
		got.idt.base == 0x6000 && got.idt.limit == 0xff &&
		got.efer == s.efer && got.apic_base == s.apic_base,
		"KVM_GET_SREGS returns it (CS %#x base %#llx limit %#x type %u db %u; CR0 %#llx; GDT %#llx/%#x)",
		got.cs.selector, (unsigned long long)got.cs.base, got.cs.limit,
		got.cs.type, got.cs.db, (unsigned long long)got.cr0,
		(unsigned long long)got.gdt.base, got.gdt.limit);
	s.interrupt_bitmap[0] = (1ULL << 0x30) | (1ULL << 0x31);
	T_ERRNO(ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL,
		"KVM_SET_SREGS with two bits in interrupt_bitmap");
	s.interrupt_bitmap[0] = 1ULL << 0x30;
	get_regs(v, &r);
	r.rflags &= ~0x200ULL;
	if (ioctl(v->fd, KVM_SET_REGS, &r))
		die("KVM_SET_REGS (IF=0)");
	T_ERRNO(ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL,
		"KVM_SET_SREGS with interrupt 0x30 in interrupt_bitmap and IF=0");
	r.rflags |= 0x200;
	if (ioctl(v->fd, KVM_SET_REGS, &r))
		die("KVM_SET_REGS (IF=1)");
	T_CHECK(ioctl(v->fd, KVM_SET_SREGS, &s) == 0,
		"KVM_SET_SREGS with interrupt 0x30 in interrupt_bitmap (KVM's old form), IF=1");
	get_sregs(v, &got);
	T_CHECK(got.interrupt_bitmap[0] == 1ULL << 0x30 && !got.interrupt_bitmap[1],
		"... KVM_GET_SREGS shows it in flight");
	check_events(v);
}

static void check_fpu(void)
{
	static const uint8_t x0[16] = "0123456789abcdef";
	static const uint8_t x1[16] = "FEDCBA9876543210";
	struct kvm_fpu f, g;
	struct kvm_sregs s;
	struct tvcpu v;
	struct tvm vm;
	uint32_t mx = 0x3f80;	/* RC = 01 */
	uint16_t fcw;

	vm_new(&vm);
	load(&vm, FPU_AT, g_fpu, g_fpu_end);
	memcpy(vm.mem + FPU_DATA, f80_a, 10);
	memcpy(vm.mem + FPU_DATA + 0x10, f80_b, 10);
	memcpy(vm.mem + FPU_DATA + 0x20, x0, 16);
	memcpy(vm.mem + FPU_DATA + 0x30, &mx, 4);
	vcpu_new(&vm, &v, 0);
	set_real(&v, FPU_AT);
	get_sregs(&v, &s);
	s.cr4 |= 0x600;		/* OSFXSR OSXMMEXCPT: SSE in real mode */
	if (ioctl(v.fd, KVM_SET_SREGS, &s))
		die("KVM_SET_SREGS (CR4.OSFXSR)");

	out_val(&v, 0x60, 1, "the guest loaded x87 and SSE state");
	T_CHECK(ioctl(v.fd, KVM_GET_FPU, &f) == 0, "KVM_GET_FPU");
	T_CHECK(!memcmp(f.fpr[0], f80_b, 10) && !memcmp(f.fpr[1], f80_a, 10),
		"GET_FPU: ST0 = -2.5, ST1 = 1.5 as the guest loaded them");
	T_CHECK(f.fcw == 0x37f && ((f.fsw >> 11) & 7) == 6 && f.ftwx == 0xc0,
		"GET_FPU: FCW %#x (0x37f), FSW.TOP %u (6), FTW %#x (0xc0)", f.fcw,
		(f.fsw >> 11) & 7, f.ftwx);
	T_CHECK(!memcmp(f.xmm[0], x0, 16) && f.mxcsr == 0x3f80,
		"GET_FPU: XMM0 as loaded, MXCSR %#x (0x3f80)", f.mxcsr);

	/* KVM takes any MXCSR here; plumb refuses what FXRSTOR would not. */
	g = f;
	g.mxcsr = 0x10000 | 0x1f80;
	T_ERRNO(ioctl(v.fd, KVM_SET_FPU, &g), EINVAL,
		"KVM_SET_FPU with MXCSR bit 16 (reserved)");
	g = f;
	memcpy(g.fpr[0], f80_c, 10);
	memcpy(g.xmm[1], x1, 16);
	g.mxcsr = 0x7f80;	/* RC = 11 */
	g.fcw = 0x27f;		/* 53-bit precision */
	T_CHECK(ioctl(v.fd, KVM_SET_FPU, &g) == 0, "KVM_SET_FPU");
	T_CHECK(ioctl(v.fd, KVM_GET_FPU, &f) == 0 && !memcmp(f.fpr[0], f80_c, 10) &&
		!memcmp(f.xmm[1], x1, 16) && f.mxcsr == 0x7f80 && f.fcw == 0x27f &&
		!memcmp(f.fpr[1], f80_a, 10) && !memcmp(f.xmm[0], x0, 16),
		"KVM_GET_FPU returns what SET_FPU gave");
	out_val(&v, 0x61, 1, "the guest stored its x87 and SSE state");
	memcpy(&mx, vm.mem + FPU_DATA + 0x60, 4);
	memcpy(&fcw, vm.mem + FPU_DATA + 0x64, 2);
	T_CHECK(!memcmp(vm.mem + FPU_DATA + 0x40, x1, 16),
		"the guest sees SET_FPU's XMM1");
	T_CHECK(!memcmp(vm.mem + FPU_DATA + 0x50, f80_c, 10),
		"the guest sees SET_FPU's ST0 (42.0)");
	T_CHECK(mx == 0x7f80 && fcw == 0x27f,
		"the guest sees SET_FPU's MXCSR %#x (0x7f80) and FCW %#x (0x27f)",
		mx, fcw);
	vcpu_free(&v);
	vm_free(&vm);
}

static void check_lapic(struct tvcpu *v)
{
	static const unsigned int regs[] = {
		APIC_TPR, APIC_LDR, APIC_DFR, APIC_SVR, APIC_LVTT, APIC_LVT0,
		APIC_LVT1, APIC_LVTERR, APIC_TDCR,
	};
	struct kvm_lapic_state s, got;
	unsigned int i, bad = 0;

	T_CHECK(ioctl(v->fd, KVM_GET_LAPIC, &s) == 0, "KVM_GET_LAPIC");
	T_CHECK(lapic_reg(&s, APIC_ID) == v->id << 24,
		"APIC ID register %#x: the vCPU id in bits 31:24 (legacy format)",
		lapic_reg(&s, APIC_ID));
	T_CHECK((lapic_reg(&s, APIC_LVR) & 0xff) == 0x14,
		"APIC version %#x (0x14, integrated)", lapic_reg(&s, APIC_LVR));
	T_CHECK(lapic_reg(&s, APIC_SVR) == 0xff &&
		(lapic_reg(&s, APIC_LVTT) & 0x10000) &&
		(lapic_reg(&s, APIC_LVT1) & 0x10000),
		"at reset: SVR %#x (0xff), LVTs masked", lapic_reg(&s, APIC_SVR));
	lapic_set(&s, APIC_SVR, 0x1ff);
	lapic_set(&s, APIC_TPR, 0x20);
	lapic_set(&s, APIC_LDR, 0x02000000);
	lapic_set(&s, APIC_DFR, 0xffffffff);
	lapic_set(&s, APIC_LVTT, 0x100ef);	/* one-shot, masked */
	lapic_set(&s, APIC_LVT0, 0x700);
	lapic_set(&s, APIC_LVT1, 0x400);
	lapic_set(&s, APIC_LVTERR, 0xfe);
	lapic_set(&s, APIC_TDCR, 0xb);
	lapic_set(&s, APIC_TMICT, 0);
	T_CHECK(ioctl(v->fd, KVM_SET_LAPIC, &s) == 0, "KVM_SET_LAPIC");
	T_CHECK(ioctl(v->fd, KVM_GET_LAPIC, &got) == 0, "KVM_GET_LAPIC again");
	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		if (lapic_reg(&got, regs[i]) == lapic_reg(&s, regs[i]))
			continue;
		printf("  APIC register %#x: set %#x, got %#x\n", regs[i],
		       lapic_reg(&s, regs[i]), lapic_reg(&got, regs[i]));
		bad++;
	}
	T_CHECK(!bad, "SVR, TPR, LDR, DFR, the LVTs and the divider as set (%u differ)",
		bad);
	T_CHECK(lapic_reg(&got, APIC_PPR) == 0x20 &&
		lapic_reg(&got, APIC_ID) == v->id << 24,
		"PPR %#x follows the TPR (0x20), the ID kept", lapic_reg(&got, APIC_PPR));

	/*
	 * QEMU's reset image: SVR 0xff (software-disabled) and LINT0 in
	 * virtual wire, unmasked, as KVM keeps it; so the PIC reaches the
	 * BSP before firmware enables the APIC.
	 */
	lapic_set(&s, APIC_SVR, 0xff);
	lapic_set(&s, APIC_LVT0, 0x700);
	T_CHECK(ioctl(v->fd, KVM_SET_LAPIC, &s) == 0 &&
		ioctl(v->fd, KVM_GET_LAPIC, &got) == 0, "KVM_SET/GET_LAPIC, QEMU's reset image");
	T_CHECK(lapic_reg(&got, APIC_LVT0) == 0x700 && lapic_reg(&got, APIC_SVR) == 0xff,
		"LVT0 %#x (0x700: unmasked) with SVR %#x (0xff)",
		lapic_reg(&got, APIC_LVT0), lapic_reg(&got, APIC_SVR));
}

#define SIPI_AT		0x3000		/* vCPU 0's sender, 32-bit */
#define AP_AT		0x8000		/* SIPI vector 0x08 */
#define AP_IDLE		0x9000		/* where vCPU 1 would run without one */

GUEST(g_sipi, "code32",
	"movl $0x01000000, 0xfee00310\n"	/* ICR high: APIC ID 1 */
	"movl $0x00004500, 0xfee00300\n"	/* INIT, assert */
	"movl $0x01000000, 0xfee00310\n"
	"movl $0x00004608, 0xfee00300\n"	/* SIPI, vector 0x08 */
	"out %al, $0x71\n"
	"cli\n"
	"hlt\n");

GUEST(g_ap, "code16",
	"mov $0xab, %al\n"
	"out %al, $0x70\n"
	"cli\n"
	"hlt\n");

GUEST(g_idle, "code16",
	"mov $0xee, %al\n"
	"out %al, $0x7f\n"
	"cli\n"
	"hlt\n");

static void check_mp_state(void)
{
	struct kvm_mp_state mp = { 0 };
	struct kvm_sregs s;
	struct bg_run b;
	struct tvcpu v0, v1;
	struct tvm vm;

	vm_new(&vm);
	load(&vm, SIPI_AT, g_sipi, g_sipi_end);
	load(&vm, AP_AT, g_ap, g_ap_end);
	load(&vm, AP_IDLE, g_idle, g_idle_end);
	vcpu_new(&vm, &v0, 0);
	vcpu_new(&vm, &v1, 1);
	T_CHECK(ioctl(v0.fd, KVM_GET_MP_STATE, &mp) == 0 &&
		mp.mp_state == KVM_MP_STATE_RUNNABLE,
		"vCPU 0 starts RUNNABLE (%u)", mp.mp_state);
	T_CHECK(ioctl(v1.fd, KVM_GET_MP_STATE, &mp) == 0 &&
		mp.mp_state == KVM_MP_STATE_UNINITIALIZED,
		"vCPU 1 starts UNINITIALIZED (%u), as KVM's APs with an in-kernel LAPIC",
		mp.mp_state);
	mp.mp_state = 99;
	T_ERRNO(ioctl(v1.fd, KVM_SET_MP_STATE, &mp), EINVAL,
		"KVM_SET_MP_STATE(99)");
	mp.mp_state = KVM_MP_STATE_UNINITIALIZED;
	T_CHECK(ioctl(v1.fd, KVM_SET_MP_STATE, &mp) == 0,
		"KVM_SET_MP_STATE(vCPU 1, UNINITIALIZED)");
	set_real(&v1, AP_IDLE);

	/* vCPU 1 does not run: RUN waits in the kernel until a signal. */
	bg_start(&b, &v1, false);
	T_CHECK(!bg_wait(&b, 300),
		"UNINITIALIZED vCPU 1: KVM_RUN waits (the guest at %#x does not run)",
		AP_IDLE);
	bg_stop(&b);
	T_CHECK(b.ret == -1 && b.err == EINTR, "SIGUSR1 ends it: %d (%s)",
		b.ret, strerror(b.err));

	/* vCPU 0 sends INIT and SIPI: vCPU 1 starts at 0x0800:0000. */
	lapic_virtual_wire(v0.fd, 0);
	lapic_virtual_wire(v1.fd, 0);
	set_flat32(&v0, SIPI_AT);
	bg_start(&b, &v1, true);
	out_val(&v0, 0x71, 1, "vCPU 0 sent INIT and SIPI through its ICR");
	T_CHECK(bg_wait(&b, 5000), "vCPU 1's KVM_RUN returned (%u EINTR/EAGAIN first)",
		b.retries);
	bg_stop(&b);
	if (b.ret == 0) {
		T_CHECK(v1.run->exit_reason == KVM_EXIT_IO &&
			v1.run->io.port == 0x70 &&
			*io_data(&v1) == 0xab,
			"vCPU 1 ran the SIPI's code: exit %s port %#x data %#x",
			exit_name(v1.run->exit_reason), v1.run->io.port,
			*io_data(&v1));
		get_sregs(&v1, &s);
		T_CHECK(s.cs.selector == 0x0800 && s.cs.base == AP_AT,
			"vCPU 1's CS %#x base %#llx (0x0800, 0x8000)",
			s.cs.selector, (unsigned long long)s.cs.base);
		T_CHECK(ioctl(v1.fd, KVM_GET_MP_STATE, &mp) == 0 &&
			mp.mp_state == KVM_MP_STATE_RUNNABLE,
			"vCPU 1 RUNNABLE after the SIPI (%u)", mp.mp_state);
	} else {
		T_CHECK(0, "vCPU 1's KVM_RUN -> %d (%s)", b.ret, strerror(b.err));
	}

	/* The BSP too can be parked and let go again. */
	mp.mp_state = KVM_MP_STATE_UNINITIALIZED;
	T_CHECK(ioctl(v0.fd, KVM_SET_MP_STATE, &mp) == 0 &&
		ioctl(v0.fd, KVM_GET_MP_STATE, &mp) == 0 &&
		mp.mp_state == KVM_MP_STATE_UNINITIALIZED,
		"vCPU 0 set UNINITIALIZED reads back so (%u)", mp.mp_state);
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	T_CHECK(ioctl(v0.fd, KVM_SET_MP_STATE, &mp) == 0 &&
		ioctl(v0.fd, KVM_GET_MP_STATE, &mp) == 0 &&
		mp.mp_state == KVM_MP_STATE_RUNNABLE,
		"... and RUNNABLE again (%u)", mp.mp_state);
	vcpu_free(&v1);
	vcpu_free(&v0);
	vm_free(&vm);
}

/*
 * KVM_GET/SET_XSAVE and KVM_GET/SET_XCRS are plumb's PLUMB_GET/SET_XSAVE
 * and XCRS (t_guest state_move moves a running guest with them): the
 * image and KVM_GET/SET_FPU show the same registers, and what XRSTOR
 * would fault on is refused.
 */
static void check_xsave(void)
{
	static const uint8_t x3[16] = "xmm3 through FPU";
	struct kvm_xsave *x = calloc(1, sizeof(*x));
	struct kvm_xcrs xc;
	struct kvm_fpu f;
	struct tvcpu v;
	struct tvm vm;
	uint64_t bv;

	if (!x)
		die("calloc");
	vm_new(&vm);
	vcpu_new(&vm, &v, 0);
	T_CHECK(ioctl(v.fd, KVM_GET_XSAVE, x) == 0, "KVM_GET_XSAVE");
	T_CHECK((x->region[0] & 0xffff) == 0x37f && x->region[6] == 0x1f80,
		"XSAVE image of a new vCPU: FCW %#x (0x37f), MXCSR %#x (0x1f80)",
		x->region[0] & 0xffff, x->region[6]);
	T_CHECK(ioctl(v.fd, KVM_GET_FPU, &f) == 0, "KVM_GET_FPU");
	memcpy(f.xmm[3], x3, 16);
	T_CHECK(ioctl(v.fd, KVM_SET_FPU, &f) == 0, "KVM_SET_FPU with XMM3");
	T_CHECK(ioctl(v.fd, KVM_GET_XSAVE, x) == 0 &&
		!memcmp((uint8_t *)x->region + 160 + 3 * 16, x3, 16),
		"... KVM_GET_XSAVE shows that XMM3");
	((uint8_t *)x->region)[160 + 3 * 16] = 'X';
	T_CHECK(ioctl(v.fd, KVM_SET_XSAVE, x) == 0, "KVM_SET_XSAVE with XMM3 changed");
	T_CHECK(ioctl(v.fd, KVM_GET_FPU, &f) == 0 && f.xmm[3][0] == 'X',
		"... KVM_GET_FPU shows the change");
	bv = 1ULL << 62;
	memcpy((uint8_t *)x->region + 512, &bv, 8);
	T_ERRNO(ioctl(v.fd, KVM_SET_XSAVE, x), EINVAL, "KVM_SET_XSAVE: XSTATE_BV bit 62");
	bv = 0;
	memcpy((uint8_t *)x->region + 512, &bv, 8);
	bv = 1ULL << 63;
	memcpy((uint8_t *)x->region + 520, &bv, 8);
	T_ERRNO(ioctl(v.fd, KVM_SET_XSAVE, x), EINVAL, "KVM_SET_XSAVE: compacted format");

	memset(&xc, 0, sizeof(xc));
	T_CHECK(ioctl(v.fd, KVM_GET_XCRS, &xc) == 0 && xc.nr_xcrs == 1 &&
		xc.xcrs[0].xcr == 0 && xc.xcrs[0].value == 1,
		"KVM_GET_XCRS: one, XCR0 = 1 (x87) at reset (%u, %#llx)", xc.nr_xcrs,
		(unsigned long long)xc.xcrs[0].value);
	T_CHECK(ioctl(v.fd, KVM_SET_XCRS, &xc) == 0, "KVM_SET_XCRS of that");
	xc.xcrs[0].value = 5;
	T_ERRNO(ioctl(v.fd, KVM_SET_XCRS, &xc), EINVAL, "KVM_SET_XCRS: XCR0 = 5 (AVX, no SSE)");
	vcpu_free(&v);
	vm_free(&vm);
	free(x);
}

static int t_state(void)
{
	struct kvm_vapic_addr va = { 0 };
	struct tvcpu v;
	struct tvm vm;

	catch_signals();
	vm_new(&vm);
	vcpu_new(&vm, &v, 1);
	check_regs(&v);
	check_sregs(&v);
	check_lapic(&v);
	T_CHECK(ioctl(v.fd, KVM_SET_VAPIC_ADDR, &va) == 0,
		"KVM_SET_VAPIC_ADDR(0), as QEMU at every APIC reset");
	va.vapic_addr = 0x1000;
	T_ERRNO(ioctl(v.fd, KVM_SET_VAPIC_ADDR, &va), EINVAL,
		"KVM_SET_VAPIC_ADDR(0x1000): no TPR patching");
	vcpu_free(&v);
	vm_free(&vm);
	check_fpu();
	check_xsave();
	check_mp_state();
	return t_done();
}

/* ------------------------------------------------------------------ */
/* shutdown: a triple fault, and QEMU's reset after it                 */

#define SHUT_AT	0x1000

GUEST(g_shut, "code16",
	"out %al, $0x10\n"
	"ud2\n"				/* IDT limit 0: #UD, #GP, #DF, shutdown */
	"shut_ud:\n"			/* with an IVT: the #UD handler */
	"out %al, $0x11\n"
	"cli\n"
	"hlt\n");
extern const uint8_t shut_ud[];

static void shut_reset(struct tvcpu *v, uint16_t idt_limit)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_sregs s;

	set_real(v, SHUT_AT);
	get_sregs(v, &s);
	s.idt.base = 0;
	s.idt.limit = idt_limit;
	if (ioctl(v->fd, KVM_SET_SREGS, &s))
		die("KVM_SET_SREGS");
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp))
		die("KVM_SET_MP_STATE");
}

static int t_shutdown(void)
{
	struct tvcpu v;
	struct tvm vm;
	uint16_t ivt6[2] = { (uint16_t)(SHUT_AT + (shut_ud - g_shut)), 0 };

	vm_new(&vm);
	load(&vm, SHUT_AT, g_shut, g_shut_end);
	memcpy(vm.mem + 6 * 4, ivt6, 4);
	vcpu_new(&vm, &v, 0);
	shut_reset(&v, 0);
	out_val(&v, 0x10, 1, "the guest runs");
	run_expect(&v, KVM_EXIT_SHUTDOWN, "UD2 with IDT limit 0: a triple fault");

	/* QEMU's system reset: registers put back, the vCPU runs again. */
	shut_reset(&v, 0x3ff);
	out_val(&v, 0x10, 1, "after SET_SREGS/SET_REGS the guest runs again");
	out_val(&v, 0x11, 1, "UD2 now reaches its #UD handler at IVT[6]");

	/* And the same triple fault again, then another reset. */
	shut_reset(&v, 0);
	out_val(&v, 0x10, 1, "third run");
	run_expect(&v, KVM_EXIT_SHUTDOWN, "the second triple fault");
	shut_reset(&v, 0x3ff);
	out_val(&v, 0x10, 1, "after the second reset");
	vcpu_free(&v);
	vm_free(&vm);
	return t_done();
}

/* ------------------------------------------------------------------ */
/* lockorder: ENABLE_CAP against the zone ioctls on one VM fd          */
/* ------------------------------------------------------------------ */

static int lo_vm;
static atomic_ulong lo_caps, lo_zones;
static atomic_bool lo_stop;

static void *lo_cap_thread(void *arg)
{
	struct kvm_enable_cap c = { .cap = KVM_CAP_SPLIT_IRQCHIP,
				    .args = { 24 } };

	(void)arg;
	while (!atomic_load(&lo_stop)) {
		ioctl(lo_vm, KVM_ENABLE_CAP, &c);	/* EEXIST after the first */
		atomic_fetch_add(&lo_caps, 1);
	}
	return NULL;
}

static void *lo_zone_thread(void *arg)
{
	struct kvm_coalesced_mmio_zone z = { .addr = 0x10000, .size = 0x1000 };

	(void)arg;
	while (!atomic_load(&lo_stop)) {
		ioctl(lo_vm, KVM_REGISTER_COALESCED_MMIO, &z);
		ioctl(lo_vm, KVM_UNREGISTER_COALESCED_MMIO, &z);
		atomic_fetch_add(&lo_zones, 1);
	}
	return NULL;
}

/*
 * F-kvmfuzz-1: ENABLE_CAP took vm->lock then kvm->lock, the zone ioctls
 * the other order; two threads deadlocked the VM (D state, unkillable)
 * within a second. Both must keep going for 3 s.
 */
static int t_lockorder(void)
{
	unsigned long c0 = 0, z0 = 0, c, z;
	pthread_t a, b;
	int sys, i;

	sys = open("/dev/plumb-kvm", O_RDWR | O_CLOEXEC);
	if (sys < 0)
		die("open /dev/plumb-kvm");
	lo_vm = ioctl(sys, KVM_CREATE_VM, 0);
	if (lo_vm < 0)
		die("KVM_CREATE_VM");
	pthread_create(&a, NULL, lo_cap_thread, NULL);
	pthread_create(&b, NULL, lo_zone_thread, NULL);
	for (i = 0; i < 6; i++) {
		usleep(500000);
		c = atomic_load(&lo_caps);
		z = atomic_load(&lo_zones);
		if (c == c0 || z == z0) {
			T_CHECK(0, "no progress after %d ms (ENABLE_CAP %lu, zones %lu): a deadlock",
				(i + 1) * 500, c, z);
			fflush(stdout);
			_exit(1);	/* the stuck threads cannot be joined */
		}
		c0 = c;
		z0 = z;
	}
	atomic_store(&lo_stop, true);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	T_CHECK(1, "3 s of ENABLE_CAP (%lu) against zone register/unregister (%lu) on one VM",
		c0, z0);
	close(lo_vm);
	close(sys);
	return t_done();
}

/* ------------------------------------------------------------------ */
/* dirty: KVM_MEM_LOG_DIRTY_PAGES and KVM_GET_DIRTY_LOG                */

#define DIRTY_BASE	0x40000		/* slot 1, logging: ES = 0x4000 */
#define DIRTY_PAGES	16

/*
 * Three rounds, each ended by an OUT to 0x10: writes to pages 0, 3 and
 * 15 and a read of 5; page 3 again and 7; reads only. Page 3's second
 * write is logged only if KVM_GET_DIRTY_LOG write-protected it and
 * flushed the translation the vCPU cached writable.
 */
GUEST(g_dirty, "code16",
	"mov $0x4000, %ax\n"
	"mov %ax, %es\n"
	"movb $1, %es:0x0000\n"
	"movb $2, %es:0x3000\n"
	"mov %es:0x5000, %al\n"
	"movb $3, %es:0xf000\n"
	"out %al, $0x10\n"
	"movb $4, %es:0x3004\n"
	"movb $5, %es:0x7000\n"
	"out %al, $0x10\n"
	"mov %es:0x3000, %al\n"
	"mov %es:0x7000, %al\n"
	"mov %es:0x9000, %al\n"
	"out %al, $0x10\n"
	"cli\n"
	"hlt\n");

static int kvm_dirty_log(struct tvm *vm, uint32_t slot, uint64_t *bitmap)
{
	struct kvm_dirty_log d = { .slot = slot, .dirty_bitmap = bitmap };

	return ioctl(vm->fd, KVM_GET_DIRTY_LOG, &d);
}

/* KVM_GET_DIRTY_LOG on slot 1: exactly @want, and one word written. */
static void expect_dirty(struct tvm *vm, uint64_t want, const char *what)
{
	uint64_t got[2] = { ~0ULL, ~0ULL };
	int ret = kvm_dirty_log(vm, 1, got);

	T_CHECK(ret == 0 && got[0] == want && got[1] == ~0ULL,
		"%s: KVM_GET_DIRTY_LOG -> %d, bitmap %#llx (want %#llx), next word %s",
		what, ret, (unsigned long long)got[0], (unsigned long long)want,
		got[1] == ~0ULL ? "untouched" : "written");
}

static int t_dirty(void)
{
	struct kvm_userspace_memory_region mr = {
		.slot = 1, .flags = KVM_MEM_LOG_DIRTY_PAGES,
		.guest_phys_addr = DIRTY_BASE, .memory_size = DIRTY_PAGES * PAGE,
	};
	struct kvm_dirty_log d = { 0 };
	uint64_t bitmap[1];
	struct tvcpu v;
	struct tvm vm;
	uint8_t *data;

	vm_new(&vm);
	data = mmap(NULL, DIRTY_PAGES * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (data == MAP_FAILED)
		die("mmap");
	mr.userspace_addr = (uintptr_t)data;
	T_CHECK(ioctl(vm.fd, KVM_SET_USER_MEMORY_REGION, &mr) == 0,
		"slot 1 with KVM_MEM_LOG_DIRTY_PAGES, %u pages at %#x",
		DIRTY_PAGES, DIRTY_BASE);
	load(&vm, 0, g_dirty, g_dirty_end);
	vcpu_new(&vm, &v, 0);
	set_real(&v, 0);
	expect_dirty(&vm, 0, "before the guest ran");

	expect_io(&v, KVM_EXIT_IO_OUT, 0x10, 1, "round 1");
	expect_dirty(&vm, 1ULL << 0 | 1ULL << 3 | 1ULL << 15,
		     "round 1 wrote pages 0 3 15, read 5");
	T_CHECK(data[0] == 1 && data[3 * PAGE] == 2 && data[15 * PAGE] == 3,
		"the guest's writes are in the memory");
	expect_io(&v, KVM_EXIT_IO_OUT, 0x10, 1, "round 2");
	expect_dirty(&vm, 1ULL << 3 | 1ULL << 7, "round 2 wrote pages 3 (again) 7");
	expect_io(&v, KVM_EXIT_IO_OUT, 0x10, 1, "round 3");
	expect_dirty(&vm, 0, "round 3 only read");

	T_ERRNO(kvm_dirty_log(&vm, 0, bitmap), ENOENT,
		"KVM_GET_DIRTY_LOG on slot 0, which does not log (KVM's ENOENT)");
	T_ERRNO(kvm_dirty_log(&vm, 5, bitmap), ENOENT, "KVM_GET_DIRTY_LOG on slot 5, none");
	T_ERRNO(kvm_dirty_log(&vm, 1u << 16 | 1, bitmap), EINVAL,
		"KVM_GET_DIRTY_LOG in address space 1");
	d.slot = 1;
	d.padding2 = 8;
	T_ERRNO(ioctl(vm.fd, KVM_GET_DIRTY_LOG, &d), EFAULT,
		"KVM_GET_DIRTY_LOG to address 8");
	T_ERRNO(ioctl(vm.fd, KVM_CLEAR_DIRTY_LOG, &d), ENOTTY,
		"KVM_CLEAR_DIRTY_LOG (no MANUAL_DIRTY_LOG_PROTECT2)");

	vcpu_free(&v);
	vm_free(&vm);
	munmap(data, DIRTY_PAGES * PAGE);
	return t_done();
}

/* ------------------------------------------------------------------ */

static const struct {
	const char *name;
	int (*run)(void);
} subtests[] = {
	{ "api", t_api },
	{ "cpuid_msrs", t_cpuid_msrs },
	{ "vm_rules", t_vm_rules },
	{ "io", t_io },
	{ "mmio", t_mmio },
	{ "halt", t_halt },
	{ "coalesced", t_coalesced },
	{ "irq", t_irq },
	{ "state", t_state },
	{ "shutdown", t_shutdown },
	{ "lockorder", t_lockorder },
	{ "dirty", t_dirty },
};

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(subtests) / sizeof(subtests[0]); i++)
		if (!strcmp(subtests[i].name, name))
			return subtests[i].run();
	fprintf(stderr, "usage: t_kvm SUBTEST, one of:");
	for (size_t i = 0; i < sizeof(subtests) / sizeof(subtests[0]); i++)
		fprintf(stderr, " %s", subtests[i].name);
	fprintf(stderr, "\n");
	return 2;
}
