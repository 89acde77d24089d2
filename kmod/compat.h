/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, and only here (STYLE.md habit 9).
 * Supported: Debian 12's 6.1 and 6.12 kernels.
 */
#ifndef PLUMB_COMPAT_H
#define PLUMB_COMPAT_H

#include <linux/version.h>
#include <linux/fs.h>
#include <asm/cpufeature.h>

/*
 * 6.12 removed no_llseek (commit "fs: remove no_llseek"): a NULL .llseek now
 * means "not seekable" when the file is opened with FMODE_LSEEK clear.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#define plumb_no_llseek	no_llseek
#else
#define plumb_no_llseek	NULL
#endif

/* Call depth tracking (retbleed=stuff) came with 6.2. */
#ifdef X86_FEATURE_CALL_DEPTH
#define plumb_host_call_depth()	boot_cpu_has(X86_FEATURE_CALL_DEPTH)
#else
#define plumb_host_call_depth()	false
#endif

#endif /* PLUMB_COMPAT_H */
