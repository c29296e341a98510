#!/usr/bin/env python3
"""launch.py - `annex -count 500 -yes` against moto (signature checking on)
versus `aws ec2 run-instances --count 500` with the same parameters: the
same image, type, instance profile, security group, shutdown behaviour,
metadata options, tags (instance and volume) and the very user-data bytes
annex sent. Both go through the recording proxy, which counts the calls and
lets the bench compare the two RunInstances requests field by field (it
refuses to report if they differ beyond the tag values and the token).
annex's launch is priced (GetProducts, from a stub Price List on loopback:
moto has none), as every launch is; its price tag is one of the tags.

Figures per client (benchlib.Run: wait4's rusage and /usr/bin/time's %M): CPU
(user+sys) and peak RSS; the median of BENCH_LAUNCH_REPS runs (default 3).
BENCH_LAUNCH_COUNT changes the 500.
"""
import base64
import json
import os
import shutil
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402


def knobs(path):
    out = {}
    for line in open(path):
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out[k.strip().split(".", 1)[-1]] = v.strip()
    return out


def all_ids(m):
    """Every instance id moto holds (DescribeInstanceStatus stays fast where
    a tag-filtered DescribeInstances over thousands of instances does not)."""
    pages = m.client("ec2").get_paginator("describe_instance_status").paginate(IncludeAllInstances=True)
    return {s["InstanceId"] for page in pages for s in page["InstanceStatuses"]}


def launched(m, before, n, annex_id, who):
    """The ids a launch added: exactly n, tagged with its annex id."""
    new = sorted(all_ids(m) - before)
    if len(new) != n:
        B.die("%s launched %d instances, not %d" % (who, len(new), n))
    t = m.client("ec2").describe_tags(Filters=[{"Name": "resource-id", "Values": [new[0]]}])["Tags"]
    if {x["Key"]: x["Value"] for x in t}.get("htcondor:AnnexId") != annex_id:
        B.die("%s's instance %s lacks htcondor:AnnexId %s: %r" % (who, new[0], annex_id, t))
    return new


def user_data(m, iid):
    return base64.b64decode(m.client("ec2").describe_instance_attribute(
        InstanceId=iid, Attribute="userData")["UserData"]["Value"])


def run_annex(m, pool, n):
    before = all_ids(m)
    # every launch asks its price (GetProducts): a stub Price List answers
    # it, as AWS would, so the calls counted are a real launch's
    with B.pricelist.PriceList() as stub, B.annextest.FaultProxy([]) as fp:
        r = B.Run([B.ANNEX, "-count", str(n), "-annex-name", "bench", "-yes"],
                  pool.env(AWS_ENDPOINT_URL_PRICING=stub.url, **fp.env()))
        calls = fp.calls()
    r.ok("annex -count %d" % n)
    ids = [w.strip("'.") for w in r.out.split() if w.startswith("'bench_")]
    if len(ids) != 1:
        B.die("no annex id in annex's output: " + r.out)
    return r, calls, launched(m, before, n, ids[0], "annex")


def cli_argv(run_params, tags, ud_path, token):
    """aws ec2 run-instances with annex's parameters (read back from annex's
    own RunInstances request, as the proxy logged it)."""
    p = run_params
    n = p["MinCount"]
    specs = [{"ResourceType": rt, "Tags": [{"Key": k, "Value": v} for k, v in tags]} for rt in ("instance", "volume")]
    mo = ",".join("%s=%s" % (k.split(".", 1)[1], v) for k, v in sorted(p.items()) if k.startswith("MetadataOptions."))
    return ["aws", "ec2", "run-instances", "--count", n, "--image-id", p["ImageId"],
            "--instance-type", p["InstanceType"], "--iam-instance-profile", "Arn=" + p["IamInstanceProfile.Arn"],
            "--security-group-ids", p["SecurityGroupId.1"],
            "--instance-initiated-shutdown-behavior", p["InstanceInitiatedShutdownBehavior"],
            "--metadata-options", mo, "--tag-specifications", json.dumps(specs),
            "--user-data", "fileb://" + ud_path, "--client-token", token, "--output", "json"]


