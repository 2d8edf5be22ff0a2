/*
 * test_icmp.c - ICMPv4 message parse/emit (wire/icmp.c, RFC 792).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wire/icmp.h"
#include "wire_test.h"

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2", id=1, flags="DF", ttl=64)/
 *        ICMP(type=8, id=1, seq=2)/Raw(bytes(range(56))) -- the ICMP part starts at 20. */
static const uint8_t FX_ECHO[] = {
	0x45, 0x00, 0x00, 0x54, 0x00, 0x01, 0x40, 0x00, 0x40, 0x01, 0xae, 0x80,
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x08, 0x00, 0x00, 0xea,
	0x00, 0x01, 0x00, 0x02, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
	0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b,
	0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};

/* Real capture (capture_fixtures.sh, frame 10, from the ICMP header on): Linux's
 * `ping -c 1 -s 56 -I 198.18.0.1 198.18.0.2`, id 0x38f6, seq 1, a timeval then 0x10.. */
static const uint8_t CAP_PING_ICMP[] = {
	0x08, 0x00, 0x6a, 0x84, 0x38, 0xf6, 0x00, 0x01, 0xf7, 0x4c, 0x04, 0x6b,
	0x00, 0x00, 0x00, 0x00, 0x93, 0xf9, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
	0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33,
	0x34, 0x35, 0x36, 0x37,
};

/* scapy: IP(src="198.18.0.2", dst="198.18.0.1", id=3, ttl=64)/ICMP(type=3, code=3)/
 *        IP(src="198.18.0.1", dst="198.18.0.2", id=2, ttl=64)/UDP(sport=40000, dport=9)/
 *        Raw(b"abcd") -- the ICMP part starts at 20. */
static const uint8_t FX_UNREACH[] = {
	0x45, 0x00, 0x00, 0x3c, 0x00, 0x03, 0x00, 0x00, 0x40, 0x01, 0xee, 0x96,
	0xc6, 0x12, 0x00, 0x02, 0xc6, 0x12, 0x00, 0x01, 0x03, 0x03, 0x89, 0x42,
	0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x20, 0x00, 0x02, 0x00, 0x00,
	0x40, 0x11, 0xee, 0xa3, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
	0x9c, 0x40, 0x00, 0x09, 0x00, 0x0c, 0x12, 0x9e, 0x61, 0x62, 0x63, 0x64,
};

/* scapy: ICMP(type=0, id=0x1234, seq=7)/Raw(b"abc") -- odd length: the checksum pads
 * the last byte with zero (RFC 792). */
static const uint8_t FX_ODD[] = {
	0x00, 0x00, 0x29, 0x62, 0x12, 0x34, 0x00, 0x07, 0x61, 0x62, 0x63,
};

#define ECHO (FX_ECHO + 20)
#define ECHO_LEN (sizeof(FX_ECHO) - 20)
#define UNREACH (FX_UNREACH + 20)
#define UNREACH_LEN (sizeof(FX_UNREACH) - 20)

static void test_deconstruct(void **state)
{
	struct icmp_repr ic;

	(void)state;
	assert_drop(icmp_parse(ECHO, ECHO_LEN, false, &ic), US_DROP_NONE);
	assert_int_equal(ic.type, ICMP_ECHO);
	assert_int_equal(ic.code, 0);
	assert_int_equal(icmp_echo_id(&ic), 1);
	assert_int_equal(icmp_echo_seq(&ic), 2);
	assert_int_equal(ic.payload_len, 56);
	assert_false(icmp_is_error(ic.type));
}

static void test_construct(void **state)
{
	const struct icmp_repr ic = { .type = ICMP_ECHO, .rest = icmp_rest_echo(1, 2),
				      .payload_len = 56 };
	uint8_t buf[64];

	(void)state;
	memset(buf, 0xaa, ICMP_HDR_LEN);
	memcpy(buf + ICMP_HDR_LEN, ECHO + ICMP_HDR_LEN, 56);
	icmp_emit(&ic, buf);
	assert_bytes(buf, ECHO, ECHO_LEN);
}

