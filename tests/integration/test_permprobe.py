#!/usr/bin/env python3
"""-check-setup's permission probes (docs/iam.md, "What -check-setup proves")
against moto with signature checking on, through the fault proxy.

moto answers DryRunOperation (412) for RunInstances, CreateLaunchTemplate,
TerminateInstances (before looking the id up), CreateFleet (before looking
the launch template up) and ignores DryRun on DescribeInstances,
RequestSpotFleet (it makes the fleet), CancelSpotFleetRequests and
DeleteFleets (a 500 for an unknown id): the proxy answers those three calls
with AWS's DryRunOperation where a test wants them allowed,
and with UnauthorizedOperation, throttling or NotFound where it wants those.
Runs in a private network namespace so the collector address answers.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

LINE = "Checking permissions for launching... "
ALL = ["RunInstances", "CreateLaunchTemplate", "RequestSpotFleet", "CreateFleet", "TerminateInstances",
       "CancelSpotFleetRequests", "DeleteFleets", "DescribeInstances"]
DRY_OK = ('<Response><Errors><Error><Code>DryRunOperation</Code><Message>Request would have succeeded, but '
          'DryRun flag is set.</Message></Error></Errors><RequestID>probe</RequestID></Response>')
DENIED = ('<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform '
          'this operation. User: arn:aws:iam::123456789012:user/u is not authorized to perform: ec2:RunInstances '
          'on resource: arn:aws:ec2:us-east-1:123456789012:instance/* because no identity-based policy allows '
          'the ec2:RunInstances action. Encoded authorization failure message: ' + "Zm9v" * 60 +
          '</Message></Error></Errors><RequestID>probe</RequestID></Response>')


def reply(action, body, status=412, **more):
    return dict({"call": action, "nth": 1, "times": 0, "fault": "reply", "status": status, "body": body,
                 "params": {"DryRun": "true"}}, **more)


# The probes moto does not honour DryRun for (the two Spot Fleet ones and
# DeleteFleets) answered as AWS would answer an allowed dry run.
SPOT_OK = [reply("RequestSpotFleet", DRY_OK), reply("CancelSpotFleetRequests", DRY_OK),
           reply("DeleteFleets", DRY_OK)]


def denied(action):
    """AWS's refusal of a dry run of action (encoded message cut short)."""
    return DENIED.replace("ec2:RunInstances", "ec2:" + action)


def check_setup(pool, rules, **env):
    with T.FaultProxy(rules) as fp:
        lst = T.Listener()
        try:
            t0 = time.monotonic()
            rc, out, err = T.run_annex(["-check-setup"], pool.env(**fp.env(), **env))
            wall = time.monotonic() - t0
        finally:
            lst.close()
        return rc, out, err, fp.calls(), fp.timings(), wall


def knobs(path):
    """The setup's knobs, without their region prefix."""
    out = {}
    for line in open(path):
        if "=" in line and not line.startswith("#"):
            key, v = line.split("=", 1)
            out[key.strip().split(".", 1)[-1]] = v.strip()
    return out


def probe_line(out):
    return next((line for line in out.splitlines() if line.startswith(LINE)), None)


def made(m):
    ec2 = m.client("ec2")
    live = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
            if i["State"]["Name"] not in ("terminated", "shutting-down")]
    fleets = [f for f in ec2.describe_spot_fleet_requests()["SpotFleetRequestConfigs"]
              if f["SpotFleetRequestState"] in ("submitted", "active", "modifying")]
    ec2_fleets = [f for f in ec2.describe_fleets()["Fleets"] if not f["FleetState"].startswith("deleted")]
    return len(live), len(fleets) + len(ec2_fleets), len(ec2.describe_launch_templates()["LaunchTemplates"])


