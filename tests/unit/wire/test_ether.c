/*
 * test_ether.c - Ethernet II header parse/emit (wire/ether.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wire/ether.h"
#include "wire_test.h"

/* scapy: Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:01")/ARP(op=1,
 *        hwsrc="02:00:00:00:00:01", psrc="198.18.0.1", hwdst="00:00:00:00:00:00",
 *        pdst="198.18.0.2") */
static const uint8_t ETH_ARP_REQUEST[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xc6, 0x12, 0x00, 0x02,
};

/* Real capture (capture_fixtures.sh, frame 10): Linux's `ping -c 1 198.18.0.2` over
 * loopback in a namespace; loopback frames carry all-zero MACs. First 16 bytes. */
static const uint8_t CAP_PING_HEAD[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x45, 0x00,
};

static const uint8_t MAC1[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t BCAST[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void test_deconstruct(void **state)
{
	struct eth_repr e;

	(void)state;
	assert_drop(eth_parse(ETH_ARP_REQUEST, sizeof(ETH_ARP_REQUEST), &e), US_DROP_NONE);
	assert_bytes(e.dst, BCAST, ETH_ALEN);
	assert_bytes(e.src, MAC1, ETH_ALEN);
	assert_int_equal(e.ethertype, ETH_P_ARP);
	assert_true(eth_addr_is_broadcast(e.dst));
	assert_true(eth_addr_is_multicast(e.dst));
	assert_false(eth_addr_is_multicast(e.src));
	assert_false(eth_addr_is_zero(e.src));
}

static void test_construct(void **state)
{
	struct eth_repr e = { .ethertype = ETH_P_ARP };
	uint8_t buf[ETH_HDR_LEN];

	(void)state;
	memcpy(e.dst, BCAST, ETH_ALEN);
	memcpy(e.src, MAC1, ETH_ALEN);
	memset(buf, 0xaa, sizeof(buf));
	eth_emit(&e, buf);
	assert_bytes(buf, ETH_ARP_REQUEST, ETH_HDR_LEN);
}

static void test_parse_capture(void **state)
{
	struct eth_repr e;
	uint8_t buf[ETH_HDR_LEN];

	(void)state;
	assert_drop(eth_parse(CAP_PING_HEAD, sizeof(CAP_PING_HEAD), &e), US_DROP_NONE);
	assert_true(eth_addr_is_zero(e.dst));
	assert_true(eth_addr_is_zero(e.src));
	assert_false(eth_addr_is_broadcast(e.dst));
	assert_int_equal(e.ethertype, ETH_P_IP);
	eth_emit(&e, buf);
	assert_bytes(buf, CAP_PING_HEAD, ETH_HDR_LEN);
}

/* A header alone (no payload) is a valid parse; one byte less is not. */
static void test_short(void **state)
{
	struct eth_repr e;

	(void)state;
	assert_drop(eth_parse(ETH_ARP_REQUEST, ETH_HDR_LEN, &e), US_DROP_NONE);
	assert_drop(eth_parse(ETH_ARP_REQUEST, ETH_HDR_LEN - 1, &e), US_DROP_PKT_TOO_SHORT);
	assert_drop(eth_parse(ETH_ARP_REQUEST, 0, &e), US_DROP_PKT_TOO_SHORT);
}

static void test_roundtrip(void **state)
{
	static const struct eth_repr reprs[] = {
		{ { 0x02, 0, 0, 0, 0, 2 }, { 0x02, 0, 0, 0, 0, 1 }, ETH_P_IP },
		{ { 0x01, 0, 0x5e, 0, 0, 1 }, { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee }, ETH_P_8021Q },
		{ { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, { 0x02, 0, 0, 0, 0, 9 }, 0xffff },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(reprs); i++) {
		uint8_t buf[ETH_HDR_LEN];
		struct eth_repr back;

		eth_emit(&reprs[i], buf);
		assert_drop(eth_parse(buf, sizeof(buf), &back), US_DROP_NONE);
		assert_memory_equal(&back, &reprs[i], sizeof(back));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deconstruct),
		cmocka_unit_test(test_construct),
		cmocka_unit_test(test_parse_capture),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
