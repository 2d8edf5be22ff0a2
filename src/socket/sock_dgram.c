/*
 * sock_dgram.c - the calls of datagram sockets (Linux's inet_dgram_ops), shared
 * by UDP (sock_udp.c) and ICMP echo "ping" sockets (sock_ping.c): connect and
 * disconnect, sending to a destination chosen per message or by connect,
 * reading the bounded receive queue, shutdown, options and readiness. What
 * differs per protocol (port table, message format, output) is behind
 * struct us_sock_ops.
 *
 * Entry: sock.c's API functions through sock_dgram_calls.
 * Exit:  sk->ops->bind/sendmsg/unhash into udp/ and icmp/.
 *
 * Semantics follow Linux's for every errno (ip4_datagram_connect,
 * __udp_disconnect, udp_sendmsg/udp_recvmsg, sock_setsockopt,
 * do_ip_setsockopt, datagram_poll).
 *
 * Read first: RFC 1122 4.1.3 (UDP and the application interface).
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>

#include "ip/fib.h"
#include "ip/ifaddr.h"
#include "socket/sock.h"
#include "wire/ipv4.h"

/*
 * dgram_route - where a message from @sk to @dst goes: the source address to use and
 * whether @dst is a broadcast address. Errors as Linux's route output for the route
 * type: -ENETUNREACH (no route), -EHOSTUNREACH (unreachable), -EACCES (prohibit),
 * -EINVAL (blackhole), -EADDRNOTAVAIL (no address to send from).
 */
static int dgram_route(struct us_stack *st, const struct us_sock *sk, uint32_t dst,
		       uint32_t *src, bool *bcast)
{
	struct us_route rt;
	struct us_netdev *dev;

	*bcast = ipv4_is_lbcast(dst);
	if (fib_lookup(st, dst, &rt) < 0)
		return -ENETUNREACH;
	switch (rt.type) {
	case US_RTN_UNICAST:
	case US_RTN_LOCAL:
		break;
	case US_RTN_BROADCAST:
		*bcast = true;
		break;
	case US_RTN_UNREACHABLE:
		return -EHOSTUNREACH;
	case US_RTN_PROHIBIT:
		return -EACCES;
	default:
		return -EINVAL; /* blackhole */
	}
	if (sk->laddr && ifaddr_is_local(st, sk->laddr)) {
		*src = sk->laddr;
		return 0;
	}
	if (rt.prefsrc)
		*src = rt.prefsrc;
	else if (rt.type == US_RTN_LOCAL)
		*src = dst;
	else if ((dev = us_netdev_by_index(st, rt.ifindex)))
		*src = ifaddr_select_src(st, dev, rt.gateway ? rt.gateway : dst);
	else
		*src = 0;
	return *src ? 0 : -EADDRNOTAVAIL;
}

/*
 * dgram_prepare - everything connect and sendto do before using a destination:
 * "send to 0.0.0.0" means this host (Linux), an unbound socket gets an
 * ephemeral port (inet_autobind), the route gives the source address, and a
 * broadcast needs SO_BROADCAST (Linux's policy; RFC 1122 3.3.6 leaves it to the
 * host, and a broadcast should never be an accident).
 */
static int dgram_prepare(struct us_sock *sk, uint32_t *dst, uint32_t *src, bool *bcast)
{
	int err;

	if (*dst == INADDR_ANY)
		*dst = INADDR_LOOPBACK;
	if (!sk->lport && sk->ops->bind(sk, sk->laddr, 0) < 0)
		return -EAGAIN;
	err = dgram_route(sk->st, sk, *dst, src, bcast);
	if (err)
		return err;
	if (*bcast && !sk->broadcast)
		return -EACCES;
	return 0;
}

static int dgram_bind(struct us_sock *sk, uint32_t addr, uint16_t port)
{
	int err;

	if (sk->lport)
		return -EINVAL;
	err = sk->ops->bind(sk, addr, port);
	if (err)
		return err;
	sk->addr_locked = addr != INADDR_ANY;
	sk->port_locked = port != 0;
	return 0;
}

/* connect(AF_UNSPEC): forget the peer; an address or port that connect or autobind
 * chose (not bind) is given back (Linux's __udp_disconnect). */
static int dgram_disconnect(struct us_sock *sk)
{
	sk->connected = false;
	sk->raddr = 0;
	sk->rport = 0;
	if (!sk->addr_locked)
		sk->laddr = 0;
	if (!sk->port_locked && sk->lport) {
		sk->ops->unhash(sk);
		sk->lport = 0;
	}
	return 0;
}

static int dgram_connect(struct us_sock *sk, const struct sockaddr *addr, socklen_t len)
{
	sa_family_t family;
	uint32_t dst, src;
	uint16_t port;
	bool bcast;
	int err;

	memcpy(&family, addr, sizeof(family));
	if (family == AF_UNSPEC)
		return dgram_disconnect(sk);
	err = sock_get_dst(addr, len, &dst, &port);
	if (err)
		return err;
	err = dgram_prepare(sk, &dst, &src, &bcast);
	if (err)
		return err;
	/* The socket now receives only from the peer, at the address it sends from. */
	if (!sk->laddr)
		sk->laddr = src;
	sk->raddr = dst;
	sk->rport = port;
	sk->connected = true;
	return 0;
}

