/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * plumb: the user/kernel ABI of /dev/plumb.
 *
 * This header is the contract between plumb.ko and every program that drives
 * it. It follows the rules KVM learned the hard way:
 *
 *  - only __u8..__u64, naturally aligned, with named padding; pointers travel
 *    as __u64;
 *  - every struct has a flags word and reserved room; unknown flags and
 *    nonzero reserved/padding bytes are rejected with -EINVAL, so they can be
 *    given a meaning later without breaking old binaries;
 *  - PLUMB_API_VERSION never changes; new behaviour is discovered with
 *    PLUMB_CHECK_CAPABILITY;
 *  - ioctl numbers come in blocks per object, with gaps:
 *        0x00-0x3f  system ioctls on /dev/plumb
 *        0x40-0x7f  VM ioctls on a VM fd
 *        0x80-0xbf  vCPU ioctls on a vCPU fd
 *        0xc0-0xff  reserved
 *  - the exit ring (shared memory) starts with a magic, a revision and its
 *    own sizes, checked on both sides.
 *
 * The sizes and offsets of everything here are pinned by _Static_assert below
 * and by the unit tests in tests/unit/test_abi.c: an ABI change is always
 * deliberate. docs/abi.md explains each call.
 */
#ifndef _UAPI_LINUX_PLUMB_H
#define _UAPI_LINUX_PLUMB_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * The first shipped ABI ("v0" in the planning documents) answers version 1,
 * so that a zero return from a stray ioctl is never mistaken for a version.
 */
#define PLUMB_API_VERSION	1

#define PLUMBIO			0xB9

/* ------------------------------------------------------------------ */
/* System ioctls (/dev/plumb): 0x00-0x3f                              */
/* ------------------------------------------------------------------ */

/* Returns PLUMB_API_VERSION. The argument must be 0. */
#define PLUMB_GET_API_VERSION		_IO(PLUMBIO, 0x00)
/* Argument: a PLUMB_CAP_* number. Returns 0 (absent) or a positive value. */
#define PLUMB_CHECK_CAPABILITY		_IO(PLUMBIO, 0x01)
/* Fills a struct plumb_cpuid with what a guest may be shown. */
#define PLUMB_GET_SUPPORTED_CPUID	_IOWR(PLUMBIO, 0x02, struct plumb_cpuid)
/* Argument: VM type, must be 0. Returns a new VM fd. */
#define PLUMB_CREATE_VM			_IO(PLUMBIO, 0x03)
/* Argument must be 0. Returns the size of a vCPU fd's mmap (header + ring). */
#define PLUMB_GET_VCPU_MMAP_SIZE	_IO(PLUMBIO, 0x04)

/* ------------------------------------------------------------------ */
/* VM ioctls (VM fd): 0x40-0x7f                                       */
/* ------------------------------------------------------------------ */

/* Create, replace or (memory_size == 0 on a used slot) delete a slot. */
#define PLUMB_SET_MEMORY_REGION		_IOW(PLUMBIO, 0x40, struct plumb_memory_region)
/* Argument: vCPU id (0..PLUMB_CAP_MAX_VCPUS-1). Returns a new vCPU fd. */
#define PLUMB_CREATE_VCPU		_IO(PLUMBIO, 0x41)
/* Register or remove a posted (write-only, non-exiting) port/MMIO range. */
#define PLUMB_SET_POSTED_RANGE		_IOW(PLUMBIO, 0x42, struct plumb_posted_range)
/* Which MSR accesses leave the guest as PLUMB_EXIT_MSR records. */
#define PLUMB_SET_MSR_EXITS		_IOW(PLUMBIO, 0x43, struct plumb_msr_exits)
/* An MSI (or an IOAPIC redirection entry, put the same way) to the APICs. */
#define PLUMB_SIGNAL_MSI		_IOW(PLUMBIO, 0x44, struct plumb_msi)
/* A PLUMB_MEM_LOG_DIRTY slot's written pages since the last call; cleared. */
#define PLUMB_GET_DIRTY_LOG		_IOW(PLUMBIO, 0x45, struct plumb_dirty_log)

/* ------------------------------------------------------------------ */
/* vCPU ioctls (vCPU fd): 0x80-0xbf                                   */
/* ------------------------------------------------------------------ */

