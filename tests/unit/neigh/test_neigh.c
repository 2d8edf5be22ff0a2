/*
 * test_neigh.c - the neighbour cache's state machine, driven by the virtual
 * clock: INCOMPLETE -> REACHABLE -> STALE -> DELAY -> PROBE -> REACHABLE /
 * FAILED, garbage collection, the bounded queue of unresolved datagrams
 * (oldest dropped), static entries, broadcast/multicast next hops, the table
 * bound, dump and teardown. See neigh_env.h for the bench.
 *
 * Timer wheel granularity: a timer fires at or after its deadline, at most 1/8
 * of its delay late (64 ms for 1 s, 512 ms for 5 s, 4096 ms for 30..60 s), so
 * the checks below are "not before the deadline" and "by the deadline plus the
 * granularity".
 */
#include "neigh_env.h"

#include "wire/ipv4.h"

#include "arp_fixtures.inc"

/* Datagram to 198.18.0.1 resolved: the entry is REACHABLE, everything flushed. */
static void resolve_peer(struct env *e)
{
	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	env_expect_frame(e, ARP_REQ_FROM_US, sizeof(ARP_REQ_FROM_US));
	env_inject(e, ARP_REPLY_TO_US, sizeof(ARP_REPLY_TO_US));
	env_expect_frame(e, UDP_FRAME_TO_PEER, sizeof(UDP_FRAME_TO_PEER));
	env_expect_silence(e);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_REACHABLE);
}

static void test_resolve_and_flush(void **state)
{
	struct env *e = *state;
	struct us_neigh_info info;

	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.state, US_NUD_INCOMPLETE);
	assert_int_equal(info.queued, 1);
	assert_int_equal(info.probes, 1);
	assert_false(info.has_mac);
	/* RFC 826: who-has 198.18.0.1 tell 198.18.0.2, broadcast, target MAC zero. */
	env_expect_frame(e, ARP_REQ_FROM_US, sizeof(ARP_REQ_FROM_US));
	env_expect_silence(e);
	assert_int_equal(env_stat(e, ArpOutRequests), 1);

	env_inject(e, ARP_REPLY_TO_US, sizeof(ARP_REPLY_TO_US));
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.state, US_NUD_REACHABLE);
	assert_true(info.has_mac);
	assert_memory_equal(info.mac, MAC_PEER, 6);
	assert_int_equal(info.queued, 0);
	assert_int_equal(info.confirmed_ms, env_now(e));
	assert_int_equal(env_stat(e, ArpInReplies), 1);
	/* The queued datagram leaves with the learned address, padded to 60 bytes. */
	env_expect_frame(e, UDP_FRAME_TO_PEER, sizeof(UDP_FRAME_TO_PEER));
	env_expect_silence(e);

	/* REACHABLE: sent at once, no ARP. */
	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	env_expect_frame(e, UDP_FRAME_TO_PEER, sizeof(UDP_FRAME_TO_PEER));
	env_expect_silence(e);
	assert_int_equal(env_stat(e, ArpOutRequests), 1);
	assert_int_equal(neigh_count(e->a), 1);
	env_no_leak(e);
}

