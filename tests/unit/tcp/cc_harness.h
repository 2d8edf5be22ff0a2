/* cc_harness.h - a fake sender for the congestion-control unit tests: a struct tcp_cc,
 * a virtual clock in microseconds, and the engine's side of the tcp_cc.h contract
 * (hook order, ssthresh at congestion events, cwnd = 1 SMSS after an RTO), so each
 * module can be checked as arithmetic.
 *
 * The sender is ACK-clocked and always cwnd-limited: a "round" is one RTT in which
 * the cwnd bytes outstanding at its start come back as ACKs of one SMSS each,
 * evenly spread over the RTT. in_flight reported with an ACK is the flight before
 * it (Linux's prior_in_flight), so the modules' round counting (delivered +
 * in_flight at a round's first ACK) closes exactly where the harness's rounds do. */
#ifndef CC_HARNESS_H
#define CC_HARNESS_H

#include <string.h>

#include "tcp/tcp_cc.h"

#define MSS 1460u
#define SEG(n) ((uint32_t)((n) * MSS))

static inline void cch_init(struct tcp_cc *cc, const struct tcp_cc_ops *ops, uint32_t cwnd,
			    uint32_t ssthresh)
{
	memset(cc, 0, sizeof(*cc));
	cc->mss = MSS;
	cc->cwnd = cwnd;
	cc->ssthresh = ssthresh;
	cc->in_flight = cwnd;
	cc->ca_state = TCP_CA_OPEN;
	cc->now_us = 1000000; /* not 0: a zero time must not look special to anyone */
	tcp_cc_switch(cc, ops);
}

/* One ACK for @acked bytes with RTT sample @rtt_us (-1: none), as the engine calls. */
static inline void cch_ack(struct tcp_cc *cc, uint32_t acked, int32_t rtt_us)
{
	struct tcp_ack_sample s = { .acked = acked, .rtt_us = rtt_us, .prior_in_flight = cc->cwnd };

	cc->in_flight = cc->cwnd;
	cc->delivered += acked;
	if (rtt_us >= 0 && (cc->min_rtt_us == 0 || (uint32_t)rtt_us < cc->min_rtt_us))
		cc->min_rtt_us = (uint32_t)rtt_us;
	if (rtt_us >= 0 && cc->srtt_us == 0)
		cc->srtt_us = (uint32_t)rtt_us;
	else if (rtt_us >= 0) /* RFC 6298: SRTT = 7/8 SRTT + 1/8 R */
		cc->srtt_us = (uint32_t)(((uint64_t)cc->srtt_us * 7 + (uint32_t)rtt_us) / 8);
	if (cc->ops->pkts_acked)
		cc->ops->pkts_acked(cc, &s);
	if (cc->ca_state != TCP_CA_RECOVERY && cc->ca_state != TCP_CA_CWR)
		cc->ops->cong_avoid(cc, &s);
}

/* One round trip of @rtt_us: ceil(cwnd / SMSS) ACKs of one SMSS each (the bytes
 * outstanding at the round's start), every one with the RTT sample @sample_us
 * (-1: none), the clock advancing evenly. */
static inline void cch_round(struct tcp_cc *cc, uint32_t rtt_us, int32_t sample_us)
{
	uint32_t n = (cc->cwnd + cc->mss - 1) / cc->mss;

	if (n == 0)
		n = 1;
	for (uint32_t i = 0; i < n; i++) {
		cc->now_us += rtt_us / n;
		cch_ack(cc, cc->mss, sample_us);
	}
}

static inline void cch_set_state(struct tcp_cc *cc, uint8_t st)
{
	if (cc->ops->set_state)
		cc->ops->set_state(cc, st);
	cc->ca_state = st;
}

/* A fast retransmit whose recovery ends (as PRR does) at cwnd = ssthresh. */
static inline void cch_loss(struct tcp_cc *cc)
{
	cc->in_flight = cc->cwnd;
	cc->ssthresh = cc->ops->ssthresh(cc);
	cch_set_state(cc, TCP_CA_RECOVERY);
	cc->cwnd = cc->ssthresh;
	cch_set_state(cc, TCP_CA_OPEN);
}

/* An RTO, in Linux's order: ssthresh, state LOSS, the LOSS event, cwnd = 1 SMSS. */
static inline void cch_rto(struct tcp_cc *cc)
{
	cc->in_flight = cc->cwnd;
	cc->ssthresh = cc->ops->ssthresh(cc);
	cch_set_state(cc, TCP_CA_LOSS);
	if (cc->ops->cwnd_event)
		cc->ops->cwnd_event(cc, TCP_CC_EVENT_LOSS);
	cc->cwnd = cc->mss; /* RFC 5681 3.1: the loss window */
}

#endif
