"""The malformed-input suite: frames that lie, sent by scapy from the kernel's side
of the TAP (a helper running inside the namespace, see nshelper.py).

For every case: the named drop counter of `ustack stat -j` moves by at least the
number of frames (or, for fragment cases, datagrams) sent, and afterwards the
stack still answers a kernel ping. One daemon serves the whole module, so a case
that wedges or crashes the stack also fails the cases after it (and the module
teardown reports a sanitizer error or a bad exit status).

IP headers are packed by hand (ip4() below) so each case lies about exactly one
thing and everything else is correct, checksum included.
"""
import json
import socket
import struct

import pytest
from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw
from scapy.utils import checksum

from harness import KERNEL_ADDR, STACK_ADDR, wait_for

K, S = KERNEL_ADDR, STACK_ADDR
BCAST_MAC = "ff:ff:ff:ff:ff:ff"

MF = 0x2000


def ip4(payload, src=K, dst=S, proto=1, ttl=64, ident=0x4242, frag=0, tos=0, opts=b"",
        ver=4, ihl=None, tot_len=None, csum=None):
    """An IPv4 header over @payload; every field can be made to lie. The checksum is
    computed over the header as built unless @csum is given."""
    assert len(opts) % 4 == 0
    hlen = 20 + len(opts)
    vihl = (ver << 4) | ((hlen // 4) if ihl is None else ihl)
    tot = hlen + len(payload) if tot_len is None else tot_len
    hdr = struct.pack("!BBHHHBBH4s4s", vihl, tos, tot, ident, frag, ttl, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst)) + opts
    c = checksum(hdr) if csum is None else csum
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def echo(seq=1, data=b"malformed-suite!", ident=0x7e57):
    return bytes(ICMP(type=8, id=ident, seq=seq) / Raw(data))


def udp(sport=40000, dport=7, data=b"payload!", src=K, dst=S, **kw):
    """UDP bytes with a correct checksum unless overridden (len=, chksum=)."""
    return bytes(IP(src=src, dst=dst) / UDP(sport=sport, dport=dport, **kw) / Raw(data))[20:]


def bad_sum(good):
    # Any other non-zero value (0 means "no checksum" for UDP).
    v = good ^ 0x5a5a
    return v if v not in (0, good) else 0x1234


class Ctx:
    def __init__(self, stack_mac, kernel_mac):
        self.smac, self.kmac = stack_mac, kernel_mac

    def eth(self, payload, type=0x0800, dst=None, src=None):
        return bytes(Ether(dst=dst or self.smac, src=src or self.kmac, type=type)) + payload


# Each builder returns (frames, expected increment of the drop counter).
def c_eth_header_only(c):
    return [c.eth(b"")] * 3, 3


def c_ip_truncated_header(c):
    return [c.eth(ip4(echo())[:12])] * 3, 3


def c_arp_truncated(c):
    arp = bytes(ARP(op=1, hwsrc=c.kmac, psrc=K, pdst=S))
    return [c.eth(arp[:20], type=0x0806, dst=BCAST_MAC)] * 3, 3


def c_arp_bad_hwlen(c):
    arp = bytearray(bytes(ARP(op=1, hwsrc=c.kmac, psrc=K, pdst=S)))
    arp[4] = 8
    return [c.eth(bytes(arp), type=0x0806, dst=BCAST_MAC)] * 3, 3


def c_arp_bad_opcode(c):
    return [c.eth(bytes(ARP(op=3, hwsrc=c.kmac, psrc=K, pdst=S)), type=0x0806,
                  dst=BCAST_MAC)] * 2, 2


def c_ip_version_5(c):
    return [c.eth(ip4(echo(), ver=5))] * 3, 3


def c_ip_version_6(c):
    # EtherType IPv4 but version 6 in the header.
    return [c.eth(ip4(echo(), ver=6))] * 3, 3


def c_ip_ihl_4(c):
    return [c.eth(ip4(echo(), ihl=4))] * 3, 3


def c_ip_ihl_0(c):
    return [c.eth(ip4(echo(), ihl=0))] * 3, 3


def c_ip_ihl_beyond_frame(c):
    # IHL 15 (60 bytes) but the whole IP packet is 20 + 24 = 44 bytes.
    return [c.eth(ip4(echo(), ihl=15, tot_len=60 + 24))] * 3, 3


def c_ip_total_len_below_ihl(c):
    return [c.eth(ip4(echo(), tot_len=19))] * 3, 3


def c_ip_total_len_zero(c):
    return [c.eth(ip4(echo(), tot_len=0))] * 2, 2


def c_ip_total_len_beyond_frame(c):
    return [c.eth(ip4(echo(), tot_len=1000))] * 3, 3


def c_ip_bad_checksum(c):
    good = ip4(echo())
    csum = struct.unpack("!H", good[10:12])[0]
    return [c.eth(ip4(echo(), csum=bad_sum(csum)))] * 3, 3


def c_ip_bad_options(c):
    # Record route (type 7) with length 1: shorter than its own type+length.
    return [c.eth(ip4(echo(), opts=b"\x07\x01\x00\x00"))] * 3, 3


def c_ip_option_overruns_header(c):
    # Timestamp option (type 68) claiming 40 bytes in a 4-byte option area.
    return [c.eth(ip4(echo(), opts=b"\x44\x28\x05\x00"))] * 2, 2


def c_icmp_bad_checksum(c):
    e = bytearray(echo())
    e[2] ^= 0x5a
    return [c.eth(ip4(bytes(e)))] * 3, 3


def c_icmp_truncated(c):
    # 4 bytes of ICMP: shorter than the 8-byte echo header.
    return [c.eth(ip4(echo()[:4]))] * 2, 2


def c_udp_bad_checksum(c):
    u = udp()
    good = struct.unpack("!H", u[6:8])[0]
    return [c.eth(ip4(udp(chksum=bad_sum(good)), proto=17))] * 3, 3


def c_udp_len_beyond_payload(c):
    u = bytearray(udp())
    struct.pack_into("!H", u, 4, 100)
    return [c.eth(ip4(bytes(u), proto=17))] * 3, 3


def c_udp_len_below_header(c):
    u = bytearray(udp())
    struct.pack_into("!H", u, 4, 4)
    return [c.eth(ip4(bytes(u), proto=17))] * 3, 3


def c_udp_truncated_header(c):
    return [c.eth(ip4(udp()[:6], proto=17))] * 2, 2


def frag(payload, off, more, ident, proto=1, **kw):
    return ip4(payload, proto=proto, ident=ident, frag=(MF if more else 0) | (off // 8), **kw)


def c_frag_teardrop(c):
    # The classic teardrop: the last fragment starts inside the first and ends
    # inside it too; any overlap discards the whole datagram (RFC 5722 style).
    frames = []
    for i in range(3):
        data = echo(seq=100 + i, data=b"T" * 40)       # 48 bytes of ICMP
        ident = 0x7d00 + i
        frames.append(c.eth(frag(data[:32], 0, True, ident)))
        frames.append(c.eth(frag(data[8:20], 8, False, ident)))
    return frames, 3


def c_frag_overlap_middle(c):
    # Two non-final fragments, the second inside the first: [0,32) then [8,24).
    frames = []
    for i in range(3):
        data = echo(seq=150 + i, data=b"M" * 56)       # 64 bytes of ICMP
        ident = 0x7d80 + i
        frames.append(c.eth(frag(data[:32], 0, True, ident)))
        frames.append(c.eth(frag(data[8:24], 8, True, ident)))
    return frames, 3


def c_frag_overlap_tail(c):
    # The second fragment overlaps the end of the first and extends past it.
    frames = []
    for i in range(2):
        data = echo(seq=200 + i, data=b"O" * 56)       # 64 bytes of ICMP
        ident = 0x7e00 + i
        frames.append(c.eth(frag(data[:32], 0, True, ident)))
        frames.append(c.eth(frag(data[24:64], 24, False, ident)))
    return frames, 2


def c_frag_beyond_64k(c):
    # One fragment at offset 65512 carrying 100 bytes: ends past 65535.
    return [c.eth(frag(b"X" * 100, 65512, False, 0x7f00 + i)) for i in range(3)], 3


def c_frag_bad_len(c):
    # MF set with 13 bytes of data: fragments other than the last carry multiples of 8.
    return [c.eth(frag(b"Y" * 13, 0, True, 0x7f10 + i)) for i in range(3)], 3


def c_ping_of_death(c):
    # An echo request of 65600 + 8 bytes in 1480-byte fragments: the last one ends at
    # 20 + 65608 > 65535. The fragments before it are fine and sit in the queue.
    data = bytes(ICMP(type=8, id=0xdead, seq=1) / Raw(b"D" * 65600))
    frames = []
    for off in range(0, len(data), 1480):
        chunk = data[off:off + 1480]
        frames.append(c.eth(frag(chunk, off, off + 1480 < len(data), 0xdead)))
    assert len(frames) == 45
    return frames, 1


def c_land_udp(c):
    return [c.eth(ip4(udp(sport=7, dport=7, src=S, dst=S), src=S, dst=S, proto=17))] * 3, 3


def c_land_tcp_syn(c):
    syn = bytes(IP(src=S, dst=S) / TCP(sport=139, dport=139, flags="S", seq=1))[20:]
    return [c.eth(ip4(syn, src=S, dst=S, proto=6))] * 3, 3


def c_lsrr(c):
    # Loose source route via 198.18.0.50 (type 131, length 7, pointer 4) + END.
    opt = bytes([0x83, 7, 4]) + socket.inet_aton("198.18.0.50") + b"\x00"
    return [c.eth(ip4(echo(), opts=opt))] * 3, 3


def c_ssrr(c):
    opt = bytes([0x89, 7, 4]) + socket.inet_aton("198.18.0.50") + b"\x00"
    return [c.eth(ip4(echo(), opts=opt))] * 3, 3


def c_martian_src_loopback(c):
    return [c.eth(ip4(echo(), src="127.0.0.1"))] * 2, 2


def c_martian_src_multicast(c):
    return [c.eth(ip4(echo(), src="224.0.0.5"))] * 2, 2


def c_unknown_proto(c):
    return [c.eth(ip4(b"\x00" * 16, proto=253))] * 2, 2


def c_eth_bad_src(c):
    return [c.eth(ip4(echo()), src="01:00:5e:00:00:01")] * 3, 3


def c_eth_otherhost(c):
    return [c.eth(ip4(echo()), dst="02:00:de:ad:be:ef")] * 3, 3


def c_unknown_ethertype(c):
    return [c.eth(b"\x00" * 46, type=0x88b5)] * 3, 3


def c_echo_to_broadcast(c):
    return [c.eth(ip4(echo(), dst="198.18.0.255"), dst=BCAST_MAC)] * 3, 3


def icmp_error(type_, code, quoted, rest=b"\x00\x00\x00\x00"):
    body = struct.pack("!BBH", type_, code, 0) + rest + quoted
    return body[:2] + struct.pack("!H", checksum(body)) + body[4:]


def c_icmp_source_quench(c):
    # RFC 6633: hosts MUST silently discard source quench. It quotes a datagram the
    # stack could have sent (UDP from the echo port).
    quoted = ip4(udp(sport=7, dport=40000, src=S, dst=K), src=S, dst=K, proto=17)[:28]
    return [c.eth(ip4(icmp_error(4, 0, quoted)))] * 3, 3


def c_icmp_error_about_icmp_error(c):
    # RFC 1122 3.2.2: no ICMP error is sent about an ICMP error, so one that quotes
    # an ICMP error is bogus.
    inner = icmp_error(3, 1, b"\x00" * 28)
    quoted = ip4(inner, src=S, dst=K, proto=1)[:28]
    return [c.eth(ip4(icmp_error(3, 1, quoted)))] * 3, 3


def c_icmp_error_about_broadcast(c):
    # An error about a datagram sent to a broadcast address (RFC 1122 3.2.2).
    quoted = ip4(udp(sport=7, dport=40000, src=S, dst="198.18.0.255"), src=S,
                 dst="198.18.0.255", proto=17)[:28]
    return [c.eth(ip4(icmp_error(3, 3, quoted)))] * 3, 3


def c_icmp_error_short_quote(c):
    # Destination unreachable quoting only 10 bytes: less than an IP header.
    return [c.eth(ip4(icmp_error(3, 3, b"\x45" + b"\x00" * 9)))] * 3, 3


def c_icmp_redirect(c):
    # RFC 1122 3.2.2.2 allows hosts to act on redirects; accept_redirects=0 refuses.
    quoted = ip4(udp(sport=7, dport=40000, src=S, dst="198.18.5.5"), src=S,
                 dst="198.18.5.5", proto=17)[:28]
    return [c.eth(ip4(icmp_error(5, 1, quoted, rest=socket.inet_aton("198.18.0.66"))))] * 2, 2


CASES = [
    ("eth_header_only", c_eth_header_only, "PKT_TOO_SHORT"),
    ("ip_truncated_header", c_ip_truncated_header, "PKT_TOO_SHORT"),
    ("arp_truncated", c_arp_truncated, "PKT_TOO_SHORT"),
    ("arp_bad_hwlen", c_arp_bad_hwlen, "ARP_MALFORMED"),
    ("arp_bad_opcode", c_arp_bad_opcode, "ARP_MALFORMED"),
    ("ip_version_5", c_ip_version_5, "IP_VERSION"),
    ("ip_version_6", c_ip_version_6, "IP_VERSION"),
    ("ip_ihl_4", c_ip_ihl_4, "IP_IHL"),
    ("ip_ihl_0", c_ip_ihl_0, "IP_IHL"),
    ("ip_ihl_beyond_frame", c_ip_ihl_beyond_frame, "PKT_TOO_SHORT"),
    ("ip_total_len_below_ihl", c_ip_total_len_below_ihl, "IP_TOTAL_LEN"),
    ("ip_total_len_zero", c_ip_total_len_zero, "IP_TOTAL_LEN"),
    ("ip_total_len_beyond_frame", c_ip_total_len_beyond_frame, "IP_TOTAL_LEN"),
    ("ip_bad_checksum", c_ip_bad_checksum, "IP_CSUM"),
    ("ip_bad_options", c_ip_bad_options, "IP_BAD_OPTIONS"),
    ("ip_option_overruns_header", c_ip_option_overruns_header, "IP_BAD_OPTIONS"),
    ("icmp_bad_checksum", c_icmp_bad_checksum, "ICMP_CSUM"),
    ("icmp_truncated", c_icmp_truncated, "PKT_TOO_SHORT"),
    ("udp_bad_checksum", c_udp_bad_checksum, "UDP_CSUM"),
    ("udp_len_beyond_payload", c_udp_len_beyond_payload, "UDP_LEN"),
    ("udp_len_below_header", c_udp_len_below_header, "UDP_LEN"),
    ("udp_truncated_header", c_udp_truncated_header, "PKT_TOO_SHORT"),
    ("frag_teardrop", c_frag_teardrop, "IP_FRAG_OVERLAP"),
    ("frag_overlap_middle", c_frag_overlap_middle, "IP_FRAG_OVERLAP"),
    ("frag_overlap_tail", c_frag_overlap_tail, "IP_FRAG_OVERLAP"),
    ("frag_beyond_64k", c_frag_beyond_64k, "IP_FRAG_TOO_BIG"),
    ("frag_bad_len", c_frag_bad_len, "IP_FRAG_BAD_LEN"),
    ("ping_of_death", c_ping_of_death, "IP_FRAG_TOO_BIG"),
    ("land_udp", c_land_udp, "IP_LAND"),
    ("land_tcp_syn", c_land_tcp_syn, "IP_LAND"),
    ("lsrr", c_lsrr, "IP_SRC_ROUTE"),
    ("ssrr", c_ssrr, "IP_SRC_ROUTE"),
    ("martian_src_loopback", c_martian_src_loopback, "IP_MARTIAN_SRC"),
    ("martian_src_multicast", c_martian_src_multicast, "IP_MARTIAN_SRC"),
    ("unknown_proto", c_unknown_proto, "IP_NO_PROTO"),
    ("eth_bad_src", c_eth_bad_src, "ETH_BAD_SRC"),
    ("eth_otherhost", c_eth_otherhost, "ETH_OTHERHOST"),
    ("unknown_ethertype", c_unknown_ethertype, "UNKNOWN_L2PROTO"),
    ("echo_to_broadcast", c_echo_to_broadcast, "ICMP_BCAST_ECHO"),
    # Handed to the transport, which ignores it (RFC 6633): counted, not a drop.
    ("icmp_source_quench", c_icmp_source_quench, "counter:IcmpInSrcQuenchs"),
    ("icmp_error_about_icmp_error", c_icmp_error_about_icmp_error, "ICMP_BOGUS_ERROR"),
    ("icmp_error_about_broadcast", c_icmp_error_about_broadcast, "ICMP_BOGUS_ERROR"),
    ("icmp_error_short_quote", c_icmp_error_short_quote, "ICMP_MALFORMED"),
    ("icmp_redirect", c_icmp_redirect, "ICMP_REDIRECT"),
]


@pytest.fixture(scope="module")
def target(module_env):
    s = module_env.stack()
    s.assert_answers_ping()
    s.ctx = Ctx(s.stack_mac(), s.kernel_mac())
    s.h = s.helper()
    # The tun device's queue towards the stack: room for the floods below, so the
    # kernel drops nothing before the stack sees it (drops would be counted anyway).
    s.ns.ip("link", "set", s.tap, "txqueuelen", "10000")
    return s


def kernel_tx_dropped(s):
    return s.ns.link_stats(s.tap)["tx"]["dropped"]


@pytest.mark.parametrize("name,build,reason", CASES, ids=[c[0] for c in CASES])
def test_malformed(target, name, build, reason):
    frames, expect = build(target.ctx)
    if reason.startswith("counter:"):
        counter = reason.split(":", 1)[1]
        read, wait = target.d.counters, target.d.wait_counter
        key = counter
    else:
        read, wait = target.d.drops, target.d.wait_drop
        key = reason
    before = read()
    assert key in before, f"{key} not in stat -j"
    kdrop = kernel_tx_dropped(target)
    sent = target.h.sendp(target.tap, frames)
    assert sent == len(frames)
    assert kernel_tx_dropped(target) == kdrop, "the kernel dropped frames before the stack"
    wait(key, before[key] + expect)
    target.assert_answers_ping()


def kernel_icmp_in(s, name):
    out = s.ns.exec("nstat", "-az", "--json", name).stdout
    return json.loads(out)["kernel"][name]


def test_bad_option_answered_with_parameter_problem(target):
    # RFC 1122 3.2.2.5: the datagram is dropped (counted above) and its sender hears
    # a parameter problem; the kernel counts it as received.
    s = target
    before = s.d.counters()["IcmpOutParmProbs"]
    kbefore = kernel_icmp_in(s, "IcmpInParmProbs")
    frame = s.ctx.eth(ip4(echo(seq=9), opts=b"\x07\x01\x00\x00"))
    assert s.h.sendp(s.tap, [frame]) == 1
    s.d.wait_counter("IcmpOutParmProbs", before + 1)
    wait_for(lambda: kernel_icmp_in(s, "IcmpInParmProbs") >= kbefore + 1, 5,
             what="the kernel to receive the parameter problem")


def test_ping_of_death_then_real_big_ping(target):
    # After the oversized reassembly was thrown away, a real 65507-byte ping works.
    p = target.kernel_ping(size=65507, count=1)
    assert p.returncode == 0, p.stdout


def test_arp_flood(target):
    s = target
    before = s.d.drops()
    kdrop = kernel_tx_dropped(s)
    sent = s.h.arp_flood(s.tap, requests=3000, gratuitous=1000, seed=7,
                         avoid=[K, S])
    assert sent == 5000
    lost = kernel_tx_dropped(s) - kdrop
    assert lost < sent // 10, f"the kernel dropped {lost} of {sent} frames"
    # Requests for other addresses, gratuitous requests and replies from strangers:
    # none is for us, none may create a neighbour entry.
    s.d.wait_drop("ARP_NOT_FOR_US", before["ARP_NOT_FOR_US"] + sent - lost, timeout=20)
    s.assert_answers_ping()
    # None of the strangers got into the neighbour table.
    entries = s.d.neigh()
    assert len(entries) <= 2, entries
    assert all(e.get("dst") in (K,) for e in entries), entries
