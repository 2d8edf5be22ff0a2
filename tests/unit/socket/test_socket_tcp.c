/*
 * test_socket_tcp.c - stream sockets (src/socket/sock_tcp.c) through the public
 * API, with Linux's errno for every call, on two stacks joined by an in-memory
 * pair (pairnet.h: virtual clocks, polled together). The expected
 * errnos were checked against the kernel (python sockets on 127.0.0.1).
 *
 * Every test ends with both stacks freed after checking that no packet buffer
 * leaked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>

#include "pairnet.h"
#include "ustack/socket.h"
#include "ustack/ustack.h"

#define A_ADDR PN_A
#define B_ADDR PN_B
#define ADDR PN_ADDR
/* Linux's SOL_TCP option numbers (the values of <netinet/tcp.h>). */
#define OPT_TCP_NODELAY 1
#define OPT_TCP_INFO 11

#define SA(x) ((struct sockaddr *)&(x))

static struct sockaddr_in sin_of(uint32_t addr, uint16_t port)
{
	struct sockaddr_in s = { .sin_family = AF_INET };

	s.sin_addr.s_addr = htonl(addr);
	s.sin_port = htons(port);
	return s;
}

static int tcp_socket(struct us_stack *st)
{
	int sd = us_socket(st, AF_INET, SOCK_STREAM, 0);

	assert_true(sd >= 0);
	return sd;
}

static int get_int_opt(struct us_stack *st, int sd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	assert_int_equal(us_getsockopt(st, sd, level, name, &v, &len), 0);
	assert_int_equal(len, sizeof(v));
	return v;
}

/* B listens on @port; A connects; both ends established. *@c: A's socket, *@s: B's
 * accepted one, *@l: B's listener. */
static void connected_pair(struct pairnet *n, uint16_t port, int *c, int *s, int *l)
{
	struct sockaddr_in sa = sin_of(INADDR_ANY, port), peer;
	socklen_t plen = sizeof(peer);

	*l = tcp_socket(n->b);
	assert_int_equal(us_bind(n->b, *l, SA(sa), sizeof(sa)), 0);
	assert_int_equal(us_listen(n->b, *l, 16), 0);
	*c = tcp_socket(n->a);
	sa = sin_of(B_ADDR, port);
	assert_int_equal(us_connect(n->a, *c, SA(sa), sizeof(sa)), -EINPROGRESS);
	assert_true(pn_wait(n, n->a, *c, POLLOUT, 1000) & POLLOUT);
	assert_int_equal(us_connect(n->a, *c, SA(sa), sizeof(sa)), 0);
	assert_true(pn_wait(n, n->b, *l, POLLIN, 1000) & POLLIN);
	*s = us_accept(n->b, *l, SA(peer), &plen);
	assert_true(*s >= 0);
	assert_int_equal(plen, sizeof(peer));
	assert_int_equal(ntohl(peer.sin_addr.s_addr), A_ADDR);
}

