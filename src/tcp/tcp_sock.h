/*
 * tcp_sock.h - the TCP engine's private types: the connection (struct tcp_sock,
 * the TCB of RFC 9293 3.3.1), the per-stack table (st->tcp), the listener's
 * request records, TIME_WAIT records, and the functions the tcp_*.c files call
 * in one another. Nothing outside src/tcp/ includes this file.
 *
 * Who does what (one job per file):
 *   tcp.c          module init/fini, the API of tcp.h, socket options, ss info
 *   tcp_conn.c     4-tuple demux, port table (RFC 6056), ISN (RFC 6528), TCB life
 *   tcp_input.c    SEGMENT ARRIVES (RFC 9293 3.10.7), in the RFC's order
 *   tcp_rcv.c      receive side: text into the ring, out-of-order set, SACK blocks
 *                  (RFC 2018), ACK scheduling (delayed ACKs), receive window
 *   tcp_ack.c      the ACK field: SND.UNA, RTT samples, window updates, recovery
 *                  state changes and the congestion-control hooks
 *   tcp_recovery.c sender scoreboard: SACK (RFC 2018, RFC 6675), NewReno
 *                  (RFC 6582), PRR (RFC 6937), RACK-TLP (RFC 8985)
 *   tcp_output.c   "what may I send now", segment building, tcp_rst_reply
 *   tcp_timer.c    the deadlines (prose block there) and their handlers
 *   tcp_rtt.c      RTT estimation and RTO (RFC 6298)
 *   tcp_listen.c   listeners, SYN queue, accept queue, SYN cookies
 *   tcp_timewait.c TIME_WAIT records
 *
 * Sequence numbers: all comparisons go through seq_lt & co (RFC 9293 3.4,
 * arithmetic modulo 2^32).
 */
#ifndef US_TCP_TCP_SOCK_H
#define US_TCP_TCP_SOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/intervals.h"
#include "base/list.h"
#include "base/ring.h"
#include "core/stack.h"
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"
#include "wire/tcp.h"

/* ---- sequence arithmetic (RFC 9293 3.4) ---- */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
static inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_gt(a, b) ? a : b; }
static inline uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }

/* ---- constants (Linux's values where Linux has one) ---- */
enum {
	TCP_MSS_DEFAULT = 536,          /* RFC 9293 3.7.1: assumed when the peer sends none */
	TCP_MSS_MIN = 88,               /* floor for clamping (Linux TCP_MIN_SND_MSS 48 + opts) */
	TCP_TS_OPT_LEN = 12,            /* NOP NOP TS(10) as written on every segment */
	TCP_INIT_CWND_SEGS = 10,        /* RFC 6928 */
	TCP_DELACK_MS = 40,             /* Linux TCP_DELACK_MIN; RFC 1122 4.2.3.2 says < 500 ms */
	TCP_ATO_MAX_MS = 200,           /* Linux TCP_DELACK_MAX */
	TCP_RTO_MIN_MS = 200,           /* Linux TCP_RTO_MIN (RFC 6298 2.4 says 1 s) */
	TCP_RTO_INIT_MS = 1000,         /* RFC 6298 2.1 */
	TCP_RTO_MAX_MS = 120000,        /* Linux TCP_RTO_MAX (RFC 6298 2.5 allows a maximum) */
	TCP_TIMEWAIT_MS = 60000,        /* 2MSL as Linux TCP_TIMEWAIT_LEN */
	TCP_MAX_QUICKACKS = 16,         /* Linux: quick ACKs at the start of a connection */
	TCP_MAX_WSCALE = 14,            /* RFC 7323 2.3 */
	TCP_PAWS_24DAYS_MS = 24u * 24 * 3600 * 1000, /* RFC 7323 5.5: TS.Recent invalid after */
	TCP_OOW_RATELIMIT_MS = 500,     /* Linux tcp_invalid_ratelimit */
	TCP_SACK_RECENT = 4,            /* SACK blocks remembered for RFC 2018 4 ordering */
	TCP_TXREC_MAX = 1 << 16,        /* bound on the records of segments in flight */
	TCP_SYNCOOKIE_AGE_MIN = 2,      /* minutes a cookie stays valid (Linux MAX_SYNCOOKIE_AGE) */
	TCP_KEEPALIVE_MAX_S = 32767,
	TCP_CORK_CEILING_MS = 200,      /* tcp(7): "a 200 millisecond ceiling" on corking */
};

