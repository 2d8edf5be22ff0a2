"""Bulk TCP transfers between the Linux kernel (the client) and the daemon's
services, byte-exact by SHA-256, on a clean TAP and through the link emulator.

Clean link (the `svc` topology of test_tcp_services.py: the daemon on tp0 at
198.18.0.2, the kernel at 198.18.0.1):
  - `curl` downloads GET /bytes/N (N = 1 GiB by default);
  - `curl -T -` uploads N bytes by Content-Length (the body is the /bytes/N stream,
    generated here and piped into curl), and `socat` uploads them as a hand-written
    HTTP PUT; the service's {"bytes","sha256"} answer must match;
  - half-close with socat: a file into echo (7), socat shuts its write side, gets the
    whole echo and then the stack's FIN; the same into discard (9); a capture shows
    the stack's FIN acknowledging every byte and our FIN;
  - a reader that pauses: a kernel client with SO_RCVBUF 4096 stops reading for 2 s
    twice during a 20 MB download, so the stack meets a zero window and must probe
    (TcpExtTCPWinProbe moves, the kernel counts TcpExtTCPToZeroWindowAdv).

Impaired link (as test_linkem.py's ustack case):

    [ns E: daemon on TAP tp0 198.18.6.2/24; linkem tp0 <-> ek] ek ==veth== kp 198.18.6.1/24 :ns K

the same download and upload through `ustack linkem --both SPEC` with SPEC =
loss=1%,reorder=1%,dup=1%,delay=1ms and loss=5%,reorder=2%,dup=2%,delay=1ms (both
directions: data and ACKs). After each transfer: linkem lost frames both ways, the
sender's retransmission counter moved (the stack's TcpRetransSegs for downloads,
the kernel's for uploads) and the receiver queued out-of-order data (the kernel's
TcpExtTCPOFOQueue, the stack's), which proves the impairment reached both TCPs.

How the bytes are checked: the download is read by this process from curl's stdout
(curl runs in the namespace; nothing is written to disk), hashed and compared chunk
by chunk with the stream computed here with numpy (stream_at), so a failure names
the first wrong offset instead of only a wrong digest. Upload bodies are generated
by the same function; the expected digest is computed in chunks and cached per size.

Sizes: USTACK_BULK_BYTES (default 1 GiB) for the clean-link transfers,
USTACK_BULK_LOSS1_BYTES (default 256 MiB) and USTACK_BULK_LOSS5_BYTES (default
64 MiB) for the impaired ones, USTACK_BULK_SLOW_BYTES for the paused reader
(default 20 MB). For a quick local run:
USTACK_BULK_BYTES=64000000 USTACK_BULK_LOSS1_BYTES=8000000 USTACK_BULK_LOSS5_BYTES=4000000

Why the impaired transfers are smaller than 1 GiB. Measured on 2026-11-23 with the
ASan+UBSan daemon on this 2-core machine shared with five other builds (load
average ~4), three full runs of the module took 249, 273 and 239 s:
    clean:  download 1 GiB 14-30 s, upload curl 1 GiB 40-56 s, upload socat 1 GiB 43-51 s
    1 % loss (256 MiB): download 45-57 s (4.7-6 MB/s), upload 8-11 s (~33 MB/s)
    5 % loss (64 MiB):  download 32-41 s (1.7-2.1 MB/s), upload 4-9 s
    half-close echo + discard 8-11 s (mostly scapy's import), paused reader 7-8 s.
The stack sending through loss runs at 2-5 MB/s, so a 1 GiB download would take
about 230 s at 1 % and about 600 s at 5 % loss, alone past the module's budget (~3
minutes idle): the impaired cases use 256 MiB and 64 MiB. The kernel sending
(uploads) is fast enough for 1 GiB, but both directions use the same size so the
two TCPs are compared on the same transfer. (The comparison is not like for like:
the stack sends with CUBIC, which backs off on every loss episode - cwnd 9-19
segments at 1 % loss, as `ustack ss -ti` shows - while this machine's kernel
defaults to BBR, which ignores random loss.)

test_receiver_ack_rate guards a bug this module found (fixed): the stack used to
acknowledge once per receive batch, so a bulk receiver sent one ACK per up to
net.core.netdev_budget (300) segments - ACKs advancing by exactly 300 * 1448 =
434400 bytes on a clean TAP. Through loss that starved the kernel sender of SACK
information: it retransmitted ~13 segments per segment linkem lost (kernel to
kernel: ~4). Now a due ACK leaves at the end of each segment's processing.
"""
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import harness
from harness import KERNEL_ADDR, STACK_ADDR, wait_for
from streams import stream_at, stream_chunks, stream_sha256

