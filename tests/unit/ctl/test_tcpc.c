/*
 * test_tcpc.c - `ustack tcp connect` (src/ctl/tcpc.c).
 *
 * The pure parts first: option parsing (every option, both "--opt V" and
 * "--opt=V", and each refusal), errno names, the text lines and the JSON report
 * of a fixed result, the exit status.
 *
 * Then the command end to end, on two stacks joined in memory (../socket/pairnet.c,
 * virtual clocks): stack A runs the control server (a real Unix socket the test
 * talks to as the `ustack` client does), stack B the daemon's TCP services (echo 7,
 * discard 9, chargen 19). Checked: bytes and SHA-256 of --send (against the
 * /bytes/N stream computed here) and of an echo with --shutdown --recv, 64-byte
 * writes, a refused connection (RST from B), --timeout on an endless chargen,
 * keepalive probes during --hold, ^C, a client that goes away mid-transfer, the
 * bound of TCPC_MAX_JOBS jobs, and net.ipv4.tcp_congestion_control (the one string
 * setting) through get/set/settings. Every test ends with no packet buffer in use.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../socket/pairnet.h"
#include "ctl/http.h"
#include "ctl/proto.h"
#include "ctl/server.h"
#include "ctl/sha256.h"
#include "ctl/tcpc.h"
#include "ustack/ctl.h"
#include "ustack/ustack.h"

/* ---- options ------------------------------------------------------------------------- */

static int parse_line(const char *line, struct tcpc_opts *o, char *err, size_t errlen)
{
	static char buf[512];
	char *argv[64];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 64; t = strtok(NULL, " "))
		argv[argc++] = t;
	return tcpc_parse(argc, argv, o, err, errlen);
}

static void test_parse_defaults(void **state)
{
	struct tcpc_opts o;
	char err[160];

	(void)state;
	assert_int_equal(parse_line("connect 198.18.0.1 5001", &o, err, sizeof(err)), 0);
	assert_int_equal(o.dst, 0xc6120001);
	assert_int_equal(o.port, 5001);
	assert_false(o.send);
	assert_int_equal(o.write_size, 65536);
	assert_false(o.recv);
	assert_false(o.shutdown);
	assert_false(o.keepalive);
	assert_int_equal(o.hold_ns, 0);
	assert_false(o.nodelay);
	assert_string_equal(o.cc, "");
	assert_false(o.bind);
	assert_int_equal(o.timeout_ns, 30 * US_NSEC_PER_SEC);
	assert_true(o.hash);
}

static void test_parse_everything(void **state)
{
	struct tcpc_opts o;
	char err[160];

	(void)state;
	assert_int_equal(parse_line("connect 198.18.0.1 80 --send 1073741824 --write-size 64 "
				    "--recv --shutdown --keepalive 1,2,3 --hold 5.5 --nodelay "
				    "--cc reno --bind 198.18.0.2:4000 --timeout 0.25 --no-hash",
				    &o, err, sizeof(err)),
			 0);
	assert_true(o.send);
	assert_int_equal(o.send_bytes, 1073741824ull);
	assert_int_equal(o.write_size, 64);
	assert_true(o.recv);
	assert_true(o.shutdown);
	assert_true(o.keepalive);
	assert_int_equal(o.keep_idle_s, 1);
	assert_int_equal(o.keep_intvl_s, 2);
	assert_int_equal(o.keep_cnt, 3);
	assert_int_equal(o.hold_ns, 5500 * US_NSEC_PER_MSEC);
	assert_true(o.nodelay);
	assert_string_equal(o.cc, "reno");
	assert_true(o.bind);
	assert_int_equal(o.bind_addr, 0xc6120002);
	assert_int_equal(o.bind_port, 4000);
	assert_int_equal(o.timeout_ns, 250 * US_NSEC_PER_MSEC);
	assert_false(o.hash);

	/* --opt=value, options before the address, the extremes of each range. */
	assert_int_equal(parse_line("connect --send=0 --write-size=1048576 "
				    "--keepalive=32767,32767,127 --bind=198.18.0.2 "
				    "--timeout=3600 --hold=0 198.18.0.1 65535",
				    &o, err, sizeof(err)),
			 0);
	assert_true(o.send);
	assert_int_equal(o.send_bytes, 0);
	assert_int_equal(o.write_size, 1048576);
	assert_int_equal(o.keep_cnt, 127);
	assert_int_equal(o.bind_port, 0);
	assert_int_equal(o.timeout_ns, 3600 * US_NSEC_PER_SEC);
	assert_int_equal(o.port, 65535);
}