/* Deadlines of a connection (tcp_timer.c explains each). */
enum tcp_timer_id {
	TCPT_REXMT,     /* retransmission (RFC 6298) incl. SYN / SYN-ACK / FIN */
	TCPT_PERSIST,   /* zero-window probe (RFC 9293 3.8.6.1) */
	TCPT_KEEP,      /* keepalive (RFC 1122 4.2.3.6) */
	TCPT_DELACK,    /* delayed ACK (RFC 1122 4.2.3.2, RFC 5681 4.2) */
	TCPT_FIN_WAIT_2,/* orphaned FIN-WAIT-2 timeout (net.ipv4.tcp_fin_timeout) */
	TCPT_REO,       /* RACK reordering window (RFC 8985 6.2 step 5) */
	TCPT_PTO,       /* tail loss probe (RFC 8985 7) */
	TCPT_CORK,      /* TCP_CORK / MSG_MORE ceiling: held data goes after 200 ms */
	TCPT_COUNT
};

/* struct tcp_sock.flags */
enum {
	TF_ACKNOW      = 1 << 0,  /* send an ACK in the next output pass */
	TF_SACK_OK     = 1 << 1,  /* SACK negotiated (RFC 2018) */
	TF_TS_OK       = 1 << 2,  /* timestamps negotiated (RFC 7323) */
	TF_WSCALE_OK   = 1 << 3,  /* window scaling negotiated (RFC 7323 2) */
	TF_NODELAY     = 1 << 4,  /* TCP_NODELAY: Nagle off */
	TF_CORK        = 1 << 5,  /* TCP_CORK: only full segments */
	TF_FIN_QUEUED  = 1 << 6,  /* the application is done writing: FIN follows the data */
	TF_FIN_SENT    = 1 << 7,  /* FIN has been transmitted at least once */
	TF_FIN_ACKED   = 1 << 8,
	TF_FIN_RCVD    = 1 << 9,  /* the peer's FIN is in sequence (RCV.NXT past it) */
	TF_ORPHAN      = 1 << 10, /* the application closed: free when done */
	TF_KEEPALIVE   = 1 << 11, /* SO_KEEPALIVE */
	TF_SYN_SENT    = 1 << 12, /* our SYN (or SYN-ACK) has been sent (and not yet acked) */
	TF_PROBE       = 1 << 13, /* send a zero-window probe in the next output pass */
	TF_RCVBUF_LOCK = 1 << 14, /* SO_RCVBUF set: no receive autotuning */
	TF_SNDBUF_LOCK = 1 << 15, /* SO_SNDBUF set: no send-buffer growth */
	TF_REUSEADDR   = 1 << 16,
	TF_DONE        = 1 << 17, /* reached CLOSED: unhashed, timers off */
	TF_RCV_SHUT    = 1 << 18, /* shutdown(SHUT_RD) */
	TF_SND_SHUT    = 1 << 19, /* shutdown(SHUT_WR) or close */
	TF_WAKE        = 1 << 20, /* readiness may have changed: call the wakeup */
	TF_AUTOBOUND   = 1 << 21, /* port chosen by connect (shareable across 4-tuples) */
	TF_PASSIVE     = 1 << 22, /* created by a listener */
	TF_MORE        = 1 << 23, /* MSG_MORE on the last write: hold a partial segment */
	TF_TLP_OUT     = 1 << 24, /* a tail loss probe is outstanding (RFC 8985 7.3) */
	TF_RESET_SENT  = 1 << 25,
	TF_WAS_ESTAB   = 1 << 26, /* reached ESTABLISHED at some point (TcpEstabResets) */
	TF_QUICKACK    = 1 << 27, /* TCP_QUICKACK set by the application */
	TF_TLP_PENDING = 1 << 28, /* the PTO fired: output sends the probe */
	TF_CWND_LIMITED = 1 << 29,/* the last output pass was stopped by cwnd */
	TF_TXQ_FULL    = 1 << 30, /* output stopped: the device queue is full; go on next round */
};

/* A record of one transmitted segment (sequence range in flight). */
enum {
	TXR_SACKED  = 1 << 0, /* covered by the peer's SACK blocks */
	TXR_LOST    = 1 << 1, /* deemed lost, awaiting or after retransmission */
	TXR_RETRANS = 1 << 2, /* a retransmission of it is in flight */
	TXR_EVER_RETRANS = 1 << 3, /* retransmitted at least once (Karn) */
	TXR_FIN     = 1 << 4, /* the range ends with our FIN */
	TXR_APP_LIMITED = 1 << 5,
};

struct tcp_txrec {
	uint32_t seq, end;          /* [seq, end) in sequence space (FIN counts one) */
	uint64_t xmit_us;           /* last transmission (RACK, RTT) */
	uint32_t order;             /* tp->xmit_order at the last transmission: the exact
	                             * order of sends, for RACK's "sent after" when the
	                             * clock did not move between them */
	uint64_t delivered;         /* tp->delivered when sent (delivery-rate sample) */
	uint64_t delivered_us;      /* tp->delivered_us when sent */
	uint8_t flags;              /* TXR_* */
};