static void test_nud_cycle(void **state)
{
	struct env *e = *state;
	struct us_neigh_info info;
	uint64_t t0, t1, t2, t3, failed_at;
	unsigned other;

	resolve_peer(e);
	t0 = env_now(e);
	/* reachable time is random in [0.5, 1.5) x 30 s: REACHABLE for at least 15 s. */
	env_run_to(e, t0 + 14999);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_REACHABLE);
	/* ... and STALE by 45 s (+4 s wheel granularity), unused meanwhile: no probe. */
	env_run_to(e, t0 + 50000);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_STALE);
	env_expect_silence(e);

	/* Using a STALE entry sends with the cached address and starts DELAY. */
	t1 = env_now(e);
	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	env_expect_frame(e, UDP_FRAME_TO_PEER, sizeof(UDP_FRAME_TO_PEER));
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_DELAY);
	env_run_to(e, t1 + 4999);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_DELAY);
	env_expect_silence(e);
	/* No confirmation within delay_first_probe_time (5 s): PROBE, unicast request. */
	env_run_to(e, t1 + 5600);
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.state, US_NUD_PROBE);
	assert_int_equal(info.probes, 1);
	env_expect_frame(e, ARP_PROBE_FROM_US, sizeof(ARP_PROBE_FROM_US));
	env_expect_silence(e);
	/* The peer answers the probe (unicast reply): REACHABLE again. */
	env_inject(e, ARP_REPLY_TO_US, sizeof(ARP_REPLY_TO_US));
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.state, US_NUD_REACHABLE);
	assert_int_equal(info.probes, 0);
	env_expect_silence(e);

	/* Second round, and this time the peer is gone. */
	t2 = env_now(e);
	env_run_to(e, t2 + 50000);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_STALE);
	t3 = env_now(e);
	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	env_expect_frame(e, UDP_FRAME_TO_PEER, sizeof(UDP_FRAME_TO_PEER));
	env_run_to(e, t3 + 5600);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_PROBE);
	/* In PROBE the cached address is still used. */
	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	assert_int_equal(env_count_arp(e, ARP_OP_REQUEST, ADDR_PEER, MAC_PEER, &other), 1);
	assert_int_equal(other, 1); /* the datagram */
	/* PROBE began in [t3+5000, t3+5512]; the third retrans_time ends 3 s later. */
	env_run_to(e, t3 + 7999);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_PROBE);
	env_run_to(e, t3 + 9000);
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.state, US_NUD_FAILED);
	assert_false(info.has_mac);
	/* ucast_solicit = 3 unicast probes in all, no broadcast. */
	assert_int_equal(env_count_arp(e, ARP_OP_REQUEST, ADDR_PEER, MAC_PEER, &other), 2);
	assert_int_equal(other, 0);
	assert_int_equal(env_stat(e, NeighResolveFailed), 1);
	failed_at = info.updated_ms;

	/* Garbage collection: unused FAILED entries go after gc_stale_time (60 s). */
	env_run_to(e, failed_at + 59999);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_FAILED);
	env_run_to(e, failed_at + 60000 + 4096 + 10);
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), -ENOENT);
	assert_int_equal(neigh_count(e->a), 0);
	env_expect_silence(e);
	env_no_leak(e);
}

/* An upper layer confirms reachability during DELAY: no probe, back to REACHABLE. */
static void test_delay_confirmed(void **state)
{
	struct env *e = *state;
	uint64_t t1;

	resolve_peer(e);
	env_run_to(e, env_now(e) + 50000);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_STALE);
	t1 = env_now(e);
	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	env_expect_frame(e, UDP_FRAME_TO_PEER, sizeof(UDP_FRAME_TO_PEER));
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_DELAY);
	env_run_to(e, t1 + 1000);
	neigh_confirm(e->a, e->da, ADDR_PEER);
	env_run_to(e, t1 + 6000);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_REACHABLE);
	env_expect_silence(e);
	assert_int_equal(env_stat(e, ArpOutRequests), 1);
}

/* A confirmation while REACHABLE extends it (Linux: the deadline is re-read). */
static void test_confirm_extends_reachable(void **state)
{
	struct env *e = *state;
	uint64_t t0;

	resolve_peer(e);
	t0 = env_now(e);
	for (uint64_t t = t0 + 10000; t <= t0 + 100000; t += 10000) {
		env_run_to(e, t);
		neigh_confirm(e->a, e->da, ADDR_PEER);
		assert_int_equal(env_state(e, ADDR_PEER), US_NUD_REACHABLE);
	}
	env_expect_silence(e);
}

/* A sender that saw progress marks its datagrams (TCP after an ACK moved SND.UNA):
 * each one confirms the entry on output, so a busy path stays REACHABLE for minutes
 * without a single ARP probe, the same traffic unmarked goes to DELAY. */
