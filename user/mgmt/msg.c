// SPDX-License-Identifier: GPL-2.0
/*
 * The management plane's messages and the plain structs of mgmt.h: the
 * parsing of what the module sends (PLUMB_CMD_GET_VM answers, PLUMB_CMD_EVENT
 * multicasts) and the building of requests. No socket here: the unit tests
 * (tests/unit/test_mgmt.c) feed it messages built in memory.
 *
 * A message is taken whole or not at all: every attribute passes its
 * policy (libnl), no bytes are left over after the last whole attribute (a
 * truncated one), and every attribute the family's contract promises is
 * there. Attributes newer than this launcher are ignored, as netlink
 * wants; so are exit reasons past PLUMB_XR_NR.
 */
#include <errno.h>
#include <string.h>
#include <stdlib.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "mgmt.h"

#define U8_POLICY	{ .type = NLA_U8, .minlen = 1, .maxlen = 1 }
#define U32_POLICY	{ .type = NLA_U32, .minlen = 4, .maxlen = 4 }
#define U64_POLICY	{ .type = NLA_U64, .minlen = 8, .maxlen = 8 }

/* PLUMB_A_*: the top level, and inside PLUMB_A_VCPU. */
static const struct nla_policy attr_policy[PLUMB_A_MAX + 1] = {
	[PLUMB_A_PAD]			= { .type = NLA_UNSPEC },
	[PLUMB_A_VM_ID]			= U32_POLICY,
	[PLUMB_A_VM_PID]		= U32_POLICY,
	[PLUMB_A_VM_UID]		= U32_POLICY,
	[PLUMB_A_VM_COMM]		= { .type = NLA_STRING },
	[PLUMB_A_VM_ABI]		= U8_POLICY,
	[PLUMB_A_VM_VCPUS]		= U32_POLICY,
	[PLUMB_A_VM_MEM_BYTES]		= U64_POLICY,
	[PLUMB_A_VM_PINNED_PAGES]	= U64_POLICY,
	[PLUMB_A_VM_CREATED_NS]		= U64_POLICY,
	[PLUMB_A_VM_STATE]		= U8_POLICY,
	[PLUMB_A_STATS]			= { .type = NLA_NESTED },
	[PLUMB_A_VCPU]			= { .type = NLA_NESTED },
	[PLUMB_A_VCPU_ID]		= U32_POLICY,
	[PLUMB_A_VCPU_STATE]		= U8_POLICY,
	[PLUMB_A_EVENT]			= U32_POLICY,
	[PLUMB_A_EVENT_SEQ]		= U64_POLICY,
	[PLUMB_A_EVENT_TIME_NS]		= U64_POLICY,
};

/* PLUMB_STAT_* inside PLUMB_A_STATS. */
static const struct nla_policy stat_policy[PLUMB_STAT_MAX + 1] = {
	[PLUMB_STAT_PAD]		= { .type = NLA_UNSPEC },
	[PLUMB_STAT_RUNS]		= U64_POLICY,
	[PLUMB_STAT_EXITS]		= U64_POLICY,
	[PLUMB_STAT_EXITS_USER]		= U64_POLICY,
	[PLUMB_STAT_RECORDS]		= U64_POLICY,
	[PLUMB_STAT_POSTED]		= U64_POLICY,
	[PLUMB_STAT_IRQS]		= U64_POLICY,
	[PLUMB_STAT_NMIS]		= U64_POLICY,
	[PLUMB_STAT_HALTS]		= U64_POLICY,
	[PLUMB_STAT_HALT_NS]		= U64_POLICY,
	[PLUMB_STAT_GUEST_NS]		= U64_POLICY,
	[PLUMB_STAT_EXIT_REASONS]	= { .type = NLA_NESTED },
};

/*
 * Inside PLUMB_STAT_EXIT_REASONS: PLUMB_XR_x + 1, u64 each. Type 0 is no
 * reason; it is left unchecked, as padding would be.
 */
