/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SVM architectural constants used by kmod/svm/ (APM Vol. 2 15; APM Vol. 3
 * Appendix E, CPUID Fn8000_000A).
 */
#ifndef PLUMB_SVM_H
#define PLUMB_SVM_H

#include <linux/bits.h>

#define SVM_CPUID_81_ECX_SVM		BIT(2)

/* CPUID Fn8000_000A_EDX */
#define SVM_FEAT_NPT			BIT(0)
#define SVM_FEAT_NRIPS			BIT(3)
#define SVM_FEAT_VMCB_CLEAN		BIT(5)
#define SVM_FEAT_FLUSH_BY_ASID		BIT(6)
#define SVM_FEAT_DECODE_ASSISTS		BIT(7)
#define SVM_FEAT_PAUSE_FILTER		BIT(10)
#define SVM_FEAT_VGIF			BIT(16)

/* VM_CR MSR (APM Vol. 2 15.30.1) */
#define SVM_VM_CR_LOCK			BIT_ULL(3)
#define SVM_VM_CR_SVMDIS		BIT_ULL(4)

#endif /* PLUMB_SVM_H */