def test_all_allowed(m, pool):
    rc, out, err, calls, times, wall = check_setup(pool, SPOT_OK)
    probes = [c for c in calls if c["operation"] in ALL]
    T.check("all allowed: the permissions line is OK and -check-setup exits 0",
            rc == 0 and probe_line(out) == LINE + "OK." and "Your setup looks OK." in out, out + err)
    T.check("the line comes after the Spot Fleet role's and before the collector's",
            out.splitlines().index(LINE + "OK.") ==
            out.splitlines().index("Checking for Spot Fleet role... OK.") + 1 and
            out.splitlines()[out.splitlines().index(LINE + "OK.") + 1].startswith("Checking collector address"),
            out)
    T.check("each of the eight actions probed once, every one with DryRun=true",
            sorted(c["operation"] for c in probes) == sorted(ALL) and
            all(c["params"].get("DryRun") == "true" for c in probes), probes)
    run = next(c["params"] for c in probes if c["operation"] == "RunInstances")
    k = knobs(pool.setup_file())
    T.check("RunInstances carries annex's profile, group, image and tags on instance and volume",
            run.get("IamInstanceProfile.Arn") == k["ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN"] and
            run.get("SecurityGroupId.1") == k["ANNEX_DEFAULT_ODI_SECURITY_GROUP_IDS"] and
            run.get("ImageId") == pool.image and run.get("TagSpecification.1.ResourceType") == "instance" and
            run.get("TagSpecification.2.ResourceType") == "volume" and
            run.get("TagSpecification.1.Tag.1.Key") == "htcondor:AnnexName", run)
    sfr = next(c["params"] for c in probes if c["operation"] == "RequestSpotFleet")
    T.check("RequestSpotFleet names annex's fleet role",
            sfr.get("SpotFleetRequestConfig.IamFleetRole") == k["ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN"], sfr)
    cf = next(c["params"] for c in probes if c["operation"] == "CreateFleet")
    T.check("CreateFleet is an instant fleet of annex's type over the made-up template, tagged on instance and "
            "fleet, the type RunInstances probes (moto answered its dry run itself)",
            cf.get("Type") == "instant" and
            cf.get("LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateName") ==
            "htcondor-annex-permission-probe" and
            cf.get("LaunchTemplateConfigs.1.Overrides.1.InstanceType") == run.get("InstanceType") and
            cf.get("TagSpecification.1.ResourceType") == "instance" and
            cf.get("TagSpecification.2.ResourceType") == "fleet" and
            cf.get("TagSpecification.2.Tag.1.Key") == "htcondor:AnnexName", cf)
    df = next(c["params"] for c in probes if c["operation"] == "DeleteFleets")
    T.check("DeleteFleets names the made-up fleet id with TerminateInstances=true",
            df.get("FleetId.1") == "fleet-00000000-0000-0000-0000-00000000000a" and
            df.get("TerminateInstances") == "true", df)
    T.check("no call changed anything: every mutating call was a dry run",
            # (the connectivity check's Lambda Invoke runs a probe that changes nothing: issue 19)
            [c["operation"] for c in calls if c["mutating"] and c["params"].get("DryRun") != "true" and
             c.get("name") != "Invoke"] == [],
            [(c["operation"], c.get("name")) for c in calls if c["mutating"] and c["params"].get("DryRun") != "true"])
    T.check("nothing made in moto", made(m) == (0, 0, 0), made(m))
    spans = sorted(times[c["n"]] for c in probes if c["n"] in times)
    overlap = any(spans[i + 1][0] < spans[i][1] for i in range(len(spans) - 1))
    T.check("the probes run at once (some overlap in time)", overlap, spans)
    print("measure: -check-setup %d calls (%d probes), %.2f s wall" % (len(calls), len(probes), wall))
    rc0, out0, err0, calls0, _, wall0 = check_setup(pool, [], _CONDOR_ANNEX_CHECK_PERMISSIONS="none")
    print("measure: without probes %d calls, %.2f s wall" % (len(calls0), wall0))
    T.check("ANNEX_CHECK_PERMISSIONS=none: no probe, no line, exit 0",
            rc0 == 0 and probe_line(out0) is None and
            not [c for c in calls0 if c["params"].get("DryRun") == "true"], out0 + err0)


