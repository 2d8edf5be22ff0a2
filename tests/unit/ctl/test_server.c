/*
 * test_server.c - the control server (src/ctl/server.c) end to end over a real
 * Unix SOCK_SEQPACKET socket, on a stack with the virtual clock and only the
 * loopback device: request framing as the server sees it (malformed, oversized,
 * a second message), command dispatch and exit statuses, output ordering, the
 * client limit, the request timeout, stale and live socket files, and -j output.
 *
 * The test plays the client by hand (raw messages) and drives the stack's loop
 * itself (us_stack_poll), so nothing here sleeps or depends on timing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/stack.h"
#include "ctl/proto.h"
#include "ctl/server.h"
#include "neigh/neigh.h"
#include "socket/sock.h"
#include "ustack/ctl.h"
#include "ustack/socket.h"
#include "ustack/ustack.h"

#define POLL_ROUNDS 2000

struct env {
	char dir[64];
	char path[108];
	struct us_stack *st;
	struct us_ctl_server *srv;
};

struct result {
	int status;          /* -1: the connection closed without an exit message */
	bool closed;
	char out[1 << 22];
	size_t outlen;
	char err[1 << 12];
	size_t errlen;
	int nmsgs;
};

static int setup(void **state)
{
	struct us_stack_opts so = { .name = "t", .virtual_clock = true,
				    .clock_start_ns = 1000 * US_NSEC_PER_SEC, .seed = 1 };
	struct env *e = calloc(1, sizeof(*e));

	snprintf(e->dir, sizeof(e->dir), "/tmp/ustack-ctl-test.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->path, sizeof(e->path), "%s/run/t.sock", e->dir);
	e->st = us_stack_new(&so);
	assert_non_null(e->st);
	e->st->log.level = US_LOG_ERR; /* test_ping's pair sees its own gratuitous ARP */
	assert_int_equal(us_ctl_server_start(e->st, e->path, &e->srv), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char run[80];

	us_ctl_server_stop(e->srv);
	assert_int_equal(access(e->path, F_OK), -1); /* the socket file is removed */
	assert_int_equal(e->st->pool.in_use, 0);
	assert_int_equal(e->st->pool.large_in_use, 0);
	us_stack_free(e->st);
	snprintf(run, sizeof(run), "%s/run", e->dir);
	rmdir(run);
	rmdir(e->dir);
	free(e);
	return 0;
}

static int connect_client(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Reads whatever the server has sent; returns true once the exchange is over. */
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
		r->nmsgs++;
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
			assert_int_equal(r->status, -1); /* exactly one exit message */
			r->status = st;
		}
	}
}

/* Polls the stack until the server has answered and closed @fd. */
static void collect(struct env *e, int fd, struct result *r)
{
	memset(r, 0, sizeof(*r));
	r->status = -1;
	for (int i = 0; i < POLL_ROUNDS; i++) {
		us_stack_poll(e->st);
		if (drain(fd, r))
			break;
	}
	assert_true(r->closed);
	close(fd);
}

/* As collect, but moves the virtual clock to the next deadline whenever the stack is
 * idle, so timed commands (ping) run to completion in no real time. Optionally sends
 * an interrupt once @interrupt_after stdout lines arrived (0: never). Returns the
 * virtual time it took, in ms. */
static uint64_t collect_timed(struct env *e, int fd, struct result *r, unsigned interrupt_after)
{
	uint64_t start = us_stack_now_ns(e->st);
	bool interrupted = false;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	for (int i = 0; i < 100000; i++) {
		uint64_t next;
		unsigned lines = 0;
		int frames = us_stack_poll(e->st);

		if (drain(fd, r))
			break;
		for (size_t k = 0; k < r->outlen; k++)
			lines += r->out[k] == '\n';
		if (interrupt_after && !interrupted && lines >= interrupt_after) {
			char intr = CTL_MSG_INTERRUPT;
			assert_int_equal(send(fd, &intr, 1, 0), 1);
			interrupted = true;
			continue;
		}
		if (frames > 0)
			continue; /* frames in flight on the loopback: same instant */
		next = us_stack_next_deadline_ns(e->st);
		if (next != UINT64_MAX && next > us_stack_now_ns(e->st))
			us_stack_clock_set(e->st, next);
	}
	assert_true(r->closed);
	close(fd);
	return (us_stack_now_ns(e->st) - start) / US_NSEC_PER_MSEC;
}

