/*
 * sock_tcp.c - stream sockets (AF_INET, SOCK_STREAM, IPPROTO_TCP): the calls of
 * Linux's inet_stream_ops over the TCP module's connection API (tcp/tcp.h).
 *
 * The TCP module owns the protocol and the errno semantics of the connection
 * (tcp_connect's -EINPROGRESS/-EISCONN/-EALREADY and the once-reported outcome
 * of Linux's SS_CONNECTING, tcp_send's -EPIPE/-ENOTCONN, tcp_recv's 0 at end of
 * stream ...). This layer adds only what belongs to the socket rather than to
 * the connection, as Linux's af_inet.c does:
 *   - the descriptor of an accepted connection, and the peer's address;
 *   - which address getpeername may report (not before the handshake);
 *   - the flags that mean nothing here (MSG_OOB: no urgent data is kept;
 *     MSG_TRUNC: read and discard);
 *   - the socket-level options the TCP module has no business with
 *     (SO_ACCEPTCONN, SO_BROADCAST; SO_TYPE & co are sock.c's).
 * Everything else goes straight to tcp_* (options included: SO_ERROR, the
 * buffers, TCP_NODELAY ... and TCP_INFO, which tcp_getsockopt fills as Linux's
 * struct tcp_info); nothing here looks at segments.
 *
 * Entry: sock.c's API functions through sock_stream_calls.
 * Exit:  tcp_bind/connect/listen/accept/send/recv/shutdown/close/poll/...
 *
 * Read first: RFC 9293 3.10 (the user calls: OPEN, SEND, RECEIVE, CLOSE, ABORT,
 * STATUS) and RFC 1122 4.2.2.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "socket/sock.h"
#include "tcp/tcp.h"

/* MSG_TRUNC discards through a small buffer of this size at a time. */
#define STREAM_DISCARD_CHUNK 1024

static enum tcp_state stream_state(const struct us_sock *sk)
{
	struct tcp_conn_info ci;

	tcp_sock_info(sk->tp, &ci);
	return ci.state;
}

static int stream_init(struct us_sock *sk)
{
	sk->tp = tcp_sock_new(sk->st);
	return sk->tp ? 0 : -ENOBUFS; /* as Linux when the protocol's sock cannot be had */
}

static int stream_bind(struct us_sock *sk, uint32_t addr, uint16_t port)
{
	return tcp_bind(sk->tp, addr, port);
}

static int stream_connect(struct us_sock *sk, const struct sockaddr *addr, socklen_t len)
{
	sa_family_t family;
	uint32_t dst;
	uint16_t port;
	int err;

	memcpy(&family, addr, sizeof(family));
	if (family == AF_UNSPEC) {
		/* Linux aborts the connection (tcp_disconnect); tcp.h offers no such call
		 * yet, so only a socket with nothing going on may "disconnect". */
		return stream_state(sk) == TCP_CLOSED ? 0 : -EOPNOTSUPP;
	}
	err = sock_get_dst(addr, len, &dst, &port);
	if (err)
		return err;
	return tcp_connect(sk->tp, dst, port);
}

static int stream_listen(struct us_sock *sk, int backlog)
{
	return tcp_listen(sk->tp, backlog);
}

static int stream_accept(struct us_sock *sk, struct us_sock *nsk)
{
	struct tcp_sock *ntp = NULL;
	int err = tcp_accept(sk->tp, nsk ? &ntp : NULL);

	if (err < 0 || !nsk)
		return err;
	nsk->tp = ntp;
	return 0;
}

static ssize_t stream_sendmsg(struct us_sock *sk, const struct iovec *iov, int iovcnt, int flags,
			      const struct sockaddr *to, socklen_t tolen)
{
	ssize_t len = sock_iov_len(iov, iovcnt, true);

	/* A connected stream has its destination: Linux's tcp_sendmsg ignores msg_name. */
	(void)to, (void)tolen;
	if (len < 0)
		return len;
	if (flags & (MSG_OOB | MSG_FASTOPEN))
		return -EOPNOTSUPP; /* no urgent data, no fast open */
	return tcp_send(sk->tp, iov, iovcnt, flags);
}

/* recv with MSG_TRUNC on a stream: up to @len bytes are read and thrown away (Linux's
 * tcp_recvmsg skips the copy); returns how many. */
