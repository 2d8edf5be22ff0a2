/*
 * rxq.c - the bounded receive queue of in-memory devices (see rxq.h).
 */
#include "dev/rxq.h"

#include <errno.h>
#include <string.h>

#include "core/stack.h"

bool us_rxq_admit(struct us_netdev *dev, const struct us_pktq *q)
{
	struct us_stack *st = dev->st;

	if (q->len < (unsigned)st->cfg.netdev_max_backlog)
		return true;
	dev->stats.rx_dropped++;
	us_drop(st, NULL, US_DROP_DEV_RX_BACKLOG);
	return false;
}

bool us_rxq_push(struct us_netdev *dev, struct us_pktq *q, struct us_pkt *p)
{
	if (!us_rxq_admit(dev, q)) {
		us_pkt_free(p); /* its drop was counted by us_rxq_admit */
		return false;
	}
	us_pktq_push(q, p);
	return true;
}

int us_rxq_inject(struct us_netdev *dev, struct us_pktq *q, const void *frame, size_t len,
		  uint8_t flags)
{
	struct us_stack *st = dev->st;
	struct us_pkt *p;

	if (len > US_PKT_MAX_LARGE)
		return -EMSGSIZE;
	if (q->len >= (unsigned)st->cfg.netdev_max_backlog)
		return -ENOBUFS;
	p = us_pkt_alloc(&st->pool, len);
	if (!p)
		return -ENOBUFS;
	if (len)
		memcpy(us_pkt_put(p, len), frame, len);
	p->flags = flags;
	us_pktq_push(q, p);
	return 0;
}

int us_rxq_take(struct us_pktq *q, struct us_pkt **out, int max)
{
	int n = 0;

	while (n < max && q->len)
		out[n++] = us_pktq_pop(q);
	return n;
}
