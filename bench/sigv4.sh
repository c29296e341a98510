#!/usr/bin/env bash
# sigv4.sh BENCH_BIN - SigV4 signing speed of annex against botocore, in the
# same run, on the same small EC2 query request (POST /, form body
# Action=DescribeInstances&Version=2016-11-15, host ec2.us-east-1.amazonaws.com,
# example credentials; nothing is sent anywhere). Prints exactly:
#   sigv4 signatures/s: annex A, botocore B, ratio R
# SIGV4_BENCH_N / SIGV4_BENCH_PY_N set the iteration counts.
set -euo pipefail
bin=${1:?usage: bench/sigv4.sh build/tools/bench_sigv4}
n=${SIGV4_BENCH_N:-500000}
py_n=${SIGV4_BENCH_PY_N:-20000}

# The pyenv python3 on PATH carries botocore; Debian's has it with boto3.
py=
for cand in python3 /usr/bin/python3; do
	if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import botocore' 2>/dev/null; then
		py=$cand
		break
	fi
done
[ -n "$py" ] || { echo "bench/sigv4.sh: no python3 with botocore" >&2; exit 1; }

annex_line=$("$bin" "$n")
annex=${annex_line##*: }

botocore=$(AWS_EC2_METADATA_DISABLED=true "$py" - "$py_n" <<'PY'
import sys, time
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

n = int(sys.argv[1])
creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
auth = SigV4Auth(creds, "ec2", "us-east-1")
req = AWSRequest(method="POST", url="https://ec2.us-east-1.amazonaws.com/",
                 data=b"Action=DescribeInstances&Version=2016-11-15",
                 headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
auth.add_auth(req)          # warm up, as the C side does
t0 = time.perf_counter()
for _ in range(n):
    auth.add_auth(req)      # replaces X-Amz-Date and Authorization each time
print(f"{n / (time.perf_counter() - t0):.0f}")
PY
)

awk -v a="$annex" -v b="$botocore" 'BEGIN {
	if (b <= 0) { print "bench/sigv4.sh: no botocore figure" > "/dev/stderr"; exit 1 }
	printf "sigv4 signatures/s: annex %d, botocore %d, ratio %.1f\n", a, b, a / b
}'
