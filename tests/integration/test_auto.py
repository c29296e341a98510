#!/usr/bin/env python3
"""annex -auto (issue 22) against moto with signature checking on.

The idle jobs come from a stand-in condor_q (ANNEX_CONDOR_Q) that prints one
of the outputs recorded from HTCondor 25.14 (../shared/htcondor-recorded/
condor_q/) byte for byte, the one named in DIR/select; it logs its
arguments. 21 jobs: 10 x (1 CPU, 2048 MB), 3 x (8 CPUs, 32768 MB, 1 GPU),
2 x (192 CPUs, 2 TB), these with MayUseAWS true; 6 without it. The pool is a
stand-in condor_status (ANNEX_CONDOR_STATUS) printing DIR/<annex>.txt (the
recorded -af shape), nothing when absent; prices come from a stub Price List
on loopback (AWS_ENDPOINT_URL_PRICING), one price per type; sizes from moto's
DescribeInstanceTypes. Each instance offers jobs its memory less
ANNEX_AUTO_RESERVED_MEMORY (1024 MiB): an m5.xlarge (4 vCPUs, 16384 MiB)
takes four small jobs, a g4dn.4xlarge (16 vCPUs, 64 GiB, 1 GPU) one GPU job
and eight small ones; no type holds a 2 TB job, and a g4dn.2xlarge (32768
MiB) not a 32768 MB one.

With AUTO_PLANS=FILE, every run's command and output (its plan) go to
FILE, by scenario. Scenarios: an empty queue; a burst of small jobs; GPU jobs; jobs too big for
any type; a second run while the first run's instances boot, then when they
joined and are idle (no double launch), then when they are busy; the bounds
(-max-instances, -max-cost); the lock; the prefix's length.
"""
import fcntl
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402
import pricelist  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

RECORDED = os.path.join(os.environ.get("SHARED", os.path.join(T.ROOT, "..", "shared")), "htcondor-recorded",
                        "condor_q")
PRICES = {"m5.large": "0.096", "m5.xlarge": "0.192", "c5.large": "0.085", "g4dn.2xlarge": "0.752",
          "g4dn.4xlarge": "1.204"}
NAME = re.compile(r"as annex ([a-z0-9.-]+-\d{8}T\d{4}Z) \(on-demand")
TOO_BIG = "Excluded: 2 jobs (192 CPUs, 2097152 MB, x86_64): too big for any allowed type; never launched for.\n"


class StandIns:
    def __init__(self, pool):
        self.dir = os.path.join(pool.dir, "auto-standins")
        os.makedirs(self.dir, exist_ok=True)
        self.condor_q = os.path.join(self.dir, "condor_q")
        with open(self.condor_q, "w") as f:
            f.write("#!/bin/sh\nprintf '%%s\\n' \"$*\" >> '%s/q-argv.log'\nexec cat \"$(cat '%s/select')\"\n"
                    % (self.dir, self.dir))
        self.condor_status = os.path.join(self.dir, "condor_status")
        with open(self.condor_status, "w") as f:
            f.write("#!/bin/sh\nf='%s/'\"$2\".txt\n[ -f \"$f\" ] && cat \"$f\"\nexit 0\n" % self.dir)
        os.chmod(self.condor_q, 0o755)
        os.chmod(self.condor_status, 0o755)

    def select(self, name):
        with open(os.path.join(self.dir, "select"), "w") as f:
            f.write(os.path.join(RECORDED, name))

    def pool(self, annex, ids, state):
        with open(os.path.join(self.dir, annex + ".txt"), "w") as f:
            for n, i in enumerate(ids):
                f.write("slot1@ip-10-0-1-%d.ec2.internal %s %s %s Idle 1700000000\n" % (n + 1, annex, i, state))

    def q_calls(self):
        p = os.path.join(self.dir, "q-argv.log")
        return open(p).read().splitlines() if os.path.exists(p) else []