static void test_parse_refusals(void **state)
{
	static const struct {
		const char *line;
		const char *why; /* a piece of the reason */
	} bad[] = {
		{ "connect", "ADDR PORT" },
		{ "connect 198.18.0.1", "ADDR PORT" },
		{ "listen 198.18.0.1 80", "connect" },
		{ "connect example.com 80", "not an IPv4 address" },
		{ "connect 198.18.0.1 0", "not a port" },
		{ "connect 198.18.0.1 65536", "not a port" },
		{ "connect 198.18.0.1 80 81", "unexpected argument" },
		{ "connect 198.18.0.1 80 --send", "needs a value" },
		{ "connect 198.18.0.1 80 --send -1", "not a byte count" },
		{ "connect 198.18.0.1 80 --send 1099511627777", "not a byte count" },
		{ "connect 198.18.0.1 80 --write-size 0", "--write-size" },
		{ "connect 198.18.0.1 80 --write-size 1048577", "--write-size" },
		{ "connect 198.18.0.1 80 --keepalive 1,1", "--keepalive" },
		{ "connect 198.18.0.1 80 --keepalive 1,,3", "--keepalive" },
		{ "connect 198.18.0.1 80 --keepalive 0,1,1", "--keepalive" },
		{ "connect 198.18.0.1 80 --keepalive 1,1,128", "--keepalive" },
		{ "connect 198.18.0.1 80 --keepalive 1,1,1,1", "--keepalive" },
		{ "connect 198.18.0.1 80 --keepalive 1,1,", "--keepalive" },
		{ "connect 198.18.0.1 80 --hold 3601", "--hold" },
		{ "connect 198.18.0.1 80 --timeout 0", "--timeout" },
		{ "connect 198.18.0.1 80 --timeout 3600.5", "--timeout" },
		{ "connect 198.18.0.1 80 --cc BBR!", "--cc" },
		{ "connect 198.18.0.1 80 --cc abcdefghijklmnop", "--cc" },
		{ "connect 198.18.0.1 80 --bind 198.18.0.2:70000", "--bind" },
		{ "connect 198.18.0.1 80 --bind 198.18.0", "--bind" },
		{ "connect 198.18.0.1 80 --recv=1", "takes no value" },
		{ "connect 198.18.0.1 80 --sned 5", "unknown option" },
		{ "connect 198.18.0.1 80 -x", "unexpected argument" },
	};
	struct tcpc_opts o;
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse_line(bad[i].line, &o, err, sizeof(err)) != -EINVAL ||
		    !strstr(err, bad[i].why))
			fail_msg("\"%s\": got \"%s\", wanted a reason with \"%s\"", bad[i].line,
				 err, bad[i].why);
	}
}

static void test_errno_names(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(tcpc_errno_name(ECONNREFUSED, buf), "ECONNREFUSED");
	assert_string_equal(tcpc_errno_name(-ETIMEDOUT, buf), "ETIMEDOUT");
	assert_string_equal(tcpc_errno_name(ECONNRESET, buf), "ECONNRESET");
	assert_string_equal(tcpc_errno_name(EHOSTUNREACH, buf), "EHOSTUNREACH");
	assert_string_equal(tcpc_errno_name(9999, buf), "E9999");
	assert_string_equal(tcpc_close_name(TCPC_CLOSE_FIN), "fin");
	assert_string_equal(tcpc_close_name(TCPC_CLOSE_RESET), "reset");
	assert_string_equal(tcpc_close_name(TCPC_CLOSE_TIMEOUT), "timeout");
	assert_string_equal(tcpc_close_name(TCPC_CLOSE_LOCAL), "local");
	assert_string_equal(tcpc_close_name(TCPC_CLOSE_INTERRUPTED), "interrupted");
}

