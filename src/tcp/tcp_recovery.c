/*
 * tcp_recovery.c - the sender's knowledge of what is in flight and what was lost,
 * and the algorithms that act on it.
 *
 * Records: every transmitted segment has a small record (sequence range, last
 * send time, flags) in a ring ordered by sequence, covering exactly [SND.UNA,
 * SND.NXT). Bytes are never kept twice: retransmissions are cut again from the
 * send ring (DESIGN.md 7). Byte counts follow the flags (Linux's sacked_out,
 * lost_out, retrans_out), so the RFC 6675 "pipe" is O(1):
 *     pipe = (SND.NXT - SND.UNA) - SACKed - lost + retransmitted
 * (a SACKed segment is not in the network; a lost one is not, until its
 * retransmission is; a retransmission of a segment not deemed lost counts twice:
 * exactly SetPipe's rules, RFC 6675 4).
 *
 * Scoreboard: the peer's SACK blocks (RFC 2018) merged into an interval set with
 * offsets from SND.UNA; a record is SACKed when the set covers it. D-SACKs
 * (RFC 2883) are recognised and counted, never put in the scoreboard.
 *
 * Loss detection, after each ACK (tcp_mark_lost):
 *   - SACK peers with net.ipv4.tcp_recovery=1: RACK (RFC 8985 6): a segment sent
 *     before the most recently delivered one is lost once RACK.rtt + reo_wnd has
 *     passed since it was sent; the reordering timer (TCPT_REO) catches the ones
 *     that are not yet due;
 *   - SACK peers otherwise: RFC 6675 IsLost(): DupThresh SACKed segments, or more than
 *     (DupThresh-1)*SMSS SACKed bytes, above an unSACKed one;
 *   - non-SACK peers: NewReno (RFC 6582): the third duplicate ACK marks the first
 *     unacknowledged segment lost (fast retransmit, RFC 5681 3.2), and each partial
 *     ACK in recovery the next one. Duplicate ACKs count as SACKed bytes (as Linux's
 *     "reno sack" emulation), which is what gives limited transmit (RFC 3042): the
 *     first two duplicate ACKs each let one new segment out with cwnd unchanged.
 * Recovery (tcp_enter_recovery, tcp_prr_update): ssthresh from the congestion
 * module, then cwnd set on every ACK by Proportional Rate Reduction (RFC 6937,
 * with PRR-SSRB) until SND.UNA passes the recovery point.
 * Tail loss probe (RFC 8985 7): PTO = 2*SRTT after new data; on expiry send new data
 * or the last segment again, so a lost tail gets SACKed instead of waiting for the RTO.
 *
 * Undo (the section of that name below): the record of a congestion response, so
 * that one proved unnecessary (timestamps, D-SACKs, F-RTO) can be taken back.
 *
 * Read first: RFC 6675 2-5, RFC 6937 3, RFC 8985 6-7, RFC 6582 3.2, RFC 3042 2,
 * RFC 3522, RFC 3708, RFC 5682.
 */
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp_sock.h"

/* ---- records ---- */

static int txr_grow(struct tcp_sock *tp)
{
	uint32_t cap = tp->txr_cap ? tp->txr_cap * 2 : 64;
	struct tcp_txrec *n;

	if (cap > TCP_TXREC_MAX)
		return -1;
	n = malloc(cap * sizeof(*n));
	if (!n)
		return -1;
	for (uint32_t i = 0; i < tp->txr_n; i++)
		n[i] = *tcp_txr_at(tp, i);
	free(tp->txr);
	tp->txr = n;
	tp->txr_cap = cap;
	tp->txr_head = 0;
	return 0;
}

int tcp_txr_append(struct tcp_sock *tp, uint32_t seq, uint32_t end, uint8_t flags)
{
	struct tcp_txrec *r;

	if (tp->txr_n == tp->txr_cap && txr_grow(tp) < 0)
		return -1;
	r = tcp_txr_at(tp, tp->txr_n++);
	r->seq = seq;
	r->end = end;
	r->xmit_us = tcp_now_us(tp->st);
	r->order = ++tp->xmit_order;
	r->delivered = tp->delivered;
	r->delivered_us = tp->delivered_us;
	r->flags = flags;
	return 0;
}

