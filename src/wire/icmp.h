/*
 * icmp.h - ICMPv4 messages (RFC 792, RFC 1191 for fragmentation-needed), parse
 * and emit. The 4 bytes after type/code/checksum are kept raw in `rest` and
 * decoded by the accessors for echo (id, seq), frag-needed (mtu), redirect
 * (gateway) and parameter problem (pointer).
 */
#ifndef US_WIRE_ICMP_H
#define US_WIRE_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "core/counters.h"

enum {
	ICMP_OFF_TYPE = 0,
	ICMP_OFF_CODE = 1,
	ICMP_OFF_CSUM = 2,
	ICMP_OFF_REST = 4,
	ICMP_HDR_LEN = 8,
};

enum {
	ICMP_ECHOREPLY = 0,
	ICMP_DEST_UNREACH = 3,
	ICMP_SOURCE_QUENCH = 4,
	ICMP_REDIRECT = 5,
	ICMP_ECHO = 8,
	ICMP_TIME_EXCEEDED = 11,
	ICMP_PARAMETERPROB = 12,
	ICMP_TIMESTAMP = 13,
	ICMP_TIMESTAMPREPLY = 14,
};

/* Destination unreachable codes (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1). */
enum {
	ICMP_NET_UNREACH = 0,
	ICMP_HOST_UNREACH = 1,
	ICMP_PROT_UNREACH = 2,
	ICMP_PORT_UNREACH = 3,
	ICMP_FRAG_NEEDED = 4,
	ICMP_SR_FAILED = 5,
	ICMP_NET_UNKNOWN = 6,
	ICMP_HOST_UNKNOWN = 7,
	ICMP_NET_ANO = 9,
	ICMP_HOST_ANO = 10,
	ICMP_PKT_FILTERED = 13, /* communication administratively prohibited */
};

/* Time exceeded codes. */
enum { ICMP_EXC_TTL = 0, ICMP_EXC_FRAGTIME = 1 };

struct icmp_repr {
	uint8_t type;
	uint8_t code;
	uint32_t rest;        /* bytes 4..7, host order */
	size_t payload_len;   /* bytes after the 8-byte header */
};

static inline uint16_t icmp_echo_id(const struct icmp_repr *r) { return (uint16_t)(r->rest >> 16); }
static inline uint16_t icmp_echo_seq(const struct icmp_repr *r) { return (uint16_t)r->rest; }
static inline uint16_t icmp_frag_mtu(const struct icmp_repr *r) { return (uint16_t)r->rest; }
static inline uint32_t icmp_gateway(const struct icmp_repr *r) { return r->rest; }
static inline uint8_t icmp_param_pointer(const struct icmp_repr *r) { return (uint8_t)(r->rest >> 24); }
static inline uint32_t icmp_rest_echo(uint16_t id, uint16_t seq) { return ((uint32_t)id << 16) | seq; }
/* The identifier and sequence number of an echo header (at least ICMP_HDR_LEN bytes at
 * @icmp) that its owner built or icmp_parse accepted. */
static inline uint16_t icmp_echo_id_of(const uint8_t *icmp) { return rd16(icmp + ICMP_OFF_REST); }
static inline uint16_t icmp_echo_seq_of(const uint8_t *icmp) { return rd16(icmp + ICMP_OFF_REST + 2); }

/* Is this type an error message (quotes an IP header)? RFC 1122 3.2.2. */
static inline bool icmp_is_error(uint8_t type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH || type == ICMP_REDIRECT ||
	       type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
}

/*
 * icmp_parse - decode the message of @len bytes at @buf (the whole ICMP message:
 * the checksum covers all of it). @csum_ok skips verification.
 * Return: US_DROP_NONE, PKT_TOO_SHORT or ICMP_CSUM.
 */
enum us_drop_reason icmp_parse(const uint8_t *buf, size_t len, bool csum_ok, struct icmp_repr *out);

/* Writes the 8-byte header in front of r->payload_len bytes already at buf + 8, with the
 * checksum over both. */
void icmp_emit(const struct icmp_repr *r, uint8_t *buf);

#endif
