// SPDX-License-Identifier: GPL-2.0
/*
 * The management plane: the "plumb" generic netlink family
 * (include/uapi/linux/plumb_genl.h, docs/abi.md "The management plane").
 *
 * Every VM with an fd, of either ABI, is on one list here, in creation
 * order, under a mutex that also keeps it alive while a command looks at
 * it: plumb_vm_destroy() takes it off the list before it frees anything.
 * Counters are the vCPUs' own (struct plumb_vcpu_stats), read as they
 * are; pause and kill set a bit the run loop checks before each entry and
 * kick every vCPU out of the guest or its HLT.
 *
 * Who may do what: reading needs what opening /dev/plumb needs (read and
 * write access to the node, as the caller sees it) or CAP_SYS_ADMIN;
 * pause, resume and kill need the VM owner's uid or CAP_SYS_ADMIN. The
 * events group is open to every listener: it carries ids and event
 * types only, which /sys/class/misc/plumb/nr_vms already tells everyone
 * (decision 139).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/mutex.h>
#include <linux/namei.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <asm/tsc.h>

#include "lapic.h"
#include "mgmt.h"
#include "vcpu.h"
#include "vm.h"

static LIST_HEAD(plumb_mgmt_vms);
static DEFINE_MUTEX(plumb_mgmt_lock);
static u32 plumb_mgmt_next_id;		/* under plumb_mgmt_lock */
static dev_t plumb_mgmt_devt;		/* /dev/plumb's, from dev.c */
static atomic64_t plumb_mgmt_seq = ATOMIC64_INIT(0);

static struct genl_family plumb_genl_family;

enum { PLUMB_MCGRP_EVENTS_IDX };

static const struct genl_multicast_group plumb_genl_mcgrps[] = {
	[PLUMB_MCGRP_EVENTS_IDX] = { .name = PLUMB_GENL_MCGRP_EVENTS },
};

static const struct nla_policy plumb_genl_policy[PLUMB_A_MAX + 1] = {
	[PLUMB_A_VM_ID]	= { .type = NLA_U32 },
};

/* Send one event to the "events" group; nobody listening is fine. */
static void mgmt_event(u32 event, struct plumb_vm *vm, int vcpu_id)
{
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&plumb_genl_family, &init_net,
				PLUMB_MCGRP_EVENTS_IDX))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &plumb_genl_family, 0, PLUMB_CMD_EVENT);
	if (!hdr)
		goto err;
	if (nla_put_u32(skb, PLUMB_A_EVENT, event) ||
	    nla_put_u32(skb, PLUMB_A_VM_ID, vm->mgmt.id) ||
	    nla_put_u8(skb, PLUMB_A_VM_ABI, vm->mgmt.abi) ||
	    nla_put_u64_64bit(skb, PLUMB_A_EVENT_SEQ,
			      atomic64_inc_return(&plumb_mgmt_seq),
			      PLUMB_A_PAD) ||
	    nla_put_u64_64bit(skb, PLUMB_A_EVENT_TIME_NS, ktime_get_real_ns(),
			      PLUMB_A_PAD))
		goto err;
	if (vcpu_id >= 0 && nla_put_u32(skb, PLUMB_A_VCPU_ID, vcpu_id))
		goto err;
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&plumb_genl_family, skb, 0, PLUMB_MCGRP_EVENTS_IDX,
			  GFP_KERNEL);
	return;
err:
	nlmsg_free(skb);
}

/* plumb_vm_getfd(): the VM is about to get its fd. */
void plumb_mgmt_vm_add(struct plumb_vm *vm)
{
	struct plumb_vm_mgmt *m = &vm->mgmt;

	m->abi = vm->kvm ? PLUMB_ABI_KVM : PLUMB_ABI_PLUMB;
	m->pid = task_tgid_nr(current);
	get_task_comm(m->comm, current);
	m->created_ns = ktime_get_real_ns();
	mutex_lock(&plumb_mgmt_lock);
	/* Never 0 and never reused while loaded: 2^32 VMs would wrap it. */
	m->id = ++plumb_mgmt_next_id;
	list_add_tail(&m->node, &plumb_mgmt_vms);
	mutex_unlock(&plumb_mgmt_lock);
	mgmt_event(PLUMB_EVENT_VM_CREATED, vm, -1);
}

