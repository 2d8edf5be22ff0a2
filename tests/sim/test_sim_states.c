/*
 * test_sim_states.c - RFC 9293 state transitions and RFC 5961 in every synchronized
 * state, at the segment level: one stack on the test device (tests/unit/tcp/tcp_env.h),
 * a scripted peer, the virtual clock. Each synchronized state is reached for real
 * (handshake, shutdown, FINs) and then offered, in turn:
 *   - an RST outside the receive window: ignored, no reply (RFC 5961 3.2 / RFC 9293
 *     3.10.7.4 first check);
 *   - an RST inside the window but not at RCV.NXT: a challenge ACK <SEQ=SND.NXT>
 *     <ACK=RCV.NXT>, state unchanged (RFC 5961 3.2);
 *   - a SYN: a challenge ACK, state unchanged (RFC 5961 4.2);
 *   - an RST exactly at RCV.NXT: CLOSED, no reply, the error Linux's tcp_reset() gives
 *     (ECONNRESET; EPIPE in CLOSE-WAIT).
 * Also: RFC 5961 5.2 (ACK older than SND.UNA - MAX.SND.WND, and ACK of unsent data),
 * SYN-SENT's unacceptable ACK, LISTEN's answer to an ACK, RST to a passive SYN-RECEIVED
 * request, FIN-WAIT-1 straight to TIME-WAIT, and RST handling in TIME-WAIT (with and
 * without net.ipv4.tcp_rfc1337).
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

#define PEER_ISS 0x20000000u
#define PEER_PORT 80
#define WIN 8192                /* the peer's window (no scaling in these tests) */

static struct us_stack *st;
static struct te_dev *dev;

static uint64_t nstat(enum us_stat s) { return st->counters.stat[s]; }
static uint64_t drops(enum us_drop_reason r) { return st->counters.drop[r]; }

static void new_stack(struct te_peer *pe)
{
	memset(pe, 0, sizeof(*pe));
	st = te_stack_new(TE_US, 7, &dev);
	pe->st = st;
	pe->dev = dev;
}

static void free_stack(void)
{
	te_tx_clear(dev);
	te_assert_no_conns(st);
	te_stack_free(st);
}

/* Active open from local port @lport to the peer (no options but MSS): ESTABLISHED. */
static struct tcp_sock *estab(struct te_peer *pe, uint16_t lport)
{
	struct tcp_sock *tp = tcp_sock_new(st);
	struct te_out o;

	assert_non_null(tp);
	assert_int_equal(tcp_bind(tp, 0, lport), 0);
	assert_int_equal(tcp_connect(tp, TE_PEER, PEER_PORT), -EINPROGRESS);
	te_poll(st);
	te_peer_pop(pe, &o);
	assert_int_equal(o.th.flags, TCP_SYN);
	pe->sport = PEER_PORT;
	pe->dport = lport;
	pe->snd_nxt = PEER_ISS;
	pe->rcv_nxt = o.th.seq + 1;
	te_peer_send(pe, TCP_SYN | TCP_ACK, NULL, 0, WIN);
	te_poll(st);
	te_peer_pop(pe, &o);
	assert_int_equal(o.th.flags, TCP_ACK);
	assert_int_equal(tp->state, TCP_ESTABLISHED);
	return tp;
}

/* Our FIN goes out (shutdown, the socket stays ours): FIN-WAIT-1 or LAST-ACK. */
static uint32_t send_fin(struct te_peer *pe, struct tcp_sock *tp)
{
	struct te_out o;

	assert_int_equal(tcp_shutdown(tp, SHUT_WR), 0);
	te_poll(st);
	te_peer_pop(pe, &o);
	assert_int_equal(o.th.flags, TCP_FIN | TCP_ACK);
	return o.th.seq;
}