static ssize_t dgram_sendmsg(struct us_sock *sk, const struct iovec *iov, int iovcnt, int flags,
			     const struct sockaddr *to, socklen_t tolen)
{
	const void *buf = iovcnt > 0 ? iov[0].iov_base : NULL;
	size_t len = iovcnt > 0 ? iov[0].iov_len : 0;
	uint32_t dst, src;
	uint16_t dport;
	bool bcast;
	int err;

	if (iovcnt < 0 || (iovcnt && !iov))
		return -EINVAL;
	/* No caller gathers several buffers into one datagram yet (the channel API of
	 * issue 4 will); the socket API passes one. */
	if (iovcnt > 1)
		return -EOPNOTSUPP;
	if (len > sk->ops->max_msg)
		return -EMSGSIZE;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (len && !buf)
		return -EFAULT;
	if (sk->ops->check) {
		err = sk->ops->check(buf, len);
		if (err)
			return err;
	}
	if (to) {
		struct sockaddr_in sin;

		err = sock_get_sin(to, tolen, &sin);
		if (err)
			return err;
		/* UDP takes AF_UNSPEC as AF_INET (Linux's udp_sendmsg); ping does not. */
		if (sin.sin_family != AF_INET &&
		    !(sin.sin_family == AF_UNSPEC && sk->protocol == IPPROTO_UDP))
			return -EAFNOSUPPORT;
		dst = ntohl(sin.sin_addr.s_addr);
		dport = ntohs(sin.sin_port);
		if (!dport && sk->protocol == IPPROTO_UDP)
			return -EINVAL;
	} else {
		if (!sk->connected)
			return -EDESTADDRREQ;
		dst = sk->raddr;
		dport = sk->rport;
	}
	err = dgram_prepare(sk, &dst, &src, &bcast);
	if (err)
		return err;
	/* A pending ICMP error is reported by the next call that could block, once; then
	 * a shut sending side is EPIPE (Linux's sock_alloc_send_pskb, in that order). */
	if (sk->err) {
		err = sk->err;
		sk->err = 0;
		return -err;
	}
	if (sk->shut & SOCK_SHUT_WR)
		return -EPIPE;
	return sk->ops->sendmsg(sk, buf, len, flags, src, dst, dport, bcast);
}

/* Copies @n bytes of @data into the iovecs (which hold at least @n bytes). */
static int dgram_copy_out(const struct iovec *iov, const uint8_t *data, size_t n)
{
	for (; n; iov++) {
		size_t k = iov->iov_len < n ? iov->iov_len : n;

		if (k && !iov->iov_base)
			return -EFAULT;
		memcpy(iov->iov_base, data, k);
		data += k;
		n -= k;
	}
	return 0;
}

static ssize_t dgram_recvmsg(struct us_sock *sk, const struct iovec *iov, int iovcnt, int flags,
			     struct sockaddr_in *from, socklen_t *from_len)
{
	struct us_pkt *p;
	size_t dlen, n, room = 0;

	if (iovcnt < 0 || (iovcnt && !iov))
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++)
		room += iov[i].iov_len;
	if (flags & MSG_ERRQUEUE)
		return -EAGAIN; /* no error queue yet: errors come as SO_ERROR */
	/* Linux (__skb_recv_udp): a pending error is returned before any data, once. */
	if (sk->err) {
		int err = sk->err;
		sk->err = 0;
		return -err;
	}
	p = sk->rxq.first;
	if (!p)
		return -EAGAIN;
	dlen = us_pkt_len(p);
	n = dlen < room ? dlen : room;
	if (dgram_copy_out(iov, p->data, n) < 0)
		return -EFAULT;
	memset(from, 0, sizeof(*from));
	from->sin_family = AF_INET;
	from->sin_addr.s_addr = htonl(ipv4_src_of(us_pkt_network(p)));
	from->sin_port = htons(sk->ops->peer_port(p));
	*from_len = sizeof(*from);
	if (!(flags & MSG_PEEK))
		sock_drop_first(sk);
	/* MSG_TRUNC: the real length of the datagram, even when it did not fit. */
	return (ssize_t)((flags & MSG_TRUNC) ? dlen : n);
}

/* inet_shutdown on a datagram socket: the directions are marked shut even when it is
 * not connected (Linux does, "to wake up other listeners"), but then it says so. */
static int dgram_shutdown(struct us_sock *sk, int how)
{
	if (how == SHUT_RD || how == SHUT_RDWR)
		sk->shut |= SOCK_SHUT_RD;
	if (how == SHUT_WR || how == SHUT_RDWR)
		sk->shut |= SOCK_SHUT_WR;
	return sk->connected ? 0 : -ENOTCONN;
}

