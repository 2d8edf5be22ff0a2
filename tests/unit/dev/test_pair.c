/*
 * test_pair.c - the in-memory pair device: frames cross between two stacks in
 * both directions and end up in the receiving stack's buffers; bounded receive
 * queue; offload metadata rebased; injection; a vanished peer; MTU; and the
 * public up/down, MTU and lookup functions. Tested at the device level
 * (us_netdev_flush / rx_batch), below Ethernet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "dev_test.h"

struct two {
	struct us_stack *a, *b;
	struct us_netdev *da, *db;
};

static void two_setup(struct two *t, uint64_t seed_a, uint64_t seed_b, const char *na,
		      const char *nb)
{
	int ia, ib = -1;

	t->a = t_stack(seed_a);
	t->b = t_stack(seed_b);
	ia = us_dev_pair_new(t->a, na, t->b, nb, &ib);
	assert_true(ia > 0);
	assert_true(ib > 0);
	t->da = us_netdev_by_index(t->a, ia);
	t->db = us_netdev_by_index(t->b, ib);
	assert_non_null(t->da);
	assert_non_null(t->db);
}

static void two_free(struct two *t)
{
	t_no_leaks(t->a);
	t_no_leaks(t->b);
	us_stack_free(t->a);
	us_stack_free(t->b);
}

/* Sends @n frames of @len bytes from @from to @to and checks they arrive intact,
 * in order, in buffers of @to's stack. */
static void cross(struct us_stack *sf, struct us_netdev *from, struct us_stack *stt,
		  struct us_netdev *to, int n, size_t len)
{
	uint8_t f[1600];
	struct us_pkt *b[16];

	assert_true(n <= 16);
	for (int i = 0; i < n; i++) {
		t_frame(f, len, to->hwaddr, from->hwaddr, (uint16_t)i);
		t_send(sf, from, f, len);
	}
	assert_int_equal(to->ops->next_rx_ns(to), UINT64_MAX);
	assert_int_equal(us_netdev_flush(from), n);
	assert_int_equal(sf->pool.in_use, 0); /* originals freed, copies belong to the peer */
	assert_int_equal(to->ops->next_rx_ns(to), 0);
	assert_int_equal(to->ops->rx_batch(to, b, 16), n);
	assert_int_equal(to->ops->next_rx_ns(to), UINT64_MAX);
	for (int i = 0; i < n; i++) {
		t_frame(f, len, to->hwaddr, from->hwaddr, (uint16_t)i);
		assert_int_equal(us_pkt_len(b[i]), len);
		assert_memory_equal(b[i]->data, f, len);
		assert_ptr_equal(b[i]->pool, &stt->pool);
		assert_int_equal(b[i]->csum, US_CSUM_NONE);
		us_pkt_free(b[i]);
	}
}

static void moves_frames_both_ways(void **state)
{
	struct two t;

	(void)state;
	two_setup(&t, 1, 2, "pa", "pb");
	assert_string_equal(t.da->ops->kind, "pair");
	assert_int_equal(t.da->link, US_LINK_ETHER);
	assert_int_equal(t.da->fd, -1);
	assert_int_equal(t.da->mtu, 1500);
	assert_true(t.da->flags & US_DEV_UP);
	/* Locally administered unicast addresses, different on the two ends. */
	assert_int_equal(t.da->hwaddr[0] & 0x03, 0x02);
	assert_int_equal(t.db->hwaddr[0] & 0x03, 0x02);
	assert_memory_not_equal(t.da->hwaddr, t.db->hwaddr, 6);

	cross(t.a, t.da, t.b, t.db, 3, 60);
	cross(t.b, t.db, t.a, t.da, 5, 1514);
	cross(t.a, t.da, t.b, t.db, 16, 1518); /* MTU + Ethernet + a VLAN tag still fits */
	assert_int_equal(t.da->stats.tx_packets, 19);
	assert_int_equal(t.db->stats.tx_packets, 5);
	assert_int_equal(t.da->stats.tx_bytes, 3 * 60 + 16 * 1518);
	assert_int_equal(t.db->stats.tx_bytes, 5 * 1514);
	assert_int_equal(t.da->stats.tx_dropped, 0);
	two_free(&t);
}

static void same_seed_same_name_still_differ(void **state)
{
	struct two t;

	(void)state;
	two_setup(&t, 42, 42, "eth0", "eth0");
	assert_memory_not_equal(t.da->hwaddr, t.db->hwaddr, 6);
	two_free(&t);

	/* And the derivation is deterministic: same seed, same name, same MAC. */
	{
		struct two u;
		uint8_t first[6];

		two_setup(&u, 42, 43, "eth0", "x");
		memcpy(first, u.da->hwaddr, 6);
		two_free(&u);
		two_setup(&u, 42, 44, "eth0", "y");
		assert_memory_equal(first, u.da->hwaddr, 6);
		two_free(&u);
	}
}

