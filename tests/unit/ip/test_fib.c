/*
 * test_fib.c - the routing tables (src/ip/fib.c): longest-prefix match with
 * overlapping prefixes, the default route, host routes, metrics, the local table's
 * precedence, every route type, validation, deletion, flushing, dump order and the
 * size bound; and a randomised comparison against a linear-scan reference.
 */
#include "ip_env.h"

struct fib_env {
	struct us_stack *st;
	int a, b, c;
};

static int setup(void **state)
{
	struct fib_env *e = calloc(1, sizeof(*e));

	e->st = t_stack(false);
	e->a = t_dev_new(e->st, "ta", 1500);
	e->b = t_dev_new(e->st, "tb", 1500);
	e->c = t_dev_new(e->st, "tc", 1500);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct fib_env *e = *state;

	t_free(e->st);
	free(e);
	return 0;
}

static int add(struct us_stack *st, uint32_t dst, uint8_t plen, uint8_t type, int ifindex,
	       uint32_t gw, uint32_t metric)
{
	struct us_route r = t_route(dst, plen, type, ifindex, gw, metric);

	return fib_add(st, &r);
}

/* The device index the lookup of @dst chooses (0 for none, -type for reject routes). */
static int via(struct us_stack *st, uint32_t dst)
{
	struct us_route r;

	if (fib_lookup(st, dst, &r))
		return 0;
	if (r.type != US_RTN_UNICAST && r.type != US_RTN_LOCAL && r.type != US_RTN_BROADCAST)
		return -(int)r.type;
	return r.ifindex;
}

static void test_names(void **state)
{
	(void)state;
	static const struct { uint8_t type; const char *name; } t[] = {
		{ US_RTN_UNICAST, "unicast" },     { US_RTN_LOCAL, "local" },
		{ US_RTN_BROADCAST, "broadcast" }, { US_RTN_BLACKHOLE, "blackhole" },
		{ US_RTN_UNREACHABLE, "unreachable" }, { US_RTN_PROHIBIT, "prohibit" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		assert_string_equal(us_rt_type_name(t[i].type), t[i].name);
		assert_int_equal(us_rt_type_parse(t[i].name), t[i].type);
	}
	assert_int_equal(us_rt_type_parse("nat"), -1);
	assert_int_equal(us_rt_type_parse(NULL), -1);
	assert_string_equal(us_rt_type_name(0), "unknown");
	assert_string_equal(us_rt_type_name(99), "unknown");
	assert_string_equal(us_rt_scope_name(US_RT_SCOPE_UNIVERSE), "global");
	assert_string_equal(us_rt_scope_name(US_RT_SCOPE_LINK), "link");
	assert_string_equal(us_rt_scope_name(US_RT_SCOPE_HOST), "host");
}

static void test_empty(void **state)
{
	struct fib_env *e = *state;
	struct us_route r;

	assert_int_equal(fib_lookup(e->st, IP4(198, 18, 0, 1), &r), -ENETUNREACH);
	assert_int_equal(fib_count(e->st), 0);
}

/* Overlapping prefixes: /15 inside /0, /16, /24, /32; each address takes the longest. */
static void test_longest_prefix(void **state)
{
	struct fib_env *e = *state;
	struct us_netdev *c = t_dev(e->st, e->c);
	struct us_route r;

	assert_int_equal(add(e->st, IP4(198, 18, 0, 0), 15, US_RTN_UNICAST, e->a, 0, 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 16, US_RTN_UNICAST, e->b, 0, 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 5, 0), 24, US_RTN_UNICAST, e->c, 0, 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 5, 7), 32, US_RTN_UNICAST, e->a, 0, 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 5, 128), 25, US_RTN_UNICAST, e->b, 0, 0), 0);

	assert_int_equal(via(e->st, IP4(198, 18, 200, 1)), e->a);  /* only the /15 */
	assert_int_equal(via(e->st, IP4(198, 19, 4, 1)), e->b);    /* /16 */
	assert_int_equal(via(e->st, IP4(198, 19, 5, 1)), e->c);    /* /24 */
	assert_int_equal(via(e->st, IP4(198, 19, 5, 7)), e->a);    /* /32 host route */
	assert_int_equal(via(e->st, IP4(198, 19, 5, 6)), e->c);    /* next to the host route */
	assert_int_equal(via(e->st, IP4(198, 19, 5, 200)), e->b);  /* /25 inside the /24 */
	assert_int_equal(via(e->st, IP4(198, 20, 0, 1)), 0);       /* nothing: no default yet */

	/* The default route catches the rest; a gateway on c's subnet. */
	assert_int_equal(ifaddr_add(e->st, e->c, IP4(198, 18, 9, 1), 24), 0);
	assert_int_equal(add(e->st, 0, 0, US_RTN_UNICAST, 0, IP4(198, 18, 9, 254), 0), 0);
	assert_int_equal(fib_lookup(e->st, IP4(8, 8, 8, 8), &r), 0);
	assert_int_equal(r.plen, 0);
	assert_int_equal(r.ifindex, e->c); /* found from the gateway's connected subnet */
	assert_int_equal(r.gateway, IP4(198, 18, 9, 254));
	/* ...but the longer routes still win. */
	assert_int_equal(via(e->st, IP4(198, 19, 5, 7)), e->a);
	assert_int_equal(via(e->st, IP4(198, 18, 9, 77)), e->c); /* connected /24 */
	assert_int_equal(r.metric, 0);
	(void)c;
}

