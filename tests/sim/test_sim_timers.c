/*
 * test_sim_timers.c - timer deadlines on the virtual clock, to the millisecond, for the
 * timers the other suites do not pin down exactly: the RTO computed from real RTT
 * samples (RFC 6298 2.2, 2.3 with Linux's 200 ms floor), the tail loss probe's PTO
 * (RFC 8985 7.2: 2 SRTT, plus the worst-case delayed ACK with one segment in flight)
 * the RACK reordering timer (RFC 8985 6.2 step 5: RACK.rtt + RACK.reo_wnd after
 * the last transmission, reo_wnd = min_RTT / 4) and TCP_USER_TIMEOUT (RFC 5482, with
 * Linux's clamping of the RTO to it).
 *
 * A scripted peer (tests/unit/tcp/tcp_env.h) answers the handshake after a chosen
 * delay, which gives the stack its first RTT sample; everything after is driven by
 * moving the clock.
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
#include "sim_peer.h"
#include "tcp_env.h"
#include "ustack/ustack.h"

#define MSS SP_MSS

static struct sp sp;
static struct us_stack *st;
static struct te_dev *dev;

/* An ESTABLISHED connection with SRTT = @rtt_ms (sim_peer.h); st and dev are its. */
static struct tcp_sock *open_rtt(struct te_peer **pe, uint16_t lport, uint32_t rtt_ms, bool sack)
{
	struct tcp_sock *tp = sp_open(&sp, 9, lport, rtt_ms, sack, NULL);

	st = sp.st;
	dev = sp.dev;
	*pe = &sp.pe;
	return tp;
}

static void close_all(struct tcp_sock *tp) { sp_close(&sp, tp); }

static void send_segs(struct tcp_sock *tp, unsigned n) { sp_send_segs(&sp, tp, n); }

/* RFC 6298 2.2 / 2.3 with Linux's floor: RTO = SRTT + max(200 ms, 4 RTTVAR). */
static void test_rto_from_samples(void **state)
{
	struct te_peer *pe;
	struct tcp_sock *tp;
	uint64_t t;

	(void)state;
	tp = open_rtt(&pe, 9001, 50, true);
	/* First sample R = 50 ms: SRTT = R, RTTVAR = R/2, RTO = 50 + max(200, 100). */
	assert_int_equal(tp->srtt_us, 50000);
	assert_int_equal(tp->rttvar_us, 25000);
	assert_int_equal(tcp_rto_ms(tp), 250);
	send_segs(tp, 1);
	t = te_now_ms(st);
	assert_int_equal(tp->deadline[TCPT_REXMT], t + 250);
	/* The ACK comes after 100 ms: R' = 100, RTTVAR = 3/4 25 + 1/4 |50 - 100| = 31.25,
	 * SRTT = 7/8 50 + 1/8 100 = 56.25; RTO = 56.25 + max(200, 125) -> 257 ms. */
	te_advance(st, 100);
	pe->rcv_nxt = tp->snd.nxt;
	te_peer_send(pe, TCP_ACK, NULL, 0, 65535);
	te_poll(st);
	assert_int_equal(tp->snd.una, tp->snd.nxt);
	assert_int_equal(tp->srtt_us, 56250);
	assert_int_equal(tp->rttvar_us, 31250);
	assert_int_equal(tcp_rto_ms(tp), 257);
	assert_int_equal(tp->deadline[TCPT_REXMT], 0);      /* nothing outstanding (5.2) */
	/* A long path: R = 300 ms gives RTO = 300 + 4 * 150 = 900 ms (above the floor). */
	close_all(tp);
	tp = open_rtt(&pe, 9002, 300, true);
	assert_int_equal(tcp_rto_ms(tp), 900);
	send_segs(tp, 2);
	assert_int_equal(tp->deadline[TCPT_REXMT], te_now_ms(st) + 900);
	close_all(tp);
}

/* Karn's algorithm (RFC 6298 3): the ACK of a retransmitted segment gives no RTT
 * sample (no timestamps to tell which transmission it answers); a later segment sent
 * once does. */
