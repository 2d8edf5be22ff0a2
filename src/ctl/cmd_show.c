/*
 * cmd_show.c - the iproute2-like commands: link, addr, route, neigh. They read
 * the stack's tables directly (this runs on the stack's thread) and change
 * them through the same functions the public API uses.
 *
 * Text output follows `ip` closely enough that the two can be read side by
 * side; -j prints one JSON array of flat objects (field names as in `ip -j`
 * where it has one: ifindex, ifname, mtu, address, dst, gateway, dev,
 * protocol, scope, prefsrc, metric, lladdr, state).
 */
#include <errno.h>
#include <string.h>

#include "ctl/parse.h"
#include "ctl/server.h"
#include "ip/fib.h"
#include "ip/ifaddr.h"
#include "ip/pmtu.h"
#include "neigh/neigh.h"
#include "ustack/ustack.h"

/* ---- link ---- */

static const char *link_type_name(const struct us_netdev *dev)
{
	switch (dev->link) {
	case US_LINK_ETHER: return "ether";
	case US_LINK_LOOPBACK: return "loopback";
	default: return "none";
	}
}

/* The <...> flags `ip link` prints, as a list. Returns how many were written. */
static int link_flags(const struct us_netdev *dev, const char *out[6])
{
	int n = 0;

	if (dev->link == US_LINK_LOOPBACK || (dev->flags & US_DEV_LOOPBACK))
		out[n++] = "LOOPBACK";
	if (dev->link == US_LINK_ETHER)
		out[n++] = "BROADCAST";
	if ((dev->flags & US_DEV_NOARP) || dev->link != US_LINK_ETHER)
		out[n++] = "NOARP";
	if (dev->flags & US_DEV_PROMISC)
		out[n++] = "PROMISC";
	if (dev->flags & US_DEV_UP)
		out[n++] = "UP";
	return n;
}

static void link_header_text(struct ctl_client *c, const struct us_netdev *dev, bool kind)
{
	const char *flags[6];
	char mac[CTL_MAC_STRLEN];
	int n = link_flags(dev, flags);

	ctl_printf(c, "%d: %s: <", dev->ifindex, dev->name);
	for (int i = 0; i < n; i++)
		ctl_printf(c, "%s%s", i ? "," : "", flags[i]);
	ctl_printf(c, "> mtu %u state %s", dev->mtu, (dev->flags & US_DEV_UP) ? "UP" : "DOWN");
	if (kind)
		ctl_printf(c, " kind %s", dev->ops->kind);
	ctl_printf(c, "\n    link/%s %s", link_type_name(dev), ctl_fmt_mac(dev->hwaddr, mac));
	if (dev->link == US_LINK_ETHER)
		ctl_printf(c, " brd ff:ff:ff:ff:ff:ff");
	ctl_printf(c, "\n");
}

static void link_stats_json(struct us_json *j, const struct us_netdev_stats *s)
{
	us_json_kv_u64(j, "rx_packets", s->rx_packets);
	us_json_kv_u64(j, "rx_bytes", s->rx_bytes);
	us_json_kv_u64(j, "rx_errors", s->rx_errors);
	us_json_kv_u64(j, "rx_dropped", s->rx_dropped);
	us_json_kv_u64(j, "tx_packets", s->tx_packets);
	us_json_kv_u64(j, "tx_bytes", s->tx_bytes);
	us_json_kv_u64(j, "tx_errors", s->tx_errors);
	us_json_kv_u64(j, "tx_dropped", s->tx_dropped);
	us_json_kv_u64(j, "rx_gso_frames", s->rx_gso_frames);
	us_json_kv_u64(j, "tx_gso_frames", s->tx_gso_frames);
	us_json_kv_u64(j, "rx_batches", s->rx_batches);
	us_json_kv_u64(j, "tx_batches", s->tx_batches);
}

