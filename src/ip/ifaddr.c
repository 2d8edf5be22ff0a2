/*
 * ifaddr.c - IPv4 addresses of devices (Linux's net/ipv4/devinet.c, and the
 * route maintenance of fib_frontend.c: fib_add_ifaddr / fib_del_ifaddr).
 *
 * Entry: ifaddr_add/ifaddr_del/ifaddr_flush_dev (control path: ip_api.c, the
 * stack at creation and teardown), and the queries (is_local, dev_of, on_link,
 * select_src) used by the data path.
 * Exit: routes in the FIB (fib.c); a gratuitous ARP (arp_announce) for a new
 * address on an Ethernet device that is up.
 *
 * Read first: RFC 1122 3.3.4 (multihoming), 3.3.4.3 (choosing a source address),
 * 3.3.6 (broadcasts); RFC 919/922 (directed broadcast addresses).
 *
 * Routes an address brings (each with protocol "kernel", preferred source the
 * primary address of its subnet), as Linux installs them:
 *   local     ADDR/32          table local, scope host     (every address)
 *   unicast   PREFIX/LEN       table main,  scope link     (primaries; the connected
 *                                                           subnet; on a loopback device
 *                                                           it is a local route in the
 *                                                           local table instead)
 *   broadcast PREFIX/32, BCAST/32  table local, scope link (primaries, prefix < /31)
 *
 * Removal does not try to work out which of those routes another address still
 * needs (two devices on one subnet share the broadcast routes; a secondary's local
 * route names its primary as source). Instead it removes every kernel route of the
 * device and every route preferring the removed address as source (Linux's
 * fib_sync_down_addr), then installs the routes of all remaining addresses again;
 * routes that are still there are skipped. Address changes are rare and bounded
 * (US_MAX_DEVS devices, IFADDR_MAX_PER_DEV addresses each), so the simple way is the
 * safe way.
 *
 * Secondaries: an address in the subnet (same prefix and length) of an address the
 * device already has is secondary. When a primary goes, the first secondary of its
 * subnet is promoted (Linux with net.ipv4.conf.all.promote_secondaries=1).
 */
#include "ip/ifaddr.h"

#include <errno.h>
#include <stdlib.h>

#include "ip/fib.h"
#include "neigh/neigh.h"
#include "wire/ipv4.h"

#define IFADDR_MAX_PER_DEV 256

static inline uint32_t plen_mask(unsigned plen)
{
	return plen ? ~(uint32_t)0 << (32 - plen) : 0;
}

static bool same_subnet(const struct us_ifaddr *a, uint32_t addr, uint8_t plen)
{
	return a->plen == plen && !((a->addr ^ addr) & plen_mask(plen));
}

/* The primary address of @ifa's subnet on its device (@ifa itself if it is primary). */
static const struct us_ifaddr *primary_of(const struct us_in_device *in,
					  const struct us_ifaddr *ifa)
{
	const struct us_ifaddr *a;

	if (!ifa->secondary)
		return ifa;
	for (a = in->addrs; a; a = a->next)
		if (!a->secondary && same_subnet(a, ifa->addr, ifa->plen))
			return a;
	return ifa; /* cannot happen: a secondary always has a primary */
}

static int route_add_kernel(struct us_stack *st, uint8_t table, uint8_t type, uint8_t scope,
			    uint32_t dst, uint8_t plen, int ifindex, uint32_t prefsrc)
{
	struct us_route r = {
		.dst = dst,
		.plen = plen,
		.type = type,
		.scope = scope,
		.table = table,
		.protocol = US_RTPROT_KERNEL,
		.ifindex = ifindex,
		.prefsrc = prefsrc,
	};
	int err = fib_add(st, &r);

	/* Already there: another address (or device) on the same subnet installed it. */
	return err == -EEXIST ? 0 : err;
}

/* Installs the routes @ifa brings (see the file comment); Linux fib_add_ifaddr. */
static int ifa_routes_add(struct us_stack *st, struct us_netdev *dev, const struct us_ifaddr *ifa)
{
	const struct us_ifaddr *prim = primary_of(dev->in_dev, ifa);
	uint32_t mask = plen_mask(ifa->plen);
	uint32_t prefix = ifa->addr & mask;
	bool loop = dev->link == US_LINK_LOOPBACK;
	int err;

	err = route_add_kernel(st, US_RT_TABLE_LOCAL, US_RTN_LOCAL, US_RT_SCOPE_HOST, ifa->addr, 32,
			       dev->ifindex, prim->addr);
	if (err || ifa->secondary)
		return err;
	/* No subnet for 0/8 prefixes, nor for a /32 (its local route is all there is). */
	if (ipv4_is_zeronet(prefix) || (prefix == ifa->addr && ifa->plen == 32))
		return 0;
	if (loop)
		err = route_add_kernel(st, US_RT_TABLE_LOCAL, US_RTN_LOCAL, US_RT_SCOPE_HOST, prefix,
				       ifa->plen, dev->ifindex, prim->addr);
	else
		err = route_add_kernel(st, US_RT_TABLE_MAIN, US_RTN_UNICAST, US_RT_SCOPE_LINK,
				       prefix, ifa->plen, dev->ifindex, prim->addr);
	if (err)
		return err;
	/* RFC 1122 3.3.6 / RFC 922: the all-ones and (obsolete, still accepted) all-zeros
	 * host parts of the subnet are broadcasts; /31 (RFC 3021) and /32 have none. */
	if (ifa->plen < 31) {
		err = route_add_kernel(st, US_RT_TABLE_LOCAL, US_RTN_BROADCAST, US_RT_SCOPE_LINK,
				       prefix, 32, dev->ifindex, prim->addr);
		if (!err)
			err = route_add_kernel(st, US_RT_TABLE_LOCAL, US_RTN_BROADCAST,
					       US_RT_SCOPE_LINK, prefix | ~mask, 32, dev->ifindex,
					       prim->addr);
	}
	return err;
}

