/*
 * test_tcp_storm.c - robustness: a seeded storm of arbitrary segments (random
 * flags, sequence and acknowledgement numbers near and far from the windows,
 * random options including SACK blocks, random payloads, random ICMP errors)
 * thrown at a stack holding a listener, connections in several states and data
 * in flight, with the clock jumping at random. Nothing may crash or trip the
 * sanitizers, every invariant of the scoreboard must hold after each segment,
 * and once everything is closed and the timers have run, no connection, record
 * or packet buffer may be left.
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

static uint64_t rng = 0x1234567;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* The byte counts of the scoreboard agree with the records' flags. */
static void check_invariants(struct tcp_sock *tp)
{
	uint32_t sacked = 0, lost = 0, retrans = 0;

	if (tp->state < TCP_ESTABLISHED || (tp->flags & TF_DONE))
		return;
	for (uint32_t i = 0; i < tp->txr_n; i++) {
		struct tcp_txrec *r = tcp_txr_at(tp, i);
		uint32_t len = r->end - r->seq;

		assert_true(seq_lt(r->seq, r->end));
		if (i == 0)
			assert_int_equal(r->seq, tp->snd.una);
		else
			assert_int_equal(r->seq, tcp_txr_at(tp, i - 1)->end);
		if (r->flags & TXR_SACKED)
			sacked += len;
		if (r->flags & TXR_LOST)
			lost += len;
		if (r->flags & TXR_RETRANS)
			retrans += len;
		assert_false((r->flags & TXR_SACKED) && (r->flags & (TXR_LOST | TXR_RETRANS)));
	}
	if (tp->txr_n)
		assert_int_equal(tcp_txr_at(tp, tp->txr_n - 1)->end, tp->snd.nxt);
	assert_int_equal(sacked, tp->sacked_bytes);
	assert_int_equal(lost, tp->lost_bytes);
	assert_int_equal(retrans, tp->retrans_bytes);
	assert_true(tp->sndq.len <= tp->sndq.cap);
	assert_true(tp->rcvq.len <= tp->rcvq.cap);
	assert_true(seq_ge(tp->rcv.adv, tp->rcv.wup));
}

static void random_segment(struct te_dev *dev, struct tcp_sock *near, uint16_t lport)
{
	static uint8_t payload[1500];
	struct te_seg s = { .saddr = TE_PEER, .daddr = TE_US, .sport = (uint16_t)(40000 + rnd() % 4),
			    .dport = lport, .win = (uint16_t)rnd() };
	uint32_t r = rnd();

	s.flags = (uint8_t)(rnd() & 0x3f);
	if (near && near->state == TCP_SYN_SENT && (r & 1)) {
		/* Complete the handshake now and then, so the deep paths are reached. */
		s.sport = near->rport;
		s.dport = near->lport;
		s.seq = rnd();
		s.ack = near->snd.iss + 1;
		s.flags = TCP_SYN | TCP_ACK;
		s.win = (uint16_t)(1000 + rnd() % 64000);
		s.opts.mss_present = true;
		s.opts.mss = (uint16_t)(100 + rnd() % 1400);
		s.opts.sack_perm = rnd() & 1;
		s.opts.wscale_present = rnd() & 1;
		s.opts.wscale = (uint8_t)(rnd() % 15);
		s.opts.ts_present = rnd() & 1;
		s.opts.tsval = rnd();
		te_inject(dev, &s);
		return;
	}
	if (near && (r & 3)) {
		/* Around the connection's windows, so the state machine goes deep. */
		s.sport = near->rport;
		s.dport = near->lport;
		s.seq = near->rcv.nxt + (rnd() % 4096) - 1024;
		s.ack = near->snd.una + (rnd() % 8192) - 2048;
		if (r & 4)
			s.flags = TCP_ACK | (uint8_t)(rnd() & (TCP_PSH | TCP_FIN));
	} else {
		s.seq = rnd();
		s.ack = rnd();
	}
	s.len = rnd() % 4 ? rnd() % 1400 : 0;
	s.data = payload;
	if (rnd() & 1) {
		s.opts.ts_present = true;
		s.opts.tsval = near && (rnd() & 1) ? near->ts_recent + rnd() % 100 : rnd();
		s.opts.tsecr = rnd();
	}
	if ((s.flags & TCP_SYN) && (rnd() & 1)) {
		s.opts.mss_present = true;
		s.opts.mss = (uint16_t)rnd();
		s.opts.wscale_present = rnd() & 1;
		s.opts.wscale = (uint8_t)(rnd() % 20);
		s.opts.sack_perm = rnd() & 1;
	}
	if (!(s.flags & TCP_SYN) && (rnd() & 1)) {
		s.opts.sack_count = (uint8_t)(1 + rnd() % 3);
		for (unsigned i = 0; i < s.opts.sack_count; i++) {
			uint32_t base = near ? near->snd.una : rnd();

			s.opts.sack[i].start = base + rnd() % 20000 - 2000;
			s.opts.sack[i].end = s.opts.sack[i].start + rnd() % 5000 - 100;
		}
	}
	te_inject(dev, &s);
}

