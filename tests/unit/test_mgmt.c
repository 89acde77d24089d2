// SPDX-License-Identifier: GPL-2.0
/*
 * The management plane's client without a module: messages built in memory
 * the way the kernel builds them (genlmsg_put, nla_put_*, nests) go through
 * the parser (user/mgmt/msg.c) into the plain structs, and from there
 * through the renderer (user/mgmt/render.c) into tables and JSON, which is
 * parsed back. Truncated and garbage messages must be refused whole.
 * Last, the socket layer (user/mgmt/genl.c) against a fake kernel put in
 * libnl's send and receive hooks: which errno reaches which message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include <json-c/json.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <plumb/names.h>

#include "plumb.h"
#include "mgmt/mgmt.h"

#define FAMILY	0x1d	/* any id: the parser does not look at it */

/* ---- messages as the kernel sends them ---- */

/*
 * The kernel puts u64s with nla_put_u64_64bit(): on x86 no padding, else
 * a PAD attribute where needed. @pad puts one anyway, to show the
 * parser takes it.
 */
static void put_u64(struct nl_msg *msg, int type, uint64_t v, int padtype, bool pad)
{
	if (pad)
		ck_assert_int_eq(nla_put(msg, padtype, 0, NULL), 0);
	ck_assert_int_eq(nla_put_u64(msg, type, v), 0);
}

static void put_stats(struct nl_msg *msg, const struct mgmt_stats *st, bool pad)
{
	struct nlattr *nest = nla_nest_start(msg, PLUMB_A_STATS), *xr;
	unsigned int i;

	ck_assert_ptr_nonnull(nest);
	put_u64(msg, PLUMB_STAT_RUNS, st->runs, PLUMB_STAT_PAD, pad);
	put_u64(msg, PLUMB_STAT_EXITS, st->exits, PLUMB_STAT_PAD, pad);
	put_u64(msg, PLUMB_STAT_EXITS_USER, st->exits_user, PLUMB_STAT_PAD, pad);
	put_u64(msg, PLUMB_STAT_RECORDS, st->records, PLUMB_STAT_PAD, pad);
	put_u64(msg, PLUMB_STAT_POSTED, st->posted, PLUMB_STAT_PAD, pad);
	put_u64(msg, PLUMB_STAT_IRQS, st->irqs, PLUMB_STAT_PAD, pad);
	put_u64(msg, PLUMB_STAT_NMIS, st->nmis, PLUMB_STAT_PAD, pad);
	put_u64(msg, PLUMB_STAT_HALTS, st->halts, PLUMB_STAT_PAD, pad);
	put_u64(msg, PLUMB_STAT_HALT_NS, st->halt_ns, PLUMB_STAT_PAD, pad);
	put_u64(msg, PLUMB_STAT_GUEST_NS, st->guest_ns, PLUMB_STAT_PAD, pad);
	xr = nla_nest_start(msg, PLUMB_STAT_EXIT_REASONS);
	ck_assert_ptr_nonnull(xr);
	for (i = 0; i < PLUMB_XR_NR; i++)
		put_u64(msg, (int)i + 1, st->exit_reasons[i], 0, pad);
	nla_nest_end(msg, xr);
	nla_nest_end(msg, nest);
}

struct build {
	bool pad;		/* PAD attributes before the u64s */
	bool newer;		/* attributes of a newer module, to be ignored */
	int vcpus;		/* PLUMB_A_VCPU nests (-1: vm->nr_vcpus) */
	int skip;		/* leave out this attribute */
};

/* @vm as the module would send it (a dump entry, or a doit with vCPUs). */
static struct nl_msg *vm_msg(const struct mgmt_vm *vm, const struct build *b)
{
	struct nl_msg *msg = nlmsg_alloc();
	int i, n = b->vcpus < 0 ? (int)vm->nr_vcpus : b->vcpus;

	ck_assert_ptr_nonnull(msg);
	ck_assert_ptr_nonnull(genlmsg_put(msg, 0, 1, FAMILY, 0, 0,
					  PLUMB_CMD_GET_VM, PLUMB_GENL_VERSION));
#define PUT(attr, call) do { if (b->skip != (attr)) ck_assert_int_eq(call, 0); } while (0)
	PUT(PLUMB_A_VM_ID, nla_put_u32(msg, PLUMB_A_VM_ID, vm->id));
	PUT(PLUMB_A_VM_PID, nla_put_u32(msg, PLUMB_A_VM_PID, vm->pid));
	PUT(PLUMB_A_VM_UID, nla_put_u32(msg, PLUMB_A_VM_UID, vm->uid));
	PUT(PLUMB_A_VM_COMM, nla_put_string(msg, PLUMB_A_VM_COMM, vm->comm));
	PUT(PLUMB_A_VM_ABI, nla_put_u8(msg, PLUMB_A_VM_ABI, vm->abi));
	PUT(PLUMB_A_VM_VCPUS, nla_put_u32(msg, PLUMB_A_VM_VCPUS, vm->nr_vcpus));
	if (b->newer)
		ck_assert_int_eq(nla_put_u32(msg, PLUMB_A_MAX + 7, 0xdead), 0);
	if (b->skip != PLUMB_A_VM_MEM_BYTES)
		put_u64(msg, PLUMB_A_VM_MEM_BYTES, vm->mem_bytes, PLUMB_A_PAD, b->pad);
	if (b->skip != PLUMB_A_VM_PINNED_PAGES)
		put_u64(msg, PLUMB_A_VM_PINNED_PAGES, vm->pinned_pages, PLUMB_A_PAD, b->pad);
	PUT(PLUMB_A_VM_STATE, nla_put_u8(msg, PLUMB_A_VM_STATE, vm->state));
	/* Last of the VM's own: so that no padding ends the message. */
	if (b->skip != PLUMB_A_VM_CREATED_NS)
		put_u64(msg, PLUMB_A_VM_CREATED_NS, vm->created_ns, PLUMB_A_PAD, b->pad);
#undef PUT
	if (b->skip != PLUMB_A_STATS)
		put_stats(msg, &vm->stats, b->pad);
	for (i = 0; i < n; i++) {
		const struct mgmt_vcpu *v = &vm->vcpus[i];
		struct nlattr *nest = nla_nest_start(msg, PLUMB_A_VCPU);

		ck_assert_ptr_nonnull(nest);
		if (b->skip != PLUMB_A_VCPU_ID)
			ck_assert_int_eq(nla_put_u32(msg, PLUMB_A_VCPU_ID, v->id), 0);
		ck_assert_int_eq(nla_put_u8(msg, PLUMB_A_VCPU_STATE, v->state), 0);
		put_stats(msg, &v->stats, b->pad);
		nla_nest_end(msg, nest);
	}
	return msg;
}

/* Counters that differ from each other, some past 32 and 53 bits. */
static void fill_stats(struct mgmt_stats *st, uint64_t base)
{
	unsigned int i;

	st->runs = base + 1;
	st->exits = base + 2;
	st->exits_user = base + 3;
	st->records = base + 4;
	st->posted = base + 5;
	st->irqs = base + 6;
	st->nmis = base + 7;
	st->halts = base + 8;
	st->halt_ns = base + 9;
	st->guest_ns = base + 10;
	for (i = 0; i < PLUMB_XR_NR; i++)
		st->exit_reasons[i] = base + 100 + i;
}

