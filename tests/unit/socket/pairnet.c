/*
 * pairnet.c - see pairnet.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pairnet.h"
#include "ustack/socket.h"
#include "ustack/ustack.h"

#define PN_START_NS (1000ull * 1000000)
#define PN_MS 1000000ull
/* Longer than TIME_WAIT (60 s) and the FIN_WAIT_2 timeout, so every connection ends. */
#define PN_DRAIN_MS 130000

static struct us_stack *pn_stack(uint64_t seed)
{
	struct us_stack_opts o = { .virtual_clock = true, .clock_start_ns = PN_START_NS,
				   .seed = seed };
	struct us_stack *st = us_stack_new(&o);

	assert_non_null(st);
	return st;
}

void pn_new(struct pairnet *n)
{
	int ib, ia;

	n->a = pn_stack(11);
	n->b = pn_stack(22);
	ia = us_dev_pair_new(n->a, "pa", n->b, "pb", &ib);
	assert_true(ia > 0 && ib > 0);
	assert_int_equal(us_dev_set_up(n->a, ia, true), 0);
	assert_int_equal(us_dev_set_up(n->b, ib, true), 0);
	assert_int_equal(us_addr_add(n->a, ia, PN_A, 24), 0);
	assert_int_equal(us_addr_add(n->b, ib, PN_B, 24), 0);
}

static void pn_poll(struct pairnet *n)
{
	us_stack_poll(n->a);
	us_stack_poll(n->b);
}

void pn_run(struct pairnet *n, uint64_t ms)
{
	uint64_t end = us_stack_now_ns(n->a) + ms * PN_MS;

	/* Bounded: each pass moves time forward by at least a millisecond. */
	for (uint64_t i = 0; i <= ms; i++) {
		uint64_t now = us_stack_now_ns(n->a), next;

		for (int k = 0; k < 4; k++)
			pn_poll(n);
		next = us_stack_next_deadline_ns(n->a);
		if (us_stack_next_deadline_ns(n->b) < next)
			next = us_stack_next_deadline_ns(n->b);
		if (next < now + PN_MS)
			next = now + PN_MS; /* due now: let a millisecond pass anyway */
		if (next > end)
			next = end;
		us_stack_clock_set(n->a, next);
		us_stack_clock_set(n->b, next);
		if (next >= end)
			break;
	}
	pn_poll(n);
}

int pn_wait(struct pairnet *n, struct us_stack *st, int sd, int events, uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t++) {
		int ev = us_socket_events(st, sd);

		assert_true(ev >= 0);
		if (ev & events)
			return ev;
		pn_run(n, 1);
	}
	return us_socket_events(st, sd);
}

void pn_free(struct pairnet *n)
{
	pn_run(n, PN_DRAIN_MS);
	assert_int_equal(n->a->pool.in_use, 0);
	assert_int_equal(n->b->pool.in_use, 0);
	assert_int_equal(n->a->pool.large_in_use, 0);
	assert_int_equal(n->b->pool.large_in_use, 0);
	us_stack_free(n->a);
	us_stack_free(n->b);
}
