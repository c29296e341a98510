#!/usr/bin/env python3
"""annex's RequestSpotFleet and CreateLaunchTemplate parameters against
botocore's own EC2 serializer.

The Spot Fleet config is written with the API's member names; the query
protocol wants other names (SecurityGroups -> SecurityGroupId, ...). botocore
holds AWS's service model, so the same completed request and template data
serialized by botocore are the oracle, field by field. annex turns the
config's LaunchSpecifications into one launch template (a version per
distinct set of template-level fields) and LaunchTemplateConfigs with the
specifications' types, subnets, weights and prices as overrides; a config
already using LaunchTemplateConfigs keeps its overrides and gets annex's
template. Type is request unless annex is told maintain. Unknown members
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


def run(*args, env=None):
    return subprocess.run([TOOL] + list(args), capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})))


def botocore_params(cfg):
    import botocore.session
    from botocore import serialize
    model = botocore.session.get_session().get_service_model("ec2")
    op = model.operation_model("RequestSpotFleet")
    req = serialize.create_serializer("ec2").serialize_to_request({"SpotFleetRequestConfig": cfg}, op)
    body = dict(req["body"])
    body.pop("Action"), body.pop("Version")
    return {k: str(v) for k, v in body.items()}


def botocore_template_params(data):
    import botocore.session
    from botocore import serialize
    model = botocore.session.get_session().get_service_model("ec2")
    op = model.operation_model("CreateLaunchTemplate")
    req = serialize.create_serializer("ec2").serialize_to_request(
        {"LaunchTemplateName": "xyz", "LaunchTemplateData": data}, op)
    body = dict(req["body"])
    for k in ("Action", "Version", "LaunchTemplateName"):
        body.pop(k)
    return {k: str(v) for k, v in body.items()}


def annex_params(path, env=None):
    r = run(path, env=env)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return dict(line.split("=", 1) for line in r.stdout.splitlines())


def annex_template_params(path, env=None):
    r = run("-template", path, env=env)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    versions = []
    for line in r.stdout.splitlines():
        if line.startswith("#VERSION "):
            versions.append({})
        else:
            k, v = line.split("=", 1)
            versions[-1][k] = v
    return versions


def raw(path, env=None):
    r = run("-raw", path, env=env)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return json.loads(r.stdout)


def diff(a, b):
    return {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}


def main():
    example = os.path.join(ROOT, "examples", "spot-fleet.json")
    completed = raw(example)
    ours = annex_params(example)
    theirs = botocore_params(completed["request"])
    d = diff(ours, theirs)
    check("example request serializes exactly as botocore does", not d, repr(sorted(d.items())[:5]))
    tmpl = annex_template_params(example)
    check("one template version per distinct set of template-level fields (block devices, monitoring)",
          len(tmpl) == 3 == len(completed["versions"]), repr(len(tmpl)))
    for i, (v, data) in enumerate(zip(tmpl, completed["versions"])):
        d = diff(v, botocore_template_params(data))
        check("template version %d serializes exactly as botocore does" % (i + 1), not d,
              repr(sorted(d.items())[:5]))
    name = "htcondor-annex-render_00000000-0000-4000-8000-000000000000"
    P = "SpotFleetRequestConfig."
    check("no LaunchSpecifications in the request", not any(k.startswith(P + "LaunchSpecifications") for k in ours))
    check("LaunchTemplateConfigs name annex's template, a version each",
          [ours.get(P + "LaunchTemplateConfigs.%d.LaunchTemplateSpecification.LaunchTemplateName" % i)
           for i in (1, 2, 3)] == [name] * 3 and
          [ours.get(P + "LaunchTemplateConfigs.%d.LaunchTemplateSpecification.Version" % i) for i in (1, 2, 3)]
          == ["1", "2", "3"], repr(ours)[:400])
    check("overrides carry the specifications' types and weights, grouped by version",
          ours.get(P + "LaunchTemplateConfigs.1.Overrides.1.InstanceType") == "g4dn.xlarge" and
          ours.get(P + "LaunchTemplateConfigs.1.Overrides.2.InstanceType") == "g5.xlarge" and
          ours.get(P + "LaunchTemplateConfigs.1.Overrides.2.WeightedCapacity") == "4" and
          ours.get(P + "LaunchTemplateConfigs.3.Overrides.1.InstanceType") == "c7i.4xlarge" and
          ours.get(P + "LaunchTemplateConfigs.3.Overrides.1.WeightedCapacity") == "16", repr(ours)[:400])
    L = "LaunchTemplateData."
    check("every version: IMDSv2 required, hop limit 1, endpoint and instance tags enabled",
          all(v.get(L + "MetadataOptions.HttpTokens") == "required" and
              v.get(L + "MetadataOptions.HttpPutResponseHopLimit") == "1" and
              v.get(L + "MetadataOptions.HttpEndpoint") == "enabled" and
              v.get(L + "MetadataOptions.InstanceMetadataTags") == "enabled" for v in tmpl), repr(tmpl[0])[:300])
    check("every version: annex's user-data, profile, groups, image, terminate on shutdown",
          all(v.get(L + "UserData") == "IyEvYmluL2Jhc2gK" and
              v.get(L + "IamInstanceProfile.Arn", "").endswith("instance-profile/HTCondorAnnex-InstanceProfile") and
              v.get(L + "SecurityGroupId.1") == "sg-0a" and v.get(L + "SecurityGroupId.2") == "sg-0b" and
              v.get(L + "ImageId") == "ami-0123456789abcdef0" and
              v.get(L + "InstanceInitiatedShutdownBehavior") == "terminate" for v in tmpl), repr(tmpl[0])[:300])
    check("every version tags instances and volumes like the annex",
          all(v.get(L + "TagSpecification.1.ResourceType") == "instance" and
              v.get(L + "TagSpecification.2.ResourceType") == "volume" and
              v.get(L + "TagSpecification.1.Tag.2.Key") == "htcondor:AnnexId" and
              v.get(L + "TagSpecification.2.Tag.3.Key") == "htcondor:LeaseExpiration" for v in tmpl))
    check("block devices stay in the template (BlockDeviceMapping)",
          tmpl[0].get(L + "BlockDeviceMapping.1.Ebs.VolumeSize") == "100" and
          not any("BlockDeviceMapping" in k for k in tmpl[1]))
    check("request tagged as spot-fleet-request",
          ours.get(P + "TagSpecification.1.ResourceType") == "spot-fleet-request"
          and ours.get(P + "TagSpecification.1.Tag.2.Key") == "htcondor:AnnexId",
          repr([k for k in ours if "TagSpec" in k and k.count(".") <= 3]))
    check("lease settings", ours.get(P + "ValidUntil") == "2026-11-25T23:00:00Z"
          and ours.get(P + "TerminateInstancesWithExpiration") == "true"
          and ours.get(P + "TargetCapacity") == "40"
          and ours.get(P + "ClientToken", "").startswith("render_"))
    check("Type request by default", ours.get(P + "Type") == "request", ours.get(P + "Type"))
    check("Type maintain only when asked",
          annex_params(example, env={"FLEET_TYPE": "maintain"}).get(P + "Type") == "maintain")

    with tempfile.TemporaryDirectory() as d:
        mixed = os.path.join(d, "mixed.json")
        json.dump({"Type": "maintain", "LaunchSpecifications": [
            {"ImageId": "ami-1", "InstanceType": "m5.large", "SubnetId": "subnet-a, subnet-b", "SpotPrice": "0.1",
             "Placement": {"AvailabilityZone": "us-east-1a", "Tenancy": "default"},
             "SecurityGroups": [{"GroupId": "sg-user"}], "KeyName": "mine",
             "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "x"}]}]},
            {"ImageId": "ami-1", "InstanceType": "m6i.large", "WeightedCapacity": 2, "SubnetId": "subnet-c",
             "Placement": {"AvailabilityZone": "us-east-1b", "Tenancy": "default"},
             "SecurityGroups": [{"GroupId": "sg-user"}], "KeyName": "mine",
             "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "x"}]}]}]},
            open(mixed, "w"))
        mp, mt = annex_params(mixed), annex_template_params(mixed)
        mr = raw(mixed)
        check("botocore agrees on a config with subnets, zones, prices, groups, key and tags",
              not diff(mp, botocore_params(mr["request"])) and
              not diff(mt[0], botocore_template_params(mr["versions"][0])),
              repr(diff(mt[0], botocore_template_params(mr["versions"][0])))[:300])
        O = P + "LaunchTemplateConfigs.1.Overrides."
        check("one version; one override per subnet, with zone, price and weight",
              len(mt) == 1 and
              [mp.get(O + "%d.SubnetId" % i) for i in (1, 2, 3)] == ["subnet-a", "subnet-b", "subnet-c"] and
              mp.get(O + "1.SpotPrice") == "0.1" and mp.get(O + "2.AvailabilityZone") == "us-east-1a" and
              mp.get(O + "3.InstanceType") == "m6i.large" and mp.get(O + "3.WeightedCapacity") == "2",
              repr(mp)[:600])
        check("the user's groups, key, tenancy and instance tags go into the template, annex's tags added",
              mt[0].get(L + "SecurityGroupId.1") == "sg-user" and L + "SecurityGroupId.2" not in mt[0] and
              mt[0].get(L + "KeyName") == "mine" and mt[0].get(L + "Placement.Tenancy") == "default" and
              mt[0].get(L + "TagSpecification.1.Tag.1.Key") == "team" and
              mt[0].get(L + "TagSpecification.1.Tag.2.Key") == "htcondor:AnnexName", repr(mt[0])[:400])
        check("the file's Type maintain does not make the fleet maintain", mp.get(P + "Type") == "request")

        lt = os.path.join(d, "lt.json")
        json.dump({"LaunchTemplateConfigs": [{"LaunchTemplateSpecification": {"LaunchTemplateId": "lt-user",
                                                                              "Version": "7"},
                                              "Overrides": [{"InstanceType": "c5.large", "SubnetId": "subnet-9",
                                                             "WeightedCapacity": 2}]}],
                   "TargetCapacity": 1}, open(lt, "w"))
        r = run(lt)
        check("LaunchTemplateConfigs without an image refused with a reason",
              r.returncode == 1 and "image" in r.stderr, r.stderr)
        lp = annex_params(lt, env={"FLEET_IMAGE": "ami-9"})
        lv = annex_template_params(lt, env={"FLEET_IMAGE": "ami-9"})
        C = P + "LaunchTemplateConfigs.1."
        check("LaunchTemplateConfigs: annex's template (version 1) with the user's overrides",
              lp.get(C + "LaunchTemplateSpecification.LaunchTemplateName") == name and
              lp.get(C + "LaunchTemplateSpecification.Version") == "1" and
              C + "LaunchTemplateSpecification.LaunchTemplateId" not in lp and
              lp.get(C + "Overrides.1.InstanceType") == "c5.large" and
              lp.get(C + "Overrides.1.SubnetId") == "subnet-9" and
              lp.get(C + "Overrides.1.WeightedCapacity") == "2", repr(lp)[:400])
        check("LaunchTemplateConfigs: the template carries the image, user-data and IMDSv2",
              len(lv) == 1 and lv[0].get(L + "ImageId") == "ami-9" and
              lv[0].get(L + "UserData") == "IyEvYmluL2Jhc2gK" and
              lv[0].get(L + "MetadataOptions.HttpTokens") == "required", repr(lv)[:300])
        both = os.path.join(d, "both.json")
        json.dump({"LaunchTemplateConfigs": [{}], "LaunchSpecifications": [{"ImageId": "ami-1"}]}, open(both, "w"))
        r = run(both)
        check("both LaunchSpecifications and LaunchTemplateConfigs refused", r.returncode == 1 and
              "both" in r.stderr, r.stderr)
        legacy = os.path.join(d, "legacy.json")
        json.dump({"LaunchSpecifications": [{"ImageId": "ami-1", "InstanceType": "m5.large",
                                             "AddressingType": "public"}]}, open(legacy, "w"))
        r = run(legacy)
        check("a member with no place in a launch template named", r.returncode == 1 and
              "AddressingType" in r.stderr, r.stderr)
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