static struct mgmt_vcpu test_vcpus[3];

/* VM 7: qemu on the KVM ABI, 3 vCPUs, 512 MiB, all of it pinned. */
static struct mgmt_vm test_vm(void)
{
	struct mgmt_vm vm = {
		.id = 7, .pid = 4242, .uid = 0, .comm = "qemu-system-x86",
		.abi = PLUMB_ABI_KVM, .nr_vcpus = 3, .mem_bytes = 512ULL << 20,
		.pinned_pages = 131072, .created_ns = 1765148528123456789ULL,
		.state = PLUMB_VM_STATE_HALTED, .vcpus = test_vcpus,
		.nr_vcpu_stats = 3,
	};
	unsigned int i;

	fill_stats(&vm.stats, 1ULL << 40);
	vm.stats.guest_ns = UINT64_MAX - 5;	/* beyond int64 and double */
	for (i = 0; i < 3; i++) {
		test_vcpus[i].id = i;
		test_vcpus[i].state = (uint8_t)i;	/* running, halted, wait-sipi */
		fill_stats(&test_vcpus[i].stats, 1000 * (i + 1));
	}
	return vm;
}

static void check_stats(const struct mgmt_stats *got, const struct mgmt_stats *want)
{
	unsigned int i;

	ck_assert_uint_eq(got->runs, want->runs);
	ck_assert_uint_eq(got->exits, want->exits);
	ck_assert_uint_eq(got->exits_user, want->exits_user);
	ck_assert_uint_eq(got->records, want->records);
	ck_assert_uint_eq(got->posted, want->posted);
	ck_assert_uint_eq(got->irqs, want->irqs);
	ck_assert_uint_eq(got->nmis, want->nmis);
	ck_assert_uint_eq(got->halts, want->halts);
	ck_assert_uint_eq(got->halt_ns, want->halt_ns);
	ck_assert_uint_eq(got->guest_ns, want->guest_ns);
	for (i = 0; i < PLUMB_XR_NR; i++)
		ck_assert_msg(got->exit_reasons[i] == want->exit_reasons[i],
			      "exit reason %s: %llu, want %llu", plumb_xr_name(i),
			      (unsigned long long)got->exit_reasons[i],
			      (unsigned long long)want->exit_reasons[i]);
}

static void check_vm(const struct mgmt_vm *got, const struct mgmt_vm *want,
		     bool vcpus)
{
	size_t i;

	ck_assert_uint_eq(got->id, want->id);
	ck_assert_uint_eq(got->pid, want->pid);
	ck_assert_uint_eq(got->uid, want->uid);
	ck_assert_str_eq(got->comm, want->comm);
	ck_assert_uint_eq(got->abi, want->abi);
	ck_assert_uint_eq(got->nr_vcpus, want->nr_vcpus);
	ck_assert_uint_eq(got->mem_bytes, want->mem_bytes);
	ck_assert_uint_eq(got->pinned_pages, want->pinned_pages);
	ck_assert_uint_eq(got->created_ns, want->created_ns);
	ck_assert_uint_eq(got->state, want->state);
	check_stats(&got->stats, &want->stats);
	if (!vcpus) {
		ck_assert_ptr_null(got->vcpus);
		ck_assert_uint_eq(got->nr_vcpu_stats, 0);
		return;
	}
	ck_assert_uint_eq(got->nr_vcpu_stats, want->nr_vcpu_stats);
	for (i = 0; i < want->nr_vcpu_stats; i++) {
		ck_assert_uint_eq(got->vcpus[i].id, want->vcpus[i].id);
		ck_assert_uint_eq(got->vcpus[i].state, want->vcpus[i].state);
		check_stats(&got->vcpus[i].stats, &want->vcpus[i].stats);
	}
}

static const struct build whole = { .vcpus = -1, .skip = -1 };

/* ---- parsing ---- */

START_TEST(test_parse_doit)
{
	struct mgmt_vm want = test_vm(), got;
	struct nl_msg *msg = vm_msg(&want, &whole);
	const char *why = NULL;

	ck_assert_int_eq(mgmt_parse_vm(nlmsg_hdr(msg), true, &got, &why), 0);
	check_vm(&got, &want, true);
	/* Spelled out once, in case the helpers agree on a mistake. */
	ck_assert_uint_eq(got.id, 7);
	ck_assert_str_eq(got.comm, "qemu-system-x86");
	ck_assert_uint_eq(got.abi, PLUMB_ABI_KVM);
	ck_assert_uint_eq(got.stats.exit_reasons[PLUMB_XR_IO], (1ULL << 40) + 101);
	ck_assert_uint_eq(got.stats.guest_ns, UINT64_MAX - 5);
	ck_assert_uint_eq(got.vcpus[2].state, PLUMB_VCPU_STATE_WAIT_SIPI);
	ck_assert_uint_eq(got.vcpus[1].stats.halt_ns, 2009);
	mgmt_vm_free(&got);
	ck_assert_ptr_null(got.vcpus);
	nlmsg_free(msg);
}
END_TEST

START_TEST(test_parse_dump_entry)
{
	struct mgmt_vm want = test_vm(), got;
	struct build b = whole;
	struct nl_msg *msg;
	const char *why = NULL;

	b.vcpus = 0;
	msg = vm_msg(&want, &b);
	ck_assert_int_eq(mgmt_parse_vm(nlmsg_hdr(msg), false, &got, &why), 0);
	check_vm(&got, &want, false);
	nlmsg_free(msg);
}
END_TEST

/* PAD attributes (other architectures) and a newer module's attributes. */
START_TEST(test_parse_padded_and_newer)
{
	struct mgmt_vm want = test_vm(), got;
	struct build b = whole;
	struct nl_msg *msg;
	const char *why = NULL;

	b.pad = true;
	b.newer = true;
	msg = vm_msg(&want, &b);
	ck_assert_int_eq(mgmt_parse_vm(nlmsg_hdr(msg), true, &got, &why), 0);
	check_vm(&got, &want, true);
	mgmt_vm_free(&got);
	nlmsg_free(msg);
}
END_TEST

/* Every attribute a GET_VM answer promises is needed. */
START_TEST(test_parse_needs_every_attr)
{
	static const int attrs[] = {
		PLUMB_A_VM_ID, PLUMB_A_VM_PID, PLUMB_A_VM_UID, PLUMB_A_VM_COMM,
		PLUMB_A_VM_ABI, PLUMB_A_VM_VCPUS, PLUMB_A_VM_MEM_BYTES,
		PLUMB_A_VM_PINNED_PAGES, PLUMB_A_VM_CREATED_NS, PLUMB_A_VM_STATE,
		PLUMB_A_STATS, PLUMB_A_VCPU_ID,
	};
	struct mgmt_vm want = test_vm(), got;
	unsigned int i;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		struct build b = whole;
		struct nl_msg *msg;
		const char *why = NULL;

		b.skip = attrs[i];
		msg = vm_msg(&want, &b);
		ck_assert_msg(mgmt_parse_vm(nlmsg_hdr(msg), true, &got, &why) == -EBADMSG,
			      "accepted without attribute %d", attrs[i]);
		ck_assert_ptr_nonnull(why);
		ck_assert_ptr_null(got.vcpus);
		nlmsg_free(msg);
	}
}
END_TEST

