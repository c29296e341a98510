#!/usr/bin/env bash
# run.sh [SECONDS] - builds the libFuzzer targets (clang
# -fsanitize=fuzzer,address,undefined) and runs each: the config reader for
# SECONDS (default 15) on a seed corpus made of the config case files, then
# the CEDAR frame reader (fuzz_cedar.c) for a third of that on its kept
# cases (tests/cases/fuzz/cedar/). Ends with "N passed, M failed", one
# check a target.
set -u
cd "$(dirname "$0")/../.."
secs=${1:-15}
build=${BUILD:-build}
shared=${ANNEX_SHARED:-${SHARED:-$(cd .. && pwd)/shared}}
out=$build/fuzz
mkdir -p "$out"

srcs="src/config.c src/config_parse.c src/config_cond.c src/config_expand.c src/config_macro.c \
	src/config_eval.c src/config_text.c src/config_store.c src/config_detect.c src/config_tables.c \
	src/buf.c src/err.c"
if ! clang -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Iinclude -o "$out/fuzz_config" tests/fuzz/fuzz_config.c $srcs -lcrypto; then
	echo "fuzz: cannot build the target (clang and libclang-rt-14-dev needed)"
	echo "0 passed, 2 failed"
	exit 1
fi

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
i=0
for f in "$shared"/condor-config-cases/cases/*/* "$shared"/condor-config-cases/cases/*/*/* \
	tests/cases/config/*/* tests/cases/config/*/*/*; do
	[ -f "$f" ] || continue
	case "$f" in *expected.tsv|*query.txt|*/uid) continue ;; esac
	cp "$f" "$corpus/seed$i"
	i=$((i + 1))
done

# No environment that could point includes at anything of the host's.
env -i PATH=/usr/bin:/bin HOME=/nonexistent \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	"$out/fuzz_config" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
	-dict=tests/fuzz/config.dict -artifact_prefix="$out/" -print_final_stats=1 "$corpus" \
	>"$out/fuzz.log" 2>&1
rc=$?
tail -n 12 "$out/fuzz.log"
pass=0
fail=0
if [ "$rc" -eq 0 ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "fuzz: the config target failed (exit $rc); the input is in $out/ (crash-*, leak-*, timeout-*)"
	grep -E "ERROR|SUMMARY|runtime error" "$out/fuzz.log" | head -n 5
fi

# The CEDAR frame reader: its kept cases seed the corpus (an empty or
# missing case folder is a failure, not "nothing crashed").
cedar_secs=$((secs / 3 > 2 ? secs / 3 : 2))
cases=tests/cases/fuzz/cedar
if [ -z "$(ls -A "$cases" 2>/dev/null)" ]; then
	echo "fuzz: no kept cases in $cases"
	rc=1
elif ! clang -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Iinclude -o "$out/fuzz_cedar" tests/fuzz/fuzz_cedar.c src/cedar.c src/err.c; then
	echo "fuzz: cannot build the cedar target"
	rc=1
else
	ccorpus=$(mktemp -d)
	cp "$cases"/* "$ccorpus/"
	env -i PATH=/usr/bin:/bin HOME=/nonexistent \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		"$out/fuzz_cedar" -max_total_time="$cedar_secs" -timeout=10 -rss_limit_mb=2048 -max_len=512 \
		-artifact_prefix="$out/" -print_final_stats=1 "$ccorpus" >"$out/fuzz_cedar.log" 2>&1
	rc=$?
	rm -rf "$ccorpus"
	tail -n 3 "$out/fuzz_cedar.log"
fi
if [ "$rc" -eq 0 ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "fuzz: the cedar target failed (exit $rc); the input is in $out/ (crash-*, leak-*, timeout-*)"
	grep -E "ERROR|SUMMARY|runtime error" "$out/fuzz_cedar.log" 2>/dev/null | head -n 5
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
