// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng (virtio 1.2, 5.4): one queue of device-writable buffers,
 * filled from getrandom(2) right on the notifying vCPU's thread: it never
 * blocks once the host's pool is up, and Linux asks for 512 bytes at a
 * time, so an event-thread round trip per request would dominate (1 MiB
 * from /dev/hwrng took 60-75 s in the emulated host that way). Before
 * the host's pool is up (early in a slow emulated host's boot) requests
 * go to the event thread, which waits for it. Added by --rng.
 *
 * A chain gets at most RNG_CHAIN_MAX bytes (5.4.6.2 asks for one at
 * least): a chain may offer 1024 segments each spanning all of RAM, and
 * filling that would hold the device lock for hours.
 */
#include <errno.h>
#include <sys/random.h>

#include "virtio/virtio.h"

#define RNG_CHAIN_MAX	(64 * 1024)

/* Fill buf; with `wait` false, stop where the host's pool is not up yet. */
static size_t fill(void *buf, size_t len, bool wait)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = getrandom((uint8_t *)buf + done, len - done,
				      wait ? 0 : GRND_NONBLOCK);

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
	unsigned int taken = 0;

	while (virtq_budget(d, q, &taken) && virtq_pop(d, q, e) > 0) {
		size_t done = 0;
		unsigned int i;

		for (i = e->nout; i < e->nout + e->nin && done < RNG_CHAIN_MAX; i++) {
			size_t want = e->iov[i].iov_len, got;

			if (want > RNG_CHAIN_MAX - done)
				want = RNG_CHAIN_MAX - done;
			got = fill(e->iov[i].iov_base, want, d->on_event_thread);
			done += got;
			if (got < want)
				break;		/* the host's pool is not up yet */
		}
		if (!done && !d->on_event_thread) {
			/* 5.4.6.2: at least one byte. Before the host's pool
			 * is up that means waiting: on the event thread. */
			virtq_unpop(q);
			virtio_defer(d, q);
			break;
		}
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

static int rng_init(struct vm *vm, void *priv)
{
	(void)priv;
	if (!vm->cfg->rng)
		return 0;
	return virtio_dev_new(vm, &rng_ops, NULL) ? 0 : -EINVAL;
}

static struct device_type rng_type = {
	.name = "virtio-rng",
	.level = DEVICE_VIRTIO,
	.init = rng_init,
};
DEVICE_REGISTER(rng_type);
