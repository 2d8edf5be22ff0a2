/*
 * cmd_conf.c - counters and settings: stat (like `nstat -a`), set/get/settings
 * (like sysctl, by the kernel's sysctl names, DESIGN.md section 9) and capture.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/counters.h"
#include "ctl/server.h"
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"
#include "ustack/ustack.h"

/* ---- stat ---- */

static void stat_json(struct ctl_client *c)
{
	struct us_stack *st = c->st;
	struct us_buf b;
	struct us_json j;

	ctl_json_start(&b, &j);
	us_json_obj_begin(&j);
	us_json_key(&j, "counters");
	us_json_obj_begin(&j);
	for (int s = 0; s < US_STAT__COUNT; s++)
		us_json_kv_u64(&j, us_stat_name((enum us_stat)s), st->counters.stat[s]);
	us_json_obj_end(&j);
	us_json_key(&j, "drops");
	us_json_obj_begin(&j);
	for (int r = 0; r < US_DROP__COUNT; r++) {
		if (r == US_DROP_NONE)
			continue;
		us_json_kv_u64(&j, us_drop_name((enum us_drop_reason)r), st->counters.drop[r]);
	}
	us_json_obj_end(&j);
	us_json_key(&j, "devices");
	us_json_obj_begin(&j);
	for (int d = 1; d <= US_MAX_DEVS; d++) {
		const struct us_netdev *dev = st->devs[d];
		const struct us_netdev_stats *s;

		if (!dev)
			continue;
		s = &dev->stats;
		us_json_key(&j, dev->name);
		us_json_obj_begin(&j);
		us_json_kv_u64(&j, "rx_packets", s->rx_packets);
		us_json_kv_u64(&j, "rx_bytes", s->rx_bytes);
		us_json_kv_u64(&j, "rx_errors", s->rx_errors);
		us_json_kv_u64(&j, "rx_dropped", s->rx_dropped);
		us_json_kv_u64(&j, "tx_packets", s->tx_packets);
		us_json_kv_u64(&j, "tx_bytes", s->tx_bytes);
		us_json_kv_u64(&j, "tx_errors", s->tx_errors);
		us_json_kv_u64(&j, "tx_dropped", s->tx_dropped);
		us_json_kv_u64(&j, "rx_gso_frames", s->rx_gso_frames);
		us_json_kv_u64(&j, "tx_gso_frames", s->tx_gso_frames);
		us_json_kv_u64(&j, "rx_batches", s->rx_batches);
		us_json_kv_u64(&j, "tx_batches", s->tx_batches);
		us_json_obj_end(&j);
	}
	us_json_obj_end(&j);
	/* The packet buffer pool: what bounded memory means for packets (core/pkt.h). */
	us_json_key(&j, "pool");
	us_json_obj_begin(&j);
	us_json_kv_u64(&j, "in_use", st->pool.in_use);
	us_json_kv_u64(&j, "total", st->pool.total);
	us_json_kv_u64(&j, "max", st->pool.max);
	us_json_kv_u64(&j, "large_in_use", st->pool.large_in_use);
	us_json_kv_u64(&j, "large_max", st->pool.large_max);
	us_json_kv_u64(&j, "alloc_failures", st->pool.alloc_failures);
	us_json_obj_end(&j);
	us_json_obj_end(&j);
	ctl_json_emit(c, &b, &j);
}

