/* test_wait.c - the event loop's sleep, us_stack_wait (DESIGN.md section 3): it returns
 * when a watched fd has input or the wait is over, and with net.core.busy_poll it spins
 * (uses CPU, does not sleep) for that long before sleeping.
 *
 * Time here is the real clock: the bounds are wide (only "at least" for waits, and a
 * CPU-time floor far below the spin) so a loaded machine cannot make them fail. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/stack.h"
#include "ustack/ustack.h"

static uint64_t ns_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct waited {
	uint64_t wall_ns, cpu_ns;
	int ret;
};

static struct waited timed_wait(struct us_stack *st, int ms)
{
	uint64_t w = ns_of(CLOCK_MONOTONIC), c = ns_of(CLOCK_THREAD_CPUTIME_ID);
	struct waited r;

	r.ret = us_stack_wait(st, ms);
	r.wall_ns = ns_of(CLOCK_MONOTONIC) - w;
	r.cpu_ns = ns_of(CLOCK_THREAD_CPUTIME_ID) - c;
	return r;
}

static struct us_stack *real_stack(void)
{
	struct us_stack_opts o = { 0 };
	struct us_stack *st = us_stack_new(&o);

	assert_non_null(st);
	return st;
}

static void sleeps_without_busy_poll(void **state)
{
	struct us_stack *st = real_stack();
	struct waited w;

	(void)state;
	w = timed_wait(st, 30);
	assert_int_equal(w.ret, 0);
	assert_true(w.wall_ns >= 29 * 1000000ULL);
	/* Asleep in epoll_wait: next to no CPU (a spin of 30 ms would use ~30 ms). */
	assert_true(w.cpu_ns < 10 * 1000000ULL);
	us_stack_free(st);
}

static void busy_poll_spins_then_sleeps(void **state)
{
	struct us_stack *st = real_stack();
	struct waited w;

	(void)state;
	assert_int_equal(us_stack_set(st, "net.core.busy_poll", "20000"), 0);
	w = timed_wait(st, 40);
	assert_int_equal(w.ret, 0);
	/* 20 ms spinning, then the rest of the 40 ms asleep: the whole wait still lasts. */
	assert_true(w.wall_ns >= 39 * 1000000ULL);
	assert_true(w.cpu_ns >= 2 * 1000000ULL);
	/* A wait of 0 never spins. */
	w = timed_wait(st, 0);
	assert_true(w.cpu_ns < 2 * 1000000ULL);
	us_stack_free(st);
}

static void input_ends_the_spin(void **state)
{
	struct us_stack *st = real_stack();
	int efd = eventfd(1, EFD_NONBLOCK); /* readable from the start */
	struct waited w;

	(void)state;
	assert_true(efd >= 0);
	assert_int_equal(us_stack_watch_fd(st, efd), 0);
	assert_int_equal(us_stack_set(st, "net.core.busy_poll", "1000000"), 0);
	w = timed_wait(st, 5000);
	assert_int_equal(w.ret, 0);
	assert_true(w.wall_ns < 900 * 1000000ULL); /* not the 1 s spin, nor the 5 s wait */
	assert_int_equal(us_stack_unwatch_fd(st, efd), 0);
	close(efd);
	us_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sleeps_without_busy_poll),
		cmocka_unit_test(busy_poll_spins_then_sleeps),
		cmocka_unit_test(input_ends_the_spin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
