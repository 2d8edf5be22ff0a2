/*
 * parse.c - the strict word parsers of parse.h.
 */
#include "ctl/parse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads a decimal of at most @max_digits digits at *s, advancing *s. -EINVAL if none. */
static int read_dec(const char **s, unsigned max_digits, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;
	unsigned n = 0;

	while (is_digit(*p)) {
		if (++n > max_digits)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	if (n == 0)
		return -EINVAL;
	*out = v;
	*s = p;
	return 0;
}

/* Parses a dotted quad at *s and leaves *s after it. */
static int read_ipv4(const char **s, uint32_t *addr)
{
	const char *p = *s;
	uint32_t a = 0;

	for (int i = 0; i < 4; i++) {
		const char *start = p;
		uint64_t part;

		if (i > 0) {
			if (*p != '.')
				return -EINVAL;
			start = ++p;
		}
		if (read_dec(&p, 3, &part) < 0 || part > 255)
			return -EINVAL;
		if (p - start > 1 && *start == '0')
			return -EINVAL; /* "010" could mean octal 8 to inet_aton; refuse it */
		a = (a << 8) | (uint32_t)part;
	}
	*addr = a;
	*s = p;
	return 0;
}

int ctl_parse_ipv4(const char *s, uint32_t *addr)
{
	uint32_t a;

	if (!s || read_ipv4(&s, &a) < 0 || *s)
		return -EINVAL;
	*addr = a;
	return 0;
}

int ctl_parse_prefix(const char *s, uint32_t *addr, unsigned *plen, bool len_optional,
		     bool host_bits_zero)
{
	uint32_t a;
	uint64_t len = 32;

	if (!s || read_ipv4(&s, &a) < 0)
		return -EINVAL;
	if (*s == '/') {
		const char *start = ++s;
		if (read_dec(&s, 2, &len) < 0 || *s || len > 32)
			return -EINVAL;
		if (s - start > 1 && *start == '0')
			return -EINVAL;
	} else if (*s || !len_optional) {
		return -EINVAL;
	}
	if (host_bits_zero && (a & ~ctl_plen_mask((unsigned)len)))
		return -EINVAL;
	*addr = a;
	*plen = (unsigned)len;
	return 0;
}

int ctl_parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t m[6];

	if (!s)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi, lo;

		if (i > 0 && *s++ != ':')
			return -EINVAL;
		hi = hex_val(s[0]);
		if (hi < 0)
			return -EINVAL;
		lo = hex_val(s[1]);
		if (lo < 0) {
			m[i] = (uint8_t)hi;
			s += 1;
		} else {
			m[i] = (uint8_t)(hi << 4 | lo);
			s += 2;
		}
	}
	if (*s)
		return -EINVAL;
	memcpy(mac, m, 6);
	return 0;
}

int ctl_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int err;

	if (!s)
		return -EINVAL;
	err = read_dec(&s, 19, &v); /* 19 digits always fit in 64 bits */
	if (err == -ERANGE)
		return *s && !is_digit(*s) ? -EINVAL : -ERANGE;
	if (err < 0 || *s)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int ctl_parse_seconds(const char *s, uint64_t min_ns, uint64_t max_ns, uint64_t *ns)
{
	uint64_t whole = 0, frac = 0, v;
	unsigned frac_digits = 0;
	bool any = false;

	if (!s)
		return -EINVAL;
	if (is_digit(*s)) {
		int err = read_dec(&s, 9, &whole); /* up to 999999999 s */
		if (err < 0)
			return err;
		any = true;
	}
	if (*s == '.') {
		s++;
		while (is_digit(*s)) {
			if (frac_digits == 9)
				return -EINVAL; /* finer than a nanosecond */
			frac = frac * 10 + (uint64_t)(*s - '0');
			frac_digits++;
			s++;
			any = true;
		}
	}
	if (!any || *s)
		return -EINVAL;
	while (frac_digits++ < 9)
		frac *= 10;
	v = whole * 1000000000ULL + frac;
	if (v < min_ns || v > max_ns)
		return -ERANGE;
	*ns = v;
	return 0;
}

