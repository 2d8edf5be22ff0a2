/*
 * capture.c - packet taps: copies of the frames a device receives and sends,
 * written to pcap files that tcpdump and Wireshark read (the kernel's
 * dev_queue_xmit_nit / packet taps play this role for tcpdump on Linux).
 *
 * Entry: us_capture_frame(), called by us_netdev_poll_rx() for each frame
 * received (before it goes up) and by us_netdev_flush() for each frame sent
 * (before the device gets it); us_capture_open/close behind the public
 * us_capture_start/stop. Borrows every packet, never changes one.
 *
 * Each device has at most CAPTURE_MAX_PER_DEV files. Ethernet devices write
 * DLT_EN10MB, IP and loopback devices DLT_RAW (the frame is the datagram).
 * Time stamps are the stack's time in nanoseconds: as is on a virtual clock
 * (runs replay to the byte), moved to wall-clock time on a real clock so the
 * file shows when it happened. Files are flushed once per receive batch and
 * once per transmit batch (the backends call us_capture_rx_batch and
 * us_capture_tx_done), so `tcpdump -r` sees every frame of a finished round.
 * Checksums left to the device (US_CSUM_PARTIAL) appear unfinished in the
 * file, as they do in a capture taken on Linux.
 */
#include "dev/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/stack.h"
#include "dev/devices.h"

#define CAPTURE_MAX_PER_DEV 8
#define CAPTURE_SNAPLEN 262144 /* libpcap's MAXIMUM_SNAPLEN: whole frames */

struct capture_file {
	struct capture_file *next;
	pcap_t *dead;
	pcap_dumper_t *out;
	uint64_t wall_offset_ns; /* added to the stack time for the file's time stamps */
	dev_t fs_dev;            /* identity of the file, to refuse capturing to it twice */
	ino_t fs_ino;
	char path[];
};

/* The capture set of one device (struct us_netdev.captures). */
struct us_capture {
	struct capture_file *files;
	unsigned count;
	int rx_pending; /* frames of the current receive batch not yet written */
	bool dirty;     /* written since the last flush */
};

static void capture_flush(struct us_netdev *dev)
{
	struct us_capture *set = dev->captures;

	if (!set || !set->dirty)
		return;
	for (struct capture_file *cf = set->files; cf; cf = cf->next)
		if (pcap_dump_flush(cf->out) < 0)
			us_log_ratelimited(dev->st, US_LOG_WARN, "capture", "%s: cannot write %s",
					   dev->name, cf->path);
	set->dirty = false;
}

void us_capture_frame(struct us_netdev *dev, const struct us_pkt *p, bool tx)
{
	struct us_capture *set = dev->captures;
	size_t len = us_pkt_len(p);
	struct pcap_pkthdr h;

	if (!set)
		return;
	memset(&h, 0, sizeof(h));
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)(len < CAPTURE_SNAPLEN ? len : CAPTURE_SNAPLEN);
	for (struct capture_file *cf = set->files; cf; cf = cf->next) {
		uint64_t t = dev->st->now_ns + cf->wall_offset_ns;

		h.ts.tv_sec = (time_t)(t / US_NSEC_PER_SEC);
		h.ts.tv_usec = (suseconds_t)(t % US_NSEC_PER_SEC); /* nanosecond file */
		pcap_dump((u_char *)cf->out, &h, p->data);
	}
	set->dirty = true;
	if (tx)
		return; /* flushed by the backend's tx_batch (us_capture_tx_done) */
	/* Received: flush after the batch's last frame; a backend that did not
	 * announce its batch gets a flush per frame. */
	if (set->rx_pending > 0 && --set->rx_pending > 0)
		return;
	capture_flush(dev);
}

void us_capture_rx_batch(struct us_netdev *dev, int n)
{
	if (dev->captures)
		dev->captures->rx_pending = n;
}

void us_capture_tx_done(struct us_netdev *dev)
{
	capture_flush(dev);
}

static void capture_file_close(struct capture_file *cf)
{
	pcap_dump_close(cf->out);
	pcap_close(cf->dead);
	free(cf);
}

