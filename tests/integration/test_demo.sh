#!/usr/bin/env bash
# test_demo.sh - runs scripts/demo.sh (what `make demo` runs) and asserts
# each step's key lines, that it leaves no emulator or listener running and
# no work directory behind, and that ANNEX_DEMO_REAL_AWS=1 asks first and
# does nothing on "no". Nothing leaves loopback: the demo makes its own
# network namespace; the real-AWS refusal runs in one with no route at all.
# Ends with "N passed, M failed"; exits non-zero on failure.
set -u
cd "$(dirname "$0")/../.." || exit 1
export ANNEX_BIN=${ANNEX_BIN:-$PWD/build/annex}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "PASS $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1: $2"; }
# expect NAME REGEX: one line of the demo's output matches REGEX (grep -E).
expect() {
	if grep -Eq -- "$2" "$tmp/out"; then ok "$1"; else ko "$1" "no line matching /$2/"; fi
}
# in_order NAME LINE...: these exact lines occur in the output, in this order.
in_order() {
	local name=$1; shift
	if awk -v want="$(printf '%s\n' "$@")" 'BEGIN { n = split(want, w, "\n"); i = 1 }
		i <= n && $0 == w[i] { i++ } END { exit !(i > n) }' "$tmp/out"; then
		ok "$name"
	else
		ko "$name" "lines missing or out of order: $*"
	fi
}

# The emulator run, with the host's credentials and endpoints out of sight.
find /tmp -maxdepth 1 -name "annex-demo.*" | sort >"$tmp/before"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
	-u AWS_ENDPOINT_URL -u ANNEX_DEMO_REAL_AWS scripts/demo.sh >"$tmp/out" 2>&1 </dev/null
rc=$?
if [ "$rc" -eq 0 ]; then ok "demo exits 0"; else ko "demo exits 0" "exit $rc; $(tail -n 20 "$tmp/out")"; fi

expect "emulator on loopback with signature checking" '^moto at http://127\.0\.0\.1:[0-9]+; credentials: an IAM user made for this demo$'
if [ "$(id -u)" -eq 0 ]; then
	expect "private network namespace with the collector stand-in" \
		'^network namespace \(root\); a collector stand-in listens on 198\.51\.100\.7:9618$'
fi
expect "throwaway pool config names the collector" '^COLLECTOR_HOST = 198\.51\.100\.7:9618$'
expect "throwaway pool config sets the emulator's image" '^ANNEX_DEFAULT_ODI_IMAGE_ID = ami-[0-9a-f]+$'
in_order "setup: condor_annex's progress lines, then success" \
	'$ annex -setup us-east-1' \
	'Creating configuration bucket.. complete.' \
	'Creating Lambda functions.. complete.' \
	'Creating instance profile.. complete.' \
	'Creating Spot Fleet role.. complete.' \
	'Creating security group.. complete.' \
	'Setup successful.'
in_order "check-setup: every resource OK" \
	'$ annex -check-setup' \
	'Checking security configuration... OK.' \
	'Checking for configuration bucket... OK.' \
	'Checking for Lambda functions... OK.' \
	'Checking for instance profile... OK.' \
	'Checking for security group... OK.' \
	'Checking for Spot Fleet role... OK.'
if [ "$(id -u)" -eq 0 ]; then
	in_order "check-setup: the collector answers inside the namespace" \
		'Checking collector address... OK.' 'Your setup looks OK.'
fi
expect "launch: annex started with its id" \
	"^Annex started\.  Its identity with the cloud provider is 'demo_[0-9a-f-]{36}'\."
# -status: condor_annex's table for the annex, its two instances running
expect "status: condor_annex's header" '^STATE          COUNT$'
expect "status: two instances running" '^running            2$'
expect "status: total" '^TOTAL              2$'
expect "off: both instances terminated, the lease rule removed" \
	"^Annex 'demo': terminated 2 instances, cancelled 0 Spot Fleet requests, removed 1 lease rule\.$"
expect "final line" '^==> Done: setup, check, launch, status and teardown all ran against the emulator\.$'
if grep -Eq 'SignatureDoesNotMatch|AuthFailure|Traceback' "$tmp/out"; then
	ko "no signature error or traceback" "$(grep -E 'SignatureDoesNotMatch|AuthFailure|Traceback' "$tmp/out" | head -3)"
else
	ok "no signature error or traceback"
fi

# Clean exit: the emulator (its port from the output) and the work dir gone.
port=$(sed -nE 's|^moto at http://127\.0\.0\.1:([0-9]+);.*|\1|p' "$tmp/out")
if [ -n "$port" ] && ! pgrep -f -- "moto_server -H 127.0.0.1 -p $port\$" >/dev/null; then
	ok "emulator stopped"
else
	ko "emulator stopped" "port '$port' still served"
fi
find /tmp -maxdepth 1 -name "annex-demo.*" | sort >"$tmp/after"
if cmp -s "$tmp/before" "$tmp/after"; then ok "work directory removed"; else
	ko "work directory removed" "$(comm -13 "$tmp/before" "$tmp/after")"; fi

# Real AWS: asks first, says what it creates and costs, and stops on "no"
# before starting anything. Run where no packet can go anywhere.
refuse=(env ANNEX_DEMO_REAL_AWS=1 ANNEX_DEMO_COLLECTOR=192.0.2.1 AWS_ENDPOINT_URL=http://127.0.0.1:9 scripts/demo.sh)
if [ "$(id -u)" -eq 0 ]; then refuse=(unshare --net -- "${refuse[@]}"); fi
echo no | "${refuse[@]}" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" -eq 1 ]; then ok "real AWS declined: exit 1"; else ko "real AWS declined: exit 1" "exit $rc"; fi
expect "real AWS: says what it creates" 'S3 bucket, three IAM roles, an instance profile'
expect "real AWS: says what it costs" 'about 2 US cents'
expect "real AWS: declined" '^Not running the demo\.$'
if grep -q '^\$ annex' "$tmp/out"; then ko "real AWS declined: annex never ran" "$(grep '^\$ annex' "$tmp/out")"; else
	ok "real AWS declined: annex never ran"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
