/*
 * dev_tap.c - TAP and TUN devices: frames to and from the kernel through
 * /dev/net/tun. The kernel sees an interface (say "ut0"); the stack sits
 * behind it.
 *   - TAP (IFF_TAP): Ethernet frames. The stack is like a virtual machine's NIC,
 *     with its own MAC address, so the kernel side is a separate host on the same
 *     Ethernet segment (ARP between them).
 *   - TUN (IFF_TUN): bare IPv4 datagrams (US_LINK_IP, no link header, no ARP), a
 *     point-to-point link: the kernel routes a prefix into the interface and the
 *     stack answers. Datagrams of other families (IPv6) are dropped by ip_input.
 * Both share everything below; only the framing differs.
 *
 * With IFF_VNET_HDR (the default) every frame is preceded by a struct
 * virtio_net_hdr_v1 (virtio 1.x spec, 5.1.6 "Device Operation") carrying
 * checksum and segmentation offload state; we negotiate TUN_F_CSUM so the
 * kernel may hand us frames whose L4 checksum is not filled in yet
 * (VIRTIO_NET_HDR_F_NEEDS_CSUM, our US_CSUM_PARTIAL) or already verified
 * (F_DATA_VALID, US_CSUM_VERIFIED), and we may send it PARTIAL frames. We also
 * negotiate TUN_F_TSO4: the kernel may then hand us its TCP super-frames (up to
 * 64 KB of IP, as GRO would build them) instead of cutting them up, one read for
 * what would be 45 frames; we take them whole as large segments. In the other
 * direction the kernel always accepts super-frames from us (US_DEV_CAP_TSO), so
 * a forwarded super-frame goes out whole and the kernel segments it.
 *
 * Receive: one read() per frame (the kernel delivers exactly one frame per
 * read), until EAGAIN or the batch is full. Frames are read into pool buffers;
 * when the MTU is larger than a pool buffer holds (jumbo frames), the read is a
 * readv() whose second part is a per-device spill area, so only frames that
 * really are larger than a pool buffer cost a large buffer (and a copy), not
 * every frame. Transmit: one writev() per frame (TAP has no batching write);
 * EAGAIN means the kernel side's queue is full, and the frame is dropped and
 * counted as tx_dropped.
 *
 * Never called by protocol code: only by us_netdev_poll_rx/us_netdev_flush.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/bytes.h"
#include "core/stack.h"
#include "dev/devices.h"

#define ETH_HLEN 14
#define VLAN_HLEN 4

/* virtio-net header values (virtio 1.x spec, 5.1.6; linux/virtio_net.h). */
#define VNET_F_NEEDS_CSUM 0x01
#define VNET_F_DATA_VALID 0x02
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_UDP 3 /* UFO: deprecated, never produced by current kernels */
#define VNET_GSO_TCPV6 4
#define VNET_GSO_UDP_L4 5
#define VNET_GSO_ECN 0x80

struct tap_priv {
	bool vnet;      /* frames carry a virtio-net header */
	bool tun;       /* IFF_TUN: bare IP datagrams */
	uint8_t *spill; /* receive overflow for frames larger than a pool buffer */
	size_t spill_cap;
};

static const struct us_netdev_ops tap_ops, tun_ops;

