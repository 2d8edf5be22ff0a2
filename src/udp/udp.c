/*
 * udp.c - UDP (RFC 768, RFC 1122 4.1): the port table, input demultiplexing to
 * sockets, output, and ICMP errors in both directions.
 *
 * Entry: udp_input() from IP local delivery (us_ip_protos[IPPROTO_UDP]),
 *        consumes the packet; udp_err() from icmp_input() for an ICMP error
 *        quoting a datagram we sent; udp_bind()/udp_unhash()/udp_output() from
 *        socket/sock_udp.c.
 * Exit:  sock_queue_rcv() (the socket's bounded receive queue), ip_output(),
 *        icmp_send_error() for port unreachable, sock_report_error().
 * Never transmits to a device itself and never blocks.
 *
 * Demultiplexing (Linux's compute_score, reduced to IPv4 without devices):
 * the sockets on the destination port are scored; a socket bound to a
 * specific address must match the destination, a connected socket must match
 * the source address and port, and each such match makes the socket more
 * specific. The most specific one wins (ties: the most recently bound, as the
 * table adds at the head of a chain). Broadcast and multicast datagrams go to
 * every matching socket instead (Linux's __udp4_lib_mcast_deliver).
 *
 * Output leaves the checksum to the device where it can (US_CSUM_PARTIAL);
 * ip_output finishes it in software for other devices and before fragmenting.
 *
 * Read first: RFC 768; RFC 1122 4.1.3 (4.1.3.1 ports, 4.1.3.3 ICMP messages,
 * 4.1.3.4 checksums, 4.1.3.6 invalid addresses); RFC 6056 (ephemeral ports).
 */
#include "udp/udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "icmp/icmp.h"
#include "ip/fib.h"
#include "ip/ip.h"
#include "socket/sock.h"
#include "wire/icmp.h"
#include "wire/udp.h"

struct us_udp_table {
	struct hlist_head buckets[US_UDP_HASH];
	unsigned count;                  /* sockets in the table */
};

static struct hlist_head *udp_bucket(struct us_stack *st, uint16_t port)
{
	return &st->udp->buckets[port & (US_UDP_HASH - 1)];
}

int udp_init(struct us_stack *st)
{
	st->udp = calloc(1, sizeof(*st->udp));
	return st->udp ? 0 : -ENOMEM;
}

void udp_fini(struct us_stack *st)
{
	/* The socket layer has closed (and unhashed) every socket by now. */
	free(st->udp);
	st->udp = NULL;
}

/* Is @port at @addr taken for @sk (Linux's udp_lib_lport_inuse)? */
static bool udp_port_in_use(struct us_stack *st, const struct us_sock *sk, uint32_t addr,
			    uint16_t port)
{
	struct us_sock *o;

	hlist_for_each_entry(o, udp_bucket(st, port), hash_link) {
		if (o == sk || o->lport != port)
			continue;
		if (o->laddr && addr && o->laddr != addr)
			continue;
		if (o->reuseaddr && sk->reuseaddr)
			continue;
		return true;
	}
	return false;
}

int udp_bind(struct us_stack *st, struct us_sock *sk, uint32_t addr, uint16_t port)
{
	if (!port) {
		port = sock_pick_port(st, sk, addr, (unsigned)st->cfg.ip_local_port_min,
				      (unsigned)st->cfg.ip_local_port_max, udp_port_in_use);
		if (!port)
			return -EADDRINUSE;
	} else if (udp_port_in_use(st, sk, addr, port)) {
		return -EADDRINUSE;
	}
	sk->laddr = addr;
	sk->lport = port;
	hlist_add_head(&sk->hash_link, udp_bucket(st, port));
	st->udp->count++;
	return 0;
}

void udp_unhash(struct us_stack *st, struct us_sock *sk)
{
	if (hlist_unhashed(&sk->hash_link))
		return;
	hlist_del(&sk->hash_link);
	st->udp->count--;
}

/*
 * How well @sk matches a datagram @raddr:@rport -> @laddr:@lport: -1 if it must not
 * get it, else higher for more specific sockets.
 */
