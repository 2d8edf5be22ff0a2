/*
 * test_ifaddr.c - device addresses (src/ip/ifaddr.c): the routes an address
 * installs and removes (as Linux's fib_add_ifaddr), primaries and secondaries with
 * promotion, source selection, the local-address queries, the loopback address, and
 * the gratuitous ARP sent for a new address on an Ethernet device.
 */
#include "ip_env.h"

/* A route as the tests spell it: table, type, dst/plen, scope, device, prefsrc. */
struct want {
	uint8_t table, type;
	uint32_t dst;
	uint8_t plen, scope;
	int ifindex;
	uint32_t prefsrc;
};

struct dump {
	unsigned n;
	struct us_route r[64];
};

static int dump_cb(const struct us_route *r, void *arg)
{
	struct dump *d = arg;

	assert_true(d->n < ARRAY_SIZE(d->r));
	d->r[d->n++] = *r;
	return 0;
}

/* The FIB holds exactly @w (in dump order: MAIN then LOCAL, by prefix). */
static void expect_routes(struct us_stack *st, const struct want *w, size_t n)
{
	struct dump d = { 0 };

	assert_int_equal(fib_dump(st, 0, dump_cb, &d), 0);
	assert_int_equal(d.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(d.r[i].table, w[i].table);
		assert_int_equal(d.r[i].type, w[i].type);
		assert_int_equal(d.r[i].dst, w[i].dst);
		assert_int_equal(d.r[i].plen, w[i].plen);
		assert_int_equal(d.r[i].scope, w[i].scope);
		assert_int_equal(d.r[i].ifindex, w[i].ifindex);
		assert_int_equal(d.r[i].prefsrc, w[i].prefsrc);
		assert_int_equal(d.r[i].protocol, US_RTPROT_KERNEL);
		assert_int_equal(d.r[i].gateway, 0);
	}
}

#define MAIN US_RT_TABLE_MAIN
#define LOCAL US_RT_TABLE_LOCAL
#define UNI US_RTN_UNICAST
#define LOC US_RTN_LOCAL
#define BC US_RTN_BROADCAST
#define S_LINK US_RT_SCOPE_LINK
#define S_HOST US_RT_SCOPE_HOST

static void test_add_installs_routes(void **state)
{
	struct us_stack *st = t_stack(false);
	int a = t_dev_new(st, "ta", 1500);
	const struct us_ifaddr *ifa;
	(void)state;

	assert_int_equal(ifaddr_add(st, a, A_US, 24), 0);
	{
		const struct want w[] = {
			{ MAIN, UNI, IP4(198, 18, 0, 0), 24, S_LINK, a, A_US },
			{ LOCAL, BC, IP4(198, 18, 0, 0), 32, S_LINK, a, A_US },
			{ LOCAL, LOC, A_US, 32, S_HOST, a, A_US },
			{ LOCAL, BC, IP4(198, 18, 0, 255), 32, S_LINK, a, A_US },
		};
		expect_routes(st, w, ARRAY_SIZE(w));
	}
	ifa = t_dev(st, a)->in_dev->addrs;
	assert_non_null(ifa);
	assert_int_equal(ifa->addr, A_US);
	assert_int_equal(ifa->plen, 24);
	assert_int_equal(ifa->broadcast, IP4(198, 18, 0, 255));
	assert_false(ifa->secondary);
	assert_null(ifa->next);

	assert_int_equal(ifaddr_add(st, a, A_US, 24), -EEXIST);
	assert_int_equal(ifaddr_add(st, a, A_US, 16), -EEXIST);
	assert_int_equal(ifaddr_add(st, a, IP4(224, 0, 0, 9), 24), -EINVAL);
	assert_int_equal(ifaddr_add(st, a, IP4(255, 255, 255, 255), 32), -EINVAL);
	assert_int_equal(ifaddr_add(st, a, IP4(0, 0, 0, 0), 8), -EINVAL);
	assert_int_equal(ifaddr_add(st, a, IP4(240, 1, 1, 1), 8), -EINVAL);
	assert_int_equal(ifaddr_add(st, a, IP4(198, 18, 3, 1), 33), -EINVAL);
	assert_int_equal(ifaddr_add(st, 17, IP4(198, 18, 3, 1), 24), -ENODEV);
	assert_int_equal(ifaddr_del(st, a, A_PEER, 24), -EADDRNOTAVAIL);
	assert_int_equal(ifaddr_del(st, a, A_US, 16), -EADDRNOTAVAIL);
	assert_int_equal(ifaddr_del(st, 17, A_US, 24), -ENODEV);

	assert_int_equal(ifaddr_del(st, a, A_US, 24), 0);
	expect_routes(st, NULL, 0);
	assert_null(t_dev(st, a)->in_dev->addrs);
	t_free(st);
}