static void test_parse_capture(void **state)
{
	struct icmp_repr ic;

	(void)state;
	assert_drop(icmp_parse(CAP_PING_ICMP, sizeof(CAP_PING_ICMP), false, &ic), US_DROP_NONE);
	assert_int_equal(ic.type, ICMP_ECHO);
	assert_int_equal(icmp_echo_id(&ic), 0x38f6);
	assert_int_equal(icmp_echo_seq(&ic), 1);
	assert_int_equal(ic.payload_len, 56);
}

/* The echo reply we would send for the captured request: type 0, same rest and data. */
static void test_emit_capture(void **state)
{
	struct icmp_repr ic;
	uint8_t buf[sizeof(CAP_PING_ICMP)];

	(void)state;
	assert_drop(icmp_parse(CAP_PING_ICMP, sizeof(CAP_PING_ICMP), false, &ic), US_DROP_NONE);
	memcpy(buf, CAP_PING_ICMP, sizeof(buf));
	memset(buf, 0, ICMP_HDR_LEN);
	icmp_emit(&ic, buf);
	assert_bytes(buf, CAP_PING_ICMP, sizeof(buf));
	ic.type = ICMP_ECHOREPLY;
	icmp_emit(&ic, buf);
	assert_int_equal(buf[0], 0);
	/* Type 8 -> 0 changes the sum by 0x0800 (RFC 1624). */
	assert_int_equal(rd16(buf + ICMP_OFF_CSUM), csum_replace16(0x6a84, 0x0800, 0x0000));
	assert_drop(icmp_parse(buf, sizeof(buf), false, &ic), US_DROP_NONE);
}

static void test_port_unreachable(void **state)
{
	struct icmp_repr ic;
	uint8_t buf[40];

	(void)state;
	assert_drop(icmp_parse(UNREACH, UNREACH_LEN, false, &ic), US_DROP_NONE);
	assert_int_equal(ic.type, ICMP_DEST_UNREACH);
	assert_int_equal(ic.code, ICMP_PORT_UNREACH);
	assert_int_equal(ic.rest, 0);
	assert_int_equal(ic.payload_len, 32); /* quoted IP header (20) + UDP (8) + 4 */
	assert_true(icmp_is_error(ic.type));
	memcpy(buf, UNREACH, UNREACH_LEN);
	memset(buf, 0, ICMP_HDR_LEN);
	icmp_emit(&ic, buf);
	assert_bytes(buf, UNREACH, UNREACH_LEN);
}

static void test_odd_length(void **state)
{
	struct icmp_repr ic;
	uint8_t buf[sizeof(FX_ODD)];

	(void)state;
	assert_drop(icmp_parse(FX_ODD, sizeof(FX_ODD), false, &ic), US_DROP_NONE);
	assert_int_equal(ic.type, ICMP_ECHOREPLY);
	assert_int_equal(icmp_echo_id(&ic), 0x1234);
	assert_int_equal(icmp_echo_seq(&ic), 7);
	assert_int_equal(ic.payload_len, 3);
	memcpy(buf, FX_ODD, sizeof(buf));
	memset(buf, 0, ICMP_HDR_LEN);
	icmp_emit(&ic, buf);
	assert_bytes(buf, FX_ODD, sizeof(buf));
}

/* RFC 1191 4: the next-hop MTU sits in the low 16 bits of the second word. */
static void test_frag_needed_mtu(void **state)
{
	const struct icmp_repr ic = { .type = ICMP_DEST_UNREACH, .code = ICMP_FRAG_NEEDED,
				      .rest = 1400 };
	uint8_t buf[ICMP_HDR_LEN];
	struct icmp_repr back;

	(void)state;
	icmp_emit(&ic, buf);
	assert_bytes(buf + 4, ((const uint8_t[]){ 0x00, 0x00, 0x05, 0x78 }), 4);
	assert_drop(icmp_parse(buf, sizeof(buf), false, &back), US_DROP_NONE);
	assert_int_equal(icmp_frag_mtu(&back), 1400);
}