static void storm(uint64_t seed)
{
	struct us_stack *st;
	struct te_dev *dev;
	struct tcp_sock *lst, *c[6] = { 0 };
	static uint8_t data[20000];
	struct iovec iov = { data, sizeof(data) };
	char buf[4096];
	struct iovec rv = { buf, sizeof(buf) };

	rng = seed * 0x9E3779B97F4A7C15ull + 1;
	st = te_stack_new(TE_US, seed, &dev);
	lst = tcp_sock_new(st);
	assert_int_equal(tcp_bind(lst, 0, 80), 0);
	assert_int_equal(tcp_listen(lst, 4), 0);
	for (int round = 0; round < 40; round++) {
		/* Some active opens the storm may complete (or not). */
		for (int i = 0; i < 6; i++) {
			if (!c[i]) {
				c[i] = tcp_sock_new(st);
				assert_int_equal(tcp_connect(c[i], TE_PEER, (uint16_t)(40000 + i % 4)),
						 -EINPROGRESS);
			}
		}
		te_poll(st);
		for (int k = 0; k < 200; k++) {
			struct tcp_sock *near = c[rnd() % 6];

			random_segment(dev, near, (rnd() & 1) ? 80 : near->lport);
			te_poll(st);
			te_tx_clear(dev);
			for (int i = 0; i < 6; i++)
				check_invariants(c[i]);
			if ((rnd() & 7) == 0)
				te_advance(st, rnd() % 3000);
			{
				struct tcp_sock *a;

				while (tcp_accept(lst, &a) == 0)
					tcp_close(a);
			}
			for (int i = 0; i < 6; i++) {
				if (c[i]->state == TCP_ESTABLISHED || c[i]->state == TCP_CLOSE_WAIT)
					(void)tcp_send(c[i], &iov, 1, 0);
				(void)tcp_recv(c[i], &rv, 1, 0);
				if ((rnd() % 50) == 0)
					(void)tcp_shutdown(c[i], SHUT_WR);
			}
		}
		/* Close some; they finish (or not) while the storm goes on. */
		for (int i = 0; i < 6; i++) {
			if (rnd() % 3 == 0 || c[i]->state == TCP_CLOSED) {
				tcp_close(c[i]);
				c[i] = NULL;
			}
		}
	}
	for (int i = 0; i < 6; i++)
		if (c[i])
			tcp_close(c[i]);
	tcp_close(lst);
	/* Every timer runs out: retransmissions give up, FIN-WAIT-2 and TIME_WAIT end. */
	for (int i = 0; i < 400 && (st->tcp->nsocks || st->tcp->ntw || st->tcp->nreq); i++) {
		te_advance(st, 10000);
		te_tx_clear(dev);
	}
	te_tx_clear(dev);
	te_assert_no_conns(st);
	assert_true(st->counters.stat[US_STAT_TcpInSegs] >= 40 * 200);
	/* The storm reached the deep paths: data was acknowledged, SACKed, retransmitted. */
	print_message("seed %llu: estab %llu retrans %llu sack recoveries %llu challenge %llu\n",
		      (unsigned long long)seed,
		      (unsigned long long)st->counters.stat[US_STAT_TcpActiveOpens],
		      (unsigned long long)st->counters.stat[US_STAT_TcpRetransSegs],
		      (unsigned long long)st->counters.stat[US_STAT_TcpExtTCPSACKRecovery],
		      (unsigned long long)st->counters.stat[US_STAT_TcpExtTCPChallengeACK]);
	assert_true(st->counters.stat[US_STAT_TcpRetransSegs] > 0);
	te_stack_free(st);
}

static void test_storm(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 6; seed++)
		storm(seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_storm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
