#!/usr/bin/env python3
"""annex -count N / -slots N against moto with signature checking on.

Runs in a private network namespace (see annextest.enter_netns). Setup is
run once; then every launch option, every refusal (zero instances after
each), the prompt on a pseudo-terminal, the lease rule, the Spot Fleet
request through annex's launch template (type request, IMDSv2 in every
version, the on-demand user-data; maintain only when asked; the template
deleted by the undo and by -off; the dry run), and a RunInstances whose
reply is lost.
"""
import base64
import calendar
import gzip
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def live(m, name=None):
    filters = [{"Name": "instance-state-name", "Values": ["pending", "running"]}]
    if name:
        filters.append({"Name": "tag:htcondor:AnnexName", "Values": [name]})
    res = m.client("ec2").describe_instances(Filters=filters)["Reservations"]
    return [i for r in res for i in r["Instances"]]


def tags(obj):
    return {t["Key"]: t["Value"] for t in obj.get("Tags", [])}


def user_data(m, iid):
    raw = m.client("ec2").describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]["Value"]
    data = base64.b64decode(raw)
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def shell_word(script, name):
    """The value of the boot script's NAME='...' line: one single-quoted
    shell word, each ' in it written '\\''."""
    key = ("\n%s='" % name).encode()
    i = script.find(key)
    if i < 0:
        return None
    i += len(key)
    out = bytearray()
    while True:
        j = script.index(b"'", i)
        out += script[i:j]
        if script[j:j + 4] == b"'\\''":
            out += b"'"
            i = j + 4
        else:
            return bytes(out)


def node_config_val(pool, ud, name):
    """NAME in the node's 50-annex.config (carried in the user-data), as
    annex's own config reader (-config-val) reads that file."""
    path = os.path.join(pool.dir, "node-50-annex.config")
    with open(path, "wb") as f:
        f.write(shell_word(ud, "annex_config") or b"")
    env = {"PATH": "/usr/bin:/bin", "CONDOR_CONFIG": path}
    env.update({k: os.environ[k] for k in T.SANITIZER_VARS if k in os.environ})
    p = subprocess.run([T.ANNEX, "-config-val", name], env=env, capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else "Not defined: " + name


def test_launch(m, pool):
    t0 = int(time.time())
    rc, out, err = T.run_annex(["-count", "2", "-annex-name", "render", "-instance-type", "m5.large",
                                "-duration", "1", "-idle", "0.5", "-tag", "project", "shot42", "-yes"], pool.env())
    t1 = int(time.time()) + 1
    T.check("launch exits 0", rc == 0, out + err)
    lines = out.splitlines()
    T.check("Starting annex... then Annex started with the annex id",
            "Starting annex..." in lines and any(re.fullmatch(
                r"Annex started\.  Its identity with the cloud provider is 'render_%s'\.  It will take about "
                r"three minutes for the new machines to join the pool\." % UUID, line) for line in lines), out)
    annex_id = re.search(r"'(render_%s)'" % UUID, out)
    annex_id = annex_id.group(1) if annex_id else None
    inst = live(m, "render")
    T.check("two instances", len(inst) == 2, inst)
    if not inst:
        return None
    i0 = inst[0]
    T.check("type and image", all(i["InstanceType"] == "m5.large" and i["ImageId"] == pool.image for i in inst))
    # every instance (tests/lib/motopatch gives moto AWS's behaviour here)
    T.check("instance profile on every instance", all(
        i.get("IamInstanceProfile", {}).get("Arn", "").endswith("/HTCondorAnnex-InstanceProfile") for i in inst), inst)
    k = T_knobs(pool)
    T.check("security group from setup", all([g["GroupId"] for g in i["SecurityGroups"]] ==
                                             [k["us_east_1.ANNEX_DEFAULT_ODI_SECURITY_GROUP_IDS"]] for i in inst), inst)
    mo = i0.get("MetadataOptions", {})
    T.check("IMDSv2 required, hop limit 1", mo.get("HttpTokens") == "required" and
            mo.get("HttpPutResponseHopLimit") == 1, mo)
    sb = m.client("ec2").describe_instance_attribute(InstanceId=i0["InstanceId"],
                                                     Attribute="instanceInitiatedShutdownBehavior")
    T.check("shutdown terminates", sb["InstanceInitiatedShutdownBehavior"]["Value"] == "terminate", sb)
    t = tags(i0)
    T.check("tags on instances", t.get("htcondor:AnnexName") == "render" and t.get("htcondor:AnnexId") == annex_id
            and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", t.get("htcondor:LeaseExpiration", "")) and
            t.get("htcondor:IdleTimeout") == "1800" and t.get("project") == "shot42" and "Name" in t, t)
    vols = m.client("ec2").describe_volumes(Filters=[{"Name": "tag:htcondor:AnnexId", "Values": [annex_id]}])["Volumes"]
    T.check("tags on volumes", len(vols) >= 1, vols)
    ud = user_data(m, i0["InstanceId"])
    T.check("user-data decodes to annex's boot script", ud.startswith(b"#!/bin/bash") and b"render" in ud, ud[:200])
    T.check("user-data carries the collector", T.COLLECTOR_IP.encode() in ud)
    T.check("node idle limit: -idle 0.5 is 1800 seconds",
            node_config_val(pool, ud, "STARTD_NOCLAIM_SHUTDOWN") == "1800", shell_word(ud, "annex_config"))
    T.check("node START: jobs that opted in (root: no owner clause)",
            node_config_val(pool, ud, "START") == "True && (MayUseAWS == TRUE)", node_config_val(pool, ud, "START"))
    lease = shell_word(ud, "lease_end") or b"0"
    tag_end = calendar.timegm(time.strptime(t.get("htcondor:LeaseExpiration", "1970-01-01T00:00:00Z"),
                                            "%Y-%m-%dT%H:%M:%SZ"))
    T.check("node lease end: the tag's, -duration 1 after the launch",
            lease.isdigit() and int(lease) == tag_end and t0 + 3600 <= int(lease) <= t1 + 3600,
            (lease, tag_end, t0, t1))
    T.check("node lease end, ISO: the tag", shell_word(ud, "lease_end_iso") ==
            t.get("htcondor:LeaseExpiration", "").encode(), shell_word(ud, "lease_end_iso"))
    T.check("node knobs: boot failure grace 300 s, join timeout 1800 s by default",
            shell_word(ud, "boot_failure_grace") == b"300" and shell_word(ud, "join_timeout") == b"1800",
            (shell_word(ud, "boot_failure_grace"), shell_word(ud, "join_timeout")))
    rule = m.client("events").describe_rule(Name=annex_id)
    T.check("lease rule named by the annex id, every five minutes",
            rule["ScheduleExpression"] == "rate(5 minutes)" and rule["State"] == "ENABLED", rule)
    targets = m.client("events").list_targets_by_rule(Rule=annex_id)["Targets"]
    inp = json.loads(targets[0]["Input"]) if targets else {}
    T.check("lease target: the function, with name, id and lease end",
            len(targets) == 1 and targets[0]["Id"] == annex_id and
            targets[0]["Arn"] == k["us_east_1.ANNEX_DEFAULT_ODI_LEASE_FUNCTION_ARN"] and
            inp == {"AnnexName": "render", "AnnexId": annex_id, "LeaseExpiration": t.get("htcondor:LeaseExpiration")},
            targets)
    rtags = m.client("events").list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]
    T.check("lease rule tagged with annex name and id", {x["Key"]: x["Value"] for x in rtags} ==
            {"htcondor:AnnexName": "render", "htcondor:AnnexId": annex_id}, rtags)
    return annex_id


