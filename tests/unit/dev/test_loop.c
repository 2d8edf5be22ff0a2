/*
 * test_loop.c - the loopback device: its identity (name, link type, flags,
 * MTU), transmit turning into receive in the same buffers, US_PKT_F_LOOPED,
 * shared buffers copied, the bounded queue, injection, and the stack's default
 * "lo".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "dev/devices.h"
#include "dev_test.h"

/* An IPv4 header + 4 bytes: 127.0.0.1 -> 127.0.0.1, UDP, no checksums needed here. */
static const uint8_t DGRAM[] = {
	0x45, 0x00, 0x00, 0x18, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x70, 0x69, 0x6e, 0x67,
};

static struct us_netdev *make_lo(struct us_stack *st)
{
	int idx = us_loopback_create(st);

	assert_true(idx > 0);
	return us_netdev_by_index(st, idx);
}

static void identity(void **state)
{
	struct us_stack *st = t_stack(1);
	struct us_netdev *lo = make_lo(st);

	(void)state;
	assert_string_equal(lo->name, "lo");
	assert_string_equal(lo->ops->kind, "loopback");
	assert_int_equal(lo->link, US_LINK_LOOPBACK);
	assert_int_equal(lo->flags & (US_DEV_UP | US_DEV_LOOPBACK | US_DEV_NOARP),
			 US_DEV_UP | US_DEV_LOOPBACK | US_DEV_NOARP);
	assert_int_equal(lo->mtu, 65536);
	assert_int_equal(lo->fd, -1);
	assert_int_equal(us_loopback_create(st), -EEXIST);
	assert_int_equal(us_dev_set_mtu(st, lo->ifindex, 65536), 0); /* lo may keep 64 KB */
	assert_int_equal(lo->ops->next_rx_ns(lo), UINT64_MAX);
	us_stack_free(st);
}

static void tx_comes_back_as_rx(void **state)
{
	struct us_stack *st = t_stack(1);
	struct us_netdev *lo = make_lo(st);
	struct us_pkt *p, *q, *b[4];

	(void)state;
	p = us_pkt_alloc(&st->pool, sizeof(DGRAM));
	memcpy(us_pkt_put(p, sizeof(DGRAM)), DGRAM, sizeof(DGRAM));
	p->flags = US_PKT_F_LOCAL_OUT;
	p->nexthop = 0x7f000001;
	us_pkt_set_network(p);
	us_dev_queue_xmit(lo, p);

	/* A second one that someone else still holds a reference to. */
	q = us_pkt_alloc(&st->pool, sizeof(DGRAM));
	memcpy(us_pkt_put(q, sizeof(DGRAM)), DGRAM, sizeof(DGRAM));
	us_pkt_get(q);
	us_dev_queue_xmit(lo, q);

	assert_int_equal(us_netdev_flush(lo), 2);
	assert_int_equal(lo->ops->next_rx_ns(lo), 0);
	assert_int_equal(lo->ops->rx_batch(lo, b, 4), 2);
	/* The first is the very same buffer, reset to a received state. */
	assert_ptr_equal(b[0], p);
	assert_int_equal(b[0]->flags, US_PKT_F_LOOPED);
	assert_int_equal(b[0]->nexthop, 0);
	assert_int_equal(b[0]->net_off, US_PKT_NOHDR);
	assert_memory_equal(b[0]->data, DGRAM, sizeof(DGRAM));
	/* The shared one was copied; the holder's reference is untouched. */
	assert_ptr_not_equal(b[1], q);
	assert_int_equal(q->refcnt, 1);
	assert_int_equal(b[1]->flags, US_PKT_F_LOOPED);
	assert_memory_equal(b[1]->data, DGRAM, sizeof(DGRAM));
	us_pkt_free(q);
	us_pkt_free(b[0]);
	us_pkt_free(b[1]);
	assert_int_equal(lo->ops->next_rx_ns(lo), UINT64_MAX);
	t_no_leaks(st);
	us_stack_free(st);
}

static void bounded_and_injectable(void **state)
{
	struct us_stack *st = t_stack(1);
	struct us_netdev *lo = make_lo(st);
	struct us_pkt *b[8];

	(void)state;
	assert_int_equal(us_stack_set(st, "net.core.netdev_max_backlog", "3"), 0);
	assert_int_equal(us_dev_inject(st, lo->ifindex, DGRAM, sizeof(DGRAM)), 0);
	for (int i = 0; i < 4; i++) {
		struct us_pkt *p = us_pkt_alloc(&st->pool, sizeof(DGRAM));

		memcpy(us_pkt_put(p, sizeof(DGRAM)), DGRAM, sizeof(DGRAM));
		us_dev_queue_xmit(lo, p);
	}
	assert_int_equal(us_netdev_flush(lo), 2);
	assert_int_equal(t_counter(st, "drop.DEV_RX_BACKLOG"), 2);
	assert_int_equal(us_dev_inject(st, lo->ifindex, DGRAM, sizeof(DGRAM)), -ENOBUFS);
	assert_int_equal(lo->ops->rx_batch(lo, b, 8), 3);
	assert_int_equal(b[0]->flags, US_PKT_F_LOOPED); /* injected ones too */
	for (int i = 0; i < 3; i++)
		us_pkt_free(b[i]);
	t_no_leaks(st);
	us_stack_free(st);
}

/* Queued frames are released when the device goes away with its stack. */
static void close_releases_queue(void **state)
{
	struct us_stack *st = t_stack(1);
	struct us_netdev *lo = make_lo(st);

	(void)state;
	assert_int_equal(us_dev_inject(st, lo->ifindex, DGRAM, sizeof(DGRAM)), 0);
	assert_int_equal(st->pool.in_use, 1);
	us_netdev_unregister(lo);
	t_no_leaks(st);
	us_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(identity),
		cmocka_unit_test(tx_comes_back_as_rx),
		cmocka_unit_test(bounded_and_injectable),
		cmocka_unit_test(close_releases_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
