/*
 * cmd_ss.c - `ustack ss [-t] [-u] [-l] [-a] [-i] [-o] [-n] [-j]`: the stack's
 * sockets as iproute2's `ss -tuna` lists the kernel's (State, Recv-Q, Send-Q,
 * Local Address:Port, Peer Address:Port), with -i the TCP internals on a second
 * line as `ss -ti` prints them, with -o the timer as `ss -o` does, and with -j a
 * JSON array of objects.
 *
 * TCP connections, listeners and TIME_WAIT records come from tcp_dump() (the TCP
 * module's view, orphans included); UDP sockets from the socket table. Which
 * states are shown follows ss: by default the connected ones (everything but
 * LISTEN, UNCONN, TIME-WAIT and SYN-RECV), with -l the listening ones (LISTEN,
 * and UNCONN for UDP), with -a all. Addresses are always numeric (-n is accepted
 * for habit's sake).
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>

#include "ctl/parse.h"
#include "ctl/server.h"
#include "socket/sock.h"
#include "tcp/tcp.h"

#define SS_TCP 1u
#define SS_UDP 2u

/* ss's "infinite" ssthresh: not printed at or above this many segments. */
#define SS_SSTHRESH_SHOWN_MAX 0xffffu

enum ss_states {
	SS_SHOW_CONNECTED = 1, /* default */
	SS_SHOW_LISTENING = 2, /* -l */
	SS_SHOW_ALL = 3,       /* -a */
};

struct ss_ctx {
	struct ctl_client *c;
	struct us_json *j;
	unsigned protos;       /* SS_TCP | SS_UDP */
	enum ss_states states;
	bool info, timers;
	bool netid;            /* both protocols listed: a Netid column */
};

/* One socket, as both protocols describe it. */
struct ss_row {
	const char *netid;
	const char *state;
	bool listening;        /* LISTEN, or UNCONN for UDP (ss -l) */
	bool connected;        /* what ss shows by default */
	uint64_t recv_q, send_q;
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	const struct tcp_conn_info *tcp; /* TCP: the internals (-i, -o) */
};

static bool ss_wanted(const struct ss_ctx *x, const struct ss_row *r)
{
	if (x->states == SS_SHOW_ALL)
		return true;
	return x->states == SS_SHOW_LISTENING ? r->listening : r->connected;
}

static void ss_header(const struct ss_ctx *x)
{
	if (x->netid)
		ctl_printf(x->c, "%-6s", "Netid");
	ctl_printf(x->c, "%-11s %-7s %-7s %21s:%-6s %21s:%-6s\n", "State", "Recv-Q", "Send-Q",
		   "Local Address", "Port", "Peer Address", "Port");
}

/* "rtt:0.5/0.25" style milliseconds from microseconds, as ss prints %g. */
static void ss_ms(struct ctl_client *c, const char *key, uint32_t a_us, uint32_t b_us)
{
	ctl_printf(c, " %s:%g/%g", key, a_us / 1000.0, b_us / 1000.0);
}

static uint32_t ss_segs(uint32_t bytes, uint32_t mss)
{
	return mss ? bytes / mss : 0;
}

/* The second line of ss -i, in ss's order and spelling. */
static void ss_info_text(struct ctl_client *c, const struct tcp_conn_info *ci)
{
	uint32_t ssthresh = ss_segs(ci->ssthresh, ci->mss);

	ctl_printf(c, "\t");
	if (ci->timestamps)
		ctl_printf(c, " ts");
	if (ci->sack)
		ctl_printf(c, " sack");
	if (ci->ecn)
		ctl_printf(c, " ecn");
	ctl_printf(c, " %s", ci->cc ? ci->cc : "?");
	if (ci->snd_wscale || ci->rcv_wscale)
		ctl_printf(c, " wscale:%u,%u", ci->snd_wscale, ci->rcv_wscale);
	ctl_printf(c, " rto:%u", ci->rto_ms);
	ss_ms(c, "rtt", ci->srtt_us, ci->rttvar_us);
	ctl_printf(c, " mss:%u rcvmss:%u cwnd:%u", ci->mss, ci->rcv_mss,
		   ss_segs(ci->cwnd, ci->mss));
	if (ssthresh < SS_SSTHRESH_SHOWN_MAX)
		ctl_printf(c, " ssthresh:%u", ssthresh);
	ctl_printf(c, " bytes_acked:%" PRIu64 " bytes_received:%" PRIu64 " segs_out:%" PRIu64
		      " segs_in:%" PRIu64,
		   ci->bytes_acked, ci->bytes_received, ci->segs_out, ci->segs_in);
	if (ci->retrans || ci->total_retrans)
		ctl_printf(c, " retrans:%u/%" PRIu64, ci->retrans, ci->total_retrans);
	if (ci->lost)
		ctl_printf(c, " lost:%u", ci->lost);
	if (ci->sacked)
		ctl_printf(c, " sacked:%u", ci->sacked);
	ctl_printf(c, " snd_wnd:%u rcv_wnd:%u\n", ci->snd_wnd, ci->rcv_wnd);
}