def T_knobs(pool):
    out = {}
    for line in open(pool.setup_file()):
        if "=" in line and not line.startswith("#"):
            a, b = line.split("=", 1)
            out[a.strip()] = b.strip()
    return out


BIG_USER_DATA = None


def test_refusals(m, pool):
    global BIG_USER_DATA
    BIG_USER_DATA = os.path.join(pool.dir, "big-user-data.sh")
    with open(BIG_USER_DATA, "w") as f:   # incompressible: gzip cannot bring it under 16 KB
        f.write("#!/bin/sh\n# " + base64.b64encode(os.urandom(24000)).decode() + "\n")
    base = ["-count", "1", "-annex-name", "bad", "-yes"]
    cases = [
        ("annex name with _", ["-count", "1", "-annex-name", "my_annex", "-yes"], {}, "-annex-name"),
        ("annex name too long", ["-count", "1", "-annex-name", "a" * 28, "-yes"], {}, "28 characters"),
        ("no annex name", ["-count", "1", "-yes"], {}, "annex-name"),
        ("count 0", ["-count", "0", "-annex-name", "bad", "-yes"], {}, "-count"),
        ("instance type shape", base + ["-instance-type", "large"], {}, "instance type"),
        ("image does not exist", base + ["-aws-on-demand-ami-id", "ami-00000000deadbeef0"], {}, "ami-00000000deadbeef0"),
        ("password file unreadable", base, {"_CONDOR_SEC_PASSWORD_FILE": "/nonexistent/pw"}, "/nonexistent/pw"),
        ("collector loopback", base, {"_CONDOR_COLLECTOR_HOST": "127.0.0.1:9618"}, "loopback"),
        ("collector link-local", base, {"_CONDOR_COLLECTOR_HOST": "169.254.10.10"}, "link-local"),
        ("collector unqualified", base, {"_CONDOR_COLLECTOR_HOST": "cm"}, "qualified"),
        ("user-data unreadable", base + ["-aws-user-data-file", "/nonexistent/ud"], {}, "/nonexistent/ud"),
        ("user-data too large", base + ["-aws-user-data-file", BIG_USER_DATA], {}, "16384"),
        ("setup knobs missing", base, {"_CONDOR_us_east_1.ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN": ""}, "annex -setup"),
        ("no terminal, no -yes", ["-count", "1", "-annex-name", "bad"], {}, "-yes"),
    ]
    for name, args, env, needle in cases:
        with T.FaultProxy([]) as fp:
            rc, out, err = T.run_annex(args, pool.env(**fp.env(), **env))
            mutating = [c for c in fp.calls() if c["mutating"]]
        T.check("refused: %s (one clear line, no mutating call, no instance)" % name,
                rc == 1 and needle in err and len(err.strip().splitlines()) <= 2 and not mutating and
                not live(m, "bad") and not live(m, "my_annex"), (rc, out, err, mutating))


