#!/bin/bash
# install-deps.sh - installs the Debian packages ustack needs to build, test, demo and benchmark.
# Installs only what is missing, so a second run costs nothing. Needs root (or sudo).
set -euo pipefail

PKGS=(
	# build
	meson ninja-build gcc clang libclang-rt-14-dev pkg-config libpcap-dev libcmocka-dev
	# tests, demo and benchmarks: the kernel peer's tools
	python3 python3-pytest python3-scapy python3-numpy iproute2 iputils-ping tcpdump socat netcat-openbsd
	traceroute curl procps hping3 iptables
	# unmodified programs run on ustack (`ustack run`), and their kernel-side peers
	nginx-light iperf3 redis-server redis-tools wrk strace
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
# The servers' packages start them in the root namespace where an init system runs;
# the tests start their own copies in namespaces, so stop and disable those.
for svc in nginx redis-server; do
	if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
		$SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
	elif [ -x "/etc/init.d/$svc" ]; then
		$SUDO "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
	fi
done