static void ss_info_json(struct us_json *j, const struct tcp_conn_info *ci)
{
	uint32_t ssthresh = ss_segs(ci->ssthresh, ci->mss);

	us_json_key(j, "info");
	us_json_obj_begin(j);
	us_json_kv_str(j, "cc", ci->cc ? ci->cc : "");
	us_json_kv_bool(j, "ts", ci->timestamps);
	us_json_kv_bool(j, "sack", ci->sack);
	us_json_kv_bool(j, "ecn", ci->ecn);
	us_json_kv_u64(j, "snd_wscale", ci->snd_wscale);
	us_json_kv_u64(j, "rcv_wscale", ci->rcv_wscale);
	us_json_kv_u64(j, "rto_ms", ci->rto_ms);
	us_json_key(j, "rtt_ms");
	us_json_double(j, ci->srtt_us / 1000.0, 3);
	us_json_key(j, "rttvar_ms");
	us_json_double(j, ci->rttvar_us / 1000.0, 3);
	us_json_kv_u64(j, "mss", ci->mss);
	us_json_kv_u64(j, "rcv_mss", ci->rcv_mss);
	us_json_kv_u64(j, "cwnd", ss_segs(ci->cwnd, ci->mss));
	us_json_kv_u64(j, "cwnd_bytes", ci->cwnd);
	us_json_key(j, "ssthresh");
	if (ssthresh < SS_SSTHRESH_SHOWN_MAX)
		us_json_u64(j, ssthresh);
	else
		us_json_null(j);
	us_json_kv_u64(j, "ssthresh_bytes", ci->ssthresh);
	us_json_kv_u64(j, "ca_state", ci->ca_state);
	us_json_kv_u64(j, "bytes_acked", ci->bytes_acked);
	us_json_kv_u64(j, "bytes_received", ci->bytes_received);
	us_json_kv_u64(j, "segs_out", ci->segs_out);
	us_json_kv_u64(j, "segs_in", ci->segs_in);
	us_json_kv_u64(j, "retrans", ci->retrans);
	us_json_kv_u64(j, "total_retrans", ci->total_retrans);
	us_json_kv_u64(j, "lost", ci->lost);
	us_json_kv_u64(j, "sacked", ci->sacked);
	us_json_kv_u64(j, "snd_wnd", ci->snd_wnd);
	us_json_kv_u64(j, "rcv_wnd", ci->rcv_wnd);
	us_json_obj_end(j);
}

static void ss_row_json(const struct ss_ctx *x, const struct ss_row *r)
{
	struct us_json *j = x->j;
	char ip[CTL_IPV4_STRLEN];

	us_json_obj_begin(j);
	us_json_kv_str(j, "netid", r->netid);
	us_json_kv_str(j, "state", r->state);
	us_json_kv_u64(j, "recv_q", r->recv_q);
	us_json_kv_u64(j, "send_q", r->send_q);
	us_json_kv_str(j, "local", ctl_fmt_ipv4(r->laddr, ip));
	us_json_kv_u64(j, "lport", r->lport);
	us_json_kv_str(j, "peer", ctl_fmt_ipv4(r->raddr, ip));
	us_json_kv_u64(j, "pport", r->rport);
	if (r->tcp) {
		us_json_kv_bool(j, "orphan", r->tcp->orphan);
		if (x->timers) {
			us_json_kv_str(j, "timer", r->tcp->timer ? r->tcp->timer : "");
			us_json_kv_u64(j, "timer_ms", r->tcp->timer_ms);
		}
		if (x->info && r->tcp->state != TCP_LISTEN && r->tcp->state != TCP_TIME_WAIT)
			ss_info_json(j, r->tcp);
	}
	us_json_obj_end(j);
}

static void ss_row_text(const struct ss_ctx *x, const struct ss_row *r)
{
	char la[CTL_IPV4_STRLEN], ra[CTL_IPV4_STRLEN], lp[8], rp[8];

	snprintf(lp, sizeof(lp), "%u", r->lport);
	if (r->rport)
		snprintf(rp, sizeof(rp), "%u", r->rport);
	else
		snprintf(rp, sizeof(rp), "*");
	if (x->netid)
		ctl_printf(x->c, "%-6s", r->netid);
	ctl_printf(x->c, "%-11s %-7" PRIu64 " %-7" PRIu64 " %21s:%-6s %21s:%-6s", r->state, r->recv_q,
		   r->send_q, ctl_fmt_ipv4(r->laddr, la), lp, ctl_fmt_ipv4(r->raddr, ra), rp);
	if (r->tcp && x->timers && r->tcp->timer && r->tcp->timer[0])
		ctl_printf(x->c, " timer:(%s,%" PRIu64 "ms)", r->tcp->timer, r->tcp->timer_ms);
	ctl_printf(x->c, "\n");
	if (r->tcp && x->info && r->tcp->state != TCP_LISTEN && r->tcp->state != TCP_TIME_WAIT)
		ss_info_text(x->c, r->tcp);
}

