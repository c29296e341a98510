#!/usr/bin/env python3
"""-dry-run on every command that changes something, and the guards
(issue 17), against moto with signature checking on.

Dry run: -setup (before and after a real setup, and with one piece
missing), -setup -remove, a launch (-count and -slots), the lease change,
-off, bare off and -reap each exit 0, print the calls they would make
(secrets redacted: no UserData, no pool password), send no mutating call
through the recording proxy (tests/lib/faultproxy.py) other than EC2's
launch calls with DryRun=true, and leave moto's state and the knob file
exactly as they were. moto's RequestSpotFleet ignores DryRun and creates
the fleet (TESTING.md), so the proxy answers it with AWS's DryRunOperation.

Guards: -setup -remove refuses while annexes run (naming them) unless
-force; -off of an unknown name fails naming it; an -off that cannot end
everything lists what still runs and fails; -check-setup's advice fits the
failure (collector: the collector knobs and the network, not -setup),
refuses an empty pool password file and warns on a readable one.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

DRY_RUN_OPERATION = ("<Response><Errors><Error><Code>DryRunOperation</Code><Message>Request would have "
                     "succeeded, but DryRun flag is set.</Message></Error></Errors>"
                     "<RequestID>fault-proxy</RequestID></Response>")


def state(m, pool):
    """Everything annex could change: resources, tags, rule inputs, the knob file."""
    iam, ec2, ev = m.client("iam"), m.client("ec2"), m.client("events")
    res = ec2.describe_instances()["Reservations"]
    rules = ev.list_rules()["Rules"]
    knobs = open(pool.setup_file()).read() if os.path.exists(pool.setup_file()) else None
    return {
        "buckets": sorted(b["Name"] for b in m.client("s3").list_buckets()["Buckets"]),
        "roles": sorted((r["RoleName"], tuple(sorted(iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"])))
                        for r in iam.list_roles()["Roles"]),
        "profiles": sorted((p["InstanceProfileName"], tuple(r["RoleName"] for r in p["Roles"]))
                           for p in iam.list_instance_profiles()["InstanceProfiles"]),
        "functions": sorted(f["FunctionName"] for f in m.client("lambda").list_functions()["Functions"]),
        "groups": sorted((g["GroupName"], json.dumps(g["IpPermissions"], sort_keys=True))
                         for g in ec2.describe_security_groups()["SecurityGroups"]),
        "instances": sorted((i["InstanceId"], i["State"]["Name"],
                             tuple(sorted((t["Key"], t["Value"]) for t in i.get("Tags", []))))
                            for r in res for i in r["Instances"]),
        "fleets": sorted((f["SpotFleetRequestId"], f["SpotFleetRequestState"])
                         for f in ec2.describe_spot_fleet_requests()["SpotFleetRequestConfigs"]),
        "rules": sorted((r["Name"], tuple(t.get("Input", "") for t in ev.list_targets_by_rule(Rule=r["Name"])["Targets"]))
                        for r in rules),
        "knobs": knobs,
    }


def mutating_sent(calls):
    """Mutating calls that went out for real (EC2's DryRun=true calls change nothing)."""
    return [c["operation"] for c in calls if c["mutating"] and c["params"].get("DryRun") != "true"]


def dry(m, pool, what, args, rules=None, env=None, want=()):
    """Runs a dry run through the recording proxy; checks exit 0, no
    mutating call, unchanged state, no secret, and the lines wanted."""
    before = state(m, pool)
    with T.FaultProxy(rules or []) as fp:
        rc, out, err = T.run_annex(args + ["-dry-run"], pool.env(**dict(env or {}, **fp.env())))
        calls = fp.calls()
    T.check("%s -dry-run exits 0" % what, rc == 0, out + err)
    T.check("%s -dry-run sends no mutating call" % what, not mutating_sent(calls), mutating_sent(calls))
    after = state(m, pool)
    T.check("%s -dry-run leaves the state unchanged" % what, after == before,
            {k: (before[k], after[k]) for k in before if before[k] != after[k]})
    T.check("%s -dry-run prints no secret" % what, "s3cr3t" not in out + err and
            not re.search(r"UserData=(?!<redacted>)", out), out)
    for w in want:
        T.check("%s -dry-run prints %r" % (what, w), w in out, out)
    return out, calls


def fleet_file(pool):
    cfg = json.load(open(os.path.join(T.ROOT, "examples", "spot-fleet.json")))
    for ls in cfg["SpotFleetRequestConfig"]["LaunchSpecifications"]:
        ls["ImageId"] = pool.image
    path = os.path.join(pool.dir, "fleet.json")
    json.dump(cfg, open(path, "w"))
    return path


def test_setup_dry_run(m, pool):
    out, _ = dry(m, pool, "-setup (nothing made yet)", ["-setup"], want=(
        "dry-run: would call S3 CreateBucket Bucket=htcondor-annex-",
        "dry-run: would call IAM CreateRole RoleName=HTCondorAnnex-LeaseFunctionRole",
        "dry-run: would call Lambda CreateFunction FunctionName=HTCondorAnnex-LeaseFunction",
        # what the function takes as annex's own (docs/security.md, "Forged tags")
        "Environment.NODE_PROFILE_ARNS=arn:aws:iam::", ":instance-profile/HTCondorAnnex-InstanceProfile "
        "Environment.FLEET_ROLE_ARNS=arn:aws:iam::",
        "dry-run: would call Lambda AddPermission",
        "dry-run: would call IAM CreateInstanceProfile InstanceProfileName=HTCondorAnnex-InstanceProfile",
        "dry-run: would call IAM CreateRole RoleName=HTCondorAnnex-SpotFleetRole",
        "dry-run: would call EC2 CreateSecurityGroup GroupName=HTCondorAnnex-SecurityGroup",
        "dry-run: would record in ", "Dry run: nothing was created or changed."))
    T.check("-setup -dry-run does not claim success", "Setup successful." not in out, out)


def test_setup_dry_run_after(m, pool):
    out, _ = dry(m, pool, "-setup (all made)", ["-setup"])
    T.check("-setup -dry-run after setup: every piece present, no call to make",
            "would call" not in out and out.count(" present.") == 6, out)  # six chains: the connectivity function too
    ec2 = m.client("ec2")
    g = [g for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] == "HTCondorAnnex-SecurityGroup"]
    ec2.delete_security_group(GroupId=g[0]["GroupId"])
    out, _ = dry(m, pool, "-setup (group missing)", ["-setup", "-ssh-cidr", "192.0.2.0/24"], want=(
        "dry-run: would call EC2 CreateSecurityGroup", "CidrIp=192.0.2.0/24"))
    T.check("-setup -dry-run names only what is missing",
            len(re.findall(r"dry-run: would call", out)) == 2 and "CreateRole" not in out, out)
    rc, out, err = T.run_annex(["-setup"], pool.env())
    T.check("setup again makes the group", rc == 0, out + err)


