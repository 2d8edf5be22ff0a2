/*
 * test_udp.c - UDP header parse/emit with the pseudo-header checksum
 * (wire/udp.c, RFC 768, RFC 1122 4.1.3.4), including the checksum-offload form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wire/udp.h"
#include "wire_test.h"

#define A1 0xc6120001u /* 198.18.0.1 */
#define A2 0xc6120002u /* 198.18.0.2 */

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=40000, dport=7)/Raw(b"ping"),
 * UDP part only. */
static const uint8_t UDP_PING[] = {
	0x9c, 0x40, 0x00, 0x07, 0x00, 0x0c, 0xf8, 0x95, 0x70, 0x69, 0x6e, 0x67,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=40000, dport=7, chksum=0)/
 *        Raw(b"ping"), UDP part only: the sender computed no checksum. */
static const uint8_t UDP_ZERO_CSUM[] = {
	0x9c, 0x40, 0x00, 0x07, 0x00, 0x0c, 0x00, 0x00, 0x70, 0x69, 0x6e, 0x67,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=40000, dport=7)/
 *        Raw(b"\xd7\x6a"), UDP part only. 0xd76a is the checksum of the same datagram
 * with payload 0000, so here the computed checksum is 0 and goes out as 0xffff. */
static const uint8_t UDP_FFFF[] = {
	0x9c, 0x40, 0x00, 0x07, 0x00, 0x0a, 0xff, 0xff, 0xd7, 0x6a,
};

static void test_deconstruct(void **state)
{
	struct udp_repr u;

	(void)state;
	assert_drop(udp_parse(UDP_PING, sizeof(UDP_PING), A1, A2, false, &u), US_DROP_NONE);
	assert_int_equal(u.sport, 40000);
	assert_int_equal(u.dport, 7);
	assert_int_equal(u.payload_len, 4);
	assert_false(u.csum_zero);
}

static void test_construct(void **state)
{
	const struct udp_repr u = { .sport = 40000, .dport = 7, .payload_len = 4 };
	uint8_t buf[sizeof(UDP_PING)];

	(void)state;
	memset(buf, 0xaa, UDP_HDR_LEN);
	memcpy(buf + UDP_HDR_LEN, "ping", 4);
	udp_emit(&u, buf, A1, A2, UDP_CSUM_FULL);
	assert_bytes(buf, UDP_PING, sizeof(buf));
}

/* RFC 768 / RFC 1122 4.1.3.4: a zero checksum means "none"; the datagram is taken
 * as is, even though the bytes would not verify. */
static void test_zero_checksum_means_none(void **state)
{
	struct udp_repr u;

	(void)state;
	assert_drop(udp_parse(UDP_ZERO_CSUM, sizeof(UDP_ZERO_CSUM), A1, A2, false, &u),
		    US_DROP_NONE);
	assert_true(u.csum_zero);
	assert_int_equal(u.payload_len, 4);
	assert_drop(udp_parse(UDP_ZERO_CSUM, sizeof(UDP_ZERO_CSUM), A1, A2, true, &u),
		    US_DROP_NONE);
	assert_true(u.csum_zero);
}

/* A computed checksum of 0 is sent as 0xffff (RFC 768), and 0xffff verifies. */
static void test_computed_zero_sent_as_ffff(void **state)
{
	const struct udp_repr u = { .sport = 40000, .dport = 7, .payload_len = 2 };
	uint8_t buf[sizeof(UDP_FFFF)];
	struct udp_repr back;

	(void)state;
	memcpy(buf + UDP_HDR_LEN, "\xd7\x6a", 2);
	udp_emit(&u, buf, A1, A2, UDP_CSUM_FULL);
	assert_bytes(buf, UDP_FFFF, sizeof(buf));
	assert_drop(udp_parse(UDP_FFFF, sizeof(UDP_FFFF), A1, A2, false, &back), US_DROP_NONE);
	assert_false(back.csum_zero);
	assert_int_equal(back.payload_len, 2);
}

/*
 * UDP_CSUM_PARTIAL stores ~csum_fold(pseudo): the pseudo-header sum folded and not
 * complemented (198.18.0.1 -> 198.18.0.2, UDP, 12 bytes: 0x8c45). A device doing
 * virtio NEEDS_CSUM (sum from csum_start over the rest, fold, complement, store at
 * csum_offset) then produces exactly the full checksum.
 */
static void test_partial(void **state)
{
	const struct udp_repr u = { .sport = 40000, .dport = 7, .payload_len = 4 };
	uint8_t buf[sizeof(UDP_PING)];
	uint16_t dev;

	(void)state;
	memcpy(buf + UDP_HDR_LEN, "ping", 4);
	udp_emit(&u, buf, A1, A2, UDP_CSUM_PARTIAL);
	assert_int_equal(rd16(buf + UDP_OFF_CSUM), 0x8c45);
	assert_bytes(buf, UDP_PING, UDP_OFF_CSUM);
	/* What the device does. */
	dev = csum_fold(csum_partial(buf, sizeof(buf), 0));
	wr16(buf + UDP_OFF_CSUM, dev);
	assert_bytes(buf, UDP_PING, sizeof(buf));
}

/* Bytes after the UDP length (the IP payload is longer) are ignored, RFC 768. */
static void test_trailing_bytes_ignored(void **state)
{
	uint8_t buf[sizeof(UDP_PING) + 5];
	struct udp_repr u;

	(void)state;
	memcpy(buf, UDP_PING, sizeof(UDP_PING));
	memset(buf + sizeof(UDP_PING), 0x5a, 5);
	assert_drop(udp_parse(buf, sizeof(buf), A1, A2, false, &u), US_DROP_NONE);
	assert_int_equal(u.payload_len, 4);
}

