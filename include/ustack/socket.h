/*
 * socket.h - the native socket API of libustack, inline mode (the caller's
 * thread owns the stack; DESIGN.md section 2). The full BSD API over the
 * channel, poll/epoll and the LD_PRELOAD shim come later (issue 4).
 *
 * Socket descriptors are small non-negative integers private to the stack
 * (not kernel fds). Every call returns >= 0 on success or a negative errno
 * with Linux's meaning: -EAGAIN when a non-blocking operation would block
 * (inline mode never blocks: the caller polls the stack and retries),
 * -ECONNREFUSED after an ICMP port unreachable on a connected socket, etc.
 *
 * Supported: AF_INET + SOCK_STREAM (TCP), AF_INET + SOCK_DGRAM (UDP), and
 * AF_INET + SOCK_DGRAM + IPPROTO_ICMP ("ping sockets" as in Linux: send ICMP
 * echo requests with us_sendto, the stack fills in the identifier; receive echo
 * replies).
 *
 * Stream sockets (TCP) behave as Linux's non-blocking ones:
 *   - us_connect returns -EINPROGRESS; wait for POLLOUT in us_socket_events, then
 *     SO_ERROR tells the result (0, ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH ...). A
 *     second us_connect meanwhile is -EALREADY; once connected it returns 0 once,
 *     then -EISCONN.
 *   - us_listen, then us_accept returns a new descriptor (-EAGAIN when none is
 *     waiting; POLLIN on the listener says one is).
 *   - us_send takes what fits in the send buffer (fewer bytes than asked, or
 *     -EAGAIN when full or while the handshake is in progress); after a reset
 *     the error once (-ECONNRESET), then -EPIPE, as after shutdown(SHUT_WR) or
 *     on a socket never connected (no SIGPIPE: there are no signals).
 *   - after a failed connect (refused, reset, timed out) the next us_connect
 *     reports it once (or -ECONNABORTED if SO_ERROR took it) and the socket is
 *     unconnected again: the call after that starts a new attempt.
 *   - us_recv returns 0 at the end of the stream, -EAGAIN when nothing is queued,
 *     or the connection's error (-ECONNRESET ...). us_recvfrom fills no address.
 *   - us_close of a connection with unread data resets it (RFC 9293 3.10.4); else
 *     the stack finishes the orderly close after the descriptor is gone.
 * Options: SOL_SOCKET and IPPROTO_IP options and IPPROTO_TCP (TCP_NODELAY,
 * TCP_CORK, TCP_MAXSEG, TCP_KEEPIDLE/INTVL/CNT, TCP_USER_TIMEOUT, TCP_CONGESTION,
 * TCP_QUICKACK) are passed to the TCP module; TCP_INFO returns Linux's struct
 * tcp_info (<netinet/tcp.h>), the fields the stack keeps filled in.
 */
#ifndef USTACK_SOCKET_H
#define USTACK_SOCKET_H

#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "ustack/ustack.h"

#ifdef __cplusplus
extern "C" {
#endif

US_API_EXPORT int us_socket(struct us_stack *st, int domain, int type, int protocol);
US_API_EXPORT int us_bind(struct us_stack *st, int sd, const struct sockaddr *addr, socklen_t len);
US_API_EXPORT int us_connect(struct us_stack *st, int sd, const struct sockaddr *addr,
			     socklen_t len);
/* Stream sockets: start accepting connections; at most @backlog (clamped to
 * net.core.somaxconn) wait in the accept queue. -EINVAL when connected or connecting,
 * -EOPNOTSUPP for datagram sockets. An unbound socket gets an ephemeral port. */
US_API_EXPORT int us_listen(struct us_stack *st, int sd, int backlog);
/* A new descriptor for the oldest established connection of listener @sd; @addr/@len
 * (may be NULL) get the peer's address, truncated to *@len, *@len set to its size.
 * -EAGAIN (none waiting), -EINVAL (not listening), -EOPNOTSUPP (datagram socket),
 * -EMFILE (descriptor table full; the connection stays queued). */
US_API_EXPORT int us_accept(struct us_stack *st, int sd, struct sockaddr *addr, socklen_t *len);
/* SHUT_RD, SHUT_WR or SHUT_RDWR (-EINVAL otherwise). -ENOTCONN when not connected. On
 * a datagram socket, as Linux: later recv returns 0 (SHUT_RD), send -EPIPE (SHUT_WR). */
US_API_EXPORT int us_shutdown(struct us_stack *st, int sd, int how);
US_API_EXPORT ssize_t us_sendto(struct us_stack *st, int sd, const void *buf, size_t len,
				int flags, const struct sockaddr *to, socklen_t tolen);
US_API_EXPORT ssize_t us_send(struct us_stack *st, int sd, const void *buf, size_t len, int flags);
/* @from/@fromlen may be NULL. MSG_PEEK and MSG_TRUNC are honoured. */
US_API_EXPORT ssize_t us_recvfrom(struct us_stack *st, int sd, void *buf, size_t len, int flags,
				  struct sockaddr *from, socklen_t *fromlen);
US_API_EXPORT ssize_t us_recv(struct us_stack *st, int sd, void *buf, size_t len, int flags);
US_API_EXPORT int us_close(struct us_stack *st, int sd);
US_API_EXPORT int us_getsockname(struct us_stack *st, int sd, struct sockaddr *addr, socklen_t *len);
US_API_EXPORT int us_getpeername(struct us_stack *st, int sd, struct sockaddr *addr, socklen_t *len);
/* SOL_SOCKET: SO_RCVBUF, SO_SNDBUF, SO_BROADCAST, SO_REUSEADDR, SO_ERROR (get, clears),
 * SO_TYPE; IPPROTO_IP: IP_TTL, IP_TOS. Unknown options give -ENOPROTOOPT.
 * Also: SO_PROTOCOL and SO_DOMAIN (get), IP_RECVERR (as Linux: without it, ICMP errors
 * are reported only on connected sockets and only when "hard", e.g. port unreachable;
 * with it, every ICMP error about the socket's datagrams becomes its pending error).
 * Buffer sizes are doubled and bounded as Linux does (net.core.rmem_max/wmem_max). */
US_API_EXPORT int us_setsockopt(struct us_stack *st, int sd, int level, int name, const void *val,
				socklen_t len);
US_API_EXPORT int us_getsockopt(struct us_stack *st, int sd, int level, int name, void *val,
				socklen_t *len);
/* Readiness now, as poll(2) bits: POLLIN (a datagram, data, end of stream, a connection
 * to accept or an error is waiting), POLLOUT (room to send; a connect finished),
 * POLLERR (SO_ERROR pending), POLLHUP (both directions shut or reset), POLLRDHUP (the
 * peer or SHUT_RD ended the receive side). -EBADF for a bad descriptor. */
US_API_EXPORT int us_socket_events(struct us_stack *st, int sd);

#ifdef __cplusplus
}
#endif
#endif
