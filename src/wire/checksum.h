/*
 * checksum.h - the Internet checksum (RFC 1071), the IPv4 pseudo-header sum and
 * the incremental update (RFC 1624). Addresses are host order here.
 */
#ifndef US_WIRE_CHECKSUM_H
#define US_WIRE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Adds @len bytes at @buf (big-endian 16-bit words, odd tail padded) to @sum; unfolded. */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);
/* Folds to 16 bits and complements: the value to store in a checksum field. */
uint16_t csum_fold(uint32_t sum);
/* Unfolded sum of the IPv4 pseudo-header (RFC 793 3.1 / RFC 768). */
uint32_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len);
/* RFC 1624 eqn. 3: the checksum after a 16-bit field changes from @old to @new. */
uint16_t csum_replace16(uint16_t check, uint16_t old, uint16_t new_);
/*
 * csum_finish_partial - complete a checksum left to the device (virtio NEEDS_CSUM,
 * Linux CHECKSUM_PARTIAL): the 16-bit field at @start + @field_off holds the folded,
 * not complemented pseudo-header sum; sum the @len bytes from @start (that field
 * included), complement and store the result there. A result of 0 is stored as
 * 0xffff, its one's-complement equal (RFC 768 requires it for UDP; for TCP either
 * is valid). @field_off + 2 <= @len (the caller checked).
 */
void csum_finish_partial(uint8_t *start, size_t len, size_t field_off);

#endif
