/*
 * compiler.h - small language helpers used everywhere: container_of, ARRAY_SIZE,
 * branch hints, visibility for the public API, and the assertion macro.
 *
 * US_ASSERT is for our own invariants only, never for packet contents (a bad
 * packet is a counted drop, DESIGN.md section 8).
 */
#ifndef US_BASE_COMPILER_H
#define US_BASE_COMPILER_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define US_UNUSED __attribute__((unused))
#define US_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Symbols of the public API; everything else is hidden (-fvisibility=hidden). */
#define US_API __attribute__((visibility("default")))

#define US_ASSERT(cond)                                                                    \
	do {                                                                               \
		if (unlikely(!(cond))) {                                                   \
			fprintf(stderr, "ustack: assertion '%s' failed at %s:%d\n", #cond, \
				__FILE__, __LINE__);                                       \
			abort();                                                           \
		}                                                                          \
	} while (0)

static inline unsigned us_min_u(unsigned a, unsigned b) { return a < b ? a : b; }
static inline unsigned us_max_u(unsigned a, unsigned b) { return a > b ? a : b; }
static inline size_t us_min_sz(size_t a, size_t b) { return a < b ? a : b; }
static inline uint64_t us_min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

#endif
