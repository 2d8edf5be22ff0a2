/*
 * sock.h - the socket layer's module entry points (state in st->socks).
 * The socket API itself is public: include/ustack/socket.h.
 *
 * A socket is a struct us_sock in a descriptor table (sock.c) with an ops
 * table per kind (BSD pr_usrreqs, Linux proto_ops): UDP (sock_udp.c) and ICMP
 * echo "ping" sockets (sock_ping.c). The generic part - descriptors, options,
 * the bounded receive queue, pending errors, readiness - is sock.c; the
 * protocol modules below call up into it only through the functions declared
 * here (sock_queue_rcv, sock_report_error, sock_ping_rcv, sock_ping_err).
 *
 * Addresses and ports in this header are host order.
 */
#ifndef US_SOCKET_SOCK_H
#define US_SOCKET_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
	const struct us_sock_ops *ops;
	int sd;
	int type;                        /* SOCK_DGRAM */
	int protocol;                    /* IPPROTO_UDP or IPPROTO_ICMP */

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
