/*
 * test_arp.c - ARP on the receive side (RFC 826 merge, Linux's rules for what
 * is learned and answered, RFC 5227 probes and conflicts), announcements, and
 * floods: requests for other addresses, gratuitous ARPs from random senders,
 * and requests for our address from random senders (table stays bounded, drop
 * counters move, every request for us is still answered).
 * Fixtures: arp_fixtures.inc (scapy); frames with random fields are built with
 * wire/ emit functions.
 */
#include "neigh_env.h"

#include "arp_fixtures.inc"

static const uint8_t ZERO_MAC[6] = { 0 };

/* Builds an unpadded Ethernet + ARP frame (42 bytes) into @buf. */
static size_t mk_arp(uint8_t *buf, const uint8_t *edst, const uint8_t *esrc, uint16_t op,
		     const uint8_t *sha, uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
	struct eth_repr eth = { .ethertype = ETH_P_ARP };
	struct arp_repr arp = { .op = op, .spa = spa, .tpa = tpa };

	memcpy(eth.dst, edst, 6);
	memcpy(eth.src, esrc, 6);
	memcpy(arp.sha, sha, 6);
	memcpy(arp.tha, tha ? tha : ZERO_MAC, 6);
	eth_emit(&eth, buf);
	arp_emit(&arp, buf + ETH_HDR_LEN);
	return ETH_HDR_LEN + ARP_HDR_LEN;
}

static uint64_t total_drops(struct env *e)
{
	uint64_t n = 0;

	for (int r = 0; r < US_DROP__COUNT; r++)
		n += e->a->counters.drop[r];
	return n;
}

/* Reachable entry for 198.18.0.1 at PEER (our request, its unicast reply). */
static void resolve_peer(struct env *e)
{
	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	env_expect_frame(e, ARP_REQ_FROM_US, sizeof(ARP_REQ_FROM_US));
	env_inject(e, ARP_REPLY_TO_US, sizeof(ARP_REPLY_TO_US));
	env_expect_frame(e, UDP_FRAME_TO_PEER, sizeof(UDP_FRAME_TO_PEER));
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_REACHABLE);
}

/* RFC 5227 3: announcement = request with sender = target = the address. */
static void test_announce(void **state)
{
	struct env *e = *state;
	struct us_pkt *p;
	struct arp_repr arp;

	arp_announce(e->a, e->da, ADDR_US);
	us_stack_poll(e->a);
	env_expect_frame(e, ARP_GARP_FROM_US, sizeof(ARP_GARP_FROM_US));
	env_expect_silence(e);
	assert_int_equal(env_stat(e, ArpOutRequests), 1);

	/* ifaddr_add announces the new address (the IP helper calls arp_announce). */
	assert_int_equal(ifaddr_add(e->a, e->ifa, IP4(198, 18, 0, 3), 24), 0);
	us_stack_poll(e->a);
	p = env_take(e);
	assert_non_null(p);
	assert_memory_equal(p->data, MAC_BCAST, 6);
	assert_int_equal(arp_parse(p->data + ETH_HDR_LEN, us_pkt_len(p) - ETH_HDR_LEN, &arp),
			 US_DROP_NONE);
	assert_int_equal(arp.op, ARP_OP_REQUEST);
	assert_int_equal(arp.spa, IP4(198, 18, 0, 3));
	assert_int_equal(arp.tpa, IP4(198, 18, 0, 3));
	us_pkt_free(p);

	/* Nothing on a device that is down or has ARP off. */
	e->da->flags &= ~(uint32_t)US_DEV_UP;
	arp_announce(e->a, e->da, ADDR_US);
	e->da->flags |= US_DEV_UP | US_DEV_NOARP;
	arp_announce(e->a, e->da, ADDR_US);
	us_stack_poll(e->a);
	env_expect_silence(e);
	env_no_leak(e);
}