/* A finished transfer: 1000000 bytes each way in half a second. */
static void sample_result(struct tcpc_opts *o, struct tcpc_result *r)
{
	char err[160];

	assert_int_equal(parse_line("connect 198.18.0.1 7 --send 1000000 --shutdown --recv", o, err,
				    sizeof(err)),
			 0);
	memset(r, 0, sizeof(*r));
	snprintf(r->local, sizeof(r->local), "198.18.0.2:40001");
	snprintf(r->remote, sizeof(r->remote), "198.18.0.1:7");
	r->connected = true;
	r->connect_ms = 0.21;
	r->sent = 1000000;
	r->send_done = true;
	r->send_seconds = 0.5;
	r->received = 1000000;
	r->eof = true;
	r->recv_seconds = 0.5;
	r->hash = true;
	memset(r->sent_sha256, 'a', 64);
	memset(r->received_sha256, 'a', 64);
	r->close = TCPC_CLOSE_FIN;
	r->timeout_s = 30;
	r->have_info = true;
	r->info = (struct tcpc_info){ .state = "LAST-ACK", .cc = "cubic", .mss = 1448,
				      .cwnd = 14480, .ssthresh = UINT32_MAX, .srtt_us = 1500,
				      .rttvar_us = 750, .rto_ms = 201, .total_retrans = 2,
				      .bytes_acked = 1000001, .bytes_received = 1000001,
				      .segs_out = 700, .segs_in = 710, .snd_wnd = 65536,
				      .rcv_wnd = 131072, .snd_wscale = 7, .rcv_wscale = 9,
				      .sack = true, .timestamps = true };
}

static void test_text_lines(void **state)
{
	struct tcpc_opts o;
	struct tcpc_result r;
	char line[256];

	(void)state;
	sample_result(&o, &r);
	tcpc_fmt_connected(&r, line, sizeof(line));
	assert_string_equal(line, "connected 198.18.0.2:40001 -> 198.18.0.1:7 in 0.210 ms\n");
	tcpc_fmt_sent(&r, line, sizeof(line));
	assert_string_equal(line, "sent 1000000 bytes in 0.500 s (16.0 Mbit/s)\n");
	tcpc_fmt_received(&r, line, sizeof(line));
	assert_string_equal(line, "received 1000000 bytes sha256 "
				  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				  " in 0.500 s (16.0 Mbit/s)\n");
	tcpc_fmt_closed(&r, line, sizeof(line));
	assert_string_equal(line, "closed: fin\n");
	tcpc_fmt_error(&r, line, sizeof(line));
	assert_string_equal(line, "");
	assert_int_equal(tcpc_status(&o, &r), 0);

	r.hash = false;
	r.eof = false;
	r.send_done = false;
	tcpc_fmt_received(&r, line, sizeof(line));
	assert_string_equal(line, "received 1000000 bytes (no FIN)\n");
	tcpc_fmt_sent(&r, line, sizeof(line));
	assert_string_equal(line, "sent 1000000 bytes (not all acknowledged)\n");
	assert_int_equal(tcpc_status(&o, &r), 1);

	r.err = ECONNREFUSED;
	r.err_op = "connect";
	r.close = TCPC_CLOSE_RESET;
	tcpc_fmt_error(&r, line, sizeof(line));
	assert_string_equal(line, "connect: Connection refused\n");
	tcpc_fmt_closed(&r, line, sizeof(line));
	assert_string_equal(line, "closed: reset\n");
	r.timed_out = true;
	tcpc_fmt_closed(&r, line, sizeof(line));
	assert_string_equal(line, "closed: timeout (--timeout 30 s expired)\n");
}