/* A doit answer has one PLUMB_A_VCPU per vCPU. */
START_TEST(test_parse_vcpu_count)
{
	struct mgmt_vm want = test_vm(), got;
	struct build b = whole;
	struct nl_msg *msg;
	const char *why = NULL;

	b.vcpus = 2;
	msg = vm_msg(&want, &b);
	ck_assert_int_eq(mgmt_parse_vm(nlmsg_hdr(msg), true, &got, &why), -EBADMSG);
	ck_assert_ptr_null(got.vcpus);
	/* A dump does not look at them. */
	ck_assert_int_eq(mgmt_parse_vm(nlmsg_hdr(msg), false, &got, &why), 0);
	nlmsg_free(msg);
}
END_TEST

/*
 * @msg cut at every length short of the whole: each must be refused (the
 * buffer stays whole, so a parser that read past nlmsg_len would still
 * not fault, but would accept).
 */
static void check_truncations(struct nl_msg *msg, bool event)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	uint32_t full = nlh->nlmsg_len, len;
	struct nlmsghdr *cut = malloc(full);
	struct mgmt_event ev;
	struct mgmt_vm vm;

	ck_assert_ptr_nonnull(cut);
	for (len = 0; len < full; len++) {
		const char *why = NULL;
		int ret;

		memcpy(cut, nlh, full);
		cut->nlmsg_len = len;
		ret = event ? mgmt_parse_event(cut, &ev, &why) :
			      mgmt_parse_vm(cut, true, &vm, &why);
		ck_assert_msg(ret == -EBADMSG, "accepted cut at %u of %u bytes",
			      len, full);
		ck_assert_ptr_nonnull(why);
		if (!event)
			ck_assert_ptr_null(vm.vcpus);
	}
	free(cut);
}

START_TEST(test_parse_truncated)
{
	struct mgmt_vm want = test_vm();
	struct build b = whole;
	struct nl_msg *msg = vm_msg(&want, &whole);

	check_truncations(msg, false);
	nlmsg_free(msg);
	b.pad = true;
	msg = vm_msg(&want, &b);
	check_truncations(msg, false);
	nlmsg_free(msg);
}
END_TEST

/* A message with a good header and @len bytes of @attrs. */
static struct nl_msg *raw_msg(uint8_t cmd, const void *attrs, size_t len)
{
	struct nl_msg *msg = nlmsg_alloc();
	void *p;

	ck_assert_ptr_nonnull(msg);
	p = genlmsg_put(msg, 0, 1, FAMILY, (int)len, 0, cmd, PLUMB_GENL_VERSION);
	ck_assert_ptr_nonnull(p);
	memcpy(p, attrs, len);
	return msg;
}

static void check_refused(struct nl_msg *msg, const char *what)
{
	struct mgmt_vm vm;
	const char *why = NULL;

	ck_assert_msg(mgmt_parse_vm(nlmsg_hdr(msg), true, &vm, &why) == -EBADMSG,
		      "accepted %s", what);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_null(vm.vcpus);
	nlmsg_free(msg);
}

START_TEST(test_parse_garbage)
{
	struct mgmt_vm want = test_vm();
	struct nl_msg *msg;
	struct nlattr *nest;
	uint32_t seed = 12345;
	uint16_t two = 2;
	int round;

	/* Another command. */
	msg = vm_msg(&want, &whole);
	((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(msg)))->cmd = PLUMB_CMD_EVENT;
	check_refused(msg, "an EVENT as GET_VM");

	/* A u32 of two bytes. */
	{
		struct build b = whole;

		b.skip = PLUMB_A_VM_PID;
		msg = vm_msg(&want, &b);
		nla_put(msg, PLUMB_A_VM_PID, 2, &two);
		check_refused(msg, "a two-byte u32");
	}

	/* A comm without its NUL, and an empty one. */
	{
		struct build b = whole;

		b.skip = PLUMB_A_VM_COMM;
		msg = vm_msg(&want, &b);
		nla_put(msg, PLUMB_A_VM_COMM, 4, "qemu");
		check_refused(msg, "a comm without NUL");
		msg = vm_msg(&want, &b);
		nla_put(msg, PLUMB_A_VM_COMM, 0, NULL);
		check_refused(msg, "an empty comm attribute");
	}

	/* Stats: a u64 of four bytes; bytes that are no attributes. */
	{
		struct build b = whole;
		uint32_t four = 4;

		b.skip = PLUMB_A_STATS;
		msg = vm_msg(&want, &b);
		nest = nla_nest_start(msg, PLUMB_A_STATS);
		nla_put(msg, PLUMB_STAT_EXITS, 4, &four);
		nla_nest_end(msg, nest);
		check_refused(msg, "a four-byte u64 counter");
		msg = vm_msg(&want, &b);
		nla_put(msg, PLUMB_A_STATS, 7, "garbage");
		check_refused(msg, "a PLUMB_A_STATS of garbage");
		msg = vm_msg(&want, &b);
		nest = nla_nest_start(msg, PLUMB_A_STATS);
		nest = nla_nest_start(msg, PLUMB_STAT_EXIT_REASONS);
		nla_put(msg, PLUMB_XR_IO + 1, 3, "abc");
		nla_nest_end(msg, nest);
		check_refused(msg, "a three-byte exit reason");
	}

	/* Random bytes after a good header: refused, never a fault. */
	for (round = 0; round < 2000; round++) {
		uint8_t bytes[256];
		size_t i, len = 4 + seed % 250;

		for (i = 0; i < len; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			bytes[i] = (uint8_t)seed;
		}
		/* Now and then a plausible first attribute header. */
		if (round % 3 == 0) {
			uint16_t h[2] = { (uint16_t)(4 + seed % 64), (uint16_t)(seed % 20) };

			memcpy(bytes, h, sizeof(h));
		}
		check_refused(raw_msg(PLUMB_CMD_GET_VM, bytes, len), "random bytes");
		{
			struct mgmt_event ev;
			const char *why = NULL;

			msg = raw_msg(PLUMB_CMD_EVENT, bytes, len);
			ck_assert_int_eq(mgmt_parse_event(nlmsg_hdr(msg), &ev, &why),
					 -EBADMSG);
			nlmsg_free(msg);
		}
	}
}
END_TEST

/* ---- events ---- */

static struct nl_msg *event_msg(uint32_t event, uint32_t vm, int vcpu, int abi)
{
	struct nl_msg *msg = nlmsg_alloc();

	ck_assert_ptr_nonnull(msg);
	genlmsg_put(msg, 0, 0, FAMILY, 0, 0, PLUMB_CMD_EVENT, PLUMB_GENL_VERSION);
	ck_assert_int_eq(nla_put_u32(msg, PLUMB_A_EVENT, event), 0);
	ck_assert_int_eq(nla_put_u32(msg, PLUMB_A_VM_ID, vm), 0);
	if (vcpu >= 0)
		ck_assert_int_eq(nla_put_u32(msg, PLUMB_A_VCPU_ID, (uint32_t)vcpu), 0);
	if (abi >= 0)
		ck_assert_int_eq(nla_put_u8(msg, PLUMB_A_VM_ABI, (uint8_t)abi), 0);
	ck_assert_int_eq(nla_put_u64(msg, PLUMB_A_EVENT_SEQ, 41 + event), 0);
	ck_assert_int_eq(nla_put_u64(msg, PLUMB_A_EVENT_TIME_NS,
				     1765148528123456789ULL), 0);
	return msg;
}

