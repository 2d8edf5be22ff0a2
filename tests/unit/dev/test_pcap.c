/*
 * test_pcap.c - the pcap-file device: input records become received frames at
 * their (relative) time stamps on the stack's virtual clock, in order; bad
 * records are dropped and counted; frames sent are written with the stack's
 * time; the same input gives a byte-identical output file on every run; and
 * the device drives a virtual-clock stack through us_stack_poll.
 *
 * The input files are written by the test itself with libpcap's pcap_dump.
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
#include <sys/stat.h>
#include <unistd.h>

#include "dev/capture.h"
#include "dev/devices.h"
#include "dev_test.h"

static const uint8_t MAC_PEER[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

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
	snprintf(dir, sizeof(dir), "/tmp/ustack-test-pcap-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	const char *names[] = { "in.pcap", "out1.pcap", "out2.pcap", "trunc.pcap", "raw.pcap",
				"junk.pcap", "cap.pcap", "o.pcap" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(tpath(names[i]));
	return rmdir(dir);
}

struct rec {
	long sec, usec;
	uint32_t caplen, len; /* caplen < len: a snapped record */
	uint16_t seq;
};

/*
 * The input: records at 1000.000100 s, +0.5 s, a snapped record at +0.7 s,
 * +1.25 s, and one stamped +1.0 s (earlier than its predecessor).
 */
static const struct rec IN[] = {
	{ 1000, 100, 60, 60, 0 },
	{ 1000, 500100, 100, 100, 1 },
	{ 1000, 700100, 30, 60, 99 },
	{ 1001, 250100, 1514, 1514, 2 },
	{ 1001, 100, 42, 42, 3 },
};
/* When each good record is due on a stack started at T_START_NS. */
static const uint64_t DUE[] = { T_START_NS, T_START_NS + 500000000ULL, T_START_NS + 1250000000ULL,
				T_START_NS + 1250000000ULL };

static void write_input(const char *path, int dlt, const struct rec *r, size_t n)
{
	pcap_t *dead = pcap_open_dead(dlt, 65535);
	pcap_dumper_t *d;
	uint8_t f[1600];

	assert_non_null(dead);
	d = pcap_dump_open(dead, path);
	assert_non_null(d);
	for (size_t i = 0; i < n; i++) {
		struct pcap_pkthdr h = { .caplen = r[i].caplen, .len = r[i].len };

		h.ts.tv_sec = r[i].sec;
		h.ts.tv_usec = r[i].usec;
		t_frame(f, r[i].len, MAC_BCAST, MAC_PEER, r[i].seq);
		pcap_dump((u_char *)d, &h, f);
	}
	pcap_dump_close(d);
	pcap_close(dead);
}

static void expect_frame(const struct us_pkt *p, const struct rec *r)
{
	uint8_t f[1600];

	t_frame(f, r->len, MAC_BCAST, MAC_PEER, r->seq);
	assert_int_equal(us_pkt_len(p), r->len);
	assert_memory_equal(p->data, f, r->len);
}

static void set_time(struct us_stack *st, uint64_t ns)
{
	us_stack_clock_set(st, ns);
	us_stack_update_time(st);
	assert_int_equal(st->now_ns, ns);
}

static void records_arrive_at_their_time(void **state)
{
	struct us_stack *st = t_stack(5);
	struct us_netdev *dev;
	struct us_pkt *b[8];
	int idx;

	(void)state;
	write_input(tpath("in.pcap"), DLT_EN10MB, IN, 5);
	idx = us_dev_pcap_open(st, "pc0", tpath("in.pcap"), NULL, NULL);
	assert_true(idx > 0);
	dev = us_netdev_by_index(st, idx);
	assert_string_equal(dev->ops->kind, "pcap");
	assert_int_equal(dev->fd, -1);
	assert_int_equal(dev->link, US_LINK_ETHER);
	assert_int_equal(dev->hwaddr[0] & 0x03, 0x02);

	/* The first record is due at once (the stack's time at open). */
	assert_int_equal(dev->ops->next_rx_ns(dev), DUE[0]);
	assert_int_equal(us_stack_next_deadline_ns(st) <= DUE[0], 1);
	assert_int_equal(dev->ops->rx_batch(dev, b, 8), 1);
	expect_frame(b[0], &IN[0]);
	us_pkt_free(b[0]);

	/* The second half a second later, not a nanosecond before. */
	assert_int_equal(dev->ops->next_rx_ns(dev), DUE[1]);
	assert_int_equal(dev->ops->rx_batch(dev, b, 8), 0);
	set_time(st, DUE[1] - 1);
	assert_int_equal(dev->ops->rx_batch(dev, b, 8), 0);
	set_time(st, DUE[1]);
	assert_int_equal(dev->ops->rx_batch(dev, b, 8), 1);
	expect_frame(b[0], &IN[1]);
	us_pkt_free(b[0]);

	/* The snapped record is skipped and counted; the next two share a time. */
	assert_int_equal(dev->ops->next_rx_ns(dev), DUE[2]);
	assert_int_equal(t_counter(st, "drop.PCAP_BAD_RECORD"), 1);
	assert_int_equal(dev->stats.rx_errors, 1);
	set_time(st, T_START_NS + 2 * US_NSEC_PER_SEC);
	assert_int_equal(dev->ops->rx_batch(dev, b, 1), 1); /* batch size respected */
	expect_frame(b[0], &IN[3]);
	us_pkt_free(b[0]);
	assert_int_equal(dev->ops->next_rx_ns(dev), DUE[3]);
	assert_int_equal(dev->ops->rx_batch(dev, b, 8), 1);
	expect_frame(b[0], &IN[4]);
	us_pkt_free(b[0]);

	/* End of input. */
	assert_int_equal(dev->ops->next_rx_ns(dev), UINT64_MAX);
	assert_int_equal(dev->ops->rx_batch(dev, b, 8), 0);
	t_no_leaks(st);
	us_stack_free(st);
}

