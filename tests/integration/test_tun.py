"""The TUN device (MISSION A2): the daemon on a TUN interface (bare IPv4, no
Ethernet, no ARP), the kernel on the other side of it in the same namespace:

    ns N: kernel tn0 198.18.9.1/24  <== TUN ==>  ustack daemon 198.18.9.2/24

The kernel pings the stack and fetches from its HTTP service with curl (byte-exact),
exchanges UDP datagrams with its echo service, and a capture on the TUN device is a
raw-IP pcap that tcpdump reads. No ARP is ever sent; `ustack link` shows the device
as a TUN without a link-layer address. With and without the virtio-net header."""
import hashlib

import pytest

from harness import ping_received
from streams import stream

STACK = "198.18.9.2"
KERNEL = "198.18.9.1"


@pytest.fixture(params=["vnet", "no-vnet"])
def tun(env, request):
    ns = env.netns()
    args = ["--tun", "tn0", "--addr", STACK + "/24"]
    if request.param == "no-vnet":
        args.append("--no-vnet-hdr")
    d = env.daemon(args, ns=ns, name=ns.name)
    ns.ip("addr", "add", KERNEL + "/24", "dev", "tn0")
    ns.ip("link", "set", "tn0", "up")
    ns.d = d
    return ns


def test_ping_and_link(tun):
    p = tun.ping(STACK, count=3)
    assert ping_received(p.stdout) == (3, 3), p.stdout
    p = tun.ping(STACK, size=4000, count=2)  # fragmented both ways
    assert ping_received(p.stdout) == (2, 2), p.stdout
    links = {l.get("ifname") or l.get("name"): l for l in tun.d.clij("link")}
    assert "tn0" in links
    text = tun.d.cli("link", "show", "tn0").stdout
    assert "tun" in text
    c = tun.d.counters()
    assert c["ArpOutRequests"] == 0 and c["ArpInRequests"] == 0
    assert tun.d.neigh() == []


def test_curl_download(tun):
    n = 5_000_000
    out = tun.exec("sh", "-c", f"curl -sS --max-time 25 http://{STACK}/bytes/{n} | sha256sum",
                   timeout=30).stdout.split()[0]
    assert out == hashlib.sha256(stream(n)).hexdigest()


def test_udp_echo(tun):
    script = ("import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
              "s.settimeout(2); d=bytes(range(256))*4; s.sendto(d,(sys.argv[1],7)); "
              "print(s.recvfrom(4096)[0]==d)")
    assert tun.exec("python3", "-c", script, STACK, timeout=10).stdout.strip() == "True"


def test_capture_is_raw_ip(tun, tmp_path):
    f = tmp_path / "tun.pcap"
    tun.d.cli("capture", "start", "tn0", str(f))
    p = tun.ping(STACK, count=2)
    assert ping_received(p.stdout) == (2, 2)
    tun.d.cli("capture", "stop", "tn0", str(f))
    out = tun.exec("tcpdump", "-n", "-r", str(f), timeout=10).stdout
    assert "ICMP echo request" in out and "ICMP echo reply" in out
    head = tun.exec("tcpdump", "-r", str(f), "-c", "1", timeout=10).stderr
    assert "RAW" in head or "Raw IP" in head, head
