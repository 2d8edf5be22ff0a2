/*
 * linkem.c - `ustack linkem`, the userspace link emulator (MISSION H3): a
 * bridge between two interfaces of the current network namespace that impairs
 * each direction with the seeded engine of src/dev/impair.h, the same engine
 * the simulator uses. This machine's kernel has no netem; with linkem, kernel
 * <-> kernel (veth) and ustack <-> kernel (TAP) links are impaired the same way.
 *
 *   ustack linkem --a IF1 --b IF2 [--both SPEC] [--ab SPEC] [--ba SPEC]
 *                 [--seed N] [--duration SECONDS]
 *
 * SPEC is us_impair_parse()'s syntax ("loss=1%,delay=10ms,rate=100mbit"); --ab
 * applies to frames from IF1 to IF2, --ba to the other way, --both to both
 * (options apply in the order given). The direction's engine is seeded by the
 * spec's seed= if it has one, else from --seed (default 0) and the direction,
 * so a run's impairment decisions depend only on its arguments and on the
 * frames and their arrival times.
 *
 * Plumbing, per interface: an AF_PACKET SOCK_RAW socket bound to the interface
 * for ETH_P_ALL (created with protocol 0 and then bound, so it never sees
 * another interface's frames), promiscuous (PACKET_ADD_MEMBERSHIP), blind to
 * its own transmissions (PACKET_IGNORE_OUTGOING), non-blocking, with
 * PACKET_VNET_HDR: each frame comes with a virtio-net header describing its
 * offload state. That is what makes a bridge in software correct:
 *   - a frame whose checksum the sender left to the "hardware" (veth and TAP
 *     pass CHECKSUM_PARTIAL along; VIRTIO_NET_HDR_F_NEEDS_CSUM) has its checksum
 *     completed here, otherwise the far side would see a bad checksum;
 *   - a super-frame (TSO/GSO from the sender, GRO on the receiving veth) is cut
 *     into wire-sized segments here (TCP and UDP over IPv4), so each segment is
 *     impaired on its own, as on a real wire; other GSO types are counted
 *     (unsupported) and dropped;
 *   - receive buffers hold the largest frame an skb can be (64 KiB plus
 *     headers); a frame still cut short (MSG_TRUNC) is counted (truncated) and
 *     dropped, never forwarded mangled.
 * Frames are read with recvmmsg and written with sendmmsg, BATCH at a time,
 * each after a zeroed virtio-net header (complete checksums, no GSO).
 *
 * The loop: epoll over both sockets, a signalfd (SIGINT, SIGTERM) and a
 * timerfd armed at the absolute CLOCK_MONOTONIC time of the next release (ns
 * precision, unlike epoll's ms timeout). Each round reads what arrived (time
 * stamped once per batch), moves due frames to their output queue, writes,
 * and re-arms the timer. An output queue that the socket cannot take (EAGAIN)
 * waits for EPOLLOUT; while it is full the engine keeps its frames, and its
 * limit tail-drops new arrivals, as a real link's queue would.
 *
 * Prints "linkem ready" once both sockets are up; on SIGINT/SIGTERM or after
 * --duration, one line of statistics per direction, then exits 0.
 *
 * Not handled: VLAN tags the device took out of the frame (hardware VLAN
 * acceleration on the receiving interface); IPv6 super-frames.
 */
#include "linkem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/hash.h"
#include "core/pkt.h"
#include "dev/impair.h"
#include "wire/checksum.h"

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* virtio 1.2, Linux 5.18 headers */
#endif

#define BATCH 32
#define VNET_LEN ((int)sizeof(struct virtio_net_hdr))
/* The largest frame a packet socket can hand us: a 64 KiB GSO skb plus headers. */
#define FRAME_MAX (65536 + 4096)
#define OUTQ_MAX 4096        /* released frames waiting for a full socket */
#define RX_BATCHES_MAX 8     /* batches read per socket per round (fairness) */
#define EXIT_USAGE 2
#define NSEC_PER_SEC 1000000000ULL

#define ETH_HDR 14
#define VLAN_HDR 4

