/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * plumb: the management plane, a generic netlink family.
 *
 * Every VM on the host, whichever ABI created it (/dev/plumb or the KVM
 * personality), is listed, counted and steered here by tools that did not
 * create it: `plumb ps`, `plumb stat`, `plumb top`, `plumb events` and
 * `plumb pause|resume|kill` (libnl-genl-3). docs/abi.md "The management
 * plane" explains each command and attribute.
 *
 * Rules, as for plumb.h: attribute and command numbers never change or get
 * reused; new ones are appended; PLUMB_GENL_VERSION stays 1 as long as old
 * tools keep working. Counters are __u64 (NLA_U64 with PLUMB_A_PAD).
 */
#ifndef _UAPI_LINUX_PLUMB_GENL_H
#define _UAPI_LINUX_PLUMB_GENL_H

#define PLUMB_GENL_NAME		"plumb"
#define PLUMB_GENL_VERSION	1
#define PLUMB_GENL_MCGRP_EVENTS	"events"

enum plumb_genl_cmd {
	PLUMB_CMD_UNSPEC,
	/*
	 * With PLUMB_A_VM_ID: that VM, its summed counters and one
	 * PLUMB_A_VCPU nest per vCPU. As a dump: every VM, summed counters
	 * only. Needs read and write access to /dev/plumb (or
	 * CAP_SYS_ADMIN).
	 */
	PLUMB_CMD_GET_VM,
	/*
	 * PLUMB_A_VM_ID. Pause: the vCPUs leave the guest and wait in the
	 * kernel (RUN does not return; a signal still interrupts it).
	 * Resume: they go on. Kill: for good; RUN returns -ECANCELED from
	 * then on. The VM's owner uid or CAP_SYS_ADMIN, else -EPERM.
	 */
	PLUMB_CMD_PAUSE,
	PLUMB_CMD_RESUME,
	PLUMB_CMD_KILL,
	/* Multicast on PLUMB_GENL_MCGRP_EVENTS only: one lifecycle event. */
	PLUMB_CMD_EVENT,

	__PLUMB_CMD_MAX,
};
#define PLUMB_CMD_MAX (__PLUMB_CMD_MAX - 1)

enum plumb_genl_attr {
	PLUMB_A_UNSPEC,
	PLUMB_A_PAD,
	PLUMB_A_VM_ID,			/* u32, never reused while loaded */
	PLUMB_A_VM_PID,			/* u32: the creator's thread group */
	PLUMB_A_VM_UID,			/* u32: the creator's uid (init ns) */
	PLUMB_A_VM_COMM,		/* string: the creator's comm */
	PLUMB_A_VM_ABI,			/* u8: PLUMB_ABI_* */
	PLUMB_A_VM_VCPUS,		/* u32 */
	PLUMB_A_VM_MEM_BYTES,		/* u64: the memory slots' sizes */
	PLUMB_A_VM_PINNED_PAGES,	/* u64: guest pages pinned now */
	PLUMB_A_VM_CREATED_NS,		/* u64: CLOCK_REALTIME at creation */
	PLUMB_A_VM_STATE,		/* u8: PLUMB_VM_STATE_* */
	PLUMB_A_STATS,			/* nest: PLUMB_STAT_* */
	PLUMB_A_VCPU,			/* nest, one per vCPU: PLUMB_A_VCPU_* */
	PLUMB_A_VCPU_ID,		/* u32 */
	PLUMB_A_VCPU_STATE,		/* u8: PLUMB_VCPU_STATE_* */
	PLUMB_A_EVENT,			/* u32: PLUMB_EVENT_* */
	PLUMB_A_EVENT_SEQ,		/* u64: 1, 2, ... while loaded */
	PLUMB_A_EVENT_TIME_NS,		/* u64: CLOCK_REALTIME */

	__PLUMB_A_MAX,
};
#define PLUMB_A_MAX (__PLUMB_A_MAX - 1)

/* PLUMB_A_VM_ABI: which device created the VM. */
#define PLUMB_ABI_PLUMB		0	/* /dev/plumb */
#define PLUMB_ABI_KVM		1	/* /dev/plumb-kvm or /dev/kvm */

