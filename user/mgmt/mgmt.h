/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The management plane's client: `plumb ps`, `stat`, `top`, `events`,
 * `pause`, `resume`, `kill` over the "plumb" generic netlink family
 * (include/uapi/linux/plumb_genl.h).
 *
 * Three layers, each in its file, so that the tables and the JSON show the
 * same data and the parsing is tested without a kernel:
 *   msg.c     the family's messages <-> the plain structs below (no socket)
 *   render.c  the structs -> human tables or JSON (json-c)
 *   genl.c    the socket (libnl-genl-3): resolve, request, receive
 * and cmd.c, the commands' options and loops.
 */
#ifndef PLUMB_MGMT_H
#define PLUMB_MGMT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <linux/plumb_genl.h>

struct nl_msg;
struct nlmsghdr;
struct json_object;

/* Guest pages in PLUMB_A_VM_PINNED_PAGES are x86's base pages. */
#define MGMT_PAGE_SIZE		4096

/* The creator's comm: TASK_COMM_LEN is 16 today; room for a longer one. */
#define MGMT_COMM_LEN		64

/* PLUMB_A_STATS: u64 counters, 0 for one the module did not send. */
struct mgmt_stats {
	uint64_t runs;
	uint64_t exits;
	uint64_t exits_user;
	uint64_t records;
	uint64_t posted;
	uint64_t irqs;
	uint64_t nmis;
	uint64_t halts;
	uint64_t halt_ns;
	uint64_t guest_ns;
	uint64_t exit_reasons[PLUMB_XR_NR];	/* by PLUMB_XR_* */
};

/* One PLUMB_A_VCPU nest. */
struct mgmt_vcpu {
	uint32_t id;
	uint8_t state;				/* PLUMB_VCPU_STATE_* */
	struct mgmt_stats stats;
};

/* One PLUMB_CMD_GET_VM message: a dump's entry or a doit's answer. */
struct mgmt_vm {
	uint32_t id;
	uint32_t pid;
	uint32_t uid;
	char comm[MGMT_COMM_LEN];
	uint8_t abi;				/* PLUMB_ABI_* */
	uint32_t nr_vcpus;			/* PLUMB_A_VM_VCPUS */
	uint64_t mem_bytes;
	uint64_t pinned_pages;
	uint64_t created_ns;			/* CLOCK_REALTIME */
	uint8_t state;				/* PLUMB_VM_STATE_* */
	struct mgmt_stats stats;		/* summed over the vCPUs */
	/* The doit answer's vCPUs (malloc'ed; mgmt_vm_free), else NULL/0. */
	struct mgmt_vcpu *vcpus;
	size_t nr_vcpu_stats;
};

/* One PLUMB_CMD_EVENT multicast. */
struct mgmt_event {
	uint64_t seq;
	uint64_t time_ns;			/* CLOCK_REALTIME */
	uint32_t event;				/* PLUMB_EVENT_* */
	uint32_t vm_id;
	bool has_vcpu;
	uint32_t vcpu_id;
	bool has_abi;				/* PLUMB_EVENT_VM_CREATED */
	uint8_t abi;
};

/* ---- msg.c: messages <-> structs ---- */

/*
 * Parse one PLUMB_CMD_GET_VM message into @vm (zeroed first). With
 * @want_vcpus (a doit answer) the PLUMB_A_VCPU nests are kept in
 * vm->vcpus and must number PLUMB_A_VM_VCPUS. 0, or -EBADMSG (and *why,
 * a constant string, says what is wrong) for a message that is not one
 * whole GET_VM answer, or -ENOMEM. Nothing to free on failure.
 */
int mgmt_parse_vm(struct nlmsghdr *nlh, bool want_vcpus, struct mgmt_vm *vm,
		  const char **why);
void mgmt_vm_free(struct mgmt_vm *vm);

/* Parse one PLUMB_CMD_EVENT message; as mgmt_parse_vm. */
int mgmt_parse_event(struct nlmsghdr *nlh, struct mgmt_event *ev,
		     const char **why);

/*
 * A request to the family @family: @cmd with NLM_F_REQUEST | @flags and,
 * unless @vm_id is MGMT_NO_VM, PLUMB_A_VM_ID. NULL when out of memory.
 */
#define MGMT_NO_VM	UINT64_MAX
struct nl_msg *mgmt_request(int family, uint8_t cmd, int flags, uint64_t vm_id);