def test_prompt(m, pool):
    rc, out, _ = T.run_annex(["-count", "1", "-annex-name", "asked"], pool.env(), answer="no")
    T.check("prompt wording, decline message and hints", rc == 1 and
            "Will request 1 m6i.large on-demand instance for 0.83 hours.  Each instance will terminate after being "
            "idle for 0.25 hours.\nWorst case: no on-demand price available (Price List GetProducts: "
            "InternalError: HTTP status 500); at most 1 instance x 0.83 h.\n"
            "Is that OK?  (Type 'yes' or 'no'): no\nNot starting an annex; user did not "
            "confirm.\n\nTo change the instance type, use the -aws-on-demand-instance-type flag.\nTo change the "
            "lease duration, use the -duration flag.\nTo change how long an idle instance will wait before "
            "terminating itself, use the -idle flag.\n" in out and not live(m, "asked"), out)
    rc, out, _ = T.run_annex(["-count", "3", "-annex-name", "asked", "-duration", "2", "-idle", "1",
                              "-aws-on-demand-instance-type", "c5.xlarge"], pool.env(), answer="no")
    T.check("hints only for options not given", rc == 1 and "3 c5.xlarge on-demand instances for 2.00 hours" in out
            and "To change" not in out, out)
    rc, out, _ = T.run_annex(["-count", "1", "-annex-name", "asked"], pool.env(), answer="y")
    T.check("'y' starts the annex", rc == 0 and "Annex started." in out and len(live(m, "asked")) == 1, out)


def test_dry_run(m, pool):
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-count", "2", "-annex-name", "dry", "-dry-run"], pool.env(**fp.env()))
        runs = [c for c in fp.calls() if c["operation"] == "RunInstances"]
        mutating = [c for c in fp.calls() if c["mutating"] and c["operation"] != "RunInstances"]
    T.check("dry run: RunInstances with DryRun=true, nothing created", rc == 0 and len(runs) == 1 and
            runs[0]["params"].get("DryRun") == "true" and not mutating and not live(m, "dry"), (out, err, runs))


def test_lost_reply(m, pool):
    with T.FaultProxy([{"call": "RunInstances", "nth": 1, "fault": "drop_reply"}]) as fp:
        rc, out, err = T.run_annex(["-count", "2", "-annex-name", "lost", "-yes"], pool.env(**fp.env()))
        calls = fp.calls()
    runs = [c for c in calls if c["operation"] == "RunInstances"]
    after = calls[calls.index(runs[0]) + 1:] if runs else []
    T.check("lost RunInstances reply: annex looks up its instances by htcondor:AnnexId before launching again",
            any(c["operation"] == "DescribeInstances" and
                c["params"].get("Filter.1.Name") == "tag:htcondor:AnnexId" for c in after), calls)
    tokens = {c["params"].get("ClientToken") for c in runs}
    T.check("every RunInstances attempt carries the same ClientToken", len(tokens) == 1 and None not in tokens, runs)
    T.check("no double launch: exactly the 2 instances asked for", rc == 0 and len(live(m, "lost")) == 2,
            (out, err, len(live(m, "lost"))))


def test_runinstances_fails(m, pool):
    with T.FaultProxy([{"call": "RunInstances", "nth": 1, "fault": "500"}]) as fp:
        rc, out, err = T.run_annex(["-count", "1", "-annex-name", "broken", "-yes"],
                                   pool.env(ANNEX_MAX_ATTEMPTS="1", **fp.env()))
    rules = m.client("events").list_rules(NamePrefix="broken_")["Rules"]
    T.check("failed launch: AWS's error, no instance, the lease rule removed",
            rc == 1 and "InternalError" in err and not live(m, "broken") and rules == [], (out, err, rules))


def fleet_config(pool, name="fleet.json"):
    cfg = json.load(open(os.path.join(T.ROOT, "examples", "spot-fleet.json")))
    for ls in cfg["SpotFleetRequestConfig"]["LaunchSpecifications"]:
        ls["ImageId"] = pool.image
    path = os.path.join(pool.dir, name)
    json.dump(cfg, open(path, "w"))
    return path


def templates(m, annex_id):
    return m.client("ec2").describe_launch_templates(
        Filters=[{"Name": "tag:htcondor:AnnexId", "Values": [annex_id]}])["LaunchTemplates"]


IMDS_V2 = {"HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled",
           "InstanceMetadataTags": "enabled"}


