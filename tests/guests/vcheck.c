// SPDX-License-Identifier: GPL-2.0
/*
 * vcheck: a multiboot guest that drives plumb's virtio devices the way a
 * driver does, through the real module on both backends, without a Linux
 * guest: run by tests/integration/run_virtio.sh as
 *
 *   plumb run --kernel vcheck.elf --virtio mmio|pci --disk D --rng --vconsole
 *
 * It finds the devices (virtio-mmio magic at 0xd0000000, or a PCI scan
 * through 0xcf8 and the vendor capabilities), negotiates VERSION_1 only,
 * then: reads sector 0 of the disk (the host wrote "PLUMB-VBLK" there),
 * writes sector 1 (the host checks it), reads the random device, writes
 * a line on hvc0. The first requests are polled (reading the ISR, an
 * exit, which also hands the posted notifications over); the last one
 * waits in HLT with interrupts on for the device's interrupt: IOAPIC line
 * 16+ (level) for virtio-mmio, MSI-X for virtio-pci.
 * kvm-unit-tests' style: PASS:/FAIL: lines, SUMMARY, exit via 0xf4.
 */
#include "lib.h"

#define VIRTIO_MMIO_BASE	0xd0000000U
#define IOAPIC			0xfec00000U
#define LAPIC			0xfee00000U
#define VECTOR			0x40
#define QSIZE			8

static int tests, failures;

static void report(int ok, const char *what, uint32_t got, uint32_t want)
{
	tests++;
	if (ok) {
		printf("PASS: %s\n", what);
	} else {
		failures++;
		printf("FAIL: %s (got %#x, want %#x)\n", what, got, want);
	}
}

#define CHECK_EQ(what, got, want) do {					\
	uint32_t got_ = (uint32_t)(got), want_ = (uint32_t)(want);	\
	report(got_ == want_, what, got_, want_);			\
} while (0)
/* cond is evaluated once: it may submit and wait for a request. */
#define CHECK(what, cond) do {						\
	int c_ = !!(cond);						\
	report(c_, what, (uint32_t)c_, 1);				\
} while (0)