static void test_confirm_on_output(void **state)
{
	struct env *e = *state;
	uint64_t t0;

	resolve_peer(e);
	t0 = env_now(e);
	for (uint64_t t = t0 + 2000; t <= t0 + 120000; t += 2000) {
		env_run_to(e, t);
		env_send_flags(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM), US_PKT_F_CONFIRM_NEIGH);
		env_expect_frame(e, UDP_FRAME_TO_PEER, sizeof(UDP_FRAME_TO_PEER));
		assert_int_equal(env_state(e, ADDR_PEER), US_NUD_REACHABLE);
	}
	env_expect_silence(e);
	assert_int_equal(env_stat(e, ArpOutRequests), 1); /* the first resolution only */
}

/* REACHABLE expiring while the entry is in use goes to DELAY directly (Linux). */
static void test_reachable_in_use_goes_delay(void **state)
{
	struct env *e = *state;
	uint64_t t0, t;

	resolve_peer(e);
	t0 = env_now(e);
	for (t = t0 + 2000; t <= t0 + 60000; t += 2000) {
		env_run_to(e, t);
		if (env_state(e, ADDR_PEER) != US_NUD_REACHABLE)
			break;
		env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
		env_expect_frame(e, UDP_FRAME_TO_PEER, sizeof(UDP_FRAME_TO_PEER));
	}
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_DELAY);
	assert_true(t >= t0 + 15000 && t <= t0 + 45000 + 4096 + 2000);
	env_expect_silence(e);
	/* Unused from now on: PROBE within delay_first_probe_time, one unicast request. */
	for (uint64_t u = t; u < t + 6000 && env_state(e, ADDR_PEER) == US_NUD_DELAY; u += 10)
		env_run_to(e, u + 10);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_PROBE);
	assert_int_equal(env_count_arp(e, ARP_OP_REQUEST, ADDR_PEER, MAC_PEER, NULL), 1);
}

/* No answer: mcast_solicit (3) broadcast requests, then FAILED; queued datagrams
 * are dropped (ICMP host unreachable to their senders). */
static void test_incomplete_fails(void **state)
{
	struct env *e = *state;
	struct us_neigh_info info;
	uint64_t t0 = env_now(e);
	unsigned other;

	for (int i = 0; i < 3; i++)
		env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	assert_int_equal(env_count_arp(e, ARP_OP_REQUEST, ADDR_PEER, MAC_BCAST, &other), 1);
	assert_int_equal(other, 0);
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.queued, 3);

	env_run_to(e, t0 + 2999);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_INCOMPLETE);
	assert_int_equal(env_count_arp(e, ARP_OP_REQUEST, ADDR_PEER, MAC_BCAST, &other), 2);
	assert_int_equal(other, 0);
	assert_int_equal(env_drops(e, US_DROP_NEIGH_FAILED), 0);

	env_run_to(e, t0 + 3500);
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.state, US_NUD_FAILED);
	assert_int_equal(info.queued, 0);
	assert_int_equal(env_drops(e, US_DROP_NEIGH_FAILED), 3);
	assert_int_equal(env_stat(e, NeighResolveFailed), 1);
	assert_int_equal(env_count_arp(e, ARP_OP_REQUEST, ADDR_PEER, MAC_BCAST, NULL), 0);
	env_no_leak(e);

	/* A FAILED entry used again starts over (a host may come back). */
	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_INCOMPLETE);
	env_expect_frame(e, ARP_REQ_FROM_US, sizeof(ARP_REQ_FROM_US));
	env_inject(e, ARP_REPLY_TO_US, sizeof(ARP_REPLY_TO_US));
	env_expect_frame(e, UDP_FRAME_TO_PEER, sizeof(UDP_FRAME_TO_PEER));
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_REACHABLE);
	env_no_leak(e);
}

/* RFC 1122 2.3.2.1 / Linux arp_error_report: when resolution fails, each queued
 * datagram's sender gets ICMP host unreachable quoting it. The datagram here is
 * being forwarded from 198.18.0.7 (a static neighbour), so the error is seen on
 * the wire. */
