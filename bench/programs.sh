#!/bin/bash
# programs.sh - unmodified programs on ustack versus the Linux kernel, side by side, in one run.
#
#   bench/programs.sh [PATH/TO/ustack]      (root; `make bench` runs it after run.sh)
#
# The same server programs run three ways, each against the kernel of a peer namespace
# running the client tool (198.18.x.x, namespaces removed on exit):
#   shared:     ns SU: kernel 198.18.5.1 --TAP--> `ustack daemon` 198.18.5.2; the server runs
#               under `ustack run --name` (its sockets in the daemon, over the channel)
#   in-process: ns PU: kernel 198.18.6.1 --TAP--> the server under `ustack run --tap ... --addr
#               198.18.6.2/24` (the stack is a thread of the server process)
#   kernel:     ns K1 198.18.7.1 --veth--> ns K2 198.18.7.2, the server in K2
# Measurements (each bounded in time), medians of ROUNDS rounds, modes alternating:
#   iperf3 -s on X, the kernel's iperf3 -c (X receives) and -c -R (X sends), BENCH_SECONDS each;
#   redis-server on X, the kernel's redis-benchmark -t set,get -n REDIS_N (-P 1 and -P 16);
#   nginx on X (1 worker, a 4 KiB file), the kernel's wrk -t1 -c WRK_CONN -d BENCH_SECONDS:
#   requests/s and latency p50/p99.
# Syscalls: iperf3 -s traced with `strace -f -c` while it receives and while it sends
#   SYSCALL_MIB MiB: system calls per MiB moved, ustack (shared mode) versus the kernel.
#   ustack's data path is the shared rings: a busy stream must not cost a call per send/recv.
# Environment: ROUNDS (3), BENCH_SECONDS (3), REDIS_N (100000), WRK_CONN (16), SYSCALL_MIB (256),
# MODES ("kernel shared inproc").
# Exit status: 0, or 1 if a measurement failed (the table says which).
set -uo pipefail
USTACK=$(realpath "${1:-build/tools/ustack}")
ROUNDS=${ROUNDS:-3}
DUR=${BENCH_SECONDS:-3}
REDIS_N=${REDIS_N:-100000}
WRK_CONN=${WRK_CONN:-16}
SYSCALL_MIB=${SYSCALL_MIB:-256}
MODES=${MODES:-kernel shared inproc}
TAG=ubp$$
NSS=$TAG-s NSP=$TAG-p NSK1=$TAG-k1 NSK2=$TAG-k2
WORK=$(mktemp -d /tmp/ustack-progbench.XXXXXX)
export USTACK_RUNDIR=$WORK/run
mkdir -p "$USTACK_RUNDIR"
RES=$WORK/results
PIDS=()
FAILED=0

log() { echo "programs: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "needs root (namespaces, TAP)"; exit 1; }
for t in iperf3 redis-server redis-benchmark nginx wrk strace; do
	command -v $t >/dev/null || { log "$t missing (scripts/install-deps.sh)"; exit 1; }
done
[ "$MODES" = kernel ] || "$USTACK" run --help >/dev/null 2>&1 ||
	{ log "$USTACK has no 'run' command"; exit 1; }

cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	pkill -KILL -f "$WORK" 2>/dev/null || true
	for ns in $NSS $NSP $NSK1 $NSK2; do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# ---- setups ----------------------------------------------------------------------------
for ns in $NSS $NSP $NSK1 $NSK2; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip netns exec $NSS "$USTACK" daemon --name $TAG --tap tp0 --addr 198.18.5.2/24 \
	>"$WORK/daemon.out" 2>"$WORK/daemon.err" &
PIDS+=($!)
for _ in $(seq 100); do grep -q ready "$WORK/daemon.out" && break; sleep 0.05; done
grep -q ready "$WORK/daemon.out" || { log "daemon: $(cat "$WORK/daemon.err")"; exit 1; }
ip -n $NSS addr add 198.18.5.1/24 dev tp0
ip -n $NSS link set tp0 up
# in-process mode: the TAP is created by the program's stack thread; the kernel side is
# configured once it exists (see start_server)
ip link add kv1 netns $NSK1 type veth peer name kv2 netns $NSK2
ip -n $NSK1 addr add 198.18.7.1/24 dev kv1
ip -n $NSK2 addr add 198.18.7.2/24 dev kv2
ip -n $NSK1 link set kv1 up
ip -n $NSK2 link set kv2 up

# mode -> (namespace of the client, server address, how to start the server)
client_ns() { case $1 in shared) echo $NSS ;; inproc) echo $NSP ;; kernel) echo $NSK1 ;; esac; }
server_addr() { case $1 in shared) echo 198.18.5.2 ;; inproc) echo 198.18.6.2 ;; kernel) echo 198.18.7.2 ;; esac; }

