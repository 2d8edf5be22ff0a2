/*
 * test_ip_input.c - the IPv4 receive path (src/ip/ip_input.c) with byte fixtures
 * from scapy (gen_ip_fixtures.py): every header failure with its drop reason and
 * MIB counter, link padding, options, martian sources and destinations, land,
 * broadcasts, multicast, the route types, the reverse-path filter, and reassembly
 * before delivery.
 *
 * Delivery is observed through protocol 253, which the stack does not handle: a
 * datagram that reaches ip_local_deliver ends as "protocol unreachable" (drop
 * IP_NO_PROTO, and a call to the wrapped icmp_send_error quoting it).
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

/* @fix, received on ta, is dropped with @reason and @icmp_errors ICMP errors are sent. */
static void expect_drop_answered(struct env *e, int dev, const uint8_t *fix, size_t len,
				 enum us_drop_reason reason, unsigned icmp_errors)
{
	uint64_t before = e->st->counters.drop[reason], total = t_drops_total(e->st);
	unsigned icmp_before = icmp_calls.count;
	uint64_t delivers = STAT(e->st, IpInDelivers);

	t_inject(e->st, dev, fix, len);
	assert_int_equal(e->st->counters.drop[reason], before + 1);
	assert_int_equal(t_drops_total(e->st), total + 1);
	assert_int_equal(icmp_calls.count, icmp_before + icmp_errors);
	assert_int_equal(STAT(e->st, IpInDelivers), delivers);
	t_assert_no_leak(e->st);
}

/* @fix, received on ta, is dropped with @reason and nothing else happens. */
static void expect_drop_on(struct env *e, int dev, const uint8_t *fix, size_t len,
			   enum us_drop_reason reason)
{
	expect_drop_answered(e, dev, fix, len, reason, 0);
}

static void expect_drop(struct env *e, const uint8_t *fix, size_t len, enum us_drop_reason reason)
{
	expect_drop_on(e, e->a, fix, len, reason);
}

/* @fix was delivered locally (and then refused as protocol 253). */
static void expect_delivered(struct env *e, unsigned n)
{
	assert_int_equal(DROPS(e->st, IP_NO_PROTO), n);
	assert_int_equal(STAT(e->st, IpInUnknownProtos), n);
	assert_int_equal(icmp_calls.count, n);
	assert_int_equal(icmp_calls.type, ICMP_DEST_UNREACH);
	assert_int_equal(icmp_calls.code, ICMP_PROT_UNREACH);
	t_assert_no_leak(e->st);
}

static void test_good(void **state)
{
	struct env *e = *state;

	INJECT(e, e->a, FIX_GOOD);
	assert_int_equal(STAT(e->st, IpInReceives), 1);
	assert_int_equal(STAT(e->st, IpInHdrErrors), 0);
	expect_delivered(e, 1);
	assert_int_equal(t_drops_total(e->st), 1);
	/* The quoted datagram is the one received, unchanged. */
	assert_int_equal(icmp_calls.len, sizeof(FIX_GOOD));
	assert_memory_equal(icmp_calls.quoted, FIX_GOOD, 28);
}

/* Link padding after the total length is cut off before anything else sees it. */
static void test_padding_trimmed(void **state)
{
	struct env *e = *state;
	uint8_t padded[sizeof(FIX_GOOD) + 24];

	memcpy(padded, FIX_GOOD, sizeof(FIX_GOOD));
	memset(padded + sizeof(FIX_GOOD), 0xee, 24);
	t_inject(e->st, e->a, padded, sizeof(padded));
	expect_delivered(e, 1);
	assert_int_equal(icmp_calls.len, sizeof(FIX_GOOD));
}

