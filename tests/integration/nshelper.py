"""nshelper.py - runs inside a test's network namespace (`ip netns exec NS python3
nshelper.py`) and does what the tests ask on stdin, one JSON object per line,
answering one JSON object per line on stdout:

  {"op": "hello"}                                   -> {"ok": true}
  {"op": "sendp", "iface": I, "frames": [hex...]}   -> {"sent": N}   (scapy sendp, bytes exact)
  {"op": "arp_flood", "iface": I, "requests": N, "gratuitous": M, "seed": S,
   "net": "198.18.0", "avoid": [".."]}              -> {"sent": N + 2*M}
  {"op": "udp", "dst": A, "port": P, "payload": hex, "timeout": T, "connect": B}
                                                    -> {"reply": hex} | {"error": "ECONNREFUSED"|...}
  {"op": "tcp_connect", "dst": A, "port": P, "timeout": T}
                                                    -> {"id": N, "lport": P}  (kernel socket, kept)
  {"op": "tcp_echo", "id": N, "payload": hex, "timeout": T, "sniff": S}
                                                    -> {"reply": hex, "pkts": [...], "error"?}
  {"op": "tcp_send", "id": N, "payload": hex}       -> {"ok": true}
  {"op": "tcp_close", "id": N}                      -> {"ok": true}
  {"op": "inject", "iface": I, "frames": [hex...], "sniff": S, "wait": W}
                                                    -> {"sent": N, "send_s": secs, "pkts": [...]}

A sniff spec S is {"iface": I, "host": A, "port": P}: the TCP segments from or to
A:P seen on I while the op runs (and @wait seconds after the frames went, for
inject) are returned as dicts (see seg_dict), captured with a raw AF_PACKET
socket, so nothing is missed while scapy would still be starting a sniffer.

Importing scapy costs about half a second, so one helper serves a whole module.
"""
import errno
import json
import random
import socket
import struct
import sys
import time

from scapy.all import Raw, conf, sendp  # noqa: E402

conf.verb = 0


def op_sendp(req):
    frames = [Raw(load=bytes.fromhex(h)) for h in req["frames"]]
    sendp(frames, iface=req["iface"], verbose=0)
    return {"sent": len(frames)}


def rand_mac(rng):
    # Locally administered unicast: bit 1 of the first byte set, bit 0 clear.
    b = bytearray(rng.randrange(256) for _ in range(6))
    b[0] = (b[0] & 0xFC) | 0x02
    return bytes(b)


BCAST = b"\xff" * 6


def arp_frame(op, sha, spa, tha, tpa):
    """Ethernet broadcast + ARP (RFC 826) for IPv4 over Ethernet, packed by hand:
    building thousands of scapy packets would take seconds."""
    return (BCAST + sha + b"\x08\x06" +
            struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + sha + socket.inet_aton(spa) +
            tha + socket.inet_aton(tpa))


def op_arp_flood(req):
    """Requests for other addresses from random senders, then gratuitous ARP
    requests and replies (sender == target) from random senders. Bounded by
    the counts asked for (at most 20000 frames)."""
    rng = random.Random(req.get("seed", 1))
    net = req.get("net", "198.18.0")
    avoid = set(req.get("avoid", []))
    n_req = min(int(req.get("requests", 0)), 10000)
    n_grat = min(int(req.get("gratuitous", 0)), 5000)

    def rand_ip():
        for _ in range(100):
            ip = f"{net}.{rng.randrange(3, 255)}"
            if ip not in avoid:
                return ip
        raise RuntimeError("no address left to pick")

    frames = []
    for _ in range(n_req):
        frames.append(arp_frame(1, rand_mac(rng), rand_ip(), b"\x00" * 6, rand_ip()))
    for _ in range(n_grat):
        ip = rand_ip()
        frames.append(arp_frame(1, rand_mac(rng), ip, b"\x00" * 6, ip))
        ip = rand_ip()
        frames.append(arp_frame(2, rand_mac(rng), ip, BCAST, ip))
    # scapy's layer-2 socket on the interface, as sendp() uses it.
    s = conf.L2socket(iface=req["iface"])
    try:
        for f in frames:
            s.send(f)
    finally:
        s.close()
    return {"sent": len(frames)}


def op_udp(req):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(float(req.get("timeout", 2.0)))
        addr = (req["dst"], int(req["port"]))
        payload = bytes.fromhex(req["payload"])
        try:
            if req.get("connect", True):
                s.connect(addr)
                s.send(payload)
                data = s.recv(70000)
            else:
                s.sendto(payload, addr)
                data, _ = s.recvfrom(70000)
        except ConnectionRefusedError:
            return {"error": "ECONNREFUSED"}
        except socket.timeout:
            return {"error": "timeout"}
        except OSError as e:
            return {"error": errno.errorcode.get(e.errno, str(e.errno))}
        return {"reply": data.hex()}
    finally:
        s.close()


# ---- TCP: a kernel client socket held across requests, sniffing, injection ----

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
TCP_FLAG_NAMES = "FSRPAUEC"

_tcp_socks = {}


