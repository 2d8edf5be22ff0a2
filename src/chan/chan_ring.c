/*
 * chan_ring.c - the shared single-producer/single-consumer byte ring of the channel
 * (see chan_ring.h for the layout, the memory ordering and the sleeping protocol).
 *
 * Both indexes are loaded from shared memory at every call, so a view serves a
 * producer or a consumer alike. A peer that scribbles on the header can at worst make
 * the ring look inconsistent (then -EPROTO for ever) or garble the bytes of its own
 * stream; it can never make us read or write outside the mapping: every copy is
 * masked into the data area and bounded by a count checked against the size captured
 * when this side attached.
 */
#include "chan/chan_ring.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#define CHAN_RING_MAGIC 0x676e7275u /* "urng" */

struct chan_ring_shared {
	_Alignas(64) _Atomic uint32_t tail;        /* stored by the producer only */
	_Atomic uint32_t writer_waiting;           /* the producer sleeps for room */
	_Alignas(64) _Atomic uint32_t head;        /* stored by the consumer only */
	_Atomic uint32_t reader_waiting;           /* the consumer sleeps for data */
	_Alignas(64) uint32_t magic;
	uint32_t size;
};

_Static_assert(sizeof(struct chan_ring_shared) == CHAN_RING_HDR_SIZE,
	       "the shared header is part of the channel's ABI");

static bool is_pow2(uint32_t x) { return x && !(x & (x - 1)); }

