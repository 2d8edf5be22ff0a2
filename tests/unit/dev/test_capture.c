/*
 * test_capture.c - captures to pcap files: frames sent and received on a
 * device are written with the right link type, bytes and time stamps, are on
 * disk at the end of each batch (before the capture is closed), and tcpdump
 * reads the file; the start/stop rules (same file twice, limit per device,
 * unknown device or file); loopback captures as raw IP; wall-clock time stamps
 * on a real clock; captures closed with their device.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "dev/capture.h"
#include "dev/devices.h"
#include "dev_test.h"

static char dir[64];

static const char *tpath(const char *name)
{
	static char buf[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ustack-test-capture-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void set_time(struct us_stack *st, uint64_t ns)
{
	us_stack_clock_set(st, ns);
	us_stack_update_time(st);
}

struct want {
	uint64_t ns;
	size_t len;
	const uint8_t *dst, *src;
	uint16_t seq;
};

static void check_file(const char *path, int dlt, const struct want *w, int n)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *in;

	in = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	assert_non_null(in);
	assert_int_equal(pcap_datalink(in), dlt);
	for (int i = 0; i < n; i++) {
		uint8_t f[1600];

		assert_int_equal(pcap_next_ex(in, &h, &data), 1);
		assert_int_equal((uint64_t)h->ts.tv_sec * US_NSEC_PER_SEC + (uint64_t)h->ts.tv_usec,
				 w[i].ns);
		assert_int_equal(h->len, w[i].len);
		assert_int_equal(h->caplen, w[i].len);
		t_frame(f, w[i].len, w[i].dst, w[i].src, w[i].seq);
		assert_memory_equal(data, f, w[i].len);
	}
	assert_int_equal(pcap_next_ex(in, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(in);
}

/* Packets tcpdump prints for @path (lines starting with a time stamp; unknown
 * EtherTypes get hex-dump lines too); -1 if tcpdump is not installed. */