/* Argument must be 0. Runs until a ring record needs userspace. */
#define PLUMB_RUN			_IO(PLUMBIO, 0x80)
#define PLUMB_GET_REGS			_IOR(PLUMBIO, 0x81, struct plumb_regs)
#define PLUMB_SET_REGS			_IOW(PLUMBIO, 0x82, struct plumb_regs)
#define PLUMB_GET_SREGS			_IOR(PLUMBIO, 0x83, struct plumb_sregs)
#define PLUMB_SET_SREGS			_IOW(PLUMBIO, 0x84, struct plumb_sregs)
/* Both return the number of entries processed, like KVM's. */
#define PLUMB_GET_MSRS			_IOWR(PLUMBIO, 0x85, struct plumb_msrs)
#define PLUMB_SET_MSRS			_IOW(PLUMBIO, 0x86, struct plumb_msrs)
#define PLUMB_SET_CPUID			_IOW(PLUMBIO, 0x87, struct plumb_cpuid)
/* Runnable, or waiting in the kernel for INIT/SIPI (an AP before start-up). */
#define PLUMB_GET_MP_STATE		_IOR(PLUMBIO, 0x88, struct plumb_mp_state)
#define PLUMB_SET_MP_STATE		_IOW(PLUMBIO, 0x89, struct plumb_mp_state)
/* The FPU, SSE, AVX, ... registers: the XSAVE area (KVM's struct kvm_xsave). */
#define PLUMB_GET_XSAVE			_IOR(PLUMBIO, 0x8a, struct plumb_xsave)
#define PLUMB_SET_XSAVE			_IOW(PLUMBIO, 0x8b, struct plumb_xsave)
/* XCR0 (KVM's struct kvm_xcrs). */
#define PLUMB_GET_XCRS			_IOR(PLUMBIO, 0x8c, struct plumb_xcrs)
#define PLUMB_SET_XCRS			_IOW(PLUMBIO, 0x8d, struct plumb_xcrs)
/* The event the next entry delivers, the interrupt shadow, NMI state. */
#define PLUMB_GET_VCPU_EVENTS		_IOR(PLUMBIO, 0x8e, struct plumb_vcpu_events)
#define PLUMB_SET_VCPU_EVENTS		_IOW(PLUMBIO, 0x8f, struct plumb_vcpu_events)
/* DR0-3, DR6, DR7 (KVM's struct kvm_debugregs). */
#define PLUMB_GET_DEBUGREGS		_IOR(PLUMBIO, 0x90, struct plumb_debugregs)
#define PLUMB_SET_DEBUGREGS		_IOW(PLUMBIO, 0x91, struct plumb_debugregs)

/* ------------------------------------------------------------------ */
/* Capabilities (PLUMB_CHECK_CAPABILITY)                              */
/* ------------------------------------------------------------------ */

#define PLUMB_CAP_BACKEND		0	/* PLUMB_BACKEND_* in use */
#define PLUMB_CAP_MAX_VCPUS		1	/* vCPUs per VM */
#define PLUMB_CAP_NR_MEMSLOTS		2	/* memory slots per VM */
#define PLUMB_CAP_RING_ENTRIES		3	/* records in a vCPU's exit ring */
#define PLUMB_CAP_READONLY_MEM		4	/* PLUMB_MEM_READONLY works */
#define PLUMB_CAP_POSTED_RANGES		5	/* posted ranges per VM */
#define PLUMB_CAP_MAX_CPUID_ENTRIES	6	/* entries in struct plumb_cpuid */
#define PLUMB_CAP_MAX_MSR_ENTRIES	7	/* entries in struct plumb_msrs */
#define PLUMB_CAP_VM_RUNS		8	/* 1 when guests can run (backend done) */
#define PLUMB_CAP_MSR_EXITS		9	/* PLUMB_SET_MSR_EXITS flags supported */
#define PLUMB_CAP_TSC_KHZ		10	/* the guest's TSC rate (the host's), kHz */
#define PLUMB_CAP_DIRTY_LOG		11	/* PLUMB_MEM_LOG_DIRTY, PLUMB_GET_DIRTY_LOG */
#define PLUMB_CAP_XSAVE			12	/* PLUMB_GET/SET_XSAVE, XCRS: bytes of the area used */

/*
 * Every capability above, once: X(NAME, "name") for PLUMB_CAP_NAME and the
 * name `plumb info` prints. The kernel answers from this list (a
 * capability without an answer does not build), `plumb info` prints it,
 * and the tests check that it covers every PLUMB_CAP_* (test_abi.c) and
 * that each one answers nonzero (t_sysioctl capabilities).
 */