static void link_json(struct us_json *j, const struct us_netdev *dev)
{
	const char *flags[6];
	char mac[CTL_MAC_STRLEN];
	int n = link_flags(dev, flags);

	us_json_obj_begin(j);
	us_json_kv_i64(j, "ifindex", dev->ifindex);
	us_json_kv_str(j, "ifname", dev->name);
	us_json_kv_str(j, "kind", dev->ops->kind);
	us_json_key(j, "flags");
	us_json_arr_begin(j);
	for (int i = 0; i < n; i++)
		us_json_str(j, flags[i]);
	us_json_arr_end(j);
	us_json_kv_u64(j, "mtu", dev->mtu);
	us_json_kv_str(j, "state", (dev->flags & US_DEV_UP) ? "UP" : "DOWN");
	us_json_kv_str(j, "link_type", link_type_name(dev));
	us_json_kv_str(j, "address", ctl_fmt_mac(dev->hwaddr, mac));
	us_json_kv_bool(j, "forwarding", dev->flags & US_DEV_FORWARDING);
	us_json_key(j, "stats");
	us_json_obj_begin(j);
	link_stats_json(j, &dev->stats);
	us_json_obj_end(j);
	us_json_obj_end(j);
}

static void link_text(struct ctl_client *c, const struct us_netdev *dev)
{
	const struct us_netdev_stats *s = &dev->stats;

	link_header_text(c, dev, true);
	ctl_printf(c, "    RX: packets %llu bytes %llu errors %llu dropped %llu\n",
		   (unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
		   (unsigned long long)s->rx_errors, (unsigned long long)s->rx_dropped);
	ctl_printf(c, "    TX: packets %llu bytes %llu errors %llu dropped %llu\n",
		   (unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes,
		   (unsigned long long)s->tx_errors, (unsigned long long)s->tx_dropped);
}

static void link_show_dev(struct ctl_client *c, struct us_json *j, const struct us_netdev *dev)
{
	if (j)
		link_json(j, dev);
	else
		link_text(c, dev);
}

/* `link show` and `addr show`: @each for every device, or only the one named @only. */
static int dev_show(struct ctl_client *c, const char *only,
		    void (*each)(struct ctl_client *c, struct us_json *j,
				 const struct us_netdev *dev))
{
	struct us_netdev *one = NULL;
	struct ctl_list l;
	struct us_json *j;

	if (only && !(one = ctl_dev_arg(c, only)))
		return CTL_EXIT_FAIL;
	j = ctl_list_begin(c, &l);
	for (int d = 1; d <= US_MAX_DEVS; d++) {
		const struct us_netdev *dev = c->st->devs[d];

		if (dev && (!one || dev == one))
			each(c, j, dev);
	}
	ctl_list_end(c, &l);
	return CTL_EXIT_OK;
}

static int link_set(struct ctl_client *c, int argc, char **argv)
{
	static const char usage[] = "link set DEV mtu N | up | down";
	struct us_netdev *dev;
	int err;

	if (argc < 2)
		return ctl_usage(c, usage);
	dev = ctl_dev_arg(c, argv[0]);
	if (!dev)
		return CTL_EXIT_FAIL;
	/* Check every word before changing anything, so a typo changes nothing. */
	for (int i = 1; i < argc; i++) {
		uint64_t mtu;
		if (!strcmp(argv[i], "up") || !strcmp(argv[i], "down"))
			continue;
		if (!strcmp(argv[i], "mtu") && i + 1 < argc &&
		    ctl_parse_u64(argv[i + 1], 0, UINT32_MAX, &mtu) == 0) {
			i++;
			continue;
		}
		return ctl_usage(c, usage);
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "mtu")) {
			uint64_t mtu;
			ctl_parse_u64(argv[++i], 0, UINT32_MAX, &mtu);
			err = us_dev_set_mtu(c->st, dev->ifindex, (unsigned)mtu);
			if (err == -EINVAL) {
				ctl_eprintf(c, "ustack: link set: mtu %llu out of range for %s\n",
					    (unsigned long long)mtu, dev->name);
				return CTL_EXIT_FAIL;
			}
		} else {
			err = us_dev_set_up(c->st, dev->ifindex, !strcmp(argv[i], "up"));
		}
		if (err)
			return ctl_fail(c, "link set", err);
	}
	return ctl_done(c);
}

int ctl_cmd_link(struct ctl_client *c, int argc, char **argv)
{
	if (argc == 1)
		return dev_show(c, NULL, link_show_dev);
	if (ctl_is_show(argv[1])) {
		if (argc == 2)
			return dev_show(c, NULL, link_show_dev);
		if (argc == 3)
			return dev_show(c, argv[2], link_show_dev);
		if (argc == 4 && !strcmp(argv[2], "dev"))
			return dev_show(c, argv[3], link_show_dev);
		return ctl_usage(c, "link [show [DEV]]");
	}
	if (!strcmp(argv[1], "set"))
		return link_set(c, argc - 2, argv + 2);
	return ctl_usage(c, "link [show [DEV]] | link set DEV mtu N | up | down");
}

