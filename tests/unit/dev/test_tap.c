/*
 * test_tap.c - the TAP device: virtio-net header translation in both
 * directions against byte fixtures (no privileges needed), then, when run as
 * root, a real TAP device in a private network namespace: the kernel sends a
 * UDP datagram through it (we must see NEEDS_CSUM metadata), and we send one
 * with a partial checksum that the kernel must complete and deliver.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/stack.h"
#include "dev/devices.h"
#include "ustack/ustack.h"

/*
 * A real frame read from a TAP (IFF_VNET_HDR, header size 12, TUN_F_CSUM) in a
 * scratch namespace: the kernel at 198.18.0.1 (02:00:00:00:00:01) sent "ping"
 * from UDP port 40000 to 198.18.0.2:9999 (02:00:00:00:00:02), captured with a
 * few lines of Python (os.read on the tun fd) on Linux 6.18.
 * The header says NEEDS_CSUM, csum_start 34 (UDP header), csum_offset 6; the
 * UDP checksum field holds only the pseudo-header sum (0x8c45).
 */
static const uint8_t KERNEL_UDP_VNET[] = {
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x22, 0x00, 0x06, 0x00, 0x00, 0x00, /* vnet */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
	0x45, 0x00, 0x00, 0x20, 0x83, 0x2a, 0x40, 0x00, 0x40, 0x11, 0x2b, 0x7b,
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
	0x9c, 0x40, 0x27, 0x0f, 0x00, 0x0c, 0x8c, 0x45, 0x70, 0x69, 0x6e, 0x67,
};
#define FRAME_LEN (sizeof(KERNEL_UDP_VNET) - VNET_HDR_LEN)

/* The same datagram turned around (MACs, addresses and ports swapped): the IP
 * header checksum and the UDP pseudo-header sum are unchanged by the swap. */
static void reversed_frame(uint8_t *f)
{
	const uint8_t *k = KERNEL_UDP_VNET + VNET_HDR_LEN;

	memcpy(f, k, FRAME_LEN);
	memcpy(f, k + 6, 6);
	memcpy(f + 6, k, 6);
	memcpy(f + 26, k + 30, 4);
	memcpy(f + 30, k + 26, 4);
	memcpy(f + 34, k + 36, 2);
	memcpy(f + 36, k + 34, 2);
}

static struct us_pkt *frame_pkt(struct us_pkt_pool *pool, const uint8_t *f, size_t len)
{
	struct us_pkt *p = us_pkt_alloc(pool, len);

	assert_non_null(p);
	memcpy(us_pkt_put(p, len), f, len);
	return p;
}

static void vnet_rx_needs_csum(void **state)
{
	struct us_pkt_pool pool;
	struct us_pkt *p;

	(void)state;
	us_pkt_pool_init(&pool, 4, 1);
	p = frame_pkt(&pool, KERNEL_UDP_VNET + VNET_HDR_LEN, FRAME_LEN);
	assert_int_equal(dev_vnet_to_pkt(KERNEL_UDP_VNET, p), 0);
	assert_int_equal(p->csum, US_CSUM_PARTIAL);
	/* Converted from "bytes after the frame start" to "bytes after head". */
	assert_int_equal(p->csum_start, US_PKT_HEADROOM + 34);
	assert_int_equal(p->csum_offset, 6);
	assert_int_equal(p->gso_size, 0);
	assert_int_equal(p->gso_type, US_GSO_NONE);
	us_pkt_free(p);
	assert_int_equal(pool.in_use, 0);
	us_pkt_pool_fini(&pool);
}