#define PLUMB_CAPS(X)						\
	X(BACKEND,		"backend")			\
	X(MAX_VCPUS,		"max-vcpus")			\
	X(NR_MEMSLOTS,		"memslots")			\
	X(RING_ENTRIES,		"ring-entries")			\
	X(READONLY_MEM,		"readonly-mem")			\
	X(POSTED_RANGES,	"posted-ranges")		\
	X(MAX_CPUID_ENTRIES,	"max-cpuid-entries")		\
	X(MAX_MSR_ENTRIES,	"max-msr-entries")		\
	X(VM_RUNS,		"vm-runs")			\
	X(MSR_EXITS,		"msr-exits")			\
	X(TSC_KHZ,		"tsc-khz")				\
	X(DIRTY_LOG,		"dirty-log")			\
	X(XSAVE,		"xsave")

#define PLUMB_BACKEND_VMX		1
#define PLUMB_BACKEND_SVM		2

/* ------------------------------------------------------------------ */
/* CPUID                                                              */
/* ------------------------------------------------------------------ */

/* The entry's value depends on ECX (the sub-leaf in 'index'). */
#define PLUMB_CPUID_FLAG_SIGNIFICANT_INDEX	(1U << 0)

struct plumb_cpuid_entry {
	__u32 function;
	__u32 index;
	__u32 flags;
	__u32 eax;
	__u32 ebx;
	__u32 ecx;
	__u32 edx;
	__u32 reserved[3];
};

/*
 * The ioctl's size covers the 8-byte header only; 'nent' entries follow it.
 * GET_SUPPORTED_CPUID: nent in = room, out = entries written (-E2BIG and the
 * needed count in nent when the room is too small).
 */
struct plumb_cpuid {
	__u32 nent;
	__u32 flags;		/* must be 0 */
	struct plumb_cpuid_entry entries[];
};

/* ------------------------------------------------------------------ */
/* Memory                                                             */
/* ------------------------------------------------------------------ */

#define PLUMB_MEM_READONLY		(1U << 0)	/* guest writes exit as MMIO */
#define PLUMB_MEM_LOG_DIRTY		(1U << 1)	/* guest writes logged per page */

struct plumb_memory_region {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;	/* page aligned */
	__u64 memory_size;	/* page aligned; 0 deletes the slot */
	__u64 userspace_addr;	/* page aligned, in the VM owner's mm */
	__u64 reserved[4];
};

/*
 * PLUMB_GET_DIRTY_LOG: the pages of a PLUMB_MEM_LOG_DIRTY slot written
 * since the slot was made or since the last call, which this call clears.
 * One bit per page of the slot, bit i of the little-endian __u64 words at
 * 'bitmap' for page i: (npages + 63) / 64 words. Writes by the guest and
 * by the kernel (e.g. the pvclock page, string I/O) are logged; what
 * userspace writes through its own mapping is not (docs/abi.md).
 */
struct plumb_dirty_log {
	__u32 slot;
	__u32 flags;		/* must be 0 */
	__u64 bitmap;		/* user pointer */
	__u64 reserved[2];
};

#define PLUMB_POSTED_PIO		(1U << 0)	/* port range, else MMIO */
#define PLUMB_POSTED_DELETE		(1U << 1)	/* remove the range */

struct plumb_posted_range {
	__u64 addr;		/* first port or guest-physical address */
	__u64 len;		/* bytes (ports) covered */
	__u32 flags;
	__u32 padding;
	__u64 reserved[2];
};

/* PLUMB_SET_MSR_EXITS: unknown MSRs raise #GP unless userspace asks here. */
#define PLUMB_MSR_EXIT_UNKNOWN	(1U << 0)	/* unknown MSRs: PLUMB_EXIT_MSR */

struct plumb_msr_exits {
	__u32 flags;		/* PLUMB_MSR_EXIT_* */
	__u32 padding;
	__u64 reserved[3];
};

/* ------------------------------------------------------------------ */
/* Registers                                                          */
/* ------------------------------------------------------------------ */

struct plumb_regs {
	__u64 rax, rbx, rcx, rdx;
	__u64 rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11;
	__u64 r12, r13, r14, r15;
	__u64 rip, rflags;
	__u64 flags;		/* must be 0 */
	__u64 reserved[5];
};

struct plumb_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u8  type;
	__u8  present, dpl, db, s, l, g, avl;
	__u8  unusable;
	__u8  padding;
};

struct plumb_dtable {
	__u64 base;
	__u16 limit;
	__u16 padding[3];
};