# start_server MODE NAME CMD...: runs CMD as MODE's server in the background; sets SPID
start_server() {
	local mode=$1 name=$2
	shift 2
	case $mode in
	shared)
		ip netns exec $NSS "$USTACK" run --name $TAG -- "$@" >"$WORK/$name.out" 2>&1 &
		;;
	inproc)
		ip netns exec $NSP "$USTACK" run --tap tq0 --addr 198.18.6.2/24 -- "$@" \
			>"$WORK/$name.out" 2>&1 &
		;;
	kernel)
		ip netns exec $NSK2 "$@" >"$WORK/$name.out" 2>&1 &
		;;
	esac
	SPID=$!
	PIDS+=("$SPID")
	if [ "$mode" = inproc ]; then
		for _ in $(seq 100); do ip -n $NSP link show tq0 >/dev/null 2>&1 && break; sleep 0.05; done
		ip -n $NSP addr add 198.18.6.1/24 dev tq0 2>/dev/null
		ip -n $NSP link set tq0 up
	fi
}
stop_server() {
	kill -TERM "$SPID" 2>/dev/null
	for _ in $(seq 40); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	true
}
wait_port() { # ns addr port: up to 5 s for a TCP server to answer
	for _ in $(seq 50); do
		timeout 1 ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
record() { echo "$*" >>"$RES"; }
fail() { log "$1 $2 failed: $3"; record "$1 $2 fail"; FAILED=1; }
cli() { timeout -k 2 $((DUR * 3 + 30)) ip netns exec "$@"; }

# ---- measurements ----------------------------------------------------------------------
bench_iperf3() { # mode
	local m=$1 ns addr out
	ns=$(client_ns "$m")
	addr=$(server_addr "$m")
	start_server "$m" iperf3 iperf3 -s -p 5201
	wait_port "$ns" "$addr" 5201 || { fail "$m" iperf3 "server not up: $(tail -2 "$WORK/iperf3.out")"; stop_server; return; }
	for dir in recv send; do
		local flag=""
		[ $dir = send ] && flag=-R
		out=$(cli "$ns" iperf3 -c "$addr" -p 5201 -t "$DUR" $flag -J 2>&1)
		local bps
		bps=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["end"]["sum_received"]["bits_per_second"])' <<<"$out" 2>/dev/null)
		if [ -n "$bps" ]; then record "$m iperf3_$dir $bps"; else fail "$m" "iperf3_$dir" "$(tail -c 300 <<<"$out")"; fi
	done
	stop_server
}

