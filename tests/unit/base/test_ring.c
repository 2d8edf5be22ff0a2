/*
 * test_ring.c - the byte ring (src/base/ring.c): wrap-around at every head position and
 * length, resize up and down with wrapped content (and with out-of-order bytes placed
 * beyond len), write_at + commit, the iovec split, peek at offsets, read into NULL, and
 * -ENOMEM from a failing malloc (linked with -Wl,--wrap=malloc, see meson.build).
 *
 * Data are generated patterns (byte k of a stream is pat(k)), so every check is exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/ring.h"

/* --- malloc failure injection: only the library's calls are wrapped (static link) --- */
void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);
static int fail_mallocs; /* how many of the next malloc calls fail */

void *__wrap_malloc(size_t size)
{
	if (fail_mallocs > 0) {
		fail_mallocs--;
		return NULL;
	}
	return __real_malloc(size);
}

static uint8_t pat(uint32_t k) { return (uint8_t)(k * 7u + 3u + (k >> 8)); }

static void fill(uint8_t *b, uint32_t from, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		b[i] = pat(from + i);
}

/* A ring of @cap whose head sits at @head with nothing held. */
static void ring_at(struct us_ring *r, uint32_t cap, uint32_t head)
{
	uint8_t junk[256];

	assert_int_equal(us_ring_init(r, cap), 0);
	memset(junk, 0xee, sizeof(junk));
	assert_true(head <= sizeof(junk));
	assert_int_equal(us_ring_write(r, junk, head), head);
	assert_int_equal(us_ring_read(r, NULL, head), head);
	assert_int_equal(r->head, head % (cap ? cap : 1));
	assert_int_equal(r->len, 0);
}

static void ring_init_zero_allocates_nothing(void **state)
{
	struct us_ring r;
	struct iovec iov[2];
	uint8_t b[4] = { 1, 2, 3, 4 };

	(void)state;
	assert_int_equal(us_ring_init(&r, 0), 0);
	assert_null(r.buf);
	assert_int_equal(r.cap, 0);
	assert_int_equal(us_ring_space(&r), 0);
	assert_int_equal(us_ring_write(&r, b, 4), 0);
	assert_int_equal(us_ring_read(&r, b, 4), 0);
	assert_int_equal(us_ring_read(&r, NULL, 4), 0);
	assert_int_equal(us_ring_peek(&r, 0, b, 4), 0);
	assert_int_equal(us_ring_iov(&r, 0, 4, iov), 0);
	assert_false(us_ring_write_at(&r, 0, b, 1));
	assert_true(us_ring_write_at(&r, 0, b, 0));
	assert_int_equal(us_ring_resize(&r, 0), 0);
	assert_null(r.buf);

	/* The first resize allocates. */
	assert_int_equal(us_ring_resize(&r, 3), 0);
	assert_non_null(r.buf);
	assert_int_equal(r.cap, 3);
	assert_int_equal(us_ring_write(&r, b, 4), 3);
	assert_int_equal(us_ring_read(&r, NULL, 3), 3);
	/* Back to 0 frees (len is 0). */
	assert_int_equal(us_ring_resize(&r, 0), 0);
	assert_null(r.buf);
	assert_int_equal(r.cap, 0);
	assert_int_equal(r.head, 0);
	us_ring_free(&r);
	us_ring_free(&r); /* idempotent */
	assert_null(r.buf);
}

static void ring_write_full_and_partial(void **state)
{
	struct us_ring r;
	uint8_t in[16], out[16];

	(void)state;
	fill(in, 0, 16);
	assert_int_equal(us_ring_init(&r, 10), 0);
	assert_int_equal(us_ring_write(&r, in, 4), 4);
	assert_int_equal(us_ring_space(&r), 6);
	assert_int_equal(us_ring_write(&r, in + 4, 12), 6); /* only what fits */
	assert_int_equal(r.len, 10);
	assert_int_equal(us_ring_space(&r), 0);
	assert_int_equal(us_ring_write(&r, in, 1), 0);
	memset(out, 0, sizeof(out));
	assert_int_equal(us_ring_read(&r, out, 16), 10);
	assert_memory_equal(out, in, 10);
	assert_int_equal(r.len, 0);
	assert_int_equal(us_ring_read(&r, out, 1), 0);
	us_ring_free(&r);
}