static int send_cmd(struct env *e, const char *cmdline)
{
	char line[512], req[CTL_REQ_MAX], *argv[32];
	int argc = 0, len, fd;

	snprintf(line, sizeof(line), "%s", cmdline);
	for (char *t = strtok(line, " "); t && argc < 32; t = strtok(NULL, " "))
		argv[argc++] = t;
	len = ctl_req_encode("/tmp", argc, argv, req, sizeof(req));
	assert_true(len > 0);
	fd = connect_client(e->path);
	assert_int_equal(send(fd, req, (size_t)len, 0), len);
	return fd;
}

static void run_raw(struct env *e, const void *msg, size_t len, struct result *r)
{
	int fd = connect_client(e->path);

	assert_int_equal(send(fd, msg, len, 0), (ssize_t)len);
	collect(e, fd, r);
}

/* Runs a command given as one string of space-separated words. */
static void run(struct env *e, const char *cmdline, struct result *r)
{
	char line[512], req[CTL_REQ_MAX], *argv[32];
	int argc = 0, len;

	snprintf(line, sizeof(line), "%s", cmdline);
	for (char *t = strtok(line, " "); t && argc < 32; t = strtok(NULL, " "))
		argv[argc++] = t;
	len = ctl_req_encode("/tmp", argc, argv, req, sizeof(req));
	assert_true(len > 0);
	run_raw(e, req, (size_t)len, r);
}

static void test_unknown_and_empty(void **state)
{
	struct env *e = *state;
	static struct result r;

	run(e, "bogus", &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown command \"bogus\""));
	assert_int_equal(r.outlen, 0);

	run(e, "-j", &r); /* only the global option: no command */
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "usage"));

	run(e, "help", &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "ustack [-n NAME] [-j] COMMAND"));
}

static void test_malformed_requests(void **state)
{
	struct env *e = *state;
	static struct result r;
	static char big[CTL_REQ_MAX + 100];

	run_raw(e, "Xstat", 5, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "malformed request"));

	run_raw(e, "Q\0stat", 6, &r); /* not NUL-terminated */
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "malformed request"));

	run_raw(e, "Qrelative\0stat\0", 15, &r);
	assert_int_equal(r.status, 2);

	run_raw(e, "I", 1, &r); /* an interrupt before any request */
	assert_int_equal(r.status, 2);

	memset(big, 'a', sizeof(big));
	big[0] = 'Q';
	big[1] = '\0';
	big[sizeof(big) - 1] = '\0';
	run_raw(e, big, sizeof(big), &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "request too large"));

	/* The server still works afterwards. */
	run(e, "get net.ipv4.ip_default_ttl", &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "net.ipv4.ip_default_ttl = 64\n");
}

static void test_settings(void **state)
{
	struct env *e = *state;
	static struct result r;
	int64_t v;

	run(e, "set net.ipv4.ip_default_ttl=33 net.ipv4.icmp_ratelimit=0", &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "net.ipv4.ip_default_ttl = 33\nnet.ipv4.icmp_ratelimit = 0\n");
	assert_int_equal(us_stack_get(e->st, "net.ipv4.ip_default_ttl", &v), 0);
	assert_int_equal(v, 33);

	run(e, "set net.ipv4.bogus=1", &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "unknown setting \"net.ipv4.bogus\""));

	run(e, "set net.ipv4.ip_default_ttl=0", &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "out of range [1, 255]"));

	run(e, "set net.ipv4.ip_default_ttl=abc", &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "not a number"));

	run(e, "set net.ipv4.ip_default_ttl", &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "KEY=VALUE"));

	run(e, "-j get net.ipv4.ip_default_ttl", &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "{\"net.ipv4.ip_default_ttl\":33}\n");

	run(e, "get nope", &r);
	assert_int_equal(r.status, 1);

	run(e, "settings", &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "net.ipv4.ip_forward "));
	assert_non_null(strstr(r.out, "net.ipv4.conf.lo.forwarding "));
}