static unsigned dgram_poll(struct us_sock *sk)
{
	unsigned ev = POLLOUT; /* datagrams are sent at once: never full */

	if (sk->rxq.len || sk->err)
		ev |= POLLIN;
	if (sk->err)
		ev |= POLLERR;
	/* datagram_poll: a shut receive side reads as "end", both shut as hang-up. */
	if (sk->shut & SOCK_SHUT_RD)
		ev |= POLLIN | POLLRDHUP;
	if (sk->shut == (SOCK_SHUT_RD | SOCK_SHUT_WR))
		ev |= POLLHUP;
	return ev;
}

static int dgram_getname(struct us_sock *sk, bool peer, uint32_t *addr, uint16_t *port)
{
	if (peer && !sk->connected)
		return -ENOTCONN;
	*addr = peer ? sk->raddr : sk->laddr;
	*port = peer ? sk->rport : sk->lport;
	return 0;
}

/* Linux's sock_setsockopt buffer sizing: capped by the sysctl maximum, doubled (the
 * kernel's bookkeeping overhead), never below the minimum. */
static int dgram_buf_size(int val, int64_t max, int min)
{
	uint64_t v = (uint32_t)val; /* negative values become huge, then capped */

	if (v > (uint64_t)max)
		v = (uint64_t)max;
	if (v > INT_MAX / 2)
		v = INT_MAX / 2;
	v *= 2;
	return v < (uint64_t)min ? min : (int)v;
}

static int dgram_setsockopt(struct us_sock *sk, int level, int name, const void *val,
			    socklen_t len)
{
	struct us_stack *st = sk->st;
	int v = 0;

	if (level == SOL_SOCKET) {
		if (sock_get_int(val, len, &v) < 0)
			return -EINVAL;
		switch (name) {
		case SO_RCVBUF:
			sk->rcvbuf = dgram_buf_size(v, st->cfg.rmem_max, US_SOCK_MIN_RCVBUF);
			return 0;
		case SO_SNDBUF:
			sk->sndbuf = dgram_buf_size(v, st->cfg.wmem_max, US_SOCK_MIN_SNDBUF);
			return 0;
		case SO_BROADCAST:
			sk->broadcast = v != 0;
			return 0;
		case SO_REUSEADDR:
			sk->reuseaddr = v != 0;
			return 0;
		default:
			return -ENOPROTOOPT; /* includes the read-only SO_ERROR and SO_TYPE */
		}
	}
	if (level == IPPROTO_IP) {
		/* do_ip_setsockopt takes an int, or a single byte for short buffers. */
		if (len >= sizeof(int))
			memcpy(&v, val, sizeof(v));
		else if (len >= 1)
			v = *(const uint8_t *)val;
		else
			return -EINVAL;
		switch (name) {
		case IP_TTL:
			if (v != -1 && (v < 1 || v > 255))
				return -EINVAL;
			sk->ttl = v;
			return 0;
		case IP_TOS:
			sk->tos = (uint8_t)v;
			return 0;
		case IP_RECVERR:
			sk->recverr = v != 0;
			return 0;
		default:
			return -ENOPROTOOPT;
		}
	}
	return -ENOPROTOOPT;
}

static int dgram_getsockopt(struct us_sock *sk, int level, int name, void *val, socklen_t *len)
{
	int v;

	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_RCVBUF:
			v = sk->rcvbuf;
			break;
		case SO_SNDBUF:
			v = sk->sndbuf;
			break;
		case SO_BROADCAST:
			v = sk->broadcast;
			break;
		case SO_REUSEADDR:
			v = sk->reuseaddr;
			break;
		case SO_ERROR:
			v = sk->err; /* reading it clears it */
			sk->err = 0;
			break;
		case SO_ACCEPTCONN:
			v = 0;
			break;
		default:
			return -ENOPROTOOPT;
		}
		sock_put_int(val, len, v);
		return 0;
	}
	if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TTL:
			v = sk->ttl < 0 ? (int)sk->st->cfg.ip_default_ttl : sk->ttl;
			break;
		case IP_TOS:
			v = sk->tos;
			break;
		case IP_RECVERR:
			v = sk->recverr;
			break;
		default:
			return -ENOPROTOOPT;
		}
		/* do_ip_getsockopt: a buffer shorter than an int gets one byte. */
		if (*len > 0 && *len < sizeof(int) && v >= 0 && v <= 255) {
			uint8_t b = (uint8_t)v;
			*len = 1;
			memcpy(val, &b, 1);
			return 0;
		}
		sock_put_int(val, len, v);
		return 0;
	}
	return -ENOPROTOOPT;
}

static void dgram_release(struct us_sock *sk)
{
	if (sk->lport)
		sk->ops->unhash(sk);
	us_pktq_purge(&sk->rxq);
}

const struct us_sock_calls sock_dgram_calls = {
	.bind = dgram_bind,
	.connect = dgram_connect,
	.sendmsg = dgram_sendmsg,
	.recvmsg = dgram_recvmsg,
	.shutdown = dgram_shutdown,
	.poll = dgram_poll,
	.getname = dgram_getname,
	.setsockopt = dgram_setsockopt,
	.getsockopt = dgram_getsockopt,
	.release = dgram_release,
};
