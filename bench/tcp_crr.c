/*
 * tcp_crr.c - TCP connections per second on kernel sockets: connect, 1-byte
 * request, 1-byte response, close, over and over, against an echo server
 * (ustack's port 7, or `tcp_rr server`).
 *
 *   tcp_crr HOST PORT SECONDS [PARALLEL] [MAX_CONNS]
 *
 * Keeps PARALLEL (default 1, at most 64) connections in flight, each going
 * through: non-blocking connect (TCP_NODELAY), send one byte, receive its echo
 * (checked), close. New connections start for SECONDS or until MAX_CONNS
 * (default 1000000) have started; those in flight then finish. Prints:
 *   connections=N rate=R/s p50_us=X p99_us=Y failed=F
 * with the latency of a whole connection (socket() to close()).
 *
 * We close first, so every connection leaves a TIME_WAIT on our side (RFC 9293
 * 3.6) holding its ephemeral port for 60 s on Linux: at 16 k connections/s the
 * 28 k ports of the default range last under 2 s. The harness (bench/run.sh)
 * therefore widens net.ipv4.ip_local_port_range and sets net.ipv4.tcp_tw_reuse=1
 * in the client's namespace (the kernel then reuses a TIME_WAIT port after 1 s,
 * which timestamps make safe, RFC 7323 5.8), and MAX_CONNS bounds the run. If
 * ports still run out, connect fails with EADDRNOTAVAIL and this tool says so and
 * exits 1 instead of measuring something else.
 *
 * A connection that does not finish within 2 s counts as failed (a refused
 * connection, a wrong echo or more than 10 failures end the run with exit 1).
 */
#include <signal.h>

#include "bench.h"

#define PROG "tcp_crr"
#define PAR_MAX 64
#define CONN_MS 2000
#define FAIL_MAX 10

enum cstate { C_IDLE, C_CONNECTING, C_WAIT_REPLY };

struct slot {
	int fd;
	enum cstate state;
	uint8_t byte;
	uint64_t t0;
};

struct run {
	const struct sockaddr_in *dst;
	uint64_t started, done, failed;
	uint32_t *lat;
	size_t cap;
};

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: " PROG " HOST PORT SECONDS [PARALLEL] [MAX_CONNS]\n");
	exit(2);
}

static void slot_fail(struct run *r, struct slot *s, const char *what, int err)
{
	close(s->fd);
	s->fd = -1;
	s->state = C_IDLE;
	if (err == ECONNREFUSED)
		bench_die(PROG, 0, "connection refused (is the echo server running?)");
	if (++r->failed > FAIL_MAX)
		bench_die(PROG, 0, "%llu connections failed (last: %s: %s) after %llu completed",
			  (unsigned long long)r->failed, what, err ? strerror(err) : "timeout",
			  (unsigned long long)r->done);
}

static void slot_start(struct run *r, struct slot *s, uint64_t now)
{
	int one = 1;

	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->fd < 0)
		bench_die(PROG, 1, "socket");
	if (setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		bench_die(PROG, 1, "setsockopt");
	s->t0 = now;
	s->byte = (uint8_t)r->started;
	r->started++;
	s->state = C_CONNECTING;
	if (connect(s->fd, (const struct sockaddr *)r->dst, sizeof(*r->dst)) < 0 &&
	    errno != EINPROGRESS) {
		if (errno == EADDRNOTAVAIL)
			bench_die(PROG, 0, "ephemeral ports exhausted after %llu connections "
				  "(widen net.ipv4.ip_local_port_range, set net.ipv4.tcp_tw_reuse=1, "
				  "or lower MAX_CONNS)", (unsigned long long)r->done);
		slot_fail(r, s, "connect", errno);
	}
}

static void slot_event(struct run *r, struct slot *s, short revents)
{
	uint8_t resp;
	ssize_t n;

	if (s->state == C_CONNECTING) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		if (err) {
			slot_fail(r, s, "connect", err);
			return;
		}
		n = send(s->fd, &s->byte, 1, MSG_NOSIGNAL);
		if (n != 1) {
			slot_fail(r, s, "send", n < 0 ? errno : EIO);
			return;
		}
		s->state = C_WAIT_REPLY;
		return;
	}
	if (!(revents & (POLLIN | POLLERR | POLLHUP)))
		return;
	n = recv(s->fd, &resp, 1, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != 1) {
		slot_fail(r, s, n == 0 ? "recv: closed by the server" : "recv", n < 0 ? errno : EIO);
		return;
	}
	if (resp != s->byte)
		bench_die(PROG, 0, "wrong echo: sent 0x%02x, got 0x%02x", s->byte, resp);
	close(s->fd);
	s->fd = -1;
	s->state = C_IDLE;
	if (r->done == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 65536;
		r->lat = realloc(r->lat, r->cap * sizeof(*r->lat));
		if (!r->lat)
			bench_die(PROG, 1, "realloc");
	}
	r->lat[r->done++] = (uint32_t)((bench_now_ns() - s->t0 + 500) / 1000);
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst;
	struct slot slots[PAR_MAX];
	struct pollfd pfd[PAR_MAX];
	struct run r = { .dst = &dst };
	double secs, par = 1, maxc = 1000000;
	uint64_t start, end, now, last;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 4 || argc > 6 || bench_addr(argv[1], argv[2], &dst) < 0 ||
	    (secs = bench_num(argv[3], 0.01, 3600)) < 0 ||
	    (argc > 4 && (par = bench_num(argv[4], 1, PAR_MAX)) < 0) ||
	    (argc > 5 && (maxc = bench_num(argv[5], 1, 1e9)) < 0))
		usage();
	for (int i = 0; i < PAR_MAX; i++)
		slots[i] = (struct slot){ .fd = -1, .state = C_IDLE };
	start = last = now = bench_now_ns();
	end = start + (uint64_t)(secs * 1e9);
	for (;;) {
		int np = 0, active = 0;
		int map[PAR_MAX];

		for (int i = 0; i < (int)par; i++) {
			struct slot *s = &slots[i];

			if (s->state == C_IDLE && now < end && r.started < (uint64_t)maxc)
				slot_start(&r, s, now);
			if (s->state == C_IDLE)
				continue;
			if (now - s->t0 > (uint64_t)CONN_MS * 1000000ULL) {
				slot_fail(&r, s, s->state == C_CONNECTING ? "connect" : "reply", 0);
				continue;
			}
			active++;
			pfd[np] = (struct pollfd){ .fd = s->fd,
						   .events = s->state == C_CONNECTING ? POLLOUT : POLLIN };
			map[np++] = i;
		}
		if (!active)
			break;
		int nr = poll(pfd, (nfds_t)np, 100);
		if (nr < 0 && errno != EINTR)
			bench_die(PROG, 1, "poll");
		for (int k = 0; nr > 0 && k < np; k++) {
			if (!pfd[k].revents)
				continue;
			uint64_t before = r.done;
			slot_event(&r, &slots[map[k]], pfd[k].revents);
			if (r.done != before)
				last = bench_now_ns();
		}
		now = bench_now_ns();
	}
	if (!r.done)
		bench_die(PROG, 0, "no connection completed");
	qsort(r.lat, r.done, sizeof(*r.lat), bench_cmp_u32);
	printf("connections=%llu rate=%.0f/s p50_us=%u p99_us=%u failed=%llu\n",
	       (unsigned long long)r.done, (double)r.done / ((double)(last - start) / 1e9),
	       bench_pct(r.lat, r.done, 50, 1), bench_pct(r.lat, r.done, 99, 1),
	       (unsigned long long)r.failed);
	free(r.lat);
	return 0;
}
