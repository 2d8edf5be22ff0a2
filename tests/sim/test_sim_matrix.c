/*
 * test_sim_matrix.c - randomized transfers through the simulator (include/ustack/sim.h)
 * across many seeds: every one must end byte-exact, in bounded virtual time, with no
 * packet buffer left behind.
 *
 * Each seed picks (deterministically) an impairment profile, a congestion-control
 * module (reno, newreno, cubic, vegas), the negotiated options (SACK, timestamps,
 * window scaling, each on or off), a transfer size and a write size. The profiles cover
 * loss 0-10 %, reordering, duplication, jitter, corruption, a bandwidth limit with a
 * short queue, heavy loss of the ACKs only, and tiny or zero receive windows with a
 * reader that keeps pausing. test_partition cuts the link for 10 s mid-transfer. A
 * failing case prints its seed and profile; it replays alone with
 *     SIM_SEED=<seed> build/tests/sim/test_sim_matrix
 * and SIM_SEEDS=<n> runs seeds 1..n instead of the default matrix. SIM_VERBOSE=1 prints
 * one line per seed (virtual time taken, timeouts, retransmissions), SIM_TRACE=1 the
 * sender's progress within a seed.
 *
 * "No stall" is checked as a bound on virtual time: the transfer must finish within
 * XFER_LIMIT_S, far above what the slowest profile needs (a stall would sit in
 * ever-longer backoffs, or deadlock, which us_sim_run reports as -EDEADLK).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/hash.h"
#include "tcp/tcp_sock.h"
#include "tcp_app.h"
#include "tcp_env.h"
#include "ustack/sim.h"
#include "ustack/ustack.h"

#define MATRIX_SEEDS 520        /* 13 profiles x 4 modules x 10 */
#define XFER_LIMIT_S 300        /* virtual seconds a transfer may take at most */
#define MS US_NSEC_PER_MSEC

struct profile {
	const char *name;
	struct us_sim_link_cfg link;    /* both directions ... */
	bool ack_path_only;             /* ... or only receiver -> sender (the ACKs) */
	int rcvbuf;                     /* receiver's SO_RCVBUF (0 = default, autotuned) */
	uint32_t rd_chunk;              /* bytes per read (0 = all) */
	uint64_t pause_every_ms;        /* the reader pauses this often ... */
	uint64_t pause_ms;              /* ... for this long (0 = never) */
};

static const struct profile profiles[] = {
	{ "clean", { .delay_ns = 5 * MS } },
	{ "loss1", { .loss = 0.01, .delay_ns = 5 * MS } },
	{ "loss5", { .loss = 0.05, .delay_ns = 10 * MS } },
	{ "loss10", { .loss = 0.10, .delay_ns = 5 * MS } },
	{ "reorder", { .reorder = 0.10, .delay_ns = 5 * MS, .jitter_ns = 2 * MS } },
	{ "dup", { .dup = 0.05, .delay_ns = 5 * MS } },
	{ "corrupt", { .corrupt = 0.02, .loss = 0.01, .delay_ns = 5 * MS } },
	{ "jitter", { .delay_ns = 10 * MS, .jitter_ns = 8 * MS } },
	{ "rate", { .delay_ns = 20 * MS, .rate_bps = 10000000, .limit = 20 } },
	{ "mixed", { .loss = 0.03, .reorder = 0.05, .dup = 0.02, .corrupt = 0.01,
		     .delay_ns = 10 * MS, .jitter_ns = 3 * MS, .rate_bps = 50000000, .limit = 100 } },
	{ "tinywin", { .loss = 0.02, .delay_ns = 3 * MS }, .rcvbuf = 4096, .rd_chunk = 700,
	  .pause_every_ms = 150, .pause_ms = 100 },
	{ "zerowin", { .loss = 0.01, .reorder = 0.02, .delay_ns = 5 * MS }, .rcvbuf = 8192,
	  .rd_chunk = 3000, .pause_every_ms = 200, .pause_ms = 700 },
	{ "ackloss", { .loss = 0.20, .reorder = 0.05, .delay_ns = 10 * MS }, .ack_path_only = true },
};
#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))

