/*
 * hash.h - keyed hashing for tables that hold attacker-chosen keys (4-tuples,
 * neighbour addresses, reassembly ids): SipHash-2-4 with a per-stack random key,
 * so nobody can aim a flood of packets at one hash chain.
 */
#ifndef US_BASE_HASH_H
#define US_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

struct us_siphash_key {
	uint64_t k0, k1;
};

/*
 * us_splitmix64 - advances @state and returns the next value of SplitMix64
 * (Steele, Lea & Flood, 2014): seeds every deterministic generator and derived
 * seed in the project (simulator, link emulator, impairments, seeded stacks).
 */
static inline uint64_t us_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A well-mixed, never-zero 64-bit value derived from @x (one SplitMix64 step). */
static inline uint64_t us_mix64(uint64_t x)
{
	uint64_t z = us_splitmix64(&x);

	return z ? z : 1;
}

/* SipHash-2-4 of @len bytes (Aumasson & Bernstein, 2012). */
uint64_t us_siphash(const struct us_siphash_key *key, const void *data, size_t len);

/* Convenience for fixed-size keys made of words. */
uint64_t us_siphash_3u32(const struct us_siphash_key *key, uint32_t a, uint32_t b, uint32_t c);

/* Fills @key from getrandom(); falls back to a time-based mix only if that fails. */
void us_siphash_key_random(struct us_siphash_key *key);

#endif
