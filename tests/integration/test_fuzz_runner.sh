#!/usr/bin/env bash
# test_fuzz_runner.sh - the fuzz runner (tests/fuzz/run.sh) fails when a
# target's kept-case folder is empty or missing (a wrong path must not pass
# as "nothing failed"), fails when a kept case crashes (so a fixed bug that
# comes back fails the suite), passes when the kept cases pass, and every
# target of tests/fuzz has a non-empty case folder in tests/cases/fuzz.
# A planted target (fuzz_boom.c, which aborts on the input "boom") stands
# in for a real one. Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
pass=0
fail=0
tmp=$(mktemp -d /tmp/annex-fuzzrun.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

mkdir -p "$tmp/targets" "$tmp/cases/boom" "$tmp/empty/boom" "$tmp/good/boom"
cat >"$tmp/targets/fuzz_boom.c" <<'C'
/* fuzz-sources: src/err.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 4 && memcmp(data, "boom", 4) == 0)
		abort();
	return 0;
}
C
printf boom >"$tmp/cases/boom/crash-1"
printf calm >"$tmp/good/boom/calm"

# runner CASES-ROOT: the runner on the planted target, 1 s of fuzzing, built
# apart from the real targets.
runner() {
	BUILD="$tmp/build" FUZZ_DIR="$tmp/targets" FUZZ_CASES="$1" FUZZ_TARGETS=boom tests/fuzz/run.sh 1 2>&1
}

out=$(runner "$tmp/empty"); rc=$?
if [ "$rc" -ne 0 ] && echo "$out" | grep -q '^FAIL replay boom: .* holds no case'; then
	ok "an empty case folder fails"
else
	bad "an empty case folder: rc=$rc, $(echo "$out" | tail -n 3 | tr '\n' ';')"
fi
out=$(runner "$tmp/missing"); rc=$?
if [ "$rc" -ne 0 ] && echo "$out" | grep -q '^FAIL replay boom: .* is missing'; then
	ok "a missing case folder fails"
else
	bad "a missing case folder: rc=$rc, $(echo "$out" | tail -n 3 | tr '\n' ';')"
fi
out=$(runner "$tmp/cases"); rc=$?
if [ "$rc" -ne 0 ] && echo "$out" | grep -q '^FAIL replay boom: a kept case fails'; then
	ok "a kept case that crashes fails the replay"
else
	bad "a crashing kept case: rc=$rc, $(echo "$out" | tail -n 3 | tr '\n' ';')"
fi
out=$(runner "$tmp/good"); rc=$?
if echo "$out" | grep -q '^PASS replay boom: 1 kept cases' && echo "$out" | grep -qE '^(PASS|FAIL) fuzz boom: .*execs'; then
	ok "kept cases that pass pass the replay, and the fuzz run reports its execs"
else
	bad "passing kept cases: rc=$rc, $(echo "$out" | tail -n 3 | tr '\n' ';')"
fi

for t in tests/fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	name=${name#fuzz_}
	n=$(find "tests/cases/fuzz/$name" -maxdepth 1 -type f 2>/dev/null | wc -l)
	if [ "$n" -gt 0 ]; then ok "target $name has $n kept cases"; else bad "target $name has no kept case in tests/cases/fuzz/$name"; fi
	if grep -q "fuzz-sources:" "$t"; then ok "target $name names its sources"; else bad "target $name has no fuzz-sources line"; fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
