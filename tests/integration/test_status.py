#!/usr/bin/env python3
"""annex -status (and bare "status") against moto with signature checking on.

Instances come from annex -count and from boto3 directly (with annex's
tags); pool membership comes from a stand-in condor_status that prints
HTCondor 25.14's recorded `condor_status -annex nat-test -af ...` output
(../shared/htcondor-recorded/annex-af.txt) byte for byte, followed by lines
of the same shape for the moto instances the test declares "in the pool".
The expected condor_annex tables are computed here, from boto3's view of
EC2, by a Python transcription of condor_annex 8.8's printing rules.
"""
import json
import os
import re
import stat
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402
import pricelist  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

RECORDED = os.path.join(os.environ.get("SHARED", os.path.join(T.ROOT, "..", "shared")), "htcondor-recorded")
AF_ARGS = "-annex %s -af Name AnnexName EC2InstanceID State Activity EnteredCurrentState"


def recorded(name):
    with open(os.path.join(RECORDED, name), "rb") as f:
        return f.read()


class StandIn:
    """A condor_status that logs its argv and prints DIR/<annex>.txt."""

    def __init__(self, pool, exit_status=0):
        self.dir = os.path.join(pool.dir, "condor-status-%d" % exit_status)
        os.makedirs(self.dir, exist_ok=True)
        self.log = os.path.join(self.dir, "argv.log")
        self.path = os.path.join(self.dir, "condor_status")
        with open(self.path, "w") as f:
            f.write("#!/bin/sh\nprintf '%%s\\n' \"$*\" >> '%s'\n" % self.log)
            f.write("if [ -f '%s/'\"$2\".txt ]; then cat '%s/'\"$2\".txt; fi\nexit %d\n"
                    % (self.dir, self.dir, exit_status))
        os.chmod(self.path, 0o755)

    def members(self, annex, ids, with_recording=False):
        """The recorded bytes (when asked), then one line per id in the
        recorded line's shape."""
        rec = recorded("annex-af.txt")
        line = rec.decode().splitlines()[0].split(" ")
        out = rec if with_recording else b""
        for n, iid in enumerate(ids):
            fields = ["slot1@ip-10-0-0-%d.ec2.internal" % (n + 1), annex, iid] + line[3:]
            out += (" ".join(fields) + "\n").encode()
        with open(os.path.join(self.dir, annex + ".txt"), "wb") as f:
            f.write(out)

    def calls(self):
        if not os.path.exists(self.log):
            return []
        return open(self.log).read().splitlines()


def ec2_view(m):
    """{annex: {instance id: state}} for every instance tagged htcondor:AnnexName."""
    out = {}
    pages = m.client("ec2").get_paginator("describe_instances").paginate(
        Filters=[{"Name": "tag-key", "Values": ["htcondor:AnnexName"]}])
    for page in pages:
        for r in page["Reservations"]:
            for i in r["Instances"]:
                name = {t["Key"]: t["Value"] for t in i.get("Tags", [])}["htcondor:AnnexName"]
                out.setdefault(name, {})[i["InstanceId"]] = i["State"]["Name"]
    return out


def with_pool(view, in_pool):
    return {a: {i: ("in-pool" if i in in_pool else s) for i, s in insts.items()} for a, insts in view.items()}


def condor_annex_named(insts):
    """printHumanReadable of condor_annex 8.8 (annex-status.cpp)."""
    counts = {}
    for s in insts.values():
        counts[s] = counts.get(s, 0) + 1
    out = "%-14.14s %5.5s\n" % ("STATE", "COUNT")
    for s in sorted(counts):
        out += "%-14.14s %5u\n" % (s, counts[s])
    out += "%-14.14s %5u\n" % ("TOTAL", len(insts))
    if counts.get("in-pool", 0) != len(insts):
        out += "\nInstances not in the pool, grouped by state:\n"
        for s in sorted(counts):
            if s == "in-pool":
                continue
            out += s
            col = len(s)
            for iid in sorted(i for i, st in insts.items() if st == s):
                col += len(iid) + 1
                if col >= 80:
                    out += "\n" + " " * len(s)
                    col = len(s) + len(iid) + 1
                out += " " + iid
            out += "\n"
    return out


