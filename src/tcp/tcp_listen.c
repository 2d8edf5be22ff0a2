/*
 * tcp_listen.c - passive opens: listeners, their SYN queue of request records,
 * the accept queue, and SYN cookies.
 *
 * A SYN to a listener (RFC 9293 3.10.7.2) does not create a connection: it
 * creates a small request record (Linux's request_sock) holding what the
 * handshake needs, answered with a SYN-ACK and retransmitted on its own timer
 * (net.ipv4.tcp_synack_retries). The final ACK turns the record into a full
 * connection, ESTABLISHED, queued for accept. Bounds, as Linux:
 *   - accept queue: a SYN or a final ACK is dropped while more than `backlog`
 *     connections wait (ListenOverflows; the peer retransmits);
 *   - SYN queue: at most max(backlog, 1) records and net.ipv4.tcp_max_syn_backlog;
 *     beyond that, SYN cookies (net.ipv4.tcp_syncookies=1; =2 always) or a drop.
 *
 * SYN cookies (as Linux's syncookies.c, with SipHash under the stack key):
 *   ISN = H1(4-tuple) + SEG.SEQ + (minutes << 24) + ((H2(4-tuple, minutes) + mssind) & 2^24-1)
 * where mssind indexes {536, 1300, 1440, 1460}; a cookie is valid for 2 minutes.
 * When the SYN carried timestamps, the low 6 bits of our TSval carry the options a
 * cookie cannot: the peer's window scale (4 bits, 15 = none) and SACK-permitted
 * (bit 4); the echoed TSecr of the final ACK gives them back. Without timestamps the
 * connection goes without window scaling and SACK. Cookie ACKs are checked only
 * within 2 minutes of an overflow (or with syncookies=2), as Linux.
 *
 * Read first: RFC 9293 3.10.7.2 and 3.10.7.4 (SYN-RECEIVED); RFC 4987 (SYN flooding,
 * 3.6 SYN cookies); RFC 7323 3.2 (timestamps in the handshake).
 */
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp_sock.h"

static const uint16_t cookie_msstab[] = { 536, 1300, 1440, 1460 };
enum { COOKIE_BITS = 24, COOKIE_MASK = (1u << COOKIE_BITS) - 1, TS_OPT_MASK = 0x3f,
       COOKIE_VALID_MS = 120000, SYNACK_TIMEOUT_MS = 1000 };

/* ---- listener table ---- */

static struct hlist_head *lbucket(struct us_stack *st, uint16_t port)
{
	return &st->tcp->lhash[port % TCP_LHASH_SIZE];
}

void tcp_lhash_add(struct tcp_sock *tp) { hlist_add_head(&tp->lhash_link, lbucket(tp->st, tp->lport)); }

void tcp_lhash_del(struct tcp_sock *tp) { hlist_del(&tp->lhash_link); }

struct tcp_sock *tcp_listener_lookup(struct us_stack *st, uint32_t laddr, uint16_t lport)
{
	struct tcp_sock *tp, *wild = NULL;

	hlist_for_each_entry(tp, lbucket(st, lport), lhash_link) {
		if (tp->lport != lport || tp->state != TCP_LISTEN)
			continue;
		if (tp->laddr == laddr)
			return tp;
		if (tp->laddr == 0)
			wild = tp;
	}
	return wild;
}

/* ---- request records ---- */

static struct hlist_head *req_bucket(struct us_stack *st, uint32_t laddr, uint16_t lport,
				     uint32_t raddr, uint16_t rport)
{
	return &st->tcp->req_hash[tcp_tuple_hash(st, laddr, lport, raddr, rport) % TCP_EHASH_SIZE];
}

