/*
 * icmp.c - ICMPv4 messages (RFC 792), parse and emit.
 *
 * Every ICMP message starts with type, code and a checksum over the whole
 * message (RFC 792 "Checksum": from the ICMP type on, odd lengths padded with
 * a zero byte), followed by 4 type-dependent bytes; only those 8 bytes are
 * common, so only they are decoded here. What follows them (echo data, the
 * quoted IP header of an error) is handed on as payload for icmp/ to judge.
 */
#include "wire/icmp.h"

#include "base/bytes.h"
#include "wire/checksum.h"

enum us_drop_reason icmp_parse(const uint8_t *buf, size_t len, bool csum_ok, struct icmp_repr *out)
{
	if (len < ICMP_HDR_LEN)
		return US_DROP_PKT_TOO_SHORT;
	/* RFC 1122 3.2.2: a message with a bad checksum MUST be silently discarded. */
	if (!csum_ok && csum_fold(csum_partial(buf, len, 0)) != 0)
		return US_DROP_ICMP_CSUM;
	out->type = buf[ICMP_OFF_TYPE];
	out->code = buf[ICMP_OFF_CODE];
	out->rest = rd32(buf + ICMP_OFF_REST);
	out->payload_len = len - ICMP_HDR_LEN;
	return US_DROP_NONE;
}

void icmp_emit(const struct icmp_repr *r, uint8_t *buf)
{
	buf[ICMP_OFF_TYPE] = r->type;
	buf[ICMP_OFF_CODE] = r->code;
	wr16(buf + ICMP_OFF_CSUM, 0);
	wr32(buf + ICMP_OFF_REST, r->rest);
	wr16(buf + ICMP_OFF_CSUM, csum_fold(csum_partial(buf, ICMP_HDR_LEN + r->payload_len, 0)));
}
