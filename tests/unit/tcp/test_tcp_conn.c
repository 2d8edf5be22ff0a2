/*
 * test_tcp_conn.c - connection management at the segment level: one stack on a
 * test device, segments injected as a peer would send them (byte fixtures from
 * scapy, or built with wire/tcp.h), replies checked field by field on the
 * virtual clock. RFC 9293 3.10.7, RFC 5961, RFC 7323 PAWS, RFC 6298 backoff.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "base/bytes.h"
#include "ustack/ustack.h"
#include "tcp/tcp_sock.h"
#include "tcp_env.h"

#include "tcp_fixtures.inc"

#define PEER_ISS 0x10000000u

#define peer te_peer

static void peer_send(struct peer *pe, uint8_t flags, const void *data, uint32_t len, uint16_t win)
{
	te_peer_send(pe, flags, data, len, win);
}

static void pop(struct peer *pe, struct te_out *o) { te_peer_pop(pe, o); }

/* An active open from the stack (port @lport) completed against the peer. */
static struct tcp_sock *open_active(struct peer *pe, uint16_t lport, bool ts, uint8_t ws)
{
	struct tcp_sock *tp = tcp_sock_new(pe->st);
	struct te_out o;
	struct te_seg s;

	assert_non_null(tp);
	assert_int_equal(tcp_bind(tp, 0, lport), 0);
	assert_int_equal(tcp_connect(tp, TE_PEER, 80), -EINPROGRESS);
	te_poll(pe->st);
	pop(pe, &o);
	assert_int_equal(o.th.flags, TCP_SYN);
	pe->sport = 80;
	pe->dport = lport;
	pe->snd_nxt = PEER_ISS;
	pe->rcv_nxt = o.th.seq + 1;
	pe->ts = ts;
	s = (struct te_seg){ .saddr = TE_PEER, .daddr = TE_US, .sport = 80, .dport = lport,
			     .seq = PEER_ISS, .ack = o.th.seq + 1, .flags = TCP_SYN | TCP_ACK,
			     .win = 65535 };
	s.opts.mss_present = true;
	s.opts.mss = 1460;
	s.opts.sack_perm = true;
	if (ws) {
		s.opts.wscale_present = true;
		s.opts.wscale = ws;
	}
	if (ts) {
		s.opts.ts_present = true;
		s.opts.tsval = pe->tsval = 100;
		s.opts.tsecr = o.th.opts.tsval;
	}
	te_inject(pe->dev, &s);
	pe->snd_nxt++;
	te_poll(pe->st);
	pop(pe, &o);
	assert_int_equal(o.th.flags, TCP_ACK);
	assert_int_equal(o.th.ack, PEER_ISS + 1);
	assert_int_equal(tp->state, TCP_ESTABLISHED);
	assert_int_equal(tcp_connect(tp, TE_PEER, 80), 0);       /* once */
	assert_int_equal(tcp_connect(tp, TE_PEER, 80), -EISCONN);
	return tp;
}

static void setup_peer(struct peer *pe)
{
	memset(pe, 0, sizeof(*pe));
	pe->st = te_stack_new(TE_US, 42, &pe->dev);
}

/* ---- RFC 9293 3.10.7.1: CLOSED ---- */

static void test_rst_to_closed_port(void **state)
{
	struct peer pe;
	struct te_out o;

	(void)state;
	setup_peer(&pe);
	te_inject_bytes(pe.dev, SYN_81, sizeof(SYN_81));
	te_inject_bytes(pe.dev, ACK_81, sizeof(ACK_81));
	te_inject_bytes(pe.dev, RST_81, sizeof(RST_81));
	te_inject_bytes(pe.dev, FIN_DATA_81, sizeof(FIN_DATA_81));
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 3);
	pop(&pe, &o);
	assert_memory_equal(o.raw + o.ip.hdr_len, RST_FOR_SYN_81, sizeof(RST_FOR_SYN_81));
	pop(&pe, &o);
	assert_memory_equal(o.raw + o.ip.hdr_len, RST_FOR_ACK_81, sizeof(RST_FOR_ACK_81));
	pop(&pe, &o);
	assert_memory_equal(o.raw + o.ip.hdr_len, RST_FOR_FIN_DATA_81, sizeof(RST_FOR_FIN_DATA_81));
	assert_int_equal(o.ip.src, TE_US);
	assert_int_equal(o.ip.dst, TE_PEER);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpOutRsts], 3);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpInSegs], 4);
	assert_int_equal(pe.st->counters.drop[US_DROP_TCP_NO_SOCKET], 4);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* ---- RFC 9293 3.10.7.2: LISTEN, SYN -> SYN-ACK ---- */