static const struct nla_policy xr_policy[PLUMB_XR_NR + 1] = {
	[1 ... PLUMB_XR_NR]		= U64_POLICY,
};

/*
 * nla_parse() with @policy, and nothing left over: libnl stops quietly at
 * an attribute that runs past the end, which is how truncation looks.
 */
static int parse_attrs(struct nlattr **tb, int maxtype, struct nlattr *head,
		       int len, const struct nla_policy *policy, const char **why,
		       const char *what)
{
	struct nlattr *nla;
	int rem;

	if (len < 0 || nla_parse(tb, maxtype, head, len, policy) < 0) {
		*why = what;
		return -EBADMSG;
	}
	nla_for_each_attr(nla, head, len, rem)
		;
	if (rem > 0) {
		*why = what;
		return -EBADMSG;
	}
	return 0;
}

static int parse_nested(struct nlattr **tb, int maxtype, struct nlattr *nest,
			const struct nla_policy *policy, const char **why,
			const char *what)
{
	return parse_attrs(tb, maxtype, nla_data(nest), nla_len(nest), policy,
			   why, what);
}

static uint64_t get_u64(struct nlattr *nla)
{
	return nla ? nla_get_u64(nla) : 0;
}

static int parse_stats(struct nlattr *nest, struct mgmt_stats *st,
		       const char **why)
{
	struct nlattr *tb[PLUMB_STAT_MAX + 1], *xr[PLUMB_XR_NR + 1];
	unsigned int i;
	int err;

	err = parse_nested(tb, PLUMB_STAT_MAX, nest, stat_policy, why,
			   "malformed PLUMB_A_STATS");
	if (err)
		return err;
	st->runs = get_u64(tb[PLUMB_STAT_RUNS]);
	st->exits = get_u64(tb[PLUMB_STAT_EXITS]);
	st->exits_user = get_u64(tb[PLUMB_STAT_EXITS_USER]);
	st->records = get_u64(tb[PLUMB_STAT_RECORDS]);
	st->posted = get_u64(tb[PLUMB_STAT_POSTED]);
	st->irqs = get_u64(tb[PLUMB_STAT_IRQS]);
	st->nmis = get_u64(tb[PLUMB_STAT_NMIS]);
	st->halts = get_u64(tb[PLUMB_STAT_HALTS]);
	st->halt_ns = get_u64(tb[PLUMB_STAT_HALT_NS]);
	st->guest_ns = get_u64(tb[PLUMB_STAT_GUEST_NS]);
	if (!tb[PLUMB_STAT_EXIT_REASONS])
		return 0;
	err = parse_nested(xr, PLUMB_XR_NR, tb[PLUMB_STAT_EXIT_REASONS],
			   xr_policy, why, "malformed PLUMB_STAT_EXIT_REASONS");
	if (err)
		return err;
	for (i = 0; i < PLUMB_XR_NR; i++)
		st->exit_reasons[i] = get_u64(xr[i + 1]);
	return 0;
}

/* The attributes every GET_VM answer carries, with their names for *why. */
static const struct {
	int attr;
	const char *why;
} vm_required[] = {
	{ PLUMB_A_VM_ID, "no PLUMB_A_VM_ID" },
	{ PLUMB_A_VM_PID, "no PLUMB_A_VM_PID" },
	{ PLUMB_A_VM_UID, "no PLUMB_A_VM_UID" },
	{ PLUMB_A_VM_COMM, "no PLUMB_A_VM_COMM" },
	{ PLUMB_A_VM_ABI, "no PLUMB_A_VM_ABI" },
	{ PLUMB_A_VM_VCPUS, "no PLUMB_A_VM_VCPUS" },
	{ PLUMB_A_VM_MEM_BYTES, "no PLUMB_A_VM_MEM_BYTES" },
	{ PLUMB_A_VM_PINNED_PAGES, "no PLUMB_A_VM_PINNED_PAGES" },
	{ PLUMB_A_VM_CREATED_NS, "no PLUMB_A_VM_CREATED_NS" },
	{ PLUMB_A_VM_STATE, "no PLUMB_A_VM_STATE" },
	{ PLUMB_A_STATS, "no PLUMB_A_STATS" },
};

