/*
 * sock_ping.c - ICMP echo ("ping") sockets: AF_INET, SOCK_DGRAM, IPPROTO_ICMP,
 * as Linux's net/ipv4/ping.c offers them to unprivileged programs.
 *
 * The application sends an ICMP echo request (type 8, code 0, its sequence
 * number and data); the stack puts the socket's identifier in it (the
 * "port": bound, or chosen at the first send) and computes the checksum. Echo
 * replies carrying that identifier are queued to the socket whole, ICMP header
 * included, as Linux returns them. ICMP errors quoting one of the socket's
 * requests become its pending error (sock_report_error's rules).
 *
 * Entry: the socket ops (from sock.c); sock_ping_rcv()/sock_ping_err() from
 *        icmp/icmp.c.
 * Exit:  icmp_output() for requests, sock_queue_rcv() for replies.
 *
 * Read first: RFC 792 (echo); RFC 1122 3.2.2.6.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "icmp/icmp.h"
#include "ip/ip.h"
#include "socket/sock.h"
#include "wire/icmp.h"

static struct hlist_head *ping_bucket(struct us_stack *st, uint16_t id)
{
	return &st->socks->ping_hash[id & (US_PING_HASH - 1)];
}

/* Linux's ping_get_port: an identifier belongs to one socket unless both reuse it. */
static bool ping_id_in_use(struct us_stack *st, const struct us_sock *sk, uint32_t addr,
			   uint16_t id)
{
	struct us_sock *o;

	(void)addr;
	hlist_for_each_entry(o, ping_bucket(st, id), hash_link) {
		if (o != sk && o->lport == id && !(o->reuseaddr && sk->reuseaddr))
			return true;
	}
	return false;
}

static int ping_bind(struct us_sock *sk, uint32_t addr, uint16_t id)
{
	struct us_stack *st = sk->st;

	if (!id) {
		id = sock_pick_port(st, sk, addr, 1, 65535, ping_id_in_use);
		if (!id)
			return -EADDRINUSE;
	} else if (ping_id_in_use(st, sk, addr, id)) {
		return -EADDRINUSE;
	}
	sk->laddr = addr;
	sk->lport = id;
	hlist_add_head(&sk->hash_link, ping_bucket(st, id));
	return 0;
}

static void ping_unhash(struct us_sock *sk)
{
	hlist_del(&sk->hash_link);
}

/* Linux's ping_common_sendmsg: a whole ICMP header, and it must be an echo request. */
static int ping_check(const void *buf, size_t len)
{
	const uint8_t *b = buf;

	if (len < ICMP_HDR_LEN)
		return -EINVAL;
	if (b[ICMP_OFF_TYPE] != ICMP_ECHO || b[ICMP_OFF_CODE] != 0)
		return -EINVAL;
	return 0;
}

static ssize_t ping_sendmsg(struct us_sock *sk, const void *buf, size_t len, int flags,
			    uint32_t src, uint32_t dst, uint16_t dport, bool bcast)
{
	struct us_stack *st = sk->st;
	const uint8_t *b = buf;
	struct icmp_repr r = {
		.type = ICMP_ECHO,
		.code = 0,
		.rest = icmp_rest_echo(sk->lport, icmp_echo_seq_of(b)),
		.payload_len = len - ICMP_HDR_LEN,
	};
	struct us_ip_tx tx = {
		.src = src,
		.dst = dst,
		.proto = IPPROTO_ICMP,
		.ttl = sk->ttl < 0 ? 0 : (uint8_t)sk->ttl,
		.tos = sk->tos,
		.df = -1,
		.allow_bcast = bcast && sk->broadcast,
	};
	struct us_pkt *p;
	int err;

	(void)flags;
	(void)dport;
	p = us_pkt_alloc(&st->pool, len);
	if (!p)
		return -ENOBUFS;
	memcpy(us_pkt_put(p, len), b, len);
	icmp_emit(&r, p->data);
	err = icmp_output(st, &tx, p);
	return err < 0 ? err : (ssize_t)len;
}

static uint16_t ping_peer_port(const struct us_pkt *p)
{
	(void)p;
	return 0;
}

/* The socket with echo identifier @id that accepts messages to @local (Linux's
 * ping_lookup: a socket bound to an address sees only what is sent to it). */
static struct us_sock *ping_lookup(struct us_stack *st, uint16_t id, uint32_t local)
{
	struct us_sock *sk;

	hlist_for_each_entry(sk, ping_bucket(st, id), hash_link) {
		if (sk->lport != id)
			continue;
		if (sk->laddr && sk->laddr != local)
			continue;
		return sk;
	}
	return NULL;
}

bool sock_ping_rcv(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip,
		   const struct icmp_repr *icmp)
{
	struct us_sock *sk = ping_lookup(st, icmp_echo_id(icmp), ip->dst);

	if (!sk)
		return false;
	if (sock_queue_rcv(sk, p) < 0)
		us_drop(st, p, US_DROP_PING_RCVBUF);
	return true;
}

void sock_ping_err(struct us_stack *st, const struct ipv4_repr *quoted, const uint8_t *l4,
		   size_t l4_len, uint8_t type, uint8_t code, int err, uint32_t info)
{
	struct us_sock *sk;
	bool fatal;

	(void)info;
	if (l4_len < ICMP_HDR_LEN || l4[ICMP_OFF_TYPE] != ICMP_ECHO || err <= 0)
		return;
	sk = ping_lookup(st, icmp_echo_id_of(l4), quoted->src);
	if (!sk)
		return;
	icmp_err_convert(type, code, &fatal);
	sock_report_error(sk, err, fatal);
}

const struct us_sock_ops sock_ping_ops = {
	.name = "ping",
	.check = ping_check,
	.bind = ping_bind,
	.unhash = ping_unhash,
	.sendmsg = ping_sendmsg,
	.peer_port = ping_peer_port,
	.max_msg = US_PING_MAX_MSG,
};
