/*
 * ip_input.c - IPv4 receive path: validate, check addresses, route, then deliver
 * locally (reassembling first) or forward, or drop with a named reason.
 *
 * Entry: ip_input(), called by eth_input() and by IP-link/loopback devices, with
 * p->data at the IPv4 header. Consumes the packet.
 * Exit: us_ip_protos[proto].input() for local delivery (ip_local_deliver);
 * ip_forward() for transit traffic; icmp_send_error() where the RFCs ask for an
 * answer. Never transmits directly.
 *
 * Read first: RFC 791 3.1-3.2; RFC 1122 3.2.1 (what a host checks) and 3.3.6
 * (broadcasts); RFC 1812 5.2.2, 5.3.7 (martian addresses) and 5.2.4.1 (source
 * routes); RFC 3704 (reverse-path filtering).
 *
 * Order of the checks (Linux's ip_rcv_core, ip_rcv_options, ip_route_input_slow):
 *   1. header: ipv4_parse (version, IHL, total length, checksum, options)
 *   2. trim link padding, record the header offset
 *   3. source-route options refused unless accept_source_route
 *   4. martian source, martian destination, land (a local source from outside)
 *   5. limited broadcast -> as a broadcast route; multicast (all-hosts only) -> local
 *   6. FIB lookup: local / broadcast -> deliver; unicast -> forward or "not for us";
 *      unreachable / prohibit / blackhole -> drop, with ICMP when forwarding (as
 *      Linux's ip_error: a host that does not forward only counts)
 *   7. reverse-path filter (rp_filter) before delivering or forwarding
 *
 * Frames from a loopback device are our own: they skip the checks that only make
 * sense for traffic from outside (loopback addresses, land, reverse path).
 */
#include "icmp/icmp.h"
#include "ip/ifaddr.h"
#include "ip/ip.h"
#include "wire/icmp.h"

/* RFC 1112 4: every host belongs to the all-hosts group. */
#define IP_ALL_HOSTS_GROUP 0xe0000001u

static bool dev_is_loopback(const struct us_netdev *dev)
{
	return dev->link == US_LINK_LOOPBACK || (dev->flags & US_DEV_LOOPBACK);
}

static void fmt_ip(char *buf, size_t len, uint32_t a)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

/* Counts (and, with log_martians, logs) a martian and returns @reason. */
static enum us_drop_reason martian(struct us_stack *st, const struct us_pkt *p,
				   const struct ipv4_repr *ip, enum us_drop_reason reason)
{
	US_INC(st, IpExtInMartians);
	if (reason == US_DROP_IP_MARTIAN_DST)
		US_INC(st, IpInAddrErrors);
	if (st->cfg.log_martians) {
		char src[16], dst[16];

		fmt_ip(src, sizeof(src), ip->src);
		fmt_ip(dst, sizeof(dst), ip->dst);
		us_log_ratelimited(st, US_LOG_WARN, "ip", "martian %s %s -> %s on dev %s",
				   reason == US_DROP_IP_MARTIAN_DST ? "destination" : "source",
				   src, dst, p->dev->name);
	}
	return reason;
}

/*
 * RFC 1122 3.2.1.3 and RFC 1812 5.3.7: addresses that cannot appear as source or
 * destination of a datagram arriving from a network.
 */
static enum us_drop_reason ip_check_addrs(struct us_stack *st, const struct us_pkt *p,
					  const struct ipv4_repr *ip, bool from_lo)
{
	struct us_route r;

	/* A source is one host's unicast address: not multicast, broadcast, "this
	 * network" (0/8; we need no DHCP-style 0.0.0.0), reserved class E, nor
	 * loopback unless it came over loopback. */
	if (ipv4_is_multicast(ip->src) || ipv4_is_lbcast(ip->src) || ipv4_is_zeronet(ip->src) ||
	    ipv4_is_class_e(ip->src) || (ipv4_is_loopback(ip->src) && !from_lo))
		return martian(st, p, ip, US_DROP_IP_MARTIAN_SRC);
	if (ipv4_is_zeronet(ip->dst) || ipv4_is_class_e(ip->dst) ||
	    (ipv4_is_loopback(ip->dst) && !from_lo))
		return martian(st, p, ip, US_DROP_IP_MARTIAN_DST);
	if (from_lo)
		return US_DROP_NONE;
	/* One local-table lookup classifies the source as ours or a broadcast address
	 * of one of our subnets (Linux fib_validate_source: "not unicast" is martian). */
	if (!fib_lookup_table(st, US_RT_TABLE_LOCAL, ip->src, &r)) {
		if (r.type == US_RTN_BROADCAST)
			return martian(st, p, ip, US_DROP_IP_MARTIAN_SRC);
		/* Land attack: a datagram "from" one of our addresses that came from the
		 * network; Linux drops it as a martian source (accept_local=0). */
		if (r.type == US_RTN_LOCAL)
			return US_DROP_IP_LAND;
	}
	return US_DROP_NONE;
}

