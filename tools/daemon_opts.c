/*
 * daemon_opts.c - parsing and validation of `ustack daemon` options (see
 * daemon_opts.h and the usage text in src/ctl/cmds.c).
 */
#include "daemon_opts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl/parse.h"

#define MTU_MIN 68    /* RFC 791: every host must accept 68-byte datagrams */
#define MTU_MAX 65535

static bool valid_stack_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 31 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Options that take a value. */
static const char *const valued[] = {
	"--name", "--tap", "--tun", "--packet", "--addr", "--mtu", "--mac", "--gateway", "--capture", "--set",
	"--seed", "--pcap-in", "--pcap-out", "--log-level",
};

static bool takes_value(const char *opt)
{
	for (size_t i = 0; i < sizeof(valued) / sizeof(valued[0]); i++)
		if (!strcmp(opt, valued[i]))
			return true;
	return false;
}

static struct dmn_dev *pcap_dev(struct dmn_opts *o)
{
	if (!o->pcap_mode) {
		o->pcap_mode = true;
		o->ndevs = 1;
		o->devs[0].ifname = DMN_PCAP_DEV;
	}
	return &o->devs[0];
}

#define FAIL(...)                                      \
	do {                                           \
		snprintf(err, errlen, __VA_ARGS__);    \
		return -EINVAL;                        \
	} while (0)

int dmn_parse_opts(int argc, char *const argv[], struct dmn_opts *o, char *err, size_t errlen)
{
	struct dmn_dev *cur = NULL;
	bool have_tap = false;

	memset(o, 0, sizeof(*o));
	o->name = "ustack";
	o->vnet_hdr = true;
	o->log_level = 1;

	for (int i = 0; i < argc; i++) {
		char opt[32];
		const char *arg = argv[i], *val = NULL, *eq;
		uint64_t n;

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			o->help = true;
			return 0;
		}
		if (strncmp(arg, "--", 2))
			FAIL("unexpected argument \"%s\"", arg);
		eq = strchr(arg, '=');
		if (eq) {
			if ((size_t)(eq - arg) >= sizeof(opt))
				FAIL("unknown option \"%s\"", arg);
			memcpy(opt, arg, (size_t)(eq - arg));
			opt[eq - arg] = '\0';
			val = eq + 1;
		} else {
			snprintf(opt, sizeof(opt), "%s", arg);
		}
		if (!strcmp(opt, "--no-vnet-hdr")) {
			if (val)
				FAIL("--no-vnet-hdr takes no value");
			o->vnet_hdr = false;
			continue;
		}
		if (!takes_value(opt))
			FAIL("unknown option \"%s\"", opt);
		if (!val) {
			if (i + 1 >= argc)
				FAIL("%s needs a value", opt);
			val = argv[++i];
		}

		if (!strcmp(opt, "--name")) {
			if (!valid_stack_name(val))
				FAIL("invalid name \"%s\" (1-31 of A-Z a-z 0-9 . _ -, not starting with .)",
				     val);
			o->name = val;
		} else if (!strcmp(opt, "--tap") || !strcmp(opt, "--tun") || !strcmp(opt, "--packet")) {
			if (o->pcap_mode)
				FAIL("%s cannot be combined with --pcap-in/--pcap-out", opt);
			if (!ctl_valid_ifname(val))
				FAIL("invalid interface name \"%s\"", val);
			for (int d = 0; d < o->ndevs; d++)
				if (!strcmp(o->devs[d].ifname, val))
					FAIL("interface %s given twice", val);
			if (o->ndevs == DMN_MAX_DEVS)
				FAIL("too many devices (at most %d)", DMN_MAX_DEVS);
			cur = &o->devs[o->ndevs++];
			cur->ifname = val;
			cur->tun = !strcmp(opt, "--tun");
			cur->packet = !strcmp(opt, "--packet");
			have_tap = true;
		} else if (!strcmp(opt, "--pcap-in") || !strcmp(opt, "--pcap-out")) {
			bool in = !strcmp(opt, "--pcap-in");
			if (have_tap)
				FAIL("%s cannot be combined with --tap/--tun", opt);
			if (!*val)
				FAIL("%s needs a file name", opt);
			if (in ? o->pcap_in != NULL : o->pcap_out != NULL)
				FAIL("%s given twice", opt);
			cur = pcap_dev(o);
			if (in)
				o->pcap_in = val;
			else
				o->pcap_out = val;
		} else if (!strcmp(opt, "--addr")) {
			if (!cur)
				FAIL("--addr %s: give --tap/--tun IFNAME (or --pcap-in/--pcap-out) first", val);
			if (cur->naddrs == DMN_MAX_ADDRS)
				FAIL("too many addresses on %s (at most %d)", cur->ifname, DMN_MAX_ADDRS);
			if (ctl_parse_prefix(val, &cur->addrs[cur->naddrs].addr,
					     &cur->addrs[cur->naddrs].plen, false, false) < 0)
				FAIL("invalid address \"%s\" (expected A.B.C.D/LEN, LEN 0-32)", val);
			cur->naddrs++;
		} else if (!strcmp(opt, "--mtu")) {
			if (!cur)
				FAIL("--mtu %s: give --tap/--tun IFNAME first", val);
			if (ctl_parse_u64(val, MTU_MIN, MTU_MAX, &n) < 0)
				FAIL("invalid MTU \"%s\" (%d-%d)", val, MTU_MIN, MTU_MAX);
			if (cur->packet)
				FAIL("--mtu %s: an AF_PACKET interface keeps the kernel's MTU", val);
			cur->mtu = (unsigned)n;
		} else if (!strcmp(opt, "--mac")) {
			if (!cur)
				FAIL("--mac %s: give --tap IFNAME first", val);
			if (cur->tun)
				FAIL("--mac %s: a TUN interface has no link-layer address", val);
			if (ctl_parse_mac(val, cur->mac) < 0)
				FAIL("invalid MAC address \"%s\" (expected aa:bb:cc:dd:ee:ff)", val);
			if (cur->mac[0] & 1)
				FAIL("invalid MAC address \"%s\": multicast", val);
			cur->has_mac = true;
		} else if (!strcmp(opt, "--gateway")) {
			if (o->has_gateway)
				FAIL("--gateway given twice");
			if (ctl_parse_ipv4(val, &o->gateway) < 0)
				FAIL("invalid gateway \"%s\" (expected A.B.C.D)", val);
			o->has_gateway = true;
		} else if (!strcmp(opt, "--capture")) {
			if (o->capture)
				FAIL("--capture given twice");
			if (!*val)
				FAIL("--capture needs a file name");
			o->capture = val;
		} else if (!strcmp(opt, "--set")) {
			const char *e = strchr(val, '=');
			if (!e || e == val || !e[1])
				FAIL("--set expects KEY=VALUE, got \"%s\"", val);
			if (o->nsets == DMN_MAX_SETS)
				FAIL("too many --set (at most %d)", DMN_MAX_SETS);
			o->sets[o->nsets++] = val;
		} else if (!strcmp(opt, "--seed")) {
			if (ctl_parse_u64(val, 0, UINT64_MAX, &n) < 0)
				FAIL("invalid seed \"%s\"", val);
			o->has_seed = true;
			o->seed = n;
		} else if (!strcmp(opt, "--log-level")) {
			if (ctl_parse_u64(val, 0, 3, &n) < 0)
				FAIL("invalid log level \"%s\" (0-3)", val);
			o->log_level = (int)n;
		}
	}
	if (o->ndevs == 0)
		FAIL("no device: give --tap IFNAME or --tun IFNAME (or --pcap-in FILE / --pcap-out FILE)");
	return 0;
}
