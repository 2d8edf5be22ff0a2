/*
 * tcp_rcv.c - the receive side of a connection: text into the receive ring (in
 * order, or out of order at its offset, tracked by an interval set), the SACK
 * blocks that set produces, when to acknowledge, and what window to offer.
 *
 * Entry: tcp_input.c (seventh step: tcp_rcv_data), tcp_output.c (window and SACK
 * blocks of each outgoing segment), tcp.c (the application read: tcp_rcv_consumed).
 *
 * Ring layout: offset 0 is the next byte the application reads, offset rcvq.len is
 * RCV.NXT. Out-of-order data is written at rcvq.len + (SEG.SEQ - RCV.NXT) and
 * described by tp->ooo (offsets from RCV.NXT, at most US_INTERVALS_MAX ranges: that
 * and the ring bound the memory a peer can make us hold, RFC 9293 3.10.7.4 "should
 * be held for later processing" with Linux's pruning replaced by refusal).
 *
 * ACKs (RFC 1122 4.2.3.2, RFC 5681 4.2, Linux's quick-ack mode): immediately for
 * out-of-order data, for data that fills a gap, in quick-ack mode (the first
 * TCP_MAX_QUICKACKS segments, and after out-of-order data) and when two full-sized
 * segments are unacknowledged; otherwise within 40 ms (TCPT_DELACK).
 *
 * Window (RFC 9293 3.8.6.2.2 and RFC 1122 4.2.3.3): the right edge never moves
 * left; it moves right only when the free space has grown by min(MSS, buffer/2)
 * past what is already offered (receiver silly-window avoidance). After the
 * application reads, an update is sent when the window at least doubles (Linux
 * tcp_cleanup_rbuf) - this is what ends a zero-window stall without waiting for a
 * probe.
 *
 * Autotuning (Linux tcp_rcv_space_adjust, "dynamic right-sizing"): once per
 * receiver RTT, if the application consumed more than last time, the buffer grows
 * to twice that (plus room for 16 segments), up to net.ipv4.tcp_rmem.max, unless
 * the application fixed SO_RCVBUF.
 */
#include "tcp/tcp_sock.h"

static uint32_t rcv_space(const struct tcp_sock *tp)
{
	return tp->rcvbuf > tp->rcvq.len ? tp->rcvbuf - tp->rcvq.len : 0;
}

uint32_t tcp_rcv_wnd(const struct tcp_sock *tp) { return rcv_space(tp); }

/* The window we would offer now, in bytes, honouring SWS avoidance and never
 * shrinking the right edge already advertised. */
static uint32_t window_now(const struct tcp_sock *tp)
{
	uint32_t cur = seq_gt(tp->rcv.adv, tp->rcv.nxt) ? tp->rcv.adv - tp->rcv.nxt : 0;
	uint32_t free_ = rcv_space(tp);
	uint32_t thresh = tp->rcv.adv_mss;

	if (tp->rcvbuf / 2 < thresh)
		thresh = tp->rcvbuf / 2;
	if (thresh == 0)
		thresh = 1;
	if (free_ > cur && free_ - cur >= thresh)
		return free_;
	return cur;
}

uint16_t tcp_select_window(struct tcp_sock *tp)
{
	uint32_t cur = seq_gt(tp->rcv.adv, tp->rcv.nxt) ? tp->rcv.adv - tp->rcv.nxt : 0;
	uint32_t win = window_now(tp), unit = 1u << tp->rcv.wscale;
	uint32_t field = win >> tp->rcv.wscale;
	uint32_t cur_units = (cur + unit - 1) >> tp->rcv.wscale;

	/* Rounding down to the scale's unit must not move the edge left. */
	if (field < cur_units)
		field = cur_units;
	if (field > 65535)
		field = 65535;
	tp->rcv.adv = tp->rcv.nxt + (field << tp->rcv.wscale);
	tp->rcv.wup = tp->rcv.nxt;
	return (uint16_t)field;
}

/* ---- ACK scheduling ---- */

