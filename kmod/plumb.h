/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Common, vendor-neutral module internals. The VMX and SVM backends fill one
 * struct plumb_backend_ops each; common code calls through it and never sees
 * a VMCS or a VMCB.
 */
#ifndef PLUMB_H
#define PLUMB_H

#include <linux/types.h>
#include <linux/plumb.h>

#include "compat.h"

/* Limits advertised through PLUMB_CHECK_CAPABILITY. */
#define PLUMB_MAX_VCPUS		64
#define PLUMB_MAX_MEMSLOTS	32
#define PLUMB_MAX_POSTED_RANGES	16
#define PLUMB_RING_ENTRIES	1024
#define PLUMB_MAX_CPUID_ENTRIES	256
#define PLUMB_MAX_MSR_ENTRIES	256

/* A feature the backend found, for the load-time log line. */
struct plumb_feature {
	const char *name;
	bool present;
	bool required;
};

#define PLUMB_MAX_FEATURES	16

struct plumb_features {
	unsigned int nr;
	struct plumb_feature f[PLUMB_MAX_FEATURES];
};

/* A VM; grows with the VM machinery. */
struct plumb_vm {
	void *backend;		/* the backend's per-VM state */
};

/*
 * The backend ops table (STYLE.md habit 1). Required ops are checked by
 * plumb_backend_valid() before the module registers anything; optional ones
 * are marked so and may be NULL.
 */
struct plumb_backend_ops {
	const char *name;		/* "VMX" or "SVM" */
	u32 id;				/* PLUMB_BACKEND_* */

	/*
	 * Required. Is this backend usable on this machine? Fills @feat and
	 * returns 0, or returns -ENODEV after logging one line that names
	 * what is missing. Must not touch the CPU's virtualization state.
	 */
	int (*probe)(struct plumb_features *feat);

	/* Required. Enter/leave VMX root or set/clear EFER.SVME, per CPU. */
	int (*hardware_enable)(void);
	void (*hardware_disable)(void);

	/* Required. VM lifetime. */
	int (*vm_init)(struct plumb_vm *vm);
	void (*vm_destroy)(struct plumb_vm *vm);

	/* Optional: extra capabilities; returns 0 for "absent". */
	long (*check_capability)(long cap);
};

extern const struct plumb_backend_ops plumb_vmx_ops;
extern const struct plumb_backend_ops plumb_svm_ops;

/* The backend chosen at load; constant afterwards. */
extern const struct plumb_backend_ops *plumb_ops;

void plumb_feature_add(struct plumb_features *feat, const char *name,
		       bool present, bool required);

/* dev.c */
int plumb_dev_init(void);
void plumb_dev_exit(void);

/* cpuid.c */
int plumb_cpuid_init(void);
void plumb_cpuid_exit(void);
long plumb_get_supported_cpuid(struct plumb_cpuid __user *uc);

#endif /* PLUMB_H */
