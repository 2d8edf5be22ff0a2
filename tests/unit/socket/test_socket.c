/*
 * test_socket.c - the native socket API (include/ustack/socket.h, src/socket/):
 * the errno of every call in every case Linux distinguishes, descriptor reuse,
 * options, readiness, and that closing and stack teardown free every queued
 * packet. Runs on a seeded stack on the virtual clock (testnet.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "testnet.h"
#include "base/bytes.h"
#include "socket/sock.h"
#include "ustack/socket.h"
#include "ustack/ustack.h"

static uint8_t out[70000];

static struct sockaddr_in sin_of(uint32_t addr, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_addr.s_addr = htonl(addr);
	a.sin_port = htons(port);
	return a;
}

#define SA(a) ((struct sockaddr *)&(a))

static int udp(struct us_stack *st)
{
	int sd = us_socket(st, AF_INET, SOCK_DGRAM, 0);

	assert_true(sd >= 0);
	return sd;
}

static void name_of(struct us_stack *st, int sd, uint32_t *addr, uint16_t *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	assert_int_equal(us_getsockname(st, sd, SA(a), &len), 0);
	assert_int_equal(len, sizeof(a));
	assert_int_equal(a.sin_family, AF_INET);
	*addr = ntohl(a.sin_addr.s_addr);
	*port = ntohs(a.sin_port);
}

static void test_socket_create(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);

	(void)state;
	assert_int_equal(us_socket(st, AF_INET6, SOCK_DGRAM, 0), -EAFNOSUPPORT);
	assert_int_equal(us_socket(st, AF_UNIX, SOCK_DGRAM, 0), -EAFNOSUPPORT);
	assert_int_equal(us_socket(st, AF_INET, SOCK_STREAM, IPPROTO_UDP), -EPROTONOSUPPORT);
	assert_int_equal(us_socket(st, AF_INET, SOCK_RAW, IPPROTO_ICMP), -ESOCKTNOSUPPORT);
	assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_TCP), -EPROTONOSUPPORT);
	assert_int_equal(us_socket(st, AF_INET, 99, 0), -EINVAL);
	assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM | 0x100000, 0), -EINVAL);
	assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM, -1), -EINVAL);
	assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM, 256), -EINVAL);

	/* Descriptors are the lowest free ones. */
	assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM, 0), 0);
	assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				   IPPROTO_UDP), 1);
	assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_ICMP), 2);
	assert_int_equal(us_close(st, 1), 0);
	assert_int_equal(us_close(st, 1), -EBADF);
	assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM, 0), 1);
	assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM, 0), 3);
	assert_int_equal(us_close(st, 0), 0);
	assert_int_equal(us_close(st, 2), 0);
	assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM, 0), 0);
	assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM, 0), 2);
	assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM, 0), 4);
	assert_int_equal(us_close(st, -1), -EBADF);
	assert_int_equal(us_close(st, 1000000), -EBADF);
	{
		int type = 0, proto = 0;
		socklen_t len = sizeof(type);
		assert_int_equal(us_getsockopt(st, 2, SOL_SOCKET, SO_TYPE, &type, &len), 0);
		assert_int_equal(type, SOCK_DGRAM);
		assert_int_equal(us_getsockopt(st, 2, SOL_SOCKET, SO_PROTOCOL, &proto, &len), 0);
		assert_int_equal(proto, IPPROTO_UDP);
	}
	tn_stack_free(st);
}

static void test_socket_table_bound(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);

	(void)state;
	for (int i = 0; i < US_SOCK_MAX; i++)
		assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM, 0), i);
	assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM, 0), -EMFILE);
	assert_int_equal(us_close(st, 40000), 0);
	assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM, 0), 40000);
	assert_int_equal(us_socket(st, AF_INET, SOCK_DGRAM, 0), -EMFILE);
	tn_stack_free(st);
}

