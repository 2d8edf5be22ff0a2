/*
 * fuzz_stack.c - libFuzzer target for the whole receive path (MISSION H1).
 *
 * Each input is a script of frames for a fresh stack on an in-memory device
 * with a virtual clock and a fixed seed (so a crash replays exactly):
 *
 *   input  := record*
 *   record := u8 clock_step | u16be length | length bytes (one Ethernet frame)
 *
 * clock_step advances virtual time by clock_step * 16 ms before the frame, so
 * timers (ARP, reassembly, ICMP rate limits) run too. The stack has the
 * address 198.18.0.2/24, forwarding to a second device, a UDP socket on port 7
 * and a ping socket, so every layer up to the sockets is reachable.
 *
 * Built two ways: with -fsanitize=fuzzer (clang, meson -Dfuzz=true) it is a
 * libFuzzer binary; without, main() below replays files or directories given
 * on the command line (the unit-test suite replays the corpus this way).
 */
#include <dirent.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/stack.h"
#include "ustack/socket.h"
#include "ustack/ustack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain_socket(struct us_stack *st, int sd)
{
	uint8_t buf[2048];

	for (int i = 0; i < 64; i++)
		if (us_recv(st, sd, buf, sizeof(buf), 0) < 0)
			break;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct us_stack_opts opts = { .name = "fuzz", .virtual_clock = true, .seed = 1,
				      .clock_start_ns = 1000000000ULL, .log_level = 1 };
	static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(7) };
	struct us_stack *st;
	uint64_t now = opts.clock_start_ns;
	int dev_a, dev_b, peer, udp, ping;
	size_t off = 0;

	st = us_stack_new(&opts);
	if (!st)
		return 0;
	dev_a = us_dev_pair_new(st, "fa0", st, "fb0", &peer);
	if (dev_a < 0)
		goto out;
	dev_b = peer;
	/* A fixed MAC, so corpus frames can be addressed to the stack. */
	memcpy(us_netdev_by_index(st, dev_a)->hwaddr, mac_a, sizeof(mac_a));
	us_addr_add(st, dev_a, 0xc6120002, 24); /* 198.18.0.2/24 */
	us_addr_add(st, dev_b, 0xc6130001, 24); /* 198.19.0.1/24 */
	us_stack_set(st, "net.ipv4.ip_forward", "1");
	udp = us_socket(st, AF_INET, SOCK_DGRAM, 0);
	if (udp >= 0)
		us_bind(st, udp, (struct sockaddr *)&sin, sizeof(sin));
	ping = us_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);

	while (off + 3 <= size) {
		uint8_t step = data[off];
		size_t len = ((size_t)data[off + 1] << 8) | data[off + 2];

		off += 3;
		if (len > size - off)
			len = size - off;
		now += (uint64_t)step * 16 * 1000000ULL;
		us_stack_clock_set(st, now);
		us_dev_inject(st, dev_a, data + off, len);
		off += len;
		us_stack_poll(st);
		if (udp >= 0)
			drain_socket(st, udp);
		if (ping >= 0)
			drain_socket(st, ping);
	}
	/* Let every timer run out: reassembly, neighbours, rate limits. */
	for (int i = 0; i < 8; i++) {
		now += 10ULL * 1000000000ULL;
		us_stack_clock_set(st, now);
		us_stack_poll(st);
	}
out:
	us_stack_free(st);
	return 0;
}

#ifndef USTACK_LIBFUZZER
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	static uint8_t buf[1 << 20];
	size_t n;

	if (!f) {
		perror(path);
		return 1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int main(int argc, char **argv)
{
	int files = 0, errors = 0;

	for (int i = 1; i < argc; i++) {
		struct stat sb;
		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;
			while (d && (e = readdir(d))) {
				char path[4096];
				if (e->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
				errors += replay_file(path);
				files++;
			}
			if (d)
				closedir(d);
		} else {
			errors += replay_file(argv[i]);
			files++;
		}
	}
	printf("replayed %d inputs, %d unreadable\n", files, errors);
	return errors ? 1 : 0;
}
#endif
