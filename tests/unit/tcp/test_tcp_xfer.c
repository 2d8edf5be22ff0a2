/*
 * test_tcp_xfer.c - two stacks on one virtual clock, joined by an in-memory link:
 * handshake and bulk transfer (byte-exact, hashed at both ends), simultaneous
 * close, half-close, reset on close with unread data, keepalive, and a zero-window
 * stall that must resume when the reader drains. Every test ends with all
 * connections and TIME_WAIT records gone and no packet buffer leaked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "tcp/tcp_sock.h"
#include "tcp_app.h"
#include "tcp_env.h"
#include "ustack/ustack.h"

static void run_until(struct te_link *l, uint64_t abs_ms)
{
	uint64_t now = te_now_ms(te_link_stack(l, 0));

	assert_true(abs_ms >= now);
	assert_int_equal(te_run(l, abs_ms - now, NULL, NULL), 0);
}

/* After the test body: close what is left and let every timer run out. */
static void finish(struct te_link *l, struct xfer *x)
{
	if (!x->closed) {
		if (x->rx)
			tcp_close(x->rx);
		if (x->tx)
			tcp_close(x->tx);
		if (x->lst)
			tcp_close(x->lst);
		x->closed = true;
	}
	assert_int_equal(te_run(l, 600000, xfer_all_gone, x), 0);
	te_link_free(l);
}

static void test_bulk_transfer(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(5, &a, &b);
	struct xfer x = { 0 };
	struct tcp_conn_info ci;

	(void)state;
	xfer_start(&x, a, b, 80, 4 << 20);
	assert_int_equal(te_run(l, 60000, xfer_step, &x), 0);
	assert_false(x.mismatch);
	assert_int_equal(x.rx_err, 0);
	assert_int_equal(x.rcvd, 4 << 20);
	assert_true(x.tx_hash == x.rx_hash);
	/* A clean path: no retransmission at all, and the window grew. */
	assert_int_equal(a->counters.stat[US_STAT_TcpRetransSegs], 0);
	tcp_sock_info(x.tx, &ci);
	assert_true(ci.cwnd > 10 * ci.mss);
	assert_true(ci.srtt_us >= 10000 && ci.srtt_us < 20000);
	tcp_sock_info(x.rx, &ci);
	assert_true(ci.rcv_wnd > 65535);          /* window scaling at work */
	/* It took less than 2 s of virtual time at RTT 10 ms. */
	assert_true(te_now_ms(a) < TE_START_MS + 2000);
	finish(l, &x);
}

/* Many small writes with Nagle: coalesced, still byte-exact; then TCP_NODELAY. */
static void test_small_writes(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(1, &a, &b);
	struct xfer x = { .wr_chunk = 100 };
	uint64_t segs;

	(void)state;
	xfer_start(&x, a, b, 81, 200000);
	assert_int_equal(te_run(l, 60000, xfer_step, &x), 0);
	assert_false(x.mismatch);
	assert_true(x.tx_hash == x.rx_hash);
	segs = a->counters.stat[US_STAT_TcpOutSegs];
	/* 2000 writes, far fewer segments: Nagle and the ring coalesce them. */
	assert_true(segs < 600);
	finish(l, &x);
}

/* Both ends close at once: FIN-WAIT-1 -> CLOSING -> TIME-WAIT on both (RFC 9293 3.6). */
static void test_simultaneous_close(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(5, &a, &b);
	struct xfer x = { 0 };
	struct tcp_sock *ta, *tb;

	(void)state;
	xfer_start(&x, a, b, 82, 0);
	x.shut_tx = true;   /* no automatic shutdown: this test closes by hand */
	assert_int_equal(te_run(l, 1000, NULL, NULL), 0);
	assert_int_equal(tcp_accept(x.lst, &x.rx), 0);
	ta = x.tx;
	tb = x.rx;
	assert_int_equal(ta->state, TCP_ESTABLISHED);
	assert_int_equal(tcp_shutdown(ta, SHUT_WR), 0);
	assert_int_equal(tcp_shutdown(tb, SHUT_WR), 0);
	assert_int_equal(ta->state, TCP_FIN_WAIT_1);
	assert_int_equal(tb->state, TCP_FIN_WAIT_1);
	/* Both FINs cross: each side sees the other's FIN before its own is ACKed. */
	us_stack_poll(a);
	us_stack_poll(b);
	us_stack_clock_set(a, us_stack_now_ns(a) + 5 * US_NSEC_PER_MSEC);
	us_stack_clock_set(b, us_stack_now_ns(b) + 5 * US_NSEC_PER_MSEC);
	us_stack_poll(a);
	us_stack_poll(b);
	assert_int_equal(ta->state, TCP_CLOSING);
	assert_int_equal(tb->state, TCP_CLOSING);
	assert_int_equal(te_run(l, 1000, NULL, NULL), 0);
	assert_int_equal(ta->state, TCP_CLOSED);
	assert_int_equal(tb->state, TCP_CLOSED);
	assert_int_equal(a->tcp->ntw, 1);
	assert_int_equal(b->tcp->ntw, 1);
	finish(l, &x);
}

