/*
 * tcp_input.c - SEGMENT ARRIVES (RFC 9293 3.10.7), written in the RFC's order
 * with its steps labelled, so a reviewer holding the RFC can check it line by
 * line (STYLE.md Part 3, example 6). Also the ICMP error path (tcp_err).
 *
 * Entry: tcp_input() from IP local delivery (us_ip_protos[IPPROTO_TCP]); consumes
 * the packet. Parsing is wire/tcp.c's; from here on only the repr is read.
 * Demultiplexing: a connection by 4-tuple, else a TIME_WAIT record, else a
 * listener's request record, else a listener, else CLOSED (3.10.7.1: reset).
 *
 * Exit: state changes, data into the receive ring (tcp_rcv.c), ACK processing
 * (tcp_ack.c). Nothing here transmits a segment for a connection: replies are
 * asked for with TF_ACKNOW and the connection is marked pending; the egress phase
 * sends them (STYLE.md example 5). The exceptions end a connection's life here, so
 * no connection is left to send from in the egress phase: resets (tcp_rst_reply for
 * segments without a connection, the RST of an abort) and the ACK of the FIN that
 * moves a connection into a TIME_WAIT record. They go through ip_output, which only
 * queues.
 *
 * Hardening (RFC 5961): an RST not exactly at RCV.NXT gets a challenge ACK (3.2);
 * a SYN in a synchronized state gets a challenge ACK (4.2); an ACK older than the
 * largest window gets a challenge ACK (5.2, in tcp_ack.c); challenge ACKs are
 * limited stack-wide per second (7), the limit randomised as Linux does since
 * CVE-2016-5696 so it cannot be used as a side channel.
 *
 * Read first: RFC 9293 3.10.7.1-3.10.7.4; RFC 5961 3-5, 7; RFC 7323 4.3, 5.3 (PAWS);
 * RFC 1122 4.2.2.20; RFC 5927 (ICMP attacks) 4.1.
 */
#include <errno.h>

#include "base/bytes.h"
#include "tcp/tcp_sock.h"
#include "wire/icmp.h"

bool tcp_challenge_ack_allowed(struct us_stack *st)
{
	struct us_tcp_table *t = st->tcp;
	uint64_t sec = st->now_ms / 1000;

	if (sec != t->challenge_stamp_s || !t->challenge_limit) {
		uint32_t lim = (uint32_t)st->cfg.tcp_challenge_ack_limit;

		t->challenge_stamp_s = sec;
		t->challenge_count = 0;
		/* Randomised between half and one and a half times the setting. */
		t->challenge_limit = lim / 2 + us_stack_rand(st) % (lim ? lim : 1) + 1;
	}
	if (t->challenge_count >= t->challenge_limit) {
		US_INC(st, TcpExtTCPACKSkippedChallenge);
		return false;
	}
	t->challenge_count++;
	return true;
}

static void challenge_ack(struct tcp_sock *tp)
{
	if (!tcp_challenge_ack_allowed(tp->st))
		return;
	US_INC(tp->st, TcpExtTCPChallengeACK);
	tp->flags |= TF_ACKNOW;
	tcp_mark_pending(tp);
}

/* An ACK in answer to an unacceptable segment (RFC 9293 3.10.7.4 first step), rate
 * limited for segments without data as Linux's tcp_oow_rate_limited (they could be
 * one side of an ACK loop). */
static void oow_ack(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	struct us_stack *st = tp->st;

	if (seg->len == 0 && !(seg->flags & (TCP_SYN | TCP_FIN))) {
		if (tp->last_oow_ack_ms && st->now_ms - tp->last_oow_ack_ms < TCP_OOW_RATELIMIT_MS) {
			US_INC(st, TcpExtTCPACKSkippedSeq);
			return;
		}
		tp->last_oow_ack_ms = st->now_ms;
	}
	/* Sent now, not at the end of the round (Linux tcp_send_dupack): each duplicate
	 * in a receive batch gets its own ACK, with its D-SACK (RFC 2883 4.1.1). */
	tp->flags |= TF_ACKNOW;
	tcp_send_ack(tp);
	if (tp->flags & TF_ACKNOW)
		tcp_mark_pending(tp);   /* not sent (device queue full): the egress phase retries */
}

