/*
 * tcp_timewait.c - TIME_WAIT as small records (Linux's inet_timewait_sock), not
 * full connections: a closed connection keeps only what it needs for 2MSL
 * (60 s, Linux's TCP_TIMEWAIT_LEN): the 4-tuple, SND.NXT and RCV.NXT to
 * acknowledge a retransmitted FIN, and TS.Recent to tell a new incarnation from
 * an old duplicate.
 *
 * Segments for a record (RFC 9293 3.10.7.4, TIME-WAIT rows; Linux
 * tcp_timewait_state_process):
 *   - a new SYN may reopen the 4-tuple when it is provably new (RFC 6191): with
 *     timestamps, its TSval is above TS.Recent; without, its sequence number is
 *     above RCV.NXT (RFC 1122 4.2.2.13). The record goes and the listener answers
 *     with an ISN above the old SND.NXT;
 *   - an RST exactly at RCV.NXT ends the record (TIME-WAIT assassination, RFC 1337,
 *     is accepted as Linux does by default; net.ipv4.tcp_rfc1337=1 ignores it);
 *   - a retransmitted FIN is acknowledged and restarts the 2MSL timer;
 *   - a bare ACK at RCV.NXT is ignored; anything else gets an ACK.
 * An active open may reuse a TIME_WAIT 4-tuple (net.ipv4.tcp_tw_reuse) when
 * timestamps were on and the last one is over a second old: the peer's PAWS then
 * rejects any old duplicate (RFC 6191 2, Linux tcp_twsk_unique).
 * The number of records is bounded by net.ipv4.tcp_max_tw_buckets; beyond it a
 * connection skips TIME_WAIT (TcpExtTCPTimeWaitOverflow), as Linux.
 */
#include <stdlib.h>

#include "tcp/tcp_sock.h"

static struct hlist_head *tw_bucket(struct us_stack *st, uint32_t laddr, uint16_t lport,
				    uint32_t raddr, uint16_t rport)
{
	return &st->tcp->tw_hash[tcp_tuple_hash(st, laddr, lport, raddr, rport) % TCP_EHASH_SIZE];
}

struct tcp_tw *tcp_tw_lookup(struct us_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			     uint16_t rport)
{
	struct tcp_tw *tw;

	if (!st->tcp->ntw)
		return NULL;
	hlist_for_each_entry(tw, tw_bucket(st, laddr, lport, raddr, rport), hash_link)
		if (tw->lport == lport && tw->rport == rport && tw->laddr == laddr &&
		    tw->raddr == raddr)
			return tw;
	return NULL;
}

void tcp_tw_kill(struct us_stack *st, struct tcp_tw *tw)
{
	us_timer_cancel(&st->timers, &tw->timer);
	hlist_del(&tw->hash_link);
	hlist_del(&tw->bind_link);
	list_del(&tw->all_link);
	st->tcp->ntw--;
	free(tw);
}

static void tw_timer(struct us_timer *t, uint64_t now_ms)
{
	struct tcp_tw *tw = container_of(t, struct tcp_tw, timer);
	struct us_stack *st = tw->st;

	if (now_ms < tw->expires_ms) {
		us_timer_arm(&st->timers, &tw->timer, tcp_wheel_when(now_ms, tw->expires_ms));
		return;
	}
	US_INC(st, TcpExtTW);
	tcp_tw_kill(st, tw);
}

bool tcp_time_wait(struct tcp_sock *tp)
{
	struct us_stack *st = tp->st;
	struct tcp_tw *tw;
	uint32_t wnd;

	if (st->tcp->ntw >= (uint64_t)st->cfg.tcp_max_tw_buckets || !(tw = calloc(1, sizeof(*tw)))) {
		US_INC(st, TcpExtTCPTimeWaitOverflow);
		return tcp_done(tp);
	}
	tw->st = st;
	tw->laddr = tp->laddr;
	tw->raddr = tp->raddr;
	tw->lport = tp->lport;
	tw->rport = tp->rport;
	tw->snd_nxt = tp->snd.nxt;
	tw->rcv_nxt = tp->rcv.nxt;
	tw->ts_ok = (tp->flags & TF_TS_OK) != 0;
	tw->ts_recent = tp->ts_recent;
	tw->ts_recent_ms = tp->ts_recent_ms;
	tw->ts_off = tp->ts_off;
	wnd = seq_gt(tp->rcv.adv, tp->rcv.nxt) ? (tp->rcv.adv - tp->rcv.nxt) >> tp->rcv.wscale : 0;
	tw->rcv_wnd = (uint16_t)(wnd > 65535 ? 65535 : wnd);
	tw->tos = tp->tos;
	tw->ttl = tp->ttl;
	tw->expires_ms = st->now_ms + TCP_TIMEWAIT_MS;
	hlist_add_head(&tw->hash_link, tw_bucket(st, tw->laddr, tw->lport, tw->raddr, tw->rport));
	hlist_add_head(&tw->bind_link, &st->tcp->tw_bhash[tw->lport % TCP_BHASH_SIZE]);
	list_add_tail(&tw->all_link, &st->tcp->tw_list);
	st->tcp->ntw++;
	us_timer_init(&tw->timer, tw_timer);
	us_timer_arm(&st->timers, &tw->timer, tcp_wheel_when(st->now_ms, tw->expires_ms));
	tcp_set_state(tp, TCP_TIME_WAIT);
	return tcp_done(tp);
}

