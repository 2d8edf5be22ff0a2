/*
 * test_tcp.c - TCP header and options parse/emit (wire/tcp.c; RFC 9293 3.1,
 * RFC 7323, RFC 2018): scapy fixtures, a real Linux handshake captured with
 * checksum offload (CHECKSUM_PARTIAL) to pin tcp_emit's partial form and
 * option layout, one test per malformation, and parse(emit(x)) == x.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "wire/tcp.h"
#include "wire_test.h"

#define A1 0xc6120001u /* 198.18.0.1 */
#define A2 0xc6120002u /* 198.18.0.2 */

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2")/TCP(sport=40000, dport=80, seq=1000,
 *        flags="S", window=64240, options=[("MSS", 1460), ("SAckOK", b""),
 *        ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)]), TCP part only.
 * The option order is Linux's SYN layout. */
static const uint8_t FX_SYN[] = {
	0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00,
	0xa0, 0x02, 0xfa, 0xf0, 0x20, 0x6e, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
	0x04, 0x02, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x03, 0x03, 0x07,
};

/* scapy: IP(src="198.18.0.2", dst="198.18.0.1")/TCP(sport=80, dport=40000, seq=5000,
 *        ack=2001, flags="PA", window=502, options=[("NOP", None), ("NOP", None),
 *        ("Timestamp", (100, 200)), ("NOP", None), ("NOP", None),
 *        ("SAck", (3000, 4000, 5000, 6000))])/Raw(b"hello"), TCP part only. */
static const uint8_t FX_SACK[] = {
	0x00, 0x50, 0x9c, 0x40, 0x00, 0x00, 0x13, 0x88, 0x00, 0x00, 0x07, 0xd1,
	0xd0, 0x18, 0x01, 0xf6, 0x4f, 0x33, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a,
	0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0xc8, 0x01, 0x01, 0x05, 0x12,
	0x00, 0x00, 0x0b, 0xb8, 0x00, 0x00, 0x0f, 0xa0, 0x00, 0x00, 0x13, 0x88,
	0x00, 0x00, 0x17, 0x70, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2")/TCP(sport=40000, dport=80, seq=1001,
 *        ack=7001, flags="A", window=1024), TCP part only. */
static const uint8_t FX_BARE[] = {
	0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe9, 0x00, 0x00, 0x1b, 0x59,
	0x50, 0x10, 0x04, 0x00, 0x63, 0xda, 0x00, 0x00,
};

/*
 * Real capture (capture_fixtures.sh, frames 0, 1 and 3, TCP part only): Linux 6.x
 * connecting 198.18.0.1:40000 -> 198.18.0.2:8080 over loopback in a namespace, and
 * sending "hello". Loopback offloads checksums (CHECKSUM_PARTIAL), so each checksum
 * field holds the folded pseudo-header sum (0x8c56 for 40 bytes, 0x8c53 for 37),
 * not a complete checksum.
 */
static const uint8_t CAP_SYN[] = {
	0x9c, 0x40, 0x1f, 0x90, 0x7b, 0xe6, 0xaf, 0x23, 0x00, 0x00, 0x00, 0x00,
	0xa0, 0x02, 0xff, 0xd7, 0x8c, 0x56, 0x00, 0x00, 0x02, 0x04, 0xff, 0xd7,
	0x04, 0x02, 0x08, 0x0a, 0x6b, 0x87, 0xbb, 0x73, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x03, 0x03, 0x0a,
};
static const uint8_t CAP_SYNACK[] = {
	0x1f, 0x90, 0x9c, 0x40, 0x78, 0x1c, 0x98, 0x9b, 0x7b, 0xe6, 0xaf, 0x24,
	0xa0, 0x12, 0xff, 0xcb, 0x8c, 0x56, 0x00, 0x00, 0x02, 0x04, 0xff, 0xd7,
	0x04, 0x02, 0x08, 0x0a, 0xf1, 0x45, 0x57, 0x3c, 0x6b, 0x87, 0xbb, 0x73,
	0x01, 0x03, 0x03, 0x0a,
};
static const uint8_t CAP_DATA[] = {
	0x9c, 0x40, 0x1f, 0x90, 0x7b, 0xe6, 0xaf, 0x24, 0x78, 0x1c, 0x98, 0x9c,
	0x80, 0x18, 0x00, 0x40, 0x8c, 0x53, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a,
	0x6b, 0x87, 0xbb, 0x73, 0xf1, 0x45, 0x57, 0x3c, 0x68, 0x65, 0x6c, 0x6c,
	0x6f,
};

