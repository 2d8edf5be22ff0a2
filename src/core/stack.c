/*
 * stack.c - creating and freeing a stack, and the poll round (see stack.h for
 * the phases). The event loop's sleep is us_stack_wait(): epoll on the device
 * fds (and any fd a user asked to watch), with the next deadline as timeout.
 */
#include "core/stack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "dev/devices.h"
#include "icmp/icmp.h"
#include "ip/fib.h"
#include "ip/ifaddr.h"
#include "ip/ip.h"
#include "ip/pmtu.h"
#include "neigh/neigh.h"
#include "socket/sock.h"
#include "tcp/tcp.h"
#include "udp/udp.h"
#include "ustack/ustack.h"

struct module {
	const char *name;
	int (*init)(struct us_stack *st);
	void (*fini)(struct us_stack *st);
};

/* Initialised in this order, finalised in reverse. */
static const struct module modules[] = {
	{ "neigh", neigh_init, neigh_fini },
	{ "fib", fib_init, fib_fini },
	{ "pmtu", pmtu_init, pmtu_fini },
	{ "reasm", reasm_init, reasm_fini },
	{ "icmp", icmp_init, icmp_fini },
	{ "udp", udp_init, udp_fini },
	{ "tcp", tcp_init, tcp_fini },
	{ "socket", sock_init, sock_fini },
};

