/*
 * fib.c - the IPv4 forwarding information base: the LOCAL and MAIN routing
 * tables and longest-prefix match over them (Linux's net/ipv4/fib_trie.c and
 * fib_semantics.c, much simplified).
 *
 * Entry: fib_add/fib_del/fib_flush_* (control path: ifaddr.c, ip_api.c, the CLI),
 * fib_lookup, fib_lookup_dev (data path: ip_input.c, ip_output.c), fib_dump (listing).
 * Never touches packets; allocates only on the control path.
 *
 * Read first: RFC 1812 5.2.4.3 (next hop selection: longest match, then metric),
 * RFC 1122 3.3.1 (routing outbound datagrams).
 *
 * Mechanism
 * ---------
 * Each table is a path-compressed binary trie (a PATRICIA tree). A node holds a
 * prefix (key, plen), up to two children that extend it by at least one bit (the
 * child is chosen by bit `plen` of the key), and the list of routes for exactly that
 * prefix, sorted by metric. A node with no routes exists only as a branch point with
 * two children ("glue"), so a table of N prefixes has fewer than 2N nodes.
 *
 * Lookup walks down from the root while the node's prefix matches the address,
 * remembering the deepest node that has a usable route: at most 33 nodes, whatever
 * the table's size (no linear scan). That node's first route is the longest match
 * with the lowest metric. The LOCAL table is searched first; any match there wins
 * over MAIN, as with Linux's default rules ("from all lookup local", then "main").
 *
 * A pre-order walk of the trie lists the prefixes sorted by address, each prefix
 * before the longer ones it contains, which is the order fib_dump promises.
 *
 * The table size is bounded by net.ipv4.route.max_size (all tables together).
 */
#include "ip/fib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ip/ifaddr.h"
#include "wire/ipv4.h"

enum { FIB_LOCAL = 0, FIB_MAIN = 1, FIB_NTABLES = 2 };

struct fib_alias {
	struct fib_alias *next;
	struct us_route r;
};

struct fib_node {
	uint32_t key;     /* prefix, host bits zero */
	uint8_t plen;
	struct fib_node *child[2];
	struct fib_alias *routes; /* sorted by metric; NULL for glue nodes */
};

struct us_fib {
	struct fib_node *root[FIB_NTABLES];
	unsigned count;
	struct us_ip_ident idents[US_IP_IDENTS];
};

/* ---- names ---- */

static const char *const type_names[] = {
	[US_RTN_UNICAST] = "unicast",
	[US_RTN_LOCAL] = "local",
	[US_RTN_BROADCAST] = "broadcast",
	[US_RTN_BLACKHOLE] = "blackhole",
	[US_RTN_UNREACHABLE] = "unreachable",
	[US_RTN_PROHIBIT] = "prohibit",
};

const char *us_rt_type_name(uint8_t type)
{
	if (type < ARRAY_SIZE(type_names) && type_names[type])
		return type_names[type];
	return "unknown";
}

int us_rt_type_parse(const char *s)
{
	if (!s)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(type_names); i++)
		if (type_names[i] && !strcmp(type_names[i], s))
			return (int)i;
	return -1;
}

const char *us_rt_scope_name(uint8_t scope)
{
	switch (scope) {
	case US_RT_SCOPE_UNIVERSE:
		return "global";
	case US_RT_SCOPE_LINK:
		return "link";
	case US_RT_SCOPE_HOST:
		return "host";
	default:
		return "unknown";
	}
}

static bool rt_type_valid(uint8_t type)
{
	return type < ARRAY_SIZE(type_names) && type_names[type];
}

/* Route types that send nothing anywhere: they need no device. */
static bool rt_type_is_reject(uint8_t type)
{
	return type == US_RTN_BLACKHOLE || type == US_RTN_UNREACHABLE || type == US_RTN_PROHIBIT;
}

/* ---- the trie ---- */

static inline uint32_t prefix_mask(unsigned plen)
{
	return plen ? ~(uint32_t)0 << (32 - plen) : 0;
}

/* Bit @pos (0 = most significant) of @key; @pos < 32. */
static inline unsigned key_bit(uint32_t key, unsigned pos)
{
	return (key >> (31 - pos)) & 1;
}

/* Length of the common prefix of @a and @b, at most @max. */
static inline unsigned common_len(uint32_t a, uint32_t b, unsigned max)
{
	uint32_t x = a ^ b;
	unsigned n = x ? (unsigned)__builtin_clz(x) : 32;

	return n < max ? n : max;
}

