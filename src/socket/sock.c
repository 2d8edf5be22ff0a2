/*
 * sock.c - the generic socket layer: the descriptor table, the native socket
 * API of include/ustack/socket.h (inline mode), the socket-level options every
 * type shares, the bounded receive queue and pending errors of datagram
 * sockets, and the ephemeral port choice.
 *
 * Entry: the us_* API calls (the application's thread, which owns the stack);
 *        sock_queue_rcv() and sock_report_error() from the protocols below.
 * Exit:  the socket type's calls (struct us_sock_calls): sock_dgram.c for UDP
 *        and ping sockets, sock_tcp.c for TCP.
 * Never blocks: what would block is -EAGAIN (-EINPROGRESS for connect) and the
 * caller polls the stack.
 *
 * Semantics follow Linux's for every errno (__sys_socket/inet_create,
 * __inet_bind, sock_getsockopt, inet_shutdown), so code written against the
 * kernel behaves the same. Descriptors are small integers reused lowest-first,
 * as POSIX file descriptors are, bounded by US_SOCK_MAX.
 *
 * Read first: RFC 1122 4.1.3 and 4.2.2 (the application interface of UDP and
 * TCP); RFC 6056 (ephemeral port selection).
 */
#include "socket/sock.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

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

/* Gives descriptor @sd back (the socket in it is freed by the caller). */
static void sock_free_sd(struct us_sock_table *t, int sd)
{
	t->slots[sd] = NULL;
	t->count--;
	if ((unsigned)sd < t->free_hint)
		t->free_hint = (unsigned)sd;
}

static void sock_destroy(struct us_stack *st, struct us_sock *sk)
{
	sk->calls->release(sk);
	sock_free_sd(st->socks, sk->sd);
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

/* A new socket in the lowest free descriptor, its defaults set; NULL with *@err set. */
static struct us_sock *sock_alloc(struct us_stack *st, const struct us_sock_calls *calls,
				  int type, int protocol, int *err)
{
	struct us_sock *sk;
	int sd = sock_alloc_sd(st->socks);

	if (sd < 0) {
		*err = sd;
		return NULL;
	}
	sk = calloc(1, sizeof(*sk));
	if (!sk) {
		st->socks->free_hint = (unsigned)sd;
		*err = -ENOMEM;
		return NULL;
	}
	sk->st = st;
	sk->calls = calls;
	sk->sd = sd;
	sk->type = type;
	sk->protocol = protocol;
	hlist_node_init(&sk->hash_link);
	sk->rcvbuf = (int)st->cfg.udp_rmem_default;
	sk->sndbuf = (int)st->cfg.wmem_default;
	sk->ttl = -1;
	us_pktq_init(&sk->rxq, 0); /* bounded in bytes by rcvbuf (sock_queue_rcv) */
	st->socks->slots[sd] = sk;
	st->socks->count++;
	return sk;
}

/* Undoes sock_alloc for a socket the type never took (nothing to release). */
static void sock_unalloc(struct us_stack *st, struct us_sock *sk)
{
	sock_free_sd(st->socks, sk->sd);
	free(sk);
}

/* ---- helpers for the protocols and the types ------------------------------------------- */

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

/* Takes the first queued message off the receive queue and frees it. */
void sock_drop_first(struct us_sock *sk)
{
	struct us_pkt *p = us_pktq_pop(&sk->rxq);

	sk->rmem -= sock_truesize(p);
	us_pkt_free(p);
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

int sock_get_sin(const struct sockaddr *addr, socklen_t len, struct sockaddr_in *sin)
{
	if (len < sizeof(*sin))
		return -EINVAL;
	if (!addr)
		return -EFAULT;
	memcpy(sin, addr, sizeof(*sin));
	return 0;
}

int sock_get_dst(const struct sockaddr *addr, socklen_t len, uint32_t *dst, uint16_t *port)
{
	struct sockaddr_in sin;
	int err = sock_get_sin(addr, len, &sin);

	if (err)
		return err;
	if (sin.sin_family != AF_INET)
		return -EAFNOSUPPORT;
	*dst = ntohl(sin.sin_addr.s_addr);
	if (*dst == INADDR_ANY)
		*dst = INADDR_LOOPBACK; /* Linux: "connect to 0.0.0.0" means this host */
	*port = ntohs(sin.sin_port);
	return 0;
}

void sock_put_sin(struct sockaddr *out, socklen_t *len, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	size_t n;

	sin.sin_addr.s_addr = htonl(addr);
	sin.sin_port = htons(port);
	n = *len < sizeof(sin) ? *len : sizeof(sin);
	memcpy(out, &sin, n);
	*len = sizeof(sin);
}

void sock_put_int(void *val, socklen_t *len, int v)
{
	if (*len > sizeof(int))
		*len = sizeof(int);
	memcpy(val, &v, *len);
}

int sock_get_int(const void *val, socklen_t len, int *v)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(v, val, sizeof(*v));
	return 0;
}

ssize_t sock_iov_len(const struct iovec *iov, int iovcnt, bool need_bases)
{
	size_t total = 0;

	if (iovcnt < 0 || (iovcnt && !iov))
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++) {
		if (need_bases && iov[i].iov_len && !iov[i].iov_base)
			return -EFAULT;
		total += iov[i].iov_len;
		if (total > SSIZE_MAX || total < iov[i].iov_len)
			return -EINVAL; /* as Linux's rw_copy_check_uvector */
	}
	return (ssize_t)total;
}

