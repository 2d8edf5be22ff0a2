/* test_cc_cubic.c - CUBIC against RFC 9438 worked examples on a fake clock:
 * the integer cube root, K (eq. 2) and W_cubic(t) (eq. 1) against the real-valued
 * formulas, the multiplicative decrease (4.6) and fast convergence (4.7), the
 * Reno-friendly region at a small BDP (4.3), concave then convex growth reaching
 * W_max at t = K over simulated round trips (4.4, 4.5), the stage after an RTO
 * (4.8), undo of a spurious event (4.9), application-limited and idle time (5.8),
 * and HyStart++ (RFC 9406). The reference values are computed here in floating
 * point from the RFCs' formulas; the module itself uses none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "cc_harness.h"

#define RFC_C 0.4
#define RFC_BETA 0.7

static struct tcp_cc_cubic_info info(const struct tcp_cc *cc)
{
	struct tcp_cc_cubic_info i;

	tcp_cc_cubic_get_info(cc, &i);
	return i;
}

static void cube_root_is_exact(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	/* Every value up to 2^21, then random 64-bit values and the cubes' edges. */
	for (uint64_t a = 0; a < (1u << 21); a++) {
		uint64_t r = tcp_cc_cubic_root(a);

		assert_true(r * r * r <= a && (r + 1) * (r + 1) * (r + 1) > a);
	}
	for (int i = 0; i < 200000; i++) {
		uint64_t a, r;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		a = x >> (i % 64);
		r = tcp_cc_cubic_root(a);
		assert_true((unsigned __int128)r * r * r <= a);
		assert_true((unsigned __int128)(r + 1) * (r + 1) * (r + 1) > a);
	}
	for (uint64_t n = 2; n <= 2642245; n += 1021) {
		assert_int_equal(tcp_cc_cubic_root(n * n * n), n);
		assert_int_equal(tcp_cc_cubic_root(n * n * n - 1), n - 1);
	}
	assert_int_equal(tcp_cc_cubic_root(UINT64_MAX), 2642245); /* 2642245^3 < 2^64 */
}

/* A connection in congestion avoidance whose last loss was at @wmax_segs and
 * whose stage has just started (one ACK into it), SRTT @rtt_us. */
static void after_loss_at(struct tcp_cc *cc, uint32_t wmax_segs, uint32_t rtt_us)
{
	cch_init(cc, &tcp_cc_cubic, SEG(wmax_segs), SEG(wmax_segs) / 2);
	cc->srtt_us = cc->min_rtt_us = rtt_us;
	cch_loss(cc);
	cch_ack(cc, MSS, (int32_t)rtt_us);
}

static void k_matches_rfc(void **state)
{
	struct tcp_cc cc;
	struct tcp_cc_cubic_info i;

	(void)state;
	/* W_max = 100 segments: cwnd_epoch = 70, K = cbrt(100 * 0.3 / 0.4) = cbrt(75)
	 * = 4.217163 s. Ours is floor(cbrt(75 * 2^30)) = 4318 units of 2^-10 s. */
	after_loss_at(&cc, 100, 100000);
	i = info(&cc);
	assert_int_equal(i.w_max, SEG(100));
	assert_int_equal(i.cwnd_prior, SEG(100));
	assert_true(i.in_epoch);
	assert_int_equal(i.k_us, 4216796); /* 4318 * 10^6 / 1024 */
	assert_true(fabs(i.k_us / 1e6 - cbrt(100 * (1 - RFC_BETA) / RFC_C)) < 1.0 / 1024);
	/* W_max = 10 segments: K = cbrt(7.5) = 1.957434 s. */
	after_loss_at(&cc, 10, 100000);
	i = info(&cc);
	assert_int_equal(i.k_us, 1957031);
	assert_true(fabs(i.k_us / 1e6 - cbrt(10 * (1 - RFC_BETA) / RFC_C)) < 1.0 / 1024);
	/* W_max = 5000 segments: K = cbrt(3750) = 15.536 s. */
	after_loss_at(&cc, 5000, 100000);
	i = info(&cc);
	assert_true(fabs(i.k_us / 1e6 - cbrt(5000 * (1 - RFC_BETA) / RFC_C)) < 1.0 / 1024);
	assert_true(i.k_us / 1e6 <= cbrt(5000 * (1 - RFC_BETA) / RFC_C));
}

