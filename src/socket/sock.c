/*
 * sock.c - the generic socket layer: the descriptor table, the native socket
 * API of include/ustack/socket.h (inline mode), options, the bounded receive
 * queue, pending errors and readiness. What differs per kind (UDP, ping) is
 * behind struct us_sock_ops (sock_udp.c, sock_ping.c).
 *
 * Entry: the us_* API calls (the application's thread, which owns the stack);
 *        sock_queue_rcv() and sock_report_error() from the protocols below.
 * Exit:  ops->bind/sendmsg/unhash into udp/ and icmp/.
 * Never blocks: an empty queue is -EAGAIN and the caller polls the stack.
 *
 * Semantics follow Linux's for every errno (inet_create, __inet_bind,
 * ip4_datagram_connect, udp_sendmsg/udp_recvmsg, sock_setsockopt,
 * do_ip_setsockopt), so code written against the kernel behaves the same.
 * Descriptors are small integers reused lowest-first, as POSIX file
 * descriptors are, bounded by US_SOCK_MAX.
 *
 * Read first: RFC 1122 4.1.3 (UDP and the application interface); RFC 6056
 * (ephemeral port selection).
 */
#include "socket/sock.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "ip/fib.h"
#include "ip/ifaddr.h"
#include "ustack/socket.h"
#include "wire/ipv4.h"

/* Linux's SOCK_MAX: socket types are below this. */
#define SOCK_TYPE_LIMIT 11
#define SOCK_TYPE_MASK 0xf
/* Linux's IPPROTO_MAX for inet_create's range check. */
#define SOCK_PROTO_LIMIT 256
#define SOCK_INITIAL_SLOTS 64

int sock_init(struct us_stack *st)
{
	struct us_sock_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->slots = calloc(SOCK_INITIAL_SLOTS, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return -ENOMEM;
	}
	t->cap = SOCK_INITIAL_SLOTS;
	st->socks = t;
	return 0;
}

static void sock_destroy(struct us_stack *st, struct us_sock *sk)
{
	struct us_sock_table *t = st->socks;

	if (sk->lport)
		sk->ops->unhash(sk);
	us_pktq_purge(&sk->rxq);
	t->slots[sk->sd] = NULL;
	t->count--;
	if ((unsigned)sk->sd < t->free_hint)
		t->free_hint = (unsigned)sk->sd;
	free(sk);
}

void sock_fini(struct us_stack *st)
{
	struct us_sock_table *t = st->socks;

	if (!t)
		return;
	for (unsigned i = 0; i < t->cap; i++)
		if (t->slots[i])
			sock_destroy(st, t->slots[i]);
	free(t->slots);
	free(t);
	st->socks = NULL;
}

struct us_sock *sock_lookup(struct us_stack *st, int sd)
{
	struct us_sock_table *t = st->socks;

	if (sd < 0 || (unsigned)sd >= t->cap)
		return NULL;
	return t->slots[sd];
}

