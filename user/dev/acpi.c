// SPDX-License-Identifier: GPL-2.0
/*
 * The ACPI a PC guest looks for, in the BIOS area (RSDP at 0xf0000, found
 * by the 16-byte scan of 0xe0000-0xfffff):
 *
 * - RSDP revision 2 pointing at an RSDT and an XSDT, both listing the
 *   FADT and the MADT;
 * - FADT revision 3 (ACPI 2.0) with the fixed hardware below, both as
 *   32-bit blocks and as generic addresses, the 8042 and legacy devices
 *   flagged present, no VGA, and the reset register (port 0x64, 0xfe:
 *   the i8042 pulses reset) for reboot;
 * - a DSDT with \_S5 (SLP_TYP 5), so that Linux offers ACPI power-off,
 *   and the PCI root bridge \_SB.PCI0 (dev/pci.c); a FACS;
 * - the MADT: one enabled local APIC per vCPU (APIC ID = ACPI UID = index),
 *   the IOAPIC (ID 0, GSI 0-23, 0xfec00000), the overrides ISA IRQ 0 ->
 *   GSI 2 and SCI IRQ 9 level/active high, LINT1 as NMI on every CPU, and
 *   PCAT_COMPAT (the 8259 pair is there).
 *
 * The fixed hardware: PM1a event block at 0x600, PM1a control block at
 * 0x604 (SCI_EN set: the guest is in ACPI mode from the start; any SLP_EN
 * write powers off, status 0) and the 24-bit PM timer at 0x608 counting
 * at 3.579545 MHz on the host's monotonic clock (kvm-unit-tests'
 * vmexit_inl_pmtimer reads it; Linux refines its TSC calibration with it).
 *
 * Only for --kernel boots: a --flat image may live in the BIOS area.
 */
#include <errno.h>
#include <string.h>

#include "virtio/virtio.h"
#include "vm.h"

#define ACPI_BASE	0xf0000ULL
#define RSDP_AT		(ACPI_BASE + 0x000)
#define RSDT_AT		(ACPI_BASE + 0x040)
#define XSDT_AT		(ACPI_BASE + 0x080)
#define FACS_AT		(ACPI_BASE + 0x0c0)
#define FADT_AT		(ACPI_BASE + 0x100)
#define MADT_AT		(ACPI_BASE + 0x300)
#define DSDT_AT		(ACPI_BASE + 0x800)	/* room for virtio-mmio devices */
#define ACPI_SIZE	0x1000
#define FADT_LEN	244
#define MADT_MAX	(DSDT_AT - MADT_AT)
#define DSDT_MAX	(ACPI_SIZE - (DSDT_AT - ACPI_BASE))

#define PM_BASE		0x600	/* PM1a_EVT 0x600, PM1a_CNT 0x604, PM_TMR 0x608 */
#define PM_TMR_HZ	3579545ULL
#define CNT_SCI_EN	0x0001
#define CNT_SLP_EN	0x2000

struct acpi_pm {
	pthread_mutex_t lock;		/* the state below; io_dispatch takes it */
	uint16_t sts, en, cnt;
};

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

/* The 36-byte header every table but the RSDP and FACS has. */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	memcpy(t + 4, &len, 4);
	t[8] = rev;
	memcpy(t + 10, "PLUMB ", 6);
	memcpy(t + 16, "PLUMBVM ", 8);
	memcpy(t + 24, &(uint32_t){ 1 }, 4);
	memcpy(t + 28, "PLMB", 4);
	memcpy(t + 32, &(uint32_t){ 1 }, 4);
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* A generic address structure for a block of I/O ports. */
static void gas_io(uint8_t *p, uint8_t bits, uint16_t port)
{
	p[0] = 1;			/* system I/O */
	p[1] = bits;
	p[2] = 0;
	p[3] = 0;			/* access size: legacy */
	put64(p + 4, port);
}

