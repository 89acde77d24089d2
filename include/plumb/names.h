/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names for the exit records of include/uapi/linux/plumb.h and for the
 * management plane's values (include/uapi/linux/plumb_genl.h), for
 * userspace messages (the launcher, the tests, the benchmarks): one table
 * each, so that every program names a value the same way.
 * tests/unit/test_names.c fails when the uapi headers define a
 * PLUMB_EXIT_* reason, a PLUMB_INTERNAL_* sub-reason, a PLUMB_XR_* exit
 * reason or a PLUMB_EVENT_* event that has no name here.
 */
#ifndef PLUMB_NAMES_H
#define PLUMB_NAMES_H

#include <stddef.h>
#include <linux/plumb.h>
#include <linux/plumb_genl.h>

/* plumb_exit.reason's name, or NULL for a reason the uapi does not define. */
static inline const char *plumb_exit_name(unsigned int reason)
{
	static const char *const names[] = {
		[PLUMB_EXIT_NONE]		= "none",
		[PLUMB_EXIT_IO]			= "io",
		[PLUMB_EXIT_MMIO]		= "mmio",
		[PLUMB_EXIT_HLT]		= "hlt",
		[PLUMB_EXIT_SHUTDOWN]		= "shutdown",
		[PLUMB_EXIT_HYPERCALL]		= "hypercall",
		[PLUMB_EXIT_FAIL_ENTRY]		= "fail-entry",
		[PLUMB_EXIT_INTERNAL_ERROR]	= "internal-error",
		[PLUMB_EXIT_MSR]		= "msr",
		[PLUMB_EXIT_EOI]		= "eoi",
	};

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : NULL;
}

/* plumb_exit.internal.suberror's name, or NULL for an undefined one. */
static inline const char *plumb_internal_name(unsigned int suberror)
{
	static const char *const names[] = {
		[PLUMB_INTERNAL_EMULATION]	= "emulation",
		[PLUMB_INTERNAL_UNHANDLED_EXIT]	= "unhandled-exit",
		[PLUMB_INTERNAL_RING]		= "ring",
	};

	return suberror < sizeof(names) / sizeof(names[0]) ? names[suberror] : NULL;
}

/*
 * PLUMB_XR_*'s name (plumb stat, plumb top, the JSON "exit_reasons" keys),
 * or NULL past the reasons the uapi defines. A reason appended to
 * enum plumb_exit_reason without a name here fails to compile.
 */
static inline const char *plumb_xr_name(unsigned int xr)
{
	static const char *const names[] = {
		[PLUMB_XR_OTHER]	= "other",
		[PLUMB_XR_IO]		= "io",
		[PLUMB_XR_NPF]		= "npf",
		[PLUMB_XR_CPUID]	= "cpuid",
		[PLUMB_XR_HLT]		= "hlt",
		[PLUMB_XR_MSR]		= "msr",
		[PLUMB_XR_HYPERCALL]	= "hypercall",
		[PLUMB_XR_XSETBV]	= "xsetbv",
		[PLUMB_XR_EXCEPTION]	= "exception",
		[PLUMB_XR_EXTINT]	= "extint",
		[PLUMB_XR_NMI]		= "nmi",
		[PLUMB_XR_WINDOW]	= "window",
		[PLUMB_XR_CR]		= "cr",
		[PLUMB_XR_PAUSE]	= "pause",
		[PLUMB_XR_SHUTDOWN]	= "shutdown",
		[PLUMB_XR_INVALID]	= "invalid",
		[PLUMB_XR_INVD]		= "invd",
		[PLUMB_XR_RDPMC]	= "rdpmc",
	};

	_Static_assert(sizeof(names) / sizeof(names[0]) == PLUMB_XR_NR,
		       "every PLUMB_XR_* reason needs a name");
	return xr < PLUMB_XR_NR ? names[xr] : NULL;
}

/* PLUMB_EVENT_*'s name (plumb events), or NULL for an undefined one. */
static inline const char *plumb_event_name(unsigned int event)
{
	static const char *const names[] = {
		[PLUMB_EVENT_VM_CREATED]	= "vm-created",
		[PLUMB_EVENT_VM_DESTROYED]	= "vm-destroyed",
		[PLUMB_EVENT_VCPU_SHUTDOWN]	= "vcpu-shutdown",
		[PLUMB_EVENT_ENTRY_FAILED]	= "entry-failed",
		[PLUMB_EVENT_INTERNAL_ERROR]	= "internal-error",
		[PLUMB_EVENT_OWNER_GONE]	= "owner-gone",
		[PLUMB_EVENT_PAUSED]		= "paused",
		[PLUMB_EVENT_RESUMED]		= "resumed",
		[PLUMB_EVENT_KILLED]		= "killed",
	};

	return event < sizeof(names) / sizeof(names[0]) ? names[event] : NULL;
}

/* PLUMB_VM_STATE_*'s name, or NULL for an undefined one. */
static inline const char *plumb_vm_state_name(unsigned int state)
{
	static const char *const names[] = {
		[PLUMB_VM_STATE_RUNNING]	= "running",
		[PLUMB_VM_STATE_PAUSED]		= "paused",
		[PLUMB_VM_STATE_HALTED]		= "halted",
		[PLUMB_VM_STATE_DEAD]		= "dead",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : NULL;
}

/* PLUMB_VCPU_STATE_*'s name, or NULL for an undefined one. */
static inline const char *plumb_vcpu_state_name(unsigned int state)
{
	static const char *const names[] = {
		[PLUMB_VCPU_STATE_RUNNING]	= "running",
		[PLUMB_VCPU_STATE_HALTED]	= "halted",
		[PLUMB_VCPU_STATE_WAIT_SIPI]	= "wait-sipi",
		[PLUMB_VCPU_STATE_DEAD]		= "dead",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : NULL;
}

/* PLUMB_ABI_*'s name: which device created a VM; NULL for an undefined one. */
static inline const char *plumb_abi_name(unsigned int abi)
{
	static const char *const names[] = {
		[PLUMB_ABI_PLUMB]	= "plumb",
		[PLUMB_ABI_KVM]		= "kvm",
	};

	return abi < sizeof(names) / sizeof(names[0]) ? names[abi] : NULL;
}

#endif /* PLUMB_NAMES_H */