static void test_stat_json(void **state)
{
	struct env *e = *state;
	static struct result r;

	e->st->counters.stat[US_STAT_IpInReceives] = 42;
	e->st->counters.drop[US_DROP_PKT_TOO_SHORT] = 3;
	run(e, "stat -j", &r);
	assert_int_equal(r.status, 0);
	assert_true(r.outlen > 2);
	assert_memory_equal(r.out, "{\"counters\":{\"IpInReceives\":42,", 31);
	assert_non_null(strstr(r.out, "\"IpInHdrErrors\":0,")); /* zeros too */
	assert_non_null(strstr(r.out, "\"drops\":{"));
	assert_non_null(strstr(r.out, "\"PKT_TOO_SHORT\":3"));
	assert_null(strstr(r.out, "\"NONE\""));
	assert_non_null(strstr(r.out, "\"devices\":{\"lo\":{\"rx_packets\":"));
	assert_memory_equal(r.out + r.outlen - 3, "}}\n", 3);

	run(e, "stat", &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "IpInReceives "));
	assert_non_null(strstr(r.out, "42 "));
	assert_non_null(strstr(r.out, "drop.PKT_TOO_SHORT "));
	assert_null(strstr(r.out, "IpInHdrErrors")); /* zero: hidden without -a */

	run(e, "stat -a", &r);
	assert_non_null(strstr(r.out, "IpInHdrErrors "));

	run(e, "stat --bogus", &r);
	assert_int_equal(r.status, 2);
}

static void test_show_commands(void **state)
{
	struct env *e = *state;
	static struct result r;

	run(e, "link", &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "1: lo: <LOOPBACK,NOARP,UP> mtu 65536 state UP kind loopback"));

	run(e, "-j link show lo", &r);
	assert_int_equal(r.status, 0);
	assert_memory_equal(r.out, "[{\"ifindex\":1,\"ifname\":\"lo\",\"kind\":\"loopback\"", 45);

	run(e, "link show nosuch", &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "cannot find device \"nosuch\""));

	run(e, "addr", &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "    inet 127.0.0.1/8 scope host lo\n"));

	run(e, "-j addr show dev lo", &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "[{\"ifindex\":1,\"dev\":\"lo\",\"family\":\"inet\","
				   "\"local\":\"127.0.0.1\",\"prefixlen\":8,\"scope\":\"host\","
				   "\"secondary\":false}]\n");

	run(e, "route show table local", &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "local 127.0.0.1 dev lo table local proto kernel scope host "
				      "src 127.0.0.1\n"));

	run(e, "route show table nope", &r);
	assert_int_equal(r.status, 2);

	run(e, "neigh", &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.outlen, 0);

	run(e, "-j neigh", &r);
	assert_string_equal(r.out, "[]\n");
}

static void test_changes(void **state)
{
	struct env *e = *state;
	static struct result r;

	run(e, "addr add 198.18.5.1/24 dev lo", &r);
	assert_int_equal(r.status, 0);
	run(e, "addr add 198.18.5.1/24 dev lo", &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "already"));
	run(e, "addr add 198.18.5.300/24 dev lo", &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "invalid address"));
	run(e, "addr add 198.18.5.1/24 dev nosuch", &r);
	assert_int_equal(r.status, 1);

	run(e, "route add unreachable 198.18.9.0/24", &r);
	assert_int_equal(r.status, 0);
	run(e, "route", &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "unreachable 198.18.9.0/24"));
	run(e, "-j route", &r);
	assert_non_null(strstr(r.out, "{\"type\":\"unreachable\",\"dst\":\"198.18.9.0/24\","));
	run(e, "route del 198.18.9.0/24", &r);
	assert_int_equal(r.status, 0);
	run(e, "route del 198.18.9.0/24", &r);
	assert_int_equal(r.status, 1);
	run(e, "route add 198.18.9.0/24 via", &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "needs a value"));

	run(e, "addr del 198.18.5.1/24 dev lo", &r);
	assert_int_equal(r.status, 0);

	run(e, "link set lo mtu 10", &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "out of range"));
	run(e, "link set lo mtu 9000", &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(e->st->devs[1]->mtu, 9000);
	run(e, "link set lo mtu", &r);
	assert_int_equal(r.status, 2);
	assert_int_equal(e->st->devs[1]->mtu, 9000);

	run(e, "neigh add 198.18.5.9 lladdr 02:00:00:00:00:09 dev lo", &r);
	/* loopback has no neighbours: refused by the neighbour layer, but cleanly */
	assert_true(r.status == 0 || r.status == 1);
	run(e, "neigh add 198.18.5.9 lladdr 02:00:00:00:00 dev lo", &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "invalid MAC"));

	run(e, "capture start nosuch /tmp/x.pcap", &r);
	assert_int_equal(r.status, 1);
	run(e, "capture bogus lo x", &r);
	assert_int_equal(r.status, 2);
}

