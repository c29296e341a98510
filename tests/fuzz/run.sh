#!/usr/bin/env bash
# run.sh [SECONDS] - builds every libFuzzer target of tests/fuzz and runs it.
#
# A target is tests/fuzz/fuzz_NAME.c; its "fuzz-sources:" comment lines name
# the src/*.c files it links, an optional "fuzz-max-len:" line the longest
# input (default 4096). Everything is built with clang
# -fsanitize=fuzzer,address,undefined (objects cached in $BUILD/fuzz/obj,
# one per source, shared by the targets). Each target:
#
#   1. replays its kept cases, tests/cases/fuzz/NAME/ (every file one input:
#      inputs that once crashed, leaked, hung or hit UB, plus a
#      representative one); a missing or empty case folder fails, as a
#      wrong path must not pass as "nothing failed";
#   2. fuzzes for its share of SECONDS (default 60, the whole run's budget,
#      split evenly; at least 2 s each) from its corpus
#      ($BUILD/fuzz/corpus/NAME, kept between runs) plus the seeds
#      (tests/fuzz/seeds/NAME/, the kept cases, and what seed_extra adds),
#      with tests/fuzz/NAME.dict when there is one.
#
# Every input has a time limit (-timeout, FUZZ_INPUT_TIMEOUT s, default 10)
# and every libFuzzer process one too (60 s for a replay, its share + 30 s
# for a fuzz run, each killed 10 s later), so a run ends within SECONDS +
# 110 s a target + the build (tests/run-all.sh gives the fuzz suite
# SUITE_TIMEOUT + SECONDS). FUZZ_TARGETS="xml cli" runs some; FUZZ_DIR and
# FUZZ_CASES name other folders of targets and of kept cases
# (tests/integration/test_fuzz_runner.sh). A failing input is left in
# $BUILD/fuzz/NAME/ (crash-*, leak-*, timeout-*): fix the bug, then copy
# the input into tests/cases/fuzz/NAME/ under a name saying what it was.
# Prints each run's execs (-print_final_stats) and ends with "N passed, M
# failed" (two checks a target: replay, fuzz).
set -u
cd "$(dirname "$0")/../.." || exit 1
secs=${1:-60}
build=${BUILD:-build}
shared=${ANNEX_SHARED:-${SHARED:-$(cd .. && pwd)/shared}}
input_timeout=${FUZZ_INPUT_TIMEOUT:-10}
dir=${FUZZ_DIR:-tests/fuzz}
case_root=${FUZZ_CASES:-tests/cases/fuzz}
out=$build/fuzz
mkdir -p "$out/obj"
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

targets=${FUZZ_TARGETS:-$(for f in "$dir"/fuzz_*.c; do [ -f "$f" ] && basename "$f" .c; done | sed 's/^fuzz_//')}
ntargets=$(echo "$targets" | wc -w)
share=$((secs / (ntargets > 0 ? ntargets : 1)))
[ "$share" -ge 2 ] || share=2
if [ "$ntargets" -eq 0 ]; then
	echo "FAIL no target: $dir holds no fuzz_*.c"
	echo "0 passed, 1 failed"
	exit 1
fi

pkgs="libcurl openssl json-c libxml-2.0"
if ! pkg_cflags=$(pkg-config --cflags $pkgs) || ! pkg_libs=$(pkg-config --libs $pkgs); then
	echo "fuzz: pkg-config knows none of $pkgs (make deps)"
	echo "0 passed, 1 failed"
	exit 1
fi
# ANNEX_VERSION's quotes are meant literally: the macro is a string literal.
cflags="-std=c11 -D_GNU_SOURCE -DANNEX_VERSION=\"$(cat VERSION 2>/dev/null || echo 0.0.0)\" -g -O1 -Wall -Wextra -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -Iinclude $pkg_cflags"
newest_header=$(ls -t include/annex/*.h | head -n 1)

# obj SRC: the cached object of src/X.c, rebuilt when it or a header changed.
obj() {
	local src=$1 o
	o=$out/obj/$(basename "$src" .c).o
	if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ "$newest_header" -nt "$o" ]; then
		clang $cflags -fsanitize=fuzzer-no-link -c -o "$o" "$src" || return 1
	fi
	echo "$o"
}

# build NAME: links $out/fuzz_NAME from its target file and its sources.
build() {
	local name=$1 t=$dir/fuzz_$1.c srcs objs="" s o
	srcs=$(sed -nE 's/^.*fuzz-sources:(.*)$/\1/p' "$t" | sed 's/\*\/.*//')
	for s in $srcs; do
		o=$(obj "$s") || return 1
		objs="$objs $o"
	done
	clang $cflags -fsanitize=fuzzer -o "$out/fuzz_$name" "$t" $objs $pkg_libs -lz -lm -lpthread
}

