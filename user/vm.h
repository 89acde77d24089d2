/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The launcher's core: guest memory, the device bus, the VM and its vCPUs.
 * Loaders and devices only see what is declared here; the core names no
 * device and no image format.
 */
#ifndef PLUMB_VM_H
#define PLUMB_VM_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plumb.h"

#define KiB	((uint64_t)1024)
#define MiB	(1024 * KiB)
#define GiB	(1024 * MiB)

/*
 * Guest memory (docs/decisions.md, 48): RAM from 0 up to 3 GiB, the rest from
 * 4 GiB on; 3-4 GiB is the MMIO hole (LAPIC, pc-testdev, ...).
 */
#define LOWMEM_LIMIT	(3 * GiB)
#define HIGHMEM_BASE	(4 * GiB)

struct gmem {
	uint8_t *low;		/* gpa 0 .. low_size */
	uint64_t low_size;
	uint8_t *high;		/* gpa HIGHMEM_BASE .. + high_size */
	uint64_t high_size;
};

/* Host pointer for [gpa, gpa + len) if it is all RAM, else NULL. */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);
/* Long-mode guest virtual to physical through the guest's tables; -1: none. */
int gmem_gva_to_gpa(const struct gmem *m, uint64_t cr3, uint64_t cr4,
		    uint64_t efer, uint64_t gva, uint64_t *gpa);
/* Allocate (anonymous, lazily backed) `size` bytes of guest RAM. */
int gmem_alloc(struct gmem *m, uint64_t size);
void gmem_free(struct gmem *m);
/* Split `size` between low and high memory without allocating. */
void gmem_layout(struct gmem *m, uint64_t size);

/* The guest's physical memory map, as e820 and multiboot give it. */
#define MAP_RAM		1
#define MAP_RESERVED	2
struct map_entry {
	uint64_t addr, len;
	uint32_t type;
};
#define MAP_MAX		8
int gmem_map(const struct gmem *m, struct map_entry *out);

/* ---- how a loader leaves the boot vCPU ---- */

enum cpu_mode { CPU_REAL = 16, CPU_PROT32 = 32, CPU_LONG64 = 64 };

struct boot_state {
	enum cpu_mode mode;
	uint64_t rip, rsp, rax, rbx, rsi;
	uint64_t cr3;		/* CPU_LONG64: identity page tables */
	uint64_t gdt_base;	/* 0: none loaded */
	uint16_t gdt_limit;
	uint16_t cs, ds;	/* selectors for the flat segments */
	uint16_t real_cs;	/* CPU_REAL: CS selector (base = cs << 4) */
};

/* Build 4-level tables mapping 0-4 GiB 1:1 with 2 MiB pages (6 pages). */
int boot_identity_tables(const struct gmem *m, uint64_t at);

/* ---- devices ---- */

struct vm;

/* One access: `addr` is the offset into the registered range. */
struct io_req {
	struct vm *vm;
	unsigned int cpu;	/* the vCPU that made it */
	uint64_t addr;
	uint64_t data;		/* written value, or the reply to a read */
	uint8_t size;		/* 1, 2, 4 (or 8 for MMIO) */
	bool write;
};

/* The one handler signature of every device, for ports and MMIO alike. */
typedef void io_handler_t(void *opaque, struct io_req *r);

#define BUS_PIO		0
#define BUS_MMIO	1
#define IO_POSTED	(1U << 0)	/* writes need no exit (plumb posted range) */

struct io_range {
	uint64_t base, len;
	io_handler_t *fn;
	void *opaque;
	pthread_mutex_t *lock;	/* the device's, held around fn; or NULL */
	const char *name;
	unsigned int flags;
};

#define BUS_MAX		64
struct bus {
	struct io_range r[BUS_MAX];
	unsigned int n;
};

/*
 * Before the vCPUs run (the bus is not locked: it only changes then).
 * `lock` is the device's own (Firecracker's one mutex per device): vCPUs
 * touching different devices never wait for each other. NULL: fn takes
 * what it needs itself (virtio transports, stateless ports).
 */
int io_register(struct vm *vm, int bus, uint64_t base, uint64_t len,
		io_handler_t *fn, void *opaque, pthread_mutex_t *lock,
		const char *name, unsigned int flags);
/* Dispatch one access (under the range's lock). Unhandled: reads all ones. */
void io_dispatch(struct vm *vm, int bus, unsigned int cpu, uint64_t addr,
		 uint8_t size, bool write, uint64_t *data);