/*
 * For several capacities (powers of two and not), every head position and every length:
 * write, check each peek offset and the iovecs against the pattern, then read it out in
 * two pieces.
 */
static void ring_wrap_every_position(void **state)
{
	static const uint32_t caps[] = { 1, 2, 3, 7, 8, 13, 16, 31 };
	uint8_t in[64], out[64];
	struct iovec iov[2];

	(void)state;
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		uint32_t cap = caps[c];

		for (uint32_t head = 0; head < cap; head++) {
			for (uint32_t len = 0; len <= cap; len++) {
				struct us_ring r;
				uint32_t cut = len / 3, got;
				int cnt;

				ring_at(&r, cap, head);
				fill(in, head * 100 + len, len);
				assert_int_equal(us_ring_write(&r, in, len), len);
				assert_int_equal(r.len, len);
				assert_int_equal(us_ring_space(&r), cap - len);

				/* The storage holds byte k at (head + k) mod cap. */
				for (uint32_t k = 0; k < len; k++)
					assert_int_equal(r.buf[(head + k) % cap], in[k]);

				/* peek at every offset, to the end and one byte. */
				for (uint32_t off = 0; off <= len; off++) {
					memset(out, 0, sizeof(out));
					assert_int_equal(us_ring_peek(&r, off, out, 64), len - off);
					assert_memory_equal(out, in + off, len - off);
					got = us_ring_peek(&r, off, out, 1);
					assert_int_equal(got, off < len ? 1 : 0);
					if (got)
						assert_int_equal(out[0], in[off]);
				}

				/* iov of the whole content: split exactly where the storage ends. */
				cnt = us_ring_iov(&r, 0, UINT32_MAX, iov);
				if (len == 0) {
					assert_int_equal(cnt, 0);
				} else if (head + len <= cap) {
					assert_int_equal(cnt, 1);
					assert_ptr_equal(iov[0].iov_base, r.buf + head);
					assert_int_equal(iov[0].iov_len, len);
				} else {
					assert_int_equal(cnt, 2);
					assert_ptr_equal(iov[0].iov_base, r.buf + head);
					assert_int_equal(iov[0].iov_len, cap - head);
					assert_ptr_equal(iov[1].iov_base, r.buf);
					assert_int_equal(iov[1].iov_len, len - (cap - head));
				}

				/* Read in two pieces; head moves forward modulo cap. */
				memset(out, 0, sizeof(out));
				assert_int_equal(us_ring_read(&r, out, cut), cut);
				assert_int_equal(r.head, (head + cut) % cap);
				assert_int_equal(us_ring_read(&r, out + cut, 64), len - cut);
				assert_memory_equal(out, in, len);
				assert_int_equal(r.len, 0);
				assert_int_equal(r.head, (head + len) % cap);
				assert_true(r.head < cap);
				us_ring_free(&r);
			}
		}
	}
}

/* A long stream through a small ring with odd-sized writes and reads. */
static void ring_stream(void **state)
{
	struct us_ring r;
	uint8_t in[32], out[32];
	uint32_t wpos = 0, rpos = 0;

	(void)state;
	assert_int_equal(us_ring_init(&r, 29), 0);
	for (int i = 0; i < 5000; i++) {
		uint32_t wn = (uint32_t)(i * 7 % 17), rn = (uint32_t)(i * 5 % 13), got;

		fill(in, wpos, wn);
		got = us_ring_write(&r, in, wn);
		assert_int_equal(got, wn < 29 - (wpos - rpos) ? wn : 29 - (wpos - rpos));
		wpos += got;
		got = us_ring_read(&r, out, rn);
		assert_int_equal(got, rn < wpos - rpos ? rn : wpos - rpos);
		for (uint32_t k = 0; k < got; k++)
			assert_int_equal(out[k], pat(rpos + k));
		rpos += got;
		assert_int_equal(r.len, wpos - rpos);
	}
	assert_true(wpos > 10000);
	us_ring_free(&r);
}

