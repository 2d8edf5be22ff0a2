/*
 * tcp_opt.c - socket options of a TCP connection (SOL_SOCKET, IPPROTO_TCP,
 * IPPROTO_IP, with Linux's semantics and numbers), TCP_INFO, and the
 * introspection behind `ustack ss` (tcp_sock_info, tcp_dump).
 *
 * Entry: tcp_setsockopt/tcp_getsockopt/tcp_sock_info/tcp_dump from the socket layer
 * and the control plane. Options that change what may be sent (TCP_NODELAY off to
 * on, TCP_CORK off) mark the connection pending; nothing here transmits.
 *
 * Read first: Linux's tcp(7) and socket(7) for the semantics copied here; RFC 1122
 * 4.2.3.6 (keepalive parameters), RFC 5482 (TCP_USER_TIMEOUT).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "tcp/tcp_sock.h"

enum { TCP_MIN_SOCKBUF = 1024 };

/*
 * Option numbers and struct tcp_info with Linux's values and layout (include/uapi/
 * linux/tcp.h; glibc's <netinet/tcp.h> has the same 104-byte prefix). That header
 * cannot be included here: its TCP_ESTABLISHED... and TCPOPT_* clash with ours.
 */
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_CORK 3
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define TCP_INFO 11
#define TCP_QUICKACK 12
#define TCP_CONGESTION 13
#define TCP_USER_TIMEOUT 18
#define TCPI_OPT_TIMESTAMPS 1
#define TCPI_OPT_SACK 2
#define TCPI_OPT_WSCALE 4

struct tcp_info {
	uint8_t tcpi_state, tcpi_ca_state, tcpi_retransmits, tcpi_probes, tcpi_backoff;
	uint8_t tcpi_options;
	uint8_t tcpi_wscale;            /* snd_wscale : 4 (low bits), rcv_wscale : 4 */
	uint32_t tcpi_rto, tcpi_ato, tcpi_snd_mss, tcpi_rcv_mss;
	uint32_t tcpi_unacked, tcpi_sacked, tcpi_lost, tcpi_retrans, tcpi_fackets;
	uint32_t tcpi_last_data_sent, tcpi_last_ack_sent, tcpi_last_data_recv, tcpi_last_ack_recv;
	uint32_t tcpi_pmtu, tcpi_rcv_ssthresh, tcpi_rtt, tcpi_rttvar, tcpi_snd_ssthresh;
	uint32_t tcpi_snd_cwnd, tcpi_advmss, tcpi_reordering;
	uint32_t tcpi_rcv_rtt, tcpi_rcv_space;
	uint32_t tcpi_total_retrans;
};
_Static_assert(sizeof(struct tcp_info) == 104, "struct tcp_info must match Linux's");

/* ---- options ---- */

static int get_int(const void *val, size_t len, int *out)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int put_int(void *val, size_t *len, int v)
{
	size_t n = *len < sizeof(int) ? *len : sizeof(int);

	memcpy(val, &v, n);
	*len = n;
	return 0;
}

static void set_rcvbuf(struct tcp_sock *tp, uint32_t bytes)
{
	tp->flags |= TF_RCVBUF_LOCK;
	if (bytes < TCP_MIN_SOCKBUF)
		bytes = TCP_MIN_SOCKBUF;
	if (tp->rcvq.cap) {
		/* Connected: grow (or shrink to what is held, never below). */
		uint32_t cap = bytes + (1u << tp->rcv.wscale);

		if (cap < tp->rcvq.len)
			return;
		if (us_ring_resize(&tp->rcvq, cap) < 0)
			return;
	}
	tp->rcvbuf = bytes;
}

static void set_sndbuf(struct tcp_sock *tp, uint32_t bytes)
{
	tp->flags |= TF_SNDBUF_LOCK;
	if (bytes < TCP_MIN_SOCKBUF)
		bytes = TCP_MIN_SOCKBUF;
	if (tp->sndq.cap) {
		if (bytes < tp->sndq.len || us_ring_resize(&tp->sndq, bytes) < 0)
			return;
	}
	tp->sndbuf = bytes;
}