/*
 * RFC 3704 reverse-path filter (net.ipv4.conf.all.rp_filter): 1, strict: the best
 * route back to the source leaves through the input device (RFC 3704 2.2); 2, loose:
 * some unicast route back to the source exists (RFC 3704 2.4). As Linux's
 * __fib_validate_source.
 */
static bool ip_rpf_ok(struct us_stack *st, const struct us_pkt *p, const struct ipv4_repr *ip)
{
	int64_t mode = st->cfg.rp_filter;
	struct us_route r;

	if (!mode || dev_is_loopback(p->dev))
		return true;
	if (fib_lookup(st, ip->src, &r) || r.type != US_RTN_UNICAST)
		return false;
	return mode != 1 || r.ifindex == p->dev->ifindex;
}

/* Counts a header error the way Linux's ip_rcv_core does. */
static void ip_count_hdr_error(struct us_stack *st, const struct us_pkt *p,
			       enum us_drop_reason reason, const struct ipv4_repr *ip)
{
	switch (reason) {
	case US_DROP_IP_CSUM:
		US_INC(st, IpExtInCsumErrors);
		US_INC(st, IpInHdrErrors);
		break;
	case US_DROP_IP_TOTAL_LEN:
		/* Claims more bytes than the frame has: a truncated frame, not a lie in
		 * the header (Linux counts it apart). */
		if (ip->total_len > us_pkt_len(p)) {
			US_INC(st, IpExtInTruncatedPkts);
			break;
		}
		US_INC(st, IpInHdrErrors);
		break;
	default:
		US_INC(st, IpInHdrErrors);
		break;
	}
}

/* A route of type unreachable/prohibit/blackhole, or no route, for arriving traffic
 * (Linux ip_error): a router answers, a host only counts. */
static void ip_route_error(struct us_stack *st, struct us_pkt *p, int type, bool no_route)
{
	bool fwd = p->dev->flags & US_DEV_FORWARDING;
	enum us_drop_reason reason;
	int code = -1;

	if (no_route) {
		reason = fwd ? US_DROP_IP_NO_ROUTE : US_DROP_IP_NOT_FOR_US;
		code = ICMP_NET_UNREACH;
	} else if (type == US_RTN_UNREACHABLE) {
		reason = US_DROP_IP_UNREACHABLE;
		code = ICMP_HOST_UNREACH;
	} else if (type == US_RTN_PROHIBIT) {
		reason = US_DROP_IP_PROHIBIT;
		code = ICMP_PKT_FILTERED; /* RFC 1812 5.2.7.1: code 13 */
	} else {
		reason = US_DROP_IP_BLACKHOLE; /* silently */
	}
	if (!fwd) {
		US_INC(st, IpInAddrErrors);
	} else {
		if (no_route)
			US_INC(st, IpExtInNoRoutes);
		if (code >= 0)
			icmp_send_error(st, p, ICMP_DEST_UNREACH, (uint8_t)code, 0);
	}
	us_drop(st, p, reason);
}

