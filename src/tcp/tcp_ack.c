/*
 * tcp_ack.c - the fifth step of SEGMENT ARRIVES for synchronized states: what the
 * ACK field (and the SACK option) of an incoming segment means for the sender.
 *
 * In order (tcp_ack):
 *   1. validation: RFC 5961 5.2 (acceptable if SND.UNA - MAX.SND.WND <= SEG.ACK <=
 *      SND.NXT); beyond SND.NXT: ACK and drop (RFC 9293); too old: challenge ACK;
 *   2. the scoreboard: SACK blocks (tcp_recovery.c);
 *   3. SND.UNA advances: records of acknowledged segments go, the send ring is
 *      consumed, an RTT sample is taken (Karn, or the echoed timestamp RFC 7323
 *      4.1), the retransmission timer restarts (RFC 6298 5.2/5.3);
 *      otherwise a duplicate ACK is counted (RFC 5681 2 definition);
 *   4. the send window (RFC 9293 3.10.7.4, SND.WL1/SND.WL2 rule);
 *   5. loss detection, then the recovery state machine: enter recovery (ssthresh
 *      from the congestion module), PRR during it (RFC 6937), NewReno partial ACKs
 *      (RFC 6582), leave it at the recovery point (or, for modules with
 *      TCP_CC_FLAG_RENO_RECOVERY, at the first new ACK: classic Reno, RFC 5681 3.2);
 *      leave CA_LOSS when the data outstanding at the RTO is acknowledged;
 *      undo a response that proves unnecessary (tcp_recovery.c "undo"): at the end
 *      of recovery or on a partial ACK by timestamps (RFC 3522), on D-SACKs
 *      (RFC 3708, also after recovery ended), after an RTO by Eifel or F-RTO
 *      (RFC 5682 3.1, whose steps run here);
 *   6. congestion control: pkts_acked on every ACK that delivers data; cong_avoid
 *      (slow start / congestion avoidance, RFC 5681 3.1) outside recovery when the
 *      connection is cwnd-limited; or cong_control with a rate sample.
 *
 * Read first: RFC 9293 3.10.7.4 (fifth), RFC 5961 5, RFC 5681 2-3, RFC 6298 5,
 * RFC 7323 4, RFC 3522 2, RFC 3708 3, RFC 5682 3.1.
 */
#include "tcp/tcp_sock.h"

void tcp_cc_prepare(struct tcp_sock *tp)
{
	tp->cc.mss = tp->snd.mss;
	tp->cc.in_flight = tcp_in_flight(tp);
	tp->cc.srtt_us = tp->srtt_us;
	tp->cc.min_rtt_us = tp->min_rtt_us;
	tp->cc.now_us = tcp_now_us(tp->st);
	tp->cc.delivered = tp->delivered;
	tp->cc.app_limited = !(tp->flags & TF_CWND_LIMITED);
}

void tcp_cc_prepare_event(struct tcp_sock *tp)
{
	tcp_cc_prepare(tp);
	/* The ssthresh hook's in_flight is RFC 5681 eq. 4's FlightSize, "the amount of
	 * outstanding data in the network": SND.NXT - SND.UNA, not RFC 6675's pipe.
	 * By the time of a fast retransmit, pipe has already lost the DupThresh segments
	 * that were SACKed (or counted by duplicate ACKs) and the segment deemed lost:
	 * 3 duplicate ACKs out of 10 segments gave ssthresh 3 segments instead of 5. */
	tp->cc.in_flight = tp->snd.nxt - tp->snd.una;
}

void tcp_set_ca_state(struct tcp_sock *tp, uint8_t s)
{
	if (tp->cc.ca_state == s)
		return;
	tp->cc.ca_state = s;
	if (tp->cc.ops && tp->cc.ops->set_state) {
		tcp_cc_prepare(tp);
		tp->cc.ops->set_state(&tp->cc, s);
	}
}

void tcp_sndbuf_expand(struct tcp_sock *tp)
{
	struct us_stack *st = tp->st;
	uint64_t want;

	/* Linux tcp_sndbuf_expand: room for two windows' worth of data, so the send
	 * queue never limits a connection whose cwnd keeps growing. */
	if (tp->flags & TF_SNDBUF_LOCK)
		return;
	want = 2ull * tp->cc.cwnd;
	if (want < (uint64_t)st->cfg.tcp_wmem_default)
		want = (uint64_t)st->cfg.tcp_wmem_default;
	if (want <= tp->sndbuf)
		return;
	/* Grow by doubling at least: a resize copies the ring, so it must be rare. */
	if (want < 2ull * tp->sndbuf)
		want = 2ull * tp->sndbuf;
	if (want > (uint64_t)st->cfg.tcp_wmem_max)
		want = (uint64_t)st->cfg.tcp_wmem_max;
	if (want > tp->sndbuf && us_ring_resize(&tp->sndq, (uint32_t)want) == 0) {
		tp->sndbuf = (uint32_t)want;
		tcp_wake(tp);
	}
}