static void ss_row(const struct ss_ctx *x, const struct ss_row *r)
{
	if (!ss_wanted(x, r))
		return;
	if (x->j)
		ss_row_json(x, r);
	else
		ss_row_text(x, r);
}

static int ss_tcp_cb(const struct tcp_conn_info *ci, void *arg)
{
	const struct ss_ctx *x = arg;
	struct ss_row r = {
		.netid = "tcp",
		.state = tcp_state_name(ci->state),
		.listening = ci->state == TCP_LISTEN,
		/* ss's SS_CONN: all but LISTEN, CLOSE, TIME-WAIT and SYN-RECV */
		.connected = ci->state != TCP_LISTEN && ci->state != TCP_CLOSED &&
			     ci->state != TCP_TIME_WAIT && ci->state != TCP_SYN_RECEIVED,
		.recv_q = ci->rx_queue,
		.send_q = ci->tx_queue,
		.laddr = ci->laddr,
		.raddr = ci->raddr,
		.lport = ci->lport,
		.rport = ci->rport,
		.tcp = ci,
	};

	if (ci->state == TCP_CLOSED && !ci->lport)
		return 0; /* never bound: in no table, as on Linux */
	ss_row(x, &r);
	return 0;
}

static void ss_udp(const struct ss_ctx *x)
{
	const struct us_sock_table *t = x->c->st->socks;

	for (unsigned i = 0; i < t->cap; i++) {
		const struct us_sock *sk = t->slots[i];
		struct ss_row r;

		/* Bound UDP sockets: the ones in the port table, as Linux lists them. */
		if (!sk || sk->type != SOCK_DGRAM || sk->protocol != IPPROTO_UDP || !sk->lport)
			continue;
		r = (struct ss_row){
			.netid = "udp",
			.state = sk->connected ? "ESTAB" : "UNCONN",
			.listening = !sk->connected,
			.connected = sk->connected,
			.recv_q = sk->rmem,
			.laddr = sk->laddr,
			.raddr = sk->raddr,
			.lport = sk->lport,
			.rport = sk->rport,
		};
		ss_row(x, &r);
	}
}

/* One option word: "-tuna", "--tcp" ... false for an unknown one. */
static bool ss_option(struct ss_ctx *x, const char *w)
{
	static const struct {
		const char *name;
		char letter;
	} longs[] = { { "--tcp", 't' },     { "--udp", 'u' },  { "--listening", 'l' },
		      { "--all", 'a' },     { "--info", 'i' }, { "--options", 'o' },
		      { "--numeric", 'n' }, { "--json", 'j' } };
	char letters[2] = { 0 };

	if (w[0] != '-' || !w[1])
		return false;
	if (w[1] == '-') {
		for (size_t i = 0; i < ARRAY_SIZE(longs); i++)
			if (!strcmp(w, longs[i].name))
				letters[0] = longs[i].letter;
		if (!letters[0])
			return false;
		w = letters;
	} else {
		w++;
	}
	for (; *w; w++) {
		switch (*w) {
		case 't': x->protos |= SS_TCP; break;
		case 'u': x->protos |= SS_UDP; break;
		case 'l': x->states = SS_SHOW_LISTENING; break;
		case 'a': x->states = SS_SHOW_ALL; break;
		case 'i': x->info = true; break;
		case 'o': x->timers = true; break;
		case 'j': x->c->json = true; break;
		case 'n': break;
		default: return false;
		}
	}
	return true;
}

int ctl_cmd_ss(struct ctl_client *c, int argc, char **argv)
{
	struct ss_ctx x = { .c = c, .states = SS_SHOW_CONNECTED };
	struct ctl_list l;

	for (int i = 1; i < argc; i++)
		if (!ss_option(&x, argv[i]))
			return ctl_usage(c, "ss [-t] [-u] [-l] [-a] [-i] [-o] [-n] [-j]");
	if (!x.protos)
		x.protos = SS_TCP | SS_UDP;
	x.netid = x.protos == (SS_TCP | SS_UDP);
	x.j = ctl_list_begin(c, &l);
	if (!x.j)
		ss_header(&x);
	/* ss lists UDP before TCP. */
	if (x.protos & SS_UDP)
		ss_udp(&x);
	if (x.protos & SS_TCP)
		tcp_dump(c->st, ss_tcp_cb, &x);
	ctl_list_end(c, &l);
	return CTL_EXIT_OK;
}
