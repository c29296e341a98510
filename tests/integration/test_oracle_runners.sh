#!/usr/bin/env bash
# test_oracle_runners.sh - the oracle runners (check_config, check_sigv4)
# fail on a case folder that holds no case, so a mistyped or empty path
# can never pass as "0 passed, 0 failed". Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${ANNEX_BUILD:-$PWD/build}
pass=0
fail=0
empty=$(mktemp -d /tmp/annex-oracle.XXXXXX)
trap 'rm -rf "$empty"' EXIT
for tool in check_config check_sigv4; do
	out=$("$BUILD/tools/$tool" "$empty" 2>/dev/null)
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$(echo "$out" | tail -n 1)" = "0 passed, 1 failed" ]; then
		pass=$((pass + 1)); echo "PASS $tool fails on an empty case folder"
	else
		fail=$((fail + 1)); echo "FAIL $tool on an empty case folder: rc=$rc, $out"
	fi
	out=$("$BUILD/tools/$tool" "$empty/missing" 2>/dev/null)
	rc=$?
	if [ "$rc" -ne 0 ] && echo "$out" | tail -n 1 | grep -qE '^0 passed, [1-9][0-9]* failed$'; then
		pass=$((pass + 1)); echo "PASS $tool fails on a missing case folder"
	else
		fail=$((fail + 1)); echo "FAIL $tool on a missing case folder: rc=$rc, $out"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
