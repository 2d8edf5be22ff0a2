/*
 * ip_env.h - shared by the ip/ unit tests (fib, ifaddr, ip_input, ip_output,
 * forward): a seeded stack on the virtual clock, in-memory IP-link devices whose
 * transmit queue the tests read directly (no ARP in the way), packet injection into
 * ip_input, and a recording stand-in for icmp_send_error (the executables link with
 * -Wl,--wrap=icmp_send_error, so the IP layer's calls land here and the tests can
 * check type, code and info exactly, independently of the ICMP module).
 */
#ifndef TEST_IP_ENV_H
#define TEST_IP_ENV_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "core/stack.h"
#include "icmp/icmp.h"
#include "ip/fib.h"
#include "ip/ifaddr.h"
#include "ip/ip.h"
#include "ustack/ustack.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))
#define STAT(st, name) ((st)->counters.stat[US_STAT_##name])
#define DROPS(st, name) ((st)->counters.drop[US_DROP_##name])

/* The addresses of ip_fixtures.inc. */
#define A_US IP4(198, 18, 0, 1)
#define A_PEER IP4(198, 18, 0, 2)
#define B_US IP4(198, 18, 1, 1)
#define B_PEER IP4(198, 18, 1, 2)

/* ---- icmp_send_error stand-in ---- */
struct icmp_call {
	unsigned count;
	uint8_t type, code;
	uint32_t info;
	size_t len;         /* us_pkt_len(orig): the datagram as IP saw it */
	uint8_t pkt_type;   /* orig->pkt_type */
	uint8_t quoted[28]; /* the first bytes at orig's network header */
};
static struct icmp_call icmp_calls;

void __wrap_icmp_send_error(struct us_stack *st, const struct us_pkt *orig, uint8_t type,
			    uint8_t code, uint32_t info);
void __wrap_icmp_send_error(struct us_stack *st, const struct us_pkt *orig, uint8_t type,
			    uint8_t code, uint32_t info)
{
	const uint8_t *net = us_pkt_network(orig);
	size_t avail = (size_t)(orig->tail - net);

	(void)st;
	icmp_calls.count++;
	icmp_calls.type = type;
	icmp_calls.code = code;
	icmp_calls.info = info;
	icmp_calls.len = avail;
	icmp_calls.pkt_type = orig->pkt_type;
	memset(icmp_calls.quoted, 0, sizeof(icmp_calls.quoted));
	memcpy(icmp_calls.quoted, net, avail < sizeof(icmp_calls.quoted) ? avail : sizeof(icmp_calls.quoted));
}

/* ---- a device for tests: bare IP frames, transmit queue left for the test to read ---- */
static int tdev_rx(struct us_netdev *dev, struct us_pkt **out, int max)
{
	(void)dev;
	(void)out;
	(void)max;
	return 0;
}

static int tdev_tx(struct us_netdev *dev, struct us_pkt **pkts, int n)
{
	(void)dev;
	for (int i = 0; i < n; i++)
		us_pkt_free(pkts[i]);
	return n;
}

static const struct us_netdev_ops tdev_ops = { .kind = "test", .rx_batch = tdev_rx, .tx_batch = tdev_tx };

/* An up IP-link device @name with MTU @mtu; returns its ifindex. */
static inline int t_dev_new(struct us_stack *st, const char *name, uint32_t mtu)
{
	struct us_netdev *dev = us_netdev_alloc(name, &tdev_ops);
	int idx;

	assert_non_null(dev);
	dev->link = US_LINK_IP;
	dev->flags = US_DEV_UP | US_DEV_NOARP;
	dev->mtu = mtu;
	idx = us_netdev_register(st, dev);
	assert_true(idx > 0);
	return idx;
}

static inline struct us_netdev *t_dev(struct us_stack *st, int ifindex)
{
	struct us_netdev *dev = us_netdev_by_index(st, ifindex);

	assert_non_null(dev);
	return dev;
}

/* ---- the stack ---- */
static inline struct us_stack *t_stack(bool loopback)
{
	struct us_stack_opts o = { .virtual_clock = true, .seed = 42, .no_loopback = !loopback,
				   .clock_start_ns = 1000000000ull };
	struct us_stack *st = us_stack_new(&o);

	assert_non_null(st);
	memset(&icmp_calls, 0, sizeof(icmp_calls));
	return st;
}

/* Frees every frame waiting on any device's transmit queue. */
static inline void t_purge_tx(struct us_stack *st)
{
	for (int i = 1; i <= US_MAX_DEVS; i++)
		if (st->devs[i])
			us_pktq_purge(&st->devs[i]->txq);
}

/* No buffer may be left behind by a test (after the queues are emptied). */
static inline void t_assert_no_leak(struct us_stack *st)
{
	t_purge_tx(st);
	assert_int_equal(st->pool.in_use, 0);
	assert_int_equal(st->pool.large_in_use, 0);
}

static inline void t_free(struct us_stack *st)
{
	t_assert_no_leak(st);
	us_stack_free(st);
}

/* A packet holding @len bytes of @bytes (at the IP header), received on @ifindex. */
static inline struct us_pkt *t_pkt(struct us_stack *st, int ifindex, const void *bytes, size_t len)
{
	struct us_pkt *p = us_pkt_alloc(&st->pool, len);

	assert_non_null(p);
	memcpy(us_pkt_put(p, len), bytes, len);
	p->dev = t_dev(st, ifindex);
	p->pkt_type = US_PKT_HOST;
	return p;
}

/* Feeds a datagram to ip_input as if @ifindex had received it. */
static inline void t_inject(struct us_stack *st, int ifindex, const void *bytes, size_t len)
{
	ip_input(st, t_pkt(st, ifindex, bytes, len));
}

/* Takes the next frame off @ifindex's transmit queue (NULL if none). */
static inline struct us_pkt *t_pop_tx(struct us_stack *st, int ifindex)
{
	return us_pktq_pop(&t_dev(st, ifindex)->txq);
}

static inline unsigned t_txlen(struct us_stack *st, int ifindex)
{
	return t_dev(st, ifindex)->txq.len;
}

/* Total packets dropped for any reason. */
static inline uint64_t t_drops_total(const struct us_stack *st)
{
	uint64_t n = 0;

	for (int r = 0; r < US_DROP__COUNT; r++)
		n += st->counters.drop[r];
	return n;
}

static inline struct us_route t_route(uint32_t dst, uint8_t plen, uint8_t type, int ifindex,
				      uint32_t gw, uint32_t metric)
{
	struct us_route r = {
		.dst = dst, .plen = plen, .type = type, .table = US_RT_TABLE_MAIN,
		.protocol = US_RTPROT_STATIC, .ifindex = ifindex, .gateway = gw, .metric = metric,
	};
	return r;
}

#endif