static int parse_vcpu(struct nlattr *nest, struct mgmt_vcpu *vcpu,
		      const char **why)
{
	struct nlattr *tb[PLUMB_A_MAX + 1];
	int err;

	err = parse_nested(tb, PLUMB_A_MAX, nest, attr_policy, why,
			   "malformed PLUMB_A_VCPU");
	if (err)
		return err;
	if (!tb[PLUMB_A_VCPU_ID] || !tb[PLUMB_A_VCPU_STATE] || !tb[PLUMB_A_STATS]) {
		*why = "PLUMB_A_VCPU without PLUMB_A_VCPU_ID, _STATE or PLUMB_A_STATS";
		return -EBADMSG;
	}
	vcpu->id = nla_get_u32(tb[PLUMB_A_VCPU_ID]);
	vcpu->state = nla_get_u8(tb[PLUMB_A_VCPU_STATE]);
	return parse_stats(tb[PLUMB_A_STATS], &vcpu->stats, why);
}

/* The genetlink header of @nlh, if it is one of @cmd. */
static struct genlmsghdr *genl_header(struct nlmsghdr *nlh, uint8_t cmd,
				      const char **why)
{
	struct genlmsghdr *gnlh;

	if (!genlmsg_valid_hdr(nlh, 0)) {
		*why = "shorter than a generic netlink header";
		return NULL;
	}
	gnlh = nlmsg_data(nlh);
	if (gnlh->cmd != cmd) {
		*why = "not the command asked for";
		return NULL;
	}
	return gnlh;
}

int mgmt_parse_vm(struct nlmsghdr *nlh, bool want_vcpus, struct mgmt_vm *vm,
		  const char **why)
{
	struct nlattr *tb[PLUMB_A_MAX + 1], *nla;
	struct genlmsghdr *gnlh;
	size_t i, n = 0;
	int err, rem;

	memset(vm, 0, sizeof(*vm));
	gnlh = genl_header(nlh, PLUMB_CMD_GET_VM, why);
	if (!gnlh)
		return -EBADMSG;
	err = parse_attrs(tb, PLUMB_A_MAX, genlmsg_attrdata(gnlh, 0),
			  genlmsg_attrlen(gnlh, 0), attr_policy, why,
			  "malformed PLUMB_CMD_GET_VM attributes");
	if (err)
		return err;
	for (i = 0; i < sizeof(vm_required) / sizeof(vm_required[0]); i++) {
		if (!tb[vm_required[i].attr]) {
			*why = vm_required[i].why;
			return -EBADMSG;
		}
	}
	vm->id = nla_get_u32(tb[PLUMB_A_VM_ID]);
	vm->pid = nla_get_u32(tb[PLUMB_A_VM_PID]);
	vm->uid = nla_get_u32(tb[PLUMB_A_VM_UID]);
	nla_strlcpy(vm->comm, tb[PLUMB_A_VM_COMM], sizeof(vm->comm));
	vm->abi = nla_get_u8(tb[PLUMB_A_VM_ABI]);
	vm->nr_vcpus = nla_get_u32(tb[PLUMB_A_VM_VCPUS]);
	vm->mem_bytes = nla_get_u64(tb[PLUMB_A_VM_MEM_BYTES]);
	vm->pinned_pages = nla_get_u64(tb[PLUMB_A_VM_PINNED_PAGES]);
	vm->created_ns = nla_get_u64(tb[PLUMB_A_VM_CREATED_NS]);
	vm->state = nla_get_u8(tb[PLUMB_A_VM_STATE]);
	err = parse_stats(tb[PLUMB_A_STATS], &vm->stats, why);
	if (err || !want_vcpus)
		return err;

	/* nla_parse() kept only the last PLUMB_A_VCPU: walk them all. */
	nla_for_each_attr(nla, genlmsg_attrdata(gnlh, 0), genlmsg_attrlen(gnlh, 0), rem)
		if (nla_type(nla) == PLUMB_A_VCPU)
			n++;
	if (n != vm->nr_vcpus) {
		*why = "PLUMB_A_VCPU nests do not number PLUMB_A_VM_VCPUS";
		return -EBADMSG;
	}
	if (!n)
		return 0;
	vm->vcpus = calloc(n, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		*why = "out of memory";
		return -ENOMEM;
	}
	nla_for_each_attr(nla, genlmsg_attrdata(gnlh, 0), genlmsg_attrlen(gnlh, 0), rem) {
		if (nla_type(nla) != PLUMB_A_VCPU)
			continue;
		err = parse_vcpu(nla, &vm->vcpus[vm->nr_vcpu_stats], why);
		if (err) {
			mgmt_vm_free(vm);
			return err;
		}
		vm->nr_vcpu_stats++;
	}
	return 0;
}