GiB = 1 << 30
MiB = 1 << 20


def _size(var, default):
    v = os.environ.get(var)
    return int(v) if v else default


BULK = _size("USTACK_BULK_BYTES", GiB)
LOSS1 = _size("USTACK_BULK_LOSS1_BYTES", 256 * MiB)
LOSS5 = _size("USTACK_BULK_LOSS5_BYTES", 64 * MiB)
SLOW = _size("USTACK_BULK_SLOW_BYTES", 20_000_000)

CHUNK = 4 * MiB  # generation / comparison unit (a multiple of 8)

# --------------------------------------------------------------------------- the stream


class StreamChecker:
    """A sink for a download: hashes what comes and compares it with the stream as it
    goes, remembering the first offset that differs."""

    def __init__(self):
        self.h = hashlib.sha256()
        self.n = 0
        self.first_bad = None
        self._ref = b""
        self._ref_off = 0

    def __call__(self, data):
        self.h.update(data)
        if self.first_bad is None:
            pos = 0
            while pos < len(data):
                rel = self.n + pos - self._ref_off
                if rel >= len(self._ref):
                    self._ref_off = self.n + pos - (self.n + pos) % 8
                    self._ref = stream_at(self._ref_off, CHUNK)
                    rel = self.n + pos - self._ref_off
                take = min(len(data) - pos, len(self._ref) - rel)
                if data[pos:pos + take] != self._ref[rel:rel + take]:
                    a = np.frombuffer(data[pos:pos + take], dtype=np.uint8)
                    b = np.frombuffer(self._ref[rel:rel + take], dtype=np.uint8)
                    self.first_bad = self.n + pos + int(np.argmax(a != b))
                    break
                pos += take
        self.n += len(data)

    def hexdigest(self):
        return self.h.hexdigest()


def test_stream_helpers():
    assert stream_at(0, 8) == (0xE220A8397B1DCDAF).to_bytes(8, "little")
    whole = stream_at(0, 3 * CHUNK + 5)
    assert b"".join(stream_chunks(3 * CHUNK + 5)) == whole
    assert stream_at(CHUNK + 8, 100) == whole[CHUNK + 8:CHUNK + 108]
    assert stream_sha256(3 * CHUNK + 5) == hashlib.sha256(whole).hexdigest()
    c = StreamChecker()
    bad = bytearray(whole[:CHUNK + 999])
    bad[CHUNK + 17] ^= 1
    for i in range(0, len(bad), 65536):
        c(bytes(bad[i:i + 65536]))
    assert c.first_bad == CHUNK + 17 and c.n == len(bad)


# ------------------------------------------------------------------ counters and diagnostics


def kernel_counters(ns):
    """The namespace's own SNMP counters (/proc/net/{snmp,netstat} are per netns):
    {"TcpRetransSegs": n, "TcpExtTCPOFOQueue": n, ...} as nstat names them."""
    out = ns.exec("cat", "/proc/net/snmp", "/proc/net/netstat").stdout.splitlines()
    res = {}
    for head, vals in zip(out[0::2], out[1::2]):
        p, names = head.split(":", 1)
        p2, values = vals.split(":", 1)
        assert p == p2, (head, vals)
        for k, v in zip(names.split(), values.split()):
            res[p + k] = int(v)
    return res


