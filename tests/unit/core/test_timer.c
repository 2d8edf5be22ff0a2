/* test_timer.c - the hierarchical timing wheel: exact firing below 64 ms, never early,
 * at most 1/8 late for longer delays, cancel/re-arm, callbacks that re-arm, long
 * idle jumps of the clock, and next-deadline reporting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/timer.h"

struct probe {
	struct us_timer t;
	int fired;
	uint64_t fired_at;
	uint64_t rearm_every; /* >0: re-arm from the callback */
	struct us_timer_wheel *w;
};

static void probe_fn(struct us_timer *t, uint64_t now)
{
	struct probe *p = container_of(t, struct probe, t);

	p->fired++;
	p->fired_at = now;
	if (p->rearm_every)
		us_timer_arm(p->w, &p->t, now + p->rearm_every);
}

/* Runs the wheel one millisecond at a time until @until, as a stack polling often would. */
static void run_ms(struct us_timer_wheel *w, uint64_t from, uint64_t until)
{
	for (uint64_t t = from; t <= until; t++)
		us_timer_wheel_run(w, t);
}

static void fires_exactly_below_64ms(void **state)
{
	struct us_timer_wheel w;
	struct probe p = { 0 };

	(void)state;
	us_timer_wheel_init(&w, 1000);
	us_timer_init(&p.t, probe_fn);
	us_timer_arm(&w, &p.t, 1040);
	assert_true(us_timer_pending(&p.t));
	assert_int_equal(us_timer_wheel_next(&w), 1040);
	run_ms(&w, 1000, 1039);
	assert_int_equal(p.fired, 0);
	us_timer_wheel_run(&w, 1040);
	assert_int_equal(p.fired, 1);
	assert_int_equal(p.fired_at, 1040);
	assert_false(us_timer_pending(&p.t));
	assert_int_equal(us_timer_wheel_next(&w), US_TIMER_NEVER);
}

static void never_early_and_bounded_late(void **state)
{
	static const uint64_t delays[] = { 1, 63, 64, 100, 200, 511, 1000, 4095, 30000, 300000,
					   3600000 };
	(void)state;
	for (size_t i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		struct us_timer_wheel w;
		struct probe p = { 0 };
		uint64_t start = 777777, due = start + delays[i];
		uint64_t next;

		us_timer_wheel_init(&w, start);
		us_timer_init(&p.t, probe_fn);
		us_timer_arm(&w, &p.t, due);
		next = us_timer_wheel_next(&w);
		assert_true(next >= due);
		assert_true(next - due <= delays[i] / 8 + 1);
		/* Jump straight to one ms before the reported time: nothing fires. */
		us_timer_wheel_run(&w, next - 1);
		assert_int_equal(p.fired, 0);
		us_timer_wheel_run(&w, next);
		assert_int_equal(p.fired, 1);
		assert_true(p.fired_at >= due);
	}
}

static void cancel_and_rearm(void **state)
{
	struct us_timer_wheel w;
	struct probe a = { 0 }, b = { 0 };

	(void)state;
	us_timer_wheel_init(&w, 0);
	us_timer_init(&a.t, probe_fn);
	us_timer_init(&b.t, probe_fn);
	us_timer_arm(&w, &a.t, 10);
	us_timer_arm(&w, &b.t, 10);
	us_timer_cancel(&w, &a.t);
	us_timer_cancel(&w, &a.t); /* idempotent */
	us_timer_arm(&w, &b.t, 500); /* re-arm moves it */
	run_ms(&w, 0, 499);
	assert_int_equal(a.fired, 0);
	assert_int_equal(b.fired, 0);
	run_ms(&w, 500, 600);
	assert_int_equal(b.fired, 1);
	assert_int_equal(w.count, 0);
}

static void periodic_rearm_from_callback(void **state)
{
	struct us_timer_wheel w;
	struct probe p = { 0 };

	(void)state;
	us_timer_wheel_init(&w, 0);
	us_timer_init(&p.t, probe_fn);
	p.w = &w;
	p.rearm_every = 10;
	us_timer_arm(&w, &p.t, 10);
	run_ms(&w, 0, 1000);
	assert_int_equal(p.fired, 100);
	us_timer_cancel(&w, &p.t);
}

static void past_deadline_fires_on_next_run(void **state)
{
	struct us_timer_wheel w;
	struct probe p = { 0 };

	(void)state;
	us_timer_wheel_init(&w, 5000);
	us_timer_wheel_run(&w, 5000);
	us_timer_init(&p.t, probe_fn);
	us_timer_arm(&w, &p.t, 10); /* long past */
	us_timer_wheel_run(&w, 5001);
	assert_int_equal(p.fired, 1);
}

