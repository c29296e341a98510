#!/usr/bin/env python3
"""annex -reap against moto with signature checking on, in a private
network namespace.

Annexes come from annex's own launch (so the tags and the lease rule are
what launch writes); leases are seconds (-duration 0.001 is 3.6 s). Pool
membership comes from a stand-in condor_status printing, per annex, lines
in the shape of HTCondor 25.14's recorded
`condor_status -annex nat-test -af Name AnnexName EC2InstanceID State
Activity EnteredCurrentState` (../shared/htcondor-recorded/annex-af.txt),
with the annex name and instance id replaced and, where a case needs it,
the State and EnteredCurrentState. Faults come from tests/lib/faultproxy.py.
"""
import fcntl
import json
import os
import re
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

RECORDED = os.path.join(os.environ.get("SHARED", os.path.join(T.ROOT, "..", "shared")), "htcondor-recorded")
LIVE = ["pending", "running", "stopping", "stopped"]
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def recorded_line():
    with open(os.path.join(RECORDED, "annex-af.txt")) as f:
        return f.read().splitlines()[0].split(" ")


class StandIn:
    """A condor_status that logs its argv and prints DIR/<annex>.txt
    (nothing when absent), then exits with the status in DIR/exit."""

    def __init__(self, pool):
        self.dir = os.path.join(pool.dir, "condor-status")
        os.makedirs(self.dir, exist_ok=True)
        self.log = os.path.join(self.dir, "argv.log")
        self.path = os.path.join(self.dir, "condor_status")
        with open(self.path, "w") as f:
            f.write("#!/bin/sh\nprintf '%%s\\n' \"$*\" >> '%s'\n" % self.log)
            f.write("if [ -f '%s/'\"$2\".txt ]; then cat '%s/'\"$2\".txt; fi\n" % (self.dir, self.dir))
            f.write("if [ -f '%s/exit' ]; then exit $(cat '%s/exit'); fi\nexit 0\n" % (self.dir, self.dir))
        os.chmod(self.path, 0o755)
        self.fail(0)

    def fail(self, status):
        with open(os.path.join(self.dir, "exit"), "w") as f:
            f.write("%d\n" % status)

    def show(self, annex, ads):
        """ads: [(instance id, State, Activity, EnteredCurrentState or None
        for the recorded one)]: one line each in the recorded shape."""
        rec = recorded_line()
        out = ""
        for n, (iid, state, activity, entered) in enumerate(ads):
            fields = ["slot%d@ip-10-0-0-%d.ec2.internal" % (n + 1, n + 1), annex, iid, state, activity,
                      rec[5] if entered is None else str(entered)]
            out += " ".join(fields) + "\n"
        with open(os.path.join(self.dir, annex + ".txt"), "w") as f:
            f.write(out)

    def calls(self):
        if not os.path.exists(self.log):
            return []
        return open(self.log).read().splitlines()


def instances(m, name, states=None):
    filters = [{"Name": "tag:htcondor:AnnexName", "Values": [name]}]
    if states:
        filters.append({"Name": "instance-state-name", "Values": states})
    res = m.client("ec2").describe_instances(Filters=filters)["Reservations"]
    return sorted((i for r in res for i in r["Instances"]), key=lambda i: i["InstanceId"])


def live_ids(m, name):
    return [i["InstanceId"] for i in instances(m, name, LIVE)]


def rules(m, name):
    return [r["Name"] for r in m.client("events").list_rules(NamePrefix=name + "_")["Rules"]]


def launch(pool, name, count=1, duration="1", idle=None):
    args = ["-count", str(count), "-annex-name", name, "-duration", duration, "-yes"]
    if idle:
        args += ["-idle", idle]
    rc, out, err = T.run_annex(args, pool.env())
    T.check("launch %s x%d" % (name, count), rc == 0, out + err)


def wait_past(seconds):
    time.sleep(seconds)