static void w_cubic_matches_rfc_formula(void **state)
{
	static const double ts[] = { 0, 0.25, 1, 2, 3, 4.217163, 5, 6.5, 8, 12, 30 };
	struct tcp_cc cc;
	double k = cbrt(100 * (1 - RFC_BETA) / RFC_C);

	(void)state;
	after_loss_at(&cc, 100, 100000);
	for (size_t n = 0; n < sizeof(ts) / sizeof(ts[0]); n++) {
		double t = ts[n];
		double want = (RFC_C * pow(t - k, 3) + 100) * MSS; /* eq. 1, in bytes */
		uint32_t got = tcp_cc_cubic_w(&cc, (uint64_t)(t * 1e6));
		/* K and t are each floored to 2^-10 s: |t - K| is off by < 2 units,
		 * so W by < 3 C (|t - K| + 2/1024)^2 * 2/1024 segments, + 1 byte. */
		double tol = 3 * RFC_C * pow(fabs(t - k) + 2.0 / 1024, 2) * 2.0 / 1024 * MSS + 1;

		assert_true(fabs(got - want) <= tol);
	}
	/* At t = 0 the curve starts at cwnd_epoch = beta * W_max; at t = K it is W_max. */
	assert_true(fabs((double)tcp_cc_cubic_w(&cc, 0) - SEG(70)) < 0.1 * MSS);
	assert_true(fabs((double)tcp_cc_cubic_w(&cc, 4217163) - SEG(100)) <= 1);
}

static void loss_sets_ssthresh_to_beta_cwnd(void **state)
{
	struct tcp_cc cc;

	(void)state;
	cch_init(&cc, &tcp_cc_cubic, SEG(100), SEG(50));
	assert_int_equal(tcp_cc_cubic.ssthresh(&cc), SEG(70)); /* 0.7 * 146000 */
	cc.cwnd = SEG(1000);
	assert_int_equal(tcp_cc_cubic.ssthresh(&cc), SEG(700));
	cc.cwnd = SEG(3);
	assert_int_equal(tcp_cc_cubic.ssthresh(&cc), 3066); /* 0.7 * 4380 */
	cc.cwnd = SEG(2);
	assert_int_equal(tcp_cc_cubic.ssthresh(&cc), SEG(2)); /* max(.., 2 segments) */
	cc.cwnd = MSS;
	assert_int_equal(tcp_cc_cubic.ssthresh(&cc), SEG(2));
	/* The engine's recovery ends at cwnd = ssthresh = beta * cwnd. */
	cch_init(&cc, &tcp_cc_cubic, SEG(40), SEG(20));
	cch_loss(&cc);
	assert_int_equal(cc.cwnd, SEG(28));
}

static void fast_convergence_lowers_w_max(void **state)
{
	struct tcp_cc cc;

	(void)state;
	cch_init(&cc, &tcp_cc_cubic, SEG(100), SEG(50));
	cch_loss(&cc);
	assert_int_equal(info(&cc).w_max, SEG(100));
	/* The next loss comes before cwnd got back to W_max (80 < 100): another flow
	 * is taking bandwidth, so W_max = 80 * (1 + 0.7) / 2 = 68 segments. */
	cc.cwnd = SEG(80);
	cch_loss(&cc);
	assert_int_equal(info(&cc).w_max, SEG(68));
	assert_int_equal(info(&cc).cwnd_prior, SEG(80));
	assert_int_equal(cc.ssthresh, SEG(56));
	/* A loss above the old W_max: W_max = cwnd. */
	cc.cwnd = SEG(90);
	cch_loss(&cc);
	assert_int_equal(info(&cc).w_max, SEG(90));
	assert_int_equal(cc.ssthresh, SEG(63));
}

