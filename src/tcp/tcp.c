/*
 * tcp.c - the TCP module: its per-stack table (st->tcp), the egress hook, and
 * the connection API of tcp.h that the socket layer calls (RFC 9293 3.10.1-3.10.6:
 * OPEN, SEND, RECEIVE, CLOSE, ABORT, STATUS as Linux's socket calls shape them),
 * socket options, and introspection for `ustack ss`.
 *
 * Entry: tcp_init/tcp_fini (module list), the API below, tcp_flush_pending (the
 * stack's output hook: the egress phase of STYLE.md example 5). Nothing here transmits directly:
 * the API changes state and marks the connection pending; tcp_output runs in the
 * hook. The exceptions are resets of aborts (close with unread data, SO_LINGER 0).
 *
 * Read first: RFC 9293 3.10 (user calls), 3.6 (closing: half-close, RST on close
 * with unread data per RFC 1122 4.2.2.13), RFC 2525 2.17.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ip/ifaddr.h"
#include "tcp/tcp_sock.h"

static const char *const state_names[] = {
	[TCP_CLOSED] = "UNCONN",          [TCP_LISTEN] = "LISTEN",
	[TCP_SYN_SENT] = "SYN-SENT",      [TCP_SYN_RECEIVED] = "SYN-RECV",
	[TCP_ESTABLISHED] = "ESTAB",      [TCP_CLOSE_WAIT] = "CLOSE-WAIT",
	[TCP_FIN_WAIT_1] = "FIN-WAIT-1",  [TCP_CLOSING] = "CLOSING",
	[TCP_LAST_ACK] = "LAST-ACK",      [TCP_FIN_WAIT_2] = "FIN-WAIT-2",
	[TCP_TIME_WAIT] = "TIME-WAIT",
};

const char *tcp_state_name(enum tcp_state s)
{
	return (unsigned)s < ARRAY_SIZE(state_names) && state_names[s] ? state_names[s] : "?";
}

/* ---- module ---- */

static void tcp_hook(struct us_poll_hook *h, struct us_stack *st)
{
	(void)h;
	tcp_flush_pending(st);
}

int tcp_init(struct us_stack *st)
{
	struct us_tcp_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	list_init(&t->socks);
	list_init(&t->tw_list);
	list_init(&t->pending);
	t->hook.fn = tcp_hook;
	t->default_cc = tcp_cc_find("cubic");
	if (!t->default_cc)
		t->default_cc = tcp_cc_find("reno");
	st->tcp = t;
	/* The egress phase is the poll round's output phase (core/stack.h phase 5):
	 * after every poll hook, so what an application hook wrote this round is sent
	 * this round. */
	us_stack_add_output_hook(st, &t->hook);
	return 0;
}

void tcp_fini(struct us_stack *st)
{
	struct us_tcp_table *t = st->tcp;
	struct tcp_sock *tp, *tmp;

	if (!t)
		return;
	us_stack_del_poll_hook(st, &t->hook);
	/* Listeners first (their request records and unaccepted children), then every
	 * connection still alive, then TIME_WAIT. */
	list_for_each_entry_safe(tp, tmp, &t->socks, all_link)
		if (tp->state == TCP_LISTEN)
			tcp_listen_stop(tp);
	while (!list_empty(&t->socks))
		tcp_sock_free(list_first_entry(&t->socks, struct tcp_sock, all_link));
	tcp_tw_flush(st);
	free(t);
	st->tcp = NULL;
}

void tcp_flush_pending(struct us_stack *st)
{
	struct us_tcp_table *t = st->tcp;

	/* A few passes: a wakeup may write and make the connection pending again, and
	 * that output belongs to this round too. Bounded: at most 4 passes. */
	for (int pass = 0; pass < 4 && !list_empty(&t->pending); pass++) {
		struct list_head batch;

		list_init(&batch);
		/* Move the whole list: what becomes pending while we work waits a pass. */
		batch.next = t->pending.next;
		batch.prev = t->pending.prev;
		batch.next->prev = &batch;
		batch.prev->next = &batch;
		list_init(&t->pending);
		while (!list_empty(&batch)) {
			struct tcp_sock *tp = list_first_entry(&batch, struct tcp_sock, pending_link);

			list_del(&tp->pending_link);
			tcp_output(tp);
			if ((tp->flags & TF_WAKE) && tp->wakeup && !(tp->flags & TF_ORPHAN)) {
				tp->flags &= ~(uint32_t)TF_WAKE;
				tp->wakeup(tp, tp->wakeup_arg);
			}
		}
	}
}

