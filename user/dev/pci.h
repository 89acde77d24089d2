/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A PCI bus for the launcher's devices (dev/pci.c): configuration mechanism #1
 * at ports 0xcf8/0xcfc, bus 0 only, a host bridge at 00:00.0, and memory
 * BARs placed once, like firmware would, in the PCI window below 4 GiB.
 * The bus is always there, like a PC's (the DSDT declares its root).
 */
#ifndef PLUMB_PCI_H
#define PLUMB_PCI_H

#include <linux/pci_regs.h>

#include "vm.h"

#define PCI_MMIO_BASE	0xe0000000ULL	/* BARs from here up */
#define PCI_MMIO_END	0xfbffffffULL
#define PCI_SLOTS	32

struct pci_dev {
	uint8_t cfg[256];
	uint8_t wmask[256];		/* bits the guest may write */
	uint64_t bar_addr[6];		/* where plumb placed each BAR */
	uint64_t bar_size[6];		/* 0: no BAR */
	unsigned int slot;
	/* After a config write (the bus lock held); optional. */
	void (*cfg_written)(struct pci_dev *p, unsigned int off, unsigned int len);
	/* Before a config read, to refresh computed bytes; optional. */
	void (*cfg_reading)(struct pci_dev *p, unsigned int off, unsigned int len);
	void *opaque;
};

/*
 * Put p on bus 0 (the next free slot) and its BARs in the window. The
 * caller set vendor, device, class and BAR sizes (bar_size, power of 2,
 * 32-bit memory BARs); the BAR ranges are the caller's to register at
 * bar_addr. Creates the bus and its host bridge on first use.
 */
int pci_add(struct vm *vm, struct pci_dev *p);
/* Whether the guest left BAR `bar` decoding where plumb placed it. */
bool pci_bar_active(const struct pci_dev *p, unsigned int bar);

static inline void pci_set16(struct pci_dev *p, unsigned int off, uint16_t v)
{
	p->cfg[off] = (uint8_t)v;
	p->cfg[off + 1] = (uint8_t)(v >> 8);
}

static inline void pci_set32(struct pci_dev *p, unsigned int off, uint32_t v)
{
	pci_set16(p, off, (uint16_t)v);
	pci_set16(p, off + 2, (uint16_t)(v >> 16));
}

static inline uint32_t pci_get32(const struct pci_dev *p, unsigned int off)
{
	return p->cfg[off] | p->cfg[off + 1] << 8 | p->cfg[off + 2] << 16 |
	       (uint32_t)p->cfg[off + 3] << 24;
}

#endif /* PLUMB_PCI_H */
