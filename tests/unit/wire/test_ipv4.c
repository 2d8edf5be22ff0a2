/*
 * test_ipv4.c - IPv4 header and options parse/emit (wire/ipv4.c, RFC 791,
 * RFC 1122 3.2.1): the fixture tests, one test per malformation, fragment
 * options and parse(emit(x)) == x.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "wire/ipv4.h"
#include "wire_test.h"

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2", id=0x1c46, flags="DF", ttl=64)/
 *        UDP(sport=40000, dport=7)/Raw(b"ping") */
static const uint8_t IP_UDP[] = {
	0x45, 0x00, 0x00, 0x20, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11, 0x92, 0x5f,
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x9c, 0x40, 0x00, 0x07,
	0x00, 0x0c, 0xf8, 0x95, 0x70, 0x69, 0x6e, 0x67,
};

/* Real capture (capture_fixtures.sh, frame 10, Ethernet header removed): Linux's
 * `ping -c 1 -s 56 -I 198.18.0.1 198.18.0.2` in a namespace. */
static const uint8_t CAP_PING[] = {
	0x45, 0x00, 0x00, 0x54, 0xe6, 0x6a, 0x40, 0x00, 0x40, 0x01, 0xc8, 0x16,
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x08, 0x00, 0x6a, 0x84,
	0x38, 0xf6, 0x00, 0x01, 0xf7, 0x4c, 0x04, 0x6b, 0x00, 0x00, 0x00, 0x00,
	0x93, 0xf9, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x12, 0x13,
	0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b,
	0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2", id=7, ttl=64, proto=253,
 *        options=[IPOption_RR(routers=["0.0.0.0", "0.0.0.0"]), IPOption_Router_Alert()]) */
static const uint8_t IP_OPTS[] = {
	0x49, 0x00, 0x00, 0x24, 0x00, 0x07, 0x00, 0x00, 0x40, 0xfd, 0xda, 0x0f,
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x07, 0x0b, 0x04, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x94, 0x04, 0x00, 0x00, 0x00,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2", id=8, ttl=64, proto=253,
 *        options=[IPOption_NOP(), IPOption_LSRR(routers=["198.18.0.3"])]) */
static const uint8_t IP_LSRR[] = {
	0x47, 0x00, 0x00, 0x1c, 0x00, 0x08, 0x00, 0x00, 0x40, 0xfd, 0x1d, 0x19,
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x01, 0x83, 0x07, 0x04,
	0xc6, 0x12, 0x00, 0x03,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2", id=9, ttl=64, proto=253,
 *        options=[IPOption_Timestamp(flg=0, length=8, pointer=9, timestamp=0x01020304)])
 * (one timestamp recorded, the option full). */
static const uint8_t IP_TS[] = {
	0x47, 0x00, 0x00, 0x1c, 0x00, 0x09, 0x00, 0x00, 0x40, 0xfd, 0x9a, 0xa6,
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x44, 0x08, 0x09, 0x00,
	0x01, 0x02, 0x03, 0x04,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2", id=9, ttl=64, proto=253,
 *        options=[IPOption_Timestamp(flg=0, timestamp=0, length=12)])
 * scapy writes length 12 but only 8 option bytes: the option runs past the header. */
static const uint8_t IP_TS_SCAPY_LIE[] = {
	0x47, 0x00, 0x00, 0x1c, 0x00, 0x09, 0x00, 0x00, 0x40, 0xfd, 0x9e, 0xa8,
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x44, 0x0c, 0x09, 0x00,
	0x00, 0x00, 0x00, 0x00,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2", id=0x4242, flags="MF", frag=185,
 *        ttl=64, proto=1)/Raw(bytes(8)) */
static const uint8_t IP_FRAG[] = {
	0x45, 0x00, 0x00, 0x1c, 0x42, 0x42, 0x20, 0xb9, 0x40, 0x01, 0x8b, 0xbe,
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};

#define A1 0xc6120001u
#define A2 0xc6120002u

/* ---- fixtures: deconstruct / construct ------------------------------------ */