def test_launch_dry_run(m, pool):
    out, calls = dry(m, pool, "-count", ["-count", "2", "-annex-name", "dry"], want=(
        "dry-run: would call Events PutRule Name=dry_", "dry-run: would call Events PutTargets Rule=dry_",
        "dry-run: would call EC2 RunInstances with:", "  MaxCount=2", "  UserData=<redacted>",
        "RunInstances would have succeeded"))
    runs = [c for c in calls if c["operation"] == "RunInstances"]
    T.check("-count -dry-run: RunInstances went with DryRun=true", len(runs) == 1 and
            runs[0]["params"].get("DryRun") == "true", runs)
    # a fleet goes through annex's launch template: the dry run prints the
    # template and the fleet request, and sends only CreateLaunchTemplate
    # with DryRun=true (the request names the template, which a dry run
    # does not create)
    out, calls = dry(m, pool, "-slots", ["-slots", "8", "-annex-name", "dryfleet",
                                         "-aws-spot-fleet-config-file", fleet_file(pool)], want=(
        "dry-run: would call EC2 CreateLaunchTemplate with:", "dry-run: would call EC2 RequestSpotFleet with:",
        "  SpotFleetRequestConfig.TargetCapacity=8", "  SpotFleetRequestConfig.ClientToken=dryfleet_",
        "CreateLaunchTemplate would have succeeded"))
    T.check("-slots -dry-run prints the request annex sends (its fleet role, its user-data redacted)",
            re.search(r"SpotFleetRequestConfig\.IamFleetRole=arn:aws:iam::\d+:role/HTCondorAnnex-SpotFleetRole", out)
            and re.search(r"LaunchTemplateData\.UserData=<redacted>", out) and
            "TargetCapacity=1\n" not in out, out)
    lt = [c for c in calls if c["operation"] == "CreateLaunchTemplate"]
    T.check("-slots -dry-run: CreateLaunchTemplate went with DryRun=true, RequestSpotFleet not at all",
            len(lt) == 1 and lt[0]["params"].get("DryRun") == "true" and
            not [c for c in calls if c["operation"] == "RequestSpotFleet"], [c["operation"] for c in calls])