struct tcp_req *tcp_req_lookup(struct us_stack *st, uint32_t laddr, uint16_t lport,
			       uint32_t raddr, uint16_t rport)
{
	struct tcp_req *req;

	if (!st->tcp->nreq)
		return NULL;
	hlist_for_each_entry(req, req_bucket(st, laddr, lport, raddr, rport), hash_link)
		if (req->lport == lport && req->rport == rport && req->laddr == laddr &&
		    req->raddr == raddr)
			return req;
	return NULL;
}

static void req_free(struct tcp_req *req)
{
	struct us_stack *st = req->lst->st;

	us_timer_cancel(&st->timers, &req->timer);
	hlist_del(&req->hash_link);
	list_del(&req->lst_link);
	req->lst->lst.synq_len--;
	st->tcp->nreq--;
	free(req);
}

/* Window scale we announce on a listener's connections (RFC 7323 2.2: it must be
 * fixed in the SYN-ACK, before any buffer exists). */
static uint8_t listen_rcv_wscale(const struct tcp_sock *lst)
{
	const struct us_stack *st = lst->st;
	uint32_t space = lst->rcvbuf;
	uint8_t ws = 0;

	if (!(lst->flags & TF_RCVBUF_LOCK) && st->cfg.tcp_moderate_rcvbuf &&
	    (uint32_t)st->cfg.tcp_rmem_max > space)
		space = (uint32_t)st->cfg.tcp_rmem_max;
	while (ws < TCP_MAX_WSCALE && ((uint64_t)65535 << ws) < space)
		ws++;
	return ws;
}

static uint16_t adv_mss_to(struct us_stack *st, uint32_t raddr, const struct tcp_sock *lst)
{
	uint32_t laddr = 0, mtu = 576;
	bool csum;
	uint32_t mss;

	if (tcp_route(st, raddr, &laddr, &mtu, &csum, NULL, NULL) < 0)
		mtu = 576;
	mss = mtu - 40;
	if (lst->user_mss && lst->user_mss < mss)
		mss = lst->user_mss;
	return (uint16_t)(mss > 65535 ? 65535 : mss);
}

static void send_synack(struct us_stack *st, const struct tcp_sock *lst, const struct tcp_req *req,
			uint32_t tsval)
{
	struct tcp_raw_seg s = {
		.saddr = req->laddr,
		.daddr = req->raddr,
		.sport = req->lport,
		.dport = req->rport,
		.seq = req->iss,
		.ack = req->irs + 1,
		.flags = TCP_SYN | TCP_ACK,
		.window = req->rcv_wnd,
		.tos = lst->tos,
		.ttl = lst->ttl,
	};

	s.opts.mss_present = true;
	s.opts.mss = adv_mss_to(st, req->raddr, lst);
	if (req->wscale_ok) {
		s.opts.wscale_present = true;
		s.opts.wscale = req->rcv_wscale;
	}
	s.opts.sack_perm = req->sack_ok;
	if (req->ts_ok) {
		s.opts.ts_present = true;
		s.opts.tsval = tsval;
		s.opts.tsecr = req->tsval_recent;
	}
	tcp_send_raw(st, &s);
}

static uint32_t req_tsval(struct us_stack *st, const struct tcp_req *req)
{
	return tcp_now_ts(st) + tcp_ts_offset(st, req->laddr, req->raddr);
}

static void req_timer(struct us_timer *t, uint64_t now_ms)
{
	struct tcp_req *req = container_of(t, struct tcp_req, timer);
	struct us_stack *st = req->lst->st;
	uint64_t delay;

	if (now_ms < req->deadline_ms) {
		us_timer_arm(&st->timers, &req->timer, tcp_wheel_when(now_ms, req->deadline_ms));
		return;
	}
	if (req->retries >= st->cfg.tcp_synack_retries) {
		req_free(req);
		return;
	}
	req->retries++;
	US_INC(st, TcpExtTCPSynRetrans);
	send_synack(st, req->lst, req, req_tsval(st, req));
	delay = (uint64_t)SYNACK_TIMEOUT_MS << req->retries;
	req->deadline_ms = now_ms + (delay > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : delay);
	us_timer_arm(&st->timers, &req->timer, tcp_wheel_when(now_ms, req->deadline_ms));
}

