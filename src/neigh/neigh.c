/*
 * neigh.c - the IPv4 neighbour cache: next-hop IPv4 address -> Ethernet address,
 * with Linux's NUD ("neighbour unreachability detection") state machine.
 *
 * Entry: neigh_output(), called by the IP layer for every datagram leaving an
 *        Ethernet device (consumes it); neigh_learn() from arp.c; neigh_confirm()
 *        from transports; the control-path functions (static entries, delete,
 *        flush, dump).
 * Exit:  eth_output() for datagrams whose next hop is known; arp_send_request()
 *        for probes; icmp_send_error() for datagrams whose resolution failed.
 *        Never writes to a device.
 *
 * Read first: RFC 826 (ARP); RFC 1122 2.3.2.1 (cache validation: timeouts,
 * probe limits, "SHOULD save at least one (the latest) packet") and 2.3.2.2
 * (queueing); RFC 4861 7.3 (the IPv6 NUD states Linux applies to ARP as well);
 * Linux net/core/neighbour.c (neigh_event_send, neigh_update, neigh_timer_handler).
 *
 * The state machine. Every entry has one wheel timer, armed at the entry's
 * single deadline (deadline_ms); what the deadline means depends on the state:
 *
 *   (none) --output--> INCOMPLETE   broadcast request now and every retrans_ms;
 *                                   datagrams wait in the entry's queue (at most
 *                                   unres_qlen; when full the OLDEST is dropped).
 *   INCOMPLETE --reply--> REACHABLE, queue flushed.  A request from the host
 *                         instead makes it STALE (and the flush then uses it: DELAY).
 *   INCOMPLETE --mcast_solicit requests unanswered--> FAILED: each queued datagram
 *                         is answered with ICMP host unreachable and dropped.
 *   REACHABLE  --deadline (confirmed + reachable_ms, a random 0.5..1.5 x
 *                base_reachable_ms per confirmation)--> STALE, or DELAY when the
 *                entry was used within delay_first_probe_ms.
 *   STALE      --output--> DELAY (the datagram is sent with the old MAC).
 *   DELAY      --deadline (delay_first_probe_ms)--> REACHABLE if neigh_confirm()
 *                came meanwhile, else PROBE.
 *   PROBE      unicast request now and every retrans_ms; a reply -> REACHABLE;
 *                ucast_solicit requests unanswered -> FAILED.
 *   FAILED     --output--> INCOMPLETE again (as Linux: a host may come back).
 *   STALE, FAILED --deadline (unused for gc_stale_ms)--> deleted.
 *   PERMANENT  static entries: no timer, never changed by ARP, never collected.
 *
 * The table is bounded by gc_thresh3 entries. Creating one more evicts an
 * unreferenced FAILED entry, else the STALE entry that has been STALE longest
 * (two lists in the order the entries entered those states, so eviction is
 * O(1)); if there is none the datagram is dropped (NEIGH_TABLE_FULL). Entries
 * are hashed with SipHash under the stack's secret key on (ifindex, address):
 * packet-chosen addresses cannot aim at one chain.
 */
#include "neigh/neigh.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "icmp/icmp.h"
#include "ip/ifaddr.h"
#include "l2/eth.h"
#include "wire/ether.h"
#include "wire/icmp.h"

#define NEIGH_HASH_SALT 0x6e656967u   /* "neig": separates this table's keys from others' */
#define NEIGH_MIN_BUCKETS 256u
#define NEIGH_MAX_BUCKETS (1u << 20)
#define NEIGH_FREE_CACHE 64u          /* freed entries kept for reuse: no malloc per flood packet */

struct us_neigh {
	struct hlist_node hash_link;
	struct list_head all_link;     /* table->all, in creation order (dump, flush) */
	struct list_head gc_link;      /* table->gc_failed / gc_stale while FAILED / STALE */
	struct us_timer timer;         /* armed at deadline_ms */
	struct us_neigh_table *tbl;
	uint32_t ip;
	int ifindex;
	uint8_t mac[ETH_ALEN];
	bool has_mac;
	uint8_t state;                 /* enum us_neigh_state */
	uint8_t probes;                /* requests sent in the current INCOMPLETE/PROBE */
	unsigned refcnt;               /* held while a handler runs: eviction skips it */
	uint32_t reachable_ms;         /* this confirmation's randomised reachable time */
	uint64_t updated_ms;           /* last state or MAC change */
	uint64_t confirmed_ms;         /* last reachability confirmation */
	uint64_t used_ms;              /* last datagram sent through the entry */
	uint64_t deadline_ms;          /* next state check, US_TIMER_NEVER if none */
	struct us_pktq queue;          /* datagrams waiting for resolution */
};