static int sol_socket_set(struct tcp_sock *tp, int name, const void *val, size_t len)
{
	struct us_stack *st = tp->st;
	int v = 0, err;

	if (name == SO_LINGER) {
		struct linger l;

		if (len < sizeof(l))
			return -EINVAL;
		memcpy(&l, val, sizeof(l));
		tp->linger_s = l.l_onoff ? (l.l_linger < 0 ? 0 : l.l_linger) : -1;
		return 0;
	}
	err = get_int(val, len, &v);
	if (err)
		return err;
	switch (name) {
	case SO_RCVBUF:
		/* Linux: the value is capped at net.core.rmem_max; the ring holds what was
		 * asked for (getsockopt reports it doubled, as Linux). */
		if (v < 0)
			v = 0;
		set_rcvbuf(tp, (uint32_t)((int64_t)v > st->cfg.rmem_max ? st->cfg.rmem_max : v));
		return 0;
	case SO_SNDBUF:
		if (v < 0)
			v = 0;
		set_sndbuf(tp, (uint32_t)((int64_t)v > st->cfg.wmem_max ? st->cfg.wmem_max : v));
		return 0;
	case SO_KEEPALIVE:
		if (v)
			tp->flags |= TF_KEEPALIVE;
		else
			tp->flags &= ~(uint32_t)TF_KEEPALIVE;
		tcp_keepalive_reset(tp);
		return 0;
	case SO_REUSEADDR:
		if (v)
			tp->flags |= TF_REUSEADDR;
		else
			tp->flags &= ~(uint32_t)TF_REUSEADDR;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

static int tcp_level_set(struct tcp_sock *tp, int name, const void *val, size_t len)
{
	int v = 0, err;

	if (name == TCP_CONGESTION) {
		char buf[16] = { 0 };
		const struct tcp_cc_ops *ops;

		memcpy(buf, val, len < sizeof(buf) - 1 ? len : sizeof(buf) - 1);
		ops = tcp_cc_find(buf);
		if (!ops)
			return -ENOENT;
		if (tp->state >= TCP_ESTABLISHED && tp->cc.ops != ops) {
			tcp_cc_prepare(tp);
			tcp_cc_switch(&tp->cc, ops);
		} else {
			tp->cc.ops = ops;
		}
		return 0;
	}
	err = get_int(val, len, &v);
	if (err)
		return err;
	switch (name) {
	case TCP_NODELAY:
		if (v)
			tp->flags |= TF_NODELAY;
		else
			tp->flags &= ~(uint32_t)TF_NODELAY;
		tcp_mark_pending(tp);
		return 0;
	case TCP_CORK:
		if (v) {
			tp->flags |= TF_CORK;
		} else {
			tp->flags &= ~(uint32_t)TF_CORK;
			tcp_mark_pending(tp);   /* uncorking pushes what waits */
		}
		return 0;
	case TCP_MAXSEG:
		/* Linux: 0 resets; otherwise TCP_MIN_MSS (88) .. MAX_TCP_WINDOW. */
		if (v && (v < TCP_MSS_MIN || v > 32767))
			return -EINVAL;
		tp->user_mss = (uint32_t)v;
		if (tp->state >= TCP_ESTABLISHED)
			tcp_sync_mss(tp);
		return 0;
	case TCP_KEEPIDLE:
		if (v < 1 || v > TCP_KEEPALIVE_MAX_S)
			return -EINVAL;
		tp->keep_idle_s = (uint32_t)v;
		tcp_keepalive_reset(tp);
		return 0;
	case TCP_KEEPINTVL:
		if (v < 1 || v > TCP_KEEPALIVE_MAX_S)
			return -EINVAL;
		tp->keep_intvl_s = (uint32_t)v;
		return 0;
	case TCP_KEEPCNT:
		if (v < 1 || v > 127)
			return -EINVAL;
		tp->keep_cnt = (uint32_t)v;
		return 0;
	case TCP_USER_TIMEOUT:
		if (v < 0)
			return -EINVAL;
		tp->user_timeout_ms = (uint32_t)v;
		return 0;
	case TCP_QUICKACK:
		if (v) {
			tp->rcv.quick = TCP_MAX_QUICKACKS;
			if (tp->rcv.unacked) {
				tp->flags |= TF_ACKNOW;
				tcp_mark_pending(tp);
			}
		}
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int tcp_setsockopt(struct tcp_sock *tp, int level, int name, const void *val, size_t len)
{
	int v = 0, err;

	switch (level) {
	case SOL_SOCKET:
		return sol_socket_set(tp, name, val, len);
	case IPPROTO_TCP:
		return tcp_level_set(tp, name, val, len);
	case IPPROTO_IP:
		err = get_int(val, len, &v);
		if (err)
			return err;
		if (name == IP_TTL) {
			if (v == -1)
				v = 0;
			if (v < 0 || v > 255)
				return -EINVAL;
			tp->ttl = (uint8_t)v;
			return 0;
		}
		if (name == IP_TOS) {
			tp->tos = (uint8_t)v;
			return 0;
		}
		return -ENOPROTOOPT;
	default:
		return -ENOPROTOOPT;
	}
}

/* Linux's TCP_* state numbering for tcp_info (include/net/tcp_states.h). */
static uint8_t linux_state(enum tcp_state s)
{
	static const uint8_t map[] = {
		[TCP_ESTABLISHED] = 1, [TCP_SYN_SENT] = 2,   [TCP_SYN_RECEIVED] = 3,
		[TCP_FIN_WAIT_1] = 4,  [TCP_FIN_WAIT_2] = 5, [TCP_TIME_WAIT] = 6,
		[TCP_CLOSED] = 7,      [TCP_CLOSE_WAIT] = 8, [TCP_LAST_ACK] = 9,
		[TCP_LISTEN] = 10,     [TCP_CLOSING] = 11,
	};
	return map[s];
}

static void fill_tcp_info(const struct tcp_sock *tp, struct tcp_info *ti)
{
	uint32_t mss = tp->snd.mss ? tp->snd.mss : 1;
	uint64_t now = tp->st->now_ms;

	memset(ti, 0, sizeof(*ti));
	ti->tcpi_state = linux_state(tp->state);
	ti->tcpi_ca_state = tp->cc.ca_state;
	ti->tcpi_retransmits = tp->retries;
	ti->tcpi_probes = tp->probes;
	ti->tcpi_backoff = tp->backoff;
	if (tp->flags & TF_TS_OK)
		ti->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (tp->flags & TF_SACK_OK)
		ti->tcpi_options |= TCPI_OPT_SACK;
	if (tp->flags & TF_WSCALE_OK) {
		ti->tcpi_options |= TCPI_OPT_WSCALE;
		/* Bit-fields allocate from the low bits on x86-64 (SysV ABI). */
		ti->tcpi_wscale = (uint8_t)((tp->snd.wscale & 0xf) | ((tp->rcv.wscale & 0xf) << 4));
	}
	ti->tcpi_rto = tcp_rto_ms(tp) * 1000;
	ti->tcpi_ato = TCP_DELACK_MS * 1000;
	ti->tcpi_snd_mss = tp->snd.mss;
	ti->tcpi_rcv_mss = tp->rcv.mss ? tp->rcv.mss : tp->rcv.adv_mss;
	ti->tcpi_unacked = tp->txr_n;
	ti->tcpi_sacked = tp->sacked_bytes / mss;
	ti->tcpi_lost = tp->lost_bytes / mss;
	ti->tcpi_retrans = tp->retrans_bytes / mss;
	ti->tcpi_last_data_sent = tp->last_send_ms ? (uint32_t)(now - tp->last_send_ms) : 0;
	ti->tcpi_last_data_recv = tp->last_recv_ms ? (uint32_t)(now - tp->last_recv_ms) : 0;
	ti->tcpi_last_ack_recv = ti->tcpi_last_data_recv;
	ti->tcpi_pmtu = tp->snd.pmtu;
	ti->tcpi_rcv_ssthresh = tp->rcvbuf;
	ti->tcpi_rtt = tp->srtt_us;
	ti->tcpi_rttvar = tp->rttvar_us;
	ti->tcpi_snd_ssthresh = tp->cc.ssthresh == UINT32_MAX ? 0x7fffffff : tp->cc.ssthresh / mss;
	ti->tcpi_snd_cwnd = tp->cc.cwnd / mss;
	ti->tcpi_advmss = tp->rcv.adv_mss;
	ti->tcpi_reordering = tp->reordering;
	ti->tcpi_rcv_rtt = tp->rcv_rtt_us;
	ti->tcpi_rcv_space = tp->rcvq_space;
	ti->tcpi_total_retrans = tp->total_retrans;
}

int tcp_getsockopt(struct tcp_sock *tp, int level, int name, void *val, size_t *len)
{
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_RCVBUF:
			return put_int(val, len, (int)(tp->rcvbuf * 2));
		case SO_SNDBUF:
			return put_int(val, len, (int)(tp->sndbuf * 2));
		case SO_KEEPALIVE:
			return put_int(val, len, !!(tp->flags & TF_KEEPALIVE));
		case SO_REUSEADDR:
			return put_int(val, len, !!(tp->flags & TF_REUSEADDR));
		case SO_ERROR:
			return put_int(val, len, tcp_take_err(tp));
		case SO_LINGER: {
			struct linger l = { .l_onoff = tp->linger_s >= 0,
					    .l_linger = tp->linger_s >= 0 ? tp->linger_s : 0 };
			size_t n = *len < sizeof(l) ? *len : sizeof(l);

			memcpy(val, &l, n);
			*len = n;
			return 0;
		}
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == IPPROTO_IP) {
		if (name == IP_TTL)
			return put_int(val, len, tp->ttl ? tp->ttl : (int)tp->st->cfg.ip_default_ttl);
		if (name == IP_TOS)
			return put_int(val, len, tp->tos);
		return -ENOPROTOOPT;
	}
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	switch (name) {
	case TCP_NODELAY:
		return put_int(val, len, !!(tp->flags & TF_NODELAY));
	case TCP_CORK:
		return put_int(val, len, !!(tp->flags & TF_CORK));
	case TCP_MAXSEG:
		return put_int(val, len, (int)(tp->state >= TCP_ESTABLISHED ? tp->snd.mss
						: tp->user_mss ? tp->user_mss : TCP_MSS_DEFAULT));
	case TCP_KEEPIDLE:
		return put_int(val, len, (int)(tcp_keepalive_idle_ms(tp) / 1000));
	case TCP_KEEPINTVL:
		return put_int(val, len, (int)(tp->keep_intvl_s ? tp->keep_intvl_s
								 : (uint32_t)tp->st->cfg.tcp_keepalive_intvl));
	case TCP_KEEPCNT:
		return put_int(val, len, (int)(tp->keep_cnt ? tp->keep_cnt
							    : (uint32_t)tp->st->cfg.tcp_keepalive_probes));
	case TCP_USER_TIMEOUT:
		return put_int(val, len, (int)tp->user_timeout_ms);
	case TCP_QUICKACK:
		return put_int(val, len, tp->rcv.quick != 0);
	case TCP_CONGESTION: {
		const char *n = tp->cc.ops ? tp->cc.ops->name : "";
		size_t l = strlen(n) + 1;

		if (l > *len)
			l = *len;
		memcpy(val, n, l);
		*len = l;
		return 0;
	}
	case TCP_INFO: {
		struct tcp_info ti;
		size_t n = *len < sizeof(ti) ? *len : sizeof(ti);

		fill_tcp_info(tp, &ti);
		memcpy(val, &ti, n);
		*len = n;
		return 0;
	}
	default:
		return -ENOPROTOOPT;
	}
}

/* ---- introspection ---- */

void tcp_sock_info(const struct tcp_sock *tp, struct tcp_conn_info *ci)
{
	static const struct {
		enum tcp_timer_id id;
		const char *name;
	} timers[] = {
		{ TCPT_REXMT, "on" },          { TCPT_PTO, "on" },    { TCPT_REO, "on" },
		{ TCPT_PERSIST, "persist" },   { TCPT_KEEP, "keepalive" },
		{ TCPT_FIN_WAIT_2, "timewait" },
	};
	uint64_t now = tp->st->now_ms, best = 0;

	memset(ci, 0, sizeof(*ci));
	ci->state = tp->state;
	ci->laddr = tp->laddr;
	ci->raddr = tp->raddr;
	ci->lport = tp->lport;
	ci->rport = tp->rport;
	if (tp->state == TCP_LISTEN) {
		ci->rx_queue = tp->lst.acceptq_len;
		ci->tx_queue = tp->lst.backlog;
	} else {
		ci->rx_queue = tp->rcvq.len;
		ci->tx_queue = tp->sndq.len + ((tp->flags & TF_FIN_QUEUED) && !(tp->flags & TF_FIN_ACKED));
	}
	ci->orphan = (tp->flags & TF_ORPHAN) != 0;
	ci->cwnd = tp->cc.cwnd;
	ci->ssthresh = tp->cc.ssthresh;
	ci->mss = tp->snd.mss;
	ci->rcv_mss = tp->rcv.mss ? tp->rcv.mss : tp->rcv.adv_mss;
	ci->srtt_us = tp->srtt_us;
	ci->rttvar_us = tp->rttvar_us;
	ci->rto_ms = tcp_rto_ms(tp);
	ci->snd_wnd = tp->snd.wnd;
	ci->rcv_wnd = seq_gt(tp->rcv.adv, tp->rcv.nxt) ? tp->rcv.adv - tp->rcv.nxt : 0;
	ci->snd_wscale = tp->snd.wscale;
	ci->rcv_wscale = tp->rcv.wscale;
	ci->sack = (tp->flags & TF_SACK_OK) != 0;
	ci->timestamps = (tp->flags & TF_TS_OK) != 0;
	ci->ecn = false;
	ci->retrans = tp->retrans_bytes / (tp->snd.mss ? tp->snd.mss : 1);
	ci->total_retrans = tp->total_retrans;
	ci->bytes_acked = tp->bytes_acked;
	ci->bytes_received = tp->bytes_received;
	ci->segs_out = tp->segs_out;
	ci->segs_in = tp->segs_in;
	ci->cc = tp->cc.ops ? tp->cc.ops->name : "";
	ci->ca_state = tp->cc.ca_state;
	ci->lost = tp->lost_bytes / (tp->snd.mss ? tp->snd.mss : 1);
	ci->sacked = tp->sacked_bytes / (tp->snd.mss ? tp->snd.mss : 1);
	ci->timer = "";
	for (size_t i = 0; i < ARRAY_SIZE(timers); i++) {
		uint64_t d = tp->deadline[timers[i].id];

		if (d && (!best || d < best)) {
			best = d;
			ci->timer = timers[i].name;
		}
	}
	ci->timer_ms = best ? (best > now ? best - now : 1) : 0;
}

int tcp_dump(struct us_stack *st, int (*cb)(const struct tcp_conn_info *ci, void *arg), void *arg)
{
	struct tcp_sock *tp;
	struct tcp_tw *tw;
	struct tcp_conn_info ci;
	int r;

	list_for_each_entry(tp, &st->tcp->socks, all_link) {
		struct tcp_req *req;

		/* Sockets the application opened but never bound are not in ss either. */
		if (tp->state == TCP_CLOSED && !tp->lport)
			continue;
		tcp_sock_info(tp, &ci);
		r = cb(&ci, arg);
		if (r)
			return r;
		if (tp->state != TCP_LISTEN)
			continue;
		list_for_each_entry(req, &tp->lst.synq, lst_link) {
			memset(&ci, 0, sizeof(ci));
			ci.state = TCP_SYN_RECEIVED;
			ci.laddr = req->laddr;
			ci.lport = req->lport;
			ci.raddr = req->raddr;
			ci.rport = req->rport;
			ci.cc = "";
			ci.timer = "on";
			ci.timer_ms = req->timer.expires_ms > st->now_ms ? req->timer.expires_ms - st->now_ms : 1;
			r = cb(&ci, arg);
			if (r)
				return r;
		}
	}
	list_for_each_entry(tw, &st->tcp->tw_list, all_link) {
		memset(&ci, 0, sizeof(ci));
		ci.state = TCP_TIME_WAIT;
		ci.laddr = tw->laddr;
		ci.lport = tw->lport;
		ci.raddr = tw->raddr;
		ci.rport = tw->rport;
		ci.orphan = true;
		ci.timestamps = tw->ts_ok;
		ci.cc = "";
		ci.timer = "timewait";
		ci.timer_ms = tw->expires_ms > st->now_ms ? tw->expires_ms - st->now_ms : 1;
		r = cb(&ci, arg);
		if (r)
			return r;
	}
	return 0;
}
