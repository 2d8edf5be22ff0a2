/*
 * tcp_timer.c - a connection's deadlines and what happens when one passes.
 *
 * Deadlines are data (STYLE.md Part 3, example 7): tp->deadline[TCPT_*] holds an
 * absolute time in ms (0 = not armed) and tcp_timer_set() keeps ONE wheel entry
 * per connection armed at the earliest of them. When it fires, every slot that
 * is due runs, in the order below; handlers change state and mark the connection
 * pending, and the egress phase sends whatever that implies. Handlers never
 * transmit on their own except for an abort's RST.
 *
 * TCPT_REXMT (retransmission, RFC 6298 5). Armed by output when a SYN, SYN-ACK,
 *   data or FIN is sent and the timer is not running (5.1); restarted when an ACK
 *   acknowledges new data (5.3); stopped when nothing is outstanding (5.2).
 *   Fires: SYN-SENT / SYN-RECEIVED retransmit the SYN (net.ipv4.tcp_syn_retries,
 *   tcp_synack_retries, then ETIMEDOUT); otherwise an RTO: back off (5.5), mark all
 *   outstanding data lost, ssthresh from the congestion module, cwnd = 1 MSS
 *   (RFC 5681 3.1), CA_LOSS, and output retransmits from SND.UNA (5.4). The
 *   episode is recorded for undo and, with net.ipv4.tcp_frto, put under F-RTO's
 *   test (RFC 5682; tcp_ack.c decides from the next ACKs). After
 *   net.ipv4.tcp_retries2 expiries (8 when orphaned, as Linux's tcp_orphan_retries
 *   0), or TCP_USER_TIMEOUT ms without progress, the connection is dropped with
 *   ETIMEDOUT (or the last ICMP soft error, as Linux).
 * TCPT_PERSIST (zero-window probe, RFC 9293 3.8.6.1, RFC 1122 4.2.2.17). Armed when
 *   data waits, the peer's window is zero and nothing is in flight (so no RTO would
 *   ever elicit the window update); stopped when the window opens. Fires: a probe
 *   (as Linux: a segment at SND.UNA-1 with no data, which the receiver must answer
 *   with an ACK carrying its window), then again after RTO << probes, at most
 *   120 s apart. Unanswered probes past tcp_retries2 (or TCP_USER_TIMEOUT) drop the
 *   connection; any ACK resets the count, so a peer that keeps answering "zero"
 *   is probed forever, as RFC 1122 requires.
 * TCPT_KEEP (keepalive, RFC 1122 4.2.3.6). Armed at establishment when SO_KEEPALIVE is
 *   on. Fires: if the connection was idle (nothing received) for TCP_KEEPIDLE (default
 *   net.ipv4.tcp_keepalive_time), send a probe (SND.UNA-1, no data) and re-arm after
 *   TCP_KEEPINTVL; after TCP_KEEPCNT unanswered probes, RST and ETIMEDOUT. Not idle:
 *   re-arm at last-receive + idle time (received segments never touch the timer).
 * TCPT_DELACK (delayed ACK, RFC 1122 4.2.3.2, RFC 5681 4.2). Armed by the receive path
 *   when an ACK is owed but not urgent; at most 40 ms (Linux TCP_DELACK_MIN). Any
 *   segment we send carries the ACK and disarms it. Fires: TF_ACKNOW.
 * TCPT_FIN_WAIT_2 (Linux's tcp_fin_timeout). Armed when an orphaned connection (closed
 *   by the application) enters FIN-WAIT-2, so a peer that never sends its FIN cannot
 *   hold it forever (RFC 9293 leaves FIN-WAIT-2 unbounded). Fires: the connection is
 *   discarded silently, as Linux's FIN_WAIT2 timewait record does.
 * TCPT_REO (RACK reordering timer, RFC 8985 6.2 step 5). Armed when a segment sent
 *   before a delivered one is not yet past its reordering window. Fires: RACK loss
 *   detection again, then recovery.
 * TCPT_CORK (Linux's ceiling on TCP_CORK and MSG_MORE, tcp(7)). Armed when output
 *   holds back a partial segment for the cork; stopped when nothing waits. Fires:
 *   what was held goes out once, corked or not.
 * TCPT_PTO (tail loss probe, RFC 8985 7.2). Armed after new data is sent in the open
 *   state, and on ACKs that advance SND.UNA: PTO = 2 SRTT (+ delayed-ACK allowance
 *   with one segment in flight), at most until the RTO would fire. Fires (before the
 *   RTO when both are due, which it then pushes back): send new data, or retransmit
 *   the last segment, to get a SACK that lets RACK repair a tail loss without an RTO.
 * TIME_WAIT's 2MSL is not here: those are records (tcp_timewait.c) with their own
 * timer. Request records (tcp_listen.c) likewise carry their SYN-ACK timer.
 */
