#!/bin/bash
# demo.sh - ustack serving real traffic: a stack on a TAP device inside a fresh network
# namespace, the Linux kernel on the other side as its peer.
#
#   kernel (namespace ustack-demo-PID)            ustack daemon
#   tp0 198.18.0.1/24  <---- TAP ---->  198.18.0.2/24
#
# Shows: ARP both ways, the kernel pinging the stack (small and 8000-byte fragmented pings),
# the stack pinging the kernel, UDP echo (port 7), a TCP download and upload with the kernel's
# curl against the stack's HTTP service, the stack's tables and counters.
# Everything is removed on exit, also on failure or Ctrl-C.
set -euo pipefail
USTACK=${1:-build/tools/ustack}
USTACK=$(realpath "$USTACK")
NS=ustack-demo-$$
NAME=demo$$
RUNDIR=$(mktemp -d /tmp/ustack-demo.XXXXXX)
export USTACK_RUNDIR=$RUNDIR
DAEMON_PID=

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root for network namespaces and TAP devices (try: sudo make demo)" >&2
	exit 1
fi

cleanup() {
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$DAEMON_PID" 2>/dev/null || true
	fi
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$RUNDIR"
}
trap cleanup EXIT INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
in_ns() { ip netns exec "$NS" "$@"; }
us() { in_ns "$USTACK" -n "$NAME" "$@"; }

say "creating namespace $NS and starting ustack on TAP tp0 (198.18.0.2/24)"
ip netns add "$NS"
ip -n "$NS" link set lo up
# Started directly (not through a shell function) so that $! is the daemon itself:
# `ip netns exec` execs into it, and cleanup's kill reaches it.
ip netns exec "$NS" "$USTACK" daemon --name "$NAME" --tap tp0 --addr 198.18.0.2/24 \
	>"$RUNDIR/daemon.out" 2>"$RUNDIR/daemon.err" &
DAEMON_PID=$!
for _ in $(seq 100); do
	grep -q "ready" "$RUNDIR/daemon.out" 2>/dev/null && break
	kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$RUNDIR/daemon.err" >&2; exit 1; }
	sleep 0.05
done
cat "$RUNDIR/daemon.out"
ip -n "$NS" addr add 198.18.0.1/24 dev tp0
ip -n "$NS" link set tp0 up

say "the kernel pings the stack (56 bytes)"
in_ns ping -c 3 -i 0.2 -W 2 198.18.0.2
say "the kernel pings the stack with 8000 bytes (fragmented and reassembled both ways)"
in_ns ping -c 3 -i 0.2 -W 2 -s 8000 198.18.0.2
say "the stack pings the kernel"
us ping -c 3 -i 0.2 198.18.0.1
say "UDP echo (RFC 862, port 7) from the kernel with socat"
reply=$(echo "hello from the kernel" | in_ns timeout 5 socat -t 2 - UDP:198.18.0.2:7)
echo "sent: hello from the kernel"
echo "got:  $reply"
[ "$reply" = "hello from the kernel" ]
say "TCP: the kernel's curl downloads 20 MB from the stack's HTTP service (port 80)"
in_ns curl -sS --max-time 60 -o /dev/null \
	-w 'got %{size_download} bytes in %{time_total} s (%{speed_download} bytes/s)\n' \
	http://198.18.0.2/bytes/20000000
say "TCP: an upload to the stack, which answers with the body's length and SHA-256"
head -c 1000000 /dev/zero | in_ns curl -sS --max-time 60 -T - http://198.18.0.2/upload
echo
echo "expected sha256: $(head -c 1000000 /dev/zero | sha256sum | cut -d' ' -f1)"
say "kernel neighbour table (the stack's MAC, learnt by ARP)"
ip -n "$NS" neigh show dev tp0
say "ustack: addresses, routes, neighbours"
us addr
us route
us neigh
say "ustack: counters (non-zero, as nstat)"
us stat
say "demo finished: stopping the stack"
