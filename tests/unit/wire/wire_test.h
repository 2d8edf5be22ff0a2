/*
 * wire_test.h - helpers shared by the wire/ unit tests: drop-reason assertions
 * that print names, byte comparisons that print a hex diff, and checksum
 * fixers used to build malformed packets that differ from a valid one in
 * exactly one way.
 *
 * Include after cmocka.h. Links only wire/ objects: reason names come straight
 * from core/drop.def rather than from core/counters.c.
 */
#ifndef US_TEST_WIRE_TEST_H
#define US_TEST_WIRE_TEST_H

#include <stdio.h>
#include <string.h>

#include "base/bytes.h"
#include "base/compiler.h"
#include "core/counters.h"
#include "wire/checksum.h"

static const char *const wt_drop_names[] = {
#define DROP(name, doc) #name,
#include "core/drop.def"
#undef DROP
};

static inline const char *wt_drop_name(enum us_drop_reason r)
{
	return (unsigned)r < US_DROP__COUNT ? wt_drop_names[r] : "?";
}

/* assert_drop(expr, US_DROP_X): the parser returned exactly this reason. */
#define assert_drop(expr, want)                                                                 \
	do {                                                                                    \
		enum us_drop_reason got_ = (expr);                                              \
		if (got_ != (want))                                                             \
			fail_msg("%s: got %s, want %s", #expr, wt_drop_name(got_),              \
				 wt_drop_name(want));                                           \
	} while (0)

static inline void wt_hexdump(const char *tag, const uint8_t *p, size_t n, const uint8_t *other)
{
	size_t i;

	print_error("%s:", tag);
	for (i = 0; i < n; i++) {
		if (i % 16 == 0)
			print_error("\n  %04zx:", i);
		print_error(other && other[i] != p[i] ? " [%02x]" : " %02x", p[i]);
	}
	print_error("\n");
}

/* assert_bytes(got, want, n): byte-exact equality, with both dumps on failure. */
#define assert_bytes(got, want, n)                                                              \
	do {                                                                                    \
		const uint8_t *g_ = (const uint8_t *)(got), *w_ = (const uint8_t *)(want);      \
		size_t n_ = (n);                                                                \
		if (memcmp(g_, w_, n_) != 0) {                                                  \
			wt_hexdump("got", g_, n_, w_);                                          \
			wt_hexdump("want", w_, n_, g_);                                         \
			fail_msg("%s differs from %s", #got, #want);                            \
		}                                                                               \
	} while (0)

/* Recomputes the IPv4 header checksum of the header at @b. */
static inline void wt_ip_fix_csum(uint8_t *b)
{
	size_t hl = (size_t)(b[0] & 0xf) * 4;

	wr16(b + 10, 0);
	wr16(b + 10, csum_fold(csum_partial(b, hl, 0)));
}

/* Recomputes a transport checksum at @off in the @len-byte segment @b. */
static inline void wt_l4_fix_csum(uint8_t *b, size_t len, size_t off, uint32_t src, uint32_t dst,
				  uint8_t proto)
{
	wr16(b + off, 0);
	wr16(b + off, csum_fold(csum_partial(b, len, csum_pseudo(src, dst, proto, (uint16_t)len))));
}

#endif