static void test_deconstruct(void **state)
{
	struct ipv4_repr ip;

	(void)state;
	assert_drop(ipv4_parse(IP_UDP, sizeof(IP_UDP), false, &ip), US_DROP_NONE);
	assert_int_equal(ip.hdr_len, 20);
	assert_int_equal(ip.tos, 0);
	assert_int_equal(ip.total_len, 32);
	assert_int_equal(ip.id, 0x1c46);
	assert_true(ip.df);
	assert_false(ip.mf);
	assert_int_equal(ip.frag_off, 0);
	assert_int_equal(ip.ttl, 64);
	assert_int_equal(ip.proto, 17);
	assert_int_equal(ip.src, A1);
	assert_int_equal(ip.dst, A2);
	assert_int_equal(ip.opt_len, 0);
	assert_false(ip.opt_srcroute || ip.opt_rr || ip.opt_ts || ip.opt_ra);
}

static void test_construct(void **state)
{
	const struct ipv4_repr ip = { .hdr_len = 20, .total_len = 32, .id = 0x1c46, .df = true,
				      .ttl = 64, .proto = 17, .src = A1, .dst = A2 };
	uint8_t buf[IPV4_HDR_LEN];

	(void)state;
	memset(buf, 0xaa, sizeof(buf));
	ipv4_emit(&ip, NULL, buf);
	assert_bytes(buf, IP_UDP, IPV4_HDR_LEN);
}

static void test_parse_capture(void **state)
{
	struct ipv4_repr ip;

	(void)state;
	assert_drop(ipv4_parse(CAP_PING, sizeof(CAP_PING), false, &ip), US_DROP_NONE);
	assert_int_equal(ip.total_len, 84);
	assert_int_equal(ip.id, 0xe66a);
	assert_true(ip.df);
	assert_int_equal(ip.proto, 1);
	assert_int_equal(ip.src, A1);
	assert_int_equal(ip.dst, A2);
}

static void test_emit_capture(void **state)
{
	struct ipv4_repr ip;
	uint8_t buf[IPV4_HDR_LEN];

	(void)state;
	assert_drop(ipv4_parse(CAP_PING, sizeof(CAP_PING), false, &ip), US_DROP_NONE);
	ipv4_emit(&ip, NULL, buf);
	assert_bytes(buf, CAP_PING, IPV4_HDR_LEN);
}

static void test_options_rr_ra(void **state)
{
	struct ipv4_repr ip;
	uint8_t buf[sizeof(IP_OPTS)];

	(void)state;
	assert_drop(ipv4_parse(IP_OPTS, sizeof(IP_OPTS), false, &ip), US_DROP_NONE);
	assert_int_equal(ip.hdr_len, 36);
	assert_int_equal(ip.opt_len, 16);
	assert_true(ip.opt_rr);
	assert_true(ip.opt_ra);
	assert_false(ip.opt_srcroute);
	assert_false(ip.opt_ts);
	/* emit copies the option bytes verbatim and sets IHL from opt_len */
	ipv4_emit(&ip, IP_OPTS + IPV4_HDR_LEN, buf);
	assert_bytes(buf, IP_OPTS, sizeof(IP_OPTS));
}

static void test_options_lsrr(void **state)
{
	struct ipv4_repr ip;

	(void)state;
	assert_drop(ipv4_parse(IP_LSRR, sizeof(IP_LSRR), false, &ip), US_DROP_NONE);
	assert_true(ip.opt_srcroute);
	assert_false(ip.opt_rr || ip.opt_ts || ip.opt_ra);
	assert_int_equal(ip.opt_len, 8);
}

static void test_options_ts(void **state)
{
	struct ipv4_repr ip;

	(void)state;
	assert_drop(ipv4_parse(IP_TS, sizeof(IP_TS), false, &ip), US_DROP_NONE);
	assert_true(ip.opt_ts);
	assert_false(ip.opt_rr || ip.opt_srcroute || ip.opt_ra);
	assert_drop(ipv4_parse(IP_TS_SCAPY_LIE, sizeof(IP_TS_SCAPY_LIE), false, &ip),
		    US_DROP_IP_BAD_OPTIONS);
	assert_int_equal(ip.opt_err_off, 21);
}

static void test_fragment_fields(void **state)
{
	struct ipv4_repr ip;
	uint8_t buf[IPV4_HDR_LEN];

	(void)state;
	assert_drop(ipv4_parse(IP_FRAG, sizeof(IP_FRAG), false, &ip), US_DROP_NONE);
	assert_true(ip.mf);
	assert_false(ip.df);
	assert_int_equal(ip.frag_off, 1480);
	assert_int_equal(ip.id, 0x4242);
	ipv4_emit(&ip, NULL, buf);
	assert_bytes(buf, IP_FRAG, IPV4_HDR_LEN);
}

