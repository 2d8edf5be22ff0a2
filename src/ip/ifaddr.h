/*
 * ifaddr.h - IPv4 addresses of devices (Linux's in_device / in_ifaddr).
 *
 * Adding an address installs, as Linux's fib_add_ifaddr does: a LOCAL route for
 * the address (table local, scope host), BROADCAST routes for the subnet's
 * broadcast and network addresses (table local, scope link) unless the prefix is
 * /31 or /32, and the connected subnet route (table main, scope link, proto
 * kernel). The first address of a subnet on a device is primary; later ones in
 * the same subnet are secondary (preferred-source selection uses primaries).
 */
#ifndef US_IP_IFADDR_H
#define US_IP_IFADDR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stack.h"

struct us_ifaddr {
	struct us_ifaddr *next;
	uint32_t addr;        /* host order */
	uint8_t plen;
	uint32_t broadcast;   /* 0 for /31 and /32 */
	bool secondary;
};

struct us_in_device {
	struct us_ifaddr *addrs; /* primaries first, in the order added */
};

/* 0, -EEXIST (the device has @addr already), -EINVAL (plen > 32, martian address),
 * -ENODEV, -ENOMEM, -ENOSPC (too many addresses on the device, or the FIB is full). */
int ifaddr_add(struct us_stack *st, int ifindex, uint32_t addr, uint8_t plen);
/* Removes @addr/@plen and its routes; a secondary of the same subnet is promoted when a
 * primary goes; when the device's last address goes, every route through it goes too
 * (as Linux). 0, -ENODEV, -EADDRNOTAVAIL. */
int ifaddr_del(struct us_stack *st, int ifindex, uint32_t addr, uint8_t plen);
/* Frees a device's addresses and their routes (device removal). */
void ifaddr_flush_dev(struct us_stack *st, struct us_netdev *dev);

/* Is @addr one of this host's addresses (any device)? An O(32) lookup in the LOCAL
 * table, so, as Linux's inet_addr_type, all of 127/8 counts when lo has 127.0.0.1/8. */
bool ifaddr_is_local(struct us_stack *st, uint32_t addr);
/* The device owning local address @addr, or NULL. */
struct us_netdev *ifaddr_dev_of(struct us_stack *st, uint32_t addr);
/* Does @dev have an address in the same subnet as @addr? */
bool ifaddr_on_link(const struct us_netdev *dev, uint32_t addr);
/*
 * ifaddr_select_src - the source address for datagrams to @dst leaving through @dev
 * (RFC 1122 3.3.4.3; Linux inet_select_addr): a primary address of @dev in @dst's
 * subnet, else @dev's first primary, else any primary address of the host. 0 if none.
 */
uint32_t ifaddr_select_src(struct us_stack *st, const struct us_netdev *dev, uint32_t dst);

#endif