/* Fills @req from a SYN (our side's choices included). */
static void req_from_syn(struct tcp_req *req, const struct tcp_sock *lst, const struct tcp_seg *seg)
{
	struct us_stack *st = lst->st;
	const struct tcp_opts *o = &seg->th->opts;

	req->lst = (struct tcp_sock *)lst;
	req->laddr = seg->daddr;
	req->raddr = seg->saddr;
	req->lport = seg->th->dport;
	req->rport = seg->th->sport;
	req->irs = seg->seq;
	req->peer_mss = o->mss_present && o->mss ? o->mss : TCP_MSS_DEFAULT;
	req->wscale_ok = o->wscale_present && st->cfg.tcp_window_scaling;
	req->snd_wscale = req->wscale_ok ? (o->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o->wscale) : 0;
	req->rcv_wscale = req->wscale_ok ? listen_rcv_wscale(lst) : 0;
	req->sack_ok = o->sack_perm && st->cfg.tcp_sack;
	req->ts_ok = o->ts_present && st->cfg.tcp_timestamps;
	req->tsval_recent = o->tsval;
	req->rcv_wnd = (uint16_t)(lst->rcvbuf < 65535 ? lst->rcvbuf : 65535);
	req->tos = seg->tos;
}

/* ---- SYN cookies ---- */

static uint32_t cookie_hash(struct us_stack *st, const struct tcp_req *req, uint32_t count, uint32_t c)
{
	uint32_t w[5] = { req->laddr, req->raddr, ((uint32_t)req->lport << 16) | req->rport, count,
			  0x636f6f6b ^ c /* "cook" */ };

	return (uint32_t)us_siphash(&st->hash_key, w, sizeof(w));
}

static uint32_t cookie_make(struct us_stack *st, const struct tcp_req *req, uint32_t mssind)
{
	uint32_t count = (uint32_t)(st->now_ms / 60000);

	return cookie_hash(st, req, 0, 1) + req->irs + (count << COOKIE_BITS) +
	       ((cookie_hash(st, req, count, 2) + mssind) & COOKIE_MASK);
}

/* The MSS index the cookie encodes, or -1 when it is not ours or too old. */
static int cookie_check(struct us_stack *st, const struct tcp_req *req, uint32_t cookie)
{
	uint32_t count = (uint32_t)(st->now_ms / 60000), diff, data;

	cookie -= cookie_hash(st, req, 0, 1) + req->irs;
	diff = (count - (cookie >> COOKIE_BITS)) & (0xffffffffu >> COOKIE_BITS);
	if (diff >= TCP_SYNCOOKIE_AGE_MIN)
		return -1;
	data = (cookie - cookie_hash(st, req, count - diff, 2)) & COOKIE_MASK;
	return data < sizeof(cookie_msstab) / sizeof(cookie_msstab[0]) ? (int)data : -1;
}

static void send_cookie(struct tcp_sock *lst, const struct tcp_seg *seg)
{
	struct us_stack *st = lst->st;
	struct tcp_req req = { 0 };
	uint32_t mssind = 0, tsval = 0;

	req_from_syn(&req, lst, seg);
	for (uint32_t i = 0; i < sizeof(cookie_msstab) / sizeof(cookie_msstab[0]); i++)
		if (cookie_msstab[i] <= req.peer_mss)
			mssind = i;
	req.iss = cookie_make(st, &req, mssind);
	if (req.ts_ok) {
		/* Linux cookie_init_timestamp: options in the low 6 bits of TSval, kept at
		 * or below the real clock so TSval never runs ahead. */
		uint32_t now = req_tsval(st, &req);
		uint32_t opts = req.wscale_ok ? req.snd_wscale : 0xf;

		if (req.sack_ok)
			opts |= 1u << 4;
		tsval = (now & ~(uint32_t)TS_OPT_MASK) | opts;
		if (seq_gt(tsval, now))
			tsval -= TS_OPT_MASK + 1;
	} else {
		/* Without timestamps nothing else survives: no scaling, no SACK. */
		req.wscale_ok = false;
		req.sack_ok = false;
		req.rcv_wscale = 0;
	}
	send_synack(st, lst, &req, tsval);
	US_INC(st, TcpExtSyncookiesSent);
}