#include <errno.h>

#include "tcp/tcp_sock.h"

static void tcp_timer_fire(struct us_timer *t, uint64_t now_ms);

void tcp_timer_init(struct tcp_sock *tp)
{
	us_timer_init(&tp->timer, tcp_timer_fire);
	for (int i = 0; i < TCPT_COUNT; i++)
		tp->deadline[i] = 0;
}

uint64_t tcp_wheel_when(uint64_t now_ms, uint64_t deadline_ms)
{
	uint64_t d = deadline_ms > now_ms ? deadline_ms - now_ms : 0;

	/* The wheel is exact below 63 ms and otherwise fires up to 1/8 of the delay late
	 * (core/timer.h). Looking at 3/4 of the way, then again, reaches the deadline
	 * exactly after a few wakeups (log4 of delay/63: ~9 for a 2-hour keepalive), so
	 * a deadline is honoured to the millisecond, as the tests and RFC 6298 expect. */
	return d < 63 ? deadline_ms : now_ms + d - d / 4;
}

static void tcp_timer_rearm(struct tcp_sock *tp)
{
	uint64_t next = 0, when;

	for (int i = 0; i < TCPT_COUNT; i++)
		if (tp->deadline[i] && (!next || tp->deadline[i] < next))
			next = tp->deadline[i];
	if (!next) {
		us_timer_cancel(&tp->st->timers, &tp->timer);
		return;
	}
	when = tcp_wheel_when(tp->st->now_ms, next);
	if (!us_timer_pending(&tp->timer) || tp->timer.expires_ms != when)
		us_timer_arm(&tp->st->timers, &tp->timer, when);
}

void tcp_timer_set(struct tcp_sock *tp, enum tcp_timer_id id, uint64_t when_ms)
{
	if (tp->deadline[id] == when_ms)
		return;
	tp->deadline[id] = when_ms;
	tcp_timer_rearm(tp);
}

void tcp_timer_stop_all(struct tcp_sock *tp)
{
	for (int i = 0; i < TCPT_COUNT; i++)
		tp->deadline[i] = 0;
	us_timer_cancel(&tp->st->timers, &tp->timer);
}

void tcp_rearm_rexmt(struct tcp_sock *tp)
{
	bool outstanding = tp->snd.una != tp->snd.nxt ||
			   tp->state == TCP_SYN_SENT || tp->state == TCP_SYN_RECEIVED;

	if (outstanding) {
		uint64_t rto = tcp_rto_ms(tp);

		/* Linux tcp_clamp_rto_to_user_timeout: in a retransmission episode with
		 * TCP_USER_TIMEOUT, the timer never runs past the moment the timeout ends,
		 * so the connection is given up on time and not up to a backed-off RTO
		 * later (RFC 5482 3: the user timeout bounds how long data may stay
		 * unacknowledged). */
		if (tp->user_timeout_ms && tp->first_rexmit_ms) {
			uint64_t end = tp->first_rexmit_ms + tp->user_timeout_ms;
			uint64_t left = end > tp->st->now_ms ? end - tp->st->now_ms : 1;

			if (left < rto)
				rto = left;
		}
		tcp_timer_set(tp, TCPT_REXMT, tp->st->now_ms + rto);
	} else
		tcp_timer_clear(tp, TCPT_REXMT);
}

uint32_t tcp_keepalive_idle_ms(const struct tcp_sock *tp)
{
	uint32_t s = tp->keep_idle_s ? tp->keep_idle_s : (uint32_t)tp->st->cfg.tcp_keepalive_time;

	return s * 1000u;
}

static uint32_t keep_intvl_ms(const struct tcp_sock *tp)
{
	uint32_t s = tp->keep_intvl_s ? tp->keep_intvl_s : (uint32_t)tp->st->cfg.tcp_keepalive_intvl;

	return s * 1000u;
}

static uint32_t keep_cnt(const struct tcp_sock *tp)
{
	return tp->keep_cnt ? tp->keep_cnt : (uint32_t)tp->st->cfg.tcp_keepalive_probes;
}

void tcp_keepalive_reset(struct tcp_sock *tp)
{
	if ((tp->flags & TF_KEEPALIVE) && tp->state >= TCP_ESTABLISHED)
		tcp_timer_set(tp, TCPT_KEEP, tp->last_recv_ms + tcp_keepalive_idle_ms(tp));
	else
		tcp_timer_clear(tp, TCPT_KEEP);
}

/* The error a timeout reports: the last ICMP soft error if any (as Linux's
 * tcp_write_err), else ETIMEDOUT. */
static int timeout_err(const struct tcp_sock *tp) { return tp->err_soft ? tp->err_soft : ETIMEDOUT; }

