// SPDX-License-Identifier: GPL-2.0
/*
 * Guest FPU/XSAVE state, the same on both vendors (docs/decisions.md 18):
 * one XSAVE area per vCPU, loaded into the registers between
 * kernel_fpu_begin() and kernel_fpu_end() around each guest entry, and the
 * guest's XCR0, validated here for XSETBV.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/plumb.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>
#include <asm/pkru.h>
#include <asm/processor.h>

#include "backend.h"
#include "cpuid.h"
#include "fpu.h"
#include "vcpu.h"
#include "xcr0.h"

static u64 host_xcr0;
static u64 guest_xcr0_mask;	/* XCR0 bits a guest may enable */
static unsigned int fpu_size;
static unsigned int pkru_offset;	/* in the XSAVE image; 0: no PKRU */

int plumb_fpu_probe(void)
{
	if (!boot_cpu_has(X86_FEATURE_XSAVE)) {
		pr_err("refusing to load: the CPU lacks XSAVE, which plumb uses to switch FPU state\n");
		return -ENODEV;
	}
	/*
	 * The guest gets the host's user states but PKRU (it would apply to
	 * the host's own user accesses until the FPU state is reloaded) and
	 * AMX tiles (XFD-managed). All XSAVE/XRSTOR use this mask.
	 */
	host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	guest_xcr0_mask = host_xcr0 & ~(u64)(XFEATURE_MASK_PKRU |
					      XFEATURE_MASK_XTILE);
	fpu_size = max(cpuid_ecx(0xd), 576U);	/* max XSAVE area size */
	if (cpu_feature_enabled(X86_FEATURE_OSPKE) &&
	    (host_xcr0 & XFEATURE_MASK_PKRU)) {
		u32 eax, ebx, ecx, edx;

		cpuid_count(0xd, XFEATURE_PKRU, &eax, &ebx, &ecx, &edx);
		if (ebx >= 576 && ebx + sizeof(u32) <= sizeof(struct plumb_xsave))
			pkru_offset = ebx;
	}
	return 0;
}

int plumb_fpu_alloc(struct plumb_vcpu *vcpu)
{
	struct xregs_state *x;

	/* XSAVE needs 64-byte alignment: kmalloc of >= 64 gives it. */
	vcpu->fpu.xsave = kzalloc(ALIGN(fpu_size, 64), GFP_KERNEL_ACCOUNT);
	if (!vcpu->fpu.xsave)
		return -ENOMEM;
	x = vcpu->fpu.xsave;
	x->i387.cwd = 0x37f;		/* FNINIT state */
	x->i387.mxcsr = 0x1f80;		/* reset MXCSR */
	vcpu->fpu.xcr0 = XFEATURE_MASK_FP;
	return 0;
}

void plumb_fpu_free(struct plumb_vcpu *vcpu)
{
	kfree(vcpu->fpu.xsave);
	vcpu->fpu.xsave = NULL;
}

static void fpu_xsave(void *area, u64 mask)
{
	asm volatile("xsave64 %0"
		     : "+m" (*(u8 (*)[4096])area)
		     : "a" ((u32)mask), "d" ((u32)(mask >> 32))
		     : "memory");
}

static void fpu_xrstor(void *area, u64 mask)
{
	asm volatile("xrstor64 %0"
		     :
		     : "m" (*(u8 (*)[4096])area), "a" ((u32)mask),
		       "d" ((u32)(mask >> 32))
		     : "memory");
}

/*
 * XSETBV with an exception-table entry: a value the CPU refuses is a #GP
 * that comes back here as -EIO instead of an oops in ring 0. Every guest
 * value was checked by plumb_set_xcr(); this is the second line.
 */
static int xsetbv_checked(u64 v)
{
	asm goto("1: xsetbv\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 :
		 : "a" ((u32)v), "d" ((u32)(v >> 32)),
		   "c" (XCR_XFEATURE_ENABLED_MASK)
		 : "memory"
		 : fault);
	return 0;
fault:
	return -EIO;
}

/*
 * After kernel_fpu_begin(), interrupts off: the guest's state goes in.
 * -EIO if the CPU refused the guest's XCR0 (the host's is still loaded
 * and nothing of the guest's is in the registers): do not enter.
 */
