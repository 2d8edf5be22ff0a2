/*
 * tcp_output.c - "what may I send now": the only place that decides what a
 * connection transmits. Runs in the egress phase (tcp_flush_pending, the output hook)
 * for every connection that input, timers or the API marked pending, so data
 * is sent once per round and input never re-enters output (STYLE.md Part 3,
 * example 5). One exception: a bare ACK that is due (every second full segment,
 * out-of-order data, a duplicate) goes at once from the input path (tcp_send_ack,
 * as Linux's __tcp_ack_snd_check), since a round's receive batch can hold
 * megabytes.
 *
 * One pass of tcp_output(), in order:
 *   1. handshake: SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED after a simultaneous open);
 *   2. retransmissions of segments marked lost (RFC 6675 NextSeg rule 1; after an
 *      RTO, RFC 6298 5.4 and slow start from SND.UNA), as cwnd allows;
 *   3. new data cut from the send ring, limited by the peer's window, cwnd applied to
 *      the bytes in flight (RFC 6675 pipe), Nagle (RFC 896, RFC 1122 4.2.3.4) unless
 *      TCP_NODELAY, TCP_CORK / MSG_MORE, and sender silly-window avoidance
 *      (RFC 1122 4.2.3.4: send a full segment, or at least half the largest window
 *      the peer offered, or everything queued); the FIN follows the last byte;
 *   3b. in SACK recovery without RACK, with nothing else to send, the rescue
 *      retransmission of the highest unSACKed segment, once per recovery (RFC 6675 4
 *      NextSeg rule 4);
 *   4. a zero-window probe or keepalive probe when a timer asked for one;
 *   5. a bare ACK if one is still owed (no segment above carried it).
 * Then the persist timer is armed when data waits behind a closed window with
 * nothing in flight, and a tail loss probe is scheduled (RFC 8985 7.2).
 *
 * Segments: the header is written by wire/tcp.h tcp_emit from a plain repr;
 * checksums are left to the device (PARTIAL) when the route's device can finish
 * them, computed here (FULL) otherwise. Sent through ip_output, which only queues.
 *
 * Read first: RFC 9293 3.8.6 (window management), 3.10.7.1 (reset generation);
 * RFC 1122 4.2.3.4; RFC 7323 3 (which options go on which segment); RFC 2018 4.
 */
#include <errno.h>
#include <string.h>

#include "ip/ip.h"
#include "ip/pmtu.h"
#include "tcp/tcp_sock.h"

enum { IPPROTO_TCP_ = 6 };

uint32_t tcp_now_ts(const struct us_stack *st) { return (uint32_t)st->now_ms; }

void tcp_mark_pending(struct tcp_sock *tp)
{
	struct us_tcp_table *t = tp->st->tcp;

	if (list_linked(&tp->pending_link))
		return;
	/* Output is due: marked during a round (input, timers, an application hook) it
	 * goes in this round's output phase; marked outside one (an application thread
	 * between rounds), the request makes a simulator or event loop that sleeps until
	 * the next deadline run a round at once (core/stack.h). */
	us_stack_request_round(tp->st);
	list_add_tail(&tp->pending_link, &t->pending);
}

/* ---- MSS ---- */

uint32_t tcp_mss_for_mtu(const struct tcp_sock *tp, uint32_t mtu)
{
	/* RFC 9293 3.7.1 / RFC 6691: the MSS counts data only; the options we put on
	 * every segment (timestamps) come out of it. */
	uint32_t mss = mtu > 40 ? mtu - 40 : TCP_MSS_MIN;

	if (tp->snd.peer_mss && tp->snd.peer_mss < mss)
		mss = tp->snd.peer_mss;
	if (tp->user_mss && tp->user_mss < mss)
		mss = tp->user_mss;
	if (tp->flags & TF_TS_OK)
		mss -= TCP_TS_OPT_LEN;
	if (mss < TCP_MSS_MIN - 40)
		mss = TCP_MSS_MIN - 40;
	return mss;
}

void tcp_sync_mss(struct tcp_sock *tp)
{
	tp->snd.mss = tcp_mss_for_mtu(tp, tp->snd.pmtu ? tp->snd.pmtu : 576);
	tp->cc.mss = tp->snd.mss;
}