/* Equal prefixes: the lowest metric wins; deleting it exposes the next. */
static void test_metric(void **state)
{
	struct fib_env *e = *state;
	struct us_route r, m = { .dst = IP4(198, 19, 0, 0), .plen = 16, .table = US_RT_TABLE_MAIN };

	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 16, US_RTN_UNICAST, e->a, 0, 100), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 16, US_RTN_UNICAST, e->b, 0, 50), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 16, US_RTN_UNICAST, e->c, 0, 200), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 16, US_RTN_UNICAST, e->c, 0, 50), -EEXIST);
	assert_int_equal(fib_lookup(e->st, IP4(198, 19, 1, 1), &r), 0);
	assert_int_equal(r.ifindex, e->b);
	assert_int_equal(r.metric, 50);

	m.metric = 50;
	assert_int_equal(fib_del(e->st, &m), 0);
	assert_int_equal(fib_del(e->st, &m), -ESRCH);
	assert_int_equal(via(e->st, IP4(198, 19, 1, 1)), e->a);
	/* No metric given: the first (lowest) goes. */
	m.metric = 0;
	assert_int_equal(fib_del(e->st, &m), 0);
	assert_int_equal(via(e->st, IP4(198, 19, 1, 1)), e->c);
	assert_int_equal(fib_count(e->st), 1);
	/* A match on the device that is not there finds nothing. */
	m.ifindex = e->a;
	assert_int_equal(fib_del(e->st, &m), -ESRCH);
	m.ifindex = e->c;
	assert_int_equal(fib_del(e->st, &m), 0);
	assert_int_equal(via(e->st, IP4(198, 19, 1, 1)), 0);
	assert_int_equal(fib_count(e->st), 0);
}

/* The local table is searched first: any match there beats a longer one in main. */
static void test_local_table_first(void **state)
{
	struct fib_env *e = *state;
	struct us_route loc = t_route(IP4(198, 19, 0, 0), 16, US_RTN_LOCAL, e->a, 0, 0);
	struct us_route r;

	loc.table = US_RT_TABLE_LOCAL;
	loc.scope = US_RT_SCOPE_HOST;
	assert_int_equal(fib_add(e->st, &loc), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 3, 0), 24, US_RTN_UNICAST, e->b, 0, 0), 0);
	assert_int_equal(fib_lookup(e->st, IP4(198, 19, 3, 3), &r), 0);
	assert_int_equal(r.type, US_RTN_LOCAL);
	assert_int_equal(r.table, US_RT_TABLE_LOCAL);
	assert_int_equal(fib_lookup_table(e->st, US_RT_TABLE_MAIN, IP4(198, 19, 3, 3), &r), 0);
	assert_int_equal(r.ifindex, e->b);
	assert_int_equal(fib_lookup_table(e->st, US_RT_TABLE_LOCAL, IP4(198, 18, 3, 3), &r),
			 -ENETUNREACH);
	assert_int_equal(fib_lookup_table(e->st, 7, IP4(198, 19, 3, 3), &r), -ENETUNREACH);
}