static void reno_friendly_region_at_small_bdp(void **state)
{
	struct tcp_cc cc;
	double w_est = 7, cwnd = 7, prior = 10; /* RFC 9438 4.3 in segments */
	double alpha = 3 * (1 - RFC_BETA) / (1 + RFC_BETA);
	uint32_t at150 = 0;

	(void)state;
	/* W_max = 10 segments, RTT = 1 ms: K = 1.96 s is ~2000 RTTs, far longer than
	 * Reno needs. The RFC expects the Reno-friendly estimate to set cwnd. */
	after_loss_at(&cc, 10, 1000);
	for (int r = 0; r < 200; r++) {
		uint32_t n = (cc.cwnd + MSS - 1) / MSS;

		/* The model sees the same ACKs: one per segment of the round. */
		for (uint32_t a = 0; a < n; a++) {
			w_est += (w_est >= prior ? 1 : alpha) / cwnd;
			if (w_est > cwnd)
				cwnd = w_est;
		}
		cch_round(&cc, 1000, 1000);
		assert_true(fabs(cc.cwnd - cwnd * MSS) <= MSS / 2);
		if (r == 149)
			at150 = cc.cwnd;
	}
	/* Far above the cubic curve, which has barely moved from 7 segments. */
	assert_true(tcp_cc_cubic_w(&cc, cc.now_us - info(&cc).t_epoch_us) < SEG(9));
	assert_true(cc.cwnd > SEG(190));
	/* With alpha_cubic = 1 (W_est past cwnd_prior) it is Reno: 1 segment per RTT. */
	assert_true(cc.cwnd - at150 >= SEG(49) && cc.cwnd - at150 <= SEG(51));
}

static void growth_reaches_w_max_at_k(void **state)
{
	struct tcp_cc cc;
	double k = cbrt(1000 * (1 - RFC_BETA) / RFC_C);
	uint64_t t0;
	uint32_t prev, inc[4] = { 0 };

	(void)state;
	/* W_max = 1000 segments, RTT 100 ms, one ACK per segment: K = cbrt(750) =
	 * 9.086 s = 91 RTTs; W_est grows by only 0.53 segments per RTT from 700, so the
	 * curve governs throughout (4.4 concave, then 4.5 convex). */
	after_loss_at(&cc, 1000, 100000);
	t0 = info(&cc).t_epoch_us;
	for (int r = 0; r < 180; r++) {
		double t, w;

		prev = cc.cwnd;
		cch_round(&cc, 100000, 100000);
		t = (cc.now_us - t0) / 1e6;
		w = (RFC_C * pow(t - k, 3) + 1000) * MSS;
		/* cwnd follows W_cubic(t): each ACK aims at W_cubic(t + RTT), which a
		 * round of ACKs reaches one RTT later; cwnd moves in whole segments. */
		assert_true(fabs(cc.cwnd - w) <= SEG(3));
		assert_true(info(&cc).w_est < cc.cwnd);
		/* W_max is reached around t = K: the curve is flat there (within 2
		 * segments for 1.7 s either side), so check the shape around it. */
		if (t <= k - 3)
			assert_true(cc.cwnd < SEG(995));
		if (t >= k - 1 && t <= k + 1)
			assert_true(cc.cwnd >= SEG(999) && cc.cwnd <= SEG(1001));
		if (t >= k + 3)
			assert_true(cc.cwnd > SEG(1005));
		if (r == 5 || r == 60 || r == 120 || r == 175)
			inc[r == 5 ? 0 : r == 60 ? 1 : r == 120 ? 2 : 3] = cc.cwnd - prev;
	}
	/* Concave: growth per RTT shrinks toward K; convex: it grows after. */
	assert_true(inc[0] > inc[1] && inc[1] >= inc[2] && inc[2] < inc[3]);
	assert_true(inc[0] >= SEG(8) && inc[3] >= SEG(8));
}

