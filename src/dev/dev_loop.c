/*
 * dev_loop.c - the loopback device "lo": every datagram sent on it comes back
 * in as received, one poll round later (RFC 1122 3.2.1.3: 127/8 is internal
 * to the host and must never appear on a network).
 *
 * Frames are bare IPv4 datagrams (US_LINK_LOOPBACK, no link header, no ARP).
 * tx_batch moves each packet onto the device's own receive queue, marked
 * US_PKT_F_LOOPED; rx_batch hands them back up to ip_input through the usual
 * ingress phase, so loopback traffic is counted and captured like any other.
 * The queue is bounded by net.core.netdev_max_backlog.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack.h"
#include "dev/devices.h"
#include "dev/rxq.h"

#define LOOP_MTU 65536

struct loop_priv {
	struct us_pktq rxq; /* dev/rxq.h: bounded by net.core.netdev_max_backlog */
};

static const struct us_netdev_ops loop_ops;

static int loop_rx_batch(struct us_netdev *dev, struct us_pkt **out, int max)
{
	struct loop_priv *lp = dev->priv;
	int n = us_rxq_take(&lp->rxq, out, max);

	us_capture_rx_batch(dev, n);
	return n;
}

static int loop_tx_batch(struct us_netdev *dev, struct us_pkt **pkts, int n)
{
	struct loop_priv *lp = dev->priv;
	struct us_stack *st = dev->st;
	int sent = 0;

	us_capture_tx_done(dev);
	for (int i = 0; i < n; i++) {
		struct us_pkt *p = pkts[i];

		if (p->refcnt > 1) {
			/* Someone else still holds this buffer: the receive path pulls
			 * headers and rewrites metadata, so give it its own copy. */
			struct us_pkt *c = us_pkt_copy(&st->pool, p);

			us_pkt_free(p);
			if (!c) {
				dev->stats.tx_dropped++;
				us_drop(st, NULL, US_DROP_NOMEM);
				continue;
			}
			p = c;
		}
		/* Back to a fresh receive state: nothing of the send path survives except
		 * the bytes and the checksum state (a PARTIAL checksum counts as valid on
		 * receive, as on Linux's lo). */
		p->flags = US_PKT_F_LOOPED;
		p->nexthop = 0;
		p->mac_off = p->net_off = p->trans_off = US_PKT_NOHDR;
		p->pkt_type = US_PKT_HOST;
		if (p->csum == US_CSUM_VERIFIED)
			p->csum = US_CSUM_NONE;
		size_t len = us_pkt_len(p);

		if (us_rxq_push(dev, &lp->rxq, p)) {
			dev->stats.tx_bytes += len;
			sent++;
		}
	}
	return sent;
}

static uint64_t loop_next_rx_ns(struct us_netdev *dev)
{
	struct loop_priv *lp = dev->priv;

	return lp->rxq.len ? 0 : UINT64_MAX;
}

static void loop_close(struct us_netdev *dev)
{
	struct loop_priv *lp = dev->priv;

	us_pktq_purge(&lp->rxq);
	free(lp);
	dev->priv = NULL;
}

static const struct us_netdev_ops loop_ops = {
	.kind = "loopback",
	.rx_batch = loop_rx_batch,
	.tx_batch = loop_tx_batch,
	.next_rx_ns = loop_next_rx_ns,
	.close = loop_close,
};

int us_loopback_create(struct us_stack *st)
{
	struct us_netdev *dev;
	struct loop_priv *lp;
	int idx;

	if (us_netdev_by_name(st, "lo"))
		return -EEXIST;
	lp = calloc(1, sizeof(*lp));
	if (!lp)
		return -ENOMEM;
	us_pktq_init(&lp->rxq, 0);
	dev = us_netdev_alloc("lo", &loop_ops);
	if (!dev) {
		free(lp);
		return -ENOMEM;
	}
	dev->priv = lp;
	dev->link = US_LINK_LOOPBACK;
	dev->mtu = LOOP_MTU;
	dev->flags = US_DEV_UP | US_DEV_LOOPBACK | US_DEV_NOARP;
	memset(dev->hwaddr, 0, sizeof(dev->hwaddr));
	idx = dev_register(st, dev);
	if (idx < 0) {
		dev->ops->close(dev);
		free(dev);
	}
	return idx;
}

int dev_loop_inject(struct us_netdev *dev, const void *frame, size_t len)
{
	struct loop_priv *lp = dev->priv;

	if (dev->ops != &loop_ops)
		return -EOPNOTSUPP;
	return us_rxq_inject(dev, &lp->rxq, frame, len, US_PKT_F_LOOPED);
}
