/*
 * tcp_cc_cubic.c - CUBIC (RFC 9438), the default, with HyStart++ (RFC 9406) for the
 * first slow start.
 *
 * Congestion avoidance follows the window curve (RFC 9438 4.2, eq. 1 and 2)
 *     W_cubic(t) = C * (t - K)^3 + W_max,   K = cbrt((W_max - cwnd_epoch) / C)
 * in segments and seconds, C = 0.4, t the time since the congestion-avoidance stage
 * began (t_epoch). On every ACK the target is W_cubic(t + RTT) clamped to
 * [cwnd, 1.5 * cwnd] and cwnd grows by (target - cwnd) / cwnd segments per segment
 * acked (concave region below W_max, 4.4; convex above, 4.5), unless the
 * Reno-friendly estimate W_est (4.3), which grows by alpha_cubic * acked / cwnd with
 * alpha_cubic = 3 (1 - beta) / (1 + beta) = 9/17 (1 once W_est >= cwnd_prior), is
 * above W_cubic(t): then cwnd = W_est.
 * At a congestion event (4.6, 4.7): W_max = cwnd, or cwnd * (1 + beta) / 2 when cwnd
 * is below the previous W_max (fast convergence); cwnd_prior = cwnd; ssthresh =
 * max(beta * cwnd, 2*SMSS) with beta = 0.7. The RFC's formula uses flight_size and
 * allows cwnd when cwnd cannot grow while the sender is application-limited, which
 * holds here (as in Linux).
 * After an RTO (4.8), and when HyStart++ ends slow start without a loss (4.10), the
 * next stage starts with K = 0 and W_max = cwnd_epoch.
 * A spurious event (4.9) restores W_max, K, t_epoch, W_est and cwnd_prior as they
 * were before it, cwnd to its value before the reduction, and ssthresh.
 * Time spent idle or application-limited is not counted in t (RFC 9438 5.8, and
 * Linux's shift of epoch_start on CA_EVENT_TX_START).
 *
 * Integer arithmetic only. Time inside the curve is kept in units of 2^-10 s
 * (0.98 ms, Linux's BICTCP_HZ): K is floor(cbrt(K^3 in those units)), computed
 * exactly by integer Newton-Raphson (tcp_cc_cubic_root), so K is within one unit
 * (< 1 ms) of the real-valued root, and W_cubic(t) within one unit of time plus
 * one byte of the RFC formula. |t - K| is capped at 2^18 units (256 s, a cubic
 * term of 6.7 million segments) so the arithmetic fits 64 bits. W_est is kept in
 * 1/256 bytes.
 *
 * HyStart++ (RFC 9406 4.2): during the initial slow start (ssthresh still at its
 * initial infinity) the minimum RTT of each round is compared with the last
 * round's; once at least N_RTT_SAMPLE samples show an increase of RttThresh,
 * slow start becomes Conservative Slow Start (growth / CSS_GROWTH_DIVISOR) for
 * CSS_ROUNDS rounds (the round CSS was entered in counts as the first), back to
 * slow start if the RTT falls below the baseline, else congestion avoidance with
 * ssthresh = cwnd. Rounds end once the bytes in flight at their start have been
 * delivered (cc->delivered), the equivalent of windowEnd = SND.NXT. Growth uses
 * RFC 3465's L = 2*SMSS, not RFC 9406's L = 8 for unpaced senders.
 *
 * Read first: RFC 9438 4 and 5.8, RFC 9406 4, RFC 5681 3.1.
 */
#include <string.h>

#include "tcp/tcp_cc.h"

