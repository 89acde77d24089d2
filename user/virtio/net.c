// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net (virtio 1.2, 5.1) on a TAP device: --net tap[=NAME][,bridge=BR].
 * The tap is created (or, if NAME exists and is ours, opened) through
 * /dev/net/tun with IFF_VNET_HDR, so the 12-byte virtio-net header goes
 * through unchanged and checksum and TSO offloads cost nothing here; it is
 * then brought up and put on the bridge with libnl-route.
 *
 * Transmit: each chain is one writev() to the tap. Receive: the tap is
 * read on the event thread (edge-triggered) only while the guest has
 * buffers; a packet that finds none waits, and the guest's next receive
 * notification resumes. With VIRTIO_NET_F_MRG_RXBUF a packet spans
 * several buffers (num_buffers in its header).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "virtio/virtio.h"

#define RXQ		0
#define TXQ		1
#define QUEUE_MAX	256
#define HDR_LEN		sizeof(struct virtio_net_hdr_mrg_rxbuf)
#define PKT_MAX		(HDR_LEN + 65536)
#define MRG_MAX		64		/* buffers one packet may take */

struct net {
	int fd;
	char ifname[IFNAMSIZ];
	struct virtio_dev *d;
	bool rx_stalled;		/* stopped for want of buffers */
	size_t pending;			/* bytes of the packet in rxbuf */
	uint8_t rxbuf[PKT_MAX];
	struct { uint16_t head; uint32_t len; } used[MRG_MAX];
};

static bool mrg(const struct virtio_dev *d)
{
	return d->guest_features & (1ULL << VIRTIO_NET_F_MRG_RXBUF);
}

static uint8_t *iov_byte(const struct iovec *iov, unsigned int n, size_t off)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (off < iov[i].iov_len)
			return (uint8_t *)iov[i].iov_base + off;
		off -= iov[i].iov_len;
	}
	return NULL;
}

/* The pending packet into receive buffers; false if they ran out. */
static bool rx_deliver(struct virtio_dev *d, struct net *n)
{
	struct virtq *q = &d->vq[RXQ];
	struct vq_elem *e = d->elem;
	unsigned int nb = 0, i;
	uint8_t *num_at[2] = { NULL, NULL };
	size_t off = 0;
	int r;

	while (off < n->pending) {
		size_t c;

		if (nb == MRG_MAX || (nb && !mrg(d))) {
			/* Too small for the packet: dropped, buffers used empty. */
			break;
		}
		r = virtq_pop(d, q, e);
		if (r < 0)
			return true;		/* broken: nothing more */
		if (!r) {
			while (nb--)
				virtq_unpop(q);
			return false;
		}
		c = iov_from_buf(e->iov + e->nout, e->nin, 0, n->rxbuf + off,
				 n->pending - off);
		if (!nb && c < HDR_LEN) {
			virtio_broken(d, "receive buffer of %zu bytes, less than the header", c);
			return true;
		}
		if (!nb) {
			size_t o = offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers);

			num_at[0] = iov_byte(e->iov + e->nout, e->nin, o);
			num_at[1] = iov_byte(e->iov + e->nout, e->nin, o + 1);
		}
		n->used[nb].head = e->head;
		n->used[nb].len = (uint32_t)c;
		nb++;
		off += c;
	}
	/* num_buffers, in the first buffer's header (5.1.6.4). */
	if (nb && num_at[0] && num_at[1]) {
		*num_at[0] = (uint8_t)nb;
		*num_at[1] = (uint8_t)(nb >> 8);
	}
	for (i = 0; i < nb; i++)
		virtq_push(q, n->used[i].head, n->used[i].len);
	n->pending = 0;
	return true;
}

