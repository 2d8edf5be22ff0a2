/*
 * test_tcp_misc.c - the rest of the segment-level behaviour: ICMP errors (RFC 1191
 * path MTU, RFC 1122 4.2.3.9 soft/hard errors, RFC 5927 validation), MSS clamping
 * to the route, SACK block order (RFC 2018 4) and D-SACK (RFC 2883), the receive
 * window (never shrinks, receiver SWS avoidance), checksum offload both ways,
 * SO_LINGER 0, data after close, TCP_USER_TIMEOUT, and ss/TCP_INFO introspection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "base/bytes.h"
#include "ip/pmtu.h"
#include "tcp/tcp_sock.h"
#include "tcp_env.h"
#include "ustack/ustack.h"
#include "wire/checksum.h"

#define PEER_ISS 0x20000000u

static struct tcp_sock *open_active(struct te_peer *pe, uint16_t lport, bool ts, uint8_t ws,
				    uint16_t peer_mss)
{
	struct tcp_sock *tp = tcp_sock_new(pe->st);
	struct te_out o;
	struct te_seg s;

	assert_int_equal(tcp_bind(tp, 0, lport), 0);
	assert_int_equal(tcp_connect(tp, TE_PEER, 80), -EINPROGRESS);
	te_poll(pe->st);
	te_peer_pop(pe, &o);
	pe->sport = 80;
	pe->dport = lport;
	pe->snd_nxt = PEER_ISS + 1;
	pe->rcv_nxt = o.th.seq + 1;
	pe->ts = ts;
	s = (struct te_seg){ .saddr = TE_PEER, .daddr = TE_US, .sport = 80, .dport = lport,
			     .seq = PEER_ISS, .ack = o.th.seq + 1, .flags = TCP_SYN | TCP_ACK,
			     .win = 65535 };
	s.opts.mss_present = true;
	s.opts.mss = peer_mss;
	s.opts.sack_perm = true;
	s.opts.wscale_present = ws != 0;
	s.opts.wscale = ws;
	if (ts) {
		s.opts.ts_present = true;
		s.opts.tsval = pe->tsval = 100;
		s.opts.tsecr = o.th.opts.tsval;
	}
	te_inject(pe->dev, &s);
	te_poll(pe->st);
	te_peer_pop(pe, &o);
	assert_int_equal(tp->state, TCP_ESTABLISHED);
	return tp;
}

static void close_all(struct te_peer *pe, struct tcp_sock *tp)
{
	if (tp) {
		tcp_abort(tp, 0, false);
		tcp_close(tp);
	}
	te_poll(pe->st);
	te_tx_clear(pe->dev);
	te_assert_no_conns(pe->st);
	te_stack_free(pe->st);
}

static void setup(struct te_peer *pe)
{
	memset(pe, 0, sizeof(*pe));
	pe->st = te_stack_new(TE_US, 42, &pe->dev);
}

/* An ICMP error from the peer's router quoting @quoted (our datagram's first bytes). */
static void inject_icmp(struct te_peer *pe, uint8_t type, uint8_t code, uint16_t mtu,
			const uint8_t *quoted)
{
	uint8_t b[20 + 8 + 28];
	struct ipv4_repr ip = { .hdr_len = 20, .total_len = sizeof(b), .id = 9, .ttl = 64,
				.proto = 1, .src = TE_PEER, .dst = TE_US };

	memset(b, 0, sizeof(b));
	ipv4_emit(&ip, NULL, b);
	b[20] = type;
	b[21] = code;
	wr16(b + 26, mtu);
	memcpy(b + 28, quoted, 28);
	wr16(b + 22, csum_fold(csum_partial(b + 20, 8 + 28, 0)));
	te_inject_bytes(pe->dev, b, sizeof(b));
}