/*
 * When a device type comes up (kvmtool's init levels, in our own order):
 * a level may use what every earlier level made, so ACPI, last but one,
 * describes the devices that exist instead of guessing them. Within a
 * level, link order.
 */
enum device_level {
	DEVICE_CORE,		/* interrupt controllers: every device signals */
	DEVICE_BUS,		/* what devices plug into: PCI, the virtio core */
	DEVICE_DEV,		/* platform devices at fixed ports */
	DEVICE_VIRTIO,		/* virtio models, on virtio-pci or virtio-mmio */
	DEVICE_FIRMWARE,	/* tables and interfaces describing the above */
	DEVICE_LATE,
	DEVICE_LEVELS
};

/*
 * A device type: registered from its own file by DEVICE_REGISTER, set up
 * by devices_init() after guest memory exists, level by level, and
 * torn down in the reverse order. Its state is per VM: priv_size zeroed
 * bytes the core allocates before init and frees after fini (none if 0;
 * then priv is NULL). init may decline (return 0 without registering
 * anything) when the configuration does not ask for it; fini runs then
 * too, and after a failed init, but not for a type with state whose
 * init was never reached (an earlier one failed).
 */
struct device_type {
	const char *name;
	enum device_level level;
	size_t priv_size;
	int (*init)(struct vm *vm, void *priv);
	void (*flush)(struct vm *vm, void *priv); /* optional: devices_flush */
	void (*fini)(struct vm *vm, void *priv);  /* optional */
	unsigned int index;		/* in vm->dev_priv; the core's */
	struct device_type *next;
};
#define DEVICE_TYPES_MAX	32
void device_type_register(struct device_type *t);
/* At file scope, with a `;` after it, like a declaration. */
#define DEVICE_REGISTER(t)						\
	static void __attribute__((constructor)) register_##t(void)	\
	{ device_type_register(&t); }					\
	_Static_assert(sizeof(t) != 0, #t)

/* ---- the event thread (core/event.c) ---- */

/*
 * One thread per VM waits (epoll) on the file descriptors devices give it:
 * timers, a tap, a disk's completions. Its callbacks take the device's own
 * lock to touch device state. Sources may be added from a device's init
 * (before the thread starts) or later from any thread.
 */
typedef void event_fn_t(struct vm *vm, void *opaque, uint32_t events);
int event_add(struct vm *vm, int fd, uint32_t events, event_fn_t *fn,
	      void *opaque);
/* Stop watching fd (the caller still owns and closes it). */
void event_del(struct vm *vm, int fd);

/* A device timer: fn(vm, opaque) on the event thread when it expires. */
typedef void vtimer_fn_t(struct vm *vm, void *opaque);
struct vtimer {
	int fd;			/* timerfd, CLOCK_MONOTONIC */
	vtimer_fn_t *fn;
	void *opaque;
	uint64_t overruns;	/* expiries folded into the last call */
};
int vtimer_init(struct vm *vm, struct vtimer *t, vtimer_fn_t *fn, void *opaque);
/* First expiry after `delay_ns` (0: disarm), then every `period_ns` (0: once). */
void vtimer_arm(struct vtimer *t, uint64_t delay_ns, uint64_t period_ns);
void vtimer_fini(struct vm *vm, struct vtimer *t);

int event_start(struct vm *vm);
void event_stop(struct vm *vm);

/* ---- interrupts (dev/irq.c): dual 8259 PIC and IOAPIC ---- */

/*
 * Lines 0-15 are the ISA IRQs: each drives the PIC pin of that number and
 * the IOAPIC pin the MADT names for it (IRQ 0 -> GSI 2, the others 1:1).
 * Lines 16-23 are IOAPIC-only (GSI 16-23, level, active high: for PCI INTx
 * and virtio-mmio). The controllers have their own lock, taken inside
 * (a leaf: callers may hold their device's lock, never the reverse).
 */
#define IRQ_LINES	24
void irq_set(struct vm *vm, unsigned int line, bool level);
/* An edge: raise and lower at once (a timer tick on an edge-triggered line). */
void irq_pulse(struct vm *vm, unsigned int line);
/* A message-signalled interrupt (MSI/MSI-X); any thread, no lock needed. */
int irq_msi(struct vm *vm, uint64_t address, uint32_t data);
/* The guest EOI'd a level-triggered vector (PLUMB_EXIT_EOI). */
void irq_eoi(struct vm *vm, uint8_t vector);
/* Unit tests replace the kernel call (default: PLUMB_SIGNAL_MSI on vm->fd). */
extern int (*irq_signal_msi)(struct vm *vm, const struct plumb_msi *msi);

/* ---- the VM ---- */

/* virtio devices (--virtio, --disk, --net, --rng, --vconsole; docs/virtio.md) */
#define VIRTIO_PCI	0
#define VIRTIO_MMIO	1		/* declared in the DSDT */
#define VIRTIO_MMIO_CMDLINE 2		/* declared with virtio_mmio.device= */
#define MAX_DISKS	8
#define MAX_NICS	4
struct disk_config {
	const char *path;
	bool ro;
};
struct nic_config {
	const char *tap;		/* NULL: the kernel names it */
	const char *bridge;		/* NULL: none */
};

struct vm_config {
	const char *device;		/* /dev/plumb */
	const char *kernel;		/* --kernel: multiboot ELF or bzImage */
	const char *initrd;		/* --initrd: initrd or multiboot module */
	const char *append;		/* --append */
	const char *flat;		/* --flat FILE@ADDR[,MODE] */
	uint64_t flat_addr;
	enum cpu_mode flat_mode;
	uint64_t mem;			/* bytes */
	unsigned int cpus;
	int verbose;
	bool pc_testdev;
	bool no_console_input;
	int virtio;			/* VIRTIO_PCI (default), VIRTIO_MMIO(_CMDLINE) */
	struct disk_config disks[MAX_DISKS];
	unsigned int ndisks;
	struct nic_config nics[MAX_NICS];
	unsigned int nnics;
	bool rng, vconsole;
};

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct plumb_ring_header *hdr;
	struct plumb_exit *ring;
	size_t map_size;
	uint32_t cons;
	pthread_t thread;
	bool thread_started;
	bool halted;		/* HLT with IF clear: stays so (no interrupts yet) */
	bool ran;		/* RUN returned a record: it was started */
	int dump;		/* SIGQUIT asked for its state (atomic) */
};

