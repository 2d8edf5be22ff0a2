/*
 * tcpc.c - `ustack tcp connect ADDR PORT [options]`: the stack as a TCP client,
 * so that tests and benchmarks can make it talk to the kernel (or to anything)
 * from its side: connect, send N bytes of the /bytes/N stream (http.h), read
 * until the peer's FIN hashing what arrives (sha256.h), half-close, keepalive,
 * hold the connection open, and report every phase as a line of text or, with
 * -j, as one JSON object at the end (tcpc.h lists the options).
 *
 * It runs as an asynchronous command of the control server (server.h), on the
 * stack's public socket API (include/ustack/socket.h) like any application, and
 * never blocks the stack's loop: the socket is non-blocking, and the server's
 * poll hook calls tcpc_poll once per round, which moves at most TCPC_ROUND_BYTES
 * in each direction (and makes at most TCPC_ROUND_CALLS socket calls), so a
 * 1 GiB transfer goes at full speed while the rest of the stack gets its turn
 * every round. A timer wakes the loop for the deadlines (--hold, --timeout, the
 * lingering close) and for more work when a round ran out of budget.
 *
 * The phases, each a line of the text report:
 *   CONNECTING  us_connect was called; POLLOUT or POLLERR ends it (SO_ERROR says how)
 *   ACTIVE      --send and --recv, at the same time (an echo peer would stall a client
 *               that sent everything before reading); "sent" counts once every byte is
 *               acknowledged, "received" once the peer's FIN arrives. --shutdown sends
 *               our FIN as soon as the last byte is queued.
 *   HOLD        --hold: stay connected (keepalive probes go on), still reading
 *   LINGER      an orderly close: our FIN, then up to TCPC_LINGER_NS for the peer's
 *               (RFC 9293 3.6: both sides close), reading and counting what comes
 * Errors end the command at any point (ECONNREFUSED, ECONNRESET, ETIMEDOUT from
 * keepalive or retransmissions ...), as does --timeout (the connection is reset,
 * SO_LINGER 0). The client's ^C ends it early with the report; a client that goes
 * away cancels it silently. Either way the socket is closed and everything freed.
 *
 * At most TCPC_MAX_JOBS commands run at once per stack (EBUSY beyond): each holds
 * a connection and buffers of up to TCPC_WRITE_SIZE_MAX + TCPC_RECV_BUF bytes.
 * The options and the report (text lines, JSON) are in tcpc_report.c.
 */
#include "ctl/tcpc.h"

#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ctl/http.h"
#include "ctl/parse.h"
#include "ctl/proto.h"
#include "ctl/server.h"
#include "socket/sock.h"
#include "tcp/tcp.h"
#include "ustack/socket.h"

#define TCPC_ROUND_BYTES (512u * 1024) /* per direction and poll round */
#define TCPC_ROUND_CALLS 4096          /* us_send / us_recv calls per poll round */
#define TCPC_RECV_BUF (64u * 1024)
#define TCPC_LINGER_NS (2 * US_NSEC_PER_SEC)

enum tcpc_phase { TCPC_CONNECTING, TCPC_ACTIVE, TCPC_HOLD, TCPC_LINGER };

/* What a phase step did: stay in the phase, go on to the next one now, or the job is
 * over (freed: do not touch it). */
enum tcpc_step { TCPC_STAY, TCPC_NEXT, TCPC_GONE };

struct tcpc_job {
	struct tcpc_job *next, **pprev;  /* the thread's jobs (tcpc_jobs) */
	struct ctl_client *c;
	struct us_stack *st;
	struct tcpc_opts o;
	struct tcpc_result r;
	int sd;
	enum tcpc_phase phase;
	uint64_t start_ns, est_ns, deadline_ns, hold_end_ns, linger_end_ns;
	uint64_t generated;              /* stream bytes made so far (sent + pending) */
	size_t pend_off, pend_len;       /* made but not yet taken by us_send */
	bool send_queued;                /* every byte taken by us_send */
	bool shut_wr;
	bool received_printed;
	bool rx_final, tx_final;         /* the digest is in r.*_sha256 */
	bool kick;                       /* a round ran out of budget: come back at once */
	struct sha256 tx_hash, rx_hash;
	struct us_timer timer;
	uint8_t *sbuf;                   /* o.write_size bytes */
	uint8_t rbuf[TCPC_RECV_BUF];
};