static inline uint32_t r32(uint32_t a) { return *(volatile uint32_t *)a; }
static inline uint16_t r16(uint32_t a) { return *(volatile uint16_t *)a; }
static inline uint8_t r8(uint32_t a) { return *(volatile uint8_t *)a; }
static inline void w32(uint32_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline void w16(uint32_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline void w8(uint32_t a, uint8_t v) { *(volatile uint8_t *)a = v; }

static void *memset_(void *d, int c, unsigned int n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

/* ---- one device, on either transport ---- */

struct vdev {
	int pci;
	uint32_t base;		/* mmio: the block */
	uint32_t common, notify, isr, devcfg, mult;	/* pci */
	unsigned int slot, line, id;
};

struct vring_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct ring {
	struct vring_desc desc[QSIZE] __attribute__((aligned(16)));
	struct { uint16_t flags, idx, ring[QSIZE], event; } avail __attribute__((aligned(2)));
	struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[QSIZE]; uint16_t event; }
		used __attribute__((aligned(4)));
	uint16_t last_used;
};

#define S_ACK	1
#define S_DRV	2
#define S_OK	4
#define S_FEAT	8
#define S_RESET	0x40

static uint32_t pci_cfg(unsigned int slot, unsigned int reg)
{
	outl(0xcf8, 0x80000000U | slot << 11 | (reg & 0xfc));
	return inl(0xcfc) >> (8 * (reg & 3));
}

static void pci_cfg16(unsigned int slot, unsigned int reg, uint16_t v)
{
	outl(0xcf8, 0x80000000U | slot << 11 | (reg & 0xfc));
	outw((uint16_t)(0xcfc + (reg & 2)), v);
}

static void set_status(struct vdev *d, uint8_t s)
{
	if (d->pci)
		w8(d->common + 20, s);
	else
		w32(d->base + 0x70, s);
}

static uint8_t status(struct vdev *d)
{
	return d->pci ? r8(d->common + 20) : (uint8_t)r32(d->base + 0x70);
}

static uint32_t read_isr(struct vdev *d)
{
	uint32_t v;

	if (d->pci)
		return r8(d->isr);
	v = r32(d->base + 0x60);
	w32(d->base + 0x64, v);		/* InterruptACK */
	return v;
}

static uint32_t cfg32(struct vdev *d, unsigned int off)
{
	return r32((d->pci ? d->devcfg : d->base + 0x100) + off);
}

static int negotiate(struct vdev *d)
{
	set_status(d, 0);
	set_status(d, S_ACK | S_DRV);
	if (d->pci) {
		w32(d->common + 0, 1);		/* device_feature_select */
		if (!(r32(d->common + 4) & 1))
			return 0;
		w32(d->common + 8, 0);
		w32(d->common + 12, 0);
		w32(d->common + 8, 1);
		w32(d->common + 12, 1);		/* VERSION_1 only */
	} else {
		w32(d->base + 0x14, 1);
		if (!(r32(d->base + 0x10) & 1))
			return 0;
		w32(d->base + 0x24, 0);
		w32(d->base + 0x20, 0);
		w32(d->base + 0x24, 1);
		w32(d->base + 0x20, 1);
	}
	set_status(d, S_ACK | S_DRV | S_FEAT);
	return (status(d) & S_FEAT) != 0;
}

static void setup_queue(struct vdev *d, unsigned int q, struct ring *r, uint16_t vector)
{
	memset_(r, 0, sizeof(*r));
	if (d->pci) {
		w16(d->common + 22, (uint16_t)q);
		w16(d->common + 24, QSIZE);
		w16(d->common + 26, vector);
		w32(d->common + 32, (uint32_t)r->desc);
		w32(d->common + 36, 0);
		w32(d->common + 40, (uint32_t)&r->avail);
		w32(d->common + 44, 0);
		w32(d->common + 48, (uint32_t)&r->used);
		w32(d->common + 52, 0);
		w16(d->common + 28, 1);
	} else {
		w32(d->base + 0x30, q);
		w32(d->base + 0x38, QSIZE);
		w32(d->base + 0x80, (uint32_t)r->desc);
		w32(d->base + 0x84, 0);
		w32(d->base + 0x90, (uint32_t)&r->avail);
		w32(d->base + 0x94, 0);
		w32(d->base + 0xa0, (uint32_t)&r->used);
		w32(d->base + 0xa4, 0);
		w32(d->base + 0x44, 1);
	}
}

static void kick(struct vdev *d, unsigned int q)
{
	if (d->pci)
		w16(d->notify + q * d->mult, (uint16_t)q);	/* notify_off = q */
	else
		w32(d->base + 0x50, q);
}

static void submit(struct vdev *d, unsigned int q, struct ring *r, uint16_t head)
{
	r->avail.ring[r->avail.idx % QSIZE] = head;
	__atomic_store_n(&r->avail.idx, (uint16_t)(r->avail.idx + 1), __ATOMIC_RELEASE);
	kick(d, q);
}

/* Polling: every ISR read is an exit, which hands the posted kick over. */
static int wait_poll(struct vdev *d, struct ring *r)
{
	unsigned int i;

	for (i = 0; i < 200000; i++) {
		if (__atomic_load_n(&r->used.idx, __ATOMIC_ACQUIRE) != r->last_used) {
			r->last_used++;
			return 1;
		}
		read_isr(d);
	}
	printf("timeout: used %u (at %p) avail %u status %#x\n", r->used.idx,
	       (void *)&r->used, r->avail.idx, status(d));
	return 0;
}

/* ---- discovery ---- */

static int find_mmio(struct vdev *d, unsigned int id)
{
	unsigned int i;

	for (i = 0; i < 8; i++) {
		uint32_t b = VIRTIO_MMIO_BASE + i * 0x1000;

		if (r32(b) != 0x74726976 || r32(b + 8) != id)
			continue;
		d->pci = 0;
		d->base = b;
		d->line = 16 + i;
		d->id = id;
		return 1;
	}
	return 0;
}

static int find_pci(struct vdev *d, unsigned int id)
{
	unsigned int slot, cap;

	for (slot = 0; slot < 32; slot++) {
		if (pci_cfg(slot, 0) != (0x1af4U | (0x1040U + id) << 16))
			continue;
		d->pci = 1;
		d->slot = slot;
		d->id = id;
		for (cap = pci_cfg(slot, 0x34) & 0xff; cap; cap = pci_cfg(slot, cap + 1) & 0xff) {
			unsigned int type = pci_cfg(slot, cap + 3) & 0xff;
			uint32_t bar = pci_cfg(slot, 0x10 + 4 * (pci_cfg(slot, cap + 4) & 0xff)) & ~0xfU;
			uint32_t at = bar + pci_cfg(slot, cap + 8);

			if ((pci_cfg(slot, cap) & 0xff) != 0x09)
				continue;
			if (type == 1)
				d->common = at;
			else if (type == 2) {
				d->notify = at;
				d->mult = pci_cfg(slot, cap + 16);
			} else if (type == 3)
				d->isr = at;
			else if (type == 4)
				d->devcfg = at;
		}
		return d->common && d->notify && d->isr;
	}
	return 0;
}

static int find(struct vdev *d, unsigned int id, int pci)
{
	memset_(d, 0, sizeof(*d));
	return pci ? find_pci(d, id) : find_mmio(d, id);
}

/* ---- interrupts ---- */

struct idt_gate { uint16_t lo, sel; uint8_t zero, type; uint16_t hi; };
static struct idt_gate idt[256] __attribute__((aligned(8)));
static volatile int irqs;
static struct vdev *irq_dev;

struct iframe;
__attribute__((interrupt)) static void irq_handler(struct iframe *f)
{
	(void)f;
	irqs++;
	if (irq_dev)
		read_isr(irq_dev);	/* ack the device, the line drops */
	w32(LAPIC + 0xb0, 0);		/* EOI */
}

static void irq_setup(struct vdev *d)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) idtr;
	uint16_t cs;
	uint32_t h = (uint32_t)irq_handler;

	/* Our own GDT: the loader's descriptors may only be cached. */
	static const uint64_t gdt[3] __attribute__((aligned(8))) = {
		0, 0x00cf9a000000ffffULL, 0x00cf92000000ffffULL,
	};
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) gdtr = {
		sizeof(gdt) - 1, (uint32_t)gdt,
	};

	__asm__ volatile("lgdt %0\n\t"
			 "ljmp $0x08, $1f\n"
			 "1:\tmov $0x10, %%eax\n\t"
			 "mov %%eax, %%ds\n\tmov %%eax, %%es\n\tmov %%eax, %%ss\n\t"
			 "mov %%eax, %%fs\n\tmov %%eax, %%gs" :: "m"(gdtr) : "eax", "memory");
	cs = 0x08;
	idt[VECTOR] = (struct idt_gate){ (uint16_t)h, cs, 0, 0x8e, (uint16_t)(h >> 16) };
	idtr.limit = sizeof(idt) - 1;
	idtr.base = (uint32_t)idt;
	__asm__ volatile("lidt %0" :: "m"(idtr));
	w32(LAPIC + 0xf0, 0x1ff);		/* software enable */
	irq_dev = d;
	if (d->pci) {
		/* MSI-X: vector 0 -> this CPU, VECTOR; enable. */
		uint32_t table = (pci_cfg(d->slot, 0x10) & ~0xfU);
		unsigned int cap;

		for (cap = pci_cfg(d->slot, 0x34) & 0xff; cap;
		     cap = pci_cfg(d->slot, cap + 1) & 0xff)
			if ((pci_cfg(d->slot, cap) & 0xff) == 0x11)
				break;
		table += pci_cfg(d->slot, cap + 4) & ~7U;
		w32(table + 0, LAPIC);
		w32(table + 4, 0);
		w32(table + 8, VECTOR);
		w32(table + 12, 0);		/* unmasked */
		pci_cfg16(d->slot, cap + 2, 0x8000);
	} else {
		/* IOAPIC pin: level, active high, fixed, to APIC 0. */
		w32(IOAPIC, 0x10 + 2 * d->line + 1);
		w32(IOAPIC + 0x10, 0);
		w32(IOAPIC, 0x10 + 2 * d->line);
		w32(IOAPIC + 0x10, VECTOR | 1U << 15);
	}
}