static int tcpdump_lines(const char *path)
{
	char cmd[256], line[512];
	FILE *p;
	int n = 0;

	if (access("/usr/bin/tcpdump", X_OK) && access("/usr/sbin/tcpdump", X_OK))
		return -1;
	snprintf(cmd, sizeof(cmd), "PATH=/usr/sbin:/usr/bin tcpdump -nn -r '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (line[0] >= '0' && line[0] <= '9')
			n++;
	assert_int_equal(pclose(p), 0);
	return n;
}

static void ethernet_rx_and_tx(void **state)
{
	struct us_stack *st = t_stack(11);
	struct us_netdev *a, *b;
	uint8_t f[200];
	int ia, ib = 0;
	struct want w[5];
	int lines;

	(void)state;
	ia = us_dev_pair_new(st, "ca", st, "cb", &ib);
	assert_true(ia > 0);
	a = us_netdev_by_index(st, ia);
	b = us_netdev_by_index(st, ib);
	assert_int_equal(us_capture_start(st, ia, tpath("cap.pcap")), 0);
	assert_non_null(a->captures);
	assert_null(b->captures);

	/* Sent on a at 6 s: three frames, one batch. */
	set_time(st, 6 * US_NSEC_PER_SEC);
	for (int i = 0; i < 3; i++) {
		t_frame(f, 60 + 10 * (size_t)i, b->hwaddr, a->hwaddr, (uint16_t)i);
		t_send(st, a, f, 60 + 10 * (size_t)i);
		w[i] = (struct want){ 6 * US_NSEC_PER_SEC, 60 + 10 * (size_t)i, b->hwaddr, a->hwaddr,
				      (uint16_t)i };
	}
	assert_int_equal(us_netdev_flush(a), 3);
	check_file(tpath("cap.pcap"), DLT_EN10MB, w, 3); /* on disk already */
	{
		struct us_pkt *got[4];

		assert_int_equal(b->ops->rx_batch(b, got, 4), 3); /* b is not captured */
		for (int i = 0; i < 3; i++)
			us_pkt_free(got[i]);
	}

	/* Received on a at 7.5 s (a is down, so they are dropped after the tap:
	 * a capture shows what reached the device, as tcpdump does). */
	assert_int_equal(us_dev_set_up(st, ia, false), 0);
	set_time(st, 7500 * US_NSEC_PER_MSEC);
	for (int i = 3; i < 5; i++) {
		t_frame(f, 200, a->hwaddr, b->hwaddr, (uint16_t)i);
		t_send(st, b, f, 200);
		w[i] = (struct want){ 7500 * US_NSEC_PER_MSEC, 200, a->hwaddr, b->hwaddr, (uint16_t)i };
	}
	assert_int_equal(us_netdev_flush(b), 2);
	assert_int_equal(us_netdev_poll_rx(a, 64), 2);
	assert_int_equal(t_counter(st, "drop.DEV_DOWN"), 2);
	check_file(tpath("cap.pcap"), DLT_EN10MB, w, 5);

	lines = tcpdump_lines(tpath("cap.pcap"));
	if (lines >= 0)
		assert_int_equal(lines, 5);

	assert_int_equal(us_capture_stop(st, ia, tpath("cap.pcap")), 0);
	assert_null(a->captures);
	assert_int_equal(us_capture_stop(st, ia, tpath("cap.pcap")), -ENOENT);
	check_file(tpath("cap.pcap"), DLT_EN10MB, w, 5);
	t_no_leaks(st);
	us_stack_free(st);
}

static void start_stop_rules(void **state)
{
	struct us_stack *st = t_stack(11);
	int ia, ib = 0;
	char name[32];

	(void)state;
	ia = us_dev_pair_new(st, "ca", st, "cb", &ib);
	assert_true(ia > 0);
	assert_int_equal(us_capture_start(st, 30, tpath("x.pcap")), -ENODEV);
	assert_int_equal(us_capture_stop(st, 30, tpath("x.pcap")), -ENODEV);
	assert_int_equal(us_capture_start(st, ia, ""), -EINVAL);
	assert_int_equal(us_capture_start(st, ia, "/nonexistent-dir/x.pcap"), -ENOENT);
	assert_null(us_netdev_by_index(st, ia)->captures);

	assert_int_equal(us_capture_start(st, ia, tpath("x.pcap")), 0);
	/* The same file again, on this device or another, by any spelling. */
	assert_int_equal(us_capture_start(st, ia, tpath("x.pcap")), -EEXIST);
	assert_int_equal(us_capture_start(st, ib, tpath("x.pcap")), -EEXIST);
	assert_int_equal(us_capture_start(st, ib, tpath("./x.pcap")), -EEXIST);
	assert_int_equal(us_capture_stop(st, ib, tpath("x.pcap")), -ENOENT);

	/* Several per device, up to a bound. */
	for (int i = 1; i < 8; i++) {
		snprintf(name, sizeof(name), "m%d.pcap", i);
		assert_int_equal(us_capture_start(st, ia, tpath(name)), 0);
	}
	assert_int_equal(us_capture_start(st, ia, tpath("m8.pcap")), -ENOSPC);
	assert_int_equal(us_capture_start(st, ib, tpath("m8.pcap")), 0);
	assert_int_equal(us_capture_stop(st, ia, tpath("m3.pcap")), 0);
	assert_int_equal(us_capture_start(st, ia, tpath("m9.pcap")), 0);
	/* The rest are closed with their devices (ASan checks nothing leaks). */
	us_stack_free(st);
}

static void loopback_is_raw_ip(void **state)
{
	/* 127.0.0.1 -> 127.0.0.1, UDP, 4 bytes "ping" (header checksum not needed). */
	static const uint8_t dgram[] = {
		0x45, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
		0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x30, 0x39, 0x00, 0x07,
		0x00, 0x0c, 0x00, 0x00, 0x70, 0x69, 0x6e, 0x67,
	};
	char errbuf[PCAP_ERRBUF_SIZE];
	struct us_stack *st = t_stack(11);
	struct pcap_pkthdr *h;
	const u_char *data;
	struct us_netdev *lo;
	struct us_pkt *p;
	pcap_t *in;
	int idx = us_loopback_create(st);

	(void)state;
	assert_true(idx > 0);
	lo = us_netdev_by_index(st, idx);
	assert_int_equal(us_capture_start(st, idx, tpath("lo.pcap")), 0);
	p = us_pkt_alloc(&st->pool, sizeof(dgram));
	memcpy(us_pkt_put(p, sizeof(dgram)), dgram, sizeof(dgram));
	us_dev_queue_xmit(lo, p);
	assert_int_equal(us_netdev_flush(lo), 1);
	assert_int_equal(us_dev_set_up(st, idx, false), 0);
	assert_int_equal(us_netdev_poll_rx(lo, 64), 1); /* in again: captured, then dropped */

	in = pcap_open_offline(tpath("lo.pcap"), errbuf);
	assert_non_null(in);
	assert_int_equal(pcap_datalink(in), DLT_RAW);
	for (int i = 0; i < 2; i++) { /* out, then in */
		assert_int_equal(pcap_next_ex(in, &h, &data), 1);
		assert_int_equal(h->caplen, sizeof(dgram));
		assert_memory_equal(data, dgram, sizeof(dgram));
	}
	assert_int_equal(pcap_next_ex(in, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(in);
	if (tcpdump_lines(tpath("lo.pcap")) >= 0)
		assert_int_equal(tcpdump_lines(tpath("lo.pcap")), 2);
	t_no_leaks(st);
	us_stack_free(st);
}

static void real_clock_uses_wall_time(void **state)
{
	struct us_stack_opts o = { .no_loopback = true, .seed = 3 };
	char errbuf[PCAP_ERRBUF_SIZE];
	struct us_stack *st = us_stack_new(&o);
	struct pcap_pkthdr *h;
	const u_char *data;
	struct us_netdev *a;
	uint8_t f[60];
	pcap_t *in;
	int ia, ib = 0;
	time_t now = time(NULL);

	(void)state;
	assert_non_null(st);
	ia = us_dev_pair_new(st, "ca", st, "cb", &ib);
	a = us_netdev_by_index(st, ia);
	assert_int_equal(us_capture_start(st, ia, tpath("wall.pcap")), 0);
	us_stack_update_time(st);
	t_frame(f, sizeof(f), a->hwaddr, a->hwaddr, 1);
	t_send(st, a, f, sizeof(f));
	assert_int_equal(us_netdev_flush(a), 1);
	in = pcap_open_offline(tpath("wall.pcap"), errbuf);
	assert_non_null(in);
	assert_int_equal(pcap_next_ex(in, &h, &data), 1);
	assert_true(h->ts.tv_sec >= now - 2 && h->ts.tv_sec <= now + 2);
	pcap_close(in);
	us_stack_free(st);
}

static void closed_with_device(void **state)
{
	struct us_stack *st = t_stack(11);
	int ia, ib = 0;

	(void)state;
	ia = us_dev_pair_new(st, "ca", st, "cb", &ib);
	assert_int_equal(us_capture_start(st, ia, tpath("gone.pcap")), 0);
	us_netdev_unregister(us_netdev_by_index(st, ia));
	/* The file is free again for another device. */
	assert_int_equal(us_capture_start(st, ib, tpath("gone.pcap")), 0);
	assert_int_equal(tcpdump_lines(tpath("gone.pcap")) > 0, 0);
	us_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ethernet_rx_and_tx),
		cmocka_unit_test(start_stop_rules),
		cmocka_unit_test(loopback_is_raw_ip),
		cmocka_unit_test(real_clock_uses_wall_time),
		cmocka_unit_test(closed_with_device),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