static ssize_t stream_discard(struct us_sock *sk, size_t len, int flags)
{
	uint8_t scratch[STREAM_DISCARD_CHUNK];
	size_t done = 0;

	while (done < len) {
		struct iovec iov = { .iov_base = scratch, .iov_len = len - done };
		ssize_t n;

		if (iov.iov_len > sizeof(scratch))
			iov.iov_len = sizeof(scratch);
		n = tcp_recv(sk->tp, &iov, 1, flags & ~MSG_WAITALL);
		if (n <= 0)
			return done ? (ssize_t)done : n;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static ssize_t stream_recvmsg(struct us_sock *sk, const struct iovec *iov, int iovcnt, int flags,
			      struct sockaddr_in *from, socklen_t *from_len)
{
	/* MSG_TRUNC (without MSG_PEEK) copies nothing: no buffer is needed. */
	bool discard = (flags & MSG_TRUNC) && !(flags & MSG_PEEK);
	ssize_t len = sock_iov_len(iov, iovcnt, !discard);

	(void)from;
	*from_len = 0; /* a stream names no sender */
	if (flags & MSG_ERRQUEUE)
		return -EAGAIN; /* no error queue: errors come as SO_ERROR and from recv */
	if (flags & MSG_OOB)
		return -EINVAL; /* tcp_recv_urg without urgent data */
	if (len < 0)
		return len;
	if (discard)
		return stream_discard(sk, (size_t)len, flags & ~MSG_TRUNC);
	return tcp_recv(sk->tp, iov, iovcnt, flags & ~MSG_TRUNC);
}

static int stream_shutdown(struct us_sock *sk, int how)
{
	return tcp_shutdown(sk->tp, how);
}

static unsigned stream_poll(struct us_sock *sk)
{
	return tcp_poll(sk->tp);
}

static int stream_getname(struct us_sock *sk, bool peer, uint32_t *addr, uint16_t *port)
{
	uint32_t laddr, raddr;
	uint16_t lport, rport;

	tcp_get_addrs(sk->tp, &laddr, &lport, &raddr, &rport);
	if (peer) {
		enum tcp_state state;

		/* inet_getname: no peer before the handshake (or after it failed). */
		if (!rport)
			return -ENOTCONN;
		state = stream_state(sk);
		if (state == TCP_CLOSED || state == TCP_SYN_SENT)
			return -ENOTCONN;
	}
	*addr = peer ? raddr : laddr;
	*port = peer ? rport : lport;
	return 0;
}

static int stream_setsockopt(struct us_sock *sk, int level, int name, const void *val,
			     socklen_t len)
{
	int v;

	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_ERROR:
		case SO_TYPE:
		case SO_PROTOCOL:
		case SO_DOMAIN:
		case SO_ACCEPTCONN:
			return -ENOPROTOOPT; /* read-only, as sock_setsockopt says */
		case SO_BROADCAST:
			/* Accepted for any socket (sock_setsockopt); it means nothing to TCP. */
			if (sock_get_int(val, len, &v) < 0)
				return -EINVAL;
			sk->broadcast = v != 0;
			return 0;
		default:
			break;
		}
	}
	return tcp_setsockopt(sk->tp, level, name, val, len);
}

static int stream_getsockopt(struct us_sock *sk, int level, int name, void *val, socklen_t *len)
{
	size_t n;
	int err;

	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_ACCEPTCONN:
			sock_put_int(val, len, stream_state(sk) == TCP_LISTEN);
			return 0;
		case SO_BROADCAST:
			sock_put_int(val, len, sk->broadcast);
			return 0;
		default:
			break;
		}
	}
	n = *len;
	err = tcp_getsockopt(sk->tp, level, name, val, &n);
	if (!err)
		*len = (socklen_t)n;
	return err;
}

static void stream_release(struct us_sock *sk)
{
	tcp_close(sk->tp);
	sk->tp = NULL;
}

const struct us_sock_calls sock_stream_calls = {
	.init = stream_init,
	.bind = stream_bind,
	.connect = stream_connect,
	.listen = stream_listen,
	.accept = stream_accept,
	.sendmsg = stream_sendmsg,
	.recvmsg = stream_recvmsg,
	.shutdown = stream_shutdown,
	.poll = stream_poll,
	.getname = stream_getname,
	.setsockopt = stream_setsockopt,
	.getsockopt = stream_getsockopt,
	.release = stream_release,
};