static void test_karn(void **state)
{
	struct te_peer *pe;
	struct tcp_sock *tp;
	uint64_t t;

	(void)state;
	tp = open_rtt(&pe, 9008, 50, true);
	assert_int_equal(us_stack_set(st, "net.ipv4.tcp_early_retrans", "0"), 0);
	assert_int_equal(us_stack_set(st, "net.ipv4.tcp_frto", "0"), 0);
	send_segs(tp, 1);
	t = te_now_ms(st);
	te_advance(st, 250);                                /* the RTO: sent again */
	assert_int_equal(te_tx_count(dev), 1);
	te_tx_clear(dev);
	assert_int_equal(tp->deadline[TCPT_REXMT], t + 250 + 500);
	te_advance(st, 30);                                 /* 280 ms after the original */
	pe->rcv_nxt = tp->snd.nxt;
	te_peer_send(pe, TCP_ACK, NULL, 0, 65535);
	te_poll(st);
	assert_int_equal(tp->snd.una, tp->snd.nxt);
	assert_int_equal(tp->srtt_us, 50000);               /* no sample taken */
	assert_int_equal(tp->rttvar_us, 25000);
	/* The next segment, sent once, acknowledged after 90 ms: a sample again.
	 * RTTVAR = 3/4 25 + 1/4 40 = 28.75 ms, SRTT = 7/8 50 + 1/8 90 = 55 ms. */
	send_segs(tp, 1);
	te_advance(st, 90);
	pe->rcv_nxt = tp->snd.nxt;
	te_peer_send(pe, TCP_ACK, NULL, 0, 65535);
	te_poll(st);
	assert_int_equal(tp->srtt_us, 55000);
	assert_int_equal(tp->rttvar_us, 28750);
	assert_int_equal(tcp_rto_ms(tp), 255);
	close_all(tp);
}

/* RFC 8985 7.2: PTO = 2 SRTT with more than one segment in flight; the probe is the
 * last segment again when there is no new data (7.3); one probe per episode. */
static void test_tlp_pto(void **state)
{
	struct te_peer *pe;
	struct tcp_sock *tp;
	struct te_out o;
	uint64_t t;
	uint32_t una;

	(void)state;
	tp = open_rtt(&pe, 9003, 50, true);
	una = tp->snd.una;
	send_segs(tp, 3);
	t = te_now_ms(st);
	assert_int_equal(tp->deadline[TCPT_PTO], t + 100);
	assert_int_equal(tp->deadline[TCPT_REXMT], t + 250);
	te_advance(st, 99);
	assert_int_equal(te_tx_count(dev), 0);
	te_advance(st, 1);
	te_peer_pop(pe, &o);
	assert_int_equal(o.th.seq, una + 2 * MSS);
	assert_int_equal(o.len, MSS);
	assert_int_equal(te_tx_count(dev), 0);
	assert_int_equal(st->counters.stat[US_STAT_TcpExtTCPLossProbes], 1);
	assert_true(tp->flags & TF_TLP_OUT);
	assert_int_equal(tp->cc.ca_state, TCP_CA_OPEN);
	/* RFC 8985 7.3: after the probe the RTO is re-armed from now. */
	assert_int_equal(tp->deadline[TCPT_REXMT], t + 100 + tcp_rto_ms(tp));
	assert_int_equal(tp->deadline[TCPT_PTO], 0);
	/* Everything is acknowledged: the episode ends without any RTO. */
	te_advance(st, 20);
	pe->rcv_nxt = tp->snd.nxt;
	te_peer_send(pe, TCP_ACK, NULL, 0, 65535);
	te_poll(st);
	assert_int_equal(tp->snd.una, una + 3 * MSS);
	assert_int_equal(tp->deadline[TCPT_REXMT], 0);
	assert_int_equal(tp->deadline[TCPT_PTO], 0);
	assert_int_equal(st->counters.stat[US_STAT_TcpExtTCPTimeouts], 0);
	close_all(tp);
}

/* One segment in flight: PTO = 2 SRTT + WCDelAckT (200 ms, Linux TCP_DELACK_MAX),
 * here still before the RTO (SRTT 300 ms: PTO 800 ms, RTO 900 ms). */
static void test_tlp_pto_one_segment(void **state)
{
	struct te_peer *pe;
	struct tcp_sock *tp;
	struct te_out o;
	uint64_t t;

	(void)state;
	tp = open_rtt(&pe, 9004, 300, true);
	send_segs(tp, 1);
	t = te_now_ms(st);
	assert_int_equal(tp->deadline[TCPT_PTO], t + 800);
	assert_int_equal(tp->deadline[TCPT_REXMT], t + 900);
	te_advance(st, 799);
	assert_int_equal(te_tx_count(dev), 0);
	te_advance(st, 1);
	te_peer_pop(pe, &o);
	assert_int_equal(o.th.seq, tp->snd.una);
	assert_int_equal(o.len, MSS);
	assert_int_equal(st->counters.stat[US_STAT_TcpExtTCPLossProbes], 1);
	close_all(tp);
}

/* No SACK, no TLP (RFC 8985 7.2 needs SACK): only the RTO is armed. */
static void test_no_tlp_without_sack(void **state)
{
	struct te_peer *pe;
	struct tcp_sock *tp;

	(void)state;
	tp = open_rtt(&pe, 9005, 50, false);
	send_segs(tp, 3);
	assert_int_equal(tp->deadline[TCPT_PTO], 0);
	assert_int_equal(tp->deadline[TCPT_REXMT], te_now_ms(st) + 250);
	close_all(tp);
}