void tcp_update_wnd(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	uint32_t wnd = (uint32_t)seg->th->window;
	bool was_zero = tp->snd.wnd == 0;

	/* RFC 7323 2.2: the window of a SYN is not scaled. */
	if (!(seg->flags & TCP_SYN))
		wnd <<= tp->snd.wscale;
	/* RFC 9293 3.10.7.4: "If SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =<
	 * SEG.ACK), set SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and set SND.WL2 <-
	 * SEG.ACK" - old segments must not reopen or shrink the window. */
	if (seq_lt(tp->snd.wl1, seg->seq) ||
	    (tp->snd.wl1 == seg->seq && seq_le(tp->snd.wl2, seg->ack))) {
		tp->snd.wnd = wnd;
		tp->snd.wl1 = seg->seq;
		tp->snd.wl2 = seg->ack;
		if (wnd > tp->snd.max_wnd)
			tp->snd.max_wnd = wnd;
		if (was_zero && wnd) {
			tp->probes = 0;
			tcp_timer_clear(tp, TCPT_PERSIST);
			tcp_mark_pending(tp);
		}
	}
}

/* RFC 5681 2: "DUPLICATE ACKNOWLEDGMENT". */
static bool is_dupack(const struct tcp_sock *tp, const struct tcp_seg *seg, uint32_t prior_wnd)
{
	uint32_t wnd = (uint32_t)seg->th->window << tp->snd.wscale;

	return seg->ack == tp->snd.una && tp->snd.una != tp->snd.nxt && seg->len == 0 &&
	       !(seg->flags & (TCP_SYN | TCP_FIN)) && wnd == prior_wnd;
}

/* Consumes acknowledged bytes from the send ring (SYN and FIN occupy no ring bytes). */
static void sndq_consume(struct tcp_sock *tp, uint32_t ack)
{
	uint32_t n;

	if (!seq_gt(ack, tp->snd.buf_seq))
		return;
	n = ack - tp->snd.buf_seq;
	if (n > tp->sndq.len)
		n = tp->sndq.len;
	us_ring_read(&tp->sndq, NULL, n);
	tp->snd.buf_seq += n;
}

static void rtt_from_ts(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	const struct tcp_opts *o = &seg->th->opts;
	uint32_t ms;

	/* RFC 7323 4.1: RTT = now - TSecr, valid even for retransmitted data. */
	if (!(tp->flags & TF_TS_OK) || !o->ts_present || !o->tsecr)
		return;
	ms = tcp_now_ts(tp->st) + tp->ts_off - o->tsecr;
	if (ms > 60000)
		return;
	tcp_rtt_sample(tp, ms ? ms * 1000u : 500u);
}

static void exit_recovery(struct tcp_sock *tp)
{
	/* RFC 6937 3.1: at the end of recovery cwnd = ssthresh (never above what it was
	 * going into recovery; PRR keeps it there). */
	if (!(tp->cc.ops && tp->cc.ops->cong_control) && tp->cc.ssthresh != UINT32_MAX)
		tp->cc.cwnd = tp->cc.ssthresh < tp->snd.mss ? tp->snd.mss : tp->cc.ssthresh;
	tp->dupacks = 0;
	tp->reno_sacked = 0;
	tcp_set_ca_state(tp, TCP_CA_OPEN);
}

/* After an undo: OPEN, or DISORDER while SACKs or duplicate ACKs are still about
 * (Linux's tcp_try_keep_open). */
static void open_after_undo(struct tcp_sock *tp)
{
	tp->dupacks = 0;
	tcp_set_ca_state(tp, tp->sacked_bytes || tp->reno_sacked ? TCP_CA_DISORDER : TCP_CA_OPEN);
}

/* An ACK in CA_LOSS (after an RTO), as Linux's tcp_process_loss: undo when the RTO
 * proves spurious, F-RTO's steps (RFC 5682 3.1, SACK-enhanced), and the end of the
 * loss episode once everything outstanding at the RTO is acknowledged. */
