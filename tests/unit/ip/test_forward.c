/*
 * test_forward.c - forwarding (src/ip/ip_forward.c, through ip_input): the TTL
 * decrement with its incremental checksum update against scapy's bytes
 * (gen_ip_fixtures.py) and against a full recomputation for every TTL, next hops,
 * TTL expiry, DF and fragmentation on a smaller link, link-layer broadcasts, the
 * forwarding switch, shared packets and offloaded checksums.
 */
#include "ip_env.h"

#include "ip_fixtures.inc"

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
	assert_int_equal(us_stack_set(e->st, "net.ipv4.ip_forward", "1"), 0);
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

#define INJECT(e, dev, fix) t_inject((e)->st, (dev), (fix), sizeof(fix))

static void expect_frame(struct env *e, int dev, const uint8_t *fix, size_t len, uint32_t nexthop)
{
	struct us_pkt *p = t_pop_tx(e->st, dev);

	assert_non_null(p);
	assert_int_equal(us_pkt_len(p), len);
	assert_memory_equal(p->data, fix, len);
	assert_int_equal(p->nexthop, nexthop);
	assert_true(p->flags & US_PKT_F_FORWARDED);
	assert_false(p->flags & US_PKT_F_LOCAL_OUT);
	us_pkt_free(p);
}

static void test_forward_basic(void **state)
{
	struct env *e = *state;

	INJECT(e, e->a, FIX_FWD_IN);
	assert_int_equal(STAT(e->st, IpForwDatagrams), 1);
	assert_int_equal(t_txlen(e->st, e->b), 1);
	/* TTL 63 and the checksum scapy computes for it, from an incremental update. */
	expect_frame(e, e->b, FIX_FWD_OUT, sizeof(FIX_FWD_OUT), B_PEER);
	assert_int_equal(t_drops_total(e->st), 0);
	assert_int_equal(STAT(e->st, IpInDelivers), 0);
	t_assert_no_leak(e->st);
}

static void test_forward_via_gateway(void **state)
{
	struct env *e = *state;
	struct us_pkt *p;

	assert_int_equal(us_route_add(e->st, IP4(198, 19, 0, 0), 16, IP4(198, 18, 1, 254), 0, NULL, 0), 0);
	INJECT(e, e->a, FIX_FWD_OFFNET);
	p = t_pop_tx(e->st, e->b);
	assert_non_null(p);
	assert_int_equal(p->nexthop, IP4(198, 18, 1, 254));
	assert_int_equal(p->data[IPV4_OFF_TTL], 63);
	assert_int_equal(csum_fold(csum_partial(p->data, IPV4_HDR_LEN, 0)), 0);
	assert_memory_equal(p->data + IPV4_HDR_LEN, FIX_FWD_OFFNET + IPV4_HDR_LEN,
			    sizeof(FIX_FWD_OFFNET) - IPV4_HDR_LEN);
	us_pkt_free(p);
	t_assert_no_leak(e->st);
}

/* RFC 1812 5.3.1: TTL 1 expires here; the source hears "time exceeded in transit"
 * quoting the datagram as it arrived. */
static void test_ttl_expired(void **state)
{
	struct env *e = *state;

	INJECT(e, e->a, FIX_FWD_TTL1);
	assert_int_equal(DROPS(e->st, IP_TTL_EXPIRED), 1);
	assert_int_equal(STAT(e->st, IpInHdrErrors), 1);
	assert_int_equal(STAT(e->st, IpForwDatagrams), 0);
	assert_int_equal(icmp_calls.count, 1);
	assert_int_equal(icmp_calls.type, ICMP_TIME_EXCEEDED);
	assert_int_equal(icmp_calls.code, ICMP_EXC_TTL);
	assert_memory_equal(icmp_calls.quoted, FIX_FWD_TTL1, 28);
	assert_int_equal(t_txlen(e->st, e->b), 0);
	t_assert_no_leak(e->st);
}

/* RFC 1624: the incremental update agrees with summing the header again, for every
 * TTL and a spread of other header contents (including checksums near 0 and 0xffff). */
