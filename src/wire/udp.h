/*
 * udp.h - UDP header (RFC 768), parse and emit, with the pseudo-header checksum.
 */
#ifndef US_WIRE_UDP_H
#define US_WIRE_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "core/counters.h"

enum {
	UDP_OFF_SPORT = 0,
	UDP_OFF_DPORT = 2,
	UDP_OFF_LEN = 4,
	UDP_OFF_CSUM = 6,
	UDP_HDR_LEN = 8,
};

struct udp_repr {
	uint16_t sport;
	uint16_t dport;
	uint16_t payload_len;
	bool csum_zero;       /* parse: the sender sent no checksum (field 0) */
};

/*
 * udp_parse - @buf holds the whole IP payload (@len bytes); @src/@dst (host order)
 * form the pseudo-header. The length field must be >= 8 and <= @len (bytes past it
 * are ignored, RFC 768); the checksum is verified unless @csum_ok or it is zero.
 * Return: US_DROP_NONE, PKT_TOO_SHORT, UDP_LEN or UDP_CSUM.
 */
enum us_drop_reason udp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
			      bool csum_ok, struct udp_repr *out);

/*
 * udp_parse_quoted - the ports of the UDP header an ICMP error quotes: only the first
 * 8 bytes of the datagram are there (RFC 792), so neither length nor checksum can be
 * checked. @len is what the quote holds from the UDP header on.
 * Return: US_DROP_NONE (sport and dport set; payload_len is the length field's, which
 * may be below 8) or PKT_TOO_SHORT.
 */
enum us_drop_reason udp_parse_quoted(const uint8_t *buf, size_t len, struct udp_repr *out);

/* The source port of a header udp_parse accepted (a datagram held in a socket queue). */
static inline uint16_t udp_sport_of(const uint8_t *udp) { return rd16(udp + UDP_OFF_SPORT); }

enum udp_csum_mode {
	UDP_CSUM_FULL,    /* compute over the payload already at buf + 8 */
	UDP_CSUM_PARTIAL, /* store only the pseudo-header sum, for csum offload: the field
			   * gets ~csum_fold(csum_pseudo(...)), the folded, NOT complemented
			   * pseudo-header sum; the device adds the sum from the UDP header on
			   * (this field included), folds and complements (virtio NEEDS_CSUM
			   * with csum_start = UDP header, csum_offset = UDP_OFF_CSUM) */
};

/* Writes the header in front of r->payload_len bytes at buf + 8 (UDP_CSUM_FULL reads
 * them). A computed checksum of 0 is sent as 0xffff (RFC 768). r->csum_zero is ignored. */
void udp_emit(const struct udp_repr *r, uint8_t *buf, uint32_t src, uint32_t dst,
	      enum udp_csum_mode mode);

#endif