class Reaper:
    def __init__(self, pool, si):
        self.pool, self.si = pool, si
        self.lock = os.path.join(pool.dir, "reap.lock")

    def env(self, **over):
        base = dict(ANNEX_CONDOR_STATUS=self.si.path, ANNEX_REAP_LOCK_FILE=self.lock, ANNEX_REAP_LOCK_WAIT="30",
                    ANNEX_REAP_JOIN_GRACE="3600")
        base.update(over)
        return self.pool.env(**base)

    def run(self, args=(), **over):
        return T.run_annex(["-reap"] + list(args), self.env(**over))

    def popen(self, **over):
        return subprocess.Popen([T.ANNEX, "-reap"], env=self.env(**over), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def test_nothing_to_do(m, r):
    rc, out, err = r.run()
    T.check("no annex at all: no output, exit 0", rc == 0 and out == "" and err == "", (rc, out, err))
    T.check("lock file created 0600", stat.S_IMODE(os.stat(r.lock).st_mode) == 0o600, oct(os.stat(r.lock).st_mode))
    launch(r.pool, "steady", 1, "1")
    r.si.show("steady", [(i, "Claimed", "Busy", int(time.time())) for i in live_ids(m, "steady")])
    rc, out, err = r.run()
    T.check("an annex within its lease, in the pool and busy: no output, exit 0", rc == 0 and out == "" and
            err == "", (rc, out, err))
    T.check("condor_status asked as recorded (-annex NAME -af ...)",
            r.si.calls()[-1:] == ["-annex steady -af Name AnnexName EC2InstanceID State Activity "
                                  "EnteredCurrentState"], r.si.calls())
    T.check("steady untouched", len(live_ids(m, "steady")) == 1 and len(rules(m, "steady")) == 1)


def test_lease_expired(m, r):
    launch(r.pool, "old", 2, "0.001")
    old_ids = live_ids(m, "old")
    old_rule = rules(m, "old")
    wait_past(5)
    rc, out, err = r.run()
    T.check("expired annex: one line, exit 0", rc == 0 and re.fullmatch(
        r"Annex 'old' \(old_%s\): lease expired %s; terminated 2 instances, removed 1 lease rule\.\n" % (UUID, ISO),
        out), (rc, out, err))
    T.check("the line names the annex id of the launch", len(old_rule) == 1 and "(%s)" % old_rule[0] in out,
            (old_rule, out))
    T.check("its instances are terminated", len(old_ids) == 2 and live_ids(m, "old") == [],
            [i["State"]["Name"] for i in instances(m, "old")])
    T.check("its lease rule is gone", rules(m, "old") == [], rules(m, "old"))
    T.check("the unexpired annex is untouched", len(live_ids(m, "steady")) == 1 and len(rules(m, "steady")) == 1)
    rc, out, err = r.run()
    T.check("second run: nothing left to do, no output", rc == 0 and out == "" and err == "", (rc, out, err))


def test_orphan_rule(m, r):
    """A lease rule whose instances are all gone and whose lease passed is
    removed too (the lease function would do the same)."""
    launch(r.pool, "orphan", 1, "0.001")
    m.client("ec2").terminate_instances(InstanceIds=live_ids(m, "orphan"))
    wait_past(5)
    rc, out, err = r.run()
    T.check("orphaned expired rule: removed, one line", rc == 0 and re.fullmatch(
        r"Annex 'orphan' \(orphan_%s\): lease expired %s; removed 1 lease rule\.\n" % (UUID, ISO), out),
        (rc, out, err))
    T.check("orphan rule gone", rules(m, "orphan") == [])


def test_never_joined(m, r):
    launch(r.pool, "nj", 2, "1")
    joined, lost = live_ids(m, "nj")
    r.si.show("nj", [(joined, "Claimed", "Busy", int(time.time()))])
    rc, out, err = r.run(ANNEX_REAP_JOIN_GRACE="3600")
    T.check("within the join grace: nothing done", rc == 0 and out == "" and live_ids(m, "nj") == [joined, lost],
            (rc, out, err))
    wait_past(2)
    r.si.fail(1)
    rc, out, err = r.run(ANNEX_REAP_JOIN_GRACE="1")
    T.check("condor_status failing: pool unknown, nothing ended, a warning, exit 0",
            rc == 0 and out == "" and "warning" in err and "'nj'" in err and live_ids(m, "nj") == [joined, lost],
            (rc, out, err))
    r.si.fail(0)
    rc, out, err = r.run(ANNEX_REAP_JOIN_GRACE="1", ANNEX_CONDOR_STATUS=os.path.join(r.pool.dir, "no-such-tool"))
    T.check("no condor_status at all: nothing ended, nothing said", rc == 0 and out == "" and err == "" and
            live_ids(m, "nj") == [joined, lost], (rc, out, err))
    rc, out, err = r.run(ANNEX_REAP_JOIN_GRACE="1")
    T.check("past the grace: only the instance not in the pool is terminated", rc == 0 and out ==
            "Annex 'nj' (%s): 1 instance not in the pool 1 s after launch; terminated 1 instance (%s).\n"
            % (rules(m, "nj")[0], lost), (rc, out, err))
    T.check("the joined instance and the lease rule stay", live_ids(m, "nj") == [joined] and len(rules(m, "nj")) == 1,
            (live_ids(m, "nj"), rules(m, "nj")))
    r.si.show("nj", [])
    rc, out, err = r.run(ANNEX_REAP_JOIN_GRACE="1")
    T.check("last instance gone from the pool: it and the rule go", rc == 0 and re.fullmatch(
        r"Annex 'nj' \(nj_%s\): 1 instance not in the pool 1 s after launch; terminated 1 instance \(%s\), "
        r"removed 1 lease rule\.\n" % (UUID, joined), out), (rc, out, err))
    T.check("nj is gone", live_ids(m, "nj") == [] and rules(m, "nj") == [])


def test_idle(m, r):
    launch(r.pool, "idle", 2, "1")               # idle limit 0.25 h = 900 s (the default)
    launch(r.pool, "quick", 1, "1", idle="0.01")  # idle limit 36 s
    long_idle, fresh = live_ids(m, "idle")
    quick = live_ids(m, "quick")[0]
    now = int(time.time())
    # the recorded ad (Unclaimed Idle since the recording) for one, a recent
    # Unclaimed for the other; a partitionable machine with a claimed slot too
    r.si.show("idle", [(long_idle, "Unclaimed", "Idle", None), (fresh, "Unclaimed", "Idle", now - 100),
                       (fresh, "Unclaimed", "Idle", now - 5000)])
    r.si.show("quick", [(quick, "Unclaimed", "Idle", now - 100)])
    rc, out, err = r.run()
    lines = out.splitlines()
    # stderr holds only the line naming the region acted in (issue 17: every command
    # that talks to AWS says so; -reap only when it has something to say, for cron)
    T.check("idle: one line per annex acted on, exit 0", rc == 0 and len(lines) == 2 and
            err == "annex: region us-east-1 (from AWS_REGION)\n", (rc, out, err))
    T.check("the long-unclaimed instance is terminated, the fresh one kept (default 900 s limit)",
            "Annex 'idle' (%s): 1 instance unclaimed past the idle limit; terminated 1 instance (%s)."
            % (rules(m, "idle")[0], long_idle) in lines and live_ids(m, "idle") == [fresh], (out, live_ids(m, "idle")))
    T.check("the IdleTimeout tag (36 s) counts: quick ended whole, rule removed",
            any(re.fullmatch(r"Annex 'quick' \(quick_%s\): 1 instance unclaimed past the idle limit; terminated 1 "
                             r"instance \(%s\), removed 1 lease rule\." % (UUID, quick), ln) for ln in lines) and
            live_ids(m, "quick") == [] and rules(m, "quick") == [], out)
    r.si.show("idle", [(fresh, "Unclaimed", "Idle", now - 5000), (fresh, "Claimed", "Busy", now - 5000)])
    rc, out, err = r.run()
    T.check("a machine with one claimed slot is not idle", rc == 0 and out == "" and live_ids(m, "idle") == [fresh],
            (rc, out, err))
    subprocess.run([T.ANNEX, "-off", "-annex-name", "idle"], env=r.pool.env(), capture_output=True)


def test_concurrent(m, r):
    launch(r.pool, "conc1", 1, "0.001")
    launch(r.pool, "conc2", 1, "0.001")
    wait_past(5)
    # the first TerminateInstances waits 2 s at the proxy: without the lock
    # the second run would scan meanwhile and terminate the same instances
    with T.FaultProxy([{"call": "TerminateInstances", "nth": 1, "fault": "delay", "seconds": 2}]) as proxy:
        procs = [r.popen(**proxy.env())]
        time.sleep(0.3)
        procs.append(r.popen(**proxy.env()))
        outs = [p.communicate(timeout=120) for p in procs]
        calls = proxy.calls()
    T.check("two concurrent runs: both exit 0", all(p.returncode == 0 for p in procs), outs)
    lines = "".join(o for o, _ in outs).splitlines()
    T.check("one line per annex in all, none twice",
            sorted(re.sub(r"_.*", "", ln) for ln in lines) == ["Annex 'conc1' (conc1", "Annex 'conc2' (conc2"],
            outs)
    ops = [c["operation"] for c in calls]
    T.check("each instance terminated once, each rule deleted once",
            ops.count("TerminateInstances") == 2 and ops.count("DeleteRule") == 2, ops)
    T.check("both annexes gone", live_ids(m, "conc1") == [] == live_ids(m, "conc2") and
            rules(m, "conc1") == [] == rules(m, "conc2"))

    launch(r.pool, "busy", 1, "0.001")
    wait_past(5)
    with open(r.lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        t0 = time.time()
        rc, out, err = r.run(ANNEX_REAP_LOCK_WAIT="1")
        waited = time.time() - t0
    T.check("lock held elsewhere past the wait: one line, exit 0, nothing done",
            rc == 0 and out == "Another annex -reap is running (it holds %s); this run did nothing.\n" % r.lock and
            len(live_ids(m, "busy")) == 1, (rc, out, err))
    T.check("it waited about the bounded time", 0.9 <= waited < 10, waited)
    rc, out, err = r.run()
    T.check("lock free again: busy ended", rc == 0 and "Annex 'busy'" in out and live_ids(m, "busy") == [],
            (rc, out, err))


def test_failure(m, r):
    launch(r.pool, "f1", 1, "0.001")
    launch(r.pool, "f2", 1, "0.001")
    wait_past(5)
    with T.FaultProxy([{"call": "TerminateInstances", "nth": 1, "fault": "500"}]) as proxy:
        rc, out, err = r.run(ANNEX_MAX_ATTEMPTS="1", **proxy.env())
    left = [n for n in ("f1", "f2") if live_ids(m, n)]
    done = [n for n in ("f1", "f2") if not live_ids(m, n)]
    T.check("one TerminateInstances failing: exit 1", rc == 1, (rc, out, err))
    T.check("the other annex is ended and said so",
            len(done) == 1 and rules(m, done[0]) == [] and out.startswith("Annex '%s'" % done[0]) and
            out.count("\n") == 1, (out, done))
    T.check("the failed annex keeps its instance and its rule (the next run's retry)",
            len(left) == 1 and len(rules(m, left[0])) == 1, left)
    T.check("stderr names the failed annex and AWS's error, then a summary line",
            len(left) == 1 and re.search(r"annex: Annex '%s' \(%s_%s\): lease expired %s; failed: .*500" %
                                         (left[0], left[0], UUID, ISO), err) and
            err.rstrip("\n").splitlines()[-1] ==
            "annex: 1 of 2 annexes to reap could not be ended completely; the next run tries again", err)
    rc, out, err = r.run()
    T.check("the next run ends it", rc == 0 and len(left) == 1 and "Annex '%s'" % left[0] in out and
            live_ids(m, left[0]) == [] and rules(m, left[0]) == [], (rc, out, err))


def test_dry_run(m, r):
    launch(r.pool, "dry", 1, "0.001")
    wait_past(5)
    rc, out, err = r.run(["-dry-run"])
    T.check("-dry-run says what it would do and does nothing", rc == 0 and re.fullmatch(
        r"Annex 'dry' \(dry_%s\): lease expired %s; would terminate 1 instance, would remove 1 lease rule\.\n"
        % (UUID, ISO), out) and len(live_ids(m, "dry")) == 1 and len(rules(m, "dry")) == 1, (rc, out, err))
    rc, out, err = r.run(["-annex-name", "steady"])
    T.check("-annex-name limits the reap to that annex", rc == 0 and out == "" and len(live_ids(m, "dry")) == 1,
            (rc, out, err))
    rc, out, err = r.run(["-annex-name", "dry"])
    T.check("-annex-name dry: ended", rc == 0 and "Annex 'dry'" in out and live_ids(m, "dry") == [], (rc, out, err))


def test_fleet_template(m, r):
    """An expired Spot Fleet annex: -reap deletes its launch template with
    its lease rule. The fleet is cancelled first by hand: moto 5.2.1 cannot
    terminate, after a cancel, the instances of a template fleet (500), which
    AWS can; -reap's own cancel is covered by test_lease_expired's kind."""
    path = os.path.join(r.pool.dir, "solo.json")
    json.dump({"AllocationStrategy": "lowestPrice",
               "LaunchSpecifications": [{"ImageId": r.pool.image, "InstanceType": "m5.large"}]}, open(path, "w"))
    rc, out, err = T.run_annex(["-slots", "1", "-annex-name", "sfr", "-aws-spot-fleet-config-file", path,
                                "-duration", "0.001", "-yes"], r.pool.env())
    ec2 = m.client("ec2")
    lts = ec2.describe_launch_templates(Filters=[{"Name": "tag:htcondor:AnnexName", "Values": ["sfr"]}])
    T.check("fleet launched with a launch template", rc == 0 and len(lts["LaunchTemplates"]) == 1, out + err)
    fleets = [f["SpotFleetRequestId"] for f in ec2.describe_spot_fleet_requests()["SpotFleetRequestConfigs"]
              if {t["Key"]: t["Value"] for t in f.get("Tags", [])}.get("htcondor:AnnexName") == "sfr"]
    ec2.cancel_spot_fleet_requests(SpotFleetRequestIds=fleets, TerminateInstances=True)
    wait_past(5)
    rc, out, err = r.run(["-dry-run"])
    T.check("-reap -dry-run says it would delete the template",
            rc == 0 and "would delete 1 launch template" in out and
            len(ec2.describe_launch_templates(Filters=[{"Name": "tag:htcondor:AnnexName",
                                                        "Values": ["sfr"]}])["LaunchTemplates"]) == 1, (out, err))
    rc, out, err = r.run()
    left = ec2.describe_launch_templates(Filters=[{"Name": "tag:htcondor:AnnexName", "Values": ["sfr"]}])
    T.check("-reap deletes an expired fleet annex's launch template with its rule",
            rc == 0 and "deleted 1 launch template" in out and left["LaunchTemplates"] == [] and
            rules(m, "sfr") == [], (out, err, left))


def test_ec2_fleet(m, r):
    """An expired EC2 Fleet annex (-instance-types, issue 21): its
    instances (annex's profile and EC2's aws:ec2:fleet-id tag, as
    tests/lib/motopatch gives them) are annex's own, so -reap ends them
    and deletes the launch template and the rule; an instance merely
    tagged as one of them is left alone."""
    rc, out, err = T.run_annex(["-count", "2", "-instance-types", "m5.large,c5.large", "-annex-name", "ef",
                                "-duration", "0.001", "-yes"], r.pool.env())
    ids = live_ids(m, "ef")
    T.check("EC2 Fleet annex launched", rc == 0 and len(ids) == 2, out + err)
    annex_id = rules(m, "ef")[0] if rules(m, "ef") else ""
    rogue = forge(m, r.pool, "ef", annex_id)
    wait_past(5)
    rc, out, err = r.run()
    lts = m.client("ec2").describe_launch_templates(Filters=[{"Name": "tag:htcondor:AnnexName", "Values": ["ef"]}])
    T.check("-reap ends the expired EC2 Fleet annex: instances, template, rule",
            rc == 0 and live_ids(m, "ef") == [rogue] and "terminated 2 instances" in out and
            "deleted 1 launch template" in out and lts["LaunchTemplates"] == [] and rules(m, "ef") == [] and
            "instance %s of annex 'ef': not annex's (forged or foreign tags), left alone." % rogue in out,
            (rc, out, err))
    m.client("ec2").terminate_instances(InstanceIds=[rogue])


def forge(m, pool, name, annex_id, profile=None, token=None):
    """An instance someone else launched (`profile` None: without one; its
    own ClientToken) and then tagged as a member of annex_id, lease long
    past: all a principal with ec2:CreateTags can do."""
    ec2 = m.client("ec2")
    args = {"ImageId": pool.image, "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro",
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "database"}]}]}
    if profile:
        args["IamInstanceProfile"] = {"Arn": profile}
    if token:
        args["ClientToken"] = token
    iid = ec2.run_instances(**args)["Instances"][0]["InstanceId"]
    ec2.create_tags(Resources=[iid], Tags=[{"Key": "htcondor:AnnexName", "Value": name},
                                           {"Key": "htcondor:AnnexId", "Value": annex_id},
                                           {"Key": "htcondor:LeaseExpiration", "Value": "2020-01-01T00:00:00Z"}])
    return iid


