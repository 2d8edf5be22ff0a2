/*
 * dev_test.h - helpers shared by the device unit tests: stacks on a virtual
 * clock and frames with recognisable contents.
 */
#ifndef US_TEST_DEV_TEST_H
#define US_TEST_DEV_TEST_H

#include <stdint.h>
#include <string.h>

#include "core/stack.h"
#include "ustack/ustack.h"

#define T_START_NS (5 * US_NSEC_PER_SEC)

static inline struct us_stack *t_stack(uint64_t seed)
{
	struct us_stack_opts o = {
		.virtual_clock = true,
		.clock_start_ns = T_START_NS,
		.no_loopback = true,
		.seed = seed,
	};
	struct us_stack *st = us_stack_new(&o);

	assert_non_null(st);
	return st;
}

/*
 * An Ethernet frame of @len bytes (>= 16) from @src to @dst with the IEEE
 * "local experimental" EtherType 0x88b5 (nothing in the stack handles it), a
 * 16-bit sequence number and a payload pattern derived from it.
 */
static inline void t_frame(uint8_t *f, size_t len, const uint8_t *dst, const uint8_t *src,
			   uint16_t seq)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	f[14] = (uint8_t)(seq >> 8);
	f[15] = (uint8_t)seq;
	for (size_t i = 16; i < len; i++)
		f[i] = (uint8_t)(seq + i);
}

/* Queues a frame on @dev's transmit queue (what eth_output does). */
static inline void t_send(struct us_stack *st, struct us_netdev *dev, const uint8_t *f, size_t len)
{
	struct us_pkt *p = us_pkt_alloc(&st->pool, len);

	assert_non_null(p);
	memcpy(us_pkt_put(p, len), f, len);
	us_dev_queue_xmit(dev, p);
}

static inline uint64_t t_counter(struct us_stack *st, const char *name)
{
	uint64_t v = 0;

	assert_int_equal(us_stack_counter(st, name, &v), 0);
	return v;
}

static inline void t_no_leaks(struct us_stack *st)
{
	assert_int_equal(st->pool.in_use, 0);
	assert_int_equal(st->pool.large_in_use, 0);
}

#endif