/* ---- the checks ---- */

static struct ring blkq, rngq, conq;
static uint8_t hdr[16], sector[512], st;
static uint8_t rnd[64];

static int blk_rw(struct vdev *d, uint32_t type, uint32_t sec, int use_irq)
{
	*(uint32_t *)hdr = type;
	*(uint32_t *)(hdr + 4) = 0;
	*(uint32_t *)(hdr + 8) = sec;
	*(uint32_t *)(hdr + 12) = 0;
	st = 0xff;
	blkq.desc[0] = (struct vring_desc){ (uint32_t)hdr, 16, 1, 1 };
	blkq.desc[1] = (struct vring_desc){ (uint32_t)sector, 512, (uint16_t)(1 | (type ? 0 : 2)), 2 };
	blkq.desc[2] = (struct vring_desc){ (uint32_t)&st, 1, 2, 0 };
	if (!use_irq) {
		submit(d, 0, &blkq, 0);
		return wait_poll(d, &blkq) && st == 0;
	}
	irqs = 0;
	__asm__ volatile("cli");
	submit(d, 0, &blkq, 0);
	/* The kick is posted: it reaches the launcher because the vCPU halts. */
	while (__atomic_load_n(&blkq.used.idx, __ATOMIC_ACQUIRE) == blkq.last_used)
		__asm__ volatile("sti; hlt; cli");
	__asm__ volatile("sti");
	blkq.last_used++;
	return st == 0 && irqs > 0;
}

