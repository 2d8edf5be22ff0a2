/*
 * ping.c - `ustack ping`: ICMP echo (RFC 792) from the stack, with output like
 * iputils ping. It runs on a ping socket of the stack's own socket API
 * (us_socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP): the stack fills in the
 * identifier and checksum), as an asynchronous command of the control server:
 *
 *   - a timer sends one echo request per interval (-i, default 1 s);
 *   - the server's poll hook drains the socket every round and streams one line
 *     per reply to the client as it arrives;
 *   - after the last request (-c) the command waits -W seconds (default 2) for
 *     the replies still missing, then prints the summary;
 *   - the client's ^C (an interrupt message) prints the summary early; a client
 *     that disconnects cancels everything.
 *
 * Each request's payload starts with the stack clock at sending (8 bytes, our
 * byte order: only we read it back) followed by the byte pattern 8, 9, 10 ...,
 * so the round-trip time needs no per-request state and corrupted echoes are
 * noticed. Time is the stack's (st->now_ns), as everywhere in the stack.
 *
 * The socket API has no IP_RECVTTL yet, so the TTL (and the arrival time) of a
 * reply are read from the packet at the head of the socket's receive queue just
 * before it is received (sock.h: queued messages keep net_off at the IP header).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/parse.h"
#include "ctl/server.h"
#include "socket/sock.h"
#include "ustack/socket.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#define PING_MAX_PAYLOAD 65507          /* 65535 - 20 (IP) - 8 (ICMP) */
#define PING_MAX_COUNT 1000000000ULL
#define PING_MIN_INTERVAL_NS (10 * US_NSEC_PER_MSEC)
#define PING_MAX_SECONDS (24 * 3600 * US_NSEC_PER_SEC)
#define PING_MAX_RTTS 100000            /* RTTs kept for -j; later ones are only summed */
#define PING_RECV_PER_ROUND 256
#define PING_TS_LEN 8

struct ctl_ping {
	struct ctl_client *c;
	struct us_stack *st;
	int sd;
	uint32_t dst;
	char dst_str[CTL_IPV4_STRLEN];
	uint64_t count;               /* 0: until interrupted */
	size_t size;                  /* payload bytes after the ICMP header */
	uint64_t interval_ns;
	uint64_t timeout_ns;
	bool quiet;

	uint64_t start_ns;
	uint64_t next_send_ns;
	uint64_t last_send_ns;
	bool sending_done;
	struct us_timer timer;

	uint64_t sent, received, dups, errors;
	bool bad_data_reported;
	double rtt_min, rtt_max, rtt_sum, rtt_sum2; /* ms */
	uint64_t rtt_n;
	double *rtts;
	size_t nrtts;

	uint8_t seen[65536 / 8];      /* replies received, by sequence number */
	uint8_t *buf;                 /* one request or reply */
	size_t buflen;
};

static void ping_free(struct ctl_ping *p)
{
	us_timer_cancel(&p->st->timers, &p->timer);
	if (p->sd >= 0)
		us_close(p->st, p->sd);
	free(p->rtts);
	free(p->buf);
	free(p);
}

/* sqrt for the mdev figure, without pulling in libm (Newton's iteration). */
static double ping_sqrt(double x)
{
	double r;

	if (!(x > 0))
		return 0;
	r = x > 1 ? x : 1;
	for (int i = 0; i < 100; i++) {
		double next = (r + x / r) / 2;
		if (next >= r)
			break;
		r = next;
	}
	return r;
}

/* iputils prints fewer decimals as times grow: 0.123, 1.23, 12.3, 123. */
static void fmt_ms(double ms, char buf[32])
{
	if (ms < 1)
		snprintf(buf, 32, "%.3f", ms);
	else if (ms < 10)
		snprintf(buf, 32, "%.2f", ms);
	else if (ms < 100)
		snprintf(buf, 32, "%.1f", ms);
	else
		snprintf(buf, 32, "%.0f", ms);
}

