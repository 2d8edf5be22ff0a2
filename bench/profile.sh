#!/bin/bash
# profile.sh - where ustack's time goes in a bulk transfer, each way.
#
#   bench/profile.sh [PATH/TO/ustack]     (root; a release build: build-bench/tools/ustack)
#
# Setup as bench/run.sh's: the kernel in a namespace (tp0 198.18.0.1) talks over a TAP
# device to the ustack daemon (198.18.0.2). Two transfers, PROFILE_SECONDS (5) each:
#   rx: the kernel's bench/tcp_bulk client (128 KiB writes) -> ustack's discard service (9)
#   tx: `ustack tcp connect --send N --no-hash` -> tcp_bulk's sink in the kernel
# For each, the daemon is sampled with `perf record` (cpu-clock, PERF_FREQ Hz, call graphs
# by PERF_CALLGRAPH: dwarf by default since release builds omit frame pointers; "fp" or
# "none" are cheaper) and the report prints: the split between the kernel (syscalls, TAP)
# and user space, the TOP functions by self time, and the same by inclusive time. Where perf
# cannot sample (perf_event_paranoid, no PMU) it falls back to `perf stat`, and then to
# nothing but the rest. Then a shorter run of each under `strace -c -f` (syscall counts;
# strace slows the daemon a lot, so its rate is not a benchmark) and the daemon's own
# counters (ustack stat) over the transfer, which give segments and frames per syscall.
# Everything is removed on exit.
set -euo pipefail
USTACK=$(realpath "${1:-build-bench/tools/ustack}")
BIN=$(realpath "$(dirname "$USTACK")/../bench")
DUR=${PROFILE_SECONDS:-5}
TOP=${TOP:-25}
PERF_FREQ=${PERF_FREQ:-999}
PERF_CALLGRAPH=${PERF_CALLGRAPH:-dwarf}
STRACE_SECONDS=${STRACE_SECONDS:-2}
TAG=usp$$
NS=$TAG-u
RUNDIR=$(mktemp -d /tmp/ustack-profile.XXXXXX)
export USTACK_RUNDIR=$RUNDIR
PIDS=()

[ "$(id -u)" -eq 0 ] || { echo "profile: needs root (namespaces, TAP)" >&2; exit 1; }
[ -x "$BIN/tcp_bulk" ] || { echo "profile: $BIN/tcp_bulk missing (build first)" >&2; exit 1; }

cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$RUNDIR"
}
trap cleanup EXIT INT TERM
log() { echo "profile: $*" >&2; }
wait_line() {
	for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	log "not ready: $1: $(tail -3 "$1" 2>/dev/null)"
	exit 1
}

ip netns add $NS
ip -n $NS link set lo up
ip netns exec $NS "$USTACK" daemon --name $TAG --tap tp0 --addr 198.18.0.2/24 \
	>"$RUNDIR/d.out" 2>"$RUNDIR/d.err" &
DPID=$!
PIDS+=("$DPID")
wait_line "$RUNDIR/d.out" ready
ip -n $NS addr add 198.18.0.1/24 dev tp0
ip -n $NS link set tp0 up
ip netns exec $NS "$BIN/tcp_bulk" server 5001 >"$RUNDIR/sink.out" 2>&1 &
PIDS+=($!)
wait_line "$RUNDIR/sink.out" listening
ip netns exec $NS ping -c 2 -i 0.2 -W 2 198.18.0.2 >/dev/null

HAVE_TCPC=1
TCPC_PROBE=$("$USTACK" tcp 2>&1 || true)
[[ $TCPC_PROBE == *"unknown command"* ]] && HAVE_TCPC=0

# How perf can be used here.
MODE=none
if command -v perf >/dev/null; then
	if perf record -e cpu-clock -o "$RUNDIR/probe.data" -- true >/dev/null 2>&1; then
		MODE=record
	elif perf stat -e task-clock -- true >/dev/null 2>&1; then
		MODE=stat
	fi
