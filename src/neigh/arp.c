/*
 * arp.c - the Address Resolution Protocol for IPv4 over Ethernet: answering
 * requests for our addresses, learning from what we receive, and sending
 * requests (resolution, probes) and gratuitous announcements.
 *
 * Entry: arp_input(), called by eth_input() (consumes the packet);
 *        arp_send_request() from the neighbour cache; arp_announce() when an
 *        address is added, or from the CLI.
 * Exit:  neigh_learn() to update the cache; eth_output() for what we send.
 *        Parsing is wire/arp.c's: this file only sees struct arp_repr.
 *
 * Receive follows RFC 826's "packet reception" merge algorithm, with Linux's
 * refinements (net/ipv4/arp.c arp_process):
 *   - an existing entry for the sender is updated from any ARP packet (the
 *     "merge"), but an entry is CREATED only when we are the target of a
 *     request: floods of requests for other addresses or of gratuitous ARPs
 *     cannot fill the table (RFC 826 would also learn from replies to us;
 *     Linux does not unless arp_accept, and neither do we: an unsolicited
 *     reply is dropped as ARP_UNSOLICITED);
 *   - a unicast reply (the answer to our own request or probe) makes the entry
 *     REACHABLE; anything else (a request, a broadcast reply) only STALE;
 *   - senders that cannot be a neighbour are refused: our own addresses (an
 *     address conflict, logged), broadcast, multicast, loopback, 0.0.0.0 -
 *     except that a request from 0.0.0.0 is an RFC 5227 probe, answered when it
 *     asks for our address and never learned from;
 *   - which requests we answer: net.ipv4.conf.all.arp_ignore = 0 any local
 *     address (the weak host model of RFC 1122 3.3.4.2), 1 only addresses of
 *     the receiving device.
 *
 * Read first: RFC 826 ("Packet Reception"); RFC 5227 1.1, 2.1.1, 2.3 (probes and
 * announcements); RFC 1122 2.3.2.
 */
#include <string.h>

#include "ip/ifaddr.h"
#include "l2/eth.h"
#include "neigh/neigh.h"
#include "wire/arp.h"
#include "wire/ether.h"

static const uint8_t eth_bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Builds and queues one ARP packet on @dev to Ethernet address @dst. */
static void arp_xmit(struct us_stack *st, struct us_netdev *dev, const struct arp_repr *a,
		     const uint8_t *dst)
{
	struct us_pkt *p = us_pkt_alloc(&st->pool, ARP_HDR_LEN);

	if (!p) {
		us_drop(st, NULL, US_DROP_NOMEM);
		return;
	}
	arp_emit(a, us_pkt_put(p, ARP_HDR_LEN));
	us_pkt_set_network(p);
	p->flags |= US_PKT_F_LOCAL_OUT;
	eth_output(st, dev, dst, ETH_P_ARP, p);
}

void arp_send_request(struct us_stack *st, struct us_netdev *dev, uint32_t tip,
		      const uint8_t *dst_mac)
{
	/* RFC 826: the target hardware address is unknown; RFC 5227 2.1.1 asks for it to
	 * be zero, which is also what Linux sends. */
	struct arp_repr a = {
		.op = ARP_OP_REQUEST,
		.spa = ifaddr_select_src(st, dev, tip),
		.tpa = tip,
	};

	memcpy(a.sha, dev->hwaddr, ETH_ALEN);
	US_INC(st, ArpOutRequests);
	arp_xmit(st, dev, &a, dst_mac ? dst_mac : eth_bcast);
}

void arp_announce(struct us_stack *st, struct us_netdev *dev, uint32_t ip)
{
	/* RFC 5227 3: an ARP announcement is a request with sender and target protocol
	 * addresses both set to the address announced, broadcast, so every host
	 * holding a stale mapping updates it (RFC 826 merge). */
	struct arp_repr a = { .op = ARP_OP_REQUEST, .spa = ip, .tpa = ip };

	if (!dev || dev->link != US_LINK_ETHER || (dev->flags & US_DEV_NOARP) ||
	    !(dev->flags & US_DEV_UP) || ip == 0)
		return;
	memcpy(a.sha, dev->hwaddr, ETH_ALEN);
	US_INC(st, ArpOutRequests);
	arp_xmit(st, dev, &a, eth_bcast);
}

/* Sends the reply to request @req that asked for our address req->tpa, to the
 * requester's hardware address (as Linux: not the frame's source address). */
static void arp_send_reply(struct us_stack *st, struct us_netdev *dev, const struct arp_repr *req)
{
	struct arp_repr a = { .op = ARP_OP_REPLY, .spa = req->tpa, .tpa = req->spa };

	memcpy(a.sha, dev->hwaddr, ETH_ALEN);
	memcpy(a.tha, req->sha, ETH_ALEN);
	US_INC(st, ArpOutReplies);
	arp_xmit(st, dev, &a, req->sha);
}

/* Is @tip an address we answer requests for on @dev (net.ipv4.conf.all.arp_ignore)? */
static bool arp_target_is_ours(struct us_stack *st, const struct us_netdev *dev, uint32_t tip)
{
	if (st->cfg.arp_ignore)
		return ifaddr_dev_of(st, tip) == dev;
	return ifaddr_is_local(st, tip);
}