static void ping_summary(struct ctl_ping *p)
{
	struct ctl_client *c = p->c;
	uint64_t time_ms = (p->st->now_ns - p->start_ns) / US_NSEC_PER_MSEC;
	double loss = p->sent ? (double)(p->sent - p->received) * 100.0 / (double)p->sent : 0;
	double avg = p->rtt_n ? p->rtt_sum / (double)p->rtt_n : 0;
	double mdev = p->rtt_n ? ping_sqrt(p->rtt_sum2 / (double)p->rtt_n - avg * avg) : 0;

	if (c->json) {
		struct us_buf b;
		struct us_json j;

		ctl_json_start(&b, &j);
		us_json_obj_begin(&j);
		us_json_kv_str(&j, "destination", p->dst_str);
		us_json_kv_u64(&j, "size", p->size);
		us_json_kv_u64(&j, "transmitted", p->sent);
		us_json_kv_u64(&j, "received", p->received);
		us_json_kv_u64(&j, "duplicates", p->dups);
		us_json_kv_u64(&j, "errors", p->errors);
		us_json_key(&j, "loss_pct");
		us_json_double(&j, loss, 3);
		us_json_kv_u64(&j, "time_ms", time_ms);
		us_json_key(&j, "rtt_ms");
		us_json_arr_begin(&j);
		for (size_t i = 0; i < p->nrtts; i++)
			us_json_double(&j, p->rtts[i], 3);
		us_json_arr_end(&j);
		if (p->rtt_n) {
			us_json_key(&j, "rtt_min_ms");
			us_json_double(&j, p->rtt_min, 3);
			us_json_key(&j, "rtt_avg_ms");
			us_json_double(&j, avg, 3);
			us_json_key(&j, "rtt_max_ms");
			us_json_double(&j, p->rtt_max, 3);
			us_json_key(&j, "rtt_mdev_ms");
			us_json_double(&j, mdev, 3);
		}
		us_json_obj_end(&j);
		ctl_json_emit(c, &b, &j);
		return;
	}
	ctl_printf(c, "\n--- %s ping statistics ---\n", p->dst_str);
	ctl_printf(c, "%" PRIu64 " packets transmitted, %" PRIu64 " received, ", p->sent,
		   p->received);
	if (p->dups)
		ctl_printf(c, "+%" PRIu64 " duplicates, ", p->dups);
	if (p->errors)
		ctl_printf(c, "+%" PRIu64 " errors, ", p->errors);
	ctl_printf(c, "%g%% packet loss, time %" PRIu64 "ms\n", loss, time_ms);
	if (p->rtt_n)
		ctl_printf(c, "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", p->rtt_min, avg,
			   p->rtt_max, mdev);
}

static void ping_finish(struct ctl_ping *p)
{
	struct ctl_client *c = p->c;
	int status = p->received ? CTL_EXIT_OK : CTL_EXIT_FAIL;

	ping_summary(p);
	ping_free(p);
	ctl_finish(c, status);
}

/* Arms the timer so it fires at or before @target_ns: the wheel may fire up to 1/8
 * of a long delay late, so long delays are approached in steps (timer.h). */
static void ping_arm(struct ctl_ping *p, uint64_t target_ns)
{
	uint64_t target_ms = (target_ns + US_NSEC_PER_MSEC - 1) / US_NSEC_PER_MSEC;
	uint64_t now_ms = p->st->now_ms;
	uint64_t delay = target_ms > now_ms ? target_ms - now_ms : 0;

	if (delay > 64)
		delay = delay * 8 / 9;
	us_timer_arm(&p->st->timers, &p->timer, now_ms + delay);
}

static const char *ping_errmsg(int err)
{
	switch (err) {
	case -EHOSTUNREACH: return "Destination Host Unreachable";
	case -ENETUNREACH: return "Destination Net Unreachable";
	case -ECONNREFUSED: return "Destination Port Unreachable";
	case -EPROTO: return "Destination Protocol Unreachable";
	case -EACCES: return "Packet filtered";
	case -EMSGSIZE: return "Frag needed and DF set";
	case -ETIMEDOUT: return "Time to live exceeded";
	default: return strerror(-err);
	}
}