/*
 * One run: every frame received is answered (addresses swapped, our MAC as
 * source), at the time it is received, on a stack seeded so its MAC is fixed.
 */
static void echo_run(const char *out)
{
	struct us_stack *st = t_stack(77);
	struct us_netdev *dev;
	int idx, rounds = 0;

	idx = us_dev_pcap_open(st, "pc0", tpath("in.pcap"), out, NULL);
	assert_true(idx > 0);
	dev = us_netdev_by_index(st, idx);
	for (;;) {
		uint64_t t = dev->ops->next_rx_ns(dev);
		struct us_pkt *b[8];
		int n;

		assert_true(++rounds < 20);
		if (t == UINT64_MAX)
			break;
		set_time(st, t > st->now_ns ? t : st->now_ns);
		n = dev->ops->rx_batch(dev, b, 8);
		for (int i = 0; i < n; i++) {
			memcpy(b[i]->data, b[i]->data + 6, 6);
			memcpy(b[i]->data + 6, dev->hwaddr, 6);
			us_dev_queue_xmit(dev, b[i]);
		}
		assert_int_equal(us_netdev_flush(dev), n);
	}
	assert_int_equal(dev->stats.tx_packets, 4);
	t_no_leaks(st);
	us_stack_free(st);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(1 << 16);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 16, f);
	assert_true(*len < (1 << 16));
	fclose(f);
	return buf;
}