struct plumb_sregs {
	struct plumb_segment cs, ds, es, fs, gs, ss;
	struct plumb_segment tr, ldt;
	struct plumb_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;
	__u64 apic_base;
	__u64 flags;		/* must be 0 */
	__u64 reserved[8];
};

/*
 * PLUMB_SIGNAL_MSI: an MSI as a device writes it (Intel SDM Vol. 3A
 * 11.11): address 0xFEExxxxx with the destination APIC ID in bits 19:12
 * (bits 31:8 of address_hi extend it for x2APIC) and the logical mode in
 * bit 2; data with the vector in bits 7:0, the delivery mode in 10:8 and
 * level triggering in bit 15. Delivery mode 7 (ExtINT) is the 8259 PIC's
 * INTR with the vector its INTA cycle gives: it goes, whatever the
 * destination, to the first vCPU whose LINT0 is in ExtINT mode and
 * unmasked (the BSP's is at reset) or whose APIC is off, and that has no
 * ExtINT pending. Returns how many vCPUs took the message (0: none; a
 * userspace PIC keeps the request in its IRR and offers it again later);
 * -EINVAL for a malformed message.
 */
struct plumb_msi {
	__u32 address_lo;
	__u32 address_hi;
	__u32 data;
	__u32 flags;		/* must be 0 */
	__u64 reserved[2];
};

/* PLUMB_GET/SET_MP_STATE */
#define PLUMB_MP_RUNNABLE	0
#define PLUMB_MP_WAIT_SIPI	1	/* RUN sleeps until a start-up IPI */

struct plumb_mp_state {
	__u32 state;		/* PLUMB_MP_* */
	__u32 padding;
	__u64 reserved[3];
};

/*
 * The guest's XSAVE area in the standard (not compacted) format of the
 * SDM (Vol. 1 13.4), component offsets as this CPU's CPUID leaf 0xD
 * gives them: the 512-byte legacy region (x87, SSE), the 64-byte header
 * (XSTATE_BV at byte 512; XCOMP_BV and the rest must be 0), then the
 * components. XSTATE_BV may only have bits the guest can enable (see
 * docs/abi.md); PKRU, when the host has it, is component 9. Exactly
 * KVM's struct kvm_xsave.
 */
struct plumb_xsave {
	__u32 region[1024];
};

#define PLUMB_MAX_XCRS		16

struct plumb_xcr {
	__u32 xcr;		/* 0: XCR0, the only one */
	__u32 reserved;
	__u64 value;
};

/* Exactly KVM's struct kvm_xcrs. */
struct plumb_xcrs {
	__u32 nr_xcrs;		/* entries used */
	__u32 flags;		/* must be 0 */
	struct plumb_xcr xcrs[PLUMB_MAX_XCRS];
	__u64 padding[16];
};

/* plumb_vcpu_events.flags: which optional parts SET takes (GET: all). */
#define PLUMB_VCPUEVENT_VALID_NMI_PENDING	(1U << 0)
#define PLUMB_VCPUEVENT_VALID_SIPI_VECTOR	(1U << 1)
#define PLUMB_VCPUEVENT_VALID_SHADOW		(1U << 2)

/* plumb_vcpu_events.interrupt.shadow */
#define PLUMB_SHADOW_MOV_SS	(1U << 0)
#define PLUMB_SHADOW_STI	(1U << 1)

/*
 * What a vCPU holds between instructions beyond its registers: at most one
 * event the next entry delivers (an exception with its error code, an
 * interrupt, or an NMI: "injected"), whether the next instruction runs in
 * an interrupt shadow (STI, MOV SS), whether NMIs are blocked until an
 * IRET ("masked"), an NMI waiting for the window ("pending"), and the
 * vector of a start-up IPI an AP waits to run. KVM's struct
 * kvm_vcpu_events byte for byte, with its SMM, triple-fault and
 * exception-payload parts reserved: they must be 0, as must
 * exception.pending.
 */
struct plumb_vcpu_events {
	struct {
		__u8 injected;
		__u8 nr;		/* 0-31, not 2 */
		__u8 has_error_code;
		__u8 pending;		/* must be 0 */
		__u32 error_code;
	} exception;
	struct {
		__u8 injected;
		__u8 nr;
		__u8 soft;		/* an INT n being delivered */
		__u8 shadow;		/* PLUMB_SHADOW_* */
	} interrupt;
	struct {
		__u8 injected;
		__u8 pending;
		__u8 masked;
		__u8 pad;
	} nmi;
	__u32 sipi_vector;
	__u32 flags;		/* PLUMB_VCPUEVENT_VALID_* */
	__u64 reserved[5];
};