static void drop(struct tcp_sock *tp, struct tcp_seg *seg, enum us_drop_reason r)
{
	us_drop(tp->st, seg->p, r);
}

/* Options of a SYN or SYN-ACK: what the peer offers, and what both of us use. */
static void syn_options(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	const struct tcp_opts *o = &seg->th->opts;
	struct us_stack *st = tp->st;

	/* RFC 9293 3.7.1: without an MSS option the peer takes 536. */
	tp->snd.peer_mss = o->mss_present && o->mss ? o->mss : TCP_MSS_DEFAULT;
	/* RFC 7323 2.2: scaling is used only when both sides sent the option; 2.3: a
	 * shift above 14 is used as 14. */
	if (o->wscale_present && st->cfg.tcp_window_scaling) {
		tp->flags |= TF_WSCALE_OK;
		tp->snd.wscale = o->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o->wscale;
	} else {
		tp->flags &= ~(uint32_t)TF_WSCALE_OK;
		tp->snd.wscale = 0;
		tp->rcv.wscale = 0;
	}
	if (o->sack_perm && st->cfg.tcp_sack)
		tp->flags |= TF_SACK_OK;
	else
		tp->flags &= ~(uint32_t)TF_SACK_OK;
	if (o->ts_present && st->cfg.tcp_timestamps) {
		tp->flags |= TF_TS_OK;
		tp->ts_recent = o->tsval;
		tp->ts_recent_ms = st->now_ms;
	} else {
		tp->flags &= ~(uint32_t)TF_TS_OK;
	}
}

/* ---- RFC 9293 3.10.7.3: SYN-SENT ---- */

static void tcp_input_syn_sent(struct tcp_sock *tp, struct tcp_seg *seg)
{
	struct us_stack *st = tp->st;
	uint8_t fl = seg->flags;

	/* First: check the ACK bit. */
	if (fl & TCP_ACK) {
		if (seq_le(seg->ack, tp->snd.iss) || seq_gt(seg->ack, tp->snd.nxt)) {
			/* <SEQ=SEG.ACK><CTL=RST> unless the segment is itself a reset. */
			tcp_rst_reply(st, seg);
			drop(tp, seg, US_DROP_TCP_SYN_SENT_ACK);
			return;
		}
	}
	/* Second: check the RST bit. RFC 5961 3.2: in SYN-SENT an RST is acceptable only
	 * when it acknowledges our SYN, which the check above established. */
	if (fl & TCP_RST) {
		if (fl & TCP_ACK) {
			us_pkt_free(seg->p);
			/* "error: connection reset" -> ECONNREFUSED on the socket (Linux). */
			tcp_abort(tp, ECONNREFUSED, false);
			return;
		}
		drop(tp, seg, US_DROP_TCP_FLAGS);
		return;
	}
	/* Third: security and precedence: not implemented (RFC 9293 3.10.7.3 allows it). */
	/* Fourth: check the SYN bit. */
	if (!(fl & TCP_SYN)) {
		/* Fifth: neither SYN nor RST: drop. */
		drop(tp, seg, US_DROP_TCP_FLAGS);
		return;
	}
	tp->rcv.irs = seg->seq;
	tp->rcv.nxt = seg->seq + 1;
	tp->rcv.wup = tp->rcv.nxt;
	tp->rcv.adv = tp->rcv.nxt;
	syn_options(tp, seg);
	tp->snd.wnd = seg->th->window;          /* RFC 7323 2.2: not scaled in a SYN */
	tp->snd.wl1 = seg->seq;
	tp->snd.wl2 = seg->ack;
	tp->snd.max_wnd = tp->snd.wnd;
	tp->last_recv_ms = st->now_ms;
	if (fl & TCP_ACK) {
		tp->snd.una = seg->ack;
		tp->snd.buf_seq = seg->ack;
		tp->neigh_confirm = true;
	}
	if (seq_gt(tp->snd.una, tp->snd.iss)) {
		/* Our SYN is acknowledged: ESTABLISHED, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
		 * The handshake gives an RTT sample unless the SYN went twice (Karn). */
		if (tp->retries == 0 && tp->syn_xmit_us)
			tcp_rtt_sample(tp, (uint32_t)(tcp_now_us(st) - tp->syn_xmit_us));
		else if ((tp->flags & TF_TS_OK) && seg->th->opts.tsecr)
			tcp_rtt_sample(tp, (tcp_now_ts(st) + tp->ts_off - seg->th->opts.tsecr) * 1000u + 1);
		tp->retries = 0;
		tp->backoff = 0;
		tp->first_rexmit_ms = 0;
		tcp_timer_clear(tp, TCPT_REXMT);
		tcp_established(tp);
		tp->flags |= TF_ACKNOW;
		tcp_mark_pending(tp);
		/* Sixth and later steps for text and FIN carried by the SYN-ACK. */
		if (seg->len || (fl & TCP_FIN)) {
			if (tcp_rcv_data(tp, seg)) {
				tp->rcv.nxt++;
				tp->flags |= TF_FIN_RCVD;
				tcp_set_state(tp, TCP_CLOSE_WAIT);
			}
		}
		us_pkt_free(seg->p);
		return;
	}
	/* Simultaneous open: SYN-RECEIVED, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. Text is
	 * not queued (the peer retransmits it once we are established). */
	tcp_set_state(tp, TCP_SYN_RECEIVED);
	tp->flags &= ~(uint32_t)TF_SYN_SENT;
	tp->retries = 0;
	tcp_mark_pending(tp);
	us_pkt_free(seg->p);
}