static void test_request_for_us(void **state)
{
	struct env *e = *state;
	struct us_neigh_info info;

	env_inject(e, ARP_REQ_FOR_US, sizeof(ARP_REQ_FOR_US));
	/* The reply goes to the requester's hardware address, padded to 60 bytes. */
	env_expect_frame(e, ARP_REPLY_FROM_US, sizeof(ARP_REPLY_FROM_US));
	env_expect_silence(e);
	/* The requester is learned, STALE (not confirmed: Linux arp_process). */
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.state, US_NUD_STALE);
	assert_memory_equal(info.mac, MAC_PEER, 6);
	assert_int_equal(env_stat(e, ArpInRequests), 1);
	assert_int_equal(env_stat(e, ArpOutReplies), 1);
	assert_int_equal(total_drops(e), 0);

	/* A padded request (as from a real wire) is the same request. */
	{
		uint8_t padded[60] = { 0 };

		memcpy(padded, ARP_REQ_FOR_US, sizeof(ARP_REQ_FOR_US));
		env_inject(e, padded, sizeof(padded));
		env_expect_frame(e, ARP_REPLY_FROM_US, sizeof(ARP_REPLY_FROM_US));
	}
	/* Using the learned entry needs no request of ours (STALE -> DELAY). */
	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	env_expect_frame(e, UDP_FRAME_TO_PEER, sizeof(UDP_FRAME_TO_PEER));
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_DELAY);
	assert_int_equal(env_stat(e, ArpOutRequests), 0);
	env_no_leak(e);
}

static void test_request_not_for_us(void **state)
{
	struct env *e = *state;

	env_inject(e, ARP_REQ_OTHER, sizeof(ARP_REQ_OTHER));
	env_expect_silence(e);
	assert_int_equal(neigh_count(e->a), 0);
	assert_int_equal(env_drops(e, US_DROP_ARP_NOT_FOR_US), 1);
	assert_int_equal(env_stat(e, ArpInRequests), 1);
	env_no_leak(e);
}

/* RFC 826 merge: an existing entry is updated by any ARP from its host. */
static void test_merge_updates_existing(void **state)
{
	struct env *e = *state;
	uint8_t frame[60];
	struct us_neigh_info info;
	size_t len;

	resolve_peer(e);
	/* Same MAC in a request for someone else: consumed, state kept. */
	env_inject(e, ARP_REQ_OTHER, sizeof(ARP_REQ_OTHER));
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_REACHABLE);
	assert_int_equal(env_drops(e, US_DROP_ARP_NOT_FOR_US), 0);
	/* A new MAC after locktime (1 s): taken, STALE. */
	env_run_to(e, env_now(e) + 1500);
	len = mk_arp(frame, MAC_BCAST, MAC_PEER2, ARP_OP_REQUEST, MAC_PEER2, ADDR_PEER, NULL,
		     IP4(198, 18, 0, 9));
	env_inject(e, frame, len);
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.state, US_NUD_STALE);
	assert_memory_equal(info.mac, MAC_PEER2, 6);
	env_expect_silence(e);
	assert_int_equal(total_drops(e), 0);
	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	env_expect_frame(e, UDP_FRAME_TO_PEER2, sizeof(UDP_FRAME_TO_PEER2));
	env_no_leak(e);
}

/* A request from a host we hold as REACHABLE, same MAC: stays REACHABLE (Linux). */
static void test_request_keeps_reachable(void **state)
{
	struct env *e = *state;

	resolve_peer(e);
	env_inject(e, ARP_REQ_FOR_US, sizeof(ARP_REQ_FOR_US));
	env_expect_frame(e, ARP_REPLY_FROM_US, sizeof(ARP_REPLY_FROM_US));
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_REACHABLE);
}

/* Replies nobody asked for are not learned (Linux arp_accept = 0). */
static void test_unsolicited_reply(void **state)
{
	struct env *e = *state;

	env_inject(e, ARP_REPLY_TO_US, sizeof(ARP_REPLY_TO_US));
	env_expect_silence(e);
	assert_int_equal(neigh_count(e->a), 0);
	assert_int_equal(env_drops(e, US_DROP_ARP_UNSOLICITED), 1);
	assert_int_equal(env_stat(e, ArpInReplies), 1);
	env_no_leak(e);
}

