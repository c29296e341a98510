#!/usr/bin/env bash
# test_creds_imds.sh - the instance-role link of the credential chain against
# a local stand-in metadata service (tests/lib/imds_stub.py on 127.0.0.1),
# driven through build/tools/creds_probe. Every probe runs with a clean
# environment (env -i), so no real AWS setting and no real 169.254.169.254
# is ever used: each run either points AWS_EC2_METADATA_SERVICE_ENDPOINT at
# the stub or sets AWS_EC2_METADATA_DISABLED=true.
set -u
cd "$(dirname "$0")/../.."
BUILD=${ANNEX_BUILD:-$PWD/build}
PROBE=$BUILD/tools/creds_probe
PY=/usr/bin/python3
STUB=$PWD/tests/lib/imds_stub.py
tmp=$(mktemp -d)
pass=0
fail=0
STUB_PID=

cleanup() {
	stop_stub
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }

# start_stub MODE [ARGS...]: sets STUB_PORT, STUB_LOG, STUB_URL.
start_stub() {
	stop_stub
	STUB_LOG=$tmp/stub.$RANDOM.log
	local out=$tmp/stub.out
	: >"$out"
	"$PY" "$STUB" --log "$STUB_LOG" --mode "$@" >"$out" 2>"$tmp/stub.err" &
	STUB_PID=$!
	for _ in $(seq 100); do
		STUB_PORT=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$out")
		[ -n "$STUB_PORT" ] && break
		sleep 0.05
	done
	STUB_URL=http://127.0.0.1:$STUB_PORT
	[ -n "$STUB_PORT" ] || { echo "imds stub did not start: $(cat "$tmp/stub.err")"; exit 1; }
}

stop_stub() {
	if [ -n "$STUB_PID" ]; then
		kill "$STUB_PID" 2>/dev/null
		wait "$STUB_PID" 2>/dev/null
		STUB_PID=
	fi
}