def condor_annex_summary(view):
    """printHumanReadableSummary of condor_annex 8.8."""
    states = sorted({s for insts in view.values() for s in insts.values()})
    out = "%-27.27s %5.5s" % ("NAME", "TOTAL") + "".join(" " + s for s in states) + "\n"
    not_in_pool = 0
    for a in sorted(view):
        vals = list(view[a].values())
        out += "%-27.27s %5u" % (a, len(vals))
        for s in states:
            out += " %*d" % (len(s), vals.count(s))
            if s != "in-pool":
                not_in_pool += vals.count(s)
        out += "\n"
    if not_in_pool:
        longest = max(len(s) for s in states)
        out += "\n%-27.27s %-*s INSTANCES...\n" % ("NAME", longest, "STATUS")
        for a in sorted(view):
            for s in sorted(set(view[a].values())):
                if s == "in-pool":
                    continue
                out += "%-27.27s %-*s" % (a, longest, s)
                out += "".join(" " + i for i in sorted(view[a]) if view[a][i] == s) + "\n"
    return out


def add_instances(m, annex, n, itype="t3.micro", lease="2020-01-01T00:00:00Z", extra_tags=()):
    annex_id = "%s_%s" % (annex, uuid.uuid4())
    tags = [{"Key": "htcondor:AnnexName", "Value": annex}, {"Key": "htcondor:AnnexId", "Value": annex_id},
            {"Key": "htcondor:LeaseExpiration", "Value": lease}] + list(extra_tags)
    pool_image = sorted(i["ImageId"] for i in m.client("ec2").describe_images(Owners=["amazon"])["Images"])[0]
    r = m.client("ec2").run_instances(ImageId=pool_image, MinCount=n, MaxCount=n, InstanceType=itype,
                                      TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
    return annex_id, sorted(i["InstanceId"] for i in r["Instances"])


def status(pool, args, **env):
    return T.run_annex(args, pool.env(**env))


def split_report(out):
    """condor_annex's part and annex's extra lines (after the last blank
    line that precedes a 'Lease of'/'Instance types' line)."""
    m = re.search(r"\n\n(?=(?:[\w.-]+: )?(?:Lease of|Instance types|Spot Fleet|In the pool))", out)
    return (out[:m.start() + 1], out[m.end():]) if m else (out, "")


def test_nothing_found(m, pool, si):
    rc, out, err = status(pool, ["-status"], ANNEX_CONDOR_STATUS=si.path)
    T.check("no annex: condor_annex's line, exit 0", rc == 0 and out == "Found no instances in any annex.\n",
            (rc, out, err))
    rc, out, err = status(pool, ["-status", "-annex-name", "ghost"], ANNEX_CONDOR_STATUS=si.path)
    T.check("unknown annex: condor_annex's line", rc == 0 and out == "Found no machines in that annex.\n",
            (rc, out, err))
    rc, out, err = status(pool, ["-status", "-classad"], ANNEX_CONDOR_STATUS=si.path)
    T.check("-classad, nothing found: the same line", rc == 0 and out == "Found no instances in any annex.\n", out)
    rc, out, err = status(pool, ["-status", "-json"], ANNEX_CONDOR_STATUS=si.path)
    T.check("-json, nothing found: an empty annex list", rc == 0 and json.loads(out)["Annexes"] == [], out)
    T.check("condor_status not run when EC2 holds no annex", si.calls() == [], si.calls())


def test_named(m, pool, si, render, nat):
    rc, out, err = status(pool, ["-status", "-annex-name", "render"], ANNEX_CONDOR_STATUS=si.path)
    view = with_pool(ec2_view(m), render["in_pool"])
    head, extra = split_report(out)
    T.check("-annex-name render: condor_annex's table and ids not in the pool, exactly",
            rc == 0 and head == condor_annex_named(view["render"]), (out, err, condor_annex_named(view["render"])))
    T.check("render: some in the pool, one not", "in-pool            2\n" in head and
            "Instances not in the pool, grouped by state:\n" in head, head)
    T.check("lease remaining for the launch", re.search(
        r"^Lease of %s: \d+\.\d\d hours remaining \(until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)\.$" % render["id"],
        extra, re.M), extra)
    T.check("instance types", "Instance types: m5.large 3.\n" in extra, extra)
    T.check("no pool note when condor_status answered", "Pool membership" not in out, out)
    T.check("condor_status run as recorded: -annex render -af ...", si.calls()[-1:] == [AF_ARGS % "render"],
            si.calls())
    out_of_pool = sorted(i for i, st in view["render"].items() if st != "in-pool")
    T.check("the instance not in the pool: the last five lines of its console output (moto's sample)",
            len(out_of_pool) == 1 and ("Console output of %s (not in the pool), last lines:\n"
                                       "  NX (Execute Disable) protection: active\n"
                                       "  IRQ lockup detection disabled\n"
                                       "  Built 1 zonelists\n"
                                       "  Kernel command line: root=/dev/sda1 ro 4\n"
                                       "  Enabling fast FPU save and restore... done.\n" % out_of_pool[0]) in extra,
            extra)
    T.check("no console output for instances in the pool", all("Console output of %s" % i not in out
                                                                  for i in render["in_pool"]), out)

    rc, out, err = status(pool, ["-status", "-annex-name", "nat-test"], ANNEX_CONDOR_STATUS=si.path)
    view = with_pool(ec2_view(m), nat["in_pool"])
    head, extra = split_report(out)
    T.check("nat-test: table exactly", rc == 0 and head == condor_annex_named(view["nat-test"]), (out, err))
    T.check("nat-test: expired lease", re.search(r"^Lease of %s: expired \d+\.\d\d hours ago \(at "
                                                 r"2020-01-01T00:00:00Z\)\.$" % nat["id"], extra, re.M), extra)
    T.check("recorded machine i-0123456789abcdef0 (no such instance here) is named, not counted",
            "In the pool but not an instance found in EC2: i-0123456789abcdef0\n" in extra and
            "TOTAL              3\n" in head, out)


def test_wrap(m, pool, si):
    _, ids = add_instances(m, "many", 14)
    rc, out, _ = status(pool, ["-status", "-annex-name", "many"], ANNEX_CONDOR_STATUS=si.path)
    head, _ = split_report(out)
    view = ec2_view(m)
    lines = head.splitlines()
    T.check("wrap at 80 columns: exact", head == condor_annex_named(view["many"]), head)
    T.check("wrapped lines are shorter than 80 and continue under the state",
            all(len(x) < 80 for x in lines) and any(x.startswith(" " * len("running") + " i-") for x in lines) and
            all(i in head for i in ids), head)


def test_summary(m, pool, si, in_pool):
    rc, out, err = status(pool, ["-status"], ANNEX_CONDOR_STATUS=si.path)
    view = with_pool(ec2_view(m), in_pool)
    head, extra = split_report(out)
    T.check("summary: NAME TOTAL <state>... and NAME STATUS INSTANCES..., exactly",
            rc == 0 and head == condor_annex_summary(view), (out, err, condor_annex_summary(view)))
    T.check("summary: annex lines prefixed by the annex name",
            "render: Instance types: m5.large 3.\n" in extra and
            "nat-test: In the pool but not an instance found in EC2: i-0123456789abcdef0\n" in extra, extra)
    T.check("summary: untagged and foreign instances absent", "untagged" not in out, out)
    T.check("summary: one condor_status per annex", sorted(si.calls()[-len(view):]) ==
            sorted(AF_ARGS % a for a in view), si.calls())
    rc2, out2, _ = status(pool, ["status"], ANNEX_CONDOR_STATUS=si.path)
    strip = lambda s: re.sub(r"(?m)^.*(Lease of|Cost so far).*\n", "", s)  # noqa: E731  (hours may tick over)
    T.check("bare 'status' is -status", rc2 == 0 and strip(out2) == strip(out), (out, out2))


def test_exact_name(m, pool, si):
    add_instances(m, "rend", 1)
    rc, out, _ = status(pool, ["-status", "-annex-name", "rend"], ANNEX_CONDOR_STATUS=si.path)
    T.check("annex 'rend' is not a prefix of 'render'", rc == 0 and "TOTAL              1\n" in out, out)


def parse_ads(text):
    ads, cur = [], {}
    for line in text.split("\n"):
        if not line:
            if cur:
                ads.append(cur)
            cur = {}
            continue
        k, v = line.split(" = ", 1)
        cur[k] = v
    if cur:
        ads.append(cur)
    return ads


def test_classad(m, pool, si, render):
    rc, out, err = status(pool, ["-status", "-annex-name", "render", "-classad"], ANNEX_CONDOR_STATUS=si.path)
    ads = parse_ads(out)
    ad = ads[0] if ads else {}
    view = with_pool(ec2_view(m), render["in_pool"])["render"]
    running = sorted(i for i, s in view.items() if s == "running")
    T.check("-classad: one ad, condor_annex's attributes", rc == 0 and len(ads) == 1 and
            ad.get("MyType") == '"Annex"' and ad.get("AnnexID") == '"render"' and ad.get("TotalInstances") == "3"
            and ad.get("NumInstancesInPool") == "2" and ad.get("NumInstancesRunning") == "1" and
            ad.get("RunningInstancesList") == "{ %s }" % ", ".join('"%s"' % i for i in running) and
            "InPoolInstancesList" not in ad, (out, err))
    T.check("-classad: annex's attributes", ad.get("InstanceTypesList") == '{ "m5.large" }' and
            re.fullmatch(r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"', ad.get("LeaseExpiration", "")) and
            ad.get("PoolMembershipKnown") == "true", ad)
    T.check("-classad: old syntax, attributes sorted", out.splitlines() ==
            sorted(out.splitlines(), key=str.lower) and not out.endswith("\n\n"), out)
    rc, out, _ = status(pool, ["-status", "-classads"], ANNEX_CONDOR_STATUS=si.path)
    ads = parse_ads(out)
    names = [a.get("AnnexID") for a in ads]
    T.check("-classads (no name): one ad per annex, each followed by an empty line",
            rc == 0 and names == sorted('"%s"' % a for a in ec2_view(m)) and out.endswith("\n\n"), out)
    T.check("CamelCased multi-word state", all(re.fullmatch(r"NumInstances[A-Z][A-Za-z]*", k)
                                               for a in ads for k in a if k.startswith("NumInstances")), ads)


def test_json(m, pool, si, render, nat):
    rc, out, err = status(pool, ["-status", "-json"], ANNEX_CONDOR_STATUS=si.path)
    doc = json.loads(out) if rc == 0 else {}
    by = {a["AnnexName"]: a for a in doc.get("Annexes", [])}
    r = by.get("render", {})
    T.check("-json: every annex, counts by state", rc == 0 and set(by) == set(ec2_view(m)) and
            r.get("TotalInstances") == 3 and r.get("States") == {"in-pool": 2, "running": 1}, out)
    inst = {i["InstanceId"]: i for i in r.get("Instances", [])}
    T.check("-json: per instance state, pool flag, type, annex id", all(
        inst[i]["InPool"] == (i in render["in_pool"]) and inst[i]["EC2State"] == "running" and
        inst[i]["InstanceType"] == "m5.large" and inst[i]["AnnexId"] == render["id"] for i in inst) and
        len(inst) == 3, r)
    lease = r.get("Leases", [{}])[0]
    T.check("-json: lease remaining in seconds", 0 < lease.get("RemainingSeconds", -1) <= 3600 and
            lease.get("AnnexId") == render["id"], r.get("Leases"))
    T.check("-json: pool machine without an instance", by.get("nat-test", {}).get("InPoolNotInEC2") ==
            ["i-0123456789abcdef0"] and doc.get("PoolMembershipKnown") is True, by.get("nat-test"))
    rc, out, err = status(pool, ["-status", "-json", "-classad"], ANNEX_CONDOR_STATUS=si.path)
    T.check("-json with -classad is a usage error", rc == 1 and "-json" in err, (out, err))


def test_console_json_and_denied(m, pool, si, render):
    rc, out, err = status(pool, ["-status", "-annex-name", "render", "-json"], ANNEX_CONDOR_STATUS=si.path)
    doc = json.loads(out) if rc == 0 else {}
    insts = [i for a in doc.get("Annexes", []) for i in a["Instances"]]
    tails = {i["InstanceId"]: i.get("ConsoleTail") for i in insts}
    T.check("-json: ConsoleTail of the instance not in the pool only", [k for k, v in tails.items() if v] ==
            sorted(set(tails) - render["in_pool"]) and
            list(tails.values()).count(None) == len(render["in_pool"]) and
            any(v and v[-1] == "Enabling fast FPU save and restore... done." for v in tails.values()), out)
    denied = ('<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code>'
              '<Message>You are not authorized to perform this operation.</Message></Error></Errors>'
              '<RequestID>r-1</RequestID></Response>')
    with T.FaultProxy([{"call": "GetConsoleOutput", "nth": 1, "times": 0, "fault": "reply", "status": 403,
                        "body": denied}]) as fp:
        rc, out, err = status(pool, ["-status", "-annex-name", "render"], ANNEX_CONDOR_STATUS=si.path, **fp.env())
    T.check("GetConsoleOutput refused: a note on that instance, -status still works",
            rc == 0 and re.search(r"^Console output of i-[0-9a-f]+: not shown: .+$", out, re.M) and
            "TOTAL" in out, (rc, out, err))


def test_no_condor_status(m, pool, failing):
    rc, out, err = status(pool, ["-status", "-annex-name", "render"], ANNEX_CONDOR_STATUS=None)
    view = ec2_view(m)["render"]
    T.check("no condor_status: EC2 states only, and one line saying so",
            rc == 0 and "in-pool" not in out and split_report(out)[0] == condor_annex_named(view) and
            out.splitlines()[-1] == "Pool membership is not shown: condor_status is not on PATH (or set "
            "ANNEX_CONDOR_STATUS to it).", out)
    rc, out, err = status(pool, ["-status", "-annex-name", "render"], ANNEX_CONDOR_STATUS=failing.path)
    T.check("failing condor_status: a note naming its exit status", rc == 0 and "in-pool" not in out and
            re.search(r"Pool membership is not shown: .*condor_status -annex render exited with status 3\.$",
                      out), out)
    rc, out, err = status(pool, ["-status", "-json"], ANNEX_CONDOR_STATUS=os.path.join(pool.dir, "nope"))
    doc = json.loads(out) if rc == 0 else {}
    T.check("-json without condor_status: PoolMembershipKnown false, InPool null", doc.get("PoolMembershipKnown")
            is False and "ANNEX_CONDOR_STATUS" in (doc.get("PoolNote") or "") and
            all(i["InPool"] is None for a in doc["Annexes"] for i in a["Instances"]), out)


def test_requests(m, pool, si, render):
    with T.FaultProxy([]) as fp:
        status(pool, ["-status"], ANNEX_CONDOR_STATUS=si.path, **fp.env())
        console_unnamed = [c for c in fp.calls() if c["operation"] == "GetConsoleOutput"]
        status(pool, ["-status", "-annex-name", "render"], ANNEX_CONDOR_STATUS=si.path, **fp.env())
        calls = [c for c in fp.calls() if c["operation"] == "DescribeInstances"]
        mutating = [c for c in fp.calls() if c["mutating"]]
        console = [c["params"].get("InstanceId") for c in fp.calls() if c["operation"] == "GetConsoleOutput"]
    not_in = sorted(set(ec2_view(m)["render"]) - render["in_pool"])
    T.check("GetConsoleOutput: only with -annex-name, only for the running instance not in the pool",
            console_unnamed == [] and console == not_in, (console_unnamed, console, not_in))
    p0 = calls[0]["params"] if calls else {}
    p1 = calls[-1]["params"] if calls else {}
    T.check("no name: DescribeInstances filtered by tag-key htcondor:AnnexName, 1000 a page",
            p0.get("Filter.1.Name") == "tag-key" and p0.get("Filter.1.Value.1") == "htcondor:AnnexName" and
            p0.get("MaxResults") == "1000", p0)
    T.check("named: filtered by tag:htcondor:AnnexName = render", p1.get("Filter.1.Name") ==
            "tag:htcondor:AnnexName" and p1.get("Filter.1.Value.1") == "render", p1)
    T.check("-status changes nothing", mutating == [], mutating)


def test_paging(m, pool, si):
    # moto counts MaxResults in reservations (AWS: instances), so the pages
    # are made of 12 reservations of 2 instances, 5 reservations a page.
    ids = []
    for _ in range(12):
        ids += add_instances(m, "paged", 2, itype="t3.nano")[1]
    with T.FaultProxy([]) as fp:
        rc, out, err = status(pool, ["-status", "-annex-name", "paged"], ANNEX_CONDOR_STATUS=si.path,
                              _CONDOR_ANNEX_STATUS_PAGE_SIZE="5", **fp.env())
        calls = [c["params"] for c in fp.calls() if c["operation"] == "DescribeInstances"]
    T.check("paged: three pages of MaxResults=5, each after the first asked with NextToken",
            len(calls) == 3 and all(c.get("MaxResults") == "5" for c in calls) and
            "NextToken" not in calls[0] and all("NextToken" in c for c in calls[1:]), calls)
    head, extra = split_report(out)
    T.check("paged: all 24 counted once", rc == 0 and "running           24\nTOTAL             24\n" in head and
            all(head.count(i) == 1 for i in ids), out)
    T.check("paged: console output of ten of them at most",
            len(re.findall(r"^Console output of i-[0-9a-f]+ ", extra, re.M)) == 10, extra)
    rc, out, err = status(pool, ["-status"], _CONDOR_ANNEX_STATUS_PAGE_SIZE="2")
    T.check("page size out of range: a config error naming the knob", rc == 1 and
            "ANNEX_STATUS_PAGE_SIZE" in err, err)


def test_spot_fleet(m, pool, si):
    cfg = json.load(open(os.path.join(T.ROOT, "examples", "spot-fleet.json")))
    for ls in cfg["SpotFleetRequestConfig"]["LaunchSpecifications"]:
        ls["ImageId"] = pool.image
    path = os.path.join(pool.dir, "fleet.json")
    json.dump(cfg, open(path, "w"))
    rc, out, err = T.run_annex(["-slots", "4", "-annex-name", "farm", "-aws-spot-fleet-config-file", path, "-yes"],
                               pool.env())
    if not T.check("spot fleet launched for the status test", rc == 0, out + err):
        return
    fleets = [f for f in m.client("ec2").describe_spot_fleet_requests()["SpotFleetRequestConfigs"]
              if {t["Key"]: t["Value"] for t in f.get("Tags", [])}.get("htcondor:AnnexName") == "farm"]
    rc, out, err = status(pool, ["-status", "-annex-name", "farm"], ANNEX_CONDOR_STATUS=si.path)
    T.check("Spot Fleet line: id, state, target capacity", len(fleets) == 1 and re.search(
        r"^Spot Fleet %s: %s, target capacity 4\.$" % (fleets[0]["SpotFleetRequestId"],
                                                     fleets[0]["SpotFleetRequestState"]), out, re.M), out)


def test_cost_so_far(m, pool, si):
    """Market, cost so far and budget (issue 21, items 3 and 5): two priced
    instances (one of them spot) and one without a price tag. moto's
    LaunchTime is real time, so the cost is small: compared with the
    formula, hours since LaunchTime x the tag's price, within the seconds
    the run took. Every launch is priced, -yes too: an annex launched with
    -yes shows its cost so far when the (loopback stub) Price List answered,
    "unknown" when no price could be had (moto has no Price List: the
    'render' annex)."""
    import datetime
    import time
    priced = (("htcondor:PriceUSDPerHour", "m5.large=1,t3.micro=0.5"), ("htcondor:BudgetUSD", "3"))
    _, od = add_instances(m, "costly", 1, extra_tags=[{"Key": k, "Value": v} for k, v in priced])
    ec2 = m.client("ec2")
    image = sorted(i["ImageId"] for i in ec2.describe_images(Owners=["amazon"])["Images"])[0]
    tags = [{"Key": "htcondor:AnnexName", "Value": "costly"}, {"Key": "htcondor:AnnexId", "Value": "costly_1"},
            {"Key": "htcondor:LeaseExpiration", "Value": "2099-01-01T00:00:00Z"}] + \
        [{"Key": k, "Value": v} for k, v in priced]
    spot = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="m5.large",
                             InstanceMarketOptions={"MarketType": "spot"},
                             TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])["Instances"]
    add_instances(m, "costly", 1)
    insts = {i["InstanceId"]: i for r in ec2.describe_instances(Filters=[
        {"Name": "tag:htcondor:AnnexName", "Values": ["costly"]}])["Reservations"] for i in r["Instances"]}
    spot_id = spot[0]["InstanceId"]
    time.sleep(1.5)
    before = datetime.datetime.now(datetime.timezone.utc)
    rc, out, err = status(pool, ["-status", "-annex-name", "costly", "-json"], ANNEX_CONDOR_STATUS=si.path)
    after = datetime.datetime.now(datetime.timezone.utc)
    doc = json.loads(out) if rc == 0 else {}
    annex = (doc.get("Annexes") or [{}])[0]
    price = {od[0]: 0.5, spot_id: 1.0}

    def cost(when):
        return sum((when - insts[i]["LaunchTime"]).total_seconds() / 3600 * p for i, p in price.items())
    by_id = {j["InstanceId"]: j for j in annex.get("Instances", [])}
    T.check("-json: Market mixed (moto's InstanceLifecycle spot), per instance Market and PriceUSDPerHour",
            rc == 0 and annex.get("Market") == "mixed" and by_id.get(spot_id, {}).get("Market") == "spot" and
            by_id.get(od[0], {}).get("Market") == "on-demand" and by_id.get(spot_id, {}).get("PriceUSDPerHour") == 1
            and by_id.get(od[0], {}).get("PriceUSDPerHour") == 0.5 and
            sum(1 for j in by_id.values() if j.get("PriceUSDPerHour") is None) == 1,
            ({k: v for k, v in annex.items() if k != "Instances"}, by_id, err))
    T.check("-json: CostSoFarUSD = hours since LaunchTime x price of the priced instances, one unpriced, "
            "the budget", isinstance(annex.get("CostSoFarUSD"), float) and
            cost(before) - 1.5 / 3600 <= annex["CostSoFarUSD"] <= cost(after) + 1.5 / 3600 and
            annex.get("UnpricedInstances") == 1 and annex.get("BudgetUSD") == 3,
            ({k: v for k, v in annex.items() if k != "Instances"}, cost(before), cost(after)))
    rc, out, err = status(pool, ["-status", "-annex-name", "costly"], ANNEX_CONDOR_STATUS=si.path)
    head, extra = split_report(out)
    T.check("human: condor_annex's table untouched; market, cost so far (two of three priced) and budget in "
            "annex's lines", rc == 0 and "Market: mixed (1 spot, 2 on-demand).\n" in extra and
            re.search(r"^Cost so far: \$[0-9.]+ for 2 of the 3 running instances; unknown for the other 1 "
                      r"\(no htcondor:PriceUSDPerHour tag\)\.$", extra, re.M) and
            "Budget: $3 (htcondor:BudgetUSD)" in extra and "Cost" not in head and "Market" not in head, out)
    rc, out, err = status(pool, ["-status", "-annex-name", "render", "-json"], ANNEX_CONDOR_STATUS=si.path)
    annex = (json.loads(out).get("Annexes") or [{}])[0] if rc == 0 else {}
    T.check("an annex launched with -yes when no price could be had: cost so far null, every running instance "
            "unpriced, no budget", annex.get("CostSoFarUSD", 0) is None and annex.get("UnpricedInstances") == 3 and
            annex.get("BudgetUSD", 0) is None and annex.get("Market") == "on-demand",
            {k: v for k, v in annex.items() if k != "Instances"})
    rc, out, err = status(pool, ["-status", "-annex-name", "render"], ANNEX_CONDOR_STATUS=si.path)
    T.check("human: 'Cost so far: unknown' for it",
            "\nCost so far: unknown (no running instance carries a htcondor:PriceUSDPerHour tag).\n" in out, out)
    with pricelist.PriceList({"m5.large": "0.096"}) as stub:
        rc, out, err = T.run_annex(["-count", "2", "-annex-name", "yescost", "-instance-type", "m5.large",
                                    "-duration", "1", "-yes"], pool.env(AWS_ENDPOINT_URL_PRICING=stub.url))
    T.check("launch yescost with -yes, the Price List answering", rc == 0 and stub.types() == ["m5.large"],
            (out, err, stub.types()))
    time.sleep(1.5)
    rc, out, err = status(pool, ["-status", "-annex-name", "yescost", "-json"], ANNEX_CONDOR_STATUS=si.path)
    annex = (json.loads(out).get("Annexes") or [{}])[0] if rc == 0 else {}
    T.check("an annex launched with -yes, priced: CostSoFarUSD > 0, no unpriced instance, no budget",
            isinstance(annex.get("CostSoFarUSD"), float) and annex["CostSoFarUSD"] > 0 and
            annex.get("UnpricedInstances") == 0 and annex.get("BudgetUSD", 0) is None and
            all(j.get("PriceUSDPerHour") == 0.096 for j in annex.get("Instances", [])),
            {k: v for k, v in annex.items() if k != "Instances"})
    rc, out, err = status(pool, ["-status", "-annex-name", "yescost"], ANNEX_CONDOR_STATUS=si.path)
    T.check("human: its 'Cost so far: $X (2 running instances x ...)' line",
            rc == 0 and re.search(r"^Cost so far: \$[0-9.]+ \(2 running instances x hours since launch x the hourly "
                                  r"price quoted at launch", out, re.M) and "unknown" not in out, out)


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        if not T.check("setup for the status tests", rc == 0, out + err):
            return T.summary()
        si = StandIn(pool)
        failing = StandIn(pool, exit_status=3)
        T.guarded(test_nothing_found, m, pool, si)
        rc, out, err = T.run_annex(["-count", "3", "-annex-name", "render", "-instance-type", "m5.large",
                                    "-duration", "1", "-yes"], pool.env())
        rid = re.search(r"'(render_[0-9a-f-]{36})'", out)
        if not T.check("launch render", rc == 0 and rid, out + err):
            return T.summary()
        render_ids = sorted(ec2_view(m)["render"])
        render = {"id": rid.group(1), "in_pool": set(render_ids[:2])}
        si.members("render", render_ids[:2])
        nat_id, nat_ids = add_instances(m, "nat-test", 3)
        m.client("ec2").stop_instances(InstanceIds=[nat_ids[2]])
        nat = {"id": nat_id, "in_pool": {nat_ids[0]}}
        si.members("nat-test", nat_ids[:1], with_recording=True)
        failing.members("render", render_ids[:2])
        pool_image = pool.image
        m.client("ec2").run_instances(ImageId=pool_image, MinCount=1, MaxCount=1, TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "untagged"}]}])
        T.guarded(test_named, m, pool, si, render, nat)
        T.guarded(test_summary, m, pool, si, render["in_pool"] | nat["in_pool"])
        T.guarded(test_classad, m, pool, si, render)
        T.guarded(test_json, m, pool, si, render, nat)
        T.guarded(test_console_json_and_denied, m, pool, si, render)
        T.guarded(test_no_condor_status, m, pool, failing)
        T.guarded(test_requests, m, pool, si, render)
        T.guarded(test_wrap, m, pool, si)
        T.guarded(test_exact_name, m, pool, si)
        T.guarded(test_spot_fleet, m, pool, si)
        T.guarded(test_paging, m, pool, si)
        T.guarded(test_cost_so_far, m, pool, si)
    return T.summary()


sys.exit(main())
