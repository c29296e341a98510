#!/usr/bin/env python3
"""annex's RequestSpotFleet parameters against botocore's own EC2 serializer.

The Spot Fleet config is written with the API's member names; the query
protocol wants other names (SecurityGroups -> GroupSet, ...). botocore holds
AWS's service model, so the same completed config serialized by botocore is
the oracle, field by field. Also: LaunchTemplateConfigs and unknown members
are refused with a message naming them.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOOL = os.path.join(os.environ.get("ANNEX_BUILD", os.path.join(ROOT, "build")), "tools", "fleet_params")
results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(("PASS " if cond else "FAIL ") + name + ("" if cond else ": " + detail))


def run(*args):
    return subprocess.run([TOOL] + list(args), capture_output=True, text=True)


def botocore_params(cfg):
    import botocore.session
    from botocore import serialize
    model = botocore.session.get_session().get_service_model("ec2")
    op = model.operation_model("RequestSpotFleet")
    req = serialize.create_serializer("ec2").serialize_to_request({"SpotFleetRequestConfig": cfg}, op)
    body = dict(req["body"])
    body.pop("Action"), body.pop("Version")
    return {k: str(v) for k, v in body.items()}


def annex_params(path):
    r = run(path)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return dict(line.split("=", 1) for line in r.stdout.splitlines())


def main():
    example = os.path.join(ROOT, "examples", "spot-fleet.json")
    completed = json.loads(run("-raw", example).stdout)
    ours = annex_params(example)
    theirs = botocore_params(completed)
    diff = {k: (ours.get(k), theirs.get(k)) for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k)}
    check("example config serializes exactly as botocore does", not diff, repr(sorted(diff.items())[:5]))
    check("SecurityGroups sent as GroupSet",
          ours.get("SpotFleetRequestConfig.LaunchSpecifications.1.GroupSet.1.GroupId") == "sg-0a", repr(ours)[:300])
    check("BlockDeviceMappings sent as BlockDeviceMapping",
          "SpotFleetRequestConfig.LaunchSpecifications.1.BlockDeviceMapping.1.Ebs.VolumeSize" in ours)
    check("instance tags in every launch specification",
          all(ours.get("SpotFleetRequestConfig.LaunchSpecifications.%d.TagSpecificationSet.1.ResourceType" % i)
              == "instance" for i in range(1, 5)))
    check("request tagged as spot-fleet-request",
          ours.get("SpotFleetRequestConfig.TagSpecification.1.ResourceType") == "spot-fleet-request"
          and ours.get("SpotFleetRequestConfig.TagSpecification.1.Tag.2.Key") == "htcondor:AnnexId",
          repr([k for k in ours if "TagSpec" in k and k.count(".") <= 3]))
    check("lease settings", ours.get("SpotFleetRequestConfig.ValidUntil") == "2026-11-25T23:00:00Z"
          and ours.get("SpotFleetRequestConfig.TerminateInstancesWithExpiration") == "true"
          and ours.get("SpotFleetRequestConfig.TargetCapacity") == "40"
          and ours.get("SpotFleetRequestConfig.ClientToken", "").startswith("render_"))
    check("user-data in every launch specification",
          all(ours.get("SpotFleetRequestConfig.LaunchSpecifications.%d.UserData" % i) == "IyEvYmluL2Jhc2gK"
              for i in range(1, 5)))

    with tempfile.TemporaryDirectory() as d:
        lt = os.path.join(d, "lt.json")
        json.dump({"LaunchTemplateConfigs": [{"LaunchTemplateSpecification": {"LaunchTemplateId": "lt-1"}}],
                   "TargetCapacity": 1}, open(lt, "w"))
        r = run(lt)
        check("LaunchTemplateConfigs refused with a reason", r.returncode == 1 and "LaunchTemplateConfigs" in r.stderr
              and "user-data" in r.stderr, r.stderr)
        bad = os.path.join(d, "bad.json")
        json.dump({"LaunchSpecifications": [{"ImageId": "ami-1", "InstanceTypo": "m5.large"}]}, open(bad, "w"))
        r = run(bad)
        check("unknown member named", r.returncode == 1 and "InstanceTypo" in r.stderr, r.stderr)
        junk = os.path.join(d, "junk.json")
        open(junk, "w").write("{not json")
        r = run(junk)
        check("malformed JSON names the file", r.returncode == 1 and "junk.json" in r.stderr, r.stderr)
        own_ud = os.path.join(d, "ud.json")
        json.dump({"LaunchSpecifications": [{"ImageId": "ami-1", "UserData": "eA=="}]}, open(own_ud, "w"))
        r = run(own_ud)
        check("a launch specification's own UserData refused", r.returncode == 1 and "UserData" in r.stderr, r.stderr)

    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1


sys.exit(main())