struct us_neigh_table {
	struct us_stack *st;
	struct hlist_head *buckets;
	unsigned nbuckets;             /* a power of two */
	unsigned count;
	struct list_head all;
	struct list_head gc_failed;    /* FAILED entries, oldest first */
	struct list_head gc_stale;     /* STALE entries, longest STALE first */
	struct list_head free;         /* recycled entries (linked by all_link) */
	unsigned nfree;
};

static const char *const state_names[] = {
	[US_NUD_NONE] = "NONE",         [US_NUD_INCOMPLETE] = "INCOMPLETE",
	[US_NUD_REACHABLE] = "REACHABLE", [US_NUD_STALE] = "STALE",
	[US_NUD_DELAY] = "DELAY",       [US_NUD_PROBE] = "PROBE",
	[US_NUD_FAILED] = "FAILED",     [US_NUD_PERMANENT] = "PERMANENT",
};

const char *us_neigh_state_name(enum us_neigh_state s)
{
	return (unsigned)s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

static void neigh_timer_fire(struct us_timer *t, uint64_t now_ms);

/* ---- table ---------------------------------------------------------------------- */

static struct hlist_head *neigh_bucket(struct us_neigh_table *t, int ifindex, uint32_t ip)
{
	uint64_t h = us_siphash_3u32(&t->st->hash_key, (uint32_t)ifindex, ip, NEIGH_HASH_SALT);

	return &t->buckets[h & (t->nbuckets - 1)];
}

static struct us_neigh *neigh_find(struct us_neigh_table *t, int ifindex, uint32_t ip)
{
	struct us_neigh *n;

	hlist_for_each_entry(n, neigh_bucket(t, ifindex, ip), hash_link)
		if (n->ip == ip && n->ifindex == ifindex)
			return n;
	return NULL;
}

/* Doubles the bucket array when the load passes 1. On allocation failure the
 * table keeps working with longer chains. */
static void neigh_grow(struct us_neigh_table *t)
{
	unsigned nb = t->nbuckets * 2;
	struct hlist_head *old = t->buckets;
	struct us_neigh *n;

	if (t->count <= t->nbuckets || nb > NEIGH_MAX_BUCKETS)
		return;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (!t->buckets) {
		t->buckets = old;
		return;
	}
	t->nbuckets = nb;
	list_for_each_entry(n, &t->all, all_link) {
		hlist_node_init(&n->hash_link);
		hlist_add_head(&n->hash_link, neigh_bucket(t, n->ifindex, n->ip));
	}
	free(old);
}

static void neigh_arm(struct us_neigh_table *t, struct us_neigh *n, uint64_t deadline_ms)
{
	n->deadline_ms = deadline_ms;
	if (deadline_ms == US_TIMER_NEVER)
		us_timer_cancel(&t->st->timers, &n->timer);
	else
		us_timer_arm(&t->st->timers, &n->timer, deadline_ms);
}

/* Moves @n to @state (keeping the eviction lists right) and arms its deadline. */
static void neigh_enter(struct us_neigh_table *t, struct us_neigh *n, enum us_neigh_state state,
			uint64_t deadline_ms)
{
	if (n->state != state) {
		list_del(&n->gc_link);
		if (state == US_NUD_STALE)
			list_add_tail(&n->gc_link, &t->gc_stale);
		else if (state == US_NUD_FAILED)
			list_add_tail(&n->gc_link, &t->gc_failed);
		n->state = (uint8_t)state;
	}
	n->updated_ms = t->st->now_ms;
	neigh_arm(t, n, deadline_ms);
}

/* Unlinks and frees @n; datagrams still queued are dropped with @reason. */
static void neigh_destroy(struct us_neigh_table *t, struct us_neigh *n, enum us_drop_reason reason)
{
	struct us_pkt *p;

	us_timer_cancel(&t->st->timers, &n->timer);
	hlist_del(&n->hash_link);
	list_del(&n->all_link);
	list_del(&n->gc_link);
	while ((p = us_pktq_pop(&n->queue)))
		us_drop(t->st, p, reason);
	t->count--;
	if (t->nfree < NEIGH_FREE_CACHE) {
		list_add(&n->all_link, &t->free);
		t->nfree++;
	} else {
		free(n);
	}
}

/* Frees one unreferenced FAILED entry, else the oldest STALE one. Their queues are
 * empty (FAILED flushed it, STALE never has one), so nothing is lost but the entry. */
static bool neigh_evict_one(struct us_neigh_table *t)
{
	struct list_head *lists[] = { &t->gc_failed, &t->gc_stale };
	struct us_neigh *n;

	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		list_for_each_entry(n, lists[i], gc_link) {
			if (n->refcnt)
				continue;
			neigh_destroy(t, n, US_DROP_NEIGH_DEAD);
			return true;
		}
	}
	return false;
}

