"""The stack as a TCP client (`ustack tcp connect`, src/ctl/tcpc.c) with the kernel
as the server, over the TAP of one daemon (198.18.0.2) and its namespace's kernel
(198.18.0.1):

  - a closed kernel port: ECONNREFUSED (exit 1, "error":"ECONNREFUSED"), and the
    kernel's RST shows in the stack's counters (TcpAttemptFails, TcpInSegs);
  - 200 MB sent to a kernel receiver, whose SHA-256 equals the /bytes/N stream's
    (computed here in chunks, as test_tcp_services.py defines the stream);
  - 200 MB downloaded from a kernel sender, hash checked by the stack;
  - half-close: --send --shutdown --recv to a kernel echo that echoes until EOF and
    then closes: everything comes back, then the FIN;
  - keepalive: probes (ACKs with seq = SND.NXT - 1 and at most 1 byte) seen in a
    capture on the kernel side, each answered, ~1 s apart after ~1 s idle; and,
    with the kernel's answers dropped (iptables), the stack gives up after 3
    probes with ETIMEDOUT about 4 s after the connection went idle;
  - --write-size 64 (the benchmark's small writes): the bytes are exact;
  - --bind ADDR:PORT, --cc, --nodelay, and `get net.ipv4.tcp_congestion_control`.

The kernel side of each case is a small Python server (PEER below) started in the
namespace; every process, capture and iptables rule is removed also on failure,
and the namespace and daemon by the module_env fixture.
"""
import json
import os
import queue
import signal
import subprocess
import threading
import time

import pytest

import harness
from harness import KERNEL_ADDR, PYTHON, STACK_ADDR
from streams import stream_sha256

BIG = 200_000_000

# The kernel side: listens on KERNEL_ADDR:PORT, says "ready", serves one connection:
#   sink           read until EOF, then close; report bytes and SHA-256
#   source N       send N bytes of the /bytes/N stream, shut down, read until EOF
#   echo           send back everything until EOF, then close
#   hold           read until EOF (report bytes), then close
PEER = r'''
import hashlib, json, os, socket, sys
sys.path.insert(0, os.environ["USTACK_TESTS_DIR"])
from streams import stream_at as stream

mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((addr, port))
ls.listen(1)
ls.settimeout(60)
print("ready", flush=True)
c, peer = ls.accept()
c.settimeout(60)
print(json.dumps({"accepted": list(peer)}), flush=True)
n, h = 0, hashlib.sha256()
if mode == "source":
    total = int(sys.argv[4])
    off = 0
    while off < total:
        k = min(1 << 22, total - off)
        c.sendall(stream(off, k))
        off += k
    c.shutdown(socket.SHUT_WR)
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    n += len(b)
    if mode != "hold":
        h.update(b)
    if mode == "echo":
        c.sendall(b)
c.close()
print(json.dumps({"bytes": n, "sha256": h.hexdigest()}), flush=True)
'''


_BIG_SHA = []


def big_sha256():
    if not _BIG_SHA:
        _BIG_SHA.append(stream_sha256(BIG))
    return _BIG_SHA[0]


class Proc:
    """A process in the kernel namespace whose stdout lines are read by a thread."""

    def __init__(self, ns, args, ready=None, ready_timeout=10):
        self.cmd = ["ip", "netns", "exec", ns.name] + [str(a) for a in args]
        # The peer imports streams.py from this folder.
        env = dict(os.environ, USTACK_TESTS_DIR=os.path.dirname(os.path.abspath(__file__)))
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True, env=env)
        self.lines = queue.Queue()
        self.err = []
        threading.Thread(target=self._read, args=(self.proc.stdout, self.lines.put),
                         daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, self.err.append),
                         daemon=True).start()
        if ready:
            self.expect(ready, ready_timeout)

    @staticmethod
    def _read(f, put):
        for line in f:
            put(line)
        put(None)

    def line(self, timeout):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.cmd}: no output in {timeout}s; "
                                 f"stderr {''.join(x for x in self.err if x)}") from None
        if line is None:
            raise AssertionError(f"{self.cmd}: exited ({self.proc.poll()}); "
                                 f"stderr {''.join(x for x in self.err if x)}")
        return line

    def expect(self, text, timeout):
        deadline = time.monotonic() + timeout
        while True:
            line = self.line(max(0.1, deadline - time.monotonic()))
            if text in line:
                return line

    def json_line(self, key, timeout):
        return json.loads(self.expect(f'"{key}"', timeout))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@pytest.fixture(scope="module")
def client(module_env):
    return module_env.stack()


@pytest.fixture
def procs():
    """Starts kernel-side processes; stops every one of them at the end."""
    started = []

    def start(ns, args, **kw):
        p = Proc(ns, args, **kw)
        started.append(p)
        return p
    try:
        yield start
    finally:
        for p in started:
            p.stop()


_ports = iter(range(5001, 6000))


def peer(procs, client, mode, *extra):
    port = next(_ports)
    p = procs(client.ns, [PYTHON, "-c", PEER, mode, KERNEL_ADDR, port] + list(extra),
              ready="ready")
    return p, port