/* The peer's FIN arrives; we acknowledge it at once. */
static void peer_fin(struct te_peer *pe)
{
	struct te_out o;

	te_peer_send(pe, TCP_FIN | TCP_ACK, NULL, 0, WIN);
	te_poll(st);
	te_peer_pop(pe, &o);
	assert_int_equal(o.th.flags & TCP_ACK, TCP_ACK);
	assert_int_equal(o.th.ack, pe->snd_nxt);
}

enum target { T_ESTABLISHED, T_FIN_WAIT_1, T_FIN_WAIT_2, T_CLOSE_WAIT, T_CLOSING, T_LAST_ACK,
	      T_SYN_RECEIVED };

/* A connection in @t (RFC 9293 figure 5 transitions), checked on the way. */
static struct tcp_sock *reach(struct te_peer *pe, enum target t, uint16_t lport)
{
	struct tcp_sock *tp;
	uint32_t fin;

	if (t == T_SYN_RECEIVED) {
		/* Simultaneous open (RFC 9293 3.5 figure 7): our SYN, then the peer's crosses. */
		struct te_out o;

		tp = tcp_sock_new(st);
		assert_int_equal(tcp_bind(tp, 0, lport), 0);
		assert_int_equal(tcp_connect(tp, TE_PEER, PEER_PORT), -EINPROGRESS);
		te_poll(st);
		te_peer_pop(pe, &o);
		pe->sport = PEER_PORT;
		pe->dport = lport;
		pe->snd_nxt = PEER_ISS;
		pe->rcv_nxt = 0;
		{
			struct te_seg s = { .saddr = TE_PEER, .daddr = TE_US, .sport = PEER_PORT,
					    .dport = lport, .seq = PEER_ISS, .flags = TCP_SYN,
					    .win = WIN };

			te_inject(dev, &s);
		}
		pe->snd_nxt = PEER_ISS + 1;
		pe->rcv_nxt = o.th.seq + 1;
		te_poll(st);
		te_peer_pop(pe, &o);
		assert_int_equal(o.th.flags, TCP_SYN | TCP_ACK);
		assert_int_equal(tp->state, TCP_SYN_RECEIVED);
		return tp;
	}
	tp = estab(pe, lport);
	switch (t) {
	case T_ESTABLISHED:
		break;
	case T_FIN_WAIT_1:
		send_fin(pe, tp);
		assert_int_equal(tp->state, TCP_FIN_WAIT_1);
		break;
	case T_FIN_WAIT_2:
		fin = send_fin(pe, tp);
		pe->rcv_nxt = fin + 1;
		te_peer_send(pe, TCP_ACK, NULL, 0, WIN);
		te_poll(st);
		assert_int_equal(te_tx_count(dev), 0);
		assert_int_equal(tp->state, TCP_FIN_WAIT_2);
		break;
	case T_CLOSE_WAIT:
		peer_fin(pe);
		assert_int_equal(tp->state, TCP_CLOSE_WAIT);
		break;
	case T_CLOSING:
		/* Simultaneous close: the peer's FIN does not acknowledge ours. */
		send_fin(pe, tp);
		peer_fin(pe);
		assert_int_equal(tp->state, TCP_CLOSING);
		break;
	case T_LAST_ACK:
		peer_fin(pe);
		send_fin(pe, tp);
		assert_int_equal(tp->state, TCP_LAST_ACK);
		break;
	default:
		fail();
	}
	return tp;
}

/* Sends a bare segment with @flags at sequence @seq (the peer's other fields). */
static void send_at(struct te_peer *pe, uint8_t flags, uint32_t seq)
{
	uint32_t save = pe->snd_nxt;

	pe->snd_nxt = seq;
	te_peer_send(pe, flags, NULL, 0, WIN);
	pe->snd_nxt = save;
}

static const char *const names[] = { "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT",
				     "CLOSING", "LAST-ACK", "SYN-RECEIVED" };

static const enum tcp_state states[] = { TCP_ESTABLISHED, TCP_FIN_WAIT_1, TCP_FIN_WAIT_2,
					 TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK,
					 TCP_SYN_RECEIVED };