static void test_icmp_frag_needed(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	struct te_out o, o2;
	static uint8_t data[1448];
	struct iovec iov = { data, sizeof(data) };

	(void)state;
	setup(&pe);
	tp = open_active(&pe, 5100, true, 7, 1460);
	assert_int_equal(tp->snd.mss, 1448);
	assert_int_equal(tcp_send(tp, &iov, 1, 0), 1448);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.len, 1448);
	/* A router says the path takes 1000 bytes (RFC 1191). */
	inject_icmp(&pe, 3, 4, 1000, o.raw);
	te_poll(pe.st);
	assert_int_equal(tp->snd.pmtu, 1000);
	assert_int_equal(tp->snd.mss, 1000 - 40 - 12);
	/* The segment goes again, cut to the new MSS. */
	te_peer_pop(&pe, &o);
	te_peer_pop(&pe, &o2);
	assert_int_equal(o.len, 948);
	assert_int_equal(o2.len, 500);
	assert_int_equal(o2.th.seq, o.th.seq + 948);
	assert_true(o.ip.total_len <= 1000);
	/* An error quoting a sequence number we have not sent is ignored (RFC 5927). */
	wr32(o.raw + 20 + 4, tp->snd.nxt + 100000);
	inject_icmp(&pe, 3, 4, 600, o.raw);
	te_poll(pe.st);
	assert_int_equal(tp->snd.pmtu, 1000);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtOutOfWindowIcmps], 1);
	close_all(&pe, tp);
}

/* A path MTU learnt by another flow to the same destination (a UDP flow's ICMP, here
 * pmtu_learn directly) applies to an open connection at its next transmit (Linux
 * tcp_current_mss): segments are cut to the new MSS and go with DF, never fragmented
 * here; a segment in flight at the old size is resent in pieces (it cannot pass);
 * when the fact expires the MSS grows back to the route's. */
static void test_pmtu_learned_elsewhere(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	struct te_out o, o2, o3;
	static uint8_t data[1448];
	struct iovec iov = { data, sizeof(data) };

	(void)state;
	setup(&pe);
	tp = open_active(&pe, 5105, true, 7, 1460);
	{
		int one = 1;    /* no Nagle: the small write goes behind the retransmission */

		assert_int_equal(tcp_setsockopt(tp, 6, 1 /* TCP_NODELAY */, &one, sizeof(one)), 0);
	}
	assert_int_equal(tp->snd.mss, 1448);
	assert_int_equal(tcp_send(tp, &iov, 1, 0), 1448);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.len, 1448);
	assert_true(o.ip.df);
	/* Another flow learns that the path takes 1000 bytes. */
	assert_int_equal(pmtu_learn(pe.st, TE_PEER, 1500, 1000), 1000);
	iov.iov_len = 100;
	assert_int_equal(tcp_send(tp, &iov, 1, 0), 100);
	te_poll(pe.st);
	assert_int_equal(tp->snd.pmtu, 1000);
	assert_int_equal(tp->snd.mss, 1000 - 40 - 12);
	assert_int_equal(te_tx_count(pe.dev), 3);
	/* The 1448 bytes in flight went at the old size: resent as 948 + 500, then the
	 * new 100 bytes; all with DF, none fragmented. */
	te_peer_pop(&pe, &o);
	te_peer_pop(&pe, &o2);
	te_peer_pop(&pe, &o3);
	assert_int_equal(te_tx_count(pe.dev), 0);
	assert_int_equal(o.len, 948);
	assert_int_equal(o2.len, 500);
	assert_int_equal(o2.th.seq, o.th.seq + 948);
	assert_int_equal(o3.len, 100);
	assert_int_equal(o3.th.seq, o2.th.seq + 500);
	assert_true(o.ip.total_len <= 1000);
	assert_true(o.ip.df && o2.ip.df && o3.ip.df);
	assert_false(o.ip.mf || o.ip.frag_off);
	assert_int_equal(pe.st->counters.stat[US_STAT_IpFragCreates], 0);
	/* Acknowledged; the fact is forgotten (as on expiry): back to the route's MSS. */
	pe.rcv_nxt = tp->snd.nxt;
	te_peer_send(&pe, TCP_ACK, NULL, 0, 1024);
	te_poll(pe.st);
	pmtu_flush(pe.st);
	iov.iov_len = 1448;
	assert_int_equal(tcp_send(tp, &iov, 1, 0), 1448);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.len, 1448);
	assert_int_equal(tp->snd.mss, 1448);
	close_all(&pe, tp);
}