def delta(after, before, name):
    return after.get(name, 0) - before.get(name, 0)


def snapshot(d, ns, ports=None):
    """Text for a failure report: the stack's TCP sockets with internals, its TCP
    counters, the kernel's view."""
    parts = []
    for what, f in (("ustack ss -tni", lambda: d.cli("ss", "-tni", timeout=5).stdout),
                    ("kernel ss -tnoi", lambda: ns.exec("ss", "-tnoi", timeout=5).stdout),
                    ("ustack TCP counters", lambda: json.dumps(
                        {k: v for k, v in d.counters().items() if k.startswith("Tcp") and v})),
                    ):
        try:
            parts.append(f"--- {what}\n{f()}")
        except Exception as e:  # noqa: BLE001 - diagnostics only
            parts.append(f"--- {what}: {e!r}")
    return "\n".join(parts)


def no_connections_left(d, timeout=10):
    """Every data connection of the stack is gone or closing (the services closed)."""
    def cond():
        rows = d.clij("ss", "-t")
        return not [r for r in rows if r["state"] in ("ESTAB", "CLOSE-WAIT", "SYN-RECV")]
    wait_for(cond, timeout, interval=0.1, what="no ESTAB/CLOSE-WAIT connection in ustack ss")


# --------------------------------------------------------------------------- streaming subprocesses


def pump(ns, args, *, feed=None, sink=None, timeout, on_timeout=None):
    """Runs @args in namespace @ns with stdin fed from the iterable of bytes @feed (then
    closed) and stdout handed, as it comes, to @sink (or collected when @sink is None).
    Bounded by @timeout seconds; on expiry @on_timeout() (diagnostics text) is called
    before the process is killed. Returns (returncode, stdout bytes or b"", stderr
    text, elapsed seconds)."""
    cmd = ["ip", "netns", "exec", ns.name] + [str(a) for a in args]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if feed is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err, errors = [], [], []

    def writer():
        try:
            for c in feed:
                proc.stdin.write(c)
            proc.stdin.close()
        except (BrokenPipeError, ValueError, OSError) as e:
            errors.append(f"stdin: {e!r}")

    def reader():
        while True:
            c = proc.stdout.read1(1 << 20)
            if not c:
                break
            if sink is None:
                out.append(c)
            else:
                sink(c)

    def ereader():
        err.append(proc.stderr.read())

    threads = [threading.Thread(target=reader, daemon=True),
               threading.Thread(target=ereader, daemon=True)]
    if feed is not None:
        threads.append(threading.Thread(target=writer, daemon=True))
    for t in threads:
        t.start()
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        diag = on_timeout() if on_timeout else ""
        proc.kill()
        proc.wait(timeout=10)
        for t in threads:
            t.join(timeout=5)
        raise AssertionError(f"timed out after {timeout}s: {' '.join(cmd)}\n"
                             f"stderr: {b''.join(err)[-2000:]!r}\n{diag}") from None
    for t in threads:
        t.join(timeout=30)
    for f in (proc.stdin, proc.stdout, proc.stderr):
        if f is not None:
            try:
                f.close()
            except OSError:
                pass
    errtext = b"".join(err).decode(errors="replace") + "".join(errors)
    return rc, b"".join(out), errtext, time.monotonic() - t0


def note(what, seconds, nbytes):
    """Prints a transfer's time (shown with pytest -s)."""
    print(f"\n{what}: {nbytes} bytes in {seconds:.1f}s ({nbytes / seconds / 1e6:.1f} MB/s)")


# Budgets: generous against a loaded 2-core machine under ASan, yet every transfer is bounded.
def budget(nbytes, mbps):
    """Seconds allowed for @nbytes at a floor of @mbps MB/s, plus setup slack."""
    return 30 + nbytes / (mbps * 1e6)