static bool user_timeout_passed(const struct tcp_sock *tp)
{
	return tp->user_timeout_ms && tp->first_rexmit_ms &&
	       tp->st->now_ms - tp->first_rexmit_ms >= tp->user_timeout_ms;
}

static uint32_t max_retries(const struct tcp_sock *tp)
{
	if (tp->flags & TF_ORPHAN) {
		uint32_t r = (uint32_t)tp->st->cfg.tcp_orphan_retries;
		return r ? r : 8;
	}
	return (uint32_t)tp->st->cfg.tcp_retries2;
}

/* Returns true when @tp was freed. */
static bool tcp_timer_rexmt(struct tcp_sock *tp)
{
	struct us_stack *st = tp->st;

	if (tp->state == TCP_SYN_SENT || tp->state == TCP_SYN_RECEIVED) {
		uint32_t max = tp->state == TCP_SYN_SENT ? (uint32_t)st->cfg.tcp_syn_retries
							  : (uint32_t)st->cfg.tcp_synack_retries;

		if (!tp->first_rexmit_ms)
			tp->first_rexmit_ms = st->now_ms;
		if (tp->retries >= max || user_timeout_passed(tp))
			return tcp_abort(tp, timeout_err(tp), false);
		tp->retries++;
		tcp_rto_backoff(tp);
		tp->flags &= ~(uint32_t)TF_SYN_SENT;   /* output sends it again */
		US_INC(st, TcpExtTCPSynRetrans);
		tcp_mark_pending(tp);
		return false;
	}
	if (tp->snd.una == tp->snd.nxt)
		return false;
	/* The episode starts at the first transmission of the oldest unacknowledged
	 * segment, not at this first RTO: Linux's retrans_stamp (tcp_retransmit_skb takes
	 * the head's send time), which tcp_retransmits_timed_out measures TCP_USER_TIMEOUT
	 * from. */
	if (!tp->first_rexmit_ms)
		tp->first_rexmit_ms = tp->txr_n ? tcp_txr_at(tp, 0)->xmit_us / 1000 : st->now_ms;
	if (tp->retries >= max_retries(tp) || user_timeout_passed(tp)) {
		US_INC(st, TcpExtTCPAbortOnTimeout);
		return tcp_abort(tp, timeout_err(tp), true);
	}
	US_INC(st, TcpExtTCPTimeouts);
	/* RFC 5681 3.1 (and 7.2 of RFC 6675): after an RTO, ssthresh = the module's
	 * reduction, unless this is a further RTO of the same episode (the first one
	 * already reduced it, Linux tcp_enter_loss); cwnd = loss window, 1 SMSS. */
	tcp_cc_prepare(tp);
	/* RFC 5682 3.1 step 1 (F-RTO, as Linux's tcp_enter_loss): test this RTO unless
	 * a fast recovery was going on (its RTO is no news), except when the timer
	 * expires again for the same segment (3.2). */
	tp->frto.on = st->cfg.tcp_frto && (tp->cc.ca_state < TCP_CA_RECOVERY || tp->retries > 0);
	tp->frto.new_data = false;
	if (tp->cc.ca_state <= TCP_CA_DISORDER || seq_le(tp->high_seq, tp->snd.una) ||
	    (tp->cc.ca_state == TCP_CA_LOSS && tp->retries == 0)) {
		/* A new episode: what to go back to if it proves spurious (RFC 3522,
		 * RFC 5682); further RTOs of the same one keep the first record. */
		tcp_undo_start(tp);
		if (tp->cc.ops && tp->cc.ops->ssthresh) {
			tcp_cc_prepare_event(tp);   /* FlightSize, RFC 5681 eq. 4 */
			tp->cc.ssthresh = tp->cc.ops->ssthresh(&tp->cc);
			tcp_cc_prepare(tp);
		}
		if (tp->cc.ops && tp->cc.ops->cwnd_event)
			tp->cc.ops->cwnd_event(&tp->cc, TCP_CC_EVENT_LOSS);
	}
	tp->cc.cwnd = tp->snd.mss;
	tp->high_seq = tp->snd.nxt;
	tp->dupacks = 0;
	tp->reno_sacked = 0;
	tp->prr_out = tp->prr_delivered = 0;
	tp->flags &= ~(uint32_t)TF_TLP_OUT;
	tp->tlp_high_seq = 0;
	tcp_timer_clear(tp, TCPT_PTO);
	tcp_timer_clear(tp, TCPT_REO);
	tcp_mark_all_lost(tp);
	tcp_set_ca_state(tp, TCP_CA_LOSS);
	tp->retries++;
	tcp_rto_backoff(tp);
	/* 5.4: retransmit the earliest segment; 5.6: the timer restarts when it goes. */
	tcp_mark_pending(tp);
	return false;
}