struct side {
	const char *ifname;
	int ifindex;
	int fd;
	bool want_out; /* EPOLLOUT asked for: a direction's output waits for this socket */
};

struct dir_stats {
	uint64_t rx;          /* frames read from the interface */
	uint64_t truncated;   /* frames larger than the buffer (MSG_TRUNC), or runts */
	uint64_t checksummed; /* frames whose checksum was left to us (NEEDS_CSUM) */
	uint64_t segmented;   /* super-frames cut into segments */
	uint64_t unsupported; /* super-frames of a kind we cannot cut, or inconsistent */
	uint64_t nobuf;       /* no packet buffer for a frame */
	uint64_t sent;        /* frames written to the other interface */
	uint64_t tx_errors;   /* frames the other interface refused */
};

/* Frames read on @from, impaired, written on @to. */
struct dir {
	struct side *from, *to;
	struct us_impair *imp;
	struct us_pktq out;   /* released by the engine, not yet written */
	struct dir_stats st;
};

struct linkem {
	struct side side[2];
	struct dir dir[2];
	struct us_pkt_pool pool;
	int ep, tfd, sfd;
	uint8_t *rxbuf[BATCH];
	uint64_t timer_armed; /* absolute time the timerfd is set to, 0 = disarmed */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* ---- frames in: offload state ----------------------------------------------------------- */

/* Hands one finished frame to the direction's engine. */
static void offer(struct linkem *le, struct dir *d, const uint8_t *frame, size_t len, uint64_t now)
{
	struct us_pkt *p = us_pkt_alloc(&le->pool, len);

	if (!p) {
		d->st.nobuf++;
		return;
	}
	memcpy(us_pkt_put(p, len), frame, len);
	us_impair_enqueue(d->imp, p, now);
}

/* Where the IPv4 header starts (after one optional VLAN tag), or 0 when it is not IPv4. */
static size_t ipv4_offset(const uint8_t *f, size_t len)
{
	size_t off = ETH_HDR;
	uint16_t type;

	if (len < ETH_HDR)
		return 0;
	type = rd16(f + 12);
	if (type == ETHERTYPE_VLAN && len >= ETH_HDR + VLAN_HDR) {
		type = rd16(f + 16);
		off += VLAN_HDR;
	}
	return type == ETHERTYPE_IP ? off : 0;
}

/*
 * Cuts a TCP or UDP over IPv4 super-frame into segments of @mss payload bytes and
 * offers each: the IPv4 total length, identification (+1 per segment, as Linux's
 * TSO) and header checksum; TCP's sequence number, FIN and PSH on the last
 * segment only, CWR on the first only (RFC 3168 6.1.2), and its checksum; UDP's
 * length and checksum (each segment a datagram, as UDP GSO means). The checksums
 * are computed in full: the super-frame's own are only partial.
 * Returns false when the frame is not what its header says.
 */
static bool segment(struct linkem *le, struct dir *d, const uint8_t *f, size_t len,
		    unsigned proto, size_t mss, uint64_t now)
{
	static uint8_t seg[FRAME_MAX];
	size_t l3 = ipv4_offset(f, len), iphl, l4, l4hl, hdrs, payload, off;
	uint16_t id;
	uint32_t seq = 0;
	unsigned i;

	if (!l3 || len < l3 + 20 || (f[l3] >> 4) != 4 || f[l3 + 9] != proto || mss == 0)
		return false;
	iphl = (size_t)(f[l3] & 0x0f) * 4;
	l4 = l3 + iphl;
	if (iphl < 20 || len < l4 + (proto == IPPROTO_TCP ? 20 : 8))
		return false;
	l4hl = proto == IPPROTO_TCP ? (size_t)(f[l4 + 12] >> 4) * 4 : 8;
	hdrs = l4 + l4hl;
	if ((proto == IPPROTO_TCP && l4hl < 20) || hdrs > len)
		return false;
	payload = len - hdrs;
	id = rd16(f + l3 + 4);
	if (proto == IPPROTO_TCP)
		seq = rd32(f + l4 + 4);
	for (i = 0, off = 0; off < payload || (payload == 0 && i == 0); i++, off += mss) {
		size_t n = payload - off < mss ? payload - off : mss;
		bool last = off + n >= payload;
		uint8_t *ip = seg + l3, *l4p = seg + l4;
		uint32_t sum;

		memcpy(seg, f, hdrs);
		memcpy(seg + hdrs, f + hdrs + off, n);
		wr16(ip + 2, (uint16_t)(iphl + l4hl + n));
		wr16(ip + 4, (uint16_t)(id + i));
		wr16(ip + 10, 0);
		wr16(ip + 10, csum_fold(csum_partial(ip, iphl, 0)));
		sum = csum_pseudo(rd32(ip + 12), rd32(ip + 16), (uint8_t)proto, (uint16_t)(l4hl + n));
		if (proto == IPPROTO_TCP) {
			wr32(l4p + 4, seq + (uint32_t)off);
			if (!last)
				l4p[13] &= (uint8_t)~(0x01 | 0x08); /* FIN, PSH */
			if (i > 0)
				l4p[13] &= (uint8_t)~0x80; /* CWR */
			wr16(l4p + 16, 0);
			wr16(l4p + 16, csum_fold(csum_partial(l4p, l4hl + n, sum)));
		} else {
			uint16_t c;

			wr16(l4p + 4, (uint16_t)(8 + n));
			wr16(l4p + 6, 0);
			c = csum_fold(csum_partial(l4p, 8 + n, sum));
			wr16(l4p + 6, c ? c : 0xffff); /* RFC 768: 0 means "no checksum" */
		}
		offer(le, d, seg, hdrs + n, now);
		if (last)
			break;
	}
	d->st.segmented++;
	return true;
}

/* One frame as read (virtio-net header first): completes or cuts it, then offers it. */
static void frame_in(struct linkem *le, struct dir *d, uint8_t *buf, size_t len, uint64_t now)
{
	struct virtio_net_hdr h;
	uint8_t *f = buf + VNET_LEN;
	size_t flen;

	d->st.rx++;
	if (len < (size_t)VNET_LEN + ETH_HDR) {
		d->st.truncated++;
		return;
	}
	memcpy(&h, buf, sizeof(h));
	flen = len - VNET_LEN;
	if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		unsigned type = h.gso_type & (unsigned)~VIRTIO_NET_HDR_GSO_ECN;
		unsigned proto = type == VIRTIO_NET_HDR_GSO_TCPV4    ? IPPROTO_TCP
				 : type == VIRTIO_NET_HDR_GSO_UDP_L4 ? IPPROTO_UDP
								     : 0;

		if (!proto || !segment(le, d, f, flen, proto, h.gso_size, now))
			d->st.unsupported++;
		return;
	}
	if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		/* The sender left the checksum to the device: we are the device. */
		if ((size_t)h.csum_start + h.csum_offset + 2 > flen) {
			d->st.unsupported++;
			return;
		}
		csum_finish_partial(f + h.csum_start, flen - h.csum_start, h.csum_offset);
		d->st.checksummed++;
	}
	offer(le, d, f, flen, now);
}

