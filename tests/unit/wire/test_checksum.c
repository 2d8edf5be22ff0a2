/*
 * test_checksum.c - the Internet checksum (RFC 1071), the pseudo-header sum and
 * RFC 1624 incremental updates, against known values and a plain reference
 * implementation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "wire/checksum.h"
#include "wire_test.h"

/* The textbook algorithm: 16-bit big-endian words, end-around carry each step. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
		s = (s & 0xffff) + (s >> 16);
	}
	if (len & 1) {
		s += (uint32_t)p[len - 1] << 8;
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)~s;
}

/* RFC 1071 section 3, "Numerical Examples": bytes 00 01 f2 03 f4 f5 f6 f7 sum
 * to 0xddf2 after folding, so the checksum is ~0xddf2 = 0x220d. */
static void test_rfc1071_example(void **state)
{
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(csum_fold(csum_partial(b, sizeof(b), 0)), 0x220d);
	assert_int_equal((uint16_t)~csum_fold(csum_partial(b, sizeof(b), 0)), 0xddf2);
	/* RFC 1071 2(B): the sum is the same over any byte-aligned split of even pieces. */
	assert_int_equal(csum_fold(csum_partial(b + 2, 6, csum_partial(b, 2, 0))), 0x220d);
	assert_int_equal(csum_fold(csum_partial(b + 4, 4, csum_partial(b, 4, 0))), 0x220d);
}

/* An odd tail is the high byte of a zero-padded word: 0x0102 + 0x0300 = 0x0402. */
static void test_odd_length(void **state)
{
	static const uint8_t b[] = { 0x01, 0x02, 0x03 };

	(void)state;
	assert_int_equal(csum_fold(csum_partial(b, 3, 0)), (uint16_t)~0x0402);
	assert_int_equal(csum_fold(csum_partial(b, 1, 0)), (uint16_t)~0x0100);
	assert_int_equal(csum_fold(csum_partial(b, 0, 0)), 0xffff);
}

/* The IPv4 header of a real datagram (scapy: IP(src="198.18.0.1",
 * dst="198.18.0.2", id=0x1c46, flags="DF", ttl=64)/UDP(...)): checksum 0x925f. */
static const uint8_t IP_HDR[] = {
	0x45, 0x00, 0x00, 0x20, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11, 0x92, 0x5f,
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
};

static void test_ip_header(void **state)
{
	uint8_t h[sizeof(IP_HDR)];

	(void)state;
	/* A correct header, checksum included, sums to 0xffff: fold gives 0. */
	assert_int_equal(csum_fold(csum_partial(IP_HDR, sizeof(IP_HDR), 0)), 0);
	memcpy(h, IP_HDR, sizeof(h));
	h[10] = h[11] = 0;
	assert_int_equal(csum_fold(csum_partial(h, sizeof(h), 0)), 0x925f);
}

/* 198.18.0.1 -> 198.18.0.2, TCP, 40 bytes: c612+0001+c612+0002+0006+0028 = 0x18c55,
 * folded 0x8c56: exactly what Linux left in the checksum field of the SYN it sent
 * over loopback with CHECKSUM_PARTIAL (see test_tcp.c, CAP_SYN). */
static void test_pseudo(void **state)
{
	(void)state;
	assert_int_equal((uint16_t)~csum_fold(csum_pseudo(0xc6120001, 0xc6120002, 6, 40)), 0x8c56);
	assert_int_equal((uint16_t)~csum_fold(csum_pseudo(0xc6120001, 0xc6120002, 17, 12)), 0x8c45);
	/* All-ones addresses must not lose carries. */
	assert_int_equal((uint16_t)~csum_fold(csum_pseudo(0xffffffff, 0xffffffff, 0xff, 0xffff)),
			 (uint16_t)~ref_csum((const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
								0xff, 0xff, 0x00, 0xff, 0xff, 0xff },
					      12));
}

/* Random buffers of every length up to 300 at every alignment, and one of 64 KB
 * of 0xff (the largest sum a datagram can produce), agree with the reference. */