static void ring_peek_offsets(void **state)
{
	struct us_ring r;
	uint8_t in[10], out[10];

	(void)state;
	fill(in, 0, 10);
	ring_at(&r, 10, 6);
	assert_int_equal(us_ring_write(&r, in, 8), 8); /* offsets 0-3 at 6..9, 4-7 at 0..3 */
	memset(out, 0, sizeof(out));
	assert_int_equal(us_ring_peek(&r, 2, out, 4), 4); /* spans the wrap */
	assert_memory_equal(out, in + 2, 4);
	assert_int_equal(us_ring_peek(&r, 5, out, 10), 3); /* clamped to len */
	assert_memory_equal(out, in + 5, 3);
	assert_int_equal(us_ring_peek(&r, 8, out, 1), 0);   /* at len */
	assert_int_equal(us_ring_peek(&r, 9, out, 1), 0);   /* beyond len */
	assert_int_equal(us_ring_peek(&r, UINT32_MAX, out, UINT32_MAX), 0);
	assert_int_equal(us_ring_peek(&r, 3, out, 0), 0);
	/* peek does not consume. */
	assert_int_equal(r.len, 8);
	assert_int_equal(r.head, 6);
	us_ring_free(&r);
}

static void ring_read_to_null_discards(void **state)
{
	struct us_ring r;
	uint8_t in[12], out[12];

	(void)state;
	fill(in, 0, 12);
	ring_at(&r, 12, 9);
	assert_int_equal(us_ring_write(&r, in, 12), 12);
	assert_int_equal(us_ring_read(&r, NULL, 5), 5); /* across the wrap */
	assert_int_equal(r.len, 7);
	assert_int_equal(r.head, 2);
	memset(out, 0, sizeof(out));
	assert_int_equal(us_ring_peek(&r, 0, out, 12), 7);
	assert_memory_equal(out, in + 5, 7);
	assert_int_equal(us_ring_read(&r, NULL, 100), 7);
	assert_int_equal(r.len, 0);
	assert_int_equal(r.head, 9);
	assert_int_equal(us_ring_read(&r, NULL, 1), 0);
	us_ring_free(&r);
}

/* Resize up and down around wrapped content, for every head position. */
static void ring_resize_wrapped(void **state)
{
	uint8_t in[40], out[40];

	(void)state;
	fill(in, 1000, 40);
	for (uint32_t head = 0; head < 16; head++) {
		struct us_ring r;

		ring_at(&r, 16, head);
		assert_int_equal(us_ring_write(&r, in, 11), 11);

		/* Up: content kept, laid out from 0, room to write more. */
		assert_int_equal(us_ring_resize(&r, 37), 0);
		assert_int_equal(r.cap, 37);
		assert_int_equal(r.len, 11);
		assert_int_equal(r.head, 0);
		assert_memory_equal(r.buf, in, 11);
		assert_int_equal(us_ring_write(&r, in + 11, 29), 26);
		assert_int_equal(r.len, 37);
		assert_int_equal(us_ring_read(&r, NULL, 30), 30); /* head 30 */
		assert_int_equal(us_ring_write(&r, in, 20), 20);    /* wraps: 7 held + 20 */

		/* Down below len: refused, unchanged. */
		assert_int_equal(us_ring_resize(&r, 26), -EINVAL);
		assert_int_equal(r.cap, 37);
		assert_int_equal(r.len, 27);
		assert_int_equal(r.head, 30);

		/* Down to exactly len. */
		assert_int_equal(us_ring_resize(&r, 27), 0);
		assert_int_equal(r.cap, 27);
		assert_int_equal(us_ring_space(&r), 0);
		memset(out, 0, sizeof(out));
		assert_int_equal(us_ring_peek(&r, 0, out, 40), 27);
		assert_memory_equal(out, in + 30, 7);
		assert_memory_equal(out + 7, in, 20);

		/* Same size: a no-op that keeps the layout. */
		assert_int_equal(us_ring_read(&r, NULL, 3), 3);
		assert_int_equal(us_ring_resize(&r, 27), 0);
		assert_int_equal(r.head, 3);

		/* Shrink further after reading, content still intact. */
		assert_int_equal(us_ring_resize(&r, 24), 0);
		assert_int_equal(r.head, 0);
		assert_int_equal(us_ring_peek(&r, 0, out, 40), 24);
		assert_memory_equal(out, in + 33, 4);
		assert_memory_equal(out + 4, in, 20);
		us_ring_free(&r);
	}
}