def live(m, prefix):
    """[(annex name, id, type, tags)] of the live instances of annexes PREFIX-*."""
    out = []
    for r in m.client("ec2").describe_instances(
            Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}])["Reservations"]:
        for i in r["Instances"]:
            tags = {t["Key"]: t["Value"] for t in i.get("Tags", [])}
            if tags.get("htcondor:AnnexName", "").startswith(prefix + "-"):
                out.append((tags["htcondor:AnnexName"], i["InstanceId"], i["InstanceType"], tags))
    return out


PLANS = []   # (scenario, command, stdout): written to $AUTO_PLANS when set (the closing note)


def auto(pool, si, stub, args, **env):
    over = {"ANNEX_CONDOR_Q": si.condor_q, "ANNEX_CONDOR_STATUS": si.condor_status,
            "AWS_ENDPOINT_URL_PRICING": stub.url}
    over.update(env)
    e = pool.env(**over)
    rc, out, err = T.run_annex(["-auto"] + args, e)
    PLANS.append((sys._getframe(1).f_code.co_name, "annex -auto " + " ".join(args), out))
    return rc, out, err


def test_empty_queue(m, pool, si, stub):
    si.select("empty-af.txt")
    with T.FaultProxy([]) as fp:
        rc, out, err = auto(pool, si, stub, ["-annex-name", "empty"], **fp.env())
        calls = fp.calls()
    T.check("empty queue: exit 0, the plan says no job and nothing to launch",
            rc == 0 and out == "Plan for annexes empty-* in us-east-1 (-auto):\nJobs seen: 0 idle; 0 may use AWS.\n"
            "Launch: nothing.\n", (rc, out, err))
    T.check("empty queue: no AWS call at all (a quiet cron run)", calls == [], calls)
    T.check("condor_q was asked the recorded query",
            si.q_calls()[-1:] == ["-allusers -constraint JobStatus == 1 -af ClusterId ProcId Owner RequestCpus "
                                  "RequestMemory RequestGpus MayUseAWS"], si.q_calls())


def test_burst_dry_run(m, pool, si, stub):
    si.select("idle-af.txt")
    with T.FaultProxy([]) as fp:
        rc, out, err = auto(pool, si, stub, ["-annex-name", "burst", "-instance-types", "m5.xlarge", "-duration",
                                             "2", "-dry-run"], **fp.env())
        calls = fp.calls()
    name = NAME.search(out)
    T.check("burst -dry-run: read-only calls only (types, prices, instances), no lock file",
            calls and not [c for c in calls if c.get("mutating")] and
            not os.path.exists(os.path.join(pool.home, ".condor", "annex", "auto.us-east-1.burst.lock")),
            calls)
    T.check("burst -dry-run: the plan, line by line", rc == 0 and name and out == (
        "Plan for annexes burst-* in us-east-1 (-auto):\n"
        "Jobs seen: 21 idle; 15 may use AWS.\n"
        "Excluded: 6 jobs without MayUseAWS true (the nodes' START requires it).\n"
        "Excluded: 3 jobs (8 CPUs, 32768 MB, 1 GPU, x86_64): too big for any allowed type; never launched for.\n"
        + TOO_BIG +
        "Shape: 10 jobs (1 CPU, 2048 MB, x86_64): 0 on capacity on its way, 10 on new instances, 0 left waiting.\n"
        "Type: m5.xlarge: 4 vCPUs, 15360 MiB for jobs, x86_64; $0.192/h on-demand.\n"
        "On its way: 0 instances (0 booting, 0 joined and unclaimed); 0 busy, 0 stopped, not counted.\n"
        "Bounds: -max-instances 10 (0 live now, so at most 10 new).\n"
        "Launch: 3 x m5.xlarge as annex %s (on-demand, lease 2.00 h, idle 0.25 h).\n"
        "Worst case: at most $1.16 (3 x $0.192/h, x 2.00 h).\n"
        "-dry-run: nothing launched.\n" % (name.group(1) if name else "?")), (rc, out, err))
    T.check("burst -dry-run: nothing launched", live(m, "burst") == [], live(m, "burst"))


