/*
 * dev_packet.c - AF_PACKET device (MISSION A3): the stack drives an existing
 * Ethernet interface (one end of a veth pair, a NIC) through a packet socket, as
 * a userspace driver would. The kernel keeps the interface, so it should carry no
 * kernel IPv4 address; the stack uses the interface's own MAC address unless given
 * another one (then the interface is put in promiscuous mode for our socket).
 *
 * Receive: a PACKET_MMAP ring of TPACKET_V3 blocks. The kernel fills a block with
 * as many frames as fit and hands it over (block_status TP_STATUS_USER) when it is
 * full or after tp_retire_blk_tov milliseconds; we copy each frame into a pool
 * buffer and give the block back. So one wake-up serves a whole block under load,
 * at the price of up to that timeout of latency when traffic is sparse (the kernel
 * only hands over whole blocks). Frames we sent ourselves are not looped back
 * (PACKET_IGNORE_OUTGOING).
 *
 * With PACKET_VNET_HDR each frame comes with a struct virtio_net_hdr just before
 * its MAC header: the kernel tells us when a checksum is only partial (frames of
 * the peer's TCP over a veth) or already verified, and hands over its GSO
 * super-frames whole (up to 64 KB: taken as one large segment, like GRO). The
 * header is the legacy 10-byte one, the same fields as the TAP's virtio 1.x header
 * without num_buffers, in the host's byte order (little-endian: the only hosts we
 * build for, checked below).
 *
 * Transmit: sendmmsg of the whole batch (one syscall), each frame behind its
 * virtio-net header, so partial checksums go out for the kernel to finish.
 *
 * Never called by protocol code: only by us_netdev_poll_rx/us_netdev_flush.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/stack.h"
#include "dev/devices.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "AF_PACKET's virtio-net header is in host order; our codec is little-endian");

#define PKT_VNET_LEN 10          /* struct virtio_net_hdr (legacy, no num_buffers) */
#define PKT_BLOCK_SIZE (1u << 20) /* a block holds a 64 KB GSO frame with room to spare */
#define PKT_BLOCKS 8
#define PKT_FRAME_HINT 2048      /* tp_frame_size: only a sizing hint for V3 */
#define PKT_RETIRE_MS 1          /* hand over a partly filled block after 1 ms */
#define PKT_TX_MAX 64            /* frames per sendmmsg */
#define PKT_FRAME_MAX (64u * 1024 + 14 + 4) /* a GSO frame: 64 KB of IP, Ethernet, VLAN */

struct packet_priv {
	uint8_t *ring;
	size_t ring_len;
	unsigned block;              /* the block being read */
	unsigned left;               /* frames of it still to read (0: not started) */
	uint32_t next_off;           /* offset in the block of the next frame */
};

static const struct us_netdev_ops packet_ops;

static struct tpacket_block_desc *block_at(struct packet_priv *pp, unsigned i)
{
	return (struct tpacket_block_desc *)(pp->ring + (size_t)i * PKT_BLOCK_SIZE);
}

/* Gives the current block back to the kernel and moves to the next. */
static void block_done(struct packet_priv *pp)
{
	__atomic_store_n(&block_at(pp, pp->block)->hdr.bh1.block_status, TP_STATUS_KERNEL,
			 __ATOMIC_RELEASE);
	pp->block = (pp->block + 1) % PKT_BLOCKS;
	pp->left = 0;
}

/* One frame of the ring into a pool buffer, or NULL (dropped and counted). */
static struct us_pkt *packet_take(struct us_netdev *dev, const struct tpacket3_hdr *h,
				  size_t room)
{
	struct us_stack *st = dev->st;
	uint8_t hdr[VNET_HDR_LEN];
	struct us_pkt *p;

	/* The kernel's offsets, still checked: the frame and its header lie in the
	 * block, the whole frame was copied (snaplen == len), and it fits our limit. */
	if (h->tp_mac < PKT_VNET_LEN || (size_t)h->tp_mac + h->tp_snaplen > room ||
	    h->tp_snaplen != h->tp_len || h->tp_snaplen < 14 || h->tp_snaplen > PKT_FRAME_MAX) {
		dev->stats.rx_errors++;
		us_drop(st, NULL, US_DROP_DEV_RX_ERROR);
		return NULL;
	}
	p = us_pkt_alloc(&st->pool, h->tp_snaplen);
	if (!p) {
		dev->stats.rx_dropped++;
		us_drop(st, NULL, US_DROP_NOMEM);
		return NULL;
	}
	memcpy(us_pkt_put(p, h->tp_snaplen), (const uint8_t *)h + h->tp_mac, h->tp_snaplen);
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, (const uint8_t *)h + h->tp_mac - PKT_VNET_LEN, PKT_VNET_LEN);
	if (dev_vnet_to_pkt(hdr, p) < 0) {
		dev->stats.rx_errors++;
		us_drop(st, p, US_DROP_DEV_RX_ERROR);
		return NULL;
	}
	return p;
}