static void vnet_rx_flags_and_gso(void **state)
{
	struct us_pkt_pool pool;
	struct us_pkt *p;
	uint8_t h[VNET_HDR_LEN];
	uint8_t f[100] = { 0 }; /* room for a TCP checksum field at 34 + 16 */

	(void)state;
	us_pkt_pool_init(&pool, 4, 1);
	p = frame_pkt(&pool, f, sizeof(f));

	/* F_DATA_VALID: checksum verified by the kernel. */
	memset(h, 0, sizeof(h));
	h[0] = 0x02;
	assert_int_equal(dev_vnet_to_pkt(h, p), 0);
	assert_int_equal(p->csum, US_CSUM_VERIFIED);

	/* No flags: nothing known. */
	memset(h, 0, sizeof(h));
	assert_int_equal(dev_vnet_to_pkt(h, p), 0);
	assert_int_equal(p->csum, US_CSUM_NONE);

	/* GSO TCPv4 with the ECN bit, segment size 1448 (0x05a8), partial checksum. */
	memcpy(h, (const uint8_t[]){ 0x01, 0x81, 0x36, 0x00, 0xa8, 0x05, 0x22, 0x00, 0x10, 0x00,
				     0x00, 0x00 },
	       sizeof(h));
	assert_int_equal(dev_vnet_to_pkt(h, p), 0);
	assert_int_equal(p->gso_type, US_GSO_TCPV4);
	assert_int_equal(p->gso_size, 1448);
	assert_int_equal(p->csum_offset, 16);

	/* GSO UDP_L4 (type 5). */
	h[1] = 0x05;
	h[8] = 0x06;
	assert_int_equal(dev_vnet_to_pkt(h, p), 0);
	assert_int_equal(p->gso_type, US_GSO_UDP_L4);
	assert_int_equal(p->gso_size, 1448);
	us_pkt_free(p);
	us_pkt_pool_fini(&pool);
}

static void vnet_rx_bad_headers(void **state)
{
	static const uint8_t bad[][VNET_HDR_LEN] = {
		/* checksum field ends past the 46-byte frame: 40 + 6 + 2 > 46 */
		{ 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x06, 0x00, 0x00, 0x00 },
		/* GSO TCPv6: we are IPv4 only */
		{ 0x01, 0x04, 0x36, 0x00, 0xa8, 0x05, 0x22, 0x00, 0x10, 0x00, 0x00, 0x00 },
		/* GSO UDP (UFO), deprecated */
		{ 0x01, 0x03, 0x2a, 0x00, 0xa8, 0x05, 0x22, 0x00, 0x06, 0x00, 0x00, 0x00 },
		/* GSO TCPv4 without a segment size */
		{ 0x01, 0x01, 0x36, 0x00, 0x00, 0x00, 0x22, 0x00, 0x10, 0x00, 0x00, 0x00 },
		/* GSO TCPv4 without NEEDS_CSUM */
		{ 0x00, 0x01, 0x36, 0x00, 0xa8, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 },
		/* ECN bit on a frame that is not GSO */
		{ 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 },
		/* unknown GSO type */
		{ 0x01, 0x07, 0x36, 0x00, 0xa8, 0x05, 0x22, 0x00, 0x10, 0x00, 0x00, 0x00 },
	};
	struct us_pkt_pool pool;
	struct us_pkt *p;

	(void)state;
	us_pkt_pool_init(&pool, 4, 1);
	p = frame_pkt(&pool, KERNEL_UDP_VNET + VNET_HDR_LEN, FRAME_LEN);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("bad header %zu\n", i);
		assert_int_equal(dev_vnet_to_pkt(bad[i], p), -EBADMSG);
	}
	us_pkt_free(p);
	us_pkt_pool_fini(&pool);
}

