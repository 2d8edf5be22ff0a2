/*
 * test_arp.c - ARP parse/emit (wire/arp.c, RFC 826).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wire/arp.h"
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

/* scapy: Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02")/ARP(op=2,
 *        hwsrc="02:00:00:00:00:02", psrc="198.18.0.2", hwdst="02:00:00:00:00:01",
 *        pdst="198.18.0.1") */
static const uint8_t ETH_ARP_REPLY[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x02, 0xc6, 0x12, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x01, 0xc6, 0x12, 0x00, 0x01,
};

#define REQ (ETH_ARP_REQUEST + ETH_HDR_LEN)
#define REPLY (ETH_ARP_REPLY + ETH_HDR_LEN)

static const uint8_t MAC1[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t MAC2[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t ZERO[6];

static void test_deconstruct_request(void **state)
{
	struct arp_repr a;

	(void)state;
	assert_drop(arp_parse(REQ, ARP_HDR_LEN, &a), US_DROP_NONE);
	assert_int_equal(a.op, ARP_OP_REQUEST);
	assert_bytes(a.sha, MAC1, 6);
	assert_int_equal(a.spa, 0xc6120001);
	assert_bytes(a.tha, ZERO, 6);
	assert_int_equal(a.tpa, 0xc6120002);
}

static void test_deconstruct_reply(void **state)
{
	struct arp_repr a;

	(void)state;
	assert_drop(arp_parse(REPLY, ARP_HDR_LEN, &a), US_DROP_NONE);
	assert_int_equal(a.op, ARP_OP_REPLY);
	assert_bytes(a.sha, MAC2, 6);
	assert_int_equal(a.spa, 0xc6120002);
	assert_bytes(a.tha, MAC1, 6);
	assert_int_equal(a.tpa, 0xc6120001);
}

static void test_construct_request(void **state)
{
	struct arp_repr a = { .op = ARP_OP_REQUEST, .spa = 0xc6120001, .tpa = 0xc6120002 };
	uint8_t buf[ARP_HDR_LEN];

	(void)state;
	memcpy(a.sha, MAC1, 6);
	memset(buf, 0xaa, sizeof(buf));
	arp_emit(&a, buf);
	assert_bytes(buf, REQ, ARP_HDR_LEN);
}

static void test_construct_reply(void **state)
{
	struct arp_repr a = { .op = ARP_OP_REPLY, .spa = 0xc6120002, .tpa = 0xc6120001 };
	uint8_t buf[ARP_HDR_LEN];

	(void)state;
	memcpy(a.sha, MAC2, 6);
	memcpy(a.tha, MAC1, 6);
	arp_emit(&a, buf);
	assert_bytes(buf, REPLY, ARP_HDR_LEN);
}

/* A minimum-size Ethernet frame pads the 28 bytes to 46; the padding is ignored. */
static void test_padded(void **state)
{
	uint8_t buf[46] = { 0 };
	struct arp_repr a;

	(void)state;
	memcpy(buf, REQ, ARP_HDR_LEN);
	assert_drop(arp_parse(buf, sizeof(buf), &a), US_DROP_NONE);
	assert_int_equal(a.tpa, 0xc6120002);
}

static void test_short(void **state)
{
	struct arp_repr a;

	(void)state;
	assert_drop(arp_parse(REQ, ARP_HDR_LEN - 1, &a), US_DROP_PKT_TOO_SHORT);
	assert_drop(arp_parse(REQ, 8, &a), US_DROP_PKT_TOO_SHORT);
	assert_drop(arp_parse(REQ, 0, &a), US_DROP_PKT_TOO_SHORT);
}

/* Each field RFC 826 says a receiver must check, changed on its own. */
static void expect_malformed(size_t off, uint8_t value)
{
	uint8_t buf[ARP_HDR_LEN];
	struct arp_repr a;

	memcpy(buf, REQ, sizeof(buf));
	buf[off] = value;
	assert_drop(arp_parse(buf, sizeof(buf), &a), US_DROP_ARP_MALFORMED);
}

static void test_bad_htype(void **state)
{
	(void)state;
	expect_malformed(ARP_OFF_HTYPE + 1, 6);  /* IEEE 802 networks */
	expect_malformed(ARP_OFF_HTYPE, 1);      /* 0x0101 */
}

static void test_bad_ptype(void **state)
{
	(void)state;
	expect_malformed(ARP_OFF_PTYPE, 0x86);   /* 0x8600 */
	expect_malformed(ARP_OFF_PTYPE + 1, 0x06); /* 0x0806 */
}

static void test_bad_hlen(void **state)
{
	(void)state;
	expect_malformed(ARP_OFF_HLEN, 8);
	expect_malformed(ARP_OFF_HLEN, 0);
}

static void test_bad_plen(void **state)
{
	(void)state;
	expect_malformed(ARP_OFF_PLEN, 16);
	expect_malformed(ARP_OFF_PLEN, 0);
}

static void test_bad_op(void **state)
{
	(void)state;
	expect_malformed(ARP_OFF_OP + 1, 3);     /* RARP request */
	expect_malformed(ARP_OFF_OP + 1, 0);
	expect_malformed(ARP_OFF_OP, 1);         /* 0x0101 */
}

static void test_roundtrip(void **state)
{
	static const struct arp_repr reprs[] = {
		{ ARP_OP_REQUEST, { 2, 0, 0, 0, 0, 1 }, 0xc6120001, { 0 }, 0xc6120001 },
		{ ARP_OP_REPLY, { 2, 0xab, 0xcd, 0xef, 0, 9 }, 0xc613ffff, { 2, 0, 0, 0, 0, 1 },
		  0xc6120001 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(reprs); i++) {
		uint8_t buf[ARP_HDR_LEN];
		struct arp_repr back;

		memset(&back, 0, sizeof(back));
		arp_emit(&reprs[i], buf);
		assert_drop(arp_parse(buf, sizeof(buf), &back), US_DROP_NONE);
		assert_int_equal(back.op, reprs[i].op);
		assert_bytes(back.sha, reprs[i].sha, 6);
		assert_int_equal(back.spa, reprs[i].spa);
		assert_bytes(back.tha, reprs[i].tha, 6);
		assert_int_equal(back.tpa, reprs[i].tpa);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deconstruct_request),
		cmocka_unit_test(test_deconstruct_reply),
		cmocka_unit_test(test_construct_request),
		cmocka_unit_test(test_construct_reply),
		cmocka_unit_test(test_padded),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_bad_htype),
		cmocka_unit_test(test_bad_ptype),
		cmocka_unit_test(test_bad_hlen),
		cmocka_unit_test(test_bad_plen),
		cmocka_unit_test(test_bad_op),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
