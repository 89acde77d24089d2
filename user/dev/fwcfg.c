// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's fw_cfg, legacy port interface only (docs/specs/fw_cfg.rst in
 * QEMU): a 16-bit selector written to 0x510, the item's bytes read one by
 * one from 0x511. Items: the signature "QEMU", the interface ID (1: ports,
 * no DMA), RAM_SIZE (3), NB_CPUS (5), MAX_CPUS (0xf), key 0x11 (which
 * kvm-unit-tests reads as a RAM cap: 0 = none), and an empty file
 * directory (0x19). Anything else reads as zeros.
 */
#include <string.h>

#include "vm.h"

#define FW_CFG_PORT_SEL		0x510
#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_ID		0x01
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_MAX_CPUS		0x0f
#define FW_CFG_KUT_MAX_RAM	0x11
#define FW_CFG_FILE_DIR		0x19

struct fw_cfg {
	pthread_mutex_t lock;		/* the state below; io_dispatch takes it */
	uint16_t key;
	uint32_t off;
	uint8_t item[8];
	uint32_t len;
};

static void select_item(struct fw_cfg *fw, struct vm *vm, uint16_t key)
{
	uint64_t ram = vm->mem.low_size + vm->mem.high_size;
	uint16_t cpus = (uint16_t)vm->ncpus;

	fw->key = key;
	fw->off = 0;
	memset(fw->item, 0, sizeof(fw->item));
	switch (key) {
	case FW_CFG_SIGNATURE:
		memcpy(fw->item, "QEMU", 4);
		fw->len = 4;
		break;
	case FW_CFG_ID:
		fw->item[0] = 1;			/* traditional interface */
		fw->len = 4;
		break;
	case FW_CFG_RAM_SIZE:
		memcpy(fw->item, &ram, 8);
		fw->len = 8;
		break;
	case FW_CFG_NB_CPUS:
	case FW_CFG_MAX_CPUS:
		memcpy(fw->item, &cpus, 2);
		fw->len = 2;
		break;
	case FW_CFG_KUT_MAX_RAM:
		fw->len = 8;			/* 0: no cap */
		break;
	case FW_CFG_FILE_DIR:
		fw->len = 4;			/* big-endian count 0 */
		break;
	default:
		fw->len = 0;
		break;
	}
}

static void fw_cfg_io(void *opaque, struct io_req *r)
{
	struct fw_cfg *fw = opaque;

	if (r->addr == 0) {		/* selector */
		if (r->write)
			select_item(fw, r->vm, (uint16_t)r->data);
		else
			r->data = fw->key;
		return;
	}
	if (r->write || r->addr != 1)
		return;			/* data writes: ignored (as QEMU >= 2.4) */
	r->data = fw->off < fw->len ? fw->item[fw->off] : 0;
	if (fw->off < fw->len)
		fw->off++;
}

static int fw_cfg_init(struct vm *vm, void *priv)
{
	struct fw_cfg *fw = priv;

	pthread_mutex_init(&fw->lock, NULL);
	select_item(fw, vm, FW_CFG_SIGNATURE);
	return io_register(vm, BUS_PIO, FW_CFG_PORT_SEL, 2, fw_cfg_io, fw, &fw->lock,
			   "fw_cfg", 0);
}

static struct device_type fw_cfg_type = {
	.name = "fw_cfg",
	.level = DEVICE_FIRMWARE,
	.priv_size = sizeof(struct fw_cfg),
	.init = fw_cfg_init,
};
DEVICE_REGISTER(fw_cfg_type);
