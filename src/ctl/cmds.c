/*
 * cmds.c - the command table of the control protocol, the usage text, and the
 * helpers every command shares. The commands themselves are in cmd_show.c
 * (link, addr, route, neigh), cmd_conf.c (stat, set, get, settings, capture),
 * cmd_ss.c (ss), ping.c and tcpc.c (tcp connect). Their output is modelled on
 * iproute2 (`ip addr`, `ip route`, `ip neigh`), nstat and iputils ping, so it reads
 * like the kernel's.
 */
#include <errno.h>
#include <string.h>

#include "ctl/server.h"

const char ctl_usage_text[] =
	"usage: ustack daemon --name NAME --tap IFNAME --addr A.B.C.D/LEN [OPTIONS]\n"
	"       ustack [-n NAME] [-j] COMMAND [ARGS]\n"
	"       ustack linkem --a IF1 --b IF2 [--ab SPEC] [--ba SPEC] [--both SPEC] [--seed N]\n"
	"                     [--duration S]   a seeded impairing bridge (see ustack linkem --help)\n"
	"\n"
	"Commands (NAME defaults to \"ustack\"; -j prints JSON):\n"
	"  link [show [DEV]]                      devices, their state and counters\n"
	"  link set DEV mtu N | up | down\n"
	"  addr [show] [dev DEV]                  IPv4 addresses\n"
	"  addr add|del A.B.C.D/LEN dev DEV\n"
	"  route [show] [table main|local|all]    routing tables\n"
	"  route show cache                       the path MTU cache (RFC 1191)\n"
	"  route get A.B.C.D                      the route a datagram would take (and its path MTU)\n"
	"  route add [TYPE] PREFIX|default [via GW] [dev DEV] [metric N]\n"
	"  route del [TYPE] PREFIX|default        TYPE: unicast|blackhole|unreachable|prohibit\n"
	"  neigh [show] [dev DEV]                 the neighbour (ARP) cache\n"
	"  neigh add IP lladdr MAC dev DEV | neigh del IP dev DEV | neigh flush dev DEV\n"
	"  stat [-a]                              counters and drop reasons (-a: zeros too)\n"
	"  ss [-t] [-u] [-l] [-a] [-i] [-o]       sockets, as ss -tuna (-l listening, -a all,\n"
	"                                         -i TCP internals, -o timers)\n"
	"  ping [-c COUNT] [-s SIZE] [-i INTERVAL] [-W TIMEOUT] DEST\n"
	"  tcp connect ADDR PORT [OPTIONS]        the stack as a TCP client, one line per phase\n"
	"      --send N           send N bytes of the /bytes/N stream (SHA-256 reported)\n"
	"      --write-size B     bytes per send call (default 65536, 1..1048576)\n"
	"      --recv             read until the peer's FIN (count, SHA-256)\n"
	"      --shutdown         half-close (FIN) once everything is sent\n"
	"      --keepalive I,N,C  SO_KEEPALIVE, TCP_KEEPIDLE I s, TCP_KEEPINTVL N s, TCP_KEEPCNT C\n"
	"      --hold S           stay connected S seconds at the end\n"
	"      --nodelay  --cc NAME  --bind ADDR[:PORT]\n"
	"      --timeout S        give up (reset) after S seconds (default 30, max 3600)\n"
	"      --no-hash          no SHA-256 (for speed)\n"
	"  set KEY=VALUE [KEY=VALUE ...]          change settings (sysctl names)\n"
	"  get KEY | settings                     one setting / all settings\n"
	"  capture start|stop DEV FILE            pcap capture of a device's frames\n"
	"  help                                   this text\n"
	"\n"
	"Daemon options (each --addr/--mtu/--mac applies to the most recent device):\n"
	"  --name NAME          control socket $USTACK_RUNDIR/NAME.sock (default /run/ustack)\n"
	"  --tap IFNAME         create or attach to a TAP device (repeatable)\n"
	"  --tun IFNAME         create or attach to a TUN device (bare IP, no ARP; repeatable)\n"
	"  --packet IFNAME      drive an existing Ethernet interface (veth, NIC) through AF_PACKET\n"
	"  --addr A.B.C.D/LEN   an address of the device (repeatable)\n"
	"  --mtu N  --mac MAC   the device's MTU and MAC address\n"
	"  --gateway A.B.C.D    default route\n"
	"  --capture FILE       capture the first device's frames to FILE (pcap)\n"
	"  --set KEY=VALUE      a setting (repeatable)\n"
	"  --seed N             deterministic hash keys and random choices\n"
	"  --no-vnet-hdr        no virtio-net header (no checksum/GSO offload) on TAPs\n"
	"  --pcap-in FILE --pcap-out FILE\n"
	"                       a pcap-file device \"pcap0\" on a virtual clock instead of a TAP;\n"
	"                       exits when the input is done and nothing is due for 60 s\n"
	"  --log-level N        0 errors .. 3 debug (default 1)\n"
	"\n"
	"The daemon serves UDP echo (7) and, over TCP, echo (7), discard (9), chargen (19)\n"
	"and HTTP (80: GET /, GET /bytes/N, PUT or POST answered with the body's SHA-256).\n"
	"\n"
	"Exit status: 0 success, 1 command failed, 2 usage error or stack not reachable.\n";

