/*
 * test_tcp_listen.c - passive opens at the segment level: SYN cookies (Linux's
 * encoding, options carried in the timestamp), the SYN and accept queue bounds,
 * TIME_WAIT reuse by a new SYN (RFC 6191), and what a listener's close does to
 * connections nobody accepted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "tcp/tcp_sock.h"
#include "tcp_env.h"
#include "ustack/ustack.h"

static struct tcp_sock *listener(struct us_stack *st, uint16_t port, int backlog)
{
	struct tcp_sock *l = tcp_sock_new(st);

	assert_non_null(l);
	assert_int_equal(tcp_bind(l, 0, port), 0);
	assert_int_equal(tcp_listen(l, backlog), 0);
	return l;
}

/* A Linux-like SYN from TE_PEER:@sport (timestamps and window scale optional). */
static void send_syn(struct te_peer *pe, uint16_t sport, uint32_t seq, bool ts, bool ws)
{
	struct te_seg s = { .saddr = TE_PEER, .daddr = TE_US, .sport = sport, .dport = 80,
			    .seq = seq, .flags = TCP_SYN, .win = 64240 };

	s.opts.mss_present = true;
	s.opts.mss = 1460;
	s.opts.sack_perm = ts;
	if (ts) {
		s.opts.ts_present = true;
		s.opts.tsval = ++pe->tsval;
	}
	if (ws) {
		s.opts.wscale_present = true;
		s.opts.wscale = 7;
	}
	te_inject(pe->dev, &s);
}

static void peer_for(struct te_peer *pe, uint16_t sport, uint32_t seq, const struct te_out *synack,
		     bool ts)
{
	pe->sport = sport;
	pe->dport = 80;
	pe->snd_nxt = seq + 1;
	pe->rcv_nxt = synack->th.seq + 1;
	pe->ts = ts;
	if (ts)
		pe->tsecr = synack->th.opts.tsval;
}

static void test_syncookies(void **state)
{
	struct te_peer pe = { 0 };
	struct tcp_sock *l, *c;
	struct te_out o;
	uint32_t cookie_seq;

	(void)state;
	pe.st = te_stack_new(TE_US, 7, &pe.dev);
	assert_int_equal(us_stack_set(pe.st, "net.ipv4.tcp_syncookies", "2"), 0);
	l = listener(pe.st, 80, 16);
	pe.tsval = 5000;
	send_syn(&pe, 41000, 7000, true, true);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(o.th.ack, 7001);
	assert_int_equal(pe.st->tcp->nreq, 0);           /* nothing kept: stateless */
	/* Linux's encoding: TSval's low 6 bits = peer's wscale 7 | SACK-permitted (16). */
	assert_int_equal(o.th.opts.tsval & 0x3f, 7 | 16);
	/* ... and TSval never runs ahead of our clock. */
	assert_true(o.th.opts.tsval <= (uint32_t)pe.st->now_ms + tcp_ts_offset(pe.st, TE_US, TE_PEER));
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtSyncookiesSent], 1);
	cookie_seq = o.th.seq;

	/* A forged ACK (wrong cookie): RST, counted. */
	peer_for(&pe, 41000, 7000, &o, true);
	pe.rcv_nxt = cookie_seq + 12345;
	te_peer_send(&pe, TCP_ACK, NULL, 0, 502);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_RST);
	assert_int_equal(o.th.seq, cookie_seq + 12345);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtSyncookiesFailed], 1);
	assert_int_equal(pe.st->counters.drop[US_DROP_TCP_SYN_COOKIE_BAD], 1);

	/* The real one: a connection with what the timestamp carried. */
	pe.snd_nxt = 7001;
	pe.rcv_nxt = cookie_seq + 1;
	te_peer_send(&pe, TCP_ACK | TCP_PSH, "GET", 3, 502);
	te_poll(pe.st);
	assert_int_equal(tcp_accept(l, &c), 0);
	assert_int_equal(c->state, TCP_ESTABLISHED);
	assert_int_equal(c->snd.wscale, 7);
	assert_true(c->flags & TF_SACK_OK);
	assert_true(c->flags & TF_TS_OK);
	assert_int_equal(c->snd.mss, 1460 - 12);          /* MSS 1460 from the table */
	assert_int_equal(c->rcvq.len, 3);                 /* the data in the ACK too */
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtSyncookiesRecv], 1);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpPassiveOpens], 1);
	te_peer_pop(&pe, &o);                             /* the ACK of "GET" */
	assert_int_equal(o.th.ack, 7004);

	/* Without timestamps a cookie cannot carry options: no scaling, no SACK. */
	{
		struct te_peer p2 = pe;
		struct te_out s2;
		struct tcp_sock *c2;

		send_syn(&p2, 41002, 9500, false, true);
		te_poll(pe.st);
		te_peer_pop(&p2, &s2);
		assert_false(s2.th.opts.wscale_present);     /* cookie: nothing to remember it */
		assert_false(s2.th.opts.sack_perm);
		peer_for(&p2, 41002, 9500, &s2, false);
		te_peer_send(&p2, TCP_ACK, NULL, 0, 1000);
		te_poll(pe.st);
		assert_int_equal(tcp_accept(l, &c2), 0);
		assert_int_equal(c2->snd.wscale, 0);
		assert_false(c2->flags & TF_SACK_OK);
		assert_int_equal(c2->snd.wnd, 1000);
		/* A cookie older than two minutes is refused. */
		send_syn(&p2, 41003, 9900, false, false);
		te_poll(pe.st);
		te_peer_pop(&p2, &s2);
		peer_for(&p2, 41003, 9900, &s2, false);
		te_advance(pe.st, 3 * 60 * 1000);
		te_tx_clear(pe.dev);
		te_peer_send(&p2, TCP_ACK, NULL, 0, 1000);
		te_poll(pe.st);
		te_peer_pop(&p2, &s2);
		assert_int_equal(s2.th.flags, TCP_RST);
		assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtSyncookiesFailed], 2);
		tcp_abort(c2, 0, false);
		tcp_close(c2);
	}
	tcp_abort(c, 0, false);
	tcp_close(c);
	tcp_close(l);
	te_tx_clear(pe.dev);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* net.ipv4.tcp_syncookies=1: cookies only when the SYN queue is full; =0: drop. */
