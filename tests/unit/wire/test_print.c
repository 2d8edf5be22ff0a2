/*
 * test_print.c - tcpdump-style summaries (wire/print.c). The expected lines for
 * the captured frames are tcpdump's own (`tcpdump -nn -S -r`) without its "IP "
 * prefix and its guess of the application protocol; malformed input must print
 * as truncated/malformed and never crash (run under ASan+UBSan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "wire/ether.h"
#include "wire/print.h"
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

/* Real capture (capture_fixtures.sh, frames 0, 1, 3 and 10; loopback, zero MACs). */
static const uint8_t CAP_SYN[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x65, 0xf3, 0x40, 0x00, 0x40, 0x06,
	0x48, 0xa1, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x9c, 0x40,
	0x1f, 0x90, 0x7b, 0xe6, 0xaf, 0x23, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
	0xff, 0xd7, 0x8c, 0x56, 0x00, 0x00, 0x02, 0x04, 0xff, 0xd7, 0x04, 0x02,
	0x08, 0x0a, 0x6b, 0x87, 0xbb, 0x73, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
	0x03, 0x0a,
};
static const uint8_t CAP_SYNACK[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06,
	0xae, 0x94, 0xc6, 0x12, 0x00, 0x02, 0xc6, 0x12, 0x00, 0x01, 0x1f, 0x90,
	0x9c, 0x40, 0x78, 0x1c, 0x98, 0x9b, 0x7b, 0xe6, 0xaf, 0x24, 0xa0, 0x12,
	0xff, 0xcb, 0x8c, 0x56, 0x00, 0x00, 0x02, 0x04, 0xff, 0xd7, 0x04, 0x02,
	0x08, 0x0a, 0xf1, 0x45, 0x57, 0x3c, 0x6b, 0x87, 0xbb, 0x73, 0x01, 0x03,
	0x03, 0x0a,
};
static const uint8_t CAP_DATA[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x39, 0x65, 0xf5, 0x40, 0x00, 0x40, 0x06,
	0x48, 0xa2, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x9c, 0x40,
	0x1f, 0x90, 0x7b, 0xe6, 0xaf, 0x24, 0x78, 0x1c, 0x98, 0x9c, 0x80, 0x18,
	0x00, 0x40, 0x8c, 0x53, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x6b, 0x87,
	0xbb, 0x73, 0xf1, 0x45, 0x57, 0x3c, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};