def test_spot_fleet(m, pool):
    path = fleet_config(pool)
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-slots", "16", "-annex-name", "farm", "-aws-spot-fleet-config-file", path,
                                    "-yes"], pool.env(**fp.env()))
        calls = fp.calls()
    ops = [c["operation"] for c in calls]
    req = [c for c in calls if c["operation"] == "RequestSpotFleet"]
    p = req[0]["params"] if req else {}
    annex_id = re.search(r"'(farm_%s)'" % UUID, out)
    annex_id = annex_id.group(1) if annex_id else ""
    T.check("spot fleet launched", rc == 0 and "Annex started." in out, out + err)
    T.check("fleet request: capacity, role, ValidUntil, TerminateInstancesWithExpiration, ClientToken",
            p.get("SpotFleetRequestConfig.TargetCapacity") == "16" and
            p.get("SpotFleetRequestConfig.IamFleetRole", "").endswith("/HTCondorAnnex-SpotFleetRole") and
            re.fullmatch(r"\d{4}-.*Z", p.get("SpotFleetRequestConfig.ValidUntil", "")) and
            p.get("SpotFleetRequestConfig.TerminateInstancesWithExpiration") == "true" and
            p.get("SpotFleetRequestConfig.ClientToken", "").startswith("farm_"), p)
    T.check("fleet request tagged", p.get("SpotFleetRequestConfig.TagSpecification.1.ResourceType") ==
            "spot-fleet-request", p)
    T.check("fleet of type request by default", p.get("SpotFleetRequestConfig.Type") == "request", p)
    # moto's DescribeSpotFleetRequests leaves out Type and LaunchTemplateConfigs (TESTING.md): the wire says.
    name = "htcondor-annex-" + annex_id
    T.check("fleet through annex's launch template: LaunchTemplateConfigs, no LaunchSpecifications",
            p.get("SpotFleetRequestConfig.LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateName")
            == name and not any(".LaunchSpecifications." in k for k in p) and
            p.get("SpotFleetRequestConfig.LaunchTemplateConfigs.1.Overrides.1.InstanceType") == "g4dn.xlarge", p)
    T.check("the template is made before the fleet is requested",
            "CreateLaunchTemplate" in ops and ops.index("CreateLaunchTemplate") < ops.index("RequestSpotFleet"), ops)
    found = templates(m, annex_id) if annex_id else []
    T.check("one launch template, named from the annex id and tagged like the annex",
            len(found) == 1 and found[0]["LaunchTemplateName"] == name and
            tags(found[0]).get("htcondor:AnnexName") == "farm" and
            re.fullmatch(r"\d{4}-.*Z", tags(found[0]).get("htcondor:LeaseExpiration", "")), found)
    versions = m.client("ec2").describe_launch_template_versions(
        LaunchTemplateId=found[0]["LaunchTemplateId"])["LaunchTemplateVersions"] if found else []
    T.check("every template version: MetadataOptions IMDSv2 required, hop limit 1, instance tags on",
            len(versions) == 3 and all(v["LaunchTemplateData"].get("MetadataOptions") == IMDS_V2
                                       for v in versions), versions)
    T.check("every template version carries the user-data, the profile and the groups",
            versions and all(v["LaunchTemplateData"].get("UserData") and
                             v["LaunchTemplateData"].get("IamInstanceProfile") and
                             v["LaunchTemplateData"].get("SecurityGroupIds") for v in versions), versions)
    fleets = m.client("ec2").describe_spot_fleet_requests()["SpotFleetRequestConfigs"]
    T.check("the fleet request exists in moto",
            any(tags(f).get("htcondor:AnnexId") == annex_id for f in fleets), fleets)
    T.check("fleet instances carry annex's tags", len(live(m, "farm")) > 0, live(m, "farm"))
    ud = decoded_user_data(versions[0]["LaunchTemplateData"]["UserData"]) if versions else b""
    T.check("a Spot launch carries the interruption watcher, the launch's word and the 5 s round",
            shell_word(ud, "launched_spot") == b"1" and shell_word(ud, "spot_poll") == b"5" and
            b"spot/instance-action" in (shell_word(ud, "spot_watch_script") or b""),
            (shell_word(ud, "launched_spot"), shell_word(ud, "spot_poll")))


def test_fleet_off(m, pool):
    """-off cancels the fleet and deletes its launch template. One launch
    specification: moto 5.2.1 expands a template fleet with its first
    override and latest version only, and on cancel terminates only the
    instances matching that; the others keep a fleet id moto has deleted and
    make TerminateInstances answer 500 (AttributeError in moto), which AWS
    does not do."""
    cfg = {"AllocationStrategy": "lowestPrice",  # moto answers 500 without one
           "LaunchSpecifications": [{"ImageId": pool.image, "InstanceType": "m5.large"}]}
    path = os.path.join(pool.dir, "solo.json")
    json.dump(cfg, open(path, "w"))
    rc, out, err = T.run_annex(["-slots", "2", "-annex-name", "solo", "-aws-spot-fleet-config-file", path, "-yes"],
                               pool.env())
    annex_id = re.search(r"'(solo_%s)'" % UUID, out)
    annex_id = annex_id.group(1) if annex_id else ""
    T.check("solo fleet launched with its template", rc == 0 and len(templates(m, annex_id)) == 1, out + err)
    rc, out, err = T.run_annex(["-off", "-annex-name", "solo"], pool.env())
    fleets = [f for f in m.client("ec2").describe_spot_fleet_requests()["SpotFleetRequestConfigs"]
              if tags(f).get("htcondor:AnnexName") == "solo" and not f["SpotFleetRequestState"].startswith("cancelled")]
    T.check("-off cancels the fleet and deletes its launch template",
            rc == 0 and "deleted 1 launch template" in out and not templates(m, annex_id) and
            not fleets and not live(m, "solo"), out + err)


