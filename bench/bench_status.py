#!/usr/bin/env python3
"""bench_status.py N - launches N instances tagged htcondor:AnnexName in a
local moto (aws ec2 run-instances --count, 1000 a call), then times annex
-status (wall and CPU) and aws ec2 describe-instances with the same filter."""
import os, subprocess, sys, time, tempfile
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from motoserver import MotoServer
N = int(sys.argv[1])
with MotoServer() as m:
    ec2 = m.client("ec2")
    img = sorted(i["ImageId"] for i in ec2.describe_images(Owners=["amazon"])["Images"])[0]
    env = dict(os.environ, **m.env())
    t = time.time()
    left = N
    while left:
        k = min(left, 1000)
        subprocess.run(["aws", "ec2", "run-instances", "--image-id", img, "--count", str(k), "--instance-type", "t3.micro",
                        "--tag-specifications", "ResourceType=instance,Tags=[{Key=htcondor:AnnexName,Value=bench},{Key=htcondor:LeaseExpiration,Value=2030-01-01T00:00:00Z}]",
                        "--endpoint-url", m.url, "--region", "us-east-1", "--output", "text", "--query", "Instances[0].InstanceId"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        left -= k
    print("launched %d in %.1fs" % (N, time.time() - t))
    d = tempfile.mkdtemp()
    cfg = os.path.join(d, "condor_config"); open(cfg, "w").write("")
    aenv = dict(m.env(), PATH="/usr/bin:/bin", HOME=d, CONDOR_CONFIG=cfg)
    import resource

    def timed(argv, e):
        t = time.time()
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run(argv, env=e, capture_output=True, text=True)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        return p, time.time() - t, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime

    annex = os.environ.get("ANNEX_BIN", os.path.join(ROOT, "build", "annex"))
    for args in (["-status"], ["-status", "-annex-name", "bench"], ["-status", "-json"]):
        p, wall, cpu = timed([annex] + args, aenv)
        print("annex %s: wall %.2f s, cpu %.2f s, rc=%d, %d lines %s" % (
            " ".join(args), wall, cpu, p.returncode, len(p.stdout.splitlines()), p.stderr[:200]))
    p, awall, acpu = timed(["aws", "ec2", "describe-instances", "--filters", "Name=tag-key,Values=htcondor:AnnexName",
                            "--endpoint-url", m.url, "--region", "us-east-1", "--output", "json"], env)
    p, wall, cpu = timed([annex, "-status", "-json"], aenv)
    print("status %d: annex -json cpu %.2f s, aws ec2 describe-instances cpu %.2f s, ratio %.1f; "
          "wall %.2f s vs %.2f s (moto's filtering dominates)" % (N, cpu, acpu, acpu / cpu if cpu else 0, wall, awall))
