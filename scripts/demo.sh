#!/usr/bin/env bash
# demo.sh - the whole annex workflow, end to end, against a local AWS
# emulator (moto_server on 127.0.0.1, signature checking on) with a
# throwaway pool configuration and password:
#   -setup, -check-setup, -count 2, -status, -off.
#
# The collector check sends no packet off the machine: the demo re-runs
# itself in a private network namespace (unshare --net; as root, else in a
# user namespace where the kernel allows one) whose loopback also holds the
# collector address 198.51.100.7, with a small listener on port 9618. Where
# no namespace can be made it says so, and the collector check warns.
#
# It never touches real AWS unless ANNEX_DEMO_REAL_AWS=1 is set, and then it
# says what it will create and what that costs, and asks first.
#
# ANNEX_BIN picks the binary (default ./annex, else build/annex).
set -euo pipefail
cd "$(dirname "$0")/.."
COLLECTOR_IP=198.51.100.7
COLLECTOR_PORT=9618
ANNEX=${ANNEX_BIN:-}
if [ -z "$ANNEX" ]; then
	if [ -x "$PWD/annex" ]; then ANNEX=$PWD/annex; else ANNEX=$PWD/build/annex; fi
fi
[ -x "$ANNEX" ] || { echo "demo: no annex binary at $ANNEX (run make first)" >&2; exit 1; }
export ANNEX_BIN=$ANNEX

step() { printf '\n==> %s\n' "$*"; }
run() { printf '$ annex %s\n' "$*"; "$ANNEX" "$@"; }

real=0
[ "${ANNEX_DEMO_REAL_AWS:-}" = 1 ] && real=1

# Into a private network namespace first (emulator mode only): root can
# make one directly; anyone else tries a user namespace.
if [ "$real" = 0 ] && [ -z "${ANNEX_DEMO_NETNS:-}" ]; then
	if [ "$(id -u)" -eq 0 ] && unshare --net true 2>/dev/null; then
		exec env ANNEX_DEMO_NETNS=root unshare --net -- "$0" "$@"
	elif unshare --user --map-root-user --net true 2>/dev/null; then
		exec env ANNEX_DEMO_NETNS=user unshare --user --map-root-user --net -- "$0" "$@"
	fi
	ANNEX_DEMO_NETNS=none
fi

work=$(mktemp -d /tmp/annex-demo.XXXXXX)
moto_started=
listener_pid=
cleanup() {
	# the emulator by its own pid (its process group): TERM, then KILL if
	# it is still there after 10 s, so nothing outlives the demo
	local pid
	pid=$(cat "$work/moto/moto.pid" 2>/dev/null || true)
	if [ -n "$moto_started" ] && [ -n "$pid" ]; then
		kill -TERM -- "-$pid" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	if [ -n "$listener_pid" ]; then kill "$listener_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

if [ "$real" = 1 ]; then
	region=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}
	cat <<MSG
ANNEX_DEMO_REAL_AWS=1: this demo will use your real AWS account, region $region.
It creates annex's setup (an S3 bucket, three IAM roles, an instance profile,
a Lambda function and a security group: free at rest), then starts 2 m5.large
on-demand instances for at most 0.1 hours (about 2 US cents in us-east-1, plus
their EBS volumes for those minutes), then terminates them. The setup stays;
remove it afterwards with: annex -setup -remove
MSG
	read -r -p "Type 'yes' to go on: " answer || answer=
	[ "$answer" = yes ] || { echo "Not running the demo."; exit 1; }
	collector=${ANNEX_DEMO_COLLECTOR:?set ANNEX_DEMO_COLLECTOR to your collector public address}
else
	step "A private network: loopback and the collector address $COLLECTOR_IP, nothing else"
	case $ANNEX_DEMO_NETNS in
	root|user)
		ip link set lo up
		ip addr add "$COLLECTOR_IP/32" dev lo
		python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16)
while True:
    c, _ = s.accept(); c.close()
' "$COLLECTOR_IP" "$COLLECTOR_PORT" &
		listener_pid=$!
		echo "network namespace ($ANNEX_DEMO_NETNS); a collector stand-in listens on $COLLECTOR_IP:$COLLECTOR_PORT"
		;;
	*)
		echo "no private network namespace here (not root, no user namespaces): the collector"
		echo "check will warn, since nothing answers at $COLLECTOR_IP:$COLLECTOR_PORT"
		;;
	esac
	step "Starting a local AWS emulator (moto_server on 127.0.0.1, signature checking on)"
	moto_started=1
	eval "$(python3 tests/lib/motoserver.py start "$work/moto")"
	echo "moto at $MOTO_URL; credentials: an IAM user made for this demo"
	region=us-east-1
	collector=$COLLECTOR_IP:$COLLECTOR_PORT
fi

step "A throwaway pool: condor_config, LOCAL_CONFIG_DIR, pool password"
mkdir -p "$work/config.d" "$work/home"
head -c 32 /dev/urandom | base64 > "$work/pool_password"
chmod 600 "$work/pool_password"
image=
if [ "$real" = 0 ]; then
	image=$(python3 - <<'PY'
import boto3, os
ec2 = boto3.client("ec2", endpoint_url=os.environ["MOTO_URL"], region_name="us-east-1")
# an x86_64 Amazon Linux 2023 image: annex refuses images the nodes cannot install HTCondor on
print(sorted(i["ImageId"] for i in ec2.describe_images(Owners=["amazon"])["Images"]
             if i.get("Architecture") == "x86_64" and i.get("Name", "").startswith("al2023-ami-2023"))[0])
PY
)
fi
{
	echo "COLLECTOR_HOST = $collector"
	echo "SEC_PASSWORD_FILE = $work/pool_password"
	echo "LOCAL_CONFIG_DIR = $work/config.d"
	if [ -n "$image" ]; then echo "ANNEX_DEFAULT_ODI_IMAGE_ID = $image"; fi
	# -check-setup's permission probes that moto honours: it ignores DryRun
	# on RequestSpotFleet and CancelSpotFleetRequests (docs/iam.md)
	echo "ANNEX_CHECK_PERMISSIONS = RunInstances, CreateLaunchTemplate, TerminateInstances, DescribeInstances"
} > "$work/condor_config"
cat "$work/condor_config"
export CONDOR_CONFIG=$work/condor_config
export AWS_EC2_METADATA_DISABLED=true
if [ "$real" = 0 ]; then
	# the emulator's credentials only: no ~/.aws or ~/.condor of the user's
	export HOME=$work/home AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
	unset AWS_PROFILE AWS_SESSION_TOKEN
fi

step "Create the AWS side once"
run -setup "$region"
step "Check it"
run -check-setup || echo "(-check-setup reported a problem; see above)"
step "Start an annex of 2 on-demand instances (lease 0.1 h, idle 0.05 h)"
run -count 2 -annex-name demo -instance-type m5.large -duration 0.1 -idle 0.05 -yes
step "What runs in AWS"
run -status -annex-name demo
step "End the annex"
run -off -annex-name demo
if [ "$real" = 1 ]; then
	step "Done: the annex is gone; the setup stays (annex -setup -remove takes it away)."
else
	step "Done: setup, check, launch, status and teardown all ran against the emulator."
fi
