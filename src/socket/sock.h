/*
 * sock.h - the socket layer's module entry points (state in st->socks).
 * The socket API itself is public: include/ustack/socket.h.
 *
 * A socket is a struct us_sock in a descriptor table (sock.c). Two tables of
 * functions give it its behaviour, as in Linux:
 *   - struct us_sock_calls, one per socket type (Linux's proto_ops,
 *     inet_dgram_ops / inet_stream_ops): what each API call does. Datagram
 *     sockets share sock_dgram.c; stream sockets are sock_tcp.c, a thin layer
 *     over the TCP module's connection API (tcp/tcp.h).
 *   - struct us_sock_ops, one per datagram protocol (Linux's struct proto):
 *     UDP (sock_udp.c) and ICMP echo "ping" sockets (sock_ping.c).
 * The generic part - descriptors, address decoding, the socket-level options,
 * the bounded receive queue, pending errors - is sock.c; the protocol modules
 * below call up into it only through the functions declared here
 * (sock_queue_rcv, sock_report_error, sock_ping_rcv, sock_ping_err).
 *
 * Addresses and ports in this header are host order.
 */
#ifndef US_SOCKET_SOCK_H
#define US_SOCKET_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "base/list.h"
#include "core/stack.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

/* Most open sockets per stack (descriptors are 0 .. US_SOCK_MAX-1, reused lowest-first). */
#define US_SOCK_MAX 65536

/* Linux's SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF: the floor under SO_RCVBUF / SO_SNDBUF. */
#define US_SOCK_MIN_RCVBUF 2304
#define US_SOCK_MIN_SNDBUF 4608

/* Largest UDP payload: 65535 - 20 (IP header) - 8 (UDP header). */
#define US_UDP_MAX_PAYLOAD 65507
/* Largest ICMP message a ping socket sends: 65535 - 20. */
#define US_PING_MAX_MSG 65515

struct us_sock;
struct sockaddr_in;
struct tcp_sock;

/*
 * The calls of a socket type (Linux's struct proto_ops). sock.c has checked the
 * descriptor (and, for bind, the address) before calling; the rest is the type's.
 * NULL listen/accept: -EOPNOTSUPP, as Linux's sock_no_listen/sock_no_accept.
 */
struct us_sock_calls {
	/* Optional: set up what the type holds for a new socket (not for accepted ones,
	 * which accept fills). 0 or -errno. */
	int (*init)(struct us_sock *sk);
	/* @addr was checked to be acceptable for a local address. 0, -EINVAL (bound), ... */
	int (*bind)(struct us_sock *sk, uint32_t addr, uint16_t port);
	/* @addr/@len as the application gave them (AF_UNSPEC included). */
	int (*connect)(struct us_sock *sk, const struct sockaddr *addr, socklen_t len);
	int (*listen)(struct us_sock *sk, int backlog);
	/* Fill the fresh socket @nsk (calls and type already set) with the next connection.
	 * @nsk NULL: only tell whether there is one (0) or the error accept would give. */
	int (*accept)(struct us_sock *sk, struct us_sock *nsk);
	/* @to (NULL: none given) decoded by sock.c only for datagrams. Bytes sent or -errno. */
	ssize_t (*sendmsg)(struct us_sock *sk, const struct iovec *iov, int iovcnt, int flags,
			   const struct sockaddr *to, socklen_t tolen);
	/* Bytes received or -errno; *@from_len is 0 when there is no address to report. */
	ssize_t (*recvmsg)(struct us_sock *sk, const struct iovec *iov, int iovcnt, int flags,
			   struct sockaddr_in *from, socklen_t *from_len);
	/* @how is SHUT_RD, SHUT_WR or SHUT_RDWR (checked by sock.c). */
	int (*shutdown)(struct us_sock *sk, int how);
	/* Readiness as poll(2) bits. */
	unsigned (*poll)(struct us_sock *sk);
	/* Local (@peer false) or remote address. -ENOTCONN if there is no peer. */
	int (*getname)(struct us_sock *sk, bool peer, uint32_t *addr, uint16_t *port);
	/* The options sock.c does not answer itself (it answers SO_TYPE, SO_PROTOCOL,
	 * SO_DOMAIN). Integer results go through sock_put_int. */
	int (*setsockopt)(struct us_sock *sk, int level, int name, const void *val,
			  socklen_t len);
	int (*getsockopt)(struct us_sock *sk, int level, int name, void *val, socklen_t *len);
	/* close(): free what the type holds; sock.c frees the descriptor afterwards. */
	void (*release)(struct us_sock *sk);
};

