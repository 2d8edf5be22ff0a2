/* test_cc_reno.c - Reno and NewReno against RFC 5681: slow start (eq. 2, with
 * RFC 3465 byte counting, L = 2*SMSS), congestion avoidance of one SMSS per RTT
 * (eq. 3 by byte counting), ssthresh = max(FlightSize/2, 2*SMSS) (eq. 4), the slow
 * start after an RTO from the 1-SMSS loss window, no congestion-avoidance growth
 * when application-limited, and undo of a spurious reduction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cc_harness.h"

static void slow_start_per_ack(void **state)
{
	struct tcp_cc cc;

	(void)state;
	/* IW = 10 segments (RFC 6928), ssthresh not yet set. */
	cch_init(&cc, &tcp_cc_newreno, SEG(10), UINT32_MAX);
	cch_ack(&cc, MSS, 40000);
	assert_int_equal(cc.cwnd, SEG(11));    /* eq. 2: + min(N, SMSS) */
	cch_ack(&cc, 536, 40000);
	assert_int_equal(cc.cwnd, SEG(11) + 536);
	cch_ack(&cc, SEG(2), 40000);            /* delayed ACK: + 2 SMSS (L = 2) */
	assert_int_equal(cc.cwnd, SEG(13) + 536);
	cch_ack(&cc, SEG(4), 40000);            /* stretch ACK: capped at L */
	assert_int_equal(cc.cwnd, SEG(15) + 536);
}

static void slow_start_doubles_per_rtt(void **state)
{
	struct tcp_cc cc;

	(void)state;
	/* One ACK per segment: 10, 20, 40, 80 segments. */
	cch_init(&cc, &tcp_cc_reno, SEG(10), UINT32_MAX);
	for (int r = 0; r < 3; r++)
		cch_round(&cc, 100000, 100000);
	assert_int_equal(cc.cwnd, SEG(80));
	/* Delayed ACKs (one per two segments) double it as well, thanks to L = 2. */
	cch_init(&cc, &tcp_cc_reno, SEG(10), UINT32_MAX);
	for (int r = 0; r < 3; r++) {
		uint32_t acks = cc.cwnd / SEG(2);

		for (uint32_t i = 0; i < acks; i++)
			cch_ack(&cc, SEG(2), 100000);
	}
	assert_int_equal(cc.cwnd, SEG(80));
}

static void congestion_avoidance_one_smss_per_rtt(void **state)
{
	struct tcp_cc cc;

	(void)state;
	cch_init(&cc, &tcp_cc_newreno, SEG(20), SEG(20));
	/* cwnd = 20 segments: the 20th full-sized ACK adds one SMSS, not the 19th. */
	for (int i = 0; i < 19; i++)
		cch_ack(&cc, MSS, 100000);
	assert_int_equal(cc.cwnd, SEG(20));
	cch_ack(&cc, MSS, 100000);
	assert_int_equal(cc.cwnd, SEG(21));
	/* Thirty RTTs later: + 30 SMSS exactly (byte counting is not eq. 3's slight
	 * under-estimate). */
	for (int r = 0; r < 30; r++)
		cch_round(&cc, 100000, 100000);
	assert_int_equal(cc.cwnd, SEG(51));
	/* Delayed ACKs grow it just as fast. */
	for (int r = 0; r < 4; r++) {
		uint32_t acks = cc.cwnd / SEG(2);

		for (uint32_t i = 0; i < acks; i++)
			cch_ack(&cc, SEG(2), 100000);
		if (cc.cwnd % SEG(2))
			cch_ack(&cc, MSS, 100000);
	}
	assert_int_equal(cc.cwnd, SEG(55));
}

static void leaving_slow_start_midway(void **state)
{
	struct tcp_cc cc;

	(void)state;
	cch_init(&cc, &tcp_cc_reno, SEG(10) - 1000, SEG(10));
	/* 1000 bytes reach ssthresh; the other 460 count toward the next SMSS. */
	cch_ack(&cc, MSS, 10000);
	assert_int_equal(cc.cwnd, SEG(10));
	for (int i = 0; i < 9; i++)
		cch_ack(&cc, MSS, 10000);
	assert_int_equal(cc.cwnd, SEG(10)); /* 460 + 9 * 1460 = 13600 < 14600 */
	cch_ack(&cc, MSS, 10000);
	assert_int_equal(cc.cwnd, SEG(11)); /* 15060: one window plus 460 */
}

static void ssthresh_is_half_the_flight(void **state)
{
	struct tcp_cc cc;

	(void)state;
	cch_init(&cc, &tcp_cc_newreno, SEG(40), UINT32_MAX);
	/* eq. 4 uses FlightSize, not cwnd. */
	cc.in_flight = SEG(20);
	assert_int_equal(tcp_cc_newreno.ssthresh(&cc), SEG(10));
	cc.in_flight = 14601;
	assert_int_equal(tcp_cc_newreno.ssthresh(&cc), 7300);
	/* ... and never below 2*SMSS. */
	cc.in_flight = SEG(3);
	assert_int_equal(tcp_cc_newreno.ssthresh(&cc), SEG(2));
	cc.in_flight = 0;
	assert_int_equal(tcp_cc_reno.ssthresh(&cc), SEG(2));
}

