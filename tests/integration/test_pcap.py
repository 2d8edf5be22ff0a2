"""pcap in -> pcap out: the daemon on the pcap-file device (no TAP, no namespace),
its virtual clock driven by the input's timestamps. The same input gives the
same output byte for byte, and the output holds the answers we expect.

The input is built with scapy: an ARP request for the stack, ICMP echo requests
(small and fragmented), UDP to the echo port and to a closed port, and a few
malformed frames, 10 ms apart.
"""
import os

from scapy.all import (ARP, ICMP, IP, UDP, Ether, Raw, defragment, fragment, rdpcap,
                       wrpcap)

from scapy.layers.inet import UDPerror

from harness import unique_name, pcap_run

STACK = "198.18.0.2"
PEER = "198.18.0.1"
PEER_MAC = "02:00:00:00:00:01"
BCAST = "ff:ff:ff:ff:ff:ff"
T0 = 1700000000.0
ECHO_ID = 0x5151
BIG = bytes(i % 251 for i in range(3000))


def arp_request():
    return Ether(dst=BCAST, src=PEER_MAC) / ARP(op=1, hwsrc=PEER_MAC, psrc=PEER, pdst=STACK)


def build_input(stack_mac):
    frames = [arp_request()]
    eth = Ether(dst=stack_mac, src=PEER_MAC)
    frames.append(eth / IP(src=PEER, dst=STACK, id=1) / ICMP(id=ECHO_ID, seq=1) / Raw(b"A" * 56))
    frames.append(eth / IP(src=PEER, dst=STACK, id=2) / ICMP(id=ECHO_ID, seq=2) / Raw(b"B" * 56))
    big = IP(src=PEER, dst=STACK, id=3) / ICMP(id=ECHO_ID, seq=3) / Raw(BIG)
    frames += [eth / f for f in fragment(big, fragsize=1480)]
    frames.append(eth / IP(src=PEER, dst=STACK, id=4) / UDP(sport=40000, dport=7) /
                  Raw(b"echo me, please"))
    frames.append(eth / IP(src=PEER, dst=STACK, id=5) / UDP(sport=40001, dport=9) /
                  Raw(b"nobody home"))
    # Malformed: bad IP checksum, IHL 4, truncated IP header, a 10-byte frame, bad UDP
    # checksum.
    frames.append(eth / IP(src=PEER, dst=STACK, id=6, chksum=0x1111) / ICMP(seq=9))
    bad_ihl = bytearray(bytes(IP(src=PEER, dst=STACK, id=7) / ICMP(seq=10)))
    bad_ihl[0] = 0x44
    frames.append(eth / Raw(bytes(bad_ihl)))
    frames.append(Ether(dst=stack_mac, src=PEER_MAC, type=0x0800) / Raw(b"\x45\x00\x00"))
    # A record shorter than an Ethernet header (a TAP never delivers one; a file can).
    frames.append(Raw(bytes(Ether(dst=stack_mac, src=PEER_MAC))[:10]))
    frames.append(eth / IP(src=PEER, dst=STACK, id=8) / UDP(sport=40002, dport=7, chksum=0x2222) /
                  Raw(b"bad sum"))
    # One more echo at the end: the stack is still alive after the malformed ones.
    frames.append(eth / IP(src=PEER, dst=STACK, id=9) / ICMP(id=ECHO_ID, seq=4) / Raw(b"C" * 8))
    for i, f in enumerate(frames):
        f.time = T0 + 0.01 * i
    return frames


def run_pcap(tmp, inp, out):
    name = unique_name("pc")
    pcap_run(name, ["--pcap-in", inp, "--pcap-out", out, "--addr", f"{STACK}/24"], rundir=tmp,
             timeout=60)
    assert os.path.exists(out), "no output pcap written"
    with open(out, "rb") as f:
        return f.read()


