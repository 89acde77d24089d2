// SPDX-License-Identifier: GPL-2.0
/*
 * t_kvmfuzz SEED OPS [--no CLASS,...] [--tame] [--avoid NAME,...]
 *                    [--secs N] [--trace] [--from N]
 *
 * A seeded fuzzer of the KVM personality, /dev/plumb-kvm (kmod/kvm/),
 * run inside the emulated hosts (docs/testing.md, "The KVM-ABI fuzzer"):
 * t_fuzz's method on KVM's ABI. Every choice of the main thread comes
 * from one xorshift PRNG seeded by SEED (fuzzlib.c), so a seed replays
 * the same sequence of operations; what the helper threads (vCPU runners,
 * kvm_run scribblers, VM hammers) interleave with it is the scheduler's.
 *
 * Operation classes (--no CLASS, or PLUMB_FUZZ_NO=CLASS,...):
 *   sys      system ioctls on right and wrong fds: versions, extensions,
 *            MSR and CPUID lists with counts at and past their limits
 *   raw      every ioctl of the personality note's Appendix A and random
 *            numbers of type KVMIO (and plumb's 0xB9) on every fd kind,
 *            with garbage structs of random sizes and hostile pointers
 *   vm       CREATE_VCPU ids, ENABLE_CAP, TSS address, new VMs, the
 *            ioctls the personality leaves out
 *   slots    KVM_SET_USER_MEMORY_REGION: added, replaced, deleted,
 *            read-only, dirty logging, huge, unaligned, overlapping,
 *            another address space; memory unmapped under running vCPUs
 *   irq      SET_GSI_ROUTING tables (sizes past the limit, bad entries),
 *            IRQ_LINE(_STATUS) on random GSIs, SIGNAL_MSI, in storms
 *   zones    coalesced MMIO/PIO zones: overlapping, past the limit,
 *            wrapping, over the tame guest's port, unregistered in bulk
 *   run      KVM_RUN from the main thread, bounded by an interval timer
 *            or immediate_exit; runner threads that RUN in a loop, answer
 *            IN and MMIO reads with random data and drain the ring
 *   kvmrun   scribbling on kvm_run (exit fields, immediate_exit,
 *            request_interrupt_window), the PIO page and the coalesced
 *            ring's first/last while the guest runs; a scribbler thread
 *   close    vCPU and VM fds closed in random orders while vCPUs run
 *   fork     a child does random operations on the inherited fds and
 *            mappings (another mm: everything but its mappings refused)
 *   regs     random GPRs, RIP, RFLAGS
 *   sregs    valid and random segments, CRs, EFER, APIC base,
 *            interrupt_bitmap
 *   fpu      GET/SET_FPU: random bytes, pads, MXCSR
 *   msr      GET/SET_MSRS: the index list and more, counts at and past
 *            the limit, random values
 *   cpuid    SET_CPUID2: the supported table mutated, truncated, too long
 *   lapic    GET/SET_LAPIC with random and mutated images, timer and LVT
 *            set-ups, VAPIC address, TPR reporting
 *   events   KVM_INTERRUPT and KVM_NMI storms, MP states
 *   code     random bytes and instruction fragments in guest memory
 *   mmap     mmap of every fd at random offsets, sizes, flags; mremap
 *   hammer   up to two more threads per VM of random VM ioctls (and
 *            vCPU ones) concurrent with each other and the main thread's
 *
 * --tame (bochs-svm): no guest that Bochs' SVM cannot take back, as in
 * t_fuzz: no regs, sregs, msr, cpuid, lapic, code classes; slot 0 is not
 * touched; interrupts (KVM_INTERRUPT, MSIs, GSI routes) only fixed ones
 * with vectors 32-255.
 * --avoid NAME,...: leave out what reaches a known, open finding (docs/
 * testing.md, "KVM-ABI fuzzer findings"), so that a campaign gets past it:
 *   capzone  F-kvmfuzz-1 (plumb): KVM_ENABLE_CAP and (UN)REGISTER_
 *            COALESCED_MMIO on one VM from two threads deadlock; the
 *            hammers make neither, so only the main thread does.
 *   sregs    F-fuzz-3 and F-fuzz-4 (QEMU's nested SVM: "invalid tss" on
 *            segment attributes no descriptor could give; a #VMEXIT that
 *            keeps the guest's CR0 when the guest has EFER.LME without
 *            CR0.PG and CR4.PAE): SET_SREGS only in the three tame modes,
 *            their segments' attributes kept, control registers that fit
 *            the mode; RFLAGS.VM clear; no EFER in SET_MSRS; no raw
 *            SET_SREGS or SET_REGS.
 *   crs      F-kvmfuzz-2 and F-fuzz-4 (QEMU 7.2 aborts when a guest writes
 *            CR8 while a virtual interrupt waits; its MOV to CR0/CR4 and
 *            WRMSR to EFER reach F-fuzz-4's state): no MOV to a control
 *            register and no WRMSR in the random code.
 * --secs N ends the campaign after N seconds if OPS are not done by then.
 * --trace prints every operation before it runs; --from N from the N-th.
 *
 * At the end every thread is stopped, every fd closed, and the module's
 * counters (nr_vms, nr_vcpus, pinned_pages) must read 0 and the kernel's
 * FOLL_PIN counters must have moved by the same amount. Exit 0 when all
 * held (and no RUN gave an exit reason the personality does not make);
 * 3 when the watchdog saw no progress for 60 s.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/plumb.h>

#include "fuzzlib.h"

#define NVM		2
#define NVCPU		3
#define NSLOT		5		/* slot 0: RAM at 0; 1..4 elsewhere */
#define XSLOT_GPA	0x1000000ULL	/* extra slots from 16 MiB, 1 MiB apart */
#define BIG_GPA		(1ULL << 40)	/* big regions: past the tame tables */
#define BIG_SIZE	(1ULL << 30)	/* the reservation they come from */
#define NHAMMER		2		/* VM hammer threads per VM */
#define HAMMER_SLOT	8		/* the hammers' slots: 8..15 */
#define HAMMER_GPA	0x2000000ULL
#define HAMMER_MEM	(16 * 4096)
#define RUN_PAGES	3		/* kvm_run, PIO data, coalesced ring */
#define PG		4096UL
/* Limits of the personality (kmod: PLUMB_MAX_MSR/CPUID_ENTRIES). */
#define MAX_MSRS	256
#define MAX_CPUID	256
#define RING_MAX	((PG - sizeof(struct kvm_coalesced_mmio_ring)) / \
			 sizeof(struct kvm_coalesced_mmio))

enum {
	C_SYS, C_RAW, C_VM, C_SLOTS, C_IRQ, C_ZONES, C_RUN, C_KRUN, C_CLOSE,
	C_FORK, C_REGS, C_SREGS, C_FPU, C_MSR, C_CPUID, C_LAPIC, C_EVENTS,
	C_CODE, C_MMAP, C_HAMMER, NCLASS
};
static const char *const class_name[NCLASS] = {
	"sys", "raw", "vm", "slots", "irq", "zones", "run", "kvmrun", "close",
	"fork", "regs", "sregs", "fpu", "msr", "cpuid", "lapic", "events",
	"code", "mmap", "hammer",
};
/* Relative weights of the classes in the operation mix. */
static const unsigned int class_weight[NCLASS] = {
	5, 10, 6, 8, 6, 5, 14, 4, 3, 1, 6, 6, 3, 5, 3, 5, 5, 5, 4, 2,
};

/* Known open findings --avoid can leave out. */
enum { AVOID_CAPZONE, AVOID_SREGS, AVOID_CRS, NAVOID };
static const char *const avoid_name[NAVOID] = { "capzone", "sregs", "crs" };

/* Appendix A of kvm-abi-personality.md: every request, by fd kind. */
enum { K_SYS, K_VM, K_VCPU };
static const struct kioc {
	unsigned int nr;
	unsigned char kind;
	unsigned char state;	/* makes a wild guest: not with --tame */
} kiocs[] = {
	{ KVM_GET_API_VERSION, K_SYS, 0 },
	{ KVM_CREATE_VM, K_SYS, 0 },
	{ KVM_GET_MSR_INDEX_LIST, K_SYS, 0 },
	{ KVM_CHECK_EXTENSION, K_SYS, 0 },
	{ KVM_GET_VCPU_MMAP_SIZE, K_SYS, 0 },
	{ KVM_GET_SUPPORTED_CPUID, K_SYS, 0 },
	{ KVM_GET_MSR_FEATURE_INDEX_LIST, K_SYS, 0 },
	{ KVM_CREATE_VCPU, K_VM, 0 },
	{ KVM_GET_DIRTY_LOG, K_VM, 0 },
	{ KVM_SET_USER_MEMORY_REGION, K_VM, 0 },
	{ KVM_SET_TSS_ADDR, K_VM, 0 },
	{ KVM_SET_IDENTITY_MAP_ADDR, K_VM, 0 },
	{ KVM_CREATE_IRQCHIP, K_VM, 0 },
	{ KVM_IRQ_LINE, K_VM, 1 },
	{ KVM_GET_IRQCHIP, K_VM, 0 },
	{ KVM_SET_IRQCHIP, K_VM, 0 },
	{ KVM_REGISTER_COALESCED_MMIO, K_VM, 0 },
	{ KVM_UNREGISTER_COALESCED_MMIO, K_VM, 0 },
	{ KVM_IRQ_LINE_STATUS, K_VM, 1 },
	{ KVM_SET_GSI_ROUTING, K_VM, 1 },
	{ KVM_REINJECT_CONTROL, K_VM, 0 },
	{ KVM_IRQFD, K_VM, 0 },
	{ KVM_CREATE_PIT2, K_VM, 0 },
	{ KVM_IOEVENTFD, K_VM, 0 },
	{ KVM_SET_CLOCK, K_VM, 0 },
	{ KVM_GET_CLOCK, K_VM, 0 },
	{ KVM_GET_PIT2, K_VM, 0 },
	{ KVM_SET_PIT2, K_VM, 0 },
	{ KVM_ENABLE_CAP, K_VM, 0 },
	{ KVM_SIGNAL_MSI, K_VM, 1 },
	{ KVM_RUN, K_VCPU, 0 },
	{ KVM_GET_REGS, K_VCPU, 0 },
	{ KVM_SET_REGS, K_VCPU, 1 },
	{ KVM_GET_SREGS, K_VCPU, 0 },
	{ KVM_SET_SREGS, K_VCPU, 1 },
	{ KVM_INTERRUPT, K_VCPU, 1 },
	{ KVM_GET_MSRS, K_VCPU, 0 },
	{ KVM_SET_MSRS, K_VCPU, 1 },
	{ KVM_SET_SIGNAL_MASK, K_VCPU, 0 },
	{ KVM_GET_FPU, K_VCPU, 0 },
	{ KVM_SET_FPU, K_VCPU, 0 },
	{ KVM_GET_LAPIC, K_VCPU, 0 },
	{ KVM_SET_LAPIC, K_VCPU, 1 },
	{ KVM_SET_CPUID2, K_VCPU, 1 },
	{ KVM_GET_CPUID2, K_VCPU, 0 },
	{ KVM_TPR_ACCESS_REPORTING, K_VCPU, 0 },
	{ KVM_SET_VAPIC_ADDR, K_VCPU, 0 },
	{ KVM_GET_MP_STATE, K_VCPU, 0 },
	{ KVM_SET_MP_STATE, K_VCPU, 1 },
	{ KVM_NMI, K_VCPU, 0 },
	{ KVM_SET_GUEST_DEBUG, K_VCPU, 1 },
	{ KVM_X86_SETUP_MCE, K_VCPU, 0 },
	{ KVM_GET_VCPU_EVENTS, K_VCPU, 0 },
	{ KVM_SET_VCPU_EVENTS, K_VCPU, 1 },
	{ KVM_GET_DEBUGREGS, K_VCPU, 0 },
	{ KVM_SET_DEBUGREGS, K_VCPU, 1 },
	{ KVM_SET_TSC_KHZ, K_VCPU, 0 },
	{ KVM_GET_TSC_KHZ, K_VCPU, 0 },
	{ KVM_GET_XSAVE, K_VCPU, 0 },
	{ KVM_SET_XSAVE, K_VCPU, 1 },
	{ KVM_GET_XCRS, K_VCPU, 0 },
	{ KVM_SET_XCRS, K_VCPU, 1 },
	{ KVM_KVMCLOCK_CTRL, K_VCPU, 0 },
	{ KVM_GET_SREGS2, K_VCPU, 0 },
	{ KVM_GET_XSAVE2, K_VCPU, 0 },
};
#define NKIOC	(sizeof(kiocs) / sizeof(kiocs[0]))

struct fslot {
	uint8_t *mem;		/* our mapping (NULL: none) */
	size_t size;
	uint64_t gpa;
	int registered;		/* the kernel has it (as far as we asked) */
};

struct fvcpu {
	int fd;			/* -1: closed (a runner may still be in RUN) */
	int live;		/* this entry is in use */
	uint32_t id;
	struct kvm_run *run;	/* the RUN_PAGES mapping; NULL: none */
	pthread_t runner, scribbler;
	int has_runner, has_scribbler;
	atomic_int stop_runner, stop_scribbler;
	atomic_int runner_done, scribbler_done;
	int runner_fd;
	uint64_t seed;
};

