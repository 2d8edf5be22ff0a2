/*
 * bench.h - small helpers shared by the TCP benchmark tools (tcp_bulk, tcp_rr,
 * tcp_crr): monotonic time, fatal errors, argument parsing, latency percentiles,
 * and a bounded, non-blocking connect. Header-only (static functions) so that each
 * tool stays one source file plus this.
 *
 * Every tool bounds every wait: a peer that stops answering ends the run with a
 * message on stderr and exit status 1, never a hang.
 */
#ifndef USTACK_BENCH_H
#define USTACK_BENCH_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BENCH_NSEC 1000000000ULL

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * BENCH_NSEC + (uint64_t)ts.tv_nsec;
}

/* Prints "PROG: message" (and strerror(errno) if @with_errno) and exits 1. */
static inline void __attribute__((noreturn, format(printf, 3, 4)))
bench_die(const char *prog, int with_errno, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
	exit(1);
}

/* A decimal number in [min, max], or -1. */
static inline double bench_num(const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	return v;
}

static inline int bench_addr(const char *host, const char *port, struct sockaddr_in *a)
{
	double p = bench_num(port, 1, 65535);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	if (p < 0 || inet_pton(AF_INET, host, &a->sin_addr) != 1)
		return -1;
	a->sin_port = htons((uint16_t)p);
	return 0;
}

static inline int bench_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v and returns its @pct percentile (nearest rank below), 0 if empty. */
static inline uint32_t bench_pct(uint32_t *v, size_t n, unsigned pct, int sorted)
{
	if (!n)
		return 0;
	if (!sorted)
		qsort(v, n, sizeof(*v), bench_cmp_u32);
	return v[n * pct / 100];
}

static inline int bench_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/*
 * Waits up to @timeout_ms for @events on @fd; returns the revents, 0 on timeout.
 * EINTR is retried against the same deadline.
 */
static inline int bench_wait(int fd, short events, int timeout_ms)
{
	uint64_t end = bench_now_ns() + (uint64_t)timeout_ms * 1000000ULL;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		uint64_t now = bench_now_ns();
		int r;

		if (now >= end)
			return 0;
		r = poll(&pfd, 1, (int)((end - now + 999999) / 1000000));
		if (r > 0)
			return pfd.revents;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/*
 * A blocking TCP socket connected to @a within @timeout_ms, or -1 with errno set
 * (ETIMEDOUT if the handshake did not finish in time).
 */
static inline int bench_connect(const struct sockaddr_in *a, int timeout_ms)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int err = 0;
	socklen_t el = sizeof(err);
	int ev;

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0 && errno != EINPROGRESS)
		goto fail;
	ev = bench_wait(fd, POLLOUT, timeout_ms);
	if (ev <= 0) {
		if (ev == 0)
			errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		goto fail;
	if (err) {
		errno = err;
		goto fail;
	}
	if (bench_set_nonblock(fd, 0) < 0)
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* SO_RCVTIMEO and SO_SNDTIMEO: a blocking call that waits longer fails with EAGAIN. */
static inline int bench_io_timeouts(int fd, int timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -1;
	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/*
 * The congestion control named by $BENCH_TCP_CC (e.g. "cubic") on @fd, so that a
 * benchmark's kernel sender can use the algorithm of the stack it is compared with
 * whatever the machine's default is (setsockopt TCP_CONGESTION; a netns may not
 * change its default to an algorithm outside tcp_allowed_congestion_control, but
 * CAP_NET_ADMIN may pick any available one per socket). Returns -1 on failure.
 */
static inline int bench_set_cc(int fd)
{
	const char *cc = getenv("BENCH_TCP_CC");

	if (!cc || !*cc)
		return 0;
	return setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)strlen(cc));
}

#endif
