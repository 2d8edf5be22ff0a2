#!/bin/bash
# run.sh - ustack versus the Linux kernel, side by side, in one run on this machine.
#
#   ustack:  kernel (ns A, 198.18.0.1) --TAP--> ustack daemon (198.18.0.2)
#   kernel:  kernel (ns K1, 198.18.1.1) --veth--> kernel (ns K2, 198.18.1.2)
#
# For each pair the same client runs in the first namespace: ping (ICMP echo RTT,
# per-reply times -> p50/p99) and udp_rr (1-byte UDP request/response against an echo
# server: ustack's built-in port 7 service, or bench/udp_echo on the kernel).
# Measurements alternate between the two setups, ROUNDS times (default 3); the table
# shows medians of the rounds and the ratio ustack/kernel.
set -euo pipefail
USTACK=$(realpath "${1:-build/tools/ustack}")
BIN=$(dirname "$USTACK")/../bench
ROUNDS=${ROUNDS:-3}
PINGS=${PINGS:-500}
RR_SECONDS=${RR_SECONDS:-3}
TAG=usb$$
NSU=$TAG-u NSK1=$TAG-k1 NSK2=$TAG-k2
RUNDIR=$(mktemp -d /tmp/ustack-bench.XXXXXX)
export USTACK_RUNDIR=$RUNDIR
PIDS=()

[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (namespaces, TAP)" >&2; exit 1; }

cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for ns in $NSU $NSK1 $NSK2; do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$RUNDIR"
}
trap cleanup EXIT INT TERM

# ustack on TAP
ip netns add $NSU
ip -n $NSU link set lo up
ip netns exec $NSU "$USTACK" daemon --name $TAG --tap tp0 --addr 198.18.0.2/24 \
	--set net.ipv4.icmp_ratelimit=0 >"$RUNDIR/d.out" 2>"$RUNDIR/d.err" &
PIDS+=($!)
for _ in $(seq 100); do grep -q ready "$RUNDIR/d.out" && break; sleep 0.05; done
grep -q ready "$RUNDIR/d.out" || { cat "$RUNDIR/d.err" >&2; exit 1; }
ip -n $NSU addr add 198.18.0.1/24 dev tp0
ip -n $NSU link set tp0 up

# kernel <-> kernel over veth
ip netns add $NSK1
ip netns add $NSK2
ip link add ve1 netns $NSK1 type veth peer name ve2 netns $NSK2
ip -n $NSK1 addr add 198.18.1.1/24 dev ve1
ip -n $NSK2 addr add 198.18.1.2/24 dev ve2
ip -n $NSK1 link set ve1 up
ip -n $NSK2 link set ve2 up
ip netns exec $NSK2 "$BIN/udp_echo" 7 &
PIDS+=($!)

# warm up ARP on both
ip netns exec $NSU ping -c 2 -i 0.2 -W 2 198.18.0.2 >/dev/null
ip netns exec $NSK1 ping -c 2 -i 0.2 -W 2 198.18.1.2 >/dev/null

ping_stats() { # ns dst -> "p50 p99" in microseconds
	ip netns exec "$1" ping -n -c "$PINGS" -i 0.002 -W 1 "$2" 2>/dev/null |
		/usr/bin/python3 -c '
import re, sys
t = sorted(float(m.group(1)) * 1000 for m in re.finditer(r"time=([0-9.]+) ms", sys.stdin.read()))
print(f"{t[len(t)//2]:.0f} {t[len(t)*99//100]:.0f}" if t else "nan nan")'
}
rr_stats() { # ns dst -> "rate p50 p99"
	ip netns exec "$1" "$BIN/udp_rr" "$2" 7 "$RR_SECONDS" 1 |
		sed -E 's/.*rate=([0-9.]+).*p50_us=([0-9]+) p99_us=([0-9]+).*/\1 \2 \3/'
}

declare -A R
for r in $(seq "$ROUNDS"); do
	echo "round $r/$ROUNDS ..." >&2
	R[u_ping]+="$(ping_stats $NSU 198.18.0.2);"
	R[k_ping]+="$(ping_stats $NSK1 198.18.1.2);"
	R[u_rr]+="$(rr_stats $NSU 198.18.0.2);"
	R[k_rr]+="$(rr_stats $NSK1 198.18.1.2);"
done

/usr/bin/python3 - "${R[u_ping]}" "${R[k_ping]}" "${R[u_rr]}" "${R[k_rr]}" "$ROUNDS" <<'PY'
import statistics, sys
def cols(s):
    rows = [list(map(float, x.split())) for x in s.split(";") if x.strip()]
    return [statistics.median(c) for c in zip(*rows)]
up, kp, ur, kr = (cols(a) for a in sys.argv[1:5])
def line(name, u, k, unit, higher_better):
    ratio = u / k if k else float("nan")
    print(f"{name:<34} {u:>12.0f} {k:>12.0f} {ratio:>8.2f}x  {unit} ({'higher' if higher_better else 'lower'} is better)")
print(f"ustack on TAP vs Linux kernel over veth, medians of {sys.argv[5]} rounds")
print(f"{'metric':<34} {'ustack':>12} {'kernel':>12} {'ratio':>9}")
line("ICMP echo RTT p50", up[0], kp[0], "us", False)
line("ICMP echo RTT p99", up[1], kp[1], "us", False)
line("UDP 1-byte request/response rate", ur[0], kr[0], "transactions/s", True)
line("UDP request/response p50", ur[1], kr[1], "us", False)
line("UDP request/response p99", ur[2], kr[2], "us", False)
PY
