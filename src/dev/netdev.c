/*
 * netdev.c - device registration and the two places frames cross the device
 * boundary: us_netdev_poll_rx() (ingress phase) and us_netdev_flush() (egress
 * phase). Protocol code only ever calls us_dev_queue_xmit().
 */
#include "dev/netdev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/stack.h"
#include "dev/capture.h"
#include "ip/ip.h"
#include "l2/eth.h"

#define DEV_BATCH 64

struct us_netdev *us_netdev_alloc(const char *name, const struct us_netdev_ops *ops)
{
	struct us_netdev *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->ops = ops;
	dev->fd = -1;
	dev->mtu = 1500;
	dev->link = US_LINK_ETHER;
	us_pktq_init(&dev->txq, 1000);
	return dev;
}

int us_netdev_register(struct us_stack *st, struct us_netdev *dev)
{
	int idx;

	if (us_netdev_by_name(st, dev->name))
		return -EEXIST;
	for (idx = 1; idx <= US_MAX_DEVS; idx++)
		if (!st->devs[idx])
			break;
	if (idx > US_MAX_DEVS)
		return -ENOSPC;
	if (dev->fd >= 0 && st->epoll_fd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)idx };
		if (epoll_ctl(st->epoll_fd, EPOLL_CTL_ADD, dev->fd, &ev) < 0)
			return -errno;
	}
	dev->st = st;
	dev->ifindex = idx;
	dev->txq.limit = (unsigned)st->cfg.dev_txqueuelen;
	st->devs[idx] = dev;
	st->ndevs++;
	if (dev->link == US_LINK_LOOPBACK && !st->loopback)
		st->loopback = dev;
	return idx;
}

void us_netdev_unregister(struct us_netdev *dev)
{
	struct us_stack *st = dev->st;

	if (st) {
		if (dev->fd >= 0 && st->epoll_fd >= 0)
			epoll_ctl(st->epoll_fd, EPOLL_CTL_DEL, dev->fd, NULL);
		st->devs[dev->ifindex] = NULL;
		st->ndevs--;
		if (st->loopback == dev) {
			st->loopback = NULL;
			for (int i = 1; i <= US_MAX_DEVS; i++)
				if (st->devs[i] && st->devs[i]->link == US_LINK_LOOPBACK) {
					st->loopback = st->devs[i];
					break;
				}
		}
	}
	us_capture_close_all(dev);
	us_pktq_purge(&dev->txq);
	if (dev->ops->close)
		dev->ops->close(dev);
	free(dev);
}

struct us_netdev *us_netdev_by_index(struct us_stack *st, int ifindex)
{
	if (ifindex <= 0 || ifindex > US_MAX_DEVS)
		return NULL;
	return st->devs[ifindex];
}

struct us_netdev *us_netdev_by_name(struct us_stack *st, const char *name)
{
	for (int i = 1; i <= US_MAX_DEVS; i++)
		if (st->devs[i] && !strcmp(st->devs[i]->name, name))
			return st->devs[i];
	return NULL;
}

void us_dev_queue_xmit(struct us_netdev *dev, struct us_pkt *p)
{
	struct us_stack *st = dev->st;

	if (!(dev->flags & US_DEV_UP)) {
		dev->stats.tx_dropped++;
		us_drop(st, p, US_DROP_DEV_DOWN);
		return;
	}
	if (us_pktq_full(&dev->txq)) {
		dev->stats.tx_dropped++;
		us_drop(st, p, US_DROP_TXQ_FULL);
		return;
	}
	p->dev = dev;
	us_pktq_push(&dev->txq, p);
}

int us_netdev_flush(struct us_netdev *dev)
{
	struct us_pkt *batch[DEV_BATCH];
	int total = 0;

	while (dev->txq.len) {
		int n = 0, sent;

		while (n < DEV_BATCH && dev->txq.len) {
			struct us_pkt *p = us_pktq_pop(&dev->txq);
			if (dev->captures)
				us_capture_frame(dev, p, true);
			batch[n++] = p;
		}
		sent = dev->ops->tx_batch(dev, batch, n);
		dev->stats.tx_batches++;
		if (sent > 0) {
			dev->stats.tx_packets += (uint64_t)sent;
			total += sent;
		}
		if (sent < n)
			break; /* a frame was refused (queue full, or dropped): the rest waits
				* for the next round, which us_stack_next_deadline_ns makes "now" */
	}
	return total;
}

int us_netdev_poll_rx(struct us_netdev *dev, int budget)
{
	struct us_stack *st = dev->st;
	struct us_pkt *batch[DEV_BATCH];
	int total = 0;

	while (total < budget) {
		int want = budget - total < DEV_BATCH ? budget - total : DEV_BATCH;
		int n = dev->ops->rx_batch(dev, batch, want);

		if (n <= 0)
			break;
		dev->stats.rx_batches++;
		for (int i = 0; i < n; i++) {
			struct us_pkt *p = batch[i];

			p->dev = dev;
			p->rx_ns = st->now_ns;
			dev->stats.rx_packets++;
			dev->stats.rx_bytes += us_pkt_len(p);
			if (p->gso_size)
				dev->stats.rx_gso_frames++;
			if (dev->captures)
				us_capture_frame(dev, p, false);
			if (!(dev->flags & US_DEV_UP)) {
				dev->stats.rx_dropped++;
				us_drop(st, p, US_DROP_DEV_DOWN);
				continue;
			}
			if (dev->link == US_LINK_ETHER)
				eth_input(st, p);
			else
				ip_input(st, p);
		}
		total += n;
		if (n < want)
			break;
	}
	return total;
}
