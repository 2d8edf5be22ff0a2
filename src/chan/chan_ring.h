/*
 * chan_ring.h - a single-producer/single-consumer byte ring in memory shared by two
 * processes (or threads): the data path of the channel between an application and
 * the stack (DESIGN.md section 2). One ring per direction per socket; a busy stream
 * moves its bytes through rings alone, with no request and no syscall per send or
 * recv.
 *
 * Layout: a 192-byte header (the producer's index, the consumer's index and the size,
 * each on its own cache line) followed by the data, a power of two of bytes. The
 * indexes run freely modulo 2^32: used = tail - head. The producer alone stores tail,
 * the consumer alone stores head, with release stores and acquire loads, so the bytes
 * a side sees counted are the bytes the other side finished writing or reading.
 *
 * The other side may be a buggy or hostile process that scribbles on the header. So:
 * the size is read once, when a side attaches, into its private view; every index
 * loaded from shared memory is checked (used <= size), and a ring found inconsistent
 * reports -EPROTO for ever after (the owner closes the socket). No input makes this
 * code read or write outside the mapping.
 *
 * Sleeping without lost wake-ups (the eventfd is the caller's business): a side that
 * wants to sleep sets its "waiting" flag, makes a full fence, and checks the ring
 * again (chan_ring_*_wait_prepare); the other side, after moving its index, makes a
 * full fence and looks at the flag (the @wake results). One of the two always sees
 * the other's store (Dekker's pattern), so either the sleeper sees the new state or
 * the mover sees the flag and signals. Signals are therefore only sent when someone
 * sleeps, not at every empty -> non-empty transition.
 *
 * Records: datagram sockets carry whole messages. A record is a 4-byte length, then
 * that many bytes, padded to 8; a record is written whole or not at all.
 */
#ifndef US_CHAN_RING_H
#define US_CHAN_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define CHAN_RING_HDR_SIZE 192u
#define CHAN_RING_MIN_SIZE 64u
#define CHAN_RING_MAX_SIZE (1u << 30)
#define CHAN_RECORD_HDR 4u
#define CHAN_RECORD_ALIGN 8u

/* One side's private view of a ring in shared memory. */
struct chan_ring {
	struct chan_ring_shared *sh; /* the header in the mapping */
	uint8_t *data;               /* size bytes after the header */
	uint32_t size, mask;         /* captured at init/attach: never re-read */
	bool broken;                 /* the shared indexes were found inconsistent */
};

/* Bytes of shared memory a ring of @size data bytes needs. */
static inline size_t chan_ring_footprint(uint32_t size) { return CHAN_RING_HDR_SIZE + (size_t)size; }

/*
 * chan_ring_init - lay out an empty ring of @size bytes (a power of two in
 * [CHAN_RING_MIN_SIZE, CHAN_RING_MAX_SIZE]) in @mem (@mem_len bytes, 64-byte aligned,
 * at least chan_ring_footprint(size)) and fill the creator's view @r.
 * Return: 0 or -EINVAL.
 */
int chan_ring_init(struct chan_ring *r, void *mem, size_t mem_len, uint32_t size);
/*
 * chan_ring_attach - the other side's view of a ring another process laid out in @mem
 * (@mem_len bytes mapped). Checks the magic, the size against the mapping and the
 * indexes. Return: 0, or -EPROTO (not a ring, or inconsistent).
 */
int chan_ring_attach(struct chan_ring *r, void *mem, size_t mem_len);

/* Bytes ready to read, or -EPROTO. */
ssize_t chan_ring_readable(struct chan_ring *r);
/* Bytes of room to write, or -EPROTO. */
ssize_t chan_ring_writable(struct chan_ring *r);

/*
 * Producer: appends up to @n bytes (as many as fit). *@wake is set when the consumer
 * sleeps waiting for data and must be signalled. Return: bytes written (0 when full)
 * or -EPROTO.
 */
ssize_t chan_ring_write(struct chan_ring *r, const void *buf, size_t n, bool *wake);
/* The same from an iovec array. */
ssize_t chan_ring_writev(struct chan_ring *r, const struct iovec *iov, int iovcnt, bool *wake);

/*
 * Consumer: copies up to @n bytes from offset @off of the readable bytes, without
 * consuming them (MSG_PEEK). Return: bytes copied or -EPROTO.
 */
ssize_t chan_ring_peek(struct chan_ring *r, size_t off, void *buf, size_t n);
/*
 * Consumer: consumes @n bytes (at most the readable ones). *@wake is set when the
 * producer sleeps waiting for room and must be signalled. Return: bytes consumed or
 * -EPROTO.
 */
ssize_t chan_ring_consume(struct chan_ring *r, size_t n, bool *wake);
/* Consumer: peek + consume. */
ssize_t chan_ring_read(struct chan_ring *r, void *buf, size_t n, bool *wake);
/* The same into an iovec array. */
ssize_t chan_ring_readv(struct chan_ring *r, const struct iovec *iov, int iovcnt, bool *wake);

/*
 * Sleeping. The consumer calls chan_ring_reader_wait_prepare() before it sleeps:
 * a result > 0 (data came meanwhile) means "do not sleep" and the flag is already
 * cleared; 0 means sleep until signalled (then call it again). The producer side
 * is symmetrical (waiting for room). Negative: -EPROTO.
 */
ssize_t chan_ring_reader_wait_prepare(struct chan_ring *r);
ssize_t chan_ring_writer_wait_prepare(struct chan_ring *r);
/* Withdraw a prepared wait (the sleeper was woken for another reason). */
void chan_ring_reader_wait_cancel(struct chan_ring *r);
void chan_ring_writer_wait_cancel(struct chan_ring *r);

/* Room a record of @len bytes takes, header and padding included. */
static inline size_t chan_record_footprint(size_t len)
{
	return (CHAN_RECORD_HDR + len + CHAN_RECORD_ALIGN - 1) & ~(size_t)(CHAN_RECORD_ALIGN - 1);
}
/*
 * Producer: writes one record made of @iovcnt parts (e.g. an address header then the
 * payload), whole or not at all. Return: the record's length, -EAGAIN (no room now),
 * -EMSGSIZE (it could never fit), or -EPROTO.
 */
ssize_t chan_record_write(struct chan_ring *r, const struct iovec *iov, int iovcnt, bool *wake);
/* Consumer: the length of the next record, -EAGAIN (none), or -EPROTO. */
ssize_t chan_record_next_len(struct chan_ring *r);
/*
 * Consumer: copies up to @n bytes of the next record into @buf and, unless @peek,
 * consumes the whole record (the rest is lost, as a datagram too long for recv's
 * buffer). Return: the record's full length (MSG_TRUNC semantics), -EAGAIN, -EPROTO.
 */
ssize_t chan_record_read(struct chan_ring *r, void *buf, size_t n, bool peek, bool *wake);

#endif