bench_redis() { # mode
	local m=$1 ns addr
	ns=$(client_ns "$m")
	addr=$(server_addr "$m")
	start_server "$m" redis redis-server --port 6379 --bind "$addr" --save "" --appendonly no \
		--protected-mode no --dir "$WORK"
	wait_port "$ns" "$addr" 6379 || { fail "$m" redis "server not up: $(tail -2 "$WORK/redis.out")"; stop_server; return; }
	for pipe in 1 16; do
		local out
		out=$(cli "$ns" redis-benchmark -h "$addr" -p 6379 -t set,get -n "$REDIS_N" -P $pipe -q 2>&1 | tr '\r' '\n')
		for op in SET GET; do
			local rps
			rps=$(sed -nE "s/^$op: ([0-9.]+) requests per second.*/\1/p" <<<"$out" | tail -1)
			if [ -n "$rps" ]; then record "$m redis_${op}_P$pipe $rps"; else fail "$m" "redis_${op}_P$pipe" "$(tail -c 200 <<<"$out")"; fi
		done
	done
	stop_server
}

bench_nginx() { # mode
	local m=$1 ns addr conf
	ns=$(client_ns "$m")
	addr=$(server_addr "$m")
	mkdir -p "$WORK/www" "$WORK/nginx-$m"
	head -c 4096 /dev/urandom >"$WORK/www/4k"
	conf=$WORK/nginx-$m/nginx.conf
	cat >"$conf" <<-EOF
	daemon off;
	master_process on;
	worker_processes 1;
	pid $WORK/nginx-$m/nginx.pid;
	error_log $WORK/nginx-$m/error.log warn;
	events { worker_connections 1024; }
	http {
		access_log off;
		client_body_temp_path $WORK/nginx-$m;
		proxy_temp_path $WORK/nginx-$m;
		fastcgi_temp_path $WORK/nginx-$m;
		uwsgi_temp_path $WORK/nginx-$m;
		scgi_temp_path $WORK/nginx-$m;
		server { listen $addr:8080; root $WORK/www; }
	}
	EOF
	start_server "$m" nginx nginx -c "$conf" -e "$WORK/nginx-$m/error.log"
	wait_port "$ns" "$addr" 8080 || { fail "$m" wrk "nginx not up: $(tail -2 "$WORK/nginx-$m/error.log" 2>/dev/null)"; stop_server; return; }
	local out rps p50 p99
	out=$(cli "$ns" wrk -t1 -c "$WRK_CONN" -d "${DUR}s" --latency "http://$addr:8080/4k" 2>&1)
	rps=$(sed -nE 's/^Requests\/sec: *([0-9.]+).*/\1/p' <<<"$out")
	p50=$(awk '$1=="50%"{print $2}' <<<"$out")
	p99=$(awk '$1=="99%"{print $2}' <<<"$out")
	if [ -n "$rps" ]; then record "$m wrk_rps $rps"; record "$m wrk_p50 $p50"; record "$m wrk_p99 $p99"; else fail "$m" wrk "$(tail -c 300 <<<"$out")"; fi
	stop_server
}

# Syscalls per MiB of iperf3's server: strace -f -c around it while it moves SYSCALL_MIB MiB.
bench_syscalls() { # mode dir
	local m=$1 dir=$2 ns addr flag=""
	ns=$(client_ns "$m")
	addr=$(server_addr "$m")
	[ "$dir" = send ] && flag=-R
	start_server "$m" strace strace -f -c -o "$WORK/strace-$m-$dir" iperf3 -s -p 5202
	# (iperf3 drops wait_port's probe, a control connection without a cookie, and goes on)
	wait_port "$ns" "$addr" 5202 || { fail "$m" "syscalls_$dir" "server not up"; stop_server; return; }
	cli "$ns" iperf3 -c "$addr" -p 5202 -n "${SYSCALL_MIB}M" $flag >/dev/null 2>&1
	# iperf3 ends on SIGTERM; strace then writes its summary and exits
	pkill -TERM -f "^iperf3 -s -p 5202" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
	stop_server
	local total
	# strace -c: "% time, seconds, usecs/call, calls, errors (may be empty), syscall"
	total=$(awk '$NF=="total"{print $4}' "$WORK/strace-$m-$dir" 2>/dev/null)
	if [ -n "$total" ]; then
		record "$m syscalls_$dir $(awk -v t="$total" -v m="$SYSCALL_MIB" 'BEGIN{printf "%.1f", t/m}')"
		sort -k4 -n -r "$WORK/strace-$m-$dir" | awk 'NF>=5 && $NF!="total"{print $NF"="$4}' | head -4 |
			tr '\n' ' ' >"$WORK/top-$m-$dir"
	else
		fail "$m" "syscalls_$dir" "no strace summary"
	fi
}