int dev_vnet_to_pkt(const uint8_t hdr[VNET_HDR_LEN], struct us_pkt *p)
{
	uint8_t flags = hdr[VNET_OFF_FLAGS];
	uint8_t gso_type = hdr[VNET_OFF_GSO_TYPE];
	uint16_t gso_size = rd16le(hdr + VNET_OFF_GSO_SIZE);
	size_t len = us_pkt_len(p);

	p->csum = US_CSUM_NONE;
	p->csum_start = p->csum_offset = 0;
	p->gso_size = 0;
	p->gso_type = US_GSO_NONE;

	if (flags & VNET_F_NEEDS_CSUM) {
		size_t start = rd16le(hdr + VNET_OFF_CSUM_START);
		size_t off = rd16le(hdr + VNET_OFF_CSUM_OFFSET);
		size_t abs_start = us_pkt_headroom(p) + start;

		/* The 16-bit checksum field must lie inside the frame (the kernel's own
		 * rule in virtio_net_hdr_to_skb), and the start must be representable. */
		if (start + off + 2 > len || abs_start > UINT16_MAX || off > UINT16_MAX)
			return -EBADMSG;
		p->csum = US_CSUM_PARTIAL;
		p->csum_start = (uint16_t)abs_start;
		p->csum_offset = (uint16_t)off;
	} else if (flags & VNET_F_DATA_VALID) {
		p->csum = US_CSUM_VERIFIED;
	}

	/* The ECN bit only says CWR must stay on the first segment if the frame is
	 * re-segmented; a receiver that takes the super-frame whole may ignore it. */
	switch (gso_type & ~VNET_GSO_ECN) {
	case VNET_GSO_NONE:
		if (gso_type & VNET_GSO_ECN)
			return -EBADMSG;
		return 0;
	case VNET_GSO_TCPV4:
		p->gso_type = US_GSO_TCPV4;
		break;
	case VNET_GSO_UDP_L4:
		if (gso_type & VNET_GSO_ECN)
			return -EBADMSG;
		p->gso_type = US_GSO_UDP_L4;
		break;
	default: /* TCPV6 (we are IPv4 only), UFO, unknown */
		return -EBADMSG;
	}
	/* A super-frame is only meaningful with a segment size and a partial checksum
	 * (the segments' checksums are computed when it is split). */
	if (!gso_size || p->csum != US_CSUM_PARTIAL)
		return -EBADMSG;
	p->gso_size = gso_size;
	return 0;
}

int dev_pkt_to_vnet(const struct us_pkt *p, uint8_t hdr[VNET_HDR_LEN])
{
	size_t frame_off = us_pkt_headroom(p);
	size_t len = us_pkt_len(p);
	size_t start = 0, hdr_len = 0;
	uint8_t gso_type = VNET_GSO_NONE;

	memset(hdr, 0, VNET_HDR_LEN);
	if (p->csum == US_CSUM_PARTIAL) {
		if (p->csum_start < frame_off)
			return -EINVAL;
		start = p->csum_start - frame_off;
		if (start + p->csum_offset + 2 > len)
			return -EINVAL;
		hdr[VNET_OFF_FLAGS] = VNET_F_NEEDS_CSUM;
		wr16le(hdr + VNET_OFF_CSUM_START, (uint16_t)start);
		wr16le(hdr + VNET_OFF_CSUM_OFFSET, p->csum_offset);
	}
	/* US_CSUM_VERIFIED means nothing on transmit (a forwarded frame keeps the
	 * state it was received with): the bytes are complete, send no flag. */
	if (!p->gso_size)
		return 0;
	if (p->csum != US_CSUM_PARTIAL)
		return -EINVAL;
	switch (p->gso_type) {
	case US_GSO_TCPV4:
		/* hdr_len: Ethernet + IP + TCP headers, the part copied into every
		 * segment; the TCP header length is its data offset (RFC 9293 3.1). */
		gso_type = VNET_GSO_TCPV4;
		if (start + 12 >= len)
			return -EINVAL;
		hdr_len = start + (size_t)(p->data[start + 12] >> 4) * 4;
		break;
	case US_GSO_UDP_L4:
		gso_type = VNET_GSO_UDP_L4;
		hdr_len = start + 8;
		break;
	default:
		return -EINVAL;
	}
	if (hdr_len > len)
		return -EINVAL;
	hdr[VNET_OFF_GSO_TYPE] = gso_type;
	wr16le(hdr + VNET_OFF_HDR_LEN, (uint16_t)hdr_len);
	wr16le(hdr + VNET_OFF_GSO_SIZE, p->gso_size);
	return 0;
}

/* Largest frame the kernel may hand us: the MTU (or, with TSO negotiated, a 64 KB
 * super-frame's IP datagram) plus an Ethernet header and a VLAN tag (a VLAN device
 * stacked on the TAP on the kernel side); a TUN frame is the datagram alone. */
static size_t tap_frame_max(const struct us_netdev *dev)
{
	const struct tap_priv *tp = dev->priv;
	size_t ip_max = (dev->caps & US_DEV_CAP_GRO) && dev->mtu < 65535 ? 65535 : dev->mtu;

	return tp->tun ? ip_max : ip_max + ETH_HLEN + VLAN_HLEN;
}

/* The largest frame that is not a super-frame, either way: the MTU and link headers. */
static size_t tap_plain_frame_max(const struct us_netdev *dev)
{
	const struct tap_priv *tp = dev->priv;

	return tp->tun ? dev->mtu : (size_t)dev->mtu + ETH_HLEN + VLAN_HLEN;
}