/* The request record of a connection in SYN-RECEIVED held by a listener (Linux's
 * request_sock): everything needed to answer the handshake, nothing more. */
struct tcp_req {
	struct hlist_node hash_link;    /* st->tcp->req_hash (4-tuple) */
	struct list_head lst_link;      /* listener's SYN queue */
	struct tcp_sock *lst;
	struct us_timer timer;          /* SYN-ACK retransmission */
	uint64_t deadline_ms;           /* when it is due */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint32_t iss, irs;
	uint32_t tsval_recent;          /* peer's TSval (RFC 7323) */
	uint16_t peer_mss;
	uint16_t rcv_wnd;               /* window offered in the SYN-ACK (unscaled) */
	uint8_t snd_wscale, rcv_wscale; /* peer's and ours (0 if not used) */
	uint8_t retries;
	bool sack_ok, ts_ok, wscale_ok;
	uint8_t tos;
	uint64_t sent_us;               /* first SYN-ACK (RTT sample when not retransmitted) */
};

/* A TIME_WAIT record (Linux's inet_timewait_sock): enough to ACK a retransmitted
 * FIN, to answer old duplicates, and to decide whether a new SYN may reuse the
 * 4-tuple (RFC 6191 with timestamps, RFC 9293 3.10.7.4 without). */
struct tcp_tw {
	struct us_stack *st;
	struct hlist_node hash_link;    /* st->tcp->tw_hash (4-tuple) */
	struct hlist_node bind_link;    /* st->tcp->bind_hash (port) */
	struct list_head all_link;      /* st->tcp->tw_list (dump, fini) */
	struct us_timer timer;          /* 2MSL */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint32_t snd_nxt, rcv_nxt;
	uint32_t ts_recent, ts_off;
	uint64_t ts_recent_ms;          /* when ts_recent was taken */
	uint16_t rcv_wnd;               /* window field to put in ACKs */
	bool ts_ok;
	uint8_t tos, ttl;
	uint64_t expires_ms;
};

/* The connection (RFC 9293 3.3.1's TCB). */
struct tcp_sock {
	struct us_stack *st;
	enum tcp_state state;
	uint32_t flags;                 /* TF_* */
	uint32_t laddr, raddr;          /* host order */
	uint16_t lport, rport;
	struct hlist_node hash_link;    /* ehash: 4-tuple (SYN-SENT and later) */
	struct hlist_node bind_link;    /* bind_hash: local port */
	struct hlist_node lhash_link;   /* listeners by port */
	struct list_head pending_link;  /* st->tcp->pending: output due */
	struct list_head all_link;      /* st->tcp->socks: every connection */

	/* Timers: deadlines as data (ms, 0 = not armed); one wheel entry at the earliest. */
	uint64_t deadline[TCPT_COUNT];
	struct us_timer timer;

	/* Send sequence variables (RFC 9293 3.3.1). */
	struct {
		uint32_t una, nxt;      /* SND.UNA, SND.NXT (next new sequence to send) */
		uint32_t wnd;           /* SND.WND, bytes (scaled) */
		uint32_t wl1, wl2;      /* SND.WL1, SND.WL2 */
		uint32_t iss;           /* ISS */
		uint32_t max_wnd;       /* largest window the peer offered (SWS, RFC 5961 5.2) */
		uint32_t buf_seq;       /* sequence number of sndq offset 0 */
		uint32_t fin_seq;       /* our FIN's sequence number (TF_FIN_QUEUED) */
		uint32_t mss;           /* effective payload per segment (options excluded) */
		uint32_t peer_mss;      /* the peer's MSS option (or 536) */
		uint32_t pmtu;          /* path MTU (route, lowered by ICMP frag-needed) */
		uint32_t route_mtu;     /* the route's MTU before PMTU facts (0: not a
		                         * unicast route, no PMTU discovery) */
		bool pmtu_locked;       /* ip/pmtu.h: the path takes no DF */
		uint8_t wscale;         /* Snd.Wind.Shift: peer's scale */
		uint32_t last_ack_sent; /* Last.ACK.sent (RFC 7323 4.3) */
	} snd;
	/* Receive sequence variables. */
	struct {
		uint32_t nxt;           /* RCV.NXT */
		uint32_t irs;           /* IRS */
		uint32_t wup;           /* RCV.NXT when the window was last advertised */
		uint32_t adv;           /* right edge advertised: never moves left (3.8.6.2.2) */
		uint32_t mss;           /* largest segment seen (delayed-ACK "full segment") */
		uint32_t adv_mss;       /* the MSS we announced */
		uint8_t wscale;         /* Rcv.Wind.Shift: ours */
		uint32_t unacked;       /* bytes received since the last ACK we sent */
		uint32_t ooo_fin_seq;   /* a FIN that came out of order (valid with ooo_fin) */
		bool ooo_fin;
		uint8_t quick;          /* quick ACKs left (Linux icsk_ack.quick) */
	} rcv;

