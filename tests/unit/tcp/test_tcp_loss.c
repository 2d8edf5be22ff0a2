/*
 * test_tcp_loss.c - loss recovery between two stacks: chosen segments are dropped
 * by the link's filter (their first transmission only) and the transfer must end
 * byte-exact, by the mechanism the case is about: SACK recovery (RFC 6675, with
 * RACK RFC 8985 deciding what is lost), NewReno for a peer without SACK (RFC 6582),
 * the tail loss probe (RFC 8985 7) or, with probes off, the RTO (RFC 6298).
 * Then randomized impairments from the simulator (include/ustack/sim.h) across
 * seeds: loss, reordering, duplication, jitter - every run byte-exact.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "tcp/tcp_sock.h"
#include "tcp_app.h"
#include "tcp_env.h"
#include "ustack/sim.h"
#include "ustack/ustack.h"

#define MAX_DROPS 16

/* Drops the first transmission of the data segments starting at chosen stream
 * offsets (A -> B), or the Nth SYN / FIN. */
struct dropper {
	uint32_t isn;
	bool have_isn;
	uint64_t offs[MAX_DROPS];       /* stream offsets whose segment to drop */
	bool done[MAX_DROPS];
	unsigned n;
	bool drop_tail_from_set;        /* drop every first segment at or past tail_from */
	uint64_t tail_from;
	uint64_t dropped;
	uint32_t mss;
	uint64_t seen_max;              /* highest offset seen: retransmissions are below */
};

static bool drop_filter(void *arg, int dir, const struct te_out *f, uint64_t now_ms)
{
	struct dropper *d = arg;
	uint64_t off;

	(void)now_ms;
	if (dir != 0)
		return false;
	if (f->th.flags & TCP_SYN) {
		d->isn = f->th.seq;
		d->have_isn = true;
		return false;
	}
	if (!d->have_isn || !f->len)
		return false;
	off = (uint32_t)(f->th.seq - d->isn - 1);
	if (off < d->seen_max)
		return false;                  /* a retransmission: let it through */
	d->seen_max = off + f->len;
	if (d->drop_tail_from_set && off >= d->tail_from) {
		d->dropped++;
		return true;
	}
	for (unsigned i = 0; i < d->n; i++) {
		if (!d->done[i] && off <= d->offs[i] && d->offs[i] < off + f->len) {
			d->done[i] = true;
			d->dropped++;
			return true;
		}
	}
	return false;
}

static void finish(struct te_link *l, struct xfer *x)
{
	tcp_close(x->rx);
	tcp_close(x->tx);
	tcp_close(x->lst);
	assert_int_equal(te_run(l, 600000, xfer_all_gone, x), 0);
	te_link_free(l);
}

static void check_exact(const struct xfer *x, uint64_t total)
{
	assert_false(x->mismatch);
	assert_int_equal(x->rx_err, 0);
	assert_int_equal(x->tx_err, 0);
	assert_int_equal(x->rcvd, total);
	assert_true(x->tx_hash == x->rx_hash);
}

/* One segment lost mid-stream, SACK on: recovery from SACK/RACK, no timeout. */
static void test_sack_recovery(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(10, &a, &b);
	struct dropper d = { .offs = { 200000 }, .n = 1 };
	struct xfer x = { 0 };

	(void)state;
	te_link_set_filter(l, drop_filter, &d);
	xfer_start(&x, a, b, 80, 1 << 20);
	assert_int_equal(te_run(l, 60000, xfer_step, &x), 0);
	check_exact(&x, 1 << 20);
	assert_int_equal(d.dropped, 1);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPTimeouts], 0);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPSACKRecovery], 1);
	assert_int_equal(a->counters.stat[US_STAT_TcpRetransSegs], 1);
	assert_true(b->counters.stat[US_STAT_TcpExtTCPOFOQueue] >= 3);
	/* PRR (RFC 6937) brought cwnd down to ssthresh, which CUBIC set to 0.7 cwnd. */
	assert_true(x.tx->cc.ssthresh != UINT32_MAX);
	finish(l, &x);
}

