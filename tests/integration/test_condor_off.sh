#!/usr/bin/env bash
# test_condor_off.sh - condor_annex's bare word `off`: `annex off -annex-name
# X` runs `condor_off -annex X` (a recording stand-in here) and passes its
# output through; without condor_off it says what to use instead.
set -u
ANNEX=${ANNEX_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/annex}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

mkdir -p "$tmp/bin"
cat >"$tmp/bin/condor_off" <<STUB
#!/bin/sh
printf '%s\n' "\$@" >"$tmp/argv"
echo "Sent \"Kill-All-Daemons\" command to master ip-10-0-0-1.ec2.internal"
[ -n "\${CONDOR_OFF_SIGNAL:-}" ] && kill -\$CONDOR_OFF_SIGNAL \$\$
exit \${CONDOR_OFF_EXIT:-0}
STUB
chmod +x "$tmp/bin/condor_off"
: >"$tmp/condor_config"
run() { env -i PATH="$1" HOME="$tmp" CONDOR_CONFIG="$tmp/condor_config" AWS_EC2_METADATA_DISABLED=true \
	${CONDOR_OFF_EXIT:+CONDOR_OFF_EXIT=$CONDOR_OFF_EXIT} ${CONDOR_OFF_SIGNAL:+CONDOR_OFF_SIGNAL=$CONDOR_OFF_SIGNAL} "$ANNEX" off -annex-name render >"$tmp/out" 2>"$tmp/err"; }

run "$tmp/bin:/usr/bin:/bin"; rc=$?
if [ "$rc" -eq 0 ] && [ "$(cat "$tmp/argv")" = "$(printf -- '-annex\nrender')" ] &&
	grep -q '^Sent "Kill-All-Daemons" command' "$tmp/out"; then ok "off runs condor_off -annex NAME and shows its output"
else ko "off runs condor_off -annex NAME" "rc=$rc argv=$(cat "$tmp/argv" 2>/dev/null) out=$(cat "$tmp/out") err=$(cat "$tmp/err")"; fi

CONDOR_OFF_EXIT=1 run "$tmp/bin:/usr/bin:/bin"; rc=$?
if [ "$rc" -eq 1 ] && grep -q 'condor_off -annex render exited with status 1' "$tmp/err"; then ok "a failing condor_off fails off"
else ko "a failing condor_off fails off" "rc=$rc err=$(cat "$tmp/err")"; fi

CONDOR_OFF_SIGNAL=TERM run "$tmp/bin:/usr/bin:/bin"; rc=$?
if [ "$rc" -eq 1 ] && grep -q 'condor_off -annex render was killed by signal 15$' "$tmp/err"; then
	ok "a condor_off killed by a signal is said to be killed, not to exit"
else ko "a condor_off killed by a signal" "rc=$rc err=$(cat "$tmp/err")"; fi

rm -f "$tmp/argv"
run "/usr/bin:/bin"; rc=$?
if [ "$rc" -eq 1 ] && grep -q "annex -off -annex-name render" "$tmp/err" && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then
	ok "without condor_off: one line naming annex -off"
else ko "without condor_off" "rc=$rc err=$(cat "$tmp/err")"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
