/*
 * tcp.h - TCP (RFC 9293) as the rest of the stack sees it: the module's entry
 * points for IP (input, ICMP errors), and the connection API the socket layer
 * (socket/sock_tcp.c) calls. The connection itself (struct tcp_sock) is private
 * to src/tcp/ (tcp_sock.h); the socket layer only holds a pointer.
 *
 * Inline-mode semantics: nothing here blocks. Calls that would block return
 * -EAGAIN (or -EINPROGRESS for connect) and the caller polls readiness with
 * tcp_poll() after running the stack. Errors are negative errnos with Linux's
 * meaning (ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE, ENOTCONN ...).
 *
 * Addresses and ports are host order.
 */
#ifndef US_TCP_TCP_H
#define US_TCP_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "core/stack.h"
#include "wire/ipv4.h"

/* RFC 9293 3.3.2 states, ordered so that ranges mean something (OpenBSD tcp_fsm.h). */
enum tcp_state {
	TCP_CLOSED = 0,
	TCP_LISTEN,
	TCP_SYN_SENT,
	TCP_SYN_RECEIVED,
	TCP_ESTABLISHED,
	TCP_CLOSE_WAIT,
	TCP_FIN_WAIT_1,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_FIN_WAIT_2,
	TCP_TIME_WAIT,
};
const char *tcp_state_name(enum tcp_state s); /* "ESTAB", "SYN-SENT" ... as ss prints */

struct tcp_sock;

/* Module (st->tcp, added to struct us_stack by the TCP work). */
int tcp_init(struct us_stack *st);
void tcp_fini(struct us_stack *st);
/* Consumes @p; p->data at the TCP header, p->net_off at the IP header. */
void tcp_input(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip);
void tcp_err(struct us_stack *st, const struct ipv4_repr *quoted, const uint8_t *l4, size_t l4_len,
	     uint8_t type, uint8_t code, int err, uint32_t info);
/* Egress phase (the stack's output hook, core/stack.h phase 5): runs tcp_output for
 * every connection with output due. */
void tcp_flush_pending(struct us_stack *st);

/* Connection API for the socket layer. */
struct tcp_sock *tcp_sock_new(struct us_stack *st);
/* 0, -EADDRINUSE, -EADDRNOTAVAIL, -EINVAL (already bound). Port 0: ephemeral (RFC 6056). */
int tcp_bind(struct tcp_sock *tp, uint32_t addr, uint16_t port);
/* Starts the handshake: -EINPROGRESS, or -ENETUNREACH/-EHOSTUNREACH/-EADDRNOTAVAIL/-EISCONN/
 * -EALREADY (as Linux's connect on a non-blocking socket). After an attempt that failed
 * (refused, reset, timed out), the next call reports the outcome once (the pending error,
 * or -ECONNABORTED when SO_ERROR already took it) and the socket is back to CLOSED, so the
 * call after that starts a new attempt (Linux's __inet_stream_connect + tcp_disconnect). */
int tcp_connect(struct tcp_sock *tp, uint32_t addr, uint16_t port);
/* 0, -EINVAL or -EADDRINUSE (another listener on the port). @backlog (clamped to
 * net.core.somaxconn) bounds the accept queue (backlog + 1 connections wait, as Linux)
 * and the SYN queue (also net.ipv4.tcp_max_syn_backlog); beyond the SYN queue, SYN
 * cookies answer (net.ipv4.tcp_syncookies). */
int tcp_listen(struct tcp_sock *tp, int backlog);
/* An established connection from the accept queue, or -EAGAIN / -EINVAL (not listening).
 * @out NULL: only tells whether one waits (0), without taking it. */
int tcp_accept(struct tcp_sock *tp, struct tcp_sock **out);
/* Copies into the send queue: bytes taken (may be fewer than asked), -EAGAIN when the queue
 * is full or the handshake is still going on, the pending error once (-ECONNRESET ...),
 * then -EPIPE (after shutdown(SHUT_WR) or a reset; also never connected, or listening),
 * as Linux's tcp_sendmsg. MSG_MORE is honoured as TCP_CORK for this call. */
ssize_t tcp_send(struct tcp_sock *tp, const struct iovec *iov, int iovcnt, int flags);
/* Copies from the receive queue: bytes, 0 at end of stream, -EAGAIN when empty, or the
 * pending error. MSG_PEEK and MSG_WAITALL (as "return only when full or EOF") honoured. */