static void test_ttl_checksum_every_value(void **state)
{
	struct env *e = *state;
	struct us_route rt;

	assert_int_equal(fib_lookup(e->st, B_PEER, &rt), 0);
	for (unsigned ttl = 2; ttl <= 255; ttl++) {
		for (unsigned k = 0; k < 64; k++) {
			struct ipv4_repr ip = {
				.hdr_len = IPV4_HDR_LEN, .total_len = IPV4_HDR_LEN + 8,
				.id = (uint16_t)(k * 1031 + ttl * 7), .ttl = (uint8_t)ttl,
				.proto = (uint8_t)(k * 37), .src = A_PEER + k * 65537u, .dst = B_PEER,
				.tos = (uint8_t)k, .df = k & 1,
			};
			uint8_t buf[28] = { 0 };
			struct us_pkt *p;

			ipv4_emit(&ip, NULL, buf);
			p = t_pkt(e->st, e->a, buf, sizeof(buf));
			us_pkt_set_network(p);
			ip_forward(e->st, p, &ip, &rt);
			p = t_pop_tx(e->st, e->b);
			assert_non_null(p);
			assert_int_equal(p->data[IPV4_OFF_TTL], ttl - 1);
			assert_int_equal(p->data[IPV4_OFF_PROTO], ip.proto);
			ip.ttl = (uint8_t)(ttl - 1);
			ipv4_emit(&ip, NULL, buf);
			/* Equal to a fresh header (one's complement has two zeros; the
			 * update never yields the other one). */
			assert_memory_equal(p->data, buf, IPV4_HDR_LEN);
			us_pkt_free(p);
		}
	}
	t_assert_no_leak(e->st);
}

/* Forwarding is a property of the input device. */
static void test_forwarding_off(void **state)
{
	struct env *e = *state;
	struct us_route rt;

	assert_int_equal(us_stack_set(e->st, "net.ipv4.conf.ta.forwarding", "0"), 0);
	/* Through ip_input: not for us. */
	INJECT(e, e->a, FIX_FWD_IN);
	assert_int_equal(DROPS(e->st, IP_NOT_FOR_US), 1);
	/* ip_forward itself refuses too. */
	assert_int_equal(fib_lookup(e->st, B_PEER, &rt), 0);
	{
		struct ipv4_repr ip;
		struct us_pkt *p = t_pkt(e->st, e->a, FIX_FWD_IN, sizeof(FIX_FWD_IN));

		assert_int_equal(ipv4_parse(p->data, us_pkt_len(p), false, &ip), US_DROP_NONE);
		us_pkt_set_network(p);
		ip_forward(e->st, p, &ip, &rt);
	}
	assert_int_equal(DROPS(e->st, IP_FORWARD_OFF), 1);
	assert_int_equal(t_txlen(e->st, e->b), 0);
	t_assert_no_leak(e->st);
}

/* RFC 1812 5.3.4: a frame sent to the link broadcast address is not forwarded. */
static void test_link_broadcast_not_forwarded(void **state)
{
	struct env *e = *state;
	struct us_pkt *p = t_pkt(e->st, e->a, FIX_FWD_IN, sizeof(FIX_FWD_IN));

	p->pkt_type = US_PKT_BROADCAST;
	ip_input(e->st, p);
	assert_int_equal(DROPS(e->st, IP_FWD_LINK_BCAST), 1);
	p = t_pkt(e->st, e->a, FIX_FWD_IN, sizeof(FIX_FWD_IN));
	p->pkt_type = US_PKT_MULTICAST;
	ip_input(e->st, p);
	assert_int_equal(DROPS(e->st, IP_FWD_LINK_BCAST), 2);
	assert_int_equal(t_txlen(e->st, e->b), 0);
	assert_int_equal(icmp_calls.count, 0);
	t_assert_no_leak(e->st);
}

/* RFC 1191 / RFC 1812 5.2.6: DF and larger than the next link: "fragmentation
 * needed" with that link's MTU, quoting the datagram as it arrived. */