def same_request(a, b):
    """The two RunInstances requests differ only in tag values and token."""
    skip = lambda k: k == "ClientToken" or (k.startswith("TagSpecification.") and k.endswith(".Value"))  # noqa: E731
    da = {k: v for k, v in a.items() if not skip(k)}
    db = {k: v for k, v in b.items() if not skip(k)}
    return da == db, sorted(set(da.items()) ^ set(db.items()))


def main():
    n = B.reps("BENCH_LAUNCH_COUNT", 500)
    reps = B.reps("BENCH_LAUNCH_REPS", 3)
    work = tempfile.mkdtemp(prefix="annex-bench-launch-")
    with B.MotoServer() as m:
        pool = B.annextest.Pool(m)
        annex_runs, cli_runs, per_launch = [], [], []
        for rep in range(reps):
            # each repetition on an emulator reset to nothing (moto slows
            # down as instances pile up), set up again
            m.reset()
            B.Run([B.ANNEX, "-setup"], pool.env()).ok("annex -setup")
            r, calls, got = run_annex(m, pool, n)
            annex_runs.append(r)
            per_launch.append(len(calls))
            runs = [c for c in calls if c["operation"] == "RunInstances"]
            if len(runs) != 1 or runs[0]["params"].get("MaxCount") != str(n):
                B.die("annex's RunInstances: %r" % runs)
            if "htcondor:PriceUSDPerHour" not in runs[0]["params"].values():
                B.die("annex's launch was not priced (no htcondor:PriceUSDPerHour tag)")
            # the same user-data bytes (before base64) and tags, for the CLI
            ud = user_data(m, got[0])
            ud_path = os.path.join(work, "user-data")
            with open(ud_path, "wb") as f:
                f.write(ud)
            p = runs[0]["params"]
            cli_id = "bcli%d_%s" % (rep % 10, uuid.uuid4())   # as long as annex's "bench_<uuid>"
            tags = []
            for i in range(1, 100):
                k = p.get("TagSpecification.1.Tag.%d.Key" % i)
                if k is None:
                    break
                v = p["TagSpecification.1.Tag.%d.Value" % i].replace(p["ClientToken"], cli_id)
                tags.append((k, v))
            argv = cli_argv(p, tags, ud_path, cli_id)
            before = all_ids(m)
            with B.annextest.FaultProxy([]) as fp:
                c = B.Run(argv, B.cli_env(m, pool.home, fp.env())).ok("aws ec2 run-instances")
                ccalls = fp.calls()
            cli_runs.append(c)
            same, diff = same_request(p, ccalls[-1]["params"] if ccalls else {})
            if len(ccalls) != 1 or not same:
                B.die("aws-cli's request differs from annex's: %r" % diff)
            cud = user_data(m, launched(m, before, n, cli_id, "aws-cli")[0])
            if cud != ud:
                B.die("aws-cli's user-data differs from annex's (%d vs %d bytes)" % (len(cud), len(ud)))
        shutil.rmtree(pool.dir, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    a_cpu = B.median([r.cpu for r in annex_runs])
    c_cpu = B.median([r.cpu for r in cli_runs])
    a_rss = B.median([r.rss_kib for r in annex_runs]) / 1024
    c_rss = B.median([r.rss_kib for r in cli_runs]) / 1024
    calls = sorted(set(per_launch))
    print("launch %d: annex cpu %.3f s, aws-cli cpu %.3f s, ratio %.1f; annex calls per launch: %s"
          % (n, a_cpu, c_cpu, c_cpu / max(a_cpu, 0.001), "/".join(map(str, calls))))
    print("launch %d peak RSS: annex %.1f MiB, aws-cli %.1f MiB, ratio %.1f" % (n, a_rss, c_rss, c_rss / a_rss))
    print("launch %d wall (moto's time included): annex %.2f s, aws-cli %.2f s"
          % (n, B.median([r.wall for r in annex_runs]), B.median([r.wall for r in cli_runs])))
    print("launch %d user-data: %d bytes before base64, the same bytes for both" % (n, len(ud)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