/* Every route type is stored and returned as such. */
static void test_types(void **state)
{
	struct fib_env *e = *state;
	struct us_route r, bc = t_route(IP4(198, 19, 8, 255), 32, US_RTN_BROADCAST, e->a, 0, 0);

	assert_int_equal(add(e->st, IP4(198, 19, 1, 0), 24, US_RTN_BLACKHOLE, 0, 0, 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 2, 0), 24, US_RTN_UNREACHABLE, 0, 0, 0), 0);
	/* A reject route does not keep a device or gateway it was given. */
	assert_int_equal(add(e->st, IP4(198, 19, 3, 0), 24, US_RTN_PROHIBIT, e->a, IP4(1, 2, 3, 4), 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 4, 0), 24, US_RTN_UNICAST, e->b, 0, 0), 0);
	bc.table = US_RT_TABLE_LOCAL;
	assert_int_equal(fib_add(e->st, &bc), 0);

	assert_int_equal(via(e->st, IP4(198, 19, 1, 9)), -US_RTN_BLACKHOLE);
	assert_int_equal(via(e->st, IP4(198, 19, 2, 9)), -US_RTN_UNREACHABLE);
	assert_int_equal(via(e->st, IP4(198, 19, 3, 9)), -US_RTN_PROHIBIT);
	assert_int_equal(fib_lookup(e->st, IP4(198, 19, 3, 9), &r), 0);
	assert_int_equal(r.ifindex, 0);
	assert_int_equal(r.gateway, 0);
	assert_int_equal(via(e->st, IP4(198, 19, 4, 9)), e->b);
	assert_int_equal(fib_lookup(e->st, IP4(198, 19, 8, 255), &r), 0);
	assert_int_equal(r.type, US_RTN_BROADCAST);

	/* A blackhole /32 inside a unicast /24 takes just that address. */
	assert_int_equal(add(e->st, IP4(198, 19, 4, 66), 32, US_RTN_BLACKHOLE, 0, 0, 0), 0);
	assert_int_equal(via(e->st, IP4(198, 19, 4, 66)), -US_RTN_BLACKHOLE);
	assert_int_equal(via(e->st, IP4(198, 19, 4, 67)), e->b);
}