START_TEST(test_parse_events)
{
	struct mgmt_event ev;
	struct nl_msg *msg;
	const char *why = NULL;

	msg = event_msg(PLUMB_EVENT_VM_CREATED, 3, -1, PLUMB_ABI_KVM);
	ck_assert_int_eq(mgmt_parse_event(nlmsg_hdr(msg), &ev, &why), 0);
	ck_assert_uint_eq(ev.event, PLUMB_EVENT_VM_CREATED);
	ck_assert_uint_eq(ev.vm_id, 3);
	ck_assert_uint_eq(ev.seq, 42);
	ck_assert_uint_eq(ev.time_ns, 1765148528123456789ULL);
	ck_assert(ev.has_abi);
	ck_assert_uint_eq(ev.abi, PLUMB_ABI_KVM);
	ck_assert(!ev.has_vcpu);
	check_truncations(msg, true);
	nlmsg_free(msg);

	msg = event_msg(PLUMB_EVENT_VCPU_SHUTDOWN, 3, 5, -1);
	ck_assert_int_eq(mgmt_parse_event(nlmsg_hdr(msg), &ev, &why), 0);
	ck_assert(ev.has_vcpu);
	ck_assert_uint_eq(ev.vcpu_id, 5);
	ck_assert(!ev.has_abi);
	check_truncations(msg, true);
	nlmsg_free(msg);

	msg = event_msg(PLUMB_EVENT_PAUSED, 9, -1, -1);
	ck_assert_int_eq(mgmt_parse_event(nlmsg_hdr(msg), &ev, &why), 0);
	ck_assert_uint_eq(ev.event, PLUMB_EVENT_PAUSED);
	ck_assert(!ev.has_vcpu && !ev.has_abi);
	nlmsg_free(msg);

	/* An event newer than this launcher passes, named by its number. */
	msg = event_msg(77, 9, -1, -1);
	ck_assert_int_eq(mgmt_parse_event(nlmsg_hdr(msg), &ev, &why), 0);
	nlmsg_free(msg);

	/* What the header promises: a vCPU for vCPU events, the ABI on creation. */
	msg = event_msg(PLUMB_EVENT_ENTRY_FAILED, 3, -1, -1);
	ck_assert_int_eq(mgmt_parse_event(nlmsg_hdr(msg), &ev, &why), -EBADMSG);
	nlmsg_free(msg);
	msg = event_msg(PLUMB_EVENT_VM_CREATED, 3, -1, -1);
	ck_assert_int_eq(mgmt_parse_event(nlmsg_hdr(msg), &ev, &why), -EBADMSG);
	nlmsg_free(msg);
	/* A GET_VM answer is no event. */
	{
		struct mgmt_vm vm = test_vm();

		msg = vm_msg(&vm, &whole);
		ck_assert_int_eq(mgmt_parse_event(nlmsg_hdr(msg), &ev, &why), -EBADMSG);
		nlmsg_free(msg);
	}
}
END_TEST

/* ---- requests ---- */

START_TEST(test_requests)
{
	struct nl_msg *msg = mgmt_request(FAMILY, PLUMB_CMD_PAUSE, NLM_F_ACK, 42);
	struct nlattr *tb[PLUMB_A_MAX + 1];
	struct genlmsghdr *g;
	struct nlmsghdr *nlh;

	ck_assert_ptr_nonnull(msg);
	nlh = nlmsg_hdr(msg);
	g = nlmsg_data(nlh);
	ck_assert_uint_eq(nlh->nlmsg_type, FAMILY);
	ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	ck_assert_uint_eq(g->cmd, PLUMB_CMD_PAUSE);
	ck_assert_uint_eq(g->version, PLUMB_GENL_VERSION);
	ck_assert_int_eq(genlmsg_parse(nlh, 0, tb, PLUMB_A_MAX, NULL), 0);
	ck_assert_ptr_nonnull(tb[PLUMB_A_VM_ID]);
	ck_assert_int_eq(nla_len(tb[PLUMB_A_VM_ID]), 4);
	ck_assert_uint_eq(nla_get_u32(tb[PLUMB_A_VM_ID]), 42);
	nlmsg_free(msg);

	msg = mgmt_request(FAMILY, PLUMB_CMD_GET_VM, NLM_F_DUMP, MGMT_NO_VM);
	ck_assert_ptr_nonnull(msg);
	nlh = nlmsg_hdr(msg);
	ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	ck_assert_uint_eq(((struct genlmsghdr *)nlmsg_data(nlh))->cmd, PLUMB_CMD_GET_VM);
	ck_assert_int_eq(genlmsg_attrlen(nlmsg_data(nlh), 0), 0);
	nlmsg_free(msg);
}
END_TEST

/* ---- JSON ---- */

static json_object *reparse(json_object *obj)
{
	json_object *back;
	char *text;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(obj);
	ck_assert_int_eq(mgmt_print_json(f, obj, false), 0);
	fclose(f);
	back = json_tokener_parse(text);
	ck_assert_msg(back != NULL, "not JSON: %s", text);
	free(text);
	return back;
}

static json_object *key(json_object *obj, const char *k)
{
	json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(obj, k, &v), "no key \"%s\"", k);
	return v;
}

static uint64_t key_u64(json_object *obj, const char *k)
{
	json_object *v = key(obj, k);

	ck_assert_msg(json_object_is_type(v, json_type_int), "\"%s\" is no integer", k);
	return json_object_get_uint64(v);
}

static const char *key_str(json_object *obj, const char *k)
{
	json_object *v = key(obj, k);

	ck_assert_msg(json_object_is_type(v, json_type_string), "\"%s\" is no string", k);
	return json_object_get_string(v);
}

static void check_stats_json(json_object *obj, const struct mgmt_stats *st)
{
	json_object *xr = key(obj, "exit_reasons");
	unsigned int i;

	ck_assert_uint_eq(key_u64(obj, "runs"), st->runs);
	ck_assert_uint_eq(key_u64(obj, "exits"), st->exits);
	ck_assert_uint_eq(key_u64(obj, "exits_user"), st->exits_user);
	ck_assert_uint_eq(key_u64(obj, "records"), st->records);
	ck_assert_uint_eq(key_u64(obj, "posted"), st->posted);
	ck_assert_uint_eq(key_u64(obj, "irqs"), st->irqs);
	ck_assert_uint_eq(key_u64(obj, "nmis"), st->nmis);
	ck_assert_uint_eq(key_u64(obj, "halts"), st->halts);
	ck_assert_uint_eq(key_u64(obj, "halt_ns"), st->halt_ns);
	ck_assert_uint_eq(key_u64(obj, "guest_ns"), st->guest_ns);
	ck_assert(json_object_is_type(xr, json_type_object));
	ck_assert_int_eq(json_object_object_length(xr), PLUMB_XR_NR);
	for (i = 0; i < PLUMB_XR_NR; i++)
		ck_assert_uint_eq(key_u64(xr, plumb_xr_name(i)), st->exit_reasons[i]);
}