def test_running_dry_runs(m, pool):
    out, _ = dry(m, pool, "lease change", ["-annex-name", "render", "-duration", "2"], want=(
        "dry-run: would call EC2 CreateTags with:", "  Tag.1.Key=htcondor:LeaseExpiration",
        "dry-run: would call Events PutTargets Rule=render_", "Dry run: the lease of annex 'render' would end"))
    out, _ = dry(m, pool, "-off", ["-off", "-annex-name", "render"], want=(
        "dry-run: would call EC2 TerminateInstances InstanceId.1=i-", "dry-run: would call Events DeleteRule Name=render_",
        "Dry run: Annex 'render': would terminate 2 instances"))
    marker = os.path.join(pool.dir, "condor_off_ran")
    tool = os.path.join(pool.dir, "fake_condor_off")
    with open(tool, "w") as f:
        f.write("#!/bin/sh\ntouch %s\n" % marker)
    os.chmod(tool, 0o755)
    out, _ = dry(m, pool, "off", ["off", "-annex-name", "render"], env={"ANNEX_CONDOR_OFF": tool},
                 want=("dry-run: would run %s -annex render" % tool,))
    T.check("off -dry-run does not run condor_off", not os.path.exists(marker))
    dry(m, pool, "-reap", ["-reap"])
    out, _ = dry(m, pool, "-setup -remove", ["-setup", "-remove", "-force"], want=(
        "Annexes still running in us-east-1", "  render: 2 instances",
        "dry-run: would call Lambda DeleteFunction FunctionName=HTCondorAnnex-LeaseFunction",
        "dry-run: would call IAM DeleteInstanceProfile", "dry-run: would call IAM DeleteRole RoleName=HTCondorAnnex-NodeRole",
        "dry-run: would call EC2 DeleteSecurityGroup", "dry-run: would call S3 DeleteBucket",
        "dry-run: would remove annex's block", "Dry run: nothing was removed."))
    T.check("-setup -remove -dry-run asks nothing", "Is that OK?" not in out, out)


def test_remove_guard(m, pool):
    before = state(m, pool)
    rc, out, err = T.run_annex(["-setup", "-remove", "-yes"], pool.env())
    T.check("-setup -remove refuses while annexes run, naming them and -force",
            rc != 0 and "render: 2 instances" in out and "-force" in err, (out, err))
    T.check("the refused removal changed nothing", state(m, pool) == before)