/* Half-close: A stops sending; B still sends to A, which reads it all. */
static void test_half_close(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(2, &a, &b);
	struct xfer x = { 0 };
	char buf[256];
	struct iovec iov = { buf, sizeof(buf) };
	size_t got = 0;

	(void)state;
	xfer_start(&x, a, b, 83, 1000);
	assert_int_equal(te_run(l, 10000, xfer_step, &x), 0);
	assert_true(x.eof);
	assert_int_equal(te_run(l, 100, NULL, NULL), 0);   /* the FIN's ACK arrives */
	assert_int_equal(x.tx->state, TCP_FIN_WAIT_2);
	assert_int_equal(x.rx->state, TCP_CLOSE_WAIT);
	/* B -> A still works after A's FIN. */
	memset(buf, 'h', sizeof(buf));
	assert_int_equal(tcp_send(x.rx, &iov, 1, 0), (ssize_t)sizeof(buf));
	assert_int_equal(te_run(l, 1000, NULL, NULL), 0);
	while (got < sizeof(buf)) {
		ssize_t r = tcp_recv(x.tx, &iov, 1, 0);

		assert_true(r > 0);
		for (ssize_t i = 0; i < r; i++)
			assert_int_equal(buf[i], 'h');
		got += (size_t)r;
	}
	assert_int_equal(tcp_recv(x.tx, &iov, 1, 0), -EAGAIN);
	tcp_close(x.rx);   /* B's FIN: A reads EOF and enters TIME_WAIT */
	assert_int_equal(te_run(l, 1000, NULL, NULL), 0);
	assert_int_equal(tcp_recv(x.tx, &iov, 1, 0), 0);
	assert_int_equal(a->tcp->ntw, 1);
	x.rx = NULL;
	finish(l, &x);
}

/* B closes with unread data: RST; A's next call sees ECONNRESET. */
static void test_rst_on_close_unread(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(2, &a, &b);
	struct xfer x = { .rd_pause_until_ms = UINT64_MAX };
	char c = 0;
	struct iovec iov = { &c, 1 };

	(void)state;
	xfer_start(&x, a, b, 84, 5000);
	x.shut_tx = true;
	assert_int_equal(te_run(l, 1000, NULL, NULL), 0);
	xfer_step(&x);
	assert_int_equal(te_run(l, 1000, NULL, NULL), 0);
	assert_non_null(x.rx);
	assert_int_equal(x.rx->rcvq.len, 5000);
	tcp_close(x.rx);
	x.rx = NULL;
	assert_int_equal(te_run(l, 1000, NULL, NULL), 0);
	assert_int_equal(x.tx->state, TCP_CLOSED);
	assert_int_equal(tcp_recv(x.tx, &iov, 1, 0), -ECONNRESET);
	assert_int_equal(tcp_send(x.tx, &iov, 1, 0), -EPIPE);
	assert_int_equal(b->counters.stat[US_STAT_TcpExtTCPAbortOnClose], 1);
	assert_int_equal(a->counters.stat[US_STAT_TcpEstabResets], 1);
	finish(l, &x);
}

/* Keepalive (RFC 1122 4.2.3.6): probes after the idle time; answered, the connection
 * lives; once the peer is gone, KEEPCNT probes then ETIMEDOUT. */
struct ka_filter {
	unsigned probes;      /* keepalive probes A sent (segments at SND.UNA-1, no data) */
	bool cut;             /* drop everything B sends */
};

static bool ka_filter(void *arg, int dir, const struct te_out *f, uint64_t now_ms)
{
	struct ka_filter *k = arg;

	(void)now_ms;
	if (dir == 0 && f->len == 0 && f->th.flags == TCP_ACK)
		k->probes++;
	return dir == 1 && k->cut;
}

