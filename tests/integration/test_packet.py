"""The AF_PACKET device (MISSION A3): the daemon drives one end of a veth pair
through a packet socket (TPACKET_V3 receive ring, sendmmsg), the kernel is on the
other end:

    ns P: veth pa (no kernel address; the stack's 198.18.10.2/24, pa's own MAC)
              ==veth==
    ns K: veth pb 198.18.10.1/24

The kernel pings the stack, downloads from and uploads to its HTTP service with curl
(byte-exact; the kernel's TCP hands the veth GSO super-frames with partial
checksums, which the stack takes whole: the device counts them), and exchanges UDP
datagrams with its echo service. The stack answers ARP with the interface's MAC.
Frames the stack sends are not read back by its own socket."""
import hashlib
import json
import random

import pytest

from harness import ping_received
from streams import stream

STACK = "198.18.10.2"
KERNEL = "198.18.10.1"


@pytest.fixture
def pk(env):
    p, k = env.netns(), env.netns()
    p.ip("link", "add", "pa", "type", "veth", "peer", "name", "pb", "netns", k.name)
    k.ip("addr", "add", KERNEL + "/24", "dev", "pb")
    k.ip("link", "set", "pb", "up")
    d = env.daemon(["--packet", "pa", "--addr", STACK + "/24"], ns=p, name=p.name)
    k.d, k.p = d, p
    return k


def dev_stats(k):
    for l in k.d.clij("link"):
        if (l.get("ifname") or l.get("name")) == "pa":
            return l
    raise AssertionError("no pa in ustack link -j")


def test_ping_arp_and_mac(pk):
    p = pk.ping(STACK, count=4, interval=0.2)
    assert ping_received(p.stdout) == (4, 4), p.stdout
    p = pk.ping(STACK, size=5000, count=2)  # fragments both ways
    assert ping_received(p.stdout) == (2, 2), p.stdout
    # The kernel learned the stack's address at pa's own MAC.
    neigh = pk.ipj("neigh", "show", "dev", "pb")
    assert [n["lladdr"] for n in neigh if n["dst"] == STACK] == [pk.p.mac("pa")]
    text = pk.d.cli("link", "show", "pa").stdout
    assert "kind packet" in text


def test_curl_both_ways(pk):
    n = 30_000_000
    got = pk.exec("sh", "-c", f"curl -sS --max-time 40 http://{STACK}/bytes/{n} | sha256sum",
                  timeout=45).stdout.split()[0]
    assert got == hashlib.sha256(stream(n)).hexdigest()
    data = random.Random(5).randbytes(20_000_000)
    out = pk.exec("curl", "-sS", "--max-time", "40", "-T", "-", "-H", "Expect:",
                  f"http://{STACK}/up", input=data, text=False, timeout=45).stdout
    assert json.loads(out) == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    s = dev_stats(pk)["stats"]
    # The kernel's TCP sends super-frames over the veth: taken whole, never truncated.
    assert s["rx_gso_frames"] > 0
    assert s["rx_errors"] == 0
    assert pk.d.drops()["DEV_RX_ERROR"] == 0


def test_udp_echo(pk):
    script = ("import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
              "s.settimeout(2); ok=0\n"
              "for i in range(20):\n"
              "    d=bytes([i])*(100+i*300); s.sendto(d,(sys.argv[1],7)); ok+=s.recvfrom(9000)[0]==d\n"
              "print(ok)")
    assert pk.exec("python3", "-c", script, STACK, timeout=30).stdout.strip() == "20"