/* ---- RFC 9293 3.10.7.4: all other states ---- */

/* First step, the acceptability test. As Linux's tcp_sequence, a segment is
 * acceptable unless it ends before the left edge of the window last advertised
 * (RCV.WUP: an old duplicate) or starts beyond its right edge: RFC 9293's four cases
 * widened so that a FIN or an ACK at RCV.NXT passes even with a zero window, and old
 * duplicates overlapping the window are trimmed later (seventh step). A probe at
 * RCV.NXT-1 (keepalive, zero-window) is old, so it is answered with an ACK. */
static bool seq_acceptable(const struct tcp_sock *tp, const struct tcp_seg *seg,
			   enum us_drop_reason *why)
{
	uint32_t wnd = seq_gt(tp->rcv.adv, tp->rcv.nxt) ? tp->rcv.adv - tp->rcv.nxt : 0;
	uint32_t right = tp->rcv.nxt + wnd;

	if (seq_lt(seg->end_seq, tp->rcv.wup)) {
		*why = US_DROP_TCP_OLD_SEQ;
		return false;
	}
	if (seq_gt(seg->seq, right) || (seg->len && seg->seq == right)) {
		*why = wnd ? US_DROP_TCP_RCV_WND : US_DROP_TCP_ZEROWINDOW;
		return false;
	}
	return true;
}

/* Linux tcp_disordered_ack: a segment that PAWS would reject only because its
 * timestamp is a little old, but that is a pure duplicate ACK - no data, exactly at
 * RCV.NXT, acknowledging SND.UNA, not updating the window (RFC 9293 3.10.7.4's
 * SND.WL1/WL2 test) - and whose timestamp is less than one RTO behind TS.Recent.
 * RFC 7323 5.3 (R1 note) and 5.8: ACKs may be reordered with the data segments that
 * set TS.Recent (the peer stamps an ACK, then sends data stamped later, and the two
 * cross in the network, or the peer's sends are reordered); such an ACK carries
 * nothing PAWS protects (no data to be corrupted by an old duplicate), while
 * dropping it loses a duplicate ACK that fast retransmit or SACK recovery counts. */
static bool disordered_ack(const struct tcp_sock *tp, const struct tcp_seg *seg)
{
	const struct tcp_opts *o = &seg->th->opts;
	uint32_t wnd = (uint32_t)seg->th->window << tp->snd.wscale;
	bool may_update_wnd = seq_gt(seg->ack, tp->snd.una) || seq_gt(seg->seq, tp->snd.wl1) ||
			      (seg->seq == tp->snd.wl1 && (wnd > tp->snd.wnd || wnd == 0));

	return (seg->flags & TCP_ACK) && seg->len == 0 && seg->end_seq == seg->seq &&
	       seg->seq == tp->rcv.nxt && seg->ack == tp->snd.una && !may_update_wnd &&
	       (int32_t)(tp->ts_recent - o->tsval) <= (int32_t)tcp_rto_ms(tp);
}

