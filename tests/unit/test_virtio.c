// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio devices driven as a guest driver would, through the bus, on
 * a VM without a kernel: a small driver here sets the devices up over
 * virtio-mmio or virtio-pci, lays out split rings in the VM's RAM, and
 * the launcher's own event thread serves them. Good rings first, then
 * hostile ones: each must break only its own device.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <check.h>
#include <linux/virtio_net.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_pci.h>
#include <linux/pci_regs.h>

#include "virtio/virtio.h"

static struct vm vm;
static struct vm_config cfg;
static int out_pipe[2];
static char disk_path[2][64];
static int nmsi;
static struct plumb_msi last_msi;

#define DESC_GPA	0x100000ULL
#define AVAIL_GPA	0x110000ULL
#define USED_GPA	0x120000ULL
#define BUF_GPA		0x200000ULL
#define QSIZE		16
#define DISK_SECTORS	64

static int tap_peer = -1;

/*
 * What lies right after guest RAM (low RAM ends at cfg.mem): nothing of
 * ours, a canary page whose pattern must survive, or a trap page that
 * kills the test on any access (a read the canary cannot see).
 */
enum guard { GUARD_NONE, GUARD_CANARY, GUARD_TRAP };
static enum guard guard;
static uint8_t *guard_page;
#define PAGE		4096
#define CANARY_BYTE	0xa5

/* The tap: a packet socketpair; the test holds the other end. */
static int fake_tap(const struct nic_config *nc, char *ifname)
{
	int sv[2];

	(void)nc;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	tap_peer = sv[1];
	strcpy(ifname, "faketap");
	return sv[0];
}

static int fake_msi(struct vm *v, const struct plumb_msi *msi)
{
	(void)v;
	last_msi = *msi;
	__atomic_add_fetch(&nmsi, 1, __ATOMIC_SEQ_CST);
	return 1;
}

