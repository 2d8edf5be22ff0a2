/*
 * chan_proto.h - the channel between an application and a stack (DESIGN.md section 2):
 * what goes over the control connection, and the layout of a socket's shared memory.
 * Both ends include it: the stack's channel server (src/chan) and the client library
 * under the BSD API and the LD_PRELOAD shim. It is an ABI between two processes that
 * may be built apart, so every struct has a fixed layout, a magic and a version, and
 * every message is checked (chan_req_check / chan_rep_check) before use: the stack
 * treats a client as untrusted input.
 *
 * Control: a SOCK_SEQPACKET connection per client process (a Unix socket to the daemon,
 * or a socketpair to the stack thread in the same process). The client sends one
 * struct chan_req and waits for its struct chan_rep (same seq). File descriptors travel
 * with SCM_RIGHTS on the reply: a new socket's memfd (its shared memory) and eventfd
 * (the fd number the program holds; the stack keeps a duplicate to signal it).
 *
 * Data never goes over the control connection: a socket's memfd holds a state page and
 * two chan_ring rings (tx: application -> stack, rx: stack -> application). Stream
 * sockets carry bytes; datagram sockets carry records, each a struct chan_dgram_hdr and
 * the payload.
 *
 * Wake-ups (no lost one, no signal per byte; see chan_ring.h for the pattern):
 *  - the application sleeps on a socket by setting the rx ring's reader flag (waiting
 *    for POLLIN), the tx ring's writer flag (POLLOUT) and/or the state page's
 *    state_waiting (anything else: connected, error, hang-up, a connection to accept),
 *    then polls the eventfd; the stack signals the eventfd when a flag it finds set
 *    says so;
 *  - the stack stops looking at a socket's tx ring once it found it empty and set the
 *    ring's reader flag; a client that gets wake=true from a write puts the socket's
 *    handle into its process's kick ring (a record ring in the client's own memfd,
 *    given at HELLO) and, if the kick ring's reader flag was set, signals the kick
 *    eventfd the stack watches. A busy stream therefore costs no syscall per send.
 */
#ifndef US_CHAN_PROTO_H
#define US_CHAN_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHAN_MAGIC 0x6e637375u /* "uscn" */
#define CHAN_VERSION 1u
#define CHAN_DATA_MAX 256u     /* a sockaddr, an option value (struct tcp_info is 232) */
#define CHAN_MAX_FDS 2u        /* fds on one reply: memfd + eventfd */
#define CHAN_STATE_SIZE 4096u  /* the state page at the start of a socket's memfd */

enum chan_op {
	CHAN_OP_HELLO = 1,   /* a: client pid. Reply: handle = client id; fds: kick memfd + kick
			      * eventfd; result 0 */
	CHAN_OP_SOCKET,      /* a, b, c: domain, type (flags stripped), protocol. Reply:
			      * handle, fds: memfd + eventfd, data: struct chan_sock_info */
	CHAN_OP_BIND,        /* data: sockaddr */
	CHAN_OP_CONNECT,     /* data: sockaddr (AF_UNSPEC dissolves a datagram association).
			      * Streams: result -EINPROGRESS, the outcome appears in the state
			      * page */
	CHAN_OP_LISTEN,      /* a: backlog */
	CHAN_OP_ACCEPT,      /* Reply as SOCKET for the new connection, data: chan_sock_info
			      * with the peer; -EAGAIN when none is waiting */
	CHAN_OP_SHUTDOWN,    /* a: SHUT_RD/WR/RDWR. The client first lets the stack drain the tx
			      * ring: the stack applies it after the bytes already written */
	CHAN_OP_CLOSE,       /* this client's hold on the socket ends; the socket closes when
			      * no client holds it */
	CHAN_OP_SETSOCKOPT,  /* a: level, b: name, data: the value */
	CHAN_OP_GETSOCKOPT,  /* a: level, b: name, c: buffer length. Reply data: the value */
	CHAN_OP_GETSOCKNAME, /* Reply data: sockaddr */
	CHAN_OP_GETPEERNAME, /* Reply data: sockaddr */
	CHAN_OP_IOCTL,       /* a: request (FIONREAD, SIOCOUTQ, SIOCINQ ...). Reply: result */
	CHAN_OP_ROUTE,       /* data: sockaddr. result 1 when the stack routes it, 0 when it
			      * does not (the client hands the socket to the kernel) */
	CHAN_OP_HOLD,        /* after fork: this client (the child) holds @handle too */
	CHAN_OP_MAX
};

