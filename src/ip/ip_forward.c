/*
 * ip_forward.c - forwarding datagrams between interfaces (RFC 1812 5.2, 5.3).
 *
 * Entry: ip_forward(), called by ip_input() for a datagram whose route is unicast
 * and not local, after the martian and reverse-path checks. Consumes the packet.
 * Exit: ip_send_datagram() to the route's device and next hop; icmp_send_error()
 * for time exceeded and fragmentation needed. Never transmits directly.
 *
 * Read first: RFC 1812 5.2.1 (forwarding walk-through), 5.3.1 (TTL), 5.3.4
 * (link-layer broadcasts are not forwarded), 5.2.6 and RFC 1191 (DF), RFC 1624
 * (incremental checksum update).
 *
 * Not done: ICMP redirects (RFC 1812 5.2.7.2) are never sent, as with Linux's
 * send_redirects=0; source-route options are not processed (ip_input refuses them
 * unless accept_source_route is set, and then they are forwarded by their
 * destination address like any other datagram).
 */
#include "icmp/icmp.h"
#include "ip/ip.h"
#include "wire/icmp.h"

void ip_forward(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip,
		const struct us_route *rt)
{
	struct us_netdev *out;
	uint32_t mtu;

	if (!(p->dev->flags & US_DEV_FORWARDING)) {
		us_drop(st, p, US_DROP_IP_FORWARD_OFF);
		return;
	}
	/* RFC 1812 5.3.4: a datagram that arrived as link-layer broadcast or multicast
	 * is not forwarded (it was not sent to us as a router). */
	if (p->pkt_type != US_PKT_HOST) {
		us_drop(st, p, US_DROP_IP_FWD_LINK_BCAST);
		return;
	}
	out = us_netdev_by_index(st, rt->ifindex);
	if (rt->type != US_RTN_UNICAST || !out) {
		us_drop(st, p, US_DROP_IP_NO_ROUTE);
		return;
	}
	/* RFC 1812 5.3.1: a datagram whose TTL would reach zero is discarded and the
	 * source told with time exceeded (code 0, "TTL exceeded in transit"). Linux
	 * counts it as a header error. */
	if (ip->ttl <= 1) {
		US_INC(st, IpInHdrErrors);
		icmp_send_error(st, p, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
		us_drop(st, p, US_DROP_IP_TTL_EXPIRED);
		return;
	}
	/* RFC 1812 5.2.6 / RFC 1191: too big with DF set. Checked before the TTL changes
	 * so the quoted header is the one the source sent (as Linux's ip_forward). */
	mtu = rt->mtu && rt->mtu < out->mtu ? rt->mtu : out->mtu;
	if (ip->total_len > mtu && ip->df &&
	    !(p->gso_size && p->gso_type == US_GSO_TCPV4 && (out->caps & US_DEV_CAP_TSO))) {
		US_INC(st, IpFragFails);
		icmp_send_error(st, p, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
		us_drop(st, p, US_DROP_IP_FRAG_NEEDED);
		return;
	}
	/* The header is changed in place; a packet somebody else still holds (a
	 * capture keeping a reference) is copied first. */
	if (p->refcnt > 1) {
		struct us_pkt *c = us_pkt_copy(&st->pool, p);

		us_pkt_free(p);
		if (!c) {
			US_INC(st, IpOutDiscards);
			us_drop(st, NULL, US_DROP_NOMEM);
			return;
		}
		p = c;
	}
	ipv4_decrement_ttl(us_pkt_network(p)); /* RFC 1812 5.3.1 */
	p->flags |= US_PKT_F_FORWARDED;
	p->flags &= (uint8_t)~US_PKT_F_LOCAL_OUT;
	/* Hook point: NF_INET_FORWARD (filter/, a later issue). No redirect is sent when
	 * the datagram leaves through the device it came in on (see the file comment). */
	US_INC(st, IpForwDatagrams);
	ip_send_datagram(st, out, rt->gateway ? rt->gateway : ip->dst, rt->mtu, p);
}
