/*
 * test_sim_recovery.c - loss recovery step by step with exact sequence numbers, cwnd,
 * ssthresh and pipe: a scripted receiver (sim_peer.h) drops chosen segments of a
 * 10-segment flight and acknowledges the rest as a real receiver would.
 *
 *   - NewReno (RFC 6582) for a peer without SACK: three duplicate ACKs, fast
 *     retransmit, ssthresh from Reno (RFC 5681 eq. 4), a partial ACK retransmits the
 *     next hole at once and recovery goes on, the full ACK ends it with cwnd = ssthresh;
 *     one recovery episode and no timeout for two losses in one window.
 *   - SACK recovery (RFC 6675) with RACK off (net.ipv4.tcp_recovery = 0): IsLost after
 *     DupThresh SACKed segments above the hole, the pipe of SetPipe() exactly, the
 *     retransmission, then the cumulative ACK that ends recovery.
 *   - RACK (RFC 8985) with the default settings: a lost retransmission is detected by
 *     time (the RACK timer) and retransmitted again without an RTO.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "sim_peer.h"
#include "tcp/tcp_sock.h"
#include "tcp_env.h"
#include "ustack/ustack.h"

#define MSS SP_MSS
#define SEED_HIGH_ISS 23
#define SEED_LOW_ISS 27

static uint64_t nstat(struct sp *s, enum us_stat i) { return s->st->counters.stat[i]; }

/* Pops every segment the stack sent; returns how many, their starts in @seqs. */
static unsigned pop_all(struct sp *s, uint32_t *seqs, unsigned max)
{
	struct te_out o;
	unsigned n = 0;

	while (te_tx_count(s->dev)) {
		te_peer_pop(&s->pe, &o);
		if (n < max)
			seqs[n] = o.th.seq;
		n++;
	}
	return n;
}

/* Segments 1 and 5 (of 1..10) are lost, no SACK, the "newreno" module (the "reno"
 * module is RFC 5681 alone: it leaves recovery on the first ACK of new data): RFC 6582. With @strict_ssthresh the
 * ssthresh value is checked too (see test_reno_ssthresh_*). */
static void newreno_partial_ack(bool strict_ssthresh)
{
	struct sp s;
	struct tcp_sock *tp;
	uint32_t una, seqs[16];
	unsigned n;

	tp = sp_open(&s, 21, 9100, 50, false, "newreno");
	una = tp->snd.una;
	sp_send_segs(&s, tp, 10);
	assert_int_equal(tp->cc.cwnd, 10 * MSS);
	/* Segments 2, 3, 4 arrive: three duplicate ACKs. The first two cannot use limited
	 * transmit (no new data queued); the third retransmits segment 1 (RFC 5681 3.2). */
	te_advance(s.st, 50);
	sp_ack(&s, una, NULL, 0);
	sp_ack(&s, una, NULL, 0);
	assert_int_equal(te_tx_count(s.dev), 0);
	assert_int_equal(tp->cc.ca_state, TCP_CA_DISORDER);
	sp_ack(&s, una, NULL, 0);
	n = pop_all(&s, seqs, 16);
	assert_int_equal(n, 1);
	assert_int_equal(seqs[0], una);
	assert_int_equal(tp->cc.ca_state, TCP_CA_RECOVERY);
	assert_int_equal(tp->high_seq, una + 10 * MSS);          /* "recover" = HighData */
	if (strict_ssthresh)
		assert_int_equal(tp->cc.ssthresh, 5 * MSS);      /* FlightSize / 2 */
	assert_int_equal(nstat(&s, US_STAT_TcpExtTCPRenoRecovery), 1);
	/* Segments 6..10 arrive: five more duplicates, nothing new to send. */
	for (int i = 0; i < 5; i++)
		sp_ack(&s, una, NULL, 0);
	assert_int_equal(te_tx_count(s.dev), 0);
	/* The retransmitted segment 1 arrives: ACK of 1..4, short of "recover": a partial
	 * ACK. RFC 6582 3.2 step 5: retransmit the first unacknowledged segment (5) now,
	 * stay in recovery. */
	te_advance(s.st, 50);
	sp_ack(&s, una + 4 * MSS, NULL, 0);
	n = pop_all(&s, seqs, 16);
	assert_int_equal(n, 1);
	assert_int_equal(seqs[0], una + 4 * MSS);
	assert_int_equal(tp->cc.ca_state, TCP_CA_RECOVERY);
	assert_int_equal(tp->snd.una, una + 4 * MSS);
	/* Its ACK covers everything: full ACK, recovery ends, cwnd = ssthresh (step 6). */
	te_advance(s.st, 50);
	sp_ack(&s, una + 10 * MSS, NULL, 0);
	assert_int_equal(tp->snd.una, tp->snd.nxt);
	assert_int_equal(tp->cc.ca_state, TCP_CA_OPEN);
	assert_int_equal(tp->cc.cwnd, tp->cc.ssthresh);
	if (strict_ssthresh)
		assert_int_equal(tp->cc.cwnd, 5 * MSS);
	assert_int_equal(nstat(&s, US_STAT_TcpRetransSegs), 2);
	assert_int_equal(nstat(&s, US_STAT_TcpExtTCPRenoRecovery), 1);
	assert_int_equal(nstat(&s, US_STAT_TcpExtTCPTimeouts), 0);
	assert_int_equal(tp->deadline[TCPT_REXMT], 0);
	sp_close(&s, tp);
}

