// SPDX-License-Identifier: GPL-2.0
/*
 * The management plane's socket, through libnl-genl-3: resolve the "plumb"
 * family (and its "events" group), send requests built by msg.c, receive
 * the answers with callbacks that hand each message to msg.c's parser.
 *
 * The kernel's errors are kept as errno values (an error callback), not
 * libnl's NLE_* codes, which merge EPERM with EACCES and ENOENT with
 * ESRCH: the messages depend on which it was.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "plumb.h"
#include "mgmt/mgmt.h"

/* Netlink's receive buffer for the events group: bursts of VM creations. */
#define EVENTS_RCVBUF	(1 << 20)

/* What one exchange gathered: its VMs, and the first error. */
struct recv_state {
	bool dump;
	struct mgmt_vm *vms;
	size_t n, cap;
	int err;		/* negative errno */
	bool kernel_err;	/* it came from the module (no ACK follows) */
	const char *why;	/* the parser's reason, for -EBADMSG */
};

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct recv_state *st = arg;

	(void)nla;
	st->kernel_err = true;
	if (!st->err)
		st->err = e->error < 0 ? e->error : -EIO;
	return NL_STOP;
}

/* A dump's NLMSG_DONE may carry the dump's error (an int after the header). */
static int on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct recv_state *st = arg;
	int err;

	if (nlmsg_datalen(nlh) >= (int)sizeof(int)) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		if (err < 0 && !st->err)
			st->err = err;
	}
	return NL_STOP;
}

static int on_vm(struct nl_msg *msg, void *arg)
{
	struct recv_state *st = arg;
	struct mgmt_vm vm;
	int err;

	if (st->err)
		return NL_SKIP;		/* drain the rest of a failed dump */
	err = mgmt_parse_vm(nlmsg_hdr(msg), !st->dump, &vm, &st->why);
	if (err) {
		st->err = err;
		return NL_SKIP;
	}
	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 16;
		struct mgmt_vm *vms = realloc(st->vms, cap * sizeof(*vms));

		if (!vms) {
			mgmt_vm_free(&vm);
			st->err = -ENOMEM;
			return NL_SKIP;
		}
		st->vms = vms;
		st->cap = cap;
	}
	st->vms[st->n++] = vm;
	return NL_OK;
}

int mgmt_connect(struct mgmt_conn *c)
{
	int err;

	c->family = -1;
	c->sk = nl_socket_alloc();
	if (!c->sk)
		return plumb_err("out of memory");
	err = genl_connect(c->sk);
	if (err < 0) {
		plumb_err("generic netlink: %s", nl_geterror(err));
		mgmt_close(c);
		return 1;
	}
	c->family = genl_ctrl_resolve(c->sk, PLUMB_GENL_NAME);
	if (c->family < 0) {
		plumb_err("the plumb module is not loaded (no generic netlink family \"%s\")",
			  PLUMB_GENL_NAME);
		mgmt_close(c);
		return PLUMB_EXIT_SETUP;
	}
	/* A 64-vCPU VM's answer is larger than a page. */
	nl_socket_enable_msg_peek(c->sk);
	return 0;
}

void mgmt_close(struct mgmt_conn *c)
{
	nl_socket_free(c->sk);
	c->sk = NULL;
}

/* Send @msg (freed) and receive what answers it into @st. */
static int exchange(struct mgmt_conn *c, struct nl_msg *msg,
		    struct recv_state *st, bool want_ack)
{
	int err;

	if (!msg)
		return -ENOMEM;
	nl_socket_modify_cb(c->sk, NL_CB_VALID, NL_CB_CUSTOM, on_vm, st);
	nl_socket_modify_cb(c->sk, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, st);
	nl_socket_modify_err_cb(c->sk, NL_CB_CUSTOM, on_error, st);
	err = nl_send_auto(c->sk, msg);
	nlmsg_free(msg);
	if (err < 0)
		return -EIO;
	err = nl_recvmsgs_default(c->sk);
	/*
	 * The ACK follows a doit's answer, even one we refused (read it, so
	 * that the next request does not find it); an error replaces both.
	 */
	if (!err && !st->kernel_err && want_ack)
		err = nl_wait_for_ack(c->sk);
	if (st->err)
		return st->err;
	return err < 0 ? -EIO : 0;
}

void mgmt_vms_free(struct mgmt_vm *vms, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		mgmt_vm_free(&vms[i]);
	free(vms);
}

int mgmt_dump(struct mgmt_conn *c, struct mgmt_vm **vms, size_t *n)
{
	struct recv_state st = { .dump = true };
	int err;

	err = exchange(c, mgmt_request(c->family, PLUMB_CMD_GET_VM, NLM_F_DUMP,
				       MGMT_NO_VM), &st, false);
	if (err) {
		if (err == -EBADMSG)
			plumb_err("a malformed answer from the module: %s", st.why);
		mgmt_vms_free(st.vms, st.n);
		return err;
	}
	*vms = st.vms;
	*n = st.n;
	return 0;
}