static void rto_then_slow_start_back_to_ssthresh(void **state)
{
	struct tcp_cc cc;

	(void)state;
	cch_init(&cc, &tcp_cc_reno, SEG(32), SEG(16));
	cch_rto(&cc);
	assert_int_equal(cc.ssthresh, SEG(16)); /* FlightSize 32 / 2 */
	assert_int_equal(cc.cwnd, MSS);         /* the loss window, set by the engine */
	/* In LOSS one ACK counts at most one SMSS (RFC 3465 2.3) even if it covers two. */
	cch_ack(&cc, SEG(2), 100000);
	assert_int_equal(cc.cwnd, SEG(2));
	/* Recovery is over: slow start with L = 2 up to ssthresh, then + 1 per RTT. */
	cch_set_state(&cc, TCP_CA_OPEN);
	for (int r = 0; r < 3; r++)
		cch_round(&cc, 100000, 100000); /* 2 -> 4 -> 8 -> 16 */
	assert_int_equal(cc.cwnd, SEG(16));
	cch_round(&cc, 100000, 100000);
	assert_int_equal(cc.cwnd, SEG(17));
}

static void application_limited_holds_congestion_avoidance(void **state)
{
	struct tcp_cc cc;

	(void)state;
	/* The engine calls during slow start only while at least half of cwnd is in
	 * use (Linux's tcp_is_cwnd_limited), so an app-limited slow start still grows. */
	cch_init(&cc, &tcp_cc_reno, SEG(10), UINT32_MAX);
	cc.app_limited = true;
	for (int i = 0; i < 5; i++)
		cch_ack(&cc, MSS, 1000);
	assert_int_equal(cc.cwnd, SEG(15));
	/* In congestion avoidance a cwnd the sender does not fill must not grow
	 * (RFC 7661), and those ACKs earn no credit either. */
	cc.ssthresh = SEG(5);
	for (int i = 0; i < 50; i++)
		cch_ack(&cc, MSS, 1000);
	assert_int_equal(cc.cwnd, SEG(15));
	cc.app_limited = false;
	for (int i = 0; i < 14; i++)
		cch_ack(&cc, MSS, 1000);
	assert_int_equal(cc.cwnd, SEG(15));
	cch_ack(&cc, MSS, 1000);
	assert_int_equal(cc.cwnd, SEG(16));
	/* Crossing ssthresh while app-limited: the leftover is not credited. */
	cc.cwnd = SEG(5) - 100;
	cc.app_limited = true;
	cch_ack(&cc, MSS, 1000);
	assert_int_equal(cc.cwnd, SEG(5));
}

static void undo_restores_cwnd_and_ssthresh(void **state)
{
	struct tcp_cc cc;

	(void)state;
	cch_init(&cc, &tcp_cc_newreno, SEG(30), SEG(25));
	cc.in_flight = SEG(30);
	cc.ssthresh = tcp_cc_newreno.ssthresh(&cc);
	cch_set_state(&cc, TCP_CA_RECOVERY);
	cc.cwnd = SEG(15);
	/* An RTO inside the same episode must not move the undo point. */
	cc.in_flight = SEG(15);
	cc.ssthresh = tcp_cc_newreno.ssthresh(&cc);
	cc.cwnd = MSS;
	assert_int_equal(cc.ssthresh, SEG(7) + MSS / 2);
	/* DSACKs show it was all spurious. */
	assert_int_equal(tcp_cc_newreno.undo_cwnd(&cc), SEG(30));
	assert_int_equal(cc.ssthresh, SEG(25));
	/* Nothing left to undo. */
	cc.cwnd = SEG(30);
	assert_int_equal(tcp_cc_newreno.undo_cwnd(&cc), SEG(30));
	/* Once the episode ended (back in OPEN), an undo changes nothing. */
	cc.in_flight = SEG(30);
	cc.ssthresh = tcp_cc_newreno.ssthresh(&cc);
	cc.cwnd = SEG(15);
	cch_set_state(&cc, TCP_CA_OPEN);
	assert_int_equal(tcp_cc_newreno.undo_cwnd(&cc), SEG(15));
	assert_int_equal(cc.ssthresh, SEG(15));
}

static void reno_and_newreno_grow_identically(void **state)
{
	struct tcp_cc a, b;
	uint32_t x = 12345;

	(void)state;
	cch_init(&a, &tcp_cc_reno, SEG(4), UINT32_MAX);
	cch_init(&b, &tcp_cc_newreno, SEG(4), UINT32_MAX);
	for (int i = 0; i < 5000; i++) {
		uint32_t acked;

		x ^= x << 13, x ^= x >> 17, x ^= x << 5; /* xorshift32 */
		acked = 1 + x % (3 * MSS);
		if (x % 997 == 0) {
			cch_loss(&a);
			cch_loss(&b);
		}
		cch_ack(&a, acked, 20000);
		cch_ack(&b, acked, 20000);
		assert_int_equal(a.cwnd, b.cwnd);
		assert_int_equal(a.ssthresh, b.ssthresh);
	}
	assert_true(a.cwnd > SEG(4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slow_start_per_ack),
		cmocka_unit_test(slow_start_doubles_per_rtt),
		cmocka_unit_test(congestion_avoidance_one_smss_per_rtt),
		cmocka_unit_test(leaving_slow_start_midway),
		cmocka_unit_test(ssthresh_is_half_the_flight),
		cmocka_unit_test(rto_then_slow_start_back_to_ssthresh),
		cmocka_unit_test(application_limited_holds_congestion_avoidance),
		cmocka_unit_test(undo_restores_cwnd_and_ssthresh),
		cmocka_unit_test(reno_and_newreno_grow_identically),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
