/*
 * neigh_env.h - the test bench shared by the neighbour, ARP and Ethernet unit
 * tests: stack "a" (the one under test, virtual clock) owns device ve0 with
 * MAC 02:00:00:00:00:02 and 198.18.0.2/24; its in-memory pair peer ve1 lives
 * in stack "b", which is never polled: the tests read what "a" transmitted
 * straight off ve1's receive queue, and inject what "a" receives into ve0.
 */
#ifndef TESTS_NEIGH_ENV_H
#define TESTS_NEIGH_ENV_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack.h"
#include "ip/ifaddr.h"
#include "neigh/neigh.h"
#include "ustack/ustack.h"
#include "wire/arp.h"
#include "wire/ether.h"

#define IP4(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#define ADDR_US IP4(198, 18, 0, 2)
#define ADDR_PEER IP4(198, 18, 0, 1)

static const uint8_t MAC_US[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t MAC_PEER[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t MAC_PEER2[6] = { 0x02, 0, 0, 0, 0, 0x03 };
static const uint8_t MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct env {
	struct us_stack *a, *b;
	struct us_netdev *da, *db;
	int ifa, ifb;
};

/* Moves "a"'s virtual clock to @ms and runs one poll round. */
static inline void env_clock(struct env *e, uint64_t ms)
{
	us_stack_clock_set(e->a, ms * US_NSEC_PER_MSEC);
	us_stack_poll(e->a);
}

static inline uint64_t env_now(struct env *e) { return e->a->now_ms; }

/* Advances "a" to @ms in 10 ms poll rounds (timers fire in order, as in real time). */
static inline void env_run_to(struct env *e, uint64_t ms)
{
	uint64_t t = env_now(e);

	while (t < ms) {
		t = t + 10 < ms ? t + 10 : ms;
		env_clock(e, t);
	}
}

/* The next frame "a" sent on ve0, or NULL. The caller frees it. */
static inline struct us_pkt *env_take(struct env *e)
{
	struct us_pkt *p = NULL;

	if (e->db->ops->rx_batch(e->db, &p, 1) != 1)
		return NULL;
	return p;
}

static inline void env_expect_frame(struct env *e, const uint8_t *bytes, size_t len)
{
	struct us_pkt *p = env_take(e);

	assert_non_null(p);
	assert_int_equal(us_pkt_len(p), len);
	assert_memory_equal(p->data, bytes, len);
	us_pkt_free(p);
}

static inline void env_expect_silence(struct env *e)
{
	struct us_pkt *p = env_take(e);

	if (p) {
		print_error("unexpected frame of %zu bytes, ethertype %02x%02x\n", us_pkt_len(p),
			    p->data[12], p->data[13]);
		us_pkt_free(p);
		fail();
	}
}

/* Frees every frame "a" sent; returns how many were ARP packets of @op for @tpa
 * (to @dst if non-NULL) and, in *@other, how many were anything else. */
static inline unsigned env_count_arp(struct env *e, uint16_t op, uint32_t tpa, const uint8_t *dst,
				     unsigned *other)
{
	unsigned n = 0, o = 0;
	struct us_pkt *p;

	while ((p = env_take(e))) {
		struct eth_repr eth;
		struct arp_repr arp;

		if (eth_parse(p->data, us_pkt_len(p), &eth) == US_DROP_NONE &&
		    eth.ethertype == ETH_P_ARP &&
		    arp_parse(p->data + ETH_HDR_LEN, us_pkt_len(p) - ETH_HDR_LEN, &arp) == US_DROP_NONE &&
		    arp.op == op && arp.tpa == tpa && (!dst || !memcmp(eth.dst, dst, 6)))
			n++;
		else
			o++;
		us_pkt_free(p);
	}
	if (other)
		*other = o;
	return n;
}

/* Injects a frame into ve0 and runs a poll round (receive, then transmit). */
static inline void env_inject(struct env *e, const uint8_t *frame, size_t len)
{
	assert_int_equal(us_dev_inject(e->a, e->ifa, frame, len), 0);
	us_stack_poll(e->a);
}

/* Hands an IPv4 datagram to neigh_output for @nexthop and flushes the device. */
/* Sends @dgram to @nexthop with packet flags @pkt_flags (US_PKT_F_*). */
static inline void env_send_flags(struct env *e, uint32_t nexthop, const uint8_t *dgram,
				  size_t len, uint8_t pkt_flags)
{
	struct us_pkt *p = us_pkt_alloc(&e->a->pool, len);

	assert_non_null(p);
	memcpy(us_pkt_put(p, len), dgram, len);
	p->flags |= pkt_flags;
	neigh_output(e->a, e->da, nexthop, p);
	us_stack_poll(e->a);
}

static inline void env_send(struct env *e, uint32_t nexthop, const uint8_t *dgram, size_t len)
{
	env_send_flags(e, nexthop, dgram, len, 0);
}

static inline enum us_neigh_state env_state(struct env *e, uint32_t ip)
{
	struct us_neigh_info info;

	if (neigh_lookup_info(e->a, e->ifa, ip, &info))
		return US_NUD_NONE;
	return info.state;
}

static inline uint64_t env_drops(struct env *e, enum us_drop_reason r)
{
	return e->a->counters.drop[r];
}

#define env_stat(e, name) ((e)->a->counters.stat[US_STAT_##name])

/* No packet buffer of "a" is held anywhere (queues, neighbour entries). */
static inline void env_no_leak(struct env *e)
{
	assert_int_equal(e->a->pool.in_use, 0);
	assert_int_equal(e->a->pool.large_in_use, 0);
}

static inline int env_setup(void **state)
{
	struct us_stack_opts o = {
		.name = "a",
		.virtual_clock = true,
		.clock_start_ns = 1000 * US_NSEC_PER_SEC,
		.no_loopback = true,
		.seed = 7,
	};
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->a = us_stack_new(&o);
	o.name = "b";
	o.seed = 8;
	e->b = us_stack_new(&o);
	assert_non_null(e->a);
	assert_non_null(e->b);
	e->ifa = us_dev_pair_new(e->a, "ve0", e->b, "ve1", &e->ifb);
	assert_true(e->ifa > 0);
	e->da = us_netdev_by_index(e->a, e->ifa);
	e->db = us_netdev_by_index(e->b, e->ifb);
	memcpy(e->da->hwaddr, MAC_US, 6);
	memcpy(e->db->hwaddr, MAC_PEER, 6);
	assert_int_equal(ifaddr_add(e->a, e->ifa, ADDR_US, 24), 0);
	us_stack_poll(e->a);
	/* Drop the announcement of 198.18.0.2 (test_arp checks it) and start counting now. */
	for (struct us_pkt *p; (p = env_take(e));)
		us_pkt_free(p);
	memset(&e->a->counters, 0, sizeof(e->a->counters));
	*state = e;
	return 0;
}

static inline int env_teardown(void **state)
{
	struct env *e = *state;
	struct us_pkt *p;

	while ((p = env_take(e)))
		us_pkt_free(p);
	us_stack_free(e->a);
	us_stack_free(e->b);
	free(e);
	return 0;
}

#endif