/* Installs the routes of every address of every device that are missing. */
static void ifa_routes_resync(struct us_stack *st)
{
	for (int i = 1; i <= US_MAX_DEVS; i++) {
		struct us_netdev *dev = st->devs[i];
		const struct us_ifaddr *a;

		if (!dev || !dev->in_dev)
			continue;
		for (a = dev->in_dev->addrs; a; a = a->next) {
			int err = ifa_routes_add(st, dev, a);

			if (err)
				us_log(st, US_LOG_WARN, "ip", "%s: cannot restore routes: %d", dev->name,
				       err);
		}
	}
}

struct flush_arg {
	int ifindex;
	uint32_t addr;
	bool addr_valid;
};

static bool match_kernel_or_src(const struct us_route *r, void *arg)
{
	const struct flush_arg *fa = arg;

	if (r->protocol == US_RTPROT_KERNEL && r->ifindex == fa->ifindex)
		return true;
	return fa->addr_valid && r->prefsrc == fa->addr;
}

/* Links @ifa into @in: primaries first, in the order added, then secondaries. */
static void ifa_link(struct us_in_device *in, struct us_ifaddr *ifa)
{
	struct us_ifaddr **pp = &in->addrs;

	if (ifa->secondary) {
		while (*pp)
			pp = &(*pp)->next;
	} else {
		while (*pp && !(*pp)->secondary)
			pp = &(*pp)->next;
	}
	ifa->next = *pp;
	*pp = ifa;
}

static void ifa_unlink(struct us_in_device *in, struct us_ifaddr *ifa)
{
	struct us_ifaddr **pp;

	for (pp = &in->addrs; *pp; pp = &(*pp)->next)
		if (*pp == ifa) {
			*pp = ifa->next;
			ifa->next = NULL;
			return;
		}
}

static unsigned ifa_count(const struct us_in_device *in)
{
	unsigned n = 0;

	for (const struct us_ifaddr *a = in->addrs; a; a = a->next)
		n++;
	return n;
}

/* Removes the routes of a device's addresses (and of @gone, if set) and restores
 * what the remaining addresses need. */
static void ifa_routes_rebuild(struct us_stack *st, struct us_netdev *dev, const uint32_t *gone)
{
	struct flush_arg fa = { .ifindex = dev->ifindex };

	if (gone) {
		fa.addr = *gone;
		fa.addr_valid = true;
	}
	fib_flush_match(st, match_kernel_or_src, &fa);
	/* Linux fib_disable_ip: when a device's last address goes, so do all routes
	 * through it (static ones included: their gateways are no longer on-link). */
	if (!dev->in_dev || !dev->in_dev->addrs)
		fib_flush_dev(st, dev->ifindex);
	ifa_routes_resync(st);
}

int ifaddr_add(struct us_stack *st, int ifindex, uint32_t addr, uint8_t plen)
{
	struct us_netdev *dev = us_netdev_by_index(st, ifindex);
	struct us_in_device *in;
	struct us_ifaddr *ifa, *a;
	int err;

	if (plen > 32)
		return -EINVAL;
	/* RFC 1122 3.2.1.3: these can never be a host's address. */
	if (ipv4_is_zeronet(addr) || ipv4_is_multicast(addr) || ipv4_is_lbcast(addr) ||
	    ipv4_is_class_e(addr))
		return -EINVAL;
	if (!dev)
		return -ENODEV;
	if (!dev->in_dev) {
		dev->in_dev = calloc(1, sizeof(*dev->in_dev));
		if (!dev->in_dev)
			return -ENOMEM;
	}
	in = dev->in_dev;
	for (a = in->addrs; a; a = a->next)
		if (a->addr == addr)
			return -EEXIST;
	if (ifa_count(in) >= IFADDR_MAX_PER_DEV)
		return -ENOSPC;
	ifa = calloc(1, sizeof(*ifa));
	if (!ifa)
		return -ENOMEM;
	ifa->addr = addr;
	ifa->plen = plen;
	ifa->broadcast = plen < 31 ? addr | ~plen_mask(plen) : 0;
	for (a = in->addrs; a; a = a->next)
		if (!a->secondary && same_subnet(a, addr, plen))
			ifa->secondary = true;
	ifa_link(in, ifa);

	err = ifa_routes_add(st, dev, ifa);
	if (err) {
		ifa_unlink(in, ifa);
		free(ifa);
		ifa_routes_rebuild(st, dev, &addr);
		return err;
	}
	/* RFC 5227 3: announce the new address so neighbours' caches learn it (Linux
	 * sends a gratuitous ARP on NETDEV_UP and address changes, arp_ifa_event). */
	if (dev->link == US_LINK_ETHER && (dev->flags & US_DEV_UP) && !(dev->flags & US_DEV_NOARP))
		arp_announce(st, dev, addr);
	return 0;
}

