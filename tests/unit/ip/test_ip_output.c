/*
 * test_ip_output.c - the IPv4 send path (src/ip/ip_output.c): header bytes of a
 * known datagram against scapy (gen_ip_fixtures.py), identification values, checksum
 * completion for devices without offload, route types and their errors, broadcasts,
 * source selection, loopback delivery, DF and fragmentation.
 */
#include "ip_env.h"

#include "ip_fixtures.inc"

#define PROTO_UDP 17

struct env {
	struct us_stack *st;
	int a, b;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->st = t_stack(false);
	e->a = t_dev_new(e->st, "ta", 1500);
	e->b = t_dev_new(e->st, "tb", 1500);
	assert_int_equal(ifaddr_add(e->st, e->a, A_US, 24), 0);
	assert_int_equal(ifaddr_add(e->st, e->b, B_US, 24), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	t_free(e->st);
	free(e);
	return 0;
}

/* Every id bucket at @id - 1 and used "now": the next datagram gets exactly @id. */
static void preset_ids(struct us_stack *st, uint16_t id)
{
	for (uint32_t i = 0; i < US_IP_IDENTS; i++) {
		struct us_ip_ident *b = fib_ip_ident(st, i);

		b->id = (uint32_t)id - 1;
		b->stamp_ms = st->now_ms;
	}
}

/* A transport message: the bytes after the 20-byte IP header of @fix. */
static struct us_pkt *l4_of(struct us_stack *st, const uint8_t *fix, size_t len)
{
	struct us_pkt *p = us_pkt_alloc(&st->pool, len - IPV4_HDR_LEN);

	assert_non_null(p);
	memcpy(us_pkt_put(p, len - IPV4_HDR_LEN), fix + IPV4_HDR_LEN, len - IPV4_HDR_LEN);
	return p;
}

/* A transport message of @len bytes (8-byte UDP-like header, then a pattern). */
static struct us_pkt *l4_pattern(struct us_stack *st, size_t len)
{
	struct us_pkt *p = us_pkt_alloc(&st->pool, len);
	uint8_t *d;

	assert_non_null(p);
	d = us_pkt_put(p, len);
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)(i * 13 + 1);
	return p;
}

static struct us_ip_tx tx_to(uint32_t dst, uint8_t proto)
{
	struct us_ip_tx tx = { .dst = dst, .proto = proto, .df = -1 };

	return tx;
}

/* The frame on @dev's queue, checked against @fix byte for byte. */
static void expect_sent(struct env *e, int dev, const uint8_t *fix, size_t len, uint32_t nexthop)
{
	struct us_pkt *p = t_pop_tx(e->st, dev);

	assert_non_null(p);
	assert_int_equal(us_pkt_len(p), len);
	assert_memory_equal(p->data, fix, len);
	assert_int_equal(p->nexthop, nexthop);
	assert_ptr_equal(p->dev, t_dev(e->st, dev));
	assert_true(p->flags & US_PKT_F_LOCAL_OUT);
	assert_ptr_equal(us_pkt_network(p), p->data);
	us_pkt_free(p);
}

static void test_header_bytes(void **state)
{
	struct env *e = *state;
	struct us_ip_tx tx = tx_to(A_PEER, PROTO_UDP);

	preset_ids(e->st, 0x1234);
	assert_int_equal(ip_output(e->st, &tx, l4_of(e->st, FIX_OUT_UDP, sizeof(FIX_OUT_UDP))), 0);
	assert_int_equal(t_txlen(e->st, e->a), 1);
	expect_sent(e, e->a, FIX_OUT_UDP, sizeof(FIX_OUT_UDP), A_PEER);
	assert_int_equal(STAT(e->st, IpOutRequests), 1);
	assert_int_equal(t_drops_total(e->st), 0);

	/* TOS, TTL and DF as asked. */
	tx.tos = 0x10;
	tx.ttl = 5;
	tx.df = 0;
	preset_ids(e->st, 0x0042);
	assert_int_equal(ip_output(e->st, &tx, l4_of(e->st, FIX_OUT_UDP, sizeof(FIX_OUT_UDP))), 0);
	expect_sent(e, e->a, FIX_OUT_UDP_TOS, sizeof(FIX_OUT_UDP_TOS), A_PEER);
	/* ip_no_pmtu_disc clears the default DF. */
	assert_int_equal(us_stack_set(e->st, "net.ipv4.ip_no_pmtu_disc", "1"), 0);
	tx = tx_to(A_PEER, PROTO_UDP);
	assert_int_equal(ip_output(e->st, &tx, l4_of(e->st, FIX_OUT_UDP, sizeof(FIX_OUT_UDP))), 0);
	{
		struct us_pkt *p = t_pop_tx(e->st, e->a);

		assert_int_equal(rd16(p->data + IPV4_OFF_FRAG), 0);
		us_pkt_free(p);
	}
	t_assert_no_leak(e->st);
}

