/*
 * devices.h - constructors of the device backends that are not public API.
 * (TAP, pcap and pair devices are created through include/ustack/ustack.h.)
 */
#ifndef US_DEV_DEVICES_H
#define US_DEV_DEVICES_H

#include "core/stack.h"

/* Creates "lo" (US_LINK_LOOPBACK, MTU 65536, up). Returns its ifindex or -errno. */
int us_loopback_create(struct us_stack *st);

#endif
