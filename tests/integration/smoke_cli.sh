#!/bin/bash
# smoke_cli.sh - end-to-end smoke test of `ustack daemon` and the ustack CLI
# against the Linux kernel: a private network namespace holds the stack's TAP
# device; the kernel side of the TAP is 198.18.0.1/24, the stack 198.18.0.2/24.
#
# Checks: the ready line, `ustack ping` to the kernel, the kernel's ping to the
# stack (small and fragmented), addr/route/neigh output, `stat -j` (valid JSON,
# python3 -m json.tool), the UDP echo service on port 7 (socat), error exits
# of the client, and a clean exit on SIGTERM (control socket removed).
#
# Usage: tests/integration/smoke_cli.sh [path/to/ustack]   (as root)
# Exit: 0 pass, 1 fail, 4 skipped (kselftest convention: not root, no tools).
set -u

USTACK=${1:-${USTACK:-build/tools/ustack}}
PY=/usr/bin/python3
KSFT_SKIP=4

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (network namespaces, TAP devices)"
	exit $KSFT_SKIP
fi
for tool in ip socat timeout ping; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit $KSFT_SKIP; }
done
[ -x "$USTACK" ] || { echo "FAIL: $USTACK is not an executable (build first)"; exit 1; }
USTACK=$(realpath "$USTACK")
[ -x "$PY" ] || PY=python3

NS=ustk-smoke-$$
TAP=ustk$$
TAP=${TAP:0:15}
NAME=smoke$$
WORK=$(mktemp -d /tmp/ustack-smoke.XXXXXX)
export USTACK_RUNDIR=$WORK/run
DPID=
FAILS=0

cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$DPID" 2>/dev/null
	fi
	ip netns del "$NS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }
# check DESCRIPTION COMMAND...: the command must exit 0
check() {
	local what=$1; shift
	if "$@" >"$WORK/out" 2>"$WORK/err"; then pass "$what"; else
		fail "$what (exit $?)"; sed 's/^/     | /' "$WORK/out" "$WORK/err"; fi
}
# expect DESCRIPTION PATTERN FILE: a line of FILE matches the extended regex
expect() {
	if grep -Eq -- "$2" "$3"; then pass "$1"; else
		fail "$1: no line matches /$2/"; sed 's/^/     | /' "$3"; fi
}
us() { timeout 30 "$USTACK" -n "$NAME" "$@"; }
nsx() { ip netns exec "$NS" "$@"; }

ip netns add "$NS" || { echo "FAIL: cannot create namespace $NS"; exit 1; }
nsx ip link set lo up

# --- daemon --- (not through nsx: $! must be the daemon itself; ip netns exec execs it)
ip netns exec "$NS" "$USTACK" daemon --name "$NAME" --tap "$TAP" --addr 198.18.0.2/24 \
	--gateway 198.18.0.1 --capture "$WORK/daemon.pcap" >"$WORK/daemon.out" 2>"$WORK/daemon.err" &
DPID=$!
for _ in $(seq 100); do
	grep -q "^ustack $NAME ready$" "$WORK/daemon.out" 2>/dev/null && break
	kill -0 "$DPID" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q "^ustack $NAME ready$" "$WORK/daemon.out"; then
	fail "daemon ready line"; cat "$WORK/daemon.out" "$WORK/daemon.err"; exit 1
fi
pass "daemon prints \"ustack $NAME ready\""
[ "$(wc -l <"$WORK/daemon.out")" -eq 1 ] && pass "exactly one line on stdout" \
	|| fail "daemon stdout has more than the ready line"
[ -S "$USTACK_RUNDIR/$NAME.sock" ] && pass "control socket exists" || fail "control socket missing"

# --- the kernel side ---
nsx ip addr add 198.18.0.1/24 dev "$TAP"
nsx ip link set "$TAP" up

# --- stack -> kernel ---
check "ustack ping -c 3 198.18.0.1" us ping -c 3 -i 0.2 198.18.0.1
expect "ping reply lines" '^[0-9]+ bytes from 198\.18\.0\.1: icmp_seq=1 .*time=[0-9.]+ ms' "$WORK/out"
expect "ping summary" '^3 packets transmitted, 3 received, 0% packet loss' "$WORK/out"
check "ustack -j ping" us -j ping -c 2 -i 0.1 198.18.0.1
cp "$WORK/out" "$WORK/ping.json"
check "ping -j is JSON" "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]));
assert d["transmitted"]==2 and d["received"]==2 and len(d["rtt_ms"])==2, d' "$WORK/ping.json"
us ping -c 1 -W 0.5 198.18.0.99 >"$WORK/out" 2>&1
rc=$?
[ $rc -eq 1 ] && pass "ping to a silent address exits 1" || fail "ping to a silent address exited $rc"
expect "ping to a silent address: 100% loss" ' 100% packet loss' "$WORK/out"

# --- kernel -> stack ---
check "kernel ping 198.18.0.2" nsx ping -c 3 -i 0.2 -W 2 198.18.0.2
check "kernel ping -s 8000 (fragmented)" nsx ping -c 2 -i 0.2 -W 2 -s 8000 198.18.0.2