static void test_syn_synack_options(void **state)
{
	/* Our SYN-ACK to SYN_80: MSS 1460 (te0's MTU 1500 - 40), SACK-permitted in the
	 * timestamp's NOP pair, TSecr = the peer's TSval 12345, window scale 7 (room for
	 * tcp_rmem.max 6 MB), window 65535 (never scaled in a SYN), as Linux answers. */
	static const uint8_t want_opts[] = {
		0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xff, 0xff, 0xff, 0xff,
		0x00, 0x00, 0x30, 0x39, 0x01, 0x03, 0x03, 0x07,
	};
	struct peer pe;
	struct tcp_sock *lst, *c;
	struct tcp_conn_info ci;
	struct te_out o;
	uint8_t got_opts[20];

	(void)state;
	setup_peer(&pe);
	lst = tcp_sock_new(pe.st);
	assert_int_equal(tcp_bind(lst, 0, 80), 0);
	assert_int_equal(tcp_listen(lst, 16), 0);
	te_inject_bytes(pe.dev, SYN_80, sizeof(SYN_80));
	te_poll(pe.st);
	pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(o.th.sport, 80);
	assert_int_equal(o.th.dport, 40000);
	assert_int_equal(o.th.ack, 1001);
	assert_int_equal(o.th.window, 65535);
	assert_int_equal(o.th.hdr_len, 40);
	memcpy(got_opts, o.raw + o.ip.hdr_len + 20, sizeof(got_opts));
	memset(got_opts + 8, 0xff, 4); /* TSval: our clock plus a keyed offset */
	assert_memory_equal(got_opts, want_opts, sizeof(want_opts));
	assert_int_equal(pe.st->tcp->nreq, 1);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpPassiveOpens], 0);

	/* The final ACK completes it: an accepted connection with what was settled. */
	pe.sport = 40000;
	pe.dport = 80;
	pe.snd_nxt = 1001;
	pe.rcv_nxt = o.th.seq + 1;
	pe.ts = true;
	pe.tsval = 12345;
	pe.tsecr = o.th.opts.tsval;
	peer_send(&pe, TCP_ACK, NULL, 0, 502);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 0);
	assert_int_equal(tcp_accept(lst, &c), 0);
	{
		struct tcp_sock *none;

		assert_int_equal(tcp_accept(lst, &none), -EAGAIN);
	}
	tcp_sock_info(c, &ci);
	assert_int_equal(ci.state, TCP_ESTABLISHED);
	assert_true(ci.sack);
	assert_true(ci.timestamps);
	assert_int_equal(ci.snd_wscale, 7);
	assert_int_equal(ci.rcv_wscale, 7);
	assert_int_equal(ci.snd_wnd, 502u << 7);
	assert_int_equal(ci.mss, 1460 - 12);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpPassiveOpens], 1);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpCurrEstab], 1);
	assert_int_equal(pe.st->tcp->nreq, 0);

	/* Data in, read, then the peer closes first: CLOSE-WAIT, LAST-ACK, CLOSED. */
	peer_send(&pe, TCP_ACK | TCP_PSH, "hello", 5, 502);
	te_poll(pe.st);
	pop(&pe, &o);                           /* quick-ack mode: ACK at once */
	assert_int_equal(o.th.ack, 1006);
	{
		char buf[16];
		struct iovec iov = { buf, sizeof(buf) };

		assert_int_equal(tcp_recv(c, &iov, 1, 0), 5);
		assert_memory_equal(buf, "hello", 5);
		assert_int_equal(tcp_recv(c, &iov, 1, 0), -EAGAIN);
		peer_send(&pe, TCP_ACK | TCP_FIN, NULL, 0, 502);
		te_poll(pe.st);
		pop(&pe, &o);
		assert_int_equal(o.th.ack, 1007);
		assert_int_equal(c->state, TCP_CLOSE_WAIT);
		assert_int_equal(tcp_recv(c, &iov, 1, 0), 0);   /* end of stream */
		assert_true(tcp_poll(c) & POLLRDHUP);
	}
	tcp_close(c);
	te_poll(pe.st);
	pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_FIN | TCP_ACK);
	pe.rcv_nxt = o.th.seq + 1;
	peer_send(&pe, TCP_ACK, NULL, 0, 502);
	te_poll(pe.st);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpCurrEstab], 0);
	tcp_close(lst);
	te_poll(pe.st);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* SYN-ACK retransmission by the request record, then the record expires. */
static void test_synack_retransmit(void **state)
{
	struct peer pe;
	struct tcp_sock *lst;
	struct te_out o;
	uint64_t t0;

	(void)state;
	setup_peer(&pe);
	assert_int_equal(us_stack_set(pe.st, "net.ipv4.tcp_synack_retries", "2"), 0);
	lst = tcp_sock_new(pe.st);
	assert_int_equal(tcp_bind(lst, 0, 80), 0);
	assert_int_equal(tcp_listen(lst, 16), 0);
	te_inject_bytes(pe.dev, SYN_80, sizeof(SYN_80));
	te_poll(pe.st);
	t0 = te_now_ms(pe.st);
	pop(&pe, &o);
	te_advance(pe.st, 999);
	assert_int_equal(te_tx_count(pe.dev), 0);
	te_advance(pe.st, 1);                    /* 1 s */
	pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_SYN | TCP_ACK);
	te_advance(pe.st, 2000);                 /* 3 s: backed off to 2 s */
	pop(&pe, &o);
	assert_int_equal(te_now_ms(pe.st) - t0, 3000);
	te_advance(pe.st, 4000);                 /* retries exhausted: the record goes */
	assert_int_equal(te_tx_count(pe.dev), 0);
	assert_int_equal(pe.st->tcp->nreq, 0);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPSynRetrans], 2);
	tcp_close(lst);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* ---- RFC 9293 3.10.7.3: SYN-SENT ---- */