/* RFC 7323 5.3 R1: PAWS. True when the segment must be rejected. */
static bool paws_reject(const struct tcp_sock *tp, const struct tcp_seg *seg)
{
	const struct tcp_opts *o = &seg->th->opts;

	if (!(tp->flags & TF_TS_OK) || !o->ts_present || (seg->flags & TCP_RST))
		return false;
	if ((int32_t)(o->tsval - tp->ts_recent) >= 0)
		return false;
	/* 5.5: TS.Recent older than 24 days is invalid (the clock may have wrapped). */
	if (tp->st->now_ms - tp->ts_recent_ms > TCP_PAWS_24DAYS_MS)
		return false;
	return !disordered_ack(tp, seg);
}

static int reset_errno(enum tcp_state s)
{
	/* Linux tcp_reset: what the application sees for a reset in each state:
	 * ECONNREFUSED only in SYN-SENT (the peer refused our SYN), EPIPE in CLOSE-WAIT
	 * (the peer's FIN came already: the application may only write), ECONNRESET in
	 * every other state - SYN-RECEIVED, CLOSING and LAST-ACK included (RFC 9293
	 * 3.10.7.4 second step: "any outstanding RECEIVEs and SEND should receive
	 * 'reset' responses"). */
	switch (s) {
	case TCP_SYN_SENT:
		return ECONNREFUSED;
	case TCP_CLOSE_WAIT:
		return EPIPE;
	case TCP_TIME_WAIT:
	case TCP_CLOSED:
		return 0;
	default:
		return ECONNRESET;
	}
}

static void tcp_ack_snd_check(struct tcp_sock *tp);