static void test_json_report(void **state)
{
	struct tcpc_opts o;
	struct tcpc_result r;
	struct us_buf b;

	(void)state;
	sample_result(&o, &r);
	us_buf_init(&b, 1 << 16);
	tcpc_json(&o, &r, &b);
	us_buf_putc(&b, '\0');
	assert_false(b.overflow);
	assert_string_equal(
		b.data,
		"{\"local\":\"198.18.0.2:40001\",\"remote\":\"198.18.0.1:7\",\"connect_ms\":0.210,"
		"\"error\":null,\"error_op\":null,\"sent\":1000000,\"sent_sha256\":"
		"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
		"\"send_seconds\":0.500000,\"send_mbit_s\":16.0,\"received\":1000000,"
		"\"received_sha256\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
		"\"recv_seconds\":0.500000,\"recv_mbit_s\":16.0,\"close\":\"fin\",\"timed_out\":false,"
		"\"tcp_info\":{\"state\":\"LAST-ACK\",\"cc\":\"cubic\",\"mss\":1448,\"cwnd\":10,"
		"\"cwnd_bytes\":14480,\"ssthresh\":null,\"rtt_ms\":1.500,\"rttvar_ms\":0.750,"
		"\"rto_ms\":201,\"retrans\":0,\"total_retrans\":2,\"lost\":0,\"sacked\":0,"
		"\"bytes_acked\":1000001,\"bytes_received\":1000001,\"segs_out\":700,\"segs_in\":710,"
		"\"snd_wnd\":65536,\"rcv_wnd\":131072,\"snd_wscale\":7,\"rcv_wscale\":9,"
		"\"sack\":true,\"ts\":true}}");
	us_buf_free(&b);

	/* A refused connection: nulls where nothing happened. */
	memset(&r, 0, sizeof(r));
	snprintf(r.remote, sizeof(r.remote), "198.18.0.1:5001");
	r.err = ECONNREFUSED;
	r.err_op = "connect";
	r.close = TCPC_CLOSE_RESET;
	us_buf_init(&b, 1 << 16);
	tcpc_json(&o, &r, &b);
	us_buf_putc(&b, '\0');
	assert_string_equal(b.data,
			    "{\"local\":null,\"remote\":\"198.18.0.1:5001\",\"connect_ms\":null,"
			    "\"error\":\"ECONNREFUSED\",\"error_op\":\"connect\",\"sent\":0,"
			    "\"sent_sha256\":null,\"send_seconds\":null,\"send_mbit_s\":null,"
			    "\"received\":0,\"received_sha256\":null,\"recv_seconds\":null,"
			    "\"recv_mbit_s\":null,\"close\":\"reset\",\"timed_out\":false,"
			    "\"tcp_info\":null}");
	us_buf_free(&b);
	assert_int_equal(tcpc_status(&o, &r), 1);
}

/* ---- end to end ---------------------------------------------------------------------- */

struct env {
	struct pairnet n;
	char dir[64];
	char path[108];
	struct us_ctl_server *srv;
	struct us_tcp_service *echo, *discard, *chargen;
};