int chan_ring_init(struct chan_ring *r, void *mem, size_t mem_len, uint32_t size)
{
	struct chan_ring_shared *sh = mem;

	if (!mem || ((uintptr_t)mem & 63) || !is_pow2(size) || size < CHAN_RING_MIN_SIZE ||
	    size > CHAN_RING_MAX_SIZE || mem_len < chan_ring_footprint(size))
		return -EINVAL;
	memset(sh, 0, sizeof(*sh));
	sh->magic = CHAN_RING_MAGIC;
	sh->size = size;
	atomic_store_explicit(&sh->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&sh->head, 0, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	*r = (struct chan_ring){ .sh = sh, .data = (uint8_t *)mem + CHAN_RING_HDR_SIZE,
				 .size = size, .mask = size - 1 };
	return 0;
}

int chan_ring_attach(struct chan_ring *r, void *mem, size_t mem_len)
{
	struct chan_ring_shared *sh = mem;
	uint32_t size, used;

	memset(r, 0, sizeof(*r));
	r->broken = true;
	if (!mem || ((uintptr_t)mem & 63) || mem_len < CHAN_RING_HDR_SIZE)
		return -EPROTO;
	atomic_thread_fence(memory_order_acquire);
	size = sh->size;
	if (sh->magic != CHAN_RING_MAGIC || !is_pow2(size) || size < CHAN_RING_MIN_SIZE ||
	    size > CHAN_RING_MAX_SIZE || mem_len < chan_ring_footprint(size))
		return -EPROTO;
	used = atomic_load_explicit(&sh->tail, memory_order_acquire) -
	       atomic_load_explicit(&sh->head, memory_order_acquire);
	if (used > size)
		return -EPROTO;
	*r = (struct chan_ring){ .sh = sh, .data = (uint8_t *)mem + CHAN_RING_HDR_SIZE,
				 .size = size, .mask = size - 1 };
	return 0;
}

/* Both indexes, acquired (the bytes they count are visible). More used bytes than
 * the size is corruption. */
static int indexes(struct chan_ring *r, uint32_t *head, uint32_t *tail)
{
	if (r->broken)
		return -EPROTO;
	*head = atomic_load_explicit(&r->sh->head, memory_order_acquire);
	*tail = atomic_load_explicit(&r->sh->tail, memory_order_acquire);
	if (*tail - *head > r->size) {
		r->broken = true;
		return -EPROTO;
	}
	return 0;
}

ssize_t chan_ring_readable(struct chan_ring *r)
{
	uint32_t head, tail;
	int err = indexes(r, &head, &tail);

	return err ? err : (ssize_t)(tail - head);
}

ssize_t chan_ring_writable(struct chan_ring *r)
{
	uint32_t head, tail;
	int err = indexes(r, &head, &tail);

	return err ? err : (ssize_t)(r->size - (tail - head));
}

/* Copies @n bytes into the ring at free-running index @at (wrapping). */
static void put_bytes(struct chan_ring *r, uint32_t at, const void *buf, size_t n)
{
	uint32_t pos = at & r->mask;
	size_t first = r->size - pos;

	if (first > n)
		first = n;
	memcpy(r->data + pos, buf, first);
	memcpy(r->data, (const uint8_t *)buf + first, n - first);
}

/* Copies @n bytes out of the ring from free-running index @at (wrapping). */
static void get_bytes(const struct chan_ring *r, uint32_t at, void *buf, size_t n)
{
	uint32_t pos = at & r->mask;
	size_t first = r->size - pos;

	if (first > n)
		first = n;
	memcpy(buf, r->data + pos, first);
	memcpy((uint8_t *)buf + first, r->data, n - first);
}

/* Publishes a new tail; tells whether the consumer sleeps and must be signalled. */
static bool publish_tail(struct chan_ring *r, uint32_t tail)
{
	atomic_store_explicit(&r->sh->tail, tail, memory_order_release);
	/* Pairs with the fence in chan_ring_reader_wait_prepare (see the header). */
	atomic_thread_fence(memory_order_seq_cst);
	return atomic_load_explicit(&r->sh->reader_waiting, memory_order_relaxed) &&
	       atomic_exchange_explicit(&r->sh->reader_waiting, 0, memory_order_relaxed);
}

static bool publish_head(struct chan_ring *r, uint32_t head)
{
	atomic_store_explicit(&r->sh->head, head, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	return atomic_load_explicit(&r->sh->writer_waiting, memory_order_relaxed) &&
	       atomic_exchange_explicit(&r->sh->writer_waiting, 0, memory_order_relaxed);
}

ssize_t chan_ring_writev(struct chan_ring *r, const struct iovec *iov, int iovcnt, bool *wake)
{
	uint32_t head, tail, room, done = 0;
	int err = indexes(r, &head, &tail);

	*wake = false;
	if (err)
		return err;
	room = r->size - (tail - head);
	for (int i = 0; i < iovcnt && done < room; i++) {
		size_t n = iov[i].iov_len;

		if (n > room - done)
			n = room - done;
		put_bytes(r, tail + done, iov[i].iov_base, n);
		done += (uint32_t)n;
	}
	if (done)
		*wake = publish_tail(r, tail + done);
	return done;
}

ssize_t chan_ring_write(struct chan_ring *r, const void *buf, size_t n, bool *wake)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = n };

	return chan_ring_writev(r, &iov, 1, wake);
}

ssize_t chan_ring_peek(struct chan_ring *r, size_t off, void *buf, size_t n)
{
	uint32_t head, tail, used;
	int err = indexes(r, &head, &tail);

	if (err)
		return err;
	used = tail - head;
	if (off >= used)
		return 0;
	if (n > used - off)
		n = used - off;
	get_bytes(r, head + (uint32_t)off, buf, n);
	return (ssize_t)n;
}

ssize_t chan_ring_consume(struct chan_ring *r, size_t n, bool *wake)
{
	uint32_t head, tail, used;
	int err = indexes(r, &head, &tail);

	*wake = false;
	if (err)
		return err;
	used = tail - head;
	if (n > used)
		n = used;
	if (n)
		*wake = publish_head(r, head + (uint32_t)n);
	return (ssize_t)n;
}

ssize_t chan_ring_read(struct chan_ring *r, void *buf, size_t n, bool *wake)
{
	ssize_t got = chan_ring_peek(r, 0, buf, n);

	*wake = false;
	if (got <= 0)
		return got;
	return chan_ring_consume(r, (size_t)got, wake);
}