	/* Byte queues (DESIGN.md 7). sndq offset 0 = snd.buf_seq; rcvq offset 0 = the next
	 * byte the application reads, offset rcvq.len = RCV.NXT. */
	struct us_ring sndq, rcvq;
	uint32_t sndbuf, rcvbuf;        /* sizes (bytes of payload the rings hold) */
	struct us_intervals ooo;        /* out-of-order data, offsets from RCV.NXT */
	struct tcp_sack_block sack_recent[TCP_SACK_RECENT]; /* RFC 2018 4 reporting order */
	uint8_t sack_recent_n;
	struct tcp_sack_block dsack;    /* RFC 2883 D-SACK to report once (dsack_pending) */
	bool dsack_pending;

	/* Timestamps (RFC 7323). */
	uint32_t ts_off;                /* TSval = now_ms + ts_off */
	uint32_t ts_recent;             /* TS.Recent */
	uint64_t ts_recent_ms;          /* when TS.Recent was set (24-day rule) */

	/* Segments in flight: a ring of records [snd.una, snd.nxt), oldest first. */
	struct tcp_txrec *txr;
	uint32_t txr_cap, txr_head, txr_n;
	uint32_t xmit_order;            /* counts transmissions of records */
	uint32_t rexmit_hint;           /* records below this index need no retransmission scan */
	/* Scoreboard (RFC 6675): SACKed ranges as offsets from SND.UNA, and byte counts kept
	 * in step with the records' flags (Linux's sacked_out/lost_out/retrans_out). */
	struct us_intervals sacked;
	uint32_t sacked_bytes, lost_bytes, retrans_bytes;
	uint32_t reno_sacked;           /* non-SACK peers: duplicate ACKs as SACKed bytes */
	uint32_t dupacks;
	/* Linux tcp_cwnd_validate: the most data in flight (pipe) since SND.NXT was
	 * cwnd_usage_seq, and whether cwnd stopped output then; cwnd growth looks at
	 * these, not at the flight before each ACK, which a batch of ACKs processed
	 * before output runs again drains (slow start would stop at half the batch). */
	uint32_t max_flight;
	uint32_t cwnd_usage_seq;
	bool cwnd_limited_win;
	uint32_t high_seq;              /* RFC 6582 "recover" / RFC 6675 RecoveryPoint */
	uint32_t rescue_rxt;            /* RFC 6675 RescueRxt (valid with rescue_set) */
	bool rescue_set;
	uint32_t prr_delivered, prr_out, prr_recover_fs; /* RFC 6937 */
	uint32_t reordering;            /* DupThresh (net.ipv4.tcp_reordering) */
	/* RACK (RFC 8985 6.1). */
	struct {
		uint64_t xmit_us;       /* RACK.xmit_ts */
		uint32_t order;         /* and its send order (tie-break, RFC 8985 6.2) */
		uint32_t end_seq;       /* RACK.end_seq */
		uint32_t fack;          /* highest end sequence delivered (RACK.fack) */
		bool fack_set;          /* fack holds a delivered segment's end */
		uint32_t rtt_us;        /* RACK.rtt */
		uint32_t reo_wnd_mult;
		uint32_t reo_wnd_persist;
		uint32_t dsack_round;
		bool reord;             /* RACK.reordering_seen */
		bool advanced;
	} rack;
	uint32_t tlp_high_seq;          /* RFC 8985 7.4: TLPRxtOut's sequence */
	bool tlp_is_retrans;

	/* Undoing a congestion response that proves unnecessary (tcp_recovery.c "undo";
	 * Linux's undo_marker, undo_retrans, prior_cwnd, prior_ssthresh). */
	struct {
		bool on;                /* an episode that may still be undone */
		uint32_t marker;        /* SND.UNA when the episode began */
		int32_t retrans;        /* retransmitted segments not yet D-SACKed */
		uint32_t prior_cwnd;    /* cwnd and ssthresh before the response */
		uint32_t prior_ssthresh;
		uint32_t tsval;         /* TSval of the episode's first retransmission (RFC 3522) */
		bool tsval_set;
	} undo;
	/* F-RTO (RFC 5682 3.1, SACK-enhanced; Linux's tcp_frto=2). */
	struct {
		bool on;                /* the last RTO is under test */
		bool new_data;          /* step 2.b: the next output pass sends new data only */
	} frto;
	bool ack_orig;                  /* the ACK being processed delivered a segment sent
	                                 * before high_seq and never retransmitted (Linux's
	                                 * FLAG_ORIG_SACK_ACKED) */

