/*
 * ipv4.h - IPv4 header and options (RFC 791), parse and emit.
 *
 * ipv4_parse checks, in RFC 1122 3.2.1 / RFC 1812 5.2.2 order: the buffer holds
 * 20 bytes; version 4; IHL >= 5; IHL*4 <= buffer; total length >= IHL*4 and
 * <= buffer (the caller trims link padding to total length afterwards); the
 * header checksum (unless the device verified it); and that the options are
 * well formed (every option's length inside the header, no zero-length option).
 */
#ifndef US_WIRE_IPV4_H
#define US_WIRE_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "core/counters.h"

enum {
	IPV4_OFF_VER_IHL = 0,
	IPV4_OFF_TOS = 1,
	IPV4_OFF_LEN = 2,
	IPV4_OFF_ID = 4,
	IPV4_OFF_FRAG = 6,
	IPV4_OFF_TTL = 8,
	IPV4_OFF_PROTO = 9,
	IPV4_OFF_CSUM = 10,
	IPV4_OFF_SRC = 12,
	IPV4_OFF_DST = 16,
	IPV4_HDR_LEN = 20,
	IPV4_MAX_HDR_LEN = 60,
	IPV4_MAX_LEN = 65535,
};

enum { IPV4_FLAG_DF = 0x4000, IPV4_FLAG_MF = 0x2000, IPV4_FRAG_MASK = 0x1fff };

/* Option types (RFC 791 3.1, IANA). */
enum {
	IPOPT_END = 0,
	IPOPT_NOP = 1,
	IPOPT_RR = 7,
	IPOPT_TS = 68,
	IPOPT_SEC = 130,
	IPOPT_LSRR = 131,
	IPOPT_SSRR = 137,
	IPOPT_RA = 148,
};

struct ipv4_repr {
	uint8_t hdr_len;      /* IHL * 4 */
	uint8_t tos;
	uint16_t total_len;
	uint16_t id;
	bool df, mf;
	uint16_t frag_off;    /* in bytes (field * 8) */
	uint8_t ttl;
	uint8_t proto;
	uint32_t src, dst;    /* host order */
	/* options: found by parse; bytes remain at buf + 20 .. hdr_len */
	uint8_t opt_len;      /* hdr_len - 20 */
	bool opt_srcroute;    /* LSRR or SSRR present */
	bool opt_rr;          /* record route */
	bool opt_ts;          /* timestamp */
	bool opt_ra;          /* router alert (RFC 2113, length 4) */
	uint8_t opt_err_off;  /* on IP_BAD_OPTIONS: offset from the header start of the first
			       * bad byte, for an ICMP parameter problem pointer (RFC 1122
			       * 3.2.2.5); 0 otherwise */
};

/*
 * ipv4_parse - validate and decode an IPv4 header at @buf (@len bytes available).
 * @csum_ok: the device already verified the header checksum.
 * Return: US_DROP_NONE, or PKT_TOO_SHORT (fewer than 20 bytes, or fewer than IHL*4),
 * IP_VERSION, IP_IHL, IP_TOTAL_LEN, IP_CSUM, IP_BAD_OPTIONS. On IP_BAD_OPTIONS every
 * field of *out is filled (the opt_* flags only up to the bad option) and opt_err_off
 * says where; on IP_TOTAL_LEN out->hdr_len and out->total_len are filled (so the
 * caller can tell a truncated frame, total_len > @len, from a lying header); on other
 * failures *out is unspecified.
 *
 * Options are walked as RFC 791 3.1 lays them out: END ends the list, NOP is one
 * byte, every other option has a length byte >= 2 and lies inside the header.
 * Beyond that, as Linux's ip_options_compile: record route and source routes need
 * length >= 3 and a pointer >= 4 that leaves room for a whole address when it is
 * not past the end; timestamp needs length >= 4, pointer >= 5 and a known flag;
 * source route, record route and timestamp may each appear only once.
 */
enum us_drop_reason ipv4_parse(const uint8_t *buf, size_t len, bool csum_ok,
			       struct ipv4_repr *out);

