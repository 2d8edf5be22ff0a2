/*
 * ip_protos.c - the IP protocol dispatch table (STYLE.md Part 3, example 4; as
 * Linux's inet_protos[] and OpenBSD's inetsw[]).
 *
 * ip_local_deliver() calls .input for a datagram addressed to us; icmp_input()
 * calls .err with the quoted header of an ICMP error about a datagram we sent.
 * A protocol missing here is answered with ICMP protocol unreachable.
 * Adding a transport is one line in this file; nothing registers at run time.
 */
#include "icmp/icmp.h"
#include "ip/ip.h"
#include "tcp/tcp.h"
#include "udp/udp.h"

enum { IP_PROTO_ICMP = 1, IP_PROTO_TCP = 6, IP_PROTO_UDP = 17 };

const struct us_ip_proto us_ip_protos[256] = {
	[IP_PROTO_ICMP] = { .name = "icmp", .input = icmp_input },
	[IP_PROTO_TCP] = { .name = "tcp", .input = tcp_input, .err = tcp_err },
	[IP_PROTO_UDP] = { .name = "udp", .input = udp_input, .err = udp_err },
};
