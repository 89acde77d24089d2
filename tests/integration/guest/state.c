// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU's state through the ABI (snapshots and migration): read in the
 * middle of a running guest, written into a fresh vCPU of another VM, and
 * the guest goes on there as if nothing happened.
 */
#include "guest.h"

#define TABLE		0x4000		/* the avx guest's 16 YMM values */
#define ROUNDS		8
#define MOVE_AFTER	3		/* exits on the first VM */

/* The avx guest (tests/guests/avx.S) ready to run: CPUID, CR4, its table. */
static void avx_setup(struct vm *vm, struct vcpu *v)
{
	struct plumb_sregs s;
	struct plumb_regs r;
	unsigned int i;

	setup(vm, v, "avx", 64);
	for (i = 0; i < 16 * 32; i++)
		vm->mem[TABLE + i] = (uint8_t)(i * 29 + 3);
	vcpu_set_supported_cpuid(v);	/* XSETBV follows CPUID leaf 0xD */
	T_CHECK(ioctl(v->fd, PLUMB_GET_SREGS, &s) == 0, "GET_SREGS");
	s.cr4 |= (1 << 18) | (1 << 9) | (1 << 10);	/* OSXSAVE OSFXSR OSXMMEXCPT */
	T_CHECK(ioctl(v->fd, PLUMB_SET_SREGS, &s) == 0, "SET_SREGS: CR4.OSXSAVE");
	T_CHECK(ioctl(v->fd, PLUMB_GET_REGS, &r) == 0, "GET_REGS");
	r.rsi = TABLE;
	r.rcx = ROUNDS;
	T_CHECK(ioctl(v->fd, PLUMB_SET_REGS, &r) == 0, "SET_REGS");
}

struct vcpu_state {
	struct plumb_regs regs;
	struct plumb_sregs sregs;
	struct plumb_xsave xsave;
	struct plumb_xcrs xcrs;
	struct plumb_mp_state mp;
	struct plumb_vcpu_events events;
	struct plumb_debugregs dbg;
};

static void get_state(struct vcpu *v, struct vcpu_state *st)
{
	memset(st, 0, sizeof(*st));
	T_CHECK(ioctl(v->fd, PLUMB_GET_REGS, &st->regs) == 0, "GET_REGS");
	T_CHECK(ioctl(v->fd, PLUMB_GET_SREGS, &st->sregs) == 0, "GET_SREGS");
	T_CHECK(ioctl(v->fd, PLUMB_GET_XSAVE, &st->xsave) == 0, "GET_XSAVE");
	T_CHECK(ioctl(v->fd, PLUMB_GET_XCRS, &st->xcrs) == 0, "GET_XCRS");
	T_CHECK(ioctl(v->fd, PLUMB_GET_MP_STATE, &st->mp) == 0, "GET_MP_STATE");
	T_CHECK(ioctl(v->fd, PLUMB_GET_VCPU_EVENTS, &st->events) == 0, "GET_VCPU_EVENTS");
	T_CHECK(ioctl(v->fd, PLUMB_GET_DEBUGREGS, &st->dbg) == 0, "GET_DEBUGREGS");
}

static void set_state(struct vcpu *v, const struct vcpu_state *st)
{
	T_CHECK(ioctl(v->fd, PLUMB_SET_SREGS, &st->sregs) == 0, "SET_SREGS");
	T_CHECK(ioctl(v->fd, PLUMB_SET_REGS, &st->regs) == 0, "SET_REGS");
	T_CHECK(ioctl(v->fd, PLUMB_SET_XCRS, &st->xcrs) == 0, "SET_XCRS");
	T_CHECK(ioctl(v->fd, PLUMB_SET_XSAVE, &st->xsave) == 0, "SET_XSAVE");
	T_CHECK(ioctl(v->fd, PLUMB_SET_MP_STATE, &st->mp) == 0, "SET_MP_STATE");
	T_CHECK(ioctl(v->fd, PLUMB_SET_VCPU_EVENTS, &st->events) == 0, "SET_VCPU_EVENTS");
	T_CHECK(ioctl(v->fd, PLUMB_SET_DEBUGREGS, &st->dbg) == 0, "SET_DEBUGREGS");
}

static uint64_t xstate_bv(const struct plumb_xsave *x)
{
	uint64_t bv;

	memcpy(&bv, (const uint8_t *)x + 512, sizeof(bv));
	return bv;
}