/* Linux tcp_reset(): the error an RST at RCV.NXT leaves in each state. */
static int reset_errno(enum target t)
{
	return t == T_CLOSE_WAIT ? EPIPE : ECONNRESET;
}

/* A challenge ACK is <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (RFC 5961 3.2). In
 * SYN-RECEIVED our SYN is unacknowledged and the engine answers with its SYN-ACK
 * again (<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>), which carries the same acknowledgement;
 * Linux sends a bare ACK at ISS+1 there. Both let the true peer resynchronise. */
static void check_challenge(enum target t, const struct tcp_sock *tp, const struct te_out *o,
			    uint32_t snd_nxt, uint32_t rcv_nxt)
{
	if (t == T_SYN_RECEIVED) {
		assert_int_equal(o->th.flags, TCP_SYN | TCP_ACK);
		assert_int_equal(o->th.seq, tp->snd.iss);
	} else {
		assert_int_equal(o->th.flags, TCP_ACK);
		assert_int_equal(o->th.seq, snd_nxt);
	}
	assert_int_equal(o->th.ack, rcv_nxt);
	assert_int_equal(o->len, 0);
}

static void rfc5961_in_state(enum target t, bool check_errno)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	uint32_t rcv_nxt, snd_nxt;
	uint64_t chal, syn_chal, rst_inv;

	print_message("  state %s\n", names[t]);
	new_stack(&pe);
	tp = reach(&pe, t, (uint16_t)(7000 + t));
	rcv_nxt = tp->rcv.nxt;
	snd_nxt = tp->snd.nxt;
	assert_int_equal(rcv_nxt, pe.snd_nxt);
	chal = nstat(US_STAT_TcpExtTCPChallengeACK);
	syn_chal = nstat(US_STAT_TcpExtTCPSYNChallenge);
	rst_inv = drops(US_DROP_TCP_RST_INVALID);

	/* 1. Out of the window (far beyond RCV.NXT + RCV.WND, and just before RCV.NXT):
	 *    silently dropped (RFC 9293 3.10.7.4: "If the RST bit is set ... drop"). */
	send_at(&pe, TCP_RST, rcv_nxt + tcp_rcv_wnd(tp) + 100000);
	send_at(&pe, TCP_RST, rcv_nxt - 1);
	te_poll(st);
	assert_int_equal(te_tx_count(dev), 0);
	assert_int_equal(tp->state, states[t]);
	assert_int_equal(nstat(US_STAT_TcpExtTCPChallengeACK), chal);

	/* 2. Inside the window, not exact: one challenge ACK (RFC 5961 3.2). */
	/* Clear of any per-second or per-socket rate limit (Linux limits challenge ACKs
	 * per socket too); what the timers sent meanwhile (our FIN or SYN-ACK again) is
	 * not looked at. */
	te_advance(st, 1000);
	te_tx_clear(dev);
	send_at(&pe, TCP_RST, rcv_nxt + 1);
	te_poll(st);
	te_peer_pop(&pe, &o);
	check_challenge(t, tp, &o, snd_nxt, rcv_nxt);
	assert_int_equal(te_tx_count(dev), 0);
	assert_int_equal(tp->state, states[t]);
	assert_int_equal(nstat(US_STAT_TcpExtTCPChallengeACK), chal + 1);
	assert_int_equal(drops(US_DROP_TCP_RST_INVALID), rst_inv + 1);

	/* 3. A SYN (at RCV.NXT: in the window): challenge ACK (RFC 5961 4.2). */
	te_advance(st, 1000);
	te_tx_clear(dev);
	send_at(&pe, TCP_SYN, rcv_nxt);
	te_poll(st);
	te_peer_pop(&pe, &o);
	check_challenge(t, tp, &o, snd_nxt, rcv_nxt);
	assert_int_equal(tp->state, states[t]);
	assert_int_equal(nstat(US_STAT_TcpExtTCPSYNChallenge), syn_chal + 1);
	assert_int_equal(nstat(US_STAT_TcpExtTCPChallengeACK), chal + 2);

	/* 4. Exactly at RCV.NXT: reset, no reply (RFC 9293 3.10.7.4 second check). */
	te_advance(st, 1000);
	te_tx_clear(dev);
	send_at(&pe, TCP_RST, rcv_nxt);
	te_poll(st);
	assert_int_equal(te_tx_count(dev), 0);
	assert_int_equal(tp->state, TCP_CLOSED);
	if (check_errno) {
		assert_int_equal(tcp_sock_error(tp), reset_errno(t));
		assert_int_equal(tcp_sock_error(tp), 0);
	}
	assert_int_equal(nstat(US_STAT_TcpCurrEstab), 0);
	tcp_close(tp);
	te_poll(st);
	free_stack();
}

