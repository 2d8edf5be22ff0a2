/* test_cc_registry.c - the congestion-control registry (find by name, the available
 * list, switching algorithms) and the shared growth helpers: slow start with
 * RFC 3465 byte counting (L = 2*SMSS, 1*SMSS after an RTO) and exact
 * congestion-avoidance byte counting (RFC 5681 3.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cc_harness.h"

static void find_by_name(void **state)
{
	static const struct {
		const char *name;
		const struct tcp_cc_ops *ops;
	} all[] = {
		{ "reno", &tcp_cc_reno },
		{ "newreno", &tcp_cc_newreno },
		{ "cubic", &tcp_cc_cubic },
		{ "vegas", &tcp_cc_vegas },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const struct tcp_cc_ops *ops = tcp_cc_find(all[i].name);

		assert_ptr_equal(ops, all[i].ops);
		assert_string_equal(ops->name, all[i].name);
		/* What the engine calls unconditionally must be there. */
		assert_non_null(ops->init);
		assert_non_null(ops->cong_avoid);
		assert_non_null(ops->ssthresh);
		assert_null(ops->cong_control);
	}
	assert_null(tcp_cc_find("bbr"));
	assert_null(tcp_cc_find("Cubic")); /* names are case-sensitive, as Linux */
	assert_null(tcp_cc_find("cubic "));
	assert_null(tcp_cc_find(""));
	assert_null(tcp_cc_find(NULL));
}

static void recovery_flavour_flags(void **state)
{
	(void)state;
	/* RFC 5681 3.2 Reno leaves recovery on the first new ACK; RFC 6582 NewReno at
	 * the recovery point. The engine reads this flag. */
	assert_int_equal(tcp_cc_reno.flags & TCP_CC_FLAG_RENO_RECOVERY, TCP_CC_FLAG_RENO_RECOVERY);
	assert_int_equal(tcp_cc_newreno.flags & TCP_CC_FLAG_RENO_RECOVERY, 0);
	assert_int_equal(tcp_cc_cubic.flags & TCP_CC_FLAG_RENO_RECOVERY, 0);
	assert_int_equal(tcp_cc_vegas.flags & TCP_CC_FLAG_RENO_RECOVERY, 0);
}

static void available_list_matches_table(void **state)
{
	char buf[128];
	int count = 0;

	(void)state;
	assert_string_equal(tcp_cc_available(), "reno newreno cubic vegas");
	/* Every listed name resolves to an algorithm of that name, once. */
	snprintf(buf, sizeof(buf), "%s", tcp_cc_available());
	for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		const struct tcp_cc_ops *ops = tcp_cc_find(tok);

		assert_non_null(ops);
		assert_string_equal(ops->name, tok);
		count++;
	}
	assert_int_equal(count, 4);
}

/* A fake algorithm that records its lifecycle. */
static int fake_inits, fake_releases;
static uint64_t fake_priv_at_init;

static void fake_init(struct tcp_cc *cc)
{
	fake_inits++;
	fake_priv_at_init = 0;
	for (size_t i = 0; i < 16; i++)
		fake_priv_at_init |= cc->priv[i];
	cc->priv[0] = 0xfeed;
}
static void fake_release(struct tcp_cc *cc)
{
	assert_int_equal(cc->priv[0], 0xfeed); /* released before priv is wiped */
	fake_releases++;
}
static void fake_cong_avoid(struct tcp_cc *cc, const struct tcp_ack_sample *s) { (void)cc, (void)s; }
static uint32_t fake_ssthresh(struct tcp_cc *cc) { return cc->cwnd; }

static const struct tcp_cc_ops fake_ops = {
	.name = "fake",
	.init = fake_init,
	.release = fake_release,
	.cong_avoid = fake_cong_avoid,
	.ssthresh = fake_ssthresh,
};

static void switch_releases_inits_and_keeps_windows(void **state)
{
	struct tcp_cc cc;
	struct tcp_cc_vegas_info vi;
	struct tcp_cc_cubic_info ci;

	(void)state;
	fake_inits = fake_releases = 0;
	cch_init(&cc, &fake_ops, SEG(10), UINT32_MAX);
	assert_int_equal(fake_inits, 1);
	assert_int_equal(fake_releases, 0);
	assert_int_equal(fake_priv_at_init, 0);

	/* Same algorithm again: released and initialised afresh. */
	cc.priv[5] = 77;
	tcp_cc_switch(&cc, &fake_ops);
	assert_int_equal(fake_releases, 1);
	assert_int_equal(fake_inits, 2);
	assert_int_equal(fake_priv_at_init, 0);

	/* To CUBIC mid-connection: the old one is released, priv holds CUBIC's fresh
	 * state only, cwnd and ssthresh are untouched. */
	cc.cwnd = SEG(37);
	cc.ssthresh = SEG(20);
	cc.priv[15] = 0x1234;
	tcp_cc_switch(&cc, &tcp_cc_cubic);
	assert_int_equal(fake_releases, 2);
	assert_ptr_equal(cc.ops, &tcp_cc_cubic);
	assert_int_equal(cc.cwnd, SEG(37));
	assert_int_equal(cc.ssthresh, SEG(20));
	assert_int_equal(cc.priv[15], 0);
	tcp_cc_cubic_get_info(&cc, &ci);
	assert_int_equal(ci.w_max, 0);
	assert_false(ci.in_epoch);

	/* CUBIC has no release; to Vegas, whose init state is visible. */
	cch_ack(&cc, MSS, 50000); /* leave some CUBIC state behind */
	tcp_cc_cubic_get_info(&cc, &ci);
	assert_true(ci.in_epoch);
	assert_int_equal(cc.cwnd, SEG(37) + 39); /* Reno-friendly: SMSS * SMSS / cwnd */
	tcp_cc_switch(&cc, &tcp_cc_vegas);
	assert_int_equal(cc.cwnd, SEG(37) + 39);
	assert_int_equal(cc.ssthresh, SEG(20));
	tcp_cc_vegas_get_info(&cc, &vi);
	assert_int_equal(vi.base_rtt_us, UINT32_MAX);
	assert_int_equal(vi.cnt_rtt, 0);
	assert_int_equal(fake_inits, 2);
}