/* Several losses in one window, SACK on: one recovery episode repairs them all. */
static void test_sack_multiple_losses(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(10, &a, &b);
	struct dropper d = { .offs = { 300000, 310000, 320000, 330000 }, .n = 4 };
	struct xfer x = { 0 };

	(void)state;
	te_link_set_filter(l, drop_filter, &d);
	xfer_start(&x, a, b, 80, 1 << 20);
	assert_int_equal(te_run(l, 60000, xfer_step, &x), 0);
	check_exact(&x, 1 << 20);
	assert_int_equal(d.dropped, 4);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPTimeouts], 0);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPSACKRecovery], 1);
	assert_int_equal(a->counters.stat[US_STAT_TcpRetransSegs], 4);
	finish(l, &x);
}

/* The receiver does not do SACK: three duplicate ACKs, fast retransmit, NewReno
 * partial ACKs for the second loss of the window (RFC 6582). */
static void test_newreno_recovery(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(10, &a, &b);
	struct dropper d = { .offs = { 200000, 215000 }, .n = 2 };
	struct xfer x = { 0 };

	(void)state;
	assert_int_equal(us_stack_set(b, "net.ipv4.tcp_sack", "0"), 0);
	te_link_set_filter(l, drop_filter, &d);
	xfer_start(&x, a, b, 80, 1 << 20);
	assert_int_equal(te_run(l, 60000, xfer_step, &x), 0);
	check_exact(&x, 1 << 20);
	assert_false(x.tx->flags & TF_SACK_OK);
	assert_int_equal(d.dropped, 2);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPTimeouts], 0);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPRenoRecovery], 1);
	assert_int_equal(a->counters.stat[US_STAT_TcpRetransSegs], 2);
	finish(l, &x);
}

/* The last segments are lost: the tail loss probe repairs them without an RTO. */
static void test_tail_loss_probe(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(10, &a, &b);
	struct dropper d = { .offs = { 100000 - 1000 }, .n = 1 };
	struct xfer x = { 0 };

	(void)state;
	te_link_set_filter(l, drop_filter, &d);
	xfer_start(&x, a, b, 80, 100000);
	x.shut_tx = true;   /* no FIN right behind the data: the tail is really the tail */
	assert_int_equal(te_run(l, 5000, NULL, NULL), 0);
	xfer_step(&x);
	assert_int_equal(te_run(l, 60000, xfer_step, &x) == 0 || x.rcvd == 100000, true);
	assert_int_equal(x.rcvd, 100000);
	assert_int_equal(d.dropped, 1);
	assert_true(a->counters.stat[US_STAT_TcpExtTCPLossProbes] >= 1);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPTimeouts], 0);
	assert_false(x.mismatch);
	finish(l, &x);
}

/* The same with tail loss probes off: the retransmission timer repairs it. */
static void test_tail_loss_rto(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(10, &a, &b);
	struct dropper d = { .drop_tail_from_set = true, .tail_from = 100000 - 3000 };
	struct xfer x = { 0 };

	(void)state;
	assert_int_equal(us_stack_set(a, "net.ipv4.tcp_early_retrans", "0"), 0);
	te_link_set_filter(l, drop_filter, &d);
	xfer_start(&x, a, b, 80, 100000);
	assert_int_equal(te_run(l, 60000, xfer_step, &x), 0);
	check_exact(&x, 100000);
	assert_true(d.dropped >= 3);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPLossProbes], 0);
	assert_true(a->counters.stat[US_STAT_TcpExtTCPTimeouts] >= 1);
	assert_true(a->counters.stat[US_STAT_TcpExtTCPSlowStartRetrans] >= 1);
	finish(l, &x);
}

/* A loss mid-window and one at the very tail, SACK on, RFC 6675 loss detection: the
 * first starts recovery; nothing above the tail can be SACKed, so only the rescue
 * retransmission (RFC 6675 4 NextSeg rule 4) repairs it without waiting for the RTO
 * (no tail loss probe in recovery, RFC 8985 7.2). */
/* The initial window (10 segments of 1448 bytes): all in flight at once. */
#define RESCUE_TOTAL 14480

