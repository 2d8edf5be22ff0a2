"""Path-MTU discovery (RFC 1191, MISSION B7) against kernel routers:

    ns S: ustack daemon on TAP tp0 198.18.6.2/24, default via 198.18.6.1
          kernel side tp0 198.18.6.1/24 (router R1), veth r1 198.18.7.1/24 MTU 1280
    ns M: veth r2 198.18.7.2/24 MTU 1280 (router R2), veth m1 198.18.8.1/24 MTU 1500
    ns F: veth f1 198.18.8.2/24 MTU 1500, default via 198.18.8.1

F's own link is 1500 bytes, so its SYN offers MSS 1460 and the stack's first full
segments (DF, 1500 bytes) are refused by R1 with "fragmentation needed, MTU 1280".
The stack must learn that (its path MTU cache, `ustack route get` / `route show
cache`), shrink the connection's segments and finish the transfer; the next
connection starts from the learned MTU; datagrams are fragmented to fit it; the
entry expires after net.ipv4.route.mtu_expires."""
import hashlib
import re
import time

import pytest

from harness import wait_for
from streams import stream

STACK = "198.18.6.2"
FAR = "198.18.8.2"


class Path:
    def __init__(self, env):
        self.s, self.m, self.f = env.netns(), env.netns(), env.netns()
        self.d = env.daemon(["--tap", "tp0", "--addr", STACK + "/24", "--gateway", "198.18.6.1"],
                            ns=self.s, name=self.s.name)
        s, m, f = self.s, self.m, self.f
        s.ip("addr", "add", "198.18.6.1/24", "dev", "tp0")
        s.ip("link", "set", "tp0", "up")
        s.ip("link", "add", "r1", "mtu", "1280", "type", "veth", "peer", "name", "r2",
             "mtu", "1280", "netns", m.name)
        m.ip("link", "add", "m1", "type", "veth", "peer", "name", "f1", "netns", f.name)
        for ns, dev, addr in ((s, "r1", "198.18.7.1/24"), (m, "r2", "198.18.7.2/24"),
                              (m, "m1", "198.18.8.1/24"), (f, "f1", FAR + "/24")):
            ns.ip("addr", "add", addr, "dev", dev)
            ns.ip("link", "set", dev, "up")
        s.ip("route", "add", "198.18.8.0/24", "via", "198.18.7.2")
        m.ip("route", "add", "198.18.6.0/24", "via", "198.18.7.1")
        f.ip("route", "add", "default", "via", "198.18.8.1")
        for ns in (s, m):
            ns.exec("sysctl", "-qw", "net.ipv4.ip_forward=1")
        # The whole path works for small packets first (ARP on every hop).
        wait_for(lambda: f.ping(STACK, count=1, wait=1).returncode == 0, 10,
                 what="F to ping the stack through both routers")

    def route_get(self):
        return self.d.cli("route", "get", FAR).stdout

    def curl(self, n, timeout=60):
        return self.f.exec("sh", "-c",
                           f"curl -sS --max-time {timeout - 5} http://{STACK}/bytes/{n} | sha256sum",
                           timeout=timeout).stdout.split()[0]


@pytest.fixture
def path(env):
    return Path(env)


def learned_mtu(text):
    m = re.search(r"cache expires (\d+)sec mtu (?:lock )?(\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def test_tcp_learns_the_path_mtu(path):
    assert learned_mtu(path.route_get()) is None
    before = path.d.counters()["IcmpInDestUnreachs"]
    n = 3_000_000
    assert path.curl(n) == hashlib.sha256(stream(n)).hexdigest()
    # R1's fragmentation-needed reached the stack and went into the cache.
    assert path.d.counters()["IcmpInDestUnreachs"] > before
    expires, mtu = learned_mtu(path.route_get())
    assert mtu == 1280 and 590 <= expires <= 600
    cache = path.d.clij("route", "show", "cache")
    assert [(c["dst"], c["cache_mtu"], c["cache_mtu_lock"]) for c in cache] == [(FAR, 1280, False)]
    # The next connection starts from the learned MTU: no new refusal is needed.
    unreach = path.d.counters()["IcmpInDestUnreachs"]
    assert path.curl(n) == hashlib.sha256(stream(n)).hexdigest()
    assert path.d.counters()["IcmpInDestUnreachs"] == unreach


UDP_CLIENT = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
data = bytes((i * 7 + 3) & 0xff for i in range(1400))
for attempt in range(6):
    s.sendto(data, (sys.argv[1], 7))
    try:
        got, _ = s.recvfrom(4096)
    except socket.timeout:
        continue
    print("ok" if got == data else "differs", attempt)
    break
else:
    print("lost")
"""


def test_datagrams_are_fragmented_to_the_learned_mtu(path):
    # A 1428-byte echo each way: F learns from R2, the stack from R1 (its first reply
    # went with DF, as it fitted the route); each side then fragments, so a retry
    # gets through and comes back whole.
    out = path.f.exec("python3", "-c", UDP_CLIENT, STACK, timeout=20).stdout.split()
    assert out[0] == "ok", out
    assert learned_mtu(path.route_get())[1] == 1280
    frag = path.d.counters()
    assert frag["IpFragCreates"] >= 2
    # And once it is known, a datagram goes through at the first try.
    out = path.f.exec("python3", "-c", UDP_CLIENT, STACK, timeout=20).stdout.split()
    assert out == ["ok", "0"]


def test_learned_mtu_expires(path):
    path.d.set("net.ipv4.route.mtu_expires=2")
    n = 200_000
    assert path.curl(n) == hashlib.sha256(stream(n)).hexdigest()
    assert learned_mtu(path.route_get())[1] == 1280
    time.sleep(2.2)
    assert learned_mtu(path.route_get()) is None
    assert path.d.clij("route", "show", "cache") == []


ECHO_CLIENT = r"""
import socket, subprocess, sys, time
s = socket.create_connection((sys.argv[1], 7), timeout=10)
s.sendall(b"x" * 10)
got = b""
while len(got) < 10:
    got += s.recv(100)
# Now the path MTU is learned by other traffic (the datagram client), while this
# connection still thinks 1500 bytes fit.
print(subprocess.run([sys.executable, "-c", sys.argv[2], sys.argv[1]], capture_output=True,
                     text=True).stdout.strip())
data = bytes((i * 31 + 1) & 0xff for i in range(300_000))
s.sendall(data)
got = b""
deadline = time.time() + 20
while len(got) < len(data) and time.time() < deadline:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    if not chunk:
        break
    got += chunk
print("echo", "ok" if got == data else f"short {len(got)}")
"""


def test_open_connection_follows_a_path_learned_elsewhere(path):
    out = path.f.exec("python3", "-c", ECHO_CLIENT, STACK, UDP_CLIENT, timeout=40).stdout
    assert out.split()[0] == "ok", out
    assert "echo ok" in out, out