/* Emits @r in front of the payload of @want (if any) and compares with @want. */
static void emit_and_compare(const struct tcp_repr *r, uint32_t src, uint32_t dst,
			     enum tcp_csum_mode mode, const uint8_t *want, size_t want_len)
{
	uint8_t buf[TCP_MAX_HDR_LEN + 64];
	size_t hl = tcp_hdr_len(r);

	assert_int_equal(hl + r->payload_len, want_len);
	memset(buf, 0xaa, hl);
	memcpy(buf + hl, want + hl, r->payload_len);
	tcp_emit(r, buf, src, dst, mode);
	assert_bytes(buf, want, want_len);
}

/* ---- fixtures -------------------------------------------------------------- */

static void test_deconstruct_syn(void **state)
{
	struct tcp_repr t;

	(void)state;
	assert_drop(tcp_parse(FX_SYN, sizeof(FX_SYN), A1, A2, false, &t), US_DROP_NONE);
	assert_int_equal(t.sport, 40000);
	assert_int_equal(t.dport, 80);
	assert_int_equal(t.seq, 1000);
	assert_int_equal(t.ack, 0);
	assert_int_equal(t.hdr_len, 40);
	assert_int_equal(t.flags, TCP_SYN);
	assert_int_equal(t.window, 64240);
	assert_int_equal(t.urg_ptr, 0);
	assert_int_equal(t.payload_len, 0);
	assert_true(t.opts.mss_present);
	assert_int_equal(t.opts.mss, 1460);
	assert_true(t.opts.sack_perm);
	assert_true(t.opts.ts_present);
	assert_int_equal(t.opts.tsval, 1);
	assert_int_equal(t.opts.tsecr, 0);
	assert_true(t.opts.wscale_present);
	assert_int_equal(t.opts.wscale, 7);
	assert_int_equal(t.opts.sack_count, 0);
}

static void test_construct_syn(void **state)
{
	const struct tcp_repr t = {
		.sport = 40000, .dport = 80, .seq = 1000, .flags = TCP_SYN, .window = 64240,
		.opts = { .mss_present = true, .mss = 1460, .sack_perm = true, .ts_present = true,
			  .tsval = 1, .wscale_present = true, .wscale = 7 },
	};

	(void)state;
	assert_int_equal(tcp_hdr_len(&t), 40);
	emit_and_compare(&t, A1, A2, TCP_CSUM_FULL, FX_SYN, sizeof(FX_SYN));
}

static void test_deconstruct_sack(void **state)
{
	struct tcp_repr t;

	(void)state;
	assert_drop(tcp_parse(FX_SACK, sizeof(FX_SACK), A2, A1, false, &t), US_DROP_NONE);
	assert_int_equal(t.seq, 5000);
	assert_int_equal(t.ack, 2001);
	assert_int_equal(t.flags, TCP_PSH | TCP_ACK);
	assert_int_equal(t.hdr_len, 52);
	assert_int_equal(t.payload_len, 5);
	assert_true(t.opts.ts_present);
	assert_int_equal(t.opts.tsval, 100);
	assert_int_equal(t.opts.tsecr, 200);
	assert_false(t.opts.sack_perm);
	assert_false(t.opts.mss_present);
	assert_int_equal(t.opts.sack_count, 2);
	assert_int_equal(t.opts.sack[0].start, 3000);
	assert_int_equal(t.opts.sack[0].end, 4000);
	assert_int_equal(t.opts.sack[1].start, 5000);
	assert_int_equal(t.opts.sack[1].end, 6000);
}