static void test_icmp_during_connect(void **state)
{
	struct te_peer pe;
	struct tcp_sock *a, *b;
	struct te_out o;

	(void)state;
	setup(&pe);
	a = tcp_sock_new(pe.st);
	b = tcp_sock_new(pe.st);
	assert_int_equal(tcp_connect(a, TE_PEER, 80), -EINPROGRESS);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	inject_icmp(&pe, 3, 3, 0, o.raw);                  /* port unreachable */
	te_poll(pe.st);
	assert_int_equal(a->state, TCP_CLOSED);
	assert_int_equal(tcp_sock_error(a), ECONNREFUSED);
	assert_int_equal(tcp_connect(b, TE_PEER, 81), -EINPROGRESS);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	inject_icmp(&pe, 3, 1, 0, o.raw);                  /* host unreachable */
	te_poll(pe.st);
	assert_int_equal(tcp_sock_error(b), EHOSTUNREACH);
	tcp_close(a);
	tcp_close(b);
	close_all(&pe, NULL);
}

/* RFC 9293 3.7.1 / RFC 6691: the MSS we announce is the route's MTU minus 40. */
static void test_mss_clamp_to_mtu(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	struct te_out o;

	(void)state;
	setup(&pe);
	assert_int_equal(us_dev_set_mtu(pe.st, te_netdev(pe.dev)->ifindex, 1280), 0);
	tp = tcp_sock_new(pe.st);
	assert_int_equal(tcp_connect(tp, TE_PEER, 80), -EINPROGRESS);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_true(o.th.opts.mss_present);
	assert_int_equal(o.th.opts.mss, 1240);
	tcp_close(tp);
	close_all(&pe, NULL);
}

/* RFC 2018 4: the first block holds the segment just received, then the most
 * recently reported ones; RFC 2883: a duplicate is reported first, once. */
static void test_sack_blocks_order(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	static uint8_t d[1000];
	uint32_t base;

	(void)state;
	setup(&pe);
	tp = open_active(&pe, 5101, true, 7, 1460);
	base = pe.snd_nxt;
#define SEG(off) do { pe.snd_nxt = base + (off); te_peer_send(&pe, TCP_ACK, d, 1000, 1024); \
		       te_poll(pe.st); te_peer_pop(&pe, &o); } while (0)
#define BLK(i, s, e) do { assert_int_equal(o.th.opts.sack[i].start, base + (s)); \
			  assert_int_equal(o.th.opts.sack[i].end, base + (e)); } while (0)
	SEG(1000);
	assert_int_equal(o.th.ack, base);
	assert_int_equal(o.th.opts.sack_count, 1);
	BLK(0, 1000, 2000);
	SEG(3000);
	assert_int_equal(o.th.opts.sack_count, 2);
	BLK(0, 3000, 4000);
	BLK(1, 1000, 2000);
	SEG(5000);
	assert_int_equal(o.th.opts.sack_count, 3);
	BLK(0, 5000, 6000);
	BLK(1, 3000, 4000);
	BLK(2, 1000, 2000);
	SEG(2000);                          /* joins the first two */
	assert_int_equal(o.th.opts.sack_count, 2);
	BLK(0, 1000, 4000);
	BLK(1, 5000, 6000);
	SEG(0);                             /* fills the hole at the front */
	assert_int_equal(o.th.ack, base + 4000);
	assert_int_equal(o.th.opts.sack_count, 1);
	BLK(0, 5000, 6000);
	SEG(1000);                          /* an old duplicate: D-SACK first */
	assert_int_equal(o.th.ack, base + 4000);
	assert_int_equal(o.th.opts.sack_count, 2);
	BLK(0, 1000, 2000);
	BLK(1, 5000, 6000);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPDSACKOldSent], 1);
