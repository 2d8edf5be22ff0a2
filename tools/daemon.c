/*
 * daemon.c - `ustack daemon`: one stack in the foreground, on TAP devices in
 * the current network namespace (or on a pcap-file device with a virtual
 * clock), serving its control socket, the UDP echo service and the TCP
 * services (echo, discard, chargen, HTTP; src/ctl/svc.h).
 *
 * Startup order: parse and validate every option, then the stack, settings,
 * devices with their MTU and addresses, the default route, the capture, the
 * control server and the services; "ustack NAME ready" is printed only
 * when all of that worked. SIGINT/SIGTERM arrive through a signalfd the
 * stack's wait also watches, so the loop never races with a signal handler.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/stack.h"
#include "ctl/parse.h"
#include "daemon_opts.h"
#include "tools.h"
#include "ustack/ctl.h"
#include "ustack/ustack.h"

#define ECHO_PORT 7 /* RFC 862 */

/* The TCP services and their well-known ports. */
static const struct {
	const char *name;
	uint16_t port;
} tcp_services[] = {
	{ "echo", 7 },     /* RFC 862 */
	{ "discard", 9 },  /* RFC 863 */
	{ "chargen", 19 }, /* RFC 864 */
	{ "http", 80 },    /* RFC 9110 */
};
#define NUM_TCP_SERVICES (sizeof(tcp_services) / sizeof(tcp_services[0]))
/* pcap mode: stop once the input is exhausted and nothing is due within this long... */
#define PCAP_QUIET_NS (60 * US_NSEC_PER_SEC)
/* ...or, whatever is still scheduled (periodic timers), this long after the input ended. */
#define PCAP_LINGER_MAX_NS (600 * US_NSEC_PER_SEC)
#define PCAP_MAX_IDLE_ROUNDS 1000000

struct daemon {
	struct dmn_opts o;
	struct us_stack *st;
	int ifindex[DMN_MAX_DEVS];
	struct us_ctl_server *ctl;
	struct us_echo_service *echo;
	struct us_tcp_service *tcp[NUM_TCP_SERVICES];
	int sigfd;
};