/* ---- children ---- */

static struct tcp_sock *create_child(struct tcp_sock *lst, const struct tcp_req *req,
				     const struct tcp_seg *seg)
{
	struct us_stack *st = lst->st;
	struct tcp_sock *tp = tcp_sock_alloc(st);
	uint32_t laddr = req->laddr, mtu = 576, route_mtu = 0;
	bool csum = false;

	if (!tp)
		return NULL;
	tp->laddr = req->laddr;
	tp->lport = req->lport;
	tp->raddr = req->raddr;
	tp->rport = req->rport;
	/* Settings are inherited from the listener (as Linux's sk_clone). */
	tp->flags |= (lst->flags & (TF_NODELAY | TF_KEEPALIVE | TF_RCVBUF_LOCK | TF_SNDBUF_LOCK |
				    TF_REUSEADDR | TF_QUICKACK)) | TF_PASSIVE;
	tp->sndbuf = lst->sndbuf;
	tp->rcvbuf = lst->rcvbuf;
	tp->keep_idle_s = lst->keep_idle_s;
	tp->keep_intvl_s = lst->keep_intvl_s;
	tp->keep_cnt = lst->keep_cnt;
	tp->user_timeout_ms = lst->user_timeout_ms;
	tp->user_mss = lst->user_mss;
	tp->linger_s = lst->linger_s;
	tp->ttl = lst->ttl;
	tp->tos = lst->tos;
	tp->cc.ops = lst->cc.ops;
	if (tcp_route(st, req->raddr, &laddr, &mtu, &csum, &tp->oif, &route_mtu) < 0) {
		mtu = 576;
		route_mtu = 0;
		csum = false;
	}
	tp->snd.pmtu = mtu;
	tp->snd.route_mtu = route_mtu;
	tp->dev_caps_tx_csum = csum;
	tp->rcv.adv_mss = adv_mss_to(st, req->raddr, lst);
	if (tcp_init_buffers(tp) < 0) {
		tcp_sock_free(tp);
		return NULL;
	}
	/* What the handshake settled (RFC 7323, RFC 2018). */
	tp->rcv.wscale = req->wscale_ok ? req->rcv_wscale : 0;
	tp->snd.wscale = req->wscale_ok ? req->snd_wscale : 0;
	if (req->wscale_ok)
		tp->flags |= TF_WSCALE_OK;
	if (req->sack_ok)
		tp->flags |= TF_SACK_OK;
	if (req->ts_ok) {
		tp->flags |= TF_TS_OK;
		tp->ts_recent = seg->th->opts.ts_present ? seg->th->opts.tsval : req->tsval_recent;
		tp->ts_recent_ms = st->now_ms;
	}
	tp->ts_off = tcp_ts_offset(st, tp->laddr, tp->raddr);
	tp->snd.peer_mss = req->peer_mss;
	tp->snd.iss = req->iss;
	tp->snd.una = tp->snd.nxt = tp->snd.buf_seq = req->iss + 1;
	tp->neigh_confirm = true; /* the final ACK acknowledged our SYN-ACK */
	tp->snd.last_ack_sent = req->irs + 1;
	tp->rcv.irs = req->irs;
	tp->rcv.nxt = tp->rcv.wup = req->irs + 1;
	tp->rcv.adv = tp->rcv.nxt + req->rcv_wnd;
	tp->snd.wnd = (uint32_t)seg->th->window << tp->snd.wscale;
	tp->snd.wl1 = seg->seq;
	tp->snd.wl2 = seg->ack;
	tp->snd.max_wnd = tp->snd.wnd;
	if (req->sent_us && !req->retries) {
		tcp_rtt_sample(tp, (uint32_t)(tcp_now_us(st) - req->sent_us));
	} else if (req->ts_ok && seg->th->opts.ts_present && seg->th->opts.tsecr) {
		/* A cookie keeps no send time and a retransmitted SYN-ACK's is ambiguous
		 * (Karn), but the final ACK's TSecr dates our SYN-ACK (RFC 7323 4.1, as
		 * Linux's tcp_synack_rtt_meas falls back to it). A cookie's TSval was
		 * rounded down to carry the options, so this may be up to 63 ms long. */
		uint32_t ms = tcp_now_ts(st) + tp->ts_off - seg->th->opts.tsecr;

		if (ms <= 60000)
			tcp_rtt_sample(tp, ms ? ms * 1000u : 500u);
	}
	tcp_bind_child(tp);
	tcp_ehash_add(tp);
	US_INC(st, TcpPassiveOpens);
	tcp_established(tp);
	tp->parent = lst;
	list_add_tail(&tp->accept_link, &lst->lst.acceptq);
	lst->lst.acceptq_len++;
	tcp_wake(lst);
	return tp;
}