	/* RTT and RTO (RFC 6298), microseconds. */
	uint32_t srtt_us, rttvar_us, min_rtt_us;
	uint64_t min_rtt_stamp_ms;
	uint32_t rto_ms;
	uint8_t backoff;                /* RTO doublings since the last good RTT */
	uint8_t retries;                /* retransmissions of the current head (SYN, data) */
	uint8_t probes;                 /* zero-window or keepalive probes unanswered */
	uint64_t first_rexmit_ms;       /* when the current retransmission episode began */
	uint64_t syn_xmit_us;           /* when our SYN (or SYN-ACK) was first sent */
	uint64_t last_recv_ms;          /* last segment from the peer (keepalive idle) */
	uint64_t last_send_ms;          /* last data sent (cwnd restart after idle) */
	uint64_t last_oow_ack_ms;       /* out-of-window ACK rate limit */
	uint32_t total_retrans;

	/* Receiver RTT (for autotuning, Linux rcv_rtt_est) and receive-buffer autotuning. */
	uint32_t rcv_rtt_us;
	uint32_t rcvq_space;            /* bytes copied per RTT at the last measurement */
	uint32_t rcvq_copied;
	uint64_t rcvq_time_us;

	/* Congestion control (tcp_cc.h) and delivery accounting. */
	struct tcp_cc cc;
	uint64_t delivered;             /* bytes acked or SACKed so far */
	uint64_t delivered_us;          /* time of the last delivery */
	uint64_t bytes_acked, bytes_received;
	uint64_t segs_in, segs_out;
	uint64_t app_limited_until;     /* delivered count below which samples are app-limited */

	/* Options. */
	uint32_t user_mss;              /* TCP_MAXSEG (0 = none) */
	uint32_t keep_idle_s, keep_intvl_s, keep_cnt;
	uint32_t user_timeout_ms;       /* TCP_USER_TIMEOUT (0 = off) */
	int linger_s;                   /* SO_LINGER: -1 off, else seconds (0 = abort on close) */
	uint8_t ttl;                    /* 0 = default */
	uint8_t tos;
	uint8_t dev_caps_tx_csum;       /* route's device can finish checksums */
	int oif;                        /* route's device (transmit queue backpressure) */
	bool neigh_confirm;             /* an ACK moved SND.UNA: the next segment confirms
	                                 * the next hop's ARP entry (US_PKT_F_CONFIRM_NEIGH) */

	int err;                        /* pending error (positive errno), SO_ERROR */
	int err_soft;                   /* last ICMP soft error, reported on timeout */
	bool connect_reported;          /* tcp_connect returned 0 once after success */
	bool iss_from_tw;               /* snd.iss chosen above a reused TIME_WAIT's SND.NXT */
	bool uncork;                    /* the cork ceiling passed: send what was held, once */

	/* Listener state (state == TCP_LISTEN). */
	struct {
		struct list_head synq;  /* struct tcp_req */
		struct list_head acceptq;/* struct tcp_sock via accept_link */
		uint32_t synq_len, acceptq_len;
		uint32_t backlog;
		uint64_t last_overflow_ms; /* SYN cookies may be checked after a recent overflow */
	} lst;
	struct list_head accept_link;   /* in the listener's accept queue */
	struct tcp_sock *parent;        /* listener while queued for accept */

	void (*wakeup)(struct tcp_sock *tp, void *arg);
	void *wakeup_arg;
};

/* st->tcp */
#define TCP_EHASH_SIZE 16384
#define TCP_BHASH_SIZE 4096
#define TCP_LHASH_SIZE 256
#define TCP_EPHEMERAL_TABLE 256

struct us_tcp_table {
	struct hlist_head ehash[TCP_EHASH_SIZE];   /* connections by 4-tuple */
	struct hlist_head req_hash[TCP_EHASH_SIZE];/* request records by 4-tuple */
	struct hlist_head tw_hash[TCP_EHASH_SIZE]; /* TIME_WAIT records by 4-tuple */
	struct hlist_head bhash[TCP_BHASH_SIZE];   /* sockets holding a local port */
	struct hlist_head tw_bhash[TCP_BHASH_SIZE];/* TIME_WAIT records holding a local port */
	struct hlist_head lhash[TCP_LHASH_SIZE];   /* listeners by port */
	struct list_head socks;                    /* every tcp_sock */
	struct list_head tw_list;                  /* every TIME_WAIT record */
	struct list_head pending;                  /* output due (egress phase) */
	struct us_poll_hook hook;                  /* output hook: runs tcp_flush_pending */
	uint32_t nsocks, ntw, nreq;
	uint16_t ephemeral[TCP_EPHEMERAL_TABLE];   /* RFC 6056 Algorithm 4 table */
	const struct tcp_cc_ops *default_cc;
	/* A SYN that reused a TIME_WAIT 4-tuple: the ISN to answer it with (RFC 6191). */
	uint32_t tw_isn;
	bool tw_isn_set;
	/* RFC 5961 7: stack-wide challenge ACK budget per second. */
	uint64_t challenge_stamp_s;
	uint32_t challenge_count, challenge_limit;
};