/* Segment 1 (of 10) is lost, SACK, RACK off: RFC 6675. With @strict_ssthresh the
 * ssthresh value is checked too. */
static void sack_pipe(bool strict_ssthresh)
{
	struct sp s;
	struct tcp_sock *tp;
	uint32_t una, seqs[16], blk[1][2];
	unsigned n, rescues = 0;
	uint32_t rescue_pipe = 0;

	tp = sp_open(&s, 22, 9101, 50, true, "reno");
	assert_int_equal(us_stack_set(s.st, "net.ipv4.tcp_recovery", "0"), 0);
	assert_int_equal(us_stack_set(s.st, "net.ipv4.tcp_early_retrans", "0"), 0);
	una = tp->snd.una;
	sp_send_segs(&s, tp, 10);
	te_advance(s.st, 50);
	blk[0][0] = una + MSS;
	/* SACKs for 2 and 3: not yet DupThresh segments above the hole. */
	for (unsigned k = 2; k <= 3; k++) {
		blk[0][1] = una + k * MSS;
		sp_ack(&s, una, (const uint32_t (*)[2])blk, 1);
		assert_int_equal(te_tx_count(s.dev), 0);
		assert_int_equal(tp->lost_bytes, 0);
		assert_int_equal(tcp_in_flight(tp), 10 * MSS - (k - 1) * MSS);
	}
	/* SACK for 4: three segments SACKed above segment 1: IsLost (RFC 6675 4),
	 * recovery; pipe = 6 segments not SACKed nor lost + 1 retransmitted = 7. */
	blk[0][1] = una + 4 * MSS;
	sp_ack(&s, una, (const uint32_t (*)[2])blk, 1);
	assert_int_equal(tp->cc.ca_state, TCP_CA_RECOVERY);
	assert_int_equal(tp->sacked_bytes, 3 * MSS);
	assert_int_equal(tp->lost_bytes, MSS);
	assert_int_equal(tp->retrans_bytes, MSS);
	assert_int_equal(tcp_in_flight(tp), 7 * MSS);
	if (strict_ssthresh)
		assert_int_equal(tp->cc.ssthresh, 5 * MSS);      /* FlightSize / 2 */
	n = pop_all(&s, seqs, 16);
	assert_int_equal(n, 1);
	assert_int_equal(seqs[0], una);
	assert_int_equal(nstat(&s, US_STAT_TcpExtTCPSACKRecovery), 1);
	/* Each further SACK takes one segment out of the pipe. With no new data to send,
	 * the only thing NextSeg() may still offer is RFC 6675's rescue retransmission
	 * (rule 4: at most once per recovery, the highest outstanding unSACKed segment,
	 * segment 10 while it is not SACKed). It may count in the pipe until segment 10
	 * is SACKed (RFC 6675 leaves HighRxt alone for it; Linux counts it). */
	for (unsigned k = 5; k <= 10; k++) {
		uint32_t base = (7 - (k - 4)) * MSS;

		blk[0][1] = una + k * MSS;
		sp_ack(&s, una, (const uint32_t (*)[2])blk, 1);
		n = pop_all(&s, seqs, 16);
		assert_true(n <= 1);
		if (n) {
			assert_true(k < 10);
			assert_int_equal(seqs[0], una + 9 * MSS);
			rescues++;
			rescue_pipe = tcp_in_flight(tp) - base;
			assert_true(rescue_pipe == 0 || rescue_pipe == MSS);
		}
		assert_true(rescues <= 1);
		assert_int_equal(tcp_in_flight(tp), base + (k < 10 ? rescue_pipe : 0));
	}
	assert_int_equal(tcp_in_flight(tp), MSS);   /* the retransmission of segment 1 */
	te_advance(s.st, 50);
	sp_ack(&s, una + 10 * MSS, NULL, 0);
	assert_int_equal(tp->cc.ca_state, TCP_CA_OPEN);
	assert_int_equal(tcp_in_flight(tp), 0);
	assert_int_equal(tp->sacked_bytes + tp->lost_bytes + tp->retrans_bytes, 0);
	assert_int_equal(nstat(&s, US_STAT_TcpRetransSegs), 1 + rescues);
	assert_int_equal(nstat(&s, US_STAT_TcpExtTCPTimeouts), 0);
	sp_close(&s, tp);
}