struct fvm {
	int live;
	int fd;			/* -1: closed, vCPUs may still hold the VM */
	uint32_t next_id;
	struct fslot slot[NSLOT];
	struct fvcpu vc[NVCPU];
	struct fhammer {
		struct fvm *vm;
		pthread_t th;
		int on, fd;
		atomic_int stop, done;
		uint64_t seed;
	} hm[NHAMMER];
};

static int tame, avoid[NAVOID];
static uint64_t nops;
static long max_secs;		/* --secs: stop after this long (0: OPS) */
static int disabled[NCLASS];
static unsigned long done_by_class[NCLASS];
static int sys_fd, null_fd, pipe_fd[2], ev_fd, mem_fd;
/* plumb's own ABI: /dev/plumb, a VM and a vCPU, as foreign fds. */
static int p_sys = -1, p_vm = -1, p_vcpu = -1;
static struct fvm vms[NVM];
static struct kvm_cpuid2 *supported;
static uint32_t msr_list[64], nmsr_list;
static long max_vcpus = 64, nr_memslots = 32, max_routes = 1024;
static uint8_t *big_area;		/* BIG_SIZE, PROT_NONE or RW */
static uint8_t *hammer_mem;		/* the hammers' slot memory */
static unsigned long ioctl_ok, ioctl_err, slot_ok, forks, bad_exits;
/* Counted by every thread. */
static atomic_ulong runs_eintr, runs_err, ring_entries, hammer_ioctls, hammer_ok;
static atomic_ulong exits[64];		/* by KVM_EXIT_*, 63: any other */
static atomic_ulong internal[8];	/* by suberror, 7: any other */
static atomic_ulong run_errno[136];	/* by errno, 135: any other */

/* ---- fds and pointers -------------------------------------------------- */

static struct fvm *pick_vm(void)
{
	struct fvm *vm = &vms[below(NVM)];

	return vm->live ? vm : NULL;
}

static struct fvcpu *pick_vcpu(struct fvm **vmp)
{
	struct fvm *vm = pick_vm();
	struct fvcpu *v;

	if (!vm)
		return NULL;
	v = &vm->vc[below(NVCPU)];
	if (!v->live)
		return NULL;
	if (vmp)
		*vmp = vm;
	return v;
}

/* Any fd: mostly the right kind (K_SYS, K_VM, K_VCPU), else any. */
static int pick_fd(int want)
{
	struct fvm *vm;
	struct fvcpu *v;

	if (chance(75)) {
		switch (want) {
		case K_VM:
			vm = pick_vm();
			if (vm)
				return vm->fd;
			break;
		case K_VCPU:
			v = pick_vcpu(NULL);
			if (v)
				return v->fd;
			break;
		default:
			return sys_fd;
		}
	}
	switch (below(12)) {
	case 0:
		return sys_fd;
	case 1:
		vm = pick_vm();
		return vm ? vm->fd : -1;
	case 2:
		v = pick_vcpu(NULL);
		return v ? v->fd : -1;
	case 3:
		return null_fd;
	case 4:
		return pipe_fd[below(2)];
	case 5:
		return ev_fd;
	case 6:
		return mem_fd;
	case 7:		/* plumb's own ABI */
		return p_sys;
	case 8:
		return p_vm;
	case 9:
		return p_vcpu;
	case 10:
		return 1000 + (int)below(20);	/* never opened */
	default:
		return -1;
	}
}

static long xioctl(int fd, unsigned long nr, unsigned long arg)
{
	long r = ioctl(fd, nr, arg);

	if (r < 0)
		ioctl_err++;
	else
		ioctl_ok++;
	return r;
}

/* An interrupt vector: any, or 32-255 for a tame guest. */
static uint8_t vector(void)
{
	if (tame)
		return (uint8_t)(32 + below(224));
	return chance(80) ? (uint8_t)(32 + below(224)) : (uint8_t)below(32);
}

/* An MSI's address and data: fixed to vector(), or anything (not tame). */
static void msi_words(uint32_t *addr_lo, uint32_t *addr_hi, uint32_t *data)
{
	*addr_hi = 0;
	if (tame || chance(70)) {
		*addr_lo = 0xfee00000 | (uint32_t)(below(4) << 12) |
			   (uint32_t)(below(2) << 2);
		*data = vector() | (uint32_t)(below(2) << 15) |
			(uint32_t)(below(2) << 14);
		if (!tame && chance(30))	/* any delivery mode */
			*data |= (uint32_t)(below(8) << 8);
		return;
	}
	*addr_lo = chance(50) ? 0xfee00000 | (uint32_t)below(0x100000)
			      : (uint32_t)interesting();
	*addr_hi = chance(80) ? 0 : (uint32_t)interesting();
	*data = (uint32_t)interesting();
}

/* ---- guest state ------------------------------------------------------- */

static void kseg(struct kvm_segment *s, uint16_t sel, uint8_t type, int db,
		 int l)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = (uint8_t)db;
	s->l = (uint8_t)l;
	s->g = 1;
}

/* Long mode on the tame guest's tables (or 16/32-bit flat). */
static void mode_sregs(struct kvm_sregs *s, int mode)
{
	memset(s, 0, sizeof(*s));
	s->apic_base = 0xfee00900;	/* enabled, BSP */
	s->tr.type = 11;
	s->tr.present = 1;
	s->tr.limit = 0xffff;
	s->ldt.type = 2;
	s->ldt.present = 1;
	s->ldt.limit = 0xffff;
	s->gdt.base = GDT_GPA;
	s->gdt.limit = 39;
	s->idt.base = IDT_GPA;
	s->idt.limit = 4095;
	switch (mode) {
	case 16:
		kseg(&s->cs, 0, 0xb, 0, 0);
		s->cs.limit = 0xffff;
		s->cs.g = 0;
		kseg(&s->ds, 0, 0x3, 0, 0);
		s->ds.limit = 0xffff;
		s->ds.g = 0;
		s->cr0 = 0x10;
		break;
	case 32:
		kseg(&s->cs, 0x18, 0xb, 1, 0);
		kseg(&s->ds, 0x10, 0x3, 1, 0);
		s->cr0 = 0x11;
		break;
	default:
		kseg(&s->cs, 0x08, 0xb, 0, 1);
		kseg(&s->ds, 0x10, 0x3, 1, 0);
		s->cr3 = PT_GPA;
		s->cr4 = 0x20;
		s->cr0 = 0x80000011;
		s->efer = 0x500;
		break;
	}
	s->es = s->fs = s->gs = s->ss = s->ds;
}

static void tame_state(int fd)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	mode_sregs(&s, 64);
	ioctl(fd, KVM_SET_SREGS, &s);
	memset(&r, 0, sizeof(r));
	r.rip = CODE_GPA;
	r.rsp = STACK_GPA;
	r.rflags = 0x202;
	ioctl(fd, KVM_SET_REGS, &r);
}

static int set_region(int fd, uint32_t slot, uint32_t flags, uint64_t gpa,
		      uint64_t size, const void *mem)
{
	struct kvm_userspace_memory_region m = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)mem,
	};

	return ioctl(fd, KVM_SET_USER_MEMORY_REGION, &m);
}

static int set_slot(struct fvm *vm, unsigned int n, uint8_t *mem, size_t size,
		    uint32_t flags)
{
	return set_region(vm->fd, n, flags, vm->slot[n].gpa, size, mem);
}

/* QEMU's split-irqchip table: one MSI route per IOAPIC pin. */
static int qemu_routes(int fd, unsigned int n)
{
	struct kvm_irq_routing *r = (void *)buf;
	unsigned int i;

	memset(buf, 0, 8 + n * sizeof(r->entries[0]));
	r->nr = n;
	for (i = 0; i < n; i++) {
		r->entries[i].gsi = i;
		r->entries[i].type = KVM_IRQ_ROUTING_MSI;
		r->entries[i].u.msi.address_lo = 0xfee00000;
		r->entries[i].u.msi.data = 0x30 + i;
	}
	return ioctl(fd, KVM_SET_GSI_ROUTING, r);
}

/* ---- what a vCPU's exit asks, and the coalesced ring ------------------- */

static uint64_t xs(uint64_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return *st;
}

/* Take the ring's entries as QEMU does, from 'first' to 'last'. */
static void drain_ring(struct kvm_run *run)
{
	struct kvm_coalesced_mmio_ring *ring = (void *)((uint8_t *)run + 2 * PG);
	uint32_t first = __atomic_load_n(&ring->first, __ATOMIC_RELAXED);
	uint32_t last = __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE);
	unsigned int n = 0;

	/* 'last' is the kernel's, 'first' anyone's: a bounded walk. */
	while (first != last && first < RING_MAX && n++ < RING_MAX) {
		volatile struct kvm_coalesced_mmio *c = &ring->coalesced_mmio[first];

		(void)c->phys_addr;
		first = (uint32_t)((first + 1) % RING_MAX);
	}
	if (n) {
		__atomic_store_n(&ring->first, first, __ATOMIC_RELEASE);
		atomic_fetch_add(&ring_entries, n);
	}
}

/* The exits the personality makes (kmod/kvm/vcpu.c). */
static int known_exit(uint32_t r)
{
	switch (r) {
	case KVM_EXIT_IO:
	case KVM_EXIT_MMIO:
	case KVM_EXIT_SHUTDOWN:
	case KVM_EXIT_HLT:
	case KVM_EXIT_FAIL_ENTRY:
	case KVM_EXIT_INTERNAL_ERROR:
	case KVM_EXIT_IOAPIC_EOI:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
		return 1;
	default:
		return 0;
	}
}

/*
 * RUN returned 0: count the exit and give what it asks for (an IN's or
 * an MMIO read's data, random; an interrupt when the window opened).
 * Returns the exit reason. The mapping may have been scribbled on: every
 * offset is checked against it.
 */
static uint32_t answer_exit(int fd, struct kvm_run *run, uint64_t *st)
{
	uint32_t reason = __atomic_load_n(&run->exit_reason, __ATOMIC_RELAXED);

	/* Another reason: someone wrote on kvm_run (op_run checks). */
	atomic_fetch_add(&exits[known_exit(reason) ? reason : 63], 1);
	switch (reason) {
	case KVM_EXIT_INTERNAL_ERROR:
		atomic_fetch_add(&internal[run->internal.suberror < 7 ?
					   run->internal.suberror : 7], 1);
		/* fall through */
	case KVM_EXIT_SHUTDOWN:
	case KVM_EXIT_FAIL_ENTRY:
		/* As QEMU's reset, half of the time: the tame state again. */
		if (xs(st) & 1)
			tame_state(fd);
		break;
	case KVM_EXIT_IO: {
		uint64_t off = run->io.data_offset;
		uint64_t len = (uint64_t)run->io.size * run->io.count;

		if (run->io.direction == KVM_EXIT_IO_IN && len <= RUN_PAGES * PG &&
		    off <= RUN_PAGES * PG - len) {
			uint8_t *p = (uint8_t *)run + off;

			for (uint64_t i = 0; i < len; i++)
				p[i] = (uint8_t)xs(st);
		}
		break;
	}
	case KVM_EXIT_MMIO:
		if (!run->mmio.is_write) {
			uint64_t v = xs(st);

			memcpy(run->mmio.data, &v, 8);
		}
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		if (run->ready_for_interrupt_injection || (xs(st) & 3) == 0) {
			struct kvm_interrupt irq = {
				.irq = tame ? 32 + (uint32_t)(xs(st) % 224)
					    : (uint32_t)(xs(st) % 256),
			};

			ioctl(fd, KVM_INTERRUPT, &irq);
		}
		break;
	default:
		break;
	}
	/* Ask for the window now and then, as QEMU's PIC does. */
	if ((xs(st) & 15) == 0)
		run->request_interrupt_window = !run->request_interrupt_window;
	return reason;
}

static void count_run_error(int err)
{
	if (err == EINTR) {
		atomic_fetch_add(&runs_eintr, 1);
		return;
	}
	atomic_fetch_add(&runs_err, 1);
	atomic_fetch_add(&run_errno[err > 0 && err < 135 ? err : 135], 1);
}

/* QEMU clears immediate_exit once RUN has seen it: so, mostly, do we. */
static void after_eintr(struct kvm_run *run, uint64_t *st)
{
	if (run && run->immediate_exit && (xs(st) & 3))
		run->immediate_exit = 0;
}

/* ---- threads ----------------------------------------------------------- */