void tcp_ack_schedule(struct tcp_sock *tp, bool now)
{
	struct us_stack *st = tp->st;

	if (now || tp->rcv.quick || (tp->flags & TF_QUICKACK) ||
	    tp->rcv.unacked >= 2 * (tp->rcv.mss ? tp->rcv.mss : tp->rcv.adv_mss)) {
		tp->flags |= TF_ACKNOW;
		tcp_mark_pending(tp);
		return;
	}
	if (!tp->deadline[TCPT_DELACK])
		tcp_timer_set(tp, TCPT_DELACK, st->now_ms + TCP_DELACK_MS);
}

void tcp_ack_sent(struct tcp_sock *tp)
{
	tp->flags &= ~(uint32_t)TF_ACKNOW;
	if (tp->deadline[TCPT_DELACK])
		tcp_timer_clear(tp, TCPT_DELACK);
	if (tp->rcv.quick && tp->rcv.unacked)
		tp->rcv.quick--;
	tp->rcv.unacked = 0;
	tp->snd.last_ack_sent = tp->rcv.nxt;
	tp->dsack_pending = false;
}

/* ---- SACK blocks (RFC 2018 4) ---- */

/* The out-of-order interval holding sequence @seq, as a block, or false. */
static bool ooo_block_of(const struct tcp_sock *tp, uint32_t seq, struct tcp_sack_block *b)
{
	uint32_t off = seq - tp->rcv.nxt;

	if (seq_lt(seq, tp->rcv.nxt))
		return false;
	for (uint32_t i = 0; i < tp->ooo.n; i++) {
		const struct us_interval *iv = &tp->ooo.iv[i];

		if (off >= iv->start && off < iv->end) {
			b->start = tp->rcv.nxt + iv->start;
			b->end = tp->rcv.nxt + iv->end;
			return true;
		}
	}
	return false;
}

/* RFC 2018 4: the first block reports the segment that triggered the ACK; the rest
 * repeat the most recently reported blocks, skipping those now merged into an
 * earlier one or acknowledged. */
static void sack_note(struct tcp_sock *tp, uint32_t seq)
{
	struct tcp_sack_block list[TCP_SACK_RECENT], b;
	unsigned n = 0;

	if (!ooo_block_of(tp, seq, &b))
		return;
	list[n++] = b;
	for (unsigned i = 0; i < tp->sack_recent_n && n < TCP_SACK_RECENT; i++) {
		struct tcp_sack_block o;
		bool dup = false;

		if (!ooo_block_of(tp, tp->sack_recent[i].start, &o))
			continue;
		for (unsigned k = 0; k < n; k++)
			if (list[k].start == o.start)
				dup = true;
		if (!dup)
			list[n++] = o;
	}
	for (unsigned i = 0; i < n; i++)
		tp->sack_recent[i] = list[i];
	tp->sack_recent_n = (uint8_t)n;
}

unsigned tcp_sack_fill(struct tcp_sock *tp, struct tcp_sack_block *out, unsigned max)
{
	unsigned n = 0, kept = 0;

	/* RFC 2883 2: a D-SACK block goes first, once. */
	if (tp->dsack_pending && n < max)
		out[n++] = tp->dsack;
	/* Refresh the remembered blocks: merges since they were noted, and RCV.NXT
	 * passing them. */
	for (unsigned i = 0; i < tp->sack_recent_n; i++) {
		struct tcp_sack_block b;
		bool dup = false;

		if (!ooo_block_of(tp, tp->sack_recent[i].start, &b))
			continue;
		for (unsigned k = 0; k < kept; k++)
			if (tp->sack_recent[k].start == b.start)
				dup = true;
		if (!dup)
			tp->sack_recent[kept++] = b;
	}
	tp->sack_recent_n = (uint8_t)kept;
	for (unsigned i = 0; i < kept && n < max; i++)
		out[n++] = tp->sack_recent[i];
	/* Ranges never reported yet (after a merge dropped one from the list). */
	for (uint32_t i = 0; i < tp->ooo.n && n < max; i++) {
		struct tcp_sack_block b = { tp->rcv.nxt + tp->ooo.iv[i].start,
					    tp->rcv.nxt + tp->ooo.iv[i].end };
		bool dup = false;

		for (unsigned k = 0; k < n; k++)
			if (out[k].start == b.start && out[k].end == b.end)
				dup = true;
		if (!dup)
			out[n++] = b;
	}
	return n;
}

