/*
 * test_icmp.c - ICMP (src/icmp/icmp.c) through the real receive and send paths
 * of a seeded stack on the virtual clock (tests/unit/socket/testnet.h): echo,
 * the errors we send (bytes, quoting, never-answer rules, rate limit), the
 * errors we receive (bogus ones ignored, real ones reported to the right socket
 * as the right errno) and the message types we do not act on.
 *
 * Byte fixtures: fixtures.inc, printed by gen_fixtures.py (scapy).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "../socket/testnet.h"
#include "base/bytes.h"
#include "icmp/icmp.h"
#include "ip/ip.h"
#include "ustack/socket.h"
#include "ustack/ustack.h"
#include "wire/checksum.h"

#include "fixtures.inc"

static uint8_t out[70000];

/* ---- echo ------------------------------------------------------------------------- */

static void test_echo_reply_bytes(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	size_t n;

	(void)state;
	tn_rx(st, d, ECHO_REQ, sizeof(ECHO_REQ));
	assert_int_equal(tn_tx_count(d), 1);
	n = tn_tx_pop(d, out, sizeof(out));
	tn_assert_bytes(out, n, ECHO_REP, sizeof(ECHO_REP));
	assert_int_equal(tn_stat(st, US_STAT_IcmpInMsgs), 1);
	assert_int_equal(tn_stat(st, US_STAT_IcmpInEchos), 1);
	assert_int_equal(tn_stat(st, US_STAT_IcmpOutMsgs), 1);
	assert_int_equal(tn_stat(st, US_STAT_IcmpOutEchoReps), 1);
	tn_stack_free(st);
}

static void test_echo_reply_keeps_tos(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	size_t n;

	(void)state;
	tn_rx(st, d, ECHO_REQ_TOS, sizeof(ECHO_REQ_TOS));
	n = tn_tx_pop(d, out, sizeof(out));
	assert_int_equal(n, sizeof(ECHO_REQ_TOS));
	assert_int_equal(out[1], 0x10);
	assert_int_equal(out[20], ICMP_ECHOREPLY);
	assert_int_equal(rd16(out + 24), 0x1234);
	assert_int_equal(rd16(out + 26), 2);
	assert_int_equal(tn_csum(out + 20, n - 20), 0);
	tn_stack_free(st);
}

static void test_echo_bad_checksum(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	uint8_t bad[sizeof(ECHO_REQ)];

	(void)state;
	memcpy(bad, ECHO_REQ, sizeof(bad));
	bad[sizeof(bad) - 1] ^= 0x01; /* a data bit: only the ICMP checksum catches it */
	tn_rx(st, d, bad, sizeof(bad));
	assert_int_equal(tn_tx_count(d), 0);
	assert_int_equal(tn_drops(st, US_DROP_ICMP_CSUM), 1);
	assert_int_equal(tn_stat(st, US_STAT_IcmpInCsumErrors), 1);
	assert_int_equal(tn_stat(st, US_STAT_IcmpInErrors), 1);
	assert_int_equal(tn_stat(st, US_STAT_IcmpInEchos), 0);
	tn_stack_free(st);
}

/* A device that verified the checksum (virtio DATA_VALID) is believed. */
static void test_echo_csum_verified_by_device(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	struct us_pkt *p;
	uint8_t bad[sizeof(ECHO_REQ)];

	(void)state;
	memcpy(bad, ECHO_REQ, sizeof(bad));
	wr16(bad + 22, 0); /* checksum field zeroed: wrong, but the device vouched */
	p = us_pkt_alloc(&st->pool, sizeof(bad));
	memcpy(us_pkt_put(p, sizeof(bad)), bad, sizeof(bad));
	p->csum = US_CSUM_VERIFIED;
	p->dev = us_netdev_by_index(st, tn_ifindex(d));
	ip_input(st, p);
	us_stack_poll(st);
	assert_int_equal(tn_tx_count(d), 1);
	assert_int_equal(tn_drops(st, US_DROP_ICMP_CSUM), 0);
	tn_tx_clear(d);
	tn_stack_free(st);
}

static void test_echo_ignore_all(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);

	(void)state;
	assert_int_equal(us_stack_set(st, "net.ipv4.icmp_echo_ignore_all", "1"), 0);
	tn_rx(st, d, ECHO_REQ, sizeof(ECHO_REQ));
	assert_int_equal(tn_tx_count(d), 0);
	assert_int_equal(tn_drops(st, US_DROP_ICMP_ECHO_IGNORED), 1);
	tn_stack_free(st);
}

static void test_echo_broadcast(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	size_t n;

	(void)state;
	/* Ignored by default (RFC 1122 3.2.2.6 MAY; Linux's default). */
	tn_rx(st, d, ECHO_REQ_BCAST, sizeof(ECHO_REQ_BCAST));
	assert_int_equal(tn_tx_count(d), 0);
	assert_int_equal(tn_drops(st, US_DROP_ICMP_BCAST_ECHO), 1);

	/* Answered when allowed, from our address on that link, not the broadcast. */
	assert_int_equal(us_stack_set(st, "net.ipv4.icmp_echo_ignore_broadcasts", "0"), 0);
	tn_rx(st, d, ECHO_REQ_BCAST, sizeof(ECHO_REQ_BCAST));
	n = tn_tx_pop(d, out, sizeof(out));
	assert_int_equal(n, sizeof(ECHO_REQ_BCAST));
	assert_int_equal(rd32(out + 12), TN_US);
	assert_int_equal(rd32(out + 16), TN_PEER);
	assert_int_equal(out[20], ICMP_ECHOREPLY);
	assert_int_equal(rd16(out + 26), 3);
	tn_stack_free(st);
}

