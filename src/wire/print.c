/*
 * print.c - tcpdump-style one-line summaries of frames and datagrams, for
 * debug logs, test failure messages and the CLI.
 *
 * The format follows tcpdump's default (non-verbose) output, with absolute TCP
 * sequence numbers (as `tcpdump -S`):
 *   198.18.0.1 > 198.18.0.2: ICMP echo request, id 1, seq 2, length 64
 *   ARP, Request who-has 198.18.0.2 tell 198.18.0.1, length 28
 *   198.18.0.1.40000 > 198.18.0.2.80: Flags [S.], seq 1, ack 2, win 64240, options [...], length 0
 *
 * Like tcpdump without -v, checksums are not looked at (a packet captured
 * before checksum offload carries only the pseudo-header sum; the drop reason
 * says when a checksum was bad). Fragments get tcpdump -v's
 * "(frag id:len@off+)" note.
 *
 * Input is untrusted: everything is decoded through the wire/ parsers or with
 * explicit length checks, and what cannot be decoded prints as "truncated" or
 * "malformed" instead. Output is always NUL-terminated and cut at @outlen.
 */
#include "wire/print.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "base/bytes.h"
#include "base/compiler.h"
#include "wire/arp.h"
#include "wire/ether.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

enum { PRINT_PROTO_ICMP = 1, PRINT_PROTO_TCP = 6, PRINT_PROTO_UDP = 17 };

/* An append-only string in a caller's buffer; silently stops at the end. */
struct sbuf {
	char *s;
	size_t cap, len;
};

US_PRINTF(2, 3) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len + 1 >= b->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->len = us_min_sz(b->len + (size_t)n, b->cap - 1);
}

char *wire_ip_str(uint32_t addr, char *out)
{
	snprintf(out, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xffu, (addr >> 8) & 0xffu,
		 addr & 0xffu);
	return out;
}

static void sb_ip(struct sbuf *b, uint32_t addr)
{
	char s[16];

	sb_printf(b, "%s", wire_ip_str(addr, s));
}

