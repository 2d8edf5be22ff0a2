/*
 * test_tcp_undo.c - spurious retransmissions found and their congestion response
 * undone, between two stacks on the virtual clock (tcp_env.h's link, with a
 * per-frame delay for reordering and delay spikes):
 *   - reordering that triggers a fast retransmit, proved spurious by the D-SACK of
 *     the retransmission (RFC 3708, timestamps off) or by the timestamp the ACK
 *     echoes (Eifel, RFC 3522): cwnd and ssthresh back, TcpExtTCPDSACKUndo /
 *     TcpExtTCPFullUndo+TcpExtTCPPartialUndo counted;
 *   - a delay spike longer than the RTO: the timeout proved spurious by F-RTO
 *     (RFC 5682, timestamps off) or by Eifel (F-RTO off): cwnd back,
 *     TcpExtTCPSpuriousRTOs and TcpExtTCPLossUndo counted;
 *   - genuine losses (a dropped segment; a blackout longer than the RTO, with both
 *     detectors on): nothing undone, cwnd stays reduced.
 * Every transfer ends byte-exact. Also: the congestion module sees the current time
 * when output restarts after idle (cwnd_restart_after_idle calls tcp_cc_prepare).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "tcp/tcp_sock.h"
#include "tcp_app.h"
#include "tcp_env.h"
#include "ustack/ustack.h"

#define TOTAL (1u << 20)

static uint64_t stat(struct us_stack *st, enum us_stat id) { return st->counters.stat[id]; }

static void finish(struct te_link *l, struct xfer *x)
{
	tcp_close(x->rx);
	tcp_close(x->tx);
	tcp_close(x->lst);
	assert_int_equal(te_run(l, 600000, xfer_all_gone, x), 0);
	te_link_free(l);
}

static void check_exact(const struct xfer *x)
{
	assert_false(x->mismatch);
	assert_int_equal(x->rx_err, 0);
	assert_int_equal(x->tx_err, 0);
	assert_int_equal(x->rcvd, TOTAL);
	assert_true(x->tx_hash == x->rx_hash);
}

static void both_set(struct us_stack *a, struct us_stack *b, const char *name, const char *val)
{
	assert_int_equal(us_stack_set(a, name, val), 0);
	assert_int_equal(us_stack_set(b, name, val), 0);
}

/* ---- impairments (A -> B data only) ---- */

struct imp {
	uint32_t isn;
	bool have_isn;
	uint64_t seen_max;      /* highest stream offset sent: below it, retransmissions */
	/* reorder: the first transmission of the segment holding this offset is late */
	uint64_t reorder_off;
	uint64_t reorder_ms;
	bool reordered;
	/* spike / blackout: from the first transmission at or past this offset, for
	 * window_ms, frames are held (spike: delivered at the end) or dropped */
	uint64_t window_off;
	uint64_t window_ms;
	bool drop_in_window;
	uint64_t t0;
	bool started;
	/* drop: the first transmission of the segment holding this offset */
	uint64_t drop_off;
	bool dropped;
	uint64_t rexmits_seen;  /* data frames below seen_max */
};

/* Stream offset of a data frame A -> B, or -1. Tracks retransmissions. */
static int64_t frame_off(struct imp *m, int dir, const struct te_out *f, bool *first)
{
	uint64_t off;

	*first = false;
	if (dir != 0)
		return -1;
	if (f->th.flags & TCP_SYN) {
		m->isn = f->th.seq;
		m->have_isn = true;
		return -1;
	}
	if (!m->have_isn || !f->len)
		return -1;
	off = (uint32_t)(f->th.seq - m->isn - 1);
	if (off >= m->seen_max) {
		m->seen_max = off + f->len;
		*first = true;
	} else {
		m->rexmits_seen++;
	}
	return (int64_t)off;
}