static void test_newreno_partial_ack(void **state)
{
	(void)state;
	newreno_partial_ack(false);
}

static void test_sack_pipe(void **state)
{
	(void)state;
	sack_pipe(false);
}

/*
 * Reno's ssthresh at the start of fast recovery: RFC 5681 eq. 4 (and RFC 6675 5 step
 * 4.2, RFC 6582 3.2 step 2) say max(FlightSize / 2, 2 SMSS) with FlightSize the data
 * sent and not cumulatively acknowledged (SND.NXT - SND.UNA: 10 segments here, so
 * 5 segments); Linux's tcp_reno_ssthresh gives cwnd / 2, also 5 segments.
 * SKIPPED: engine bug "Reno ssthresh from pipe": the engine passes RFC 6675's pipe
 * (tcp_in_flight(): outstanding minus SACKed, duplicate-ACKed and lost bytes) as
 * FlightSize (tcp_cc_prepare() in src/tcp/tcp_ack.c sets cc.in_flight = pipe;
 * tcp_cc_reno_ssthresh() in src/tcp/tcp_cc.c halves it), so ssthresh is 3 segments
 * after 3 duplicate ACKs or 3 SACKed segments, and only 2 SMSS when RACK enters
 * recovery on an ACK that SACKs most of the window. Reno, NewReno and Vegas (which
 * uses the same helper) are affected; CUBIC is not (it works from cwnd). Remove the
 * skip() once fixed.
 */
static void test_reno_ssthresh_dupacks(void **state)
{
	(void)state;
	newreno_partial_ack(true);
}

static void test_reno_ssthresh_sack(void **state)
{
	(void)state;
	sack_pipe(true);
}

/* RACK: segment 1 is lost, then its retransmission is lost too. The SACK of a segment
 * sent after the retransmission (new data: the TLP's or recovery's) shows it lost by
 * time (RFC 8985 6.2: a retransmission is judged by its own send time), and it goes a
 * third time, still without an RTO. */