static void test_construct_sack(void **state)
{
	const struct tcp_repr t = {
		.sport = 80, .dport = 40000, .seq = 5000, .ack = 2001, .flags = TCP_PSH | TCP_ACK,
		.window = 502, .payload_len = 5,
		.opts = { .ts_present = true, .tsval = 100, .tsecr = 200, .sack_count = 2,
			  .sack = { { 3000, 4000 }, { 5000, 6000 } } },
	};

	(void)state;
	emit_and_compare(&t, A2, A1, TCP_CSUM_FULL, FX_SACK, sizeof(FX_SACK));
}

static void test_bare_ack(void **state)
{
	struct tcp_repr t;

	(void)state;
	assert_drop(tcp_parse(FX_BARE, sizeof(FX_BARE), A1, A2, false, &t), US_DROP_NONE);
	assert_int_equal(t.hdr_len, 20);
	assert_int_equal(t.flags, TCP_ACK);
	assert_int_equal(t.ack, 7001);
	assert_int_equal(t.window, 1024);
	assert_false(t.opts.mss_present || t.opts.ts_present || t.opts.sack_perm ||
		     t.opts.wscale_present || t.opts.sack_count);
	emit_and_compare(&t, A1, A2, TCP_CSUM_FULL, FX_BARE, sizeof(FX_BARE));
}

/* The real Linux SYN: parse it (the device said the checksum is fine, as loopback's
 * CHECKSUM_PARTIAL does), and emit it back byte for byte in the partial form. */
static void test_capture_syn(void **state)
{
	struct tcp_repr t;

	(void)state;
	assert_drop(tcp_parse(CAP_SYN, sizeof(CAP_SYN), A1, A2, true, &t), US_DROP_NONE);
	assert_int_equal(t.sport, 40000);
	assert_int_equal(t.dport, 8080);
	assert_int_equal(t.seq, 2078715683u);
	assert_int_equal(t.flags, TCP_SYN);
	assert_int_equal(t.window, 65495);
	assert_int_equal(t.opts.mss, 65495);
	assert_true(t.opts.sack_perm);
	assert_true(t.opts.ts_present);
	assert_int_equal(t.opts.tsval, 1804057459u);
	assert_int_equal(t.opts.tsecr, 0);
	assert_int_equal(t.opts.wscale, 10);
	emit_and_compare(&t, A1, A2, TCP_CSUM_PARTIAL, CAP_SYN, sizeof(CAP_SYN));
	/* Without the device's word, the pseudo-header sum is not a valid checksum. */
	assert_drop(tcp_parse(CAP_SYN, sizeof(CAP_SYN), A1, A2, false, &t), US_DROP_TCP_CSUM);
}

