/*
 * test_eth.c - Ethernet input filtering (destination classes, bad sources,
 * runts, unknown EtherTypes, ARP on NOARP devices, promiscuous mode) and output
 * framing (source address, zero padding of runts to 60 bytes, the MTU check).
 * Bench: tests/unit/neigh/neigh_env.h (stack "a" with ve0 = 02:00:00:00:00:02,
 * 198.18.0.2/24; frames it sends are read off its pair peer).
 *
 * Fixtures produced with scapy 2.5.0 (/usr/bin/python3), raw(<expression in the
 * comment>); US = 02:00:00:00:00:02, PEER = 02:00:00:00:00:01.
 */
#include "../neigh/neigh_env.h"

#include "l2/eth.h"

/* Ether(dst=US, src=PEER)/IP(198.18.0.1 > 198.18.0.2, id 1)/ICMP(echo-request id 0x1234
 * seq 1)/'ping' (46 bytes) */
static const uint8_t ICMP_ECHO_TO_US[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01,
	0xee, 0xb4, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x08, 0x00,
	0x06, 0xfa, 0x12, 0x34, 0x00, 0x01, 0x70, 0x69, 0x6e, 0x67,
};

/* Ether(dst=ff:..:ff, src=PEER)/ARP(who-has 198.18.0.2 tell 198.18.0.1) (42 bytes) */
static const uint8_t ARP_REQ_FOR_US[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xc6, 0x12, 0x00, 0x02,
};

/* Ether(dst=PEER, src=US, type=0x88b5)/Raw('0123456789')/Padding(36 zero bytes) (60 bytes) */
static const uint8_t ETH_RUNT_PADDED[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x88, 0xb5, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static uint64_t eth_drops(struct env *e)
{
	return env_drops(e, US_DROP_ETH_OTHERHOST) + env_drops(e, US_DROP_ETH_BAD_SRC) +
	       env_drops(e, US_DROP_PKT_TOO_SHORT) + env_drops(e, US_DROP_UNKNOWN_L2PROTO);
}

/* The ICMP echo with its destination MAC replaced. */
static void inject_echo_to(struct env *e, const uint8_t *dst)
{
	uint8_t frame[sizeof(ICMP_ECHO_TO_US)];

	memcpy(frame, ICMP_ECHO_TO_US, sizeof(frame));
	memcpy(frame, dst, 6);
	env_inject(e, frame, sizeof(frame));
}

/* Our MAC, broadcast and any multicast group are accepted and go to IPv4. */
static void test_accepts_host_bcast_mcast(void **state)
{
	struct env *e = *state;
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

	/* A static entry for the peer, so that whatever IP answers leaves at once. */
	assert_int_equal(neigh_add_static(e->a, e->ifa, ADDR_PEER, MAC_PEER), 0);
	inject_echo_to(e, MAC_US);
	inject_echo_to(e, MAC_BCAST);
	inject_echo_to(e, mcast);
	assert_int_equal(eth_drops(e), 0);
	/* ip_input counts every datagram handed to it (RFC 4293 ipSystemStatsInReceives). */
	assert_int_equal(env_stat(e, IpInReceives), 3);
	env_count_arp(e, 0, 0, NULL, NULL); /* IP's answers: not this test's business */
	env_no_leak(e);
}

static void test_otherhost(void **state)
{
	struct env *e = *state;
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x99 };

	inject_echo_to(e, other);
	assert_int_equal(env_drops(e, US_DROP_ETH_OTHERHOST), 1);
	assert_int_equal(env_stat(e, IpInReceives), 0);
	/* Promiscuous: Ethernet lets it up, marked US_PKT_OTHERHOST, and the IP layer
	 * drops it uncounted by IP, as Linux's ip_rcv_core drops PACKET_OTHERHOST: no
	 * echo reply for a ping addressed to another host's MAC. */
	assert_int_equal(neigh_add_static(e->a, e->ifa, ADDR_PEER, MAC_PEER), 0);
	e->da->flags |= US_DEV_PROMISC;
	inject_echo_to(e, other);
	assert_int_equal(env_drops(e, US_DROP_ETH_OTHERHOST), 2);
	assert_int_equal(env_stat(e, IpInReceives), 0);
	assert_int_equal(env_stat(e, IcmpOutEchoReps), 0);
	env_count_arp(e, 0, 0, NULL, NULL);
	env_no_leak(e);
}

/* IEEE 802.3: a group bit in the source address makes the frame invalid. */
static void test_bad_source(void **state)
{
	struct env *e = *state;
	uint8_t frame[sizeof(ICMP_ECHO_TO_US)];

	memcpy(frame, ICMP_ECHO_TO_US, sizeof(frame));
	memcpy(frame + 6, MAC_BCAST, 6);
	env_inject(e, frame, sizeof(frame));
	frame[6] = 0x01;
	frame[7] = 0x00;
	frame[8] = 0x5e;
	env_inject(e, frame, sizeof(frame));
	/* ARP, too: an ARP "from" broadcast is never answered. */
	memcpy(frame, ARP_REQ_FOR_US, sizeof(ARP_REQ_FOR_US));
	memcpy(frame + 6, MAC_BCAST, 6);
	env_inject(e, frame, sizeof(ARP_REQ_FOR_US));
	assert_int_equal(env_drops(e, US_DROP_ETH_BAD_SRC), 3);
	assert_int_equal(env_stat(e, IpInReceives), 0);
	assert_int_equal(env_stat(e, ArpInRequests), 0);
	env_expect_silence(e);
	env_no_leak(e);
}