def test_burst_and_second_runs(m, pool, si, stub):
    si.select("idle-af.txt")
    asked = len(stub.requests)
    rc, out, err = auto(pool, si, stub, ["-annex-name", "burst", "-instance-types", "m5.xlarge"])
    got = live(m, "burst")
    T.check("burst: the launch carries the plan's price (htcondor:PriceUSDPerHour), asked once, not again by "
            "the launch", got and all(g[3].get("htcondor:PriceUSDPerHour") == "m5.xlarge=0.192" for g in got) and
            stub.types()[asked:] == ["m5.xlarge"], (got, stub.types()[asked:]))
    rc_s, out_s, err_s = T.run_annex(["-status", "-annex-name", got[0][0] if got else "?", "-json"],
                                     pool.env(ANNEX_CONDOR_STATUS=si.condor_status))
    annex = (json.loads(out_s).get("Annexes") or [{}])[0] if rc_s == 0 else {}
    T.check("burst: -status shows the annex's cost so far (priced, none unpriced)",
            isinstance(annex.get("CostSoFarUSD"), float) and annex.get("UnpricedInstances") == 0,
            ({k: v for k, v in annex.items() if k != "Instances"}, err_s))
    name = NAME.search(out)
    T.check("burst: launched 3 x m5.xlarge as one annex PREFIX-<timestamp>, tagged, leased, owner recq",
            rc == 0 and name and len(got) == 3 and all(g[0] == name.group(1) and g[2] == "m5.xlarge" and
                                                      g[3].get("htcondor:Owner") == "recq" and
                                                      "htcondor:LeaseExpiration" in g[3] for g in got) and
            "Annex started." in out, (rc, out, err, got))
    ids = [g[1] for g in got]
    annex = got[0][0] if got else "?"

    rc, out, err = auto(pool, si, stub, ["-annex-name", "burst", "-instance-types", "m5.xlarge"])
    T.check("second run while they boot: their capacity is on its way, nothing launched",
            rc == 0 and "On its way: 3 instances (3 booting, 0 joined and unclaimed); 0 busy, 0 stopped, not "
            "counted.\n" in out and "Shape: 10 jobs (1 CPU, 2048 MB, x86_64): 10 on capacity on its way, 0 on new "
            "instances, 0 left waiting.\n" in out and "Launch: nothing.\n" in out and len(live(m, "burst")) == 3,
            (rc, out, err))
    T.check("every run reports the jobs too big for any type, once", out.count(TOO_BIG) == 1, out)

    si.pool(annex, ids, "Unclaimed")
    rc, out, err = auto(pool, si, stub, ["-annex-name", "burst", "-instance-types", "m5.xlarge"])
    T.check("third run, joined and unclaimed: still capacity, nothing launched",
            rc == 0 and "On its way: 3 instances (0 booting, 3 joined and unclaimed)" in out and
            "Launch: nothing.\n" in out and len(live(m, "burst")) == 3, (rc, out, err))

    si.pool(annex, ids, "Claimed")
    rc, out, err = auto(pool, si, stub, ["-annex-name", "burst", "-instance-types", "m5.xlarge", "-dry-run"])
    T.check("busy nodes are no capacity: the waiting jobs need 3 more (dry run); live ones count toward the bound",
            rc == 0 and "On its way: 0 instances (0 booting, 0 joined and unclaimed); 3 busy, 0 stopped" in out and
            "Bounds: -max-instances 10 (3 live now, so at most 7 new).\n" in out and
            re.search(r"Launch: 3 x m5.xlarge as annex burst-", out) and len(live(m, "burst")) == 3, (rc, out, err))
    rc, out, err = auto(pool, si, stub, ["-annex-name", "burst", "-instance-types", "m5.xlarge", "-dry-run"],
                        ANNEX_CONDOR_STATUS=os.path.join(pool.dir, "no-condor_status"))
    T.check("without condor_status every live instance counts as on its way (a launch too few, never one too many)",
            rc == 0 and "On its way: 3 instances (3 booting, 0 joined and unclaimed); 0 busy" in out and
            "\nPool membership is not shown: ANNEX_CONDOR_STATUS names " in out and
            ". Every live instance counts as on its way.\n" in out and "Launch: nothing.\n" in out, (rc, out, err))
    rc, out, err = auto(pool, si, stub, ["-annex-name", "burst", "-instance-types", "m5.xlarge", "-max-instances",
                                         "4", "-dry-run"])
    T.check("-max-instances counts the live instances: 3 live of 4, one more", rc == 0 and
            "Launch: 1 x m5.xlarge" in out and "Left waiting: 6 jobs: -max-instances reached.\n" in out,
            (rc, out, err))