/*
 * plumb_vm_destroy(), first. A VM whose last fd goes with its owner's
 * exit (the owner ended without closing it) says so before it goes.
 */
void plumb_mgmt_vm_del(struct plumb_vm *vm)
{
	if (!vm->mgmt.id)
		return;
	mutex_lock(&plumb_mgmt_lock);
	list_del_init(&vm->mgmt.node);
	mutex_unlock(&plumb_mgmt_lock);
	if ((current->flags & PF_EXITING) &&
	    task_tgid_nr(current) == vm->mgmt.pid)
		mgmt_event(PLUMB_EVENT_OWNER_GONE, vm, -1);
	mgmt_event(PLUMB_EVENT_VM_DESTROYED, vm, -1);
}

/*
 * The run loop saw a management bit (plumb_vm_ctl()): -ECANCELED once
 * killed, else sleep while paused. 0 when the vCPU may go on.
 */
int plumb_mgmt_vcpu_wait(struct plumb_vcpu *vcpu)
{
	struct plumb_vm_mgmt *m = &vcpu->vm->mgmt;

	if (test_bit(PLUMB_MGMT_KILLED, &m->ctl))
		return -ECANCELED;
	if (rcuwait_wait_event(&vcpu->wait,
			       !test_bit(PLUMB_MGMT_PAUSED, &m->ctl) ||
			       test_bit(PLUMB_MGMT_KILLED, &m->ctl),
			       TASK_INTERRUPTIBLE))
		return -EINTR;
	return test_bit(PLUMB_MGMT_KILLED, &m->ctl) ? -ECANCELED : 0;
}

/* plumb_vcpu_run()'s end: the events its run raised. */
void plumb_mgmt_vcpu_events(struct plumb_vcpu *vcpu)
{
	static const u32 ev[] = {
		[PLUMB_MGMT_EV_SHUTDOWN]	= PLUMB_EVENT_VCPU_SHUTDOWN,
		[PLUMB_MGMT_EV_ENTRY_FAILED]	= PLUMB_EVENT_ENTRY_FAILED,
		[PLUMB_MGMT_EV_INTERNAL_ERROR]	= PLUMB_EVENT_INTERNAL_ERROR,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ev); i++)
		if (__test_and_clear_bit(i, &vcpu->stats.events))
			mgmt_event(ev[i], vcpu->vm, vcpu->id);
}

/* ---- reading ---------------------------------------------------- */

/* dev.c, once /dev/plumb is registered (0 again when it goes). */
void plumb_mgmt_set_devt(dev_t devt)
{
	WRITE_ONCE(plumb_mgmt_devt, devt);
}

/*
 * What opening /dev/plumb needs, as the caller sees the node. The node
 * must be plumb's own character device: in a mount namespace of its own
 * a user could put any file of its making at that path.
 */
static int mgmt_may_read(void)
{
	struct inode *inode;
	struct path path;
	int ret;

	if (capable(CAP_SYS_ADMIN))
		return 0;
	ret = kern_path("/dev/plumb", LOOKUP_FOLLOW, &path);
	if (ret)
		return -EPERM;
	inode = d_inode(path.dentry);
	if (!S_ISCHR(inode->i_mode) || !READ_ONCE(plumb_mgmt_devt) ||
	    inode->i_rdev != READ_ONCE(plumb_mgmt_devt))
		ret = -EPERM;
	else
		ret = path_permission(&path, MAY_READ | MAY_WRITE);
	path_put(&path);
	return ret ? -EPERM : 0;
}

static int mgmt_may_control(struct plumb_vm *vm)
{
	if (uid_eq(current_euid(), vm->uid) || uid_eq(current_uid(), vm->uid) ||
	    capable(CAP_SYS_ADMIN))
		return 0;
	return -EPERM;
}

static void stats_add(struct plumb_vcpu_stats *sum,
		      const struct plumb_vcpu_stats *s)
{
	unsigned int i;

	sum->runs += READ_ONCE(s->runs);
	sum->exits += READ_ONCE(s->exits);
	sum->exits_user += READ_ONCE(s->exits_user);
	sum->records += READ_ONCE(s->records);
	sum->posted += READ_ONCE(s->posted);
	sum->irqs += READ_ONCE(s->irqs);
	sum->nmis += READ_ONCE(s->nmis);
	sum->halts += READ_ONCE(s->halts);
	sum->halt_ns += READ_ONCE(s->halt_ns);
	sum->guest_tsc += READ_ONCE(s->guest_tsc);
	for (i = 0; i < PLUMB_XR_NR; i++)
		sum->exit_reason[i] += READ_ONCE(s->exit_reason[i]);
}