/*
 * Reads one frame of at most @room bytes (the virtio-net header included) into the
 * pool buffer @p, which has room for @first of them; the rest goes to the device's
 * spill area (a readv), which exists only when the MTU needs it. Returns the bytes
 * read (p's length is not changed) or -errno.
 */
static ssize_t tap_read(struct us_netdev *dev, struct us_pkt *p, size_t first, size_t room)
{
	struct tap_priv *tp = dev->priv;
	struct iovec iov[2];
	ssize_t got;

	if (first == room) {
		got = read(dev->fd, p->data, room);
		return got < 0 ? -errno : got;
	}
	if (tp->spill_cap < room - first) {
		/* Grows only when the MTU does, not per frame. */
		uint8_t *sp = realloc(tp->spill, room - first);

		if (!sp)
			return -ENOMEM;
		tp->spill = sp;
		tp->spill_cap = room - first;
	}
	iov[0] = (struct iovec){ .iov_base = p->data, .iov_len = first };
	iov[1] = (struct iovec){ .iov_base = tp->spill, .iov_len = room - first };
	got = readv(dev->fd, iov, 2);
	return got < 0 ? -errno : got;
}

/* A frame of @len bytes read into pool buffer @p (its first @first bytes) and the spill
 * area: moves it into a large buffer. Consumes @p; NULL when none is left (counted). */
static struct us_pkt *tap_unspill(struct us_netdev *dev, struct us_pkt *p, size_t first,
				  size_t len)
{
	struct tap_priv *tp = dev->priv;
	struct us_pkt *big = us_pkt_alloc(&dev->st->pool, len);

	if (big) {
		memcpy(us_pkt_put(big, first), p->data, first);
		memcpy(us_pkt_put(big, len - first), tp->spill, len - first);
	}
	us_pkt_free(p);
	if (!big) {
		dev->stats.rx_dropped++;
		us_drop(dev->st, NULL, US_DROP_NOMEM);
	}
	return big;
}

static int tap_rx_batch(struct us_netdev *dev, struct us_pkt **out, int max)
{
	struct tap_priv *tp = dev->priv;
	struct us_stack *st = dev->st;
	size_t vlen = tp->vnet ? VNET_HDR_LEN : 0;
	/* One byte more than the largest valid frame: a read that fills the whole
	 * buffer was truncated by the kernel. */
	size_t room = vlen + tap_frame_max(dev) + 1;
	size_t first = room < US_PKT_POOL_DATA ? room : US_PKT_POOL_DATA;
	int n = 0, err = 0;

	/* At most @max reads, good frames or bad, and none after a failed one. */
	for (int reads = 0; reads < max; reads++) {
		struct us_pkt *p = us_pkt_alloc(&st->pool, first);
		ssize_t got;

		if (!p)
			break; /* out of buffers: the frame waits in the kernel's queue */
		got = tap_read(dev, p, first, room);
		if (got < 0) {
			us_pkt_free(p); /* a pool buffer: back on the free list, no syscall */
			if (got == -EINTR)
				continue;
			if (got != -EAGAIN && got != -EWOULDBLOCK) {
				err = (int)got;
				dev->stats.rx_errors++;
				us_log_ratelimited(st, US_LOG_WARN, "tap", "%s: read: %s", dev->name,
						   strerror((int)-got));
			}
			break;
		}
		if ((size_t)got >= room || (size_t)got < vlen) {
			dev->stats.rx_errors++;
			us_drop(st, p, US_DROP_DEV_RX_ERROR);
			continue;
		}
		if ((size_t)got > first) {
			p = tap_unspill(dev, p, first, (size_t)got);
			if (!p)
				continue;
		} else {
			us_pkt_put(p, (size_t)got);
		}
		if (vlen) {
			uint8_t hdr[VNET_HDR_LEN];

			memcpy(hdr, p->data, VNET_HDR_LEN);
			us_pkt_pull(p, VNET_HDR_LEN);
			if (dev_vnet_to_pkt(hdr, p) < 0) {
				dev->stats.rx_errors++;
				us_drop(st, p, US_DROP_DEV_RX_ERROR);
				continue;
			}
		}
		/* Only a super-frame may exceed the MTU: anything else longer means the
		 * kernel side's MTU is larger than ours (what truncation meant before
		 * TSO was negotiated). */
		if (!p->gso_size && us_pkt_len(p) > tap_plain_frame_max(dev)) {
			dev->stats.rx_errors++;
			us_drop(st, p, US_DROP_DEV_RX_ERROR);
			continue;
		}
		out[n++] = p;
	}
	us_capture_rx_batch(dev, n);
	/* Frames already read are delivered; a read error is reported with none. */
	return n ? n : err;
}