static void receive_queue_is_bounded(void **state)
{
	struct two t;
	uint8_t f[64];
	struct us_pkt *b[8];

	(void)state;
	two_setup(&t, 1, 2, "pa", "pb");
	assert_int_equal(us_stack_set(t.b, "net.core.netdev_max_backlog", "2"), 0);
	for (int i = 0; i < 5; i++) {
		t_frame(f, sizeof(f), t.db->hwaddr, t.da->hwaddr, (uint16_t)i);
		t_send(t.a, t.da, f, sizeof(f));
	}
	assert_int_equal(us_netdev_flush(t.da), 2);
	assert_int_equal(t.da->stats.tx_dropped, 3);
	/* Only the frames the peer took count as bytes sent. */
	assert_int_equal(t.da->stats.tx_bytes, 2 * sizeof(f));
	assert_int_equal(t.db->stats.rx_dropped, 3);
	/* The reason is counted where the queue is: in the receiving stack. */
	assert_int_equal(t_counter(t.b, "drop.DEV_RX_BACKLOG"), 3);
	assert_int_equal(t_counter(t.a, "drop.DEV_RX_BACKLOG"), 0);
	assert_int_equal(t.db->ops->rx_batch(t.db, b, 8), 2);
	assert_int_equal(b[0]->data[15], 0); /* the first two, in order */
	assert_int_equal(b[1]->data[15], 1);
	us_pkt_free(b[0]);
	us_pkt_free(b[1]);
	/* Injection respects the same bound. */
	assert_int_equal(us_dev_inject(t.b, t.db->ifindex, f, sizeof(f)), 0);
	assert_int_equal(us_dev_inject(t.b, t.db->ifindex, f, sizeof(f)), 0);
	assert_int_equal(us_dev_inject(t.b, t.db->ifindex, f, sizeof(f)), -ENOBUFS);
	assert_int_equal(t.db->ops->rx_batch(t.db, b, 1), 1); /* batch size is respected */
	us_pkt_free(b[0]);
	assert_int_equal(t.db->ops->rx_batch(t.db, b, 8), 1);
	us_pkt_free(b[0]);
	two_free(&t);
}

static void offload_metadata_is_rebased(void **state)
{
	struct two t;
	uint8_t f[80];
	struct us_pkt *p, *b[2];

	(void)state;
	two_setup(&t, 1, 2, "pa", "pb");
	t_frame(f, sizeof(f), t.db->hwaddr, t.da->hwaddr, 9);
	p = us_pkt_alloc_headroom(&t.a->pool, 40, sizeof(f));
	assert_non_null(p);
	memcpy(us_pkt_put(p, sizeof(f)), f, sizeof(f));
	p->csum = US_CSUM_PARTIAL;
	p->csum_start = 40 + 34;
	p->csum_offset = 6;
	p->gso_size = 1000;
	p->gso_type = US_GSO_UDP_L4;
	p->mark = 77;
	p->flags = US_PKT_F_LOCAL_OUT;
	us_dev_queue_xmit(t.da, p);
	assert_int_equal(us_netdev_flush(t.da), 1);
	assert_int_equal(t.db->ops->rx_batch(t.db, b, 2), 1);
	p = b[0];
	assert_memory_equal(p->data, f, sizeof(f));
	assert_int_equal(p->csum, US_CSUM_PARTIAL);
	assert_int_equal(p->csum_start, us_pkt_headroom(p) + 34);
	assert_int_equal(p->csum_offset, 6);
	assert_int_equal(p->gso_size, 1000);
	assert_int_equal(p->gso_type, US_GSO_UDP_L4);
	/* Sender-side state does not cross the wire. */
	assert_int_equal(p->mark, 0);
	assert_int_equal(p->flags, 0);
	us_pkt_free(p);
	two_free(&t);
}

static void mtu_and_vanished_peer(void **state)
{
	struct two t;
	uint8_t f[1600];

	(void)state;
	two_setup(&t, 1, 2, "pa", "pb");
	/* Larger than MTU + Ethernet header + VLAN tag. */
	t_frame(f, 1519, t.db->hwaddr, t.da->hwaddr, 1);
	t_send(t.a, t.da, f, 1519);
	assert_int_equal(us_netdev_flush(t.da), 0);
	assert_int_equal(t_counter(t.a, "drop.MTU_EXCEEDED"), 1);
	/* A smaller MTU applies at once. */
	assert_int_equal(us_dev_set_mtu(t.a, t.da->ifindex, 576), 0);
	t_send(t.a, t.da, f, 576 + 18 + 1);
	t_send(t.a, t.da, f, 576 + 18);
	assert_int_equal(us_netdev_flush(t.da), 1);
	assert_int_equal(t_counter(t.a, "drop.MTU_EXCEEDED"), 2);
	{
		struct us_pkt *b[2];

		assert_int_equal(t.db->ops->rx_batch(t.db, b, 2), 1);
		us_pkt_free(b[0]);
	}

	/* The other end's stack goes away: no carrier, frames are dropped. */
	t_no_leaks(t.b);
	us_stack_free(t.b);
	t_send(t.a, t.da, f, 100);
	assert_int_equal(us_netdev_flush(t.da), 0);
	assert_int_equal(t_counter(t.a, "drop.DEV_TX_ERROR"), 1);
	assert_int_equal(t.da->stats.tx_dropped, 3);
	t_no_leaks(t.a);
	us_stack_free(t.a);
}