static int udp_score(const struct us_sock *sk, uint32_t laddr, uint16_t lport, uint32_t raddr,
		     uint16_t rport)
{
	int score = 0;

	if (sk->lport != lport)
		return -1;
	if (sk->laddr) {
		if (sk->laddr != laddr)
			return -1;
		score += 4;
	}
	if (sk->connected) {
		if (sk->raddr != raddr || sk->rport != rport)
			return -1;
		score += 4;
	}
	return score;
}

/* The socket a unicast datagram belongs to, or NULL. Also used for ICMP errors, with the
 * quoted datagram's addresses turned around. */
static struct us_sock *udp_lookup(struct us_stack *st, uint32_t laddr, uint16_t lport,
				  uint32_t raddr, uint16_t rport)
{
	struct us_sock *sk, *best = NULL;
	int best_score = -1;

	hlist_for_each_entry(sk, udp_bucket(st, lport), hash_link) {
		int score = udp_score(sk, laddr, lport, raddr, rport);
		if (score > best_score) {
			best = sk;
			best_score = score;
		}
	}
	return best;
}

/* Is @dst a broadcast or multicast address (limited, or a subnet broadcast route)? */
static bool udp_dst_is_bcast(struct us_stack *st, uint32_t dst)
{
	struct us_route rt;

	if (ipv4_is_lbcast(dst) || ipv4_is_multicast(dst))
		return true;
	return fib_lookup(st, dst, &rt) == 0 && rt.type == US_RTN_BROADCAST;
}

/* Queues @p on @sk. Consumes @p. */
static void udp_deliver(struct us_stack *st, struct us_sock *sk, struct us_pkt *p)
{
	if (sock_queue_rcv(sk, p) < 0) {
		US_INC(st, UdpRcvbufErrors);
		US_INC(st, UdpInErrors);
		us_drop(st, p, US_DROP_UDP_RCVBUF);
		return;
	}
	US_INC(st, UdpInDatagrams);
}

/*
 * A broadcast or multicast datagram goes to every socket on the port that is bound to
 * the wildcard or to that very address, and, if connected, to its sender (Linux's
 * __udp_is_mcast_sock). Every socket but the last gets a copy. Consumes @p.
 */
static void udp_deliver_bcast(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip,
			      const struct udp_repr *u)
{
	struct us_sock *sk, *prev = NULL;

	hlist_for_each_entry(sk, udp_bucket(st, u->dport), hash_link) {
		if (udp_score(sk, ip->dst, u->dport, ip->src, u->sport) < 0)
			continue;
		if (prev) {
			struct us_pkt *c = us_pkt_copy(&st->pool, p);
			if (!c) {
				US_INC(st, UdpInErrors);
				us_drop(st, NULL, US_DROP_NOMEM);
			} else {
				udp_deliver(st, prev, c);
			}
		}
		prev = sk;
	}
	if (!prev) {
		/* RFC 1122 3.2.2: no port unreachable for a broadcast (Linux counts these
		 * as UdpIgnoredMulti, not UdpNoPorts). */
		US_INC(st, UdpIgnoredMulti);
		us_drop(st, p, US_DROP_UDP_BCAST_NO_SOCKET);
		return;
	}
	udp_deliver(st, prev, p);
}