/*
 * The guest's debug registers as it reads them with MOV DR. SET: bits
 * 63:32 of DR6 and DR7 must be 0; their reserved bits take the values a
 * MOV DR gives them. Exactly KVM's struct kvm_debugregs.
 */
struct plumb_debugregs {
	__u64 db[4];
	__u64 dr6;
	__u64 dr7;
	__u64 flags;		/* must be 0 */
	__u64 reserved[9];
};

struct plumb_msr_entry {
	__u32 index;
	__u32 reserved;
	__u64 data;
};

/* The ioctl's size covers the 8-byte header only; 'nmsrs' entries follow. */
struct plumb_msrs {
	__u32 nmsrs;
	__u32 flags;		/* must be 0 */
	struct plumb_msr_entry entries[];
};

/* ------------------------------------------------------------------ */
/* The exit ring: mmap of a vCPU fd at offset 0                       */
/* ------------------------------------------------------------------ */

/*
 * Layout: one header page, then 'entry_count' records of 'entry_size' bytes
 * starting at 'ring_offset'. The kernel produces records and advances
 * 'producer'; userspace consumes them in order and advances 'consumer'.
 * Indices run freely and wrap at 2^32; slot = index % entry_count.
 *
 * The kernel keeps its own copy of every index and of what it waits for, and
 * validates what it reads back: a scribbled header only hurts its writer.
 */
#define PLUMB_RING_MAGIC	0x474e5250U	/* "PRNG" in memory order */
#define PLUMB_RING_REVISION	1
#define PLUMB_RING_HEADER_SIZE	4096

struct plumb_ring_header {
	/* written once by the kernel, read-only for userspace */
	__u32 magic;
	__u16 revision;
	__u16 header_size;
	__u32 entry_size;
	__u32 entry_count;
	__u32 ring_offset;
	__u32 flags;
	__u64 reserved0[5];

	/* written by the kernel (own cache line) */
	__u32 producer;
	__u32 kernel_flags;
	__u64 reserved1[7];

	/* written by userspace (own cache line) */
	__u32 consumer;
	__u8  immediate_exit;	/* RUN returns -EINTR at once while set */
	__u8  padding[3];
	__u64 reserved2[7];
};

/* plumb_exit.reason */
#define PLUMB_EXIT_NONE			0
#define PLUMB_EXIT_IO			1
#define PLUMB_EXIT_MMIO			2
#define PLUMB_EXIT_HLT			3
#define PLUMB_EXIT_SHUTDOWN		4	/* triple fault */
#define PLUMB_EXIT_HYPERCALL		5	/* VMCALL / VMMCALL */
#define PLUMB_EXIT_FAIL_ENTRY		6
#define PLUMB_EXIT_INTERNAL_ERROR	7
#define PLUMB_EXIT_MSR			8	/* see PLUMB_SET_MSR_EXITS */
#define PLUMB_EXIT_EOI			9	/* level-triggered vector EOIed */

/* plumb_exit.flags */
#define PLUMB_EXIT_F_REPLY	(1U << 0)	/* RUN waits for the reply in data */
#define PLUMB_EXIT_F_POSTED	(1U << 1)	/* a posted write; guest went on */

#define PLUMB_IO_IN		0
#define PLUMB_IO_OUT		1

/* Internal-error sub-reasons */
#define PLUMB_INTERNAL_EMULATION	1	/* instruction not decoded */
#define PLUMB_INTERNAL_UNHANDLED_EXIT	2	/* hardware exit without handler */
#define PLUMB_INTERNAL_RING		3	/* ring state unusable */

struct plumb_exit_io {
	__u16 port;
	__u8  size;		/* 1, 2 or 4 */
	__u8  direction;	/* PLUMB_IO_* */
	__u32 count;		/* elements in data (string I/O) */
	__u8  data[32];		/* count * size bytes */
	__u64 reserved;
};

struct plumb_exit_mmio {
	__u64 phys_addr;
	__u8  size;		/* 1, 2, 4 or 8 */
	__u8  is_write;
	__u8  padding[6];
	__u64 data;		/* little-endian value */
	__u64 reserved[3];
};

/*
 * plumb_exit_fail_entry.hardware_reason. VMX: PLUMB_FAIL_VMX_INSN_ERROR |
 * the VM-instruction error number when VMLAUNCH/VMRESUME failed (0: no
 * current VMCS), or the exit reason of a VM-entry failure (bit 31 set:
 * 33 invalid guest state, 34 MSR loading, 41 machine check) with the exit
 * qualification in bits 63:32. SVM: VMEXIT_INVALID (-1).
 */
