/*
 * tcp_conn.c - where connections live and how they are named: the 4-tuple
 * table, the local port table (bind, RFC 6056 ephemeral ports), initial
 * sequence numbers (RFC 6528) and timestamp offsets, the route a connection
 * takes, and the life cycle of a TCB (allocate, change state, reach CLOSED,
 * free).
 *
 * Entry: tcp.c (API), tcp_input.c (demux), tcp_listen.c (children).
 * Never transmits except through tcp_send_rst on an abort.
 *
 * Read first: RFC 9293 3.3.2 (states), 3.4.1 (ISN selection); RFC 6528 (ISN
 * = M + F(4-tuple, secret), M a 4 us timer); RFC 6056 3.3.4 (Algorithm 4:
 * double-hash port selection); RFC 7323 5.4 (timestamp offsets).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ip/fib.h"
#include "ip/ifaddr.h"
#include "ip/pmtu.h"
#include "tcp/tcp_sock.h"

/* Domain separators, so the hashes below never coincide with one another or with
 * other users of the stack key. */
enum {
	H_TUPLE = 0x74757031,   /* "tup1" */
	H_ISN = 0x69736e31,     /* "isn1" */
	H_PORT_F = 0x706f7246,  /* "porF" */
	H_PORT_G = 0x706f7247,  /* "porG" */
	H_TS = 0x74736f66,      /* "tsof" */
};

uint32_t tcp_tuple_hash(struct us_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			uint16_t rport)
{
	return (uint32_t)us_siphash_3u32(&st->hash_key, laddr ^ H_TUPLE, raddr,
					 ((uint32_t)lport << 16) | rport);
}

static struct hlist_head *ehash_bucket(struct us_stack *st, uint32_t laddr, uint16_t lport,
				       uint32_t raddr, uint16_t rport)
{
	return &st->tcp->ehash[tcp_tuple_hash(st, laddr, lport, raddr, rport) % TCP_EHASH_SIZE];
}

void tcp_ehash_add(struct tcp_sock *tp)
{
	if (hlist_unhashed(&tp->hash_link))
		hlist_add_head(&tp->hash_link,
			       ehash_bucket(tp->st, tp->laddr, tp->lport, tp->raddr, tp->rport));
}

void tcp_ehash_del(struct tcp_sock *tp) { hlist_del(&tp->hash_link); }

struct tcp_sock *tcp_ehash_lookup(struct us_stack *st, uint32_t laddr, uint16_t lport,
				  uint32_t raddr, uint16_t rport)
{
	struct tcp_sock *tp;

	hlist_for_each_entry(tp, ehash_bucket(st, laddr, lport, raddr, rport), hash_link)
		if (tp->lport == lport && tp->rport == rport && tp->laddr == laddr &&
		    tp->raddr == raddr)
			return tp;
	return NULL;
}

/* ---- initial sequence numbers and timestamp offsets ---- */