static void test_df_too_big(void **state)
{
	struct env *e = *state;

	t_dev(e->st, e->b)->mtu = 576;
	INJECT(e, e->a, FIX_FWD_BIG_DF);
	assert_int_equal(DROPS(e->st, IP_FRAG_NEEDED), 1);
	assert_int_equal(STAT(e->st, IpFragFails), 1);
	assert_int_equal(STAT(e->st, IpForwDatagrams), 0);
	assert_int_equal(icmp_calls.count, 1);
	assert_int_equal(icmp_calls.type, ICMP_DEST_UNREACH);
	assert_int_equal(icmp_calls.code, ICMP_FRAG_NEEDED);
	assert_int_equal(icmp_calls.info, 576);
	assert_memory_equal(icmp_calls.quoted, FIX_FWD_BIG_DF, 28);
	assert_int_equal(t_txlen(e->st, e->b), 0);
	/* A route MTU lower than the device's counts the same way. */
	t_dev(e->st, e->b)->mtu = 1500;
	{
		struct us_route r = t_route(IP4(198, 18, 1, 0), 25, US_RTN_UNICAST, e->b, 0, 0);

		r.mtu = 1000;
		assert_int_equal(fib_add(e->st, &r), 0);
	}
	INJECT(e, e->a, FIX_FWD_BIG_DF);
	assert_int_equal(icmp_calls.count, 2);
	assert_int_equal(icmp_calls.info, 1000);
	t_assert_no_leak(e->st);
}

/* DF clear: fragmented for the smaller link, each fragment with TTL 63 (scapy's
 * fragment() of the forwarded datagram gives the same bytes). */
static void test_fragmented_on_small_link(void **state)
{
	struct env *e = *state;

	t_dev(e->st, e->b)->mtu = 576;
	INJECT(e, e->a, FIX_FWD_BIG);
	assert_int_equal(STAT(e->st, IpForwDatagrams), 1);
	assert_int_equal(t_txlen(e->st, e->b), 2);
	expect_frame(e, e->b, FIX_FWD_BIG_FRAG0, sizeof(FIX_FWD_BIG_FRAG0), B_PEER);
	expect_frame(e, e->b, FIX_FWD_BIG_FRAG1, sizeof(FIX_FWD_BIG_FRAG1), B_PEER);
	assert_int_equal(STAT(e->st, IpFragOKs), 1);
	t_assert_no_leak(e->st);
}

/* A packet another owner still holds is copied before its header changes. */
static void test_shared_packet_copied(void **state)
{
	struct env *e = *state;
	struct us_pkt *p = t_pkt(e->st, e->a, FIX_FWD_IN, sizeof(FIX_FWD_IN));

	us_pkt_get(p);
	ip_input(e->st, p);
	expect_frame(e, e->b, FIX_FWD_OUT, sizeof(FIX_FWD_OUT), B_PEER);
	assert_memory_equal(p->data, FIX_FWD_IN, sizeof(FIX_FWD_IN)); /* untouched */
	us_pkt_free(p);
	t_assert_no_leak(e->st);
}

/* A frame whose transport checksum the sending kernel left to us (TAP with vnet
 * headers) leaves complete on a device without offload. */
static void test_partial_checksum_completed(void **state)
{
	struct env *e = *state;
	struct us_pkt *p = t_pkt(e->st, e->a, FIX_FWD_IN, sizeof(FIX_FWD_IN));
	size_t l4 = sizeof(FIX_FWD_IN) - IPV4_HDR_LEN;

	wr16(p->data + IPV4_HDR_LEN + 6,
	     (uint16_t)~csum_fold(csum_pseudo(A_PEER, B_PEER, 17, (uint16_t)l4)));
	p->csum = US_CSUM_PARTIAL;
	p->csum_start = (uint16_t)(us_pkt_offset(p, p->data) + IPV4_HDR_LEN);
	p->csum_offset = 6;
	ip_input(e->st, p);
	expect_frame(e, e->b, FIX_FWD_OUT, sizeof(FIX_FWD_OUT), B_PEER);
	/* A device verified checksum says nothing on the way out. */
	p = t_pkt(e->st, e->a, FIX_FWD_IN, sizeof(FIX_FWD_IN));
	p->csum = US_CSUM_VERIFIED;
	ip_input(e->st, p);
	p = t_pop_tx(e->st, e->b);
	assert_int_equal(p->csum, US_CSUM_NONE);
	us_pkt_free(p);
	t_assert_no_leak(e->st);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_forward_basic),
		T(test_forward_via_gateway),
		T(test_ttl_expired),
		T(test_ttl_checksum_every_value),
		T(test_forwarding_off),
		T(test_link_broadcast_not_forwarded),
		T(test_df_too_big),
		T(test_fragmented_on_small_link),
		T(test_shared_packet_copied),
		T(test_partial_checksum_completed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