static void *runner_main(void *arg)
{
	struct fvcpu *v = arg;
	uint64_t st = v->seed | 1;
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR1,
	};
	struct itimerspec its = {
		{ 0, 1000000 + (long)(st % 8) * 1000000 },
		{ 0, 1000000 + (long)(st % 8) * 1000000 },
	};
	timer_t tm;
	int have_timer;

	block_main_signals();
	/*
	 * Every vCPU ioctl but INTERRUPT and NMI takes the vCPU's mutex, and
	 * RUN holds it until an exit or a signal: a timer ends this thread's
	 * RUN every few ms, so the main thread's ioctls get their turn.
	 */
	sev._sigev_un._tid = gettid();	/* sigev_notify_thread_id */
	have_timer = timer_create(CLOCK_MONOTONIC, &sev, &tm) == 0;
	if (have_timer)
		timer_settime(tm, 0, &its, NULL);
	while (!atomic_load(&v->stop_runner)) {
		if (ioctl(v->runner_fd, KVM_RUN, 0) == 0) {
			if (v->run)
				answer_exit(v->runner_fd, v->run, &st);
		} else {
			int err = errno;

			count_run_error(err);
			if (err == EINTR)
				after_eintr(v->run, &st);
			/* Dead vCPU, closed fd, foreign state: keep trying. */
			if (err != EINTR)
				usleep(200);
		}
		if (v->run)
			drain_ring(v->run);
	}
	if (have_timer)
		timer_delete(tm);
	atomic_store(&v->runner_done, 1);
	return NULL;
}

/* Random bytes on kvm_run (mostly its header and exit), the PIO page and
 * the ring's indexes, while the vCPU runs.
 */
static void *scribbler_main(void *arg)
{
	struct fvcpu *v = arg;
	uint64_t st = (v->seed * 31) | 1;
	uint8_t *p = (uint8_t *)v->run;

	block_main_signals();
	while (!atomic_load(&v->stop_scribbler)) {
		uint64_t x = xs(&st);
		size_t at;

		switch (x & 3) {
		case 0:		/* request_interrupt_window .. the exit union */
			at = (x >> 8) % 96;
			break;
		case 1:		/* the ring's first and last */
			at = 2 * PG + (x >> 8) % 8;
			break;
		default:
			at = (x >> 8) % (RUN_PAGES * PG);
			break;
		}
		p[at] = (uint8_t)(x >> 40);
		if ((x & 0xf0) == 0)
			sched_yield();
	}
	atomic_store(&v->scribbler_done, 1);
	return NULL;
}

/*
 * VM ioctls from a second thread, against the main thread's: the locks
 * of the VM (slots, routes, zones, the split irqchip) taken in every
 * order. Its slots (8..15) and memory are its own; its PRNG too.
 */
static void *hammer_main(void *arg)
{
	struct fhammer *h = arg;
	struct fvm *vm = h->vm;
	uint64_t st = h->seed | 1;
	int fd = h->fd;
	unsigned int op = 0, burst = 0, total = 0;
	uint8_t w[12] = { 6, 6, 6, 1, 6, 6, 3, 3, 1, 4, 1, 6 };
	long r = -1;

	/*
	 * Half of the hammers keep to one to three kinds of ioctl: two of
	 * them then race those kinds against each other all the time.
	 */
	if (st & 2) {
		unsigned int n = 1 + (unsigned int)(st >> 8) % 3;

		memset(w, 0, sizeof(w));
		while (n--)
			w[xs(&st) % 12] = 1;
	}
	/* F-kvmfuzz-1: no ENABLE_CAP, no zones from here (--avoid capzone). */
	if (avoid[AVOID_CAPZONE])
		w[0] = w[1] = w[2] = 0;
	for (unsigned int j = 0; j < 12; j++)
		total += w[j];
	if (!total) {
		w[4] = 1;	/* IRQ_LINE */
		total = 1;
	}
	block_main_signals();
	while (!atomic_load(&h->stop)) {
		uint64_t x = xs(&st);
		unsigned int k = (unsigned int)(x >> 8) % 8;

		/*
		 * The same ioctl 1-32 times, so that two hammers overlap in
		 * kind; the slow ones (each a synchronize_rcu()/_srcu(): GSI
		 * routes, slots, a vCPU) rarely.
		 */
		if (!burst--) {
			unsigned int pick = (unsigned int)(x % total);

			for (op = 0; pick >= w[op]; op++)
				pick -= w[op];
			burst = (unsigned int)(x >> 40) % 32;
		}
		switch (op) {
		case 0: {
			struct kvm_enable_cap c = {
				.cap = KVM_CAP_SPLIT_IRQCHIP,
				.args = { (x >> 16) % 40 },
			};

			r = ioctl(fd, KVM_ENABLE_CAP, &c);
			break;
		}
		case 1:
		case 2: {
			struct kvm_coalesced_mmio_zone z = {
				.addr = (x >> 12) & 1 ? 0x80 : 0xd0000000 + k * PG,
				.size = (x >> 12) & 1 ? 1 + k : PG,
				.pio = (x >> 12) & 1,
			};

			r = ioctl(fd, op == 1 ? KVM_REGISTER_COALESCED_MMIO :
			      KVM_UNREGISTER_COALESCED_MMIO, &z);
			break;
		}
		case 3: {
			struct {
				struct kvm_irq_routing r;
				struct kvm_irq_routing_entry e[8];
			} t;

			memset(&t, 0, sizeof(t));
			t.r.nr = 1 + k;
			for (unsigned int i = 0; i <= k; i++) {
				t.e[i].gsi = (uint32_t)(xs(&st) % 32);
				t.e[i].type = KVM_IRQ_ROUTING_MSI;
				t.e[i].u.msi.address_lo = 0xfee00000;
				t.e[i].u.msi.data = 32 + (uint32_t)(xs(&st) % 224);
			}
			r = ioctl(fd, KVM_SET_GSI_ROUTING, &t);
			break;
		}
		case 4: {
			struct kvm_irq_level l = {
				.irq = (uint32_t)(x >> 16) % 40, .level = 1,
			};

			r = ioctl(fd, x & 0x100 ? KVM_IRQ_LINE : KVM_IRQ_LINE_STATUS, &l);
			break;
		}
		case 5: {
			struct kvm_msi m = {
				.address_lo = 0xfee00000 | (uint32_t)((x >> 20) & 3) << 12,
				.data = 32 + (uint32_t)(x >> 24) % 224,
			};

			r = ioctl(fd, KVM_SIGNAL_MSI, &m);
			break;
		}
		case 6:
			r = ioctl(fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
			break;
		case 7:
			r = ioctl(fd, KVM_CHECK_EXTENSION, (unsigned long)((x >> 16) % 240));
			break;
		case 8:
			r = set_region(fd, HAMMER_SLOT + k, (x >> 12) & 2, HAMMER_GPA + k * 0x100000,
				   (x >> 12) & 1 ? 0 : PG * (1 + (x >> 20) % 16),
				   hammer_mem);
			break;
		case 10: {	/* vCPU ioctls under its mutex, RUN holding it */
			static const unsigned long reads[] = {
				KVM_GET_REGS, KVM_GET_SREGS, KVM_GET_LAPIC,
				KVM_GET_MP_STATE, KVM_GET_FPU,
			};
			uint8_t out[1024];
			int vfd = __atomic_load_n(&vm->vc[k % NVCPU].fd, __ATOMIC_RELAXED);

			r = ioctl(vfd, reads[(x >> 16) % 5], out);
			break;
		}
		case 11: {	/* a vCPU made and its fd closed at once */
			r = ioctl(fd, KVM_CREATE_VCPU, (unsigned long)((x >> 16) % 70));

			if (r >= 0)
				close((int)r);
			break;
		}
		default: {
			int vfd = __atomic_load_n(&vm->vc[k % NVCPU].fd, __ATOMIC_RELAXED);
			struct kvm_interrupt irq = { .irq = 32 + (uint32_t)(x >> 16) % 224 };

			if (x & 0x100)
				r = ioctl(vfd, KVM_NMI, 0);
			else
				r = ioctl(vfd, KVM_INTERRUPT, &irq);
			break;
		}
		}
		atomic_fetch_add(&hammer_ioctls, 1);
		if (r >= 0)
			atomic_fetch_add(&hammer_ok, 1);
		r = -1;
		if ((x & 0xff) == 0)
			sched_yield();
	}
	atomic_store(&h->done, 1);
	return NULL;
}

static void stop_runner(struct fvcpu *v)
{
	if (!v->has_runner)
		return;
	stop_thread(v->runner, &v->stop_runner, &v->runner_done);
	v->has_runner = 0;
}

static void stop_scribbler(struct fvcpu *v)
{
	if (!v->has_scribbler)
		return;
	stop_thread(v->scribbler, &v->stop_scribbler, &v->scribbler_done);
	v->has_scribbler = 0;
}

static void stop_hammer(struct fhammer *h)
{
	if (!h->on)
		return;
	stop_thread(h->th, &h->stop, &h->done);
	close(h->fd);
	h->on = 0;
}

static void start_runner(struct fvcpu *v)
{
	if (v->has_runner || v->fd < 0)
		return;
	atomic_store(&v->stop_runner, 0);
	atomic_store(&v->runner_done, 0);
	v->runner_fd = v->fd;
	v->seed = rnd();
	if (pthread_create(&v->runner, NULL, runner_main, v) == 0)
		v->has_runner = 1;
}

static void start_scribbler(struct fvcpu *v)
{
	if (v->has_scribbler || !v->run)
		return;
	atomic_store(&v->stop_scribbler, 0);
	atomic_store(&v->scribbler_done, 0);
	v->seed = rnd();
	if (pthread_create(&v->scribbler, NULL, scribbler_main, v) == 0)
		v->has_scribbler = 1;
}

static void start_hammer(struct fvm *vm, struct fhammer *h)
{
	if (h->on || vm->fd < 0)
		return;
	atomic_store(&h->stop, 0);
	atomic_store(&h->done, 0);
	h->vm = vm;
	/* Its own reference: the VM outlives the main thread's close. */
	h->fd = dup(vm->fd);
	h->seed = rnd();
	if (h->fd < 0)
		return;
	if (pthread_create(&h->th, NULL, hammer_main, h) == 0)
		h->on = 1;
	else
		close(h->fd);
}

/* ---- object lifetime --------------------------------------------------- */

static void vcpu_free(struct fvcpu *v)
{
	if (!v->live)
		return;
	stop_scribbler(v);
	stop_runner(v);
	if (v->run)
		munmap(v->run, RUN_PAGES * PG);
	if (v->fd >= 0)
		close(v->fd);
	memset(v, 0, sizeof(*v));
	v->fd = -1;
}

static void vm_free(struct fvm *vm)
{
	unsigned int i;

	if (!vm->live)
		return;
	for (i = 0; i < NHAMMER; i++)
		stop_hammer(&vm->hm[i]);
	for (i = 0; i < NVCPU; i++)
		vcpu_free(&vm->vc[i]);
	if (vm->fd >= 0)
		close(vm->fd);
	for (i = 0; i < NSLOT; i++)
		if (vm->slot[i].mem)
			munmap(vm->slot[i].mem, vm->slot[i].size);
	memset(vm, 0, sizeof(*vm));
	vm->fd = -1;
}

/*
 * The tame image, with handlers that end the interrupt in the local APIC
 * before IRET (mov $0xfee000b0,%eax; movl $0,(%rax)): level-triggered
 * MSIs then come back as KVM_EXIT_IOAPIC_EOI.
 */
static void kvm_guest_image(uint8_t *mem)
{
	static const uint8_t eoi_iret[] = {
		0xb8, 0xb0, 0x00, 0xe0, 0xfe, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x48, 0xcf,
	};

	guest_image(mem);
	memcpy(mem + ISR_GPA + 0x20, eoi_iret, sizeof(eoi_iret));
	/* vectors 32-255 (no error code): the EOI handler; 0-31 IRET */
	for (unsigned int i = 32; i < 256; i++) {
		uint64_t h = ISR_GPA + 0x20;

		put64(mem, IDT_GPA + i * 16, (h & 0xffff) | (0x08ULL << 16) |
		      (0x8eULL << 40) | ((h >> 16 & 0xffff) << 48));
	}
}

/* A VM set up as QEMU's split irqchip does it, most of the time. */
static void vm_new(struct fvm *vm)
{
	unsigned int i;

	vm_free(vm);
	vm->fd = ioctl(sys_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		vm->fd = -1;
		return;
	}
	vm->live = 1;
	if (chance(95))
		ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	if (chance(90)) {
		struct kvm_enable_cap c = {
			.cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 },
		};

		ioctl(vm->fd, KVM_ENABLE_CAP, &c);
	}
	for (i = 0; i < NSLOT; i++)
		vm->slot[i].gpa = i ? XSLOT_GPA + (i - 1) * 0x100000ULL : 0;
	vm->slot[0].mem = anon(RAM_SIZE);
	if (vm->slot[0].mem) {
		vm->slot[0].size = RAM_SIZE;
		kvm_guest_image(vm->slot[0].mem);
		vm->slot[0].registered =
			set_slot(vm, 0, vm->slot[0].mem, RAM_SIZE, 0) == 0;
	}
	if (chance(70))
		qemu_routes(vm->fd, 24);
	for (i = 0; i < NVCPU; i++)
		vm->vc[i].fd = -1;
}

