/*
 * ring.c - the byte ring behind TCP's send and receive queues (DESIGN.md section 7).
 *
 * Layout: one malloc'd buffer of exactly @cap bytes; offset 0 lives at buf[head] and
 * offset k at buf[(head + k) mod cap]. Capacities need not be powers of two (they follow
 * the socket buffer settings and autotuning), so the wrap is a compare and a subtract,
 * never a mask, and it is written so that head + k cannot overflow 32 bits.
 *
 * The bytes beyond len are not garbage to us: the receive path places out-of-order data
 * there with us_ring_write_at() and later makes it in-order with us_ring_commit(). For
 * that reason nothing here moves head except consuming bytes (us_ring_read), and a resize
 * keeps every offset that still fits, not only the bytes held: a receive buffer that
 * autotunes up while it holds out-of-order data must not lose that data, or the interval
 * set describing it would lie.
 *
 * Never allocates except in init and resize; never aborts on exhaustion (-ENOMEM).
 */
#include "base/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/compiler.h"

static inline uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* Index in buf of offset @off (off <= cap), written so head + off cannot overflow. */
static uint32_t ring_index(const struct us_ring *r, uint32_t off)
{
	uint32_t to_end = r->cap - r->head;

	return off >= to_end ? off - to_end : r->head + off;
}

/* Copies @n bytes (n <= cap - off) into offsets [off, off+n), handling the wrap. */
static void ring_copy_in(struct us_ring *r, uint32_t off, const uint8_t *src, uint32_t n)
{
	uint32_t pos, first;

	if (n == 0)
		return;
	pos = ring_index(r, off);
	first = min_u32(n, r->cap - pos);
	memcpy(r->buf + pos, src, first);
	if (first < n)
		memcpy(r->buf, src + first, n - first);
}

/* Copies offsets [off, off+n) (n <= cap - off) out, handling the wrap. */
static void ring_copy_out(const struct us_ring *r, uint32_t off, uint8_t *dst, uint32_t n)
{
	uint32_t pos, first;

	if (n == 0)
		return;
	pos = ring_index(r, off);
	first = min_u32(n, r->cap - pos);
	memcpy(dst, r->buf + pos, first);
	if (first < n)
		memcpy(dst + first, r->buf, n - first);
}

int us_ring_init(struct us_ring *r, uint32_t cap)
{
	r->buf = NULL;
	r->cap = 0;
	r->head = 0;
	r->len = 0;
	if (cap == 0)
		return 0;
	r->buf = malloc(cap);
	if (!r->buf)
		return -ENOMEM;
	r->cap = cap;
	return 0;
}

void us_ring_free(struct us_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
	r->head = 0;
	r->len = 0;
}

int us_ring_resize(struct us_ring *r, uint32_t cap)
{
	uint8_t *nbuf = NULL;

	if (cap < r->len)
		return -EINVAL;
	if (cap == r->cap)
		return 0;
	if (cap > 0) {
		nbuf = malloc(cap);
		if (!nbuf)
			return -ENOMEM; /* the ring is unchanged */
		/*
		 * Keep every offset that fits in both sizes, including out-of-order bytes
		 * placed beyond len (see the file comment); the new layout starts at 0.
		 */
		ring_copy_out(r, 0, nbuf, min_u32(cap, r->cap));
	}
	free(r->buf);
	r->buf = nbuf;
	r->cap = cap;
	r->head = 0;
	return 0;
}

uint32_t us_ring_write(struct us_ring *r, const void *data, uint32_t n)
{
	n = min_u32(n, us_ring_space(r));
	ring_copy_in(r, r->len, data, n);
	r->len += n;
	return n;
}

uint32_t us_ring_peek(const struct us_ring *r, uint32_t off, void *out, uint32_t n)
{
	if (off >= r->len)
		return 0;
	n = min_u32(n, r->len - off);
	ring_copy_out(r, off, out, n);
	return n;
}

uint32_t us_ring_read(struct us_ring *r, void *out, uint32_t n)
{
	n = min_u32(n, r->len);
	if (n == 0)
		return 0;
	if (out)
		ring_copy_out(r, 0, out, n);
	/*
	 * head only moves forward, even when the ring empties: out-of-order bytes may sit
	 * beyond len, and re-basing head would move them to other offsets.
	 */
	r->head = ring_index(r, n); /* < cap: ring_index(cap) is head itself */
	r->len -= n;
	return n;
}

bool us_ring_write_at(struct us_ring *r, uint32_t off, const void *data, uint32_t n)
{
	/* off + n <= cap, written without the sum (which could wrap). */
	if (off < r->len || off > r->cap || n > r->cap - off)
		return false;
	ring_copy_in(r, off, data, n);
	return true;
}

void us_ring_commit(struct us_ring *r, uint32_t n)
{
	/* A caller committing more than the space is a bug in the caller, not bad input. */
	US_ASSERT(n <= us_ring_space(r));
	r->len += n;
}

int us_ring_iov(const struct us_ring *r, uint32_t off, uint32_t n, struct iovec iov[2])
{
	uint32_t pos, first;

	if (off >= r->len)
		return 0;
	n = min_u32(n, r->len - off);
	if (n == 0)
		return 0;
	pos = ring_index(r, off);
	first = min_u32(n, r->cap - pos);
	iov[0].iov_base = r->buf + pos;
	iov[0].iov_len = first;
	if (first == n)
		return 1;
	iov[1].iov_base = r->buf;
	iov[1].iov_len = n - first;
	return 2;
}
