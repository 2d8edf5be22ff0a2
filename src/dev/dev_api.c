/*
 * dev_api.c - the public device functions of include/ustack/ustack.h: open a
 * TAP, pcap or pair device, inject a frame, change MTU and up/down state, look
 * a device up by name, start and stop captures.
 *
 * Control path only: arguments are checked here (names, sizes, ifindexes) and
 * errors are returned as -errno; the backends (dev_*.c) assume valid input.
 * Also holds the helpers every backend shares: the device MAC and registration.
 */
#include <errno.h>
#include <string.h>

#include "base/hash.h"
#include "core/stack.h"
#include "dev/capture.h"
#include "dev/devices.h"
#include "ustack/ustack.h"

/* RFC 791: every internet module must be able to forward a 68-byte datagram. */
#define DEV_MTU_MIN 68
/* The IPv4 total length is 16 bits; loopback's MTU is 64 KB, as Linux's. */
#define DEV_MTU_MAX 65535
#define DEV_MTU_MAX_LOOPBACK 65536

/* Interface names follow the kernel's rules (dev_valid_name): 1..15 bytes, no '/',
 * no white space, not "." or "..". */
static bool dev_name_ok(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strlen(name);
	if (len == 0 || len >= US_IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' || name[i] == ' ' || name[i] == '\t' ||
		    name[i] == '\n')
			return false;
	return true;
}

/* A device's own address must be a unicast address other than all zeros. */
static bool dev_mac_ok(const uint8_t *mac)
{
	static const uint8_t zero[US_ETH_ALEN];

	return !mac || (!(mac[0] & 0x01) && memcmp(mac, zero, US_ETH_ALEN));
}