static void test_syn_queue_full(void **state)
{
	struct te_peer pe = { 0 };
	struct tcp_sock *l;
	struct te_out o;

	(void)state;
	pe.st = te_stack_new(TE_US, 7, &pe.dev);
	l = listener(pe.st, 80, 2);
	send_syn(&pe, 42000, 100, true, true);
	send_syn(&pe, 42001, 200, true, true);
	te_poll(pe.st);
	assert_int_equal(pe.st->tcp->nreq, 2);
	assert_int_equal(te_tx_count(pe.dev), 2);
	te_tx_clear(pe.dev);
	send_syn(&pe, 42002, 300, true, true);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);                              /* a cookie SYN-ACK */
	assert_int_equal(pe.st->tcp->nreq, 2);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPReqQFullDoCookies], 1);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtSyncookiesSent], 1);
	/* Cookies off: the SYN is dropped. */
	assert_int_equal(us_stack_set(pe.st, "net.ipv4.tcp_syncookies", "0"), 0);
	send_syn(&pe, 42003, 400, true, true);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 0);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPReqQFullDrop], 1);
	assert_int_equal(pe.st->counters.drop[US_DROP_TCP_SYN_QUEUE_FULL], 1);
	tcp_close(l);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* The accept queue holds backlog + 1 (Linux); then SYNs and final ACKs are dropped;
 * closing the listener resets the connections nobody accepted. */
static void test_accept_queue_overflow(void **state)
{
	struct te_peer pe = { 0 };
	struct tcp_sock *l;
	struct te_out o;

	(void)state;
	pe.st = te_stack_new(TE_US, 7, &pe.dev);
	l = listener(pe.st, 80, 1);
	for (uint16_t i = 0; i < 2; i++) {
		send_syn(&pe, (uint16_t)(43000 + i), 1000u * i, false, false);
		te_poll(pe.st);
		te_peer_pop(&pe, &o);
		peer_for(&pe, (uint16_t)(43000 + i), 1000u * i, &o, false);
		te_peer_send(&pe, TCP_ACK, NULL, 0, 1000);
		te_poll(pe.st);
	}
	assert_int_equal(l->lst.acceptq_len, 2);
	send_syn(&pe, 43002, 5000, false, false);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 0);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtListenOverflows], 1);
	assert_int_equal(pe.st->counters.drop[US_DROP_TCP_LISTEN_OVERFLOW], 1);
	tcp_close(l);
	te_poll(pe.st);
	/* Two RSTs, one per queued connection. */
	te_peer_pop(&pe, &o);
	assert_true(o.th.flags & TCP_RST);
	te_peer_pop(&pe, &o);
	assert_true(o.th.flags & TCP_RST);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpCurrEstab], 0);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* Accepting one of two queued connections leaves the listener readable: another
 * round is requested at once (level-triggered, as tcp_recv); accepting the last
 * one does not. */
