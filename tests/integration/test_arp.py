"""ARP both ways between the stack and the Linux kernel, and the stack's neighbour
entries moving through their states (RFC 826; Linux's NUD state machine)."""
import re
import subprocess

from harness import KERNEL_ADDR, STACK_ADDR, find_neigh, neigh_state, ustack_bin, wait_for


def test_kernel_resolves_stack(stack):
    p = stack.kernel_ping(count=1)
    assert p.returncode == 0, p.stdout + p.stderr
    entries = stack.ns.ipj("neigh", "show", "dev", stack.tap)
    e = find_neigh(entries, STACK_ADDR)
    assert e is not None, f"kernel has no neighbour entry for the stack: {entries}"
    assert e.get("lladdr", "").lower() == stack.stack_mac()
    c = stack.d.counters()
    assert c["ArpInRequests"] >= 1
    assert c["ArpOutReplies"] >= 1


def test_stack_resolves_kernel(stack):
    p = stack.d.cli("ping", "-c", "1", "-W", "2", KERNEL_ADDR, check=False, timeout=15)
    assert p.returncode == 0, p.stdout + p.stderr
    e = find_neigh(stack.d.neigh(), KERNEL_ADDR)
    assert e is not None, stack.d.cli("neigh").stdout
    assert e["lladdr"].lower() == stack.kernel_mac()
    assert e["dev"] == stack.tap
    assert neigh_state(e) == "REACHABLE"
    # The text form, as `ip neigh` prints it.
    text = stack.d.cli("neigh").stdout
    assert f"{KERNEL_ADDR} dev {stack.tap} lladdr {stack.kernel_mac()} REACHABLE" in text, text
    assert stack.d.counters()["ArpOutRequests"] >= 1
    assert stack.d.counters()["ArpInReplies"] >= 1


def test_neigh_reachable_stale_delay_reachable(env):
    # The settings must be in place before the entry exists: the reachable time of an
    # entry is drawn when it is confirmed. A short delay_first_probe_time makes the
    # expiring REACHABLE entry go STALE rather than DELAY (Linux's neigh_timer_handler
    # moves it to DELAY when it was used within that time).
    def configure(d):
        d.set("net.ipv4.neigh.default.base_reachable_time_ms=1000",
              "net.ipv4.neigh.default.delay_first_probe_time=100")
    s = env.stack(before_kernel=configure)
    got = s.d.cli("get", "net.ipv4.neigh.default.base_reachable_time_ms").stdout
    assert re.search(r"\b1000\b", got), got

    p = s.d.cli("ping", "-c", "1", "-W", "2", KERNEL_ADDR, check=False, timeout=15)
    assert p.returncode == 0, p.stdout + p.stderr
    e = find_neigh(s.d.neigh(), KERNEL_ADDR)
    assert neigh_state(e) == "REACHABLE", e

    # base_reachable_time 1000 ms, randomised to 0.5x..1.5x: STALE within 1.5 s of the
    # confirmation, with no traffic in between.
    wait_for(lambda: neigh_state(find_neigh(s.d.neigh(), KERNEL_ADDR)) == "STALE", 4,
             what="the kernel's entry to become STALE")

    # Using a STALE entry moves it to DELAY (now for 3 s), then PROBE; the kernel
    # answers the unicast probe and the entry is REACHABLE again.
    s.d.set("net.ipv4.neigh.default.delay_first_probe_time=3000")
    p = s.d.cli("ping", "-c", "1", "-W", "2", KERNEL_ADDR, check=False, timeout=15)
    assert p.returncode == 0, p.stdout + p.stderr
    st = neigh_state(find_neigh(s.d.neigh(), KERNEL_ADDR))
    assert st == "DELAY", st
    wait_for(lambda: neigh_state(find_neigh(s.d.neigh(), KERNEL_ADDR)) == "REACHABLE", 6,
             what="the entry to be confirmed again by a unicast probe")
    assert find_neigh(s.d.neigh(), KERNEL_ADDR)["lladdr"].lower() == s.kernel_mac()


def test_neigh_incomplete_then_failed(env):
    def configure(d):
        d.set("net.ipv4.neigh.default.retrans_time_ms=500",
              "net.ipv4.neigh.default.mcast_solicit=3")
    s = env.stack(before_kernel=configure)
    ghost = "198.18.0.99"  # nobody answers for it
    before = s.d.stat()
    ping = subprocess.Popen([ustack_bin(), "-n", s.d.name, "ping", "-c", "1", "-W", "3", ghost],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=s.d.env)
    try:
        wait_for(lambda: neigh_state(find_neigh(s.d.neigh(), ghost)) == "INCOMPLETE", 1.4,
                 interval=0.02, what=f"{ghost} INCOMPLETE")
        # 3 broadcast probes 500 ms apart, then FAILED.
        wait_for(lambda: neigh_state(find_neigh(s.d.neigh(), ghost)) == "FAILED", 4,
                 what=f"{ghost} FAILED")
        out, err = ping.communicate(timeout=10)
    finally:
        if ping.poll() is None:
            ping.kill()
            ping.wait(timeout=5)
    assert ping.returncode == 1, out + err
    e = find_neigh(s.d.neigh(), ghost)
    assert not e.get("lladdr"), e
    text = s.d.cli("neigh").stdout
    assert f"{ghost} dev {s.tap} FAILED" in text, text
    after = s.d.stat()
    assert after["counters"]["NeighResolveFailed"] >= before["counters"]["NeighResolveFailed"] + 1
    assert after["drops"]["NEIGH_FAILED"] >= before["drops"]["NEIGH_FAILED"] + 1
    assert after["counters"]["ArpOutRequests"] >= before["counters"]["ArpOutRequests"] + 3


def test_static_neigh_add_del(stack):
    ip, mac = "198.18.0.50", "02:00:5e:00:00:50"
    stack.d.cli("neigh", "add", ip, "lladdr", mac, "dev", stack.tap)
    e = find_neigh(stack.d.neigh(), ip)
    assert e is not None and e["lladdr"].lower() == mac and neigh_state(e) == "PERMANENT", e
    stack.d.cli("neigh", "del", ip, "dev", stack.tap)
    assert find_neigh(stack.d.neigh(), ip) is None
