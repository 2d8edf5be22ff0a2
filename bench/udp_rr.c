/*
 * udp_rr.c - UDP request/response benchmark client on kernel sockets.
 *
 *   udp_rr HOST PORT [SECONDS] [SIZE]
 *
 * Sends one SIZE-byte request (default 1), waits for the echo, repeats for
 * SECONDS (default 3). Prints one line:
 *   transactions=N rate=R/s p50_us=X p99_us=Y lost=L
 * A request not answered within 200 ms counts as lost and is not timed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 4000000

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	double seconds = argc > 3 ? atof(argv[3]) : 3.0;
	size_t size = argc > 4 ? (size_t)atoi(argv[4]) : 1;
	static uint8_t req[65536], resp[65536];
	uint32_t *samples;
	size_t n = 0, lost = 0;
	uint64_t start, end;
	int fd;

	if (argc < 3 || inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1 || size < 1 || size > 65507) {
		fprintf(stderr, "usage: udp_rr HOST PORT [SECONDS] [SIZE]\n");
		return 2;
	}
	dst.sin_port = htons((uint16_t)atoi(argv[2]));
	samples = malloc(sizeof(*samples) * MAX_SAMPLES);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (!samples || fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		perror("udp_rr");
		return 1;
	}
	memset(req, 'r', size);
	start = now_ns();
	end = start + (uint64_t)(seconds * 1e9);
	while (n < MAX_SAMPLES) {
		uint64_t t0 = now_ns();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (t0 >= end)
			break;
		if (send(fd, req, size, 0) < 0) {
			if (errno == ECONNREFUSED)
				continue;
			perror("send");
			return 1;
		}
		if (poll(&pfd, 1, 200) <= 0 || recv(fd, resp, sizeof(resp), 0) < 0) {
			lost++;
			continue;
		}
		samples[n++] = (uint32_t)((now_ns() - t0) / 1000);
	}
	qsort(samples, n, sizeof(*samples), cmp_u32);
	printf("transactions=%zu rate=%.0f/s p50_us=%u p99_us=%u lost=%zu\n", n,
	       (double)n / ((double)(now_ns() - start) / 1e9), n ? samples[n / 2] : 0,
	       n ? samples[n * 99 / 100] : 0, lost);
	return 0;
}
