/*
 * netdev.h - network devices: the bottom of the stack (DESIGN.md section 1).
 *
 * A device receives in batches (rx_batch) and transmits in batches (tx_batch).
 * Protocol code never calls a device: it queues frames with us_dev_queue_xmit(),
 * and the egress phase of us_stack_poll() hands each device its whole queue
 * at once (one writev/sendmmsg per batch where the backend can).
 *
 * Receive: us_stack_poll() calls rx_batch, stamps each frame with the device
 * and the time, feeds the capture taps, and passes it up: eth_input() for
 * Ethernet devices, ip_input() for IP (TUN) devices and loopback.
 *
 * Checksum and segmentation metadata travel in struct us_pkt (csum, csum_start,
 * csum_offset, gso_size, gso_type), mirroring struct virtio_net_hdr, so a TAP
 * device with IFF_VNET_HDR passes them to and from the kernel unchanged.
 */
#ifndef US_DEV_NETDEV_H
#define US_DEV_NETDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pkt.h"

#define US_IFNAMSIZ 16
#define US_MAX_DEVS 32
#define US_ETH_ALEN 6

enum us_link_type {
	US_LINK_ETHER,    /* Ethernet framing, ARP (TAP, AF_PACKET, pcap, pair) */
	US_LINK_IP,       /* bare IP datagrams (TUN) */
	US_LINK_LOOPBACK, /* bare IP, delivered back to this stack */
};

enum {
	US_DEV_UP          = 1 << 0,
	US_DEV_NOARP       = 1 << 1,
	US_DEV_LOOPBACK    = 1 << 2,
	US_DEV_FORWARDING  = 1 << 3, /* net.ipv4.conf.DEV.forwarding */
	US_DEV_PROMISC     = 1 << 4,
};

/* What the device does for us (virtio-net offloads negotiated with the kernel). */
enum {
	US_DEV_CAP_RX_CSUM = 1 << 0, /* frames may arrive with csum PARTIAL or VERIFIED */
	US_DEV_CAP_TX_CSUM = 1 << 1, /* we may send csum PARTIAL frames */
	US_DEV_CAP_TSO     = 1 << 2, /* we may send TCP super-frames (gso_size set) */
	US_DEV_CAP_GRO     = 1 << 3, /* the kernel may send us coalesced super-frames */
};

struct us_netdev;
struct us_capture;

struct us_netdev_ops {
	const char *kind; /* "tap", "pcap", "pair", "loopback", "tun" */
	/*
	 * Receive up to @max frames into @out (allocating from st's pool). Returns the
	 * number received (0 when none is ready), or -errno on a device failure.
	 * Frames are stored with the link header at data (Ethernet, or IP for IP links).
	 */
	int (*rx_batch)(struct us_netdev *dev, struct us_pkt **out, int max);
	/*
	 * Transmit @n frames. Consumes all of them, sent or not. Returns how many were
	 * sent; frames not sent are counted by the device (tx_dropped) and freed.
	 */
	int (*tx_batch)(struct us_netdev *dev, struct us_pkt **pkts, int n);
	/* Optional: the next time (stack clock, ns) rx_batch can return a frame when the
	 * device is driven by time (pcap file, in-memory links with delay). UINT64_MAX if
	 * never, 0 if it has frames now. NULL for fd-driven devices. */
	uint64_t (*next_rx_ns)(struct us_netdev *dev);
	void (*close)(struct us_netdev *dev); /* frees priv, closes fd */
};

struct us_netdev_stats {
	uint64_t rx_packets, rx_bytes, rx_dropped, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_dropped, tx_errors;
	uint64_t rx_gso_frames, tx_gso_frames; /* super-frames seen (offload at work) */
	uint64_t rx_batches, tx_batches;
};

struct us_in_device; /* IPv4 addresses and per-device IPv4 state, ip/ifaddr.h */

struct us_netdev {
	struct us_stack *st;
	char name[US_IFNAMSIZ];
	int ifindex;                  /* 1-based, stable while the stack lives */
	enum us_link_type link;
	uint8_t hwaddr[US_ETH_ALEN];
	uint32_t mtu;                 /* IP MTU (payload of the link frame) */
	uint32_t flags;               /* US_DEV_* */
	uint32_t caps;                /* US_DEV_CAP_* */
	int fd;                       /* polled for input; -1 for devices without one */
	const struct us_netdev_ops *ops;
	void *priv;
	struct us_pktq txq;           /* frames waiting for the egress phase */
	struct us_netdev_stats stats;
	struct us_capture *captures;  /* capture taps, see dev/capture.h */
	struct us_in_device *in_dev;  /* owned by ip/ */
};

/* Registers a device built by a backend; sets ifindex and the stack pointer. 0 or -errno. */
int us_netdev_register(struct us_stack *st, struct us_netdev *dev);
/* Removes and closes a device; frees its queue. */
void us_netdev_unregister(struct us_netdev *dev);
struct us_netdev *us_netdev_by_index(struct us_stack *st, int ifindex);
struct us_netdev *us_netdev_by_name(struct us_stack *st, const char *name);
/* Allocates a zeroed device with its queue initialised (backends fill in the rest). */
struct us_netdev *us_netdev_alloc(const char *name, const struct us_netdev_ops *ops);

/*
 * us_dev_queue_xmit - queue a finished frame (link header included) on @dev for the
 * egress phase. Consumes @p. Drops with TXQ_FULL when the queue is full, DEV_DOWN when
 * the device is down.
 */
void us_dev_queue_xmit(struct us_netdev *dev, struct us_pkt *p);

/* Egress phase: hands every queued frame to the device in batches. Returns frames sent. */
int us_netdev_flush(struct us_netdev *dev);
/* Ingress: receives up to @budget frames from @dev and passes each up. Returns frames. */
int us_netdev_poll_rx(struct us_netdev *dev, int budget);

#endif
