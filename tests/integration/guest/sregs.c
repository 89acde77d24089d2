// SPDX-License-Identifier: GPL-2.0
/*
 * t_guest: guest state no CPU can run: one invalid state the vCPU survives,
 * and random hostile states.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/time.h>

#include "guest.h"

/*
 * Invalid guest state: a 64-bit code segment with both L and D set, which
 * VM entry refuses (VMX: invalid guest state; SVM hardware's VMRUN too, but
 * not QEMU's or Bochs', so this runs on VMX only). The record says so, the
 * vCPU survives, and once userspace fixes the state the guest runs.
 */
static int t_badstate(const char *backend)
{
	struct plumb_segment ldt;
	struct plumb_sregs s;
	struct plumb_exit *e;
	struct vm vm;
	struct vcpu v;

	setup(&vm, &v, "hello", 64);
	T_CHECK(ioctl(v.fd, PLUMB_GET_SREGS, &s) == 0, "GET_SREGS");
	/* States no CPU can be in: refused by SET_SREGS on both backends. */
	s.cs.db = 1;
	T_ERRNO(ioctl(v.fd, PLUMB_SET_SREGS, &s), EINVAL, "SET_SREGS with CS.L=CS.D=1");
	s.cs.db = 0;
	s.cr0 &= ~0x80000000ULL;	/* EFER.LMA without paging */
	T_ERRNO(ioctl(v.fd, PLUMB_SET_SREGS, &s), EINVAL, "SET_SREGS with LMA and CR0.PG=0");
	s.cr0 |= 0x80000000ULL;
	s.cr4 &= ~0x20ULL;		/* IA-32e paging without PAE */
	T_ERRNO(ioctl(v.fd, PLUMB_SET_SREGS, &s), EINVAL, "SET_SREGS with LME+PG, no PAE");
	s.cr4 |= 0x20;
	s.cr0 |= 1ULL << 29;		/* NW without CD */
	T_ERRNO(ioctl(v.fd, PLUMB_SET_SREGS, &s), EINVAL, "SET_SREGS with CR0.NW, no CD");
	s.cr0 &= ~(1ULL << 29);
	s.cr4 |= 1ULL << 13;		/* VMXE: never offered */
	T_ERRNO(ioctl(v.fd, PLUMB_SET_SREGS, &s), EINVAL, "SET_SREGS with CR4.VMXE");
	s.cr4 &= ~(1ULL << 13);
	s.cr3 = 1ULL << 62;		/* beyond MAXPHYADDR */
	T_ERRNO(ioctl(v.fd, PLUMB_SET_SREGS, &s), EINVAL, "SET_SREGS with CR3 bit 62");
	T_CHECK(ioctl(v.fd, PLUMB_GET_SREGS, &s) == 0, "GET_SREGS");
	s.tr.type = 3;			/* a 16-bit TSS in IA-32e mode */
	T_ERRNO(ioctl(v.fd, PLUMB_SET_SREGS, &s), EINVAL, "SET_SREGS with TR type 3 in IA-32e mode");
	s.tr.type = 11;
	s.tr.present = 0;
	T_ERRNO(ioctl(v.fd, PLUMB_SET_SREGS, &s), EINVAL, "SET_SREGS with TR not present");
	s.tr.present = 1;
	if (strcmp(backend, "vmx")) {
		expect_out(&v, 0x3f8, 1, 'h');
		t_note("the refused states left the vCPU as it was: it runs");
		goto out;
	}
	/* A state only VM entry checks (an LDTR that is no LDT): VMX. */
	ldt = s.ldt;
	s.ldt.unusable = 0;
	s.ldt.present = 1;
	s.ldt.s = 0;
	s.ldt.type = 1;
	T_CHECK(ioctl(v.fd, PLUMB_SET_SREGS, &s) == 0, "SET_SREGS with LDTR type 1");
	e = vcpu_next(&v);
	T_CHECK(e->reason == PLUMB_EXIT_FAIL_ENTRY, "entry failure record (%s, %#llx)",
		exit_name(e->reason),
		(unsigned long long)e->fail_entry.hardware_reason);
	if (!strcmp(backend, "vmx"))
		T_CHECK((uint32_t)e->fail_entry.hardware_reason == 0x80000021,
			"VMX: exit reason 33 with bit 31, invalid guest state (%s)",
			fail_entry_name(backend, e->fail_entry.hardware_reason));
	vcpu_consume(&v);
	s.ldt = ldt;
	T_CHECK(ioctl(v.fd, PLUMB_SET_SREGS, &s) == 0, "SET_SREGS fixed");
	expect_out(&v, 0x3f8, 1, 'h');
	t_note("the fixed vCPU runs");
out:
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

static uint64_t rnd(uint64_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return *st;
}

static void rnd_seg(struct plumb_segment *g, uint64_t *st)
{
	uint64_t x = rnd(st);

	g->selector = x;
	g->base = (x >> 16) & 1 ? 0 : rnd(st) & 0xffffffff;
	g->limit = (x >> 17) & 1 ? 0xffffffff : (uint32_t)rnd(st);
	g->type = x >> 20;
	g->type &= 15;
	g->present = (x >> 24) & 1;
	g->dpl = (x >> 25) & 3;
	g->db = (x >> 27) & 1;
	g->s = (x >> 28) & 1;
	g->l = (x >> 29) & 1;
	g->g = (x >> 30) & 1;
	g->avl = (x >> 31) & 1;
	g->unusable = (x >> 32) & 1;
	g->padding = 0;
}

/*
 * Hostile register state: random segments, control registers, EFER and
 * RIP/RFLAGS, each followed by RUN. Whatever the CPU makes of it (entry
 * failure, a triple fault, MMIO the emulator refuses, a guest running
 * wild), RUN must come back (a 20 ms interval timer interrupts it) and the
 * host must stay well: the harness checks the kernel log.
 */
static int t_fuzz(void)
{
	static const uint64_t cr0s[] = { 0x10, 0x11, 0x80000011, 0x60000010,
					 0xe0000011, 0x80000001 };
	static const uint64_t efers[] = { 0, 0x100, 0x500, 0xd01, 0x400 };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	unsigned int i, n = 150, accepted = 0, records = 0, eintr = 0, seen = 0;
	uint64_t st = 0x9e3779b97f4a7c15ULL;
	struct plumb_sregs s0;
	struct vm vm;
	struct vcpu v;

	setup(&vm, &v, "hello", 64);
	ioctl(v.fd, PLUMB_GET_SREGS, &s0);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (i = 0; i < n; i++) {
		struct plumb_sregs s = s0;
		struct plumb_regs r;
		int ret;

		if (i & 1)	/* valid 64-bit state, random code: a wild guest */
			goto regs;
		rnd_seg(&s.cs, &st);
		rnd_seg(&s.ss, &st);
		rnd_seg(&s.ds, &st);
		if (rnd(&st) & 1)
			rnd_seg(&s.tr, &st);
		if (rnd(&st) & 1)
			rnd_seg(&s.ldt, &st);
		s.cr0 = cr0s[rnd(&st) % 6];
		s.cr4 = rnd(&st) & 0x6ff;
		s.cr3 = rnd(&st) & 0x3ff000;
		s.efer = efers[rnd(&st) % 5];
		s.gdt.limit = rnd(&st);
		s.idt.limit = rnd(&st);
regs:
		if (ioctl(v.fd, PLUMB_SET_SREGS, &s) == 0)
			accepted++;
		ioctl(v.fd, PLUMB_GET_REGS, &r);
		r.rip = rnd(&st) & 0x3fffff;
		r.rsp = rnd(&st) & 0x3fffff;
		r.rflags = rnd(&st);
		ioctl(v.fd, PLUMB_SET_REGS, &r);
		ret = ioctl(v.fd, PLUMB_RUN, 0);
		if (ret == -1 && errno == EINTR)
			eintr++;
		if (ret == 0 && v.hdr->producer != v.cons) {
			uint32_t why = v.ring[v.cons % v.hdr->entry_count].reason;

			if (why < 16)
				seen |= 1U << why;
		}
		/* Take whatever came, replies unanswered. */
		if (v.hdr->producer != v.cons)
			records++;
		v.cons = v.hdr->producer;
		v.hdr->consumer = v.cons;
		if (v.hdr->producer == v.cons && ret == 0 && (i % 16) == 15) {
			/* A dead (triple-faulted) vCPU stays dead: a new one. */
			vcpu_destroy(&v);
			vcpu_create(&vm, &v, 1 + i / 16);
		}
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	t_note("%u hostile states: %u accepted by SET_SREGS, %u RUNs with records (reasons seen %#x), %u interrupted",
		n, accepted, records, seen, eintr);
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

const struct guest_test guest_sregs_tests[] = {
	{ "badstate", .run_arg = t_badstate, .usage = "BACKEND" },
	{ "fuzz", .run = t_fuzz },
	{ NULL }
};