# probe [VAR=VALUE...] -- [PROBE ARGS...]: runs creds_probe in a clean
# environment; stdout in $tmp/out, stderr in $tmp/err, status in $rc.
probe() {
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	mkdir -p "$tmp/home"
	env -i PATH=/usr/bin:/bin HOME="$tmp/home" ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" "${envs[@]}" "$PROBE" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

field() { sed -n "s/^$1: //p" "$tmp/out"; }
sha12() { printf '%s' "$1" | sha256sum | cut -c1-12; }

# The token flow: PUT for a token first, then both GETs carrying it.
t_token_flow() {
	start_stub normal --secret 's3cr3t/IMDS+key' --session-token 'tok-imds-123' \
		--expiration 2099-01-02T03:04:05Z --role my-role
	probe AWS_EC2_METADATA_SERVICE_ENDPOINT="$STUB_URL" --
	local want_exp log
	want_exp=$(date -u -d 2099-01-02T03:04:05Z +%s)
	log=$(cat "$STUB_LOG")
	if [ "$rc" -ne 0 ]; then bad "$FUNCNAME" "probe failed: $(cat "$tmp/err")"
	elif [ "$(field kind)" != instance-role ]; then bad "$FUNCNAME" "kind $(field kind)"
	elif [ "$(field access_key_id)" != ASIAIMDSSTUBEXAMPLE ]; then bad "$FUNCNAME" "key id $(field access_key_id)"
	elif [ "$(field secret_sha256)" != "$(sha12 's3cr3t/IMDS+key')" ]; then bad "$FUNCNAME" "wrong secret"
	elif [ "$(field token_sha256)" != "$(sha12 'tok-imds-123')" ]; then bad "$FUNCNAME" "wrong session token"
	elif [ "$(field expiration)" != "$want_exp" ]; then bad "$FUNCNAME" "expiration $(field expiration) want $want_exp"
	elif [[ "$(field source)" != *"my-role"*"$STUB_URL"* ]]; then bad "$FUNCNAME" "source $(field source)"
	elif [ "$log" != "PUT /latest/api/token ttl=21600 token=missing
GET /latest/meta-data/iam/security-credentials/ ttl=- token=ok
GET /latest/meta-data/iam/security-credentials/my-role ttl=- token=ok" ]; then
		bad "$FUNCNAME" "requests: $log"
	elif grep -q 's3cr3t' "$tmp/out" "$tmp/err"; then bad "$FUNCNAME" "secret printed"
	else ok "$FUNCNAME"; fi
}

# The stub really refuses a request without the token (so the flow test
# above proves annex sent it).
t_stub_requires_token() {
	start_stub normal
	local code
	code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' \
		"$STUB_URL/latest/meta-data/iam/security-credentials/")
	if [ "$code" = 401 ]; then ok "$FUNCNAME"; else bad "$FUNCNAME" "stub answered $code without a token"; fi
}

# A metadata service that never answers: 1 s timeout, the whole resolution
# (chain included) well under 3 s, and the reason listed.
t_timeout() {
	start_stub hang
	local t0 t1 ms
	t0=$(date +%s%N)
	probe AWS_EC2_METADATA_SERVICE_ENDPOINT="$STUB_URL" --
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	if [ "$rc" -eq 0 ]; then bad "$FUNCNAME" "probe succeeded against a silent stub"
	elif [ "$ms" -ge 3000 ]; then bad "$FUNCNAME" "took ${ms} ms"
	elif [ "$ms" -lt 900 ]; then bad "$FUNCNAME" "gave up after ${ms} ms, before the 1 s timeout"
	elif ! grep -Eq 'instance role via IMDSv2 \(PUT .*/latest/api/token: .*([Tt]ime|no reply within [0-9]+ ms)' "$tmp/err"; then
		bad "$FUNCNAME" "message: $(cat "$tmp/err")"
	elif [ "$(head -c 4 "$STUB_LOG")" != "PUT " ]; then bad "$FUNCNAME" "stub log: $(cat "$STUB_LOG")"
	else ok "$FUNCNAME (${ms} ms)"; fi
}

# AWS_EC2_METADATA_DISABLED=true (any case) skips the service entirely.
t_disabled() {
	start_stub normal
	local v failed=
	for v in true TRUE True; do
		probe AWS_EC2_METADATA_SERVICE_ENDPOINT="$STUB_URL" AWS_EC2_METADATA_DISABLED=$v --
		if [ "$rc" -eq 0 ]; then failed="succeeded with DISABLED=$v"; break; fi
		if [ -s "$STUB_LOG" ]; then failed="stub was contacted with DISABLED=$v"; break; fi
		if ! grep -q 'off: AWS_EC2_METADATA_DISABLED=true' "$tmp/err"; then failed="message: $(cat "$tmp/err")"; break; fi
	done
	# and "false" does not disable it
	if [ -z "$failed" ]; then
		probe AWS_EC2_METADATA_SERVICE_ENDPOINT="$STUB_URL" AWS_EC2_METADATA_DISABLED=false --
		[ "$rc" -eq 0 ] && [ "$(field kind)" = instance-role ] || failed="DISABLED=false did not use the stub"
	fi
	if [ -z "$failed" ]; then ok "$FUNCNAME"; else bad "$FUNCNAME" "$failed"; fi
}

# in_order FILE S1 S2 ...: each string occurs in FILE after the previous one.
in_order() {
	local file=$1; shift
	"$PY" - "$file" "$@" <<'EOF'
import sys
text = open(sys.argv[1]).read()
pos = 0
for s in sys.argv[2:]:
    i = text.find(s, pos)
    if i < 0:
        print("missing or out of order: %r" % s)
        sys.exit(1)
    pos = i + len(s)
EOF
}

# Nothing found: one line, code Credentials, every source in chain order.
t_nothing_found_lists_sources() {
	probe AWS_EC2_METADATA_DISABLED=true --
	local why
	if [ "$rc" -ne 1 ]; then bad "$FUNCNAME" "rc $rc"
	elif [ "$(wc -l <"$tmp/err")" -ne 1 ]; then bad "$FUNCNAME" "not one line: $(cat "$tmp/err")"
	elif ! grep -q '^error: Credentials: no AWS credentials found' "$tmp/err"; then bad "$FUNCNAME" "$(cat "$tmp/err")"
	elif ! why=$(in_order "$tmp/err" 'key-file options -aws-access-key-file' \
		'knobs ANNEX_DEFAULT_ACCESS_KEY_FILE' 'environment AWS_ACCESS_KEY_ID' \
		"shared files $tmp/home/.aws/credentials and $tmp/home/.aws/config, profile default" \
		'instance role via IMDSv2'); then bad "$FUNCNAME" "$why: $(cat "$tmp/err")"
	elif grep -q "condor_annex's default" "$tmp/err"; then bad "$FUNCNAME" "default pair listed outside -setup"
	else ok "$FUNCNAME"; fi
}

# With -setup the condor_annex default pair is a source too, in its place.
t_nothing_found_setup_lists_default_pair() {
	probe AWS_EC2_METADATA_DISABLED=true -- -setup -passwd-home "$tmp/pwhome"
	local why
	if [ "$rc" -ne 1 ]; then bad "$FUNCNAME" "rc $rc"
	elif ! why=$(in_order "$tmp/err" 'knobs ANNEX_DEFAULT_ACCESS_KEY_FILE' \
		"condor_annex's default key files $tmp/pwhome/.condor/publicKeyFile" \
		'environment AWS_ACCESS_KEY_ID' 'shared files' 'instance role via IMDSv2'); then
		bad "$FUNCNAME" "$why: $(cat "$tmp/err")"
	else ok "$FUNCNAME"; fi
}

# A metadata service without a role: the chain ends listing the reason.
t_no_role() {
	start_stub norole
	probe AWS_EC2_METADATA_SERVICE_ENDPOINT="$STUB_URL" --
	if [ "$rc" -ne 1 ]; then bad "$FUNCNAME" "rc $rc"
	elif ! grep -q 'instance role via IMDSv2 (GET .*security-credentials/: HTTP 404 (no instance role attached))' "$tmp/err"; then
		bad "$FUNCNAME" "$(cat "$tmp/err")"
	else ok "$FUNCNAME"; fi
}

# A refused connection fails fast and is listed.
t_connection_refused() {
	local port
	port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	local t0 ms
	t0=$(date +%s%N)
	probe AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$port" --
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	if [ "$rc" -ne 1 ]; then bad "$FUNCNAME" "rc $rc"
	elif ! grep -q "instance role via IMDSv2 (PUT http://127.0.0.1:$port/latest/api/token: " "$tmp/err"; then
		bad "$FUNCNAME" "$(cat "$tmp/err")"
	elif [ "$ms" -ge 3000 ]; then bad "$FUNCNAME" "took $ms ms"
	else ok "$FUNCNAME"; fi
}

# Earlier links win: environment credentials mean IMDS is never asked.
t_env_beats_imds() {
	start_stub normal
	probe AWS_EC2_METADATA_SERVICE_ENDPOINT="$STUB_URL" AWS_ACCESS_KEY_ID=AKIAENVEXAMPLE \
		AWS_SECRET_ACCESS_KEY=envsecret --
	if [ "$rc" -ne 0 ] || [ "$(field kind)" != env ] || [ "$(field access_key_id)" != AKIAENVEXAMPLE ]; then
		bad "$FUNCNAME" "$(cat "$tmp/out" "$tmp/err")"
	elif [ -s "$STUB_LOG" ]; then bad "$FUNCNAME" "stub contacted: $(cat "$STUB_LOG")"
	else ok "$FUNCNAME"; fi
}

# A shared credentials file also wins over IMDS.
t_shared_file_beats_imds() {
	start_stub normal
	mkdir -p "$tmp/home/.aws"
	printf '[default]\naws_access_key_id = AKIAFILEEXAMPLE\naws_secret_access_key = filesecret\n' \
		>"$tmp/home/.aws/credentials"
	probe AWS_EC2_METADATA_SERVICE_ENDPOINT="$STUB_URL" --
	rm -rf "$tmp/home/.aws"
	if [ "$rc" -ne 0 ] || [ "$(field kind)" != shared-file ] || [ "$(field secret_sha256)" != "$(sha12 filesecret)" ]; then
		bad "$FUNCNAME" "$(cat "$tmp/out" "$tmp/err")"
	elif [ -s "$STUB_LOG" ]; then bad "$FUNCNAME" "stub contacted"
	else ok "$FUNCNAME"; fi
}

# A key-file value "FROM INSTANCE" skips every other link straight to IMDS,
# even with environment credentials present; the endpoint may end in '/'.
t_from_instance() {
	start_stub normal
	probe AWS_EC2_METADATA_SERVICE_ENDPOINT="$STUB_URL/" AWS_ACCESS_KEY_ID=AKIAENVEXAMPLE \
		AWS_SECRET_ACCESS_KEY=envsecret -- \
		-aws-access-key-file 'FROM INSTANCE' -aws-secret-key-file 'FROM INSTANCE'
	if [ "$rc" -ne 0 ] || [ "$(field kind)" != instance-role ]; then bad "$FUNCNAME" "$(cat "$tmp/out" "$tmp/err")"
	elif grep -q '//latest' "$STUB_LOG" || [ "$(wc -l <"$STUB_LOG")" -ne 3 ]; then bad "$FUNCNAME" "$(cat "$STUB_LOG")"
	else ok "$FUNCNAME"; fi
}

# The knob form of FROM INSTANCE with the service disabled is an error that
# names the knob, not a silent fall-through to other credentials.
t_from_instance_disabled() {
	probe AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=AKIAENVEXAMPLE AWS_SECRET_ACCESS_KEY=envsecret -- \
		-knob-access-key-file 'FROM INSTANCE' -knob-secret-key-file 'FROM INSTANCE'
	if [ "$rc" -ne 1 ]; then bad "$FUNCNAME" "rc $rc: $(cat "$tmp/out")"
	elif ! grep -q 'ANNEX_DEFAULT_ACCESS_KEY_FILE is "FROM INSTANCE".*AWS_EC2_METADATA_DISABLED=true' "$tmp/err"; then
		bad "$FUNCNAME" "$(cat "$tmp/err")"
	else ok "$FUNCNAME"; fi
}

# FROM INSTANCE and a broken credentials document: the error names it.
t_from_instance_bad_json() {
	start_stub badjson
	probe AWS_EC2_METADATA_SERVICE_ENDPOINT="$STUB_URL" -- \
		-aws-access-key-file 'FROM INSTANCE' -aws-secret-key-file 'FROM INSTANCE'
	if [ "$rc" -ne 1 ]; then bad "$FUNCNAME" "rc $rc"
	elif ! grep -q 'aws-access-key-file is "FROM INSTANCE", but the instance role is not available: instance role annex-test-role at .*: output is not a JSON object' "$tmp/err"; then
		bad "$FUNCNAME" "$(cat "$tmp/err")"
	else ok "$FUNCNAME"; fi
}

if [ ! -x "$PROBE" ]; then
	echo "missing $PROBE (make build-tests)"
	echo "0 passed, 1 failed"
	exit 1
fi
t_token_flow
t_stub_requires_token
t_timeout
t_disabled
t_nothing_found_lists_sources
t_nothing_found_setup_lists_default_pair
t_no_role
t_connection_refused
t_env_beats_imds
t_shared_file_beats_imds
t_from_instance
t_from_instance_disabled
t_from_instance_bad_json
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