static void api_functions(void **state)
{
	struct us_stack *st = t_stack(3);
	uint8_t f[60];
	int ib = 0, ia;
	char path[64];
	int pc;

	(void)state;
	/* Both ends in one stack. */
	ia = us_dev_pair_new(st, "left", st, "right", &ib);
	assert_true(ia > 0 && ib > 0 && ia != ib);
	assert_int_equal(us_dev_index(st, "left"), ia);
	assert_int_equal(us_dev_index(st, "right"), ib);
	assert_int_equal(us_dev_index(st, "nope"), -ENODEV);
	assert_int_equal(us_dev_pair_new(st, "left", st, "other", NULL), -EEXIST);
	assert_int_equal(us_dev_pair_new(st, "same", st, "same", NULL), -EEXIST);
	assert_int_equal(us_dev_pair_new(st, "", st, "x", NULL), -EINVAL);

	assert_int_equal(us_dev_set_up(st, ia, false), 0);
	assert_false(us_netdev_by_index(st, ia)->flags & US_DEV_UP);
	assert_int_equal(us_dev_set_up(st, ia, true), 0);
	assert_true(us_netdev_by_index(st, ia)->flags & US_DEV_UP);
	assert_int_equal(us_dev_set_up(st, 30, true), -ENODEV);
	assert_int_equal(us_dev_set_mtu(st, ia, 67), -EINVAL);
	assert_int_equal(us_dev_set_mtu(st, ia, 65536), -EINVAL);
	assert_int_equal(us_dev_set_mtu(st, ia, 9000), 0);
	assert_int_equal(us_netdev_by_index(st, ia)->mtu, 9000);

	/* Injection: only into in-memory devices. */
	memset(f, 0, sizeof(f));
	assert_int_equal(us_dev_inject(st, 31, f, sizeof(f)), -ENODEV);
	assert_int_equal(us_dev_inject(st, ia, NULL, 10), -EINVAL);
	assert_int_equal(us_dev_inject(st, ia, f, US_PKT_MAX_LARGE + 1), -EMSGSIZE);
	assert_int_equal(us_dev_inject(st, ia, f, 0), 0); /* empty frames are the fuzzer's right */
	snprintf(path, sizeof(path), "/tmp/ustack-test-pair-%d.pcap", (int)getpid());
	pc = us_dev_pcap_open(st, "pc", NULL, path, NULL);
	assert_true(pc > 0);
	assert_int_equal(us_dev_inject(st, pc, f, sizeof(f)), -EOPNOTSUPP);
	unlink(path);

	/* A large injected frame takes a large buffer. */
	{
		static uint8_t big[9018];
		struct us_netdev *d = us_netdev_by_index(st, ia);
		struct us_pkt *b[4];

		assert_int_equal(us_dev_inject(st, ia, big, sizeof(big)), 0);
		assert_int_equal(st->pool.large_in_use, 1);
		assert_int_equal(d->ops->rx_batch(d, b, 4), 2);
		assert_int_equal(us_pkt_len(b[0]), 0);
		assert_int_equal(us_pkt_len(b[1]), sizeof(big));
		us_pkt_free(b[0]);
		us_pkt_free(b[1]);
	}
	t_no_leaks(st);
	us_stack_free(st);
}

/* The ingress phase: frames of a pair device go through us_netdev_poll_rx,
 * counted, and dropped as DEV_DOWN when the receiving end is down. */
static void poll_rx_counts_and_respects_down(void **state)
{
	struct two t;
	uint8_t f[100];

	(void)state;
	two_setup(&t, 1, 2, "pa", "pb");
	assert_int_equal(us_dev_set_up(t.b, t.db->ifindex, false), 0);
	for (int i = 0; i < 4; i++) {
		t_frame(f, sizeof(f), t.db->hwaddr, t.da->hwaddr, (uint16_t)i);
		t_send(t.a, t.da, f, sizeof(f));
	}
	assert_int_equal(us_netdev_flush(t.da), 4);
	assert_int_equal(us_netdev_poll_rx(t.db, 3), 3); /* budget respected */
	assert_int_equal(us_netdev_poll_rx(t.db, 3), 1);
	assert_int_equal(t.db->stats.rx_packets, 4);
	assert_int_equal(t.db->stats.rx_bytes, 400);
	assert_int_equal(t_counter(t.b, "drop.DEV_DOWN"), 4);
	/* A down device does not send either. */
	t_send(t.b, t.db, f, sizeof(f));
	assert_int_equal(t_counter(t.b, "drop.DEV_DOWN"), 5);
	two_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(moves_frames_both_ways),
		cmocka_unit_test(same_seed_same_name_still_differ),
		cmocka_unit_test(receive_queue_is_bounded),
		cmocka_unit_test(offload_metadata_is_rebased),
		cmocka_unit_test(mtu_and_vanished_peer),
		cmocka_unit_test(api_functions),
		cmocka_unit_test(poll_rx_counts_and_respects_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