static int tap_tx_batch(struct us_netdev *dev, struct us_pkt **pkts, int n)
{
	struct tap_priv *tp = dev->priv;
	struct us_stack *st = dev->st;
	bool full = false;
	int sent = 0;

	us_capture_tx_done(dev);
	for (int i = 0; i < n; i++) {
		struct us_pkt *p = pkts[i];
		uint8_t hdr[VNET_HDR_LEN];
		struct iovec iov[2];
		int iovcnt = 0;
		ssize_t w;

		if (full) {
			/* The kernel refused the previous frame: don't retry for each one. */
			dev->stats.tx_dropped++;
			us_drop(st, p, US_DROP_TXQ_FULL);
			continue;
		}
		if (!p->gso_size && us_pkt_len(p) > tap_plain_frame_max(dev)) {
			dev->stats.tx_dropped++;
			us_drop(st, p, US_DROP_MTU_EXCEEDED);
			continue;
		}
		if (tp->vnet) {
			if (dev_pkt_to_vnet(p, hdr) < 0) {
				dev->stats.tx_errors++;
				us_drop(st, p, US_DROP_DEV_TX_ERROR);
				continue;
			}
			iov[iovcnt++] = (struct iovec){ .iov_base = hdr, .iov_len = VNET_HDR_LEN };
		}
		iov[iovcnt++] = (struct iovec){ .iov_base = p->data, .iov_len = us_pkt_len(p) };
		do
			w = writev(dev->fd, iov, iovcnt);
		while (w < 0 && errno == EINTR);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				full = true;
				dev->stats.tx_dropped++;
				us_drop(st, p, US_DROP_TXQ_FULL);
			} else {
				dev->stats.tx_errors++;
				us_log_ratelimited(st, US_LOG_WARN, "tap", "%s: write: %s", dev->name,
						   strerror(errno));
				us_drop(st, p, US_DROP_DEV_TX_ERROR);
			}
			continue;
		}
		if (p->gso_size)
			dev->stats.tx_gso_frames++;
		dev->stats.tx_bytes += us_pkt_len(p);
		us_pkt_free(p);
		sent++;
	}
	return sent;
}

static void tap_close(struct us_netdev *dev)
{
	struct tap_priv *tp = dev->priv;

	if (dev->fd >= 0)
		close(dev->fd); /* a non-persistent TAP interface disappears with it */
	dev->fd = -1;
	free(tp->spill);
	free(tp);
	dev->priv = NULL;
}

static const struct us_netdev_ops tap_ops = {
	.kind = "tap",
	.rx_batch = tap_rx_batch,
	.tx_batch = tap_tx_batch,
	.next_rx_ns = NULL, /* fd-driven */
	.close = tap_close,
};

static const struct us_netdev_ops tun_ops = {
	.kind = "tun",
	.rx_batch = tap_rx_batch,
	.tx_batch = tap_tx_batch,
	.next_rx_ns = NULL,
	.close = tap_close,
};

/* Interface ioctls go through any socket of the namespace (netdevice(7)). */
static int tap_ifreq(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err = 0;

	if (s < 0)
		return -errno;
	if (ioctl(s, req, ifr) < 0)
		err = -errno;
	close(s);
	return err;
}

/* Brings the kernel side up with @mtu (0: keep its MTU). Returns the MTU or -errno. */
static int tap_kernel_setup(const char *ifname, int mtu)
{
	struct ifreq ifr;
	int err;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (mtu > 0) {
		ifr.ifr_mtu = mtu;
		err = tap_ifreq(SIOCSIFMTU, &ifr);
		if (err)
			return err;
	}
	err = tap_ifreq(SIOCGIFMTU, &ifr);
	if (err)
		return err;
	mtu = ifr.ifr_mtu;
	err = tap_ifreq(SIOCGIFFLAGS, &ifr);
	if (err)
		return err;
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		err = tap_ifreq(SIOCSIFFLAGS, &ifr);
		if (err)
			return err;
	}
	return mtu;
}

int dev_tap_set_mtu(struct us_netdev *dev, unsigned mtu)
{
	struct ifreq ifr;

	if (dev->ops != &tap_ops && dev->ops != &tun_ops)
		return -EOPNOTSUPP;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", dev->name);
	ifr.ifr_mtu = (int)mtu;
	return tap_ifreq(SIOCSIFMTU, &ifr);
}