static void vnet_tx(void **state)
{
	struct us_pkt_pool pool;
	struct us_pkt *p;
	uint8_t h[VNET_HDR_LEN];

	(void)state;
	us_pkt_pool_init(&pool, 4, 1);
	p = frame_pkt(&pool, KERNEL_UDP_VNET + VNET_HDR_LEN, FRAME_LEN);

	/* Complete checksums: an all-zero header. */
	assert_int_equal(dev_pkt_to_vnet(p, h), 0);
	assert_memory_equal(h, (const uint8_t[VNET_HDR_LEN]){ 0 }, VNET_HDR_LEN);
	p->csum = US_CSUM_VERIFIED; /* meaningless on transmit: also no flag */
	assert_int_equal(dev_pkt_to_vnet(p, h), 0);
	assert_memory_equal(h, (const uint8_t[VNET_HDR_LEN]){ 0 }, VNET_HDR_LEN);

	/* Partial: must give back exactly the header the kernel sent us. */
	p->csum = US_CSUM_PARTIAL;
	p->csum_start = (uint16_t)(us_pkt_headroom(p) + 34);
	p->csum_offset = 6;
	assert_int_equal(dev_pkt_to_vnet(p, h), 0);
	assert_memory_equal(h, KERNEL_UDP_VNET, VNET_HDR_LEN);

	/* Round trip through rx after pushing a header in front (headroom changes). */
	us_pkt_push(p, 4);
	us_pkt_pull(p, 4);
	assert_int_equal(dev_pkt_to_vnet(p, h), 0);
	assert_memory_equal(h, KERNEL_UDP_VNET, VNET_HDR_LEN);

	/* GSO UDP_L4: hdr_len = 34 + 8. */
	p->gso_size = 1000;
	p->gso_type = US_GSO_UDP_L4;
	assert_int_equal(dev_pkt_to_vnet(p, h), 0);
	assert_memory_equal(h, ((const uint8_t[]){ 0x01, 0x05, 0x2a, 0x00, 0xe8, 0x03, 0x22, 0x00,
						   0x06, 0x00, 0x00, 0x00 }),
			    VNET_HDR_LEN);

	/* Inconsistent metadata is refused. */
	p->gso_type = 9;
	assert_int_equal(dev_pkt_to_vnet(p, h), -EINVAL);
	p->gso_type = US_GSO_UDP_L4;
	p->csum = US_CSUM_NONE;
	assert_int_equal(dev_pkt_to_vnet(p, h), -EINVAL); /* GSO needs a partial checksum */
	p->gso_size = 0;
	p->csum = US_CSUM_PARTIAL;
	p->csum_start = 2; /* before the frame */
	assert_int_equal(dev_pkt_to_vnet(p, h), -EINVAL);
	p->csum_start = (uint16_t)(us_pkt_headroom(p) + 40); /* field past the end */
	assert_int_equal(dev_pkt_to_vnet(p, h), -EINVAL);
	us_pkt_free(p);
	assert_int_equal(pool.in_use, 0);
	us_pkt_pool_fini(&pool);
}

static void vnet_tx_tso_hdr_len(void **state)
{
	/* Ethernet + IPv4 (20) + TCP with data offset 8 (32 bytes): hdr_len 66. */
	uint8_t f[66 + 100];
	struct us_pkt_pool pool;
	struct us_pkt *p;
	uint8_t h[VNET_HDR_LEN];

	(void)state;
	memset(f, 0, sizeof(f));
	f[12] = 0x08;
	f[14] = 0x45;
	f[34 + 12] = 0x80;
	us_pkt_pool_init(&pool, 4, 1);
	p = frame_pkt(&pool, f, sizeof(f));
	p->csum = US_CSUM_PARTIAL;
	p->csum_start = (uint16_t)(us_pkt_headroom(p) + 34);
	p->csum_offset = 16;
	p->gso_size = 1448;
	p->gso_type = US_GSO_TCPV4;
	assert_int_equal(dev_pkt_to_vnet(p, h), 0);
	assert_memory_equal(h, ((const uint8_t[]){ 0x01, 0x01, 0x42, 0x00, 0xa8, 0x05, 0x22, 0x00,
						   0x10, 0x00, 0x00, 0x00 }),
			    VNET_HDR_LEN);
	us_pkt_free(p);
	us_pkt_pool_fini(&pool);
}

