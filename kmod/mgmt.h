/* SPDX-License-Identifier: GPL-2.0 */
/*
 * genl.c: the management plane. Every VM of either ABI is registered
 * here while its fd exists, listed and counted over the "plumb" generic
 * netlink family (include/uapi/linux/plumb_genl.h), and paused, resumed
 * or killed through it; lifecycle events go to its "events" group.
 */
#ifndef PLUMB_MGMT_H
#define PLUMB_MGMT_H

#include <linux/list.h>
#include <linux/sched.h>
#include <linux/types.h>

struct plumb_vm;
struct plumb_vcpu;

/* struct plumb_vm_mgmt.ctl bits: what the management plane asked. */
#define PLUMB_MGMT_PAUSED	0
#define PLUMB_MGMT_KILLED	1

/* A VM as the management plane knows it (part of struct plumb_vm). */
struct plumb_vm_mgmt {
	struct list_head node;		/* plumb_mgmt_vms, under its mutex */
	u32 id;				/* 0: not registered */
	u8 abi;				/* PLUMB_ABI_* */
	pid_t pid;			/* creator's tgid, in the init ns */
	char comm[TASK_COMM_LEN];
	u64 created_ns;			/* CLOCK_REALTIME */
	unsigned long ctl;		/* PLUMB_MGMT_* */
};

/*
 * vcpu->stats.events bits: lifecycle events a vCPU raised where it could
 * not sleep, sent when its RUN returns (plumb_mgmt_vcpu_events()).
 */
#define PLUMB_MGMT_EV_SHUTDOWN		0
#define PLUMB_MGMT_EV_ENTRY_FAILED	1
#define PLUMB_MGMT_EV_INTERNAL_ERROR	2

int plumb_genl_init(void);
void plumb_mgmt_set_devt(dev_t devt);
void plumb_genl_exit(void);
void plumb_mgmt_vm_add(struct plumb_vm *vm);
void plumb_mgmt_vm_del(struct plumb_vm *vm);
int plumb_mgmt_vcpu_wait(struct plumb_vcpu *vcpu);
void plumb_mgmt_vcpu_events(struct plumb_vcpu *vcpu);

#endif /* PLUMB_MGMT_H */