enum {
	CUBIC_HZ = 10,                   /* curve time unit: 2^-10 s */
	CUBIC_OFFS_MAX = 1 << 18,        /* cap on |t - K|, in those units */
	CUBIC_BETA_NUM = 7,              /* beta_cubic = 0.7 (RFC 9438 4.6) */
	CUBIC_BETA_DEN = 10,
	CUBIC_FC_NUM = 17,               /* (1 + beta_cubic) / 2 = 0.85 (4.7) */
	CUBIC_FC_DEN = 20,
	CUBIC_ALPHA_NUM = 9,             /* alpha_cubic = 3 * 0.3 / 1.7 = 9/17 (4.3) */
	CUBIC_ALPHA_DEN = 17,
	CUBIC_EST_SHIFT = 8,             /* W_est fixed point: 1/256 byte */
};
/* C = 0.4 segments per s^3 = 2/5 (RFC 9438 5.1). */
#define CUBIC_C_NUM 2u
#define CUBIC_C_DEN 5u

/* HyStart++ constants, RFC 9406 4.3 (times in us). */
enum {
	HS_MIN_RTT_THRESH = 4000,
	HS_MAX_RTT_THRESH = 16000,
	HS_MIN_RTT_DIVISOR = 8,
	HS_N_RTT_SAMPLE = 8,
	HS_CSS_GROWTH_DIVISOR = 4,
	HS_CSS_ROUNDS = 5,
};
enum { HS_SS = 0, HS_CSS = 1, HS_DONE = 2 };
#define HS_INF UINT32_MAX

/* The curve's parameters: what a spurious-event undo puts back (RFC 9438 4.9). */
struct cubic_epoch {
	uint64_t t_epoch_us;  /* start of this congestion-avoidance stage */
	uint64_t w_est;       /* W_est, bytes << CUBIC_EST_SHIFT */
	uint32_t w_max;       /* bytes; 0 before the first congestion event */
	int32_t k;            /* K in 2^-10 s; negative when cwnd_epoch > W_max */
	uint32_t cwnd_prior;  /* cwnd when ssthresh was last set (4.3) */
	uint8_t started;      /* t_epoch, K and W_est are valid */
	uint8_t k_zero;       /* next stage: K = 0, W_max = cwnd_epoch (4.8, 4.10) */
};

struct cubic {
	struct cubic_epoch e;
	struct cubic_epoch prior;  /* e before the current episode */
	uint32_t prior_cwnd;       /* cwnd before the episode's first reduction */
	uint32_t prior_ssthresh;
	uint64_t last_ack_us;      /* time of the last cong_avoid (idle/app-limited time) */
	uint64_t hs_round_end;     /* delivered count that ends the HyStart++ round */
	uint32_t ai_cnt;           /* bytes acked toward the next SMSS (tcp_cc_cong_avoid_ai) */
	uint32_t hs_cur_min;       /* currentRoundMinRTT */
	uint32_t hs_last_min;      /* lastRoundMinRTT */
	uint32_t hs_css_base;      /* cssBaselineMinRtt */
	uint16_t hs_samples;       /* rttSampleCount */
	uint8_t hs_state;          /* HS_SS, HS_CSS, HS_DONE */
	uint8_t hs_css_rounds;
	uint8_t hs_round_started;
	uint8_t in_episode;        /* prior/prior_cwnd/prior_ssthresh are set */
};
_Static_assert(sizeof(struct cubic) <= sizeof(((struct tcp_cc *)0)->priv), "cubic state too big");

static void cubic_load(const struct tcp_cc *cc, struct cubic *ca) { memcpy(ca, cc->priv, sizeof(*ca)); }
static void cubic_store(struct tcp_cc *cc, const struct cubic *ca) { memcpy(cc->priv, ca, sizeof(*ca)); }

static uint32_t clamp_cwnd(uint64_t v) { return v < TCP_CC_CWND_MAX ? (uint32_t)v : TCP_CC_CWND_MAX; }

uint32_t tcp_cc_cubic_root(uint64_t a)
{
	uint64_t x, y;

	if (a == 0)
		return 0;
	/* Start above the root: 2^ceil(bits/3) cubed is >= 2^bits > a. From above,
	 * x' = floor((2x + floor(a / x^2)) / 3) decreases strictly while x > cbrt(a)
	 * and never drops below floor(cbrt(a)) (AM-GM), so it stops exactly there. */
	x = (uint64_t)1 << ((64 - __builtin_clzll(a) + 2) / 3);
	for (;;) {
		y = (2 * x + a / (x * x)) / 3;
		if (y >= x)
			return (uint32_t)x;
		x = y;
	}
}