int tcp_set_default_cc(struct us_stack *st, const char *name)
{
	const struct tcp_cc_ops *ops = tcp_cc_find(name);

	if (!ops)
		return -ENOENT;
	st->tcp->default_cc = ops;
	return 0;
}

void tcp_set_wakeup(struct tcp_sock *tp, void (*fn)(struct tcp_sock *tp, void *arg), void *arg)
{
	tp->wakeup = fn;
	tp->wakeup_arg = arg;
}

/* ---- OPEN ---- */

struct tcp_sock *tcp_sock_new(struct us_stack *st) { return tcp_sock_alloc(st); }

int tcp_bind(struct tcp_sock *tp, uint32_t addr, uint16_t port)
{
	if (tp->lport || tp->state != TCP_CLOSED || (tp->flags & TF_DONE))
		return -EINVAL;
	if (addr && !ifaddr_is_local(tp->st, addr))
		return -EADDRNOTAVAIL;
	return tcp_bind_port(tp, addr, port);
}

int tcp_connect(struct tcp_sock *tp, uint32_t addr, uint16_t port)
{
	struct us_stack *st = tp->st;
	uint32_t laddr, mtu, route_mtu = 0;
	bool tx_csum;
	int err;

	/* Linux's __inet_stream_connect, with connect_reported standing for the socket's
	 * SS_CONNECTED (a connect returned 0, or accept made it) as opposed to
	 * SS_CONNECTING (an attempt was started and its outcome not yet reported). */
	switch (tp->state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECEIVED:
		return -EALREADY;
	case TCP_LISTEN:
		return -EISCONN;
	case TCP_CLOSED:
		break;
	default:
		if (!tp->connect_reported) {
			tp->connect_reported = true;
			return 0;
		}
		return -EISCONN;
	}
	if (tp->flags & TF_DONE) {
		/* A connection that ended. Once connected: still EISCONN (SS_CONNECTED stays).
		 * Otherwise its outcome is reported once - the error, or ECONNABORTED when
		 * SO_ERROR took it - and the socket is disconnected: back to CLOSED, so the
		 * next connect is a new attempt (as Linux's sock_error path). */
		if (tp->connect_reported)
			return -EISCONN;
		err = tcp_take_err(tp);
		tcp_disconnect(tp);
		return -(err ? err : ECONNABORTED);
	}
	if (addr == 0)
		addr = 0x7f000001;  /* Linux: connecting to INADDR_ANY means this host */
	if (ipv4_is_multicast(addr) || ipv4_is_lbcast(addr))
		return -ENETUNREACH;
	laddr = tp->laddr;
	err = tcp_route(st, addr, &laddr, &mtu, &tx_csum, &tp->oif, &route_mtu);
	if (err)
		return err;
	tp->laddr = laddr;
	tp->raddr = addr;
	tp->rport = port;
	err = tcp_connect_port(tp);
	if (err) {
		tp->raddr = 0;
		tp->rport = 0;
		return err;
	}
	tp->snd.pmtu = mtu;
	tp->snd.route_mtu = route_mtu;
	tp->dev_caps_tx_csum = tx_csum;
	tp->rcv.adv_mss = mtu - 40;
	if (tp->user_mss && tp->user_mss < tp->rcv.adv_mss)
		tp->rcv.adv_mss = tp->user_mss;
	if (tp->rcv.adv_mss > 65535)
		tp->rcv.adv_mss = 65535;
	err = tcp_init_buffers(tp);
	if (err) {
		if (tp->flags & TF_AUTOBOUND)
			tcp_unbind(tp);
		return err;
	}
	if (!tp->iss_from_tw)
		tp->snd.iss = tcp_isn(st, tp->laddr, tp->lport, tp->raddr, tp->rport);
	tp->ts_off = tcp_ts_offset(st, tp->laddr, tp->raddr);
	tp->snd.una = tp->snd.iss;
	tp->snd.nxt = tp->snd.iss;
	tp->snd.buf_seq = tp->snd.iss + 1;
	tcp_sync_mss(tp);
	tcp_ehash_add(tp);
	tcp_set_state(tp, TCP_SYN_SENT);
	US_INC(st, TcpActiveOpens);
	tp->syn_xmit_us = tcp_now_us(st);
	tcp_mark_pending(tp);
	return -EINPROGRESS;
}