static void test_header_errors(void **state)
{
	struct env *e = *state;

	expect_drop(e, FIX_GOOD, 12, US_DROP_PKT_TOO_SHORT);
	assert_int_equal(STAT(e->st, IpInHdrErrors), 1);
	expect_drop(e, FIX_VERSION, sizeof(FIX_VERSION), US_DROP_IP_VERSION);
	assert_int_equal(STAT(e->st, IpInHdrErrors), 2);
	expect_drop(e, FIX_IHL, sizeof(FIX_IHL), US_DROP_IP_IHL);
	assert_int_equal(STAT(e->st, IpInHdrErrors), 3);
	expect_drop(e, FIX_TOTLEN_SHORT, sizeof(FIX_TOTLEN_SHORT), US_DROP_IP_TOTAL_LEN);
	assert_int_equal(STAT(e->st, IpInHdrErrors), 4);
	/* Total length beyond the frame: truncated, counted apart (not a header error). */
	expect_drop(e, FIX_TRUNC, sizeof(FIX_TRUNC), US_DROP_IP_TOTAL_LEN);
	assert_int_equal(STAT(e->st, IpInHdrErrors), 4);
	assert_int_equal(STAT(e->st, IpExtInTruncatedPkts), 1);
	/* A frame cut short inside the datagram is truncated too. */
	expect_drop(e, FIX_GOOD, sizeof(FIX_GOOD) - 1, US_DROP_IP_TOTAL_LEN);
	assert_int_equal(STAT(e->st, IpExtInTruncatedPkts), 2);
	expect_drop(e, FIX_CSUM, sizeof(FIX_CSUM), US_DROP_IP_CSUM);
	assert_int_equal(STAT(e->st, IpInHdrErrors), 5);
	assert_int_equal(STAT(e->st, IpExtInCsumErrors), 1);
	assert_int_equal(icmp_calls.count, 0); /* none of the above is answered */
	expect_drop_answered(e, e->a, FIX_BADOPT, sizeof(FIX_BADOPT), US_DROP_IP_BAD_OPTIONS, 1);
	assert_int_equal(STAT(e->st, IpInHdrErrors), 6);
	/* RFC 1122 3.2.2.5: a parameter problem pointing at the record-route option's
	 * length byte (2, less than the 3 the option needs), quoting the datagram. */
	assert_int_equal(icmp_calls.count, 1);
	assert_int_equal(icmp_calls.type, ICMP_PARAMETERPROB);
	assert_int_equal(icmp_calls.code, 0);
	assert_int_equal(icmp_calls.info, 21);
	assert_int_equal(icmp_calls.len, sizeof(FIX_BADOPT));
	assert_memory_equal(icmp_calls.quoted, FIX_BADOPT, sizeof(icmp_calls.quoted));
	assert_int_equal(STAT(e->st, IpInReceives), 8);
}

/* The header checksum is checked even when the device vouched for the frame: only the
 * transport checksum is offloaded. */
static void test_header_csum_checked_despite_offload(void **state)
{
	struct env *e = *state;
	struct us_pkt *p = t_pkt(e->st, e->a, FIX_CSUM, sizeof(FIX_CSUM));

	p->csum = US_CSUM_VERIFIED;
	ip_input(e->st, p);
	assert_int_equal(DROPS(e->st, IP_CSUM), 1);
	p = t_pkt(e->st, e->a, FIX_CSUM, sizeof(FIX_CSUM));
	p->csum = US_CSUM_PARTIAL;
	ip_input(e->st, p);
	assert_int_equal(DROPS(e->st, IP_CSUM), 2);
	assert_int_equal(STAT(e->st, IpExtInCsumErrors), 2);
	t_assert_no_leak(e->st);
}

static void test_options(void **state)
{
	struct env *e = *state;

	/* RFC 1122 3.2.1.8: source routes refused by default ... */
	expect_drop(e, FIX_LSRR, sizeof(FIX_LSRR), US_DROP_IP_SRC_ROUTE);
	/* ... accepted when configured (the datagram is ours: delivered) ... */
	assert_int_equal(us_stack_set(e->st, "net.ipv4.conf.all.accept_source_route", "1"), 0);
	INJECT(e, e->a, FIX_LSRR);
	expect_delivered(e, 1);
	/* ... and other options are simply accepted. */
	INJECT(e, e->a, FIX_RR);
	expect_delivered(e, 2);
	assert_int_equal(icmp_calls.len, sizeof(FIX_RR));
}