static bool imp_filter(void *arg, int dir, const struct te_out *f, uint64_t now_ms)
{
	struct imp *m = arg;
	bool first;
	int64_t off = frame_off(m, dir, f, &first);

	if (off < 0)
		return false;
	if (m->drop_off && first && !m->dropped && (uint64_t)off <= m->drop_off &&
	    m->drop_off < (uint64_t)off + f->len) {
		m->dropped = true;
		return true;
	}
	if (m->window_ms && !m->started && first && (uint64_t)off >= m->window_off) {
		m->started = true;
		m->t0 = now_ms;
	}
	if (m->started && m->drop_in_window && now_ms < m->t0 + m->window_ms)
		return true;
	/* Remember first transmissions for the delay hook (it sees the frame next). */
	if (m->reorder_ms && first && !m->reordered && (uint64_t)off <= m->reorder_off &&
	    m->reorder_off < (uint64_t)off + f->len)
		m->reordered = true, m->reorder_off = UINT64_MAX - 1; /* mark: delay this one */
	return false;
}

static uint64_t imp_delay(void *arg, int dir, const struct te_out *f, uint64_t now_ms)
{
	struct imp *m = arg;

	(void)f;
	if (dir != 0)
		return 0;
	if (m->reorder_off == UINT64_MAX - 1) {
		m->reorder_off = UINT64_MAX; /* once */
		return m->reorder_ms;
	}
	if (m->started && !m->drop_in_window && now_ms < m->t0 + m->window_ms)
		return m->t0 + m->window_ms - now_ms;
	return 0;
}

/* ---- watching the sender's cwnd around the event ---- */

struct watch {
	struct xfer *x;
	enum us_stat event;  /* the counter that says the response began */
	enum us_stat undo;   /* the counter that says it was undone (or none) */
	enum us_stat undo2;  /* another counter that may say so (or none) */
	uint32_t cwnd_before;   /* cwnd in the last round before the event */
	uint32_t ssthresh_before;
	uint32_t cwnd_low;      /* lowest cwnd after the event */
	uint32_t ssthresh_low;  /* lowest ssthresh after the event */
	uint32_t cwnd_after_undo; /* cwnd in the round the undo happened */
	bool seen_event, seen_undo;
};

static bool watch_step(void *arg)
{
	struct watch *w = arg;
	struct tcp_sock *tp = w->x->tx;
	bool done = xfer_step(w->x);

	if (!tp || tp->state < TCP_ESTABLISHED)
		return done;
	if (!w->seen_event) {
		if (stat(w->x->a, w->event)) {
			w->seen_event = true;
			w->cwnd_low = tp->cc.cwnd;
			w->ssthresh_low = tp->cc.ssthresh;
		} else {
			w->cwnd_before = tp->cc.cwnd;
			w->ssthresh_before = tp->cc.ssthresh;
		}
	}
	if (w->seen_event && !w->seen_undo) {
		if (tp->cc.cwnd < w->cwnd_low)
			w->cwnd_low = tp->cc.cwnd;
		if (tp->cc.ssthresh < w->ssthresh_low)
			w->ssthresh_low = tp->cc.ssthresh;
		if ((w->undo != US_STAT__COUNT && stat(w->x->a, w->undo)) ||
		    (w->undo2 != US_STAT__COUNT && stat(w->x->a, w->undo2))) {
			w->seen_undo = true;
			w->cwnd_after_undo = tp->cc.cwnd;
		}
	}
	return done;
}

/* Reordering: one segment 15 ms late on a 10 ms link, so three later ones are SACKed
 * first and RACK (RFC 8985) marks it lost: fast retransmit, then the original
 * arrives and the retransmission is a duplicate the receiver reports (D-SACK). */
static void run_reorder(bool ts, struct us_stack **ap, struct te_link **lp, struct xfer *x,
			struct watch *w)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(10, &a, &b);
	static struct imp m;

	memset(&m, 0, sizeof(m));
	m.reorder_off = 300000;
	m.reorder_ms = 15;
	both_set(a, b, "net.ipv4.tcp_timestamps", ts ? "1" : "0");
	te_link_set_filter(l, imp_filter, &m);
	te_link_set_delay(l, imp_delay, &m);
	memset(x, 0, sizeof(*x));
	xfer_start(x, a, b, 80, TOTAL);
	*w = (struct watch){ .x = x, .event = US_STAT_TcpExtTCPSACKRecovery,
			     .undo = ts ? US_STAT_TcpExtTCPFullUndo : US_STAT_TcpExtTCPDSACKUndo,
			     .undo2 = ts ? US_STAT__COUNT : US_STAT_TcpExtTCPFullUndo };
	assert_int_equal(te_run(l, 60000, watch_step, w), 0);
	assert_true(m.reordered);
	check_exact(x);
	*ap = a;
	*lp = l;
}

