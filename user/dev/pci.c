// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI bus (dev/pci.h). Configuration mechanism #1 (PCI Local Bus 3.0,
 * 3.2.2.3.2): a 32-bit write to 0xcf8 selects bus/device/function/register,
 * 0xcfc-0xcff move the data. Absent functions read all ones, as the
 * kvm-unit-tests scan and Linux's probe expect. Only function 0 of bus 0
 * exists. BARs are sized the standard way (write all ones, read the mask)
 * but not moved: a BAR rewritten to another address stops decoding
 * (docs/virtio.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dev/pci.h"

#define CF8_ENABLE	0x80000000U

struct pci_bus {
	pthread_mutex_t lock;		/* cf8 and configuration space */
	uint32_t cf8;
	struct pci_dev *dev[PCI_SLOTS];
	struct pci_dev bridge;
	uint64_t next_mmio;
};

static struct pci_dev *selected(struct pci_bus *b, unsigned int *reg)
{
	uint32_t a = b->cf8;

	if (!(a & CF8_ENABLE) || (a >> 16 & 0xff) || (a >> 8 & 7))
		return NULL;		/* bus 0 function 0 only */
	*reg = a & 0xfc;
	return b->dev[a >> 11 & 0x1f];
}

static void cfg_read(struct pci_dev *p, unsigned int off, unsigned int len,
		     uint64_t *data)
{
	uint64_t v = 0;

	if (p->cfg_reading)
		p->cfg_reading(p, off, len);
	memcpy(&v, p->cfg + off, len);
	*data = v;
}

static void cfg_write(struct pci_dev *p, unsigned int off, unsigned int len,
		      uint64_t data)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		uint8_t m = p->wmask[off + i], v = (uint8_t)(data >> (8 * i));

		p->cfg[off + i] = (uint8_t)((p->cfg[off + i] & ~m) | (v & m));
	}
	/* Status bits are write-one-to-clear; we never set any. */
	if (p->cfg_written)
		p->cfg_written(p, off, len);
}

static void cf8_io(void *opaque, struct io_req *r)
{
	struct pci_bus *b = opaque;

	if (r->size != 4)
		return;		/* byte probes of mechanism #2: ignored */
	if (r->write)
		b->cf8 = (uint32_t)r->data;
	else
		r->data = b->cf8;
}

static void cfc_io(void *opaque, struct io_req *r)
{
	struct pci_bus *b = opaque;
	unsigned int reg;
	struct pci_dev *p = selected(b, &reg);

	reg += (unsigned int)r->addr;
	if (!p || reg + r->size > 256) {
		if (!r->write)
			r->data = ~0ULL;
		return;
	}
	if (r->write)
		cfg_write(p, reg, r->size, r->data);
	else
		cfg_read(p, reg, r->size, &r->data);
}

bool pci_bar_active(const struct pci_dev *p, unsigned int bar)
{
	uint32_t v = pci_get32(p, PCI_BASE_ADDRESS_0 + 4 * bar);

	return (p->cfg[PCI_COMMAND] & PCI_COMMAND_MEMORY) &&
	       (v & PCI_BASE_ADDRESS_MEM_MASK) == p->bar_addr[bar];
}

static int pci_bus_init(struct vm *vm)
{
	struct pci_bus *b = calloc(1, sizeof(*b));
	struct pci_dev *h;
	int ret;

	if (!b)
		return -ENOMEM;
	pthread_mutex_init(&b->lock, NULL);
	ret = io_register(vm, BUS_PIO, 0xcf8, 4, cf8_io, b, &b->lock, "pci-cf8",
			  0);
	if (!ret)
		ret = io_register(vm, BUS_PIO, 0xcfc, 4, cfc_io, b, &b->lock,
				  "pci-cfc", 0);
	if (ret) {
		free(b);
		return ret;
	}
	/* 00:00.0, a host bridge: Linux's type-1 probe looks for one. */
	h = &b->bridge;
	pci_set16(h, PCI_VENDOR_ID, 0x1b36);	/* Red Hat, QEMU's IDs */
	pci_set16(h, PCI_DEVICE_ID, 0x0008);	/* "PCIe host bridge" */
	pci_set16(h, PCI_CLASS_DEVICE, 0x0600);
	h->wmask[PCI_COMMAND] = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	b->dev[0] = h;
	b->next_mmio = PCI_MMIO_BASE;
	vm->pci = b;
	return 0;
}

int pci_add(struct vm *vm, struct pci_dev *p)
{
	struct pci_bus *b;
	unsigned int slot, i;

	b = vm->pci;
	if (!b)
		return -ENODEV;		/* pci_init failed, or not yet run */
	for (slot = 1; slot < PCI_SLOTS && b->dev[slot]; slot++)
		;
	if (slot == PCI_SLOTS)
		return -ENOSPC;
	for (i = 0; i < 6; i++) {
		uint64_t sz = p->bar_size[i], at;
		uint32_t mask;

		if (!sz)
			continue;
		if (sz & (sz - 1) || sz < 16)
			return -EINVAL;
		at = (b->next_mmio + sz - 1) & ~(sz - 1);	/* natural alignment */
		if (at + sz - 1 > PCI_MMIO_END)
			return -ENOSPC;
		b->next_mmio = at + sz;
		p->bar_addr[i] = at;
		pci_set32(p, PCI_BASE_ADDRESS_0 + 4 * i, (uint32_t)at);
		mask = (uint32_t)~(sz - 1);
		pci_set32(p, PCI_BASE_ADDRESS_0 + 4 * i, (uint32_t)at);
		p->wmask[PCI_BASE_ADDRESS_0 + 4 * i] = (uint8_t)(mask & 0xf0);
		p->wmask[PCI_BASE_ADDRESS_0 + 4 * i + 1] = (uint8_t)(mask >> 8);
		p->wmask[PCI_BASE_ADDRESS_0 + 4 * i + 2] = (uint8_t)(mask >> 16);
		p->wmask[PCI_BASE_ADDRESS_0 + 4 * i + 3] = (uint8_t)(mask >> 24);
	}
	p->wmask[PCI_COMMAND] |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	p->wmask[PCI_COMMAND + 1] |= PCI_COMMAND_INTX_DISABLE >> 8;
	p->wmask[PCI_INTERRUPT_LINE] = 0xff;
	/* Decoding on, as firmware leaves an assigned device. */
	p->cfg[PCI_COMMAND] |= PCI_COMMAND_MEMORY;
	p->slot = slot;
	b->dev[slot] = p;
	return 0;
}

static void pci_fini(struct vm *vm, void *priv)
{
	(void)priv;
	free(vm->pci);
	vm->pci = NULL;
}

/*
 * Always there, like a PC's: the DSDT declares it (dev/acpi.c). A bus
 * level device: the virtio models add their functions after.
 */
static int pci_init(struct vm *vm, void *priv)
{
	(void)priv;
	return pci_bus_init(vm);
}

static struct device_type pci_type = {
	.name = "pci",
	.level = DEVICE_BUS,
	.init = pci_init,
	.fini = pci_fini,
};
DEVICE_REGISTER(pci_type);