static int packet_rx_batch(struct us_netdev *dev, struct us_pkt **out, int max)
{
	struct packet_priv *pp = dev->priv;
	int n = 0;

	/* At most one pass over the ring: blocks are consumed in order. */
	for (unsigned visited = 0; n < max && visited <= PKT_BLOCKS;) {
		struct tpacket_block_desc *bd = block_at(pp, pp->block);
		const uint8_t *base = (const uint8_t *)bd;

		if (!pp->left) {
			if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
			      TP_STATUS_USER))
				break;
			pp->left = bd->hdr.bh1.num_pkts;
			pp->next_off = bd->hdr.bh1.offset_to_first_pkt;
			visited++;
			if (!pp->left) {
				block_done(pp);
				continue;
			}
		}
		while (pp->left && n < max) {
			const struct tpacket3_hdr *h;
			struct us_pkt *p;

			if (pp->next_off < sizeof(*bd) ||
			    pp->next_off + sizeof(*h) > PKT_BLOCK_SIZE) {
				/* A corrupt chain: give the block back rather than read past it. */
				dev->stats.rx_errors++;
				us_drop(dev->st, NULL, US_DROP_DEV_RX_ERROR);
				pp->left = 0;
				break;
			}
			h = (const struct tpacket3_hdr *)(base + pp->next_off);
			p = packet_take(dev, h, PKT_BLOCK_SIZE - pp->next_off);
			if (p)
				out[n++] = p;
			if (--pp->left) {
				if (!h->tp_next_offset) { /* fewer frames chained than counted */
					dev->stats.rx_errors++;
					us_drop(dev->st, NULL, US_DROP_DEV_RX_ERROR);
					pp->left = 0;
					break;
				}
				pp->next_off += h->tp_next_offset;
			}
		}
		if (!pp->left)
			block_done(pp);
	}
	us_capture_rx_batch(dev, n);
	return n;
}

static int packet_tx_batch(struct us_netdev *dev, struct us_pkt **pkts, int n)
{
	struct us_stack *st = dev->st;
	struct mmsghdr msgs[PKT_TX_MAX];
	struct iovec iov[PKT_TX_MAX][2];
	uint8_t vh[PKT_TX_MAX][VNET_HDR_LEN];
	struct us_pkt *ready[PKT_TX_MAX];
	int sent = 0;

	us_capture_tx_done(dev);
	for (int i = 0; i < n;) {
		int k = 0, r;

		/* Build up to PKT_TX_MAX messages; frames that cannot go are dropped here. */
		for (; i < n && k < PKT_TX_MAX; i++) {
			struct us_pkt *p = pkts[i];

			if (!p->gso_size && us_pkt_len(p) > (size_t)dev->mtu + 14 + 4) {
				dev->stats.tx_dropped++;
				us_drop(st, p, US_DROP_MTU_EXCEEDED);
				continue;
			}
			if (dev_pkt_to_vnet(p, vh[k]) < 0) {
				dev->stats.tx_errors++;
				us_drop(st, p, US_DROP_DEV_TX_ERROR);
				continue;
			}
			iov[k][0] = (struct iovec){ .iov_base = vh[k], .iov_len = PKT_VNET_LEN };
			iov[k][1] = (struct iovec){ .iov_base = p->data, .iov_len = us_pkt_len(p) };
			memset(&msgs[k], 0, sizeof(msgs[k]));
			msgs[k].msg_hdr.msg_iov = iov[k];
			msgs[k].msg_hdr.msg_iovlen = 2;
			ready[k++] = p;
		}
		for (int done = 0; done < k;) {
			r = sendmmsg(dev->fd, msgs + done, (unsigned)(k - done), MSG_DONTWAIT);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				/* The interface's queue is full (or it went down): the rest of
				 * this batch is dropped and counted, as a full TAP queue. */
				bool full = r < 0 && (errno == EAGAIN || errno == ENOBUFS);

				if (!full)
					us_log_ratelimited(st, US_LOG_WARN, "packet", "%s: sendmmsg: %s",
							   dev->name, strerror(errno));
				for (int j = done; j < k; j++) {
					if (full)
						dev->stats.tx_dropped++;
					else
						dev->stats.tx_errors++;
					us_drop(st, ready[j], full ? US_DROP_TXQ_FULL : US_DROP_DEV_TX_ERROR);
				}
				break;
			}
			for (int j = done; j < done + r; j++) {
				if (ready[j]->gso_size)
					dev->stats.tx_gso_frames++;
				dev->stats.tx_bytes += us_pkt_len(ready[j]);
				us_pkt_free(ready[j]);
			}
			sent += r;
			done += r;
		}
	}
	return sent;
}