static void test_bind(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	struct sockaddr_in a = sin_of(TN_US, 7000);
	int s1 = udp(st), s2 = udp(st), s3 = udp(st), one = 1;
	uint32_t addr;
	uint16_t port;

	(void)state;
	assert_int_equal(us_bind(st, 99, SA(a), sizeof(a)), -EBADF);
	assert_int_equal(us_bind(st, s1, SA(a), sizeof(a) - 1), -EINVAL);
	assert_int_equal(us_bind(st, s1, NULL, sizeof(a)), -EFAULT);
	a.sin_family = AF_INET6;
	assert_int_equal(us_bind(st, s1, SA(a), sizeof(a)), -EAFNOSUPPORT);
	a.sin_family = AF_UNSPEC; /* only with INADDR_ANY */
	assert_int_equal(us_bind(st, s1, SA(a), sizeof(a)), -EAFNOSUPPORT);
	a = sin_of(TN_ADDR(198, 18, 0, 77), 7000);
	assert_int_equal(us_bind(st, s1, SA(a), sizeof(a)), -EADDRNOTAVAIL);

	a = sin_of(TN_US, 7000);
	assert_int_equal(us_bind(st, s1, SA(a), sizeof(a)), 0);
	name_of(st, s1, &addr, &port);
	assert_int_equal(addr, TN_US);
	assert_int_equal(port, 7000);
	/* Bound once only. */
	a = sin_of(TN_US, 7001);
	assert_int_equal(us_bind(st, s1, SA(a), sizeof(a)), -EINVAL);
	/* Same port: taken on the same address and on the wildcard. */
	a = sin_of(TN_US, 7000);
	assert_int_equal(us_bind(st, s2, SA(a), sizeof(a)), -EADDRINUSE);
	a = sin_of(INADDR_ANY, 7000);
	assert_int_equal(us_bind(st, s2, SA(a), sizeof(a)), -EADDRINUSE);
	/* ... but free on another address of ours. */
	a = sin_of(TN_ADDR(127, 0, 0, 1), 7000);
	assert_int_equal(us_bind(st, s2, SA(a), sizeof(a)), 0);
	/* SO_REUSEADDR on one side is not enough; on both it is. */
	assert_int_equal(us_setsockopt(st, s3, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	a = sin_of(TN_US, 7000);
	assert_int_equal(us_bind(st, s3, SA(a), sizeof(a)), -EADDRINUSE);
	assert_int_equal(us_setsockopt(st, s1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(us_bind(st, s3, SA(a), sizeof(a)), 0);
	/* A closed socket's port is free again. */
	assert_int_equal(us_close(st, s2), 0);
	s2 = udp(st);
	a = sin_of(TN_ADDR(127, 0, 0, 1), 7000);
	assert_int_equal(us_bind(st, s2, SA(a), sizeof(a)), 0);
	/* AF_UNSPEC with INADDR_ANY is taken as AF_INET (Linux compatibility). */
	{
		int s4 = udp(st);
		a = sin_of(INADDR_ANY, 7100);
		a.sin_family = AF_UNSPEC;
		assert_int_equal(us_bind(st, s4, SA(a), sizeof(a)), 0);
	}
	/* Broadcast and multicast addresses may be bound by UDP sockets. */
	{
		int s5 = udp(st), s6 = udp(st);
		a = sin_of(TN_BCAST, 7200);
		assert_int_equal(us_bind(st, s5, SA(a), sizeof(a)), 0);
		a = sin_of(TN_ADDR(224, 0, 0, 1), 7200);
		assert_int_equal(us_bind(st, s6, SA(a), sizeof(a)), 0);
	}
	tn_stack_free(st);
}

static void test_bind_ephemeral(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	struct sockaddr_in a = sin_of(INADDR_ANY, 0);
	int s[8];
	uint32_t addr;
	uint16_t port, seen[8];

	(void)state;
	for (int i = 0; i < 8; i++) {
		s[i] = udp(st);
		assert_int_equal(us_bind(st, s[i], SA(a), sizeof(a)), 0);
		name_of(st, s[i], &addr, &port);
		assert_int_equal(addr, 0);
		assert_true(port >= 32768 && port <= 60999);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(port, seen[j]);
		seen[i] = port;
	}
	/* RFC 6056: random, not sequential. */
	assert_false(seen[1] == seen[0] + 1 && seen[2] == seen[1] + 1);

	/* A range of two ports: the third socket finds none, with collisions checked. */
	assert_int_equal(us_stack_set(st, "net.ipv4.ip_local_port_range.min", "40000"), 0);
	assert_int_equal(us_stack_set(st, "net.ipv4.ip_local_port_range.max", "40001"), 0);
	{
		int x = udp(st), y = udp(st), z = udp(st);
		uint16_t px, py;

		assert_int_equal(us_bind(st, x, SA(a), sizeof(a)), 0);
		assert_int_equal(us_bind(st, y, SA(a), sizeof(a)), 0);
		name_of(st, x, &addr, &px);
		name_of(st, y, &addr, &py);
		assert_true(px >= 40000 && px <= 40001);
		assert_true(py >= 40000 && py <= 40001);
		assert_int_not_equal(px, py);
		assert_int_equal(us_bind(st, z, SA(a), sizeof(a)), -EADDRINUSE);
		/* Autobind fails the same way: connect and send say EAGAIN, as Linux. */
		{
			struct sockaddr_in p = sin_of(TN_PEER, 9);
			assert_int_equal(us_connect(st, z, SA(p), sizeof(p)), -EAGAIN);
			assert_int_equal(us_sendto(st, z, "x", 1, 0, SA(p), sizeof(p)), -EAGAIN);
		}
		assert_int_equal(us_close(st, x), 0);
		assert_int_equal(us_bind(st, z, SA(a), sizeof(a)), 0);
		name_of(st, z, &addr, &port);
		assert_int_equal(port, px);
	}
	tn_stack_free(st);
}

static void test_connect(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	struct sockaddr_in a = sin_of(TN_PEER, 5000), peer;
	socklen_t len = sizeof(peer);
	int sd = udp(st), one = 1;
	uint32_t addr;
	uint16_t port;

	(void)state;
	assert_int_equal(us_connect(st, 99, SA(a), sizeof(a)), -EBADF);
	assert_int_equal(us_getpeername(st, sd, SA(peer), &len), -ENOTCONN);
	assert_int_equal(us_connect(st, sd, SA(a), 1), -EINVAL);
	assert_int_equal(us_connect(st, sd, SA(a), sizeof(a) - 1), -EINVAL);
	a.sin_family = AF_INET6;
	assert_int_equal(us_connect(st, sd, SA(a), sizeof(a)), -EAFNOSUPPORT);
	/* No route: there is no default route in this stack. */
	a = sin_of(TN_ADDR(203, 0, 113, 1), 5000);
	assert_int_equal(us_connect(st, sd, SA(a), sizeof(a)), -ENETUNREACH);
	/* Route types that refuse (Linux's fib_props errors). */
	assert_int_equal(us_route_add(st, TN_ADDR(198, 19, 1, 0), 24, 0, 0, "unreachable", 0), 0);
	assert_int_equal(us_route_add(st, TN_ADDR(198, 19, 2, 0), 24, 0, 0, "prohibit", 0), 0);
	assert_int_equal(us_route_add(st, TN_ADDR(198, 19, 3, 0), 24, 0, 0, "blackhole", 0), 0);
	a = sin_of(TN_ADDR(198, 19, 1, 1), 5000);
	assert_int_equal(us_connect(st, sd, SA(a), sizeof(a)), -EHOSTUNREACH);
	a = sin_of(TN_ADDR(198, 19, 2, 1), 5000);
	assert_int_equal(us_connect(st, sd, SA(a), sizeof(a)), -EACCES);
	a = sin_of(TN_ADDR(198, 19, 3, 1), 5000);
	assert_int_equal(us_connect(st, sd, SA(a), sizeof(a)), -EINVAL);
	/* A broadcast peer needs SO_BROADCAST. */
	a = sin_of(TN_BCAST, 5000);
	assert_int_equal(us_connect(st, sd, SA(a), sizeof(a)), -EACCES);
	assert_int_equal(us_setsockopt(st, sd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)), 0);
	assert_int_equal(us_connect(st, sd, SA(a), sizeof(a)), 0);

	/* connect binds the socket: an ephemeral port and the route's source address. */
	a = sin_of(TN_PEER, 5000);
	assert_int_equal(us_connect(st, sd, SA(a), sizeof(a)), 0);
	name_of(st, sd, &addr, &port);
	assert_int_equal(addr, TN_US);
	assert_true(port >= 32768 && port <= 60999);
	len = sizeof(peer);
	assert_int_equal(us_getpeername(st, sd, SA(peer), &len), 0);
	assert_int_equal(ntohl(peer.sin_addr.s_addr), TN_PEER);
	assert_int_equal(ntohs(peer.sin_port), 5000);
	/* It sends to the peer by default. */
	assert_int_equal(us_send(st, sd, "abc", 3, 0), 3);
	us_stack_poll(st);
	assert_int_equal(tn_tx_pop(d, out, sizeof(out)), 31);
	assert_int_equal(rd32(out + 16), TN_PEER);
	assert_int_equal(rd16(out + 20), port);
	assert_int_equal(rd16(out + 22), 5000);

	/* AF_UNSPEC disconnects, and gives back what connect chose. */
	a.sin_family = AF_UNSPEC;
	assert_int_equal(us_connect(st, sd, SA(a), sizeof(sa_family_t)), 0);
	len = sizeof(peer);
	assert_int_equal(us_getpeername(st, sd, SA(peer), &len), -ENOTCONN);
	name_of(st, sd, &addr, &port);
	assert_int_equal(addr, 0);
	assert_int_equal(port, 0);
	assert_int_equal(us_send(st, sd, "abc", 3, 0), -EDESTADDRREQ);

	/* A port from bind() stays across a disconnect. */
	{
		struct sockaddr_in b = sin_of(INADDR_ANY, 7300);
		int s2 = udp(st);

		assert_int_equal(us_bind(st, s2, SA(b), sizeof(b)), 0);
		a = sin_of(TN_PEER, 5000);
		assert_int_equal(us_connect(st, s2, SA(a), sizeof(a)), 0);
		name_of(st, s2, &addr, &port);
		assert_int_equal(addr, TN_US);
		assert_int_equal(port, 7300);
		a.sin_family = AF_UNSPEC;
		assert_int_equal(us_connect(st, s2, SA(a), sizeof(a)), 0);
		name_of(st, s2, &addr, &port);
		assert_int_equal(addr, 0);
		assert_int_equal(port, 7300);
	}
	tn_stack_free(st);
}

static void test_sendto(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	struct sockaddr_in a = sin_of(TN_PEER, 5000);
	static char big[65508];
	int sd = udp(st), one = 1, ttl = 5, tos = 0x28;
	size_t n, frames = 0, bytes = 0;

	(void)state;
	assert_int_equal(us_sendto(st, 99, "x", 1, 0, SA(a), sizeof(a)), -EBADF);
	assert_int_equal(us_send(st, sd, "x", 1, 0), -EDESTADDRREQ);
	assert_int_equal(us_sendto(st, sd, "x", 1, 0, SA(a), sizeof(a) - 1), -EINVAL);
	assert_int_equal(us_sendto(st, sd, "x", 1, MSG_OOB, SA(a), sizeof(a)), -EOPNOTSUPP);
	assert_int_equal(us_sendto(st, sd, NULL, 1, 0, SA(a), sizeof(a)), -EFAULT);
	a.sin_family = AF_INET6;
	assert_int_equal(us_sendto(st, sd, "x", 1, 0, SA(a), sizeof(a)), -EAFNOSUPPORT);
	a = sin_of(TN_PEER, 0);
	assert_int_equal(us_sendto(st, sd, "x", 1, 0, SA(a), sizeof(a)), -EINVAL);
	a = sin_of(TN_PEER, 5000);
	assert_int_equal(us_sendto(st, sd, big, sizeof(big), 0, SA(a), sizeof(a)), -EMSGSIZE);
	a = sin_of(TN_ADDR(203, 0, 113, 1), 5000);
	assert_int_equal(us_sendto(st, sd, "x", 1, 0, SA(a), sizeof(a)), -ENETUNREACH);
	a = sin_of(TN_BCAST, 5000);
	assert_int_equal(us_sendto(st, sd, "x", 1, 0, SA(a), sizeof(a)), -EACCES);
	assert_int_equal(tn_tx_count(d), 0);
	assert_int_equal(us_setsockopt(st, sd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)), 0);
	assert_int_equal(us_sendto(st, sd, "x", 1, 0, SA(a), sizeof(a)), 1);
	us_stack_poll(st);
	assert_int_equal(tn_tx_pop(d, out, sizeof(out)), 29);
	assert_int_equal(rd32(out + 12), TN_US);
	assert_int_equal(rd32(out + 16), TN_BCAST);

	/* IP_TTL and IP_TOS go into the header. */
	assert_int_equal(us_setsockopt(st, sd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
	assert_int_equal(us_setsockopt(st, sd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)), 0);
	a = sin_of(TN_PEER, 5000);
	assert_int_equal(us_sendto(st, sd, "x", 1, 0, SA(a), sizeof(a)), 1);
	us_stack_poll(st);
	assert_int_equal(tn_tx_pop(d, out, sizeof(out)), 29);
	assert_int_equal(out[8], 5);
	assert_int_equal(out[1], 0x28);

	/* The largest datagram, 65507 bytes, leaves in fragments. */
	memset(big, 'z', sizeof(big));
	assert_int_equal(us_sendto(st, sd, big, 65507, 0, SA(a), sizeof(a)), 65507);
	us_stack_poll(st);
	while ((n = tn_tx_pop(d, out, sizeof(out))) > 0) {
		assert_true(n <= 1500);
		bytes += n - 20;
		frames++;
	}
	assert_int_equal(bytes, 65515);
	assert_int_equal(frames, 45);
	assert_int_equal(tn_stat(st, US_STAT_UdpOutDatagrams), 3);
	tn_stack_free(st);
}

static void test_recvfrom(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	struct sockaddr_in a = sin_of(INADDR_ANY, 7000), from;
	socklen_t flen;
	uint8_t b[128];
	char buf[64];
	int sd = udp(st);
	size_t n;

	(void)state;
	assert_int_equal(us_bind(st, sd, SA(a), sizeof(a)), 0);
	assert_int_equal(us_recv(st, 99, buf, sizeof(buf), 0), -EBADF);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);
	n = tn_udp_dgram(b, TN_PEER, 5555, TN_US, 7000, "0123456789", 10);
	tn_rx(st, d, b, n);
	n = tn_udp_dgram(b, TN_PEER, 5556, TN_US, 7000, "second", 6);
	tn_rx(st, d, b, n);

	/* MSG_PEEK leaves the datagram queued. */
	assert_int_equal(us_recv(st, sd, buf, 4, MSG_PEEK), 4);
	assert_memory_equal(buf, "0123", 4);
	/* MSG_TRUNC | MSG_PEEK: the full length, still queued. */
	assert_int_equal(us_recv(st, sd, buf, 4, MSG_PEEK | MSG_TRUNC), 10);
	/* A short buffer truncates, and the rest of the datagram is gone. */
	flen = sizeof(from);
	assert_int_equal(us_recvfrom(st, sd, buf, 4, 0, SA(from), &flen), 4);
	assert_memory_equal(buf, "0123", 4);
	assert_int_equal(ntohs(from.sin_port), 5555);
	/* A short address buffer gets what fits and the real length. */
	flen = 4;
	memset(&from, 0xee, sizeof(from));
	assert_int_equal(us_recvfrom(st, sd, buf, sizeof(buf), MSG_TRUNC, SA(from), &flen), 6);
	assert_int_equal(flen, sizeof(from));
	assert_int_equal(from.sin_family, AF_INET);
	assert_int_equal(ntohs(from.sin_port), 5556);
	assert_int_equal(from.sin_addr.s_addr, 0xeeeeeeee); /* not written */
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), MSG_ERRQUEUE), -EAGAIN);

	/* A pending error comes before queued data, once (Linux's __skb_recv_udp). */
	tn_rx(st, d, b, n);
	st->socks->slots[sd]->err = ECONNREFUSED;
	assert_int_equal(us_socket_events(st, sd), POLLIN | POLLOUT | POLLERR);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), -ECONNREFUSED);
	assert_int_equal(us_socket_events(st, sd), POLLIN | POLLOUT);
	assert_int_equal(us_recv(st, sd, buf, sizeof(buf), 0), 6);
	assert_int_equal(us_socket_events(st, sd), POLLOUT);
	assert_int_equal(us_socket_events(st, 99), -EBADF);
	tn_stack_free(st);
}

