/*
 * eth.c - Ethernet II framing (RFC 894): the receive demultiplexer and the
 * transmit framer for Ethernet devices.
 *
 * Entry: eth_input(), called by the ingress phase (us_netdev_poll_rx) for frames
 *        of US_LINK_ETHER devices. Consumes the packet.
 * Exit:  ip_input() for IPv4, arp_input() for ARP; everything else is a counted
 *        drop. eth_output() frames a packet and queues it on the device with
 *        us_dev_queue_xmit(); it never writes to a device itself.
 *
 * Address filtering follows what a NIC plus Linux's eth_type_trans() do: frames
 * to our MAC are PACKET_HOST, broadcast and multicast are accepted (no
 * multicast filter yet: every group is accepted), anything else is dropped
 * unless the device is promiscuous, in which case it goes up marked
 * US_PKT_OTHERHOST and the protocols ignore it (as ip_rcv and arp_rcv do).
 *
 * Read first: RFC 894 (IP over Ethernet, minimum frame size); RFC 1122 2.3.3
 * (link layer: the Ethernet II encapsulation MUST be used); IEEE 802.3 3.2.3
 * (the group bit of the source address is reserved: a multicast source is
 * invalid).
 */
#include "l2/eth.h"

#include <string.h>

#include "ip/ip.h"
#include "neigh/neigh.h"
#include "wire/ether.h"

static enum us_pkt_type eth_classify(const struct us_netdev *dev, const uint8_t *dst)
{
	if (!memcmp(dst, dev->hwaddr, ETH_ALEN))
		return US_PKT_HOST;
	if (eth_addr_is_broadcast(dst))
		return US_PKT_BROADCAST;
	if (eth_addr_is_multicast(dst))
		return US_PKT_MULTICAST;
	return US_PKT_OTHERHOST;
}

void eth_input(struct us_stack *st, struct us_pkt *p)
{
	struct us_netdev *dev = p->dev;
	enum us_drop_reason reason;
	struct eth_repr eth;

	reason = eth_parse(p->data, us_pkt_len(p), &eth);
	if (reason != US_DROP_NONE) {
		dev->stats.rx_errors++; /* a runt: Linux counts it as rx_length_errors */
		goto drop;
	}
	/* IEEE 802.3: a source address with the group bit set is invalid; answering it
	 * (an ARP reply, an ICMP error) would send to a whole group. */
	if (eth_addr_is_multicast(eth.src)) {
		reason = US_DROP_ETH_BAD_SRC;
		goto drop;
	}
	p->pkt_type = (uint8_t)eth_classify(dev, eth.dst);
	if (p->pkt_type == US_PKT_OTHERHOST && !(dev->flags & US_DEV_PROMISC)) {
		reason = US_DROP_ETH_OTHERHOST;
		goto drop;
	}
	us_pkt_set_mac(p);
	us_pkt_pull(p, ETH_HDR_LEN);

	switch (eth.ethertype) {
	case ETH_P_IP:
		us_pkt_set_network(p);
		ip_input(st, p);
		return;
	case ETH_P_ARP:
		if (dev->flags & US_DEV_NOARP) {
			reason = US_DROP_ARP_NOARP;
			goto drop;
		}
		us_pkt_set_network(p);
		arp_input(st, p);
		return;
	default:
		/* VLAN tags, IPv6, LLDP ...: not ours to handle (Linux also counts these
		 * as the device's rx_dropped when no protocol handler takes them). */
		dev->stats.rx_dropped++;
		reason = US_DROP_UNKNOWN_L2PROTO;
		goto drop;
	}
drop:
	us_drop(st, p, reason);
}

void eth_output(struct us_stack *st, struct us_netdev *dev, const uint8_t dst[6],
		uint16_t ethertype, struct us_pkt *p)
{
	struct eth_repr eth;
	size_t len;

	memcpy(eth.dst, dst, ETH_ALEN);
	memcpy(eth.src, dev->hwaddr, ETH_ALEN);
	eth.ethertype = ethertype;
	eth_emit(&eth, us_pkt_push(p, ETH_HDR_LEN));
	us_pkt_set_mac(p);

	len = us_pkt_len(p);
	/* RFC 894: the data field is at least 46 bytes; a shorter frame is padded (with
	 * zeroes, so that no stale buffer bytes leak onto the wire). Pool buffers always
	 * have the tailroom; a packet without it is copied into one that has. */
	if (len < ETH_MIN_FRAME) {
		size_t pad = ETH_MIN_FRAME - len;

		if (us_pkt_tailroom(p) < pad) {
			/* len < 60: the copy is always a pool buffer, which has the room. */
			struct us_pkt *c = us_pkt_copy(&st->pool, p);

			if (!c || us_pkt_tailroom(c) < pad) {
				us_pkt_free(c);
				us_drop(st, p, US_DROP_NOMEM);
				return;
			}
			us_pkt_free(p);
			p = c;
		}
		memset(us_pkt_put(p, pad), 0, pad);
		len = ETH_MIN_FRAME;
	}
	/* dev->mtu is the IP MTU; a super-frame (gso_size set) is cut by the device. */
	if (len > (size_t)dev->mtu + ETH_HDR_LEN && !p->gso_size) {
		dev->stats.tx_dropped++;
		us_drop(st, p, US_DROP_MTU_EXCEEDED);
		return;
	}
	p->dev = dev;
	us_dev_queue_xmit(dev, p);
}
