/*
 * rxq.h - the receive queue of an in-memory device (loopback, the pair device):
 * frames "on the wire" toward the device wait here for its next ingress phase,
 * in buffers of the device's own stack, bounded by net.core.netdev_max_backlog
 * (as the kernel's per-CPU backlog bounds what loopback and veth hand it).
 *
 * The queue is a plain struct us_pktq (limit 0: the bound is the setting, read
 * when a frame arrives, so changing it takes effect at once); a backend keeps
 * one in its private state and answers next_rx_ns with 0 while it is not empty.
 */
#ifndef US_DEV_RXQ_H
#define US_DEV_RXQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/netdev.h"

/*
 * us_rxq_admit - may one more frame join @q, @dev's receive queue? If not, the
 * frame that would have is counted as dropped (DEV_RX_BACKLOG, dev's rx_dropped);
 * the caller frees it if it has one. For backends that check before copying.
 */
bool us_rxq_admit(struct us_netdev *dev, const struct us_pktq *q);

/* Queues @p (a buffer of dev's stack) on @q, or drops it as us_rxq_admit says.
 * Consumes @p. Returns true if it was queued. */
bool us_rxq_push(struct us_netdev *dev, struct us_pktq *q, struct us_pkt *p);

/*
 * us_rxq_inject - copy @len bytes at @frame into a new buffer of dev's stack, as if
 * the frame had arrived on the wire (us_dev_inject), mark it with @flags (US_PKT_F_*)
 * and queue it. Nothing is counted: the caller is told.
 * Return: 0, -EMSGSIZE (larger than any buffer), -ENOBUFS (queue full, no buffer).
 */
int us_rxq_inject(struct us_netdev *dev, struct us_pktq *q, const void *frame, size_t len,
		  uint8_t flags);

/* Moves up to @max queued frames, oldest first, to @out; returns how many (rx_batch). */
int us_rxq_take(struct us_pktq *q, struct us_pkt **out, int max);

#endif