static int put_u64(struct sk_buff *skb, int type, u64 v)
{
	return nla_put_u64_64bit(skb, type, v, PLUMB_STAT_PAD);
}

static int put_stats(struct sk_buff *skb, const struct plumb_vcpu_stats *s)
{
	struct nlattr *nest, *reasons;
	u64 guest_ns = tsc_khz ? mul_u64_u32_div(s->guest_tsc, 1000000,
						 tsc_khz) : 0;
	unsigned int i;

	nest = nla_nest_start(skb, PLUMB_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	if (put_u64(skb, PLUMB_STAT_RUNS, s->runs) ||
	    put_u64(skb, PLUMB_STAT_EXITS, s->exits) ||
	    put_u64(skb, PLUMB_STAT_EXITS_USER, s->exits_user) ||
	    put_u64(skb, PLUMB_STAT_RECORDS, s->records) ||
	    put_u64(skb, PLUMB_STAT_POSTED, s->posted) ||
	    put_u64(skb, PLUMB_STAT_IRQS, s->irqs) ||
	    put_u64(skb, PLUMB_STAT_NMIS, s->nmis) ||
	    put_u64(skb, PLUMB_STAT_HALTS, s->halts) ||
	    put_u64(skb, PLUMB_STAT_HALT_NS, s->halt_ns) ||
	    put_u64(skb, PLUMB_STAT_GUEST_NS, guest_ns))
		goto err;
	reasons = nla_nest_start(skb, PLUMB_STAT_EXIT_REASONS);
	if (!reasons)
		goto err;
	for (i = 0; i < PLUMB_XR_NR; i++)
		if (put_u64(skb, i + 1, s->exit_reason[i]))
			goto err;
	nla_nest_end(skb, reasons);
	nla_nest_end(skb, nest);
	return 0;
err:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static u8 vcpu_state(struct plumb_vcpu *vcpu)
{
	if (READ_ONCE(vcpu->dead))
		return PLUMB_VCPU_STATE_DEAD;
	if (READ_ONCE(vcpu->halted))
		return PLUMB_VCPU_STATE_HALTED;
	if (READ_ONCE(vcpu->mp_state) == PLUMB_MP_WAIT_SIPI)
		return PLUMB_VCPU_STATE_WAIT_SIPI;
	return PLUMB_VCPU_STATE_RUNNING;
}

static u8 vm_state(struct plumb_vm *vm, unsigned int n)
{
	unsigned int i, dead = 0, idle = 0;
	u8 s;

	if (test_bit(PLUMB_MGMT_KILLED, &vm->mgmt.ctl))
		return PLUMB_VM_STATE_DEAD;
	if (test_bit(PLUMB_MGMT_PAUSED, &vm->mgmt.ctl))
		return PLUMB_VM_STATE_PAUSED;
	for (i = 0; i < n; i++) {
		s = vcpu_state(vm->vcpus[i]);
		dead += s == PLUMB_VCPU_STATE_DEAD;
		idle += s != PLUMB_VCPU_STATE_RUNNING;
	}
	if (n && dead == n)
		return PLUMB_VM_STATE_DEAD;
	if (n && idle == n)
		return PLUMB_VM_STATE_HALTED;
	return PLUMB_VM_STATE_RUNNING;
}

static u64 vm_mem_bytes(struct plumb_vm *vm)
{
	struct plumb_memslots *slots;
	unsigned int i;
	u64 pages = 0;
	int idx;

	idx = srcu_read_lock(&vm->srcu);
	slots = plumb_vm_slots(vm);
	for (i = 0; i < slots->nr; i++)
		pages += slots->slot[i]->npages;
	srcu_read_unlock(&vm->srcu, idx);
	return pages << PAGE_SHIFT;
}

/* One VM; with @vcpus, a PLUMB_A_VCPU nest per vCPU. Caller holds the lock. */
static int put_vm(struct sk_buff *skb, struct plumb_vm *vm, u32 portid,
		  u32 seq, int flags, bool vcpus)
{
	/* Published with smp_store_release() by plumb_vcpu_create(). */
	unsigned int i, n = smp_load_acquire(&vm->nr_vcpus);
	struct plumb_vcpu_stats sum = {};
	struct plumb_vm_mgmt *m = &vm->mgmt;
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &plumb_genl_family, flags,
			  PLUMB_CMD_GET_VM);
	if (!hdr)
		return -EMSGSIZE;
	for (i = 0; i < n; i++)
		stats_add(&sum, &vm->vcpus[i]->stats);
	if (nla_put_u32(skb, PLUMB_A_VM_ID, m->id) ||
	    nla_put_u32(skb, PLUMB_A_VM_PID, m->pid) ||
	    nla_put_u32(skb, PLUMB_A_VM_UID,
			from_kuid_munged(&init_user_ns, vm->uid)) ||
	    nla_put_string(skb, PLUMB_A_VM_COMM, m->comm) ||
	    nla_put_u8(skb, PLUMB_A_VM_ABI, m->abi) ||
	    nla_put_u32(skb, PLUMB_A_VM_VCPUS, n) ||
	    nla_put_u64_64bit(skb, PLUMB_A_VM_MEM_BYTES, vm_mem_bytes(vm),
			      PLUMB_A_PAD) ||
	    nla_put_u64_64bit(skb, PLUMB_A_VM_PINNED_PAGES,
			      atomic_long_read(&vm->nr_pinned), PLUMB_A_PAD) ||
	    nla_put_u64_64bit(skb, PLUMB_A_VM_CREATED_NS, m->created_ns,
			      PLUMB_A_PAD) ||
	    nla_put_u8(skb, PLUMB_A_VM_STATE, vm_state(vm, n)) ||
	    put_stats(skb, &sum))
		goto err;
	for (i = 0; vcpus && i < n; i++) {
		struct plumb_vcpu *vcpu = vm->vcpus[i];

		nest = nla_nest_start(skb, PLUMB_A_VCPU);
		if (!nest ||
		    nla_put_u32(skb, PLUMB_A_VCPU_ID, vcpu->id) ||
		    nla_put_u8(skb, PLUMB_A_VCPU_STATE, vcpu_state(vcpu)) ||
		    put_stats(skb, &vcpu->stats))
			goto err;
		nla_nest_end(skb, nest);
	}
	genlmsg_end(skb, hdr);
	return 0;
err:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static struct plumb_vm *find_vm(u32 id)
{
	struct plumb_vm_mgmt *m;

	lockdep_assert_held(&plumb_mgmt_lock);
	list_for_each_entry(m, &plumb_mgmt_vms, node)
		if (m->id == id)
			return container_of(m, struct plumb_vm, mgmt);
	return NULL;
}

static int genl_get_vm(struct sk_buff *skb, struct genl_info *info)
{
	struct plumb_vm *vm;
	struct sk_buff *msg;
	size_t size;
	int ret;

	ret = mgmt_may_read();
	if (ret)
		return ret;
	if (!info->attrs[PLUMB_A_VM_ID])
		return -EINVAL;
	mutex_lock(&plumb_mgmt_lock);
	vm = find_vm(nla_get_u32(info->attrs[PLUMB_A_VM_ID]));
	if (!vm) {
		ret = -ENOENT;
		goto out;
	}
	/* The VM, then 420 bytes or so per vCPU: room to spare. */
	size = NLMSG_GOODSIZE + PLUMB_MAX_VCPUS * 512;
	msg = genlmsg_new(size, GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto out;
	}
	ret = put_vm(msg, vm, info->snd_portid, info->snd_seq, 0, true);
	if (ret) {
		nlmsg_free(msg);
		goto out;
	}
	mutex_unlock(&plumb_mgmt_lock);
	return genlmsg_reply(msg, info);
out:
	mutex_unlock(&plumb_mgmt_lock);
	return ret;
}

/*
 * A dump's permission, checked before it starts: an error here is the
 * request's ACK, which every netlink library reports (one from the dump
 * itself would only ride in its NLMSG_DONE).
 */
static int genl_dump_start(struct netlink_callback *cb)
{
	return mgmt_may_read();
}

/* Every VM, summed counters only; cb->args[0]: the last id sent. */
static int genl_dump_vms(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct plumb_vm_mgmt *m;

	mutex_lock(&plumb_mgmt_lock);
	list_for_each_entry(m, &plumb_mgmt_vms, node) {
		if (m->id <= cb->args[0])
			continue;
		if (put_vm(skb, container_of(m, struct plumb_vm, mgmt),
			   NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			   NLM_F_MULTI, false))
			break;
		cb->args[0] = m->id;
	}
	mutex_unlock(&plumb_mgmt_lock);
	return skb->len;
}

/* ---- control ---------------------------------------------------- */

static void kick_all(struct plumb_vm *vm)
{
	unsigned int i, n = smp_load_acquire(&vm->nr_vcpus);

	/* The bit is set before: pairs with the kick's barrier. */
	for (i = 0; i < n; i++)
		plumb_vcpu_kick(vm->vcpus[i]);
}

static int genl_control(struct genl_info *info, u8 cmd)
{
	struct plumb_vm *vm;
	u32 event = 0;
	int ret;

	if (!info->attrs[PLUMB_A_VM_ID])
		return -EINVAL;
	mutex_lock(&plumb_mgmt_lock);
	vm = find_vm(nla_get_u32(info->attrs[PLUMB_A_VM_ID]));
	ret = vm ? mgmt_may_control(vm) : -ENOENT;
	if (ret)
		goto out;
	switch (cmd) {
	case PLUMB_CMD_PAUSE:
		if (!test_and_set_bit(PLUMB_MGMT_PAUSED, &vm->mgmt.ctl))
			event = PLUMB_EVENT_PAUSED;
		break;
	case PLUMB_CMD_RESUME:
		if (test_and_clear_bit(PLUMB_MGMT_PAUSED, &vm->mgmt.ctl))
			event = PLUMB_EVENT_RESUMED;
		break;
	case PLUMB_CMD_KILL:
		if (!test_and_set_bit(PLUMB_MGMT_KILLED, &vm->mgmt.ctl))
			event = PLUMB_EVENT_KILLED;
		break;
	}
	smp_mb__after_atomic();
	kick_all(vm);
	if (event)
		mgmt_event(event, vm, -1);
out:
	mutex_unlock(&plumb_mgmt_lock);
	return ret;
}

static int genl_pause(struct sk_buff *skb, struct genl_info *info)
{
	return genl_control(info, PLUMB_CMD_PAUSE);
}

static int genl_resume(struct sk_buff *skb, struct genl_info *info)
{
	return genl_control(info, PLUMB_CMD_RESUME);
}

static int genl_kill(struct sk_buff *skb, struct genl_info *info)
{
	return genl_control(info, PLUMB_CMD_KILL);
}

/*
 * No GENL_ADMIN_PERM: that would ask CAP_NET_ADMIN of everyone, owners
 * included. The handlers check (mgmt_may_read(), mgmt_may_control()).
 */
static const struct genl_ops plumb_genl_ops[] = {
	{
		.cmd	= PLUMB_CMD_GET_VM,
		.start	= genl_dump_start,
		.doit	= genl_get_vm,
		.dumpit	= genl_dump_vms,
	},
	{ .cmd = PLUMB_CMD_PAUSE,	.doit = genl_pause },
	{ .cmd = PLUMB_CMD_RESUME,	.doit = genl_resume },
	{ .cmd = PLUMB_CMD_KILL,	.doit = genl_kill },
};

static struct genl_family plumb_genl_family __ro_after_init = {
	.name		= PLUMB_GENL_NAME,
	.version	= PLUMB_GENL_VERSION,
	.maxattr	= PLUMB_A_MAX,
	.policy		= plumb_genl_policy,
	.module		= THIS_MODULE,
	.ops		= plumb_genl_ops,
	.n_ops		= ARRAY_SIZE(plumb_genl_ops),
	/* Every command validates strictly: no unknown attributes. */
	.resv_start_op	= PLUMB_CMD_MAX + 1,
	.mcgrps		= plumb_genl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(plumb_genl_mcgrps),
};

int plumb_genl_init(void)
{
	int ret = genl_register_family(&plumb_genl_family);

	if (ret)
		pr_err("cannot register the generic netlink family: %d\n", ret);
	return ret;
}

void plumb_genl_exit(void)
{
	genl_unregister_family(&plumb_genl_family);
}
