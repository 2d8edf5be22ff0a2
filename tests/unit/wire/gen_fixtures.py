#!/usr/bin/python3
"""Regenerates the byte fixtures pasted into tests/unit/wire/test_*.c.

Run with Debian's /usr/bin/python3 (python3-scapy). Prints one C array per
fixture, each preceded by the scapy expression that built it; the test files
carry the same expression next to the pasted bytes. Addresses are from
198.18.0.0/15 (RFC 2544 benchmarking) only.
"""
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw, raw
from scapy.layers.inet import IPOption_NOP, IPOption_RR, IPOption_LSRR, IPOption_Router_Alert, IPOption_Timestamp

MAC1 = "02:00:00:00:00:01"
MAC2 = "02:00:00:00:00:02"
A1 = "198.18.0.1"
A2 = "198.18.0.2"

FIXTURES = {
    # Ethernet / ARP
    "ETH_ARP_REQUEST": 'Ether(dst="ff:ff:ff:ff:ff:ff", src=MAC1)/ARP(op=1, hwsrc=MAC1, psrc=A1, hwdst="00:00:00:00:00:00", pdst=A2)',
    "ETH_ARP_REPLY": 'Ether(dst=MAC1, src=MAC2)/ARP(op=2, hwsrc=MAC2, psrc=A2, hwdst=MAC1, pdst=A1)',
    # IPv4
    "IP_UDP": 'IP(src=A1, dst=A2, id=0x1c46, flags="DF", ttl=64)/UDP(sport=40000, dport=7)/Raw(b"ping")',
    "IP_OPTS": 'IP(src=A1, dst=A2, id=7, ttl=64, proto=253, options=[IPOption_RR(routers=["0.0.0.0", "0.0.0.0"]), IPOption_Router_Alert()])',
    "IP_LSRR": 'IP(src=A1, dst=A2, id=8, ttl=64, proto=253, options=[IPOption_NOP(), IPOption_LSRR(routers=["198.18.0.3"])])',
    "IP_TS": 'IP(src=A1, dst=A2, id=9, ttl=64, proto=253, options=[IPOption_Timestamp(flg=0, length=8, pointer=9, timestamp=0x01020304)])',
    "IP_FRAG": 'IP(src=A1, dst=A2, id=0x4242, flags="MF", frag=185, ttl=64, proto=1)/Raw(bytes(8))',
    # ICMP
    "ICMP_ECHO": 'IP(src=A1, dst=A2, id=1, flags="DF", ttl=64)/ICMP(type=8, id=1, seq=2)/Raw(bytes(range(56)))',
    "ICMP_PORT_UNREACH": 'IP(src=A2, dst=A1, id=3, ttl=64)/ICMP(type=3, code=3)/IP(src=A1, dst=A2, id=2, ttl=64)/UDP(sport=40000, dport=9)/Raw(b"abcd")',
    "ICMP_ODD": 'ICMP(type=0, id=0x1234, seq=7)/Raw(b"abc")',
    # UDP
    "UDP_PING": 'UDP(sport=40000, dport=7)/Raw(b"ping") over IP(src=A1, dst=A2)',
    # payload 0xd76a is the checksum of the same datagram with payload 0000, so the sum
    # becomes all ones and the computed checksum 0, which is sent as 0xffff
    "UDP_FFFF": 'UDP(sport=40000, dport=7)/Raw(b"\\xd7\\x6a") over IP(src=A1, dst=A2)',
    "UDP_ZERO_CSUM": 'UDP(sport=40000, dport=7, chksum=0)/Raw(b"ping") over IP(src=A1, dst=A2)',
    # TCP
    "TCP_SYN": 'TCP(sport=40000, dport=80, seq=1000, flags="S", window=64240, options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)]) over IP(src=A1, dst=A2)',
    "TCP_SACK": 'TCP(sport=80, dport=40000, seq=5000, ack=2001, flags="PA", window=502, options=[("NOP", None), ("NOP", None), ("Timestamp", (100, 200)), ("NOP", None), ("NOP", None), ("SAck", (3000, 4000, 5000, 6000))])/Raw(b"hello") over IP(src=A2, dst=A1)',
    "TCP_BARE": 'TCP(sport=40000, dport=80, seq=1001, ack=7001, flags="A", window=1024) over IP(src=A1, dst=A2)',
}


def build(expr):
    if " over " in expr:
        l4, ip = expr.split(" over ")
        pkt = eval(ip + "/" + l4)
        return raw(pkt)[20:]
    return raw(eval(expr))


def c_array(name, data):
    out = ["static const uint8_t %s[] = {" % name]
    for i in range(0, len(data), 12):
        out.append("\t" + " ".join("0x%02x," % b for b in data[i:i + 12]))
    out.append("};")
    return "\n".join(out)


def main():
    names = sys.argv[1:] or FIXTURES.keys()
    for n in names:
        print("/* scapy: %s */" % FIXTURES[n])
        print(c_array(n, build(FIXTURES[n])))
        print()


if __name__ == "__main__":
    main()