static void test_runt(void **state)
{
	struct env *e = *state;

	env_inject(e, ICMP_ECHO_TO_US, 13);
	env_inject(e, ICMP_ECHO_TO_US, 0);
	assert_int_equal(env_drops(e, US_DROP_PKT_TOO_SHORT), 2);
	assert_int_equal(e->da->stats.rx_errors, 2);
	assert_int_equal(env_stat(e, IpInReceives), 0);
	/* A bare header is a (useless) frame, not a runt: it reaches IP, which rejects it. */
	env_inject(e, ICMP_ECHO_TO_US, 14);
	assert_int_equal(e->da->stats.rx_errors, 2);
	assert_int_equal(env_stat(e, IpInReceives), 1);
	env_no_leak(e);
}

static void test_unknown_ethertype(void **state)
{
	struct env *e = *state;
	uint8_t frame[sizeof(ICMP_ECHO_TO_US)];

	memcpy(frame, ICMP_ECHO_TO_US, sizeof(frame));
	frame[12] = 0x86; /* IPv6 */
	frame[13] = 0xdd;
	env_inject(e, frame, sizeof(frame));
	frame[12] = 0x81; /* an 802.1Q tag: no VLAN support */
	frame[13] = 0x00;
	env_inject(e, frame, sizeof(frame));
	frame[12] = 0x00; /* an 802.3 length field (LLC) */
	frame[13] = 0x2e;
	env_inject(e, frame, sizeof(frame));
	assert_int_equal(env_drops(e, US_DROP_UNKNOWN_L2PROTO), 3);
	assert_int_equal(e->da->stats.rx_dropped, 3);
	env_no_leak(e);
}

static void test_noarp_device(void **state)
{
	struct env *e = *state;

	e->da->flags |= US_DEV_NOARP;
	env_inject(e, ARP_REQ_FOR_US, sizeof(ARP_REQ_FOR_US));
	assert_int_equal(env_drops(e, US_DROP_ARP_NOARP), 1);
	assert_int_equal(env_stat(e, ArpInRequests), 0);
	env_expect_silence(e);
	env_no_leak(e);
}

/* Sends @len payload bytes (a pattern) with EtherType 0x88b5 through eth_output. */
static void output_payload(struct env *e, size_t len, uint16_t gso_size)
{
	struct us_pkt *p = us_pkt_alloc(&e->a->pool, len);

	assert_non_null(p);
	/* Dirty the tailroom: the padding must be written, not inherited. */
	memset(p->data, 0xaa, us_pkt_tailroom(p));
	for (size_t i = 0; i < len; i++)
		*us_pkt_put(p, 1) = (uint8_t)('0' + i % 10);
	p->gso_size = gso_size;
	eth_output(e->a, e->da, MAC_PEER, 0x88b5, p);
	us_stack_poll(e->a);
}

static void test_output_pads_runts(void **state)
{
	struct env *e = *state;
	struct us_pkt *p;

	output_payload(e, 10, 0);
	env_expect_frame(e, ETH_RUNT_PADDED, sizeof(ETH_RUNT_PADDED));
	/* 46 bytes of payload is exactly the minimum: nothing added; 47 is more. */
	output_payload(e, 46, 0);
	p = env_take(e);
	assert_non_null(p);
	assert_int_equal(us_pkt_len(p), 60);
	assert_memory_equal(p->data, ETH_RUNT_PADDED, 14 + 10);
	assert_int_equal(p->data[59], '0' + 45 % 10);
	us_pkt_free(p);
	output_payload(e, 47, 0);
	p = env_take(e);
	assert_non_null(p);
	assert_int_equal(us_pkt_len(p), 61);
	us_pkt_free(p);
	/* An empty payload becomes 46 zero bytes. */
	output_payload(e, 0, 0);
	p = env_take(e);
	assert_non_null(p);
	assert_int_equal(us_pkt_len(p), 60);
	for (int i = 14; i < 60; i++)
		assert_int_equal(p->data[i], 0);
	us_pkt_free(p);
	env_expect_silence(e);
	env_no_leak(e);
}

/* A frame longer than MTU + 14 is dropped unless it is a GSO super-frame. */
static void test_output_mtu(void **state)
{
	struct env *e = *state;
	struct us_pkt *p;

	e->da->mtu = 100;
	output_payload(e, 100, 0);
	p = env_take(e);
	assert_non_null(p);
	assert_int_equal(us_pkt_len(p), 114);
	us_pkt_free(p);
	output_payload(e, 101, 0);
	env_expect_silence(e);
	assert_int_equal(env_drops(e, US_DROP_MTU_EXCEEDED), 1);
	assert_int_equal(e->da->stats.tx_dropped, 1);
	output_payload(e, 101, 50);
	p = env_take(e);
	assert_non_null(p);
	assert_int_equal(us_pkt_len(p), 115);
	us_pkt_free(p);
	assert_int_equal(env_drops(e, US_DROP_MTU_EXCEEDED), 1);
	env_no_leak(e);
}

/* On a device that is down, output is counted as DEV_DOWN (by the device layer). */
static void test_output_dev_down(void **state)
{
	struct env *e = *state;

	e->da->flags &= ~(uint32_t)US_DEV_UP;
	output_payload(e, 10, 0);
	env_expect_silence(e);
	assert_int_equal(env_drops(e, US_DROP_DEV_DOWN), 1);
	env_no_leak(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accepts_host_bcast_mcast, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_otherhost, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_bad_source, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_runt, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_ethertype, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_noarp_device, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_output_pads_runts, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_output_mtu, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_output_dev_down, env_setup, env_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