static void test_failed_sends_host_unreach(void **state)
{
	struct env *e = *state;
	const uint32_t src7 = IP4(198, 18, 0, 7);
	unsigned requests = 0, icmp = 0;
	uint64_t t0 = env_now(e);
	struct us_pkt *p;

	assert_int_equal(neigh_add_static(e->a, e->ifa, src7, MAC_PEER2), 0);
	env_send(e, ADDR_PEER, UDP_DGRAM_FROM_7, sizeof(UDP_DGRAM_FROM_7));
	env_run_to(e, t0 + 3500);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_FAILED);
	assert_int_equal(env_drops(e, US_DROP_NEIGH_FAILED), 1);
	while ((p = env_take(e))) {
		const uint8_t *l3 = p->data + ETH_HDR_LEN;
		struct ipv4_repr ip;

		if (p->data[12] == 0x08 && p->data[13] == 0x06) {
			requests++;
		} else {
			icmp++;
			assert_memory_equal(p->data, MAC_PEER2, 6);
			assert_int_equal(ipv4_parse(l3, us_pkt_len(p) - ETH_HDR_LEN, false, &ip),
					 US_DROP_NONE);
			assert_int_equal(ip.proto, 1);
			assert_int_equal(ip.src, ADDR_US);
			assert_int_equal(ip.dst, src7);
			assert_int_equal(l3[ip.hdr_len], 3);     /* destination unreachable */
			assert_int_equal(l3[ip.hdr_len + 1], 1); /* host unreachable */
			/* RFC 792: the quoted IP header and 8 bytes of its data. */
			assert_memory_equal(l3 + ip.hdr_len + 8, UDP_DGRAM_FROM_7, 28);
		}
		us_pkt_free(p);
	}
	assert_int_equal(requests, 3);
	assert_int_equal(icmp, 1);
	env_no_leak(e);
}

/* unres_qlen bounds the queue; when full the OLDEST datagram is dropped. */
static void test_queue_bound_drops_oldest(void **state)
{
	struct env *e = *state;
	uint8_t dgram[sizeof(UDP_DGRAM)];
	struct us_neigh_info info;

	assert_int_equal(us_stack_set(e->a, "net.ipv4.neigh.default.unres_qlen", "3"), 0);
	memcpy(dgram, UDP_DGRAM, sizeof(dgram));
	for (uint8_t id = 1; id <= 5; id++) {
		dgram[5] = id; /* IP identification, low byte: tells the datagrams apart */
		env_send(e, ADDR_PEER, dgram, sizeof(dgram));
	}
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.queued, 3);
	assert_int_equal(env_drops(e, US_DROP_NEIGH_QUEUE_FULL), 2);
	assert_int_equal(env_stat(e, NeighUnresQDiscards), 2);
	env_expect_frame(e, ARP_REQ_FROM_US, sizeof(ARP_REQ_FROM_US));

	env_inject(e, ARP_REPLY_TO_US, sizeof(ARP_REPLY_TO_US));
	for (uint8_t id = 3; id <= 5; id++) {
		struct us_pkt *p = env_take(e);

		assert_non_null(p);
		assert_int_equal(us_pkt_len(p), 60);
		assert_memory_equal(p->data, MAC_PEER, 6);
		assert_int_equal(p->data[ETH_HDR_LEN + 5], id);
		us_pkt_free(p);
	}
	env_expect_silence(e);
	env_no_leak(e);
}

