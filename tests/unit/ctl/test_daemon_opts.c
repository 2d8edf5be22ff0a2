/*
 * test_daemon_opts.c - option parsing of `ustack daemon` (tools/daemon_opts.c):
 * devices with their addresses/MTU/MAC, pcap mode, settings, and a clear error
 * for every bad input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon_opts.h"

static struct dmn_opts o;
static char err[256];

static int parse(const char *line)
{
	static char buf[1024];
	char *argv[64];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 64; t = strtok(NULL, " "))
		argv[argc++] = t;
	err[0] = '\0';
	return dmn_parse_opts(argc, argv, &o, err, sizeof(err));
}

static void test_basic(void **state)
{
	(void)state;
	assert_int_equal(parse("--name st1 --tap tp0 --addr 198.18.0.2/24"), 0);
	assert_string_equal(o.name, "st1");
	assert_int_equal(o.ndevs, 1);
	assert_false(o.pcap_mode);
	assert_string_equal(o.devs[0].ifname, "tp0");
	assert_int_equal(o.devs[0].naddrs, 1);
	assert_int_equal(o.devs[0].addrs[0].addr, 0xc6120002);
	assert_int_equal(o.devs[0].addrs[0].plen, 24);
	assert_int_equal(o.devs[0].mtu, 0);
	assert_true(o.vnet_hdr);
	assert_false(o.has_gateway);
	assert_false(o.has_seed);
	assert_int_equal(o.log_level, 1);

	/* defaults */
	assert_int_equal(parse("--tap tp0"), 0);
	assert_string_equal(o.name, "ustack");
	assert_int_equal(o.devs[0].naddrs, 0);
}

static void test_tun(void **state)
{
	(void)state;
	assert_int_equal(parse("--tun tn0 --addr 198.18.0.2/24 --mtu 1400 --tap tp1"), 0);
	assert_int_equal(o.ndevs, 2);
	assert_true(o.devs[0].tun);
	assert_string_equal(o.devs[0].ifname, "tn0");
	assert_int_equal(o.devs[0].mtu, 1400);
	assert_false(o.devs[1].tun);
	assert_int_equal(parse("--packet pa --addr 198.18.0.2/24 --mac 02:00:00:00:00:09"), 0);
	assert_true(o.devs[0].packet && !o.devs[0].tun);
	assert_true(o.devs[0].has_mac);
}

static void test_full(void **state)
{
	(void)state;
	assert_int_equal(parse("--name=a.b_c-1 --tap tp0 --addr 198.18.0.2/24 --addr=198.18.1.2/24 "
			       "--mtu 9000 --mac 02:00:00:00:00:01 --tap tp1 --addr 198.18.2.2/24 "
			       "--gateway 198.18.0.1 --capture /tmp/x.pcap --set net.ipv4.ip_forward=1 "
			       "--set net.ipv4.conf.tp1.forwarding=0 --seed 7 --no-vnet-hdr "
			       "--log-level 3"),
			 0);
	assert_string_equal(o.name, "a.b_c-1");
	assert_int_equal(o.ndevs, 2);
	assert_int_equal(o.devs[0].naddrs, 2);
	assert_int_equal(o.devs[0].addrs[1].addr, 0xc6120102);
	assert_int_equal(o.devs[0].mtu, 9000);
	assert_true(o.devs[0].has_mac);
	assert_int_equal(o.devs[0].mac[5], 1);
	assert_string_equal(o.devs[1].ifname, "tp1");
	assert_false(o.devs[0].tun || o.devs[1].tun);
	assert_int_equal(o.devs[1].naddrs, 1);
	assert_int_equal(o.devs[1].mtu, 0);
	assert_false(o.devs[1].has_mac);
	assert_true(o.has_gateway);
	assert_int_equal(o.gateway, 0xc6120001);
	assert_string_equal(o.capture, "/tmp/x.pcap");
	assert_int_equal(o.nsets, 2);
	assert_string_equal(o.sets[0], "net.ipv4.ip_forward=1");
	assert_true(o.has_seed);
	assert_int_equal(o.seed, 7);
	assert_false(o.vnet_hdr);
	assert_int_equal(o.log_level, 3);
}