fi
log "perf mode: $MODE"

# shellcheck disable=SC2086 # split /proc/PID/stat into its fields
cpu_ticks() { local s; s=$(<"/proc/$1/stat"); s=${s##*) }; set -- $s; echo $((${12} + ${13})); }
runq_ns() { local b; read -r _ b _ 2>/dev/null <"/proc/$1/schedstat" || { echo 0; return; }; echo "$b"; }
HZ=$(getconf CLK_TCK)

TX_N=$((64 << 20))
# One transfer of about $1 seconds in direction $2 (rx|tx); prints its result line.
transfer() {
	local secs=$1 dir=$2 out n line
	if [ "$dir" = rx ]; then
		timeout -k 2 $((secs + 40)) ip netns exec $NS "$BIN/tcp_bulk" client 198.18.0.2 9 \
			"$secs" 131072 30
	else
		n=$(wc -l <"$RUNDIR/sink.out")
		out=$(timeout -k 2 $((secs * 4 + 40)) ip netns exec $NS "$USTACK" -n $TAG -j tcp connect \
			198.18.0.1 5001 --send "$TX_N" --write-size 131072 --shutdown --no-hash \
			--timeout $((secs * 4 + 30)))
		for _ in $(seq 100); do [ "$(wc -l <"$RUNDIR/sink.out")" -gt "$n" ] && break; sleep 0.05; done
		line=$(tail -n1 "$RUNDIR/sink.out")
		echo "$line"
		grep -q '"error": *null' <<<"$out" || log "tcp connect: ${out:0:300}"
	fi
}
gbps_of() { sed -nE 's/.*gbps=([0-9.]+).*/\1/p' <<<"$1"; }
size_tx() { # size the next stack send to ~$2 seconds from result line $1
	local g
	g=$(gbps_of "$1")
	[ -n "$g" ] && TX_N=$(awk -v g="$g" -v d="$2" 'BEGIN { n = g * 1e9 / 8 * d;
		if (n < 1048576) n = 1048576; printf "%d", n }')
}

counters() { "$USTACK" -n $TAG -j stat 2>/dev/null || echo '{}'; }

report_perf() { # data file
	local f=$1
	echo "-- where (by DSO, self time):"
	perf report -i "$f" --stdio --no-children --sort dso -g none --percent-limit 0.5 2>/dev/null |
		grep -E '^ +[0-9]' | sed -E 's/( +-)+ *$//' | head -8 || true
	echo "-- top $TOP functions by self time:"
	perf report -i "$f" --stdio --no-children --sort symbol,dso -g none --percent-limit 0.3 2>/dev/null |
		grep -E '^ +[0-9]' | sed -E 's/( +-)+ *$//' | head -"$TOP" || true
	if [ "$PERF_CALLGRAPH" != none ]; then
		echo "-- top $TOP functions by inclusive time (self + callees):"
		perf report -i "$f" --stdio --children --sort symbol -g none --percent-limit 2 2>/dev/null |
			grep -E '^ +[0-9]' | sed -E 's/( +-)+ *$//' | head -"$TOP" || true
	fi
}

profile_dir() { # rx|tx
	local dir=$1 c0 c1 res before after
	echo
	if [ "$dir" = rx ]; then
		echo "==== rx: kernel tcp_bulk (128 KiB writes) -> ustack discard (9), $DUR s"
	else
		echo "==== tx: ustack tcp connect --send (128 KiB writes) -> kernel sink, ~$DUR s"
		res=$(transfer 1 tx) # sizes the transfer to ~DUR s
		size_tx "$res" "$DUR"
	fi
	before=$(counters)
	c0=$(cpu_ticks $DPID)
	local rq0 rq1
	rq0=$(runq_ns $DPID)
	local t0=$EPOCHREALTIME
	case $MODE in
	record)
		local cg=()
		[ "$PERF_CALLGRAPH" != none ] && cg=(--call-graph "$PERF_CALLGRAPH")
		[ "$PERF_CALLGRAPH" = dwarf ] && cg=(--call-graph "dwarf,16384")
		perf record -e cpu-clock -F "$PERF_FREQ" "${cg[@]}" -p $DPID -o "$RUNDIR/$dir.data" \
			>/dev/null 2>"$RUNDIR/perf.err" &
		;;
	stat)
		perf stat -e task-clock,context-switches,cpu-migrations,page-faults -p $DPID \
			-o "$RUNDIR/$dir.stat" >/dev/null 2>&1 &
		;;
	esac
	local PP=${!:-}
	[ "$MODE" != none ] && PIDS+=("$PP")
	sleep 0.3
	res=$(transfer "$DUR" "$dir")
	[ "$MODE" != none ] && { kill -INT "$PP" 2>/dev/null || true; wait "$PP" 2>/dev/null || true; }
	c1=$(cpu_ticks $DPID)
	rq1=$(runq_ns $DPID)
	after=$(counters)
	echo "result: $res"
	awk -v c="$((c1 - c0))" -v hz="$HZ" -v a="$t0" -v b="$EPOCHREALTIME" -v g="$(gbps_of "$res")" \
		-v rq="$((rq1 - rq0))" \
		'BEGIN { cpu = c / hz; w = b - a; printf "daemon CPU: %.2f s in %.2f s (%.0f%% of a core; runnable but waiting for a CPU %.2f s)", cpu, w, 100 * cpu / w, rq / 1e9;
			 if (g > 0) printf ", %.2f CPU-s per Gbit", cpu / (g * w); print "" }'
	case $MODE in
	record) report_perf "$RUNDIR/$dir.data" ;;
	stat) echo "-- perf stat:"; grep -vE '^\s*$|^#' "$RUNDIR/$dir.stat" || true ;;
	esac
	echo "-- the daemon's counters over the transfer (largest changes):"
	/usr/bin/python3 - "$before" "$after" <<'PY'