/* The parsed segment as the state machine sees it (STYLE.md: no header bytes). */
struct tcp_seg {
	struct us_pkt *p;               /* data at the payload */
	const struct tcp_repr *th;
	uint32_t saddr, daddr;          /* IP source (peer) and destination (us) */
	uint32_t seq, ack, end_seq;     /* end_seq = seq + len + SYN + FIN */
	uint32_t len;                   /* payload bytes */
	uint8_t flags;
	uint8_t tos;
};

/* ---- tcp.c ---- */
int tcp_take_err(struct tcp_sock *tp);     /* pending error (positive), cleared */

/* ---- tcp_conn.c ---- */
struct tcp_sock *tcp_sock_alloc(struct us_stack *st);
void tcp_sock_free(struct tcp_sock *tp);        /* last step: memory */
void tcp_set_state(struct tcp_sock *tp, enum tcp_state s);
/* The connection reached CLOSED (RFC 9293): unhash, stop timers, free if orphaned.
 * @tp must not be used after this returns when it was orphaned. Returns true when freed. */
bool tcp_done(struct tcp_sock *tp);
/* Back to a fresh CLOSED socket that may connect again (Linux's tcp_disconnect). */
void tcp_disconnect(struct tcp_sock *tp);
/* Abort with error @err (positive errno, 0 = none): RST if @send_rst, then tcp_done. */
bool tcp_abort(struct tcp_sock *tp, int err, bool send_rst);
void tcp_ehash_add(struct tcp_sock *tp);
void tcp_ehash_del(struct tcp_sock *tp);
struct tcp_sock *tcp_ehash_lookup(struct us_stack *st, uint32_t laddr, uint16_t lport,
				  uint32_t raddr, uint16_t rport);
uint32_t tcp_tuple_hash(struct us_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			uint16_t rport);
int tcp_bind_port(struct tcp_sock *tp, uint32_t addr, uint16_t port);
void tcp_unbind(struct tcp_sock *tp);
/* A listener's child shares its port: into the port table without a conflict check. */
void tcp_bind_child(struct tcp_sock *child);
/* Picks laddr/lport for an active open to raddr:rport (RFC 6056 Algorithm 4). */
int tcp_connect_port(struct tcp_sock *tp);
uint32_t tcp_isn(struct us_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
		 uint16_t rport);
uint32_t tcp_ts_offset(struct us_stack *st, uint32_t laddr, uint32_t raddr);
/* Route to raddr: source address, path MTU, checksum offload, device, and (@route_mtu,
 * may be NULL) the route's MTU before what PMTU discovery learnt, 0 when the route is
 * not unicast. 0 or -errno. */
int tcp_route(struct us_stack *st, uint32_t raddr, uint32_t *laddr, uint32_t *mtu, bool *tx_csum,
	      int *oif, uint32_t *route_mtu);
/* The path MTU towards the peer dropped to @mtu (ICMP, or learnt by another flow):
 * resize the MSS, and segments in flight that no longer fit are lost (Linux
 * tcp_simple_retransmit). */
void tcp_mtu_reduced(struct tcp_sock *tp, uint32_t mtu);
/* At transmit: follow the PMTU cache (Linux tcp_current_mss -> tcp_sync_mss). */
void tcp_pmtu_refresh(struct tcp_sock *tp);
/* Sizes the rings and derives the window scale before the SYN. 0 or -ENOMEM. */
int tcp_init_buffers(struct tcp_sock *tp);
/* Common setup when the connection becomes ESTABLISHED (cc init, counters, wakeups). */
void tcp_established(struct tcp_sock *tp);
void tcp_wake(struct tcp_sock *tp);

/* ---- tcp_input.c ---- */
/* Segment processing for a connection (SYN-SENT and later); consumes seg->p. */
void tcp_rcv_state(struct tcp_sock *tp, struct tcp_seg *seg);
bool tcp_challenge_ack_allowed(struct us_stack *st);

/* ---- tcp_rcv.c ---- */
/* Seventh step: queue the segment's text (and an out-of-order FIN). Returns true if RCV.NXT
 * reached a FIN (the caller runs the eighth step). */
