/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The XSETBV rules for XCR0 (Intel SDM Vol. 1 13.3, Vol. 2C XSETBV; AMD APM
 * Vol. 3 XSETBV): pure code, built into plumb.ko and into the unit tests.
 */
#ifndef PLUMB_XCR0_H
#define PLUMB_XCR0_H

#include "pure.h"

/* XCR0 state components (SDM Vol. 1 13.1). */
#define XCR0_X87	(1ULL << 0)
#define XCR0_SSE	(1ULL << 1)
#define XCR0_YMM	(1ULL << 2)
#define XCR0_BNDREGS	(1ULL << 3)
#define XCR0_BNDCSR	(1ULL << 4)
#define XCR0_OPMASK	(1ULL << 5)
#define XCR0_ZMM_HI256	(1ULL << 6)
#define XCR0_HI16_ZMM	(1ULL << 7)
#define XCR0_PKRU	(1ULL << 9)
#define XCR0_XTILECFG	(1ULL << 17)
#define XCR0_XTILEDATA	(1ULL << 18)

#define XCR0_RESERVED63	(1ULL << 63)

#define XCR0_MPX	(XCR0_BNDREGS | XCR0_BNDCSR)
#define XCR0_AVX512	(XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)
#define XCR0_AMX	(XCR0_XTILECFG | XCR0_XTILEDATA)

/*
 * Would XSETBV of @v into XCR0 succeed on a CPU that offers the components
 * in @supported (CPUID.(EAX=0DH,ECX=0):EDX:EAX)? false is the #GP.
 */
bool plumb_xcr0_valid(u64 v, u64 supported);

#endif /* PLUMB_XCR0_H */
