// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console (virtio 1.2, 5.3), one port without the multiport
 * feature: the guest's hvc0. Added by --vconsole; it then takes the
 * terminal's input in place of COM1, and its output goes where COM1's
 * does, written on the vCPU's thread like COM1's. Input that finds no receive buffer waits in a small FIFO (the
 * excess is dropped, as a UART's overrun would).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_console.h>

#include "virtio/virtio.h"

#define RXQ		0
#define TXQ		1
#define FIFO_SIZE	4096
/* Output bytes taken from one chain; the rest is dropped. Linux's
 * largest write is 32 KiB. */
#define TX_CHAIN_MAX	(64 * 1024)

struct vcon {
	struct virtio_dev *d;
	uint8_t fifo[FIFO_SIZE];
	size_t head, len;
};

/* Pending input into the receive queue (device lock held). */
static void vcon_rx(struct virtio_dev *d)
{
	struct vcon *c = d->priv;
	struct virtq *q = &d->vq[RXQ];
	struct vq_elem *e = d->elem;

	while (c->len && virtq_pop(d, q, e) > 0) {
		size_t done = 0;

		while (c->len && done < e->in_len) {
			size_t chunk = FIFO_SIZE - c->head;

			if (chunk > c->len)
				chunk = c->len;
			chunk = iov_from_buf(e->iov + e->nout, e->nin, done,
					     c->fifo + c->head, chunk);
			if (!chunk)
				break;
			done += chunk;
			c->head = (c->head + chunk) % FIFO_SIZE;
			c->len -= chunk;
		}
		virtq_push(q, e->head, (uint32_t)done);
	}
	virtq_notify(d, q);
}

static void vcon_tx(struct virtio_dev *d)
{
	struct virtq *q = &d->vq[TXQ];
	struct vq_elem *e = d->elem;
	unsigned int taken = 0;

	while (virtq_budget(d, q, &taken) && virtq_pop(d, q, e) > 0) {
		size_t room = TX_CHAIN_MAX;
		unsigned int i;

		for (i = 0; i < e->nout && room; i++) {
			const uint8_t *p = e->iov[i].iov_base;
			size_t left = e->iov[i].iov_len < room ? e->iov[i].iov_len : room;

			room -= left;
			vm_output(d->vm, p, left);	/* gone: dropped, as COM1's */
		}
		virtq_push(q, e->head, 0);
	}
	virtq_notify(d, q);
}

static void vcon_queue(struct virtio_dev *d, struct virtq *q)
{
	if (q->index == RXQ)
		vcon_rx(d);
	else
		vcon_tx(d);
}

/* Keyboard bytes (core/console.c). */
static void vcon_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct vcon *c = opaque;
	struct virtio_dev *d = c->d;

	pthread_mutex_lock(&d->lock);
	while (len-- && c->len < FIFO_SIZE) {
		c->fifo[(c->head + c->len) % FIFO_SIZE] = *buf++;
		c->len++;
	}
	if (d->vq[RXQ].ready && virtio_running(d))
		vcon_rx(d);
	pthread_mutex_unlock(&d->lock);
	virtio_update_intx(d);
}

static void vcon_reset(struct virtio_dev *d)
{
	struct vcon *c = d->priv;

	c->head = c->len = 0;
}

static void vcon_fini(struct virtio_dev *d)
{
	free(d->priv);
}

static const struct virtio_dev_ops vcon_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.pci_class = 0x0780,			/* communication, other */
	.nqueues = 2,
	.queue_max = 64,
	.config_len = sizeof(struct virtio_console_config),
	/* Linux's hvc output spins, lock held, until the buffer comes back:
	 * its notification must exit, and is served at once, on the vCPU's
	 * thread, as COM1's output is. */
	.inline_queue = true,
	.notify_exits = true,
	.queue = vcon_queue,
	.reset = vcon_reset,
	.fini = vcon_fini,
};

static int vcon_init(struct vm *vm, void *priv)
{
	struct vcon *c;

	(void)priv;
	if (!vm->cfg->vconsole)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->d = virtio_dev_new(vm, &vcon_ops, c);
	if (!c->d) {
		free(c);
		return -EINVAL;
	}
	console_set_input(vm, vcon_input, c);
	return 0;
}

static struct device_type vcon_type = {
	.name = "virtio-console",
	.level = DEVICE_VIRTIO,
	.init = vcon_init,
};
DEVICE_REGISTER(vcon_type);
