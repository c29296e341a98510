#!/usr/bin/env bash
# fleet.sh - `make bench-fleet`: annex -count 500 -instance-types T1,T2,T3
# -yes (one instant CreateFleet) against moto (signature checking on)
# versus aws ec2 create-fleet with the same input: client CPU and peak RSS
# of each, the ratio (bench/README.md says what each means).
# BENCH_FLEET_REPS / BENCH_FLEET_COUNT / BENCH_FLEET_TYPES change the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v aws >/dev/null || { echo "bench/fleet.sh: no aws (the AWS CLI) on PATH" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/fleet.sh: no /usr/bin/time (make test-deps installs it)" >&2; exit 1; }
export ANNEX_BIN=${ANNEX_BIN:-$PWD/build/annex}
export AWS_EC2_METADATA_DISABLED=true
exec python3 bench/launch_fleet.py
