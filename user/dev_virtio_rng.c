// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng (virtio 1.2, 5.4): one queue of device-writable buffers,
 * filled from getrandom(2) right on the notifying vCPU's thread: it never
 * blocks once the host's pool is up, and Linux asks for 512 bytes at a
 * time, so an event-thread round trip per request would dominate (1 MiB
 * from /dev/hwrng took 60-75 s in the emulated host that way). Added by
 * --rng.
 */
#include <errno.h>
#include <sys/random.h>

#include "virtio.h"

static size_t fill(void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		/* Never wait here (vm->lock is held): before the host's pool
		 * is up the buffer comes back short, even empty. */
		ssize_t n = getrandom((uint8_t *)buf + done, len - done, GRND_NONBLOCK);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		done += (size_t)n;
	}
	return done;
}

static void rng_queue(struct virtio_dev *d, struct virtq *q)
{
	struct vq_elem *e = d->elem;

	while (virtq_pop(d, q, e) > 0) {
		size_t done = 0;
		unsigned int i;

		for (i = e->nout; i < e->nout + e->nin; i++)
			done += fill(e->iov[i].iov_base, e->iov[i].iov_len);
		virtq_push(q, e->head, (uint32_t)done);
	}
	virtq_notify(d, q);
}

static const struct virtio_dev_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.pci_class = 0x00ff,
	.nqueues = 1,
	.queue_max = 64,
	.inline_queue = true,
	.queue = rng_queue,
};

static int rng_init(struct vm *vm)
{
	if (!vm->cfg->rng)
		return 0;
	return virtio_dev_new(vm, &rng_ops, NULL) ? 0 : -EINVAL;
}

static struct device_type rng_type = {
	.name = "virtio-rng",
	.init = rng_init,
};
DEVICE_REGISTER(rng_type);