struct vm {
	const struct vm_config *cfg;
	int sys_fd, fd;
	struct gmem mem;
	unsigned int ncpus;
	struct vcpu *vcpus;
	uint32_t tsc_khz;		/* the host's, which the guest's TSC runs at */
	struct bus bus[2];
	unsigned int nslots;
	/* vCPU halts and the event list; no device state (each has its own) */
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* AP start, halts */
	int out_fd;			/* console output */
	bool out_gone;			/* atomic: its reader went away (EPIPE) */

	/* the end: first stop wins */
	volatile int stopping;
	int status;
	int wake_fd;			/* eventfd: tells the main thread */

	/* the event thread (core/event.c) */
	int epoll_fd, event_quit_fd;
	pthread_t event_thread;
	bool event_started;
	struct event_src *events;

	/* unhandled accesses */
	uint64_t unhandled;
	uint8_t *pio_logged;		/* 65536 bits */
	unsigned int unhandled_mmio_logged;

	/* per-VM device state, by device_type.index (core/device.c) */
	void *dev_priv[DEVICE_TYPES_MAX];
	struct irqchip *irq;		/* dev/irq.c's */

	/* virtio and PCI (virtio/core.c, dev/pci.c) */
	struct virtio_dev *virtio;
	struct pci_bus *pci;
	unsigned int nvirtio_mmio;
	char cmdline_extra[512];	/* what devices add to a Linux command line */
};