struct ctl_cmd {
	const char *name;
	ctl_cmd_fn *fn;
};

static const struct ctl_cmd ctl_cmds[] = {
	{ "link", ctl_cmd_link },
	{ "addr", ctl_cmd_addr },
	{ "address", ctl_cmd_addr },
	{ "route", ctl_cmd_route },
	{ "neigh", ctl_cmd_neigh },
	{ "neighbor", ctl_cmd_neigh },
	{ "neighbour", ctl_cmd_neigh },
	{ "stat", ctl_cmd_stat },
	{ "stats", ctl_cmd_stat },
	{ "ping", ctl_cmd_ping },
	{ "set", ctl_cmd_set },
	{ "get", ctl_cmd_get },
	{ "settings", ctl_cmd_settings },
	{ "capture", ctl_cmd_capture },
	{ "ss", ctl_cmd_ss },
	{ "tcp", ctl_cmd_tcp },
};

bool ctl_command_known(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ctl_cmds); i++)
		if (!strcmp(ctl_cmds[i].name, name))
			return true;
	return !strcmp(name, "help");
}

int ctl_dispatch(struct ctl_client *c, int argc, char **argv)
{
	int n = 0;

	/* -j/--json may come before the command or among its words (`stat -j`). */
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			c->json = true;
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	argc = n;
	if (argc == 0)
		return ctl_usage(c, "ustack [-n NAME] [-j] COMMAND [ARGS] (see ustack help)");
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		ctl_write(c, 'o', ctl_usage_text, sizeof(ctl_usage_text) - 1);
		return CTL_EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ctl_cmds); i++)
		if (!strcmp(ctl_cmds[i].name, argv[0]))
			return ctl_cmds[i].fn(c, argc, argv);
	ctl_eprintf(c, "ustack: unknown command \"%s\" (see ustack help)\n", argv[0]);
	return CTL_EXIT_USAGE;
}

struct us_netdev *ctl_dev_arg(struct ctl_client *c, const char *name)
{
	struct us_netdev *dev = name ? us_netdev_by_name(c->st, name) : NULL;

	if (!dev)
		ctl_eprintf(c, "ustack: cannot find device \"%s\"\n", name ? name : "");
	return dev;
}

int ctl_fail(struct ctl_client *c, const char *what, int err)
{
	ctl_eprintf(c, "ustack: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return CTL_EXIT_FAIL;
}

int ctl_usage(struct ctl_client *c, const char *usage)
{
	ctl_eprintf(c, "ustack: usage: %s\n", usage);
	return CTL_EXIT_USAGE;
}

struct us_json *ctl_list_begin(struct ctl_client *c, struct ctl_list *l)
{
	if (!c->json)
		return NULL;
	ctl_json_start(&l->b, &l->j);
	us_json_arr_begin(&l->j);
	return &l->j;
}

void ctl_list_end(struct ctl_client *c, struct ctl_list *l)
{
	if (!c->json)
		return;
	us_json_arr_end(&l->j);
	ctl_json_emit(c, &l->b, &l->j);
}

int ctl_done(struct ctl_client *c)
{
	if (c->json)
		ctl_printf(c, "{}\n");
	return CTL_EXIT_OK;
}

bool ctl_is_show(const char *word)
{
	return !strcmp(word, "show") || !strcmp(word, "list") || !strcmp(word, "ls");
}