def test_gpu(m, pool, si, stub):
    si.select("idle-af.txt")
    rc, out, err = auto(pool, si, stub, ["-annex-name", "gpu", "-instance-types",
                                         "m5.xlarge,g4dn.2xlarge,g4dn.4xlarge", "-duration", "1"])
    got = live(m, "gpu")
    T.check("GPU jobs: a GPU type that holds them (g4dn.4xlarge), the small jobs in its spare room",
            rc == 0 and "Shape: 3 jobs (8 CPUs, 32768 MB, 1 GPU, x86_64): 0 on capacity on its way, 3 on new "
            "instances, 0 left waiting.\n" in out and re.search(r"Launch: 3 x g4dn.4xlarge as annex gpu-", out) and
            "Worst case: at most $3.62 (3 x $1.204/h, x 1.00 h).\n" in out and
            sorted(g[2] for g in got) == ["g4dn.4xlarge"] * 3, (rc, out, err, got))
    T.check("GPU plan: each type's size from DescribeInstanceTypes and price from the Price List",
            "Type: g4dn.2xlarge: 8 vCPUs, 31744 MiB for jobs, 1 GPU, x86_64; $0.752/h on-demand.\n" in out and
            "Type: g4dn.4xlarge: 16 vCPUs, 64512 MiB for jobs, 1 GPU, x86_64; $1.204/h on-demand.\n" in out, out)


def test_mixed_types_launch(m, pool, si, stub):
    """Two types in one plan: one launch per type, the same annex name."""
    si.select("idle-af.txt")
    rc, out, err = auto(pool, si, stub, ["-annex-name", "mix", "-instance-types", "m5.xlarge,g4dn.2xlarge",
                                         "-duration", "1"], _CONDOR_ANNEX_AUTO_RESERVED_MEMORY="0")
    got = live(m, "mix")
    names = {g[0] for g in got}
    T.check("two types: one launch each, one annex name, each its own annex id",
            rc == 0 and sorted(g[2] for g in got) == ["g4dn.2xlarge"] * 3 + ["m5.xlarge"] * 3 and
            len(names) == 1 and len({g[3].get("htcondor:AnnexId") for g in got}) == 2 and
            out.count("Annex started.") == 2, (rc, out, err, got))
    T.check("two types: each launch tagged with its own type's price from the plan",
            got and all(g[3].get("htcondor:PriceUSDPerHour") == "%s=%s" % (g[2], PRICES[g[2]]) for g in got),
            [(g[2], g[3].get("htcondor:PriceUSDPerHour")) for g in got])