/* ---- render.c: structs -> text ---- */

/* "512M", "1.5G", "4K", "100" (bytes; binary units). */
void mgmt_human_bytes(char *buf, size_t len, uint64_t bytes);
/* A CLOCK_REALTIME time in ns: "HH:MM:SS" if it is @now's local day, else
 * "YYYY-MM-DD"; "-" for 0. */
void mgmt_human_created(char *buf, size_t len, uint64_t ns, time_t now);
/* A uid's user name, else the number. */
void mgmt_user_name(char *buf, size_t len, uint32_t uid);

/* `plumb ps`: the header line, then one row per VM. */
void mgmt_render_ps(FILE *f, const struct mgmt_vm *vms, size_t n, time_t now);

/*
 * `plumb stat`: @vm's fields, counters, vCPUs and exit reasons. With @prev
 * (the same VM @dt seconds earlier; --watch) each counter also shows its
 * rate per second.
 */
void mgmt_render_stat(FILE *f, const struct mgmt_vm *vm,
		      const struct mgmt_vm *prev, double dt, time_t now);

/*
 * `plumb top`: one screen. @prev (@nprev VMs, @dt seconds earlier) gives
 * the rates; a VM not in it (and every VM when @prev is NULL) shows its
 * averages since it was created (@now_ns, CLOCK_REALTIME).
 */
void mgmt_render_top(FILE *f, const struct mgmt_vm *vms, size_t n,
		     const struct mgmt_vm *prev, size_t nprev, double dt,
		     uint64_t now_ns);

/* `plumb events`: one line, no newline added by the caller. */
void mgmt_render_event(FILE *f, const struct mgmt_event *ev);

/*
 * JSON (docs/abi.md, "The management plane: JSON output"). Each returns a
 * new object (json_object_put), or NULL when out of memory.
 * @with_vcpus adds the "vcpus" array (plumb stat).
 */
struct json_object *mgmt_vm_json(const struct mgmt_vm *vm, bool with_vcpus);
struct json_object *mgmt_ps_json(const struct mgmt_vm *vms, size_t n);
struct json_object *mgmt_event_json(const struct mgmt_event *ev);
/* Print @obj (and put it): pretty, or one line with @one_line. 0 or -ENOMEM. */
int mgmt_print_json(FILE *f, struct json_object *obj, bool one_line);

/* ---- genl.c: the socket ---- */

struct mgmt_conn {
	struct nl_sock *sk;
	int family;
};

/*
 * Connect and resolve the family. 0, or an exit status after one line on
 * stderr: PLUMB_EXIT_SETUP when the module is not loaded.
 */
int mgmt_connect(struct mgmt_conn *c);
void mgmt_close(struct mgmt_conn *c);

/*
 * Every VM (a dump; *vms malloc'ed, mgmt_vms_free), or one VM with its
 * vCPUs. 0, or a negative errno: -ENOENT/-ESRCH no such VM, -EPERM/-EACCES,
 * -EBADMSG a message the parser refused, -EIO another netlink failure.
 */
int mgmt_dump(struct mgmt_conn *c, struct mgmt_vm **vms, size_t *n);
int mgmt_get(struct mgmt_conn *c, uint32_t vm_id, struct mgmt_vm *vm);
void mgmt_vms_free(struct mgmt_vm *vms, size_t n);

/* PLUMB_CMD_PAUSE, RESUME or KILL for @vm_id: 0 or a negative errno. */
int mgmt_control(struct mgmt_conn *c, uint8_t cmd, uint32_t vm_id);

/*
 * Join the "events" group. 0, or an exit status after one line on stderr.
 * Then mgmt_recv_events() calls @fn for each event (a malformed one is
 * reported on stderr and skipped) until @fn returns nonzero or @stop
 * becomes true: 0, or a negative errno.
 */
int mgmt_subscribe(struct mgmt_conn *c);
int mgmt_recv_events(struct mgmt_conn *c,
		     int (*fn)(const struct mgmt_event *ev, void *arg),
		     void *arg, const volatile sig_atomic_t *stop);

/*
 * One line on stderr for @err (negative errno from the calls above) on
 * VM @vm_id (or MGMT_NO_VM), after a GET or (@control) a PAUSE, RESUME or
 * KILL; returns the exit status to use.
 */
int mgmt_report(int err, uint64_t vm_id, bool control);

#endif /* PLUMB_MGMT_H */