def tcp(client, *args, timeout=120, check=False):
    """`ustack -j tcp connect ...`: (exit status, the JSON report)."""
    p = client.d.cli("tcp", "connect", *[str(a) for a in args], json_out=True, check=False,
                     timeout=timeout)
    try:
        rep = json.loads(p.stdout)
    except ValueError:
        raise AssertionError(f"tcp connect {args}: exit {p.returncode}, no JSON: "
                             f"{p.stdout!r} {p.stderr!r}") from None
    if check:
        assert p.returncode == 0, (p.returncode, rep, p.stderr)
    return p.returncode, rep


def test_refused(client):
    before = client.d.counters()
    # Text: the error line on stderr, the end on stdout, exit 1.
    p = client.d.cli("tcp", "connect", KERNEL_ADDR, "5000", check=False)
    assert p.returncode == 1
    assert p.stderr == "connect: Connection refused\n"
    assert p.stdout == "closed: reset\n"
    rc, rep = tcp(client, KERNEL_ADDR, 5000)
    assert rc == 1
    assert rep["error"] == "ECONNREFUSED" and rep["error_op"] == "connect"
    assert rep["close"] == "reset" and rep["connect_ms"] is None
    assert rep["remote"] == f"{KERNEL_ADDR}:5000"
    assert rep["local"].startswith(f"{STACK_ADDR}:")
    after = client.d.counters()
    # Each kernel RST took a connection from SYN-SENT to CLOSED (RFC 9293 3.10.7.3).
    assert after["TcpActiveOpens"] == before["TcpActiveOpens"] + 2
    assert after["TcpAttemptFails"] == before["TcpAttemptFails"] + 2
    assert after["TcpInSegs"] >= before["TcpInSegs"] + 2


def test_send_200mb(client, procs):
    k, port = peer(procs, client, "sink")
    rc, rep = tcp(client, KERNEL_ADDR, port, "--send", BIG, check=True)
    got = k.json_line("sha256", 30)
    assert got["bytes"] == BIG
    assert got["sha256"] == big_sha256()
    assert rep["sent"] == BIG and rep["sent_sha256"] == big_sha256()
    assert rep["error"] is None and rep["close"] == "fin"
    assert rep["send_seconds"] > 0 and rep["send_mbit_s"] > 0
    info = rep["tcp_info"]
    assert info["bytes_acked"] >= BIG and info["mss"] == 1448 and info["cc"] == "cubic"


def test_download_200mb(client, procs):
    k, port = peer(procs, client, "source", BIG)
    rc, rep = tcp(client, KERNEL_ADDR, port, "--recv", check=True)
    assert rep["received"] == BIG
    assert rep["received_sha256"] == big_sha256()
    assert rep["close"] == "fin" and rep["recv_seconds"] > 0
    assert rep["sent"] == 0
    assert k.json_line("sha256", 30)["bytes"] == 0


def test_half_close_echo(client, procs):
    n = 20_000_000
    k, port = peer(procs, client, "echo")
    p = client.d.cli("tcp", "connect", KERNEL_ADDR, port, "--send", n, "--shutdown", "--recv",
                     check=False, timeout=120)
    assert p.returncode == 0, (p.stdout, p.stderr)
    lines = p.stdout.splitlines()
    want = stream_sha256(n)
    assert lines[0].startswith(f"connected {STACK_ADDR}:")
    assert f" -> {KERNEL_ADDR}:{port} in " in lines[0]
    assert lines[1].startswith(f"sent {n} bytes in ")
    assert lines[2].startswith(f"received {n} bytes sha256 {want} in ")
    assert lines[3:] == ["closed: fin"]
    got = k.json_line("sha256", 30)
    assert got == {"bytes": n, "sha256": want}


def test_small_writes(client, procs):
    n = 3_000_000
    k, port = peer(procs, client, "sink")
    rc, rep = tcp(client, KERNEL_ADDR, port, "--send", n, "--write-size", 64, check=True)
    got = k.json_line("sha256", 30)
    assert got == {"bytes": n, "sha256": stream_sha256(n)}
    assert rep["sent"] == n and rep["sent_sha256"] == got["sha256"]


def test_options(client, procs):
    # --bind picks the local port; --cc and --nodelay are per connection.
    assert client.d.cli("get", "net.ipv4.tcp_congestion_control").stdout == \
        "net.ipv4.tcp_congestion_control = cubic\n"
    k, port = peer(procs, client, "sink")
    rc, rep = tcp(client, KERNEL_ADDR, port, "--send", 100000, "--cc", "reno", "--nodelay",
                  "--bind", f"{STACK_ADDR}:4444", check=True)
    assert rep["local"] == f"{STACK_ADDR}:4444"
    assert rep["tcp_info"]["cc"] == "reno"
    assert k.json_line("accepted", 10)["accepted"] == [STACK_ADDR, 4444]
    assert k.json_line("sha256", 10) == {"bytes": 100000, "sha256": stream_sha256(100000)}


def capture(procs, client, port, path):
    # --immediate-mode: no libpcap buffer timeout (1 s by default) between the wire and
    # the file, so what happened just before we stop is in it.
    return procs(client.ns, ["tcpdump", "-i", client.tap, "--immediate-mode", "-U", "-n",
                             "-s", "128", "-w", path, "tcp", "port", str(port)])


