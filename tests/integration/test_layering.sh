#!/usr/bin/env bash
# test_layering.sh - retries live in one place (issue 15): nothing outside
# the AWS layer sleeps, drives libcurl, resends on a retryable error or
# looks inside struct aws_ctx. A grep over src/, include/, tests/ and bench/.
#
# The AWS layer here: src/aws*.c and include/annex/aws*.h (aws_retry.c has
# the one sleep), the transport src/http.c, and the credential chain's IMDS
# link src/creds_imds.c, which runs its requests through aws_retry_run.
# Each rule is also run on a small tree with one planted violation, so a
# rule that stopped matching anything fails here too.
# Ends with "N passed, M failed"; exits non-zero on failure.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }

# C sources and headers under the given directories of tree $1, one per line,
# relative to it (the Python lease function and shell templates are not C).
c_files() {
	local root=$1; shift
	(cd "$root" && find "$@" -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | sort)
}

# hits ROOT REGEX ALLOWED DIRS...: "file:line: text" for every match of the
# extended regex outside the files matching the extended regex ALLOWED.
hits() {
	local root=$1 re=$2 allowed=$3; shift 3
	local f
	for f in $(c_files "$root" "$@"); do
		[[ "$f" =~ $allowed ]] && continue
		grep -nE "$re" "$root/$f" | sed "s|^|$f:|"
	done
}

# Sleeping: only aws_retry.c waits between attempts (lockfile.c waits for
# its lock in a blocking flock, which sleeps nothing). A poll that waits for
# something in the cloud (launch -wait) pauses through the AWS layer's
# aws_pace, which sleeps there too; see rule_pace.
rule_sleep() {
	hits "$1" '(^|[^A-Za-z0-9_])(nanosleep|usleep|sleep|clock_nanosleep)[[:space:]]*\(' \
		'^src/aws_retry\.c$' src include
}

# Polling: aws_pace (a deadline-bounded pause, slept in aws_retry.c) is for
# the named pollers only, so that "only aws_retry.c sleeps" still means no
# command loops and waits on its own: a new poller is added here, with its
# reason. launchwait.c: launch -wait's looks at the pool (issue 17).
rule_pace() {
	hits "$1" '(^|[^A-Za-z0-9_])aws_pace[[:space:]]*\(' \
		'^(src/aws[a-z_]*\.c|include/annex/aws[a-z_]*\.h|src/launchwait\.c)$' src include
}

# libcurl: only the transport.
rule_curl() {
	hits "$1" 'curl_(easy|multi)_[a-z_]+[[:space:]]*\(|#include[[:space:]]*<curl/' \
		'^(src/http\.c|tests/unit/test_http\.c)$' src include tests bench
}

# The context's inside: defined in aws_internal.h, included by the AWS layer only.
rule_ctx() {
	hits "$1" '#include[[:space:]]*"annex/aws_internal\.h"' '^src/aws[a-z_]*\.c$' src include tests bench
	hits "$1" 'struct aws_ctx[[:space:]]*\{' '^include/annex/aws_internal\.h$' src include tests bench
}

# The retry machinery and the transport's connection switch: the AWS layer
# and the IMDS link only. Callers pick a policy (struct aws_call) instead.
rule_machinery() {
	hits "$1" '(^|[^A-Za-z0-9_])(aws_retry_run|aws_backoff_delay_ms|aws_iam_wait_delay_ms|fresh_connection|iamwait[a-z_]*)([^A-Za-z0-9_]|$)' \
		'^(src/aws[a-z_]*\.c|include/annex/aws[a-z_]*\.h|src/http\.c|include/annex/http\.h|src/creds_imds\.c)$' \
		src include
}

# Deciding on err->retryable is deciding a resend: the AWS layer's job.
rule_retryable() {
	hits "$1" '(\.|->)retryable' \
		'^(src/aws[a-z_]*\.c|src/http\.c|src/creds_imds\.c)$' src
}

check() {
	local name=$1 rule=$2 out
	out=$($rule "$ROOT")
	if [ -z "$out" ]; then ok "$name"; else bad "$name" "$(echo "$out" | head -n 5 | tr '\n' ';')"; fi
}

# The rule must find the planted line in a tree that has it.
check_catches() {
	local name=$1 rule=$2 file=$3 line=$4 out
	rm -rf "$tmp/tree"
	mkdir -p "$tmp/tree/$(dirname "$file")"
	printf '%s\n' "$line" >"$tmp/tree/$file"
	out=$($rule "$tmp/tree")
	if [[ "$out" == "$file:1:"* ]]; then ok "$name catches $file: $line"
	else bad "$name catches $file: $line" "found '${out}'"; fi
}

check "only aws_retry.c sleeps" rule_sleep
check "only the named pollers pace (aws_pace)" rule_pace
check "only http.c drives libcurl" rule_curl
check "struct aws_ctx is opaque outside src/aws*.c" rule_ctx
check "the retry machinery is used by the AWS layer and the IMDS link only" rule_machinery
check "no caller decides a resend on err->retryable" rule_retryable

check_catches "sleep rule" rule_sleep src/cmd_launch.c '	usleep(500000);'
check_catches "sleep rule" rule_sleep src/iam.c 'for (;;) { if (try() == 0) break; sleep (1); }'
check_catches "pace rule" rule_pace src/cmd_status.c '	while (aws_pace(ctx, deadline, 1000) > 0) look();'
check_catches "curl rule" rule_curl src/creds_imds.c '	CURL *h = curl_easy_init();'
check_catches "ctx rule" rule_ctx src/ec2.c '#include "annex/aws_internal.h"'
check_catches "ctx rule" rule_ctx tests/unit/test_x.c '#include "annex/aws_internal.h"'
check_catches "ctx rule" rule_ctx include/annex/aws.h 'struct aws_ctx {'
check_catches "machinery rule" rule_machinery src/cmd_setup.c '	ms = aws_backoff_delay_ms(n, 100, 1000, r);'
check_catches "machinery rule" rule_machinery src/cmd_launch.c '	struct iamwait w;'
check_catches "retryable rule" rule_retryable src/cmd_launch.c '		if (!err->retryable) break;'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