/* Jobs of this thread (a stack belongs to one thread), to bound them per stack. */
static _Thread_local struct tcpc_job *tcpc_jobs;

static unsigned tcpc_count(const struct us_stack *st)
{
	unsigned n = 0;

	for (const struct tcpc_job *t = tcpc_jobs; t; t = t->next)
		n += t->st == st;
	return n;
}

static void tcpc_free(struct tcpc_job *t)
{
	us_timer_cancel(&t->st->timers, &t->timer);
	if (t->sd >= 0)
		us_close(t->st, t->sd);
	if (t->pprev) {
		*t->pprev = t->next;
		if (t->next)
			t->next->pprev = t->pprev;
	}
	free(t->sbuf);
	free(t);
}

static double ns_to_s(uint64_t ns) { return (double)ns / 1e9; }

static void tcpc_snapshot(struct tcpc_job *t)
{
	struct us_sock *sk = t->sd >= 0 ? sock_lookup(t->st, t->sd) : NULL;
	struct tcp_conn_info ci;
	struct tcpc_info *in = &t->r.info;

	if (!sk || !sk->tp)
		return;
	tcp_sock_info(sk->tp, &ci);
	in->state = tcp_state_name(ci.state);
	in->cc = ci.cc; /* a static name of the algorithm's ops table */
	in->mss = ci.mss;
	in->cwnd = ci.cwnd;
	in->ssthresh = ci.ssthresh;
	in->srtt_us = ci.srtt_us;
	in->rttvar_us = ci.rttvar_us;
	in->rto_ms = ci.rto_ms;
	in->retrans = ci.retrans;
	in->total_retrans = ci.total_retrans;
	in->bytes_acked = ci.bytes_acked;
	in->bytes_received = ci.bytes_received;
	in->segs_out = ci.segs_out;
	in->segs_in = ci.segs_in;
	in->snd_wnd = ci.snd_wnd;
	in->rcv_wnd = ci.rcv_wnd;
	in->lost = ci.lost;
	in->sacked = ci.sacked;
	in->snd_wscale = ci.snd_wscale;
	in->rcv_wscale = ci.rcv_wscale;
	in->sack = ci.sack;
	in->timestamps = ci.timestamps;
	t->r.have_info = true;
}

static void tcpc_print(struct tcpc_job *t,
		       void (*fmt)(const struct tcpc_result *r, char *buf, size_t len))
{
	char line[256];

	if (t->c->json)
		return;
	fmt(&t->r, line, sizeof(line));
	ctl_printf(t->c, "%s", line);
}

/* The digest of each direction, once that direction is over. */
static void tcpc_rx_final(struct tcpc_job *t)
{
	uint8_t digest[SHA256_DIGEST_LEN];

	if (!t->r.hash || t->rx_final)
		return;
	sha256_final(&t->rx_hash, digest);
	sha256_hex(digest, t->r.received_sha256);
	t->rx_final = true;
}

static void tcpc_tx_final(struct tcpc_job *t)
{
	uint8_t digest[SHA256_DIGEST_LEN];

	if (!t->r.hash || t->tx_final)
		return;
	sha256_final(&t->tx_hash, digest);
	sha256_hex(digest, t->r.sent_sha256);
	t->tx_final = true;
}