/* ---- addr ---- */

/* Linux gives addresses in 127/8 host scope (they never leave the machine). */
static const char *addr_scope(uint32_t addr)
{
	return (addr >> 24) == 127 ? "host" : "global";
}

/* Linux shows no broadcast address on loopback (it has no link to broadcast on). */
static bool addr_show_brd(const struct us_netdev *dev, const struct us_ifaddr *a)
{
	return a->broadcast && dev->link != US_LINK_LOOPBACK;
}

static void addr_text(struct ctl_client *c, const struct us_netdev *dev, const struct us_ifaddr *a)
{
	char ip[CTL_IPV4_STRLEN], brd[CTL_IPV4_STRLEN];

	ctl_printf(c, "    inet %s/%u", ctl_fmt_ipv4(a->addr, ip), a->plen);
	if (addr_show_brd(dev, a))
		ctl_printf(c, " brd %s", ctl_fmt_ipv4(a->broadcast, brd));
	ctl_printf(c, " scope %s%s %s\n", addr_scope(a->addr), a->secondary ? " secondary" : "",
		   dev->name);
}

static void addr_json(struct us_json *j, const struct us_netdev *dev, const struct us_ifaddr *a)
{
	char ip[CTL_IPV4_STRLEN];

	us_json_obj_begin(j);
	us_json_kv_i64(j, "ifindex", dev->ifindex);
	us_json_kv_str(j, "dev", dev->name);
	us_json_kv_str(j, "family", "inet");
	us_json_kv_str(j, "local", ctl_fmt_ipv4(a->addr, ip));
	us_json_kv_u64(j, "prefixlen", a->plen);
	if (addr_show_brd(dev, a))
		us_json_kv_str(j, "broadcast", ctl_fmt_ipv4(a->broadcast, ip));
	us_json_kv_str(j, "scope", addr_scope(a->addr));
	us_json_kv_bool(j, "secondary", a->secondary);
	us_json_obj_end(j);
}

static void addr_show_dev(struct ctl_client *c, struct us_json *j, const struct us_netdev *dev)
{
	if (!j)
		link_header_text(c, dev, false);
	for (const struct us_ifaddr *a = dev->in_dev ? dev->in_dev->addrs : NULL; a; a = a->next) {
		if (j)
			addr_json(j, dev, a);
		else
			addr_text(c, dev, a);
	}
}

static int addr_change(struct ctl_client *c, bool add, int argc, char **argv)
{
	const char *usage = add ? "addr add A.B.C.D/LEN dev DEV" : "addr del A.B.C.D/LEN dev DEV";
	const char *devname = NULL, *prefix = NULL;
	struct us_netdev *dev;
	uint32_t addr;
	unsigned plen;
	int err;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "dev") && i + 1 < argc && !devname)
			devname = argv[++i];
		else if (!prefix)
			prefix = argv[i];
		else
			return ctl_usage(c, usage);
	}
	if (!prefix || !devname)
		return ctl_usage(c, usage);
	if (ctl_parse_prefix(prefix, &addr, &plen, true, false) < 0) {
		ctl_eprintf(c, "ustack: invalid address \"%s\" (expected A.B.C.D/LEN)\n", prefix);
		return CTL_EXIT_USAGE;
	}
	dev = ctl_dev_arg(c, devname);
	if (!dev)
		return CTL_EXIT_FAIL;
	err = add ? us_addr_add(c->st, dev->ifindex, addr, plen)
		  : us_addr_del(c->st, dev->ifindex, addr, plen);
	if (err == -EEXIST)
		return ctl_fail(c, "addr add: address already assigned", err);
	if (err == -ENOENT || err == -EADDRNOTAVAIL || err == -ESRCH) {
		ctl_eprintf(c, "ustack: addr del: %s/%u is not an address of %s\n", prefix, plen,
			    dev->name);
		return CTL_EXIT_FAIL;
	}
	if (err)
		return ctl_fail(c, add ? "addr add" : "addr del", err);
	return ctl_done(c);
}