static void test_stream_create(void **state)
{
	struct pairnet n;
	int one = 1;
	int sd, u;

	(void)state;
	pn_new(&n);
	assert_int_equal(us_socket(n.a, AF_INET, SOCK_STREAM, IPPROTO_UDP), -EPROTONOSUPPORT);
	assert_int_equal(us_socket(n.a, AF_INET, SOCK_STREAM, IPPROTO_ICMP), -EPROTONOSUPPORT);
	sd = us_socket(n.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
	assert_true(sd >= 0);
	assert_int_equal(get_int_opt(n.a, sd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	assert_int_equal(get_int_opt(n.a, sd, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
	assert_int_equal(get_int_opt(n.a, sd, SOL_SOCKET, SO_DOMAIN), AF_INET);
	assert_int_equal(get_int_opt(n.a, sd, SOL_SOCKET, SO_ACCEPTCONN), 0);
	assert_int_equal(get_int_opt(n.a, sd, SOL_SOCKET, SO_ERROR), 0);
	assert_int_equal(us_setsockopt(n.a, sd, SOL_SOCKET, SO_TYPE, &one, sizeof(one)),
			 -ENOPROTOOPT);
	assert_int_equal(us_setsockopt(n.a, sd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)), 0);
	assert_int_equal(get_int_opt(n.a, sd, SOL_SOCKET, SO_BROADCAST), 1);
	/* Options the TCP module owns go through to it. */
	assert_int_equal(us_setsockopt(n.a, sd, IPPROTO_TCP, OPT_TCP_NODELAY, &one, sizeof(one)), 0);
	assert_int_equal(get_int_opt(n.a, sd, IPPROTO_TCP, OPT_TCP_NODELAY), 1);
	assert_int_equal(us_setsockopt(n.a, sd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(get_int_opt(n.a, sd, SOL_SOCKET, SO_REUSEADDR), 1);

	/* What a datagram socket cannot do. */
	u = us_socket(n.a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(us_listen(n.a, u, 1), -EOPNOTSUPP);
	assert_int_equal(us_accept(n.a, u, NULL, NULL), -EOPNOTSUPP);
	assert_int_equal(get_int_opt(n.a, u, SOL_SOCKET, SO_ACCEPTCONN), 0);
	assert_int_equal(us_listen(n.a, 99, 1), -EBADF);
	assert_int_equal(us_accept(n.a, 99, NULL, NULL), -EBADF);
	assert_int_equal(us_shutdown(n.a, 99, SHUT_RD), -EBADF);
	assert_int_equal(us_close(n.a, sd), 0);
	assert_int_equal(us_close(n.a, u), 0);
	pn_free(&n);
}

/* Calls on a socket that is neither connected nor listening (checked on Linux). */
static void test_stream_unconnected(void **state)
{
	struct pairnet n;
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	char buf[8];
	int sd;

	(void)state;
	pn_new(&n);
	sd = tcp_socket(n.a);
	assert_int_equal(us_accept(n.a, sd, NULL, NULL), -EINVAL);
	assert_int_equal(us_recv(n.a, sd, buf, sizeof(buf), 0), -ENOTCONN);
	assert_int_equal(us_shutdown(n.a, sd, SHUT_WR), -ENOTCONN);
	assert_int_equal(us_shutdown(n.a, sd, 5), -EINVAL);
	assert_int_equal(us_shutdown(n.a, sd, -1), -EINVAL);
	assert_int_equal(us_getpeername(n.a, sd, SA(a), &len), -ENOTCONN);
	assert_int_equal(us_getsockname(n.a, sd, SA(a), &len), 0);
	assert_int_equal(ntohs(a.sin_port), 0);
	/* AF_UNSPEC on a socket with nothing going on is harmless. */
	a.sin_family = AF_UNSPEC;
	assert_int_equal(us_connect(n.a, sd, SA(a), sizeof(a)), 0);
	/* Bad addresses. */
	a = sin_of(B_ADDR, 80);
	assert_int_equal(us_connect(n.a, sd, SA(a), sizeof(a) - 1), -EINVAL);
	a.sin_family = AF_INET6;
	assert_int_equal(us_connect(n.a, sd, SA(a), sizeof(a)), -EAFNOSUPPORT);
	a = sin_of(ADDR(198, 18, 0, 7), 80);
	assert_int_equal(us_bind(n.a, sd, SA(a), sizeof(a)), -EADDRNOTAVAIL);
	assert_int_equal(us_close(n.a, sd), 0);
	pn_free(&n);
}

static void test_stream_bind_conflicts(void **state)
{
	struct sockaddr_in a = sin_of(INADDR_ANY, 8080);
	struct pairnet n;
	int one = 1;
	int l, s2, s3;

	(void)state;
	pn_new(&n);
	l = tcp_socket(n.b);
	assert_int_equal(us_setsockopt(n.b, l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(us_bind(n.b, l, SA(a), sizeof(a)), 0);
	assert_int_equal(us_bind(n.b, l, SA(a), sizeof(a)), -EINVAL); /* bound already */
	assert_int_equal(us_listen(n.b, l, 8), 0);
	assert_int_equal(get_int_opt(n.b, l, SOL_SOCKET, SO_ACCEPTCONN), 1);
	assert_int_equal(us_listen(n.b, l, 4), 0); /* again: changes the backlog */
	assert_int_equal(us_accept(n.b, l, NULL, NULL), -EAGAIN);
	assert_int_equal(us_socket_events(n.b, l) & POLLIN, 0);

	/* A listener's port stays its own, SO_REUSEADDR or not. */
	s2 = tcp_socket(n.b);
	assert_int_equal(us_bind(n.b, s2, SA(a), sizeof(a)), -EADDRINUSE);
	assert_int_equal(us_setsockopt(n.b, s2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(us_bind(n.b, s2, SA(a), sizeof(a)), -EADDRINUSE);
	a.sin_addr.s_addr = htonl(B_ADDR);
	assert_int_equal(us_bind(n.b, s2, SA(a), sizeof(a)), -EADDRINUSE);

	/* Closing the listener frees the port. */
	assert_int_equal(us_close(n.b, l), 0);
	assert_int_equal(us_bind(n.b, s2, SA(a), sizeof(a)), 0);
	s3 = tcp_socket(n.b);
	a.sin_port = 0;
	assert_int_equal(us_bind(n.b, s3, SA(a), sizeof(a)), 0); /* an ephemeral port */
	assert_int_equal(us_close(n.b, s2), 0);
	assert_int_equal(us_close(n.b, s3), 0);
	pn_free(&n);
}

/* A port whose connection is in TIME_WAIT can be bound again only with SO_REUSEADDR
 * (Linux's inet_csk_bind_conflict: TIME_WAIT sockets conflict unless both reuse). */
static void test_stream_time_wait_reuse(void **state)
{
	struct sockaddr_in a = sin_of(INADDR_ANY, 8081);
	struct pairnet n;
	char buf[4];
	int one = 1;
	int c, s, l, l2;

	(void)state;
	pn_new(&n);
	connected_pair(&n, 8081, &c, &s, &l);
	assert_int_equal(us_close(n.b, l), 0);
	assert_int_equal(us_close(n.b, s), 0); /* B closes first: B ends in TIME_WAIT */
	assert_true(pn_wait(&n, n.a, c, POLLIN, 1000) & POLLIN);
	assert_int_equal(us_recv(n.a, c, buf, sizeof(buf), 0), 0);
	assert_int_equal(us_close(n.a, c), 0);
	pn_run(&n, 100);

	l2 = tcp_socket(n.b);
	assert_int_equal(us_bind(n.b, l2, SA(a), sizeof(a)), -EADDRINUSE);
	assert_int_equal(us_setsockopt(n.b, l2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(us_bind(n.b, l2, SA(a), sizeof(a)), 0);
	assert_int_equal(us_listen(n.b, l2, 4), 0);
	assert_int_equal(us_close(n.b, l2), 0);
	pn_free(&n);
}

/* A connection to a port nobody listens on: RST, ECONNREFUSED through SO_ERROR. */
static void test_stream_refused(void **state)
{
	struct sockaddr_in a = sin_of(B_ADDR, 9999);
	struct pairnet n;
	char buf[4];
	int sd, ev;

	(void)state;
	pn_new(&n);
	sd = tcp_socket(n.a);
	assert_int_equal(us_connect(n.a, sd, SA(a), sizeof(a)), -EINPROGRESS);
	assert_int_equal(us_connect(n.a, sd, SA(a), sizeof(a)), -EALREADY);
	ev = pn_wait(&n, n.a, sd, POLLOUT | POLLERR, 2000);
	assert_true(ev & POLLERR);
	assert_int_equal(get_int_opt(n.a, sd, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	assert_int_equal(get_int_opt(n.a, sd, SOL_SOCKET, SO_ERROR), 0);
	/* The outcome was taken by SO_ERROR: the pending connect reports an abort. */
	assert_int_equal(us_connect(n.a, sd, SA(a), sizeof(a)), -ECONNABORTED);
	assert_int_equal(us_recv(n.a, sd, buf, sizeof(buf), 0), -ENOTCONN);
	assert_int_equal(us_close(n.a, sd), 0);

	/* Without SO_ERROR the next connect reports the refusal, once. */
	sd = tcp_socket(n.a);
	assert_int_equal(us_connect(n.a, sd, SA(a), sizeof(a)), -EINPROGRESS);
	pn_wait(&n, n.a, sd, POLLERR, 2000);
	assert_int_equal(us_connect(n.a, sd, SA(a), sizeof(a)), -ECONNREFUSED);
	assert_int_equal(get_int_opt(n.a, sd, SOL_SOCKET, SO_ERROR), 0);
	assert_int_equal(us_close(n.a, sd), 0);
	pn_free(&n);
}

static void test_stream_connect_accept(void **state)
{
	struct pairnet n;
	struct sockaddr_in a, cname, sname, speer;
	socklen_t len = sizeof(a);
	int c, s, l, ev;

	(void)state;
	pn_new(&n);
	connected_pair(&n, 80, &c, &s, &l);
	/* Connected: connect says so, listen refuses. */
	a = sin_of(B_ADDR, 80);
	assert_int_equal(us_connect(n.a, c, SA(a), sizeof(a)), -EISCONN);
	assert_int_equal(us_listen(n.a, c, 1), -EINVAL);
	ev = us_socket_events(n.a, c);
	assert_int_equal(ev & (POLLOUT | POLLIN | POLLERR | POLLHUP), POLLOUT);

	/* The names match end to end; the client got an ephemeral port and its address. */
	assert_int_equal(us_getsockname(n.a, c, SA(cname), &len), 0);
	assert_int_equal(ntohl(cname.sin_addr.s_addr), A_ADDR);
	assert_true(ntohs(cname.sin_port) != 0);
	len = sizeof(speer);
	assert_int_equal(us_getpeername(n.b, s, SA(speer), &len), 0);
	assert_memory_equal(&speer, &cname, sizeof(cname));
	len = sizeof(sname);
	assert_int_equal(us_getsockname(n.b, s, SA(sname), &len), 0);
	assert_int_equal(ntohl(sname.sin_addr.s_addr), B_ADDR);
	assert_int_equal(ntohs(sname.sin_port), 80);
	len = sizeof(a);
	assert_int_equal(us_getpeername(n.a, c, SA(a), &len), 0);
	assert_memory_equal(&a, &sname, sizeof(sname));
	/* A truncated address buffer gets what fits, and the real length. */
	len = 4;
	memset(&a, 0xee, sizeof(a));
	assert_int_equal(us_getpeername(n.a, c, SA(a), &len), 0);
	assert_int_equal(len, sizeof(a));
	assert_int_equal(((uint8_t *)&a)[4], 0xee);
	/* The listener has no peer; no second connection waits. */
	assert_int_equal(us_getpeername(n.b, l, SA(a), &len), -ENOTCONN);
	assert_int_equal(us_accept(n.b, l, NULL, NULL), -EAGAIN);

	assert_int_equal(us_close(n.a, c), 0);
	assert_int_equal(us_close(n.b, s), 0);
	assert_int_equal(us_close(n.b, l), 0);
	pn_free(&n);
}

static void test_stream_data(void **state)
{
	static const char msg[] = "hello, stream";
	struct pairnet n;
	struct sockaddr_in from;
	socklen_t fromlen = sizeof(from);
	char buf[64];
	int c, s, l, ev;

	(void)state;
	pn_new(&n);
	connected_pair(&n, 7, &c, &s, &l);
	assert_int_equal(us_recv(n.b, s, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(us_send(n.a, c, msg, sizeof(msg), 0), sizeof(msg));
	assert_int_equal(us_send(n.a, c, NULL, 5, 0), -EFAULT);
	assert_int_equal(us_send(n.a, c, msg, 1, MSG_OOB), -EOPNOTSUPP);
	ev = pn_wait(&n, n.b, s, POLLIN, 1000);
	assert_true(ev & POLLIN);
	/* MSG_PEEK leaves the bytes; a stream names no sender. */
	assert_int_equal(us_recvfrom(n.b, s, buf, 5, MSG_PEEK, SA(from), &fromlen), 5);
	assert_int_equal(fromlen, 0);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(us_recv(n.b, s, buf, 7, 0), 7);
	assert_memory_equal(buf, "hello, ", 7);
	/* MSG_TRUNC throws bytes away. */
	assert_int_equal(us_recv(n.b, s, NULL, 3, MSG_TRUNC), 3);
	assert_int_equal(us_recv(n.b, s, buf, sizeof(buf), 0), sizeof(msg) - 10);
	assert_memory_equal(buf, msg + 10, sizeof(msg) - 10);
	assert_int_equal(us_recv(n.b, s, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(us_recv(n.b, s, buf, 1, MSG_OOB), -EINVAL);
	assert_int_equal(us_recv(n.b, s, buf, 1, MSG_ERRQUEUE), -EAGAIN);

	/* Half-close: the other end reads the end of the stream and can still answer. */
	assert_int_equal(us_shutdown(n.a, c, SHUT_WR), 0);
	assert_int_equal(us_send(n.a, c, msg, 1, 0), -EPIPE);
	ev = pn_wait(&n, n.b, s, POLLRDHUP, 1000);
	assert_true(ev & POLLIN);
	assert_true(ev & POLLRDHUP);
	assert_int_equal(us_recv(n.b, s, buf, sizeof(buf), 0), 0);
	assert_int_equal(us_recv(n.b, s, buf, sizeof(buf), 0), 0);
	assert_int_equal(us_send(n.b, s, "bye", 3, 0), 3);
	assert_true(pn_wait(&n, n.a, c, POLLIN, 1000) & POLLIN);
	assert_int_equal(us_recv(n.a, c, buf, sizeof(buf), 0), 3);
	assert_memory_equal(buf, "bye", 3);
	assert_int_equal(us_close(n.b, s), 0);
	ev = pn_wait(&n, n.a, c, POLLHUP, 1000);
	assert_true(ev & POLLHUP);
	assert_int_equal(us_recv(n.a, c, buf, sizeof(buf), 0), 0);
	assert_int_equal(us_close(n.a, c), 0);
	assert_int_equal(us_close(n.b, l), 0);
	pn_free(&n);
}

/* Closing with unread data resets the connection (RFC 9293 3.10.4); the peer's next
 * recv reports it, and its sends fail afterwards. */
static void test_stream_reset(void **state)
{
	struct pairnet n;
	char buf[16];
	int c, s, l, ev;

	(void)state;
	pn_new(&n);
	connected_pair(&n, 9, &c, &s, &l);
	assert_int_equal(us_send(n.b, s, "unread", 6, 0), 6);
	assert_true(pn_wait(&n, n.a, c, POLLIN, 1000) & POLLIN);
	assert_int_equal(us_close(n.a, c), 0);
	ev = pn_wait(&n, n.b, s, POLLERR | POLLHUP, 1000);
	assert_true(ev & POLLHUP);
	assert_int_equal(us_recv(n.b, s, buf, sizeof(buf), 0), -ECONNRESET);
	assert_int_equal(us_send(n.b, s, "x", 1, 0), -EPIPE);
	assert_int_equal(us_close(n.b, s), 0);
	assert_int_equal(us_close(n.b, l), 0);
	pn_free(&n);
}

/* A connection the application never accepted is freed with the listener; one accepted
 * and closed at once ends in an orderly way; TCP_INFO describes a connection. */
static void test_stream_info_and_cleanup(void **state)
{
	struct pairnet n;
	struct sockaddr_in a = sin_of(B_ADDR, 80);
	uint8_t info[256];
	socklen_t len = sizeof(info);
	int c, s, l, c2;

	(void)state;
	pn_new(&n);
	connected_pair(&n, 80, &c, &s, &l);
	assert_int_equal(us_getsockopt(n.a, c, IPPROTO_TCP, OPT_TCP_INFO, info, &len), 0);
	assert_true(len >= 104); /* glibc's struct tcp_info at least */
	assert_int_equal(info[0], 1); /* tcpi_state: Linux's TCP_ESTABLISHED */
	len = 1;
	assert_int_equal(us_getsockopt(n.a, c, IPPROTO_TCP, OPT_TCP_INFO, info, &len), 0);
	assert_int_equal(len, 1);

	c2 = tcp_socket(n.a);
	assert_int_equal(us_connect(n.a, c2, SA(a), sizeof(a)), -EINPROGRESS);
	assert_true(pn_wait(&n, n.a, c2, POLLOUT, 1000) & POLLOUT);
	assert_int_equal(us_close(n.b, l), 0); /* c2's connection was never accepted */
	assert_true(pn_wait(&n, n.a, c2, POLLHUP | POLLERR, 1000) & (POLLHUP | POLLERR));
	assert_int_equal(us_close(n.a, c2), 0);
	assert_int_equal(us_close(n.b, s), 0);
	assert_int_equal(us_close(n.a, c), 0);
	pn_free(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_create),
		cmocka_unit_test(test_stream_unconnected),
		cmocka_unit_test(test_stream_bind_conflicts),
		cmocka_unit_test(test_stream_time_wait_reuse),
		cmocka_unit_test(test_stream_refused),
		cmocka_unit_test(test_stream_connect_accept),
		cmocka_unit_test(test_stream_data),
		cmocka_unit_test(test_stream_reset),
		cmocka_unit_test(test_stream_info_and_cleanup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