static void reno_friendly_takes_over_after_the_plateau(void **state)
{
	struct tcp_cc cc;
	uint64_t t0;
	uint32_t at60;

	(void)state;
	/* W_max = 100 segments at 100 ms: the curve rises to W_max at K = 4.2 s, but
	 * W_est reaches cwnd_prior = 100 around then and grows a segment per RTT from
	 * there (alpha_cubic = 1), faster than the start of the convex region. */
	after_loss_at(&cc, 100, 100000);
	t0 = info(&cc).t_epoch_us;
	for (int r = 0; r < 40; r++) {
		cch_round(&cc, 100000, 100000);
		assert_true(info(&cc).w_est < cc.cwnd); /* concave region */
	}
	for (int r = 40; r < 60; r++)
		cch_round(&cc, 100000, 100000);
	at60 = cc.cwnd;
	for (int r = 60; r < 80; r++)
		cch_round(&cc, 100000, 100000);
	/* t = 8.1 s: W_cubic = 100 + 0.4 * 3.9^3 = 123.4 segments, yet cwnd = W_est
	 * grows as Reno does, a segment per RTT. */
	assert_int_equal(cc.cwnd, info(&cc).w_est);
	assert_true(cc.cwnd > tcp_cc_cubic_w(&cc, cc.now_us - t0));
	assert_true(cc.cwnd - at60 >= SEG(19) && cc.cwnd - at60 <= SEG(21));
}

static void growth_is_capped_at_one_and_a_half_per_rtt(void **state)
{
	struct tcp_cc cc;

	(void)state;
	/* Far past K the curve is steep: one RTT may at most take cwnd to 1.5x. */
	after_loss_at(&cc, 100, 100000);
	cc.now_us += 60 * 1000000ull; /* t = 60 s: W_cubic = 100 + 0.4 * 55.8^3 segs */
	for (int r = 0; r < 3; r++) {
		uint32_t before = cc.cwnd;

		cch_round(&cc, 100000, 100000);
		assert_true(cc.cwnd <= before + before / 2 + MSS);
		assert_true(cc.cwnd >= before + before / 2 - 2 * MSS);
	}
}

static void rto_starts_the_next_stage_at_k_zero(void **state)
{
	struct tcp_cc cc;
	struct tcp_cc_cubic_info i;

	(void)state;
	after_loss_at(&cc, 100, 100000);
	for (int r = 0; r < 10; r++)
		cch_round(&cc, 100000, 100000);
	cc.cwnd = SEG(100);
	cch_rto(&cc);
	assert_int_equal(cc.ssthresh, SEG(70));
	assert_int_equal(cc.cwnd, MSS);
	assert_false(info(&cc).in_epoch);
	/* Slow start back (L = 1 SMSS while in LOSS) ... */
	cch_ack(&cc, SEG(2), 100000);
	assert_int_equal(cc.cwnd, SEG(2));
	cch_set_state(&cc, TCP_CA_OPEN);
	while (cc.cwnd < cc.ssthresh)
		cch_ack(&cc, MSS, 100000);
	assert_int_equal(cc.cwnd, SEG(70));
	/* ... then the first stage: K = 0, W_max = cwnd_epoch, W_est = cwnd_epoch. */
	cch_ack(&cc, MSS, 100000);
	i = info(&cc);
	assert_true(i.in_epoch);
	assert_int_equal(i.k_us, 0);
	assert_int_equal(i.w_max, SEG(70));
	assert_int_equal(i.t_epoch_us, cc.now_us);
	/* Convex from the start: W(1 s) = 70 segs + 0.4 * 1^3 * 1460 bytes exactly. */
	assert_int_equal(tcp_cc_cubic_w(&cc, 1000000), SEG(70) + 584);
	/* A later ordinary loss computes K again. */
	cc.cwnd = SEG(90);
	cch_loss(&cc);
	cch_ack(&cc, MSS, 100000);
	assert_int_equal(info(&cc).k_us, 4071289); /* cbrt(27 / 0.4) = 4.0716 s; 4169 / 1024 */
}