static void test_rescue_retransmission(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(10, &a, &b);
	struct dropper d = { .offs = { 4000, RESCUE_TOTAL - 1 }, .n = 2 };
	struct xfer x = { 0 };

	(void)state;
	/* RACK would find the tail by time once the first retransmission is delivered
	 * (RFC 8985 6.2); this is about RFC 6675 alone, DupThresh loss detection. */
	assert_int_equal(us_stack_set(a, "net.ipv4.tcp_recovery", "0"), 0);
	te_link_set_filter(l, drop_filter, &d);
	xfer_start(&x, a, b, 80, RESCUE_TOTAL);
	x.shut_tx = true;   /* no FIN behind the data: the tail is really the tail */
	assert_int_equal(te_run(l, 5000, NULL, NULL), 0);
	xfer_step(&x);
	assert_int_equal(te_run(l, 60000, xfer_step, &x) == 0 || x.rcvd == RESCUE_TOTAL, true);
	assert_int_equal(x.rcvd, RESCUE_TOTAL);
	assert_false(x.mismatch);
	assert_int_equal(d.dropped, 2);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPSACKRecovery], 1);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPTimeouts], 0);
	assert_int_equal(a->counters.stat[US_STAT_TcpRetransSegs], 2);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPFastRetrans], 2);
	finish(l, &x);
}

/* A loss mid-stream, repaired by SACK recovery; the last 88 bytes, held by Nagle
 * until everything before them is acknowledged, go alone and are lost too. Their
 * PTO (2 SRTT + WCDelAckT, one segment in flight) is later than the RTO (SRTT +
 * 200 ms): RFC 8985 7.2 then sends the probe at the RTO's time instead of the RTO,
 * which repairs the tail without a timeout and its cwnd collapse. */
static void test_tlp_after_recovery(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(10, &a, &b);
	struct dropper d = { .offs = { 50000, 100000 - 1 }, .n = 2 };
	struct xfer x = { 0 };

	(void)state;
	te_link_set_filter(l, drop_filter, &d);
	xfer_start(&x, a, b, 80, 100000);
	x.shut_tx = true;   /* no FIN behind the data */
	assert_int_equal(te_run(l, 5000, NULL, NULL), 0);
	xfer_step(&x);
	assert_int_equal(te_run(l, 60000, xfer_step, &x) == 0 || x.rcvd == 100000, true);
	assert_int_equal(x.rcvd, 100000);
	assert_false(x.mismatch);
	assert_int_equal(d.dropped, 2);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPSACKRecovery], 1);
	assert_true(a->counters.stat[US_STAT_TcpExtTCPLossProbes] >= 1);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPTimeouts], 0);
	finish(l, &x);
}

/* RACK off (net.ipv4.tcp_recovery=0): RFC 6675 DupThresh alone. */
static void test_dupthresh_recovery(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(10, &a, &b);
	struct dropper d = { .offs = { 400000 }, .n = 1 };
	struct xfer x = { 0 };

	(void)state;
	assert_int_equal(us_stack_set(a, "net.ipv4.tcp_recovery", "0"), 0);
	te_link_set_filter(l, drop_filter, &d);
	xfer_start(&x, a, b, 80, 1 << 20);
	assert_int_equal(te_run(l, 60000, xfer_step, &x), 0);
	check_exact(&x, 1 << 20);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPTimeouts], 0);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPSACKRecovery], 1);
	finish(l, &x);
}

/* Lost handshake segments: the SYN is retransmitted after 1 s (RFC 6298 2.1). */
struct syn_drop {
	unsigned syns;
};

static bool syn_filter(void *arg, int dir, const struct te_out *f, uint64_t now_ms)
{
	struct syn_drop *s = arg;

	(void)now_ms;
	if (dir == 0 && (f->th.flags & TCP_SYN))
		return s->syns++ == 0;
	return false;
}

static void test_syn_lost(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(5, &a, &b);
	struct syn_drop s = { 0 };
	struct xfer x = { 0 };
	uint64_t t0 = 0;

	(void)state;
	te_link_set_filter(l, syn_filter, &s);
	t0 = te_now_ms(a);
	xfer_start(&x, a, b, 80, 10000);
	assert_int_equal(te_run(l, 10000, xfer_step, &x), 0);
	check_exact(&x, 10000);
	assert_int_equal(s.syns, 2);
	assert_true(te_now_ms(a) - t0 >= 1000);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPSynRetrans], 1);
	/* Karn: no RTT sample from the retransmitted SYN; the data gave one. */
	assert_true(x.tx->srtt_us > 0 && x.tx->srtt_us < 100000);
	finish(l, &x);
}