static void test_capture_synack(void **state)
{
	struct tcp_repr t;

	(void)state;
	assert_drop(tcp_parse(CAP_SYNACK, sizeof(CAP_SYNACK), A2, A1, true, &t), US_DROP_NONE);
	assert_int_equal(t.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(t.ack, 2078715684u);
	assert_int_equal(t.opts.tsecr, 1804057459u);
	emit_and_compare(&t, A2, A1, TCP_CSUM_PARTIAL, CAP_SYNACK, sizeof(CAP_SYNACK));
}

static void test_capture_data(void **state)
{
	uint8_t buf[sizeof(CAP_DATA)];
	struct tcp_repr t;

	(void)state;
	assert_drop(tcp_parse(CAP_DATA, sizeof(CAP_DATA), A1, A2, true, &t), US_DROP_NONE);
	assert_int_equal(t.flags, TCP_PSH | TCP_ACK);
	assert_int_equal(t.hdr_len, 32);
	assert_int_equal(t.payload_len, 5);
	assert_int_equal(t.window, 64);
	assert_true(t.opts.ts_present);
	assert_false(t.opts.sack_perm);
	emit_and_compare(&t, A1, A2, TCP_CSUM_PARTIAL, CAP_DATA, sizeof(CAP_DATA));
	/* Finishing the offload as the device would gives a checksum that verifies. */
	memcpy(buf, CAP_DATA, sizeof(buf));
	wr16(buf + TCP_OFF_CSUM, csum_fold(csum_partial(buf, sizeof(buf), 0)));
	assert_drop(tcp_parse(buf, sizeof(buf), A1, A2, false, &t), US_DROP_NONE);
	emit_and_compare(&t, A1, A2, TCP_CSUM_FULL, buf, sizeof(buf));
}

/* ---- emit layouts (Linux tcp_options_write) -------------------------------- */

static void emit_opts(const struct tcp_opts *o, uint8_t *buf, size_t *hl)
{
	struct tcp_repr t = { .sport = 1, .dport = 2, .flags = TCP_ACK, .opts = *o };

	*hl = tcp_hdr_len(&t);
	tcp_emit(&t, buf, A1, A2, TCP_CSUM_FULL);
	assert_int_equal(buf[TCP_OFF_DOFF] >> 4, *hl / 4);
}

static void test_layout_sackperm_without_ts(void **state)
{
	uint8_t buf[TCP_MAX_HDR_LEN];
	size_t hl;

	(void)state;
	emit_opts(&(struct tcp_opts){ .mss_present = true, .mss = 1460, .sack_perm = true,
				      .wscale_present = true, .wscale = 14 },
		  buf, &hl);
	assert_int_equal(hl, 32);
	assert_bytes(buf + 20, ((const uint8_t[]){ 0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02,
						    0x01, 0x03, 0x03, 0x0e }), 12);
}

static void test_layout_ts_without_sackperm(void **state)
{
	uint8_t buf[TCP_MAX_HDR_LEN];
	size_t hl;

	(void)state;
	emit_opts(&(struct tcp_opts){ .ts_present = true, .tsval = 0x01020304, .tsecr = 0x05060708 },
		  buf, &hl);
	assert_int_equal(hl, 32);
	assert_bytes(buf + 20, ((const uint8_t[]){ 0x01, 0x01, 0x08, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8 }),
		     12);
}

static void test_layout_sack_limits(void **state)
{
	struct tcp_opts o = { .sack_count = 4,
			      .sack = { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } } };
	uint8_t buf[TCP_MAX_HDR_LEN];
	struct tcp_repr back;
	size_t hl;

	(void)state;
	/* Four blocks alone: 20 + 4 + 32 = 56. */
	emit_opts(&o, buf, &hl);
	assert_int_equal(hl, 56);
	assert_bytes(buf + 20, ((const uint8_t[]){ 0x01, 0x01, 0x05, 0x22 }), 4);
	assert_drop(tcp_parse(buf, hl, A1, A2, false, &back), US_DROP_NONE);
	assert_int_equal(back.opts.sack_count, 4);
	assert_int_equal(back.opts.sack[3].end, 8);
	/* With timestamps only three fit (RFC 2018 3): 20 + 12 + 4 + 24 = 60. */
	o.ts_present = true;
	emit_opts(&o, buf, &hl);
	assert_int_equal(hl, 60);
	assert_int_equal(tcp_sack_blocks_fit(&(struct tcp_repr){ .opts = o }), 3);
	assert_drop(tcp_parse(buf, hl, A1, A2, false, &back), US_DROP_NONE);
	assert_int_equal(back.opts.sack_count, 3);
	assert_int_equal(back.opts.sack[2].start, 5);
	/* A SYN's worth of options leaves room for only two. */
	o.mss_present = o.wscale_present = true;
	assert_int_equal(tcp_sack_blocks_fit(&(struct tcp_repr){ .opts = o }), 2);
	emit_opts(&o, buf, &hl);
	assert_int_equal(hl, 60);
}

/* Every combination of options: the header length emit writes is tcp_hdr_len, a
 * multiple of 4, at most 60, and parses back to the same options. */