static void net_rx(struct virtio_dev *d)
{
	struct net *n = d->priv;
	unsigned int taken = 0;

	for (;;) {
		/* A packet may take several chains: the budget counts packets. */
		if (!virtq_budget(d, &d->vq[RXQ], &taken))
			break;
		if (!n->pending) {
			ssize_t r;

			if (!virtq_has_buffers(&d->vq[RXQ])) {
				n->rx_stalled = true;
				break;
			}
			r = read(n->fd, n->rxbuf, sizeof(n->rxbuf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= (ssize_t)HDR_LEN) {
				n->rx_stalled = false;	/* drained (EAGAIN) */
				break;
			}
			n->pending = (size_t)r;
		}
		if (!rx_deliver(d, n)) {
			n->rx_stalled = true;
			break;
		}
		if (d->status & VIRTIO_CONFIG_S_NEEDS_RESET)
			break;
	}
	virtq_notify(d, &d->vq[RXQ]);
}

static void net_tx(struct virtio_dev *d)
{
	struct net *n = d->priv;
	struct virtq *q = &d->vq[TXQ];
	struct vq_elem *e = d->elem;
	unsigned int taken = 0;

	while (virtq_budget(d, q, &taken) && virtq_pop(d, q, e) > 0) {
		if (e->out_len < HDR_LEN) {
			virtio_broken(d, "transmit chain of %llu bytes, less than the header",
				      (unsigned long long)e->out_len);
			return;
		}
		/* The tap takes the header as is; a full tap drops, as a wire. */
		while (writev(n->fd, e->iov, (int)e->nout) < 0 && errno == EINTR)
			;
		virtq_push(q, e->head, 0);
	}
	virtq_notify(d, q);
}

static void net_queue(struct virtio_dev *d, struct virtq *q)
{
	if (q->index == RXQ)
		net_rx(d);
	else if (q->index == TXQ)
		net_tx(d);
}

static void tap_event(struct vm *vm, void *opaque, uint32_t events)
{
	struct net *n = opaque;
	struct virtio_dev *d = n->d;

	(void)vm;
	(void)events;
	pthread_mutex_lock(&d->lock);
	if (virtio_running(d) && d->vq[RXQ].ready)
		net_rx(d);
	pthread_mutex_unlock(&d->lock);
	virtio_update_intx(d);
}

/* The offloads the guest accepted are the ones the tap may hand us. */
static void net_driver_ok(struct virtio_dev *d)
{
	struct net *n = d->priv;
	unsigned int off = 0;

	if (d->guest_features & (1ULL << VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (d->guest_features & (1ULL << VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (d->guest_features & (1ULL << VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
	}
	if (ioctl(n->fd, TUNSETOFFLOAD, off))
		vm_log(d->vm, "%s: TUNSETOFFLOAD %#x: %s", d->name, off, strerror(errno));
}

static void net_reset(struct virtio_dev *d)
{
	struct net *n = d->priv;

	n->pending = 0;
	n->rx_stalled = false;
	if (n->fd >= 0)
		(void)ioctl(n->fd, TUNSETOFFLOAD, 0);
}

static void net_fini(struct virtio_dev *d)
{
	struct net *n = d->priv;

	if (n->fd >= 0) {
		event_del(d->vm, n->fd);
		close(n->fd);
	}
	free(n);
}

static const struct virtio_dev_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.pci_class = 0x0200,
	.nqueues = 2,
	.queue_max = QUEUE_MAX,
	.features = (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
		    (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) |
		    (1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_TSO4) |
		    (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) |
		    (1ULL << VIRTIO_NET_F_STATUS),
	.config_len = offsetof(struct virtio_net_config, mtu),
	.queue = net_queue,
	.driver_ok = net_driver_ok,
	.reset = net_reset,
	.fini = net_fini,
};

/* Up, and on the bridge if asked: libnl-route. */
static int link_setup(const char *ifname, const char *bridge)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *link = NULL, *br = NULL, *change = NULL;
	int err;

	if (!sk)
		return plumb_err("--net: out of memory"), -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (!err)
		err = rtnl_link_get_kernel(sk, 0, ifname, &link);
	if (err) {
		plumb_err("--net: %s: %s", ifname, nl_geterror(err));
		goto out;
	}
	change = rtnl_link_alloc();
	if (!change) {
		err = -NLE_NOMEM;
		goto out;
	}
	rtnl_link_set_flags(change, IFF_UP);
	if (bridge) {
		err = rtnl_link_get_kernel(sk, 0, bridge, &br);
		if (err) {
			plumb_err("--net: bridge %s: %s", bridge, nl_geterror(err));
			goto out;
		}
		rtnl_link_set_master(change, rtnl_link_get_ifindex(br));
	}
	err = rtnl_link_change(sk, link, change, 0);
	if (err)
		plumb_err("--net: %s: bringing it up%s%s: %s", ifname,
			  bridge ? " on bridge " : "", bridge ? bridge : "",
			  nl_geterror(err));
out:
	if (change)
		rtnl_link_put(change);
	if (br)
		rtnl_link_put(br);
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return err ? -EIO : 0;
}

static int tap_open(const struct nic_config *nc, char *ifname)
{
	struct ifreq ifr;
	int fd, hdr = HDR_LEN, err;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		plumb_err("--net: /dev/net/tun: %s", strerror(err));
		return -err;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (nc->tap)
		memcpy(ifr.ifr_name, nc->tap, strnlen(nc->tap, IFNAMSIZ - 1));
	if (ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETVNETHDRSZ, &hdr)) {
		err = errno;
		plumb_err("--net: tap%s%s: %s%s", nc->tap ? " " : "",
			  nc->tap ? nc->tap : "", strerror(err),
			  err == EPERM ? " (needs CAP_NET_ADMIN, or a tap made for you: "
					 "ip tuntap add NAME mode tap vnet_hdr user YOU)" : "");
		close(fd);
		return -err;
	}
	memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
	ifname[IFNAMSIZ - 1] = 0;
	return fd;
}

/* The tap, up and bridged: its fd, or -errno after a message. */
static int tap_setup(const struct nic_config *nc, char *ifname)
{
	int fd = tap_open(nc, ifname), ret;

	if (fd < 0)
		return fd;
	ret = link_setup(ifname, nc->bridge);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int (*net_tap_setup)(const struct nic_config *nc, char *ifname) = tap_setup;

static int net_add(struct vm *vm, const struct nic_config *nc)
{
	struct virtio_net_config c = { 0 };
	struct net *n = calloc(1, sizeof(*n));
	int ret;

	if (!n)
		return -ENOMEM;
	n->fd = net_tap_setup(nc, n->ifname);
	if (n->fd < 0) {
		ret = n->fd;
		free(n);
		return ret;
	}
	n->d = virtio_dev_new(vm, &net_ops, n);
	if (!n->d) {
		ret = -EINVAL;
		goto fail;
	}
	/* 52:54:00 (QEMU's prefix, which tools know) and three random bytes. */
	c.mac[0] = 0x52;
	c.mac[1] = 0x54;
	if (getrandom(c.mac + 3, 3, 0) != 3)
		c.mac[5] = (uint8_t)vm->nvirtio_mmio;
	c.status = htole16(VIRTIO_NET_S_LINK_UP);
	c.max_virtqueue_pairs = htole16(1);
	memcpy(n->d->config, &c, offsetof(struct virtio_net_config, mtu));
	ret = event_add(vm, n->fd, EPOLLIN | EPOLLET, tap_event, n);
	if (ret)
		return ret;	/* n belongs to the device now */
	vm_log(vm, "%s: tap %s%s%s", n->d->name, n->ifname,
	       nc->bridge ? " on bridge " : "", nc->bridge ? nc->bridge : "");
	return 0;
fail:
	close(n->fd);
	free(n);
	return ret;
}

static int net_init(struct vm *vm, void *priv)
{
	unsigned int i;
	int ret;

	(void)priv;
	for (i = 0; i < vm->cfg->nnics; i++) {
		ret = net_add(vm, &vm->cfg->nics[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static struct device_type net_type = {
	.name = "virtio-net",
	.level = DEVICE_VIRTIO,
	.init = net_init,
};
DEVICE_REGISTER(net_type);
