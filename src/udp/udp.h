/*
 * udp.h - UDP (RFC 768, RFC 1122 4.1): input demultiplexing to sockets, output,
 * and ICMP errors in both directions (port unreachable sent for closed ports,
 * received errors reported to the socket).
 *
 * The socket-facing side (binding, queues) lives in socket/sock_udp.c; this module
 * owns the port table and the protocol.
 */
#ifndef US_UDP_UDP_H
#define US_UDP_UDP_H

#include <stdint.h>

#include "core/stack.h"
#include "wire/ipv4.h"

int udp_init(struct us_stack *st);
void udp_fini(struct us_stack *st);

/* Consumes @p; p->data at the UDP header, p->net_off at the IP header. */
void udp_input(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip);
void udp_err(struct us_stack *st, const struct ipv4_repr *quoted, const uint8_t *l4, size_t l4_len,
	     uint8_t type, uint8_t code, int err, uint32_t info);

#endif
