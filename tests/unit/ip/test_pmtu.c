/*
 * test_pmtu.c - the path MTU cache (src/ip/ip_pmtu.c, RFC 1191) and how output uses it:
 * estimates only go down, RFC 1191 plateaus when a router gives no usable MTU, reports
 * below net.ipv4.route.min_pmtu recorded as min_pmtu and locked (no DF), expiry after
 * net.ipv4.route.mtu_expires on the virtual clock, a bounded table, and ip_output
 * fragmenting at (or refusing DF datagrams above) the learned MTU.
 */
#include "ip_env.h"

#include "ip/pmtu.h"

#define PROTO_UDP 17
#define FAR IP4(198, 19, 0, 9)

struct env {
	struct us_stack *st;
	int a;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->st = t_stack(false);
	e->a = t_dev_new(e->st, "ta", 1500);
	assert_int_equal(ifaddr_add(e->st, e->a, A_US, 24), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	t_free(e->st);
	free(e);
	return 0;
}

static void only_goes_down(void **state)
{
	struct env *e = *state;
	bool locked = true;

	assert_int_equal(pmtu_get(e->st, FAR, &locked), 0);
	assert_false(locked);
	assert_int_equal(pmtu_learn(e->st, FAR, 1500, 1280), 1280);
	assert_int_equal(pmtu_get(e->st, FAR, &locked), 1280);
	assert_false(locked);
	/* RFC 1191 6.3: a larger report does not raise it ... */
	assert_int_equal(pmtu_learn(e->st, FAR, 1500, 1400), 1280);
	assert_int_equal(pmtu_get(e->st, FAR, NULL), 1280);
	/* ... a smaller one lowers it. */
	assert_int_equal(pmtu_learn(e->st, FAR, 1280, 1006), 1006);
	assert_int_equal(pmtu_get(e->st, FAR, NULL), 1006);
	/* Other destinations are not affected. */
	assert_int_equal(pmtu_get(e->st, FAR + 1, NULL), 0);
	/* A datagram of 68 bytes or less can never have been too big: nothing learned. */
	assert_int_equal(pmtu_learn(e->st, FAR + 2, 68, 60), 0);
	assert_int_equal(pmtu_get(e->st, FAR + 2, NULL), 0);
}

static void plateaus_and_min_pmtu(void **state)
{
	struct env *e = *state;
	bool locked;

	/* An old router (RFC 1191 section 5) sends MTU 0: the next plateau below 1500. */
	assert_int_equal(pmtu_learn(e->st, FAR, 1500, 0), 1492);
	/* A report not below the refused datagram is nonsense: plateau too. */
	assert_int_equal(pmtu_learn(e->st, FAR + 1, 4000, 4000), 2002);
	/* Below min_pmtu (552): recorded as 552 and locked, so DF is dropped. */
	assert_int_equal(pmtu_learn(e->st, FAR + 2, 1500, 300), 552);
	assert_int_equal(pmtu_get(e->st, FAR + 2, &locked), 552);
	assert_true(locked);
	/* A plateau guess below min_pmtu is clamped the same way. */
	assert_int_equal(pmtu_learn(e->st, FAR + 3, 1000, 0), 552);
	assert_int_equal(pmtu_get(e->st, FAR + 3, &locked), 552);
	assert_true(locked);
	/* The bound is a setting. */
	assert_int_equal(us_stack_set(e->st, "net.ipv4.route.min_pmtu", "68"), 0);
	assert_int_equal(pmtu_learn(e->st, FAR + 4, 1500, 300), 300);
	assert_int_equal(pmtu_get(e->st, FAR + 4, &locked), 300);
	assert_false(locked);
}

static void count_cb(uint32_t dst, uint32_t mtu, bool locked, uint64_t expires_in_ms, void *arg)
{
	unsigned *n = arg;

	(void)dst;
	(void)mtu;
	(void)locked;
	(void)expires_in_ms;
	(*n)++;
}

struct seen {
	uint32_t dst, mtu;
	uint64_t left_ms;
};

static void find_cb(uint32_t dst, uint32_t mtu, bool locked, uint64_t expires_in_ms, void *arg)
{
	struct seen *s = arg;

	(void)locked;
	if (dst == s->dst) {
		s->mtu = mtu;
		s->left_ms = expires_in_ms;
	}
}

static void expires(void **state)
{
	struct env *e = *state;
	struct seen s = { .dst = FAR };

	assert_int_equal(us_stack_set(e->st, "net.ipv4.route.mtu_expires", "10"), 0);
	assert_int_equal(pmtu_learn(e->st, FAR, 1500, 1280), 1280);
	pmtu_dump(e->st, find_cb, &s);
	assert_int_equal(s.mtu, 1280);
	assert_int_equal(s.left_ms, 10000);
	us_stack_clock_set(e->st, e->st->now_ns + 9999 * 1000000ull);
	us_stack_poll(e->st);
	assert_int_equal(pmtu_get(e->st, FAR, NULL), 1280);
	/* The same news again renews it. */
	assert_int_equal(pmtu_learn(e->st, FAR, 1500, 1280), 1280);
	us_stack_clock_set(e->st, e->st->now_ns + 9999 * 1000000ull);
	us_stack_poll(e->st);
	assert_int_equal(pmtu_get(e->st, FAR, NULL), 1280);
	us_stack_clock_set(e->st, e->st->now_ns + 1 * 1000000ull);
	us_stack_poll(e->st);
	assert_int_equal(pmtu_get(e->st, FAR, NULL), 0);
	/* Forgotten: a larger path is believed again. */
	assert_int_equal(pmtu_learn(e->st, FAR, 1500, 1400), 1400);
	pmtu_flush(e->st);
	assert_int_equal(pmtu_get(e->st, FAR, NULL), 0);
}

static void bounded(void **state)
{
	struct env *e = *state;
	unsigned n = 0;

	/* Far more destinations than slots (a flood of forged messages): the table keeps
	 * at most PMTU_SLOTS, and the newest fact is always there. */
	for (uint32_t i = 0; i < 5 * PMTU_SLOTS; i++) {
		assert_int_equal(pmtu_learn(e->st, IP4(198, 19, 0, 0) + i, 1500, 1400), 1400);
		assert_int_equal(pmtu_get(e->st, IP4(198, 19, 0, 0) + i, NULL), 1400);
		if (i % 64 == 0) {
			us_stack_clock_set(e->st, e->st->now_ns + 1000000ull);
			us_stack_poll(e->st);
		}
	}
	pmtu_dump(e->st, count_cb, &n);
	assert_true(n <= PMTU_SLOTS);
	assert_true(n >= PMTU_SLOTS / 2); /* and it is used, not thrown away */
}

static struct us_pkt *payload(struct us_stack *st, size_t len)
{
	struct us_pkt *p = us_pkt_alloc(&st->pool, len);

