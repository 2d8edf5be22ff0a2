/*
 * ip_output.c - IPv4 send path: route, choose the source, build the header,
 * fragment if needed, and hand the datagram to the link.
 *
 * Entry: ip_output() for transport messages generated here (UDP, ICMP, later TCP);
 * ip_send_datagram() for complete datagrams (ip_output itself, forwarding).
 * Exit: neigh_output() on Ethernet devices, us_dev_queue_xmit() on IP links and
 * loopback (a datagram for one of our own addresses goes round through "lo" and comes
 * back in through ip_input). Only enqueues: devices are written in the egress phase.
 *
 * Read first: RFC 791 3.2 (header fields), RFC 1122 3.3.1 (routing outbound
 * datagrams), 3.3.4.3 (source address choice), 3.3.6 (broadcasts), RFC 1191 (DF and
 * path MTU), RFC 6864 (the identification field).
 *
 * Route types on output, as Linux's ip_route_output_key: local -> loopback device;
 * unicast -> the route's device and next hop (its gateway, or the destination when
 * on-link); broadcast -> only when the sender allowed it (SO_BROADCAST) else EACCES;
 * unreachable -> EHOSTUNREACH; prohibit -> EACCES; blackhole -> EINVAL; no route ->
 * ENETUNREACH (IpOutNoRoutes). 255.255.255.255 and multicast go out of the device the
 * sender chose (oif), else the device of its source address, else the device of the
 * route the destination would take; their next hop is the destination itself.
 */
#include <errno.h>

#include "icmp/icmp.h"
#include "ip/ifaddr.h"
#include "ip/ip.h"
#include "ip/pmtu.h"
#include "neigh/neigh.h"
#include "wire/checksum.h"

/* Where a locally generated datagram goes. */
struct ip_out_route {
	struct us_netdev *dev;
	uint32_t nexthop;
	uint32_t mtu;     /* route MTU, 0: the device's */
	uint32_t prefsrc; /* 0: choose from the device's addresses */
	uint8_t type;     /* enum us_rt_type */
};

/* Where ip_send_datagram's pieces go (the argument of the fragment sender). */
struct ip_xmit {
	struct us_netdev *dev;
	uint32_t nexthop;
};

static uint32_t path_mtu(const struct us_netdev *dev, uint32_t route_mtu)
{
	return route_mtu && route_mtu < dev->mtu ? route_mtu : dev->mtu;
}

/* RFC 1122 3.3.6 / 3.3.7: limited broadcast and multicast are sent on one interface. */
static int route_output_group(struct us_stack *st, const struct us_ip_tx *tx,
			      struct us_netdev *oif, struct ip_out_route *ro,
			      enum us_drop_reason *why)
{
	struct us_netdev *dev = oif;
	struct us_route rt;

	if (!dev && tx->src)
		dev = ifaddr_dev_of(st, tx->src);
	if (!dev && !fib_lookup(st, tx->dst, &rt) && rt.type == US_RTN_UNICAST)
		dev = us_netdev_by_index(st, rt.ifindex);
	if (!dev || dev->link == US_LINK_LOOPBACK) {
		US_INC(st, IpOutNoRoutes);
		*why = US_DROP_IP_NO_ROUTE;
		return -ENETUNREACH;
	}
	if (ipv4_is_lbcast(tx->dst)) {
		if (!tx->allow_bcast) {
			*why = US_DROP_IP_SRC_BCAST;
			return -EACCES;
		}
		ro->type = US_RTN_BROADCAST;
	} else {
		ro->type = US_RTN_UNICAST;
	}
	ro->dev = dev;
	ro->nexthop = tx->dst;
	return 0;
}

static int route_output(struct us_stack *st, const struct us_ip_tx *tx, struct ip_out_route *ro,
			enum us_drop_reason *why)
{
	struct us_netdev *oif = NULL;
	struct us_route rt;
	int err;

	*ro = (struct ip_out_route){ 0 };
	if (tx->oif) {
		oif = us_netdev_by_index(st, tx->oif);
		if (!oif) {
			*why = US_DROP_IP_NO_ROUTE;
			return -ENODEV;
		}
	}
	if (ipv4_is_lbcast(tx->dst) || ipv4_is_multicast(tx->dst))
		return route_output_group(st, tx, oif, ro, why);

