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
 * Supported now: AF_INET + SOCK_DGRAM (UDP), and AF_INET + SOCK_DGRAM +
 * IPPROTO_ICMP ("ping sockets" as in Linux: send ICMP echo requests with
 * us_sendto, the stack fills in the identifier; receive echo replies).
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
/* Readiness now, as poll(2) bits: POLLIN (a datagram or an error is queued), POLLOUT,
 * POLLERR (SO_ERROR pending). -EBADF for a bad descriptor. */
US_API_EXPORT int us_socket_events(struct us_stack *st, int sd);

#ifdef __cplusplus
}
#endif
#endif