int ctl_cmd_addr(struct ctl_client *c, int argc, char **argv)
{
	if (argc == 1)
		return dev_show(c, NULL, addr_show_dev);
	if (ctl_is_show(argv[1])) {
		if (argc == 2)
			return dev_show(c, NULL, addr_show_dev);
		if (argc == 4 && !strcmp(argv[2], "dev"))
			return dev_show(c, argv[3], addr_show_dev);
		if (argc == 3)
			return dev_show(c, argv[2], addr_show_dev);
		return ctl_usage(c, "addr [show] [dev DEV]");
	}
	if (!strcmp(argv[1], "dev") && argc == 3)
		return dev_show(c, argv[2], addr_show_dev);
	if (!strcmp(argv[1], "add"))
		return addr_change(c, true, argc - 2, argv + 2);
	if (!strcmp(argv[1], "del") || !strcmp(argv[1], "delete"))
		return addr_change(c, false, argc - 2, argv + 2);
	return ctl_usage(c, "addr [show] [dev DEV] | addr add|del A.B.C.D/LEN dev DEV");
}

/* ---- route ---- */

static const char *rt_proto_name(uint8_t proto, char buf[8])
{
	switch (proto) {
	case US_RTPROT_KERNEL: return "kernel";
	case US_RTPROT_BOOT: return "boot";
	case US_RTPROT_STATIC: return "static";
	default:
		snprintf(buf, 8, "%u", proto);
		return buf;
	}
}

static const char *rt_table_name(uint8_t table, char buf[8])
{
	switch (table) {
	case US_RT_TABLE_MAIN: return "main";
	case US_RT_TABLE_LOCAL: return "local";
	default:
		snprintf(buf, 8, "%u", table);
		return buf;
	}
}

/* "default", "198.18.0.0/24", or "198.18.0.5" for a /32, as `ip route` prints. */
static const char *rt_dst(const struct us_route *r, char buf[CTL_IPV4_STRLEN + 3])
{
	char ip[CTL_IPV4_STRLEN];

	if (r->plen == 0)
		return "default";
	if (r->plen == 32)
		snprintf(buf, CTL_IPV4_STRLEN + 3, "%s", ctl_fmt_ipv4(r->dst, ip));
	else
		snprintf(buf, CTL_IPV4_STRLEN + 3, "%s/%u", ctl_fmt_ipv4(r->dst, ip), r->plen);
	return buf;
}

struct route_show_ctx {
	struct ctl_client *c;
	struct us_json *j;
	bool show_table;
	uint32_t cache_mtu;        /* route get: the path MTU cache's entry (0: none) */
	bool cache_lock;
	uint64_t cache_expires_ms;
	uint32_t get_dst;
};

static void route_text(struct ctl_client *c, const struct us_route *r, bool show_table)
{
	const struct us_netdev *dev = r->ifindex ? us_netdev_by_index(c->st, r->ifindex) : NULL;
	char dst[CTL_IPV4_STRLEN + 3], ip[CTL_IPV4_STRLEN], nb[8];

	if (r->type != US_RTN_UNICAST)
		ctl_printf(c, "%s ", us_rt_type_name(r->type));
	ctl_printf(c, "%s", rt_dst(r, dst));
	if (r->gateway)
		ctl_printf(c, " via %s", ctl_fmt_ipv4(r->gateway, ip));
	if (dev)
		ctl_printf(c, " dev %s", dev->name);
	if (show_table && r->table != US_RT_TABLE_MAIN)
		ctl_printf(c, " table %s", rt_table_name(r->table, nb));
	if (r->protocol && r->protocol != US_RTPROT_BOOT) /* ip hides "proto boot" */
		ctl_printf(c, " proto %s", rt_proto_name(r->protocol, nb));
	if (r->scope != US_RT_SCOPE_UNIVERSE)
		ctl_printf(c, " scope %s", us_rt_scope_name(r->scope));
	if (r->prefsrc)
		ctl_printf(c, " src %s", ctl_fmt_ipv4(r->prefsrc, ip));
	if (r->metric)
		ctl_printf(c, " metric %u", r->metric);
	if (r->mtu)
		ctl_printf(c, " mtu %u", r->mtu);
}

