/*
 * dev_pcap.c - a device whose wire is a pair of pcap files: frames come in
 * from one file, frames the stack sends go out to another. With the stack on
 * a virtual clock and a fixed seed, a run is a pure function of the input
 * file: the same input gives a byte-identical output file every time.
 *
 * Time: each input record is received at
 *     (its timestamp - the first record's timestamp) + the stack time at open,
 * so the capture's own pacing drives the stack's timers. next_rx_ns() tells
 * the driver of a virtual clock when the next record is due (it sets the clock
 * there and polls); rx_batch() returns only records that are due, i.e. whose
 * time is <= st->now_ns. A record stamped earlier than its predecessor is
 * received at its predecessor's time (time never goes back).
 * Output records carry the stack's time (st->now_ns) as their timestamp.
 * Both files use nanosecond timestamps (the virtual clock's resolution).
 *
 * Input must be Ethernet (DLT_EN10MB). Records shorter on file than on the
 * wire (snapped) or too large for a packet buffer are dropped with
 * PCAP_BAD_RECORD; a read error (a truncated file) ends the input there.
 * The device has no file descriptor: it is driven by time only (fd = -1).
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack.h"
#include "dev/devices.h"

#define PCAP_SNAPLEN 262144 /* libpcap's MAXIMUM_SNAPLEN */
/* Bad records skipped in one look-ahead before yielding to the poll loop. */
#define PCAP_SKIP_MAX 64

struct pcap_priv {
	pcap_t *in;                /* NULL: no input, or input finished */
	pcap_t *dead;              /* output handle (link type, precision) */
	pcap_dumper_t *out;        /* NULL: frames sent are discarded */
	uint64_t base_ns;          /* stack time at open: the first record's time */
	uint64_t first_ts;         /* first record's timestamp (ns), once seen */
	uint64_t last_rx_ns;       /* time of the previous record */
	bool have_first;
	/* Look-ahead: the next record, read but not yet received. Its data is
	 * libpcap's buffer, valid until the next pcap_next_ex(). */
	bool have_next;
	uint64_t next_ns;
	uint32_t next_len;
	const uint8_t *next_data;
};

static const struct us_netdev_ops pcap_ops;

static void pcap_end_input(struct pcap_priv *pp)
{
	if (pp->in)
		pcap_close(pp->in);
	pp->in = NULL;
	pp->have_next = false;
}

/*
 * Makes sure the look-ahead holds the next good record, if there is one.
 * Returns true when it does.
 */
static bool pcap_peek(struct us_netdev *dev)
{
	struct pcap_priv *pp = dev->priv;
	struct us_stack *st = dev->st;

	for (int skipped = 0; !pp->have_next && pp->in && skipped < PCAP_SKIP_MAX; skipped++) {
		struct pcap_pkthdr *h;
		const u_char *data;
		uint64_t ts, t;
		int r = pcap_next_ex(pp->in, &h, &data);

		if (r == PCAP_ERROR_BREAK) { /* end of file */
			pcap_end_input(pp);
			break;
		}
		if (r != 1) {
			/* A damaged or truncated file: what follows cannot be trusted. */
			dev->stats.rx_errors++;
			us_drop(st, NULL, US_DROP_PCAP_BAD_RECORD);
			us_log_ratelimited(st, US_LOG_WARN, "pcap", "%s: input ends: %s", dev->name,
					   pcap_geterr(pp->in));
			pcap_end_input(pp);
			break;
		}
		if (h->caplen < h->len || h->caplen > US_PKT_MAX_LARGE || h->caplen == 0) {
			/* A snapped frame is not the frame that was on the wire. */
			dev->stats.rx_errors++;
			us_drop(st, NULL, US_DROP_PCAP_BAD_RECORD);
			continue;
		}
		/* Nanosecond precision was requested at open: tv_usec holds ns. */
		ts = (uint64_t)h->ts.tv_sec * US_NSEC_PER_SEC + (uint64_t)h->ts.tv_usec;
		if (!pp->have_first) {
			pp->have_first = true;
			pp->first_ts = ts;
		}
		t = pp->base_ns + (ts > pp->first_ts ? ts - pp->first_ts : 0);
		if (t < pp->last_rx_ns)
			t = pp->last_rx_ns;
		pp->have_next = true;
		pp->next_ns = t;
		pp->next_len = h->caplen;
		pp->next_data = data;
	}
	return pp->have_next;
}