/* /31 (RFC 3021) has no broadcast routes; /32 has only its local route. */
static void test_point_to_point_prefixes(void **state)
{
	struct us_stack *st = t_stack(false);
	int a = t_dev_new(st, "ta", 1500);
	int b = t_dev_new(st, "tb", 1500);
	(void)state;

	assert_int_equal(ifaddr_add(st, a, IP4(198, 18, 0, 1), 31), 0);
	assert_int_equal(ifaddr_add(st, b, IP4(198, 18, 5, 5), 32), 0);
	{
		const struct want w[] = {
			{ MAIN, UNI, IP4(198, 18, 0, 0), 31, S_LINK, a, IP4(198, 18, 0, 1) },
			{ LOCAL, LOC, IP4(198, 18, 0, 1), 32, S_HOST, a, IP4(198, 18, 0, 1) },
			{ LOCAL, LOC, IP4(198, 18, 5, 5), 32, S_HOST, b, IP4(198, 18, 5, 5) },
		};
		expect_routes(st, w, ARRAY_SIZE(w));
	}
	assert_int_equal(t_dev(st, a)->in_dev->addrs->broadcast, 0);
	/* Both ends of the /31 are on-link; nothing else is. */
	assert_true(ifaddr_on_link(t_dev(st, a), IP4(198, 18, 0, 0)));
	assert_false(ifaddr_on_link(t_dev(st, a), IP4(198, 18, 0, 2)));
	assert_true(ifaddr_on_link(t_dev(st, b), IP4(198, 18, 5, 5)));
	assert_false(ifaddr_on_link(t_dev(st, b), IP4(198, 18, 5, 6)));
	t_free(st);
}

/* A second address in the subnet is secondary (local route only); removing the primary
 * promotes it and every route then names it as source. */
