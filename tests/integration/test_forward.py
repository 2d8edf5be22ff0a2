"""Forwarding between two interfaces of the stack (RFC 1812 5.2 and 5.3).

    H1 (kernel)            R (the daemon)              H2 (kernel)
    ta0 198.18.1.2/24 ---- ta0 198.18.1.1 | tb0 198.18.2.1 ---- tb0 198.18.2.2/24

The daemon creates both TAPs in namespace R; their kernel sides are then moved
into H1 and H2 (the daemon's file descriptors stay valid across the move).
"""
import re

import pytest

from harness import ping_received


class Router:
    def __init__(self, env, forward=True):
        self.r, self.h1, self.h2 = env.netns(), env.netns(), env.netns()
        args = ["--tap", "ta0", "--addr", "198.18.1.1/24", "--tap", "tb0", "--addr", "198.18.2.1/24"]
        if forward:
            args += ["--set", "net.ipv4.ip_forward=1"]
        self.d = env.daemon(args, ns=self.r, name=self.r.name)
        for h, dev, addr, gw in ((self.h1, "ta0", "198.18.1.2/24", "198.18.1.1"),
                                 (self.h2, "tb0", "198.18.2.2/24", "198.18.2.1")):
            self.r.ip("link", "set", dev, "netns", h.name)
            h.ip("addr", "add", addr, "dev", dev)
            h.ip("link", "set", dev, "up")
            h.ip("route", "add", "default", "via", gw)


@pytest.fixture
def router(env):
    return Router(env)


@pytest.mark.parametrize("size", [56, 8000])
def test_h1_pings_h2(router, size):
    p = router.h1.ping("198.18.2.2", size=size, count=3)
    assert ping_received(p.stdout) == (3, 3), p.stdout + p.stderr
    # TTL 64 from H2, decremented once by the stack.
    assert re.search(r"from 198\.18\.2\.2: icmp_seq=1 ttl=63 ", p.stdout), p.stdout
    c = router.d.counters()
    nfrags = -(-(size + 8) // 1480)
    assert c["IpForwDatagrams"] >= 6 * nfrags, c
    p = router.h2.ping("198.18.1.2", count=1)
    assert ping_received(p.stdout) == (1, 1), p.stdout


def test_traceroute(router):
    p = router.h1.exec("traceroute", "-n", "-q", "1", "-N", "1", "-w", "2", "-m", "4",
                       "198.18.2.2", timeout=30, check=False)
    hops = {}
    for line in p.stdout.splitlines():
        m = re.match(r"\s*(\d+)\s+(\S+)", line)
        if m:
            hops[int(m.group(1))] = m.group(2)
    assert hops.get(1) == "198.18.1.1", p.stdout + p.stderr
    assert hops.get(2) == "198.18.2.2", p.stdout + p.stderr
    assert max(hops) == 2, p.stdout
    assert router.d.counters()["IcmpOutTimeExcds"] >= 1


def test_ttl_1_time_exceeded(router):
    before = router.d.stat()
    p = router.h1.ping("198.18.2.2", count=1, ttl=1)
    assert ping_received(p.stdout)[1] == 0, p.stdout
    assert "From 198.18.1.1 icmp_seq=1 Time to live exceeded" in p.stdout, p.stdout
    after = router.d.stat()
    assert after["counters"]["IcmpOutTimeExcds"] == before["counters"]["IcmpOutTimeExcds"] + 1
    assert after["drops"]["IP_TTL_EXPIRED"] == before["drops"]["IP_TTL_EXPIRED"] + 1
    assert after["counters"]["IpForwDatagrams"] == before["counters"]["IpForwDatagrams"]


def test_forwarding_off(router):
    p = router.h1.ping("198.18.2.2", count=1)
    assert ping_received(p.stdout) == (1, 1), p.stdout
    router.d.set("net.ipv4.ip_forward=0")
    before = router.d.stat()
    p = router.h1.ping("198.18.2.2", count=2, wait=1)
    assert ping_received(p.stdout) == (2, 0), p.stdout
    # A host that does not forward drops silently (RFC 1122 3.3.1.1 / Linux: no ICMP).
    assert "From " not in p.stdout, p.stdout
    after = router.d.stat()
    assert after["drops"]["IP_NOT_FOR_US"] >= before["drops"]["IP_NOT_FOR_US"] + 2, \
        (before["drops"], after["drops"])
    assert after["counters"]["IpForwDatagrams"] == before["counters"]["IpForwDatagrams"]
    # The stack itself still answers on both sides.
    assert ping_received(router.h1.ping("198.18.1.1", count=1).stdout) == (1, 1)
    # And turning it back on restores the path.
    router.d.set("net.ipv4.ip_forward=1")
    assert ping_received(router.h1.ping("198.18.2.2", count=1).stdout) == (1, 1)


def test_forwarding_off_per_device(router):
    # Forwarding is decided by the input device: off on ta0 blocks H1 -> H2 only.
    router.d.set("net.ipv4.conf.ta0.forwarding=0")
    before = router.d.stat()
    assert ping_received(router.h1.ping("198.18.2.2", count=1, wait=1).stdout) == (1, 0)
    after = router.d.stat()
    assert after["drops"]["IP_NOT_FOR_US"] >= before["drops"]["IP_NOT_FOR_US"] + 1
    # H2 -> H1 enters on tb0: the request is forwarded, but H1's reply enters on ta0.
    assert ping_received(router.h2.ping("198.18.1.2", count=1, wait=1).stdout) == (1, 0)
    router.d.set("net.ipv4.conf.ta0.forwarding=1")
    assert ping_received(router.h1.ping("198.18.2.2", count=1).stdout) == (1, 1)