/* K for a stage starting at @cwnd_epoch (RFC 9438 eq. 2), in 2^-10 s:
 * K^3 = (W_max - cwnd_epoch) / (C * SMSS) s^3 = diff * 5 / (2 * SMSS) * 2^30 units^3. */
static int32_t cubic_k(uint32_t w_max, uint32_t cwnd_epoch, uint32_t smss)
{
	uint64_t diff = w_max > cwnd_epoch ? w_max - cwnd_epoch : cwnd_epoch - w_max;
	uint64_t k3 = ((diff << (3 * CUBIC_HZ)) / (CUBIC_C_NUM * smss)) * CUBIC_C_DEN;
	int32_t k = (int32_t)tcp_cc_cubic_root(k3);

	return w_max >= cwnd_epoch ? k : -k;
}

/* W_cubic(t) in bytes, @t_us after t_epoch (RFC 9438 eq. 1, scaled by SMSS). */
static uint32_t cubic_w(const struct cubic_epoch *e, uint32_t smss, uint64_t t_us)
{
	int64_t t, offs;
	uint64_t a, delta;

	if (t_us > ((uint64_t)1 << 40))
		t_us = (uint64_t)1 << 40;
	t = (int64_t)((t_us << CUBIC_HZ) / 1000000);
	offs = t - e->k;
	a = (uint64_t)(offs < 0 ? -offs : offs);
	if (a > CUBIC_OFFS_MAX)
		a = CUBIC_OFFS_MAX;
	/* C * SMSS * |t - K|^3, the cube in 2^-30 s^3: shift 10 of the 30 before
	 * multiplying so that 2^54 * SMSS * 2 stays within 64 bits. */
	delta = (((a * a * a) >> CUBIC_HZ) * smss * CUBIC_C_NUM / CUBIC_C_DEN) >> (2 * CUBIC_HZ);
	if (offs >= 0)
		return clamp_cwnd((uint64_t)e->w_max + delta);
	return e->w_max > delta ? (uint32_t)(e->w_max - delta) : 0;
}

static void cubic_init(struct tcp_cc *cc)
{
	struct cubic ca;

	memset(&ca, 0, sizeof(ca));
	ca.hs_cur_min = ca.hs_last_min = ca.hs_css_base = HS_INF;
	ca.last_ack_us = cc->now_us;
	cubic_store(cc, &ca);
}

/* First ACK of a congestion-avoidance stage: fix t_epoch, K and W_est (4.2, 4.3). */
static void cubic_epoch_start(struct tcp_cc *cc, struct cubic *ca)
{
	struct cubic_epoch *e = &ca->e;
	uint32_t cwnd_epoch = cc->cwnd;

	e->started = 1;
	e->t_epoch_us = cc->now_us;
	ca->ai_cnt = 0;
	if (e->w_max == 0) {
		/* No congestion event yet (slow start ended at a configured ssthresh):
		 * as 4.10 says for HyStart++, cwnd_prior = cwnd. */
		e->cwnd_prior = cwnd_epoch;
		e->k_zero = 1;
	}
	if (e->k_zero) {
		/* 4.8 (first stage after an RTO) and 4.10: K = 0, W_max = cwnd_epoch. */
		e->k = 0;
		e->w_max = cwnd_epoch;
		e->k_zero = 0;
	} else {
		e->k = cubic_k(e->w_max, cwnd_epoch, tcp_cc_smss(cc));
	}
	e->w_est = (uint64_t)cwnd_epoch << CUBIC_EST_SHIFT;
}