static void route_json(struct ctl_client *c, struct us_json *j, const struct us_route *r)
{
	const struct us_netdev *dev = r->ifindex ? us_netdev_by_index(c->st, r->ifindex) : NULL;
	char dst[CTL_IPV4_STRLEN + 3], ip[CTL_IPV4_STRLEN], nb[8];

	us_json_obj_begin(j);
	us_json_kv_str(j, "type", us_rt_type_name(r->type));
	us_json_kv_str(j, "dst", rt_dst(r, dst));
	if (r->gateway)
		us_json_kv_str(j, "gateway", ctl_fmt_ipv4(r->gateway, ip));
	if (dev)
		us_json_kv_str(j, "dev", dev->name);
	us_json_kv_str(j, "table", rt_table_name(r->table, nb));
	us_json_kv_str(j, "protocol", rt_proto_name(r->protocol, nb));
	us_json_kv_str(j, "scope", us_rt_scope_name(r->scope));
	if (r->prefsrc)
		us_json_kv_str(j, "prefsrc", ctl_fmt_ipv4(r->prefsrc, ip));
	us_json_kv_u64(j, "metric", r->metric);
	if (r->mtu)
		us_json_kv_u64(j, "mtu", r->mtu);
}

static int route_show_cb(const struct us_route *r, void *arg)
{
	struct route_show_ctx *x = arg;

	uint64_t expires_s = (x->cache_expires_ms + 999) / 1000;

	/* The cache line reads as iproute2's `ip route get` prints a PMTU exception. */
	if (x->j) {
		route_json(x->c, x->j, r);
		if (x->cache_mtu) {
			us_json_kv_u64(x->j, "cache_expires", expires_s);
			us_json_kv_u64(x->j, "cache_mtu", x->cache_mtu);
			us_json_kv_bool(x->j, "cache_mtu_lock", x->cache_lock);
		}
		us_json_obj_end(x->j);
	} else {
		route_text(x->c, r, x->show_table);
		if (x->cache_mtu)
			ctl_printf(x->c, "\n    cache expires %llusec mtu %s%u",
				   (unsigned long long)expires_s, x->cache_lock ? "lock " : "",
				   x->cache_mtu);
		ctl_printf(x->c, "\n");
	}
	return 0;
}

/* `route show cache`: the path MTU cache, one line per destination. */
static void route_cache_cb(uint32_t dst, uint32_t mtu, bool locked, uint64_t expires_in_ms,
			   void *arg)
{
	struct route_show_ctx *x = arg;
	struct us_route r = { .dst = dst, .plen = 32, .type = US_RTN_UNICAST,
			      .table = US_RT_TABLE_MAIN };
	struct us_route via;

	if (!fib_lookup(x->c->st, dst, &via)) {
		r.ifindex = via.ifindex;
		r.gateway = via.gateway;
	}
	x->cache_mtu = mtu;
	x->cache_lock = locked;
	x->cache_expires_ms = expires_in_ms;
	route_show_cb(&r, x);
}

static int route_show(struct ctl_client *c, int argc, char **argv)
{
	struct route_show_ctx x = { .c = c };
	int table = US_RT_TABLE_MAIN;
	struct ctl_list l;

	if (argc == 2 && !strcmp(argv[0], "table")) {
		if (!strcmp(argv[1], "main") || !strcmp(argv[1], "254"))
			table = US_RT_TABLE_MAIN;
		else if (!strcmp(argv[1], "local") || !strcmp(argv[1], "255"))
			table = US_RT_TABLE_LOCAL;
		else if (!strcmp(argv[1], "all") || !strcmp(argv[1], "0"))
			table = 0;
		else
			return ctl_usage(c, "route [show] [table main|local|all]");
	} else if (argc == 1 && !strcmp(argv[0], "cache")) {
		x.j = ctl_list_begin(c, &l);
		pmtu_dump(c->st, route_cache_cb, &x);
		ctl_list_end(c, &l);
		return CTL_EXIT_OK;
	} else if (argc != 0) {
		return ctl_usage(c, "route [show] [table main|local|all] | route show cache");
	}
	x.show_table = table != US_RT_TABLE_MAIN;
	x.j = ctl_list_begin(c, &l);
	fib_dump(c->st, table, route_show_cb, &x);
	ctl_list_end(c, &l);
	return CTL_EXIT_OK;
}

/* Finds the expiry of the cache entry route_get shows. */
static void route_get_expiry_cb(uint32_t dst, uint32_t mtu, bool locked, uint64_t expires_in_ms,
				void *arg)
{
	struct route_show_ctx *x = arg;

	(void)mtu;
	(void)locked;
	if (dst == x->get_dst)
		x->cache_expires_ms = expires_in_ms;
}