int ctl_cmd_stat(struct ctl_client *c, int argc, char **argv)
{
	struct us_stack *st = c->st;
	bool all = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-a") || !strcmp(argv[i], "-z") || !strcmp(argv[i], "--all"))
			all = true;
		else
			return ctl_usage(c, "stat [-a] [-j]");
	}
	if (c->json) {
		stat_json(c);
		return CTL_EXIT_OK;
	}
	/* nstat's layout: name, value, then the meaning as a comment. */
	for (int s = 0; s < US_STAT__COUNT; s++) {
		uint64_t v = st->counters.stat[s];
		if (v || all)
			ctl_printf(c, "%-32s %-14" PRIu64 " # %s\n", us_stat_name((enum us_stat)s), v,
				   us_stat_doc((enum us_stat)s));
	}
	for (int r = 0; r < US_DROP__COUNT; r++) {
		uint64_t v = st->counters.drop[r];
		if (r == US_DROP_NONE || !(v || all))
			continue;
		ctl_printf(c, "drop.%-27s %-14" PRIu64 " # %s\n",
			   us_drop_name((enum us_drop_reason)r), v,
			   us_drop_doc((enum us_drop_reason)r));
	}
	if (all)
		ctl_printf(c, "# packet buffers: %u in use of %u allocated (bound %u), large %u of %u, "
			      "%" PRIu64 " allocation failures\n",
			   st->pool.in_use, st->pool.total, st->pool.max, st->pool.large_in_use,
			   st->pool.large_max, st->pool.alloc_failures);
	return CTL_EXIT_OK;
}

/* ---- set / get / settings ---- */

/* The one setting whose value is a name, not a number (us_stack_set takes it; the
 * TCP module keeps it). */
#define CC_SETTING "net.ipv4.tcp_congestion_control"
#define CC_SETTING_DEFAULT "cubic"
#define CC_SETTING_DOC "congestion control of new connections"

/* Reads it back as an application would see it: the algorithm a new TCP socket
 * starts with (what TCP_CONGESTION reports). 0, or -ENOBUFS (no socket could be had). */
static int cc_setting_get(struct us_stack *st, char *buf, size_t len)
{
	struct tcp_sock *tp = tcp_sock_new(st);
	struct tcp_conn_info ci;

	if (!tp)
		return -ENOBUFS;
	tcp_sock_info(tp, &ci);
	snprintf(buf, len, "%s", ci.cc ? ci.cc : "");
	tcp_close(tp); /* never connected: freed at once, nothing counted */
	return 0;
}

/* Prints (or adds to @j) "KEY = name" for the string setting. */
static int cc_setting_show(struct ctl_client *c, struct us_json *j)
{
	char name[32];
	int err = cc_setting_get(c->st, name, sizeof(name));

	if (err)
		return err;
	if (j)
		us_json_kv_str(j, CC_SETTING, name);
	else
		ctl_printf(c, "%s = %s\n", CC_SETTING, name);
	return 0;
}

static int setting_error(struct ctl_client *c, const char *key, const char *value, int err)
{
	const struct us_config_desc *d;

	switch (err) {
	case -ENOENT:
		ctl_eprintf(c, "ustack: set: unknown setting \"%s\" (see ustack settings)\n", key);
		break;
	case -ENODEV:
		ctl_eprintf(c, "ustack: set: %s: no such device\n", key);
		break;
	case -ERANGE:
		d = us_config_find(key);
		if (d)
			ctl_eprintf(c, "ustack: set: %s: %s is out of range [%" PRId64 ", %" PRId64 "]\n",
				    key, value, d->min, d->max);
		else
			ctl_eprintf(c, "ustack: set: %s: %s is out of range\n", key, value);
		break;
	case -EINVAL:
		ctl_eprintf(c, "ustack: set: %s: \"%s\" is not a number\n", key, value);
		break;
	default:
		ctl_eprintf(c, "ustack: set: %s: %s\n", key, strerror(-err));
		break;
	}
	return CTL_EXIT_FAIL;
}

