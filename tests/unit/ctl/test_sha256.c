/*
 * test_sha256.c - src/ctl/sha256.c against the FIPS 180-2 appendix B examples
 * ("abc", the 448-bit and 896-bit messages, a million 'a') and against Python's
 * hashlib (/usr/bin/python3, hashlib.sha256(bytes(range(n)))) at the lengths
 * where the padding changes shape (55, 56, 63, 64, 65, 119, 120 bytes), each fed
 * whole and in uneven pieces. Every check runs on the portable code and, when the
 * CPU has them, on the SHA extensions; and the two agree on 2000 pseudo-random
 * messages of every length up to 2000 bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ctl/sha256.h"

static void hex_of(const void *data, size_t len, size_t piece, char out[SHA256_HEX_LEN])
{
	const uint8_t *p = data;
	uint8_t d[SHA256_DIGEST_LEN];
	struct sha256 s;

	sha256_init(&s);
	if (!piece)
		piece = len ? len : 1;
	for (size_t off = 0; off < len; off += piece)
		sha256_update(&s, p + off, len - off < piece ? len - off : piece);
	sha256_final(&s, d);
	sha256_hex(d, out);
}

static void check(const void *data, size_t len, const char *want)
{
	static const size_t pieces[] = { 0, 1, 3, 7, 63, 64, 65, 200 };
	char got[SHA256_HEX_LEN];

	for (int accel = 0; accel < 2; accel++) {
		if (!sha256_use_accel(accel))
			continue; /* no SHA extensions on this CPU */
		for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
			hex_of(data, len, pieces[i], got);
			assert_string_equal(got, want);
		}
	}
	sha256_use_accel(true);
}

static void test_fips_examples(void **state)
{
	static char million[1000000];

	(void)state;
	check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
	      "klmnopqrlmnopqrsmnopqrstnopqrstu", 112,
	      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	memset(million, 'a', sizeof(million));
	check(million, sizeof(million),
	      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_padding_boundaries(void **state)
{
	static const struct {
		size_t len;
		const char *hex;
	} v[] = {
		{ 55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59" },
		{ 56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562" },
		{ 63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488" },
		{ 64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108" },
		{ 65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781" },
		{ 119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6" },
		{ 120, "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c" },
	};
	uint8_t buf[128];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		check(buf, v[i].len, v[i].hex);
}

static void test_implementations_agree(void **state)
{
	static uint8_t buf[2000];
	char a[SHA256_HEX_LEN], b[SHA256_HEX_LEN];
	uint64_t x = 42;

	(void)state;
	if (!sha256_use_accel(true))
		skip(); /* only one implementation here */
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		buf[i] = (uint8_t)(x >> 56);
	}
	for (size_t len = 0; len <= sizeof(buf); len++) {
		sha256_use_accel(false);
		hex_of(buf, len, len % 97 + 1, a);
		sha256_use_accel(true);
		hex_of(buf, len, len % 131 + 1, b);
		assert_string_equal(a, b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips_examples),
		cmocka_unit_test(test_padding_boundaries),
		cmocka_unit_test(test_implementations_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