/* Negotiates the virtio-net header and checksum offload on @fd. Returns caps or -errno. */
static int tap_vnet_setup(int fd)
{
	int sz = VNET_HDR_LEN, le = 1;

	if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0)
		return -errno;
	/* Our header codec is little-endian (virtio 1.x); this makes the kernel agree
	 * on big-endian hosts too. Little-endian hosts need it not, so a kernel
	 * without the ioctl is fine there. */
	if (ioctl(fd, TUNSETVNETLE, &le) < 0 && !(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__))
		return -errno;
	/* TUN_F_CSUM: the kernel may send us frames with NEEDS_CSUM; TUN_F_TSO4 (which
	 * needs CSUM): TCP super-frames too. TSO_ECN lets it keep CWR frames whole. */
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN)) < 0) {
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM) < 0)
			return -errno;
		return US_DEV_CAP_RX_CSUM | US_DEV_CAP_TX_CSUM | US_DEV_CAP_TSO;
	}
	/* A tun with a vnet header always accepts NEEDS_CSUM and GSO frames from us. */
	return US_DEV_CAP_RX_CSUM | US_DEV_CAP_TX_CSUM | US_DEV_CAP_TSO | US_DEV_CAP_GRO;
}

static int tuntap_create(struct us_stack *st, const char *ifname, const struct us_tap_opts *opts,
			 bool tun)
{
	struct us_tap_opts defaults = { .vnet_hdr = true };
	struct us_netdev *dev = NULL;
	struct tap_priv *tp = NULL;
	struct ifreq ifr;
	int fd, caps = 0, mtu, err, idx;

	if (!opts)
		opts = &defaults;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Creates the interface in the current network namespace, or attaches to an
	 * existing (persistent) one of that name. */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ifr.ifr_flags = (tun ? IFF_TUN : IFF_TAP) | IFF_NO_PI | (opts->vnet_hdr ? IFF_VNET_HDR : 0);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		goto err_fd;
	}
	if (opts->vnet_hdr) {
		caps = tap_vnet_setup(fd);
		if (caps < 0) {
			err = caps;
			goto err_fd;
		}
	}
	mtu = tap_kernel_setup(ifr.ifr_name, opts->mtu);
	if (mtu < 0) {
		err = mtu;
		goto err_fd;
	}

	err = -ENOMEM;
	tp = calloc(1, sizeof(*tp));
	dev = us_netdev_alloc(ifr.ifr_name, tun ? &tun_ops : &tap_ops);
	if (!tp || !dev)
		goto err_mem;
	tp->vnet = opts->vnet_hdr;
	tp->tun = tun;
	dev->priv = tp;
	dev->fd = fd;
	dev->link = tun ? US_LINK_IP : US_LINK_ETHER;
	dev->mtu = (uint32_t)mtu;
	dev->caps = (uint32_t)caps;
	dev->flags = US_DEV_UP | (tun ? US_DEV_NOARP : 0);
	if (tun) {
		memset(dev->hwaddr, 0, sizeof(dev->hwaddr)); /* no link-layer address */
	} else if (opts->mac) {
		memcpy(dev->hwaddr, opts->mac, US_ETH_ALEN);
	} else {
		/* Our own address, not the kernel interface's: we are the host behind
		 * the TAP. Should the two collide, change ours. */
		dev_make_mac(st, dev->name, dev->hwaddr);
		memset(&ifr.ifr_hwaddr, 0, sizeof(ifr.ifr_hwaddr));
		if (!tap_ifreq(SIOCGIFHWADDR, &ifr) &&
		    !memcmp(ifr.ifr_hwaddr.sa_data, dev->hwaddr, US_ETH_ALEN))
			dev->hwaddr[US_ETH_ALEN - 1] ^= 0x01;
	}
	idx = dev_register(st, dev);
	if (idx < 0) {
		err = idx;
		goto err_mem;
	}
	return idx;

err_mem:
	free(tp);
	free(dev);
err_fd:
	close(fd);
	return err;
}

int dev_tap_create(struct us_stack *st, const char *ifname, const struct us_tap_opts *opts)
{
	return tuntap_create(st, ifname, opts, false);
}

int dev_tun_create(struct us_stack *st, const char *ifname, const struct us_tap_opts *opts)
{
	return tuntap_create(st, ifname, opts, true);
}