/* Message -> parser -> JSON -> json-c's parser: the same numbers. */
START_TEST(test_json_stat)
{
	struct mgmt_vm want = test_vm(), got;
	struct nl_msg *msg = vm_msg(&want, &whole);
	json_object *obj, *vcpus, *v;
	const char *why = NULL;
	size_t i;

	ck_assert_int_eq(mgmt_parse_vm(nlmsg_hdr(msg), true, &got, &why), 0);
	obj = reparse(mgmt_vm_json(&got, true));
	ck_assert_uint_eq(key_u64(obj, "id"), 7);
	ck_assert_uint_eq(key_u64(obj, "pid"), 4242);
	ck_assert_uint_eq(key_u64(obj, "uid"), 0);
	ck_assert_str_eq(key_str(obj, "user"), "root");
	ck_assert_str_eq(key_str(obj, "comm"), "qemu-system-x86");
	ck_assert_str_eq(key_str(obj, "abi"), "kvm");
	ck_assert_uint_eq(key_u64(obj, "nr_vcpus"), 3);
	ck_assert_uint_eq(key_u64(obj, "mem_bytes"), 512ULL << 20);
	ck_assert_uint_eq(key_u64(obj, "pinned_pages"), 131072);
	ck_assert_uint_eq(key_u64(obj, "pinned_bytes"), 512ULL << 20);
	ck_assert_str_eq(key_str(obj, "state"), "halted");
	ck_assert_uint_eq(key_u64(obj, "created_ns"), 1765148528123456789ULL);
	check_stats_json(obj, &want.stats);
	ck_assert_uint_eq(key_u64(obj, "guest_ns"), UINT64_MAX - 5);
	vcpus = key(obj, "vcpus");
	ck_assert(json_object_is_type(vcpus, json_type_array));
	ck_assert_uint_eq(json_object_array_length(vcpus), 3);
	for (i = 0; i < 3; i++) {
		v = json_object_array_get_idx(vcpus, i);
		ck_assert_uint_eq(key_u64(v, "id"), i);
		check_stats_json(v, &want.vcpus[i].stats);
	}
	ck_assert_str_eq(key_str(json_object_array_get_idx(vcpus, 2), "state"),
			 "wait-sipi");
	json_object_put(obj);
	mgmt_vm_free(&got);
	nlmsg_free(msg);
}
END_TEST

START_TEST(test_json_ps)
{
	struct mgmt_vm vms[2] = { test_vm(), test_vm() };
	json_object *arr;

	vms[1].id = 8;
	vms[1].abi = 9;		/* a newer module's ABI */
	vms[1].state = PLUMB_VM_STATE_PAUSED;
	arr = reparse(mgmt_ps_json(vms, 2));
	ck_assert(json_object_is_type(arr, json_type_array));
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	ck_assert_uint_eq(key_u64(json_object_array_get_idx(arr, 1), "id"), 8);
	ck_assert_str_eq(key_str(json_object_array_get_idx(arr, 1), "abi"), "unknown-9");
	ck_assert_str_eq(key_str(json_object_array_get_idx(arr, 1), "state"), "paused");
	/* A dump has no vCPUs: no "vcpus" key. */
	ck_assert(!json_object_object_get_ex(json_object_array_get_idx(arr, 0),
					     "vcpus", NULL));
	check_stats_json(json_object_array_get_idx(arr, 0), &vms[0].stats);
	json_object_put(arr);

	arr = reparse(mgmt_ps_json(NULL, 0));
	ck_assert(json_object_is_type(arr, json_type_array));
	ck_assert_uint_eq(json_object_array_length(arr), 0);
	json_object_put(arr);
}
END_TEST

START_TEST(test_json_event)
{
	struct mgmt_event ev;
	struct nl_msg *msg = event_msg(PLUMB_EVENT_VCPU_SHUTDOWN, 3, 1, -1);
	const char *why = NULL;
	json_object *obj;

	ck_assert_int_eq(mgmt_parse_event(nlmsg_hdr(msg), &ev, &why), 0);
	obj = reparse(mgmt_event_json(&ev));
	ck_assert_uint_eq(key_u64(obj, "seq"), 44);
	ck_assert_uint_eq(key_u64(obj, "time_ns"), 1765148528123456789ULL);
	ck_assert_str_eq(key_str(obj, "event"), "vcpu-shutdown");
	ck_assert_uint_eq(key_u64(obj, "vm_id"), 3);
	ck_assert_uint_eq(key_u64(obj, "vcpu_id"), 1);
	ck_assert(!json_object_object_get_ex(obj, "abi", NULL));
	ck_assert_int_eq(json_object_object_length(obj), 5);
	json_object_put(obj);
	nlmsg_free(msg);

	msg = event_msg(PLUMB_EVENT_VM_CREATED, 4, -1, PLUMB_ABI_PLUMB);
	ck_assert_int_eq(mgmt_parse_event(nlmsg_hdr(msg), &ev, &why), 0);
	obj = reparse(mgmt_event_json(&ev));
	ck_assert_str_eq(key_str(obj, "event"), "vm-created");
	ck_assert_str_eq(key_str(obj, "abi"), "plumb");
	ck_assert(!json_object_object_get_ex(obj, "vcpu_id", NULL));
	json_object_put(obj);
	nlmsg_free(msg);
}
END_TEST

/* ---- tables ---- */

/* What @fn printed, malloc'ed. */
#define CAPTURE(out, call) do {						\
		size_t len_;						\
		FILE *f = open_memstream(&(out), &len_);		\
		ck_assert_ptr_nonnull(f);				\
		call;							\
		fclose(f);						\
	} while (0)

static const char ps_header[] =
	"ID    PID     USER       COMM             ABI   VCPUS    MEM PINNED STATE    CREATED    EXITS\n";

START_TEST(test_table_ps)
{
	struct mgmt_vm vms[2] = { test_vm(), test_vm() };
	char *out, *row;

	CAPTURE(out, mgmt_render_ps(f, NULL, 0, time(NULL)));
	ck_assert_str_eq(out, ps_header);
	free(out);

	vms[0].created_ns = (uint64_t)time(NULL) * 1000000000;
	vms[1].id = 12;
	vms[1].uid = 4000000000U;	/* no such user: the number */
	vms[1].abi = PLUMB_ABI_PLUMB;
	vms[1].state = PLUMB_VM_STATE_DEAD;
	vms[1].pinned_pages = 3;
	vms[1].mem_bytes = 3ULL << 29;
	CAPTURE(out, mgmt_render_ps(f, vms, 2, time(NULL)));
	ck_assert_msg(!strncmp(out, ps_header, strlen(ps_header)), "%s", out);
	row = out + strlen(ps_header);
	ck_assert_msg(strstr(row, "7     4242    root       qemu-system-x86  kvm       3   512M   512M halted   ") == row,
		      "%s", row);
	ck_assert_int_eq(row[strlen("7     4242    root       qemu-system-x86  kvm       3   512M   512M halted   ") + 2], ':');
	ck_assert_msg(strstr(row, " 1099511627778\n12 "), "%s", row);
	ck_assert_msg(strstr(row, "12    4242    4000000000 qemu-system-x86  plumb     3   1.5G    12K dead     2025-12-"),
		      "%s", row);
	free(out);
}
END_TEST