/* Reads what @d's input socket has (a few batches at most). */
static void read_side(struct linkem *le, struct dir *d)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];

	for (int round = 0; round < RX_BATCHES_MAX; round++) {
		uint64_t now;
		int n;

		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ .iov_base = le->rxbuf[i],
						 .iov_len = VNET_LEN + FRAME_MAX };
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(d->from->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return; /* EAGAIN, or a socket error (reported once, e.g. ENETDOWN) */
		now = mono_ns();
		for (int i = 0; i < n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				d->st.rx++;
				d->st.truncated++;
				continue;
			}
			frame_in(le, d, le->rxbuf[i], msgs[i].msg_len, now);
		}
		if (n < BATCH)
			return;
	}
}

/* ---- frames out ------------------------------------------------------------------------- */

static void want_out(struct linkem *le, struct side *s, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = s };

	if (s->want_out == on)
		return;
	s->want_out = on;
	epoll_ctl(le->ep, EPOLL_CTL_MOD, s->fd, &ev);
}

/* Moves the frames due at @now from the engine to the output queue, then writes. */
static void write_dir(struct linkem *le, struct dir *d, uint64_t now)
{
	static const struct virtio_net_hdr none; /* complete checksums, no GSO */
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH][2];
	struct us_pkt *p;

	while (d->out.len < OUTQ_MAX && (p = us_impair_dequeue(d->imp, now)))
		us_pktq_push(&d->out, p);
	while (d->out.len) {
		int n = 0, r;

		for (p = d->out.first; p && n < BATCH; p = p->next, n++) {
			iov[n][0] = (struct iovec){ .iov_base = (void *)&none, .iov_len = VNET_LEN };
			iov[n][1] = (struct iovec){ .iov_base = p->data, .iov_len = us_pkt_len(p) };
			msgs[n] = (struct mmsghdr){ .msg_hdr = { .msg_iov = iov[n], .msg_iovlen = 2 } };
		}
		r = sendmmsg(d->to->fd, msgs, (unsigned)n, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			want_out(le, d->to, true);
			return;
		}
		if (r < 0) {
			/* This frame is refused (too big for the MTU, interface down, no
			 * buffer in the device's queue): dropped, as a wire would. */
			r = 1;
			d->st.tx_errors++;
		} else {
			d->st.sent += (uint64_t)r;
		}
		for (int i = 0; i < r; i++)
			us_pkt_free(us_pktq_pop(&d->out));
	}
	want_out(le, d->to, false);
}