/* The same seed gives the same ids (replayable runs); ids to one destination count up;
 * after an idle period a bucket jumps by a random amount below the idle time. */
static void test_ids(void **state)
{
	struct us_stack *s1 = t_stack(false), *s2 = t_stack(false);
	uint16_t a[8], b[8], next;
	(void)state;

	for (int i = 0; i < 8; i++) {
		a[i] = ip_select_id(s1, A_PEER + (uint32_t)(i / 2), PROTO_UDP);
		b[i] = ip_select_id(s2, A_PEER + (uint32_t)(i / 2), PROTO_UDP);
		assert_int_equal(a[i], b[i]);
	}
	/* Same destination, same millisecond: consecutive. */
	for (int i = 0; i < 8; i += 2)
		assert_int_equal((uint16_t)(a[i] + 1), a[i + 1]);
	/* 100 ms later the first id jumps by at most 100 (plus the step of one). */
	us_stack_clock_set(s1, s1->now_ns + 100 * 1000000ull);
	us_stack_update_time(s1);
	next = ip_select_id(s1, A_PEER, PROTO_UDP);
	assert_true((uint16_t)(next - a[1]) >= 1 && (uint16_t)(next - a[1]) <= 100);
	t_free(s1);
	t_free(s2);
}

/* Pseudo-header sum in the field, as a transport leaving the rest to the device. */
static void make_partial(struct us_pkt *p, uint32_t src, uint32_t dst)
{
	size_t len = us_pkt_len(p);

	wr16(p->data + 6, (uint16_t)~csum_fold(csum_pseudo(src, dst, PROTO_UDP, (uint16_t)len)));
	p->csum = US_CSUM_PARTIAL;
	p->csum_start = us_pkt_offset(p, p->data);
	p->csum_offset = 6;
}

static void test_partial_checksum(void **state)
{
	struct env *e = *state;
	struct us_ip_tx tx = tx_to(A_PEER, PROTO_UDP);
	struct us_pkt *p;
	uint16_t pseudo;

	/* A device without checksum offload gets the finished checksum: scapy's bytes. */
	preset_ids(e->st, 0x1234);
	p = l4_of(e->st, FIX_OUT_UDP, sizeof(FIX_OUT_UDP));
	make_partial(p, A_US, A_PEER);
	assert_int_equal(ip_output(e->st, &tx, p), 0);
	p = t_pop_tx(e->st, e->a);
	assert_int_equal(p->csum, US_CSUM_NONE);
	assert_memory_equal(p->data, FIX_OUT_UDP, sizeof(FIX_OUT_UDP));
	us_pkt_free(p);

	/* One with offload gets it as it was. */
	t_dev(e->st, e->a)->caps |= US_DEV_CAP_TX_CSUM;
	preset_ids(e->st, 0x1234);
	p = l4_of(e->st, FIX_OUT_UDP, sizeof(FIX_OUT_UDP));
	make_partial(p, A_US, A_PEER);
	pseudo = rd16(p->data + 6);
	assert_int_equal(ip_output(e->st, &tx, p), 0);
	p = t_pop_tx(e->st, e->a);
	assert_int_equal(p->csum, US_CSUM_PARTIAL);
	assert_int_equal(rd16(p->data + IPV4_HDR_LEN + 6), pseudo);
	assert_memory_equal(p->data, FIX_OUT_UDP, IPV4_HDR_LEN + 6);
	/* ... and what the device would compute is scapy's checksum. */
	assert_int_equal(ip_csum_complete(p), 0);
	assert_memory_equal(p->data, FIX_OUT_UDP, sizeof(FIX_OUT_UDP));
	us_pkt_free(p);

	/* Offsets outside the data are refused, not followed. */
	p = l4_pattern(e->st, 20);
	p->csum = US_CSUM_PARTIAL;
	p->csum_start = us_pkt_offset(p, p->data);
	p->csum_offset = 19;
	assert_int_equal(ip_csum_complete(p), -EINVAL);
	us_pkt_free(p);
	t_assert_no_leak(e->st);
}