static void tw_ack(struct us_stack *st, const struct tcp_tw *tw)
{
	struct tcp_raw_seg s = {
		.saddr = tw->laddr,
		.daddr = tw->raddr,
		.sport = tw->lport,
		.dport = tw->rport,
		.seq = tw->snd_nxt,
		.ack = tw->rcv_nxt,
		.flags = TCP_ACK,
		.window = tw->rcv_wnd,
		.tos = tw->tos,
		.ttl = tw->ttl,
	};

	if (tw->ts_ok) {
		s.opts.ts_present = true;
		s.opts.tsval = tcp_now_ts(st) + tw->ts_off;
		s.opts.tsecr = tw->ts_recent;
	}
	tcp_send_raw(st, &s);
}

static void tw_restart(struct us_stack *st, struct tcp_tw *tw)
{
	tw->expires_ms = st->now_ms + TCP_TIMEWAIT_MS;
	us_timer_arm(&st->timers, &tw->timer, tcp_wheel_when(st->now_ms, tw->expires_ms));
}

bool tcp_tw_input(struct tcp_tw *tw, struct tcp_seg *seg, uint32_t *isn)
{
	struct us_stack *st = tw->st;
	const struct tcp_opts *o = &seg->th->opts;
	uint8_t fl = seg->flags;
	bool paws = false;

	if (tw->ts_ok && o->ts_present && !(fl & TCP_RST) &&
	    (int32_t)(o->tsval - tw->ts_recent) < 0 &&
	    st->now_ms - tw->ts_recent_ms <= TCP_PAWS_24DAYS_MS)
		paws = true;

	/* RFC 6191 / RFC 1122 4.2.2.13: a provably new SYN reopens the 4-tuple. */
	if ((fl & (TCP_SYN | TCP_RST | TCP_ACK)) == TCP_SYN && !paws &&
	    (seq_gt(seg->seq, tw->rcv_nxt) ||
	     (tw->ts_ok && o->ts_present && (int32_t)(o->tsval - tw->ts_recent) > 0))) {
		*isn = tw->snd_nxt + 65535 + 2;
		US_INC(st, TcpExtTWRecycled);
		tcp_tw_kill(st, tw);
		return true;
	}
	if (!paws && seg->seq == tw->rcv_nxt && (seg->seq == seg->end_seq || (fl & TCP_RST))) {
		/* In window: only a reset or a bare ACK can be. */
		if (fl & TCP_RST) {
			if (!st->cfg.tcp_rfc1337) {
				us_pkt_free(seg->p);
				tcp_tw_kill(st, tw);
				return false;
			}
		} else {
			tw_restart(st, tw);
		}
		us_drop(st, seg->p, US_DROP_TCP_TIMEWAIT);
		return false;
	}
	if (fl & TCP_RST) {
		us_drop(st, seg->p, US_DROP_TCP_TIMEWAIT);
		return false;
	}
	/* A retransmitted FIN (or any other old or unacceptable segment): acknowledge;
	 * the FIN restarts the 2MSL timer. */
	if ((fl & TCP_FIN) && seg->end_seq == tw->rcv_nxt)
		tw_restart(st, tw);
	if (paws)
		US_INC(st, TcpExtPAWSEstab);
	tw_ack(st, tw);
	us_drop(st, seg->p, paws ? US_DROP_TCP_PAWS : US_DROP_TCP_TIMEWAIT);
	return false;
}

bool tcp_tw_reuse(struct us_stack *st, struct tcp_tw *tw, struct tcp_sock *tp)
{
	int64_t mode = st->cfg.tcp_tw_reuse;
	bool loopback = ipv4_is_loopback(tw->raddr) || ipv4_is_loopback(tw->laddr) ||
			tw->raddr == tw->laddr;

	if (!tw->ts_ok || !(mode == 1 || (mode == 2 && loopback)))
		return false;
	/* Over a second since the last timestamp from the peer: our new TSval is
	 * certainly above what its PAWS remembers (our clock ticks in ms). */
	if (st->now_ms - tw->ts_recent_ms < 1000)
		return false;
	tp->snd.iss = tw->snd_nxt + 65535 + 2;
	tp->iss_from_tw = true;
	tp->ts_recent = tw->ts_recent;
	tp->ts_recent_ms = tw->ts_recent_ms;
	US_INC(st, TcpExtTWRecycled);
	tcp_tw_kill(st, tw);
	return true;
}

void tcp_tw_flush(struct us_stack *st)
{
	struct tcp_tw *tw, *tmp;

	list_for_each_entry_safe(tw, tmp, &st->tcp->tw_list, all_link)
		tcp_tw_kill(st, tw);
}
