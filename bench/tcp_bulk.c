/*
 * tcp_bulk.c - one-stream TCP bulk throughput on kernel sockets, both ends.
 *
 *   tcp_bulk client HOST PORT SECONDS WRITE_SIZE [DRAIN_SECONDS]
 *   tcp_bulk server PORT
 *
 * client: connects (5 s at most), then writes WRITE_SIZE-byte blocks for SECONDS,
 * shuts its sending side (FIN) and waits, DRAIN_SECONDS at most (default 30), for
 * the server to close. A discard server (RFC 863, ustack's port 9, or this tool's
 * server mode) reads until our FIN and then closes, and a FIN is only processed in
 * sequence (RFC 9293 3.10.7.4, eighth step), so the server's FIN arriving proves
 * that every byte we wrote reached the server's application. Prints one line:
 *   sent=BYTES seconds=T gbps=G send_seconds=S
 * where T runs from the connection's establishment to the server's FIN (the
 * throughput includes the drain) and S to our last write.
 *
 * server: a sink; accepts one connection at a time, reads (256 KiB reads) until
 * EOF and prints, before closing:
 *   received=BYTES seconds=T gbps=G
 * T from accept to EOF. A connection idle for 10 s is dropped with an
 * "error=..." line instead.
 *
 * $BENCH_TCP_CC, if set, names the client's congestion control (TCP_CONGESTION).
 *
 * Exit status 1 with a message on stderr when anything fails or a peer is stuck
 * (a write blocked for 5 s, no close within the drain time).
 */
#include <signal.h>
#include <stdbool.h>

#include "bench.h"

#define PROG "tcp_bulk"
#define CONNECT_MS 5000
#define IO_MS 5000
#define SERVER_IDLE_MS 10000
#define WRITE_MAX (4u << 20)
#define READ_SIZE (256u << 10)

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: " PROG " client HOST PORT SECONDS WRITE_SIZE [DRAIN_SECONDS]\n"
			"       " PROG " server PORT\n");
	exit(2);
}

static double gbps(uint64_t bytes, uint64_t ns)
{
	return ns ? (double)bytes * 8.0 / (double)ns : 0.0;
}

static int client(int argc, char **argv)
{
	struct sockaddr_in dst;
	double secs, wsize, drain = 30;
	uint64_t sent = 0, extra = 0, t0, t_end, t_last, t_fin, drain_end;
	static char rbuf[65536];
	char *buf;
	int fd;

	if (argc < 4 || argc > 5 || bench_addr(argv[0], argv[1], &dst) < 0 ||
	    (secs = bench_num(argv[2], 0.01, 3600)) < 0 ||
	    (wsize = bench_num(argv[3], 1, WRITE_MAX)) < 0 ||
	    (argc == 5 && (drain = bench_num(argv[4], 1, 3600)) < 0))
		usage();
	buf = malloc((size_t)wsize);
	if (!buf)
		bench_die(PROG, 1, "malloc");
	for (size_t i = 0; i < (size_t)wsize; i++)
		buf[i] = (char)('a' + i % 26);

	fd = bench_connect(&dst, CONNECT_MS);
	if (fd < 0)
		bench_die(PROG, 1, "connect %s:%s", argv[0], argv[1]);
	if (bench_io_timeouts(fd, IO_MS) < 0)
		bench_die(PROG, 1, "setsockopt");
	if (bench_set_cc(fd) < 0)
		bench_die(PROG, 1, "TCP_CONGESTION %s", getenv("BENCH_TCP_CC"));
	t0 = bench_now_ns();
	t_end = t0 + (uint64_t)(secs * 1e9);
	for (;;) {
		ssize_t n = send(fd, buf, (size_t)wsize, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				bench_die(PROG, 0, "peer stuck: a write blocked for %d ms after %llu bytes",
					  IO_MS, (unsigned long long)sent);
			bench_die(PROG, 1, "send after %llu bytes", (unsigned long long)sent);
		}
		sent += (uint64_t)n;
		if (bench_now_ns() >= t_end)
			break;
	}
	t_last = bench_now_ns();
	if (shutdown(fd, SHUT_WR) < 0)
		bench_die(PROG, 1, "shutdown");
	drain_end = t_last + (uint64_t)(drain * 1e9);
	for (;;) {
		ssize_t n = recv(fd, rbuf, sizeof(rbuf), 0);

		if (n == 0)
			break;
		if (n > 0) {
			extra += (uint64_t)n;
		} else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
			bench_die(PROG, 1, "waiting for the server's close (%llu bytes sent)",
				  (unsigned long long)sent);
		}
		if (bench_now_ns() >= drain_end)
			bench_die(PROG, 0, "peer stuck: no close %.0f s after our FIN (%llu bytes sent)",
				  drain, (unsigned long long)sent);
	}
	t_fin = bench_now_ns();
	close(fd);
	free(buf);
	if (extra)
		bench_die(PROG, 0, "the server sent %llu bytes; expected a discard server",
			  (unsigned long long)extra);
	printf("sent=%llu seconds=%.6f gbps=%.4f send_seconds=%.6f\n", (unsigned long long)sent,
	       (double)(t_fin - t0) / 1e9, gbps(sent, t_fin - t0), (double)(t_last - t0) / 1e9);
	return 0;
}

static void serve_one(int cfd, char *buf)
{
	uint64_t got = 0, t0 = bench_now_ns(), t1;

	if (bench_io_timeouts(cfd, SERVER_IDLE_MS) < 0) {
		printf("error=setsockopt:%s received=0\n", strerror(errno));
		return;
	}
	for (;;) {
		ssize_t n = recv(cfd, buf, READ_SIZE, 0);

		if (n > 0) {
			got += (uint64_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		printf("error=%s received=%llu\n",
		       errno == EAGAIN || errno == EWOULDBLOCK ? "idle-timeout" : strerror(errno),
		       (unsigned long long)got);
		return;
	}
	t1 = bench_now_ns();
	printf("received=%llu seconds=%.6f gbps=%.4f\n", (unsigned long long)got,
	       (double)(t1 - t0) / 1e9, gbps(got, t1 - t0));
}

static int server(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	double port;
	int one = 1, lfd;
	char *buf = malloc(READ_SIZE);

	if (argc != 1 || (port = bench_num(argv[0], 1, 65535)) < 0)
		usage();
	if (!buf)
		bench_die(PROG, 1, "malloc");
	a.sin_port = htons((uint16_t)port);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 16) < 0)
		bench_die(PROG, 1, "listen on port %s", argv[0]);
	printf("listening port=%u\n", (unsigned)port);
	for (;;) {
		int cfd = accept(lfd, NULL, NULL);

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			bench_die(PROG, 1, "accept");
		}
		serve_one(cfd, buf);
		close(cfd);
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