/* The accessors over an accepted header read what ipv4_parse decoded. */
static void test_header_accessors(void **state)
{
	(void)state;
	assert_int_equal(ipv4_hdr_len(IP_FRAG), 20);
	assert_int_equal(ipv4_frag_off(IP_FRAG), 1480);
	assert_true(ipv4_more_frags(IP_FRAG));
	assert_int_equal(ipv4_hdr_len(IP_OPTS), 36);
	assert_int_equal(ipv4_frag_off(IP_UDP), 0);
	assert_false(ipv4_more_frags(IP_UDP)); /* DF alone is not MF */
}

/* RFC 1812 5.3.1 / RFC 1624: the incrementally updated checksum is the one a full
 * recomputation gives, for every TTL (the real capture's checksum 0xc816 included). */
static void test_decrement_ttl(void **state)
{
	uint8_t buf[sizeof(CAP_PING)], ref[IPV4_HDR_LEN];
	struct ipv4_repr ip;

	(void)state;
	memcpy(buf, CAP_PING, sizeof(buf));
	for (unsigned ttl = 64; ttl > 1; ttl--) {
		ipv4_decrement_ttl(buf);
		assert_int_equal(buf[IPV4_OFF_TTL], ttl - 1);
		memcpy(ref, buf, sizeof(ref));
		wr16(ref + IPV4_OFF_CSUM, 0);
		assert_int_equal(rd16(buf + IPV4_OFF_CSUM), csum_fold(csum_partial(ref, sizeof(ref), 0)));
		assert_drop(ipv4_parse(buf, sizeof(buf), false, &ip), US_DROP_NONE);
	}
	/* Only TTL and checksum changed. */
	assert_memory_equal(buf, CAP_PING, IPV4_OFF_TTL);
	assert_memory_equal(buf + IPV4_OFF_PROTO, CAP_PING + IPV4_OFF_PROTO, 1);
	assert_memory_equal(buf + IPV4_OFF_SRC, CAP_PING + IPV4_OFF_SRC, sizeof(buf) - IPV4_OFF_SRC);
}

/* RFC 791 3.2: fragment zero's header becomes the whole datagram's: length set, MF and
 * offset gone, DF and everything else kept, checksum valid. */
static void test_set_reassembled(void **state)
{
	uint8_t buf[IPV4_HDR_LEN];
	struct ipv4_repr ip;

	(void)state;
	memcpy(buf, IP_FRAG, sizeof(buf));
	ipv4_set_reassembled(buf, 3000);
	assert_drop(ipv4_parse(buf, 3000, false, &ip), US_DROP_NONE);
	assert_int_equal(ip.total_len, 3000);
	assert_false(ip.mf);
	assert_false(ip.df);
	assert_int_equal(ip.frag_off, 0);
	assert_int_equal(ip.id, 0x4242);
	assert_int_equal(ip.proto, 1);
	/* DF survives. */
	memcpy(buf, IP_UDP, sizeof(buf));
	buf[IPV4_OFF_FRAG] |= IPV4_FLAG_MF >> 8;
	ipv4_set_reassembled(buf, 100);
	assert_drop(ipv4_parse(buf, 100, false, &ip), US_DROP_NONE);
	assert_true(ip.df);
	assert_false(ip.mf);
}

/* An ICMP error quotes the header and 8 bytes of a datagram (here the captured 84-byte
 * ping): its total length says 84 though only 28 bytes are there, which is fine; a
 * quote that does not hold a whole, well-formed header is not. */
