/*
 * tcp_rtt.c - the round-trip time estimator and the retransmission timeout
 * (RFC 6298), in microseconds.
 *
 * Samples come from tcp_ack.c: the send time of the newest segment a cumulative
 * ACK covers when it was never retransmitted (Karn's algorithm, RFC 6298 3), or
 * the echoed timestamp (RFC 7323 4.1, unambiguous even after retransmission).
 *
 *   first sample R:   SRTT = R, RTTVAR = R/2                          (RFC 6298 2.2)
 *   later samples R': RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'|
 *                     SRTT   = 7/8 SRTT + 1/8 R'                       (RFC 6298 2.3)
 *   RTO = SRTT + max(4 RTTVAR, RTO_MIN)
 * The last line departs from RFC 6298's SRTT + max(G, 4 RTTVAR) floored at 1 s the
 * way Linux does (tcp_rtt_estimator/__tcp_set_rto): the variance term is never below
 * 200 ms, so a LAN gets ~200 ms, not 1 s, and a path whose RTT is near 200 ms does
 * not fire spuriously. Initial RTO 1 s (RFC 6298 2.1), maximum 120 s (2.5, Linux's
 * TCP_RTO_MAX). Each expiry doubles it (5.5, "back off the timer"); a new sample
 * after a retransmission episode resets the backoff (Karn: only samples from
 * segments not retransmitted, or timestamps, count).
 *
 * The minimum RTT (for RACK and congestion control) is a windowed minimum over
 * net.ipv4.tcp_min_rtt_wlen seconds: restarted when the window runs out.
 */
#include "tcp/tcp_sock.h"

void tcp_rtt_init(struct tcp_sock *tp)
{
	tp->srtt_us = 0;
	tp->rttvar_us = 0;
	tp->min_rtt_us = 0;
	tp->rto_ms = TCP_RTO_INIT_MS;
	tp->backoff = 0;
}

static void tcp_set_rto(struct tcp_sock *tp)
{
	uint64_t var = 4ull * tp->rttvar_us;
	uint64_t rto_us;

	if (var < TCP_RTO_MIN_MS * 1000ull)
		var = TCP_RTO_MIN_MS * 1000ull;
	rto_us = tp->srtt_us + var;
	tp->rto_ms = (uint32_t)((rto_us + 999) / 1000);
	if (tp->rto_ms > TCP_RTO_MAX_MS)
		tp->rto_ms = TCP_RTO_MAX_MS;
}

void tcp_rtt_sample(struct tcp_sock *tp, uint32_t rtt_us)
{
	struct us_stack *st = tp->st;
	uint64_t wlen_ms = (uint64_t)st->cfg.tcp_min_rtt_wlen * 1000;

	if (rtt_us == 0)
		rtt_us = 1;
	if (!tp->min_rtt_us || rtt_us <= tp->min_rtt_us ||
	    st->now_ms - tp->min_rtt_stamp_ms > wlen_ms) {
		tp->min_rtt_us = rtt_us;
		tp->min_rtt_stamp_ms = st->now_ms;
	}
	if (!tp->srtt_us) {
		tp->srtt_us = rtt_us;                           /* RFC 6298 2.2 */
		tp->rttvar_us = rtt_us / 2;
	} else {
		uint32_t delta = tp->srtt_us > rtt_us ? tp->srtt_us - rtt_us : rtt_us - tp->srtt_us;

		tp->rttvar_us = (uint32_t)((3ull * tp->rttvar_us + delta) / 4); /* 2.3, beta 1/4 */
		tp->srtt_us = (uint32_t)((7ull * tp->srtt_us + rtt_us) / 8);     /* alpha 1/8 */
		if (!tp->srtt_us)
			tp->srtt_us = 1;
	}
	tcp_set_rto(tp);
	tp->backoff = 0;
	tp->cc.srtt_us = tp->srtt_us;
	tp->cc.min_rtt_us = tp->min_rtt_us;
}

uint32_t tcp_rto_base_ms(const struct tcp_sock *tp) { return tp->rto_ms; }

uint32_t tcp_rto_ms(const struct tcp_sock *tp)
{
	uint64_t rto = (uint64_t)tp->rto_ms << (tp->backoff < 20 ? tp->backoff : 20);

	return rto > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : (uint32_t)rto;
}

void tcp_rto_backoff(struct tcp_sock *tp)
{
	/* RFC 6298 5.5: RTO <- RTO * 2, up to the maximum. */
	if (tcp_rto_ms(tp) < TCP_RTO_MAX_MS)
		tp->backoff++;
}
