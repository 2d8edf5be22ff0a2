#!/usr/bin/python3
"""Writes the seed corpus for fuzz_stack.c (record format: u8 clock step, u16be length, frame).

Run with Debian's python3 (python3-scapy): /usr/bin/python3 tests/fuzz/make_corpus.py
The stack under fuzzing is 198.18.0.2/24 with MAC 02:00:00:00:00:02 on its first device and
198.19.0.1/24 on a second one, with forwarding on, UDP port 7 bound and a ping socket open.
"""
import os
import struct
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw, fragment

STACK_MAC = "02:00:00:00:00:02"
PEER_MAC = "02:00:00:00:00:01"
STACK = "198.18.0.2"
PEER = "198.18.0.1"
FAR = "198.19.0.5"


def eth(pkt, dst=STACK_MAC):
    return bytes(Ether(src=PEER_MAC, dst=dst) / pkt)


def record(frame, step=1):
    return struct.pack("!BH", step, len(frame)) + frame


def write(outdir, name, frames):
    with open(os.path.join(outdir, name + ".bin"), "wb") as f:
        for fr in frames:
            if isinstance(fr, tuple):
                f.write(record(fr[1], fr[0]))
            else:
                f.write(record(fr))


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "stack")
    os.makedirs(outdir, exist_ok=True)
    arp_req = bytes(Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") /
                    ARP(op=1, hwsrc=PEER_MAC, psrc=PEER, pdst=STACK))
    arp_reply = eth(ARP(op=2, hwsrc=PEER_MAC, psrc=PEER, hwdst=STACK_MAC, pdst=STACK))
    write(outdir, "arp_request", [arp_req])
    write(outdir, "arp_reply", [arp_reply])
    write(outdir, "arp_gratuitous", [bytes(Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") /
                                           ARP(op=1, hwsrc=PEER_MAC, psrc=PEER, pdst=PEER))])
    write(outdir, "icmp_echo", [arp_req, eth(IP(src=PEER, dst=STACK) / ICMP(id=1, seq=1) / (b"x" * 56))])
    big = IP(src=PEER, dst=STACK, id=77) / ICMP(id=2, seq=1) / (b"y" * 8000)
    write(outdir, "icmp_echo_fragmented", [arp_req] + [eth(f) for f in fragment(big, fragsize=1480)])
    frags = [eth(f) for f in fragment(big, fragsize=1480)]
    write(outdir, "icmp_echo_fragments_reversed", [arp_req] + frags[::-1])
    write(outdir, "udp_echo", [arp_req, eth(IP(src=PEER, dst=STACK) / UDP(sport=4000, dport=7) / b"hello")])
    write(outdir, "udp_closed_port", [arp_req, eth(IP(src=PEER, dst=STACK) / UDP(sport=4000, dport=9999) / b"x")])
    write(outdir, "udp_broadcast", [eth(IP(src=PEER, dst="198.18.0.255") / UDP(sport=4000, dport=7) / b"b",
                                        dst="ff:ff:ff:ff:ff:ff")])
    write(outdir, "tcp_syn", [arp_req, eth(IP(src=PEER, dst=STACK) / TCP(sport=4000, dport=80, flags="S",
                                                                          options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)]))])
    write(outdir, "forward", [arp_req, eth(IP(src=PEER, dst=FAR, ttl=5) / UDP(sport=1, dport=2) / b"fwd"),
                              (200, eth(IP(src=PEER, dst=FAR, ttl=1) / ICMP()))])
    write(outdir, "teardrop", [eth(IP(src=PEER, dst=STACK, id=9, flags="MF", frag=0, proto=17) / Raw(b"a" * 48)),
                               eth(IP(src=PEER, dst=STACK, id=9, frag=3, proto=17) / Raw(b"b" * 48))])
    pod = [eth(IP(src=PEER, dst=STACK, id=10, flags="MF", frag=o, proto=1) / Raw(b"p" * 1480))
           for o in range(0, 65536 // 8, 185)]
    pod.append(eth(IP(src=PEER, dst=STACK, id=10, frag=8189, proto=1) / Raw(b"p" * 100)))
    write(outdir, "ping_of_death", pod)
    bad = bytearray(eth(IP(src=PEER, dst=STACK) / ICMP()))
    bad[14 + 10] ^= 0xff
    write(outdir, "ip_bad_checksum", [bytes(bad)])
    write(outdir, "ip_options_lsrr", [eth(IP(src=PEER, dst=STACK, options=[b"\x83\x07\x04\xc6\x12\x00\x09"]) / ICMP())])
    icmp_err = IP(src=PEER, dst=STACK) / ICMP(type=3, code=3) / IP(src=STACK, dst=PEER) / UDP(sport=7, dport=4000)
    write(outdir, "icmp_port_unreach", [arp_req, eth(icmp_err)])
    write(outdir, "land", [eth(IP(src=STACK, dst=STACK) / TCP(sport=80, dport=80, flags="S"))])


if __name__ == "__main__":
    main()