static void test_connect_refused(void **state)
{
	struct peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	struct te_seg s;

	(void)state;
	setup_peer(&pe);
	tp = tcp_sock_new(pe.st);
	assert_int_equal(tcp_connect(tp, TE_PEER, 80), -EINPROGRESS);
	assert_int_equal(tcp_connect(tp, TE_PEER, 80), -EALREADY);
	te_poll(pe.st);
	pop(&pe, &o);
	/* An RST whose ACK does not acknowledge our SYN is ignored (RFC 5961 3.2)... */
	s = (struct te_seg){ .saddr = TE_PEER, .daddr = TE_US, .sport = 80, .dport = o.th.sport,
			     .seq = 0, .ack = o.th.seq + 5, .flags = TCP_RST | TCP_ACK };
	te_inject(pe.dev, &s);
	te_poll(pe.st);
	assert_int_equal(tp->state, TCP_SYN_SENT);
	/* ... one that does refuses the connection. */
	s.ack = o.th.seq + 1;
	te_inject(pe.dev, &s);
	te_poll(pe.st);
	assert_int_equal(tp->state, TCP_CLOSED);
	assert_true(tcp_poll(tp) & POLLERR);
	assert_int_equal(tcp_sock_error(tp), ECONNREFUSED);
	assert_int_equal(tcp_sock_error(tp), 0);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpAttemptFails], 1);
	tcp_close(tp);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

static void test_syn_retries_timeout(void **state)
{
	struct peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	uint64_t t0;

	(void)state;
	setup_peer(&pe);
	assert_int_equal(us_stack_set(pe.st, "net.ipv4.tcp_syn_retries", "2"), 0);
	tp = tcp_sock_new(pe.st);
	assert_int_equal(tcp_connect(tp, TE_PEER, 80), -EINPROGRESS);
	te_poll(pe.st);
	t0 = te_now_ms(pe.st);
	pop(&pe, &o);
	/* RFC 6298 2.1/5.5: 1 s, then doubled. */
	assert_int_equal(tp->deadline[TCPT_REXMT], t0 + 1000);
	te_advance(pe.st, 1000);
	pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_SYN);
	assert_int_equal(tp->deadline[TCPT_REXMT], t0 + 3000);
	te_advance(pe.st, 2000);
	pop(&pe, &o);
	assert_int_equal(tp->deadline[TCPT_REXMT], t0 + 7000);
	te_advance(pe.st, 3999);
	assert_int_equal(tp->state, TCP_SYN_SENT);
	te_advance(pe.st, 1);
	assert_int_equal(tp->state, TCP_CLOSED);
	assert_int_equal(te_tx_count(pe.dev), 0);        /* no RST for a failed SYN */
	assert_int_equal(tcp_sock_error(tp), ETIMEDOUT);
	tcp_close(tp);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* ---- RFC 5961: challenge ACKs ---- */

static void test_challenge_acks(void **state)
{
	struct peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	uint32_t base;

	(void)state;
	setup_peer(&pe);
	tp = open_active(&pe, 5000, true, 7);

	/* 3.2: an RST inside the window but not at RCV.NXT: challenge ACK, survive. */
	base = pe.snd_nxt;
	pe.snd_nxt = base + 100;
	peer_send(&pe, TCP_RST, NULL, 0, 0);
	pe.snd_nxt = base;
	te_poll(pe.st);
	pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_ACK);
	assert_int_equal(o.th.seq, tp->snd.nxt);
	assert_int_equal(o.th.ack, base);
	assert_int_equal(tp->state, TCP_ESTABLISHED);
	assert_int_equal(pe.st->counters.drop[US_DROP_TCP_RST_INVALID], 1);

	/* 4.2: a SYN in a synchronized state, in window or not: challenge ACK. */
	peer_send(&pe, TCP_SYN, NULL, 0, 1024);
	pe.snd_nxt = base;
	te_poll(pe.st);
	pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_ACK);
	assert_int_equal(o.th.ack, base);
	assert_int_equal(tp->state, TCP_ESTABLISHED);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPSYNChallenge], 1);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPChallengeACK], 2);

	/* 5.2: an ACK for data never sent: ACK and drop. */
	{
		uint32_t save = pe.rcv_nxt;

		pe.rcv_nxt = tp->snd.nxt + 1000;
		peer_send(&pe, TCP_ACK, "x", 1, 1024);
		pe.rcv_nxt = save;
		pe.snd_nxt = base;
		te_poll(pe.st);
		pop(&pe, &o);
		assert_int_equal(o.th.ack, base);       /* the byte was not taken */
		assert_int_equal(pe.st->counters.drop[US_DROP_TCP_ACK_INVALID], 1);
	}

	/* The exact RST resets. */
	peer_send(&pe, TCP_RST, NULL, 0, 0);
	te_poll(pe.st);
	assert_int_equal(tp->state, TCP_CLOSED);
	assert_int_equal(te_tx_count(pe.dev), 0);
	{
		char b[4];
		struct iovec iov = { b, sizeof(b) };

		assert_int_equal(tcp_recv(tp, &iov, 1, 0), -ECONNRESET);
		assert_int_equal(tcp_recv(tp, &iov, 1, 0), 0);
		assert_int_equal(tcp_send(tp, &iov, 1, 0), -EPIPE);
	}
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpEstabResets], 1);
	tcp_close(tp);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* RFC 5961 7: the challenge ACK budget per second. */