static bool listen_conflict(const struct tcp_sock *tp)
{
	const struct tcp_sock *o;

	hlist_for_each_entry(o, &tp->st->tcp->lhash[tp->lport % TCP_LHASH_SIZE], lhash_link)
		if (o != tp && o->lport == tp->lport &&
		    (o->laddr == 0 || tp->laddr == 0 || o->laddr == tp->laddr))
			return true;
	return false;
}

int tcp_listen(struct tcp_sock *tp, int backlog)
{
	struct us_stack *st = tp->st;
	int err;

	if (backlog < 0)
		backlog = 0;
	if (backlog > st->cfg.somaxconn)
		backlog = (int)st->cfg.somaxconn;
	if (tp->state == TCP_LISTEN) {
		tp->lst.backlog = (uint32_t)backlog;
		return 0;
	}
	if (tp->state != TCP_CLOSED || (tp->flags & TF_DONE))
		return -EINVAL;
	if (!tp->lport) {
		err = tcp_bind_port(tp, tp->laddr, 0);
		if (err)
			return err;
	}
	if (listen_conflict(tp))
		return -EADDRINUSE;
	tp->lst.backlog = (uint32_t)backlog;
	tcp_set_state(tp, TCP_LISTEN);
	tcp_lhash_add(tp);
	return 0;
}

int tcp_accept(struct tcp_sock *tp, struct tcp_sock **out)
{
	struct tcp_sock *c;

	if (tp->state != TCP_LISTEN)
		return -EINVAL;
	if (list_empty(&tp->lst.acceptq))
		return -EAGAIN;
	if (!out)
		return 0; /* only asked whether one waits */
	c = list_first_entry(&tp->lst.acceptq, struct tcp_sock, accept_link);
	list_del(&c->accept_link);
	tp->lst.acceptq_len--;
	c->parent = NULL;
	c->connect_reported = true;
	*out = c;
	/* Level-triggered, as tcp_recv: connections still queued keep the listener
	 * readable; a caller that accepts a bounded number per round gets the next
	 * round at once. */
	if (!list_empty(&tp->lst.acceptq))
		us_stack_request_round(tp->st);
	return 0;
}

/* ---- SEND / RECEIVE ---- */

int tcp_take_err(struct tcp_sock *tp)
{
	int e = tp->err;

	tp->err = 0;
	return e;
}

ssize_t tcp_send(struct tcp_sock *tp, const struct iovec *iov, int iovcnt, int flags)
{
	size_t copied = 0;

	/* Linux's tcp_sendmsg: not (yet) synchronized -> sk_stream_wait_connect: the
	 * pending error once, EAGAIN while the handshake goes on (inline mode never
	 * blocks), else EPIPE (never connected, listening, closed); a send side that is
	 * shut or broken -> the pending error once, then EPIPE. */
	if (tp->state != TCP_ESTABLISHED && tp->state != TCP_CLOSE_WAIT) {
		if (tp->err)
			return -tcp_take_err(tp);
		if (tp->state == TCP_SYN_SENT || tp->state == TCP_SYN_RECEIVED)
			return -EAGAIN;
		return -EPIPE;
	}
	if (tp->err)
		return -tcp_take_err(tp);
	if (tp->flags & TF_SND_SHUT)
		return -EPIPE;
	for (int i = 0; i < iovcnt; i++) {
		uint32_t want = iov[i].iov_len > UINT32_MAX ? UINT32_MAX : (uint32_t)iov[i].iov_len;
		uint32_t n = us_ring_write(&tp->sndq, iov[i].iov_base, want);

		copied += n;
		if (n < want)
			break;
	}
	if (!copied) {
		if (iovcnt > 0 && iov[0].iov_len == 0 && iovcnt == 1)
			return 0;
		return -EAGAIN;
	}
	if (flags & MSG_MORE)
		tp->flags |= TF_MORE;
	else
		tp->flags &= ~(uint32_t)TF_MORE;
	tcp_mark_pending(tp);
	return (ssize_t)copied;
}