/* Output far larger than the socket buffer: sent in pieces as the client reads. */
static void test_large_output(void **state)
{
	struct env *e = *state;
	static struct result r;
	int lo = us_dev_index(e->st, "lo");
	unsigned lines = 0, objs = 0;
	const int n = 10000;

	assert_true(lo > 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(us_route_add(e->st, 0x0a000000u | (uint32_t)i << 8, 24, 0, lo,
					      "unicast", 0), 0);
	run(e, "route", &r);
	assert_int_equal(r.status, 0);
	assert_true(r.outlen > 100000); /* several socket buffers' worth */
	for (size_t i = 0; i < r.outlen; i++)
		lines += r.out[i] == '\n';
	assert_int_equal(lines, n);
	assert_non_null(strstr(r.out, "10.0.39.0/24 dev lo scope link\n"));
	assert_true(r.nmsgs > 2); /* more than one message, then the exit */

	run(e, "-j route", &r);
	assert_int_equal(r.status, 0);
	for (size_t i = 0; i < r.outlen; i++)
		objs += r.out[i] == '{';
	assert_int_equal(objs, n);
	assert_int_equal(r.out[0], '[');
	assert_memory_equal(r.out + r.outlen - 3, "}]\n", 3);
}

/* Moves the virtual clock by @ms, polling every millisecond. */
static void advance_ms(struct env *e, uint64_t ms)
{
	for (uint64_t i = 0; i < ms; i++) {
		us_stack_clock_set(e->st, us_stack_now_ns(e->st) + US_NSEC_PER_MSEC);
		us_stack_poll(e->st);
	}
}

/* `ss` over connections on the loopback device: the columns, the filters (-t -u -l
 * -a), the -i line and -j. */
static void test_ss(void **state)
{
	struct env *e = *state;
	static struct result r;
	struct sockaddr_in la = { .sin_family = AF_INET, .sin_port = htons(5000),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in ua = { .sin_family = AF_INET, .sin_port = htons(53) };
	char want[256], cport[8];
	struct sockaddr_in ca;
	socklen_t calen = sizeof(ca);
	int l, c, s, u;

	l = us_socket(e->st, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(us_bind(e->st, l, (struct sockaddr *)&la, sizeof(la)), 0);
	assert_int_equal(us_listen(e->st, l, 8), 0);
	u = us_socket(e->st, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(us_bind(e->st, u, (struct sockaddr *)&ua, sizeof(ua)), 0);
	c = us_socket(e->st, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(us_connect(e->st, c, (struct sockaddr *)&la, sizeof(la)), -EINPROGRESS);
	advance_ms(e, 10);
	s = us_accept(e->st, l, NULL, NULL);
	assert_true(s >= 0);
	assert_int_equal(us_send(e->st, c, "hello", 5, 0), 5);
	advance_ms(e, 10);
	assert_int_equal(us_getsockname(e->st, c, (struct sockaddr *)&ca, &calen), 0);
	snprintf(cport, sizeof(cport), "%u", ntohs(ca.sin_port));

	/* Default: connected sockets of both protocols, with a Netid column. */
	run(e, "ss", &r);
	assert_int_equal(r.status, 0);
	assert_true(!strncmp(r.out, "Netid State       Recv-Q  Send-Q ", 33));
	/* Columns: Netid 6, State 11, Recv-Q 7, Send-Q 7, addresses right-aligned in 21 and
	 * ports left-aligned in 6, one space between. The server end holds the 5 bytes. */
	snprintf(want, sizeof(want), "%-6s%-11s %-7s %-7s %21s:%-6s %21s:%-6s\n", "tcp", "ESTAB", "5",
		 "0", "127.0.0.1", "5000", "127.0.0.1", cport);
	assert_non_null(strstr(r.out, want));
	snprintf(want, sizeof(want), "%-6s%-11s %-7s %-7s %21s:%-6s %21s:%-6s\n", "tcp", "ESTAB", "0",
		 "0", "127.0.0.1", cport, "127.0.0.1", "5000");
	assert_non_null(strstr(r.out, want));
	assert_null(strstr(r.out, "LISTEN"));
	assert_null(strstr(r.out, "UNCONN"));

	/* -l: listeners (and unconnected UDP); one protocol: no Netid column. */
	run(e, "ss -tl", &r);
	assert_string_equal(r.out,
		"State       Recv-Q  Send-Q          Local Address:Port            Peer Address:Port  \n"
		"LISTEN      0       8                   127.0.0.1:5000                 0.0.0.0:*     \n");
	run(e, "ss -u --all -n", &r);
	assert_non_null(strstr(r.out, "\nUNCONN      0       0                     0.0.0.0:53   "));
	run(e, "ss -ta", &r);
	assert_non_null(strstr(r.out, "\nLISTEN "));
	assert_non_null(strstr(r.out, "\nESTAB "));
	assert_null(strstr(r.out, "udp"));

	/* -i: the TCP internals on a second line. */
	run(e, "ss -ti", &r);
	snprintf(want, sizeof(want), "127.0.0.1:%-6s\n\t", cport);
	assert_non_null(strstr(r.out, want));
	assert_non_null(strstr(r.out, " cubic "));
	assert_non_null(strstr(r.out, " rto:"));
	assert_non_null(strstr(r.out, " rtt:"));
	assert_non_null(strstr(r.out, " cwnd:10 "));
	assert_non_null(strstr(r.out, " bytes_acked:5 "));
	assert_non_null(strstr(r.out, " bytes_received:5 "));

	/* -j: an array of objects. */
	run(e, "-j ss -tai", &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.out[0], '[');
	assert_non_null(strstr(r.out, "{\"netid\":\"tcp\",\"state\":\"LISTEN\",\"recv_q\":0,"
				      "\"send_q\":8,\"local\":\"127.0.0.1\",\"lport\":5000,"
				      "\"peer\":\"0.0.0.0\",\"pport\":0,\"orphan\":false}"));
	assert_non_null(strstr(r.out, "\"info\":{\"cc\":\"cubic\","));
	assert_memory_equal(r.out + r.outlen - 3, "}]\n", 3);

	run(e, "ss -x", &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "usage: ss"));

	assert_int_equal(us_close(e->st, c), 0);
	assert_int_equal(us_close(e->st, s), 0);
	assert_int_equal(us_close(e->st, l), 0);
	assert_int_equal(us_close(e->st, u), 0);
	advance_ms(e, 200);
}

/* ping over the loopback device, on the virtual clock. */
static void test_ping(void **state)
{
	struct env *e = *state;
	static struct result r;
	unsigned socks = e->st->socks->count;
	uint64_t ms;

	ms = collect_timed(e, send_cmd(e, "ping -c 3 -i 0.5 127.0.0.1"), &r, 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.\n"));
	assert_non_null(strstr(r.out, "64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time="));
	assert_non_null(strstr(r.out, "64 bytes from 127.0.0.1: icmp_seq=3 ttl=64 time="));
	assert_non_null(strstr(r.out, "\n--- 127.0.0.1 ping statistics ---\n"
				      "3 packets transmitted, 3 received, 0% packet loss, time 1000ms\n"
				      "rtt min/avg/max/mdev = "));
	assert_true(ms >= 1000 && ms < 1100); /* requests at 0, 0.5, 1.0 s; replies at once */
	assert_int_equal(e->st->socks->count, socks); /* the ping socket is closed */

	/* -j: the summary object only */
	collect_timed(e, send_cmd(e, "-j ping -c 2 -i 0.01 -s 1000 127.0.0.1"), &r, 0);
	assert_int_equal(r.status, 0);
	assert_memory_equal(r.out, "{\"destination\":\"127.0.0.1\",\"size\":1000,"
				   "\"transmitted\":2,\"received\":2,\"duplicates\":0,\"errors\":0,"
				   "\"loss_pct\":0.000,", 107);
	assert_non_null(strstr(r.out, "\"rtt_ms\":[0.000,0.000]")); /* loopback: same round */

	/* No answer: -W after the last request, exit 1. The requests leave on one end of
	 * an in-memory pair whose other end (same stack, no address) ignores them. */
	{
		static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0x99, 0x01 };
		int pb, pa = us_dev_pair_new(e->st, "pa", e->st, "pb", &pb);

		assert_true(pa > 0 && pb > 0);
		assert_int_equal(us_dev_set_up(e->st, pa, true), 0);
		assert_int_equal(us_dev_set_up(e->st, pb, true), 0);
		assert_int_equal(us_addr_add(e->st, pa, 0xc6126302, 24), 0);
		assert_int_equal(neigh_add_static(e->st, pa, 0xc6126301, mac), 0);
	}
	ms = collect_timed(e, send_cmd(e, "ping -c 2 -i 1 -W 3 198.18.99.1"), &r, 0);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "2 packets transmitted, 0 received, 100% packet loss"));
	assert_true(ms >= 4000 && ms < 4100); /* last request at 1 s, then 3 s */

	/* a route that refuses: send errors, exit 1 */
	assert_int_equal(us_route_add(e->st, 0xc6126200, 24, 0, 0, "unreachable", 0), 0);
	collect_timed(e, send_cmd(e, "ping -c 2 -i 0.1 198.18.98.1"), &r, 0);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "2 packets transmitted, 0 received, +2 errors, 100% packet loss"));
	assert_non_null(strstr(r.err, "ping: sendto 198.18.98.1: "));

	/* usage errors */
	collect_timed(e, send_cmd(e, "ping -s 65508 127.0.0.1"), &r, 0);
	assert_int_equal(r.status, 2);
	collect_timed(e, send_cmd(e, "ping -i 0.001 127.0.0.1"), &r, 0);
	assert_int_equal(r.status, 2);
	collect_timed(e, send_cmd(e, "ping -x 127.0.0.1"), &r, 0);
	assert_int_equal(r.status, 2);
	collect_timed(e, send_cmd(e, "ping localhost"), &r, 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "not an IPv4 address"));
	assert_int_equal(e->st->socks->count, socks);
}

