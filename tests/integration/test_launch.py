#!/usr/bin/env python3
"""annex -count N / -slots N against moto with signature checking on.

Runs in a private network namespace (see annextest.enter_netns). Setup is
run once; then every launch option, every refusal (zero instances after
each), the prompt on a pseudo-terminal, the lease rule, the Spot Fleet
request, and a RunInstances whose reply is lost.
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
    profiled = [i for i in inst if i.get("IamInstanceProfile")]
    T.check("instance profile (moto attaches it to the first instance only)", profiled and
            profiled[0]["IamInstanceProfile"]["Arn"].endswith("/HTCondorAnnex-InstanceProfile"), inst)
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
            "Will request 1 m4.large on-demand instance for 0.83 hours.  Each instance will terminate after being "
            "idle for 0.25 hours.\nIs that OK?  (Type 'yes' or 'no'): no\nNot starting an annex; user did not "
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


def test_spot_fleet(m, pool):
    cfg = json.load(open(os.path.join(T.ROOT, "examples", "spot-fleet.json")))
    for ls in cfg["SpotFleetRequestConfig"]["LaunchSpecifications"]:
        ls["ImageId"] = pool.image
    path = os.path.join(pool.dir, "fleet.json")
    json.dump(cfg, open(path, "w"))
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-slots", "16", "-annex-name", "farm", "-aws-spot-fleet-config-file", path,
                                    "-yes"], pool.env(**fp.env()))
        req = [c for c in fp.calls() if c["operation"] == "RequestSpotFleet"]
    p = req[0]["params"] if req else {}
    T.check("spot fleet launched", rc == 0 and "Annex started." in out, out + err)
    T.check("fleet request: capacity, role, ValidUntil, TerminateInstancesWithExpiration, ClientToken",
            p.get("SpotFleetRequestConfig.TargetCapacity") == "16" and
            p.get("SpotFleetRequestConfig.IamFleetRole", "").endswith("/HTCondorAnnex-SpotFleetRole") and
            re.fullmatch(r"\d{4}-.*Z", p.get("SpotFleetRequestConfig.ValidUntil", "")) and
            p.get("SpotFleetRequestConfig.TerminateInstancesWithExpiration") == "true" and
            p.get("SpotFleetRequestConfig.ClientToken", "").startswith("farm_"), p)
    T.check("fleet request tagged", p.get("SpotFleetRequestConfig.TagSpecification.1.ResourceType") ==
            "spot-fleet-request", p)
    T.check("fleet instances carry annex's tags", len(live(m, "farm")) > 0, live(m, "farm"))


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
                               pool.env(_CONDOR_ANNEX_BOOT_FAILURE_GRACE="45", _CONDOR_ANNEX_JOIN_TIMEOUT="600"))
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


def test_default_image(m, pool):
    """No image configured: the current Amazon Linux 2023 image of the
    instance type's architecture, from the public SSM parameter."""
    ssm = m.client("ssm")
    for itype, arch, name in (("m5.large", "x86_64", "al2x86"), ("m6g.large", "arm64", "al2arm")):
        want = ssm.get_parameter(
            Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-" + arch)["Parameter"]["Value"]
        rc, out, err = T.run_annex(["-count", "1", "-annex-name", name, "-instance-type", itype, "-yes"],
                                   pool.env(_CONDOR_ANNEX_DEFAULT_ODI_IMAGE_ID=""))
        inst = live(m, name)
        T.check("default image for %s is AL2023 %s" % (itype, arch),
                rc == 0 and inst and inst[0]["ImageId"] == want and want in out, (out, err, inst))


def test_off(m, pool, annex_id):
    rc, out, err = T.run_annex(["-off", "-annex-name", "render"], pool.env())
    T.check("-off ends the annex: instances terminated, rule gone", rc == 0 and not live(m, "render") and
            m.client("events").list_rules(NamePrefix="render_")["Rules"] == [], out + err)
    T.check("-off leaves other annexes alone", len(live(m, "lost")) == 2)


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
        T.guarded(test_series, m, pool)
        T.guarded(test_node_options, m, pool)
        T.guarded(test_default_image, m, pool)
        T.guarded(test_off, m, pool, annex_id)
    return T.summary()


sys.exit(main())