/* A ping of 8000 bytes arrives reassembled; the reply is fragmented to the MTU. */
static void test_echo_large_fragmented_reply(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	static uint8_t req[20 + 8 + 8000];
	size_t total = 0, frames = 0, n;

	(void)state;
	tn_ip_hdr(req, TN_PEER, TN_US, IPPROTO_ICMP, 8 + 8000, 77, 64);
	req[20] = ICMP_ECHO;
	wr16(req + 24, 0x4242);
	wr16(req + 26, 9);
	for (int i = 0; i < 8000; i++)
		req[28 + i] = (uint8_t)i;
	wr16(req + 22, tn_csum(req + 20, 8 + 8000));
	/* One datagram bigger than the MTU can still be injected: the device takes it. */
	tn_rx(st, d, req, sizeof(req));
	while ((n = tn_tx_pop(d, out, sizeof(out))) > 0) {
		assert_true(n <= 1500);
		assert_int_equal(rd32(out + 16), TN_PEER);
		total += n - 20;
		frames++;
	}
	assert_int_equal(frames, 6); /* 8008 bytes in 1480-byte pieces */
	assert_int_equal(total, 8 + 8000);
	assert_int_equal(tn_stat(st, US_STAT_IcmpOutEchoReps), 1);
	tn_stack_free(st);
}

/* The reply is built in the request's buffer: answering a ping takes no second buffer
 * (a fresh stack has carved none yet; the request takes the first). An 8000-byte
 * request is answered even when it holds the only large buffer there may be. */
static void test_echo_reply_reuses_request(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	static uint8_t req[20 + 8 + 8000];
	size_t n, total = 0;

	(void)state;
	assert_int_equal(st->pool.total, 0);
	tn_rx(st, d, ECHO_REQ, sizeof(ECHO_REQ));
	n = tn_tx_pop(d, out, sizeof(out));
	tn_assert_bytes(out, n, ECHO_REP, sizeof(ECHO_REP));
	assert_int_equal(st->pool.total, 1);

	st->pool.large_max = 1;
	tn_ip_hdr(req, TN_PEER, TN_US, IPPROTO_ICMP, 8 + 8000, 78, 64);
	req[20] = ICMP_ECHO;
	wr16(req + 24, 0x4242);
	wr16(req + 26, 10);
	for (int i = 0; i < 8000; i++)
		req[28 + i] = (uint8_t)(i * 7);
	wr16(req + 22, tn_csum(req + 20, 8 + 8000));
	tn_rx(st, d, req, sizeof(req));
	while ((n = tn_tx_pop(d, out, sizeof(out))) > 0)
		total += n - 20;
	assert_int_equal(total, 8 + 8000);
	assert_int_equal(st->pool.alloc_failures, 0);
	assert_int_equal(tn_stat(st, US_STAT_IcmpOutEchoReps), 2);
	tn_stack_free(st);
}

/* ---- errors we send ----------------------------------------------------------------- */

static void test_port_unreachable_bytes(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	size_t n;

	(void)state;
	tn_rx(st, d, UDP_CLOSED, sizeof(UDP_CLOSED));
	n = tn_tx_pop(d, out, sizeof(out));
	tn_assert_bytes(out, n, PORT_UNREACH, sizeof(PORT_UNREACH));
	assert_int_equal(tn_stat(st, US_STAT_IcmpOutDestUnreachs), 1);
	assert_int_equal(tn_stat(st, US_STAT_UdpNoPorts), 1);
	assert_int_equal(tn_drops(st, US_DROP_UDP_NO_SOCKET), 1);
	tn_stack_free(st);
}

/* RFC 1812 4.3.2.3: the error is at most 576 bytes: 548 bytes of the original. */
static void test_error_quote_length(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	static uint8_t big[1400], small[100];
	uint8_t payload[1400 - 28];
	size_t n;

	(void)state;
	memset(payload, 0xab, sizeof(payload));
	tn_udp_dgram(big, TN_PEER, 4000, TN_US, 9, payload, sizeof(payload));
	tn_rx(st, d, big, sizeof(big));
	n = tn_tx_pop(d, out, sizeof(out));
	assert_int_equal(n, 576);
	assert_int_equal(rd16(out + 2), 576);
	assert_memory_equal(out + 28, big, 548);
	assert_int_equal(tn_csum(out + 20, n - 20), 0);

	/* Shorter datagrams are quoted whole. */
	tn_udp_dgram(small, TN_PEER, 4000, TN_US, 9, payload, sizeof(small) - 28);
	tn_rx(st, d, small, sizeof(small));
	n = tn_tx_pop(d, out, sizeof(out));
	assert_int_equal(n, 20 + 8 + sizeof(small));
	assert_memory_equal(out + 28, small, sizeof(small));
	tn_stack_free(st);
}

/* Builds the packet icmp_send_error gets: data at the transport header, net_off at IP. */
static struct us_pkt *orig_pkt(struct us_stack *st, struct tn_dev *d, const uint8_t *ip,
			       size_t len)
{
	struct us_pkt *p = us_pkt_alloc(&st->pool, len);

	memcpy(us_pkt_put(p, len), ip, len);
	us_pkt_set_network(p);
	us_pkt_pull(p, (size_t)(ip[0] & 0xf) * 4);
	us_pkt_set_transport(p);
	p->dev = us_netdev_by_index(st, tn_ifindex(d));
	return p;
}

