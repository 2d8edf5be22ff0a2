/*
 * tcpc_report.c - the pure parts of `ustack tcp connect` (tcpc.h): the options
 * (tcpc_parse), the names of errors and of the ways a connection ends, the lines
 * of the text report, the JSON report and the exit status. No stack here: the unit
 * tests call these directly; tcpc.c runs the connection and calls them.
 */
#include "ctl/tcpc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "ctl/json.h"
#include "ctl/parse.h"
#include "ctl/server.h"

/* ---- options ------------------------------------------------------------------------- */

static int opt_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
	snprintf(err, errlen, fmt, a, b);
	return -EINVAL;
}

/* "I,N,C" of --keepalive. */
static int parse_keepalive(const char *v, struct tcpc_opts *o)
{
	char buf[64], *save = NULL, *tok;
	uint64_t n[3];
	int k = 0;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", v);
	if (buf[0] == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,"))
		return -EINVAL;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t max = k == 2 ? TCPC_KEEP_CNT_MAX : TCPC_KEEP_MAX_S;

		if (k == 3 || ctl_parse_u64(tok, 1, max, &n[k]) < 0)
			return -EINVAL;
		k++;
	}
	if (k != 3)
		return -EINVAL;
	o->keepalive = true;
	o->keep_idle_s = (uint32_t)n[0];
	o->keep_intvl_s = (uint32_t)n[1];
	o->keep_cnt = (uint32_t)n[2];
	return 0;
}

/* "A.B.C.D" or "A.B.C.D:PORT" of --bind. */
static int parse_bind(const char *v, struct tcpc_opts *o)
{
	char buf[CTL_IPV4_STRLEN + 8];
	char *colon;
	uint64_t port = 0;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", v);
	colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		if (ctl_parse_u64(colon + 1, 0, 65535, &port) < 0)
			return -EINVAL;
	}
	if (ctl_parse_ipv4(buf, &o->bind_addr) < 0)
		return -EINVAL;
	o->bind = true;
	o->bind_port = (uint16_t)port;
	return 0;
}

static bool valid_cc_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > TCPC_CC_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

