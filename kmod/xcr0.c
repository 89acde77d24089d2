// SPDX-License-Identifier: GPL-2.0
/*
 * XSETBV's consistency rules for XCR0, as a pure function: a guest's value
 * is checked here before the host ever loads it (security review F1: the
 * host's own XSETBV of an invalid value is a #GP in ring 0).
 */
#include "xcr0.h"

bool plumb_xcr0_valid(u64 v, u64 supported)
{
	/*
	 * Only what the CPU (as the guest's CPUID describes it) offers; bit
	 * 63 is reserved for extending XCR0 and is never valid.
	 */
	if ((v & ~supported) || (v & XCR0_RESERVED63))
		return false;
	/* x87 state can never be disabled. */
	if (!(v & XCR0_X87))
		return false;
	/* AVX state needs SSE state. */
	if ((v & XCR0_YMM) && !(v & XCR0_SSE))
		return false;
	/* MPX: both bound-register components or neither. */
	if ((v & XCR0_MPX) && (v & XCR0_MPX) != XCR0_MPX)
		return false;
	/* AVX-512: opmask, ZMM_Hi256 and Hi16_ZMM together, on top of AVX. */
	if (v & XCR0_AVX512) {
		if ((v & XCR0_AVX512) != XCR0_AVX512)
			return false;
		if (!(v & XCR0_YMM))
			return false;
	}
	/* AMX: tile configuration and tile data together. */
	if ((v & XCR0_AMX) && (v & XCR0_AMX) != XCR0_AMX)
		return false;
	return true;
}