static void test_accept_leaves_queue_requests_round(void **state)
{
	struct te_peer pe = { 0 };
	struct tcp_sock *l, *c1, *c2;
	struct te_out o;

	(void)state;
	pe.st = te_stack_new(TE_US, 7, &pe.dev);
	l = listener(pe.st, 80, 4);
	for (uint16_t i = 0; i < 2; i++) {
		send_syn(&pe, (uint16_t)(43100 + i), 1000u * i, false, false);
		te_poll(pe.st);
		te_peer_pop(&pe, &o);
		peer_for(&pe, (uint16_t)(43100 + i), 1000u * i, &o, false);
		te_peer_send(&pe, TCP_ACK, NULL, 0, 1000);
		te_poll(pe.st);
	}
	assert_int_equal(l->lst.acceptq_len, 2);
	pe.st->round_requested = false;
	assert_int_equal(tcp_accept(l, &c1), 0);
	assert_true(pe.st->round_requested);
	pe.st->round_requested = false;
	assert_int_equal(tcp_accept(l, &c2), 0);
	assert_false(pe.st->round_requested);
	assert_int_equal(tcp_accept(l, &c2), -EAGAIN);
	assert_false(pe.st->round_requested);
	tcp_abort(c1, 0, false);
	tcp_close(c1);
	tcp_abort(c2, 0, false);
	tcp_close(c2);
	tcp_close(l);
	te_poll(pe.st);
	te_tx_clear(pe.dev);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* RFC 6191: a SYN with a newer timestamp reopens a 4-tuple in TIME_WAIT, answered
 * with an ISN above the old incarnation's; an old SYN only gets an ACK. */
static void test_time_wait_reuse(void **state)
{
	struct te_peer pe = { 0 };
	struct tcp_sock *l, *c;
	struct te_out o;
	uint32_t old_snd_nxt;

	(void)state;
	pe.st = te_stack_new(TE_US, 7, &pe.dev);
	l = listener(pe.st, 80, 4);
	pe.tsval = 100;
	send_syn(&pe, 44000, 1000, true, true);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	peer_for(&pe, 44000, 1000, &o, true);
	te_peer_send(&pe, TCP_ACK, NULL, 0, 1000);
	te_poll(pe.st);
	assert_int_equal(tcp_accept(l, &c), 0);
	/* The server closes first and so holds TIME_WAIT. */
	tcp_close(c);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_true(o.th.flags & TCP_FIN);
	pe.rcv_nxt = o.th.seq + 1;
	old_snd_nxt = pe.rcv_nxt;
	te_peer_send(&pe, TCP_ACK | TCP_FIN, NULL, 0, 1000);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(pe.st->tcp->ntw, 1);
	/* An old SYN (older timestamp, lower sequence): just an ACK. */
	pe.tsval -= 50;
	send_syn(&pe, 44000, 500, true, true);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_ACK);
	assert_int_equal(pe.st->tcp->ntw, 1);
	/* A new SYN with a newer timestamp: the record goes, a SYN-ACK comes back. */
	pe.tsval += 100;
	te_advance(pe.st, 1000);
	send_syn(&pe, 44000, 500, true, true);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(o.th.seq, old_snd_nxt + 65535 + 2);
	assert_int_equal(pe.st->tcp->ntw, 0);
	assert_int_equal(pe.st->tcp->nreq, 1);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTWRecycled], 1);
	tcp_close(l);
	te_tx_clear(pe.dev);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syncookies),
		cmocka_unit_test(test_syn_queue_full),
		cmocka_unit_test(test_accept_queue_overflow),
		cmocka_unit_test(test_accept_leaves_queue_requests_round),
		cmocka_unit_test(test_time_wait_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