ssize_t chan_ring_readv(struct chan_ring *r, const struct iovec *iov, int iovcnt, bool *wake)
{
	size_t done = 0;

	*wake = false;
	for (int i = 0; i < iovcnt; i++) {
		ssize_t got = chan_ring_peek(r, done, iov[i].iov_base, iov[i].iov_len);

		if (got < 0)
			return got;
		done += (size_t)got;
		if ((size_t)got < iov[i].iov_len)
			break;
	}
	if (!done)
		return 0;
	return chan_ring_consume(r, done, wake);
}

ssize_t chan_ring_reader_wait_prepare(struct chan_ring *r)
{
	ssize_t n;

	if (r->broken)
		return -EPROTO;
	atomic_store_explicit(&r->sh->reader_waiting, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	n = chan_ring_readable(r);
	if (n != 0)
		chan_ring_reader_wait_cancel(r);
	return n;
}

ssize_t chan_ring_writer_wait_prepare(struct chan_ring *r)
{
	ssize_t n;

	if (r->broken)
		return -EPROTO;
	atomic_store_explicit(&r->sh->writer_waiting, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	n = chan_ring_writable(r);
	if (n != 0)
		chan_ring_writer_wait_cancel(r);
	return n;
}

void chan_ring_reader_wait_cancel(struct chan_ring *r)
{
	atomic_store_explicit(&r->sh->reader_waiting, 0, memory_order_relaxed);
}

void chan_ring_writer_wait_cancel(struct chan_ring *r)
{
	atomic_store_explicit(&r->sh->writer_waiting, 0, memory_order_relaxed);
}

ssize_t chan_record_write(struct chan_ring *r, const struct iovec *iov, int iovcnt, bool *wake)
{
	uint32_t head, tail, room, at;
	size_t len = 0, need;
	uint32_t len32;
	int err = indexes(r, &head, &tail);

	*wake = false;
	if (err)
		return err;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > r->size)
			return -EMSGSIZE;
		len += iov[i].iov_len;
	}
	need = chan_record_footprint(len);
	if (need > r->size)
		return -EMSGSIZE;
	room = r->size - (tail - head);
	if (need > room)
		return -EAGAIN;
	len32 = (uint32_t)len;
	put_bytes(r, tail, &len32, sizeof(len32));
	at = tail + CHAN_RECORD_HDR;
	for (int i = 0; i < iovcnt; i++) {
		put_bytes(r, at, iov[i].iov_base, iov[i].iov_len);
		at += (uint32_t)iov[i].iov_len;
	}
	*wake = publish_tail(r, tail + (uint32_t)need);
	return (ssize_t)len;
}

/* The next record's length, checked against what is readable. */
static ssize_t record_len(struct chan_ring *r, uint32_t head, uint32_t tail)
{
	uint32_t used = tail - head, len32;

	if (!used)
		return -EAGAIN;
	/* Records are written whole: a partial one is a peer breaking the protocol. */
	if (used < CHAN_RECORD_HDR)
		goto broken;
	get_bytes(r, head, &len32, sizeof(len32));
	if (len32 > r->size || chan_record_footprint(len32) > used)
		goto broken;
	return len32;
broken:
	r->broken = true;
	return -EPROTO;
}

ssize_t chan_record_next_len(struct chan_ring *r)
{
	uint32_t head, tail;
	int err = indexes(r, &head, &tail);

	return err ? err : record_len(r, head, tail);
}

ssize_t chan_record_read(struct chan_ring *r, void *buf, size_t n, bool peek, bool *wake)
{
	uint32_t head, tail;
	ssize_t len;
	int err = indexes(r, &head, &tail);

	*wake = false;
	if (err)
		return err;
	len = record_len(r, head, tail);
	if (len < 0)
		return len;
	if (n > (size_t)len)
		n = (size_t)len;
	get_bytes(r, head + CHAN_RECORD_HDR, buf, n);
	if (!peek)
		*wake = publish_head(r, head + (uint32_t)chan_record_footprint((size_t)len));
	return len;
}