def decoded_user_data(b64):
    data = base64.b64decode(b64)
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def normalized(data, annex_id, lease_iso):
    import calendar
    import time
    lease = calendar.timegm(time.strptime(lease_iso, "%Y-%m-%dT%H:%M:%SZ"))
    return data.replace(annex_id.encode(), b"ANNEX_ID").replace(lease_iso.encode(), b"LEASE_ISO").replace(
        str(lease).encode(), b"LEASE_S")


def spot_part(data):
    """data with its Spot part (the interruption watcher and the launch's
    word, launched_spot) set as an on-demand launch has them."""
    data = re.sub(rb"\nspot_watch_script='(?:[^']|'\\'')*'\n", b"\nspot_watch_script=''\n", data, count=1)
    return data.replace(b"\nlaunched_spot='1'\n", b"\nlaunched_spot='0'\n", 1)


def test_fleet_user_data(m, pool):
    """The template's user-data is the on-demand one for the same inputs
    (the annex id and lease end, which differ per launch, set aside), but
    for the Spot part: the interruption watcher and launched_spot=1."""
    path = fleet_config(pool, "twin.json")
    opts = ["-annex-name", "twin", "-duration", "2", "-idle", "0.3", "-yes"]
    rc1, out1, err1 = T.run_annex(["-count", "1"] + opts, pool.env())
    rc2, out2, err2 = T.run_annex(["-slots", "1", "-aws-spot-fleet-config-file", path] + opts, pool.env())
    ids = re.findall(r"'(twin_%s)'" % UUID, out1 + out2)
    if not T.check("twin launches", rc1 == 0 and rc2 == 0 and len(ids) == 2, out1 + err1 + out2 + err2):
        return
    ec2 = m.client("ec2")
    inst = [i for i in live(m, "twin") if tags(i).get("htcondor:AnnexId") == ids[0]]
    od = normalized(user_data(m, inst[0]["InstanceId"]), ids[0], tags(inst[0])["htcondor:LeaseExpiration"])
    lt = templates(m, ids[1])
    v = ec2.describe_launch_template_versions(LaunchTemplateId=lt[0]["LaunchTemplateId"])["LaunchTemplateVersions"]
    fl = normalized(decoded_user_data(v[0]["LaunchTemplateData"]["UserData"]), ids[1],
                    tags(lt[0])["htcondor:LeaseExpiration"])
    T.check("the fleet's user-data has the Spot part, the on-demand one not",
            shell_word(fl, "launched_spot") == b"1" and shell_word(fl, "spot_watch_script") and
            shell_word(od, "launched_spot") == b"0" and shell_word(od, "spot_watch_script") == b"",
            (shell_word(fl, "launched_spot"), shell_word(od, "launched_spot")))
    fl = spot_part(fl)
    T.check("fleet template's user-data equals the on-demand user-data for the same inputs, but the Spot part",
            od == fl and b"ANNEX_ID" in od and b"LEASE_S" in od, (len(od), len(fl)))
    T.run_annex(["-off", "-annex-name", "twin"], pool.env())


def test_fleet_maintain(m, pool):
    path = fleet_config(pool, "keep.json")
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-slots", "2", "-annex-name", "keep", "-aws-spot-fleet-config-file", path,
                                    "-aws-spot-fleet-maintain", "-yes"], pool.env(**fp.env()))
        req = [c for c in fp.calls() if c["operation"] == "RequestSpotFleet"]
    T.check("-aws-spot-fleet-maintain asks for type maintain",
            rc == 0 and req and req[0]["params"].get("SpotFleetRequestConfig.Type") == "maintain", (out, err))
    T.run_annex(["-off", "-annex-name", "keep"], pool.env())


def test_fleet_fails(m, pool):
    """RequestSpotFleet fails: the undo deletes the launch template and the lease rule."""
    path = fleet_config(pool, "fail.json")
    with T.FaultProxy([{"call": "RequestSpotFleet", "nth": 1, "fault": "500"}]) as fp:
        rc, out, err = T.run_annex(["-slots", "2", "-annex-name", "sfail", "-aws-spot-fleet-config-file", path,
                                    "-yes"], pool.env(ANNEX_MAX_ATTEMPTS="1", **fp.env()))
        ops = [c["operation"] for c in fp.calls()]
    left = m.client("ec2").describe_launch_templates(
        Filters=[{"Name": "tag:htcondor:AnnexName", "Values": ["sfail"]}])["LaunchTemplates"]
    rules = m.client("events").list_rules(NamePrefix="sfail_")["Rules"]
    T.check("failed fleet launch: the template made is deleted, the rule removed",
            rc == 1 and "CreateLaunchTemplate" in ops and "DeleteLaunchTemplate" in ops and left == [] and
            rules == [], (out, err, ops, left, rules))