static int table_slot(int table)
{
	if (table == US_RT_TABLE_LOCAL)
		return FIB_LOCAL;
	if (table == US_RT_TABLE_MAIN)
		return FIB_MAIN;
	return -1;
}

static struct fib_node *node_new(uint32_t key, uint8_t plen)
{
	struct fib_node *n = calloc(1, sizeof(*n));

	if (n) {
		n->key = key;
		n->plen = plen;
	}
	return n;
}

/* The node for exactly key/plen, or NULL. */
static struct fib_node *trie_find(struct fib_node *n, uint32_t key, uint8_t plen)
{
	while (n && n->plen <= plen) {
		if ((key ^ n->key) & prefix_mask(n->plen))
			return NULL;
		if (n->plen == plen)
			return n;
		n = n->child[key_bit(key, n->plen)];
	}
	return NULL;
}

/* The node for exactly key/plen, created (with glue if needed) if missing. NULL: ENOMEM. */
static struct fib_node *trie_get(struct fib_node **root, uint32_t key, uint8_t plen)
{
	struct fib_node **pp = root, *n, *nn, *glue;

	while ((n = *pp)) {
		unsigned c = common_len(key, n->key, plen < n->plen ? plen : n->plen);

		if (c < n->plen) {
			/* n does not lie on our path: key/plen branches off above n. */
			nn = node_new(key, plen);
			if (!nn)
				return NULL;
			if (c == plen) {
				/* key/plen is a prefix of n: it becomes n's parent. */
				nn->child[key_bit(n->key, plen)] = n;
				*pp = nn;
				return nn;
			}
			/* They differ at bit c: a glue node at the common prefix holds both. */
			glue = node_new(key & prefix_mask(c), (uint8_t)c);
			if (!glue) {
				free(nn);
				return NULL;
			}
			glue->child[key_bit(n->key, c)] = n;
			glue->child[key_bit(key, c)] = nn;
			*pp = glue;
			return nn;
		}
		if (n->plen == plen)
			return n;
		pp = &n->child[key_bit(key, n->plen)];
	}
	*pp = node_new(key, plen);
	return *pp;
}

/* Removes the node at *pp if it holds no routes and is not a branch point. */
static void node_compact(struct fib_node **pp)
{
	struct fib_node *n = *pp;

	if (!n || n->routes || (n->child[0] && n->child[1]))
		return;
	*pp = n->child[0] ? n->child[0] : n->child[1];
	free(n);
}

/* The first route of @a usable through @oif (0: any). */
static const struct fib_alias *alias_usable(const struct fib_alias *a, int oif)
{
	for (; a; a = a->next)
		if (!oif || a->r.ifindex == oif || rt_type_is_reject(a->r.type))
			return a;
	return NULL;
}

static const struct fib_alias *trie_lookup(const struct fib_node *n, uint32_t dst, int oif)
{
	const struct fib_alias *best = NULL, *a;

	while (n) {
		if ((dst ^ n->key) & prefix_mask(n->plen))
			break;
		a = alias_usable(n->routes, oif);
		if (a)
			best = a; /* deeper is longer: keep the last one found */
		if (n->plen == 32)
			break;
		n = n->child[key_bit(dst, n->plen)];
	}
	return best;
}

static unsigned trie_prune(struct fib_node **pp,
			   bool (*match)(const struct us_route *r, void *arg), void *arg)
{
	struct fib_node *n = *pp;
	struct fib_alias **ap, *a;
	unsigned removed = 0;

	if (!n)
		return 0;
	removed += trie_prune(&n->child[0], match, arg);
	removed += trie_prune(&n->child[1], match, arg);
	for (ap = &n->routes; (a = *ap);) {
		if (match(&a->r, arg)) {
			*ap = a->next;
			free(a);
			removed++;
		} else {
			ap = &a->next;
		}
	}
	node_compact(pp);
	return removed;
}

static int trie_walk(const struct fib_node *n, int (*cb)(const struct us_route *r, void *arg),
		     void *arg)
{
	const struct fib_alias *a;
	int rc;

	if (!n)
		return 0;
	for (a = n->routes; a; a = a->next) {
		rc = cb(&a->r, arg);
		if (rc)
			return rc;
	}
	rc = trie_walk(n->child[0], cb, arg);
	if (rc)
		return rc;
	return trie_walk(n->child[1], cb, arg);
}

