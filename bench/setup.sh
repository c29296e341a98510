#!/usr/bin/env bash
# setup.sh - `make bench-setup`: annex -setup against moto (signature
# checking on) versus the same calls made by the AWS CLI, in the same run.
# Prints one line per figure (bench/README.md says what each means).
# BENCH_SETUP_REPS / BENCH_SETUP_CLI_REPS set the timed repetitions.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v aws >/dev/null || { echo "bench/setup.sh: no aws (the AWS CLI) on PATH" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/setup.sh: no /usr/bin/time (make test-deps installs it)" >&2; exit 1; }
export ANNEX_BIN=${ANNEX_BIN:-$PWD/build/annex}
export AWS_EC2_METADATA_DISABLED=true
exec python3 bench/setup.py