/* ^C: an interrupt message ends an endless ping with its summary. */
static void test_ping_interrupt(void **state)
{
	struct env *e = *state;
	static struct result r;
	unsigned socks = e->st->socks->count;

	collect_timed(e, send_cmd(e, "ping -i 0.2 127.0.0.1"), &r, 4); /* header + 3 replies */
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "3 packets transmitted, 3 received, 0% packet loss"));
	assert_int_equal(e->st->socks->count, socks);
}

/* A client that goes away mid-ping cancels it: socket closed, timer gone, no output. */
static void test_ping_disconnect(void **state)
{
	struct env *e = *state;
	static struct result r;
	unsigned socks = e->st->socks->count;
	int fd = send_cmd(e, "ping -i 0.2 127.0.0.1");

	for (int i = 0; i < 5; i++)
		us_stack_poll(e->st);
	assert_int_equal(e->st->socks->count, socks + 1);
	close(fd);
	for (int i = 0; i < 5; i++)
		us_stack_poll(e->st);
	assert_int_equal(e->st->socks->count, socks);
	us_stack_clock_set(e->st, us_stack_now_ns(e->st) + 5 * US_NSEC_PER_SEC);
	us_stack_poll(e->st); /* a timer left behind would fire into freed memory here */
	run(e, "get net.ipv4.ip_forward", &r);
	assert_int_equal(r.status, 0);
}