void udp_input(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip)
{
	bool csum_ok = p->csum == US_CSUM_VERIFIED || p->csum == US_CSUM_PARTIAL;
	enum us_drop_reason reason;
	struct us_sock *sk;
	struct udp_repr u;

	us_pkt_set_transport(p);
	reason = udp_parse(p->data, us_pkt_len(p), ip->src, ip->dst, csum_ok, &u);
	if (reason != US_DROP_NONE) {
		/* RFC 1122 4.1.3.4: a bad checksum MUST be silently discarded. */
		if (reason == US_DROP_UDP_CSUM)
			US_INC(st, UdpInCsumErrors);
		US_INC(st, UdpInErrors);
		us_drop(st, p, reason);
		return;
	}
	/* RFC 768: octets past the UDP length are not part of the datagram. */
	us_pkt_trim(p, UDP_HDR_LEN + (size_t)u.payload_len);

	if (udp_dst_is_bcast(st, ip->dst)) {
		us_pkt_pull(p, UDP_HDR_LEN);
		udp_deliver_bcast(st, p, ip, &u);
		return;
	}
	sk = udp_lookup(st, ip->dst, u.dport, ip->src, u.sport);
	if (!sk) {
		/* RFC 1122 4.1.3.1: SHOULD send port unreachable. icmp_send_error applies
		 * the never-answer rules (link broadcast, fragments ...) and the rate limit. */
		US_INC(st, UdpNoPorts);
		icmp_send_error(st, p, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
		us_drop(st, p, US_DROP_UDP_NO_SOCKET);
		return;
	}
	us_pkt_pull(p, UDP_HDR_LEN);
	udp_deliver(st, sk, p);
}

void udp_err(struct us_stack *st, const struct ipv4_repr *quoted, const uint8_t *l4, size_t l4_len,
	     uint8_t type, uint8_t code, int err, uint32_t info)
{
	struct udp_repr u;
	struct us_sock *sk;
	bool fatal = false;

	(void)info; /* frag-needed's MTU went to the path MTU cache (ip/pmtu.h); the socket
		     * only hears EMSGSIZE, as on Linux */
	if (udp_parse_quoted(l4, l4_len, &u) != US_DROP_NONE)
		return;
	/* The quoted datagram went from us (quoted->src:sport) to quoted->dst:dport. */
	sk = udp_lookup(st, quoted->src, u.sport, quoted->dst, u.dport);
	if (!sk)
		return;
	/* RFC 6633: source quench is ignored; redirects are routing, not errors (Linux
	 * __udp4_lib_err does the same). */
	if (type == ICMP_SOURCE_QUENCH || type == ICMP_REDIRECT)
		return;
	icmp_err_convert(type, code, &fatal);
	if (err <= 0)
		return;
	/*
	 * RFC 1122 4.1.3.3 says UDP MUST pass every ICMP error up; like Linux, we do it
	 * for connected sockets and hard errors only unless IP_RECVERR is on, since an
	 * unconnected socket cannot tell which of its peers the error is about.
	 */
	sock_report_error(sk, err, fatal);
}

ssize_t udp_output(struct us_stack *st, struct us_sock *sk, const void *buf, size_t len,
		   uint32_t src, uint32_t dst, uint16_t dport, bool bcast)
{
	struct us_ip_tx tx = {
		.src = src,
		.dst = dst,
		.proto = IPPROTO_UDP,
		.ttl = sk->ttl < 0 ? 0 : (uint8_t)sk->ttl,
		.tos = sk->tos,
		.df = -1,
		.allow_bcast = bcast && sk->broadcast,
	};
	struct udp_repr u = { .sport = sk->lport, .dport = dport, .payload_len = (uint16_t)len };
	struct us_pkt *p;
	int err;

	p = us_pkt_alloc(&st->pool, UDP_HDR_LEN + len);
	if (!p) {
		US_INC(st, UdpSndbufErrors);
		return -ENOBUFS;
	}
	p->flags |= US_PKT_F_LOCAL_OUT;
	if (len)
		memcpy(us_pkt_put(p, len), buf, len);
	/*
	 * Checksum offload: the header gets the pseudo-header sum and the packet says
	 * where the rest goes (virtio NEEDS_CSUM). A device with TX_CSUM finishes it;
	 * for any other device, and before fragmenting, IP finishes it in software
	 * (ip_csum_complete); loopback delivers it as is, counted valid.
	 */
	udp_emit(&u, us_pkt_push(p, UDP_HDR_LEN), src, dst, UDP_CSUM_PARTIAL);
	us_pkt_set_transport(p);
	p->csum = US_CSUM_PARTIAL;
	p->csum_start = p->trans_off;
	p->csum_offset = UDP_OFF_CSUM;
	err = ip_output(st, &tx, p);
	if (err < 0) {
		if (err == -ENOBUFS)
			US_INC(st, UdpSndbufErrors);
		return err;
	}
	US_INC(st, UdpOutDatagrams);
	return (ssize_t)len;
}
