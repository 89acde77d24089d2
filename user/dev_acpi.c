// SPDX-License-Identifier: GPL-2.0
/*
 * The least ACPI a PC guest looks for: tables in the BIOS area (RSDP at
 * 0xf0000, found by the 16-byte scan of 0xe0000-0xfffff; RSDT, a revision-1
 * FADT, an empty DSDT, a FACS) and the fixed hardware they describe: the
 * PM1a event block at 0x600, the PM1a control block at 0x604 (SCI_EN set,
 * so the guest is in ACPI mode; any SLP_EN write powers off, status 0) and
 * the 24-bit PM timer at 0x608 counting at 3.579545 MHz on the host's
 * monotonic clock. kvm-unit-tests' vmexit_inl_pmtimer reads that timer;
 * Linux calibrates its TSC against it. There is no MADT: the vCPUs and the
 * (userspace, for now) APIC are found the classic way.
 *
 * Only for --kernel boots: a --flat image may live in the BIOS area.
 */
#include <string.h>

#include "vm.h"

#define ACPI_BASE	0xf0000ULL
#define RSDP_AT		(ACPI_BASE + 0x000)
#define RSDT_AT		(ACPI_BASE + 0x040)
#define FADT_AT		(ACPI_BASE + 0x080)
#define DSDT_AT		(ACPI_BASE + 0x100)
#define FACS_AT		(ACPI_BASE + 0x140)
#define ACPI_SIZE	0x200

#define PM_BASE		0x600	/* PM1a_EVT 0x600, PM1a_CNT 0x604, PM_TMR 0x608 */
#define PM_TMR_HZ	3579545ULL
#define CNT_SCI_EN	0x0001
#define CNT_SLP_EN	0x2000

static struct {
	uint16_t sts, en, cnt;
} pm;

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

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void build_tables(uint8_t *base)
{
	uint8_t *rsdp = base + (RSDP_AT - ACPI_BASE);
	uint8_t *rsdt = base + (RSDT_AT - ACPI_BASE);
	uint8_t *fadt = base + (FADT_AT - ACPI_BASE);
	uint8_t *dsdt = base + (DSDT_AT - ACPI_BASE);
	uint8_t *facs = base + (FACS_AT - ACPI_BASE);

	memset(base, 0, ACPI_SIZE);
	/* FACS: 64 bytes, no checksum. */
	memcpy(facs, "FACS", 4);
	put32(facs + 4, 64);
	/* DSDT: a header and no AML. */
	header(dsdt, "DSDT", 36, 1);
	dsdt[9] = checksum(dsdt, 36);
	/* FADT revision 1 (ACPI 1.0: 116 bytes). */
	header(fadt, "FACP", 116, 1);
	put32(fadt + 36, FACS_AT);
	put32(fadt + 40, DSDT_AT);
	fadt[46] = 9;				/* SCI_INT */
	put32(fadt + 56, PM_BASE);		/* PM1a_EVT_BLK */
	put32(fadt + 64, PM_BASE + 4);		/* PM1a_CNT_BLK */
	put32(fadt + 76, PM_BASE + 8);		/* PM_TMR_BLK */
	fadt[88] = 4;				/* PM1_EVT_LEN */
	fadt[89] = 2;				/* PM1_CNT_LEN */
	fadt[91] = 4;				/* PM_TMR_LEN */
	put32(fadt + 112, (1U << 0) | (1U << 4) | (1U << 5));	/* WBINVD, no buttons */
	fadt[9] = checksum(fadt, 116);
	/* RSDT: one entry. */
	header(rsdt, "RSDT", 40, 1);
	put32(rsdt + 36, FADT_AT);
	rsdt[9] = checksum(rsdt, 40);
	/* RSDP revision 0: 20 bytes. */
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "PLUMB ", 6);
	put32(rsdp + 16, RSDT_AT);
	rsdp[8] = checksum(rsdp, 20);
}

static void pm_io(void *opaque, struct io_req *r)
{
	uint64_t ticks, ns;

	(void)opaque;
	switch (r->addr) {
	case 0:		/* PM1a_STS: write 1 to clear */
		if (r->write)
			pm.sts &= (uint16_t)~r->data;
		else
			r->data = pm.sts | ((uint32_t)pm.en << 16);
		if (r->write && r->size == 4)
			pm.en = (uint16_t)(r->data >> 16);
		break;
	case 2:		/* PM1a_EN */
		if (r->write)
			pm.en = (uint16_t)r->data;
		else
			r->data = pm.en;
		break;
	case 4:		/* PM1a_CNT */
		if (!r->write) {
			r->data = pm.cnt;
			break;
		}
		pm.cnt = (uint16_t)((r->data & ~CNT_SLP_EN) | CNT_SCI_EN);
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

static int acpi_init(struct vm *vm)
{
	uint8_t *base;

	memset(&pm, 0, sizeof(pm));
	pm.cnt = CNT_SCI_EN;
	if (vm->cfg->flat)
		return 0;
	base = gmem_ptr(&vm->mem, ACPI_BASE, ACPI_SIZE);
	if (!base)		/* unit tests: no RAM behind the VM */
		return 0;
	build_tables(base);
	return io_register(vm, BUS_PIO, PM_BASE, 12, pm_io, NULL, "acpi-pm", 0);
}

static struct device_type acpi_type = {
	.name = "acpi",
	.init = acpi_init,
};
DEVICE_REGISTER(acpi_type)
