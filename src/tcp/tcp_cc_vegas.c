/*
 * tcp_cc_vegas.c - TCP Vegas: delay-based congestion avoidance (Brakmo and
 * Peterson, "TCP Vegas: End to End Congestion Avoidance on a Global Internet",
 * IEEE JSAC 13(8), 1995), with the constants and structure of Linux's tcp_vegas.
 *
 * Mechanism, once per round trip (a round ends when the bytes in flight at its
 * start have been delivered, as Linux's beg_snd_nxt):
 *   baseRTT = the lowest RTT ever sampled (the propagation delay);
 *   RTT     = the lowest RTT sampled during the round that just ended;
 *   diff    = cwnd * (RTT - baseRTT) / baseRTT, in whole segments: an estimate of
 *             this connection's packets sitting in queues;
 *   congestion avoidance: diff < alpha (2) -> cwnd += 1 SMSS; diff > beta (4) ->
 *             cwnd -= 1 SMSS and ssthresh = min(ssthresh, cwnd - 1 SMSS); else hold;
 *   slow start: diff > gamma (1) -> cwnd = min(cwnd, cwnd * baseRTT / RTT + 1 SMSS)
 *             and ssthresh = min(ssthresh, cwnd - 1 SMSS), which ends slow start;
 *             otherwise slow start as Reno, ACK by ACK;
 *   then cwnd >= 2 SMSS and ssthresh >= 3/4 cwnd (Linux's tcp_current_ssthresh).
 * Between round ends cwnd does not grow in congestion avoidance.
 * Reno growth is used instead when the connection is not in TCP_CA_OPEN (Linux
 * turns Vegas off outside Open), and for a whole round after a round with fewer
 * than 3 RTT samples (too few to trust the minimum; Linux applies Reno only to the
 * one ACK that closes such a round). Reductions at congestion events are Reno's
 * (RFC 5681 eq. 4). The RTT state starts afresh after idle (TX_START,
 * CWND_RESTART), as Linux's tcp_vegas_init there: the path may have changed.
 * No increase in congestion avoidance while application-limited (the delay then
 * says nothing); slow start is gated by the engine.
 *
 * Read first: the Vegas paper section 3.2; RFC 5681 3.1.
 */
#include <string.h>

#include "tcp/tcp_cc.h"

enum {
	VEGAS_ALPHA = 2, /* segments queued: below this, grow */
	VEGAS_BETA = 4,  /* above this, shrink */
	VEGAS_GAMMA = 1, /* slow start ends above this */
	VEGAS_MIN_SAMPLES = 3,
};
#define VEGAS_NO_RTT UINT32_MAX

struct vegas {
	uint64_t round_end;       /* delivered count that closes the current round */
	uint32_t base_rtt;        /* us, VEGAS_NO_RTT before a sample */
	uint32_t min_rtt;         /* us, lowest this round */
	uint32_t cnt_rtt;         /* samples this round */
	uint32_t ai_cnt;          /* Reno byte counter */
	uint32_t prior_cwnd;      /* for undo, as Reno */
	uint32_t prior_ssthresh;
	uint8_t round_started;
	uint8_t reno_round;       /* this round grows as Reno (too few samples before) */
	uint8_t in_episode;
	uint8_t state;            /* last ca_state reported through set_state */
};
_Static_assert(sizeof(struct vegas) <= sizeof(((struct tcp_cc *)0)->priv), "vegas state too big");

static void vegas_load(const struct tcp_cc *cc, struct vegas *v) { memcpy(v, cc->priv, sizeof(*v)); }
static void vegas_store(struct tcp_cc *cc, const struct vegas *v) { memcpy(cc->priv, v, sizeof(*v)); }

/* Forget the RTT history; the next ACK starts a round. */
static void vegas_reset_rtt(struct vegas *v)
{
	v->base_rtt = VEGAS_NO_RTT;
	v->min_rtt = VEGAS_NO_RTT;
	v->cnt_rtt = 0;
	v->round_started = 0;
	v->reno_round = 1;
}

