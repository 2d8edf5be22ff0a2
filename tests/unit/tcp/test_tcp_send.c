/*
 * test_tcp_send.c - the sender at the segment level: Nagle (RFC 896, RFC 1122
 * 4.2.3.4), TCP_NODELAY, TCP_CORK and MSG_MORE; sender silly-window avoidance;
 * limited transmit (RFC 3042) and fast retransmit on the third duplicate ACK
 * (RFC 5681 3.2); Proportional Rate Reduction during recovery (RFC 6937); and the
 * bound on out-of-order memory at the receiver.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "tcp/tcp_sock.h"
#include "tcp_env.h"
#include "ustack/ustack.h"

#define PEER_ISS 0x30000000u

static struct tcp_sock *open_active(struct te_peer *pe, uint16_t lport, bool sack)
{
	struct tcp_sock *tp = tcp_sock_new(pe->st);
	struct te_out o;
	struct te_seg s;

	assert_int_equal(tcp_bind(tp, 0, lport), 0);
	assert_int_equal(tcp_connect(tp, TE_PEER, 80), -EINPROGRESS);
	te_poll(pe->st);
	te_peer_pop(pe, &o);
	pe->sport = 80;
	pe->dport = lport;
	pe->snd_nxt = PEER_ISS + 1;
	pe->rcv_nxt = o.th.seq + 1;
	s = (struct te_seg){ .saddr = TE_PEER, .daddr = TE_US, .sport = 80, .dport = lport,
			     .seq = PEER_ISS, .ack = o.th.seq + 1, .flags = TCP_SYN | TCP_ACK,
			     .win = 65535 };
	s.opts.mss_present = true;
	s.opts.mss = 1000;
	s.opts.sack_perm = sack;
	s.opts.wscale_present = true;
	s.opts.wscale = 4;
	te_inject(pe->dev, &s);
	te_poll(pe->st);
	te_peer_pop(pe, &o);
	assert_int_equal(tp->state, TCP_ESTABLISHED);
	assert_int_equal(tp->snd.mss, 1000);
	/* A window update to the scaled window the rest of the test keeps (4096 << 4), so
	 * later ACKs count as duplicates (RFC 5681 2: "the advertised window ... does not
	 * change"). */
	te_peer_send(pe, TCP_ACK, NULL, 0, 4096);
	te_poll(pe->st);
	assert_int_equal(tp->snd.wnd, 65536);
	return tp;
}

static void setup(struct te_peer *pe)
{
	memset(pe, 0, sizeof(*pe));
	pe->st = te_stack_new(TE_US, 42, &pe->dev);
}

static void teardown(struct te_peer *pe, struct tcp_sock *tp)
{
	tcp_abort(tp, 0, false);
	tcp_close(tp);
	te_tx_clear(pe->dev);
	te_assert_no_conns(pe->st);
	te_stack_free(pe->st);
}

static ssize_t send_n(struct tcp_sock *tp, size_t n, int flags)
{
	static uint8_t buf[65536];
	struct iovec iov = { buf, n };

	return tcp_send(tp, &iov, 1, flags);
}

/* The peer acknowledges everything it got so far (window 65535 << 4). */
static void ack_all(struct te_peer *pe, struct tcp_sock *tp)
{
	pe->rcv_nxt = tp->snd.nxt;
	te_peer_send(pe, TCP_ACK, NULL, 0, 4096);
	te_poll(pe->st);
}