def test_run_instances_denied(m, pool):
    rules = [reply("RunInstances", DENIED, status=403)] + SPOT_OK
    rc, out, err, calls, _, _ = check_setup(pool, rules)
    line = probe_line(out) or ""
    print("denied: " + line)
    print("denied: " + err.strip())
    T.check("RunInstances unauthorized: FAILED naming ec2:RunInstances with AWS's code, exit non-zero",
            rc != 0 and line.startswith(LINE + "FAILED: missing ec2:RunInstances (UnauthorizedOperation: "
                                        "You are not authorized"), out + err)
    T.check("only RunInstances is named", all(("ec2:" + a) not in line for a in ALL if a != "RunInstances"),
            line)
    T.check("the encoded message is left out, the decoding command named",
            "Zm9v" not in out + err and "aws sts decode-authorization-message" in line, line)
    T.check("the error says what to do", "PermissionDenied" not in out and "missing permissions" in err and
            "Your setup looks OK." not in out, err)


def test_fleet_probes_denied(m, pool):
    for action in ("CreateFleet", "DeleteFleets"):
        rules = [reply(action, denied(action), status=403)] + [r for r in SPOT_OK if r["call"] != action]
        rc, out, err, calls, _, _ = check_setup(pool, rules)
        line = probe_line(out) or ""
        print("denied: " + line)
        T.check("%s unauthorized: FAILED naming ec2:%s with AWS's code, exit non-zero" % (action, action),
                rc != 0 and line.startswith(LINE + "FAILED: missing ec2:%s (UnauthorizedOperation: "
                                            "You are not authorized" % action) and
                "missing permissions" in err and "Your setup looks OK." not in out, out + err)
        T.check("%s: only it is named, the encoded message cut" % action,
                all(("ec2:" + a) not in line for a in ALL if a != action) and "Zm9v" not in out + err, line)
        T.check("%s: no fleet, instance or template made" % action, made(m) == (0, 0, 0), made(m))


def test_create_fleet_dry_run_ignored(m, pool):
    # an endpoint that makes the fleet: annex deletes it with its instances
    ok = ('<CreateFleetResponse><requestId>p</requestId><fleetId>fleet-11111111-1111-1111-1111-111111111111'
          '</fleetId><errorSet/><fleetInstanceSet/></CreateFleetResponse>')
    gone = ('<DeleteFleetsResponse><requestId>p</requestId><successfulFleetDeletionSet><item><fleetId>'
            'fleet-11111111-1111-1111-1111-111111111111</fleetId><currentFleetState>deleted_terminating'
            '</currentFleetState></item></successfulFleetDeletionSet><unsuccessfulFleetDeletionSet/>'
            '</DeleteFleetsResponse>')
    rules = [reply("CreateFleet", ok, status=200),
             reply("DeleteFleets", gone, status=200, params={"FleetId.1": "fleet-11111111-1111-1111-1111-111111111111"})
             ] + SPOT_OK
    rc, out, err, calls, _, _ = check_setup(pool, rules)
    line = probe_line(out) or ""
    T.check("CreateFleet answered as done fails the probe, naming it",
            rc != 0 and line.startswith(LINE + "FAILED: could not probe ec2:CreateFleet (the EC2 endpoint ignored "
                                        "DryRun and did the call; annex undid it)"), out + err)
    deletes = [c["params"] for c in calls if c["operation"] == "DeleteFleets" and c["params"].get("DryRun") != "true"]
    T.check("the fleet it named was deleted with its instances",
            len(deletes) == 1 and deletes[0].get("FleetId.1") == "fleet-11111111-1111-1111-1111-111111111111" and
            deletes[0].get("TerminateInstances") == "true", deletes)


def test_throttled_probe_retried(m, pool):
    rules = [{"call": "RunInstances", "nth": 1, "fault": "throttle"}] + SPOT_OK
    rc, out, err, calls, _, _ = check_setup(pool, rules)
    runs = [c for c in calls if c["operation"] == "RunInstances"]
    T.check("a throttled probe is resent and then proves the permission",
            rc == 0 and probe_line(out) == LINE + "OK." and len(runs) == 2, (out + err, len(runs)))