static bool ip_is_multicast(uint32_t ip) { return (ip & 0xf0000000u) == 0xe0000000u; }
static bool ip_is_loopback(uint32_t ip) { return (ip >> 24) == 127; }

static void arp_log_conflict(struct us_stack *st, const struct us_netdev *dev,
			     const struct arp_repr *a)
{
	us_log_ratelimited(st, US_LOG_WARN, "arp",
			   "address conflict on %s: %u.%u.%u.%u is ours but "
			   "%02x:%02x:%02x:%02x:%02x:%02x claims it",
			   dev->name, a->spa >> 24, (a->spa >> 16) & 0xff, (a->spa >> 8) & 0xff,
			   a->spa & 0xff, a->sha[0], a->sha[1], a->sha[2], a->sha[3], a->sha[4],
			   a->sha[5]);
}

void arp_input(struct us_stack *st, struct us_pkt *p)
{
	struct us_netdev *dev = p->dev;
	enum us_drop_reason reason;
	struct arp_repr a;
	unsigned flags = 0;
	bool for_us;
	int learned;

	reason = arp_parse(p->data, us_pkt_len(p), &a);
	if (reason != US_DROP_NONE)
		goto drop;
	if (a.op == ARP_OP_REQUEST)
		US_INC(st, ArpInRequests);
	else
		US_INC(st, ArpInReplies);

	/* Frames seen only because the device is promiscuous are not ours (arp_rcv). */
	if (p->pkt_type == US_PKT_OTHERHOST) {
		reason = US_DROP_ETH_OTHERHOST;
		goto drop;
	}
	/* Nobody can own a multicast or loopback address on the link (Linux arp_process). */
	if (ip_is_multicast(a.tpa) || ip_is_loopback(a.tpa)) {
		reason = US_DROP_ARP_NOT_FOR_US;
		goto drop;
	}
	/* A group or zero hardware address is not a station we could ever send to; our
	 * own address is our frame reflected back by the link. */
	if (eth_addr_is_multicast(a.sha) || eth_addr_is_zero(a.sha) ||
	    !memcmp(a.sha, dev->hwaddr, ETH_ALEN)) {
		reason = US_DROP_ARP_BAD_SENDER;
		goto drop;
	}
	for_us = arp_target_is_ours(st, dev, a.tpa);

	if (a.spa == 0) {
		/* RFC 5227 2.1.1: a probe has sender 0.0.0.0 so that nobody learns from it.
		 * Answer it when it asks for one of our addresses (we are the defender, 2.4);
		 * learn nothing. */
		if (a.op == ARP_OP_REQUEST && for_us) {
			arp_send_reply(st, dev, &a);
			us_pkt_free(p);
			return;
		}
		reason = a.op == ARP_OP_REQUEST ? US_DROP_ARP_NOT_FOR_US : US_DROP_ARP_BAD_SENDER;
		goto drop;
	}
	/* No station owns a broadcast address (the sender of a frame can never be one;
	 * Linux's source validation rejects them as martians). */
	if (ip_is_multicast(a.spa) || ip_is_loopback(a.spa) || neigh_ip_is_dev_bcast(dev, a.spa)) {
		reason = US_DROP_ARP_BAD_SENDER;
		goto drop;
	}
	if (ifaddr_is_local(st, a.spa)) {
		/* RFC 5227 2.4: someone else uses one of our addresses. Learning it would send
		 * our own traffic to them; log it (rate limited: a flood must not become a log
		 * flood) and drop. */
		arp_log_conflict(st, dev, &a);
		reason = US_DROP_ARP_BAD_SENDER;
		goto drop;
	}

	/* RFC 826 merge. The answer to our own request arrives unicast to us. */
	if (a.op == ARP_OP_REPLY && p->pkt_type == US_PKT_HOST)
		flags |= NEIGH_LEARN_REACHABLE;
	/* Gratuitous ARP (RFC 5227 3, RFC 5944 4.6): the host announces a new mapping on
	 * purpose, so it replaces the old one at once. */
	if (a.spa == a.tpa)
		flags |= NEIGH_LEARN_OVERRIDE;
	if (a.op == ARP_OP_REQUEST && for_us)
		flags |= NEIGH_LEARN_CREATE;
	learned = neigh_learn(st, dev, a.spa, a.sha, flags);

	if (a.op == ARP_OP_REQUEST && for_us) {
		/* Answer even if the table had no room for the requester: it needs the reply
		 * more than we need the entry. */
		if (learned < 0)
			us_drop(st, NULL, US_DROP_NEIGH_TABLE_FULL);
		arp_send_reply(st, dev, &a);
		us_pkt_free(p);
		return;
	}
	if (learned > 0) {
		us_pkt_free(p); /* consumed: it updated an entry */
		return;
	}
	reason = (a.op == ARP_OP_REPLY && for_us) ? US_DROP_ARP_UNSOLICITED : US_DROP_ARP_NOT_FOR_US;
drop:
	us_drop(st, p, reason);
}