/* Sends a port unreachable about @ip; returns how many frames the stack sent. */
static unsigned error_count(struct us_stack *st, struct tn_dev *d, const uint8_t *ip, size_t len,
			    uint8_t pkt_type)
{
	struct us_pkt *p = orig_pkt(st, d, ip, len);
	unsigned n;

	p->pkt_type = pkt_type;
	icmp_send_error(st, p, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
	us_pkt_free(p);
	us_stack_poll(st);
	n = tn_tx_count(d);
	tn_tx_clear(d);
	return n;
}

static void test_error_never_answer_rules(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	uint8_t b[64];
	size_t n;

	(void)state;
	/* The control: an ordinary datagram is answered. */
	n = tn_udp_dgram(b, TN_PEER, 1000, TN_US, 9, "x", 1);
	assert_int_equal(error_count(st, d, b, n, US_PKT_HOST), 1);

	/* Came as a link-layer broadcast or multicast (RFC 1122 3.2.2). */
	assert_int_equal(error_count(st, d, b, n, US_PKT_BROADCAST), 0);
	assert_int_equal(error_count(st, d, b, n, US_PKT_MULTICAST), 0);

	/* Not the first fragment. */
	n = tn_udp_dgram(b, TN_PEER, 1000, TN_US, 9, "x", 1);
	wr16(b + 6, 185); /* offset 1480 */
	wr16(b + 10, 0);
	wr16(b + 10, tn_csum(b, 20));
	assert_int_equal(error_count(st, d, b, n, US_PKT_HOST), 0);
	/* The first fragment is answered. */
	wr16(b + 6, 0x2000); /* MF, offset 0 */
	wr16(b + 10, 0);
	wr16(b + 10, tn_csum(b, 20));
	assert_int_equal(error_count(st, d, b, n, US_PKT_HOST), 1);

	/* Destination: limited broadcast, subnet broadcast, network address, multicast. */
	n = tn_udp_dgram(b, TN_PEER, 1000, 0xffffffffu, 9, "x", 1);
	assert_int_equal(error_count(st, d, b, n, US_PKT_HOST), 0);
	n = tn_udp_dgram(b, TN_PEER, 1000, TN_BCAST, 9, "x", 1);
	assert_int_equal(error_count(st, d, b, n, US_PKT_HOST), 0);
	n = tn_udp_dgram(b, TN_PEER, 1000, TN_ADDR(198, 18, 0, 0), 9, "x", 1);
	assert_int_equal(error_count(st, d, b, n, US_PKT_HOST), 0);
	n = tn_udp_dgram(b, TN_PEER, 1000, TN_ADDR(224, 0, 0, 1), 9, "x", 1);
	assert_int_equal(error_count(st, d, b, n, US_PKT_HOST), 0);

	/* Source: 0.0.0.0, loopback from outside, broadcast, multicast, class E. */
	n = tn_udp_dgram(b, 0, 1000, TN_US, 9, "x", 1);
	assert_int_equal(error_count(st, d, b, n, US_PKT_HOST), 0);
	n = tn_udp_dgram(b, TN_ADDR(127, 0, 0, 1), 1000, TN_US, 9, "x", 1);
	assert_int_equal(error_count(st, d, b, n, US_PKT_HOST), 0);
	n = tn_udp_dgram(b, TN_BCAST, 1000, TN_US, 9, "x", 1);
	assert_int_equal(error_count(st, d, b, n, US_PKT_HOST), 0);
	n = tn_udp_dgram(b, TN_ADDR(224, 1, 2, 3), 1000, TN_US, 9, "x", 1);
	assert_int_equal(error_count(st, d, b, n, US_PKT_HOST), 0);
	n = tn_udp_dgram(b, TN_ADDR(240, 0, 0, 1), 1000, TN_US, 9, "x", 1);
	assert_int_equal(error_count(st, d, b, n, US_PKT_HOST), 0);

	/* An ICMP error is never answered with an error; an echo request may be. */
	tn_ip_hdr(b, TN_PEER, TN_US, IPPROTO_ICMP, 8 + 28, 5, 64);
	memset(b + 20, 0, 36);
	b[20] = ICMP_DEST_UNREACH;
	b[21] = ICMP_HOST_UNREACH;
	assert_int_equal(error_count(st, d, b, 20 + 36, US_PKT_HOST), 0);
	b[20] = 42; /* an unknown type might be an error too */
	assert_int_equal(error_count(st, d, b, 20 + 36, US_PKT_HOST), 0);
	b[20] = ICMP_ECHO;
	assert_int_equal(error_count(st, d, b, 20 + 36, US_PKT_HOST), 1);
	tn_stack_free(st);
}

/* UDP to a broadcast address with no socket: no port unreachable. */
static void test_no_unreachable_for_broadcast_udp(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	uint8_t b[64];
	size_t n;

	(void)state;
	n = tn_udp_dgram(b, TN_PEER, 1000, TN_BCAST, 9999, "x", 1);
	tn_rx(st, d, b, n);
	n = tn_udp_dgram(b, TN_PEER, 1000, 0xffffffffu, 9999, "x", 1);
	tn_rx(st, d, b, n);
	assert_int_equal(tn_tx_count(d), 0);
	assert_int_equal(tn_stat(st, US_STAT_UdpIgnoredMulti), 2);
	assert_int_equal(tn_stat(st, US_STAT_UdpNoPorts), 0);
	tn_stack_free(st);
}

/* Per destination: a burst of 6, then one per icmp_ratelimit ms (Linux's XRLIM). */
static void test_ratelimit_per_destination(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);

	(void)state;
	for (int i = 0; i < 10; i++)
		tn_inject(d, UDP_CLOSED, sizeof(UDP_CLOSED));
	us_stack_poll(st);
	assert_int_equal(tn_tx_count(d), 6);
	assert_int_equal(tn_stat(st, US_STAT_IcmpOutRateLimitHost), 4);
	assert_int_equal(tn_drops(st, US_DROP_ICMP_RATELIMIT), 4);
	assert_int_equal(tn_stat(st, US_STAT_UdpNoPorts), 10);
	tn_tx_clear(d);

	/* 999 ms later the next token is not there yet; at 1000 ms it is. */
	us_stack_clock_set(st, us_stack_now_ns(st) + 999 * US_NSEC_PER_MSEC);
	tn_rx(st, d, UDP_CLOSED, sizeof(UDP_CLOSED));
	assert_int_equal(tn_tx_count(d), 0);
	tn_advance_ms(st, 1);
	tn_rx(st, d, UDP_CLOSED, sizeof(UDP_CLOSED));
	tn_rx(st, d, UDP_CLOSED, sizeof(UDP_CLOSED));
	assert_int_equal(tn_tx_count(d), 1);
	tn_tx_clear(d);

	/* Another destination has its own bucket. */
	{
		uint8_t b[64];
		size_t n = tn_udp_dgram(b, TN_ADDR(198, 18, 0, 7), 1, TN_US, 9, "x", 1);
		tn_rx(st, d, b, n);
		assert_int_equal(tn_tx_count(d), 1);
		tn_tx_clear(d);
	}

	/* After a long pause the burst is back, but no more than 6. */
	tn_advance_ms(st, 60000);
	for (int i = 0; i < 10; i++)
		tn_inject(d, UDP_CLOSED, sizeof(UDP_CLOSED));
	us_stack_poll(st);
	assert_int_equal(tn_tx_count(d), 6);
	tn_tx_clear(d);

	/* Echo replies are not in the default ratemask: never limited. */
	for (int i = 0; i < 20; i++)
		tn_inject(d, ECHO_REQ, sizeof(ECHO_REQ));
	us_stack_poll(st);
	assert_int_equal(tn_tx_count(d), 20);
	tn_tx_clear(d);

	/* icmp_ratelimit=0 turns the per-destination limit off. */
	assert_int_equal(us_stack_set(st, "net.ipv4.icmp_ratelimit", "0"), 0);
	for (int i = 0; i < 10; i++)
		tn_inject(d, UDP_CLOSED, sizeof(UDP_CLOSED));
	us_stack_poll(st);
	assert_int_equal(tn_tx_count(d), 10);
	tn_tx_clear(d);
	tn_stack_free(st);
}