static void test_nagle_nodelay_cork(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	int one = 1, zero = 0;

	(void)state;
	setup(&pe);
	tp = open_active(&pe, 6100, true);
	/* Nagle: a small write goes; the next waits while the first is unacknowledged. */
	assert_int_equal(send_n(tp, 10, 0), 10);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.len, 10);
	assert_int_equal(send_n(tp, 10, 0), 10);
	assert_int_equal(send_n(tp, 10, 0), 10);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 0);
	ack_all(&pe, tp);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.len, 20);                      /* coalesced */
	ack_all(&pe, tp);
	/* TCP_NODELAY: each write goes at once. */
	assert_int_equal(tcp_setsockopt(tp, 6, 1 /* TCP_NODELAY */, &one, sizeof(one)), 0);
	assert_int_equal(send_n(tp, 10, 0), 10);
	te_poll(pe.st);
	assert_int_equal(send_n(tp, 10, 0), 10);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 2);
	te_tx_clear(pe.dev);
	ack_all(&pe, tp);
	/* TCP_CORK: partial segments wait, full ones go, uncorking pushes the rest. */
	assert_int_equal(tcp_setsockopt(tp, 6, 3 /* TCP_CORK */, &one, sizeof(one)), 0);
	assert_int_equal(send_n(tp, 2500, 0), 2500);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 2);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.len, 1000);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.len, 1000);
	assert_int_equal(tcp_setsockopt(tp, 6, 3 /* TCP_CORK */, &zero, sizeof(zero)), 0);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.len, 500);
	ack_all(&pe, tp);
	/* The cork's ceiling: held data goes after 200 ms anyway (tcp(7)). */
	assert_int_equal(tcp_setsockopt(tp, 6, 3 /* TCP_CORK */, &one, sizeof(one)), 0);
	assert_int_equal(send_n(tp, 100, 0), 100);
	te_poll(pe.st);
	te_advance(pe.st, 199);
	assert_int_equal(te_tx_count(pe.dev), 0);
	te_advance(pe.st, 1);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.len, 100);
	assert_int_equal(tcp_setsockopt(tp, 6, 3 /* TCP_CORK */, &zero, sizeof(zero)), 0);
	ack_all(&pe, tp);
	/* MSG_MORE holds a partial segment for this write only. */
	assert_int_equal(send_n(tp, 300, MSG_MORE), 300);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 0);
	assert_int_equal(send_n(tp, 300, 0), 300);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.len, 600);
	teardown(&pe, tp);
}

/* RFC 1122 4.2.3.4: a window that would take a silly segment is not used until the
 * persist timer forces it. */
static void test_sender_sws(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	struct te_out o;

	(void)state;
	setup(&pe);
	tp = open_active(&pe, 6101, true);
	assert_int_equal(tp->snd.max_wnd, 65536);
	/* The peer offers 304 bytes (19 << 4): under MSS and under half its largest. */
	te_peer_send(&pe, TCP_ACK, NULL, 0, 19);
	te_poll(pe.st);
	assert_int_equal(tp->snd.wnd, 304);
	assert_int_equal(send_n(tp, 2000, 0), 2000);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 0);
	assert_true(tp->deadline[TCPT_PERSIST] != 0);
	te_advance(pe.st, tcp_rto_ms(tp));
	te_peer_pop(&pe, &o);
	assert_int_equal(o.len, 304);                     /* forced: what fits */
	teardown(&pe, tp);
}

/* No SACK: duplicate ACKs 1 and 2 each let one new segment out (RFC 3042), the third
 * retransmits (RFC 5681 3.2) and starts NewReno recovery. */
static void test_limited_transmit(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	uint32_t una;

	(void)state;
	setup(&pe);
	tp = open_active(&pe, 6102, false);
	una = tp->snd.una;
	assert_int_equal(send_n(tp, 15000, 0), 15000);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 10);        /* IW10 (RFC 6928) */
	te_tx_clear(pe.dev);
	pe.rcv_nxt = una;                                 /* the first segment is lost */
	te_peer_send(&pe, TCP_ACK, NULL, 0, 4096);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.seq, una + 10000);          /* limited transmit: new data */
	assert_int_equal(tp->cc.cwnd, 10000);             /* cwnd unchanged */
	te_peer_send(&pe, TCP_ACK, NULL, 0, 4096);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.seq, una + 11000);
	te_peer_send(&pe, TCP_ACK, NULL, 0, 4096);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.seq, una);                  /* fast retransmit */
	assert_int_equal(tp->cc.ca_state, TCP_CA_RECOVERY);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPRenoRecovery], 1);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPFastRetrans], 1);
	teardown(&pe, tp);
}

/* Slow start with a batch of ACKs (RFC 5681 3.1, RFC 3465 2.2: cwnd += min(acked,
 * 2 SMSS) per ACK): IW10 acknowledged by 5 ACKs (one per two segments) handled in one
 * poll round, before output runs again, doubles cwnd to 20 segments. The flight
 * before each ACK shrinks along the batch (10, 8, 6 ... segments), so judging "is
 * cwnd what limits us" by it stopped growth at the third ACK (cwnd 14); as Linux's
 * tcp_is_cwnd_limited, the largest flight of the window (max_packets_out) decides. */
static void test_slow_start_ack_batch(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	uint32_t una;

	(void)state;
	setup(&pe);
	tp = open_active(&pe, 6105, true);
	una = tp->snd.una;
	assert_int_equal(send_n(tp, 30000, 0), 30000);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 10);        /* IW10 (RFC 6928) */
	assert_int_equal(tp->cc.cwnd, 10000);
	te_tx_clear(pe.dev);
	for (uint32_t i = 1; i <= 5; i++) {
		pe.rcv_nxt = una + i * 2000;
		te_peer_send(&pe, TCP_ACK, NULL, 0, 4096);
	}
	te_poll(pe.st);
	assert_int_equal(tp->snd.una, una + 10000);
	assert_int_equal(tp->cc.cwnd, 20000);
	assert_int_equal(te_tx_count(pe.dev), 20);
	teardown(&pe, tp);
}

