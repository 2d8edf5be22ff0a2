/*
 * capture.h - packet taps: every frame a device receives or sends can be
 * copied to pcap files (like the kernel's packet taps, dev_queue_xmit_nit).
 * Frames are written with their link header (Ethernet: DLT_EN10MB; IP and
 * loopback devices: DLT_RAW) and the stack clock's time, so tcpdump and
 * Wireshark read them.
 */
#ifndef US_DEV_CAPTURE_H
#define US_DEV_CAPTURE_H

#include <stdbool.h>

#include "dev/netdev.h"

/* Borrows @p: writes p's data to every capture open on @dev. */
void us_capture_frame(struct us_netdev *dev, const struct us_pkt *p, bool tx);
/* Closes every capture of @dev (device removal). */
void us_capture_close_all(struct us_netdev *dev);

#endif