def test_second_launch_fails(m, pool, si, stub):
    """The second type's launch fails: it undoes itself (the engine), the
    first type's launch stays, the error names the type and AWS's code."""
    si.select("idle-af.txt")
    rule = {"call": "RunInstances", "nth": 1, "times": 0, "params": {"InstanceType": "g4dn.2xlarge"},
            "fault": "error", "code": "InsufficientInstanceCapacity",
            "message": "We currently do not have sufficient g4dn.2xlarge capacity."}
    with T.FaultProxy([rule]) as fp:
        rc, out, err = auto(pool, si, stub, ["-annex-name", "mixf", "-instance-types", "m5.xlarge,g4dn.2xlarge",
                                             "-duration", "1"], _CONDOR_ANNEX_AUTO_RESERVED_MEMORY="0", **fp.env())
    got = live(m, "mixf")
    rules = [r["Name"] for r in m.client("events").list_rules()["Rules"] if r["Name"].startswith("mixf-")]
    T.check("a failing launch of one type: exit 1, one error line naming the type and AWS's code; the other "
            "type's annex stays, with its one lease rule",
            rc == 1 and re.search(r"annex: -auto: launching 3 x g4dn.2xlarge as annex mixf-\d{8}T\d{4}Z: .*"
                                  r"InsufficientInstanceCapacity", err) and
            sorted(g[2] for g in got) == ["m5.xlarge"] * 3 and len(rules) == 1, (rc, out, err, got, rules))


def test_too_big_only(m, pool, si, stub):
    si.select("idle-af.txt")
    rc, out, err = auto(pool, si, stub, ["-annex-name", "big", "-instance-types", "c5.large", "-dry-run"])
    T.check("jobs too big for any type: reported, never launched for; the rest planned",
            rc == 0 and out.count(TOO_BIG) == 1 and "Excluded: 3 jobs (8 CPUs, 32768 MB, 1 GPU, x86_64): too big"
            in out and "Launch: 10 x c5.large" in out and live(m, "big") == [], (rc, out, err))
    rc, out, err = auto(pool, si, stub, ["-annex-name", "big", "-instance-types", "c5.large", "-no-may-use-aws",
                                         "-dry-run"])
    T.check("-no-may-use-aws: the nodes run any job, so every job counts (the 6 without MayUseAWS too)",
            rc == 0 and "Jobs seen: 21 idle; 21 may use AWS (-no-may-use-aws: any job).\n" in out and
            "without MayUseAWS" not in out and "Shape: 4 jobs (1 CPU, 128 MB, x86_64)" in out and
            "Shape: 2 jobs (4 CPUs, 16000 MB, x86_64)" not in out and
            "Excluded: 2 jobs (4 CPUs, 16000 MB, x86_64): too big for any allowed type" in out, (rc, out, err))
    rc, out, err = auto(pool, si, stub, ["-annex-name", "big", "-instance-types", "m6g.large", "-dry-run"])
    T.check("an arm64 type for x86_64 jobs: every job excluded by architecture, nothing launched",
            rc == 0 and "Excluded: 10 jobs (1 CPU, 2048 MB, x86_64): no allowed type is x86_64; never launched for."
            in out and "Launch: nothing.\n" in out, (rc, out, err))
    rc, out, err = auto(pool, si, stub, ["-annex-name", "big", "-instance-types", "t3.micro", "-dry-run"])
    T.check("a type without a price is not used, and says why", rc == 0 and
            "Type: t3.micro: 2 vCPUs, 0 MiB for jobs, x86_64; no on-demand price (" in out and
            "Launch: nothing.\n" in out, (rc, out, err))


def test_bounds(m, pool, si, stub):
    si.select("idle-af.txt")
    rc, out, err = auto(pool, si, stub, ["-annex-name", "bnd", "-instance-types", "m5.xlarge", "-max-instances", "2"])
    T.check("-max-instances 2: two launched, the rest left waiting, said",
            rc == 0 and "Left waiting: 2 jobs: -max-instances reached.\n" in out and len(live(m, "bnd")) == 2,
            (rc, out, err))
    rc, out, err = auto(pool, si, stub, ["-annex-name", "bnd", "-instance-types", "m5.xlarge", "-max-instances", "2"])
    T.check("-max-instances reached by what is live: nothing more, even with jobs waiting",
            rc == 0 and "Bounds: -max-instances 2 (2 live now, so at most 0 new).\n" in out and
            "Launch: nothing.\n" in out and len(live(m, "bnd")) == 2, (rc, out, err))
    rc, out, err = auto(pool, si, stub, ["-annex-name", "cost", "-instance-types", "m5.xlarge", "-duration", "1",
                                         "-max-cost", "0.40"])
    T.check("-max-cost $0.40 over 1 h: two m5.xlarge ($0.384), the third would exceed it",
            rc == 0 and "Bounds: -max-instances 10 (0 live now, so at most 10 new); -max-cost $0.40 over the 1.00 h "
            "lease.\n" in out and "Worst case: at most $0.39 (2 x $0.192/h, x 1.00 h).\n" in out and
            "Left waiting: 2 jobs: -max-cost reached.\n" in out and len(live(m, "cost")) == 2, (rc, out, err))