static bool tcp_timer_persist(struct tcp_sock *tp)
{
	struct us_stack *st = tp->st;
	uint64_t delay;

	/* Only while nothing is in flight and data (or a FIN) waits: otherwise the
	 * retransmission timer or the ACK clock keeps things moving. */
	if (tp->snd.una != tp->snd.nxt || tp->state < TCP_ESTABLISHED ||
	    (seq_ge(tp->snd.nxt, tp->snd.buf_seq + tp->sndq.len) &&
	     !((tp->flags & TF_FIN_QUEUED) && !(tp->flags & TF_FIN_SENT)))) {
		tp->probes = 0;
		return false;
	}
	if (!tp->first_rexmit_ms)
		tp->first_rexmit_ms = st->now_ms;
	if (tp->probes >= max_retries(tp) || user_timeout_passed(tp)) {
		US_INC(st, TcpExtTCPAbortOnTimeout);
		return tcp_abort(tp, timeout_err(tp), true);
	}
	tp->probes++;
	tp->flags |= TF_PROBE;
	tcp_mark_pending(tp);
	delay = (uint64_t)tcp_rto_base_ms(tp) << (tp->probes < 20 ? tp->probes : 20);
	if (delay > TCP_RTO_MAX_MS)
		delay = TCP_RTO_MAX_MS;
	tcp_timer_set(tp, TCPT_PERSIST, st->now_ms + delay);
	return false;
}

static bool tcp_timer_keep(struct tcp_sock *tp)
{
	struct us_stack *st = tp->st;
	uint64_t idle_ms = st->now_ms - tp->last_recv_ms;
	uint32_t idle_lim = tcp_keepalive_idle_ms(tp);

	if (!(tp->flags & TF_KEEPALIVE) || tp->state < TCP_ESTABLISHED)
		return false;
	/* Something in flight or queued: retransmission or persist timers watch it. */
	if (tp->snd.una != tp->snd.nxt || tp->sndq.len > tp->snd.nxt - tp->snd.buf_seq) {
		tcp_timer_set(tp, TCPT_KEEP, st->now_ms + idle_lim);
		return false;
	}
	if (idle_ms < idle_lim && tp->probes == 0) {
		tcp_timer_set(tp, TCPT_KEEP, tp->last_recv_ms + idle_lim);
		return false;
	}
	if ((tp->user_timeout_ms && idle_ms >= tp->user_timeout_ms && tp->probes > 0) ||
	    (!tp->user_timeout_ms && tp->probes >= keep_cnt(tp))) {
		US_INC(st, TcpExtTCPAbortOnTimeout);
		return tcp_abort(tp, timeout_err(tp), true);
	}
	tp->probes++;
	tp->flags |= TF_PROBE;
	US_INC(st, TcpExtTCPKeepAlive);
	tcp_mark_pending(tp);
	tcp_timer_set(tp, TCPT_KEEP, st->now_ms + keep_intvl_ms(tp));
	return false;
}

static void tcp_timer_fire(struct us_timer *t, uint64_t now_ms)
{
	struct tcp_sock *tp = container_of(t, struct tcp_sock, timer);

#define DUE(id) (tp->deadline[id] && tp->deadline[id] <= now_ms && ((tp->deadline[id] = 0), 1))
	if (DUE(TCPT_DELACK)) {
		if (tp->rcv.unacked || tp->state >= TCP_ESTABLISHED) {
			tp->flags |= TF_ACKNOW;
			US_INC(tp->st, TcpExtDelayedACKs);
			tcp_mark_pending(tp);
		}
	}
	if (DUE(TCPT_PTO)) {
		tcp_tlp_fire(tp);
		/* RFC 8985 7.2: a probe due when the RTO is goes instead of it; the
		 * retransmission timer restarts (and restarts again when it is sent). */
		if (tp->flags & TF_TLP_PENDING)
			tcp_rearm_rexmt(tp);
	}
	if (DUE(TCPT_REXMT) && tcp_timer_rexmt(tp))
		return;
	if (DUE(TCPT_REO))
		tcp_rack_timeout(tp);
	if (DUE(TCPT_CORK)) {
		tp->uncork = true;
		tcp_mark_pending(tp);
	}
	if (DUE(TCPT_PERSIST) && tcp_timer_persist(tp))
		return;
	if (DUE(TCPT_KEEP) && tcp_timer_keep(tp))
		return;
	if (DUE(TCPT_FIN_WAIT_2) && tp->state == TCP_FIN_WAIT_2 && (tp->flags & TF_ORPHAN)) {
		tcp_done(tp);
		return;
	}
#undef DUE
	tcp_timer_rearm(tp);
}