/* Only a reply sent to our MAC proves two-way reachability; a broadcast one
 * resolves the entry as STALE, and the queued datagram's use makes it DELAY. */
static void test_broadcast_reply_is_stale(void **state)
{
	struct env *e = *state;
	uint8_t frame[sizeof(ARP_REPLY_TO_US)];

	memcpy(frame, ARP_REPLY_TO_US, sizeof(frame));
	memcpy(frame, MAC_BCAST, 6);
	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	env_expect_frame(e, ARP_REQ_FROM_US, sizeof(ARP_REQ_FROM_US));
	env_inject(e, frame, sizeof(frame));
	env_expect_frame(e, UDP_FRAME_TO_PEER, sizeof(UDP_FRAME_TO_PEER));
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_DELAY);
	env_no_leak(e);
}

/* A gratuitous ARP moves an entry at once, even within locktime. */
static void test_garp_moves_entry(void **state)
{
	struct env *e = *state;
	struct us_neigh_info info;

	resolve_peer(e);
	env_inject(e, ARP_GARP_PEER2, sizeof(ARP_GARP_PEER2));
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.state, US_NUD_STALE);
	assert_memory_equal(info.mac, MAC_PEER2, 6);
	env_expect_silence(e);
	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	env_expect_frame(e, UDP_FRAME_TO_PEER2, sizeof(UDP_FRAME_TO_PEER2));
	env_no_leak(e);
}

/* Of several different answers within locktime the first one wins. */
static void test_locktime(void **state)
{
	struct env *e = *state;
	uint8_t frame[60];
	struct us_neigh_info info;
	size_t len;

	resolve_peer(e);
	len = mk_arp(frame, MAC_US, MAC_PEER2, ARP_OP_REPLY, MAC_PEER2, ADDR_PEER, MAC_US, ADDR_US);
	env_run_to(e, env_now(e) + 100);
	env_inject(e, frame, len);
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.state, US_NUD_REACHABLE);
	assert_memory_equal(info.mac, MAC_PEER, 6);
	env_run_to(e, env_now(e) + 1000);
	env_inject(e, frame, len);
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.state, US_NUD_REACHABLE);
	assert_memory_equal(info.mac, MAC_PEER2, 6);
	env_expect_silence(e);
}

/* RFC 5227 2.1.1: a probe (sender 0.0.0.0) for our address is answered and not
 * learned; for another address it is ignored. */
static void test_rfc5227_probe(void **state)
{
	struct env *e = *state;
	uint8_t frame[60];
	size_t len;

	env_inject(e, ARP_RFC5227_PROBE, sizeof(ARP_RFC5227_PROBE));
	env_expect_frame(e, ARP_PROBE_DEFENCE, sizeof(ARP_PROBE_DEFENCE));
	env_expect_silence(e);
	assert_int_equal(neigh_count(e->a), 0);
	assert_int_equal(env_stat(e, ArpOutReplies), 1);

	len = mk_arp(frame, MAC_BCAST, MAC_PEER, ARP_OP_REQUEST, MAC_PEER, 0, NULL,
		     IP4(198, 18, 0, 9));
	env_inject(e, frame, len);
	env_expect_silence(e);
	assert_int_equal(env_drops(e, US_DROP_ARP_NOT_FOR_US), 1);
	assert_int_equal(neigh_count(e->a), 0);
	env_no_leak(e);
}

/* Someone claims our address: not learned, not answered, counted. */
static void test_conflict(void **state)
{
	struct env *e = *state;

	env_inject(e, ARP_CONFLICT, sizeof(ARP_CONFLICT));
	env_expect_silence(e);
	assert_int_equal(neigh_count(e->a), 0);
	assert_int_equal(env_drops(e, US_DROP_ARP_BAD_SENDER), 1);
	env_no_leak(e);
}

