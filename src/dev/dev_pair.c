/*
 * dev_pair.c - two Ethernet devices joined back to back in memory, like a veth
 * pair: a frame sent on one end is received on the other. The ends may belong
 * to two different stacks (the simulator, two-stack unit tests) as long as both
 * stacks are driven by the same thread.
 *
 * Transmit copies each frame into a buffer from the receiving stack's pool and
 * frees the original, so every buffer is always owned by the stack whose pool
 * it came from (each stack counts and bounds its own buffers; freeing one stack
 * never leaves the other holding memory it does not own). The copy lands on
 * the peer's receive queue, bounded by the peer stack's
 * net.core.netdev_max_backlog; next_rx_ns() reports 0 while frames wait, so
 * the peer's next poll round picks them up.
 *
 * Also the target of us_dev_inject() (tests and the fuzzer): injected frames
 * join the same receive queue.
 *
 * An end may carry an impairment engine (impair.h, set by the simulator with
 * dev_pair_set_impair): then the copy of each frame sent by the peer is
 * offered to the engine at the receiving stack's clock instead of being
 * queued, rx_batch takes the frames whose release time has come (after any
 * injected ones), and next_rx_ns() reports the engine's next release time, so
 * whoever drives the clock can jump straight to it. The engine's own limit
 * bounds what it holds, in place of the backlog bound.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack.h"
#include "dev/devices.h"
#include "dev/impair.h"
#include "dev/rxq.h"

#define ETH_HLEN 14
#define VLAN_HLEN 4

struct pair_end {
	struct us_netdev *dev;
	struct pair_end *peer; /* NULL once the other end is closed */
	struct us_pktq rxq;    /* frames received, in this end's stack's buffers */
	struct us_impair *imp; /* impairs the frames arriving here, or NULL */
};

static const struct us_netdev_ops pair_ops;

/* Queues a copy of @p on @to's receive queue. Borrows @p. */
static bool pair_deliver(struct pair_end *to, const struct us_pkt *p)
{
	struct us_netdev *dev = to->dev;
	struct us_stack *st = dev->st;
	size_t len = us_pkt_len(p);
	struct us_pkt *c;

	if (!to->imp && to->rxq.len >= (unsigned)st->cfg.netdev_max_backlog) {
		dev->stats.rx_dropped++;
		us_drop(st, NULL, US_DROP_DEV_RX_BACKLOG);
		return false;
	}
	c = us_pkt_alloc(&st->pool, len);
	if (!c) {
		dev->stats.rx_dropped++;
		us_drop(st, NULL, US_DROP_NOMEM);
		return false;
	}
	memcpy(us_pkt_put(c, len), p->data, len);
	/* What a virtual wire carries besides the bytes: the offload state, as veth
	 * passes CHECKSUM_PARTIAL and GSO frames through. Offsets are rebased on the
	 * new buffer's headroom. */
	if (p->csum == US_CSUM_PARTIAL) {
		c->csum = US_CSUM_PARTIAL;
		c->csum_start = (uint16_t)(p->csum_start - us_pkt_headroom(p) + us_pkt_headroom(c));
		c->csum_offset = p->csum_offset;
	}
	c->gso_size = p->gso_size;
	c->gso_type = p->gso_type;
	if (to->imp)
		us_impair_enqueue(to->imp, c, us_clock_now(&st->clock));
	else
		us_pktq_push(&to->rxq, c);
	return true;
}

static int pair_rx_batch(struct us_netdev *dev, struct us_pkt **out, int max)
{
	struct pair_end *pe = dev->priv;
	int n = 0;

	while (n < max && pe->rxq.len)
		out[n++] = us_pktq_pop(&pe->rxq);
	while (n < max && pe->imp) {
		struct us_pkt *p = us_impair_dequeue(pe->imp, dev->st->now_ns);

		if (!p)
			break;
		out[n++] = p;
	}
	us_capture_rx_batch(dev, n);
	return n;
}