static void test_parse_quoted(void **state)
{
	uint8_t q[IPV4_HDR_LEN + 8];
	struct ipv4_repr ip;

	(void)state;
	memcpy(q, CAP_PING, sizeof(q));
	assert_drop(ipv4_parse_quoted(q, sizeof(q), &ip), US_DROP_NONE);
	assert_int_equal(ip.total_len, 84);
	assert_int_equal(ip.hdr_len, 20);
	assert_int_equal(ip.proto, 1);
	assert_int_equal(ip.src, A1);
	assert_int_equal(ip.dst, A2);
	/* A router may quote a header it changed: the checksum is not checked. */
	q[IPV4_OFF_TTL] = 1;
	assert_drop(ipv4_parse_quoted(q, sizeof(q), &ip), US_DROP_NONE);
	/* Options are decoded as ipv4_parse decodes them ... */
	assert_drop(ipv4_parse_quoted(IP_OPTS, sizeof(IP_OPTS), &ip), US_DROP_NONE);
	assert_true(ip.opt_rr && ip.opt_ra);
	/* ... but a bad one does not make the quote unusable: the parameter problem about
	 * it quotes it (RFC 1122 3.2.2.5). The header's fields are all there. */
	memcpy(q, CAP_PING, sizeof(q));
	q[IPV4_OFF_VER_IHL] = 0x46;
	q[IPV4_HDR_LEN + 1] = 9; /* an option running past the 24-byte header */
	assert_drop(ipv4_parse_quoted(q, sizeof(q), &ip), US_DROP_NONE);
	assert_int_equal(ip.hdr_len, 24);
	assert_int_equal(ip.proto, 1);
	assert_int_equal(ip.src, A1);
	assert_int_equal(ip.dst, A2);
	assert_int_equal(ip.opt_err_off, IPV4_HDR_LEN + 1);
	/* Not a header: short, not version 4, IHL < 5 or past the quote, total < IHL. */
	assert_drop(ipv4_parse_quoted(CAP_PING, IPV4_HDR_LEN - 1, &ip), US_DROP_ICMP_MALFORMED);
	memcpy(q, CAP_PING, sizeof(q));
	q[IPV4_OFF_VER_IHL] = 0x65;
	assert_drop(ipv4_parse_quoted(q, sizeof(q), &ip), US_DROP_ICMP_MALFORMED);
	q[IPV4_OFF_VER_IHL] = 0x44;
	assert_drop(ipv4_parse_quoted(q, sizeof(q), &ip), US_DROP_ICMP_MALFORMED);
	q[IPV4_OFF_VER_IHL] = 0x48;
	assert_drop(ipv4_parse_quoted(q, sizeof(q), &ip), US_DROP_ICMP_MALFORMED);
	memcpy(q, CAP_PING, sizeof(q));
	wr16(q + IPV4_OFF_LEN, 19);
	assert_drop(ipv4_parse_quoted(q, sizeof(q), &ip), US_DROP_ICMP_MALFORMED);
}

/* Link-layer padding after the datagram is allowed; the caller trims to total_len. */
static void test_padding_after_total_len(void **state)
{
	uint8_t buf[60] = { 0 };
	struct ipv4_repr ip;

	(void)state;
	memcpy(buf, IP_UDP, sizeof(IP_UDP));
	assert_drop(ipv4_parse(buf, sizeof(buf), false, &ip), US_DROP_NONE);
	assert_int_equal(ip.total_len, 32);
}

static void test_csum_ok_skips_verification(void **state)
{
	uint8_t buf[sizeof(IP_UDP)];
	struct ipv4_repr ip;

	(void)state;
	memcpy(buf, IP_UDP, sizeof(buf));
	buf[IPV4_OFF_CSUM] ^= 0xff;
	assert_drop(ipv4_parse(buf, sizeof(buf), true, &ip), US_DROP_NONE);
}

/* ---- malformations: one per check, in the order ipv4_parse makes them ------ */

/* Parses IP_UDP with one byte changed (and the checksum fixed unless told not to). */
static enum us_drop_reason parse_mutated(size_t off, uint8_t v, size_t len, bool fix)
{
	uint8_t buf[sizeof(IP_UDP)];
	struct ipv4_repr ip;

	memcpy(buf, IP_UDP, sizeof(buf));
	buf[off] = v;
	if (fix) {
		wr16(buf + IPV4_OFF_CSUM, 0);
		wr16(buf + IPV4_OFF_CSUM, csum_fold(csum_partial(buf, IPV4_HDR_LEN, 0)));
	}
	return ipv4_parse(buf, len, false, &ip);
}

static void test_short_buffer(void **state)
{
	struct ipv4_repr ip;

	(void)state;
	assert_drop(ipv4_parse(IP_UDP, IPV4_HDR_LEN - 1, false, &ip), US_DROP_PKT_TOO_SHORT);
	assert_drop(ipv4_parse(IP_UDP, 1, false, &ip), US_DROP_PKT_TOO_SHORT);
	assert_drop(ipv4_parse(IP_UDP, 0, false, &ip), US_DROP_PKT_TOO_SHORT);
}