static void first_stage_without_a_loss(void **state)
{
	struct tcp_cc cc;
	struct tcp_cc_cubic_info i;

	(void)state;
	/* Slow start ended at an ssthresh that did not come from a loss (a cached
	 * route metric, or a switch of algorithm): W_max is undefined, so as in
	 * RFC 9438 4.10: cwnd_prior = cwnd, K = 0, W_max = cwnd_epoch. */
	cch_init(&cc, &tcp_cc_cubic, SEG(20), SEG(20));
	cch_ack(&cc, MSS, 30000);
	i = info(&cc);
	assert_true(i.in_epoch);
	assert_int_equal(i.k_us, 0);
	assert_int_equal(i.w_max, SEG(20));
	assert_int_equal(i.cwnd_prior, SEG(20));
	assert_int_equal(tcp_cc_cubic_w(&cc, 2000000), SEG(20) + 8 * 584); /* 0.4 * 2^3 segs */
}

static void rto_in_the_other_hook_order(void **state)
{
	struct tcp_cc cc;

	(void)state;
	/* An engine that reports the RTO (state LOSS) before asking for ssthresh gets
	 * the same first stage: K = 0 from cwnd_epoch. */
	after_loss_at(&cc, 100, 100000);
	cc.cwnd = SEG(100);
	cch_set_state(&cc, TCP_CA_LOSS);
	tcp_cc_cubic.cwnd_event(&cc, TCP_CC_EVENT_LOSS);
	cc.in_flight = cc.cwnd;
	cc.ssthresh = tcp_cc_cubic.ssthresh(&cc);
	cc.cwnd = MSS;
	cch_set_state(&cc, TCP_CA_OPEN);
	while (cc.cwnd < cc.ssthresh)
		cch_ack(&cc, MSS, 100000);
	cch_ack(&cc, MSS, 100000);
	assert_int_equal(info(&cc).k_us, 0);
	assert_int_equal(info(&cc).w_max, SEG(70));
}

static void spurious_loss_is_undone(void **state)
{
	struct tcp_cc cc;
	struct tcp_cc_cubic_info before, after;
	uint32_t cwnd, ssthresh;

	(void)state;
	after_loss_at(&cc, 100, 100000);
	for (int r = 0; r < 10; r++)
		cch_round(&cc, 100000, 100000);
	before = info(&cc);
	cwnd = cc.cwnd;
	ssthresh = cc.ssthresh;
	/* Fast retransmit ... */
	cc.in_flight = cc.cwnd;
	cc.ssthresh = tcp_cc_cubic.ssthresh(&cc);
	cch_set_state(&cc, TCP_CA_RECOVERY);
	cc.cwnd = cc.ssthresh;
	assert_int_not_equal(info(&cc).w_max, before.w_max);
	/* ... then DSACKs prove it spurious (RFC 9438 4.9). */
	cc.cwnd = tcp_cc_cubic.undo_cwnd(&cc);
	cch_set_state(&cc, TCP_CA_OPEN);
	after = info(&cc);
	assert_int_equal(cc.cwnd, cwnd);
	assert_int_equal(cc.ssthresh, ssthresh);
	assert_int_equal(after.w_max, before.w_max);
	assert_int_equal(after.k_us, before.k_us);
	assert_int_equal(after.t_epoch_us, before.t_epoch_us);
	assert_int_equal(after.w_est, before.w_est);
	assert_int_equal(after.cwnd_prior, before.cwnd_prior);
	assert_true(after.in_epoch);
	/* The same for a spurious RTO (Eifel / F-RTO): the curve continues, no K = 0. */
	cch_rto(&cc);
	cc.cwnd = tcp_cc_cubic.undo_cwnd(&cc);
	cch_set_state(&cc, TCP_CA_OPEN);
	assert_int_equal(cc.cwnd, cwnd);
	assert_int_equal(cc.ssthresh, ssthresh);
	cch_ack(&cc, MSS, 100000);
	after = info(&cc);
	assert_int_equal(after.k_us, before.k_us);
	assert_int_equal(after.t_epoch_us, before.t_epoch_us);
}