def download(ns, d, url, n, *, timeout, what):
    chk = StreamChecker()
    rc, _, err, el = pump(ns, ["curl", "-sS", "--max-time", str(int(timeout)), "-w",
                               "%{stderr}%{http_code} %{size_download}\n", url],
                          sink=chk, timeout=timeout + 15,
                          on_timeout=lambda: snapshot(d, ns))
    assert rc == 0, f"curl exit {rc}: {err}\nreceived {chk.n} bytes\n{snapshot(d, ns)}"
    assert err.split()[-2:] == ["200", str(n)], err
    assert chk.first_bad is None, f"first wrong byte at offset {chk.first_bad} of {n}"
    assert chk.n == n, f"got {chk.n} bytes of {n}"
    assert chk.hexdigest() == stream_sha256(n)
    note(what, el, n)
    return el


def upload_curl(ns, d, url, n, *, timeout, what):
    # From stdin curl would send chunked; the empty Transfer-Encoding header and an
    # explicit Content-Length make it a Content-Length body (RFC 9112 6.2).
    rc, out, err, el = pump(ns, ["curl", "-sS", "--max-time", str(int(timeout)), "-T", "-",
                                 "-H", f"Content-Length: {n}", "-H", "Transfer-Encoding:",
                                 url],
                            feed=stream_chunks(n), timeout=timeout + 15,
                            on_timeout=lambda: snapshot(d, ns))
    assert rc == 0, f"curl exit {rc}: {err}\n{snapshot(d, ns)}"
    assert json.loads(out) == {"bytes": n, "sha256": stream_sha256(n)}, out
    note(what, el, n)
    return el


def upload_socat(ns, d, addr, n, *, timeout, what):
    head = (f"PUT /socat HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {n}\r\n"
            "Connection: close\r\n\r\n").encode()

    def feed():
        yield head
        yield from stream_chunks(n)
    # -t: after stdin's EOF socat half-closes and waits this long for the answer (the
    # stack may still be reading what the kernel buffered).
    rc, out, err, el = pump(ns, ["socat", "-t", str(int(timeout)), "-",
                                 f"TCP4:{addr}:80"],
                            feed=feed(), timeout=timeout + 15,
                            on_timeout=lambda: snapshot(d, ns))
    assert rc == 0, f"socat exit {rc}: {err}\n{snapshot(d, ns)}"
    head_out, _, body = out.partition(b"\r\n\r\n")
    assert head_out.startswith(b"HTTP/1.1 200 OK\r\n"), out[:500]
    assert json.loads(body) == {"bytes": n, "sha256": stream_sha256(n)}, out[:500]
    note(what, el, n)
    return el


# --------------------------------------------------------------------------- clean link


@pytest.fixture(scope="module")
def svc(module_env):
    return module_env.stack()


URL = f"http://{STACK_ADDR}"


def test_download(svc):
    download(svc.ns, svc.d, f"{URL}/bytes/{BULK}", BULK, timeout=budget(BULK, 4),
             what="download clean")
    no_connections_left(svc.d)


def test_upload_curl(svc):
    upload_curl(svc.ns, svc.d, f"{URL}/upload", BULK, timeout=budget(BULK, 4),
                what="upload curl clean")
    no_connections_left(svc.d)


def test_upload_socat(svc):
    upload_socat(svc.ns, svc.d, STACK_ADDR, BULK, timeout=budget(BULK, 4),
                 what="upload socat clean")
    no_connections_left(svc.d)


def test_receiver_ack_rate(svc):
    """RFC 5681 4.2 / RFC 1122 4.2.3.2: a receiver ACKs at least every second
    full-sized segment (Linux, coalescing with GRO, at least every 64 KiB: 45
    segments). Measured with the stack's own counters over a 16 MB upload."""
    n = 16_000_000
    before = svc.d.counters()
    upload_curl(svc.ns, svc.d, f"{URL}/ack-rate", n, timeout=budget(n, 2),
                what="upload for the ACK rate")
    after = svc.d.counters()
    seg_in = delta(after, before, "TcpInSegs")
    seg_out = delta(after, before, "TcpOutSegs")
    # The TAP hands over GSO super-frames of up to 64 KiB, each one segment to
    # TcpInSegs (as Linux counts an skb): at least n / 64 KiB of them.
    assert seg_in >= n // 65536
    assert seg_in / seg_out <= 45, f"{seg_in} segments in, {seg_out} out"