void tcp_mtu_reduced(struct tcp_sock *tp, uint32_t mtu)
{
	bool lower = mtu < tp->snd.pmtu, any = false;

	tp->snd.pmtu = mtu;
	tcp_sync_mss(tp);
	if (tp->state < TCP_ESTABLISHED)
		return;
	/* Segments sent larger than the new MSS cannot pass: lost, resent in pieces that
	 * fit (xmit_record cuts by the MSS). On a drop of the MTU, retransmissions sent
	 * at the old size too; on news of the MTU already in force (a later ICMP about
	 * one of those segments), only originals, so duplicate ICMPs resend nothing
	 * twice. */
	for (uint32_t i = 0; i < tp->txr_n; i++) {
		struct tcp_txrec *r = tcp_txr_at(tp, i);
		uint32_t data = r->end - r->seq - ((r->flags & TXR_FIN) ? 1 : 0);

		if (data <= tp->snd.mss || (r->flags & TXR_SACKED))
			continue;
		if (!lower && (r->flags & (TXR_LOST | TXR_RETRANS)))
			continue;
		if (!(r->flags & TXR_LOST)) {
			r->flags |= TXR_LOST;
			tp->lost_bytes += r->end - r->seq;
		}
		if (r->flags & TXR_RETRANS) {
			r->flags &= (uint8_t)~TXR_RETRANS;
			tp->retrans_bytes -= r->end - r->seq;
		}
		any = true;
	}
	if (any) {
		tp->rexmit_hint = 0;
		tcp_mark_pending(tp);
	}
}

void tcp_pmtu_refresh(struct tcp_sock *tp)
{
	bool locked = false;
	uint32_t mtu = tp->snd.route_mtu, path;

	/* Linux tcp_current_mss: the path MTU is looked up at each transmit, so what
	 * another connection or a UDP flow to the same destination learnt (ip/pmtu.h)
	 * applies at once, without waiting for an ICMP about our own segments; and an
	 * expired fact lets the MSS grow back to the route's (RFC 1191 6.3). */
	if (!mtu)
		return;
	path = pmtu_get(tp->st, tp->raddr, &locked);
	if (path && path < mtu)
		mtu = path;
	tp->snd.pmtu_locked = locked;
	if (mtu < tp->snd.pmtu) {
		tcp_mtu_reduced(tp, mtu);
	} else if (mtu > tp->snd.pmtu) {
		tp->snd.pmtu = mtu;
		tcp_sync_mss(tp);
	}
}

/* SACK blocks we would put on the next segment (they take option space). */
static unsigned sack_blocks_pending(const struct tcp_sock *tp)
{
	unsigned n;

	if (!(tp->flags & TF_SACK_OK))
		return 0;
	n = (tp->ooo.n < TCP_MAX_SACK ? tp->ooo.n : TCP_MAX_SACK) + (tp->dsack_pending ? 1 : 0);
	if (n > ((tp->flags & TF_TS_OK) ? 3u : 4u))
		n = (tp->flags & TF_TS_OK) ? 3u : 4u;
	return n;
}

uint32_t tcp_send_mss(const struct tcp_sock *tp)
{
	unsigned n = sack_blocks_pending(tp);
	uint32_t opt = n ? 4 + 8 * n : 0;

	return tp->snd.mss > opt + 8 ? tp->snd.mss - opt : tp->snd.mss;
}

/* ---- segment building ---- */

static void fill_syn_opts(struct tcp_sock *tp, struct tcp_opts *o, bool synack)
{
	struct us_stack *st = tp->st;

	o->mss_present = true;
	o->mss = (uint16_t)tp->rcv.adv_mss;
	/* RFC 7323 2.2 / RFC 2018 2 / RFC 7323 3.2: offer in the SYN; in a SYN-ACK, only
	 * what the peer offered (the *_OK flags were set from its SYN). */
	if (synack ? (tp->flags & TF_WSCALE_OK) != 0 : st->cfg.tcp_window_scaling != 0) {
		o->wscale_present = true;
		o->wscale = tp->rcv.wscale;
	}
	if (synack ? (tp->flags & TF_SACK_OK) != 0 : st->cfg.tcp_sack != 0)
		o->sack_perm = true;
	if (synack ? (tp->flags & TF_TS_OK) != 0 : st->cfg.tcp_timestamps != 0) {
		o->ts_present = true;
		o->tsval = tcp_now_ts(st) + tp->ts_off;
		o->tsecr = synack ? tp->ts_recent : 0;
	}
}

