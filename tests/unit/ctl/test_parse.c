/*
 * test_parse.c - the control plane's word parsers (src/ctl/parse.c): IPv4
 * addresses, prefixes, MAC addresses, numbers, durations, interface names and
 * the arguments of `route add/del`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl/parse.h"

static void test_ipv4(void **state)
{
	uint32_t a = 0xdeadbeef;

	(void)state;
	assert_int_equal(ctl_parse_ipv4("198.18.0.2", &a), 0);
	assert_int_equal(a, 0xc6120002);
	assert_int_equal(ctl_parse_ipv4("0.0.0.0", &a), 0);
	assert_int_equal(a, 0);
	assert_int_equal(ctl_parse_ipv4("255.255.255.255", &a), 0);
	assert_int_equal(a, 0xffffffff);

	a = 42;
	static const char *const bad[] = {
		"", "1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "1.2.3.4 ", " 1.2.3.4",
		"1..2.3", "1.2.3.", ".1.2.3", "01.2.3.4", "1.2.3.04", "-1.2.3.4", "+1.2.3.4",
		"1.2.3.4/24", "0x1.2.3.4", "1.2.3.1000", "a.b.c.d", "1.2.3.4\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctl_parse_ipv4(bad[i], &a), -EINVAL);
		assert_int_equal(a, 42); /* untouched on failure */
	}
	assert_int_equal(ctl_parse_ipv4(NULL, &a), -EINVAL);
}

static void test_prefix(void **state)
{
	uint32_t a;
	unsigned plen;

	(void)state;
	assert_int_equal(ctl_parse_prefix("198.18.0.2/24", &a, &plen, false, false), 0);
	assert_int_equal(a, 0xc6120002);
	assert_int_equal(plen, 24);
	assert_int_equal(ctl_parse_prefix("0.0.0.0/0", &a, &plen, false, true), 0);
	assert_int_equal(plen, 0);
	assert_int_equal(ctl_parse_prefix("10.0.0.1/32", &a, &plen, false, true), 0);
	assert_int_equal(plen, 32);
	/* the length is optional only when asked */
	assert_int_equal(ctl_parse_prefix("10.0.0.1", &a, &plen, false, false), -EINVAL);
	assert_int_equal(ctl_parse_prefix("10.0.0.1", &a, &plen, true, false), 0);
	assert_int_equal(plen, 32);
	/* host bits */
	assert_int_equal(ctl_parse_prefix("198.18.0.2/24", &a, &plen, false, true), -EINVAL);
	assert_int_equal(ctl_parse_prefix("198.18.0.0/24", &a, &plen, false, true), 0);
	assert_int_equal(ctl_parse_prefix("198.18.0.128/25", &a, &plen, false, true), 0);
	assert_int_equal(ctl_parse_prefix("198.18.0.128/24", &a, &plen, false, true), -EINVAL);

	static const char *const bad[] = {
		"1.2.3.4/33", "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/024", "1.2.3.4/100", "1.2.3.4/2x",
		"1.2.3/24", "/24", "1.2.3.4//24", "1.2.3.4/24/1", "1.2.3.4/ 24",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ctl_parse_prefix(bad[i], &a, &plen, true, false), -EINVAL);
}

static void test_plen_mask(void **state)
{
	(void)state;
	assert_int_equal(ctl_plen_mask(0), 0);
	assert_int_equal(ctl_plen_mask(1), 0x80000000u);
	assert_int_equal(ctl_plen_mask(24), 0xffffff00u);
	assert_int_equal(ctl_plen_mask(31), 0xfffffffeu);
	assert_int_equal(ctl_plen_mask(32), 0xffffffffu);
}

static void test_mac(void **state)
{
	uint8_t m[6] = { 0 };
	static const uint8_t want[6] = { 0xaa, 0xbb, 0x0c, 0x01, 0xef, 0x10 };
	static const uint8_t short_form[6] = { 0x02, 0, 0, 0, 0, 0x1 };

	(void)state;
	assert_int_equal(ctl_parse_mac("aa:bb:0c:01:ef:10", m), 0);
	assert_memory_equal(m, want, 6);
	assert_int_equal(ctl_parse_mac("AA:BB:0C:01:EF:10", m), 0);
	assert_memory_equal(m, want, 6);
	assert_int_equal(ctl_parse_mac("2:0:0:0:0:1", m), 0);
	assert_memory_equal(m, short_form, 6);

	static const char *const bad[] = {
		"", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "aa:bb:cc:dd:ee:fff", "aab:bb:cc:dd:ee:ff",
		"aa-bb-cc-dd-ee-ff", "aa:bb:cc:dd:ee:gg", "aa:bb:cc:dd:ee:", ":aa:bb:cc:dd:ee",
		"aa::bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff ",
	};
	memset(m, 0x55, 6);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctl_parse_mac(bad[i], m), -EINVAL);
		assert_int_equal(m[0], 0x55);
	}
}