/* One ACK in congestion avoidance (RFC 9438 4.2 - 4.5). */
static void cubic_update(struct tcp_cc *cc, struct cubic *ca, uint32_t acked)
{
	struct cubic_epoch *e = &ca->e;
	uint32_t smss = tcp_cc_smss(cc);
	uint32_t cwnd = cc->cwnd ? cc->cwnd : smss;
	uint64_t t_us, rtt_us, inc;
	uint32_t w_est, w_now, target;

	if (!e->started)
		cubic_epoch_start(cc, ca);
	t_us = cc->now_us > e->t_epoch_us ? cc->now_us - e->t_epoch_us : 0;
	rtt_us = cc->srtt_us ? cc->srtt_us : cc->min_rtt_us;

	/* 4.3: W_est += alpha_cubic * segments_acked / cwnd (segments), in bytes
	 * SMSS * acked / cwnd; alpha_cubic becomes 1 once W_est reaches cwnd_prior. */
	inc = (((uint64_t)smss * acked) << CUBIC_EST_SHIFT) / cwnd;
	if ((e->w_est >> CUBIC_EST_SHIFT) < e->cwnd_prior)
		inc = inc * CUBIC_ALPHA_NUM / CUBIC_ALPHA_DEN;
	e->w_est += inc;
	if (e->w_est > ((uint64_t)TCP_CC_CWND_MAX << CUBIC_EST_SHIFT))
		e->w_est = (uint64_t)TCP_CC_CWND_MAX << CUBIC_EST_SHIFT;
	w_est = (uint32_t)(e->w_est >> CUBIC_EST_SHIFT);

	w_now = cubic_w(e, smss, t_us);
	if (w_now < w_est) {
		/* Reno-friendly region: cwnd = W_est. Never shrink cwnd here, which the
		 * RFC's assignment could do if the concave phase got ahead of W_est. */
		if (w_est > cc->cwnd)
			cc->cwnd = w_est;
		return;
	}
	/* Concave (cwnd < W_max) or convex region: aim for W_cubic(t + RTT). */
	target = cubic_w(e, smss, t_us + rtt_us);
	if (target > cwnd + cwnd / 2)
		target = cwnd + cwnd / 2;
	if (target <= cwnd)
		return; /* target = cwnd: no growth */
	/* + (target - cwnd) / cwnd segments per segment acked = one SMSS per
	 * cwnd * SMSS / (target - cwnd) bytes acked. */
	tcp_cc_cong_avoid_ai(cc, clamp_cwnd((uint64_t)cwnd * smss / (target - cwnd)), acked,
			     &ca->ai_cnt);
}

/* HyStart++ for one ACK in the initial slow start (RFC 9406 4.2). Returns the
 * bytes left for congestion avoidance, as tcp_cc_slow_start. */
static uint32_t hystart_slow_start(struct tcp_cc *cc, struct cubic *ca, const struct tcp_ack_sample *s,
				   uint32_t acked)
{
	uint32_t smss = tcp_cc_smss(cc);

	/* A round ends when the data in flight at its start has been delivered. */
	if (!ca->hs_round_started || cc->delivered >= ca->hs_round_end) {
		ca->hs_round_started = 1;
		ca->hs_round_end = cc->delivered + cc->in_flight;
		ca->hs_last_min = ca->hs_cur_min;
		ca->hs_cur_min = HS_INF;
		ca->hs_samples = 0;
		if (ca->hs_state == HS_CSS && ++ca->hs_css_rounds >= HS_CSS_ROUNDS) {
			/* CSS_ROUNDS rounds of CSS: enter congestion avoidance with
			 * ssthresh = cwnd; CUBIC then starts with K = 0 (RFC 9438 4.10). */
			ca->hs_state = HS_DONE;
			cc->ssthresh = cc->cwnd;
			ca->e.cwnd_prior = cc->cwnd;
			ca->e.k_zero = 1;
			ca->e.started = 0;
			return acked;
		}
	}
	if (s->rtt_us >= 0) {
		uint32_t rtt = s->rtt_us > 0 ? (uint32_t)s->rtt_us : 1;

		if (rtt < ca->hs_cur_min)
			ca->hs_cur_min = rtt;
		if (ca->hs_samples < UINT16_MAX)
			ca->hs_samples++;
	}
	if (ca->hs_samples >= HS_N_RTT_SAMPLE && ca->hs_cur_min != HS_INF && ca->hs_last_min != HS_INF) {
		if (ca->hs_state == HS_SS) {
			uint32_t thresh = ca->hs_last_min / HS_MIN_RTT_DIVISOR;

			if (thresh > HS_MAX_RTT_THRESH)
				thresh = HS_MAX_RTT_THRESH;
			if (thresh < HS_MIN_RTT_THRESH)
				thresh = HS_MIN_RTT_THRESH;
			if ((uint64_t)ca->hs_cur_min >= (uint64_t)ca->hs_last_min + thresh) {
				ca->hs_css_base = ca->hs_cur_min;
				ca->hs_state = HS_CSS;
				ca->hs_css_rounds = 0;
			}
		} else if (ca->hs_cur_min < ca->hs_css_base) {
			/* The RTT increase was spurious: back to standard slow start. */
			ca->hs_css_base = HS_INF;
			ca->hs_state = HS_SS;
		}
	}
	if (ca->hs_state == HS_CSS) {
		uint32_t inc = (acked < 2 * smss ? acked : 2 * smss) / HS_CSS_GROWTH_DIVISOR;

		cc->cwnd = clamp_cwnd((uint64_t)cc->cwnd + inc);
		return 0;
	}
	return tcp_cc_slow_start(cc, acked);
}