static void test_bad_version(void **state)
{
	(void)state;
	assert_drop(parse_mutated(IPV4_OFF_VER_IHL, 0x65, sizeof(IP_UDP), true), US_DROP_IP_VERSION);
	assert_drop(parse_mutated(IPV4_OFF_VER_IHL, 0x05, sizeof(IP_UDP), true), US_DROP_IP_VERSION);
	assert_drop(parse_mutated(IPV4_OFF_VER_IHL, 0xf5, sizeof(IP_UDP), true), US_DROP_IP_VERSION);
}

static void test_ihl_below_5(void **state)
{
	(void)state;
	assert_drop(parse_mutated(IPV4_OFF_VER_IHL, 0x44, sizeof(IP_UDP), true), US_DROP_IP_IHL);
	assert_drop(parse_mutated(IPV4_OFF_VER_IHL, 0x40, sizeof(IP_UDP), true), US_DROP_IP_IHL);
}

/* IHL claims 60 bytes of header; the buffer holds 32: a truncated frame. */
static void test_ihl_beyond_buffer(void **state)
{
	(void)state;
	assert_drop(parse_mutated(IPV4_OFF_VER_IHL, 0x4f, sizeof(IP_UDP), false),
		    US_DROP_PKT_TOO_SHORT);
	/* Just one word too many: 24 > 20 bytes available. */
	assert_drop(parse_mutated(IPV4_OFF_VER_IHL, 0x46, IPV4_HDR_LEN, false),
		    US_DROP_PKT_TOO_SHORT);
}

static void test_total_len_below_header(void **state)
{
	(void)state;
	assert_drop(parse_mutated(IPV4_OFF_LEN + 1, 19, sizeof(IP_UDP), true), US_DROP_IP_TOTAL_LEN);
	assert_drop(parse_mutated(IPV4_OFF_LEN + 1, 0, sizeof(IP_UDP), true), US_DROP_IP_TOTAL_LEN);
}

static void test_total_len_beyond_buffer(void **state)
{
	(void)state;
	assert_drop(parse_mutated(IPV4_OFF_LEN + 1, 33, sizeof(IP_UDP), true), US_DROP_IP_TOTAL_LEN);
	assert_drop(parse_mutated(IPV4_OFF_LEN, 0xff, sizeof(IP_UDP), true), US_DROP_IP_TOTAL_LEN);
	/* The right total length, but the frame was cut short. */
	assert_drop(parse_mutated(0, 0x45, sizeof(IP_UDP) - 1, false), US_DROP_IP_TOTAL_LEN);
}

/* On IP_TOTAL_LEN the lengths are reported, so a truncated frame can be told from a
 * header that lies (ip_input counts them apart, as Linux). */
static void test_total_len_reported(void **state)
{
	struct ipv4_repr ip;

	(void)state;
	assert_drop(ipv4_parse(IP_UDP, sizeof(IP_UDP) - 1, false, &ip), US_DROP_IP_TOTAL_LEN);
	assert_int_equal(ip.total_len, 32);
	assert_int_equal(ip.hdr_len, 20);
}

static void test_bad_checksum(void **state)
{
	(void)state;
	assert_drop(parse_mutated(IPV4_OFF_CSUM + 1, 0x60, sizeof(IP_UDP), false), US_DROP_IP_CSUM);
	/* A changed TTL with the old checksum. */
	assert_drop(parse_mutated(IPV4_OFF_TTL, 63, sizeof(IP_UDP), false), US_DROP_IP_CSUM);
}

/* ---- option malformations -------------------------------------------------- */

/* Builds a header carrying @n (a multiple of 4) option bytes, total length = header,
 * valid checksum, and parses it. */
static enum us_drop_reason parse_opts(const uint8_t *opts, size_t n, struct ipv4_repr *ip)
{
	uint8_t buf[IPV4_MAX_HDR_LEN];
	struct ipv4_repr r = { .total_len = (uint16_t)(IPV4_HDR_LEN + n), .ttl = 64, .proto = 253,
			       .src = A1, .dst = A2, .opt_len = (uint8_t)n };

	assert_true(n % 4 == 0 && n <= 40);
	ipv4_emit(&r, opts, buf);
	memset(ip, 0, sizeof(*ip));
	return ipv4_parse(buf, IPV4_HDR_LEN + n, false, ip);
}

#define PARSE_OPTS(ip, ...)                                                      \
	parse_opts((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }), \
		   (ip))