bool tcp_rcv_data(struct tcp_sock *tp, struct tcp_seg *seg);
void tcp_ack_schedule(struct tcp_sock *tp, bool now);
void tcp_ack_sent(struct tcp_sock *tp);
/* The window field for an outgoing segment (scaled), updating RCV.ADV. */
uint16_t tcp_select_window(struct tcp_sock *tp);
/* Bytes the receive window currently offers beyond RCV.NXT. */
uint32_t tcp_rcv_wnd(const struct tcp_sock *tp);
/* SACK blocks for an outgoing ACK (RFC 2018 4 order; a D-SACK first). Returns count. */
unsigned tcp_sack_fill(struct tcp_sock *tp, struct tcp_sack_block *out, unsigned max);
/* The application consumed @n bytes: window update (RFC 1122 4.2.3.3), autotuning. */
void tcp_rcv_consumed(struct tcp_sock *tp, uint32_t n);
void tcp_rcv_rtt_sample(struct tcp_sock *tp, const struct tcp_seg *seg);
/* Report [start, end) once as a D-SACK (RFC 2883): data received twice. */
void tcp_rcv_dsack(struct tcp_sock *tp, uint32_t start, uint32_t end);

/* ---- tcp_ack.c ---- */
/* Fifth step for synchronized states: process the ACK field. Returns false when the
 * segment must be dropped (already answered if needed), with *reason set. */
bool tcp_ack(struct tcp_sock *tp, struct tcp_seg *seg, enum us_drop_reason *reason);
void tcp_update_wnd(struct tcp_sock *tp, const struct tcp_seg *seg);
/* The congestion-control snapshot fields updated before a hook call. */
void tcp_cc_prepare(struct tcp_sock *tp);
/* As tcp_cc_prepare, for a congestion event: cc.in_flight = FlightSize (SND.NXT - SND.UNA). */
void tcp_cc_prepare_event(struct tcp_sock *tp);
void tcp_set_ca_state(struct tcp_sock *tp, uint8_t s);
void tcp_sndbuf_expand(struct tcp_sock *tp);

/* ---- tcp_recovery.c ---- */
int tcp_txr_append(struct tcp_sock *tp, uint32_t seq, uint32_t end, uint8_t flags);
static inline struct tcp_txrec *tcp_txr_at(struct tcp_sock *tp, uint32_t i)
{
	return &tp->txr[(tp->txr_head + i) & (tp->txr_cap - 1)];
}
/* Cumulative ACK up to @ack: drops covered records. Fills the RTT sample (Karn) and
 * returns the bytes newly acked. */
uint32_t tcp_txr_ack(struct tcp_sock *tp, uint32_t ack, int64_t *rtt_us, bool *fin_acked);
/* SACK blocks of @seg into the scoreboard; returns bytes newly SACKed. */
uint32_t tcp_sack_process(struct tcp_sock *tp, const struct tcp_seg *seg, bool *dsack);
/* Loss marking after an ACK (RFC 6675 IsLost, or RACK); returns true if anything new is lost. */
bool tcp_mark_lost(struct tcp_sock *tp, bool sack_changed);
void tcp_mark_head_lost(struct tcp_sock *tp);
/* RTO: everything outstanding and not SACKed is lost (RFC 6675 5.1, RFC 5681 3.1). */
void tcp_mark_all_lost(struct tcp_sock *tp);
/* RFC 6675 SetPipe: bytes in flight. */
uint32_t tcp_in_flight(const struct tcp_sock *tp);
/* The next record to retransmit (LOST, not SACKed, not already retransmitted), or NULL. */
struct tcp_txrec *tcp_next_lost(struct tcp_sock *tp);
void tcp_txr_retransmitted(struct tcp_sock *tp, struct tcp_txrec *r);
void tcp_enter_recovery(struct tcp_sock *tp);
void tcp_prr_update(struct tcp_sock *tp, uint32_t delivered_now);
void tcp_rack_update(struct tcp_sock *tp, struct tcp_txrec *r);
void tcp_rack_timeout(struct tcp_sock *tp);
void tcp_tlp_arm(struct tcp_sock *tp);
void tcp_tlp_fire(struct tcp_sock *tp);
void tcp_txr_clear(struct tcp_sock *tp);
/* Undo (RFC 3522, RFC 3708, RFC 5682): a congestion response begins (before ssthresh
 * is lowered); a retransmission of the episode went; a D-SACK [@start, @end) arrived
 * while SND.UNA was @una; may the episode be undone on @seg; undo it. */
void tcp_undo_start(struct tcp_sock *tp);
void tcp_undo_retransmitted(struct tcp_sock *tp);
void tcp_undo_dsack(struct tcp_sock *tp, uint32_t start, uint32_t end, uint32_t una);
bool tcp_may_undo(const struct tcp_sock *tp, const struct tcp_seg *seg);
bool tcp_packet_delayed(const struct tcp_sock *tp, const struct tcp_seg *seg);
void tcp_undo(struct tcp_sock *tp, bool unmark_loss);