# --------------------------------------------------------------------------- half-close


class Capture:
    """tcpdump on @dev in @ns into a pcap (headers only), stopped with SIGINT.
    --immediate-mode: without it, frames wait in the capture ring's current block
    until the block times out (1 s), and a SIGINT before that loses them all."""

    def __init__(self, ns, dev, path, filt):
        self.path = path
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns.name, "tcpdump", "-i", dev,
                                      "-n", "-Z", "root", "-s", "128", "-B", "8192", "-U",
                                      "--immediate-mode", "-w", path, filt],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        # tcpdump says "listening on" once the capture is open.
        line = self.proc.stderr.readline()
        assert "listening on" in line, line

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc.stderr.close()


def tcp_segments(path):
    from scapy.all import IP, TCP, rdpcap  # noqa: PLC0415 - slow import, only here
    segs = []
    for pkt in rdpcap(path):
        if IP in pkt and TCP in pkt:
            ip, tcp = pkt[IP], pkt[TCP]
            segs.append((ip.src, tcp.sport, ip.dst, tcp.dport, str(tcp.flags), tcp.seq,
                         tcp.ack, ip.len - 4 * ip.ihl - 4 * tcp.dataofs))
    return segs


@pytest.mark.parametrize("port", [7, 9], ids=["echo", "discard"])
def test_half_close(svc, env, port):
    n = 4_000_000
    data = stream_at(0, n)
    pcap = os.path.join(env.tmpdir(), "half.pcap")
    cap = Capture(svc.ns, svc.tap, pcap, f"tcp port {port}")
    try:
        # socat: at stdin's EOF it shuts its write side (shutdown SHUT_WR) and goes on
        # reading until the stack's FIN (or -t seconds, which must not be needed).
        t0 = time.monotonic()
        p = svc.ns.exec("socat", "-t", "30", "-", f"TCP4:{STACK_ADDR}:{port}", input=data,
                        text=False, timeout=60)
        el = time.monotonic() - t0
    finally:
        time.sleep(0.3)  # the last ACK into the capture
        cap.stop()
    assert p.returncode == 0, p.stderr
    if port == 7:
        assert len(p.stdout) == n and p.stdout == data
    else:
        assert p.stdout == b""
    assert el < 25, f"socat took {el:.1f}s: it waited for its -t timeout, not for a FIN"

    segs = tcp_segments(pcap)
    k = [s for s in segs if s[0] == KERNEL_ADDR]
    s = [s for s in segs if s[0] == STACK_ADDR]
    syn = next(x for x in k if x[4] == "S")
    synack = next(x for x in s if x[4] == "SA")
    kisn, sisn = syn[5], synack[5]
    kfin = [x for x in k if "F" in x[4]]
    sfin = [x for x in s if "F" in x[4]]
    assert kfin and sfin, (kfin, sfin)
    # The kernel's FIN comes after all its data; the stack's FIN after all its echo,
    # and it acknowledges every byte and the kernel's FIN.
    # (A FIN may carry the last data: its sequence number is that of its first byte.)
    assert (kfin[0][5] + kfin[0][7] - kisn - 1) % (1 << 32) == n, (kfin[0], kisn)
    echoed = n if port == 7 else 0
    assert (sfin[0][5] + sfin[0][7] - sisn - 1) % (1 << 32) == echoed, (sfin[0], sisn)
    assert (sfin[0][6] - kisn - 1) % (1 << 32) == n + 1, (sfin[0], kisn)
    # Nothing new from the stack after its FIN: only the FIN again (a tail-loss probe
    # or RTO may repeat the last data with it, when a slow round let the timer fire
    # before the ACK was read), pure ACKs, and - should the kernel's duplicate ACK of
    # such a repeat arrive once the connection is gone - the reset RFC 9293 3.10.7.1
    # asks for, at the FIN's end. The kernel never resets.
    last = s.index(sfin[0])
    fin_end = (sfin[0][5] + sfin[0][7] + 1) % (1 << 32)
    for x in s[last + 1:]:
        if "R" in x[4]:
            assert x[5] == fin_end, (x, fin_end)
            acked = [y for y in segs[:segs.index(x)] if y[0] == KERNEL_ADDR and y[6] == fin_end]
            assert acked, f"the stack reset before its FIN was acknowledged: {x}"
        else:
            assert x[7] == 0 or ("F" in x[4] and (x[5] + x[7] + 1) % (1 << 32) == fin_end), x
    assert not [x for x in k if "R" in x[4]], "the kernel reset a clean half-close"
    note(f"half-close {port}", el, n)