static void packet_close(struct us_netdev *dev)
{
	struct packet_priv *pp = dev->priv;

	if (pp && pp->ring)
		munmap(pp->ring, pp->ring_len);
	free(pp);
	dev->priv = NULL;
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

static const struct us_netdev_ops packet_ops = {
	.kind = "packet",
	.rx_batch = packet_rx_batch,
	.tx_batch = packet_tx_batch,
	.next_rx_ns = NULL, /* fd-driven: the socket is readable when a block is ready */
	.close = packet_close,
};

/* The interface's index, MTU and MAC, through any socket (netdevice(7)). */
static int if_info(int fd, const char *ifname, int *ifindex, int *mtu, uint8_t mac[6])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		return -errno;
	*mtu = ifr.ifr_mtu;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	if (ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */)
		return -EPROTONOSUPPORT;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			return -errno;
	}
	return 0;
}

static int packet_socket_setup(int fd, int ifindex, bool promisc, struct packet_priv *pp)
{
	int one = 1, ver = TPACKET_V3;
	struct tpacket_req3 req = {
		.tp_block_size = PKT_BLOCK_SIZE,
		.tp_block_nr = PKT_BLOCKS,
		.tp_frame_size = PKT_FRAME_HINT,
		.tp_frame_nr = PKT_BLOCK_SIZE / PKT_FRAME_HINT * PKT_BLOCKS,
		.tp_retire_blk_tov = PKT_RETIRE_MS,
	};
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = ifindex };

	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
		return -errno;
	pp->ring_len = (size_t)PKT_BLOCK_SIZE * PKT_BLOCKS;
	pp->ring = mmap(NULL, pp->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0);
	if (pp->ring == MAP_FAILED)
		pp->ring = mmap(NULL, pp->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pp->ring == MAP_FAILED) {
		pp->ring = NULL;
		return -errno;
	}
	/* Bound last: frames start arriving into the ring only now. */
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	if (promisc) {
		struct packet_mreq mr = { .mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC };

		if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
			return -errno;
	}
	return 0;
}

int dev_packet_create(struct us_stack *st, const char *ifname, const struct us_tap_opts *opts)
{
	struct us_netdev *dev = NULL;
	struct packet_priv *pp = NULL;
	uint8_t mac[6];
	int fd, ifindex = 0, mtu = 0, err, idx;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0)
		return -errno;
	err = if_info(fd, ifname, &ifindex, &mtu, mac);
	if (err)
		goto err_fd;
	if (opts && opts->mtu && opts->mtu != mtu) {
		err = -EINVAL; /* the interface's MTU is the kernel's to set */
		goto err_fd;
	}
	err = -ENOMEM;
	pp = calloc(1, sizeof(*pp));
	dev = us_netdev_alloc(ifname, &packet_ops);
	if (!pp || !dev)
		goto err_mem;
	err = packet_socket_setup(fd, ifindex, opts && opts->mac && memcmp(opts->mac, mac, 6), pp);
	if (err)
		goto err_mem;
	dev->priv = pp;
	dev->fd = fd;
	dev->link = US_LINK_ETHER;
	dev->mtu = (uint32_t)mtu;
	/* The kernel finishes partial checksums we send and tells us about the ones
	 * it left partial (virtio-net header). */
	dev->caps = US_DEV_CAP_RX_CSUM | US_DEV_CAP_TX_CSUM;
	dev->flags = US_DEV_UP;
	memcpy(dev->hwaddr, opts && opts->mac ? opts->mac : mac, US_ETH_ALEN);
	idx = dev_register(st, dev);
	if (idx < 0) {
		err = idx;
		dev->priv = NULL;
		goto err_mem;
	}
	return idx;

err_mem:
	if (pp && pp->ring)
		munmap(pp->ring, pp->ring_len);
	free(pp);
	free(dev);
err_fd:
	close(fd);
	return err;
}