static void test_rst_syn_established(void **s) { (void)s; rfc5961_in_state(T_ESTABLISHED, true); }
static void test_rst_syn_fin_wait_1(void **s) { (void)s; rfc5961_in_state(T_FIN_WAIT_1, true); }
static void test_rst_syn_fin_wait_2(void **s) { (void)s; rfc5961_in_state(T_FIN_WAIT_2, true); }
static void test_rst_syn_close_wait(void **s) { (void)s; rfc5961_in_state(T_CLOSE_WAIT, true); }
static void test_rst_syn_closing(void **s) { (void)s; rfc5961_in_state(T_CLOSING, false); }
static void test_rst_syn_last_ack(void **s) { (void)s; rfc5961_in_state(T_LAST_ACK, false); }
static void test_rst_syn_syn_received(void **s) { (void)s; rfc5961_in_state(T_SYN_RECEIVED, false); }

/*
 * The error a reset leaves in CLOSING, LAST-ACK and SYN-RECEIVED. Linux's tcp_reset()
 * sets ECONNREFUSED only in SYN-SENT, EPIPE in CLOSE-WAIT and ECONNRESET in every
 * other state, SYN-RECEIVED, CLOSING and LAST-ACK included (the application that
 * shut down its side still learns of the reset through SO_ERROR / the next call).
 * SKIPPED: engine bug "reset errno": src/tcp/tcp_input.c reset_errno() returns 0 for
 * CLOSING and LAST-ACK and ECONNREFUSED for SYN-RECEIVED (RFC 9293's wording, not
 * Linux's). Remove the skip() once fixed.
 */
static void reset_errno_case(enum target t)
{
	rfc5961_in_state(t, true);
}

static void test_reset_errno_closing(void **s) { (void)s; reset_errno_case(T_CLOSING); }
static void test_reset_errno_last_ack(void **s) { (void)s; reset_errno_case(T_LAST_ACK); }
static void test_reset_errno_syn_received(void **s) { (void)s; reset_errno_case(T_SYN_RECEIVED); }

/* RFC 5961 5.2: SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT, or the segment is dropped
 * and an ACK sent. An old ACK inside that range is fine (its data is taken). */