static void test_route_errors(void **state)
{
	struct env *e = *state;
	struct us_ip_tx tx;

	tx = tx_to(IP4(198, 19, 9, 9), PROTO_UDP);
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), -ENETUNREACH);
	assert_int_equal(STAT(e->st, IpOutNoRoutes), 1);
	assert_int_equal(DROPS(e->st, IP_NO_ROUTE), 1);
	assert_int_equal(us_route_add(e->st, IP4(198, 19, 50, 0), 24, 0, 0, "unreachable", 0), 0);
	assert_int_equal(us_route_add(e->st, IP4(198, 19, 51, 0), 24, 0, 0, "prohibit", 0), 0);
	assert_int_equal(us_route_add(e->st, IP4(198, 19, 52, 0), 24, 0, 0, "blackhole", 0), 0);
	tx.dst = IP4(198, 19, 50, 1);
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), -EHOSTUNREACH);
	assert_int_equal(DROPS(e->st, IP_UNREACHABLE), 1);
	tx.dst = IP4(198, 19, 51, 1);
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), -EACCES);
	assert_int_equal(DROPS(e->st, IP_PROHIBIT), 1);
	tx.dst = IP4(198, 19, 52, 1);
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), -EINVAL);
	assert_int_equal(DROPS(e->st, IP_BLACKHOLE), 1);
	assert_int_equal(STAT(e->st, IpOutNoRoutes), 1);
	assert_int_equal(STAT(e->st, IpOutRequests), 0);
	/* An output device that does not exist. */
	tx = tx_to(A_PEER, PROTO_UDP);
	tx.oif = 20;
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), -ENODEV);
	/* Longer than an IPv4 datagram can be. */
	tx.oif = 0;
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 65516)), -EMSGSIZE);
	assert_int_equal(DROPS(e->st, IP_OUT_TOO_BIG), 1);
	assert_int_equal(t_txlen(e->st, e->a) + t_txlen(e->st, e->b), 0);
	t_assert_no_leak(e->st);
}

static void test_broadcast(void **state)
{
	struct env *e = *state;
	struct us_ip_tx tx = tx_to(IP4(198, 18, 0, 255), PROTO_UDP);
	struct us_pkt *p;

	/* RFC 1122 3.3.6 / SO_BROADCAST: refused unless the sender allowed it. */
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), -EACCES);
	assert_int_equal(DROPS(e->st, IP_SRC_BCAST), 1);
	tx.allow_bcast = true;
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), 0);
	p = t_pop_tx(e->st, e->a);
	assert_int_equal(p->nexthop, IP4(198, 18, 0, 255));
	assert_int_equal(rd32(p->data + IPV4_OFF_SRC), A_US);
	us_pkt_free(p);
	assert_int_equal(STAT(e->st, IpExtOutBcastPkts), 1);

	/* The limited broadcast goes out of the device asked for ... */
	tx = tx_to(IP4(255, 255, 255, 255), PROTO_UDP);
	tx.oif = e->b;
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), -EACCES);
	tx.allow_bcast = true;
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), 0);
	p = t_pop_tx(e->st, e->b);
	assert_int_equal(p->nexthop, IP4(255, 255, 255, 255));
	assert_int_equal(rd32(p->data + IPV4_OFF_SRC), B_US);
	us_pkt_free(p);
	/* ... or out of the device of its source address ... */
	tx.oif = 0;
	tx.src = A_US;
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), 0);
	assert_int_equal(t_txlen(e->st, e->a), 1);
	/* ... and with neither, where a route for it leads (none here). */
	tx.src = 0;
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), -ENETUNREACH);
	assert_int_equal(STAT(e->st, IpExtOutBcastPkts), 3);
	t_assert_no_leak(e->st);
}

