/* test_pkt.c - packet buffers: headroom and push/pull/put/trim, header offsets surviving
 * pushes and pulls, pool bounds and reuse, large buffers, copies, reference counts, queues. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/pkt.h"

static void push_pull_put_trim(void **state)
{
	struct us_pkt_pool pool;
	struct us_pkt *p;
	uint8_t *d;

	(void)state;
	us_pkt_pool_init(&pool, 4, 1);
	p = us_pkt_alloc(&pool, 100);
	assert_non_null(p);
	assert_int_equal(us_pkt_headroom(p), US_PKT_HEADROOM);
	assert_int_equal(us_pkt_len(p), 0);
	assert_true(us_pkt_tailroom(p) >= 100);

	memcpy(us_pkt_put(p, 4), "data", 4);
	us_pkt_set_transport(p);
	d = us_pkt_push(p, 20);
	memset(d, 0x45, 20);
	us_pkt_set_network(p);
	d = us_pkt_push(p, 14);
	memset(d, 0xee, 14);
	us_pkt_set_mac(p);
	assert_int_equal(us_pkt_len(p), 38);
	assert_int_equal(us_pkt_headroom(p), US_PKT_HEADROOM - 34);

	/* Offsets find the headers again after pulling. */
	assert_non_null(us_pkt_pull(p, 14));
	assert_ptr_equal(p->data, us_pkt_network(p));
	assert_int_equal(us_pkt_network(p)[0], 0x45);
	assert_int_equal(us_pkt_mac(p)[0], 0xee);
	assert_memory_equal(us_pkt_transport(p), "data", 4);
	assert_null(us_pkt_pull(p, 1000)); /* more than there is: refused, unchanged */
	assert_int_equal(us_pkt_len(p), 24);
	us_pkt_trim(p, 22);
	assert_int_equal(us_pkt_len(p), 22);
	us_pkt_trim(p, 500); /* longer than the data: no-op */
	assert_int_equal(us_pkt_len(p), 22);

	us_pkt_free(p);
	assert_int_equal(pool.in_use, 0);
	us_pkt_pool_fini(&pool);
}

static void pool_is_bounded_and_reuses(void **state)
{
	struct us_pkt_pool pool;
	struct us_pkt *ps[4], *again;

	(void)state;
	us_pkt_pool_init(&pool, 4, 1);
	for (int i = 0; i < 4; i++)
		assert_non_null(ps[i] = us_pkt_alloc(&pool, 1500));
	assert_null(us_pkt_alloc(&pool, 64));
	assert_int_equal(pool.alloc_failures, 1);
	us_pkt_free(ps[2]);
	again = us_pkt_alloc(&pool, 64);
	assert_ptr_equal(again, ps[2]); /* from the free list, no new allocation */
	assert_int_equal(pool.total, 4);
	ps[2] = again;
	for (int i = 0; i < 4; i++)
		us_pkt_free(ps[i]);
	assert_int_equal(pool.in_use, 0);
	us_pkt_pool_fini(&pool);
}

static void large_buffers_bounded(void **state)
{
	struct us_pkt_pool pool;
	struct us_pkt *big, *big2;

	(void)state;
	us_pkt_pool_init(&pool, 4, 1);
	big = us_pkt_alloc(&pool, 65535);
	assert_non_null(big);
	assert_true(big->large);
	assert_true(us_pkt_tailroom(big) >= 65535);
	big2 = us_pkt_alloc(&pool, 9000);
	assert_null(big2); /* only one large buffer allowed */
	assert_null(us_pkt_alloc(&pool, US_PKT_MAX_LARGE + US_PKT_HEADROOM + 1));
	us_pkt_free(big);
	assert_int_equal(pool.large_in_use, 0);
	us_pkt_pool_fini(&pool);
}

static void copy_and_refcount(void **state)
{
	struct us_pkt_pool pool;
	struct us_pkt *p, *c;

	(void)state;
	us_pkt_pool_init(&pool, 8, 1);
	p = us_pkt_alloc(&pool, 64);
	memcpy(us_pkt_put(p, 5), "hello", 5);
	us_pkt_set_network(p);
	p->mark = 7;
	p->csum = US_CSUM_VERIFIED;
	c = us_pkt_copy(&pool, p);
	assert_non_null(c);
	assert_int_equal(us_pkt_len(c), 5);
	assert_memory_equal(c->data, "hello", 5);
	assert_int_equal(c->mark, 7);
	assert_int_equal(c->csum, US_CSUM_VERIFIED);
	assert_int_equal(c->net_off, p->net_off);
	us_pkt_get(p);
	us_pkt_free(p);
	assert_int_equal(pool.in_use, 2); /* still referenced */
	us_pkt_free(p);
	us_pkt_free(c);
	assert_int_equal(pool.in_use, 0);
	us_pkt_pool_fini(&pool);
}

static void queue_fifo_and_bound(void **state)
{
	struct us_pkt_pool pool;
	struct us_pktq q;

	(void)state;
	us_pkt_pool_init(&pool, 8, 1);
	us_pktq_init(&q, 3);
	for (int i = 0; i < 3; i++) {
		struct us_pkt *p = us_pkt_alloc(&pool, 10);
		*us_pkt_put(p, 1) = (uint8_t)i;
		assert_false(us_pktq_full(&q));
		us_pktq_push(&q, p);
	}
	assert_true(us_pktq_full(&q));
	assert_int_equal(q.bytes, 3);
	for (int i = 0; i < 2; i++) {
		struct us_pkt *p = us_pktq_pop(&q);
		assert_int_equal(p->data[0], i);
		us_pkt_free(p);
	}
	us_pktq_purge(&q);
	assert_null(us_pktq_pop(&q));
	assert_int_equal(q.len, 0);
	assert_int_equal(pool.in_use, 0);
	us_pkt_pool_fini(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(push_pull_put_trim),
		cmocka_unit_test(pool_is_bounded_and_reuses),
		cmocka_unit_test(large_buffers_bounded),
		cmocka_unit_test(copy_and_refcount),
		cmocka_unit_test(queue_fifo_and_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
