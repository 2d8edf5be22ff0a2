/*
 * test_echo.c - the UDP echo service (src/ctl/echo.c, RFC 862) over the loopback
 * device of a stack on the virtual clock: datagrams come back unchanged to their
 * sender, in order, up to 65507 bytes; datagrams from the ports of other small
 * services are refused (no echo/chargen loops); stopping closes the socket.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack.h"
#include "socket/sock.h"
#include "ustack/ctl.h"
#include "ustack/socket.h"

#define LOOPBACK 0x7f000001u

struct env {
	struct us_stack *st;
	struct us_echo_service *es;
	int sd;            /* the test's client socket */
};

static int setup(void **state)
{
	struct us_stack_opts so = { .name = "e", .virtual_clock = true, .seed = 1 };
	struct env *e = calloc(1, sizeof(*e));

	e->st = us_stack_new(&so);
	assert_non_null(e->st);
	assert_int_equal(us_echo_service_start(e->st, 7, &e->es), 0);
	e->sd = us_socket(e->st, AF_INET, SOCK_DGRAM, 0);
	assert_true(e->sd >= 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	us_close(e->st, e->sd);
	us_echo_service_stop(e->es);
	assert_int_equal(e->st->socks->count, 0);
	assert_int_equal(e->st->pool.in_use, 0);
	assert_int_equal(e->st->pool.large_in_use, 0);
	us_stack_free(e->st);
	free(e);
	return 0;
}

static void bind_port(struct env *e, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(LOOPBACK) };

	assert_int_equal(us_bind(e->st, e->sd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

static void send_to_echo(struct env *e, const void *buf, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7),
				  .sin_addr.s_addr = htonl(LOOPBACK) };

	assert_int_equal(us_sendto(e->st, e->sd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)len);
}

static void run(struct env *e)
{
	for (int i = 0; i < 10; i++)
		us_stack_poll(e->st);
}

static void test_echo(void **state)
{
	struct env *e = *state;
	static uint8_t big[65507], back[65536];
	struct sockaddr_in from;
	socklen_t fromlen = sizeof(from);

	bind_port(e, 40000);
	send_to_echo(e, "first", 5);
	send_to_echo(e, "", 0); /* an empty datagram is echoed as an empty datagram */
	send_to_echo(e, "third", 5);
	run(e);
	assert_int_equal(us_recvfrom(e->st, e->sd, back, sizeof(back), 0, (struct sockaddr *)&from,
				     &fromlen), 5);
	assert_memory_equal(back, "first", 5);
	assert_int_equal(ntohs(from.sin_port), 7);
	assert_int_equal(ntohl(from.sin_addr.s_addr), LOOPBACK);
	assert_int_equal(us_recv(e->st, e->sd, back, sizeof(back), 0), 0);
	assert_int_equal(us_recv(e->st, e->sd, back, sizeof(back), 0), 5);
	assert_memory_equal(back, "third", 5);
	assert_int_equal(us_recv(e->st, e->sd, back, sizeof(back), 0), -EAGAIN);

	/* the largest UDP payload IPv4 carries */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	send_to_echo(e, big, sizeof(big));
	run(e);
	assert_int_equal(us_recv(e->st, e->sd, back, sizeof(back), 0), (ssize_t)sizeof(big));
	assert_memory_equal(back, big, sizeof(big));
}

static void test_loop_ports_refused(void **state)
{
	struct env *e = *state;
	uint8_t back[64];

	/* From port 19 (chargen): answering would start an endless loop (CA-1996-01). */
	bind_port(e, 19);
	send_to_echo(e, "loop", 4);
	run(e);
	assert_int_equal(us_recv(e->st, e->sd, back, sizeof(back), 0), -EAGAIN);
}

static void test_stop_closes(void **state)
{
	struct env *e = *state;
	unsigned before = e->st->socks->count;

	us_echo_service_stop(e->es);
	assert_int_equal(e->st->socks->count, before - 1);
	/* a second service on the port works after the first stopped */
	assert_int_equal(us_echo_service_start(e->st, 7, &e->es), 0);
	assert_int_equal(e->st->socks->count, before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_ports_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_closes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