static void test_bad_senders(void **state)
{
	struct env *e = *state;
	static const uint8_t mcast_mac[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	static const uint8_t src_mac[6] = { 0x02, 0, 0, 0, 0, 0x44 };
	const struct {
		const uint8_t *sha;
		uint32_t spa;
	} cases[] = {
		{ MAC_PEER, IP4(224, 0, 0, 1) },     /* multicast sender */
		{ MAC_PEER, 0xffffffffu },           /* limited broadcast */
		{ MAC_PEER, IP4(198, 18, 0, 255) },  /* the subnet's broadcast */
		{ MAC_PEER, IP4(198, 18, 0, 0) },    /* the subnet's all-zeroes broadcast */
		{ MAC_PEER, IP4(127, 0, 0, 1) },     /* loopback */
		{ mcast_mac, ADDR_PEER },            /* group hardware address */
		{ MAC_BCAST, ADDR_PEER },
		{ ZERO_MAC, ADDR_PEER },
		{ MAC_US, ADDR_PEER },               /* our own frame reflected */
		{ MAC_PEER, 0 },                     /* 0.0.0.0 in a reply */
	};
	uint8_t frame[60];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint16_t op = cases[i].spa == 0 ? ARP_OP_REPLY : ARP_OP_REQUEST;
		size_t len = mk_arp(frame, MAC_BCAST, src_mac, op, cases[i].sha, cases[i].spa, NULL,
				    ADDR_US);

		env_inject(e, frame, len);
		env_expect_silence(e);
		assert_int_equal(env_drops(e, US_DROP_ARP_BAD_SENDER), i + 1);
	}
	assert_int_equal(neigh_count(e->a), 0);
	assert_int_equal(env_stat(e, ArpOutReplies), 0);
	/* Targets nobody can own: multicast, loopback. */
	mk_arp(frame, MAC_BCAST, MAC_PEER, ARP_OP_REQUEST, MAC_PEER, ADDR_PEER, NULL,
	       IP4(224, 0, 0, 251));
	env_inject(e, frame, 42);
	mk_arp(frame, MAC_BCAST, MAC_PEER, ARP_OP_REQUEST, MAC_PEER, ADDR_PEER, NULL,
	       IP4(127, 0, 0, 1));
	env_inject(e, frame, 42);
	env_expect_silence(e);
	assert_int_equal(env_drops(e, US_DROP_ARP_NOT_FOR_US), 2);
	env_no_leak(e);
}

static void test_malformed(void **state)
{
	struct env *e = *state;
	uint8_t frame[60];

	/* Truncated: 20 of the 28 ARP bytes. */
	env_inject(e, ARP_REQ_FOR_US, ETH_HDR_LEN + 20);
	assert_int_equal(env_drops(e, US_DROP_PKT_TOO_SHORT), 1);
	/* Hardware type 6 (IEEE 802): not ours. */
	memcpy(frame, ARP_REQ_FOR_US, sizeof(ARP_REQ_FOR_US));
	frame[ETH_HDR_LEN + 1] = 6;
	env_inject(e, frame, sizeof(ARP_REQ_FOR_US));
	/* Opcode 3 (RARP request). */
	memcpy(frame, ARP_REQ_FOR_US, sizeof(ARP_REQ_FOR_US));
	frame[ETH_HDR_LEN + 7] = 3;
	env_inject(e, frame, sizeof(ARP_REQ_FOR_US));
	assert_int_equal(env_drops(e, US_DROP_ARP_MALFORMED), 2);
	env_expect_silence(e);
	assert_int_equal(neigh_count(e->a), 0);
	assert_int_equal(env_stat(e, ArpInRequests), 0);
	env_no_leak(e);
}

/* arp_ignore = 0 answers for any local address (weak host model), 1 only for the
 * receiving device's. */