	assert_non_null(p);
	memset(us_pkt_put(p, len), 0x5a, len);
	return p;
}

static void output_follows_the_path(void **state)
{
	struct env *e = *state;
	struct us_ip_tx tx = { .dst = FAR, .proto = PROTO_UDP, .df = -1 };
	struct us_route r = t_route(IP4(198, 19, 0, 0), 16, US_RTN_UNICAST, e->a, A_PEER, 0);
	struct us_pkt *p;

	assert_int_equal(fib_add(e->st, &r), 0);
	/* Before: 1400 bytes fit the 1500 route and go whole, with DF. */
	assert_int_equal(ip_output(e->st, &tx, payload(e->st, 1400)), 0);
	p = t_pop_tx(e->st, e->a);
	assert_int_equal(us_pkt_len(p), 1420);
	assert_int_equal(rd16(p->data + IPV4_OFF_FRAG), IPV4_FLAG_DF);
	us_pkt_free(p);

	assert_int_equal(pmtu_learn(e->st, FAR, 1420, 1280), 1280);
	/* Default DF: fragmented here at the learned MTU. */
	assert_int_equal(ip_output(e->st, &tx, payload(e->st, 1400)), 0);
	assert_int_equal(t_txlen(e->st, e->a), 2);
	p = t_pop_tx(e->st, e->a);
	assert_int_equal(us_pkt_len(p), 20 + 1256);
	assert_int_equal(rd16(p->data + IPV4_OFF_FRAG), IPV4_FLAG_MF);
	us_pkt_free(p);
	us_pkt_free(t_pop_tx(e->st, e->a));
	/* DF asked for: the sender hears EMSGSIZE. */
	tx.df = 1;
	assert_int_equal(ip_output(e->st, &tx, payload(e->st, 1400)), -EMSGSIZE);
	assert_int_equal(DROPS(e->st, IP_FRAG_NEEDED), 1);
	/* Under the MTU: whole, DF set. */
	assert_int_equal(ip_output(e->st, &tx, payload(e->st, 1200)), 0);
	p = t_pop_tx(e->st, e->a);
	assert_int_equal(rd16(p->data + IPV4_OFF_FRAG), IPV4_FLAG_DF);
	us_pkt_free(p);

	/* A locked path: default datagrams go without DF, so routers may fragment. */
	tx.df = -1;
	assert_int_equal(pmtu_learn(e->st, FAR, 1280, 200), 552);
	assert_int_equal(ip_output(e->st, &tx, payload(e->st, 100)), 0);
	p = t_pop_tx(e->st, e->a);
	assert_int_equal(rd16(p->data + IPV4_OFF_FRAG), 0);
	us_pkt_free(p);
	t_assert_no_leak(e->st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(only_goes_down, setup, teardown),
		cmocka_unit_test_setup_teardown(plateaus_and_min_pmtu, setup, teardown),
		cmocka_unit_test_setup_teardown(expires, setup, teardown),
		cmocka_unit_test_setup_teardown(bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(output_follows_the_path, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