static void tcp_count_out(struct us_stack *st, uint8_t flags, bool rexmit)
{
	US_INC(st, TcpOutSegs);
	if (flags & TCP_RST)
		US_INC(st, TcpOutRsts);
	if (rexmit)
		US_INC(st, TcpRetransSegs);
}

int tcp_xmit(struct tcp_sock *tp, uint32_t seq, uint32_t len, uint8_t flags, bool rexmit)
{
	struct us_stack *st = tp->st;
	struct tcp_repr r = { 0 };
	struct us_ip_tx tx = {
		.src = tp->laddr,
		.dst = tp->raddr,
		.proto = IPPROTO_TCP_,
		.ttl = tp->ttl,
		.tos = tp->tos,
		/* RFC 1191 / RFC 9293 3.7.2: DF on every segment of a connection, so the
		 * path reports its MTU and the MSS follows (Linux IP_PMTUDISC_WANT on a
		 * route whose MTU is not locked); never fragmented here - a segment is cut
		 * to the MSS of the current path MTU (tcp_pmtu_refresh). */
		.df = (tp->st->cfg.ip_no_pmtu_disc || tp->snd.pmtu_locked) ? 0 : 1,
	};
	struct us_pkt *p;
	size_t hlen;
	int err;

	r.sport = tp->lport;
	r.dport = tp->rport;
	r.seq = seq;
	r.flags = flags;
	if (flags & TCP_SYN) {
		fill_syn_opts(tp, &r.opts, (flags & TCP_ACK) != 0);
		/* RFC 7323 2.2: the window in a SYN or SYN-ACK is never scaled. */
		r.window = (uint16_t)us_min_u(tcp_rcv_wnd(tp), 65535);
		tp->rcv.adv = tp->rcv.nxt + r.window;
		tp->rcv.wup = tp->rcv.nxt;
	} else {
		if (tp->flags & TF_TS_OK) {
			r.opts.ts_present = true;
			r.opts.tsval = tcp_now_ts(st) + tp->ts_off;
			r.opts.tsecr = tp->ts_recent;
		}
		if ((tp->flags & TF_SACK_OK) && (flags & TCP_ACK) && !(flags & TCP_RST))
			r.opts.sack_count = (uint8_t)tcp_sack_fill(tp, r.opts.sack, TCP_MAX_SACK);
		r.window = (flags & TCP_RST) ? 0 : tcp_select_window(tp);
	}
	if (flags & TCP_ACK)
		r.ack = tp->rcv.nxt;
	r.payload_len = len;
	hlen = tcp_hdr_len(&r);

	p = us_pkt_alloc(&st->pool, len);
	if (!p)
		return -ENOBUFS;
	if (len && us_ring_peek(&tp->sndq, seq - tp->snd.buf_seq, us_pkt_put(p, len), len) != len) {
		us_pkt_free(p);
		return -EINVAL;
	}
	tcp_emit(&r, us_pkt_push(p, hlen), tp->laddr, tp->raddr,
		 tp->dev_caps_tx_csum ? TCP_CSUM_PARTIAL : TCP_CSUM_FULL);
	us_pkt_set_transport(p);
	if (tp->dev_caps_tx_csum) {
		p->csum = US_CSUM_PARTIAL;
		p->csum_start = p->trans_off;
		p->csum_offset = TCP_OFF_CSUM;
	}
	p->flags |= US_PKT_F_LOCAL_OUT;
	if (tp->neigh_confirm) {
		/* Keeps the next hop REACHABLE while ACKs arrive, so a busy connection
		 * never depends on ARP probes (which a flood or heavy loss may eat). */
		p->flags |= US_PKT_F_CONFIRM_NEIGH;
		tp->neigh_confirm = false;
	}
	tcp_count_out(st, flags, rexmit);
	tp->segs_out++;
	if (flags & TCP_ACK)
		tcp_ack_sent(tp);
	err = ip_output(st, &tx, p);
	/* A send that fails below us (no route for a moment, queue full) is a lost
	 * segment to TCP: the timers repair it. */
	return err == -ENOBUFS ? 0 : err;
}