static void check_blk(int pci)
{
	struct vdev d;
	unsigned int i;
	int ok;

	if (!find(&d, 2, pci)) {
		report(0, "virtio-blk found", 0, 1);
		return;
	}
	report(1, "virtio-blk found", 1, 1);
	CHECK("features: VERSION_1 accepted", negotiate(&d));
	CHECK_EQ("capacity (sectors, low word)", cfg32(&d, 0), 2048);
	setup_queue(&d, 0, &blkq, 0);
	set_status(&d, S_ACK | S_DRV | S_FEAT | S_OK);
	CHECK("read sector 0", blk_rw(&d, 0, 0, 0));
	CHECK("sector 0 holds what the host wrote",
	      !strncmp_((const char *)sector, "PLUMB-VBLK", 10));
	for (i = 0; i < 512; i++)
		sector[i] = (uint8_t)(i ^ 0x5a);
	CHECK("write sector 1", blk_rw(&d, 1, 1, 0));
	CHECK("flush", blk_rw(&d, 4, 0, 0));
	memset_(sector, 0, 512);
	/* The polled requests' last interrupt status: acked before the line
	 * is unmasked, or it would interrupt at once (it is level). */
	read_isr(&d);
	irq_setup(&d);
	CHECK("read sector 1 back, waiting in HLT for the interrupt", blk_rw(&d, 0, 1, 1));
	for (ok = 1, i = 0; i < 512; i++)
		ok &= sector[i] == (uint8_t)(i ^ 0x5a);
	CHECK("sector 1 reads back as written", ok);
	/* 2 if the last polled completion's interrupt came after the drain. */
	CHECK("its interrupt came, and no storm", irqs >= 1 && irqs <= 2);
	CHECK("the device is not broken", !(status(&d) & S_RESET));
	/* A chain past the disk's end breaks only this device. */
	irq_dev = 0;
	__asm__ volatile("cli");
	*(uint32_t *)(hdr + 8) = 4096;
	blkq.desc[1].flags = 1 | 2;
	submit(&d, 0, &blkq, 0);
	for (i = 0; i < 100000 && !(status(&d) & S_RESET); i++)
		;
	CHECK("a read past the end sets DEVICE_NEEDS_RESET", status(&d) & S_RESET);
}

