#!/usr/bin/env bash
# run-all.sh - runs every test suite and ends with "N passed, M failed".
#
# A suite is a program that prints "N passed, M failed" as its last such
# line and exits non-zero on failure: the C unit tests (build/tests/test_*),
# the oracle runners (config cases, SigV4 vectors), every executable
# tests/integration/test_*, the Python tests under tests/py (pytest), and the
# fuzz targets' kept cases with a short fuzz run (FUZZ_SECONDS, default 60).
# A suite that crashes or prints no summary counts as one failure.
# ONLY=unit|cases|integration|py|fuzz runs one group.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
CONFIG_CASES=${CONFIG_CASES:-$SHARED/condor-config-cases/cases}
SIGV4_CASES=${SIGV4_CASES:-$SHARED/sigv4-suite}
export ANNEX_BIN=${ANNEX_BIN:-$PWD/$BUILD/annex}
export ANNEX_BUILD=$PWD/$BUILD
export ANNEX_SHARED=$SHARED
export AWS_EC2_METADATA_DISABLED=true
ONLY=${ONLY:-}
total_pass=0
total_fail=0
failed_suites=()
logdir=$(mktemp -d)
# Sanitizer reports (make asan) from every process, whatever user it runs as
# and whether or not its test looks at its stderr or exit status, land here;
# each report file counts as one failure at the end.
sanlog=$(mktemp -d /tmp/annex-san.XXXXXX)
chmod 1777 "$sanlog"
trap 'rm -rf "$logdir" "$sanlog"' EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$sanlog/asan:detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$sanlog/ubsan:print_stacktrace=1"

# Every suite runs under a time limit (SUITE_TIMEOUT seconds, default 900;
# killed 10 s after it is asked to end): a suite that hangs is a failure
# with its name, not a CI run that never ends.
SUITE_TIMEOUT=${SUITE_TIMEOUT:-900}

# suite_timeout (seconds) overrides it for one suite.
run_suite() {
	local name=$1; shift
	local log="$logdir/$(echo "$name" | tr '/ ' '__').log"
	local start=$SECONDS limit=${suite_timeout:-$SUITE_TIMEOUT}
	timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
	local rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "FAIL $name: timed out after $limit s (SUITE_TIMEOUT)" >>"$log"
	fi
	local line p f
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
		f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	else
		p=0; f=0
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	printf '%-44s %4d passed, %d failed (%ds)\n' "$name" "$p" "$f" $((SECONDS - start))
	if [ "$f" -ne 0 ]; then
		failed_suites+=("$name")
		grep -E '^(FAIL|not ok|E  |FAILED)' "$log" | head -n 40 | sed 's/^/    /'
		[ -n "$line" ] || tail -n 30 "$log" | sed 's/^/    /'
	fi
}

want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

if want unit; then
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] && run_suite "unit/$(basename "$t")" "$t"
	done
fi
if want cases; then
	[ -x "$BUILD/tools/check_config" ] && run_suite "cases/condor-config" "$BUILD/tools/check_config" "$CONFIG_CASES"
	[ -x "$BUILD/tools/check_config" ] && run_suite "cases/annex-config" "$BUILD/tools/check_config" tests/cases/config
	[ -x "$BUILD/tools/check_sigv4" ] && run_suite "cases/sigv4" "$BUILD/tools/check_sigv4" "$SIGV4_CASES"
	[ -x "$BUILD/tools/check_sigv4" ] && run_suite "cases/sigv4-own" "$BUILD/tools/check_sigv4" tests/cases/sigv4
fi
if want integration; then
	# A test file that is not executable would be skipped quietly: it fails
	# instead, by name (a suite is an executable with its own #! line).
	for t in tests/integration/test_*; do
		if [ -x "$t" ]; then
			run_suite "integration/$(basename "$t")" "$t"
		else
			run_suite "integration/$(basename "$t")" sh -c 'echo "FAIL $1: not executable (chmod +x it)"; exit 1' sh "$t"
		fi
	done
fi
if want py && [ -d tests/py ]; then
	run_suite "py/pytest" tests/lib/pytest-summary.sh tests/py
fi
# The fuzz suite: every target's kept cases, then FUZZ_SECONDS of fuzzing
# split between the targets (tests/fuzz/run.sh); its time limit grows with
# FUZZ_SECONDS, as each libFuzzer run has its own (and each input -timeout).
if want fuzz && [ -x tests/fuzz/run.sh ]; then
	suite_timeout=$((SUITE_TIMEOUT + ${FUZZ_SECONDS:-60})) run_suite "fuzz" tests/fuzz/run.sh "${FUZZ_SECONDS:-60}"
fi

reports=$(find "$sanlog" -type f | sort)
if [ -n "$reports" ]; then
	n=$(echo "$reports" | wc -l)
	total_fail=$((total_fail + n))
	failed_suites+=("sanitizers($n reports)")
	for r in $reports; do
		echo "sanitizer report $r:"
		head -n 30 "$r" | sed 's/^/    /'
	done
fi
if [ ${#failed_suites[@]} -ne 0 ]; then
	echo "failed suites: ${failed_suites[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