int tcp_send_raw(struct us_stack *st, const struct tcp_raw_seg *s)
{
	struct tcp_repr r = { 0 };
	struct us_ip_tx tx = {
		.src = s->saddr,
		.dst = s->daddr,
		.proto = IPPROTO_TCP_,
		.ttl = s->ttl,
		.tos = s->tos,
		.df = -1,
	};
	struct us_pkt *p;
	size_t hlen;

	r.sport = s->sport;
	r.dport = s->dport;
	r.seq = s->seq;
	r.ack = s->ack;
	r.flags = s->flags;
	r.window = s->window;
	r.opts = s->opts;
	hlen = tcp_hdr_len(&r);
	p = us_pkt_alloc(&st->pool, 0);
	if (!p)
		return -ENOBUFS;
	/* The checksum is finished by the device or, for devices that cannot, by IP
	 * (ip_csum_complete): we do not know the route's device here. */
	tcp_emit(&r, us_pkt_push(p, hlen), s->saddr, s->daddr, TCP_CSUM_PARTIAL);
	us_pkt_set_transport(p);
	p->csum = US_CSUM_PARTIAL;
	p->csum_start = p->trans_off;
	p->csum_offset = TCP_OFF_CSUM;
	p->flags |= US_PKT_F_LOCAL_OUT;
	tcp_count_out(st, s->flags, false);
	return ip_output(st, &tx, p);
}

void tcp_rst_reply(struct us_stack *st, const struct tcp_seg *seg)
{
	struct tcp_raw_seg r = {
		.saddr = seg->daddr,
		.daddr = seg->saddr,
		.sport = seg->th->dport,
		.dport = seg->th->sport,
	};

	/* RFC 9293 3.10.7.1: never answer a reset with a reset. */
	if (seg->flags & TCP_RST)
		return;
	if (seg->flags & TCP_ACK) {
		/* <SEQ=SEG.ACK><CTL=RST> */
		r.seq = seg->ack;
		r.flags = TCP_RST;
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; SYN and FIN count in SEG.LEN. */
		r.seq = 0;
		r.ack = seg->end_seq;
		r.flags = TCP_RST | TCP_ACK;
	}
	tcp_send_raw(st, &r);
}

void tcp_send_ack(struct tcp_sock *tp) { tcp_xmit(tp, tp->snd.nxt, 0, TCP_ACK, false); }

void tcp_send_rst(struct tcp_sock *tp)
{
	/* RFC 9293 3.10.4 ABORT: <SEQ=SND.NXT><CTL=RST>; with ACK, as Linux. */
	if (tp->flags & TF_RESET_SENT)
		return;
	tp->flags |= TF_RESET_SENT;
	tcp_xmit(tp, tp->snd.nxt, 0, TCP_RST | TCP_ACK, false);
}

/* ---- deciding what to send ---- */

static uint32_t unsent_bytes(const struct tcp_sock *tp)
{
	uint32_t end = tp->snd.buf_seq + tp->sndq.len;

	return seq_gt(end, tp->snd.nxt) ? end - tp->snd.nxt : 0;
}

static bool fin_unsent(const struct tcp_sock *tp)
{
	return (tp->flags & TF_FIN_QUEUED) && seq_le(tp->snd.nxt, tp->snd.fin_seq);
}

static bool in_cwnd_reduction(const struct tcp_sock *tp)
{
	return tp->cc.ca_state == TCP_CA_RECOVERY || tp->cc.ca_state == TCP_CA_CWR;
}

/* Transmit-queue backpressure (the role of Linux's TCP small queues): a segment that
 * the device queue would drop is not sent now; the connection stays pending and goes
 * on in the next round, after the egress phase drained the queue. Room is left for
 * other connections' ACKs. */
static bool dev_room(struct tcp_sock *tp)
{
	struct us_netdev *dev = tp->oif ? us_netdev_by_index(tp->st, tp->oif) : NULL;

	if (!dev || !dev->txq.limit || dev->txq.len + 32 < dev->txq.limit)
		return true;
	tp->flags |= TF_TXQ_FULL;
	return false;
}

/* cwnd is applied to the bytes in flight (RFC 5681, RFC 6675 pipe): a segment goes
 * when it fits entirely, so the byte counts PRR computes hold exactly; with nothing
 * in flight one segment always may (cwnd is at least one MSS). */