static void check_rng(int pci)
{
	struct vdev d;
	unsigned int i, nz = 0;

	if (!find(&d, 4, pci)) {
		report(0, "virtio-rng found", 0, 1);
		return;
	}
	report(1, "virtio-rng found", 1, 1);
	CHECK("features", negotiate(&d));
	setup_queue(&d, 0, &rngq, 0xffff);
	set_status(&d, S_ACK | S_DRV | S_FEAT | S_OK);
	rngq.desc[0] = (struct vring_desc){ (uint32_t)rnd, sizeof(rnd), 2, 0 };
	submit(&d, 0, &rngq, 0);
	CHECK("random bytes come back", wait_poll(&d, &rngq));
	CHECK_EQ("all 64 of them", rngq.used.ring[0].len, 64);
	for (i = 0; i < sizeof(rnd); i++)
		nz += rnd[i] != 0;
	CHECK("they are not zeros", nz > 48);
}

/*
 * "flood" (security review L3): chains of QSIZE writable segments, each
 * 64 MiB of RAM from 32 MiB on (aliasing one another), to virtio-rng,
 * forever: 512 MiB asked per chain. The launcher must fill only a bounded
 * part of each and still stop at once on SIGTERM.
 */
static void flood_rng(int pci)
{
	struct vdev d;
	unsigned int i, chains;

	if (!find(&d, 4, pci)) {
		report(0, "virtio-rng found", 0, 1);
		return;
	}
	negotiate(&d);
	setup_queue(&d, 0, &rngq, 0xffff);
	set_status(&d, S_ACK | S_DRV | S_FEAT | S_OK);
	for (i = 0; i < QSIZE; i++)
		rngq.desc[i] = (struct vring_desc){ 32u << 20, 64u << 20,
			(uint16_t)(2 | (i + 1 < QSIZE ? 1 : 0)), (uint16_t)(i + 1) };
	printf("flooding virtio-rng\n");
	for (chains = 0;; chains++) {
		submit(&d, 0, &rngq, 0);
		while (__atomic_load_n(&rngq.used.idx, __ATOMIC_ACQUIRE) == rngq.last_used)
			read_isr(&d);
		rngq.last_used++;
		if (chains == 100)
			printf("100 chains served, the last one %u bytes\n",
			       rngq.used.ring[(uint16_t)(rngq.last_used - 1) % QSIZE].len);
	}
}

static void check_console(int pci)
{
	static const char line[] = "hvc0: hello from vcheck\n";
	struct vdev d;

	if (!find(&d, 3, pci)) {
		report(0, "virtio-console found", 0, 1);
		return;
	}
	report(1, "virtio-console found", 1, 1);
	CHECK("features", negotiate(&d));
	setup_queue(&d, 1, &conq, 0xffff);
	set_status(&d, S_ACK | S_DRV | S_FEAT | S_OK);
	conq.desc[0] = (struct vring_desc){ (uint32_t)line, sizeof(line) - 1, 0, 0 };
	submit(&d, 1, &conq, 0);
	CHECK("console output consumed", wait_poll(&d, &conq));
}

int main(void);
int main(void)
{
	const struct mb_info *mbi = (const void *)mb_info;
	const char *cmd = (const char *)mbi->cmdline;
	int pci = 0, i;

	uart_init();
	printf("vcheck: %s\n", cmd);
	for (i = 0; cmd[i]; i++)
		if (!strncmp_(cmd + i, "pci", 3))
			pci = 1;
	for (i = 0; cmd[i]; i++)
		if (!strncmp_(cmd + i, "flood", 5))
			flood_rng(pci);
	if (pci)
		CHECK_EQ("PCI host bridge at 00:00.0", pci_cfg(0, 8) >> 16, 0x0600);
	else
		CHECK_EQ("virtio-mmio version 2", r32(VIRTIO_MMIO_BASE + 4), 2);
	check_rng(pci);
	check_console(pci);
	check_blk(pci);
	printf("SUMMARY: %d tests", tests);
	if (failures)
		printf(", %d unexpected failures", failures);
	printf("\n");
	return failures ? 1 : 0;
}