def test_fleet_dry_run(m, pool):
    path = fleet_config(pool, "dry.json")
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-slots", "2", "-annex-name", "fdry", "-aws-spot-fleet-config-file", path,
                                    "-dry-run"], pool.env(**fp.env()))
        calls = fp.calls()
    made = [c for c in calls if c["operation"] == "CreateLaunchTemplate"]
    left = m.client("ec2").describe_launch_templates(
        Filters=[{"Name": "tag:htcondor:AnnexName", "Values": ["fdry"]}])["LaunchTemplates"]
    T.check("fleet dry run: CreateLaunchTemplate with DryRun=true, no RequestSpotFleet, nothing made",
            rc == 0 and len(made) == 1 and made[0]["params"].get("DryRun") == "true" and
            made[0]["params"].get("LaunchTemplateData.MetadataOptions.HttpTokens") == "required" and
            not any(c["operation"] == "RequestSpotFleet" for c in calls) and left == [], (out, err, calls))
    T.check("fleet dry run prints the requests annex would send (the user-data redacted)",
            "SpotFleetRequestConfig.LaunchTemplateConfigs.1.LaunchTemplateSpecification" in out and
            "SpotFleetRequestConfig.Type=request" in out and "LaunchTemplateData.UserData=<redacted>" in out and
            not re.search(r"UserData=(?!<redacted>)", out), out)


def test_series(m, pool):
    """The nodes install the pool's own HTCondor series, read from the local
    condor_version, while HTCondor's repository carries it."""
    bindir = os.path.join(pool.dir, "fakebin")
    os.makedirs(bindir, exist_ok=True)
    with open(os.path.join(bindir, "condor_version"), "w") as f:
        f.write("#!/bin/sh\necho '$CondorVersion: 24.0.3 2024-12-01 BuildID: 1 $'\n"
                "echo '$CondorPlatform: x86_64_Debian12 $'\n")
    os.chmod(os.path.join(bindir, "condor_version"), 0o755)
    env = pool.env(PATH=bindir + ":/usr/bin:/bin:/usr/sbin:/sbin")
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "series", "-yes"], env)
    inst = live(m, "series")
    T.check("series: the pool's 24.0 is printed and put in the boot script",
            rc == 0 and "HTCondor 24.0 on the nodes: the pool runs 24.0.3." in out and inst and
            b"24.0" in user_data(m, inst[0]["InstanceId"]), out + err)


def test_node_options(m, pool):
    """-no-may-use-aws and the two node knobs reach the user-data."""
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "anyjob", "-no-may-use-aws", "-idle", "0.25", "-yes"],
                               pool.env(_CONDOR_ANNEX_BOOT_FAILURE_GRACE="45", _CONDOR_ANNEX_JOIN_TIMEOUT="600",
                                        _CONDOR_ANNEX_SPOT_POLL_INTERVAL="9"))
    inst = live(m, "anyjob")
    T.check("-no-may-use-aws launch", rc == 0 and inst, out + err)
    if not inst:
        return
    ud = user_data(m, inst[0]["InstanceId"])
    T.check("-no-may-use-aws: no START line (root: no owner clause either)",
            node_config_val(pool, ud, "START") == "True" and b"MayUseAWS" not in shell_word(ud, "annex_config"),
            shell_word(ud, "annex_config"))
    T.check("-idle 0.25: 900 seconds", node_config_val(pool, ud, "STARTD_NOCLAIM_SHUTDOWN") == "900")
    T.check("ANNEX_BOOT_FAILURE_GRACE and ANNEX_JOIN_TIMEOUT reach the node",
            shell_word(ud, "boot_failure_grace") == b"45" and shell_word(ud, "join_timeout") == b"600",
            (shell_word(ud, "boot_failure_grace"), shell_word(ud, "join_timeout")))
    T.check("ANNEX_SPOT_POLL_INTERVAL reaches the node; an on-demand launch carries no Spot watcher",
            shell_word(ud, "spot_poll") == b"9" and shell_word(ud, "launched_spot") == b"0" and
            shell_word(ud, "spot_watch_script") == b"",
            (shell_word(ud, "spot_poll"), shell_word(ud, "launched_spot"), shell_word(ud, "spot_watch_script")))


