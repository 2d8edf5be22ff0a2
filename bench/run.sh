#!/bin/bash
# run.sh - ustack versus the Linux kernel, side by side, in one run on this machine.
#
#   bench/run.sh [PATH/TO/ustack]        (root; `make bench` passes build/tools/ustack)
#
# Setups (all in namespaces created here, 198.18.x.x, removed on exit):
#   ustack:      kernel (ns U, tp0 198.18.0.1) --TAP--> ustack daemon (198.18.0.2)
#   kernel:      kernel (ns K1, 198.18.1.1) --veth--> kernel (ns K2, 198.18.1.2)
#   ustack+loss: kernel (ns LK, 198.18.2.1) --veth--> [ns LE: linkem] --TAP--> ustack (198.18.2.2)
#   kernel+loss: kernel (ns LA, 198.18.3.1) --veth--> [ns LX: linkem] --veth--> kernel (ns LB, 198.18.3.2)
#
# Measurements (each bounded in time; "how measured" is printed after the table):
#   ping (ICMP echo RTT p50/p99), udp_rr (UDP 1-byte request/response),
#   tcp_bulk (one stream, 128 KiB and 64 B writes) kernel->stack into the discard service (9),
#   `ustack tcp connect --send` stack->kernel into tcp_bulk's sink, curl GET /bytes/N from
#   the HTTP service (80), tcp_rr (TCP 1-byte request/response against echo, 7), tcp_crr
#   (connect, 1 byte each way, close), and through `ustack linkem` at LOSS_SPEC: tcp_bulk
#   kernel->stack and kernel->kernel, and `ustack tcp connect` stack->kernel.
# Tools: bench/tcp_bulk.c, tcp_rr.c, tcp_crr.c (kernel sockets, every wait bounded),
# udp_rr.c, udp_echo.c; bench/profile.sh says where the daemon's time goes.
# Each measurement alternates between ustack and the kernel, ROUNDS times; the table shows
# medians of the rounds, the ratio ustack/kernel and the daemon's CPU time.
#
# Environment: ROUNDS (3), BENCH_SECONDS (3; every time-bounded measurement), PINGS (500),
# RR_SECONDS (BENCH_SECONDS; the UDP request/response), CRR_PARALLEL (1),
# CRR_MAX (200000 connections per measurement at most), LOSS_SPEC ("loss=1%"), LOSS_SEED (1),
# KERNEL_CC (cubic, Linux's and ustack's default; empty: the machine's default) for the
# kernel's bulk senders (tcp_bulk sets it per socket).
# Exit status: 0, or 1 if any measurement failed (the table says which) or a daemon died.
# Takes ROUNDS * ~17 * BENCH_SECONDS plus set-up: about 3-4 minutes with the defaults.
set -euo pipefail
USTACK=$(realpath "${1:-build/tools/ustack}")
BIN=$(realpath "$(dirname "$USTACK")/../bench")
ROUNDS=${ROUNDS:-3}
DUR=${BENCH_SECONDS:-3}
PINGS=${PINGS:-500}
RR_SECONDS=${RR_SECONDS:-$DUR}
CRR_PARALLEL=${CRR_PARALLEL:-1}
CRR_MAX=${CRR_MAX:-200000}
LOSS_SPEC=${LOSS_SPEC:-loss=1%}
LOSS_SEED=${LOSS_SEED:-1}
KERNEL_CC=${KERNEL_CC-cubic}
export BENCH_TCP_CC=$KERNEL_CC # tcp_bulk's senders set it per socket (TCP_CONGESTION)
MACHINE_CC=$(sysctl -n net.ipv4.tcp_congestion_control 2>/dev/null || echo '?')
TAG=usb$$
NSU=$TAG-u NSK1=$TAG-k1 NSK2=$TAG-k2
NSLE=$TAG-le NSLK=$TAG-lk NSLA=$TAG-la NSLX=$TAG-lx NSLB=$TAG-lb
RUNDIR=$(mktemp -d /tmp/ustack-bench.XXXXXX)
export USTACK_RUNDIR=$RUNDIR
RES=$RUNDIR/results
PIDS=()
LIMIT=$((DUR * 3 + 45)) # hard bound on any one client run (the tools have their own timeouts)