static void open_rejects_bad_arguments(void **state)
{
	struct us_stack_opts o = { .virtual_clock = true, .no_loopback = true, .seed = 1 };
	struct us_stack *st = us_stack_new(&o);

	(void)state;
	assert_non_null(st);
	assert_int_equal(us_dev_tap_open(st, "", NULL), -EINVAL);
	assert_int_equal(us_dev_tap_open(st, "much-too-long-name", NULL), -EINVAL);
	assert_int_equal(us_dev_tap_open(st, "a/b", NULL), -EINVAL);
	assert_int_equal(us_dev_tap_open(st, "ut0", &(struct us_tap_opts){ .mtu = 20 }), -EINVAL);
	us_stack_free(st);
}

/* ---- a real TAP in a private namespace (root only) ---- */

#define CHILD_CHECK(cond, code)                                                       \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "tap child: %s failed (%s)\n", #cond,         \
				strerror(errno));                                     \
			return (code);                                                \
		}                                                                     \
	} while (0)

static int ifreq_ioctl(int s, unsigned long req, struct ifreq *ifr, const char *name)
{
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
	return ioctl(s, req, ifr);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs in a child inside a fresh network namespace. Returns an exit code. */
static int tap_child(void)
{
	static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t kernel_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct us_stack_opts o = { .no_loopback = true, .seed = 7 };
	struct us_tap_opts to = { .vnet_hdr = true, .mtu = 1400, .mac = our_mac };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct us_stack *st;
	struct us_netdev *dev;
	struct us_pkt *got = NULL;
	struct ifreq ifr;
	struct arpreq ar;
	uint8_t f[FRAME_LEN];
	char buf[64], big[1000];
	static char jumbo[8000];
	int idx, s, u;
	uint64_t deadline;

	CHILD_CHECK(unshare(CLONE_NEWNET) == 0, 10);
	st = us_stack_new(&o);
	CHILD_CHECK(st != NULL, 11);
	idx = us_dev_tap_open(st, "ut0", &to);
	if (idx < 0)
		errno = -idx;
	CHILD_CHECK(idx > 0, 12);
	dev = us_netdev_by_index(st, idx);
	CHILD_CHECK(dev->mtu == 1400 && dev->fd >= 0, 13);
	/* Checksum offload both ways, TSO towards the kernel, its super-frames towards us. */
	CHILD_CHECK(dev->caps == (US_DEV_CAP_RX_CSUM | US_DEV_CAP_TX_CSUM | US_DEV_CAP_TSO |
				  US_DEV_CAP_GRO),
		    14);
	CHILD_CHECK(!memcmp(dev->hwaddr, our_mac, 6), 15);

	/* Kernel side: up (done by the open), MTU 1400, MAC, 198.18.0.1/24, and a
	 * static neighbour entry for the stack at 198.18.0.2. */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHILD_CHECK(s >= 0, 20);
	memset(&ifr, 0, sizeof(ifr));
	CHILD_CHECK(ifreq_ioctl(s, SIOCGIFFLAGS, &ifr, "ut0") == 0 && (ifr.ifr_flags & IFF_UP), 21);
	CHILD_CHECK(ifreq_ioctl(s, SIOCGIFMTU, &ifr, "ut0") == 0 && ifr.ifr_mtu == 1400, 22);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, kernel_mac, 6);
	CHILD_CHECK(ifreq_ioctl(s, SIOCSIFHWADDR, &ifr, "ut0") == 0, 23);
	memset(&ifr, 0, sizeof(ifr));
	sin.sin_addr.s_addr = htonl(0xc6120001);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	CHILD_CHECK(ifreq_ioctl(s, SIOCSIFADDR, &ifr, "ut0") == 0, 24);
	sin.sin_addr.s_addr = htonl(0xffffff00);
	memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
	CHILD_CHECK(ifreq_ioctl(s, SIOCSIFNETMASK, &ifr, "ut0") == 0, 25);
	memset(&ar, 0, sizeof(ar));
	sin.sin_addr.s_addr = htonl(0xc6120002);
	memcpy(&ar.arp_pa, &sin, sizeof(sin));
	ar.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(ar.arp_ha.sa_data, our_mac, 6);
	ar.arp_flags = ATF_COM | ATF_PERM;
	snprintf(ar.arp_dev, sizeof(ar.arp_dev), "ut0");
	CHILD_CHECK(ioctl(s, SIOCSARP, &ar) == 0, 26);
	close(s);

	/* Kernel -> stack: a UDP datagram from a kernel socket. */
	u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHILD_CHECK(u >= 0, 30);
	sin.sin_addr.s_addr = htonl(0xc6120001);
	sin.sin_port = htons(40000);
	CHILD_CHECK(bind(u, (struct sockaddr *)&sin, sizeof(sin)) == 0, 31);
	sin.sin_addr.s_addr = htonl(0xc6120002);
	sin.sin_port = htons(9999);
	CHILD_CHECK(sendto(u, "ping", 4, 0, (struct sockaddr *)&sin, sizeof(sin)) == 4, 32);
	deadline = mono_ms() + 3000;
	while (!got && mono_ms() < deadline) {
		struct us_pkt *b[8];
		struct pollfd pfd = { .fd = dev->fd, .events = POLLIN };
		int n;

		poll(&pfd, 1, 100);
		n = dev->ops->rx_batch(dev, b, 8);
		for (int i = 0; i < n; i++) {
			const uint8_t *d = b[i]->data;

			/* Skip anything else the kernel says on a new link (IPv6 ND...). */
			if (!got && us_pkt_len(b[i]) == FRAME_LEN && d[12] == 0x08 && d[13] == 0 &&
			    d[23] == 17) {
				got = b[i];
				continue;
			}
			us_pkt_free(b[i]);
		}
	}
	CHILD_CHECK(got != NULL, 33);
	/* Everything but the IP id and header checksum is the fixture's frame. */
	memcpy(f, KERNEL_UDP_VNET + VNET_HDR_LEN, FRAME_LEN);
	memcpy(f + 18, got->data + 18, 2);
	memcpy(f + 24, got->data + 24, 2);
	CHILD_CHECK(!memcmp(got->data, f, FRAME_LEN), 34);
	CHILD_CHECK(got->csum == US_CSUM_PARTIAL, 35);
	CHILD_CHECK(got->csum_start == us_pkt_headroom(got) + 34 && got->csum_offset == 6, 36);
	us_pkt_free(got);

	/* Stack -> kernel: the datagram turned around, with only the pseudo-header
	 * sum in the UDP checksum field. The kernel completes it (NEEDS_CSUM);
	 * otherwise its UDP layer would drop the datagram for a bad checksum. */
	reversed_frame(f);
	got = us_pkt_alloc(&st->pool, FRAME_LEN);
	CHILD_CHECK(got != NULL, 40);
	memcpy(us_pkt_put(got, FRAME_LEN), f, FRAME_LEN);
	got->csum = US_CSUM_PARTIAL;
	got->csum_start = (uint16_t)(us_pkt_headroom(got) + 34);
	got->csum_offset = 6;
	us_dev_queue_xmit(dev, got);
	CHILD_CHECK(us_netdev_flush(dev) == 1, 41);
	CHILD_CHECK(dev->stats.tx_packets == 1 && dev->stats.tx_errors == 0, 42);
	{
		struct pollfd pfd = { .fd = u, .events = POLLIN };
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r;

		CHILD_CHECK(poll(&pfd, 1, 3000) == 1, 43);
		r = recvfrom(u, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		CHILD_CHECK(r == 4 && !memcmp(buf, "ping", 4), 44);
		CHILD_CHECK(from.sin_addr.s_addr == htonl(0xc6120002) && from.sin_port == htons(9999),
			    45);
	}

	/* A frame longer than our MTU allows (the kernel side's MTU is larger than
	 * ours) is seen as truncated: dropped and counted, not delivered. */
	dev->mtu = 576;
	sin.sin_addr.s_addr = htonl(0xc6120002);
	sin.sin_port = htons(9999);
	memset(big, 'x', sizeof(big));
	CHILD_CHECK(sendto(u, big, sizeof(big), 0, (struct sockaddr *)&sin, sizeof(sin)) ==
			    (ssize_t)sizeof(big),
		    46);
	deadline = mono_ms() + 3000;
	while (!dev->stats.rx_errors && mono_ms() < deadline) {
		struct us_pkt *b[8];
		struct pollfd pfd = { .fd = dev->fd, .events = POLLIN };
		int n;

		poll(&pfd, 1, 100);
		n = dev->ops->rx_batch(dev, b, 8);
		for (int i = 0; i < n; i++) {
			CHILD_CHECK(us_pkt_len(b[i]) <= 576 + 18, 47);
			us_pkt_free(b[i]);
		}
	}
	CHILD_CHECK(dev->stats.rx_errors == 1, 48);
	CHILD_CHECK(st->counters.drop[US_DROP_DEV_RX_ERROR] == 1, 49);
	dev->mtu = 1400;
	close(u);

	/* MTU changes reach the kernel side. */
	CHILD_CHECK(us_dev_set_mtu(st, idx, 1280) == 0 && dev->mtu == 1280, 50);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	CHILD_CHECK(ifreq_ioctl(s, SIOCGIFMTU, &ifr, "ut0") == 0 && ifr.ifr_mtu == 1280, 51);
	close(s);

	/* Jumbo frames (MTU 9000, more than a pool buffer holds): a small frame still
	 * lands in a pool buffer, only a big one takes a large buffer, whole. */
	CHILD_CHECK(us_dev_set_mtu(st, idx, 9000) == 0, 52);
	u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHILD_CHECK(u >= 0, 53);
	sin.sin_addr.s_addr = htonl(0xc6120002);
	sin.sin_port = htons(9999);
	memset(jumbo, 'j', sizeof(jumbo));
	CHILD_CHECK(sendto(u, "ping", 4, 0, (struct sockaddr *)&sin, sizeof(sin)) == 4, 54);
	CHILD_CHECK(sendto(u, jumbo, sizeof(jumbo), 0, (struct sockaddr *)&sin, sizeof(sin)) ==
			    (ssize_t)sizeof(jumbo),
		    55);
	{
		bool small_ok = false, big_ok = false;

		deadline = mono_ms() + 3000;
		while (!(small_ok && big_ok) && mono_ms() < deadline) {
			struct us_pkt *b[8];
			struct pollfd pfd = { .fd = dev->fd, .events = POLLIN };
			int n;

			poll(&pfd, 1, 100);
			n = dev->ops->rx_batch(dev, b, 8);
			for (int i = 0; i < n; i++) {
				const uint8_t *d = b[i]->data;
				size_t len = us_pkt_len(b[i]);

				if (len >= 42 && d[12] == 0x08 && d[13] == 0 && d[23] == 17) {
					if (len == 42 + 4 && !memcmp(d + 42, "ping", 4))
						small_ok = !b[i]->large;
					if (len == 42 + sizeof(jumbo) &&
					    !memcmp(d + 42, jumbo, sizeof(jumbo)))
						big_ok = b[i]->large;
				}
				us_pkt_free(b[i]);
			}
		}
		CHILD_CHECK(small_ok, 56);
		CHILD_CHECK(big_ok, 57);
	}
	close(u);

	CHILD_CHECK(st->pool.in_use == 0 && st->pool.large_in_use == 0, 60);
	us_stack_free(st);
	return 0;
}

static void tap_in_namespace(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		print_message("not root or no /dev/net/tun: skipped\n");
		skip();
	}
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(tap_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vnet_rx_needs_csum),
		cmocka_unit_test(vnet_rx_flags_and_gso),
		cmocka_unit_test(vnet_rx_bad_headers),
		cmocka_unit_test(vnet_tx),
		cmocka_unit_test(vnet_tx_tso_hdr_len),
		cmocka_unit_test(open_rejects_bad_arguments),
		cmocka_unit_test(tap_in_namespace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