# --------------------------------------------------------------------------- the paused reader

SLOW_CLIENT = r"""
import hashlib, json, socket, sys, time
host, path, n, bufsz = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
pauses = [int(x) for x in sys.argv[5].split(",")]  # byte offsets at which to stop reading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, bufsz)  # before connect: the window
s.settimeout(30)
s.connect((host, 80))
s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
buf = b""
while b"\r\n\r\n" not in buf:
    c = s.recv(4096)
    if not c:
        break
    buf += c
head, _, body = buf.partition(b"\r\n\r\n")
h = hashlib.sha256(body)
got = len(body)
t0 = time.monotonic()
while True:
    if pauses and got >= pauses[0]:
        pauses.pop(0)
        time.sleep(2)
    c = s.recv(4096)
    if not c:
        break
    h.update(c)
    got += len(c)
print(json.dumps({"status": head.split(b"\r\n")[0].decode(), "bytes": got,
                  "sha256": h.hexdigest(), "seconds": time.monotonic() - t0,
                  "rcvbuf": s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)}))
"""


def test_paused_reader_zero_window(svc):
    n = SLOW
    before, kbefore = svc.d.counters(), kernel_counters(svc.ns)
    rc, out, err, el = pump(svc.ns, [harness.PYTHON, "-c", SLOW_CLIENT, STACK_ADDR,
                                     f"/bytes/{n}", n, 4096, f"{n // 4},{n // 2}"],
                            timeout=budget(n, 0.5) + 4,
                            on_timeout=lambda: snapshot(svc.d, svc.ns))
    assert rc == 0, f"client exit {rc}: {err}\n{snapshot(svc.d, svc.ns)}"
    r = json.loads(out)
    assert r["status"] == "HTTP/1.1 200 OK", r
    assert r["bytes"] == n and r["sha256"] == stream_sha256(n), r
    after, kafter = svc.d.counters(), kernel_counters(svc.ns)
    # The kernel closed its window (the paused reader's buffer filled) ...
    assert delta(kafter, kbefore, "TcpExtTCPToZeroWindowAdv") > 0, kafter
    # ... and the stack probed it (RFC 9293 3.8.6.1) rather than waiting.
    assert delta(after, before, "TcpExtTCPWinProbe") > 0, \
        {k: v for k, v in after.items() if k.startswith("TcpExt") and v}
    note("paused reader", el, n)
    no_connections_left(svc.d)


# --------------------------------------------------------------------------- impaired link

IMP_STACK, IMP_KERNEL = "198.18.6.2", "198.18.6.1"


class Impaired:
    """ns E: the daemon on tp0 (198.18.6.2), bridged by linkem to veth ek; ns K: kp
    (198.18.6.1), the kernel's end. linkem is started per test with its spec."""

    def __init__(self, env):
        from test_linkem import veth  # noqa: PLC0415 - the helper of the linkem tests
        self.e, self.k = env.netns(), env.netns()
        self.d = env.daemon(["--tap", "tp0", "--addr", f"{IMP_STACK}/24"], ns=self.e,
                            name=self.e.name)
        self.e.ip("link", "set", "tp0", "up")  # the TAP's kernel side: only bridged
        veth(self.e, "ek", self.k, "kp")
        self.k.ip("addr", "add", f"{IMP_KERNEL}/24", "dev", "kp")