static void test_validation(void **state)
{
	struct fib_env *e = *state;
	struct us_route r;

	/* Host bits set, prefix too long, unknown type or table. */
	assert_int_equal(add(e->st, IP4(198, 19, 0, 1), 24, US_RTN_UNICAST, e->a, 0, 0), -EINVAL);
	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 33, US_RTN_UNICAST, e->a, 0, 0), -EINVAL);
	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 24, 5, e->a, 0, 0), -EINVAL);
	r = t_route(IP4(198, 19, 0, 0), 24, US_RTN_UNICAST, e->a, 0, 0);
	r.table = 100;
	assert_int_equal(fib_add(e->st, &r), -EINVAL);
	/* Unicast needs a device or a gateway; the device must exist. */
	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 24, US_RTN_UNICAST, 0, 0, 0), -EINVAL);
	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 24, US_RTN_UNICAST, 30, 0, 0), -ENODEV);
	/* Local and broadcast routes need their device. */
	assert_int_equal(add(e->st, IP4(198, 19, 0, 1), 32, US_RTN_LOCAL, 0, 0, 0), -EINVAL);
	/* A gateway must be on a connected subnet (of the device, if one is given). */
	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 24, US_RTN_UNICAST, 0, IP4(198, 18, 4, 1), 0),
			 -EINVAL);
	assert_int_equal(ifaddr_add(e->st, e->a, IP4(198, 18, 4, 10), 24), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 24, US_RTN_UNICAST, e->b, IP4(198, 18, 4, 1), 0),
			 -EINVAL);
	/* ...and not one of our own addresses, nor a martian. */
	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 24, US_RTN_UNICAST, 0, IP4(198, 18, 4, 10), 0),
			 -EINVAL);
	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 24, US_RTN_UNICAST, e->a, IP4(224, 0, 0, 1), 0),
			 -EINVAL);
	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 24, US_RTN_UNICAST, 0, IP4(198, 18, 4, 1), 0), 0);
	assert_int_equal(fib_lookup(e->st, IP4(198, 19, 0, 9), &r), 0);
	assert_int_equal(r.ifindex, e->a);
	assert_int_equal(r.gateway, IP4(198, 18, 4, 1));
	/* A gateway reachable through an on-link route (no address of ours there). */
	assert_int_equal(add(e->st, IP4(198, 18, 100, 0), 24, US_RTN_UNICAST, e->b, 0, 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 200, 0), 24, US_RTN_UNICAST, 0, IP4(198, 18, 100, 1), 0),
			 0);
	assert_int_equal(via(e->st, IP4(198, 19, 200, 1)), e->b);
	/* fib_del of a missing route or a bad prefix length. */
	r = t_route(IP4(198, 19, 9, 0), 24, 0, 0, 0, 0);
	assert_int_equal(fib_del(e->st, &r), -ESRCH);
	r.plen = 40;
	assert_int_equal(fib_del(e->st, &r), -ESRCH);
}

/* net.ipv4.route.max_size bounds the table. */
static void test_max_size(void **state)
{
	struct fib_env *e = *state;

	assert_int_equal(us_stack_set(e->st, "net.ipv4.route.max_size", "16"), 0);
	for (uint32_t i = 0; i < 16; i++)
		assert_int_equal(add(e->st, IP4(198, 19, i, 0), 24, US_RTN_UNICAST, e->a, 0, 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 16, 0), 24, US_RTN_UNICAST, e->a, 0, 0), -ENOSPC);
	assert_int_equal(fib_count(e->st), 16);
}

static bool match_metric7(const struct us_route *r, void *arg)
{
	(void)arg;
	return r->metric == 7;
}

static void test_flush(void **state)
{
	struct fib_env *e = *state;

	assert_int_equal(add(e->st, IP4(198, 19, 1, 0), 24, US_RTN_UNICAST, e->a, 0, 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 1, 0), 24, US_RTN_UNICAST, e->b, 0, 7), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 1, 128), 25, US_RTN_UNICAST, e->a, 0, 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 2, 0), 24, US_RTN_UNICAST, e->b, 0, 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 3, 0), 24, US_RTN_UNREACHABLE, 0, 0, 0), 0);
	fib_flush_dev(e->st, e->a);
	assert_int_equal(fib_count(e->st), 3);
	assert_int_equal(via(e->st, IP4(198, 19, 1, 200)), e->b);
	assert_int_equal(via(e->st, IP4(198, 19, 2, 1)), e->b);
	assert_int_equal(via(e->st, IP4(198, 19, 3, 1)), -US_RTN_UNREACHABLE);
	assert_int_equal(fib_flush_match(e->st, match_metric7, NULL), 1);
	assert_int_equal(via(e->st, IP4(198, 19, 1, 200)), 0);
	fib_flush_dev(e->st, e->b);
	assert_int_equal(fib_count(e->st), 1);
}