/* RFC 6937: with 20 segments out and the first lost, SACKs for the 19 others let
 * about ssthresh/RecoverFS of them be replaced (CUBIC: ssthresh = 0.7 cwnd): one
 * retransmission (RACK sees the loss at once: the clock does not move here) and new
 * data until the pipe is down to ssthresh, where recovery ends. */
static void test_prr(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	uint32_t una, sent = 0;

	(void)state;
	setup(&pe);
	tp = open_active(&pe, 6103, true);
	{
		int sz = 65536;

		assert_int_equal(tcp_setsockopt(tp, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
	}
	tp->cc.cwnd = 20000;
	una = tp->snd.una;
	assert_int_equal(send_n(tp, 40000, 0), 40000);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 20);
	te_tx_clear(pe.dev);
	pe.rcv_nxt = una;
	for (uint32_t i = 1; i < 20; i++) {
		struct te_seg s = { .saddr = TE_PEER, .daddr = TE_US, .sport = 80, .dport = 6103,
				    .seq = pe.snd_nxt, .ack = una, .flags = TCP_ACK, .win = 4096 };

		s.opts.sack_count = 1;
		s.opts.sack[0].start = una + 1000;
		s.opts.sack[0].end = una + 1000 * (i + 1);
		te_inject(pe.dev, &s);
		te_poll(pe.st);
		while (te_tx_count(pe.dev)) {
			te_peer_pop(&pe, &o);
			sent++;
		}
		/* PRR never lets the pipe exceed what it computed; at the end of the
		 * reduction it is at ssthresh. */
		assert_true(tcp_in_flight(tp) <= tp->cc.cwnd);
	}
	assert_int_equal(tp->cc.ca_state, TCP_CA_RECOVERY);
	assert_int_equal(tp->cc.ssthresh, 14000);
	/* The retransmission plus new data: 0.7 x 17 delivered after entering recovery,
	 * give or take the segment PRR always allows first. */
	assert_true(sent >= 12 && sent <= 15);
	assert_int_equal(tcp_in_flight(tp), 14000);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpRetransSegs], 1);
	/* The cumulative ACK for everything: recovery ends at ssthresh. */
	pe.rcv_nxt = tp->snd.nxt;
	te_peer_send(&pe, TCP_ACK, NULL, 0, 4096);
	te_poll(pe.st);
	assert_int_equal(tp->cc.ca_state, TCP_CA_OPEN);
	/* cwnd = ssthresh at the exit, then the same ACK's congestion-avoidance step. */
	assert_true(tp->cc.cwnd >= 14000 && tp->cc.cwnd < 20000);
	teardown(&pe, tp);
}

/* Out-of-order memory is bounded: past US_INTERVALS_MAX separate ranges, more
 * fragments are refused (counted) and the connection goes on. */
static void test_ooo_bound(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	static uint8_t d[20];
	uint32_t base;
	char buf[64];
	struct iovec iov = { buf, sizeof(buf) };

	(void)state;
	setup(&pe);
	tp = open_active(&pe, 6104, true);
	base = pe.snd_nxt;
	for (uint32_t i = 0; i < US_INTERVALS_MAX + 10; i++) {
		pe.snd_nxt = base + 20 * (i + 1);
		te_peer_send(&pe, TCP_ACK, d, 10, 4096);
	}
	te_poll(pe.st);
	te_tx_clear(pe.dev);
	assert_int_equal(tp->ooo.n, US_INTERVALS_MAX);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPOFODrop], 10);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPOFOQueue], US_INTERVALS_MAX);
	/* The in-order byte still gets in and joins what follows. */
	pe.snd_nxt = base;
	te_peer_send(&pe, TCP_ACK, d, 20, 4096);
	te_poll(pe.st);
	assert_int_equal(tcp_recv(tp, &iov, 1, 0), 30);
	teardown(&pe, tp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nagle_nodelay_cork),
		cmocka_unit_test(test_sender_sws),
		cmocka_unit_test(test_limited_transmit),
		cmocka_unit_test(test_slow_start_ack_batch),
		cmocka_unit_test(test_prr),
		cmocka_unit_test(test_ooo_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
