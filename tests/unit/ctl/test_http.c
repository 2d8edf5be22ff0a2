/*
 * test_http.c - the HTTP service (src/ctl/http.c): request head parsing against
 * RFC 9112 (well-formed heads, every malformation with its status code, the
 * limits), persistence rules, and whole exchanges through the protocol's step
 * function with no socket involved: GET / and /bytes/N (checked against the
 * stream's definition: z(0) = 0xe220a8397b1dcdaf, the first SplitMix64 output
 * from state 0, computed with /usr/bin/python3), HEAD, pipelined requests,
 * bodies by Content-Length and chunked (fed in pieces down to single bytes),
 * "Expect: 100-continue", early ends and the errors that close the connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/http.h"
#include "ctl/sha256.h"
#include "ctl/svc.h"

/* SHA-256 of "hello" (sha256sum). */
#define HELLO_SHA "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static int parse(const char *head, struct http_req *r)
{
	size_t len = strlen(head);

	assert_int_equal(http_head_end((const uint8_t *)head, len), len);
	return http_parse_head((const uint8_t *)head, len, r);
}

static void test_head_end(void **state)
{
	static const struct {
		const char *s;
		size_t end;
	} v[] = {
		{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27 },
		{ "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET", 27 },
		{ "GET / HTTP/1.0\n\n", 16 },
		{ "GET / HTTP/1.0\r\n\n", 17 },
		{ "\r\n\r\nGET / HTTP/1.0\r\n\r\n", 22 },   /* empty lines before the request */
		{ "GET / HTTP/1.1\r\nHost: a\r\n\r", 0 },
		{ "GET / HTTP/1.1\r\nHost: a\r\n", 0 },
		{ "GET / HTTP/1.1", 0 },
		{ "", 0 },
		{ "\r\n", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(http_head_end((const uint8_t *)v[i].s, strlen(v[i].s)), v[i].end);
}

static void test_parse_ok(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("GET /bytes/5?x=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\n\r\n", &r), 0);
	assert_int_equal(r.method, HTTP_GET);
	assert_string_equal(r.target, "/bytes/5");
	assert_int_equal(r.minor, 1);
	assert_true(r.keep_alive);
	assert_false(r.has_length);
	assert_false(r.chunked);

	/* Field names are case-insensitive; OWS around values is not part of them. */
	assert_int_equal(parse("PUT /up HTTP/1.1\r\nhOsT:a\r\ncontent-length: \t 42 \r\n"
			       "EXPECT: 100-Continue\r\n\r\n", &r), 0);
	assert_int_equal(r.method, HTTP_PUT);
	assert_true(r.has_length);
	assert_int_equal(r.content_length, 42);
	assert_true(r.expect_continue);

	/* The same Content-Length twice is one length (RFC 9112 6.3). */
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n"
			       "Content-Length: 7\r\n\r\n", &r), 0);
	assert_int_equal(r.content_length, 7);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n",
			       &r), 0);
	assert_true(r.chunked);

	/* Absolute form (RFC 9112 3.2.2) is reduced to the path; bare LF line ends and
	 * empty lines before the request line are tolerated (RFC 9112 2.2). */
	assert_int_equal(parse("GET http://198.18.0.2:80/bytes/9 HTTP/1.1\nHost: x\n\n", &r), 0);
	assert_string_equal(r.target, "/bytes/9");
	assert_int_equal(parse("\r\nHEAD / HTTP/1.0\r\n\r\n", &r), 0);
	assert_int_equal(r.method, HTTP_HEAD);
	assert_int_equal(r.minor, 0);
	/* No body: an expectation is pointless and ignored. */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", &r), 0);
	assert_false(r.expect_continue);
}