/* The datagram protocols (Linux's struct proto for UDP and ping). */
struct us_sock_ops {
	const char *name;
	/* Optional: validate a message before anything else (-EINVAL ...). */
	int (*check)(const void *buf, size_t len);
	/* Bind to @addr:@port (@port 0: pick an ephemeral one). The caller checked that the
	 * socket is unbound and @addr is acceptable. 0, -EADDRINUSE. */
	int (*bind)(struct us_sock *sk, uint32_t addr, uint16_t port);
	/* Take the socket out of its lookup table (close, disconnect of an autobound one). */
	void (*unhash)(struct us_sock *sk);
	/* Send one message of @len bytes from @src to @dst:@dport. @len was checked against
	 * the kind's maximum. Returns @len or -errno. */
	ssize_t (*sendmsg)(struct us_sock *sk, const void *buf, size_t len, int flags,
			   uint32_t src, uint32_t dst, uint16_t dport, bool bcast);
	/* The sender's port of a queued message (UDP source port; 0 for ping). */
	uint16_t (*peer_port)(const struct us_pkt *p);
	uint16_t max_msg;                /* bigger messages fail with EMSGSIZE */
};

struct us_sock {
	struct us_stack *st;
	const struct us_sock_calls *calls; /* the type's calls */
	const struct us_sock_ops *ops;   /* datagram sockets: the protocol; NULL for streams */
	int sd;
	int type;                        /* SOCK_DGRAM or SOCK_STREAM */
	int protocol;                    /* IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_TCP */

	struct tcp_sock *tp;             /* stream sockets: the connection (tcp/tcp.h) */

	/* Datagram sockets from here on. */

	/* Addressing, as Linux's inet_sock. lport != 0 means bound (and hashed). */
	uint32_t laddr;                  /* local address; 0 = any (INADDR_ANY) */
	uint16_t lport;                  /* UDP port, or the ping socket's echo identifier */
	uint32_t raddr;                  /* default destination when connected */
	uint16_t rport;
	bool connected;
	bool addr_locked;                /* laddr came from bind(), not from connect() */
	bool port_locked;                /* lport came from bind(), not from autobind */
	struct hlist_node hash_link;     /* in the UDP port table or the ping id table */

	/* Options. */
	int rcvbuf;                      /* SO_RCVBUF (already doubled) */
	int sndbuf;                      /* SO_SNDBUF (already doubled) */
	int ttl;                         /* IP_TTL; -1: net.ipv4.ip_default_ttl */
	uint8_t tos;                     /* IP_TOS */
	bool broadcast;                  /* SO_BROADCAST */
	bool reuseaddr;                  /* SO_REUSEADDR */
	bool recverr;                    /* IP_RECVERR: report every ICMP error */

	uint8_t shut;                    /* SHUT_RD/SHUT_WR done: bit 0 read, bit 1 write */
	int err;                         /* pending error (positive errno), SO_ERROR */
	struct us_pktq rxq;              /* received messages (data at the payload) */
	size_t rmem;                     /* bytes charged to rxq (buffer sizes, as truesize) */
};

/* Buckets of the ping identifier table (identifiers are chosen by us, not by peers). */
#define US_PING_HASH 256

struct us_sock_table {
	struct us_sock **slots;          /* by descriptor; NULL = free */
	unsigned cap;                    /* slots allocated (grows by doubling to US_SOCK_MAX) */
	unsigned count;                  /* open sockets */
	unsigned free_hint;              /* every descriptor below this is in use */
	struct hlist_head ping_hash[US_PING_HASH]; /* ping sockets by identifier */
	uint32_t port_seq;               /* input of the ephemeral port choice (sock_pick_port) */
};

/* Datagram socket shutdown bits (sk->shut), as Linux's RCV_SHUTDOWN / SEND_SHUTDOWN. */
#define SOCK_SHUT_RD 1
#define SOCK_SHUT_WR 2