void tcp_txr_clear(struct tcp_sock *tp)
{
	tp->txr_n = 0;
	tp->txr_head = 0;
	tp->rexmit_hint = 0;
	tp->sacked_bytes = tp->lost_bytes = tp->retrans_bytes = tp->reno_sacked = 0;
	us_intervals_init(&tp->sacked);
}

static uint32_t rec_len(const struct tcp_txrec *r) { return r->end - r->seq; }

/* Clears @flags from @r keeping the byte counts in step. */
static void rec_clear(struct tcp_sock *tp, struct tcp_txrec *r, uint8_t flags)
{
	uint32_t len = rec_len(r);

	if ((flags & TXR_SACKED) && (r->flags & TXR_SACKED))
		tp->sacked_bytes -= len;
	if ((flags & TXR_LOST) && (r->flags & TXR_LOST))
		tp->lost_bytes -= len;
	if ((flags & TXR_RETRANS) && (r->flags & TXR_RETRANS))
		tp->retrans_bytes -= len;
	r->flags &= (uint8_t)~flags;
}

static void rec_mark_lost(struct tcp_sock *tp, struct tcp_txrec *r, uint32_t idx)
{
	if (r->flags & TXR_RETRANS) {
		/* The retransmission is lost too (RACK sees it). */
		rec_clear(tp, r, TXR_RETRANS);
		US_INC(tp->st, TcpExtTCPLostRetransmit);
	}
	if (!(r->flags & TXR_LOST)) {
		r->flags |= TXR_LOST;
		tp->lost_bytes += rec_len(r);
	}
	if (idx < tp->rexmit_hint)
		tp->rexmit_hint = idx;
}

uint32_t tcp_in_flight(const struct tcp_sock *tp)
{
	int64_t out = (int64_t)(uint32_t)(tp->snd.nxt - tp->snd.una);
	int64_t pipe;

	if (tp->state < TCP_ESTABLISHED)
		return 0;
	pipe = out - tp->sacked_bytes - tp->reno_sacked - tp->lost_bytes + tp->retrans_bytes;
	return pipe > 0 ? (uint32_t)pipe : 0;
}

/* RFC 8985 6.2 steps 2-3: a delivered segment updates RACK's notion of the most
 * recently sent delivered segment, and reveals reordering. */
void tcp_rack_update(struct tcp_sock *tp, struct tcp_txrec *r)
{
	uint64_t now = tcp_now_us(tp->st);
	uint32_t rtt = (uint32_t)(now - r->xmit_us);

	/* RFC 8985 6.2 step 2: a segment delivered below RACK.fack, never retransmitted,
	 * was reordered. Only once RACK.fack holds a delivered segment: before that it is
	 * 0, which is "after" every sequence number from 2^31 up in modular order, and
	 * a 0 check alone would also fire again whenever fack legitimately wraps to 0. */
	if (tp->rack.fack_set && !(r->flags & TXR_EVER_RETRANS) && seq_lt(r->end, tp->rack.fack))
		tp->rack.reord = true;
	if (!tp->rack.fack_set || seq_gt(r->end, tp->rack.fack)) {
		tp->rack.fack = r->end;
		tp->rack.fack_set = true;
	}
	/* Step 2: a retransmitted segment acknowledged faster than the minimum RTT was
	 * probably the original's ACK: it says nothing about time. */
	if ((r->flags & TXR_EVER_RETRANS) && tp->min_rtt_us && rtt < tp->min_rtt_us)
		return;
	tp->rack.rtt_us = rtt;
	/* RACK_sent_after(): the transmission order decides, exactly, even when the
	 * clock did not tick between two sends. */
	if ((int32_t)(r->order - tp->rack.order) > 0 || !tp->rack.xmit_us) {
		tp->rack.xmit_us = r->xmit_us;
		tp->rack.order = r->order;
		tp->rack.end_seq = r->end;
	}
	tp->rack.advanced = true;
}

