/*
 * echo.c - the UDP echo service (RFC 862 section "UDP Based Echo Service":
 * "When a datagram is received, the data from it is sent back in an answering
 * datagram"), written on the public socket API as any application would be.
 *
 * A poll hook drains the socket each round, bounded, and answers each datagram
 * to its sender; the socket layer's own bounded queues absorb bursts between
 * rounds (overflow is counted there as UdpRcvbufErrors).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack.h"
#include "ustack/ctl.h"
#include "ustack/socket.h"

#define ECHO_PER_ROUND 256
#define ECHO_MAX_DATAGRAM 65535

struct us_echo_service {
	struct us_stack *st;
	int sd;
	struct us_poll_hook hook;
	uint64_t echoed;
	uint64_t send_errors;
	uint64_t refused;
	uint8_t buf[ECHO_MAX_DATAGRAM];
};

/*
 * Answering another UDP "small service" would let a spoofed datagram bounce between
 * two servers for ever (CERT CA-1996-01, the echo/chargen loop): refuse datagrams
 * from port 0 and from the ports of echo, daytime, qotd, chargen and time.
 */
static bool echo_loop_port(uint16_t port)
{
	return port == 0 || port == 7 || port == 13 || port == 17 || port == 19 || port == 37;
}

static void echo_hook(struct us_poll_hook *h, struct us_stack *st)
{
	struct us_echo_service *es = container_of(h, struct us_echo_service, hook);

	for (int i = 0; i < ECHO_PER_ROUND; i++) {
		struct sockaddr_in from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = us_recvfrom(st, es->sd, es->buf, sizeof(es->buf), 0,
					(struct sockaddr *)&from, &fromlen);

		if (n == -EAGAIN)
			break;
		if (n < 0)
			continue; /* a queued ICMP error about an earlier answer: nothing to do */
		if (echo_loop_port(ntohs(from.sin_port))) {
			es->refused++;
			continue;
		}
		/* Answer from the address the datagram was sent to (the socket is bound to
		 * INADDR_ANY, so the stack picks the source by route, as for any reply). */
		if (us_sendto(st, es->sd, es->buf, (size_t)n, 0, (struct sockaddr *)&from, fromlen) < 0)
			es->send_errors++;
		else
			es->echoed++;
	}
}

US_API int us_echo_service_start(struct us_stack *st, uint16_t port, struct us_echo_service **out)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct us_echo_service *es;
	int err;

	if (!st || !out)
		return -EINVAL;
	*out = NULL;
	es = calloc(1, sizeof(*es));
	if (!es)
		return -ENOMEM;
	es->st = st;
	es->sd = us_socket(st, AF_INET, SOCK_DGRAM, 0);
	if (es->sd < 0) {
		err = es->sd;
		free(es);
		return err;
	}
	err = us_bind(st, es->sd, (struct sockaddr *)&sa, sizeof(sa));
	if (err < 0) {
		us_close(st, es->sd);
		free(es);
		return err;
	}
	es->hook.fn = echo_hook;
	us_stack_add_poll_hook(st, &es->hook);
	*out = es;
	return 0;
}

US_API void us_echo_service_stop(struct us_echo_service *es)
{
	if (!es)
		return;
	us_stack_del_poll_hook(es->st, &es->hook);
	us_close(es->st, es->sd);
	free(es);
}