static const char *const ccs[] = { "reno", "newreno", "cubic", "vegas" };

/* What one seed runs. */
struct scenario {
	uint64_t seed;
	const struct profile *pr;
	const char *cc;
	bool sack, ts, ws;
	uint64_t total;
	uint32_t wr_chunk;
};

static void scenario_of(uint64_t seed, struct scenario *sc)
{
	uint64_t h = us_mix64(seed ^ 0x5eedf00dULL);

	sc->seed = seed;
	sc->pr = &profiles[seed % NPROFILES];
	sc->cc = ccs[(seed / NPROFILES) % 4];
	/* Options: all on for half the seeds, a random mix for the others. */
	if (h & 1) {
		sc->sack = sc->ts = sc->ws = true;
	} else {
		sc->sack = (h >> 1) & 1;
		sc->ts = (h >> 2) & 1;
		sc->ws = (h >> 3) & 1;
	}
	sc->total = 16384 + (h >> 8) % (240 * 1024);
	{
		static const uint32_t chunks[] = { 0, 1000, 1448, 4096, 100 };

		sc->wr_chunk = chunks[(h >> 40) % 5];
	}
	/* Tiny writes on a big transfer cost many rounds: keep those short. */
	if (sc->wr_chunk == 100 && sc->total > 32768)
		sc->total = 32768;
}

static void describe(const struct scenario *sc, char *buf, size_t len)
{
	snprintf(buf, len, "seed %llu profile %s cc %s sack %d ts %d ws %d total %llu wr %u",
		 (unsigned long long)sc->seed, sc->pr->name, sc->cc, sc->sack, sc->ts, sc->ws,
		 (unsigned long long)sc->total, sc->wr_chunk);
}

struct run {
	struct xfer x;
	const struct profile *pr;
	uint64_t next_pause_ms;
};

static bool trace;      /* SIM_TRACE set: print the sender's progress (debugging aid) */

/* One line whenever SND.UNA moves or an RTO fired. */
static void trace_sender(struct tcp_sock *tp, uint64_t now)
{
	static uint64_t last_to = UINT64_MAX;
	static uint32_t last_una;
	uint64_t to = tp->st->counters.stat[US_STAT_TcpExtTCPTimeouts];

	if (to == last_to && tp->snd.una == last_una)
		return;
	print_message("  %llu ms: una +%u nxt +%u timeouts %llu rto %u backoff %u srtt %u us "
		      "rttvar %u us ca %d cwnd %u\n",
		      (unsigned long long)now, tp->snd.una - tp->snd.iss, tp->snd.nxt - tp->snd.iss,
		      (unsigned long long)to, tcp_rto_ms(tp), tp->backoff, tp->srtt_us,
		      tp->rttvar_us, tp->cc.ca_state, tp->cc.cwnd);
	last_to = to;
	last_una = tp->snd.una;
}

/* The application's round: the reader pauses now and then, then xfer_step. */
static bool run_step(void *arg)
{
	struct run *r = arg;
	uint64_t now = r->x.b->now_ms;

	if (trace && r->x.tx)
		trace_sender(r->x.tx, now);
	if (r->pr->pause_ms && now >= r->next_pause_ms) {
		r->x.rd_pause_until_ms = now + r->pr->pause_ms;
		r->next_pause_ms = now + r->pr->pause_ms + r->pr->pause_every_ms;
	}
	return xfer_step(&r->x);
}

/*
 * Runs the simulation with the application until the transfer ends or @until_ns. The
 * reader's pause is the application's own timer, which the simulator cannot see: when
 * the network has nothing left to do while the reader sleeps (-EDEADLK), time moves to
 * the end of the pause. A deadlock with the reader awake is a real stall.
 */