static bool cwnd_allows(const struct tcp_sock *tp, uint32_t len)
{
	uint32_t pipe = tcp_in_flight(tp);

	if (len == 0)
		len = 1;
	return pipe == 0 || (uint64_t)pipe + len <= tp->cc.cwnd;
}

/* Sends [seq, end) of a record again, as segments of at most one MSS. */
static void xmit_record(struct tcp_sock *tp, struct tcp_txrec *r)
{
	uint32_t mss = tcp_send_mss(tp), seq = r->seq;
	bool fin = (r->flags & TXR_FIN) != 0;
	uint32_t data_end = fin ? r->end - 1 : r->end;

	do {
		uint32_t len = data_end - seq < mss ? data_end - seq : mss;
		uint8_t flags = TCP_ACK;

		if (seq + len == data_end) {
			if (fin)
				flags |= TCP_FIN;
			if (len)
				flags |= TCP_PSH;
		}
		tcp_xmit(tp, seq, len, flags, true);
		seq += len;
	} while (seq != data_end);
	tp->total_retrans++;
	/* A retransmission is a send too (Linux's lsndtime is set for every data
	 * segment): without this, the first new data after an RTO episode that lasted
	 * longer than the RTO looked like a restart after idle (RFC 5681 4.1) and cwnd
	 * fell back to the initial window, undo or not. */
	tp->last_send_ms = tp->st->now_ms;
	tcp_txr_retransmitted(tp, r);
}

static void retransmit_record(struct tcp_sock *tp, struct tcp_txrec *r)
{
	struct us_stack *st = tp->st;

	if (tp->cc.ca_state == TCP_CA_LOSS)
		US_INC(st, TcpExtTCPSlowStartRetrans);
	else
		US_INC(st, TcpExtTCPFastRetrans);
	if (in_cwnd_reduction(tp))
		tp->prr_out += r->end - r->seq;
	xmit_record(tp, r);
	tcp_undo_retransmitted(tp);
}

static void send_retransmissions(struct tcp_sock *tp)
{
	struct tcp_txrec *r;
	unsigned budget = 1024;

	while (budget-- && (r = tcp_next_lost(tp)) != NULL) {
		if (!cwnd_allows(tp, r->end - r->seq) || !dev_room(tp))
			break;
		retransmit_record(tp, r);
		if (!tp->deadline[TCPT_REXMT])
			tcp_rearm_rexmt(tp);
	}
}

/* RFC 6675 4 NextSeg() rule (4), the rescue retransmission (a MAY), with RFC 6675's
 * own loss detection (net.ipv4.tcp_recovery=0; with RACK, RACK and the tail loss
 * probe find a lost tail, as in Linux): in SACK
 * recovery, when there is nothing deemed lost to retransmit (rule 1) and no new data
 * may go (rule 2), send once per recovery the highest unSACKed segment, if cwnd
 * allows. A loss at the tail has nothing above it to be SACKed, so neither IsLost()
 * nor RACK can find it, and the tail loss probe (RFC 8985 7) only runs in the open
 * state: without this it waits for the RTO. "If HighACK is greater than RescueRxt (or
 * RescueRxt is undefined) ... RescueRxt set to RecoveryPoint. HighRxt MUST NOT be
 * updated." (the record is not marked lost: pipe counts it twice, as SetPipe says). */
static void send_rescue(struct tcp_sock *tp)
{
	struct tcp_txrec *r = NULL;

	if (tp->cc.ca_state != TCP_CA_RECOVERY || !(tp->flags & TF_SACK_OK) ||
	    (tp->st->cfg.tcp_recovery & 1) ||
	    tp->snd.una == tp->snd.nxt || (tp->rescue_set && !seq_gt(tp->snd.una, tp->rescue_rxt)) ||
	    tcp_next_lost(tp))
		return;
	for (uint32_t i = tp->txr_n; i-- > 0;) {
		struct tcp_txrec *c = tcp_txr_at(tp, i);

		if (!(c->flags & TXR_SACKED)) {
			r = c;
			break;
		}
	}
	if (!r || (r->flags & TXR_RETRANS) || !cwnd_allows(tp, r->end - r->seq) || !dev_room(tp))
		return;
	tp->rescue_rxt = tp->high_seq;
	tp->rescue_set = true;
	retransmit_record(tp, r);
}