START_TEST(test_human)
{
	char buf[32];
	time_t now = time(NULL);

	mgmt_human_bytes(buf, sizeof(buf), 0);
	ck_assert_str_eq(buf, "0");
	mgmt_human_bytes(buf, sizeof(buf), 1000);
	ck_assert_str_eq(buf, "1000");
	mgmt_human_bytes(buf, sizeof(buf), 4096);
	ck_assert_str_eq(buf, "4K");
	mgmt_human_bytes(buf, sizeof(buf), 512ULL << 20);
	ck_assert_str_eq(buf, "512M");
	mgmt_human_bytes(buf, sizeof(buf), 3ULL << 29);
	ck_assert_str_eq(buf, "1.5G");
	mgmt_human_bytes(buf, sizeof(buf), 1ULL << 40);
	ck_assert_str_eq(buf, "1T");
	mgmt_human_bytes(buf, sizeof(buf), UINT64_MAX);
	ck_assert_str_eq(buf, "16.0E");

	mgmt_human_created(buf, sizeof(buf), 0, now);
	ck_assert_str_eq(buf, "-");
	mgmt_human_created(buf, sizeof(buf), (uint64_t)now * 1000000000, now);
	ck_assert_uint_eq(strlen(buf), 8);
	ck_assert(buf[2] == ':' && buf[5] == ':');
	mgmt_human_created(buf, sizeof(buf), (uint64_t)(now - 3 * 86400) * 1000000000, now);
	ck_assert_uint_eq(strlen(buf), 10);
	ck_assert(buf[4] == '-' && buf[7] == '-');

	mgmt_user_name(buf, sizeof(buf), 0);
	ck_assert_str_eq(buf, "root");
	mgmt_user_name(buf, sizeof(buf), 4000000000U);
	ck_assert_str_eq(buf, "4000000000");
}
END_TEST

START_TEST(test_table_stat)
{
	struct mgmt_vm vm = test_vm(), prev = test_vm();
	struct mgmt_vcpu prev_vcpus[3];
	char *out, *io, *npf;

	memcpy(prev_vcpus, vm.vcpus, sizeof(prev_vcpus));
	prev.vcpus = prev_vcpus;

	memset(vm.stats.exit_reasons, 0, sizeof(vm.stats.exit_reasons));
	vm.stats.exit_reasons[PLUMB_XR_NPF] = 300;
	vm.stats.exit_reasons[PLUMB_XR_IO] = 700;
	CAPTURE(out, mgmt_render_stat(f, &vm, NULL, 0, time(NULL)));
	ck_assert_msg(strstr(out, "pinned:      512M (131072 pages)\n"), "%s", out);
	ck_assert_msg(strstr(out, "state:       halted\n"), "%s", out);
	ck_assert_msg(strstr(out, "exits:       1099511627778\n"), "%s", out);
	ck_assert_msg(strstr(out, "\n2    wait-sipi "), "%s", out);
	/* Most frequent first; none of the reasons that did not happen. */
	io = strstr(out, "\nio ");
	npf = strstr(out, "\nnpf ");
	ck_assert_msg(io && npf && io < npf, "%s", out);
	ck_assert_msg(strstr(io, "700   70.0\n"), "%s", out);
	ck_assert_ptr_null(strstr(out, "\ncpuid "));
	ck_assert_ptr_null(strstr(out, "/s)"));
	free(out);

	/* --watch: 100 more exits in 2 s. */
	prev.stats = vm.stats;
	prev.stats.exits -= 100;
	prev.stats.exit_reasons[PLUMB_XR_IO] -= 60;
	prev.vcpus[1].stats.exits -= 10;
	CAPTURE(out, mgmt_render_stat(f, &vm, &prev, 2.0, time(NULL)));
	ck_assert_msg(strstr(out, "exits:       1099511627778 (50.0/s)\n"), "%s", out);
	ck_assert_msg(strstr(out, "runs:        1099511627777 (0.0/s)\n"), "%s", out);
	ck_assert_msg(strstr(out, "EXITS/S"), "%s", out);
	ck_assert_msg(strstr(out, "\n1    halted            2002        5.0 "), "%s", out);
	ck_assert_msg(strstr(out, "700   70.0       30.0\n"), "%s", out);
	free(out);
}
END_TEST

START_TEST(test_table_top)
{
	struct mgmt_vm vms[2] = { test_vm(), test_vm() }, prev[2];
	uint64_t now = (uint64_t)time(NULL) * 1000000000;
	char *out, *a, *b;

	vms[0].vcpus = vms[1].vcpus = NULL;
	vms[0].nr_vcpu_stats = vms[1].nr_vcpu_stats = 0;
	vms[1].id = 8;
	memcpy(prev, vms, sizeof(prev));
	/* VM 8: 400 exits in 2 s (io 300, hlt 100); VM 7: 20 (cpuid). */
	vms[1].stats.exits += 400;
	vms[1].stats.exit_reasons[PLUMB_XR_IO] += 300;
	vms[1].stats.exit_reasons[PLUMB_XR_HLT] += 100;
	vms[0].stats.exits += 20;
	vms[0].stats.exit_reasons[PLUMB_XR_CPUID] += 20;
	CAPTURE(out, mgmt_render_top(f, vms, 2, prev, 2, 2.0, now));
	ck_assert_msg(strstr(out, "2 VMs, 210 exits/s\n"), "%s", out);
	a = strstr(out, "\n8 ");
	b = strstr(out, "\n7 ");
	ck_assert_msg(a && b && a < b, "busiest first: %s", out);
	ck_assert_msg(strstr(a, "200  io 150, hlt 50\n"), "%s", out);
	ck_assert_msg(strstr(b, "10  cpuid 10\n"), "%s", out);
	free(out);

	/* First look: the averages since creation (100 s ago). */
	vms[0].created_ns = now - 100000000000ULL;
	vms[0].stats.exits = 5000;
	CAPTURE(out, mgmt_render_top(f, vms, 1, NULL, 0, 0, now));
	ck_assert_msg(strstr(out, "1 VM, 50 exits/s\n"), "%s", out);
	free(out);

	CAPTURE(out, mgmt_render_top(f, NULL, 0, NULL, 0, 0, now));
	ck_assert_msg(strstr(out, "0 VMs, 0 exits/s\nID "), "%s", out);
	free(out);
}
END_TEST

START_TEST(test_event_line)
{
	struct mgmt_event ev = {
		.seq = 5, .time_ns = 1765148528123456789ULL,
		.event = PLUMB_EVENT_VCPU_SHUTDOWN, .vm_id = 3, .has_vcpu = true,
		.vcpu_id = 1,
	};
	char *out, *sp;

	CAPTURE(out, mgmt_render_event(f, &ev));
	ck_assert_msg(!strncmp(out, "5 2025-12-", 10), "%s", out);
	sp = strchr(out + 2, ' ');
	ck_assert_msg(sp && !strncmp(sp - 4, ".123 ", 5), "%s", out);
	ck_assert_str_eq(sp, " vcpu-shutdown vm 3 vcpu 1\n");
	free(out);

	ev.event = PLUMB_EVENT_VM_CREATED;
	ev.has_vcpu = false;
	ev.has_abi = true;
	ev.abi = PLUMB_ABI_KVM;
	CAPTURE(out, mgmt_render_event(f, &ev));
	ck_assert_str_eq(strchr(out + 2, ' '), " vm-created vm 3 abi kvm\n");
	free(out);
}
END_TEST