static void ping_send(struct ctl_ping *p)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(p->dst) };
	uint16_t seq = (uint16_t)(p->sent + 1);
	uint64_t now = p->st->now_ns;
	/* The identifier is the ping socket's to fill in (and the checksum then again). */
	struct icmp_repr req = { .type = ICMP_ECHO, .rest = icmp_rest_echo(0, seq),
				 .payload_len = p->size };
	ssize_t r;

	if (p->size >= PING_TS_LEN)
		memcpy(p->buf + ICMP_HDR_LEN, &now, PING_TS_LEN);
	icmp_emit(&req, p->buf);
	p->seen[seq / 8] &= (uint8_t) ~(1u << (seq % 8));
	p->sent++;
	p->last_send_ns = now;
	r = us_sendto(p->st, p->sd, p->buf, ICMP_HDR_LEN + p->size, 0, (struct sockaddr *)&to,
		      sizeof(to));
	if (r < 0) {
		p->errors++;
		if (!p->c->json)
			ctl_eprintf(p->c, "ping: sendto %s: %s\n", p->dst_str, strerror((int)-r));
	}
	if (p->count && p->sent >= p->count)
		p->sending_done = true;
}

static bool ping_complete(const struct ctl_ping *p)
{
	return p->sending_done &&
	       (p->received + p->errors >= p->sent || p->st->now_ns >= p->last_send_ns + p->timeout_ns);
}

static void ping_timer_fn(struct us_timer *t, uint64_t now_ms)
{
	struct ctl_ping *p = container_of(t, struct ctl_ping, timer);
	uint64_t now = p->st->now_ns;

	(void)now_ms;
	if (!p->sending_done && now >= p->next_send_ns) {
		ping_send(p);
		/* Keep the schedule (no drift), but never send a burst to catch up. */
		p->next_send_ns += p->interval_ns;
		if (p->next_send_ns < now)
			p->next_send_ns = now + p->interval_ns;
	}
	if (ping_complete(p)) {
		ping_finish(p);
		return;
	}
	ping_arm(p, p->sending_done ? p->last_send_ns + p->timeout_ns : p->next_send_ns);
}

/* TTL and arrival time of the message us_recvfrom is about to return (-1/0 if unknown). */
static void ping_peek(struct ctl_ping *p, int *ttl, uint64_t *rx_ns)
{
	struct us_sock *sk = sock_lookup(p->st, p->sd);
	const struct us_pkt *q = sk ? sk->rxq.first : NULL;

	*ttl = -1;
	*rx_ns = 0;
	if (!q)
		return;
	if (q->net_off != US_PKT_NOHDR && q->net_off + 9u <= us_pkt_offset(q, q->tail))
		*ttl = ipv4_ttl_of(us_pkt_network(q));
	*rx_ns = q->rx_ns;
}

