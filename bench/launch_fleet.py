#!/usr/bin/env python3
"""launch_fleet.py - `make bench-fleet` (issue 21): `annex -count 500
-instance-types T1,T2,T3 -yes` (one EC2 CreateFleet of type instant over
annex's launch template) against moto with signature checking on, versus
`aws ec2 create-fleet --cli-input-json` with the same input: the JSON is
built from annex's own CreateFleet request as the recording proxy logged
it, on annex's launch template, and the bench refuses to report unless the
CLI's request equals annex's field by field (beyond the client token and
the annex id in tag values, which each launch has its own of).

Figures per client (benchlib.Run: wait4's rusage and /usr/bin/time's %M): CPU
(user+sys) and peak RSS; the median of BENCH_FLEET_REPS runs (default 3).
BENCH_FLEET_COUNT changes the 500, BENCH_FLEET_TYPES the types.
"""
import json
import os
import re
import shutil
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

# EC2 query names whose JSON (CLI input) names differ.
JSON_NAME = {"TagSpecification": "TagSpecifications", "Tag": "Tags"}
# CreateFleet's number-typed fields (botocore validates the JSON types).
INTS = {"TotalTargetCapacity", "OnDemandTargetCapacity", "SpotTargetCapacity", "MinTargetCapacity"}
FLOATS = {"Priority", "WeightedCapacity"}


def nest(params):
    """EC2 query form fields (A.1.B=v) to the CLI's JSON input."""
    root = {}
    for key, val in params.items():
        if key in ("Action", "Version"):
            continue
        parts = key.split(".")
        cur = root
        for i, p in enumerate(parts):
            last = i == len(parts) - 1
            nxt = None if last else parts[i + 1]
            if p.isdigit():
                k = int(p) - 1
                while len(cur) <= k:
                    cur.append(None)
                if last:
                    cur[k] = val
                else:
                    if cur[k] is None:
                        cur[k] = [] if nxt.isdigit() else {}
                    cur = cur[k]
                continue
            name = JSON_NAME.get(p, p)
            if last:
                if p in INTS:
                    val = int(val)
                elif p in FLOATS:
                    val = float(val)
                elif val in ("true", "false"):
                    val = val == "true"
                cur[name] = val
            else:
                cur = cur.setdefault(name, [] if nxt.isdigit() else {})
    return root


def all_ids(m):
    pages = m.client("ec2").get_paginator("describe_instance_status").paginate(IncludeAllInstances=True)
    return {s["InstanceId"] for page in pages for s in page["InstanceStatuses"]}


def canon(v):
    """A number as its value ("1" and "1.0" are the same priority)."""
    try:
        return repr(float(v))
    except ValueError:
        return v


def same_request(a, b):
    """The two CreateFleet requests differ only in tag values and token."""
    skip = lambda k: k == "ClientToken" or (k.startswith("TagSpecification.") and k.endswith(".Value"))  # noqa: E731
    da = {k: canon(v) for k, v in a.items() if not skip(k)}
    db = {k: canon(v) for k, v in b.items() if not skip(k)}
    return da == db, sorted(set(da.items()) ^ set(db.items()))


def main():
    n = B.reps("BENCH_FLEET_COUNT", 500)
    reps = B.reps("BENCH_FLEET_REPS", 3)
    types = os.environ.get("BENCH_FLEET_TYPES", "m5.large,c5.large,r5.large")
    work = tempfile.mkdtemp(prefix="annex-bench-fleet-")
    annex_runs, cli_runs, per_launch = [], [], []
    with B.MotoServer() as m:
        pool = B.annextest.Pool(m)
        for rep in range(reps):
            m.reset()
            B.Run([B.ANNEX, "-setup"], pool.env()).ok("annex -setup")
            before = all_ids(m)
            # every launch asks its prices (GetProducts per type): a stub
            # Price List answers them, as AWS would
            with B.pricelist.PriceList() as stub, B.annextest.FaultProxy([]) as fp:
                r = B.Run([B.ANNEX, "-count", str(n), "-annex-name", "bench", "-instance-types", types, "-yes"],
                          pool.env(AWS_ENDPOINT_URL_PRICING=stub.url, **fp.env())).ok(
                              "annex -count %d -instance-types %s" % (n, types))
                calls = fp.calls()
            annex_runs.append(r)
            per_launch.append(len(calls))
            fleets = [c for c in calls if c["operation"] == "CreateFleet"]
            if len(fleets) != 1:
                B.die("annex sent %d CreateFleet calls, not 1" % len(fleets))
            got = all_ids(m) - before
            if len(got) != n:
                B.die("annex launched %d instances, not %d" % (len(got), n))
            p = fleets[0]["params"]
            token = p["ClientToken"]
            cli_id = "bcli%d_%s" % (rep % 10, uuid.uuid4())   # as long as annex's "bench_<uuid>"
            q = {k: (v.replace(token, cli_id) if k.endswith(".Value") else v) for k, v in p.items()}
            q["ClientToken"] = cli_id
            doc = nest(q)
            path = os.path.join(work, "fleet.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            before = all_ids(m)
            with B.annextest.FaultProxy([]) as fp:
                c = B.Run(["aws", "ec2", "create-fleet", "--cli-input-json", "file://" + path, "--output", "json"],
                          B.cli_env(m, pool.home, fp.env())).ok("aws ec2 create-fleet")
                ccalls = fp.calls()
            cli_runs.append(c)
            same, diff = same_request(p, ccalls[-1]["params"] if ccalls else {})
            if len(ccalls) != 1 or not same:
                B.die("aws-cli's request differs from annex's: %r" % diff)
            if len(all_ids(m) - before) != n:
                B.die("aws-cli launched %d instances, not %d" % (len(all_ids(m) - before), n))
        shutil.rmtree(pool.dir, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    a_cpu = B.median([x.cpu for x in annex_runs])
    c_cpu = B.median([x.cpu for x in cli_runs])
    a_rss = B.median([x.rss_kib for x in annex_runs]) / 1024
    c_rss = B.median([x.rss_kib for x in cli_runs]) / 1024
    print("fleet %d (%s): annex cpu %.3f s, aws-cli cpu %.3f s, ratio %.1f; annex calls per launch: %s"
          % (n, types, a_cpu, c_cpu, c_cpu / max(a_cpu, 0.001), "/".join(map(str, sorted(set(per_launch))))))
    print("fleet %d peak RSS: annex %.1f MiB, aws-cli %.1f MiB, ratio %.1f" % (n, a_rss, c_rss, c_rss / a_rss))
    print("fleet %d wall (moto's time included): annex %.2f s, aws-cli %.2f s"
          % (n, B.median([x.wall for x in annex_runs]), B.median([x.wall for x in cli_runs])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