static void test_pcap(void **state)
{
	(void)state;
	assert_int_equal(parse("--pcap-in in.pcap --pcap-out out.pcap --addr 198.18.0.2/24"), 0);
	assert_true(o.pcap_mode);
	assert_int_equal(o.ndevs, 1);
	assert_string_equal(o.devs[0].ifname, DMN_PCAP_DEV);
	assert_string_equal(o.pcap_in, "in.pcap");
	assert_string_equal(o.pcap_out, "out.pcap");
	assert_int_equal(o.devs[0].naddrs, 1);
	assert_int_equal(parse("--pcap-out out.pcap"), 0);
	assert_true(o.pcap_mode);
	assert_null(o.pcap_in);

	assert_int_equal(parse("--tap tp0 --pcap-in x"), -EINVAL);
	assert_non_null(strstr(err, "cannot be combined"));
	assert_int_equal(parse("--pcap-in x --tap tp0"), -EINVAL);
	assert_non_null(strstr(err, "cannot be combined"));
	assert_int_equal(parse("--pcap-in x --pcap-in y"), -EINVAL);
	assert_non_null(strstr(err, "twice"));
}

static void test_errors(void **state)
{
	static const struct {
		const char *line;
		const char *msg;
	} bad[] = {
		{ "", "no device" },
		{ "--name st1", "no device" },
		{ "--addr 198.18.0.2/24 --tap tp0", "first" },
		{ "--tap tp0 --addr 198.18.0.2", "invalid address" },
		{ "--tap tp0 --addr 198.18.0.256/24", "invalid address" },
		{ "--tap tp0 --addr 198.18.0.2/33", "invalid address" },
		{ "--tap tp0 --addr", "needs a value" },
		{ "--tap tp0 --mtu 67", "invalid MTU" },
		{ "--tap tp0 --mtu 65536", "invalid MTU" },
		{ "--tap tp0 --mtu 1500x", "invalid MTU" },
		{ "--mtu 1500 --tap tp0", "first" },
		{ "--tap tp0 --mac 01:00:00:00:00:01", "multicast" },
		{ "--tap tp0 --mac 02:00:00:00:00", "invalid MAC" },
		{ "--tap tp0 --gateway 198.18.0", "invalid gateway" },
		{ "--tap tp0 --gateway 1.1.1.1 --gateway 1.1.1.2", "twice" },
		{ "--tap tp0 --set foo", "KEY=VALUE" },
		{ "--tap tp0 --set =1", "KEY=VALUE" },
		{ "--tap tp0 --set a=", "KEY=VALUE" },
		{ "--tap tp0 --seed -1", "invalid seed" },
		{ "--tap tp0 --log-level 4", "invalid log level" },
		{ "--tap tp0 --bogus", "unknown option" },
		{ "--tap tp0 -x", "unexpected argument" },
		{ "--tap tp0 extra", "unexpected argument" },
		{ "--tap tp0 --tap tp0", "twice" },
		{ "--tap tp0 --tun tp0", "twice" },
		{ "--tun tn0 --mac 02:00:00:00:00:01", "no link-layer address" },
		{ "--tun tn0 --pcap-in x", "cannot be combined" },
		{ "--packet pa --mtu 1400", "kernel's MTU" },
		{ "--tap a/b", "invalid interface" },
		{ "--tap abcdefghijklmnop", "invalid interface" },
		{ "--name .hidden --tap tp0", "invalid name" },
		{ "--name a/b --tap tp0", "invalid name" },
		{ "--name abcdefghijklmnopqrstuvwxyz0123456 --tap tp0", "invalid name" },
		{ "--tap tp0 --no-vnet-hdr=1", "takes no value" },
		{ "--tap tp0 --capture a --capture b", "twice" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i].line);
		if (r != -EINVAL || !strstr(err, bad[i].msg))
			fail_msg("\"%s\": got %d \"%s\", want \"%s\"", bad[i].line, r, err, bad[i].msg);
	}
}

static void test_limits(void **state)
{
	char line[1024];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < DMN_MAX_DEVS; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "--tap t%d ", i);
	assert_int_equal(parse(line), 0);
	assert_int_equal(o.ndevs, DMN_MAX_DEVS);
	snprintf(line + n, sizeof(line) - n, "--tap one-more");
	assert_int_equal(parse(line), -EINVAL);
	assert_non_null(strstr(err, "too many devices"));

	n = (size_t)snprintf(line, sizeof(line), "--tap tp0 ");
	for (int i = 0; i < DMN_MAX_ADDRS; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "--addr 198.18.%d.2/24 ", i);
	assert_int_equal(parse(line), 0);
	snprintf(line + n, sizeof(line) - n, "--addr 198.18.99.2/24");
	assert_int_equal(parse(line), -EINVAL);
	assert_non_null(strstr(err, "too many addresses"));
}

static void test_help(void **state)
{
	(void)state;
	assert_int_equal(parse("--help"), 0);
	assert_true(o.help);
	assert_int_equal(parse("--tap tp0 -h"), 0);
	assert_true(o.help);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),  cmocka_unit_test(test_full), cmocka_unit_test(test_tun),
		cmocka_unit_test(test_pcap),   cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits), cmocka_unit_test(test_help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