static void test_static_entries(void **state)
{
	struct env *e = *state;
	static const uint8_t mcast_mac[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	static const uint8_t zero_mac[6] = { 0 };
	struct us_neigh_info info;

	assert_int_equal(neigh_add_static(e->a, e->ifa, ADDR_PEER, MAC_PEER), 0);
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.state, US_NUD_PERMANENT);
	assert_memory_equal(info.mac, MAC_PEER, 6);
	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	env_expect_frame(e, UDP_FRAME_TO_PEER, sizeof(UDP_FRAME_TO_PEER));
	env_expect_silence(e);

	/* ARP does not change a static entry, and time does not expire it. */
	env_inject(e, ARP_GARP_PEER2, sizeof(ARP_GARP_PEER2));
	env_clock(e, env_now(e) + 600000);
	env_run_to(e, env_now(e) + 100);
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.state, US_NUD_PERMANENT);
	assert_memory_equal(info.mac, MAC_PEER, 6);
	env_expect_silence(e);

	assert_int_equal(neigh_add_static(e->a, 31, ADDR_PEER, MAC_PEER), -ENODEV);
	assert_int_equal(neigh_add_static(e->a, e->ifa, ADDR_PEER, mcast_mac), -EINVAL);
	assert_int_equal(neigh_add_static(e->a, e->ifa, ADDR_PEER, MAC_BCAST), -EINVAL);
	assert_int_equal(neigh_add_static(e->a, e->ifa, ADDR_PEER, zero_mac), -EINVAL);
	assert_int_equal(neigh_add_static(e->a, e->ifa, 0, MAC_PEER), -EINVAL);
	assert_int_equal(neigh_add_static(e->a, e->ifa, 0xffffffffu, MAC_PEER), -EINVAL);
	assert_int_equal(neigh_add_static(e->a, e->ifa, IP4(224, 0, 0, 1), MAC_PEER), -EINVAL);

	/* Flushing a device keeps static entries (neigh.h). */
	neigh_flush_dev(e->a, e->ifa);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_PERMANENT);
	assert_int_equal(neigh_del(e->a, e->ifa, ADDR_PEER), 0);
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), -ENOENT);
	assert_int_equal(neigh_del(e->a, e->ifa, ADDR_PEER), -ENOENT);

	/* A static entry over one being resolved releases what waited for it. */
	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	env_expect_frame(e, ARP_REQ_FROM_US, sizeof(ARP_REQ_FROM_US));
	assert_int_equal(neigh_add_static(e->a, e->ifa, ADDR_PEER, MAC_PEER2), 0);
	us_stack_poll(e->a);
	env_expect_frame(e, UDP_FRAME_TO_PEER2, sizeof(UDP_FRAME_TO_PEER2));
	env_expect_silence(e);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_PERMANENT);
	env_no_leak(e);
}

static void test_flush_dev_and_del(void **state)
{
	struct env *e = *state;

	env_send(e, IP4(198, 18, 0, 5), UDP_DGRAM, sizeof(UDP_DGRAM));
	env_send(e, IP4(198, 18, 0, 5), UDP_DGRAM, sizeof(UDP_DGRAM));
	env_send(e, IP4(198, 18, 0, 6), UDP_DGRAM, sizeof(UDP_DGRAM));
	assert_int_equal(neigh_add_static(e->a, e->ifa, IP4(198, 18, 0, 7), MAC_PEER), 0);
	assert_int_equal(neigh_count(e->a), 3);

	/* Deleting an entry drops what waited in it. */
	assert_int_equal(neigh_del(e->a, e->ifa, IP4(198, 18, 0, 6)), 0);
	assert_int_equal(env_drops(e, US_DROP_NEIGH_DEAD), 1);
	neigh_flush_dev(e->a, e->ifa);
	assert_int_equal(env_drops(e, US_DROP_NEIGH_DEAD), 3);
	assert_int_equal(neigh_count(e->a), 1);
	assert_int_equal(env_state(e, IP4(198, 18, 0, 7)), US_NUD_PERMANENT);
	env_no_leak(e);
}