void dev_make_mac(struct us_stack *st, const char *name, uint8_t mac[US_ETH_ALEN])
{
	char buf[8 + US_IFNAMSIZ];
	size_t n = strlen(name);
	uint64_t h;

	memcpy(buf, "dev-mac:", 8);
	memcpy(buf + 8, name, n);
	h = us_siphash(&st->hash_key, buf, 8 + n);
	for (int i = 0; i < US_ETH_ALEN; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	/* IEEE 802: bit 0 of the first octet is group (must be clear for a unicast
	 * address), bit 1 is locally administered (set: not a vendor's OUI). */
	mac[0] = (uint8_t)((mac[0] & ~0x01u) | 0x02u);
}

int dev_register(struct us_stack *st, struct us_netdev *dev)
{
	/* New devices take net.ipv4.ip_forward as their forwarding flag, as Linux's
	 * conf.default.forwarding follows ip_forward. */
	if (st->cfg.ip_forward)
		dev->flags |= US_DEV_FORWARDING;
	return us_netdev_register(st, dev);
}

US_API int us_dev_tap_open(struct us_stack *st, const char *ifname, const struct us_tap_opts *opts)
{
	if (!st || !dev_name_ok(ifname))
		return -EINVAL;
	if (opts && opts->mtu && (opts->mtu < DEV_MTU_MIN || opts->mtu > DEV_MTU_MAX))
		return -EINVAL;
	if (opts && !dev_mac_ok(opts->mac))
		return -EINVAL;
	if (us_netdev_by_name(st, ifname))
		return -EEXIST;
	return dev_tap_create(st, ifname, opts);
}

US_API int us_dev_packet_open(struct us_stack *st, const char *ifname,
			      const struct us_tap_opts *opts)
{
	if (!st || !dev_name_ok(ifname))
		return -EINVAL;
	if (opts && !dev_mac_ok(opts->mac))
		return -EINVAL;
	if (us_netdev_by_name(st, ifname))
		return -EEXIST;
	return dev_packet_create(st, ifname, opts);
}

US_API int us_dev_tun_open(struct us_stack *st, const char *ifname, const struct us_tap_opts *opts)
{
	if (!st || !dev_name_ok(ifname))
		return -EINVAL;
	if (opts && opts->mtu && (opts->mtu < DEV_MTU_MIN || opts->mtu > DEV_MTU_MAX))
		return -EINVAL;
	if (opts && opts->mac)
		return -EINVAL; /* no link-layer address on a TUN */
	if (us_netdev_by_name(st, ifname))
		return -EEXIST;
	return dev_tun_create(st, ifname, opts);
}

US_API int us_dev_pcap_open(struct us_stack *st, const char *name, const char *in_path,
			    const char *out_path, const uint8_t *mac)
{
	if (!st || !dev_name_ok(name) || (!in_path && !out_path) || !dev_mac_ok(mac))
		return -EINVAL;
	if (us_netdev_by_name(st, name))
		return -EEXIST;
	return dev_pcap_create(st, name, in_path, out_path, mac);
}

US_API int us_dev_pair_new(struct us_stack *a, const char *name_a, struct us_stack *b,
			   const char *name_b, int *ifindex_b)
{
	if (!a || !b || !dev_name_ok(name_a) || !dev_name_ok(name_b))
		return -EINVAL;
	if (a == b && !strcmp(name_a, name_b))
		return -EEXIST;
	if (us_netdev_by_name(a, name_a) || us_netdev_by_name(b, name_b))
		return -EEXIST;
	return dev_pair_create(a, name_a, b, name_b, ifindex_b);
}

US_API int us_dev_inject(struct us_stack *st, int ifindex, const void *frame, size_t len)
{
	struct us_netdev *dev;
	int err;

	if (!st || (!frame && len))
		return -EINVAL;
	dev = us_netdev_by_index(st, ifindex);
	if (!dev)
		return -ENODEV;
	err = dev_pair_inject(dev, frame, len);
	if (err == -EOPNOTSUPP)
		err = dev_loop_inject(dev, frame, len);
	return err;
}

US_API int us_dev_set_mtu(struct us_stack *st, int ifindex, unsigned mtu)
{
	struct us_netdev *dev;
	unsigned max;
	int err;

	if (!st)
		return -EINVAL;
	dev = us_netdev_by_index(st, ifindex);
	if (!dev)
		return -ENODEV;
	max = dev->link == US_LINK_LOOPBACK ? DEV_MTU_MAX_LOOPBACK : DEV_MTU_MAX;
	if (mtu < DEV_MTU_MIN || mtu > max)
		return -EINVAL;
	/* A TAP's kernel side must agree, or frames it sends would not fit our buffers. */
	err = dev_tap_set_mtu(dev, mtu);
	if (err && err != -EOPNOTSUPP)
		return err;
	dev->mtu = mtu;
	return 0;
}

US_API int us_dev_set_up(struct us_stack *st, int ifindex, bool up)
{
	struct us_netdev *dev;

	if (!st)
		return -EINVAL;
	dev = us_netdev_by_index(st, ifindex);
	if (!dev)
		return -ENODEV;
	if (up)
		dev->flags |= US_DEV_UP;
	else
		dev->flags &= ~(uint32_t)US_DEV_UP;
	return 0;
}

US_API int us_dev_index(struct us_stack *st, const char *name)
{
	struct us_netdev *dev;

	if (!st || !name)
		return -EINVAL;
	dev = us_netdev_by_name(st, name);
	return dev ? dev->ifindex : -ENODEV;
}

US_API int us_capture_start(struct us_stack *st, int ifindex, const char *path)
{
	struct us_netdev *dev;

	if (!st || !path || !*path)
		return -EINVAL;
	dev = us_netdev_by_index(st, ifindex);
	if (!dev)
		return -ENODEV;
	return us_capture_open(dev, path);
}

US_API int us_capture_stop(struct us_stack *st, int ifindex, const char *path)
{
	struct us_netdev *dev;

	if (!st || !path)
		return -EINVAL;
	dev = us_netdev_by_index(st, ifindex);
	if (!dev)
		return -ENODEV;
	return us_capture_close(dev, path);
}
