/*
 * test_svc.c - the daemon's TCP services (src/ctl/svc.c, svc_small.c, http.c):
 * the echo, discard and chargen protocols as pure steps (the RFC 864 pattern
 * byte for byte), then every service running on a stack, reached by a client
 * on a second stack through the socket API (two stacks on virtual clocks,
 * ../socket/pairnet.h): echo round-trips, discard swallows and closes after
 * the client's FIN, chargen streams only as fast as the client reads, HTTP
 * serves /bytes/N and hashes an upload, and the services' bounds (clients,
 * lingering close) hold. No packet buffer may leak.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../socket/pairnet.h"
#include "ctl/http.h"
#include "ctl/sha256.h"
#include "ctl/svc.h"
#include "tcp/tcp.h"
#include "ustack/ctl.h"
#include "ustack/socket.h"

#define SA(x) ((struct sockaddr *)&(x))

/* The RFC 864 pattern: line k is 72 characters of the printable ring (' '..'~')
 * starting at character k mod 95, then CR LF. */
static uint8_t chargen_byte(uint64_t i)
{
	uint64_t line = i / 74, col = i % 74;

	if (col == 72)
		return '\r';
	if (col == 73)
		return '\n';
	return (uint8_t)(' ' + (line + col) % 95);
}

static void test_small_protocols(void **state)
{
	struct svc_conn *c;
	uint64_t produced = 0;

	(void)state;
	/* echo: what comes in goes out; done once the peer is and all is out. */
	c = svc_conn_new(&svc_echo);
	memcpy(c->in, "abc", 3);
	c->in_len = 3;
	assert_int_equal(svc_echo.step(c), SVC_MORE);
	assert_int_equal(c->in_len, 0);
	assert_int_equal(c->out_len, 3);
	assert_memory_equal(c->out, "abc", 3);
	c->in_eof = true;
	assert_int_equal(svc_echo.step(c), SVC_CLOSE);
	svc_conn_free(&svc_echo, c);

	/* echo never takes more than its output can hold. */
	c = svc_conn_new(&svc_echo);
	c->out_len = SVC_OUT_MAX - 2;
	c->in_len = 5;
	assert_int_equal(svc_echo.step(c), SVC_MORE);
	assert_int_equal(c->in_len, 3);
	assert_int_equal(c->out_len, SVC_OUT_MAX);
	svc_conn_free(&svc_echo, c);

	/* discard */
	c = svc_conn_new(&svc_discard);
	c->in_len = 100;
	assert_int_equal(svc_discard.step(c), SVC_MORE);
	assert_int_equal(c->in_len, 0);
	assert_int_equal(c->out_len, 0);
	c->in_eof = true;
	assert_int_equal(svc_discard.step(c), SVC_CLOSE);
	svc_conn_free(&svc_discard, c);

	/* chargen: the first line, then the pattern over several ring turns, in steps. */
	c = svc_conn_new(&svc_chargen);
	assert_int_equal(svc_chargen.step(c), SVC_MORE);
	assert_int_equal(c->out_len, SVC_OUT_MAX);
	assert_memory_equal(c->out, " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "[\\]^_`abcdefg\r\n!\"#", 77);
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < c->out_len; i++)
			if (c->out[c->out_off + i] != chargen_byte(produced + i))
				fail_msg("chargen byte %llu", (unsigned long long)(produced + i));
		produced += c->out_len;
		c->out_off = c->out_len = 0;
		c->in_len = 10; /* input is thrown away */
		assert_int_equal(svc_chargen.step(c), SVC_MORE);
		assert_int_equal(c->in_len, 0);
	}
	svc_conn_free(&svc_chargen, c);
}

/* ---- the services on a stack ---- */

static int client(struct pairnet *n, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(PN_B) };
	int sd = us_socket(n->a, AF_INET, SOCK_STREAM, 0);

	assert_true(sd >= 0);
	assert_int_equal(us_connect(n->a, sd, SA(a), sizeof(a)), -EINPROGRESS);
	assert_true(pn_wait(n, n->a, sd, POLLOUT, 2000) & POLLOUT);
	assert_int_equal(us_connect(n->a, sd, SA(a), sizeof(a)), 0);
	return sd;
}

/* Sends all of @len bytes (running the stacks while the send buffer is full). */
static void send_all(struct pairnet *n, int sd, const uint8_t *p, size_t len)
{
	for (int i = 0; len && i < 100000; i++) {
		ssize_t k = us_send(n->a, sd, p, len, 0);

		if (k == -EAGAIN) {
			pn_run(n, 1);
			continue;
		}
		assert_true(k > 0);
		p += k;
		len -= (size_t)k;
	}
	assert_int_equal(len, 0);
}

/* Reads until @len bytes, the end of the stream, or 10 s of virtual time. */
static size_t recv_all(struct pairnet *n, int sd, uint8_t *p, size_t len)
{
	size_t got = 0;

	for (int i = 0; got < len && i < 10000; i++) {
		ssize_t k = us_recv(n->a, sd, p + got, len - got, 0);

		if (k == 0)
			break;
		if (k == -EAGAIN) {
			pn_run(n, 1);
			continue;
		}
		assert_true(k > 0);
		got += (size_t)k;
	}
	return got;
}

static void test_services_on_a_stack(void **state)
{
	static uint8_t data[200000], back[sizeof(data)];
	struct us_tcp_service *echo, *discard, *chargen, *dup;
	struct pairnet n;
	uint8_t buf[16];
	int sd;

	(void)state;
	pn_new(&n);
	assert_int_equal(us_tcp_service_start(n.b, "gopher", 70, &dup), -ENOENT);
	assert_null(dup);
	assert_int_equal(us_tcp_service_start(n.b, "echo", 7, &echo), 0);
	assert_int_equal(us_tcp_service_start(n.b, "discard", 7, &dup), -EADDRINUSE);
	assert_int_equal(us_tcp_service_start(n.b, "discard", 9, &discard), 0);
	assert_int_equal(us_tcp_service_start(n.b, "chargen", 19, &chargen), 0);

	/* echo: 200 kB, more than any buffer on the way, come back intact. */
	http_stream_fill(0, data, sizeof(data));
	sd = client(&n, 7);
	send_all(&n, sd, data, sizeof(data) / 2);
	assert_int_equal(recv_all(&n, sd, back, sizeof(data) / 2), sizeof(data) / 2);
	send_all(&n, sd, data + sizeof(data) / 2, sizeof(data) / 2);
	assert_int_equal(us_shutdown(n.a, sd, SHUT_WR), 0);
	assert_int_equal(recv_all(&n, sd, back + sizeof(data) / 2, sizeof(data)), sizeof(data) / 2);
	assert_memory_equal(back, data, sizeof(data));
	assert_int_equal(us_recv(n.a, sd, buf, sizeof(buf), 0), 0); /* the service closed */
	assert_int_equal(us_close(n.a, sd), 0);

	/* discard: swallows everything, answers nothing, closes after our FIN. */
	sd = client(&n, 9);
	send_all(&n, sd, data, sizeof(data));
	assert_int_equal(us_shutdown(n.a, sd, SHUT_WR), 0);
	assert_int_equal(recv_all(&n, sd, buf, sizeof(buf)), 0);
	assert_true(pn_wait(&n, n.a, sd, POLLHUP, 2000) & POLLHUP);
	assert_int_equal(us_close(n.a, sd), 0);

	/* chargen: the pattern, as fast as we read and no faster. */
	sd = client(&n, 19);
	assert_int_equal(recv_all(&n, sd, back, 10000), 10000);
	for (size_t i = 0; i < 10000; i++)
		assert_int_equal(back[i], chargen_byte(i));
	pn_run(&n, 2000); /* we stop reading: the service must stop too */
	{
		uint64_t before = 0, after = 0;

		assert_int_equal(us_stack_counter(n.b, "TcpOutSegs", &before), 0);
		pn_run(&n, 2000);
		assert_int_equal(us_stack_counter(n.b, "TcpOutSegs", &after), 0);
		assert_true(after - before < 20); /* window probes at most */
	}
	assert_int_equal(us_close(n.a, sd), 0); /* with unread data: a reset */
	pn_run(&n, 100);

	us_tcp_service_stop(echo);
	us_tcp_service_stop(discard);
	us_tcp_service_stop(chargen);
	pn_free(&n);
}

struct listen_q {
	uint16_t port;
	int queued;      /* the listener's accept queue, -1 if no listener */
	unsigned estab;  /* established connections on the port */
};

static int listen_q_cb(const struct tcp_conn_info *ci, void *arg)
{
	struct listen_q *q = arg;

	if (ci->lport != q->port)
		return 0;
	if (ci->state == TCP_LISTEN)
		q->queued = (int)ci->rx_queue;
	else if (ci->state == TCP_ESTABLISHED)
		q->estab++;
	return 0;
}

static struct listen_q listen_q(struct us_stack *st, uint16_t port)
{
	struct listen_q q = { .port = port, .queued = -1 };

	tcp_dump(st, listen_q_cb, &q);
	return q;
}

/* A service serves at most max_clients connections; the rest wait in the backlog and
 * are taken as others finish. */
static void test_service_bounds(void **state)
{
	enum { EXTRA = 3 };
	int sds[64 + EXTRA];
	const unsigned max = svc_discard.max_clients;
	struct us_tcp_service *discard;
	struct listen_q q;
	struct pairnet n;

	(void)state;
	assert_int_equal(max, 64);
	pn_new(&n);
	assert_int_equal(us_tcp_service_start(n.b, "discard", 9, &discard), 0);
	for (unsigned i = 0; i < max + EXTRA; i++)
		sds[i] = client(&n, 9);
	pn_run(&n, 100);
	q = listen_q(n.b, 9);
	assert_int_equal(q.estab, max + EXTRA);
	assert_int_equal(q.queued, EXTRA);
	/* Two clients finish: their slots go to two of the waiting connections. */
	assert_int_equal(us_close(n.a, sds[0]), 0);
	assert_int_equal(us_close(n.a, sds[1]), 0);
	pn_run(&n, 100);
	q = listen_q(n.b, 9);
	assert_int_equal(q.queued, EXTRA - 2);
	for (unsigned i = 2; i < max + EXTRA; i++)
		assert_int_equal(us_close(n.a, sds[i]), 0);
	pn_run(&n, 100);
	q = listen_q(n.b, 9);
	assert_int_equal(q.queued, 0);
	assert_int_equal(q.estab, 0);
	us_tcp_service_stop(discard);
	pn_free(&n);
}

/* Reads one HTTP response: head into @head, then Content-Length bytes into @body. */
static size_t http_response(struct pairnet *n, int sd, char *head, size_t hcap, uint8_t *body,
			    size_t bcap)
{
	size_t hlen = 0, clen;
	const char *cl;

	/* Byte by byte up to the empty line, so nothing of the body is read into head. */
	while (hlen < 4 || memcmp(head + hlen - 4, "\r\n\r\n", 4)) {
		assert_true(hlen + 1 < hcap);
		assert_int_equal(recv_all(n, sd, (uint8_t *)head + hlen, 1), 1);
		hlen++;
	}
	head[hlen] = '\0';
	cl = strstr(head, "Content-Length: ");
	assert_non_null(cl);
	clen = strtoul(cl + 16, NULL, 10);
	assert_true(clen <= bcap);
	assert_int_equal(recv_all(n, sd, body, clen), clen);
	return clen;
}

static void test_http_on_a_stack(void **state)
{
	static uint8_t body[500000], want[sizeof(body)];
	uint8_t d[SHA256_DIGEST_LEN];
	char head[1024], req[256], hex[SHA256_HEX_LEN], json[128];
	struct us_tcp_service *http;
	struct sha256 s;
	struct pairnet n;
	size_t len;
	int sd;

	(void)state;
	pn_new(&n);
	assert_int_equal(us_tcp_service_start(n.b, "http", 80, &http), 0);
	sd = client(&n, 80);

	/* Two requests on one connection. */
	snprintf(req, sizeof(req), "GET /bytes/%zu HTTP/1.1\r\nHost: b\r\n\r\n", sizeof(body));
	send_all(&n, sd, (const uint8_t *)req, strlen(req));
	len = http_response(&n, sd, head, sizeof(head), body, sizeof(body));
	assert_true(!strncmp(head, "HTTP/1.1 200 OK\r\n", 17));
	assert_int_equal(len, sizeof(body));
	http_stream_fill(0, want, sizeof(want));
	assert_memory_equal(body, want, sizeof(body));

	snprintf(req, sizeof(req), "PUT /x HTTP/1.1\r\nHost: b\r\nContent-Length: %zu\r\n\r\n",
		 sizeof(want));
	send_all(&n, sd, (const uint8_t *)req, strlen(req));
	send_all(&n, sd, want, sizeof(want));
	len = http_response(&n, sd, head, sizeof(head), body, sizeof(body));
	sha256_init(&s);
	sha256_update(&s, want, sizeof(want));
	sha256_final(&s, d);
	sha256_hex(d, hex);
	snprintf(json, sizeof(json), "{\"bytes\":%zu,\"sha256\":\"%s\"}\n", sizeof(want), hex);
	assert_int_equal(len, strlen(json));
	assert_memory_equal(body, json, len);

	/* A malformed request: 400, then the service closes its side after ours. */
	send_all(&n, sd, (const uint8_t *)"NONSENSE\r\n\r\n", 12);
	http_response(&n, sd, head, sizeof(head), body, sizeof(body));
	assert_true(!strncmp(head, "HTTP/1.1 400 Bad Request\r\n", 26));
	assert_int_equal(recv_all(&n, sd, body, 1), 0);
	assert_int_equal(us_close(n.a, sd), 0);
	pn_run(&n, 100);
	us_tcp_service_stop(http);
	pn_free(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_protocols),
		cmocka_unit_test(test_services_on_a_stack),
		cmocka_unit_test(test_http_on_a_stack),
		cmocka_unit_test(test_service_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