int tcpc_parse(int argc, char *const argv[], struct tcpc_opts *o, char *err, size_t errlen)
{
	uint64_t v;
	int npos = 0;

	memset(o, 0, sizeof(*o));
	o->write_size = TCPC_WRITE_SIZE_DEFAULT;
	o->timeout_ns = TCPC_TIMEOUT_DEFAULT_S * US_NSEC_PER_SEC;
	o->hash = true;
	if (argc < 1 || strcmp(argv[0], "connect"))
		return opt_err(err, errlen, "expected \"connect\"%s%s", "", "");

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *eq;
		char name[32];

		if (a[0] != '-' || a[1] != '-') {
			if (npos == 0 && ctl_parse_ipv4(a, &o->dst) < 0)
				return opt_err(err, errlen,
					       "%s: not an IPv4 address (names are not resolved)%s",
					       a, "");
			if (npos == 1) {
				if (ctl_parse_u64(a, 1, 65535, &v) < 0)
					return opt_err(err, errlen, "%s: not a port%s", a,
						       " (1..65535)");
				o->port = (uint16_t)v;
			}
			if (npos >= 2)
				return opt_err(err, errlen, "unexpected argument \"%s\"%s", a, "");
			npos++;
			continue;
		}
		/* --name VALUE or --name=VALUE */
		eq = strchr(a, '=');
		if (eq) {
			if ((size_t)(eq - a) >= sizeof(name))
				return opt_err(err, errlen, "unknown option \"%s\"%s", a, "");
			memcpy(name, a, (size_t)(eq - a));
			name[eq - a] = '\0';
			val = eq + 1;
		} else {
			snprintf(name, sizeof(name), "%s", a);
		}
		if (!strcmp(name, "--recv") || !strcmp(name, "--shutdown") ||
		    !strcmp(name, "--nodelay") || !strcmp(name, "--no-hash")) {
			if (val)
				return opt_err(err, errlen, "%s takes no value%s", name, "");
			if (!strcmp(name, "--recv"))
				o->recv = true;
			else if (!strcmp(name, "--shutdown"))
				o->shutdown = true;
			else if (!strcmp(name, "--nodelay"))
				o->nodelay = true;
			else
				o->hash = false;
			continue;
		}
		if (strcmp(name, "--send") && strcmp(name, "--write-size") &&
		    strcmp(name, "--keepalive") && strcmp(name, "--hold") && strcmp(name, "--cc") &&
		    strcmp(name, "--bind") && strcmp(name, "--timeout"))
			return opt_err(err, errlen, "unknown option \"%s\"%s", a, "");
		if (!val) {
			if (i + 1 >= argc)
				return opt_err(err, errlen, "%s needs a value%s", name, "");
			val = argv[++i];
		}
		if (!strcmp(name, "--send")) {
			if (ctl_parse_u64(val, 0, TCPC_SEND_MAX, &o->send_bytes) < 0)
				return opt_err(err, errlen, "--send %s: not a byte count%s",
					       val, " (0..1099511627776)");
			o->send = true;
		} else if (!strcmp(name, "--write-size")) {
			if (ctl_parse_u64(val, 1, TCPC_WRITE_SIZE_MAX, &v) < 0)
				return opt_err(err, errlen, "--write-size %s: not in 1..%s", val,
					       "1048576");
			o->write_size = (uint32_t)v;
		} else if (!strcmp(name, "--keepalive")) {
			if (parse_keepalive(val, o) < 0)
				return opt_err(err, errlen,
					       "--keepalive %s: expected IDLE,INTVL,COUNT (seconds "
					       "1..32767, count 1..127)%s", val, "");
		} else if (!strcmp(name, "--hold")) {
			if (ctl_parse_seconds(val, 0, TCPC_TIMEOUT_MAX_S * US_NSEC_PER_SEC,
					      &o->hold_ns) < 0)
				return opt_err(err, errlen, "--hold %s: not in 0..%s seconds", val,
					       "3600");
		} else if (!strcmp(name, "--cc")) {
			if (!valid_cc_name(val))
				return opt_err(err, errlen, "--cc %s: not an algorithm name%s", val,
					       "");
			snprintf(o->cc, sizeof(o->cc), "%s", val);
		} else if (!strcmp(name, "--bind")) {
			if (parse_bind(val, o) < 0)
				return opt_err(err, errlen, "--bind %s: expected %s", val,
					       "ADDR or ADDR:PORT");
		} else {
			uint64_t max = TCPC_TIMEOUT_MAX_S * US_NSEC_PER_SEC;

			if (ctl_parse_seconds(val, US_NSEC_PER_MSEC, max, &o->timeout_ns) < 0)
				return opt_err(err, errlen, "--timeout %s: not in %s seconds", val,
					       "0.001..3600");
		}
	}
	if (npos < 2)
		return opt_err(err, errlen, "expected ADDR PORT%s%s", "", "");
	return 0;
}

/* ---- the report ---------------------------------------------------------------------- */

const char *tcpc_errno_name(int err, char buf[16])
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ ECONNREFUSED, "ECONNREFUSED" }, { ECONNRESET, "ECONNRESET" },
		{ ETIMEDOUT, "ETIMEDOUT" },       { EHOSTUNREACH, "EHOSTUNREACH" },
		{ ENETUNREACH, "ENETUNREACH" },   { EPIPE, "EPIPE" },
		{ ECONNABORTED, "ECONNABORTED" }, { EADDRINUSE, "EADDRINUSE" },
		{ EADDRNOTAVAIL, "EADDRNOTAVAIL" }, { ENETDOWN, "ENETDOWN" },
		{ EHOSTDOWN, "EHOSTDOWN" },       { EPROTO, "EPROTO" },
		{ EACCES, "EACCES" },             { EPERM, "EPERM" },
		{ EMSGSIZE, "EMSGSIZE" },         { ENOBUFS, "ENOBUFS" },
		{ ENOMEM, "ENOMEM" },             { EMFILE, "EMFILE" },
		{ ENOENT, "ENOENT" },             { EINVAL, "EINVAL" },
		{ ENOTCONN, "ENOTCONN" },         { EISCONN, "EISCONN" },
		{ EALREADY, "EALREADY" },         { EBUSY, "EBUSY" },
		{ ENOPROTOOPT, "ENOPROTOOPT" },   { EAFNOSUPPORT, "EAFNOSUPPORT" },
	};

	if (err < 0)
		err = -err;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(buf, 16, "E%d", err);
	return buf;
}