static void tcp_input_synced(struct tcp_sock *tp, struct tcp_seg *seg)
{
	struct us_stack *st = tp->st;
	const struct tcp_opts *o = &seg->th->opts;
	enum us_drop_reason why = US_DROP_NONE;
	uint8_t fl = seg->flags;
	bool fin_in = false;

	/* First: check the sequence number (RFC 7323 PAWS, then the window). */
	if (paws_reject(tp, seg)) {
		US_INC(st, TcpExtPAWSEstab);
		oow_ack(tp, seg);
		drop(tp, seg, US_DROP_TCP_PAWS);
		return;
	}
	if (!seq_acceptable(tp, seg, &why)) {
		if (!(fl & TCP_RST)) {
			if (fl & TCP_SYN) {
				/* RFC 5961 4.2: any SYN gets a challenge ACK. */
				US_INC(st, TcpExtTCPSYNChallenge);
				challenge_ack(tp);
			} else {
				/* Data we already have: say so with a D-SACK (RFC 2883 4.1.1,
				 * as Linux's tcp_send_dupack). */
				if (seg->len && seq_lt(seg->seq, tp->rcv.nxt))
					tcp_rcv_dsack(tp, seg->seq, seq_min(seg->seq + seg->len, tp->rcv.nxt));
				oow_ack(tp, seg);
			}
		}
		drop(tp, seg, why);
		return;
	}
	/* RFC 7323 4.3 (3): TS.Recent follows the segment that covers Last.ACK.sent. */
	if ((tp->flags & TF_TS_OK) && o->ts_present && seq_le(seg->seq, tp->snd.last_ack_sent) &&
	    (int32_t)(o->tsval - tp->ts_recent) >= 0) {
		tp->ts_recent = o->tsval;
		tp->ts_recent_ms = st->now_ms;
	}
	tp->last_recv_ms = st->now_ms;

	/* Second: check the RST bit (RFC 5961 3.2). */
	if (fl & TCP_RST) {
		if (seg->seq == tp->rcv.nxt) {
			int err = reset_errno(tp->state);

			if (tp->state == TCP_SYN_RECEIVED)
				US_INC(st, TcpExtEmbryonicRsts);
			us_pkt_free(seg->p);
			tcp_abort(tp, err, false);
			return;
		}
		/* In the window but not exact: maybe an attacker guessing; the real peer
		 * answers our challenge ACK with an exact reset if it has really reset. */
		challenge_ack(tp);
		drop(tp, seg, US_DROP_TCP_RST_INVALID);
		return;
	}

	/* Third: security and precedence: not implemented. */

	/* Fourth: check the SYN bit (RFC 5961 4.2: challenge ACK, whatever its sequence).
	 * As Linux, the SYN-ACK that completes a simultaneous open (exactly the sequence and
	 * acknowledgement expected) passes and is processed as an ACK. */
	if (fl & TCP_SYN) {
		if (!(tp->state == TCP_SYN_RECEIVED && (fl & TCP_ACK) &&
		      seg->seq + 1 == tp->rcv.nxt && seg->ack == tp->snd.nxt && seg->len == 0)) {
			US_INC(st, TcpExtTCPSYNChallenge);
			challenge_ack(tp);
			drop(tp, seg, US_DROP_TCP_SYN_INVALID);
			return;
		}
	}

	/* Fifth: check the ACK field. */
	if (!(fl & TCP_ACK)) {
		drop(tp, seg, US_DROP_TCP_NO_ACK);
		return;
	}
	if (tp->state == TCP_SYN_RECEIVED) {
		if (!(seq_lt(tp->snd.una, seg->ack) && seq_le(seg->ack, tp->snd.nxt))) {
			/* <SEQ=SEG.ACK><CTL=RST> */
			tcp_rst_reply(st, seg);
			drop(tp, seg, US_DROP_TCP_ACK_INVALID);
			return;
		}
		tp->snd.una = seg->ack;
		tp->snd.buf_seq = seg->ack;
		tp->neigh_confirm = true;
		tp->snd.wnd = (uint32_t)seg->th->window << ((fl & TCP_SYN) ? 0 : tp->snd.wscale);
		tp->snd.wl1 = seg->seq;
		tp->snd.wl2 = seg->ack;
		tp->snd.max_wnd = tp->snd.wnd;
		tp->retries = 0;
		tp->backoff = 0;
		tp->first_rexmit_ms = 0;
		tcp_timer_clear(tp, TCPT_REXMT);
		tcp_established(tp);
	}
	if (!tcp_ack(tp, seg, &why)) {
		drop(tp, seg, why);
		return;
	}
	switch (tp->state) {
	case TCP_FIN_WAIT_1:
		if (tp->flags & TF_FIN_ACKED) {
			tcp_set_state(tp, TCP_FIN_WAIT_2);
			/* Linux tcp_fin_timeout: an orphan may not wait forever for the FIN. */
			if (tp->flags & TF_ORPHAN)
				tcp_timer_set(tp, TCPT_FIN_WAIT_2,
					      st->now_ms + (uint64_t)st->cfg.tcp_fin_timeout * 1000);
		}
		break;
	case TCP_CLOSING:
		if (tp->flags & TF_FIN_ACKED) {
			us_pkt_free(seg->p);
			tcp_time_wait(tp);
			return;
		}
		break;
	case TCP_LAST_ACK:
		if (tp->flags & TF_FIN_ACKED) {
			us_pkt_free(seg->p);
			tcp_done(tp);
			return;
		}
		break;
	default:
		break;
	}

	/* Sixth: the URG bit: urgent data is not supported; its bytes are ordinary data
	 * (RFC 6093 recommends applications not rely on it). */

	/* Seventh: process the segment text. */
	if (seg->len || (fl & TCP_FIN)) {
		switch (tp->state) {
		case TCP_ESTABLISHED:
		case TCP_FIN_WAIT_1:
		case TCP_FIN_WAIT_2:
			/* RFC 1122 4.2.2.13 / RFC 9293 3.10.4: the application has closed and
			 * will never read this: reset (as Linux and BSD). */
			if ((tp->flags & TF_ORPHAN) && seg->len &&
			    seq_gt(seg->seq + seg->len, tp->rcv.nxt)) {
				US_INC(st, TcpExtTCPAbortOnData);
				us_drop(st, seg->p, US_DROP_TCP_CLOSED);
				tcp_abort(tp, 0, true);
				return;
			}
			fin_in = tcp_rcv_data(tp, seg);
			tcp_rcv_rtt_sample(tp, seg);
			break;
		default:
			/* CLOSE-WAIT, CLOSING, LAST-ACK: the FIN came already; ignore text. A
			 * retransmitted FIN is acknowledged again. */
			if (fl & TCP_FIN)
				tcp_ack_schedule(tp, true);
			else if (seg->len)
				US_INC(st, TcpExtTCPRcvQDrop);
			break;
		}
	}

	/* Eighth: check the FIN bit (only once RCV.NXT reached it). */
	if (fin_in) {
		tp->rcv.nxt++;
		tp->rcv.ooo_fin = false;
		tp->flags |= TF_FIN_RCVD;
		tcp_ack_schedule(tp, true);
		switch (tp->state) {
		case TCP_SYN_RECEIVED:
		case TCP_ESTABLISHED:
			tcp_set_state(tp, TCP_CLOSE_WAIT);
			break;
		case TCP_FIN_WAIT_1:
			if (!(tp->flags & TF_FIN_ACKED)) {
				tcp_set_state(tp, TCP_CLOSING);
				break;
			}
			/* our FIN is acknowledged too */
			/* fall through */
		case TCP_FIN_WAIT_2:
			tp->flags &= ~(uint32_t)TF_ACKNOW;
			us_pkt_free(seg->p);
			/* The FIN's ACK goes out before the TIME_WAIT record takes over. */
			tcp_send_ack(tp);
			tcp_time_wait(tp);
			return;
		default:
			break;
		}
		tcp_wake(tp);
	}
	us_pkt_free(seg->p);
	tcp_ack_snd_check(tp);
}