@pytest.fixture(scope="module")
def imp(module_env):
    return Impaired(module_env)


@pytest.fixture
def linkem(imp):
    from test_linkem import Linkem  # noqa: PLC0415
    started = []

    def start(spec, seed):
        lk = Linkem(imp.e, ["--a", "tp0", "--b", "ek", "--both", spec, "--seed", seed])
        started.append(lk)
        return lk
    try:
        yield start
    finally:
        for lk in started:
            lk.kill()


SPECS = {
    "loss1": ("loss=1%,reorder=1%,dup=1%,delay=1ms", 1, LOSS1),
    "loss5": ("loss=5%,reorder=2%,dup=2%,delay=1ms", 5, LOSS5),
}


def impaired_run(imp, linkem, case, direction):
    spec, seed, n = SPECS[case]
    lk = linkem(spec, seed)
    # ARP through the impaired link first (a lost ARP would only cost a retry).
    wait_for(lambda: imp.k.ping(IMP_STACK, count=1, wait=1).returncode == 0, 15, interval=0,
             what="a ping through linkem")
    before, kbefore = imp.d.counters(), kernel_counters(imp.k)
    url = f"http://{IMP_STACK}"
    if direction == "download":
        download(imp.k, imp.d, f"{url}/bytes/{n}", n, timeout=budget(n, 0.5),
                 what=f"download {case}")
    else:
        upload_curl(imp.k, imp.d, f"{url}/upload", n, timeout=budget(n, 0.5),
                    what=f"upload {case}")
    after, kafter = imp.d.counters(), kernel_counters(imp.k)
    st = lk.stop()
    to_k, to_s = st[("tp0", "ek")], st[("ek", "tp0")]
    print(f"linkem {case} {direction}: stack->kernel {to_k}\n  kernel->stack {to_s}")
    # The data direction carries thousands of frames: it surely lost some. The ACK
    # direction may carry only a few hundred (the stack ACKs rarely, see the
    # docstring), so for small sizes only the totals are checked.
    data_dir = to_k if direction == "download" else to_s
    assert data_dir["lost"] > 0, st
    assert to_k["duplicated"] + to_s["duplicated"] > 0, st
    assert to_k["reordered"] + to_s["reordered"] > 0, st
    ours = {k: delta(after, before, k) for k in (
        "TcpRetransSegs", "TcpExtTCPOFOQueue", "TcpExtTCPSACKRecovery", "TcpExtTCPTimeouts",
        "TcpExtTCPLossProbes", "TcpExtTCPDSACKRecv", "TcpExtTCPDSACKOldSent")}
    theirs = {k: delta(kafter, kbefore, k) for k in (  # Linux spells it TCPSackRecovery
        "TcpRetransSegs", "TcpExtTCPOFOQueue", "TcpExtTCPSackRecovery", "TcpExtTCPTimeouts",
        "TcpExtTCPDSACKRecv", "TcpExtTCPDSACKOldSent")}
    print(f"counters moved: stack {ours}\n  kernel {theirs}")
    if direction == "download":
        assert ours["TcpRetransSegs"] > 0, ours
        assert theirs["TcpExtTCPOFOQueue"] > 0, theirs
    else:
        assert theirs["TcpRetransSegs"] > 0, theirs
        assert ours["TcpExtTCPOFOQueue"] > 0, ours
    no_connections_left(imp.d)


@pytest.mark.parametrize("case", ["loss1", "loss5"])
@pytest.mark.parametrize("direction", ["download", "upload"])
def test_impaired(imp, linkem, case, direction):
    impaired_run(imp, linkem, case, direction)


if __name__ == "__main__":
    sys.exit("test_tcp_bulk.py is a pytest module")
