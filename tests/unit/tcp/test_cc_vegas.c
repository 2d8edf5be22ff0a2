/* test_cc_vegas.c - Vegas as Linux's tcp_vegas (alpha 2, beta 4, gamma 1 segments):
 * baseRTT is the minimum sample; once per RTT diff = cwnd * (RTT - baseRTT) /
 * baseRTT (whole segments, RTT the round's minimum) decides: < alpha grow one
 * segment, > beta shrink one, otherwise hold; in slow start diff > gamma ends it
 * at cwnd * baseRTT / RTT + 1 segment. Reno growth when not in Open or with too
 * few samples. The adjustment for a round is made at the first ACK of the next. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cc_harness.h"

static struct tcp_cc_vegas_info info(const struct tcp_cc *cc)
{
	struct tcp_cc_vegas_info i;

	tcp_cc_vegas_get_info(cc, &i);
	return i;
}

/* In congestion avoidance at 20 segments with baseRTT = 100 ms learnt: round 0
 * grows as Reno (nothing judged yet), round 1 opens with Vegas's first decision
 * (diff 0 < alpha: + 1). */
static void vegas_ca_at_base(struct tcp_cc *cc)
{
	cch_init(cc, &tcp_cc_vegas, SEG(20), SEG(10));
	cch_round(cc, 100000, 100000);
	assert_int_equal(cc->cwnd, SEG(21));
	assert_false(info(cc).enabled);
	cch_round(cc, 100000, 100000);
	assert_int_equal(cc->cwnd, SEG(22));
	assert_true(info(cc).enabled);
	assert_int_equal(info(cc).base_rtt_us, 100000);
}

static void diff_below_alpha_grows_one_segment_per_rtt(void **state)
{
	struct tcp_cc cc;

	(void)state;
	vegas_ca_at_base(&cc);
	/* RTT 101 ms: diff = 22 * 1 / 100 = 0.22 -> 0 < 2. The decision on round 1
	 * (100 ms) comes first, then one per round at 101 ms. */
	for (uint32_t r = 1; r <= 5; r++) {
		cch_round(&cc, 101000, 101000);
		assert_int_equal(cc.cwnd, SEG(22 + r));
	}
	/* Only the round's first ACK moves cwnd; the others do not. */
	cch_ack(&cc, MSS, 101000);
	assert_int_equal(cc.cwnd, SEG(28));
	for (int i = 0; i < 10; i++)
		cch_ack(&cc, MSS, 101000);
	assert_int_equal(cc.cwnd, SEG(28));
}

static void diff_of_one_segment_still_grows(void **state)
{
	struct tcp_cc cc;

	(void)state;
	vegas_ca_at_base(&cc);
	cch_round(&cc, 105000, 105000); /* decision on round 1: + 1 = 23 */
	/* RTT 105 ms at 23 segments: diff = 1.15 -> 1 < alpha = 2: + 1. */
	cch_round(&cc, 105000, 105000);
	assert_int_equal(cc.cwnd, SEG(24));
	/* 1.2 -> 1 at 24 segments (the 105 ms round is judged at the next one's start). */
	cch_round(&cc, 108000, 108000);
	assert_int_equal(cc.cwnd, SEG(25));
	/* 108 ms at 25 segments: exactly 2 = alpha, no longer below it: hold. */
	cch_round(&cc, 108000, 108000);
	assert_int_equal(cc.cwnd, SEG(25));
	cch_round(&cc, 108000, 108000);
	assert_int_equal(cc.cwnd, SEG(25));
}

static void diff_above_beta_shrinks_one_segment_per_rtt(void **state)
{
	struct tcp_cc cc;
	uint32_t want = 23;

	(void)state;
	vegas_ca_at_base(&cc);
	/* RTT 130 ms: diff = cwnd * 30 / 100 segments. At 23 segments 6.9 -> 6 > 4:
	 * shrink, a segment per RTT, ssthresh kept below cwnd; down to 16, where
	 * diff = 4.8 -> 4 is no longer above beta, and there it holds. */
	cch_round(&cc, 130000, 130000); /* opens with the decision on round 1: + 1 */
	assert_int_equal(cc.cwnd, SEG(23));
	for (int r = 0; r < 12; r++) {
		cch_round(&cc, 130000, 130000);
		if (want * 30 / 100 > 4)
			want--;
		assert_int_equal(cc.cwnd, SEG(want));
		/* ssthresh = min(ssthresh, cwnd - 1 segment), at least 3/4 cwnd. */
		assert_true(cc.ssthresh <= cc.cwnd - MSS);
		assert_true(cc.ssthresh >= cc.cwnd / 2 + cc.cwnd / 4);
	}
	assert_int_equal(cc.cwnd, SEG(16));
}

