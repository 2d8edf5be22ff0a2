/*
 * icmp.h - ICMPv4 (RFC 792, RFC 1122 3.2.2, RFC 1812 4.3): echo replies,
 * errors generated for other layers (rate limited), and errors received,
 * passed to the transport that sent the quoted datagram.
 */
#ifndef US_ICMP_ICMP_H
#define US_ICMP_ICMP_H

#include <stdint.h>

#include "core/stack.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

int icmp_init(struct us_stack *st);
void icmp_fini(struct us_stack *st);

/* Consumes @p; p->data at the ICMP header, p->net_off at the IP header. */
void icmp_input(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip);

/*
 * icmp_send_error - answer the datagram in @orig (p->net_off at its IP header) with an
 * ICMP error of @type/@code; @info is the next-hop MTU for ICMP_FRAG_NEEDED, the pointer
 * for parameter problems, the gateway for redirects. Borrows @orig.
 * Never answers (RFC 1122 3.2.2 / RFC 1812 4.3.2.7): an ICMP error, a datagram to or
 * from a broadcast or multicast address, a non-first fragment, a frame that came as
 * link broadcast, or a martian source. Rate limited per destination and globally
 * (net.ipv4.icmp_ratelimit, icmp_ratemask, icmp_msgs_per_sec/burst).
 */
void icmp_send_error(struct us_stack *st, const struct us_pkt *orig, uint8_t type, uint8_t code,
		     uint32_t info);

/* Echo replies are offered to ping sockets (socket/sock_ping.c) before being counted as
 * unmatched. */

#endif