/* An ACK that is due after this segment goes out now, from the input path, not at
 * the end of the poll round (Linux __tcp_ack_snd_check -> tcp_send_ack). A round
 * takes up to net.core.netdev_budget frames, each possibly a 64 KB GSO super-frame:
 * one ACK per round would acknowledge megabytes at once and starve the sender of
 * ACK clock and SACK information. RFC 5681 4.2 / RFC 9293 3.8.6.3: an ACK at least
 * for every second full-sized segment, and at once for out-of-order data and data
 * filling a hole - tcp_ack_schedule decided which (TF_ACKNOW); the rest waits for
 * the delayed-ACK timer. Data the egress phase sends later carries the ACK too. */
static void tcp_ack_snd_check(struct tcp_sock *tp)
{
	if (!(tp->flags & TF_ACKNOW))
		return;
	tcp_send_ack(tp);
	if (tp->flags & TF_ACKNOW)
		tcp_mark_pending(tp);   /* not sent (device queue full): the egress phase retries */
}

void tcp_rcv_state(struct tcp_sock *tp, struct tcp_seg *seg)
{
	tp->segs_in++;
	switch (tp->state) {
	case TCP_SYN_SENT:
		tcp_input_syn_sent(tp, seg);            /* RFC 9293 3.10.7.3 */
		break;
	case TCP_CLOSED:
	case TCP_LISTEN:
		/* Not in the 4-tuple table in these states. */
		us_drop(tp->st, seg->p, US_DROP_TCP_NO_SOCKET);
		break;
	default:
		tcp_input_synced(tp, seg);              /* RFC 9293 3.10.7.4 */
		break;
	}
}

/* ---- entry point ---- */