/* RFC 5681 4.1 / RFC 7661: after an idle period longer than the RTO, restart from
 * the initial window (Linux tcp_cwnd_restart). */
static void cwnd_restart_after_idle(struct tcp_sock *tp)
{
	struct us_stack *st = tp->st;
	uint32_t iw = TCP_INIT_CWND_SEGS * tp->snd.mss;

	if (tp->snd.una != tp->snd.nxt || !tp->last_send_ms)
		return;
	/* The module sees the time of this event (its now_us is from the last hook call,
	 * the last ACK: CUBIC measures the idle time from it, RFC 9438 5.8). */
	tcp_cc_prepare(tp);
	if (tp->cc.ops && tp->cc.ops->cwnd_event)
		tp->cc.ops->cwnd_event(&tp->cc, TCP_CC_EVENT_TX_START);
	if (!st->cfg.tcp_slow_start_after_idle || st->now_ms - tp->last_send_ms <= tcp_rto_ms(tp))
		return;
	if (tp->cc.ops && tp->cc.ops->cong_control)
		return;
	if (tp->cc.cwnd > iw) {
		if (tp->cc.ssthresh < tp->cc.cwnd * 3 / 4 || tp->cc.ssthresh == UINT32_MAX)
			tp->cc.ssthresh = tp->cc.ssthresh == UINT32_MAX ? tp->cc.cwnd
									: tp->cc.cwnd * 3 / 4;
		tp->cc.cwnd = iw;
		if (tp->cc.ops && tp->cc.ops->cwnd_event)
			tp->cc.ops->cwnd_event(&tp->cc, TCP_CC_EVENT_CWND_RESTART);
	}
}

/* Returns true when the whole queue went (or the window/cwnd stopped us with nothing
 * else possible); sets *blocked_wnd when the peer's window held data back. */
static bool send_new_data(struct tcp_sock *tp, bool *blocked_wnd, bool *sent)
{
	struct us_stack *st = tp->st;
	unsigned budget = 4096;

	*blocked_wnd = false;
	while (budget--) {
		uint32_t seq = tp->snd.nxt, avail = unsent_bytes(tp), mss = tcp_send_mss(tp);
		uint32_t wnd_end = tp->snd.una + tp->snd.wnd, len, end;
		bool fin = false;
		uint8_t flags = TCP_ACK;

		if (avail == 0 && !fin_unsent(tp)) {
			/* Everything went: not cwnd-limited unless most of cwnd is in use
			 * (RFC 7661: do not grow a window the application does not fill). */
			if (tcp_in_flight(tp) < tp->cc.cwnd / 2)
				tp->flags &= ~(uint32_t)TF_CWND_LIMITED;
			return true;
		}
		if (tp->txr_n >= TCP_TXREC_MAX)
			return false;
		len = avail < mss ? avail : mss;
		if (len) {
			if (!seq_lt(seq, wnd_end)) {
				/* The receiver limits us, not cwnd (RFC 7661: do not grow it). */
				*blocked_wnd = true;
				tp->flags &= ~(uint32_t)TF_CWND_LIMITED;
				return false;
			}
			if (wnd_end - seq < len) {
				/* RFC 1122 4.2.3.4 (sender SWS): a window-limited piece goes only
				 * if it is at least half the largest window the peer offered. */
				uint32_t usable = wnd_end - seq;

				if (usable < tp->snd.max_wnd / 2 && usable < mss) {
					*blocked_wnd = true;
					return false;
				}
				len = usable;
			}
		}
		if (!cwnd_allows(tp, len)) {
			tp->flags |= TF_CWND_LIMITED;
			return false;
		}
		if (!dev_room(tp))
			return false;
		end = seq + len;
		if (fin_unsent(tp) && end == tp->snd.fin_seq)
			fin = true;
		if (len < mss && len == avail && !fin) {
			/* A partial segment with everything queued: cork and MSG_MORE hold
			 * it; Nagle holds it while anything is unacknowledged (RFC 896). */
			if ((tp->flags & (TF_CORK | TF_MORE)) && !tp->uncork) {
				/* tcp(7): corked data goes after 200 ms at the latest. */
				if (!tp->deadline[TCPT_CORK])
					tcp_timer_set(tp, TCPT_CORK, st->now_ms + TCP_CORK_CEILING_MS);
				US_INC(st, TcpExtTCPAutoCorking);
				return true;
			}
			if (!(tp->flags & TF_NODELAY) && tp->snd.una != tp->snd.nxt) {
				US_INC(st, TcpExtTCPAutoCorking);
				return true;
			}
		}
		if (tp->snd.una == tp->snd.nxt)
			cwnd_restart_after_idle(tp);
		if (len == avail && len)
			flags |= TCP_PSH;
		if (fin)
			flags |= TCP_FIN;
		if (tcp_txr_append(tp, seq, end + (fin ? 1 : 0), fin ? TXR_FIN : 0) < 0)
			return false;
		tcp_xmit(tp, seq, len, flags, false);
		tp->snd.nxt = end + (fin ? 1 : 0);
		if (fin)
			tp->flags |= TF_FIN_SENT;
		if (in_cwnd_reduction(tp))
			tp->prr_out += len + (fin ? 1 : 0);
		tp->last_send_ms = st->now_ms;
		*sent = true;
		if (!tp->deadline[TCPT_REXMT])
			tcp_rearm_rexmt(tp);
	}
	return false;
}