int sock_init(struct us_stack *st);
/* Closes every socket, freeing queued packets. */
void sock_fini(struct us_stack *st);

/* The socket with descriptor @sd, or NULL. */
struct us_sock *sock_lookup(struct us_stack *st, int sd);

/*
 * sock_queue_rcv - queue @p (data at the message the application will read,
 * net_off at the IP header, trans_off at the transport header) on @sk's receive
 * queue if the bytes already charged leave room under SO_RCVBUF (a lone message
 * is always accepted, so a datagram bigger than the buffer still gets through, as
 * on Linux). Charges the packet's buffer size. 0 (consumed), or -ENOBUFS (not
 * queued: the caller still owns @p and drops it, counting its own reason).
 */
int sock_queue_rcv(struct us_sock *sk, struct us_pkt *p);
/* Takes the first message off @sk's receive queue (there must be one) and frees it. */
void sock_drop_first(struct us_sock *sk);

/*
 * sock_report_error - an ICMP error @err (positive errno) arrived for @sk; @fatal as
 * icmp_err_convert. As Linux (__udp4_lib_err, ping_err): without IP_RECVERR only hard
 * errors on connected sockets are reported; with it, all are. A reported error is
 * pending until recv, send or SO_ERROR returns it.
 */
void sock_report_error(struct us_sock *sk, int err, bool fatal);

/*
 * sock_pick_port - an ephemeral port for @sk at @addr in [@lo, @hi] that @in_use says
 * is free: RFC 6056 3.3.1 (Algorithm 1, simple port randomization): a random start,
 * then every port of the range in turn. 0 if none is free.
 */
uint16_t sock_pick_port(struct us_stack *st, struct us_sock *sk, uint32_t addr, unsigned lo,
			unsigned hi,
			bool (*in_use)(struct us_stack *st, const struct us_sock *sk, uint32_t addr,
				       uint16_t port));

/* Helpers for the socket types (sock.c). */
/* Reads a struct sockaddr_in from the caller's buffer (no alignment assumed):
 * 0, -EINVAL (too short), -EFAULT (NULL). The family is not checked. */
int sock_get_sin(const struct sockaddr *addr, socklen_t len, struct sockaddr_in *sin);
/* The destination of a connect: an AF_INET address (-EAFNOSUPPORT otherwise), with
 * 0.0.0.0 meaning this host (127.0.0.1) as on Linux. 0, -EINVAL, -EFAULT. */
int sock_get_dst(const struct sockaddr *addr, socklen_t len, uint32_t *dst, uint16_t *port);
/* Writes @addr:@port as a struct sockaddr_in, truncated to *@len; *@len = its size. */
void sock_put_sin(struct sockaddr *out, socklen_t *len, uint32_t addr, uint16_t port);
/* An integer option value, as Linux's getsockopt copies it: min(*@len, sizeof(int))
 * bytes, *@len set to that. */
void sock_put_int(void *val, socklen_t *len, int v);
/* The integer of a setsockopt: -EINVAL when @len is shorter than an int. */
int sock_get_int(const void *val, socklen_t len, int *v);
/* Bytes in an iovec array: -EINVAL for a negative count, a NULL array or a total
 * beyond SSIZE_MAX; with @need_bases, -EFAULT for a NULL buffer of non-zero length. */
ssize_t sock_iov_len(const struct iovec *iov, int iovcnt, bool need_bases);

/* The types' calls. */
extern const struct us_sock_calls sock_dgram_calls;  /* sock_dgram.c */
extern const struct us_sock_calls sock_stream_calls; /* sock_tcp.c */

/* Ping sockets (sock_ping.c), called by icmp/icmp.c. */
/* An echo reply @p (data at the ICMP header, @icmp parsed) arrived: queue it on the ping
 * socket whose identifier it carries. true: consumed; false: no socket (caller drops). */
bool sock_ping_rcv(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip,
		   const struct icmp_repr *icmp);
/* An ICMP error quoting one of our echo requests (@l4: the quoted ICMP header). */
void sock_ping_err(struct us_stack *st, const struct ipv4_repr *quoted, const uint8_t *l4,
		   size_t l4_len, uint8_t type, uint8_t code, int err, uint32_t info);

extern const struct us_sock_ops sock_udp_ops;
extern const struct us_sock_ops sock_ping_ops;

#endif