static void loss_ack(struct tcp_sock *tp, const struct tcp_seg *seg, uint32_t acked,
		     uint32_t sack_newly, bool dup)
{
	struct us_stack *st = tp->st;
	bool recovered = seq_ge(tp->snd.una, tp->high_seq);

	/* RFC 3522 (Eifel): the ACK echoes the original's timestamp, or D-SACKs covered
	 * every retransmission; RFC 5682 3.1 step 3.b (F-RTO): data sent before the RTO
	 * and never retransmitted is acknowledged or SACKed, so it was not lost. Either
	 * way the timeout was spurious: undo (RFC 4015 3.2), the lost marks included. */
	if ((acked && tcp_may_undo(tp, seg)) || (tp->frto.on && tp->ack_orig)) {
		tcp_undo(tp, true);
		US_INC(st, TcpExtTCPLossUndo);
		US_INC(st, TcpExtTCPSpuriousRTOs);
		tp->retries = 0;
		open_after_undo(tp);
		return;
	}
	if (tp->frto.on) {
		if (seq_gt(tp->snd.nxt, tp->high_seq)) {
			/* Step 3.a: new data went (step 2.b) and the peer still reports a
			 * hole (SACK or duplicate ACK): the loss was real. */
			if (sack_newly || dup)
				tp->frto.on = false;
		} else if (acked && !recovered) {
			/* Step 2.b: the first ACK acknowledged only retransmitted data: send
			 * new data next and see what the following ACK says; with nothing
			 * new to send, conventional recovery. */
			tp->high_seq = tp->snd.nxt;
			if (seq_gt(tp->snd.buf_seq + tp->sndq.len, tp->snd.nxt) &&
			    seq_lt(tp->snd.nxt, tp->snd.una + tp->snd.wnd)) {
				tp->frto.new_data = true;
				return;
			}
			tp->frto.on = false;
		}
	}
	if (recovered) {
		/* Everything outstanding at the RTO is acknowledged (Linux's
		 * tcp_try_undo_recovery in CA_LOSS): undo if it proved spurious. */
		if (tcp_may_undo(tp, seg)) {
			tcp_undo(tp, false);
			US_INC(st, TcpExtTCPLossUndo);
		}
		tp->frto.on = false;
		tp->reno_sacked = 0;
		open_after_undo(tp);
	}
}

/* RFC 8985 7.4: did the tail loss probe repair a loss? */
static void tlp_ack(struct tcp_sock *tp, const struct tcp_seg *seg, bool dsack)
{
	if (!(tp->flags & TF_TLP_OUT) || seq_lt(seg->ack, tp->tlp_high_seq))
		return;
	tp->flags &= ~(uint32_t)TF_TLP_OUT;
	if (tp->tlp_is_retrans && !dsack && tp->cc.ca_state == TCP_CA_OPEN) {
		/* The probe was a retransmission and no D-SACK says the original arrived:
		 * a loss happened, repaired by the probe; the congestion response is due
		 * (as a CWR: reduce without retransmitting). */
		US_INC(tp->st, TcpExtTCPLossProbeRecovery);
		tcp_cc_prepare_event(tp);
		if (tp->cc.ops && tp->cc.ops->ssthresh && !tp->cc.ops->cong_control) {
			tp->cc.ssthresh = tp->cc.ops->ssthresh(&tp->cc);
			if (tp->cc.cwnd > tp->cc.ssthresh)
				tp->cc.cwnd = tp->cc.ssthresh;
		}
	}
	tp->tlp_high_seq = 0;
}

static void cc_on_ack(struct tcp_sock *tp, uint32_t acked, uint32_t delivered_now, int64_t rtt_us,
		      uint32_t prior_in_flight)
{
	struct tcp_ack_sample s = {
		.acked = delivered_now,
		.rtt_us = rtt_us >= 0 && rtt_us < INT32_MAX ? (int32_t)rtt_us : -1,
		.prior_in_flight = prior_in_flight,
	};
	const struct tcp_cc_ops *ops = tp->cc.ops;
	uint32_t used;

	if (!ops || !delivered_now)
		return;
	tcp_cc_prepare(tp);
	if (ops->cong_control) {
		struct tcp_rate_sample rs = {
			.delivered = delivered_now,
			.interval_us = tp->srtt_us,
			.rtt_us = s.rtt_us,
			.prior_in_flight = prior_in_flight,
			.acked = delivered_now,
			.is_app_limited = tp->cc.app_limited,
		};
		ops->cong_control(&tp->cc, &rs);
		return;
	}
	if (ops->pkts_acked)
		ops->pkts_acked(&tp->cc, &s);
	/* Grow cwnd only outside cwnd reduction, and only when cwnd is what limits us
	 * (RFC 7661; Linux tcp_is_cwnd_limited): cwnd stopped output in this window of
	 * data, or the flight before this ACK filled it, or, in slow start, the largest
	 * flight of the window reached half of it (Linux max_packets_out: ACKs handled
	 * in one batch drain prior_in_flight before output refills it). */
	if (tp->cc.ca_state == TCP_CA_RECOVERY || tp->cc.ca_state == TCP_CA_CWR)
		return;
	/* RFC 5681 3.1 / RFC 3042: only an ACK that acknowledges new data grows cwnd
	 * (Linux tcp_may_raise_cwnd); duplicate ACKs and SACKs alone do not. */
	if (!acked)
		return;
	used = prior_in_flight > tp->max_flight ? prior_in_flight : tp->max_flight;
	if (!tp->cwnd_limited_win && (uint64_t)prior_in_flight + tp->snd.mss <= tp->cc.cwnd &&
	    !(tp->cc.cwnd < tp->cc.ssthresh && 2ull * used >= tp->cc.cwnd))
		return;
	if (ops->cong_avoid)
		ops->cong_avoid(&tp->cc, &s);
}