static void diff_between_alpha_and_beta_holds(void **state)
{
	struct tcp_cc cc;

	(void)state;
	vegas_ca_at_base(&cc);
	/* RTT 115 ms at 23 segments: diff = 23 * 15 / 100 = 3.45 -> 3: hold. */
	cch_round(&cc, 115000, 115000);
	assert_int_equal(cc.cwnd, SEG(23));
	for (int r = 0; r < 6; r++) {
		cch_round(&cc, 115000, 115000);
		assert_int_equal(cc.cwnd, SEG(23));
	}
	/* diff = 2 (RTT 109 ms: 2.07) and diff = 4 (RTT 119 ms: 4.37) are inside too. */
	cch_round(&cc, 109000, 109000);
	cch_round(&cc, 119000, 119000);
	cch_round(&cc, 119000, 119000);
	assert_int_equal(cc.cwnd, SEG(23));
}

static void rtt_is_the_rounds_minimum(void **state)
{
	struct tcp_cc cc;

	(void)state;
	vegas_ca_at_base(&cc);
	/* One low sample in a round of high ones: the round's RTT is its minimum
	 * (queueing shows in every sample, so the lowest is the cleanest). The
	 * round's first ACK carries the decision on round 1 (+ 1 = 23); its own
	 * sample still belongs to the round it closes, as in Linux. */
	for (int i = 0; i < 22; i++)
		cch_ack(&cc, MSS, i == 11 ? 101000 : 180000);
	assert_int_equal(cc.cwnd, SEG(23));
	assert_int_equal(info(&cc).min_rtt_us, 101000);
	cch_ack(&cc, MSS, 180000); /* next round: 23 * 1 / 100 -> 0 < alpha */
	assert_int_equal(cc.cwnd, SEG(24));
}

static void slow_start_ends_when_diff_exceeds_gamma(void **state)
{
	struct tcp_cc cc;

	(void)state;
	cch_init(&cc, &tcp_cc_vegas, SEG(10), UINT32_MAX);
	cch_round(&cc, 100000, 100000); /* Reno slow start: 20 */
	cch_round(&cc, 100000, 100000); /* diff 0 <= gamma: slow start goes on: 40 */
	assert_int_equal(cc.cwnd, SEG(40));
	cch_round(&cc, 120000, 120000); /* still judged on the 100 ms round: 80 */
	assert_int_equal(cc.cwnd, SEG(80));
	/* At the next round's first ACK: diff = 80 * 20 / 100 = 16 > 1. cwnd comes down
	 * to cwnd * baseRTT / RTT + 1 SMSS = 116800 * 100 / 120 + 1460 = 98793 bytes and
	 * ssthresh to one segment less: congestion avoidance from here. */
	cch_ack(&cc, MSS, 120000);
	assert_int_equal(cc.cwnd, 98793);
	assert_int_equal(cc.ssthresh, 98793 - MSS);
	for (int i = 0; i < 30; i++)
		cch_ack(&cc, MSS, 120000);
	assert_int_equal(cc.cwnd, 98793);
}

/* Slow start to 80 segments at 100 ms, then a round at @rtt_us, judged at the
 * first ACK of the next round. */
static void vegas_slow_start_then(struct tcp_cc *cc, uint32_t rtt_us)
{
	cch_init(cc, &tcp_cc_vegas, SEG(10), UINT32_MAX);
	cch_round(cc, 100000, 100000);
	cch_round(cc, 100000, 100000);
	cch_round(cc, rtt_us, (int32_t)rtt_us);
	assert_int_equal(cc->cwnd, SEG(80));
	cch_ack(cc, MSS, (int32_t)rtt_us);
}

static void slow_start_gamma_boundary(void **state)
{
	struct tcp_cc cc;

	(void)state;
	/* diff = 80 * 1.5 / 100 = 1.2 -> 1, not above gamma: slow start goes on. */
	vegas_slow_start_then(&cc, 101500);
	assert_int_equal(cc.cwnd, SEG(81));
	assert_int_equal(cc.ssthresh, UINT32_MAX);
	/* diff = 80 * 2.5 / 100 = 2 > gamma: out, at 116800 * 100 / 102.5 + 1460. */
	vegas_slow_start_then(&cc, 102500);
	assert_int_equal(cc.cwnd, 113951 + MSS);
	assert_int_equal(cc.ssthresh, 113951);
}