static void test_challenge_ack_limit(void **state)
{
	struct peer pe;
	struct tcp_sock *tp;
	uint64_t sent;

	(void)state;
	setup_peer(&pe);
	assert_int_equal(us_stack_set(pe.st, "net.ipv4.tcp_challenge_ack_limit", "10"), 0);
	tp = open_active(&pe, 5001, false, 0);
	for (int i = 0; i < 100; i++) {
		uint32_t base = pe.snd_nxt;

		pe.snd_nxt = base + 10 + (uint32_t)i;
		peer_send(&pe, TCP_RST, NULL, 0, 0);
		pe.snd_nxt = base;
		te_poll(pe.st);
	}
	sent = pe.st->counters.stat[US_STAT_TcpExtTCPChallengeACK];
	/* Randomised within [limit/2, 3/2 limit] per second. */
	assert_true(sent >= 5 && sent <= 16);
	assert_int_equal(sent + pe.st->counters.stat[US_STAT_TcpExtTCPACKSkippedChallenge], 100);
	assert_int_equal(tp->state, TCP_ESTABLISHED);
	te_tx_clear(pe.dev);
	tcp_abort(tp, 0, false);
	tcp_close(tp);
	te_tx_clear(pe.dev);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* ---- RFC 7323 5: PAWS ---- */

static void test_paws(void **state)
{
	struct peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	char buf[8];
	struct iovec iov = { buf, sizeof(buf) };

	(void)state;
	setup_peer(&pe);
	tp = open_active(&pe, 5002, true, 7);
	peer_send(&pe, TCP_ACK, "ab", 2, 1024);
	te_poll(pe.st);
	pop(&pe, &o);
	assert_int_equal(tp->ts_recent, pe.tsval);
	/* An old timestamp: rejected, answered with an ACK, data not taken. */
	pe.tsval -= 10;
	peer_send(&pe, TCP_ACK, "cd", 2, 1024);
	te_poll(pe.st);
	pop(&pe, &o);
	assert_int_equal(o.th.ack, pe.snd_nxt - 2);
	assert_int_equal(pe.st->counters.drop[US_DROP_TCP_PAWS], 1);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtPAWSEstab], 1);
	assert_int_equal(tcp_recv(tp, &iov, 1, 0), 2);
	assert_memory_equal(buf, "ab", 2);
	/* The same bytes with a fresh timestamp are accepted. */
	pe.snd_nxt -= 2;
	pe.tsval += 20;
	peer_send(&pe, TCP_ACK, "cd", 2, 1024);
	te_poll(pe.st);
	assert_int_equal(tcp_recv(tp, &iov, 1, 0), 2);
	assert_memory_equal(buf, "cd", 2);
	te_tx_clear(pe.dev);
	tcp_abort(tp, 0, false);
	tcp_close(tp);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* PAWS and reordered ACKs (Linux tcp_disordered_ack, RFC 7323 5.3 R1 note): a pure
 * duplicate ACK whose timestamp is older than TS.Recent (by less than an RTO) is not
 * dropped - it still counts as a duplicate ACK. The same ACK updating the window, or
 * carrying data, is still rejected. */