static int pcap_rx_batch(struct us_netdev *dev, struct us_pkt **out, int max)
{
	struct pcap_priv *pp = dev->priv;
	struct us_stack *st = dev->st;
	int n = 0;

	while (n < max && pcap_peek(dev) && pp->next_ns <= st->now_ns) {
		struct us_pkt *p = us_pkt_alloc(&st->pool, pp->next_len);

		if (!p)
			break; /* out of buffers: the record waits for the next round */
		memcpy(us_pkt_put(p, pp->next_len), pp->next_data, pp->next_len);
		pp->last_rx_ns = pp->next_ns;
		pp->have_next = false;
		out[n++] = p;
	}
	us_capture_rx_batch(dev, n);
	return n;
}

static uint64_t pcap_next_rx_ns(struct us_netdev *dev)
{
	struct pcap_priv *pp = dev->priv;

	if (pcap_peek(dev))
		return pp->next_ns;
	/* Bad records were skipped and more remain: look again at once. */
	return pp->in ? 0 : UINT64_MAX;
}

static int pcap_tx_batch(struct us_netdev *dev, struct us_pkt **pkts, int n)
{
	struct pcap_priv *pp = dev->priv;
	uint64_t now = dev->st->now_ns;

	us_capture_tx_done(dev);
	for (int i = 0; i < n; i++) {
		struct us_pkt *p = pkts[i];

		if (pp->out) {
			struct pcap_pkthdr h;
			size_t len = us_pkt_len(p);

			memset(&h, 0, sizeof(h));
			h.ts.tv_sec = (time_t)(now / US_NSEC_PER_SEC);
			h.ts.tv_usec = (suseconds_t)(now % US_NSEC_PER_SEC); /* ns: see open */
			h.len = (bpf_u_int32)len;
			h.caplen = (bpf_u_int32)(len < PCAP_SNAPLEN ? len : PCAP_SNAPLEN);
			pcap_dump((u_char *)pp->out, &h, p->data);
		}
		dev->stats.tx_bytes += us_pkt_len(p);
		us_pkt_free(p);
	}
	if (pp->out && n)
		pcap_dump_flush(pp->out);
	return n;
}

static void pcap_close_dev(struct us_netdev *dev)
{
	struct pcap_priv *pp = dev->priv;

	if (!pp)
		return;
	pcap_end_input(pp);
	if (pp->out)
		pcap_dump_close(pp->out);
	if (pp->dead)
		pcap_close(pp->dead);
	free(pp);
	dev->priv = NULL;
}

static const struct us_netdev_ops pcap_ops = {
	.kind = "pcap",
	.rx_batch = pcap_rx_batch,
	.tx_batch = pcap_tx_batch,
	.next_rx_ns = pcap_next_rx_ns,
	.close = pcap_close_dev,
};

static int pcap_open_input(struct pcap_priv *pp, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	FILE *f = fopen(path, "rbe");

	if (!f)
		return -errno;
	pp->in = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!pp->in) {
		fclose(f); /* not closed by libpcap on failure */
		return -EINVAL;
	}
	if (pcap_datalink(pp->in) != DLT_EN10MB)
		return -EPROTONOSUPPORT;
	return 0;
}

static int pcap_open_output(struct pcap_priv *pp, const char *path)
{
	FILE *f;

	pp->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, PCAP_SNAPLEN,
							PCAP_TSTAMP_PRECISION_NANO);
	if (!pp->dead)
		return -ENOMEM;
	f = fopen(path, "wbe");
	if (!f)
		return -errno;
	/* On failure libpcap has closed @f (the header write failed). */
	pp->out = pcap_dump_fopen(pp->dead, f);
	return pp->out ? 0 : -EIO;
}

int dev_pcap_create(struct us_stack *st, const char *name, const char *in_path,
		    const char *out_path, const uint8_t *mac)
{
	struct us_netdev *dev = us_netdev_alloc(name, &pcap_ops);
	struct pcap_priv *pp = calloc(1, sizeof(*pp));
	int err = -ENOMEM, idx;

	if (!dev || !pp)
		goto err;
	dev->priv = pp;
	pp->base_ns = us_clock_now(&st->clock);
	pp->last_rx_ns = pp->base_ns;
	if (in_path) {
		err = pcap_open_input(pp, in_path);
		if (err)
			goto err;
	}
	if (out_path) {
		err = pcap_open_output(pp, out_path);
		if (err)
			goto err;
	}
	dev->link = US_LINK_ETHER;
	dev->flags = US_DEV_UP;
	if (mac)
		memcpy(dev->hwaddr, mac, US_ETH_ALEN);
	else
		dev_make_mac(st, name, dev->hwaddr);
	idx = dev_register(st, dev);
	if (idx < 0) {
		err = idx;
		goto err;
	}
	return idx;

err:
	if (dev && dev->priv)
		pcap_close_dev(dev);
	else
		free(pp);
	free(dev);
	return err;
}
