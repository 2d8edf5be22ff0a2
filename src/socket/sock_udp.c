/*
 * sock_udp.c - the UDP kind of socket (AF_INET, SOCK_DGRAM, IPPROTO_UDP): the
 * socket layer's ops, each a thin call into udp/udp.c, which owns the port
 * table and the protocol. Receiving needs nothing here: udp_input queues on
 * the socket with sock_queue_rcv and us_recvfrom (sock.c) reads the queue.
 *
 * Read first: RFC 768; RFC 1122 4.1.3.
 */
#include <errno.h>

#include "socket/sock.h"
#include "udp/udp.h"
#include "wire/udp.h"

static int udp_sock_bind(struct us_sock *sk, uint32_t addr, uint16_t port)
{
	return udp_bind(sk->st, sk, addr, port);
}

static void udp_sock_unhash(struct us_sock *sk)
{
	udp_unhash(sk->st, sk);
}

static ssize_t udp_sock_sendmsg(struct us_sock *sk, const void *buf, size_t len, int flags,
				uint32_t src, uint32_t dst, uint16_t dport, bool bcast)
{
	(void)flags; /* MSG_DONTWAIT is implied: nothing blocks in inline mode */
	return udp_output(sk->st, sk, buf, len, src, dst, dport, bcast);
}

/* A queued datagram's data is at its payload; its UDP header is at trans_off. */
static uint16_t udp_sock_peer_port(const struct us_pkt *p)
{
	return udp_sport_of(us_pkt_transport(p));
}

const struct us_sock_ops sock_udp_ops = {
	.name = "udp",
	.bind = udp_sock_bind,
	.unhash = udp_sock_unhash,
	.sendmsg = udp_sock_sendmsg,
	.peer_port = udp_sock_peer_port,
	.max_msg = US_UDP_MAX_PAYLOAD,
};