void mgmt_vm_free(struct mgmt_vm *vm)
{
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->nr_vcpu_stats = 0;
}

int mgmt_parse_event(struct nlmsghdr *nlh, struct mgmt_event *ev,
		     const char **why)
{
	struct nlattr *tb[PLUMB_A_MAX + 1];
	struct genlmsghdr *gnlh;
	int err;

	memset(ev, 0, sizeof(*ev));
	gnlh = genl_header(nlh, PLUMB_CMD_EVENT, why);
	if (!gnlh)
		return -EBADMSG;
	err = parse_attrs(tb, PLUMB_A_MAX, genlmsg_attrdata(gnlh, 0),
			  genlmsg_attrlen(gnlh, 0), attr_policy, why,
			  "malformed PLUMB_CMD_EVENT attributes");
	if (err)
		return err;
	if (!tb[PLUMB_A_EVENT] || !tb[PLUMB_A_VM_ID] || !tb[PLUMB_A_EVENT_SEQ] ||
	    !tb[PLUMB_A_EVENT_TIME_NS]) {
		*why = "PLUMB_CMD_EVENT without PLUMB_A_EVENT, PLUMB_A_VM_ID, _SEQ or _TIME_NS";
		return -EBADMSG;
	}
	ev->event = nla_get_u32(tb[PLUMB_A_EVENT]);
	ev->vm_id = nla_get_u32(tb[PLUMB_A_VM_ID]);
	ev->seq = nla_get_u64(tb[PLUMB_A_EVENT_SEQ]);
	ev->time_ns = nla_get_u64(tb[PLUMB_A_EVENT_TIME_NS]);
	if (tb[PLUMB_A_VCPU_ID]) {
		ev->has_vcpu = true;
		ev->vcpu_id = nla_get_u32(tb[PLUMB_A_VCPU_ID]);
	}
	if (tb[PLUMB_A_VM_ABI]) {
		ev->has_abi = true;
		ev->abi = nla_get_u8(tb[PLUMB_A_VM_ABI]);
	}
	/* What the header promises for these events. */
	switch (ev->event) {
	case PLUMB_EVENT_VCPU_SHUTDOWN:
	case PLUMB_EVENT_ENTRY_FAILED:
	case PLUMB_EVENT_INTERNAL_ERROR:
		if (!ev->has_vcpu) {
			*why = "a vCPU event without PLUMB_A_VCPU_ID";
			return -EBADMSG;
		}
		break;
	case PLUMB_EVENT_VM_CREATED:
		if (!ev->has_abi) {
			*why = "PLUMB_EVENT_VM_CREATED without PLUMB_A_VM_ABI";
			return -EBADMSG;
		}
		break;
	default:
		break;
	}
	return 0;
}

struct nl_msg *mgmt_request(int family, uint8_t cmd, int flags, uint64_t vm_id)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
			 NLM_F_REQUEST | flags, cmd, PLUMB_GENL_VERSION) ||
	    (vm_id != MGMT_NO_VM && nla_put_u32(msg, PLUMB_A_VM_ID, (uint32_t)vm_id))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}