static void test_secondary_and_promotion(void **state)
{
	struct us_stack *st = t_stack(false);
	int a = t_dev_new(st, "ta", 1500);
	const uint32_t s1 = IP4(198, 18, 0, 7), s2 = IP4(198, 18, 0, 9), other = IP4(198, 18, 2, 1);
	const struct us_ifaddr *ifa;
	(void)state;

	assert_int_equal(ifaddr_add(st, a, A_US, 24), 0);
	assert_int_equal(ifaddr_add(st, a, s1, 24), 0);
	assert_int_equal(ifaddr_add(st, a, other, 24), 0); /* another subnet: primary */
	assert_int_equal(ifaddr_add(st, a, s2, 24), 0);
	/* Primaries first, in the order added, then the secondaries. */
	ifa = t_dev(st, a)->in_dev->addrs;
	assert_int_equal(ifa->addr, A_US);
	assert_false(ifa->secondary);
	assert_int_equal(ifa->next->addr, other);
	assert_false(ifa->next->secondary);
	assert_int_equal(ifa->next->next->addr, s1);
	assert_true(ifa->next->next->secondary);
	assert_int_equal(ifa->next->next->next->addr, s2);
	assert_true(ifa->next->next->next->secondary);
	{
		const struct want w[] = {
			{ MAIN, UNI, IP4(198, 18, 0, 0), 24, S_LINK, a, A_US },
			{ MAIN, UNI, IP4(198, 18, 2, 0), 24, S_LINK, a, other },
			{ LOCAL, BC, IP4(198, 18, 0, 0), 32, S_LINK, a, A_US },
			{ LOCAL, LOC, A_US, 32, S_HOST, a, A_US },
			{ LOCAL, LOC, s1, 32, S_HOST, a, A_US },
			{ LOCAL, LOC, s2, 32, S_HOST, a, A_US },
			{ LOCAL, BC, IP4(198, 18, 0, 255), 32, S_LINK, a, A_US },
			{ LOCAL, BC, IP4(198, 18, 2, 0), 32, S_LINK, a, other },
			{ LOCAL, LOC, other, 32, S_HOST, a, other },
			{ LOCAL, BC, IP4(198, 18, 2, 255), 32, S_LINK, a, other },
		};
		expect_routes(st, w, ARRAY_SIZE(w));
	}
	/* Sources come from primaries only. */
	assert_int_equal(ifaddr_select_src(st, t_dev(st, a), IP4(198, 18, 0, 99)), A_US);

	assert_int_equal(ifaddr_del(st, a, A_US, 24), 0);
	ifa = t_dev(st, a)->in_dev->addrs;
	assert_int_equal(ifa->addr, other);
	assert_int_equal(ifa->next->addr, s1); /* promoted */
	assert_false(ifa->next->secondary);
	assert_int_equal(ifa->next->next->addr, s2);
	assert_true(ifa->next->next->secondary);
	{
		const struct want w[] = {
			{ MAIN, UNI, IP4(198, 18, 0, 0), 24, S_LINK, a, s1 },
			{ MAIN, UNI, IP4(198, 18, 2, 0), 24, S_LINK, a, other },
			{ LOCAL, BC, IP4(198, 18, 0, 0), 32, S_LINK, a, s1 },
			{ LOCAL, LOC, s1, 32, S_HOST, a, s1 },
			{ LOCAL, LOC, s2, 32, S_HOST, a, s1 },
			{ LOCAL, BC, IP4(198, 18, 0, 255), 32, S_LINK, a, s1 },
			{ LOCAL, BC, IP4(198, 18, 2, 0), 32, S_LINK, a, other },
			{ LOCAL, LOC, other, 32, S_HOST, a, other },
			{ LOCAL, BC, IP4(198, 18, 2, 255), 32, S_LINK, a, other },
		};
		expect_routes(st, w, ARRAY_SIZE(w));
	}
	assert_false(ifaddr_is_local(st, A_US));
	assert_true(ifaddr_is_local(st, s1));
	assert_int_equal(ifaddr_select_src(st, t_dev(st, a), IP4(198, 18, 0, 99)), s1);
	/* Removing a secondary removes only its local route. */
	assert_int_equal(ifaddr_del(st, a, s2, 24), 0);
	assert_false(ifaddr_is_local(st, s2));
	assert_int_equal(fib_count(st), 8);
	t_free(st);
}

/* When the last address goes, routes through the device go too (static ones included);
 * a route preferring a removed address as source goes with it. */
static void test_last_address_flushes_device(void **state)
{
	struct us_stack *st = t_stack(false);
	int a = t_dev_new(st, "ta", 1500);
	int b = t_dev_new(st, "tb", 1500);
	struct us_route r = t_route(IP4(198, 19, 0, 0), 16, US_RTN_UNICAST, 0, IP4(198, 18, 0, 254), 0);
	struct us_route r2 = t_route(IP4(198, 19, 7, 0), 24, US_RTN_UNICAST, b, 0, 0);
	struct us_route got;
	(void)state;

	assert_int_equal(ifaddr_add(st, a, A_US, 24), 0);
	assert_int_equal(ifaddr_add(st, b, B_US, 24), 0);
	assert_int_equal(fib_add(st, &r), 0);
	r2.prefsrc = A_US;
	assert_int_equal(fib_add(st, &r2), 0);
	assert_int_equal(fib_lookup(st, IP4(198, 19, 0, 1), &got), 0);
	assert_int_equal(got.ifindex, a);
	assert_int_equal(ifaddr_del(st, a, A_US, 24), 0);
	assert_int_equal(fib_lookup(st, IP4(198, 19, 0, 1), &got), -ENETUNREACH);
	assert_int_equal(fib_lookup(st, IP4(198, 19, 7, 1), &got), -ENETUNREACH);
	/* b's routes are untouched: connected, local, two broadcasts. */
	assert_int_equal(fib_count(st), 4);
	assert_true(ifaddr_is_local(st, B_US));
	t_free(st);
}