/*
 * The avx guest holds YMM0-15 and XCR0 = 7 across its exits. After
 * MOVE_AFTER of them its state goes into a fresh vCPU of a second VM (a
 * copy of the memory), the first VM is destroyed, and the guest must find
 * every register as it left it for the remaining rounds: a vCPU without
 * the YMM state counts mismatches, one without XCR0 takes #UD at its
 * first AVX instruction.
 */
static int t_state_move(void)
{
	struct vcpu_state *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct vm vm, vm2;
	struct vcpu v, v2;
	unsigned int i, size;
	long xsave_size;

	if (!a || !b)
		return 1;
	avx_setup(&vm, &v);
	xsave_size = ioctl(vm.sys_fd, PLUMB_CHECK_CAPABILITY, PLUMB_CAP_XSAVE);
	T_CHECK(xsave_size >= 576 && xsave_size <= 4096,
		"PLUMB_CAP_XSAVE: %ld bytes of the image used", xsave_size);
	size = xsave_size > 0 ? (unsigned int)xsave_size : 4096;
	for (i = 0; i < MOVE_AFTER; i++)
		T_CHECK(expect_out32(&v, 0x1238) == ROUNDS - i, "round %u on the first VM", i);
	get_state(&v, a);
	T_CHECK(a->xcrs.nr_xcrs == 1 && a->xcrs.xcrs[0].xcr == 0 &&
		a->xcrs.xcrs[0].value == 7,
		"XCR0 read back as the guest set it: %#llx",
		(unsigned long long)a->xcrs.xcrs[0].value);
	/* x87 (and on some CPUs SSE) may be in its initial state: not set. */
	T_CHECK(xstate_bv(&a->xsave) & 4, "XSTATE_BV has AVX (%#llx)",
		(unsigned long long)xstate_bv(&a->xsave));

	vm_create(&vm2, MEM_SIZE);
	memcpy(vm2.mem, vm.mem, MEM_SIZE);
	vcpu_create(&vm2, &v2, 0);
	vcpu_set_supported_cpuid(&v2);
	vcpu_destroy(&v);
	vm_destroy(&vm);
	set_state(&v2, a);
	get_state(&v2, b);
	T_CHECK(!memcmp(&a->regs, &b->regs, sizeof(a->regs)), "REGS read back identical");
	T_CHECK(!memcmp(&a->sregs, &b->sregs, sizeof(a->sregs)), "SREGS read back identical");
	T_CHECK(!memcmp(&a->xcrs, &b->xcrs, sizeof(a->xcrs)), "XCRS read back identical");
	T_CHECK(!memcmp(&a->events, &b->events, sizeof(a->events)),
		"VCPU_EVENTS read back identical");
	T_CHECK(!memcmp(&a->dbg, &b->dbg, sizeof(a->dbg)), "DEBUGREGS read back identical");
	T_CHECK(!memcmp(&a->xsave, &b->xsave, size),
		"XSAVE read back identical (%u bytes)", size);

	for (; i < ROUNDS; i++)
		T_CHECK(expect_out32(&v2, 0x1238) == ROUNDS - i, "round %u on the second VM", i);
	T_CHECK(expect_out32(&v2, 0x1237) == 0,
		"the guest found YMM0-15 as it left them in every round (0 mismatches)");
	expect_reason(&v2, PLUMB_EXIT_HLT);
	vcpu_destroy(&v2);
	vm_destroy(&vm2);
	free(a);
	free(b);
	return t_done();
}

/*
 * What a hostile SET_XSAVE or SET_XCRS could make the host's XRSTOR or
 * XSETBV fault on is refused with EINVAL, and the guest state is left as
 * it was: the guest still runs to the end.
 */