# --- tables ---
check "ustack addr" us addr
expect "addr line" "inet 198\.18\.0\.2/24 brd 198\.18\.0\.255 scope global $TAP\$" "$WORK/out"
check "ustack route" us route
expect "connected route" "^198\.18\.0\.0/24 dev $TAP proto kernel scope link src 198\.18\.0\.2\$" "$WORK/out"
expect "default route" "^default via 198\.18\.0\.1 dev $TAP" "$WORK/out"
check "ustack neigh" us neigh
expect "neighbour entry" "^198\.18\.0\.1 dev $TAP lladdr ([0-9a-f]{2}:){5}[0-9a-f]{2} [A-Z]+\$" "$WORK/out"
check "ustack link" us link
expect "link line" "^[0-9]+: $TAP: <.*UP> mtu [0-9]+ state UP kind tap" "$WORK/out"

# --- counters as JSON ---
check "ustack stat -j" us stat -j
cp "$WORK/out" "$WORK/stat.json"
check "stat -j is valid JSON (json.tool)" "$PY" -m json.tool "$WORK/stat.json"
check "stat -j has counters, drops, devices" "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]));
assert d["counters"]["IpInReceives"] > 0 and "drops" in d and sys.argv[2] in d["devices"], d' \
	"$WORK/stat.json" "$TAP"

# --- UDP echo (RFC 862) ---
echo "hello-ustack-$$" >"$WORK/udp.in"
nsx timeout 10 socat -T 2 - UDP4:198.18.0.2:7 <"$WORK/udp.in" >"$WORK/udp.out" 2>"$WORK/udp.err"
if cmp -s "$WORK/udp.in" "$WORK/udp.out"; then pass "UDP echo on port 7"; else
	fail "UDP echo on port 7: got '$(cat "$WORK/udp.out")' $(cat "$WORK/udp.err")"; fi

head -c 8000 /dev/urandom >"$WORK/udp-big.in"
nsx timeout 10 socat -T 2 -b 8192 - UDP4:198.18.0.2:7 <"$WORK/udp-big.in" >"$WORK/udp-big.out" 2>/dev/null
if cmp -s "$WORK/udp-big.in" "$WORK/udp-big.out"; then pass "UDP echo of 8000 bytes (fragmented)"; else
	fail "UDP echo of 8000 bytes: got $(wc -c <"$WORK/udp-big.out") bytes back"; fi

# --- capture from the CLI (FILE relative to the client's directory) ---
check "capture start" sh -c 'cd "$1" && shift && "$@"' _ "$WORK" timeout 30 "$USTACK" -n "$NAME" \
	capture start "$TAP" cli.pcap
nsx ping -c 2 -i 0.1 -W 2 198.18.0.2 >/dev/null 2>&1
check "capture stop" sh -c 'cd "$1" && shift && "$@"' _ "$WORK" timeout 30 "$USTACK" -n "$NAME" \
	capture stop "$TAP" cli.pcap
if command -v tcpdump >/dev/null; then
	n=$(tcpdump -nr "$WORK/cli.pcap" icmp 2>/dev/null | grep -c 'ICMP echo')
	[ "$n" -ge 4 ] && pass "capture has the 4 echo frames (tcpdump)" || fail "capture: $n echo frames"
fi

# --- settings and client errors ---
check "ustack set" us set net.ipv4.icmp_echo_ignore_all=0
us set net.ipv4.no_such_thing=1 >"$WORK/out" 2>&1
rc=$?
[ $rc -eq 1 ] && pass "unknown setting exits 1" || fail "unknown setting exited $rc"
us frobnicate >"$WORK/out" 2>&1
rc=$?
[ $rc -eq 2 ] && pass "unknown command exits 2" || fail "unknown command exited $rc"
timeout 10 "$USTACK" -n "nosuch$$" stat >"$WORK/out" 2>&1
rc=$?
[ $rc -eq 2 ] && pass "unreachable stack exits 2" || fail "unreachable stack exited $rc"
expect "unreachable stack message" "^ustack: cannot reach stack nosuch$$: " "$WORK/out"
nsx "$USTACK" daemon --name "$NAME" --tap "${TAP:0:12}x" --addr 198.18.1.2/24 \
	>"$WORK/out" 2>&1
rc=$?
[ $rc -ne 0 ] && pass "second daemon with the same name refused" || fail "second daemon started"
nsx "$USTACK" daemon --name x --tap "$TAP" --addr 198.18.0.2/99 >"$WORK/out" 2>&1
rc=$?
[ $rc -eq 2 ] && pass "bad daemon option exits 2" || fail "bad daemon option exited $rc"

# --- clean exit ---
kill -TERM "$DPID"
rc=124
for _ in $(seq 50); do
	if ! kill -0 "$DPID" 2>/dev/null; then wait "$DPID"; rc=$?; break; fi
	sleep 0.1
done
DPID=
[ $rc -eq 0 ] && pass "daemon exits 0 on SIGTERM" || fail "daemon exit status $rc on SIGTERM"
[ ! -e "$USTACK_RUNDIR/$NAME.sock" ] && pass "control socket removed" || fail "control socket left behind"
if command -v tcpdump >/dev/null; then
	n=$(tcpdump -nr "$WORK/daemon.pcap" 2>/dev/null | wc -l)
	[ "$n" -gt 10 ] && pass "--capture file readable by tcpdump ($n frames)" \
		|| fail "--capture file: $n frames"
fi

if [ $FAILS -ne 0 ]; then
	echo "# $FAILS check(s) failed; daemon stderr:"
	sed 's/^/     | /' "$WORK/daemon.err"
	exit 1
fi
echo "# all checks passed"
exit 0