static void test_gateway_and_source(void **state)
{
	struct env *e = *state;
	struct us_ip_tx tx = tx_to(IP4(198, 19, 1, 1), PROTO_UDP);
	struct us_route r = t_route(IP4(198, 19, 2, 0), 24, US_RTN_UNICAST, e->b, 0, 0);
	struct us_pkt *p;

	assert_int_equal(us_route_add(e->st, 0, 0, IP4(198, 18, 0, 254), 0, NULL, 0), 0);
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), 0);
	p = t_pop_tx(e->st, e->a);
	assert_int_equal(p->nexthop, IP4(198, 18, 0, 254)); /* the gateway ... */
	assert_int_equal(rd32(p->data + IPV4_OFF_DST), IP4(198, 19, 1, 1)); /* ... for dst */
	assert_int_equal(rd32(p->data + IPV4_OFF_SRC), A_US); /* the device's address */
	us_pkt_free(p);
	/* A source the sender chose is kept. */
	tx.src = IP4(198, 18, 1, 1);
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), 0);
	p = t_pop_tx(e->st, e->a);
	assert_int_equal(rd32(p->data + IPV4_OFF_SRC), B_US);
	us_pkt_free(p);
	/* A route's preferred source wins over the device's address. */
	r.prefsrc = B_US;
	assert_int_equal(fib_add(e->st, &r), 0);
	tx = tx_to(IP4(198, 19, 2, 9), PROTO_UDP);
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), 0);
	p = t_pop_tx(e->st, e->b);
	assert_int_equal(rd32(p->data + IPV4_OFF_SRC), B_US);
	assert_int_equal(p->nexthop, IP4(198, 19, 2, 9));
	us_pkt_free(p);
	/* Bound to a device with no route through it: assumed on-link (as Linux). */
	tx = tx_to(IP4(198, 19, 1, 1), PROTO_UDP);
	tx.oif = e->b;
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), 0);
	p = t_pop_tx(e->st, e->b);
	assert_int_equal(p->nexthop, IP4(198, 19, 1, 1));
	assert_int_equal(rd32(p->data + IPV4_OFF_SRC), B_US);
	us_pkt_free(p);
	t_assert_no_leak(e->st);
}

static void test_no_source_address(void **state)
{
	struct us_stack *st = t_stack(false);
	int a = t_dev_new(st, "ta", 1500);
	struct us_ip_tx tx = tx_to(IP4(198, 19, 1, 1), PROTO_UDP);
	(void)state;

	assert_int_equal(us_route_add(st, IP4(198, 19, 0, 0), 16, 0, a, NULL, 0), 0);
	assert_int_equal(ip_output(st, &tx, l4_pattern(st, 16)), -EADDRNOTAVAIL);
	assert_int_equal(DROPS(st, IP_NO_SRC_ADDR), 1);
	t_free(st);
}

/* Our own address: through loopback, back in through ip_input, delivered. */
static void test_local_through_loopback(void **state)
{
	struct us_stack *st = t_stack(true);
	int lo = us_dev_index(st, "lo");
	int a = t_dev_new(st, "ta", 1500);
	struct us_ip_tx tx = tx_to(A_US, 253);
	struct us_pkt *p;
	(void)state;

	assert_int_equal(ifaddr_add(st, a, A_US, 24), 0);
	p = l4_pattern(st, 16);
	make_partial(p, A_US, A_US); /* checksum left undone: fine on loopback */
	assert_int_equal(ip_output(st, &tx, p), 0);
	assert_int_equal(t_txlen(st, lo), 1);
	p = t_dev(st, lo)->txq.first;
	assert_int_equal(p->csum, US_CSUM_PARTIAL);
	assert_int_equal(rd32(p->data + IPV4_OFF_SRC), A_US);
	assert_int_equal(rd32(p->data + IPV4_OFF_DST), A_US);
	/* Two poll rounds: out to lo's queue, then in. */
	us_stack_poll(st);
	us_stack_poll(st);
	assert_int_equal(DROPS(st, IP_NO_PROTO), 1);
	assert_int_equal(icmp_calls.count, 1);
	assert_int_equal(icmp_calls.code, ICMP_PROT_UNREACH);
	/* 127.0.0.1 too, with 127.0.0.1 as source. */
	tx.dst = IP4(127, 0, 0, 1);
	assert_int_equal(ip_output(st, &tx, l4_pattern(st, 16)), 0);
	p = t_dev(st, lo)->txq.first;
	assert_int_equal(rd32(p->data + IPV4_OFF_SRC), IP4(127, 0, 0, 1));
	us_stack_poll(st);
	us_stack_poll(st);
	assert_int_equal(DROPS(st, IP_NO_PROTO), 2);
	assert_int_equal(DROPS(st, IP_MARTIAN_SRC) + DROPS(st, IP_LAND), 0);
	t_free(st);
}