def test_lock_and_refusals(m, pool, si, stub):
    si.select("idle-af.txt")
    d = os.path.join(pool.home, ".condor", "annex")
    os.makedirs(d, mode=0o700, exist_ok=True)
    os.chmod(os.path.join(pool.home, ".condor"), 0o700)
    fd = os.open(os.path.join(d, "auto.us-east-1.lck.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        rc, out, err = auto(pool, si, stub, ["-annex-name", "lck", "-instance-types", "m5.xlarge"],
                            _CONDOR_ANNEX_LOCK_WAIT="0")
    finally:
        os.close(fd)
    T.check("another -auto of the prefix holds the lock: refused, nothing launched",
            rc != 0 and "-auto for prefix 'lck' in us-east-1 is busy" in err and live(m, "lck") == [], (rc, out, err))
    before = len(si.q_calls())
    rc, out, err = auto(pool, si, stub, ["-annex-name", "abcdefghijklm"])
    T.check("a prefix longer than 12 characters is refused up front (PREFIX-YYYYMMDDTHHMMZ: 27 at most)",
            rc != 0 and "a prefix has at most 12 characters" in err and len(si.q_calls()) == before, (rc, out, err))
    rc, out, err = auto(pool, si, stub, ["-annex-name", "x", "-instance-types", "m5.xlarge,no_such"])
    T.check("a malformed type in -instance-types is refused", rc != 0 and "-instance-types" in err, (rc, out, err))
    rc, out, err = auto(pool, si, stub, ["-annex-name", "x"], ANNEX_CONDOR_Q=os.path.join(pool.dir, "nope"))
    T.check("no condor_q: refused in one line naming the knob", rc != 0 and "ANNEX_CONDOR_Q names" in err and
            len(T.without_region_line(err).strip().splitlines()) == 1, (rc, out, err))
    si.select("idle-mayuseaws-af.txt")
    rc, out, err = auto(pool, si, stub, ["-annex-name", "x"])
    T.check("a condor_q output that is not the query's: refused, naming the line",
            rc != 0 and "condor_q's output, line 1: 6 values" in err, (rc, out, err))


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        if not T.check("setup for the -auto tests", rc == 0, out + err):
            return T.summary()
        si = StandIns(pool)
        stub = pricelist.PriceList(PRICES, default=None)
        try:
            T.guarded(test_empty_queue, m, pool, si, stub)
            T.guarded(test_burst_dry_run, m, pool, si, stub)
            T.guarded(test_burst_and_second_runs, m, pool, si, stub)
            T.guarded(test_gpu, m, pool, si, stub)
            T.guarded(test_mixed_types_launch, m, pool, si, stub)
            T.guarded(test_second_launch_fails, m, pool, si, stub)
            T.guarded(test_too_big_only, m, pool, si, stub)
            T.guarded(test_bounds, m, pool, si, stub)
            T.guarded(test_lock_and_refusals, m, pool, si, stub)
        finally:
            stub.close()
    if os.environ.get("AUTO_PLANS"):
        with open(os.environ["AUTO_PLANS"], "w") as f:
            for scenario, cmd, out in PLANS:
                f.write("## %s\n$ %s\n%s\n" % (scenario, cmd, out))
    return T.summary()


sys.exit(main())