static void test_names(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int sd = udp(st);
	uint32_t addr;
	uint16_t port;

	(void)state;
	/* Unbound: 0.0.0.0:0. */
	name_of(st, sd, &addr, &port);
	assert_int_equal(addr, 0);
	assert_int_equal(port, 0);
	assert_int_equal(us_getsockname(st, 99, SA(a), &len), -EBADF);
	assert_int_equal(us_getsockname(st, sd, NULL, &len), -EFAULT);
	assert_int_equal(us_getpeername(st, sd, SA(a), &len), -ENOTCONN);
	assert_int_equal(us_getpeername(st, 99, SA(a), &len), -EBADF);
	/* sendto binds the port (autobind) but not the address. */
	a = sin_of(TN_PEER, 9);
	assert_int_equal(us_sendto(st, sd, "x", 1, 0, SA(a), sizeof(a)), 1);
	name_of(st, sd, &addr, &port);
	assert_int_equal(addr, 0);
	assert_true(port >= 32768);
	tn_tx_clear(d);
	tn_stack_free(st);
}

static void test_options(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	int sd = udp(st), v;
	socklen_t len;
	uint8_t c;

	(void)state;
#define SET(level, name, val)                                                            \
	(v = (val), us_setsockopt(st, sd, level, name, &v, sizeof(v)))
#define GET(level, name) (len = sizeof(v), v = -12345, us_getsockopt(st, sd, level, name, &v, &len))
	/* Buffer sizes are doubled, capped by net.core.[rw]mem_max, floored. */
	assert_int_equal(SET(SOL_SOCKET, SO_RCVBUF, 100000), 0);
	assert_int_equal(GET(SOL_SOCKET, SO_RCVBUF), 0);
	assert_int_equal(v, 200000);
	assert_int_equal(SET(SOL_SOCKET, SO_RCVBUF, 1000), 0);
	assert_int_equal(GET(SOL_SOCKET, SO_RCVBUF), 0);
	assert_int_equal(v, US_SOCK_MIN_RCVBUF);
	assert_int_equal(SET(SOL_SOCKET, SO_RCVBUF, 1 << 30), 0);
	assert_int_equal(GET(SOL_SOCKET, SO_RCVBUF), 0);
	assert_int_equal(v, 2 * 212992);
	assert_int_equal(SET(SOL_SOCKET, SO_RCVBUF, -1), 0); /* huge as unsigned: capped */
	assert_int_equal(GET(SOL_SOCKET, SO_RCVBUF), 0);
	assert_int_equal(v, 2 * 212992);
	assert_int_equal(GET(SOL_SOCKET, SO_SNDBUF), 0);
	assert_int_equal(v, 212992);
	assert_int_equal(SET(SOL_SOCKET, SO_SNDBUF, 10), 0);
	assert_int_equal(GET(SOL_SOCKET, SO_SNDBUF), 0);
	assert_int_equal(v, US_SOCK_MIN_SNDBUF);
	assert_int_equal(SET(SOL_SOCKET, SO_SNDBUF, 50000), 0);
	assert_int_equal(GET(SOL_SOCKET, SO_SNDBUF), 0);
	assert_int_equal(v, 100000);
	/* Booleans. */
	assert_int_equal(GET(SOL_SOCKET, SO_BROADCAST), 0);
	assert_int_equal(v, 0);
	assert_int_equal(SET(SOL_SOCKET, SO_BROADCAST, 7), 0);
	assert_int_equal(GET(SOL_SOCKET, SO_BROADCAST), 0);
	assert_int_equal(v, 1);
	assert_int_equal(SET(SOL_SOCKET, SO_REUSEADDR, 1), 0);
	assert_int_equal(GET(SOL_SOCKET, SO_REUSEADDR), 0);
	assert_int_equal(v, 1);
	/* Read-only and unknown options. */
	assert_int_equal(GET(SOL_SOCKET, SO_TYPE), 0);
	assert_int_equal(v, SOCK_DGRAM);
	assert_int_equal(GET(SOL_SOCKET, SO_DOMAIN), 0);
	assert_int_equal(v, AF_INET);
	assert_int_equal(SET(SOL_SOCKET, SO_TYPE, 1), -ENOPROTOOPT);
	assert_int_equal(SET(SOL_SOCKET, SO_ERROR, 1), -ENOPROTOOPT);
	assert_int_equal(SET(SOL_SOCKET, SO_KEEPALIVE, 1), -ENOPROTOOPT);
	assert_int_equal(GET(SOL_SOCKET, SO_KEEPALIVE), -ENOPROTOOPT);
	assert_int_equal(SET(IPPROTO_TCP, 1, 1), -ENOPROTOOPT);
	assert_int_equal(GET(IPPROTO_TCP, 1), -ENOPROTOOPT);
	assert_int_equal(SET(IPPROTO_IP, IP_MULTICAST_TTL, 1), -ENOPROTOOPT);
	/* Short option values. */
	v = 1;
	assert_int_equal(us_setsockopt(st, sd, SOL_SOCKET, SO_BROADCAST, &v, 2), -EINVAL);
	assert_int_equal(us_setsockopt(st, sd, IPPROTO_IP, IP_TTL, &v, 0), -EINVAL);
	assert_int_equal(us_setsockopt(st, sd, SOL_SOCKET, SO_BROADCAST, NULL, 4), -EFAULT);
	assert_int_equal(us_setsockopt(st, 99, SOL_SOCKET, SO_BROADCAST, &v, 4), -EBADF);
	assert_int_equal(us_getsockopt(st, 99, SOL_SOCKET, SO_BROADCAST, &v, &len), -EBADF);
	/* IP_TTL: 1..255, -1 for the default (net.ipv4.ip_default_ttl). */
	assert_int_equal(GET(IPPROTO_IP, IP_TTL), 0);
	assert_int_equal(v, 64);
	assert_int_equal(SET(IPPROTO_IP, IP_TTL, 0), -EINVAL);
	assert_int_equal(SET(IPPROTO_IP, IP_TTL, 256), -EINVAL);
	assert_int_equal(SET(IPPROTO_IP, IP_TTL, 200), 0);
	assert_int_equal(GET(IPPROTO_IP, IP_TTL), 0);
	assert_int_equal(v, 200);
	assert_int_equal(SET(IPPROTO_IP, IP_TTL, -1), 0);
	assert_int_equal(GET(IPPROTO_IP, IP_TTL), 0);
	assert_int_equal(v, 64);
	/* A one-byte value works at the IP level, as in Linux. */
	c = 17;
	assert_int_equal(us_setsockopt(st, sd, IPPROTO_IP, IP_TTL, &c, 1), 0);
	len = 1;
	c = 0;
	assert_int_equal(us_getsockopt(st, sd, IPPROTO_IP, IP_TTL, &c, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(c, 17);
	assert_int_equal(SET(IPPROTO_IP, IP_TOS, 0xb8), 0);
	assert_int_equal(GET(IPPROTO_IP, IP_TOS), 0);
	assert_int_equal(v, 0xb8);
	/* SO_ERROR returns the pending error and clears it. */
	st->socks->slots[sd]->err = EHOSTUNREACH;
	assert_int_equal(GET(SOL_SOCKET, SO_ERROR), 0);
	assert_int_equal(v, EHOSTUNREACH);
	assert_int_equal(GET(SOL_SOCKET, SO_ERROR), 0);
	assert_int_equal(v, 0);
	/* A long buffer gets an int and its length. */
	{
		int big[2] = { -1, -1 };
		len = sizeof(big);
		assert_int_equal(us_getsockopt(st, sd, SOL_SOCKET, SO_TYPE, big, &len), 0);
		assert_int_equal(len, sizeof(int));
		assert_int_equal(big[0], SOCK_DGRAM);
		assert_int_equal(big[1], -1);
	}
#undef SET
#undef GET
	tn_stack_free(st);
}

/* Closing a socket, and freeing the stack, free every queued packet. */
static void test_close_frees_queue(void **state)
{
	struct tn_dev *d;
	struct us_stack *st = tn_stack_new(&d);
	struct sockaddr_in a = sin_of(INADDR_ANY, 7000);
	int s1 = udp(st), s2 = udp(st);
	uint8_t b[64];
	size_t n;

	(void)state;
	assert_int_equal(us_bind(st, s1, SA(a), sizeof(a)), 0);
	a = sin_of(INADDR_ANY, 7001);
	assert_int_equal(us_bind(st, s2, SA(a), sizeof(a)), 0);
	for (int i = 0; i < 5; i++) {
		n = tn_udp_dgram(b, TN_PEER, 1, TN_US, 7000, "q", 1);
		tn_rx(st, d, b, n);
		n = tn_udp_dgram(b, TN_PEER, 1, TN_US, 7001, "q", 1);
		tn_rx(st, d, b, n);
	}
	assert_int_equal(st->pool.in_use, 10);
	assert_int_equal(us_close(st, s1), 0);
	assert_int_equal(st->pool.in_use, 5);
	/* The port is free and nothing is delivered to the closed socket. */
	n = tn_udp_dgram(b, TN_PEER, 1, TN_US, 7000, "q", 1);
	tn_rx(st, d, b, n);
	assert_int_equal(tn_stat(st, US_STAT_UdpNoPorts), 1);
	tn_tx_clear(d);
	/* sock_fini (what us_stack_free runs first) frees the rest. */
	sock_fini(st);
	assert_int_equal(st->pool.in_use, 0);
	us_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socket_create),
		cmocka_unit_test(test_socket_table_bound),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_bind_ephemeral),
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_sendto),
		cmocka_unit_test(test_recvfrom),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_close_frees_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