static void test_keepalive(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(1, &a, &b);
	struct xfer x = { 0 };
	struct ka_filter k = { 0 };
	int one = 1, idle = 10, intvl = 2, cnt = 3;
	uint64_t lr;

	(void)state;
	x.tx = tcp_sock_new(a);
	assert_int_equal(tcp_setsockopt(x.tx, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)), 0);
	assert_int_equal(tcp_setsockopt(x.tx, 6, 4 /* TCP_KEEPIDLE */, &idle, sizeof(idle)), 0);
	assert_int_equal(tcp_setsockopt(x.tx, 6, 5 /* TCP_KEEPINTVL */, &intvl, sizeof(intvl)), 0);
	assert_int_equal(tcp_setsockopt(x.tx, 6, 6 /* TCP_KEEPCNT */, &cnt, sizeof(cnt)), 0);
	xfer_start(&x, a, b, 85, 0);
	x.shut_tx = true;
	assert_int_equal(te_run(l, 100, NULL, NULL), 0);
	xfer_step(&x);
	assert_int_equal(x.tx->state, TCP_ESTABLISHED);
	te_link_set_filter(l, ka_filter, &k);
	k.probes = 0;
	/* Idle counts from the last segment received: the first probe is due exactly
	 * TCP_KEEPIDLE after it; the answer resets the count, the next comes 10 s later. */
	lr = x.tx->last_recv_ms;
	run_until(l, lr + 9999);
	assert_int_equal(k.probes, 0);
	run_until(l, lr + 10000);
	assert_int_equal(k.probes, 1);
	run_until(l, lr + 10100);
	assert_int_equal(x.tx->last_recv_ms, lr + 10002);   /* answered after 1 + 1 ms */
	lr = x.tx->last_recv_ms;
	run_until(l, lr + 9999);
	assert_int_equal(k.probes, 1);
	run_until(l, lr + 10000);
	assert_int_equal(k.probes, 2);
	run_until(l, lr + 10100);
	assert_int_equal(x.tx->state, TCP_ESTABLISHED);
	/* The peer vanishes: a probe every TCP_KEEPINTVL, then after TCP_KEEPCNT
	 * unanswered ones the connection is reset with ETIMEDOUT. */
	k.cut = true;
	lr = x.tx->last_recv_ms;
	run_until(l, lr + 10000);
	assert_int_equal(k.probes, 3);
	run_until(l, lr + 12000);
	assert_int_equal(k.probes, 4);
	run_until(l, lr + 14000);
	assert_int_equal(k.probes, 5);
	assert_int_equal(x.tx->state, TCP_ESTABLISHED);
	run_until(l, lr + 15999);
	assert_int_equal(x.tx->state, TCP_ESTABLISHED);
	run_until(l, lr + 16000);
	assert_int_equal(x.tx->state, TCP_CLOSED);
	assert_int_equal(tcp_sock_error(x.tx), ETIMEDOUT);
	assert_int_equal(a->counters.stat[US_STAT_TcpExtTCPKeepAlive], 5);
	k.cut = false;
	finish(l, &x);
}

/* A tiny receive buffer and a reader that pauses: the window closes, the sender
 * probes, and the transfer resumes when the reader drains it (no stall). */
static void test_zero_window_stall(void **state)
{
	struct us_stack *a, *b;
	struct te_link *l = te_link_new(3, &a, &b);
	struct xfer x = { .rd_chunk = 700 };
	int small = 4096;

	(void)state;
	x.lst = tcp_sock_new(b);
	assert_int_equal(tcp_setsockopt(x.lst, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	assert_int_equal(tcp_bind(x.lst, 0, 86), 0);
	assert_int_equal(tcp_listen(x.lst, 8), 0);
	xfer_start(&x, a, b, 86, 300000);
	/* The reader sleeps for 5 s first: the window closes and stays closed. */
	x.rd_pause_until_ms = te_now_ms(b) + 5000;
	assert_int_equal(te_run(l, 60000, xfer_step, &x), 0);
	assert_false(x.mismatch);
	assert_int_equal(x.rcvd, 300000);
	assert_true(x.tx_hash == x.rx_hash);
	assert_true(a->counters.stat[US_STAT_TcpExtTCPWinProbe] >= 1);
	/* SO_RCVBUF fixed the buffer: no autotuning past it. */
	assert_int_equal(x.rx->rcvbuf, 4096);
	finish(l, &x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bulk_transfer),
		cmocka_unit_test(test_small_writes),
		cmocka_unit_test(test_simultaneous_close),
		cmocka_unit_test(test_half_close),
		cmocka_unit_test(test_rst_on_close_unread),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_zero_window_stall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