static void slow_start_byte_counting(void **state)
{
	struct tcp_cc cc;

	(void)state;
	cch_init(&cc, &tcp_cc_reno, SEG(10), UINT32_MAX);
	/* RFC 5681 eq. 2 for a full-sized ACK: + SMSS. */
	assert_int_equal(tcp_cc_slow_start(&cc, MSS), 0);
	assert_int_equal(cc.cwnd, SEG(11));
	/* A partial ACK counts its bytes. */
	assert_int_equal(tcp_cc_slow_start(&cc, 100), 0);
	assert_int_equal(cc.cwnd, SEG(11) + 100);
	/* A delayed ACK of two segments: + 2 SMSS (RFC 3465 L = 2*SMSS). */
	assert_int_equal(tcp_cc_slow_start(&cc, SEG(2)), 0);
	assert_int_equal(cc.cwnd, SEG(13) + 100);
	/* A stretch ACK of five: still + 2 SMSS. */
	assert_int_equal(tcp_cc_slow_start(&cc, SEG(5)), 0);
	assert_int_equal(cc.cwnd, SEG(15) + 100);
	/* After an RTO, L = 1*SMSS (RFC 3465 2.3). */
	cc.ca_state = TCP_CA_LOSS;
	assert_int_equal(tcp_cc_slow_start(&cc, SEG(2)), 0);
	assert_int_equal(cc.cwnd, SEG(16) + 100);
}

static void slow_start_stops_at_ssthresh(void **state)
{
	struct tcp_cc cc;

	(void)state;
	cch_init(&cc, &tcp_cc_reno, SEG(10) - 500, SEG(10));
	/* 500 bytes fit below ssthresh; the rest of the counted 1460 is left over. */
	assert_int_equal(tcp_cc_slow_start(&cc, MSS), MSS - 500);
	assert_int_equal(cc.cwnd, SEG(10));
	/* Only the counted part (L = 2 SMSS) can be left over, not a stretch ACK's all. */
	cc.cwnd = SEG(10) - 500;
	assert_int_equal(tcp_cc_slow_start(&cc, SEG(6)), SEG(2) - 500);
	assert_int_equal(cc.cwnd, SEG(10));
	/* At or above ssthresh it is not slow start: everything is handed back. */
	assert_int_equal(tcp_cc_slow_start(&cc, 999), 999);
	assert_int_equal(cc.cwnd, SEG(10));
	/* No ssthresh yet: growth stops at the cap, never wraps. */
	cc.ssthresh = UINT32_MAX;
	cc.cwnd = TCP_CC_CWND_MAX - 10;
	assert_int_equal(tcp_cc_slow_start(&cc, MSS), 0);
	assert_int_equal(cc.cwnd, TCP_CC_CWND_MAX);
	assert_int_equal(tcp_cc_slow_start(&cc, MSS), 0);
	assert_int_equal(cc.cwnd, TCP_CC_CWND_MAX);
}

static void cong_avoid_counts_bytes_exactly(void **state)
{
	struct tcp_cc cc;
	uint32_t cnt = 0;

	(void)state;
	cch_init(&cc, &tcp_cc_reno, SEG(10), SEG(5));
	/* One SMSS per cwnd (14600) bytes acked: nine ACKs are not enough ... */
	for (int i = 0; i < 9; i++)
		tcp_cc_cong_avoid_ai(&cc, SEG(10), MSS, &cnt);
	assert_int_equal(cc.cwnd, SEG(10));
	assert_int_equal(cnt, SEG(9));
	/* ... the tenth is. */
	tcp_cc_cong_avoid_ai(&cc, SEG(10), MSS, &cnt);
	assert_int_equal(cc.cwnd, SEG(11));
	assert_int_equal(cnt, 0);
	/* Odd sizes carry over exactly: 3 * 5000 = 15000 = one window (14600) + 400. */
	for (int i = 0; i < 3; i++)
		tcp_cc_cong_avoid_ai(&cc, SEG(10), 5000, &cnt);
	assert_int_equal(cc.cwnd, SEG(12));
	assert_int_equal(cnt, 400);
	/* A huge ACK covering three windows adds three SMSS at once. */
	tcp_cc_cong_avoid_ai(&cc, 1000, 3000, &cnt);
	assert_int_equal(cc.cwnd, SEG(15));
	assert_int_equal(cnt, 400);
	/* When the window shrank below the credit (400 >= 300), the credit becomes one
	 * SMSS, then counting restarts. */
	tcp_cc_cong_avoid_ai(&cc, 300, 100, &cnt);
	assert_int_equal(cc.cwnd, SEG(16));
	assert_int_equal(cnt, 100);
	/* Never past the cap. */
	cc.cwnd = TCP_CC_CWND_MAX - 1;
	tcp_cc_cong_avoid_ai(&cc, 1, 100, &cnt);
	assert_int_equal(cc.cwnd, TCP_CC_CWND_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(find_by_name),
		cmocka_unit_test(recovery_flavour_flags),
		cmocka_unit_test(available_list_matches_table),
		cmocka_unit_test(switch_releases_inits_and_keeps_windows),
		cmocka_unit_test(slow_start_byte_counting),
		cmocka_unit_test(slow_start_stops_at_ssthresh),
		cmocka_unit_test(cong_avoid_counts_bytes_exactly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
