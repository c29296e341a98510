#!/usr/bin/env bash
# test_examples.sh - examples/ stays true: every file says what it is and
# where it goes; the example user config parses with annex's config reader,
# names only knobs of the registry, and names exactly the knobs a real
# `annex -setup us-east-1` records (against moto); the pool-side snippet
# parses and speaks what the nodes' boot script requires; spot-fleet.json
# loads and a launch with it fails only on its placeholder image (with the
# image replaced, a -dry-run launch goes through); the cron line and the
# systemd units run `annex -reap`; examples/README.md lists every file.
# shellcheck disable=SC2015  # ok and ko always succeed, so A && ok || ko is if-then-else
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ANNEX=${ANNEX_BIN:-$ROOT/build/annex}
EX=$ROOT/examples
tmp=$(mktemp -d)
moto_dir=$tmp/moto
trap 'python3 "$ROOT/tests/lib/motoserver.py" stop "$moto_dir" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
# annex with a clean environment and CONDOR_CONFIG=$1
cv() { local c=$1; shift; env -i PATH=/usr/bin:/bin HOME="$tmp" CONDOR_CONFIG="$c" AWS_EC2_METADATA_DISABLED=true "$ANNEX" "$@"; }

# 1. every file but the JSON starts with a comment naming itself
for f in "$EX"/*; do
	b=$(basename "$f")
	case $b in
	*.json) python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$f" 2>"$tmp/err" &&
		ok "$b is JSON" || ko "$b is JSON" "$(cat "$tmp/err")" ;;
	README.md) head -n 1 "$f" | grep -q '^# examples/' && ok "README.md heads examples/" ||
		ko "README.md" "first line: $(head -n 1 "$f")" ;;
	*) head -n 1 "$f" | grep -q "^# $b - " && sed -n 2p "$f" | grep -q '^#' &&
		ok "$b starts with a comment naming it" || ko "$b starts with a comment naming it" "$(head -n 2 "$f")" ;;
	esac
	if [ "$b" != README.md ]; then
		grep -q "\`$b\`" "$EX/README.md" && ok "examples/README.md lists $b" || ko "examples/README.md lists $b" "not in the table"
	fi
done

# 2. the user config: parses, and every knob it names (set or commented) is annex's
uc=$EX/user_config
out=$(cv "$uc" -config-val ANNEX_DEFAULT_S3_BUCKET ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN ANNEX_DEFAULT_AWS_REGION 2>&1); rc=$?
want=$'htcondor-annex-123456789012-us-east-1\narn:aws:iam::123456789012:role/HTCondorAnnex-SpotFleetRole\nus-east-1'
[ "$rc" -eq 0 ] && [ "$out" = "$want" ] && ok "user_config parses: the region-prefixed knobs read back in us-east-1" ||
	ko "user_config parses" "rc=$rc out=$out"
names=$(sed -nE 's/^#? *([A-Za-z0-9_]+\.)?(ANNEX_[A-Z0-9_]+|SEC_[A-Z_]+|COLLECTOR_HOST) *=.*/\2/p' "$uc" | sort -u)
bad=""
for n in $names; do cv "$uc" -config-val -describe "$n" >/dev/null 2>&1 || bad="$bad $n"; done
[ -n "$names" ] && [ -z "$bad" ] && ok "user_config names only registry knobs ($(echo "$names" | wc -w))" ||
	ko "user_config names only registry knobs" "not in the registry:$bad"

# 3. the pool-side snippet parses, and accepts what the nodes require
pc=$EX/pool-annex.config
out=$(cv "$pc" -config-val SEC_PASSWORD_FILE ALLOW_DAEMON ALLOW_ADVERTISE_STARTD SEC_DAEMON_AUTHENTICATION \
	SEC_DAEMON_AUTHENTICATION_METHODS SEC_NEGOTIATOR_AUTHENTICATION_METHODS SEC_CLIENT_AUTHENTICATION_METHODS 2>&1); rc=$?
if [ "$rc" -eq 0 ] && [ "$(echo "$out" | sed -n 1p)" = /etc/condor/passwords.d/POOL ] &&
	[ "$(echo "$out" | grep -c 'condor_pool@\*')" -eq 2 ] && [ "$(echo "$out" | sed -n 4p)" = REQUIRED ] &&
	[ "$(echo "$out" | sed -n '5,7p' | grep -c 'PASSWORD')" -eq 3 ]; then
	ok "pool-annex.config parses: pool password file, condor_pool@* allowed, PASSWORD everywhere"
else ko "pool-annex.config parses" "rc=$rc out=$out"; fi
# the pool password file it names is the node's default place (src/bootscript.c)
grep -q '#define BOOTSCRIPT_DEFAULT_PASSWORD_FILE "/etc/condor/passwords.d/POOL"' "$ROOT"/include/annex/bootscript.h \
	"$ROOT"/src/bootscript.c 2>/dev/null && ok "its SEC_PASSWORD_FILE is the nodes' default" ||
	ko "its SEC_PASSWORD_FILE is the nodes' default" "BOOTSCRIPT_DEFAULT_PASSWORD_FILE changed"