/* A new entry in state NONE, or NULL when the table is full and nothing can go. */
static struct us_neigh *neigh_create(struct us_neigh_table *t, const struct us_netdev *dev,
				     uint32_t ip)
{
	struct us_neigh *n;

	if (t->count >= (uint64_t)t->st->cfg.neigh_gc_thresh3 && !neigh_evict_one(t))
		return NULL;
	if (!list_empty(&t->free)) {
		n = list_first_entry(&t->free, struct us_neigh, all_link);
		list_del(&n->all_link);
		t->nfree--;
	} else {
		n = malloc(sizeof(*n));
		if (!n)
			return NULL;
	}
	memset(n, 0, sizeof(*n));
	hlist_node_init(&n->hash_link);
	list_init(&n->gc_link);
	us_timer_init(&n->timer, neigh_timer_fire);
	us_pktq_init(&n->queue, 0); /* bounded by neigh_unres_qlen in neigh_enqueue */
	n->tbl = t;
	n->ip = ip;
	n->ifindex = dev->ifindex;
	n->state = US_NUD_NONE;
	n->deadline_ms = US_TIMER_NEVER;
	n->updated_ms = n->used_ms = t->st->now_ms;
	hlist_add_head(&n->hash_link, neigh_bucket(t, n->ifindex, ip));
	list_add_tail(&n->all_link, &t->all);
	t->count++;
	neigh_grow(t);
	return n;
}

int neigh_init(struct us_stack *st)
{
	struct us_neigh_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->nbuckets = NEIGH_MIN_BUCKETS;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return -ENOMEM;
	}
	t->st = st;
	list_init(&t->all);
	list_init(&t->gc_failed);
	list_init(&t->gc_stale);
	list_init(&t->free);
	st->neigh = t;
	return 0;
}

void neigh_fini(struct us_stack *st)
{
	struct us_neigh_table *t = st->neigh;
	struct us_neigh *n, *tmp;

	if (!t)
		return;
	list_for_each_entry_safe(n, tmp, &t->all, all_link)
		neigh_destroy(t, n, US_DROP_NEIGH_DEAD);
	list_for_each_entry_safe(n, tmp, &t->free, all_link)
		free(n);
	free(t->buckets);
	free(t);
	st->neigh = NULL;
}

unsigned neigh_count(struct us_stack *st) { return st->neigh->count; }

/* ---- transmit ------------------------------------------------------------------- */

/* RFC 4861 6.3.2 (Linux applies it to ARP too): a uniformly random value between
 * 0.5 and 1.5 times the base, so that neighbours do not probe in lock step. */
static uint32_t neigh_rand_reachable(struct us_stack *st)
{
	uint32_t base = (uint32_t)st->cfg.neigh_base_reachable_ms;

	return base / 2 + us_stack_rand(st) % base;
}

static bool ip_is_multicast(uint32_t ip) { return (ip & 0xf0000000u) == 0xe0000000u; }

