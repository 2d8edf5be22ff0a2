/*
 * frag_util.h - shared by test_frag.c and test_reass.c: a stack on the virtual clock,
 * builders for datagrams and fragments (through wire/ipv4 emit and parse, as
 * ip_input would see them), and a capturing stand-in for icmp_send_error (the test
 * executables link with -Wl,--wrap=icmp_send_error, so ip_reass's call lands here).
 */
#ifndef TEST_IP_FRAG_UTIL_H
#define TEST_IP_FRAG_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "base/bytes.h"
#include "core/stack.h"
#include "icmp/icmp.h"
#include "ip/ip.h"
#include "ustack/ustack.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

#define T_SRC 0xc6120001u /* 198.18.0.1 */
#define T_DST 0xc6120002u /* 198.18.0.2 */
#define T_PROTO_UDP 17

/* ---- icmp_send_error stand-in ---- */
struct icmp_call {
	unsigned count;
	uint8_t type, code;
	uint8_t quoted[28]; /* the first bytes at orig's network header */
};
static struct icmp_call icmp_calls;

void __wrap_icmp_send_error(struct us_stack *st, const struct us_pkt *orig, uint8_t type,
			    uint8_t code, uint32_t info);
void __wrap_icmp_send_error(struct us_stack *st, const struct us_pkt *orig, uint8_t type,
			    uint8_t code, uint32_t info)
{
	(void)st;
	(void)info;
	icmp_calls.count++;
	icmp_calls.type = type;
	icmp_calls.code = code;
	memcpy(icmp_calls.quoted, us_pkt_network(orig), sizeof(icmp_calls.quoted));
}

/* ---- the stack ---- */
static inline struct us_stack *t_stack_new(void)
{
	struct us_stack_opts o = { .virtual_clock = true, .seed = 1, .no_loopback = true };
	struct us_stack *st = us_stack_new(&o);

	assert_non_null(st);
	memset(&icmp_calls, 0, sizeof(icmp_calls));
	return st;
}

static inline void t_stack_free(struct us_stack *st) { us_stack_free(st); }

/* Moves virtual time to @ms and runs what is due, as a poll round does. */
static inline void t_advance_to_ms(struct us_stack *st, uint64_t ms)
{
	us_stack_clock_set(st, ms * 1000000ull);
	us_stack_poll(st);
}

static inline void t_assert_no_leak(struct us_stack *st)
{
	assert_int_equal(st->pool.in_use, 0);
	assert_int_equal(st->pool.large_in_use, 0);
}

#define STAT(st, name) ((st)->counters.stat[US_STAT_##name])
#define DROPS(st, name) ((st)->counters.drop[US_DROP_##name])

/* ---- packets ---- */

/* Byte @i of the payload of test datagram @id: differs between datagrams and offsets. */
static inline uint8_t t_byte(uint16_t id, uint32_t i)
{
	return (uint8_t)(i * 7 + id + (i >> 8));
}

/* A packet holding @len bytes at its data (an IP datagram as received), parsed into @ip
 * as ip_input would before calling ip_local_deliver. */
static inline struct us_pkt *t_pkt_from_bytes(struct us_stack *st, const uint8_t *bytes,
					      size_t len, struct ipv4_repr *ip)
{
	struct us_pkt *p = us_pkt_alloc(&st->pool, len);

	assert_non_null(p);
	memcpy(us_pkt_put(p, len), bytes, len);
	us_pkt_set_network(p);
	assert_int_equal(ipv4_parse(p->data, len, false, ip), US_DROP_NONE);
	return p;
}

/*
 * A fragment of test datagram @id (protocol UDP, no options): payload bytes
 * [off, off + len) of the datagram, with @mf. @fill overrides the contents when >= 0
 * (for overlaps that change data).
 */
static inline struct us_pkt *t_frag(struct us_stack *st, uint16_t id, uint32_t off,
				    uint32_t len, bool mf, int fill, struct ipv4_repr *ip)
{
	struct ipv4_repr r = {
		.hdr_len = IPV4_HDR_LEN, .total_len = (uint16_t)(IPV4_HDR_LEN + len), .id = id,
		.mf = mf, .frag_off = (uint16_t)off, .ttl = 64, .proto = T_PROTO_UDP,
		.src = T_SRC, .dst = T_DST,
	};
	struct us_pkt *p = us_pkt_alloc(&st->pool, IPV4_HDR_LEN + len);
	uint8_t *d;

	assert_non_null(p);
	d = us_pkt_put(p, IPV4_HDR_LEN + len);
	ipv4_emit(&r, NULL, d);
	for (uint32_t i = 0; i < len; i++)
		d[IPV4_HDR_LEN + i] = fill >= 0 ? (uint8_t)fill : t_byte(id, off + i);
	us_pkt_set_network(p);
	assert_int_equal(ipv4_parse(d, IPV4_HDR_LEN + len, false, ip), US_DROP_NONE);
	return p;
}

/* Feeds one fragment; returns what ip_reass returned. */
static inline struct us_pkt *t_feed(struct us_stack *st, struct us_pkt *p,
				    struct ipv4_repr *ip)
{
	return ip_reass(st, p, ip);
}

static inline size_t t_usage_bytes(struct us_stack *st)
{
	size_t bytes;
	unsigned n;

	reasm_usage(st, &bytes, &n);
	return bytes;
}

static inline unsigned t_usage_dgrams(struct us_stack *st)
{
	size_t bytes;
	unsigned n;

	reasm_usage(st, &bytes, &n);
	return n;
}

/* Checks that @p holds test datagram @id with @plen payload bytes, reassembled. */
static inline void t_check_dgram(const struct us_pkt *p, const struct ipv4_repr *ip,
				 uint16_t id, uint32_t plen)
{
	const uint8_t *d = p->data;

	assert_int_equal(us_pkt_len(p), IPV4_HDR_LEN + plen);
	assert_int_equal(ip->total_len, IPV4_HDR_LEN + plen);
	assert_false(ip->mf);
	assert_int_equal(ip->frag_off, 0);
	assert_int_equal(ip->id, id);
	assert_int_equal(rd16(d + IPV4_OFF_LEN), IPV4_HDR_LEN + plen);
	assert_int_equal(rd16(d + IPV4_OFF_FRAG), 0);
	assert_int_equal(csum_fold(csum_partial(d, IPV4_HDR_LEN, 0)), 0); /* header checksum ok */
	for (uint32_t i = 0; i < plen; i++)
		if (d[IPV4_HDR_LEN + i] != t_byte(id, i))
			fail_msg("payload byte %u: %02x, expected %02x", i, d[IPV4_HDR_LEN + i],
				 t_byte(id, i));
}

#endif