static int route_get(struct ctl_client *c, int argc, char **argv)
{
	struct route_show_ctx x = { .c = c, .show_table = true };
	struct ctl_list l;
	struct us_route r;
	uint32_t dst;
	int err;

	if (argc != 1 || ctl_parse_ipv4(argv[0], &dst) < 0)
		return ctl_usage(c, "route get A.B.C.D");
	err = fib_lookup(c->st, dst, &r);
	if (err)
		return ctl_fail(c, "route get", err);
	x.j = ctl_list_begin(c, &l);
	x.get_dst = dst;
	if (r.type == US_RTN_UNICAST)
		x.cache_mtu = pmtu_get(c->st, dst, &x.cache_lock);
	if (x.cache_mtu)
		pmtu_dump(c->st, route_get_expiry_cb, &x);
	route_show_cb(&r, &x);
	ctl_list_end(c, &l);
	return CTL_EXIT_OK;
}

static int route_change(struct ctl_client *c, bool add, int argc, char **argv)
{
	struct ctl_route_args ra;
	char err_msg[160];
	int ifindex = 0;
	int err;

	if (ctl_parse_route_args(argc, argv, add, &ra, err_msg, sizeof(err_msg)) < 0) {
		ctl_eprintf(c, "ustack: route %s: %s\n", add ? "add" : "del", err_msg);
		return CTL_EXIT_USAGE;
	}
	if (ra.dev) {
		struct us_netdev *dev = ctl_dev_arg(c, ra.dev);
		if (!dev)
			return CTL_EXIT_FAIL;
		ifindex = dev->ifindex;
	}
	if (add)
		err = us_route_add(c->st, ra.dst, ra.plen, ra.has_gateway ? ra.gateway : 0, ifindex,
				   ra.type, ra.metric);
	else
		err = us_route_del(c->st, ra.dst, ra.plen);
	if (err == -EEXIST)
		return ctl_fail(c, "route add: route already exists", err);
	if (err == -ESRCH || err == -ENOENT) {
		ctl_eprintf(c, "ustack: route del: no such route\n");
		return CTL_EXIT_FAIL;
	}
	if (err == -EINVAL && add && ra.has_gateway) {
		ctl_eprintf(c, "ustack: route add: invalid route (is the gateway on a connected "
			       "subnet?)\n");
		return CTL_EXIT_FAIL;
	}
	if (err)
		return ctl_fail(c, add ? "route add" : "route del", err);
	return ctl_done(c);
}

int ctl_cmd_route(struct ctl_client *c, int argc, char **argv)
{
	if (argc == 1)
		return route_show(c, 0, NULL);
	if (ctl_is_show(argv[1]))
		return route_show(c, argc - 2, argv + 2);
	if (!strcmp(argv[1], "table"))
		return route_show(c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "get"))
		return route_get(c, argc - 2, argv + 2);
	if (!strcmp(argv[1], "add"))
		return route_change(c, true, argc - 2, argv + 2);
	if (!strcmp(argv[1], "del") || !strcmp(argv[1], "delete"))
		return route_change(c, false, argc - 2, argv + 2);
	return ctl_usage(c, "route [show] [table main|local|all] | route get A.B.C.D | "
			    "route add|del [TYPE] PREFIX|default [via GW] [dev DEV] [metric N]");
}

/* ---- neigh ---- */

struct neigh_show_ctx {
	struct ctl_client *c;
	struct us_json *j;
	int ifindex; /* 0: all */
};

static int neigh_show_cb(const struct us_neigh_info *n, void *arg)
{
	struct neigh_show_ctx *x = arg;
	const struct us_netdev *dev = us_netdev_by_index(x->c->st, n->ifindex);
	const char *devname = dev ? dev->name : "?";
	char ip[CTL_IPV4_STRLEN], mac[CTL_MAC_STRLEN];

	if (x->ifindex && n->ifindex != x->ifindex)
		return 0;
	if (x->j) {
		us_json_obj_begin(x->j);
		us_json_kv_str(x->j, "dst", ctl_fmt_ipv4(n->ip, ip));
		us_json_kv_str(x->j, "dev", devname);
		if (n->has_mac)
			us_json_kv_str(x->j, "lladdr", ctl_fmt_mac(n->mac, mac));
		us_json_kv_str(x->j, "state", us_neigh_state_name(n->state));
		us_json_kv_u64(x->j, "probes", n->probes);
		us_json_kv_u64(x->j, "queued", n->queued);
		us_json_obj_end(x->j);
		return 0;
	}
	ctl_printf(x->c, "%s dev %s", ctl_fmt_ipv4(n->ip, ip), devname);
	if (n->has_mac)
		ctl_printf(x->c, " lladdr %s", ctl_fmt_mac(n->mac, mac));
	ctl_printf(x->c, " %s\n", us_neigh_state_name(n->state));
	return 0;
}