void tcp_input(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip)
{
	bool csum_ok = p->csum == US_CSUM_VERIFIED || p->csum == US_CSUM_PARTIAL;
	enum us_drop_reason r;
	struct tcp_repr th;
	struct tcp_seg seg;
	struct tcp_sock *tp;
	struct tcp_tw *tw;
	struct tcp_req *req;

	US_INC(st, TcpInSegs);
	/* RFC 1122 4.2.3.10: TCP is unicast only. */
	if (p->pkt_type != US_PKT_HOST || ipv4_is_multicast(ip->dst) || ipv4_is_lbcast(ip->dst)) {
		us_drop(st, p, US_DROP_TCP_BCAST);
		return;
	}
	r = tcp_parse(p->data, us_pkt_len(p), ip->src, ip->dst, csum_ok, &th);
	if (r != US_DROP_NONE) {
		US_INC(st, TcpInErrs);
		if (r == US_DROP_TCP_CSUM)
			US_INC(st, TcpInCsumErrors);
		us_drop(st, p, r);
		return;
	}
	us_pkt_set_transport(p);
	us_pkt_pull(p, th.hdr_len);
	seg = (struct tcp_seg){
		.p = p,
		.th = &th,
		.saddr = ip->src,
		.daddr = ip->dst,
		.seq = th.seq,
		.ack = th.ack,
		.len = (uint32_t)th.payload_len,
		.flags = th.flags,
		.tos = ip->tos,
	};
	seg.end_seq = seg.seq + seg.len + ((th.flags & TCP_SYN) ? 1 : 0) +
		      ((th.flags & TCP_FIN) ? 1 : 0);

	tp = tcp_ehash_lookup(st, ip->dst, th.dport, ip->src, th.sport);
	if (tp) {
		tcp_rcv_state(tp, &seg);
		return;
	}
	tw = tcp_tw_lookup(st, ip->dst, th.dport, ip->src, th.sport);
	if (tw) {
		uint32_t isn;

		if (!tcp_tw_input(tw, &seg, &isn))
			return;
		/* A new incarnation of a TIME_WAIT 4-tuple: to the listener, with an ISN
		 * above the old sequence space (RFC 6191). */
		tp = tcp_listener_lookup(st, ip->dst, th.dport);
		if (tp) {
			st->tcp->tw_isn = isn;
			st->tcp->tw_isn_set = true;
			tcp_listen_input(tp, &seg);
			st->tcp->tw_isn_set = false;
			return;
		}
	}
	req = tcp_req_lookup(st, ip->dst, th.dport, ip->src, th.sport);
	if (req) {
		tcp_req_input(req, &seg);
		return;
	}
	tp = tcp_listener_lookup(st, ip->dst, th.dport);
	if (tp) {
		tcp_listen_input(tp, &seg);                /* RFC 9293 3.10.7.2 */
		return;
	}
	/* RFC 9293 3.10.7.1: CLOSED. An incoming segment not containing a RST causes a
	 * RST to be sent in response. */
	tcp_rst_reply(st, &seg);
	us_drop(st, p, US_DROP_TCP_NO_SOCKET);
}

/* ---- ICMP errors (RFC 1122 4.2.3.9, RFC 5927, RFC 1191) ---- */

void tcp_err(struct us_stack *st, const struct ipv4_repr *quoted, const uint8_t *l4, size_t l4_len,
	     uint8_t type, uint8_t code, int err, uint32_t info)
{
	struct tcp_sock *tp;
	uint32_t seq;

	if (l4_len < 8)
		return;
	tp = tcp_ehash_lookup(st, quoted->src, rd16(l4), quoted->dst, rd16(l4 + 2));
	if (!tp)
		return;
	seq = rd32(l4 + 4);
	/* RFC 5927 4.1: the quoted sequence number must be one we have in flight, or
	 * blind ICMP could reset or slow the connection. */
	if (tp->state != TCP_SYN_SENT && !(seq_ge(seq, tp->snd.una) && seq_lt(seq, tp->snd.nxt))) {
		US_INC(st, TcpExtOutOfWindowIcmps);
		return;
	}
	if (tp->state == TCP_SYN_SENT && seq != tp->snd.iss) {
		US_INC(st, TcpExtOutOfWindowIcmps);
		return;
	}
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
		/* RFC 1191: the path MTU dropped; segments larger than the new MSS are
		 * resent smaller (Linux tcp_simple_retransmit). 68 is IPv4's minimum. Also
		 * when the MSS already follows @info (learnt from the cache at transmit,
		 * tcp_pmtu_refresh): the quoted segment was sent before and is lost. */
		if (info >= 68 && info <= tp->snd.pmtu)
			tcp_mtu_reduced(tp, info);
		return;
	}
	if (!err)
		return;
	/* RFC 1122 4.2.3.9: a soft error in a synchronized state is remembered and
	 * reported only if the connection times out; during the handshake (Linux) it
	 * ends the attempt. */
	if (tp->state == TCP_SYN_SENT || tp->state == TCP_SYN_RECEIVED) {
		tcp_abort(tp, err, false);
		return;
	}
	tp->err_soft = err;
}
