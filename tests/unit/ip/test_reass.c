/*
 * test_reass.c - IPv4 reassembly (src/ip/ip_reass.c): orders, duplicates, overlaps
 * (teardrop and floods), the 30 s timeout with its ICMP error, the memory limit, the
 * ping of death, too many fragments, inconsistent lengths, and scapy's fragments.
 *
 * Fixtures: frag_fixtures.inc (made by scapy, see gen_frag_fixtures.py) and datagrams
 * built here with wire/ipv4's emitter (payload byte i of datagram `id` is t_byte(id, i)).
 * Every test ends with no packet buffer in use.
 */
#include "frag_util.h"

#include "frag_fixtures.inc"

#define MS_30S 30000u

/* ---- scapy fixtures ---- */

static void feed_fixture_order(const uint8_t *const frags[], const size_t lens[], size_t n,
			       const unsigned order[], const uint8_t *dgram, size_t dgram_len)
{
	struct us_stack *st = t_stack_new();
	struct us_pkt *out = NULL;
	struct ipv4_repr ip;

	for (size_t k = 0; k < n; k++) {
		struct us_pkt *p = t_pkt_from_bytes(st, frags[order[k]], lens[order[k]], &ip);
		out = t_feed(st, p, &ip);
		if (k + 1 < n)
			assert_null(out);
	}
	assert_non_null(out);
	/* The reassembled datagram is scapy's original, byte for byte (header too:
	 * first fragment's header, total length restored, flags cleared, checksum). */
	assert_int_equal(us_pkt_len(out), dgram_len);
	assert_memory_equal(out->data, dgram, dgram_len);
	assert_int_equal(ip.total_len, dgram_len);
	assert_int_equal(ip.hdr_len, (dgram[0] & 0xf) * 4);
	assert_false(ip.mf);
	assert_int_equal(ip.frag_off, 0);
	assert_int_equal(out->net_off, us_pkt_offset(out, out->data));
	assert_int_equal(out->csum, US_CSUM_NONE);
	assert_int_equal(STAT(st, IpReasmReqds), n);
	assert_int_equal(STAT(st, IpReasmOKs), 1);
	assert_int_equal(STAT(st, IpReasmFails), 0);
	us_pkt_free(out);
	assert_int_equal(t_usage_bytes(st), 0);
	assert_int_equal(t_usage_dgrams(st), 0);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* All six orders of scapy's three fragments give back scapy's datagram. */
static void test_scapy_fragments_every_order(void **state)
{
	static const unsigned orders[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	const uint8_t *const udp[] = { FIX_UDP_FRAG0, FIX_UDP_FRAG1, FIX_UDP_FRAG2 };
	const size_t udp_len[] = { sizeof(FIX_UDP_FRAG0), sizeof(FIX_UDP_FRAG1),
				   sizeof(FIX_UDP_FRAG2) };
	const uint8_t *const opt[] = { FIX_OPT_FRAG0, FIX_OPT_FRAG1, FIX_OPT_FRAG2 };
	const size_t opt_len[] = { sizeof(FIX_OPT_FRAG0), sizeof(FIX_OPT_FRAG1),
				   sizeof(FIX_OPT_FRAG2) };

	(void)state;
	assert_int_equal(FIX_UDP_NFRAGS, 3);
	assert_int_equal(FIX_OPT_NFRAGS, 3);
	for (unsigned i = 0; i < 6; i++) {
		feed_fixture_order(udp, udp_len, 3, orders[i], FIX_UDP_DGRAM,
				   sizeof(FIX_UDP_DGRAM));
		feed_fixture_order(opt, opt_len, 3, orders[i], FIX_OPT_DGRAM,
				   sizeof(FIX_OPT_DGRAM));
	}
}

/* ---- orders on built datagrams ---- */

/* Feeds @n fragments of 64 bytes (the last one @last_len) of datagram @id in @order. */
static void feed_order(struct us_stack *st, uint16_t id, unsigned n, uint32_t last_len,
		       const unsigned *order)
{
	struct us_pkt *out = NULL;
	struct ipv4_repr ip;
	uint32_t plen = (n - 1) * 64 + last_len;

	for (unsigned k = 0; k < n; k++) {
		unsigned i = order[k];
		bool last = i == n - 1;
		struct us_pkt *p = t_frag(st, id, i * 64, last ? last_len : 64, !last, -1, &ip);

		out = t_feed(st, p, &ip);
		if (k + 1 < n) {
			assert_null(out);
			assert_int_equal(t_usage_dgrams(st), 1);
		}
	}
	assert_non_null(out);
	t_check_dgram(out, &ip, id, plen);
	us_pkt_free(out);
}

static void test_in_order(void **state)
{
	static const unsigned order[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	struct us_stack *st = t_stack_new();

	(void)state;
	feed_order(st, 100, 8, 37, order);
	assert_int_equal(STAT(st, IpReasmReqds), 8);
	assert_int_equal(STAT(st, IpReasmOKs), 1);
	assert_int_equal(t_usage_bytes(st), 0);
	t_assert_no_leak(st);
	t_stack_free(st);
}

static void test_out_of_order_and_reverse(void **state)
{
	static const unsigned shuffled[] = { 3, 7, 0, 5, 1, 6, 2, 4 };
	static const unsigned reverse[] = { 7, 6, 5, 4, 3, 2, 1, 0 };
	static const unsigned last_first[] = { 7, 0, 1, 2, 3, 4, 5, 6 };
	struct us_stack *st = t_stack_new();

	(void)state;
	feed_order(st, 101, 8, 64, shuffled);
	feed_order(st, 102, 8, 1, reverse);
	feed_order(st, 103, 8, 9, last_first);
	assert_int_equal(STAT(st, IpReasmReqds), 24);
	assert_int_equal(STAT(st, IpReasmOKs), 3);
	assert_int_equal(STAT(st, IpReasmFails), 0);
	assert_int_equal(t_usage_dgrams(st), 0);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* Datagrams that differ only in source, protocol or id are never mixed. */
static void test_key_separates_datagrams(void **state)
{
	struct us_stack *st = t_stack_new();
	struct ipv4_repr ip;
	struct us_pkt *p, *out;

	(void)state;
	assert_null(t_feed(st, t_frag(st, 5, 0, 64, true, -1, &ip), &ip));
	/* Same id, other protocol: its own datagram. */
	p = t_frag(st, 5, 64, 8, false, -1, &ip);
	p->data[IPV4_OFF_PROTO] = 6;
	wr16(p->data + IPV4_OFF_CSUM, 0);
	wr16(p->data + IPV4_OFF_CSUM, csum_fold(csum_partial(p->data, IPV4_HDR_LEN, 0)));
	assert_int_equal(ipv4_parse(p->data, us_pkt_len(p), false, &ip), US_DROP_NONE);
	assert_null(t_feed(st, p, &ip));
	/* Same id, other source. */
	p = t_frag(st, 5, 64, 8, false, -1, &ip);
	ip.src = T_SRC + 1;
	assert_null(t_feed(st, p, &ip));
	assert_int_equal(t_usage_dgrams(st), 3);
	/* The right final fragment completes the first. */
	out = t_feed(st, t_frag(st, 5, 64, 8, false, -1, &ip), &ip);
	assert_non_null(out);
	t_check_dgram(out, &ip, 5, 72);
	us_pkt_free(out);
	assert_int_equal(t_usage_dgrams(st), 2);
	t_stack_free(st); /* reasm_fini frees the two incomplete ones */
}

static void test_not_a_fragment_passes_through(void **state)
{
	struct us_stack *st = t_stack_new();
	struct ipv4_repr ip;
	struct us_pkt *p = t_frag(st, 9, 0, 64, false, -1, &ip);

	(void)state;
	assert_ptr_equal(t_feed(st, p, &ip), p);
	assert_int_equal(STAT(st, IpReasmReqds), 0);
	us_pkt_free(p);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* ---- duplicates and overlaps ---- */

static void test_duplicate_dropped_datagram_kept(void **state)
{
	struct us_stack *st = t_stack_new();
	struct ipv4_repr ip;
	struct us_pkt *out;

	(void)state;
	assert_null(t_feed(st, t_frag(st, 20, 0, 64, true, -1, &ip), &ip));
	assert_null(t_feed(st, t_frag(st, 20, 0, 64, true, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_DUP), 1);
	assert_null(t_feed(st, t_frag(st, 20, 128, 10, false, -1, &ip), &ip));
	assert_null(t_feed(st, t_frag(st, 20, 128, 10, false, -1, &ip), &ip)); /* final, again */
	assert_int_equal(DROPS(st, IP_FRAG_DUP), 2);
	assert_int_equal(STAT(st, IpReasmFails), 0);
	out = t_feed(st, t_frag(st, 20, 64, 64, true, -1, &ip), &ip);
	assert_non_null(out);
	t_check_dgram(out, &ip, 20, 138);
	us_pkt_free(out);
	assert_int_equal(STAT(st, IpReasmReqds), 5);
	assert_int_equal(STAT(st, IpReasmOKs), 1);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* Same offset and length but other bytes is an overlap that rewrites data, not a dup. */
static void test_same_range_other_bytes_is_overlap(void **state)
{
	struct us_stack *st = t_stack_new();
	struct ipv4_repr ip;

	(void)state;
	assert_null(t_feed(st, t_frag(st, 21, 0, 64, true, -1, &ip), &ip));
	assert_null(t_feed(st, t_frag(st, 21, 0, 64, true, 0xaa, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_DUP), 0);
	assert_int_equal(DROPS(st, IP_FRAG_OVERLAP), 2);
	assert_int_equal(STAT(st, IpReasmFails), 1);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/*
 * Teardrop: the second fragment starts inside the first (and, in the original attack,
 * ends inside it too). The whole datagram goes, and its later fragments are refused
 * until its deadline; then the id can be used again.
 */
static void test_teardrop_discards_datagram(void **state)
{
	struct us_stack *st = t_stack_new();
	struct ipv4_repr ip;
	struct us_pkt *out;

	(void)state;
	assert_null(t_feed(st, t_frag(st, 30, 0, 40, true, -1, &ip), &ip));
	assert_null(t_feed(st, t_frag(st, 30, 24, 3, false, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_OVERLAP), 2); /* the held one and the new one */
	assert_int_equal(STAT(st, IpReasmFails), 1);
	t_assert_no_leak(st);
	/* A dead record stays: one datagram, no packet. */
	assert_int_equal(t_usage_dgrams(st), 1);
	assert_true(t_usage_bytes(st) > 0 && t_usage_bytes(st) <= 1024);

	/* A clean set of fragments for that datagram is refused while the record lives. */
	assert_null(t_feed(st, t_frag(st, 30, 0, 40, true, -1, &ip), &ip));
	assert_null(t_feed(st, t_frag(st, 30, 40, 8, false, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_OVERLAP), 4);
	assert_int_equal(STAT(st, IpReasmFails), 1);
	t_assert_no_leak(st);

	/* Its deadline passes: no ICMP, no timeout counted (it was not waiting). */
	t_advance_to_ms(st, MS_30S + 1000);
	assert_int_equal(t_usage_dgrams(st), 0);
	assert_int_equal(t_usage_bytes(st), 0);
	assert_int_equal(icmp_calls.count, 0);
	assert_int_equal(STAT(st, IpReasmTimeout), 0);

	/* The id is usable again. */
	assert_null(t_feed(st, t_frag(st, 30, 0, 40, true, -1, &ip), &ip));
	out = t_feed(st, t_frag(st, 30, 40, 8, false, -1, &ip), &ip);
	assert_non_null(out);
	t_check_dgram(out, &ip, 30, 48);
	us_pkt_free(out);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* Overlaps with the next fragment (the new one runs into the one after it), too. */
static void test_overlap_into_next(void **state)
{
	struct us_stack *st = t_stack_new();
	struct ipv4_repr ip;

	(void)state;
	assert_null(t_feed(st, t_frag(st, 31, 64, 64, true, -1, &ip), &ip));
	assert_null(t_feed(st, t_frag(st, 31, 0, 72, true, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_OVERLAP), 2);
	/* A fragment wholly containing a held one. */
	assert_null(t_feed(st, t_frag(st, 32, 64, 8, true, -1, &ip), &ip));
	assert_null(t_feed(st, t_frag(st, 32, 0, 200, true, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_OVERLAP), 4);
	assert_int_equal(STAT(st, IpReasmFails), 2);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* A flood of overlapping fragments (FragmentSmack style) keeps no packet and costs one
 * small record per datagram, and memory stays under the limit across many ids. */
static void test_overlap_flood_keeps_no_memory(void **state)
{
	struct us_stack *st = t_stack_new();
	size_t limit = (size_t)st->cfg.ipfrag_high_thresh;
	struct ipv4_repr ip;

	(void)state;
	for (unsigned i = 0; i < 1000; i++) {
		uint32_t off = (i % 2) ? 8 : 0;
		assert_null(t_feed(st, t_frag(st, 40, off, 64, true, -1, &ip), &ip));
	}
	assert_int_equal(DROPS(st, IP_FRAG_OVERLAP), 1000);
	assert_int_equal(STAT(st, IpReasmFails), 1);
	assert_int_equal(t_usage_dgrams(st), 1);
	assert_true(t_usage_bytes(st) <= 1024);
	t_assert_no_leak(st);

	/* Many ids, each with a pair of overlapping fragments. */
	for (unsigned i = 0; i < 20000; i++) {
		uint16_t id = (uint16_t)(1000 + i);
		assert_null(t_feed(st, t_frag(st, id, 0, 64, true, -1, &ip), &ip));
		assert_null(t_feed(st, t_frag(st, id, 32, 64, true, -1, &ip), &ip));
		assert_true(t_usage_bytes(st) <= limit);
	}
	t_assert_no_leak(st);
	assert_true(t_usage_dgrams(st) <= limit / 512);
	t_advance_to_ms(st, MS_30S + 1000);
	assert_int_equal(t_usage_bytes(st), 0);
	assert_int_equal(t_usage_dgrams(st), 0);
	t_stack_free(st);
}

/* ---- timeout ---- */

static void test_timeout_frees_and_sends_time_exceeded(void **state)
{
	struct us_stack *st = t_stack_new();
	struct ipv4_repr ip;

	(void)state;
	assert_int_equal(st->cfg.ipfrag_time, 30);
	/* id 50 has fragment zero, id 51 only a later fragment. */
	assert_null(t_feed(st, t_frag(st, 50, 0, 64, true, -1, &ip), &ip));
	assert_null(t_feed(st, t_frag(st, 51, 64, 64, true, -1, &ip), &ip));
	assert_int_equal(t_usage_dgrams(st), 2);
	assert_true(t_usage_bytes(st) > 2 * US_PKT_POOL_DATA);

	t_advance_to_ms(st, MS_30S - 1);
	assert_int_equal(t_usage_dgrams(st), 2);
	assert_int_equal(icmp_calls.count, 0);
	assert_int_equal(STAT(st, IpReasmTimeout), 0);

	/* The timer wheel is never early and, at 30 s, at most 512 ms late. */
	t_advance_to_ms(st, MS_30S + 512);
	assert_int_equal(t_usage_dgrams(st), 0);
	assert_int_equal(t_usage_bytes(st), 0);
	assert_int_equal(STAT(st, IpReasmTimeout), 2);
	assert_int_equal(STAT(st, IpReasmFails), 2);
	assert_int_equal(DROPS(st, IP_FRAG_TIMEOUT), 2);
	/* RFC 1122 3.3.2: time exceeded (11), code 1, only for the one with fragment zero,
	 * quoting that fragment. */
	assert_int_equal(icmp_calls.count, 1);
	assert_int_equal(icmp_calls.type, 11);
	assert_int_equal(icmp_calls.code, 1);
	assert_int_equal(rd16(icmp_calls.quoted + IPV4_OFF_ID), 50);
	assert_int_equal(rd16(icmp_calls.quoted + IPV4_OFF_FRAG), IPV4_FLAG_MF);
	assert_int_equal(icmp_calls.quoted[IPV4_HDR_LEN], t_byte(50, 0));
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* The deadline runs from the first fragment and is not pushed back by later ones. */
static void test_timeout_not_extended_by_later_fragments(void **state)
{
	struct us_stack *st = t_stack_new();
	struct ipv4_repr ip;

	(void)state;
	assert_null(t_feed(st, t_frag(st, 52, 0, 64, true, -1, &ip), &ip));
	for (unsigned s = 1; s < 30; s++) {
		t_advance_to_ms(st, s * 1000u);
		assert_null(t_feed(st, t_frag(st, 52, s * 64, 64, true, -1, &ip), &ip));
	}
	t_advance_to_ms(st, MS_30S + 512);
	assert_int_equal(t_usage_dgrams(st), 0);
	assert_int_equal(DROPS(st, IP_FRAG_TIMEOUT), 30);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* ---- memory ---- */

/* Many incomplete datagrams: usage never passes ipfrag_high_thresh; the oldest are
 * evicted, so the newest can still complete. */
static void test_memory_limit_many_datagrams(void **state)
{
	struct us_stack *st = t_stack_new();
	struct ipv4_repr ip;
	struct us_pkt *out;
	size_t max_seen = 0;

	(void)state;
	assert_int_equal(us_config_set(&st->cfg, "net.ipv4.ipfrag_high_thresh", "65536"), 0);
	for (unsigned i = 0; i < 300; i++) {
		assert_null(t_feed(st, t_frag(st, (uint16_t)(2000 + i), 0, 1000, true, -1, &ip),
				   &ip));
		assert_true(t_usage_bytes(st) <= 65536);
		if (t_usage_bytes(st) > max_seen)
			max_seen = t_usage_bytes(st);
	}
	/* Each held fragment costs one pool buffer (about 2.3 KB): about 25 fit. */
	assert_true(max_seen > 65536 - 4096);
	assert_true(t_usage_dgrams(st) >= 20 && t_usage_dgrams(st) < 30);
	assert_int_equal(DROPS(st, IP_FRAG_MEM), 300 - t_usage_dgrams(st));
	assert_int_equal(STAT(st, IpReasmFails), 300 - t_usage_dgrams(st));

	/* The newest completes. */
	out = t_feed(st, t_frag(st, 2299, 1000, 8, false, -1, &ip), &ip);
	assert_non_null(out);
	t_check_dgram(out, &ip, 2299, 1008);
	us_pkt_free(out);
	/* The oldest was evicted: its final fragment starts a new datagram instead. */
	assert_null(t_feed(st, t_frag(st, 2000, 1000, 8, false, -1, &ip), &ip));

	t_advance_to_ms(st, MS_30S + 1000);
	assert_int_equal(t_usage_bytes(st), 0);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* One datagram alone cannot pass the limit: it cannot evict itself, so the fragment
 * that does not fit is dropped and the datagram kept. */
static void test_memory_limit_single_datagram(void **state)
{
	struct us_stack *st = t_stack_new();
	struct ipv4_repr ip;
	unsigned held = 0;

	(void)state;
	assert_int_equal(us_config_set(&st->cfg, "net.ipv4.ipfrag_high_thresh", "65536"), 0);
	for (unsigned i = 0; i < 60; i++) {
		assert_null(t_feed(st, t_frag(st, 60, i * 8, 8, true, -1, &ip), &ip));
		assert_true(t_usage_bytes(st) <= 65536);
		if (DROPS(st, IP_FRAG_MEM) == 0)
			held++;
	}
	assert_true(held >= 20 && held < 30);
	assert_int_equal(DROPS(st, IP_FRAG_MEM), 60 - held);
	assert_int_equal(t_usage_dgrams(st), 1);
	t_advance_to_ms(st, MS_30S + 1000);
	assert_int_equal(DROPS(st, IP_FRAG_TIMEOUT), held);
	assert_int_equal(t_usage_bytes(st), 0);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* ---- limits on size, count and lengths ---- */

/* Ping of death: fragments that put the datagram past 65535 bytes. */
static void test_ping_of_death(void **state)
{
	struct us_stack *st = t_stack_new();
	struct ipv4_repr ip;

	(void)state;
	/* 20 + 65512 + 4 = 65536: one byte too many. */
	assert_null(t_feed(st, t_frag(st, 70, 0, 1480, true, -1, &ip), &ip));
	assert_null(t_feed(st, t_frag(st, 70, 65512, 4, false, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_TOO_BIG), 2);
	assert_int_equal(STAT(st, IpReasmFails), 1);
	t_assert_no_leak(st);
	/* Largest offset with the most data a frame can carry. */
	assert_null(t_feed(st, t_frag(st, 71, 65528, 1480, false, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_TOO_BIG), 3);
	/* 20 + 65512 + 3 = 65535 is still allowed. */
	assert_null(t_feed(st, t_frag(st, 72, 65512, 3, false, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_TOO_BIG), 3);
	assert_int_equal(t_usage_dgrams(st), 3); /* two dead, one waiting */
	t_stack_free(st);
}

/* A whole 65536-byte datagram sent as 45 fragments is refused, and nothing is held. */
static void test_reassembly_of_65536_bytes_rejected(void **state)
{
	struct us_stack *st = t_stack_new();
	struct ipv4_repr ip;
	uint32_t plen = 65516, off;

	(void)state;
	for (off = 0; off + 1480 < plen; off += 1480)
		assert_null(t_feed(st, t_frag(st, 73, off, 1480, true, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_TOO_BIG), 0);
	assert_null(t_feed(st, t_frag(st, 73, off, plen - off, false, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_TOO_BIG), 45);
	assert_int_equal(STAT(st, IpReasmOKs), 0);
	t_assert_no_leak(st);
	t_stack_free(st);
}

static void test_too_many_fragments(void **state)
{
	struct us_stack *st = t_stack_new();
	struct ipv4_repr ip;
	unsigned max = (unsigned)st->cfg.ipfrag_max_frags;

	(void)state;
	assert_int_equal(max, 64);
	for (unsigned i = 0; i < max; i++)
		assert_null(t_feed(st, t_frag(st, 80, i * 8, 8, true, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_TOO_MANY), 0);
	assert_null(t_feed(st, t_frag(st, 80, max * 8, 8, false, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_TOO_MANY), max + 1);
	assert_int_equal(STAT(st, IpReasmFails), 1);
	t_assert_no_leak(st);
	t_stack_free(st);
}

static void test_bad_lengths(void **state)
{
	struct us_stack *st = t_stack_new();
	struct ipv4_repr ip;

	(void)state;
	/* A non-final fragment whose length is not a multiple of 8. */
	assert_null(t_feed(st, t_frag(st, 90, 0, 12, true, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_BAD_LEN), 1);
	/* Two different final fragments. */
	assert_null(t_feed(st, t_frag(st, 91, 128, 8, false, -1, &ip), &ip));
	assert_null(t_feed(st, t_frag(st, 91, 200, 8, false, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_BAD_LEN), 3);
	/* Data past the known end. */
	assert_null(t_feed(st, t_frag(st, 92, 64, 8, false, -1, &ip), &ip));
	assert_null(t_feed(st, t_frag(st, 92, 80, 8, true, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_BAD_LEN), 5);
	/* A final fragment ending before data already held. */
	assert_null(t_feed(st, t_frag(st, 93, 64, 8, true, -1, &ip), &ip));
	assert_null(t_feed(st, t_frag(st, 93, 8, 8, false, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_BAD_LEN), 7);
	/* An empty fragment. */
	assert_null(t_feed(st, t_frag(st, 94, 64, 0, true, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_BAD_LEN), 8);
	assert_int_equal(STAT(st, IpReasmFails), 5);
	assert_int_equal(STAT(st, IpReasmOKs), 0);
	t_assert_no_leak(st);
	/* Later fragments of a discarded datagram share its fate. */
	assert_null(t_feed(st, t_frag(st, 92, 0, 64, true, -1, &ip), &ip));
	assert_int_equal(DROPS(st, IP_FRAG_BAD_LEN), 9);
	t_stack_free(st);
}

/* Teardown with datagrams still held frees them all (checked by ASan and the pool). */
static void test_fini_frees_everything(void **state)
{
	struct us_stack *st = t_stack_new();
	struct ipv4_repr ip;

	(void)state;
	for (unsigned i = 0; i < 50; i++)
		assert_null(t_feed(st, t_frag(st, (uint16_t)(3000 + i), 0, 1000, true, -1, &ip),
				   &ip));
	assert_int_equal(t_usage_dgrams(st), 50);
	reasm_fini(st);
	t_assert_no_leak(st);
	assert_int_equal(reasm_init(st), 0);
	t_stack_free(st);
}

/* ---- the input device going away while fragments wait ---- */

static int fake_rx(struct us_netdev *dev, struct us_pkt **out, int max)
{
	(void)dev;
	(void)out;
	(void)max;
	return 0;
}

static int fake_tx(struct us_netdev *dev, struct us_pkt **pkts, int n)
{
	(void)dev;
	for (int i = 0; i < n; i++)
		us_pkt_free(pkts[i]);
	return n;
}

static const struct us_netdev_ops fake_ops = {
	.kind = "fake", .rx_batch = fake_rx, .tx_batch = fake_tx,
};

/* The reassembled datagram carries the first fragment's device while it exists, else
 * the completing fragment's; no ICMP error is sent about a fragment whose device went. */
static void test_input_device_gone(void **state)
{
	struct us_stack *st = t_stack_new();
	struct us_netdev *dev = us_netdev_alloc("fk0", &fake_ops);
	struct ipv4_repr ip;
	struct us_pkt *p, *out;

	(void)state;
	assert_non_null(dev);
	assert_true(us_netdev_register(st, dev) > 0); /* its ifindex */

	/* Device alive: the first fragment's device and packet type go on. */
	p = t_frag(st, 110, 0, 64, true, -1, &ip);
	p->dev = dev;
	p->pkt_type = US_PKT_BROADCAST;
	p->rx_ns = 12345;
	assert_null(t_feed(st, p, &ip));
	out = t_feed(st, t_frag(st, 110, 64, 8, false, -1, &ip), &ip);
	assert_non_null(out);
	assert_ptr_equal(out->dev, dev);
	assert_int_equal(out->pkt_type, US_PKT_BROADCAST);
	assert_int_equal(out->rx_ns, 12345);
	us_pkt_free(out);

	/* Two datagrams wait with fragment zero from the device; then it goes. */
	p = t_frag(st, 111, 0, 64, true, -1, &ip);
	p->dev = dev;
	assert_null(t_feed(st, p, &ip));
	p = t_frag(st, 112, 0, 64, true, -1, &ip);
	p->dev = dev;
	assert_null(t_feed(st, p, &ip));
	us_netdev_unregister(dev);

	out = t_feed(st, t_frag(st, 111, 64, 8, false, -1, &ip), &ip);
	assert_non_null(out);
	assert_null(out->dev); /* the completing fragment's (none here), not a dangling one */
	t_check_dgram(out, &ip, 111, 72);
	us_pkt_free(out);

	t_advance_to_ms(st, MS_30S + 1000);
	assert_int_equal(STAT(st, IpReasmTimeout), 1);
	assert_int_equal(icmp_calls.count, 0);
	t_assert_no_leak(st);
	t_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scapy_fragments_every_order),
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_out_of_order_and_reverse),
		cmocka_unit_test(test_key_separates_datagrams),
		cmocka_unit_test(test_not_a_fragment_passes_through),
		cmocka_unit_test(test_duplicate_dropped_datagram_kept),
		cmocka_unit_test(test_same_range_other_bytes_is_overlap),
		cmocka_unit_test(test_teardrop_discards_datagram),
		cmocka_unit_test(test_overlap_into_next),
		cmocka_unit_test(test_overlap_flood_keeps_no_memory),
		cmocka_unit_test(test_timeout_frees_and_sends_time_exceeded),
		cmocka_unit_test(test_timeout_not_extended_by_later_fragments),
		cmocka_unit_test(test_memory_limit_many_datagrams),
		cmocka_unit_test(test_memory_limit_single_datagram),
		cmocka_unit_test(test_ping_of_death),
		cmocka_unit_test(test_reassembly_of_65536_bytes_rejected),
		cmocka_unit_test(test_too_many_fragments),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_fini_frees_everything),
		cmocka_unit_test(test_input_device_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
