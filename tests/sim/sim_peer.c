/*
 * sim_peer.c - see sim_peer.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "sim_peer.h"

#include "ustack/ustack.h"

struct tcp_sock *sp_open(struct sp *s, uint64_t seed, uint16_t lport, uint32_t rtt_ms, bool sack,
			 const char *cc)
{
	struct tcp_sock *tp;
	struct te_out o;
	struct te_seg g;

	memset(s, 0, sizeof(*s));
	s->st = te_stack_new(TE_US, seed, &s->dev);
	s->pe.st = s->st;
	s->pe.dev = s->dev;
	if (cc)
		assert_int_equal(tcp_set_default_cc(s->st, cc), 0);
	tp = tcp_sock_new(s->st);
	assert_non_null(tp);
	assert_int_equal(tcp_bind(tp, 0, lport), 0);
	assert_int_equal(tcp_connect(tp, TE_PEER, 80), -EINPROGRESS);
	te_poll(s->st);
	te_peer_pop(&s->pe, &o);
	te_advance(s->st, rtt_ms);
	s->pe.sport = 80;
	s->pe.dport = lport;
	s->pe.snd_nxt = SP_PEER_ISS + 1;
	s->pe.rcv_nxt = o.th.seq + 1;
	g = (struct te_seg){ .saddr = TE_PEER, .daddr = TE_US, .sport = 80, .dport = lport,
			     .seq = SP_PEER_ISS, .ack = o.th.seq + 1, .flags = TCP_SYN | TCP_ACK,
			     .win = 65535 };
	g.opts.mss_present = true;
	g.opts.mss = SP_MSS;
	g.opts.sack_perm = sack;
	te_inject(s->dev, &g);
	te_poll(s->st);
	te_peer_pop(&s->pe, &o);
	assert_int_equal(tp->state, TCP_ESTABLISHED);
	assert_int_equal(tp->snd.mss, SP_MSS);
	assert_int_equal(!!(tp->flags & TF_SACK_OK), sack);
	return tp;
}

void sp_send_segs(struct sp *s, struct tcp_sock *tp, unsigned n)
{
	static uint8_t buf[10 * SP_MSS];
	struct iovec iov = { buf, n * SP_MSS };

	assert_true(n <= 10);
	assert_int_equal(tcp_send(tp, &iov, 1, 0), (ssize_t)(n * SP_MSS));
	te_poll(s->st);
	assert_int_equal(te_tx_count(s->dev), n);
	te_tx_clear(s->dev);
}

void sp_ack(struct sp *s, uint32_t ack, const uint32_t (*blocks)[2], unsigned nsack)
{
	struct te_seg g = { .saddr = TE_PEER, .daddr = TE_US, .sport = s->pe.sport,
			    .dport = s->pe.dport, .seq = s->pe.snd_nxt, .ack = ack,
			    .flags = TCP_ACK, .win = 65535 };

	assert_true(nsack <= 4);
	g.opts.sack_count = (uint8_t)nsack;
	for (unsigned i = 0; i < nsack; i++) {
		g.opts.sack[i].start = blocks[i][0];
		g.opts.sack[i].end = blocks[i][1];
	}
	te_inject(s->dev, &g);
	te_poll(s->st);
}

void sp_close(struct sp *s, struct tcp_sock *tp)
{
	te_tx_clear(s->dev);
	tcp_abort(tp, 0, false);
	tcp_close(tp);
	te_tx_clear(s->dev);
	te_assert_no_conns(s->st);
	te_stack_free(s->st);
}