/* ---- the API ---------------------------------------------------------------------------- */

US_API int us_socket(struct us_stack *st, int domain, int type, int protocol)
{
	const struct us_sock_calls *calls;
	const struct us_sock_ops *ops = NULL;
	struct us_sock *sk;
	int flags = type & ~SOCK_TYPE_MASK;
	int err;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	type &= SOCK_TYPE_MASK;
	if (type < 0 || type >= SOCK_TYPE_LIMIT)
		return -EINVAL;
	if (domain != AF_INET)
		return -EAFNOSUPPORT;
	if (protocol < 0 || protocol >= SOCK_PROTO_LIMIT)
		return -EINVAL;
	/* inet_create: the protocol must be one the type offers (0 means its default). */
	if (type == SOCK_STREAM) {
		if (protocol != 0 && protocol != IPPROTO_TCP)
			return -EPROTONOSUPPORT;
		calls = &sock_stream_calls;
		protocol = IPPROTO_TCP;
	} else if (type == SOCK_DGRAM) {
		if (protocol == 0 || protocol == IPPROTO_UDP) {
			ops = &sock_udp_ops;
			protocol = IPPROTO_UDP;
		} else if (protocol == IPPROTO_ICMP) {
			ops = &sock_ping_ops;
		} else {
			return -EPROTONOSUPPORT;
		}
		calls = &sock_dgram_calls;
	} else {
		return -ESOCKTNOSUPPORT; /* raw sockets are not offered */
	}

	sk = sock_alloc(st, calls, type, protocol, &err);
	if (!sk)
		return err;
	sk->ops = ops;
	if (calls->init && (err = calls->init(sk)) < 0) {
		sock_unalloc(st, sk);
		return err;
	}
	return sk->sd;
}

US_API int us_bind(struct us_stack *st, int sd, const struct sockaddr *addr, socklen_t len)
{
	struct us_sock *sk = sock_lookup(st, sd);
	struct sockaddr_in sin;
	uint32_t a;
	int err;

	if (!sk)
		return -EBADF;
	err = sock_get_sin(addr, len, &sin);
	if (err)
		return err;
	a = ntohl(sin.sin_addr.s_addr);
	/* Linux accepts AF_UNSPEC only with INADDR_ANY, "for compatibility". */
	if (sin.sin_family != AF_INET && !(sin.sin_family == AF_UNSPEC && a == INADDR_ANY))
		return -EAFNOSUPPORT;
	if (a != INADDR_ANY && !ifaddr_is_local(st, a)) {
		/* __inet_bind: a local, broadcast or multicast address; a ping socket only
		 * a local one (ping_check_bind_addr). */
		struct us_route rt;
		bool bcast = ipv4_is_lbcast(a) ||
			     (fib_lookup(st, a, &rt) == 0 && rt.type == US_RTN_BROADCAST);

		if (sk->protocol == IPPROTO_ICMP || !(bcast || ipv4_is_multicast(a)))
			return -EADDRNOTAVAIL;
	}
	return sk->calls->bind(sk, a, ntohs(sin.sin_port));
}

US_API int us_connect(struct us_stack *st, int sd, const struct sockaddr *addr, socklen_t len)
{
	struct us_sock *sk = sock_lookup(st, sd);

	if (!sk)
		return -EBADF;
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	if (!addr)
		return -EFAULT;
	return sk->calls->connect(sk, addr, len);
}

US_API int us_listen(struct us_stack *st, int sd, int backlog)
{
	struct us_sock *sk = sock_lookup(st, sd);

	if (!sk)
		return -EBADF;
	if (!sk->calls->listen)
		return -EOPNOTSUPP;
	return sk->calls->listen(sk, backlog);
}