int ctl_cmd_set(struct ctl_client *c, int argc, char **argv)
{
	struct us_buf b;
	struct us_json j;

	if (argc < 2)
		return ctl_usage(c, "set KEY=VALUE [KEY=VALUE ...]");
	for (int i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i] || !eq[1]) {
			ctl_eprintf(c, "ustack: set: expected KEY=VALUE, got \"%s\"\n", argv[i]);
			return CTL_EXIT_USAGE;
		}
	}
	if (c->json) {
		ctl_json_start(&b, &j);
		us_json_obj_begin(&j);
	}
	/* Applied in order; the first refusal stops (earlier ones stay, as with sysctl -w). */
	for (int i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *key = argv[i], *value = eq + 1;
		int64_t now = 0;
		int err;

		*eq = '\0';
		err = us_stack_set(c->st, key, value);
		if (err == -ENOENT && !strcmp(key, CC_SETTING)) {
			if (c->json)
				us_buf_free(&b);
			ctl_eprintf(c, "ustack: set: %s: unknown algorithm \"%s\" "
				       "(available: %s)\n", key, value, tcp_cc_available());
			return CTL_EXIT_FAIL;
		}
		if (err) {
			if (c->json)
				us_buf_free(&b);
			return setting_error(c, key, value, err);
		}
		if (!strcmp(key, CC_SETTING)) {
			cc_setting_show(c, c->json ? &j : NULL);
			continue;
		}
		us_stack_get(c->st, key, &now);
		if (c->json)
			us_json_kv_i64(&j, key, now);
		else
			ctl_printf(c, "%s = %" PRId64 "\n", key, now);
	}
	if (c->json) {
		us_json_obj_end(&j);
		ctl_json_emit(c, &b, &j);
	}
	return CTL_EXIT_OK;
}

int ctl_cmd_get(struct ctl_client *c, int argc, char **argv)
{
	int64_t v;
	int err;

	if (argc != 2)
		return ctl_usage(c, "get KEY");
	if (!strcmp(argv[1], CC_SETTING)) {
		struct us_buf b;
		struct us_json j;

		if (!c->json) {
			err = cc_setting_show(c, NULL);
			return err ? ctl_fail(c, "get", err) : CTL_EXIT_OK;
		}
		ctl_json_start(&b, &j);
		us_json_obj_begin(&j);
		err = cc_setting_show(c, &j);
		if (err) {
			us_buf_free(&b);
			return ctl_fail(c, "get", err);
		}
		us_json_obj_end(&j);
		ctl_json_emit(c, &b, &j);
		return CTL_EXIT_OK;
	}
	err = us_stack_get(c->st, argv[1], &v);
	if (err == -ENOENT) {
		ctl_eprintf(c, "ustack: get: unknown setting \"%s\" (see ustack settings)\n", argv[1]);
		return CTL_EXIT_FAIL;
	}
	if (err)
		return ctl_fail(c, "get", err);
	if (c->json) {
		struct us_buf b;
		struct us_json j;

		ctl_json_start(&b, &j);
		us_json_obj_begin(&j);
		us_json_kv_i64(&j, argv[1], v);
		us_json_obj_end(&j);
		ctl_json_emit(c, &b, &j);
	} else {
		ctl_printf(c, "%s = %" PRId64 "\n", argv[1], v);
	}
	return CTL_EXIT_OK;
}