bool neigh_ip_is_dev_bcast(const struct us_netdev *dev, uint32_t ip)
{
	const struct us_ifaddr *ifa;

	if (ip == 0xffffffffu)
		return true;
	for (ifa = dev->in_dev ? dev->in_dev->addrs : NULL; ifa; ifa = ifa->next) {
		uint32_t mask = ifa->plen ? 0xffffffffu << (32 - ifa->plen) : 0;

		if (ifa->broadcast && ip == ifa->broadcast)
			return true;
		if (ifa->plen <= 30 && (ip == (ifa->addr | ~mask) || ip == (ifa->addr & mask)))
			return true;
	}
	return false;
}

/*
 * Next hops that need no resolution: broadcasts (neigh_ip_is_dev_bcast) and
 * multicast groups, mapped as RFC 1112 6.4: 01:00:5e followed by the low 23 bits
 * of the group.
 */
static bool neigh_map_group(const struct us_netdev *dev, uint32_t ip, uint8_t mac[ETH_ALEN])
{
	static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (ip_is_multicast(ip)) {
		mac[0] = 0x01;
		mac[1] = 0x00;
		mac[2] = 0x5e;
		mac[3] = (uint8_t)((ip >> 16) & 0x7f);
		mac[4] = (uint8_t)(ip >> 8);
		mac[5] = (uint8_t)ip;
		return true;
	}
	if (neigh_ip_is_dev_bcast(dev, ip)) {
		memcpy(mac, bcast, ETH_ALEN);
		return true;
	}
	return false;
}

/* RFC 1122 2.3.2.2: queue datagrams while resolving; keep the newest, so when the
 * queue is full the oldest goes (as Linux's __neigh_event_send). */
static void neigh_enqueue(struct us_stack *st, struct us_neigh *n, struct us_pkt *p)
{
	unsigned qlen = (unsigned)st->cfg.neigh_unres_qlen;

	while (n->queue.len >= qlen) {
		us_drop(st, us_pktq_pop(&n->queue), US_DROP_NEIGH_QUEUE_FULL);
		US_INC(st, NeighUnresQDiscards);
	}
	us_pktq_push(&n->queue, p);
}

static void neigh_send_probe(struct us_stack *st, struct us_netdev *dev, struct us_neigh *n,
			     bool unicast)
{
	n->probes++;
	arp_send_request(st, dev, n->ip, unicast ? n->mac : NULL);
}

/* Sends (or queues) @p through @n according to its state; the "output" event of
 * the state machine. Consumes @p. */
static void neigh_send(struct us_stack *st, struct us_netdev *dev, struct us_neigh *n,
		       struct us_pkt *p)
{
	struct us_neigh_table *t = st->neigh;

	n->used_ms = st->now_ms;
	switch ((enum us_neigh_state)n->state) {
	case US_NUD_STALE:
		/* RFC 4861 7.3.3: the first use of a STALE entry starts the DELAY timer; the
		 * datagram goes out with the cached address meanwhile. */
		neigh_enter(t, n, US_NUD_DELAY,
			    st->now_ms + (uint64_t)st->cfg.neigh_delay_first_probe_ms);
		/* fallthrough */
	case US_NUD_REACHABLE:
	case US_NUD_DELAY:
	case US_NUD_PROBE:
	case US_NUD_PERMANENT:
		eth_output(st, dev, n->mac, ETH_P_IP, p);
		return;
	case US_NUD_NONE:
	case US_NUD_FAILED:
		/* Start resolving: the first broadcast request goes now. */
		n->probes = 0;
		n->has_mac = false;
		neigh_enter(t, n, US_NUD_INCOMPLETE, st->now_ms + (uint64_t)st->cfg.neigh_retrans_ms);
		neigh_enqueue(st, n, p);
		neigh_send_probe(st, dev, n, false);
		return;
	case US_NUD_INCOMPLETE:
		neigh_enqueue(st, n, p);
		return;
	}
	us_drop(st, p, US_DROP_NEIGH_FAILED); /* not reached: every state is handled above */
}

/* The entry just got a MAC: send what waited for it (each through neigh_send, so a
 * STALE entry moves to DELAY on its first use, as in Linux). */
static void neigh_flush_queue(struct us_stack *st, struct us_netdev *dev, struct us_neigh *n)
{
	struct us_pktq q = n->queue;
	struct us_pkt *p;

	us_pktq_init(&n->queue, 0);
	while ((p = us_pktq_pop(&q)))
		neigh_send(st, dev, n, p);
}

