/*
 * test_udp.c - UDP (src/udp/udp.c) through the real receive and send paths of a
 * seeded stack on the virtual clock (tests/unit/socket/testnet.h): delivery,
 * checksum and length errors, port unreachable, the receive-queue bound and its
 * drop counters, broadcast fan-out, connected-over-bound lookup precedence,
 * and the exact bytes of what we send.
 *
 * Byte fixtures: ../icmp/fixtures.inc, printed by ../icmp/gen_fixtures.py (scapy).
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
#include "ip/ip.h"
#include "socket/sock.h"
#include "udp/udp.h"
#include "ustack/socket.h"
#include "ustack/ustack.h"

#include "../icmp/fixtures.inc"

static uint8_t out[70000];

/* A UDP socket bound to @addr:@port, with SO_REUSEADDR when @reuse. */
static int udp_bound(struct us_stack *st, uint32_t addr, uint16_t port, bool reuse)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int sd = us_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_UDP), one = 1;

	assert_true(sd >= 0);
	if (reuse)
		assert_int_equal(us_setsockopt(st, sd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	a.sin_addr.s_addr = htonl(addr);
	a.sin_port = htons(port);
	assert_int_equal(us_bind(st, sd, (struct sockaddr *)&a, sizeof(a)), 0);
	return sd;
}

static void connect_to(struct us_stack *st, int sd, uint32_t addr, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_addr.s_addr = htonl(addr);
	a.sin_port = htons(port);
	assert_int_equal(us_connect(st, sd, (struct sockaddr *)&a, sizeof(a)), 0);
}

/* Injects PEER-ish @src:@sport -> @dst:@dport carrying @s. */
static void rx_udp(struct us_stack *st, struct tn_dev *d, uint32_t src, uint16_t sport,
		   uint32_t dst, uint16_t dport, const char *s)
{
	uint8_t b[1600];
	size_t n = tn_udp_dgram(b, src, sport, dst, dport, s, strlen(s));

	tn_rx(st, d, b, n);
}

/* Reads one datagram from @sd and checks its payload. */
static void expect_dgram(struct us_stack *st, int sd, const char *s)
{
	char buf[2048];
	ssize_t n = us_recv(st, sd, buf, sizeof(buf), 0);

	assert_int_equal(n, (ssize_t)strlen(s));
	assert_memory_equal(buf, s, strlen(s));
}

static void test_delivery(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	int sd = udp_bound(st, 0, 7777, false);
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	char buf[64];

	(void)state;
	rx_udp(st, d, TN_PEER, 5555, TN_US, 7777, "hello");
	assert_int_equal(us_socket_events(st, sd), POLLIN | POLLOUT);
	assert_int_equal(us_recvfrom(st, sd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(flen, sizeof(from));
	assert_int_equal(from.sin_family, AF_INET);
	assert_int_equal(ntohl(from.sin_addr.s_addr), TN_PEER);
	assert_int_equal(ntohs(from.sin_port), 5555);
	assert_int_equal(tn_stat(st, US_STAT_UdpInDatagrams), 1);
	assert_int_equal(us_socket_events(st, sd), POLLOUT);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);

	/* Empty datagrams are datagrams too. */
	rx_udp(st, d, TN_PEER, 5555, TN_US, 7777, "");
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), 0);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(tn_tx_count(d), 0);
	tn_stack_free(st);
}

static void test_checksum_errors(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	int sd = udp_bound(st, 0, 7777, false);
	uint8_t b[64];
	size_t n;
	char buf[16];

	(void)state;
	n = tn_udp_dgram(b, TN_PEER, 5555, TN_US, 7777, "data", 4);
	b[n - 1] ^= 0x20;
	tn_rx(st, d, b, n);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(tn_drops(st, US_DROP_UDP_CSUM), 1);
	assert_int_equal(tn_stat(st, US_STAT_UdpInCsumErrors), 1);
	assert_int_equal(tn_stat(st, US_STAT_UdpInErrors), 1);
	/* RFC 1122 4.1.3.4: silently: no port unreachable either. */
	assert_int_equal(tn_tx_count(d), 0);

	/* A zero checksum means "none computed" (RFC 768) and is accepted. */
	wr16(b + 26, 0);
	tn_rx(st, d, b, n);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), 4);

	/* A device that verified the checksum is believed. */
	{
		struct us_pkt *p = us_pkt_alloc(&st->pool, n);

		n = tn_udp_dgram(b, TN_PEER, 5555, TN_US, 7777, "data", 4);
		wr16(b + 26, 0x1234);
		memcpy(us_pkt_put(p, n), b, n);
		p->csum = US_CSUM_VERIFIED;
		p->dev = us_netdev_by_index(st, tn_ifindex(d));
		ip_input(st, p);
	}
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), 4);
	tn_stack_free(st);
}