static void make_disk(int i)
{
	uint8_t sec[512];
	int fd, s;

	snprintf(disk_path[i], sizeof(disk_path[i]), "/tmp/plumb-vblk-%d-%d",
		 (int)getpid(), i);
	fd = open(disk_path[i], O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	for (s = 0; s < DISK_SECTORS; s++) {
		memset(sec, s + i * 100, sizeof(sec));
		ck_assert_int_eq(write(fd, sec, sizeof(sec)), sizeof(sec));
	}
	close(fd);
}

static unsigned int want_nic;

static void alloc_ram(void)
{
	uint8_t *p;

	if (guard == GUARD_NONE) {
		ck_assert_int_eq(gmem_alloc(&vm.mem, cfg.mem), 0);
		return;
	}
	gmem_layout(&vm.mem, cfg.mem);
	ck_assert_uint_eq(vm.mem.high_size, 0);
	p = mmap(NULL, vm.mem.low_size + PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(p != MAP_FAILED);
	vm.mem.low = p;
	guard_page = p + vm.mem.low_size;
	memset(guard_page, CANARY_BYTE, PAGE);
	if (guard == GUARD_TRAP)
		ck_assert_int_eq(mprotect(guard_page, PAGE, PROT_NONE), 0);
}

static bool canary_intact(void)
{
	unsigned int i;

	for (i = 0; i < PAGE; i++)
		if (guard_page[i] != CANARY_BYTE)
			return false;
	return true;
}

static void start_vm(int transport, unsigned int ndisks, bool ro)
{
	unsigned int i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.cpus = 1;
	cfg.mem = 64 * MiB;
	cfg.virtio = transport;
	cfg.rng = true;
	cfg.vconsole = true;
	cfg.no_console_input = true;
	for (i = 0; i < ndisks; i++) {
		make_disk((int)i);
		cfg.disks[i].path = disk_path[i];
		cfg.disks[i].ro = ro && i == 0;
	}
	cfg.ndisks = ndisks;
	cfg.nnics = want_nic;
	net_tap_setup = fake_tap;
	ck_assert_int_eq(vm_init(&vm, &cfg), 0);
	alloc_ram();
	ck_assert_int_eq(pipe(out_pipe), 0);
	fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
	vm.out_fd = out_pipe[1];
	irq_signal_msi = fake_msi;
	nmsi = 0;
	ck_assert_int_eq(devices_init(&vm), 0);
	ck_assert_int_eq(event_start(&vm), 0);
}

static void teardown(void)
{
	unsigned int i;

	event_stop(&vm);
	devices_fini(&vm);
	for (i = 0; i < cfg.ndisks; i++)
		unlink(disk_path[i]);
	if (tap_peer >= 0)
		close(tap_peer);
	tap_peer = -1;
	close(out_pipe[0]);
	close(out_pipe[1]);
	gmem_free(&vm.mem);
	if (guard_page)
		munmap(guard_page, PAGE);
	guard_page = NULL;
	guard = GUARD_NONE;
}

static void *g(uint64_t gpa, uint64_t len)
{
	void *p = gmem_ptr(&vm.mem, gpa, len);

	ck_assert_ptr_nonnull(p);
	return p;
}

static void msleep(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- a tiny driver: register access per transport ---- */

struct drv {
	int transport;
	uint64_t base;		/* mmio block or BAR 0 */
	unsigned int slot;	/* pci */
};

static uint64_t mmio(uint64_t addr, uint8_t size, bool write, uint64_t v)
{
	io_dispatch(&vm, BUS_MMIO, 0, addr, size, write, &v);
	return v;
}

static uint32_t pci_cfg(unsigned int slot, unsigned int reg, uint8_t size,
			bool write, uint32_t v)
{
	uint64_t a = 0x80000000U | slot << 11 | (reg & 0xfc), d = v;

	io_dispatch(&vm, BUS_PIO, 0, 0xcf8, 4, true, &a);
	io_dispatch(&vm, BUS_PIO, 0, 0xcfc + (reg & 3), size, write, &d);
	return (uint32_t)d;
}

/* Field access by transport: mmio register or common-cfg field. */
enum field { F_DFSEL, F_DF, F_GFSEL, F_GF, F_STATUS, F_QSEL, F_QNUM, F_QMAX,
	     F_READY, F_DESC, F_AVAIL, F_USED, F_ISR };

static void fset(struct drv *d, enum field f, uint64_t v)
{
	if (d->transport == VIRTIO_MMIO) {
		static const unsigned int off[] = {
			[F_DFSEL] = VIRTIO_MMIO_DEVICE_FEATURES_SEL,
			[F_GFSEL] = VIRTIO_MMIO_DRIVER_FEATURES_SEL,
			[F_GF] = VIRTIO_MMIO_DRIVER_FEATURES,
			[F_STATUS] = VIRTIO_MMIO_STATUS,
			[F_QSEL] = VIRTIO_MMIO_QUEUE_SEL,
			[F_QNUM] = VIRTIO_MMIO_QUEUE_NUM,
			[F_READY] = VIRTIO_MMIO_QUEUE_READY,
			[F_DESC] = VIRTIO_MMIO_QUEUE_DESC_LOW,
			[F_AVAIL] = VIRTIO_MMIO_QUEUE_AVAIL_LOW,
			[F_USED] = VIRTIO_MMIO_QUEUE_USED_LOW,
		};

		mmio(d->base + off[f], 4, true, (uint32_t)v);
		if (f == F_DESC || f == F_AVAIL || f == F_USED)
			mmio(d->base + off[f] + 4, 4, true, v >> 32);
		return;
	}
	switch (f) {
	case F_DFSEL: mmio(d->base + VIRTIO_PCI_COMMON_DFSELECT, 4, true, v); break;
	case F_GFSEL: mmio(d->base + VIRTIO_PCI_COMMON_GFSELECT, 4, true, v); break;
	case F_GF: mmio(d->base + VIRTIO_PCI_COMMON_GF, 4, true, v); break;
	case F_STATUS: mmio(d->base + VIRTIO_PCI_COMMON_STATUS, 1, true, v); break;
	case F_QSEL: mmio(d->base + VIRTIO_PCI_COMMON_Q_SELECT, 2, true, v); break;
	case F_QNUM: mmio(d->base + VIRTIO_PCI_COMMON_Q_SIZE, 2, true, v); break;
	case F_READY: mmio(d->base + VIRTIO_PCI_COMMON_Q_ENABLE, 2, true, v); break;
	case F_DESC:
		mmio(d->base + VIRTIO_PCI_COMMON_Q_DESCLO, 4, true, (uint32_t)v);
		mmio(d->base + VIRTIO_PCI_COMMON_Q_DESCHI, 4, true, v >> 32);
		break;
	case F_AVAIL:
		mmio(d->base + VIRTIO_PCI_COMMON_Q_AVAILLO, 4, true, (uint32_t)v);
		mmio(d->base + VIRTIO_PCI_COMMON_Q_AVAILHI, 4, true, v >> 32);
		break;
	case F_USED:
		mmio(d->base + VIRTIO_PCI_COMMON_Q_USEDLO, 4, true, (uint32_t)v);
		mmio(d->base + VIRTIO_PCI_COMMON_Q_USEDHI, 4, true, v >> 32);
		break;
	default:
		ck_abort();
	}
}

static uint64_t fget(struct drv *d, enum field f)
{
	if (d->transport == VIRTIO_MMIO) {
		switch (f) {
		case F_DF: return mmio(d->base + VIRTIO_MMIO_DEVICE_FEATURES, 4, false, 0);
		case F_STATUS: return mmio(d->base + VIRTIO_MMIO_STATUS, 4, false, 0);
		case F_QMAX: return mmio(d->base + VIRTIO_MMIO_QUEUE_NUM_MAX, 4, false, 0);
		case F_READY: return mmio(d->base + VIRTIO_MMIO_QUEUE_READY, 4, false, 0);
		case F_ISR: return mmio(d->base + VIRTIO_MMIO_INTERRUPT_STATUS, 4, false, 0);
		default: ck_abort();
		}
	}
	switch (f) {
	case F_DF: return mmio(d->base + VIRTIO_PCI_COMMON_DF, 4, false, 0);
	case F_STATUS: return mmio(d->base + VIRTIO_PCI_COMMON_STATUS, 1, false, 0);
	case F_QMAX: return mmio(d->base + VIRTIO_PCI_COMMON_Q_SIZE, 2, false, 0);
	case F_READY: return mmio(d->base + VIRTIO_PCI_COMMON_Q_ENABLE, 2, false, 0);
	case F_ISR: return mmio(d->base + 0x1000, 1, false, 0);
	default: ck_abort();
	}
	return 0;
}

static void notify(struct drv *d, unsigned int q)
{
	if (d->transport == VIRTIO_MMIO)
		mmio(d->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, true, q);
	else
		mmio(d->base + 0x3000 + 4 * q, 2, true, q);
}

/* Device `n` of the transport (mmio: n-th block; pci: slot n + 1). */
static struct drv find(int transport, unsigned int n, uint32_t want_id)
{
	struct drv d = { .transport = transport };

	if (transport == VIRTIO_MMIO) {
		d.base = VIRTIO_MMIO_BASE + n * VIRTIO_MMIO_STRIDE;
		ck_assert_uint_eq(mmio(d.base, 4, false, 0), 0x74726976);
		ck_assert_uint_eq(mmio(d.base + VIRTIO_MMIO_VERSION, 4, false, 0), 2);
		ck_assert_uint_eq(mmio(d.base + VIRTIO_MMIO_DEVICE_ID, 4, false, 0), want_id);
	} else {
		d.slot = n + 1;
		ck_assert_uint_eq(pci_cfg(d.slot, 0, 4, false, 0),
				  0x1af4U | (0x1040U + want_id) << 16);
		d.base = pci_cfg(d.slot, PCI_BASE_ADDRESS_0, 4, false, 0) & ~0xfU;
		ck_assert_uint_ge(d.base, 0xe0000000U);
	}
	return d;
}

/* Negotiate everything offered (optionally less), set up queue q. */
static void setup_dev(struct drv *d, uint64_t drop, unsigned int q, unsigned int qsize)
{
	uint64_t f;

	fset(d, F_STATUS, 0);
	fset(d, F_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	fset(d, F_DFSEL, 0);
	f = fget(d, F_DF);
	fset(d, F_DFSEL, 1);
	f |= fget(d, F_DF) << 32;
	ck_assert(f & (1ULL << VIRTIO_F_VERSION_1));
	f &= ~drop;
	fset(d, F_GFSEL, 0);
	fset(d, F_GF, (uint32_t)f);
	fset(d, F_GFSEL, 1);
	fset(d, F_GF, f >> 32);
	fset(d, F_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	     VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert(fget(d, F_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
	memset(g(DESC_GPA, 0x30000), 0, 0x30000);
	fset(d, F_QSEL, q);
	ck_assert_uint_ge(fget(d, F_QMAX), qsize);
	fset(d, F_QNUM, qsize);
	fset(d, F_DESC, DESC_GPA);
	fset(d, F_AVAIL, AVAIL_GPA);
	fset(d, F_USED, USED_GPA);
	fset(d, F_READY, 1);
	fset(d, F_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	     VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void set_features(struct drv *d, uint64_t f)
{
	fset(d, F_GFSEL, 0);
	fset(d, F_GF, (uint32_t)f);
	fset(d, F_GFSEL, 1);
	fset(d, F_GF, f >> 32);
}

/* Reset, then VERSION_1 alone up to FEATURES_OK: queues may be set up. */
static void renegotiate(struct drv *d)
{
	fset(d, F_STATUS, 0);
	fset(d, F_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	set_features(d, 1ULL << VIRTIO_F_VERSION_1);
	fset(d, F_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	     VIRTIO_CONFIG_S_FEATURES_OK);
}

static struct vring_desc *desc(unsigned int i)
{
	return g(DESC_GPA + 16 * i, 16);
}

static void set_desc(unsigned int i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct vring_desc *dd = desc(i);

	dd->addr = addr;
	dd->len = len;
	dd->flags = flags;
	dd->next = next;
}

static uint16_t avail_next;

static void offer(struct drv *d, unsigned int q, uint16_t head, unsigned int qsize)
{
	struct vring_avail *a = g(AVAIL_GPA, 4 + 2 * qsize + 2);

	a->ring[avail_next % qsize] = head;
	__atomic_store_n(&a->idx, ++avail_next, __ATOMIC_RELEASE);
	notify(d, q);
}

static struct vring_used *used(void)
{
	return g(USED_GPA, 4 + 8 * QSIZE + 2);
}

/* Wait for the used index to reach n; false after 2 s. */
static bool wait_used(uint16_t n)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (__atomic_load_n(&used()->idx, __ATOMIC_ACQUIRE) == n)
			return true;
		msleep(1);
	}
	return false;
}

static bool wait_broken(struct drv *d)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (fget(d, F_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET)
			return true;
		msleep(1);
	}
	return false;
}

/* A blk request: header at BUF, data at BUF+0x1000, status at BUF+0x3000. */
static void blk_req(struct drv *d, uint32_t type, uint64_t sector, uint32_t len)
{
	struct virtio_blk_outhdr *h = g(BUF_GPA, sizeof(*h));
	uint16_t dflags = type == VIRTIO_BLK_T_OUT ? 0 : VRING_DESC_F_WRITE;

	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	*(uint8_t *)g(BUF_GPA + 0x3000, 1) = 0xff;
	set_desc(0, BUF_GPA, sizeof(*h), VRING_DESC_F_NEXT, 1);
	if (len) {
		set_desc(1, BUF_GPA + 0x1000, len, VRING_DESC_F_NEXT | dflags, 2);
		set_desc(2, BUF_GPA + 0x3000, 1, VRING_DESC_F_WRITE, 0);
	} else {
		set_desc(1, BUF_GPA + 0x3000, 1, VRING_DESC_F_WRITE, 0);
	}
	offer(d, 0, 0, QSIZE);
}

static uint8_t blk_status(void)
{
	return *(uint8_t *)g(BUF_GPA + 0x3000, 1);
}

static void blk_rw_case(int transport)
{
	struct drv d;
	uint8_t *data, buf[1024];
	int fd;

	start_vm(transport, 1, false);
	avail_next = 0;
	d = find(transport, 0, VIRTIO_ID_BLOCK);
	setup_dev(&d, 0, 0, QSIZE);
	/* capacity */
	ck_assert_uint_eq(mmio(d.base + (transport == VIRTIO_MMIO ? 0x100 : 0x2000),
			       8, false, 0), DISK_SECTORS);
	data = g(BUF_GPA + 0x1000, 1024);
	blk_req(&d, VIRTIO_BLK_T_IN, 3, 1024);
	ck_assert(wait_used(1));
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used()->ring[0].len, 1025);
	ck_assert_uint_eq(data[0], 3);
	ck_assert_uint_eq(data[1023], 4);

	memset(data, 0xab, 1024);
	blk_req(&d, VIRTIO_BLK_T_OUT, 10, 1024);
	ck_assert(wait_used(2));
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_OK);
	fd = open(disk_path[0], O_RDONLY);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 10 * 512), sizeof(buf));
	close(fd);
	ck_assert_uint_eq(buf[0], 0xab);
	ck_assert_uint_eq(buf[1023], 0xab);

	blk_req(&d, VIRTIO_BLK_T_FLUSH, 0, 0);
	ck_assert(wait_used(3));
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_OK);

	blk_req(&d, VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES);
	ck_assert(wait_used(4));
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_OK);
	ck_assert(!memcmp(data, "plumb-vblk-", 11));

	blk_req(&d, 0x1234, 0, 0);			/* unknown type */
	ck_assert(wait_used(5));
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_UNSUPP);
	ck_assert(!(fget(&d, F_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
}

START_TEST(blk_mmio)
{
	blk_rw_case(VIRTIO_MMIO);
	ck_assert_str_eq(vm.cmdline_extra, "");		/* ACPI declares them */
	/* ISR shows the completions; the ack clears it. */
	{
		struct drv d = find(VIRTIO_MMIO, 0, VIRTIO_ID_BLOCK);

		ck_assert_uint_eq(fget(&d, F_ISR) & 1, 1);
		mmio(d.base + VIRTIO_MMIO_INTERRUPT_ACK, 4, true, 1);
		ck_assert_uint_eq(fget(&d, F_ISR), 0);
	}
}
END_TEST

/* LNRO0005 devices in the DSDT the launcher wrote (dev/acpi.c). */
static unsigned int dsdt_vmmio_devices(void)
{
	const uint8_t *p = gmem_ptr(&vm.mem, 0xf0800, 0x800);
	unsigned int i, n = 0;

	ck_assert(p != NULL);
	for (i = 0; i + 8 <= 0x800; i++)
		n += !memcmp(p + i, "LNRO0005", 8);
	return n;
}

START_TEST(mmio_cmdline)
{
	start_vm(VIRTIO_MMIO_CMDLINE, 1, false);
	ck_assert_str_eq(vm.cmdline_extra,
			 "virtio_mmio.device=512@0xd0000000:16 "
			 "virtio_mmio.device=512@0xd0001000:17 "
			 "virtio_mmio.device=512@0xd0002000:18");
	ck_assert_uint_eq(dsdt_vmmio_devices(), 0);	/* the command line's */
}
END_TEST

/* ACPI comes up after the virtio models and declares the ones made. */
START_TEST(mmio_dsdt)
{
	start_vm(VIRTIO_MMIO, 2, false);	/* 2 disks, console, rng */
	ck_assert_uint_eq(vm.nvirtio_mmio, 4);
	ck_assert_uint_eq(dsdt_vmmio_devices(), 4);
}
END_TEST

/* The DSDT declares one LNRO0005 device per virtio-mmio block. */
START_TEST(mmio_acpi)
{
	uint8_t aml[8 * 61 + 10], *p;
	uint32_t v;

	ck_assert_uint_eq(virtio_mmio_aml(3, aml, sizeof(aml)), 3 * 61);
	ck_assert_uint_eq(virtio_mmio_aml(3, aml, 100), 61);	/* room */
	ck_assert_uint_eq(virtio_mmio_aml(3, aml, sizeof(aml)), 3 * 61);
	p = aml + 2 * 61;
	ck_assert(!memcmp(p + 3, "VR02", 4));
	ck_assert(!memcmp(p + 13, "LNRO0005", 8));
	memcpy(&v, p + 42, 4);
	ck_assert_uint_eq(v, 0xd0002000);
	memcpy(&v, p + 55, 4);
	ck_assert_uint_eq(v, 18);
	ck_assert_uint_eq(p[2], 59);				/* PkgLength */
	ck_assert_uint_eq(p[59], 0x79);				/* end tag */
}
END_TEST

START_TEST(blk_pci)
{
	blk_rw_case(VIRTIO_PCI);
	ck_assert_str_eq(vm.cmdline_extra, "");
}
END_TEST

START_TEST(blk_discard_and_ro)
{
	struct drv d;
	struct virtio_blk_discard_write_zeroes *seg;
	uint8_t buf[512];
	int fd;

	start_vm(VIRTIO_MMIO, 2, true);	/* disk 0 read-only */
	avail_next = 0;
	d = find(VIRTIO_MMIO, 0, VIRTIO_ID_BLOCK);
	fset(&d, F_DFSEL, 0);
	ck_assert(fget(&d, F_DF) & (1U << VIRTIO_BLK_F_RO));
	setup_dev(&d, 0, 0, QSIZE);
	memset(g(BUF_GPA + 0x1000, 512), 0xcd, 512);
	blk_req(&d, VIRTIO_BLK_T_OUT, 1, 512);
	ck_assert(wait_used(1));
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_IOERR);
	fd = open(disk_path[0], O_RDONLY);
	ck_assert_int_eq(pread(fd, buf, 512, 512), 512);
	close(fd);
	ck_assert_uint_eq(buf[0], 1);			/* untouched */

	/* Disk 1 (read-write): a discard reads back as zeros. */
	avail_next = 0;
	d = find(VIRTIO_MMIO, 1, VIRTIO_ID_BLOCK);
	setup_dev(&d, 0, 0, QSIZE);
	seg = g(BUF_GPA + 0x1000, sizeof(*seg));
	seg->sector = 8;
	seg->num_sectors = 8;
	seg->flags = 0;
	{
		struct virtio_blk_outhdr *h = g(BUF_GPA, sizeof(*h));

		h->type = VIRTIO_BLK_T_DISCARD;
		h->sector = 0;
		set_desc(0, BUF_GPA, sizeof(*h), VRING_DESC_F_NEXT, 1);
		set_desc(1, BUF_GPA + 0x1000, sizeof(*seg), VRING_DESC_F_NEXT, 2);
		set_desc(2, BUF_GPA + 0x3000, 1, VRING_DESC_F_WRITE, 0);
		offer(&d, 0, 0, QSIZE);
	}
	ck_assert(wait_used(1));
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_OK);
	fd = open(disk_path[1], O_RDONLY);
	ck_assert_int_eq(pread(fd, buf, 512, 9 * 512), 512);
	close(fd);
	ck_assert_uint_eq(buf[0], 0);
	ck_assert_uint_eq(buf[511], 0);
}
END_TEST

/* ---- hostile rings ---- */

static struct drv hostile_setup(void)
{
	struct drv d;

	start_vm(VIRTIO_MMIO, 2, false);
	avail_next = 0;
	d = find(VIRTIO_MMIO, 0, VIRTIO_ID_BLOCK);
	setup_dev(&d, 0, 0, QSIZE);
	return d;
}

/* Disk 0 is broken: the status says so, a config interrupt was raised,
 * disk 1 still works, and a reset brings disk 0 back. */
static void check_broken_then_recover(struct drv *d)
{
	struct drv d1;

	ck_assert(wait_broken(d));
	ck_assert_uint_eq(fget(d, F_ISR) & VIRTIO_MMIO_INT_CONFIG, VIRTIO_MMIO_INT_CONFIG);
	ck_assert_int_eq(vm.stopping, 0);
	/* Further buffers are ignored while broken. */
	blk_req(d, VIRTIO_BLK_T_IN, 0, 512);
	msleep(20);
	ck_assert_uint_eq(used()->idx, 0);

	avail_next = 0;
	d1 = find(VIRTIO_MMIO, 1, VIRTIO_ID_BLOCK);
	setup_dev(&d1, 0, 0, QSIZE);
	blk_req(&d1, VIRTIO_BLK_T_IN, 2, 512);
	ck_assert(wait_used(1));
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(*(uint8_t *)g(BUF_GPA + 0x1000, 1), 102);

	avail_next = 0;
	setup_dev(d, 0, 0, QSIZE);			/* reset, set up again */
	ck_assert(!(fget(d, F_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
	blk_req(d, VIRTIO_BLK_T_IN, 5, 512);
	ck_assert(wait_used(1));
	ck_assert_uint_eq(*(uint8_t *)g(BUF_GPA + 0x1000, 1), 5);
}

START_TEST(hostile_loop)
{
	struct drv d = hostile_setup();

	set_desc(0, BUF_GPA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(1, BUF_GPA + 0x1000, 512, VRING_DESC_F_NEXT, 0);
	offer(&d, 0, 0, QSIZE);
	check_broken_then_recover(&d);
}
END_TEST

/* Broken twice (a reset in between): one line on stderr, not two. */
START_TEST(broken_logged_once)
{
	struct drv d;
	char buf[4096];
	FILE *f;
	int fd, saved, n = 0;
	ssize_t len;

	fflush(stderr);
	saved = dup(2);
	f = tmpfile();
	ck_assert_ptr_nonnull(f);
	dup2(fileno(f), 2);
	d = hostile_setup();
	offer(&d, 0, 999, QSIZE);
	ck_assert(wait_broken(&d));
	avail_next = 0;
	setup_dev(&d, 0, 0, QSIZE);
	ck_assert(!(fget(&d, F_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
	offer(&d, 0, 999, QSIZE);
	ck_assert(wait_broken(&d));
	fflush(stderr);
	dup2(saved, 2);
	fd = fileno(f);
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(len, 0);
	buf[len] = 0;
	for (char *p = buf; (p = strstr(p, "needs a reset")); p++)
		n++;
	ck_assert_int_eq(n, 1);
	fclose(f);
}
END_TEST

START_TEST(hostile_address)
{
	struct drv d = hostile_setup();

	set_desc(0, BUF_GPA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(1, 63 * MiB, 2 * MiB, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	set_desc(2, BUF_GPA + 0x3000, 1, VRING_DESC_F_WRITE, 0);
	offer(&d, 0, 0, QSIZE);
	check_broken_then_recover(&d);
}
END_TEST

START_TEST(hostile_length)
{
	struct drv d = hostile_setup();

	set_desc(0, BUF_GPA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(1, BUF_GPA + 0x1000, 0xfffffff0U, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	set_desc(2, BUF_GPA + 0x3000, 1, VRING_DESC_F_WRITE, 0);
	offer(&d, 0, 0, QSIZE);
	check_broken_then_recover(&d);
}
END_TEST

START_TEST(hostile_next_and_head)
{
	struct drv d = hostile_setup();

	set_desc(0, BUF_GPA, 16, VRING_DESC_F_NEXT, 200);	/* next beyond */
	offer(&d, 0, 0, QSIZE);
	check_broken_then_recover(&d);
	teardown();
	d = hostile_setup();
	offer(&d, 0, 999, QSIZE);				/* head beyond */
	check_broken_then_recover(&d);
}
END_TEST

START_TEST(hostile_avail_idx)
{
	struct drv d = hostile_setup();
	struct vring_avail *a = g(AVAIL_GPA, 4);

	__atomic_store_n(&a->idx, QSIZE + 1, __ATOMIC_RELEASE);
	notify(&d, 0);
	check_broken_then_recover(&d);
}
END_TEST

START_TEST(hostile_indirect)
{
	struct drv d = hostile_setup();
	uint64_t table = BUF_GPA + 0x8000;
	struct vring_desc *t = g(table, 3 * 16);

	/* An indirect table whose entry 1 loops back to 0. */
	t[0] = (struct vring_desc){ BUF_GPA, 16, VRING_DESC_F_NEXT, 1 };
	t[1] = (struct vring_desc){ BUF_GPA + 0x1000, 512,
				    VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 0 };
	set_desc(0, table, 2 * 16, VRING_DESC_F_INDIRECT, 0);
	offer(&d, 0, 0, QSIZE);
	check_broken_then_recover(&d);
	teardown();
	/* Nested indirect. */
	d = hostile_setup();
	t = g(table, 16);
	t[0] = (struct vring_desc){ table, 16, VRING_DESC_F_INDIRECT, 0 };
	set_desc(0, table, 16, VRING_DESC_F_INDIRECT, 0);
	offer(&d, 0, 0, QSIZE);
	check_broken_then_recover(&d);
}
END_TEST

START_TEST(hostile_order)
{
	struct drv d = hostile_setup();

	/* Device-readable after device-writable (2.7.4.2). */
	set_desc(0, BUF_GPA + 0x3000, 1, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(1, BUF_GPA, 16, 0, 0);
	offer(&d, 0, 0, QSIZE);
	check_broken_then_recover(&d);
}
END_TEST

START_TEST(hostile_past_end)
{
	struct drv d = hostile_setup();

	blk_req(&d, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1024);	/* one too far */
	check_broken_then_recover(&d);
	teardown();
	d = hostile_setup();
	blk_req(&d, VIRTIO_BLK_T_IN, ~0ULL / 512, 512);		/* wraps */
	check_broken_then_recover(&d);
	teardown();
	d = hostile_setup();
	blk_req(&d, VIRTIO_BLK_T_IN, 0, 100);			/* not a sector */
	check_broken_then_recover(&d);
}
END_TEST

START_TEST(hostile_queue_setup)
{
	struct drv d;

	start_vm(VIRTIO_MMIO, 2, false);
	d = find(VIRTIO_MMIO, 0, VIRTIO_ID_BLOCK);
	setup_dev(&d, 0, 0, QSIZE);
	renegotiate(&d);
	fset(&d, F_QSEL, 0);
	fset(&d, F_QNUM, 3);				/* not a power of 2 */
	fset(&d, F_DESC, DESC_GPA);
	fset(&d, F_AVAIL, AVAIL_GPA);
	fset(&d, F_USED, USED_GPA);
	fset(&d, F_READY, 1);
	ck_assert_uint_eq(fget(&d, F_READY), 0);
	ck_assert(fget(&d, F_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* Too big, and rings outside RAM or misaligned. */
	renegotiate(&d);
	fset(&d, F_QNUM, 4096);
	fset(&d, F_READY, 1);
	ck_assert(fget(&d, F_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	renegotiate(&d);
	fset(&d, F_QNUM, QSIZE);
	fset(&d, F_DESC, 0xfee00000ULL);
	fset(&d, F_AVAIL, AVAIL_GPA);
	fset(&d, F_USED, USED_GPA);
	fset(&d, F_READY, 1);
	ck_assert(fget(&d, F_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	renegotiate(&d);
	fset(&d, F_DESC, DESC_GPA + 8);
	fset(&d, F_READY, 1);
	ck_assert(fget(&d, F_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* Before FEATURES_OK, or after DRIVER_OK, QUEUE_READY is ignored. */
	fset(&d, F_STATUS, 0);
	fset(&d, F_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	fset(&d, F_QNUM, QSIZE);
	fset(&d, F_DESC, DESC_GPA);
	fset(&d, F_AVAIL, AVAIL_GPA);
	fset(&d, F_USED, USED_GPA);
	fset(&d, F_READY, 1);
	ck_assert_uint_eq(fget(&d, F_READY), 0);
	set_features(&d, 1ULL << VIRTIO_F_VERSION_1);
	fset(&d, F_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	     VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	fset(&d, F_READY, 1);
	ck_assert_uint_eq(fget(&d, F_READY), 0);
	ck_assert(!(fget(&d, F_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
	/* Without VERSION_1, FEATURES_OK does not stick. */
	fset(&d, F_STATUS, 0);
	fset(&d, F_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	fset(&d, F_GFSEL, 1);
	fset(&d, F_GF, 0);
	fset(&d, F_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	     VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert(!(fget(&d, F_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK));
	/* Wild registers and sizes: ignored, never fatal. */
	mmio(d.base + 0x1fc, 4, true, ~0U);
	mmio(d.base + VIRTIO_MMIO_QUEUE_SEL, 4, true, 77);
	ck_assert_uint_eq(fget(&d, F_QMAX), 0);
	fset(&d, F_READY, 1);
	mmio(d.base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, true, 77);
	mmio(d.base + VIRTIO_MMIO_STATUS, 2, true, 0);
	ck_assert_uint_eq(mmio(d.base + 0x100, 8, false, 0), DISK_SECTORS);
	ck_assert_uint_eq(mmio(d.base + 0x1f8, 8, false, 0), 0);	/* past config */
	ck_assert_int_eq(vm.stopping, 0);
}
END_TEST

/* ---- rings at the very end of guest RAM ---- */

/*
 * Security review L1: the used ring (or the available ring) ends exactly
 * where guest RAM ends, without room for its event word, and EVENT_IDX
 * is negotiated only after the queue was enabled: either (a) set after
 * QUEUE_READY, before FEATURES_OK, or (b) by taking FEATURES_OK and
 * DRIVER_OK back after a first, honest negotiation. The device must
 * refuse the queue (or break), and never touch the page after RAM: the
 * avail_event store lands in a canary page, the used_event load in a
 * trap page.
 */
enum late_path { LATE_AFTER_READY, LATE_RENEGOTIATED };
enum ring_at_end { END_USED, END_AVAIL };

static void late_event_idx(int transport, enum late_path path, enum ring_at_end which)
{
	const uint8_t ack = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	uint64_t avail_gpa = AVAIL_GPA, used_gpa = USED_GPA;
	struct vring_avail *a;
	struct drv d;
	uint16_t i;

	guard = which == END_USED ? GUARD_CANARY : GUARD_TRAP;
	start_vm(transport, 0, false);
	if (which == END_USED)
		used_gpa = cfg.mem - (4 + 8 * QSIZE);
	else
		avail_gpa = cfg.mem - (4 + 2 * QSIZE);
	d = find(transport, 1, VIRTIO_ID_RNG);
	fset(&d, F_STATUS, 0);
	fset(&d, F_STATUS, ack);
	set_features(&d, 1ULL << VIRTIO_F_VERSION_1);
	if (path == LATE_RENEGOTIATED)
		fset(&d, F_STATUS, ack | VIRTIO_CONFIG_S_FEATURES_OK);
	fset(&d, F_QSEL, 0);
	fset(&d, F_QNUM, QSIZE);
	fset(&d, F_DESC, DESC_GPA);
	fset(&d, F_AVAIL, avail_gpa);
	fset(&d, F_USED, used_gpa);
	fset(&d, F_READY, 1);
	if (path == LATE_RENEGOTIATED) {
		fset(&d, F_STATUS, ack | VIRTIO_CONFIG_S_FEATURES_OK |
		     VIRTIO_CONFIG_S_DRIVER_OK);
		fset(&d, F_STATUS, ack);	/* take both back */
	}
	set_features(&d, (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX));
	fset(&d, F_STATUS, ack | VIRTIO_CONFIG_S_FEATURES_OK);
	fset(&d, F_STATUS, ack | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	/* Three chains, one notification each: every pop stores avail_event,
	 * every completion loads used_event. */
	set_desc(0, BUF_GPA, 64, VRING_DESC_F_WRITE, 0);
	a = g(avail_gpa, 4 + 2 * QSIZE);
	for (i = 0; i < 3; i++) {
		a->ring[i] = 0;
		__atomic_store_n(&a->idx, (uint16_t)(i + 1), __ATOMIC_RELEASE);
		notify(&d, 0);
	}
	ck_assert_msg(which != END_USED || canary_intact(),
		      "the device wrote past the end of guest RAM");
	ck_assert_uint_eq(fget(&d, F_READY), 0);
	ck_assert_uint_eq(((struct vring_used *)g(used_gpa, 4))->idx, 0);
	ck_assert_int_eq(vm.stopping, 0);
}

static void late_event_idx_all(int transport, enum late_path path)
{
	late_event_idx(transport, path, END_USED);
	teardown();
	late_event_idx(transport, path, END_AVAIL);
}

START_TEST(event_idx_after_ready_mmio)
{
	late_event_idx_all(VIRTIO_MMIO, LATE_AFTER_READY);
}
END_TEST

START_TEST(event_idx_after_ready_pci)
{
	late_event_idx_all(VIRTIO_PCI, LATE_AFTER_READY);
}
END_TEST

START_TEST(event_idx_renegotiated_mmio)
{
	late_event_idx_all(VIRTIO_MMIO, LATE_RENEGOTIATED);
}
END_TEST

START_TEST(event_idx_renegotiated_pci)
{
	late_event_idx_all(VIRTIO_PCI, LATE_RENEGOTIATED);
}
END_TEST

/*
 * Rings that end at the end of RAM with their event words in it are
 * fine, EVENT_IDX or not: the device serves them and the page after RAM
 * stays untouched. (The used ring, 4-aligned, ends 2 bytes short.)
 */
static void rings_at_end(int transport, bool event_idx)
{
	struct vring_used *u;
	struct vring_avail *a;
	uint64_t used_gpa;
	struct drv d;

	guard = GUARD_CANARY;
	start_vm(transport, 0, false);
	used_gpa = (cfg.mem - (6 + 8 * QSIZE)) & ~3ULL;	/* as close as aligned */
	d = find(transport, 1, VIRTIO_ID_RNG);
	fset(&d, F_STATUS, 0);
	fset(&d, F_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	set_features(&d, (1ULL << VIRTIO_F_VERSION_1) |
		     (event_idx ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0));
	fset(&d, F_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	     VIRTIO_CONFIG_S_FEATURES_OK);
	fset(&d, F_QSEL, 0);
	fset(&d, F_QNUM, QSIZE);
	fset(&d, F_DESC, DESC_GPA);
	fset(&d, F_AVAIL, cfg.mem - (6 + 2 * QSIZE));
	fset(&d, F_USED, used_gpa);
	fset(&d, F_READY, 1);
	ck_assert_uint_eq(fget(&d, F_READY), 1);
	fset(&d, F_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	     VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	set_desc(0, BUF_GPA, 64, VRING_DESC_F_WRITE, 0);
	a = g(cfg.mem - (6 + 2 * QSIZE), 6 + 2 * QSIZE);
	a->ring[0] = 0;
	__atomic_store_n(&a->idx, 1, __ATOMIC_RELEASE);
	notify(&d, 0);
	u = g(used_gpa, 6 + 8 * QSIZE);
	ck_assert_uint_eq(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE), 1);
	ck_assert_uint_eq(u->ring[0].len, 64);
	if (event_idx)	/* avail_event: the next entry it will take */
		ck_assert_uint_eq(u->ring[QSIZE].id & 0xffff, 1);
	ck_assert(canary_intact());
}

START_TEST(rings_at_end_of_ram)
{
	rings_at_end(VIRTIO_MMIO, false);
	teardown();
	rings_at_end(VIRTIO_MMIO, true);
	teardown();
	rings_at_end(VIRTIO_PCI, true);
}
END_TEST

/* ---- the status machine ---- */

static struct virtio_dev *dev_of(uint16_t id)
{
	struct virtio_dev *vd;

	for (vd = virtio_devices(&vm); vd; vd = vd->next)
		if (vd->ops->device_id == id)
			return vd;
	ck_abort_msg("no device %u", id);
	return NULL;
}

/*
 * Security review L4: status bits stick until a write of 0 (the driver
 * cannot take FEATURES_OK back and renegotiate under running queues),
 * and DRIVER_OK needs FEATURES_OK.
 */
static void status_case(int transport)
{
	const uint8_t ack = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER,
		      ok = ack | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
	struct virtio_dev *vd;
	struct drv d;

	start_vm(transport, 0, false);
	avail_next = 0;
	d = find(transport, 1, VIRTIO_ID_RNG);
	vd = dev_of(VIRTIO_ID_RNG);
	setup_dev(&d, ~(1ULL << VIRTIO_F_VERSION_1), 0, QSIZE);
	ck_assert_uint_eq(fget(&d, F_STATUS), ok);
	fset(&d, F_STATUS, ack);
	ck_assert_uint_eq(fget(&d, F_STATUS), ok);
	set_features(&d, (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX));
	ck_assert_uint_eq(vd->guest_features, 1ULL << VIRTIO_F_VERSION_1);
	fset(&d, F_STATUS, ack | VIRTIO_CONFIG_S_FAILED);
	ck_assert_uint_eq(fget(&d, F_STATUS), ok | VIRTIO_CONFIG_S_FAILED);
	ck_assert(!virtio_running(vd));
	fset(&d, F_STATUS, 0);
	ck_assert_uint_eq(fget(&d, F_STATUS), 0);

	/* DRIVER_OK without FEATURES_OK does not stick, nor start anything. */
	fset(&d, F_STATUS, ack | VIRTIO_CONFIG_S_DRIVER_OK);
	ck_assert_uint_eq(fget(&d, F_STATUS), ack);
	ck_assert(!virtio_running(vd));
	set_features(&d, 0);			/* no VERSION_1 */
	fset(&d, F_STATUS, ok);
	ck_assert_uint_eq(fget(&d, F_STATUS), ack);
	ck_assert(!virtio_running(vd));

	/* After all that, an honest driver still gets its bytes. */
	avail_next = 0;
	setup_dev(&d, ~(1ULL << VIRTIO_F_VERSION_1), 0, QSIZE);
	set_desc(0, BUF_GPA, 16, VRING_DESC_F_WRITE, 0);
	offer(&d, 0, 0, QSIZE);
	ck_assert(wait_used(1));
	ck_assert_uint_eq(used()->ring[0].len, 16);
}

START_TEST(status_sticky_mmio)
{
	status_case(VIRTIO_MMIO);
}
END_TEST

START_TEST(status_sticky_pci)
{
	status_case(VIRTIO_PCI);
}
END_TEST

/*
 * Security review L7: virtio-mmio's QUEUE_READY = 0 makes the size and
 * addresses writable again; the views checked for the old ones must go,
 * and a completion that comes after it must not reach the ring.
 */
START_TEST(queue_disable_mmio)
{
	struct virtio_dev *vd;
	struct virtq *q;
	struct drv d;

	start_vm(VIRTIO_MMIO, 0, false);
	avail_next = 0;
	d = find(VIRTIO_MMIO, 1, VIRTIO_ID_RNG);
	vd = dev_of(VIRTIO_ID_RNG);
	q = &vd->vq[0];
	setup_dev(&d, ~(1ULL << VIRTIO_F_VERSION_1), 0, QSIZE);
	ck_assert(q->ready && q->desc && q->avail && q->used);
	fset(&d, F_READY, 0);
	ck_assert_uint_eq(fget(&d, F_READY), 0);
	ck_assert_ptr_null(q->desc);
	ck_assert_ptr_null(q->avail);
	ck_assert_ptr_null(q->used);
	fset(&d, F_QNUM, 1024);			/* writable again */
	ck_assert_uint_eq(q->size, 1024);
	pthread_mutex_lock(&vd->lock);
	virtq_push(q, 3, 99);			/* a late completion */
	pthread_mutex_unlock(&vd->lock);
	ck_assert_uint_eq(used()->idx, 0);
	ck_assert_uint_eq(used()->ring[0].len, 0);
	ck_assert_uint_eq(q->used_idx, 0);
}
END_TEST

/* ---- rng, console ---- */

static void rng_case(int transport)
{
	struct drv d;
	uint8_t *b;
	int i, nz = 0;

	start_vm(transport, 0, false);
	avail_next = 0;
	/* no disks: the console comes first, then the rng */
	d = find(transport, 1, VIRTIO_ID_RNG);
	setup_dev(&d, ~(1ULL << VIRTIO_F_VERSION_1), 0, QSIZE);
	b = g(BUF_GPA, 8192);
	memset(b, 0, 8192);
	set_desc(0, BUF_GPA, 4096, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(1, BUF_GPA + 4096, 4096, VRING_DESC_F_WRITE, 0);
	offer(&d, 0, 0, QSIZE);
	ck_assert(wait_used(1));
	ck_assert_uint_eq(used()->ring[0].id, 0);
	ck_assert_uint_eq(used()->ring[0].len, 8192);
	for (i = 0; i < 8192; i++)
		nz += b[i] != 0;
	ck_assert_int_gt(nz, 8000);
}

START_TEST(rng_mmio)
{
	rng_case(VIRTIO_MMIO);
}
END_TEST

/* ---- bounded work (security review L3) ---- */

/*
 * One virtio-rng chain of 1024 segments, each all of guest RAM (64 GiB
 * asked for, served with vm->lock held): the device fills 64 KiB and
 * reports that, at once.
 */
START_TEST(rng_chain_capped)
{
	const uint64_t table = BUF_GPA + 0x10000;
	struct timespec t0, t1;
	struct vring_desc *t;
	unsigned int i, nz = 0;
	uint8_t *low;
	double secs;
	struct drv d;

	start_vm(VIRTIO_MMIO, 0, false);
	avail_next = 0;
	d = find(VIRTIO_MMIO, 1, VIRTIO_ID_RNG);
	setup_dev(&d, 0, 0, QSIZE);			/* INDIRECT_DESC too */
	t = g(table, VQ_MAX_SEGS * 16);
	for (i = 0; i < VQ_MAX_SEGS; i++)
		t[i] = (struct vring_desc){
			.addr = 0, .len = (uint32_t)cfg.mem,
			.flags = VRING_DESC_F_WRITE |
				 (i + 1 < VQ_MAX_SEGS ? VRING_DESC_F_NEXT : 0),
			.next = (uint16_t)(i + 1),
		};
	set_desc(0, table, VQ_MAX_SEGS * 16, VRING_DESC_F_INDIRECT, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	offer(&d, 0, 0, QSIZE);				/* served inline */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_uint_eq(used()->idx, 1);
	ck_assert_uint_eq(used()->ring[0].len, 64 * 1024);
	ck_assert_msg(secs < 2.0, "one chain took %.1f s", secs);
	low = g(0, 0x11000);
	for (i = 0; i < 0x10000; i++)
		nz += low[i] != 0;
	ck_assert_uint_gt(nz, 0x10000 - 1024);
	for (i = 0x10000; i < 0x11000; i++)
		ck_assert_uint_eq(low[i], 0);
	ck_assert(!(fget(&d, F_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
}
END_TEST

/* A console chain of 16 x all of RAM puts 64 KiB on the terminal, no more. */
START_TEST(console_chain_capped)
{
	static char buf[65536];
	size_t total = 0;
	unsigned int i;
	ssize_t n;
	struct drv d;

	start_vm(VIRTIO_MMIO, 0, false);
	ck_assert_int_ge(fcntl(out_pipe[1], F_SETPIPE_SZ, 1 << 20), 1 << 20);
	avail_next = 0;
	d = find(VIRTIO_MMIO, 0, VIRTIO_ID_CONSOLE);
	setup_dev(&d, 0, 1, QSIZE);			/* transmitq */
	for (i = 0; i < QSIZE; i++)
		set_desc(i, 0, (uint32_t)cfg.mem, i + 1 < QSIZE ? VRING_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	offer(&d, 1, 0, QSIZE);				/* served inline */
	ck_assert_uint_eq(used()->idx, 1);
	while ((n = read(out_pipe[0], buf, sizeof(buf))) > 0)
		total += (size_t)n;
	ck_assert_uint_eq(total, 64 * 1024);
}
END_TEST

/*
 * One service takes at most VQ_BUDGET chains and hands the rest to the
 * event thread through the queue's eventfd. The event thread is stopped
 * here, and the test serves the queue as it would.
 */
START_TEST(queue_budget)
{
	const unsigned int qsize = 2 * VQ_BUDGET;
	struct virtio_blk_outhdr *h;
	struct virtio_dev *vd;
	struct vring_avail *a;
	struct vring_used *u;
	struct virtq *q;
	uint64_t kicks = 0;
	unsigned int i;
	struct drv d;

	start_vm(VIRTIO_MMIO, 1, false);
	event_stop(&vm);
	d = find(VIRTIO_MMIO, 0, VIRTIO_ID_BLOCK);
	vd = dev_of(VIRTIO_ID_BLOCK);
	q = &vd->vq[0];
	setup_dev(&d, 0, 0, qsize);
	h = g(BUF_GPA, sizeof(*h));
	h->type = VIRTIO_BLK_T_FLUSH;
	set_desc(0, BUF_GPA, sizeof(*h), VRING_DESC_F_NEXT, 1);
	set_desc(1, BUF_GPA + 0x3000, 1, VRING_DESC_F_WRITE, 0);
	a = g(AVAIL_GPA, 6 + 2 * qsize);
	u = g(USED_GPA, 6 + 8 * qsize);
	for (i = 0; i < qsize; i++)
		a->ring[i] = 0;
	__atomic_store_n(&a->idx, (uint16_t)qsize, __ATOMIC_RELEASE);
	while (read(q->kick_fd, &kicks, sizeof(kicks)) > 0)
		;					/* setup's own */
	kicks = 0;

	pthread_mutex_lock(&vd->lock);
	vd->ops->queue(vd, q);
	pthread_mutex_unlock(&vd->lock);
	ck_assert_uint_eq(u->idx, VQ_BUDGET);
	ck_assert_int_eq(read(q->kick_fd, &kicks, sizeof(kicks)), sizeof(kicks));
	ck_assert_uint_eq(kicks, 1);

	pthread_mutex_lock(&vd->lock);
	vd->ops->queue(vd, q);
	pthread_mutex_unlock(&vd->lock);
	ck_assert_uint_eq(u->idx, qsize);
	ck_assert_int_lt(read(q->kick_fd, &kicks, sizeof(kicks)), 0);	/* no more */
}
END_TEST

/* A stopping VM serves no more chains: its vCPUs are on their way out. */
START_TEST(rng_stops_with_vm)
{
	struct drv d;

	start_vm(VIRTIO_MMIO, 0, false);
	avail_next = 0;
	d = find(VIRTIO_MMIO, 1, VIRTIO_ID_RNG);
	setup_dev(&d, 0, 0, QSIZE);
	vm.stopping = 1;
	set_desc(0, BUF_GPA, 64, VRING_DESC_F_WRITE, 0);
	offer(&d, 0, 0, QSIZE);
	msleep(20);
	ck_assert_uint_eq(used()->idx, 0);
}
END_TEST

START_TEST(console_mmio)
{
	struct drv d;
	char out[64] = { 0 };
	int i;

	start_vm(VIRTIO_MMIO, 0, false);
	avail_next = 0;
	d = find(VIRTIO_MMIO, 0, VIRTIO_ID_CONSOLE);
	setup_dev(&d, 0, 1, QSIZE);			/* transmitq */
	memcpy(g(BUF_GPA, 6), "hello\n", 6);
	set_desc(0, BUF_GPA, 6, 0, 0);
	offer(&d, 1, 0, QSIZE);
	ck_assert(wait_used(1));
	for (i = 0; i < 100 && read(out_pipe[0], out, sizeof(out) - 1) <= 0; i++)
		msleep(1);
	ck_assert_str_eq(out, "hello\n");

	/* receiveq: input waits in the FIFO until a buffer comes. */
	avail_next = 0;
	setup_dev(&d, 0, 0, QSIZE);
	console_feed(&vm, (const uint8_t *)"ab", 2);
	set_desc(0, BUF_GPA, 64, VRING_DESC_F_WRITE, 0);
	offer(&d, 0, 0, QSIZE);
	ck_assert(wait_used(1));
	ck_assert_uint_eq(used()->ring[0].len, 2);
	ck_assert(!memcmp(g(BUF_GPA, 2), "ab", 2));
}
END_TEST

static void net_case(int transport)
{
	struct drv d;
	uint8_t pkt[3000 + 12], got[64];
	struct virtio_net_hdr_mrg_rxbuf *h;
	int i;

	want_nic = 1;
	start_vm(transport, 0, false);
	want_nic = 0;
	d = find(transport, 1, VIRTIO_ID_NET);		/* after the console */
	/* transmit: header and frame go to the tap as one packet */
	avail_next = 0;
	setup_dev(&d, 0, 1, QSIZE);
	memset(g(BUF_GPA, 12), 0, 12);
	memcpy(g(BUF_GPA + 0x100, 7), "packet!", 7);
	set_desc(0, BUF_GPA, 12, VRING_DESC_F_NEXT, 1);
	set_desc(1, BUF_GPA + 0x100, 7, 0, 0);
	offer(&d, 1, 0, QSIZE);
	ck_assert(wait_used(1));
	for (i = 0; i < 100 && recv(tap_peer, got, sizeof(got), MSG_PEEK) < 0; i++)
		msleep(1);
	ck_assert_int_eq(recv(tap_peer, got, sizeof(got), 0), 19);
	ck_assert(!memcmp(got + 12, "packet!", 7));

	/* receive: a packet that came before any buffer waits for one */
	avail_next = 0;
	setup_dev(&d, 0, 0, QSIZE);
	memset(pkt, 0, sizeof(pkt));
	for (i = 12; i < (int)sizeof(pkt); i++)
		pkt[i] = (uint8_t)i;
	ck_assert_int_eq(send(tap_peer, pkt, 112, 0), 112);
	msleep(20);
	ck_assert_uint_eq(used()->idx, 0);
	set_desc(0, BUF_GPA, 2048, VRING_DESC_F_WRITE, 0);
	offer(&d, 0, 0, QSIZE);
	ck_assert(wait_used(1));
	ck_assert_uint_eq(used()->ring[0].len, 112);
	h = g(BUF_GPA, sizeof(*h));
	ck_assert_uint_eq(h->num_buffers, 1);
	ck_assert(!memcmp(g(BUF_GPA, 112), pkt, 10));
	ck_assert(!memcmp((uint8_t *)g(BUF_GPA, 112) + 12, pkt + 12, 100));

	/* a big one over merged buffers */
	for (i = 0; i < 4; i++) {
		set_desc((unsigned int)i + 1, BUF_GPA + 0x1000 * (i + 1), 1024,
			 VRING_DESC_F_WRITE, 0);
		offer(&d, 0, (uint16_t)(i + 1), QSIZE);
	}
	ck_assert_int_eq(send(tap_peer, pkt, sizeof(pkt), 0), (int)sizeof(pkt));
	ck_assert(wait_used(4));
	h = g(BUF_GPA + 0x1000, sizeof(*h));
	ck_assert_uint_eq(h->num_buffers, 3);
	ck_assert_uint_eq(used()->ring[1].len, 1024);
	ck_assert_uint_eq(used()->ring[3].len, sizeof(pkt) - 2048);
	ck_assert(!memcmp(g(BUF_GPA + 0x3000, 100), pkt + 2048, 100));
	ck_assert(!(fget(&d, F_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
}

START_TEST(net_mmio)
{
	net_case(VIRTIO_MMIO);
}
END_TEST

START_TEST(net_pci)
{
	net_case(VIRTIO_PCI);
}
END_TEST

/* ---- PCI ---- */

START_TEST(pci_bus)
{
	struct drv d;
	unsigned int capp, seen = 0;
	uint32_t bar;

	start_vm(VIRTIO_PCI, 1, false);
	/* 00:00.0 host bridge, absent functions all ones. */
	ck_assert_uint_eq(pci_cfg(0, PCI_CLASS_REVISION, 4, false, 0) >> 16, 0x0600);
	ck_assert_uint_eq(pci_cfg(20, 0, 4, false, 0), 0xffffffffU);
	{
		uint64_t v = 0x80000100;		/* function 1 */

		io_dispatch(&vm, BUS_PIO, 0, 0xcf8, 4, true, &v);
		io_dispatch(&vm, BUS_PIO, 0, 0xcfc, 4, false, &v);
		ck_assert_uint_eq(v, 0xffffffffU);
		io_dispatch(&vm, BUS_PIO, 0, 0xcf8, 4, false, &v);
		ck_assert_uint_eq(v, 0x80000100);
	}
	d = find(VIRTIO_PCI, 0, VIRTIO_ID_BLOCK);
	ck_assert_uint_eq(pci_cfg(1, PCI_REVISION_ID, 1, false, 0), 1);
	/* BAR sizing: all ones reads back the size mask; restoring works. */
	bar = pci_cfg(1, PCI_BASE_ADDRESS_0, 4, false, 0);
	pci_cfg(1, PCI_BASE_ADDRESS_0, 4, true, 0xffffffffU);
	ck_assert_uint_eq(pci_cfg(1, PCI_BASE_ADDRESS_0, 4, false, 0), 0xffffc000U);
	ck_assert_uint_eq(mmio(d.base, 4, false, 0), 0xffffffffU);	/* moved: off */
	pci_cfg(1, PCI_BASE_ADDRESS_0, 4, true, bar);
	ck_assert_uint_eq(mmio(d.base + VIRTIO_PCI_COMMON_NUMQ, 2, false, 0), 1);
	/* Capabilities: MSI-X and the five virtio structures. */
	ck_assert(pci_cfg(1, PCI_STATUS, 2, false, 0) & PCI_STATUS_CAP_LIST);
	for (capp = pci_cfg(1, PCI_CAPABILITY_LIST, 1, false, 0); capp;
	     capp = pci_cfg(1, capp + 1, 1, false, 0)) {
		uint8_t id = (uint8_t)pci_cfg(1, capp, 1, false, 0);

		if (id == PCI_CAP_ID_MSIX)
			seen |= 1;
		else if (id == PCI_CAP_ID_VNDR)
			seen |= 1U << pci_cfg(1, capp + 3, 1, false, 0);
		ck_assert_uint_lt(seen, 64);
	}
	ck_assert_uint_eq(seen, 1 | 2 | 4 | 8 | 16 | 32);
	/* The configuration access window reads the common config. */
	pci_cfg(1, 0x98 + 4, 1, true, 0);
	pci_cfg(1, 0x98 + 8, 4, true, VIRTIO_PCI_COMMON_NUMQ);
	pci_cfg(1, 0x98 + 12, 4, true, 2);
	ck_assert_uint_eq(pci_cfg(1, 0x98 + 16, 2, false, 0), 1);
}
END_TEST

START_TEST(pci_msix)
{
	struct drv d;
	int i;

	start_vm(VIRTIO_PCI, 1, false);
	avail_next = 0;
	d = find(VIRTIO_PCI, 0, VIRTIO_ID_BLOCK);
	/* Enable MSI-X, vector 1 -> 0xfee00000 / 0x4041, queue 0 on it. */
	pci_cfg(1, 0x40 + PCI_MSIX_FLAGS, 2, true, PCI_MSIX_FLAGS_ENABLE);
	mmio(d.base + 0x2800 + 16, 4, true, 0xfee00000U);
	mmio(d.base + 0x2800 + 20, 4, true, 0);
	mmio(d.base + 0x2800 + 24, 4, true, 0x4041);
	setup_dev(&d, 0, 0, QSIZE);
	mmio(d.base + VIRTIO_PCI_COMMON_Q_MSIX, 2, true, 1);
	ck_assert_uint_eq(mmio(d.base + VIRTIO_PCI_COMMON_Q_MSIX, 2, false, 0), 1);
	mmio(d.base + VIRTIO_PCI_COMMON_MSIX, 2, true, 50);	/* no such vector */
	ck_assert_uint_eq(mmio(d.base + VIRTIO_PCI_COMMON_MSIX, 2, false, 0), 0xffff);
	/* Masked: held in the PBA, sent on unmask. */
	blk_req(&d, VIRTIO_BLK_T_IN, 0, 512);
	ck_assert(wait_used(1));
	msleep(5);
	ck_assert_int_eq(nmsi, 0);
	ck_assert_uint_eq(mmio(d.base + 0x2c00, 8, false, 0), 2);
	mmio(d.base + 0x2800 + 28, 4, true, 0);			/* unmask */
	ck_assert_int_eq(nmsi, 1);
	ck_assert_uint_eq(last_msi.address_lo, 0xfee00000U);
	ck_assert_uint_eq(last_msi.data, 0x4041);
	ck_assert_uint_eq(mmio(d.base + 0x2c00, 8, false, 0), 0);
	/* used_event (EVENT_IDX): interrupt me after entry 1. */
	((struct vring_avail *)g(AVAIL_GPA, 4 + 2 * QSIZE + 2))->ring[QSIZE] = 1;
	blk_req(&d, VIRTIO_BLK_T_IN, 0, 512);
	ck_assert(wait_used(2));
	for (i = 0; i < 100 && __atomic_load_n(&nmsi, __ATOMIC_SEQ_CST) < 2; i++)
		msleep(1);
	ck_assert_int_eq(nmsi, 2);
	ck_assert_uint_eq(fget(&d, F_ISR), 0);		/* MSI-X: no ISR */
}
END_TEST

START_TEST(pci_rng)
{
	rng_case(VIRTIO_PCI);
}
END_TEST

START_TEST(options)
{
	struct vm_config c;
	char a[] = "disk.img,ro", b[] = "tap=tap7,bridge=br0", n2[] = "tap",
	     bad[] = "tup", bad2[] = "tap,bridge=";

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(parse_disk(a, &c), 0);
	ck_assert_str_eq(c.disks[0].path, "disk.img");
	ck_assert(c.disks[0].ro);
	ck_assert_int_eq(parse_net(b, &c), 0);
	ck_assert_str_eq(c.nics[0].tap, "tap7");
	ck_assert_str_eq(c.nics[0].bridge, "br0");
	ck_assert_int_eq(parse_net(n2, &c), 0);
	ck_assert_ptr_null(c.nics[1].tap);
	ck_assert_int_ne(parse_net(bad, &c), 0);
	ck_assert_int_ne(parse_net(bad2, &c), 0);
}
END_TEST

static Suite *virtio_suite(void)
{
	Suite *s = suite_create("virtio");
	TCase *t = tcase_create("virtio");

	tcase_add_checked_fixture(t, NULL, teardown);
	tcase_set_timeout(t, 20);
	tcase_add_test(t, blk_mmio);
	tcase_add_test(t, blk_pci);
	tcase_add_test(t, mmio_cmdline);
	tcase_add_test(t, mmio_dsdt);
	tcase_add_test(t, blk_discard_and_ro);
	tcase_add_test(t, hostile_loop);
	tcase_add_test(t, hostile_address);
	tcase_add_test(t, broken_logged_once);
	tcase_add_test(t, hostile_length);
	tcase_add_test(t, hostile_next_and_head);
	tcase_add_test(t, hostile_avail_idx);
	tcase_add_test(t, hostile_indirect);
	tcase_add_test(t, hostile_order);
	tcase_add_test(t, hostile_past_end);
	tcase_add_test(t, hostile_queue_setup);
	tcase_add_test(t, event_idx_after_ready_mmio);
	tcase_add_test(t, event_idx_after_ready_pci);
	tcase_add_test(t, event_idx_renegotiated_mmio);
	tcase_add_test(t, event_idx_renegotiated_pci);
	tcase_add_test(t, rings_at_end_of_ram);
	tcase_add_test(t, status_sticky_mmio);
	tcase_add_test(t, status_sticky_pci);
	tcase_add_test(t, queue_disable_mmio);
	tcase_add_test(t, rng_mmio);
	tcase_add_test(t, rng_chain_capped);
	tcase_add_test(t, queue_budget);
	tcase_add_test(t, console_chain_capped);
	tcase_add_test(t, rng_stops_with_vm);
	tcase_add_test(t, console_mmio);
	tcase_add_test(t, net_mmio);
	tcase_add_test(t, net_pci);
	tcase_add_test(t, pci_bus);
	tcase_add_test(t, pci_msix);
	tcase_add_test(t, pci_rng);
	suite_add_tcase(s, t);
	t = tcase_create("options");
	tcase_add_test(t, options);
	tcase_add_test(t, mmio_acpi);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(virtio_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
