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
 *
 * Units: cwnd, ssthresh, in_flight, delivered and acked in bytes; times (now_us)
 * and RTTs in microseconds. No floating point anywhere on these paths.
 *
 * What the modules expect of the engine (as Linux's tcp_input.c does it):
 *   - pkts_acked runs before cong_avoid for the same ACK.
 *   - cong_avoid runs in OPEN, DISORDER and LOSS (slow start after an RTO), not in
 *     RECOVERY or CWR, where the engine (PRR) sets cwnd itself; and only when cwnd
 *     may grow (Linux's tcp_is_cwnd_limited: cwnd-limited, or in slow start using
 *     at least half of cwnd).
 *   - ssthresh runs once per congestion event (fast retransmit, ECE, the first RTO
 *     of a segment: RFC 5681 says ssthresh is held on later backoffs), before the
 *     engine lowers cwnd, with in_flight = FlightSize at the event. The engine
 *     stores the result in cc->ssthresh; on an RTO it then sets cwnd = 1 SMSS
 *     (RFC 5681 3.1, loss window) and reports TCP_CC_EVENT_LOSS and/or set_state(LOSS).
 *   - undo_cwnd, when the event proves spurious (DSACK, Eifel, F-RTO): returns the
 *     cwnd to go back to; the module also raises cc->ssthresh back to at least its
 *     value before the event (the engine may do the same; both agree).
 *   - delivered grows with every newly acked or SACKed byte: Vegas and HyStart++
 *     count round trips with it (a round ends once the bytes that were in flight
 *     at its start have been delivered, i.e. SND.NXT of the round start is acked).
 *   - app_limited is set when the sender was not using its whole cwnd. In
 *     congestion avoidance the modules then hold cwnd (RFC 7661's idea; RFC 9438
 *     4.6 requires it when ssthresh is computed from cwnd, as CUBIC's is) and CUBIC
 *     leaves that time out of t; slow start still grows when the engine calls.
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
/* Sets @cc to use @ops: release the old one, zero priv, init (cwnd/ssthresh kept).
 * Also right for the first init at establishment, and re-initialises when @ops is
 * the algorithm already in use. */
void tcp_cc_switch(struct tcp_cc *cc, const struct tcp_cc_ops *ops);

/* Helpers shared by the algorithms (RFC 5681 3.1). */

/* cwnd never grows past this (1 GiB), so byte arithmetic cannot overflow 32 bits. */
#define TCP_CC_CWND_MAX (1u << 30)

/* SMSS, never 0 (divisions by it are safe before the engine has set it). */
static inline uint32_t tcp_cc_smss(const struct tcp_cc *cc) { return cc->mss ? cc->mss : 1; }

/* Slow start with appropriate byte counting (RFC 3465 2.2, RFC 5681 3.1):
 * cwnd += min(acked, L) per ACK, L = 2*SMSS, so delayed ACKs still double cwnd
 * per RTT, and L = 1*SMSS in TCP_CA_LOSS (RFC 3465 2.3: after an RTO one ACK can
 * cover many segments). cwnd stops at ssthresh. Returns the part of the counted
 * increase (min(acked, L)) that did not fit below ssthresh, for congestion
 * avoidance to use (as Linux's tcp_slow_start); 0 while still below ssthresh;
 * @acked unchanged when cwnd was already >= ssthresh. */
uint32_t tcp_cc_slow_start(struct tcp_cc *cc, uint32_t acked);
/* RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2*SMSS), FlightSize = cc->in_flight. */
uint32_t tcp_cc_reno_ssthresh(const struct tcp_cc *cc);
/* Congestion avoidance by byte counting (RFC 5681 3.1, RFC 3465 2.1): cwnd grows by
 * one SMSS each time @w_bytes bytes have been acked, counted exactly in *@cnt
 * (module state). @w_bytes = cwnd gives Reno's one SMSS per RTT (the exact form
 * of eq. 3's SMSS*SMSS/cwnd per ACK); CUBIC passes cwnd*SMSS/(target-cwnd). */
void tcp_cc_cong_avoid_ai(struct tcp_cc *cc, uint32_t w_bytes, uint32_t acked, uint32_t *cnt);

/* CUBIC's state, for `ss -i` and the unit tests. */
struct tcp_cc_cubic_info {
	uint32_t w_max;          /* bytes; 0 before the first congestion event */
	int64_t k_us;            /* K (RFC 9438 eq. 2), negative when cwnd_epoch > W_max */
	uint32_t cwnd_prior;     /* bytes */
	uint32_t w_est;          /* Reno-friendly estimate, bytes */
	uint64_t t_epoch_us;     /* start of the congestion-avoidance stage */
	bool in_epoch;           /* a stage has started (t_epoch, K, W_est valid) */
	uint8_t hystart;         /* 0 slow start, 1 conservative slow start, 2 done */
};
void tcp_cc_cubic_get_info(const struct tcp_cc *cc, struct tcp_cc_cubic_info *out);
/* W_cubic(t) in bytes for the current stage, @t_us after t_epoch (RFC 9438 eq. 1). */
uint32_t tcp_cc_cubic_w(const struct tcp_cc *cc, uint64_t t_us);
/* floor(cbrt(@a)), exact for every 64-bit @a (integer Newton-Raphson). */
uint32_t tcp_cc_cubic_root(uint64_t a);

/* Vegas's state, for `ss -i` (as Linux's tcpvegas_info) and the unit tests. */
struct tcp_cc_vegas_info {
	uint32_t base_rtt_us;    /* lowest RTT seen, UINT32_MAX before a sample */
	uint32_t min_rtt_us;     /* lowest RTT of the current round, UINT32_MAX if none */
	uint32_t cnt_rtt;        /* samples in the current round */
	bool enabled;            /* adjusting by delay (else Reno growth) */
};
void tcp_cc_vegas_get_info(const struct tcp_cc *cc, struct tcp_cc_vegas_info *out);

extern const struct tcp_cc_ops tcp_cc_reno;
extern const struct tcp_cc_ops tcp_cc_newreno;
extern const struct tcp_cc_ops tcp_cc_cubic;
extern const struct tcp_cc_ops tcp_cc_vegas;

#endif