/* Two devices on one subnet share the broadcast routes; removing the address that
 * installed them leaves the other device's routes in place. */
static void test_shared_subnet(void **state)
{
	struct us_stack *st = t_stack(false);
	int a = t_dev_new(st, "ta", 1500);
	int b = t_dev_new(st, "tb", 1500);
	struct us_route got;
	(void)state;

	assert_int_equal(ifaddr_add(st, a, A_US, 24), 0);
	assert_int_equal(ifaddr_add(st, b, IP4(198, 18, 0, 3), 24), 0);
	assert_int_equal(fib_lookup(st, IP4(198, 18, 0, 255), &got), 0);
	assert_int_equal(got.ifindex, a);
	assert_int_equal(ifaddr_del(st, a, A_US, 24), 0);
	{
		const struct want w[] = {
			{ MAIN, UNI, IP4(198, 18, 0, 0), 24, S_LINK, b, IP4(198, 18, 0, 3) },
			{ LOCAL, BC, IP4(198, 18, 0, 0), 32, S_LINK, b, IP4(198, 18, 0, 3) },
			{ LOCAL, LOC, IP4(198, 18, 0, 3), 32, S_HOST, b, IP4(198, 18, 0, 3) },
			{ LOCAL, BC, IP4(198, 18, 0, 255), 32, S_LINK, b, IP4(198, 18, 0, 3) },
		};
		expect_routes(st, w, ARRAY_SIZE(w));
	}
	t_free(st);
}

static void test_queries_and_select_src(void **state)
{
	struct us_stack *st = t_stack(true); /* with lo and 127.0.0.1/8 */
	int lo = us_dev_index(st, "lo");
	int a = t_dev_new(st, "ta", 1500);
	int b = t_dev_new(st, "tb", 1500);
	int c = t_dev_new(st, "tc", 1500);
	(void)state;

	assert_true(lo > 0);
	assert_int_equal(ifaddr_add(st, a, A_US, 24), 0);
	assert_int_equal(ifaddr_add(st, a, IP4(198, 18, 8, 1), 24), 0);
	assert_int_equal(ifaddr_add(st, b, B_US, 24), 0);

	assert_true(ifaddr_is_local(st, A_US));
	assert_true(ifaddr_is_local(st, B_US));
	assert_true(ifaddr_is_local(st, IP4(127, 0, 0, 1)));
	assert_true(ifaddr_is_local(st, IP4(127, 1, 2, 3))); /* all of 127/8, as Linux */
	assert_false(ifaddr_is_local(st, A_PEER));
	assert_false(ifaddr_is_local(st, IP4(198, 18, 0, 255))); /* broadcast, not local */
	assert_ptr_equal(ifaddr_dev_of(st, A_US), t_dev(st, a));
	assert_ptr_equal(ifaddr_dev_of(st, B_US), t_dev(st, b));
	assert_ptr_equal(ifaddr_dev_of(st, IP4(127, 0, 0, 1)), t_dev(st, lo));
	assert_null(ifaddr_dev_of(st, A_PEER));
	assert_true(ifaddr_on_link(t_dev(st, a), IP4(198, 18, 0, 77)));
	assert_true(ifaddr_on_link(t_dev(st, a), IP4(198, 18, 8, 77)));
	assert_false(ifaddr_on_link(t_dev(st, a), IP4(198, 18, 1, 77)));
	assert_false(ifaddr_on_link(t_dev(st, c), IP4(198, 18, 1, 77)));

	/* RFC 1122 3.3.4.3: the address on the destination's subnet ... */
	assert_int_equal(ifaddr_select_src(st, t_dev(st, a), IP4(198, 18, 8, 9)), IP4(198, 18, 8, 1));
	assert_int_equal(ifaddr_select_src(st, t_dev(st, a), IP4(198, 18, 0, 9)), A_US);
	/* ... else the device's first primary ... */
	assert_int_equal(ifaddr_select_src(st, t_dev(st, a), IP4(198, 19, 1, 1)), A_US);
	/* ... else any address of the host, never a loopback one for the outside. */
	assert_int_equal(ifaddr_select_src(st, t_dev(st, c), IP4(198, 19, 1, 1)), A_US);
	assert_int_equal(ifaddr_select_src(st, t_dev(st, lo), IP4(198, 19, 1, 1)), A_US);
	assert_int_equal(ifaddr_select_src(st, t_dev(st, lo), IP4(127, 0, 0, 9)), IP4(127, 0, 0, 1));
	assert_int_equal(ifaddr_select_src(st, NULL, IP4(198, 19, 1, 1)), A_US);
	t_free(st);
}

