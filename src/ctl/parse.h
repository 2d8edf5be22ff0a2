/*
 * parse.h - strict parsers for the words of control commands and daemon
 * options: IPv4 addresses, prefixes, MAC addresses, bounded numbers, durations
 * and the arguments of `route add/del`. Pure functions: no stack involved, so
 * they are unit-tested directly (tests/unit/ctl/test_parse.c).
 *
 * Every parser accepts exactly the documented syntax (no trailing garbage, no
 * signs, no octal or hex surprises) and returns 0 or -EINVAL / -ERANGE.
 * Addresses are host byte order.
 */
#ifndef US_CTL_PARSE_H
#define US_CTL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Dotted quad "A.B.C.D", each part 0-255 in decimal without leading zeros. */
int ctl_parse_ipv4(const char *s, uint32_t *addr);

/*
 * ctl_parse_prefix - "A.B.C.D/LEN" (LEN 0-32). Without "/LEN", @plen is 32 when
 * @len_optional, else -EINVAL. With @host_bits_zero, an address with bits set
 * past the prefix is refused (-EINVAL), as `ip route` does.
 */
int ctl_parse_prefix(const char *s, uint32_t *addr, unsigned *plen, bool len_optional,
		     bool host_bits_zero);

/* "aa:bb:cc:dd:ee:ff": six hex bytes of one or two digits, separated by ':'. */
int ctl_parse_mac(const char *s, uint8_t mac[6]);

/* Decimal unsigned integer in [min, max]. -EINVAL if not a number, -ERANGE if outside. */
int ctl_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Seconds with an optional fraction of up to 9 digits ("1", "0.01", ".5") into ns,
 * in [min_ns, max_ns]. */
int ctl_parse_seconds(const char *s, uint64_t min_ns, uint64_t max_ns, uint64_t *ns);

/* Device names: 1-15 characters, no '/', ':' , whitespace or NUL (as Linux's dev_valid_name). */
bool ctl_valid_ifname(const char *s);

/* Netmask of a prefix length (0..32), host order. */
static inline uint32_t ctl_plen_mask(unsigned plen)
{
	return plen == 0 ? 0 : (uint32_t)(0xffffffffu << (32 - plen));
}

/* Formatting helpers: "198.18.0.2", "aa:bb:cc:dd:ee:ff". Return @buf. */
#define CTL_IPV4_STRLEN 16
#define CTL_MAC_STRLEN 18
const char *ctl_fmt_ipv4(uint32_t addr, char buf[CTL_IPV4_STRLEN]);
const char *ctl_fmt_mac(const uint8_t mac[6], char buf[CTL_MAC_STRLEN]);

/* `route add|del [TYPE] PREFIX|default [via GW] [dev DEV] [metric N]` */
struct ctl_route_args {
	const char *type;   /* "unicast" (default), "blackhole", "unreachable", "prohibit" */
	uint32_t dst;
	unsigned plen;
	bool has_gateway;
	uint32_t gateway;
	const char *dev;    /* NULL if not given; points into argv */
	bool has_metric;
	uint32_t metric;
};

/*
 * ctl_parse_route_args - parse the words after "route add" or "route del" (@for_add
 * selects the checks: an added unicast route needs "via" or "dev"; the other types
 * take no gateway). On failure returns -EINVAL and writes a one-line reason to @err.
 */
int ctl_parse_route_args(int argc, char *const argv[], bool for_add, struct ctl_route_args *out,
			 char *err, size_t errlen);

#endif