/* Fragmentation-needed is never limited (path MTU discovery depends on it). */
static void test_ratelimit_exempts_frag_needed(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	uint8_t b[64];
	size_t n = tn_udp_dgram(b, TN_PEER, 1000, TN_US, 9, "x", 1);

	(void)state;
	for (int i = 0; i < 20; i++) {
		struct us_pkt *p = orig_pkt(st, d, b, n);
		icmp_send_error(st, p, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 1400);
		us_pkt_free(p);
	}
	us_stack_poll(st);
	assert_int_equal(tn_tx_count(d), 20);
	n = tn_tx_pop(d, out, sizeof(out));
	assert_int_equal(out[20], ICMP_DEST_UNREACH);
	assert_int_equal(out[21], ICMP_FRAG_NEEDED);
	assert_int_equal(rd16(out + 26), 1400); /* RFC 1191 next-hop MTU */
	tn_tx_clear(d);
	tn_stack_free(st);
}

/* Global: icmp_msgs_burst tokens, refilled at icmp_msgs_per_sec; each message takes
 * 0-2 tokens at random (1 on average). */
static void test_ratelimit_global(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	unsigned sent;

	(void)state;
	assert_int_equal(us_stack_set(st, "net.ipv4.icmp_ratelimit", "0"), 0);
	assert_int_equal(us_stack_set(st, "net.ipv4.icmp_msgs_burst", "10"), 0);
	assert_int_equal(us_stack_set(st, "net.ipv4.icmp_msgs_per_sec", "100"), 0);
	tn_advance_ms(st, 1000); /* the bucket refills to the new burst */
	for (int i = 0; i < 60; i++)
		tn_inject(d, UDP_CLOSED, sizeof(UDP_CLOSED));
	us_stack_poll(st);
	sent = tn_tx_count(d);
	assert_true(sent >= 5 && sent <= 30);
	assert_int_equal(tn_stat(st, US_STAT_IcmpOutRateLimitGlobal), 60 - sent);
	assert_int_equal(tn_drops(st, US_DROP_ICMP_RATELIMIT), 60 - sent);
	tn_tx_clear(d);

	/* Within 20 ms nothing is refilled. */
	tn_advance_ms(st, 19);
	tn_rx(st, d, UDP_CLOSED, sizeof(UDP_CLOSED));
	assert_int_equal(tn_tx_count(d), 0);
	/* 100 ms later: 10 tokens again (100/s), still capped at the burst. */
	tn_advance_ms(st, 100);
	for (int i = 0; i < 60; i++)
		tn_inject(d, UDP_CLOSED, sizeof(UDP_CLOSED));
	us_stack_poll(st);
	sent = tn_tx_count(d);
	assert_true(sent >= 5 && sent <= 30);
	tn_tx_clear(d);
	tn_stack_free(st);
}