static void test_select_src_none(void **state)
{
	struct us_stack *st = t_stack(false);
	int a = t_dev_new(st, "ta", 1500);
	(void)state;

	assert_int_equal(ifaddr_select_src(st, t_dev(st, a), A_PEER), 0);
	t_free(st);
}

/* The loopback device: 127.0.0.1/8 gives a local route for the whole prefix, in the
 * local table, as Linux shows with `ip route show table local`. */
static void test_loopback_routes(void **state)
{
	struct us_stack *st = t_stack(true);
	int lo = us_dev_index(st, "lo");
	const uint32_t one = IP4(127, 0, 0, 1);
	const struct want w[] = {
		{ LOCAL, LOC, IP4(127, 0, 0, 0), 8, S_HOST, lo, one },
		{ LOCAL, BC, IP4(127, 0, 0, 0), 32, S_LINK, lo, one },
		{ LOCAL, LOC, one, 32, S_HOST, lo, one },
		{ LOCAL, BC, IP4(127, 255, 255, 255), 32, S_LINK, lo, one },
	};
	(void)state;

	expect_routes(st, w, ARRAY_SIZE(w));
	t_free(st);
}

/* ifaddr_flush_dev (device removal) takes the device's addresses and routes. */
static void test_flush_dev(void **state)
{
	struct us_stack *st = t_stack(false);
	int a = t_dev_new(st, "ta", 1500);
	int b = t_dev_new(st, "tb", 1500);
	struct us_route r = t_route(IP4(198, 19, 0, 0), 16, US_RTN_UNICAST, 0, IP4(198, 18, 0, 254), 0);
	(void)state;

	assert_int_equal(ifaddr_add(st, a, A_US, 24), 0);
	assert_int_equal(ifaddr_add(st, a, IP4(198, 18, 0, 9), 24), 0);
	assert_int_equal(ifaddr_add(st, b, B_US, 24), 0);
	assert_int_equal(fib_add(st, &r), 0);
	ifaddr_flush_dev(st, t_dev(st, a));
	assert_null(t_dev(st, a)->in_dev);
	assert_false(ifaddr_is_local(st, A_US));
	assert_int_equal(fib_count(st), 4);
	ifaddr_flush_dev(st, t_dev(st, a)); /* twice is harmless */
	t_free(st);
}

/* A new address on an Ethernet device that is up is announced (gratuitous ARP). */
static void test_announce_on_ethernet(void **state)
{
	struct us_stack *st = t_stack(false);
	int ib = 0, ia = us_dev_pair_new(st, "pa", st, "pb", &ib);
	struct us_pkt *p;
	(void)state;

	assert_true(ia > 0 && ib > 0);
	assert_int_equal(ifaddr_add(st, ia, A_US, 24), 0);
	assert_int_equal(STAT(st, ArpOutRequests), 1);
	assert_int_equal(t_txlen(st, ia), 1);
	p = t_pop_tx(st, ia);
	/* Ethernet broadcast carrying ARP (0x0806), sender and target both our address. */
	assert_int_equal(us_pkt_len(p), 60);
	assert_memory_equal(p->data, "\xff\xff\xff\xff\xff\xff", 6);
	assert_int_equal(rd16(p->data + 12), 0x0806);
	assert_int_equal(rd32(p->data + 14 + 14), A_US);
	assert_int_equal(rd32(p->data + 14 + 24), A_US);
	us_pkt_free(p);
	/* Not when the device is down; never on an IP link. */
	assert_int_equal(us_dev_set_up(st, ib, false), 0);
	assert_int_equal(ifaddr_add(st, ib, B_US, 24), 0);
	assert_int_equal(STAT(st, ArpOutRequests), 1);
	assert_int_equal(ifaddr_add(st, t_dev_new(st, "tun", 1500), IP4(198, 18, 2, 1), 24), 0);
	assert_int_equal(STAT(st, ArpOutRequests), 1);
	t_free(st);
}