/* ---- setup ------------------------------------------------------------------------------ */

static int open_side(struct side *s)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	int one = 1, bufsz = 4 << 20;

	s->ifindex = (int)if_nametoindex(s->ifname);
	if (!s->ifindex) {
		fprintf(stderr, "ustack linkem: no interface %s: %s\n", s->ifname, strerror(errno));
		return -1;
	}
	/* Protocol 0 receives nothing until bound: no frame of another interface slips in. */
	s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto err;
	mr.mr_ifindex = s->ifindex;
	sll.sll_ifindex = s->ifindex;
	if (setsockopt(s->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0 ||
	    setsockopt(s->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    setsockopt(s->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		goto err;
	/* Larger socket buffers ride out bursts; best effort (capped by rmem_max). */
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz));
	setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsz, sizeof(bufsz));
	if (bind(s->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto err;
	return 0;
err:
	fprintf(stderr, "ustack linkem: %s: %s\n", s->ifname, strerror(errno));
	return -1;
}

static void usage(FILE *f)
{
	fputs("usage: ustack linkem --a IF1 --b IF2 [--both SPEC] [--ab SPEC] [--ba SPEC]\n"
	      "                     [--seed N] [--duration SECONDS]\n"
	      "Bridges IF1 and IF2 (AF_PACKET), impairing each direction:\n"
	      "  --ab SPEC   frames from IF1 to IF2;  --ba SPEC   from IF2 to IF1;\n"
	      "  --both SPEC both directions (options apply in order).\n"
	      "SPEC: loss=1%,dup=0.1%,corrupt=0.01%,reorder=5%,delay=10ms,jitter=2ms,\n"
	      "      rate=100mbit,limit=1000,seed=42  (any subset; units %, ppm; ns, us, ms, s;\n"
	      "      bit, kbit, mbit, gbit)\n"
	      "Prints \"linkem ready\" when running, and one line of counters per direction\n"
	      "when it ends (SIGINT, SIGTERM, or after --duration).\n",
	      f);
}

static bool parse_spec(const char *opt, const char *spec, struct us_impair_cfg *c)
{
	const char *bad;

	if (us_impair_parse(spec, c, &bad) == 0)
		return true;
	fprintf(stderr, "ustack linkem: %s: bad impairment at \"%s\"\n", opt, bad);
	return false;
}

static void print_stats(const struct dir *d)
{
	const struct us_impair_stats *s = us_impair_stats(d->imp);

	/* held: still in the engine at the end; unsent: released but not written. */
	printf("linkem %s -> %s: rx %llu in %llu out %llu lost %llu duplicated %llu corrupted %llu "
	       "reordered %llu queue_drops %llu held %u sent %llu tx_errors %llu unsent %u "
	       "truncated %llu checksummed %llu segmented %llu unsupported %llu nobuf %llu\n",
	       d->from->ifname, d->to->ifname, (unsigned long long)d->st.rx,
	       (unsigned long long)s->in, (unsigned long long)s->out, (unsigned long long)s->lost,
	       (unsigned long long)s->duplicated, (unsigned long long)s->corrupted,
	       (unsigned long long)s->reordered, (unsigned long long)s->queue_drops,
	       us_impair_held(d->imp), (unsigned long long)d->st.sent,
	       (unsigned long long)d->st.tx_errors, d->out.len,
	       (unsigned long long)d->st.truncated, (unsigned long long)d->st.checksummed,
	       (unsigned long long)d->st.segmented,
	       (unsigned long long)d->st.unsupported, (unsigned long long)d->st.nobuf);
}

static void arm_timer(struct linkem *le, uint64_t at)
{
	struct itimerspec its = { 0 };

	if (at == le->timer_armed)
		return;
	le->timer_armed = at;
	if (at != 0) {
		its.it_value.tv_sec = (time_t)(at / NSEC_PER_SEC);
		its.it_value.tv_nsec = (long)(at % NSEC_PER_SEC);
	}
	timerfd_settime(le->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int run(struct linkem *le, uint64_t end)
{
	struct epoll_event evs[8];

	for (;;) {
		uint64_t now = mono_ns(), next = end ? end : UINT64_MAX;
		int n;

		if (end && now >= end)
			return 0;
		for (int k = 0; k < 2; k++) {
			struct dir *d = &le->dir[k];
			uint64_t t;

			write_dir(le, d, now);
			/* While the output queue is full, the engine's next release waits for
			 * EPOLLOUT, not for the timer. */
			t = d->out.len >= OUTQ_MAX ? UINT64_MAX : us_impair_next_ns(d->imp);
			if (t < next)
				next = t;
		}
		arm_timer(le, next == UINT64_MAX ? 0 : (next > now ? next : now + 1));
		n = epoll_wait(le->ep, evs, (int)(sizeof(evs) / sizeof(evs[0])), -1);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "ustack linkem: epoll_wait: %s\n", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++) {
			void *what = evs[i].data.ptr;

			if (what == &le->sfd) {
				struct signalfd_siginfo si;

				(void)!read(le->sfd, &si, sizeof(si));
				return 0;
			}
			if (what == &le->tfd) {
				uint64_t expirations;

				(void)!read(le->tfd, &expirations, sizeof(expirations));
				le->timer_armed = 0;
				continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLERR)) {
				/* The direction that reads this side. */
				struct dir *d = what == &le->side[0] ? &le->dir[0] : &le->dir[1];

				read_side(le, d);
			}
			/* EPOLLOUT: the write pass at the top of the loop retries. */
		}
	}
}

static void cleanup(struct linkem *le)
{
	for (int k = 0; k < 2; k++) {
		us_pktq_purge(&le->dir[k].out);
		us_impair_free(le->dir[k].imp);
		if (le->side[k].fd >= 0)
			close(le->side[k].fd);
	}
	for (int i = 0; i < BATCH; i++)
		free(le->rxbuf[i]);
	if (le->ep >= 0)
		close(le->ep);
	if (le->tfd >= 0)
		close(le->tfd);
	if (le->sfd >= 0)
		close(le->sfd);
	us_pkt_pool_fini(&le->pool);
}

int linkem_main(int argc, char **argv)
{
	static struct linkem le_storage;
	struct linkem *le = &le_storage;
	struct us_impair_cfg cfg[2] = { { 0 }, { 0 } };
	unsigned long long seed = 0;
	double duration = 0;
	sigset_t sigs;
	uint64_t end = 0;
	int status = 1;

	le->side[0].fd = le->side[1].fd = le->ep = le->tfd = le->sfd = -1;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *endp;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!v) {
			fprintf(stderr, "ustack linkem: %s needs a value (or is unknown)\n", a);
			usage(stderr);
			return EXIT_USAGE;
		}
		i++;
		if (!strcmp(a, "--a")) {
			le->side[0].ifname = v;
		} else if (!strcmp(a, "--b")) {
			le->side[1].ifname = v;
		} else if (!strcmp(a, "--ab")) {
			if (!parse_spec(a, v, &cfg[0]))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--ba")) {
			if (!parse_spec(a, v, &cfg[1]))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--both")) {
			if (!parse_spec(a, v, &cfg[0]) || !parse_spec(a, v, &cfg[1]))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--seed")) {
			errno = 0;
			seed = strtoull(v, &endp, 0);
			if (errno || *endp || !*v) {
				fprintf(stderr, "ustack linkem: bad --seed \"%s\"\n", v);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--duration")) {
			duration = strtod(v, &endp);
			if (*endp || !*v || !(duration > 0 && duration < 1e7)) {
				fprintf(stderr, "ustack linkem: bad --duration \"%s\"\n", v);
				return EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "ustack linkem: unknown option \"%s\"\n", a);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!le->side[0].ifname || !le->side[1].ifname ||
	    !strcmp(le->side[0].ifname, le->side[1].ifname)) {
		fprintf(stderr, "ustack linkem: --a and --b name two different interfaces\n");
		usage(stderr);
		return EXIT_USAGE;
	}

	/* Signals arrive through a signalfd, so block them first. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	/* Buffers: every frame the engines may hold, the output queues, and slack for the
	 * frame being offered; large ones only for jumbo frames. */
	{
		unsigned held = 0;

		for (int k = 0; k < 2; k++)
			held += cfg[k].limit ? cfg[k].limit : 1000;
		us_pkt_pool_init(&le->pool, held + 2 * OUTQ_MAX + 64, held + 2 * OUTQ_MAX + 64);
	}
	for (int k = 0; k < 2; k++) {
		struct dir *d = &le->dir[k];

		if (!cfg[k].seed)
			cfg[k].seed = us_mix64(us_mix64(seed) ^ (uint64_t)(k + 1));
		d->from = &le->side[k];
		d->to = &le->side[1 - k];
		us_pktq_init(&d->out, 0);
		d->imp = us_impair_new(&cfg[k], &le->pool);
		if (!d->imp) {
			fprintf(stderr, "ustack linkem: out of memory\n");
			goto out;
		}
	}
	for (int i = 0; i < BATCH; i++) {
		le->rxbuf[i] = malloc(VNET_LEN + FRAME_MAX);
		if (!le->rxbuf[i]) {
			fprintf(stderr, "ustack linkem: out of memory\n");
			goto out;
		}
	}
	if (open_side(&le->side[0]) < 0 || open_side(&le->side[1]) < 0)
		goto out;
	le->ep = epoll_create1(EPOLL_CLOEXEC);
	le->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	le->sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (le->ep < 0 || le->tfd < 0 || le->sfd < 0) {
		fprintf(stderr, "ustack linkem: %s\n", strerror(errno));
		goto out;
	}
	{
		struct epoll_event e0 = { .events = EPOLLIN, .data.ptr = &le->side[0] };
		struct epoll_event e1 = { .events = EPOLLIN, .data.ptr = &le->side[1] };
		struct epoll_event et = { .events = EPOLLIN, .data.ptr = &le->tfd };
		struct epoll_event es = { .events = EPOLLIN, .data.ptr = &le->sfd };

		if (epoll_ctl(le->ep, EPOLL_CTL_ADD, le->side[0].fd, &e0) < 0 ||
		    epoll_ctl(le->ep, EPOLL_CTL_ADD, le->side[1].fd, &e1) < 0 ||
		    epoll_ctl(le->ep, EPOLL_CTL_ADD, le->tfd, &et) < 0 ||
		    epoll_ctl(le->ep, EPOLL_CTL_ADD, le->sfd, &es) < 0) {
			fprintf(stderr, "ustack linkem: epoll: %s\n", strerror(errno));
			goto out;
		}
	}
	if (duration > 0)
		end = mono_ns() + (uint64_t)(duration * 1e9);
	printf("linkem ready\n");
	fflush(stdout);
	status = run(le, end);
	for (int k = 0; k < 2; k++)
		print_stats(&le->dir[k]);
	fflush(stdout);
out:
	cleanup(le);
	return status;
}
