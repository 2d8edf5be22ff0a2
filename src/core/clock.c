/* clock.c - real and virtual monotonic clocks. */
#include "core/clock.h"

#include <time.h>

void us_clock_init_real(struct us_clock *c)
{
	c->is_virtual = false;
	c->virtual_ns = 0;
}

void us_clock_init_virtual(struct us_clock *c, uint64_t start_ns)
{
	c->is_virtual = true;
	c->virtual_ns = start_ns;
}

uint64_t us_clock_now(const struct us_clock *c)
{
	struct timespec ts;

	if (c->is_virtual)
		return c->virtual_ns;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * US_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

void us_clock_set(struct us_clock *c, uint64_t ns)
{
	if (c->is_virtual && ns > c->virtual_ns)
		c->virtual_ns = ns;
}

void us_clock_advance(struct us_clock *c, uint64_t delta_ns)
{
	if (c->is_virtual)
		c->virtual_ns += delta_ns;
}
