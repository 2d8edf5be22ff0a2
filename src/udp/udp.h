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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/stack.h"
#include "wire/ipv4.h"

int udp_init(struct us_stack *st);
void udp_fini(struct us_stack *st);

/* Consumes @p; p->data at the UDP header, p->net_off at the IP header. */
void udp_input(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip);
void udp_err(struct us_stack *st, const struct ipv4_repr *quoted, const uint8_t *l4, size_t l4_len,
	     uint8_t type, uint8_t code, int err, uint32_t info);

/* The port table, for socket/sock_udp.c. struct us_sock is socket/sock.h's. */
struct us_sock;

/* Buckets of the port table (keyed by local port: ports are chosen locally). */
#define US_UDP_HASH 1024

/*
 * udp_bind - put @sk in the port table at @addr:@port; @port 0 picks an ephemeral port
 * (net.ipv4.ip_local_port_range, RFC 6056). A port is in use when another socket has it
 * on the same address or a wildcard on either side, unless both set SO_REUSEADDR.
 * 0, -EADDRINUSE (taken, or no ephemeral port free).
 */
int udp_bind(struct us_stack *st, struct us_sock *sk, uint32_t addr, uint16_t port);
/* Takes @sk out of the port table (no-op when it is not in it). */
void udp_unhash(struct us_stack *st, struct us_sock *sk);

/*
 * udp_output - send @len bytes (<= 65507) from @sk as one datagram @src:sk->lport ->
 * @dst:@dport (@src chosen by the caller: it is in the checksum). @bcast: @dst is a
 * broadcast address (the caller checked SO_BROADCAST).
 * Returns @len, or -errno from buffer allocation (-ENOBUFS) or ip_output.
 */
ssize_t udp_output(struct us_stack *st, struct us_sock *sk, const void *buf, size_t len,
		   uint32_t src, uint32_t dst, uint16_t dport, bool bcast);

#endif
