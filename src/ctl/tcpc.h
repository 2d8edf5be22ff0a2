/*
 * tcpc.h - `ustack tcp connect`: the stack as a TCP client (tcpc.c), for tests
 * and benchmarks against the kernel. The pure parts (the command's options, the
 * names of errors and of the ways a connection ends, the final report as text
 * or JSON) are declared here so the unit tests reach them without a stack.
 *
 *   ustack [-n NAME] [-j] tcp connect ADDR PORT [--send N] [--write-size B] [--recv]
 *          [--shutdown] [--keepalive I,N,C] [--hold S] [--nodelay] [--cc NAME]
 *          [--bind ADDR[:PORT]] [--timeout S] [--no-hash]
 */
#ifndef US_CTL_TCPC_H
#define US_CTL_TCPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/buf.h"
#include "ctl/sha256.h"

#define TCPC_MAX_JOBS 64                        /* tcp commands running at once per stack */
#define TCPC_SEND_MAX (1ull << 40)              /* --send N: as the HTTP service's /bytes/N */
#define TCPC_WRITE_SIZE_DEFAULT 65536u
#define TCPC_WRITE_SIZE_MAX 1048576u
#define TCPC_TIMEOUT_DEFAULT_S 30
#define TCPC_TIMEOUT_MAX_S 3600
#define TCPC_KEEP_MAX_S 32767                   /* TCP_KEEPIDLE/INTVL bound (Linux's) */
#define TCPC_KEEP_CNT_MAX 127
#define TCPC_CC_NAME_MAX 15                     /* TCP_CA_NAME_MAX - 1 */

struct tcpc_opts {
	uint32_t dst;                 /* host order */
	uint16_t port;
	bool send;                    /* --send given */
	uint64_t send_bytes;
	uint32_t write_size;          /* bytes per us_send call */
	bool recv;                    /* read until the peer's FIN */
	bool shutdown;                /* SHUT_WR once everything is sent */
	bool keepalive;
	uint32_t keep_idle_s, keep_intvl_s, keep_cnt;
	uint64_t hold_ns;             /* stay connected this long at the end */
	bool nodelay;
	char cc[TCPC_CC_NAME_MAX + 1]; /* "" = the stack's default */
	bool bind;
	uint32_t bind_addr;
	uint16_t bind_port;
	uint64_t timeout_ns;          /* the whole command */
	bool hash;                    /* SHA-256 of both directions (--no-hash: off) */
};

/*
 * tcpc_parse - the words after "tcp" (@argv[0] is "connect"). Fills @o (defaults
 * first) and returns 0, or -EINVAL with a one-line reason in @err.
 */
int tcpc_parse(int argc, char *const argv[], struct tcpc_opts *o, char *err, size_t errlen);

/* "ECONNREFUSED" for ECONNREFUSED (positive or negative), "E<n>" when unnamed. */
const char *tcpc_errno_name(int err, char buf[16]);

/* How the connection ended (the "close" field and the "closed:" line). */
enum tcpc_close {
	TCPC_CLOSE_FIN,         /* the peer's FIN arrived (an orderly end) */
	TCPC_CLOSE_LOCAL,       /* we closed; the peer had not closed its side by then */
	TCPC_CLOSE_RESET,       /* the peer reset (or refused) the connection */
	TCPC_CLOSE_TIMEOUT,     /* the stack gave up (ETIMEDOUT), or --timeout expired */
	TCPC_CLOSE_ERROR,       /* another error (EHOSTUNREACH, EADDRINUSE ...) */
	TCPC_CLOSE_INTERRUPTED, /* the user's ^C */
};
const char *tcpc_close_name(enum tcpc_close how);

/* The TCP internals reported at the end (as `ustack ss -i` shows them). */
struct tcpc_info {
	const char *state;            /* "ESTAB" ... */
	const char *cc;
	uint32_t mss, cwnd, ssthresh; /* cwnd, ssthresh in bytes (UINT32_MAX: infinite) */
	uint32_t srtt_us, rttvar_us, rto_ms;
	uint32_t retrans;             /* segments now outstanding retransmitted */
	uint64_t total_retrans;
	uint64_t bytes_acked, bytes_received, segs_out, segs_in;
	uint32_t snd_wnd, rcv_wnd;
	uint32_t lost, sacked;
	uint8_t snd_wscale, rcv_wscale;
	bool sack, timestamps;
};

/* Everything the command found out; what the report is made of. */
struct tcpc_result {
	char local[24], remote[24];   /* "198.18.0.2:40001" ("" if unknown) */
	bool connected;
	double connect_ms;
	int err;                      /* positive errno of the failure, 0 if none */
	const char *err_op;           /* "connect", "send", "recv", "bind", "setsockopt" ... */
	uint64_t sent;
	bool send_done;               /* every byte sent and acknowledged */
	double send_seconds;          /* from the handshake's end to the last ACK */
	uint64_t received;
	bool eof;                     /* the peer's FIN arrived */
	double recv_seconds;          /* from the handshake's end to the FIN */
	bool hash;
	char sent_sha256[SHA256_HEX_LEN], received_sha256[SHA256_HEX_LEN];
	enum tcpc_close close;
	bool timed_out;               /* --timeout expired */
	double timeout_s;
	bool have_info;
	struct tcpc_info info;
};

/* Mbit/s of @bytes in @seconds (0 when no time passed). */
double tcpc_mbit_s(uint64_t bytes, double seconds);

/* The lines of the text report, one per phase (tcpc.c streams them as they happen). */
void tcpc_fmt_connected(const struct tcpc_result *r, char *buf, size_t len);
void tcpc_fmt_sent(const struct tcpc_result *r, char *buf, size_t len);
void tcpc_fmt_received(const struct tcpc_result *r, char *buf, size_t len);
void tcpc_fmt_closed(const struct tcpc_result *r, char *buf, size_t len);
/* "connect: Connection refused" (for stderr), "" when there was no error. */
void tcpc_fmt_error(const struct tcpc_result *r, char *buf, size_t len);

/* The -j report: one JSON object (without the newline) appended to @out. */
void tcpc_json(const struct tcpc_opts *o, const struct tcpc_result *r, struct us_buf *out);

/* The exit status: 0 when everything asked for was done without an error. */
int tcpc_status(const struct tcpc_opts *o, const struct tcpc_result *r);

#endif
