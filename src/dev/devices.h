/*
 * devices.h - what the device backends share inside dev/: constructors that
 * are not public API (loopback), the backends' internal entry points used by
 * dev_api.c (which checks arguments and implements include/ustack/ustack.h),
 * the virtio-net header translation of the TAP backend (exposed so it can be
 * unit-tested without a TAP device), and the hooks that let capture.c flush
 * its files once per batch.
 */
#ifndef US_DEV_DEVICES_H
#define US_DEV_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stack.h"
#include "ustack/ustack.h"

/* Creates "lo" (US_LINK_LOOPBACK, MTU 65536, up). Returns its ifindex or -errno. */
int us_loopback_create(struct us_stack *st);

/*
 * Backend constructors. Each builds, registers and returns the device's
 * ifindex, or -errno (nothing is left behind on failure). Arguments were
 * checked by dev_api.c.
 */
int dev_tap_create(struct us_stack *st, const char *ifname, const struct us_tap_opts *opts);
/* The same for a TUN interface (bare IPv4 datagrams); opts->mac is not used. */
int dev_tun_create(struct us_stack *st, const char *ifname, const struct us_tap_opts *opts);
/* An AF_PACKET socket on the existing Ethernet interface @ifname; opts->mac: our address
 * (NULL: the interface's); opts->mtu must be 0 or the interface's. */
int dev_packet_create(struct us_stack *st, const char *ifname, const struct us_tap_opts *opts);
int dev_pcap_create(struct us_stack *st, const char *name, const char *in_path,
		    const char *out_path, const uint8_t *mac);
/* Returns a's ifindex and stores b's in *ifindex_b. */
int dev_pair_create(struct us_stack *a, const char *name_a, struct us_stack *b,
		    const char *name_b, int *ifindex_b);

/*
 * Injection into the receive queue of an in-memory device, as if the frame had
 * arrived on the wire: the bytes are copied into a buffer from the device's
 * stack pool. 0, -ENOBUFS (queue full or no buffer), -EMSGSIZE, or -EOPNOTSUPP
 * when @dev is not a device of that backend.
 */
int dev_pair_inject(struct us_netdev *dev, const void *frame, size_t len);
int dev_loop_inject(struct us_netdev *dev, const void *frame, size_t len);

/* Changes the MTU of the kernel side of a TAP or TUN device (SIOCSIFMTU). 0, -errno, or
 * -EOPNOTSUPP when @dev is neither. */
int dev_tap_set_mtu(struct us_netdev *dev, unsigned mtu);

/*
 * A locally administered unicast MAC for a device of @st named @name, derived
 * from the stack's hash key: random for an unseeded stack, the same on every
 * run for a seeded one (deterministic pcap and simulator runs).
 */
void dev_make_mac(struct us_stack *st, const char *name, uint8_t mac[US_ETH_ALEN]);

/* Registers a freshly built device: inherits the stack-wide forwarding setting
 * (net.ipv4.ip_forward, as Linux's conf.default). Returns the ifindex or -errno. */
int dev_register(struct us_stack *st, struct us_netdev *dev);

/*
 * The virtio-net header (struct virtio_net_hdr_v1, 12 bytes, little-endian: we
 * set TUNSETVNETLE) that precedes every frame on a TAP opened with IFF_VNET_HDR.
 * Field offsets are from the start of the header (virtio 1.x spec, 5.1.6).
 */
enum {
	VNET_OFF_FLAGS       = 0,
	VNET_OFF_GSO_TYPE    = 1,
	VNET_OFF_HDR_LEN     = 2,
	VNET_OFF_GSO_SIZE    = 4,
	VNET_OFF_CSUM_START  = 6,
	VNET_OFF_CSUM_OFFSET = 8,
	VNET_OFF_NUM_BUFFERS = 10,
	VNET_HDR_LEN         = 12,
};

/*
 * dev_vnet_to_pkt - translate the header @hdr of a received frame into @p's
 * checksum and segmentation metadata. p->data is at the Ethernet header and
 * us_pkt_len(p) is the frame's length.
 * Return: 0, or -EBADMSG for a header we cannot honour (unknown GSO type,
 * checksum offsets outside the frame, GSO without a segment size).
 */
int dev_vnet_to_pkt(const uint8_t hdr[VNET_HDR_LEN], struct us_pkt *p);

/*
 * dev_pkt_to_vnet - write the header for transmitting @p (p->data at the
 * Ethernet header): US_CSUM_PARTIAL becomes VIRTIO_NET_HDR_F_NEEDS_CSUM with
 * csum_start relative to the frame, gso_size/gso_type become the GSO fields.
 * Return: 0, or -EINVAL when @p's metadata is inconsistent (checksum start
 * outside the frame, GSO type we do not know).
 */
int dev_pkt_to_vnet(const struct us_pkt *p, uint8_t hdr[VNET_HDR_LEN]);

/*
 * Capture flushing (capture.c). Backends call these so pcap files are flushed
 * once per batch rather than once per frame:
 *   us_capture_rx_batch(dev, n)  at the end of rx_batch, with the number of
 *                                frames returned (us_netdev_poll_rx captures
 *                                each of them next; the last one flushes);
 *   us_capture_tx_done(dev)      in tx_batch, before writing (the batch's
 *                                frames were captured before tx_batch was
 *                                called, so they are on file first).
 * Both are cheap no-ops when the device has no capture.
 */
void us_capture_rx_batch(struct us_netdev *dev, int n);
void us_capture_tx_done(struct us_netdev *dev);

/* Capture start/stop behind the public us_capture_start/us_capture_stop.
 * 0, -EEXIST (already capturing to that file), -ENOSPC, -ENOENT, -errno. */
int us_capture_open(struct us_netdev *dev, const char *path);
int us_capture_close(struct us_netdev *dev, const char *path);

#endif