static void test_dsack_undo(void **state)
{
	struct us_stack *a;
	struct te_link *l;
	struct xfer x;
	struct watch w;

	(void)state;
	run_reorder(false, &a, &l, &x, &w);
	/* One fast retransmit, spurious. */
	assert_int_equal(stat(a, US_STAT_TcpExtTCPSACKRecovery), 1);
	assert_int_equal(stat(a, US_STAT_TcpRetransSegs), 1);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPTimeouts), 0);
	assert_true(stat(x.b, US_STAT_TcpExtTCPDSACKRecv) + stat(a, US_STAT_TcpExtTCPDSACKRecv) >= 1);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPDSACKRecv), 1);
	/* RFC 3708: the D-SACK undid it. Without timestamps only a D-SACK can (undo.retrans
	 * reaching 0); which counter says so depends on whether the ACK carrying the
	 * D-SACK also ended the recovery (Linux: tcp_try_undo_recovery counts
	 * TCPFullUndo then, tcp_try_undo_dsack TCPDSACKUndo otherwise). With an ACK
	 * for every second segment (not one per poll round) the receiver's D-SACK ACK
	 * also acknowledges the last segment of the recovery: TCPFullUndo. */
	assert_int_equal(stat(a, US_STAT_TcpExtTCPDSACKUndo) + stat(a, US_STAT_TcpExtTCPFullUndo), 1);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPPartialUndo), 0);
	assert_true(w.seen_undo);
	/* The response had cut cwnd (PRR toward CUBIC's 0.7); the undo gave it back,
	 * and ssthresh is what it was (slow start's "infinity"). */
	assert_true(w.cwnd_low < w.cwnd_before);
	assert_true(w.cwnd_after_undo >= w.cwnd_before);
	assert_int_equal(w.ssthresh_before, UINT32_MAX);
	assert_int_equal(x.tx->cc.ssthresh, UINT32_MAX);
	assert_false(x.tx->undo.on);
	finish(l, &x);
}

static void test_eifel_undo_fast_retransmit(void **state)
{
	struct us_stack *a;
	struct te_link *l;
	struct xfer x;
	struct watch w;

	(void)state;
	run_reorder(true, &a, &l, &x, &w);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPSACKRecovery), 1);
	assert_int_equal(stat(a, US_STAT_TcpRetransSegs), 1);
	/* RFC 3522: the ACK that filled the hole echoed the original's TSval. */
	assert_int_equal(stat(a, US_STAT_TcpExtTCPFullUndo) + stat(a, US_STAT_TcpExtTCPPartialUndo), 1);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPDSACKUndo), 0);
	/* The response lowered ssthresh (CUBIC: 0.7 cwnd; PRR lowers cwnd only as the
	 * flight drains, which the quick undo may pre-empt); the undo put it back. */
	assert_true(w.ssthresh_low < w.cwnd_before);
	assert_int_equal(x.tx->cc.ssthresh, UINT32_MAX);
	assert_true(x.tx->cc.cwnd >= w.cwnd_before);
	finish(l, &x);
}

/* A delay spike: from offset 300000 on, A -> B frames are held for 300 ms (a queue
 * that stalls), longer than the RTO (~230 ms at 20 ms RTT), and then delivered. */
static void run_spike(bool ts, int frto, bool blackout, bool sack, struct us_stack **ap,
		      struct te_link **lp, struct xfer *x, struct watch *w, struct imp *m)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(10, &a, &b);
	char v[4];

	memset(m, 0, sizeof(*m));
	m->window_off = 300000;
	m->window_ms = 300;
	m->drop_in_window = blackout;
	both_set(a, b, "net.ipv4.tcp_timestamps", ts ? "1" : "0");
	both_set(a, b, "net.ipv4.tcp_sack", sack ? "1" : "0");
	v[0] = (char)('0' + frto);
	v[1] = 0;
	both_set(a, b, "net.ipv4.tcp_frto", v);
	/* No tail loss probes: the RTO is what this is about. */
	both_set(a, b, "net.ipv4.tcp_early_retrans", "0");
	te_link_set_filter(l, imp_filter, m);
	te_link_set_delay(l, imp_delay, m);
	memset(x, 0, sizeof(*x));
	xfer_start(x, a, b, 80, TOTAL);
	*w = (struct watch){ .x = x, .event = US_STAT_TcpExtTCPTimeouts,
			     .undo = US_STAT_TcpExtTCPLossUndo, .undo2 = US_STAT__COUNT };
	assert_int_equal(te_run(l, 60000, watch_step, w), 0);
	assert_true(m->started);
	check_exact(x);
	*ap = a;
	*lp = l;
}