static void test_paws_disordered_ack(void **state)
{
	struct peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	char data[3] = "xyz";
	struct iovec iov = { data, sizeof(data) };
	uint32_t recent;

	(void)state;
	setup_peer(&pe);
	tp = open_active(&pe, 5014, true, 7);
	peer_send(&pe, TCP_ACK, "ab", 2, 1024);
	te_poll(pe.st);
	pop(&pe, &o);
	recent = pe.tsval;
	assert_int_equal(tp->ts_recent, recent);
	/* Something in flight, so an ACK of SND.UNA is a duplicate. */
	assert_int_equal(tcp_send(tp, &iov, 1, 0), 3);
	te_poll(pe.st);
	pop(&pe, &o);
	assert_int_equal(o.len, 3);
	te_tx_clear(pe.dev);
	/* A first duplicate ACK, stamped later: TS.Recent and SND.WL1 follow it. */
	pe.tsval = recent + 19;     /* te_peer_send stamps tsval + 1 */
	peer_send(&pe, TCP_ACK, NULL, 0, 1024);
	te_poll(pe.st);
	recent += 20;
	assert_int_equal(tp->ts_recent, recent);
	assert_int_equal(tp->dupacks, 1);
	/* A second one stamped 10 ms before it (sent earlier, overtaken): accepted. */
	pe.tsval = recent - 11;
	peer_send(&pe, TCP_ACK, NULL, 0, 1024);
	te_poll(pe.st);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtPAWSEstab], 0);
	assert_int_equal(pe.st->counters.drop[US_DROP_TCP_PAWS], 0);
	assert_int_equal(tp->dupacks, 2);
	assert_int_equal(te_tx_count(pe.dev), 0);
	assert_int_equal(tp->ts_recent, recent);    /* an old stamp never moves TS.Recent */
	/* The same ACK opening the window would update state: PAWS drops it. */
	pe.tsval = recent - 11;
	peer_send(&pe, TCP_ACK, NULL, 0, 2048);
	te_poll(pe.st);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtPAWSEstab], 1);
	assert_int_equal(pe.st->counters.drop[US_DROP_TCP_PAWS], 1);
	assert_int_equal(tp->dupacks, 2);
	/* Older than TS.Recent by more than the RTO: dropped too. */
	pe.tsval = recent - 1 - tcp_rto_ms(tp) - 1;
	peer_send(&pe, TCP_ACK, NULL, 0, 1024);
	te_poll(pe.st);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtPAWSEstab], 2);
	assert_int_equal(tp->dupacks, 2);
	/* Data with an old stamp is never excepted (test_paws). */
	te_tx_clear(pe.dev);
	tcp_abort(tp, 0, false);
	tcp_close(tp);
	te_tx_clear(pe.dev);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* ---- delayed ACKs (RFC 1122 4.2.3.2, RFC 5681 4.2) ---- */

static void test_delayed_ack(void **state)
{
	struct peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	uint8_t seg[1448];

	(void)state;
	memset(seg, 'x', sizeof(seg));
	setup_peer(&pe);
	tp = open_active(&pe, 5003, true, 7);
	tp->rcv.quick = 0;          /* past the quick-ack start */
	/* One small segment: ACK held for 40 ms. */
	peer_send(&pe, TCP_ACK, seg, 100, 1024);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 0);
	te_advance(pe.st, 39);
	assert_int_equal(te_tx_count(pe.dev), 0);
	te_advance(pe.st, 1);
	pop(&pe, &o);
	assert_int_equal(o.th.ack, pe.snd_nxt);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtDelayedACKs], 1);
	/* Two full-sized segments: the second is ACKed at once. */
	peer_send(&pe, TCP_ACK, seg, 1448, 1024);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 0);
	peer_send(&pe, TCP_ACK, seg, 1448, 1024);
	te_poll(pe.st);
	pop(&pe, &o);
	assert_int_equal(o.th.ack, pe.snd_nxt);
	/* Out-of-order data: an immediate duplicate ACK with a SACK block. */
	pe.snd_nxt += 1000;
	peer_send(&pe, TCP_ACK, seg, 500, 1024);
	te_poll(pe.st);
	pop(&pe, &o);
	assert_int_equal(o.th.ack, pe.snd_nxt - 1500);
	assert_int_equal(o.th.opts.sack_count, 1);
	assert_int_equal(o.th.opts.sack[0].start, pe.snd_nxt - 500);
	assert_int_equal(o.th.opts.sack[0].end, pe.snd_nxt);
	te_tx_clear(pe.dev);
	tcp_abort(tp, 0, false);
	tcp_close(tp);
	te_tx_clear(pe.dev);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* A burst of full-sized segments received in one poll round (one receive batch, as
 * up to net.core.netdev_budget frames are): RFC 5681 4.2 asks for an ACK at least for
 * every second full-sized segment, so 20 segments get 10 ACKs, each acknowledging
 * two more segments (Linux sends them from the input path, __tcp_ack_snd_check).
 * Before the fix the whole batch got one ACK at the end of the round. Then a hole
 * and the segment filling it, in the same batch: both ACKed at once. */