static bool acceptq_full(const struct tcp_sock *lst)
{
	/* Linux sk_acceptq_is_full: more than backlog waiting. */
	return lst->lst.acceptq_len > lst->lst.backlog;
}

/* A bare ACK to a listener: a SYN cookie's final ACK? Returns true when consumed. */
static bool cookie_ack(struct tcp_sock *lst, struct tcp_seg *seg)
{
	struct us_stack *st = lst->st;
	const struct tcp_opts *o = &seg->th->opts;
	struct tcp_req req = { 0 };
	struct tcp_sock *child;
	int mssind;

	if (!st->cfg.tcp_syncookies)
		return false;
	if (st->cfg.tcp_syncookies != 2 &&
	    (!lst->lst.last_overflow_ms || st->now_ms - lst->lst.last_overflow_ms > COOKIE_VALID_MS))
		return false;
	if ((seg->flags & (TCP_SYN | TCP_RST | TCP_FIN | TCP_ACK)) != TCP_ACK)
		return false;
	req.lst = lst;
	req.laddr = seg->daddr;
	req.raddr = seg->saddr;
	req.lport = seg->th->dport;
	req.rport = seg->th->sport;
	req.irs = seg->seq - 1;
	req.iss = seg->ack - 1;
	mssind = cookie_check(st, &req, req.iss);
	if (mssind < 0) {
		US_INC(st, TcpExtSyncookiesFailed);
		tcp_rst_reply(st, seg);
		us_drop(st, seg->p, US_DROP_TCP_SYN_COOKIE_BAD);
		return true;
	}
	req.peer_mss = cookie_msstab[mssind];
	req.rcv_wnd = (uint16_t)(lst->rcvbuf < 65535 ? lst->rcvbuf : 65535);
	if (o->ts_present && o->tsecr && st->cfg.tcp_timestamps) {
		uint32_t opts = o->tsecr & TS_OPT_MASK;

		req.ts_ok = true;
		req.tsval_recent = o->tsval;
		req.sack_ok = (opts & (1u << 4)) && st->cfg.tcp_sack;
		if ((opts & 0xf) != 0xf && st->cfg.tcp_window_scaling) {
			req.wscale_ok = true;
			req.snd_wscale = (uint8_t)(opts & 0xf) > TCP_MAX_WSCALE ? TCP_MAX_WSCALE
										 : (uint8_t)(opts & 0xf);
			req.rcv_wscale = listen_rcv_wscale(lst);
		}
	}
	if (acceptq_full(lst)) {
		US_INC(st, TcpExtListenOverflows);
		US_INC(st, TcpExtListenDrops);
		us_drop(st, seg->p, US_DROP_TCP_LISTEN_OVERFLOW);
		return true;
	}
	US_INC(st, TcpExtSyncookiesRecv);
	child = create_child(lst, &req, seg);
	if (!child) {
		US_INC(st, TcpExtListenDrops);
		us_drop(st, seg->p, US_DROP_NOMEM);
		return true;
	}
	tcp_rcv_state(child, seg);
	return true;
}

