/*
 * ip_api.c - the public address and route calls of include/ustack/ustack.h
 * (us_addr_add/del, us_route_add/del): argument checks and defaults on top of
 * ifaddr.c and fib.c, as `ip addr` and `ip route` would set them.
 */
#include <errno.h>

#include "ip/fib.h"
#include "ip/ifaddr.h"
#include "ip/ip.h"
#include "ustack/ustack.h"

US_API int us_addr_add(struct us_stack *st, int ifindex, uint32_t addr, unsigned plen)
{
	if (!st || plen > 32)
		return -EINVAL;
	return ifaddr_add(st, ifindex, addr, (uint8_t)plen);
}

US_API int us_addr_del(struct us_stack *st, int ifindex, uint32_t addr, unsigned plen)
{
	if (!st || plen > 32)
		return -EINVAL;
	return ifaddr_del(st, ifindex, addr, (uint8_t)plen);
}

US_API int us_route_add(struct us_stack *st, uint32_t dst, unsigned plen, uint32_t gateway,
			int ifindex, const char *type, uint32_t metric)
{
	struct us_route r = {
		.dst = dst,
		.plen = (uint8_t)plen,
		.table = US_RT_TABLE_MAIN,
		.protocol = US_RTPROT_BOOT, /* what `ip route add` records by default */
		.gateway = gateway,
		.ifindex = ifindex,
		.metric = metric,
	};
	int t = type ? us_rt_type_parse(type) : US_RTN_UNICAST;

	if (!st || plen > 32 || ifindex < 0)
		return -EINVAL;
	/* local and broadcast routes belong to addresses (ifaddr.c), not to users. */
	if (t != US_RTN_UNICAST && t != US_RTN_BLACKHOLE && t != US_RTN_UNREACHABLE &&
	    t != US_RTN_PROHIBIT)
		return -EINVAL;
	r.type = (uint8_t)t;
	/* As iproute2: a route straight out of a device is scope link, one via a
	 * gateway or of a reject type is global. */
	r.scope = t == US_RTN_UNICAST && !gateway ? US_RT_SCOPE_LINK : US_RT_SCOPE_UNIVERSE;
	return fib_add(st, &r);
}

US_API int us_route_del(struct us_stack *st, uint32_t dst, unsigned plen)
{
	struct us_route m = { .dst = dst, .plen = (uint8_t)plen, .table = US_RT_TABLE_MAIN };

	if (!st || plen > 32)
		return -EINVAL;
	return fib_del(st, &m);
}