def wait_capture_ready(cap, timeout=10):
    deadline = time.monotonic() + timeout
    while not any(x and "listening on" in x for x in cap.err):
        assert time.monotonic() < deadline, f"tcpdump did not start: {cap.err}"
        assert cap.proc.poll() is None, f"tcpdump exited: {cap.err}"
        time.sleep(0.05)


def read_capture(cap, path):
    from scapy.all import IP, TCP, rdpcap  # noqa: PLC0415 - slow import, only here
    time.sleep(0.3)
    cap.stop()
    out = []
    for pkt in rdpcap(str(path)):
        if IP in pkt and TCP in pkt:
            out.append((float(pkt.time), pkt[IP].src, pkt[TCP], len(pkt[TCP].payload)))
    return out


def keepalive_probes(segs):
    """The stack's keepalive probes: ACKs without SYN/FIN/RST whose sequence number is
    SND.NXT - 1 (one below the highest the stack has sent) with 0 or 1 byte."""
    nxt, probes = None, []
    for i, (t, src, th, plen) in enumerate(segs):
        if src != STACK_ADDR:
            continue
        end = th.seq + plen + (1 if th.flags & 0x03 else 0)  # SYN, FIN count
        if nxt is not None and (th.flags & 0x17) == 0x10 and plen <= 1 and \
                th.seq == (nxt - 1) % (1 << 32):
            probes.append((i, t, th))
            continue
        if nxt is None or ((end - nxt) % (1 << 32)) < (1 << 31):
            nxt = end % (1 << 32)
    return probes


def test_keepalive_probes(client, procs, tmp_path):
    k, port = peer(procs, client, "hold")
    path = tmp_path / "ka.pcap"
    cap = capture(procs, client, port, path)
    wait_capture_ready(cap)
    rc, rep = tcp(client, KERNEL_ADDR, port, "--keepalive", "1,1,3", "--hold", 5, check=True)
    assert rep["close"] == "fin" and rep["error"] is None
    segs = read_capture(cap, path)
    probes = keepalive_probes(segs)
    assert len(probes) >= 3, [(round(t, 3), s, str(th.flags), th.seq, pl)
                              for t, s, th, pl in segs]
    # Each probe answered by the kernel: an ACK from it before the next probe.
    for n, (i, t, th) in enumerate(probes):
        nxt_t = probes[n + 1][1] if n + 1 < len(probes) else float("inf")
        assert any(src == KERNEL_ADDR and (kth.flags & 0x10) and t <= kt < nxt_t
                   for kt, src, kth, _ in segs[i + 1:]), f"probe {n} unanswered"
    # The first after ~1 s of idle (from the last segment before it), then ~1 s apart.
    idle_from = max(t for t, src, th, pl in segs[:probes[0][0]])
    assert 0.8 <= probes[0][1] - idle_from <= 1.6, probes[0][1] - idle_from
    for a, b in zip(probes, probes[1:]):
        assert 0.8 <= b[1] - a[1] <= 1.6, b[1] - a[1]
    assert k.json_line("bytes", 10)["bytes"] == 0


def test_keepalive_gives_up(client, procs, tmp_path):
    k, port = peer(procs, client, "hold")
    path = tmp_path / "ka2.pcap"
    cap = capture(procs, client, port, path)
    wait_capture_ready(cap)
    rule = ["INPUT", "-p", "tcp", "--dport", str(port), "-j", "DROP"]
    cmd = [harness.ustack_bin(), "-n", client.d.name, "-j", "tcp", "connect", KERNEL_ADDR,
           str(port), "--keepalive", "1,1,3", "--hold", "20"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=client.d.env)
    try:
        k.expect("accepted", 10)
        # From now on the kernel hears nothing from the stack (and so answers nothing).
        client.ns.exec("iptables", "-A", *rule)
        t0 = time.monotonic()
        out, err = proc.communicate(timeout=20)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        client.ns.exec("iptables", "-D", *rule, check=False)
    harness.check_sanitizers(err, "ustack tcp connect")
    assert proc.returncode == 1, (out, err)
    rep = json.loads(out)
    assert rep["error"] == "ETIMEDOUT" and rep["close"] == "timeout"
    assert not rep["timed_out"]
    # Idle 1 s, then 3 unanswered probes 1 s apart, and the 4th second ends it.
    assert 3.0 <= took <= 6.0, took
    segs = read_capture(cap, path)
    probes = keepalive_probes(segs)
    assert len(probes) == 3, [(round(t, 3), s, str(th.flags), th.seq, pl)
                              for t, s, th, pl in segs]
    for a, b in zip(probes, probes[1:]):
        assert 0.8 <= b[1] - a[1] <= 1.6, b[1] - a[1]
    # The stack reset the connection when it gave up (Linux does the same).
    assert any(src == STACK_ADDR and th.flags & 0x04 for t, src, th, _ in segs[probes[-1][0]:]), \
        [(round(t, 3), s, str(th.flags), th.seq, pl) for t, s, th, pl in segs[-4:]]