int mgmt_get(struct mgmt_conn *c, uint32_t vm_id, struct mgmt_vm *vm)
{
	struct recv_state st = { .dump = false };
	int err;

	err = exchange(c, mgmt_request(c->family, PLUMB_CMD_GET_VM, 0, vm_id),
		       &st, true);
	if (!err && (st.n != 1 || st.vms[0].id != vm_id)) {
		st.why = "not one answer for the VM asked for";
		err = -EBADMSG;
	}
	if (err) {
		if (err == -EBADMSG)
			plumb_err("a malformed answer from the module: %s", st.why);
		mgmt_vms_free(st.vms, st.n);
		return err;
	}
	*vm = st.vms[0];
	free(st.vms);
	return 0;
}

int mgmt_control(struct mgmt_conn *c, uint8_t cmd, uint32_t vm_id)
{
	struct recv_state st = { .dump = false };
	struct nl_msg *msg;
	int err;

	msg = mgmt_request(c->family, cmd, NLM_F_ACK, vm_id);
	if (!msg)
		return -ENOMEM;
	nl_socket_modify_err_cb(c->sk, NL_CB_CUSTOM, on_error, &st);
	err = nl_send_auto(c->sk, msg);
	nlmsg_free(msg);
	if (err < 0)
		return -EIO;
	err = nl_wait_for_ack(c->sk);
	if (st.err)
		return st.err;
	return err < 0 ? -EIO : 0;
}

int mgmt_subscribe(struct mgmt_conn *c)
{
	int grp, err;

	grp = genl_ctrl_resolve_grp(c->sk, PLUMB_GENL_NAME, PLUMB_GENL_MCGRP_EVENTS);
	if (grp < 0) {
		plumb_err("the plumb module has no \"%s\" group: %s",
			  PLUMB_GENL_MCGRP_EVENTS, nl_geterror(grp));
		return PLUMB_EXIT_SETUP;
	}
	err = nl_socket_add_membership(c->sk, grp);
	if (err < 0) {
		plumb_err("joining the \"%s\" group: %s", PLUMB_GENL_MCGRP_EVENTS,
			  nl_geterror(err));
		return err == -NLE_PERM ? PLUMB_EXIT_SETUP : 1;
	}
	/* Multicasts answer no request: no sequence numbers to check. */
	nl_socket_disable_seq_check(c->sk);
	nl_socket_set_buffer_size(c->sk, EVENTS_RCVBUF, 0);
	return 0;
}

struct event_state {
	int (*fn)(const struct mgmt_event *ev, void *arg);
	void *arg;
	bool done;
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct event_state *st = arg;
	struct mgmt_event ev;
	const char *why = NULL;

	if (mgmt_parse_event(nlmsg_hdr(msg), &ev, &why)) {
		plumb_err("a malformed event from the module (skipped): %s", why);
		return NL_SKIP;
	}
	if (st->fn(&ev, st->arg)) {
		st->done = true;
		return NL_STOP;
	}
	return NL_OK;
}

int mgmt_recv_events(struct mgmt_conn *c,
		     int (*fn)(const struct mgmt_event *ev, void *arg),
		     void *arg, const volatile sig_atomic_t *stop)
{
	struct event_state st = { .fn = fn, .arg = arg };
	struct pollfd pfd = { .fd = nl_socket_get_fd(c->sk), .events = POLLIN };
	int err;

	nl_socket_modify_cb(c->sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, &st);
	while (!st.done && !*stop) {
		/* libnl retries a recvmsg() a signal interrupted: wait here. */
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		err = nl_recvmsgs_default(c->sk);
		if (err == -NLE_NOMEM) {
			/* ENOBUFS: the socket overflowed; say so, go on. */
			plumb_err("events were lost (the socket's buffer overflowed)");
			continue;
		}
		if (err < 0)
			return -EIO;
	}
	return 0;
}

int mgmt_report(int err, uint64_t vm_id, bool control)
{
	switch (err) {
	case -EPERM:
	case -EACCES:
		if (control)
			plumb_err("VM %" PRIu64 " belongs to another user (need its owner or CAP_SYS_ADMIN)",
				  vm_id);
		else
			plumb_err("no permission to see VMs: add yourself to group plumb (access to /dev/plumb)");
		return PLUMB_EXIT_SETUP;
	case -ENOENT:
	case -ESRCH:
		if (vm_id == MGMT_NO_VM)
			break;
		plumb_err("no VM %" PRIu64, vm_id);
		return PLUMB_EXIT_SETUP;
	case -EBADMSG:
		return 1;	/* said where it was found */
	case -ENOMEM:
		plumb_err("out of memory");
		return 1;
	default:
		break;
	}
	plumb_err("the plumb module: %s", strerror(-err));
	return 1;
}
