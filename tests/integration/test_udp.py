"""UDP with the kernel: the daemon's echo service on port 7 (RFC 862) driven by
socat, OpenBSD nc and a python socket, payloads round-tripping exactly
(including a datagram that fills the MTU and one that must be fragmented);
ICMP port unreachable for a closed port, seen by the kernel as ECONNREFUSED."""
import os
import random
import select
import subprocess
import time

import pytest

from harness import STACK_ADDR

PAYLOADS = {
    "short": b"hello ustack\n",
    "1472": bytes(random.Random(1472).randrange(256) for _ in range(1472)),
    "4000": bytes(random.Random(4000).randrange(256) for _ in range(4000)),
}


def exchange(ns, cmd, payload, timeout=5.0):
    """Starts @cmd in namespace @ns, writes @payload to its stdin in one write, and
    reads its stdout until len(payload) bytes came back or @timeout passed; then
    kills it. Returns the bytes read."""
    p = subprocess.Popen(["ip", "netns", "exec", ns.name] + cmd, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    got = b""
    try:
        # One write() of at most PIPE_BUF bytes is atomic, so the tool reads the
        # whole payload at once and sends it as one datagram.
        assert len(payload) <= 4096
        os.write(p.stdin.fileno(), payload)
        deadline = time.monotonic() + timeout
        fd = p.stdout.fileno()
        while len(got) < len(payload):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            got += chunk
    finally:
        p.kill()
        p.wait(timeout=5)
        for f in (p.stdin, p.stdout, p.stderr):
            f.close()
    return got


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_udp_echo_socat(stack, name):
    payload = PAYLOADS[name]
    got = exchange(stack.ns, ["socat", "-b", "65536", "-T", "5", "-", f"UDP:{STACK_ADDR}:7"],
                   payload)
    assert got == payload, f"sent {len(payload)} bytes, got {len(got)} back"
    c = stack.d.counters()
    assert c["UdpInDatagrams"] >= 1 and c["UdpOutDatagrams"] >= 1, c


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_udp_echo_nc(stack, name):
    payload = PAYLOADS[name]
    got = exchange(stack.ns, ["nc", "-u", "-w", "5", STACK_ADDR, "7"], payload)
    assert got == payload, f"sent {len(payload)} bytes, got {len(got)} back"


def test_udp_echo_python_socket(stack):
    h = stack.helper()
    for size in (0, 1, 1472, 1473, 4000, 8000):
        payload = bytes(random.Random(size).randrange(256) for _ in range(size))
        r = h.udp(STACK_ADDR, 7, payload, timeout=3)
        assert r.get("reply") == payload, f"size {size}: {r.get('error') or len(r['reply'])}"


def test_udp_port_unreachable(stack):
    h = stack.helper()
    before = stack.d.stat()
    r = h.udp(STACK_ADDR, 9999, b"anyone there?", timeout=3)
    assert r.get("error") == "ECONNREFUSED", r
    after = stack.d.stat()
    assert after["counters"]["UdpNoPorts"] == before["counters"]["UdpNoPorts"] + 1
    assert after["drops"]["UDP_NO_SOCKET"] == before["drops"]["UDP_NO_SOCKET"] + 1
    assert after["counters"]["IcmpOutDestUnreachs"] == \
        before["counters"]["IcmpOutDestUnreachs"] + 1
    # The text form lists the counter, nstat style.
    text = stack.d.cli("stat").stdout
    assert any(line.split()[:1] == ["UdpNoPorts"] for line in text.splitlines()), text