static void test_ack_too_old_too_new(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	uint8_t data[5 * 536];  /* five full segments: the peer sent no MSS (RFC 9293 3.7.1) */
	struct iovec iov = { data, sizeof(data) };
	uint32_t una, save;
	char buf[8];
	struct iovec rio = { buf, sizeof(buf) };

	(void)state;
	memset(data, 'd', sizeof(data));
	new_stack(&pe);
	tp = estab(&pe, 7100);
	assert_int_equal(tp->snd.max_wnd, WIN);
	/* Some data out and acknowledged: SND.UNA moves 2680 on. */
	assert_int_equal(tcp_send(tp, &iov, 1, 0), (ssize_t)sizeof(data));
	te_poll(st);
	while (te_tx_count(dev))
		te_peer_pop(&pe, &o);
	pe.rcv_nxt = tp->snd.nxt;
	te_peer_send(&pe, TCP_ACK, NULL, 0, WIN);
	te_poll(st);
	una = tp->snd.una;
	assert_int_equal(una, tp->snd.iss + 1 + sizeof(data));

	/* Old but acceptable (SND.UNA - 2000 >= SND.UNA - MAX.SND.WND): data taken. */
	save = pe.rcv_nxt;
	pe.rcv_nxt = una - 2000;
	te_peer_send(&pe, TCP_ACK | TCP_PSH, "a", 1, WIN);
	te_poll(st);
	assert_int_equal(tcp_recv(tp, &rio, 1, 0), 1);
	assert_int_equal(buf[0], 'a');
	te_tx_clear(dev);

	/* Too old: SND.UNA - MAX.SND.WND - 1. Dropped, ACKed, the byte not taken. */
	te_advance(st, 1000);
	pe.rcv_nxt = una - WIN - 1;
	te_peer_send(&pe, TCP_ACK | TCP_PSH, "b", 1, WIN);
	pe.snd_nxt--;
	te_poll(st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_ACK);
	assert_int_equal(o.th.seq, tp->snd.nxt);
	assert_int_equal(o.th.ack, pe.snd_nxt);
	assert_int_equal(tcp_recv(tp, &rio, 1, 0), -EAGAIN);
	assert_int_equal(tp->snd.una, una);
	assert_int_equal(drops(US_DROP_TCP_ACK_INVALID), 1);

	/* Too new: SND.NXT + 1. Dropped, ACKed. */
	te_advance(st, 1000);
	pe.rcv_nxt = tp->snd.nxt + 1;
	te_peer_send(&pe, TCP_ACK | TCP_PSH, "c", 1, WIN);
	pe.snd_nxt--;
	te_poll(st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.ack, pe.snd_nxt);
	assert_int_equal(tcp_recv(tp, &rio, 1, 0), -EAGAIN);
	assert_int_equal(drops(US_DROP_TCP_ACK_INVALID), 2);
	assert_int_equal(tp->state, TCP_ESTABLISHED);

	/* The right ACK with the same byte is taken. */
	pe.rcv_nxt = save;
	te_peer_send(&pe, TCP_ACK | TCP_PSH, "e", 1, WIN);
	te_poll(st);
	assert_int_equal(tcp_recv(tp, &rio, 1, 0), 1);
	assert_int_equal(buf[0], 'e');
	te_tx_clear(dev);
	tcp_abort(tp, 0, false);
	tcp_close(tp);
	free_stack();
}

/* RFC 9293 3.10.7.3: in SYN-SENT an ACK that does not acknowledge our SYN gets
 * <SEQ=SEG.ACK><CTL=RST> and is dropped; the connection stays in SYN-SENT and
 * completes with the right SYN-ACK. */
static void test_syn_sent_bad_ack(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp = NULL;
	struct te_out o;
	uint32_t iss;

	(void)state;
	new_stack(&pe);
	tp = tcp_sock_new(st);
	assert_int_equal(tcp_bind(tp, 0, 7200), 0);
	assert_int_equal(tcp_connect(tp, TE_PEER, PEER_PORT), -EINPROGRESS);
	te_poll(st);
	te_peer_pop(&pe, &o);
	iss = o.th.seq;
	pe.sport = PEER_PORT;
	pe.dport = 7200;
	pe.snd_nxt = PEER_ISS;
	pe.rcv_nxt = iss + 1000;                 /* acknowledges what was never sent */
	te_peer_send(&pe, TCP_SYN | TCP_ACK, NULL, 0, WIN);
	te_poll(st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_RST);
	assert_int_equal(o.th.seq, iss + 1000);
	assert_int_equal(tp->state, TCP_SYN_SENT);
	assert_int_equal(drops(US_DROP_TCP_SYN_SENT_ACK), 1);
	/* A SYN-less ACK-less segment is dropped quietly (3.10.7.3 fifth check). */
	pe.snd_nxt = PEER_ISS;
	pe.rcv_nxt = iss + 1;
	send_at(&pe, TCP_PSH, PEER_ISS);
	te_poll(st);
	assert_int_equal(te_tx_count(dev), 0);
	assert_int_equal(tp->state, TCP_SYN_SENT);
	/* The right SYN-ACK. */
	te_peer_send(&pe, TCP_SYN | TCP_ACK, NULL, 0, WIN);
	te_poll(st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_ACK);
	assert_int_equal(o.th.ack, PEER_ISS + 1);
	assert_int_equal(tp->state, TCP_ESTABLISHED);
	assert_int_equal(nstat(US_STAT_TcpActiveOpens), 1);
	tcp_abort(tp, 0, false);
	tcp_close(tp);
	free_stack();
}