static void test_ack_rate_in_one_batch(void **state)
{
	enum { N = 20, MSS = 1448 };
	struct peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	uint8_t seg[MSS];
	uint32_t base;

	(void)state;
	memset(seg, 'b', sizeof(seg));
	setup_peer(&pe);
	tp = open_active(&pe, 5013, true, 7);
	tp->rcv.quick = 0;          /* past the quick-ack start */
	assert_true(tcp_rcv_wnd(tp) >= N * MSS);
	base = pe.snd_nxt;
	for (int i = 0; i < N; i++)
		peer_send(&pe, TCP_ACK, seg, MSS, 1024);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), N / 2);
	for (int i = 1; i <= N / 2; i++) {
		pop(&pe, &o);
		assert_int_equal(o.th.flags, TCP_ACK);
		assert_int_equal(o.len, 0);
		assert_int_equal(o.th.ack, base + (uint32_t)i * 2 * MSS);
	}
	/* Drain what we received so the window stays open. */
	{
		static uint8_t sink[N * MSS];
		struct iovec iov = { sink, sizeof(sink) };

		assert_int_equal(tcp_recv(tp, &iov, 1, 0), N * MSS);
	}
	te_tx_clear(pe.dev);
	/* Segment 2 first (out of order: duplicate ACK with SACK), then segment 1 (fills
	 * the hole: ACK of both), in one batch. */
	tp->rcv.quick = 0;
	base = pe.snd_nxt;
	pe.snd_nxt = base + MSS;
	peer_send(&pe, TCP_ACK, seg, MSS, 1024);
	pe.snd_nxt = base;
	peer_send(&pe, TCP_ACK, seg, MSS, 1024);
	pe.snd_nxt = base + 2 * MSS;
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 2);
	pop(&pe, &o);
	assert_int_equal(o.th.ack, base);
	assert_int_equal(o.th.opts.sack_count, 1);
	pop(&pe, &o);
	assert_int_equal(o.th.ack, base + 2 * MSS);
	assert_int_equal(o.th.opts.sack_count, 0);
	te_tx_clear(pe.dev);
	tcp_abort(tp, 0, false);
	tcp_close(tp);
	te_tx_clear(pe.dev);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* A reader that takes less than what is queued keeps the socket readable: the loop
 * must run another round at once (us_stack_request_round) instead of sleeping until
 * a packet or timer comes - at the end of an upload none would (found by
 * integration/test_tcp_bulk: the HTTP service reads 512 KiB per round and curl
 * waited 46 s for the answer). */
static void test_partial_read_requests_round(void **state)
{
	struct peer pe;
	struct tcp_sock *tp;
	uint8_t seg[1000], buf[600];
	struct iovec iov = { buf, sizeof(buf) };

	(void)state;
	memset(seg, 'r', sizeof(seg));
	setup_peer(&pe);
	tp = open_active(&pe, 5015, true, 7);
	peer_send(&pe, TCP_ACK, seg, sizeof(seg), 1024);
	te_poll(pe.st);
	te_tx_clear(pe.dev);
	pe.st->round_requested = false;
	assert_int_equal(tcp_recv(tp, &iov, 1, 0), 600);
	assert_true(pe.st->round_requested);
	assert_int_equal(us_stack_next_deadline_ns(pe.st), us_stack_now_ns(pe.st));
	pe.st->round_requested = false;
	assert_int_equal(tcp_recv(tp, &iov, 1, 0), 400);
	assert_false(pe.st->round_requested);   /* all read: nothing more to do */
	assert_int_equal(tcp_recv(tp, &iov, 1, 0), -EAGAIN);
	assert_false(pe.st->round_requested);
	te_tx_clear(pe.dev);
	tcp_abort(tp, 0, false);
	tcp_close(tp);
	te_tx_clear(pe.dev);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* ---- persist timer (RFC 9293 3.8.6.1) ---- */

static void test_zero_window_probe(void **state)
{
	struct peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	char data[100];
	struct iovec iov = { data, sizeof(data) };
	uint64_t t0;
	uint32_t rto;

	(void)state;
	memset(data, 'z', sizeof(data));
	setup_peer(&pe);
	tp = open_active(&pe, 5004, false, 0);
	/* The peer closes its window. */
	peer_send(&pe, TCP_ACK, NULL, 0, 0);
	te_poll(pe.st);
	assert_int_equal(tp->snd.wnd, 0);
	assert_int_equal(tcp_send(tp, &iov, 1, 0), 100);
	te_poll(pe.st);
	t0 = te_now_ms(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 0);
	rto = tcp_rto_ms(tp);
	assert_int_equal(tp->deadline[TCPT_PERSIST], t0 + rto);
	te_advance(pe.st, rto);
	pop(&pe, &o);
	/* Linux's probe: SND.UNA - 1, no data, so the receiver must answer. */
	assert_int_equal(o.th.seq, tp->snd.una - 1);
	assert_int_equal(o.len, 0);
	assert_int_equal(tp->deadline[TCPT_PERSIST], t0 + rto + 2 * rto);
	/* The answer still says zero: probing goes on, backed off. */
	peer_send(&pe, TCP_ACK, NULL, 0, 0);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 0);
	te_advance(pe.st, 2 * rto);
	pop(&pe, &o);
	assert_int_equal(o.th.seq, tp->snd.una - 1);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPWinProbe], 2);
	/* The window opens: the data goes and the persist timer stops. */
	peer_send(&pe, TCP_ACK, NULL, 0, 1000);
	te_poll(pe.st);
	pop(&pe, &o);
	assert_int_equal(o.len, 100);
	assert_int_equal(tp->deadline[TCPT_PERSIST], 0);
	te_tx_clear(pe.dev);
	tcp_abort(tp, 0, false);
	tcp_close(tp);
	te_tx_clear(pe.dev);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* ---- RFC 6298: RTO deadlines and backoff, then ETIMEDOUT ---- */