/* ---- errors we receive -------------------------------------------------------------- */

/*
 * Builds an ICMP error from @from about the UDP datagram @qsrc:@qsport -> @qdst:@qdport
 * (quoted: header + 8 bytes), into @b. Returns its length.
 */
static size_t icmp_err_about_udp(uint8_t *b, uint32_t from, uint8_t type, uint8_t code,
				 uint32_t rest, uint32_t qsrc, uint16_t qsport, uint32_t qdst,
				 uint16_t qdport)
{
	uint8_t q[64];

	tn_udp_dgram(q, qsrc, qsport, qdst, qdport, "payload!", 8);
	tn_ip_hdr(b, from, TN_US, IPPROTO_ICMP, 8 + 28, 99, 64);
	b[20] = type;
	b[21] = code;
	wr16(b + 22, 0);
	wr32(b + 24, rest);
	memcpy(b + 28, q, 28); /* header + 8 bytes: the quote RFC 792 asks for */
	wr16(b + 22, tn_csum(b + 20, 8 + 28));
	return 20 + 8 + 28;
}

static int udp_connected(struct us_stack *st, uint32_t dst, uint16_t dport, uint16_t *lport)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int sd = us_socket(st, AF_INET, SOCK_DGRAM, 0);

	assert_true(sd >= 0);
	a.sin_addr.s_addr = htonl(dst);
	a.sin_port = htons(dport);
	assert_int_equal(us_connect(st, sd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(us_getsockname(st, sd, (struct sockaddr *)&a, &alen), 0);
	*lport = ntohs(a.sin_port);
	return sd;
}

static void test_error_port_unreach_to_connected_socket(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	uint8_t b[128], buf[16];
	uint16_t lport;
	int sd = udp_connected(st, TN_PEER, 5000, &lport);
	size_t n;

	(void)state;
	n = icmp_err_about_udp(b, TN_PEER, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, TN_US, lport,
			       TN_PEER, 5000);
	tn_rx(st, d, b, n);
	assert_int_equal(tn_stat(st, US_STAT_IcmpInDestUnreachs), 1);
	assert_int_equal(us_socket_events(st, sd), POLLIN | POLLOUT | POLLERR);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -ECONNREFUSED);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN); /* reported once */

	/* An error about another port of the same peer is not this socket's. */
	n = icmp_err_about_udp(b, TN_PEER, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, TN_US, lport,
			       TN_PEER, 5001);
	tn_rx(st, d, b, n);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);

	/* Protocol unreachable -> ENOPROTOOPT, reported by the next send. */
	n = icmp_err_about_udp(b, TN_PEER, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0, TN_US, lport,
			       TN_PEER, 5000);
	tn_rx(st, d, b, n);
	assert_int_equal(us_send(st, sd, "x", 1, 0), -ENOPROTOOPT);
	assert_int_equal(us_send(st, sd, "x", 1, 0), 1);
	tn_tx_clear(d);

	/* Fragmentation needed -> EMSGSIZE (hard, as Linux with PMTU discovery on). */
	n = icmp_err_about_udp(b, TN_PEER, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 1200, TN_US,
			       lport, TN_PEER, 5000);
	tn_rx(st, d, b, n);
	{
		int err = 0;
		socklen_t len = sizeof(err);
		assert_int_equal(us_getsockopt(st, sd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
		assert_int_equal(err, EMSGSIZE);
		assert_int_equal(us_getsockopt(st, sd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
		assert_int_equal(err, 0);
	}

	/* Soft errors (host unreachable, time exceeded) are not reported without
	 * IP_RECVERR (RFC 1122 4.2.3.9 calls them transient)... */
	n = icmp_err_about_udp(b, TN_PEER, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, TN_US, lport,
			       TN_PEER, 5000);
	tn_rx(st, d, b, n);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);
	n = icmp_err_about_udp(b, TN_PEER, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0, TN_US, lport,
			       TN_PEER, 5000);
	tn_rx(st, d, b, n);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(tn_stat(st, US_STAT_IcmpInTimeExcds), 1);
	/* ... and are with it. */
	{
		int one = 1;
		assert_int_equal(us_setsockopt(st, sd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)), 0);
	}
	tn_rx(st, d, b, n);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EHOSTUNREACH);
	n = icmp_err_about_udp(b, TN_PEER, ICMP_DEST_UNREACH, ICMP_NET_UNREACH, 0, TN_US, lport,
			       TN_PEER, 5000);
	tn_rx(st, d, b, n);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -ENETUNREACH);
	n = icmp_err_about_udp(b, TN_PEER, ICMP_DEST_UNREACH, ICMP_PKT_FILTERED, 0, TN_US, lport,
			       TN_PEER, 5000);
	tn_rx(st, d, b, n);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EHOSTUNREACH);
	/* Parameter problem -> EPROTO. */
	n = icmp_err_about_udp(b, TN_PEER, ICMP_PARAMETERPROB, 0, 0x0c000000, TN_US, lport,
			       TN_PEER, 5000);
	tn_rx(st, d, b, n);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EPROTO);
	assert_int_equal(tn_stat(st, US_STAT_IcmpInParmProbs), 1);
	/* Source quench: ignored by UDP (RFC 6633). */
	n = icmp_err_about_udp(b, TN_PEER, ICMP_SOURCE_QUENCH, 0, 0, TN_US, lport, TN_PEER, 5000);
	tn_rx(st, d, b, n);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(tn_stat(st, US_STAT_IcmpInSrcQuenchs), 1);
	assert_int_equal(us_close(st, sd), 0);
	tn_stack_free(st);
}