#define PLUMB_FAIL_VMX_INSN_ERROR	(1ULL << 62)

struct plumb_exit_fail_entry {
	__u64 hardware_reason;	/* see PLUMB_FAIL_VMX_INSN_ERROR */
	__u32 cpu;
	__u32 padding;
	__u64 reserved[4];
};

struct plumb_exit_internal {
	__u32 suberror;
	__u32 ndata;
	__u64 data[5];
};

/*
 * RDMSR/WRMSR of an MSR the kernel does not know, when the VM asked for it.
 * Reply: 'error' nonzero injects #GP; else a read returns 'data'.
 */
struct plumb_exit_msr {
	__u32 index;		/* ECX */
	__u8  is_write;
	__u8  error;		/* reply */
	__u8  padding[2];
	__u64 data;		/* WRMSR's EDX:EAX, or the reply to RDMSR */
	__u64 reserved[4];
};

/*
 * The guest ended a level-triggered interrupt (its APIC's EOI): the
 * userspace IOAPIC clears Remote IRR and re-sends the line if it is still
 * asserted. No reply.
 */
struct plumb_exit_eoi {
	__u8  vector;
	__u8  padding[7];
	__u64 reserved[5];
};

struct plumb_exit_hypercall {
	__u64 nr;		/* RAX */
	__u64 args[4];		/* RBX, RCX, RDX, RSI */
	__u64 ret;		/* reply: becomes RAX */
};

struct plumb_exit {
	__u32 reason;
	__u32 flags;
	__u64 seq;		/* producer index of this record */
	union {
		struct plumb_exit_io io;
		struct plumb_exit_mmio mmio;
		struct plumb_exit_fail_entry fail_entry;
		struct plumb_exit_internal internal;
		struct plumb_exit_hypercall hypercall;
		struct plumb_exit_msr msr;
		struct plumb_exit_eoi eoi;
		__u8 raw[48];
	};
};

/* ------------------------------------------------------------------ */
/* Size pins: a change here is an ABI break, never an accident.       */
/* ------------------------------------------------------------------ */

#ifndef __cplusplus

_Static_assert(sizeof(struct plumb_cpuid_entry) == 40, "plumb_cpuid_entry");
_Static_assert(sizeof(struct plumb_cpuid) == 8, "plumb_cpuid");
_Static_assert(sizeof(struct plumb_memory_region) == 64, "plumb_memory_region");
_Static_assert(sizeof(struct plumb_dirty_log) == 32, "plumb_dirty_log");
_Static_assert(sizeof(struct plumb_posted_range) == 40, "plumb_posted_range");
_Static_assert(sizeof(struct plumb_regs) == 192, "plumb_regs");
_Static_assert(sizeof(struct plumb_segment) == 24, "plumb_segment");
_Static_assert(sizeof(struct plumb_dtable) == 16, "plumb_dtable");
_Static_assert(sizeof(struct plumb_sregs) == 352, "plumb_sregs");
_Static_assert(sizeof(struct plumb_msr_entry) == 16, "plumb_msr_entry");
_Static_assert(sizeof(struct plumb_msrs) == 8, "plumb_msrs");
_Static_assert(sizeof(struct plumb_msr_exits) == 32, "plumb_msr_exits");
_Static_assert(sizeof(struct plumb_mp_state) == 32, "plumb_mp_state");
_Static_assert(sizeof(struct plumb_xsave) == 4096, "plumb_xsave");
_Static_assert(sizeof(struct plumb_xcr) == 16, "plumb_xcr");
_Static_assert(sizeof(struct plumb_xcrs) == 392, "plumb_xcrs");
_Static_assert(sizeof(struct plumb_vcpu_events) == 64, "plumb_vcpu_events");
_Static_assert(sizeof(struct plumb_debugregs) == 128, "plumb_debugregs");
_Static_assert(sizeof(struct plumb_msi) == 32, "plumb_msi");
_Static_assert(sizeof(struct plumb_exit_eoi) == 48, "plumb_exit_eoi");
_Static_assert(sizeof(struct plumb_exit_msr) == 48, "plumb_exit_msr");
_Static_assert(sizeof(struct plumb_ring_header) == 192, "plumb_ring_header");
_Static_assert(sizeof(struct plumb_exit) == 64, "plumb_exit");
#endif

#endif /* _UAPI_LINUX_PLUMB_H */
