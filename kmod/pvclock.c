// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's paravirtual clock (Documentation/virt/kvm/x86/msr.rst), offered at
 * the CPUID base 0x40000100 under KVM's signature beside plumb's own at
 * 0x40000000, with only KVM_FEATURE_CLOCKSOURCE2 and the stable bit. It
 * is the one way an AMD Linux guest learns the TSC frequency without
 * calibrating it against the PIT; Intel guests also get CPUID leaf 0x15.
 *
 * MSR_KVM_SYSTEM_TIME_NEW: the guest gives the address of its
 * pvclock_vcpu_time_info; plumb writes it once, at that write. The guest
 * TSC runs at the host's tsc_khz, the scale never changes, and every vCPU
 * describes the same line (system time 0 at the VM's creation, in host TSC
 * cycles), so the guest may treat the clock as stable (PVCLOCK_TSC_STABLE).
 * MSR_KVM_WALL_CLOCK_NEW: the wall-clock time at system time 0.
 */
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/timekeeping.h>
#include <asm/tsc.h>

#include "backend.h"
#include "mmu.h"
#include "pvclock.h"
#include "vcpu.h"
#include "vm.h"

#define MSR_PLUMB_KVM_WALL_CLOCK_NEW	0x4b564d00
#define MSR_PLUMB_KVM_SYSTEM_TIME_NEW	0x4b564d01
/*
 * KVM's first pair (KVM_FEATURE_CLOCKSOURCE), never offered in CPUID but
 * saved and restored by QEMU: the same registers under older numbers.
 */
#define MSR_PLUMB_KVM_WALL_CLOCK	0x11
#define MSR_PLUMB_KVM_SYSTEM_TIME	0x12
#define PVCLOCK_STABLE			0x01

/* The guest's layouts (include/uapi/... are not exported: the ABI's). */
struct plumb_pvclock_vcpu_time_info {
	u32 version;
	u32 pad0;
	u64 tsc_timestamp;
	u64 system_time;
	u32 tsc_to_system_mul;
	s8 tsc_shift;
	u8 flags;
	u8 pad[2];
} __packed;

struct plumb_pvclock_wall_clock {
	u32 version;
	u32 sec;
	u32 nsec;
} __packed;

bool plumb_pvclock_available(void)
{
	return tsc_khz != 0;
}

/* ns = ((delta << shift) * mul) >> 32, with mul < 2^32 as large as fits. */
static void tsc_scale(u32 *mul, s8 *shift)
{
	u64 m = div_u64(1000000ULL << 32, tsc_khz);
	s8 s = 0;

	while (m >> 32) {
		m >>= 1;
		s++;
	}
	*mul = (u32)m;
	*shift = s;
}

/* Nanoseconds of the VM's clock at host TSC value @host_tsc. */
static u64 vm_clock_ns(struct plumb_vm *vm, u64 host_tsc)
{
	u64 delta = host_tsc - vm->pvclock_tsc0;
	u32 mul;
	s8 shift;

	tsc_scale(&mul, &shift);
	return mul_u64_u32_shr(delta << shift, mul, 32);
}

static int write_system_time(struct plumb_vcpu *vcpu, u64 gpa)
{
	struct plumb_pvclock_vcpu_time_info t = {};
	u64 host_tsc = rdtsc();

	vcpu->msrs.pvclock_version += 2;
	t.version = vcpu->msrs.pvclock_version;
	t.tsc_timestamp = host_tsc + plumb_ops->tsc_offset(vcpu);
	t.system_time = vm_clock_ns(vcpu->vm, host_tsc);
	tsc_scale(&t.tsc_to_system_mul, &t.tsc_shift);
	t.flags = PVCLOCK_STABLE;
	return plumb_write_guest(vcpu->vm, gpa, &t, sizeof(t));
}

static int write_wall_clock(struct plumb_vcpu *vcpu, u64 gpa)
{
	struct plumb_pvclock_wall_clock w = {};
	u64 boot = ktime_get_real_ns() - vm_clock_ns(vcpu->vm, rdtsc());
	u32 rem;

	w.version = 2;
	w.sec = (u32)div_u64_rem(boot, NSEC_PER_SEC, &rem);
	w.nsec = rem;
	return plumb_write_guest(vcpu->vm, gpa, &w, sizeof(w));
}

/* 0, -EINVAL (#GP), or -ENOENT: not a pvclock MSR. */
int plumb_pvclock_msr_get(struct plumb_vcpu *vcpu, u32 msr, u64 *data)
{
	if (!plumb_pvclock_available())
		return -ENOENT;
	switch (msr) {
	case MSR_PLUMB_KVM_WALL_CLOCK:
	case MSR_PLUMB_KVM_WALL_CLOCK_NEW:
		*data = vcpu->msrs.pvclock_wall;
		return 0;
	case MSR_PLUMB_KVM_SYSTEM_TIME:
	case MSR_PLUMB_KVM_SYSTEM_TIME_NEW:
		*data = vcpu->msrs.pvclock_system_time;
		return 0;
	default:
		return -ENOENT;
	}
}

int plumb_pvclock_msr_set(struct plumb_vcpu *vcpu, u32 msr, u64 data)
{
	if (!plumb_pvclock_available())
		return -ENOENT;
	switch (msr) {
	case MSR_PLUMB_KVM_WALL_CLOCK:
	case MSR_PLUMB_KVM_WALL_CLOCK_NEW:
		/* Not in guest RAM: #GP, as KVM answers. */
		if (write_wall_clock(vcpu, data))
			return -EINVAL;
		vcpu->msrs.pvclock_wall = data;
		return 0;
	case MSR_PLUMB_KVM_SYSTEM_TIME:
	case MSR_PLUMB_KVM_SYSTEM_TIME_NEW:
		/* Bit 0 enables; the structure is 32 bytes, 4-byte aligned. */
		if ((data & 1) && ((data & 2) || write_system_time(vcpu, data & ~1ULL)))
			return -EINVAL;
		vcpu->msrs.pvclock_system_time = data;
		return 0;
	default:
		return -ENOENT;
	}
}