: >"$RES"
for r in $(seq "$ROUNDS"); do
	log "round $r/$ROUNDS"
	for m in $MODES; do bench_iperf3 $m; done
	for m in $MODES; do bench_redis $m; done
	for m in $MODES; do bench_nginx $m; done
done
for m in $MODES; do
	[ $m = inproc ] && continue
	bench_syscalls $m recv
	bench_syscalls $m send
done

# ---- table -----------------------------------------------------------------------------
python3 - "$RES" "$WORK" <<'EOF'
import statistics, sys, os
res, work = sys.argv[1], sys.argv[2]
vals, fails = {}, set()
for line in open(res):
    m, key, v = line.split()[:3]
    if v == "fail":
        fails.add((m, key)); continue
    vals.setdefault((m, key), []).append(v)
def med(m, key):
    xs = vals.get((m, key))
    if not xs: return None
    if key.startswith("wrk_p"):
        def ms(s):
            s = str(s)
            for suf, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
                if s.endswith(suf): return float(s[:-len(suf)]) * f
            return float(s)
        return statistics.median(ms(x) for x in xs)
    return statistics.median(float(x) for x in xs)
rows = [("iperf3, X receives (Gbit/s)", "iperf3_recv", 1e-9), ("iperf3, X sends -R (Gbit/s)", "iperf3_send", 1e-9),
        ("redis SET req/s", "redis_SET_P1", 1), ("redis GET req/s", "redis_GET_P1", 1),
        ("redis SET req/s, -P 16", "redis_SET_P16", 1), ("redis GET req/s, -P 16", "redis_GET_P16", 1),
        ("nginx+wrk req/s", "wrk_rps", 1), ("nginx+wrk p50 (ms)", "wrk_p50", 1), ("nginx+wrk p99 (ms)", "wrk_p99", 1),
        ("syscalls/MiB, iperf3 -s receiving", "syscalls_recv", 1), ("syscalls/MiB, iperf3 -s sending", "syscalls_send", 1)]
def fmt(m, key, scale):
    if (m, key) in fails and not vals.get((m, key)): return "FAIL"
    v = med(m, key)
    if v is None: return "-"
    v *= scale
    return f"{v:,.2f}" if v < 100 else f"{v:,.0f}"
print(f"{'metric':38} {'ustack shared':>14} {'ustack in-proc':>14} {'kernel':>12} {'shared/k':>9} {'in-proc/k':>9}")
for label, key, scale in rows:
    k = med("kernel", key)
    cells = [fmt(m, key, scale) for m in ("shared", "inproc", "kernel")]
    ratios = []
    for m in ("shared", "inproc"):
        v = med(m, key)
        ratios.append(f"{v / k:.2f}x" if v is not None and k else "-")
    print(f"{label:38} {cells[0]:>14} {cells[1]:>14} {cells[2]:>12} {ratios[0]:>9} {ratios[1]:>9}")
for m in ("kernel", "shared"):
    for d in ("recv", "send"):
        p = os.path.join(work, f"top-{m}-{d}")
        if os.path.exists(p):
            print(f"  top syscalls, {m}, iperf3 -s {d}: {open(p).read().strip()}")
EOF
echo "programs: medians of $ROUNDS rounds of ${DUR}s; ratios are ustack/kernel (for latency and syscalls lower is better)"
[ -s "$WORK/daemon.err" ] && grep -q -i "error\|sanitizer" "$WORK/daemon.err" && { log "daemon stderr: $(tail -3 "$WORK/daemon.err")"; FAILED=1; }
exit $FAILED