/* The end, however it came: report, close, free, tell the server. */
static void tcpc_end(struct tcpc_job *t, enum tcpc_close how)
{
	struct ctl_client *c = t->c;
	int status;

	t->r.close = how;
	tcpc_snapshot(t);
	tcpc_tx_final(t);
	tcpc_rx_final(t);
	if (t->sd >= 0 && how != TCPC_CLOSE_FIN && how != TCPC_CLOSE_LOCAL &&
	    how != TCPC_CLOSE_INTERRUPTED) {
		/* An abort (RFC 9293 3.10.5): nothing of this connection lingers. */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		us_setsockopt(t->st, t->sd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	if (c->json) {
		struct us_buf b;
		struct us_json j;

		ctl_json_start(&b, &j);
		tcpc_json(&t->o, &t->r, &b);
		if (b.overflow) {
			c->truncated = true;
		} else {
			us_buf_putc(&b, '\n');
			ctl_write(c, CTL_MSG_STDOUT, b.data, b.len);
		}
		us_buf_free(&b);
	} else {
		char line[256];

		tcpc_fmt_error(&t->r, line, sizeof(line));
		if (line[0])
			ctl_eprintf(c, "%s", line);
		if (t->o.send && !t->r.send_done && t->r.connected)
			tcpc_print(t, tcpc_fmt_sent);
		if (!t->received_printed && (t->r.received || (t->o.recv && t->r.connected)))
			tcpc_print(t, tcpc_fmt_received);
		tcpc_print(t, tcpc_fmt_closed);
	}
	status = tcpc_status(&t->o, &t->r);
	tcpc_free(t);
	ctl_finish(c, status);
}

static enum tcpc_close close_for(int err)
{
	switch (err) {
	case ECONNREFUSED:
	case ECONNRESET:
	case EPIPE:
		return TCPC_CLOSE_RESET;
	case ETIMEDOUT:
		return TCPC_CLOSE_TIMEOUT;
	default:
		return TCPC_CLOSE_ERROR;
	}
}

static void tcpc_fail(struct tcpc_job *t, const char *op, int err)
{
	if (err < 0)
		err = -err;
	if (err == EPIPE) {
		/* After a reset send says EPIPE; the cause is the pending error, if any. */
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		if (us_getsockopt(t->st, t->sd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr)
			err = soerr;
	}
	t->r.err = err;
	t->r.err_op = op;
	tcpc_end(t, close_for(err));
}

static void fmt_endpoint(uint32_t addr, uint16_t port, char out[24])
{
	char ip[CTL_IPV4_STRLEN];

	snprintf(out, 24, "%s:%u", ctl_fmt_ipv4(addr, ip), port);
}

static void tcpc_local_name(struct tcpc_job *t)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	if (us_getsockname(t->st, t->sd, (struct sockaddr *)&sa, &len) == 0 && sa.sin_port)
		fmt_endpoint(ntohl(sa.sin_addr.s_addr), ntohs(sa.sin_port), t->r.local);
}

static enum tcpc_step tcpc_connecting(struct tcpc_job *t)
{
	int ev = us_socket_events(t->st, t->sd), soerr = 0;
	socklen_t len = sizeof(soerr);

	if (ev < 0) {
		tcpc_fail(t, "connect", ev);
		return TCPC_GONE;
	}
	if (!(ev & (POLLOUT | POLLERR | POLLHUP)))
		return TCPC_STAY;
	tcpc_local_name(t);
	if (us_getsockopt(t->st, t->sd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr ||
	    !(ev & POLLOUT)) {
		tcpc_fail(t, "connect", soerr ? soerr : ECONNRESET);
		return TCPC_GONE;
	}
	t->est_ns = t->st->now_ns;
	t->r.connected = true;
	t->r.connect_ms = (double)(t->est_ns - t->start_ns) / 1e6;
	tcpc_print(t, tcpc_fmt_connected);
	t->phase = TCPC_ACTIVE;
	return TCPC_NEXT;
}

/* Sends what the send buffer takes, within the round's budget. 0 or -errno. */
static int tcpc_send(struct tcpc_job *t)
{
	size_t moved = 0;

	for (int calls = 0; !t->send_queued; calls++) {
		ssize_t n;

		if (calls == TCPC_ROUND_CALLS || moved >= TCPC_ROUND_BYTES) {
			t->kick = true;
			break;
		}
		if (!t->pend_len) {
			uint64_t left = t->o.send_bytes - t->generated;
			size_t chunk = left < t->o.write_size ? (size_t)left : t->o.write_size;

			http_stream_fill(t->generated, t->sbuf, chunk);
			t->generated += chunk;
			t->pend_off = 0;
			t->pend_len = chunk;
		}
		n = us_send(t->st, t->sd, t->sbuf + t->pend_off, t->pend_len, MSG_NOSIGNAL);
		if (n == -EAGAIN)
			break;
		if (n < 0)
			return (int)n;
		if (t->r.hash)
			sha256_update(&t->tx_hash, t->sbuf + t->pend_off, (size_t)n);
		t->pend_off += (size_t)n;
		t->pend_len -= (size_t)n;
		t->r.sent += (uint64_t)n;
		moved += (size_t)n;
		if (t->r.sent == t->o.send_bytes)
			t->send_queued = true;
	}
	return 0;
}

/* Reads what has arrived, within the round's budget. 0 or -errno. */
static int tcpc_recv(struct tcpc_job *t)
{
	size_t moved = 0;

	for (int calls = 0; !t->r.eof; calls++) {
		ssize_t n;

		if (calls == TCPC_ROUND_CALLS || moved >= TCPC_ROUND_BYTES) {
			t->kick = true;
			break;
		}
		n = us_recv(t->st, t->sd, t->rbuf, sizeof(t->rbuf), 0);
		if (n == -EAGAIN)
			break;
		if (n < 0)
			return (int)n;
		if (n == 0) {
			t->r.eof = true;
			t->r.recv_seconds = ns_to_s(t->st->now_ns - t->est_ns);
			tcpc_rx_final(t);
			if (t->o.recv) {
				tcpc_print(t, tcpc_fmt_received);
				t->received_printed = true;
			}
			break;
		}
		if (t->r.hash)
			sha256_update(&t->rx_hash, t->rbuf, (size_t)n);
		t->r.received += (uint64_t)n;
		moved += (size_t)n;
	}
	return 0;
}

/* Every byte of --send taken by us_send and acknowledged by the peer? */
static bool tcpc_all_acked(struct tcpc_job *t)
{
	struct us_sock *sk = sock_lookup(t->st, t->sd);
	struct tcp_conn_info ci;

	if (!sk || !sk->tp)
		return false;
	tcp_sock_info(sk->tp, &ci);
	/* tx_queue counts unacknowledged bytes (and our FIN while it is unacknowledged). */
	return ci.tx_queue == 0 || (t->shut_wr && ci.tx_queue == 1 && ci.bytes_acked >= t->r.sent);
}

static enum tcpc_step tcpc_active(struct tcpc_job *t)
{
	int err;

	if (t->o.send && !t->send_queued) {
		err = tcpc_send(t);
		if (err) {
			tcpc_fail(t, "send", err);
			return TCPC_GONE;
		}
	}
	if (t->o.send && t->send_queued && t->o.shutdown && !t->shut_wr) {
		/* RFC 9293 3.6: our FIN follows the last byte; we may still receive. */
		err = us_shutdown(t->st, t->sd, SHUT_WR);
		if (err) {
			tcpc_fail(t, "shutdown", err);
			return TCPC_GONE;
		}
		t->shut_wr = true;
	}
	/* Before reading: the segment that brings the peer's FIN acknowledges our last
	 * bytes too (an echo closes after our FIN), and "sent" is the earlier event. */
	if (t->o.send && t->send_queued && !t->r.send_done && tcpc_all_acked(t)) {
		t->r.send_done = true;
		t->r.send_seconds = ns_to_s(t->st->now_ns - t->est_ns);
		tcpc_tx_final(t);
		tcpc_print(t, tcpc_fmt_sent);
	}
	err = tcpc_recv(t);
	if (err) {
		tcpc_fail(t, "recv", err);
		return TCPC_GONE;
	}
	if ((t->o.send && !t->r.send_done) || (t->o.recv && !t->r.eof))
		return TCPC_STAY;
	if (!t->o.send && t->o.shutdown && !t->shut_wr) {
		/* --shutdown without --send: half-close right after connecting. */
		err = us_shutdown(t->st, t->sd, SHUT_WR);
		if (err) {
			tcpc_fail(t, "shutdown", err);
			return TCPC_GONE;
		}
		t->shut_wr = true;
	}
	t->phase = TCPC_HOLD;
	t->hold_end_ns = t->st->now_ns + t->o.hold_ns;
	return TCPC_NEXT;
}

/* A connection we only watch: an error (a keepalive that gave up, a reset) ends it. */
static enum tcpc_step tcpc_watch(struct tcpc_job *t, const char *op)
{
	int err = tcpc_recv(t), ev;

	if (err) {
		tcpc_fail(t, op, err);
		return TCPC_GONE;
	}
	ev = us_socket_events(t->st, t->sd);
	if (ev >= 0 && (ev & POLLERR)) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		us_getsockopt(t->st, t->sd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr) {
			tcpc_fail(t, op, soerr);
			return TCPC_GONE;
		}
	}
	return TCPC_STAY;
}

static enum tcpc_step tcpc_hold(struct tcpc_job *t)
{
	if (tcpc_watch(t, "hold") == TCPC_GONE)
		return TCPC_GONE;
	if (t->st->now_ns < t->hold_end_ns)
		return TCPC_STAY;
	if (!t->shut_wr) {
		int err = us_shutdown(t->st, t->sd, SHUT_WR);

		if (err) {
			tcpc_fail(t, "shutdown", err);
			return TCPC_GONE;
		}
		t->shut_wr = true;
	}
	t->phase = TCPC_LINGER;
	t->linger_end_ns = t->st->now_ns + TCPC_LINGER_NS;
	return TCPC_NEXT;
}

static enum tcpc_step tcpc_linger(struct tcpc_job *t)
{
	if (!t->r.eof && tcpc_watch(t, "close") == TCPC_GONE)
		return TCPC_GONE;
	if (t->r.eof) {
		tcpc_end(t, TCPC_CLOSE_FIN);
		return TCPC_GONE;
	}
	if (t->st->now_ns >= t->linger_end_ns) {
		tcpc_end(t, TCPC_CLOSE_LOCAL);
		return TCPC_GONE;
	}
	return TCPC_STAY;
}

static void tcpc_timer_fn(struct us_timer *tm, uint64_t now_ms)
{
	(void)tm, (void)now_ms; /* only wakes the loop: the server's hook runs tcpc_poll */
}

/* Wakes the loop at the next deadline (at once after a round that ran out of budget).
 * The wheel may fire up to 1/8 of a long delay late, so long delays are approached
 * in steps, as ping.c does (timer.h). */
static void tcpc_arm(struct tcpc_job *t)
{
	uint64_t target = t->deadline_ns, now_ms = t->st->now_ms, target_ms, delay;

	if (t->phase == TCPC_HOLD && t->hold_end_ns < target)
		target = t->hold_end_ns;
	if (t->phase == TCPC_LINGER && t->linger_end_ns < target)
		target = t->linger_end_ns;
	if (t->kick)
		target = t->st->now_ns;
	t->kick = false;
	target_ms = (target + US_NSEC_PER_MSEC - 1) / US_NSEC_PER_MSEC;
	delay = target_ms > now_ms ? target_ms - now_ms : 0;
	if (delay > 64)
		delay = delay * 8 / 9;
	if (!us_timer_pending(&t->timer) || t->timer.expires_ms != now_ms + delay)
		us_timer_arm(&t->st->timers, &t->timer, now_ms + delay);
}

static void tcpc_poll(struct ctl_client *c)
{
	struct tcpc_job *t = c->async_state;
	enum tcpc_step step = TCPC_NEXT;

	if (t->st->now_ns >= t->deadline_ns) {
		t->r.timed_out = true;
		tcpc_end(t, TCPC_CLOSE_TIMEOUT);
		return;
	}
	/* Bounded: each TCPC_NEXT moves to a later phase. */
	while (step == TCPC_NEXT) {
		switch (t->phase) {
		case TCPC_CONNECTING: step = tcpc_connecting(t); break;
		case TCPC_ACTIVE: step = tcpc_active(t); break;
		case TCPC_HOLD: step = tcpc_hold(t); break;
		case TCPC_LINGER: step = tcpc_linger(t); break;
		}
	}
	if (step != TCPC_GONE)
		tcpc_arm(t);
}

static void tcpc_interrupt(struct ctl_client *c)
{
	tcpc_end(c->async_state, TCPC_CLOSE_INTERRUPTED);
}

static void tcpc_cancel(struct ctl_client *c)
{
	struct tcpc_job *t = c->async_state;

	if (t->sd >= 0) {
		/* Nobody waits for this connection any more: reset it. */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		us_setsockopt(t->st, t->sd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	tcpc_free(t);
}

static const struct ctl_async_ops tcpc_ops = {
	.poll = tcpc_poll,
	.interrupt = tcpc_interrupt,
	.cancel = tcpc_cancel,
};

/* Socket options and bind, before connecting. 0, or -errno with *@what set. */
static int tcpc_setup(struct tcpc_job *t, const char **what)
{
	const struct tcpc_opts *o = &t->o;
	int one = 1, v, err;

	if (o->nodelay) {
		*what = "setsockopt TCP_NODELAY";
		err = us_setsockopt(t->st, t->sd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (err)
			return err;
	}
	if (o->cc[0]) {
		*what = "setsockopt TCP_CONGESTION";
		err = us_setsockopt(t->st, t->sd, IPPROTO_TCP, TCP_CONGESTION, o->cc,
				    (socklen_t)strlen(o->cc));
		if (err)
			return err;
	}
	if (o->keepalive) {
		const int names[] = { TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT };
		const int vals[] = { (int)o->keep_idle_s, (int)o->keep_intvl_s, (int)o->keep_cnt };

		*what = "setsockopt SO_KEEPALIVE";
		err = us_setsockopt(t->st, t->sd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		for (size_t i = 0; i < ARRAY_SIZE(names) && !err; i++) {
			v = vals[i];
			err = us_setsockopt(t->st, t->sd, IPPROTO_TCP, names[i], &v, sizeof(v));
		}
		if (err)
			return err;
	}
	if (o->bind) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o->bind_port),
					  .sin_addr.s_addr = htonl(o->bind_addr) };

		*what = "bind";
		err = us_bind(t->st, t->sd, (struct sockaddr *)&sa, sizeof(sa));
		if (err)
			return err;
	}
	return 0;
}

int ctl_cmd_tcp(struct ctl_client *c, int argc, char **argv)
{
	static const char usage[] =
		"tcp connect ADDR PORT [--send N] [--write-size B] [--recv] [--shutdown]\n"
		"       [--keepalive IDLE,INTVL,COUNT] [--hold S] [--nodelay] [--cc NAME]\n"
		"       [--bind ADDR[:PORT]] [--timeout S] [--no-hash]";
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *what = "connect";
	struct tcpc_job *t;
	char err[160];
	int r;

	if (argc < 2)
		return ctl_usage(c, usage);
	t = calloc(1, sizeof(*t));
	if (!t)
		return ctl_fail(c, "tcp", -ENOMEM);
	t->sd = -1;
	if (tcpc_parse(argc - 1, argv + 1, &t->o, err, sizeof(err)) < 0) {
		free(t);
		ctl_eprintf(c, "ustack: tcp: %s\n", err);
		return ctl_usage(c, usage);
	}
	if (tcpc_count(c->st) >= TCPC_MAX_JOBS) {
		free(t);
		ctl_eprintf(c, "ustack: tcp: %s (at most %d tcp commands at once)\n",
			    strerror(EBUSY), TCPC_MAX_JOBS);
		return CTL_EXIT_FAIL;
	}
	t->sbuf = malloc(t->o.write_size);
	if (!t->sbuf) {
		free(t);
		return ctl_fail(c, "tcp", -ENOMEM);
	}
	t->c = c;
	t->st = c->st;
	t->r.hash = t->o.hash;
	t->r.timeout_s = ns_to_s(t->o.timeout_ns);
	sha256_init(&t->tx_hash);
	sha256_init(&t->rx_hash);
	us_timer_init(&t->timer, tcpc_timer_fn);
	fmt_endpoint(t->o.dst, t->o.port, t->r.remote);
	t->next = tcpc_jobs;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = &tcpc_jobs;
	tcpc_jobs = t;
	c->async = &tcpc_ops;
	c->async_state = t;

	t->start_ns = c->st->now_ns;
	t->deadline_ns = t->start_ns + t->o.timeout_ns;
	t->sd = us_socket(c->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (t->sd < 0) {
		tcpc_fail(t, "socket", t->sd);
		return CTL_ASYNC;
	}
	r = tcpc_setup(t, &what);
	if (!r) {
		what = "connect";
		sa.sin_port = htons(t->o.port);
		sa.sin_addr.s_addr = htonl(t->o.dst);
		r = us_connect(c->st, t->sd, (struct sockaddr *)&sa, sizeof(sa));
		if (r == -EINPROGRESS)
			r = 0;
	}
	if (r) {
		tcpc_local_name(t);
		tcpc_fail(t, what, r);
		return CTL_ASYNC; /* finished already: ctl_finish was called */
	}
	t->phase = TCPC_CONNECTING;
	tcpc_poll(c); /* a connection to ourselves may be up already */
	return CTL_ASYNC;
}
