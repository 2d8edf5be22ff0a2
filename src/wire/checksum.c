/*
 * checksum.c - the Internet checksum (RFC 1071), the IPv4 pseudo-header sum
 * (RFC 768, RFC 9293 3.1) and the incremental update (RFC 1624).
 *
 * Sums are kept "unfolded" in a uint32_t so that several pieces (pseudo-header,
 * header, payload) can be added cheaply before one final csum_fold. Bytes are
 * always read as big-endian 16-bit words (RFC 1071 section 2: the sum is byte
 * order independent, but reading network order keeps every intermediate value
 * meaningful when printed and lets csum_pseudo take host-order addresses).
 */
#include "wire/checksum.h"

#include "base/bytes.h"

/* Folds a 64-bit accumulator to 32 bits, keeping the end-around carries (RFC 1071 2(B)). */
static uint32_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

/* Folds a 32-bit sum to 16 bits without complementing. */
static uint16_t fold32(uint32_t s)
{
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

/*
 * Adding 32-bit big-endian words into a wide accumulator and folding at the end
 * gives the same one's-complement sum as adding 16-bit words (RFC 1071 section
 * 2(C), "parallel summation"). An odd final byte is the high half of a word
 * padded with a zero byte (RFC 1071 section 4.1). Only the last piece of a
 * chained sum may have an odd length.
 */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;

	while (len >= 4) {
		acc += rd32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		acc += rd16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;
	return fold64(acc);
}

uint16_t csum_fold(uint32_t sum)
{
	return (uint16_t)~fold32(sum);
}

uint32_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len)
{
	uint64_t acc = 0;

	acc += src >> 16;
	acc += src & 0xffffu;
	acc += dst >> 16;
	acc += dst & 0xffffu;
	acc += proto;  /* zero byte, then the protocol */
	acc += l4_len;
	return fold64(acc);
}

/*
 * RFC 1624 section 3, eqn. 3: HC' = ~(~HC + ~m + m'). Unlike eqn. 2 this never
 * produces the -0 (0x0000 from 0xffff) corner case the RFC describes for
 * updates that leave the sum unchanged.
 */
uint16_t csum_replace16(uint16_t check, uint16_t old, uint16_t new_)
{
	uint32_t s = (uint16_t)~check;

	s += (uint16_t)~old;
	s += new_;
	return (uint16_t)~fold32(s);
}

void csum_finish_partial(uint8_t *start, size_t len, size_t field_off)
{
	uint16_t sum = csum_fold(csum_partial(start, len, 0));

	wr16(start + field_off, sum ? sum : 0xffff);
}