def test_default_image(m, pool):
    """No image configured: for an x86_64 type, the current Amazon Linux 2023
    image from the public SSM parameter; for an arm64 type no default (HTCondor
    publishes no AL2023 arm64 packages): a refusal naming what works, before
    any prompt or mutating call (these runs have no terminal and no -yes, so a
    check made after the prompt would end in the prompt's own refusal)."""
    ssm = m.client("ssm")
    want = ssm.get_parameter(
        Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")["Parameter"]["Value"]
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "al2x86", "-instance-type", "m5.large", "-yes"],
                               pool.env(_CONDOR_ANNEX_DEFAULT_ODI_IMAGE_ID=""))
    inst = live(m, "al2x86")
    T.check("default image for m5.large is AL2023 x86_64",
            rc == 0 and inst and inst[0]["ImageId"] == want and want in out, (out, err, inst))
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-count", "1", "-annex-name", "al2arm", "-instance-type", "m6g.large"],
                                   pool.env(_CONDOR_ANNEX_DEFAULT_ODI_IMAGE_ID="", **fp.env()))
        calls = fp.calls()
    T.check("no default image for arm64 m6g.large: refused, naming what works, before the prompt",
            rc == 1 and "no default image for m6g.large (arm64): HTCondor publishes arm64 packages only for "
            "Rocky Linux 9, AlmaLinux 9 or Red Hat Enterprise Linux 9" in err and "-aws-on-demand-ami-id" in err and "Is that OK" not in out
            and not live(m, "al2arm") and not [c for c in calls if c["mutating"]] and
            not [c for c in calls if c["operation"] == "GetParameter"], (out, err, calls))


def own_image(m, source, name, public, description="built here"):
    """A copy of source (same architecture) named name, public or private."""
    ec2 = m.client("ec2")
    iid = ec2.copy_image(SourceImageId=source, SourceRegion="us-east-1", Name=name,
                         Description=description)["ImageId"]
    if public:
        ec2.modify_image_attribute(ImageId=iid, LaunchPermission={"Add": [{"Group": "all"}]})
    return iid


def test_image_checks(m, pool):
    """Every type and image is checked (DescribeInstanceTypes, DescribeImages)
    before the prompt: architecture, distribution, the type offered; a type not
    built on Nitro is a warning."""
    ec2 = m.client("ec2")
    amazon = ec2.describe_images(Owners=["amazon"])["Images"]

    def first(pred):
        return sorted(i["ImageId"] for i in amazon if pred(i))[0]

    al2023_arm = m.client("ssm").get_parameter(
        Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64")["Parameter"]["Value"]
    al2_x86 = first(lambda i: i["Name"].startswith("amzn2-ami-") and i["Architecture"] == "x86_64")
    windows = first(lambda i: i["Name"].startswith("Windows_Server"))
    rocky_arm = own_image(m, al2023_arm, "Rocky-9-EC2-Base-9.4-20240523.0.aarch64", public=True)
    ubuntu_arm = own_image(m, al2023_arm, "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20240423",
                           public=True)
    golden = own_image(m, pool.image, "golden-node-v7", public=False)
    refusals = [
        ("arm64 AL2023 image on an arm64 type", ["-instance-type", "m6g.large", "-aws-on-demand-ami-id", al2023_arm],
         "image %s is arm64 Amazon Linux 2023: HTCondor publishes no packages for it; use an x86_64 type "
         "(e.g. m6i.large) with an x86_64 image, or a Rocky Linux 9, AlmaLinux 9 or Red Hat Enterprise Linux 9 arm64 image" % al2023_arm),
        ("arm64 Ubuntu 24.04 image", ["-instance-type", "c7g.large", "-aws-on-demand-ami-id", ubuntu_arm],
         "is arm64 Ubuntu 24.04: HTCondor publishes no packages for it"),
        ("arm64 image on an x86_64 type", ["-aws-on-demand-ami-id", rocky_arm],
         "image %s is arm64 Rocky Linux 9 but m6i.large runs x86_64" % rocky_arm),
        ("x86_64 image on an arm64 type", ["-instance-type", "m6g.large"],
         "image %s is x86_64 Amazon Linux 2023 but m6g.large runs arm64" % pool.image),
        ("Amazon Linux 2", ["-aws-on-demand-ami-id", al2_x86],
         "image %s is Amazon Linux 2 (x86_64): the nodes' boot script cannot install HTCondor on it" % al2_x86),
        ("Windows", ["-aws-on-demand-ami-id", windows], "image %s is Windows" % windows),
        ("type not offered", ["-instance-type", "m99z.large"], "instance type m99z.large is not offered in us-east-1"),
    ]
    for name, args, needle in refusals:
        with T.FaultProxy([]) as fp:
            rc, out, err = T.run_annex(["-count", "1", "-annex-name", "unfit"] + args, pool.env(**fp.env()))
            calls = fp.calls()
        ops = [c["operation"] for c in calls]
        T.check("refused before the prompt: %s (one line naming what works, no mutating call)" % name,
                rc == 1 and needle in err and len(T.without_region_line(err).strip().splitlines()) == 1 and "Is that OK" not in out and
                not [c for c in calls if c["mutating"]] and not live(m, "unfit") and
                ("DescribeImages" in ops or "DescribeInstanceTypes" in ops), (out, err, ops))
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "rockyarm", "-instance-type", "m6g.large",
                                "-aws-on-demand-ami-id", rocky_arm, "-yes"], pool.env())
    T.check("arm64 Rocky Linux 9 on m6g.large launches", rc == 0 and len(live(m, "rockyarm")) == 1 and
            not T.without_region_line(err).strip(),
            (out, err))
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "golden", "-aws-on-demand-ami-id", golden, "-yes"],
                               pool.env())
    T.check("a private image of unknown distribution: a warning, then the launch",
            rc == 0 and len(live(m, "golden")) == 1 and
            "annex: warning: cannot tell which distribution image %s (golden-node-v7) is" % golden in err, (out, err))
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "xen", "-instance-type", "m4.large", "-yes"],
                               pool.env())
    inst = live(m, "xen")
    T.check("an explicit m4.large is honoured, with a warning that it is not Nitro-based",
            rc == 0 and inst and inst[0]["InstanceType"] == "m4.large" and
            "annex: warning: m4.large is not built on the AWS Nitro System (hypervisor xen)" in err and
            "lease change" in err, (out, err))
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "nitro", "-yes"], pool.env())
    inst = live(m, "nitro")
    T.check("the default type is m6i.large, with no warning", rc == 0 and inst and
            inst[0]["InstanceType"] == "m6i.large" and "warning" not in err, (out, err))


