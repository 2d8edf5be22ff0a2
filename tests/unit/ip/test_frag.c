/*
 * test_frag.c - IPv4 fragmentation (src/ip/ip_frag.c): sizes, offsets and flags of
 * every fragment for 8000- and 65507-byte UDP payloads at MTU 1500 and 576, the round
 * trip through our reassembly, byte-for-byte agreement with scapy's fragment(), the
 * copied flag of options, checksum completion, fragments of fragments, and failures.
 *
 * Fixtures: frag_fixtures.inc (scapy, see gen_frag_fixtures.py) and UDP datagrams built
 * here (payload byte i of datagram `id` is t_byte(id, i), counting from the UDP header).
 */
#include "frag_util.h"

#include "frag_fixtures.inc"

#define MAX_CAP 256

/* What the send function saw. */
struct capture {
	struct us_pkt *frags[MAX_CAP];
	unsigned n;
	int fail_at;  /* index whose send fails with -ENOBUFS (and drops it); -1 for none */
};

static int cap_send(struct us_stack *st, struct us_pkt *f, void *arg)
{
	struct capture *c = arg;

	assert_true(c->n < MAX_CAP);
	if ((int)c->n == c->fail_at) {
		c->n++;
		us_drop(st, f, US_DROP_TXQ_FULL);
		return -ENOBUFS;
	}
	c->frags[c->n++] = f;
	return 0;
}

static void cap_free(struct capture *c)
{
	for (unsigned i = 0; i < c->n; i++)
		us_pkt_free(c->frags[i]);
	c->n = 0;
}

/* A UDP datagram of @udp_payload bytes (IP total 28 + udp_payload) with a correct UDP
 * checksum, in a packet as ip_send_datagram has it: data at the IP header. */
static struct us_pkt *mk_udp_dgram(struct us_stack *st, uint16_t id, uint32_t udp_payload)
{
	uint32_t ulen = 8 + udp_payload, total = IPV4_HDR_LEN + ulen;
	struct ipv4_repr r = {
		.hdr_len = IPV4_HDR_LEN, .total_len = (uint16_t)total, .id = id, .ttl = 64,
		.proto = T_PROTO_UDP, .src = T_SRC, .dst = T_DST,
	};
	struct us_pkt *p = us_pkt_alloc(&st->pool, total);
	uint8_t *d, *u;

	assert_non_null(p);
	d = us_pkt_put(p, total);
	ipv4_emit(&r, NULL, d);
	u = d + IPV4_HDR_LEN;
	for (uint32_t i = 0; i < ulen; i++)
		u[i] = t_byte(id, i);
	wr16(u + 0, 40000);
	wr16(u + 2, 7);
	wr16(u + 4, (uint16_t)ulen);
	wr16(u + 6, 0);
	wr16(u + 6, csum_fold(csum_partial(u, ulen,
					   csum_pseudo(T_SRC, T_DST, 17, (uint16_t)ulen))));
	us_pkt_set_network(p);
	p->dev = (struct us_netdev *)(uintptr_t)0x1000; /* opaque here: only copied */
	p->nexthop = 0xc61200fe;
	p->mark = 77;
	return p;
}

/*
 * Checks @c's fragments of a datagram with header @hdr (@hlen bytes, first fragment)
 * and @plen payload bytes at @mtu: RFC 791 3.2 sizes, offsets and flags; then feeds them
 * to ip_reass and compares the result with @orig. Frees everything.
 */
