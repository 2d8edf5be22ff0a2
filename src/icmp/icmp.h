/*
 * icmp.h - ICMPv4 (RFC 792, RFC 1122 3.2.2, RFC 1812 4.3): echo replies,
 * errors generated for other layers (rate limited), and errors received,
 * passed to the transport that sent the quoted datagram.
 */
#ifndef US_ICMP_ICMP_H
#define US_ICMP_ICMP_H

#include <stdbool.h>
#include <stddef.h>
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

struct us_ip_tx;

/*
 * icmp_output - send the ICMP message in @p (data at the ICMP header, checksum filled)
 * through ip_output and count it (IcmpOutMsgs and the per-type IcmpOut* counter, or
 * IcmpOutErrors when IP refused it). Used for echo replies, errors and ping sockets.
 * Consumes @p. Returns ip_output's result.
 */
int icmp_output(struct us_stack *st, const struct us_ip_tx *tx, struct us_pkt *p);

/*
 * icmp_err_convert - the errno a received ICMP error of @type/@code means for the
 * transport (RFC 1122 3.2.2.1 and 4.1.3.3; the table is Linux's icmp_err_convert) and
 * whether it is "hard" (@fatal: reported on a connected socket even without
 * IP_RECVERR; soft errors, e.g. net/host unreachable and time exceeded, may be
 * transient, RFC 1122 4.2.3.9). Source quench gives EREMOTEIO and is soft (RFC 6633:
 * transports ignore it). Returns 0 for types that are not errors.
 */
int icmp_err_convert(uint8_t type, uint8_t code, bool *fatal);

#endif
