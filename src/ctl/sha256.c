/*
 * sha256.c - SHA-256 as FIPS 180-4 section 6.2 specifies it: the message is
 * padded to a multiple of 512 bits (section 5.1.1), each block expanded into a
 * 64-word schedule (6.2.2 step 1) and compressed into the eight working
 * variables (steps 2-4). Checked against the FIPS 180-2 appendix examples and
 * longer vectors in tests/unit/ctl/test_sha256.c.
 *
 * On x86-64 processors with the SHA extensions (Intel SHA-NI, AMD Zen) the
 * compression runs on them instead: sha256rnds2 does two rounds, sha256msg1/2 the
 * message schedule, about five times the portable code's speed, which is what
 * lets the HTTP service hash uploads at line rate. The choice is made once, from
 * CPUID; both paths are tested against each other.
 */
#include "ctl/sha256.h"

#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define SHA256_HAVE_X86 1
#endif

#include "base/bytes.h"
#include "base/compiler.h"

/* FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the cube roots of
 * the first 64 primes. */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static inline uint32_t ror(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

/* FIPS 180-4 6.2.2: one 512-bit block into the hash value. */
static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh;

	for (int t = 0; t < 16; t++)
		w[t] = rd32(p + 4 * t);
	for (int t = 16; t < 64; t++) {
		uint32_t s0 = ror(w[t - 15], 7) ^ ror(w[t - 15], 18) ^ (w[t - 15] >> 3);
		uint32_t s1 = ror(w[t - 2], 17) ^ ror(w[t - 2], 19) ^ (w[t - 2] >> 10);
		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int t = 0; t < 64; t++) {
		uint32_t S1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25);
		uint32_t ch = (e & f) ^ (~e & g);
		uint32_t t1 = hh + S1 + ch + K[t] + w[t];
		uint32_t S0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22);
		uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
		uint32_t t2 = S0 + maj;

		hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

static void blocks_portable(uint32_t h[8], const uint8_t *p, size_t n)
{
	for (; n; n--, p += 64)
		sha256_block(h, p);
}

#ifdef SHA256_HAVE_X86
/*
 * The same compression with the SHA extensions. The eight working variables live in
 * two registers as the instructions want them: ABEF and CDGH (lane 3 first). Each
 * group of four rounds adds four schedule words and four constants, then two
 * sha256rnds2 do two rounds each. The schedule (FIPS 180-4 6.2.2 step 1) for words
 * t..t+3, t >= 16: sha256msg1 gives W[t-16] + s0(W[t-15]), the alignr adds
 * W[t-7], sha256msg2 adds s1(W[t-2]).
 */
__attribute__((target("sha,sse4.1,ssse3"))) static void blocks_shani(uint32_t h[8],
								     const uint8_t *p, size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i tmp = _mm_loadu_si128((const __m128i *)&h[0]);   /* A B C D (lane 0 first) */
	__m128i state1 = _mm_loadu_si128((const __m128i *)&h[4]); /* E F G H */
	__m128i state0;

	tmp = _mm_shuffle_epi32(tmp, 0xB1);          /* B A D C */
	state1 = _mm_shuffle_epi32(state1, 0x1B);    /* H G F E */
	state0 = _mm_alignr_epi8(tmp, state1, 8);    /* F E B A: ABEF */
	state1 = _mm_blend_epi16(state1, tmp, 0xF0); /* H G D C: CDGH */

	for (; n; n--, p += 64) {
		__m128i save0 = state0, save1 = state1, w[4];

		for (int g = 0; g < 16; g++) {
			__m128i msg;

			if (g < 4) {
				w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)),
							bswap);
			} else {
				/* w[g%4] holds group g-4, w[(g+1)%4] g-3, w[(g+2)%4] g-2,
				 * w[(g+3)%4] g-1. */
				__m128i t = _mm_sha256msg1_epu32(w[g % 4], w[(g + 1) % 4]);

				t = _mm_add_epi32(t, _mm_alignr_epi8(w[(g + 3) % 4], w[(g + 2) % 4], 4));
				w[g % 4] = _mm_sha256msg2_epu32(t, w[(g + 3) % 4]);
			}
			msg = _mm_add_epi32(w[g % 4], _mm_loadu_si128((const __m128i *)&K[4 * g]));
			state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
			state0 = _mm_sha256rnds2_epu32(state0, state1, _mm_shuffle_epi32(msg, 0x0E));
		}
		state0 = _mm_add_epi32(state0, save0);
		state1 = _mm_add_epi32(state1, save1);
	}

	tmp = _mm_shuffle_epi32(state0, 0x1B);        /* A B E F (lane 0 first) */
	state1 = _mm_shuffle_epi32(state1, 0xB1);     /* G H C D */
	state0 = _mm_blend_epi16(tmp, state1, 0xF0);  /* A B C D */
	state1 = _mm_alignr_epi8(state1, tmp, 8);     /* E F G H */
	_mm_storeu_si128((__m128i *)&h[0], state0);
	_mm_storeu_si128((__m128i *)&h[4], state1);
}