const char *tcpc_close_name(enum tcpc_close how)
{
	switch (how) {
	case TCPC_CLOSE_FIN: return "fin";
	case TCPC_CLOSE_LOCAL: return "local";
	case TCPC_CLOSE_RESET: return "reset";
	case TCPC_CLOSE_TIMEOUT: return "timeout";
	case TCPC_CLOSE_ERROR: return "error";
	case TCPC_CLOSE_INTERRUPTED: return "interrupted";
	}
	return "?";
}

double tcpc_mbit_s(uint64_t bytes, double seconds)
{
	return seconds > 0 ? (double)bytes * 8 / seconds / 1e6 : 0;
}

void tcpc_fmt_connected(const struct tcpc_result *r, char *buf, size_t len)
{
	snprintf(buf, len, "connected %s -> %s in %.3f ms\n", r->local, r->remote, r->connect_ms);
}

void tcpc_fmt_sent(const struct tcpc_result *r, char *buf, size_t len)
{
	if (r->send_done)
		snprintf(buf, len, "sent %" PRIu64 " bytes in %.3f s (%.1f Mbit/s)\n", r->sent,
			 r->send_seconds, tcpc_mbit_s(r->sent, r->send_seconds));
	else
		snprintf(buf, len, "sent %" PRIu64 " bytes (not all acknowledged)\n", r->sent);
}

void tcpc_fmt_received(const struct tcpc_result *r, char *buf, size_t len)
{
	int n = snprintf(buf, len, "received %" PRIu64 " bytes", r->received);

	if (n < 0 || (size_t)n >= len)
		return;
	if (r->hash)
		n += snprintf(buf + n, len - (size_t)n, " sha256 %s", r->received_sha256);
	if (n < 0 || (size_t)n >= len)
		return;
	if (r->eof)
		snprintf(buf + n, len - (size_t)n, " in %.3f s (%.1f Mbit/s)\n", r->recv_seconds,
			 tcpc_mbit_s(r->received, r->recv_seconds));
	else
		snprintf(buf + n, len - (size_t)n, " (no FIN)\n");
}

void tcpc_fmt_closed(const struct tcpc_result *r, char *buf, size_t len)
{
	if (r->timed_out)
		snprintf(buf, len, "closed: timeout (--timeout %g s expired)\n", r->timeout_s);
	else
		snprintf(buf, len, "closed: %s\n", tcpc_close_name(r->close));
}

void tcpc_fmt_error(const struct tcpc_result *r, char *buf, size_t len)
{
	if (!r->err) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, len, "%s: %s\n", r->err_op ? r->err_op : "tcp", strerror(r->err));
}

static void json_kv_double_or_null(struct us_json *j, const char *key, bool have, double v,
				   int decimals)
{
	us_json_key(j, key);
	if (have)
		us_json_double(j, v, decimals);
	else
		us_json_null(j);
}

static void json_kv_str_or_null(struct us_json *j, const char *key, const char *s)
{
	us_json_key(j, key);
	if (s && *s)
		us_json_str(j, s);
	else
		us_json_null(j);
}

static uint32_t segs(uint32_t bytes, uint32_t mss)
{
	return mss ? bytes / mss : 0;
}

