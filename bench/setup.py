#!/usr/bin/env python3
"""setup.py - `annex -setup` against moto (signature checking on): its AWS
calls, their critical path and its wall time, from nothing and again with
nothing to create; and, in the same run, the same resources made by an AWS
CLI script doing the same calls (bench/aws-cli-setup.sh).

Calls are counted by the recording proxy (tests/lib/faultproxy.py, no
rules), independently of annex. Wall times are measured without the proxy,
each run on an emulator reset to nothing (the median of
BENCH_SETUP_REPS runs, default 5; the CLI script BENCH_SETUP_CLI_REPS,
default 1). Prints one line per figure.
"""
import io
import os
import shutil
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

ROLES = {"HTCondorAnnex-LeaseFunctionRole": "lease", "HTCondorAnnex-NodeRole": "node",
         "HTCondorAnnex-SpotFleetRole": "fleet", "HTCondorAnnex-ConnectivityFunctionRole": "connectivity"}


def chain_of(call):
    """Which independent chain of setup a call belongs to. Dependencies:
    every call needs the account (GetCallerIdentity); the function needs the
    lease role; the instance profile needs the node role; the bucket, the
    fleet role, the security group and the lease rules need nothing else."""
    op, p, url = call["operation"], call["params"], call["url"]
    if op == "GetCallerIdentity":
        return "identity"
    if "/2015-03-31/functions/HTCondorAnnex-ConnectivityFunction" in url:
        return "connectivity"
    if "/2015-03-31/functions" in url:
        return "lease"   # both CreateFunction calls (the name is in the body): an overestimate by one
    if "InstanceProfile" in op:
        return "node"
    if p.get("RoleName") in ROLES:
        return ROLES[p["RoleName"]]
    if op in ("ListRules", "ListTargetsByRule", "PutTargets", "EnableRule", "RemoveTargets"):
        return "rules"   # the lease rules of existing annexes (drift), a chain of its own
    if op == "CreateServiceLinkedRole" or (op == "ListRoles" and "spot" in p.get("PathPrefix", "")):
        return "fleet"   # EC2 Spot's service-linked role, after the fleet role
    if p.get("Version") == "2016-11-15":
        return "group"
    if op.startswith(("HEAD ", "PUT ", "GET ")):
        return "bucket"
    return "other:" + op


def critical_path(calls):
    """Round trips on the critical path if the independent chains ran side
    by side: the account first, then the longest chain."""
    chains = {}
    for c in calls:
        chains.setdefault(chain_of(c), []).append(c["operation"])
    first = len(chains.pop("identity", []))
    return first + max((len(v) for v in chains.values()), default=0), chains


DELAY_S = 0.1
SLOW = [{"call": "any", "nth": 1, "times": 0, "fault": "delay", "seconds": DELAY_S}]


def slowed(argv, env_of):
    """One run through a proxy adding DELAY_S to every request, as a far
    region would: wall time, calls, and round trips on the critical path
    as the proxy saw them (calls chained by time: each began after the one
    before it had ended)."""
    with B.annextest.FaultProxy(SLOW) as fp:
        r = B.Run(argv, env_of(fp.env()))
        return r, len(fp.calls()), fp.critical_path()


def counted(pool, args):
    with B.annextest.FaultProxy([]) as fp:
        r = B.Run([B.ANNEX] + args, pool.env(**fp.env()))
        calls = fp.calls()
    return r, calls


def resources(m):
    """What exists in the emulator: the bench refuses a baseline that did
    not make what annex makes."""
    iam = m.client("iam")
    return {
        "bucket": len(m.client("s3").list_buckets()["Buckets"]),
        "roles": sorted(r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("HTCondorAnnex-")),
        "role policies": sum(len(iam.list_role_policies(RoleName=n)["PolicyNames"]) for n in ROLES),
        "profile roles": [r["RoleName"] for p in iam.list_instance_profiles()["InstanceProfiles"] for r in p["Roles"]],
        "functions": sorted(f["FunctionName"] for f in m.client("lambda").list_functions()["Functions"]),
        "function policy": "events.amazonaws.com" in m.client("lambda").get_policy(
            FunctionName="HTCondorAnnex-LeaseFunction")["Policy"],
        "groups": len([g for g in m.client("ec2").describe_security_groups()["SecurityGroups"]
                       if g["GroupName"] == "HTCondorAnnex-SecurityGroup"]),
    }