static int derr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int derr(const char *fmt, ...)
{
	va_list ap;

	fputs("ustack daemon: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Settings by name; per-device ones (net.ipv4.conf.DEV.*) need the devices first.
 * A refused --set is a bad option: exit 2, like a malformed one. */
static int apply_sets(struct daemon *d, bool devices_exist)
{
	for (int i = 0; i < d->o.nsets; i++) {
		const char *set = d->o.sets[i], *eq = strchr(set, '=');
		size_t klen = (size_t)(eq - set);
		const char *why;
		char key[128];
		int err;

		if (klen >= sizeof(key)) {
			err = -ENOENT;
		} else {
			memcpy(key, set, klen);
			key[klen] = '\0';
			err = us_stack_set(d->st, key, eq + 1);
		}
		if (!err || (err == -ENODEV && !devices_exist))
			continue;
		switch (err) {
		case -ENOENT: why = "unknown setting (see ustack settings)"; break;
		case -ERANGE: why = "value out of range (see ustack settings)"; break;
		case -EINVAL: why = "not a number"; break;
		default: why = strerror(-err); break;
		}
		derr("--set %s: %s", set, why);
		return 2;
	}
	return 0;
}

static int open_devices(struct daemon *d)
{
	for (int i = 0; i < d->o.ndevs; i++) {
		const struct dmn_dev *dv = &d->o.devs[i];
		char ip[CTL_IPV4_STRLEN];
		int idx, err;

		if (d->o.pcap_mode) {
			idx = us_dev_pcap_open(d->st, dv->ifname, d->o.pcap_in, d->o.pcap_out,
					       dv->has_mac ? dv->mac : NULL);
			if (idx < 0)
				return derr("cannot open pcap device (in %s, out %s): %s",
					    d->o.pcap_in ? d->o.pcap_in : "-",
					    d->o.pcap_out ? d->o.pcap_out : "-", strerror(-idx));
			if (dv->mtu && (err = us_dev_set_mtu(d->st, idx, dv->mtu)) < 0)
				return derr("%s: mtu %u: %s", dv->ifname, dv->mtu, strerror(-err));
		} else {
			struct us_tap_opts to = { .vnet_hdr = d->o.vnet_hdr, .mtu = (int)dv->mtu,
						  .mac = dv->has_mac ? dv->mac : NULL };
			idx = dv->tun	 ? us_dev_tun_open(d->st, dv->ifname, &to)
			      : dv->packet ? us_dev_packet_open(d->st, dv->ifname, &to)
					   : us_dev_tap_open(d->st, dv->ifname, &to);
			if (idx < 0)
				return derr("cannot open %s %s: %s%s",
					    dv->tun ? "TUN" : dv->packet ? "AF_PACKET on" : "TAP",
					    dv->ifname, strerror(-idx),
					    idx == -EPERM || idx == -EACCES ? " (needs CAP_NET_ADMIN)"
									    : "");
		}
		d->ifindex[i] = idx;
		err = us_dev_set_up(d->st, idx, true);
		if (err)
			return derr("%s: cannot set up: %s", dv->ifname, strerror(-err));
		for (int a = 0; a < dv->naddrs; a++) {
			err = us_addr_add(d->st, idx, dv->addrs[a].addr, dv->addrs[a].plen);
			if (err)
				return derr("%s: address %s/%u: %s", dv->ifname,
					    ctl_fmt_ipv4(dv->addrs[a].addr, ip), dv->addrs[a].plen,
					    strerror(-err));
		}
	}
	return 0;
}

static int setup(struct daemon *d)
{
	struct us_stack_opts so = { 0 };
	sigset_t mask;
	int err;

	so.name = d->o.name;
	so.virtual_clock = d->o.pcap_mode;
	so.log_level = d->o.log_level;
	/* The pcap mode replays exactly: seed 1 unless told otherwise. */
	so.seed = d->o.has_seed ? d->o.seed : d->o.pcap_mode ? 1 : 0;
	d->st = us_stack_new(&so);
	if (!d->st)
		return derr("cannot create the stack");
	if ((err = apply_sets(d, false)) || (err = open_devices(d)) || (err = apply_sets(d, true)))
		return err;
	if (d->o.has_gateway) {
		char ip[CTL_IPV4_STRLEN];
		err = us_route_add(d->st, 0, 0, d->o.gateway, 0, "unicast", 0);
		if (err)
			return derr("--gateway %s: %s%s", ctl_fmt_ipv4(d->o.gateway, ip),
				    strerror(-err),
				    err == -EINVAL || err == -ENETUNREACH
					    ? " (not on the subnet of any --addr?)" : "");
	}
	if (d->o.capture) {
		err = us_capture_start(d->st, d->ifindex[0], d->o.capture);
		if (err)
			return derr("--capture %s: %s", d->o.capture, strerror(-err));
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return derr("sigprocmask: %s", strerror(errno));
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return derr("signalfd: %s", strerror(errno));
	err = us_stack_watch_fd(d->st, d->sigfd);
	if (err)
		return derr("cannot watch the signal fd: %s", strerror(-err));
	signal(SIGPIPE, SIG_IGN);

	/* The pcap mode runs faster than real time and exits by itself: no control
	 * socket (it would only collide with a real daemon of the same name). */
	if (!d->o.pcap_mode) {
		err = us_ctl_server_start(d->st, NULL, &d->ctl);
		if (err == -EADDRINUSE)
			return derr("a stack named \"%s\" is already running", d->o.name);
		if (err)
			return derr("control socket for \"%s\": %s", d->o.name, strerror(-err));
	}
	err = us_echo_service_start(d->st, ECHO_PORT, &d->echo);
	if (err)
		return derr("UDP echo service on port %d: %s", ECHO_PORT, strerror(-err));
	for (size_t i = 0; i < NUM_TCP_SERVICES; i++) {
		err = us_tcp_service_start(d->st, tcp_services[i].name, tcp_services[i].port,
					   &d->tcp[i]);
		if (err)
			return derr("TCP %s service on port %u: %s", tcp_services[i].name,
				    tcp_services[i].port, strerror(-err));
	}
	return 0;
}

static bool signalled(struct daemon *d)
{
	struct signalfd_siginfo si;

	return read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si);
}

static int run_real(struct daemon *d)
{
	for (;;) {
		int err = us_stack_wait(d->st, -1);

		if (err && err != -EINTR)
			return derr("wait: %s", strerror(-err));
		if (signalled(d))
			return 0;
		us_stack_poll(d->st);
	}
}

/* The earliest time a device will have input; UINT64_MAX once every input is exhausted. */
static uint64_t next_input_ns(struct us_stack *st)
{
	uint64_t next = UINT64_MAX;

	for (int i = 1; i <= US_MAX_DEVS; i++) {
		struct us_netdev *dev = st->devs[i];
		if (dev && dev->ops->next_rx_ns) {
			uint64_t t = dev->ops->next_rx_ns(dev);
			if (t < next)
				next = t;
		}
	}
	return next;
}

/* Virtual time: jump from one due event to the next instead of sleeping. */
static int run_pcap(struct daemon *d)
{
	uint64_t input_end_ns = 0;
	unsigned idle = 0;

	for (;;) {
		uint64_t now, next;

		us_stack_poll(d->st);
		if (signalled(d))
			return 0;
		now = us_stack_now_ns(d->st);
		next = us_stack_next_deadline_ns(d->st);
		if (next_input_ns(d->st) == UINT64_MAX) {
			if (!input_end_ns)
				input_end_ns = now ? now : 1;
			if (next == UINT64_MAX || next - now > PCAP_QUIET_NS ||
			    now - input_end_ns > PCAP_LINGER_MAX_NS)
				return 0;
		}
		if (next > now) {
			us_stack_clock_set(d->st, next);
			idle = 0;
		} else if (++idle > PCAP_MAX_IDLE_ROUNDS) {
			return derr("virtual clock stuck at %llu ns", (unsigned long long)now);
		}
	}
}

static void teardown(struct daemon *d)
{
	us_ctl_server_stop(d->ctl);
	us_echo_service_stop(d->echo);
	for (size_t i = 0; i < NUM_TCP_SERVICES; i++)
		us_tcp_service_stop(d->tcp[i]);
	if (d->st) {
		if (d->o.capture && d->ifindex[0] > 0)
			us_capture_stop(d->st, d->ifindex[0], d->o.capture);
		us_stack_free(d->st);
	}
	if (d->sigfd >= 0)
		close(d->sigfd);
}

int daemon_main(int argc, char **argv)
{
	static struct daemon d; /* large; one per process */
	char err[256];
	int rc;

	memset(&d, 0, sizeof(d));
	d.sigfd = -1;
	if (dmn_parse_opts(argc, argv, &d.o, err, sizeof(err)) < 0) {
		fprintf(stderr, "ustack daemon: %s (see ustack --help)\n", err);
		return 2;
	}
	if (d.o.help) {
		fputs(ctl_usage_text, stdout);
		return 0;
	}
	rc = setup(&d);
	if (rc == 0) {
		printf("ustack %s ready\n", d.o.name);
		fflush(stdout);
		rc = d.o.pcap_mode ? run_pcap(&d) : run_real(&d);
	}
	teardown(&d);
	return rc;
}