static int run_app(struct us_sim *sim, struct run *r, uint64_t until_ns)
{
	for (unsigned spins = 0;;) {
		int rc = us_sim_run(sim, until_ns, run_step, r);
		uint64_t wake_ns = r->x.rd_pause_until_ms * MS;

		if (rc != -EDEADLK)
			return rc;
		if (wake_ns > us_sim_now_ns(sim)) {
			if (wake_ns > until_ns)
				return -ETIMEDOUT;
			assert_int_equal(us_sim_run(sim, wake_ns, NULL, NULL), -ETIMEDOUT);
			continue;
		}
		/* A slow reader takes one chunk per round: more rounds while it has data
		 * to read (bounded: a socket readable for ever with nothing to read would
		 * be a bug of its own). */
		if (r->x.rx && (tcp_poll(r->x.rx) & POLLIN) && ++spins < 1000000)
			continue;
		return rc;
	}
}

static bool run_gone(void *arg) { return xfer_all_gone(&((struct run *)arg)->x); }

static void set_opts(struct us_stack *st, const struct scenario *sc)
{
	assert_int_equal(us_stack_set(st, "net.ipv4.tcp_sack", sc->sack ? "1" : "0"), 0);
	assert_int_equal(us_stack_set(st, "net.ipv4.tcp_timestamps", sc->ts ? "1" : "0"), 0);
	assert_int_equal(us_stack_set(st, "net.ipv4.tcp_window_scaling", sc->ws ? "1" : "0"), 0);
	assert_int_equal(tcp_set_default_cc(st, sc->cc), 0);
}

/* Totals per profile: proof that each profile's impairments really happened. */
struct tally {
	unsigned runs;
	uint64_t lost, dup, corrupt, reorder, qdrop, probes, retrans, bytes;
};
static struct tally tallies[NPROFILES];
static uint64_t slowest_ms, slowest_seed;     /* the longest transfer, virtual time */

/* Runs one seed; returns false (after printing why) instead of asserting, so the
 * caller can name the seed. */
