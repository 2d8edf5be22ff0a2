/*
 * ring.h - a byte ring buffer, the storage of TCP's send and receive queues
 * (DESIGN.md section 7). No per-segment copies are kept: the sender cuts
 * segments from ring offsets when it transmits and again when it retransmits;
 * the receiver writes out-of-order data at its offset beyond the in-order bytes
 * and commits it when the gap fills.
 *
 * Offsets are relative to the first byte held (offset 0 = the oldest byte: for
 * the send queue SND.UNA, for the receive queue the next byte the application
 * reads). Capacity can grow (autotuning) or shrink down to what is held, keeping
 * the content. The storage is allocated once per resize, never per byte.
 */
#ifndef US_BASE_RING_H
#define US_BASE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct us_ring {
	uint8_t *buf;
	uint32_t cap;    /* bytes of storage */
	uint32_t head;   /* index in buf of offset 0 */
	uint32_t len;    /* bytes held (offsets 0 .. len-1) */
};

/* 0 or -ENOMEM. A capacity of 0 allocates nothing until the first resize. */
int us_ring_init(struct us_ring *r, uint32_t cap);
void us_ring_free(struct us_ring *r);
/* Changes the capacity to @cap (>= r->len), keeping the bytes held. 0, -EINVAL, -ENOMEM. */
int us_ring_resize(struct us_ring *r, uint32_t cap);
static inline uint32_t us_ring_space(const struct us_ring *r) { return r->cap - r->len; }

/* Appends up to @n bytes; returns how many fit. */
uint32_t us_ring_write(struct us_ring *r, const void *data, uint32_t n);
/* Copies up to @n bytes starting at offset @off (not consumed); returns how many. */
uint32_t us_ring_peek(const struct us_ring *r, uint32_t off, void *out, uint32_t n);
/* Consumes up to @n bytes from the front into @out (NULL: just discard); returns how many. */
uint32_t us_ring_read(struct us_ring *r, void *out, uint32_t n);
/*
 * Writes @n bytes at offset @off >= r->len (beyond the bytes held: out-of-order data),
 * without changing len. Requires off + n <= cap; returns false (nothing written) if not.
 */
bool us_ring_write_at(struct us_ring *r, uint32_t off, const void *data, uint32_t n);
/* Extends len by @n over bytes already placed by us_ring_write_at (n <= space). */
void us_ring_commit(struct us_ring *r, uint32_t n);
/* Describes offsets [off, off+n) (clamped to len) as at most two iovecs; returns their count. */
int us_ring_iov(const struct us_ring *r, uint32_t off, uint32_t n, struct iovec iov[2]);

#endif