uint32_t tcp_txr_ack(struct tcp_sock *tp, uint32_t ack, int64_t *rtt_us, bool *fin_acked)
{
	uint64_t now = tcp_now_us(tp->st);
	uint64_t first_xmit = 0;
	bool retrans_acked = false;
	uint32_t acked = 0, popped = 0;

	*rtt_us = -1;
	*fin_acked = false;
	while (tp->txr_n) {
		struct tcp_txrec *r = tcp_txr_at(tp, 0);

		if (seq_le(r->end, ack)) {
			if (!(r->flags & TXR_SACKED)) {
				tp->delivered += rec_len(r);
				tcp_rack_update(tp, r);
				if (!(r->flags & TXR_EVER_RETRANS) && seq_le(r->end, tp->high_seq))
					tp->ack_orig = true;
			}
			if (r->flags & TXR_EVER_RETRANS)
				retrans_acked = true;
			else if (!first_xmit)
				first_xmit = r->xmit_us;
			if (r->flags & TXR_FIN)
				*fin_acked = true;
			acked += rec_len(r);
			rec_clear(tp, r, TXR_SACKED | TXR_LOST | TXR_RETRANS);
			tp->txr_head = (tp->txr_head + 1) & (tp->txr_cap - 1);
			tp->txr_n--;
			popped++;
		} else if (seq_gt(ack, r->seq)) {
			uint32_t part = ack - r->seq;

			/* Partially acknowledged: the rest stays in flight. */
			if (r->flags & TXR_SACKED)
				tp->sacked_bytes -= part;
			else
				tp->delivered += part;
			if (!(r->flags & (TXR_SACKED | TXR_EVER_RETRANS)) && seq_le(r->end, tp->high_seq))
				tp->ack_orig = true;
			if (r->flags & TXR_LOST)
				tp->lost_bytes -= part;
			if (r->flags & TXR_RETRANS)
				tp->retrans_bytes -= part;
			if (r->flags & TXR_EVER_RETRANS)
				retrans_acked = true;
			else if (!first_xmit)
				first_xmit = r->xmit_us;
			r->seq = ack;
			acked += part;
			break;
		} else {
			break;
		}
	}
	tp->rexmit_hint = tp->rexmit_hint > popped ? tp->rexmit_hint - popped : 0;
	/* Karn (RFC 6298 3): no sample when retransmitted data is acknowledged. */
	if (first_xmit && !retrans_acked)
		*rtt_us = (int64_t)(now - first_xmit);
	if (acked)
		tp->delivered_us = now;
	return acked;
}

/* ---- SACK scoreboard ---- */

/* Index of the first record whose end is after @seq (binary search: records are
 * contiguous and sorted). */
