"""The daemon's TCP services with the kernel as the client: curl downloads
/bytes/10000000 from the HTTP service (length and SHA-256 checked against the
stream's definition, computed here), uploads 10 MB with `curl -T` (by
Content-Length, and chunked from stdin) and checks the digest the service
returns; keep-alive and HTTP/1.0; a malformed request gets 400; `nc` round-trips
data through echo (7), fills discard (9) and reads the RFC 864 pattern from
chargen (19); a connection to a closed port is refused (the kernel sees the
stack's RST); `ustack ss` lists the listeners and an open connection, with -i
internals and -j JSON, and the kernel's own `ss` agrees.

One daemon serves the whole module (the services keep no state between
connections), so the module runs in well under a minute."""
import hashlib
import json
import random
import re
import subprocess

import pytest

from harness import KERNEL_ADDR, STACK_ADDR, wait_for
from streams import stream

URL = f"http://{STACK_ADDR}"


def chargen(n):
    """The RFC 864 pattern chargen sends: 72 of the 95 printable characters a line,
    each line starting one further round the ring, CR LF after each."""
    ring = bytes(range(32, 127))
    out = bytearray()
    line = 0
    while len(out) < n:
        out += bytes(ring[(line + c) % 95] for c in range(72)) + b"\r\n"
        line += 1
    return bytes(out[:n])


@pytest.fixture(scope="module")
def svc(module_env):
    return module_env.stack()


def curl(svc, *args, timeout=30, check=True, text=True):
    return svc.ns.exec("curl", "-sS", "--max-time", str(timeout - 5), *args, timeout=timeout,
                       check=check, text=text)


def test_stream_definition():
    # The first word is SplitMix64's first output from state 0, as the C unit test says.
    assert stream(8) == (0xE220A8397B1DCDAF).to_bytes(8, "little")
    assert stream(20)[5:13] == stream(13)[5:13]


def test_http_index(svc):
    p = curl(svc, "-i", URL + "/")
    assert p.stdout.startswith("HTTP/1.1 200 OK\n")  # text mode: CR LF read as LF
    assert "ustack HTTP service" in p.stdout


def test_http_download_10mb(svc, tmp_path):
    n = 10_000_000
    out = tmp_path / "bytes.bin"
    p = curl(svc, "-o", out, "-w", "%{http_code} %{size_download}", f"{URL}/bytes/{n}")
    assert p.stdout.split() == ["200", str(n)]
    got = out.read_bytes()
    assert len(got) == n
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(stream(n)).hexdigest()


def tap_stats(svc):
    for link in svc.d.clij("link"):
        if link["ifname"] == svc.tap:
            return link["stats"]
    raise AssertionError(f"no {svc.tap} in ustack link -j")


def test_http_upload_10mb(svc, tmp_path):
    data = random.Random(10).randbytes(10_000_000)
    f = tmp_path / "up.bin"
    f.write_bytes(data)
    gso_before = tap_stats(svc)["rx_gso_frames"]
    p = curl(svc, "-T", f, URL + "/upload")
    assert json.loads(p.stdout) == {"bytes": len(data),
                                    "sha256": hashlib.sha256(data).hexdigest()}
    # TUN_F_TSO4 is negotiated: the kernel hands its TCP super-frames over whole.
    assert tap_stats(svc)["rx_gso_frames"] > gso_before


def test_http_upload_chunked(svc, tmp_path):
    # From stdin curl does not know the length: Transfer-Encoding: chunked.
    data = random.Random(11).randbytes(1_500_000)
    p = svc.ns.exec("curl", "-sS", "--max-time", "20", "-T", "-", "-H", "Expect:",
                    URL + "/chunked", input=data, text=False, timeout=25)
    assert json.loads(p.stdout) == {"bytes": len(data),
                                    "sha256": hashlib.sha256(data).hexdigest()}


def test_http_keepalive_and_1_0(svc):
    # Two requests in one curl run reuse the connection (num_connects 1 then 0).
    p = curl(svc, "-o", "/dev/null", "-o", "/dev/null", "-w", "%{num_connects} ",
             f"{URL}/bytes/1000", f"{URL}/bytes/2000")
    assert p.stdout.split() == ["1", "0"]
    p = curl(svc, "--http1.0", "-i", f"{URL}/bytes/16", text=False)
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    assert b"Connection: close" in head and b"Content-Length: 16" in head
    assert body == stream(16)


def nc(svc, port, data=b"", extra=(), timeout=15):
    """OpenBSD nc to the stack: sends @data, shuts its side (-N), returns what came back."""
    return svc.ns.exec("nc", "-N", "-w", "5", *extra, STACK_ADDR, str(port), input=data,
                       text=False, timeout=timeout)