static void test_hdr_len_matches_emit(void **state)
{
	unsigned m;

	(void)state;
	for (m = 0; m < 16 * 5; m++) {
		struct tcp_opts o = {
			.mss_present = m & 1, .mss = 536, .sack_perm = (m >> 1) & 1,
			.ts_present = (m >> 2) & 1, .tsval = 7, .tsecr = 9,
			.wscale_present = (m >> 3) & 1, .wscale = 3, .sack_count = (uint8_t)(m / 16),
			.sack = { { 10, 20 }, { 30, 40 }, { 50, 60 }, { 70, 80 } },
		};
		uint8_t buf[TCP_MAX_HDR_LEN];
		struct tcp_repr back;
		size_t hl;

		emit_opts(&o, buf, &hl);
		assert_true(hl % 4 == 0 && hl >= 20 && hl <= 60);
		assert_drop(tcp_parse(buf, hl, A1, A2, false, &back), US_DROP_NONE);
		assert_int_equal(back.hdr_len, hl);
		assert_int_equal(back.opts.mss_present, o.mss_present);
		assert_int_equal(back.opts.sack_perm, o.sack_perm);
		assert_int_equal(back.opts.ts_present, o.ts_present);
		assert_int_equal(back.opts.wscale_present, o.wscale_present);
		assert_int_equal(back.opts.sack_count,
				 tcp_sack_blocks_fit(&(struct tcp_repr){ .opts = o }));
	}
}

/* ---- malformations --------------------------------------------------------- */

/* A segment FX_BARE-like with @n option bytes (n % 4 == 0) and a correct checksum. */
static enum us_drop_reason parse_opts(const uint8_t *opts, size_t n, struct tcp_repr *t)
{
	uint8_t buf[TCP_MAX_HDR_LEN];

	assert_true(n % 4 == 0 && n <= 40);
	memcpy(buf, FX_BARE, TCP_HDR_LEN);
	memcpy(buf + TCP_HDR_LEN, opts, n);
	buf[TCP_OFF_DOFF] = (uint8_t)(((TCP_HDR_LEN + n) / 4) << 4);
	wt_l4_fix_csum(buf, TCP_HDR_LEN + n, TCP_OFF_CSUM, A1, A2, 6);
	memset(t, 0, sizeof(*t));
	return tcp_parse(buf, TCP_HDR_LEN + n, A1, A2, false, t);
}

#define PARSE_OPTS(t, ...)                                                                   \
	parse_opts((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }), \
		   (t))

static void test_short(void **state)
{
	struct tcp_repr t;

	(void)state;
	assert_drop(tcp_parse(FX_BARE, TCP_HDR_LEN - 1, A1, A2, false, &t), US_DROP_PKT_TOO_SHORT);
	assert_drop(tcp_parse(FX_BARE, 0, A1, A2, true, &t), US_DROP_PKT_TOO_SHORT);
}

static void test_doff_below_5(void **state)
{
	uint8_t buf[sizeof(FX_BARE)];
	struct tcp_repr t;

	(void)state;
	memcpy(buf, FX_BARE, sizeof(buf));
	buf[TCP_OFF_DOFF] = 0x40;
	wt_l4_fix_csum(buf, sizeof(buf), TCP_OFF_CSUM, A1, A2, 6);
	assert_drop(tcp_parse(buf, sizeof(buf), A1, A2, false, &t), US_DROP_TCP_MALFORMED);
	buf[TCP_OFF_DOFF] = 0x00;
	wt_l4_fix_csum(buf, sizeof(buf), TCP_OFF_CSUM, A1, A2, 6);
	assert_drop(tcp_parse(buf, sizeof(buf), A1, A2, false, &t), US_DROP_TCP_MALFORMED);
}

static void test_doff_beyond_segment(void **state)
{
	uint8_t buf[sizeof(FX_SYN)];
	struct tcp_repr t;

	(void)state;
	memcpy(buf, FX_SYN, sizeof(buf));
	buf[TCP_OFF_DOFF] = 0xf0; /* 60 > 40 */
	wt_l4_fix_csum(buf, sizeof(buf), TCP_OFF_CSUM, A1, A2, 6);
	assert_drop(tcp_parse(buf, sizeof(buf), A1, A2, false, &t), US_DROP_TCP_MALFORMED);
	/* The right data offset, the segment cut inside the options. */
	assert_drop(tcp_parse(FX_SYN, 36, A1, A2, true, &t), US_DROP_TCP_MALFORMED);
}