static void output_is_timed_and_reproducible(void **state)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	size_t l1, l2;
	uint8_t *o1, *o2;
	pcap_t *in;
	struct pcap_pkthdr *h;
	const u_char *data;
	const int good[] = { 0, 1, 3, 4 };

	(void)state;
	write_input(tpath("in.pcap"), DLT_EN10MB, IN, 5);
	echo_run(tpath("out1.pcap"));
	echo_run(tpath("out2.pcap"));
	o1 = slurp(tpath("out1.pcap"), &l1);
	o2 = slurp(tpath("out2.pcap"), &l2);
	assert_int_equal(l1, 24 + 4 * 16 + 60 + 100 + 1514 + 42);
	assert_int_equal(l1, l2);
	assert_memory_equal(o1, o2, l1);
	free(o1);
	free(o2);

	/* Read back: Ethernet, nanosecond stamps at the virtual times, our frames. */
	in = pcap_open_offline_with_tstamp_precision(tpath("out1.pcap"),
						     PCAP_TSTAMP_PRECISION_NANO, errbuf);
	assert_non_null(in);
	assert_int_equal(pcap_datalink(in), DLT_EN10MB);
	for (int i = 0; i < 4; i++) {
		const struct rec *r = &IN[good[i]];
		uint8_t f[1600];

		assert_int_equal(pcap_next_ex(in, &h, &data), 1);
		assert_int_equal((uint64_t)h->ts.tv_sec * US_NSEC_PER_SEC + (uint64_t)h->ts.tv_usec,
				 DUE[i]);
		assert_int_equal(h->caplen, r->len);
		assert_int_equal(h->len, r->len);
		t_frame(f, r->len, MAC_PEER, MAC_PEER, r->seq);
		assert_memory_equal(data, f, 6);                   /* back to the sender */
		assert_memory_equal(data + 12, f + 12, r->len - 12); /* same contents */
		assert_int_equal(data[6] & 0x03, 0x02);             /* from our own MAC */
	}
	assert_int_equal(pcap_next_ex(in, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(in);
}

/* A run driven the way a daemon on a virtual clock does it: poll, then move the
 * clock to the next deadline. A capture on the device records when each frame
 * went in (the stack drops them: nobody handles EtherType 0x88b5). */
static void drives_the_poll_loop(void **state)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct us_stack *st = t_stack(5);
	struct pcap_pkthdr *h;
	const u_char *data;
	struct us_netdev *dev;
	pcap_t *in;
	int idx, rounds = 0;

	(void)state;
	write_input(tpath("in.pcap"), DLT_EN10MB, IN, 5);
	idx = us_dev_pcap_open(st, "pc0", tpath("in.pcap"), NULL, NULL);
	assert_true(idx > 0);
	dev = us_netdev_by_index(st, idx);
	assert_int_equal(us_capture_start(st, idx, tpath("cap.pcap")), 0);
	while (dev->ops->next_rx_ns(dev) != UINT64_MAX) {
		uint64_t next;

		assert_true(++rounds < 10000);
		us_stack_poll(st);
		next = us_stack_next_deadline_ns(st);
		if (next > dev->ops->next_rx_ns(dev))
			next = dev->ops->next_rx_ns(dev);
		if (next != UINT64_MAX)
			us_stack_clock_set(st, next);
	}
	assert_int_equal(dev->stats.rx_packets, 4);

	in = pcap_open_offline_with_tstamp_precision(tpath("cap.pcap"), PCAP_TSTAMP_PRECISION_NANO,
						     errbuf);
	assert_non_null(in);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pcap_next_ex(in, &h, &data), 1);
		assert_int_equal((uint64_t)h->ts.tv_sec * US_NSEC_PER_SEC + (uint64_t)h->ts.tv_usec,
				 DUE[i]);
	}
	assert_int_equal(pcap_next_ex(in, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(in);
	t_no_leaks(st);
	us_stack_free(st);
}

static void truncated_file_ends_input(void **state)
{
	struct us_stack *st = t_stack(5);
	struct us_netdev *dev;
	struct us_pkt *b[8];
	struct stat sb;
	int idx;

	(void)state;
	write_input(tpath("trunc.pcap"), DLT_EN10MB, IN, 2);
	assert_int_equal(stat(tpath("trunc.pcap"), &sb), 0);
	assert_int_equal(truncate(tpath("trunc.pcap"), sb.st_size - 10), 0);
	idx = us_dev_pcap_open(st, "pc0", tpath("trunc.pcap"), NULL, NULL);
	assert_true(idx > 0);
	dev = us_netdev_by_index(st, idx);
	set_time(st, T_START_NS + 10 * US_NSEC_PER_SEC);
	assert_int_equal(dev->ops->rx_batch(dev, b, 8), 1);
	us_pkt_free(b[0]);
	assert_int_equal(t_counter(st, "drop.PCAP_BAD_RECORD"), 1);
	assert_int_equal(dev->ops->next_rx_ns(dev), UINT64_MAX);
	t_no_leaks(st);
	us_stack_free(st);
}

static void open_errors(void **state)
{
	struct us_stack *st = t_stack(5);
	FILE *f;

	(void)state;
	assert_int_equal(us_dev_pcap_open(st, "pc0", NULL, NULL, NULL), -EINVAL);
	assert_int_equal(us_dev_pcap_open(st, "pc0", tpath("missing.pcap"), NULL, NULL), -ENOENT);
	f = fopen(tpath("junk.pcap"), "wb");
	assert_non_null(f);
	fputs("this is not a capture file at all", f);
	fclose(f);
	assert_int_equal(us_dev_pcap_open(st, "pc0", tpath("junk.pcap"), NULL, NULL), -EINVAL);
	write_input(tpath("raw.pcap"), DLT_RAW, IN, 1);
	assert_int_equal(us_dev_pcap_open(st, "pc0", tpath("raw.pcap"), NULL, NULL),
			 -EPROTONOSUPPORT);
	assert_int_equal(us_dev_pcap_open(st, "pc0", NULL, "/nonexistent-dir/o.pcap", NULL),
			 -ENOENT);
	assert_int_equal(us_dev_pcap_open(st, "pc0", NULL, tpath("o.pcap"),
					  (const uint8_t[6]){ 0x01, 0, 0x5e, 0, 0, 1 }),
			 -EINVAL); /* a multicast address cannot be a device's */
	assert_int_equal(us_dev_pcap_open(st, "pc0", NULL, tpath("o.pcap"),
					  (const uint8_t[6]){ 0 }),
			 -EINVAL);
	assert_null(us_netdev_by_name(st, "pc0")); /* nothing left behind */
	/* An explicit MAC is used as given. */
	{
		static const uint8_t mac[6] = { 0x02, 1, 2, 3, 4, 5 };
		int idx = us_dev_pcap_open(st, "pc0", NULL, tpath("o.pcap"), mac);

		assert_true(idx > 0);
		assert_memory_equal(us_netdev_by_index(st, idx)->hwaddr, mac, 6);
		assert_int_equal(us_dev_pcap_open(st, "pc0", NULL, tpath("o.pcap"), mac), -EEXIST);
	}
	us_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records_arrive_at_their_time),
		cmocka_unit_test(output_is_timed_and_reproducible),
		cmocka_unit_test(drives_the_poll_loop),
		cmocka_unit_test(truncated_file_ends_input),
		cmocka_unit_test(open_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
