/*
 * daemon_opts.h - the options of `ustack daemon`, parsed and validated before
 * anything is created (a typo must not leave half a stack behind). Pure: no
 * stack involved, unit-tested in tests/unit/ctl/test_daemon_opts.c.
 */
#ifndef US_TOOLS_DAEMON_OPTS_H
#define US_TOOLS_DAEMON_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DMN_MAX_DEVS 8
#define DMN_MAX_ADDRS 16
#define DMN_MAX_SETS 64
#define DMN_PCAP_DEV "pcap0"

struct dmn_dev {
	const char *ifname;          /* TAP or TUN name, or DMN_PCAP_DEV */
	bool tun;                    /* --tun: a TUN interface (bare IP, no MAC) */
	bool packet;                 /* --packet: an existing interface through AF_PACKET */
	struct {
		uint32_t addr;       /* host order */
		unsigned plen;
	} addrs[DMN_MAX_ADDRS];
	int naddrs;
	unsigned mtu;                /* 0: keep */
	bool has_mac;
	uint8_t mac[6];
};

struct dmn_opts {
	const char *name;            /* "ustack" unless --name */
	struct dmn_dev devs[DMN_MAX_DEVS];
	int ndevs;
	bool pcap_mode;              /* --pcap-in/--pcap-out: devs[0] is the pcap device */
	const char *pcap_in;
	const char *pcap_out;
	bool has_gateway;
	uint32_t gateway;
	const char *capture;
	const char *sets[DMN_MAX_SETS]; /* "KEY=VALUE" */
	int nsets;
	bool has_seed;
	uint64_t seed;
	bool vnet_hdr;               /* true unless --no-vnet-hdr */
	int log_level;               /* 0..3, default 1 */
	bool help;
};

/*
 * dmn_parse_opts - parse the words after "daemon". Accepts "--opt VALUE" and
 * "--opt=VALUE". 0, or -EINVAL with a one-line reason in @err.
 */
int dmn_parse_opts(int argc, char *const argv[], struct dmn_opts *o, char *err, size_t errlen);

#endif