static void test_against_reference(void **state)
{
	static uint8_t big[65536];
	uint8_t buf[304];
	size_t len, off;

	(void)state;
	srand(1);
	for (len = 0; len < sizeof(buf); len++)
		buf[len] = (uint8_t)rand();
	for (off = 0; off < 4; off++)
		for (len = 0; len + off <= 300; len++)
			assert_int_equal(csum_fold(csum_partial(buf + off, len, 0)),
					 ref_csum(buf + off, len));
	memset(big, 0xff, sizeof(big));
	assert_int_equal(csum_fold(csum_partial(big, sizeof(big), 0)), ref_csum(big, sizeof(big)));
	assert_int_equal(csum_fold(csum_partial(big, 65535, 0xffffffffu)),
			 csum_fold(csum_partial(big, 65535, 0xffff)));
}

/* Finishing a partial checksum gives the full one: a UDP datagram 198.18.0.1:40000 ->
 * 198.18.0.2:7 carrying "ping" whose checksum field holds the pseudo-header sum 0x8c45
 * (test_pseudo), as udp_emit(UDP_CSUM_PARTIAL) leaves it. */
static void test_finish_partial(void **state)
{
	uint8_t u[12] = { 0x9c, 0x40, 0x00, 0x07, 0x00, 0x0c, 0x8c, 0x45, 'p', 'i', 'n', 'g' };
	uint8_t z[4] = { 0x12, 0x34, 0xed, 0xcb };
	uint8_t full[12 + 12] = { 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x00, 17, 0, 12 };

	(void)state;
	csum_finish_partial(u, sizeof(u), 6);
	/* The same as summing pseudo-header and datagram with the field zeroed. */
	memcpy(full + 12, u, sizeof(u));
	full[12 + 6] = full[12 + 7] = 0;
	assert_int_equal((u[6] << 8) | u[7], ref_csum(full, sizeof(full)));
	/* and the result verifies. */
	memcpy(full + 12, u, sizeof(u));
	assert_int_equal(ref_csum(full, sizeof(full)), 0);
	/* A sum of 0 goes out as 0xffff (RFC 768): 0x1234 + 0xedcb = 0xffff. */
	csum_finish_partial(z, sizeof(z), 2);
	assert_int_equal((z[2] << 8) | z[3], 0xffff);
}

/* RFC 1624 section 4's example: HC=0xdd2f, m=0x5555 -> m'=0x3285. Eqn. 3 gives 0x0000
 * (eqn. 2 would give the wrong 0xffff). */
static void test_replace16_rfc1624(void **state)
{
	(void)state;
	assert_int_equal(csum_replace16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

/* Decrementing the TTL (as a router does, RFC 1812 5.3.1) keeps the header valid and
 * matches a full recomputation; also for random headers and random word changes. */
static void test_replace16_matches_recompute(void **state)
{
	uint8_t h[20];
	int i;

	(void)state;
	memcpy(h, IP_HDR, sizeof(h));
	wr16(h + 10, csum_replace16(rd16(h + 10), rd16(h + 8), (uint16_t)(rd16(h + 8) - 0x100)));
	h[8]--;
	assert_int_equal(csum_fold(csum_partial(h, 20, 0)), 0);
	assert_int_equal(rd16(h + 10), 0x935f);

	srand(2);
	for (i = 0; i < 10000; i++) {
		unsigned w = 2 + 2 * (unsigned)(rand() % 9); /* any word but the first (IHL) */
		uint16_t old, nw, incr, full;
		int j;

		if (w == 10)
			continue;
		for (j = 0; j < 20; j++)
			h[j] = (uint8_t)rand();
		h[0] = 0x45;
		wt_ip_fix_csum(h);
		old = rd16(h + w);
		nw = (uint16_t)rand();
		incr = csum_replace16(rd16(h + 10), old, nw);
		wr16(h + w, nw);
		wr16(h + 10, incr);
		assert_int_equal(csum_fold(csum_partial(h, 20, 0)), 0);
		wt_ip_fix_csum(h);
		full = rd16(h + 10);
		/* Equal except for the +0/-0 ambiguity of one's complement. */
		if (incr != full)
			assert_true((incr == 0 && full == 0xffff) || (incr == 0xffff && full == 0));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_odd_length),
		cmocka_unit_test(test_ip_header),
		cmocka_unit_test(test_pseudo),
		cmocka_unit_test(test_finish_partial),
		cmocka_unit_test(test_against_reference),
		cmocka_unit_test(test_replace16_rfc1624),
		cmocka_unit_test(test_replace16_matches_recompute),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