/* ---- RFC 9293 3.10.7.2: LISTEN ---- */

void tcp_listen_input(struct tcp_sock *lst, struct tcp_seg *seg)
{
	struct us_stack *st = lst->st;
	uint32_t synq_max;
	struct tcp_req *req;
	bool full;

	/* First: check for an RST: ignore it. */
	if (seg->flags & TCP_RST) {
		us_drop(st, seg->p, US_DROP_TCP_LISTEN_BAD);
		return;
	}
	/* Second: check for an ACK: "any acknowledgment is bad": <SEQ=SEG.ACK><CTL=RST>
	 * (unless it is the final ACK of a SYN cookie handshake). */
	if (seg->flags & TCP_ACK) {
		if (cookie_ack(lst, seg))
			return;
		tcp_rst_reply(st, seg);
		us_drop(st, seg->p, US_DROP_TCP_LISTEN_BAD);
		return;
	}
	/* Third: check for a SYN. */
	if (!(seg->flags & TCP_SYN)) {
		/* Fourth: other text or control: drop. */
		us_drop(st, seg->p, US_DROP_TCP_LISTEN_BAD);
		return;
	}
	if (acceptq_full(lst)) {
		US_INC(st, TcpExtListenOverflows);
		US_INC(st, TcpExtListenDrops);
		us_drop(st, seg->p, US_DROP_TCP_LISTEN_OVERFLOW);
		return;
	}
	synq_max = lst->lst.backlog ? lst->lst.backlog : 1;
	if (synq_max > (uint32_t)st->cfg.tcp_max_syn_backlog)
		synq_max = (uint32_t)st->cfg.tcp_max_syn_backlog;
	full = lst->lst.synq_len >= synq_max;
	if (st->cfg.tcp_syncookies == 2 || (full && st->cfg.tcp_syncookies)) {
		if (full) {
			US_INC(st, TcpExtTCPReqQFullDoCookies);
			lst->lst.last_overflow_ms = st->now_ms ? st->now_ms : 1;
		}
		send_cookie(lst, seg);
		us_pkt_free(seg->p);
		return;
	}
	if (full) {
		US_INC(st, TcpExtTCPReqQFullDrop);
		US_INC(st, TcpExtListenDrops);
		us_drop(st, seg->p, US_DROP_TCP_SYN_QUEUE_FULL);
		return;
	}
	req = calloc(1, sizeof(*req));
	if (!req) {
		US_INC(st, TcpExtListenDrops);
		us_drop(st, seg->p, US_DROP_NOMEM);
		return;
	}
	req_from_syn(req, lst, seg);
	/* RFC 6191: a SYN that reopened a TIME_WAIT 4-tuple gets an ISN above the old
	 * incarnation's sequence space (Linux: old SND.NXT + 65535 + 2). */
	if (st->tcp->tw_isn_set)
		req->iss = st->tcp->tw_isn;
	else
		req->iss = tcp_isn(st, req->laddr, req->lport, req->raddr, req->rport);
	req->sent_us = tcp_now_us(st);
	hlist_add_head(&req->hash_link, req_bucket(st, req->laddr, req->lport, req->raddr, req->rport));
	list_add_tail(&req->lst_link, &lst->lst.synq);
	lst->lst.synq_len++;
	st->tcp->nreq++;
	us_timer_init(&req->timer, req_timer);
	req->deadline_ms = st->now_ms + SYNACK_TIMEOUT_MS;
	us_timer_arm(&st->timers, &req->timer, tcp_wheel_when(st->now_ms, req->deadline_ms));
	send_synack(st, lst, req, req_tsval(st, req));
	us_pkt_free(seg->p);
}