/* A persist or keepalive probe: data that fits the window if there is some (the
 * window opened but the update was lost, or SWS held it back), else a segment at
 * SND.UNA-1 that the peer must acknowledge (Linux tcp_write_wakeup). */
static void send_probe(struct tcp_sock *tp)
{
	uint32_t avail = unsent_bytes(tp), wnd_end = tp->snd.una + tp->snd.wnd;

	tp->flags &= ~(uint32_t)TF_PROBE;
	if (avail && seq_lt(tp->snd.nxt, wnd_end)) {
		uint32_t len = wnd_end - tp->snd.nxt, mss = tcp_send_mss(tp);
		uint32_t seq = tp->snd.nxt;

		if (len > avail)
			len = avail;
		if (len > mss)
			len = mss;
		if (tcp_txr_append(tp, seq, seq + len, 0) == 0) {
			tcp_xmit(tp, seq, len, TCP_ACK | TCP_PSH, false);
			tp->snd.nxt = seq + len;
			if (!tp->deadline[TCPT_REXMT])
				tcp_rearm_rexmt(tp);
			return;
		}
	}
	if (tp->snd.wnd == 0 && avail)
		US_INC(tp->st, TcpExtTCPWinProbe);
	tcp_xmit(tp, tp->snd.una - 1, 0, TCP_ACK, false);
}

/* RFC 8985 7.3: the tail loss probe: new data if the window allows, else the last
 * segment again; either way the ACK it brings lets RACK find a lost tail. */
static void send_tlp(struct tcp_sock *tp)
{
	uint32_t avail = unsent_bytes(tp), wnd_end = tp->snd.una + tp->snd.wnd;

	tp->flags &= ~(uint32_t)TF_TLP_PENDING;
	if (tp->snd.una == tp->snd.nxt || tp->cc.ca_state != TCP_CA_OPEN || (tp->flags & TF_TLP_OUT))
		return;
	US_INC(tp->st, TcpExtTCPLossProbes);
	if (avail && seq_lt(tp->snd.nxt, wnd_end) && tp->txr_n < TCP_TXREC_MAX) {
		uint32_t seq = tp->snd.nxt, len = wnd_end - seq, mss = tcp_send_mss(tp);

		if (len > avail)
			len = avail;
		if (len > mss)
			len = mss;
		if (tcp_txr_append(tp, seq, seq + len, 0) < 0)
			return;
		tcp_xmit(tp, seq, len, TCP_ACK | (len == avail ? TCP_PSH : 0), false);
		tp->snd.nxt = seq + len;
		tp->last_send_ms = tp->st->now_ms;
		tp->tlp_is_retrans = false;
	} else {
		struct tcp_txrec *r = NULL;

		for (uint32_t i = tp->txr_n; i-- > 0;) {
			if (!(tcp_txr_at(tp, i)->flags & TXR_SACKED)) {
				r = tcp_txr_at(tp, i);
				break;
			}
		}
		if (!r)
			return;
		xmit_record(tp, r);
		tp->tlp_is_retrans = true;
	}
	tp->tlp_high_seq = tp->snd.nxt;
	tp->flags |= TF_TLP_OUT;
	tcp_rearm_rexmt(tp);
}