/*
 * ipv4_parse_quoted - decode the IP header an ICMP error quotes (@len bytes at @buf).
 * Unlike ipv4_parse, the quote may stop after the header plus 8 bytes (RFC 792), so
 * its total length is only checked to cover the header, not against @len, and its
 * checksum is not verified (a router may quote a header it already changed, such as
 * the TTL), and its options are not judged (the parameter problem answering a datagram
 * with a bad option quotes that option, RFC 1122 3.2.2.5). Everything else is checked
 * as ipv4_parse does; out->total_len is the original datagram's.
 * Return: US_DROP_NONE or US_DROP_ICMP_MALFORMED.
 */
enum us_drop_reason ipv4_parse_quoted(const uint8_t *buf, size_t len, struct ipv4_repr *out);

/*
 * ipv4_emit - write a header of r->hdr_len bytes (20 + r->opt_len) with its checksum.
 * @opts: r->opt_len bytes of options to copy after the fixed header (may be NULL
 * when opt_len is 0). Flags/offset come from df, mf and frag_off.
 * The length written is always 20 + r->opt_len (r->hdr_len is not read); opt_len must
 * be a multiple of 4 and at most 40, frag_off a multiple of 8 (asserted).
 */
void ipv4_emit(const struct ipv4_repr *r, const uint8_t *opts, uint8_t *buf);

/*
 * ipv4_fragment_options - RFC 791 3.1: only options with the copied flag
 * (bit 0x80) go into fragments after the first. Writes them to @out (padded to 4
 * with END) and returns their length.
 */
size_t ipv4_fragment_options(const uint8_t *opts, size_t opt_len, uint8_t *out);

/*
 * Fields of a header that ipv4_parse has accepted, read again without validating:
 * for code that holds datagrams and needs their layout later (reassembly).
 */
static inline unsigned ipv4_hdr_len(const uint8_t *hdr) { return (hdr[IPV4_OFF_VER_IHL] & 0x0fu) * 4; }
/* The fragment offset in bytes. */
static inline unsigned ipv4_frag_off(const uint8_t *hdr)
{
	return (rd16(hdr + IPV4_OFF_FRAG) & IPV4_FRAG_MASK) * 8u;
}
static inline bool ipv4_more_frags(const uint8_t *hdr)
{
	return (rd16(hdr + IPV4_OFF_FRAG) & IPV4_FLAG_MF) != 0;
}
static inline uint32_t ipv4_src_of(const uint8_t *hdr) { return rd32(hdr + IPV4_OFF_SRC); }
static inline uint8_t ipv4_ttl_of(const uint8_t *hdr) { return hdr[IPV4_OFF_TTL]; }

/*
 * ipv4_decrement_ttl - RFC 1812 5.3.1: lower the TTL of the valid header at @hdr by
 * one (it is > 0) and update the header checksum incrementally (RFC 1624 eqn. 3, over
 * the TTL/protocol word) instead of summing the header again.
 */
void ipv4_decrement_ttl(uint8_t *hdr);

/*
 * ipv4_set_reassembled - RFC 791 3.2: turn the valid header of fragment zero at @hdr
 * into the header of the reassembled datagram of @total_len bytes: the total length
 * set, MF and the fragment offset cleared (DF kept), the checksum recomputed.
 */
void ipv4_set_reassembled(uint8_t *hdr, uint16_t total_len);

/* Classifications of addresses (host order), RFC 1122 3.2.1.3 / RFC 5735. */
static inline bool ipv4_is_zeronet(uint32_t a) { return (a >> 24) == 0; }
static inline bool ipv4_is_loopback(uint32_t a) { return (a >> 24) == 127; }
static inline bool ipv4_is_multicast(uint32_t a) { return (a >> 28) == 0xe; }
static inline bool ipv4_is_lbcast(uint32_t a) { return a == 0xffffffffu; }
static inline bool ipv4_is_class_e(uint32_t a) { return (a >> 28) == 0xf && a != 0xffffffffu; }

#endif