#undef SEG
#undef BLK
	te_tx_clear(pe.dev);
	close_all(&pe, tp);
}

/* The right edge of the window never moves left (RFC 9293 3.8.6.2.2); it moves right
 * only by min(MSS, buffer/2) or more (RFC 1122 4.2.3.3); a read that reopens a closed
 * window sends the update. */
static void test_receive_window(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp = NULL;
	struct te_out o;
	static uint8_t d[1000];
	char buf[8192];
	struct iovec iov = { buf, 0 };
	uint32_t edge = 0;
	int sz = 8192;

	(void)state;
	setup(&pe);
	{
		/* An active open with a fixed 8 KB receive buffer. */
		struct tcp_sock *t2 = tcp_sock_new(pe.st);
		struct te_seg s;

		assert_int_equal(tcp_setsockopt(t2, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)), 0);
		assert_int_equal(tcp_bind(t2, 0, 5102), 0);
		assert_int_equal(tcp_connect(t2, TE_PEER, 80), -EINPROGRESS);
		te_poll(pe.st);
		te_peer_pop(&pe, &o);
		assert_int_equal(o.th.window, 8192);
		assert_int_equal(o.th.opts.wscale, 0);        /* 8 KB needs no scaling */
		pe.sport = 80;
		pe.dport = 5102;
		pe.snd_nxt = PEER_ISS + 1;
		pe.rcv_nxt = o.th.seq + 1;
		s = (struct te_seg){ .saddr = TE_PEER, .daddr = TE_US, .sport = 80, .dport = 5102,
				     .seq = PEER_ISS, .ack = o.th.seq + 1,
				     .flags = TCP_SYN | TCP_ACK, .win = 65535 };
		s.opts.mss_present = true;
		s.opts.mss = 1000;
		te_inject(pe.dev, &s);
		te_poll(pe.st);
		te_peer_pop(&pe, &o);
		tp = t2;
	}
	edge = o.th.ack + o.th.window;
	for (int i = 0; i < 8; i++) {
		te_peer_send(&pe, TCP_ACK, d, 1000, 65535);
		te_poll(pe.st);
		while (te_tx_count(pe.dev)) {
			te_peer_pop(&pe, &o);
			assert_true(seq_ge(o.th.ack + o.th.window, edge));
			edge = o.th.ack + o.th.window;
		}
	}
	te_advance(pe.st, 40);
	while (te_tx_count(pe.dev)) {
		te_peer_pop(&pe, &o);
		assert_true(seq_ge(o.th.ack + o.th.window, edge));
		edge = o.th.ack + o.th.window;
	}
	assert_int_equal(o.th.window, 192);           /* 8192 - 8000 */
	/* 192 bytes left: a sender may fill them; the window then shows 0. */
	te_peer_send(&pe, TCP_ACK, d, 192, 65535);
	te_poll(pe.st);
	te_advance(pe.st, 40);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.window, 0);
	/* Reading 100 bytes: 100 free is silly (< min(MSS 1000, 4096)): no update. */
	iov.iov_len = 100;
	assert_int_equal(tcp_recv(tp, &iov, 1, 0), 100);
	te_poll(pe.st);
	assert_int_equal(te_tx_count(pe.dev), 0);
	/* Reading 2000 more: 2100 free, an update goes at once. */
	iov.iov_len = 2000;
	assert_int_equal(tcp_recv(tp, &iov, 1, 0), 2000);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.window, 2100);
	assert_int_equal(o.th.ack, pe.snd_nxt);
	close_all(&pe, tp);
}