/* Out-of-order bytes placed beyond len survive a resize (as far as they still fit). */
static void ring_resize_keeps_placed_bytes(void **state)
{
	struct us_ring r;
	uint8_t in[20], out[20];

	(void)state;
	fill(in, 0, 20);
	ring_at(&r, 10, 7);
	assert_int_equal(us_ring_write(&r, in, 4), 4);           /* offsets 0-3 */
	assert_true(us_ring_write_at(&r, 6, in + 6, 4));       /* offsets 6-9, wrapped */
	assert_int_equal(us_ring_resize(&r, 20), 0);
	assert_true(us_ring_write_at(&r, 4, in + 4, 2));       /* fill the gap */
	us_ring_commit(&r, 6);
	assert_int_equal(r.len, 10);
	assert_int_equal(us_ring_peek(&r, 0, out, 20), 10);
	assert_memory_equal(out, in, 10);

	/* Shrinking keeps placed bytes below the new capacity. */
	assert_int_equal(us_ring_read(&r, NULL, 10), 10);
	assert_true(us_ring_write_at(&r, 2, in + 2, 6));       /* offsets 2-7 */
	assert_int_equal(us_ring_resize(&r, 5), 0);            /* keeps offsets 0-4 */
	assert_true(us_ring_write_at(&r, 0, in, 2));
	us_ring_commit(&r, 5);
	memset(out, 0, sizeof(out));
	assert_int_equal(us_ring_read(&r, out, 20), 5);
	assert_memory_equal(out, in, 5);
	us_ring_free(&r);
}

static void ring_write_at_commit(void **state)
{
	struct us_ring r;
	uint8_t in[16], out[16];

	(void)state;
	fill(in, 500, 16);
	ring_at(&r, 16, 11);
	assert_int_equal(us_ring_write(&r, in, 3), 3); /* offsets 0-2 at 11..13 */

	/* Refused: before len, beyond cap, overflowing sums. Nothing written, len kept. */
	assert_false(us_ring_write_at(&r, 2, in + 2, 1));
	assert_false(us_ring_write_at(&r, 10, in, 7));
	assert_false(us_ring_write_at(&r, 17, in, 0));
	assert_false(us_ring_write_at(&r, 15, in, UINT32_MAX));
	assert_false(us_ring_write_at(&r, UINT32_MAX, in, 2));
	assert_int_equal(r.len, 3);

	/* Accepted: exactly to cap, and an empty write at cap. */
	assert_true(us_ring_write_at(&r, 12, in + 12, 4)); /* offsets 12-15 at 7..10 */
	assert_true(us_ring_write_at(&r, 16, in, 0));
	assert_int_equal(r.len, 3);
	assert_memory_equal(r.buf + 7, in + 12, 4);

	/* Another hole-filling piece across the wrap: offsets 5-9 at 0..4. */
	assert_true(us_ring_write_at(&r, 3, in + 3, 2)); /* offsets 3-4 at 14..15 */
	assert_true(us_ring_write_at(&r, 5, in + 5, 5));
	assert_memory_equal(r.buf, in + 5, 5);
	/* Offsets 10-11 still a hole; commit the contiguous part 3-9. */
	us_ring_commit(&r, 7);
	assert_int_equal(r.len, 10);
	assert_int_equal(us_ring_space(&r), 6);
	/* The committed bytes are readable; write_at below the new len is refused. */
	assert_false(us_ring_write_at(&r, 9, in + 9, 1));
	assert_true(us_ring_write_at(&r, 10, in + 10, 2));
	us_ring_commit(&r, 6);
	assert_int_equal(r.len, 16);
	memset(out, 0, sizeof(out));
	assert_int_equal(us_ring_read(&r, out, 16), 16);
	assert_memory_equal(out, in, 16);

	/* Placed bytes survive the ring emptying (head is not re-based). */
	assert_true(us_ring_write_at(&r, 4, in, 4));
	us_ring_commit(&r, 0);
	assert_true(us_ring_write_at(&r, 0, in + 8, 4));
	us_ring_commit(&r, 8);
	assert_int_equal(us_ring_read(&r, out, 16), 8);
	assert_memory_equal(out, in + 8, 4);
	assert_memory_equal(out + 4, in, 4);
	us_ring_free(&r);
}

