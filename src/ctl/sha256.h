/*
 * sha256.h - SHA-256 (FIPS 180-4), incremental, for the HTTP service's upload
 * digests: a client compares the digest the service returns with its own
 * (sha256sum, hashlib) to check a transfer byte for byte. Not constant-time and
 * not meant for secrets.
 */
#ifndef US_CTL_SHA256_H
#define US_CTL_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN (2 * SHA256_DIGEST_LEN + 1) /* with the NUL */

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;          /* message length so far */
	uint8_t block[64];       /* a partial block */
	size_t fill;             /* bytes in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Pads, writes the digest; @s must be initialised again before reuse. */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_LEN]);
/* For tests: use the SHA extensions (@on, when the CPU has them) or the portable code.
 * Returns whether the asked implementation is in use. By default the fastest is used. */
bool sha256_use_accel(bool on);
/* Lower-case hex of a digest, NUL-terminated. */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN]);

#endif
