/*
 * tcp_app.c - see tcp_app.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "tcp_app.h"

#include "tcp/tcp_sock.h"

enum { BUF = 65536 };
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

uint8_t xfer_byte(uint64_t i)
{
	uint64_t x = (i >> 3) * 0x9E3779B97F4A7C15ull;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 32;
	return (uint8_t)(x >> ((i & 7) * 8));
}

static uint64_t fnv(uint64_t h, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

void xfer_start(struct xfer *x, struct us_stack *a, struct us_stack *b, uint16_t port,
		uint64_t total)
{
	x->a = a;
	x->b = b;
	x->port = port;
	x->total = total;
	x->tx_hash = x->rx_hash = FNV_OFFSET;
	if (!x->lst) {
		x->lst = tcp_sock_new(b);
		assert_non_null(x->lst);
		assert_int_equal(tcp_bind(x->lst, 0, port), 0);
		assert_int_equal(tcp_listen(x->lst, 8), 0);
	}
	if (!x->tx) {
		x->tx = tcp_sock_new(a);
		assert_non_null(x->tx);
	}
	assert_int_equal(tcp_connect(x->tx, TE_US, port), -EINPROGRESS);
}

static void do_send(struct xfer *x)
{
	static uint8_t buf[BUF];

	if (x->tx->state < TCP_ESTABLISHED) {
		if (x->tx->flags & TF_DONE && !x->tx_err)
			x->tx_err = tcp_sock_error(x->tx);
		return;
	}
	while (x->sent < x->total) {
		uint32_t chunk = x->wr_chunk ? x->wr_chunk : BUF;
		uint64_t left = x->total - x->sent;
		uint32_t n = left < chunk ? (uint32_t)left : chunk;
		struct iovec iov = { buf, n };
		ssize_t r;

		for (uint32_t i = 0; i < n; i++)
			buf[i] = xfer_byte(x->sent + i);
		r = tcp_send(x->tx, &iov, 1, 0);
		if (r <= 0) {
			if (r < 0 && r != -EAGAIN && !x->tx_err)
				x->tx_err = (int)-r;
			return;
		}
		x->tx_hash = fnv(x->tx_hash, buf, (size_t)r);
		x->sent += (uint64_t)r;
	}
	if (!x->shut_tx) {
		assert_int_equal(tcp_shutdown(x->tx, SHUT_WR), 0);
		x->shut_tx = true;
	}
}

static void do_recv(struct xfer *x)
{
	static uint8_t buf[BUF];

	if (!x->rx && tcp_accept(x->lst, &x->rx) < 0)
		return;
	if (x->b->now_ms < x->rd_pause_until_ms)
		return;
	for (int k = 0; k < 1000 && !x->eof; k++) {
		struct iovec iov = { buf, x->rd_chunk ? x->rd_chunk : BUF };
		ssize_t r = tcp_recv(x->rx, &iov, 1, 0);

		if (r == -EAGAIN)
			return;
		if (r < 0) {
			if (!x->rx_err)
				x->rx_err = (int)-r;
			return;
		}
		if (r == 0) {
			x->eof = true;
			return;
		}
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != xfer_byte(x->rcvd + (uint64_t)i))
				x->mismatch = true;
		x->rx_hash = fnv(x->rx_hash, buf, (size_t)r);
		x->rcvd += (uint64_t)r;
		if (x->rd_chunk)
			return;   /* a slow reader: one chunk per round */
	}
}

bool xfer_step(void *arg)
{
	struct xfer *x = arg;

	do_send(x);
	do_recv(x);
	if (x->eof && x->close_when_done && !x->closed) {
		tcp_close(x->rx);
		tcp_close(x->tx);
		tcp_close(x->lst);
		x->closed = true;
	}
	return (x->eof && x->rcvd == x->total) || x->rx_err || x->tx_err || x->mismatch;
}

bool xfer_all_gone(void *arg)
{
	struct xfer *x = arg;

	return !x->a->tcp->nsocks && !x->a->tcp->ntw && !x->b->tcp->nsocks && !x->b->tcp->ntw &&
	       !x->a->tcp->nreq && !x->b->tcp->nreq;
}
