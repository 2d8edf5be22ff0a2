/*
 * tcp_rr.c - TCP request/response latency on kernel sockets, both ends.
 *
 *   tcp_rr client HOST PORT SECONDS
 *   tcp_rr server PORT
 *
 * client: one connection with TCP_NODELAY; sends 1 byte, waits for the 1-byte
 * echo and checks that it is the byte sent (the byte cycles through 0..255),
 * repeats for SECONDS. Prints one line:
 *   transactions=N rate=R/s p50_us=X p99_us=Y
 * A reply missing for 2 s, a wrong byte or a closed connection ends the run with
 * exit status 1 and a message (the peer is stuck or broken).
 *
 * server: an RFC 862 echo server (epoll, non-blocking, TCP_NODELAY, at most
 * MAX_CONNS connections at once, excess ones closed at accept); the kernel-side
 * counterpart of ustack's echo service (port 7) for tcp_rr and tcp_crr. Runs
 * until killed.
 */
#include <signal.h>
#include <sys/epoll.h>

#include "bench.h"

#define PROG "tcp_rr"
#define CONNECT_MS 5000
#define REPLY_MS 2000
#define MAX_CONNS 4096
#define ECHO_BUF 4096

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: " PROG " client HOST PORT SECONDS\n"
			"       " PROG " server PORT\n");
	exit(2);
}

static int client(int argc, char **argv)
{
	struct sockaddr_in dst;
	double secs;
	uint32_t *lat = NULL;
	size_t n = 0, cap = 0;
	uint64_t start, end, now;
	int fd, one = 1;

	if (argc != 3 || bench_addr(argv[0], argv[1], &dst) < 0 ||
	    (secs = bench_num(argv[2], 0.01, 3600)) < 0)
		usage();
	fd = bench_connect(&dst, CONNECT_MS);
	if (fd < 0)
		bench_die(PROG, 1, "connect %s:%s", argv[0], argv[1]);
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    bench_io_timeouts(fd, REPLY_MS) < 0)
		bench_die(PROG, 1, "setsockopt");
	start = bench_now_ns();
	end = start + (uint64_t)(secs * 1e9);
	for (now = start; now < end;) {
		uint8_t req = (uint8_t)n, resp;
		uint64_t t0 = now;
		ssize_t r;

		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			lat = realloc(lat, cap * sizeof(*lat));
			if (!lat)
				bench_die(PROG, 1, "realloc");
		}
		do
			r = send(fd, &req, 1, 0);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			bench_die(PROG, 1, "send (transaction %zu)", n);
		do
			r = recv(fd, &resp, 1, 0);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			bench_die(PROG, 0, "the server closed the connection (transaction %zu)", n);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			bench_die(PROG, 0, "peer stuck: no reply in %d ms (transaction %zu)", REPLY_MS, n);
		if (r < 0)
			bench_die(PROG, 1, "recv (transaction %zu)", n);
		if (resp != req)
			bench_die(PROG, 0, "wrong echo: sent 0x%02x, got 0x%02x (transaction %zu)", req,
				  resp, n);
		now = bench_now_ns();
		lat[n++] = (uint32_t)((now - t0 + 500) / 1000); /* rounded to the microsecond */
	}
	close(fd);
	qsort(lat, n, sizeof(*lat), bench_cmp_u32);
	printf("transactions=%zu rate=%.0f/s p50_us=%u p99_us=%u\n", n,
	       (double)n / ((double)(now - start) / 1e9), bench_pct(lat, n, 50, 1),
	       bench_pct(lat, n, 99, 1));
	free(lat);
	return 0;
}

struct conn {
	int fd;
	uint32_t events; /* what epoll waits for: EPOLLIN, or EPOLLOUT while output waits */
	size_t off, len; /* bytes of buf still to echo */
	char buf[ECHO_BUF];
};

static void conn_close(int ep, struct conn *c, unsigned *nconns)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
	(*nconns)--;
}

static int conn_want(int ep, struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->events == events)
		return 0;
	c->events = events;
	return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/*
 * Echoes what arrives, a bounded number of buffers per call (level-triggered
 * epoll calls again); returns -1 when the connection is done or broken.
 */
static int conn_step(int ep, struct conn *c)
{
	for (int rounds = 0; rounds < 16; rounds++) {
		ssize_t n;

		while (c->len) {
			n = send(c->fd, c->buf + c->off, c->len, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return conn_want(ep, c, EPOLLOUT);
				if (errno == EINTR)
					continue;
				return -1;
			}
			c->off += (size_t)n;
			c->len -= (size_t)n;
		}
		if (conn_want(ep, c, EPOLLIN) < 0)
			return -1;
		n = recv(c->fd, c->buf, sizeof(c->buf), 0);
		if (n == 0)
			return -1;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		c->off = 0;
		c->len = (size_t)n;
	}
	/* Input left unechoed: wait until it can be sent. */
	return conn_want(ep, c, c->len ? EPOLLOUT : EPOLLIN);
}

static int server(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	unsigned nconns = 0;
	double port;
	int one = 1, lfd, ep;

	if (argc != 1 || (port = bench_num(argv[0], 1, 65535)) < 0)
		usage();
	a.sin_port = htons((uint16_t)port);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 1024) < 0)
		bench_die(PROG, 1, "listen on port %s", argv[0]);
	ep = epoll_create1(0);
	ev.data.ptr = NULL; /* NULL marks the listener */
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		bench_die(PROG, 1, "epoll");
	printf("listening port=%u\n", (unsigned)port);
	fflush(stdout);
	for (;;) {
		int nev = epoll_wait(ep, evs, 64, -1);

		if (nev < 0) {
			if (errno == EINTR)
				continue;
			bench_die(PROG, 1, "epoll_wait");
		}
		for (int i = 0; i < nev; i++) {
			struct conn *c = evs[i].data.ptr;

			if (!c) {
				for (int k = 0; k < 64; k++) {
					int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

					if (cfd < 0)
						break;
					c = nconns < MAX_CONNS ? malloc(sizeof(*c)) : NULL;
					if (!c) {
						close(cfd);
						continue;
					}
					setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					c->fd = cfd;
					c->off = c->len = 0;
					c->events = EPOLLIN;
					struct epoll_event cev = { .events = EPOLLIN, .data.ptr = c };
					if (epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev) < 0) {
						close(cfd);
						free(c);
						continue;
					}
					nconns++;
				}
				continue;
			}
			if (conn_step(ep, c) < 0)
				conn_close(ep, c, &nconns);
		}
	}
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "client"))
		return client(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "server"))
		return server(argc - 2, argv + 2);
	usage();
	return 2;
}