static void test_accessors(void **state)
{
	const struct icmp_repr redirect = { .type = ICMP_REDIRECT, .rest = 0xc6120003 };
	const struct icmp_repr pp = { .type = ICMP_PARAMETERPROB, .rest = 0x16000000 };

	(void)state;
	assert_int_equal(icmp_gateway(&redirect), 0xc6120003);
	assert_int_equal(icmp_param_pointer(&pp), 22);
	assert_true(icmp_is_error(ICMP_TIME_EXCEEDED));
	assert_true(icmp_is_error(ICMP_PARAMETERPROB));
	assert_true(icmp_is_error(ICMP_SOURCE_QUENCH));
	assert_false(icmp_is_error(ICMP_TIMESTAMP));
}

static void test_short(void **state)
{
	struct icmp_repr ic;

	(void)state;
	assert_drop(icmp_parse(ECHO, ICMP_HDR_LEN - 1, false, &ic), US_DROP_PKT_TOO_SHORT);
	assert_drop(icmp_parse(ECHO, 4, true, &ic), US_DROP_PKT_TOO_SHORT);
	assert_drop(icmp_parse(ECHO, 0, false, &ic), US_DROP_PKT_TOO_SHORT);
}

static void test_bad_checksum(void **state)
{
	uint8_t buf[64];
	struct icmp_repr ic;

	(void)state;
	memcpy(buf, ECHO, ECHO_LEN);
	buf[ICMP_OFF_CSUM + 1] ^= 0x01;
	assert_drop(icmp_parse(buf, ECHO_LEN, false, &ic), US_DROP_ICMP_CSUM);
	assert_drop(icmp_parse(buf, ECHO_LEN, true, &ic), US_DROP_NONE);
	/* A changed payload byte, checksum untouched. */
	memcpy(buf, ECHO, ECHO_LEN);
	buf[63] ^= 0x80;
	assert_drop(icmp_parse(buf, ECHO_LEN, false, &ic), US_DROP_ICMP_CSUM);
	/* The checksum covers the whole message: cutting it short breaks it. */
	assert_drop(icmp_parse(ECHO, ECHO_LEN - 2, false, &ic), US_DROP_ICMP_CSUM);
}

static void test_roundtrip(void **state)
{
	static const struct icmp_repr reprs[] = {
		{ .type = ICMP_ECHOREPLY, .rest = 0xffff0000, .payload_len = 0 },
		{ .type = ICMP_TIME_EXCEEDED, .code = ICMP_EXC_FRAGTIME, .payload_len = 28 },
		{ .type = ICMP_DEST_UNREACH, .code = ICMP_PKT_FILTERED, .payload_len = 29 },
		{ .type = 42, .code = 255, .rest = 0xdeadbeef, .payload_len = 1 },
	};
	uint8_t buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(reprs); i++) {
		struct icmp_repr back;

		memset(buf, (int)i * 37, sizeof(buf));
		memset(&back, 0, sizeof(back));
		icmp_emit(&reprs[i], buf);
		assert_drop(icmp_parse(buf, ICMP_HDR_LEN + reprs[i].payload_len, false, &back),
			    US_DROP_NONE);
		assert_memory_equal(&back, &reprs[i], sizeof(back));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deconstruct),
		cmocka_unit_test(test_construct),
		cmocka_unit_test(test_parse_capture),
		cmocka_unit_test(test_emit_capture),
		cmocka_unit_test(test_port_unreachable),
		cmocka_unit_test(test_odd_length),
		cmocka_unit_test(test_frag_needed_mtu),
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