/* ---- RFC 9293 3.10.7.4 for a request record (SYN-RECEIVED, passive) ---- */

void tcp_req_input(struct tcp_req *req, struct tcp_seg *seg)
{
	struct tcp_sock *lst = req->lst, *child;
	struct us_stack *st = lst->st;
	uint8_t fl = seg->flags;

	/* A retransmitted SYN: our SYN-ACK was lost; send it again. */
	if ((fl & (TCP_SYN | TCP_RST | TCP_ACK)) == TCP_SYN && seg->seq == req->irs) {
		send_synack(st, lst, req, req_tsval(st, req));
		us_pkt_free(seg->p);
		return;
	}
	/* First: the sequence number (RCV.NXT = IRS+1, window as offered). */
	if (!(seq_ge(seg->seq, req->irs + 1) && seq_le(seg->seq, req->irs + 1 + req->rcv_wnd))) {
		if (!(fl & TCP_RST))
			send_synack(st, lst, req, req_tsval(st, req));
		us_drop(st, seg->p, US_DROP_TCP_REQ_BAD);
		return;
	}
	/* Second: RST; fourth: SYN. For a passive open both return to LISTEN: the
	 * record goes, silently. */
	if (fl & (TCP_RST | TCP_SYN)) {
		if (fl & TCP_RST)
			US_INC(st, TcpExtEmbryonicRsts);
		US_INC(st, TcpAttemptFails);
		req_free(req);
		us_drop(st, seg->p, US_DROP_TCP_REQ_BAD);
		return;
	}
	/* Fifth: the ACK must acknowledge our SYN, else <SEQ=SEG.ACK><CTL=RST>. */
	if (!(fl & TCP_ACK)) {
		us_drop(st, seg->p, US_DROP_TCP_NO_ACK);
		return;
	}
	if (seg->ack != req->iss + 1) {
		tcp_rst_reply(st, seg);
		us_drop(st, seg->p, US_DROP_TCP_REQ_BAD);
		return;
	}
	if (acceptq_full(lst)) {
		/* Linux: drop the ACK and let the SYN-ACK timer try again later
		 * (net.ipv4.tcp_abort_on_overflow=1: reset instead). */
		US_INC(st, TcpExtListenOverflows);
		US_INC(st, TcpExtListenDrops);
		if (st->cfg.tcp_abort_on_overflow) {
			tcp_rst_reply(st, seg);
			req_free(req);
		}
		us_drop(st, seg->p, US_DROP_TCP_LISTEN_OVERFLOW);
		return;
	}
	child = create_child(lst, req, seg);
	if (!child) {
		US_INC(st, TcpExtListenDrops);
		us_drop(st, seg->p, US_DROP_NOMEM);
		return;
	}
	req_free(req);
	/* The rest of the segment (data, FIN) is the new connection's. */
	tcp_rcv_state(child, seg);
}

void tcp_listen_stop(struct tcp_sock *lst)
{
	struct tcp_req *req, *rtmp;
	struct tcp_sock *c, *ctmp;

	list_for_each_entry_safe(req, rtmp, &lst->lst.synq, lst_link)
		req_free(req);
	/* Connections nobody accepted are reset (Linux inet_csk_listen_stop). */
	list_for_each_entry_safe(c, ctmp, &lst->lst.acceptq, accept_link) {
		list_del(&c->accept_link);
		c->parent = NULL;
		c->flags |= TF_ORPHAN;
		if (c->state == TCP_CLOSED)
			tcp_sock_free(c);
		else
			tcp_abort(c, 0, true);
	}
	lst->lst.acceptq_len = 0;
	tcp_lhash_del(lst);
}