static void json_info(struct us_json *j, const struct tcpc_info *in)
{
	us_json_obj_begin(j);
	us_json_kv_str(j, "state", in->state ? in->state : "");
	us_json_kv_str(j, "cc", in->cc ? in->cc : "");
	us_json_kv_u64(j, "mss", in->mss);
	us_json_kv_u64(j, "cwnd", segs(in->cwnd, in->mss));
	us_json_kv_u64(j, "cwnd_bytes", in->cwnd);
	us_json_key(j, "ssthresh");
	if (in->ssthresh == UINT32_MAX || segs(in->ssthresh, in->mss) >= 0xffff)
		us_json_null(j); /* still infinite, as ss leaves it out */
	else
		us_json_u64(j, segs(in->ssthresh, in->mss));
	us_json_key(j, "rtt_ms");
	us_json_double(j, in->srtt_us / 1000.0, 3);
	us_json_key(j, "rttvar_ms");
	us_json_double(j, in->rttvar_us / 1000.0, 3);
	us_json_kv_u64(j, "rto_ms", in->rto_ms);
	us_json_kv_u64(j, "retrans", in->retrans);
	us_json_kv_u64(j, "total_retrans", in->total_retrans);
	us_json_kv_u64(j, "lost", in->lost);
	us_json_kv_u64(j, "sacked", in->sacked);
	us_json_kv_u64(j, "bytes_acked", in->bytes_acked);
	us_json_kv_u64(j, "bytes_received", in->bytes_received);
	us_json_kv_u64(j, "segs_out", in->segs_out);
	us_json_kv_u64(j, "segs_in", in->segs_in);
	us_json_kv_u64(j, "snd_wnd", in->snd_wnd);
	us_json_kv_u64(j, "rcv_wnd", in->rcv_wnd);
	us_json_kv_u64(j, "snd_wscale", in->snd_wscale);
	us_json_kv_u64(j, "rcv_wscale", in->rcv_wscale);
	us_json_kv_bool(j, "sack", in->sack);
	us_json_kv_bool(j, "ts", in->timestamps);
	us_json_obj_end(j);
}

void tcpc_json(const struct tcpc_opts *o, const struct tcpc_result *r, struct us_buf *out)
{
	struct us_json j;
	char ebuf[16];

	us_json_init(&j, out);
	us_json_obj_begin(&j);
	json_kv_str_or_null(&j, "local", r->local);
	json_kv_str_or_null(&j, "remote", r->remote);
	json_kv_double_or_null(&j, "connect_ms", r->connected, r->connect_ms, 3);
	json_kv_str_or_null(&j, "error", r->err ? tcpc_errno_name(r->err, ebuf) : NULL);
	json_kv_str_or_null(&j, "error_op", r->err ? r->err_op : NULL);
	us_json_kv_u64(&j, "sent", r->sent);
	json_kv_str_or_null(&j, "sent_sha256", r->hash ? r->sent_sha256 : NULL);
	json_kv_double_or_null(&j, "send_seconds", o->send && r->send_done, r->send_seconds, 6);
	json_kv_double_or_null(&j, "send_mbit_s", o->send && r->send_done,
			       tcpc_mbit_s(r->sent, r->send_seconds), 1);
	us_json_kv_u64(&j, "received", r->received);
	json_kv_str_or_null(&j, "received_sha256", r->hash ? r->received_sha256 : NULL);
	json_kv_double_or_null(&j, "recv_seconds", r->eof, r->recv_seconds, 6);
	json_kv_double_or_null(&j, "recv_mbit_s", r->eof, tcpc_mbit_s(r->received, r->recv_seconds),
			       1);
	us_json_kv_str(&j, "close", tcpc_close_name(r->close));
	us_json_kv_bool(&j, "timed_out", r->timed_out);
	us_json_key(&j, "tcp_info");
	if (r->have_info)
		json_info(&j, &r->info);
	else
		us_json_null(&j);
	us_json_obj_end(&j);
}

int tcpc_status(const struct tcpc_opts *o, const struct tcpc_result *r)
{
	if (r->err || r->timed_out || !r->connected)
		return CTL_EXIT_FAIL;
	if ((o->send && !r->send_done) || (o->recv && !r->eof))
		return CTL_EXIT_FAIL; /* interrupted before everything asked for was done */
	return CTL_EXIT_OK;
}
