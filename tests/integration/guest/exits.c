// SPDX-License-Identifier: GPL-2.0
/*
 * t_guest: the basic exits: port I/O in each CPU mode, HLT, a triple fault,
 * string I/O, and guests that compute without exiting.
 */
#define _GNU_SOURCE
#include "guest.h"

static int t_hello(int mode)
{
	const char *msg = "hello\n";
	struct vm vm;
	struct vcpu v;

	setup(&vm, &v, "hello", mode);
	for (const char *c = msg; *c; c++)
		expect_out(&v, 0x3f8, 1, (uint8_t)*c);
	t_note("%d-bit guest wrote \"hello\\n\" to port 0x3f8", mode);
	expect_in(&v, 0x1234, 1, 0x41);
	expect_out(&v, 0x1235, 1, 0x42);
	t_note("8-bit IN answered 0x41, guest echoed 0x42");
	expect_in(&v, 0x1236, 4, 0xdeadbeef);
	expect_out(&v, 0x1237, 4, 0xdeadbef0);
	t_note("32-bit IN answered 0xdeadbeef, guest echoed 0xdeadbef0");
	expect_reason(&v, PLUMB_EXIT_HLT);
	t_note("HLT exits to userspace");
	expect_out(&v, 0x3f8, 1, '!');
	expect_reason(&v, PLUMB_EXIT_HLT);
	t_note("RUN after HLT continues after the HLT");
	printf("RUN calls: %llu\n", (unsigned long long)v.runs);
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

static int t_triple(void)
{
	struct vm vm;
	struct vcpu v;

	setup(&vm, &v, "triple", 32);
	expect_reason(&v, PLUMB_EXIT_SHUTDOWN);
	t_note("ud2 without an IDT ends in a shutdown record");
	expect_reason(&v, PLUMB_EXIT_SHUTDOWN);
	t_note("RUN on a shut-down vCPU reports the shutdown again");
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

static int t_loop(void)
{
	const uint64_t n = 20 * 1000 * 1000;
	struct plumb_regs r;
	struct vm vm;
	struct vcpu v;
	uint64_t lo, hi;
	double t;

	setup(&vm, &v, "loop", 64);
	ioctl(v.fd, PLUMB_GET_REGS, &r);
	r.rcx = n;
	ioctl(v.fd, PLUMB_SET_REGS, &r);
	t = now();
	lo = expect_out32(&v, 0x1238);
	hi = expect_out32(&v, 0x1238);
	expect_reason(&v, PLUMB_EXIT_HLT);
	t = now() - t;
	T_CHECK((hi << 32 | lo) == n * (n + 1) / 2, "sum 1..%llu = %llu",
		(unsigned long long)n, (unsigned long long)(hi << 32 | lo));
	/* 3 guest instructions per iteration; exits: 2 OUTs, HLT, interrupts */
	printf("%llu guest instructions, %llu RUN returns, %.2fs (%.0f M insn/s)\n",
	       (unsigned long long)(3 * n), (unsigned long long)v.runs, t,
	       3 * n / t / 1e6);
	T_CHECK(v.runs < 10, "no exit per instruction (%llu RUN returns)",
		(unsigned long long)v.runs);
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

static int t_memsum(void)
{
	const uint64_t base = 0x200000, len = 0x100000;
	uint64_t sum = 0, got, off;
	struct plumb_regs r;
	struct vm vm;
	struct vcpu v;

	setup(&vm, &v, "memsum", 64);
	ioctl(v.fd, PLUMB_GET_REGS, &r);
	r.rsi = base;
	r.rcx = len;
	ioctl(v.fd, PLUMB_SET_REGS, &r);
	got = expect_out32(&v, 0x1238);
	got |= (uint64_t)expect_out32(&v, 0x1238) << 32;
	expect_reason(&v, PLUMB_EXIT_HLT);
	for (off = 0; off < len; off += 8) {
		uint64_t val;

		memcpy(&val, vm.mem + base + off, 8);
		if (val != (base + off) * 0x3779b1ULL) {
			T_CHECK(0, "host sees the guest's pattern at %#llx",
				(unsigned long long)(base + off));
			break;
		}
		sum += val;
	}
	T_CHECK(off == len, "host sees the guest's 1 MiB pattern");
	T_CHECK(sum == got, "guest checksum %#llx == host checksum %#llx",
		(unsigned long long)got, (unsigned long long)sum);
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

/* The guest climbs from real mode to long mode by itself (guests/modes.S). */
static int t_modes(void)
{
	struct plumb_sregs s;
	struct vm vm;
	struct vcpu v;
	uint32_t efer;

	setup(&vm, &v, "modes", 16);
	T_CHECK(expect_out32(&v, 0x1238) == 1, "real mode -> protected mode");
	T_CHECK(expect_out32(&v, 0x1238) == 2, "PAE paging: a read through the tables");
	efer = expect_out32(&v, 0x1238);
	T_CHECK(efer == 0x500, "long mode: EFER = %#x (LME | LMA)", efer);
	expect_reason(&v, PLUMB_EXIT_HLT);
	T_CHECK(ioctl(v.fd, PLUMB_GET_SREGS, &s) == 0 && (s.efer & 0x400) &&
		s.cs.l && (s.cr0 & 0x80000001) == 0x80000001 && (s.cr4 & 0x20) &&
		s.cr3 == 0x5000, "GET_SREGS: EFER %#llx CR0 %#llx CR4 %#llx CR3 %#llx CS.L %u",
		(unsigned long long)s.efer, (unsigned long long)s.cr0,
		(unsigned long long)s.cr4, (unsigned long long)s.cr3, s.cs.l);
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

/* Take string OUT records from @port until @n bytes arrived. */
static void collect_out(struct vcpu *v, uint16_t port, char *buf, unsigned int n)
{
	unsigned int got = 0;

	while (got < n) {
		struct plumb_exit *e = vcpu_next(v);

		if (e->reason != PLUMB_EXIT_IO || e->io.port != port ||
		    e->io.direction != PLUMB_IO_OUT || e->io.size != 1 ||
		    !e->io.count || got + e->io.count > n) {
			printf("FAIL: bad string OUT record (%s port %#x count %u)\n",
			       exit_name(e->reason), e->io.port, e->io.count);
			exit(1);
		}
		memcpy(buf + got, e->io.data, e->io.count);
		got += e->io.count;
		vcpu_consume(v);
	}
	buf[n] = 0;
}

static void reply_ins(struct vcpu *v, uint8_t first, unsigned int n)
{
	unsigned int done = 0;

	while (done < n) {
		struct plumb_exit *e = vcpu_next(v);

		if (e->reason != PLUMB_EXIT_IO || e->io.direction != PLUMB_IO_IN ||
		    e->io.port != 0x1234 || !e->io.count ||
		    done + e->io.count > n) {
			printf("FAIL: bad string IN record\n");
			exit(1);
		}
		for (unsigned int i = 0; i < e->io.count; i++)
			e->io.data[i] = first + done + i;
		done += e->io.count;
		vcpu_consume(v);
	}
}

static int t_rep(void)
{
	const char *msg = "0123456789abcdefghijklmnopqrstuvwxyzABCD";
	char buf[41], rev[41];
	struct vm vm;
	struct vcpu v;
	int i;

	setup(&vm, &v, "rep", 32);
	collect_out(&v, 0x3f8, buf, 40);
	T_CHECK(!strcmp(buf, msg), "REP OUTSB up: %s", buf);
	for (i = 0; i < 40; i++)
		rev[i] = msg[39 - i];
	rev[40] = 0;
	collect_out(&v, 0x3f8, buf, 40);
	T_CHECK(!strcmp(buf, rev), "REP OUTSB down (DF=1): %s", buf);
	reply_ins(&v, 1, 8);
	expect_out(&v, 0x1235, 1, 36);
	t_note("REP INSB up stored 1..8 (sum 36)");
	reply_ins(&v, 11, 8);
	expect_out(&v, 0x1235, 1, 18);
	expect_out(&v, 0x1235, 1, 11);
	t_note("REP INSB down stored 11 at the top, 18 at the bottom");
	T_CHECK(expect_out32(&v, 0x1238) != 0, "EDI reported");
	expect_reason(&v, PLUMB_EXIT_HLT);
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

const struct guest_test guest_exits_tests[] = {
	{ "hello16", .run_int = t_hello, .param = 16 },
	{ "hello32", .run_int = t_hello, .param = 32 },
	{ "hello64", .run_int = t_hello, .param = 64 },
	{ "triple", .run = t_triple },
	{ "loop", .run = t_loop },
	{ "memsum", .run = t_memsum },
	{ "modes", .run = t_modes },
	{ "rep", .run = t_rep },
	{ NULL }
};