static void test_frto_spurious_rto(void **state)
{
	struct us_stack *a;
	struct te_link *l;
	struct xfer x;
	struct watch w;
	struct imp m;

	(void)state;
	run_spike(false, 2, false, true, &a, &l, &x, &w, &m);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPTimeouts), 1);
	/* RFC 5682 3.1 step 3.b: the ACK after the RTO covered data never retransmitted. */
	assert_int_equal(stat(a, US_STAT_TcpExtTCPSpuriousRTOs), 1);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPLossUndo), 1);
	assert_true(w.seen_undo);
	assert_true(w.cwnd_low <= x.tx->snd.mss);          /* the RTO's loss window */
	assert_true(w.cwnd_after_undo >= w.cwnd_before);   /* given back */
	/* Only the RTO's one retransmission: the rest was not resent. */
	assert_int_equal(stat(a, US_STAT_TcpRetransSegs), 1);
	finish(l, &x);
}

static void test_eifel_spurious_rto(void **state)
{
	struct us_stack *a;
	struct te_link *l;
	struct xfer x;
	struct watch w;
	struct imp m;

	(void)state;
	run_spike(true, 0, false, true, &a, &l, &x, &w, &m);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPTimeouts), 1);
	/* RFC 3522: the first ACK after the RTO echoed the original's TSval. */
	assert_int_equal(stat(a, US_STAT_TcpExtTCPSpuriousRTOs), 1);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPLossUndo), 1);
	assert_true(w.seen_undo);
	assert_true(w.cwnd_low <= x.tx->snd.mss);
	assert_true(w.cwnd_after_undo >= w.cwnd_before);
	assert_int_equal(stat(a, US_STAT_TcpRetransSegs), 1);
	finish(l, &x);
}

/* Genuine: a blackout longer than the RTO (everything A -> B dropped for 300 ms), with
 * timestamps and F-RTO both on. Nothing may be undone. */
static void test_genuine_rto_not_undone(void **state)
{
	struct us_stack *a;
	struct te_link *l;
	struct xfer x;
	struct watch w;
	struct imp m;

	(void)state;
	run_spike(true, 2, true, true, &a, &l, &x, &w, &m);
	assert_true(stat(a, US_STAT_TcpExtTCPTimeouts) >= 1);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPSpuriousRTOs), 0);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPLossUndo), 0);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPFullUndo) + stat(a, US_STAT_TcpExtTCPPartialUndo) +
				 stat(a, US_STAT_TcpExtTCPDSACKUndo), 0);
	assert_false(w.seen_undo);
	/* The response stands: ssthresh came down from slow start's infinity. */
	assert_true(x.tx->cc.ssthresh < w.cwnd_before);
	finish(l, &x);
}

/* F-RTO without SACK (RFC 5682 2, the basic algorithm: duplicate ACKs instead of
 * SACK blocks): the spurious timeout is undone the same way; a blackout is not. */
static void test_frto_no_sack(void **state)
{
	struct us_stack *a;
	struct te_link *l;
	struct xfer x;
	struct watch w;
	struct imp m;

	(void)state;
	run_spike(false, 1, false, false, &a, &l, &x, &w, &m);
	assert_false(x.tx->flags & TF_SACK_OK);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPTimeouts), 1);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPSpuriousRTOs), 1);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPLossUndo), 1);
	assert_true(w.cwnd_after_undo >= w.cwnd_before);
	assert_int_equal(stat(a, US_STAT_TcpRetransSegs), 1);
	finish(l, &x);

	run_spike(false, 1, true, false, &a, &l, &x, &w, &m);
	assert_true(stat(a, US_STAT_TcpExtTCPTimeouts) >= 1);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPSpuriousRTOs), 0);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPLossUndo), 0);
	assert_true(x.tx->cc.ssthresh < w.cwnd_before);
	finish(l, &x);
}