static void vegas_init(struct tcp_cc *cc)
{
	struct vegas v;

	memset(&v, 0, sizeof(v));
	vegas_reset_rtt(&v);
	v.state = cc->ca_state;
	vegas_store(cc, &v);
}

static void vegas_pkts_acked(struct tcp_cc *cc, const struct tcp_ack_sample *s)
{
	struct vegas v;
	uint32_t rtt;

	if (s->rtt_us < 0)
		return; /* no sample (Karn) */
	rtt = s->rtt_us > 0 ? (uint32_t)s->rtt_us : 1;
	vegas_load(cc, &v);
	if (rtt < v.base_rtt)
		v.base_rtt = rtt;
	if (rtt < v.min_rtt)
		v.min_rtt = rtt;
	v.cnt_rtt++;
	vegas_store(cc, &v);
}

/* RFC 5681 3.1 growth, for the ACKs Vegas does not judge. */
static void vegas_reno_grow(struct tcp_cc *cc, struct vegas *v, uint32_t acked)
{
	if (cc->cwnd < cc->ssthresh)
		acked = tcp_cc_slow_start(cc, acked);
	if (acked && !cc->app_limited)
		tcp_cc_cong_avoid_ai(cc, cc->cwnd, acked, &v->ai_cnt);
}

static uint32_t vegas_ssthresh_cap(const struct tcp_cc *cc, uint32_t smss)
{
	uint32_t cap = cc->cwnd > smss ? cc->cwnd - smss : 0;

	return cc->ssthresh < cap ? cc->ssthresh : cap;
}

/* The once-per-RTT decision, from the round that just ended. */
static void vegas_adjust(struct tcp_cc *cc, struct vegas *v, uint32_t acked)
{
	uint32_t smss = tcp_cc_smss(cc);
	uint32_t rtt = v->min_rtt, base = v->base_rtt;
	uint64_t target = (uint64_t)cc->cwnd * base / rtt;
	uint64_t diff = (uint64_t)cc->cwnd * (rtt - base) / ((uint64_t)base * smss);
	uint32_t floor;

	if (cc->cwnd < cc->ssthresh) {
		if (diff > VEGAS_GAMMA) {
			/* Going too fast already in slow start: come down to the rate the
			 * base RTT would carry and leave slow start. */
			if (target + smss < cc->cwnd)
				cc->cwnd = (uint32_t)(target + smss);
			cc->ssthresh = vegas_ssthresh_cap(cc, smss);
		} else {
			tcp_cc_slow_start(cc, acked);
		}
	} else if (diff > VEGAS_BETA) {
		cc->cwnd = cc->cwnd > smss ? cc->cwnd - smss : 0;
		cc->ssthresh = vegas_ssthresh_cap(cc, smss);
	} else if (diff < VEGAS_ALPHA && !cc->app_limited) {
		cc->cwnd = cc->cwnd + smss < TCP_CC_CWND_MAX ? cc->cwnd + smss : TCP_CC_CWND_MAX;
	}
	floor = 2 * smss;
	if (cc->cwnd < floor)
		cc->cwnd = floor;
	/* Linux's tcp_current_ssthresh: ssthresh >= 3/4 cwnd in the Open state. */
	if (cc->ssthresh < cc->cwnd / 2 + cc->cwnd / 4)
		cc->ssthresh = cc->cwnd / 2 + cc->cwnd / 4;
}