static void trie_free(struct fib_node *n)
{
	struct fib_alias *a, *next;

	if (!n)
		return;
	trie_free(n->child[0]);
	trie_free(n->child[1]);
	for (a = n->routes; a; a = next) {
		next = a->next;
		free(a);
	}
	free(n);
}

/* ---- module ---- */

int fib_init(struct us_stack *st)
{
	struct us_fib *fib = calloc(1, sizeof(*fib));

	if (!fib)
		return -ENOMEM;
	/* Linux seeds ip_idents randomly so ids do not start at a guessable value. */
	for (unsigned i = 0; i < US_IP_IDENTS; i++)
		fib->idents[i].id = us_stack_rand(st);
	st->fib = fib;
	return 0;
}

void fib_fini(struct us_stack *st)
{
	struct us_fib *fib = st->fib;

	if (!fib)
		return;
	for (int t = 0; t < FIB_NTABLES; t++)
		trie_free(fib->root[t]);
	free(fib);
	st->fib = NULL;
}

struct us_ip_ident *fib_ip_ident(struct us_stack *st, uint32_t bucket)
{
	return &st->fib->idents[bucket % US_IP_IDENTS];
}

unsigned fib_count(struct us_stack *st) { return st->fib->count; }

/* ---- lookups ---- */

static int lookup(struct us_stack *st, uint32_t dst, int oif, struct us_route *out)
{
	const struct fib_alias *a = trie_lookup(st->fib->root[FIB_LOCAL], dst, oif);

	if (!a)
		a = trie_lookup(st->fib->root[FIB_MAIN], dst, oif);
	if (!a)
		return -ENETUNREACH;
	*out = a->r;
	return 0;
}

int fib_lookup(struct us_stack *st, uint32_t dst, struct us_route *out)
{
	return lookup(st, dst, 0, out);
}

int fib_lookup_dev(struct us_stack *st, uint32_t dst, int ifindex, struct us_route *out)
{
	return lookup(st, dst, ifindex, out);
}

int fib_lookup_table(struct us_stack *st, int table, uint32_t dst, struct us_route *out)
{
	int slot = table_slot(table);
	const struct fib_alias *a;

	if (slot < 0)
		return -ENETUNREACH;
	a = trie_lookup(st->fib->root[slot], dst, 0);
	if (!a)
		return -ENETUNREACH;
	*out = a->r;
	return 0;
}

/* ---- changes ---- */

/*
 * The device through which gateway @gw is directly reachable: one with an address
 * in @gw's subnet, or else one with a MAIN-table route to @gw that is itself on-link
 * (Linux fib_check_nh: the gateway must be reachable by a link-scope route).
 * @ifindex non-zero: only that device is acceptable. 0 if none.
 */
static int gateway_dev(struct us_stack *st, uint32_t gw, int ifindex)
{
	const struct fib_alias *a;

	for (int i = 1; i <= US_MAX_DEVS; i++) {
		struct us_netdev *dev = st->devs[i];

		if (dev && (!ifindex || i == ifindex) && ifaddr_on_link(dev, gw))
			return i;
	}
	a = trie_lookup(st->fib->root[FIB_MAIN], gw, ifindex);
	if (a && a->r.type == US_RTN_UNICAST && !a->r.gateway && a->r.ifindex)
		return a->r.ifindex;
	return 0;
}

/* Addresses that can never be a next hop (RFC 1122 3.2.1.3, RFC 1812 5.3.7). */
static bool gateway_martian(uint32_t gw)
{
	return ipv4_is_zeronet(gw) || ipv4_is_loopback(gw) || ipv4_is_multicast(gw) ||
	       ipv4_is_lbcast(gw) || ipv4_is_class_e(gw);
}

/* Validates @r and fills in what it leaves to us (the device of a gateway). */
static int route_check(struct us_stack *st, struct us_route *r)
{
	if (r->plen > 32 || (r->dst & ~prefix_mask(r->plen)))
		return -EINVAL;
	if (!r->table)
		r->table = US_RT_TABLE_MAIN;
	if (table_slot(r->table) < 0 || !rt_type_valid(r->type))
		return -EINVAL;
	if (rt_type_is_reject(r->type)) {
		/* Nothing leaves through these: no device, no next hop. */
		r->ifindex = 0;
		r->gateway = 0;
		return 0;
	}
	if (r->ifindex && !us_netdev_by_index(st, r->ifindex))
		return -ENODEV;
	if (r->type != US_RTN_UNICAST) {
		/* local and broadcast routes name the device that owns the address */
		if (!r->ifindex)
			return -EINVAL;
		r->gateway = 0;
		return 0;
	}
	if (!r->gateway)
		return r->ifindex ? 0 : -EINVAL;
	/* RFC 1812 5.2.4.3 / Linux fib_check_nh: a gateway must be a neighbour, on a
	 * connected subnet, and not one of our own addresses. */
	if (ifaddr_is_local(st, r->gateway) || gateway_martian(r->gateway))
		return -EINVAL;
	r->ifindex = gateway_dev(st, r->gateway, r->ifindex);
	return r->ifindex ? 0 : -EINVAL;
}