uint32_t us_stack_rand(struct us_stack *st)
{
	/* xorshift64*: fast, good enough for jitter; never for anything an attacker guesses. */
	uint64_t x = st->rand_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	st->rand_state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

void us_stack_update_time(struct us_stack *st)
{
	uint64_t now = us_clock_now(&st->clock);

	if (now > st->now_ns)
		st->now_ns = now;
	st->now_ms = st->now_ns / US_NSEC_PER_MSEC;
}

void us_stack_add_poll_hook(struct us_stack *st, struct us_poll_hook *h)
{
	list_add_tail(&h->link, &st->poll_hooks);
}

void us_stack_add_output_hook(struct us_stack *st, struct us_poll_hook *h)
{
	list_add_tail(&h->link, &st->output_hooks);
}

void us_stack_del_poll_hook(struct us_stack *st, struct us_poll_hook *h)
{
	(void)st;
	list_del(&h->link);
}

US_API struct us_stack *us_stack_new(const struct us_stack_opts *opts)
{
	struct us_stack_opts defaults = { 0 };
	struct us_stack *st;
	size_t i;
	int lo;

	if (!opts)
		opts = &defaults;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	snprintf(st->name, sizeof(st->name), "%s", opts->name ? opts->name : "ustack");
	if (opts->virtual_clock)
		us_clock_init_virtual(&st->clock, opts->clock_start_ns);
	else
		us_clock_init_real(&st->clock);
	us_stack_update_time(st);
	us_config_defaults(&st->cfg);
	st->log.level = opts->log_level > 0 && opts->log_level <= 4 ? (enum us_log_level)(opts->log_level - 1)
								   : US_LOG_WARN;
	st->log.tokens_milli = 50 * 1000;
	st->log.last_ns = st->now_ns;
	us_timer_wheel_init(&st->timers, st->now_ms);
	us_pkt_pool_init(&st->pool, opts->max_pkt_buffers ? opts->max_pkt_buffers : 16384,
			 opts->max_large_buffers ? opts->max_large_buffers : 512);
	if (opts->seed) {
		/* Deterministic runs: derive every key from the seed. */
		uint64_t z = opts->seed;

		st->hash_key.k0 = us_splitmix64(&z);
		st->hash_key.k1 = us_splitmix64(&z);
	} else {
		us_siphash_key_random(&st->hash_key);
	}
	st->rand_state = st->hash_key.k0 | 1;
	list_init(&st->poll_hooks);
	list_init(&st->output_hooks);
	st->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (st->epoll_fd < 0)
		goto err_free;

	for (i = 0; i < ARRAY_SIZE(modules); i++) {
		int err = modules[i].init(st);
		if (err) {
			us_log(st, US_LOG_ERR, "stack", "%s_init: %s", modules[i].name, strerror(-err));
			goto err_modules;
		}
	}
	if (!opts->no_loopback) {
		lo = us_loopback_create(st);
		if (lo < 0 || ifaddr_add(st, lo, 0x7f000001, 8) < 0) {
			us_log(st, US_LOG_ERR, "stack", "cannot create loopback");
			i = ARRAY_SIZE(modules);
			goto err_modules;
		}
	}
	return st;

err_modules:
	for (int d = 1; d <= US_MAX_DEVS; d++) {
		if (!st->devs[d])
			continue;
		ifaddr_flush_dev(st, st->devs[d]); /* lo's addresses, as us_stack_free */
		us_netdev_unregister(st->devs[d]);
	}
	while (i-- > 0)
		modules[i].fini(st);
	close(st->epoll_fd);
err_free:
	us_pkt_pool_fini(&st->pool);
	free(st);
	return NULL;
}

US_API void us_stack_free(struct us_stack *st)
{
	size_t i;

	if (!st)
		return;
	/* Sockets first (they may hold packets), then devices, then the lower layers. */
	for (i = ARRAY_SIZE(modules); i-- > 0;) {
		if (modules[i].init == sock_init)
			modules[i].fini(st);
	}
	for (int d = 1; d <= US_MAX_DEVS; d++) {
		if (!st->devs[d])
			continue;
		ifaddr_flush_dev(st, st->devs[d]);
		us_netdev_unregister(st->devs[d]);
	}
	for (i = ARRAY_SIZE(modules); i-- > 0;) {
		if (modules[i].init != sock_init)
			modules[i].fini(st);
	}
	if (st->pool.in_use || st->pool.large_in_use)
		us_log(st, US_LOG_WARN, "stack", "%u packet buffers (+%u large) still in use at exit",
		       st->pool.in_use, st->pool.large_in_use);
	us_pkt_pool_fini(&st->pool);
	close(st->epoll_fd);
	free(st);
}

US_API int us_stack_poll(struct us_stack *st)
{
	struct us_poll_hook *h, *tmp;
	int frames = 0;

	us_stack_update_time(st);
	st->round_requested = false;
	us_timer_wheel_run(&st->timers, st->now_ms);
	for (int d = 1; d <= US_MAX_DEVS; d++)
		if (st->devs[d])
			frames += us_netdev_poll_rx(st->devs[d], (int)st->cfg.dev_budget);
	list_for_each_entry_safe(h, tmp, &st->poll_hooks, link)
		h->fn(h, st);
	list_for_each_entry_safe(h, tmp, &st->output_hooks, link)
		h->fn(h, st);
	for (int d = 1; d <= US_MAX_DEVS; d++)
		if (st->devs[d] && st->devs[d]->txq.len)
			us_netdev_flush(st->devs[d]);
	return frames;
}

US_API uint64_t us_stack_next_deadline_ns(struct us_stack *st)
{
	uint64_t next_ms = us_timer_wheel_next(&st->timers);
	uint64_t next = next_ms == US_TIMER_NEVER ? UINT64_MAX : next_ms * US_NSEC_PER_MSEC;

	if (st->round_requested)
		return st->now_ns;
	for (int d = 1; d <= US_MAX_DEVS; d++) {
		struct us_netdev *dev = st->devs[d];
		if (!dev)
			continue;
		if (dev->txq.len)
			return st->now_ns; /* output left over: go again at once */
		if (dev->ops->next_rx_ns) {
			uint64_t t = dev->ops->next_rx_ns(dev);
			if (t < next)
				next = t;
		}
	}
	return next;
}

/*
 * Busy polling (net.core.busy_poll): look for events without sleeping until @spin_end
 * (clock ns). Waking a sleeping thread costs tens of microseconds here, more than a
 * whole request/response through the stack; a spinning thread sees the frame at once.
 * Returns 1 (events are waiting), 0 (none came) or a negative errno.
 */
static int busy_poll(struct us_stack *st, uint64_t spin_end)
{
	struct epoll_event evs[16];

	while (us_clock_now(&st->clock) < spin_end) {
		int n = epoll_wait(st->epoll_fd, evs, (int)ARRAY_SIZE(evs), 0);

		if (n != 0)
			return n > 0 ? 1 : -errno;
	}
	return 0;
}

US_API int us_stack_wait(struct us_stack *st, int max_wait_ms)
{
	struct epoll_event evs[16];
	uint64_t deadline = us_stack_next_deadline_ns(st);
	uint64_t now = us_clock_now(&st->clock);
	int timeout = max_wait_ms;

	if (st->cfg.busy_poll_us && !st->clock.is_virtual && max_wait_ms != 0) {
		uint64_t spin_end = now + (uint64_t)st->cfg.busy_poll_us * US_NSEC_PER_USEC;
		int r;

		if (max_wait_ms > 0 && now + (uint64_t)max_wait_ms * US_NSEC_PER_MSEC < spin_end)
			spin_end = now + (uint64_t)max_wait_ms * US_NSEC_PER_MSEC;
		if (deadline < spin_end)
			spin_end = deadline;
		r = busy_poll(st, spin_end);
		if (r)
			return r < 0 ? r : 0;
		if (max_wait_ms > 0) {
			uint64_t spun_ms = (us_clock_now(&st->clock) - now) / US_NSEC_PER_MSEC;
			timeout = spun_ms >= (uint64_t)max_wait_ms ? 0 : max_wait_ms - (int)spun_ms;
		}
		now = us_clock_now(&st->clock);
	}
	if (deadline != UINT64_MAX) {
		uint64_t wait_ns = deadline > now ? deadline - now : 0;
		uint64_t wait_ms = (wait_ns + US_NSEC_PER_MSEC - 1) / US_NSEC_PER_MSEC;
		if (timeout < 0 || wait_ms < (uint64_t)timeout)
			timeout = (int)wait_ms;
	}
	if (st->clock.is_virtual)
		timeout = 0; /* virtual time does not pass by sleeping */
	if (epoll_wait(st->epoll_fd, evs, (int)ARRAY_SIZE(evs), timeout) < 0)
		return -errno;
	return 0;
}

US_API int us_stack_watch_fd(struct us_stack *st, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UINT64_MAX };

	return epoll_ctl(st->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

US_API int us_stack_unwatch_fd(struct us_stack *st, int fd)
{
	return epoll_ctl(st->epoll_fd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

US_API uint64_t us_stack_now_ns(struct us_stack *st) { return us_clock_now(&st->clock); }

US_API void us_stack_clock_set(struct us_stack *st, uint64_t ns) { us_clock_set(&st->clock, ns); }

static int dev_setting(struct us_stack *st, const char *name, struct us_netdev **dev,
		       const char **leaf)
{
	/* net.ipv4.conf.DEV.forwarding */
	const char *prefix = "net.ipv4.conf.";
	char devname[US_IFNAMSIZ];
	const char *rest, *dot;

	if (strncmp(name, prefix, strlen(prefix)))
		return -ENOENT;
	rest = name + strlen(prefix);
	dot = strchr(rest, '.');
	if (!dot || (size_t)(dot - rest) >= sizeof(devname))
		return -ENOENT;
	memcpy(devname, rest, (size_t)(dot - rest));
	devname[dot - rest] = 0;
	if (!strcmp(devname, "all") || !strcmp(devname, "default"))
		return -ENOENT;
	*dev = us_netdev_by_name(st, devname);
	if (!*dev)
		return -ENODEV;
	*leaf = dot + 1;
	return strcmp(*leaf, "forwarding") ? -ENOENT : 0;
}

US_API int us_stack_set(struct us_stack *st, const char *name, const char *value)
{
	struct us_netdev *dev;
	const char *leaf;
	int err;

	/* The one setting whose value is a name, not a number. */
	if (!strcmp(name, "net.ipv4.tcp_congestion_control"))
		return tcp_set_default_cc(st, value);
	err = dev_setting(st, name, &dev, &leaf);

	if (!err) {
		if (strcmp(value, "0") && strcmp(value, "1"))
			return -ERANGE;
		if (value[0] == '1')
			dev->flags |= US_DEV_FORWARDING;
		else
			dev->flags &= ~(uint32_t)US_DEV_FORWARDING;
		return 0;
	}
	if (err != -ENOENT)
		return err;
	err = us_config_set(&st->cfg, name, value);
	/* net.ipv4.ip_forward also sets every device's forwarding flag, as in Linux. */
	if (!err && !strcmp(us_config_find(name)->field, "ip_forward")) {
		for (int d = 1; d <= US_MAX_DEVS; d++) {
			if (!st->devs[d])
				continue;
			if (st->cfg.ip_forward)
				st->devs[d]->flags |= US_DEV_FORWARDING;
			else
				st->devs[d]->flags &= ~(uint32_t)US_DEV_FORWARDING;
		}
	}
	return err;
}

US_API int us_stack_get(struct us_stack *st, const char *name, int64_t *value)
{
	struct us_netdev *dev;
	const char *leaf;
	int err = dev_setting(st, name, &dev, &leaf);

	if (!err) {
		*value = !!(dev->flags & US_DEV_FORWARDING);
		return 0;
	}
	if (err != -ENOENT)
		return err;
	return us_config_get(&st->cfg, name, value);
}

US_API int us_stack_counter(struct us_stack *st, const char *name, uint64_t *value)
{
	if (!strncmp(name, "drop.", 5)) {
		for (int r = 0; r < US_DROP__COUNT; r++)
			if (!strcmp(us_drop_name((enum us_drop_reason)r), name + 5)) {
				*value = st->counters.drop[r];
				return 0;
			}
		return -ENOENT;
	}
	for (int s = 0; s < US_STAT__COUNT; s++)
		if (!strcmp(us_stat_name((enum us_stat)s), name)) {
			*value = st->counters.stat[s];
			return 0;
		}
	return -ENOENT;
}