static void test_rto_backoff(void **state)
{
	struct peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	char data[10] = "0123456789";
	struct iovec iov = { data, sizeof(data) };
	uint64_t t;
	uint32_t rto;

	(void)state;
	setup_peer(&pe);
	assert_int_equal(us_stack_set(pe.st, "net.ipv4.tcp_retries2", "3"), 0);
	assert_int_equal(us_stack_set(pe.st, "net.ipv4.tcp_early_retrans", "0"), 0);
	tp = open_active(&pe, 5005, false, 0);
	rto = tcp_rto_ms(tp);
	/* A handshake RTT of ~0 gives SRTT + the 200 ms floor rounded up to the ms: 201,
	 * what `ss -ti` shows for a LAN connection on Linux. */
	assert_int_equal(rto, 201);
	assert_int_equal(tcp_send(tp, &iov, 1, 0), 10);
	te_poll(pe.st);
	t = te_now_ms(pe.st);
	pop(&pe, &o);
	assert_int_equal(o.len, 10);
	assert_int_equal(tp->deadline[TCPT_REXMT], t + 201);
	for (int i = 1; i <= 3; i++) {
		te_advance(pe.st, rto << (i - 1));
		t += rto << (i - 1);
		pop(&pe, &o);
		assert_int_equal(o.len, 10);
		assert_int_equal(o.th.seq, tp->snd.una);
		assert_int_equal(tp->deadline[TCPT_REXMT], t + (rto << i));
		assert_int_equal(tp->cc.cwnd, tp->snd.mss);
		assert_int_equal(tp->cc.ca_state, TCP_CA_LOSS);
	}
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPTimeouts], 3);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpRetransSegs], 3);
	/* The fourth expiry: retries exhausted, RST, ETIMEDOUT. */
	te_advance(pe.st, rto << 3);
	pop(&pe, &o);
	assert_true(o.th.flags & TCP_RST);
	assert_int_equal(tp->state, TCP_CLOSED);
	assert_int_equal(tcp_sock_error(tp), ETIMEDOUT);
	tcp_close(tp);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* ---- simultaneous open (RFC 9293 3.5, figure 7) ---- */

static void test_simultaneous_open(void **state)
{
	struct peer pe;
	struct tcp_sock *tp;
	struct te_out o, synack;
	struct te_seg s;

	(void)state;
	setup_peer(&pe);
	tp = tcp_sock_new(pe.st);
	assert_int_equal(tcp_bind(tp, 0, 6000), 0);
	assert_int_equal(tcp_connect(tp, TE_PEER, 6001), -EINPROGRESS);
	te_poll(pe.st);
	pop(&pe, &o);
	/* The peer's SYN crosses ours. */
	s = (struct te_seg){ .saddr = TE_PEER, .daddr = TE_US, .sport = 6001, .dport = 6000,
			     .seq = PEER_ISS, .flags = TCP_SYN, .win = 8192 };
	s.opts.mss_present = true;
	s.opts.mss = 1000;
	te_inject(pe.dev, &s);
	te_poll(pe.st);
	assert_int_equal(tp->state, TCP_SYN_RECEIVED);
	pop(&pe, &synack);
	assert_int_equal(synack.th.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(synack.th.seq, o.th.seq);
	assert_int_equal(synack.th.ack, PEER_ISS + 1);
	/* The peer's SYN-ACK: ESTABLISHED. */
	s.flags = TCP_SYN | TCP_ACK;
	s.ack = o.th.seq + 1;
	te_inject(pe.dev, &s);
	te_poll(pe.st);
	assert_int_equal(tp->state, TCP_ESTABLISHED);
	assert_int_equal(tp->snd.mss, 1000);
	te_tx_clear(pe.dev);
	tcp_abort(tp, 0, false);
	tcp_close(tp);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* ---- TIME_WAIT records ---- */

static void test_time_wait(void **state)
{
	struct peer pe;
	struct tcp_sock *tp;
	struct te_out o;

	(void)state;
	setup_peer(&pe);
	tp = open_active(&pe, 5006, true, 7);
	assert_int_equal(tcp_shutdown(tp, SHUT_WR), 0);
	te_poll(pe.st);
	pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_FIN | TCP_ACK);
	assert_int_equal(tp->state, TCP_FIN_WAIT_1);
	pe.rcv_nxt = o.th.seq + 1;
	peer_send(&pe, TCP_ACK, NULL, 0, 1024);
	te_poll(pe.st);
	assert_int_equal(tp->state, TCP_FIN_WAIT_2);
	peer_send(&pe, TCP_ACK | TCP_FIN, NULL, 0, 1024);
	te_poll(pe.st);
	pop(&pe, &o);
	assert_int_equal(o.th.ack, pe.snd_nxt);
	assert_int_equal(tp->state, TCP_CLOSED);   /* the socket is done ... */
	assert_int_equal(pe.st->tcp->ntw, 1);      /* ... the 4-tuple is in TIME_WAIT */
	tcp_close(tp);
	assert_int_equal(pe.st->tcp->nsocks, 0);
	/* A retransmitted FIN is acknowledged and restarts 2MSL. */
	te_advance(pe.st, 30000);
	pe.snd_nxt--;
	peer_send(&pe, TCP_ACK | TCP_FIN, NULL, 0, 1024);
	te_poll(pe.st);
	pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_ACK);
	assert_int_equal(o.th.ack, pe.snd_nxt);
	assert_true(o.th.opts.ts_present);
	te_advance(pe.st, 59999);
	assert_int_equal(pe.st->tcp->ntw, 1);
	te_advance(pe.st, 1);
	assert_int_equal(pe.st->tcp->ntw, 0);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTW], 1);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* An orphan in FIN-WAIT-2 goes after net.ipv4.tcp_fin_timeout. */