struct result {
	int status; /* -1: closed without an exit message */
	bool closed;
	char out[1 << 16];
	size_t outlen;
	char err[1 << 12];
	size_t errlen;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	pn_new(&e->n);
	e->n.a->log.level = US_LOG_ERR;
	e->n.b->log.level = US_LOG_ERR;
	snprintf(e->dir, sizeof(e->dir), "/tmp/ustack-tcpc-test.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->path, sizeof(e->path), "%s/a.sock", e->dir);
	assert_int_equal(us_ctl_server_start(e->n.a, e->path, &e->srv), 0);
	assert_int_equal(us_tcp_service_start(e->n.b, "echo", 7, &e->echo), 0);
	assert_int_equal(us_tcp_service_start(e->n.b, "discard", 9, &e->discard), 0);
	assert_int_equal(us_tcp_service_start(e->n.b, "chargen", 19, &e->chargen), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	us_ctl_server_stop(e->srv);
	us_tcp_service_stop(e->echo);
	us_tcp_service_stop(e->discard);
	us_tcp_service_stop(e->chargen);
	pn_free(&e->n); /* lets every close finish; checks no packet buffer leaked */
	rmdir(e->dir);
	free(e);
	return 0;
}

static int send_cmd(struct env *e, const char *cmdline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[512], req[CTL_REQ_MAX], *argv[32];
	int argc = 0, len, fd;

	snprintf(line, sizeof(line), "%s", cmdline);
	for (char *t = strtok(line, " "); t && argc < 32; t = strtok(NULL, " "))
		argv[argc++] = t;
	len = ctl_req_encode("/tmp", argc, argv, req, sizeof(req));
	assert_true(len > 0);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", e->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, req, (size_t)len, 0), len);
	return fd;
}

/* Reads what the server sent; true once the exchange is over. */
static bool drain(int fd, struct result *r)
{
	uint8_t buf[CTL_MSG_MAX + 16];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		int st;

		if (n < 0)
			return false;
		if (n == 0) {
			r->closed = true;
			return true;
		}
		assert_int_equal(ctl_reply_check(buf, (size_t)n, &st), 0);
		if (buf[0] == CTL_MSG_STDOUT) {
			assert_true(r->outlen + (size_t)n < sizeof(r->out));
			memcpy(r->out + r->outlen, buf + 1, (size_t)n - 1);
			r->outlen += (size_t)n - 1;
			r->out[r->outlen] = '\0';
		} else if (buf[0] == CTL_MSG_STDERR) {
			assert_true(r->errlen + (size_t)n < sizeof(r->err));
			memcpy(r->err + r->errlen, buf + 1, (size_t)n - 1);
			r->errlen += (size_t)n - 1;
			r->err[r->errlen] = '\0';
		} else {
			assert_int_equal(r->status, -1);
			r->status = st;
		}
	}
}

static void result_init(struct result *r)
{
	memset(r, 0, sizeof(*r));
	r->status = -1;
}

/* Runs the pair (1 ms of virtual time per step) until the command is over or
 * @max_ms pass; returns the virtual time taken, in ms. */
static uint64_t collect(struct env *e, int fd, struct result *r, uint64_t max_ms)
{
	uint64_t start = us_stack_now_ns(e->n.a);

	for (uint64_t t = 0; t < max_ms && !drain(fd, r); t++)
		pn_run(&e->n, 1);
	assert_true(r->closed);
	close(fd);
	return (us_stack_now_ns(e->n.a) - start) / US_NSEC_PER_MSEC;
}

static uint64_t run_cmd(struct env *e, const char *cmdline, struct result *r, uint64_t max_ms)
{
	result_init(r);
	return collect(e, send_cmd(e, cmdline), r, max_ms);
}

/* SHA-256 (hex) of bytes [0, n) of the /bytes/N stream. */
static void stream_sha256(uint64_t n, char hex[SHA256_HEX_LEN])
{
	static uint8_t buf[65536];
	uint8_t digest[SHA256_DIGEST_LEN];
	struct sha256 s;

	sha256_init(&s);
	for (uint64_t off = 0; off < n; off += sizeof(buf)) {
		size_t k = n - off < sizeof(buf) ? (size_t)(n - off) : sizeof(buf);
		http_stream_fill(off, buf, k);
		sha256_update(&s, buf, k);
	}
	sha256_final(&s, digest);
	sha256_hex(digest, hex);
}

/* The value of "key": in a one-line JSON object, as text (up to a comma or brace). */
static const char *json_field(const char *doc, const char *key, char *buf, size_t len)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(doc, pat);
	if (!p)
		fail_msg("no \"%s\" in %s", key, doc);
	p += strlen(pat);
	if (*p == '"')
		p++;
	while (p[n] && p[n] != ',' && p[n] != '}' && p[n] != '"' && n + 1 < len)
		n++;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static void test_send_to_discard(void **state)
{
	struct env *e = *state;
	static struct result r;
	char want[SHA256_HEX_LEN], v[128];

	run_cmd(e, "-j tcp connect 198.18.0.2 9 --send 1000000", &r, 20000);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	stream_sha256(1000000, want);
	assert_string_equal(json_field(r.out, "sent", v, sizeof(v)), "1000000");
	assert_string_equal(json_field(r.out, "sent_sha256", v, sizeof(v)), want);
	assert_string_equal(json_field(r.out, "received", v, sizeof(v)), "0");
	assert_string_equal(json_field(r.out, "error", v, sizeof(v)), "null");
	assert_string_equal(json_field(r.out, "close", v, sizeof(v)), "fin");
	assert_string_equal(json_field(r.out, "remote", v, sizeof(v)), "198.18.0.2:9");
	assert_memory_equal(json_field(r.out, "local", v, sizeof(v)), "198.18.0.1:", 11);
	assert_string_equal(json_field(r.out, "timed_out", v, sizeof(v)), "false");
	/* discard closes after our FIN: its FIN ends the receive side too. */
	assert_string_not_equal(json_field(r.out, "recv_seconds", v, sizeof(v)), "null");
	assert_string_not_equal(json_field(r.out, "send_seconds", v, sizeof(v)), "null");
	/* Every byte acknowledged (the engine may count our FIN too). */
	assert_true(strtoull(json_field(r.out, "bytes_acked", v, sizeof(v)), NULL, 10) >= 1000000);
	assert_string_equal(json_field(r.out, "cc", v, sizeof(v)), "cubic");
	assert_int_equal(r.out[r.outlen - 1], '\n');
}

static void test_echo_half_close_text(void **state)
{
	struct env *e = *state;
	static struct result r;
	char want[SHA256_HEX_LEN], line[256];
	const char *p;

	run_cmd(e, "tcp connect 198.18.0.2 7 --send 300000 --shutdown --recv --write-size 1000",
		&r, 20000);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	/* One line per phase, in order. */
	assert_memory_equal(r.out, "connected 198.18.0.1:", 21);
	p = strstr(r.out, " -> 198.18.0.2:7 in ");
	assert_non_null(p);
	p = strstr(p, "\nsent 300000 bytes in ");
	assert_non_null(p);
	stream_sha256(300000, want);
	snprintf(line, sizeof(line), "\nreceived 300000 bytes sha256 %s in ", want);
	p = strstr(p, line);
	assert_non_null(p);
	p = strstr(p, "\nclosed: fin\n");
	assert_non_null(p);
	assert_int_equal(p[13], '\0');
}

static void test_small_writes(void **state)
{
	struct env *e = *state;
	static struct result r;
	char want[SHA256_HEX_LEN], v[128];

	run_cmd(e, "-j tcp connect 198.18.0.2 9 --send 100000 --write-size 64 --nodelay --cc reno",
		&r, 20000);
	assert_int_equal(r.status, 0);
	stream_sha256(100000, want);
	assert_string_equal(json_field(r.out, "sent", v, sizeof(v)), "100000");
	assert_string_equal(json_field(r.out, "sent_sha256", v, sizeof(v)), want);
	assert_string_equal(json_field(r.out, "cc", v, sizeof(v)), "reno");
}

static void test_refused(void **state)
{
	struct env *e = *state;
	static struct result r;
	uint64_t rsts = e->n.b->counters.stat[US_STAT_TcpOutRsts];
	uint64_t fails = e->n.a->counters.stat[US_STAT_TcpAttemptFails];
	char v[128];

	run_cmd(e, "tcp connect 198.18.0.2 5", &r, 5000);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "connect: Connection refused\n");
	assert_string_equal(r.out, "closed: reset\n");
	assert_int_equal(e->n.b->counters.stat[US_STAT_TcpOutRsts], rsts + 1);
	assert_int_equal(e->n.a->counters.stat[US_STAT_TcpAttemptFails], fails + 1);