def lease_zip(path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("lease.py", "connectivity.py"):   # annex's zip holds both functions
            z.write(os.path.join(B.ROOT, "src", "functions", name), name)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def main():
    reps = B.reps("BENCH_SETUP_REPS", 5)
    cli_reps = B.reps("BENCH_SETUP_CLI_REPS", 1)
    work = tempfile.mkdtemp(prefix="annex-bench-setup-")
    zpath = os.path.join(work, "lease.zip")
    lease_zip(zpath)
    cli = [os.path.join(B.HERE, "aws-cli-setup.sh"), zpath]
    with B.MotoServer() as m:
        pool = B.annextest.Pool(m)
        # the calls, as the proxy saw them
        r1, calls1 = counted(pool, ["-setup"])
        r1.ok("annex -setup")
        want = resources(m)
        r2, calls2 = counted(pool, ["-setup"])
        r2.ok("annex -setup (again)")
        # wall times, no proxy, from nothing each time
        fresh, again = [], []
        for _ in range(reps):
            m.reset()
            fresh.append(B.Run([B.ANNEX, "-setup"], pool.env()).ok("annex -setup").wall)
            again.append(B.Run([B.ANNEX, "-setup"], pool.env()).ok("annex -setup (again)").wall)
        # the AWS CLI script: counted once through the proxy, then timed
        m.reset()
        with B.annextest.FaultProxy([]) as fp:
            B.Run(cli, B.cli_env(m, pool.home, fp.env())).ok("aws-cli-setup.sh")
            cli_calls = fp.calls()
        got = resources(m)
        if got != want:
            B.die("the AWS CLI script made %r, annex %r" % (got, want))
        # both through a proxy adding 100 ms per request, from nothing
        m.reset()
        r, slow_calls, slow_crit = slowed([B.ANNEX, "-setup"], lambda e: pool.env(**e))
        r.ok("annex -setup (slowed)")
        m.reset()
        rc, cli_slow_calls, cli_slow_crit = slowed(cli, lambda e: B.cli_env(m, pool.home, e))
        rc.ok("aws-cli-setup.sh (slowed)")
        cli_wall = []
        for _ in range(cli_reps):
            m.reset()
            cli_wall.append(B.Run(cli, B.cli_env(m, pool.home)).ok("aws-cli-setup.sh").wall)
    shutil.rmtree(pool.dir, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    crit, chains = critical_path(calls1)
    longest = max((k for k in chains), key=lambda k: len(chains[k]))
    a, b = B.median(fresh), B.median(cli_wall)
    print("setup calls: %d, wall: %.2f s" % (len(calls1), a))
    print("setup round trips on the critical path, by its dependencies: %d of %d calls (%d independent chains "
          "side by side: GetCallerIdentity, then the %s chain's %d)"
          % (crit, len(calls1), len(chains), longest, len(chains[longest])))
    print("setup through a proxy adding %d ms per request: annex: %d calls, %d round trips on the critical path, "
          "%.2f s; aws-cli script: %d calls, %d round trips, %.2f s; wall ratio aws-cli / annex: %.1f"
          % (DELAY_S * 1000, slow_calls, slow_crit, r.wall, cli_slow_calls, cli_slow_crit, rc.wall,
             rc.wall / r.wall))
    print("setup again (nothing to create) calls: %d, mutating: %d, wall: %.2f s"
          % (len(calls2), sum(1 for c in calls2 if c["mutating"]), B.median(again)))
    print("setup by the aws-cli script (same resources): calls: %d, wall: %.2f s" % (len(cli_calls), b))
    print("setup wall ratio aws-cli / annex: %.1f" % (b / a))
    return 0


if __name__ == "__main__":
    sys.exit(main())