static uint32_t txr_find(struct tcp_sock *tp, uint32_t seq)
{
	uint32_t lo = 0, hi = tp->txr_n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (seq_le(tcp_txr_at(tp, mid)->end, seq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint32_t tcp_sack_process(struct tcp_sock *tp, const struct tcp_seg *seg, bool *dsack)
{
	const struct tcp_opts *o = &seg->th->opts;
	uint32_t una = tp->snd.una, newly = 0;

	*dsack = false;
	if (!(tp->flags & TF_SACK_OK) || !o->sack_count)
		return 0;
	for (unsigned i = 0; i < o->sack_count; i++) {
		uint32_t s = o->sack[i].start, e = o->sack[i].end;

		/* RFC 2883 4: the first block is a D-SACK when it lies below the cumulative
		 * ACK, or inside the second block. */
		if (i == 0 && (seq_le(e, seg->ack) ||
			       (o->sack_count > 1 && seq_ge(s, o->sack[1].start) &&
				seq_le(e, o->sack[1].end)))) {
			*dsack = true;
			US_INC(tp->st, TcpExtTCPDSACKRecv);
			tcp_undo_dsack(tp, s, e, una);
			continue;
		}
		/* RFC 2018 / Linux tcp_is_sackblock_valid: nothing beyond what was sent,
		 * nothing empty, nothing entirely acknowledged. */
		if (!seq_lt(s, e) || seq_gt(e, tp->snd.nxt) || seq_le(e, una))
			continue;
		if (seq_lt(s, una))
			s = una;
		if (us_intervals_add(&tp->sacked, s - una, e - una) < 0)
			continue;
		US_INC(tp->st, TcpExtTCPSackShifted);
		for (uint32_t k = txr_find(tp, s); k < tp->txr_n; k++) {
			struct tcp_txrec *r = tcp_txr_at(tp, k);

			if (!seq_lt(r->seq, e))
				break;
			if ((r->flags & TXR_SACKED) ||
			    !us_intervals_covers(&tp->sacked, r->seq - una, r->end - una))
				continue;
			if (!(r->flags & TXR_EVER_RETRANS) && seq_le(r->end, tp->high_seq))
				tp->ack_orig = true;
			rec_clear(tp, r, TXR_LOST | TXR_RETRANS);
			r->flags |= TXR_SACKED;
			tp->sacked_bytes += rec_len(r);
			tp->delivered += rec_len(r);
			newly += rec_len(r);
			tcp_rack_update(tp, r);
		}
	}
	if (newly)
		tp->delivered_us = tcp_now_us(tp->st);
	return newly;
}

/* ---- loss detection ---- */

void tcp_mark_head_lost(struct tcp_sock *tp)
{
	if (tp->txr_n) {
		struct tcp_txrec *r = tcp_txr_at(tp, 0);

		if (!(r->flags & (TXR_SACKED | TXR_LOST)))
			rec_mark_lost(tp, r, 0);
		else if ((r->flags & TXR_LOST) && (r->flags & TXR_RETRANS)) {
			/* NewReno partial ACK: the head must go again (RFC 6582 3.2 step 5). */
			rec_clear(tp, r, TXR_RETRANS);
			tp->rexmit_hint = 0;
		}
	}
}

/* RFC 6675 4 IsLost(), applied to every unSACKed record at once, from the top. */
static bool rfc6675_mark_lost(struct tcp_sock *tp)
{
	uint32_t cnt = 0, bytes = 0, lim = (tp->reordering - 1) * tp->snd.mss;
	bool any = false;

	for (uint32_t i = tp->txr_n; i-- > 0;) {
		struct tcp_txrec *r = tcp_txr_at(tp, i);

		if (r->flags & TXR_SACKED) {
			cnt++;
			bytes += rec_len(r);
			continue;
		}
		if (r->flags & TXR_LOST)
			break;  /* everything below is already lost */
		if (cnt >= tp->reordering || bytes > lim) {
			rec_mark_lost(tp, r, i);
			any = true;
		}
	}
	return any;
}

/* RFC 8985 6.2 step 4. */
static uint64_t rack_reo_wnd_us(const struct tcp_sock *tp)
{
	uint64_t w;

	if (!tp->rack.reord) {
		if (tp->cc.ca_state == TCP_CA_RECOVERY || tp->cc.ca_state == TCP_CA_LOSS)
			return 0;
		if (tp->sacked_bytes >= tp->reordering * tp->snd.mss)
			return 0;
	}
	w = (uint64_t)tp->min_rtt_us / 4 * tp->rack.reo_wnd_mult;
	if (tp->srtt_us && w > tp->srtt_us)
		w = tp->srtt_us;
	return w;
}

/* RFC 8985 6.2 step 5 (RACK_detect_loss). Returns true when something new is lost. */
static bool rack_detect_loss(struct tcp_sock *tp)
{
	uint64_t now = tcp_now_us(tp->st), reo = rack_reo_wnd_us(tp), wait = 0;
	bool any = false;

	if (!tp->rack.xmit_us)
		return false;
	for (uint32_t i = 0; i < tp->txr_n; i++) {
		struct tcp_txrec *r = tcp_txr_at(tp, i);
		uint64_t due;

		if (r->flags & TXR_SACKED)
			continue;
		if ((r->flags & TXR_LOST) && !(r->flags & TXR_RETRANS))
			continue;       /* already waiting for retransmission */
		/* Only segments sent before the most recently delivered one. */
		if ((int32_t)(r->order - tp->rack.order) >= 0) {
			if (!(r->flags & TXR_EVER_RETRANS))
				break;  /* first transmissions from here on are all newer */
			continue;
		}
		due = r->xmit_us + tp->rack.rtt_us + reo;
		if (due <= now) {
			rec_mark_lost(tp, r, i);
			any = true;
		} else if (due - now > wait) {
			wait = due - now;
		}
	}
	if (wait)
		tcp_timer_set(tp, TCPT_REO, tp->st->now_ms + (wait + 999) / 1000);
	else
		tcp_timer_clear(tp, TCPT_REO);
	return any;
}

bool tcp_mark_lost(struct tcp_sock *tp, bool sack_changed)
{
	if (tp->flags & TF_SACK_OK) {
		if (tp->st->cfg.tcp_recovery & 1)
			return rack_detect_loss(tp);
		return sack_changed ? rfc6675_mark_lost(tp) : false;
	}
	/* NewReno: the third duplicate ACK (RFC 5681 3.2 step 2). */
	if (tp->dupacks >= tp->reordering && tp->cc.ca_state < TCP_CA_RECOVERY) {
		uint32_t before = tp->lost_bytes;

		tcp_mark_head_lost(tp);
		return tp->lost_bytes != before;
	}
	return false;
}

void tcp_mark_all_lost(struct tcp_sock *tp)
{
	/* SACK reneging (RFC 2018 8): the segment at SND.UNA was SACKed but is not
	 * cumulatively acknowledged after an RTO: the receiver threw SACKed data away,
	 * so the scoreboard cannot be trusted (RFC 6675 5.1). */
	if (tp->txr_n && (tcp_txr_at(tp, 0)->flags & TXR_SACKED)) {
		US_INC(tp->st, TcpExtTCPSACKReneging);
		for (uint32_t i = 0; i < tp->txr_n; i++)
			rec_clear(tp, tcp_txr_at(tp, i), TXR_SACKED);
		us_intervals_init(&tp->sacked);
	}
	for (uint32_t i = 0; i < tp->txr_n; i++) {
		struct tcp_txrec *r = tcp_txr_at(tp, i);

		if (r->flags & TXR_SACKED)
			continue;
		rec_clear(tp, r, TXR_RETRANS);
		if (!(r->flags & TXR_LOST)) {
			r->flags |= TXR_LOST;
			tp->lost_bytes += rec_len(r);
		}
	}
	tp->rexmit_hint = 0;
}

struct tcp_txrec *tcp_next_lost(struct tcp_sock *tp)
{
	for (uint32_t i = tp->rexmit_hint; i < tp->txr_n; i++) {
		struct tcp_txrec *r = tcp_txr_at(tp, i);

		if ((r->flags & (TXR_LOST | TXR_RETRANS | TXR_SACKED)) == TXR_LOST) {
			tp->rexmit_hint = i;
			return r;
		}
	}
	tp->rexmit_hint = tp->txr_n;
	return NULL;
}

void tcp_txr_retransmitted(struct tcp_sock *tp, struct tcp_txrec *r)
{
	if (!(r->flags & TXR_RETRANS)) {
		r->flags |= TXR_RETRANS;
		tp->retrans_bytes += rec_len(r);
	}
	r->flags |= TXR_EVER_RETRANS;
	r->xmit_us = tcp_now_us(tp->st);
	r->order = ++tp->xmit_order;
}

void tcp_rack_timeout(struct tcp_sock *tp)
{
	if (rack_detect_loss(tp)) {
		if (tp->cc.ca_state < TCP_CA_RECOVERY)
			tcp_enter_recovery(tp);
		tcp_mark_pending(tp);
	}
}

/* ---- recovery and PRR ---- */

void tcp_enter_recovery(struct tcp_sock *tp)
{
	struct us_stack *st = tp->st;

	/* RFC 6675 5 / RFC 6582 3.2 step 2: RecoveryPoint = HighData; ssthresh from the
	 * module (RFC 5681 eq. 4 for Reno). RFC 6937: RecoverFS = SND.NXT - SND.UNA. */
	tcp_undo_start(tp);
	tp->high_seq = tp->snd.nxt;
	tp->rescue_set = false;         /* RFC 6675 5 step 3: RescueRxt undefined */
	tp->prr_delivered = 0;
	tp->prr_out = 0;
	tp->prr_recover_fs = tp->snd.nxt - tp->snd.una;
	if (!tp->prr_recover_fs)
		tp->prr_recover_fs = 1;
	tcp_cc_prepare_event(tp);
	if (tp->cc.ops && tp->cc.ops->ssthresh && !tp->cc.ops->cong_control)
		tp->cc.ssthresh = tp->cc.ops->ssthresh(&tp->cc);
	if (tp->flags & TF_SACK_OK)
		US_INC(st, TcpExtTCPSACKRecovery);
	else
		US_INC(st, TcpExtTCPRenoRecovery);
	tcp_set_ca_state(tp, TCP_CA_RECOVERY);
	/* RFC 8985 6.2 step 4: the reordering window adapts to D-SACKs, but only for
	 * a while (16 recoveries). */
	if (tp->rack.reo_wnd_persist && --tp->rack.reo_wnd_persist == 0)
		tp->rack.reo_wnd_mult = 1;
}

void tcp_prr_update(struct tcp_sock *tp, uint32_t delivered_now)
{
	uint32_t pipe = tcp_in_flight(tp), ssthresh = tp->cc.ssthresh, mss = tp->snd.mss;
	int64_t sndcnt;

	if (tp->cc.ops && tp->cc.ops->cong_control)
		return;
	/* RFC 6937 3.1 */
	tp->prr_delivered += delivered_now;
	if (pipe > ssthresh) {
		/* Proportional rate reduction. */
		uint64_t want = ((uint64_t)tp->prr_delivered * ssthresh + tp->prr_recover_fs - 1) /
				tp->prr_recover_fs;
		sndcnt = (int64_t)want - tp->prr_out;
	} else {
		/* Slow start reduction bound (PRR-SSRB). */
		int64_t limit = (int64_t)tp->prr_delivered - tp->prr_out;

		if (limit < (int64_t)delivered_now)
			limit = delivered_now;
		limit += mss;
		sndcnt = (int64_t)ssthresh - pipe;
		if (sndcnt > limit)
			sndcnt = limit;
	}
	if (sndcnt < 0)
		sndcnt = 0;
	/* RFC 6937 (and Linux): the fast retransmit itself always goes out. */
	if (!tp->prr_out && sndcnt < mss)
		sndcnt = mss;
	tp->cc.cwnd = pipe + (uint32_t)sndcnt;
	if (tp->cc.cwnd < mss)
		tp->cc.cwnd = mss;
}

/* ---- undo (RFC 3522, RFC 3708, RFC 5682) ----
 *
 * A congestion response (fast recovery, or an RTO) rests on a guess: that what was
 * retransmitted was lost. Reordering or a delay spike makes the guess wrong, and the
 * halved (or, after an RTO, collapsed) cwnd then costs throughput for nothing. The
 * episode remembers cwnd and ssthresh from before the response (prior_*), SND.UNA
 * when it began (marker), the TSval of its first retransmission and how many of its
 * retransmissions are not yet shown unnecessary (retrans; -1: none sent yet).
 * Evidence that the response was unnecessary, as Linux's tcp_input.c weighs it:
 *   - timestamps (Eifel detection, RFC 3522 2): an ACK that advances SND.UNA echoes
 *     a TSval older than the first retransmission: the original got there;
 *   - D-SACKs (RFC 3708 3 / RFC 2883): the receiver got every retransmission twice,
 *     so each original had arrived (retrans reaches 0);
 *   - F-RTO (RFC 5682, tcp_ack.c): after an RTO, never-retransmitted data sent before
 *     it is acknowledged.
 * tcp_undo then gives back the cwnd (the module's undo_cwnd, e.g. CUBIC puts its
 * curve back, RFC 9438 4.9) and the ssthresh from before (RFC 3708 5 / RFC 4015 3.2:
 * "restore the congestion control state"). */

static uint32_t current_ssthresh(const struct tcp_sock *tp)
{
	/* Linux's tcp_current_ssthresh: in a reduction, the target; else at least 3/4 of
	 * cwnd, the value to go back to after an undo. */
	uint32_t three_q = tp->cc.cwnd - tp->cc.cwnd / 4;

	if (tp->cc.ca_state == TCP_CA_RECOVERY || tp->cc.ca_state == TCP_CA_CWR)
		return tp->cc.ssthresh;
	return tp->cc.ssthresh > three_q ? tp->cc.ssthresh : three_q;
}

void tcp_undo_start(struct tcp_sock *tp)
{
	int32_t n = 0;

	for (uint32_t i = 0; i < tp->txr_n; i++)
		if (tcp_txr_at(tp, i)->flags & TXR_RETRANS)
			n++;
	tp->undo.on = true;
	tp->undo.marker = tp->snd.una;
	tp->undo.retrans = n ? n : -1;
	tp->undo.prior_cwnd = tp->cc.cwnd;
	tp->undo.prior_ssthresh = current_ssthresh(tp);
	tp->undo.tsval_set = false;
}

void tcp_undo_retransmitted(struct tcp_sock *tp)
{
	if (!tp->undo.on)
		return;
	if (tp->undo.retrans < 0)
		tp->undo.retrans = 0;
	tp->undo.retrans++;
	/* RFC 3522 2: remember the timestamp of the first retransmission. */
	if (!tp->undo.tsval_set && (tp->flags & TF_TS_OK)) {
		tp->undo.tsval = tcp_now_ts(tp->st) + tp->ts_off;
		tp->undo.tsval_set = true;
	}
}

void tcp_undo_dsack(struct tcp_sock *tp, uint32_t start, uint32_t end, uint32_t una)
{
	uint32_t mss = tp->snd.mss ? tp->snd.mss : 1, segs;

	/* RFC 3708 3: a D-SACK for data of this episode says one of its retransmissions
	 * was unnecessary. Below SND.UNA (the common case, Linux's tcp_check_dsack) the
	 * records are gone and the block counts by size; above, only records that we did
	 * retransmit count (a duplicate made by the network proves nothing). */
	if (!tp->undo.on || tp->undo.retrans <= 0 || !seq_gt(end, tp->undo.marker) ||
	    !seq_lt(start, end))
		return;
	if (seq_le(end, una)) {
		segs = (end - start + mss - 1) / mss;
	} else {
		segs = 0;
		for (uint32_t k = txr_find(tp, start); k < tp->txr_n; k++) {
			struct tcp_txrec *r = tcp_txr_at(tp, k);

			if (!seq_lt(r->seq, end))
				break;
			if (r->flags & TXR_EVER_RETRANS)
				segs++;
		}
	}
	tp->undo.retrans = (int32_t)segs >= tp->undo.retrans ? 0 : tp->undo.retrans - (int32_t)segs;
}

bool tcp_packet_delayed(const struct tcp_sock *tp, const struct tcp_seg *seg)
{
	const struct tcp_opts *o = &seg->th->opts;

	/* RFC 3522 2: TSecr older than the first retransmission's TSval. */
	return tp->undo.tsval_set && o->ts_present && o->tsecr && seq_lt(o->tsecr, tp->undo.tsval);
}

bool tcp_may_undo(const struct tcp_sock *tp, const struct tcp_seg *seg)
{
	/* Linux's tcp_may_undo: every retransmission D-SACKed, or Eifel. */
	return tp->undo.on && (tp->undo.retrans == 0 || tcp_packet_delayed(tp, seg));
}

void tcp_undo(struct tcp_sock *tp, bool unmark_loss)
{
	const struct tcp_cc_ops *ops = tp->cc.ops;

	if (unmark_loss) {
		/* The segments deemed lost were not: they go back to "in flight". */
		for (uint32_t i = 0; i < tp->txr_n; i++)
			rec_clear(tp, tcp_txr_at(tp, i), TXR_LOST);
		tp->rexmit_hint = 0;
		tcp_timer_clear(tp, TCPT_REO);
	}
	if (ops && !ops->cong_control) {
		uint32_t cwnd = tp->cc.cwnd;

		tcp_cc_prepare(tp);
		if (ops->undo_cwnd)
			cwnd = ops->undo_cwnd(&tp->cc);
		/* The module's episode may have ended already (recovery over, growth
		 * resumed): the engine's record of cwnd before the response decides then. */
		if (cwnd < tp->undo.prior_cwnd)
			cwnd = tp->undo.prior_cwnd;
		tp->cc.cwnd = cwnd;
		if (tp->undo.prior_ssthresh > tp->cc.ssthresh)
			tp->cc.ssthresh = tp->undo.prior_ssthresh;
	}
	tp->undo.on = false;
	tp->frto.on = false;
	tp->frto.new_data = false;
	/* RACK looks at the scoreboard again with what it learnt (Linux rack.advanced). */
	tp->rack.advanced = true;
}

/* ---- tail loss probe (RFC 8985 7) ---- */

void tcp_tlp_arm(struct tcp_sock *tp)
{
	struct us_stack *st = tp->st;
	uint64_t pto, rto_at = tp->deadline[TCPT_REXMT];
	uint32_t flight = tcp_in_flight(tp);

	/* 7.2: SACK connection, open state, no probe outstanding, an RTT known. */
	if (st->cfg.tcp_early_retrans < 3 || !(tp->flags & TF_SACK_OK) || !tp->srtt_us ||
	    tp->cc.ca_state != TCP_CA_OPEN || (tp->flags & TF_TLP_OUT) || !flight)
		return;
	pto = 2ull * tp->srtt_us;
	if (flight <= tp->snd.mss)
		pto += TCP_ATO_MAX_MS * 1000ull; /* WCDelAckT: the peer may delay its ACK */
	pto = (pto + 999) / 1000;
	if (pto < 10)
		pto = 10;
	/* RFC 8985 7.2: "If Now() + PTO > TCP_RTO_expiration(): PTO =
	 * TCP_RTO_expiration() - Now()": the probe then goes at the RTO's time, instead
	 * of the RTO (tcp_timer.c runs it first and the RTO restarts after it). Giving
	 * up the probe there instead made every lost single-segment tail (PTO = 2 SRTT +
	 * WCDelAckT, usually past an RTO of SRTT + 200 ms) cost a full RTO episode. */
	if (rto_at && st->now_ms + pto > rto_at)
		pto = rto_at > st->now_ms ? rto_at - st->now_ms : 0;
	tcp_timer_set(tp, TCPT_PTO, st->now_ms + pto);
}

void tcp_tlp_fire(struct tcp_sock *tp)
{
	if (tp->cc.ca_state != TCP_CA_OPEN || (tp->flags & TF_TLP_OUT) ||
	    tp->snd.una == tp->snd.nxt || tp->state < TCP_ESTABLISHED)
		return;
	tp->flags |= TF_TLP_PENDING;
	tcp_mark_pending(tp);
}