static void app_limited_and_idle_time_do_not_count(void **state)
{
	struct tcp_cc cc;
	uint64_t t_epoch;
	uint32_t cwnd;

	(void)state;
	after_loss_at(&cc, 100, 100000);
	cch_round(&cc, 100000, 100000);
	t_epoch = info(&cc).t_epoch_us;
	cwnd = cc.cwnd;
	/* Two seconds of ACKs while the application leaves cwnd unused. */
	cc.app_limited = true;
	for (int i = 0; i < 20; i++) {
		cc.now_us += 100000;
		cch_ack(&cc, MSS, 100000);
	}
	assert_int_equal(cc.cwnd, cwnd);
	assert_int_equal(info(&cc).t_epoch_us, t_epoch + 2000000);
	/* Five seconds idle, then transmission restarts. */
	cc.app_limited = false;
	cc.now_us += 5000000;
	tcp_cc_cubic.cwnd_event(&cc, TCP_CC_EVENT_TX_START);
	assert_int_equal(info(&cc).t_epoch_us, t_epoch + 7000000);
	/* So growth resumes where the curve was, not 7 s further along it. */
	cch_round(&cc, 100000, 100000);
	assert_true(cc.cwnd < cwnd + SEG(3));
}

/* HyStart++: slow start from 10 segments, @base_rounds rounds at @base_us, then
 * rounds at @then_us. Returns the HyStart state after @then_rounds. */
static uint8_t hystart_run(struct tcp_cc *cc, int base_rounds, uint32_t base_us, int then_rounds,
			   uint32_t then_us)
{
	cch_init(cc, &tcp_cc_cubic, SEG(10), UINT32_MAX);
	for (int r = 0; r < base_rounds; r++)
		cch_round(cc, base_us, (int32_t)base_us);
	for (int r = 0; r < then_rounds; r++)
		cch_round(cc, then_us, (int32_t)then_us);
	return info(cc).hystart;
}

static void hystart_keeps_slow_start_while_rtt_is_flat(void **state)
{
	struct tcp_cc cc;

	(void)state;
	assert_int_equal(hystart_run(&cc, 6, 50000, 0, 0), 0);
	assert_int_equal(cc.cwnd, SEG(640));
	assert_int_equal(cc.ssthresh, UINT32_MAX);
}

static void hystart_rtt_threshold(void **state)
{
	struct tcp_cc cc;

	(void)state;
	/* RttThresh = clamp(lastRoundMinRTT / 8, 4 ms, 16 ms). */
	assert_int_equal(hystart_run(&cc, 3, 50000, 1, 56249), 0); /* 50 ms: 6.25 ms */
	assert_int_equal(hystart_run(&cc, 3, 50000, 1, 56250), 1);
	assert_int_equal(hystart_run(&cc, 3, 20000, 1, 23999), 0); /* 2.5 ms -> 4 ms */
	assert_int_equal(hystart_run(&cc, 3, 20000, 1, 24000), 1);
	assert_int_equal(hystart_run(&cc, 3, 200000, 1, 215999), 0); /* 25 ms -> 16 ms */
	assert_int_equal(hystart_run(&cc, 3, 200000, 1, 216000), 1);
	/* Without RTT samples there is nothing to compare: plain slow start. */
	cch_init(&cc, &tcp_cc_cubic, SEG(10), UINT32_MAX);
	for (int r = 0; r < 5; r++)
		cch_round(&cc, 50000 + 20000 * (uint32_t)r, -1);
	assert_int_equal(info(&cc).hystart, 0);
	assert_int_equal(cc.cwnd, SEG(320));
}