static void test_opt_zero_length(void **state)
{
	struct ipv4_repr ip;

	(void)state;
	/* An unknown option (0x9e) with length 0 would loop forever if trusted. */
	assert_drop(PARSE_OPTS(&ip, 0x9e, 0x00, 0x00, 0x00), US_DROP_IP_BAD_OPTIONS);
	assert_int_equal(ip.opt_err_off, 21);
}

static void test_opt_length_one(void **state)
{
	struct ipv4_repr ip;

	(void)state;
	assert_drop(PARSE_OPTS(&ip, 0x01, 0x9e, 0x01, 0x00), US_DROP_IP_BAD_OPTIONS);
	assert_int_equal(ip.opt_err_off, 22);
}

static void test_opt_past_header(void **state)
{
	struct ipv4_repr ip;

	(void)state;
	/* Length 12 in an 8-byte option area. */
	assert_drop(PARSE_OPTS(&ip, 0x01, 0x9e, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00),
		    US_DROP_IP_BAD_OPTIONS);
	assert_int_equal(ip.opt_err_off, 22);
	/* Exactly one byte too long. */
	assert_drop(PARSE_OPTS(&ip, 0x9e, 0x05, 0x00, 0x00), US_DROP_IP_BAD_OPTIONS);
}

static void test_opt_missing_length_byte(void **state)
{
	struct ipv4_repr ip;

	(void)state;
	/* The last byte of the header starts an option that has no length byte. */
	assert_drop(PARSE_OPTS(&ip, 0x01, 0x01, 0x01, 0x44), US_DROP_IP_BAD_OPTIONS);
	assert_int_equal(ip.opt_err_off, 23);
}

static void test_opt_rr_bad(void **state)
{
	struct ipv4_repr ip;

	(void)state;
	/* Length 2: no room for the pointer. */
	assert_drop(PARSE_OPTS(&ip, 0x07, 0x02, 0x00, 0x00), US_DROP_IP_BAD_OPTIONS);
	assert_int_equal(ip.opt_err_off, 21);
	/* Pointer 3 < 4. */
	assert_drop(PARSE_OPTS(&ip, 0x07, 0x07, 0x03, 0, 0, 0, 0, 0), US_DROP_IP_BAD_OPTIONS);
	assert_int_equal(ip.opt_err_off, 22);
	/* Pointer 5 leaves 3 bytes of a 4-byte slot. */
	assert_drop(PARSE_OPTS(&ip, 0x07, 0x07, 0x05, 0, 0, 0, 0, 0), US_DROP_IP_BAD_OPTIONS);
	assert_int_equal(ip.opt_err_off, 22);
	/* Pointer 8 > length 7: the route is full, which is legal. */
	assert_drop(PARSE_OPTS(&ip, 0x07, 0x07, 0x08, 0, 0, 0, 0, 0), US_DROP_NONE);
	assert_true(ip.opt_rr);
}

static void test_opt_srr_bad(void **state)
{
	struct ipv4_repr ip;

	(void)state;
	assert_drop(PARSE_OPTS(&ip, 0x89, 0x07, 0x02, 0, 0, 0, 0, 0), US_DROP_IP_BAD_OPTIONS);
	/* Two source routes (RFC 791: at most once). */
	assert_drop(PARSE_OPTS(&ip, 0x83, 0x03, 0x04, 0x89, 0x03, 0x04, 0x00, 0x00),
		    US_DROP_IP_BAD_OPTIONS);
	assert_int_equal(ip.opt_err_off, 23);
	assert_drop(PARSE_OPTS(&ip, 0x89, 0x03, 0x04, 0x00), US_DROP_NONE);
	assert_true(ip.opt_srcroute);
}