/* ---- the socket layer against a fake kernel ---- */

/* What plumb_err() said last (genl.c's messages). */
static char last_err[256];

int plumb_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_err, sizeof(last_err), fmt, ap);
	va_end(ap);
	return 1;
}

/* The fake kernel: what it received, and the datagrams it answers with. */
static struct {
	struct nlmsghdr req;
	uint8_t cmd;
	int64_t vm_id;		/* -1: none */
	unsigned int requests;
	unsigned char *dgrams[8];
	int lens[8];
	int n, next;
	/* How to answer the next request. */
	enum { ANSWER_VMS, ANSWER_ERROR, ANSWER_DONE_ERROR, ANSWER_ACK,
	       ANSWER_BAD_VM } answer;
	int error;		/* negative errno */
	unsigned int nvms;
} fake;

/* Queue @msg (freed), or append it to the last datagram with @same. */
static void queue(struct nl_msg *msg, bool same)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int len = (int)NLMSG_ALIGN(nlh->nlmsg_len);

	nlh->nlmsg_seq = fake.req.nlmsg_seq;
	nlh->nlmsg_pid = fake.req.nlmsg_pid;
	if (same && fake.n) {
		int i = fake.n - 1;

		fake.dgrams[i] = realloc(fake.dgrams[i], (size_t)(fake.lens[i] + len));
		ck_assert_ptr_nonnull(fake.dgrams[i]);
		memcpy(fake.dgrams[i] + fake.lens[i], nlh, nlh->nlmsg_len);
		fake.lens[i] += len;
	} else {
		ck_assert_int_lt(fake.n, 8);
		fake.dgrams[fake.n] = calloc(1, (size_t)len);
		ck_assert_ptr_nonnull(fake.dgrams[fake.n]);
		memcpy(fake.dgrams[fake.n], nlh, nlh->nlmsg_len);
		fake.lens[fake.n++] = len;
	}
	nlmsg_free(msg);
}

static void queue_error(int error)
{
	struct nl_msg *msg = nlmsg_alloc_simple(NLMSG_ERROR, 0);
	struct nlmsgerr e = { .error = error, .msg = fake.req };

	ck_assert_int_eq(nlmsg_append(msg, &e, sizeof(e), NLMSG_ALIGNTO), 0);
	queue(msg, false);
}

static void queue_done(int error)
{
	struct nl_msg *msg = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);

	ck_assert_int_eq(nlmsg_append(msg, &error, sizeof(error), NLMSG_ALIGNTO), 0);
	queue(msg, false);
}

static int fake_send(struct nl_sock *sk, struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[PLUMB_A_MAX + 1];
	bool dump = nlh->nlmsg_flags & NLM_F_DUMP;
	struct mgmt_vm vm = test_vm();
	unsigned int i;

	(void)sk;
	fake.req = *nlh;
	fake.requests++;
	fake.cmd = ((struct genlmsghdr *)nlmsg_data(nlh))->cmd;
	ck_assert_int_eq(genlmsg_parse(nlh, 0, tb, PLUMB_A_MAX, NULL), 0);
	fake.vm_id = tb[PLUMB_A_VM_ID] ? (int64_t)nla_get_u32(tb[PLUMB_A_VM_ID]) : -1;
	switch (fake.answer) {
	case ANSWER_ERROR:
		queue_error(fake.error);
		break;
	case ANSWER_DONE_ERROR:
		queue_done(fake.error);
		break;
	case ANSWER_ACK:
		ck_assert(nlh->nlmsg_flags & NLM_F_ACK);
		queue_error(0);
		break;
	case ANSWER_VMS:
	case ANSWER_BAD_VM:
		for (i = 0; i < fake.nvms; i++) {
			struct build b = whole;
			struct nl_msg *m;

			vm.id = dump ? 100 + i : (uint32_t)fake.vm_id;
			if (fake.answer == ANSWER_BAD_VM)
				b.skip = PLUMB_A_VM_UID;
			if (dump)
				b.vcpus = 0;
			m = vm_msg(&vm, &b);
			if (dump)
				nlmsg_hdr(m)->nlmsg_flags |= NLM_F_MULTI;
			/* Two to a datagram, as the kernel packs a dump. */
			queue(m, dump && i % 2);
		}
		if (dump)
			queue_done(0);
		else if (nlh->nlmsg_flags & NLM_F_ACK)
			queue_error(0);
		break;
	default:
		break;
	}
	return (int)nlh->nlmsg_len;
}

static int fake_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
		     unsigned char **buf, struct ucred **creds)
{
	int i = fake.next;

	(void)sk;
	(void)creds;
	ck_assert_msg(i < fake.n, "the client waits for a message never sent");
	nla->nl_family = AF_NETLINK;
	*buf = fake.dgrams[i];
	fake.dgrams[i] = NULL;
	fake.next++;
	return fake.lens[i];
}

static struct mgmt_conn fake_conn(void)
{
	struct mgmt_conn c = { .sk = nl_socket_alloc(), .family = FAMILY };
	struct nl_cb *cb;

	ck_assert_ptr_nonnull(c.sk);
	cb = nl_socket_get_cb(c.sk);
	nl_cb_overwrite_send(cb, fake_send);
	nl_cb_overwrite_recv(cb, fake_recv);
	nl_cb_put(cb);
	return c;
}

static void fake_reset(int answer, int error, unsigned int nvms)
{
	int i;

	for (i = 0; i < fake.n; i++)
		free(fake.dgrams[i]);
	memset(&fake, 0, sizeof(fake));
	fake.answer = answer;
	fake.error = error;
	fake.nvms = nvms;
	last_err[0] = '\0';
}

/* Nothing left unread: the next request would not find a stale answer. */
static void check_drained(void)
{
	ck_assert_int_eq(fake.next, fake.n);
}