static void test_bad_checksum(void **state)
{
	uint8_t buf[sizeof(FX_SACK)];
	struct tcp_repr t;

	(void)state;
	memcpy(buf, FX_SACK, sizeof(buf));
	buf[sizeof(buf) - 1] ^= 0x01;
	assert_drop(tcp_parse(buf, sizeof(buf), A2, A1, false, &t), US_DROP_TCP_CSUM);
	assert_drop(tcp_parse(buf, sizeof(buf), A2, A1, true, &t), US_DROP_NONE);
	/* Addresses swapped: the pseudo-header sum is symmetric in src/dst, so use another. */
	assert_drop(tcp_parse(FX_SACK, sizeof(FX_SACK), A2, 0xc6120003, false, &t),
		    US_DROP_TCP_CSUM);
}

static void test_opt_mss_bad_len(void **state)
{
	struct tcp_repr t;

	(void)state;
	assert_drop(PARSE_OPTS(&t, 0x02, 0x03, 0x05, 0x01), US_DROP_TCP_MALFORMED);
	assert_drop(PARSE_OPTS(&t, 0x02, 0x06, 0x05, 0xb4, 0x00, 0x00, 0x01, 0x01),
		    US_DROP_TCP_MALFORMED);
}

static void test_opt_wscale_bad_len(void **state)
{
	struct tcp_repr t;

	(void)state;
	assert_drop(PARSE_OPTS(&t, 0x03, 0x04, 0x07, 0x00), US_DROP_TCP_MALFORMED);
	assert_drop(PARSE_OPTS(&t, 0x03, 0x02, 0x01, 0x01), US_DROP_TCP_MALFORMED);
}

static void test_opt_sackperm_bad_len(void **state)
{
	struct tcp_repr t;

	(void)state;
	assert_drop(PARSE_OPTS(&t, 0x04, 0x03, 0x00, 0x01), US_DROP_TCP_MALFORMED);
}

static void test_opt_timestamp_bad_len(void **state)
{
	struct tcp_repr t;

	(void)state;
	assert_drop(PARSE_OPTS(&t, 0x08, 0x08, 0, 0, 0, 1, 0, 0), US_DROP_TCP_MALFORMED);
	assert_drop(PARSE_OPTS(&t, 0x08, 0x0b, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0),
		    US_DROP_TCP_MALFORMED);
}

static void test_opt_sack_bad_len(void **state)
{
	struct tcp_repr t;

	(void)state;
	/* No block at all. */
	assert_drop(PARSE_OPTS(&t, 0x01, 0x01, 0x05, 0x02), US_DROP_TCP_MALFORMED);
	/* 2 + 9: not a whole number of blocks. */
	assert_drop(PARSE_OPTS(&t, 0x05, 0x0b, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0),
		    US_DROP_TCP_MALFORMED);
	/* One good block. */
	assert_drop(PARSE_OPTS(&t, 0x01, 0x01, 0x05, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2), US_DROP_NONE);
	assert_int_equal(t.opts.sack_count, 1);
}

/* An option whose length runs past the data offset. */
static void test_opt_past_header(void **state)
{
	struct tcp_repr t;

	(void)state;
	/* A timestamp (10 bytes) in a 4-byte option area. */
	assert_drop(PARSE_OPTS(&t, 0x08, 0x0a, 0x00, 0x00), US_DROP_TCP_MALFORMED);
	/* An unknown option one byte too long. */
	assert_drop(PARSE_OPTS(&t, 0x01, 0x01, 0x1e, 0x03), US_DROP_TCP_MALFORMED);
	/* SACK with 4 blocks claimed after a timestamp: 12 + 34 > 40. */
	assert_drop(PARSE_OPTS(&t, 0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2, 0x01, 0x01,
			       0x05, 0x22, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0,
			       5, 0, 0, 0, 6),
		    US_DROP_TCP_MALFORMED);
}

static void test_opt_zero_length(void **state)
{
	struct tcp_repr t;

	(void)state;
	/* RFC 9293 3.1: a zero length must not make us loop; it is malformed. */
	assert_drop(PARSE_OPTS(&t, 0x1e, 0x00, 0x00, 0x00), US_DROP_TCP_MALFORMED);
	assert_drop(PARSE_OPTS(&t, 0x02, 0x00, 0x00, 0x00), US_DROP_TCP_MALFORMED);
}