/* A socket bound to a device only sees routes through it (and reject routes). */
static void test_lookup_dev(void **state)
{
	struct fib_env *e = *state;
	struct us_route r;

	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 16, US_RTN_UNICAST, e->a, 0, 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 1, 0), 24, US_RTN_UNICAST, e->b, 0, 0), 0);
	assert_int_equal(fib_lookup_dev(e->st, IP4(198, 19, 1, 1), e->a, &r), 0);
	assert_int_equal(r.plen, 16);
	assert_int_equal(fib_lookup_dev(e->st, IP4(198, 19, 1, 1), e->b, &r), 0);
	assert_int_equal(r.plen, 24);
	assert_int_equal(fib_lookup_dev(e->st, IP4(198, 19, 1, 1), e->c, &r), -ENETUNREACH);
	assert_int_equal(add(e->st, IP4(198, 19, 1, 0), 24, US_RTN_PROHIBIT, 0, 0, 5), 0);
	assert_int_equal(fib_lookup_dev(e->st, IP4(198, 19, 1, 1), e->c, &r), 0);
	assert_int_equal(r.type, US_RTN_PROHIBIT);
}

struct dump_rec {
	unsigned n, stop_at;
	struct us_route r[32];
};

static int dump_cb(const struct us_route *r, void *arg)
{
	struct dump_rec *d = arg;

	if (d->n < ARRAY_SIZE(d->r))
		d->r[d->n] = *r;
	d->n++;
	return d->stop_at && d->n == d->stop_at ? 99 : 0;
}

/* Prefix order: by address, a prefix before the longer ones inside it, then metric;
 * MAIN before LOCAL when both are asked for. */
static void test_dump_order(void **state)
{
	struct fib_env *e = *state;
	struct us_route loc = t_route(IP4(198, 18, 7, 7), 32, US_RTN_LOCAL, e->a, 0, 0);
	struct dump_rec d = { 0 };
	static const struct { uint32_t dst; uint8_t plen; uint32_t metric; } want[] = {
		{ 0, 0, 0 },
		{ IP4(198, 19, 0, 0), 16, 0 },
		{ IP4(198, 19, 0, 0), 24, 0 },
		{ IP4(198, 19, 0, 128), 25, 0 },
		{ IP4(198, 19, 1, 0), 24, 3 },
		{ IP4(198, 19, 1, 0), 24, 9 },
		{ IP4(198, 19, 200, 0), 24, 0 },
		{ IP4(198, 19, 255, 255), 32, 0 },
	};

	/* Added out of order on purpose. */
	assert_int_equal(add(e->st, IP4(198, 19, 255, 255), 32, US_RTN_UNICAST, e->a, 0, 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 1, 0), 24, US_RTN_UNICAST, e->a, 0, 9), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 0, 128), 25, US_RTN_UNICAST, e->a, 0, 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 16, US_RTN_UNICAST, e->a, 0, 0), 0);
	assert_int_equal(add(e->st, 0, 0, US_RTN_UNREACHABLE, 0, 0, 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 200, 0), 24, US_RTN_UNICAST, e->a, 0, 0), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 1, 0), 24, US_RTN_UNICAST, e->b, 0, 3), 0);
	assert_int_equal(add(e->st, IP4(198, 19, 0, 0), 24, US_RTN_UNICAST, e->a, 0, 0), 0);
	loc.table = US_RT_TABLE_LOCAL;
	assert_int_equal(fib_add(e->st, &loc), 0);

	assert_int_equal(fib_dump(e->st, US_RT_TABLE_MAIN, dump_cb, &d), 0);
	assert_int_equal(d.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(d.r[i].dst, want[i].dst);
		assert_int_equal(d.r[i].plen, want[i].plen);
		assert_int_equal(d.r[i].metric, want[i].metric);
	}
	memset(&d, 0, sizeof(d));
	assert_int_equal(fib_dump(e->st, 0, dump_cb, &d), 0);
	assert_int_equal(d.n, ARRAY_SIZE(want) + 1);
	assert_int_equal(d.r[ARRAY_SIZE(want)].table, US_RT_TABLE_LOCAL);
	memset(&d, 0, sizeof(d));
	assert_int_equal(fib_dump(e->st, US_RT_TABLE_LOCAL, dump_cb, &d), 0);
	assert_int_equal(d.n, 1);
	/* The callback can stop the walk. */
	memset(&d, 0, sizeof(d));
	d.stop_at = 3;
	assert_int_equal(fib_dump(e->st, 0, dump_cb, &d), 99);
	assert_int_equal(d.n, 3);
}