/* The lowest free descriptor, growing the table when needed. -EMFILE when full. */
static int sock_alloc_sd(struct us_sock_table *t)
{
	unsigned i;

	for (i = t->free_hint; i < t->cap; i++)
		if (!t->slots[i])
			break;
	if (i == t->cap) {
		unsigned ncap = t->cap * 2 > US_SOCK_MAX ? US_SOCK_MAX : t->cap * 2;
		struct us_sock **n;

		if (t->cap >= US_SOCK_MAX)
			return -EMFILE;
		n = realloc(t->slots, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		memset(n + t->cap, 0, (ncap - t->cap) * sizeof(*n));
		t->slots = n;
		t->cap = ncap;
	}
	t->free_hint = i + 1;
	return (int)i;
}

/* ---- helpers for the protocols ------------------------------------------------------ */

/* What a queued packet costs: its whole buffer, as Linux charges skb->truesize. */
static size_t sock_truesize(const struct us_pkt *p)
{
	return (size_t)(p->end - p->head) + sizeof(*p);
}

int sock_queue_rcv(struct us_sock *sk, struct us_pkt *p)
{
	size_t size = sock_truesize(p);

	if (sk->rxq.len && sk->rmem + size > (size_t)sk->rcvbuf)
		return -ENOBUFS;
	p->dev = NULL; /* the device may go away while the packet waits */
	us_pktq_push(&sk->rxq, p);
	sk->rmem += size;
	return 0;
}

void sock_report_error(struct us_sock *sk, int err, bool fatal)
{
	if (!sk->recverr && (!fatal || !sk->connected))
		return;
	sk->err = err;
}

uint16_t sock_pick_port(struct us_stack *st, struct us_sock *sk, uint32_t addr, unsigned lo,
			unsigned hi,
			bool (*in_use)(struct us_stack *st, const struct us_sock *sk, uint32_t addr,
				       uint16_t port))
{
	unsigned n, off;

	if (lo > hi) {
		unsigned tmp = lo;
		lo = hi;
		hi = tmp;
	}
	if (!lo)
		lo = 1;
	if (hi > 65535)
		hi = 65535;
	if (lo > hi)
		return 0;
	n = hi - lo + 1;
	/* The start is a keyed hash of a counter: unpredictable from outside (RFC 6056
	 * section 3.3.1 wants random()), reproducible for a seeded stack. */
	off = (unsigned)(us_siphash_3u32(&st->hash_key, st->socks->port_seq++, addr,
					 0x706f7274 /* "port" */) % n);
	for (unsigned i = 0; i < n; i++) {
		uint16_t port = (uint16_t)(lo + (off + i) % n);
		if (!in_use(st, sk, addr, port))
			return port;
	}
	return 0;
}

/* ---- addressing --------------------------------------------------------------------- */

/* Reads a struct sockaddr_in from the caller's buffer (no alignment assumed). */
static int sock_get_sin(const struct sockaddr *addr, socklen_t len, struct sockaddr_in *sin)
{
	if (len < sizeof(*sin))
		return -EINVAL;
	if (!addr)
		return -EFAULT;
	memcpy(sin, addr, sizeof(*sin));
	return 0;
}

/* Writes @addr:@port as a struct sockaddr_in, truncated to *@len; *@len = its size. */
static void sock_put_sin(struct sockaddr *out, socklen_t *len, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	size_t n;

	sin.sin_addr.s_addr = htonl(addr);
	sin.sin_port = htons(port);
	n = *len < sizeof(sin) ? *len : sizeof(sin);
	memcpy(out, &sin, n);
	*len = sizeof(sin);
}

/* The type of route to @addr (US_RTN_*), or 0 when there is none. */
static int sock_addr_type(struct us_stack *st, uint32_t addr)
{
	struct us_route rt;

	if (ipv4_is_lbcast(addr))
		return US_RTN_BROADCAST;
	if (ipv4_is_multicast(addr))
		return -1; /* multicast: no route type of its own here */
	if (fib_lookup(st, addr, &rt) < 0)
		return 0;
	return rt.type;
}

/*
 * sock_route - where a message from @sk to @dst goes: the source address to use and
 * whether @dst is a broadcast address. Errors as Linux's route output for the route
 * type: -ENETUNREACH (no route), -EHOSTUNREACH (unreachable), -EACCES (prohibit),
 * -EINVAL (blackhole), -EADDRNOTAVAIL (no address to send from).
 */
static int sock_route(struct us_stack *st, const struct us_sock *sk, uint32_t dst, uint32_t *src,
		      bool *bcast)
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

/* Binds an unbound socket to an ephemeral port (Linux's inet_autobind). */
static int sock_autobind(struct us_sock *sk)
{
	if (sk->lport)
		return 0;
	return sk->ops->bind(sk, sk->laddr, 0) < 0 ? -EAGAIN : 0;
}

/* ---- the API -------------------------------------------------------------------------- */

US_API int us_socket(struct us_stack *st, int domain, int type, int protocol)
{
	const struct us_sock_ops *ops;
	struct us_sock *sk;
	int flags = type & ~SOCK_TYPE_MASK;
	int sd;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	type &= SOCK_TYPE_MASK;
	if (type < 0 || type >= SOCK_TYPE_LIMIT)
		return -EINVAL;
	if (domain != AF_INET)
		return -EAFNOSUPPORT;
	if (protocol < 0 || protocol >= SOCK_PROTO_LIMIT)
		return -EINVAL;
	if (type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT; /* streams arrive with TCP; raw sockets are not offered */
	if (protocol == 0 || protocol == IPPROTO_UDP) {
		ops = &sock_udp_ops;
		protocol = IPPROTO_UDP;
	} else if (protocol == IPPROTO_ICMP) {
		ops = &sock_ping_ops;
	} else {
		return -EPROTONOSUPPORT;
	}

	sd = sock_alloc_sd(st->socks);
	if (sd < 0)
		return sd;
	sk = calloc(1, sizeof(*sk));
	if (!sk) {
		st->socks->free_hint = (unsigned)sd;
		return -ENOMEM;
	}
	sk->st = st;
	sk->ops = ops;
	sk->sd = sd;
	sk->type = SOCK_DGRAM;
	sk->protocol = protocol;
	hlist_node_init(&sk->hash_link);
	sk->rcvbuf = (int)st->cfg.udp_rmem_default;
	sk->sndbuf = (int)st->cfg.wmem_default;
	sk->ttl = -1;
	us_pktq_init(&sk->rxq, 0); /* bounded in bytes by rcvbuf (sock_queue_rcv) */
	st->socks->slots[sd] = sk;
	st->socks->count++;
	return sd;
}

US_API int us_bind(struct us_stack *st, int sd, const struct sockaddr *addr, socklen_t len)
{
	struct us_sock *sk = sock_lookup(st, sd);
	struct sockaddr_in sin;
	uint32_t a;
	int type, err;

	if (!sk)
		return -EBADF;
	err = sock_get_sin(addr, len, &sin);
	if (err)
		return err;
	a = ntohl(sin.sin_addr.s_addr);
	/* Linux accepts AF_UNSPEC only with INADDR_ANY, "for compatibility". */
	if (sin.sin_family != AF_INET && !(sin.sin_family == AF_UNSPEC && a == INADDR_ANY))
		return -EAFNOSUPPORT;
	if (a != INADDR_ANY) {
		/* A UDP socket may bind to a local, broadcast or multicast address; a ping
		 * socket only to a local one (Linux's ping_check_bind_addr). */
		bool ok = ifaddr_is_local(st, a);

		type = sock_addr_type(st, a);
		if (sk->protocol == IPPROTO_UDP && (type == US_RTN_BROADCAST || type < 0))
			ok = true;
		if (!ok)
			return -EADDRNOTAVAIL;
	}
	if (sk->lport)
		return -EINVAL;
	err = sk->ops->bind(sk, a, ntohs(sin.sin_port));
	if (err)
		return err;
	sk->addr_locked = a != INADDR_ANY;
	sk->port_locked = sin.sin_port != 0;
	return 0;
}

/* connect(AF_UNSPEC): forget the peer; an address or port that connect or autobind
 * chose (not bind) is given back (Linux's __udp_disconnect). */
static int sock_disconnect(struct us_sock *sk)
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

US_API int us_connect(struct us_stack *st, int sd, const struct sockaddr *addr, socklen_t len)
{
	struct us_sock *sk = sock_lookup(st, sd);
	struct sockaddr_in sin;
	uint32_t dst, src;
	bool bcast;
	int err;

	if (!sk)
		return -EBADF;
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	if (!addr)
		return -EFAULT;
	{
		sa_family_t family;
		memcpy(&family, addr, sizeof(family));
		if (family == AF_UNSPEC)
			return sock_disconnect(sk);
	}
	err = sock_get_sin(addr, len, &sin);
	if (err)
		return err;
	if (sin.sin_family != AF_INET)
		return -EAFNOSUPPORT;
	dst = ntohl(sin.sin_addr.s_addr);
	if (dst == INADDR_ANY)
		dst = INADDR_LOOPBACK; /* Linux: "connect to 0.0.0.0" means this host */
	err = sock_autobind(sk);
	if (err)
		return err;
	err = sock_route(st, sk, dst, &src, &bcast);
	if (err)
		return err;
	if (bcast && !sk->broadcast)
		return -EACCES;
	/* The socket now receives only from the peer, at the address it sends from. */
	if (!sk->laddr)
		sk->laddr = src;
	sk->raddr = dst;
	sk->rport = ntohs(sin.sin_port);
	sk->connected = true;
	return 0;
}

US_API ssize_t us_sendto(struct us_stack *st, int sd, const void *buf, size_t len, int flags,
			 const struct sockaddr *to, socklen_t tolen)
{
	struct us_sock *sk = sock_lookup(st, sd);
	uint32_t dst, src;
	uint16_t dport;
	bool bcast;
	int err;

	if (!sk)
		return -EBADF;
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
	if (dst == INADDR_ANY)
		dst = INADDR_LOOPBACK;
	err = sock_autobind(sk);
	if (err)
		return err;
	err = sock_route(st, sk, dst, &src, &bcast);
	if (err)
		return err;
	/* Linux: a broadcast needs SO_BROADCAST (it was never an accident, RFC 1122
	 * 3.3.6 leaves the policy to the host). */
	if (bcast && !sk->broadcast)
		return -EACCES;
	/* A pending ICMP error is reported by the next call that could block, once
	 * (Linux's sock_error in sock_alloc_send_skb). */
	if (sk->err) {
		err = sk->err;
		sk->err = 0;
		return -err;
	}
	return sk->ops->sendmsg(sk, buf, len, flags, src, dst, dport, bcast);
}

US_API ssize_t us_send(struct us_stack *st, int sd, const void *buf, size_t len, int flags)
{
	return us_sendto(st, sd, buf, len, flags, NULL, 0);
}

US_API ssize_t us_recvfrom(struct us_stack *st, int sd, void *buf, size_t len, int flags,
			   struct sockaddr *from, socklen_t *fromlen)
{
	struct us_sock *sk = sock_lookup(st, sd);
	struct us_pkt *p;
	size_t dlen, n;

	if (!sk)
		return -EBADF;
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
	n = dlen < len ? dlen : len;
	if (n && !buf)
		return -EFAULT;
	if (n)
		memcpy(buf, p->data, n);
	if (from && fromlen)
		sock_put_sin(from, fromlen, rd32(us_pkt_network(p) + IPV4_OFF_SRC),
			     sk->ops->peer_port(p));
	if (!(flags & MSG_PEEK)) {
		us_pktq_pop(&sk->rxq);
		sk->rmem -= sock_truesize(p);
		us_pkt_free(p);
	}
	/* MSG_TRUNC: the real length of the datagram, even when it did not fit. */
	return (ssize_t)((flags & MSG_TRUNC) ? dlen : n);
}

US_API ssize_t us_recv(struct us_stack *st, int sd, void *buf, size_t len, int flags)
{
	return us_recvfrom(st, sd, buf, len, flags, NULL, NULL);
}

US_API int us_close(struct us_stack *st, int sd)
{
	struct us_sock *sk = sock_lookup(st, sd);

	if (!sk)
		return -EBADF;
	sock_destroy(st, sk);
	return 0;
}

US_API int us_getsockname(struct us_stack *st, int sd, struct sockaddr *addr, socklen_t *len)
{
	struct us_sock *sk = sock_lookup(st, sd);

	if (!sk)
		return -EBADF;
	if (!addr || !len)
		return -EFAULT;
	sock_put_sin(addr, len, sk->laddr, sk->lport);
	return 0;
}

US_API int us_getpeername(struct us_stack *st, int sd, struct sockaddr *addr, socklen_t *len)
{
	struct us_sock *sk = sock_lookup(st, sd);

	if (!sk)
		return -EBADF;
	if (!sk->connected)
		return -ENOTCONN;
	if (!addr || !len)
		return -EFAULT;
	sock_put_sin(addr, len, sk->raddr, sk->rport);
	return 0;
}

/* Linux's sock_setsockopt buffer sizing: capped by the sysctl maximum, doubled (the
 * kernel's bookkeeping overhead), never below the minimum. */
static int sock_buf_size(int val, int64_t max, int min)
{
	uint64_t v = (uint32_t)val; /* negative values become huge, then capped */

	if (v > (uint64_t)max)
		v = (uint64_t)max;
	if (v > INT_MAX / 2)
		v = INT_MAX / 2;
	v *= 2;
	return v < (uint64_t)min ? min : (int)v;
}

US_API int us_setsockopt(struct us_stack *st, int sd, int level, int name, const void *val,
			 socklen_t len)
{
	struct us_sock *sk = sock_lookup(st, sd);
	int v = 0;

	if (!sk)
		return -EBADF;
	if (len && !val)
		return -EFAULT;
	if (level == SOL_SOCKET) {
		if (len < sizeof(int))
			return -EINVAL;
		memcpy(&v, val, sizeof(v));
		switch (name) {
		case SO_RCVBUF:
			sk->rcvbuf = sock_buf_size(v, st->cfg.rmem_max, US_SOCK_MIN_RCVBUF);
			return 0;
		case SO_SNDBUF:
			sk->sndbuf = sock_buf_size(v, st->cfg.wmem_max, US_SOCK_MIN_SNDBUF);
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

US_API int us_getsockopt(struct us_stack *st, int sd, int level, int name, void *val,
			 socklen_t *len)
{
	struct us_sock *sk = sock_lookup(st, sd);
	int v;

	if (!sk)
		return -EBADF;
	if (!val || !len)
		return -EFAULT;
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
		case SO_TYPE:
			v = sk->type;
			break;
		case SO_PROTOCOL:
			v = sk->protocol;
			break;
		case SO_DOMAIN:
			v = AF_INET;
			break;
		default:
			return -ENOPROTOOPT;
		}
		/* Linux copies min(len, sizeof(int)) bytes and reports that length. */
		if (*len > sizeof(int))
			*len = sizeof(int);
		memcpy(val, &v, *len);
		return 0;
	}
	if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TTL:
			v = sk->ttl < 0 ? (int)st->cfg.ip_default_ttl : sk->ttl;
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
		if (*len > sizeof(int))
			*len = sizeof(int);
		memcpy(val, &v, *len);
		return 0;
	}
	return -ENOPROTOOPT;
}

US_API int us_socket_events(struct us_stack *st, int sd)
{
	struct us_sock *sk = sock_lookup(st, sd);
	int ev = POLLOUT; /* datagrams are sent at once: never full */

	if (!sk)
		return -EBADF;
	if (sk->rxq.len || sk->err)
		ev |= POLLIN;
	if (sk->err)
		ev |= POLLERR;
	return ev;
}