static void too_few_samples_fall_back_to_reno(void **state)
{
	struct tcp_cc cc;

	(void)state;
	vegas_ca_at_base(&cc);
	/* Rounds in which only two ACKs carry an RTT sample (Karn: the rest acked
	 * retransmissions), those samples high enough for Vegas to shrink: with so
	 * few samples Vegas does not judge, the connection grows as Reno, one
	 * segment per RTT. The first such round opens with the decision on round 1. */
	for (uint32_t r = 0; r < 4; r++) {
		uint32_t n = cc.cwnd / MSS;

		for (uint32_t i = 0; i < n; i++) {
			cc.now_us += 200000 / n;
			cch_ack(&cc, MSS, i < 2 ? 200000 : -1);
		}
		assert_int_equal(cc.cwnd, SEG(23 + r));
		assert_false(r > 0 && info(&cc).enabled);
	}
	/* Plenty of samples again: one more Reno round (the last one had too few),
	 * then Vegas judges 200 ms, far above base: - 1. */
	cch_round(&cc, 200000, 200000);
	assert_int_equal(cc.cwnd, SEG(27));
	cch_round(&cc, 200000, 200000);
	assert_int_equal(cc.cwnd, SEG(26));
	assert_true(info(&cc).enabled);
}

static void outside_open_it_is_reno(void **state)
{
	struct tcp_cc cc;

	(void)state;
	vegas_ca_at_base(&cc);
	cch_set_state(&cc, TCP_CA_DISORDER);
	for (uint32_t r = 1; r <= 3; r++) {
		cch_round(&cc, 200000, 200000); /* Vegas would shrink; Reno grows */
		assert_int_equal(cc.cwnd, SEG(22 + r));
	}
	assert_false(info(&cc).enabled);
}

static void base_rtt_is_the_minimum_and_resets_after_idle(void **state)
{
	struct tcp_cc cc;

	(void)state;
	cch_init(&cc, &tcp_cc_vegas, SEG(10), SEG(5));
	assert_int_equal(info(&cc).base_rtt_us, UINT32_MAX);
	cch_ack(&cc, MSS, 120000);
	cch_ack(&cc, MSS, 100000);
	cch_ack(&cc, MSS, 110000);
	cch_ack(&cc, MSS, -1);
	assert_int_equal(info(&cc).base_rtt_us, 100000);
	cch_ack(&cc, MSS, 99000);
	assert_int_equal(info(&cc).base_rtt_us, 99000);
	/* After idle the path may have changed: learn it again (Linux does). */
	tcp_cc_vegas.cwnd_event(&cc, TCP_CC_EVENT_TX_START);
	assert_int_equal(info(&cc).base_rtt_us, UINT32_MAX);
	cch_ack(&cc, MSS, 130000);
	assert_int_equal(info(&cc).base_rtt_us, 130000);
}

static void no_growth_when_application_limited(void **state)
{
	struct tcp_cc cc;

	(void)state;
	vegas_ca_at_base(&cc);
	cc.app_limited = true;
	for (int r = 0; r < 4; r++)
		cch_round(&cc, 100000, 100000);
	assert_int_equal(cc.cwnd, SEG(22));
	/* A decrease still applies: queueing is queueing. */
	cch_round(&cc, 150000, 150000);
	cch_round(&cc, 150000, 150000);
	assert_int_equal(cc.cwnd, SEG(21));
}

static void reductions_are_renos(void **state)
{
	struct tcp_cc cc;

	(void)state;
	vegas_ca_at_base(&cc);
	cc.in_flight = SEG(22);
	assert_int_equal(tcp_cc_vegas.ssthresh(&cc), SEG(11));
	cc.in_flight = SEG(2);
	assert_int_equal(tcp_cc_vegas.ssthresh(&cc), SEG(2));
	/* A spurious reduction is undone to the cwnd before the episode. */
	cc.ssthresh = SEG(2);
	cc.cwnd = SEG(2);
	assert_int_equal(tcp_cc_vegas.undo_cwnd(&cc), SEG(22));
	assert_int_equal(cc.ssthresh, SEG(16) + MSS / 2); /* 3/4 * 22 from Vegas's last round */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(diff_below_alpha_grows_one_segment_per_rtt),
		cmocka_unit_test(diff_of_one_segment_still_grows),
		cmocka_unit_test(diff_above_beta_shrinks_one_segment_per_rtt),
		cmocka_unit_test(diff_between_alpha_and_beta_holds),
		cmocka_unit_test(rtt_is_the_rounds_minimum),
		cmocka_unit_test(slow_start_ends_when_diff_exceeds_gamma),
		cmocka_unit_test(slow_start_gamma_boundary),
		cmocka_unit_test(too_few_samples_fall_back_to_reno),
		cmocka_unit_test(outside_open_it_is_reno),
		cmocka_unit_test(base_rtt_is_the_minimum_and_resets_after_idle),
		cmocka_unit_test(no_growth_when_application_limited),
		cmocka_unit_test(reductions_are_renos),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
