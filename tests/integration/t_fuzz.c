// SPDX-License-Identifier: GPL-2.0
/*
 * t_fuzz SEED OPS [--no CLASS,...] [--tame] [--secs N] [--trace] [--from N]
 *
 * A seeded fuzzer of the whole /dev/plumb ABI, run inside the emulated
 * hosts (docs/testing.md, "The ABI fuzzer"). Every choice comes from one
 * xorshift PRNG seeded by SEED (fuzzlib.c, what t_fuzz shares with
 * t_kvmfuzz, the KVM ABI's fuzzer), so a seed replays the same sequence of
 * operations; what the helper threads (vCPU runners, ring scribblers)
 * interleave with it is left to the host scheduler.
 *
 * Operation classes (each can be switched off with --no CLASS, or with
 * PLUMB_FUZZ_NO=CLASS,... in the environment):
 *   sys      system ioctls on right and wrong fds, mutated arguments
 *   raw      random ioctl numbers in plumb's type, random sizes and args
 *   vm       VM ioctls: posted ranges, MSR exits, CREATE_VCPU ids
 *   slots    memory slots added, replaced, deleted; slot memory unmapped,
 *            made read-only or dropped under running vCPUs
 *   run      RUN from the main thread, bounded by an interval timer or
 *            immediate_exit; vCPU runner threads started and stopped
 *   ring     a thread scribbling random bytes on a vCPU's ring
 *   close    vCPU and VM fds closed while their vCPUs run; new VMs
 *   fork     a child does random ioctls on the inherited fds, then exits
 *   regs     random GPRs, RIP, RFLAGS
 *   sregs    random segments, CR0/3/4, EFER, APIC base, GDT/IDT
 *   msr      GET/SET_MSRS: interesting MSRs (x2APIC ones among them),
 *            random and boundary values, odd counts
 *   cpuid    SET_CPUID: the supported table mutated
 *   apic     MSIs of every delivery mode, MP state
 *   code     random bytes and instruction fragments in guest memory
 *   mmap     mmap of every fd with random offsets, sizes and protections
 *
 * --tame keeps guests runnable without the emulator's help: no regs,
 * sregs, msr, cpuid, apic or code classes, and slot 0 (code, page tables,
 * IDT) is never touched. bochs-svm needs it: Bochs' SVM never exits a
 * guest with RFLAGS.IF=0 for a host interrupt and cannot deliver a
 * triple fault as #VMEXIT, so a wild guest there hangs the host for good.
 * --trace prints every operation before it runs (to cut a failing seed
 * down to its last operations); --from N traces from operation N on.
 * --secs N ends the campaign after N seconds if OPS are not done by then.
 *
 * At the end every fd is closed and the module's counters (nr_vms,
 * nr_vcpus, pinned_pages) must read 0, and the kernel's FOLL_PIN counters
 * (/proc/vmstat) must have moved by the same amount: no pin leaked.
 * Exit 0 when all held; 3 when the watchdog saw no progress for 60 s.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
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

#include <linux/plumb.h>

#include "fuzzlib.h"
#include "vmlib.h"

#define NVM		2
#define NVCPU		3
#define NSLOT		5		/* slot 0: RAM at 0; 1..4 elsewhere */
#define XSLOT_GPA	0x1000000ULL	/* extra slots from 16 MiB, 1 MiB apart */

enum {
	C_SYS, C_RAW, C_VM, C_SLOTS, C_RUN, C_RING, C_CLOSE, C_FORK, C_REGS,
	C_SREGS, C_MSR, C_CPUID, C_APIC, C_CODE, C_MMAP, NCLASS
};
static const char *const class_name[NCLASS] = {
	"sys", "raw", "vm", "slots", "run", "ring", "close", "fork", "regs",
	"sregs", "msr", "cpuid", "apic", "code", "mmap",
};
/* Relative weights of the classes in the operation mix. */
static const unsigned int class_weight[NCLASS] = {
	6, 10, 6, 8, 14, 3, 3, 1, 8, 8, 6, 3, 5, 6, 3,
};

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
	struct plumb_ring_header *hdr;	/* NULL: ring not mapped */
	size_t map_size;
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
};

static int tame;
static uint64_t nops;
static long max_secs;		/* --secs: stop after this long (0: OPS) */
static int disabled[NCLASS];
static unsigned long done_by_class[NCLASS];
static int sys_fd, null_fd, pipe_fd[2], ev_fd, mem_fd;
static struct fvm vms[NVM];
static long mmap_size;
static struct plumb_cpuid *supported;
static unsigned long runs_ok, runs_eintr, runs_err, records, ioctl_ok,
	ioctl_err, forks, slot_ok;

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

