#!/usr/bin/env bash
# pytest-summary.sh DIR - runs pytest (Debian's, under /usr/bin/python3) on
# DIR and ends with the "N passed, M failed" line run-all.sh counts.
set -u
out=$(/usr/bin/python3 -m pytest -q -p no:cacheprovider "$@" 2>&1)
rc=$?
echo "$out"
p=$(echo "$out" | tail -n 1 | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
f=$(echo "$out" | tail -n 1 | grep -oE '[0-9]+ (failed|errors?)' | awk '{s+=$1} END {print s+0}')
[ -n "$p" ] || p=0; [ -n "$f" ] || f=0
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