	err = oif ? fib_lookup_dev(st, tx->dst, oif->ifindex, &rt) : fib_lookup(st, tx->dst, &rt);
	if (err) {
		if (oif) {
			/* As Linux: bound to a device with no route through it, the
			 * destination is assumed to be on that link. */
			ro->dev = oif;
			ro->nexthop = tx->dst;
			ro->type = US_RTN_UNICAST;
			return 0;
		}
		US_INC(st, IpOutNoRoutes);
		*why = US_DROP_IP_NO_ROUTE;
		return -ENETUNREACH;
	}
	ro->type = rt.type;
	ro->prefsrc = rt.prefsrc;
	ro->mtu = rt.mtu;
	switch (rt.type) {
	case US_RTN_LOCAL:
		/* Our own address: round through loopback. Source: the route's preferred
		 * source, else the destination itself (Linux ip_route_output_key_hash). */
		ro->dev = st->loopback;
		ro->nexthop = tx->dst;
		ro->mtu = 0;
		if (!ro->prefsrc)
			ro->prefsrc = tx->dst;
		break;
	case US_RTN_BROADCAST:
		if (!tx->allow_bcast) {
			*why = US_DROP_IP_SRC_BCAST;
			return -EACCES;
		}
		ro->dev = us_netdev_by_index(st, rt.ifindex);
		ro->nexthop = tx->dst;
		break;
	case US_RTN_UNICAST:
		ro->dev = us_netdev_by_index(st, rt.ifindex);
		ro->nexthop = rt.gateway ? rt.gateway : tx->dst;
		break;
	case US_RTN_UNREACHABLE:
		*why = US_DROP_IP_UNREACHABLE;
		return -EHOSTUNREACH;
	case US_RTN_PROHIBIT:
		*why = US_DROP_IP_PROHIBIT;
		return -EACCES;
	case US_RTN_BLACKHOLE:
	default:
		*why = US_DROP_IP_BLACKHOLE;
		return -EINVAL;
	}
	if (!ro->dev) {
		US_INC(st, IpOutNoRoutes);
		*why = US_DROP_IP_NO_ROUTE;
		return -ENETUNREACH;
	}
	return 0;
}

uint16_t ip_select_id(struct us_stack *st, uint32_t dst, uint8_t proto)
{
	uint32_t h = (uint32_t)us_siphash_3u32(&st->hash_key, dst, proto, 0x69706964 /* "ipid" */);
	struct us_ip_ident *b = fib_ip_ident(st, h);
	uint32_t delta = 0;

	/* Linux ip_idents_reserve: after the bucket was idle for some time, jump by a
	 * random amount below that time, so a peer cannot count what we sent to others
	 * through the same bucket (the "IP id side channel"). */
	if (b->stamp_ms != st->now_ms) {
		uint64_t idle = st->now_ms - b->stamp_ms;

		if (idle > 1)
			delta = us_stack_rand(st) % (uint32_t)(idle < 0x10000 ? idle : 0x10000);
		b->stamp_ms = st->now_ms;
	}
	b->id += 1 + delta;
	return (uint16_t)b->id;
}

int ip_csum_complete(struct us_pkt *p)
{
	uint8_t *start;

	if (p->csum != US_CSUM_PARTIAL)
		return 0;
	start = p->head + p->csum_start;
	if (start < p->data || start >= p->tail ||
	    (size_t)p->csum_offset + 2 > (size_t)(p->tail - start))
		return -EINVAL;
	csum_finish_partial(start, (size_t)(p->tail - start), p->csum_offset);
	p->csum = US_CSUM_NONE;
	return 0;
}

/* Sends one datagram that fits the MTU (or a fragment) to the link. Consumes @p. */
static int ip_finish_output(struct us_stack *st, struct us_pkt *p, void *arg)
{
	const struct ip_xmit *x = arg;
	struct us_netdev *dev = x->dev;

	/* A device that cannot checksum gets finished bytes. Loopback takes PARTIAL as
	 * it is: the receive side counts PARTIAL as valid (our own data). */
	if (p->csum == US_CSUM_PARTIAL && dev->link != US_LINK_LOOPBACK &&
	    !(dev->caps & US_DEV_CAP_TX_CSUM) && ip_csum_complete(p) < 0) {
		US_INC(st, IpOutDiscards);
		us_drop(st, p, US_DROP_IP_CSUM_OFFLOAD);
		return -EINVAL;
	}
	/* "Verified" describes a received frame; on the way out the bytes are complete. */
	if (p->csum == US_CSUM_VERIFIED)
		p->csum = US_CSUM_NONE;
	p->dev = dev;
	p->nexthop = x->nexthop;
	/* Hook point: NF_INET_POST_ROUTING (filter/, a later issue). */
	if (dev->link == US_LINK_ETHER)
		neigh_output(st, dev, x->nexthop, p);
	else
		us_dev_queue_xmit(dev, p);
	return 0;
}

int ip_send_datagram(struct us_stack *st, struct us_netdev *dev, uint32_t nexthop, uint32_t mtu,
		     struct us_pkt *p)
{
	struct ip_xmit x = { .dev = dev, .nexthop = nexthop };
	uint32_t eff = path_mtu(dev, mtu);
	struct ipv4_repr ip;