static void vcpu_new(struct fvm *vm, struct fvcpu *v)
{
	vcpu_free(v);
	v->id = chance(95) ? vm->next_id : (uint32_t)below(70);
	v->fd = (int)ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)v->id);
	vm->next_id = (vm->next_id + 1) % 64;
	if (v->fd < 0) {
		v->fd = -1;
		return;
	}
	v->live = 1;
	if (chance(90)) {
		void *p = mmap(NULL, RUN_PAGES * PG, PROT_READ | PROT_WRITE,
			       MAP_SHARED, v->fd, 0);

		v->run = p == MAP_FAILED ? NULL : p;
	}
	if (chance(80) && supported)
		ioctl(v->fd, KVM_SET_CPUID2, supported);
	tame_state(v->fd);
	/* An AP waits for INIT/SIPI (KVM's UNINITIALIZED): mostly not. */
	if (v->id && chance(85)) {
		struct kvm_mp_state m = { .mp_state = KVM_MP_STATE_RUNNABLE };

		ioctl(v->fd, KVM_SET_MP_STATE, &m);
	}
}

/* ---- the operations ---------------------------------------------------- */

static void op_sys(void)
{
	int fd = pick_fd(K_SYS);
	long r;

	switch (below(7)) {
	case 0:
		note("GET_API_VERSION fd %d", fd);
		xioctl(fd, KVM_GET_API_VERSION, chance(80) ? 0 : interesting());
		break;
	case 1: {
		unsigned long cap = chance(80) ? below(260) : interesting();

		note("CHECK_EXTENSION fd %d cap %#lx", fd, cap);
		xioctl(fd, KVM_CHECK_EXTENSION, cap);
		break;
	}
	case 2: {	/* the E2BIG protocol, at and past the count */
		struct kvm_msr_list *l = (void *)buf;
		int feat = chance(20);

		memset(buf, 0, 1024);
		l->nmsrs = chance(60) ? nmsr_list + (uint32_t)below(3) - 1
				      : (uint32_t)interesting();
		note("GET_MSR_%sINDEX_LIST fd %d nmsrs %u", feat ? "FEATURE_" : "", fd,
		     l->nmsrs);
		xioctl(fd, feat ? KVM_GET_MSR_FEATURE_INDEX_LIST : KVM_GET_MSR_INDEX_LIST,
		       (uintptr_t)(chance(85) ? (void *)buf : pick_ptr(4)));
		break;
	}
	case 3: {
		struct kvm_cpuid2 *c = (void *)buf;
		uint32_t n = supported ? supported->nent : 64;

		memset(buf, 0, 64);
		c->nent = chance(60) ? n + (uint32_t)below(3) - 1
				     : chance(50) ? (uint32_t)below(600)
						  : (uint32_t)interesting();
		if (chance(10))
			c->padding = (uint32_t)rnd();
		note("GET_SUPPORTED_CPUID fd %d nent %u", fd, c->nent);
		xioctl(fd, KVM_GET_SUPPORTED_CPUID,
		       (uintptr_t)(chance(85) ? (void *)buf : pick_ptr(8)));
		break;
	}
	case 4: {
		unsigned long arg = chance(80) ? 0 : interesting();

		note("CREATE_VM fd %d type %#lx (closed at once)", fd, arg);
		r = xioctl(fd, KVM_CREATE_VM, arg);
		if (r >= 0)
			close((int)r);
		break;
	}
	case 5:
		note("GET_VCPU_MMAP_SIZE fd %d", fd);
		xioctl(fd, KVM_GET_VCPU_MMAP_SIZE, chance(80) ? 0 : interesting());
		break;
	default: {
		int f = open("/dev/plumb-kvm", chance(80) ? O_RDWR : O_RDONLY);

		note("open /dev/plumb-kvm, CREATE_VM on it, close");
		if (f >= 0) {
			int first = chance(50);

			r = xioctl(f, KVM_CREATE_VM, 0);
			if (first)
				close(f);
			if (r >= 0)
				close((int)r);
			if (!first)
				close(f);
		}
		break;
	}
	}
}

static const unsigned int known_sizes[] = {
	0, 4, 8, 16, 24, 32, 40, 48, 64, 104, 112, 128, 144, 312, 320, 392,
	416, 520, 1024, 4096,
};

/*
 * An Appendix A request, or any of type KVMIO (or plumb's): on any fd,
 * with a buffer of zeros and random words, or a hostile pointer.
 */
static void op_raw(void)
{
	unsigned int nr, kind, size, dir, type = KVMIO;
	unsigned long req, arg;
	int fd, known = chance(60);
	long r;

	if (known) {
		const struct kioc *k = &kiocs[below(NKIOC)];

		req = k->nr;
		kind = k->kind;
		/*
		 * RUN: the run class bounds it; state ioctls make wild guests;
		 * random segment attributes abort QEMU (F-fuzz-3).
		 */
		if (req == KVM_RUN || (tame && k->state) ||
		    (avoid[AVOID_SREGS] && (req == KVM_SET_SREGS || req == KVM_SET_REGS))) {
			req = KVM_GET_REGS;
			kind = K_VCPU;
		}
		/* Now and then the same number with another size or direction. */
		if (chance(10))
			req = _IOC(below(4), _IOC_TYPE(req), _IOC_NR(req),
				   known_sizes[below(sizeof(known_sizes) / sizeof(known_sizes[0]))]);
	} else {
		nr = (unsigned int)below(256);
		size = chance(50) ? known_sizes[below(sizeof(known_sizes) / sizeof(known_sizes[0]))]
				  : (unsigned int)below(1U << 14);
		dir = (unsigned int)below(4);
		if (chance(10))
			type = chance(50) ? PLUMBIO : (unsigned int)below(256);
		req = _IOC(dir, type, nr, size);
		/* Not RUN, nor the ioctls that make wild guests in tame mode. */
		for (unsigned int i = 0; i < NKIOC; i++)
			if (_IOC_TYPE(req) == KVMIO && _IOC_NR(req) == _IOC_NR(kiocs[i].nr) &&
			    (kiocs[i].nr == KVM_RUN || (tame && kiocs[i].state) ||
			     (avoid[AVOID_SREGS] && (kiocs[i].nr == KVM_SET_SREGS ||
						      kiocs[i].nr == KVM_SET_REGS))))
				req = _IOC(dir, KVMIO, 0xf0 + (unsigned int)below(16), size);
		if (type == PLUMBIO && (nr == 0x80 || (tame && nr >= 0x80)))
			req = _IOC(dir, PLUMBIO, 0xc0 + (unsigned int)below(64), size);
		kind = (unsigned int)below(3);
	}
	fd = pick_fd((int)kind);
	for (size_t i = 0; i < 4096 + 512; i += 8) {
		uint64_t v = chance(70) ? 0 : interesting();

		memcpy(buf + i, &v, 8);
	}
	size = _IOC_SIZE(req);
	if (_IOC_DIR(req) == _IOC_NONE)
		arg = chance(50) ? below(4) : interesting();
	else if (size + 4096 + 8 > BUF_SIZE)
		arg = 0;
	else
		arg = (uintptr_t)(chance(85) ? (void *)buf : pick_ptr(size));
	/*
	 * A memory region never points at our own memory (a guest writing
	 * into the fuzzer would only break the fuzzer): userspace_addr (at
	 * 24, in KVM's struct and plumb's) is 0 or the big reservation; in
	 * tame mode never slot 0.
	 */
	if ((_IOC_TYPE(req) == KVMIO &&
	     _IOC_NR(req) == _IOC_NR(KVM_SET_USER_MEMORY_REGION)) ||
	    (_IOC_TYPE(req) == PLUMBIO && _IOC_NR(req) == 0x40)) {
		uint64_t ua = chance(50) ? 0 : (uintptr_t)big_area;

		memcpy(buf + 24, &ua, 8);
		if (tame) {
			uint32_t s = NSLOT + (uint32_t)below(40);

			memcpy(buf, &s, 4);
		}
	}
	note("raw ioctl fd %d req %#lx arg %#lx", fd, req, arg);
	r = xioctl(fd, req, arg);
	/* A CREATE_VM or CREATE_VCPU that worked gave an fd. */
	if (r > 2 && (req == KVM_CREATE_VM || req == KVM_CREATE_VCPU ||
		      req == PLUMB_CREATE_VM || req == PLUMB_CREATE_VCPU))
		close((int)r);
}

static void op_vm(void)
{
	struct fvm *vm = pick_vm();
	int fd = pick_fd(K_VM);

	if (!vm || !chance(85)) {
		if (vm && vm->fd < 0) {
			note("new VM in place of a closed one");
			vm_new(vm);
			return;
		}
		if (!vm) {
			note("new VM");
			vm_new(&vms[below(NVM)]);
			return;
		}
	}
	switch (below(7)) {
	case 0: {
		struct kvm_enable_cap c = {
			.cap = chance(60) ? KVM_CAP_SPLIT_IRQCHIP : (uint32_t)below(240),
			.args = { chance(60) ? 24 : interesting() },
		};

		if (chance(30))
			mutate(&c, sizeof(c));
		note("ENABLE_CAP fd %d cap %u args[0] %#llx flags %#x", fd, c.cap,
		     (unsigned long long)c.args[0], c.flags);
		xioctl(fd, KVM_ENABLE_CAP, (uintptr_t)(chance(95) ? (void *)&c : pick_ptr(sizeof(c))));
		break;
	}
	case 1: {
		unsigned long id = chance(80) ? below(70) : interesting();
		long r;

		note("CREATE_VCPU fd %d id %#lx (closed at once)", fd, id);
		r = xioctl(fd, KVM_CREATE_VCPU, id);
		if (r >= 0)
			close((int)r);
		break;
	}
	case 2: {
		unsigned long a = chance(50) ? 0xfffbd000UL : interesting();

		note("SET_TSS_ADDR fd %d %#lx", fd, a);
		xioctl(fd, KVM_SET_TSS_ADDR, a);
		break;
	}
	case 3: {	/* what the personality leaves out: refused cleanly */
		static const unsigned long absent[] = {
			KVM_CREATE_IRQCHIP, KVM_GET_IRQCHIP, KVM_SET_IRQCHIP,
			KVM_CREATE_PIT2, KVM_GET_PIT2, KVM_SET_PIT2, KVM_IRQFD,
			KVM_IOEVENTFD, KVM_GET_CLOCK, KVM_SET_CLOCK,
			KVM_SET_IDENTITY_MAP_ADDR,
			KVM_REINJECT_CONTROL,
		};
		unsigned long req = absent[below(sizeof(absent) / sizeof(absent[0]))];

		memset(buf, 0, 1024);
		if (req == KVM_IRQFD || req == KVM_IOEVENTFD)
			memcpy(buf + (req == KVM_IRQFD ? 0 : 20), &ev_fd, 4);
		maybe_mutate(buf, 128);
		note("absent VM ioctl fd %d req %#lx", fd, req);
		xioctl(fd, req, _IOC_DIR(req) == _IOC_NONE ? 0 : (uintptr_t)buf);
		break;
	}
	case 4: {
		struct fvcpu *v;

		if (vm->fd < 0)
			break;
		v = &vm->vc[below(NVCPU)];
		if (v->live)
			break;
		note("new vCPU id %u", vm->next_id);
		vcpu_new(vm, v);
		break;
	}
	case 5:
		note("CHECK_EXTENSION on VM fd %d", fd);
		xioctl(fd, KVM_CHECK_EXTENSION, chance(80) ? below(240) : interesting());
		break;
	default:
		note("new VM");
		vm_new(vm);
		break;
	}
}