int ifaddr_del(struct us_stack *st, int ifindex, uint32_t addr, uint8_t plen)
{
	struct us_netdev *dev = us_netdev_by_index(st, ifindex);
	struct us_in_device *in;
	struct us_ifaddr *ifa, *a;

	if (!dev)
		return -ENODEV;
	in = dev->in_dev;
	for (ifa = in ? in->addrs : NULL; ifa; ifa = ifa->next)
		if (ifa->addr == addr && ifa->plen == plen)
			break;
	if (!ifa)
		return -EADDRNOTAVAIL;
	ifa_unlink(in, ifa);
	if (!ifa->secondary) {
		/* Promote the first secondary of the subnet, if any. */
		for (a = in->addrs; a; a = a->next)
			if (a->secondary && same_subnet(a, ifa->addr, ifa->plen))
				break;
		if (a) {
			ifa_unlink(in, a);
			a->secondary = false;
			ifa_link(in, a);
		}
	}
	free(ifa);
	ifa_routes_rebuild(st, dev, &addr);
	return 0;
}

void ifaddr_flush_dev(struct us_stack *st, struct us_netdev *dev)
{
	struct us_in_device *in = dev->in_dev;
	struct us_ifaddr *a, *next;

	if (!in)
		return;
	dev->in_dev = NULL;
	for (a = in->addrs; a; a = next) {
		struct flush_arg fa = { .ifindex = dev->ifindex, .addr = a->addr, .addr_valid = true };

		next = a->next;
		fib_flush_match(st, match_kernel_or_src, &fa);
		free(a);
	}
	free(in);
	fib_flush_dev(st, dev->ifindex);
	ifa_routes_resync(st);
}

bool ifaddr_is_local(struct us_stack *st, uint32_t addr)
{
	struct us_route r;

	/* The local table holds exactly this host's addresses (and whole local
	 * prefixes such as 127/8 on loopback): an O(32) lookup, not a scan. */
	return fib_lookup_table(st, US_RT_TABLE_LOCAL, addr, &r) == 0 && r.type == US_RTN_LOCAL;
}

struct us_netdev *ifaddr_dev_of(struct us_stack *st, uint32_t addr)
{
	struct us_route r;

	if (fib_lookup_table(st, US_RT_TABLE_LOCAL, addr, &r) || r.type != US_RTN_LOCAL)
		return NULL;
	return us_netdev_by_index(st, r.ifindex);
}

bool ifaddr_on_link(const struct us_netdev *dev, uint32_t addr)
{
	const struct us_ifaddr *a;

	if (!dev->in_dev)
		return false;
	for (a = dev->in_dev->addrs; a; a = a->next)
		if (!((a->addr ^ addr) & plen_mask(a->plen)))
			return true;
	return false;
}

/*
 * Linux's inet_select_addr skips addresses whose scope is narrower than the
 * route's; the only host-scope addresses we have are loopback ones, which must
 * not leave the host as a source (RFC 1122 3.2.1.3 (g)).
 */
static bool src_usable(const struct us_ifaddr *a, uint32_t dst)
{
	return !a->secondary && (!ipv4_is_loopback(a->addr) || ipv4_is_loopback(dst));
}

uint32_t ifaddr_select_src(struct us_stack *st, const struct us_netdev *dev, uint32_t dst)
{
	const struct us_ifaddr *a, *first = NULL;

	if (dev && dev->in_dev) {
		for (a = dev->in_dev->addrs; a; a = a->next) {
			if (!src_usable(a, dst))
				continue;
			if (!((a->addr ^ dst) & plen_mask(a->plen)))
				return a->addr; /* RFC 1122 3.3.4.3: the address on dst's subnet */
			if (!first)
				first = a;
		}
		if (first)
			return first->addr;
	}
	for (int i = 1; i <= US_MAX_DEVS; i++) {
		const struct us_netdev *d = st->devs[i];

		if (!d || !d->in_dev || d == dev)
			continue;
		for (a = d->in_dev->addrs; a; a = a->next)
			if (src_usable(a, dst))
				return a->addr;
	}
	return 0;
}