	if (us_pkt_len(p) <= eff)
		return ip_finish_output(st, p, &x);
	/* A TCP super-frame the device segments itself: each segment fits. */
	if (p->gso_size && p->gso_type == US_GSO_TCPV4 && (dev->caps & US_DEV_CAP_TSO))
		return ip_finish_output(st, p, &x);
	/* Too big: we built or validated this header, so parsing it cannot fail. */
	if (ipv4_parse(p->data, us_pkt_len(p), true, &ip) != US_DROP_NONE) {
		US_INC(st, IpOutDiscards);
		us_drop(st, p, US_DROP_IP_FRAG_FAILED);
		return -EINVAL;
	}
	if (ip.df) {
		/* RFC 1191 / RFC 1812 5.2.6: DF forbids fragmenting. A forwarded datagram
		 * is answered with "fragmentation needed" carrying the MTU; a local
		 * sender is told directly. */
		US_INC(st, IpFragFails);
		if (p->flags & US_PKT_F_FORWARDED)
			icmp_send_error(st, p, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, eff);
		us_drop(st, p, US_DROP_IP_FRAG_NEEDED);
		return -EMSGSIZE;
	}
	if (p->csum == US_CSUM_PARTIAL && ip_csum_complete(p) < 0) {
		US_INC(st, IpOutDiscards);
		us_drop(st, p, US_DROP_IP_CSUM_OFFLOAD);
		return -EINVAL;
	}
	return ip_fragment(st, p, eff, ip_finish_output, &x);
}

int ip_output(struct us_stack *st, const struct us_ip_tx *tx, struct us_pkt *p)
{
	enum us_drop_reason why = US_DROP_IP_NO_ROUTE;
	size_t total = us_pkt_len(p) + IPV4_HDR_LEN;
	struct ip_out_route ro;
	struct ipv4_repr ip = { 0 };
	bool pmtu_locked = false;
	uint32_t mtu, pmtu;
	int err;

	p->flags |= US_PKT_F_LOCAL_OUT;
	p->flags &= (uint8_t)~US_PKT_F_FORWARDED;
	err = route_output(st, tx, &ro, &why);
	if (err) {
		us_drop(st, p, why);
		return err;
	}
	if (total > IPV4_MAX_LEN) {
		us_drop(st, p, US_DROP_IP_OUT_TOO_BIG);
		return -EMSGSIZE;
	}
	if (us_pkt_headroom(p) < IPV4_HDR_LEN) {
		us_drop(st, p, US_DROP_NOMEM);
		return -ENOBUFS;
	}
	ip.src = tx->src;
	if (!ip.src)
		ip.src = ro.prefsrc ? ro.prefsrc : ifaddr_select_src(st, ro.dev, tx->dst);
	/* RFC 1122 3.2.1.3: 0.0.0.0 only as "this host" before it has an address,
	 * i.e. for broadcasts (DHCP-style); never to a unicast destination. */
	if (!ip.src && ro.type != US_RTN_BROADCAST && !ipv4_is_multicast(tx->dst)) {
		us_drop(st, p, US_DROP_IP_NO_SRC_ADDR);
		return -EADDRNOTAVAIL;
	}
	/* RFC 1191: what the path taught us beats the route (never above it). A locked
	 * path takes no DF: its routers must fragment (pmtu.h). */
	pmtu = ro.type == US_RTN_UNICAST ? pmtu_get(st, tx->dst, &pmtu_locked) : 0;
	if (pmtu && (!ro.mtu || pmtu < ro.mtu))
		ro.mtu = pmtu;
	mtu = path_mtu(ro.dev, ro.mtu);

	ip.hdr_len = IPV4_HDR_LEN;
	ip.tos = tx->tos;
	ip.total_len = (uint16_t)total;
	ip.ttl = tx->ttl ? tx->ttl : (uint8_t)st->cfg.ip_default_ttl;
	ip.proto = tx->proto;
	ip.dst = tx->dst;
	/* RFC 1191: DF on, so the path tells us its MTU; a datagram already larger than
	 * our own MTU is fragmented here instead (Linux IP_PMTUDISC_WANT). */
	if (tx->df < 0)
		ip.df = !st->cfg.ip_no_pmtu_disc && !pmtu_locked && total <= mtu;
	else
		ip.df = tx->df != 0;
	ip.id = ip_select_id(st, tx->dst, tx->proto);
	ipv4_emit(&ip, NULL, us_pkt_push(p, IPV4_HDR_LEN));
	us_pkt_set_network(p);

	US_INC(st, IpOutRequests);
	if (ro.type == US_RTN_BROADCAST)
		US_INC(st, IpExtOutBcastPkts);
	/* Hook point: NF_INET_LOCAL_OUT (filter/, a later issue). */
	return ip_send_datagram(st, ro.dev, ro.nexthop, ro.mtu, p);
}