static void check_and_reassemble(struct us_stack *st, struct capture *c, const uint8_t *orig,
				 uint32_t hlen, uint32_t plen, uint32_t mtu, unsigned expect_n)
{
	uint32_t next_off = 0;
	struct us_pkt *out = NULL;

	assert_int_equal(c->n, expect_n);
	for (unsigned i = 0; i < c->n; i++) {
		struct us_pkt *f = c->frags[i];
		struct ipv4_repr ip;
		uint32_t fplen;

		assert_int_equal(ipv4_parse(f->data, us_pkt_len(f), false, &ip), US_DROP_NONE);
		assert_int_equal(ip.total_len, us_pkt_len(f));
		assert_true(ip.total_len <= mtu);
		fplen = ip.total_len - ip.hdr_len;
		assert_int_equal(ip.frag_off, next_off);
		assert_int_equal(ip.id, rd16(orig + IPV4_OFF_ID));
		assert_int_equal(ip.src, T_SRC);
		assert_int_equal(ip.proto, T_PROTO_UDP);
		assert_false(ip.df);
		if (i + 1 < c->n) {
			assert_true(ip.mf);
			assert_int_equal(fplen % 8, 0);
			/* As full as the MTU allows: the largest multiple of 8 that fits. */
			assert_int_equal(fplen, (mtu - ip.hdr_len) & ~7u);
		} else {
			assert_false(ip.mf);
		}
		assert_memory_equal(f->data + ip.hdr_len, orig + hlen + next_off, fplen);
		next_off += fplen;
		assert_int_equal(us_pkt_headroom(f), US_PKT_HEADROOM);
		assert_int_equal(f->net_off, us_pkt_offset(f, f->data));
		assert_int_equal(f->csum, US_CSUM_NONE);
		assert_int_equal(f->nexthop, 0xc61200fe);
		assert_int_equal(f->mark, 77);
		assert_ptr_equal(f->dev, (struct us_netdev *)(uintptr_t)0x1000);
	}
	assert_int_equal(next_off, plen);

	for (unsigned i = 0; i < c->n; i++) {
		struct ipv4_repr ip;

		assert_int_equal(ipv4_parse(c->frags[i]->data, us_pkt_len(c->frags[i]), false, &ip),
				 US_DROP_NONE);
		c->frags[i]->dev = NULL;
		out = ip_reass(st, c->frags[i], &ip);
		if (i + 1 < c->n)
			assert_null(out);
	}
	c->n = 0;
	assert_non_null(out);
	assert_int_equal(us_pkt_len(out), hlen + plen);
	assert_memory_equal(out->data, orig, hlen + plen);
	us_pkt_free(out);
}