/* ---- randomised: the trie against a plain list, through adds and deletes ---- */

struct ref_route {
	uint32_t dst;
	uint8_t plen;
	uint32_t metric;
	int ifindex;
	bool live;
};

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static uint32_t mask_of(unsigned plen) { return plen ? ~(uint32_t)0 << (32 - plen) : 0; }

/* The reference: the longest live prefix containing @dst, lowest metric. */
static const struct ref_route *ref_lookup(const struct ref_route *rr, size_t n, uint32_t dst)
{
	const struct ref_route *best = NULL;

	for (size_t i = 0; i < n; i++) {
		if (!rr[i].live || ((dst ^ rr[i].dst) & mask_of(rr[i].plen)))
			continue;
		if (!best || rr[i].plen > best->plen ||
		    (rr[i].plen == best->plen && rr[i].metric < best->metric))
			best = &rr[i];
	}
	return best;
}

static void test_random_against_reference(void **state)
{
	struct fib_env *e = *state;
	enum { N = 1500 };
	struct ref_route *rr = calloc(N, sizeof(*rr));
	int devs[3] = { e->a, e->b, e->c };
	size_t n = 0;

	/* Prefixes clustered in 198.18.0.0/15 so that they overlap a lot. */
	while (n < N) {
		uint8_t plen = (uint8_t)(rnd() % 33);
		uint32_t dst = (IP4(198, 18, 0, 0) | (rnd() & 0x1ffff & (rnd() | 0xff00ff))) & mask_of(plen);
		uint32_t metric = rnd() % 4;
		struct us_route r = t_route(dst, plen, US_RTN_UNICAST, devs[rnd() % 3], 0, metric);
		int err = fib_add(e->st, &r);
		bool dup = false;

		for (size_t i = 0; i < n; i++)
			if (rr[i].dst == dst && rr[i].plen == plen && rr[i].metric == metric)
				dup = true;
		assert_int_equal(err, dup ? -EEXIST : 0);
		if (dup)
			continue;
		rr[n++] = (struct ref_route){ dst, plen, metric, r.ifindex, true };
	}
	for (int round = 0; round < 2; round++) {
		for (int k = 0; k < 20000; k++) {
			uint32_t dst = rnd() % 4 ? (IP4(198, 18, 0, 0) | (rnd() & 0x1ffff)) : rnd();
			const struct ref_route *want = ref_lookup(rr, n, dst);
			struct us_route got;
			int err = fib_lookup(e->st, dst, &got);

			if (!want) {
				assert_int_equal(err, -ENETUNREACH);
				continue;
			}
			assert_int_equal(err, 0);
			assert_int_equal(got.dst, want->dst);
			assert_int_equal(got.plen, want->plen);
			assert_int_equal(got.metric, want->metric);
			assert_int_equal(got.ifindex, want->ifindex);
		}
		/* Delete two thirds, then compare again. */
		for (size_t i = 0; i < n; i++) {
			struct us_route m = { .dst = rr[i].dst, .plen = rr[i].plen,
					      .table = US_RT_TABLE_MAIN, .metric = rr[i].metric,
					      .ifindex = rr[i].ifindex };

			if (!rr[i].live || rnd() % 3 == 0)
				continue;
			/* metric 0 in a match means "any": delete those by exact device. */
			assert_int_equal(fib_del(e->st, &m), 0);
			rr[i].live = false;
		}
	}
	{
		unsigned live = 0;

		for (size_t i = 0; i < n; i++)
			live += rr[i].live;
		assert_int_equal(fib_count(e->st), live);
	}
	free(rr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_longest_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metric, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_table_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_dev, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_against_reference, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