uint32_t tcp_isn(struct us_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
		 uint16_t rport)
{
	/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
	 * M a timer ticking every 4 microseconds, F a keyed hash (SipHash with the
	 * stack's random key, which is never exposed). */
	uint32_t m = (uint32_t)(st->now_ns / 4000);
	uint32_t f = (uint32_t)us_siphash_3u32(&st->hash_key, laddr ^ H_ISN, raddr,
					       ((uint32_t)lport << 16) | rport);

	return m + f;
}

uint32_t tcp_ts_offset(struct us_stack *st, uint32_t laddr, uint32_t raddr)
{
	/* RFC 7323 5.4 recommends a random offset per connection; as Linux
	 * (secure_tcp_ts_off) we key it on the address pair only, so TSval is monotonic
	 * across incarnations of a 4-tuple and TIME_WAIT reuse by timestamps is safe. */
	return (uint32_t)us_siphash_3u32(&st->hash_key, laddr ^ H_TS, raddr, 0);
}

/* ---- the local port table ---- */

static struct hlist_head *bhash_bucket(struct us_stack *st, uint16_t port)
{
	return &st->tcp->bhash[port % TCP_BHASH_SIZE];
}

static bool addr_overlap(uint32_t a, uint32_t b) { return a == 0 || b == 0 || a == b; }

/* Would binding @tp to @addr:@port conflict with anything (Linux inet_csk_bind_conflict)?
 * Two sockets may share a port on overlapping addresses only when both set
 * SO_REUSEADDR and neither listens; a TIME_WAIT record on it is passed over only with
 * SO_REUSEADDR. */
static bool bind_conflict(struct us_stack *st, const struct tcp_sock *tp, uint32_t addr,
			  uint16_t port)
{
	const struct tcp_sock *o;
	const struct tcp_tw *tw;

	hlist_for_each_entry(o, bhash_bucket(st, port), bind_link) {
		if (o == tp || o->lport != port || !addr_overlap(o->laddr, addr))
			continue;
		if ((tp->flags & TF_REUSEADDR) && (o->flags & TF_REUSEADDR) &&
		    o->state != TCP_LISTEN)
			continue;
		return true;
	}
	hlist_for_each_entry(tw, &st->tcp->tw_bhash[port % TCP_BHASH_SIZE], bind_link) {
		if (tw->lport == port && addr_overlap(tw->laddr, addr) &&
		    !(tp->flags & TF_REUSEADDR))
			return true;
	}
	return false;
}

static void bind_insert(struct tcp_sock *tp, uint32_t addr, uint16_t port)
{
	tp->laddr = addr;
	tp->lport = port;
	hlist_add_head(&tp->bind_link, bhash_bucket(tp->st, port));
}

int tcp_bind_port(struct tcp_sock *tp, uint32_t addr, uint16_t port)
{
	struct us_stack *st = tp->st;
	unsigned lo = (unsigned)st->cfg.ip_local_port_min, hi = (unsigned)st->cfg.ip_local_port_max;
	unsigned n, start;

	if (port) {
		if (bind_conflict(st, tp, addr, port))
			return -EADDRINUSE;
		bind_insert(tp, addr, port);
		return 0;
	}
	/* bind(port 0): RFC 6056 3.3.1 (Algorithm 1): a random start, then each port of
	 * the range in turn; the port must be free of every other user. */
	if (hi < lo)
		return -EADDRINUSE;
	n = hi - lo + 1;
	start = us_stack_rand(st) % n;
	for (unsigned i = 0; i < n; i++) {
		uint16_t p = (uint16_t)(lo + (start + i) % n);
		const struct tcp_sock *o;
		bool used = false;

		hlist_for_each_entry(o, bhash_bucket(st, p), bind_link)
			if (o->lport == p)
				used = true;
		if (!used && !bind_conflict(st, tp, addr, p)) {
			bind_insert(tp, addr, p);
			return 0;
		}
	}
	return -EADDRINUSE;
}

void tcp_bind_child(struct tcp_sock *child)
{
	hlist_add_head(&child->bind_link, bhash_bucket(child->st, child->lport));
}

void tcp_unbind(struct tcp_sock *tp)
{
	hlist_del(&tp->bind_link);
	tp->flags &= ~(uint32_t)TF_AUTOBOUND;
}

/* Can an active open use @port for tp's 4-tuple? Ports taken with bind() are not
 * shared; ports autobound by other connects are, when the 4-tuple differs (Linux
 * __inet_hash_connect / __inet_check_established). */
static bool connect_port_ok(struct tcp_sock *tp, uint16_t port)
{
	struct us_stack *st = tp->st;
	const struct tcp_sock *o;
	struct tcp_tw *tw;

	hlist_for_each_entry(o, bhash_bucket(st, port), bind_link)
		if (o->lport == port && !(o->flags & TF_AUTOBOUND))
			return false;
	if (tcp_ehash_lookup(st, tp->laddr, port, tp->raddr, tp->rport))
		return false;
	tw = tcp_tw_lookup(st, tp->laddr, port, tp->raddr, tp->rport);
	if (tw && !tcp_tw_reuse(st, tw, tp))
		return false;
	return true;
}

int tcp_connect_port(struct tcp_sock *tp)
{
	struct us_stack *st = tp->st;
	unsigned lo = (unsigned)st->cfg.ip_local_port_min, hi = (unsigned)st->cfg.ip_local_port_max;
	uint32_t offset, idx, n;

	if (tp->lport) {
		/* Bound by the application: only the 4-tuple must be unique. */
		struct tcp_tw *tw;

		if (tcp_ehash_lookup(st, tp->laddr, tp->lport, tp->raddr, tp->rport))
			return -EADDRNOTAVAIL;
		tw = tcp_tw_lookup(st, tp->laddr, tp->lport, tp->raddr, tp->rport);
		if (tw && !tcp_tw_reuse(st, tw, tp))
			return -EADDRNOTAVAIL;
		return 0;
	}
	if (hi < lo)
		return -EADDRNOTAVAIL;
	n = hi - lo + 1;
	/*
	 * RFC 6056 3.3.4, Algorithm 4 (double-hash port selection, as Linux):
	 *   offset = F(local_IP, remote_IP, remote_port, secret_key1)
	 *   index  = G(local_IP, remote_IP, remote_port, secret_key2)
	 *   port   = min + (offset + table[index]) % num_ephemeral; table[index]++
	 * Successive connections to one destination walk the range sequentially (no
	 * early reuse of a 4-tuple), while the ports seen by different destinations
	 * are unrelated.
	 */
	offset = (uint32_t)us_siphash_3u32(&st->hash_key, tp->laddr ^ H_PORT_F, tp->raddr, tp->rport);
	idx = (uint32_t)us_siphash_3u32(&st->hash_key, tp->laddr ^ H_PORT_G, tp->raddr, tp->rport) %
	      TCP_EPHEMERAL_TABLE;
	for (uint32_t i = 0; i < n; i++) {
		uint16_t port = (uint16_t)(lo + (offset + st->tcp->ephemeral[idx]) % n);

		st->tcp->ephemeral[idx]++;
		if (connect_port_ok(tp, port)) {
			bind_insert(tp, tp->laddr, port);
			tp->flags |= TF_AUTOBOUND;
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}

/* ---- routing ---- */

int tcp_route(struct us_stack *st, uint32_t raddr, uint32_t *laddr, uint32_t *mtu, bool *tx_csum,
	      int *oif, uint32_t *route_mtu)
{
	struct us_netdev *dev;
	struct us_route rt;
	uint32_t src;

	if (fib_lookup(st, raddr, &rt)) {
		US_INC(st, IpOutNoRoutes);
		return -ENETUNREACH;
	}
	switch (rt.type) {
	case US_RTN_LOCAL:
		dev = st->loopback;     /* local traffic goes through lo, as ip_output routes it */
		src = rt.prefsrc ? rt.prefsrc : raddr;
		break;
	case US_RTN_UNICAST:
		dev = us_netdev_by_index(st, rt.ifindex);
		src = rt.prefsrc ? rt.prefsrc : dev ? ifaddr_select_src(st, dev, raddr) : 0;
		break;
	case US_RTN_UNREACHABLE:
		return -EHOSTUNREACH;
	case US_RTN_PROHIBIT:
	case US_RTN_BROADCAST:
		return -EACCES;
	default:
		return -EINVAL;
	}
	if (!dev)
		return -ENETUNREACH;
	if (!src)
		return -EADDRNOTAVAIL;
	if (*laddr == 0)
		*laddr = src;
	*mtu = rt.mtu && rt.mtu < dev->mtu ? rt.mtu : dev->mtu;
	if (*mtu > 65535)
		*mtu = 65535;
	if (route_mtu)
		*route_mtu = rt.type == US_RTN_UNICAST ? *mtu : 0;
	/* RFC 1191: what the path taught us about @raddr (ip/pmtu.h), as Linux's dst_mtu. */
	if (rt.type == US_RTN_UNICAST) {
		uint32_t path = pmtu_get(st, raddr, NULL);

		if (path && path < *mtu)
			*mtu = path;
	}
	if (*mtu > 65535)
		*mtu = 65535;
	*tx_csum = dev->link == US_LINK_LOOPBACK || (dev->caps & US_DEV_CAP_TX_CSUM);
	if (oif)
		*oif = dev->ifindex;
	return 0;
}

/* ---- the TCB's life ---- */

struct tcp_sock *tcp_sock_alloc(struct us_stack *st)
{
	struct tcp_sock *tp = calloc(1, sizeof(*tp));

	if (!tp)
		return NULL;
	tp->st = st;
	tp->state = TCP_CLOSED;
	hlist_node_init(&tp->hash_link);
	hlist_node_init(&tp->bind_link);
	hlist_node_init(&tp->lhash_link);
	list_init(&tp->pending_link);
	list_init(&tp->accept_link);
	list_init(&tp->lst.synq);
	list_init(&tp->lst.acceptq);
	us_ring_init(&tp->sndq, 0);
	us_ring_init(&tp->rcvq, 0);
	us_intervals_init(&tp->ooo);
	us_intervals_init(&tp->sacked);
	tcp_timer_init(tp);
	tcp_rtt_init(tp);
	tp->sndbuf = (uint32_t)st->cfg.tcp_wmem_default;
	tp->rcvbuf = (uint32_t)st->cfg.tcp_rmem_default;
	tp->linger_s = -1;
	tp->reordering = (uint32_t)st->cfg.tcp_reordering;
	tp->rack.reo_wnd_mult = 1;
	tp->snd.peer_mss = TCP_MSS_DEFAULT;
	tp->snd.mss = TCP_MSS_DEFAULT;
	tp->cc.ops = st->tcp->default_cc;
	tp->cc.ssthresh = UINT32_MAX;
	list_add_tail(&tp->all_link, &st->tcp->socks);
	st->tcp->nsocks++;
	return tp;
}

void tcp_sock_free(struct tcp_sock *tp)
{
	struct us_stack *st = tp->st;

	tcp_timer_stop_all(tp);
	list_del(&tp->pending_link);
	list_del(&tp->accept_link);
	tcp_ehash_del(tp);
	tcp_lhash_del(tp);
	tcp_unbind(tp);
	if (tp->cc.ops && tp->cc.ops->release)
		tp->cc.ops->release(&tp->cc);
	us_ring_free(&tp->sndq);
	us_ring_free(&tp->rcvq);
	free(tp->txr);
	list_del(&tp->all_link);
	st->tcp->nsocks--;
	free(tp);
}

static bool state_counts_estab(enum tcp_state s)
{
	return s == TCP_ESTABLISHED || s == TCP_CLOSE_WAIT;
}

void tcp_set_state(struct tcp_sock *tp, enum tcp_state s)
{
	struct us_stack *st = tp->st;
	enum tcp_state old = tp->state;

	if (old == s)
		return;
	/* TCP-MIB (RFC 4022): tcpCurrEstab counts ESTABLISHED and CLOSE-WAIT;
	 * tcpEstabResets counts direct transitions from those states to CLOSED. */
	if (state_counts_estab(s) && !state_counts_estab(old))
		US_INC(st, TcpCurrEstab);
	if (!state_counts_estab(s) && state_counts_estab(old))
		st->counters.stat[US_STAT_TcpCurrEstab]--;
	if (s == TCP_CLOSED && state_counts_estab(old))
		US_INC(st, TcpEstabResets);
	if (s == TCP_CLOSED && (old == TCP_SYN_SENT || old == TCP_SYN_RECEIVED))
		US_INC(st, TcpAttemptFails);
	if (s == TCP_ESTABLISHED)
		tp->flags |= TF_WAS_ESTAB;
	tp->state = s;
	tcp_wake(tp);
}

bool tcp_done(struct tcp_sock *tp)
{
	tcp_set_state(tp, TCP_CLOSED);
	tp->flags |= TF_DONE;
	tcp_ehash_del(tp);
	tcp_lhash_del(tp);
	tcp_timer_stop_all(tp);
	list_del(&tp->pending_link);
	tcp_txr_clear(tp);
	if (tp->flags & TF_AUTOBOUND)
		tcp_unbind(tp);
	if (tp->flags & TF_ORPHAN) {
		tcp_sock_free(tp);
		return true;
	}
	tcp_wake(tp);
	return false;
}

void tcp_disconnect(struct tcp_sock *tp)
{
	const uint32_t keep = TF_NODELAY | TF_CORK | TF_KEEPALIVE | TF_RCVBUF_LOCK | TF_SNDBUF_LOCK |
			      TF_REUSEADDR | TF_QUICKACK;

	/* Linux's tcp_disconnect: the socket becomes a fresh CLOSED one that may connect
	 * or listen again. What the application chose stays (bound address and port,
	 * options, buffer sizes, the congestion module); everything the last connection
	 * learnt goes. An autobound port was already released by tcp_done. */
	if (!(tp->flags & TF_DONE))
		tcp_done(tp);
	tp->flags &= keep;
	if (hlist_unhashed(&tp->bind_link)) {
		tp->laddr = 0;
		tp->lport = 0;
	}
	tp->raddr = 0;
	tp->rport = 0;
	memset(&tp->snd, 0, sizeof(tp->snd));
	memset(&tp->rcv, 0, sizeof(tp->rcv));
	tp->snd.peer_mss = TCP_MSS_DEFAULT;
	tp->snd.mss = TCP_MSS_DEFAULT;
	us_ring_read(&tp->sndq, NULL, tp->sndq.len);
	us_ring_read(&tp->rcvq, NULL, tp->rcvq.len);
	us_intervals_init(&tp->ooo);
	tp->sack_recent_n = 0;
	tp->dsack_pending = false;
	tp->ts_off = tp->ts_recent = 0;
	tp->ts_recent_ms = 0;
	tcp_txr_clear(tp);
	tp->dupacks = 0;
	tp->high_seq = 0;
	tp->rescue_set = false;
	tp->prr_delivered = tp->prr_out = tp->prr_recover_fs = 0;
	tp->reordering = (uint32_t)tp->st->cfg.tcp_reordering;
	memset(&tp->rack, 0, sizeof(tp->rack));
	tp->rack.reo_wnd_mult = 1;
	tp->tlp_high_seq = 0;
	tp->tlp_is_retrans = false;
	memset(&tp->undo, 0, sizeof(tp->undo));
	tcp_rtt_init(tp);
	tp->min_rtt_stamp_ms = 0;
	tp->retries = tp->probes = 0;
	tp->first_rexmit_ms = tp->syn_xmit_us = 0;
	memset(&tp->frto, 0, sizeof(tp->frto));
	tp->last_recv_ms = tp->last_send_ms = tp->last_oow_ack_ms = 0;
	tp->total_retrans = 0;
	tp->rcv_rtt_us = tp->rcvq_space = tp->rcvq_copied = 0;
	tp->rcvq_time_us = 0;
	tp->cc.cwnd = 0;
	tp->cc.ssthresh = UINT32_MAX;
	tp->cc.ca_state = TCP_CA_OPEN;
	memset(tp->cc.priv, 0, sizeof(tp->cc.priv));
	tp->delivered = tp->delivered_us = 0;
	tp->bytes_acked = tp->bytes_received = 0;
	tp->segs_in = tp->segs_out = 0;
	tp->app_limited_until = 0;
	tp->err = tp->err_soft = 0;
	tp->connect_reported = false;
	tp->iss_from_tw = false;
	tp->uncork = false;
}

bool tcp_abort(struct tcp_sock *tp, int err, bool send_rst)
{
	if (send_rst && tp->state >= TCP_SYN_RECEIVED)
		tcp_send_rst(tp);
	if (err)
		tp->err = err;
	/* The send queue is gone; what was received stays readable (as Linux). */
	tp->sndq.len = 0;
	tp->flags |= TF_SND_SHUT;
	return tcp_done(tp);
}

void tcp_wake(struct tcp_sock *tp)
{
	tp->flags |= TF_WAKE;
	if (tp->wakeup && !(tp->flags & TF_ORPHAN))
		tcp_mark_pending(tp);
}

int tcp_init_buffers(struct tcp_sock *tp)
{
	struct us_stack *st = tp->st;
	uint32_t space = tp->rcvbuf;
	uint8_t ws = 0;
	int err;

	/* RFC 7323 2.2 / Linux tcp_select_initial_window: the scale must let the largest
	 * buffer we may grow to be offered; an application-set SO_RCVBUF fixes it. */
	if (!(tp->flags & TF_RCVBUF_LOCK) && st->cfg.tcp_moderate_rcvbuf &&
	    (uint32_t)st->cfg.tcp_rmem_max > space)
		space = (uint32_t)st->cfg.tcp_rmem_max;
	if (st->cfg.tcp_window_scaling)
		while (ws < TCP_MAX_WSCALE && ((uint64_t)65535 << ws) < space)
			ws++;
	tp->rcv.wscale = ws;
	/* One window unit of slack: an advertised right edge is rounded up to the scale's
	 * granularity, and what we offer must fit. */
	err = us_ring_resize(&tp->rcvq, tp->rcvbuf + (1u << ws));
	if (!err)
		err = us_ring_resize(&tp->sndq, tp->sndbuf);
	return err;
}

void tcp_established(struct tcp_sock *tp)
{
	struct us_stack *st = tp->st;

	tcp_set_state(tp, TCP_ESTABLISHED);
	/* A close queued in SYN-RECEIVED (RFC 9293 3.10.4) takes effect now. */
	if (tp->flags & TF_FIN_QUEUED)
		tcp_set_state(tp, TCP_FIN_WAIT_1);
	tcp_sync_mss(tp);
	/* RFC 6928: IW = 10 segments (Linux TCP_INIT_CWND); ssthresh "arbitrarily high"
	 * (RFC 5681 3.1). */
	tp->cc.mss = tp->snd.mss;
	tp->cc.cwnd = TCP_INIT_CWND_SEGS * tp->snd.mss;
	tp->cc.ssthresh = UINT32_MAX;
	tp->cc.ca_state = TCP_CA_OPEN;
	memset(tp->cc.priv, 0, sizeof(tp->cc.priv));
	if (!tp->cc.ops)
		tp->cc.ops = st->tcp->default_cc;
	tcp_cc_prepare(tp);
	if (tp->cc.ops && tp->cc.ops->init)
		tp->cc.ops->init(&tp->cc);
	tp->rcv.quick = TCP_MAX_QUICKACKS;
	/* Linux tcp_initialize_rcv_mss: the "full segment" of the delayed-ACK rule starts
	 * at min(advertised MSS, 536) and follows the largest segment received. */
	tp->rcv.mss = tp->rcv.adv_mss < TCP_MSS_DEFAULT ? tp->rcv.adv_mss : TCP_MSS_DEFAULT;
	tp->last_recv_ms = st->now_ms;
	tp->rcvq_time_us = tcp_now_us(st);
	tp->rcvq_space = tp->rcv.adv_mss * 10;
	tcp_keepalive_reset(tp);
	tcp_wake(tp);
}