/* RFC 9293 3.10.7.2: LISTEN ignores an RST, answers an ACK with <SEQ=SEG.ACK><RST>;
 * a passive SYN-RECEIVED request dies on an RST at its RCV.NXT (back to LISTEN, as
 * RFC 9293 3.10.7.4 says for a passive open) and ignores one outside its window. */
static void test_listen_and_request(void **state)
{
	struct te_peer pe;
	struct tcp_sock *lst, *c;
	struct te_out o;
	uint32_t iss;

	(void)state;
	new_stack(&pe);
	lst = tcp_sock_new(st);
	assert_int_equal(tcp_bind(lst, 0, 8080), 0);
	assert_int_equal(tcp_listen(lst, 4), 0);
	pe.sport = 41000;
	pe.dport = 8080;
	pe.snd_nxt = PEER_ISS;
	pe.rcv_nxt = 0x55555555;
	send_at(&pe, TCP_RST, PEER_ISS);
	te_poll(st);
	assert_int_equal(te_tx_count(dev), 0);
	te_peer_send(&pe, TCP_ACK, NULL, 0, WIN);
	te_poll(st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_RST);
	assert_int_equal(o.th.seq, 0x55555555);
	assert_int_equal(lst->state, TCP_LISTEN);

	/* A SYN: a request record in SYN-RECEIVED. */
	pe.snd_nxt = PEER_ISS;
	send_at(&pe, TCP_SYN, PEER_ISS);
	te_poll(st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_SYN | TCP_ACK);
	iss = o.th.seq;
	assert_int_equal(st->tcp->nreq, 1);
	/* An RST far out of its window: ignored. */
	send_at(&pe, TCP_RST, PEER_ISS + 1 + 10000000);
	te_poll(st);
	assert_int_equal(st->tcp->nreq, 1);
	/* An RST at RCV.NXT: the request goes, the listener stays. */
	send_at(&pe, TCP_RST, PEER_ISS + 1);
	te_poll(st);
	assert_int_equal(te_tx_count(dev), 0);
	assert_int_equal(st->tcp->nreq, 0);
	assert_int_equal(lst->state, TCP_LISTEN);
	assert_int_equal(tcp_accept(lst, &c), -EAGAIN);
	/* The final ACK of the dead handshake now finds no request: RST. */
	pe.snd_nxt = PEER_ISS + 1;
	pe.rcv_nxt = iss + 1;
	te_peer_send(&pe, TCP_ACK, NULL, 0, WIN);
	te_poll(st);
	te_peer_pop(&pe, &o);
	assert_true(o.th.flags & TCP_RST);
	assert_int_equal(o.th.seq, iss + 1);
	assert_int_equal(tcp_accept(lst, &c), -EAGAIN);
	tcp_close(lst);
	free_stack();
}

/* FIN-WAIT-1 -> TIME-WAIT in one step: the peer's FIN also acknowledges ours. Then
 * RST handling in TIME-WAIT (Linux tcp_timewait_state_process): an RST not at RCV.NXT
 * is ignored; one at RCV.NXT ends the record, unless net.ipv4.tcp_rfc1337 = 1 (RFC 1337
 * TIME-WAIT assassination hazard), with which the record lives out its 60 s. */
