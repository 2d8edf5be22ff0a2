/*
 * neigh.h - ARP (RFC 826) and the neighbour cache (Linux's NUD state machine,
 * net/core/neighbour.c; RFC 1122 2.3.2.1 for cache flushing and probe limits).
 *
 * States: INCOMPLETE (resolving, packets queued up to neigh_unres_qlen),
 * REACHABLE (confirmed recently), STALE (usable, unconfirmed), DELAY (used while
 * STALE: wait for upper-layer confirmation before probing), PROBE (unicast
 * probes), FAILED (no answer: queued packets dropped, EHOSTUNREACH to senders),
 * plus PERMANENT for static entries.
 *
 * Timers are deadlines kept in each entry; one wheel timer per entry wakes it.
 */
#ifndef US_NEIGH_NEIGH_H
#define US_NEIGH_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stack.h"

enum us_neigh_state {
	US_NUD_NONE = 0,
	US_NUD_INCOMPLETE,
	US_NUD_REACHABLE,
	US_NUD_STALE,
	US_NUD_DELAY,
	US_NUD_PROBE,
	US_NUD_FAILED,
	US_NUD_PERMANENT,
};

const char *us_neigh_state_name(enum us_neigh_state s); /* "REACHABLE", as ip neigh prints */

int neigh_init(struct us_stack *st);
void neigh_fini(struct us_stack *st);

/* Consumes @p; p->data is at the ARP header (Ethernet header pulled, p->mac_off set). */
void arp_input(struct us_stack *st, struct us_pkt *p);

/*
 * neigh_output - send the IPv4 datagram in @p (data at the IP header) to @nexthop
 * (host order) on Ethernet device @dev: at once if the neighbour is known, else
 * queued (bounded) while ARP resolves. Broadcast and multicast next hops map to
 * their MAC addresses directly. Consumes @p.
 */
void neigh_output(struct us_stack *st, struct us_netdev *dev, uint32_t nexthop, struct us_pkt *p);

/* Upper-layer reachability confirmation (RFC 1122 2.3.2.1: e.g. TCP ACK progress). */
void neigh_confirm(struct us_stack *st, struct us_netdev *dev, uint32_t ip);

/* Sends a gratuitous ARP request announcing @ip on @dev (RFC 5227 3). */
void arp_announce(struct us_stack *st, struct us_netdev *dev, uint32_t ip);

/* Static entries and deletion. 0, -EINVAL, -ENODEV, -ENOENT, -ENOMEM. */
int neigh_add_static(struct us_stack *st, int ifindex, uint32_t ip, const uint8_t mac[6]);
int neigh_del(struct us_stack *st, int ifindex, uint32_t ip);
/* Drops every non-permanent entry of a device (link down, address removed). */
void neigh_flush_dev(struct us_stack *st, int ifindex);

struct us_neigh_info {
	uint32_t ip;
	int ifindex;
	uint8_t mac[6];
	bool has_mac;
	enum us_neigh_state state;
	uint64_t updated_ms;   /* last state change */
	uint64_t confirmed_ms; /* last confirmation */
	unsigned probes;
	unsigned queued;       /* packets waiting */
	unsigned refcnt;
};

/* Calls @cb for each entry; stops early if @cb returns non-zero (and returns that). */
int neigh_dump(struct us_stack *st, int (*cb)(const struct us_neigh_info *n, void *arg), void *arg);
/* Looks one entry up (for tests). 0 or -ENOENT. */
int neigh_lookup_info(struct us_stack *st, int ifindex, uint32_t ip, struct us_neigh_info *out);

/*
 * Internal interface between arp.c (the protocol) and neigh.c (the cache).
 * Not for other modules.
 */

enum {
	NEIGH_LEARN_REACHABLE = 1 << 0, /* a unicast reply to us: the answer to our request */
	NEIGH_LEARN_CREATE    = 1 << 1, /* create the entry if there is none */
	NEIGH_LEARN_OVERRIDE  = 1 << 2, /* a new MAC replaces a valid one even within locktime */
};

/*
 * neigh_learn - ARP told us that @ip is at @mac on @dev (RFC 826's "merge").
 * With NEIGH_LEARN_REACHABLE the entry becomes REACHABLE, otherwise STALE unless
 * it is valid with the same MAC (then it keeps its state, as Linux's
 * neigh_update). NEIGH_LEARN_CREATE is given only when we are the target of a
 * request: ARP floods for other addresses must not fill the table. A different
 * MAC replaces a valid entry's only after net.ipv4.neigh.default.locktime since
 * its last update, or with NEIGH_LEARN_OVERRIDE (gratuitous ARP), so that of
 * several back-to-back replies the first one wins (Linux arp_process).
 * PERMANENT entries are never changed by ARP.
 * Return: 1 if an entry was created or updated, 0 if there was none (or it was
 * left alone), -ENOBUFS if the table is full and nothing could be evicted.
 */
int neigh_learn(struct us_stack *st, struct us_netdev *dev, uint32_t ip, const uint8_t mac[6],
		unsigned flags);

/*
 * arp_send_request - queue an ARP request for @tip on @dev, broadcast when @dst_mac
 * is NULL, else unicast to it (a PROBE). Sender address: ifaddr_select_src().
 */
void arp_send_request(struct us_stack *st, struct us_netdev *dev, uint32_t tip,
		      const uint8_t *dst_mac);

/*
 * neigh_ip_is_dev_bcast - is @ip a broadcast address on @dev: 255.255.255.255, or the
 * broadcast or all-zeroes-host address of one of its subnets (Linux's local table
 * holds BROADCAST routes for both, unless the prefix is /31 or /32)?
 */
bool neigh_ip_is_dev_bcast(const struct us_netdev *dev, uint32_t ip);

/* Number of entries in the cache (for tests and `ustack neigh`). */
unsigned neigh_count(struct us_stack *st);

#endif