/* Linux reports errors to unconnected UDP sockets only with IP_RECVERR. */
static void test_error_unconnected_socket(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7100) };
	uint8_t b[128], buf[16];
	int sd = us_socket(st, AF_INET, SOCK_DGRAM, 0), one = 1;
	size_t n;

	(void)state;
	assert_int_equal(us_bind(st, sd, (struct sockaddr *)&a, sizeof(a)), 0);
	n = icmp_err_about_udp(b, TN_PEER, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, TN_US, 7100,
			       TN_PEER, 5000);
	tn_rx(st, d, b, n);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(us_setsockopt(st, sd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)), 0);
	tn_rx(st, d, b, n);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -ECONNREFUSED);
	tn_stack_free(st);
}

static void test_error_bogus_ignored(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	uint8_t b[128], buf[16];
	uint16_t lport;
	int sd = udp_connected(st, TN_PEER, 5000, &lport);
	size_t n;

	(void)state;
	/* About a datagram we did not send (its source is not ours). */
	n = icmp_err_about_udp(b, TN_PEER, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0,
			       TN_ADDR(198, 18, 0, 99), lport, TN_PEER, 5000);
	tn_rx(st, d, b, n);
	assert_int_equal(tn_drops(st, US_DROP_ICMP_BOGUS_ERROR), 1);
	/* About a broadcast (nobody may answer one with an error: RFC 1122 3.2.2). */
	n = icmp_err_about_udp(b, TN_PEER, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, TN_US, lport,
			       TN_BCAST, 5000);
	tn_rx(st, d, b, n);
	assert_int_equal(tn_drops(st, US_DROP_ICMP_BOGUS_ERROR), 2);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);

	/* An error sent to a broadcast address is dropped before anything else. */
	n = icmp_err_about_udp(b, TN_PEER, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, TN_US, lport,
			       TN_PEER, 5000);
	wr32(b + 16, TN_BCAST);
	wr16(b + 10, 0);
	wr16(b + 10, tn_csum(b, 20));
	tn_rx(st, d, b, n);
	assert_int_equal(tn_drops(st, US_DROP_ICMP_BCAST), 1);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);

	/* A quote shorter than a header + 8 bytes is malformed. */
	n = icmp_err_about_udp(b, TN_PEER, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, TN_US, lport,
			       TN_PEER, 5000);
	tn_ip_hdr(b, TN_PEER, TN_US, IPPROTO_ICMP, 8 + 24, 98, 64);
	wr16(b + 22, 0);
	wr16(b + 22, tn_csum(b + 20, 8 + 24));
	tn_rx(st, d, b, 20 + 8 + 24);
	assert_int_equal(tn_drops(st, US_DROP_ICMP_MALFORMED), 1);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);
	tn_stack_free(st);
}

/* A quote cut after the header + 8 bytes is fine even though its total length says
 * more (RFC 792 only promises 64 bits of data). */
static void test_error_truncated_quote_accepted(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	uint8_t q[600], b[128], buf[16];
	uint16_t lport;
	int sd = udp_connected(st, TN_PEER, 5000, &lport);
	static const uint8_t pl[500];

	(void)state;
	tn_udp_dgram(q, TN_US, lport, TN_PEER, 5000, pl, sizeof(pl));
	tn_ip_hdr(b, TN_PEER, TN_US, IPPROTO_ICMP, 8 + 28, 97, 64);
	memset(b + 20, 0, 8);
	b[20] = ICMP_DEST_UNREACH;
	b[21] = ICMP_PORT_UNREACH;
	memcpy(b + 28, q, 28); /* quoted total length 528, only 28 bytes quoted */
	wr16(b + 22, tn_csum(b + 20, 36));
	tn_rx(st, d, b, 56);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -ECONNREFUSED);
	tn_stack_free(st);
}

/* ---- ping sockets --------------------------------------------------------------------- */