static void test_opt_ts_bad(void **state)
{
	struct ipv4_repr ip;

	(void)state;
	/* Length 3 < 4. */
	assert_drop(PARSE_OPTS(&ip, 0x44, 0x03, 0x05, 0x00), US_DROP_IP_BAD_OPTIONS);
	/* Pointer 4 < 5. */
	assert_drop(PARSE_OPTS(&ip, 0x44, 0x08, 0x04, 0x00, 0, 0, 0, 0), US_DROP_IP_BAD_OPTIONS);
	assert_int_equal(ip.opt_err_off, 22);
	/* Flag 2 is undefined. */
	assert_drop(PARSE_OPTS(&ip, 0x44, 0x08, 0x05, 0x02, 0, 0, 0, 0), US_DROP_IP_BAD_OPTIONS);
	assert_int_equal(ip.opt_err_off, 23);
	/* Flag 1 (address + time) needs 8 bytes from the pointer: 5 + 7 > 8. */
	assert_drop(PARSE_OPTS(&ip, 0x44, 0x08, 0x05, 0x01, 0, 0, 0, 0), US_DROP_IP_BAD_OPTIONS);
	/* Full (pointer past the end) with overflow count: legal. */
	assert_drop(PARSE_OPTS(&ip, 0x44, 0x08, 0x09, 0x10, 0, 0, 0, 0), US_DROP_NONE);
	assert_true(ip.opt_ts);
}

static void test_opt_end_nop_unknown(void **state)
{
	struct ipv4_repr ip;

	(void)state;
	/* Garbage after END is padding, never read as options. */
	assert_drop(PARSE_OPTS(&ip, 0x00, 0x9e, 0x00, 0xff), US_DROP_NONE);
	/* NOPs, then an unknown option skipped by its length, then RA with length 4. */
	assert_drop(PARSE_OPTS(&ip, 0x01, 0x01, 0x9e, 0x02, 0x94, 0x04, 0x00, 0x00), US_DROP_NONE);
	assert_true(ip.opt_ra);
	/* Router alert with a length other than 4 is not one (ignored, as Linux). */
	assert_drop(PARSE_OPTS(&ip, 0x94, 0x02, 0x00, 0x00), US_DROP_NONE);
	assert_false(ip.opt_ra);
	/* 40 bytes of NOP. */
	assert_drop(PARSE_OPTS(&ip, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
			       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
		    US_DROP_NONE);
	assert_int_equal(ip.hdr_len, 60);
}

/* ---- fragment options (RFC 791 3.1 copied flag) ---------------------------- */

static void test_fragment_options(void **state)
{
	uint8_t out[40];

	(void)state;
	/* RR (0x07) is not copied; RA (0x94) is. */
	memset(out, 0xee, sizeof(out));
	assert_int_equal(ipv4_fragment_options(IP_OPTS + 20, 16, out), 4);
	assert_bytes(out, ((const uint8_t[]){ 0x94, 0x04, 0x00, 0x00 }), 4);
	/* LSRR (0x83) is copied, the NOP before it is not; padded with END. */
	memset(out, 0xee, sizeof(out));
	assert_int_equal(ipv4_fragment_options(IP_LSRR + 20, 8, out), 8);
	assert_bytes(out, ((const uint8_t[]){ 0x83, 0x07, 0x04, 0xc6, 0x12, 0x00, 0x03, 0x00 }), 8);
	/* Timestamp (0x44) is not copied. */
	assert_int_equal(ipv4_fragment_options(IP_TS + 20, 8, out), 0);
	assert_int_equal(ipv4_fragment_options(NULL, 0, out), 0);
	/* Nothing after END is looked at. */
	assert_int_equal(ipv4_fragment_options((const uint8_t[]){ 0x00, 0x94, 0x04, 0x00 }, 4, out), 0);
	/* A malformed tail stops the walk without reading past the options. */
	assert_int_equal(ipv4_fragment_options((const uint8_t[]){ 0x94, 0x04, 0, 0, 0x83, 0x09, 4, 0 },
					       8, out), 4);
}

/* ---- parse(emit(x)) == x --------------------------------------------------- */

static void test_roundtrip(void **state)
{
	static const struct ipv4_repr reprs[] = {
		{ .hdr_len = 20, .tos = 0x10, .total_len = 20, .id = 1, .df = true, .ttl = 1,
		  .proto = 6, .src = A1, .dst = A2 },
		{ .hdr_len = 20, .total_len = 1500, .id = 0xffff, .mf = true, .frag_off = 65528,
		  .ttl = 255, .proto = 17, .src = 0xc613ffff, .dst = 0xffffffff },
		{ .hdr_len = 24, .total_len = 24, .id = 77, .ttl = 64, .proto = 2, .src = A1,
		  .dst = 0xe0000016, .opt_len = 4, .opt_ra = true },
	};
	static const uint8_t ra[4] = { 0x94, 0x04, 0x00, 0x00 };
	uint8_t buf[1500] = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(reprs); i++) {
		struct ipv4_repr back;

		memset(&back, 0, sizeof(back)); /* compared with memcmp, padding included */
		ipv4_emit(&reprs[i], reprs[i].opt_len ? ra : NULL, buf);
		assert_drop(ipv4_parse(buf, reprs[i].total_len, false, &back), US_DROP_NONE);
		assert_memory_equal(&back, &reprs[i], sizeof(back));
	}
}

