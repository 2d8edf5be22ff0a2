/*
 * fib.h - the IPv4 forwarding information base: routing tables with
 * longest-prefix match (Linux's net/ipv4/fib_*.c model).
 *
 * Two tables, looked up in order: LOCAL (255: local and broadcast addresses of
 * this host, maintained from interface addresses) and MAIN (254: connected
 * subnets, static routes, the default route). Within a table the longest
 * matching prefix wins; among equal prefixes, the lowest metric.
 * Route types as Linux's RTN_*: unicast, local, broadcast, blackhole,
 * unreachable, prohibit. Scopes as RT_SCOPE_*: universe, link, host.
 */
#ifndef US_IP_FIB_H
#define US_IP_FIB_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stack.h"

enum us_rt_type {
	US_RTN_UNICAST = 1,
	US_RTN_LOCAL = 2,
	US_RTN_BROADCAST = 3,
	US_RTN_BLACKHOLE = 6,
	US_RTN_UNREACHABLE = 7,
	US_RTN_PROHIBIT = 8,
};

enum us_rt_scope { US_RT_SCOPE_UNIVERSE = 0, US_RT_SCOPE_LINK = 253, US_RT_SCOPE_HOST = 254 };
enum us_rt_table { US_RT_TABLE_MAIN = 254, US_RT_TABLE_LOCAL = 255 };
enum us_rt_proto { US_RTPROT_KERNEL = 2, US_RTPROT_BOOT = 3, US_RTPROT_STATIC = 4 };

struct us_route {
	uint32_t dst;          /* network, host order (host bits zero) */
	uint8_t plen;          /* 0..32 */
	uint8_t type;          /* enum us_rt_type */
	uint8_t scope;         /* enum us_rt_scope */
	uint8_t table;         /* enum us_rt_table */
	uint8_t protocol;      /* enum us_rt_proto: who added it */
	uint32_t gateway;      /* 0: on-link, the next hop is the destination itself */
	int ifindex;           /* 0 for types without a device (blackhole ...) */
	uint32_t prefsrc;      /* 0: choose from the device's addresses */
	uint32_t metric;
	uint32_t mtu;          /* 0: the device's MTU */
};

const char *us_rt_type_name(uint8_t type);   /* "unicast", "local", ... as ip route prints */
int us_rt_type_parse(const char *s);         /* -1 if unknown */
const char *us_rt_scope_name(uint8_t scope); /* "global", "link", "host" */

int fib_init(struct us_stack *st);
void fib_fini(struct us_stack *st);

/* 0, -EEXIST (same table/dst/plen/metric), -EINVAL (bad prefix, unknown table or type,
 * gateway not on-link or one of our addresses, missing device for unicast/local/broadcast),
 * -ENODEV, -ENOSPC (route.max_size), -ENOMEM. A unicast route via a gateway with ifindex 0
 * gets the device whose connected subnet holds the gateway. table 0 means MAIN. */
int fib_add(struct us_stack *st, const struct us_route *r);
/* Deletes the route with this table/dst/plen (and metric/ifindex/type if non-zero in
 * @match). 0 or -ESRCH. */
int fib_del(struct us_stack *st, const struct us_route *match);
/* Removes every route through @ifindex (device going away). */
void fib_flush_dev(struct us_stack *st, int ifindex);

/*
 * fib_lookup - longest-prefix match for @dst: the LOCAL table, then MAIN.
 * Copies the winning route to @out. 0, or -ENETUNREACH if nothing matches.
 */
int fib_lookup(struct us_stack *st, uint32_t dst, struct us_route *out);

/*
 * fib_dump - call @cb for each route of @table (0 = all tables: MAIN, then LOCAL), in
 * prefix order (by address, a shorter prefix before the longer ones inside it, then
 * by metric). Stops when @cb returns non-zero and returns that value; else 0.
 * @cb must not change the FIB.
 */
int fib_dump(struct us_stack *st, int table, int (*cb)(const struct us_route *r, void *arg),
	     void *arg);

/*
 * fib_lookup_dev - as fib_lookup, but only routes out of @ifindex (and routes without a
 * device: blackhole, unreachable, prohibit) are considered: the lookup for a socket bound
 * to a device (Linux's flowi4_oif). 0 or -ENETUNREACH.
 */
int fib_lookup_dev(struct us_stack *st, uint32_t dst, int ifindex, struct us_route *out);
/* Longest-prefix match in one table only. 0 or -ENETUNREACH. */
int fib_lookup_table(struct us_stack *st, int table, uint32_t dst, struct us_route *out);

/* Removes every route for which @match returns true. Returns how many were removed. */
unsigned fib_flush_match(struct us_stack *st, bool (*match)(const struct us_route *r, void *arg),
			 void *arg);
/* Number of routes in all tables. */
unsigned fib_count(struct us_stack *st);

/*
 * The IPv4 layer's per-stack state other than routes lives with the FIB (created by
 * fib_init; struct us_stack has one pointer for ip/ besides reassembly). For now that is
 * the IP identification generator (ip_select_id): buckets of counters, as Linux's
 * ip_idents, each with the time it was last used.
 */
#define US_IP_IDENTS 2048
struct us_ip_ident {
	uint32_t id;
	uint64_t stamp_ms;
};
struct us_ip_ident *fib_ip_ident(struct us_stack *st, uint32_t bucket);

#endif
