/*
 * ustack.h - the public API of libustack: stacks, devices, settings, counters.
 *
 * A stack is owned by one thread. In inline mode that is the caller's thread:
 * it calls us_stack_poll() (or us_stack_wait() + us_stack_poll()) in a loop.
 * Functions return 0 / a count on success and a negative errno on failure.
 * Addresses in this API are IPv4 addresses in host byte order unless a
 * struct sockaddr is involved.
 */
#ifndef USTACK_USTACK_H
#define USTACK_USTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define US_API_EXPORT __attribute__((visibility("default")))

struct us_stack;

struct us_stack_opts {
	const char *name;           /* for logs and the control socket; "ustack" if NULL */
	bool virtual_clock;         /* time moves only by us_stack_clock_set/advance */
	uint64_t clock_start_ns;    /* virtual clock's start */
	unsigned max_pkt_buffers;   /* pool bound; 0 = 16384 */
	unsigned max_large_buffers; /* bound on >2 KB buffers; 0 = 512 */
	bool no_loopback;           /* do not create "lo" with 127.0.0.1/8 */
	int log_level;              /* 0 default (warnings), 1 errors, 2 warnings, 3 info, 4 debug */
	uint64_t seed;              /* non-zero: hash keys and random choices derive from it, so
	                             * runs replay exactly (pcap device, simulator); 0: getrandom */
};

US_API_EXPORT struct us_stack *us_stack_new(const struct us_stack_opts *opts);
/* Closes every device and socket and frees the stack. */
US_API_EXPORT void us_stack_free(struct us_stack *st);

/* One poll round (timers, receive, hooks, transmit). Returns frames received. */
US_API_EXPORT int us_stack_poll(struct us_stack *st);
/* Sleeps until a device has input, the next timer is due, or @max_wait_ms passes
 * (-1: no limit; 0: don't sleep). Returns 0 or -errno (-EINTR on a signal). */
US_API_EXPORT int us_stack_wait(struct us_stack *st, int max_wait_ms);
/* Adds a file descriptor the stack's wait should also wake for (e.g. a control socket). */
US_API_EXPORT int us_stack_watch_fd(struct us_stack *st, int fd);
US_API_EXPORT int us_stack_unwatch_fd(struct us_stack *st, int fd);
/* Earliest time (stack clock, ns) anything is due; UINT64_MAX if nothing. */
US_API_EXPORT uint64_t us_stack_next_deadline_ns(struct us_stack *st);
US_API_EXPORT uint64_t us_stack_now_ns(struct us_stack *st);
/* Virtual clock only: move time forward to @ns. */
US_API_EXPORT void us_stack_clock_set(struct us_stack *st, uint64_t ns);

/* Settings by sysctl name ("net.ipv4.ip_forward") or per-device
 * "net.ipv4.conf.DEV.forwarding". 0, -ENOENT, -ERANGE, -EINVAL. */
US_API_EXPORT int us_stack_set(struct us_stack *st, const char *name, const char *value);
US_API_EXPORT int us_stack_get(struct us_stack *st, const char *name, int64_t *value);

/* Counters by SNMP name ("IpInReceives") or drop reason ("drop.IP_CSUM"). -ENOENT if unknown. */
US_API_EXPORT int us_stack_counter(struct us_stack *st, const char *name, uint64_t *value);

/* Devices. Each returns the new device's ifindex (> 0) or -errno. */
struct us_tap_opts {
	bool vnet_hdr;     /* negotiate IFF_VNET_HDR and checksum offload (default on) */
	int mtu;           /* 0 = keep the interface's MTU */
	const uint8_t *mac;/* NULL = a random locally administered address */
};
US_API_EXPORT int us_dev_tap_open(struct us_stack *st, const char *ifname,
				  const struct us_tap_opts *opts);
/* A TUN interface (IFF_TUN: bare IPv4 datagrams, no ARP), created or attached like a
 * TAP; @opts as for TAP except mac, which must be NULL (a TUN has no link address). */
US_API_EXPORT int us_dev_tun_open(struct us_stack *st, const char *ifname,
				  const struct us_tap_opts *opts);
/* The existing Ethernet interface @ifname (a veth end, a NIC) driven through an AF_PACKET
 * socket with a TPACKET_V3 receive ring. The kernel should have no IPv4 address on it.
 * opts->vnet_hdr is ignored (always used); opts->mtu must be 0 or the interface's MTU;
 * opts->mac: our address (NULL: the interface's own; another one makes it promiscuous). */
US_API_EXPORT int us_dev_packet_open(struct us_stack *st, const char *ifname,
				     const struct us_tap_opts *opts);
/* Frames come from @in_path (its timestamps drive a virtual clock); frames sent go to
 * @out_path. Either may be NULL. */
US_API_EXPORT int us_dev_pcap_open(struct us_stack *st, const char *name, const char *in_path,
				   const char *out_path, const uint8_t *mac);
/* Two devices joined back to back in memory, one in each stack (may be the same stack). */
US_API_EXPORT int us_dev_pair_new(struct us_stack *a, const char *name_a, struct us_stack *b,
				  const char *name_b, int *ifindex_b);
/* Injects one frame into an in-memory device as if received (tests, fuzzing). */
US_API_EXPORT int us_dev_inject(struct us_stack *st, int ifindex, const void *frame, size_t len);
US_API_EXPORT int us_dev_set_mtu(struct us_stack *st, int ifindex, unsigned mtu);
US_API_EXPORT int us_dev_set_up(struct us_stack *st, int ifindex, bool up);
US_API_EXPORT int us_dev_index(struct us_stack *st, const char *name);

/* Capture every frame received and sent on a device to a pcap file tcpdump reads. */
US_API_EXPORT int us_capture_start(struct us_stack *st, int ifindex, const char *path);
US_API_EXPORT int us_capture_stop(struct us_stack *st, int ifindex, const char *path);

/* Addresses and routes. */
US_API_EXPORT int us_addr_add(struct us_stack *st, int ifindex, uint32_t addr, unsigned plen);
US_API_EXPORT int us_addr_del(struct us_stack *st, int ifindex, uint32_t addr, unsigned plen);
/* A default or static route: via @gateway (0 = on-link) out of @ifindex (0 = find by
 * gateway). @type is "unicast", "blackhole", "unreachable", "prohibit". */
US_API_EXPORT int us_route_add(struct us_stack *st, uint32_t dst, unsigned plen,
			       uint32_t gateway, int ifindex, const char *type, uint32_t metric);
US_API_EXPORT int us_route_del(struct us_stack *st, uint32_t dst, unsigned plen);

#ifdef __cplusplus
}
#endif
#endif
