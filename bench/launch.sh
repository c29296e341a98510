#!/usr/bin/env bash
# launch.sh - `make bench-launch`: annex -count 500 -yes against moto
# (signature checking on) versus aws ec2 run-instances --count 500 with the
# same parameters: client CPU and peak RSS of each, the ratio, and annex's
# AWS calls per launch (bench/README.md says what each means).
# BENCH_LAUNCH_REPS / BENCH_LAUNCH_COUNT change the repetitions and the 500.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v aws >/dev/null || { echo "bench/launch.sh: no aws (the AWS CLI) on PATH" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/launch.sh: no /usr/bin/time (make test-deps installs it)" >&2; exit 1; }
export ANNEX_BIN=${ANNEX_BIN:-$PWD/build/annex}
export AWS_EC2_METADATA_DISABLED=true
exec python3 bench/launch.py