static void long_idle_jump_and_very_long_timer(void **state)
{
	struct us_timer_wheel w;
	struct probe near = { 0 }, far = { 0 };
	uint64_t week = 7ULL * 24 * 3600 * 1000;

	(void)state;
	us_timer_wheel_init(&w, 0);
	us_timer_init(&near.t, probe_fn);
	us_timer_init(&far.t, probe_fn);
	us_timer_arm(&w, &near.t, 50);
	us_timer_arm(&w, &far.t, week); /* beyond the wheel's span: parked and re-armed */
	us_timer_wheel_run(&w, 3600 * 1000); /* an hour passes in one step */
	assert_int_equal(near.fired, 1);
	assert_int_equal(far.fired, 0);
	/* Jump in big steps: it must fire at or after a week, not before. */
	for (uint64_t t = 3600 * 1000; t < week; t += 3600 * 1000) {
		us_timer_wheel_run(&w, t);
		assert_int_equal(far.fired, 0);
	}
	us_timer_wheel_run(&w, week + week / 8);
	assert_int_equal(far.fired, 1);
	assert_true(far.fired_at >= week);
}

static void many_timers_fire_in_order_of_buckets(void **state)
{
	enum { N = 2000 };
	static struct probe ps[N];
	struct us_timer_wheel w;

	(void)state;
	us_timer_wheel_init(&w, 0);
	for (int i = 0; i < N; i++) {
		ps[i] = (struct probe){ 0 };
		us_timer_init(&ps[i].t, probe_fn);
		us_timer_arm(&w, &ps[i].t, (uint64_t)(i * 37 % 5000) + 1);
	}
	assert_int_equal(w.count, N);
	/* Drive it the way the event loop does: sleep until next, run. */
	for (int guard = 0; guard < 100000 && w.count; guard++) {
		uint64_t next = us_timer_wheel_next(&w);
		assert_true(next != US_TIMER_NEVER);
		us_timer_wheel_run(&w, next);
	}
	for (int i = 0; i < N; i++) {
		uint64_t due = (uint64_t)(i * 37 % 5000) + 1;
		assert_int_equal(ps[i].fired, 1);
		assert_true(ps[i].fired_at >= due);
		assert_true(ps[i].fired_at - due <= due / 8 + 1);
	}
}

/*
 * The clock jumps past a timer (a virtual clock leaping, a stalled loop): the run that
 * catches up fires it, and a timer its callback arms is placed relative to the time of
 * the run, so it keeps its own precision: a 10 ms timer armed at 20000 fires at 20010,
 * not in a bucket sized for the 10 s the wheel had to catch up on (20480 before).
 */
static void rearm_from_callback_after_a_jump(void **state)
{
	struct us_timer_wheel w;
	struct probe p = { 0 }, q = { 0 };

	(void)state;
	us_timer_wheel_init(&w, 0);
	us_timer_init(&p.t, probe_fn);
	p.w = &w;
	p.rearm_every = 10;
	us_timer_arm(&w, &p.t, 10000);
	us_timer_wheel_run(&w, 20000);
	assert_int_equal(p.fired, 1);
	assert_int_equal(p.fired_at, 20000);
	assert_int_equal(us_timer_wheel_next(&w), 20010);
	us_timer_wheel_run(&w, 20009);
	assert_int_equal(p.fired, 1);
	us_timer_wheel_run(&w, 20010);
	assert_int_equal(p.fired, 2);
	assert_int_equal(p.fired_at, 20010);
	us_timer_cancel(&w, &p.t);

	/* Every timer due within a jump fires in the run that catches up. */
	us_timer_init(&q.t, probe_fn);
	us_timer_arm(&w, &p.t, 25000);
	us_timer_arm(&w, &q.t, 24000);
	p.rearm_every = 0;
	us_timer_wheel_run(&w, 40000);
	assert_int_equal(q.fired, 1);
	assert_int_equal(p.fired, 3);
	assert_int_equal(w.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fires_exactly_below_64ms),
		cmocka_unit_test(never_early_and_bounded_late),
		cmocka_unit_test(cancel_and_rearm),
		cmocka_unit_test(periodic_rearm_from_callback),
		cmocka_unit_test(past_deadline_fires_on_next_run),
		cmocka_unit_test(long_idle_jump_and_very_long_timer),
		cmocka_unit_test(many_timers_fire_in_order_of_buckets),
		cmocka_unit_test(rearm_from_callback_after_a_jump),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