/* RFC 8985 6.2: segments 1-3 of 4 are missing when the SACK for segment 4 arrives
 * one RTT later. They were sent at the same time as segment 4, so they are lost only
 * once RACK.rtt + reo_wnd has passed since their transmission: reo_wnd = min_RTT / 4
 * = 12.5 ms (no reordering seen, fewer than DupThresh segments SACKed), so the timer
 * is due 13 ms (rounded up) after the SACK; then recovery retransmits segment 1. */
static void test_rack_reo_timer(void **state)
{
	struct te_peer *pe;
	struct tcp_sock *tp;
	struct te_out o;
	struct te_seg s;
	uint32_t una;
	uint64_t t;

	(void)state;
	tp = open_rtt(&pe, 9006, 50, true);
	una = tp->snd.una;
	send_segs(tp, 4);
	te_advance(st, 50);
	s = (struct te_seg){ .saddr = TE_PEER, .daddr = TE_US, .sport = 80, .dport = 9006,
			     .seq = pe->snd_nxt, .ack = una, .flags = TCP_ACK, .win = 65535 };
	s.opts.sack_count = 1;
	s.opts.sack[0].start = una + 3 * MSS;
	s.opts.sack[0].end = una + 4 * MSS;
	te_inject(dev, &s);
	te_poll(st);
	t = te_now_ms(st);
	assert_int_equal(te_tx_count(dev), 0);
	assert_int_equal(tp->sacked_bytes, MSS);
	assert_int_equal(tp->lost_bytes, 0);
	assert_int_equal(tp->deadline[TCPT_REO], t + 13);
	assert_int_equal(tp->cc.ca_state, TCP_CA_DISORDER);    /* SACKed: Linux's Disorder */
	te_advance(st, 12);
	assert_int_equal(te_tx_count(dev), 0);
	te_advance(st, 1);
	assert_int_equal(tp->lost_bytes, 3 * MSS);
	assert_int_equal(tp->cc.ca_state, TCP_CA_RECOVERY);
	assert_int_equal(st->counters.stat[US_STAT_TcpExtTCPSACKRecovery], 1);
	assert_true(te_tx_count(dev) >= 1);
	te_peer_pop(pe, &o);
	assert_int_equal(o.th.seq, una);
	assert_int_equal(o.len, MSS);
	assert_int_equal(tp->deadline[TCPT_REO], 0);
	close_all(tp);
}

/* TCP_USER_TIMEOUT (RFC 5482; Linux tcp(7)): unacknowledged data for that long ends
 * the connection with ETIMEDOUT. Linux clamps the RTO to the time left
 * (tcp_clamp_rto_to_user_timeout), so the end comes at the timeout itself, not at
 * the next backed-off RTO: RTO 250 ms, retransmissions at +250 and +750, then the
 * next RTO (+1750) is cut to +1000.
 * SKIPPED: engine bug "user timeout late": src/tcp/tcp_timer.c counts TCP_USER_TIMEOUT
 * from the first retransmission (first_rexmit_ms, set when the first RTO fires, here
 * +250) instead of from the original transmission of the unacknowledged data (Linux's
 * retrans_stamp), and does not clamp the RTO to the time left; the connection ends at
 * the +1750 expiry (elapsed 1500 >= 1000 since +250), 750 ms late. In general the
 * error is up to one RTO plus one backed-off RTO. Remove the skip() once fixed.
 */
static void test_user_timeout_exact(void **state)
{
	struct te_peer *pe;
	struct tcp_sock *tp;
	int ms = 1000;
	uint64_t t0;

	(void)state;
	tp = open_rtt(&pe, 9007, 50, true);
	assert_int_equal(us_stack_set(st, "net.ipv4.tcp_early_retrans", "0"), 0);
	assert_int_equal(tcp_setsockopt(tp, 6, 18 /* TCP_USER_TIMEOUT */, &ms, sizeof(ms)), 0);
	send_segs(tp, 1);
	t0 = te_now_ms(st);
	assert_int_equal(tp->deadline[TCPT_REXMT], t0 + 250);
	te_advance(st, 250);
	assert_int_equal(te_tx_count(dev), 1);
	te_tx_clear(dev);
	assert_int_equal(tp->deadline[TCPT_REXMT], t0 + 750);
	te_advance(st, 500);
	assert_int_equal(te_tx_count(dev), 1);
	te_tx_clear(dev);
	assert_int_equal(tp->deadline[TCPT_REXMT], t0 + 1000);
	te_advance(st, 249);
	assert_int_equal(tp->state, TCP_ESTABLISHED);
	te_advance(st, 1);
	assert_int_equal(tp->state, TCP_CLOSED);
	assert_int_equal(tcp_sock_error(tp), ETIMEDOUT);
	close_all(tp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rto_from_samples),
		cmocka_unit_test(test_karn),
		cmocka_unit_test(test_tlp_pto),
		cmocka_unit_test(test_tlp_pto_one_segment),
		cmocka_unit_test(test_no_tlp_without_sack),
		cmocka_unit_test(test_rack_reo_timer),
		cmocka_unit_test(test_user_timeout_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
