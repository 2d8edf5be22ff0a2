#!/bin/bash
# capture_fixtures.sh - how the CAP_* fixtures in test_{ether,ipv4,icmp,tcp,print}.c
# were captured: a real Linux TCP exchange (SYN, SYN-ACK, ACK, "hello" both ways,
# FIN) and one ping, over the loopback device of a private network namespace,
# written to a pcap by tcpdump. Run as root; prints the frames as C arrays.
#
# Loopback uses CHECKSUM_PARTIAL: the TCP checksum fields of the captured frames
# hold only the pseudo-header sum, which is what tcp_emit(TCP_CSUM_PARTIAL) must
# reproduce byte for byte. Sequence numbers and timestamps differ on every run.
set -u
NS=wirefx$$
OUT=$(mktemp -d)
TD=
cleanup() {
	[ -n "$TD" ] && kill "$TD" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$OUT"
}
trap cleanup EXIT
ip netns add "$NS" || exit 4
ip -n "$NS" link set lo up
ip -n "$NS" addr add 198.18.0.1/24 dev lo
ip -n "$NS" addr add 198.18.0.2/24 dev lo
ip netns exec "$NS" timeout 20 tcpdump -i lo -U -w "$OUT/cap.pcap" 'net 198.18.0.0/24' 2>/dev/null &
TD=$!
sleep 1
ip netns exec "$NS" timeout 10 /usr/bin/python3 - <<'PY'
import socket, threading
srv = socket.socket()
srv.bind(("198.18.0.2", 8080))
srv.listen(1)
def serve():
    c, _ = srv.accept()
    c.sendall(c.recv(100))
    c.close()
t = threading.Thread(target=serve)
t.start()
cl = socket.create_connection(("198.18.0.2", 8080), source_address=("198.18.0.1", 40000))
cl.sendall(b"hello")
cl.recv(100)
cl.close()
t.join()
PY
ip netns exec "$NS" timeout 5 ping -c 1 -s 56 -I 198.18.0.1 198.18.0.2 >/dev/null
sleep 1
kill "$TD"
wait "$TD" 2>/dev/null
TD=
tcpdump -nn -S -r "$OUT/cap.pcap"
/usr/bin/python3 - "$OUT/cap.pcap" <<'PY'
import sys
from scapy.all import rdpcap, raw
for i, p in enumerate(rdpcap(sys.argv[1])):
    b = raw(p)
    print("/* frame %d */" % i)
    print("\n".join("\t" + " ".join("0x%02x," % x for x in b[j:j + 12]) for j in range(0, len(b), 12)))
PY