/* ---- randomized impairments from the simulator ---- */

struct sim_xfer {
	struct xfer x;
};

static bool sim_done(void *arg) { return xfer_step(arg); }

static bool sim_gone(void *arg) { return xfer_all_gone(arg); }

static void run_sim_c(uint64_t seed, double loss, double reorder, double dup, double corrupt,
		      uint64_t jitter_ns, uint64_t total)
{
	struct us_sim *sim = us_sim_new(seed);
	struct us_stack *a, *b;
	struct us_sim_link_cfg cfg = {
		.loss = loss, .reorder = reorder, .dup = dup, .corrupt = corrupt,
		.delay_ns = 5 * US_NSEC_PER_MSEC, .jitter_ns = jitter_ns,
	};
	struct xfer x = { 0 };
	int r;

	assert_non_null(sim);
	a = us_sim_add_stack(sim, "a");
	b = us_sim_add_stack(sim, "b");
	assert_int_equal(us_sim_link(sim, a, "s0", TE_PEER, b, "s1", TE_US, 24, &cfg, &cfg), 0);
	xfer_start(&x, a, b, 80, total);
	r = us_sim_run(sim, us_sim_now_ns(sim) + 600 * US_NSEC_PER_SEC, sim_done, &x);
	if (r != 0 || x.mismatch || x.rcvd != total)
		print_message("seed %llu: run %d rcvd %llu mismatch %d rx_err %d tx_err %d\n",
			      (unsigned long long)seed, r, (unsigned long long)x.rcvd, x.mismatch,
			      x.rx_err, x.tx_err);
	assert_int_equal(r, 0);
	check_exact(&x, total);
	if (corrupt > 0) {
		struct us_sim_link_stats ls;

		assert_int_equal(us_sim_link_stats(sim, b, "s1", &ls), 0);
		assert_true(ls.corrupted > 0);
		/* Every corrupted frame was caught by a checksum somewhere below or in TCP. */
		assert_true(b->counters.stat[US_STAT_TcpInCsumErrors] +
				    b->counters.drop[US_DROP_IP_CSUM] > 0);
	}
	tcp_close(x.rx);
	tcp_close(x.tx);
	tcp_close(x.lst);
	assert_int_equal(us_sim_run(sim, us_sim_now_ns(sim) + 1200 * US_NSEC_PER_SEC, sim_gone, &x), 0);
	assert_int_equal(a->pool.in_use + a->pool.large_in_use, 0);
	assert_int_equal(b->pool.in_use + b->pool.large_in_use, 0);
	us_sim_free(sim);
}

static void run_sim(uint64_t seed, double loss, double reorder, double dup, uint64_t jitter_ns,
		    uint64_t total)
{
	run_sim_c(seed, loss, reorder, dup, 0, jitter_ns, total);
}

/* Bit flips: the checksums (IP, TCP) catch them; the transfer stays byte-exact. */
static void test_sim_corruption(void **state)
{
	(void)state;
	for (uint64_t seed = 200; seed <= 203; seed++)
		run_sim_c(seed, 0.01, 0.01, 0, 0.03, US_NSEC_PER_MSEC, 256 * 1024);
}

static void test_sim_random_loss(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 8; seed++)
		run_sim(seed, 0.02, 0, 0, 0, 512 * 1024);
}

static void test_sim_heavy_impairment(void **state)
{
	(void)state;
	for (uint64_t seed = 100; seed <= 105; seed++)
		run_sim(seed, 0.05, 0.05, 0.02, 2 * US_NSEC_PER_MSEC, 256 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sack_recovery),
		cmocka_unit_test(test_sack_multiple_losses),
		cmocka_unit_test(test_newreno_recovery),
		cmocka_unit_test(test_tail_loss_probe),
		cmocka_unit_test(test_tail_loss_rto),
		cmocka_unit_test(test_rescue_retransmission),
		cmocka_unit_test(test_tlp_after_recovery),
		cmocka_unit_test(test_dupthresh_recovery),
		cmocka_unit_test(test_syn_lost),
		cmocka_unit_test(test_sim_random_loss),
		cmocka_unit_test(test_sim_heavy_impairment),
		cmocka_unit_test(test_sim_corruption),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