/* ---- text ---- */

void tcp_rcv_dsack(struct tcp_sock *tp, uint32_t start, uint32_t end)
{
	if (!(tp->flags & TF_SACK_OK) || start == end)
		return;
	tp->dsack.start = start;
	tp->dsack.end = end;
	tp->dsack_pending = true;
	US_INC(tp->st, TcpExtTCPDSACKOldSent);
}

/* Moves in-order bytes that the out-of-order set now joins onto RCV.NXT. */
static void rcv_advance(struct tcp_sock *tp, uint32_t n)
{
	uint32_t more;

	us_ring_commit(&tp->rcvq, n);
	us_intervals_advance(&tp->ooo, n);
	tp->rcv.nxt += n;
	more = us_intervals_prefix(&tp->ooo);
	if (more) {
		us_ring_commit(&tp->rcvq, more);
		us_intervals_advance(&tp->ooo, more);
		tp->rcv.nxt += more;
	}
}

bool tcp_rcv_data(struct tcp_sock *tp, struct tcp_seg *seg)
{
	struct us_stack *st = tp->st;
	uint32_t seq = seg->seq + ((seg->flags & TCP_SYN) ? 1 : 0);
	uint32_t len = seg->len, room, off;
	const uint8_t *data = seg->p->data;
	bool fin = (seg->flags & TCP_FIN) != 0, had_ooo = tp->ooo.n != 0;

	/* Old bytes at the front: report them (D-SACK) and keep the rest. */
	if (seq_lt(seq, tp->rcv.nxt)) {
		uint32_t d = tp->rcv.nxt - seq;

		if (d >= len) {
			tcp_rcv_dsack(tp, seq, seq + len);
			if (len)
				tcp_ack_schedule(tp, true);
			if (!(fin && seq + len == tp->rcv.nxt))
				return false;
			len = 0;
		} else {
			tcp_rcv_dsack(tp, seq, tp->rcv.nxt);
			data += d;
			len -= d;
		}
		seq = tp->rcv.nxt;
	}
	/* Beyond the ring (what the window offered, plus slack): cut off, FIN with it. */
	off = seq - tp->rcv.nxt;
	room = tp->rcvq.cap > tp->rcvq.len ? tp->rcvq.cap - tp->rcvq.len : 0;
	if (off >= room) {
		US_INC(st, TcpExtTCPRcvQDrop);
		tcp_ack_schedule(tp, true);
		return false;
	}
	if (len > room - off) {
		len = room - off;
		fin = false;
		US_INC(st, TcpExtTCPRcvQDrop);
	}
	if (len == 0 && !fin)
		return false;

	if (off == 0) {
		if (len) {
			us_ring_write_at(&tp->rcvq, tp->rcvq.len, data, len);
			rcv_advance(tp, len);
			tp->bytes_received += len;
			tp->rcv.unacked += len;
			if (len > tp->rcv.mss)
				tp->rcv.mss = len < tp->rcv.adv_mss ? len : tp->rcv.adv_mss;
		}
		/* RFC 5681 4.2: a segment that fills (part of) a gap is ACKed at once. */
		tcp_ack_schedule(tp, had_ooo);
		tcp_wake(tp);
	} else {
		if (len) {
			if (us_intervals_add(&tp->ooo, off, off + len) < 0) {
				/* The interval bound: hold no more fragments (the sender will
				 * retransmit); the ACK tells it where we are. */
				US_INC(st, TcpExtTCPOFODrop);
				tcp_ack_schedule(tp, true);
				return false;
			}
			us_ring_write_at(&tp->rcvq, tp->rcvq.len + off, data, len);
			US_INC(st, TcpExtTCPOFOQueue);
			sack_note(tp, seq);
		}
		if (fin) {
			tp->rcv.ooo_fin = true;
			tp->rcv.ooo_fin_seq = seq + len;
		}
		/* RFC 5681 4.2 / RFC 2018: out-of-order data is ACKed immediately (the
		 * duplicate ACK drives fast retransmit); quick-ack mode resumes. */
		tp->rcv.quick = TCP_MAX_QUICKACKS;
		tcp_ack_schedule(tp, true);
		return false;
	}
	if (fin && seq + len == tp->rcv.nxt)
		return true;
	if (tp->rcv.ooo_fin && tp->rcv.ooo_fin_seq == tp->rcv.nxt)
		return true;
	return false;
}

