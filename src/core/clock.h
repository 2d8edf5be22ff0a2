/*
 * clock.h - the stack's only source of time (DESIGN.md section 4).
 *
 * A real clock reads CLOCK_MONOTONIC; a virtual clock only moves when told
 * (the pcap device, the simulator, unit tests). Protocol code never reads a
 * clock: it uses st->now_ns / st->now_ms, set once per poll round from this clock.
 */
#ifndef US_CORE_CLOCK_H
#define US_CORE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define US_NSEC_PER_USEC 1000ULL
#define US_NSEC_PER_MSEC 1000000ULL
#define US_NSEC_PER_SEC 1000000000ULL

struct us_clock {
	bool is_virtual;
	uint64_t virtual_ns;
};

void us_clock_init_real(struct us_clock *c);
void us_clock_init_virtual(struct us_clock *c, uint64_t start_ns);
uint64_t us_clock_now(const struct us_clock *c);
/* Virtual clocks only: moves forward, never back (earlier values are ignored). */
void us_clock_set(struct us_clock *c, uint64_t ns);
void us_clock_advance(struct us_clock *c, uint64_t delta_ns);

#endif