# seed_extra NAME DIR: seeds from the repository's other test cases.
seed_extra() {
	local name=$1 dir=$2 i=0 f
	case "$name" in
	config)
		for f in "$shared"/condor-config-cases/cases/*/* "$shared"/condor-config-cases/cases/*/*/* \
			tests/cases/config/*/* tests/cases/config/*/*/*; do
			[ -f "$f" ] || continue
			case "$f" in *expected.tsv|*query.txt|*/uid) continue ;; esac
			cp "$f" "$dir/extra$i"
			i=$((i + 1))
		done ;;
	json)
		for f in examples/*.json policies/*.json; do
			[ -f "$f" ] || continue
			# the target's first byte picks the decoder: 0 is the fleet config
			{ printf '\000'; cat "$f"; } >"$dir/extra$i"
			i=$((i + 1))
		done ;;
	esac
}

for name in $targets; do
	t=$dir/fuzz_$name.c
	cases=$case_root/$name
	if [ ! -f "$t" ]; then
		bad "replay $name: no target $t"; bad "fuzz $name: no target $t"
		continue
	fi
	if ! build "$name" >"$out/build-$name.log" 2>&1; then
		head -n 20 "$out/build-$name.log"
		echo "fuzz: cannot build $name (needs clang and libclang-rt-14-dev; log $out/build-$name.log)"
		bad "replay $name: build failed"; bad "fuzz $name: build failed"
		continue
	fi
	bin=$out/fuzz_$name
	mkdir -p "$out/$name" "$out/corpus/$name"
	maxlen=$(sed -nE 's/^.*fuzz-max-len:[[:space:]]*([0-9]+).*$/\1/p' "$t" | head -n 1)
	dict=()
	[ -f "$dir/$name.dict" ] && dict=(-dict="$dir/$name.dict")
	# No environment that could point a parser at anything of the host's.
	run() {
		env -i PATH=/usr/bin:/bin HOME=/nonexistent \
			ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
			timeout --kill-after=10 "$1" "$bin" -timeout="$input_timeout" -rss_limit_mb=2048 \
			-artifact_prefix="$out/$name/" "${@:2}"
	}

	# 1. the kept cases
	kept=()
	if [ -d "$cases" ]; then
		for f in "$cases"/*; do [ -f "$f" ] && kept+=("$f"); done
	fi
	if [ ${#kept[@]} -eq 0 ]; then
		bad "replay $name: $cases is missing or holds no case"
	elif run 60 "${kept[@]}" >"$out/replay-$name.log" 2>&1; then
		ok "replay $name: ${#kept[@]} kept cases"
	else
		bad "replay $name: a kept case fails (log $out/replay-$name.log)"
		grep -E "ERROR|SUMMARY|runtime error|Running:" "$out/replay-$name.log" | head -n 6
	fi

	# 2. a fuzz run
	seeds=$(mktemp -d)
	[ -d "$dir/seeds/$name" ] && cp "$dir/seeds/$name"/* "$seeds"/ 2>/dev/null
	[ ${#kept[@]} -gt 0 ] && cp "${kept[@]}" "$seeds"/
	seed_extra "$name" "$seeds"
	run $((share + 30)) -max_total_time="$share" -max_len="${maxlen:-4096}" "${dict[@]}" \
		-print_final_stats=1 "$out/corpus/$name" "$seeds" >"$out/fuzz-$name.log" 2>&1
	rc=$?
	rm -rf "$seeds"
	execs=$(sed -nE 's/^stat::number_of_executed_units:[[:space:]]*([0-9]+).*/\1/p' "$out/fuzz-$name.log")
	if [ "$rc" -eq 0 ]; then
		ok "fuzz $name: ${execs:-?} execs in $share s"
	else
		bad "fuzz $name: exit $rc after ${execs:-?} execs; the input is in $out/$name/ (log $out/fuzz-$name.log)"
		grep -E "ERROR|SUMMARY|runtime error" "$out/fuzz-$name.log" | head -n 5
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