START_TEST(test_genl_dump)
{
	struct mgmt_conn c = fake_conn();
	struct mgmt_vm *vms = NULL;
	size_t n = 0;

	fake_reset(ANSWER_VMS, 0, 5);
	ck_assert_int_eq(mgmt_dump(&c, &vms, &n), 0);
	ck_assert_uint_eq(fake.cmd, PLUMB_CMD_GET_VM);
	ck_assert(fake.req.nlmsg_flags & NLM_F_DUMP);
	ck_assert_int_eq(fake.vm_id, -1);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(vms[0].id, 100);
	ck_assert_uint_eq(vms[4].id, 104);
	ck_assert_str_eq(vms[3].comm, "qemu-system-x86");
	ck_assert_ptr_null(vms[3].vcpus);
	check_drained();
	mgmt_vms_free(vms, n);

	/* Again on the same socket (plumb top): sequence numbers still match. */
	fake_reset(ANSWER_VMS, 0, 0);
	ck_assert_int_eq(mgmt_dump(&c, &vms, &n), 0);
	ck_assert_uint_eq(n, 0);
	check_drained();
	mgmt_vms_free(vms, n);

	/* EPERM and EACCES stay apart from libnl's NLE_PERM. */
	fake_reset(ANSWER_ERROR, -EACCES, 0);
	ck_assert_int_eq(mgmt_dump(&c, &vms, &n), -EACCES);
	ck_assert_int_eq(mgmt_report(-EACCES, MGMT_NO_VM, false), PLUMB_EXIT_SETUP);
	ck_assert_str_eq(last_err, "no permission to see VMs: add yourself to group plumb (access to /dev/plumb)");
	/* An error the dump met after its start comes in NLMSG_DONE. */
	fake_reset(ANSWER_DONE_ERROR, -EPERM, 0);
	ck_assert_int_eq(mgmt_dump(&c, &vms, &n), -EPERM);
	ck_assert_int_eq(mgmt_report(-EPERM, MGMT_NO_VM, false), PLUMB_EXIT_SETUP);
	ck_assert_str_eq(last_err, "no permission to see VMs: add yourself to group plumb (access to /dev/plumb)");

	/* A malformed entry fails the dump, which is still read to its end. */
	fake_reset(ANSWER_BAD_VM, 0, 3);
	ck_assert_int_eq(mgmt_dump(&c, &vms, &n), -EBADMSG);
	ck_assert_str_eq(last_err, "a malformed answer from the module: no PLUMB_A_VM_UID");
	check_drained();
	ck_assert_int_eq(mgmt_report(-EBADMSG, MGMT_NO_VM, false), 1);
	fake_reset(ANSWER_VMS, 0, 0);
	mgmt_close(&c);
}
END_TEST

START_TEST(test_genl_get)
{
	struct mgmt_conn c = fake_conn();
	struct mgmt_vm vm, want = test_vm();

	fake_reset(ANSWER_VMS, 0, 1);
	ck_assert_int_eq(mgmt_get(&c, 7, &vm), 0);
	ck_assert_uint_eq(fake.cmd, PLUMB_CMD_GET_VM);
	ck_assert(!(fake.req.nlmsg_flags & NLM_F_DUMP));
	ck_assert_int_eq(fake.vm_id, 7);
	check_vm(&vm, &want, true);
	check_drained();	/* the ACK too */
	mgmt_vm_free(&vm);

	/* ENOENT and ESRCH, which libnl would merge, both name the VM. */
	fake_reset(ANSWER_ERROR, -ESRCH, 0);
	ck_assert_int_eq(mgmt_get(&c, 9, &vm), -ESRCH);
	check_drained();
	ck_assert_int_eq(mgmt_report(-ESRCH, 9, false), PLUMB_EXIT_SETUP);
	ck_assert_str_eq(last_err, "no VM 9");
	fake_reset(ANSWER_ERROR, -ENOENT, 0);
	ck_assert_int_eq(mgmt_get(&c, 9, &vm), -ENOENT);
	ck_assert_int_eq(mgmt_report(-ENOENT, 9, false), PLUMB_EXIT_SETUP);
	ck_assert_str_eq(last_err, "no VM 9");
	fake_reset(ANSWER_ERROR, -EPERM, 0);
	ck_assert_int_eq(mgmt_get(&c, 9, &vm), -EPERM);
	ck_assert_int_eq(mgmt_report(-EPERM, 9, false), PLUMB_EXIT_SETUP);
	ck_assert_str_eq(last_err, "no permission to see VMs: add yourself to group plumb (access to /dev/plumb)");

	/* A malformed answer: refused, and its ACK read all the same. */
	fake_reset(ANSWER_BAD_VM, 0, 1);
	ck_assert_int_eq(mgmt_get(&c, 7, &vm), -EBADMSG);
	check_drained();
	/* Then the same socket works (plumb stat --watch). */
	fake_reset(ANSWER_VMS, 0, 1);
	ck_assert_int_eq(mgmt_get(&c, 7, &vm), 0);
	mgmt_vm_free(&vm);
	fake_reset(ANSWER_VMS, 0, 0);
	mgmt_close(&c);
}
END_TEST

START_TEST(test_genl_control)
{
	static const uint8_t cmds[] = { PLUMB_CMD_PAUSE, PLUMB_CMD_RESUME, PLUMB_CMD_KILL };
	struct mgmt_conn c = fake_conn();
	unsigned int i;

	for (i = 0; i < 3; i++) {
		fake_reset(ANSWER_ACK, 0, 0);
		ck_assert_int_eq(mgmt_control(&c, cmds[i], 11), 0);
		ck_assert_uint_eq(fake.cmd, cmds[i]);
		ck_assert_int_eq(fake.vm_id, 11);
		check_drained();
	}
	fake_reset(ANSWER_ERROR, -EPERM, 0);
	ck_assert_int_eq(mgmt_control(&c, PLUMB_CMD_KILL, 11), -EPERM);
	ck_assert_int_eq(mgmt_report(-EPERM, 11, true), PLUMB_EXIT_SETUP);
	ck_assert_str_eq(last_err, "VM 11 belongs to another user (need its owner or CAP_SYS_ADMIN)");
	fake_reset(ANSWER_ERROR, -ENOENT, 0);
	ck_assert_int_eq(mgmt_control(&c, PLUMB_CMD_PAUSE, 12), -ENOENT);
	ck_assert_int_eq(mgmt_report(-ENOENT, 12, true), PLUMB_EXIT_SETUP);
	ck_assert_str_eq(last_err, "no VM 12");
	fake_reset(ANSWER_ERROR, -EBUSY, 0);
	ck_assert_int_eq(mgmt_control(&c, PLUMB_CMD_RESUME, 12), -EBUSY);
	ck_assert_int_eq(mgmt_report(-EBUSY, 12, true), 1);
	fake_reset(ANSWER_VMS, 0, 0);
	mgmt_close(&c);
}
END_TEST

static Suite *mgmt_suite(void)
{
	Suite *s = suite_create("mgmt");
	TCase *parse = tcase_create("parse");
	TCase *out = tcase_create("render");
	TCase *genl = tcase_create("genl");

	tcase_add_test(parse, test_parse_doit);
	tcase_add_test(parse, test_parse_dump_entry);
	tcase_add_test(parse, test_parse_padded_and_newer);
	tcase_add_test(parse, test_parse_needs_every_attr);
	tcase_add_test(parse, test_parse_vcpu_count);
	tcase_add_test(parse, test_parse_truncated);
	tcase_add_test(parse, test_parse_garbage);
	tcase_add_test(parse, test_parse_events);
	tcase_add_test(parse, test_requests);
	suite_add_tcase(s, parse);
	tcase_add_test(out, test_json_stat);
	tcase_add_test(out, test_json_ps);
	tcase_add_test(out, test_json_event);
	tcase_add_test(out, test_table_ps);
	tcase_add_test(out, test_human);
	tcase_add_test(out, test_table_stat);
	tcase_add_test(out, test_table_top);
	tcase_add_test(out, test_event_line);
	suite_add_tcase(s, out);
	tcase_add_test(genl, test_genl_dump);
	tcase_add_test(genl, test_genl_get);
	tcase_add_test(genl, test_genl_control);
	suite_add_tcase(s, genl);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mgmt_suite());
	int failed;

	/* Dates and times in the tables: the same wherever the test runs. */
	setenv("TZ", "UTC", 1);
	tzset();
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