/* A request (client -> stack). Unused fields are zero. */
struct chan_req {
	uint32_t magic;
	uint16_t version;
	uint16_t op;         /* enum chan_op */
	uint32_t seq;        /* echoed in the reply */
	uint32_t handle;     /* the socket (0: none) */
	int32_t a, b, c;     /* op arguments, see enum chan_op */
	uint32_t len;        /* bytes of data used */
	uint8_t data[CHAN_DATA_MAX];
};

/* A reply (stack -> client). */
struct chan_rep {
	uint32_t magic;
	uint16_t version;
	uint16_t op;
	uint32_t seq;
	uint32_t handle;     /* a new socket (SOCKET, ACCEPT), the client id (HELLO) */
	int32_t result;      /* >= 0, or a negative errno with Linux's meaning */
	uint32_t nfds;       /* fds passed with SCM_RIGHTS, in the order the op lists */
	uint32_t len;
	uint8_t data[CHAN_DATA_MAX];
};

/* Where a socket's rings lie in its memfd (after the state page), sent with SOCKET and
 * ACCEPT replies. */
struct chan_sock_info {
	uint32_t map_len;    /* bytes to map */
	uint32_t tx_off, tx_len;
	uint32_t rx_off, rx_len;
	int32_t domain, type, protocol;
	uint8_t peer[16];    /* ACCEPT: the peer's sockaddr_in */
};

/* The state page: written by the stack, read by the client (the waiting flags are the
 * client's). */
enum {
	CHAN_ST_CONNECTED = 1u << 0,  /* a stream is established (or was: see the others) */
	CHAN_ST_RX_EOF = 1u << 1,     /* no byte will follow those in the rx ring */
	CHAN_ST_TX_SHUT = 1u << 2,    /* sending is over (shutdown, reset): send gets EPIPE */
	CHAN_ST_HUP = 1u << 3,        /* POLLHUP */
	CHAN_ST_LISTENING = 1u << 4,
	CHAN_ST_ACCEPTABLE = 1u << 5, /* a connection waits in the accept queue */
	CHAN_ST_CONNECTING = 1u << 6,
};

struct chan_sock_state {
	uint32_t magic;
	uint32_t gen;                /* bumped at every change below (edge-triggered epoll) */
	uint32_t flags;              /* CHAN_ST_* */
	int32_t so_error;            /* a pending error (positive errno), read by SO_ERROR */
	uint32_t state_waiting;      /* set by a sleeping client; see the header comment */
	uint32_t reserved[11];
};

/* A datagram record's header in a ring: the peer (rx) or destination (tx; zero family:
 * the connected peer), then the payload. */
struct chan_dgram_hdr {
	uint8_t addr[16];            /* sockaddr_in */
	uint32_t flags;              /* MSG_* bits the record carries (tx: MSG_DONTROUTE ...) */
	uint32_t reserved;
};

/*
 * chan_req_check / chan_rep_check - is @buf (@n bytes received) a well-formed request /
 * reply: the exact size, the magic and version, a known op, len <= CHAN_DATA_MAX (and
 * for replies nfds <= CHAN_MAX_FDS)? 0 or -EPROTO.
 */
int chan_req_check(const void *buf, size_t n);
int chan_rep_check(const void *buf, size_t n);
/* A request for @op with its fixed fields set and the rest zeroed. */
void chan_req_init(struct chan_req *r, enum chan_op op, uint32_t seq, uint32_t handle);
/* The reply to @req: its op and seq, result @result, the rest zeroed. */
void chan_rep_init(struct chan_rep *r, const struct chan_req *req, int32_t result);
const char *chan_op_name(unsigned op);

#endif