def stack_mac_from_arp(tmp):
    """Runs the stack on just an ARP request and reads its MAC from the reply."""
    inp, out = os.path.join(tmp, "arp-in.pcap"), os.path.join(tmp, "arp-out.pcap")
    f = arp_request()
    f.time = T0
    wrpcap(inp, [f])
    run_pcap(tmp, inp, out)
    replies = [p for p in rdpcap(out) if p.haslayer(ARP) and p[ARP].op == 2]
    assert replies, "no ARP reply to the ARP request for the stack"
    assert replies[0][ARP].psrc == STACK and replies[0][ARP].pdst == PEER
    assert replies[0][ARP].hwdst.lower() == PEER_MAC
    assert replies[0][Ether].dst.lower() == PEER_MAC
    return replies[0][ARP].hwsrc.lower()


def test_pcap_deterministic(env):
    tmp = env.tmpdir()
    mac = stack_mac_from_arp(tmp)
    inp = os.path.join(tmp, "in.pcap")
    wrpcap(inp, build_input(mac))
    out1 = run_pcap(tmp, inp, os.path.join(tmp, "out1.pcap"))
    out2 = run_pcap(tmp, inp, os.path.join(tmp, "out2.pcap"))
    assert out1 == out2, "two runs on the same input gave different output pcaps"

    pkts = rdpcap(os.path.join(tmp, "out1.pcap"))
    assert all(p[Ether].src.lower() == mac for p in pkts), "frame sent with a foreign source MAC"
    # Output records carry the stack's virtual time, which starts at the first input
    # record and follows the input's pacing (dev_pcap.c).
    times = [float(p.time) for p in pkts]
    assert times == sorted(times), times

    arp = [p for p in pkts if p.haslayer(ARP) and p[ARP].op == 2 and p[ARP].pdst == PEER]
    assert len(arp) == 1, [p.summary() for p in pkts]

    ip_pkts = defragment([p for p in pkts if p.haslayer(IP)])
    replies = {p[ICMP].seq: p for p in ip_pkts
               if p.haslayer(ICMP) and p[ICMP].type == 0 and p[ICMP].id == ECHO_ID}
    assert sorted(replies) == [1, 2, 3, 4], [p.summary() for p in pkts]
    assert bytes(replies[1][ICMP].payload) == b"A" * 56
    assert bytes(replies[3][ICMP].payload) == BIG
    for p in replies.values():
        assert p[IP].src == STACK and p[IP].dst == PEER and p[Ether].dst.lower() == PEER_MAC
    # The last request is input record n-1, 10 ms apart: its reply is stamped then.
    n_in = len(build_input(mac))
    t_last = float(replies[4].time) - times[0]
    assert abs(t_last - 0.01 * (n_in - 1)) < 0.005, (t_last, n_in)

    # The 3008-byte reply left in fragments (MTU 1500).
    frags = [p for p in pkts if p.haslayer(IP) and (p[IP].flags.MF or p[IP].frag)]
    assert len(frags) == 3, [p.summary() for p in frags]

    echo = [p for p in ip_pkts if p.haslayer(UDP) and p[UDP].sport == 7]
    assert len(echo) == 1, [p.summary() for p in pkts]
    assert echo[0][UDP].dport == 40000 and echo[0][UDP][Raw].load == b"echo me, please"

    unreach = [p for p in ip_pkts if p.haslayer(ICMP) and p[ICMP].type == 3]
    assert len(unreach) == 1, [p.summary() for p in pkts]
    assert unreach[0][ICMP].code == 3
    # RFC 792 / RFC 1812 4.3.2.3: the error quotes the offending header and 8+ bytes.
    quoted = unreach[0][ICMP].payload
    assert quoted.haslayer(UDPerror), quoted.summary()
    assert quoted[UDPerror].dport == 9 and quoted[UDPerror].sport == 40001

    # Nothing answered the malformed frames (no reply to id 6..8, no echo of "bad sum").
    assert not any(p.haslayer(UDP) and p[UDP].dport == 40002 for p in ip_pkts)
    assert not any(p.haslayer(ICMP) and p[ICMP].type == 0 and p[ICMP].seq in (9, 10)
                   for p in ip_pkts)