def test_unproven(m, pool):
    nf = ('<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID '
          "'i-0000000000000000a' does not exist</Message></Error></Errors><RequestID>p</RequestID></Response>")
    rules = [reply("TerminateInstances", nf, status=400)] + SPOT_OK
    rc, out, err, _, _, _ = check_setup(pool, rules)
    T.check("a made-up id looked up before the permission: OK with a WARNING, exit 0",
            rc == 0 and probe_line(out) == LINE + "OK." and
            "WARNING: not proved by a dry run: ec2:TerminateInstances (EC2 looked up the made-up id" in out,
            out + err)


def test_dry_run_ignored(m, pool):
    # no proxy answer: moto makes the fleet; annex must end it and fail the probe
    rules = [reply("CancelSpotFleetRequests", DRY_OK)]
    rc, out, err, calls, _, _ = check_setup(pool, rules)
    line = probe_line(out) or ""
    T.check("an endpoint that ignores DryRun on RequestSpotFleet fails the probe, saying annex undid it",
            rc != 0 and line.startswith(LINE + "FAILED: could not probe ec2:RequestSpotFleet (the EC2 endpoint "
                                        "ignored DryRun and did the call; annex undid it)") and
            "a permission probe failed: its line says why" in err, out + err)
    cancels = [c for c in calls if c["operation"] == "CancelSpotFleetRequests" and c["params"].get("DryRun") != "true"]
    T.check("the fleet it made was cancelled with its instances", len(cancels) == 1 and
            cancels[0]["params"].get("TerminateInstances") == "true" and made(m)[:2] == (0, 0), (cancels, made(m)))


def test_default_image(m, pool):
    # no ANNEX_DEFAULT_ODI_IMAGE_ID: the image a launch would pick
    cfg = pool.config + ".noimage"
    with open(cfg, "w") as f:
        f.writelines(line for line in open(pool.config) if not line.startswith("ANNEX_DEFAULT_ODI_IMAGE_ID"))
    al2023 = m.client("ssm").get_parameter(
        Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")["Parameter"]["Value"]
    rc, out, err, calls, _, _ = check_setup(pool, SPOT_OK, CONDOR_CONFIG=cfg)
    runs = [c["params"] for c in calls if c["operation"] == "RunInstances"]
    T.check("without an image knob the probes use the current Amazon Linux 2023 (SSM), as a launch would",
            rc == 0 and probe_line(out) == LINE + "OK." and len(runs) == 1 and runs[0].get("ImageId") == al2023 and
            any(c["operation"] == "GetParameter" for c in calls), (out + err, runs))


def test_bad_knob(m, pool):
    rc, out, err, calls, _, _ = check_setup(pool, [], _CONDOR_ANNEX_CHECK_PERMISSIONS="RunInstances, Bogus")
    T.check("a word that is no probe fails the line naming it",
            rc != 0 and "ANNEX_CHECK_PERMISSIONS: 'Bogus' is no probe" in (probe_line(out) or ""), out + err)
    other = ('<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>bad</Message></Error></Errors>'
             '<RequestID>p</RequestID></Response>')
    rules = [reply("RunInstances", DENIED, status=403), reply("CreateLaunchTemplate", other, status=400)] + SPOT_OK
    rc, out, err, calls, _, _ = check_setup(pool, rules)
    T.check("a refusal and another failure: both named, each for what it is",
            rc != 0 and (probe_line(out) or "").startswith(LINE + "FAILED: missing ec2:RunInstances (Unauthorized") and
            "; could not probe ec2:CreateLaunchTemplate (InvalidParameterValue: bad (p))" in probe_line(out) and
            "missing permissions" in err, out + err)


def main():
    with MotoServer() as m:
        pool = T.Pool(m, probes=None)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        T.check("setup exits 0", rc == 0, out + err)
        T.guarded(test_all_allowed, m, pool)
        T.guarded(test_run_instances_denied, m, pool)
        T.guarded(test_fleet_probes_denied, m, pool)
        T.guarded(test_create_fleet_dry_run_ignored, m, pool)
        T.guarded(test_throttled_probe_retried, m, pool)
        T.guarded(test_unproven, m, pool)
        T.guarded(test_dry_run_ignored, m, pool)
        T.guarded(test_default_image, m, pool)
        T.guarded(test_bad_knob, m, pool)
    return T.summary()


sys.exit(main())
