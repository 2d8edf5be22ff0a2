"""ICMP echo between the kernel and the stack: the kernel pings the stack with
sizes that need no fragmentation, exactly fill the MTU, just overflow it, and
need 6 and 45 fragments (65507 is the largest ICMP payload: 65535 - 20 - 8);
the stack pings the kernel with `ustack ping`."""
import re

import pytest

from harness import KERNEL_ADDR, ping_received


@pytest.mark.parametrize("size", [56, 1472, 1473, 8000, 65507])
def test_kernel_pings_stack(stack, size):
    p = stack.kernel_ping(size=size, count=3)
    assert ping_received(p.stdout) == (3, 3), p.stdout + p.stderr
    assert p.returncode == 0
    # iputils prints "<size+8> bytes from ..." for each reply.
    assert len(re.findall(rf"^{size + 8} bytes from {stack.addr}: icmp_seq=\d+ ttl=64",
                          p.stdout, re.M)) == 3, p.stdout
    c = stack.d.counters()
    assert c["IcmpInEchos"] >= 3
    assert c["IcmpOutEchoReps"] >= 3
    if size > 1472:
        # Each request arrived in fragments and each reply left in fragments.
        assert c["IpReasmOKs"] >= 3, c
        assert c["IpFragOKs"] >= 3, c
        nfrags = -(-(size + 8) // 1480)
        assert c["IpReasmReqds"] >= 3 * nfrags, c
        assert c["IpFragCreates"] >= 3 * nfrags, c
    else:
        assert c["IpReasmReqds"] == 0, c
        assert c["IpFragCreates"] == 0, c


@pytest.mark.parametrize("size", [56, 8000])
def test_stack_pings_kernel(stack, size):
    p = stack.d.cli("ping", "-c", "3", "-s", size, "-i", "0.2", "-W", "2", KERNEL_ADDR,
                    check=False, timeout=20)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "3 packets transmitted, 3 received, 0% packet loss" in p.stdout, p.stdout
    lines = re.findall(rf"^{size + 8} bytes from {KERNEL_ADDR}: icmp_seq=(\d+) ttl=64 "
                       r"time=[0-9.]+ ms", p.stdout, re.M)
    assert sorted(int(x) for x in lines) == [1, 2, 3], p.stdout
    c = stack.d.counters()
    assert c["IcmpOutEchos"] >= 3
    assert c["IcmpInEchoReps"] >= 3


def test_stack_ping_json(stack):
    r = stack.d.clij("ping", "-c", "2", "-i", "0.2", "-W", "2", KERNEL_ADDR, timeout=20)
    assert r["transmitted"] == 2 and r["received"] == 2, r
    assert len(r["rtt_ms"]) == 2 and all(x >= 0 for x in r["rtt_ms"]), r


def test_stack_ping_no_answer(stack):
    # Nothing lives at .77: ARP fails, no reply, exit status 1.
    p = stack.d.cli("ping", "-c", "1", "-W", "1", "198.18.0.77", check=False, timeout=20)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "1 packets transmitted, 0 received, 100% packet loss" in p.stdout, p.stdout