	run_cmd(e, "-j tcp connect 198.18.0.2 5", &r, 5000);
	assert_int_equal(r.status, 1);
	assert_string_equal(json_field(r.out, "error", v, sizeof(v)), "ECONNREFUSED");
	assert_string_equal(json_field(r.out, "error_op", v, sizeof(v)), "connect");
	assert_string_equal(json_field(r.out, "close", v, sizeof(v)), "reset");
	assert_string_equal(json_field(r.out, "connect_ms", v, sizeof(v)), "null");

	/* Nothing to connect to at all: the ARP request goes unanswered. */
	run_cmd(e, "-j tcp connect 198.18.0.99 80 --timeout 20", &r, 60000);
	assert_int_equal(r.status, 1);
	assert_string_equal(json_field(r.out, "error", v, sizeof(v)), "EHOSTUNREACH");
}

static void test_timeout(void **state)
{
	struct env *e = *state;
	static struct result r;
	uint64_t rsts = e->n.a->counters.stat[US_STAT_TcpOutRsts];
	uint64_t ms;
	char v[128];

	/* chargen never ends: --timeout does, with a reset. */
	ms = run_cmd(e, "-j tcp connect 198.18.0.2 19 --recv --timeout 0.5", &r, 5000);
	assert_int_equal(r.status, 1);
	assert_true(ms >= 500 && ms <= 520);
	assert_string_equal(json_field(r.out, "close", v, sizeof(v)), "timeout");
	assert_string_equal(json_field(r.out, "timed_out", v, sizeof(v)), "true");
	assert_string_equal(json_field(r.out, "error", v, sizeof(v)), "null");
	assert_string_not_equal(json_field(r.out, "received", v, sizeof(v)), "0");
	assert_string_equal(json_field(r.out, "recv_seconds", v, sizeof(v)), "null");
	assert_int_equal(e->n.a->counters.stat[US_STAT_TcpOutRsts], rsts + 1);

	run_cmd(e, "tcp connect 198.18.0.2 19 --recv --timeout 0.2 --no-hash", &r, 5000);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "\nreceived "));
	assert_non_null(strstr(r.out, " bytes (no FIN)\n"
				      "closed: timeout (--timeout 0.2 s expired)\n"));
}