/* Checksum offload: with TX_CSUM the stack leaves the checksum to the device
 * (PARTIAL); on input a checksum the device verified (VERIFIED/PARTIAL) is trusted. */
static void test_checksum_offload(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	uint8_t b[128];
	size_t n;
	char buf[8];
	struct iovec iov = { buf, sizeof(buf) };

	(void)state;
	setup(&pe);
	te_netdev(pe.dev)->caps |= US_DEV_CAP_TX_CSUM | US_DEV_CAP_RX_CSUM;
	tp = open_active(&pe, 5103, false, 0, 1460);
	assert_true(te_partial_seen(pe.dev) >= 2);        /* SYN and ACK */
	{
		struct te_seg s = { .saddr = TE_PEER, .daddr = TE_US, .sport = 80, .dport = 5103,
				    .seq = pe.snd_nxt, .ack = pe.rcv_nxt, .flags = TCP_ACK,
				    .win = 1000, .data = "ok", .len = 2 };

		n = te_build(&s, b, sizeof(b));
	}
	b[20 + TCP_OFF_CSUM] ^= 0x55;                      /* a wrong checksum ... */
	te_inject_bytes(pe.dev, b, n);
	te_poll(pe.st);
	assert_int_equal(pe.st->counters.drop[US_DROP_TCP_CSUM], 1);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpInCsumErrors], 1);
	te_inject_bytes_csum(pe.dev, b, n, US_CSUM_VERIFIED); /* ... the device vouched */
	te_poll(pe.st);
	assert_int_equal(tcp_recv(tp, &iov, 1, 0), 2);
	te_peer_pop(&pe, &o);
	close_all(&pe, tp);
}

static void test_linger_zero_and_abort_on_data(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	struct te_out o;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	(void)state;
	setup(&pe);
	tp = open_active(&pe, 5104, false, 0, 1460);
	assert_int_equal(tcp_setsockopt(tp, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	tcp_close(tp);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_int_equal(o.th.flags, TCP_RST | TCP_ACK);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPAbortOnLinger], 1);
	te_assert_no_conns(pe.st);

	/* Closed normally (FIN sent), then data arrives: RST (RFC 1122 4.2.2.13). */
	tp = open_active(&pe, 5105, false, 0, 1460);
	tcp_close(tp);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_true(o.th.flags & TCP_FIN);
	te_peer_send(&pe, TCP_ACK, "late", 4, 1000);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	assert_true(o.th.flags & TCP_RST);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPAbortOnData], 1);
	close_all(&pe, NULL);
}

/* TCP_USER_TIMEOUT (RFC 5482): unacknowledged data for that long ends the connection. */
static void test_user_timeout(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	int ms = 1000;
	char d[10] = { 0 };
	struct iovec iov = { d, sizeof(d) };
	uint64_t t0;

	(void)state;
	setup(&pe);
	tp = open_active(&pe, 5106, false, 0, 1460);
	assert_int_equal(tcp_setsockopt(tp, 6, 18 /* TCP_USER_TIMEOUT */, &ms, sizeof(ms)), 0);
	assert_int_equal(tcp_send(tp, &iov, 1, 0), 10);
	te_poll(pe.st);
	t0 = te_now_ms(pe.st);
	for (int i = 0; i < 100 && tp->state == TCP_ESTABLISHED; i++)
		te_advance(pe.st, 50);
	assert_int_equal(tp->state, TCP_CLOSED);
	assert_true(te_now_ms(pe.st) - t0 >= 1000);
	assert_true(te_now_ms(pe.st) - t0 < 2500);
	assert_int_equal(tcp_sock_error(tp), ETIMEDOUT);
	tcp_close(tp);
	close_all(&pe, NULL);
}

/* RFC 3522 Eifel detection: an ACK echoing the original's timestamp after an RTO
 * shows the timeout was spurious (counted). */