void neigh_output(struct us_stack *st, struct us_netdev *dev, uint32_t nexthop, struct us_pkt *p)
{
	static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct us_neigh_table *t = st->neigh;
	uint8_t mac[ETH_ALEN];
	struct us_neigh *n;

	us_pkt_set_network(p); /* icmp_send_error needs it if resolution fails */
	p->nexthop = nexthop;
	p->dev = dev;
	if (dev->link != US_LINK_ETHER) {
		/* No link-layer address to resolve (TUN, loopback). */
		us_dev_queue_xmit(dev, p);
		return;
	}
	if (neigh_map_group(dev, nexthop, mac)) {
		eth_output(st, dev, mac, ETH_P_IP, p);
		return;
	}
	n = neigh_find(t, dev->ifindex, nexthop);
	if (!n) {
		if (dev->flags & US_DEV_NOARP) {
			/* No resolution on this link and no static entry. Linux would use the
			 * device's own address; a point-to-point peer drops that, so broadcast. */
			eth_output(st, dev, bcast, ETH_P_IP, p);
			return;
		}
		if (nexthop == 0) {
			us_drop(st, p, US_DROP_NEIGH_FAILED);
			return;
		}
		n = neigh_create(t, dev, nexthop);
		if (!n) {
			us_drop(st, p, US_DROP_NEIGH_TABLE_FULL);
			return;
		}
	}
	if ((p->flags & US_PKT_F_CONFIRM_NEIGH) && n->has_mac)
		n->confirmed_ms = st->now_ms; /* as neigh_confirm(): the deadlines look at it */
	neigh_send(st, dev, n, p);
}

/* ---- state changes -------------------------------------------------------------- */

/* Resolution failed (RFC 1122 2.3.2.1): every queued datagram is answered with ICMP
 * host unreachable (Linux arp_error_report -> icmp_send) and dropped. */
