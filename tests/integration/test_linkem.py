"""The link emulator, `ustack linkem` (tools/linkem.c): a userspace bridge between
two interfaces that impairs each direction with the seeded engine of
src/dev/impair.h (this kernel has no netem).

Kernel <-> linkem <-> kernel:

    ns A: a0 198.18.4.1/24 ==veth== ea [ns E: linkem ea <-> eb] eb ==veth== b0 198.18.4.2/24 :ns B

a perfect link passes pings and a TCP transfer (the kernel's TSO super-frames are
cut into segments by linkem, partial checksums completed); 30 % loss one way
loses about 30 % of 200 pings, and linkem's own counters account for every
unanswered one; 20 ms of delay each way gives RTTs of at least 40 ms.

ustack <-> linkem <-> kernel:

    [ns E: ustack daemon on TAP tp0 198.18.5.2/24; linkem tp0 <-> ek] ek ==veth== kp 198.18.5.1/24 :ns K

the kernel pings the daemon and exchanges UDP datagrams with its echo service
(port 7) through 5 % loss, 5 % reordering and 20 ms of delay each way (retrying what is lost).

Every namespace, daemon and linkem process is removed at the end, also on failure.
"""
import os
import queue
import re
import signal
import subprocess
import threading
import time

import pytest

import harness
from harness import ping_received, run

STAT_RE = re.compile(r"^linkem (\S+) -> (\S+): (.*)$")