static void test_arp_ignore(void **state)
{
	struct env *e = *state;
	uint8_t frame[60];
	int if2, if2b;
	size_t len;

	if2 = us_dev_pair_new(e->a, "ve2", e->b, "ve3", &if2b);
	assert_true(if2 > 0);
	assert_int_equal(ifaddr_add(e->a, if2, IP4(198, 18, 1, 2), 24), 0);
	us_stack_poll(e->a);
	len = mk_arp(frame, MAC_BCAST, MAC_PEER, ARP_OP_REQUEST, MAC_PEER, ADDR_PEER, NULL,
		     IP4(198, 18, 1, 2));
	env_inject(e, frame, len);
	assert_int_equal(env_stat(e, ArpOutReplies), 1);
	assert_int_equal(env_count_arp(e, ARP_OP_REPLY, ADDR_PEER, MAC_PEER, NULL), 1);

	assert_int_equal(us_stack_set(e->a, "net.ipv4.conf.all.arp_ignore", "1"), 0);
	assert_int_equal(neigh_del(e->a, e->ifa, ADDR_PEER), 0);
	env_inject(e, frame, len);
	env_expect_silence(e);
	assert_int_equal(env_stat(e, ArpOutReplies), 1);
	assert_int_equal(env_drops(e, US_DROP_ARP_NOT_FOR_US), 1);
	assert_int_equal(neigh_count(e->a), 0);
	/* Its own address is still answered. */
	env_inject(e, ARP_REQ_FOR_US, sizeof(ARP_REQ_FOR_US));
	env_expect_frame(e, ARP_REPLY_FROM_US, sizeof(ARP_REPLY_FROM_US));
	env_no_leak(e);
}

/* Ethernet frames seen only in promiscuous mode are not ARP's business. */
static void test_promisc_otherhost(void **state)
{
	struct env *e = *state;
	uint8_t frame[60];
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x77 };
	size_t len;

	e->da->flags |= US_DEV_PROMISC;
	len = mk_arp(frame, other, MAC_PEER, ARP_OP_REPLY, MAC_PEER, ADDR_PEER, other, ADDR_US);
	env_inject(e, frame, len);
	assert_int_equal(env_drops(e, US_DROP_ETH_OTHERHOST), 1);
	assert_int_equal(neigh_count(e->a), 0);
	env_no_leak(e);
}

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

#define FLOOD 5000
#define CHUNK 100

/* Requests for addresses that are not ours, from random senders: no entries. */
static void test_flood_requests_for_others(void **state)
{
	struct env *e = *state;
	uint32_t seed = 12345;
	uint8_t frame[60];

	for (unsigned i = 0; i < FLOOD; i++) {
		uint32_t r = rnd(&seed);
		uint8_t sha[6] = { 0x02, 0x55, (uint8_t)(r >> 24), (uint8_t)(r >> 16), (uint8_t)(r >> 8),
				   (uint8_t)r };
		uint32_t spa = IP4(198, 18, 1 + r % 200, 1 + (r >> 8) % 254);
		uint32_t tpa = IP4(198, 19, (r >> 16) & 0xff, 1 + (r >> 4) % 254);
		size_t len = mk_arp(frame, MAC_BCAST, sha, ARP_OP_REQUEST, sha, spa, NULL, tpa);

		assert_int_equal(us_dev_inject(e->a, e->ifa, frame, len), 0);
		if (i % CHUNK == CHUNK - 1) {
			us_stack_poll(e->a);
			assert_int_equal(neigh_count(e->a), 0);
		}
	}
	us_stack_poll(e->a);
	env_expect_silence(e);
	assert_int_equal(neigh_count(e->a), 0);
	assert_int_equal(env_drops(e, US_DROP_ARP_NOT_FOR_US), FLOOD);
	assert_int_equal(env_stat(e, ArpInRequests), FLOOD);
	env_no_leak(e);
}

/* Gratuitous ARPs from random senders: no entries either. */
static void test_flood_gratuitous(void **state)
{
	struct env *e = *state;
	uint32_t seed = 777;
	uint8_t frame[60];

	for (unsigned i = 0; i < FLOOD; i++) {
		uint32_t r = rnd(&seed);
		uint8_t sha[6] = { 0x02, 0x66, (uint8_t)(r >> 24), (uint8_t)(r >> 16), (uint8_t)(r >> 8),
				   (uint8_t)r };
		uint32_t spa = IP4(198, 18, 1 + r % 200, 1 + (r >> 8) % 254);
		uint16_t op = (r & 0x10000) ? ARP_OP_REPLY : ARP_OP_REQUEST;
		size_t len = mk_arp(frame, MAC_BCAST, sha, op, sha, spa, NULL, spa);

		assert_int_equal(us_dev_inject(e->a, e->ifa, frame, len), 0);
		if (i % CHUNK == CHUNK - 1)
			us_stack_poll(e->a);
	}
	us_stack_poll(e->a);
	env_expect_silence(e);
	assert_int_equal(neigh_count(e->a), 0);
	assert_int_equal(env_drops(e, US_DROP_ARP_NOT_FOR_US), FLOOD);
	env_no_leak(e);
}

