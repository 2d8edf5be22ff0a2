"""Captures of a TAP device's rx and tx, read back by tcpdump (and scapy): the
daemon's --capture FILE option and the `ustack capture start|stop` command."""
import os

from scapy.all import ARP, ICMP, Ether, rdpcap
from scapy.data import DLT_EN10MB
from scapy.utils import PcapReader

from harness import KERNEL_ADDR, STACK_ADDR, ping_received, run


def check_capture(path, stack_mac, kernel_mac, n_echo):
    assert os.path.getsize(path) > 24, "capture file is empty"
    with PcapReader(path) as r:
        assert r.linktype == DLT_EN10MB, r.linktype
    out = run(["tcpdump", "-nr", path], timeout=20).stdout
    lines = out.splitlines()
    assert any(f"ARP, Request who-has {STACK_ADDR} tell {KERNEL_ADDR}" in ln for ln in lines), out
    assert any(f"ARP, Reply {STACK_ADDR} is-at {stack_mac}" in ln for ln in lines), out
    req = [ln for ln in lines if f"{KERNEL_ADDR} > {STACK_ADDR}: ICMP echo request" in ln]
    rep = [ln for ln in lines if f"{STACK_ADDR} > {KERNEL_ADDR}: ICMP echo reply" in ln]
    assert len(req) == n_echo and len(rep) == n_echo, out
    # Timestamps are in order and frames are whole (caplen == len).
    pkts = rdpcap(path)
    times = [float(p.time) for p in pkts]
    assert times == sorted(times)
    replies = [p for p in pkts if p.haslayer(ICMP) and p[ICMP].type == 0]
    assert all(p[Ether].src.lower() == stack_mac and p[Ether].dst.lower() == kernel_mac
               for p in replies)
    assert any(p.haslayer(ARP) and p[ARP].op == 2 for p in pkts)


def test_daemon_capture_option(env):
    d_dir = env.tmpdir()
    path = os.path.join(d_dir, "tp0.pcap")
    s = env.stack(extra_args=["--capture", path])
    stack_mac, kernel_mac = s.stack_mac(), s.kernel_mac()
    p = s.kernel_ping(count=2)
    assert ping_received(p.stdout) == (2, 2), p.stdout
    s.d.stop()
    check_capture(path, stack_mac, kernel_mac, 2)


def test_capture_command(stack, env):
    path = os.path.join(env.tmpdir(), "cmd.pcap")
    stack.d.cli("capture", "start", stack.tap, path)
    p = stack.kernel_ping(count=3)
    assert ping_received(p.stdout) == (3, 3), p.stdout
    stack.d.cli("capture", "stop", stack.tap, path)
    # Traffic after the stop is not captured.
    stack.kernel_ping(count=1)
    check_capture(path, stack.stack_mac(), stack.kernel_mac(), 3)