static void test_ping_socket_roundtrip(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	struct sockaddr_in to = { .sin_family = AF_INET }, from;
	socklen_t flen = sizeof(from);
	uint8_t msg[8 + 4] = { ICMP_ECHO, 0, 0, 0, 0, 0, 0, 7, 'p', 'i', 'n', 'g' };
	uint8_t rep[64], buf[64];
	uint16_t id;
	size_t n;
	int sd = us_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);

	(void)state;
	assert_true(sd >= 0);
	to.sin_addr.s_addr = htonl(TN_PEER);
	assert_int_equal(us_sendto(st, sd, msg, sizeof(msg), 0, (struct sockaddr *)&to, sizeof(to)),
			 sizeof(msg));
	us_stack_poll(st);
	n = tn_tx_pop(d, out, sizeof(out));
	assert_int_equal(n, 20 + sizeof(msg));
	assert_int_equal(out[9], IPPROTO_ICMP);
	assert_int_equal(rd32(out + 12), TN_US);
	assert_int_equal(rd32(out + 16), TN_PEER);
	assert_int_equal(out[20], ICMP_ECHO);
	id = rd16(out + 24);
	assert_int_not_equal(id, 0); /* the stack chose the identifier */
	assert_int_equal(rd16(out + 26), 7);
	assert_memory_equal(out + 28, "ping", 4);
	assert_int_equal(tn_csum(out + 20, n - 20), 0);
	assert_int_equal(tn_stat(st, US_STAT_IcmpOutEchos), 1);
	{
		struct sockaddr_in me;
		socklen_t mlen = sizeof(me);
		assert_int_equal(us_getsockname(st, sd, (struct sockaddr *)&me, &mlen), 0);
		assert_int_equal(ntohs(me.sin_port), id);
	}

	/* The peer answers: the socket gets the ICMP message, header included. */
	tn_ip_hdr(rep, TN_PEER, TN_US, IPPROTO_ICMP, sizeof(msg), 3, 64);
	memcpy(rep + 20, out + 20, sizeof(msg));
	rep[20] = ICMP_ECHOREPLY;
	wr16(rep + 22, 0);
	wr16(rep + 22, tn_csum(rep + 20, sizeof(msg)));
	tn_rx(st, d, rep, 20 + sizeof(msg));
	assert_int_equal(us_recvfrom(st, sd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen),
			 sizeof(msg));
	assert_memory_equal(buf, rep + 20, sizeof(msg));
	assert_int_equal(ntohl(from.sin_addr.s_addr), TN_PEER);
	assert_int_equal(from.sin_port, 0);
	assert_int_equal(tn_stat(st, US_STAT_IcmpInEchoReps), 1);

	/* A reply with another identifier has no socket. */
	wr16(rep + 24, (uint16_t)(id + 1));
	wr16(rep + 22, 0);
	wr16(rep + 22, tn_csum(rep + 20, sizeof(msg)));
	tn_rx(st, d, rep, 20 + sizeof(msg));
	assert_int_equal(tn_drops(st, US_DROP_ICMP_NO_SOCKET), 1);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);

	/* An error quoting our echo request reaches the socket (IP_RECVERR as ping(8)). */
	{
		int one = 1;
		uint8_t b[128];

		assert_int_equal(us_setsockopt(st, sd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)), 0);
		tn_ip_hdr(b, TN_ADDR(198, 18, 0, 254), TN_US, IPPROTO_ICMP, 8 + 28, 96, 64);
		memset(b + 20, 0, 8);
		b[20] = ICMP_DEST_UNREACH;
		b[21] = ICMP_HOST_UNREACH;
		memcpy(b + 28, out, 28);
		wr16(b + 22, tn_csum(b + 20, 36));
		tn_rx(st, d, b, 56);
		assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EHOSTUNREACH);
	}
	tn_stack_free(st);
}

static void test_ping_socket_errors(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t msg[8] = { ICMP_ECHO, 0 };
	int sd = us_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_ICMP), sd2;

	(void)state;
	to.sin_addr.s_addr = htonl(TN_PEER);
	/* Only whole echo requests (Linux's ping_common_sendmsg). */
	assert_int_equal(us_sendto(st, sd, msg, 7, 0, (struct sockaddr *)&to, sizeof(to)), -EINVAL);
	msg[0] = ICMP_TIMESTAMP;
	assert_int_equal(us_sendto(st, sd, msg, 8, 0, (struct sockaddr *)&to, sizeof(to)), -EINVAL);
	msg[0] = ICMP_ECHO;
	msg[1] = 1;
	assert_int_equal(us_sendto(st, sd, msg, 8, 0, (struct sockaddr *)&to, sizeof(to)), -EINVAL);
	msg[1] = 0;
	assert_int_equal(us_send(st, sd, msg, 8, 0), -EDESTADDRREQ);
	/* Bound to an address that is not ours. */
	to.sin_addr.s_addr = htonl(TN_ADDR(198, 18, 0, 77));
	assert_int_equal(us_bind(st, sd, (struct sockaddr *)&to, sizeof(to)), -EADDRNOTAVAIL);
	to.sin_addr.s_addr = htonl(TN_BCAST);
	assert_int_equal(us_bind(st, sd, (struct sockaddr *)&to, sizeof(to)), -EADDRNOTAVAIL);
	/* An identifier is one socket's. */
	to.sin_addr.s_addr = htonl(TN_US);
	to.sin_port = htons(4242);
	assert_int_equal(us_bind(st, sd, (struct sockaddr *)&to, sizeof(to)), 0);
	sd2 = us_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	assert_int_equal(us_bind(st, sd2, (struct sockaddr *)&to, sizeof(to)), -EADDRINUSE);
	/* The bound identifier goes into what we send. */
	to.sin_addr.s_addr = htonl(TN_PEER);
	assert_int_equal(us_sendto(st, sd, msg, 8, 0, (struct sockaddr *)&to, sizeof(to)), 8);
	us_stack_poll(st);
	assert_int_equal(tn_tx_pop(d, out, sizeof(out)), 28);
	assert_int_equal(rd16(out + 24), 4242);
	tn_stack_free(st);
}

/* ---- types we do not act on ----------------------------------------------------------- */