/* Requests for our address from random senders: each is answered; the table is
 * held at gc_thresh3 by evicting the oldest STALE entries; when nothing can be
 * evicted the NEIGH_TABLE_FULL counter moves but the answers still go out. */
static void test_flood_requests_for_us(void **state)
{
	struct env *e = *state;
	uint32_t seed = 99;
	uint8_t frame[60];
	unsigned replies = 0, other;

	assert_int_equal(us_stack_set(e->a, "net.ipv4.neigh.default.gc_thresh3", "64"), 0);
	for (unsigned i = 0; i < FLOOD; i++) {
		uint32_t r = rnd(&seed);
		uint8_t sha[6] = { 0x02, 0x77, (uint8_t)(r >> 24), (uint8_t)(r >> 16), (uint8_t)(r >> 8),
				   (uint8_t)r };
		uint32_t spa = IP4(198, 18, 1 + r % 200, 1 + (r >> 8) % 254);
		size_t len = mk_arp(frame, MAC_BCAST, sha, ARP_OP_REQUEST, sha, spa, NULL, ADDR_US);

		assert_int_equal(us_dev_inject(e->a, e->ifa, frame, len), 0);
		if (i % CHUNK == CHUNK - 1) {
			us_stack_poll(e->a);
			assert_true(neigh_count(e->a) <= 64);
			replies += env_count_arp(e, ARP_OP_REPLY, spa, NULL, &other);
			replies += other; /* replies to the other senders of the chunk */
		}
	}
	assert_int_equal(replies, FLOOD);
	assert_int_equal(neigh_count(e->a), 64);
	assert_int_equal(env_stat(e, ArpOutReplies), FLOOD);
	assert_int_equal(env_drops(e, US_DROP_NEIGH_TABLE_FULL), 0);

	/* Now fill the table with entries being resolved: nothing is evictable. */
	neigh_flush_dev(e->a, e->ifa);
	for (unsigned i = 0; i < 64; i++)
		env_send(e, IP4(198, 18, 0, 100 + i), UDP_DGRAM, sizeof(UDP_DGRAM));
	env_count_arp(e, ARP_OP_REQUEST, 0, NULL, NULL);
	for (unsigned i = 0; i < CHUNK; i++) {
		uint32_t r = rnd(&seed);
		uint8_t sha[6] = { 0x02, 0x77, 0, 0, (uint8_t)(r >> 8), (uint8_t)r };
		size_t len = mk_arp(frame, MAC_BCAST, sha, ARP_OP_REQUEST, sha,
				    IP4(198, 18, 2, 1 + i), NULL, ADDR_US);

		assert_int_equal(us_dev_inject(e->a, e->ifa, frame, len), 0);
	}
	us_stack_poll(e->a);
	assert_int_equal(env_count_arp(e, ARP_OP_REPLY, IP4(198, 18, 2, 1), NULL, &other) + other,
			 CHUNK);
	assert_int_equal(env_drops(e, US_DROP_NEIGH_TABLE_FULL), CHUNK);
	assert_int_equal(neigh_count(e->a), 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_announce, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_request_for_us, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_request_not_for_us, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_merge_updates_existing, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_request_keeps_reachable, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_unsolicited_reply, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_broadcast_reply_is_stale, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_garp_moves_entry, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_locktime, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_rfc5227_probe, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_conflict, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_bad_senders, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_malformed, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_arp_ignore, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_promisc_otherhost, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_flood_requests_for_others, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_flood_gratuitous, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_flood_requests_for_us, env_setup, env_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