ssize_t tcp_recv(struct tcp_sock *tp, const struct iovec *iov, int iovcnt, int flags)
{
	size_t want = 0, copied = 0;
	uint32_t off = 0;

	if (tp->state == TCP_LISTEN)
		return -ENOTCONN;
	for (int i = 0; i < iovcnt; i++)
		want += iov[i].iov_len;
	if (tp->rcvq.len) {
		bool eof = (tp->flags & (TF_FIN_RCVD | TF_DONE | TF_RCV_SHUT)) != 0;

		if ((flags & MSG_WAITALL) && want > tp->rcvq.len && !eof && !tp->err)
			return -EAGAIN;
		for (int i = 0; i < iovcnt && off < tp->rcvq.len; i++) {
			uint32_t len = iov[i].iov_len > UINT32_MAX ? UINT32_MAX : (uint32_t)iov[i].iov_len;
			uint32_t n = us_ring_peek(&tp->rcvq, off, iov[i].iov_base, len);

			off += n;
			copied += n;
		}
		if (!(flags & MSG_PEEK)) {
			us_ring_read(&tp->rcvq, NULL, off);
			tcp_rcv_consumed(tp, off);
		}
		/* Readiness is level-triggered (as poll(2)): a reader that took less than
		 * what is queued still has a readable socket, and the loop must not sleep
		 * until the peer or a timer happens to wake it - at the end of a transfer
		 * nothing else would (the ACKs went from the input path; the window may
		 * not have grown enough for an update). */
		if (tp->rcvq.len)
			us_stack_request_round(tp->st);
		return (ssize_t)copied;
	}
	if (want == 0)
		return 0;
	/* Linux's tcp_recvmsg with nothing queued, in its order: the peer's FIN (SOCK_DONE)
	 * -> 0; a pending error, once; the receive side shut (SHUT_RD, or the connection
	 * ended: tcp_done shuts both) -> 0; CLOSED and never ended (never connected, or
	 * disconnected) -> ENOTCONN; else EAGAIN (the handshake or the data is to come). */
	if (tp->flags & TF_FIN_RCVD)
		return 0;
	if (tp->err)
		return -tcp_take_err(tp);
	if (tp->flags & (TF_RCV_SHUT | TF_DONE))
		return 0;
	if (tp->state == TCP_CLOSED)
		return -ENOTCONN;
	return -EAGAIN;
}

/* RFC 9293 3.10.4: CLOSE queues a FIN after the data. */
static void queue_fin(struct tcp_sock *tp)
{
	if (tp->flags & TF_FIN_QUEUED)
		return;
	tp->flags |= TF_FIN_QUEUED | TF_SND_SHUT;
	tp->snd.fin_seq = tp->snd.buf_seq + tp->sndq.len;
	switch (tp->state) {
	case TCP_ESTABLISHED:
		tcp_set_state(tp, TCP_FIN_WAIT_1);
		break;
	case TCP_SYN_RECEIVED:
		/* RFC 9293 3.10.4: "queue for processing after entering ESTABLISHED": the
		 * FIN goes once our SYN is acknowledged (tcp_established). */
		break;
	case TCP_CLOSE_WAIT:
		tcp_set_state(tp, TCP_LAST_ACK);
		break;
	default:
		break;
	}
	tcp_mark_pending(tp);
}