static void test_opt_length_one(void **state)
{
	struct tcp_repr t;

	(void)state;
	assert_drop(PARSE_OPTS(&t, 0x1e, 0x01, 0x01, 0x01), US_DROP_TCP_MALFORMED);
}

static void test_opt_missing_length_byte(void **state)
{
	struct tcp_repr t;

	(void)state;
	assert_drop(PARSE_OPTS(&t, 0x01, 0x01, 0x01, 0x02), US_DROP_TCP_MALFORMED);
}

static void test_opt_unknown_skipped_and_eol(void **state)
{
	struct tcp_repr t;

	(void)state;
	/* Unknown kind 30 (MPTCP) of length 4 is skipped; the MSS after it is read. */
	assert_drop(PARSE_OPTS(&t, 0x1e, 0x04, 0xab, 0xcd, 0x02, 0x04, 0x02, 0x18), US_DROP_NONE);
	assert_true(t.opts.mss_present);
	assert_int_equal(t.opts.mss, 536);
	/* Nothing after EOL is read, not even a malformed option. */
	assert_drop(PARSE_OPTS(&t, 0x00, 0x02, 0x00, 0x00), US_DROP_NONE);
	assert_false(t.opts.mss_present);
	/* 40 bytes of NOP. */
	assert_drop(PARSE_OPTS(&t, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
			       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
		    US_DROP_NONE);
	assert_int_equal(t.hdr_len, 60);
	/* A window scale above 14 is reported as received (RFC 7323 2.3: the caller
	 * clamps it). */
	assert_drop(PARSE_OPTS(&t, 0x01, 0x03, 0x03, 0x0f), US_DROP_NONE);
	assert_int_equal(t.opts.wscale, 15);
}

/* ---- parse(emit(x)) == x --------------------------------------------------- */

/* Field by field: struct assignment leaves padding unspecified, so no memcmp. */
static void assert_repr_equal(const struct tcp_repr *a, const struct tcp_repr *b)
{
	unsigned i;

	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->dport, b->dport);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->ack, b->ack);
	assert_int_equal(a->hdr_len, b->hdr_len);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->window, b->window);
	assert_int_equal(a->urg_ptr, b->urg_ptr);
	assert_int_equal(a->payload_len, b->payload_len);
	assert_int_equal(a->opts.mss_present, b->opts.mss_present);
	assert_int_equal(a->opts.mss, b->opts.mss);
	assert_int_equal(a->opts.wscale_present, b->opts.wscale_present);
	assert_int_equal(a->opts.wscale, b->opts.wscale);
	assert_int_equal(a->opts.sack_perm, b->opts.sack_perm);
	assert_int_equal(a->opts.ts_present, b->opts.ts_present);
	assert_int_equal(a->opts.tsval, b->opts.tsval);
	assert_int_equal(a->opts.tsecr, b->opts.tsecr);
	assert_int_equal(a->opts.sack_count, b->opts.sack_count);
	for (i = 0; i < a->opts.sack_count && i < TCP_MAX_SACK; i++) {
		assert_int_equal(a->opts.sack[i].start, b->opts.sack[i].start);
		assert_int_equal(a->opts.sack[i].end, b->opts.sack[i].end);
	}
}