grep -q 'condor_store_cred -c add -f /etc/condor/passwords.d/POOL' "$pc" && grep -q 'TCP_FORWARDING_HOST' "$pc" &&
	grep -q 'docs/network.md' "$pc" && grep -q '+MayUseAWS = True' "$pc" &&
	ok "pool-annex.config says how to make the password, the NAT setting and the MayUseAWS opt-in" ||
	ko "pool-annex.config notes" "a note is missing"

# 4. cron and systemd run annex -reap every five minutes
grep -qE '^\*/5 \* \* \* \* annex -reap$' "$EX/annex-reap.cron" && ok "the cron line runs annex -reap every 5 minutes" ||
	ko "the cron line" "$(grep -v '^#' "$EX/annex-reap.cron")"
grep -q '^ExecStart=/usr/bin/env annex -reap$' "$EX/annex-reap@.service" && grep -q '^User=%i$' "$EX/annex-reap@.service" &&
	grep -q '^OnUnitActiveSec=5min$' "$EX/annex-reap@.timer" && grep -q '^WantedBy=timers.target$' "$EX/annex-reap@.timer" &&
	ok "the systemd units run annex -reap as %i every 5 minutes" || ko "the systemd units" "ExecStart/User/OnUnitActiveSec changed"

# 5. against moto: a real -setup records exactly the example's knobs; the
# example Spot Fleet config fails only on its placeholder image
if ! eval "$(python3 "$ROOT/tests/lib/motoserver.py" start "$moto_dir")"; then
	ko "moto" "did not start"
	echo "$pass passed, $fail failed"; exit 1
fi
mkdir -p "$tmp/config.d" "$tmp/home"
printf 'secret-pool-password' >"$tmp/pw"; chmod 600 "$tmp/pw"
image=$(python3 - "$MOTO_URL" <<'PY'
import sys, boto3
ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="us-east-1")
imgs = ec2.describe_images(Owners=["amazon"])["Images"]
print(sorted(i["ImageId"] for i in imgs if i.get("Architecture") == "x86_64" and
             i.get("Name", "").startswith("al2023-ami-2023"))[0])
PY
)
printf 'COLLECTOR_HOST = 192.0.2.10:9618\nSEC_PASSWORD_FILE = %s\nLOCAL_CONFIG_DIR = %s\n' "$tmp/pw" "$tmp/config.d" >"$tmp/condor_config"
ma() { env -i PATH=/usr/bin:/bin HOME="$tmp/home" CONDOR_CONFIG="$tmp/condor_config" AWS_EC2_METADATA_DISABLED=true \
	AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL" \
	ANNEX_RETRY_BASE_MS=10 "$ANNEX" "$@"; }
# as root -setup writes to LOCAL_CONFIG_DIR/50-annex-setup; otherwise to the user config
ma -setup us-east-1 >"$tmp/out" 2>&1; rc=$?
written=$tmp/config.d/50-annex-setup
[ "$(id -u)" -eq 0 ] || written=$tmp/home/.condor/user_config
knobs() { grep -vE '^\s*(#|$)' "$1" | sed -E 's/^([a-z0-9_]+\.)?([A-Z0-9_]+) *=.*/\1\2/' | sort; }
if [ "$rc" -eq 0 ] && [ -f "$written" ] && [ "$(knobs "$written")" = "$(knobs "$uc")" ]; then
	ok "user_config names exactly the knobs -setup us-east-1 records ($(knobs "$uc" | wc -l))"
else ko "user_config names the knobs -setup records" "rc=$rc $(tail -n 3 "$tmp/out"); recorded: $(knobs "$written" 2>/dev/null | tr '\n' ' ') example: $(knobs "$uc" | tr '\n' ' ')"; fi
grep -q "^# Generated by annex -setup for region us_east_1.$" "$written" && grep -q "^# Generated by annex -setup for region us_east_1.$" "$uc" &&
	ok "user_config carries -setup's header line" || ko "the header line" "differs"
printf 'ANNEX_DEFAULT_ODI_IMAGE_ID = %s\n' "$image" >>"$tmp/condor_config"

ma -slots 4 -annex-name examples -aws-spot-fleet-config-file "$EX/spot-fleet.json" -dry-run >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ "$rc" -eq 1 ] && grep -q 'image ami-0123456789abcdef0 does not exist in us-east-1' "$tmp/err" &&
	[ "$(grep -vc '^annex: region ' "$tmp/err")" -eq 1 ]; then
	ok "spot-fleet.json loads; the launch fails only on its placeholder image, in one line"
else ko "spot-fleet.json fails only on the placeholder" "rc=$rc err=$(cat "$tmp/err")"; fi
sed "s/ami-0123456789abcdef0/$image/" "$EX/spot-fleet.json" >"$tmp/fleet.json"
ma -slots 4 -annex-name examples -aws-spot-fleet-config-file "$tmp/fleet.json" -dry-run >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ "$rc" -eq 0 ] && grep -q 'RequestSpotFleet' "$tmp/out" && grep -q 'g4dn.xlarge' "$tmp/out"; then
	ok "spot-fleet.json with a real image: the -dry-run launch goes through"
else ko "spot-fleet.json with a real image" "rc=$rc out=$(tail -n 5 "$tmp/out") err=$(cat "$tmp/err")"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