ssize_t tcp_recv(struct tcp_sock *tp, const struct iovec *iov, int iovcnt, int flags);
/* SHUT_RD / SHUT_WR / SHUT_RDWR. 0 or -ENOTCONN (CLOSED). In SYN-SENT the attempt is
 * abandoned (socket back to CLOSED, ECONNRESET pending), as Linux's inet_shutdown. */
int tcp_shutdown(struct tcp_sock *tp, int how);
/*
 * The application is done with @tp (close(2)). Unread data -> RST (RFC 9293 3.10.4 / RFC 2525
 * 2.17); SO_LINGER 0 -> RST; else an orderly FIN and the connection lives on (orphaned)
 * until it is fully closed. @tp must not be used afterwards.
 */
void tcp_close(struct tcp_sock *tp);
/* Readiness as poll(2) bits: POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP. */
unsigned tcp_poll(struct tcp_sock *tp);
/* Pending error (positive errno), cleared (SO_ERROR). */
int tcp_sock_error(struct tcp_sock *tp);
/* SOL_SOCKET (SO_RCVBUF, SO_SNDBUF, SO_KEEPALIVE, SO_LINGER, SO_REUSEADDR),
 * IPPROTO_TCP (TCP_NODELAY, TCP_CORK, TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL,
 * TCP_KEEPCNT, TCP_USER_TIMEOUT, TCP_CONGESTION, TCP_INFO (get), TCP_QUICKACK),
 * IPPROTO_IP (IP_TTL, IP_TOS). -ENOPROTOOPT for others, -EINVAL for bad lengths/values. */
int tcp_setsockopt(struct tcp_sock *tp, int level, int name, const void *val, size_t len);
int tcp_getsockopt(struct tcp_sock *tp, int level, int name, void *val, size_t *len);
void tcp_get_addrs(const struct tcp_sock *tp, uint32_t *laddr, uint16_t *lport, uint32_t *raddr,
		   uint16_t *rport);

/* Introspection for `ustack ss` (like ss -tani). */
struct tcp_conn_info {
	enum tcp_state state;
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint32_t rx_queue, tx_queue;     /* bytes unread / unacknowledged+unsent (Recv-Q/Send-Q);
	                                  * for listeners: accept queue length / backlog */
	bool orphan;                     /* closed by the application, still finishing */
	/* internals, as ss -i */
	uint32_t cwnd, ssthresh;         /* bytes */
	uint32_t mss, rcv_mss;
	uint32_t srtt_us, rttvar_us, rto_ms;
	uint32_t snd_wnd, rcv_wnd;
	uint8_t snd_wscale, rcv_wscale;
	bool sack, timestamps, ecn;
	uint32_t retrans;                /* segments retransmitted now outstanding */
	uint64_t total_retrans;          /* segments retransmitted over the life */
	uint64_t bytes_acked, bytes_received;
	uint64_t segs_out, segs_in;
	const char *cc;                  /* congestion control name */
	uint8_t ca_state;
	uint32_t lost, sacked;           /* segments */
	uint64_t timer_ms;               /* ms until the earliest armed timer, 0 if none */
	const char *timer;               /* "on" (rexmt), "persist", "keepalive", "timewait", "" */
};
/* Calls @cb for each connection, listener and TIME_WAIT record; stops at non-zero. */
int tcp_dump(struct us_stack *st, int (*cb)(const struct tcp_conn_info *ci, void *arg), void *arg);
void tcp_sock_info(const struct tcp_sock *tp, struct tcp_conn_info *ci);

/*
 * tcp_set_wakeup - @fn is called (in the egress phase of a poll round, once per round
 * at most) after anything that may change tcp_poll(@tp)'s answer: data or EOF
 * arrived, the handshake finished or failed, send space opened, a reset. The socket
 * layer signals its readiness from there. NULL turns it off; tcp_close turns it off.
 */
void tcp_set_wakeup(struct tcp_sock *tp, void (*fn)(struct tcp_sock *tp, void *arg), void *arg);

/* net.ipv4.tcp_congestion_control: the algorithm new connections start with.
 * 0, or -ENOENT when no algorithm has that name. */
int tcp_set_default_cc(struct us_stack *st, const char *name);

#endif
