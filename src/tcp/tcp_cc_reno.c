/*
 * tcp_cc_reno.c - Reno and NewReno window growth and reduction (RFC 5681).
 *
 * Both algorithms grow and shrink cwnd the same way; they differ only in how the
 * engine leaves fast recovery, which it reads from ops->flags: "reno" sets
 * TCP_CC_FLAG_RENO_RECOVERY (RFC 5681 3.2: the first ACK that advances SND.UNA
 * ends recovery), "newreno" does not (RFC 6582: recovery lasts until the recovery
 * point is acked).
 *
 * Mechanism:
 *   - slow start while cwnd < ssthresh: cwnd += min(acked, L) per ACK, L = 2*SMSS
 *     (1*SMSS after an RTO), RFC 3465 2.2/2.3 (tcp_cc_slow_start);
 *   - congestion avoidance: one SMSS each time a cwnd's worth of bytes is acked
 *     (RFC 5681 3.1 byte counting, the exact form of eq. 3);
 *   - no growth in congestion avoidance while the sender is application-limited
 *     (RFC 7661's concern; slow start is gated by the engine, which calls only
 *     when cwnd may grow, as Linux's tcp_is_cwnd_limited);
 *   - ssthresh = max(FlightSize / 2, 2*SMSS) at a congestion event (eq. 4); after
 *     an RTO the engine sets cwnd to the loss window, 1 SMSS;
 *   - undo: back to the cwnd before the episode (Linux's tcp_reno_undo_cwnd) and
 *     to the ssthresh before it.
 *
 * Read first: RFC 5681 3.1 and 3.2, RFC 3465 2, RFC 6582 3.
 */
#include <string.h>

#include "tcp/tcp_cc.h"

struct reno {
	uint32_t ai_cnt;         /* bytes acked toward the next SMSS of growth */
	uint32_t prior_cwnd;     /* cwnd when the current episode began */
	uint32_t prior_ssthresh; /* ssthresh when the current episode began */
	uint8_t in_episode;      /* a reduction is in progress (undo still possible) */
};
_Static_assert(sizeof(struct reno) <= sizeof(((struct tcp_cc *)0)->priv), "reno state too big");

/* priv is uint64_t[]: copy in and out instead of casting, so no aliasing games. */
static void reno_load(const struct tcp_cc *cc, struct reno *r) { memcpy(r, cc->priv, sizeof(*r)); }
static void reno_store(struct tcp_cc *cc, const struct reno *r) { memcpy(cc->priv, r, sizeof(*r)); }

static void reno_init(struct tcp_cc *cc)
{
	struct reno r = { 0 };

	reno_store(cc, &r);
}

static void reno_cong_avoid(struct tcp_cc *cc, const struct tcp_ack_sample *s)
{
	struct reno r;
	uint32_t acked = s->acked;

	reno_load(cc, &r);
	/* Growth has resumed outside any recovery: the episode is over. */
	if (cc->ca_state <= TCP_CA_DISORDER)
		r.in_episode = 0;
	if (cc->cwnd < cc->ssthresh)
		acked = tcp_cc_slow_start(cc, acked);
	if (acked && !cc->app_limited)
		tcp_cc_cong_avoid_ai(cc, cc->cwnd, acked, &r.ai_cnt);
	reno_store(cc, &r);
}

static uint32_t reno_ssthresh(struct tcp_cc *cc)
{
	struct reno r;

	reno_load(cc, &r);
	/* Remember where the episode started, once: a second event inside the same
	 * episode (an RTO during recovery) must not overwrite it. */
	if (!r.in_episode) {
		r.in_episode = 1;
		r.prior_cwnd = cc->cwnd;
		r.prior_ssthresh = cc->ssthresh;
	}
	r.ai_cnt = 0;
	reno_store(cc, &r);
	return tcp_cc_reno_ssthresh(cc);
}

static void reno_set_state(struct tcp_cc *cc, uint8_t new_state)
{
	struct reno r;

	if (new_state > TCP_CA_DISORDER)
		return;
	reno_load(cc, &r);
	r.in_episode = 0;
	reno_store(cc, &r);
}

static uint32_t reno_undo_cwnd(struct tcp_cc *cc)
{
	struct reno r;
	uint32_t cwnd = cc->cwnd;

	reno_load(cc, &r);
	if (r.in_episode) {
		if (r.prior_cwnd > cwnd)
			cwnd = r.prior_cwnd;
		if (r.prior_ssthresh > cc->ssthresh)
			cc->ssthresh = r.prior_ssthresh;
		r.in_episode = 0;
		reno_store(cc, &r);
	}
	return cwnd;
}

const struct tcp_cc_ops tcp_cc_reno = {
	.name = "reno",
	.flags = TCP_CC_FLAG_RENO_RECOVERY,
	.init = reno_init,
	.cong_avoid = reno_cong_avoid,
	.ssthresh = reno_ssthresh,
	.set_state = reno_set_state,
	.undo_cwnd = reno_undo_cwnd,
};

const struct tcp_cc_ops tcp_cc_newreno = {
	.name = "newreno",
	.init = reno_init,
	.cong_avoid = reno_cong_avoid,
	.ssthresh = reno_ssthresh,
	.set_state = reno_set_state,
	.undo_cwnd = reno_undo_cwnd,
};