import json, sys
def flat(o, pre=""):
    if isinstance(o, dict):
        for k, v in o.items():
            yield from flat(v, f"{pre}{k}.")
    elif isinstance(o, list):
        for i, v in enumerate(o):
            name = v.get("name") or v.get("ifname") if isinstance(v, dict) else None
            yield from flat(v, f"{pre}{name or i}.")
    elif isinstance(o, (int, float)) and not isinstance(o, bool):
        yield pre[:-1], o
try:
    a, b = dict(flat(json.loads(sys.argv[1]))), dict(flat(json.loads(sys.argv[2])))
except ValueError:
    print("   (no counters)"); sys.exit()
d = sorted(((b[k] - a.get(k, 0), k) for k in b if b[k] != a.get(k, 0)), reverse=True)
for v, k in d[:16]:
    print(f"   {k:<48} {v:>14,}")
PY
	if command -v strace >/dev/null && [ "$STRACE_SECONDS" != 0 ]; then
		echo "-- syscalls (strace -c -f, ${STRACE_SECONDS} s; strace slows the daemon, rate not meaningful):"
		[ "$dir" = tx ] && size_tx "$res" "$STRACE_SECONDS" && TX_N=$((TX_N / 4))
		timeout -k 1 $((STRACE_SECONDS + 1)) strace -c -f -p $DPID -o "$RUNDIR/$dir.strace" 2>/dev/null &
		local SP=$!
		sleep 0.3
		transfer "$STRACE_SECONDS" "$dir" >/dev/null || true
		wait $SP 2>/dev/null || true
		grep -E '^ *[0-9]|^%|total' "$RUNDIR/$dir.strace" | head -12 || true
	fi
}

profile_dir rx
if [ "$HAVE_TCPC" = 1 ]; then
	profile_dir tx
else
	echo; echo "==== tx: n/a (this ustack has no \`tcp connect\` command)"
fi