static void ping_reply(struct ctl_ping *p, const uint8_t *icmp, size_t n, int ttl, uint64_t rx_ns)
{
	struct ctl_client *c = p->c;
	uint16_t seq = icmp_echo_seq_of(icmp);
	bool dup, have_rtt = false;
	double rtt = 0;
	char tbuf[32];

	/* A sequence number we never sent (the socket filters the identifier). */
	if (p->sent == 0 || (p->sent < 65536 && (seq == 0 || seq > p->sent)))
		return;
	dup = p->seen[seq / 8] & (1u << (seq % 8));
	p->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	if (n >= ICMP_HDR_LEN + PING_TS_LEN && p->size >= PING_TS_LEN) {
		uint64_t ts;
		memcpy(&ts, icmp + ICMP_HDR_LEN, sizeof(ts));
		uint64_t at = rx_ns && rx_ns <= p->st->now_ns ? rx_ns : p->st->now_ns;
		if (ts <= at && ts >= p->start_ns) {
			rtt = (double)(at - ts) / 1e6;
			have_rtt = true;
		}
	}
	if (dup) {
		p->dups++;
	} else {
		p->received++;
		if (have_rtt) {
			if (!p->rtt_n || rtt < p->rtt_min)
				p->rtt_min = rtt;
			if (!p->rtt_n || rtt > p->rtt_max)
				p->rtt_max = rtt;
			p->rtt_sum += rtt;
			p->rtt_sum2 += rtt * rtt;
			p->rtt_n++;
			if (p->rtts && p->nrtts < PING_MAX_RTTS)
				p->rtts[p->nrtts++] = rtt;
		}
	}
	if (c->json || p->quiet)
		return;
	ctl_printf(c, "%zu bytes from %s: icmp_seq=%u", n, p->dst_str, seq);
	if (ttl >= 0)
		ctl_printf(c, " ttl=%d", ttl);
	if (have_rtt) {
		fmt_ms(rtt, tbuf);
		ctl_printf(c, " time=%s ms", tbuf);
	}
	ctl_printf(c, "%s%s\n", dup ? " (DUP!)" : "",
		   n < ICMP_HDR_LEN + p->size ? " (truncated)" : "");
	/* RFC 792: the data of the echo is returned unchanged; say so if it was not. */
	for (size_t k = PING_TS_LEN; !p->bad_data_reported && k < p->size &&
				      ICMP_HDR_LEN + k < n; k++) {
		uint8_t want = (uint8_t)k, got = icmp[ICMP_HDR_LEN + k];
		if (got != want) {
			ctl_printf(c, "wrong data byte #%zu should be 0x%x but was 0x%x\n", k, want,
				   got);
			p->bad_data_reported = true;
		}
	}
}

static void ping_poll(struct ctl_client *c)
{
	struct ctl_ping *p = c->async_state;

	for (int i = 0; i < PING_RECV_PER_ROUND; i++) {
		struct sockaddr_in from;
		socklen_t fromlen = sizeof(from);
		uint64_t rx_ns;
		ssize_t n;
		int ttl;

		ping_peek(p, &ttl, &rx_ns);
		n = us_recvfrom(p->st, p->sd, p->buf, p->buflen, 0, (struct sockaddr *)&from, &fromlen);

		if (n == -EAGAIN)
			break;
		if (n < 0) {
			/* An ICMP error about one of our requests (RFC 1122 3.2.2.1). */
			p->errors++;
			if (!c->json && !p->quiet)
				ctl_printf(c, "From %s icmp_seq=%" PRIu64 " %s\n", p->dst_str, p->sent,
					   ping_errmsg((int)n));
			continue;
		}
		if ((size_t)n >= ICMP_HDR_LEN && p->buf[ICMP_OFF_TYPE] == ICMP_ECHOREPLY)
			ping_reply(p, p->buf, (size_t)n, ttl, rx_ns);
	}
	if (p->sending_done && p->received + p->errors >= p->sent)
		ping_finish(p);
}

static void ping_interrupt(struct ctl_client *c) { ping_finish(c->async_state); }

static void ping_cancel(struct ctl_client *c) { ping_free(c->async_state); }

static const struct ctl_async_ops ping_ops = {
	.poll = ping_poll,
	.interrupt = ping_interrupt,
	.cancel = ping_cancel,
};