/* Linux tcp_cwnd_validate: after sending, remember the largest flight of this
 * window of data and whether cwnd limited it; a new window starts once SND.UNA
 * passed the SND.NXT of the last reset. */
static void cwnd_usage_update(struct tcp_sock *tp)
{
	uint32_t flight = tcp_in_flight(tp);
	bool limited = (tp->flags & TF_CWND_LIMITED) != 0;

	if (seq_ge(tp->snd.una, tp->cwnd_usage_seq) || limited || flight > tp->max_flight) {
		tp->max_flight = flight;
		tp->cwnd_usage_seq = tp->snd.nxt;
		tp->cwnd_limited_win = limited;
	}
}

void tcp_output(struct tcp_sock *tp)
{
	bool blocked_wnd = false, sent = false;

	if (tp->flags & TF_DONE)
		return;
	switch (tp->state) {
	case TCP_CLOSED:
	case TCP_LISTEN:
		return;
	case TCP_SYN_SENT:
		if (!(tp->flags & TF_SYN_SENT)) {
			tp->flags |= TF_SYN_SENT;
			tcp_xmit(tp, tp->snd.iss, 0, TCP_SYN, tp->retries > 0);
			tp->snd.nxt = tp->snd.iss + 1;
			tcp_rearm_rexmt(tp);
		}
		return;
	case TCP_SYN_RECEIVED:
		if (!(tp->flags & TF_SYN_SENT) || (tp->flags & TF_ACKNOW)) {
			tp->flags |= TF_SYN_SENT;
			tp->flags &= ~(uint32_t)TF_ACKNOW;
			tcp_xmit(tp, tp->snd.iss, 0, TCP_SYN | TCP_ACK, tp->retries > 0);
			tp->snd.nxt = tp->snd.iss + 1;
			if (!tp->deadline[TCPT_REXMT])
				tcp_rearm_rexmt(tp);
		}
		return;
	default:
		break;
	}
	tcp_pmtu_refresh(tp);

	/* RFC 5682 3.1 step 2.b: the first ACK after an RTO acknowledged new data, so
	 * F-RTO sends new (never sent) data now instead of retransmitting more; the
	 * next ACK tells a spurious timeout from a real one (tcp_ack.c). Once only, as
	 * Linux's REXMIT_NEW: if the window holds nothing new, retransmit as usual. */
	if (tp->frto.new_data && unsent_bytes(tp) && seq_lt(tp->snd.nxt, tp->snd.una + tp->snd.wnd)) {
		tp->frto.new_data = false;
	} else {
		tp->frto.new_data = false;
		send_retransmissions(tp);
	}
	send_new_data(tp, &blocked_wnd, &sent);
	if (sent)
		cwnd_usage_update(tp);
	if (!sent)
		send_rescue(tp);
	tp->uncork = false;
	if (!unsent_bytes(tp) && tp->deadline[TCPT_CORK])
		tcp_timer_clear(tp, TCPT_CORK);
	if (tp->flags & TF_TLP_PENDING)
		send_tlp(tp);
	if (tp->flags & TF_PROBE)
		send_probe(tp);
	if (tp->flags & TF_ACKNOW)
		tcp_send_ack(tp);

	/* Persist (RFC 9293 3.8.6.1): data waits behind the window and nothing in flight
	 * would bring an ACK to reopen it. */
	if (blocked_wnd && tp->snd.una == tp->snd.nxt) {
		if (!tp->deadline[TCPT_PERSIST]) {
			tp->probes = 0;
			tcp_timer_set(tp, TCPT_PERSIST, tp->st->now_ms + tcp_rto_ms(tp));
		}
	} else if (tp->deadline[TCPT_PERSIST] && tp->snd.una != tp->snd.nxt) {
		tcp_timer_clear(tp, TCPT_PERSIST);
	}
	if (sent)
		tcp_tlp_arm(tp);
	if (tp->flags & TF_TXQ_FULL) {
		tp->flags &= ~(uint32_t)TF_TXQ_FULL;
		tcp_mark_pending(tp);
	}
}