static int t_state_bad(void)
{
	struct plumb_xsave *x = calloc(1, sizeof(*x)), *good = calloc(1, sizeof(*good));
	struct plumb_xcrs xc;
	struct vm vm;
	struct vcpu v;
	uint64_t bv;
	uint32_t mxcsr;

	if (!x || !good)
		return 1;
	avx_setup(&vm, &v);
	T_CHECK(expect_out32(&v, 0x1238) == ROUNDS, "the guest's first round");
	T_CHECK(ioctl(v.fd, PLUMB_GET_XSAVE, good) == 0, "GET_XSAVE");

	memcpy(x, good, sizeof(*x));
	bv = xstate_bv(x) | (1ULL << 63);
	memcpy((uint8_t *)x + 512, &bv, 8);
	T_ERRNO(ioctl(v.fd, PLUMB_SET_XSAVE, x), EINVAL, "XSTATE_BV bit 63");
	memcpy(x, good, sizeof(*x));
	bv = xstate_bv(x) | (1ULL << 17);	/* AMX tile data: never the guest's */
	memcpy((uint8_t *)x + 512, &bv, 8);
	T_ERRNO(ioctl(v.fd, PLUMB_SET_XSAVE, x), EINVAL, "XSTATE_BV with AMX tile data");
	memcpy(x, good, sizeof(*x));
	bv = (1ULL << 63) | 3;			/* XCOMP_BV: the compacted format */
	memcpy((uint8_t *)x + 520, &bv, 8);
	T_ERRNO(ioctl(v.fd, PLUMB_SET_XSAVE, x), EINVAL, "XCOMP_BV set");
	memcpy(x, good, sizeof(*x));
	((uint8_t *)x)[512 + 63] = 1;		/* the header's reserved bytes */
	T_ERRNO(ioctl(v.fd, PLUMB_SET_XSAVE, x), EINVAL, "header reserved byte");
	memcpy(x, good, sizeof(*x));
	mxcsr = 0x1f80 | (1U << 20);
	memcpy((uint8_t *)x + 24, &mxcsr, 4);
	T_ERRNO(ioctl(v.fd, PLUMB_SET_XSAVE, x), EINVAL, "MXCSR reserved bit");
	T_ERRNO(ioctl(v.fd, PLUMB_SET_XSAVE, (void *)8), EFAULT, "SET_XSAVE from address 8");
	T_ERRNO(ioctl(v.fd, PLUMB_GET_XSAVE, (void *)8), EFAULT, "GET_XSAVE to address 8");

	memset(&xc, 0, sizeof(xc));
	xc.nr_xcrs = 1;
	xc.xcrs[0].xcr = 1;
	xc.xcrs[0].value = 7;
	T_ERRNO(ioctl(v.fd, PLUMB_SET_XCRS, &xc), EINVAL, "XCR1");
	xc.xcrs[0].xcr = 0;
	xc.xcrs[0].value = 5;			/* AVX without SSE */
	T_ERRNO(ioctl(v.fd, PLUMB_SET_XCRS, &xc), EINVAL, "XCR0 = 5");
	xc.xcrs[0].value = 0;			/* without x87 */
	T_ERRNO(ioctl(v.fd, PLUMB_SET_XCRS, &xc), EINVAL, "XCR0 = 0");
	xc.xcrs[0].value = 7;
	xc.nr_xcrs = PLUMB_MAX_XCRS + 1;
	T_ERRNO(ioctl(v.fd, PLUMB_SET_XCRS, &xc), EINVAL, "17 XCRs");
	xc.nr_xcrs = 1;
	xc.flags = 1;
	T_ERRNO(ioctl(v.fd, PLUMB_SET_XCRS, &xc), EINVAL, "flags 1");

	T_CHECK(ioctl(v.fd, PLUMB_GET_XSAVE, x) == 0 && !memcmp(x, good, sizeof(*x)),
		"the XSAVE image is unchanged after the refusals");
	T_CHECK(ioctl(v.fd, PLUMB_SET_XSAVE, good) == 0, "the good image is taken back");
	for (int i = 1; i < ROUNDS; i++)
		T_CHECK(expect_out32(&v, 0x1238) == (uint32_t)(ROUNDS - i), "round %d", i);
	T_CHECK(expect_out32(&v, 0x1237) == 0, "the guest's YMM0-15 intact (0 mismatches)");
	expect_reason(&v, PLUMB_EXIT_HLT);
	vcpu_destroy(&v);
	vm_destroy(&vm);
	free(x);
	free(good);
	return t_done();
}

/* One SET_VCPU_EVENTS at the guest's 0xaa, then what must follow. */
static void events_round(struct vcpu *v, const struct plumb_vcpu_events *e,
			 const char *what, const uint32_t *want, int n)
{
	struct plumb_vcpu_events g;
	int i;

	T_CHECK(expect_out32(v, 0x1238) == 0xaa, "%s: the guest is ready", what);
	T_CHECK(ioctl(v->fd, PLUMB_SET_VCPU_EVENTS, e) == 0, "%s: SET_VCPU_EVENTS", what);
	memset(&g, 0, sizeof(g));
	T_CHECK(ioctl(v->fd, PLUMB_GET_VCPU_EVENTS, &g) == 0 &&
		g.exception.injected == e->exception.injected &&
		g.interrupt.injected == e->interrupt.injected &&
		g.nmi.injected == e->nmi.injected,
		"%s: GET_VCPU_EVENTS shows it before the entry", what);
	for (i = 0; i < n; i++) {
		uint32_t got = expect_out32(v, 0x1238);

		T_CHECK(got == want[i], "%s: report %d is %#x (%#x)", what, i,
			want[i], got);
	}
}