/* Stopping the server while a ping runs cancels it (teardown checks for leaks). */
static void test_stop_with_running_ping(void **state)
{
	struct env *e = *state;
	int fd = send_cmd(e, "ping -i 0.2 127.0.0.1");

	for (int i = 0; i < 5; i++)
		us_stack_poll(e->st);
	us_ctl_server_stop(e->srv);
	e->srv = NULL;
	assert_int_equal(e->st->socks->count, 0);
	us_stack_clock_set(e->st, us_stack_now_ns(e->st) + 5 * US_NSEC_PER_SEC);
	us_stack_poll(e->st);
	close(fd);
}

static void test_second_message(void **state)
{
	struct env *e = *state;
	static struct result r;
	char req[64];
	char *argv[] = { "stat" };
	int len = ctl_req_encode("", 1, argv, req, sizeof(req));
	int fd = connect_client(e->path);

	/* Two requests back to back: the first is answered, the second is ignored. */
	assert_int_equal(send(fd, req, (size_t)len, 0), len);
	assert_int_equal(send(fd, req, (size_t)len, 0), len);
	collect(e, fd, &r);
	assert_int_equal(r.status, 0);
}

static void test_client_limit_and_timeout(void **state)
{
	struct env *e = *state;
	static struct result r;
	int fds[CTL_MAX_CLIENTS];
	int extra;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		fds[i] = connect_client(e->path);
		us_stack_poll(e->st); /* accepted, waiting for a request */
	}
	extra = connect_client(e->path);
	collect(e, extra, &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "too many control connections"));

	/* Silent clients are dropped after CTL_REQ_TIMEOUT_NS. */
	us_stack_clock_set(e->st, us_stack_now_ns(e->st) + CTL_REQ_TIMEOUT_NS + US_NSEC_PER_SEC);
	us_stack_poll(e->st);
	us_stack_poll(e->st);
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		char b[16];
		assert_int_equal(recv(fds[i], b, sizeof(b), MSG_DONTWAIT), 0); /* closed */
		close(fds[i]);
	}
	/* And the slots are free again. */
	run(e, "get net.ipv4.ip_forward", &r);
	assert_int_equal(r.status, 0);
}