int plumb_fpu_load_guest(struct plumb_vcpu *vcpu)
{
	/*
	 * PKRU is not in the XSAVE mask, and Linux restores it only at a
	 * context switch, from what it then reads: the guest's value must
	 * never outlive the entry (security review F5). Guest and host each
	 * keep theirs, as KVM does.
	 */
	if (cpu_feature_enabled(X86_FEATURE_OSPKE)) {
		vcpu->fpu.host_pkru = rdpkru();
		if (vcpu->fpu.pkru != vcpu->fpu.host_pkru)
			wrpkru(vcpu->fpu.pkru);
	}
	fpu_xrstor(vcpu->fpu.xsave, guest_xcr0_mask);
	if (vcpu->fpu.xcr0 != host_xcr0 && xsetbv_checked(vcpu->fpu.xcr0)) {
		pr_err_ratelimited("the CPU refused guest XCR0 %#llx\n",
				   vcpu->fpu.xcr0);
		vcpu->fpu.xcr0 = XFEATURE_MASK_FP;
		if (cpu_feature_enabled(X86_FEATURE_OSPKE) &&
		    vcpu->fpu.pkru != vcpu->fpu.host_pkru)
			wrpkru(vcpu->fpu.host_pkru);
		return -EIO;
	}
	return 0;
}

/* After the exit, interrupts still off: the guest's state comes out. */
void plumb_fpu_save_guest(struct plumb_vcpu *vcpu)
{
	/*
	 * An emulator may let XSETBV through without the intercept (QEMU's
	 * TCG does): what the guest set natively is its XCR0 from now on.
	 */
	vcpu->fpu.xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	if (vcpu->fpu.xcr0 != host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, host_xcr0);
	fpu_xsave(vcpu->fpu.xsave, guest_xcr0_mask);
	if (cpu_feature_enabled(X86_FEATURE_OSPKE)) {
		vcpu->fpu.pkru = rdpkru();
		if (vcpu->fpu.pkru != vcpu->fpu.host_pkru)
			wrpkru(vcpu->fpu.host_pkru);
	}
}

/*
 * The XCR0 values a guest may set: what its CPUID leaf 0xD offers, within
 * what plumb switches (guest_xcr0_mask). x87 is always there.
 */
static u64 guest_xcr0_allowed(struct plumb_vcpu *vcpu)
{
	u32 eax, ebx, ecx, edx;

	plumb_cpuid_lookup(vcpu, 0xd, 0, &eax, &ebx, &ecx, &edx);
	return ((((u64)edx << 32) | eax) & guest_xcr0_mask) | XFEATURE_MASK_FP;
}

/*
 * XSETBV from the guest (SDM Vol. 2C XSETBV): CPL 0, only XCR0, and a
 * value that passes every rule of plumb_xcr0_valid(). 0 done, 1 the
 * caller injects #GP.
 */
int plumb_set_xcr(struct plumb_vcpu *vcpu, u32 index, u64 v)
{
	struct plumb_sregs s;

	plumb_ops->get_sregs(vcpu, &s);
	if (s.ss.dpl)
		return 1;
	if (index || !plumb_xcr0_valid(v, guest_xcr0_allowed(vcpu)))
		return 1;
	vcpu->fpu.xcr0 = v;
	return 0;
}

/*
 * The x87 and SSE state in its FXSAVE form (the XSAVE area's legacy
 * region), for state ioctls such as KVM's GET/SET_FPU. A set also marks
 * both components present, so that the next XRSTOR loads them, and
 * refuses an MXCSR with bits this CPU does not have (XRSTOR would #GP).
 */
void plumb_fpu_get_fxsave(struct plumb_vcpu *vcpu, struct fxregs_state *fx)
{
	struct xregs_state *x = vcpu->fpu.xsave;

	memcpy(fx, &x->i387, sizeof(*fx));
}

int plumb_fpu_set_fxsave(struct plumb_vcpu *vcpu, const struct fxregs_state *fx)
{
	struct xregs_state *x = vcpu->fpu.xsave;

	/* Every CPU with XSAVE has DAZ: MXCSR_MASK is 0xffff (SDM 10.5.1.2). */
	if (fx->mxcsr & ~0xffffU)
		return -EINVAL;
	x->i387.cwd = fx->cwd;
	x->i387.swd = fx->swd;
	x->i387.twd = fx->twd;
	x->i387.fop = fx->fop;
	x->i387.rip = fx->rip;
	x->i387.rdp = fx->rdp;
	x->i387.mxcsr = fx->mxcsr;
	memcpy(x->i387.st_space, fx->st_space, sizeof(fx->st_space));
	memcpy(x->i387.xmm_space, fx->xmm_space, sizeof(fx->xmm_space));
	x->header.xfeatures |= XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
	return 0;
}