static void test_length_errors(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	int sd = udp_bound(st, 0, 7777, false);
	uint8_t b[64];
	size_t n;
	char buf[16];

	(void)state;
	/* UDP length larger than the IP payload. */
	n = tn_udp_dgram(b, TN_PEER, 5555, TN_US, 7777, "data", 4);
	wr16(b + 24, 13);
	tn_rx(st, d, b, n);
	/* UDP length below the header. */
	wr16(b + 24, 7);
	tn_rx(st, d, b, n);
	assert_int_equal(tn_drops(st, US_DROP_UDP_LEN), 2);
	/* An IP payload too short for a UDP header. */
	tn_ip_hdr(b, TN_PEER, TN_US, 17, 6, 1, 64);
	tn_rx(st, d, b, 26);
	assert_int_equal(tn_drops(st, US_DROP_PKT_TOO_SHORT), 1);
	assert_int_equal(tn_stat(st, US_STAT_UdpInErrors), 3);
	assert_int_equal(tn_stat(st, US_STAT_UdpInCsumErrors), 0);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);

	/* A UDP length shorter than the IP payload: the rest is not data (RFC 768). */
	{
		uint8_t c[64];
		size_t m = tn_udp_dgram(c, TN_PEER, 5555, TN_US, 7777, "ab", 2);

		/* Same datagram with 3 junk bytes after it inside the IP payload. */
		memcpy(b, c, m);
		memcpy(b + m, "XYZ", 3);
		tn_ip_hdr(b, TN_PEER, TN_US, 17, (uint16_t)(m - 20 + 3), 1, 64);
		tn_rx(st, d, b, m + 3);
		assert_int_equal(us_recv(st, sd, buf, sizeof(buf), MSG_TRUNC), 2);
		assert_memory_equal(buf, "ab", 2);
	}
	tn_stack_free(st);
}

static void test_port_unreachable(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	size_t n;

	(void)state;
	tn_rx(st, d, UDP_CLOSED, sizeof(UDP_CLOSED));
	n = tn_tx_pop(d, out, sizeof(out));
	tn_assert_bytes(out, n, PORT_UNREACH, sizeof(PORT_UNREACH));
	assert_int_equal(tn_stat(st, US_STAT_UdpNoPorts), 1);
	assert_int_equal(tn_drops(st, US_DROP_UDP_NO_SOCKET), 1);
	/* Not when the frame came as a link broadcast. */
	tn_inject_type(d, UDP_CLOSED, sizeof(UDP_CLOSED), US_PKT_BROADCAST);
	us_stack_poll(st);
	assert_int_equal(tn_tx_count(d), 0);
	assert_int_equal(tn_stat(st, US_STAT_UdpNoPorts), 2);
	tn_stack_free(st);
}

/* What one queued datagram costs: its whole pool buffer, as Linux's truesize. */
static size_t truesize(struct us_stack *st)
{
	struct us_pkt *p = us_pkt_alloc(&st->pool, 16);
	size_t ts = (size_t)(p->end - p->head) + sizeof(*p);

	us_pkt_free(p);
	return ts;
}