static void cubic_cong_avoid(struct tcp_cc *cc, const struct tcp_ack_sample *s)
{
	struct cubic ca;
	uint32_t acked = s->acked;

	cubic_load(cc, &ca);
	if (cc->ca_state <= TCP_CA_DISORDER)
		ca.in_episode = 0;
	if (cc->cwnd < cc->ssthresh) {
		if (ca.hs_state != HS_DONE && cc->ssthresh == UINT32_MAX && cc->ca_state != TCP_CA_LOSS)
			acked = hystart_slow_start(cc, &ca, s, acked);
		else
			acked = tcp_cc_slow_start(cc, acked);
	}
	if (cc->app_limited) {
		/* RFC 9438 5.8: no growth while application-limited, and that time does
		 * not count in t (else cwnd would jump when the application catches up). */
		if (ca.e.started && cc->now_us > ca.last_ack_us)
			ca.e.t_epoch_us += cc->now_us - ca.last_ack_us;
	} else if (acked) {
		cubic_update(cc, &ca, acked);
	}
	ca.last_ack_us = cc->now_us;
	cubic_store(cc, &ca);
}

static uint32_t cubic_ssthresh(struct tcp_cc *cc)
{
	uint32_t smss = tcp_cc_smss(cc);
	uint32_t ssthresh;
	struct cubic ca;

	cubic_load(cc, &ca);
	if (!ca.in_episode) {
		ca.in_episode = 1;
		ca.prior = ca.e;
		ca.prior_cwnd = cc->cwnd;
		ca.prior_ssthresh = cc->ssthresh;
	}
	/* 4.7: W_max before the reduction, lowered further when the window did not
	 * get back to the previous W_max (fast convergence, released bandwidth). */
	if (cc->cwnd < ca.e.w_max)
		ca.e.w_max = (uint32_t)((uint64_t)cc->cwnd * CUBIC_FC_NUM / CUBIC_FC_DEN);
	else
		ca.e.w_max = cc->cwnd;
	/* 4.6: cwnd_prior = cwnd; ssthresh = max(beta * cwnd, 2 segments). */
	ca.e.cwnd_prior = cc->cwnd;
	ca.e.started = 0;
	/* A loss after the RTO's slow start ends the special case of 4.8; the RTO's
	 * own call (state already LOSS) keeps it. */
	if (cc->ca_state != TCP_CA_LOSS)
		ca.e.k_zero = 0;
	ca.ai_cnt = 0;
	ca.hs_state = HS_DONE; /* RFC 9406 4.3: HyStart++ only in the first slow start */
	ssthresh = (uint32_t)((uint64_t)cc->cwnd * CUBIC_BETA_NUM / CUBIC_BETA_DEN);
	if (ssthresh < 2 * smss)
		ssthresh = 2 * smss;
	cubic_store(cc, &ca);
	return ssthresh;
}