static void test_martian_sources(void **state)
{
	struct env *e = *state;
	static const struct { const uint8_t *fix; size_t len; } m[] = {
		{ FIX_MSRC_LOOP, sizeof(FIX_MSRC_LOOP) },
		{ FIX_MSRC_MCAST, sizeof(FIX_MSRC_MCAST) },
		{ FIX_MSRC_LBCAST, sizeof(FIX_MSRC_LBCAST) },
		{ FIX_MSRC_ZERO, sizeof(FIX_MSRC_ZERO) },
		{ FIX_MSRC_ZERONET, sizeof(FIX_MSRC_ZERONET) },
		{ FIX_MSRC_CLASSE, sizeof(FIX_MSRC_CLASSE) },
		{ FIX_MSRC_SUBNET_BCAST, sizeof(FIX_MSRC_SUBNET_BCAST) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
		expect_drop(e, m[i].fix, m[i].len, US_DROP_IP_MARTIAN_SRC);
		assert_int_equal(STAT(e->st, IpExtInMartians), i + 1);
	}
	/* Logged (rate limited) when log_martians is set; still dropped the same way. */
	assert_int_equal(us_stack_set(e->st, "net.ipv4.conf.all.log_martians", "1"), 0);
	expect_drop(e, FIX_MSRC_LOOP, sizeof(FIX_MSRC_LOOP), US_DROP_IP_MARTIAN_SRC);
	assert_int_equal(STAT(e->st, IpExtInMartians), ARRAY_SIZE(m) + 1);
}

static void test_martian_destinations(void **state)
{
	struct env *e = *state;

	expect_drop(e, FIX_MDST_ZERONET, sizeof(FIX_MDST_ZERONET), US_DROP_IP_MARTIAN_DST);
	expect_drop(e, FIX_MDST_LOOP, sizeof(FIX_MDST_LOOP), US_DROP_IP_MARTIAN_DST);
	expect_drop(e, FIX_MDST_CLASSE, sizeof(FIX_MDST_CLASSE), US_DROP_IP_MARTIAN_DST);
	assert_int_equal(STAT(e->st, IpExtInMartians), 3);
	assert_int_equal(STAT(e->st, IpInAddrErrors), 3);
}

/* Loopback addresses are fine on the loopback device (our own traffic). */
static void test_loopback_addresses_on_lo(void **state)
{
	struct us_stack *st = t_stack(true);
	int lo = us_dev_index(st, "lo");
	(void)state;

	/* 127.0.0.1 -> 198.18.0.1 would be martian from outside; over lo it is ours. */
	assert_int_equal(ifaddr_add(st, t_dev_new(st, "ta", 1500), A_US, 24), 0);
	t_inject(st, lo, FIX_MSRC_LOOP, sizeof(FIX_MSRC_LOOP));
	assert_int_equal(DROPS(st, IP_NO_PROTO), 1);
	/* A datagram from one of our addresses to another, over lo: not a land attack. */
	t_inject(st, lo, FIX_LAND, sizeof(FIX_LAND));
	assert_int_equal(DROPS(st, IP_NO_PROTO), 2);
	assert_int_equal(DROPS(st, IP_LAND), 0);
	t_free(st);
}

static void test_land(void **state)
{
	struct env *e = *state;

	expect_drop(e, FIX_LAND, sizeof(FIX_LAND), US_DROP_IP_LAND);
	expect_drop(e, FIX_LAND_OTHER, sizeof(FIX_LAND_OTHER), US_DROP_IP_LAND);
}

/* Not addressed to us and forwarding off: dropped and counted, no ICMP. */
static void test_not_for_us(void **state)
{
	struct env *e = *state;

	expect_drop(e, FIX_TO_B_PEER, sizeof(FIX_TO_B_PEER), US_DROP_IP_NOT_FOR_US);
	expect_drop(e, FIX_NO_ROUTE, sizeof(FIX_NO_ROUTE), US_DROP_IP_NOT_FOR_US);
	assert_int_equal(STAT(e->st, IpInAddrErrors), 2);
	assert_int_equal(t_txlen(e->st, e->b), 0);
	/* Forwarding on, but no route: ICMP net unreachable (Linux ip_error). */
	assert_int_equal(us_stack_set(e->st, "net.ipv4.conf.ta.forwarding", "1"), 0);
	INJECT(e, e->a, FIX_NO_ROUTE);
	assert_int_equal(DROPS(e->st, IP_NO_ROUTE), 1);
	assert_int_equal(STAT(e->st, IpExtInNoRoutes), 1);
	assert_int_equal(icmp_calls.count, 1);
	assert_int_equal(icmp_calls.type, ICMP_DEST_UNREACH);
	assert_int_equal(icmp_calls.code, ICMP_NET_UNREACH);
	assert_memory_equal(icmp_calls.quoted, FIX_NO_ROUTE, 28);
	/* ... and with a route: forwarded (ip_forward's own tests check the details). */
	INJECT(e, e->a, FIX_TO_B_PEER);
	assert_int_equal(STAT(e->st, IpForwDatagrams), 1);
	assert_int_equal(t_txlen(e->st, e->b), 1);
	t_assert_no_leak(e->st);
}

static void add_reject_routes(struct env *e)
{
	assert_int_equal(us_route_add(e->st, IP4(198, 19, 50, 0), 24, 0, 0, "unreachable", 0), 0);
	assert_int_equal(us_route_add(e->st, IP4(198, 19, 51, 0), 24, 0, 0, "prohibit", 0), 0);
	assert_int_equal(us_route_add(e->st, IP4(198, 19, 52, 0), 24, 0, 0, "blackhole", 0), 0);
}

/* Reject routes on a host that does not forward: dropped, counted, never answered. */
static void test_reject_routes_host(void **state)
{
	struct env *e = *state;

	add_reject_routes(e);
	expect_drop(e, FIX_UNREACH, sizeof(FIX_UNREACH), US_DROP_IP_UNREACHABLE);
	expect_drop(e, FIX_PROHIBIT, sizeof(FIX_PROHIBIT), US_DROP_IP_PROHIBIT);
	expect_drop(e, FIX_BLACKHOLE, sizeof(FIX_BLACKHOLE), US_DROP_IP_BLACKHOLE);
	assert_int_equal(STAT(e->st, IpInAddrErrors), 3);
}

/* ... and on a router: host unreachable, administratively prohibited (code 13), and
 * silence for the blackhole. */
static void test_reject_routes_router(void **state)
{
	struct env *e = *state;

	add_reject_routes(e);
	assert_int_equal(us_stack_set(e->st, "net.ipv4.ip_forward", "1"), 0);
	INJECT(e, e->a, FIX_UNREACH);
	assert_int_equal(DROPS(e->st, IP_UNREACHABLE), 1);
	assert_int_equal(icmp_calls.count, 1);
	assert_int_equal(icmp_calls.type, ICMP_DEST_UNREACH);
	assert_int_equal(icmp_calls.code, ICMP_HOST_UNREACH);
	assert_memory_equal(icmp_calls.quoted, FIX_UNREACH, 28);
	INJECT(e, e->a, FIX_PROHIBIT);
	assert_int_equal(DROPS(e->st, IP_PROHIBIT), 1);
	assert_int_equal(icmp_calls.count, 2);
	assert_int_equal(icmp_calls.code, 13);
	INJECT(e, e->a, FIX_BLACKHOLE);
	assert_int_equal(DROPS(e->st, IP_BLACKHOLE), 1);
	assert_int_equal(icmp_calls.count, 2);
	assert_int_equal(STAT(e->st, IpInAddrErrors), 0);
	t_assert_no_leak(e->st);
}

static void test_broadcasts(void **state)
{
	struct env *e = *state;

	INJECT(e, e->a, FIX_BCAST);
	expect_delivered(e, 1);
	INJECT(e, e->a, FIX_NETADDR);
	expect_delivered(e, 2);
	INJECT(e, e->a, FIX_LBCAST);
	expect_delivered(e, 3);
	assert_int_equal(STAT(e->st, IpExtInBcastPkts), 3);
	/* Marked broadcast for the transports (ICMP never answers it), although the
	 * frame itself came unicast. */
	assert_int_equal(icmp_calls.pkt_type, US_PKT_BROADCAST);
	INJECT(e, e->a, FIX_GOOD);
	expect_delivered(e, 4);
	assert_int_equal(icmp_calls.pkt_type, US_PKT_HOST);
	/* A broadcast is never forwarded, even by a router. */
	assert_int_equal(us_stack_set(e->st, "net.ipv4.ip_forward", "1"), 0);
	INJECT(e, e->a, FIX_BCAST);
	expect_delivered(e, 5);
	assert_int_equal(STAT(e->st, IpForwDatagrams), 0);
}

static void test_multicast(void **state)
{
	struct env *e = *state;

	INJECT(e, e->a, FIX_ALLHOSTS);
	expect_delivered(e, 1);
	assert_int_equal(icmp_calls.pkt_type, US_PKT_MULTICAST);
	expect_drop(e, FIX_MCAST_OTHER, sizeof(FIX_MCAST_OTHER), US_DROP_IP_MCAST);
}

/* RFC 3704: loose (the default) needs some route back; strict the best route back
 * through the input device; 0 turns the check off. */
static void test_rp_filter(void **state)
{
	struct env *e = *state;
	struct us_route m = { .dst = IP4(198, 19, 0, 0), .plen = 16, .table = US_RT_TABLE_MAIN };

	expect_drop(e, FIX_RPF, sizeof(FIX_RPF), US_DROP_IP_RPFILTER);
	assert_int_equal(STAT(e->st, TcpExtIPReversePathFilter), 1);
	/* A route back through the other device: loose passes ... */
	assert_int_equal(us_route_add(e->st, IP4(198, 19, 0, 0), 16, IP4(198, 18, 1, 254), 0, NULL, 0), 0);
	INJECT(e, e->a, FIX_RPF);
	expect_delivered(e, 1);
	/* ... strict does not ... */
	assert_int_equal(us_stack_set(e->st, "net.ipv4.conf.all.rp_filter", "1"), 0);
	expect_drop(e, FIX_RPF, sizeof(FIX_RPF), US_DROP_IP_RPFILTER);
	assert_int_equal(STAT(e->st, TcpExtIPReversePathFilter), 2);
	/* ... until the route back leaves through the input device. */
	assert_int_equal(fib_del(e->st, &m), 0);
	assert_int_equal(us_route_add(e->st, IP4(198, 19, 0, 0), 16, IP4(198, 18, 0, 254), 0, NULL, 0), 0);
	INJECT(e, e->a, FIX_RPF);
	expect_delivered(e, 2);
	/* Received on the other device, strict fails again. */
	expect_drop_on(e, e->b, FIX_RPF, sizeof(FIX_RPF), US_DROP_IP_RPFILTER);
	/* A reject route back does not count as a way back. */
	assert_int_equal(fib_del(e->st, &m), 0);
	assert_int_equal(us_route_add(e->st, IP4(198, 19, 0, 0), 16, 0, 0, "unreachable", 0), 0);
	assert_int_equal(us_stack_set(e->st, "net.ipv4.conf.all.rp_filter", "2"), 0);
	expect_drop(e, FIX_RPF, sizeof(FIX_RPF), US_DROP_IP_RPFILTER);
	/* Off: anything goes. */
	assert_int_equal(us_stack_set(e->st, "net.ipv4.conf.all.rp_filter", "0"), 0);
	INJECT(e, e->a, FIX_RPF);
	expect_delivered(e, 3);
}

/* Fragments are reassembled before delivery; the transport sees the whole datagram. */
static void test_fragments_reassembled(void **state)
{
	struct env *e = *state;

	INJECT(e, e->a, FIX_FRAG1); /* the last one first */
	assert_int_equal(DROPS(e->st, IP_NO_PROTO), 0);
	assert_int_equal(icmp_calls.count, 0);
	INJECT(e, e->a, FIX_FRAG0);
	expect_delivered(e, 1);
	assert_int_equal(STAT(e->st, IpInDelivers), 0); /* protocol 253 is not delivered */
	assert_int_equal(icmp_calls.len, 120);
	assert_int_equal(rd16(icmp_calls.quoted + IPV4_OFF_LEN), 120);
	assert_int_equal(rd16(icmp_calls.quoted + IPV4_OFF_FRAG), 0);
	assert_int_equal(rd16(icmp_calls.quoted + IPV4_OFF_ID), 0x3003);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_good),
		T(test_padding_trimmed),
		T(test_header_errors),
		T(test_header_csum_checked_despite_offload),
		T(test_options),
		T(test_martian_sources),
		T(test_martian_destinations),
		cmocka_unit_test(test_loopback_addresses_on_lo),
		T(test_land),
		T(test_not_for_us),
		T(test_reject_routes_host),
		T(test_reject_routes_router),
		T(test_broadcasts),
		T(test_multicast),
		T(test_rp_filter),
		T(test_fragments_reassembled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