/* ---- the application read ---- */

static void rcv_space_adjust(struct tcp_sock *tp)
{
	struct us_stack *st = tp->st;
	uint64_t now = tcp_now_us(st);
	uint32_t rtt = tp->rcv_rtt_us ? tp->rcv_rtt_us : tp->srtt_us;
	uint64_t want;

	if (!rtt || now - tp->rcvq_time_us < rtt)
		return;
	if ((tp->flags & TF_RCVBUF_LOCK) || !st->cfg.tcp_moderate_rcvbuf) {
		tp->rcvq_copied = 0;
		tp->rcvq_time_us = now;
		return;
	}
	if (tp->rcvq_copied > tp->rcvq_space) {
		want = 2ull * tp->rcvq_copied + 16ull * tp->rcv.adv_mss;
		/* Doubling at least: each resize copies the ring. */
		if (want > tp->rcvbuf && want < 2ull * tp->rcvbuf)
			want = 2ull * tp->rcvbuf;
		if (want > (uint64_t)st->cfg.tcp_rmem_max)
			want = (uint64_t)st->cfg.tcp_rmem_max;
		if (want > tp->rcvbuf &&
		    us_ring_resize(&tp->rcvq, (uint32_t)want + (1u << tp->rcv.wscale)) == 0)
			tp->rcvbuf = (uint32_t)want;
		tp->rcvq_space = tp->rcvq_copied;
	}
	tp->rcvq_copied = 0;
	tp->rcvq_time_us = now;
}

void tcp_rcv_consumed(struct tcp_sock *tp, uint32_t n)
{
	uint32_t cur, win;

	tp->rcvq_copied += n;
	rcv_space_adjust(tp);
	if (tp->state < TCP_ESTABLISHED || (tp->flags & (TF_FIN_RCVD | TF_DONE)))
		return;
	cur = seq_gt(tp->rcv.adv, tp->rcv.nxt) ? tp->rcv.adv - tp->rcv.nxt : 0;
	win = window_now(tp);
	/* Linux tcp_cleanup_rbuf: a window update when it at least doubles (and
	 * SWS avoidance let it grow at all). */
	if (win > cur && win >= 2 * cur) {
		tp->flags |= TF_ACKNOW;
		tcp_mark_pending(tp);
	}
}

void tcp_rcv_rtt_sample(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	const struct tcp_opts *o = &seg->th->opts;
	uint32_t sample;

	/* RFC 7323 4 as Linux tcp_rcv_rtt_measure_ts: a data segment echoing our TSval
	 * gives the receiver an RTT (what the autotuner needs when we send no data). */
	if (!(tp->flags & TF_TS_OK) || !o->ts_present || !o->tsecr || !seg->len)
		return;
	sample = (tcp_now_ts(tp->st) + tp->ts_off - o->tsecr) * 1000u;
	if (sample > 60000000u)
		return;
	if (sample < 1000)
		sample = 1000;
	if (!tp->rcv_rtt_us || sample < tp->rcv_rtt_us)
		tp->rcv_rtt_us = sample;
	else
		tp->rcv_rtt_us = (uint32_t)((7ull * tp->rcv_rtt_us + sample) / 8);
}
