#!/bin/bash
# check.sh - the whole test suite, as `make check` and CI run it:
#   1. gcc build with ASan+UBSan: unit tests (cmocka) and the fuzz corpus replay
#   2. clang build with -Werror (both compilers must be warning-free), its unit tests too
#   3. integration tests against the Linux kernel in network namespaces (needs root),
#      run on the ASan+UBSan `ustack` binary
#   4. libFuzzer on the receive path for FUZZ_SECONDS (default 60) with ASan+UBSan
# Prints one closing line "check: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
ASAN=build-asan
CLANG=build-clang
FUZZ=build-fuzz
passed=0
failed=0
failures=()

count_meson() { # $1 = build dir; adds its test results to the totals
	local log="$1/meson-logs/testlog.json" p f
	if [ -f "$log" ]; then
		p=$(grep -c '"result": "OK"' "$log")
		f=$(grep -vc '"result": "\(OK\|SKIP\)"' "$log")
		passed=$((passed + p))
		failed=$((failed + f))
		[ "$f" -eq 0 ] || failures+=("unit tests in $1")
	fi
}

step() { echo; echo "=== $* ==="; }
fail_step() { failed=$((failed + 1)); failures+=("$1"); }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

step "gcc + ASan/UBSan: build and unit tests"
if { [ -f $ASAN/build.ninja ] || meson setup $ASAN -Db_sanitize=address,undefined -Db_lundef=false >/dev/null; } &&
	ninja -C $ASAN; then
	meson test -C $ASAN --suite unit --print-errorlogs --num-processes 2 || true
	count_meson $ASAN
else
	fail_step "gcc ASan build"
fi

step "clang -Werror: build and unit tests"
if { [ -f $CLANG/build.ninja ] || CC=clang meson setup $CLANG >/dev/null; } && ninja -C $CLANG; then
	meson test -C $CLANG --suite unit --print-errorlogs --num-processes 2 || true
	count_meson $CLANG
else
	fail_step "clang build"
fi

step "integration tests (kernel peer in network namespaces)"
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: integration tests need root"
elif [ -x $ASAN/tools/ustack ]; then
	export USTACK_BIN=$PWD/$ASAN/tools/ustack
	# Capacity tests (a SYN flood) run the daemon built without sanitizers.
	[ -x $CLANG/tools/ustack ] && export USTACK_FAST_BIN=$PWD/$CLANG/tools/ustack
	/usr/bin/python3 -m pytest -q -p no:cacheprovider --junitxml=$ASAN/integration.xml tests/integration
	rc=$?
	if [ -f $ASAN/integration.xml ]; then
		p=$(/usr/bin/python3 -c "import xml.etree.ElementTree as E;r=E.parse('$ASAN/integration.xml').getroot();s=r if r.tag=='testsuite' else r[0];t=int(s.get('tests'));print(t-int(s.get('failures'))-int(s.get('errors'))-int(s.get('skipped')))")
		f=$(/usr/bin/python3 -c "import xml.etree.ElementTree as E;r=E.parse('$ASAN/integration.xml').getroot();s=r if r.tag=='testsuite' else r[0];print(int(s.get('failures'))+int(s.get('errors')))")
		passed=$((passed + p))
		failed=$((failed + f))
		[ "$f" -eq 0 ] || failures+=("integration tests")
	elif [ $rc -ne 0 ]; then
		fail_step "integration tests (pytest exit $rc)"
	fi
else
	fail_step "integration tests: no ustack binary"
fi

step "libFuzzer: receive path for ${FUZZ_SECONDS}s"
if { [ -f $FUZZ/build.ninja ] || CC=clang meson setup $FUZZ -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null; } &&
	ninja -C $FUZZ tests/fuzz/fuzz_stack; then
	mkdir -p $FUZZ/corpus
	# New inputs go to the scratch corpus; the kept corpus (tests/fuzz/corpus/stack) is only read.
	if $FUZZ/tests/fuzz/fuzz_stack -max_total_time="$FUZZ_SECONDS" -max_len=65536 -rss_limit_mb=2048 \
		-timeout=10 -print_final_stats=1 $FUZZ/corpus tests/fuzz/corpus/stack 2>$FUZZ/fuzz.log; then
		passed=$((passed + 1))
		tail -n 12 $FUZZ/fuzz.log
	else
		tail -n 60 $FUZZ/fuzz.log
		fail_step "fuzzing found a crash (see $FUZZ/fuzz.log and crash-* files)"
	fi
else
	fail_step "fuzz build"
fi

echo
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