def state(m, iid):
    return m.client("ec2").describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]


def test_forged_tags(m, r):
    """issue 18: an instance that carries an expired annex's tags but not
    annex's node profile and launch token is never terminated; annex's own
    instances of that annex still end."""
    launch(r.pool, "forged", 2, "0.001")
    own = live_ids(m, "forged")
    annex_id = rules(m, "forged")[0]
    profile = m.client("iam").get_instance_profile(
        InstanceProfileName="HTCondorAnnex-InstanceProfile")["InstanceProfile"]["Arn"]
    no_profile = forge(m, r.pool, "forged", annex_id)
    our_token = forge(m, r.pool, "forged", annex_id, token=annex_id)
    our_profile = forge(m, r.pool, "forged", annex_id, profile=profile, token="db-" + annex_id[:20])
    foreign = [no_profile, our_token, our_profile]
    wait_past(5)
    rc, out, err = r.run()
    lines = out.splitlines()
    for iid in foreign:
        T.check("-reap reports %s as not annex's and leaves it running" % iid,
                "instance %s of annex 'forged': not annex's (forged or foreign tags), left alone." % iid in lines
                and state(m, iid) == "running", (out, err, state(m, iid)))
    T.check("-reap still ends annex's own instances of that annex (2) and its rule",
            rc == 0 and len(own) == 2 and all(state(m, i) in ("shutting-down", "terminated") for i in own) and
            any(l.startswith("Annex 'forged' (%s): lease expired" % annex_id) and "terminated 2 instances" in l
                for l in lines) and rules(m, "forged") == [], (rc, out, err))
    rc, out, err = T.run_annex(["-off", "-annex-name", "forged"], r.pool.env())
    T.check("-off leaves the forged members running too, naming each",
            all("instance %s of annex 'forged': not annex's" % i in out and state(m, i) == "running"
                for i in foreign), (rc, out, err))
    launch(r.pool, "forged2", 1, "5")
    own2 = live_ids(m, "forged2")
    rogue = forge(m, r.pool, "forged2", rules(m, "forged2")[0])
    ec2 = m.client("ec2")
    theirs = ec2.create_launch_template(
        LaunchTemplateName="their-template", LaunchTemplateData={"ImageId": r.pool.image},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [
            {"Key": "htcondor:AnnexName", "Value": "forged2"},
            {"Key": "htcondor:AnnexId", "Value": rules(m, "forged2")[0]}]}])["LaunchTemplate"]["LaunchTemplateId"]
    rc, out, err = T.run_annex(["-off", "-annex-name", "forged2"], r.pool.env())
    T.check("-off leaves a launch template tagged as the annex's but not named as annex names its own",
            [t["LaunchTemplateId"] for t in ec2.describe_launch_templates()["LaunchTemplates"]
             if t["LaunchTemplateId"] == theirs] == [theirs], out)
    ec2.delete_launch_template(LaunchTemplateId=theirs)
    T.check("-off ends annex's own instance and leaves the forged one",
            rc == 0 and all(state(m, i) in ("shutting-down", "terminated") for i in own2) and
            state(m, rogue) == "running" and "terminated 1 instance," in out and
            "instance %s of annex 'forged2': not annex's (forged or foreign tags), left alone." % rogue in out,
            (rc, out, err))
    m.client("ec2").terminate_instances(InstanceIds=foreign + [rogue])  # out of the later tests' way


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        if not T.check("setup", rc == 0, out + err):
            return T.summary()
        r = Reaper(pool, StandIn(pool))
        for fn in (test_nothing_to_do, test_lease_expired, test_orphan_rule, test_never_joined, test_idle,
                   test_concurrent, test_failure, test_dry_run, test_fleet_template, test_forged_tags,
                   test_ec2_fleet):
            T.guarded(fn, m, r)
    return T.summary()


sys.exit(main())