/*
 * Name (_S5, Package (4) { 5, 5, 0, 0 })
 * Scope (\_SB) { Device (PCI0) {	the PCI bus of dev/pci.c (docs/virtio.md)
 *	Name (_HID, EisaId ("PNP0A03")) Name (_UID, 0)
 *	Name (_CRS, ResourceTemplate () { bus 0-255, IO 0xcf8/8,
 *		IO 0-0xcf7 and 0xd00-0xffff, memory 0xe0000000-0xfbffffff })
 * } }
 * Without a root bridge in the DSDT, Linux in ACPI mode scans no PCI bus.
 */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
	0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,
	0x10, 0x4c, 0x07, '_', 'S', 'B', '_',		/* Scope, 0x7c bytes */
	0x5b, 0x82, 0x44, 0x07, 'P', 'C', 'I', '0',	/* Device, 0x74 */
	0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03,
	0x08, '_', 'U', 'I', 'D', 0x00,
	0x08, '_', 'C', 'R', 'S', 0x11, 0x48, 0x05, 0x0a, 0x54,
	/* WordBusNumber 0-0xff */
	0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xff, 0x00, 0x00, 0x00, 0x00, 0x01,
	/* IO 0xcf8, 8 ports */
	0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08,
	/* WordIO 0-0xcf7, 0xd00-0xffff */
	0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00, 0x00,
	0xf7, 0x0c, 0x00, 0x00, 0xf8, 0x0c,
	0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00, 0x0d,
	0xff, 0xff, 0x00, 0x00, 0x00, 0xf3,
	/* DWordMemory 0xe0000000-0xfbffffff, read/write, non-cacheable */
	0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xfb, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x1c,
	0x79, 0x00,					/* end tag */
};

static uint32_t build_madt(uint8_t *t, unsigned int ncpus)
{
	uint32_t len = 44;
	unsigned int i;

	for (i = 0; i < ncpus; i++, len += 8) {
		t[len] = 0;			/* processor local APIC */
		t[len + 1] = 8;
		t[len + 2] = (uint8_t)i;	/* ACPI processor UID */
		t[len + 3] = (uint8_t)i;	/* APIC ID */
		put32(t + len + 4, 1);		/* enabled */
	}
	t[len] = 1;				/* IOAPIC */
	t[len + 1] = 12;
	t[len + 2] = 0;				/* its ID */
	put32(t + len + 4, 0xfec00000);
	put32(t + len + 8, 0);			/* GSI base */
	len += 12;
	t[len] = 2;				/* override: IRQ 0 -> GSI 2 */
	t[len + 1] = 10;
	t[len + 3] = 0;
	put32(t + len + 4, 2);
	put16(t + len + 8, 0);			/* bus-conforming */
	len += 10;
	t[len] = 2;				/* override: SCI */
	t[len + 1] = 10;
	t[len + 3] = 9;
	put32(t + len + 4, 9);
	put16(t + len + 8, 0x000d);		/* level, active high */
	len += 10;
	t[len] = 4;				/* local APIC NMI */
	t[len + 1] = 6;
	t[len + 2] = 0xff;			/* every processor */
	put16(t + len + 3, 0);
	t[len + 5] = 1;				/* LINT1 */
	len += 6;
	header(t, "APIC", len, 1);
	put32(t + 36, 0xfee00000);
	put32(t + 40, 1);			/* PCAT_COMPAT */
	t[9] = checksum(t, len);
	return len;
}

static void build_fadt(uint8_t *f)
{
	header(f, "FACP", FADT_LEN, 3);
	put32(f + 36, FACS_AT);
	put32(f + 40, DSDT_AT);
	put16(f + 46, 9);			/* SCI_INT */
	put32(f + 56, PM_BASE);			/* PM1a_EVT_BLK */
	put32(f + 64, PM_BASE + 4);		/* PM1a_CNT_BLK */
	put32(f + 76, PM_BASE + 8);		/* PM_TMR_BLK */
	f[88] = 4;				/* PM1_EVT_LEN */
	f[89] = 2;				/* PM1_CNT_LEN */
	f[91] = 4;				/* PM_TMR_LEN */
	put16(f + 96, 101);			/* no C2 */
	put16(f + 98, 1001);			/* no C3 */
	f[108] = 0x32;				/* CMOS century */
	put16(f + 109, 0x0007);			/* legacy devices, 8042, no VGA */
	/* WBINVD, C1 on all CPUs, no power/sleep buttons, reset register. */
	put32(f + 112, (1U << 0) | (1U << 2) | (1U << 4) | (1U << 5) | (1U << 10));
	gas_io(f + 116, 8, 0x64);		/* RESET_REG */
	f[128] = 0xfe;				/* RESET_VALUE */
	put64(f + 132, FACS_AT);		/* X_FIRMWARE_CTRL */
	put64(f + 140, DSDT_AT);		/* X_DSDT */
	gas_io(f + 148, 32, PM_BASE);		/* X_PM1a_EVT_BLK */
	gas_io(f + 172, 16, PM_BASE + 4);	/* X_PM1a_CNT_BLK */
	gas_io(f + 208, 32, PM_BASE + 8);	/* X_PM_TMR_BLK */
	f[9] = checksum(f, FADT_LEN);
}

