/*
 * tcp_cc.h - pluggable congestion control (after Linux's tcp_congestion_ops and
 * FreeBSD's struct cc_algo): one ops table per algorithm, one file each, chosen
 * by net.ipv4.tcp_congestion_control (default "cubic") or per socket with
 * TCP_CONGESTION.
 *
 * The algorithm sees only struct tcp_cc, the part of the connection that is its
 * business, so every module is unit-testable as arithmetic. The TCP engine owns
 * loss detection and recovery (RFC 6675 / RFC 6582 / RACK-TLP, with PRR, RFC 6937,
 * setting cwnd during recovery) and calls the module at these points:
 *   - init:        when the connection is established (or the algorithm changes)
 *   - pkts_acked:  on every ACK that acknowledges data (RTT sample, for Vegas & co)
 *   - cong_avoid:  on every such ACK while not in recovery: grow cwnd
 *                  (RFC 5681 3.1 slow start and congestion avoidance)
 *   - ssthresh:    at a congestion event (entering fast recovery, or an RTO):
 *                  the new ssthresh (RFC 5681 eq. 4 for Reno)
 *   - set_state:   when ca_state changes (OPEN, DISORDER, CWR, RECOVERY, LOSS)
 *   - cwnd_event:  restart after idle, ECN echo ...
 *   - undo_cwnd:   a congestion event proved spurious (optional)
 * An algorithm that sets cong_control (BBR-style) is instead called on every ACK
 * with a rate sample and owns cwnd (and pacing) entirely.
 */
#ifndef US_TCP_TCP_CC_H
#define US_TCP_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>

enum tcp_ca_state {
	TCP_CA_OPEN = 0,     /* no loss suspected */
	TCP_CA_DISORDER,     /* duplicate ACKs or SACKs seen, not yet recovery */
	TCP_CA_CWR,          /* cwnd reduced for ECN, no retransmission */
	TCP_CA_RECOVERY,     /* fast recovery */
	TCP_CA_LOSS,         /* after an RTO */
};

enum tcp_cc_event {
	TCP_CC_EVENT_TX_START,    /* first transmission after an idle period */
	TCP_CC_EVENT_CWND_RESTART,/* cwnd restarted after idle (RFC 7661 / RFC 5681 4.1) */
	TCP_CC_EVENT_ECN_ECE,     /* ACK with ECE (RFC 3168) */
	TCP_CC_EVENT_LOSS,        /* an RTO fired */
};

/* What an algorithm may read and write. Embedded in the connection. */
struct tcp_cc {
	const struct tcp_cc_ops *ops;
	uint32_t cwnd;           /* congestion window, bytes (applied to bytes in flight) */
	uint32_t ssthresh;       /* bytes; UINT32_MAX until the first congestion event */
	uint32_t mss;            /* SMSS: the sender's current maximum segment size */
	uint32_t in_flight;      /* bytes in flight when the hook is called ("pipe") */
	uint32_t srtt_us;        /* smoothed RTT, 0 before the first sample */
	uint32_t min_rtt_us;     /* lowest RTT seen (windowed by the engine), 0 before one */
	uint8_t ca_state;        /* enum tcp_ca_state */
	bool app_limited;        /* the sender has not been using its whole cwnd */
	uint64_t now_us;         /* time of the event (stack clock), set before every call */
	uint64_t delivered;      /* total bytes delivered (acked or sacked) so far */
	uint64_t priv[16];       /* the algorithm's own state (zeroed before init) */
};

/* One ACK's worth of information. */
struct tcp_ack_sample {
	uint32_t acked;          /* bytes newly delivered by this ACK (cumulative + SACKed) */
	int32_t rtt_us;          /* RTT sample taken from this ACK, -1 if none (Karn) */
	uint32_t prior_in_flight;/* bytes in flight before the ACK */
};

/* A delivery-rate sample (draft-cheng-iccrg-delivery-rate-estimation), for BBR later. */
struct tcp_rate_sample {
	uint64_t delivered;      /* bytes delivered over the interval */
	uint64_t interval_us;
	int32_t rtt_us;
	uint32_t prior_in_flight;
	uint32_t acked;
	uint32_t losses;         /* bytes newly marked lost */
	bool is_app_limited;
};

enum {
	/* Classic Reno recovery (RFC 5681 3.2): leave fast recovery at the first ACK that
	 * advances SND.UNA, instead of NewReno's recovery point (RFC 6582). */
	TCP_CC_FLAG_RENO_RECOVERY = 1 << 0,
};

struct tcp_cc_ops {
	const char *name;        /* "reno", "newreno", "cubic", "vegas" */
	uint32_t flags;          /* TCP_CC_FLAG_* */
	void (*init)(struct tcp_cc *cc);
	void (*release)(struct tcp_cc *cc);                                    /* optional */
	void (*pkts_acked)(struct tcp_cc *cc, const struct tcp_ack_sample *s); /* optional */
	void (*cong_avoid)(struct tcp_cc *cc, const struct tcp_ack_sample *s);
	uint32_t (*ssthresh)(struct tcp_cc *cc);
	void (*set_state)(struct tcp_cc *cc, uint8_t new_state);               /* optional */
	void (*cwnd_event)(struct tcp_cc *cc, enum tcp_cc_event ev);            /* optional */
	uint32_t (*undo_cwnd)(struct tcp_cc *cc);                               /* optional */
	void (*cong_control)(struct tcp_cc *cc, const struct tcp_rate_sample *rs); /* optional */
};

/* The algorithms, registered in tcp_cc.c. */
const struct tcp_cc_ops *tcp_cc_find(const char *name);
/* Space-separated names, as net.ipv4.tcp_available_congestion_control. */
const char *tcp_cc_available(void);
/* Sets @cc to use @ops: release the old one, zero priv, init (cwnd/ssthresh kept). */
void tcp_cc_switch(struct tcp_cc *cc, const struct tcp_cc_ops *ops);

/* Helpers shared by the algorithms (RFC 5681 3.1). */
/* Slow start: cwnd += min(acked, SMSS) per ACK... returns the bytes of acked left over
 * once cwnd reaches ssthresh (as Linux's tcp_slow_start). */
uint32_t tcp_cc_slow_start(struct tcp_cc *cc, uint32_t acked);
/* Congestion avoidance: cwnd += SMSS*SMSS/cwnd per ACK (RFC 5681 eq. 3), accumulated
 * exactly with a byte counter in priv-independent state passed by the caller. */
void tcp_cc_cong_avoid_ai(struct tcp_cc *cc, uint32_t w_bytes, uint32_t acked, uint32_t *cnt);

extern const struct tcp_cc_ops tcp_cc_reno;
extern const struct tcp_cc_ops tcp_cc_newreno;
extern const struct tcp_cc_ops tcp_cc_cubic;
extern const struct tcp_cc_ops tcp_cc_vegas;

#endif
