/*
 * tcp.h - TCP header and options (RFC 9293 3.1; MSS RFC 9293 3.7.1; window scale
 * and timestamps RFC 7323; SACK-permitted and SACK RFC 2018), parse and emit.
 */
#ifndef US_WIRE_TCP_H
#define US_WIRE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"

enum {
	TCP_OFF_SPORT = 0,
	TCP_OFF_DPORT = 2,
	TCP_OFF_SEQ = 4,
	TCP_OFF_ACK = 8,
	TCP_OFF_DOFF = 12,
	TCP_OFF_FLAGS = 13,
	TCP_OFF_WIN = 14,
	TCP_OFF_CSUM = 16,
	TCP_OFF_URG = 18,
	TCP_HDR_LEN = 20,
	TCP_MAX_HDR_LEN = 60,
	TCP_MAX_SACK = 4,
};

enum {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
	TCP_URG = 0x20,
	TCP_ECE = 0x40,
	TCP_CWR = 0x80,
};

enum {
	TCPOPT_EOL = 0,
	TCPOPT_NOP = 1,
	TCPOPT_MSS = 2,
	TCPOPT_WSCALE = 3,
	TCPOPT_SACK_PERM = 4,
	TCPOPT_SACK = 5,
	TCPOPT_TIMESTAMP = 8,
};

struct tcp_sack_block {
	uint32_t start, end;
};

struct tcp_opts {
	bool mss_present;
	uint16_t mss;
	bool wscale_present;
	uint8_t wscale;        /* as received; RFC 7323 2.3: values > 14 are used as 14 by the caller */
	bool sack_perm;
	uint8_t sack_count;
	struct tcp_sack_block sack[TCP_MAX_SACK];
	bool ts_present;
	uint32_t tsval, tsecr;
};

struct tcp_repr {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t hdr_len;       /* data offset * 4 */
	uint8_t flags;         /* TCP_FIN ... TCP_CWR */
	uint16_t window;       /* raw, unscaled */
	uint16_t urg_ptr;
	struct tcp_opts opts;
	size_t payload_len;
};

/*
 * tcp_parse - @buf holds the whole segment (@len bytes); @src/@dst (host order) form
 * the pseudo-header. Checks the data offset (>= 20, <= len), every option's length,
 * and the checksum unless @csum_ok. Unknown options are skipped; malformed known
 * options (wrong length) fail.
 * Return: US_DROP_NONE, PKT_TOO_SHORT (fewer than 20 bytes), TCP_MALFORMED (data
 * offset < 5 or past the segment; an option without room for its length byte, with a
 * length < 2, running past the header, or a known kind with the wrong length: MSS 4,
 * WSCALE 3, SACK_PERM 2, TIMESTAMP 10, SACK 2+8n with n 1..4) or TCP_CSUM. The checksum
 * is checked before the options. Options seen several times: the last one counts.
 */
enum us_drop_reason tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
			      bool csum_ok, struct tcp_repr *out);

/* Header length that tcp_emit will write for @r's options (padded to 4 bytes, at most
 * TCP_MAX_HDR_LEN). r->hdr_len is not read: emit derives the length from r->opts. */
size_t tcp_hdr_len(const struct tcp_repr *r);

/* How many of r->opts.sack_count blocks fit next to the other options (RFC 2018 3:
 * 4 alone, 3 with timestamps); tcp_emit writes only these, the first ones. */
unsigned tcp_sack_blocks_fit(const struct tcp_repr *r);

enum tcp_csum_mode {
	TCP_CSUM_FULL,    /* compute over header and the payload already in place */
	TCP_CSUM_PARTIAL, /* checksum offload: the field gets ~csum_fold(csum_pseudo(...)),
			   * the folded, NOT complemented pseudo-header sum; the device sums
			   * from the TCP header on, folds and complements (virtio NEEDS_CSUM,
			   * csum_start = TCP header, csum_offset = TCP_OFF_CSUM) */
};

/* Writes tcp_hdr_len(r) bytes in front of r->payload_len bytes already in place.
 * Options are written in Linux's order and alignment (tcp_options_write): MSS
 * `02 04 mm mm`; timestamps with SACK-permitted `04 02 08 0a val ecr` or without it
 * `01 01 08 0a val ecr`; SACK-permitted alone `01 01 04 02`; window scale `01 03 03 ws`;
 * SACK `01 01 05 len` + blocks. Every option is present iff its flag/count in r->opts
 * says so; the caller decides which belong on which segment (e.g. MSS only on SYN). */
void tcp_emit(const struct tcp_repr *r, uint8_t *buf, uint32_t src, uint32_t dst,
	      enum tcp_csum_mode mode);

#endif