static bool run_seed(uint64_t seed)
{
	struct scenario sc;
	struct us_sim *sim = us_sim_new(seed);
	struct us_stack *a, *b;
	struct run r = { 0 };
	struct us_sim_link_stats ls[2];
	struct tally *t;
	char what[160];
	uint64_t t0;
	int rc, rc2;
	bool ok;

	scenario_of(seed, &sc);
	describe(&sc, what, sizeof(what));
	assert_non_null(sim);
	a = us_sim_add_stack(sim, "a");
	b = us_sim_add_stack(sim, "b");
	assert_non_null(a);
	assert_non_null(b);
	set_opts(a, &sc);
	set_opts(b, &sc);
	assert_int_equal(us_sim_link(sim, a, "s0", TE_PEER, b, "s1", TE_US, 24,
				     sc.pr->ack_path_only ? NULL : &sc.pr->link, &sc.pr->link), 0);
	r.pr = sc.pr;
	r.x.rd_chunk = sc.pr->rd_chunk;
	r.x.wr_chunk = sc.wr_chunk;
	r.x.lst = tcp_sock_new(b);
	assert_non_null(r.x.lst);
	if (sc.pr->rcvbuf)
		assert_int_equal(tcp_setsockopt(r.x.lst, SOL_SOCKET, SO_RCVBUF, &sc.pr->rcvbuf,
						sizeof(sc.pr->rcvbuf)), 0);
	assert_int_equal(tcp_bind(r.x.lst, 0, 80), 0);
	assert_int_equal(tcp_listen(r.x.lst, 8), 0);
	r.x.tx = tcp_sock_new(a);
	assert_non_null(r.x.tx);
	assert_int_equal(tcp_setsockopt(r.x.tx, 6, 13 /* TCP_CONGESTION */, sc.cc, strlen(sc.cc)),
			 0);
	xfer_start(&r.x, a, b, 80, sc.total);
	t0 = a->now_ms;
	r.next_pause_ms = t0 + 50;
	rc = run_app(sim, &r, us_sim_now_ns(sim) + XFER_LIMIT_S * US_NSEC_PER_SEC);
	ok = rc == 0 && !r.x.mismatch && !r.x.rx_err && !r.x.tx_err && r.x.eof &&
	     r.x.rcvd == sc.total && r.x.tx_hash == r.x.rx_hash;
	if (ok) {
		/* What was negotiated is what the seed asked for. */
		ok = !!(r.x.tx->flags & TF_SACK_OK) == sc.sack &&
		     !!(r.x.tx->flags & TF_TS_OK) == sc.ts && !!(r.x.tx->flags & TF_WSCALE_OK) == sc.ws &&
		     strcmp(r.x.tx->cc.ops->name, sc.cc) == 0;
		if (!ok)
			print_message("FAIL %s: negotiated sack %d ts %d ws %d cc %s\n", what,
				      !!(r.x.tx->flags & TF_SACK_OK), !!(r.x.tx->flags & TF_TS_OK),
				      !!(r.x.tx->flags & TF_WSCALE_OK), r.x.tx->cc.ops->name);
	} else {
		print_message("FAIL %s: run %d at %llu ms, rcvd %llu/%llu eof %d mismatch %d "
			      "rx_err %d tx_err %d tx state %d una-iss %u rx state %d\n",
			      what, rc, (unsigned long long)(us_sim_now_ns(sim) / MS),
			      (unsigned long long)r.x.rcvd, (unsigned long long)sc.total, r.x.eof,
			      r.x.mismatch, r.x.rx_err, r.x.tx_err, r.x.tx ? (int)r.x.tx->state : -1,
			      r.x.tx ? r.x.tx->snd.una - r.x.tx->snd.iss : 0,
			      r.x.rx ? (int)r.x.rx->state : -1);
	}
	if (getenv("SIM_VERBOSE"))
		print_message("  %s: %llu ms, timeouts %llu (undone %llu), retransmitted %llu of %llu "
			      "segments\n", what, (unsigned long long)(a->now_ms - t0),
			      (unsigned long long)a->counters.stat[US_STAT_TcpExtTCPTimeouts],
			      (unsigned long long)a->counters.stat[US_STAT_TcpExtTCPLossUndo],
			      (unsigned long long)a->counters.stat[US_STAT_TcpRetransSegs],
			      (unsigned long long)a->counters.stat[US_STAT_TcpOutSegs]);
	if (a->now_ms - t0 > slowest_ms) {
		slowest_ms = a->now_ms - t0;
		slowest_seed = seed;
	}
	t = &tallies[sc.pr - profiles];
	t->runs++;
	t->bytes += r.x.rcvd;
	t->retrans += a->counters.stat[US_STAT_TcpRetransSegs];
	t->probes += a->counters.stat[US_STAT_TcpExtTCPWinProbe];
	assert_int_equal(us_sim_link_stats(sim, b, "s1", &ls[0]), 0);
	assert_int_equal(us_sim_link_stats(sim, a, "s0", &ls[1]), 0);
	for (int i = 0; i < 2; i++) {
		t->lost += ls[i].lost;
		t->dup += ls[i].duplicated;
		t->corrupt += ls[i].corrupted;
		t->reorder += ls[i].reordered;
		t->qdrop += ls[i].queue_drops;
	}
	/* Everything closes and every timer runs out: no connection, record or buffer left. */
	if (r.x.rx)
		tcp_close(r.x.rx);
	tcp_close(r.x.tx);
	tcp_close(r.x.lst);
	rc2 = us_sim_run(sim, us_sim_now_ns(sim) + 1200 * US_NSEC_PER_SEC, run_gone, &r);
	if (rc2 != 0) {
		print_message("FAIL %s: teardown run %d, socks %u/%u tw %u/%u\n", what, rc2,
			      a->tcp->nsocks, b->tcp->nsocks, a->tcp->ntw, b->tcp->ntw);
		ok = false;
	}
	/* The last frames may still be on the wire (a stale duplicate the closed port
	 * answered with an RST ended a TIME-WAIT early): let them land. */
	assert_int_equal(us_sim_run(sim, us_sim_now_ns(sim) + 10 * US_NSEC_PER_SEC, NULL, NULL),
			 -ETIMEDOUT);
	if (a->pool.in_use + a->pool.large_in_use + b->pool.in_use + b->pool.large_in_use) {
		print_message("FAIL %s: packet buffers leaked\n", what);
		ok = false;
	}
	us_sim_free(sim);
	return ok;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

static void test_matrix(void **state)
{
	uint64_t only = env_u64("SIM_SEED", 0), n = env_u64("SIM_SEEDS", MATRIX_SEEDS);
	unsigned failed = 0;

	(void)state;
	trace = getenv("SIM_TRACE") != NULL;
	if (only) {
		assert_true(run_seed(only));
		return;
	}
	for (uint64_t seed = 1; seed <= n; seed++)
		if (!run_seed(seed))
			failed++;
	for (unsigned i = 0; i < NPROFILES; i++) {
		const struct tally *t = &tallies[i];

		print_message("  %-8s runs %3u bytes %8llu retrans %5llu lost %5llu dup %4llu "
			      "corrupt %4llu reorder %4llu qdrop %4llu winprobes %llu\n",
			      profiles[i].name, t->runs, (unsigned long long)t->bytes,
			      (unsigned long long)t->retrans, (unsigned long long)t->lost,
			      (unsigned long long)t->dup, (unsigned long long)t->corrupt,
			      (unsigned long long)t->reorder, (unsigned long long)t->qdrop,
			      (unsigned long long)t->probes);
	}
	print_message("  slowest: seed %llu, %llu ms of virtual time (limit %d s)\n",
		      (unsigned long long)slowest_seed, (unsigned long long)slowest_ms, XFER_LIMIT_S);
	assert_int_equal(failed, 0);
	if (n != MATRIX_SEEDS)
		return;
	/* Each profile did to the frames what it says (over all its seeds). */
	for (unsigned i = 0; i < NPROFILES; i++) {
		const struct profile *p = &profiles[i];
		const struct tally *t = &tallies[i];

		assert_int_equal(t->runs, MATRIX_SEEDS / NPROFILES);
		if (p->link.loss > 0)
			assert_true(t->lost > 0 && (p->ack_path_only || t->retrans > 0));
		if (p->link.dup > 0)
			assert_true(t->dup > 0);
		if (p->link.corrupt > 0)
			assert_true(t->corrupt > 0);
		if (p->link.reorder > 0)
			assert_true(t->reorder > 0);
		if (p->link.rate_bps && p->link.limit <= 20)
			assert_true(t->qdrop > 0);
		if (p->rcvbuf)
			assert_true(t->probes > 0);     /* the window really closed */
		if (!p->link.loss && !p->link.corrupt && !p->link.rate_bps && !p->link.reorder &&
		    !p->link.dup && !p->link.jitter_ns)
			assert_int_equal(t->retrans, 0);
	}
}

/* done(): the receiver got at least ->want bytes (or the transfer ended). */
struct part {
	struct xfer x;
	uint64_t want;
};

static bool part_step(void *arg)
{
	struct part *p = arg;

	return xfer_step(&p->x) || p->x.rcvd >= p->want;
}

static bool part_done(void *arg) { return xfer_step(&((struct part *)arg)->x); }

static bool part_gone(void *arg) { return xfer_all_gone(&((struct part *)arg)->x); }

/*
 * A partition: after 200 KB both directions lose everything for 10 s, then the link
 * heals. Nothing crosses meanwhile, the sender backs off (RTOs at 0.2, 0.6, 1.4, 3,
 * 6.2 s ... after the last ACK), no error reaches either application, and once healed
 * the transfer finishes byte-exact within one more backed-off RTO, with the backoff
 * reset by the first new ACK.
 */
static void test_partition(void **state)
{
	static const struct us_sim_link_cfg lan = { .delay_ns = 10 * MS };
	static const struct us_sim_link_cfg cut = { .loss = 1.0, .delay_ns = 10 * MS };
	const uint64_t total = 1 << 20;
	struct us_sim *sim = us_sim_new(4242);
	struct us_stack *a, *b;
	struct part p = { .want = 200000 };
	uint64_t rcvd, t_heal;

	(void)state;
	a = us_sim_add_stack(sim, "a");
	b = us_sim_add_stack(sim, "b");
	assert_int_equal(us_sim_link(sim, a, "s0", TE_PEER, b, "s1", TE_US, 24, &lan, &lan), 0);
	xfer_start(&p.x, a, b, 80, total);
	assert_int_equal(us_sim_run(sim, us_sim_now_ns(sim) + 60 * US_NSEC_PER_SEC, part_step, &p),
			 0);
	assert_true(p.x.rcvd >= p.want && p.x.rcvd < total);
	assert_int_equal(us_sim_link_set(sim, b, "s1", &cut), 0);
	assert_int_equal(us_sim_link_set(sim, a, "s0", &cut), 0);
	/* The frames already on the wire still land (10 ms); then nothing for 10 s. */
	assert_int_equal(us_sim_run(sim, us_sim_now_ns(sim) + 20 * MS, NULL, NULL), -ETIMEDOUT);
	xfer_step(&p.x);
	rcvd = p.x.rcvd;
	assert_int_equal(us_sim_run(sim, us_sim_now_ns(sim) + 10 * US_NSEC_PER_SEC - 20 * MS,
				    NULL, NULL), -ETIMEDOUT);
	xfer_step(&p.x);
	assert_int_equal(p.x.rcvd, rcvd);
	assert_true(a->counters.stat[US_STAT_TcpExtTCPTimeouts] >= 5);
	assert_true(p.x.tx->backoff >= 5);
	assert_int_equal(p.x.tx->state, TCP_ESTABLISHED);
	assert_int_equal(p.x.tx_err + p.x.rx_err, 0);
	/* Healed: done within the next backed-off RTO (at most 2^backoff * RTO away). */
	assert_int_equal(us_sim_link_set(sim, b, "s1", &lan), 0);
	assert_int_equal(us_sim_link_set(sim, a, "s0", &lan), 0);
	t_heal = us_sim_now_ns(sim);
	assert_int_equal(us_sim_run(sim, t_heal + 30 * US_NSEC_PER_SEC, part_done, &p), 0);
	assert_false(p.x.mismatch);
	assert_int_equal(p.x.rcvd, total);
	assert_true(p.x.tx_hash == p.x.rx_hash);
	assert_true(us_sim_now_ns(sim) - t_heal <= (uint64_t)tcp_rto_ms(p.x.tx) * MS +
							   20 * US_NSEC_PER_SEC);
	assert_int_equal(p.x.tx->backoff, 0);
	print_message("  partition: %llu timeouts, healed after 10 s, done %llu ms later\n",
		      (unsigned long long)a->counters.stat[US_STAT_TcpExtTCPTimeouts],
		      (unsigned long long)((us_sim_now_ns(sim) - t_heal) / MS));
	tcp_close(p.x.rx);
	tcp_close(p.x.tx);
	tcp_close(p.x.lst);
	assert_int_equal(us_sim_run(sim, us_sim_now_ns(sim) + 600 * US_NSEC_PER_SEC, part_gone, &p),
			 0);
	assert_int_equal(us_sim_run(sim, us_sim_now_ns(sim) + 10 * US_NSEC_PER_SEC, NULL, NULL),
			 -ETIMEDOUT);
	assert_int_equal(a->pool.in_use + a->pool.large_in_use, 0);
	assert_int_equal(b->pool.in_use + b->pool.large_in_use, 0);
	us_sim_free(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_partition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