/* Any fd: mostly the right kind (@want: 0 sys, 1 VM, 2 vCPU), else any. */
static int pick_fd(int want)
{
	struct fvm *vm;
	struct fvcpu *v;

	if (chance(75)) {
		switch (want) {
		case 1:
			vm = pick_vm();
			if (vm)
				return vm->fd;
			break;
		case 2:
			v = pick_vcpu(NULL);
			if (v)
				return v->fd;
			break;
		default:
			return sys_fd;
		}
	}
	switch (below(9)) {
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
	case 7:
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

/* ---- guest memory ------------------------------------------------------ */

/* Long mode on the tame guest's tables (or 16/32-bit flat). */
static void mode_sregs(struct plumb_sregs *s, int mode)
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
		flat_seg(&s->cs, 0, 0xb, 0, 0);
		s->cs.limit = 0xffff;
		s->cs.g = 0;
		flat_seg(&s->ds, 0, 0x3, 0, 0);
		s->ds.limit = 0xffff;
		s->ds.g = 0;
		s->cr0 = 0x10;
		break;
	case 32:
		flat_seg(&s->cs, 0x18, 0xb, 1, 0);
		flat_seg(&s->ds, 0x10, 0x3, 1, 0);
		s->cr0 = 0x11;
		break;
	default:
		flat_seg(&s->cs, 0x08, 0xb, 0, 1);
		flat_seg(&s->ds, 0x10, 0x3, 1, 0);
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
	struct plumb_sregs s;
	struct plumb_regs r;

	mode_sregs(&s, 64);
	ioctl(fd, PLUMB_SET_SREGS, &s);
	memset(&r, 0, sizeof(r));
	r.rip = CODE_GPA;
	r.rsp = STACK_GPA;
	r.rflags = 0x202;
	ioctl(fd, PLUMB_SET_REGS, &r);
}

static int set_slot(struct fvm *vm, unsigned int n, uint8_t *mem, size_t size,
		    uint32_t flags)
{
	struct plumb_memory_region m = {
		.slot = n, .flags = flags, .guest_phys_addr = vm->slot[n].gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)mem,
	};

	return ioctl(vm->fd, PLUMB_SET_MEMORY_REGION, &m);
}

/* ---- threads ----------------------------------------------------------- */

static void reply_records(struct plumb_ring_header *hdr, uint32_t *cons,
			  uint64_t *st)
{
	struct plumb_exit *ring = (void *)((uint8_t *)hdr + PLUMB_RING_HEADER_SIZE);
	uint32_t prod = __atomic_load_n(&hdr->producer, __ATOMIC_ACQUIRE);
	unsigned int n = 0;

	/* A scribbled producer may say anything: a bounded walk. */
	while (*cons != prod && n++ < 1024) {
		struct plumb_exit *e = &ring[*cons % 1024];

		*st ^= *st << 13;
		*st ^= *st >> 7;
		*st ^= *st << 17;
		if (e->flags & PLUMB_EXIT_F_REPLY)
			memcpy(e->raw + (*st & 15), st, 8);
		(*cons)++;
	}
	__atomic_store_n(&hdr->consumer, *cons, __ATOMIC_RELEASE);
}

static void *runner_main(void *arg)
{
	struct fvcpu *v = arg;
	uint64_t st = v->seed | 1;
	uint32_t cons = v->hdr ? v->hdr->consumer : 0;
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
	 * Every vCPU ioctl takes the vCPU's mutex, uninterruptibly, and RUN
	 * holds it until a record or a signal: a timer ends this thread's RUN
	 * every few ms, so the main thread's ioctls on this vCPU get their
	 * turn (and the thread stops soon when told).
	 */
	sev._sigev_un._tid = gettid();	/* sigev_notify_thread_id */
	have_timer = timer_create(CLOCK_MONOTONIC, &sev, &tm) == 0;
	if (have_timer)
		timer_settime(tm, 0, &its, NULL);
	while (!atomic_load(&v->stop_runner)) {
		if (ioctl(v->runner_fd, PLUMB_RUN, 0) < 0 && errno != EINTR) {
			/* Dead vCPU, closed fd, foreign state: keep trying. */
			usleep(200);
		}
		if (v->hdr)
			reply_records(v->hdr, &cons, &st);
	}
	if (have_timer)
		timer_delete(tm);
	atomic_store(&v->runner_done, 1);
	return NULL;
}