static void test_keepalive_hold(void **state)
{
	struct env *e = *state;
	static struct result r;
	uint64_t probes = e->n.a->counters.stat[US_STAT_TcpExtTCPKeepAlive], ms;

	/* Idle 1 s, then a probe every second (each answered) until the hold ends. */
	ms = run_cmd(e, "tcp connect 198.18.0.2 9 --keepalive 1,1,3 --hold 3.5", &r, 10000);
	assert_int_equal(r.status, 0);
	assert_true(ms >= 3500 && ms < 3600);
	assert_int_equal(e->n.a->counters.stat[US_STAT_TcpExtTCPKeepAlive], probes + 3);
	assert_non_null(strstr(r.out, "\nclosed: fin\n"));
}

static void test_interrupt(void **state)
{
	struct env *e = *state;
	static struct result r;
	char intr = CTL_MSG_INTERRUPT;
	int fd;

	result_init(&r);
	fd = send_cmd(e, "tcp connect 198.18.0.2 9 --send 1000 --hold 100");
	for (int t = 0; t < 1000 && !strstr(r.out, "\nsent 1000 bytes"); t++) {
		pn_run(&e->n, 1);
		assert_false(drain(fd, &r));
	}
	assert_non_null(strstr(r.out, "\nsent 1000 bytes"));
	assert_int_equal(send(fd, &intr, 1, 0), 1);
	collect(e, fd, &r, 1000);
	assert_int_equal(r.status, 0); /* everything asked for was done */
	assert_non_null(strstr(r.out, "\nclosed: interrupted\n"));

	/* Interrupted before the end of the transfer: not a success. */
	result_init(&r);
	fd = send_cmd(e, "tcp connect 198.18.0.2 19 --recv");
	pn_run(&e->n, 50);
	assert_int_equal(send(fd, &intr, 1, 0), 1);
	collect(e, fd, &r, 1000);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "\nclosed: interrupted\n"));
}

static void test_client_gone(void **state)
{
	struct env *e = *state;
	struct result r;
	int fd;

	/* The client hangs up mid-transfer: the job is cancelled, the connection reset. */
	result_init(&r);
	fd = send_cmd(e, "tcp connect 198.18.0.2 9 --send 100000000");
	pn_run(&e->n, 20);
	drain(fd, &r);
	assert_non_null(strstr(r.out, "connected "));
	close(fd);
	pn_run(&e->n, 100);
	/* No job left behind: the limit of TCPC_MAX_JOBS is all there again (see below),
	 * and teardown finds no packet buffer in use. */
	run_cmd(e, "tcp connect 198.18.0.2 9 --send 10", &r, 5000);
	assert_int_equal(r.status, 0);
}