void us_capture_close_all(struct us_netdev *dev)
{
	struct us_capture *set = dev->captures;
	struct capture_file *cf, *next;

	if (!set)
		return;
	for (cf = set->files; cf; cf = next) {
		next = cf->next;
		capture_file_close(cf);
	}
	free(set);
	dev->captures = NULL;
}

/* Is @path (with identity @sb, if it exists) already a capture file of @st? */
static bool capture_in_use(struct us_stack *st, const char *path, const struct stat *sb)
{
	for (int d = 1; d <= US_MAX_DEVS; d++) {
		struct us_netdev *dev = st->devs[d];

		if (!dev || !dev->captures)
			continue;
		for (struct capture_file *cf = dev->captures->files; cf; cf = cf->next) {
			if (!strcmp(cf->path, path))
				return true;
			if (sb && cf->fs_dev == sb->st_dev && cf->fs_ino == sb->st_ino)
				return true;
		}
	}
	return false;
}

/* Offset from the stack clock to wall-clock time: zero for a virtual clock. */
static uint64_t capture_wall_offset(const struct us_stack *st)
{
	struct timespec rt, mono;

	if (st->clock.is_virtual)
		return 0;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return ((uint64_t)rt.tv_sec - (uint64_t)mono.tv_sec) * US_NSEC_PER_SEC +
	       (uint64_t)rt.tv_nsec - (uint64_t)mono.tv_nsec;
}

int us_capture_open(struct us_netdev *dev, const char *path)
{
	struct us_stack *st = dev->st;
	struct us_capture *set = dev->captures;
	struct capture_file *cf;
	struct stat sb;
	bool exists = stat(path, &sb) == 0;
	int linktype = dev->link == US_LINK_ETHER ? DLT_EN10MB : DLT_RAW;
	FILE *f;
	int err;

	if (capture_in_use(st, path, exists ? &sb : NULL))
		return -EEXIST;
	if (set && set->count >= CAPTURE_MAX_PER_DEV)
		return -ENOSPC;
	if (!set) {
		set = calloc(1, sizeof(*set));
		if (!set)
			return -ENOMEM;
		dev->captures = set;
	}
	err = -ENOMEM;
	cf = calloc(1, sizeof(*cf) + strlen(path) + 1);
	if (!cf)
		goto err_set;
	strcpy(cf->path, path);
	cf->wall_offset_ns = capture_wall_offset(st);
	cf->dead = pcap_open_dead_with_tstamp_precision(linktype, CAPTURE_SNAPLEN,
							PCAP_TSTAMP_PRECISION_NANO);
	if (!cf->dead)
		goto err_cf;
	f = fopen(path, "wbe");
	if (!f) {
		err = -errno;
		goto err_dead;
	}
	if (fstat(fileno(f), &sb) == 0) {
		cf->fs_dev = sb.st_dev;
		cf->fs_ino = sb.st_ino;
	}
	/* On failure libpcap has closed @f (the header write failed). */
	cf->out = pcap_dump_fopen(cf->dead, f);
	if (!cf->out) {
		err = -EIO;
		goto err_dead;
	}
	pcap_dump_flush(cf->out); /* a valid, empty capture from the start */
	cf->next = set->files;
	set->files = cf;
	set->count++;
	return 0;

err_dead:
	pcap_close(cf->dead);
err_cf:
	free(cf);
err_set:
	if (!set->count) {
		free(set);
		dev->captures = NULL;
	}
	return err;
}

int us_capture_close(struct us_netdev *dev, const char *path)
{
	struct us_capture *set = dev->captures;
	struct capture_file **pp;

	if (!set)
		return -ENOENT;
	for (pp = &set->files; *pp; pp = &(*pp)->next) {
		struct capture_file *cf = *pp;

		if (strcmp(cf->path, path))
			continue;
		*pp = cf->next;
		capture_file_close(cf);
		if (--set->count == 0) {
			free(set);
			dev->captures = NULL;
		}
		return 0;
	}
	return -ENOENT;
}