static void ring_iov_ranges(void **state)
{
	struct us_ring r;
	struct iovec iov[2];
	uint8_t in[20];

	(void)state;
	fill(in, 0, 20);
	ring_at(&r, 20, 15);
	assert_int_equal(us_ring_write(&r, in, 12), 12); /* offsets 0-4 at 15..19, 5-11 at 0..6 */

	/* Entirely before the wrap. */
	assert_int_equal(us_ring_iov(&r, 1, 3, iov), 1);
	assert_ptr_equal(iov[0].iov_base, r.buf + 16);
	assert_int_equal(iov[0].iov_len, 3);
	/* Ends exactly at the end of storage: still one. */
	assert_int_equal(us_ring_iov(&r, 2, 3, iov), 1);
	assert_ptr_equal(iov[0].iov_base, r.buf + 17);
	assert_int_equal(iov[0].iov_len, 3);
	/* Starts exactly at the wrap. */
	assert_int_equal(us_ring_iov(&r, 5, 4, iov), 1);
	assert_ptr_equal(iov[0].iov_base, r.buf);
	assert_int_equal(iov[0].iov_len, 4);
	/* Spans it. */
	assert_int_equal(us_ring_iov(&r, 3, 5, iov), 2);
	assert_ptr_equal(iov[0].iov_base, r.buf + 18);
	assert_int_equal(iov[0].iov_len, 2);
	assert_ptr_equal(iov[1].iov_base, r.buf);
	assert_int_equal(iov[1].iov_len, 3);
	assert_memory_equal(iov[0].iov_base, in + 3, 2);
	assert_memory_equal(iov[1].iov_base, in + 5, 3);
	/* Clamped to len. */
	assert_int_equal(us_ring_iov(&r, 8, 100, iov), 1);
	assert_ptr_equal(iov[0].iov_base, r.buf + 3);
	assert_int_equal(iov[0].iov_len, 4);
	assert_int_equal(us_ring_iov(&r, 4, UINT32_MAX, iov), 2);
	assert_int_equal(iov[0].iov_len, 1);
	assert_int_equal(iov[1].iov_len, 7);
	/* Empty: at or beyond len, or n = 0. */
	assert_int_equal(us_ring_iov(&r, 12, 1, iov), 0);
	assert_int_equal(us_ring_iov(&r, 13, 1, iov), 0);
	assert_int_equal(us_ring_iov(&r, UINT32_MAX, UINT32_MAX, iov), 0);
	assert_int_equal(us_ring_iov(&r, 0, 0, iov), 0);
	us_ring_free(&r);
}

static void ring_enomem(void **state)
{
	struct us_ring r;
	uint8_t in[8], out[8];

	(void)state;
	fill(in, 0, 8);
	fail_mallocs = 1;
	assert_int_equal(us_ring_init(&r, 8), -ENOMEM);
	assert_null(r.buf);
	assert_int_equal(r.cap, 0);
	assert_int_equal(r.len, 0);
	us_ring_free(&r); /* safe after a failed init */

	assert_int_equal(us_ring_init(&r, 8), 0);
	assert_int_equal(us_ring_write(&r, in, 5), 5);
	assert_int_equal(us_ring_read(&r, NULL, 2), 2);
	fail_mallocs = 1;
	assert_int_equal(us_ring_resize(&r, 64), -ENOMEM);
	/* Unchanged and usable. */
	assert_int_equal(r.cap, 8);
	assert_int_equal(r.len, 3);
	assert_int_equal(r.head, 2);
	assert_int_equal(us_ring_read(&r, out, 8), 3);
	assert_memory_equal(out, in + 2, 3);
	assert_int_equal(fail_mallocs, 0);
	us_ring_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ring_init_zero_allocates_nothing),
		cmocka_unit_test(ring_write_full_and_partial),
		cmocka_unit_test(ring_wrap_every_position),
		cmocka_unit_test(ring_stream),
		cmocka_unit_test(ring_peek_offsets),
		cmocka_unit_test(ring_read_to_null_discards),
		cmocka_unit_test(ring_resize_wrapped),
		cmocka_unit_test(ring_resize_keeps_placed_bytes),
		cmocka_unit_test(ring_write_at_commit),
		cmocka_unit_test(ring_iov_ranges),
		cmocka_unit_test(ring_enomem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