void ip_input(struct us_stack *st, struct us_pkt *p)
{
	struct us_netdev *dev = p->dev;
	bool from_lo = dev_is_loopback(dev);
	enum us_drop_reason reason;
	struct ipv4_repr ip;
	struct us_route rt;

	/* A frame for another host's MAC, seen in promiscuous mode (or by a capture), is
	 * not ours to process (Linux ip_rcv_core drops PACKET_OTHERHOST before counting). */
	if (p->pkt_type == US_PKT_OTHERHOST) {
		us_drop(st, p, US_DROP_ETH_OTHERHOST);
		return;
	}
	US_INC(st, IpInReceives);
	/* Only transport checksums are offloaded: the header checksum is always ours
	 * to check, whatever p->csum says (RFC 1122 3.2.1.2). */
	reason = ipv4_parse(p->data, us_pkt_len(p), false, &ip);
	if (reason != US_DROP_NONE) {
		ip_count_hdr_error(st, p, reason, &ip);
		if (reason == US_DROP_IP_BAD_OPTIONS) {
			/* RFC 1122 3.2.2.5 / RFC 1812 5.2.5: a datagram discarded for a bad
			 * option SHOULD be answered with a parameter problem pointing at the
			 * bad byte (as Linux's ip_options_compile does). The header is whole
			 * and its checksum good; icmp_send_error refuses broadcasts, martian
			 * sources and the rest. */
			us_pkt_trim(p, ip.total_len);
			us_pkt_set_network(p);
			icmp_send_error(st, p, ICMP_PARAMETERPROB, 0, ip.opt_err_off);
		}
		us_drop(st, p, reason);
		return;
	}
	/* Link padding after the total length (short Ethernet frames) is not ours. */
	us_pkt_trim(p, ip.total_len);
	us_pkt_set_network(p);
	if (from_lo)
		p->flags |= US_PKT_F_LOOPED;
	/* Hook point: NF_INET_PRE_ROUTING (filter/, a later issue). */

	/* RFC 1122 3.2.1.8 (c) / RFC 1812 5.2.4.1 allow refusing source routes; Linux
	 * does by default (accept_source_route=0). Other options are accepted. */
	if (ip.opt_srcroute && !st->cfg.accept_source_route) {
		if (st->cfg.log_martians)
			us_log_ratelimited(st, US_LOG_WARN, "ip", "source route option refused on dev %s",
					   dev->name);
		us_drop(st, p, US_DROP_IP_SRC_ROUTE);
		return;
	}

	reason = ip_check_addrs(st, p, &ip, from_lo);
	if (reason != US_DROP_NONE) {
		us_drop(st, p, reason);
		return;
	}

	if (ipv4_is_lbcast(ip.dst)) {
		/* RFC 1122 3.3.6: the limited broadcast is for every host on the link,
		 * whatever the routes say (Linux's ip_route_input_slow: brd_input). */
		rt.type = US_RTN_BROADCAST;
	} else if (ipv4_is_multicast(ip.dst)) {
		/* No group membership yet (IGMP is not implemented): only all-hosts. */
		if (ip.dst != IP_ALL_HOSTS_GROUP) {
			us_drop(st, p, US_DROP_IP_MCAST);
			return;
		}
		p->pkt_type = US_PKT_MULTICAST;
		ip_local_deliver(st, p, &ip);
		return;
	} else if (fib_lookup(st, ip.dst, &rt)) {
		ip_route_error(st, p, 0, true);
		return;
	}
	switch (rt.type) {
	case US_RTN_LOCAL:
		if (!ip_rpf_ok(st, p, &ip))
			goto rpfilter;
		ip_local_deliver(st, p, &ip);
		return;
	case US_RTN_BROADCAST:
		/* The limited broadcast, or a directed broadcast to one of our subnets
		 * (RFC 1122 3.3.6). */
		if (!ip_rpf_ok(st, p, &ip))
			goto rpfilter;
		p->pkt_type = US_PKT_BROADCAST;
		US_INC(st, IpExtInBcastPkts);
		ip_local_deliver(st, p, &ip);
		return;
	case US_RTN_UNICAST:
		/* RFC 1122 3.3.4.3 / 3.3.1.6: a host that is not a router silently
		 * discards datagrams not addressed to it. */
		if (!(dev->flags & US_DEV_FORWARDING)) {
			US_INC(st, IpInAddrErrors);
			us_drop(st, p, US_DROP_IP_NOT_FOR_US);
			return;
		}
		if (!ip_rpf_ok(st, p, &ip))
			goto rpfilter;
		ip_forward(st, p, &ip, &rt);
		return;
	default:
		ip_route_error(st, p, rt.type, false);
		return;
	}

rpfilter:
	US_INC(st, TcpExtIPReversePathFilter);
	if (st->cfg.log_martians) {
		char src[16];

		fmt_ip(src, sizeof(src), ip.src);
		us_log_ratelimited(st, US_LOG_WARN, "ip", "reverse-path filter: %s on dev %s", src,
				   dev->name);
	}
	us_drop(st, p, US_DROP_IP_RPFILTER);
}

void ip_local_deliver(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip_in)
{
	struct ipv4_repr ip = *ip_in;
	const struct us_ip_proto *proto;

	/* RFC 791 3.2 / RFC 1122 3.3.2: a fragment waits for the rest of its datagram. */
	if (ip.mf || ip.frag_off) {
		p = ip_reass(st, p, &ip);
		if (!p)
			return;
		us_pkt_set_network(p);
	}
	/* Hook point: NF_INET_LOCAL_IN (filter/, a later issue). */
	proto = &us_ip_protos[ip.proto];
	if (!proto->input) {
		/* RFC 1122 3.2.2.1: protocol unreachable for a transport we do not have. */
		US_INC(st, IpInUnknownProtos);
		icmp_send_error(st, p, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
		us_drop(st, p, US_DROP_IP_NO_PROTO);
		return;
	}
	US_INC(st, IpInDelivers);
	us_pkt_pull(p, ip.hdr_len); /* cannot fail: total_len >= hdr_len and trimmed */
	us_pkt_set_transport(p);
	proto->input(st, p, &ip);
}