int ctl_cmd_settings(struct ctl_client *c, int argc, char **argv)
{
	struct us_stack *st = c->st;
	struct us_buf b;
	struct us_json j;

	(void)argv;
	if (argc != 1)
		return ctl_usage(c, "settings");
	if (c->json) {
		ctl_json_start(&b, &j);
		us_json_arr_begin(&j);
	}
	for (size_t i = 0; i < us_config_count(); i++) {
		const struct us_config_desc *d = us_config_desc_at(i);
		int64_t v = 0;

		us_stack_get(st, d->name, &v);
		if (c->json) {
			us_json_obj_begin(&j);
			us_json_kv_str(&j, "name", d->name);
			us_json_kv_i64(&j, "value", v);
			us_json_kv_i64(&j, "default", d->def);
			us_json_kv_i64(&j, "min", d->min);
			us_json_kv_i64(&j, "max", d->max);
			us_json_kv_str(&j, "meaning", d->doc);
			us_json_obj_end(&j);
		} else {
			ctl_printf(c, "%-46s = %-9" PRId64 " # %s (default %" PRId64 ", %" PRId64
				      "..%" PRId64 ")\n",
				   d->name, v, d->doc, d->def, d->min, d->max);
		}
	}
	/* The string setting: its value is a name (min/max null in JSON). */
	{
		char name[32];

		if (cc_setting_get(st, name, sizeof(name)) < 0)
			snprintf(name, sizeof(name), "?");
		if (c->json) {
			us_json_obj_begin(&j);
			us_json_kv_str(&j, "name", CC_SETTING);
			us_json_kv_str(&j, "value", name);
			us_json_kv_str(&j, "default", CC_SETTING_DEFAULT);
			us_json_key(&j, "min");
			us_json_null(&j);
			us_json_key(&j, "max");
			us_json_null(&j);
			us_json_kv_str(&j, "meaning", CC_SETTING_DOC);
			us_json_kv_str(&j, "available", tcp_cc_available());
			us_json_obj_end(&j);
		} else {
			ctl_printf(c, "%-46s = %-9s # %s (default %s; %s)\n", CC_SETTING, name,
				   CC_SETTING_DOC, CC_SETTING_DEFAULT, tcp_cc_available());
		}
	}
	/* The per-device switches (net.ipv4.conf.DEV.forwarding). */
	for (int d = 1; d <= US_MAX_DEVS; d++) {
		const struct us_netdev *dev = st->devs[d];
		char name[64];
		int64_t v;

		if (!dev)
			continue;
		snprintf(name, sizeof(name), "net.ipv4.conf.%s.forwarding", dev->name);
		v = !!(dev->flags & US_DEV_FORWARDING);
		if (c->json) {
			us_json_obj_begin(&j);
			us_json_kv_str(&j, "name", name);
			us_json_kv_i64(&j, "value", v);
			us_json_kv_i64(&j, "default", st->cfg.ip_forward);
			us_json_kv_i64(&j, "min", 0);
			us_json_kv_i64(&j, "max", 1);
			us_json_kv_str(&j, "meaning", "forward datagrams arriving on this device");
			us_json_obj_end(&j);
		} else {
			ctl_printf(c, "%-46s = %-9" PRId64 " # forward datagrams arriving on this "
				      "device (0..1)\n", name, v);
		}
	}
	if (c->json) {
		us_json_arr_end(&j);
		ctl_json_emit(c, &b, &j);
	}
	return CTL_EXIT_OK;
}

/* ---- capture ---- */

int ctl_cmd_capture(struct ctl_client *c, int argc, char **argv)
{
	static const char usage[] = "capture start|stop DEV FILE";
	struct us_netdev *dev;
	char path[CTL_CWD_MAX];
	bool start;
	int err;

	if (argc != 4 || (strcmp(argv[1], "start") && strcmp(argv[1], "stop")))
		return ctl_usage(c, usage);
	start = !strcmp(argv[1], "start");
	dev = ctl_dev_arg(c, argv[2]);
	if (!dev)
		return CTL_EXIT_FAIL;
	/* FILE is the client's: relative to its directory, not the daemon's. */
	if (ctl_client_path(c, argv[3], path, sizeof(path)) < 0)
		return ctl_fail(c, "capture", -ENAMETOOLONG);
	err = start ? us_capture_start(c->st, dev->ifindex, path)
		    : us_capture_stop(c->st, dev->ifindex, path);
	if (err == -ENOENT && !start) {
		ctl_eprintf(c, "ustack: capture stop: no capture of %s to %s\n", dev->name, path);
		return CTL_EXIT_FAIL;
	}
	if (err) {
		ctl_eprintf(c, "ustack: capture %s: %s: %s\n", argv[1], path, strerror(-err));
		return CTL_EXIT_FAIL;
	}
	if (c->json)
		ctl_printf(c, "{}\n");
	return CTL_EXIT_OK;
}