int fib_add(struct us_stack *st, const struct us_route *rin)
{
	struct us_fib *fib = st->fib;
	struct us_route r = *rin;
	struct fib_alias *a, **ap;
	struct fib_node *n;
	int err, slot;

	err = route_check(st, &r);
	if (err)
		return err;
	slot = table_slot(r.table);
	n = trie_find(fib->root[slot], r.dst, r.plen);
	for (a = n ? n->routes : NULL; a; a = a->next)
		if (a->r.metric == r.metric)
			return -EEXIST;
	if (fib->count >= (uint64_t)st->cfg.route_max_entries)
		return -ENOSPC;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->r = r;
	n = trie_get(&fib->root[slot], r.dst, r.plen);
	if (!n) {
		free(a);
		return -ENOMEM;
	}
	/* Sorted by metric; equal metrics cannot exist (checked above). */
	for (ap = &n->routes; *ap && (*ap)->r.metric < r.metric; ap = &(*ap)->next)
		;
	a->next = *ap;
	*ap = a;
	fib->count++;
	return 0;
}

static bool alias_matches(const struct us_route *r, const struct us_route *m)
{
	return (!m->metric || r->metric == m->metric) && (!m->ifindex || r->ifindex == m->ifindex) &&
	       (!m->type || r->type == m->type);
}

int fib_del(struct us_stack *st, const struct us_route *m)
{
	struct us_fib *fib = st->fib;
	struct fib_node **path[34], **pp, *n;
	struct fib_alias **ap, *a;
	int slot = table_slot(m->table ? m->table : US_RT_TABLE_MAIN);
	int depth = 0;

	if (slot < 0 || m->plen > 32)
		return -ESRCH;
	/* Find the node, remembering the links that lead to it for compaction. */
	pp = &fib->root[slot];
	while ((n = *pp) && n->plen <= m->plen) {
		if ((m->dst ^ n->key) & prefix_mask(n->plen))
			return -ESRCH;
		path[depth++] = pp;
		if (n->plen == m->plen)
			break;
		pp = &n->child[key_bit(m->dst, n->plen)];
	}
	if (!n || n->plen != m->plen || n->key != m->dst)
		return -ESRCH;
	for (ap = &n->routes; (a = *ap); ap = &a->next)
		if (alias_matches(&a->r, m))
			break;
	if (!a)
		return -ESRCH;
	*ap = a->next;
	free(a);
	fib->count--;
	/* Deepest first: a node that became empty goes, then a glue parent left with
	 * one child. */
	while (depth-- > 0)
		node_compact(path[depth]);
	return 0;
}

unsigned fib_flush_match(struct us_stack *st, bool (*match)(const struct us_route *r, void *arg),
			 void *arg)
{
	unsigned removed = 0;

	for (int t = 0; t < FIB_NTABLES; t++)
		removed += trie_prune(&st->fib->root[t], match, arg);
	st->fib->count -= removed;
	return removed;
}

static bool match_dev(const struct us_route *r, void *arg)
{
	return r->ifindex == *(const int *)arg;
}

void fib_flush_dev(struct us_stack *st, int ifindex)
{
	if (ifindex > 0)
		fib_flush_match(st, match_dev, &ifindex);
}

int fib_dump(struct us_stack *st, int table, int (*cb)(const struct us_route *r, void *arg),
	     void *arg)
{
	int rc;

	if (table && table_slot(table) < 0)
		return 0;
	if (!table || table == US_RT_TABLE_MAIN) {
		rc = trie_walk(st->fib->root[FIB_MAIN], cb, arg);
		if (rc)
			return rc;
	}
	if (!table || table == US_RT_TABLE_LOCAL)
		return trie_walk(st->fib->root[FIB_LOCAL], cb, arg);
	return 0;
}