/* Without a loopback device there is no way to reach our own address. */
static void test_local_without_loopback(void **state)
{
	struct env *e = *state;
	struct us_ip_tx tx = tx_to(A_US, 253);

	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 16)), -ENETUNREACH);
	t_assert_no_leak(e->st);
}

static void test_df_and_fragments(void **state)
{
	struct env *e = *state;
	struct us_ip_tx tx = tx_to(A_PEER, PROTO_UDP);
	uint8_t whole[1008];
	struct us_pkt *p, *f0, *f1;
	uint16_t want;

	t_dev(e->st, e->a)->mtu = 576;
	/* DF asked for and too big: the sender is told, nothing is sent. */
	tx.df = 1;
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 1008)), -EMSGSIZE);
	assert_int_equal(DROPS(e->st, IP_FRAG_NEEDED), 1);
	assert_int_equal(STAT(e->st, IpFragFails), 1);
	assert_int_equal(icmp_calls.count, 0); /* no ICMP to ourselves */
	assert_int_equal(t_txlen(e->st, e->a), 0);

	/* Default DF: only on datagrams that fit; this one is fragmented here, and its
	 * checksum, left to the device, is finished first. */
	tx.df = -1;
	p = l4_pattern(e->st, 1008);
	memcpy(whole, p->data, sizeof(whole));
	wr16(whole + 6, 0);
	want = csum_fold(csum_partial(whole, sizeof(whole), csum_pseudo(A_US, A_PEER, PROTO_UDP, 1008)));
	make_partial(p, A_US, A_PEER);
	assert_int_equal(ip_output(e->st, &tx, p), 0);
	assert_int_equal(t_txlen(e->st, e->a), 2);
	f0 = t_pop_tx(e->st, e->a);
	f1 = t_pop_tx(e->st, e->a);
	assert_int_equal(us_pkt_len(f0), 572); /* 20 + 552 */
	assert_int_equal(rd16(f0->data + IPV4_OFF_FRAG), IPV4_FLAG_MF);
	assert_int_equal(us_pkt_len(f1), 20 + 1008 - 552);
	assert_int_equal(rd16(f1->data + IPV4_OFF_FRAG), 552 / 8);
	assert_int_equal(rd16(f0->data + IPV4_OFF_ID), rd16(f1->data + IPV4_OFF_ID));
	assert_int_equal(rd16(f0->data + IPV4_HDR_LEN + 6), want);
	assert_int_equal(f0->nexthop, A_PEER);
	us_pkt_free(f0);
	us_pkt_free(f1);
	assert_int_equal(STAT(e->st, IpFragOKs), 1);
	assert_int_equal(STAT(e->st, IpFragCreates), 2);
	/* A datagram that fits gets DF. */
	assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 556)), 0);
	p = t_pop_tx(e->st, e->a);
	assert_int_equal(rd16(p->data + IPV4_OFF_FRAG), IPV4_FLAG_DF);
	us_pkt_free(p);
	/* A route MTU below the device's is the one that counts. */
	{
		struct us_route r = t_route(IP4(198, 19, 0, 0), 16, US_RTN_UNICAST, e->a, 0, 0);

		r.mtu = 300;
		assert_int_equal(fib_add(e->st, &r), 0);
		tx = tx_to(IP4(198, 19, 0, 1), PROTO_UDP);
		tx.df = 1;
		assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 400)), -EMSGSIZE);
		tx.df = -1;
		assert_int_equal(ip_output(e->st, &tx, l4_pattern(e->st, 400)), 0);
		assert_int_equal(t_txlen(e->st, e->a), 2);
	}
	t_assert_no_leak(e->st);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_header_bytes),
		cmocka_unit_test(test_ids),
		T(test_partial_checksum),
		T(test_route_errors),
		T(test_broadcast),
		T(test_gateway_and_source),
		cmocka_unit_test(test_no_source_address),
		cmocka_unit_test(test_local_through_loopback),
		T(test_local_without_loopback),
		T(test_df_and_fragments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