static void test_u64(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(ctl_parse_u64("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ctl_parse_u64("1500", 68, 65535, &v), 0);
	assert_int_equal(v, 1500);
	assert_int_equal(ctl_parse_u64("67", 68, 65535, &v), -ERANGE);
	assert_int_equal(ctl_parse_u64("65536", 68, 65535, &v), -ERANGE);
	assert_int_equal(ctl_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(ctl_parse_u64("9999999999999999999", 0, UINT64_MAX, &v), 0);
	assert_true(v == 9999999999999999999ULL);
	assert_int_equal(ctl_parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(ctl_parse_u64("", 0, 10, &v), -EINVAL);
	assert_int_equal(ctl_parse_u64("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(ctl_parse_u64("+1", 0, 10, &v), -EINVAL);
	assert_int_equal(ctl_parse_u64("1x", 0, 10, &v), -EINVAL);
	assert_int_equal(ctl_parse_u64("0x10", 0, 100, &v), -EINVAL);
	assert_int_equal(ctl_parse_u64(" 1", 0, 10, &v), -EINVAL);
	assert_int_equal(ctl_parse_u64("1.5", 0, 10, &v), -EINVAL);
}

static void test_seconds(void **state)
{
	const uint64_t max = 3600ULL * 1000000000ULL;
	uint64_t ns;

	(void)state;
	assert_int_equal(ctl_parse_seconds("1", 0, max, &ns), 0);
	assert_true(ns == 1000000000ULL);
	assert_int_equal(ctl_parse_seconds("0.01", 0, max, &ns), 0);
	assert_true(ns == 10000000ULL);
	assert_int_equal(ctl_parse_seconds(".5", 0, max, &ns), 0);
	assert_true(ns == 500000000ULL);
	assert_int_equal(ctl_parse_seconds("2.", 0, max, &ns), 0);
	assert_true(ns == 2000000000ULL);
	assert_int_equal(ctl_parse_seconds("0.000000001", 0, max, &ns), 0);
	assert_true(ns == 1);
	assert_int_equal(ctl_parse_seconds("0.0000000001", 0, max, &ns), -EINVAL);
	assert_int_equal(ctl_parse_seconds("0.001", 10000000, max, &ns), -ERANGE);
	assert_int_equal(ctl_parse_seconds("3601", 0, max, &ns), -ERANGE);
	assert_int_equal(ctl_parse_seconds("", 0, max, &ns), -EINVAL);
	assert_int_equal(ctl_parse_seconds(".", 0, max, &ns), -EINVAL);
	assert_int_equal(ctl_parse_seconds("1s", 0, max, &ns), -EINVAL);
	assert_int_equal(ctl_parse_seconds("-1", 0, max, &ns), -EINVAL);
	assert_int_equal(ctl_parse_seconds("1e3", 0, max, &ns), -EINVAL);
	assert_int_equal(ctl_parse_seconds("1.2.3", 0, max, &ns), -EINVAL);
}

static void test_ifname(void **state)
{
	(void)state;
	assert_true(ctl_valid_ifname("tp0"));
	assert_true(ctl_valid_ifname("abcdefghijklmno")); /* 15 */
	assert_false(ctl_valid_ifname("abcdefghijklmnop")); /* 16 */
	assert_false(ctl_valid_ifname(""));
	assert_false(ctl_valid_ifname("."));
	assert_false(ctl_valid_ifname(".."));
	assert_false(ctl_valid_ifname("a/b"));
	assert_false(ctl_valid_ifname("a:1"));
	assert_false(ctl_valid_ifname("a b"));
	assert_false(ctl_valid_ifname("a\tb"));
	assert_false(ctl_valid_ifname(NULL));
}

static void test_format(void **state)
{
	char ip[CTL_IPV4_STRLEN], mac[CTL_MAC_STRLEN];
	static const uint8_t m[6] = { 0x02, 0xab, 0, 0x10, 0xff, 1 };

	(void)state;
	assert_string_equal(ctl_fmt_ipv4(0xc6120002, ip), "198.18.0.2");
	assert_string_equal(ctl_fmt_ipv4(0xffffffff, ip), "255.255.255.255");
	assert_string_equal(ctl_fmt_ipv4(0, ip), "0.0.0.0");
	assert_string_equal(ctl_fmt_mac(m, mac), "02:ab:00:10:ff:01");
}

/* Splits @line on spaces into argv (at most 16 words) for the route parser. */
static int words(char *line, char *argv[16])
{
	int n = 0;

	for (char *t = strtok(line, " "); t && n < 16; t = strtok(NULL, " "))
		argv[n++] = t;
	return n;
}

static int route(const char *text, bool add, struct ctl_route_args *r, char *err)
{
	char line[256], *argv[16];
	int argc;

	snprintf(line, sizeof(line), "%s", text);
	argc = words(line, argv);
	err[0] = '\0';
	return ctl_parse_route_args(argc, argv, add, r, err, 128);
}

static void test_route_args(void **state)
{
	struct ctl_route_args r;
	char err[128];

	(void)state;
	assert_int_equal(route("default via 198.18.0.1", true, &r, err), 0);
	assert_string_equal(r.type, "unicast");
	assert_int_equal(r.dst, 0);
	assert_int_equal(r.plen, 0);
	assert_true(r.has_gateway);
	assert_int_equal(r.gateway, 0xc6120001);
	assert_null(r.dev);
	assert_false(r.has_metric);

	assert_int_equal(route("198.18.4.0/22 via 198.18.0.9 dev tp0 metric 100", true, &r, err), 0);
	assert_int_equal(r.dst, 0xc6120400);
	assert_int_equal(r.plen, 22);
	assert_int_equal(r.gateway, 0xc6120009);
	assert_string_equal(r.dev, "tp0");
	assert_true(r.has_metric);
	assert_int_equal(r.metric, 100);

	assert_int_equal(route("unreachable 198.18.9.0/24", true, &r, err), 0);
	assert_string_equal(r.type, "unreachable");
	assert_false(r.has_gateway);
	assert_int_equal(route("blackhole 198.18.9.5", true, &r, err), 0);
	assert_string_equal(r.type, "blackhole");
	assert_int_equal(r.plen, 32);
	assert_int_equal(route("prohibit default", true, &r, err), 0);
	assert_string_equal(r.type, "prohibit");
	assert_int_equal(route("198.18.9.0/24 dev tp1", true, &r, err), 0);
	assert_string_equal(r.dev, "tp1");

	/* del needs no via/dev */
	assert_int_equal(route("198.18.9.0/24", false, &r, err), 0);
	assert_int_equal(route("unreachable 198.18.9.0/24", false, &r, err), 0);

	/* errors, each with a message */
	assert_int_equal(route("198.18.9.0/24", true, &r, err), -EINVAL);
	assert_non_null(strstr(err, "needs"));
	assert_int_equal(route("unreachable 198.18.9.0/24 via 198.18.0.1", true, &r, err), -EINVAL);
	assert_non_null(strstr(err, "no gateway"));
	assert_int_equal(route("198.18.9.1/24 via 198.18.0.1", true, &r, err), -EINVAL);
	assert_non_null(strstr(err, "host bits"));
	assert_int_equal(route("198.18.9.0/33 via 198.18.0.1", true, &r, err), -EINVAL);
	assert_non_null(strstr(err, "invalid prefix"));
	assert_int_equal(route("default via 198.18.0", true, &r, err), -EINVAL);
	assert_non_null(strstr(err, "invalid gateway"));
	assert_int_equal(route("default via", true, &r, err), -EINVAL);
	assert_non_null(strstr(err, "needs a value"));
	assert_int_equal(route("default via 1.2.3.4 via 1.2.3.5", true, &r, err), -EINVAL);
	assert_non_null(strstr(err, "duplicate"));
	assert_int_equal(route("default dev a/b", true, &r, err), -EINVAL);
	assert_non_null(strstr(err, "invalid device"));
	assert_int_equal(route("default dev tp0 metric -1", true, &r, err), -EINVAL);
	assert_non_null(strstr(err, "invalid metric"));
	assert_int_equal(route("default dev tp0 metric 4294967296", true, &r, err), -EINVAL);
	assert_int_equal(route("default dev tp0 mtu 1400", true, &r, err), -EINVAL);
	assert_non_null(strstr(err, "unknown route argument"));
	assert_int_equal(route("unicast", true, &r, err), -EINVAL);
	assert_non_null(strstr(err, "missing destination"));
	assert_int_equal(route("", true, &r, err), -EINVAL);
	assert_int_equal(route("local 198.18.0.2 dev tp0", true, &r, err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),     cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_plen_mask), cmocka_unit_test(test_mac),
		cmocka_unit_test(test_u64),      cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_ifname),   cmocka_unit_test(test_format),
		cmocka_unit_test(test_route_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