static void test_spurious_rto(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp;
	struct te_out o, r;
	char d[100] = { 0 };
	struct iovec iov = { d, sizeof(d) };

	(void)state;
	setup(&pe);
	assert_int_equal(us_stack_set(pe.st, "net.ipv4.tcp_early_retrans", "0"), 0);
	tp = open_active(&pe, 5108, true, 7, 1460);
	assert_int_equal(tcp_send(tp, &iov, 1, 0), 100);
	te_poll(pe.st);
	te_peer_pop(&pe, &o);
	te_advance(pe.st, tcp_rto_ms(tp));
	te_peer_pop(&pe, &r);                              /* the retransmission */
	assert_int_equal(r.th.seq, o.th.seq);
	assert_true(r.th.opts.tsval > o.th.opts.tsval);
	pe.tsecr = o.th.opts.tsval;                        /* the ACK of the original */
	pe.rcv_nxt = o.th.seq + 100;
	te_peer_send(&pe, TCP_ACK, NULL, 0, 1024);
	te_poll(pe.st);
	assert_int_equal(tp->snd.una, o.th.seq + 100);
	assert_int_equal(pe.st->counters.stat[US_STAT_TcpExtTCPSpuriousRTOs], 1);
	close_all(&pe, tp);
}

struct dump_seen {
	unsigned listen, estab, tw;
};

static int dump_cb(const struct tcp_conn_info *ci, void *arg)
{
	struct dump_seen *d = arg;

	if (ci->state == TCP_LISTEN)
		d->listen++;
	if (ci->state == TCP_ESTABLISHED) {
		d->estab++;
		assert_string_equal(ci->cc, "cubic");
		assert_true(ci->cwnd > 0);
		assert_int_equal(ci->rto_ms, 201);
		assert_true(ci->sack && ci->timestamps);
	}
	if (ci->state == TCP_TIME_WAIT) {
		d->tw++;
		assert_string_equal(ci->timer, "timewait");
	}
	return 0;
}

static void test_dump_and_info(void **state)
{
	struct te_peer pe;
	struct tcp_sock *tp, *l;
	struct dump_seen seen = { 0 };
	uint8_t info[104];
	size_t len = sizeof(info);

	(void)state;
	setup(&pe);
	l = tcp_sock_new(pe.st);
	assert_int_equal(tcp_bind(l, 0, 99), 0);
	assert_int_equal(tcp_listen(l, 5), 0);
	tp = open_active(&pe, 5107, true, 7, 1460);
	assert_int_equal(tcp_dump(pe.st, dump_cb, &seen), 0);
	assert_int_equal(seen.listen, 1);
	assert_int_equal(seen.estab, 1);
	assert_int_equal(tcp_getsockopt(tp, 6, 11 /* TCP_INFO */, info, &len), 0);
	assert_int_equal(len, 104);
	assert_int_equal(info[0], 1);                     /* TCP_ESTABLISHED, Linux's number */
	assert_int_equal(info[5], 1 | 2 | 4);             /* TIMESTAMPS | SACK | WSCALE */
	assert_int_equal(info[6], 7 | (7 << 4));          /* snd_wscale 7, rcv_wscale 7 */
	{
		uint32_t snd_mss;

		memcpy(&snd_mss, info + 16, 4);             /* tcpi_snd_mss */
		assert_int_equal(snd_mss, 1448);
	}
	tcp_close(l);
	close_all(&pe, tp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icmp_frag_needed),
		cmocka_unit_test(test_pmtu_learned_elsewhere),
		cmocka_unit_test(test_icmp_during_connect),
		cmocka_unit_test(test_mss_clamp_to_mtu),
		cmocka_unit_test(test_sack_blocks_order),
		cmocka_unit_test(test_receive_window),
		cmocka_unit_test(test_checksum_offload),
		cmocka_unit_test(test_linger_zero_and_abort_on_data),
		cmocka_unit_test(test_user_timeout),
		cmocka_unit_test(test_spurious_rto),
		cmocka_unit_test(test_dump_and_info),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