/* The value of an option given as "-c 3" or "-c3"; NULL if missing. */
static const char *opt_value(int argc, char **argv, int *i)
{
	if (argv[*i][2])
		return argv[*i] + 2;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

int ctl_cmd_ping(struct ctl_client *c, int argc, char **argv)
{
	static const char usage[] = "ping [-c COUNT] [-s SIZE] [-i INTERVAL_S] [-W TIMEOUT_S] [-q] DEST";
	uint64_t count = 0, size = 56, interval = US_NSEC_PER_SEC, timeout = 2 * US_NSEC_PER_SEC;
	const char *dest = NULL;
	struct ctl_ping *p;
	bool quiet = false;
	uint32_t dst;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		int err = 0;

		if (a[0] != '-' || !a[1]) {
			if (dest)
				return ctl_usage(c, usage);
			dest = a;
			continue;
		}
		if (!strcmp(a, "-q")) {
			quiet = true;
			continue;
		}
		if (!strchr("csiW", a[1]))
			return ctl_usage(c, usage);
		v = opt_value(argc, argv, &i);
		if (!v)
			return ctl_usage(c, usage);
		switch (a[1]) {
		case 'c': err = ctl_parse_u64(v, 1, PING_MAX_COUNT, &count); break;
		case 's': err = ctl_parse_u64(v, 0, PING_MAX_PAYLOAD, &size); break;
		case 'i':
			err = ctl_parse_seconds(v, PING_MIN_INTERVAL_NS, PING_MAX_SECONDS, &interval);
			break;
		case 'W': err = ctl_parse_seconds(v, US_NSEC_PER_MSEC, PING_MAX_SECONDS, &timeout); break;
		default: break;
		}
		if (err) {
			ctl_eprintf(c, "ustack: ping: invalid %s value \"%s\"%s\n", a, v,
				    a[1] == 'c'   ? " (1..1000000000)"
				    : a[1] == 's' ? " (0..65507 bytes)"
				    : a[1] == 'i' ? " (seconds, at least 0.01)"
						  : " (seconds, at least 0.001)");
			return CTL_EXIT_USAGE;
		}
	}
	if (!dest)
		return ctl_usage(c, usage);
	if (ctl_parse_ipv4(dest, &dst) < 0) {
		ctl_eprintf(c, "ustack: ping: %s: not an IPv4 address (names are not resolved)\n",
			    dest);
		return CTL_EXIT_USAGE;
	}

	p = calloc(1, sizeof(*p));
	if (!p)
		return ctl_fail(c, "ping", -ENOMEM);
	p->c = c;
	p->st = c->st;
	p->dst = dst;
	ctl_fmt_ipv4(dst, p->dst_str);
	p->count = count;
	p->size = size;
	p->interval_ns = interval;
	p->timeout_ns = timeout;
	p->quiet = quiet;
	p->buflen = ICMP_HDR_LEN + (size_t)size + 64; /* room to notice longer echoes */
	p->buf = malloc(p->buflen);
	if (c->json)
		p->rtts = malloc(sizeof(double) * (count && count < PING_MAX_RTTS ? count
									   : PING_MAX_RTTS));
	us_timer_init(&p->timer, ping_timer_fn);
	p->sd = us_socket(c->st, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (!p->buf || (c->json && !p->rtts) || p->sd < 0) {
		int err = p->sd < 0 ? p->sd : -ENOMEM;
		ping_free(p);
		ctl_eprintf(c, "ustack: ping: cannot open a ping socket: %s\n", strerror(-err));
		return CTL_EXIT_USAGE;
	}
	for (size_t k = PING_TS_LEN; k < size; k++)
		p->buf[ICMP_HDR_LEN + k] = (uint8_t)k;
	for (size_t k = 0; k < size && k < PING_TS_LEN; k++)
		p->buf[ICMP_HDR_LEN + k] = (uint8_t)k; /* too small for a timestamp */

	if (!c->json)
		ctl_printf(c, "PING %s (%s) %" PRIu64 "(%" PRIu64 ") bytes of data.\n", p->dst_str,
			   p->dst_str, size, size + 28);
	c->async = &ping_ops;
	c->async_state = p;
	p->start_ns = c->st->now_ns;
	p->next_send_ns = p->start_ns;
	ping_timer_fn(&p->timer, c->st->now_ms); /* the first request goes now */
	return CTL_ASYNC;
}