static int neigh_show(struct ctl_client *c, int argc, char **argv)
{
	struct neigh_show_ctx x = { .c = c };
	struct ctl_list l;

	if (argc == 2 && !strcmp(argv[0], "dev")) {
		struct us_netdev *dev = ctl_dev_arg(c, argv[1]);
		if (!dev)
			return CTL_EXIT_FAIL;
		x.ifindex = dev->ifindex;
	} else if (argc != 0) {
		return ctl_usage(c, "neigh [show] [dev DEV]");
	}
	x.j = ctl_list_begin(c, &l);
	neigh_dump(c->st, neigh_show_cb, &x);
	ctl_list_end(c, &l);
	return CTL_EXIT_OK;
}

static int neigh_change(struct ctl_client *c, const char *op, int argc, char **argv)
{
	bool add = !strcmp(op, "add");
	const char *usage = add ? "neigh add IP lladdr MAC dev DEV" : "neigh del IP dev DEV";
	const char *ipstr = NULL, *macstr = NULL, *devname = NULL;
	struct us_netdev *dev;
	uint8_t mac[6];
	uint32_t ip;
	int err;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "dev") && i + 1 < argc && !devname)
			devname = argv[++i];
		else if (add && !strcmp(argv[i], "lladdr") && i + 1 < argc && !macstr)
			macstr = argv[++i];
		else if (!ipstr)
			ipstr = argv[i];
		else
			return ctl_usage(c, usage);
	}
	if (!ipstr || !devname || (add && !macstr))
		return ctl_usage(c, usage);
	if (ctl_parse_ipv4(ipstr, &ip) < 0) {
		ctl_eprintf(c, "ustack: invalid address \"%s\"\n", ipstr);
		return CTL_EXIT_USAGE;
	}
	if (add && ctl_parse_mac(macstr, mac) < 0) {
		ctl_eprintf(c, "ustack: invalid MAC address \"%s\" (expected aa:bb:cc:dd:ee:ff)\n",
			    macstr);
		return CTL_EXIT_USAGE;
	}
	dev = ctl_dev_arg(c, devname);
	if (!dev)
		return CTL_EXIT_FAIL;
	err = add ? neigh_add_static(c->st, dev->ifindex, ip, mac) : neigh_del(c->st, dev->ifindex, ip);
	if (err == -ENOENT && !add) {
		ctl_eprintf(c, "ustack: neigh del: no entry for %s on %s\n", ipstr, dev->name);
		return CTL_EXIT_FAIL;
	}
	if (err)
		return ctl_fail(c, add ? "neigh add" : "neigh del", err);
	return ctl_done(c);
}

int ctl_cmd_neigh(struct ctl_client *c, int argc, char **argv)
{
	if (argc == 1)
		return neigh_show(c, 0, NULL);
	if (ctl_is_show(argv[1]))
		return neigh_show(c, argc - 2, argv + 2);
	if (!strcmp(argv[1], "add") || !strcmp(argv[1], "del") || !strcmp(argv[1], "delete"))
		return neigh_change(c, argv[1], argc - 2, argv + 2);
	if (!strcmp(argv[1], "flush")) {
		struct us_netdev *dev;
		if (argc != 4 || strcmp(argv[2], "dev"))
			return ctl_usage(c, "neigh flush dev DEV");
		dev = ctl_dev_arg(c, argv[3]);
		if (!dev)
			return CTL_EXIT_FAIL;
		neigh_flush_dev(c->st, dev->ifindex);
		return ctl_done(c);
	}
	return ctl_usage(c, "neigh [show] [dev DEV] | neigh add IP lladdr MAC dev DEV | "
			    "neigh del IP dev DEV | neigh flush dev DEV");
}