def test_spot_fleet_images(m, pool):
    """A Spot Fleet config's types and images get the same checks, before the
    prompt; examples/spot-fleet.json's placeholder image is caught there."""
    al2023_arm = m.client("ssm").get_parameter(
        Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64")["Parameter"]["Value"]
    example = json.load(open(os.path.join(T.ROOT, "examples", "spot-fleet.json")))
    cases = [("the example's placeholder image", example, "image ami-0123456789abcdef0 does not exist in us-east-1")]
    arm = json.loads(json.dumps(example))
    specs = arm["SpotFleetRequestConfig"]["LaunchSpecifications"]
    for ls in specs:
        ls["ImageId"] = pool.image
    specs[1]["InstanceType"], specs[1]["ImageId"] = "m7g.xlarge", al2023_arm
    cases.append(("arm64 AL2023 in the second specification", arm,
                  "LaunchSpecifications[1]: image %s is arm64 Amazon Linux 2023: HTCondor publishes no packages"
                  % al2023_arm))
    for name, cfg, needle in cases:
        path = os.path.join(pool.dir, "fleet-check.json")
        json.dump(cfg, open(path, "w"))
        with T.FaultProxy([]) as fp:
            rc, out, err = T.run_annex(["-slots", "4", "-annex-name", "unfitfleet", "-aws-spot-fleet-config-file",
                                        path], pool.env(**fp.env()))
            calls = fp.calls()
        T.check("spot fleet refused before the prompt: %s" % name,
                rc == 1 and needle in err and len(T.without_region_line(err).strip().splitlines()) == 1 and not [c for c in calls if c["mutating"]]
                and not live(m, "unfitfleet"), (out, err, [c["operation"] for c in calls]))


def test_off(m, pool, annex_id):
    rc, out, err = T.run_annex(["-off", "-annex-name", "render"], pool.env())
    T.check("-off ends the annex: instances terminated, rule gone", rc == 0 and not live(m, "render") and
            m.client("events").list_rules(NamePrefix="render_")["Rules"] == [], out + err)
    T.check("-off leaves other annexes alone", len(live(m, "lost")) == 2)


def test_foreign_profile_warns(m, pool):
    """A launch with a profile that is not annex's node profile is warned
    about: the lease function, -reap and -off will not end its nodes
    (docs/security.md, "Forged tags"); annex's own profile draws nothing."""
    arn = m.client("iam").create_instance_profile(InstanceProfileName="SomeoneElses")["InstanceProfile"]["Arn"]
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "foreign", "-dry-run",
                                "-aws-on-demand-instance-profile-arn", arn], pool.env())
    T.check("a foreign profile: one warning line naming it", rc == 0 and
            "annex: warning: %s is not annex's node instance profile" % arn in err and
            "will end these instances" in err, (rc, out, err))
    own = m.client("iam").get_instance_profile(
        InstanceProfileName="HTCondorAnnex-InstanceProfile")["InstanceProfile"]["Arn"]
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "foreign", "-dry-run",
                                "-aws-on-demand-instance-profile-arn", own], pool.env())
    T.check("annex's own profile named on the command line: no warning", rc == 0 and "warning" not in err,
            (rc, out, err))


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        if not T.check("setup for the launch tests", rc == 0, out + err):
            return T.summary()
        annex_id = T.guarded(test_launch, m, pool)
        T.guarded(test_refusals, m, pool)
        T.guarded(test_prompt, m, pool)
        T.guarded(test_dry_run, m, pool)
        T.guarded(test_lost_reply, m, pool)
        T.guarded(test_runinstances_fails, m, pool)
        T.guarded(test_spot_fleet, m, pool)
        T.guarded(test_fleet_off, m, pool)
        T.guarded(test_fleet_user_data, m, pool)
        T.guarded(test_fleet_maintain, m, pool)
        T.guarded(test_fleet_fails, m, pool)
        T.guarded(test_fleet_dry_run, m, pool)
        T.guarded(test_series, m, pool)
        T.guarded(test_node_options, m, pool)
        T.guarded(test_default_image, m, pool)
        T.guarded(test_image_checks, m, pool)
        T.guarded(test_spot_fleet_images, m, pool)
        T.guarded(test_foreign_profile_warns, m, pool)
        T.guarded(test_off, m, pool, annex_id)
    return T.summary()


sys.exit(main())