bool tcp_ack(struct tcp_sock *tp, struct tcp_seg *seg, enum us_drop_reason *reason)
{
	struct us_stack *st = tp->st;
	uint32_t ack = seg->ack, prior_in_flight = tcp_in_flight(tp), prior_wnd = tp->snd.wnd;
	uint32_t max_wnd = tp->snd.max_wnd ? tp->snd.max_wnd : 65535;
	uint32_t acked = 0, sack_newly, old_reno = tp->reno_sacked;
	int64_t rtt_us = -1, delivered_now;
	bool dsack = false, fin_acked = false, dup = false, lost;

	/* 1. RFC 9293: an ACK for something not yet sent is answered and dropped. */
	if (seq_gt(ack, tp->snd.nxt)) {
		tp->flags |= TF_ACKNOW;
		tcp_mark_pending(tp);
		*reason = US_DROP_TCP_ACK_INVALID;
		return false;
	}
	/* RFC 5961 5.2: too old an ACK (older than the largest window) is an injection
	 * attempt or garbage: challenge ACK, drop. */
	if (seq_lt(ack, tp->snd.una - max_wnd)) {
		if (tcp_challenge_ack_allowed(st)) {
			US_INC(st, TcpExtTCPChallengeACK);
			tp->flags |= TF_ACKNOW;
			tcp_mark_pending(tp);
		}
		*reason = US_DROP_TCP_ACK_INVALID;
		return false;
	}
	/* Any acceptable ACK means the peer is alive (probes answered). */
	tp->probes = 0;

	/* 2. SACK */
	tp->ack_orig = false;
	sack_newly = tcp_sack_process(tp, seg, &dsack);

	/* 3. SND.UNA */
	if (seq_gt(ack, tp->snd.una)) {
		acked = tcp_txr_ack(tp, ack, &rtt_us, &fin_acked);
		sndq_consume(tp, ack);
		us_intervals_advance(&tp->sacked, ack - tp->snd.una);
		tp->snd.una = ack;
		tp->neigh_confirm = true; /* forward progress: the path works */
		tp->bytes_acked += acked;
		tp->retries = 0;
		tp->first_rexmit_ms = 0;
		tp->err_soft = 0;
		if (fin_acked)
			tp->flags |= TF_FIN_ACKED;
		if (rtt_us >= 0)
			tcp_rtt_sample(tp, (uint32_t)(rtt_us < UINT32_MAX ? rtt_us : UINT32_MAX));
		else
			rtt_from_ts(tp, seg);
		tcp_rearm_rexmt(tp);
		tp->dupacks = 0;
		if (!(tp->flags & TF_SACK_OK)) {
			/* The cumulative ACK covers the segments the duplicate ACKs stood for. */
			uint32_t used = acked > tp->snd.mss ? acked - tp->snd.mss : 0;

			tp->reno_sacked = acked >= tp->reno_sacked + tp->snd.mss
						  ? 0
						  : tp->reno_sacked - (used < tp->reno_sacked ? used : tp->reno_sacked);
		}
		tcp_wake(tp);
	} else if ((dup = is_dupack(tp, seg, prior_wnd))) {
		tp->dupacks++;
		if (!(tp->flags & TF_SACK_OK)) {
			/* Each duplicate ACK: a segment left the network (RFC 5681 3.2 step 4,
			 * RFC 3042). Kept below what is outstanding. */
			uint32_t out = tp->snd.nxt - tp->snd.una;
			uint32_t cap = out > tp->lost_bytes + tp->snd.mss ? out - tp->lost_bytes - tp->snd.mss : 0;

			tp->reno_sacked += tp->snd.mss;
			if (tp->reno_sacked > cap)
				tp->reno_sacked = cap;
		}
	}
	delivered_now = (int64_t)acked + sack_newly + ((int64_t)tp->reno_sacked - old_reno);
	if (delivered_now < 0)
		delivered_now = 0;

	/* 4. the window */
	tcp_update_wnd(tp, seg);
	tlp_ack(tp, seg, dsack);
	if (dsack && !tp->rack.dsack_round) {
		/* RFC 8985 6.2 step 4: D-SACK means reordering; widen the window. */
		tp->rack.reo_wnd_mult++;
		tp->rack.reo_wnd_persist = 16;
		tp->rack.dsack_round = tp->snd.nxt;
		tp->rack.reord = true;
	} else if (tp->rack.dsack_round && seq_ge(ack, tp->rack.dsack_round)) {
		tp->rack.dsack_round = 0;
	}

	/* 5. loss detection and recovery */
	switch (tp->cc.ca_state) {
	case TCP_CA_RECOVERY:
		if (seq_ge(tp->snd.una, tp->high_seq) ||
		    (acked && tp->cc.ops && (tp->cc.ops->flags & TCP_CC_FLAG_RENO_RECOVERY))) {
			/* Linux's tcp_try_undo_recovery: at the end of recovery, if every
			 * retransmission proved unnecessary (D-SACKs) or the ACK echoes a
			 * timestamp older than the first one (RFC 3522), undo; else cwnd
			 * comes down to ssthresh (RFC 6937). */
			if (tcp_may_undo(tp, seg)) {
				tcp_undo(tp, false);
				US_INC(st, TcpExtTCPFullUndo);
				open_after_undo(tp);
			} else {
				exit_recovery(tp);
			}
			break;
		}
		/* Linux's tcp_try_undo_partial: a partial ACK whose timestamp shows the
		 * hole was filled by the delayed original (RFC 3522), with none of our
		 * retransmissions still in flight: reordering, not loss. */
		if (acked && tp->undo.on && tcp_packet_delayed(tp, seg) && !tp->retrans_bytes) {
			tcp_undo(tp, true);
			US_INC(st, TcpExtTCPPartialUndo);
			open_after_undo(tp);
			break;
		}
		/* RFC 3708 3 (Linux's tcp_try_undo_dsack): D-SACKs covered every
		 * retransmission of the episode. */
		if (tp->undo.on && tp->undo.retrans == 0) {
			tcp_undo(tp, false);
			US_INC(st, TcpExtTCPDSACKUndo);
			open_after_undo(tp);
			break;
		}
		/* RFC 6582 3.2 step 5: a partial ACK retransmits the next segment. */
		if (acked && !(tp->flags & TF_SACK_OK))
			tcp_mark_head_lost(tp);
		break;
	case TCP_CA_LOSS:
		loss_ack(tp, seg, acked, sack_newly, dup);
		break;
	default:
		/* A D-SACK can come after the recovery ended (the original arrived,
		 * the retransmission after it): undo then (RFC 3708 3). */
		if (tp->undo.on && tp->undo.retrans == 0) {
			tcp_undo(tp, false);
			US_INC(st, TcpExtTCPDSACKUndo);
		}
		break;
	}
	lost = tcp_mark_lost(tp, sack_newly > 0);
	switch (tp->cc.ca_state) {
	case TCP_CA_RECOVERY:
		tcp_prr_update(tp, (uint32_t)delivered_now);
		break;
	case TCP_CA_LOSS:
		break;
	default:
		if (lost || tp->lost_bytes) {
			tcp_enter_recovery(tp);
			tcp_prr_update(tp, (uint32_t)delivered_now);
		} else if (tp->dupacks || tp->sacked_bytes || tp->reno_sacked) {
			tcp_set_ca_state(tp, TCP_CA_DISORDER);
		} else {
			tcp_set_ca_state(tp, TCP_CA_OPEN);
		}
		break;
	}

	/* 6. congestion control */
	cc_on_ack(tp, acked, (uint32_t)delivered_now, rtt_us, prior_in_flight);
	tcp_sndbuf_expand(tp);
	if (acked || sack_newly || lost || tp->snd.wnd != prior_wnd || tp->dupacks)
		tcp_mark_pending(tp);
	if (tp->snd.una == tp->snd.nxt)
		tcp_timer_clear(tp, TCPT_PTO);
	return true;
}