/* Broadcast and multicast next hops need no ARP (RFC 1112 6.4 for groups). */
static void test_group_nexthops(void **state)
{
	struct env *e = *state;
	const size_t dlen = sizeof(UDP_DGRAM);

	env_send(e, IP4(198, 18, 0, 255), UDP_FRAME_BCAST + ETH_HDR_LEN, dlen);
	env_expect_frame(e, UDP_FRAME_BCAST, sizeof(UDP_FRAME_BCAST));
	env_send(e, 0xffffffffu, UDP_FRAME_BCAST + ETH_HDR_LEN, dlen);
	env_expect_frame(e, UDP_FRAME_BCAST, sizeof(UDP_FRAME_BCAST));
	/* The all-zeroes-host broadcast of the subnet (Linux has a BROADCAST route). */
	env_send(e, IP4(198, 18, 0, 0), UDP_FRAME_BCAST + ETH_HDR_LEN, dlen);
	env_expect_frame(e, UDP_FRAME_BCAST, sizeof(UDP_FRAME_BCAST));
	env_send(e, IP4(239, 255, 0, 251), UDP_FRAME_MCAST + ETH_HDR_LEN, dlen);
	env_expect_frame(e, UDP_FRAME_MCAST, sizeof(UDP_FRAME_MCAST));
	/* 239.127.0.251 maps to the same MAC: only 23 bits survive. */
	env_send(e, IP4(239, 127, 0, 251), UDP_FRAME_MCAST + ETH_HDR_LEN, dlen);
	env_expect_frame(e, UDP_FRAME_MCAST, sizeof(UDP_FRAME_MCAST));
	env_expect_silence(e);
	assert_int_equal(neigh_count(e->a), 0);
	assert_int_equal(env_stat(e, ArpOutRequests), 0);
	env_no_leak(e);
}

/* A device without ARP and no static entry: broadcast, no entry. */
static void test_noarp_device(void **state)
{
	struct env *e = *state;
	uint8_t expect[sizeof(UDP_FRAME_TO_PEER)];

	e->da->flags |= US_DEV_NOARP;
	memcpy(expect, UDP_FRAME_TO_PEER, sizeof(expect));
	memcpy(expect, MAC_BCAST, 6);
	env_send(e, ADDR_PEER, UDP_DGRAM, sizeof(UDP_DGRAM));
	env_expect_frame(e, expect, sizeof(expect));
	env_expect_silence(e);
	assert_int_equal(neigh_count(e->a), 0);
}

/* gc_thresh3 bounds the table: FAILED entries are evicted first, then the oldest
 * STALE; entries being resolved are never evicted. */
static void test_table_bound(void **state)
{
	struct env *e = *state;
	uint64_t t0 = env_now(e);
	unsigned gone;

	assert_int_equal(us_stack_set(e->a, "net.ipv4.neigh.default.gc_thresh3", "8"), 0);
	for (unsigned i = 0; i < 8; i++)
		env_send(e, IP4(198, 18, 0, 10 + i), UDP_DGRAM, sizeof(UDP_DGRAM));
	assert_int_equal(neigh_count(e->a), 8);
	env_send(e, IP4(198, 18, 0, 30), UDP_DGRAM, sizeof(UDP_DGRAM));
	assert_int_equal(env_drops(e, US_DROP_NEIGH_TABLE_FULL), 1);
	assert_int_equal(neigh_count(e->a), 8);
	assert_int_equal(env_state(e, IP4(198, 18, 0, 30)), US_NUD_NONE);

	/* All eight fail; then a new next hop takes a FAILED entry's place. */
	env_run_to(e, t0 + 3500);
	assert_int_equal(env_stat(e, NeighResolveFailed), 8);
	env_send(e, IP4(198, 18, 0, 30), UDP_DGRAM, sizeof(UDP_DGRAM));
	assert_int_equal(neigh_count(e->a), 8);
	assert_int_equal(env_state(e, IP4(198, 18, 0, 30)), US_NUD_INCOMPLETE);
	gone = 0;
	for (unsigned i = 0; i < 8; i++)
		gone += env_state(e, IP4(198, 18, 0, 10 + i)) == US_NUD_NONE;
	assert_int_equal(gone, 1);
	assert_int_equal(env_drops(e, US_DROP_NEIGH_TABLE_FULL), 1);
	env_count_arp(e, ARP_OP_REQUEST, 0, NULL, NULL);
	assert_int_equal(e->a->pool.in_use, 1); /* the datagram waiting for .30, and nothing else */
}

