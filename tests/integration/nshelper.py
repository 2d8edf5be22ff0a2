"""nshelper.py - runs inside a test's network namespace (`ip netns exec NS python3
nshelper.py`) and does what the tests ask on stdin, one JSON object per line,
answering one JSON object per line on stdout:

  {"op": "hello"}                                   -> {"ok": true}
  {"op": "sendp", "iface": I, "frames": [hex...]}   -> {"sent": N}   (scapy sendp, bytes exact)
  {"op": "arp_flood", "iface": I, "requests": N, "gratuitous": M, "seed": S,
   "net": "198.18.0", "avoid": [".."]}              -> {"sent": N + 2*M}
  {"op": "udp", "dst": A, "port": P, "payload": hex, "timeout": T, "connect": B}
                                                    -> {"reply": hex} | {"error": "ECONNREFUSED"|...}

Importing scapy costs about half a second, so one helper serves a whole module.
"""
import errno
import json
import random
import socket
import struct
import sys

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


OPS = {
    "hello": lambda req: {"ok": True},
    "sendp": op_sendp,
    "arp_flood": op_arp_flood,
    "udp": op_udp,
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