/* ---- tcp_output.c ---- */
void tcp_mark_pending(struct tcp_sock *tp);
void tcp_output(struct tcp_sock *tp);
/* Sends a bare control segment now (ACK, RST, challenge ACK) from the connection. */
void tcp_send_ack(struct tcp_sock *tp);
void tcp_send_rst(struct tcp_sock *tp);
/* RFC 9293 3.10.7.1 reset for a segment with no connection (no state needed). */
void tcp_rst_reply(struct us_stack *st, const struct tcp_seg *seg);
/* Builds and sends one segment [seq, seq+len) of the send queue with @flags; the
 * workhorse of tcp_output, also used by probes and timers. Returns 0 or -errno. */
int tcp_xmit(struct tcp_sock *tp, uint32_t seq, uint32_t len, uint8_t flags, bool rexmit);
/* A stateless segment (SYN-ACK for requests and cookies, ACKs for TIME_WAIT). */
struct tcp_raw_seg {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	uint8_t tos, ttl;
	struct tcp_opts opts;
};
int tcp_send_raw(struct us_stack *st, const struct tcp_raw_seg *s);
uint32_t tcp_now_ts(const struct us_stack *st);
/* Largest payload of a data segment with the options we currently put on it. */
uint32_t tcp_send_mss(const struct tcp_sock *tp);
void tcp_sync_mss(struct tcp_sock *tp);
uint32_t tcp_mss_for_mtu(const struct tcp_sock *tp, uint32_t mtu);

/* ---- tcp_timer.c ---- */
void tcp_timer_init(struct tcp_sock *tp);
void tcp_timer_set(struct tcp_sock *tp, enum tcp_timer_id id, uint64_t when_ms);
static inline void tcp_timer_clear(struct tcp_sock *tp, enum tcp_timer_id id)
{
	tcp_timer_set(tp, id, 0);
}
void tcp_timer_stop_all(struct tcp_sock *tp);
/* When to arm a wheel timer so that it fires exactly at @deadline_ms (possibly after
 * some early wakeups, on which the owner re-arms). */
uint64_t tcp_wheel_when(uint64_t now_ms, uint64_t deadline_ms);
void tcp_rearm_rexmt(struct tcp_sock *tp);
void tcp_keepalive_reset(struct tcp_sock *tp);
uint32_t tcp_keepalive_idle_ms(const struct tcp_sock *tp);

/* ---- tcp_rtt.c ---- */
void tcp_rtt_init(struct tcp_sock *tp);
void tcp_rtt_sample(struct tcp_sock *tp, uint32_t rtt_us);
void tcp_rto_backoff(struct tcp_sock *tp);
uint32_t tcp_rto_ms(const struct tcp_sock *tp);     /* backed-off RTO */
uint32_t tcp_rto_base_ms(const struct tcp_sock *tp);/* RFC 6298 RTO before backoff */

/* ---- tcp_listen.c ---- */
void tcp_listen_input(struct tcp_sock *lst, struct tcp_seg *seg);
void tcp_req_input(struct tcp_req *req, struct tcp_seg *seg);
struct tcp_req *tcp_req_lookup(struct us_stack *st, uint32_t laddr, uint16_t lport,
			       uint32_t raddr, uint16_t rport);
struct tcp_sock *tcp_listener_lookup(struct us_stack *st, uint32_t laddr, uint16_t lport);
void tcp_listen_stop(struct tcp_sock *lst);
void tcp_lhash_add(struct tcp_sock *tp);
void tcp_lhash_del(struct tcp_sock *tp);

/* ---- tcp_timewait.c ---- */
/* Moves @tp into a TIME_WAIT record (or to CLOSED when none can be had), then tcp_done. */
bool tcp_time_wait(struct tcp_sock *tp);
struct tcp_tw *tcp_tw_lookup(struct us_stack *st, uint32_t laddr, uint16_t lport,
			     uint32_t raddr, uint16_t rport);
/* Consumes seg->p unless it returns true: the segment is a new SYN that may reuse the
 * 4-tuple (the record is gone; the caller hands the SYN to the listener, with *@isn
 * the ISN to answer with). */
bool tcp_tw_input(struct tcp_tw *tw, struct tcp_seg *seg, uint32_t *isn);
void tcp_tw_kill(struct us_stack *st, struct tcp_tw *tw);
/* connect(): may this active open reuse the TIME_WAIT 4-tuple? Kills the record if so. */
bool tcp_tw_reuse(struct us_stack *st, struct tcp_tw *tw, struct tcp_sock *tp);
void tcp_tw_flush(struct us_stack *st);

static inline bool tcp_state_synced(enum tcp_state s) { return s >= TCP_ESTABLISHED; }
static inline uint64_t tcp_now_us(const struct us_stack *st) { return st->now_ns / 1000; }

#endif