static void test_job_limit(void **state)
{
	struct env *e = *state;
	static struct result r;
	int fds[TCPC_MAX_JOBS];

	for (int i = 0; i < TCPC_MAX_JOBS; i++) {
		fds[i] = send_cmd(e, "tcp connect 198.18.0.2 9 --hold 100");
		pn_run(&e->n, 1);
	}
	pn_run(&e->n, 20);
	run_cmd(e, "tcp connect 198.18.0.2 9", &r, 1000);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "Device or resource busy (at most 64 tcp commands at once)"));
	for (int i = 0; i < TCPC_MAX_JOBS; i++)
		close(fds[i]);
	pn_run(&e->n, 50);
	run_cmd(e, "tcp connect 198.18.0.2 9", &r, 5000);
	assert_int_equal(r.status, 0);
}

static void test_usage(void **state)
{
	struct env *e = *state;
	static struct result r;

	run_cmd(e, "tcp", &r, 100);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "usage: tcp connect ADDR PORT"));
	run_cmd(e, "tcp connect 198.18.0.2 9 --write-size 0", &r, 100);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "ustack: tcp: --write-size 0: not in 1..1048576\n"));
	run_cmd(e, "tcp connect 198.18.0.2 9 --cc nosuch", &r, 100);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "setsockopt TCP_CONGESTION: No such file or directory\n");
	run_cmd(e, "tcp connect 198.18.0.2 9 --bind 198.18.0.77", &r, 100);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "bind: Cannot assign requested address\n");
}

/* The one string setting, through get, set and settings (src/ctl/cmd_conf.c). */
static void test_cc_setting(void **state)
{
	struct env *e = *state;
	static struct result r;
	char v[128];

	run_cmd(e, "get net.ipv4.tcp_congestion_control", &r, 100);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "net.ipv4.tcp_congestion_control = cubic\n");
	run_cmd(e, "set net.ipv4.tcp_congestion_control=reno", &r, 100);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "net.ipv4.tcp_congestion_control = reno\n");
	run_cmd(e, "-j get net.ipv4.tcp_congestion_control", &r, 100);
	assert_string_equal(r.out, "{\"net.ipv4.tcp_congestion_control\":\"reno\"}\n");
	run_cmd(e, "-j set net.ipv4.tcp_congestion_control=vegas net.ipv4.ip_default_ttl=64", &r,
		100);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "{\"net.ipv4.tcp_congestion_control\":\"vegas\","
				   "\"net.ipv4.ip_default_ttl\":64}\n");
	run_cmd(e, "set net.ipv4.tcp_congestion_control=bbr", &r, 100);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "unknown algorithm \"bbr\" (available: reno"));
	run_cmd(e, "settings", &r, 100);
	assert_non_null(strstr(r.out, "\nnet.ipv4.tcp_congestion_control                = vegas "
				      "    # congestion control of new connections (default cubic; "));
	run_cmd(e, "-j settings", &r, 100);
	assert_non_null(strstr(r.out, "{\"name\":\"net.ipv4.tcp_congestion_control\","
				      "\"value\":\"vegas\",\"default\":\"cubic\",\"min\":null,"
				      "\"max\":null,"));
	/* New connections start with it. */
	run_cmd(e, "-j tcp connect 198.18.0.2 9 --send 1000", &r, 5000);
	assert_int_equal(r.status, 0);
	assert_string_equal(json_field(r.out, "cc", v, sizeof(v)), "vegas");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_defaults),
		cmocka_unit_test(test_parse_everything),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_errno_names),
		cmocka_unit_test(test_text_lines),
		cmocka_unit_test(test_json_report),
		cmocka_unit_test_setup_teardown(test_send_to_discard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_half_close_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keepalive_hold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cc_setting, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