[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (namespaces, TAP)" >&2; exit 1; }
for t in udp_rr udp_echo tcp_bulk tcp_rr tcp_crr; do
	[ -x "$BIN/$t" ] || { echo "bench: $BIN/$t missing (build first)" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "bench: curl missing" >&2; exit 1; }

cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for ns in $NSU $NSK1 $NSK2 $NSLE $NSLK $NSLA $NSLX $NSLB; do
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$RUNDIR"
}
trap cleanup EXIT INT TERM

log() { echo "bench: $*" >&2; }

wait_line() { # file pattern what: up to 5 s
	for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	log "$3 not ready: $(tail -3 "$1" 2>/dev/null)"
	return 1
}

veth() { # ns1 if1 ns2 if2
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

start_daemon() { # ns name tap addr -> sets DPID
	ip netns exec "$1" "$USTACK" daemon --name "$2" --tap "$3" --addr "$4" \
		--set net.ipv4.icmp_ratelimit=0 >"$RUNDIR/$2.out" 2>"$RUNDIR/$2.err" &
	DPID=$!
	PIDS+=("$DPID")
	wait_line "$RUNDIR/$2.out" ready "daemon $2" || { cat "$RUNDIR/$2.err" >&2; exit 1; }
}

bg() { # ns outfile cmd...: a background server
	local ns=$1 out=$2
	shift 2
	ip netns exec "$ns" "$@" >"$out" 2>&1 &
	PIDS+=($!)
}

# ---- setups ----------------------------------------------------------------------------
for ns in $NSU $NSK1 $NSK2 $NSLE $NSLK $NSLA $NSLX $NSLB; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done

# ustack on TAP; its kernel side also runs the sink for the stack's sends
start_daemon $NSU $TAG tp0 198.18.0.2/24
DPID_U=$DPID
ip -n $NSU addr add 198.18.0.1/24 dev tp0
ip -n $NSU link set tp0 up
bg $NSU "$RUNDIR/sink_u.out" "$BIN/tcp_bulk" server 5001

# kernel <-> kernel over veth; K2 runs the servers
veth $NSK1 ve1 $NSK2 ve2
ip -n $NSK1 addr add 198.18.1.1/24 dev ve1
ip -n $NSK2 addr add 198.18.1.2/24 dev ve2
bg $NSK2 "$RUNDIR/udp_echo_k.out" "$BIN/udp_echo" 7
bg $NSK2 "$RUNDIR/echo_k.out" "$BIN/tcp_rr" server 7
bg $NSK2 "$RUNDIR/sink_k.out" "$BIN/tcp_bulk" server 5001

# the connection-rate clients close first and keep TIME_WAITs: widen the port range and
# let connect reuse TIME_WAIT ports after 1 s (timestamps make it safe; tcp_crr.c explains)
for ns in $NSU $NSK1; do
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" \
		net.ipv4.tcp_tw_reuse=1
done

# ustack behind the link emulator
start_daemon $NSLE $TAG-l tl0 198.18.2.2/24
DPID_L=$DPID
ip -n $NSLE link set tl0 up
veth $NSLE le0 $NSLK lk0
ip -n $NSLK addr add 198.18.2.1/24 dev lk0
ip netns exec $NSLE "$USTACK" linkem --a tl0 --b le0 --both "$LOSS_SPEC" --seed "$LOSS_SEED" \
	>"$RUNDIR/linkem_u.out" 2>&1 &
LK_U=$!
PIDS+=("$LK_U")

# kernel <-> kernel behind the link emulator
veth $NSLA la0 $NSLX xa
veth $NSLB lb0 $NSLX xb
ip -n $NSLA addr add 198.18.3.1/24 dev la0
ip -n $NSLB addr add 198.18.3.2/24 dev lb0
ip netns exec $NSLX "$USTACK" linkem --a xa --b xb --both "$LOSS_SPEC" --seed "$LOSS_SEED" \
	>"$RUNDIR/linkem_k.out" 2>&1 &
LK_K=$!
PIDS+=("$LK_K")
bg $NSLB "$RUNDIR/sink_l.out" "$BIN/tcp_bulk" server 5001
bg $NSLK "$RUNDIR/sink_lk.out" "$BIN/tcp_bulk" server 5001

for f in sink_u sink_k sink_l sink_lk echo_k; do wait_line "$RUNDIR/$f.out" listening $f || exit 1; done
for f in linkem_u linkem_k; do wait_line "$RUNDIR/$f.out" "linkem ready" $f || exit 1; done

# warm up ARP everywhere (the lossy paths may lose a request: ping retries)
ip netns exec $NSU ping -c 2 -i 0.2 -W 2 198.18.0.2 >/dev/null
ip netns exec $NSK1 ping -c 2 -i 0.2 -W 2 198.18.1.2 >/dev/null
ip netns exec $NSLK ping -c 5 -i 0.2 -W 2 198.18.2.2 >/dev/null || true
ip netns exec $NSLA ping -c 5 -i 0.2 -W 2 198.18.3.2 >/dev/null || true

# ---- measurement helpers ---------------------------------------------------------------
: >"$RES"
FAILED=0
HAVE_TCPC=1
TCPC_PROBE=$("$USTACK" tcp 2>&1 || true)
[[ $TCPC_PROBE == *"unknown command"* ]] && HAVE_TCPC=0

kv() { # key line -> value of key=... in line
	sed -nE "s/.*(^|[ ,{\"])$1\"?[=:] *([0-9.eE+-]+).*/\2/p" <<<"$2" | head -1
}
cpu_ticks() { # pid -> utime+stime in clock ticks (/proc/PID/stat fields 14 and 15)
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	s=${s##*) }
	# shellcheck disable=SC2086 # split into the fields
	set -- $s
	echo $((${12} + ${13}))
}
HZ=$(getconf CLK_TCK)
now() { echo "$EPOCHREALTIME"; }

# run NS CMD...: a client, bounded in time, stdout only; its stderr goes to $RUNDIR/err
run() {
	local ns=$1
	shift
	timeout -k 2 "$LIMIT" ip netns exec "$ns" "$@" 2>"$RUNDIR/err"
}
fail() { # key what
	log "$1 failed: $2: $(tail -2 "$RUNDIR/err" 2>/dev/null | tr '\n' ' ')"
	echo "$1 fail=1" >>"$RES"
	FAILED=1
}
record() { echo "$*" >>"$RES"; }

# CPU accounting around a ustack measurement: cpu_begin PID; ...; cpu_end -> "cpu=S wall=S"
runq_ns() { # pid -> ns spent runnable but waiting for a CPU (/proc/PID/schedstat, 2nd field)
	local b
	read -r _ b _ 2>/dev/null <"/proc/$1/schedstat" || { echo 0; return; }
	echo "$b"
}
cpu_begin() { CPU_PID=$1; CPU0=$(cpu_ticks "$1"); RQ0=$(runq_ns "$1"); WALL0=$(now); }
cpu_end() {
	local c1 w1 rq1
	c1=$(cpu_ticks "$CPU_PID")
	rq1=$(runq_ns "$CPU_PID")
	w1=$(now)
	awk -v c="$((c1 - CPU0))" -v hz="$HZ" -v a="$WALL0" -v b="$w1" -v rq="$((rq1 - RQ0))" \
		'BEGIN { printf "cpu=%.3f wall=%.3f runq=%.3f", c / hz, b - a, rq / 1e9 }'
}

sink_lines() { wc -l <"$1"; }
sink_wait() { # file old_count -> the new line (the sink prints it before closing)
	for _ in $(seq 100); do
		if [ "$(sink_lines "$1")" -gt "$2" ]; then
			tail -n1 "$1"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

m_ping() { # key ns dst
	local out
	out=$(timeout -k 2 $((PINGS / 100 + 30)) ip netns exec "$2" ping -n -c "$PINGS" -i 0.002 -W 1 "$3" 2>/dev/null |
		/usr/bin/python3 -c '
import re, sys
t = sorted(float(m.group(1)) * 1000 for m in re.finditer(r"time=([0-9.]+) ms", sys.stdin.read()))
print(f"p50={t[len(t)//2]:.1f} p99={t[len(t)*99//100]:.1f} replies={len(t)}" if t else "")') || true
	if [ -n "$out" ]; then record "$1 $out"; else fail "$1" "no ping replies"; fi
}

m_udp_rr() { # key ns dst
	local out
	if out=$(run "$2" "$BIN/udp_rr" "$3" 7 "$RR_SECONDS" 1); then
		record "$1 rate=$(kv rate "$out") p50=$(kv p50_us "$out") p99=$(kv p99_us "$out")"
	else fail "$1" "udp_rr"; fi
}

# kernel -> ustack discard (9), with the daemon's CPU time
m_bulk_to_stack() { # key ns dst port wsize daemon_pid
	local out cpu
	cpu_begin "$6"
	if out=$(run "$2" "$BIN/tcp_bulk" client "$3" "$4" "$DUR" "$5" 30); then
		cpu=$(cpu_end)
		record "$1 gbps=$(kv gbps "$out") bytes=$(kv sent "$out") $cpu"
	else fail "$1" "tcp_bulk client"; fi
}

# kernel -> kernel sink: the client's figure (send + drain, as for the stack) and the sink's
# (accept to EOF, as for the stack's sends); byte counts must agree
m_bulk_kernel() { # key_client key_sink ns dst sinkfile wsize
	local out n line sent got
	n=$(sink_lines "$5")
	if ! out=$(run "$3" "$BIN/tcp_bulk" client "$4" 5001 "$DUR" "$6" 30); then
		fail "$1" "tcp_bulk client"
		return
	fi
	sent=$(kv sent "$out")
	record "$1 gbps=$(kv gbps "$out") bytes=$sent"
	if ! line=$(sink_wait "$5" "$n"); then
		fail "$2" "no report from the sink"
		return
	fi
	got=$(kv received "$line")
	if [ "$got" != "$sent" ]; then
		echo "sink: $line" >"$RUNDIR/err"
		fail "$2" "sent $sent bytes, the sink received $got"
		return
	fi
	record "$2 gbps=$(kv gbps "$line") bytes=$got"
}

# ustack -> kernel sink with the stack's own client; N bytes sized from the previous run
# of the same kind (the warm-up sizes the first)
declare -A TX_N=([u_tx_big]=$((256 << 20)) [u_tx_small]=$((16 << 20)) [u_tx_loss]=$((64 << 20)))
m_bulk_from_stack() { # key kind wsize ns stack_name dst sinkfile daemon_pid
	local key=$1 kind=$2 ws=$3 ns=$4 name=$5 dst=$6 sink=$7 dpid=$8
	local out n line sent got cpu rate
	if [ "$HAVE_TCPC" = 0 ]; then
		record "$key na=1"
		return
	fi
	n=$(sink_lines "$sink")
	cpu_begin "$dpid"
	if ! out=$(run "$ns" "$USTACK" -n "$name" -j tcp connect "$dst" 5001 --send "${TX_N[$kind]}" \
		--write-size "$ws" --shutdown --no-hash --timeout $((LIMIT - 5))); then
		fail "$key" "ustack tcp connect (${out:0:300})"
		return
	fi
	if ! line=$(sink_wait "$sink" "$n"); then
		fail "$key" "no report from the sink"
		return
	fi
	cpu=$(cpu_end)
	sent=$(kv sent "$out")
	got=$(kv received "$line")
	if [ -z "$sent" ] || [ "$got" != "$sent" ] || [ "$got" != "${TX_N[$kind]}" ] ||
		! grep -q '"error": *null' <<<"$out"; then
		echo "ustack: $out; sink: $line" >"$RUNDIR/err"
		fail "$key" "asked ${TX_N[$kind]} bytes, ustack sent '$sent', the sink received '$got'"
		return
	fi
	rate=$(kv gbps "$line")
	record "$key gbps=$rate bytes=$got send_seconds=$(kv send_seconds "$out") $cpu"
	TX_N[$kind]=$(awk -v g="$rate" -v d="$DUR" 'BEGIN { n = g * 1e9 / 8 * d;
		if (n < 1048576) n = 1048576; if (n > 68719476736) n = 68719476736; printf "%d", n }')
}
tx_plain() { # key kind wsize
	m_bulk_from_stack "$1" "$2" "$3" $NSU $TAG 198.18.0.1 "$RUNDIR/sink_u.out" "$DPID_U"
}

# kernel curl downloads /bytes/N from the stack's HTTP service
CURL_N=$((256 << 20))
m_curl() { # key
	local out cpu size speed
	cpu_begin "$DPID_U"
	if ! out=$(run $NSU curl -sS -o /dev/null --max-time $((DUR + 30)) \
		-w '%{size_download} %{speed_download} %{http_code}' "http://198.18.0.2/bytes/$CURL_N"); then
		fail "$1" "curl"
		return
	fi
	cpu=$(cpu_end)
	read -r size speed code <<<"$out"
	if [ "$code" != 200 ] || [ "$size" != "$CURL_N" ]; then
		echo "curl: $out" >"$RUNDIR/err"
		fail "$1" "HTTP $code, $size of $CURL_N bytes"
		return
	fi
	local g
	g=$(awk -v s="$speed" 'BEGIN { printf "%.4f", s * 8 / 1e9 }')
	record "$1 gbps=$g bytes=$size $cpu"
	CURL_N=$(awk -v g="$g" -v d="$DUR" 'BEGIN { n = g * 1e9 / 8 * d;
		if (n < 1048576) n = 1048576; if (n > 68719476736) n = 68719476736; printf "%d", n }')
}

m_tcp_rr() { # key ns dst [daemon_pid]
	local out cpu=
	[ -n "${4:-}" ] && cpu_begin "$4"
	if out=$(run "$2" "$BIN/tcp_rr" client "$3" 7 "$DUR"); then
		[ -n "${4:-}" ] && cpu=$(cpu_end)
		record "$1 rate=$(kv rate "$out") p50=$(kv p50_us "$out") p99=$(kv p99_us "$out") n=$(kv transactions "$out") $cpu"
	else fail "$1" "tcp_rr"; fi
}

m_tcp_crr() { # key ns dst [daemon_pid]
	local out cpu=
	[ -n "${4:-}" ] && cpu_begin "$4"
	if out=$(run "$2" "$BIN/tcp_crr" "$3" 7 "$DUR" "$CRR_PARALLEL" "$CRR_MAX"); then
		[ -n "${4:-}" ] && cpu=$(cpu_end)
		record "$1 rate=$(kv rate "$out") p50=$(kv p50_us "$out") p99=$(kv p99_us "$out") n=$(kv connections "$out") failed=$(kv failed "$out") $cpu"
	else fail "$1" "tcp_crr"; fi
}

# ---- warm-up (not counted): sizes the stack's byte-count transfers to ~BENCH_SECONDS ---
log "warm-up ..."
tx_plain warm u_tx_big 131072 || true
tx_plain warm u_tx_small 64 || true
m_bulk_from_stack warm u_tx_loss 131072 $NSLE $TAG-l 198.18.2.1 "$RUNDIR/sink_lk.out" "$DPID_L" || true
m_curl warm || true
sed -i '/^warm /d' "$RES"
FAILED=0

# ---- rounds ----------------------------------------------------------------------------
alive() { # the daemons must outlive every round, else the rest would measure nothing
	local p n
	for p in "$DPID_U:$TAG" "$DPID_L:$TAG-l"; do
		n=${p#*:}
		if ! kill -0 "${p%%:*}" 2>/dev/null; then
			log "the ustack daemon $n died; its stderr:"
			tail -20 "$RUNDIR/$n.err" >&2
			exit 1
		fi
	done
}
for r in $(seq "$ROUNDS"); do
	alive
	log "round $r/$ROUNDS ..."
	m_ping u_ping $NSU 198.18.0.2
	m_ping k_ping $NSK1 198.18.1.2
	m_udp_rr u_udp $NSU 198.18.0.2
	m_udp_rr k_udp $NSK1 198.18.1.2
	m_bulk_to_stack u_rx_big $NSU 198.18.0.2 9 131072 "$DPID_U"
	m_bulk_kernel k_rx_big k_tx_big $NSK1 198.18.1.2 "$RUNDIR/sink_k.out" 131072
	m_bulk_to_stack u_rx_small $NSU 198.18.0.2 9 64 "$DPID_U"
	m_bulk_kernel k_rx_small k_tx_small $NSK1 198.18.1.2 "$RUNDIR/sink_k.out" 64
	tx_plain u_tx_big u_tx_big 131072
	tx_plain u_tx_small u_tx_small 64
	m_curl u_curl
	m_tcp_rr u_rr $NSU 198.18.0.2 "$DPID_U"
	m_tcp_rr k_rr $NSK1 198.18.1.2
	m_tcp_crr u_crr $NSU 198.18.0.2 "$DPID_U"
	m_tcp_crr k_crr $NSK1 198.18.1.2
	m_bulk_to_stack u_loss $NSLK 198.18.2.2 9 131072 "$DPID_L"
	m_bulk_kernel k_loss k_loss_sink $NSLA 198.18.3.2 "$RUNDIR/sink_l.out" 131072
	m_bulk_from_stack u_tx_loss u_tx_loss 131072 $NSLE $TAG-l 198.18.2.1 "$RUNDIR/sink_lk.out" "$DPID_L"
done

alive

# the link emulators' own accounting of what they dropped
for p in $LK_U $LK_K; do kill -TERM "$p" 2>/dev/null || true; done
for p in $LK_U $LK_K; do
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
done

/usr/bin/python3 - "$RES" "$ROUNDS" "$DUR" "$CRR_PARALLEL" "$LOSS_SPEC" "$LOSS_SEED" "$PINGS" \
	"$HAVE_TCPC" "$RUNDIR/linkem_u.out" "$RUNDIR/linkem_k.out" "$(nproc)" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" "${KERNEL_CC:-$MACHINE_CC}" "$MACHINE_CC" "$USTACK" <<'PY'
import re, statistics, sys
res, rounds, dur, par, spec, seed, pings, have_tcpc, lk_u, lk_k, ncpu, load, kcc, mcc, binary = sys.argv[1:]
data = {}
for line in open(res):
    key, *kvs = line.split()
    rec = {}
    for x in kvs:
        k, _, v = x.partition("=")
        try:
            rec[k] = float(v)
        except ValueError:
            pass
    data.setdefault(key, []).append(rec)

def med(key, field):
    """Median over the rounds that measured @field (with a "!" when other rounds of it
    failed), "fail" if all failed, "na" if not measurable, None if never run."""
    runs = data.get(key, [])
    vals = [r[field] for r in runs if field in r and "fail" not in r]
    if any("na" in r for r in runs):
        return "na", False
    if not vals:
        return ("fail" if runs else None), False
    return statistics.median(vals), any("fail" in r for r in runs)

def derived(key, f):
    vals = [f(r) for r in data.get(key, []) if "cpu" in r and "fail" not in r]
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None

def cell(v, fmt):
    v, partial = v
    if v == "fail":
        return "FAILED"
    if v == "na":
        return "n/a"
    return "-" if v is None else format(v, fmt) + ("!" if partial else "")

def cpu_note(key, per):
    core = derived(key, lambda r: r["cpu"] / r["wall"] if r["wall"] else None)
    if core is None:
        return ""
    cpu = derived(key, lambda r: r["cpu"])
    s = f"{cpu:.2f} s, {core * 100:.0f}% of a core"
    rq = derived(key, lambda r: r.get("runq", 0) / r["wall"] if r["wall"] else None)
    if rq is not None and rq >= 0.05:
        s += f" (+{rq * 100:.0f}% waiting for one)"
    if per == "gbit":
        c = derived(key, lambda r: r["cpu"] / (r["bytes"] * 8 / 1e9) if r.get("bytes") else None)
        if c is not None:
            s += f", {c:.2f} s/Gbit (one core: {1 / c:.1f} Gbit/s)" if c else ""
    elif per == "op":
        c = derived(key, lambda r: r["cpu"] / r["n"] * 1e6 if r.get("n") else None)
        if c is not None:
            s += f", {c:.1f} us/op (one core: {1e6 / c:,.0f}/s)" if c else ""
    return s

ROWS = [
    # label, ustack (key, field), kernel (key, field), format, unit, higher is better, cpu
    ("ICMP echo RTT p50", ("u_ping", "p50"), ("k_ping", "p50"), ".0f", "us", False, None),
    ("ICMP echo RTT p99", ("u_ping", "p99"), ("k_ping", "p99"), ".0f", "us", False, None),
    ("UDP 1-byte RR rate", ("u_udp", "rate"), ("k_udp", "rate"), ".0f", "trans/s", True, None),
    ("UDP 1-byte RR p50", ("u_udp", "p50"), ("k_udp", "p50"), ".0f", "us", False, None),
    ("UDP 1-byte RR p99", ("u_udp", "p99"), ("k_udp", "p99"), ".0f", "us", False, None),
    ("TCP bulk kernel->stack, 128 KiB writes", ("u_rx_big", "gbps"), ("k_rx_big", "gbps"), ".2f", "Gbit/s", True, "gbit"),
    ("TCP bulk kernel->stack, 64 B writes", ("u_rx_small", "gbps"), ("k_rx_small", "gbps"), ".3f", "Gbit/s", True, "gbit"),
    ("TCP bulk stack->kernel, 128 KiB writes", ("u_tx_big", "gbps"), ("k_tx_big", "gbps"), ".2f", "Gbit/s", True, "gbit"),
    ("TCP bulk stack->kernel, 64 B writes", ("u_tx_small", "gbps"), ("k_tx_small", "gbps"), ".3f", "Gbit/s", True, "gbit"),
    ("HTTP GET stack->kernel (curl) *", ("u_curl", "gbps"), ("k_tx_big", "gbps"), ".2f", "Gbit/s", True, "gbit"),
    ("TCP 1-byte RR rate", ("u_rr", "rate"), ("k_rr", "rate"), ".0f", "trans/s", True, "op"),
    ("TCP 1-byte RR p50", ("u_rr", "p50"), ("k_rr", "p50"), ".0f", "us", False, None),
    ("TCP 1-byte RR p99", ("u_rr", "p99"), ("k_rr", "p99"), ".0f", "us", False, None),
    ("TCP connections/s (CRR)", ("u_crr", "rate"), ("k_crr", "rate"), ".0f", "conn/s", True, "op"),
    ("TCP connection p50", ("u_crr", "p50"), ("k_crr", "p50"), ".0f", "us", False, None),
    ("TCP connection p99", ("u_crr", "p99"), ("k_crr", "p99"), ".0f", "us", False, None),
    (f"TCP bulk kernel->X, {spec} via linkem", ("u_loss", "gbps"), ("k_loss", "gbps"), ".3f", "Gbit/s", True, "gbit"),
    (f"TCP bulk X->kernel, {spec} via linkem", ("u_tx_loss", "gbps"), ("k_loss_sink", "gbps"), ".3f", "Gbit/s", True, "gbit"),
]
print(f"ustack on TAP vs Linux kernel over veth: medians of {rounds} rounds of {dur} s "
      f"({ncpu} CPUs, load average at the end {load})")
print(f"TCP congestion control of the bulk senders: kernel {kcc} (this machine's default: {mcc}), "
      "ustack cubic")
print(f"{'metric':<42} {'ustack':>9} {'kernel':>9} {'ratio':>7}  {'unit':<8} ustack daemon CPU")
for label, (uk, uf), (kk, kf), fmt, unit, hib, per in ROWS:
    u, k = med(uk, uf), med(kk, kf)
    note = cpu_note(uk, per) if per else ""
    if u[0] == "na":
        note = "n/a (needs ustack tcp)"
    ratio = f"{u[0] / k[0]:6.2f}x" if isinstance(u[0], float) and isinstance(k[0], float) and k[0] else "-"
    arrow = "^" if hib else "v"
    print(f"{label:<42} {cell(u, fmt):>9} {cell(k, fmt):>9} {ratio:>7}  {unit + ' ' + arrow:<8} {note}")

def linkem(path):
    out = []
    for line in open(path):
        m = re.match(r"linkem (\S+) -> (\S+): (.*)", line.strip())
        if m:
            w = m.group(3).split()
            st = {w[i]: int(w[i + 1]) for i in range(0, len(w) - 1, 2) if w[i + 1].isdigit()}
            if st.get("in"):
                out.append(f"{m.group(1)}->{m.group(2)} lost {st.get('lost', 0)}/{st['in']} "
                           f"({100 * st.get('lost', 0) / st['in']:.2f} %)")
    return "; ".join(out) or "no statistics"

print(f"""
How measured (^ higher is better, v lower is better; ratio = ustack / kernel; FAILED: every
round of it failed, "!": some did; the errors are on stderr above):
- ustack: the kernel in namespace U talks over a TAP device to the ustack daemon (one
  thread; use a release build): {binary}
  kernel: two namespaces joined by a veth pair. Same client tools, same machine,
  alternating ustack/kernel measurement by measurement, {rounds} rounds, medians.
- ICMP: ping -i 0.002 ({pings} per round). UDP RR: bench/udp_rr, 1-byte datagrams to echo (7).
- TCP bulk kernel->stack: bench/tcp_bulk client writes for {dur} s into ustack's discard
  service (9) / tcp_bulk's sink; rate = bytes / (established .. the server's FIN after our
  FIN), so it includes the drain; the server's in-sequence FIN proves every byte arrived.
- TCP bulk stack->kernel: `ustack tcp connect --send N --write-size B` (N sized to ~{dur} s
  from the previous run) into tcp_bulk's sink; rate and byte count are the sink's (accept ..
  EOF). The kernel figure is the sink's in the kernel->kernel run with the same write size.
  64 B writes: each costs the kernel client a send() syscall; ustack's --write-size is a
  us_send() call inside the daemon (no syscall), so that row measures the APIs' per-call cost.
- * HTTP: curl GET /bytes/N from ustack's HTTP service (80), size checked; no kernel HTTP
  server here is fast enough to be a fair peer, so its kernel column is tcp_bulk's.
- TCP RR: bench/tcp_rr, one connection, TCP_NODELAY, 1 byte each way, echo checked, {dur} s;
  against ustack's echo (7) / `tcp_rr server`.
- CRR: bench/tcp_crr, {par} connection(s) at a time: connect, 1 byte each way, close; latency
  is socket()..close(). The client closes first and keeps TIME_WAITs, so the client
  namespaces set ip_local_port_range 1024-65535 and tcp_tw_reuse=1, and a run is capped at
  CRR_MAX connections; running out of ports would fail the row, not skew it.
- Loss: the same tcp_bulk (128 KiB writes) through `ustack linkem --both {spec} --seed {seed}`
  in both paths (kernel->ustack over TAP, kernel->kernel over veth): "kernel->X" has the
  kernel's TCP sending in both (it compares the receivers: ACKs, SACKs, windows); "X->kernel"
  is `ustack tcp connect` sending, against the same kernel->kernel run's sink figure (it
  compares the senders' loss recovery and congestion control). linkem's own count:
  ustack path: {linkem(lk_u)}
  kernel path: {linkem(lk_k)}
- CPU: utime+stime of the ustack daemon from /proc/PID/stat around each measurement (10 ms
  ticks): CPU seconds, share of one core during the run, and CPU seconds per Gbit moved or
  CPU microseconds per transaction/connection, with the rate one fully busy core would give
  at that cost (a ceiling estimate, not a measurement); "waiting for one": time the daemon was
  runnable but had no CPU (/proc/PID/schedstat), i.e. the machine was busy with something
  else (if large, rerun on an idle machine). The kernel's CPU (softirq) is not attributed.""")
if have_tcpc == "0":
    print("- stack->kernel rows: n/a, this ustack has no `tcp connect` command yet.")
PY
[ "$FAILED" = 0 ] || { log "some measurements failed (see above)"; exit 1; }