static void test_receive_queue_bound(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	int sd = udp_bound(st, 0, 7777, false), v = 4096, got;
	socklen_t len = sizeof(got);
	size_t ts = truesize(st), fits;
	char buf[16];

	(void)state;
	assert_int_equal(us_setsockopt(st, sd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	assert_int_equal(us_getsockopt(st, sd, SOL_SOCKET, SO_RCVBUF, &got, &len), 0);
	assert_int_equal(got, 8192); /* doubled, as Linux */
	fits = 8192 / ts;
	assert_true(fits >= 2);
	for (int i = 0; i < 10; i++) {
		char s[8];
		snprintf(s, sizeof(s), "d%d", i);
		rx_udp(st, d, TN_PEER, 5555, TN_US, 7777, s);
	}
	assert_int_equal(tn_stat(st, US_STAT_UdpInDatagrams), fits);
	assert_int_equal(tn_stat(st, US_STAT_UdpRcvbufErrors), 10 - fits);
	assert_int_equal(tn_stat(st, US_STAT_UdpInErrors), 10 - fits);
	assert_int_equal(tn_drops(st, US_DROP_UDP_RCVBUF), 10 - fits);
	assert_int_equal(st->pool.in_use, fits);
	/* The oldest stay; reading one makes room for one more. */
	expect_dgram(st, sd, "d0");
	rx_udp(st, d, TN_PEER, 5555, TN_US, 7777, "late");
	for (size_t i = 1; i < fits; i++) {
		char s[8];
		snprintf(s, sizeof(s), "d%zu", i);
		expect_dgram(st, sd, s);
	}
	expect_dgram(st, sd, "late");
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);

	/* The default is net.core.rmem_default. */
	{
		int sd2 = udp_bound(st, 0, 7778, false);
		len = sizeof(got);
		assert_int_equal(us_getsockopt(st, sd2, SOL_SOCKET, SO_RCVBUF, &got, &len), 0);
		assert_int_equal(got, 212992);
		for (int i = 0; i < 200; i++)
			rx_udp(st, d, TN_PEER, 5555, TN_US, 7778, "x");
		assert_int_equal(st->socks->slots[sd2]->rxq.len, 212992 / ts);
	}
	tn_stack_free(st);
}

/* A lone datagram bigger than the buffer still gets through (Linux does the same). */
static void test_receive_queue_lone_big_datagram(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	int sd = udp_bound(st, 0, 7777, false), v = 1;
	static char big[1400];

	(void)state;
	assert_int_equal(us_setsockopt(st, sd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	memset(big, 'b', sizeof(big) - 1);
	rx_udp(st, d, TN_PEER, 5555, TN_US, 7777, big);
	rx_udp(st, d, TN_PEER, 5555, TN_US, 7777, "second");
	assert_int_equal(tn_stat(st, US_STAT_UdpInDatagrams), 1);
	assert_int_equal(tn_drops(st, US_DROP_UDP_RCVBUF), 1);
	expect_dgram(st, sd, big);
	tn_stack_free(st);
}

static void test_broadcast_fanout(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	int a = udp_bound(st, 0, 6000, true);
	int b = udp_bound(st, 0, 6000, true);
	int c = udp_bound(st, TN_US, 6000, true);     /* bound to our unicast address */
	int e = udp_bound(st, TN_BCAST, 6000, true);  /* bound to the broadcast address */
	int other = udp_bound(st, 0, 6001, false);
	char buf[16];

	(void)state;
	rx_udp(st, d, TN_PEER, 5555, TN_BCAST, 6000, "to all");
	expect_dgram(st, a, "to all");
	expect_dgram(st, b, "to all");
	expect_dgram(st, e, "to all");
	assert_int_equal(us_recv(st, c, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(us_recv(st, other, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(tn_stat(st, US_STAT_UdpInDatagrams), 3);

	/* The limited broadcast reaches the wildcard sockets only. */
	rx_udp(st, d, TN_PEER, 5555, 0xffffffffu, 6000, "limited");
	expect_dgram(st, a, "limited");
	expect_dgram(st, b, "limited");
	assert_int_equal(us_recv(st, c, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(us_recv(st, e, buf, sizeof(buf), 0), -EAGAIN);

	/* A connected socket gets broadcasts only from its peer. */
	connect_to(st, b, TN_ADDR(198, 18, 0, 9), 1);
	rx_udp(st, d, TN_PEER, 5555, TN_BCAST, 6000, "again");
	expect_dgram(st, a, "again");
	assert_int_equal(us_recv(st, b, buf, sizeof(buf), 0), -EAGAIN);
	expect_dgram(st, e, "again");
	assert_int_equal(tn_tx_count(d), 0);
	tn_stack_free(st);
}

static void test_lookup_precedence(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	/* Bound around the unconnected one, so the binding order cannot decide (equal
	 * scores go to the most recently bound socket); all on our address, as connect
	 * binds the address too, so only being connected tells them apart. */
	int conn = udp_bound(st, TN_US, 7000, true);
	int wild = udp_bound(st, TN_US, 7000, true);
	int conn2 = udp_bound(st, TN_US, 7000, true);
	int wild2;
	char buf[16];

	(void)state;
	connect_to(st, conn, TN_PEER, 5000);
	connect_to(st, conn2, TN_PEER, 5002);
	rx_udp(st, d, TN_PEER, 5002, TN_US, 7000, "exact2");
	expect_dgram(st, conn2, "exact2");
	/* The exact 4-tuple beats the wildcard... */
	rx_udp(st, d, TN_PEER, 5000, TN_US, 7000, "exact");
	expect_dgram(st, conn, "exact");
	assert_int_equal(us_recv(st, wild, buf, sizeof(buf), 0), -EAGAIN);
	/* ... other ports or hosts go to the wildcard. */
	rx_udp(st, d, TN_PEER, 5001, TN_US, 7000, "port");
	rx_udp(st, d, TN_ADDR(198, 18, 0, 3), 5000, TN_US, 7000, "host");
	expect_dgram(st, wild, "port");
	expect_dgram(st, wild, "host");
	assert_int_equal(us_recv(st, conn, buf, sizeof(buf), 0), -EAGAIN);

	/* A socket bound to the address beats one bound to the wildcard, whatever the
	 * order they were bound in. */
	{
		int spec, wild3;

		wild2 = udp_bound(st, 0, 7001, true);
		spec = udp_bound(st, TN_US, 7001, true);
		wild3 = udp_bound(st, 0, 7001, true);

		rx_udp(st, d, TN_PEER, 5000, TN_US, 7001, "specific");
		expect_dgram(st, spec, "specific");
		assert_int_equal(us_recv(st, wild2, buf, sizeof(buf), 0), -EAGAIN);
		assert_int_equal(us_recv(st, wild3, buf, sizeof(buf), 0), -EAGAIN);
	}

	/* Once the connected socket is gone, its peer's datagrams go to the wildcard. */
	assert_int_equal(us_close(st, conn), 0);
	rx_udp(st, d, TN_PEER, 5000, TN_US, 7000, "after");
	expect_dgram(st, wild, "after");
	tn_stack_free(st);
}

static void test_output_bytes(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	int sd = udp_bound(st, 0, 7777, false);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(5555) };
	size_t n;

	(void)state;
	to.sin_addr.s_addr = htonl(TN_PEER);
	assert_int_equal(us_sendto(st, sd, "hello, peer", 11, 0, (struct sockaddr *)&to, sizeof(to)),
			 11);
	us_stack_poll(st);
	n = tn_tx_pop(d, out, sizeof(out));
	tn_assert_bytes(out, n, UDP_OUT, sizeof(UDP_OUT));
	assert_int_equal(tn_stat(st, US_STAT_UdpOutDatagrams), 1);
	tn_stack_free(st);
}

/* On a device that checksums (TX_CSUM), the checksum is left to it: the field holds
 * the pseudo-header sum and the packet says where the result goes. */
static void test_output_csum_offload(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	int sd = udp_bound(st, 0, 7777, false);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(5555) };
	struct us_pkt *p;
	uint8_t *u;

	(void)state;
	tn_netdev(d)->caps |= US_DEV_CAP_TX_CSUM;
	to.sin_addr.s_addr = htonl(TN_PEER);
	assert_int_equal(us_sendto(st, sd, "hello, peer", 11, 0, (struct sockaddr *)&to, sizeof(to)),
			 11);
	us_stack_poll(st);
	p = tn_tx_pop_pkt(d);
	assert_non_null(p);
	assert_int_equal(p->csum, US_CSUM_PARTIAL);
	u = p->head + p->csum_start;
	assert_ptr_equal(u, p->data + 20);
	assert_int_equal(p->csum_offset, 6);
	/* What the device does: sum from csum_start on and store the complement. */
	wr16(u + 6, tn_csum(u, 8 + 11) ? tn_csum(u, 8 + 11) : 0xffff);
	tn_assert_bytes(p->data, us_pkt_len(p), UDP_OUT, sizeof(UDP_OUT));
	us_pkt_free(p);
	tn_stack_free(st);
}

/* Our own datagram to our own port goes round through loopback. */
static void test_loopback_roundtrip(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	int rx = udp_bound(st, TN_ADDR(127, 0, 0, 1), 9000, false);
	int tx = us_socket(st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9000) }, from;
	socklen_t flen = sizeof(from);
	char buf[16];

	(void)state;
	to.sin_addr.s_addr = htonl(TN_ADDR(127, 0, 0, 1));
	assert_int_equal(us_sendto(st, tx, "loop", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
	for (int i = 0; i < 3; i++)
		us_stack_poll(st);
	assert_int_equal(us_recvfrom(st, rx, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen),
			 4);
	assert_int_equal(ntohl(from.sin_addr.s_addr), TN_ADDR(127, 0, 0, 1));

	/* And a closed port over loopback answers ECONNREFUSED to a connected sender. */
	to.sin_port = htons(9001);
	assert_int_equal(us_connect(st, tx, (struct sockaddr *)&to, sizeof(to)), 0);
	assert_int_equal(us_send(st, tx, "x", 1, 0), 1);
	for (int i = 0; i < 3; i++)
		us_stack_poll(st);
	assert_int_equal(us_recv(st, tx, buf, sizeof(buf), 0), -ECONNREFUSED);
	assert_int_equal(tn_tx_count(d), 0);
	tn_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivery),
		cmocka_unit_test(test_checksum_errors),
		cmocka_unit_test(test_length_errors),
		cmocka_unit_test(test_port_unreachable),
		cmocka_unit_test(test_receive_queue_bound),
		cmocka_unit_test(test_receive_queue_lone_big_datagram),
		cmocka_unit_test(test_broadcast_fanout),
		cmocka_unit_test(test_lookup_precedence),
		cmocka_unit_test(test_output_bytes),
		cmocka_unit_test(test_output_csum_offload),
		cmocka_unit_test(test_loopback_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