static void test_disconnect_midway(void **state)
{
	struct env *e = *state;
	static struct result r;
	char req[64];
	char *argv[] = { "settings" };
	int len = ctl_req_encode("", 1, argv, req, sizeof(req));
	int fd = connect_client(e->path);

	assert_int_equal(send(fd, req, (size_t)len, 0), len);
	close(fd); /* gone before the answer: the server must just clean up */
	for (int i = 0; i < 5; i++)
		us_stack_poll(e->st);
	run(e, "get net.ipv4.ip_forward", &r);
	assert_int_equal(r.status, 0);
}

static void test_socket_file(void **state)
{
	struct env *e = *state;
	struct us_ctl_server *srv2 = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char stale[108];
	int fd;

	/* A live server answers: refuse. */
	assert_int_equal(us_ctl_server_start(e->st, e->path, &srv2), -EADDRINUSE);
	assert_null(srv2);

	/* A stale socket file (its server died without removing it): taken over. */
	snprintf(stale, sizeof(stale), "%s/run/stale.sock", e->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", stale);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(access(stale, F_OK), 0);
	assert_int_equal(us_ctl_server_start(e->st, stale, &srv2), 0);
	us_ctl_server_stop(srv2);
	assert_int_equal(access(stale, F_OK), -1);

	/* Something that is not a socket: left alone. */
	fd = open(stale, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(us_ctl_server_start(e->st, stale, &srv2), -EEXIST);
	unlink(stale);
}

/* The output queue's framing, on a client record built by hand (no socket). */
static uint32_t rec_at(const struct ctl_client *c, size_t off, char *type)
{
	uint32_t n;

	memcpy(&n, c->outq.data + off, 4);
	*type = c->outq.data[off + 4];
	return n;
}

static void test_output_framing(void **state)
{
	static struct ctl_client c;
	static char big[40000];
	size_t off = 0;
	uint32_t n;
	char type;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.state = CTL_CL_RUNNING;
	c.last_rec = SIZE_MAX;
	us_buf_init(&c.outq, CTL_OUT_MAX + 4096);

	memset(big, 'a', sizeof(big));
	ctl_write(&c, CTL_MSG_STDOUT, big, sizeof(big)); /* split at CTL_MSG_MAX */
	ctl_printf(&c, "%s", "b");                        /* extends the last stdout record */
	ctl_eprintf(&c, "err %d\n", 1);                   /* a new record: other type */
	ctl_printf(&c, "c");                              /* and a new one again */
	ctl_finish(&c, 3);
	ctl_printf(&c, "ignored after the end");

	n = rec_at(&c, off, &type);
	assert_int_equal(type, CTL_MSG_STDOUT);
	assert_int_equal(n, 1 + CTL_MSG_MAX);
	off += 4 + n;
	n = rec_at(&c, off, &type);
	assert_int_equal(n, 1 + CTL_MSG_MAX);
	off += 4 + n;
	n = rec_at(&c, off, &type);
	assert_int_equal(type, CTL_MSG_STDOUT);
	assert_int_equal(n, 1 + (sizeof(big) - 2 * CTL_MSG_MAX) + 1);
	assert_int_equal(c.outq.data[off + 4 + n - 1], 'b');
	off += 4 + n;
	n = rec_at(&c, off, &type);
	assert_int_equal(type, CTL_MSG_STDERR);
	assert_int_equal(n, 1 + 6);
	assert_memory_equal(c.outq.data + off + 5, "err 1\n", 6);
	off += 4 + n;
	n = rec_at(&c, off, &type);
	assert_int_equal(type, CTL_MSG_STDOUT);
	assert_int_equal(n, 2);
	off += 4 + n;
	n = rec_at(&c, off, &type);
	assert_int_equal(type, CTL_MSG_EXIT);
	assert_int_equal(n, 2);
	assert_int_equal(c.outq.data[off + 5], 3);
	off += 4 + n;
	assert_int_equal(off, c.outq.len);
	assert_int_equal(c.state, CTL_CL_DONE);
	us_buf_free(&c.outq);
}

/* Output beyond CTL_OUT_MAX is dropped, said on stderr, and fails the command. */
static void test_output_limit(void **state)
{
	static struct ctl_client c;
	char *chunk = malloc(1 << 20);
	size_t off = 0;
	uint32_t n;
	char type;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.state = CTL_CL_RUNNING;
	c.last_rec = SIZE_MAX;
	us_buf_init(&c.outq, CTL_OUT_MAX + 4096);
	memset(chunk, 'x', 1 << 20);
	for (unsigned i = 0; i < (CTL_OUT_MAX >> 20) + 2; i++)
		ctl_write(&c, CTL_MSG_STDOUT, chunk, 1 << 20);
	assert_true(c.truncated);
	assert_true(c.outq.len <= CTL_OUT_MAX);
	ctl_finish(&c, 0);
	/* walk to the last two records: the notice, then exit status 1 */
	for (;;) {
		n = rec_at(&c, off, &type);
		if (type != CTL_MSG_STDOUT)
			break;
		off += 4 + n;
	}
	assert_int_equal(type, CTL_MSG_STDERR);
	assert_non_null(memmem(c.outq.data + off + 5, n - 1, "truncated", 9));
	off += 4 + n;
	n = rec_at(&c, off, &type);
	assert_int_equal(type, CTL_MSG_EXIT);
	assert_int_equal(c.outq.data[off + 5], 1);
	assert_int_equal(off + 4 + n, c.outq.len);
	us_buf_free(&c.outq);
	free(chunk);
}

static void test_socket_path(void **state)
{
	char buf[108];

	(void)state;
	setenv("USTACK_RUNDIR", "/x/y", 1);
	assert_int_equal(us_ctl_socket_path("st1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/x/y/st1.sock");
	unsetenv("USTACK_RUNDIR");
	assert_int_equal(us_ctl_socket_path("st1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/ustack/st1.sock");
	assert_int_equal(us_ctl_socket_path("", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(us_ctl_socket_path("../x", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(us_ctl_socket_path(".x", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(us_ctl_socket_path("a b", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(us_ctl_socket_path("st1", buf, 10), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown_and_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stat_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_disconnect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_with_running_ping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_limit_and_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_midway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ss, setup, teardown),
		cmocka_unit_test(test_socket_path),
		cmocka_unit_test(test_output_framing),
		cmocka_unit_test(test_output_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