/*
 * What SET_VCPU_EVENTS injects is delivered before the guest's next
 * instruction, through its IDT (tests/guests/events.S): an exception with
 * its error code, an interrupt, an NMI, an NMI left pending; a masked
 * NMI waits for the guest's next IRET.
 */
static int t_events(void)
{
	static const uint32_t gp[] = { 0xd0018, 0xbb, 0xcc };
	static const uint32_t bp[] = { 0x30000, 0xbb, 0xcc };
	static const uint32_t irq[] = { 0x410000, 0xbb, 0xcc };
	static const uint32_t nmi[] = { 0x20000, 0xbb, 0xcc };
	static const uint32_t masked[] = { 0xbb, 0x20000, 0xcc };
	struct plumb_vcpu_events e;
	struct vm vm;
	struct vcpu v;

	setup(&vm, &v, "events", 64);
	memset(&e, 0, sizeof(e));
	e.exception.injected = 1;
	e.exception.nr = 13;
	e.exception.has_error_code = 1;
	e.exception.error_code = 0x18;
	events_round(&v, &e, "#GP(0x18) injected", gp, 3);

	memset(&e, 0, sizeof(e));
	e.exception.injected = 1;
	e.exception.nr = 3;
	events_round(&v, &e, "#BP injected (an event, not an INT3)", bp, 3);

	memset(&e, 0, sizeof(e));
	e.interrupt.injected = 1;
	e.interrupt.nr = 0x41;
	events_round(&v, &e, "interrupt 0x41 injected", irq, 3);

	/* IF=0 at no instruction of the guest's: an interrupt cannot go in. */
	T_CHECK(expect_out32(&v, 0x1238) == 0xaa, "the guest is ready");
	{
		struct plumb_regs r;

		T_CHECK(ioctl(v.fd, PLUMB_GET_REGS, &r) == 0, "GET_REGS");
		r.rflags &= ~0x200ULL;
		T_CHECK(ioctl(v.fd, PLUMB_SET_REGS, &r) == 0, "SET_REGS: IF=0");
		T_ERRNO(ioctl(v.fd, PLUMB_SET_VCPU_EVENTS, &e), EINVAL,
			"an interrupt injected with IF=0");
		memset(&e, 0, sizeof(e));
		e.flags = PLUMB_VCPUEVENT_VALID_SHADOW;
		e.interrupt.shadow = PLUMB_SHADOW_STI;
		T_ERRNO(ioctl(v.fd, PLUMB_SET_VCPU_EVENTS, &e), EINVAL,
			"an STI shadow with IF=0");
		r.rflags |= 0x200ULL;
		T_CHECK(ioctl(v.fd, PLUMB_SET_REGS, &r) == 0, "SET_REGS: IF=1 again");
		T_CHECK(expect_out32(&v, 0x1238) == 0xbb, "the guest goes on");
		T_CHECK(expect_out32(&v, 0x1238) == 0xcc, "... to its IRET");
	}

	memset(&e, 0, sizeof(e));
	e.nmi.injected = 1;
	events_round(&v, &e, "NMI injected", nmi, 3);

	memset(&e, 0, sizeof(e));
	e.nmi.pending = 1;
	e.flags = PLUMB_VCPUEVENT_VALID_NMI_PENDING;
	events_round(&v, &e, "NMI pending", nmi, 3);

	memset(&e, 0, sizeof(e));
	e.nmi.pending = 1;
	e.nmi.masked = 1;
	e.flags = PLUMB_VCPUEVENT_VALID_NMI_PENDING;
	events_round(&v, &e, "NMI pending behind a masked one", masked, 3);

	T_CHECK(expect_out32(&v, 0x1238) == 0xaa, "the guest runs on");
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

const struct guest_test guest_state_tests[] = {
	{ "events", .run = t_events },
	{ "state_move", .run = t_state_move },
	{ "state_bad", .run = t_state_bad },
	{ NULL },
};