/* A device adds "WORDS" to a bzImage's command line (before the load). */
int vm_cmdline_add(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Guest output (COM1, virtio-console) to out_fd: all of it, or nothing
 * once the reader has gone (EPIPE; SIGPIPE is ignored from vm_init on).
 */
void vm_output(struct vm *vm, const void *buf, size_t len);
/* Ask the VM to stop with this exit status; the first request wins. */
void vm_stop(struct vm *vm, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The VM without a kernel (unit tests) or with it (vm_open). */
int vm_init(struct vm *vm, const struct vm_config *cfg);
int vm_open(struct vm *vm);
/* Add a RAM-backed slot at gpa (a device's RAM-like MMIO window). */
int vm_add_ram(struct vm *vm, uint64_t gpa, void *host, uint64_t size);
int devices_init(struct vm *vm);
/* Write out what devices buffer (console output): at the end of a run. */
void devices_flush(struct vm *vm);
void devices_fini(struct vm *vm);
int vm_create_vcpus(struct vm *vm, const struct boot_state *boot);
/*
 * Act on one exit record of vCPU v (its thread; the unit tests feed it
 * records too). A malformed record stops the VM (PLUMB_EXIT_INTERNAL).
 */
void vcpu_handle_exit(struct vcpu *v, struct plumb_exit *e);
/* vCPU v's thread: consume its ring, enter the guest when it is empty. */
void *vcpu_thread(void *arg);
/* The signal that interrupts a vCPU's PLUMB_RUN; its handler, once. */
#define VCPU_KICK	SIGUSR1
void vcpu_init_signals(void);
/* Start v's thread (0 or an errno). */
int vcpu_start(struct vcpu *v);
/* Interrupt v's PLUMB_RUN; `stop`: and every later one (immediate_exit). */
void vcpu_kick(struct vcpu *v, bool stop);
/* PLUMB_RUN (0 or -1 with errno); bench/busbench fills the ring instead. */
extern int (*vcpu_enter)(struct vcpu *v);
void vm_destroy(struct vm *vm);

/* cpuid.c: vCPU v's CPUID, from the supported table `sup`. */
int cpuid_set(struct vm *vm, struct vcpu *v, const struct plumb_cpuid *sup);
/* firmware.c: what firmware leaves in the MTRRs, and the boot registers. */
void firmware_set_mtrrs(struct vcpu *v, const struct plumb_cpuid *sup);
int firmware_set_boot_regs(struct vcpu *v, const struct boot_state *b);

/* CPUID's topology leaves for vCPU @id of @n: one package, a thread per core. */
void cpuid_topology(struct plumb_cpuid_entry *e, uint32_t id, uint32_t n,
		    bool intel);

/* SIGQUIT: every vCPU prints its state on stderr and runs on. */
void vcpu_request_dump_all(struct vm *vm);

/* Why the VM stopped (the first vm_stop's message). */
const char *vm_stop_message(void);

/* run.c: the command line's parsers, and a whole run from a config. */
int parse_size(const char *s, uint64_t *out);
int parse_flat(char *arg, struct vm_config *cfg);
int parse_disk(char *arg, struct vm_config *cfg);
int parse_net(char *arg, struct vm_config *cfg);
int run_vm(struct vm_config *cfg);

/* Monotonic time in ns for the timer devices; unit tests replace it. */
extern uint64_t (*plumb_clock_ns)(void);

/* -v logging */
void vm_log(const struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- loaders ---- */

struct image {
	const uint8_t *data;
	size_t len;
	const char *path;
	uint8_t *owned;		/* what image_free frees */
};
/* Read a whole file, or say why not (one line) and return -1. */
int image_read(struct image *img, const char *path, const char *what);
void image_free(struct image *img);

int load_flat(const struct gmem *m, const struct image *img, uint64_t addr,
	      enum cpu_mode mode, struct boot_state *b);
bool multiboot_probe(const struct image *img);
int load_multiboot(const struct gmem *m, const struct image *img,
		   const char *cmdline, const struct image *mods, unsigned int nmods,
		   struct boot_state *b);
bool bzimage_probe(const struct image *img);
int load_bzimage(const struct gmem *m, const struct image *img,
		 const char *cmdline, const struct image *initrd,
		 struct boot_state *b);

/* The default guest, embedded in the launcher (guest/default.c). */
extern const uint8_t plumb_default_guest[];
extern const uint8_t plumb_default_guest_end[];

/* ---- console (core/console.c) ---- */

/* The UART (or any device) that takes keyboard input. */
typedef void console_input_t(void *opaque, const uint8_t *buf, size_t len);
void console_set_input(struct vm *vm, console_input_t *fn, void *opaque);
/* Hand keyboard bytes to that device (which takes its own lock). */
void console_feed(struct vm *vm, const uint8_t *buf, size_t len);
/* Keyboard bytes through the Ctrl-A escape (on a terminal) to the device. */
void console_input(struct vm *vm, const uint8_t *buf, size_t len, bool escapes);
/* Put the terminal in raw mode when stdin is a tty; restored at exit. */
void console_start(struct vm *vm);
void console_restore(void);
/* Wait for the VM's end, serving input, Ctrl-A and signals. */
void console_loop(struct vm *vm);

#endif /* PLUMB_VM_H */