static int pair_tx_batch(struct us_netdev *dev, struct us_pkt **pkts, int n)
{
	struct pair_end *pe = dev->priv;
	struct us_stack *st = dev->st;
	int sent = 0;

	us_capture_tx_done(dev);
	for (int i = 0; i < n; i++) {
		struct us_pkt *p = pkts[i];
		size_t max_len = dev->mtu + ETH_HLEN + VLAN_HLEN;

		if (!pe->peer) {
			/* The other end is gone: no carrier. */
			dev->stats.tx_dropped++;
			us_drop(st, p, US_DROP_DEV_TX_ERROR);
			continue;
		}
		if (us_pkt_len(p) > max_len && !p->gso_size) {
			dev->stats.tx_dropped++;
			us_drop(st, p, US_DROP_MTU_EXCEEDED);
			continue;
		}
		if (pair_deliver(pe->peer, p)) {
			dev->stats.tx_bytes += us_pkt_len(p);
			sent++;
		} else {
			dev->stats.tx_dropped++;
		}
		us_pkt_free(p);
	}
	return sent;
}

static uint64_t pair_next_rx_ns(struct us_netdev *dev)
{
	struct pair_end *pe = dev->priv;

	if (pe->rxq.len)
		return 0;
	return pe->imp ? us_impair_next_ns(pe->imp) : UINT64_MAX;
}

static void pair_close(struct us_netdev *dev)
{
	struct pair_end *pe = dev->priv;

	if (!pe)
		return;
	if (pe->peer)
		pe->peer->peer = NULL;
	us_pktq_purge(&pe->rxq);
	us_impair_free(pe->imp);
	free(pe);
	dev->priv = NULL;
}

static const struct us_netdev_ops pair_ops = {
	.kind = "pair",
	.rx_batch = pair_rx_batch,
	.tx_batch = pair_tx_batch,
	.next_rx_ns = pair_next_rx_ns,
	.close = pair_close,
};

static struct us_netdev *pair_end_new(struct us_stack *st, const char *name)
{
	struct us_netdev *dev = us_netdev_alloc(name, &pair_ops);
	struct pair_end *pe = calloc(1, sizeof(*pe));

	if (!dev || !pe) {
		free(dev);
		free(pe);
		return NULL;
	}
	pe->dev = dev;
	us_pktq_init(&pe->rxq, 0);
	dev->priv = pe;
	dev->link = US_LINK_ETHER;
	dev->flags = US_DEV_UP;
	dev_make_mac(st, name, dev->hwaddr);
	return dev;
}

int dev_pair_create(struct us_stack *a, const char *name_a, struct us_stack *b,
		    const char *name_b, int *ifindex_b)
{
	struct us_netdev *da = pair_end_new(a, name_a);
	struct us_netdev *db = pair_end_new(b, name_b);
	struct pair_end *pa, *pb;
	int ia, ib;

	if (!da || !db) {
		if (da)
			pair_close(da);
		if (db)
			pair_close(db);
		free(da);
		free(db);
		return -ENOMEM;
	}
	pa = da->priv;
	pb = db->priv;
	pa->peer = pb;
	pb->peer = pa;
	/* Two stacks built from the same seed derive the same MAC for the same name;
	 * the two ends of one wire must differ or neither could ARP the other. */
	if (!memcmp(da->hwaddr, db->hwaddr, US_ETH_ALEN))
		db->hwaddr[US_ETH_ALEN - 1] ^= 0x01;

	ia = dev_register(a, da);
	if (ia < 0) {
		pair_close(da);
		pair_close(db);
		free(da);
		free(db);
		return ia;
	}
	ib = dev_register(b, db);
	if (ib < 0) {
		us_netdev_unregister(da);
		pair_close(db);
		free(db);
		return ib;
	}
	if (ifindex_b)
		*ifindex_b = ib;
	return ia;
}

int dev_pair_inject(struct us_netdev *dev, const void *frame, size_t len)
{
	struct pair_end *pe = dev->priv;

	if (dev->ops != &pair_ops)
		return -EOPNOTSUPP;
	return us_rxq_inject(dev, &pe->rxq, frame, len, 0);
}

int dev_pair_set_impair(struct us_netdev *dev, struct us_impair *imp)
{
	struct pair_end *pe = dev->priv;

	if (dev->ops != &pair_ops)
		return -EOPNOTSUPP;
	us_impair_free(pe->imp);
	pe->imp = imp;
	return 0;
}