static void test_short(void **state)
{
	struct udp_repr u;

	(void)state;
	assert_drop(udp_parse(UDP_PING, UDP_HDR_LEN - 1, A1, A2, false, &u), US_DROP_PKT_TOO_SHORT);
	assert_drop(udp_parse(UDP_PING, 0, A1, A2, true, &u), US_DROP_PKT_TOO_SHORT);
}

static enum us_drop_reason parse_with_len(uint16_t ulen, size_t buflen)
{
	uint8_t buf[sizeof(UDP_PING)];
	struct udp_repr u;

	memcpy(buf, UDP_PING, sizeof(buf));
	wr16(buf + UDP_OFF_LEN, ulen);
	wt_l4_fix_csum(buf, ulen <= buflen ? ulen : buflen, UDP_OFF_CSUM, A1, A2, 17);
	return udp_parse(buf, buflen, A1, A2, false, &u);
}

static void test_len_below_header(void **state)
{
	(void)state;
	assert_drop(parse_with_len(7, sizeof(UDP_PING)), US_DROP_UDP_LEN);
	assert_drop(parse_with_len(0, sizeof(UDP_PING)), US_DROP_UDP_LEN);
}

static void test_len_beyond_buffer(void **state)
{
	(void)state;
	assert_drop(parse_with_len(13, sizeof(UDP_PING)), US_DROP_UDP_LEN);
	assert_drop(parse_with_len(0xffff, sizeof(UDP_PING)), US_DROP_UDP_LEN);
	/* The right length field, the buffer cut by one byte. */
	assert_drop(parse_with_len(12, sizeof(UDP_PING) - 1), US_DROP_UDP_LEN);
	/* A header-only datagram is fine. */
	assert_drop(parse_with_len(8, sizeof(UDP_PING)), US_DROP_NONE);
}

static void test_bad_checksum(void **state)
{
	uint8_t buf[sizeof(UDP_PING)];
	struct udp_repr u;

	(void)state;
	memcpy(buf, UDP_PING, sizeof(buf));
	buf[sizeof(buf) - 1] ^= 0x20; /* "pinG" */
	assert_drop(udp_parse(buf, sizeof(buf), A1, A2, false, &u), US_DROP_UDP_CSUM);
	assert_drop(udp_parse(buf, sizeof(buf), A1, A2, true, &u), US_DROP_NONE);
	/* The pseudo-header counts: the right bytes to the wrong address fail. */
	assert_drop(udp_parse(UDP_PING, sizeof(UDP_PING), A1, 0xc6120003, false, &u),
		    US_DROP_UDP_CSUM);
	assert_drop(udp_parse(UDP_PING, sizeof(UDP_PING), A2, A1, false, &u), US_DROP_NONE);
}

/* The 8 bytes an ICMP error quotes: ports only; no length or checksum check. */
static void test_parse_quoted(void **state)
{
	uint8_t q[UDP_HDR_LEN];
	struct udp_repr u;

	(void)state;
	assert_drop(udp_parse_quoted(UDP_PING, UDP_HDR_LEN, &u), US_DROP_NONE);
	assert_int_equal(u.sport, 40000);
	assert_int_equal(u.dport, 7);
	assert_int_equal(u.payload_len, 4);
	/* A length below the header and a wrong checksum are the original's business. */
	memcpy(q, UDP_PING, sizeof(q));
	q[UDP_OFF_LEN] = q[UDP_OFF_LEN + 1] = 0;
	q[UDP_OFF_CSUM] ^= 0xff;
	assert_drop(udp_parse_quoted(q, sizeof(q), &u), US_DROP_NONE);
	assert_int_equal(u.sport, 40000);
	assert_int_equal(u.payload_len, 0);
	assert_drop(udp_parse_quoted(UDP_PING, UDP_HDR_LEN - 1, &u), US_DROP_PKT_TOO_SHORT);
}

static void test_roundtrip(void **state)
{
	static const struct udp_repr reprs[] = {
		{ .sport = 1, .dport = 65535, .payload_len = 0 },
		{ .sport = 53, .dport = 33434, .payload_len = 1 },
		{ .sport = 7, .dport = 7, .payload_len = 1472 },
	};
	static uint8_t buf[UDP_HDR_LEN + 1472];
	size_t i, j;

	(void)state;
	for (j = 0; j < sizeof(buf); j++)
		buf[j] = (uint8_t)(j * 7);
	for (i = 0; i < ARRAY_SIZE(reprs); i++) {
		struct udp_repr back;

		memset(&back, 0, sizeof(back));
		udp_emit(&reprs[i], buf, A1, 0xc613fffe, UDP_CSUM_FULL);
		assert_drop(udp_parse(buf, UDP_HDR_LEN + reprs[i].payload_len, A1, 0xc613fffe,
				      false, &back),
			    US_DROP_NONE);
		assert_memory_equal(&back, &reprs[i], sizeof(back));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deconstruct),
		cmocka_unit_test(test_construct),
		cmocka_unit_test(test_zero_checksum_means_none),
		cmocka_unit_test(test_computed_zero_sent_as_ffff),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_trailing_bytes_ignored),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_len_below_header),
		cmocka_unit_test(test_len_beyond_buffer),
		cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_parse_quoted),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