static void *scribbler_main(void *arg)
{
	struct fvcpu *v = arg;
	uint64_t st = (v->seed * 31) | 1;
	uint8_t *p = (uint8_t *)v->hdr;

	block_main_signals();
	while (!atomic_load(&v->stop_scribbler)) {
		size_t at;

		st ^= st << 13;
		st ^= st >> 7;
		st ^= st << 17;
		/* Mostly the header's words, else anywhere in the ring. */
		at = st & 1 ? (st >> 8) % 192 : (st >> 8) % v->map_size;
		p[at] = (uint8_t)(st >> 40);
		if ((st & 0xf0) == 0)
			sched_yield();
	}
	atomic_store(&v->scribbler_done, 1);
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
	if (v->has_scribbler || !v->hdr)
		return;
	atomic_store(&v->stop_scribbler, 0);
	atomic_store(&v->scribbler_done, 0);
	v->seed = rnd();
	if (pthread_create(&v->scribbler, NULL, scribbler_main, v) == 0)
		v->has_scribbler = 1;
}

/* ---- object lifetime --------------------------------------------------- */

static void vcpu_free(struct fvcpu *v)
{
	if (!v->live)
		return;
	stop_scribbler(v);
	stop_runner(v);
	if (v->hdr)
		munmap(v->hdr, v->map_size);
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

static void vm_new(struct fvm *vm)
{
	unsigned int i;

	vm_free(vm);
	vm->fd = ioctl(sys_fd, PLUMB_CREATE_VM, 0);
	if (vm->fd < 0) {
		vm->fd = -1;
		return;
	}
	vm->live = 1;
	for (i = 0; i < NSLOT; i++)
		vm->slot[i].gpa = i ? XSLOT_GPA + (i - 1) * 0x100000ULL : 0;
	vm->slot[0].mem = anon(RAM_SIZE);
	if (vm->slot[0].mem) {
		vm->slot[0].size = RAM_SIZE;
		guest_image(vm->slot[0].mem);
		vm->slot[0].registered =
			set_slot(vm, 0, vm->slot[0].mem, RAM_SIZE, 0) == 0;
	}
	for (i = 0; i < NVCPU; i++)
		vm->vc[i].fd = -1;
}

static void vcpu_new(struct fvm *vm, struct fvcpu *v)
{
	vcpu_free(v);
	v->id = vm->next_id;
	v->fd = (int)ioctl(vm->fd, PLUMB_CREATE_VCPU, vm->next_id);
	vm->next_id = (vm->next_id + 1) % 64;
	if (v->fd < 0) {
		v->fd = -1;
		return;
	}
	v->live = 1;
	v->map_size = (size_t)mmap_size;
	if (chance(90)) {
		void *p = mmap(NULL, v->map_size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, v->fd, 0);

		v->hdr = p == MAP_FAILED ? NULL : p;
	}
	tame_state(v->fd);
}

/* ---- the operations ---------------------------------------------------- */

static void op_sys(void)
{
	int fd = pick_fd(0);
	struct plumb_cpuid *c = (void *)buf;
	long r;

	switch (below(6)) {
	case 0:
		note("GET_API_VERSION fd %d", fd);
		xioctl(fd, PLUMB_GET_API_VERSION, chance(80) ? 0 : interesting());
		break;
	case 1:
		note("CHECK_CAPABILITY fd %d", fd);
		xioctl(fd, PLUMB_CHECK_CAPABILITY, chance(80) ? below(16) : interesting());
		break;
	case 2:
		memset(buf, 0, 64);
		c->nent = chance(70) ? (uint32_t)below(300) : (uint32_t)interesting();
		maybe_mutate(c, 8);
		note("GET_SUPPORTED_CPUID fd %d nent %u", fd, c->nent);
		if (c->nent <= (BUF_SIZE - 8) / sizeof(c->entries[0]) || chance(10))
			xioctl(fd, PLUMB_GET_SUPPORTED_CPUID,
			       (uintptr_t)(chance(85) ? (void *)buf : pick_ptr(8)));
		break;
	case 3: {
		unsigned long arg = chance(80) ? 0 : interesting();

		note("CREATE_VM fd %d arg %#lx (closed at once)", fd, arg);
		r = xioctl(fd, PLUMB_CREATE_VM, arg);
		if (r >= 0)
			close((int)r);
		break;
	}
	case 4:
		note("GET_VCPU_MMAP_SIZE fd %d", fd);
		xioctl(fd, PLUMB_GET_VCPU_MMAP_SIZE, chance(80) ? 0 : interesting());
		break;
	default: {
		int f = open("/dev/plumb", chance(80) ? O_RDWR : O_RDONLY);

		note("open /dev/plumb, CREATE_VM on it, close");
		if (f >= 0) {
			int first = chance(50);

			r = xioctl(f, PLUMB_CREATE_VM, 0);
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

static const unsigned int known_nrs[] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x40, 0x41, 0x42, 0x43, 0x44,
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
};
static const unsigned int known_sizes[] = { 0, 8, 16, 24, 32, 40, 64, 192, 352 };

static int state_nr(unsigned int nr)
{
	/* SET_REGS/SREGS/MSRS/CPUID/MP_STATE, SIGNAL_MSI: what --tame avoids. */
	return nr == 0x82 || nr == 0x84 || nr == 0x86 || nr == 0x87 ||
	       nr == 0x89 || nr == 0x44;
}

static void op_raw(void)
{
	unsigned int nr, size, dir, type = PLUMBIO;
	unsigned long arg;
	int fd = pick_fd((int)below(3));

	nr = chance(50) ? known_nrs[below(sizeof(known_nrs) / sizeof(known_nrs[0]))]
			: (unsigned int)below(256);
	/* RUN and CREATE_* through here would leak threads or fds. */
	if (nr == 0x80 || nr == 0x03 || nr == 0x41 || (tame && state_nr(nr)))
		nr = 0xc0 + (unsigned int)below(64);
	size = chance(50) ? known_sizes[below(sizeof(known_sizes) / sizeof(known_sizes[0]))]
			  : (unsigned int)below(1U << 14);
	dir = (unsigned int)below(4);
	if (chance(5))
		type = (unsigned int)below(256);
	for (size_t i = 0; i < 512; i += 8) {
		uint64_t v = chance(70) ? 0 : interesting();

		memcpy(buf + i, &v, 8);
	}
	if (dir == _IOC_NONE)
		arg = chance(50) ? below(4) : interesting();
	else if (size + 8 > BUF_SIZE)
		arg = 0;
	else
		arg = (uintptr_t)pick_ptr(size);
	/*
	 * A SET_MEMORY_REGION's address never points at our own memory: a
	 * guest writing into the fuzzer would only break the fuzzer.
	 */
	memcpy(buf + 24, &boundary[0], 8);
	note("raw ioctl fd %d dir %u type %#x nr %#x size %u arg %#lx", fd, dir,
	     type, nr, size, arg);
	xioctl(fd, _IOC(dir, type, nr, size), arg);
}

static void op_vm(void)
{
	struct fvm *vm = pick_vm();
	int fd = pick_fd(1);

	if (!vm || !chance(80)) {
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
	switch (below(4)) {
	case 0: {
		struct plumb_posted_range p = {
			.addr = chance(50) ? below(0x10000) : interesting(),
			.len = chance(50) ? 1 + below(8) : interesting(),
			.flags = (uint32_t)below(4),
		};

		maybe_mutate(&p, sizeof(p));
		note("SET_POSTED_RANGE fd %d addr %#llx len %#llx flags %#x", fd,
		     (unsigned long long)p.addr, (unsigned long long)p.len, p.flags);
		xioctl(fd, PLUMB_SET_POSTED_RANGE, (uintptr_t)&p);
		break;
	}
	case 1: {
		struct plumb_msr_exits m = { .flags = (uint32_t)below(2) };

		maybe_mutate(&m, sizeof(m));
		note("SET_MSR_EXITS fd %d flags %#x", fd, m.flags);
		xioctl(fd, PLUMB_SET_MSR_EXITS, (uintptr_t)&m);
		break;
	}
	case 2: {
		unsigned long id = chance(80) ? below(70) : interesting();
		long r;

		note("CREATE_VCPU fd %d id %#lx (closed at once)", fd, id);
		r = ioctl(fd, PLUMB_CREATE_VCPU, id);
		if (r >= 0)
			close((int)r);
		break;
	}
	default: {
		struct fvcpu *v;

		if (!vm || vm->fd < 0)
			break;
		v = &vm->vc[below(NVCPU)];
		if (v->live)
			break;
		note("new vCPU id %u", vm->next_id);
		vcpu_new(vm, v);
		break;
	}
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
	switch (below(8)) {
	case 0:
	case 1: {	/* add or replace with fresh memory */
		size_t size = n ? 0x1000 * (1 + below(64)) : RAM_SIZE;
		uint8_t *m = anon(size), *old = s->mem;
		size_t old_size = s->size;

		if (!m)
			break;
		if (!n && old && mprotect(old, RAM_SIZE, PROT_READ) == 0)
			memcpy(m, old, RAM_SIZE);
		else if (!n)
			guest_image(m);
		else
			memset(m, (int)below(256), size);
		note("slot %u: %s with %zu bytes", n, s->registered ? "replace" : "add", size);
		if (set_slot(vm, n, m, size, chance(20) ? PLUMB_MEM_READONLY : 0) == 0) {
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
	case 3: {	/* mutated region, on our own memory or none */
		struct plumb_memory_region m = {
			.slot = n, .guest_phys_addr = s->gpa,
			.memory_size = s->size, .userspace_addr = (uintptr_t)s->mem,
		};

		/* slot, flags and reserved words: bit flips and boundaries */
		if (chance(50))
			mutate(&m, 8);
		if (chance(20))
			mutate(&m.reserved, sizeof(m.reserved));
		/* The rest hostile, but never pointing into our own memory. */
		switch (below(10)) {
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
		case 4:
			m.memory_size = chance(50) ? 1ULL << 52 : ~0xfffULL;
			break;
		case 5:
			m.guest_phys_addr = chance(50) ? ~0xfffULL : 1ULL << 52;
			break;
		case 6:
			m.guest_phys_addr = chance(50) ? 0xfee00000 : 0xfffff000;
			break;
		case 7:
			m.guest_phys_addr += 1 + below(0xfff);
			break;
		case 8:	/* over another slot */
			m.guest_phys_addr = vm->slot[below(NSLOT)].gpa;
			break;
		default:
			m.flags = chance(50) ? PLUMB_MEM_LOG_DIRTY : (uint32_t)rnd();
			break;
		}
		if (tame && m.slot == 0)
			m.slot = NSLOT + (uint32_t)below(40);
		note("SET_MEMORY_REGION mutated slot %u gpa %#llx size %#llx ua %#llx flags %#x",
		     m.slot, (unsigned long long)m.guest_phys_addr,
		     (unsigned long long)m.memory_size,
		     (unsigned long long)m.userspace_addr, m.flags);
		if (xioctl(pick_fd(1), PLUMB_SET_MEMORY_REGION, (uintptr_t)&m) == 0)
			slot_ok++;
		/* Whatever happened to our slots, we no longer know: forget. */
		if (m.slot < NSLOT && !(tame && m.slot == 0))
			vm->slot[m.slot].registered = 1;
		break;
	}
	case 4:		/* unmap the memory under the slot */
		if (!s->mem)
			break;
		note("slot %u: munmap its %zu bytes (slot stays)", n, s->size);
		munmap(s->mem, s->size);
		s->mem = NULL;
		s->size = 0;
		break;
	case 5:
		if (!s->mem)
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
	default:
		if (!s->mem)
			break;
		note("slot %u: mprotect read-write again", n);
		mprotect(s->mem, s->size, PROT_READ | PROT_WRITE);
		break;
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
		sigset_t s;
		int imm = v->hdr && chance(15);
		long r;

		note("RUN vCPU %u fd %d from main (immediate_exit %d)", v->id, v->fd, imm);
		if (imm)
			v->hdr->immediate_exit = 1;
		sigemptyset(&s);
		sigaddset(&s, SIGALRM);
		setitimer(ITIMER_REAL, &it, NULL);
		pthread_sigmask(SIG_UNBLOCK, &s, NULL);
		r = ioctl(v->fd, PLUMB_RUN, chance(95) ? 0 : interesting());
		pthread_sigmask(SIG_BLOCK, &s, NULL);
		memset(&it, 0, sizeof(it));
		setitimer(ITIMER_REAL, &it, NULL);
		if (imm && v->hdr)
			v->hdr->immediate_exit = 0;
		if (r == 0)
			runs_ok++;
		else if (errno == EINTR)
			runs_eintr++;
		else
			runs_err++;
		if (v->hdr && !v->has_runner) {
			uint32_t cons = v->hdr->consumer, before = cons;
			uint64_t st = rnd() | 1;

			reply_records(v->hdr, &cons, &st);
			records += cons - before;
		}
		break;
	}
	}
}

static void op_ring(void)
{
	struct fvcpu *v = pick_vcpu(NULL);

	if (!v || !v->hdr)
		return;
	switch (below(3)) {
	case 0:
		note("scribbler thread %s on vCPU %u", v->has_scribbler ? "stop" : "start", v->id);
		if (v->has_scribbler)
			stop_scribbler(v);
		else
			start_scribbler(v);
		break;
	case 1: {
		uint32_t val = (uint32_t)interesting();

		note("ring: consumer = %#x", val);
		v->hdr->consumer = val;
		break;
	}
	default: {
		size_t at = below(v->map_size - 8);
		uint64_t val = interesting();

		note("ring: 8 bytes at %#zx = %#llx", at, (unsigned long long)val);
		memcpy((uint8_t *)v->hdr + at, &val, 8);
		break;
	}
	}
}

static void op_close(void)
{
	struct fvm *vm = pick_vm();
	struct fvcpu *v;

	switch (below(5)) {
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
		if (!v || !v->hdr || v->has_runner || v->has_scribbler)
			break;
		note("munmap vCPU %u's ring", v->id);
		munmap(v->hdr, v->map_size);
		v->hdr = NULL;
		break;
	case 3:
		v = pick_vcpu(NULL);
		if (!v)
			break;
		note("free vCPU %u", v->id);
		vcpu_free(v);
		break;
	default:
		vm = &vms[below(NVM)];
		note("destroy VM, make a new one");
		vm_new(vm);
		break;
	}
}

/* A child with copies of every fd: each ioctl is the parent's, refused. */
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

		signal(SIGALRM, SIG_DFL);
		alarm(10);
		rng = child_seed | 1;
		trace_from = -1;
		/* Only this thread came along: no runner to stop here. */
		for (i = 0; i < NVM; i++)
			for (unsigned int j = 0; j < NVCPU; j++)
				vms[i].vc[j].has_runner = vms[i].vc[j].has_scribbler = 0;
		for (i = 0; i < 30; i++) {
			switch (below(6)) {
			case 0:
				v = pick_vcpu(NULL);
				if (v)
					ioctl(v->fd, PLUMB_RUN, 0);
				break;
			case 1:
				v = pick_vcpu(NULL);
				if (v)
					ioctl(v->fd, PLUMB_GET_REGS, buf);
				break;
			case 2:
				op_slots();
				break;
			case 3:
				v = pick_vcpu(NULL);
				if (v) {
					void *p = mmap(NULL, (size_t)mmap_size,
						       PROT_READ | PROT_WRITE,
						       MAP_SHARED, v->fd, 0);

					if (p != MAP_FAILED)
						((volatile uint32_t *)p)[0] = 0;
				}
				break;
			case 4:
				op_raw();
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

static void rnd_seg(struct plumb_segment *g)
{
	uint64_t x = rnd();

	g->selector = chance(50) ? (uint16_t)(8 * below(5)) : (uint16_t)x;
	g->base = chance(70) ? 0 : interesting();
	g->limit = chance(50) ? 0xffffffff : (uint32_t)interesting();
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
	struct plumb_regs r;
	int fd = v ? v->fd : pick_fd(2);

	if (v && !chance(90))
		fd = pick_fd(2);
	if (chance(30)) {
		note("GET_REGS fd %d", fd);
		xioctl(fd, PLUMB_GET_REGS, (uintptr_t)(chance(80) ? (void *)&r : pick_ptr(sizeof(r))));
		return;
	}
	if (ioctl(fd, PLUMB_GET_REGS, &r))
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
	note("SET_REGS fd %d rip %#llx rflags %#llx", fd,
	     (unsigned long long)r.rip, (unsigned long long)r.rflags);
	xioctl(fd, PLUMB_SET_REGS, (uintptr_t)(chance(95) ? (void *)&r : pick_ptr(sizeof(r))));
}

static void op_sregs(void)
{
	static const uint64_t cr0s[] = { 0x10, 0x11, 0x80000011, 0x60000010,
					 0xe0000011, 0x80000001, 0x80050033,
					 0x80040033, 0x31 };
	static const uint64_t efers[] = { 0, 0x100, 0x500, 0xd01, 0x400, 0x501,
					  0x1500, 0x800 };
	struct fvcpu *v = pick_vcpu(NULL);
	struct plumb_sregs s;
	int fd = v ? v->fd : pick_fd(2);

	if (chance(20)) {
		note("GET_SREGS fd %d", fd);
		xioctl(fd, PLUMB_GET_SREGS, (uintptr_t)(chance(80) ? (void *)&s : pick_ptr(sizeof(s))));
		return;
	}
	mode_sregs(&s, (int)(16 << below(3)));
	if (chance(20))
		ioctl(fd, PLUMB_GET_SREGS, &s);
	switch (below(4)) {
	case 0:	/* a valid mode */
		break;
	case 1:	/* control registers */
		s.cr0 = chance(70) ? cr0s[below(sizeof(cr0s) / 8)] : interesting();
		s.cr4 = chance(70) ? below(0x800000) : interesting();
		s.efer = chance(70) ? efers[below(sizeof(efers) / 8)] : interesting();
		s.cr3 = chance(70) ? PT_GPA : interesting();
		s.cr8 = below(17);
		s.apic_base = chance(50) ? 0xfee00900 | (below(4) << 10) : interesting();
		break;
	case 2: {	/* segments */
		struct plumb_segment *segs[] = { &s.cs, &s.ds, &s.es, &s.fs,
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
		break;
	}
	default:
		mutate(&s, sizeof(s));
		break;
	}
	note("SET_SREGS fd %d cr0 %#llx cr4 %#llx efer %#llx cs %#x/%u/l%u apic %#llx",
	     fd, (unsigned long long)s.cr0, (unsigned long long)s.cr4,
	     (unsigned long long)s.efer, s.cs.selector, s.cs.type, s.cs.l,
	     (unsigned long long)s.apic_base);
	xioctl(fd, PLUMB_SET_SREGS, (uintptr_t)(chance(95) ? (void *)&s : pick_ptr(sizeof(s))));
}

static const uint32_t msrs[] = {
	0x10, 0x1b, 0x3a, 0x48, 0x49, 0x8b, 0xe7, 0xe8, 0xfe, 0x174, 0x175,
	0x176, 0x179, 0x17a, 0x1a0, 0x1d9, 0x200, 0x201, 0x250, 0x277, 0x2ff,
	0x3b, 0x6e0, 0x800, 0x802, 0x803, 0x808, 0x80b, 0x80f, 0x828, 0x830,
	0x832, 0x835, 0x838, 0x839, 0x83e, 0x83f, 0x8ff, 0xc0000080,
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, 0xc0000100,
	0xc0000101, 0xc0000102, 0xc0000103, 0xc0010015, 0xc0010114,
	0xc0010117, 0x4b564d00, 0x4b564d01, 0x40000000, 0xd90, 0xda0,
};

static void op_msr(void)
{
	struct fvcpu *v = pick_vcpu(NULL);
	struct plumb_msrs *m = (void *)buf;
	int fd = v && chance(90) ? v->fd : pick_fd(2);
	uint32_t i, n = chance(90) ? (uint32_t)below(8) : (uint32_t)below(300);
	int set = chance(50);

	memset(buf, 0, 8 + 300 * sizeof(m->entries[0]));
	m->nmsrs = chance(97) ? n : (uint32_t)interesting();
	for (i = 0; i < n; i++) {
		m->entries[i].index = chance(85) ? msrs[below(sizeof(msrs) / 4)]
						 : (uint32_t)interesting();
		m->entries[i].data = chance(30) ? below(0x1000) : interesting();
		if (m->entries[i].index == 0x1b && chance(50))	/* APIC base */
			m->entries[i].data = 0xfee00000 | (below(8) << 9);
		if (chance(3))
			m->entries[i].reserved = (uint32_t)rnd();
	}
	if (chance(5))
		m->flags = (uint32_t)rnd();
	note("%s_MSRS fd %d nmsrs %#x first %#x=%#llx", set ? "SET" : "GET", fd,
	     m->nmsrs, n ? m->entries[0].index : 0,
	     n ? (unsigned long long)m->entries[0].data : 0ULL);
	xioctl(fd, set ? PLUMB_SET_MSRS : PLUMB_GET_MSRS,
	       (uintptr_t)(chance(95) ? (void *)m : pick_ptr(8)));
}

static void op_cpuid(void)
{
	struct fvcpu *v = pick_vcpu(NULL);
	struct plumb_cpuid *c = (void *)buf;
	int fd = v && chance(90) ? v->fd : pick_fd(2);
	uint32_t n = supported->nent, i;

	memcpy(buf, supported, 8 + n * sizeof(c->entries[0]));
	if (chance(30))
		c->nent = (uint32_t)below(n + 1);
	for (i = 0; i < 1 + below(6); i++)
		mutate(&c->entries[below(c->nent ? c->nent : 1)], sizeof(c->entries[0]));
	if (chance(5))
		c->nent = (uint32_t)interesting();
	if (chance(5))
		c->flags = (uint32_t)rnd();
	note("SET_CPUID fd %d nent %u", fd, c->nent);
	xioctl(fd, PLUMB_SET_CPUID, (uintptr_t)(chance(95) ? (void *)c : pick_ptr(8)));
}

static void op_apic(void)
{
	struct fvcpu *v = pick_vcpu(NULL);

	if (chance(70)) {
		struct plumb_msi m = {
			.address_lo = 0xfee00000 | (uint32_t)(below(4) << 12) |
				      (uint32_t)(below(2) << 2),
			.data = (uint32_t)below(256) | (uint32_t)(below(8) << 8) |
				(uint32_t)(below(2) << 15) | (uint32_t)(below(2) << 14),
		};

		if (chance(20))
			mutate(&m, sizeof(m));
		note("SIGNAL_MSI addr %#x data %#x", m.address_lo, m.data);
		xioctl(pick_fd(1), PLUMB_SIGNAL_MSI, (uintptr_t)&m);
		return;
	}
	if (!v)
		return;
	if (chance(50)) {
		struct plumb_mp_state s = { .state = (uint32_t)below(3) };

		maybe_mutate(&s, sizeof(s));
		note("SET_MP_STATE fd %d state %u", v->fd, s.state);
		xioctl(v->fd, PLUMB_SET_MP_STATE, (uintptr_t)&s);
	} else {
		struct plumb_mp_state s;

		note("GET_MP_STATE fd %d", v->fd);
		xioctl(v->fd, PLUMB_GET_MP_STATE, (uintptr_t)(chance(80) ? (void *)&s : pick_ptr(sizeof(s))));
	}
}

static void op_code(void)
{
	struct fvm *vm = pick_vm();

	if (!vm || !vm->slot[0].mem)
		return;
	fuzz_code(vm->slot[0].mem, 0);
}

static void op_mmap(void)
{
	int fd = pick_fd((int)below(3));
	size_t len = chance(50) ? (size_t)mmap_size : 0x1000 * (1 + below(40));
	off_t off = chance(70) ? 0 : (off_t)(0x1000 * below(40));
	int prot = chance(70) ? PROT_READ | PROT_WRITE : (int)below(8);
	int flags = chance(80) ? MAP_SHARED : MAP_PRIVATE;
	void *p;

	note("mmap fd %d len %#zx off %#llx prot %d flags %#x", fd, len,
	     (unsigned long long)off, prot, flags);
	p = mmap(NULL, len, prot, flags, fd, off);
	if (p == MAP_FAILED)
		return;
	if ((prot & PROT_WRITE) && fd != mem_fd && chance(50))
		((volatile uint8_t *)p)[below(len < 4096 ? len : 4096)] = (uint8_t)rnd();
	if (chance(20)) {
		void *q = mremap(p, len, len * 2, MREMAP_MAYMOVE);

		if (q != MAP_FAILED) {
			p = q;
			len *= 2;
		}
	}
	munmap(p, len);
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
			fprintf(stderr, "t_fuzz: unknown class '%s'\n", t);
			exit(2);
		}
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: t_fuzz SEED OPS [--no CLASS,...] [--no-sregs] [--tame] [--secs N] [--trace] [--from N]\nclasses:");
	for (unsigned int c = 0; c < NCLASS; c++)
		fprintf(stderr, " %s", class_name[c]);
	fprintf(stderr, "\n");
	exit(2);
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
		disable_list("regs,sregs,msr,cpuid,apic,code");
	rng = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
	if (!rng)
		rng = 1;
	printf("t_fuzz: seed %" PRIu64 ", %" PRIu64 " ops%s, classes off:", seed,
	       nops, tame ? ", tame" : "");
	for (unsigned int c = 0; c < NCLASS; c++)
		if (disabled[c])
			printf(" %s", class_name[c]);
	printf("\n");
	fflush(stdout);

	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: RUN sees EINTR */
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	block_main_signals();

	sys_fd = open("/dev/plumb", O_RDWR | O_CLOEXEC);
	if (sys_fd < 0) {
		printf("FAIL: open /dev/plumb: %s\n", strerror(errno));
		return 1;
	}
	mmap_size = ioctl(sys_fd, PLUMB_GET_VCPU_MMAP_SIZE, 0);
	null_fd = open("/dev/null", O_RDWR);
	if (pipe(pipe_fd) || mmap_size <= 0) {
		printf("FAIL: setup\n");
		return 1;
	}
	ev_fd = eventfd(0, EFD_NONBLOCK);
	mem_fd = memfd_create("t_fuzz", 0);
	if (mem_fd >= 0 && ftruncate(mem_fd, 1 << 20))
		printf("  memfd: %s\n", strerror(errno));
	/* The argument buffer and a PROT_NONE page right after it. */
	buf = mmap(NULL, BUF_SIZE + 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		printf("FAIL: mmap\n");
		return 1;
	}
	guard_page = buf + BUF_SIZE;
	mprotect(guard_page, 4096, PROT_NONE);
	supported = calloc(1, 8 + 256 * sizeof(struct plumb_cpuid_entry));
	supported->nent = 256;
	if (ioctl(sys_fd, PLUMB_GET_SUPPORTED_CPUID, supported)) {
		printf("FAIL: GET_SUPPORTED_CPUID: %s\n", strerror(errno));
		return 1;
	}
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
		case C_RUN: op_run(); break;
		case C_RING: op_ring(); break;
		case C_CLOSE: op_close(); break;
		case C_FORK: op_fork(); break;
		case C_REGS: op_regs(); break;
		case C_SREGS: op_sregs(); break;
		case C_MSR: op_msr(); break;
		case C_CPUID: op_cpuid(); break;
		case C_APIC: op_apic(); break;
		case C_CODE: op_code(); break;
		case C_MMAP: op_mmap(); break;
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
	printf("t_fuzz: seed %" PRIu64 ": %" PRIu64 " ops in %.1f s (%.0f ops/s)\n",
	       seed, op_no, secs, secs > 0 ? (double)op_no / secs : 0.0);
	printf("  by class:");
	for (unsigned int c = 0; c < NCLASS; c++)
		printf(" %s %lu", class_name[c], done_by_class[c]);
	printf("\n  ioctls %lu ok / %lu failed; RUN %lu ok, %lu EINTR, %lu other errors; %lu records; %lu slot changes; %lu forks\n",
	       ioctl_ok, ioctl_err, runs_ok, runs_eintr, runs_err, records,
	       slot_ok, forks);
	close(sys_fd);
	bad = check_counters(pins0, unpins0);
	printf("%s: %d failure(s)\n", bad ? "FAILED" : "PASSED", bad);
	return bad ? 1 : 0;
}