/* PLUMB_A_VM_STATE */
#define PLUMB_VM_STATE_RUNNING	0	/* at least one vCPU can run */
#define PLUMB_VM_STATE_PAUSED	1	/* PLUMB_CMD_PAUSE */
#define PLUMB_VM_STATE_HALTED	2	/* every vCPU in HLT or waiting for SIPI */
#define PLUMB_VM_STATE_DEAD	3	/* killed, or every vCPU shut down */

/* PLUMB_A_VCPU_STATE */
#define PLUMB_VCPU_STATE_RUNNING	0
#define PLUMB_VCPU_STATE_HALTED		1
#define PLUMB_VCPU_STATE_WAIT_SIPI	2
#define PLUMB_VCPU_STATE_DEAD		3	/* triple fault */

/* PLUMB_A_EVENT */
#define PLUMB_EVENT_VM_CREATED		1
#define PLUMB_EVENT_VM_DESTROYED	2
#define PLUMB_EVENT_VCPU_SHUTDOWN	3	/* triple fault; PLUMB_A_VCPU_ID */
#define PLUMB_EVENT_ENTRY_FAILED	4	/* PLUMB_A_VCPU_ID */
#define PLUMB_EVENT_INTERNAL_ERROR	5	/* PLUMB_A_VCPU_ID */
#define PLUMB_EVENT_OWNER_GONE		6	/* the owner exited with the VM open */
#define PLUMB_EVENT_PAUSED		7
#define PLUMB_EVENT_RESUMED		8
#define PLUMB_EVENT_KILLED		9

/* Inside PLUMB_A_STATS: u64 counters since the vCPU was created. */
enum plumb_stat {
	PLUMB_STAT_UNSPEC,
	PLUMB_STAT_PAD,
	PLUMB_STAT_RUNS,		/* RUN calls */
	PLUMB_STAT_EXITS,		/* VM exits, all reasons */
	PLUMB_STAT_EXITS_USER,		/* RUN returns to userspace */
	PLUMB_STAT_RECORDS,		/* ring records written */
	PLUMB_STAT_POSTED,		/* ... of them posted writes */
	PLUMB_STAT_IRQS,		/* interrupts injected */
	PLUMB_STAT_NMIS,		/* NMIs injected */
	PLUMB_STAT_HALTS,		/* HLTs */
	PLUMB_STAT_HALT_NS,		/* time asleep in HLT */
	PLUMB_STAT_GUEST_NS,		/* time in the guest (entry to exit) */
	PLUMB_STAT_EXIT_REASONS,	/* nest: attr PLUMB_XR_x + 1, u64 each */

	__PLUMB_STAT_MAX,
};
#define PLUMB_STAT_MAX (__PLUMB_STAT_MAX - 1)

/*
 * Why the guest exited, in one vocabulary for both vendors (VMX basic
 * exit reasons and SVM exit codes map onto these). Inside
 * PLUMB_STAT_EXIT_REASONS the attribute type is the value + 1.
 */
enum plumb_exit_reason {
	PLUMB_XR_OTHER,		/* none of the below */
	PLUMB_XR_IO,		/* IN, OUT, INS, OUTS */
	PLUMB_XR_NPF,		/* EPT/NPT fault: guest memory or MMIO */
	PLUMB_XR_CPUID,
	PLUMB_XR_HLT,
	PLUMB_XR_MSR,		/* RDMSR, WRMSR */
	PLUMB_XR_HYPERCALL,	/* VMCALL, VMMCALL */
	PLUMB_XR_XSETBV,
	PLUMB_XR_EXCEPTION,	/* an intercepted exception */
	PLUMB_XR_EXTINT,	/* a host interrupt, or VMX's time slice */
	PLUMB_XR_NMI,		/* a host NMI */
	PLUMB_XR_WINDOW,	/* interrupt or NMI window open */
	PLUMB_XR_CR,		/* control register access */
	PLUMB_XR_PAUSE,		/* PAUSE loop */
	PLUMB_XR_SHUTDOWN,	/* triple fault */
	PLUMB_XR_INVALID,	/* instructions a guest may not run: #UD */
	PLUMB_XR_INVD,		/* INVD, WBINVD */
	PLUMB_XR_RDPMC,

	PLUMB_XR_NR,
};

#endif /* _UAPI_LINUX_PLUMB_GENL_H */