class Linkem:
    """One `ustack linkem` process inside a namespace."""

    def __init__(self, ns, args, ready_timeout=10):
        self.ns = ns
        self.cmd = ["ip", "netns", "exec", ns.name, harness.ustack_bin(), "linkem"] + \
            [str(a) for a in args]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True,
                                     env=harness.sanitizer_env())
        self.lines = []
        self._q = queue.Queue()
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()
        self.stderr = ""
        self.returncode = None
        deadline = time.monotonic() + ready_timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise AssertionError(f"linkem not ready after {ready_timeout}s: {self.cmd}")
            try:
                line = self._q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.kill()
                raise AssertionError(f"linkem exited before ready: {self.cmd}\n"
                                     f"stdout: {''.join(self.lines)}\nstderr: {self.stderr}")
            if line.strip() == "linkem ready":
                return

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            self._q.put(line)
        self._q.put(None)

    def stop(self, timeout=10):
        """SIGTERM; asserts exit 0 and no sanitizer report; returns the counters of each
        direction as {(from, to): {name: value}}."""
        if self.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.returncode = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError("linkem did not exit after SIGTERM") from None
            self.stderr = self.proc.stderr.read()
            self._t.join(timeout=5)
        harness.check_sanitizers(self.stderr, "linkem")
        assert self.returncode == 0, f"linkem exited {self.returncode}: {self.stderr}"
        stats = {}
        for line in self.lines:
            m = STAT_RE.match(line.strip())
            if m:
                words = m.group(3).split()
                stats[(m.group(1), m.group(2))] = {words[i]: int(words[i + 1])
                                                   for i in range(0, len(words), 2)}
        assert len(stats) == 2, f"no statistics from linkem: {''.join(self.lines)}"
        for s in stats.values():
            # The engine's own bookkeeping: what came in left, was lost, or was dropped.
            assert s["out"] + s["lost"] + s["queue_drops"] + s["held"] == \
                s["in"] + s["duplicated"], s
            assert s["sent"] + s["tx_errors"] + s["unsent"] == s["out"], s
            assert s["truncated"] == 0 and s["unsupported"] == 0 and s["nobuf"] == 0, s
        return stats

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self.returncode is None:
            self.returncode = self.proc.returncode
        for f in (self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass


@pytest.fixture
def linkems():
    """Starts linkem processes (linkems(ns, args)); kills leftovers at teardown, before
    the namespaces go (this fixture is finalised before `env`)."""
    started = []

    def start(ns, args):
        lk = Linkem(ns, args)
        started.append(lk)
        return lk
    try:
        yield start
    finally:
        for lk in started:
            lk.kill()


def veth(ns1, if1, ns2, if2):
    run(["ip", "link", "add", if1, "netns", ns1.name, "type", "veth", "peer", "name", if2,
         "netns", ns2.name])
    ns1.ip("link", "set", if1, "up")
    ns2.ip("link", "set", if2, "up")


class KernelPair:
    """ns A (a0 198.18.4.1) and ns B (b0 198.18.4.2), joined through ns E (ea, eb)."""

    def __init__(self, env):
        self.a, self.e, self.b = env.netns(), env.netns(), env.netns()
        veth(self.a, "a0", self.e, "ea")
        veth(self.b, "b0", self.e, "eb")
        self.a.ip("addr", "add", "198.18.4.1/24", "dev", "a0")
        self.b.ip("addr", "add", "198.18.4.2/24", "dev", "b0")

    def ping(self, count, interval=0.01, wait=1, size=56):
        p = self.a.ping("198.18.4.2", count=count, interval=interval, wait=wait, size=size)
        return p, ping_received(p.stdout)


def rtts(out):
    return [float(x) for x in re.findall(r"time=([\d.]+) ms", out)]


def test_perfect_link(env, linkems):
    net = KernelPair(env)
    lk = linkems(net.e, ["--a", "ea", "--b", "eb"])
    p, (sent, got) = net.ping(count=10)
    assert (sent, got) == (10, 10), p.stdout
    # A TCP transfer: the kernel sends TSO super-frames with partial checksums; linkem
    # must cut and complete them, or nothing would arrive intact.
    data = bytes(range(256)) * 4096  # 1 MiB
    path = os.path.join(env.tmpdir(), "received")
    srv = subprocess.Popen(["ip", "netns", "exec", net.b.name, "socat", "-u",
                            "TCP4-LISTEN:8000,reuseaddr", f"CREATE:{path}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        harness.wait_for(lambda: ":8000" in net.b.exec("ss", "-ltn").stdout, 5,
                         what="socat listening")
        net.a.exec("socat", "-u", "STDIN", "TCP4:198.18.4.2:8000", input=data, text=False,
                   timeout=20)
        srv.wait(timeout=20)
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait(timeout=5)
        srv.stderr.close()
    with open(path, "rb") as f:
        assert f.read() == data
    st = lk.stop()
    ab, ba = st[("ea", "eb")], st[("eb", "ea")]
    assert ab["lost"] == 0 and ba["lost"] == 0
    assert ab["sent"] >= 10 + 1024 * 1024 // 1500, ab
    assert ab["segmented"] > 0, ab  # TSO on a0 (veth default)


def test_loss_30_percent(env, linkems):
    net = KernelPair(env)
    lk = linkems(net.e, ["--a", "ea", "--b", "eb", "--ab", "loss=30%", "--seed", "3"])
    p, (sent, got) = net.ping(count=200, interval=0.01, wait=1)
    assert sent == 200, p.stdout
    unanswered = sent - got
    # Binomial(200, 0.3): mean 60, sigma 6.5; +-20 is more than 3 sigma.
    assert 40 <= unanswered <= 80, p.stdout
    st = lk.stop()
    ab, ba = st[("ea", "eb")], st[("eb", "ea")]
    assert ba["lost"] == 0
    # Every unanswered ping is a request linkem dropped; the other frames A sent (ARP)
    # are the only other frames it could have dropped.
    assert unanswered <= ab["lost"] <= unanswered + (ab["in"] - sent), (unanswered, ab)
    assert 0.2 <= ab["lost"] / ab["in"] <= 0.4, ab


def test_delay_20ms_each_way(env, linkems):
    net = KernelPair(env)
    lk = linkems(net.e, ["--a", "ea", "--b", "eb", "--both", "delay=20ms"])
    net.ping(count=1, wait=2)  # ARP first
    p, (sent, got) = net.ping(count=5, interval=0.2, wait=2)
    assert got == 5, p.stdout
    t = rtts(p.stdout)
    assert len(t) == 5 and min(t) >= 40.0, t
    assert min(t) < 80.0, t  # the delay, not something else
    lk.stop()


def test_ustack_through_linkem(env, linkems):
    e, k = env.netns(), env.netns()
    d = env.daemon(["--tap", "tp0", "--addr", "198.18.5.2/24"], ns=e, name=e.name)
    e.ip("link", "set", "tp0", "up")  # the TAP's kernel side: no address, only bridged
    veth(e, "ek", k, "kp")
    k.ip("addr", "add", "198.18.5.1/24", "dev", "kp")
    lk = linkems(e, ["--a", "tp0", "--b", "ek", "--both", "loss=5%,reorder=5%,delay=20ms",
                     "--seed", "11"])

    # 5 ms apart (10 ms in practice) through 20 ms of delay: a few frames are always in
    # flight, so frames picked for reordering really overtake others.
    p = k.ping("198.18.5.2", count=100, interval=0.005, wait=1)
    sent, got = ping_received(p.stdout)
    assert sent == 100 and got >= 75, p.stdout  # about 0.95^2 = 90 % expected

    # UDP echo (RFC 862) from the kernel, each datagram retried until its echo comes.
    h = env.helper(k)
    payloads = [bytes([i]) * (1 + 97 * i) for i in range(12)]  # 1 .. 1068 bytes
    tries = 0
    for pl in payloads:
        for _ in range(20):
            tries += 1
            r = h.udp("198.18.5.2", 7, pl, timeout=0.5)
            if "reply" in r:
                assert r["reply"] == pl
                break
            assert r.get("error") == "timeout", r
        else:
            pytest.fail(f"no echo of {len(pl)} bytes in 20 tries")
    st = lk.stop()
    tap_out, tap_in = st[("tp0", "ek")], st[("ek", "tp0")]
    assert tap_in["lost"] + tap_out["lost"] > 0  # the loss was real, and the reordering
    assert tap_in["reordered"] + tap_out["reordered"] > 0
    assert tap_in["sent"] > 100 and tap_out["sent"] > 80
    # The kernel's UDP over veth and the daemon's over its TAP leave checksums to the
    # device (partial checksums): linkem completed them, or no echo would have come.
    assert tap_in["checksummed"] > 0 and tap_out["checksummed"] > 0
    print(f"linkem: {tries} UDP tries for {len(payloads)} echoes; {st}")
    assert d.counters()["UdpInDatagrams"] >= len(payloads)