/* FAILED before STALE, and the STALE entry that has been STALE longest. */
static void test_eviction_order(void **state)
{
	struct env *e = *state;
	uint8_t frame[ETH_HDR_LEN + ARP_HDR_LEN];
	struct eth_repr eth = { .ethertype = ETH_P_ARP };
	struct arp_repr arp = { .op = ARP_OP_REQUEST, .tpa = ADDR_US };

	assert_int_equal(us_stack_set(e->a, "net.ipv4.neigh.default.gc_thresh3", "8"), 0);
	/* One FAILED entry... */
	env_send(e, IP4(198, 18, 0, 40), UDP_DGRAM, sizeof(UDP_DGRAM));
	env_run_to(e, env_now(e) + 3500);
	assert_int_equal(env_state(e, IP4(198, 18, 0, 40)), US_NUD_FAILED);
	/* ... and seven STALE ones, learned from requests for our address, 1 s apart. */
	memcpy(eth.dst, MAC_BCAST, 6);
	for (unsigned i = 0; i < 7; i++) {
		uint8_t mac[6] = { 0x02, 0, 0, 0, 0x10, (uint8_t)i };

		memcpy(eth.src, mac, 6);
		memcpy(arp.sha, mac, 6);
		arp.spa = IP4(198, 18, 0, 20 + i);
		eth_emit(&eth, frame);
		arp_emit(&arp, frame + ETH_HDR_LEN);
		env_run_to(e, env_now(e) + 1000);
		env_inject(e, frame, sizeof(frame));
		assert_int_equal(env_state(e, arp.spa), US_NUD_STALE);
	}
	assert_int_equal(neigh_count(e->a), 8);
	env_send(e, IP4(198, 18, 0, 50), UDP_DGRAM, sizeof(UDP_DGRAM));
	assert_int_equal(env_state(e, IP4(198, 18, 0, 40)), US_NUD_NONE);
	assert_int_equal(env_state(e, IP4(198, 18, 0, 20)), US_NUD_STALE);
	env_send(e, IP4(198, 18, 0, 51), UDP_DGRAM, sizeof(UDP_DGRAM));
	assert_int_equal(env_state(e, IP4(198, 18, 0, 20)), US_NUD_NONE);
	assert_int_equal(env_state(e, IP4(198, 18, 0, 21)), US_NUD_STALE);
	assert_int_equal(neigh_count(e->a), 8);
	assert_int_equal(env_drops(e, US_DROP_NEIGH_TABLE_FULL), 0);
	env_count_arp(e, ARP_OP_REQUEST, 0, NULL, NULL);
}

/* STALE entries nobody uses are collected after gc_stale_time. */
static void test_gc_stale(void **state)
{
	struct env *e = *state;
	struct us_neigh_info info;

	resolve_peer(e);
	env_run_to(e, env_now(e) + 50000);
	assert_int_equal(neigh_lookup_info(e->a, e->ifa, ADDR_PEER, &info), 0);
	assert_int_equal(info.state, US_NUD_STALE);
	env_run_to(e, info.updated_ms + 59999);
	assert_int_equal(env_state(e, ADDR_PEER), US_NUD_STALE);
	env_run_to(e, info.updated_ms + 60000 + 4096 + 10);
	assert_int_equal(neigh_count(e->a), 0);
	env_expect_silence(e);
}

struct dump_ctx {
	unsigned seen;
	int stop_at;
};

static int dump_cb(const struct us_neigh_info *n, void *arg)
{
	struct dump_ctx *c = arg;

	assert_int_equal(n->ifindex, 1);
	c->seen++;
	return c->stop_at && (int)c->seen == c->stop_at ? 42 : 0;
}