static int build_tables(uint8_t *base, unsigned int ncpus, unsigned int nvmmio)
{
	uint8_t *rsdp = base + (RSDP_AT - ACPI_BASE);
	uint8_t *rsdt = base + (RSDT_AT - ACPI_BASE);
	uint8_t *xsdt = base + (XSDT_AT - ACPI_BASE);
	uint8_t *facs = base + (FACS_AT - ACPI_BASE);
	uint8_t *dsdt = base + (DSDT_AT - ACPI_BASE);
	uint32_t dlen = 36 + sizeof(dsdt_aml);

	if (44 + ncpus * 8 + 12 + 20 + 6 > MADT_MAX || ncpus > 255)
		return -E2BIG;
	memset(base, 0, ACPI_SIZE);
	memcpy(facs, "FACS", 4);
	put32(facs + 4, 64);
	facs[32] = 1;				/* version */
	memcpy(dsdt + 36, dsdt_aml, sizeof(dsdt_aml));
	/* virtio-mmio devices (Debian's virtio_mmio takes no command line). */
	dlen += (uint32_t)virtio_mmio_aml(nvmmio, dsdt + dlen, DSDT_MAX - dlen);
	header(dsdt, "DSDT", dlen, 2);
	dsdt[9] = checksum(dsdt, dlen);
	build_fadt(base + (FADT_AT - ACPI_BASE));
	build_madt(base + (MADT_AT - ACPI_BASE), ncpus);
	header(rsdt, "RSDT", 44, 1);
	put32(rsdt + 36, FADT_AT);
	put32(rsdt + 40, MADT_AT);
	rsdt[9] = checksum(rsdt, 44);
	header(xsdt, "XSDT", 52, 1);
	put64(xsdt + 36, FADT_AT);
	put64(xsdt + 44, MADT_AT);
	xsdt[9] = checksum(xsdt, 52);
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "PLUMB ", 6);
	rsdp[15] = 2;				/* revision: XSDT too */
	put32(rsdp + 16, RSDT_AT);
	put32(rsdp + 20, 36);
	put64(rsdp + 24, XSDT_AT);
	rsdp[8] = checksum(rsdp, 20);
	rsdp[32] = checksum(rsdp, 36);
	return 0;
}

static void pm_io(void *opaque, struct io_req *r)
{
	struct acpi_pm *pm = opaque;
	uint64_t ticks, ns;

	switch (r->addr) {
	case 0:		/* PM1a_STS: write 1 to clear */
		if (r->write)
			pm->sts &= (uint16_t)~r->data;
		else
			r->data = pm->sts | ((uint32_t)pm->en << 16);
		if (r->write && r->size == 4)
			pm->en = (uint16_t)(r->data >> 16);
		break;
	case 2:		/* PM1a_EN */
		if (r->write)
			pm->en = (uint16_t)r->data;
		else
			r->data = pm->en;
		break;
	case 4:		/* PM1a_CNT */
		if (!r->write) {
			r->data = pm->cnt;
			break;
		}
		pm->cnt = (uint16_t)((r->data & ~CNT_SLP_EN) | CNT_SCI_EN);
		if (r->data & CNT_SLP_EN)
			vm_stop(r->vm, PLUMB_EXIT_OK,
				"the guest powered off (ACPI sleep state %u)",
				(unsigned int)(r->data >> 10) & 7);
		break;
	case 8:		/* PM_TMR: 24 bits, read-only */
		if (r->write)
			break;
		ns = plumb_clock_ns();
		ticks = (ns / 1000000000ULL) * PM_TMR_HZ +
			(ns % 1000000000ULL) * PM_TMR_HZ / 1000000000ULL;
		r->data = ticks & 0xffffff;
		break;
	default:
		if (!r->write)
			r->data = 0;
		break;
	}
}

static int acpi_init(struct vm *vm, void *priv)
{
	struct acpi_pm *pm = priv;
	uint8_t *base;
	int ret;

	pthread_mutex_init(&pm->lock, NULL);
	pm->cnt = CNT_SCI_EN;
	if (vm->cfg->flat)
		return 0;
	base = gmem_ptr(&vm->mem, ACPI_BASE, ACPI_SIZE);
	if (!base)		/* unit tests: no RAM behind the VM */
		return 0;
	/* A firmware-level device: the virtio-mmio ones exist by now. */
	ret = build_tables(base, vm->ncpus,
			   vm->cfg->virtio == VIRTIO_MMIO ? vm->nvirtio_mmio : 0);
	if (ret)
		return ret;
	return io_register(vm, BUS_PIO, PM_BASE, 12, pm_io, pm, &pm->lock,
			   "acpi-pm", 0);
}

static struct device_type acpi_type = {
	.name = "acpi",
	.level = DEVICE_FIRMWARE,
	.priv_size = sizeof(struct acpi_pm),
	.init = acpi_init,
};
DEVICE_REGISTER(acpi_type);