/* An RTO: the next stage starts with K = 0, W_max = cwnd_epoch (RFC 9438 4.8). */
static void cubic_on_rto(struct cubic *ca)
{
	ca->e.k_zero = 1;
	ca->e.started = 0;
	ca->hs_state = HS_DONE;
}

static void cubic_set_state(struct tcp_cc *cc, uint8_t new_state)
{
	struct cubic ca;

	cubic_load(cc, &ca);
	if (new_state <= TCP_CA_DISORDER)
		ca.in_episode = 0;
	else if (new_state == TCP_CA_LOSS)
		cubic_on_rto(&ca);
	cubic_store(cc, &ca);
}

static void cubic_cwnd_event(struct tcp_cc *cc, enum tcp_cc_event ev)
{
	struct cubic ca;

	cubic_load(cc, &ca);
	switch (ev) {
	case TCP_CC_EVENT_TX_START:
		/* Sending again after idle: the idle time is not part of t (5.8). */
		if (ca.e.started && cc->now_us > ca.last_ack_us) {
			ca.e.t_epoch_us += cc->now_us - ca.last_ack_us;
			if (ca.e.t_epoch_us > cc->now_us)
				ca.e.t_epoch_us = cc->now_us;
		}
		ca.last_ack_us = cc->now_us;
		break;
	case TCP_CC_EVENT_CWND_RESTART:
		/* cwnd was cut back to the restart window: a new stage will begin
		 * from the new cwnd once slow start reaches ssthresh again. */
		ca.e.started = 0;
		break;
	case TCP_CC_EVENT_LOSS:
		cubic_on_rto(&ca);
		break;
	case TCP_CC_EVENT_ECN_ECE:
		break; /* the engine enters CWR and calls ssthresh */
	}
	cubic_store(cc, &ca);
}

static uint32_t cubic_undo_cwnd(struct tcp_cc *cc)
{
	uint32_t cwnd = cc->cwnd;
	struct cubic ca;

	cubic_load(cc, &ca);
	if (!ca.in_episode)
		return cwnd;
	/* 4.9: the event was spurious; put the curve back where it was. */
	ca.e = ca.prior;
	if (ca.prior_cwnd > cwnd)
		cwnd = ca.prior_cwnd;
	if (ca.prior_ssthresh > cc->ssthresh)
		cc->ssthresh = ca.prior_ssthresh;
	ca.in_episode = 0;
	ca.ai_cnt = 0;
	cubic_store(cc, &ca);
	return cwnd;
}

void tcp_cc_cubic_get_info(const struct tcp_cc *cc, struct tcp_cc_cubic_info *out)
{
	struct cubic ca;

	cubic_load(cc, &ca);
	memset(out, 0, sizeof(*out));
	out->w_max = ca.e.w_max;
	out->k_us = (int64_t)ca.e.k * 1000000 / (1 << CUBIC_HZ);
	out->cwnd_prior = ca.e.cwnd_prior;
	out->w_est = (uint32_t)(ca.e.w_est >> CUBIC_EST_SHIFT);
	out->t_epoch_us = ca.e.t_epoch_us;
	out->in_epoch = ca.e.started;
	out->hystart = ca.hs_state;
}

uint32_t tcp_cc_cubic_w(const struct tcp_cc *cc, uint64_t t_us)
{
	struct cubic ca;

	cubic_load(cc, &ca);
	return cubic_w(&ca.e, tcp_cc_smss(cc), t_us);
}

const struct tcp_cc_ops tcp_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.cong_avoid = cubic_cong_avoid,
	.ssthresh = cubic_ssthresh,
	.set_state = cubic_set_state,
	.cwnd_event = cubic_cwnd_event,
	.undo_cwnd = cubic_undo_cwnd,
};
