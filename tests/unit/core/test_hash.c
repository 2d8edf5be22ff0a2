/* test_hash.c - SipHash-2-4 against the reference vectors (key 00..0f, message 00 01 02 ...
 * of each length), values as published with the reference implementation and
 * cross-checked against libsodium's crypto_shorthash_siphash24. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/hash.h"

static void siphash_reference_vectors(void **state)
{
	static const struct {
		size_t len;
		uint64_t want;
	} vec[] = {
		{ 0, 0x726fdb47dd0e0e31ULL },  { 1, 0x74f839c593dc67fdULL },
		{ 2, 0x0d6c8009d9a94f5aULL },  { 3, 0x85676696d7fb7e2dULL },
		{ 7, 0xab0200f58b01d137ULL },  { 8, 0x93f5f5799a932462ULL },
		{ 15, 0xa129ca6149be45e5ULL }, { 16, 0x3f2acc7f57c29bdbULL },
		{ 63, 0x958a324ceb064572ULL },
	};
	struct us_siphash_key key = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	uint8_t msg[64];

	(void)state;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++)
		assert_int_equal(us_siphash(&key, msg, vec[i].len), vec[i].want);
}

static void siphash_key_matters(void **state)
{
	struct us_siphash_key a = { 1, 2 }, b = { 1, 3 };

	(void)state;
	assert_int_not_equal(us_siphash_3u32(&a, 1, 2, 3), us_siphash_3u32(&b, 1, 2, 3));
	assert_int_equal(us_siphash_3u32(&a, 1, 2, 3), us_siphash_3u32(&a, 1, 2, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(siphash_reference_vectors),
		cmocka_unit_test(siphash_key_matters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