int tcp_shutdown(struct tcp_sock *tp, int how)
{
	bool rd = how == SHUT_RD || how == SHUT_RDWR, wr = how == SHUT_WR || how == SHUT_RDWR;

	if (!rd && !wr)
		return -EINVAL;
	/* Linux's inet_shutdown. */
	switch (tp->state) {
	case TCP_CLOSED:
		/* Whether it never connected or its connection ended: not connected. */
		if (rd)
			tp->flags |= TF_RCV_SHUT;
		if (wr)
			tp->flags |= TF_SND_SHUT;
		return -ENOTCONN;
	case TCP_LISTEN:
		if (rd) {
			tcp_listen_stop(tp);
			tcp_set_state(tp, TCP_CLOSED);
		}
		return 0;
	case TCP_SYN_SENT:
		/* The attempt is abandoned (tcp_disconnect of SYN-SENT): the socket is CLOSED
		 * and may connect again; ECONNRESET is pending for the next call. */
		tcp_disconnect(tp);
		tp->err = ECONNRESET;
		tcp_wake(tp);
		return 0;
	default:
		break;
	}
	/* A connected socket whose connect was not yet re-called counts as connected from
	 * now on (inet_shutdown turns SS_CONNECTING into SS_CONNECTED). */
	if (tcp_state_synced(tp->state))
		tp->connect_reported = true;
	if (rd) {
		tp->flags |= TF_RCV_SHUT;
		tcp_wake(tp);
	}
	if (wr)
		queue_fin(tp);
	return 0;
}

void tcp_close(struct tcp_sock *tp)
{
	struct us_stack *st = tp->st;

	tp->wakeup = NULL;
	if (tp->parent) {
		/* Still on a listener's accept queue: not the application's to close. */
		return;
	}
	tp->flags |= TF_RCV_SHUT;
	switch (tp->state) {
	case TCP_LISTEN:
		tcp_listen_stop(tp);
		/* fall through */
	case TCP_CLOSED:
	case TCP_SYN_SENT:
		tp->flags |= TF_ORPHAN;
		if (tp->flags & TF_DONE)
			tcp_sock_free(tp);
		else
			tcp_done(tp);
		return;
	default:
		break;
	}
	tp->flags |= TF_ORPHAN;
	if (tp->rcvq.len || tp->ooo.n) {
		/* RFC 1122 4.2.2.13 / RFC 2525 2.17: closing with unread data resets, so
		 * the peer knows the data was not consumed. */
		US_INC(st, TcpExtTCPAbortOnClose);
		tcp_abort(tp, 0, true);
		return;
	}
	if (tp->linger_s == 0) {
		/* SO_LINGER with a zero timeout: abort (RFC 9293 3.10.5 ABORT). */
		US_INC(st, TcpExtTCPAbortOnLinger);
		tcp_abort(tp, 0, true);
		return;
	}
	queue_fin(tp);
	if (tp->state == TCP_FIN_WAIT_2)
		tcp_timer_set(tp, TCPT_FIN_WAIT_2, st->now_ms + (uint64_t)st->cfg.tcp_fin_timeout * 1000);
}

unsigned tcp_poll(struct tcp_sock *tp)
{
	unsigned mask = 0;
	bool rd_shut = (tp->flags & (TF_FIN_RCVD | TF_RCV_SHUT | TF_DONE)) != 0;
	bool wr_shut = (tp->flags & (TF_SND_SHUT | TF_DONE)) != 0;

	if (tp->state == TCP_LISTEN)
		return tp->lst.acceptq_len ? POLLIN : 0;
	if (tp->err)
		mask |= POLLERR;
	if ((rd_shut && wr_shut) || tp->state == TCP_CLOSED)
		mask |= POLLHUP;
	if (rd_shut)
		mask |= POLLIN | POLLRDHUP;
	if (tp->rcvq.len)
		mask |= POLLIN;
	if (tp->state != TCP_SYN_SENT && tp->state != TCP_SYN_RECEIVED) {
		uint32_t space = tp->sndq.cap - tp->sndq.len;

		if (wr_shut || tp->state == TCP_CLOSED)
			mask |= POLLOUT;
		else if (space && space >= tp->sndq.len / 2)
			mask |= POLLOUT;
	}
	return mask;
}

int tcp_sock_error(struct tcp_sock *tp) { return tcp_take_err(tp); }

void tcp_get_addrs(const struct tcp_sock *tp, uint32_t *laddr, uint16_t *lport, uint32_t *raddr,
		   uint16_t *rport)
{
	*laddr = tp->laddr;
	*lport = tp->lport;
	*raddr = tp->raddr;
	*rport = tp->rport;
}

