/*
 * ip.h - the IPv4 layer's entry points (DESIGN.md section 1).
 *
 * Receive: ip_input() validates (RFC 1122 3.2.1, RFC 1812 5.2.2), applies the
 * martian and reverse-path checks, looks the destination up in the FIB, and
 * then delivers locally (reassembling first: ip_reass.c), forwards
 * (ip_forward.c) or drops with a named reason, answering with ICMP where the
 * RFCs say so. Local delivery dispatches through the const protocol table in
 * ip_protos.c.
 *
 * Send: ip_output() routes, picks the source address, builds the header, and
 * fragments (ip_frag.c) to the route's MTU unless DF forbids it; then hands
 * each datagram to the neighbour layer (Ethernet), straight to the device (IP
 * links), or back into ip_input (local destinations, through loopback).
 */
#ifndef US_IP_IP_H
#define US_IP_IP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stack.h"
#include "ip/fib.h"
#include "wire/ipv4.h"

/* Consumes @p; p->data is at the IPv4 header; p->dev is the input device. */
void ip_input(struct us_stack *st, struct us_pkt *p);

/* Parameters of a locally generated datagram. */
struct us_ip_tx {
	uint32_t src;     /* 0: selected from the route (ifaddr_select_src) */
	uint32_t dst;
	uint8_t proto;
	uint8_t ttl;      /* 0: net.ipv4.ip_default_ttl */
	uint8_t tos;
	int df;           /* -1: default: set unless ip_no_pmtu_disc, and only if the datagram
			   * fits the route's MTU (larger ones are fragmented here, as Linux's
			   * IP_PMTUDISC_WANT); 0 or 1 (1: larger than the MTU is -EMSGSIZE) */
	int oif;          /* 0: from the route; else force this device (SO_BINDTODEVICE, broadcast) */
	bool allow_bcast; /* SO_BROADCAST: sending to a broadcast address is allowed */
};

/*
 * ip_output - route and send the transport message in @p (data at the transport
 * header; headroom for the IP and link headers). Consumes @p.
 * Return: 0 when sent or queued; -ENETUNREACH (no route; counts IpOutNoRoutes),
 * -EHOSTUNREACH (route of type unreachable), -EINVAL (blackhole, as Linux), -EACCES
 * (prohibit, or broadcast without allow_bcast), -EMSGSIZE (larger than MTU with DF, or
 * than 65535 bytes), -EADDRNOTAVAIL (no source address), -ENODEV (tx->oif unknown),
 * -ENOBUFS (no buffers). The packet is consumed (and its drop counted) in every case;
 * the caller reports the error.
 */
int ip_output(struct us_stack *st, const struct us_ip_tx *tx, struct us_pkt *p);

/*
 * ip_send_datagram - send a complete IPv4 datagram in @p (data at the IP header) to its
 * destination through @dev and next hop @nexthop (host order), fragmenting if needed.
 * Used by forwarding, reassembled-datagram paths and ip_output itself. Consumes @p.
 * Returns 0 or -errno as ip_output.
 */
int ip_send_datagram(struct us_stack *st, struct us_netdev *dev, uint32_t nexthop, uint32_t mtu,
		     struct us_pkt *p);

/* Local delivery after routing decided the datagram is ours (reassembles first). Consumes. */
void ip_local_deliver(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip);

/* Forwarding (ip_forward.c): @p is not for us and forwarding is on for its device. Consumes. */
void ip_forward(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip,
		const struct us_route *rt);

/* Fragmentation (ip_frag.c). Splits @p (a datagram larger than @mtu, DF clear) and sends each
 * fragment with @send. Consumes @p. 0 or -errno. */
int ip_fragment(struct us_stack *st, struct us_pkt *p, uint32_t mtu,
		int (*send)(struct us_stack *st, struct us_pkt *frag, void *arg), void *arg);

/*
 * Reassembly (ip_reass.c): RFC 791 3.2 / RFC 815, bounded by net.ipv4.ipfrag_high_thresh
 * bytes and ipfrag_max_frags fragments per datagram, ipfrag_time seconds per datagram.
 * Overlapping fragments discard the whole datagram (RFC 5722 applied to IPv4, as Linux does
 * for overlaps that change data). ip_reass() consumes @p; returns the complete datagram
 * (data at its IP header, total length and flags rewritten, *ip updated) when @p completes
 * one, else NULL.
 */
int reasm_init(struct us_stack *st);
void reasm_fini(struct us_stack *st);
struct us_pkt *ip_reass(struct us_stack *st, struct us_pkt *p, struct ipv4_repr *ip);
/* Bytes and datagrams currently held (for tests and `ustack stat`). */
void reasm_usage(struct us_stack *st, size_t *bytes, unsigned *datagrams);

/* An IP protocol handler (ip_protos.c: the const table, STYLE.md example 4). */
struct us_ip_proto {
	const char *name;
	/* Consumes @p; p->data at the transport header, p->net_off at the IP header. */
	void (*input)(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip);
	/*
	 * An ICMP error arrived about a datagram we sent: @quoted is the quoted IP header,
	 * @l4 the first @l4_len (>= 8) bytes of its transport header. @err is the errno the
	 * RFC 1122 3.2.2.1 mapping gives (ECONNREFUSED, EHOSTUNREACH, EMSGSIZE ...); @info is
	 * the MTU for fragmentation-needed.
	 */
	void (*err)(struct us_stack *st, const struct ipv4_repr *quoted, const uint8_t *l4,
		    size_t l4_len, uint8_t type, uint8_t code, int err, uint32_t info);
};

extern const struct us_ip_proto us_ip_protos[256];

/*
 * ip_select_id - the identification field for a locally generated datagram: a counter
 * per bucket of (destination, protocol) chosen by SipHash under the stack's key, as
 * Linux's ip_idents (RFC 6864 4.1: unique per source, destination and protocol while the
 * datagram may live), advanced by a random amount after an idle period so that the ids
 * seen by one peer do not reveal how much we send to others.
 */
uint16_t ip_select_id(struct us_stack *st, uint32_t dst, uint8_t proto);

/*
 * ip_csum_complete - finish a US_CSUM_PARTIAL transport checksum in software (the
 * device cannot, or the datagram is about to be fragmented): sum the bytes from
 * csum_start to the end and store the result at csum_start + csum_offset; the packet
 * becomes US_CSUM_NONE. A result of zero is stored as 0xffff (the same value in one's
 * complement; for UDP, RFC 768 requires it). No-op for other states.
 * Return: 0, or -EINVAL if the offsets lie outside the packet's data.
 */
int ip_csum_complete(struct us_pkt *p);

#endif