static void neigh_fail(struct us_stack *st, struct us_neigh *n)
{
	struct us_neigh_table *t = st->neigh;
	struct us_pktq q = n->queue;
	struct us_pkt *p;

	/* Detach the queue first: the ICMP errors re-enter ip_output and may come back
	 * here (to this entry or others). */
	us_pktq_init(&n->queue, 0);
	n->has_mac = false;
	neigh_enter(t, n, US_NUD_FAILED, st->now_ms + (uint64_t)st->cfg.neigh_gc_stale_ms);
	US_INC(st, NeighResolveFailed);
	while ((p = us_pktq_pop(&q))) {
		icmp_send_error(st, p, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
		us_drop(st, p, US_DROP_NEIGH_FAILED);
	}
}

static void neigh_become_reachable(struct us_stack *st, struct us_neigh *n)
{
	n->confirmed_ms = st->now_ms;
	n->probes = 0;
	n->reachable_ms = neigh_rand_reachable(st);
	neigh_enter(st->neigh, n, US_NUD_REACHABLE, st->now_ms + n->reachable_ms);
}

static bool neigh_state_valid(uint8_t s)
{
	return s == US_NUD_REACHABLE || s == US_NUD_STALE || s == US_NUD_DELAY ||
	       s == US_NUD_PROBE || s == US_NUD_PERMANENT;
}

int neigh_learn(struct us_stack *st, struct us_netdev *dev, uint32_t ip, const uint8_t mac[6],
		unsigned flags)
{
	struct us_neigh_table *t = st->neigh;
	struct us_neigh *n = neigh_find(t, dev->ifindex, ip);
	bool was_valid;

	if (!n) {
		if (!(flags & NEIGH_LEARN_CREATE))
			return 0;
		n = neigh_create(t, dev, ip);
		if (!n)
			return -ENOBUFS;
	}
	if (n->state == US_NUD_PERMANENT)
		return 0; /* administrative entries are not ARP's to change */
	was_valid = neigh_state_valid(n->state);
	if (was_valid && memcmp(n->mac, mac, ETH_ALEN)) {
		/* A different address for a valid entry: only a gratuitous ARP or, after
		 * locktime, any ARP may replace it; of several back-to-back answers (proxies)
		 * the first one wins (Linux arp_process, neigh_update). */
		if (!(flags & NEIGH_LEARN_OVERRIDE) &&
		    st->now_ms < n->updated_ms + (uint64_t)st->cfg.neigh_locktime_ms)
			return 0;
	} else if (was_valid && !(flags & NEIGH_LEARN_REACHABLE)) {
		/* Same address and no proof of two-way reachability: keep the state (a
		 * REACHABLE entry does not become STALE because the host sent a request). */
		return 1;
	}
	memcpy(n->mac, mac, ETH_ALEN);
	n->has_mac = true;
	if (flags & NEIGH_LEARN_REACHABLE) {
		neigh_become_reachable(st, n);
	} else {
		n->probes = 0;
		neigh_enter(t, n, US_NUD_STALE, st->now_ms + (uint64_t)st->cfg.neigh_gc_stale_ms);
	}
	if (n->queue.len)
		neigh_flush_queue(st, dev, n);
	return 1;
}

void neigh_confirm(struct us_stack *st, struct us_netdev *dev, uint32_t ip)
{
	struct us_neigh *n = neigh_find(st->neigh, dev->ifindex, ip);

	/* RFC 1122 2.3.2.1 (2): advice from a higher layer. It only records the time;
	 * the REACHABLE and DELAY deadlines look at it (Linux neigh_confirm). */
	if (n && n->has_mac)
		n->confirmed_ms = st->now_ms;
}

/* The entry's deadline passed. Mirrors Linux's neigh_timer_handler. Returns true
 * when the entry was garbage-collected (and must not be touched any more). */
static bool neigh_timer_run(struct us_stack *st, struct us_netdev *dev, struct us_neigh *n)
{
	struct us_neigh_table *t = st->neigh;
	uint64_t now = st->now_ms;
	uint64_t delay = (uint64_t)st->cfg.neigh_delay_first_probe_ms;
	uint64_t retrans = (uint64_t)st->cfg.neigh_retrans_ms;
	uint64_t gc_stale = (uint64_t)st->cfg.neigh_gc_stale_ms;
	uint64_t last;

	switch ((enum us_neigh_state)n->state) {
	case US_NUD_REACHABLE:
		if (now < n->confirmed_ms + n->reachable_ms)
			neigh_arm(t, n, n->confirmed_ms + n->reachable_ms); /* confirmed meanwhile */
		else if (now < n->used_ms + delay)
			neigh_enter(t, n, US_NUD_DELAY, now + delay);       /* in use: verify soon */
		else
			neigh_enter(t, n, US_NUD_STALE, now + gc_stale);
		return false;
	case US_NUD_DELAY:
		if (n->confirmed_ms >= n->updated_ms) {
			/* An upper layer confirmed reachability while we waited: no probe. */
			n->reachable_ms = neigh_rand_reachable(st);
			neigh_enter(t, n, US_NUD_REACHABLE, n->confirmed_ms + n->reachable_ms);
			return false;
		}
		n->probes = 0;
		neigh_enter(t, n, US_NUD_PROBE, now + retrans);
		neigh_send_probe(st, dev, n, true);
		return false;
	case US_NUD_PROBE:
		if (n->probes >= (unsigned)st->cfg.neigh_ucast_solicit) {
			neigh_fail(st, n);
			return false;
		}
		neigh_arm(t, n, now + retrans);
		neigh_send_probe(st, dev, n, true);
		return false;
	case US_NUD_INCOMPLETE:
		if (n->probes >= (unsigned)st->cfg.neigh_mcast_solicit) {
			neigh_fail(st, n);
			return false;
		}
		neigh_arm(t, n, now + retrans);
		neigh_send_probe(st, dev, n, false);
		return false;
	case US_NUD_STALE:
	case US_NUD_FAILED:
		/* Garbage collection: unused for gc_stale_time (Linux neigh_periodic_work). */
		last = n->used_ms > n->updated_ms ? n->used_ms : n->updated_ms;
		if (now >= last + gc_stale && n->refcnt == 1) {
			neigh_destroy(t, n, US_DROP_NEIGH_DEAD);
			return true;
		}
		neigh_arm(t, n, last + gc_stale > now ? last + gc_stale : now + gc_stale);
		return false;
	case US_NUD_NONE:
	case US_NUD_PERMANENT:
		break;
	}
	return false;
}

static void neigh_timer_fire(struct us_timer *tm, uint64_t now_ms)
{
	struct us_neigh *n = container_of(tm, struct us_neigh, timer);
	struct us_neigh_table *t = n->tbl;
	struct us_stack *st = t->st;
	struct us_netdev *dev = us_netdev_by_index(st, n->ifindex);

	(void)now_ms; /* st->now_ms is the round's time */
	if (!dev) {
		neigh_destroy(t, n, US_DROP_NEIGH_DEAD); /* the device went away */
		return;
	}
	if (st->now_ms < n->deadline_ms) {
		us_timer_arm(&st->timers, &n->timer, n->deadline_ms);
		return;
	}
	/* Held while the handler runs: the ICMP errors of neigh_fail may create entries,
	 * and eviction must not free this one under us. */
	n->refcnt++;
	if (!neigh_timer_run(st, dev, n))
		n->refcnt--;
}

/* ---- control path --------------------------------------------------------------- */

int neigh_add_static(struct us_stack *st, int ifindex, uint32_t ip, const uint8_t mac[6])
{
	struct us_neigh_table *t = st->neigh;
	struct us_netdev *dev = us_netdev_by_index(st, ifindex);
	struct us_neigh *n;

	if (!dev)
		return -ENODEV;
	if (dev->link != US_LINK_ETHER || ip == 0 || ip == 0xffffffffu || ip_is_multicast(ip) ||
	    eth_addr_is_multicast(mac) || eth_addr_is_zero(mac))
		return -EINVAL;
	n = neigh_find(t, ifindex, ip);
	if (!n) {
		/* Static entries count against gc_thresh3 too: the table stays bounded. */
		n = neigh_create(t, dev, ip);
		if (!n)
			return -ENOMEM;
	}
	memcpy(n->mac, mac, ETH_ALEN);
	n->has_mac = true;
	n->probes = 0;
	n->confirmed_ms = st->now_ms;
	neigh_enter(t, n, US_NUD_PERMANENT, US_TIMER_NEVER);
	if (n->queue.len)
		neigh_flush_queue(st, dev, n);
	return 0;
}

int neigh_del(struct us_stack *st, int ifindex, uint32_t ip)
{
	struct us_neigh *n = neigh_find(st->neigh, ifindex, ip);

	if (!n)
		return -ENOENT;
	neigh_destroy(st->neigh, n, US_DROP_NEIGH_DEAD);
	return 0;
}

void neigh_flush_dev(struct us_stack *st, int ifindex)
{
	struct us_neigh_table *t = st->neigh;
	struct us_neigh *n, *tmp;

	list_for_each_entry_safe(n, tmp, &t->all, all_link)
		if (n->ifindex == ifindex && n->state != US_NUD_PERMANENT)
			neigh_destroy(t, n, US_DROP_NEIGH_DEAD);
}

static void neigh_fill_info(const struct us_neigh *n, struct us_neigh_info *out)
{
	memset(out, 0, sizeof(*out));
	out->ip = n->ip;
	out->ifindex = n->ifindex;
	memcpy(out->mac, n->mac, ETH_ALEN);
	out->has_mac = n->has_mac;
	out->state = (enum us_neigh_state)n->state;
	out->updated_ms = n->updated_ms;
	out->confirmed_ms = n->confirmed_ms;
	out->probes = n->probes;
	out->queued = n->queue.len;
	out->refcnt = n->refcnt;
}

int neigh_dump(struct us_stack *st, int (*cb)(const struct us_neigh_info *n, void *arg), void *arg)
{
	struct us_neigh_info info;
	struct us_neigh *n;
	int ret;

	/* @cb must not change the table. */
	list_for_each_entry(n, &st->neigh->all, all_link) {
		neigh_fill_info(n, &info);
		ret = cb(&info, arg);
		if (ret)
			return ret;
	}
	return 0;
}

int neigh_lookup_info(struct us_stack *st, int ifindex, uint32_t ip, struct us_neigh_info *out)
{
	struct us_neigh *n = neigh_find(st->neigh, ifindex, ip);

	if (!n)
		return -ENOENT;
	neigh_fill_info(n, out);
	return 0;
}