def test_off_guards(m, pool):
    rc, out, err = T.run_annex(["-off", "-annex-name", "nosuch"], pool.env())
    T.check("-off of an unknown annex fails naming it", rc != 0 and "'nosuch'" in err,
            (rc, out, err))
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "part", "-yes"], pool.env())
    T.check("launch part", rc == 0, out + err)
    ids = [i["InstanceId"] for r in m.client("ec2").describe_instances(Filters=[
        {"Name": "tag:htcondor:AnnexName", "Values": ["part"]}])["Reservations"] for i in r["Instances"]]
    deny = ("<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to "
            "perform this operation.</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>")
    with T.FaultProxy([{"call": "TerminateInstances", "nth": 1, "fault": "reply", "status": 403,
                        "body": deny}]) as fp:
        rc, out, err = T.run_annex(["-off", "-annex-name", "part"], pool.env(**fp.env()))
    T.check("a partial -off fails with AWS's error", rc != 0 and "UnauthorizedOperation" in err and
            "only partly ended" in err, (out, err))
    T.check("a partial -off lists what still runs", "Still running in annex 'part':" in out and
            len(ids) == 1 and ("  instance %s (" % ids[0]) in out, out)
    T.check("a partial -off still removes what it could (the lease rule)",
            m.client("events").list_rules(NamePrefix="part_")["Rules"] == [], out)
    rc, out, err = T.run_annex(["-off", "-annex-name", "part"], pool.env())
    T.check("the next -off ends the rest", rc == 0 and "terminated 1 instance" in out, out + err)
    rc, out, err = T.run_annex(["-off", "-annex-name", "part"], pool.env())
    T.check("-off of an annex already ended is no error", rc == 0 and "terminated 0 instances" in out, out + err)


def test_check_setup(m, pool):
    rc, out, err = T.run_annex(["-check-setup"], pool.env())
    T.check("check-setup passes", rc == 0 and "Your setup looks OK." in out, out + err)
    rc, out, err = T.run_annex(["-check-setup"], pool.env(_CONDOR_COLLECTOR_HOST="localhost:9618"))
    T.check("a collector failure points at the collector knobs and the network, not -setup",
            rc != 0 and "ANNEX_COLLECTOR_ADDRESS" in err and "network" in err and "annex -setup" not in err,
            (out, err))
    empty = os.path.join(pool.dir, "empty_password")
    open(empty, "w").close()
    os.chmod(empty, 0o600)
    rc, out, err = T.run_annex(["-check-setup"], pool.env(_CONDOR_SEC_PASSWORD_FILE=empty))
    T.check("an empty pool password file is refused", rc != 0 and "is empty" in out + err, (out, err))
    loose = os.path.join(pool.dir, "loose_password")
    with open(loose, "wb") as f:
        f.write(b"s3cr3t")
    os.chmod(loose, 0o644)
    rc, out, err = T.run_annex(["-check-setup"], pool.env(_CONDOR_SEC_PASSWORD_FILE=loose))
    T.check("a world-readable pool password file draws a warning",
            "WARNING: SEC_PASSWORD_FILE '%s' may be read by every user (mode 0644)" % loose in out and
            "chmod 600" in out, (out, err))


def test_forced_remove(m, pool):
    rc, out, err = T.run_annex(["-setup", "-remove", "-yes", "-force"], pool.env())
    T.check("-setup -remove -force removes the setup though an annex runs",
            rc == 0 and "render: 2 instances" in out and "Removing the setup anyway (-force)." in out and
            "Setup removed." in out, (out, err))


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        T.guarded(test_setup_dry_run, m, pool)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        if not T.check("setup", rc == 0, out + err):
            return T.summary()
        T.guarded(test_setup_dry_run_after, m, pool)
        T.guarded(test_launch_dry_run, m, pool)
        rc, out, err = T.run_annex(["-count", "2", "-annex-name", "render", "-yes"], pool.env())
        T.check("launch render", rc == 0, out + err)
        T.guarded(test_running_dry_runs, m, pool)
        T.guarded(test_remove_guard, m, pool)
        T.guarded(test_off_guards, m, pool)
        T.guarded(test_check_setup, m, pool)
        T.guarded(test_forced_remove, m, pool)
    return T.summary()


sys.exit(main())