bool ctl_valid_ifname(const char *s)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n == 0 || n >= 16 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '/' || c == ':' || c <= ' ' || c == 0x7f)
			return false;
	}
	return true;
}

const char *ctl_fmt_ipv4(uint32_t a, char buf[CTL_IPV4_STRLEN])
{
	snprintf(buf, CTL_IPV4_STRLEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
		 a & 0xff);
	return buf;
}

const char *ctl_fmt_mac(const uint8_t m[6], char buf[CTL_MAC_STRLEN])
{
	snprintf(buf, CTL_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		 m[4], m[5]);
	return buf;
}

static const char *const route_types[] = { "unicast", "blackhole", "unreachable", "prohibit" };

int ctl_parse_route_args(int argc, char *const argv[], bool for_add, struct ctl_route_args *out,
			 char *err, size_t errlen)
{
	struct ctl_route_args r = { .type = "unicast" };
	int i = 0;

	if (i < argc) {
		for (size_t t = 0; t < sizeof(route_types) / sizeof(route_types[0]); t++)
			if (!strcmp(argv[i], route_types[t])) {
				r.type = route_types[t];
				i++;
				break;
			}
	}
	if (i >= argc) {
		snprintf(err, errlen, "missing destination prefix (A.B.C.D/LEN or default)");
		return -EINVAL;
	}
	if (!strcmp(argv[i], "default") || !strcmp(argv[i], "0/0") || !strcmp(argv[i], "any")) {
		r.dst = 0;
		r.plen = 0;
	} else if (ctl_parse_prefix(argv[i], &r.dst, &r.plen, true, false) < 0) {
		snprintf(err, errlen, "invalid prefix \"%s\" (expected A.B.C.D/LEN or default)",
			 argv[i]);
		return -EINVAL;
	} else if (r.dst & ~ctl_plen_mask(r.plen)) {
		snprintf(err, errlen, "invalid prefix \"%s\": host bits set past /%u", argv[i],
			 r.plen);
		return -EINVAL;
	}
	for (i++; i < argc; i += 2) { /* keyword, value */
		const char *kw = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(kw, "via") && strcmp(kw, "dev") && strcmp(kw, "metric")) {
			snprintf(err, errlen, "unknown route argument \"%s\"", kw);
			return -EINVAL;
		}
		if (!val) {
			snprintf(err, errlen, "\"%s\" needs a value", kw);
			return -EINVAL;
		}
		if (!strcmp(kw, "via") ? r.has_gateway : !strcmp(kw, "dev") ? r.dev != NULL
										  : r.has_metric) {
			snprintf(err, errlen, "duplicate \"%s\"", kw);
			return -EINVAL;
		}
		if (!strcmp(kw, "via")) {
			if (ctl_parse_ipv4(val, &r.gateway) < 0) {
				snprintf(err, errlen, "invalid gateway \"%s\"", val);
				return -EINVAL;
			}
			r.has_gateway = true;
		} else if (!strcmp(kw, "dev")) {
			if (!ctl_valid_ifname(val)) {
				snprintf(err, errlen, "invalid device name \"%s\"", val);
				return -EINVAL;
			}
			r.dev = val;
		} else {
			uint64_t m;
			if (ctl_parse_u64(val, 0, UINT32_MAX, &m) < 0) {
				snprintf(err, errlen, "invalid metric \"%s\"", val);
				return -EINVAL;
			}
			r.has_metric = true;
			r.metric = (uint32_t)m;
		}
	}
	if (for_add) {
		bool unicast = !strcmp(r.type, "unicast");
		if (unicast && !r.has_gateway && !r.dev) {
			snprintf(err, errlen, "a unicast route needs \"via GW\" or \"dev DEV\"");
			return -EINVAL;
		}
		if (!unicast && r.has_gateway) {
			snprintf(err, errlen, "a %s route takes no gateway", r.type);
			return -EINVAL;
		}
	}
	*out = r;
	return 0;
}