static void rack_lost_retransmission(uint64_t seed, bool high_iss)
{
	struct sp s;
	struct tcp_sock *tp;
	uint32_t una, seqs[16], blk[1][2];
	uint8_t more[MSS];
	struct iovec iov = { more, sizeof(more) };
	unsigned n;

	memset(more, 'm', sizeof(more));
	tp = sp_open(&s, seed, 9102, 50, true, NULL);
	una = tp->snd.una;
	print_message("  seed %llu: ISS 0x%08x\n", (unsigned long long)seed, tp->snd.iss);
	assert_int_equal(tp->snd.iss >= 0x80000000u, high_iss);
	sp_send_segs(&s, tp, 10);
	/* 2..10 SACKed at once (one ACK): RACK marks 1 lost at once (sent before the
	 * SACKed ones, and more than DupThresh SACKed: reo_wnd 0), fast retransmit. */
	te_advance(s.st, 50);
	blk[0][0] = una + MSS;
	blk[0][1] = una + 10 * MSS;
	sp_ack(&s, una, (const uint32_t (*)[2])blk, 1);
	assert_false(tp->rack.reord);        /* one ACK, in order: no reordering */
	n = pop_all(&s, seqs, 16);
	assert_true(n >= 1);
	assert_int_equal(seqs[0], una);
	assert_int_equal(tp->cc.ca_state, TCP_CA_RECOVERY);
	assert_int_equal(nstat(&s, US_STAT_TcpRetransSegs), 1);
	/* That retransmission is lost. 10 ms later a new segment goes out and is SACKed
	 * 50 ms after that: the retransmission (sent 10 ms before it, unacknowledged one
	 * RTT on) is lost again. */
	te_advance(s.st, 10);
	assert_int_equal(tcp_send(tp, &iov, 1, 0), MSS);
	te_poll(s.st);
	n = pop_all(&s, seqs, 16);
	assert_int_equal(n, 1);
	assert_int_equal(seqs[0], una + 10 * MSS);
	te_advance(s.st, 50);
	blk[0][1] = una + 11 * MSS;
	sp_ack(&s, una, (const uint32_t (*)[2])blk, 1);
	if (!te_tx_count(s.dev))
		te_advance(s.st, tp->deadline[TCPT_REO] ? tp->deadline[TCPT_REO] - te_now_ms(s.st)
							: 1);
	n = pop_all(&s, seqs, 16);
	assert_int_equal(n, 1);
	assert_int_equal(seqs[0], una);
	assert_int_equal(nstat(&s, US_STAT_TcpRetransSegs), 2);
	assert_int_equal(nstat(&s, US_STAT_TcpExtTCPTimeouts), 0);
	assert_int_equal(tp->cc.ca_state, TCP_CA_RECOVERY);
	/* It arrives: everything is acknowledged. */
	te_advance(s.st, 50);
	sp_ack(&s, una + 11 * MSS, NULL, 0);
	assert_int_equal(tp->snd.una, tp->snd.nxt);
	assert_int_equal(tp->cc.ca_state, TCP_CA_OPEN);
	assert_int_equal(nstat(&s, US_STAT_TcpExtTCPTimeouts), 0);
	sp_close(&s, tp);
}

static void test_rack_lost_retransmission(void **state)
{
	(void)state;
	rack_lost_retransmission(SEED_LOW_ISS, false);
}

/*
 * The same with an ISS in the upper half of the sequence space.
 * SKIPPED: engine bug "RACK false reordering": src/tcp/tcp_recovery.c tcp_rack_update()
 * tests seq_lt(r->end, tp->rack.fack) before it knows whether RACK.fack was ever set;
 * with fack still 0 and the segment's end >= 2^31 the test is true, so the first
 * delivered segment of every connection whose ISS lies in the upper half sets
 * RACK.reordering_seen. From then on reo_wnd is min_RTT/4 even in recovery or with
 * DupThresh segments SACKed (RFC 8985 6.2 step 4), so losses wait for the RACK timer
 * (here 13 ms) instead of being repaired on the ACK. Remove the skip() once fixed.
 */
static void test_rack_lost_retransmission_high_iss(void **state)
{
	(void)state;
	rack_lost_retransmission(SEED_HIGH_ISS, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newreno_partial_ack),
		cmocka_unit_test(test_sack_pipe),
		cmocka_unit_test(test_reno_ssthresh_dupacks),
		cmocka_unit_test(test_reno_ssthresh_sack),
		cmocka_unit_test(test_rack_lost_retransmission),
		cmocka_unit_test(test_rack_lost_retransmission_high_iss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