/* CPUID: leaf 7 EBX bit 29 (SHA), leaf 1 ECX bits 9 (SSSE3) and 19 (SSE4.1). */
static bool cpu_has_shani(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19)))
		return false;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	return b & (1u << 29);
}
#endif

/* 0: not chosen yet, 1: portable, 2: SHA extensions. */
static _Atomic int impl;

static void blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
	int i = atomic_load_explicit(&impl, memory_order_relaxed);

	if (!i) {
		i = 1;
#ifdef SHA256_HAVE_X86
		if (cpu_has_shani())
			i = 2;
#endif
		atomic_store_explicit(&impl, i, memory_order_relaxed);
	}
#ifdef SHA256_HAVE_X86
	if (i == 2) {
		blocks_shani(h, p, n);
		return;
	}
#endif
	blocks_portable(h, p, n);
}

bool sha256_use_accel(bool on)
{
#ifdef SHA256_HAVE_X86
	if (on && cpu_has_shani()) {
		atomic_store_explicit(&impl, 2, memory_order_relaxed);
		return true;
	}
#endif
	atomic_store_explicit(&impl, 1, memory_order_relaxed);
	return !on;
}

void sha256_init(struct sha256 *s)
{
	/* FIPS 180-4 5.3.3: square roots of the first 8 primes. */
	static const uint32_t H0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, H0, sizeof(H0));
	s->bytes = 0;
	s->fill = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->bytes += len;
	if (s->fill) {
		size_t k = us_min_sz(len, sizeof(s->block) - s->fill);

		memcpy(s->block + s->fill, p, k);
		s->fill += k;
		p += k;
		len -= k;
		if (s->fill < sizeof(s->block))
			return;
		blocks(s->h, s->block, 1);
		s->fill = 0;
	}
	if (len >= 64) {
		blocks(s->h, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	memcpy(s->block, p, len);
	s->fill = len;
}

void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_LEN])
{
	uint64_t bits = s->bytes * 8;

	/* FIPS 180-4 5.1.1: a 1 bit, zeros to 448 mod 512 bits, then the 64-bit length. */
	s->block[s->fill++] = 0x80;
	if (s->fill > 56) {
		memset(s->block + s->fill, 0, 64 - s->fill);
		blocks(s->h, s->block, 1);
		s->fill = 0;
	}
	memset(s->block + s->fill, 0, 56 - s->fill);
	wr32(s->block + 56, (uint32_t)(bits >> 32));
	wr32(s->block + 60, (uint32_t)bits);
	blocks(s->h, s->block, 1);
	for (int i = 0; i < 8; i++)
		wr32(out + 4 * i, s->h[i]);
}

void sha256_hex(const uint8_t digest[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < SHA256_DIGEST_LEN; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[2 * SHA256_DIGEST_LEN] = '\0';
}
