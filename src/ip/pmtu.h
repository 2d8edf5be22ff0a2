/*
 * pmtu.h - the path MTU cache (RFC 1191; Linux keeps the same facts as FIB next-hop
 * exceptions): what ICMP "fragmentation needed" messages taught us about the largest
 * datagram each destination's path carries, each fact forgotten after
 * net.ipv4.route.mtu_expires seconds so a path that grew again is found again.
 *
 * Output (ip_output, TCP's route) takes the smaller of the route's MTU and the
 * cached one. A path claimed to be below net.ipv4.route.min_pmtu is recorded at
 * min_pmtu and "locked": datagrams to it go without DF, so routers fragment them
 * (Linux's answer to forged tiny MTUs, RFC 5927 section 7.1).
 *
 * Bounded: a fixed table of PMTU_SLOTS entries in sets of PMTU_WAYS; a new fact in a
 * full set replaces the one that expires first. Keys are hashed with the stack's
 * secret key, so a peer cannot aim its messages at one set.
 */
#ifndef US_IP_PMTU_H
#define US_IP_PMTU_H

#include <stdbool.h>
#include <stdint.h>

#define PMTU_SLOTS 2048u
#define PMTU_WAYS 4u

struct us_stack;

int pmtu_init(struct us_stack *st);
void pmtu_fini(struct us_stack *st);

/*
 * pmtu_learn - an ICMP fragmentation-needed about a datagram we sent to @dst, @tot_len
 * bytes long with DF set, reports next-hop MTU @mtu (0 from routers older than RFC
 * 1191). RFC 1191: the estimate only ever goes down on such news; a missing or
 * nonsensical MTU (0, or not below the datagram that was too big) is replaced by the
 * next lower plateau of RFC 1191 section 7.1. Returns the path MTU now in force for
 * @dst (what the transport should use), or 0 when the message taught nothing.
 */
uint32_t pmtu_learn(struct us_stack *st, uint32_t dst, uint32_t tot_len, uint32_t mtu);

/* The cached path MTU towards @dst, 0 when none (or expired). *@locked (may be NULL):
 * datagrams to @dst must not carry DF. */
uint32_t pmtu_get(struct us_stack *st, uint32_t dst, bool *locked);

/* Forgets everything (e.g. when routes change). */
void pmtu_flush(struct us_stack *st);

/* Calls @fn for each live entry, with the seconds left until it expires. */
void pmtu_dump(struct us_stack *st,
	       void (*fn)(uint32_t dst, uint32_t mtu, bool locked, uint64_t expires_in_ms, void *arg),
	       void *arg);

#endif