static void test_roundtrip(void **state)
{
	static const struct tcp_repr reprs[] = {
		{ .sport = 40000, .dport = 80, .seq = 0xffffffff, .hdr_len = 40, .flags = TCP_SYN,
		  .window = 65535,
		  .opts = { .mss_present = true, .mss = 1460, .sack_perm = true,
			    .ts_present = true, .tsval = 0xdeadbeef, .wscale_present = true,
			    .wscale = 7 } },
		{ .sport = 80, .dport = 40000, .seq = 1, .ack = 2, .hdr_len = 20,
		  .flags = TCP_RST | TCP_ACK },
		{ .sport = 7, .dport = 7, .seq = 100, .ack = 200, .hdr_len = 52,
		  .flags = TCP_ACK | TCP_PSH | TCP_URG | TCP_ECE | TCP_CWR | TCP_FIN, .window = 3,
		  .urg_ptr = 9, .payload_len = 100,
		  .opts = { .ts_present = true, .tsval = 5, .tsecr = 6, .sack_count = 2,
			    .sack = { { 1000, 2000 }, { 3000, 4000 } } } },
	};
	uint8_t buf[TCP_MAX_HDR_LEN + 100];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(reprs); i++) {
		struct tcp_repr back;
		size_t len = tcp_hdr_len(&reprs[i]) + reprs[i].payload_len;

		memset(buf, 0x3c, sizeof(buf));
		memset(&back, 0, sizeof(back));
		tcp_emit(&reprs[i], buf, A1, A2, TCP_CSUM_FULL);
		assert_drop(tcp_parse(buf, len, A1, A2, false, &back), US_DROP_NONE);
		assert_repr_equal(&back, &reprs[i]);
	}
}

/* Every prefix of the fixtures and random corruptions of their options, each in a
 * heap block of exactly that size: the parser never reads past @len (ASan), and a
 * successful parse is self-consistent. */
static void test_never_overreads(void **state)
{
	static const struct { const uint8_t *p; size_t n; } fx[] = {
		{ FX_SYN, sizeof(FX_SYN) }, { FX_SACK, sizeof(FX_SACK) },
		{ CAP_DATA, sizeof(CAP_DATA) },
	};
	struct tcp_repr t;
	size_t i, n;
	int k;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(fx); i++) {
		for (n = 0; n <= fx[i].n; n++) {
			uint8_t *b = malloc(n ? n : 1);

			memcpy(b, fx[i].p, n);
			if (tcp_parse(b, n, A1, A2, true, &t) == US_DROP_NONE)
				assert_true(t.hdr_len + t.payload_len == n);
			free(b);
		}
	}
	srand(5);
	for (k = 0; k < 50000; k++) {
		size_t fi = (size_t)rand() % ARRAY_SIZE(fx), len = fx[fi].n;
		uint8_t *b = malloc(len);
		int f;

		memcpy(b, fx[fi].p, len);
		for (f = 0; f < 3; f++)
			b[20 + (size_t)rand() % 12] = (uint8_t)(rand() % 3 ? rand() % 12 : rand());
		if (rand() % 4 == 0)
			b[TCP_OFF_DOFF] = (uint8_t)rand();
		if (tcp_parse(b, len, A1, A2, true, &t) == US_DROP_NONE) {
			assert_true(t.hdr_len + t.payload_len == len);
			assert_true(t.opts.sack_count <= TCP_MAX_SACK);
		}
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deconstruct_syn),
		cmocka_unit_test(test_construct_syn),
		cmocka_unit_test(test_deconstruct_sack),
		cmocka_unit_test(test_construct_sack),
		cmocka_unit_test(test_bare_ack),
		cmocka_unit_test(test_capture_syn),
		cmocka_unit_test(test_capture_synack),
		cmocka_unit_test(test_capture_data),
		cmocka_unit_test(test_layout_sackperm_without_ts),
		cmocka_unit_test(test_layout_ts_without_sackperm),
		cmocka_unit_test(test_layout_sack_limits),
		cmocka_unit_test(test_hdr_len_matches_emit),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_doff_below_5),
		cmocka_unit_test(test_doff_beyond_segment),
		cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_opt_mss_bad_len),
		cmocka_unit_test(test_opt_wscale_bad_len),
		cmocka_unit_test(test_opt_sackperm_bad_len),
		cmocka_unit_test(test_opt_timestamp_bad_len),
		cmocka_unit_test(test_opt_sack_bad_len),
		cmocka_unit_test(test_opt_past_header),
		cmocka_unit_test(test_opt_zero_length),
		cmocka_unit_test(test_opt_length_one),
		cmocka_unit_test(test_opt_missing_length_byte),
		cmocka_unit_test(test_opt_unknown_skipped_and_eol),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_never_overreads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