/* The public calls. */
static void test_api(void **state)
{
	struct us_stack *st = t_stack(false);
	int a = t_dev_new(st, "ta", 1500);
	struct us_route got;
	(void)state;

	assert_int_equal(us_addr_add(st, a, A_US, 33), -EINVAL);
	assert_int_equal(us_addr_add(st, a, A_US, 24), 0);
	assert_int_equal(us_route_add(st, 0, 0, IP4(198, 18, 0, 254), 0, NULL, 0), 0);
	assert_int_equal(fib_lookup(st, IP4(198, 19, 1, 1), &got), 0);
	assert_int_equal(got.ifindex, a);
	assert_int_equal(got.gateway, IP4(198, 18, 0, 254));
	assert_int_equal(got.scope, US_RT_SCOPE_UNIVERSE);
	assert_int_equal(got.protocol, US_RTPROT_BOOT);
	assert_int_equal(us_route_add(st, IP4(198, 19, 9, 0), 24, 0, a, "unicast", 10), 0);
	assert_int_equal(fib_lookup(st, IP4(198, 19, 9, 1), &got), 0);
	assert_int_equal(got.scope, US_RT_SCOPE_LINK);
	assert_int_equal(got.metric, 10);
	assert_int_equal(us_route_add(st, IP4(198, 19, 10, 0), 24, 0, 0, "unreachable", 0), 0);
	assert_int_equal(us_route_add(st, IP4(198, 19, 11, 0), 24, 0, 0, "prohibit", 0), 0);
	assert_int_equal(us_route_add(st, IP4(198, 19, 12, 0), 24, 0, 0, "blackhole", 0), 0);
	assert_int_equal(us_route_add(st, IP4(198, 19, 13, 0), 24, 0, 0, "local", 0), -EINVAL);
	assert_int_equal(us_route_add(st, IP4(198, 19, 13, 0), 24, 0, 0, "bogus", 0), -EINVAL);
	assert_int_equal(us_route_add(st, IP4(198, 19, 13, 0), 24, IP4(198, 20, 0, 1), 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(fib_lookup(st, IP4(198, 19, 10, 1), &got), 0);
	assert_int_equal(got.type, US_RTN_UNREACHABLE);
	assert_int_equal(us_route_del(st, IP4(198, 19, 10, 0), 24), 0);
	assert_int_equal(us_route_del(st, IP4(198, 19, 10, 0), 24), -ESRCH);
	assert_int_equal(us_route_del(st, IP4(198, 19, 10, 0), 40), -EINVAL);
	assert_int_equal(us_addr_del(st, a, A_US, 24), 0);
	assert_int_equal(us_addr_del(st, a, A_US, 24), -EADDRNOTAVAIL);
	t_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_installs_routes),
		cmocka_unit_test(test_point_to_point_prefixes),
		cmocka_unit_test(test_secondary_and_promotion),
		cmocka_unit_test(test_last_address_flushes_device),
		cmocka_unit_test(test_shared_subnet),
		cmocka_unit_test(test_queries_and_select_src),
		cmocka_unit_test(test_select_src_none),
		cmocka_unit_test(test_loopback_routes),
		cmocka_unit_test(test_flush_dev),
		cmocka_unit_test(test_announce_on_ethernet),
		cmocka_unit_test(test_api),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