def test_http_malformed(svc):
    p = nc(svc, 80, b"GET / HTTP/1.1\r\nHost : x\r\n\r\n")
    assert p.stdout.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Connection: close" in p.stdout
    p = nc(svc, 80, b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n")
    assert p.stdout.startswith(b"HTTP/1.1 501 Not Implemented\r\n")
    # Pipelined: both answered in order on one connection.
    p = nc(svc, 80, b"GET /bytes/5 HTTP/1.1\r\nHost: x\r\n\r\n"
                    b"GET /bytes/3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    parts = p.stdout.split(b"HTTP/1.1 200 OK\r\n")
    assert len(parts) == 3 and parts[1].endswith(stream(5)) and parts[2].endswith(stream(3))


def test_echo(svc):
    data = random.Random(7).randbytes(300_000)
    p = nc(svc, 7, data)
    assert p.returncode == 0
    assert p.stdout == data


def test_discard(svc):
    p = nc(svc, 9, random.Random(9).randbytes(1_000_000))
    assert p.returncode == 0
    assert p.stdout == b""


def test_chargen(svc):
    n = 200_000
    p = svc.ns.exec("sh", "-c", f"nc -d {STACK_ADDR} 19 | head -c {n}", text=False,
                    timeout=15)
    assert p.stdout == chargen(n)


def test_closed_port_refused(svc):
    before = svc.d.counters()["TcpOutRsts"]
    p = curl(svc, f"http://{STACK_ADDR}:81/", check=False)
    assert p.returncode == 7, p.stderr  # CURLE_COULDNT_CONNECT
    p = svc.ns.exec("nc", "-zv", "-w", "5", STACK_ADDR, "81", check=False)
    assert p.returncode == 1
    assert "Connection refused" in p.stderr, p.stderr  # ECONNREFUSED from connect()
    assert svc.d.counters()["TcpOutRsts"] >= before + 2


def test_ss(svc):
    # A connection that stays open while we look: nc to echo with its stdin held open.
    proc = subprocess.Popen(["ip", "netns", "exec", svc.ns.name, "nc", STACK_ADDR, "7"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        proc.stdin.write(b"ping\n")
        proc.stdin.flush()
        assert proc.stdout.read(5) == b"ping\n"

        def estab():
            rows = svc.d.clij("ss", "-t")
            return [r for r in rows if r["state"] == "ESTAB" and r["lport"] == 7]
        rows = wait_for(estab, 5, what="ESTAB on port 7 in ustack ss -t")
        r = rows[0]
        assert r["netid"] == "tcp" and r["local"] == STACK_ADDR and r["peer"] == KERNEL_ADDR
        kport = r["pport"]
        # The kernel sees the same connection from its side.
        k = svc.ns.exec("ss", "-Htn", "state", "established").stdout
        assert re.search(rf"{KERNEL_ADDR}:{kport}\s+{STACK_ADDR}:7\b", k), k

        text = svc.d.cli("ss", "-tni").stdout
        lines = text.splitlines()
        assert lines[0].split()[:3] == ["State", "Recv-Q", "Send-Q"]
        i = next(i for i, l in enumerate(lines)
                 if l.startswith("ESTAB") and f"{KERNEL_ADDR}:{kport}" in l)
        info = lines[i + 1]
        for key in ("rto:", "rtt:", "mss:", "cwnd:", "bytes_acked:", "bytes_received:"):
            assert key in info, info
        assert "cubic" in info

        rows = svc.d.clij("ss", "-ti")
        r = next(r for r in rows if r["pport"] == kport)
        assert r["info"]["cc"] == "cubic" and r["info"]["mss"] > 0
        assert r["info"]["bytes_received"] >= 5 and r["info"]["bytes_acked"] >= 5

        listen = svc.d.cli("ss", "-tln").stdout
        for port in (7, 9, 19, 80):
            assert re.search(rf"^LISTEN\s.*0\.0\.0\.0:{port}\s", listen, re.M), listen
        assert "ESTAB" not in listen
        alls = svc.d.cli("ss", "-tuna").stdout
        assert alls.splitlines()[0].startswith("Netid")
        assert re.search(r"^udp\s+UNCONN\s.*0\.0\.0\.0:7\s", alls, re.M), alls
        assert re.search(r"^tcp\s+ESTAB\s", alls, re.M), alls
        assert svc.d.cli("ss", "-x", check=False).returncode == 2
    finally:
        proc.kill()
        proc.wait(timeout=5)
    # After the kernel's side closed, the connection leaves ESTAB.
    wait_for(lambda: not [r for r in svc.d.clij("ss", "-t") if r["pport"] == kport
                          and r["state"] == "ESTAB"], 5, what="the connection to close")
