/*
 * tcp_cc.c - the congestion-control registry and the window-growth helpers every
 * algorithm shares.
 *
 * Entry: tcp_cc_find() / tcp_cc_available() for the setting and TCP_CONGESTION,
 * tcp_cc_switch() when a connection starts with or changes its algorithm, and
 * tcp_cc_slow_start() / tcp_cc_cong_avoid_ai() from the modules' cong_avoid.
 * The table is const and complete at build time: nothing registers at runtime.
 *
 * Read first: RFC 5681 3.1 (slow start, congestion avoidance), RFC 3465 2
 * (appropriate byte counting and its limit L).
 */
#include <stddef.h>
#include <string.h>

#include "base/compiler.h"
#include "tcp/tcp_cc.h"

/* In the order net.ipv4.tcp_available_congestion_control lists them. */
static const struct tcp_cc_ops *const cc_table[] = {
	&tcp_cc_reno,
	&tcp_cc_newreno,
	&tcp_cc_cubic,
	&tcp_cc_vegas,
};

const struct tcp_cc_ops *tcp_cc_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(cc_table); i++)
		if (strcmp(cc_table[i]->name, name) == 0)
			return cc_table[i];
	return NULL;
}

const char *tcp_cc_available(void)
{
	/* Kept by hand in the order of cc_table; test_cc_registry checks they agree. */
	return "reno newreno cubic vegas";
}

void tcp_cc_switch(struct tcp_cc *cc, const struct tcp_cc_ops *ops)
{
	US_ASSERT(ops != NULL);
	if (cc->ops && cc->ops->release)
		cc->ops->release(cc);
	memset(cc->priv, 0, sizeof(cc->priv));
	cc->ops = ops;
	if (ops->init)
		ops->init(cc);
}

uint32_t tcp_cc_reno_ssthresh(const struct tcp_cc *cc)
{
	uint32_t smss = tcp_cc_smss(cc);
	uint32_t half = cc->in_flight / 2;

	return half > 2 * smss ? half : 2 * smss;
}

uint32_t tcp_cc_slow_start(struct tcp_cc *cc, uint32_t acked)
{
	uint32_t smss = tcp_cc_smss(cc);
	/* RFC 3465 2.2: L = 2*SMSS; 2.3: L = 1*SMSS in the slow start after an RTO. */
	uint32_t limit = cc->ca_state == TCP_CA_LOSS ? smss : 2 * smss;
	uint32_t inc = acked < limit ? acked : limit;
	uint32_t ceiling = cc->ssthresh < TCP_CC_CWND_MAX ? cc->ssthresh : TCP_CC_CWND_MAX;
	uint32_t room;

	if (cc->cwnd >= cc->ssthresh)
		return acked;
	if (cc->cwnd >= ceiling)
		return 0;
	room = ceiling - cc->cwnd;
	if (inc < room) {
		cc->cwnd += inc; /* RFC 5681 eq. 2, with RFC 3465's L */
		return 0;
	}
	cc->cwnd = ceiling;
	return cc->ssthresh < TCP_CC_CWND_MAX ? inc - room : 0;
}

void tcp_cc_cong_avoid_ai(struct tcp_cc *cc, uint32_t w_bytes, uint32_t acked, uint32_t *cnt)
{
	uint32_t smss = tcp_cc_smss(cc);
	uint64_t total, steps, cwnd;

	if (w_bytes == 0)
		w_bytes = 1;
	/* The window the caller measures by may have shrunk since the last ACK (CUBIC's
	 * target moves): credit already earned is not lost, as in Linux. */
	if (*cnt >= w_bytes) {
		*cnt = 0;
		cc->cwnd = cc->cwnd + smss < TCP_CC_CWND_MAX ? cc->cwnd + smss : TCP_CC_CWND_MAX;
	}
	total = (uint64_t)*cnt + acked;
	steps = total / w_bytes;
	*cnt = (uint32_t)(total - steps * w_bytes);
	cwnd = cc->cwnd + steps * smss; /* RFC 5681 3.1: one SMSS per w_bytes acked */
	cc->cwnd = cwnd < TCP_CC_CWND_MAX ? (uint32_t)cwnd : TCP_CC_CWND_MAX;
}