static void frag_udp_case(uint32_t udp_payload, uint32_t mtu, unsigned expect_n)
{
	struct us_stack *st = t_stack_new();
	struct capture c = { .fail_at = -1 };
	uint32_t total = IPV4_HDR_LEN + 8 + udp_payload;
	struct us_pkt *p = mk_udp_dgram(st, 0x4242, udp_payload);
	uint8_t *orig = malloc(total);

	assert_non_null(orig);
	memcpy(orig, p->data, total);
	/* 65507 at MTU 576 makes 119 fragments: allow them for the round trip. */
	assert_int_equal(us_config_set(&st->cfg, "net.ipv4.ipfrag_max_frags", "128"), 0);
	assert_int_equal(ip_fragment(st, p, mtu, cap_send, &c), 0);
	assert_int_equal(STAT(st, IpFragOKs), 1);
	assert_int_equal(STAT(st, IpFragCreates), expect_n);
	assert_int_equal(STAT(st, IpFragFails), 0);
	check_and_reassemble(st, &c, orig, IPV4_HDR_LEN, total - IPV4_HDR_LEN, mtu, expect_n);
	assert_int_equal(STAT(st, IpReasmOKs), 1);
	free(orig);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* IP payload 8008: 1480 * 5 + 608 at MTU 1500; 552 * 14 + 280 at MTU 576. */
static void test_udp_8000_mtu1500(void **state) { (void)state; frag_udp_case(8000, 1500, 6); }
static void test_udp_8000_mtu576(void **state) { (void)state; frag_udp_case(8000, 576, 15); }
/* IP payload 65515 (total 65535): 1480 * 44 + 395; 552 * 118 + 379. */
static void test_udp_65507_mtu1500(void **state) { (void)state; frag_udp_case(65507, 1500, 45); }
static void test_udp_65507_mtu576(void **state) { (void)state; frag_udp_case(65507, 576, 119); }

/* ---- agreement with scapy ---- */

static struct us_pkt *pkt_of(struct us_stack *st, const uint8_t *bytes, size_t len)
{
	struct ipv4_repr ip;
	struct us_pkt *p = t_pkt_from_bytes(st, bytes, len, &ip);

	p->nexthop = 0xc61200fe;
	p->mark = 77;
	p->dev = (struct us_netdev *)(uintptr_t)0x1000;
	return p;
}

/* Without options our fragments at MTU 576 are scapy's fragment(fragsize=552), byte
 * for byte (header fields, checksums, payload split). */
static void test_same_bytes_as_scapy(void **state)
{
	const uint8_t *const want[] = { FIX_UDP_FRAG0, FIX_UDP_FRAG1, FIX_UDP_FRAG2 };
	const size_t want_len[] = { sizeof(FIX_UDP_FRAG0), sizeof(FIX_UDP_FRAG1),
				    sizeof(FIX_UDP_FRAG2) };
	struct us_stack *st = t_stack_new();
	struct capture c = { .fail_at = -1 };

	(void)state;
	assert_int_equal(ip_fragment(st, pkt_of(st, FIX_UDP_DGRAM, sizeof(FIX_UDP_DGRAM)), 576,
				     cap_send, &c), 0);
	assert_int_equal(c.n, FIX_UDP_NFRAGS);
	for (unsigned i = 0; i < c.n; i++) {
		assert_int_equal(us_pkt_len(c.frags[i]), want_len[i]);
		assert_memory_equal(c.frags[i]->data, want[i], want_len[i]);
	}
	check_and_reassemble(st, &c, FIX_UDP_DGRAM, IPV4_HDR_LEN,
			     sizeof(FIX_UDP_DGRAM) - IPV4_HDR_LEN, 576, 3);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* A datagram whose UDP checksum was left to the device (US_CSUM_PARTIAL) is completed
 * before splitting: the fragments are again scapy's, whose checksum is complete. */
static void test_partial_checksum_completed(void **state)
{
	const uint8_t *const want[] = { FIX_UDP_FRAG0, FIX_UDP_FRAG1, FIX_UDP_FRAG2 };
	struct us_stack *st = t_stack_new();
	struct capture c = { .fail_at = -1 };
	struct us_pkt *p = pkt_of(st, FIX_UDP_DGRAM, sizeof(FIX_UDP_DGRAM));
	uint8_t *u = p->data + IPV4_HDR_LEN;
	uint16_t ulen = rd16(u + 4);

	(void)state;
	/* virtio NEEDS_CSUM convention: the field holds the folded pseudo-header sum. */
	wr16(u + 6, (uint16_t)~csum_fold(csum_pseudo(T_SRC, T_DST, 17, ulen)));
	assert_int_not_equal(rd16(u + 6), rd16(FIX_UDP_DGRAM + IPV4_HDR_LEN + 6));
	p->csum = US_CSUM_PARTIAL;
	p->csum_start = us_pkt_offset(p, u);
	p->csum_offset = 6;
	assert_int_equal(ip_fragment(st, p, 576, cap_send, &c), 0);
	assert_int_equal(c.n, 3);
	assert_memory_equal(c.frags[0]->data, want[0], sizeof(FIX_UDP_FRAG0));
	assert_memory_equal(c.frags[1]->data, want[1], sizeof(FIX_UDP_FRAG1));
	assert_memory_equal(c.frags[2]->data, want[2], sizeof(FIX_UDP_FRAG2));
	cap_free(&c);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/*
 * Options: the first fragment has them all and equals scapy's first fragment; the later
 * ones carry only router alert (copied flag set), not record route or the NOP, where
 * scapy (which ignores the copied flag) repeats them all. MTU 584 = 32 + 552.
 */
static void test_options_copied_only_with_copy_flag(void **state)
{
	struct us_stack *st = t_stack_new();
	struct capture c = { .fail_at = -1 };
	static const uint8_t ra[4] = { 0x94, 0x04, 0x00, 0x00 };
	const uint32_t hlen = 32, plen = sizeof(FIX_OPT_DGRAM) - 32;

	(void)state;
	assert_int_equal(ip_fragment(st, pkt_of(st, FIX_OPT_DGRAM, sizeof(FIX_OPT_DGRAM)), 584,
				     cap_send, &c), 0);
	/* 552 + 560 + 96: later fragments have a 24-byte header, so room for 560. */
	assert_int_equal(c.n, 3);
	assert_int_equal(us_pkt_len(c.frags[0]), sizeof(FIX_OPT_FRAG0));
	assert_memory_equal(c.frags[0]->data, FIX_OPT_FRAG0, sizeof(FIX_OPT_FRAG0));
	for (unsigned i = 1; i < c.n; i++) {
		struct ipv4_repr ip;

		assert_int_equal(ipv4_parse(c.frags[i]->data, us_pkt_len(c.frags[i]), false, &ip),
				 US_DROP_NONE);
		assert_int_equal(ip.hdr_len, 24);
		assert_true(ip.opt_ra);
		assert_false(ip.opt_rr);
		assert_memory_equal(c.frags[i]->data + IPV4_HDR_LEN, ra, sizeof(ra));
	}
	assert_int_equal(us_pkt_len(c.frags[1]), 24 + 560);
	assert_int_equal(us_pkt_len(c.frags[2]), 24 + plen - 552 - 560);
	/* Scapy's later fragments carry the same payload bytes at the same offsets. */
	assert_memory_equal(c.frags[1]->data + 24, FIX_OPT_FRAG1 + 32, 552);
	/* Reassembled: scapy's original datagram, options and all. */
	check_and_reassemble(st, &c, FIX_OPT_DGRAM, hlen, plen, 584, 3);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* Options of which none is copied: later fragments have a bare 20-byte header. */
static void test_no_copied_options_gives_plain_header(void **state)
{
	static const uint8_t opts[8] = { 0x07, 0x07, 0x04, 0, 0, 0, 0, 0x01 }; /* RR, NOP */
	struct us_stack *st = t_stack_new();
	struct capture c = { .fail_at = -1 };
	struct ipv4_repr r = {
		.hdr_len = 28, .opt_len = 8, .total_len = 28 + 1000, .id = 7, .ttl = 64,
		.proto = T_PROTO_UDP, .src = T_SRC, .dst = T_DST,
	};
	struct us_pkt *p = us_pkt_alloc(&st->pool, r.total_len);
	uint8_t *d = us_pkt_put(p, r.total_len);

	(void)state;
	ipv4_emit(&r, opts, d);
	memset(d + 28, 0x5a, 1000);
	assert_int_equal(ip_fragment(st, p, 576, cap_send, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(us_pkt_len(c.frags[0]), 28 + 544);
	assert_memory_equal(c.frags[0]->data + IPV4_HDR_LEN, opts, sizeof(opts));
	assert_int_equal(c.frags[1]->data[0], 0x45);
	assert_int_equal(us_pkt_len(c.frags[1]), 20 + 456);
	assert_int_equal(rd16(c.frags[1]->data + IPV4_OFF_FRAG), 544 / 8);
	cap_free(&c);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* ---- fragments of fragments (forwarding through a smaller MTU) ---- */

static struct us_pkt *mk_fragment(struct us_stack *st, uint32_t off, uint32_t len, bool mf)
{
	struct ipv4_repr r = {
		.hdr_len = IPV4_HDR_LEN, .total_len = (uint16_t)(IPV4_HDR_LEN + len), .id = 99,
		.mf = mf, .frag_off = (uint16_t)off, .ttl = 63, .proto = T_PROTO_UDP,
		.src = T_SRC, .dst = T_DST,
	};
	struct us_pkt *p = us_pkt_alloc(&st->pool, r.total_len);
	uint8_t *d = us_pkt_put(p, r.total_len);

	ipv4_emit(&r, NULL, d);
	for (uint32_t i = 0; i < len; i++)
		d[IPV4_HDR_LEN + i] = t_byte(99, off + i);
	return p;
}

static void check_refrag(struct capture *c, uint32_t off0, const uint32_t *lens, unsigned n,
			 bool last_mf)
{
	uint32_t off = off0;

	assert_int_equal(c->n, n);
	for (unsigned i = 0; i < n; i++) {
		struct ipv4_repr ip;

		assert_int_equal(ipv4_parse(c->frags[i]->data, us_pkt_len(c->frags[i]), false, &ip),
				 US_DROP_NONE);
		assert_int_equal(ip.frag_off, off);
		assert_int_equal(ip.total_len - ip.hdr_len, lens[i]);
		assert_int_equal(ip.mf, i + 1 < n ? true : last_mf);
		assert_int_equal(ip.ttl, 63);
		assert_int_equal(c->frags[i]->data[IPV4_HDR_LEN], t_byte(99, off));
		off += lens[i];
	}
}

static void test_fragment_of_a_fragment(void **state)
{
	static const uint32_t lens[] = { 552, 552, 376 };
	struct us_stack *st = t_stack_new();
	struct capture c = { .fail_at = -1 };

	(void)state;
	/* A middle fragment: every piece keeps MF, offsets continue from 1480. */
	assert_int_equal(ip_fragment(st, mk_fragment(st, 1480, 1480, true), 576, cap_send, &c), 0);
	check_refrag(&c, 1480, lens, 3, true);
	cap_free(&c);
	/* The final fragment: only its last piece has MF clear. */
	assert_int_equal(ip_fragment(st, mk_fragment(st, 2960, 1480, false), 576, cap_send, &c), 0);
	check_refrag(&c, 2960, lens, 3, false);
	cap_free(&c);
	assert_int_equal(STAT(st, IpFragOKs), 2);
	assert_int_equal(STAT(st, IpFragCreates), 6);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* ---- edges and failures ---- */

static void test_fits_is_sent_unchanged(void **state)
{
	struct us_stack *st = t_stack_new();
	struct capture c = { .fail_at = -1 };
	struct us_pkt *p = mk_udp_dgram(st, 1, 1472);

	(void)state;
	assert_int_equal(ip_fragment(st, p, 1500, cap_send, &c), 0);
	assert_int_equal(c.n, 1);
	assert_ptr_equal(c.frags[0], p);
	assert_int_equal(STAT(st, IpFragOKs), 0);
	cap_free(&c);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* Out of buffers half-way: nothing is sent, everything is freed, -ENOBUFS. */
static void test_no_buffers(void **state)
{
	struct us_stack *st = t_stack_new();
	struct capture c = { .fail_at = -1 };
	struct us_pkt *p = mk_udp_dgram(st, 2, 8000);
	struct us_pkt *held[64];
	unsigned nheld = 0;

	(void)state;
	/* Take every free pool buffer, then let the pool grow by only two. */
	while (st->pool.in_use < st->pool.total) {
		assert_true(nheld < 64);
		held[nheld++] = us_pkt_alloc(&st->pool, 100);
	}
	st->pool.max = st->pool.total + 2;
	assert_int_equal(ip_fragment(st, p, 1500, cap_send, &c), -ENOBUFS);
	assert_int_equal(c.n, 0);
	assert_int_equal(STAT(st, IpFragFails), 1);
	assert_int_equal(STAT(st, IpFragOKs), 0);
	assert_int_equal(STAT(st, IpFragCreates), 0);
	assert_int_equal(DROPS(st, NOMEM), 1);
	assert_int_equal(st->pool.in_use, nheld);
	while (nheld)
		us_pkt_free(held[--nheld]);
	t_assert_no_leak(st);
	t_stack_free(st);
}

static void test_mtu_too_small(void **state)
{
	struct us_stack *st = t_stack_new();
	struct capture c = { .fail_at = -1 };

	(void)state;
	/* 20-byte header + 8 bytes is the least a fragment can carry (RFC 791: 68 covers
	 * the 60-byte maximum header). */
	assert_int_equal(ip_fragment(st, mk_udp_dgram(st, 3, 100), 27, cap_send, &c), -EMSGSIZE);
	assert_int_equal(c.n, 0);
	assert_int_equal(ip_fragment(st, mk_udp_dgram(st, 3, 100), 28, cap_send, &c), 0);
	assert_int_equal(c.n, 14); /* 108 payload bytes: 13 fragments of 8, then 4 */
	assert_int_equal(STAT(st, IpFragFails), 1);
	assert_int_equal(DROPS(st, IP_FRAG_FAILED), 1);
	cap_free(&c);
	t_assert_no_leak(st);
	t_stack_free(st);
}

/* A send that fails does not stop the other fragments; the first error is returned. */
static void test_send_error_reported(void **state)
{
	struct us_stack *st = t_stack_new();
	struct capture c = { .fail_at = 1 };

	(void)state;
	assert_int_equal(ip_fragment(st, mk_udp_dgram(st, 4, 8000), 1500, cap_send, &c), -ENOBUFS);
	assert_int_equal(c.n, 6);
	assert_int_equal(DROPS(st, TXQ_FULL), 1);
	assert_int_equal(STAT(st, IpFragOKs), 1);
	assert_int_equal(STAT(st, IpFragCreates), 6);
	c.frags[1] = NULL;
	cap_free(&c);
	t_assert_no_leak(st);
	t_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_8000_mtu1500),
		cmocka_unit_test(test_udp_8000_mtu576),
		cmocka_unit_test(test_udp_65507_mtu1500),
		cmocka_unit_test(test_udp_65507_mtu576),
		cmocka_unit_test(test_same_bytes_as_scapy),
		cmocka_unit_test(test_partial_checksum_completed),
		cmocka_unit_test(test_options_copied_only_with_copy_flag),
		cmocka_unit_test(test_no_copied_options_gives_plain_header),
		cmocka_unit_test(test_fragment_of_a_fragment),
		cmocka_unit_test(test_fits_is_sent_unchanged),
		cmocka_unit_test(test_no_buffers),
		cmocka_unit_test(test_mtu_too_small),
		cmocka_unit_test(test_send_error_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