static void vegas_cong_avoid(struct tcp_cc *cc, const struct tcp_ack_sample *s)
{
	struct vegas v;

	vegas_load(cc, &v);
	if (cc->ca_state <= TCP_CA_DISORDER)
		v.in_episode = 0;
	if (cc->ca_state != TCP_CA_OPEN) {
		vegas_reno_grow(cc, &v, s->acked);
		goto out;
	}
	if (v.round_started && cc->delivered < v.round_end) {
		/* Inside a round: only slow start moves, ACK by ACK. */
		if (v.reno_round)
			vegas_reno_grow(cc, &v, s->acked);
		else if (cc->cwnd < cc->ssthresh)
			tcp_cc_slow_start(cc, s->acked);
		goto out;
	}
	/* A round trip is complete (or this is the first ACK). */
	if (v.round_started && v.cnt_rtt >= VEGAS_MIN_SAMPLES && v.base_rtt != VEGAS_NO_RTT) {
		v.reno_round = 0;
		vegas_adjust(cc, &v, s->acked);
	} else {
		v.reno_round = 1;
		vegas_reno_grow(cc, &v, s->acked);
	}
	v.round_started = 1;
	v.round_end = cc->delivered + cc->in_flight;
	v.cnt_rtt = 0;
	v.min_rtt = VEGAS_NO_RTT;
out:
	vegas_store(cc, &v);
}

static uint32_t vegas_ssthresh(struct tcp_cc *cc)
{
	struct vegas v;

	vegas_load(cc, &v);
	if (!v.in_episode) {
		v.in_episode = 1;
		v.prior_cwnd = cc->cwnd;
		v.prior_ssthresh = cc->ssthresh;
	}
	v.ai_cnt = 0;
	vegas_store(cc, &v);
	return tcp_cc_reno_ssthresh(cc); /* reductions are Reno's */
}

static void vegas_set_state(struct tcp_cc *cc, uint8_t new_state)
{
	struct vegas v;

	vegas_load(cc, &v);
	if (new_state <= TCP_CA_DISORDER)
		v.in_episode = 0;
	/* Back in Open: judge from a fresh round (Linux's vegas_enable). */
	if (new_state == TCP_CA_OPEN && v.state != TCP_CA_OPEN) {
		v.round_started = 0;
		v.cnt_rtt = 0;
		v.min_rtt = VEGAS_NO_RTT;
	}
	v.state = new_state;
	vegas_store(cc, &v);
}

static void vegas_cwnd_event(struct tcp_cc *cc, enum tcp_cc_event ev)
{
	struct vegas v;

	if (ev != TCP_CC_EVENT_TX_START && ev != TCP_CC_EVENT_CWND_RESTART)
		return;
	vegas_load(cc, &v);
	vegas_reset_rtt(&v);
	vegas_store(cc, &v);
}

static uint32_t vegas_undo_cwnd(struct tcp_cc *cc)
{
	uint32_t cwnd = cc->cwnd;
	struct vegas v;

	vegas_load(cc, &v);
	if (!v.in_episode)
		return cwnd;
	if (v.prior_cwnd > cwnd)
		cwnd = v.prior_cwnd;
	if (v.prior_ssthresh > cc->ssthresh)
		cc->ssthresh = v.prior_ssthresh;
	v.in_episode = 0;
	vegas_store(cc, &v);
	return cwnd;
}

void tcp_cc_vegas_get_info(const struct tcp_cc *cc, struct tcp_cc_vegas_info *out)
{
	struct vegas v;

	vegas_load(cc, &v);
	memset(out, 0, sizeof(*out));
	out->base_rtt_us = v.base_rtt;
	out->min_rtt_us = v.min_rtt;
	out->cnt_rtt = v.cnt_rtt;
	out->enabled = cc->ca_state == TCP_CA_OPEN && !v.reno_round;
}

const struct tcp_cc_ops tcp_cc_vegas = {
	.name = "vegas",
	.init = vegas_init,
	.pkts_acked = vegas_pkts_acked,
	.cong_avoid = vegas_cong_avoid,
	.ssthresh = vegas_ssthresh,
	.set_state = vegas_set_state,
	.cwnd_event = vegas_cwnd_event,
	.undo_cwnd = vegas_undo_cwnd,
};