static const uint8_t CAP_PING[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0xe6, 0x6a, 0x40, 0x00, 0x40, 0x01,
	0xc8, 0x16, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x08, 0x00,
	0x6a, 0x84, 0x38, 0xf6, 0x00, 0x01, 0xf7, 0x4c, 0x04, 0x6b, 0x00, 0x00,
	0x00, 0x00, 0x93, 0xf9, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11,
	0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
	0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
	0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
	0x36, 0x37,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2", id=1, flags="DF", ttl=64)/
 *        ICMP(type=8, id=1, seq=2)/Raw(bytes(range(56))) */
static const uint8_t IP_ECHO[] = {
	0x45, 0x00, 0x00, 0x54, 0x00, 0x01, 0x40, 0x00, 0x40, 0x01, 0xae, 0x80,
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x08, 0x00, 0x00, 0xea,
	0x00, 0x01, 0x00, 0x02, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
	0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b,
	0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};

/* scapy: IP(src="198.18.0.2", dst="198.18.0.1", id=3, ttl=64)/ICMP(type=3, code=3)/
 *        IP(src="198.18.0.1", dst="198.18.0.2", id=2, ttl=64)/UDP(sport=40000, dport=9)/
 *        Raw(b"abcd") */
static const uint8_t IP_UNREACH[] = {
	0x45, 0x00, 0x00, 0x3c, 0x00, 0x03, 0x00, 0x00, 0x40, 0x01, 0xee, 0x96,
	0xc6, 0x12, 0x00, 0x02, 0xc6, 0x12, 0x00, 0x01, 0x03, 0x03, 0x89, 0x42,
	0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x20, 0x00, 0x02, 0x00, 0x00,
	0x40, 0x11, 0xee, 0xa3, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
	0x9c, 0x40, 0x00, 0x09, 0x00, 0x0c, 0x12, 0x9e, 0x61, 0x62, 0x63, 0x64,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2", id=0x1c46, flags="DF", ttl=64)/
 *        UDP(sport=40000, dport=7)/Raw(b"ping") */
static const uint8_t IP_UDP[] = {
	0x45, 0x00, 0x00, 0x20, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11, 0x92, 0x5f,
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x9c, 0x40, 0x00, 0x07,
	0x00, 0x0c, 0xf8, 0x95, 0x70, 0x69, 0x6e, 0x67,
};

/* scapy: IP(src="198.18.0.2", dst="198.18.0.1")/TCP(sport=80, dport=40000, seq=5000,
 *        ack=2001, flags="PA", window=502, options=[("NOP", None), ("NOP", None),
 *        ("Timestamp", (100, 200)), ("NOP", None), ("NOP", None),
 *        ("SAck", (3000, 4000, 5000, 6000))])/Raw(b"hello") */
static const uint8_t IP_TCP_SACK[] = {
	0x45, 0x00, 0x00, 0x4d, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0xee, 0x82,
	0xc6, 0x12, 0x00, 0x02, 0xc6, 0x12, 0x00, 0x01, 0x00, 0x50, 0x9c, 0x40,
	0x00, 0x00, 0x13, 0x88, 0x00, 0x00, 0x07, 0xd1, 0xd0, 0x18, 0x01, 0xf6,
	0x4f, 0x33, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x64,
	0x00, 0x00, 0x00, 0xc8, 0x01, 0x01, 0x05, 0x12, 0x00, 0x00, 0x0b, 0xb8,
	0x00, 0x00, 0x0f, 0xa0, 0x00, 0x00, 0x13, 0x88, 0x00, 0x00, 0x17, 0x70,
	0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2")/TCP(sport=40000, dport=80, seq=1001,
 *        ack=7001, flags="A", window=1024) */
static const uint8_t IP_TCP_BARE[] = {
	0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0xee, 0xa7,
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x9c, 0x40, 0x00, 0x50,
	0x00, 0x00, 0x03, 0xe9, 0x00, 0x00, 0x1b, 0x59, 0x50, 0x10, 0x04, 0x00,
	0x63, 0xda, 0x00, 0x00,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2", id=7, ttl=64, proto=253,
 *        options=[IPOption_RR(routers=["0.0.0.0", "0.0.0.0"]), IPOption_Router_Alert()]) */
static const uint8_t IP_OPTS[] = {
	0x49, 0x00, 0x00, 0x24, 0x00, 0x07, 0x00, 0x00, 0x40, 0xfd, 0xda, 0x0f,
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x07, 0x0b, 0x04, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x94, 0x04, 0x00, 0x00, 0x00,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2", id=0x4242, flags="MF", frag=185,
 *        ttl=64, proto=1)/Raw(bytes(8)) */
static const uint8_t IP_FRAG[] = {
	0x45, 0x00, 0x00, 0x1c, 0x42, 0x42, 0x20, 0xb9, 0x40, 0x01, 0x8b, 0xbe,
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};

static char out[512];

#define ETH(fx) wire_print_eth(fx, sizeof(fx), out, sizeof(out))
#define IP4(fx) wire_print_ipv4(fx, sizeof(fx), out, sizeof(out))

/* ---- well-formed ----------------------------------------------------------- */

static void test_arp(void **state)
{
	(void)state;
	assert_string_equal(ETH(ETH_ARP_REQUEST),
			    "ARP, Request who-has 198.18.0.2 tell 198.18.0.1, length 28");
	assert_string_equal(ETH(ETH_ARP_REPLY),
			    "ARP, Reply 198.18.0.2 is-at 02:00:00:00:00:02, length 28");
}

static void test_capture_icmp(void **state)
{
	(void)state;
	assert_string_equal(ETH(CAP_PING),
			    "198.18.0.1 > 198.18.0.2: ICMP echo request, id 14582, seq 1, length 64");
}

static void test_capture_tcp(void **state)
{
	(void)state;
	assert_string_equal(ETH(CAP_SYN),
			    "198.18.0.1.40000 > 198.18.0.2.8080: Flags [S], seq 2078715683, "
			    "win 65495, options [mss 65495,sackOK,TS val 1804057459 ecr 0,nop,"
			    "wscale 10], length 0");
	assert_string_equal(ETH(CAP_SYNACK),
			    "198.18.0.2.8080 > 198.18.0.1.40000: Flags [S.], seq 2015139995, "
			    "ack 2078715684, win 65483, options [mss 65495,sackOK,TS val "
			    "4047853372 ecr 1804057459,nop,wscale 10], length 0");
	assert_string_equal(ETH(CAP_DATA),
			    "198.18.0.1.40000 > 198.18.0.2.8080: Flags [P.], seq "
			    "2078715684:2078715689, ack 2015139996, win 64, options [nop,nop,TS "
			    "val 1804057459 ecr 4047853372], length 5");
}

static void test_icmp(void **state)
{
	(void)state;
	assert_string_equal(IP4(IP_ECHO),
			    "198.18.0.1 > 198.18.0.2: ICMP echo request, id 1, seq 2, length 64");
	assert_string_equal(IP4(IP_UNREACH), "198.18.0.2 > 198.18.0.1: ICMP 198.18.0.2 udp port 9 "
					     "unreachable, length 40");
}

static void test_udp(void **state)
{
	(void)state;
	assert_string_equal(IP4(IP_UDP), "198.18.0.1.40000 > 198.18.0.2.7: UDP, length 4");
}

static void test_tcp(void **state)
{
	(void)state;
	assert_string_equal(IP4(IP_TCP_SACK),
			    "198.18.0.2.80 > 198.18.0.1.40000: Flags [P.], seq 5000:5005, ack 2001, "
			    "win 502, options [nop,nop,TS val 100 ecr 200,nop,nop,sack 2 "
			    "{3000:4000}{5000:6000}], length 5");
	assert_string_equal(IP4(IP_TCP_BARE),
			    "198.18.0.1.40000 > 198.18.0.2.80: Flags [.], ack 7001, win 1024, "
			    "length 0");
}

static void test_tcp_flags(void **state)
{
	uint8_t b[sizeof(IP_TCP_BARE)];

	(void)state;
	memcpy(b, IP_TCP_BARE, sizeof(b));
	b[33] = 0x04;
	assert_string_equal(IP4(b), "198.18.0.1.40000 > 198.18.0.2.80: Flags [R], seq 1001, "
				    "win 1024, length 0");
	b[33] = 0x11;
	assert_string_equal(IP4(b), "198.18.0.1.40000 > 198.18.0.2.80: Flags [F.], seq 1001, "
				    "ack 7001, win 1024, length 0");
	b[33] = 0xc2;
	assert_string_equal(IP4(b), "198.18.0.1.40000 > 198.18.0.2.80: Flags [SEW], seq 1001, "
				    "win 1024, length 0");
	b[33] = 0x00;
	assert_string_equal(IP4(b), "198.18.0.1.40000 > 198.18.0.2.80: Flags [none], win 1024, "
				    "length 0");
	b[33] = 0x30; /* URG|ACK */
	assert_string_equal(IP4(b), "198.18.0.1.40000 > 198.18.0.2.80: Flags [.U], ack 7001, "
				    "win 1024, urg 0, length 0");
}

static void test_other_protocols(void **state)
{
	(void)state;
	assert_string_equal(IP4(IP_OPTS), "198.18.0.1 > 198.18.0.2: ip-proto-253 0");
	assert_string_equal(IP4(IP_FRAG),
			    "198.18.0.1 > 198.18.0.2: ip-proto-1 8 (frag 16962:8@1480+)");
}

static void test_other_ethertypes(void **state)
{
	uint8_t f[18] = { 0 };

	(void)state;
	wr16(f + 12, ETH_P_IPV6);
	assert_string_equal(wire_print_eth(f, sizeof(f), out, sizeof(out)), "IP6, length 4");
	wr16(f + 12, ETH_P_8021Q);
	wr16(f + 14, 0x2064);
	wr16(f + 16, ETH_P_IP);
	assert_string_equal(wire_print_eth(f, sizeof(f), out, sizeof(out)),
			    "802.1Q vlan 100, ethertype 0x0800, length 18");
	wr16(f + 12, 0x88cc);
	assert_string_equal(wire_print_eth(f, sizeof(f), out, sizeof(out)),
			    "ethertype 0x88cc, length 18");
}

static void test_ip_str(void **state)
{
	char s[16];

	(void)state;
	assert_string_equal(wire_ip_str(0xc6120001, s), "198.18.0.1");
	assert_string_equal(wire_ip_str(0xffffffff, s), "255.255.255.255");
	assert_string_equal(wire_ip_str(0, s), "0.0.0.0");
}

/* ---- malformed --------------------------------------------------------------- */

static void test_truncated(void **state)
{
	uint8_t b[64];

	(void)state;
	assert_string_equal(wire_print_eth(CAP_PING, 13, out, sizeof(out)),
			    "Ethernet truncated, length 13");
	assert_string_equal(wire_print_eth(ETH_ARP_REQUEST, 34, out, sizeof(out)),
			    "ARP, truncated, length 20");
	assert_string_equal(wire_print_eth(CAP_PING, 24, out, sizeof(out)),
			    "IP truncated, length 10");
	assert_string_equal(wire_print_ipv4(IP_ECHO, 40, out, sizeof(out)),
			    "IP truncated, total length 84 > 40");
	/* A datagram whose transport header is cut short (total length says so too). */
	memcpy(b, IP_UDP, 24);
	b[3] = 24;
	wt_ip_fix_csum(b);
	assert_string_equal(wire_print_ipv4(b, 24, out, sizeof(out)),
			    "198.18.0.1 > 198.18.0.2: UDP truncated, length 4");
	b[9] = 1;
	assert_string_equal(wire_print_ipv4(b, 24, out, sizeof(out)),
			    "198.18.0.1 > 198.18.0.2: ICMP truncated, length 4");
	b[9] = 6;
	assert_string_equal(wire_print_ipv4(b, 24, out, sizeof(out)),
			    "198.18.0.1 > 198.18.0.2: TCP truncated, length 4");
	/* UDP length beyond the datagram. */
	memcpy(b, IP_UDP, sizeof(IP_UDP));
	b[25] = 40;
	assert_string_equal(wire_print_ipv4(b, sizeof(IP_UDP), out, sizeof(out)),
			    "198.18.0.1.40000 > 198.18.0.2.7: UDP truncated, length 40 > 12");
	/* An ICMP error whose quote is too short to name the destination. */
	memcpy(b, IP_UNREACH, 40);
	b[3] = 40;
	assert_string_equal(wire_print_ipv4(b, 40, out, sizeof(out)),
			    "198.18.0.2 > 198.18.0.1: ICMP unreachable, code 3 (quote truncated), "
			    "length 20");
}

static void test_malformed(void **state)
{
	uint8_t b[64];

	(void)state;
	memcpy(b, IP_UDP, sizeof(IP_UDP));
	b[0] = 0x65;
	assert_string_equal(wire_print_ipv4(b, sizeof(IP_UDP), out, sizeof(out)),
			    "IP malformed, version 6, length 32");
	b[0] = 0x43;
	assert_string_equal(wire_print_ipv4(b, sizeof(IP_UDP), out, sizeof(out)),
			    "IP malformed, header length 12, length 32");
	b[0] = 0x45;
	b[3] = 19;
	assert_string_equal(wire_print_ipv4(b, sizeof(IP_UDP), out, sizeof(out)),
			    "IP malformed, total length 19 < header 20");
	/* A zero-length option. */
	memcpy(b, IP_UDP, 20);
	b[0] = 0x46;
	b[3] = 24;
	memcpy(b + 20, "\x9e\x00\x00\x00", 4);
	assert_string_equal(wire_print_ipv4(b, 24, out, sizeof(out)),
			    "198.18.0.1 > 198.18.0.2: IP malformed, bad option at offset 21, "
			    "length 24");
	/* TCP data offset beyond the segment, and a TCP option running past the header. */
	memcpy(b, IP_TCP_BARE, sizeof(IP_TCP_BARE));
	b[32] = 0xf0;
	assert_string_equal(wire_print_ipv4(b, sizeof(IP_TCP_BARE), out, sizeof(out)),
			    "198.18.0.1.40000 > 198.18.0.2.80: TCP malformed, data offset 60, "
			    "length 20");
	memcpy(b, IP_TCP_BARE, sizeof(IP_TCP_BARE));
	b[3] = 44;
	b[32] = 0x60;
	memcpy(b + 40, "\x01\x08\x0a\x00", 4);
	assert_string_equal(wire_print_ipv4(b, 44, out, sizeof(out)),
			    "198.18.0.1.40000 > 198.18.0.2.80: Flags [.], ack 7001, win 1024, "
			    "options [nop,bad opt], length 0");
	/* UDP length below its header. */
	memcpy(b, IP_UDP, sizeof(IP_UDP));
	b[25] = 4;
	assert_string_equal(wire_print_ipv4(b, sizeof(IP_UDP), out, sizeof(out)),
			    "198.18.0.1.40000 > 198.18.0.2.7: UDP malformed, bad length 4");
	/* ARP with an opcode that is neither request nor reply. */
	memcpy(b, ETH_ARP_REQUEST, sizeof(ETH_ARP_REQUEST));
	b[21] = 3;
	assert_string_equal(wire_print_eth(b, sizeof(ETH_ARP_REQUEST), out, sizeof(out)),
			    "ARP, malformed, length 28");
}

/* The output buffer bounds: cut, always terminated, nothing written when 0. */
static void test_small_output(void **state)
{
	char small[12];

	(void)state;
	memset(small, 'x', sizeof(small));
	wire_print_eth(ETH_ARP_REQUEST, sizeof(ETH_ARP_REQUEST), small, 0);
	assert_int_equal(small[0], 'x');
	wire_print_eth(ETH_ARP_REQUEST, sizeof(ETH_ARP_REQUEST), small, 1);
	assert_string_equal(small, "");
	wire_print_eth(ETH_ARP_REQUEST, sizeof(ETH_ARP_REQUEST), small, sizeof(small));
	assert_string_equal(small, "ARP, Reques");
	wire_print_ipv4(IP_TCP_SACK, sizeof(IP_TCP_SACK), small, sizeof(small));
	assert_string_equal(small, "198.18.0.2.");
}

/* Every prefix of every fixture, and random corruptions of them, print without
 * reading out of bounds (ASan) and stay inside the output buffer. */
static void test_never_crashes(void **state)
{
	static const struct { const uint8_t *p; size_t n; bool eth; } fx[] = {
		{ ETH_ARP_REQUEST, sizeof(ETH_ARP_REQUEST), true },
		{ CAP_SYN, sizeof(CAP_SYN), true },
		{ CAP_DATA, sizeof(CAP_DATA), true },
		{ CAP_PING, sizeof(CAP_PING), true },
		{ IP_UNREACH, sizeof(IP_UNREACH), false },
		{ IP_TCP_SACK, sizeof(IP_TCP_SACK), false },
		{ IP_OPTS, sizeof(IP_OPTS), false },
		{ IP_FRAG, sizeof(IP_FRAG), false },
	};
	size_t i, n;
	int k;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(fx); i++) {
		for (n = 0; n <= fx[i].n; n++) {
			/* A heap copy of exactly n bytes, so ASan sees any overread. */
			uint8_t *b = malloc(n ? n : 1);

			memcpy(b, fx[i].p, n);
			if (fx[i].eth)
				wire_print_eth(b, n, out, sizeof(out));
			else
				wire_print_ipv4(b, n, out, sizeof(out));
			assert_true(strlen(out) < sizeof(out));
			free(b);
		}
	}
	srand(3);
	for (k = 0; k < 20000; k++) {
		size_t fi = (size_t)rand() % ARRAY_SIZE(fx), len = fx[fi].n;
		uint8_t *b = malloc(len);
		int flips = 1 + rand() % 4, f;

		memcpy(b, fx[fi].p, len);
		for (f = 0; f < flips; f++)
			b[(size_t)rand() % len] = (uint8_t)rand();
		len = (size_t)rand() % (len + 1);
		if (fx[fi].eth)
			wire_print_eth(b, len, out, sizeof(out));
		else
			wire_print_ipv4(b, len, out, sizeof(out));
		assert_true(strlen(out) < sizeof(out));
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_capture_icmp),
		cmocka_unit_test(test_capture_tcp),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_tcp_flags),
		cmocka_unit_test(test_other_protocols),
		cmocka_unit_test(test_other_ethertypes),
		cmocka_unit_test(test_ip_str),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_small_output),
		cmocka_unit_test(test_never_crashes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