static void test_fin_wait_2_timeout(void **state)
{
	struct peer pe;
	struct tcp_sock *tp;
	struct te_out o;

	(void)state;
	setup_peer(&pe);
	assert_int_equal(us_stack_set(pe.st, "net.ipv4.tcp_fin_timeout", "5"), 0);
	tp = open_active(&pe, 5007, false, 0);
	tcp_close(tp);
	te_poll(pe.st);
	pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_FIN | TCP_ACK);
	pe.rcv_nxt = o.th.seq + 1;
	peer_send(&pe, TCP_ACK, NULL, 0, 1024);
	te_poll(pe.st);
	assert_int_equal(pe.st->tcp->nsocks, 1);
	te_advance(pe.st, 4999);
	assert_int_equal(pe.st->tcp->nsocks, 1);
	te_advance(pe.st, 1);
	assert_int_equal(te_tx_count(pe.dev), 0);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* Closing with unread data resets (RFC 1122 4.2.2.13, RFC 2525 2.17). */
static void test_close_unread_rst(void **state)
{
	struct peer pe;
	struct tcp_sock *tp;
	struct te_out o;

	(void)state;
	setup_peer(&pe);
	tp = open_active(&pe, 5008, false, 0);
	peer_send(&pe, TCP_ACK | TCP_PSH, "unread", 6, 1024);
	te_poll(pe.st);
	pop(&pe, &o);
	tcp_close(tp);
	te_poll(pe.st);
	pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_RST | TCP_ACK);
	assert_int_equal(o.th.ack, pe.snd_nxt);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPAbortOnClose], 1);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 0);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

/* Ephemeral ports (RFC 6056 Algorithm 4): in range, sequential for one destination. */
static void test_ephemeral_ports(void **state)
{
	struct peer pe;
	struct tcp_sock *a, *b;

	(void)state;
	setup_peer(&pe);
	a = tcp_sock_new(pe.st);
	b = tcp_sock_new(pe.st);
	assert_int_equal(tcp_connect(a, TE_PEER, 80), -EINPROGRESS);
	assert_int_equal(tcp_connect(b, TE_PEER, 80), -EINPROGRESS);
	assert_true(a->lport >= 32768 && a->lport <= 60999);
	assert_int_equal(b->lport, a->lport == 60999 ? 32768 : a->lport + 1);
	assert_int_not_equal(a->snd.iss, b->snd.iss);
	/* bind to a port in use fails; SO_REUSEADDR does not help against a listener. */
	{
		struct tcp_sock *l = tcp_sock_new(pe.st), *m = tcp_sock_new(pe.st);
		int one = 1;

		assert_int_equal(tcp_bind(l, 0, 7000), 0);
		assert_int_equal(tcp_listen(l, 1), 0);
		assert_int_equal(tcp_setsockopt(m, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
		assert_int_equal(tcp_bind(m, 0, 7000), -EADDRINUSE);
		tcp_close(l);
		tcp_close(m);
	}
	tcp_close(a);
	tcp_close(b);
	te_poll(pe.st);
	te_tx_clear(pe.dev);
	te_assert_no_conns(pe.st);
	te_stack_free(pe.st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rst_to_closed_port),
		cmocka_unit_test(test_syn_synack_options),
		cmocka_unit_test(test_synack_retransmit),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_syn_retries_timeout),
		cmocka_unit_test(test_challenge_acks),
		cmocka_unit_test(test_challenge_ack_limit),
		cmocka_unit_test(test_paws),
		cmocka_unit_test(test_paws_disordered_ack),
		cmocka_unit_test(test_delayed_ack),
		cmocka_unit_test(test_ack_rate_in_one_batch),
		cmocka_unit_test(test_partial_read_requests_round),
		cmocka_unit_test(test_zero_window_probe),
		cmocka_unit_test(test_rto_backoff),
		cmocka_unit_test(test_simultaneous_open),
		cmocka_unit_test(test_time_wait),
		cmocka_unit_test(test_fin_wait_2_timeout),
		cmocka_unit_test(test_close_unread_rst),
		cmocka_unit_test(test_ephemeral_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
