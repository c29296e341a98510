#!/usr/bin/env bash
# test_tsan.sh - the threaded unit tests (aws_parallel.c's threads, the
# credential refresh under the root context's lock) built with
# ThreadSanitizer and run: a data race fails the suite. It found the lazy
# OpenSSL fetch in sigv4.c racing between two signing threads.
# Ends with "N passed, M failed"; exits non-zero on failure.
set -u
cd "$(dirname "$0")/../.." || exit 1
build=${BUILD:-build}-tsan
pass=0
fail=0
for t in test_parallel test_aws_retry; do
	if ! make -s BUILD="$build" CC=clang OPT=-O1 SAN="-fsanitize=thread" "$build/tests/$t" >"/tmp/tsan-build.$$" 2>&1; then
		fail=$((fail + 1)); echo "FAIL $t: does not build with -fsanitize=thread"; head -n 20 "/tmp/tsan-build.$$"
		continue
	fi
	if TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$build/tests/$t" >"/tmp/tsan-run.$$" 2>&1; then
		pass=$((pass + 1)); echo "PASS $t under ThreadSanitizer"
	else
		fail=$((fail + 1)); echo "FAIL $t under ThreadSanitizer:"; grep -A12 "WARNING: ThreadSanitizer" "/tmp/tsan-run.$$" | head -n 30
	fi
done
rm -f "/tmp/tsan-build.$$" "/tmp/tsan-run.$$"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
