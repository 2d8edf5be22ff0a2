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
 * Return: US_DROP_NONE, PKT_TOO_SHORT, TCP_MALFORMED or TCP_CSUM.
 */
enum us_drop_reason tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
			      bool csum_ok, struct tcp_repr *out);

/* Header length that tcp_emit will write for @r's options (padded to 4 bytes). */
size_t tcp_hdr_len(const struct tcp_repr *r);

enum tcp_csum_mode { TCP_CSUM_FULL, TCP_CSUM_PARTIAL };

/* Writes tcp_hdr_len(r) bytes in front of r->payload_len bytes already in place.
 * Options are written in Linux's order and alignment (MSS, SACK-perm+TS or NOP NOP TS,
 * NOP WSCALE, NOP NOP SACK blocks). */
void tcp_emit(const struct tcp_repr *r, uint8_t *buf, uint32_t src, uint32_t dst,
	      enum tcp_csum_mode mode);

#endif