static void test_dump_and_names(void **state)
{
	struct env *e = *state;
	struct dump_ctx c = { 0, 0 };

	assert_int_equal(e->ifa, 1);
	env_send(e, IP4(198, 18, 0, 5), UDP_DGRAM, sizeof(UDP_DGRAM));
	env_send(e, IP4(198, 18, 0, 6), UDP_DGRAM, sizeof(UDP_DGRAM));
	assert_int_equal(neigh_add_static(e->a, e->ifa, ADDR_PEER, MAC_PEER), 0);
	assert_int_equal(neigh_dump(e->a, dump_cb, &c), 0);
	assert_int_equal(c.seen, 3);
	c = (struct dump_ctx){ 0, 2 };
	assert_int_equal(neigh_dump(e->a, dump_cb, &c), 42);
	assert_int_equal(c.seen, 2);

	assert_string_equal(us_neigh_state_name(US_NUD_INCOMPLETE), "INCOMPLETE");
	assert_string_equal(us_neigh_state_name(US_NUD_REACHABLE), "REACHABLE");
	assert_string_equal(us_neigh_state_name(US_NUD_STALE), "STALE");
	assert_string_equal(us_neigh_state_name(US_NUD_DELAY), "DELAY");
	assert_string_equal(us_neigh_state_name(US_NUD_PROBE), "PROBE");
	assert_string_equal(us_neigh_state_name(US_NUD_FAILED), "FAILED");
	assert_string_equal(us_neigh_state_name(US_NUD_PERMANENT), "PERMANENT");
	assert_string_equal(us_neigh_state_name(US_NUD_NONE), "NONE");
	assert_string_equal(us_neigh_state_name((enum us_neigh_state)99), "?");
	env_count_arp(e, ARP_OP_REQUEST, 0, NULL, NULL);
}

/* neigh_fini frees every entry and every datagram still waiting. */
static void test_fini_frees_queued(void **state)
{
	struct env *e = *state;

	for (int i = 0; i < 4; i++)
		env_send(e, IP4(198, 18, 0, 5 + (i & 1)), UDP_DGRAM, sizeof(UDP_DGRAM));
	assert_int_equal(e->a->pool.in_use, 4);
	neigh_fini(e->a);
	assert_null(e->a->neigh);
	env_no_leak(e);
	assert_int_equal(neigh_init(e->a), 0); /* for the teardown */
	env_count_arp(e, ARP_OP_REQUEST, 0, NULL, NULL);
}

/* A flood of datagrams to ever new next hops keeps the table at gc_thresh3. */
static void test_output_flood_bounded(void **state)
{
	struct env *e = *state;

	assert_int_equal(us_stack_set(e->a, "net.ipv4.neigh.default.gc_thresh3", "64"), 0);
	for (unsigned i = 0; i < 2000; i++) {
		env_send(e, IP4(198, 18, 100 + i / 250, i % 250 + 1), UDP_DGRAM, sizeof(UDP_DGRAM));
		env_count_arp(e, ARP_OP_REQUEST, 0, NULL, NULL);
		if (i % 100 == 99)
			env_run_to(e, env_now(e) + 3500); /* let them fail: evictable */
		assert_true(neigh_count(e->a) <= 64);
	}
	assert_true(env_drops(e, US_DROP_NEIGH_TABLE_FULL) > 0);
	env_run_to(e, env_now(e) + 3500);
	env_count_arp(e, ARP_OP_REQUEST, 0, NULL, NULL);
	env_no_leak(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve_and_flush, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_nud_cycle, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_delay_confirmed, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_confirm_extends_reachable, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_confirm_on_output, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_reachable_in_use_goes_delay, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_incomplete_fails, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_failed_sends_host_unreach, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_queue_bound_drops_oldest, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_static_entries, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_flush_dev_and_del, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_group_nexthops, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_noarp_device, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_table_bound, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_eviction_order, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_gc_stale, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_dump_and_names, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_fini_frees_queued, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_output_flood_bounded, env_setup, env_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