/* Genuine: one segment dropped (first transmission), timestamps on: the
 * retransmission repairs it, D-SACK and Eifel see nothing, cwnd stays reduced. */
static void test_genuine_fast_retransmit_not_undone(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(10, &a, &b);
	struct imp m = { .drop_off = 300000 };
	struct xfer x = { 0 };
	struct watch w;

	(void)state;
	te_link_set_filter(l, imp_filter, &m);
	xfer_start(&x, a, b, 80, TOTAL);
	w = (struct watch){ .x = &x, .event = US_STAT_TcpExtTCPSACKRecovery,
			    .undo = US_STAT_TcpExtTCPFullUndo, .undo2 = US_STAT__COUNT };
	assert_int_equal(te_run(l, 60000, watch_step, &w), 0);
	check_exact(&x);
	assert_true(m.dropped);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPSACKRecovery), 1);
	assert_int_equal(stat(a, US_STAT_TcpExtTCPFullUndo) + stat(a, US_STAT_TcpExtTCPPartialUndo) +
				 stat(a, US_STAT_TcpExtTCPDSACKUndo) + stat(a, US_STAT_TcpExtTCPLossUndo), 0);
	assert_true(x.tx->cc.ssthresh < w.cwnd_before);
	assert_true(w.cwnd_low < w.cwnd_before);
	finish(l, &x);
}

/* cwnd_restart_after_idle: the module's TX_START sees the time of the send, not of
 * the last ACK (CUBIC takes the idle time out of its epoch with it, RFC 9438 5.8). */
static bool established(void *arg)
{
	struct xfer *x = arg;

	return x->tx->state == TCP_ESTABLISHED && x->rx;
}

static bool all_acked(void *arg)
{
	struct xfer *x = arg;

	return x->tx->snd.una == x->tx->snd.nxt && x->tx->sndq.len == 0;
}

static bool accept_rx(void *arg)
{
	struct xfer *x = arg;

	if (!x->rx && tcp_accept(x->lst, &x->rx) < 0)
		x->rx = NULL;
	return established(arg);
}

static void test_idle_restart_sees_now(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(10, &a, &b);
	struct xfer x = { 0 };
	static uint8_t buf[10000];
	struct iovec iov = { buf, sizeof(buf) };
	uint64_t last_ack_us;

	(void)state;
	xfer_start(&x, a, b, 80, 0);
	assert_int_equal(te_run(l, 5000, accept_rx, &x), 0);
	assert_int_equal(tcp_send(x.tx, &iov, 1, 0), (ssize_t)sizeof(buf));
	assert_int_equal(te_run(l, 5000, all_acked, &x), 0);
	last_ack_us = x.tx->cc.now_us;
	/* Idle for 5 s (longer than the RTO: slow start after idle restarts cwnd too). */
	te_advance(a, 5000);
	te_advance(b, 5000);
	assert_int_equal(tcp_send(x.tx, &iov, 1, 0), (ssize_t)sizeof(buf));
	us_stack_poll(a);
	assert_int_equal(x.tx->cc.now_us, us_stack_now_ns(a) / 1000);
	assert_true(x.tx->cc.now_us >= last_ack_us + 5000000);
	tcp_close(x.rx);
	tcp_close(x.tx);
	tcp_close(x.lst);
	assert_int_equal(te_run(l, 600000, xfer_all_gone, &x), 0);
	te_link_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dsack_undo),
		cmocka_unit_test(test_eifel_undo_fast_retransmit),
		cmocka_unit_test(test_frto_spurious_rto),
		cmocka_unit_test(test_eifel_spurious_rto),
		cmocka_unit_test(test_genuine_rto_not_undone),
		cmocka_unit_test(test_frto_no_sack),
		cmocka_unit_test(test_genuine_fast_retransmit_not_undone),
		cmocka_unit_test(test_idle_restart_sees_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