class Sniffer:
    """Every TCP segment from or to host:port on an interface, from a raw AF_PACKET
    socket opened before the action it watches (so nothing is missed)."""

    def __init__(self, spec):
        self.host = socket.inet_aton(spec["host"])
        self.port = int(spec["port"])
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.s.bind((spec["iface"], 0))
        self.s.setblocking(False)
        self.t0 = time.monotonic()
        self.pkts = []

    def drain(self):
        while True:
            try:
                data, addr = self.s.recvfrom(65535)
            except BlockingIOError:
                return
            d = seg_dict(data, addr[2] == PACKET_OUTGOING)
            if d and ((d["src_b"] == self.host and d["sport"] == self.port) or
                      (d["dst_b"] == self.host and d["dport"] == self.port)):
                d["t"] = round(time.monotonic() - self.t0, 6)
                del d["src_b"], d["dst_b"]
                self.pkts.append(d)
            if len(self.pkts) > 50000:
                return

    def close(self):
        self.drain()
        self.s.close()
        return self.pkts


def seg_dict(frame, outgoing):
    """Ethernet + IPv4 + TCP, parsed by hand; None for anything else."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[0] >> 4 != 4 or ip[9] != 6 or len(ip) < ihl + 20:
        return None
    tot = struct.unpack("!H", ip[2:4])[0]
    tcp = ip[ihl:tot]
    sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", tcp[:16])
    doff = (off >> 4) * 4
    d = {"src": socket.inet_ntoa(ip[12:16]), "dst": socket.inet_ntoa(ip[16:20]),
         "src_b": ip[12:16], "dst_b": ip[16:20], "sport": sport, "dport": dport,
         "seq": seq, "ack": ack, "win": win,
         "flags": "".join(c for i, c in enumerate(TCP_FLAG_NAMES) if flags & (1 << i)),
         "len": max(0, len(tcp) - doff), "out": outgoing, "tsval": None, "tsecr": None}
    opts, i = tcp[20:doff], 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        if kind == 8 and opts[i + 1] == 10 and i + 10 <= len(opts):
            d["tsval"], d["tsecr"] = struct.unpack("!II", opts[i + 2:i + 10])
        i += opts[i + 1]
    return d


def op_tcp_connect(req):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(float(req.get("timeout", 5.0)))
    s.connect((req["dst"], int(req["port"])))
    sid = max(_tcp_socks, default=0) + 1
    _tcp_socks[sid] = s
    return {"id": sid, "lport": s.getsockname()[1]}


def op_tcp_echo(req):
    """Sends the payload and reads as many bytes back (an echo service), sniffing
    the exchange if asked; waits @settle seconds after the reply for the last ACKs."""
    s = _tcp_socks[int(req["id"])]
    payload = bytes.fromhex(req["payload"])
    sn = Sniffer(req["sniff"]) if req.get("sniff") else None
    got = bytearray()
    res = {}
    deadline = time.monotonic() + float(req.get("timeout", 5.0))
    try:
        s.settimeout(float(req.get("timeout", 5.0)))
        s.sendall(payload)
        while len(got) < len(payload):
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            s.settimeout(left)
            chunk = s.recv(len(payload) - len(got))
            if not chunk:
                res["error"] = "EOF"
                break
            got += chunk
            if sn:
                sn.drain()
    except socket.timeout:
        res["error"] = "timeout"
    except OSError as e:
        res["error"] = errno.errorcode.get(e.errno, str(e.errno))
    res["reply"] = bytes(got).hex()
    if sn:
        end = time.monotonic() + float(req.get("settle", 0.3))
        while time.monotonic() < end:
            sn.drain()
            time.sleep(0.01)
        res["pkts"] = sn.close()
    return res


def op_tcp_send(req):
    _tcp_socks[int(req["id"])].sendall(bytes.fromhex(req["payload"]))
    return {"ok": True}


def op_tcp_close(req):
    s = _tcp_socks.pop(int(req["id"]), None)
    if s:
        s.close()
    return {"ok": True}


def op_inject(req):
    """Sends raw frames with one AF_PACKET socket (fast: no scapy per frame) while
    sniffing; returns what was seen until @wait seconds after the last frame."""
    frames = [bytes.fromhex(h) for h in req["frames"]]
    sn = Sniffer(req["sniff"]) if req.get("sniff") else None
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    try:
        tx.bind((req["iface"], 0))
        t0 = time.monotonic()
        for i, f in enumerate(frames):
            tx.send(f)
            if sn and i % 64 == 63:
                sn.drain()
        send_s = time.monotonic() - t0
    finally:
        tx.close()
    res = {"sent": len(frames), "send_s": round(send_s, 6)}
    if sn:
        end = time.monotonic() + float(req.get("wait", 0.5))
        while time.monotonic() < end:
            sn.drain()
            time.sleep(0.01)
        res["pkts"] = sn.close()
    return res


OPS = {
    "hello": lambda req: {"ok": True},
    "sendp": op_sendp,
    "arp_flood": op_arp_flood,
    "udp": op_udp,
    "tcp_connect": op_tcp_connect,
    "tcp_echo": op_tcp_echo,
    "tcp_send": op_tcp_send,
    "tcp_close": op_tcp_close,
    "inject": op_inject,
}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            res = OPS[req["op"]](req)
        except Exception as e:  # noqa: BLE001 - reported to the test
            res = {"exception": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