static void op_slots(void)
{
	struct fvm *vm = pick_vm();
	unsigned int n;
	struct fslot *s;

	if (!vm)
		return;
	n = tame ? 1 + (unsigned int)below(NSLOT - 1) : (unsigned int)below(NSLOT);
	s = &vm->slot[n];
	switch (below(9)) {
	case 0:
	case 1: {	/* add or replace with fresh memory */
		size_t size = n ? 0x1000 * (1 + below(64)) : RAM_SIZE;
		uint8_t *m = anon(size), *old = s->mem;
		size_t old_size = s->size;
		uint32_t flags = chance(20) ? KVM_MEM_READONLY : 0;

		if (!m)
			break;
		if (!n && old && mprotect(old, RAM_SIZE, PROT_READ) == 0)
			memcpy(m, old, RAM_SIZE);
		else if (!n)
			kvm_guest_image(m);
		else
			memset(m, (int)below(256), size);
		note("slot %u: %s with %zu bytes flags %#x", n,
		     s->registered ? "replace" : "add", size, flags);
		if (set_slot(vm, n, m, size, flags) == 0) {
			slot_ok++;
			s->registered = 1;
			s->mem = m;
			s->size = size;
			/* The old memory goes while vCPUs may still run. */
			if (old)
				munmap(old, old_size);
		} else {
			munmap(m, size);
		}
		break;
	}
	case 2:		/* delete */
		note("slot %u: delete", n);
		if (set_slot(vm, n, NULL, 0, 0) == 0) {
			slot_ok++;
			s->registered = 0;
		}
		break;
	case 3: {	/* mutated region, on our own memory, none, or big */
		struct kvm_userspace_memory_region m = {
			.slot = n, .guest_phys_addr = s->gpa,
			.memory_size = s->size, .userspace_addr = (uintptr_t)s->mem,
		};

		/* slot (and its address space) and flags */
		if (chance(50))
			mutate(&m, 8);
		switch (below(12)) {
		case 0:
			m.userspace_addr += 1 + below(0xfff);
			break;
		case 1:
			m.userspace_addr = chance(50) ? 0xffff888000000000ULL : 0x0000800000000000ULL;
			break;
		case 2:
			m.userspace_addr = (uintptr_t)guard_page;
			m.memory_size = 0x1000;
			break;
		case 3:
			m.memory_size = chance(50) ? 1 + below(0xffff) : 0;
			break;
		case 4:	/* huge: past 8 TiB, 2^52, wrapping */
			m.memory_size = chance(50) ? 1ULL << (43 + below(10)) : ~0xfffULL;
			break;
		case 5:
			m.guest_phys_addr = chance(50) ? ~0xfffULL : 1ULL << (48 + below(6));
			break;
		case 6:
			m.guest_phys_addr = chance(50) ? 0xfee00000 : 0xfffff000;
			break;
		case 7:
			m.guest_phys_addr += 1 + below(0xfff);
			break;
		case 8:	/* over another slot */
			m.guest_phys_addr = vm->slot[below(NSLOT)].gpa +
					    (chance(50) ? 0 : 0x1000 * below(16));
			break;
		case 9:	/* big, from the reservation (PROT_NONE or not) */
			m.guest_phys_addr = BIG_GPA + (chance(50) ? 0 : BIG_SIZE * below(4));
			m.memory_size = 0x1000ULL << below(19);
			m.userspace_addr = (uintptr_t)big_area;
			break;
		case 10:	/* another address space, a slot past the limit */
			m.slot = (uint32_t)(below(4) << 16) | (uint32_t)below((uint64_t)nr_memslots + 8);
			break;
		default:
			m.flags = chance(50) ? KVM_MEM_LOG_DIRTY_PAGES : (uint32_t)rnd();
			break;
		}
		if (tame && (m.slot & 0xffff) == 0)
			m.slot = NSLOT + (uint32_t)below(40);
		note("SET_USER_MEMORY_REGION mutated slot %#x gpa %#llx size %#llx ua %#llx flags %#x",
		     m.slot, (unsigned long long)m.guest_phys_addr,
		     (unsigned long long)m.memory_size,
		     (unsigned long long)m.userspace_addr, m.flags);
		if (xioctl(pick_fd(K_VM), KVM_SET_USER_MEMORY_REGION,
			   (uintptr_t)(chance(95) ? (void *)&m : pick_ptr(sizeof(m)))) == 0)
			slot_ok++;
		/* Whatever happened to our slots, we no longer know: forget. */
		if (m.slot < NSLOT && !(tame && m.slot == 0))
			vm->slot[m.slot].registered = 1;
		break;
	}
	case 4:		/* unmap the memory under the slot */
		if (!s->mem || (tame && !n))
			break;
		note("slot %u: munmap its %zu bytes (slot stays)", n, s->size);
		munmap(s->mem, s->size);
		s->mem = NULL;
		s->size = 0;
		break;
	case 5:
		if (!s->mem || (tame && !n))
			break;
		note("slot %u: mprotect read-only / none", n);
		mprotect(s->mem, s->size, chance(50) ? PROT_READ : PROT_NONE);
		break;
	case 6:
		if (!s->mem || (tame && !n))
			break;
		note("slot %u: madvise DONTNEED", n);
		madvise(s->mem, s->size, MADV_DONTNEED);
		break;
	case 7:
		note("big reservation: %s", big_area ? "flip protection" : "none");
		if (big_area)
			mprotect(big_area, BIG_SIZE, chance(50) ? PROT_NONE : PROT_READ | PROT_WRITE);
		break;
	default:
		if (!s->mem)
			break;
		note("slot %u: mprotect read-write again", n);
		mprotect(s->mem, s->size, PROT_READ | PROT_WRITE);
		break;
	}
}

static void op_irq(void)
{
	int fd = pick_fd(K_VM);

	switch (below(4)) {
	case 0: {	/* a routing table */
		struct kvm_irq_routing *r = (void *)buf;
		uint32_t n, i, room = (BUF_SIZE - 8) / sizeof(r->entries[0]);

		switch (below(5)) {
		case 0:
			n = 24;
			break;
		case 1:
			n = (uint32_t)below(64);
			break;
		case 2:	/* at and past the limit */
			n = (uint32_t)max_routes + (uint32_t)below(3) - 1;
			break;
		case 3:
			n = (uint32_t)interesting();
			break;
		default:
			n = (uint32_t)below(room);
			break;
		}
		memset(buf, 0, BUF_SIZE);
		r->nr = n;
		for (i = 0; i < n && i < room; i++) {
			struct kvm_irq_routing_entry *e = &r->entries[i];

			e->gsi = chance(80) ? (uint32_t)below(32) : (uint32_t)interesting();
			e->type = KVM_IRQ_ROUTING_MSI;
			msi_words(&e->u.msi.address_lo, &e->u.msi.address_hi, &e->u.msi.data);
			if (!tame && chance(3))
				mutate(e, sizeof(*e));
			if (chance(2))
				e->type = (uint32_t)below(6);	/* IRQCHIP, S390, HV... */
		}
		if (chance(3))
			r->flags = (uint32_t)rnd();
		note("SET_GSI_ROUTING fd %d nr %u", fd, n);
		/* Past the room: the entries run into the PROT_NONE page. */
		xioctl(fd, KVM_SET_GSI_ROUTING, (uintptr_t)(chance(95) ? (void *)r : pick_ptr(8)));
		break;
	}
	case 1: {	/* IRQ_LINE(_STATUS), one or a storm */
		unsigned int n = chance(70) ? 1 : 1 + (unsigned int)below(300), i;
		int status = chance(50);

		note("IRQ_LINE%s fd %d x %u", status ? "_STATUS" : "", fd, n);
		for (i = 0; i < n; i++) {
			struct kvm_irq_level l = {
				.irq = chance(80) ? (uint32_t)below(40)
						  : (uint32_t)interesting(),
				.level = chance(80) ? (uint32_t)below(2)
						    : (uint32_t)interesting(),
			};

			xioctl(fd, status ? KVM_IRQ_LINE_STATUS : KVM_IRQ_LINE,
			       (uintptr_t)(chance(98) ? (void *)&l : pick_ptr(sizeof(l))));
		}
		break;
	}
	default: {	/* SIGNAL_MSI, one or a storm */
		unsigned int n = chance(70) ? 1 : 1 + (unsigned int)below(300), i;

		note("SIGNAL_MSI fd %d x %u", fd, n);
		for (i = 0; i < n; i++) {
			struct kvm_msi m = {};

			msi_words(&m.address_lo, &m.address_hi, &m.data);
			if (chance(5))
				m.flags = chance(50) ? KVM_MSI_VALID_DEVID : (uint32_t)rnd();
			if (chance(5))
				m.devid = (uint32_t)rnd();
			if (chance(3))
				m.pad[below(12)] = (uint8_t)rnd();
			xioctl(fd, KVM_SIGNAL_MSI,
			       (uintptr_t)(chance(98) ? (void *)&m : pick_ptr(sizeof(m))));
		}
		break;
	}
	}
}

static void op_zones(void)
{
	struct kvm_coalesced_mmio_zone z = {};
	int fd = pick_fd(K_VM), reg = chance(60), n, i;

	switch (below(8)) {
	case 0:	/* the tame loop's port: its OUTs go into the ring */
		z.addr = 0x80;
		z.size = 1 + below(4);
		z.pio = 1;
		break;
	case 1:	/* guest RAM, the APIC page */
		z.addr = chance(50) ? 0xfee00000 : 0x1000 * below(1024);
		z.size = 0x1000 * (1 + below(4));
		break;
	case 2:	/* ports past 64 KiB, wrapping, empty */
		z.pio = 1;
		z.addr = 0xfff0 + below(32);
		z.size = below(64);
		break;
	case 3:
		z.addr = interesting();
		z.size = interesting();
		z.pio = (uint32_t)below(2);
		break;
	case 4:	/* a bad pio word (it is also the pad) */
		z.addr = 0xd0000000;
		z.size = 0x1000;
		z.pio = chance(50) ? 2 : (uint32_t)rnd();
		break;
	case 5:	/* unregister everything: one zone over all of them */
		z.addr = 0;
		z.size = chance(50) ? ~0ULL : 1ULL << 63;
		z.pio = (uint32_t)below(2);
		reg = 0;
		break;
	default:	/* overlapping MMIO zones near each other */
		z.addr = 0xd0000000 + 0x800 * below(8);
		z.size = 0x800 * (1 + below(4));
		break;
	}
	/* Past the limit: the same kind of zone, shifted, many times. */
	n = chance(10) ? 20 : 1;
	note("%sREGISTER_COALESCED_MMIO fd %d addr %#llx size %#llx pio %u x %d",
	     reg ? "" : "UN", fd, (unsigned long long)z.addr,
	     (unsigned long long)z.size, z.pio, n);
	for (i = 0; i < n; i++) {
		xioctl(fd, reg ? KVM_REGISTER_COALESCED_MMIO : KVM_UNREGISTER_COALESCED_MMIO,
		       (uintptr_t)(chance(97) ? (void *)&z : pick_ptr(sizeof(z))));
		z.addr += z.pio ? 1 : 0x1000;
	}
}

static void op_run(void)
{
	struct fvm *vm;
	struct fvcpu *v = pick_vcpu(&vm);

	if (!v) {
		vm = pick_vm();
		if (vm && vm->fd >= 0) {
			note("new vCPU for RUN");
			vcpu_new(vm, &vm->vc[below(NVCPU)]);
		}
		return;
	}
	switch (below(4)) {
	case 0:
		note("runner thread %s on vCPU %u fd %d", v->has_runner ? "stop" : "start",
		     v->id, v->fd);
		if (v->has_runner)
			stop_runner(v);
		else
			start_runner(v);
		break;
	default: {
		struct itimerval it = { { 0, 1000 }, { 0, 200 + below(2000) } };
		uint64_t st = rnd() | 1;
		int imm = v->run && chance(15);
		int alone = !v->has_runner && !v->has_scribbler;
		sigset_t s;
		long r;

		note("RUN vCPU %u fd %d from main (immediate_exit %d)", v->id, v->fd, imm);
		if (imm)
			v->run->immediate_exit = 1;
		if (v->run && chance(10))
			v->run->request_interrupt_window = 1;
		sigemptyset(&s);
		sigaddset(&s, SIGALRM);
		setitimer(ITIMER_REAL, &it, NULL);
		pthread_sigmask(SIG_UNBLOCK, &s, NULL);
		r = ioctl(v->fd, KVM_RUN, chance(95) ? 0 : interesting());
		pthread_sigmask(SIG_BLOCK, &s, NULL);
		memset(&it, 0, sizeof(it));
		setitimer(ITIMER_REAL, &it, NULL);
		if (r == 0 && v->run) {
			uint32_t reason = answer_exit(v->fd, v->run, &st);

			/* Only this thread wrote on kvm_run: the reason is the kernel's. */
			if (alone && !known_exit(reason)) {
				printf("FAIL: op %" PRIu64 ": RUN gave exit reason %u\n",
				       op_no, reason);
				bad_exits++;
			}
		} else if (r < 0) {
			int err = errno;

			count_run_error(err);
			if (err == EINTR)
				after_eintr(v->run, &st);
		}
		if (v->run) {
			if (imm)
				v->run->immediate_exit = 0;
			if (!v->has_runner)
				drain_ring(v->run);
		}
		break;
	}
	}
}

static void op_kvmrun(void)
{
	struct fvcpu *v = pick_vcpu(NULL);
	uint8_t *p;

	if (!v || !v->run)
		return;
	p = (uint8_t *)v->run;
	switch (below(8)) {
	case 0:
		note("scribbler thread %s on vCPU %u", v->has_scribbler ? "stop" : "start", v->id);
		if (v->has_scribbler)
			stop_scribbler(v);
		else
			start_scribbler(v);
		break;
	case 1:
		note("kvm_run: immediate_exit / request_interrupt_window");
		v->run->immediate_exit = (uint8_t)(chance(70) ? below(2) : rnd());
		v->run->request_interrupt_window = (uint8_t)(chance(70) ? below(2) : rnd());
		break;
	case 2: {	/* the exit: the reason and the io/mmio fields */
		uint64_t val = interesting();
		size_t at = 8 + below(64 - 8);

		note("kvm_run: 8 bytes at %#zx = %#llx", at, (unsigned long long)val);
		memcpy(p + at, &val, 8);
		break;
	}
	case 3:
		note("kvm_run: io.data_offset, size, count");
		v->run->io.data_offset = chance(50) ? PG * below(6) + below(2) * (PG - 1)
						    : interesting();
		v->run->io.size = (uint8_t)below(9);
		v->run->io.count = (uint32_t)(chance(50) ? below(5000) : interesting());
		break;
	case 4: {	/* the coalesced ring's indexes */
		struct kvm_coalesced_mmio_ring *ring = (void *)(p + 2 * PG);
		uint32_t val = chance(60) ? (uint32_t)(RING_MAX + below(3) - 1)
					  : (uint32_t)interesting();

		note("ring: %s = %#x", chance(50) ? "first" : "last", val);
		if (chance(50))
			ring->first = val;
		else
			ring->last = val;
		break;
	}
	case 5: {	/* the PIO page */
		size_t at = PG + below(PG - 8);
		uint64_t val = rnd();

		note("PIO page: 8 bytes at %#zx", at);
		memcpy(p + at, &val, 8);
		break;
	}
	case 6: {	/* anywhere in the three pages */
		size_t at = below(RUN_PAGES * PG - 8);
		uint64_t val = interesting();

		note("kvm_run pages: 8 bytes at %#zx = %#llx", at, (unsigned long long)val);
		memcpy(p + at, &val, 8);
		break;
	}
	default:
		note("kvm_run: back to zeros but the exit");
		v->run->immediate_exit = 0;
		v->run->request_interrupt_window = 0;
		break;
	}
}