static size_t icmp_msg(uint8_t *b, uint8_t type, uint8_t code, size_t data_len)
{
	tn_ip_hdr(b, TN_PEER, TN_US, IPPROTO_ICMP, (uint16_t)(8 + data_len), 11, 64);
	memset(b + 20, 0, 8 + data_len);
	b[20] = type;
	b[21] = code;
	wr16(b + 22, tn_csum(b + 20, 8 + data_len));
	return 20 + 8 + data_len;
}

static void test_unhandled_types(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	uint8_t b[128];
	size_t n;

	(void)state;
	/* Redirects are not acted on (accept_redirects=0)... */
	n = icmp_msg(b, ICMP_REDIRECT, 1, 28);
	tn_rx(st, d, b, n);
	assert_int_equal(tn_drops(st, US_DROP_ICMP_REDIRECT), 1);
	assert_int_equal(tn_stat(st, US_STAT_IcmpInRedirects), 1);
	/* ... and with accept_redirects=1 only counted, for now. */
	assert_int_equal(us_stack_set(st, "net.ipv4.conf.all.accept_redirects", "1"), 0);
	tn_rx(st, d, b, n);
	assert_int_equal(tn_drops(st, US_DROP_ICMP_UNHANDLED), 1);
	assert_int_equal(tn_stat(st, US_STAT_IcmpInRedirects), 2);
	/* Timestamp requests are not answered. */
	n = icmp_msg(b, ICMP_TIMESTAMP, 0, 12);
	tn_rx(st, d, b, n);
	assert_int_equal(tn_drops(st, US_DROP_ICMP_UNHANDLED), 2);
	assert_int_equal(tn_stat(st, US_STAT_IcmpInTimestamps), 1);
	/* Unknown types count as errors. */
	n = icmp_msg(b, 99, 0, 4);
	tn_rx(st, d, b, n);
	assert_int_equal(tn_drops(st, US_DROP_ICMP_UNHANDLED), 3);
	assert_int_equal(tn_stat(st, US_STAT_IcmpInErrors), 1);
	/* Too short for an ICMP header. */
	tn_ip_hdr(b, TN_PEER, TN_US, IPPROTO_ICMP, 4, 12, 64);
	memset(b + 20, 0, 4);
	tn_rx(st, d, b, 24);
	assert_int_equal(tn_drops(st, US_DROP_PKT_TOO_SHORT), 1);
	assert_int_equal(tn_stat(st, US_STAT_IcmpInErrors), 2);
	assert_int_equal(tn_stat(st, US_STAT_IcmpInMsgs), 5);
	assert_int_equal(tn_tx_count(d), 0);
	tn_stack_free(st);
}

static void test_err_convert_table(void **state)
{
	bool fatal;

	(void)state;
	assert_int_equal(icmp_err_convert(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, &fatal), ECONNREFUSED);
	assert_true(fatal);
	assert_int_equal(icmp_err_convert(ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, &fatal), ENOPROTOOPT);
	assert_true(fatal);
	assert_int_equal(icmp_err_convert(ICMP_DEST_UNREACH, ICMP_NET_UNREACH, &fatal), ENETUNREACH);
	assert_false(fatal);
	assert_int_equal(icmp_err_convert(ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, &fatal), EHOSTUNREACH);
	assert_false(fatal);
	assert_int_equal(icmp_err_convert(ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, &fatal), EMSGSIZE);
	assert_true(fatal);
	assert_int_equal(icmp_err_convert(ICMP_DEST_UNREACH, ICMP_PKT_FILTERED, &fatal), EHOSTUNREACH);
	assert_true(fatal);
	assert_int_equal(icmp_err_convert(ICMP_DEST_UNREACH, 200, &fatal), EHOSTUNREACH);
	assert_int_equal(icmp_err_convert(ICMP_TIME_EXCEEDED, 0, &fatal), EHOSTUNREACH);
	assert_false(fatal);
	assert_int_equal(icmp_err_convert(ICMP_PARAMETERPROB, 0, &fatal), EPROTO);
	assert_true(fatal);
	assert_int_equal(icmp_err_convert(ICMP_ECHO, 0, &fatal), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_reply_bytes),
		cmocka_unit_test(test_echo_reply_keeps_tos),
		cmocka_unit_test(test_echo_bad_checksum),
		cmocka_unit_test(test_echo_csum_verified_by_device),
		cmocka_unit_test(test_echo_ignore_all),
		cmocka_unit_test(test_echo_broadcast),
		cmocka_unit_test(test_echo_large_fragmented_reply),
		cmocka_unit_test(test_echo_reply_reuses_request),
		cmocka_unit_test(test_port_unreachable_bytes),
		cmocka_unit_test(test_error_quote_length),
		cmocka_unit_test(test_error_never_answer_rules),
		cmocka_unit_test(test_no_unreachable_for_broadcast_udp),
		cmocka_unit_test(test_ratelimit_per_destination),
		cmocka_unit_test(test_ratelimit_exempts_frag_needed),
		cmocka_unit_test(test_ratelimit_global),
		cmocka_unit_test(test_error_port_unreach_to_connected_socket),
		cmocka_unit_test(test_error_unconnected_socket),
		cmocka_unit_test(test_error_bogus_ignored),
		cmocka_unit_test(test_error_truncated_quote_accepted),
		cmocka_unit_test(test_ping_socket_roundtrip),
		cmocka_unit_test(test_ping_socket_errors),
		cmocka_unit_test(test_unhandled_types),
		cmocka_unit_test(test_err_convert_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