static void sb_mac(struct sbuf *b, const uint8_t *m)
{
	sb_printf(b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* ---- ARP ---------------------------------------------------------------- */

static void print_arp(struct sbuf *b, const uint8_t *p, size_t len)
{
	struct arp_repr a;

	switch (arp_parse(p, len, &a)) {
	case US_DROP_NONE:
		break;
	case US_DROP_PKT_TOO_SHORT:
		sb_printf(b, "ARP, truncated, length %zu", len);
		return;
	default:
		sb_printf(b, "ARP, malformed, length %zu", len);
		return;
	}
	if (a.op == ARP_OP_REQUEST) {
		sb_printf(b, "ARP, Request who-has ");
		sb_ip(b, a.tpa);
		if (!eth_addr_is_zero(a.tha)) {
			sb_printf(b, " (");
			sb_mac(b, a.tha);
			sb_printf(b, ")");
		}
		sb_printf(b, " tell ");
		sb_ip(b, a.spa);
	} else {
		sb_printf(b, "ARP, Reply ");
		sb_ip(b, a.spa);
		sb_printf(b, " is-at ");
		sb_mac(b, a.sha);
	}
	sb_printf(b, ", length %zu", len);
}

/* ---- ICMP --------------------------------------------------------------- */

/*
 * "D udp port P unreachable" and friends, D and P taken from the datagram the
 * error quotes (RFC 792: its IP header and first 8 bytes). The quote's total
 * length describes the original datagram, not the quote, so only its version,
 * header length and addresses are relied on.
 */
static void print_icmp_unreach(struct sbuf *b, const struct icmp_repr *ic, const uint8_t *q,
			       size_t qlen)
{
	size_t hl;
	uint8_t proto;

	if (qlen < IPV4_HDR_LEN || (q[0] >> 4) != 4 || (q[0] & 0xfu) * 4u < IPV4_HDR_LEN) {
		sb_printf(b, "unreachable, code %u (quote truncated)", ic->code);
		return;
	}
	hl = (q[0] & 0xfu) * 4u;
	proto = q[IPV4_OFF_PROTO];
	if (ic->code == ICMP_NET_UNREACH)
		sb_printf(b, "net ");
	else if (ic->code == ICMP_HOST_UNREACH)
		sb_printf(b, "host ");
	sb_ip(b, rd32(q + IPV4_OFF_DST));
	switch (ic->code) {
	case ICMP_NET_UNREACH:
	case ICMP_HOST_UNREACH:
		sb_printf(b, " unreachable");
		break;
	case ICMP_PROT_UNREACH:
		sb_printf(b, " protocol %u unreachable", proto);
		break;
	case ICMP_PORT_UNREACH:
		if (qlen >= hl + 4 && (proto == PRINT_PROTO_UDP || proto == PRINT_PROTO_TCP))
			sb_printf(b, " %s port %u unreachable", proto == PRINT_PROTO_UDP ? "udp" : "tcp",
				  rd16(q + hl + 2));
		else
			sb_printf(b, " port unreachable");
		break;
	case ICMP_FRAG_NEEDED:
		sb_printf(b, " unreachable - need to frag (mtu %u)", icmp_frag_mtu(ic));
		break;
	case ICMP_PKT_FILTERED:
		sb_printf(b, " unreachable - admin prohibited filter");
		break;
	default:
		sb_printf(b, " unreachable - code %u", ic->code);
		break;
	}
}

static void print_icmp(struct sbuf *b, const uint8_t *p, size_t len)
{
	struct icmp_repr ic;
	const uint8_t *q = p + ICMP_HDR_LEN;

	if (icmp_parse(p, len, true, &ic) != US_DROP_NONE) {
		sb_printf(b, "ICMP truncated, length %zu", len);
		return;
	}
	sb_printf(b, "ICMP ");
	switch (ic.type) {
	case ICMP_ECHO:
	case ICMP_ECHOREPLY:
		sb_printf(b, "echo %s, id %u, seq %u", ic.type == ICMP_ECHO ? "request" : "reply",
			  icmp_echo_id(&ic), icmp_echo_seq(&ic));
		break;
	case ICMP_DEST_UNREACH:
		print_icmp_unreach(b, &ic, q, ic.payload_len);
		break;
	case ICMP_TIME_EXCEEDED:
		sb_printf(b, "%s", ic.code == ICMP_EXC_FRAGTIME ? "ip reassembly time exceeded"
								: "time exceeded in-transit");
		break;
	case ICMP_REDIRECT:
		sb_printf(b, "redirect ");
		if (ic.payload_len >= IPV4_HDR_LEN)
			sb_ip(b, rd32(q + IPV4_OFF_DST));
		else
			sb_printf(b, "(quote truncated)");
		sb_printf(b, " to host ");
		sb_ip(b, icmp_gateway(&ic));
		break;
	case ICMP_PARAMETERPROB:
		sb_printf(b, "parameter problem - octet %u", icmp_param_pointer(&ic));
		break;
	case ICMP_SOURCE_QUENCH:
		sb_printf(b, "source quench");
		break;
	case ICMP_TIMESTAMP:
	case ICMP_TIMESTAMPREPLY:
		sb_printf(b, "time stamp %s id %u seq %u", ic.type == ICMP_TIMESTAMP ? "query" : "reply",
			  icmp_echo_id(&ic), icmp_echo_seq(&ic));
		break;
	default:
		sb_printf(b, "type %u, code %u", ic.type, ic.code);
		break;
	}
	sb_printf(b, ", length %zu", len);
}

/* ---- UDP ---------------------------------------------------------------- */

static void print_ports(struct sbuf *b, const struct ipv4_repr *ip, uint16_t sp, uint16_t dp)
{
	sb_ip(b, ip->src);
	sb_printf(b, ".%u > ", sp);
	sb_ip(b, ip->dst);
	sb_printf(b, ".%u: ", dp);
}

static void print_addrs(struct sbuf *b, const struct ipv4_repr *ip)
{
	sb_ip(b, ip->src);
	sb_printf(b, " > ");
	sb_ip(b, ip->dst);
	sb_printf(b, ": ");
}

static void print_udp(struct sbuf *b, const struct ipv4_repr *ip, const uint8_t *p, size_t len,
		      bool whole)
{
	unsigned ulen;

	if (len < UDP_HDR_LEN) {
		print_addrs(b, ip);
		sb_printf(b, "UDP truncated, length %zu", len);
		return;
	}
	print_ports(b, ip, rd16(p + UDP_OFF_SPORT), rd16(p + UDP_OFF_DPORT));
	ulen = rd16(p + UDP_OFF_LEN);
	if (ulen < UDP_HDR_LEN) {
		sb_printf(b, "UDP malformed, bad length %u", ulen);
		return;
	}
	/* The first fragment of a datagram holds only part of what the length claims. */
	if (ulen > len && whole) {
		sb_printf(b, "UDP truncated, length %u > %zu", ulen, len);
		return;
	}
	sb_printf(b, "UDP, length %u", ulen - UDP_HDR_LEN);
}

/* ---- TCP ---------------------------------------------------------------- */

static void print_tcp_flags(struct sbuf *b, uint8_t f)
{
	/* tcpdump's letters and order; '.' is ACK, 'W' is CWR, 'E' is ECE. */
	static const struct { uint8_t bit; char c; } tab[] = {
		{ TCP_FIN, 'F' }, { TCP_SYN, 'S' }, { TCP_RST, 'R' }, { TCP_PSH, 'P' },
		{ TCP_ACK, '.' }, { TCP_URG, 'U' }, { TCP_ECE, 'E' }, { TCP_CWR, 'W' },
	};
	char s[sizeof(tab) + 1];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(tab); i++)
		if (f & tab[i].bit)
			s[n++] = tab[i].c;
	s[n] = '\0';
	sb_printf(b, "Flags [%s]", n ? s : "none");
}

/* Prints the options in hdr[20 .. hlen) in wire order, as tcpdump does. */
static void print_tcp_options(struct sbuf *b, const uint8_t *hdr, size_t hlen)
{
	size_t i = TCP_HDR_LEN;
	const char *sep = "";

	sb_printf(b, ", options [");
	while (i < hlen) {
		uint8_t kind = hdr[i];
		size_t olen, j;

		sb_printf(b, "%s", sep);
		sep = ",";
		if (kind == TCPOPT_EOL) {
			sb_printf(b, "eol");
			break;
		}
		if (kind == TCPOPT_NOP) {
			sb_printf(b, "nop");
			i++;
			continue;
		}
		if (i + 1 >= hlen || hdr[i + 1] < 2 || i + hdr[i + 1] > hlen) {
			sb_printf(b, "bad opt");
			break;
		}
		olen = hdr[i + 1];
		if (kind == TCPOPT_MSS && olen == 4) {
			sb_printf(b, "mss %u", rd16(hdr + i + 2));
		} else if (kind == TCPOPT_WSCALE && olen == 3) {
			sb_printf(b, "wscale %u", hdr[i + 2]);
		} else if (kind == TCPOPT_SACK_PERM && olen == 2) {
			sb_printf(b, "sackOK");
		} else if (kind == TCPOPT_TIMESTAMP && olen == 10) {
			sb_printf(b, "TS val %u ecr %u", rd32(hdr + i + 2), rd32(hdr + i + 6));
		} else if (kind == TCPOPT_SACK && olen >= 10 && (olen - 2) % 8 == 0) {
			sb_printf(b, "sack %zu ", (olen - 2) / 8);
			for (j = 2; j + 8 <= olen; j += 8)
				sb_printf(b, "{%u:%u}", rd32(hdr + i + j), rd32(hdr + i + j + 4));
		} else if (kind == TCPOPT_MSS || kind == TCPOPT_WSCALE || kind == TCPOPT_SACK_PERM ||
			   kind == TCPOPT_TIMESTAMP || kind == TCPOPT_SACK) {
			sb_printf(b, "bad opt"); /* a known kind with the wrong length */
			break;
		} else {
			sb_printf(b, "unknown-%u", kind);
		}
		i += olen;
	}
	sb_printf(b, "]");
}

static void print_tcp(struct sbuf *b, const struct ipv4_repr *ip, const uint8_t *p, size_t len)
{
	size_t hlen, plen;
	uint32_t seq;
	uint8_t f;

	if (len < TCP_HDR_LEN) {
		print_addrs(b, ip);
		sb_printf(b, "TCP truncated, length %zu", len);
		return;
	}
	print_ports(b, ip, rd16(p + TCP_OFF_SPORT), rd16(p + TCP_OFF_DPORT));
	hlen = (size_t)(p[TCP_OFF_DOFF] >> 4) * 4;
	if (hlen < TCP_HDR_LEN || hlen > len) {
		sb_printf(b, "TCP malformed, data offset %zu, length %zu", hlen, len);
		return;
	}
	f = p[TCP_OFF_FLAGS];
	seq = rd32(p + TCP_OFF_SEQ);
	plen = len - hlen;
	print_tcp_flags(b, f);
	/* As tcpdump: a bare ACK shows no sequence number. */
	if (plen)
		sb_printf(b, ", seq %u:%u", seq, (uint32_t)(seq + plen));
	else if (f & (TCP_SYN | TCP_FIN | TCP_RST))
		sb_printf(b, ", seq %u", seq);
	if (f & TCP_ACK)
		sb_printf(b, ", ack %u", rd32(p + TCP_OFF_ACK));
	sb_printf(b, ", win %u", rd16(p + TCP_OFF_WIN));
	if (f & TCP_URG)
		sb_printf(b, ", urg %u", rd16(p + TCP_OFF_URG));
	if (hlen > TCP_HDR_LEN)
		print_tcp_options(b, p, hlen);
	sb_printf(b, ", length %zu", plen);
}

/* ---- IPv4 --------------------------------------------------------------- */

static void print_ipv4(struct sbuf *b, const uint8_t *p, size_t len)
{
	struct ipv4_repr ip;
	enum us_drop_reason r = ipv4_parse(p, len, true, &ip);
	const uint8_t *l4;
	size_t l4len;
	bool whole;

	switch (r) {
	case US_DROP_NONE:
		break;
	case US_DROP_PKT_TOO_SHORT:
		sb_printf(b, "IP truncated, length %zu", len);
		return;
	case US_DROP_IP_VERSION:
		sb_printf(b, "IP malformed, version %u, length %zu", p[0] >> 4, len);
		return;
	case US_DROP_IP_IHL:
		sb_printf(b, "IP malformed, header length %u, length %zu", (p[0] & 0xfu) * 4, len);
		return;
	case US_DROP_IP_TOTAL_LEN:
		if (rd16(p + IPV4_OFF_LEN) > len)
			sb_printf(b, "IP truncated, total length %u > %zu", rd16(p + IPV4_OFF_LEN),
				  len);
		else
			sb_printf(b, "IP malformed, total length %u < header %u",
				  rd16(p + IPV4_OFF_LEN), (p[0] & 0xfu) * 4);
		return;
	case US_DROP_IP_BAD_OPTIONS:
		print_addrs(b, &ip);
		sb_printf(b, "IP malformed, bad option at offset %u, length %u", ip.opt_err_off,
			  ip.total_len);
		return;
	default:
		sb_printf(b, "IP malformed, length %zu", len);
		return;
	}

	l4 = p + ip.hdr_len;
	l4len = (size_t)ip.total_len - ip.hdr_len;
	whole = !ip.mf && ip.frag_off == 0;
	if (ip.frag_off != 0) {
		/* Later fragments carry no transport header. */
		print_addrs(b, &ip);
		sb_printf(b, "ip-proto-%u %zu", ip.proto, l4len);
	} else {
		switch (ip.proto) {
		case PRINT_PROTO_ICMP:
			print_addrs(b, &ip);
			print_icmp(b, l4, l4len);
			break;
		case PRINT_PROTO_UDP:
			print_udp(b, &ip, l4, l4len, whole);
			break;
		case PRINT_PROTO_TCP:
			print_tcp(b, &ip, l4, l4len);
			break;
		default:
			print_addrs(b, &ip);
			sb_printf(b, "ip-proto-%u %zu", ip.proto, l4len);
			break;
		}
	}
	if (!whole)
		sb_printf(b, " (frag %u:%zu@%u%s)", ip.id, l4len, ip.frag_off, ip.mf ? "+" : "");
}

/* ---- entry points ------------------------------------------------------- */

char *wire_print_ipv4(const uint8_t *pkt, size_t len, char *out, size_t outlen)
{
	struct sbuf b = { .s = out, .cap = outlen, .len = 0 };

	if (outlen == 0)
		return out;
	out[0] = '\0';
	print_ipv4(&b, pkt, len);
	return out;
}

char *wire_print_eth(const uint8_t *frame, size_t len, char *out, size_t outlen)
{
	struct sbuf b = { .s = out, .cap = outlen, .len = 0 };
	const uint8_t *p = frame + ETH_HDR_LEN;
	struct eth_repr e;
	size_t plen;

	if (outlen == 0)
		return out;
	out[0] = '\0';
	if (eth_parse(frame, len, &e) != US_DROP_NONE) {
		sb_printf(&b, "Ethernet truncated, length %zu", len);
		return out;
	}
	plen = len - ETH_HDR_LEN;
	switch (e.ethertype) {
	case ETH_P_IP:
		print_ipv4(&b, p, plen);
		break;
	case ETH_P_ARP:
		print_arp(&b, p, plen);
		break;
	case ETH_P_8021Q:
		if (plen >= 4)
			sb_printf(&b, "802.1Q vlan %u, ethertype 0x%04x, length %zu",
				  rd16(p) & 0x0fffu, rd16(p + 2), len);
		else
			sb_printf(&b, "802.1Q truncated, length %zu", len);
		break;
	case ETH_P_IPV6:
		sb_printf(&b, "IP6, length %zu", plen);
		break;
	default:
		sb_printf(&b, "ethertype 0x%04x, length %zu", e.ethertype, len);
		break;
	}
	return out;
}