static void time_wait_rst(bool rfc1337)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	uint32_t fin;
	uint64_t t0;

	new_stack(&pe);
	if (rfc1337)
		assert_int_equal(us_stack_set(st, "net.ipv4.tcp_rfc1337", "1"), 0);
	tp = estab(&pe, 7300);
	fin = send_fin(&pe, tp);
	pe.rcv_nxt = fin + 1;
	te_peer_send(&pe, TCP_FIN | TCP_ACK, NULL, 0, WIN);
	te_poll(st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_ACK);
	assert_int_equal(o.th.seq, fin + 1);
	assert_int_equal(o.th.ack, pe.snd_nxt);
	assert_int_equal(tp->state, TCP_CLOSED);        /* the socket is done, ... */
	assert_int_equal(st->tcp->ntw, 1);              /* ... TIME-WAIT is a record */
	assert_int_equal(tcp_sock_error(tp), 0);
	tcp_close(tp);
	t0 = te_now_ms(st);
	send_at(&pe, TCP_RST, pe.snd_nxt + 5);
	te_poll(st);
	assert_int_equal(te_tx_count(dev), 0);
	assert_int_equal(st->tcp->ntw, 1);
	send_at(&pe, TCP_RST, pe.snd_nxt);
	te_poll(st);
	assert_int_equal(te_tx_count(dev), 0);
	if (!rfc1337) {
		assert_int_equal(st->tcp->ntw, 0);
	} else {
		assert_int_equal(st->tcp->ntw, 1);
		te_advance(st, t0 + 60000 - 1 - te_now_ms(st));
		assert_int_equal(st->tcp->ntw, 1);
		te_advance(st, 1);
		assert_int_equal(st->tcp->ntw, 0);
	}
	free_stack();
}

static void test_time_wait_rst(void **state)
{
	(void)state;
	time_wait_rst(false);
}

static void test_time_wait_rst_rfc1337(void **state)
{
	(void)state;
	time_wait_rst(true);
}

/* CLOSING -> TIME-WAIT when our FIN is acknowledged; LAST-ACK -> CLOSED likewise,
 * without a TIME-WAIT record (RFC 9293 figure 5). */
static void test_closing_and_last_ack_complete(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;

	(void)state;
	new_stack(&pe);
	tp = reach(&pe, T_CLOSING, 7400);
	pe.rcv_nxt = tp->snd.nxt;
	te_peer_send(&pe, TCP_ACK, NULL, 0, WIN);
	te_poll(st);
	assert_int_equal(te_tx_count(dev), 0);
	assert_int_equal(tp->state, TCP_CLOSED);
	assert_int_equal(st->tcp->ntw, 1);
	tcp_close(tp);
	te_advance(st, 60000);
	assert_int_equal(st->tcp->ntw, 0);

	tp = reach(&pe, T_LAST_ACK, 7401);
	pe.rcv_nxt = tp->snd.nxt;
	te_peer_send(&pe, TCP_ACK, NULL, 0, WIN);
	te_poll(st);
	assert_int_equal(tp->state, TCP_CLOSED);
	assert_int_equal(st->tcp->ntw, 0);
	assert_int_equal(tcp_sock_error(tp), 0);
	tcp_close(tp);
	te_poll(st);
	free_stack();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rst_syn_established),
		cmocka_unit_test(test_rst_syn_fin_wait_1),
		cmocka_unit_test(test_rst_syn_fin_wait_2),
		cmocka_unit_test(test_rst_syn_close_wait),
		cmocka_unit_test(test_rst_syn_closing),
		cmocka_unit_test(test_rst_syn_last_ack),
		cmocka_unit_test(test_rst_syn_syn_received),
		cmocka_unit_test(test_reset_errno_closing),
		cmocka_unit_test(test_reset_errno_last_ack),
		cmocka_unit_test(test_reset_errno_syn_received),
		cmocka_unit_test(test_ack_too_old_too_new),
		cmocka_unit_test(test_syn_sent_bad_ack),
		cmocka_unit_test(test_listen_and_request),
		cmocka_unit_test(test_time_wait_rst),
		cmocka_unit_test(test_time_wait_rst_rfc1337),
		cmocka_unit_test(test_closing_and_last_ack_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