/* Close a VM's fds and mappings in a random order while its vCPUs run. */
static void close_all_shuffled(struct fvm *vm)
{
	int order[1 + 2 * NVCPU], n = 0, i;

	for (i = 0; i < NVCPU; i++) {
		stop_scribbler(&vm->vc[i]);
		order[n++] = 2 * i;		/* vCPU i's fd */
		order[n++] = 2 * i + 1;		/* vCPU i's mapping */
	}
	order[n++] = -1;			/* the VM's fd */
	for (i = n - 1; i > 0; i--) {
		int j = (int)below((uint64_t)i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++) {
		struct fvcpu *v = order[i] < 0 ? NULL : &vm->vc[order[i] / 2];

		if (!v) {
			if (vm->fd >= 0)
				close(vm->fd);
			vm->fd = -1;
		} else if (order[i] & 1) {
			/* A runner answers exits on the mapping: stop it. */
			if (v->run) {
				stop_runner(v);
				munmap(v->run, RUN_PAGES * PG);
				v->run = NULL;
			}
		} else if (v->fd >= 0) {
			close(v->fd);
			v->fd = -1;
		}
	}
}

static void op_close(void)
{
	struct fvm *vm = pick_vm();
	struct fvcpu *v;

	switch (below(6)) {
	case 0:
		v = pick_vcpu(NULL);
		if (!v || v->fd < 0)
			break;
		/* The runner keeps the number: RUN on whatever reuses it. */
		note("close vCPU %u fd %d (runner %d)", v->id, v->fd, v->has_runner);
		close(v->fd);
		v->fd = -1;
		break;
	case 1:
		if (!vm || vm->fd < 0)
			break;
		note("close VM fd %d (its vCPUs go on)", vm->fd);
		close(vm->fd);
		vm->fd = -1;
		break;
	case 2:
		v = pick_vcpu(NULL);
		if (!v || !v->run || v->has_runner || v->has_scribbler)
			break;
		note("munmap vCPU %u's kvm_run", v->id);
		munmap(v->run, RUN_PAGES * PG);
		v->run = NULL;
		break;
	case 3:
		v = pick_vcpu(NULL);
		if (!v)
			break;
		note("free vCPU %u", v->id);
		vcpu_free(v);
		break;
	case 4:
		if (!vm)
			break;
		note("close all of a VM's fds and mappings in a random order");
		close_all_shuffled(vm);
		break;
	default:
		vm = &vms[below(NVM)];
		note("destroy VM, make a new one");
		vm_new(vm);
		break;
	}
}

/*
 * A child with copies of every fd and of the kvm_run mappings: each ioctl
 * and mmap is the parent's VM's, refused; its writes on the inherited
 * mappings reach the parent's kvm_run.
 */
static void op_fork(void)
{
	uint64_t child_seed = rnd();
	pid_t pid;
	int st;

	note("fork, child seed %#llx", (unsigned long long)child_seed);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		unsigned int i;
		struct fvcpu *v;

		struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
		sigset_t s;

		/* Whatever the child runs (a VM of its own too) ends in 2 ms. */
		sigemptyset(&s);
		sigaddset(&s, SIGALRM);
		pthread_sigmask(SIG_UNBLOCK, &s, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
		rng = child_seed | 1;
		trace_from = -1;
		/* Only this thread came along: no helper to stop here. */
		for (i = 0; i < NVM; i++) {
			for (unsigned int j = 0; j < NHAMMER; j++)
				vms[i].hm[j].on = 0;
			for (unsigned int j = 0; j < NVCPU; j++)
				vms[i].vc[j].has_runner = vms[i].vc[j].has_scribbler = 0;
		}
		for (i = 0; i < 30; i++) {
			switch (below(8)) {
			case 0:
				v = pick_vcpu(NULL);
				if (v)
					ioctl(v->fd, KVM_RUN, 0);
				break;
			case 1:
				v = pick_vcpu(NULL);
				if (v)
					ioctl(v->fd, KVM_GET_REGS, buf);
				break;
			case 2:
				op_slots();
				break;
			case 3:
				v = pick_vcpu(NULL);
				if (v) {
					void *p = mmap(NULL, RUN_PAGES * PG,
						       PROT_READ | PROT_WRITE,
						       MAP_SHARED, v->fd, 0);

					if (p != MAP_FAILED)
						((volatile uint32_t *)p)[0] = 0;
				}
				break;
			case 4:
				v = pick_vcpu(NULL);
				if (v && v->run) {	/* the inherited mapping */
					v->run->immediate_exit = (uint8_t)rnd();
					v->run->request_interrupt_window = (uint8_t)rnd();
					((volatile uint32_t *)v->run)[2 * PG / 4] = (uint32_t)rnd();
				}
				break;
			case 5:
				op_raw();
				break;
			case 6:
				op_irq();
				break;
			default:
				op_vm();
				break;
			}
		}
		_exit(0);
	}
	if (pid > 0) {
		forks++;
		waitpid(pid, &st, 0);
	}
}

static void rnd_seg(struct kvm_segment *g)
{
	uint64_t x = rnd();

	g->selector = chance(50) ? (uint16_t)(8 * below(5)) : (uint16_t)x;
	g->base = chance(70) ? 0 : interesting();
	g->limit = chance(50) ? 0xffffffff : (uint32_t)interesting();
	/* F-fuzz-3: QEMU aborts on attributes no descriptor could give. */
	if (avoid[AVOID_SREGS]) {
		g->selector &= ~7;
		return;
	}
	g->type = (x >> 20) & 15;
	g->present = (x >> 24) & 1;
	g->dpl = (x >> 25) & 3;
	g->db = (x >> 27) & 1;
	g->s = (x >> 28) & 1;
	g->l = (x >> 29) & 1;
	g->g = (x >> 30) & 1;
	g->avl = (x >> 31) & 1;
	g->unusable = chance(20);
	g->padding = chance(95) ? 0 : (uint8_t)x;
}

static void op_regs(void)
{
	struct fvcpu *v = pick_vcpu(NULL);
	struct kvm_regs r;
	int fd = v ? v->fd : pick_fd(K_VCPU);

	if (v && !chance(90))
		fd = pick_fd(K_VCPU);
	if (chance(30)) {
		note("GET_REGS fd %d", fd);
		xioctl(fd, KVM_GET_REGS, (uintptr_t)(chance(80) ? (void *)&r : pick_ptr(sizeof(r))));
		return;
	}
	if (ioctl(fd, KVM_GET_REGS, &r))
		memset(&r, 0, sizeof(r));
	switch (below(4)) {
	case 0:	/* into the random code */
		r.rip = WILD_GPA + below(0x4000);
		break;
	case 1:
		r.rip = chance(50) ? CODE_GPA : interesting();
		break;
	case 2: {
		__u64 *g = &r.rax;

		for (unsigned int i = 0; i < 16; i++)
			g[i] = interesting();
		break;
	}
	default:
		break;
	}
	r.rsp = chance(70) ? STACK_GPA - 8 * below(64) : interesting();
	r.rflags = chance(60) ? 0x202 : (interesting() | 2);
	if (chance(10))
		maybe_mutate(&r, sizeof(r));
	if (avoid[AVOID_SREGS])	/* no virtual-8086 mode */
		r.rflags &= ~(1ULL << 17);
	note("SET_REGS fd %d rip %#llx rflags %#llx", fd,
	     (unsigned long long)r.rip, (unsigned long long)r.rflags);
	xioctl(fd, KVM_SET_REGS, (uintptr_t)(chance(95) ? (void *)&r : pick_ptr(sizeof(r))));
}

/*
 * --avoid sregs: control registers a mode switch into @mode could leave,
 * EFER.LME only with paging (F-fuzz-4: QEMU's #VMEXIT keeps the guest's
 * CR0 when the guest has EFER.LME without CR0.PG and CR4.PAE).
 */
static void mode_crs(struct kvm_sregs *s, int mode)
{
	static const uint64_t cr0_16[] = { 0x10, 0x60000010, 0x30 };
	static const uint64_t cr0_32[] = { 0x11, 0x60000011, 0x80000011, 0x31 };
	static const uint64_t cr0_64[] = { 0x80000011, 0x80050033, 0xe0000011 };
	static const uint64_t efer_64[] = { 0x500, 0xd01, 0x501, 0x900 | 0x400 };

	switch (mode) {
	case 16:
		s->cr0 = cr0_16[below(3)];
		s->efer = chance(50) ? 0 : 0x800;
		s->cr4 = below(0x800000) & ~0x20ULL;
		break;
	case 32:
		s->cr0 = cr0_32[below(4)];
		s->efer = chance(50) ? 0 : 0x800;
		s->cr4 = below(0x800000) & ~0x20ULL;
		break;
	default:
		s->cr0 = cr0_64[below(3)];
		s->efer = efer_64[below(4)];
		s->cr4 = below(0x800000) | 0x20;
		break;
	}
	s->cr3 = chance(70) ? PT_GPA : below(1ULL << 32) & ~0xfffULL;
	s->cr8 = below(17);
	s->apic_base = 0xfee00900 | (below(4) << 10);
}

static void op_sregs(void)
{
	static const uint64_t cr0s[] = { 0x10, 0x11, 0x80000011, 0x60000010,
					 0xe0000011, 0x80000001, 0x80050033,
					 0x80040033, 0x31 };
	static const uint64_t efers[] = { 0, 0x100, 0x500, 0xd01, 0x400, 0x501,
					  0x1500, 0x800 };
	struct fvcpu *v = pick_vcpu(NULL);
	struct kvm_sregs s;
	int fd = v ? v->fd : pick_fd(K_VCPU), mode;

	if (chance(20)) {
		note("GET_SREGS fd %d", fd);
		xioctl(fd, KVM_GET_SREGS, (uintptr_t)(chance(80) ? (void *)&s : pick_ptr(sizeof(s))));
		return;
	}
	mode = (int)(16 << below(3));
	mode_sregs(&s, mode);
	if (chance(20) && !avoid[AVOID_SREGS])
		ioctl(fd, KVM_GET_SREGS, &s);
	switch (below(5)) {
	case 0:	/* a valid mode */
		break;
	case 1:	/* control registers */
		if (avoid[AVOID_SREGS]) {
			mode_crs(&s, mode);
			break;
		}
		s.cr0 = chance(70) ? cr0s[below(sizeof(cr0s) / 8)] : interesting();
		s.cr4 = chance(70) ? below(0x800000) : interesting();
		s.efer = chance(70) ? efers[below(sizeof(efers) / 8)] : interesting();
		s.cr3 = chance(70) ? PT_GPA : interesting();
		s.cr8 = below(17);
		s.apic_base = chance(50) ? 0xfee00900 | (below(4) << 10) : interesting();
		break;
	case 2: {	/* segments */
		struct kvm_segment *segs[] = { &s.cs, &s.ds, &s.es, &s.fs,
					       &s.gs, &s.ss, &s.tr, &s.ldt };
		unsigned int n = 1 + (unsigned int)below(4);

		while (n--)
			rnd_seg(segs[below(8)]);
		if (chance(30))
			s.gdt.limit = (uint16_t)interesting();
		if (chance(30))
			s.idt.limit = (uint16_t)interesting();
		if (chance(20))
			s.idt.base = interesting();
		if (chance(10))
			s.gdt.padding[below(3)] = (uint16_t)rnd();
		break;
	}
	case 3:	/* an interrupt to inject: KVM's, refused here */
		s.interrupt_bitmap[below(4)] = 1ULL << below(64);
		break;
	default:
		/* --avoid sregs: only the APIC base and interrupt_bitmap. */
		if (avoid[AVOID_SREGS])
			mutate(&s.apic_base, sizeof(s) - offsetof(struct kvm_sregs, apic_base));
		else
			mutate(&s, sizeof(s));
		break;
	}
	note("SET_SREGS fd %d cr0 %#llx cr4 %#llx efer %#llx cs %#x/%u/l%u apic %#llx",
	     fd, (unsigned long long)s.cr0, (unsigned long long)s.cr4,
	     (unsigned long long)s.efer, s.cs.selector, s.cs.type, s.cs.l,
	     (unsigned long long)s.apic_base);
	xioctl(fd, KVM_SET_SREGS, (uintptr_t)(chance(95) ? (void *)&s : pick_ptr(sizeof(s))));
}

static void op_fpu(void)
{
	struct fvcpu *v = pick_vcpu(NULL);
	int fd = v && chance(90) ? v->fd : pick_fd(K_VCPU);
	struct kvm_fpu f;

	if (chance(30)) {
		note("GET_FPU fd %d", fd);
		xioctl(fd, KVM_GET_FPU, (uintptr_t)(chance(80) ? (void *)&f : pick_ptr(sizeof(f))));
		return;
	}
	if (ioctl(fd, KVM_GET_FPU, &f))
		memset(&f, 0, sizeof(f));
	switch (below(4)) {
	case 0:	/* random bytes, pads and all */
		for (size_t i = 0; i < sizeof(f); i += 8) {
			uint64_t x = rnd();

			memcpy((uint8_t *)&f + i, &x, sizeof(f) - i < 8 ? sizeof(f) - i : 8);
		}
		break;
	case 1:
		f.mxcsr = chance(50) ? (uint32_t)interesting() : 0x1f80 | (1U << below(32));
		break;
	case 2:
		f.fcw = (uint16_t)rnd();
		f.fsw = (uint16_t)rnd();
		f.ftwx = (uint8_t)rnd();
		f.last_opcode = (uint16_t)rnd();
		f.last_ip = interesting();
		f.last_dp = interesting();
		break;
	default:
		mutate(&f, sizeof(f));
		break;
	}
	if (chance(80)) {
		f.pad1 = 0;
		f.pad2 = 0;
	}
	note("SET_FPU fd %d mxcsr %#x fcw %#x", fd, f.mxcsr, f.fcw);
	xioctl(fd, KVM_SET_FPU, (uintptr_t)(chance(95) ? (void *)&f : pick_ptr(sizeof(f))));
}

static const uint32_t msrs[] = {
	0x10, 0x11, 0x12, 0x1b, 0x3a, 0x48, 0x49, 0x8b, 0xe7, 0xe8, 0xfe,
	0x174, 0x175, 0x176, 0x179, 0x17a, 0x17b, 0x1a0, 0x1d9, 0x200, 0x201,
	0x20f, 0x250, 0x277, 0x2ff, 0x3b, 0x400, 0x401, 0x402, 0x47f, 0x480,
	0x6e0, 0x800, 0x802, 0x803, 0x808, 0x80b, 0x80f, 0x828, 0x830, 0x832,
	0x835, 0x838, 0x839, 0x83e, 0x83f, 0x8ff, 0xc0000080, 0xc0000081,
	0xc0000082, 0xc0000083, 0xc0000084, 0xc0000100, 0xc0000101,
	0xc0000102, 0xc0000103, 0xc0010015, 0xc0010114, 0xc0010117,
	0x4b564d00, 0x4b564d01, 0x4b564d02, 0x4b564d03, 0x4b564d04,
	0x40000000, 0xd90, 0xda0,
};

static void op_msr(void)
{
	struct fvcpu *v = pick_vcpu(NULL);
	struct kvm_msrs *m = (void *)buf;
	int fd = v && chance(90) ? v->fd : pick_fd(K_VCPU);
	uint32_t i, n;
	int set = chance(50);

	switch (below(10)) {
	case 0:		/* at and past the limit */
		n = MAX_MSRS + (uint32_t)below(3) - 1;
		break;
	case 1:
		n = (uint32_t)below(300);
		break;
	default:
		n = (uint32_t)below(8);
		break;
	}
	memset(buf, 0, 8 + 300 * sizeof(m->entries[0]));
	m->nmsrs = chance(97) ? n : (uint32_t)interesting();
	for (i = 0; i < n && i < 300; i++) {
		uint32_t k = (uint32_t)below(10);

		m->entries[i].index = k < 4 && nmsr_list ? msr_list[below(nmsr_list)]
			: k < 9 ? msrs[below(sizeof(msrs) / 4)] : (uint32_t)interesting();
		m->entries[i].data = chance(30) ? below(0x1000) : interesting();
		if (m->entries[i].index == 0x1b && chance(50))	/* APIC base */
			m->entries[i].data = 0xfee00000 | (below(8) << 9);
		/* --avoid sregs: EFER only through SET_SREGS (F-fuzz-4). */
		if (avoid[AVOID_SREGS] && m->entries[i].index == 0xc0000080)
			m->entries[i].index = 0xc0000081;
		if (chance(3))
			m->entries[i].reserved = (uint32_t)rnd();
	}
	if (chance(5))
		m->pad = (uint32_t)rnd();
	note("%s_MSRS fd %d nmsrs %#x first %#x=%#llx", set ? "SET" : "GET", fd,
	     m->nmsrs, n ? m->entries[0].index : 0,
	     n ? (unsigned long long)m->entries[0].data : 0ULL);
	xioctl(fd, set ? KVM_SET_MSRS : KVM_GET_MSRS,
	       (uintptr_t)(chance(95) ? (void *)m : pick_ptr(8)));
}

static void op_cpuid(void)
{
	struct fvcpu *v = pick_vcpu(NULL);
	struct kvm_cpuid2 *c = (void *)buf;
	int fd = v && chance(90) ? v->fd : pick_fd(K_VCPU);
	uint32_t n = supported ? supported->nent : 0, i;
	size_t room = (BUF_SIZE - 8) / sizeof(c->entries[0]);

	memset(buf, 0, BUF_SIZE);
	if (supported)
		memcpy(buf, supported, 8 + n * sizeof(c->entries[0]));
	switch (below(6)) {
	case 0:
		c->nent = (uint32_t)below(n + 1);
		break;
	case 1:	/* at and past the limit: copies of the table */
		c->nent = MAX_CPUID + (uint32_t)below(3) - 1;
		for (i = n; i < c->nent && i < room && n; i++)
			c->entries[i] = c->entries[i % n];
		break;
	case 2:
		c->nent = (uint32_t)interesting();
		break;
	default:
		break;
	}
	for (i = 0; i < 1 + below(6) && c->nent; i++)
		mutate(&c->entries[below(c->nent < room ? c->nent : room)],
		       sizeof(c->entries[0]));
	if (chance(10) && c->nent)	/* KVM's obsolete flags, and others */
		c->entries[0].flags |= chance(50) ? KVM_CPUID_FLAG_STATEFUL_FUNC |
			KVM_CPUID_FLAG_STATE_READ_NEXT : (uint32_t)rnd();
	if (chance(5))
		c->padding = (uint32_t)rnd();
	note("SET_CPUID2 fd %d nent %u", fd, c->nent);
	xioctl(fd, chance(95) ? KVM_SET_CPUID2 : KVM_GET_CPUID2,
	       (uintptr_t)(chance(95) ? (void *)c : pick_ptr(8)));
}

static void lapic_reg(struct kvm_lapic_state *l, unsigned int off, uint32_t v)
{
	memcpy(&l->regs[off], &v, 4);
}

static void op_lapic(void)
{
	struct fvcpu *v = pick_vcpu(NULL);
	int fd = v && chance(90) ? v->fd : pick_fd(K_VCPU);
	struct kvm_lapic_state *l = (void *)buf;

	switch (below(8)) {
	case 0:
		note("GET_LAPIC fd %d", fd);
		xioctl(fd, KVM_GET_LAPIC, (uintptr_t)(chance(80) ? (void *)l : pick_ptr(sizeof(*l))));
		return;
	case 1: {
		struct kvm_vapic_addr a = { .vapic_addr = chance(50) ? 0 : interesting() };

		note("SET_VAPIC_ADDR fd %d %#llx", fd, (unsigned long long)a.vapic_addr);
		xioctl(fd, KVM_SET_VAPIC_ADDR, (uintptr_t)&a);
		return;
	}
	case 2: {
		struct kvm_tpr_access_ctl t = { .enabled = (uint32_t)below(2) };

		if (chance(20))
			mutate(&t, sizeof(t));
		note("TPR_ACCESS_REPORTING fd %d", fd);
		xioctl(fd, KVM_TPR_ACCESS_REPORTING, (uintptr_t)&t);
		return;
	}
	default:
		break;
	}
	if (ioctl(fd, KVM_GET_LAPIC, l))
		memset(l, 0, sizeof(*l));
	switch (below(5)) {
	case 0:	/* random bytes */
		for (size_t i = 0; i < sizeof(*l); i += 8) {
			uint64_t x = rnd();

			memcpy(&l->regs[i], &x, 8);
		}
		break;
	case 1:	/* a fast timer: periodic or one-shot, small count */
		lapic_reg(l, 0xf0, 0x1ff);		/* SVR: enabled */
		lapic_reg(l, 0x320, vector() | (uint32_t)(below(3) << 17) |
			  (chance(20) ? 1U << 16 : 0));
		lapic_reg(l, 0x380, (uint32_t)(chance(50) ? 1 + below(16) : interesting()));
		lapic_reg(l, 0x3e0, (uint32_t)below(16));
		break;
	case 2:	/* LINT0/1, error, thermal, perf LVTs: any mode */
		lapic_reg(l, 0x350 + 0x10 * (unsigned int)below(2),
			  vector() | (uint32_t)(below(8) << 8) | (uint32_t)(below(2) << 15) |
			  (uint32_t)(below(2) << 16));
		lapic_reg(l, 0x370, vector());
		lapic_reg(l, 0x340, (uint32_t)rnd());
		break;
	case 3:	/* ID, TPR, LDR, DFR, ICR */
		lapic_reg(l, 0x20, (uint32_t)(chance(50) ? below(64) << 24 : rnd()));
		lapic_reg(l, 0x80, (uint32_t)below(256));
		lapic_reg(l, 0xd0, (uint32_t)rnd());
		lapic_reg(l, 0xe0, chance(50) ? 0xffffffff : 0x0fffffff);
		lapic_reg(l, 0x300, (uint32_t)rnd());
		lapic_reg(l, 0x310, (uint32_t)rnd());
		break;
	default:
		mutate(l, sizeof(*l));
		break;
	}
	note("SET_LAPIC fd %d", fd);
	xioctl(fd, KVM_SET_LAPIC, (uintptr_t)(chance(95) ? (void *)l : pick_ptr(sizeof(*l))));
}

static void op_events(void)
{
	struct fvcpu *v = pick_vcpu(NULL);
	int fd = v && chance(90) ? v->fd : pick_fd(K_VCPU);
	unsigned int n = chance(50) ? 1 : 1 + (unsigned int)below(200), i;

	switch (below(5)) {
	case 0:
	case 1:
		note("KVM_INTERRUPT fd %d x %u", fd, n);
		for (i = 0; i < n; i++) {
			struct kvm_interrupt irq = {
				.irq = chance(95) || tame ? vector() : (uint32_t)interesting(),
			};

			xioctl(fd, KVM_INTERRUPT,
			       (uintptr_t)(chance(98) ? (void *)&irq : pick_ptr(sizeof(irq))));
		}
		break;
	case 2:
		note("KVM_NMI fd %d x %u", fd, n);
		for (i = 0; i < n; i++)
			xioctl(fd, KVM_NMI, chance(95) ? 0 : interesting());
		break;
	case 3: {
		struct kvm_mp_state m = {
			.mp_state = chance(80) ? (uint32_t)below(6) : (uint32_t)interesting(),
		};

		note("SET_MP_STATE fd %d %u", fd, m.mp_state);
		xioctl(fd, KVM_SET_MP_STATE, (uintptr_t)(chance(95) ? (void *)&m : pick_ptr(4)));
		break;
	}
	default: {
		struct kvm_mp_state m;

		note("GET_MP_STATE fd %d", fd);
		xioctl(fd, KVM_GET_MP_STATE, (uintptr_t)(chance(80) ? (void *)&m : pick_ptr(4)));
		break;
	}
	}
}

static void op_code(void)
{
	struct fvm *vm = pick_vm();

	if (!vm || !vm->slot[0].mem)
		return;
	fuzz_code(vm->slot[0].mem, avoid[AVOID_CRS]);
}

static void op_mmap(void)
{
	struct fvcpu *v = pick_vcpu(NULL);
	int fd = v && chance(70) ? v->fd : pick_fd((int)below(3));
	size_t len = chance(60) ? PG * (1 + below(5)) : below(6 * PG);
	off_t off = chance(50) ? 0 : chance(90) ? (off_t)(PG * below(6))
						: (off_t)interesting();
	int prot = chance(70) ? PROT_READ | PROT_WRITE : (int)below(8);
	int flags = chance(80) ? MAP_SHARED : MAP_PRIVATE;
	uint8_t *p;

	note("mmap fd %d len %#zx off %#llx prot %d flags %#x", fd, len,
	     (unsigned long long)off, prot, flags);
	p = mmap(NULL, len, prot, flags, fd, off);
	if (p == MAP_FAILED)
		return;
	/* Mapped: every page of it is there (the kernel maps all or none). */
	if (fd != mem_fd && chance(70)) {
		for (size_t at = 0; at < len; at += PG) {
			if (prot & PROT_WRITE)
				p[at + below(PG < len - at ? PG : len - at)] = (uint8_t)rnd();
			else if (prot & PROT_READ)
				(void)((volatile uint8_t *)p)[at];
		}
	}
	if (chance(20)) {
		void *q = mremap(p, len, len * 2, MREMAP_MAYMOVE);

		if (q != MAP_FAILED) {
			p = q;
			len *= 2;
		}
	}
	if (chance(20) && len > PG) {
		munmap(p + PG, len - PG);	/* a part first */
		len = PG;
	}
	munmap(p, len);
}

static void op_hammer(void)
{
	struct fvm *vm = pick_vm();
	struct fhammer *h;

	if (!vm)
		return;
	if (chance(50)) {	/* all of them, racing each other */
		int on = !vm->hm[0].on;

		note("hammer threads %s on VM fd %d", on ? "start" : "stop", vm->fd);
		for (unsigned int i = 0; i < NHAMMER; i++) {
			if (on)
				start_hammer(vm, &vm->hm[i]);
			else
				stop_hammer(&vm->hm[i]);
		}
		return;
	}
	h = &vm->hm[below(NHAMMER)];
	note("hammer thread %s on VM fd %d", h->on ? "stop" : "start", vm->fd);
	if (h->on)
		stop_hammer(h);
	else
		start_hammer(vm, h);
}

/* ---- main -------------------------------------------------------------- */

static void disable_list(const char *list)
{
	char tmp[256], *save = NULL, *t;

	snprintf(tmp, sizeof(tmp), "%s", list);
	for (t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int found = 0;

		for (unsigned int c = 0; c < NCLASS; c++)
			if (!strcmp(t, class_name[c]) || !strcmp(t, "all")) {
				disabled[c] = 1;
				found = 1;
			}
		if (!found) {
			fprintf(stderr, "t_kvmfuzz: unknown class '%s'\n", t);
			exit(2);
		}
	}
}

static void avoid_list(const char *list)
{
	char tmp[256], *save = NULL, *t;

	snprintf(tmp, sizeof(tmp), "%s", list);
	for (t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int found = 0;

		for (unsigned int a = 0; a < NAVOID; a++)
			if (!strcmp(t, avoid_name[a]) || !strcmp(t, "all")) {
				avoid[a] = 1;
				found = 1;
			}
		if (!found) {
			fprintf(stderr, "t_kvmfuzz: unknown finding '%s'\n", t);
			exit(2);
		}
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: t_kvmfuzz SEED OPS [--no CLASS,...] [--no-CLASS] [--tame] [--avoid NAME,...] [--secs N] [--trace] [--from N]\nclasses:");
	for (unsigned int c = 0; c < NCLASS; c++)
		fprintf(stderr, " %s", class_name[c]);
	fprintf(stderr, "\nfindings (--avoid):");
	for (unsigned int a = 0; a < NAVOID; a++)
		fprintf(stderr, " %s", avoid_name[a]);
	fprintf(stderr, "\n");
	exit(2);
}

static const char *const exit_names[] = {
	[KVM_EXIT_IO] = "io", [KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_SHUTDOWN] = "shutdown", [KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry", [KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
	[KVM_EXIT_IOAPIC_EOI] = "ioapic_eoi",
};

/* The fixed fds, plumb's foreign ones, the lists the fuzzer draws from. */
static int setup(void)
{
	struct kvm_msr_list *ml;

	sys_fd = open("/dev/plumb-kvm", O_RDWR | O_CLOEXEC);
	if (sys_fd < 0) {
		printf("FAIL: open /dev/plumb-kvm: %s\n", strerror(errno));
		return -1;
	}
	null_fd = open("/dev/null", O_RDWR);
	if (pipe(pipe_fd)) {
		printf("FAIL: pipe\n");
		return -1;
	}
	ev_fd = eventfd(0, EFD_NONBLOCK);
	mem_fd = memfd_create("t_kvmfuzz", 0);
	if (mem_fd >= 0 && ftruncate(mem_fd, 1 << 20))
		printf("  memfd: %s\n", strerror(errno));
	p_sys = open("/dev/plumb", O_RDWR | O_CLOEXEC);
	if (p_sys >= 0) {
		p_vm = (int)ioctl(p_sys, PLUMB_CREATE_VM, 0);
		if (p_vm >= 0)
			p_vcpu = (int)ioctl(p_vm, PLUMB_CREATE_VCPU, 0);
	}
	/* The argument buffer and a PROT_NONE page right after it. */
	buf = mmap(NULL, BUF_SIZE + 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		printf("FAIL: mmap\n");
		return -1;
	}
	guard_page = buf + BUF_SIZE;
	mprotect(guard_page, 4096, PROT_NONE);
	big_area = mmap(NULL, BIG_SIZE, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (big_area == MAP_FAILED)
		big_area = NULL;
	hammer_mem = anon(HAMMER_MEM);
	supported = calloc(1, 8 + 256 * sizeof(struct kvm_cpuid_entry2));
	supported->nent = 256;
	if (ioctl(sys_fd, KVM_GET_SUPPORTED_CPUID, supported)) {
		printf("FAIL: GET_SUPPORTED_CPUID: %s\n", strerror(errno));
		return -1;
	}
	ml = calloc(1, sizeof(*ml) + sizeof(msr_list));
	ml->nmsrs = sizeof(msr_list) / 4;
	if (ioctl(sys_fd, KVM_GET_MSR_INDEX_LIST, ml) == 0) {
		nmsr_list = ml->nmsrs;
		memcpy(msr_list, ml->indices, nmsr_list * 4);
	}
	free(ml);
	max_vcpus = ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	nr_memslots = ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	max_routes = ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING);
	printf("  /dev/plumb-kvm: %u MSRs listed, %u CPUID leaves, %ld vCPUs, %ld slots, %ld routes\n",
	       nmsr_list, supported->nent, max_vcpus, nr_memslots, max_routes);
	return 0;
}

static void print_results(double secs)
{
	unsigned long total_exits = 0;

	printf("%" PRIu64 " ops in %.1f s (%.0f ops/s)\n",
	       op_no, secs, secs > 0 ? (double)op_no / secs : 0.0);
	printf("  by class:");
	for (unsigned int c = 0; c < NCLASS; c++)
		printf(" %s %lu", class_name[c], done_by_class[c]);
	printf("\n  ioctls %lu ok / %lu failed; %lu slot changes; %lu forks; hammers: %lu ioctls, %lu ok\n",
	       ioctl_ok, ioctl_err, slot_ok, forks, atomic_load(&hammer_ioctls),
	       atomic_load(&hammer_ok));
	printf("  RUN exits:");
	for (unsigned int r = 0; r < 64; r++) {
		unsigned long n = atomic_load(&exits[r]);

		if (!n)
			continue;
		total_exits += n;
		if (r < sizeof(exit_names) / sizeof(exit_names[0]) && exit_names[r])
			printf(" %s %lu", exit_names[r], n);
		else
			printf(" %s %lu", r == 63 ? "unknown (kvm_run written)" : "?", n);
	}
	printf(" (%lu); internal errors by suberror:", total_exits);
	for (unsigned int i = 0; i < 8; i++)
		if (atomic_load(&internal[i]))
			printf(" %u: %lu", i, atomic_load(&internal[i]));
	printf("\n  RUN EINTR %lu, errors %lu:", atomic_load(&runs_eintr),
	       atomic_load(&runs_err));
	for (unsigned int e = 0; e < 136; e++)
		if (atomic_load(&run_errno[e]))
			printf(" %s %lu", e < 135 ? strerrorname_np((int)e) : "other",
			       atomic_load(&run_errno[e]));
	printf("; %lu coalesced ring entries\n", atomic_load(&ring_entries));
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t seed, total = 0;
	unsigned int weight[NCLASS];
	long pins0, unpins0;
	struct timespec t0, t1;
	time_t last_print;
	pthread_t dog;
	double secs;
	int i, bad;

	if (argc < 3)
		usage();
	seed = strtoull(argv[1], NULL, 0);
	nops = strtoull(argv[2], NULL, 0);
	if (getenv("PLUMB_FUZZ_NO") && *getenv("PLUMB_FUZZ_NO"))
		disable_list(getenv("PLUMB_FUZZ_NO"));
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--no") && i + 1 < argc)
			disable_list(argv[++i]);
		else if (!strncmp(argv[i], "--no-", 5))
			disable_list(argv[i] + 5);
		else if (!strcmp(argv[i], "--avoid") && i + 1 < argc)
			avoid_list(argv[++i]);
		else if (!strcmp(argv[i], "--tame"))
			tame = 1;
		else if (!strcmp(argv[i], "--secs") && i + 1 < argc)
			max_secs = strtol(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--trace"))
			trace_from = 0;
		else if (!strcmp(argv[i], "--from") && i + 1 < argc)
			trace_from = atoi(argv[++i]);
		else
			usage();
	}
	if (tame)
		disable_list("regs,sregs,msr,cpuid,lapic,code");
	rng = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
	if (!rng)
		rng = 1;
	printf("t_kvmfuzz: seed %" PRIu64 ", %" PRIu64 " ops%s, classes off:", seed,
	       nops, tame ? ", tame" : "");
	for (unsigned int c = 0; c < NCLASS; c++)
		if (disabled[c])
			printf(" %s", class_name[c]);
	printf(", avoiding:");
	for (unsigned int a = 0; a < NAVOID; a++)
		if (avoid[a])
			printf(" %s", avoid_name[a]);
	printf("\n");
	fflush(stdout);

	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: RUN sees EINTR */
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	block_main_signals();
	if (setup())
		return 1;
	pins0 = vmstat("nr_foll_pin_acquired");
	unpins0 = vmstat("nr_foll_pin_released");
	for (i = 0; i < NVM; i++) {
		vms[i].fd = -1;
		for (int j = 0; j < NVCPU; j++)
			vms[i].vc[j].fd = -1;
	}
	pthread_create(&dog, NULL, watchdog, NULL);

	for (unsigned int c = 0; c < NCLASS; c++) {
		weight[c] = disabled[c] ? 0 : class_weight[c];
		total += weight[c];
	}
	if (!total)
		usage();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	last_print = t0.tv_sec;
	for (op_no = 0; op_no < nops; op_no++) {
		uint64_t pick = below(total);
		unsigned int c = 0;

		while (pick >= weight[c])
			pick -= weight[c++];
		/* Keep a VM with a vCPU around most of the time. */
		if (!vms[0].live && chance(50)) {
			note("new VM 0");
			vm_new(&vms[0]);
		}
		if (vms[0].live && vms[0].fd >= 0 && !vms[0].vc[0].live && chance(50)) {
			note("new vCPU 0 of VM 0");
			vcpu_new(&vms[0], &vms[0].vc[0]);
		}
		done_by_class[c]++;
		switch (c) {
		case C_SYS: op_sys(); break;
		case C_RAW: op_raw(); break;
		case C_VM: op_vm(); break;
		case C_SLOTS: op_slots(); break;
		case C_IRQ: op_irq(); break;
		case C_ZONES: op_zones(); break;
		case C_RUN: op_run(); break;
		case C_KRUN: op_kvmrun(); break;
		case C_CLOSE: op_close(); break;
		case C_FORK: op_fork(); break;
		case C_REGS: op_regs(); break;
		case C_SREGS: op_sregs(); break;
		case C_FPU: op_fpu(); break;
		case C_MSR: op_msr(); break;
		case C_CPUID: op_cpuid(); break;
		case C_LAPIC: op_lapic(); break;
		case C_EVENTS: op_events(); break;
		case C_CODE: op_code(); break;
		case C_MMAP: op_mmap(); break;
		case C_HAMMER: op_hammer(); break;
		default: break;
		}
		atomic_fetch_add(&progress, 1);
		if ((op_no & 255) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			/* --secs: the time is up (op_no + 1 operations done). */
			if (max_secs > 0 && t1.tv_sec - t0.tv_sec >= max_secs) {
				op_no++;
				break;
			}
			if (t1.tv_sec - last_print >= 30) {
				last_print = t1.tv_sec;
				printf("  %" PRIu64 " ops, %ld s\n", op_no,
				       (long)(t1.tv_sec - t0.tv_sec));
				fflush(stdout);
			}
		}
	}
	note("teardown");
	for (i = 0; i < NVM; i++)
		vm_free(&vms[i]);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("t_kvmfuzz: seed %" PRIu64 ": ", seed);
	print_results(secs);
	/* plumb's fds too: the counters count VMs of both ABIs. */
	if (p_vcpu >= 0)
		close(p_vcpu);
	if (p_vm >= 0)
		close(p_vm);
	if (p_sys >= 0)
		close(p_sys);
	close(sys_fd);
	bad = check_counters(pins0, unpins0) + (bad_exits ? 1 : 0);
	if (bad_exits)
		printf("FAIL: %lu RUN(s) gave an exit reason the personality never makes\n",
		       bad_exits);
	printf("%s: %d failure(s)\n", bad ? "FAILED" : "PASSED", bad);
	return bad ? 1 : 0;
}
