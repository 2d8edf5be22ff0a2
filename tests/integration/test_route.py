"""Routes of type unreachable, prohibit and blackhole in the stack's FIB, exercised
by the kernel sending through the stack (forwarding on): unreachable answers ICMP
host unreachable (RFC 1812 5.2.7.1), prohibit answers ICMP administratively
prohibited (code 13, RFC 1812 5.2.7.1), blackhole stays silent."""
import pytest

from harness import STACK_ADDR, ping_received

CASES = [
    # type, prefix, what iputils ping prints, drop reason
    ("unreachable", "198.18.7.0/24", "Destination Host Unreachable", "IP_UNREACHABLE"),
    ("prohibit", "198.18.8.0/24", "Packet filtered", "IP_PROHIBIT"),
    ("blackhole", "198.18.9.0/24", None, "IP_BLACKHOLE"),
]


@pytest.mark.parametrize("rtype,prefix,message,reason", CASES, ids=[c[0] for c in CASES])
def test_route_type(env, rtype, prefix, message, reason):
    s = env.stack(extra_args=["--set", "net.ipv4.ip_forward=1"])
    s.d.cli("route", "add", rtype, prefix)
    shown = s.d.cli("route", "show").stdout
    assert f"{rtype} {prefix}" in shown, shown
    assert any(r.get("type") == rtype and r.get("dst") == prefix for r in s.d.clij("route")), \
        s.d.clij("route")

    s.ns.ip("route", "add", prefix, "via", STACK_ADDR)
    target = prefix.replace(".0/24", ".1")
    before = s.d.stat()
    p = s.ns.ping(target, count=2, wait=2)
    assert p.returncode != 0
    assert ping_received(p.stdout)[1] == 0, p.stdout
    if message:
        assert f"From {STACK_ADDR} icmp_seq=1 {message}" in p.stdout, p.stdout
    else:
        # Silence: no ICMP error of any kind came back.
        assert "From " not in p.stdout, p.stdout
    after = s.d.stat()
    assert after["drops"][reason] >= before["drops"][reason] + 2, (before["drops"],
                                                                   after["drops"])
    sent = after["counters"]["IcmpOutDestUnreachs"] - before["counters"]["IcmpOutDestUnreachs"]
    if message:
        assert sent >= 1
    else:
        assert sent == 0

    # Deleting the route takes it out of the table.
    s.d.cli("route", "del", rtype, prefix)
    assert f"{rtype} {prefix}" not in s.d.cli("route", "show").stdout


def test_route_show_connected(stack):
    shown = stack.d.cli("route", "show").stdout
    assert f"198.18.0.0/24 dev {stack.tap} proto kernel scope link src {STACK_ADDR}" in shown, \
        shown
    stack.d.cli("route", "add", "default", "via", "198.18.0.1")
    assert f"default via 198.18.0.1 dev {stack.tap}" in stack.d.cli("route", "show").stdout