static void test_address_classes(void **state)
{
	(void)state;
	assert_true(ipv4_is_zeronet(0x00000001));
	assert_true(ipv4_is_loopback(0x7f000001));
	assert_true(ipv4_is_multicast(0xe0000001));
	assert_true(ipv4_is_lbcast(0xffffffff));
	assert_true(ipv4_is_class_e(0xf0000000));
	assert_false(ipv4_is_class_e(0xffffffff));
	assert_false(ipv4_is_zeronet(A1) || ipv4_is_loopback(A1) || ipv4_is_multicast(A1));
}

/* Every prefix of the option fixtures and random corruptions of them, each in a heap
 * block of exactly that size: the parser never reads past @len (ASan) and a
 * successful parse is self-consistent. */
static void test_never_overreads(void **state)
{
	static const struct { const uint8_t *p; size_t n; } fx[] = {
		{ IP_OPTS, sizeof(IP_OPTS) }, { IP_LSRR, sizeof(IP_LSRR) },
		{ IP_TS, sizeof(IP_TS) }, { CAP_PING, sizeof(CAP_PING) },
	};
	struct ipv4_repr ip;
	size_t i, n;
	int k;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(fx); i++) {
		for (n = 0; n <= fx[i].n; n++) {
			uint8_t *b = malloc(n ? n : 1);

			memcpy(b, fx[i].p, n);
			if (ipv4_parse(b, n, false, &ip) == US_DROP_NONE)
				assert_true(ip.total_len <= n && ip.hdr_len <= ip.total_len);
			free(b);
		}
	}
	srand(4);
	for (k = 0; k < 50000; k++) {
		size_t fi = (size_t)rand() % ARRAY_SIZE(fx), len = fx[fi].n;
		uint8_t *b = malloc(len);
		uint8_t out[40];

		memcpy(b, fx[fi].p, len);
		b[20 + (size_t)rand() % (len - 20 < 16 ? len - 20 : 16)] = (uint8_t)rand();
		b[(size_t)rand() % len] = (uint8_t)rand();
		/* csum_ok: let corrupted options reach the option walk */
		if (ipv4_parse(b, len, true, &ip) == US_DROP_NONE) {
			assert_true(ip.total_len <= len && ip.hdr_len <= ip.total_len);
			assert_true(ipv4_fragment_options(b + 20, ip.opt_len, out) <= ip.opt_len);
		}
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deconstruct),
		cmocka_unit_test(test_construct),
		cmocka_unit_test(test_parse_capture),
		cmocka_unit_test(test_emit_capture),
		cmocka_unit_test(test_options_rr_ra),
		cmocka_unit_test(test_options_lsrr),
		cmocka_unit_test(test_options_ts),
		cmocka_unit_test(test_fragment_fields),
		cmocka_unit_test(test_header_accessors),
		cmocka_unit_test(test_decrement_ttl),
		cmocka_unit_test(test_set_reassembled),
		cmocka_unit_test(test_parse_quoted),
		cmocka_unit_test(test_padding_after_total_len),
		cmocka_unit_test(test_csum_ok_skips_verification),
		cmocka_unit_test(test_short_buffer),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_ihl_below_5),
		cmocka_unit_test(test_ihl_beyond_buffer),
		cmocka_unit_test(test_total_len_below_header),
		cmocka_unit_test(test_total_len_beyond_buffer),
		cmocka_unit_test(test_total_len_reported),
		cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_opt_zero_length),
		cmocka_unit_test(test_opt_length_one),
		cmocka_unit_test(test_opt_past_header),
		cmocka_unit_test(test_opt_missing_length_byte),
		cmocka_unit_test(test_opt_rr_bad),
		cmocka_unit_test(test_opt_srr_bad),
		cmocka_unit_test(test_opt_ts_bad),
		cmocka_unit_test(test_opt_end_nop_unknown),
		cmocka_unit_test(test_fragment_options),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_address_classes),
		cmocka_unit_test(test_never_overreads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