static void hystart_css_then_congestion_avoidance(void **state)
{
	struct tcp_cc cc;
	struct tcp_cc_cubic_info i;

	(void)state;
	/* 10 -> 20 -> 40 -> 80 segments at 50 ms, then the RTT rises to 60 ms. */
	assert_int_equal(hystart_run(&cc, 3, 50000, 1, 60000), 1);
	/* Round 4: 7 ACKs of slow start, the 8th sample switches to CSS, and it and
	 * the other 72 ACKs grow cwnd by SMSS / CSS_GROWTH_DIVISOR = 365 bytes. */
	assert_int_equal(cc.cwnd, SEG(87) + 73 * 365);
	assert_int_equal(cc.ssthresh, UINT32_MAX);
	/* CSS lasts CSS_ROUNDS = 5 rounds, counting the one it began in. */
	for (int r = 0; r < 4; r++) {
		uint32_t before = cc.cwnd;

		cch_round(&cc, 60000, 60000);
		assert_int_equal(info(&cc).hystart, 1);
		assert_int_equal(cc.cwnd - before, (before + MSS - 1) / MSS * 365);
	}
	/* The first ACK of the next round ends slow start: ssthresh = cwnd, and CUBIC
	 * starts with K = 0, W_max = cwnd_prior = cwnd (RFC 9438 4.10). */
	{
		uint32_t cwnd = cc.cwnd;

		cch_ack(&cc, MSS, 60000);
		i = info(&cc);
		assert_int_equal(i.hystart, 2);
		assert_int_equal(cc.ssthresh, cwnd);
		assert_true(i.in_epoch);
		assert_int_equal(i.k_us, 0);
		assert_int_equal(i.w_max, cwnd);
		assert_int_equal(i.cwnd_prior, cwnd);
	}
}

static void hystart_returns_to_slow_start_when_rtt_falls(void **state)
{
	struct tcp_cc cc;
	uint32_t before;

	(void)state;
	assert_int_equal(hystart_run(&cc, 3, 50000, 1, 60000), 1);
	/* The next round's minimum RTT is below the CSS baseline (60 ms): the rise was
	 * spurious; after 8 samples it is slow start again. */
	before = cc.cwnd;
	cch_round(&cc, 50000, 50000);
	assert_int_equal(info(&cc).hystart, 0);
	/* 7 ACKs at CSS growth, then full slow start for the rest of the round. */
	{
		uint32_t n = (before + MSS - 1) / MSS;

		assert_int_equal(cc.cwnd, before + 7 * 365 + (n - 7) * MSS);
	}
}

static void hystart_only_in_the_first_slow_start(void **state)
{
	struct tcp_cc cc;
	uint32_t before;

	(void)state;
	/* A loss ends HyStart++ for good (RFC 9406 4.3) ... */
	hystart_run(&cc, 3, 50000, 0, 0);
	cch_loss(&cc);
	assert_int_equal(info(&cc).hystart, 2);
	/* ... so a later slow start ignores RTT increases. */
	cc.cwnd = SEG(10);
	before = cc.cwnd;
	for (int r = 0; r < 2; r++)
		cch_round(&cc, 50000, 50000);
	cch_round(&cc, 80000, 80000);
	assert_int_equal(info(&cc).hystart, 2);
	assert_true(cc.cwnd > before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cube_root_is_exact),
		cmocka_unit_test(k_matches_rfc),
		cmocka_unit_test(w_cubic_matches_rfc_formula),
		cmocka_unit_test(loss_sets_ssthresh_to_beta_cwnd),
		cmocka_unit_test(fast_convergence_lowers_w_max),
		cmocka_unit_test(reno_friendly_region_at_small_bdp),
		cmocka_unit_test(growth_reaches_w_max_at_k),
		cmocka_unit_test(reno_friendly_takes_over_after_the_plateau),
		cmocka_unit_test(growth_is_capped_at_one_and_a_half_per_rtt),
		cmocka_unit_test(rto_starts_the_next_stage_at_k_zero),
		cmocka_unit_test(first_stage_without_a_loss),
		cmocka_unit_test(rto_in_the_other_hook_order),
		cmocka_unit_test(spurious_loss_is_undone),
		cmocka_unit_test(app_limited_and_idle_time_do_not_count),
		cmocka_unit_test(hystart_keeps_slow_start_while_rtt_is_flat),
		cmocka_unit_test(hystart_rtt_threshold),
		cmocka_unit_test(hystart_css_then_congestion_avoidance),
		cmocka_unit_test(hystart_returns_to_slow_start_when_rtt_falls),
		cmocka_unit_test(hystart_only_in_the_first_slow_start),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