static void test_persistence(void **state)
{
	static const struct {
		const char *head;
		bool keep;
	} v[] = {
		{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: te, Close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false },
	};
	struct http_req r;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(parse(v[i].head, &r), 0);
		assert_int_equal(r.keep_alive, v[i].keep);
	}
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *head;
		int status;
	} v[] = {
		{ "GET / HTTP/1.1\r\n\r\n", 400 },                              /* no Host */
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },        /* two Hosts */
		{ "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400 },                  /* space before colon */
		{ "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  folded\r\n\r\n", 400 }, /* obs-fold */
		{ "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: a\r\n: empty name\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n", 400 },      /* control char */
		{ "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400 },                /* bare CR */
		{ "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },                  /* two spaces */
		{ "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400 },
		{ "GET /\r\n\r\n", 400 },                                        /* HTTP/0.9 */
		{ "GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400 },
		{ "GET / http/1.1\r\nHost: a\r\n\r\n", 400 },
		{ "GET a HTTP/1.1\r\nHost: a\r\n\r\n", 400 },                   /* not a path */
		{ "GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
		{ "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },                   /* not a token */
		{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505 },
		{ "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505 },
		{ "DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", 501 },
		{ "get / HTTP/1.1\r\nHost: a\r\n\r\n", 501 },                   /* case-sensitive */
		{ "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", 400 },
		{ "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400 },
		{ "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400 },
		{ "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n", 400 },
		{ "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400 },
		{ "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", 400 },                  /* smuggling */
		{ "PUT / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
		{ "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501 },
		{ "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400 },
		{ "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400 },
		{ "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1099511627777\r\n\r\n", 413 },
		{ "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413 },
		{ "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nExpect: 200-ok\r\n\r\n", 417 },
	};
	struct http_req r;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int got = parse(v[i].head, &r);

		if (got != v[i].status)
			fail_msg("case %zu: %d, want %d: %s", i, got, v[i].status, v[i].head);
	}
	/* HTTP_BODY_MAX itself is allowed. */
	assert_int_equal(parse("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1099511627776\r\n\r\n",
			       &r), 0);
}

static void test_parse_limits(void **state)
{
	static char head[HTTP_HEAD_MAX + 4096];
	struct http_req r;
	size_t n;

	(void)state;
	/* A target of HTTP_TARGET_MAX bytes is fine; one more is 414. */
	n = (size_t)snprintf(head, sizeof(head), "GET /");
	memset(head + n, 'a', HTTP_TARGET_MAX - 1);
	n += HTTP_TARGET_MAX - 1;
	n += (size_t)snprintf(head + n, sizeof(head) - n, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(parse(head, &r), 0);
	assert_int_equal(strlen(r.target), HTTP_TARGET_MAX);
	n = (size_t)snprintf(head, sizeof(head), "GET /");
	memset(head + n, 'a', HTTP_TARGET_MAX);
	n += HTTP_TARGET_MAX;
	snprintf(head + n, sizeof(head) - n, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(parse(head, &r), 414);

	/* HTTP_FIELDS_MAX fields, then one more. */
	n = (size_t)snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 1; i < HTTP_FIELDS_MAX; i++)
		n += (size_t)snprintf(head + n, sizeof(head) - n, "X-%d: y\r\n", i);
	snprintf(head + n, sizeof(head) - n, "\r\n");
	assert_int_equal(parse(head, &r), 0);
	snprintf(head + n, sizeof(head) - n, "X-last: y\r\n\r\n");
	assert_int_equal(parse(head, &r), 431);
}

static void test_stream(void **state)
{
	uint8_t a[64], b[64];

	(void)state;
	http_stream_fill(0, a, sizeof(a));
	/* z(0) = 0xe220a8397b1dcdaf, z(1) = 0x6e789e6aa1b965f4, little-endian. */
	static const uint8_t first[16] = { 0xaf, 0xcd, 0x1d, 0x7b, 0x39, 0xa8, 0x20, 0xe2,
					   0xf4, 0x65, 0xb9, 0xa1, 0x6a, 0x9e, 0x78, 0x6e };
	assert_memory_equal(a, first, sizeof(first));
	/* Any offset gives the same bytes. */
	for (size_t off = 0; off < 20; off++) {
		http_stream_fill(off, b, sizeof(b) - 20);
		assert_memory_equal(b, a + off, sizeof(b) - 20);
	}
}

/* ---- whole exchanges through the protocol ---- */

struct ex {
	struct svc_conn *c;
	char *out;        /* everything produced */
	size_t out_len, out_cap;
	enum svc_verdict last;
};

static void ex_new(struct ex *e)
{
	memset(e, 0, sizeof(*e));
	e->c = svc_conn_new(&svc_http);
	assert_non_null(e->c);
	e->out_cap = 1 << 20;
	e->out = malloc(e->out_cap);
	assert_non_null(e->out);
}

static void ex_free(struct ex *e)
{
	svc_conn_free(&svc_http, e->c);
	free(e->out);
}

/* Runs the step until it stops producing, draining output as a reader would. */
static void ex_step(struct ex *e)
{
	struct svc_conn *c = e->c;

	for (int i = 0; i < 100000; i++) {
		size_t in_before = c->in_len, produced;

		e->last = svc_http.step(c);
		produced = c->out_len;
		assert_true(e->out_len + produced <= e->out_cap);
		memcpy(e->out + e->out_len, c->out + c->out_off, produced);
		e->out_len += produced;
		c->out_off = c->out_len = 0;
		if (e->last != SVC_MORE || (!produced && c->in_len == in_before))
			return;
	}
	fail_msg("the step never settles");
}

/* Feeds @len bytes in pieces of @piece (as the input buffer allows), stepping each time. */
static void ex_feed(struct ex *e, const void *data, size_t len, size_t piece)
{
	const uint8_t *p = data;

	while (len) {
		struct svc_conn *c = e->c;
		size_t room = SVC_IN_MAX - c->in_off - c->in_len, n = len < piece ? len : piece;

		if (c->in_off) {
			memmove(c->in, c->in + c->in_off, c->in_len);
			c->in_off = 0;
			room = SVC_IN_MAX - c->in_len;
		}
		if (n > room)
			n = room;
		assert_true(n > 0);
		memcpy(c->in + c->in_len, p, n);
		c->in_len += n;
		p += n;
		len -= n;
		ex_step(e);
	}
}

static void ex_send(struct ex *e, const char *s)
{
	ex_feed(e, s, strlen(s), SIZE_MAX);
}

static void ex_eof(struct ex *e)
{
	e->c->in_eof = true;
	ex_step(e);
}

/* The output as a string (the tests' outputs hold no NUL but in /bytes bodies). */
static const char *ex_text(struct ex *e)
{
	assert_true(e->out_len < e->out_cap);
	e->out[e->out_len] = '\0';
	return e->out;
}

static void test_get_index_and_404(void **state)
{
	struct ex e;
	const char *t;

	(void)state;
	ex_new(&e);
	ex_send(&e, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	t = ex_text(&e);
	assert_true(!strncmp(t, "HTTP/1.1 200 OK\r\n", 17));
	assert_non_null(strstr(t, "Content-Type: text/plain\r\n"));
	assert_null(strstr(t, "Connection:"));
	assert_non_null(strstr(t, "\r\n\r\nustack HTTP service\n"));
	assert_int_equal(e.last, SVC_MORE);
	e.out_len = 0;
	ex_send(&e, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(!strncmp(ex_text(&e), "HTTP/1.1 404 Not Found\r\n", 24));
	e.out_len = 0;
	ex_send(&e, "GET /bytes/12x HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(!strncmp(ex_text(&e), "HTTP/1.1 404 Not Found\r\n", 24));
	e.out_len = 0;
	ex_send(&e, "GET /bytes/1099511627777 HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(!strncmp(ex_text(&e), "HTTP/1.1 404 Not Found\r\n", 24));
	assert_int_equal(e.last, SVC_MORE);
	/* The peer finishes between requests: closed quietly. */
	e.out_len = 0;
	ex_eof(&e);
	assert_int_equal(e.out_len, 0);
	assert_int_equal(e.last, SVC_CLOSE);
	ex_free(&e);
}

static void test_get_bytes(void **state)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nServer: ustack\r\n"
				   "Content-Type: application/octet-stream\r\n"
				   "Content-Length: 300001\r\n\r\n";
	static uint8_t want[300001];
	struct ex e;

	(void)state;
	ex_new(&e);
	ex_send(&e, "GET /bytes/300001 HTTP/1.1\r\nHost: x\r\n\r\n");
	ex_step(&e);
	assert_int_equal(e.out_len, sizeof(head) - 1 + sizeof(want));
	assert_memory_equal(e.out, head, sizeof(head) - 1);
	http_stream_fill(0, want, sizeof(want));
	assert_memory_equal(e.out + sizeof(head) - 1, want, sizeof(want));
	assert_int_equal(e.last, SVC_MORE);

	/* HEAD: the same head, no body; /bytes/0: an empty body. */
	e.out_len = 0;
	ex_send(&e, "HEAD /bytes/300001 HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_string_equal(ex_text(&e), head);
	e.out_len = 0;
	ex_send(&e, "GET /bytes/0 HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_non_null(strstr(ex_text(&e), "Content-Length: 0\r\n\r\n"));
	assert_int_equal(e.last, SVC_MORE);
	ex_free(&e);
}

static void test_pipelined(void **state)
{
	static const char reqs[] = "GET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n"
				   "PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
				   "GET /bytes/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
				   "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	uint8_t b3[3];
	struct ex e;
	const char *t, *p;

	(void)state;
	ex_new(&e);
	ex_send(&e, reqs);
	t = ex_text(&e);
	http_stream_fill(0, b3, 3);
	p = strstr(t, "Content-Length: 3\r\n\r\n");
	assert_non_null(p);
	assert_memory_equal(p + 21, b3, 3);
	p = strstr(p, "{\"bytes\":5,\"sha256\":\"" HELLO_SHA "\"}\n");
	assert_non_null(p);
	p = strstr(p, "Content-Length: 2\r\nConnection: close\r\n\r\n");
	assert_non_null(p);
	/* Nothing after the response that closes: the fourth request is not answered. */
	assert_int_equal(e.out_len, (size_t)(p - t) + 40 + 2);
	assert_int_equal(e.last, SVC_CLOSE);
	ex_free(&e);
}

static void test_bodies(void **state)
{
	static const char chunked[] = "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
				      "2;name=val\r\nhe\r\n3\r\nllo\r\n0\r\nTrailer: t\r\n\r\n";
	const char *json = "{\"bytes\":5,\"sha256\":\"" HELLO_SHA "\"}\n";
	struct ex e;
	const char *t;

	(void)state;
	/* Chunked, one byte at a time. */
	ex_new(&e);
	ex_feed(&e, chunked, sizeof(chunked) - 1, 1);
	t = ex_text(&e);
	assert_true(!strncmp(t, "HTTP/1.1 200 OK\r\n", 17));
	assert_non_null(strstr(t, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(t, json));
	assert_int_equal(e.last, SVC_MORE);
	ex_free(&e);

	/* Content-Length with "Expect: 100-continue": the interim response comes first. */
	ex_new(&e);
	ex_send(&e, "PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
	assert_string_equal(ex_text(&e), "HTTP/1.1 100 Continue\r\n\r\n");
	ex_send(&e, "hel");
	assert_int_equal(e.out_len, 25);
	ex_send(&e, "lo");
	assert_non_null(strstr(ex_text(&e) + 25, json));
	ex_free(&e);

	/* HTTP/1.0 with a body: answered, then closed ("Connection: close"). */
	ex_new(&e);
	ex_send(&e, "POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello");
	t = ex_text(&e);
	assert_non_null(strstr(t, "Connection: close\r\n"));
	assert_non_null(strstr(t, json));
	assert_int_equal(e.last, SVC_CLOSE);
	ex_free(&e);

	/* An empty body has the digest of nothing. */
	ex_new(&e);
	ex_send(&e, "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
	assert_non_null(strstr(ex_text(&e), "{\"bytes\":0,\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb"
					     "92427ae41e4649b934ca495991b7852b855\"}\n"));
	ex_free(&e);
}

/* A body much larger than the buffers streams through them, hashed on the way. */
static void test_large_body(void **state)
{
	static uint8_t body[3 * 1000 * 1000 + 7];
	uint8_t d[SHA256_DIGEST_LEN];
	char hex[SHA256_HEX_LEN], json[128], head[128];
	struct sha256 s;
	struct ex e;

	(void)state;
	http_stream_fill(12345, body, sizeof(body));
	sha256_init(&s);
	sha256_update(&s, body, sizeof(body));
	sha256_final(&s, d);
	sha256_hex(d, hex);
	snprintf(json, sizeof(json), "{\"bytes\":%zu,\"sha256\":\"%s\"}\n", sizeof(body), hex);
	snprintf(head, sizeof(head), "PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n",
		 sizeof(body));
	ex_new(&e);
	ex_send(&e, head);
	ex_feed(&e, body, sizeof(body), 5000);
	assert_non_null(strstr(ex_text(&e), json));
	ex_free(&e);
}

static void test_errors_close(void **state)
{
	static char big[HTTP_HEAD_MAX + 100];
	struct ex e;
	const char *t;

	(void)state;
	/* Malformed: 400, "Connection: close", the connection ends. */
	ex_new(&e);
	ex_send(&e, "BAD\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
	t = ex_text(&e);
	assert_true(!strncmp(t, "HTTP/1.1 400 Bad Request\r\n", 26));
	assert_non_null(strstr(t, "Connection: close\r\n"));
	assert_non_null(strstr(t, "\r\n\r\n400 Bad Request\n"));
	assert_null(strstr(t, "200 OK"));
	assert_int_equal(e.last, SVC_CLOSE);
	ex_free(&e);

	/* A head that never ends within HTTP_HEAD_MAX: 431. */
	ex_new(&e);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	ex_feed(&e, big, sizeof(big), 4096);
	assert_true(!strncmp(ex_text(&e), "HTTP/1.1 431 Request Header Fields Too Large\r\n", 46));
	assert_int_equal(e.last, SVC_CLOSE);
	ex_free(&e);

	/* The peer ends in the middle of a head, or of a body. */
	ex_new(&e);
	ex_send(&e, "GET / HT");
	assert_int_equal(e.out_len, 0);
	ex_eof(&e);
	assert_true(!strncmp(ex_text(&e), "HTTP/1.1 400 Bad Request\r\n", 26));
	assert_int_equal(e.last, SVC_CLOSE);
	ex_free(&e);
	ex_new(&e);
	ex_send(&e, "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
	assert_int_equal(e.out_len, 0);
	ex_eof(&e);
	assert_true(!strncmp(ex_text(&e), "HTTP/1.1 400 Bad Request\r\n", 26));
	ex_free(&e);

	/* Chunked syntax errors, and a chunk that would pass the body limit. */
	ex_new(&e);
	ex_send(&e, "PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
	assert_true(!strncmp(ex_text(&e), "HTTP/1.1 400 Bad Request\r\n", 26));
	ex_free(&e);
	ex_new(&e);
	ex_send(&e, "PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXY\r\n");
	assert_true(!strncmp(ex_text(&e), "HTTP/1.1 400 Bad Request\r\n", 26));
	ex_free(&e);
	ex_new(&e);
	ex_send(&e, "PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "10000000001\r\n");
	assert_true(!strncmp(ex_text(&e), "HTTP/1.1 413 Content Too Large\r\n", 32));
	assert_int_equal(e.last, SVC_CLOSE);
	ex_free(&e);

	/* An error answers a HEAD request with a body too (it explains itself). */
	ex_new(&e);
	ex_send(&e, "HEAD / HTTP/3.0\r\nHost: x\r\n\r\n");
	assert_non_null(strstr(ex_text(&e), "\r\n\r\n505 HTTP Version Not Supported\n"));
	ex_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_end),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_persistence),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_get_index_and_404),
		cmocka_unit_test(test_get_bytes),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_large_body),
		cmocka_unit_test(test_errors_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