/*
 * The XSAVE image of PLUMB_GET/SET_XSAVE and KVM_GET/SET_XSAVE: the
 * guest's area in the standard format, as much of it as fits in
 * struct plumb_xsave (AMX tiles, the only component past 4 KiB, are never
 * the guest's), with PKRU, which plumb keeps apart from the area, in its
 * component as KVM shows it.
 */
unsigned int plumb_fpu_xsave_size(void)
{
	return min_t(unsigned int, fpu_size, sizeof(struct plumb_xsave));
}

int plumb_fpu_get_xsave(struct plumb_vcpu *vcpu, void __user *to)
{
	struct xregs_state *x;
	int ret = 0;

	x = kzalloc(sizeof(struct plumb_xsave), GFP_KERNEL_ACCOUNT);
	if (!x)
		return -ENOMEM;
	memcpy(x, vcpu->fpu.xsave, plumb_fpu_xsave_size());
	if (pkru_offset) {
		memcpy((u8 *)x + pkru_offset, &vcpu->fpu.pkru, sizeof(u32));
		x->header.xfeatures |= XFEATURE_MASK_PKRU;
	}
	if (copy_to_user(to, x, sizeof(struct plumb_xsave)))
		ret = -EFAULT;
	kfree(x);
	return ret;
}

/*
 * Everything that would make the next entry's XRSTOR fault in the host
 * (SDM Vol. 1 13.8: a component the mask does not switch, a compacted or
 * nonzero header, MXCSR's reserved bits) is -EINVAL here. A component
 * whose XSTATE_BV bit is clear loads its initial state, as on the CPU.
 */
int plumb_fpu_set_xsave(struct plumb_vcpu *vcpu, const void __user *from)
{
	u64 ok = guest_xcr0_mask | (pkru_offset ? XFEATURE_MASK_PKRU : 0);
	struct xregs_state *x;
	u32 pkru = 0;
	int ret = 0;

	x = memdup_user(from, sizeof(struct plumb_xsave));
	if (IS_ERR(x))
		return PTR_ERR(x);
	if ((x->header.xfeatures & ~ok) || x->header.xcomp_bv ||
	    memchr_inv(x->header.reserved, 0, sizeof(x->header.reserved)) ||
	    (x->i387.mxcsr & ~0xffffU)) {
		ret = -EINVAL;
		goto out;
	}
	if (x->header.xfeatures & XFEATURE_MASK_PKRU)
		memcpy(&pkru, (u8 *)x + pkru_offset, sizeof(pkru));
	x->header.xfeatures &= ~XFEATURE_MASK_PKRU;
	memcpy(vcpu->fpu.xsave, x, plumb_fpu_xsave_size());
	vcpu->fpu.pkru = pkru;
out:
	kfree(x);
	return ret;
}

void plumb_fpu_get_xcrs(struct plumb_vcpu *vcpu, struct plumb_xcrs *x)
{
	x->nr_xcrs = 1;
	x->xcrs[0].xcr = 0;
	x->xcrs[0].value = vcpu->fpu.xcr0;
}

/* Each entry must name XCR0 with a value XSETBV would take; the last wins. */
int plumb_fpu_set_xcrs(struct plumb_vcpu *vcpu, const struct plumb_xcrs *x)
{
	u64 xcr0 = vcpu->fpu.xcr0;
	unsigned int i;

	if (x->nr_xcrs > PLUMB_MAX_XCRS)
		return -EINVAL;
	for (i = 0; i < x->nr_xcrs; i++) {
		if (x->xcrs[i].xcr || x->xcrs[i].reserved ||
		    !plumb_xcr0_valid(x->xcrs[i].value,
				      guest_xcr0_allowed(vcpu)))
			return -EINVAL;
		xcr0 = x->xcrs[i].value;
	}
	vcpu->fpu.xcr0 = xcr0;
	return 0;
}