US_API int us_accept(struct us_stack *st, int sd, struct sockaddr *addr, socklen_t *len)
{
	struct us_sock *sk = sock_lookup(st, sd), *nsk;
	uint32_t raddr;
	uint16_t rport;
	int err;

	if (!sk)
		return -EBADF;
	if (!sk->calls->accept)
		return -EOPNOTSUPP;
	if (addr && !len)
		return -EFAULT;
	/* Nothing waiting (a polling server asks every round): answer without allocating. */
	err = sk->calls->accept(sk, NULL);
	if (err)
		return err;
	/* The descriptor comes first, as in __sys_accept4: with the table full the
	 * connection stays queued (-EMFILE), it is not lost. */
	nsk = sock_alloc(st, sk->calls, sk->type, sk->protocol, &err);
	if (!nsk)
		return err;
	err = sk->calls->accept(sk, nsk);
	if (err) {
		sock_unalloc(st, nsk);
		return err;
	}
	if (addr && sk->calls->getname(nsk, true, &raddr, &rport) == 0)
		sock_put_sin(addr, len, raddr, rport);
	else if (addr)
		*len = 0; /* the connection was reset already: no address, as Linux */
	return nsk->sd;
}

US_API ssize_t us_sendto(struct us_stack *st, int sd, const void *buf, size_t len, int flags,
			 const struct sockaddr *to, socklen_t tolen)
{
	struct us_sock *sk = sock_lookup(st, sd);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	if (!sk)
		return -EBADF;
	return sk->calls->sendmsg(sk, &iov, 1, flags, to, tolen);
}

US_API ssize_t us_send(struct us_stack *st, int sd, const void *buf, size_t len, int flags)
{
	return us_sendto(st, sd, buf, len, flags, NULL, 0);
}

US_API ssize_t us_recvfrom(struct us_stack *st, int sd, void *buf, size_t len, int flags,
			   struct sockaddr *from, socklen_t *fromlen)
{
	struct us_sock *sk = sock_lookup(st, sd);
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct sockaddr_in sin;
	socklen_t sinlen = 0;
	ssize_t n;

	if (!sk)
		return -EBADF;
	n = sk->calls->recvmsg(sk, &iov, 1, flags, &sin, &sinlen);
	if (n >= 0 && from && fromlen) {
		if (sinlen)
			sock_put_sin(from, fromlen, ntohl(sin.sin_addr.s_addr),
				     ntohs(sin.sin_port));
		else
			*fromlen = 0; /* a stream names no sender (sys_recvfrom, msg_namelen 0) */
	}
	return n;
}

US_API ssize_t us_recv(struct us_stack *st, int sd, void *buf, size_t len, int flags)
{
	return us_recvfrom(st, sd, buf, len, flags, NULL, NULL);
}

US_API int us_shutdown(struct us_stack *st, int sd, int how)
{
	struct us_sock *sk = sock_lookup(st, sd);

	if (!sk)
		return -EBADF;
	/* inet_shutdown: SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2, nothing else. */
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	return sk->calls->shutdown(sk, how);
}

US_API int us_close(struct us_stack *st, int sd)
{
	struct us_sock *sk = sock_lookup(st, sd);

	if (!sk)
		return -EBADF;
	sock_destroy(st, sk);
	return 0;
}

/* getsockname (@peer false) and getpeername (@peer true). */
static int sock_getname(struct us_stack *st, int sd, bool peer, struct sockaddr *addr,
			socklen_t *len)
{
	struct us_sock *sk = sock_lookup(st, sd);
	uint32_t a;
	uint16_t port;
	int err;

	if (!sk)
		return -EBADF;
	err = sk->calls->getname(sk, peer, &a, &port);
	if (err)
		return err;
	if (!addr || !len)
		return -EFAULT;
	sock_put_sin(addr, len, a, port);
	return 0;
}

US_API int us_getsockname(struct us_stack *st, int sd, struct sockaddr *addr, socklen_t *len)
{
	return sock_getname(st, sd, false, addr, len);
}

US_API int us_getpeername(struct us_stack *st, int sd, struct sockaddr *addr, socklen_t *len)
{
	return sock_getname(st, sd, true, addr, len);
}

US_API int us_setsockopt(struct us_stack *st, int sd, int level, int name, const void *val,
			 socklen_t len)
{
	struct us_sock *sk = sock_lookup(st, sd);

	if (!sk)
		return -EBADF;
	if (len && !val)
		return -EFAULT;
	return sk->calls->setsockopt(sk, level, name, val, len);
}

US_API int us_getsockopt(struct us_stack *st, int sd, int level, int name, void *val,
			 socklen_t *len)
{
	struct us_sock *sk = sock_lookup(st, sd);

	if (!sk)
		return -EBADF;
	if (!val || !len)
		return -EFAULT;
	/* What sk_getsockopt answers for every type; the rest is the type's. */
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_TYPE:
			sock_put_int(val, len, sk->type);
			return 0;
		case SO_PROTOCOL:
			sock_put_int(val, len, sk->protocol);
			return 0;
		case SO_DOMAIN:
			sock_put_int(val, len, AF_INET);
			return 0;
		default:
			break;
		}
	}
	return sk->calls->getsockopt(sk, level, name, val, len);
}

US_API int us_socket_events(struct us_stack *st, int sd)
{
	struct us_sock *sk = sock_lookup(st, sd);

	if (!sk)
		return -EBADF;
	return (int)sk->calls->poll(sk);
}
